//! The organization's token policy: seeded or set at run time, applied by the server to
//! every create (the core's validation) and, for the maximum lifetime, to every call.

mod common;

use clouddigit_sandbox::seed;
use common::{config, sandbox, sandbox_with};
use reqwest::StatusCode;
use serde_json::json;

async fn with_policy(policy: serde_json::Value) -> common::Sbx {
    let mut s = seed::builtin().unwrap();
    s.policy = Some(serde_json::from_value(policy).unwrap());
    sandbox_with(clouddigit_sandbox::Config {
        seed: Some(s),
        ..config()
    })
    .await
}

#[tokio::test]
async fn a_seeded_policy_binds_every_create_and_is_shown_by_whoami() {
    let sbx = with_policy(json!({
        "max_lifetime_days": 30,
        "allow_never_expiring": false,
        "require_allowed_ips_for_service_accounts": true,
        "max_service_accounts_per_project": 2
    }))
    .await;
    // The bootstrap token itself lives within the maximum, so it works.
    let r = sbx.get("/v1/iam/whoami", &sbx.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["policy"]["max_lifetime_days"], 30);
    assert!(r.body["token"]["expires_at"].is_string());

    let create = |body| sbx.post("/v1/iam/tokens", &sbx.admin, body);
    let r = create(json!({ "name": "long", "projects": ["web"], "expires_in_days": 90 })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["code"], "expiry_beyond_max_lifetime");
    let r = create(json!({ "name": "forever", "projects": ["web"], "expires_at": null })).await;
    assert_eq!(
        r.body["errors"][0]["code"], "expiry_never_forbidden",
        "{}",
        r.text
    );
    // Within the maximum, and within the calling token (which the policy limited to 30
    // days when it was minted).
    let r = create(json!({ "name": "month", "projects": ["web"], "expires_in_days": 29 })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Service accounts: two per project; the accounts (whose bearers carry it) and their
    // tokens need an allow-list, and a /0 is none.
    for ips in [json!(null), json!(["0.0.0.0/0"])] {
        let r = sbx
            .post(
                "/v1/iam/service-accounts",
                &sbx.admin,
                json!({ "project": "web", "name": "open", "role": "member", "allowed_ips": ips }),
            )
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("allowed_ips_required")
            ),
            "{}",
            r.text
        );
    }
    let sa = |name: &str| {
        sbx.post(
            "/v1/iam/service-accounts",
            &sbx.admin,
            json!({ "project": "web", "name": name, "role": "member", "allowed_ips": "127.0.0.1" }),
        )
    };
    let first = sa("bot-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(sa("bot-2").await.status, StatusCode::CREATED);
    let r = sa("bot-3").await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("service_account_limit_reached")
        )
    );
    // At the limit, an account already there can still be changed.
    let id = first.body["service_account"]["id"].as_str().unwrap();
    let r = sbx
        .patch(
            &format!("/v1/iam/service-accounts/{id}"),
            &sbx.admin,
            json!({ "description": "still editable" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A lifetime that does not read is one error, not also judged as "never".
    let r = create(json!({ "name": "typo", "projects": ["web"], "expires_in_days": 0 })).await;
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["expires_in_days"], "{}", r.text);
    let id = first.body["service_account"]["id"].as_str().unwrap();
    let tokens = format!("/v1/iam/service-accounts/{id}/tokens");
    let r = sbx
        .post(
            &tokens,
            &sbx.admin,
            json!({ "name": "ci", "expires_in_days": 7 }),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"], "allowed_ips_required",
        "{}",
        r.text
    );
    let r = sbx
        .post(
            &tokens,
            &sbx.admin,
            json!({ "name": "ci", "expires_in_days": 7, "allowed_ips": ["203.0.113.0/24"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn a_tightened_maximum_lifetime_denies_longer_lived_tokens_on_their_next_call() {
    let sbx = sandbox().await;
    let r = sbx.get("/_sandbox/policy", &sbx.admin).await;
    assert_eq!(r.body, json!({ "policy": null }));
    let year = sbx
        .user_token(
            "u_dev",
            json!({ "name": "year", "projects": ["web"], "expires_in_days": 365 }),
        )
        .await;
    let week = sbx
        .user_token(
            "u_dev",
            json!({ "name": "week", "projects": ["web"], "expires_in_days": 7 }),
        )
        .await;
    let servers = "/v1/compute/servers?project=web";
    assert_eq!(sbx.get(servers, &year).await.status, StatusCode::OK);

    let r = sbx
        .send(
            reqwest::Method::PUT,
            "/_sandbox/policy",
            Some(&sbx.admin),
            Some(json!({ "policy": { "max_lifetime_days": 30 } })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["policy"]["max_lifetime_days"], 30);
    assert_eq!(r.body["policy"]["allow_never_expiring"], true);

    // Created before the policy tightened, the one-year token is now denied as expired,
    // with a message that names the policy; the one-week token is untouched.
    let r = sbx.get(servers, &year).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "expired"),
        "{}",
        r.text
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("policy"),
        "{}",
        r.text
    );
    assert_eq!(sbx.get(servers, &week).await.status, StatusCode::OK);
    // Listed as the calls see it, and no longer holding its name.
    let r = sbx.get("/v1/iam/tokens", &week).await;
    let year_row = r.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "year")
        .cloned()
        .unwrap();
    assert_eq!(year_row["status"], "expired", "{}", r.text);
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &week,
            // Within the policy, and within the calling token's own week.
            json!({ "name": "year", "projects": ["web"], "expires_in_days": 6 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // The never-expiring bootstrap token too: the owner's next token must comply.
    let r = sbx.get("/_sandbox/policy", &sbx.admin).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "expired"));

    // A malformed policy is a field error, not a silent default.
    let sbx = sandbox().await;
    let r = sbx
        .send(
            reqwest::Method::PUT,
            "/_sandbox/policy",
            Some(&sbx.admin),
            Some(json!({ "policy": { "max_lifetime_days": "thirty" } })),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("policy")),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_policy_that_would_lock_everyone_out_is_refused() {
    let sbx = sandbox().await;
    for (policy, field) in [
        (
            json!({ "max_lifetime_days": 0 }),
            "policy.max_lifetime_days",
        ),
        (
            json!({ "max_lifetime_days": u32::MAX }),
            "policy.max_lifetime_days",
        ),
        (
            json!({ "max_service_accounts_per_project": 0 }),
            "policy.max_service_accounts_per_project",
        ),
    ] {
        let r = sbx
            .send(
                reqwest::Method::PUT,
                "/_sandbox/policy",
                Some(&sbx.admin),
                Some(json!({ "policy": policy })),
                &[],
            )
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{}",
            r.text
        );
    }
    // Nothing was applied: the owner's token still works.
    let r = sbx.get("/_sandbox/policy", &sbx.admin).await;
    assert_eq!(r.body, json!({ "policy": null }));
    // Nor from a seed.
    let mut s = seed::builtin().unwrap();
    s.policy = Some(serde_json::from_value(json!({ "max_lifetime_days": 0 })).unwrap());
    let Err(err) = clouddigit_sandbox::start(clouddigit_sandbox::Config {
        seed: Some(s),
        ..config()
    })
    .await
    else {
        panic!("a seed with a zero lifetime is refused");
    };
    assert!(err.to_string().contains("max_lifetime_days"), "{err}");
}

#[tokio::test]
async fn rotation_keeps_to_the_policy_as_it_stands() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await; // never expires
    let make = |name: &str, expiry: serde_json::Value| {
        let mut body = json!({ "name": name, "projects": ["web"] });
        body.as_object_mut()
            .unwrap()
            .extend(expiry.as_object().unwrap().clone());
        sbx.post("/v1/iam/tokens", &dev, body)
    };
    let forever = make("forever", json!({ "expires_at": null })).await;
    let week = make("week", json!({ "expires_in_days": 7 })).await;
    let r = sbx
        .send(
            reqwest::Method::PUT,
            "/_sandbox/policy",
            Some(&sbx.admin),
            Some(json!({ "policy": { "allow_never_expiring": false } })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The replacement of a never-expiring token would break the policy: refused, with the
    // core's code; a token within the policy rotates.
    let r = rotate(&sbx, &dev, &forever).await;
    assert_eq!(
        (
            r.status,
            r.body["errors"][0]["field"].as_str(),
            r.body["errors"][0]["code"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("expires_at"),
            Some("expiry_never_forbidden")
        ),
        "{}",
        r.text
    );
    let r = rotate(&sbx, &dev, &week).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn rotate(sbx: &common::Sbx, token: &str, created: &common::Resp) -> common::Resp {
    let id = created.body["token"]["id"].as_str().unwrap();
    sbx.send(
        reqwest::Method::POST,
        &format!("/v1/iam/tokens/{id}/rotate"),
        Some(token),
        None,
        &[],
    )
    .await
}
