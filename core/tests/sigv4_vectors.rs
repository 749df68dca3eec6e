//! tests/vectors/sigv4.json: S3 requests signed by botocore's own signers
//! (tests/gen/sigv4_vectors.py), and the verdict the core must reach for each.

use clouddigit_core::sigv4::{credential, verify, SignedRequest};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    key_id: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    request: Request,
    secret: String,
    now: String,
    expect: String,
}

#[derive(Deserialize)]
struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
}

#[test]
fn botocore_signed_requests_get_the_expected_verdict() {
    let file: File =
        serde_json::from_str(include_str!("../../tests/vectors/sigv4.json")).expect("vectors");
    let mut failures = Vec::new();
    for c in &file.cases {
        let req = SignedRequest {
            method: &c.request.method,
            path: &c.request.path,
            query: &c.request.query,
            headers: &c.request.headers,
            body_sha256: None,
        };
        let now = c.now.parse().expect("now");
        let got = credential(&req).and_then(|cred| {
            assert_eq!(cred.access_key_id, file.key_id, "{}", c.name);
            verify(&req, &cred, &c.secret, now)
        });
        let got = match got {
            Ok(()) => "ok".to_owned(),
            Err(e) => {
                // No refusal shows the secret.
                assert!(!e.to_string().contains(&c.secret), "{}", c.name);
                e.code().to_owned()
            }
        };
        if got != c.expect {
            failures.push(format!("{}: expected {}, got {got}", c.name, c.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("sigv4 vectors: {} cases", file.cases.len());
}
