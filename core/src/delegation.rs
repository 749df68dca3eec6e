//! The rule that keeps downscoping real: a credential never grants more than the
//! credential that made it. Kubernetes RBAC calls it escalation prevention (you may only
//! grant what you hold); Vault builds its token tree on it.
//!
//! A calling credential P may create, rotate, re-issue or reveal a credential C only if C
//! can never allow a call that P could not make at that moment:
//! - **projects**: C's scope lies inside P's (`all` only from `all`);
//! - **permissions**: in every place C reaches, what C may do now (its owner's current
//!   role, intersected with its downscope) is within what P may do there; and when both
//!   belong to the same owner and P is downscoped, C's own list lies inside P's list, so
//!   that a later role change cannot widen C past P;
//! - **expiry**: C expires no later than P (never-expiring only from never-expiring);
//! - **allowed IPs**: every network of C lies inside P's allow-list (a P with a list
//!   cannot make a C without one);
//! - a P in its rotation grace window makes nothing at all.
//!
//! The sandbox asks this on every credential operation, the forms and the SDKs ask it
//! through [`crate::validate::validate_token`] before anything is sent, and the sandbox
//! also decides each call along the credential's lineage
//! ([`crate::evaluator::authorize_lineage`]), so that what was true at minting stays true
//! when roles, accounts or policies change later.

use std::fmt::Write as _;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::allowed_ips::AllowList;
use crate::catalog::{Catalog, PermSet};
use crate::evaluator::{effective_permissions_of, PreparedOwner, TokenView};
use crate::model::{
    OwnerRef, OwnerState, ProjectScope, ServiceAccountState, Timestamp, Token, TokenPermissions,
};
use crate::validate::{issue, Issue, IssueCode};

/// The credential making a call, as the rule sees it: its metadata and its owner as
/// they are now (what `whoami` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CallerCredential {
    pub token: Token,
    pub owner: OwnerState,
}

/// What is being made, which decides the fields the findings name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Minted {
    /// An API token (created, or a rotation's replacement).
    Token,
    /// A service account's client secret (at creation of the account, or a reset).
    ClientSecret,
    /// A service account's S3 access key.
    AccessKey,
    /// A service account's role (creating, changing or re-enabling the account gives
    /// every credential of it that role): only scope and permissions are compared.
    AccountRole,
}

/// One delegation question: may `caller` make `child`, owned by `child_owner`, at `now`?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct DelegationRequest {
    pub caller: CallerCredential,
    /// The credential to make, as its metadata would read (for a client secret or an
    /// access key: the account's projects, `inherit`, the credential's expiry and the
    /// account's allow-list).
    pub child: Token,
    pub child_owner: OwnerState,
    pub minted: Minted,
    pub now: Timestamp,
    /// The organization's projects: what an all-projects credential reaches.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub organization_projects: Vec<String>,
}

/// Field names per kind of credential: the API's and the form's words.
struct Fields {
    projects: &'static str,
    permissions: &'static str,
    expiry: &'static str,
    allowed_ips: &'static str,
    what: &'static str,
}

fn fields(minted: Minted) -> Fields {
    match minted {
        Minted::Token => Fields {
            projects: "projects",
            permissions: "permissions",
            expiry: "expiry",
            allowed_ips: "allowed_ips",
            what: "a token it makes",
        },
        Minted::ClientSecret => Fields {
            projects: "project",
            permissions: "role",
            expiry: "expires_at",
            allowed_ips: "allowed_ips",
            what: "a client secret it issues",
        },
        Minted::AccessKey => Fields {
            projects: "project",
            permissions: "role",
            expiry: "expires_at",
            allowed_ips: "allowed_ips",
            what: "an access key it creates",
        },
        Minted::AccountRole => Fields {
            projects: "project",
            permissions: "role",
            expiry: "expires_at",
            allowed_ips: "allowed_ips",
            what: "a service account it manages",
        },
    }
}

/// At most this many permission names in one message; the rest are counted.
const NAMES_SHOWN: usize = 5;

fn list_names(catalog: &Catalog, set: &PermSet) -> String {
    let mut s = String::new();
    for (i, id) in set.iter().enumerate() {
        if i == NAMES_SHOWN {
            let _ = write!(s, " and {} more", set.len() - NAMES_SHOWN);
            break;
        }
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(catalog.name(id));
    }
    s
}

/// To the microsecond where it has one: two expiries a few milliseconds apart must not
/// read as the same time in a message saying one is later.
fn fmt_time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The union of the entries that expand: the downscope a list stands for.
fn expand_all(catalog: &Catalog, list: &[String]) -> PermSet {
    list.iter().fold(PermSet::EMPTY, |acc, p| {
        catalog.expand(p).map_or(acc, |s| acc.union(&s))
    })
}

/// Every way `child` would exceed `caller`; empty when the caller may make it. Never
/// fails: unknown permissions and malformed networks in the child are validation's to
/// report, and are left out here.
pub fn check_delegation(catalog: &Catalog, req: &DelegationRequest) -> Vec<Issue> {
    let mut out = Vec::new();
    let f = fields(req.minted);
    let caller = &req.caller.token;
    let child = &req.child;

    // A token replaced by rotation keeps working for its grace window, but may not make
    // anything: rotating after a leak must contain the leaked token.
    let grace_end = caller
        .grace_ends_at
        .or_else(|| caller.rotated_at.map(crate::evaluator::default_grace_end));
    if grace_end.is_some_and(|g| g > req.now) {
        out.push(issue(
            "caller",
            IssueCode::CallerInRotationGrace,
            format!(
                "the calling token {} was replaced by rotation and is in its grace window until {}: it may make ordinary calls but no credential; use its replacement",
                label(caller),
                grace_end.map(fmt_time).unwrap_or_default()
            ),
        ));
    }

    // Projects.
    let caller_projects: Option<&[String]> = match &caller.projects {
        ProjectScope::All(_) => None,
        ProjectScope::Projects(p) => Some(p),
    };
    if let Some(mine) = caller_projects {
        match &child.projects {
            ProjectScope::All(_) => out.push(issue(
                f.projects,
                IssueCode::ExceedsCallerProjects,
                format!(
                    "the calling token reaches only {}; {} cannot reach all projects",
                    join(mine),
                    f.what
                ),
            )),
            ProjectScope::Projects(want) => {
                let outside: Vec<(usize, &String)> = want
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !mine.contains(p))
                    .collect();
                for (i, p) in &outside {
                    let field = match req.minted {
                        Minted::Token => format!("{}[{i}]", f.projects),
                        _ => f.projects.to_owned(),
                    };
                    if out.iter().any(|e: &Issue| e.field == field) {
                        continue;
                    }
                    out.push(issue(
                        field,
                        IssueCode::ExceedsCallerProjects,
                        format!(
                            "the calling token cannot reach project {p:?} (it reaches {}), so neither can {}",
                            join(mine),
                            f.what
                        ),
                    ));
                }
            }
        }
    }

    // Permissions: the child's own list against the caller's, when one owner holds both.
    let same_owner = caller.owner == child.owner;
    let caller_down = match &caller.permissions {
        TokenPermissions::Downscoped(l) => Some(expand_all(catalog, l)),
        TokenPermissions::Inherit(_) => None,
    };
    let mut reported_permission_fields: Vec<String> = Vec::new();
    if let (true, Some(mine)) = (same_owner, &caller_down) {
        match &child.permissions {
            TokenPermissions::Inherit(_) => {
                out.push(issue(
                    f.permissions,
                    IssueCode::ExceedsCallerPermissions,
                    format!(
                        "the calling token is downscoped to {}; {} must list permissions within those (it would otherwise inherit the whole role)",
                        list_names(catalog, mine),
                        f.what
                    ),
                ));
                reported_permission_fields.push(f.permissions.to_owned());
            }
            TokenPermissions::Downscoped(want) => {
                for (i, p) in want.iter().enumerate() {
                    let Some(set) = catalog.expand(p) else {
                        continue;
                    };
                    let extra = set.difference(mine);
                    if !extra.is_empty() {
                        let field = format!("{}[{i}]", f.permissions);
                        out.push(issue(
                            field.clone(),
                            IssueCode::ExceedsCallerPermissions,
                            format!(
                                "{p} includes {} which the calling token does not hold",
                                list_names(catalog, &extra)
                            ),
                        ));
                        reported_permission_fields.push(field);
                    }
                }
            }
        }
    }

    // Permissions: what each would allow now, place by place.
    let caller_owner = PreparedOwner::prepare(&req.caller.owner);
    let child_owner = PreparedOwner::prepare(&req.child_owner);
    let caller_view = TokenView {
        organization: &caller.organization,
        projects: caller_projects,
        downscope: caller_down.as_ref(),
    };
    let child_down = match &child.permissions {
        TokenPermissions::Downscoped(l) => Some(expand_all(catalog, l)),
        TokenPermissions::Inherit(_) => None,
    };
    let (child_projects, named): (Option<&[String]>, &[String]) = match &child.projects {
        ProjectScope::All(_) => (None, &req.organization_projects),
        ProjectScope::Projects(p) => (Some(p), p),
    };
    let child_view = TokenView {
        organization: &child.organization,
        projects: child_projects,
        downscope: child_down.as_ref(),
    };
    let mut places: Vec<Option<&str>> = named.iter().map(|p| Some(p.as_str())).collect();
    if child_projects.is_none() {
        places.push(None);
    }
    let mut excess_by_place: Vec<(Option<&str>, PermSet)> = Vec::new();
    for place in places {
        // A place outside the caller's scope is reported as such above.
        let reachable = match (place, caller_projects) {
            (_, None) => true,
            (Some(p), Some(mine)) => mine.iter().any(|m| m == p),
            (None, Some(_)) => false,
        };
        if !reachable {
            continue;
        }
        let theirs = effective_permissions_of(catalog, &child_view, &child_owner, place);
        let mine = effective_permissions_of(catalog, &caller_view, &caller_owner, place);
        // A project compares project-level permissions; the organization level, its own.
        let part = match place {
            Some(_) => catalog.all().difference(catalog.organization_level()),
            None => *catalog.organization_level(),
        };
        let extra = theirs.difference(&mine).intersect(&part);
        if !extra.is_empty() {
            excess_by_place.push((place, extra));
        }
    }
    if !excess_by_place.is_empty() {
        let total = excess_by_place
            .iter()
            .fold(PermSet::EMPTY, |acc, (_, s)| acc.union(s));
        let where_ = excess_by_place
            .iter()
            .map(|(p, s)| match p {
                Some(p) => format!("in project {p:?}: {}", list_names(catalog, s)),
                None => format!("at organization level: {}", list_names(catalog, s)),
            })
            .collect::<Vec<_>>()
            .join("; ");
        // Name the child's entries that bring the excess in, where it lists them.
        let mut named = false;
        if let TokenPermissions::Downscoped(want) = &child.permissions {
            for (i, p) in want.iter().enumerate() {
                let field = format!("{}[{i}]", f.permissions);
                if reported_permission_fields.contains(&field) {
                    named = true;
                    continue;
                }
                if catalog
                    .expand(p)
                    .is_some_and(|s| !s.intersect(&total).is_empty())
                {
                    out.push(issue(
                        field,
                        IssueCode::ExceedsCallerPermissions,
                        format!("{p} would allow what the calling token may not ({where_})"),
                    ));
                    named = true;
                }
            }
        }
        if !named
            && !reported_permission_fields
                .iter()
                .any(|x| x == f.permissions)
        {
            let whose = match (req.minted, &req.child_owner) {
                (Minted::Token, OwnerState::ServiceAccount(s)) => format!(
                    "service account {}'s role ({}) would give the token",
                    s.name,
                    s.role_str()
                ),
                (Minted::Token, _) => "the token would inherit".to_owned(),
                (_, OwnerState::ServiceAccount(s)) => format!(
                    "the account's role ({}) would give {}",
                    s.role_str(),
                    f.what
                ),
                _ => format!("{} would hold", f.what),
            };
            out.push(issue(
                f.permissions,
                IssueCode::ExceedsCallerPermissions,
                format!("{whose} what the calling token may not ({where_}): you can only grant what you hold"),
            ));
        }
    }

    // A caller limited to tagged resources makes only credentials limited the same way.
    if let OwnerState::ServiceAccount(mine) = &req.caller.owner {
        if !mine.tag_selector.is_empty() {
            let theirs = match &req.child_owner {
                OwnerState::ServiceAccount(s) => Some(&s.tag_selector),
                OwnerState::User(_) => None,
            };
            let missing: Vec<String> = mine
                .tag_selector
                .iter()
                .filter(|(k, v)| theirs.and_then(|t| t.get(*k)) != Some(*v))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if !missing.is_empty() {
                let field = match req.minted {
                    Minted::Token => "owner",
                    _ => "tag_selector",
                };
                out.push(issue(
                    field,
                    IssueCode::ExceedsCallerPermissions,
                    format!(
                        "the calling service account may act only on resources tagged {}; {} would not be limited to them",
                        missing.join(", "),
                        f.what
                    ),
                ));
            }
        }
    }

    // Expiry.
    if req.minted != Minted::AccountRole {
        if let Some(limit) = caller.expires_at {
            let too_late = match child.expires_at {
                None => Some("never expires".to_owned()),
                Some(e) if e > limit => Some(format!("expires at {}", fmt_time(e))),
                Some(_) => None,
            };
            if let Some(what) = too_late {
                let mut e = issue(
                    f.expiry,
                    IssueCode::ExceedsCallerExpiry,
                    format!(
                        "{} {what}, after the calling token ({}); it must expire by {}",
                        capitalize_ascii(f.what),
                        fmt_time(limit),
                        fmt_time(limit)
                    ),
                );
                e.suggestion = Some(fmt_time(limit));
                out.push(e);
            }
        }
    }

    // Allowed IPs.
    if req.minted != Minted::AccountRole && !caller.allowed_ips.is_empty() {
        if let Ok(mine) = AllowList::from_entries(caller.allowed_ips.iter().map(String::as_str)) {
            let nets: Vec<(usize, IpNet)> = child
                .allowed_ips
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .enumerate()
                .filter_map(|(i, s)| {
                    AllowList::from_entries([s])
                        .ok()
                        .and_then(|l| l.networks().first().copied())
                        .map(|n| (i, n))
                })
                .collect();
            let shown = || {
                mine.networks()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if child.allowed_ips.iter().all(|s| s.trim().is_empty()) {
                out.push(issue(
                    f.allowed_ips,
                    IssueCode::ExceedsCallerAllowedIps,
                    format!(
                        "the calling token may be used only from {}; {} must carry an allow-list within it",
                        shown(),
                        f.what
                    ),
                ));
            } else {
                for (i, net) in nets {
                    if !mine.covers(&net) {
                        let field = match req.minted {
                            Minted::Token => format!("{}[{i}]", f.allowed_ips),
                            _ => f.allowed_ips.to_owned(),
                        };
                        if out.iter().any(|e: &Issue| e.field == field) {
                            continue;
                        }
                        out.push(issue(
                            field,
                            IssueCode::ExceedsCallerAllowedIps,
                            format!(
                                "{net} reaches beyond the calling token's allowed IPs ({})",
                                shown()
                            ),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// A service account's client secret or access key as the rule reads it: the account's
/// projects (for an organization-level account, every project of the organization),
/// its role (`inherit`), the credential's expiry and the account's allow-list.
pub fn account_credential(
    account: &ServiceAccountState,
    projects: Vec<String>,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Token {
    Token {
        id: String::new(),
        name: account.name.clone(),
        prefix: String::new(),
        owner: OwnerRef::ServiceAccount {
            id: account.id.clone(),
        },
        organization: account.organization.clone(),
        projects: ProjectScope::Projects(projects),
        permissions: TokenPermissions::Inherit(crate::model::Inherit::Inherit),
        created_at: now,
        expires_at,
        allowed_ips: account.allowed_ips.clone(),
        revoked_at: None,
        rotated_at: None,
        grace_ends_at: None,
        quarantine: None,
    }
}

fn label(t: &Token) -> String {
    if t.prefix.is_empty() {
        t.id.clone()
    } else {
        format!("{}…", t.prefix)
    }
}

fn join(list: &[String]) -> String {
    if list.is_empty() {
        "no project".to_owned()
    } else {
        list.join(", ")
    }
}

/// The messages are ASCII: `char::to_uppercase` would link Unicode's case tables
/// (8 KB of the wasm) for one letter.
fn capitalize_ascii(s: &str) -> String {
    let mut out = s.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    out
}
