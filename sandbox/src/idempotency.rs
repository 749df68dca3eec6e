//! `Idempotency-Key` on creates: a retry with the same key (from the same owner) gets
//! the first result back instead of creating again. Results are kept in memory only,
//! for 24 hours, because a create's result can hold a secret that must never reach the
//! database file. The same key with a different request is a 422.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use clouddigit_core::{OwnerRef, Timestamp};
use serde_json::Value;

use crate::error::ApiError;
use crate::secrets::sha256_hex;
use crate::state::AppState;

const TTL: Duration = Duration::hours(24);

#[derive(Debug, Default)]
pub struct IdempotencyStore {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    status: StatusCode,
    body: Value,
    at: Timestamp,
}

fn owner_key(o: &OwnerRef) -> String {
    match o {
        OwnerRef::User { id } => format!("user:{id}"),
        OwnerRef::ServiceAccount { id } => format!("sa:{id}"),
    }
}

/// Runs `create` at most once per (owner, key, request). `create` runs under the store's
/// lock, so two concurrent retries cannot both create.
pub fn run(
    state: &AppState,
    owner: &OwnerRef,
    headers: &HeaderMap,
    route: &str,
    body: &Value,
    create: impl FnOnce() -> Result<(StatusCode, Value), ApiError>,
) -> Result<Response, ApiError> {
    let key = match headers.get("idempotency-key") {
        None => {
            let (status, v) = create()?;
            return Ok((status, axum::Json(v)).into_response());
        }
        Some(k) => k
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 visible characters",
                )
            })?
            .to_owned(),
    };
    let fingerprint = sha256_hex(&format!("{route}\n{body}"));
    let now = state.now();
    let store = &state.0.idempotency;
    let mut map = store
        .entries
        .lock()
        .map_err(|_| ApiError::internal("idempotency lock poisoned"))?;
    map.retain(|_, e| now - e.at < TTL);
    let slot = (owner_key(owner), key);
    if let Some(e) = map.get(&slot) {
        if e.fingerprint != fingerprint {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            ));
        }
        let mut resp = (e.status, axum::Json(e.body.clone())).into_response();
        resp.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
        return Ok(resp);
    }
    let (status, v) = create()?;
    map.insert(
        slot,
        Entry {
            fingerprint,
            status,
            body: v.clone(),
            at: now,
        },
    );
    Ok((status, axum::Json(v)).into_response())
}
