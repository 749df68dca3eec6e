//! Typed API errors, by status. Every error carries the request id the server gave,
//! and never a secret: messages come from the server's JSON or from here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{HttpResponse, TransportError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum ErrorKind {
    /// 401: the token is unknown, malformed, revoked, rotated out or expired.
    Authentication,
    /// 403: the token is valid but may not do this; `code` is the evaluator's reason.
    PermissionDenied,
    NotFound,
    Conflict,
    /// 422: `field_errors` says what to fix.
    Validation,
    /// 429: `retry_after_ms` says when to try again.
    RateLimited,
    /// 5xx.
    Server,
    /// Any other status.
    Http,
    Transport,
    Timeout,
    /// Bad client input caught before any call (validation, credentials).
    Config,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Validation => "validation",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Http => "http",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Config => "config",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[error("{} ({}){}: {message}{}", kind.as_str(), code, status.map(|s| format!(", HTTP {s}")).unwrap_or_default(), request_id.as_ref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ApiError {
    pub kind: ErrorKind,
    /// The server's code (for 403, the evaluator's reason such as
    /// `not_in_token_permissions`), or the client's.
    pub code: String,
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub field_errors: Vec<FieldError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub retry_after_ms: Option<u64>,
    /// How many retries were spent before giving up.
    #[serde(default)]
    pub retries: u32,
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    errors: Vec<FieldError>,
    /// OAuth's shape (RFC 6749 section 5.2), which token endpoints answer in.
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl ApiError {
    pub fn config(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            kind: ErrorKind::Config,
            code: code.to_owned(),
            message: message.into(),
            status: None,
            request_id: None,
            field_errors: Vec::new(),
            retry_after_ms: None,
            retries: 0,
        }
    }

    pub fn from_transport(e: &TransportError) -> ApiError {
        let (kind, code) = match e {
            TransportError::Timeout => (ErrorKind::Timeout, "timeout"),
            TransportError::Connect { .. } => (ErrorKind::Transport, "connect_failed"),
            TransportError::Other { .. } => (ErrorKind::Transport, "transport_failed"),
        };
        ApiError {
            message: e.to_string(),
            ..ApiError::config(code, "")
        }
        .with_kind(kind)
    }

    fn with_kind(mut self, kind: ErrorKind) -> ApiError {
        self.kind = kind;
        self
    }

    /// Reads an error response (the API's `code` and `message`, or OAuth's `error` and
    /// `error_description`). Bodies that are neither still give a typed error, with the
    /// status as the message.
    pub fn from_response(resp: &HttpResponse, retry_after_ms: Option<u64>) -> ApiError {
        let body: Body = serde_json::from_str(&resp.body).unwrap_or_default();
        let kind = match resp.status {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::Validation,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Http,
        };
        ApiError {
            kind,
            code: body
                .code
                .or(body.error)
                .unwrap_or_else(|| kind.as_str().to_owned()),
            message: scrub(
                &body
                    .message
                    .or(body.error_description)
                    .unwrap_or_else(|| format!("HTTP {}", resp.status)),
            ),
            status: Some(resp.status),
            request_id: body
                .request_id
                .or_else(|| resp.header("x-request-id").map(str::to_owned)),
            field_errors: body.errors,
            retry_after_ms,
            retries: 0,
        }
    }
}

/// Replaces anything shaped like a token secret with its prefix, and any JWT (an
/// identity token, a bearer) with `eyJ…[redacted]`, so even a server that echoes one
/// cannot put it into an exception or a log through this client.
pub fn scrub(text: &str) -> String {
    redact_jwts(&clouddigit_core::scan::redact_secrets(text))
}

/// `text` with every JWT-shaped run (`eyJ`, then base64url with two dots) cut.
fn redact_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Bytewise, as elsewhere: a substring search costs the page's wasm 400 bytes.
    while let Some(at) = rest.as_bytes().windows(3).position(|w| w == b"eyJ") {
        let run = rest[at..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            .count();
        let candidate = &rest[at..at + run];
        // A word that merely contains `eyJ` is not cut: a JWT starts a word.
        let starts_word = rest[..at]
            .bytes()
            .last()
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')));
        out.push_str(&rest[..at]);
        if starts_word && candidate.matches('.').count() >= 2 {
            out.push_str("eyJ…[redacted]");
        } else {
            out.push_str(candidate);
        }
        rest = &rest[at + run..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_keeps_only_prefixes() {
        let secret = format!("cd_{}", "A".repeat(42));
        let s = scrub(&format!("bad token {secret}, see cd_docs"));
        assert_eq!(s, "bad token cd_AAAAAA…, see cd_docs");
    }

    #[test]
    fn scrub_cuts_jwts() {
        let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert_eq!(
            scrub(&format!("subject_token {jwt} refused; eyJ.x alone")),
            "subject_token eyJ…[redacted] refused; eyJ.x alone"
        );
        assert_eq!(scrub(&format!("({jwt})")), "(eyJ…[redacted])");
        assert_eq!(scrub("keyJa.b.c"), "keyJa.b.c");
    }
}
