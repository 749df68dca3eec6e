//! No credential exceeds the credential that made it: the five escalations reported
//! against the sandbox (each failed before the delegation rule), and the credential tree
//! (lineage, cascading revocation, rotation passing children on).

mod common;

use common::{sandbox, Sbx};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SERVERS: &str = "/v1/compute/servers?project=web";

async fn create(sbx: &Sbx, token: &str, body: Value) -> common::Resp {
    sbx.post("/v1/iam/tokens", token, body).await
}

fn secret(r: &common::Resp) -> String {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["secret"].as_str().expect("secret").to_owned()
}

fn field_codes(r: &common::Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// u_dev's `broad` (inherit, web, never expires) and, made with it, `narrow`
/// (iam.tokens.* and compute.servers.list, 1 day, 127.0.0.1/32).
async fn broad_and_narrow(sbx: &Sbx) -> (String, String, String) {
    let broad = sbx
        .user_token(
            "u_dev",
            json!({ "name": "broad", "projects": ["web"], "expires_at": null }),
        )
        .await;
    let r = create(
        sbx,
        &broad,
        json!({ "name": "narrow", "projects": ["web"], "permissions": ["iam.tokens.*", "compute.servers.list"],
                "expires_in_days": 1, "allowed_ips": "127.0.0.1/32" }),
    )
    .await;
    let narrow = secret(&r);
    let whoami = sbx.get("/v1/iam/whoami", &broad).await;
    let broad_id = whoami.body["token"]["id"].as_str().unwrap().to_owned();
    (broad, narrow, broad_id)
}

/// Reproduction 1: a narrow token rotated its broad parent and got a broad, never-expiring,
/// unrestricted secret; it could also mint a never-expiring token without an allow-list.
#[tokio::test]
async fn a_narrow_token_cannot_launder_itself_through_rotation_or_create() {
    let sbx = sandbox().await;
    let (_broad, narrow, broad_id) = broad_and_narrow(&sbx).await;
    let listed = sbx.get("/v1/iam/tokens", &narrow).await;
    assert!(listed.text.contains(&broad_id), "{}", listed.text);
    let r = sbx
        .post(
            &format!("/v1/iam/tokens/{broad_id}/rotate"),
            &narrow,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let codes = field_codes(&r);
    for want in [
        ("permissions", "exceeds_caller_permissions"),
        ("expires_at", "exceeds_caller_expiry"),
        ("allowed_ips", "exceeds_caller_allowed_ips"),
    ] {
        assert!(
            codes.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {codes:?}"
        );
    }
    assert!(r.body.get("secret").is_none(), "{}", r.text);
    // Nor can it make a never-expiring token without an allow-list, even within its
    // permissions.
    let r = create(
        &sbx,
        &narrow,
        json!({ "name": "persist", "projects": ["web"], "permissions": ["compute.servers.list"], "expires_at": null }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let codes = field_codes(&r);
    assert!(codes.contains(&("expires_at".into(), "exceeds_caller_expiry".into())));
    assert!(codes.contains(&("allowed_ips".into(), "exceeds_caller_allowed_ips".into())));
    // Within every limit it may.
    let r = create(
        &sbx,
        &narrow,
        json!({ "name": "ok", "projects": ["web"], "permissions": ["compute.servers.list"],
                "expires_in_days": 1, "allowed_ips": ["127.0.0.1"] }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one day from now is later than narrow's end: {}",
        r.text
    );
    let narrow_end = sbx.get("/v1/iam/whoami", &narrow).await.body["token"]["expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = create(
        &sbx,
        &narrow,
        json!({ "name": "ok", "projects": ["web"], "permissions": ["compute.servers.list"],
                "expires_at": narrow_end, "allowed_ips": ["127.0.0.1"] }),
    )
    .await;
    let ok = secret(&r);
    assert_eq!(r.body["token"]["created_by"]["type"], "token");
    assert_eq!(sbx.get(SERVERS, &ok).await.status, StatusCode::OK);
}

async fn client_credentials(sbx: &Sbx, id: &str, secret: &str) -> common::Resp {
    let resp = sbx
        .http
        .post(sbx.url("/realms/acme/protocol/openid-connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}"
        ))
        .send()
        .await
        .expect("grant");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    common::Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// Reproduction 2: a 5-minute client-credentials bearer minted a never-expiring token of
/// its account, and resetting the secret (the documented answer to a leak) left it alive.
#[tokio::test]
async fn a_bearer_cannot_persist_and_a_secret_reset_ends_what_it_made() {
    let sbx = sandbox().await;
    let r = sbx
        .post(
            "/v1/iam/service-accounts",
            &sbx.admin,
            json!({ "project": "web", "name": "ci", "role": "admin" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["client_id"].as_str().unwrap().to_owned();
    let cs = r.body["client_secret"].as_str().unwrap().to_owned();
    let bearer = client_credentials(&sbx, &id, &cs).await.body["access_token"]
        .as_str()
        .expect("bearer")
        .to_owned();
    let r = create(
        &sbx,
        &bearer,
        json!({ "name": "persist", "expires_at": null }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(field_codes(&r).contains(&("expires_at".into(), "exceeds_caller_expiry".into())));
    // What it may make lives no longer than the bearer, and dies with the secret.
    let end = sbx.get("/v1/iam/whoami", &bearer).await.body["token"]["expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = create(&sbx, &bearer, json!({ "name": "short", "expires_at": end })).await;
    let short = secret(&r);
    assert_eq!(r.body["token"]["created_by"]["type"], "bearer");
    assert_eq!(sbx.get(SERVERS, &short).await.status, StatusCode::OK);
    let r = sbx
        .post(
            &format!("/v1/iam/service-accounts/{id}/secret"),
            &sbx.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for t in [&bearer, &short] {
        let r = sbx.get(SERVERS, t).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "revoked"),
            "{}",
            r.text
        );
    }
}

/// Reproduction 3: an owner token downscoped to compute.servers.list in web used
/// /_sandbox to mint a full owner token, change roles, replace the policy, move the clock.
#[tokio::test]
async fn the_sandbox_endpoints_need_an_unrestricted_owner_token() {
    let sbx = sandbox().await;
    let narrow = sbx
        .user_token(
            "u_owner",
            json!({ "name": "narrow-owner", "projects": ["web"], "permissions": ["compute.servers.list"], "expires_at": null }),
        )
        .await;
    let web_only = sbx
        .user_token(
            "u_owner",
            json!({ "name": "web-owner", "projects": ["web"], "expires_at": null }),
        )
        .await;
    for token in [&narrow, &web_only] {
        let attempts = [
            (
                Method::POST,
                "/_sandbox/users/u_owner/tokens",
                Some(json!({ "name": "root", "projects": "all", "expires_at": null })),
            ),
            (
                Method::PATCH,
                "/_sandbox/users/u_dev",
                Some(json!({ "org_role": "owner" })),
            ),
            (
                Method::PUT,
                "/_sandbox/policy",
                Some(json!({ "policy": null })),
            ),
            (
                Method::POST,
                "/_sandbox/clock",
                Some(json!({ "advance_seconds": 60 })),
            ),
            (Method::GET, "/_sandbox/users", None),
        ];
        for (method, path, body) in attempts {
            let r = sbx.send(method.clone(), path, Some(token), body, &[]).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, "sandbox_admin_only"),
                "{method} {path}: {}",
                r.text
            );
        }
    }
    let r = sbx.get("/_sandbox/users", &sbx.admin).await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Reproduction 4: a token in its rotation grace window could still rotate or revoke its
/// own replacement, or create tokens, so rotating after a leak did not contain it.
#[tokio::test]
async fn a_rotated_out_token_makes_and_ends_nothing() {
    let sbx = sandbox().await;
    let leaked = sbx.simple_token("u_dev", json!(["web"])).await;
    let id = sbx.get("/v1/iam/whoami", &leaked).await.body["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = sbx
        .post(&format!("/v1/iam/tokens/{id}/rotate"), &leaked, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let new_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    let replacement = r.body["secret"].as_str().unwrap().to_owned();
    // Ordinary calls go on through the grace window.
    assert_eq!(sbx.get(SERVERS, &leaked).await.status, StatusCode::OK);
    let tries = [
        (
            Method::POST,
            format!("/v1/iam/tokens/{new_id}/rotate"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/v1/iam/tokens/{new_id}"), None),
        (
            Method::POST,
            "/v1/iam/tokens".to_owned(),
            Some(json!({ "name": "more", "projects": ["web"], "expires_in_days": 1 })),
        ),
    ];
    for (method, path, body) in tries {
        let r = sbx
            .send(method.clone(), &path, Some(&leaked), body, &[])
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "in_rotation_grace"),
            "{method} {path}: {}",
            r.text
        );
    }
    // The replacement is untouched and may end the leaked token at once.
    assert_eq!(sbx.get(SERVERS, &replacement).await.status, StatusCode::OK);
    let r = sbx
        .delete(&format!("/v1/iam/tokens/{id}"), &replacement)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        sbx.get(SERVERS, &leaked).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Reproduction 5: a clock move past chrono's calendar made every later request panic.
#[tokio::test]
async fn an_overflowing_clock_move_is_a_422_and_the_server_goes_on() {
    let sbx = sandbox().await;
    for body in [
        json!({ "advance_seconds": 10_000_000_000_000_i64 }),
        json!({ "advance_seconds": i64::MAX }),
        json!({ "advance_seconds": -10_000_000_000_000_i64 }),
        json!({ "set": "+262142-12-31T23:59:59Z" }),
        json!({ "set": "9999-12-31T00:00:00Z" }),
    ] {
        let r = sbx.post("/_sandbox/clock", &sbx.admin, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["code"], "out_of_range", "{}", r.text);
    }
    assert_eq!(sbx.get(SERVERS, &sbx.admin).await.status, StatusCode::OK);
    let r = sbx
        .post(
            "/_sandbox/clock",
            &sbx.admin,
            json!({ "advance_seconds": 86_400 * 365 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(sbx.get(SERVERS, &sbx.admin).await.status, StatusCode::OK);
}

/// Lineage: every token says what made it; revoking one revokes what it made,
/// transitively; a rotation passes its children to the replacement; offboarding a member
/// ends what their tokens made for service accounts too.
#[tokio::test]
async fn revocation_cascades_down_the_tree_and_rotation_passes_it_on() {
    let sbx = sandbox().await;
    let a = sbx.simple_token("u_admin", json!("all")).await;
    let a_id = sbx.get("/v1/iam/whoami", &a).await.body["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = create(
        &sbx,
        &a,
        json!({ "name": "b", "projects": ["web"], "expires_at": null }),
    )
    .await;
    let b = secret(&r);
    assert_eq!(r.body["token"]["parent_id"], a_id.as_str());
    assert_eq!(
        r.body["token"]["created_by"],
        json!({ "type": "token", "id": a_id })
    );
    let b_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    let c = secret(
        &create(
            &sbx,
            &b,
            json!({ "name": "c", "projects": ["web"], "expires_at": null }),
        )
        .await,
    );
    // An account made with b, its secret and a bearer, and a token for it.
    let r = sbx
        .post(
            "/v1/iam/service-accounts",
            &b,
            json!({ "project": "web", "name": "deploy", "role": "member" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sa = r.body["client_id"].as_str().unwrap().to_owned();
    let cs = r.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body["service_account"]["client_secret"]["parent_id"],
        b_id.as_str()
    );
    let bearer = client_credentials(&sbx, &sa, &cs).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sa_token = secret(
        &sbx.post(
            &format!("/v1/iam/service-accounts/{sa}/tokens"),
            &b,
            json!({ "name": "deploy-token", "expires_at": null }),
        )
        .await,
    );
    for t in [&b, &c, &bearer, &sa_token] {
        assert_eq!(sbx.get(SERVERS, t).await.status, StatusCode::OK);
    }

    // Rotating b passes c, the account's secret and its token to the replacement.
    let r = sbx
        .post(&format!("/v1/iam/tokens/{b_id}/rotate"), &a, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b2_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["token"]["parent_id"], a_id.as_str());
    let listed = sbx.get("/v1/iam/tokens", &a).await;
    let c_row = listed.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "c")
        .cloned()
        .unwrap();
    assert_eq!(c_row["parent_id"], b2_id.as_str());
    // The rotated-out b ends with its grace; its children do not.
    sbx.server
        .clock()
        .advance(chrono::Duration::days(8))
        .expect("in range");
    assert_eq!(sbx.get(SERVERS, &b).await.status, StatusCode::UNAUTHORIZED);
    for t in [&c, &sa_token] {
        assert_eq!(sbx.get(SERVERS, t).await.status, StatusCode::OK);
    }

    // Revoking the replacement ends everything below it, at every depth.
    let r = sbx.delete(&format!("/v1/iam/tokens/{b2_id}"), &a).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for t in [&c, &sa_token] {
        let r = sbx.get(SERVERS, t).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "revoked"),
            "{}",
            r.text
        );
    }
    let r = client_credentials(&sbx, &sa, &cs).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the secret went with b2: {}",
        r.text
    );
    assert_eq!(sbx.get(SERVERS, &a).await.status, StatusCode::OK);

    // The audit log says what the revocation ended.
    let r = sbx.get("/v1/audit/events?limit=20", &a).await;
    assert!(r.text.contains("credentials made through it"), "{}", r.text);
}

#[tokio::test]
async fn offboarding_a_member_ends_what_their_tokens_made() {
    let sbx = sandbox().await;
    let admin = sbx.simple_token("u_admin", json!("all")).await;
    let r = sbx
        .post(
            "/v1/iam/service-accounts",
            &admin,
            json!({ "project": "web", "name": "made-by-admin", "role": "read_only" }),
        )
        .await;
    let sa = r.body["client_id"].as_str().unwrap().to_owned();
    let sa_token = secret(
        &sbx.post(
            &format!("/v1/iam/service-accounts/{sa}/tokens"),
            &admin,
            json!({ "name": "t", "expires_at": null }),
        )
        .await,
    );
    assert_eq!(sbx.get(SERVERS, &sa_token).await.status, StatusCode::OK);
    let r = sbx
        .post(
            "/v1/org/members/u_admin/revoke-tokens",
            &sbx.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["revoked"], 1);
    assert!(
        r.body["revoked_descendants"].as_u64().unwrap() >= 2,
        "{}",
        r.text
    );
    assert_eq!(
        sbx.get(SERVERS, &sa_token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// What a credential made is decided along its line at every call: when the maker's
/// owner loses a role, the service-account token it made loses it too.
#[tokio::test]
async fn a_call_is_decided_along_the_whole_line() {
    let sbx = sandbox().await;
    // u_dev is promoted to admin of web, makes an account token, and is demoted.
    let r = sbx
        .patch(
            "/_sandbox/users/u_dev",
            &sbx.admin,
            json!({ "project_roles": { "web": "admin" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post(
            "/v1/iam/service-accounts",
            &dev,
            json!({ "project": "web", "name": "bot", "role": "member" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sa = r.body["client_id"].as_str().unwrap().to_owned();
    let bot = secret(
        &sbx.post(
            &format!("/v1/iam/service-accounts/{sa}/tokens"),
            &dev,
            json!({ "name": "bot", "expires_at": null }),
        )
        .await,
    );
    let create_server = json!({ "project": "web", "name": "s1" });
    let r = sbx
        .post("/v1/compute/servers", &bot, create_server.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    sbx.patch(
        "/_sandbox/users/u_dev",
        &sbx.admin,
        json!({ "project_roles": { "web": "read_only" } }),
    )
    .await;
    let r = sbx
        .post(
            "/v1/compute/servers",
            &bot,
            json!({ "project": "web", "name": "s2" }),
        )
        .await;
    assert_eq!(
        (r.status, r.code(), r.body["creator_reason"].as_str()),
        (StatusCode::FORBIDDEN, "creator_denied", Some("not_in_role")),
        "{}",
        r.text
    );
    // Reads the maker still may make go on.
    assert_eq!(sbx.get(SERVERS, &bot).await.status, StatusCode::OK);
    // The caller is not told the maker's allow-list or email; the audit log has it all.
    assert!(!r.text.contains("dev@acme.example"), "{}", r.text);
}
