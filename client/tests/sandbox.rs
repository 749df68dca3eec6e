//! The Rust SDK against a real sandbox on an ephemeral port: the token lifecycle,
//! downscoping, pagination, retries under injected faults, idempotent creates and the
//! client-credentials grant.

#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use clouddigit_client::{ApiError, Client, ErrorKind, RetryInfo};
use clouddigit_core::validate::TokenDraft;
use clouddigit_sandbox::{start, Config, RunningServer};
use serde_json::{json, Value};

struct Sbx {
    rt: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    owner: String,
}

impl Drop for Sbx {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            let _ = self.rt.block_on(s.shutdown());
        }
    }
}

impl Sbx {
    fn new() -> Sbx {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt
            .block_on(start(Config {
                port: 0,
                ..Config::default()
            }))
            .expect("sandbox starts");
        let owner = server.bootstrap_token.expose_secret().to_owned();
        Sbx {
            rt,
            server: Some(server),
            owner,
        }
    }

    fn server(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    fn base(&self) -> String {
        format!("{}/v1", self.server().url())
    }

    fn client(&self, token: &str) -> Client {
        Client::builder()
            .base_url(self.base())
            .token(token)
            .build()
            .unwrap()
    }

    /// A sandbox-admin call with the owner's token (plain HTTP, not the SDK).
    fn admin(&self, path: &str, body: Value) -> Value {
        let resp = reqwest::blocking::Client::new()
            .post(format!("{}{path}", self.server().url()))
            .bearer_auth(&self.owner)
            .json(&body)
            .send()
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().unwrap()
    }

    fn faults(&self, plan: Value) {
        self.admin("/_sandbox/faults", plan);
    }

    fn user_token(&self, user: &str, projects: Value) -> String {
        let v = self.admin(
            &format!("/_sandbox/users/{user}/tokens"),
            json!({"name": format!("{user}-test"), "projects": projects, "expires_in_days": 30}),
        );
        v["secret"].as_str().unwrap().to_owned()
    }
}

fn draft(v: Value) -> TokenDraft {
    serde_json::from_value(v).unwrap()
}

fn kind(r: Result<impl std::fmt::Debug, ApiError>) -> (ErrorKind, String) {
    let e = r.unwrap_err();
    (e.kind, e.code)
}

#[test]
fn create_use_rotate_grace_revoke() {
    let sbx = Sbx::new();
    let owner = sbx.client(&sbx.owner);
    let created = owner
        .tokens()
        .create(&draft(json!({
            "name": "laptop", "projects": ["web", "data"], "expiry": "90d",
            "allowed_ips": "127.0.0.0/8"
        })))
        .unwrap();
    // The secret is a secret type: printing it shows the prefix only.
    let secret = created.secret.expose().to_owned();
    assert!(!format!("{created:?}").contains(&secret[9..]));
    assert_eq!(created.token.token.prefix, &secret[..9]);

    let first = sbx.client(&secret);
    let me = first.whoami().unwrap();
    assert_eq!(me.token.token.id, created.token.token.id);
    assert_eq!(me.ip.as_deref(), Some("127.0.0.1"));

    let rotation = first.tokens().rotate(&created.token.token.id).unwrap();
    assert!(rotation.replaces.token.grace_ends_at.is_some());
    let second = sbx.client(rotation.secret.expose());
    // Both work within the grace window.
    assert!(first.whoami().is_ok());
    assert!(second.whoami().is_ok());

    // After the grace window the old one is refused.
    sbx.server()
        .clock()
        .advance(chrono::Duration::days(8))
        .expect("within the clock's range");
    assert_eq!(kind(first.whoami()).0, ErrorKind::Authentication);
    assert!(second.whoami().is_ok());

    second.tokens().revoke(&rotation.token.token.id).unwrap();
    let e = second.whoami().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert_eq!(e.status, Some(401));
    assert!(e.request_id.is_some());
    assert!(!e.to_string().contains(&rotation.secret.expose()[9..]));
}

#[test]
fn a_bad_draft_fails_before_any_call() {
    let sbx = Sbx::new();
    let dev = sbx.client(&sbx.user_token("u_dev", json!(["web"])));
    let e = dev
        .tokens()
        .create(&draft(json!({
            "name": "x", "projects": "all", "permissions": ["compute.servers.lsit"],
            "allowed_ips": "10.0.0.0/8\n300.1.1.1"
        })))
        .unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Validation, None));
    let fields: Vec<&str> = e.field_errors.iter().map(|f| f.field.as_str()).collect();
    for f in ["projects", "permissions[0]", "allowed_ips[1]"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Nothing was created.
    assert_eq!(dev.tokens().list().count(), 1);
}

#[test]
fn a_downscoped_token_gets_403_with_the_reason_and_can_agrees() {
    let sbx = Sbx::new();
    let owner = sbx.client(&sbx.owner);
    let t = owner
        .tokens()
        .create(&draft(json!({
            "name": "reader", "projects": ["web"], "permissions": ["iam.tokens.list"]
        })))
        .unwrap();
    let c = sbx.client(t.secret.expose());
    assert!(c.tokens().list().next().unwrap().is_ok());
    let e = c
        .audit()
        .list(Default::default(), None)
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str(), e.status),
        (
            ErrorKind::PermissionDenied,
            "not_in_token_permissions",
            Some(403)
        )
    );
    // The local answer, from whoami, is the same.
    let d = c.can("audit.events.list", Some("web")).unwrap();
    assert!(!d.allowed);
    assert_eq!(
        serde_json::to_value(d.reason).unwrap(),
        "not_in_token_permissions"
    );
    assert!(c.can("iam.tokens.list", Some("web")).unwrap().allowed);
}

#[test]
fn lists_follow_pages() {
    let sbx = Sbx::new();
    let owner = sbx.client(&sbx.owner);
    for i in 0..5 {
        owner
            .tokens()
            .create(&draft(
                json!({"name": format!("t{i}"), "projects": ["web"]}),
            ))
            .unwrap();
    }
    let names: Vec<String> = owner
        .tokens()
        .list_with(Some(2))
        .map(|t| t.unwrap().token.name)
        .collect();
    assert_eq!(names.len(), 6, "{names:?}"); // the bootstrap token and five
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), 6);
    // The audit log pages too, newest first, and exports as JSON lines.
    let events: Vec<_> = owner
        .audit()
        .list(Default::default(), Some(3))
        .take(7)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(events.len(), 7);
    assert!(events.windows(2).all(|w| w[0].time >= w[1].time));
    let lines = owner.audit().export(Default::default()).unwrap();
    assert!(lines.lines().count() >= 7);
    assert!(!lines.contains(&sbx.owner[9..]));
}

fn recording_client(sbx: &Sbx, retries: &Arc<Mutex<Vec<RetryInfo>>>) -> Client {
    let r = retries.clone();
    Client::builder()
        .base_url(sbx.base())
        .token(&sbx.owner)
        .on_retry(move |i| r.lock().unwrap().push(i.clone()))
        .build()
        .unwrap()
}

#[test]
fn a_429_storm_is_ridden_out_and_a_long_wait_fails_fast() {
    let sbx = Sbx::new();
    let retries = Arc::new(Mutex::new(Vec::new()));
    let c = recording_client(&sbx, &retries);
    sbx.faults(json!({"count": 2, "status": 429, "retry_after_ms": 150}));
    assert!(c.whoami().is_ok());
    let seen = retries.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|r| r.wait_ms == 150 && r.cause == "HTTP 429"));

    sbx.faults(json!({"count": 1, "status": 429, "retry_after": "120"}));
    let started = std::time::Instant::now();
    let e = c.whoami().unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after_ms, Some(120_000));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn server_errors_retry_within_budget_and_x_should_retry_wins() {
    let sbx = Sbx::new();
    let retries = Arc::new(Mutex::new(Vec::new()));
    let c = recording_client(&sbx, &retries);
    sbx.faults(json!({"count": 2, "status": 503}));
    assert!(c.whoami().is_ok());
    assert_eq!(retries.lock().unwrap().len(), 2);

    retries.lock().unwrap().clear();
    sbx.faults(json!({"count": 3, "status": 503}));
    let e = c.whoami().unwrap_err();
    assert_eq!((e.kind, e.retries), (ErrorKind::Server, 2));
    assert_eq!(retries.lock().unwrap().len(), 2);

    retries.lock().unwrap().clear();
    sbx.faults(json!({"count": 1, "status": 503, "should_retry": false}));
    assert_eq!(kind(c.whoami()).0, ErrorKind::Server);
    assert!(retries.lock().unwrap().is_empty());

    // A dropped connection on a read is retried as a transport error.
    sbx.faults(json!({"count": 1, "drop": true}));
    assert!(c.whoami().is_ok());
    assert!(retries.lock().unwrap()[0].cause.contains("connection"));
}

#[test]
fn an_interrupted_create_is_retried_with_its_key_and_creates_one_token() {
    let sbx = Sbx::new();
    let c = sbx.client(&sbx.owner);
    sbx.faults(
        json!({"count": 1, "drop": true, "method": "POST", "path_prefix": "/v1/iam/tokens"}),
    );
    let t = c
        .tokens()
        .create(&draft(json!({"name": "once", "projects": ["web"]})))
        .unwrap();
    let status: Value = reqwest::blocking::Client::new()
        .get(format!("{}/_sandbox/faults", sbx.server().url()))
        .bearer_auth(&sbx.owner)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["plan"], Value::Null, "the fault was used");
    let named: Vec<_> = c
        .tokens()
        .list()
        .map(Result::unwrap)
        .filter(|x| x.token.name == "once")
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].token.id, t.token.token.id);
}

#[test]
fn client_credentials_are_cached_and_refreshed() {
    let sbx = Sbx::new();
    let owner = sbx.client(&sbx.owner);
    let sa = owner
        .service_accounts()
        .create(json!({"name": "deployer", "project": "web", "role": "member"}))
        .unwrap();
    assert!(!format!("{sa:?}").contains(sa.client_secret.expose()));
    let c = Client::builder()
        .base_url(sbx.base())
        .client_credentials("acme", &sa.client_id, sa.client_secret.expose())
        .build()
        .unwrap();
    let me = c.whoami().unwrap();
    assert_eq!(
        me.token.token.owner,
        clouddigit_core::OwnerRef::ServiceAccount {
            id: sa.service_account.id.clone()
        }
    );
    let first_bearer = me.token.token.id.clone();
    // Cached: the next call uses the same bearer.
    assert_eq!(c.whoami().unwrap().token.token.id, first_bearer);
    // The identity provider failing while the bearer is valid changes nothing.
    sbx.faults(json!({"count": 5, "status": 503, "path_prefix": "/realms/"}));
    assert_eq!(c.whoami().unwrap().token.token.id, first_bearer);
    sbx.faults(json!({"count": 0}));
    // The API's clock runs past the bearer's 300 seconds: the 401 makes the client fetch
    // a new bearer once and the call goes through.
    sbx.server()
        .clock()
        .advance(chrono::Duration::seconds(301))
        .expect("within the clock's range");
    let renewed = c.whoami().unwrap().token.token.id;
    assert_ne!(renewed, first_bearer);
    // Again, with eight threads refused at once: every one goes again, on one bearer.
    sbx.server()
        .clock()
        .advance(chrono::Duration::seconds(301))
        .expect("within the clock's range");
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| c.whoami().map(|w| w.token.token.id)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    assert!(ids.iter().all(|i| i == &ids[0] && i != &renewed), "{ids:?}");

    // A wrong secret is an authentication error before any API call.
    let bad = Client::builder()
        .base_url(sbx.base())
        .client_credentials("acme", &sa.client_id, "nope")
        .build()
        .unwrap();
    assert_eq!(kind(bad.whoami()).0, ErrorKind::Authentication);
}

#[test]
fn credentials_come_from_a_provider_each_call() {
    let sbx = Sbx::new();
    let owner = sbx.client(&sbx.owner);
    let a = owner
        .tokens()
        .create(&draft(json!({"name": "a", "projects": ["web"]})))
        .unwrap();
    let current = Arc::new(Mutex::new(a.secret.expose().to_owned()));
    let cur = current.clone();
    let c = Client::builder()
        .base_url(sbx.base())
        .token_provider(move || Ok(cur.lock().unwrap().clone()))
        .build()
        .unwrap();
    assert_eq!(c.whoami().unwrap().token.token.name, "a");
    let r = c.tokens().rotate(&a.token.token.id).unwrap();
    *current.lock().unwrap() = r.secret.expose().to_owned();
    assert_eq!(c.whoami().unwrap().token.token.id, r.token.token.id);
    // A bad checksum is refused before any call.
    let t = sbx.owner.clone();
    let bad = format!(
        "{}{}",
        &t[..t.len() - 1],
        if t.ends_with('A') { 'B' } else { 'A' }
    );
    let e = Client::builder()
        .base_url(sbx.base())
        .token(&bad)
        .build()
        .unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (ErrorKind::Config, "bad_token"));
    assert!(!e.to_string().contains(&bad[9..]));
}

#[test]
fn service_accounts_tokens_and_access_keys() {
    let sbx = Sbx::new();
    let owner = sbx.client(&sbx.owner);
    let sas = owner.service_accounts();
    let sa = sas
        .create(json!({"name": "ci", "project": "web", "role": "member"}))
        .unwrap();
    let id = sa.service_account.id.clone();
    let t = sas
        .tokens()
        .create(
            &id,
            &draft(json!({"name": "ci-token", "allowed_ips": "127.0.0.1"})),
        )
        .unwrap();
    // Validated against the account: it is a member, so an admin permission is refused
    // before the call.
    let e = sas
        .tokens()
        .create(
            &id,
            &draft(json!({"name": "x", "permissions": ["iam.service_accounts.delete"]})),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(sas.tokens().list(&id).count(), 1);
    let r = sas.tokens().rotate(&id, &t.token.token.id).unwrap();
    sas.tokens().revoke(&id, &r.token.token.id).unwrap();
    let k = sas.access_keys().create(&id).unwrap();
    assert!(format!("{k:?}").contains("[redacted]"));
    assert_eq!(sas.access_keys().list(&id).count(), 1);
    sas.access_keys().delete(&id, &k.id).unwrap();
    assert_eq!(sas.access_keys().list(&id).count(), 0);
    let updated = sas
        .update(&id, json!({"description": "deploys web"}))
        .unwrap();
    assert_eq!(updated.description, "deploys web");
    assert_eq!(
        sas.disable(&id).unwrap().status,
        clouddigit_core::model::ServiceAccountStatus::Disabled
    );
    sas.enable(&id).unwrap();
    assert!(sas.list(Some("web")).any(|s| s.unwrap().id == id));
    sas.delete(&id).unwrap();
    assert_eq!(kind(sas.get(&id)).0, ErrorKind::NotFound);
    // Without a project: an organization-level account, listed on its own.
    let org = sas
        .create(json!({"name": "auditor", "role": "read_only"}))
        .unwrap();
    assert_eq!(org.service_account.project, None);
    let listed: Vec<String> = sas.list_org().map(|s| s.unwrap().id).collect();
    assert_eq!(listed, vec![org.service_account.id.clone()]);
    sas.delete(&org.service_account.id).unwrap();
    assert_eq!(sas.list_org().count(), 0);
}

#[test]
fn revoking_a_members_tokens() {
    let sbx = Sbx::new();
    let dev_token = sbx.user_token("u_dev", json!(["web"]));
    let dev = sbx.client(&dev_token);
    assert!(dev.whoami().is_ok());
    // A member may not offboard others.
    assert_eq!(
        kind(dev.members().revoke_tokens("u_dev")).0,
        ErrorKind::PermissionDenied
    );
    let owner = sbx.client(&sbx.owner);
    assert_eq!(owner.members().revoke_tokens("u_dev").unwrap().revoked, 1);
    assert_eq!(kind(dev.whoami()).0, ErrorKind::Authentication);
    assert_eq!(
        kind(owner.members().revoke_tokens("u_nobody")).0,
        ErrorKind::NotFound
    );
}

#[test]
fn the_client_side_limiter_keeps_a_burst_under_the_servers_limit() {
    let sbx = Sbx::new();
    // Without it, a burst of 70 meets the sandbox's 60-call burst limit.
    let plain = Client::builder()
        .base_url(sbx.base())
        .token(&sbx.owner)
        .max_retries(0)
        .build()
        .unwrap();
    let refused = (0..70)
        .filter(|_| matches!(plain.whoami(), Err(e) if e.kind == ErrorKind::RateLimited))
        .count();
    assert!(refused > 0);
    // With it (60 burst, 30 per second), the same burst waits instead of being refused.
    sbx.server()
        .clock()
        .advance(chrono::Duration::seconds(10))
        .expect("within the clock's range");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let other = sbx.user_token("u_admin", json!("all"));
    let retries = Arc::new(Mutex::new(Vec::new()));
    let r = retries.clone();
    let limited = Client::builder()
        .base_url(sbx.base())
        .token(other)
        .client_rate_limit(true)
        .on_retry(move |i| r.lock().unwrap().push(i.clone()))
        .build()
        .unwrap();
    for _ in 0..70 {
        limited.whoami().unwrap();
    }
    // Paced at the server's rate with slack, the burst is not refused (a refusal would
    // show as a retry; a very slow machine may see one, never the plain client's many).
    let seen = retries.lock().unwrap().len();
    assert!(
        seen <= 1 && seen < refused,
        "{seen} retries vs {refused} refusals"
    );
}
