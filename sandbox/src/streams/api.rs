//! What `/v1/audit/streams` reads and answers, and the checks on a new stream.

use clouddigit_core::audit_format::AuditFormat;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::store::Health;
use super::{Sink, StreamRow, StreamStatus};
use crate::error::FieldError;

/// The longest stream name.
pub const MAX_NAME_CHARS: usize = 64;
/// The longest S3 key prefix.
pub const MAX_PREFIX_CHARS: usize = 256;

/// `POST /v1/audit/streams`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamCreate {
    /// 1 to 64 characters.
    #[schemars(length(min = 1, max = 64))]
    pub name: String,
    /// The records' shape: `json` (ours, the default), `ocsf` or `cloudtrail`.
    #[serde(default)]
    pub format: AuditFormat,
    pub sink: Sink,
}

/// A stream as the API shows it. The webhook's secret is never shown again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditStream {
    pub id: String,
    pub name: String,
    pub format: AuditFormat,
    pub sink: Sink,
    pub status: StreamStatus,
    pub created_at: String,
    pub created_by: Option<String>,
    pub health: Health,
}

/// `POST /v1/audit/streams` answers the stream and, for a webhook, the secret its
/// deliveries are signed with: shown once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreatedStream {
    pub stream: AuditStream,
    pub signing_secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditStreamList {
    pub streams: Vec<AuditStream>,
}

/// `POST /v1/audit/streams/{id}/test`: one test event sent to the sink now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StreamTest {
    pub delivered: bool,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

pub fn view(
    row: StreamRow,
    buffered: u64,
    oldest: Option<&str>,
    now: clouddigit_core::Timestamp,
) -> AuditStream {
    let mut health = row.health;
    health.buffered = buffered;
    health.lag_seconds = oldest
        .and_then(|t| t.parse::<clouddigit_core::Timestamp>().ok())
        .map_or(0, |t| (now - t).num_seconds().max(0));
    health.state = match (row.status, &health.failing_since) {
        (StreamStatus::Paused, _) => "paused",
        (_, Some(_)) => "failing",
        _ => "healthy",
    }
    .to_owned();
    AuditStream {
        id: row.id,
        name: row.name,
        format: row.format,
        sink: row.sink,
        status: row.status,
        created_at: row.created_at,
        created_by: row.created_by,
        health,
    }
}

/// What is wrong with a new stream's fields, each named (the bucket's existence is
/// checked by the handler, which has the database).
pub fn check(c: &StreamCreate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chars = c.name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || c.name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "invalid_name",
            format!("1 to {MAX_NAME_CHARS} characters, no control characters"),
        ));
    }
    match &c.sink {
        Sink::Webhook { url } => {
            use clouddigit_session::config::Origin;
            match Origin::parse(url) {
                None => errors.push(FieldError::new(
                    "sink.url",
                    "invalid_url",
                    "an http(s) URL with a host",
                )),
                Some(o) if !o.secure() && !o.is_loopback() => errors.push(FieldError::new(
                    "sink.url",
                    "insecure_url",
                    "https, or plain http only to this machine (localhost, 127.0.0.1, ::1)",
                )),
                Some(_)
                    if url.len() > 2048
                        || url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
                {
                    errors.push(FieldError::new(
                        "sink.url",
                        "invalid_url",
                        "at most 2048 characters, no spaces",
                    ))
                }
                Some(_) => {}
            }
        }
        Sink::Syslog { host, port } => {
            let ok = !host.is_empty()
                && host.len() <= 253
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
            if !ok {
                errors.push(FieldError::new(
                    "sink.host",
                    "invalid_host",
                    "a host name or IP address",
                ));
            }
            if *port == 0 {
                errors.push(FieldError::new("sink.port", "invalid_port", "1 to 65535"));
            }
        }
        Sink::S3 { bucket, prefix } => {
            if bucket.is_empty() {
                errors.push(FieldError::new(
                    "sink.bucket",
                    "invalid_bucket",
                    "a bucket name",
                ));
            }
            if let Some(p) = prefix {
                if p.chars().count() > MAX_PREFIX_CHARS
                    || p.starts_with('/')
                    || p.chars().any(char::is_control)
                {
                    errors.push(FieldError::new(
                        "sink.prefix",
                        "invalid_prefix",
                        format!("at most {MAX_PREFIX_CHARS} characters, not starting with /"),
                    ));
                }
            }
        }
    }
    errors
}
