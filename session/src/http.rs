//! Bytes-level request and response, as the host's transport sees them.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Headers whose values are secrets: never logged, never shown by `Debug`.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-client-secret",
    "x-amz-security-token",
];

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub body: Option<String>,
    pub timeout_ms: u64,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// One line for `CD_LOG=debug`, secrets replaced.
    pub fn log_line(&self, attempt: u32) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, v)| {
                if is_secret_header(k) {
                    format!("{k}: [redacted]")
                } else {
                    format!("{k}: {v}")
                }
            })
            .collect();
        format!(
            "clouddigit: {} {} (attempt {}) [{}]",
            self.method,
            self.url,
            attempt + 1,
            headers.join("; ")
        )
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_secret_header(k) {
                        "[redacted]"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body.as_ref().map(|b| b.len()))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum TransportError {
    #[error("could not connect: {message}")]
    Connect { message: String },
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {message}")]
    Other { message: String },
}

/// The most redirects a transport follows for one request.
pub const MAX_REDIRECTS: u32 = 5;

/// What a transport does with the response it just got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterResponse {
    /// Hand it to the core as the attempt's answer.
    Answer,
    /// A redirect to follow: send this request next.
    Follow(HttpRequest),
    /// A redirect not to follow: fail the attempt with this.
    Refuse(TransportError),
}

/// The redirect handling of every host's own transport (Python's `urllib`, Rust's
/// `reqwest`, Node's `fetch`), so none of them follows a redirect the way its library
/// happens to: `hops` is how many were followed already. The target is decided by
/// [`crate::redirect`] (credentials only back to their origin, never from https
/// down to http, plain http only to this machine); the method and body change as
/// browsers change them (303, and 301/302 after a POST, become a GET without a body).
pub fn after_response(
    req: &HttpRequest,
    resp: &HttpResponse,
    hops: u32,
    allow_insecure_http: bool,
) -> AfterResponse {
    if !matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
        return AfterResponse::Answer;
    }
    let Some(location) = resp.header("location") else {
        return AfterResponse::Answer;
    };
    if hops >= MAX_REDIRECTS {
        return AfterResponse::Refuse(TransportError::Other {
            message: format!("more than {MAX_REDIRECTS} redirects"),
        });
    }
    match crate::redirect(&req.url, location, allow_insecure_http) {
        crate::Redirect::Refuse { reason } => {
            AfterResponse::Refuse(TransportError::Other { message: reason })
        }
        crate::Redirect::Follow {
            url,
            keep_credentials,
        } => {
            let to_get = resp.status == 303 && !req.method.eq_ignore_ascii_case("HEAD")
                || matches!(resp.status, 301 | 302) && req.method.eq_ignore_ascii_case("POST");
            let headers = req
                .headers
                .iter()
                .filter(|(k, _)| keep_credentials || !is_secret_header(k))
                .filter(|(k, _)| {
                    !(to_get
                        && (k.eq_ignore_ascii_case("content-type")
                            || k.eq_ignore_ascii_case("content-length")))
                })
                .cloned()
                .collect();
            AfterResponse::Follow(HttpRequest {
                method: if to_get {
                    "GET".into()
                } else {
                    req.method.clone()
                },
                url,
                headers,
                body: if to_get { None } else { req.body.clone() },
                timeout_ms: req.timeout_ms,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: "https://api.bd-dha-1.mymine.space/v1/iam/tokens".into(),
            headers: vec![
                ("authorization".into(), "Bearer cd_x".into()),
                ("content-type".into(), "application/json".into()),
                ("idempotency-key".into(), "k".into()),
            ],
            body: Some("{}".into()),
            timeout_ms: 1000,
        }
    }

    fn redirect(status: u16, to: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Location".into(), to.into())],
            body: String::new(),
        }
    }

    #[test]
    fn redirects_keep_credentials_home_and_change_methods_as_browsers_do() {
        // Same origin, 307: everything kept.
        let AfterResponse::Follow(next) =
            after_response(&req(), &redirect(307, "/v1/iam/tokens2"), 0, false)
        else {
            panic!("307 to the same origin is followed")
        };
        assert_eq!(
            (next.method.as_str(), next.body.as_deref()),
            ("POST", Some("{}"))
        );
        assert!(next.header("authorization").is_some());
        // Another origin: the credentials stay behind.
        let AfterResponse::Follow(next) = after_response(
            &req(),
            &redirect(308, "https://elsewhere.example/x"),
            0,
            false,
        ) else {
            panic!("308 is followed")
        };
        assert!(next.header("authorization").is_none());
        assert_eq!(next.header("idempotency-key"), Some("k"));
        // 303: a GET without the body.
        let AfterResponse::Follow(next) = after_response(&req(), &redirect(303, "/v1/x"), 0, false)
        else {
            panic!("303 is followed")
        };
        assert_eq!((next.method.as_str(), next.body.as_deref()), ("GET", None));
        assert!(next.header("content-type").is_none());
        // Down to http, or too many hops: refused.
        assert!(matches!(
            after_response(
                &req(),
                &redirect(302, "http://api.bd-dha-1.mymine.space/v1"),
                0,
                false
            ),
            AfterResponse::Refuse(_)
        ));
        assert!(matches!(
            after_response(&req(), &redirect(302, "/v1/x"), MAX_REDIRECTS, false),
            AfterResponse::Refuse(_)
        ));
        // Not a redirect.
        assert_eq!(
            after_response(&req(), &redirect(200, "/x"), 0, false),
            AfterResponse::Answer
        );
    }
}
