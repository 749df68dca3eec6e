//! The audit log's writing side: a middleware that gives every call a request id, turns
//! every error into the JSON error shape, and records the call (the endpoints that read
//! the log are `handlers::audit`).

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::db::{self, AuditEvent};
use crate::error::{generic_code, ApiError, ErrorPayload};
use crate::request::{AuditSlot, ClientIp, RequestId};
use crate::secrets::{new_id, scrub};
use crate::state::AppState;

/// The caller's address. Behind `trust_proxy` proxies of its own, the sandbox takes it
/// from `X-Forwarded-For`, counting from the right: each proxy appends the address it
/// received the call from, so the entry `trust_proxy` places from the end was written by
/// the outermost trusted proxy, and everything left of it is whatever the client sent
/// (which is why the leftmost entry is never trusted). A request that passed through
/// fewer proxies (no header, or too few entries) is read from the connection; an entry
/// that is not an address gives no address at all, which every allow-list refuses.
pub fn client_ip(req: &Request, trust_proxy: u8) -> Option<IpAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    if trust_proxy == 0 {
        return peer;
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match hops.len().checked_sub(usize::from(trust_proxy)) {
        Some(i) => hops[i].parse::<IpAddr>().ok().map(|ip| ip.to_canonical()),
        None => peer,
    }
}

pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let request_id = new_id("req");
    let slot = AuditSlot::default();
    let ip = client_ip(&req, state.0.trust_proxy);
    let ip_key = ip.map_or_else(|| "unknown".to_owned(), |i| i.to_string());
    // An address that keeps failing (wrong tokens, denied calls, grant attempts) is slowed
    // down before anything is looked up for it.
    let unauthenticated = !req.headers().contains_key(header::AUTHORIZATION);
    let throttled = state.0.failures.exhausted(&ip_key);
    req.extensions_mut().insert(slot.clone());
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().as_str().to_owned();
    let path = scrub(req.uri().path());
    let query = req.uri().query().map(scrub);

    let resp = match throttled {
        Some(wait) => ApiError::too_many_failures(wait).into_response(),
        None => next.run(req).await,
    };
    let status = resp.status();
    if throttled.is_none()
        && (matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            || (unauthenticated && path_is_open(&path)))
    {
        state.0.failures.consume(&ip_key);
    }
    let (resp, error_code) = finish_error(resp, &request_id).await;
    let mut resp = resp;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }

    let info = slot.take();
    let event = AuditEvent {
        request_id,
        time: db::ts(state.now()),
        token_name: info.token_name,
        token_prefix: info.token_prefix,
        actor: info.actor,
        method,
        path,
        query,
        project: info.project,
        status: status.as_u16(),
        error_code,
        source_ip: ip.map(|i| i.to_string()),
        token_id: info.token_id,
        detail: info.detail.map(|d| scrub(&d)),
        hashed_token: info.hashed_token,
        ..AuditEvent::default()
    };
    // The answer leaves once the call is in the log.
    let seq = state.record_audit(event);
    state.audit_written(seq).await;
    resp
}

/// Every error leaves as `{code, message, request_id, ...}`, whoever made it.
async fn finish_error(resp: Response, request_id: &str) -> (Response, Option<String>) {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return (resp, None);
    }
    let (mut parts, body) = resp.into_parts();
    let mut map = match parts.extensions.remove::<ErrorPayload>() {
        Some(ErrorPayload(m)) => m,
        None => {
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            let mut m = Map::new();
            m.insert(
                "code".into(),
                Value::String(generic_code(status).to_owned()),
            );
            m.insert(
                "message".into(),
                Value::String(if text.is_empty() {
                    status.canonical_reason().unwrap_or("error").to_lowercase()
                } else {
                    text
                }),
            );
            m
        }
    };
    map.insert("request_id".into(), Value::String(request_id.to_owned()));
    let code = map
        .get("code")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| map.get("error").and_then(Value::as_str).map(str::to_owned));
    let bytes = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (Response::from_parts(parts, Body::from(bytes)), code)
}

/// The routes anyone may call without a token (the token grant, the document, secret
/// scanning reports and their keys): each call counts against its address, as a failure
/// does.
fn path_is_open(path: &str) -> bool {
    path.starts_with("/realms/")
        || path == "/v1/openapi.json"
        || path == "/v1/secret-scanning/alerts"
        || path == "/v1/secret-scanning/keys"
}
