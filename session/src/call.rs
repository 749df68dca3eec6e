//! One API call as a state machine: the request, and for each response or failure
//! "wait this long and send again" or "done". The session ([`crate::machine`]) runs one
//! per operation, around the credentials and the bearer refresh.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::config::ClientConfig;
use super::error::{ApiError, ErrorKind};
use super::http::{HttpRequest, HttpResponse, TransportError};
use super::ops::{encode, Operation};
use super::retry::{server_wait_ms, RetryDecision, RetryPolicy};

/// The SDK's `User-Agent`: name, version and host (`node`, `python`, `browser`, `rust`).
pub fn user_agent(host: &str) -> String {
    format!(
        "clouddigit-sdk/{} ({host}; core {})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION")
    )
}

/// What the host does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Sleep, then build the request again (`request`) and send it. `retry` counts
    /// from 1; `cause` says why, for the retry hook and debug logs.
    Wait {
        wait_ms: u64,
        retry: u32,
        cause: String,
    },
    Done(Result<Value, ApiError>),
}

#[derive(Debug, Clone)]
pub struct Call {
    op: Operation,
    url: String,
    idempotency_key: Option<String>,
    retries: u32,
    policy: RetryPolicy,
    timeout_ms: u64,
    user_agent: String,
}

impl Call {
    /// `idempotency_key` is asked for once (the host's random source), and only
    /// when the operation needs one.
    pub fn new(
        config: &ClientConfig,
        op: Operation,
        idempotency_key: impl FnOnce() -> String,
        user_agent: String,
    ) -> Result<Call, ApiError> {
        let base = config
            .base_url()
            .map_err(|e| ApiError::config(e.code(), e.to_string()))?;
        let (_, path, query, _) = op.parts();
        let mut url = format!("{base}{path}");
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            url.push('?');
            url.push_str(&q.join("&"));
        }
        Ok(Call {
            idempotency_key: op.needs_idempotency_key().then(idempotency_key),
            op,
            url,
            retries: 0,
            policy: RetryPolicy {
                max_retries: config.max_retries,
                max_retry_wait_ms: config.max_retry_wait_ms,
                ..RetryPolicy::default()
            },
            timeout_ms: config.timeout_ms,
            user_agent,
        })
    }

    pub fn operation(&self) -> &Operation {
        &self.op
    }

    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The request for the current attempt. The bearer is asked for each time, so a
    /// credential provider can hand out a fresh one.
    pub fn request(&self, bearer: &str) -> HttpRequest {
        let (method, _, _, body) = self.op.parts();
        let mut headers = vec![
            ("Authorization".to_owned(), format!("Bearer {bearer}")),
            ("Accept".to_owned(), "application/json".to_owned()),
            ("User-Agent".to_owned(), self.user_agent.clone()),
        ];
        if let Some(k) = &self.idempotency_key {
            headers.push(("Idempotency-Key".to_owned(), k.clone()));
        }
        if self.retries > 0 {
            headers.push(("X-Retry-Count".to_owned(), self.retries.to_string()));
        }
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        HttpRequest {
            method: method.to_owned(),
            url: self.url.clone(),
            headers,
            body: body.map(Value::to_string),
            timeout_ms: self.timeout_ms,
        }
    }

    fn idempotent(&self) -> bool {
        matches!(self.op.parts().0, "GET" | "DELETE") || self.idempotency_key.is_some()
    }

    pub fn on_response(&mut self, resp: &HttpResponse, now: DateTime<Utc>, jitter: f64) -> Step {
        if (200..300).contains(&resp.status) {
            return Step::Done(self.op.read_output(&resp.body).map_err(|why| {
                let mut err = ApiError::from_response(resp, None);
                err.kind = ErrorKind::Server;
                err.code = "bad_response".into();
                err.message = format!("the response does not fit the API's model: {why}");
                err.retries = self.retries;
                err
            }));
        }
        let decision =
            self.policy
                .after_response(resp, self.retries, self.idempotent(), now, jitter);
        match decision {
            RetryDecision::Retry { wait_ms } => {
                self.retries += 1;
                Step::Wait {
                    wait_ms,
                    retry: self.retries,
                    cause: format!("HTTP {}", resp.status),
                }
            }
            RetryDecision::Stop => {
                let mut err = ApiError::from_response(resp, server_wait_ms(resp, now));
                err.retries = self.retries;
                Step::Done(Err(err))
            }
            RetryDecision::StopWaitTooLong { retry_after_ms } => {
                let mut err = ApiError::from_response(resp, Some(retry_after_ms));
                err.retries = self.retries;
                err.message = format!(
                    "{} (the server asked to wait {} s, more than the {} s this client allows)",
                    err.message,
                    retry_after_ms.div_ceil(1000),
                    self.policy.max_retry_wait_ms / 1000
                );
                Step::Done(Err(err))
            }
        }
    }

    pub fn on_transport_error(&mut self, error: &TransportError, jitter: f64) -> Step {
        match self
            .policy
            .after_transport_error(error, self.retries, self.idempotent(), jitter)
        {
            RetryDecision::Retry { wait_ms } => {
                self.retries += 1;
                Step::Wait {
                    wait_ms,
                    retry: self.retries,
                    cause: error.to_string(),
                }
            }
            _ => {
                let mut err = ApiError::from_transport(error);
                err.retries = self.retries;
                Step::Done(Err(err))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    // A blocking loop over one Call, as the session's exchange runs it: what these tests
    // drive the retry rules with.
    /// A blocking host: sends bytes, sleeps, tells the time and gives jitter.
    pub trait Transport {
        fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
        fn sleep_ms(&mut self, ms: u64);
        fn now(&self) -> DateTime<Utc>;
        /// A random number in [0, 1).
        fn jitter(&mut self) -> f64;
        /// A fresh idempotency key (random, unique per call).
        fn idempotency_key(&mut self) -> String;
        /// Called before each retry (the retry hook; `CD_LOG=debug` logging).
        fn on_retry(&mut self, _retry: u32, _wait_ms: u64, _cause: &str) {}
    }

    /// Runs one call to the end over a blocking transport.
    pub fn execute(
        transport: &mut dyn Transport,
        config: &ClientConfig,
        op: Operation,
        bearer: &mut dyn FnMut() -> Result<String, ApiError>,
        user_agent: String,
    ) -> Result<Value, ApiError> {
        let key = transport.idempotency_key();
        let mut call = Call::new(config, op, || key, user_agent)?;
        loop {
            let request = call.request(&bearer()?);
            let step = match transport.send(&request) {
                Ok(resp) => {
                    let now = transport.now();
                    let jitter = transport.jitter();
                    call.on_response(&resp, now, jitter)
                }
                Err(e) => {
                    let jitter = transport.jitter();
                    call.on_transport_error(&e, jitter)
                }
            };
            match step {
                Step::Done(result) => return result,
                Step::Wait {
                    wait_ms,
                    retry,
                    cause,
                } => {
                    transport.on_retry(retry, wait_ms, &cause);
                    transport.sleep_ms(wait_ms);
                }
            }
        }
    }

    /// Replays canned responses and records what was sent.
    struct Script {
        responses: Vec<Result<HttpResponse, TransportError>>,
        sent: Vec<HttpRequest>,
        slept: Vec<u64>,
    }

    impl Transport for Script {
        fn send(&mut self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
            self.sent.push(r.clone());
            self.responses.remove(0)
        }
        fn sleep_ms(&mut self, ms: u64) {
            self.slept.push(ms);
        }
        fn now(&self) -> DateTime<Utc> {
            Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
        }
        fn jitter(&mut self) -> f64 {
            0.0
        }
        fn idempotency_key(&mut self) -> String {
            "key-1".into()
        }
    }

    fn resp(
        status: u16,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.into(),
        })
    }

    pub(crate) fn token_json(id: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id, "name": "ci", "prefix": "cd_AbC123",
            "owner": {"type": "user", "id": "u_dev"}, "organization": "acme",
            "projects": ["web"], "permissions": "inherit",
            "created_at": "2026-11-23T10:00:00Z", "expires_at": null,
            "allowed_ips": [], "status": "active", "kind": "api"
        })
    }

    fn created_token_json() -> String {
        serde_json::json!({"token": token_json("tok_1"), "secret": format!("cd_{}", "a".repeat(42))})
            .to_string()
    }

    #[test]
    fn a_response_that_does_not_fit_the_model_is_a_typed_error() {
        let (r, _) = run(
            Operation::GetToken { id: "t".into() },
            vec![resp(200, r#"{"id": "t"}"#, &[("x-request-id", "req_1")])],
        );
        let e = r.unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::Server, "bad_response")
        );
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        let (r, _) = run(
            Operation::ListTokens { cursor: None, limit: None },
            vec![resp(
                200,
                &serde_json::json!({"tokens": [token_json("a"), token_json("b")], "next_cursor": "c2"}).to_string(),
                &[],
            )],
        );
        let page = r.unwrap();
        assert_eq!(page["items"][1]["id"], "b");
        assert_eq!(page["next_cursor"], "c2");
    }

    fn config() -> ClientConfig {
        ClientConfig {
            base_url: Some("http://127.0.0.1:8787/v1".into()),
            ..ClientConfig::default()
        }
    }

    fn run(
        op: Operation,
        responses: Vec<Result<HttpResponse, TransportError>>,
    ) -> (Result<Value, ApiError>, Script) {
        let mut s = Script {
            responses,
            sent: Vec::new(),
            slept: Vec::new(),
        };
        let r = execute(
            &mut s,
            &config(),
            op,
            &mut || Ok("cd_secretvalue".to_owned()),
            user_agent("rust"),
        );
        (r, s)
    }

    #[test]
    fn create_is_retried_with_the_same_idempotency_key() {
        let op = Operation::CreateToken {
            body: serde_json::json!({"name": "t"}),
        };
        let (r, s) = run(
            op,
            vec![
                Err(TransportError::Connect {
                    message: "reset".into(),
                }),
                resp(503, "", &[]),
                resp(201, &created_token_json(), &[]),
            ],
        );
        let v = r.unwrap();
        assert_eq!(v["token"]["id"], "tok_1");
        assert_eq!(v["secret"].as_str().map(str::len), Some(45));
        assert_eq!(s.sent.len(), 3);
        assert!(s
            .sent
            .iter()
            .all(|r| r.header("Idempotency-Key") == Some("key-1")));
        assert_eq!(s.slept, vec![500, 1000]);
        assert_eq!(s.sent[0].url, "http://127.0.0.1:8787/v1/iam/tokens");
    }

    #[test]
    fn errors_are_typed_and_carry_the_request_id() {
        let (r, s) = run(
            Operation::GetToken { id: "a b".into() },
            vec![resp(
                403,
                r#"{"code":"not_in_token_permissions","message":"no","request_id":"req_9"}"#,
                &[],
            )],
        );
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::PermissionDenied);
        assert_eq!(e.code, "not_in_token_permissions");
        assert_eq!(e.request_id.as_deref(), Some("req_9"));
        assert_eq!(s.sent[0].url, "http://127.0.0.1:8787/v1/iam/tokens/a%20b");
        // The bearer never shows in Debug or logs.
        let dbg = format!("{:?} {}", s.sent[0], s.sent[0].log_line(0));
        assert!(!dbg.contains("cd_secretvalue"), "{dbg}");
    }

    #[test]
    fn rate_limit_beyond_the_cap_fails_fast() {
        let (r, s) = run(
            Operation::ListTokens {
                cursor: None,
                limit: None,
            },
            vec![resp(
                429,
                r#"{"code":"rate_limited","message":"slow down"}"#,
                &[("Retry-After", "120")],
            )],
        );
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after_ms, Some(120_000));
        assert!(s.slept.is_empty());
    }

    #[test]
    fn a_429_storm_within_budget_succeeds() {
        let (r, s) = run(
            Operation::ListTokens {
                cursor: None,
                limit: Some(2),
            },
            vec![
                resp(429, "", &[("Retry-After", "1")]),
                resp(429, "", &[("retry-after-ms", "250")]),
                resp(200, r#"{"tokens":[],"next_cursor":null}"#, &[]),
            ],
        );
        assert!(r.is_ok());
        assert_eq!(s.slept, vec![1000, 250]);
        assert_eq!(s.sent[2].header("X-Retry-Count"), Some("2"));
        assert!(s.sent[0].url.ends_with("/iam/tokens?limit=2"));
    }
}
