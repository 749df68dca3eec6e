//! Bytes on the wire with blocking `reqwest` (rustls). Everything else is the core's.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clouddigit_session::http::{after_response, AfterResponse};
use clouddigit_session::{HttpRequest, HttpResponse, Transport, TransportError};

/// What the retry hook is told before each retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryInfo {
    pub retry: u32,
    pub wait_ms: u64,
    pub cause: String,
}

pub type RetryHook = Box<dyn Fn(&RetryInfo) + Send + Sync>;

pub struct HttpTransport {
    http: reqwest::blocking::Client,
    pub(crate) debug: bool,
    allow_insecure_http: bool,
    pub(crate) on_retry: Option<RetryHook>,
    started: Instant,
}

impl HttpTransport {
    pub fn new(
        debug: bool,
        allow_insecure_http: bool,
        on_retry: Option<RetryHook>,
    ) -> HttpTransport {
        HttpTransport {
            // Proxies from the environment are respected by default. Redirects are the
            // core's to decide (`after_response`), not reqwest's: reqwest would follow
            // https down to http.
            http: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_else(|_| reqwest::blocking::Client::new()),
            debug,
            allow_insecure_http,
            on_retry,
            started: Instant::now(),
        }
    }

    /// Milliseconds on a monotonic clock (for the rate limiter and the bearer cache).
    pub fn monotonic_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// One attempt, following redirects as the core says.
    pub(crate) fn send_raw(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut req = std::borrow::Cow::Borrowed(r);
        let mut hops = 0;
        loop {
            let resp = self.send_once(&req)?;
            match after_response(&req, &resp, hops, self.allow_insecure_http) {
                AfterResponse::Answer => return Ok(resp),
                AfterResponse::Refuse(e) => return Err(e),
                AfterResponse::Follow(next) => {
                    req = std::borrow::Cow::Owned(next);
                    hops += 1;
                }
            }
        }
    }

    fn send_once(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if self.debug {
            let attempt = r
                .header("X-Retry-Count")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            eprintln!("{}", r.log_line(attempt));
        }
        let method = reqwest::Method::from_bytes(r.method.as_bytes()).map_err(|_| {
            TransportError::Other {
                message: format!("bad method {}", r.method),
            }
        })?;
        let mut req = self
            .http
            .request(method, &r.url)
            .timeout(Duration::from_millis(r.timeout_ms));
        for (k, v) in &r.headers {
            req = req.header(k, v);
        }
        if let Some(b) = &r.body {
            req = req.body(b.clone());
        }
        let map = |e: reqwest::Error| {
            if e.is_timeout() {
                TransportError::Timeout
            } else if e.is_connect() {
                TransportError::Connect {
                    message: without_url(&e),
                }
            } else {
                TransportError::Other {
                    message: without_url(&e),
                }
            }
        };
        let resp = req.send().map_err(map)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = resp.text().map_err(map)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// reqwest's messages name the URL, which may carry a cursor or ids; keep the cause.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "(url)");
    }
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

impl Transport for &HttpTransport {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.send_raw(request)
    }

    fn sleep_ms(&mut self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn jitter(&mut self) -> f64 {
        let mut b = [0u8; 4];
        let _ = getrandom::fill(&mut b);
        f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
    }

    fn idempotency_key(&mut self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn on_retry(&mut self, retry: u32, wait_ms: u64, cause: &str) {
        if self.debug {
            eprintln!("clouddigit: retry {retry} in {wait_ms} ms ({cause})");
        }
        if let Some(hook) = &self.on_retry {
            hook(&RetryInfo {
                retry,
                wait_ms,
                cause: cause.to_owned(),
            });
        }
    }
}
