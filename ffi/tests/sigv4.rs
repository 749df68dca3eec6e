//! The facade's SigV4 and S3 functions as the bindings call them: the vector files'
//! requests pasted as `RequestText` (a URL, header pairs, the body's hash), and no
//! secret in any message.

use clouddigit_ffi::{s3_config, sigv4_explain, sigv4_verify, without_secret, RequestText};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn file(text: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(text).expect("vectors");
    v["cases"].as_array().cloned().expect("cases")
}

/// A vector's `{method, path, query, headers, body_sha256}` as a person pastes it.
fn pasted(request: &Value) -> RequestText {
    let query = request["query"].as_str().unwrap_or_default();
    let path = request["path"].as_str().unwrap_or_default();
    let url = if query.is_empty() {
        format!("http://example.test{path}")
    } else {
        format!("http://example.test{path}?{query}")
    };
    serde_json::from_value(json!({
        "method": request["method"],
        "url": url,
        "headers": request["headers"],
        "body_sha256": request.get("body_sha256"),
    }))
    .expect("request text")
}

#[test]
fn every_vector_gets_its_verdict_through_the_facade() {
    let mut seen = std::collections::BTreeSet::new();
    let mut n = 0;
    for text in [
        include_str!("../../tests/vectors/sigv4.json"),
        include_str!("../../tests/vectors/sigv4_aws_suite.json"),
    ] {
        for c in file(text) {
            let (name, secret) = (c["name"].as_str().unwrap(), c["secret"].as_str().unwrap());
            let expect = c["expect"].as_str().unwrap();
            let request = pasted(&c["request"]);
            let now = c["now"].as_str().unwrap().parse().expect("now");
            let verdict = sigv4_verify(&request, secret, now);
            let got = verdict.code.clone().unwrap_or_else(|| "ok".into());
            assert_eq!(got, expect, "{name}: {verdict:?}");
            assert_eq!(verdict.ok, expect == "ok", "{name}");
            assert_eq!(verdict.message.is_none(), verdict.ok, "{name}");
            if let Some(m) = &verdict.message {
                assert!(!m.contains(secret), "{name}: {m}");
            }
            if expect == "ok" || expect == "SignatureDoesNotMatch" {
                let x = sigv4_explain(&request, secret).expect(name);
                assert_eq!(x.matches, expect == "ok", "{name}");
                if let Some(want) = c["canonical_request"].as_str() {
                    assert_eq!(x.canonical_request, want, "{name}");
                }
            }
            seen.insert(got);
            n += 1;
        }
    }
    assert!(n >= 55, "{n} cases");
    // Every verdict SigV4 can reach is reached by some vector.
    let all = [
        "ok",
        "AccessDenied",
        "AuthorizationHeaderMalformed",
        "AuthorizationQueryParametersError",
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
    ];
    for code in all {
        assert!(seen.contains(code), "no vector reaches {code}");
    }
}

fn now() -> clouddigit_ffi::core::model::Timestamp {
    "2026-11-24T12:00:00Z".parse().expect("time")
}

#[test]
fn an_unsigned_request_is_refused_by_name_and_no_message_holds_the_secret() {
    let secret = "cdsk/EXAMPLE+secret0123456789abcdefghijklm";
    let unsigned: RequestText =
        serde_json::from_value(json!({"method": "GET", "url": "/bucket/key"})).unwrap();
    let verdict = sigv4_verify(&unsigned, secret, now());
    assert_eq!(verdict.code.as_deref(), Some("MissingSecurityHeader"));
    assert_eq!(
        sigv4_explain(&unsigned, secret).unwrap_err().code(),
        "MissingSecurityHeader"
    );
    // The secret pasted where the Authorization header goes is not echoed back.
    let pasted_secret: RequestText = serde_json::from_value(json!({
        "method": "GET",
        "url": "/",
        "headers": {"Authorization": secret, "X-Amz-Date": "20261124T120000Z"},
    }))
    .unwrap();
    let verdict = sigv4_verify(&pasted_secret, secret, now());
    assert_eq!(
        verdict.code.as_deref(),
        Some("AuthorizationHeaderMalformed")
    );
    assert!(!verdict.message.unwrap().contains(secret));
    // What a host reports for a request it cannot read goes through without_secret.
    let mut with_key = json!({"method": "GET", "url": "/"});
    with_key[secret] = json!(1);
    let err = serde_json::from_value::<RequestText>(with_key)
        .unwrap_err()
        .to_string();
    assert!(err.contains(secret), "serde quotes the unknown key: {err}");
    let shown = without_secret(&err, secret);
    assert!(
        !shown.contains(secret) && shown.contains("[secret]"),
        "{shown}"
    );
}

#[test]
fn s3_config_reads_only_the_variables_it_names() {
    let mut env = BTreeMap::new();
    env.insert(
        "CD_S3_ENDPOINT_URL".to_owned(),
        "http://127.0.0.1:9000/".to_owned(),
    );
    env.insert("CD_BASE_URL".to_owned(), "http://127.0.0.1:1/v1".to_owned());
    let c = s3_config(Default::default(), &env).unwrap();
    assert_eq!(c.endpoint_url, "http://127.0.0.1:9000");
    assert!(clouddigit_ffi::S3_ENV_VARS.contains(&"CD_S3_ENDPOINT_URL"));
    let c = s3_config(Default::default(), &BTreeMap::new()).unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"endpoint_url": "https://s3.bd-dha-1.mymine.space", "region": "bd-dha-1", "force_path_style": true})
    );
}
