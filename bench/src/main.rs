//! One downscoped token deciding one call, two ways: clouddigit's prepared evaluator
//! and an equivalent Cedar policy (action in the token's set and in the owner's role,
//! project in scope, not expired, caller inside one of three CIDRs). Prints each
//! median per decision and the ratio.

use std::hint::black_box;
use std::str::FromStr;
use std::time::Instant;

use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request as CedarRequest};
use chrono::{TimeZone, Utc};
use clouddigit_core::model::UserStatus;
use clouddigit_core::{
    authorize, Catalog, OwnerRef, OwnerState, PreparedOwner, PreparedRequest, PreparedToken,
    ProjectRole, ProjectScope, Request, Role, Token, TokenPermissions, UserState,
};
use serde_json::json;

const CIDRS: [&str; 3] = ["10.0.0.0/8", "192.0.2.0/24", "203.0.113.0/24"];
const ROUNDS: usize = 41;
const PER_ROUND: u32 = 20_000;

/// Median nanoseconds per call over `ROUNDS` rounds.
fn median_ns(mut f: impl FnMut() -> bool) -> f64 {
    for _ in 0..PER_ROUND {
        black_box(f());
    }
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                black_box(f());
            }
            start.elapsed().as_nanos() as f64 / f64::from(PER_ROUND)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn main() {
    let catalog = Catalog::builtin();
    let member_perms: Vec<String> = catalog
        .permissions()
        .iter()
        .filter(|p| matches!(p.role, Role::ReadOnly | Role::Member))
        .map(|p| p.name.clone())
        .collect();
    let token_perms: Vec<String> = member_perms.iter().take(64).cloned().collect();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let expires = Utc.with_ymd_and_hms(2026, 12, 23, 10, 0, 0).unwrap();
    let action = "compute.servers.list";

    // clouddigit
    let token = Token {
        id: "tok".into(),
        name: "bench".into(),
        prefix: "cd_bench0".into(),
        owner: OwnerRef::User { id: "u1".into() },
        organization: "org".into(),
        projects: ProjectScope::Projects(vec!["web".into(), "data".into(), "ops".into()]),
        permissions: TokenPermissions::Downscoped(token_perms.clone()),
        created_at: now,
        expires_at: Some(expires),
        allowed_ips: CIDRS.iter().map(|s| s.to_string()).collect(),
        revoked_at: None,
        rotated_at: None,
        grace_ends_at: None,
        quarantine: None,
    };
    let owner = OwnerState::User(UserState {
        id: "u1".into(),
        email: String::new(),
        organization: "org".into(),
        status: UserStatus::Active,
        org_role: None,
        project_roles: [("ops".to_string(), ProjectRole::Member)].into(),
    });
    let request = Request {
        action: Some(action.into()),
        method: None,
        path: None,
        organization: None,
        project: Some("ops".into()),
        ip: Some("203.0.113.9".parse().unwrap()),
        time: now,
        resource_tags: None,
    };
    let tok = PreparedToken::prepare(&token, catalog).unwrap();
    let own = PreparedOwner::prepare(&owner);
    let req = PreparedRequest::prepare(&request, catalog).unwrap();
    assert!(authorize(catalog, &tok, &own, &req).allowed());

    // Cedar: the same token as an entity, its set and the owner's role as action groups.
    let policy = format!(
        r#"permit (principal == Token::"tok", action in Action::"token_set", resource)
when {{
  action in Action::"role_member" &&
  principal.projects.contains(resource.project) &&
  context.now < principal.expires_at &&
  ({})
}};"#,
        CIDRS
            .iter()
            .map(|c| format!(r#"context.ip.isInRange(ip("{c}"))"#))
            .collect::<Vec<_>>()
            .join(" || ")
    );
    let policies = PolicySet::from_str(&policy).expect("policy parses");
    let mut entities = vec![
        json!({"uid": {"type": "Token", "id": "tok"},
               "attrs": {"projects": ["web", "data", "ops"], "expires_at": expires.timestamp()},
               "parents": []}),
        json!({"uid": {"type": "Server", "id": "s1"}, "attrs": {"project": "ops"}, "parents": []}),
        json!({"uid": {"type": "Action", "id": "token_set"}, "attrs": {}, "parents": []}),
        json!({"uid": {"type": "Action", "id": "role_member"}, "attrs": {}, "parents": []}),
    ];
    for p in &member_perms {
        let mut parents = vec![json!({"type": "Action", "id": "role_member"})];
        if token_perms.contains(p) {
            parents.push(json!({"type": "Action", "id": "token_set"}));
        }
        entities.push(json!({"uid": {"type": "Action", "id": p}, "attrs": {}, "parents": parents}));
    }
    let entities =
        Entities::from_json_value(serde_json::Value::Array(entities), None).expect("entities");
    let context = Context::from_json_value(
        json!({"now": now.timestamp(), "ip": {"__extn": {"fn": "ip", "arg": "203.0.113.9"}}}),
        None,
    )
    .expect("context");
    let cedar_req = CedarRequest::new(
        EntityUid::from_str(r#"Token::"tok""#).unwrap(),
        EntityUid::from_str(&format!(r#"Action::"{action}""#)).unwrap(),
        EntityUid::from_str(r#"Server::"s1""#).unwrap(),
        context,
        None,
    )
    .expect("request");
    let authorizer = Authorizer::new();
    let cedar_allows = || {
        authorizer
            .is_authorized(black_box(&cedar_req), &policies, &entities)
            .decision()
            == cedar_policy::Decision::Allow
    };
    assert!(cedar_allows(), "Cedar must allow the same call");

    let ours = median_ns(|| authorize(catalog, black_box(&tok), black_box(&own), black_box(&req)).allowed());
    let cedar = median_ns(cedar_allows);
    println!("scenario: downscoped token, 64 permissions, 3 CIDRs, allowed call");
    println!("clouddigit prepared authorize: median {ours:>10.1} ns/decision");
    println!("cedar-policy is_authorized:    median {cedar:>10.1} ns/decision");
    println!("ratio (cedar / clouddigit):    {:>10.1}x", cedar / ours);
}
