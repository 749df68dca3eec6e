//! Personal tokens: create, list, get, rotate (grace window), revoke, expiry, validation,
//! idempotent create.

mod common;

use chrono::Duration;
use common::sandbox;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn create_list_get_and_secret_shown_once() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "laptop-cli", "projects": ["web"], "permissions": ["compute.*"], "expires_in_days": 30, "allowed_ips": ["127.0.0.1"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let id = r.body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["token"]["prefix"], &secret[..9]);
    assert_eq!(r.body["token"]["allowed_ips"], json!(["127.0.0.1/32"]));
    assert_eq!(
        r.body["token"]["owner"],
        json!({ "type": "user", "id": "u_dev" })
    );
    assert_eq!(r.body["token"]["status"], "active");

    let r = sbx.get("/v1/iam/tokens", &dev).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["tokens"].as_array().unwrap().len(), 2);
    assert!(!r.text.contains(&secret));
    assert!(!r.text.contains("\"secret\""));
    let r = sbx.get(&format!("/v1/iam/tokens/{id}"), &dev).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "laptop-cli");
    assert!(!r.text.contains(&secret));

    // The new token works, within its downscope.
    let r = sbx.get("/v1/compute/servers?project=web", &secret).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = sbx.get("/v1/storage/buckets?project=web", &secret).await;
    assert_eq!(r.code(), "not_in_token_permissions");

    // Another user's token is not visible.
    let other = sbx.simple_token("u_admin", json!(["web"])).await;
    let r = sbx.get(&format!("/v1/iam/tokens/{id}"), &other).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = sbx.delete(&format!("/v1/iam/tokens/{id}"), &other).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn revoke_is_effective_on_the_next_call() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "short", "projects": ["web"], "expires_at": null }),
        )
        .await;
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let id = r.body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &secret)
            .await
            .status,
        StatusCode::OK
    );
    let r = sbx.delete(&format!("/v1/iam/tokens/{id}"), &dev).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "revoked");
    let r = sbx.get("/v1/compute/servers?project=web", &secret).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "revoked"));
    // A token can revoke itself; the call that does it succeeds, the next one fails.
    let r = sbx.get("/v1/iam/tokens", &dev).await;
    let own_id = r.body["tokens"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.delete(&format!("/v1/iam/tokens/{own_id}"), &dev)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(sbx.get("/v1/iam/tokens", &dev).await.code(), "revoked");
}

#[tokio::test]
async fn rotation_keeps_the_old_token_for_seven_days() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post("/v1/iam/tokens", &dev, json!({ "name": "terraform", "projects": ["web"], "permissions": ["compute.servers.*"], "expires_in_days": 365 }))
        .await;
    let old = r.body["secret"].as_str().unwrap().to_owned();
    let old_id = r.body["token"]["id"].as_str().unwrap().to_owned();

    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/tokens/{old_id}/rotate"),
            Some(&dev),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(r.body["token"]["name"], "terraform");
    assert_eq!(r.body["token"]["permissions"], json!(["compute.servers.*"]));
    assert_eq!(r.body["token"]["projects"], json!(["web"]));
    assert_eq!(r.body["replaces"]["status"], "rotating");
    assert!(r.body["replaces"]["rotated_at"].is_string());
    let new_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["replaces"]["replaced_by"], new_id.as_str());

    // Both work during the grace window.
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &old)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &new)
            .await
            .status,
        StatusCode::OK
    );
    // Rotating the old one again is a conflict.
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/tokens/{old_id}/rotate"),
            Some(&dev),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_rotated")
    );

    sbx.server
        .clock()
        .advance(Duration::days(7) - Duration::minutes(1))
        .expect("within the clock's range");
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &old)
            .await
            .status,
        StatusCode::OK
    );
    // Through the admin endpoint this time.
    let r = sbx
        .post(
            "/_sandbox/clock",
            &sbx.admin,
            json!({ "advance_seconds": 120 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = sbx.get("/v1/compute/servers?project=web", &old).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "rotated"));
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &new)
            .await
            .status,
        StatusCode::OK
    );
    let r = sbx.get(&format!("/v1/iam/tokens/{old_id}"), &dev).await;
    assert_eq!(r.body["status"], "rotated");
}

#[tokio::test]
async fn expired_tokens_are_401() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "day", "projects": ["web"], "expires_in_days": 1 }),
        )
        .await;
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &secret)
            .await
            .status,
        StatusCode::OK
    );
    sbx.server
        .clock()
        .advance(Duration::days(1) + Duration::seconds(1))
        .expect("within the clock's range");
    let r = sbx.get("/v1/compute/servers?project=web", &secret).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "expired"));
}

#[tokio::test]
async fn create_validates_every_field() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "", "projects": "all", "permissions": ["compute.servers.lst"], "expires_at": "2001-01-01T00:00:00Z", "allowed_ips": ["10.0.0.1/8"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "validation_failed");
    let fields: Vec<(&str, &str)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    // Every code is the core's, the one the console's form shows for the same draft.
    assert!(fields.contains(&("name", "name_required")), "{fields:?}");
    assert!(
        fields.contains(&("projects", "all_projects_not_allowed")),
        "{fields:?}"
    );
    // The core's code, at the API's field.
    assert!(
        fields.contains(&("expires_at", "expiry_in_past")),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("allowed_ips[0]", "host_bits_set")),
        "{fields:?}"
    );
    let perm = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "permissions[0]")
        .unwrap();
    // The core's validation code, the same the console shows.
    assert_eq!(perm["code"], "permission_unknown");
    assert!(perm["message"]
        .as_str()
        .unwrap()
        .contains("compute.servers.list"));

    // The call is authorized before the body is validated (which costs more): a project
    // the calling token cannot act in is a 403, whatever else the body holds.
    let r = sbx
        .post("/v1/iam/tokens", &dev, json!({ "name": "x", "projects": ["web", "mars"], "expires_at": null, "allowed_ips": ["10.0.0.1/8"] }))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "project_out_of_scope"),
        "{}",
        r.text
    );
    let r = sbx
        .post("/v1/iam/tokens", &dev, json!({ "name": "x", "projects": ["web"], "expires_at": null, "allowed_ips": ["10.0.0.1/8"] }))
        .await;
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["allowed_ips[0]"]);
    // Lifetime is mandatory.
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "x", "projects": ["web"] }),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "expires_at");
    // Not JSON at all.
    let r = sbx
        .send(
            Method::POST,
            "/v1/iam/tokens",
            Some(&dev),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["request_id"].is_string());
    // A project the user has no role in: refused by authorization, before validation
    // (the SDKs and the console say `project_no_role` at projects[0] before sending).
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "x", "projects": ["data"], "expires_at": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // A downscoped token cannot mint a wider one.
    let narrow = sbx
        .user_token("u_dev", json!({ "name": "narrow", "projects": ["web"], "permissions": ["iam.tokens.*", "compute.servers.list"], "expires_at": null }))
        .await;
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &narrow,
            json!({ "name": "wide", "projects": ["web"], "expires_at": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "permissions");
    assert_eq!(r.body["errors"][0]["code"], "exceeds_caller_permissions");
    let r = sbx
        .post("/v1/iam/tokens", &narrow, json!({ "name": "ok", "projects": ["web"], "permissions": ["compute.servers.list"], "expires_at": null }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn idempotency_key_returns_the_first_result() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let body = json!({ "name": "ci", "projects": ["web"], "expires_in_days": 30 });
    let key = [("idempotency-key", "create-ci-1")];
    let a = sbx
        .send(
            Method::POST,
            "/v1/iam/tokens",
            Some(&dev),
            Some(body.clone()),
            &key,
        )
        .await;
    let b = sbx
        .send(
            Method::POST,
            "/v1/iam/tokens",
            Some(&dev),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(b.status, StatusCode::CREATED);
    assert_eq!(a.body, b.body);
    assert_eq!(b.headers["idempotent-replayed"], "true");
    let r = sbx.get("/v1/iam/tokens", &dev).await;
    assert_eq!(r.body["tokens"].as_array().unwrap().len(), 2);
    // Same key, different request.
    let c = sbx
        .send(
            Method::POST,
            "/v1/iam/tokens",
            Some(&dev),
            Some(json!({ "name": "other", "projects": ["web"], "expires_in_days": 30 })),
            &key,
        )
        .await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    // Without a key, a second create is a second request: the name is taken now, as the
    // form's validation says; another name is created.
    let again = sbx.post("/v1/iam/tokens", &dev, body.clone()).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text
    );
    assert_eq!(again.body["errors"][0]["field"], "name");
    assert_eq!(again.body["errors"][0]["code"], "name_taken");
    let other = json!({ "name": "ci-2", "projects": ["web"], "expires_in_days": 30 });
    let r = sbx.post("/v1/iam/tokens", &dev, other).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = sbx.get("/v1/iam/tokens", &dev).await;
    assert_eq!(r.body["tokens"].as_array().unwrap().len(), 3);

    // Servers too.
    let key = [("idempotency-key", "srv-1")];
    let body = json!({ "project": "web", "name": "once" });
    let a = sbx
        .send(
            Method::POST,
            "/v1/compute/servers",
            Some(&dev),
            Some(body.clone()),
            &key,
        )
        .await;
    let b = sbx
        .send(
            Method::POST,
            "/v1/compute/servers",
            Some(&dev),
            Some(body),
            &key,
        )
        .await;
    assert_eq!(a.body["id"], b.body["id"]);
    let r = sbx.get("/v1/compute/servers?project=web", &dev).await;
    assert_eq!(
        r.body["servers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["name"] == "once")
            .count(),
        1
    );
}

/// The process keeps a create's whole answer (its secret too) for ten minutes; a retry
/// after that is told what the first request made, not shown the secret again.
#[tokio::test]
async fn a_late_replay_names_what_was_made_without_its_secret() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let body = json!({ "name": "late", "projects": ["web"], "expires_in_days": 30 });
    let key = [("idempotency-key", "late-1")];
    let send = || {
        sbx.send(
            Method::POST,
            "/v1/iam/tokens",
            Some(&dev),
            Some(body.clone()),
            &key,
        )
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let secret = first.body["secret"].as_str().unwrap().to_owned();
    let advance = |seconds: u32| {
        sbx.post(
            "/_sandbox/clock",
            &sbx.admin,
            json!({ "advance_seconds": seconds }),
        )
    };
    assert_eq!(advance(540).await.status, StatusCode::OK);
    let soon = send().await;
    assert_eq!(
        soon.body, first.body,
        "within ten minutes: the first answer"
    );
    assert_eq!(advance(120).await.status, StatusCode::OK);
    let late = send().await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::CONFLICT, "already_created"),
        "{}",
        late.text
    );
    assert_eq!(late.body["id"], first.body["token"]["id"]);
    assert!(!late.text.contains(&secret), "{}", late.text);
}

/// The server applies the rule the form shows: one active token per name and owner,
/// for personal and service-account tokens alike; a revoked token frees its name.
#[tokio::test]
async fn a_name_is_taken_while_its_token_is_active() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let body = json!({ "name": "deploy-bot", "projects": ["web"], "expires_in_days": 30 });
    let first = sbx.post("/v1/iam/tokens", &dev, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = sbx.post("/v1/iam/tokens", &dev, body.clone()).await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(second.body["errors"][0]["code"], "name_taken");
    assert!(
        second.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"deploy-bot\""),
        "{}",
        second.text
    );
    // The name belongs to its owner: another user may use it
    // (through the sandbox's admin route, which applies the rule too).
    sbx.user_token(
        "u_analyst",
        json!({ "name": "deploy-bot", "projects": ["data"], "expires_at": null }),
    )
    .await;
    let r = sbx
        .post(
            "/_sandbox/users/u_dev/tokens",
            &sbx.admin,
            json!({ "name": "deploy-bot", "projects": ["web"], "expires_at": null }),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "name_taken", "{}", r.text);
    // Revoked, the token no longer holds the name.
    let id = first.body["token"]["id"].as_str().unwrap();
    let r = sbx.delete(&format!("/v1/iam/tokens/{id}"), &dev).await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = sbx.post("/v1/iam/tokens", &dev, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn a_downscope_rotates_into_fewer_permissions_never_more() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx
        .post("/v1/iam/tokens", &dev, json!({ "name": "deploy", "projects": ["web"], "permissions": ["compute.servers.*"], "expires_in_days": 30 }))
        .await;
    let wide = r.body["secret"].as_str().unwrap().to_owned();
    let wide_id = r.body["token"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/iam/tokens/{wide_id}/downscope");

    // Nothing beyond the token itself, though its owner (a developer) holds more; no
    // empty set (revoking is the way to stop a token); no unknown permission.
    for (body, code) in [
        (
            json!({ "permissions": ["compute.servers.list", "storage.buckets.list"] }),
            "permissions",
        ),
        (json!({ "permissions": [] }), "permissions"),
        (
            json!({ "permissions": ["compute.servers.teleport"] }),
            "permissions",
        ),
    ] {
        let r = sbx.post(&path, &dev, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        let field = r.body["errors"][0]["field"].as_str().unwrap_or_default();
        assert!(field.starts_with(code), "{}", r.text);
    }
    assert_eq!(
        sbx.get(&format!("/v1/iam/tokens/{wide_id}"), &dev)
            .await
            .body["status"],
        "active"
    );

    let r = sbx
        .post(
            &path,
            &dev,
            json!({ "permissions": ["compute.servers.list"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["token"]["permissions"],
        json!(["compute.servers.list"])
    );
    assert_eq!(r.body["token"]["projects"], json!(["web"]));
    assert_eq!(
        r.body["token"]["expires_at"],
        r.body["replaces"]["expires_at"]
    );
    assert_eq!(r.body["replaces"]["status"], "rotating");
    let narrow = r.body["secret"].as_str().unwrap().to_owned();
    // The replacement makes the calls the token made, and is refused the others.
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &narrow)
            .await
            .status,
        StatusCode::OK
    );
    let r = sbx
        .post(
            "/v1/compute/servers?project=web",
            &narrow,
            json!({ "name": "x", "project": "web" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // The old one works through its grace window, as after any rotation.
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &wide)
            .await
            .status,
        StatusCode::OK
    );
    let events = sbx
        .get("/v1/audit/events?path=downscope&status=2xx", &sbx.admin)
        .await;
    assert!(events.body["events"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("(downscoped)"));

    // A narrow token may not downscope a broader token of its owner: it could not have
    // made it, and the replacement would sit outside its lineage.
    let r = sbx
        .post("/v1/iam/tokens", &dev, json!({ "name": "ci", "projects": ["web"], "permissions": ["compute.servers.*", "iam.tokens.rotate", "iam.tokens.list"], "expires_at": null }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ci = r.body["secret"].as_str().unwrap().to_owned();
    let dev_id = sbx.get("/v1/iam/whoami", &dev).await.body["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = sbx
        .post(
            &format!("/v1/iam/tokens/{dev_id}/downscope"),
            &ci,
            json!({ "permissions": ["compute.servers.list"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("exceeds_caller"), "{}", r.text);
    assert_eq!(
        sbx.get(&format!("/v1/iam/tokens/{dev_id}"), &dev)
            .await
            .body["status"],
        "active"
    );
}
