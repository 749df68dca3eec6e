//! The guarantee, as properties: over random slices of the catalog, random owners,
//! tokens (inherited or downscoped), role changes after issuance and requests,
//!
//! 1. an allow implies the owner's *current* role in that project grants the
//!    permission and the token's downscope includes it (checked against a naive
//!    reading of the catalog file, not against the evaluator's own bitsets);
//! 2. lowering the owner's role (or status, or widening a tag selector) never
//!    widens what the token may do;
//! 3. `authorize` agrees with `effective_permissions` on every case;
//! 4. the reason is always the first failing check, in the documented order.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{Duration, TimeZone, Utc};
use clouddigit_core::catalog::{CatalogFile, PermissionScope, BUILTIN_CATALOG_JSON};
use clouddigit_core::model::{AllProjects, Inherit, ServiceAccountStatus, UserStatus};
use clouddigit_core::{
    authorize, effective_permissions, Catalog, Check, OrgRole, OwnerRef, OwnerState, PreparedOwner,
    PreparedRequest, PreparedToken, ProjectRole, ProjectScope, Reason, Request, Role,
    ServiceAccountState, Timestamp, Token, TokenPermissions, UserState,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const CASES: u32 = 10_000;
const ORG: &str = "org-1";
const PROJECTS: [&str; 4] = ["p1", "p2", "p3", "p4"];
const CIDRS: [&str; 5] = [
    "10.0.0.0/8",
    "192.0.2.0/24",
    "2001:db8::/32",
    "203.0.113.7/32",
    "0.0.0.0/0",
];
const IPS: [&str; 5] = [
    "10.1.2.3",
    "192.0.2.200",
    "198.51.100.1",
    "2001:db8::1",
    "203.0.113.7",
];
const TAGS: [(&str, &str); 4] = [
    ("env", "prod"),
    ("env", "dev"),
    ("team", "a"),
    ("team", "b"),
];

fn catalog_file() -> CatalogFile {
    serde_json::from_str(BUILTIN_CATALOG_JSON).expect("builtin catalog parses")
}

fn t(hours: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

/// A slice of the real catalog: a random subset, in a random order (so permission ids
/// differ from the builtin ones).
fn catalog_slice() -> impl Strategy<Value = CatalogFile> {
    let file = catalog_file();
    let n = file.permissions.len();
    (subsequence((0..n).collect::<Vec<_>>(), 1..=n), any::<u64>()).prop_map(
        move |(picked, seed)| {
            let mut perms: Vec<_> = picked
                .into_iter()
                .map(|i| file.permissions[i].clone())
                .collect();
            // Deterministic shuffle from the seed (Fisher-Yates with an LCG).
            let mut s = seed | 1;
            for i in (1..perms.len()).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                perms.swap(i, (s >> 33) as usize % (i + 1));
            }
            CatalogFile {
                comment: None,
                version: "slice".into(),
                roles: file.roles.clone(),
                permissions: perms,
            }
        },
    )
}

fn project_role() -> impl Strategy<Value = ProjectRole> {
    select(vec![
        ProjectRole::ReadOnly,
        ProjectRole::Member,
        ProjectRole::Admin,
    ])
}

fn tags() -> impl Strategy<Value = BTreeMap<String, String>> {
    subsequence(TAGS.to_vec(), 0..=2).prop_map(|v| {
        v.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    })
}

fn owner() -> impl Strategy<Value = OwnerState> {
    let user = (
        prop_oneof![
            10 => Just(UserStatus::Active),
            1 => Just(UserStatus::Suspended),
            1 => Just(UserStatus::Removed),
        ],
        prop::option::weighted(0.3, select(vec![OrgRole::Admin, OrgRole::Owner])),
        prop::collection::btree_map(select(PROJECTS.to_vec()), project_role(), 0..=4),
        prop::bool::weighted(0.95),
    )
        .prop_map(|(status, org_role, roles, same_org)| {
            OwnerState::User(UserState {
                id: "u1".into(),
                email: "u1@example.com".into(),
                organization: if same_org { ORG } else { "org-2" }.into(),
                status,
                org_role,
                project_roles: roles.into_iter().map(|(p, r)| (p.to_owned(), r)).collect(),
            })
        });
    let sa = (
        prop_oneof![
            10 => Just(ServiceAccountStatus::Active),
            1 => Just(ServiceAccountStatus::Disabled),
            1 => Just(ServiceAccountStatus::Deleted),
        ],
        prop::option::weighted(0.75, select(PROJECTS.to_vec())),
        project_role(),
        tags(),
    )
        .prop_map(|(status, project, role, tag_selector)| {
            OwnerState::ServiceAccount(ServiceAccountState {
                id: "sa1".into(),
                name: "ci-deployer".into(),
                description: String::new(),
                organization: ORG.into(),
                project: project.map(str::to_owned),
                role,
                tag_selector,
                status,
                allowed_ips: Vec::new(),
            })
        });
    prop_oneof![user, sa]
}

/// Patterns a downscope may hold, drawn from the slice so the token prepares.
fn downscope(file: &CatalogFile) -> impl Strategy<Value = Vec<String>> {
    let mut patterns: Vec<String> = Vec::new();
    for p in &file.permissions {
        let parts: Vec<&str> = p.name.split('.').collect();
        patterns.push(p.name.clone());
        patterns.push(format!("{}.*", parts[0]));
        patterns.push(format!("{}.{}.*", parts[0], parts[1]));
    }
    patterns.sort();
    patterns.dedup();
    prop::collection::vec(select(patterns), 0..=6)
}

fn token(file: &CatalogFile, owner: OwnerRef) -> impl Strategy<Value = Token> {
    (
        prop::bool::weighted(0.5),
        downscope(file),
        prop_oneof![
            1 => Just(None),
            4 => subsequence(PROJECTS.to_vec(), 0..=4).prop_map(Some),
        ],
        prop::option::weighted(0.3, 0i64..1000),
        prop::option::weighted(0.08, 0i64..200),
        prop::option::weighted(0.12, 0i64..200),
        prop_oneof![Just(Vec::new()), subsequence(CIDRS.to_vec(), 1..=3)],
        prop::bool::weighted(0.95),
        // Quarantined (a leaked token under a quarantining policy): often enough that a
        // write refused for nothing else comes up.
        prop::option::weighted(0.15, 0i64..50),
    )
        .prop_map(
            move |(inherit, down, projects, expires, revoked, rotated, cidrs, own, quarantined)| {
                Token {
                    id: "tok".into(),
                    name: "t".into(),
                    prefix: "cd_abcdef".into(),
                    // Mostly the generated owner; sometimes someone else entirely.
                    owner: if own {
                        owner.clone()
                    } else {
                        OwnerRef::User { id: "u9".into() }
                    },
                    organization: ORG.into(),
                    projects: match projects {
                        None => ProjectScope::All(AllProjects::All),
                        Some(p) => {
                            ProjectScope::Projects(p.into_iter().map(str::to_owned).collect())
                        }
                    },
                    permissions: if inherit {
                        TokenPermissions::Inherit(Inherit::Inherit)
                    } else {
                        TokenPermissions::Downscoped(down)
                    },
                    created_at: t(0),
                    expires_at: expires.map(t),
                    allowed_ips: cidrs.into_iter().map(str::to_owned).collect(),
                    revoked_at: revoked.map(t),
                    rotated_at: rotated.map(t),
                    grace_ends_at: None,
                    quarantine: quarantined.map(|at| clouddigit_core::model::Quarantine {
                        reason: clouddigit_core::model::QuarantineReason::Leaked,
                        url: "https://example.test/leak".into(),
                        at: t(at),
                    }),
                }
            },
        )
}

fn request(file: &CatalogFile) -> impl Strategy<Value = Request> {
    let mut actions: Vec<String> = file.permissions.iter().map(|p| p.name.clone()).collect();
    // Credential operations twice more: only a rotating token tells them apart, and the
    // generator must reach that reason too.
    for p in file.permissions.iter().filter(|p| p.credential) {
        actions.extend([p.name.clone(), p.name.clone()]);
    }
    // Step-up actions likewise: there are few, and the reason they are refused
    // for comes late in the order, so a uniform pick reached it by luck.
    for p in file.permissions.iter().filter(|p| p.step_up) {
        actions.extend([p.name.clone(), p.name.clone(), p.name.clone()]);
    }
    actions.push("compute.servers.teleport".into());
    (
        select(actions),
        prop::option::weighted(0.9, select(PROJECTS.to_vec())),
        select(vec![None, None, Some(ORG), Some("org-2")]),
        prop::option::weighted(0.9, select(IPS.to_vec())),
        0i64..400,
        prop::option::weighted(0.6, tags()),
    )
        .prop_map(|(action, project, org, ip, time, resource_tags)| Request {
            action: Some(action),
            method: None,
            path: None,
            organization: org.map(str::to_owned),
            project: project.map(str::to_owned),
            ip: ip.map(|s| s.parse::<IpAddr>().expect("fixed address parses")),
            time: t(time),
            resource_tags,
        })
}

/// One generated world: a catalog slice, a token, its owner at issuance, the same owner
/// lowered later, and a call.
#[derive(Debug, Clone)]
struct World {
    file: CatalogFile,
    token: Token,
    owner: OwnerState,
    lowered: OwnerState,
    request: Request,
}

fn lower_project_role(r: ProjectRole, by: u8) -> Option<ProjectRole> {
    let all = [
        ProjectRole::ReadOnly,
        ProjectRole::Member,
        ProjectRole::Admin,
    ];
    let i = all.iter().position(|x| *x == r).unwrap_or(0) as i32 - i32::from(by);
    usize::try_from(i).ok().map(|i| all[i])
}

/// The same owner after someone lowered their standing: roles down or removed, status
/// no better, tag selector no wider.
fn lowered(owner: &OwnerState) -> impl Strategy<Value = OwnerState> {
    let owner = owner.clone();
    (
        prop::collection::vec(0u8..=3, 5),
        prop::bool::weighted(0.2),
        tags(),
    )
        .prop_map(move |(by, worse_status, extra_tags)| match &owner {
            OwnerState::User(u) => {
                let mut u = u.clone();
                u.org_role = match (u.org_role, by[0]) {
                    (r, 0) => r,
                    (Some(OrgRole::Owner), 1) => Some(OrgRole::Admin),
                    _ => None,
                };
                u.project_roles = u
                    .project_roles
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (p, r))| {
                        lower_project_role(*r, by[1 + i % 4]).map(|r| (p.clone(), r))
                    })
                    .collect();
                if worse_status {
                    u.status = UserStatus::Suspended;
                }
                OwnerState::User(u)
            }
            OwnerState::ServiceAccount(s) => {
                let mut s = s.clone();
                match lower_project_role(s.role, by[0]) {
                    Some(r) => s.role = r,
                    None => s.status = ServiceAccountStatus::Disabled,
                }
                if worse_status {
                    s.status = ServiceAccountStatus::Deleted;
                }
                for (k, v) in extra_tags {
                    s.tag_selector.entry(k).or_insert(v);
                }
                OwnerState::ServiceAccount(s)
            }
        })
}

fn world() -> impl Strategy<Value = World> {
    catalog_slice().prop_flat_map(|file| {
        let for_token = file.clone();
        (
            Just(file.clone()),
            owner().prop_flat_map(move |o| {
                (
                    Just(o.clone()),
                    lowered(&o),
                    token(&for_token, o.owner_ref()),
                )
            }),
            request(&file),
        )
            .prop_map(|(file, (owner, lowered, token), request)| World {
                file,
                token,
                owner,
                lowered,
                request,
            })
    })
}

/// What the owner's role grants for `perm` in `project`, read straight from the
/// catalog file's `role` field: the naive oracle for property 1.
fn naive_role_grants(
    file: &CatalogFile,
    owner: &OwnerState,
    name: &str,
    project: Option<&str>,
) -> bool {
    let Some(def) = file.permissions.iter().find(|p| p.name == name) else {
        return false;
    };
    let org_level = def.scope == PermissionScope::Organization;
    let role: Option<Role> = match owner {
        OwnerState::User(u) => {
            if u.organization != ORG {
                None
            } else if org_level {
                u.org_role.map(Role::from)
            } else {
                let p = project
                    .and_then(|p| u.project_roles.get(p))
                    .map(|r| Role::from(*r));
                u.org_role.map(Role::from).max(p)
            }
        }
        OwnerState::ServiceAccount(s) => {
            if org_level || project.is_none() {
                None
            } else if s.project.is_none() || s.project.as_deref() == project {
                Some(Role::from(s.role))
            } else {
                None
            }
        }
    };
    role.is_some_and(|r| r >= def.role)
}

fn naive_downscope_includes(token: &Token, name: &str) -> bool {
    match &token.permissions {
        TokenPermissions::Inherit(_) => true,
        TokenPermissions::Downscoped(list) => list.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => p == name,
        }),
    }
}

struct Prepared {
    catalog: Catalog,
    token: PreparedToken,
    owner: PreparedOwner,
    lowered: PreparedOwner,
    request: PreparedRequest,
}

fn prepare(w: &World) -> Prepared {
    let catalog = Catalog::from_file(w.file.clone()).expect("a slice of a valid catalog is valid");
    let token = PreparedToken::prepare(&w.token, &catalog).expect("generated token prepares");
    let request = PreparedRequest::prepare(&w.request, &catalog).expect("generated request");
    Prepared {
        token,
        owner: PreparedOwner::prepare(&w.owner),
        lowered: PreparedOwner::prepare(&w.lowered),
        request,
        catalog,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn allow_implies_current_role_and_downscope(w in world()) {
        let p = prepare(&w);
        for (state, prepared) in [(&w.owner, &p.owner), (&w.lowered, &p.lowered)] {
            let v = authorize(&p.catalog, &p.token, prepared, &p.request);
            if v.allowed() {
                let name = w.request.action.as_deref().unwrap_or_default();
                prop_assert!(naive_role_grants(&w.file, state, name, w.request.project.as_deref()),
                    "allowed {name} beyond the owner's role");
                prop_assert!(naive_downscope_includes(&w.token, name),
                    "allowed {name} outside the downscope");
                prop_assert_eq!(state.owner_ref(), w.token.owner.clone());
                let step_up = w.file.permissions.iter().any(|d| d.name == name && d.step_up);
                prop_assert!(!step_up, "a token did a step-up action");
            }
        }
    }

    #[test]
    fn lowering_a_role_never_widens(w in world()) {
        let p = prepare(&w);
        let before = authorize(&p.catalog, &p.token, &p.owner, &p.request);
        let after = authorize(&p.catalog, &p.token, &p.lowered, &p.request);
        prop_assert!(!after.allowed() || before.allowed(),
            "lowered owner allowed what the original was denied: {:?}", after.reason());
        for project in [None, Some("p1"), Some("p2"), Some("p3"), Some("p4")] {
            let hi = effective_permissions(&p.catalog, &p.token, &p.owner, project);
            let lo = effective_permissions(&p.catalog, &p.token, &p.lowered, project);
            prop_assert!(lo.is_subset(&hi), "effective set grew in {project:?}");
        }
    }

    #[test]
    fn authorize_agrees_with_effective_permissions(w in world()) {
        let p = prepare(&w);
        for owner in [&p.owner, &p.lowered] {
            let v = authorize(&p.catalog, &p.token, owner, &p.request);
            let dynamic = [Check::Revoked, Check::Rotated, Check::Expired,
                Check::OwnerInactive, Check::IpNotAllowed, Check::TagMismatch,
                Check::InRotationGrace, Check::Quarantined];
            let dynamic_ok = dynamic.iter().all(|c| !v.failed(*c));
            let other_org = w.request.organization.as_deref().is_some_and(|o| o != ORG);
            // `effective_permissions` answers for a place, not a call: it takes the
            // project the call names (organization-level actions ignore it).
            let in_effective = p.request.permission().is_some_and(|perm| {
                effective_permissions(&p.catalog, &p.token, owner, w.request.project.as_deref())
                    .contains(perm)
            });
            prop_assert_eq!(v.allowed(), dynamic_ok && !other_org && in_effective,
                "reason {:?}", v.reason());
        }
    }

    #[test]
    fn reason_is_the_first_failing_check(w in world()) {
        let p = prepare(&w);
        let v = authorize(&p.catalog, &p.token, &p.owner, &p.request);
        let first = Check::ALL.iter().copied().find(|c| v.failed(*c));
        prop_assert_eq!(v.reason(), first.map_or(Reason::Allowed, Reason::from));
        prop_assert_eq!(v.allowed(), first.is_none());
    }
}

/// Guards the properties against being vacuous: the generator must reach allows and
/// every reason code, or the assertions above would hold for the wrong reason.
#[test]
fn generator_reaches_every_reason() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = world();
    let mut seen = std::collections::HashMap::<Reason, usize>::new();
    // 8,000 draws: quarantined, late in the order, needs them to come up reliably.
    for _ in 0..8_000 {
        let w = strategy
            .new_tree(&mut runner)
            .expect("generator works")
            .current();
        let p = prepare(&w);
        let v = authorize(&p.catalog, &p.token, &p.owner, &p.request);
        *seen.entry(v.reason()).or_default() += 1;
    }
    assert!(
        seen.get(&Reason::Allowed).copied().unwrap_or(0) >= 100,
        "too few allows: {seen:?}"
    );
    for check in Check::ALL {
        assert!(
            seen.contains_key(&Reason::from(check)),
            "{check:?} never first: {seen:?}"
        );
    }
}
