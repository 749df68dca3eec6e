//! Bytes on the wire with blocking `reqwest` (rustls). Everything else is the core's.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clouddigit_session::http::{after_response, AfterResponse};
use clouddigit_session::{HttpRequest, HttpResponse, TransportError};

pub struct HttpTransport {
    http: reqwest::blocking::Client,
    allow_insecure_http: bool,
    started: Instant,
}

impl HttpTransport {
    pub fn new(allow_insecure_http: bool) -> HttpTransport {
        HttpTransport {
            // Proxies from the environment are respected by default. Redirects are the
            // core's to decide (`after_response`), not reqwest's: reqwest would follow
            // https down to http.
            http: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_else(|_| reqwest::blocking::Client::new()),
            allow_insecure_http,
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

impl crate::Io for HttpTransport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.send_raw(request)
    }

    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }

    fn now_ms(&self) -> u64 {
        self.monotonic_ms()
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
