//! The audit log, rate limiting, secrets never leaking, and state surviving a restart.

mod common;

use std::collections::BTreeSet;

use common::{config, sandbox, sandbox_with, Sbx};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn every_call_is_audited_with_filters_and_cursor() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let dev_prefix = &dev[..9];
    for _ in 0..3 {
        sbx.get("/v1/compute/servers?project=web", &dev).await;
    }
    sbx.get("/v1/storage/buckets?project=data", &dev).await; // 403
    sbx.send(
        Method::GET,
        "/v1/compute/servers?project=web",
        None,
        None,
        &[],
    )
    .await; // 401

    let r = sbx
        .get(
            &format!("/v1/audit/events?token_prefix={dev_prefix}"),
            &sbx.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = r.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    let denied = &events[0];
    assert_eq!(denied["status"], 403);
    assert_eq!(denied["error_code"], "project_out_of_scope");
    assert_eq!(denied["actor"], "dev@acme.example");
    assert_eq!(denied["token_name"], "u_dev-test");
    assert_eq!(denied["token_prefix"], dev_prefix);
    assert_eq!(denied["method"], "GET");
    assert_eq!(denied["path"], "/v1/storage/buckets");
    assert_eq!(denied["query"], "project=data");
    assert_eq!(denied["source_ip"], "127.0.0.1");
    assert!(denied["request_id"].as_str().unwrap().starts_with("req_"));
    assert!(denied["time"].is_string());

    let r = sbx.get("/v1/audit/events?status=401", &sbx.admin).await;
    let e = &r.body["events"][0];
    assert_eq!(
        (e["error_code"].as_str(), e["actor"].is_null()),
        (Some("missing_token"), true)
    );
    let r = sbx
        .get(
            "/v1/audit/events?actor=dev@acme.example&status=2xx",
            &sbx.admin,
        )
        .await;
    assert_eq!(r.body["events"].as_array().unwrap().len(), 3);

    // Cursor pagination walks everything exactly once, newest first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit/events?limit=2&actor=dev@acme.example&cursor={c}"),
            None => "/v1/audit/events?limit=2&actor=dev@acme.example".to_owned(),
        };
        let r = sbx.get(&path, &sbx.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for e in r.body["events"].as_array().unwrap() {
            seen.push(e["id"].as_str().unwrap().to_owned());
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 4);

    // Time window.
    let now = sbx.get("/_sandbox/clock", &sbx.admin).await.body["now"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = sbx
        .get(&format!("/v1/audit/events?from={now}"), &sbx.admin)
        .await;
    assert!(r.body["events"].as_array().unwrap().len() <= 1);
    let r = sbx
        .get(
            &format!("/v1/audit/events?to={now}&actor=dev@acme.example"),
            &sbx.admin,
        )
        .await;
    assert_eq!(r.body["events"].as_array().unwrap().len(), 4);

    // JSON lines export, both ways.
    for path in [
        "/v1/audit/events?format=jsonl&actor=dev@acme.example",
        "/v1/audit/events/export?actor=dev@acme.example",
    ] {
        let r = sbx.get(path, &sbx.admin).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "application/x-ndjson");
        let lines: Vec<Value> = r
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
    }

    // Bad filters are 422s; a project member sees only their project.
    assert_eq!(
        sbx.get("/v1/audit/events?status=abc", &sbx.admin)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = sbx.get("/v1/audit/events", &dev).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["project"] == "web"));
    // An org admin's project-scoped token sees only its project, not the whole log.
    let admin_web = sbx.simple_token("u_admin", json!(["web"])).await;
    let r = sbx.get("/v1/audit/events?limit=500", &admin_web).await;
    let events = r.body["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["project"] == "web"));
    let r = sbx.get("/v1/audit/events?limit=500", &sbx.admin).await;
    assert!(r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["project"] == "data"));
}

#[tokio::test]
async fn rate_limit_is_429_with_retry_after() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let mut limited = None;
    for i in 0..200 {
        let r = sbx.get("/v1/compute/servers?project=web", &dev).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status, StatusCode::OK);
    }
    let (i, r) = limited.expect("rate limited within 200 calls");
    assert!(i >= 60, "burst of 60 first, limited at call {i}");
    assert_eq!(r.code(), "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry));
    // Per token: another token is unaffected.
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &sbx.admin)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    assert_eq!(
        sbx.get("/v1/compute/servers?project=web", &dev)
            .await
            .status,
        StatusCode::OK
    );
}

/// Creates one of every secret the API hands out, then looks for them everywhere.
async fn make_secrets(sbx: &Sbx) -> Vec<String> {
    let mut secrets = vec![sbx.admin.clone()];
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    secrets.push(dev.clone());
    let r = sbx
        .post(
            "/v1/iam/tokens",
            &dev,
            json!({ "name": "p", "projects": ["web"], "expires_at": null }),
        )
        .await;
    secrets.push(r.body["secret"].as_str().unwrap().to_owned());
    let id = r.body["token"]["id"].as_str().unwrap().to_owned();
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/tokens/{id}/rotate"),
            Some(&dev),
            None,
            &[],
        )
        .await;
    secrets.push(r.body["secret"].as_str().unwrap().to_owned());
    let r = sbx
        .post(
            "/v1/iam/service-accounts",
            &sbx.admin,
            json!({ "project": "web", "name": "ci", "role": "member" }),
        )
        .await;
    let sa = r.body["client_id"].as_str().unwrap().to_owned();
    secrets.push(r.body["client_secret"].as_str().unwrap().to_owned());
    let r = sbx
        .post(
            &format!("/v1/iam/service-accounts/{sa}/tokens"),
            &sbx.admin,
            json!({ "name": "t", "expires_at": null }),
        )
        .await;
    secrets.push(r.body["secret"].as_str().unwrap().to_owned());
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/service-accounts/{sa}/access-keys"),
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    secrets.push(r.body["secret"].as_str().unwrap().to_owned());
    let r = sbx
        .send(
            Method::POST,
            &format!("/v1/iam/service-accounts/{sa}/secret"),
            Some(&sbx.admin),
            None,
            &[],
        )
        .await;
    let client_secret = r.body["client_secret"].as_str().unwrap().to_owned();
    secrets.push(client_secret.clone());
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
    let v: Value = r.json().await.unwrap();
    let bearer = v["access_token"].as_str().unwrap().to_owned();
    secrets.push(bearer.clone());
    // Use each token, including a secret pasted into a path by mistake.
    for t in [&dev, &bearer] {
        sbx.get("/v1/compute/servers?project=web", t).await;
    }
    sbx.get(&format!("/v1/iam/tokens/{dev}"), &dev).await;
    sbx.get(&format!("/v1/compute/servers?project=web&oops={dev}"), &dev)
        .await;
    secrets
}

fn assert_absent(secrets: &[String], haystack: &str, what: &str) {
    for s in secrets {
        assert!(
            !haystack.contains(s.as_str()),
            "a secret ({}…) appears in {what}",
            &s[..6]
        );
    }
}

#[tokio::test]
async fn secrets_never_appear_again_and_state_survives_restart() {
    let dir = std::env::temp_dir().join(format!("cd-sbx-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("sandbox.db");
    let _ = std::fs::remove_file(&db);
    let sbx = sandbox_with(clouddigit_sandbox::Config {
        db: Some(db.clone()),
        ..config()
    })
    .await;
    let secrets = make_secrets(&sbx).await;
    assert_eq!(secrets.len(), 9);

    let dev = &secrets[1];
    let mut seen = String::new();
    for path in [
        "/v1/iam/tokens",
        "/v1/iam/service-accounts?project=web",
        "/v1/audit/events?limit=500",
        "/v1/audit/events?format=jsonl",
        "/_sandbox/users",
    ] {
        let r = sbx.get(path, &sbx.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        seen.push_str(&r.text);
    }
    let sa_list = sbx
        .get("/v1/iam/service-accounts?project=web", &sbx.admin)
        .await;
    let sa = sa_list.body["service_accounts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/v1/iam/service-accounts/{sa}/tokens"),
        format!("/v1/iam/service-accounts/{sa}/access-keys"),
        format!("/v1/iam/service-accounts/{sa}"),
    ] {
        seen.push_str(&sbx.get(&path, &sbx.admin).await.text);
    }
    seen.push_str(&sbx.get("/v1/iam/tokens", dev).await.text);
    assert_absent(&secrets, &seen, "a later response or the audit log");
    let audit = sbx
        .get("/v1/audit/events?format=jsonl", &sbx.admin)
        .await
        .text;
    assert!(
        audit.contains(&format!("/v1/iam/tokens/{}…", &dev[..9])),
        "pasted secret is scrubbed to its prefix"
    );

    let admin = sbx.admin.clone();
    sbx.server.shutdown().await.unwrap();
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("sandbox.db-wal")) {
        bytes.extend(wal);
    }
    let text = String::from_utf8_lossy(&bytes);
    assert_absent(&secrets, &text, "the database file");
    assert!(text.contains(&dev[..9]), "the prefix is stored");

    // Restart on the same file: the tokens still work, the seed is not applied twice.
    let again = sandbox_with(clouddigit_sandbox::Config {
        db: Some(db.clone()),
        ..config()
    })
    .await;
    let r = again.get("/v1/compute/servers?project=web", dev).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["servers"].as_array().unwrap().len(), 2);
    // The previous run's bootstrap token is revoked; the new one works.
    assert_eq!(again.get("/v1/iam/tokens", &admin).await.code(), "revoked");
    assert_eq!(
        again.get("/v1/iam/tokens", &again.admin).await.status,
        StatusCode::OK
    );
    let r = again
        .get("/v1/iam/service-accounts?project=web", &again.admin)
        .await;
    assert_eq!(r.body["service_accounts"].as_array().unwrap().len(), 1);
    let r = again
        .get("/v1/audit/events?limit=1&status=403", &again.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    again.server.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// A status filter is a class (1xx..5xx) or a code (100..599): anything else is a field
/// error, never an overflow.
#[tokio::test]
async fn status_filters_outside_http_are_field_errors() {
    let sbx = sandbox().await;
    for bad in [
        "700xx", "655xx", "0xx", "99999", "70000", "99", "6xx", "abc",
    ] {
        let r = sbx
            .get(&format!("/v1/audit/events?status={bad}"), &sbx.admin)
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_status")),
            "{bad}: {}",
            r.text
        );
    }
    for good in ["4xx", "403", "599"] {
        let r = sbx
            .get(&format!("/v1/audit/events?status={good}"), &sbx.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{good}: {}", r.text);
    }
}

/// The log keeps at most its count (and age): the oldest go, and the dropping is itself
/// an event.
#[tokio::test]
async fn the_audit_log_is_bounded_and_says_what_it_dropped() {
    let sbx = common::sandbox_with(clouddigit_sandbox::Config {
        audit_max_events: 10,
        ..config()
    })
    .await;
    for _ in 0..30 {
        sbx.get("/v1/compute/servers?project=web", &sbx.admin).await;
    }
    let r = sbx.get("/v1/audit/events?limit=500", &sbx.admin).await;
    let events = r.body["events"].as_array().unwrap();
    // At most the count, and the event saying what was dropped.
    assert!(events.len() <= 10, "{} events kept", events.len());
    let dropped = events
        .iter()
        .find(|e| e["path"] == "/_audit/retention")
        .unwrap_or_else(|| panic!("no retention event in {}", r.text));
    assert!(
        dropped["detail"].as_str().unwrap().starts_with("dropped "),
        "{dropped}"
    );
    // The newest calls are the ones kept; the log does not fill up with notes.
    assert!(events.iter().any(|e| e["path"] == "/v1/compute/servers"));
    let notes = events
        .iter()
        .filter(|e| e["path"] == "/_audit/retention")
        .count();
    assert!(notes <= 2, "{notes} retention notes");
}

/// A refused caller is not told the token's allow-list or the owner's email; the audit
/// log, which administrators read, has the whole explanation.
#[tokio::test]
async fn denials_tell_the_caller_less_than_the_audit_log() {
    let sbx = sandbox().await;
    let ci = sbx
        .user_token(
            "u_dev",
            json!({ "name": "ci", "projects": ["web"], "expires_at": null, "allowed_ips": ["10.9.0.0/16"] }),
        )
        .await;
    let r = sbx.get("/v1/compute/servers?project=web", &ci).await;
    assert_eq!(r.code(), "ip_not_allowed");
    assert!(!r.text.contains("10.9.0.0/16"), "{}", r.text);
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let r = sbx.get("/v1/compute/servers?project=data", &dev).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.text.contains("dev@acme.example"), "{}", r.text);
    let log = sbx
        .get("/v1/audit/events?format=jsonl", &sbx.admin)
        .await
        .text;
    assert!(log.contains("10.9.0.0/16"), "{log}");
    assert!(log.contains("dev@acme.example"), "{log}");
}

/// Events older than the retention's age go at the next write, and the dropping is
/// recorded.
#[tokio::test]
async fn the_audit_log_drops_events_past_its_age() {
    let sbx = sandbox_with(clouddigit_sandbox::Config {
        audit_max_age_days: 1,
        ..config()
    })
    .await;
    for _ in 0..3 {
        sbx.get("/v1/compute/servers?project=web", &sbx.admin).await;
    }
    assert_eq!(
        sbx.get("/v1/audit/events?limit=500", &sbx.admin)
            .await
            .status,
        StatusCode::OK
    );
    sbx.server
        .clock()
        .advance(chrono::Duration::days(2))
        .expect("in range");
    sbx.get("/v1/compute/servers?project=web", &sbx.admin).await;
    let r = sbx.get("/v1/audit/events?limit=500", &sbx.admin).await;
    let events = r.body["events"].as_array().unwrap();
    let kept_calls = events
        .iter()
        .filter(|e| e["path"] == "/v1/compute/servers")
        .count();
    assert_eq!(
        kept_calls, 1,
        "only the call after the move is left: {}",
        r.text
    );
    assert!(events.iter().any(|e| e["path"] == "/_audit/retention"
        && e["detail"].as_str().unwrap().contains("older than 1 days")));
}

#[tokio::test]
async fn the_summary_counts_what_the_list_holds() {
    let sbx = sandbox().await;
    let dev = sbx.simple_token("u_dev", json!(["web"])).await;
    let prefix = &dev[..9];
    for _ in 0..5 {
        sbx.get("/v1/compute/servers?project=web", &dev).await;
    }
    for _ in 0..2 {
        sbx.get("/v1/storage/buckets?project=data", &dev).await; // 403
    }
    let r = sbx
        .get(
            &format!("/v1/audit/summary?token_prefix={prefix}"),
            &sbx.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let s = &r.body;
    assert_eq!(
        (
            s["total"].as_u64(),
            s["allowed"].as_u64(),
            s["denied"].as_u64()
        ),
        (Some(7), Some(5), Some(2))
    );
    assert_eq!(s["denied_by_reason"]["project_out_of_scope"], 2);
    assert_eq!(s["bucket"], "hour");
    let bars: u64 = s["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["allowed"].as_u64().unwrap()
                + p["denied"].as_u64().unwrap()
                + p["failed"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(bars, 7);
    assert_eq!(s["sources"][0]["ip"], "127.0.0.1");
    assert_eq!(s["sources"][0]["calls"], 7);
    assert_eq!(s["last_call"]["path"], "/v1/storage/buckets");
    assert_eq!(s["last_call"]["status"], 403);

    // The path filter narrows the list and the summary alike, in either case.
    let list = sbx
        .get(
            &format!("/v1/audit/events?token_prefix={prefix}&path=STORAGE"),
            &sbx.admin,
        )
        .await;
    assert_eq!(list.body["events"].as_array().unwrap().len(), 2);
    let sum = sbx
        .get(
            &format!("/v1/audit/summary?token_prefix={prefix}&path=storage/"),
            &sbx.admin,
        )
        .await;
    assert_eq!(sum.body["total"], 2);
    // % and _ are text, not patterns.
    let sum = sbx
        .get(
            &format!("/v1/audit/summary?token_prefix={prefix}&path=%25"),
            &sbx.admin,
        )
        .await;
    assert_eq!(sum.body["total"], 0);

    // The same view as CSV: a header, then one line per event.
    let r = sbx
        .get(
            &format!("/v1/audit/events/export?token_prefix={prefix}&path=storage&format=csv"),
            &sbx.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let lines: Vec<&str> = r.text.trim_end().split("\r\n").collect();
    assert!(
        lines[0].starts_with(r#""time","id","request_id","actor""#),
        "{}",
        r.text
    );
    assert_eq!(lines.len(), 3, "{}", r.text);
    assert!(
        lines[1].contains(r#","403","project_out_of_scope","#),
        "{}",
        lines[1]
    );

    // A range past five years is refused, naming the field.
    let r = sbx
        .get("/v1/audit/summary?from=1990-01-01T00:00:00Z", &sbx.admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "from");
}
