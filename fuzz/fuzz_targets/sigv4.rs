//! SigV4 verification of whatever arrives: any method, path, query and headers (an
//! `Authorization` header or a presigned query among them) give a credential or a
//! refusal, and a verdict, never a panic; no refusal shows the secret.
#![no_main]
use clouddigit_core::sigv4::{credential, verify, SignedRequest};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "cdsk/EXAMPLE+secret0123456789abcdefghijklm";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Lines: method, path, query, then `name: value` headers.
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or("GET");
    let path = lines.next().unwrap_or("/");
    let query = lines.next().unwrap_or("");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let req = SignedRequest {
        method,
        path,
        query,
        headers: &headers,
        body_sha256: None,
    };
    let now = "2026-11-24T12:01:00Z".parse().unwrap_or_default();
    match credential(&req).and_then(|c| verify(&req, &c, SECRET, now).map(|()| c)) {
        Ok(_) => {}
        Err(e) => assert!(!format!("{e} {e:?}").contains(SECRET)),
    }
});
