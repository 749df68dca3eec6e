//! Authentication and authorization over HTTP: every 401 and 403 the API gives.

mod common;

use clouddigit_core::TokenSecret;
use common::{config, sandbox, sandbox_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn bootstrap_token_file_is_private_and_works() {
    let dir = std::env::temp_dir().join(format!("cd-sbx-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    let sbx = sandbox_with(clouddigit_sandbox::Config {
        token_file: Some(file.clone()),
        ..config()
    })
    .await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.trim(), sbx.admin);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let r = sbx
        .get("/v1/compute/servers?project=web", text.trim())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["servers"].as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn unauthenticated_calls_are_401_json_with_request_id() {
    let sbx = sandbox().await;
    let r = sbx
        .send(
            Method::GET,
            "/v1/compute/servers?project=web",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "missing_token");
    let rid = r.body["request_id"].as_str().unwrap();
    assert_eq!(r.headers["x-request-id"].to_str().unwrap(), rid);

    // A real token with one character changed: the checksum catches it offline.
    let mut bad = sbx.admin.clone().into_bytes();
    bad[20] = if bad[20] == b'a' { b'b' } else { b'a' };
    let bad = String::from_utf8(bad).unwrap();
    let r = sbx.get("/v1/compute/servers?project=web", &bad).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "malformed_token");
    assert_eq!(r.body["detail"], "bad_checksum");
    assert!(!r.text.contains(&bad[9..]));
    assert!(r.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    let r = sbx
        .get("/v1/compute/servers?project=web", "not-a-token")
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "malformed_token")
    );

    let r = sbx
        .send(
            Method::GET,
            "/v1/compute/servers",
            None,
            None,
            &[("authorization", "Basic abc")],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "malformed_token")
    );

    // Well-formed, valid checksum, never issued.
    let unknown = TokenSecret::generate(|b| b.fill(7))
        .expose_secret()
        .to_owned();
    let r = sbx.get("/v1/compute/servers?project=web", &unknown).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unknown_token")
    );
}

#[tokio::test]
async fn suspended_owner_is_401_and_role_changes_apply_on_the_next_call() {
    let sbx = sandbox().await;
    // A suspended user cannot be issued a token at all (the core's validation).
    let r = sbx
        .post(
            "/_sandbox/users/u_former/tokens",
            &sbx.admin,
            json!({ "name": "late", "projects": ["web"], "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let create = json!({ "project": "web", "name": "api-1", "tags": { "env": "dev" } });
    let r = sbx.post("/v1/compute/servers", &dev, create.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Demote dev to read_only in web: the same token can no longer create.
    let r = sbx
        .patch(
            "/_sandbox/users/u_dev",
            &sbx.admin,
            json!({ "project_roles": { "web": "read_only" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = sbx.post("/v1/compute/servers", &dev, create.clone()).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_in_role"));
    assert_eq!(r.body["permission"], "compute.servers.create");
    let r = sbx.get("/v1/compute/servers?project=web", &dev).await;
    assert_eq!(r.status, StatusCode::OK);

    // Suspend: every call is 401 at once.
    sbx.patch(
        "/_sandbox/users/u_dev",
        &sbx.admin,
        json!({ "status": "suspended" }),
    )
    .await;
    let r = sbx.get("/v1/compute/servers?project=web", &dev).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "owner_inactive")
    );

    // Only the organization owner may use /_sandbox.
    let analyst = sbx.simple_token("u_analyst", json!(["data"])).await;
    let r = sbx.get("/_sandbox/clock", &analyst).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "sandbox_admin_only")
    );
}

#[tokio::test]
async fn denials_carry_the_evaluator_reason() {
    let sbx = sandbox().await;
    let analyst = sbx.simple_token("u_analyst", json!(["data"])).await;
    // read_only may list but not create.
    let r = sbx.get("/v1/storage/buckets?project=data", &analyst).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = sbx
        .post(
            "/v1/storage/buckets",
            &analyst,
            json!({ "project": "data", "name": "new-bucket" }),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_in_role"));
    assert!(r.body["message"].as_str().unwrap().contains("read_only"));
    // Outside the token's projects.
    let r = sbx.get("/v1/compute/servers?project=web", &analyst).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "project_out_of_scope")
    );
    // A resource in another project, by id.
    let web1 = sbx.server_id("web", "web-1").await;
    let r = sbx
        .get(&format!("/v1/compute/servers/{web1}"), &analyst)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "project_out_of_scope")
    );
    // Organization-level action.
    let r = sbx.get("/v1/org/service-accounts", &analyst).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Downscoped token: only what it lists.
    let dev_ro = sbx
        .user_token(
            "u_dev",
            json!({ "name": "ro", "projects": ["web"], "permissions": ["compute.servers.list", "compute.servers.get"], "expires_in_days": 30 }),
        )
        .await;
    let r = sbx.get("/v1/compute/servers?project=web", &dev_ro).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = sbx
        .post(
            &format!("/v1/compute/servers/{web1}/stop"),
            &dev_ro,
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "not_in_token_permissions")
    );

    // MFA step-up: never with a token, not even the owner's.
    let r = sbx
        .delete("/v1/storage/buckets/acme-data-lake/object-lock", &sbx.admin)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "step_up_required")
    );
    let r = sbx
        .send(
            Method::POST,
            "/v1/storage/buckets/acme-web-assets/object-lock",
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Unknown route and wrong method are JSON errors too.
    let r = sbx.get("/v1/nothing-here", &sbx.admin).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = sbx
        .send(Method::PUT, "/v1/iam/tokens", Some(&sbx.admin), None, &[])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let r = sbx.get("/v1/compute/servers/srv_nope", &sbx.admin).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn allowed_ips_use_the_peer_address_and_forwarded_for_only_when_trusted() {
    let sbx = sandbox().await;
    let spec = json!({ "name": "ci", "projects": ["web"], "expires_at": null, "allowed_ips": ["10.0.0.0/8"] });
    let ci = sbx.user_token("u_dev", spec.clone()).await;
    let r = sbx.get("/v1/compute/servers?project=web", &ci).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "ip_not_allowed")
    );
    // Not trusted: the header is ignored.
    let r = sbx
        .send(
            Method::GET,
            "/v1/compute/servers?project=web",
            Some(&ci),
            None,
            &[("x-forwarded-for", "10.1.2.3")],
        )
        .await;
    assert_eq!(r.code(), "ip_not_allowed");
    let local = sbx
        .user_token("u_dev", json!({ "name": "local", "projects": ["web"], "expires_at": null, "allowed_ips": "127.0.0.1, ::1" }))
        .await;
    let r = sbx.get("/v1/compute/servers?project=web", &local).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Behind one proxy: the entry it appended (the rightmost) is the client; whatever the
    // client wrote to the left of it is not believed.
    let proxied = sandbox_with(clouddigit_sandbox::Config {
        trust_proxy: 1,
        ..config()
    })
    .await;
    let ci = proxied.user_token("u_dev", spec.clone()).await;
    let call = |token: String, forwarded: &'static str| {
        let p = &proxied;
        async move {
            p.send(
                Method::GET,
                "/v1/compute/servers?project=web",
                Some(&token),
                None,
                &[("x-forwarded-for", forwarded)],
            )
            .await
        }
    };
    let r = call(ci.clone(), "10.1.2.3").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = call(ci.clone(), "10.1.2.3, 192.0.2.1").await;
    assert_eq!(
        r.code(),
        "ip_not_allowed",
        "a spoofed leftmost entry: {}",
        r.text
    );
    let r = call(ci.clone(), "192.0.2.1").await;
    assert_eq!(r.code(), "ip_not_allowed");
    // Behind two: the second from the right.
    let two = sandbox_with(clouddigit_sandbox::Config {
        trust_proxy: 2,
        ..config()
    })
    .await;
    let ci = two.user_token("u_dev", spec).await;
    let r = two
        .send(
            Method::GET,
            "/v1/compute/servers?project=web",
            Some(&ci),
            None,
            &[("x-forwarded-for", "192.0.2.9, 10.1.2.3, 127.0.0.1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = two
        .send(
            Method::GET,
            "/v1/compute/servers?project=web",
            Some(&ci),
            None,
            &[("x-forwarded-for", "10.1.2.3, 192.0.2.9, 127.0.0.1")],
        )
        .await;
    assert_eq!(r.code(), "ip_not_allowed", "{}", r.text);
}

/// An address that keeps failing is slowed down before anything is looked up for it,
/// and so is one that keeps calling without a token.
#[tokio::test]
async fn failed_and_unauthenticated_calls_are_limited_per_address() {
    let sbx = sandbox_with(clouddigit_sandbox::Config {
        failure_burst: 5,
        failure_per_second: 0.01,
        ..config()
    })
    .await;
    let bogus = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA";
    for _ in 0..5 {
        let r = sbx.get("/v1/compute/servers?project=web", bogus).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let r = sbx.get("/v1/compute/servers?project=web", bogus).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(r.headers.contains_key("retry-after"));
    // The whole address waits, valid tokens included, until the bucket refills.
    let r = sbx.get("/v1/compute/servers?project=web", &sbx.admin).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected (the proxy says who is calling).
    let other = sandbox_with(clouddigit_sandbox::Config {
        failure_burst: 2,
        failure_per_second: 0.01,
        trust_proxy: 1,
        ..config()
    })
    .await;
    for _ in 0..3 {
        other
            .send(
                Method::POST,
                "/realms/acme/protocol/openid-connect/token",
                None,
                None,
                &[("x-forwarded-for", "192.0.2.1")],
            )
            .await;
    }
    let r = other
        .send(
            Method::POST,
            "/realms/acme/protocol/openid-connect/token",
            None,
            None,
            &[("x-forwarded-for", "192.0.2.1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = other
        .send(
            Method::GET,
            "/v1/compute/servers?project=web",
            Some(&other.admin),
            None,
            &[("x-forwarded-for", "192.0.2.2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn service_account_tag_selector_limits_resources() {
    let sbx = sandbox().await;
    let r = sbx
        .post(
            "/v1/iam/service-accounts",
            &sbx.admin,
            json!({ "project": "web", "name": "staging-deployer", "role": "member", "tag_selector": { "env": "staging" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sa = r.body["service_account"]["id"].as_str().unwrap().to_owned();
    let r = sbx
        .post(
            &format!("/v1/iam/service-accounts/{sa}/tokens"),
            &sbx.admin,
            json!({ "name": "deploy", "expires_in_days": 90 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let tok = r.body["secret"].as_str().unwrap().to_owned();
    let r = sbx.get("/v1/compute/servers?project=web", &tok).await;
    let names: Vec<&str> = r.body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web-staging"]);
    let prod = sbx.server_id("web", "web-1").await;
    let staging = sbx.server_id("web", "web-staging").await;
    let r = sbx
        .post(&format!("/v1/compute/servers/{prod}/stop"), &tok, json!({}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "tag_mismatch")
    );
    let r = sbx
        .post(
            &format!("/v1/compute/servers/{staging}/stop"),
            &tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "stopped");
    let r = sbx
        .post(
            "/v1/compute/servers",
            &tok,
            json!({ "project": "web", "name": "x", "tags": { "env": "prod" } }),
        )
        .await;
    assert_eq!(r.code(), "tag_mismatch");
    let r = sbx
        .post(
            "/v1/compute/servers",
            &tok,
            json!({ "project": "web", "name": "x", "tags": { "env": "staging" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The account's home project only.
    let r = sbx.get("/v1/compute/servers?project=prod", &tok).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_custom_seed_replaces_the_builtin_organization() {
    let seed: clouddigit_sandbox::Seed = serde_json::from_value(json!({
        "organization": "globex",
        "projects": ["alpha"],
        "users": [
            { "id": "boss", "email": "boss@globex.example", "org_role": "owner" },
            { "id": "eng", "email": "eng@globex.example", "project_roles": { "alpha": "admin" } }
        ],
        "buckets": [{ "project": "alpha", "name": "globex-logs" }]
    }))
    .unwrap();
    let sbx = sandbox_with(clouddigit_sandbox::Config {
        seed: Some(seed),
        ..config()
    })
    .await;
    let r = sbx.get("/v1/storage/buckets/globex-logs", &sbx.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["project"], "alpha");
    let eng = sbx.simple_token("eng", json!(["alpha"])).await;
    let r = sbx.get("/v1/iam/tokens", &eng).await;
    assert_eq!(r.body["tokens"][0]["organization"], "globex");
    // The built-in organization's projects are not this one's.
    let r = sbx.get("/v1/compute/servers?project=web", &sbx.admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["code"], "unknown_project");
    // A seed without an owner is refused.
    let bad: clouddigit_sandbox::Seed = serde_json::from_value(json!({
        "organization": "x", "projects": [], "users": [{ "id": "a", "email": "a@x" }]
    }))
    .unwrap();
    assert!(clouddigit_sandbox::start(clouddigit_sandbox::Config {
        seed: Some(bad),
        ..config()
    })
    .await
    .is_err());
}

#[tokio::test]
async fn the_binary_prints_the_prefix_never_the_secret() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("cd-sbx-bin-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clouddigit-sandbox"))
        .args(["--port", "0", "--db"])
        .arg(dir.join("s.db"))
        .arg("--token-file")
        .arg(&token_file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line);
    }
    let url = lines[0].trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{lines:?}");
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    let printed = lines.concat();
    assert!(printed.contains(&token[..9]));
    assert!(printed.contains(&token_file.display().to_string()));
    assert!(!printed.contains(&token[9..]));
    let r = reqwest::Client::new()
        .get(format!("{url}/v1/compute/servers?project=web"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
