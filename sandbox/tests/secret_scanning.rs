//! Leaked secrets reported by a secret scanner (GitHub's partner program shape): a signed
//! report revokes a live token with everything made through it within the call, or
//! quarantines it under the policy; forged, unsigned or tampered reports do nothing;
//! false positives do nothing; the trusted keys.

mod common;

use base64::Engine as _;
use clouddigit_core::TokenSecret;
use common::{sandbox, Resp, Sbx};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const URL: &str = "https://github.com/acme/web/blob/0a1b2c3/deploy/.env";

/// A scanner: its signing key, as GitHub keeps its own.
struct Scanner {
    key: SigningKey,
}

impl Scanner {
    fn new(seed: u8) -> Scanner {
        Scanner {
            key: SigningKey::from_bytes(&[seed; 32].into()).expect("a scalar"),
        }
    }

    fn pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem")
    }

    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
    fn key_identifier(&self) -> String {
        let der = self.key.verifying_key().to_public_key_der().expect("der");
        hex::encode(Sha256::digest(der.as_bytes()))
    }

    fn sign(&self, body: &[u8]) -> String {
        let sig: Signature = self.key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes())
    }
}

async fn trust(sbx: &Sbx, scanner: &Scanner, name: &str) -> String {
    let r = sbx
        .post(
            "/v1/secret-scanning/keys",
            &sbx.admin,
            json!({ "name": name, "key": scanner.pem() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["key_identifier"].as_str().unwrap().to_owned();
    assert_eq!(id, scanner.key_identifier());
    id
}

/// POSTs `body` as is, with `headers`.
async fn post_raw(sbx: &Sbx, body: &[u8], headers: &[(&str, String)]) -> Resp {
    let mut req = sbx
        .http
        .post(sbx.url("/v1/secret-scanning/alerts"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// A report of `alerts`, signed by `scanner` with GitHub's headers.
async fn report(sbx: &Sbx, scanner: &Scanner, alerts: &Value) -> Resp {
    let body = serde_json::to_vec(alerts).unwrap();
    post_raw(
        sbx,
        &body,
        &[
            ("Github-Public-Key-Identifier", scanner.key_identifier()),
            ("Github-Public-Key-Signature", scanner.sign(&body)),
        ],
    )
    .await
}

fn alert(token: &str) -> Value {
    json!({ "token": token, "type": "clouddigit_api_token", "url": URL, "source": "content" })
}

fn hex_sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

async fn whoami(sbx: &Sbx, token: &str) -> Resp {
    sbx.get("/v1/iam/whoami", token).await
}

/// A token of `user` named `name`, web only, never expiring.
async fn token_of(sbx: &Sbx, user: &str, name: &str) -> (String, String) {
    let r = sbx
        .post(
            &format!("/_sandbox/users/{user}/tokens"),
            &sbx.admin,
            json!({ "name": name, "projects": ["web"], "expires_at": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["secret"].as_str().unwrap().to_owned(),
        r.body["token"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_report_revokes_a_live_token_and_what_it_made_within_the_call() {
    let sbx = sandbox().await;
    let github = Scanner::new(7);
    trust(&sbx, &github, "github").await;
    let (leaked, leaked_id) = token_of(&sbx, "u_dev", "laptop").await;
    let (other, _) = token_of(&sbx, "u_dev", "desktop").await;
    // The leaked token made a token of its own.
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &leaked,
            json!({ "name": "ci", "projects": ["web"], "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let child = r.body["secret"].as_str().unwrap().to_owned();
    let child_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&sbx, &child).await.status, StatusCode::OK);

    let r = report(&sbx, &github, &json!([alert(&leaked)])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        !r.text.contains(&leaked[9..]),
        "the answer never holds the token"
    );
    assert_eq!(
        r.body,
        json!([{
            "token_hash": hex_sha256(&leaked),
            "hashed_token": clouddigit_core::audit_format::hashed_token(&leaked),
            "token_type": "clouddigit_api_token",
            "label": "true_positive",
            "url": URL,
            "action": "revoked"
        }])
    );

    // Revoked by the time the answer arrived: the token and what it made.
    let r = whoami(&sbx, &leaked).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "revoked"),
        "{}",
        r.text
    );
    let r = whoami(&sbx, &child).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    // The owner's other token is no part of the leak.
    assert_eq!(whoami(&sbx, &other).await.status, StatusCode::OK);

    // The token says why, where and who reported it; what it made says what took it.
    let r = sbx
        .get(&format!("/v1/iam/tokens/{leaked_id}"), &other)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "revoked");
    let rev = &r.body["revocation"];
    assert_eq!(rev["reason"], "leaked");
    assert_eq!(rev["url"], URL);
    assert_eq!(rev["source"], "content");
    assert_eq!(rev["reporter"], "secret-scanning:github");
    assert_eq!(rev["at"], r.body["revoked_at"]);
    let r = sbx.get(&format!("/v1/iam/tokens/{child_id}"), &other).await;
    assert_eq!(r.body["status"], "revoked");
    assert_eq!(r.body["revocation"]["reason"], "parent_revoked");
    assert_eq!(r.body["revocation"]["revoked_with"], leaked_id.as_str());
    assert_eq!(r.body["revocation"]["cause"], "leaked");

    // The audit log: one record for the leaked token, by the reporter, under the token's
    // prefix and id, which its owner finds in their own log.
    let prefix = &leaked[..9];
    let r = sbx
        .get(
            &format!("/v1/audit/events?token_prefix={prefix}&actor=secret-scanning:github"),
            &other,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = r.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", r.text);
    let e = &events[0];
    assert_eq!(e["token_id"], leaked_id.as_str());
    assert_eq!(e["path"], "/v1/secret-scanning/alerts");
    assert_eq!(
        e["hashed_token"],
        clouddigit_core::audit_format::hashed_token(&leaked)
    );
    let detail = e["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!("revoked: leaked at {URL} (source content)")),
        "{detail}"
    );
    assert!(
        detail.contains("1 credential(s) made through it"),
        "{detail}"
    );
    // And the call itself, with what it did.
    let r = sbx
        .get(
            "/v1/audit/events?actor=secret-scanning:github&status=200",
            &sbx.admin,
        )
        .await;
    assert!(
        r.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]
                .as_str()
                .is_some_and(|d| d.contains("1 revoked, 0 quarantined"))),
        "{}",
        r.text
    );
    assert!(!r.text.contains(&leaked[9..]));

    // The same report again: nothing more to do.
    let r = report(&sbx, &github, &json!([alert(&leaked)])).await;
    assert_eq!(r.body[0]["label"], "true_positive");
    assert_eq!(r.body[0]["action"], "already_revoked");
}

#[tokio::test]
async fn false_positives_do_nothing() {
    let sbx = sandbox().await;
    let github = Scanner::new(8);
    trust(&sbx, &github, "github").await;
    let (dev, _) = token_of(&sbx, "u_dev", "laptop").await;
    // One character changed: the checksum no longer matches.
    let mut bad = dev.clone().into_bytes();
    bad[20] = if bad[20] == b'a' { b'b' } else { b'a' };
    let bad = String::from_utf8(bad).unwrap();
    // Well-formed, checksum and all, but never issued here.
    let stranger = TokenSecret::generate(|b: &mut [u8]| getrandom::fill(b).unwrap());
    let stranger = stranger.expose_secret().to_owned();
    let alerts = json!([
        alert(&bad),
        alert(&stranger),
        alert("ghp_notoursatall"),
        alert(&format!("cdcs_{}", &stranger[3..])),
    ]);
    let r = report(&sbx, &github, &alerts).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let results = r.body.as_array().unwrap();
    assert_eq!(results.len(), 4);
    for (i, (result, sent)) in results.iter().zip(alerts.as_array().unwrap()).enumerate() {
        assert_eq!(result["label"], "false_positive", "{i}");
        assert_eq!(result["action"], "none", "{i}");
        assert_eq!(
            result["token_hash"],
            hex_sha256(sent["token"].as_str().unwrap()),
            "{i}: in order"
        );
    }
    assert!(!r.text.contains(&stranger[9..]));
    assert_eq!(whoami(&sbx, &dev).await.status, StatusCode::OK);
    // No record names a token for them.
    let r = sbx
        .get("/v1/audit/events?actor=secret-scanning:github", &sbx.admin)
        .await;
    let events = r.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "only the call's own record: {}", r.text);
    assert!(events[0]["token_id"].is_null());
}

#[tokio::test]
async fn forged_unsigned_or_tampered_reports_are_refused_and_change_nothing() {
    let sbx = sandbox().await;
    let github = Scanner::new(9);
    let key_id = trust(&sbx, &github, "github").await;
    let stranger = Scanner::new(10);
    let (dev, _) = token_of(&sbx, "u_dev", "laptop").await;
    let body = serde_json::to_vec(&json!([alert(&dev)])).unwrap();

    // Signed by a key nobody trusts.
    let r = post_raw(
        &sbx,
        &body,
        &[
            ("Github-Public-Key-Identifier", stranger.key_identifier()),
            ("Github-Public-Key-Signature", stranger.sign(&body)),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unknown_key")
    );
    // A trusted key's id with another key's signature.
    let r = post_raw(
        &sbx,
        &body,
        &[
            ("Github-Public-Key-Identifier", key_id.clone()),
            ("Github-Public-Key-Signature", stranger.sign(&body)),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );
    assert_eq!(r.body["detail"], "mismatch");
    // Signed, then changed on the way (one byte of whitespace).
    let mut tampered = body.clone();
    tampered.push(b' ');
    let r = post_raw(
        &sbx,
        &tampered,
        &[
            ("Github-Public-Key-Identifier", key_id.clone()),
            ("Github-Public-Key-Signature", github.sign(&body)),
        ],
    )
    .await;
    assert_eq!(r.code(), "bad_signature");
    // A signature that is not one.
    let r = post_raw(
        &sbx,
        &body,
        &[
            ("Github-Public-Key-Identifier", key_id.clone()),
            ("Github-Public-Key-Signature", "bm90IGEgc2lnbmF0dXJl".into()),
        ],
    )
    .await;
    assert_eq!(
        (r.code(), r.body["detail"].as_str()),
        ("bad_signature", Some("not_der"))
    );
    // No signature at all; no key id at all.
    let r = post_raw(
        &sbx,
        &body,
        &[("Github-Public-Key-Identifier", key_id.clone())],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "missing_signature")
    );
    let r = post_raw(&sbx, &body, &[]).await;
    assert_eq!(r.code(), "missing_signature");
    // A report that is not even JSON is refused for its signature, not its body: nothing
    // of an unverified body is read.
    let r = post_raw(
        &sbx,
        b"{not json",
        &[
            ("Github-Public-Key-Identifier", key_id.clone()),
            ("Github-Public-Key-Signature", stranger.sign(b"{not json")),
        ],
    )
    .await;
    assert_eq!(r.code(), "bad_signature");

    // None of it touched the token.
    assert_eq!(whoami(&sbx, &dev).await.status, StatusCode::OK);
    // Each refusal is in the log, with its code.
    let r = sbx
        .get("/v1/audit/events?status=401&limit=500", &sbx.admin)
        .await;
    let codes: Vec<&str> = r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"] == "/v1/secret-scanning/alerts")
        .filter_map(|e| e["error_code"].as_str())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "bad_signature").count(),
        4,
        "{codes:?}"
    );
    assert_eq!(codes.iter().filter(|c| **c == "unknown_key").count(), 1);
    assert_eq!(
        codes.iter().filter(|c| **c == "missing_signature").count(),
        2
    );
    assert!(!r.text.contains(&dev[9..]));

    // Our own header names work as well as GitHub's.
    let r = post_raw(
        &sbx,
        &body,
        &[
            ("X-Clouddigit-Key-Identifier", key_id.clone()),
            ("X-Clouddigit-Signature", github.sign(&body)),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[0]["action"], "revoked");
    assert_eq!(whoami(&sbx, &dev).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_signed_report_is_held_to_its_shape_and_size() {
    let sbx = sandbox().await;
    let github = Scanner::new(11);
    let key_id = trust(&sbx, &github, "github").await;
    let (dev, _) = token_of(&sbx, "u_dev", "laptop").await;
    let signed = |body: &[u8]| {
        vec![
            ("Github-Public-Key-Identifier", key_id.clone()),
            ("Github-Public-Key-Signature", github.sign(body)),
        ]
    };
    let r = post_raw(&sbx, b"{not json", &signed(b"{not json")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let r = report(&sbx, &github, &json!({ "token": dev })).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let many = Value::Array(vec![alert("cd_x"); 1001]);
    let r = report(&sbx, &github, &many).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "too_many_alerts")
    );
    // An entry without its url, and one with a url past its length: every field named,
    // and nothing done, the good entry included.
    let r = report(
        &sbx,
        &github,
        &json!([alert(&dev), { "token": dev, "type": "t", "source": "s" }]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "[1].url");
    let long =
        json!([alert(&dev), { "token": dev, "type": "t", "url": "x".repeat(5000), "source": "s" }]);
    let r = report(&sbx, &github, &long).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "[1].url");
    assert!(!r.text.contains(&dev[9..]));
    // Over a megabyte: refused before it is read.
    let big = vec![b' '; 1024 * 1024 + 1];
    let r = post_raw(&sbx, &big, &signed(&big)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert_eq!(whoami(&sbx, &dev).await.status, StatusCode::OK);
}

#[tokio::test]
async fn under_a_quarantine_policy_a_leaked_token_reads_until_it_is_rotated() {
    let sbx = sandbox().await;
    let github = Scanner::new(12);
    trust(&sbx, &github, "github").await;
    let r = sbx
        .send(
            Method::PUT,
            "/_sandbox/policy",
            Some(&sbx.admin),
            Some(json!({ "policy": { "leaked_token_action": "quarantine" } })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["policy"]["leaked_token_action"], "quarantine");
    let (leaked, leaked_id) = token_of(&sbx, "u_dev", "laptop").await;
    let (other, _) = token_of(&sbx, "u_dev", "desktop").await;
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &leaked,
            json!({ "name": "ci", "projects": ["web"], "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let child = r.body["secret"].as_str().unwrap().to_owned();
    let server = json!({ "project": "web", "name": "web-9" });
    assert_eq!(
        sbx.post("/v1/compute/servers", &leaked, server.clone())
            .await
            .status,
        StatusCode::CREATED
    );

    let r = report(&sbx, &github, &json!([alert(&leaked)])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[0]["label"], "true_positive");
    assert_eq!(r.body[0]["action"], "quarantined");

    // Reads go on.
    let r = sbx.get("/v1/compute/servers?project=web", &leaked).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(whoami(&sbx, &leaked).await.status, StatusCode::OK);
    // Nothing else does, its own rotation included: the evaluator says why.
    let r = sbx
        .post(
            "/v1/compute/servers",
            &leaked,
            json!({ "project": "web", "name": "web-10" }),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "quarantined"),
        "{}",
        r.text
    );
    assert!(
        r.body["message"].as_str().unwrap().contains(URL),
        "{}",
        r.text
    );
    let r = sbx
        .post(
            &format!("/v1/iam/tokens/{leaked_id}/rotate"),
            &leaked,
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "quarantined", "{}", r.text);
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &leaked,
            json!({ "name": "escape", "projects": ["web"], "expires_in_days": 1 }),
        )
        .await;
    assert_eq!(r.code(), "quarantined", "{}", r.text);
    // The simulation agrees with the real call.
    let r = sbx
        .post(
            "/v1/iam/authorize",
            &leaked,
            json!({ "requests": [{ "action": "compute.servers.delete", "project": "web" }, { "action": "compute.servers.get", "project": "web" }] }),
        )
        .await;
    assert_eq!(
        r.body["decisions"][0]["reason"], "quarantined",
        "{}",
        r.text
    );
    assert_eq!(r.body["decisions"][1]["allowed"], true);
    // What it made is held to it: it reads, and writes nothing.
    let r = sbx.get("/v1/compute/servers?project=web", &child).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = sbx
        .post(
            "/v1/compute/servers",
            &child,
            json!({ "project": "web", "name": "web-12" }),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "creator_denied"),
        "{}",
        r.text
    );
    assert_eq!(r.body["creator_reason"], "quarantined");

    // The owner sees the quarantine on the token.
    let r = sbx
        .get(&format!("/v1/iam/tokens/{leaked_id}"), &other)
        .await;
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["quarantine"]["reason"], "leaked");
    assert_eq!(r.body["quarantine"]["url"], URL);
    // A second report leaves it as it is.
    let r = report(&sbx, &github, &json!([alert(&leaked)])).await;
    assert_eq!(r.body[0]["action"], "quarantined");

    // The owner rotates it with another token: the replacement is free, the leaked one
    // ends at once rather than after the usual grace.
    let r = sbx
        .post(
            &format!("/v1/iam/tokens/{leaked_id}/rotate"),
            &other,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let fresh = r.body["secret"].as_str().unwrap().to_owned();
    assert!(r.body["token"].get("quarantine").is_none(), "{}", r.text);
    assert_eq!(r.body["replaces"]["status"], "rotated");
    let r = sbx
        .post(
            "/v1/compute/servers",
            &fresh,
            json!({ "project": "web", "name": "web-11" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = sbx.get("/v1/compute/servers?project=web", &leaked).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "rotated"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn leaked_client_secrets_and_access_keys_are_revoked() {
    let sbx = sandbox().await;
    let github = Scanner::new(13);
    trust(&sbx, &github, "github").await;
    let r = sbx
        .post(
            "/v1/iam/service-accounts?project=web",
            &sbx.admin,
            json!({ "name": "deployer", "role": "member" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sa = r.body["client_id"].as_str().unwrap().to_owned();
    let client_secret = r.body["client_secret"].as_str().unwrap().to_owned();
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/service-accounts/{sa}/access-keys"),
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    let key_id = r.body["id"].as_str().unwrap().to_owned();
    let key_secret = r.body["secret"].as_str().unwrap().to_owned();

    let r = report(
        &sbx,
        &github,
        &json!([alert(&client_secret), alert(&key_secret)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for i in 0..2 {
        assert_eq!(r.body[i]["label"], "true_positive");
        assert_eq!(r.body[i]["action"], "revoked");
    }
    // The secret no longer grants anything; the key is gone from the account.
    let r = sbx
        .http
        .post(sbx.url("/realms/acme/protocol/openid-connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={sa}&client_secret={client_secret}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = sbx
        .get(&format!("/v1/iam/service-accounts/{sa}"), &sbx.admin)
        .await;
    assert!(r.body["client_secret"].is_null(), "{}", r.text);
    let r = sbx
        .get(
            &format!("/v1/iam/service-accounts/{sa}/access-keys"),
            &sbx.admin,
        )
        .await;
    assert_eq!(r.body["access_keys"], json!([]), "{}", r.text);
    let r = sbx
        .get(
            &format!(
                "/v1/audit/events?actor=secret-scanning:github&token_prefix={}",
                &key_secret[..11]
            ),
            &sbx.admin,
        )
        .await;
    assert_eq!(
        r.body["events"][0]["token_id"],
        key_id.as_str(),
        "{}",
        r.text
    );
    let r = report(&sbx, &github, &json!([alert(&key_secret)])).await;
    assert_eq!(r.body[0]["action"], "already_revoked");
}

#[tokio::test]
async fn trusted_keys_are_p256_and_managed_by_organization_admins() {
    let sbx = sandbox().await;
    let r = sbx
        .send(Method::GET, "/v1/secret-scanning/keys", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({ "public_keys": [] }));

    let github = Scanner::new(14);
    // Not P-256 (an Ed25519 key, RFC 8410's example), not a key, a bad name.
    let ed25519 = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
    for (body, field, code) in [
        (
            json!({ "name": "gh", "key": ed25519 }),
            "key",
            "unsupported_key",
        ),
        (
            json!({ "name": "gh", "key": "hello" }),
            "key",
            "invalid_key",
        ),
        (
            json!({ "name": "-gh", "key": github.pem() }),
            "name",
            "invalid_name",
        ),
    ] {
        let r = sbx.post("/v1/secret-scanning/keys", &sbx.admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
        assert_eq!(r.body["errors"][0]["code"], code, "{}", r.text);
    }
    // A project member may not trust a key (an organization-level permission).
    let (dev, _) = token_of(&sbx, "u_dev", "laptop").await;
    let r = sbx
        .post(
            "/v1/secret-scanning/keys",
            &dev,
            json!({ "name": "mine", "key": github.pem() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let id = trust(&sbx, &github, "github").await;
    let r = sbx
        .send(Method::GET, "/v1/secret-scanning/keys", None, None, &[])
        .await;
    assert_eq!(
        r.body,
        json!({ "public_keys": [{ "key_identifier": id, "key": github.pem(), "is_current": true }] })
    );
    let r = sbx
        .post(
            "/v1/secret-scanning/keys",
            &sbx.admin,
            json!({ "name": "again", "key": github.pem() }),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "key_exists"));
    let r = sbx
        .post(
            "/v1/secret-scanning/keys",
            &sbx.admin,
            json!({ "name": "github", "key": Scanner::new(15).pem() }),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "name_taken"));

    // Removed, it verifies nothing more.
    let r = sbx
        .delete(&format!("/v1/secret-scanning/keys/{id}"), &dev)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = sbx
        .delete(&format!("/v1/secret-scanning/keys/{id}"), &sbx.admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = sbx
        .delete(&format!("/v1/secret-scanning/keys/{id}"), &sbx.admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = report(&sbx, &github, &json!([alert(&dev)])).await;
    assert_eq!(r.code(), "unknown_key");
    assert_eq!(whoami(&sbx, &dev).await.status, StatusCode::OK);
}

#[tokio::test]
async fn other_revocations_say_why_too() {
    let sbx = sandbox().await;
    let (a, a_id) = token_of(&sbx, "u_dev", "laptop").await;
    let (b, _) = token_of(&sbx, "u_dev", "desktop").await;
    let r = sbx.delete(&format!("/v1/iam/tokens/{a_id}"), &b).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["revocation"]["reason"], "revoked", "{}", r.text);
    assert!(r.body["revocation"].get("url").is_none());
    assert_eq!(whoami(&sbx, &a).await.status, StatusCode::UNAUTHORIZED);
    let r = sbx
        .post("/v1/org/members/u_dev/revoke-tokens", &sbx.admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Listed with a token the member got afterwards.
    let (c, _) = token_of(&sbx, "u_dev", "after").await;
    let r = sbx.get("/v1/iam/tokens?limit=500", &c).await;
    let desktop = r.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "desktop")
        .cloned()
        .unwrap();
    assert_eq!(
        desktop["revocation"]["reason"], "member_offboarded",
        "{desktop}"
    );
}
