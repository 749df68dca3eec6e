//! The OAuth 2.0 client-credentials grant: a service account's client id and secret for
//! a bearer that lives 300 seconds and is accepted like that account's API tokens.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Duration;
use clouddigit_core::model::Creator;
use clouddigit_core::model::{Inherit, ServiceAccountStatus};
use clouddigit_core::{AllowList, OwnerRef, ProjectScope, TokenPermissions};
use serde_json::json;

use crate::db;
use crate::error::ApiError;
use crate::handlers::tokens::{issue, Lineage, TokenSpec};
use crate::lineage::account_projects;
use crate::query::url_pairs;
use crate::request::{AuditSlot, ClientIp};
use crate::secrets::sha256_hex;
use crate::state::AppState;

pub const LIFETIME_SECONDS: i64 = 300;

/// Constant-time comparison of two hex digests.
fn digests_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> ApiError {
    ApiError::new(status, error, description)
        .with("error", error)
        .with("error_description", description)
}

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
    let form = url_pairs(text);
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    match get("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ))
        }
        None => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ))
        }
    }
    let (Some(client_id), Some(client_secret)) = (get("client_id"), get("client_secret")) else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        ));
    };
    let invalid = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        )
    };
    let now = state.now();
    let conn = state.db()?;
    let sa = db::service_account(&conn, client_id)?.ok_or_else(invalid)?;
    slot.update(|a| a.actor = Some(sa.state.name.clone()));
    let stored = sa.secret.as_ref().ok_or_else(invalid)?;
    if !digests_equal(&stored.hash, &sha256_hex(client_secret)) {
        return Err(invalid());
    }
    let refused = |why: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
    if sa.state.status != ServiceAccountStatus::Active {
        return Err(refused("the service account is not active"));
    }
    if stored.expires_at.is_some_and(|e| e <= now) {
        return Err(refused(
            "the client secret has expired (it lives no longer than the token that made it); reset it",
        ));
    }
    // The account's allow-list travels in every bearer; the organization's policy may
    // require one that restricts (a /0 does not), and a grant from outside it is refused.
    let policy = db::token_policy(&conn)?;
    let list = AllowList::from_entries(sa.state.allowed_ips.iter().map(String::as_str))
        .map_err(|_| ApiError::internal("a stored allow-list does not parse"))?;
    let restricts = !list.is_empty() && !list.allows_a_whole_family();
    if policy
        .as_ref()
        .is_some_and(|p| p.require_allowed_ips_for_service_accounts)
        && !restricts
    {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the organization's policy requires service accounts to have an IP allow-list; give this account one",
        ));
    }
    if !list.is_empty() && !client_ip.0.is_some_and(|ip| list.contains(ip)) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "this account's bearers may be used only from its IP allow-list, and this request is not from it",
        ));
    }
    let org_projects = db::projects(&conn)?;
    let lifetime = Duration::seconds(LIFETIME_SECONDS);
    let expires_at = now
        .checked_add_signed(lifetime)
        .map(|t| stored.expires_at.map_or(t, |e| e.min(t)));
    let spec = TokenSpec {
        name: "client-credentials".into(),
        projects: ProjectScope::Projects(account_projects(&sa, &org_projects)),
        permissions: TokenPermissions::Inherit(Inherit::Inherit),
        expires_at,
        allowed_ips: sa.state.allowed_ips.clone(),
    };
    let lineage = Lineage {
        created_by: Some(Creator::client_secret(stored.id.clone())),
        parent_id: Some(stored.id.clone()),
    };
    // A secret whose maker is gone (revoked, expired, its owner suspended) makes
    // bearers that every call would refuse: say so now instead.
    for a in crate::lineage::ancestors(&conn, Some(&stored.id))? {
        if !a.handle.is_live(&a.owner, now, policy.as_ref()) {
            return Err(refused(&format!(
                "the client secret was made through {}, which is no longer valid; reset the secret",
                a.id
            )));
        }
    }
    let (row, secret) = issue(
        &conn,
        OwnerRef::ServiceAccount {
            id: sa.state.id.clone(),
        },
        state.organization(),
        &spec,
        "oauth",
        now,
        &lineage,
    )?;
    slot.update(|a| {
        a.token_name = Some(row.token.name.clone());
        a.token_prefix = Some(row.token.prefix.clone());
        a.token_id = Some(row.token.id.clone());
        a.detail = Some(format!(
            "issued bearer {} from client secret {}",
            row.token.id, stored.id
        ));
    });
    let expires_in = expires_at.map_or(LIFETIME_SECONDS, |e| (e - now).num_seconds().max(0));
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "access_token": secret.expose_secret(),
            "token_type": "Bearer",
            "expires_in": expires_in,
        })),
    )
        .into_response())
}
