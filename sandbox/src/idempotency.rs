//! `Idempotency-Key` on creates: a retry with the same key (from the same owner) never
//! creates again.
//!
//! Two memories, because a create's answer can hold a secret that must never reach the
//! database file:
//! - the database keeps, for 24 hours, each key with the request's fingerprint, the
//!   status and the id of what it made, written in the same transaction as the thing
//!   itself, so a crash can leave neither a made thing without its key nor a key without
//!   its thing; an answer that holds no secret (a server, a bucket) is kept whole;
//! - the process keeps the whole first answer, secret included, for ten minutes and
//!   for the last 1,000 creates at most: long enough for a client's retries, and a
//!   secret is not held in memory longer than that (nor does the map grow with traffic:
//!   the soak showed it holding every create of the day).
//!
//! A retry in the same process within that window gets the first answer again, secret
//! and all. A later retry, or one after a restart, gets the first answer when it held
//! no secret; otherwise a 409
//! `already_created` naming what the first request made, and saying that its secret
//! cannot be shown again. The same key with a different request is a 422 (as the IETF
//! Idempotency-Key draft says).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use clouddigit_core::{OwnerRef, Timestamp};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use crate::db;
use crate::error::ApiError;
use crate::secrets::sha256_hex;

const TTL: Duration = Duration::hours(24);
/// How long, and for how many creates, the process keeps whole answers (secrets too).
const MEMORY_TTL: Duration = Duration::minutes(10);
const MEMORY_ENTRIES: usize = 1_000;

/// Where the id of what a create made is, in its answer (the routes' `id_at`).
const ID_AT: [&str; 4] = ["/token/id", "/service_account/id", "/id", "/name"];
/// Fields of an answer that hold a secret shown once.
const SECRET_FIELDS: [&str; 2] = ["secret", "client_secret"];

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

fn has_secret(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| (SECRET_FIELDS.contains(&k.as_str()) && v.is_string()) || has_secret(v)),
        Value::Array(items) => items.iter().any(has_secret),
        _ => false,
    }
}

fn made_id(v: &Value) -> Option<String> {
    ID_AT
        .iter()
        .find_map(|p| v.pointer(p).and_then(Value::as_str))
        .map(str::to_owned)
}

fn replayed(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}

fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(k) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    k.to_str()
        .ok()
        .filter(|k| {
            !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x20..=0x7e).contains(&b))
        })
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible characters",
            )
        })
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different request",
    )
}

/// One create, as the store tells it from another: who asks, with which key (in the
/// headers), on which route, with which body.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub owner: &'a OwnerRef,
    pub headers: &'a HeaderMap,
    pub route: &'a str,
    pub body: &'a Value,
}

fn lock(db: &Mutex<Connection>) -> Result<MutexGuard<'_, Connection>, ApiError> {
    db.lock()
        .map_err(|_| ApiError::internal("database lock poisoned"))
}

/// Runs `create` at most once per (owner, key, request), in one transaction with the
/// key's record. `create` runs under the database lock, so two concurrent retries
/// cannot both create.
pub fn run<T: Serialize>(
    store: &IdempotencyStore,
    db: &Mutex<Connection>,
    now: Timestamp,
    attempt: Attempt<'_>,
    create: impl FnOnce(&Connection) -> Result<(StatusCode, T), ApiError>,
) -> Result<Response, ApiError> {
    let Attempt {
        owner,
        headers,
        route,
        body,
    } = attempt;
    let Some(key) = key_of(headers)? else {
        let conn = lock(db)?;
        let (status, v) = db::atomically(&conn, create)?;
        return Ok((status, axum::Json(v)).into_response());
    };
    let fingerprint = sha256_hex(&format!("{route}\n{body}"));
    let slot = (owner_key(owner), key);
    {
        let mut map = store
            .entries
            .lock()
            .map_err(|_| ApiError::internal("idempotency lock poisoned"))?;
        map.retain(|_, e| now - e.at < MEMORY_TTL);
        if let Some(e) = map.get(&slot) {
            if e.fingerprint != fingerprint {
                return Err(reused());
            }
            return Ok(replayed(e.status, e.body.clone()));
        }
    }
    let conn = lock(db)?;
    // A concurrent retry may have finished while this one waited for the database.
    if let Some(e) = store
        .entries
        .lock()
        .ok()
        .and_then(|m| m.get(&slot).cloned())
    {
        if e.fingerprint != fingerprint {
            return Err(reused());
        }
        return Ok(replayed(e.status, e.body));
    }
    let since = db::ts(now - TTL);
    conn.execute("DELETE FROM idempotency WHERE created_at < ?1", [&since])?;
    let kept: Option<(String, u16, Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT fingerprint, status, resource_id, body FROM idempotency WHERE owner = ?1 AND key = ?2",
            [&slot.0, &slot.1],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    if let Some((kept_fingerprint, status, id, kept_body)) = kept {
        if kept_fingerprint != fingerprint {
            return Err(reused());
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        if let Some(b) = kept_body.and_then(|b| serde_json::from_str::<Value>(&b).ok()) {
            return Ok(replayed(status, b));
        }
        let id = id.unwrap_or_default();
        return Err(ApiError::conflict(
            "already_created",
            format!(
                "an earlier request with this Idempotency-Key already made {id}; its secret was shown once, in that request's answer, and cannot be shown again (revoke {id} and create another if the secret is lost)"
            ),
        )
        .with("id", id));
    }
    let (status, v) = db::atomically(&conn, |tx| {
        let (status, v) = create(tx)?;
        let v = serde_json::to_value(&v)?;
        // The answer without its secret is kept whole; with one, only what it made.
        let whole = (!has_secret(&v)).then(|| v.to_string());
        tx.execute(
            "INSERT INTO idempotency (owner, key, fingerprint, status, resource_id, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                slot.0,
                slot.1,
                fingerprint,
                status.as_u16(),
                made_id(&v),
                whole,
                db::ts(now)
            ],
        )?;
        Ok::<_, ApiError>((status, v))
    })?;
    // Remembered before the database is let go, so a retry waiting for it finds this.
    if let Ok(mut map) = store.entries.lock() {
        if map.len() >= MEMORY_ENTRIES {
            let oldest = map.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(
            slot,
            Entry {
                fingerprint,
                status,
                body: v.clone(),
                at: now,
            },
        );
    }
    drop(conn);
    Ok((status, axum::Json(v)).into_response())
}
