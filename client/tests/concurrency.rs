//! The Rust driver's part of "one refresh at a time": calls that find a refresh in flight
//! park on the client's Condvar and are woken when it ends, so eight threads starting
//! together cost one token request, and every call gets the same bearer.

// ApiError is the session's, large and only on the error path (as in the SDK).
#![allow(clippy::result_large_err)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use clouddigit_client::{Client, Io};
use clouddigit_session::{HttpRequest, HttpResponse, TransportError};

#[derive(Clone, Default)]
struct SlowIdp {
    token_requests: Arc<AtomicUsize>,
    bearers_seen: Arc<Mutex<Vec<String>>>,
}

fn json(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string(),
    }
}

impl Io for SlowIdp {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.url.ends_with("/protocol/openid-connect/token") {
            let n = self.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
            // Slow enough that every other thread arrives while this one is in flight.
            std::thread::sleep(Duration::from_millis(200));
            return Ok(json(
                200,
                serde_json::json!({"access_token": format!("bearer-{n}"), "expires_in": 300, "token_type": "Bearer"}),
            ));
        }
        let bearer = request
            .header("authorization")
            .unwrap_or_default()
            .to_owned();
        self.bearers_seen.lock().unwrap().push(bearer);
        Ok(json(
            200,
            serde_json::json!({
                "id": "tok_1", "name": "ci", "prefix": "cd_AbC123",
                "owner": {"type": "user", "id": "u_dev"}, "organization": "acme",
                "projects": ["web"], "permissions": "inherit",
                "created_at": "2026-11-23T10:00:00Z", "expires_at": null,
                "allowed_ips": [], "status": "active", "kind": "api"
            }),
        ))
    }
    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    fn now_ms(&self) -> u64 {
        0
    }
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[test]
fn eight_threads_one_token_request() {
    let io = SlowIdp::default();
    let client = Arc::new(
        Client::builder()
            .base_url("http://127.0.0.1:9/v1")
            .client_credentials("acme", "cid_1", "cs_secretsecretsecret")
            .io(io.clone())
            .build()
            .expect("client"),
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.tokens().get("tok_1").map(|t| t.token.id))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread").expect("call"), "tok_1");
    }
    assert_eq!(io.token_requests.load(Ordering::SeqCst), 1);
    let seen = io.bearers_seen.lock().unwrap();
    assert_eq!(seen.len(), 8);
    assert!(seen.iter().all(|b| b == "Bearer bearer-1"), "{seen:?}");
}
