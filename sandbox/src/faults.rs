//! Fault injection for SDK tests: the next N calls (optionally under a path prefix)
//! answer with a status (503, 429 with `Retry-After`, ...) without being handled, or
//! are handled and then lose their response (the connection is cut), which is how a
//! create gets "interrupted" after the server made the token.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What to fail: `{count, status (503, 429...), drop, path_prefix, method, retry_after,
/// retry_after_ms, should_retry}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// How many matching calls fail; 0 clears the plan.
    pub count: u32,
    /// Answer with this status instead of handling the call.
    #[serde(default)]
    pub status: Option<u16>,
    /// Handle the call, then cut the connection before the response arrives.
    #[serde(default)]
    pub drop: bool,
    /// Only calls whose path starts with this (default: every `/v1` call).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Only calls with this method.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub retry_after: Option<String>,
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// Sent as `x-should-retry`.
    #[serde(default)]
    pub should_retry: Option<bool>,
}

/// The armed plan (`null`: none) and how many faults it injected.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FaultStatus {
    pub plan: Option<FaultPlan>,
    pub injected: u32,
}

#[derive(Debug, Default)]
pub struct Faults {
    plan: Mutex<Option<FaultPlan>>,
    /// How many faults were injected since the plan was set (tests read it).
    injected: Mutex<u32>,
}

impl Faults {
    pub fn set(&self, plan: FaultPlan) {
        *self.plan.lock().unwrap_or_else(|p| p.into_inner()) = (plan.count > 0).then_some(plan);
        *self.injected.lock().unwrap_or_else(|p| p.into_inner()) = 0;
    }

    pub fn status(&self) -> FaultStatus {
        FaultStatus {
            plan: self.plan.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            injected: *self.injected.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Takes one fault for this call, if the plan has one for it.
    fn take(&self, method: &str, path: &str) -> Option<FaultPlan> {
        let mut guard = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        let plan = guard.as_mut()?;
        let prefix = plan.path_prefix.as_deref().unwrap_or("/v1/");
        if !path.starts_with(prefix)
            || plan
                .method
                .as_deref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return None;
        }
        let taken = plan.clone();
        plan.count -= 1;
        if plan.count == 0 {
            *guard = None;
        }
        *self.injected.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        Some(taken)
    }
}

/// A body that fails on first read: hyper aborts the connection.
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection dropped",
        ))))
    }
}

/// Fails the calls the armed plan names (the router layers it over every route with the
/// server's own [`Faults`]).
pub async fn middleware(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_sandbox") {
        return next.run(req).await;
    }
    let Some(fault) = faults.take(req.method().as_str(), &path) else {
        return next.run(req).await;
    };
    if fault.drop {
        let handled = next.run(req).await;
        let (parts, _) = handled.into_parts();
        return Response::from_parts(parts, Body::new(Broken));
    }
    let status = StatusCode::from_u16(fault.status.unwrap_or(503))
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = if status == StatusCode::TOO_MANY_REQUESTS {
        "rate_limited"
    } else {
        "injected_fault"
    };
    // Through the one error type, so the audit layer answers it as any other error
    // (`{code, message, request_id}` with the call's own request id).
    let mut resp = ApiError::new(
        status,
        code,
        format!("injected fault (HTTP {})", status.as_u16()),
    )
    .into_response();
    let h = resp.headers_mut();
    if let Some(v) = fault
        .retry_after
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        h.insert("retry-after", v);
    }
    if let Some(ms) = fault.retry_after_ms {
        h.insert("retry-after-ms", HeaderValue::from(ms));
    }
    if let Some(b) = fault.should_retry {
        h.insert(
            "x-should-retry",
            HeaderValue::from_static(if b { "true" } else { "false" }),
        );
    }
    resp
}
