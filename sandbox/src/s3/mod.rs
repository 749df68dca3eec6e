//! The S3 endpoint: path-style S3 on a listener of its own (`--s3-port`), so that a
//! service account's access key works in any AWS SDK with only an endpoint URL. The core
//! reads which operation a request is and the permission it needs (`clouddigit_core::s3`),
//! verifies its signature and its body (`sigv4`, `s3_body`), and decides it with the same
//! evaluator as every `/v1` call; this module moves the bytes and keeps the objects.

pub mod auth;
pub mod error;
mod objects;
pub mod xml;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use clouddigit_core::s3::{operation, S3Operation};
use clouddigit_core::sigv4::SignedRequest;

use self::auth::{authenticate, Principal};
use self::error::{Detail, S3Error, S3ErrorCode};
use crate::audit::client_ip;
use crate::db::{self, AuditEvent};
use crate::request::AuditSlot;
use crate::secrets::{new_id, scrub};
use crate::state::AppState;

/// The S3 listener's router: every path is S3's.
pub fn router(state: AppState) -> Router {
    Router::new()
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware,
        ))
        .with_state(state)
}

/// A request's parts as the core reads them.
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub operation: S3Operation,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        crate::query::url_pairs(&self.query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn bucket(&self) -> Result<&str, S3Error> {
        self.bucket
            .as_deref()
            .ok_or_else(|| S3Error::new("InvalidRequest", "no bucket in the path"))
    }

    pub fn key(&self) -> Result<&str, S3Error> {
        self.key
            .as_deref()
            .ok_or_else(|| S3Error::new("InvalidRequest", "no key in the path"))
    }
}

/// Every S3 call: its request id, the failure limiter, and its audit record (actor,
/// access key id, operation, bucket, key and status), written before the answer leaves.
async fn middleware(
    State(state): State<AppState>,
    mut req: Request,
    next: axum::middleware::Next,
) -> Response {
    let request_id = new_id("req");
    let slot = AuditSlot::default();
    let ip = client_ip(&req, state.0.trust_proxy);
    let ip_key = ip.map_or_else(|| "unknown".to_owned(), |i| i.to_string());
    let throttled = state.0.failures.exhausted(&ip_key);
    req.extensions_mut().insert(slot.clone());
    req.extensions_mut().insert(crate::request::ClientIp(ip));
    let method = req.method().as_str().to_owned();
    let path = scrub(req.uri().path());
    // A presigned URL's signature is a credential until it expires: never logged.
    let query = req.uri().query().map(|q| scrub(&redact_signature(q)));
    let mut resp = match throttled {
        Some(_) => S3Error::new(
            "SlowDown",
            "Too many failed requests from this address; slow down.",
        )
        .into_response(),
        None => next.run(req).await,
    };
    let status = resp.status();
    if throttled.is_none() && matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        state.0.failures.consume(&ip_key);
    }
    let code = resp.extensions_mut().remove::<S3ErrorCode>().map(|c| c.0);
    let detail = resp.extensions_mut().remove::<Detail>().map(|d| d.0);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amz-request-id", v.clone());
        resp.headers_mut().insert("x-request-id", v);
    }
    if let Some(d) = detail {
        slot.note(d);
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
        error_code: code,
        source_ip: ip.map(|i| i.to_string()),
        token_id: info.token_id,
        detail: info.detail.map(|d| scrub(&d)),
        ..AuditEvent::default()
    };
    let seq = state.record_audit(event);
    state.audit_written(seq).await;
    resp
}

fn redact_signature(query: &str) -> String {
    query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("X-Amz-Signature") => format!("{k}=REDACTED"),
            _ => p.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    // An empty body sent with `Expect: 100-continue` gets its answer without a 100
    // (there is nothing to continue). botocore then, now and again under concurrency,
    // waits on that connection's next request for an answer already given (the aws
    // CLI's sync of a tree with an empty file stalled once in a few runs, read
    // timeout): the connection is closed after such an answer, so none is reused.
    let close = req
        .headers()
        .get(axum::http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
        && req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0");
    let mut resp = match handle(&state, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    if close {
        resp.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    resp
}

async fn handle(state: &AppState, req: Request) -> Result<Response, S3Error> {
    let (parts, body) = req.into_parts();
    let slot = parts
        .extensions
        .get::<AuditSlot>()
        .cloned()
        .unwrap_or_default();
    let ip = parts
        .extensions
        .get::<crate::request::ClientIp>()
        .and_then(|c| c.0);
    let headers = header_pairs(&parts.headers)?;
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let copy_source = parts.headers.contains_key("x-amz-copy-source");
    let read = operation(&method, &path, &query, copy_source).map_err(|e| {
        S3Error::new(
            "NotImplemented",
            format!("{e}: path-style requests only (http://endpoint/bucket/key)"),
        )
    })?;
    let call = Call {
        method,
        path,
        query,
        headers,
        bucket: read.bucket,
        key: read.key,
        operation: read.operation,
    };
    let principal = authenticate(
        state,
        &SignedRequest {
            method: &call.method,
            path: &call.path,
            query: &call.query,
            headers: &call.headers,
            body_sha256: None,
        },
        ip,
        &slot,
        call.operation.permission(),
    )?;
    slot.note(describe(&call, &principal));
    objects::run(state, &call, &principal, body).await
}

/// `S3 PutObject web-assets/a/b.txt` for the audit record.
fn describe(call: &Call, p: &Principal) -> String {
    let mut s = format!("S3 {:?}", call.operation);
    if let Some(b) = &call.bucket {
        s.push(' ');
        s.push_str(b);
        if let Some(k) = &call.key {
            s.push('/');
            s.push_str(k);
        }
    }
    s.push_str(&format!(" with access key {}", p.key_id));
    s
}

/// Headers as text pairs; a value that is not text is refused (it could not have been
/// signed as the client meant it).
fn header_pairs(h: &HeaderMap) -> Result<Vec<(String, String)>, S3Error> {
    h.iter()
        .map(|(k, v)| {
            v.to_str()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
                .map_err(|_| {
                    S3Error::new(
                        "InvalidArgument",
                        format!("header {} is not ASCII text", k.as_str()),
                    )
                })
        })
        .collect()
}

/// Starts the S3 listener.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let listener = crate::listen::nodelay(listener);
    let app = router(state);
    let task = tokio::spawn(async move {
        let mut shutdown = shutdown;
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await
    });
    Ok((local, task))
}

/// A body to stream back.
pub fn stream_file(file: tokio::fs::File, len: u64) -> Body {
    use tokio::io::AsyncReadExt;
    let reader = tokio_util::io::ReaderStream::with_capacity(file.take(len), 256 * 1024);
    Body::from_stream(reader)
}
