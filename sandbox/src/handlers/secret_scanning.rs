//! Secret scanning (`docs/secret-scanning.md`): `POST /v1/secret-scanning/alerts`, where a
//! scanner reports secrets it found in public, signed with a key the organization trusts,
//! and the keys themselves (`/v1/secret-scanning/keys`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::{Extension, Json};
use clouddigit_core::secret_scanning::{
    key_name_problem, reporter, AlertReport, AlertResult, TrustedKey, KEY_ID_HEADERS, MAX_ALERTS,
    MAX_BODY_BYTES, SIGNATURE_HEADERS,
};
use serde_json::Value;

use crate::auth::Caller;
use crate::bodies::{read_value, Body as JsonBody, ScanningKeyCreate};
use crate::db;
use crate::error::{ApiError, FieldError};
use crate::request::{AuditSlot, ClientIp, RequestId};
use crate::service::secret_scanning::{process, Report};
use crate::state::AppState;
use crate::views::{self, PublicKeyList, TrustedKeyView};

/// The first of `names` the request carries, as text.
fn header_of<'h>(headers: &'h HeaderMap, names: &[&str]) -> Option<Result<&'h str, ()>> {
    names
        .iter()
        .find_map(|n| headers.get(*n))
        .map(|v| v.to_str().map_err(|_| ()))
}

fn unsigned(why: &str) -> ApiError {
    ApiError::unauthorized(
        "missing_signature",
        format!(
            "{why}: send the key identifier in Github-Public-Key-Identifier and the base64 DER \
             ECDSA signature of the raw body in Github-Public-Key-Signature (or \
             X-Clouddigit-Key-Identifier and X-Clouddigit-Signature)"
        ),
    )
}

/// At most 80 characters of what a caller sent as a key identifier, for messages.
fn shown(id: &str) -> String {
    id.chars().take(80).collect()
}

/// A report of leaked secrets. The signature is checked against a trusted key over the
/// raw bytes before anything of the body is read; then each secret is judged and acted
/// on (`service::secret_scanning`), and the answer names each by its hashes, never by
/// itself.
pub async fn alerts(
    State(state): State<AppState>,
    Extension(slot): Extension<AuditSlot>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Vec<AlertResult>>, ApiError> {
    let key_id = match header_of(&headers, &KEY_ID_HEADERS) {
        None => return Err(unsigned("no key identifier")),
        Some(Err(())) => return Err(unsigned("the key identifier is not text")),
        Some(Ok(v)) => v.trim().to_owned(),
    };
    let signature = match header_of(&headers, &SIGNATURE_HEADERS) {
        None => return Err(unsigned("no signature")),
        Some(Err(())) => return Err(unsigned("the signature is not text")),
        Some(Ok(v)) => v.to_owned(),
    };
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a report is at most {MAX_BODY_BYTES} bytes: split it"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let raw = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let Some(key) = db::scanning_key(&*state.db()?, &key_id)? else {
        slot.note(format!(
            "secret scanning report refused: key {:?} is not trusted",
            shown(&key_id)
        ));
        return Err(ApiError::unauthorized(
            "unknown_key",
            format!(
                "key {:?} is not trusted by this organization (GET /v1/secret-scanning/keys lists the trusted ones)",
                shown(&key_id)
            ),
        ));
    };
    let by = reporter(&key.name);
    slot.update(|a| a.actor = Some(by.clone()));
    let trusted = TrustedKey::from_pem(&key.pem)
        .map_err(|e| ApiError::internal(format!("a stored key does not read: {e}")))?;
    if let Err(e) = trusted.verify(&raw, &signature) {
        slot.note(format!(
            "secret scanning report refused: {e} (key {})",
            key.key_identifier
        ));
        return Err(ApiError::unauthorized(
            "bad_signature",
            format!("{e}: the signature must be over the raw body, with key {key_id}"),
        )
        .with("detail", e.code()));
    }
    // Signed by a trusted key: now, and only now, the body is read.
    let json: Value = serde_json::from_slice(&raw)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    let Value::Array(items) = &json else {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the body must be a JSON array of {token, type, url, source}",
        ));
    };
    if items.len() > MAX_ALERTS {
        return Err(ApiError::bad_request(
            "too_many_alerts",
            format!(
                "{} secrets in one report; at most {MAX_ALERTS}: split it",
                items.len()
            ),
        ));
    }
    let AlertReport(alerts) = read_value(&json)?;
    let oversized: Vec<FieldError> = alerts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            a.oversized().map(|(field, max)| {
                FieldError::new(
                    format!("[{i}].{field}"),
                    "invalid_length",
                    format!("1 to {max} characters"),
                )
            })
        })
        .collect();
    if !oversized.is_empty() {
        return Err(ApiError::validation(oversized));
    }
    let outcome = {
        let conn = state.db()?;
        let policy = db::token_policy(&conn)?;
        process(
            &conn,
            &Report {
                reporter: &by,
                now: state.now(),
                policy: policy.as_ref(),
                request_id: &request_id,
                source_ip: ip.map(|i| i.to_string()),
                method: "POST",
                path: "/v1/secret-scanning/alerts",
            },
            &alerts,
        )?
    };
    slot.note(outcome.summary());
    // Queued before the call's own record, so the answer (which waits for that one)
    // leaves with every secret's record in the log.
    for event in outcome.events {
        state.record_audit(event);
    }
    Ok(Json(outcome.results))
}

/// The trusted keys, in GitHub's format: anyone may read them (a scanner checks that the
/// key it signs with is listed).
pub async fn list_keys(State(state): State<AppState>) -> Result<Json<PublicKeyList>, ApiError> {
    let keys = db::scanning_keys(&*state.db()?)?;
    Ok(Json(PublicKeyList {
        public_keys: keys.iter().map(views::public_key).collect(),
    }))
}

/// Trusts a scanner's ECDSA P-256 public key (organization admins).
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody { value, .. }: JsonBody<ScanningKeyCreate>,
) -> Result<(StatusCode, Json<TrustedKeyView>), ApiError> {
    caller.authorize(None, None)?;
    let mut errors = Vec::new();
    if let Some(why) = key_name_problem(&value.name) {
        errors.push(FieldError::new("name", "invalid_name", why));
    }
    let key = match TrustedKey::from_pem(&value.key) {
        Ok(k) => Some(k),
        Err(e) => {
            errors.push(FieldError::new("key", e.code(), e.to_string()));
            None
        }
    };
    let Some(key) = key.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let row = db::ScanningKeyRow {
        key_identifier: key.key_identifier(),
        name: value.name,
        pem: key.to_pem(),
        created_at: state.now(),
        created_by: caller.actor().origin().created_by,
    };
    let conn = state.db()?;
    if db::scanning_key(&conn, &row.key_identifier)?.is_some() {
        return Err(ApiError::conflict(
            "key_exists",
            format!("key {} is trusted already", row.key_identifier),
        ));
    }
    if db::scanning_key_named(&conn, &row.name)?.is_some() {
        return Err(ApiError::conflict(
            "name_taken",
            format!("a trusted key is named {:?} already", row.name),
        ));
    }
    db::insert_scanning_key(&conn, &row)?;
    caller.note(format!(
        "trusted secret scanning key {} ({})",
        row.key_identifier, row.name
    ));
    Ok((StatusCode::CREATED, Json(views::trusted_key(&row))))
}

/// Stops trusting a key: reports it signs are refused from now on.
pub async fn delete_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(key_identifier): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    let key = db::scanning_key(&conn, &key_identifier)?
        .ok_or_else(|| ApiError::not_found("secret scanning key"))?;
    db::delete_scanning_key(&conn, &key.key_identifier)?;
    caller.note(format!(
        "removed secret scanning key {} ({})",
        key.key_identifier, key.name
    ));
    Ok(StatusCode::NO_CONTENT)
}
