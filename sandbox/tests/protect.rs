//! `--protect-bootstrap`: every call that would end the bootstrap token or change its
//! owner is a 409 `protected`, and nothing else changes; without the flag the same calls
//! do what they always did.

mod common;

use common::{config, sandbox_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn protected() -> clouddigit_sandbox::Config {
    clouddigit_sandbox::Config {
        protect_bootstrap: true,
        ..config()
    }
}

#[tokio::test]
async fn the_bootstrap_token_and_its_owner_cannot_be_ended() {
    let sbx = sandbox_with(protected()).await;
    let me = sbx.get("/v1/iam/whoami", &sbx.admin).await;
    let id = me.body["token"]["id"].as_str().unwrap().to_owned();
    let owner = me.body["token"]["owner"]["id"].as_str().unwrap().to_owned();

    let tries = [
        sbx.delete(&format!("/v1/iam/tokens/{id}"), &sbx.admin)
            .await,
        sbx.post(
            &format!("/v1/iam/tokens/{id}/rotate"),
            &sbx.admin,
            json!({}),
        )
        .await,
        sbx.post(
            &format!("/v1/org/members/{owner}/revoke-tokens"),
            &sbx.admin,
            json!({}),
        )
        .await,
        sbx.patch(
            &format!("/_sandbox/users/{owner}"),
            &sbx.admin,
            json!({ "status": "suspended" }),
        )
        .await,
        sbx.send(
            Method::PUT,
            "/_sandbox/policy",
            Some(&sbx.admin),
            Some(json!({ "policy": { "max_lifetime_days": 30 } })),
            &[],
        )
        .await,
    ];
    for r in &tries {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.code(), "protected", "{}", r.text);
    }
    // Still the owner's working token.
    let r = sbx.get("/v1/iam/whoami", &sbx.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["token"]["status"], "active");
    assert_eq!(r.body["owner"]["status"], "active");

    // Everything else still happens: another member is offboarded, a token it made is
    // revoked, a policy without a maximum lifetime is set.
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post("/v1/org/members/u_dev/revoke-tokens", &sbx.admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        sbx.get("/v1/iam/whoami", &dev).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = sbx
        .send(
            Method::PUT,
            "/_sandbox/policy",
            Some(&sbx.admin),
            Some(json!({ "policy": { "allow_never_expiring": false } })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn without_the_flag_the_bootstrap_token_is_an_ordinary_token() {
    let sbx = sandbox_with(config()).await;
    let id = sbx.get("/v1/iam/whoami", &sbx.admin).await.body["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = sbx
        .delete(&format!("/v1/iam/tokens/{id}"), &sbx.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        sbx.get("/v1/iam/whoami", &sbx.admin).await.code(),
        "revoked"
    );
}
