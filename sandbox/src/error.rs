//! Typed API errors. Every error leaves as JSON `{code, message, request_id, ...}`: the
//! handler builds an [`ErrorPayload`] and the audit middleware adds the request id,
//! records the code and serializes it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use clouddigit_core::{Decision, Reason};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// One field of a request body that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The body of every error answer, as the OpenAPI document describes it: [`ApiError`]
/// builds it (`code`, `message` and what [`ApiError::with`] adds) and the audit
/// middleware adds `request_id`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    /// Stable machine code: missing_token, malformed_token, unknown_token, revoked,
    /// rotated, expired, owner_inactive, ip_not_allowed, not_in_role,
    /// not_in_token_permissions, project_out_of_scope, tag_mismatch, step_up_required,
    /// in_rotation_grace, quarantined, creator_denied, sandbox_admin_only, rate_limited,
    /// missing_signature, unknown_key, bad_signature (secret scanning reports),
    /// validation_failed, not_found, ...
    pub code: String,
    pub message: String,
    pub request_id: String,
    /// creator_denied: the reason of the credential this token was made through
    /// (revoked, not_in_role...)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_reason: Option<String>,
    /// The permission the call maps to (authorization errors)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The token format error code (malformed_token)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// validation_failed: every bad field
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub extra: Map<String, Value>,
    pub retry_after: Option<u64>,
}

/// The error's body without the request id, carried to the middleware in the response's
/// extensions.
#[derive(Debug, Clone)]
pub struct ErrorPayload(pub Map<String, Value>);

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn unauthorized(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn too_many_requests(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests for this token; retry in {retry_after}s"),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// 429 for an address that made too many failed or unauthenticated calls.
    pub fn too_many_failures(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed or unauthenticated calls from this address; retry in {retry_after}s"),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// 422 with every bad field.
    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let n = errors.len();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!(
                "{n} invalid field{}: {}",
                if n == 1 { "" } else { "s" },
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
        .with(
            "errors",
            serde_json::to_value(errors).unwrap_or(Value::Null),
        )
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::validation(vec![FieldError::new(field, code, message)])
    }

    /// A denial from the evaluator: 401 when the token itself is dead (revoked, rotated
    /// out, expired, owner no longer active), 403 otherwise, with the reason as the code.
    pub fn denied(d: &Decision) -> ApiError {
        let status = match d.reason {
            Reason::Revoked | Reason::Rotated | Reason::Expired | Reason::OwnerInactive => {
                StatusCode::UNAUTHORIZED
            }
            _ => StatusCode::FORBIDDEN,
        };
        let mut e = ApiError::new(status, reason_code(d.reason), d.message.clone());
        if let Some(p) = &d.permission {
            e = e.with("permission", p.clone());
        }
        e
    }
}

impl ApiError {
    /// A denial by a credential the caller descends from: the call is refused because
    /// the credential that made this token (or one before it) may not make it. 401 when
    /// that credential is dead (revoked, rotated out, expired, owner gone), 403 otherwise.
    pub fn creator_denied(d: &Decision, ancestor: &str) -> ApiError {
        let status = match d.reason {
            Reason::Revoked | Reason::Rotated | Reason::Expired | Reason::OwnerInactive => {
                StatusCode::UNAUTHORIZED
            }
            _ => StatusCode::FORBIDDEN,
        };
        let mut e = ApiError::new(
            status,
            "creator_denied",
            format!(
                "denied (creator_denied): this token was made through {ancestor}, which may not make this call: {}",
                d.message
            ),
        )
        .with("creator_reason", reason_code(d.reason));
        if let Some(p) = &d.permission {
            e = e.with("permission", p.clone());
        }
        e
    }
}

/// The wire name of a reason: the core's own table.
pub use clouddigit_core::evaluator::reason_code;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let oauth = self.extra.contains_key("error");
        let mut body = Map::new();
        body.insert("code".into(), Value::String(self.code));
        body.insert("message".into(), Value::String(self.message));
        body.extend(self.extra);
        let mut resp = (self.status, axum::Json(Value::Object(body.clone()))).into_response();
        if self.status == StatusCode::UNAUTHORIZED && !oauth {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"clouddigit\", error=\"invalid_token\""),
            );
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ErrorPayload(body));
        resp
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::internal(format!("database: {e}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::internal(format!("json: {e}"))
    }
}

impl From<clouddigit_core::EvaluateError> for ApiError {
    fn from(e: clouddigit_core::EvaluateError) -> ApiError {
        ApiError::internal(format!("stored token cannot be evaluated: {e}"))
    }
}

/// The code the middleware gives an error response that no handler built (axum's own
/// rejections: bad JSON, wrong method, unknown route).
pub fn generic_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        _ if status.is_server_error() => "internal",
        _ => "error",
    }
}

pub fn json_ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

pub fn json_status(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

pub fn empty_json() -> Value {
    json!({})
}
