//! Service accounts: lifecycle, limits, tokens, access keys, client credentials.

mod common;

use chrono::Duration;
use common::sandbox;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn create_sa(sbx: &common::Sbx, token: &str, body: Value) -> common::Resp {
    sbx.post("/v1/iam/service-accounts", token, body).await
}

#[tokio::test]
async fn lifecycle_update_disable_delete() {
    let sbx = sandbox().await;
    let r = create_sa(&sbx, &sbx.admin, json!({ "project": "web", "name": "ci-deployer", "description": "GitHub Actions", "role": "member" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["service_account"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client_id"], id.as_str());
    assert!(r.body["client_secret"]
        .as_str()
        .unwrap()
        .starts_with("cdcs_"));
    assert_eq!(r.body["service_account"]["level"], "project");

    let r = sbx
        .get("/v1/iam/service-accounts?project=web", &sbx.admin)
        .await;
    assert_eq!(r.body["service_accounts"].as_array().unwrap().len(), 1);
    assert!(!r.text.contains("cdcs_"));
    let r = sbx
        .get(&format!("/v1/iam/service-accounts/{id}"), &sbx.admin)
        .await;
    assert_eq!(r.body["name"], "ci-deployer");

    let r = sbx
        .patch(&format!("/v1/iam/service-accounts/{id}"), &sbx.admin, json!({ "description": "deploys web", "role": "admin", "tag_selector": { "env": "prod" } }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(r.body["tag_selector"], json!({ "env": "prod" }));
    let r = sbx
        .patch(
            &format!("/v1/iam/service-accounts/{id}"),
            &sbx.admin,
            json!({ "name": "renamed", "role": "god" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2);

    // Its token works until the account is disabled, and again once enabled.
    let r = sbx
        .post(
            &format!("/v1/iam/service-accounts/{id}/tokens"),
            &sbx.admin,
            json!({ "name": "t1", "expires_at": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t1 = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &t1).await.status,
        StatusCode::OK
    );
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/service-accounts/{id}/disable"),
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["status"], "disabled");
    let r = sbx.get("/v1/compute/servers?project=web", &t1).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "owner_inactive")
    );
    sbx.send(
        Method::POST,
        &format!("/v1/iam/service-accounts/{id}/enable"),
        Some(&sbx.admin),
        None,
        &[],
    )
    .await;
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &t1).await.status,
        StatusCode::OK
    );

    let r = sbx
        .delete(&format!("/v1/iam/service-accounts/{id}"), &sbx.admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &t1).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sbx.get(&format!("/v1/iam/service-accounts/{id}"), &sbx.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The name is free again.
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "ci-deployer" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn names_are_checked_unique_and_limited_to_25() {
    let sbx = sandbox().await;
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "Bad_Name" }),
    )
    .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name_invalid_characters")
        )
    );
    let r = create_sa(&sbx, &sbx.admin, json!({ "project": "mars", "name": "x" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "project_unknown");
    for i in 0..25 {
        let r = create_sa(
            &sbx,
            &sbx.admin,
            json!({ "project": "web", "name": format!("bot-{i}") }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "bot-0" }),
    )
    .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name_taken"))
    );
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "bot-25" }),
    )
    .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("service_account_limit_reached")
        )
    );
    // Another project has its own 25, and the same name is fine there.
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "data", "name": "bot-0" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn only_project_admins_manage_service_accounts() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = create_sa(&sbx, &dev, json!({ "project": "web", "name": "mine" })).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_in_role"));
    // But a member can list them (read_only and up).
    assert_eq!(
        sbx.get("/v1/iam/service-accounts?project=web", &dev)
            .await
            .status,
        StatusCode::OK
    );
    let admin = sbx.simple_token("u_admin", json!(["web"])).await;
    assert_eq!(
        create_sa(&sbx, &admin, json!({ "project": "web", "name": "ok" }))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn several_tokens_rotate_and_revoke() {
    let sbx = sandbox().await;
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "data", "name": "etl", "role": "read_only" }),
    )
    .await;
    let id = r.body["service_account"]["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/iam/service-accounts/{id}/tokens");
    let a = sbx
        .post(
            &base,
            &sbx.admin,
            json!({ "name": "dhaka", "expires_in_days": 90 }),
        )
        .await;
    let b = sbx
        .post(
            &base,
            &sbx.admin,
            json!({ "name": "chittagong", "expires_in_days": 90 }),
        )
        .await;
    assert_eq!(a.body["token"]["projects"], json!(["data"]));
    let (sa_a, sa_b) = (
        a.body["secret"].as_str().unwrap().to_owned(),
        b.body["secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=data", &sa_a)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=data", &sa_b)
            .await
            .status,
        StatusCode::OK
    );
    let r = sbx.get(&base, &sbx.admin).await;
    assert_eq!(r.body["tokens"].as_array().unwrap().len(), 2);
    assert!(!r.text.contains(&sa_a));
    // One active token per name and account, as the form's validation says.
    let r = sbx
        .post(
            &base,
            &sbx.admin,
            json!({ "name": "dhaka", "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name_taken")),
        "{}",
        r.text
    );

    // Scope checks for service-account tokens.
    let r = sbx
        .post(
            &base,
            &sbx.admin,
            json!({ "name": "x", "projects": ["web"], "expires_at": null }),
        )
        .await;
    // The account has no role outside its project: the core's code, as in the console.
    assert_eq!(r.body["errors"][0]["code"], "project_no_role", "{}", r.text);
    let r = sbx
        .post(
            &base,
            &sbx.admin,
            json!({ "name": "x", "projects": "all", "expires_at": null }),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"], "all_projects_not_allowed",
        "{}",
        r.text
    );

    let a_id = a.body["token"]["id"].as_str().unwrap();
    let r = sbx
        .send(
            Method::POST,
            &format!("{base}/{a_id}/rotate"),
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a2 = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=data", &a2)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=data", &sa_a)
            .await
            .status,
        StatusCode::OK
    );

    let b_id = b.body["token"]["id"].as_str().unwrap();
    let r = sbx.delete(&format!("{base}/{b_id}"), &sbx.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=data", &sa_b)
            .await
            .code(),
        "revoked"
    );
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=data", &a2)
            .await
            .status,
        StatusCode::OK
    );
    // The read_only account cannot write.
    let r = sbx
        .post(
            "/v1/storage/buckets",
            &a2,
            json!({ "project": "data", "name": "etl-out" }),
        )
        .await;
    assert_eq!(r.code(), "not_in_role");
}

#[tokio::test]
async fn access_keys_show_the_secret_once() {
    let sbx = sandbox().await;
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "data", "name": "s3-sync", "role": "member" }),
    )
    .await;
    let id = r.body["service_account"]["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/iam/service-accounts/{id}/access-keys");
    let r = sbx
        .send(Method::POST, &base, Some(&sbx.admin), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let key_id = r.body["id"].as_str().unwrap().to_owned();
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(key_id.len(), 20);
    assert_eq!(secret.len(), 47);
    assert!(
        secret.starts_with("cdsk_"),
        "the core's access-key secret format"
    );
    let r = sbx.get(&base, &sbx.admin).await;
    assert_eq!(r.body["access_keys"][0]["id"], key_id.as_str());
    assert!(!r.text.contains(&secret));
    assert!(r.body["access_keys"][0].get("secret").is_none());
    assert_eq!(
        sbx.delete(&format!("{base}/{key_id}"), &sbx.admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sbx.delete(&format!("{base}/{key_id}"), &sbx.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sbx.get(&base, &sbx.admin).await.body["access_keys"],
        json!([])
    );
}

async fn client_credentials(sbx: &common::Sbx, form: &str) -> common::Resp {
    let resp = sbx
        .http
        .post(sbx.url("/realms/acme/protocol/openid-connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    common::Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

#[tokio::test]
async fn client_credentials_grant_and_secret_reset() {
    let sbx = sandbox().await;
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "monitor", "role": "read_only" }),
    )
    .await;
    let id = r.body["client_id"].as_str().unwrap().to_owned();
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");

    let r = client_credentials(&sbx, &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 300);
    assert_eq!(r.headers["cache-control"], "no-store");
    let bearer = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &bearer)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sbx.post(
            "/v1/compute/servers",
            &bearer,
            json!({ "project": "web", "name": "x" })
        )
        .await
        .code(),
        "not_in_role"
    );

    // Short-lived.
    sbx.server
        .clock()
        .advance(Duration::seconds(301))
        .expect("within the clock's range");
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &bearer)
            .await
            .code(),
        "expired"
    );

    let bearer = client_credentials(&sbx, &form).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/service-accounts/{id}/secret"),
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new_secret = r.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    // The old secret and the bearers it minted stop working at once.
    let r = client_credentials(&sbx, &form).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &bearer)
            .await
            .code(),
        "revoked"
    );
    let r = client_credentials(
        &sbx,
        &format!("grant_type=client_credentials&client_id={id}&client_secret={new_secret}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = client_credentials(
        &sbx,
        &format!("grant_type=password&client_id={id}&client_secret={new_secret}"),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let r = client_credentials(
        &sbx,
        "grant_type=client_credentials&client_id=sa_nope&client_secret=x",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body["request_id"].is_string());

    // A disabled account gets nothing.
    sbx.send(
        Method::POST,
        &format!("/v1/iam/service-accounts/{id}/disable"),
        Some(&sbx.admin),
        None,
        &[],
    )
    .await;
    let r = client_credentials(
        &sbx,
        &format!("grant_type=client_credentials&client_id={id}&client_secret={new_secret}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn organization_level_service_accounts() {
    let sbx = sandbox().await;
    let r = sbx
        .post(
            "/v1/org/service-accounts",
            &sbx.admin,
            json!({ "name": "backup", "role": "read_only" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["service_account"]["level"], "organization");
    let id = r.body["client_id"].as_str().unwrap().to_owned();
    let r = sbx.get("/v1/org/service-accounts", &sbx.admin).await;
    assert_eq!(r.body["service_accounts"].as_array().unwrap().len(), 1);
    // Its tokens list projects (every project by default) and work in each.
    let r = sbx
        .post(
            &format!("/v1/iam/service-accounts/{id}/tokens"),
            &sbx.admin,
            json!({ "name": "nightly", "expires_in_days": 7 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["token"]["projects"], json!(["web", "data", "prod"]));
    let tok = r.body["secret"].as_str().unwrap().to_owned();
    for p in ["web", "data", "prod"] {
        assert_eq!(
            sbx.get(&format!("/v1/compute/servers?project={p}"), &tok)
                .await
                .status,
            StatusCode::OK
        );
    }
    // A project admin is not an organization admin.
    let dev_admin = sbx.simple_token("u_dev", json!(["web"])).await;
    assert_eq!(
        sbx.get(&format!("/v1/iam/service-accounts/{id}"), &dev_admin)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sbx.delete(&format!("/v1/org/service-accounts/{id}"), &sbx.admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &tok)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// Creating and updating an account applies the core's `validate_service_account`, the
/// rules the console's form shows as the user types: the server cannot accept what the
/// form refuses, and every problem is reported at once.
#[tokio::test]
async fn create_and_update_apply_the_forms_rules() {
    let sbx = sandbox().await;
    let long = "d".repeat(clouddigit_core::validate::MAX_DESCRIPTION_CHARS + 1);
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "-bad-", "role": "owner", "description": long, "tag_selector": { "Env Name": "prod" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let codes: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    for code in [
        "name_invalid_characters",
        "description_too_long",
        "role_invalid",
        "tag_selector_invalid",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "ok-bot", "tag_selector": "env=prod, team=web" }),
    )
    .await;
    // The selector's text form is the console's; the API takes the object form.
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "tag_selector");
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "ok-bot", "tag_selector": { "env": "prod" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["service_account"]["role"], "read_only");
    let id = r.body["service_account"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/iam/service-accounts/{id}");
    let r = sbx
        .patch(&path, &sbx.admin, json!({ "description": long }))
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("description_too_long")
        ),
        "{}",
        r.text
    );
    // An update is checked beside the other accounts, not against itself.
    let r = sbx
        .patch(
            &path,
            &sbx.admin,
            json!({ "description": "deploys web", "role": "member" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["role"], "member");
    assert_eq!(r.body["tag_selector"], json!({ "env": "prod" }));
}

/// Updates, resets and deletes of one account racing each other: each is read, checked
/// and written under one hold of the database, so none undoes another. A reset's old
/// secret never comes back, and a deleted account stays deleted.
// Four worker threads: the handlers really run side by side (on the code before the fix,
// a deleted account came back in 5 runs of 8, its update having read it live).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_changes_to_an_account_never_undo_each_other() {
    let sbx = common::sandbox_with(clouddigit_sandbox::Config {
        rate_burst: 0,
        failure_burst: 0,
        ..common::config()
    })
    .await;
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "racer", "role": "member" }),
    )
    .await;
    let id = r.body["client_id"].as_str().unwrap().to_owned();
    let first = r.body["client_secret"].as_str().unwrap().to_owned();
    let path = format!("/v1/iam/service-accounts/{id}");
    let reset = format!("{path}/secret");
    let grant = |secret: String| {
        let body = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
        let http = sbx.http.clone();
        let url = sbx.url("/realms/acme/protocol/openid-connect/token");
        async move {
            http.post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let mut old = vec![first];
    for round in 0..5 {
        let calls: Vec<_> = (0..64)
            .map(|i| {
                sbx.patch(
                    &path,
                    &sbx.admin,
                    json!({ "description": format!("edit {round}.{i}") }),
                )
            })
            .collect();
        let resets: Vec<_> = (0..8)
            .map(|_| sbx.send(Method::POST, &reset, Some(&sbx.admin), None, &[]))
            .collect();
        let (_, resets) = tokio::join!(
            futures_util::future::join_all(calls),
            futures_util::future::join_all(resets)
        );
        let secrets: Vec<String> = resets
            .iter()
            .filter_map(|r| r.body["client_secret"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(secrets.len(), 8);
        old.extend(secrets);
        let mut working = Vec::new();
        for s in &old {
            if grant(s.clone()).await == StatusCode::OK {
                working.push(s.clone());
            }
        }
        assert_eq!(
            working.len(),
            1,
            "round {round}: exactly the last secret works"
        );
    }

    // A delete racing updates: the account stays deleted.
    let calls: Vec<_> = (0..64)
        .map(|i| {
            sbx.patch(
                &path,
                &sbx.admin,
                json!({ "description": format!("late {i}") }),
            )
        })
        .collect();
    let (_, deleted) = tokio::join!(
        futures_util::future::join_all(calls),
        sbx.delete(&path, &sbx.admin)
    );
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sbx.get(&path, &sbx.admin).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_service_account_token_downscopes_within_itself() {
    let sbx = sandbox().await;
    let r = create_sa(
        &sbx,
        &sbx.admin,
        json!({ "project": "web", "name": "deployer", "role": "member" }),
    )
    .await;
    let id = r.body["service_account"]["id"].as_str().unwrap().to_owned();
    let r = sbx
        .post(
            &format!("/v1/iam/service-accounts/{id}/tokens"),
            &sbx.admin,
            json!({ "name": "ci", "expires_in_days": 30 }),
        )
        .await;
    let token_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/iam/service-accounts/{id}/tokens/{token_id}/downscope");
    // Beyond the account's role (member): refused, naming the permission.
    let r = sbx
        .post(
            &path,
            &sbx.admin,
            json!({ "permissions": ["iam.members.remove"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("permissions"),
        "{}",
        r.text
    );
    let r = sbx
        .post(
            &path,
            &sbx.admin,
            json!({ "permissions": ["compute.servers.list"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["token"]["permissions"],
        json!(["compute.servers.list"])
    );
    assert_eq!(r.body["replaces"]["status"], "rotating");
    let narrow = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &narrow)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sbx.get("/v1/storage/buckets?project=web", &narrow)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
