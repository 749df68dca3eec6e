//! tests/vectors/sigv4.json: S3 requests signed by botocore's own signers
//! (tests/gen/sigv4_vectors.py), and the verdict the core must reach for each.
//! tests/vectors/sigv4_aws_suite.json: the AWS SigV4 test suite's requests that S3's
//! rules sign the same way (tests/gen/sigv4_aws_suite.py), with the suite's canonical
//! requests, which `explain` must reproduce.

use clouddigit_core::sigv4::{credential, explain, verify, SignedRequest};
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
    /// The suite's canonical request (accepted suite cases only).
    #[serde(default)]
    canonical_request: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    /// Signed without `x-amz-content-sha256`: the body's hash (the AWS suite's cases).
    #[serde(default)]
    body_sha256: Option<String>,
}

/// Runs every case of `text`; returns the failures and the number of cases.
fn run(text: &str) -> (Vec<String>, usize) {
    let file: File = serde_json::from_str(text).expect("vectors");
    let mut failures = Vec::new();
    for c in &file.cases {
        let req = SignedRequest {
            method: &c.request.method,
            path: &c.request.path,
            query: &c.request.query,
            headers: &c.request.headers,
            body_sha256: c.request.body_sha256.as_deref(),
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
        // The signature alone: explain agrees with verify wherever the verdict is about it.
        if c.expect == "ok" || c.expect == "SignatureDoesNotMatch" {
            match explain(&req, &c.secret) {
                Ok(x) if x.matches != (c.expect == "ok") => failures.push(format!(
                    "{}: explain says matches = {}, expected {}",
                    c.name, x.matches, c.expect
                )),
                Ok(x) => {
                    if let Some(want) = &c.canonical_request {
                        if &x.canonical_request != want {
                            failures.push(format!(
                                "{}: canonical request\n{}\n-- expected --\n{want}",
                                c.name, x.canonical_request
                            ));
                        }
                    }
                }
                Err(e) => failures.push(format!("{}: explain failed: {e}", c.name)),
            }
        }
    }
    (failures, file.cases.len())
}

#[test]
fn botocore_signed_requests_get_the_expected_verdict() {
    let (failures, n) = run(include_str!("../../tests/vectors/sigv4.json"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("sigv4 vectors: {n} cases");
}

#[test]
fn the_aws_test_suite_requests_get_the_expected_verdict() {
    let (failures, n) = run(include_str!("../../tests/vectors/sigv4_aws_suite.json"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(n >= 30, "only {n} cases");
    println!("sigv4 AWS test suite vectors: {n} cases");
}
