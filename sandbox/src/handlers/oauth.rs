//! The OAuth 2.0 client-credentials grant: a service account's client id and secret for
//! a bearer that lives 300 seconds and is accepted like that account's API tokens.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Duration;
use clouddigit_core::model::{Inherit, ServiceAccountStatus};
use clouddigit_core::{OwnerRef, ProjectScope, TokenPermissions};
use serde_json::json;
use subtle_compare::eq;

use crate::audit::AuditSlot;
use crate::auth::url_pairs;
use crate::db;
use crate::error::ApiError;
use crate::handlers::tokens::{issue, TokenSpec};
use crate::secrets::sha256_hex;
use crate::state::AppState;

pub const LIFETIME_SECONDS: i64 = 300;

mod subtle_compare {
    /// Constant-time comparison of two hex digests.
    pub fn eq(a: &str, b: &str) -> bool {
        a.len() == b.len()
            && a.bytes()
                .zip(b.bytes())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> ApiError {
    ApiError::new(status, error, description)
        .with("error", error)
        .with("error_description", description)
}

pub async fn token(
    State(state): State<AppState>,
    Extension(slot): Extension<AuditSlot>,
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
    let stored = sa.secret_hash.as_deref().ok_or_else(invalid)?;
    if !eq(stored, &sha256_hex(client_secret)) {
        return Err(invalid());
    }
    if sa.state.status != ServiceAccountStatus::Active {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the service account is not active",
        ));
    }
    let projects = match &sa.state.project {
        Some(p) => vec![p.clone()],
        None => db::projects(&conn)?,
    };
    let spec = TokenSpec {
        name: "client-credentials".into(),
        projects: ProjectScope::Projects(projects),
        permissions: TokenPermissions::Inherit(Inherit::Inherit),
        expires_at: Some(now + Duration::seconds(LIFETIME_SECONDS)),
        allowed_ips: Vec::new(),
    };
    let (row, secret) = issue(
        &conn,
        OwnerRef::ServiceAccount {
            id: sa.state.id.clone(),
        },
        state.organization(),
        &spec,
        "oauth",
        now,
    )?;
    slot.update(|a| {
        a.token_name = Some(row.token.name.clone());
        a.token_prefix = Some(row.token.prefix.clone());
    });
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "access_token": secret.expose_secret(),
            "token_type": "Bearer",
            "expires_in": LIFETIME_SECONDS,
        })),
    )
        .into_response())
}
