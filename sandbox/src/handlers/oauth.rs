//! The OAuth 2.0 client-credentials grant's endpoint: the realm, the form and the answer
//! (the issuance is `service::grant`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use clouddigit_session::models::AccessToken;

use crate::bodies::ClientCredentialsForm;
use crate::error::ApiError;
use crate::query;
use crate::request::{AuditSlot, ClientIp};
use crate::service::grant::{self, oauth_error};
use crate::state::AppState;
use crate::views;

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
