//! The OpenAPI document: the served one is the checked-in `sandbox/openapi.json`, and it
//! describes every route the router serves (`UPDATE_OPENAPI=1` rewrites the file).

mod common;

use clouddigit_sandbox::routes::table;
use common::sandbox;
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn checked_in_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

#[tokio::test]
async fn served_document_is_the_checked_in_file() {
    let sbx = sandbox().await;
    let r = sbx
        .send(Method::GET, "/v1/openapi.json", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let served = r.body;
    assert_eq!(served["openapi"], "3.1.0");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(checked_in_path(), &pretty).unwrap();
    }
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(checked_in_path()).expect("sandbox/openapi.json exists"),
    )
    .unwrap();
    assert_eq!(served, file, "sandbox/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p clouddigit-sandbox --test openapi");
}

#[tokio::test]
async fn every_served_route_is_documented_and_every_documented_route_is_served() {
    let doc = clouddigit_sandbox::openapi::build();
    let paths = doc["paths"].as_object().unwrap();
    let mut count = 0;
    for (def, _) in table() {
        let op = &paths[def.path][def.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} missing from the document",
            def.method,
            def.path
        );
        assert!(op["responses"][def.status.to_string()].is_object());
        count += 1;
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, count);

    // And the router answers each documented operation (not the 404 fallback).
    let sbx = sandbox().await;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/")
                .replace("/realms/x/", "/realms/acme/");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = sbx.send(m, &concrete, Some(&sbx.admin), None, &[]).await;
            assert!(
                !(r.status == StatusCode::NOT_FOUND && r.body["message"] == "route not found"),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
}

#[test]
fn idempotent_creates_document_the_header() {
    let doc = clouddigit_sandbox::openapi::build();
    let op = &doc["paths"]["/v1/iam/tokens"]["post"];
    assert!(op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Idempotency-Key"));
    assert!(op["responses"]["429"]["headers"]["Retry-After"].is_object());
    assert!(doc["paths"]["/v1/iam/tokens/{id}/rotate"]["post"]["parameters"][0]["name"] == "id");
}
