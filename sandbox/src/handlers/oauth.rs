//! The OAuth 2.0 client-credentials grant's endpoint: the realm, the form and the answer
//! (the issuance is `service::grant`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use clouddigit_session::models::AccessToken;

use crate::bodies::ClientCredentialsForm;
use crate::db;
use crate::error::ApiError;
use crate::query;
use crate::request::{AuditSlot, ClientIp};
use crate::service::federation::{self, Federated};
use crate::service::grant::{self, oauth_error};
use crate::state::AppState;
use crate::views::{self, ExchangedToken};
use clouddigit_core::model::ServiceAccountStatus;

pub async fn token(
    State(state): State<AppState>,
    Extension(slot): Extension<AuditSlot>,
    Extension(client_ip): Extension<ClientIp>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if realm != state.organization() {
        return Err(oauth_error(
            StatusCode::NOT_FOUND,
            "invalid_realm",
            "no such realm",
        ));
    }
    let form_ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_ok {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send application/x-www-form-urlencoded",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not UTF-8",
        )
    })?;
    let form: ClientCredentialsForm = query::read_form(text)?;
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(TOKEN_EXCHANGE) => return exchange(&state, &slot, form).await,
        Some(_) => return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "client_credentials and urn:ietf:params:oauth:grant-type:token-exchange are supported",
        )),
        None => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ))
        }
    }
    let (Some(client_id), Some(client_secret)) =
        (form.client_id.as_deref(), form.client_secret.as_deref())
    else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        ));
    };
    let conn = state.db()?;
    let bearer = grant::client_credentials(
        &conn,
        state.organization(),
        &slot,
        client_ip.0,
        client_id,
        client_secret,
        state.now(),
    )?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(AccessToken {
            access_token: views::shown_once(&bearer.secret),
            expires_in: u64::try_from(bearer.expires_in).unwrap_or(0),
            token_type: "Bearer".into(),
        }),
    )
        .into_response())
}

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// RFC 8693: a CI job's OIDC JWT for a short-lived token of the service account whose
/// trust it satisfies. The refusals say what about the token failed, never the trusts'
/// conditions (anyone holding a token may ask); the audit record has the full account
/// of every trust's checks.
async fn exchange(
    state: &AppState,
    slot: &AuditSlot,
    form: ClientCredentialsForm,
) -> Result<Response, ApiError> {
    use clouddigit_core::oidc::{choose, Jwt, JwtError};
    let bad = |error: &str, why: &str| oauth_error(StatusCode::BAD_REQUEST, error, why);
    match form.subject_token_type.as_deref() {
        Some(
            "urn:ietf:params:oauth:token-type:jwt" | "urn:ietf:params:oauth:token-type:id_token",
        ) => {}
        Some(_) => {
            return Err(bad(
                "invalid_request",
                "subject_token_type must be urn:ietf:params:oauth:token-type:jwt or ...:id_token",
            ))
        }
        None => return Err(bad("invalid_request", "subject_token_type is required")),
    }
    if form
        .requested_token_type
        .as_deref()
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(bad(
            "invalid_request",
            "requested_token_type: only urn:ietf:params:oauth:token-type:access_token is issued",
        ));
    }
    let Some(account) = form.audience.as_deref().or(form.client_id.as_deref()) else {
        return Err(bad(
            "invalid_request",
            "name the service account (its id) as audience or client_id",
        ));
    };
    let Some(subject_token) = form.subject_token.as_deref() else {
        return Err(bad("invalid_request", "subject_token is required"));
    };
    let jwt = Jwt::parse(subject_token).map_err(|e| bad("invalid_grant", &e.to_string()))?;
    let now = state.now();
    let (sa, trusts) = {
        let conn = state.db()?;
        let sa = db::service_account(&conn, account)?
            .filter(|s| {
                s.state.status != ServiceAccountStatus::Deleted
                    && s.state.organization == state.organization()
            })
            .ok_or_else(|| {
                bad(
                    "invalid_target",
                    "no such service account in this organization",
                )
            })?;
        let trusts = db::trusts(&conn, &sa.state.id)?;
        (sa, trusts)
    };
    slot.update(|a| a.actor = Some(sa.state.name.clone()));
    let specs: Vec<_> = trusts.iter().map(|t| t.trust.clone()).collect();
    let (chosen, matches) = choose(&specs, &jwt.claims, now);
    let iss = jwt.claims.string("iss").unwrap_or_default();
    let sub = jwt.claims.string("sub");
    let Some(chosen) = chosen else {
        let why: Vec<String> = matches
            .iter()
            .map(|m| {
                let f = m.failure().map(|f| f.detail.clone()).unwrap_or_default();
                format!("{}: {f}", m.trust)
            })
            .collect();
        slot.note(format!(
            "token exchange refused: no trust matched (iss {iss:?}, sub {sub:?}); {}",
            if why.is_empty() {
                "the account has no trusts".to_owned()
            } else {
                why.join("; ")
            }
        ));
        return Err(bad(
            "invalid_grant",
            "no trust of this service account accepts this token: its issuer, audience, subject or claims do not match, or it has expired",
        ));
    };
    let trust = trusts
        .iter()
        .find(|t| t.trust.id == chosen.id)
        .ok_or_else(|| ApiError::internal("a chosen trust is gone"))?;
    // The signature, with the issuer's keys; an unknown key fetches them once more.
    let oidc = &state.0.oidc;
    let verified = match oidc.jwks(&chosen.spec.issuer, false).await {
        Ok(jwks) => match jwt.verify(&jwks) {
            Err(JwtError::UnknownKey(_)) => match oidc.jwks(&chosen.spec.issuer, true).await {
                Ok(jwks) => jwt.verify(&jwks),
                Err(e) => {
                    slot.note(format!("token exchange: the issuer's keys: {e}"));
                    return Err(bad(
                        "invalid_grant",
                        "the issuer's keys could not be fetched",
                    ));
                }
            },
            other => other,
        },
        Err(e) => {
            slot.note(format!("token exchange: the issuer's keys: {e}"));
            return Err(bad(
                "invalid_grant",
                "the issuer's keys could not be fetched",
            ));
        }
    };
    if let Err(e) = verified {
        slot.note(format!(
            "token exchange refused for trust {}: {e}",
            chosen.id
        ));
        return Err(bad(
            "invalid_grant",
            &format!("the token's signature was not accepted: {e}"),
        ));
    }
    let exp = jwt.claims.number("exp").unwrap_or(0);
    if let Some(jti) = jwt.claims.string("jti") {
        if !oidc.first_use(&iss, &jti, exp, now.timestamp()) {
            slot.note(format!(
                "token exchange refused: jti {jti:?} was already exchanged"
            ));
            return Err(bad(
                "invalid_grant",
                "this token was already exchanged (its jti is used once)",
            ));
        }
    }
    let federated = Federated {
        trust: chosen.id.clone(),
        trust_name: chosen.spec.name.clone(),
        iss: iss.clone(),
        sub,
        repository: jwt.claims.string("repository"),
        run_id: jwt
            .claims
            .0
            .get("run_id")
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
    };
    let bearer = {
        let conn = state.db()?;
        federation::mint(&conn, state.organization(), &sa, trust, &federated, now)?
    };
    slot.update(|a| {
        a.token_name = Some(bearer.row.token.name.clone());
        a.token_prefix = Some(bearer.row.token.prefix.clone());
        a.token_id = Some(bearer.row.token.id.clone());
    });
    slot.note(format!(
        "issued {} {}",
        bearer.row.token.id,
        federated.describe()
    ));
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(ExchangedToken {
            access_token: views::shown_once(&bearer.secret),
            issued_token_type: ACCESS_TOKEN_TYPE.into(),
            token_type: "Bearer".into(),
            expires_in: u64::try_from(bearer.expires_in).unwrap_or(0),
        }),
    )
        .into_response())
}
