//! Decisions on fuzzed tokens, owners and calls: `authorize` allows exactly what
//! `effective_permissions` lists (when the call itself is fine), and what the delegation
//! rule lets a caller make never allows a call the caller is refused.
#![no_main]
use arbitrary::Arbitrary;
use chrono::{Duration, TimeZone, Utc};
use clouddigit_core::delegation::{check_delegation, CallerCredential, DelegationRequest, Minted};
use clouddigit_core::evaluator::{
    authorize, effective_permissions, Check, PreparedOwner, PreparedRequest, PreparedToken,
};
use clouddigit_core::model::{AllProjects, Inherit, ServiceAccountStatus, UserStatus};
use clouddigit_core::{
    Catalog, OrgRole, OwnerRef, OwnerState, ProjectRole, ProjectScope, Request,
    ServiceAccountState, Timestamp, Token, TokenPermissions, UserState,
};
use libfuzzer_sys::fuzz_target;

const PROJECTS: [&str; 3] = ["web", "data", "prod"];
const CIDRS: [&str; 4] = [
    "203.0.113.0/24",
    "203.0.113.0/28",
    "10.0.0.0/8",
    "2001:db8::/32",
];
const IPS: [&str; 4] = ["203.0.113.5", "203.0.113.200", "10.1.2.3", "2001:db8::1"];

#[derive(Debug, Arbitrary)]
struct Owner {
    service_account: bool,
    org_role: u8,
    roles: [u8; 3],
    sa_project: u8,
    tagged: bool,
    active: bool,
}

#[derive(Debug, Arbitrary)]
struct Tok {
    all_projects: bool,
    projects: u8,
    downscope: Option<Vec<u8>>,
    expires_in_h: Option<u16>,
    cidrs: u8,
}

#[derive(Debug, Arbitrary)]
struct Call {
    action: u8,
    project: u8,
    ip: u8,
    at_h: u16,
    tagged: bool,
}

#[derive(Debug, Arbitrary)]
struct Case {
    caller_owner: Owner,
    caller: Tok,
    child_owner: Owner,
    child: Tok,
    calls: Vec<Call>,
}

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn project_role(b: u8) -> Option<ProjectRole> {
    [
        None,
        Some(ProjectRole::ReadOnly),
        Some(ProjectRole::Member),
        Some(ProjectRole::Admin),
    ][usize::from(b % 4)]
}

fn owner(o: &Owner, id: &str) -> OwnerState {
    let tags = if o.tagged {
        [("env".to_owned(), "prod".to_owned())].into()
    } else {
        Default::default()
    };
    if o.service_account {
        OwnerState::ServiceAccount(ServiceAccountState {
            id: format!("sa_{id}"),
            name: id.into(),
            description: String::new(),
            organization: "acme".into(),
            project: PROJECTS
                .get(usize::from(o.sa_project % 4))
                .map(|p| (*p).to_owned()),
            role: project_role(o.roles[0]).unwrap_or(ProjectRole::ReadOnly),
            tag_selector: tags,
            status: if o.active {
                ServiceAccountStatus::Active
            } else {
                ServiceAccountStatus::Disabled
            },
            allowed_ips: Vec::new(),
        })
    } else {
        OwnerState::User(UserState {
            id: format!("u_{id}"),
            email: String::new(),
            organization: "acme".into(),
            status: if o.active {
                UserStatus::Active
            } else {
                UserStatus::Suspended
            },
            org_role: [None, None, Some(OrgRole::Admin), Some(OrgRole::Owner)]
                [usize::from(o.org_role % 4)],
            project_roles: PROJECTS
                .iter()
                .zip(o.roles)
                .filter_map(|(p, r)| project_role(r).map(|r| ((*p).to_owned(), r)))
                .collect(),
        })
    }
}

fn token(t: &Tok, owner: OwnerRef, patterns: &[String]) -> Token {
    Token {
        id: "tok".into(),
        name: "t".into(),
        prefix: "cd_abcdef".into(),
        owner,
        organization: "acme".into(),
        projects: if t.all_projects {
            ProjectScope::All(AllProjects::All)
        } else {
            ProjectScope::Projects(
                PROJECTS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| t.projects & (1 << i) != 0)
                    .map(|(_, p)| (*p).to_owned())
                    .collect(),
            )
        },
        permissions: match &t.downscope {
            None => TokenPermissions::Inherit(Inherit::Inherit),
            Some(list) => TokenPermissions::Downscoped(
                list.iter()
                    .take(6)
                    .map(|b| patterns[usize::from(*b) % patterns.len()].clone())
                    .collect(),
            ),
        },
        created_at: now(),
        expires_at: t
            .expires_in_h
            .map(|h| now() + Duration::hours(i64::from(h) + 1)),
        allowed_ips: CIDRS
            .iter()
            .enumerate()
            .filter(|(i, _)| t.cidrs & (1 << i) != 0)
            .map(|(_, c)| (*c).to_owned())
            .collect(),
        revoked_at: None,
        rotated_at: None,
        grace_ends_at: None,
        quarantine: None,
    }
}

/// The same owner, active.
fn activated(owner: &OwnerState) -> OwnerState {
    let mut o = owner.clone();
    match &mut o {
        OwnerState::User(u) => u.status = UserStatus::Active,
        OwnerState::ServiceAccount(s) => s.status = ServiceAccountStatus::Active,
    }
    o
}

/// Every permission and its service's wildcard, made once rather than for each input
/// (a few hundred strings, formatted again on every execution before).
fn patterns() -> &'static [String] {
    static PATTERNS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    PATTERNS.get_or_init(|| {
        let mut patterns = Vec::new();
        for p in Catalog::builtin().permissions() {
            let service = p.name.split('.').next().unwrap_or_default();
            patterns.push(p.name.clone());
            patterns.push(format!("{service}.*"));
        }
        patterns
    })
}

fuzz_target!(|case: Case| {
    let catalog = Catalog::builtin();
    let patterns = patterns();
    let caller_owner = owner(&case.caller_owner, "caller");
    let child_owner = if case.child_owner.service_account || case.child.all_projects {
        owner(&case.child_owner, "child")
    } else {
        caller_owner.clone()
    };
    let caller = token(&case.caller, caller_owner.owner_ref(), patterns);
    let child = token(&case.child, child_owner.owner_ref(), patterns);
    let allowed_to_make = check_delegation(
        catalog,
        &DelegationRequest {
            caller: CallerCredential {
                token: caller.clone(),
                owner: caller_owner.clone(),
            },
            child: child.clone(),
            child_owner: child_owner.clone(),
            minted: Minted::Token,
            now: now(),
            organization_projects: PROJECTS.iter().map(|p| (*p).to_owned()).collect(),
        },
    )
    .is_empty();
    let (Ok(pc), Ok(pk)) = (
        PreparedToken::prepare(&caller, catalog),
        PreparedToken::prepare(&child, catalog),
    ) else {
        return;
    };
    let (oc, ok) = (
        PreparedOwner::prepare(&caller_owner),
        PreparedOwner::prepare(&child_owner),
    );
    for call in case.calls.iter().take(16) {
        let action = catalog.permissions()[usize::from(call.action) % catalog.len()]
            .name
            .clone();
        let request = Request {
            action: Some(action),
            method: None,
            path: None,
            organization: None,
            project: PROJECTS
                .get(usize::from(call.project % 4))
                .map(|p| (*p).to_owned()),
            ip: IPS[usize::from(call.ip) % IPS.len()].parse().ok(),
            time: now() + Duration::hours(i64::from(call.at_h)),
            resource_tags: call
                .tagged
                .then(|| [("env".to_owned(), "prod".to_owned())].into()),
        };
        let Ok(req) = PreparedRequest::prepare(&request, catalog) else {
            continue;
        };
        // authorize agrees with effective_permissions where the call itself is fine.
        let v = authorize(catalog, &pk, &ok, &req);
        let dynamic = [
            Check::Revoked,
            Check::Rotated,
            Check::Expired,
            Check::OwnerInactive,
            Check::IpNotAllowed,
            Check::TagMismatch,
            Check::InRotationGrace,
            Check::Quarantined,
        ];
        let call_fine = dynamic.iter().all(|c| !v.failed(*c));
        let listed = req.permission().is_some_and(|p| {
            effective_permissions(catalog, &pk, &ok, request.project.as_deref()).contains(p)
        });
        assert_eq!(
            v.allowed(),
            call_fine && listed,
            "{:?} for {request:?}",
            v.reason()
        );
        // What the caller may make never does what the caller may not. An inactive owner
        // is the exception the core cannot see alone: such a caller makes nothing (its
        // own call is refused), and what it made before is refused along its lineage by
        // the sandbox (creator_denied; sandbox/tests/escalation_props.rs).
        if allowed_to_make && v.allowed() {
            let mine = authorize(catalog, &pc, &oc, &req);
            let active = PreparedOwner::prepare(&activated(&caller_owner));
            assert!(
                mine.allowed()
                    || (mine.failed(Check::OwnerInactive)
                        && authorize(catalog, &pc, &active, &req).allowed()),
                "child allowed {request:?}, caller refused: {:?}",
                mine.reason()
            );
        }
    }
});
