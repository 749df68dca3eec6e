//! The stateful property test of the no-escalation rule, against a real sandbox over
//! HTTP: random sequences of credential operations (tokens created, rotated and revoked
//! with random downscopes, scopes, expiries and allow-lists; service accounts created,
//! given tokens, access keys and client secrets, their secrets reset and bearers granted,
//! disabled, enabled and deleted; roles changed, members offboarded, the clock moved),
//! and after every step, for every credential the test holds:
//! - it allows none of the sampled calls its maker (or the maker's rotation replacement)
//!   is refused at that moment (asked through `POST /v1/iam/authorize`, which is the
//!   decision every call goes through, and cross-checked against one real call);
//! - if the test's own model says a cascade revoked it, it is refused (401).
//!
//! `CLOUDDIGIT_ESCALATION_CASES` sets the number of sequences (scripts/test.sh runs
//! 10,000; `cargo test` alone runs 200); the counts are printed at the end.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use clouddigit_sandbox::{start, Config};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const USERS: [&str; 4] = ["u_owner", "u_admin", "u_dev", "u_analyst"];
const PROJECTS: [&str; 3] = ["web", "data", "prod"];
const PATTERNS: [&str; 10] = [
    "compute.*",
    "compute.servers.list",
    "storage.*",
    "iam.tokens.*",
    "iam.*",
    "iam.service_accounts.*",
    "org.*",
    "org.members.list",
    "compute.servers.create",
    "storage.buckets.list",
];

/// The calls every credential is asked about after each step.
fn sampled_calls() -> Value {
    let tags = json!({ "env": "prod" });
    json!({ "requests": [
        { "action": "compute.servers.list", "project": "web" },
        { "action": "compute.servers.create", "project": "web", "resource_tags": tags },
        { "action": "compute.servers.delete", "project": "data", "resource_tags": {} },
        { "action": "compute.servers.list", "project": "data" },
        { "action": "storage.buckets.list", "project": "prod" },
        { "action": "storage.buckets.create", "project": "web", "resource_tags": tags },
        { "action": "iam.tokens.create", "project": "web" },
        { "action": "iam.tokens.list", "project": "data" },
        { "action": "iam.tokens.revoke", "project": "prod" },
        { "action": "iam.service_accounts.create", "project": "web" },
        { "action": "iam.service_accounts.reset_secret", "project": "prod" },
        { "action": "iam.access_keys.create", "project": "data" },
        { "action": "org.members.list" },
        { "action": "org.service_accounts.create" },
    ] })
}
const REAL_CALL_INDEX: usize = 0;

#[derive(Debug, Clone)]
struct Spec {
    /// 0: all projects, else a bit mask over PROJECTS.
    projects: u8,
    /// `None`: inherit; else indices into PATTERNS.
    perms: Option<Vec<u8>>,
    /// 0 never, 1: 1 day, 2: 30 days, 3: the caller's own end, 4: 400 days.
    expiry: u8,
    /// 0 none, 1 127.0.0.1/32, 2 127.0.0.0/8, 3 10.0.0.0/8, 4 the caller's own list.
    ips: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        by: u8,
        spec: Spec,
    },
    Mint {
        user: u8,
        spec: Spec,
    },
    Rotate {
        by: u8,
        target: u8,
    },
    Revoke {
        by: u8,
        target: u8,
    },
    CreateSa {
        by: u8,
        project: u8,
        role: u8,
        ips: u8,
    },
    SaToken {
        by: u8,
        sa: u8,
        spec: Spec,
    },
    AccessKey {
        by: u8,
        sa: u8,
    },
    ResetSecret {
        by: u8,
        sa: u8,
    },
    Grant {
        sa: u8,
    },
    SaStatus {
        by: u8,
        sa: u8,
        what: u8,
    },
    SetRole {
        user: u8,
        project: u8,
        role: u8,
        org: bool,
    },
    Clock {
        hours: u16,
    },
    RevokeMember {
        user: u8,
    },
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..8,
        prop::option::weighted(0.6, prop::collection::vec(0u8..10, 1..4)),
        0u8..5,
        0u8..5,
    )
        .prop_map(|(projects, perms, expiry, ips)| Spec {
            projects,
            perms,
            expiry,
            ips,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let b = any::<u8>;
    prop_oneof![
        6 => (b(), spec()).prop_map(|(by, spec)| Op::Create { by, spec }),
        2 => (b(), spec()).prop_map(|(user, spec)| Op::Mint { user, spec }),
        3 => (b(), b()).prop_map(|(by, target)| Op::Rotate { by, target }),
        3 => (b(), b()).prop_map(|(by, target)| Op::Revoke { by, target }),
        3 => (b(), 0u8..4, 0u8..3, 0u8..4).prop_map(|(by, project, role, ips)| Op::CreateSa { by, project, role, ips }),
        3 => (b(), b(), spec()).prop_map(|(by, sa, spec)| Op::SaToken { by, sa, spec }),
        1 => (b(), b()).prop_map(|(by, sa)| Op::AccessKey { by, sa }),
        2 => (b(), b()).prop_map(|(by, sa)| Op::ResetSecret { by, sa }),
        3 => b().prop_map(|sa| Op::Grant { sa }),
        2 => (b(), b(), 0u8..3).prop_map(|(by, sa, what)| Op::SaStatus { by, sa, what }),
        2 => (b(), 0u8..3, 0u8..4, prop::bool::weighted(0.2)).prop_map(|(user, project, role, org)| Op::SetRole { user, project, role, org }),
        1 => (0u16..200).prop_map(|hours| Op::Clock { hours }),
        1 => b().prop_map(|user| Op::RevokeMember { user }),
    ]
}

/// A credential the test holds, as its model knows it.
#[derive(Debug, Clone)]
struct Cred {
    secret: String,
    id: String,
    /// `user:ID` or `sa:ID`.
    owner: String,
    /// The credential that made it (a bearer: the maker of its client secret).
    maker: Option<usize>,
    replaced_by: Option<usize>,
    expires_at: Value,
    allowed_ips: Value,
    /// The service account and client-secret generation a bearer came from.
    bearer_of: Option<(usize, u32)>,
    /// The model says a cascade (or a direct revocation) ended it.
    revoked: bool,
}

#[derive(Debug, Clone)]
struct Sa {
    id: String,
    secret: Option<String>,
    generation: u32,
    /// The credential that made the current client secret.
    secret_maker: Option<usize>,
    deleted: bool,
}

#[derive(Default)]
struct Counts {
    sequences: AtomicU64,
    steps: AtomicU64,
    accepted: AtomicU64,
    comparisons: AtomicU64,
    allowed_children: AtomicU64,
    cascade_checks: AtomicU64,
    real_calls: AtomicU64,
}

static COUNTS: Counts = Counts {
    sequences: AtomicU64::new(0),
    steps: AtomicU64::new(0),
    accepted: AtomicU64::new(0),
    comparisons: AtomicU64::new(0),
    allowed_children: AtomicU64::new(0),
    cascade_checks: AtomicU64::new(0),
    real_calls: AtomicU64::new(0),
};

struct World {
    url: String,
    http: reqwest::Client,
    creds: Vec<Cred>,
    sas: Vec<Sa>,
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl World {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the sandbox answers");
        let status = resp.status();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        Reply { status, body }
    }

    fn admin(&self) -> String {
        self.creds[0].secret.clone()
    }

    fn pick(&self, i: u8) -> usize {
        usize::from(i) % self.creds.len()
    }

    fn pick_sa(&self, i: u8) -> Option<usize> {
        (!self.sas.is_empty()).then(|| usize::from(i) % self.sas.len())
    }

    /// The maker, or the maker's rotation replacement (what the server's tree holds).
    fn parent(&self, c: usize) -> Option<usize> {
        let mut p = self.creds[c].maker?;
        while let Some(r) = self.creds[p].replaced_by {
            p = r;
        }
        Some(p)
    }

    fn body_of(&self, spec: &Spec, caller: usize, name: String) -> Value {
        let mut b = json!({ "name": name });
        b["projects"] = if spec.projects == 0 {
            json!("all")
        } else {
            json!(PROJECTS
                .iter()
                .enumerate()
                .filter(|(i, _)| spec.projects & (1 << i) != 0)
                .map(|(_, p)| *p)
                .collect::<Vec<_>>())
        };
        if let Some(list) = &spec.perms {
            let mut perms: Vec<&str> = list.iter().map(|i| PATTERNS[usize::from(*i)]).collect();
            perms.dedup();
            b["permissions"] = json!(perms);
        }
        match spec.expiry {
            0 => b["expires_at"] = Value::Null,
            1 => b["expires_in_days"] = json!(1),
            2 => b["expires_in_days"] = json!(30),
            3 => b["expires_at"] = self.creds[caller].expires_at.clone(),
            _ => b["expires_in_days"] = json!(400),
        }
        b["allowed_ips"] = match spec.ips {
            0 => json!([]),
            1 => json!(["127.0.0.1/32"]),
            2 => json!(["127.0.0.0/8"]),
            3 => json!(["10.0.0.0/8"]),
            _ => self.creds[caller].allowed_ips.clone(),
        };
        b
    }

    fn push_token(&mut self, r: &Reply, maker: Option<usize>) -> usize {
        let t = &r.body["token"];
        let owner = format!(
            "{}:{}",
            if t["owner"]["type"] == "user" {
                "user"
            } else {
                "sa"
            },
            t["owner"]["id"].as_str().unwrap_or_default()
        );
        self.creds.push(Cred {
            secret: r.body["secret"].as_str().unwrap_or_default().to_owned(),
            id: t["id"].as_str().unwrap_or_default().to_owned(),
            owner,
            maker,
            replaced_by: None,
            expires_at: t["expires_at"].clone(),
            allowed_ips: t["allowed_ips"].clone(),
            bearer_of: None,
            revoked: false,
        });
        COUNTS.accepted.fetch_add(1, Ordering::Relaxed);
        self.creds.len() - 1
    }

    /// Marks `roots` and everything the model says descends from them as revoked.
    fn cascade(&mut self, roots: &[usize]) {
        let mut gone: Vec<usize> = roots.to_vec();
        loop {
            let before = gone.len();
            for c in 0..self.creds.len() {
                if !gone.contains(&c) && self.parent(c).is_some_and(|p| gone.contains(&p)) {
                    gone.push(c);
                }
            }
            if gone.len() == before {
                break;
            }
        }
        for c in gone {
            self.creds[c].revoked = true;
        }
    }

    /// Bearers of an account's client secret (of one generation, or any) and what they made.
    fn bearers_of(&self, sa: usize, generation: Option<u32>) -> Vec<usize> {
        (0..self.creds.len())
            .filter(|c| {
                self.creds[*c]
                    .bearer_of
                    .is_some_and(|(s, g)| s == sa && generation.is_none_or(|x| x == g))
            })
            .collect()
    }

    async fn apply(&mut self, op: &Op, seq: usize) {
        let name = |what: &str| format!("{what}-{seq}");
        match op {
            Op::Create { by, spec } => {
                let by = self.pick(*by);
                let body = self.body_of(spec, by, name("t"));
                let r = self
                    .send(
                        Method::POST,
                        "/v1/iam/tokens",
                        Some(&self.creds[by].secret.clone()),
                        Some(body),
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    self.push_token(&r, Some(by));
                }
            }
            Op::Mint { user, spec } => {
                let u = USERS[usize::from(*user) % USERS.len()];
                let mut body = self.body_of(spec, 0, name("m"));
                if spec.expiry == 3 {
                    body["expires_at"] = Value::Null;
                }
                let r = self
                    .send(
                        Method::POST,
                        &format!("/_sandbox/users/{u}/tokens"),
                        Some(&self.admin()),
                        Some(body),
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    // An administrator's mint is a root: no maker to compare with.
                    self.push_token(&r, None);
                }
            }
            Op::Rotate { by, target } => {
                let (by, target) = (self.pick(*by), self.pick(*target));
                if self.creds[target].bearer_of.is_some() {
                    return;
                }
                let t = self.creds[target].clone();
                let path = match t.owner.strip_prefix("sa:") {
                    Some(sa) => format!("/v1/iam/service-accounts/{sa}/tokens/{}/rotate", t.id),
                    None => format!("/v1/iam/tokens/{}/rotate", t.id),
                };
                let r = self
                    .send(
                        Method::POST,
                        &path,
                        Some(&self.creds[by].secret.clone()),
                        Some(json!({})),
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    // The replacement stands where the old token stood.
                    let n = self.push_token(&r, t.maker);
                    self.creds[target].replaced_by = Some(n);
                }
            }
            Op::Revoke { by, target } => {
                let (by, target) = (self.pick(*by), self.pick(*target));
                let t = self.creds[target].clone();
                if t.bearer_of.is_some() {
                    return;
                }
                let path = match t.owner.strip_prefix("sa:") {
                    Some(sa) => format!("/v1/iam/service-accounts/{sa}/tokens/{}", t.id),
                    None => format!("/v1/iam/tokens/{}", t.id),
                };
                let r = self
                    .send(
                        Method::DELETE,
                        &path,
                        Some(&self.creds[by].secret.clone()),
                        None,
                    )
                    .await;
                if r.status == StatusCode::OK {
                    self.cascade(&[target]);
                }
            }
            Op::CreateSa {
                by,
                project,
                role,
                ips,
            } => {
                let by = self.pick(*by);
                let role = ["read_only", "member", "admin"][usize::from(*role)];
                let ips = match ips {
                    0 => json!([]),
                    1 => json!(["127.0.0.1/32"]),
                    2 => json!(["127.0.0.0/8"]),
                    _ => self.creds[by].allowed_ips.clone(),
                };
                let (path, body) = match PROJECTS.get(usize::from(*project)) {
                    Some(p) => (
                        "/v1/iam/service-accounts",
                        json!({ "project": p, "name": name("sa"), "role": role, "allowed_ips": ips }),
                    ),
                    None => (
                        "/v1/org/service-accounts",
                        json!({ "name": name("org"), "role": role, "allowed_ips": ips }),
                    ),
                };
                let r = self
                    .send(
                        Method::POST,
                        path,
                        Some(&self.creds[by].secret.clone()),
                        Some(body),
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    self.sas.push(Sa {
                        id: r.body["client_id"].as_str().unwrap_or_default().to_owned(),
                        secret: r.body["client_secret"].as_str().map(str::to_owned),
                        generation: 0,
                        secret_maker: Some(by),
                        deleted: false,
                    });
                    COUNTS.accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::SaToken { by, sa, spec } => {
                let (by, Some(sa)) = (self.pick(*by), self.pick_sa(*sa)) else {
                    return;
                };
                let mut body = self.body_of(spec, by, name("st"));
                body.as_object_mut().map(|b| b.remove("projects"));
                let path = format!("/v1/iam/service-accounts/{}/tokens", self.sas[sa].id);
                let r = self
                    .send(
                        Method::POST,
                        &path,
                        Some(&self.creds[by].secret.clone()),
                        Some(body),
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    self.push_token(&r, Some(by));
                }
            }
            Op::AccessKey { by, sa } => {
                let (by, Some(sa)) = (self.pick(*by), self.pick_sa(*sa)) else {
                    return;
                };
                let path = format!("/v1/iam/service-accounts/{}/access-keys", self.sas[sa].id);
                let r = self
                    .send(
                        Method::POST,
                        &path,
                        Some(&self.creds[by].secret.clone()),
                        None,
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    COUNTS.accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::ResetSecret { by, sa } => {
                let (by, Some(sa)) = (self.pick(*by), self.pick_sa(*sa)) else {
                    return;
                };
                let path = format!("/v1/iam/service-accounts/{}/secret", self.sas[sa].id);
                let r = self
                    .send(
                        Method::POST,
                        &path,
                        Some(&self.creds[by].secret.clone()),
                        Some(json!({})),
                    )
                    .await;
                if r.status == StatusCode::OK {
                    let old = self.bearers_of(sa, Some(self.sas[sa].generation));
                    self.cascade(&old);
                    let s = &mut self.sas[sa];
                    s.secret = r.body["client_secret"].as_str().map(str::to_owned);
                    s.generation += 1;
                    s.secret_maker = Some(by);
                    COUNTS.accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::Grant { sa } => {
                let Some(sa) = self.pick_sa(*sa) else { return };
                let Some(secret) = self.sas[sa].secret.clone() else {
                    return;
                };
                let resp = self
                    .http
                    .post(format!(
                        "{}/realms/acme/protocol/openid-connect/token",
                        self.url
                    ))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!(
                        "grant_type=client_credentials&client_id={}&client_secret={secret}",
                        self.sas[sa].id
                    ))
                    .send()
                    .await
                    .expect("the sandbox answers");
                if resp.status() == StatusCode::OK {
                    let body: Value = resp.json().await.unwrap_or(Value::Null);
                    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
                    let who = self
                        .send(Method::GET, "/v1/iam/whoami", Some(&token), None)
                        .await;
                    let t = &who.body["token"];
                    self.creds.push(Cred {
                        secret: token,
                        id: t["id"].as_str().unwrap_or_default().to_owned(),
                        owner: format!("sa:{}", self.sas[sa].id),
                        maker: self.sas[sa].secret_maker,
                        replaced_by: None,
                        expires_at: t["expires_at"].clone(),
                        allowed_ips: t["allowed_ips"].clone(),
                        bearer_of: Some((sa, self.sas[sa].generation)),
                        revoked: false,
                    });
                    COUNTS.accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::SaStatus { by, sa, what } => {
                let (by, Some(sa)) = (self.pick(*by), self.pick_sa(*sa)) else {
                    return;
                };
                let id = self.sas[sa].id.clone();
                let secret = self.creds[by].secret.clone();
                let r = match what {
                    0 => {
                        self.send(
                            Method::POST,
                            &format!("/v1/iam/service-accounts/{id}/disable"),
                            Some(&secret),
                            None,
                        )
                        .await
                    }
                    1 => {
                        self.send(
                            Method::POST,
                            &format!("/v1/iam/service-accounts/{id}/enable"),
                            Some(&secret),
                            None,
                        )
                        .await
                    }
                    _ => {
                        self.send(
                            Method::DELETE,
                            &format!("/v1/iam/service-accounts/{id}"),
                            Some(&secret),
                            None,
                        )
                        .await
                    }
                };
                if !r.status.is_success() {
                    return;
                }
                let owned = format!("sa:{id}");
                let own: Vec<usize> = (0..self.creds.len())
                    .filter(|c| self.creds[*c].owner == owned)
                    .collect();
                match what {
                    // Disabling ends what the account's credentials made, and its bearers
                    // (made through its client secret), not its own tokens.
                    0 => {
                        let mut roots: Vec<usize> = Vec::new();
                        for c in 0..self.creds.len() {
                            if self.parent(c).is_some_and(|p| own.contains(&p))
                                || self.creds[c].bearer_of.is_some_and(|(s, _)| s == sa)
                            {
                                roots.push(c);
                            }
                        }
                        self.cascade(&roots);
                    }
                    1 => {}
                    _ => {
                        self.cascade(&own);
                        self.sas[sa].deleted = true;
                        self.sas[sa].secret = None;
                    }
                }
                COUNTS.accepted.fetch_add(1, Ordering::Relaxed);
            }
            Op::SetRole {
                user,
                project,
                role,
                org,
            } => {
                let u = USERS[1 + usize::from(*user) % (USERS.len() - 1)];
                let body = if *org {
                    json!({ "org_role": if *role % 2 == 0 { Value::Null } else { json!("admin") } })
                } else {
                    let p = PROJECTS[usize::from(*project)];
                    let mut roles = serde_json::Map::new();
                    if *role > 0 {
                        roles.insert(
                            p.to_owned(),
                            json!(["read_only", "member", "admin"][usize::from(*role) - 1]),
                        );
                    }
                    json!({ "project_roles": roles })
                };
                self.send(
                    Method::PATCH,
                    &format!("/_sandbox/users/{u}"),
                    Some(&self.admin()),
                    Some(body),
                )
                .await;
            }
            Op::Clock { hours } => {
                self.send(
                    Method::POST,
                    "/_sandbox/clock",
                    Some(&self.admin()),
                    Some(json!({ "advance_seconds": i64::from(*hours) * 3600 })),
                )
                .await;
            }
            Op::RevokeMember { user } => {
                let u = USERS[1 + usize::from(*user) % (USERS.len() - 1)];
                let r = self
                    .send(
                        Method::POST,
                        &format!("/v1/org/members/{u}/revoke-tokens"),
                        Some(&self.admin()),
                        Some(json!({})),
                    )
                    .await;
                if r.status == StatusCode::OK {
                    let owned = format!("user:{u}");
                    let own: Vec<usize> = (0..self.creds.len())
                        .filter(|c| self.creds[*c].owner == owned)
                        .collect();
                    self.cascade(&own);
                }
            }
        }
    }

    /// What `c` may do of the sampled calls now; `None` when it is refused outright.
    async fn decisions(&self, c: usize) -> Option<Vec<bool>> {
        let r = self
            .send(
                Method::POST,
                "/v1/iam/authorize",
                Some(&self.creds[c].secret),
                Some(sampled_calls()),
            )
            .await;
        match r.status {
            StatusCode::OK => Some(
                r.body["decisions"]
                    .as_array()
                    .expect("decisions")
                    .iter()
                    .map(|d| d["allowed"] == true)
                    .collect(),
            ),
            s if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN => None,
            s => panic!("authorize answered {s}: {}", r.body),
        }
    }

    async fn check(&self, ops: &[Op], step: usize) -> Result<(), TestCaseError> {
        let mut cache: Vec<Option<Vec<bool>>> = Vec::with_capacity(self.creds.len());
        for c in 0..self.creds.len() {
            let mine = self.decisions(c).await;
            // One real call, to hold the simulation to what a call really gets.
            let real = self
                .send(
                    Method::GET,
                    "/v1/compute/servers?project=web",
                    Some(&self.creds[c].secret),
                    None,
                )
                .await;
            COUNTS.real_calls.fetch_add(1, Ordering::Relaxed);
            let simulated = mine.as_ref().is_some_and(|d| d[REAL_CALL_INDEX]);
            prop_assert_eq!(
                real.status == StatusCode::OK,
                simulated,
                "credential {} ({}): the real call got {} and the simulation said {}; ops {:?}",
                c,
                self.creds[c].id,
                real.status,
                simulated,
                &ops[..=step]
            );
            if self.creds[c].revoked {
                COUNTS.cascade_checks.fetch_add(1, Ordering::Relaxed);
                prop_assert!(
                    mine.is_none() && real.status == StatusCode::UNAUTHORIZED,
                    "credential {} ({}) was revoked by a cascade but still works: {:?}; ops {:?}",
                    c,
                    self.creds[c].id,
                    mine,
                    &ops[..=step]
                );
            }
            cache.push(mine);
        }
        for (c, child) in cache.iter().enumerate() {
            let (Some(p), Some(child)) = (self.parent(c), child) else {
                continue;
            };
            // A maker refused outright may do nothing.
            let none = vec![false; child.len()];
            let parent = cache[p].as_ref().unwrap_or(&none);
            for (i, (a, b)) in child.iter().zip(parent).enumerate() {
                COUNTS.comparisons.fetch_add(1, Ordering::Relaxed);
                if *a {
                    COUNTS.allowed_children.fetch_add(1, Ordering::Relaxed);
                }
                prop_assert!(!a || *b,
                    "credential {} ({}) may make sampled call {} that its maker {} ({}) may not; ops {:?}",
                    c, self.creds[c].id, i, p, self.creds[p].id, &ops[..=step]);
            }
        }
        Ok(())
    }
}

fn cases() -> u32 {
    std::env::var("CLOUDDIGIT_ESCALATION_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

/// One shard of the cases, on its own thread and runtime: the shards use every core.
fn run_shard(cases: u32) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let result = runner.run(&prop::collection::vec(op(), 1..=10), |ops| {
        rt.block_on(async {
            let server = start(Config {
                port: 0,
                rate_burst: 0,
                failure_burst: 0,
                ..common::config()
            })
            .await
            .expect("sandbox starts");
            let admin = server.bootstrap_token.expose_secret().to_owned();
            let mut w = World {
                url: server.url(),
                http: http.clone(),
                creds: Vec::new(),
                sas: Vec::new(),
            };
            let who = w
                .send(Method::GET, "/v1/iam/whoami", Some(&admin), None)
                .await;
            w.creds.push(Cred {
                secret: admin,
                id: who.body["token"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                owner: "user:u_owner".into(),
                maker: None,
                replaced_by: None,
                expires_at: Value::Null,
                allowed_ips: json!([]),
                bearer_of: None,
                revoked: false,
            });
            let mut outcome = Ok(());
            for (step, op) in ops.iter().enumerate() {
                w.apply(op, step).await;
                COUNTS.steps.fetch_add(1, Ordering::Relaxed);
                outcome = w.check(&ops, step).await;
                if outcome.is_err() {
                    break;
                }
            }
            COUNTS.sequences.fetch_add(1, Ordering::Relaxed);
            let _ = server.shutdown().await;
            outcome
        })
    });
    result.map_err(|e| e.to_string())
}

#[test]
fn no_credential_ever_exceeds_its_maker() {
    let started = std::time::Instant::now();
    let shards = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4) as u32;
    let total = cases();
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..shards)
            .map(|i| {
                let n = total / shards + u32::from(i < total % shards);
                scope.spawn(move || run_shard(n))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a shard panicked".into())))
            .collect()
    });
    let c = &COUNTS;
    let violations = results.iter().filter(|r| r.is_err()).count();
    println!(
        "escalation property: {} sequences ({shards} shards), {} steps, {} credential operations accepted, {} child/maker comparisons ({} of them allowed to the child), {} cascade checks, {} real calls, {violations} violations, in {:.0?}",
        c.sequences.load(Ordering::Relaxed),
        c.steps.load(Ordering::Relaxed),
        c.accepted.load(Ordering::Relaxed),
        c.comparisons.load(Ordering::Relaxed),
        c.allowed_children.load(Ordering::Relaxed),
        c.cascade_checks.load(Ordering::Relaxed),
        c.real_calls.load(Ordering::Relaxed),
        started.elapsed()
    );
    for r in &results {
        if let Err(e) = r {
            panic!("{e}");
        }
    }
    // Not vacuous: children were made and allowed things, and cascades were checked.
    assert!(c.allowed_children.load(Ordering::Relaxed) > 0);
    assert!(c.cascade_checks.load(Ordering::Relaxed) > 0 || total < 100);
}
