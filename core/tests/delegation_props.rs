//! The delegation rule, checked against the evaluator it protects: whenever
//! `check_delegation` lets a caller make a credential, no call the new credential is
//! allowed (at any time before it expires, from any address) is refused to the caller.
//! And the rule is not vacuous: the generator reaches both answers, and every code.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use chrono::{Duration, TimeZone, Utc};
use clouddigit_core::delegation::{check_delegation, CallerCredential, DelegationRequest, Minted};
use clouddigit_core::evaluator::{authorize, PreparedOwner, PreparedRequest, PreparedToken};
use clouddigit_core::model::{AllProjects, Inherit, ServiceAccountStatus, UserStatus};
use clouddigit_core::{
    Catalog, OrgRole, OwnerRef, OwnerState, ProjectRole, ProjectScope, Request,
    ServiceAccountState, Timestamp, Token, TokenPermissions, UserState,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const ORG: &str = "acme";
const PROJECTS: [&str; 3] = ["web", "data", "prod"];
const CIDRS: [&str; 5] = [
    "203.0.113.0/24",
    "203.0.113.0/28",
    "198.51.100.0/24",
    "10.0.0.0/8",
    "2001:db8::/32",
];
const IPS: [&str; 5] = [
    "203.0.113.5",
    "203.0.113.200",
    "198.51.100.7",
    "10.1.2.3",
    "2001:db8::1",
];

fn cases() -> u32 {
    std::env::var("CLOUDDIGIT_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500)
}

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn owners() -> Vec<OwnerState> {
    let user = |id: &str, org_role: Option<OrgRole>, roles: &[(&str, ProjectRole)]| {
        OwnerState::User(UserState {
            id: id.into(),
            email: format!("{id}@acme.test"),
            organization: ORG.into(),
            status: UserStatus::Active,
            org_role,
            project_roles: roles.iter().map(|(p, r)| ((*p).into(), *r)).collect(),
        })
    };
    let sa = |id: &str, project: Option<&str>, role: ProjectRole, tags: &[(&str, &str)]| {
        OwnerState::ServiceAccount(ServiceAccountState {
            id: id.into(),
            name: id.replace('_', "-"),
            description: String::new(),
            organization: ORG.into(),
            project: project.map(str::to_owned),
            role,
            tag_selector: tags
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            status: ServiceAccountStatus::Active,
            allowed_ips: Vec::new(),
        })
    };
    vec![
        user(
            "u_alice",
            None,
            &[
                ("web", ProjectRole::Member),
                ("data", ProjectRole::ReadOnly),
            ],
        ),
        user("u_wendy", None, &[("web", ProjectRole::Admin)]),
        user("u_olga", Some(OrgRole::Admin), &[]),
        sa(
            "sa_ci",
            Some("web"),
            ProjectRole::Member,
            &[("env", "prod")],
        ),
        sa("sa_admin", Some("web"), ProjectRole::Admin, &[]),
        sa("sa_mon", None, ProjectRole::ReadOnly, &[]),
    ]
}

fn patterns() -> Vec<String> {
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    for p in catalog.permissions() {
        let parts: Vec<&str> = p.name.split('.').collect();
        out.push(p.name.clone());
        out.push(format!("{}.*", parts[0]));
        out.push(format!("{}.{}.*", parts[0], parts[1]));
    }
    out.sort();
    out.dedup();
    out
}

/// A token of `owner`: any scope, downscope, expiry and allow-list.
fn token(owner: OwnerRef) -> impl Strategy<Value = Token> {
    (
        prop::bool::weighted(0.4),
        prop::collection::vec(select(patterns()), 1..=6),
        prop_oneof![
            1 => Just(None),
            4 => subsequence(PROJECTS.to_vec(), 1..=3).prop_map(Some),
        ],
        prop::option::weighted(0.7, 1i64..2000),
        prop_oneof![Just(Vec::new()), subsequence(CIDRS.to_vec(), 1..=3)],
    )
        .prop_map(move |(inherit, down, projects, expires_h, cidrs)| Token {
            id: "tok".into(),
            name: "t".into(),
            prefix: "cd_abcdef".into(),
            owner: owner.clone(),
            organization: ORG.into(),
            projects: match projects {
                None => ProjectScope::All(AllProjects::All),
                Some(p) => ProjectScope::Projects(p.into_iter().map(str::to_owned).collect()),
            },
            permissions: if inherit {
                TokenPermissions::Inherit(Inherit::Inherit)
            } else {
                TokenPermissions::Downscoped(down)
            },
            created_at: now(),
            expires_at: expires_h.map(|h| now() + Duration::hours(h)),
            allowed_ips: cidrs.into_iter().map(str::to_owned).collect(),
            revoked_at: None,
            rotated_at: None,
            grace_ends_at: None,
            quarantine: None,
        })
}

#[derive(Debug, Clone)]
struct Case {
    caller: Token,
    caller_owner: OwnerState,
    child: Token,
    child_owner: OwnerState,
    calls: Vec<Request>,
}

/// A child near its caller: usually a narrowing of it (so the rule often says yes and the
/// property has something to check), sometimes drawn freely.
fn child_of(caller: Token, owner: OwnerRef) -> impl Strategy<Value = Token> {
    let free = token(owner.clone());
    let narrowed = (
        token(owner),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::bool::ANY,
        0i64..2000,
        prop::bool::ANY,
    )
        .prop_map(
            move |(mut t, keep_projects, keep_perms, keep_ips, shorten, never)| {
                if keep_projects {
                    t.projects = caller.projects.clone();
                }
                if keep_perms {
                    t.permissions = caller.permissions.clone();
                }
                if keep_ips {
                    t.allowed_ips = caller.allowed_ips.clone();
                }
                t.expires_at = match caller.expires_at {
                    Some(e) => Some(e - Duration::hours(shorten)),
                    None if never => None,
                    None => t.expires_at,
                };
                t
            },
        );
    prop_oneof![1 => free, 3 => narrowed]
}

fn case() -> impl Strategy<Value = Case> {
    let all = owners();
    (select(all.clone()), select(all), prop::bool::weighted(0.5))
        .prop_flat_map(|(caller_owner, other, same)| {
            let child_owner = if same { caller_owner.clone() } else { other };
            let actions: Vec<String> = Catalog::builtin()
                .permissions()
                .iter()
                .map(|p| p.name.clone())
                .collect();
            let call = (
                select(actions),
                prop::option::weighted(0.95, select(PROJECTS.to_vec())),
                select(IPS.to_vec()),
                0i64..3000,
                prop::option::weighted(
                    0.5,
                    Just(BTreeMap::from([("env".to_owned(), "prod".to_owned())])),
                ),
            )
                .prop_map(|(action, project, ip, h, tags)| Request {
                    action: Some(action),
                    method: None,
                    path: None,
                    organization: None,
                    project: project.map(str::to_owned),
                    ip: Some(ip.parse::<IpAddr>().expect("fixed address")),
                    time: now() + Duration::hours(h),
                    resource_tags: tags,
                });
            let child_ref = child_owner.owner_ref();
            (
                Just(caller_owner.clone()),
                token(caller_owner.owner_ref()).prop_flat_map(move |caller| {
                    (Just(caller.clone()), child_of(caller, child_ref.clone()))
                }),
                Just(child_owner.clone()),
                prop::collection::vec(call, 48),
            )
        })
        .prop_map(|(caller_owner, (caller, child), child_owner, calls)| Case {
            caller,
            caller_owner,
            child,
            child_owner,
            calls,
        })
}

fn issues(c: &Case) -> Vec<clouddigit_core::Issue> {
    check_delegation(
        Catalog::builtin(),
        &DelegationRequest {
            caller: CallerCredential {
                token: c.caller.clone(),
                owner: c.caller_owner.clone(),
            },
            child: c.child.clone(),
            child_owner: c.child_owner.clone(),
            minted: Minted::Token,
            now: now(),
            organization_projects: PROJECTS.iter().map(|p| (*p).to_owned()).collect(),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// What the rule lets a caller make never allows a call the caller is refused.
    #[test]
    fn an_allowed_child_never_exceeds_its_caller(c in case()) {
        // Refused children are the other test's concern (it checks the rule reaches them).
        if !issues(&c).is_empty() {
            return Ok(());
        }
        let catalog = Catalog::builtin();
        let caller = PreparedToken::prepare(&c.caller, catalog).expect("caller prepares");
        let child = PreparedToken::prepare(&c.child, catalog).expect("child prepares");
        let caller_owner = PreparedOwner::prepare(&c.caller_owner);
        let child_owner = PreparedOwner::prepare(&c.child_owner);
        for r in &c.calls {
            let req = PreparedRequest::prepare(r, catalog).expect("request prepares");
            let theirs = authorize(catalog, &child, &child_owner, &req);
            if theirs.allowed() {
                let mine = authorize(catalog, &caller, &caller_owner, &req);
                prop_assert!(mine.allowed(),
                    "child allowed {:?} in {:?} from {:?} at {}, the caller is refused: {:?}\ncaller {:?}\nchild {:?}",
                    r.action, r.project, r.ip, r.time, mine.reason(), c.caller, c.child);
            }
        }
    }
}

/// The property above is only as good as the cases that reach it: the generator must
/// produce children the rule allows (and that then do something) and children it
/// refuses for each reason.
#[test]
fn generator_reaches_both_answers_and_every_code() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let (mut allowed, mut active) = (0, 0);
    let mut codes = HashSet::new();
    let catalog = Catalog::builtin();
    for _ in 0..3000 {
        let c = strategy.new_tree(&mut runner).expect("generator").current();
        let found = issues(&c);
        if found.is_empty() {
            allowed += 1;
            let child = PreparedToken::prepare(&c.child, catalog).expect("child prepares");
            let owner = PreparedOwner::prepare(&c.child_owner);
            if c.calls.iter().any(|r| {
                let req = PreparedRequest::prepare(r, catalog).expect("request");
                authorize(catalog, &child, &owner, &req).allowed()
            }) {
                active += 1;
            }
        }
        codes.extend(found.iter().map(|i| i.code.as_str()));
    }
    eprintln!("of 3000 cases: {allowed} children allowed, {active} of them allowed a call");
    assert!(
        allowed >= 300 && active >= 100,
        "allowed {allowed}, active {active}"
    );
    for code in [
        "exceeds_caller_projects",
        "exceeds_caller_permissions",
        "exceeds_caller_expiry",
        "exceeds_caller_allowed_ips",
    ] {
        assert!(codes.contains(code), "{code} never reached: {codes:?}");
    }
}
