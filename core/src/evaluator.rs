//! The downscoping evaluator: decides one API call for one token, and explains why.
//!
//! The invariant it exists for: a token never grants more than its owner's role grants
//! at the moment of the call. So the owner's *current* state is an input of every
//! decision, and the token's downscope is only ever intersected with that role.
//!
//! A token and its owner are *prepared* once (permission names resolved to bitsets,
//! CIDRs parsed, strings interned) so that deciding a call is a handful of comparisons
//! with no allocation: [`authorize`] returns a small `Copy` [`Verdict`]. The human
//! explanation ([`Decision`]) is built only when asked for.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::allowed_ips::AllowList;
use crate::catalog::{Catalog, PermSet, PermissionId};
pub use crate::model::TokenStatus;
use crate::model::{
    OwnerRef, OwnerState, ProjectScope, Request, Role, ServiceAccountStatus, Timestamp, Token,
    TokenPermissions, TokenPolicy, UserStatus,
};

/// How long a token replaced by rotation keeps working when no end is recorded.
pub const DEFAULT_ROTATION_GRACE: Duration = Duration::days(7);

/// Whether a token created at `created_at` and expiring at `expires_at` (`None`: never)
/// lives longer than the policy's maximum `max`: such a token counts as expired.
fn exceeds_lifetime(
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    max: Option<Duration>,
) -> bool {
    max.is_some_and(|m| expires_at.is_none_or(|e| e - created_at > m))
}

/// A token's lifecycle at `now`, as an API lists it (the API model's [`TokenStatus`]):
/// the same rules the evaluator's lifecycle checks apply on every call, the policy's
/// maximum lifetime included, so a listed status never says `active` of a token every
/// call would refuse.
pub fn token_status(token: &Token, now: Timestamp, policy: Option<&TokenPolicy>) -> TokenStatus {
    let max = policy
        .and_then(|p| p.max_lifetime_days)
        .map(|d| Duration::days(i64::from(d)));
    let grace_end = token
        .grace_ends_at
        .or_else(|| token.rotated_at.map(default_grace_end));
    if token.revoked_at.is_some_and(|r| r <= now) {
        TokenStatus::Revoked
    } else if token.expires_at.is_some_and(|e| e <= now)
        || exceeds_lifetime(token.created_at, token.expires_at, max)
    {
        TokenStatus::Expired
    } else if grace_end.is_some_and(|g| g <= now) {
        TokenStatus::Rotated
    } else if token.rotated_at.is_some() {
        TokenStatus::Rotating
    } else {
        TokenStatus::Active
    }
}

/// When the old token's grace ends when `token` is rotated at `now`: 7 days on, except
/// for a quarantined token (reported leaked), which ends at once: a leaked token must not
/// keep reading for a week after its owner replaced it.
pub fn rotation_grace_end(token: &Token, now: Timestamp) -> Timestamp {
    if token.quarantine.is_some() {
        now
    } else {
        default_grace_end(now)
    }
}

/// When the grace of a token rotated at `rotated_at` ends, when its metadata gives none;
/// the calendar's last instant for a rotation within 7 days of it (no panic on input).
pub fn default_grace_end(rotated_at: Timestamp) -> Timestamp {
    rotated_at
        .checked_add_signed(DEFAULT_ROTATION_GRACE)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// Every check, in the order that picks the reason when several fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Check {
    Revoked,
    Rotated,
    Expired,
    OwnerInactive,
    IpNotAllowed,
    UnknownAction,
    ProjectOutOfScope,
    NotInRole,
    NotInTokenPermissions,
    TagMismatch,
    StepUpRequired,
    /// A token replaced by rotation still makes ordinary calls in its grace window, but
    /// no credential operation: rotating after a leak must contain the leaked token.
    InRotationGrace,
    /// A token reported leaked, under a policy that quarantines leaked tokens, still
    /// reads, but makes no call that is not read-only until its owner rotates it.
    Quarantined,
}

impl Check {
    pub const ALL: [Check; 13] = [
        Check::Revoked,
        Check::Rotated,
        Check::Expired,
        Check::OwnerInactive,
        Check::IpNotAllowed,
        Check::UnknownAction,
        Check::ProjectOutOfScope,
        Check::NotInRole,
        Check::NotInTokenPermissions,
        Check::TagMismatch,
        Check::StepUpRequired,
        Check::InRotationGrace,
        Check::Quarantined,
    ];

    #[inline]
    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The decision's reason: `allowed`, or the first failing check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Reason {
    Allowed,
    Revoked,
    Rotated,
    Expired,
    OwnerInactive,
    IpNotAllowed,
    UnknownAction,
    ProjectOutOfScope,
    NotInRole,
    NotInTokenPermissions,
    TagMismatch,
    StepUpRequired,
    InRotationGrace,
    Quarantined,
}

impl Reason {
    /// Every reason, `Allowed` first, then in check order.
    pub const ALL: [Reason; 14] = [
        Reason::Allowed,
        Reason::Revoked,
        Reason::Rotated,
        Reason::Expired,
        Reason::OwnerInactive,
        Reason::IpNotAllowed,
        Reason::UnknownAction,
        Reason::ProjectOutOfScope,
        Reason::NotInRole,
        Reason::NotInTokenPermissions,
        Reason::TagMismatch,
        Reason::StepUpRequired,
        Reason::InRotationGrace,
        Reason::Quarantined,
    ];

    /// The wire name (`"not_in_role"`); see [`reason_code`].
    #[inline]
    pub fn code(self) -> &'static str {
        reason_code(self)
    }
}

impl From<Check> for Reason {
    fn from(c: Check) -> Reason {
        match c {
            Check::Revoked => Reason::Revoked,
            Check::Rotated => Reason::Rotated,
            Check::Expired => Reason::Expired,
            Check::OwnerInactive => Reason::OwnerInactive,
            Check::IpNotAllowed => Reason::IpNotAllowed,
            Check::UnknownAction => Reason::UnknownAction,
            Check::ProjectOutOfScope => Reason::ProjectOutOfScope,
            Check::NotInRole => Reason::NotInRole,
            Check::NotInTokenPermissions => Reason::NotInTokenPermissions,
            Check::TagMismatch => Reason::TagMismatch,
            Check::StepUpRequired => Reason::StepUpRequired,
            Check::InRotationGrace => Reason::InRotationGrace,
            Check::Quarantined => Reason::Quarantined,
        }
    }
}

/// What the fast path answers: which checks failed, which could not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    failed: u16,
    skipped: u16,
    permission: Option<PermissionId>,
}

impl Verdict {
    #[inline]
    pub fn allowed(&self) -> bool {
        self.failed == 0
    }

    /// The first failing check in the documented order, or `Allowed`.
    #[inline]
    pub fn reason(&self) -> Reason {
        // `Check::ALL` is in declaration order, so the first failing check is the
        // lowest bit set.
        match Check::ALL.get(self.failed.trailing_zeros() as usize) {
            Some(c) => Reason::from(*c),
            None => Reason::Allowed,
        }
    }

    pub fn failed(&self, check: Check) -> bool {
        self.failed & check.bit() != 0
    }

    pub fn skipped(&self, check: Check) -> bool {
        self.skipped & check.bit() != 0
    }

    pub fn failed_checks(&self) -> impl Iterator<Item = Check> + '_ {
        Check::ALL.into_iter().filter(|c| self.failed(*c))
    }

    pub fn permission(&self) -> Option<PermissionId> {
        self.permission
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Outcome {
    Pass,
    Fail,
    /// Could not be evaluated because the action is unknown.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CheckResult {
    pub check: Check,
    pub outcome: Outcome,
    pub detail: String,
}

/// The explained decision every host shows: allow or deny, the reason code, a message
/// for people, and every check with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
    pub message: String,
    /// The permission the request maps to, when it maps to one.
    pub permission: Option<String>,
    pub checks: Vec<CheckResult>,
}

/// A token, an owner or a request that cannot be evaluated at all; names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    #[error("permissions[{index}]: {text:?} is not a permission or wildcard of the catalog{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownPermission {
        index: usize,
        text: String,
        suggestion: Option<String>,
    },
    #[error("allowed_ips[{index}]: {message}")]
    AllowedIp { index: usize, message: String },
    #[error("request: give either `action` or `method` and `path`")]
    RequestAction,
}

/// A token ready to decide many calls.
#[derive(Debug, Clone)]
pub struct PreparedToken {
    owner: OwnerRef,
    organization: Box<str>,
    /// `None` is "all projects".
    projects: Option<Box<[Box<str>]>>,
    /// `None` inherits the owner's role.
    downscope: Option<PermSet>,
    revoked_at: Option<Timestamp>,
    grace_ends_at: Option<Timestamp>,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    allow: AllowList,
    /// From when calls that are not read-only are refused (a quarantined token).
    quarantined_at: Option<Timestamp>,
}

impl PreparedToken {
    pub fn prepare(token: &Token, catalog: &Catalog) -> Result<PreparedToken, EvaluateError> {
        let downscope = match &token.permissions {
            TokenPermissions::Inherit(_) => None,
            TokenPermissions::Downscoped(list) => {
                let mut set = PermSet::EMPTY;
                for (index, text) in list.iter().enumerate() {
                    let more =
                        catalog
                            .expand(text)
                            .ok_or_else(|| EvaluateError::UnknownPermission {
                                index,
                                text: text.clone(),
                                suggestion: catalog.suggest(text).map(str::to_owned),
                            })?;
                    set = set.union(&more);
                }
                Some(set)
            }
        };
        let allow =
            AllowList::from_entries(token.allowed_ips.iter().map(String::as_str)).map_err(|e| {
                let first = e.errors.first();
                EvaluateError::AllowedIp {
                    index: first.map_or(0, |f| f.index),
                    message: first.map_or_else(String::new, |f| f.message.clone()),
                }
            })?;
        let grace_ends_at = token
            .grace_ends_at
            .or_else(|| token.rotated_at.map(default_grace_end));
        Ok(PreparedToken {
            owner: token.owner.clone(),
            organization: token.organization.as_str().into(),
            projects: match &token.projects {
                ProjectScope::All(_) => None,
                ProjectScope::Projects(p) => Some(p.iter().map(|s| s.as_str().into()).collect()),
            },
            downscope,
            revoked_at: token.revoked_at,
            grace_ends_at,
            created_at: token.created_at,
            expires_at: token.expires_at,
            allow,
            quarantined_at: token.quarantine.as_ref().map(|q| q.at),
        })
    }

    pub fn is_downscoped(&self) -> bool {
        self.downscope.is_some()
    }

    /// Whether the token lives longer than `max` allows (never expiring counts as
    /// longer than any maximum).
    #[inline(always)]
    fn exceeds_lifetime(&self, max: Option<Duration>) -> bool {
        exceeds_lifetime(self.created_at, self.expires_at, max)
    }

    /// Replaced by rotation and still within the grace window at `time`.
    #[inline(always)]
    pub fn in_grace(&self, time: Timestamp) -> bool {
        self.grace_ends_at.is_some_and(|t| t > time)
    }

    /// Quarantined at `time`: only read-only calls are allowed.
    #[inline(always)]
    pub fn quarantined(&self, time: Timestamp) -> bool {
        self.quarantined_at.is_some_and(|t| t <= time)
    }

    #[inline(always)]
    fn lifecycle(&self, time: Timestamp, max_lifetime: Option<Duration>) -> u16 {
        let mut failed = 0;
        if self.revoked_at.is_some_and(|t| t <= time) {
            failed |= Check::Revoked.bit();
        }
        if self.grace_ends_at.is_some_and(|t| t <= time) {
            failed |= Check::Rotated.bit();
        }
        if self.expires_at.is_some_and(|t| t <= time) || self.exceeds_lifetime(max_lifetime) {
            failed |= Check::Expired.bit();
        }
        failed
    }
}

#[derive(Debug, Clone)]
enum OwnerKind {
    User {
        active: bool,
        org_role: Option<Role>,
        project_roles: Box<[(Box<str>, Role)]>,
    },
    ServiceAccount {
        active: bool,
        /// `None` for an organization-level account.
        project: Option<Box<str>>,
        role: Role,
        tag_selector: Box<[(Box<str>, Box<str>)]>,
    },
}

/// An owner's current state, ready for many decisions.
#[derive(Debug, Clone)]
pub struct PreparedOwner {
    owner: OwnerRef,
    organization: Box<str>,
    kind: OwnerKind,
}

impl PreparedOwner {
    pub fn prepare(state: &OwnerState) -> PreparedOwner {
        match state {
            OwnerState::User(u) => PreparedOwner {
                owner: state.owner_ref(),
                organization: u.organization.as_str().into(),
                kind: OwnerKind::User {
                    active: u.status == UserStatus::Active,
                    org_role: u.org_role.map(Role::from),
                    project_roles: u
                        .project_roles
                        .iter()
                        .map(|(p, r)| (p.as_str().into(), Role::from(*r)))
                        .collect(),
                },
            },
            OwnerState::ServiceAccount(s) => PreparedOwner {
                owner: state.owner_ref(),
                organization: s.organization.as_str().into(),
                kind: OwnerKind::ServiceAccount {
                    active: s.status == ServiceAccountStatus::Active,
                    project: s.project.as_deref().map(Into::into),
                    role: Role::from(s.role),
                    tag_selector: s
                        .tag_selector
                        .iter()
                        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
                        .collect(),
                },
            },
        }
    }

    #[inline(always)]
    pub(crate) fn active(&self) -> bool {
        match &self.kind {
            OwnerKind::User { active, .. } | OwnerKind::ServiceAccount { active, .. } => *active,
        }
    }

    #[inline(always)]
    pub(crate) fn is_org_admin(&self) -> bool {
        matches!(
            &self.kind,
            OwnerKind::User {
                org_role: Some(_),
                ..
            }
        )
    }

    /// The role the owner holds where the action happens: `None` for organization-level
    /// actions means no organization role.
    #[inline]
    pub(crate) fn role_for(&self, org_level: bool, project: Option<&str>) -> Option<Role> {
        match &self.kind {
            OwnerKind::User {
                org_role,
                project_roles,
                ..
            } => {
                if org_level {
                    return *org_role;
                }
                let in_project = project.and_then(|p| {
                    project_roles
                        .iter()
                        .find(|(name, _)| **name == *p)
                        .map(|(_, r)| *r)
                });
                (*org_role).max(in_project)
            }
            OwnerKind::ServiceAccount {
                project: home,
                role,
                ..
            } => {
                if org_level {
                    return None;
                }
                match (home, project) {
                    (None, Some(_)) => Some(*role),
                    (Some(h), Some(p)) if **h == *p => Some(*role),
                    _ => None,
                }
            }
        }
    }
}

/// A request with its action resolved.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    permission: Option<PermissionId>,
    action_text: String,
    organization: Option<Box<str>>,
    project: Option<Box<str>>,
    ip: Option<IpAddr>,
    time: Timestamp,
    resource_tags: Option<BTreeMap<String, String>>,
    /// The organization's maximum token lifetime at the time of the call.
    max_lifetime: Option<Duration>,
    max_lifetime_days: Option<u32>,
}

impl PreparedRequest {
    pub fn prepare(req: &Request, catalog: &Catalog) -> Result<PreparedRequest, EvaluateError> {
        let (permission, action_text) = match (&req.action, &req.method, &req.path) {
            (Some(a), None, None) => (catalog.get(a), a.clone()),
            (None, Some(m), Some(p)) => (catalog.resolve_route(m, p), format!("{m} {p}")),
            _ => return Err(EvaluateError::RequestAction),
        };
        Ok(PreparedRequest {
            permission,
            action_text,
            organization: req.organization.as_deref().map(Into::into),
            project: req.project.as_deref().map(Into::into),
            ip: req.ip,
            time: req.time,
            resource_tags: req.resource_tags.clone(),
            max_lifetime: None,
            max_lifetime_days: None,
        })
    }

    /// A request from plain values, for the bindings' hot path: `action` is a
    /// permission name or `"METHOD /v1/path"`.
    pub fn fast(
        catalog: &Catalog,
        action: &str,
        project: Option<&str>,
        ip: Option<IpAddr>,
        time: Timestamp,
    ) -> PreparedRequest {
        PreparedRequest {
            permission: resolve_action(catalog, action),
            // Only explanations read it, and the hot path never explains.
            action_text: String::new(),
            organization: None,
            project: project.map(Into::into),
            ip,
            time,
            resource_tags: None,
            max_lifetime: None,
            max_lifetime_days: None,
        }
    }

    /// Applies the organization's token policy as it stands at the time of the call.
    pub fn with_policy(mut self, policy: Option<&TokenPolicy>) -> PreparedRequest {
        self.max_lifetime_days = policy.and_then(|p| p.max_lifetime_days);
        self.max_lifetime = self.max_lifetime_days.map(|d| Duration::days(i64::from(d)));
        self
    }

    pub fn permission(&self) -> Option<PermissionId> {
        self.permission
    }
}

/// Checks 7 to 9 and 11: the ones that depend only on who, what and where, not on when,
/// from where, or on which resource. `effective_permissions` is exactly the set these pass.
#[inline(always)]
fn static_checks(
    catalog: &Catalog,
    token: &PreparedToken,
    owner: &PreparedOwner,
    perm: PermissionId,
    organization: Option<&str>,
    project: Option<&str>,
) -> u16 {
    let mut failed = 0;
    let org_level = catalog.organization_level().contains(perm);
    let other_org = organization.is_some_and(|o| *o != *token.organization);
    let in_scope = !other_org
        && if org_level {
            token.projects.is_none() && owner.is_org_admin()
        } else {
            match (&token.projects, project) {
                (_, None) => false,
                (None, Some(_)) => owner.is_org_admin(),
                (Some(list), Some(p)) => list.iter().any(|x| **x == *p),
            }
        };
    if !in_scope {
        failed |= Check::ProjectOutOfScope.bit();
    }
    let role = if owner.organization == token.organization {
        owner.role_for(org_level, project)
    } else {
        None
    };
    if !role.is_some_and(|r| catalog.role_grants(r).contains(perm)) {
        failed |= Check::NotInRole.bit();
    }
    if token.downscope.is_some_and(|d| !d.contains(perm)) {
        failed |= Check::NotInTokenPermissions.bit();
    }
    if catalog.step_up().contains(perm) {
        failed |= Check::StepUpRequired.bit();
    }
    failed
}

#[inline(always)]
fn tags_match(
    catalog: &Catalog,
    owner: &PreparedOwner,
    perm: PermissionId,
    tags: Option<&BTreeMap<String, String>>,
) -> bool {
    let OwnerKind::ServiceAccount { tag_selector, .. } = &owner.kind else {
        return true;
    };
    if tag_selector.is_empty() {
        return true;
    }
    match tags {
        Some(tags) => {
            crate::model::tag_selector_matches(tag_selector.iter().map(|(k, v)| (&**k, &**v)), tags)
        }
        // No single resource named: reads (lists, untagged catalog items) may proceed
        // and the server filters what they return; a write must name its resource's
        // tags, so leaving them out can never sidestep the selector.
        None => catalog.reads().contains(perm),
    }
}

/// The wire name of a check, without serde.
pub fn check_code(c: Check) -> &'static str {
    reason_code(Reason::from(c))
}

/// The wire name of a reason (`"not_in_role"`), without serde.
pub fn reason_code(r: Reason) -> &'static str {
    match r {
        Reason::Allowed => "allowed",
        Reason::Revoked => "revoked",
        Reason::Rotated => "rotated",
        Reason::Expired => "expired",
        Reason::OwnerInactive => "owner_inactive",
        Reason::IpNotAllowed => "ip_not_allowed",
        Reason::UnknownAction => "unknown_action",
        Reason::ProjectOutOfScope => "project_out_of_scope",
        Reason::NotInRole => "not_in_role",
        Reason::NotInTokenPermissions => "not_in_token_permissions",
        Reason::TagMismatch => "tag_mismatch",
        Reason::StepUpRequired => "step_up_required",
        Reason::InRotationGrace => "in_rotation_grace",
        Reason::Quarantined => "quarantined",
    }
}

/// Decides one call. No allocation; see [`explain`] for the words.
pub fn authorize(
    catalog: &Catalog,
    token: &PreparedToken,
    owner: &PreparedOwner,
    req: &PreparedRequest,
) -> Verdict {
    decide(
        catalog,
        token,
        owner,
        &CallParts {
            permission: req.permission,
            organization: req.organization.as_deref(),
            project: req.project.as_deref(),
            ip: req.ip,
            time: req.time,
            resource_tags: req.resource_tags.as_ref(),
            max_lifetime: req.max_lifetime,
        },
    )
}

/// Decides a call given as plain borrowed values, for the bindings' hot path: the same
/// decision as [`authorize`] with a [`PreparedRequest::fast`] request (no organization,
/// no resource tags, no policy), without building one, so nothing is allocated.
/// `action` is a permission name or `"METHOD /v1/path"`.
#[inline]
pub fn authorize_call(
    catalog: &Catalog,
    token: &PreparedToken,
    owner: &PreparedOwner,
    action: &str,
    project: Option<&str>,
    ip: Option<IpAddr>,
    time: Timestamp,
) -> Verdict {
    decide(
        catalog,
        token,
        owner,
        &CallParts {
            permission: resolve_action(catalog, action),
            organization: None,
            project,
            ip,
            time,
            resource_tags: None,
            max_lifetime: None,
        },
    )
}

/// A permission name, or `"METHOD /v1/path"` resolved through the routes.
#[inline]
fn resolve_action(catalog: &Catalog, action: &str) -> Option<PermissionId> {
    match action.split_once(' ') {
        Some((m, p)) => catalog.resolve_route(m, p.trim()),
        None => catalog.get(action),
    }
}

/// What a decision reads of a request, borrowed.
struct CallParts<'a> {
    permission: Option<PermissionId>,
    organization: Option<&'a str>,
    project: Option<&'a str>,
    ip: Option<IpAddr>,
    time: Timestamp,
    resource_tags: Option<&'a BTreeMap<String, String>>,
    max_lifetime: Option<Duration>,
}

#[inline(always)]
fn decide(
    catalog: &Catalog,
    token: &PreparedToken,
    owner: &PreparedOwner,
    req: &CallParts<'_>,
) -> Verdict {
    let mut failed = token.lifecycle(req.time, req.max_lifetime);
    // An owner state that is not this token's owner can grant nothing.
    if !owner.active() || owner.owner != token.owner {
        failed |= Check::OwnerInactive.bit();
    }
    let ip_ok = token.allow.is_empty() || req.ip.is_some_and(|ip| token.allow.contains(ip));
    if !ip_ok {
        failed |= Check::IpNotAllowed.bit();
    }
    let Some(perm) = req.permission else {
        return Verdict {
            failed: failed | Check::UnknownAction.bit(),
            skipped: Check::ProjectOutOfScope.bit()
                | Check::NotInRole.bit()
                | Check::NotInTokenPermissions.bit()
                | Check::TagMismatch.bit()
                | Check::StepUpRequired.bit()
                | Check::InRotationGrace.bit()
                | Check::Quarantined.bit(),
            permission: None,
        };
    };
    failed |= static_checks(catalog, token, owner, perm, req.organization, req.project);
    if token.in_grace(req.time) && catalog.credential_ops().contains(perm) {
        failed |= Check::InRotationGrace.bit();
    }
    if token.quarantined(req.time) && !catalog.reads().contains(perm) {
        failed |= Check::Quarantined.bit();
    }
    if !tags_match(catalog, owner, perm, req.resource_tags) {
        failed |= Check::TagMismatch.bit();
    }
    Verdict {
        failed,
        skipped: 0,
        permission: Some(perm),
    }
}

/// Exactly what the evaluator allows in `project` (or, with `None`, at organization
/// level) for this token and owner: the owner's current role there, intersected with the
/// token's downscope, within the token's scope, less what needs MFA step-up. It assumes
/// the call itself is fine (token live, owner active, address allowed, tags matching),
/// because those depend on the call, not on the action.
pub fn effective_permissions(
    catalog: &Catalog,
    token: &PreparedToken,
    owner: &PreparedOwner,
    project: Option<&str>,
) -> PermSet {
    let view = TokenView {
        organization: &token.organization,
        projects: token.projects.as_deref(),
        downscope: token.downscope.as_ref(),
    };
    effective_permissions_of(catalog, &view, owner, project)
}

/// What [`effective_permissions`] reads of a token, borrowed: form validation previews
/// a draft through it on every keystroke, without building and preparing a token.
pub(crate) struct TokenView<'a, P> {
    pub organization: &'a str,
    /// `None` is "all projects".
    pub projects: Option<&'a [P]>,
    /// `None` inherits the owner's role.
    pub downscope: Option<&'a PermSet>,
}

/// [`effective_permissions`] for a borrowed token.
pub(crate) fn effective_permissions_of<P: AsRef<str>>(
    catalog: &Catalog,
    token: &TokenView<'_, P>,
    owner: &PreparedOwner,
    project: Option<&str>,
) -> PermSet {
    // `static_checks` for every permission at once: within each half of the catalog
    // (project-level, organization-level) the scope and the role are the same for all.
    let all = catalog.all();
    let mut out = PermSet::EMPTY;
    for org_level in [false, true] {
        let part = if org_level {
            all.intersect(catalog.organization_level())
        } else {
            all.difference(catalog.organization_level())
        };
        let in_scope = if org_level {
            token.projects.is_none() && owner.is_org_admin()
        } else {
            match (token.projects, project) {
                (_, None) => false,
                (None, Some(_)) => owner.is_org_admin(),
                (Some(list), Some(p)) => list.iter().any(|x| x.as_ref() == p),
            }
        };
        let role = if *owner.organization == *token.organization {
            owner.role_for(org_level, project)
        } else {
            None
        };
        let (true, Some(role)) = (in_scope, role) else {
            continue;
        };
        let mut granted = part.intersect(catalog.role_grants(role));
        if let Some(d) = token.downscope {
            granted = granted.intersect(d);
        }
        out = out.union(&granted.difference(catalog.step_up()));
    }
    out
}

fn fmt_time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Who reads an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The token's owner and administrators (the audit log, offline `check`): every detail.
    Owner,
    /// Whoever sent the call, who may hold a leaked token: the same decision, without the
    /// token's allow-list or the owner's email, which would tell an attacker where to
    /// call from and whom to target.
    Caller,
}

/// Turns a verdict into the explained decision. Takes the original token, owner and
/// request for their names and times.
pub fn explain(
    catalog: &Catalog,
    verdict: &Verdict,
    token: &Token,
    prepared: &PreparedToken,
    owner: &OwnerState,
    req: &PreparedRequest,
) -> Decision {
    explain_for(
        Audience::Owner,
        catalog,
        verdict,
        token,
        prepared,
        owner,
        req,
    )
}

/// [`explain`], worded for `audience`.
pub fn explain_for(
    audience: Audience,
    catalog: &Catalog,
    verdict: &Verdict,
    token: &Token,
    prepared: &PreparedToken,
    owner: &OwnerState,
    req: &PreparedRequest,
) -> Decision {
    let perm_name = verdict.permission.map(|p| catalog.name(p).to_owned());
    let action = perm_name.as_deref().unwrap_or(&req.action_text);
    let project = req.project.as_deref();
    let owner_label = match owner {
        OwnerState::User(u) if !u.email.is_empty() && audience == Audience::Owner => {
            format!("user {}", u.email)
        }
        OwnerState::User(u) => format!("user {}", u.id),
        OwnerState::ServiceAccount(s) => format!("service account {}", s.name),
    };
    let role_label = {
        let prepared_owner = PreparedOwner::prepare(owner);
        let org_level = verdict
            .permission
            .is_some_and(|p| catalog.organization_level().contains(p));
        match prepared_owner.role_for(org_level, project) {
            Some(r) => format!("role {}", r.as_str()),
            None => "no role".to_owned(),
        }
    };
    let detail = |check: Check, failed: bool| -> String {
        match (check, failed) {
            (Check::Revoked, true) => format!(
                "the token was revoked at {}",
                token.revoked_at.map(fmt_time).unwrap_or_default()
            ),
            (Check::Revoked, false) => "the token is not revoked".into(),
            (Check::Rotated, true) => format!(
                "the token was replaced by rotation and its grace window ended at {}",
                prepared.grace_ends_at.map(fmt_time).unwrap_or_default()
            ),
            (Check::Rotated, false) => match prepared.grace_ends_at {
                Some(t) => format!(
                    "replaced by rotation; still within its grace window until {}",
                    fmt_time(t)
                ),
                None => "the token has not been replaced by rotation".into(),
            },
            (Check::Expired, true) => match token.expires_at {
                Some(t) if t <= req.time => format!("the token expired at {}", fmt_time(t)),
                _ => format!(
                    "the organization's token policy (max_lifetime_days = {}) now caps token lifetime at {} days and this token {}",
                    req.max_lifetime_days.unwrap_or_default(),
                    req.max_lifetime_days.unwrap_or_default(),
                    match token.expires_at {
                        Some(e) => format!("lives {} days", (e - token.created_at).num_days()),
                        None => "never expires".to_owned(),
                    }
                ),
            },
            (Check::Expired, false) => match token.expires_at {
                Some(t) => format!("the token is valid until {}", fmt_time(t)),
                None => "the token never expires".into(),
            },
            (Check::OwnerInactive, true) => {
                if owner.owner_ref() != token.owner {
                    "the owner state given is not this token's owner".into()
                } else {
                    match owner {
                        OwnerState::User(u) => {
                            format!("{owner_label} is {}", status_word_user(u.status))
                        }
                        OwnerState::ServiceAccount(s) => {
                            format!("{owner_label} is {}", status_word_sa(s.status))
                        }
                    }
                }
            }
            (Check::OwnerInactive, false) => format!("{owner_label} is active"),
            (Check::IpNotAllowed, true) => match req.ip {
                Some(ip) if audience == Audience::Caller => {
                    format!("{ip} is not in the token's IP allow-list")
                }
                Some(ip) => format!(
                    "{ip} is outside the token's allowed IPs ({})",
                    token.allowed_ips.join(", ")
                ),
                None => {
                    "the token has an IP allow-list and the call's source address is unknown".into()
                }
            },
            (Check::IpNotAllowed, false) => match (token.allowed_ips.is_empty(), req.ip) {
                (true, _) => "the token has no IP allow-list".into(),
                (false, Some(ip)) => format!("{ip} is in the token's allowed IPs"),
                (false, None) => "allowed".into(),
            },
            (Check::UnknownAction, true) => {
                let hint = req
                    .action_text
                    .contains('.')
                    .then(|| catalog.suggest(&req.action_text))
                    .flatten()
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                format!(
                    "{:?} is not an action of the catalog (version {}){hint}",
                    req.action_text,
                    catalog.version()
                )
            }
            (Check::UnknownAction, false) => format!("{:?} is {action}", req.action_text),
            (Check::ProjectOutOfScope, true) => {
                let org_level = verdict
                    .permission
                    .is_some_and(|p| catalog.organization_level().contains(p));
                if req
                    .organization
                    .as_deref()
                    .is_some_and(|o| o != token.organization)
                {
                    format!(
                        "the call is in organization {:?}; the token belongs to {:?}",
                        req.organization.as_deref().unwrap_or(""),
                        token.organization
                    )
                } else if prepared.projects.is_none()
                    && !PreparedOwner::prepare(owner).is_org_admin()
                {
                    format!("the token is scoped to all projects, which only an organization admin or owner may use, and {owner_label} is not one")
                } else if org_level {
                    format!("{action} acts on the organization and needs a token scoped to all projects")
                } else if let Some(p) = project {
                    format!(
                        "project {p:?} is not in the token's scope ({})",
                        scope_label(&token.projects)
                    )
                } else {
                    format!("{action} acts inside a project and the call names none")
                }
            }
            (Check::ProjectOutOfScope, false) => match project {
                Some(p) => format!("project {p:?} is in the token's scope"),
                None => "organization-level action on an all-projects token".into(),
            },
            (Check::NotInRole, true) => format!(
                "{owner_label} has {role_label}{} now, which does not grant {action}",
                project
                    .map(|p| format!(" in project {p:?}"))
                    .unwrap_or_default()
            ),
            (Check::NotInRole, false) => format!(
                "{owner_label} has {role_label}{}, which grants {action}",
                project
                    .map(|p| format!(" in project {p:?}"))
                    .unwrap_or_default()
            ),
            (Check::NotInTokenPermissions, true) => format!(
                "the token is downscoped to {} and {action} is not among them",
                permissions_label(&token.permissions)
            ),
            (Check::NotInTokenPermissions, false) => match &token.permissions {
                TokenPermissions::Inherit(_) => "the token inherits its owner's role".into(),
                p => format!(
                    "the token's permissions ({}) include {action}",
                    permissions_label(p)
                ),
            },
            (Check::TagMismatch, failed) => match owner {
                OwnerState::ServiceAccount(s) if !s.tag_selector.is_empty() => {
                    let sel = s
                        .tag_selector
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    match (failed, &req.resource_tags) {
                        (true, Some(_)) => format!("{owner_label} may act only on resources tagged {sel}, and this one is not"),
                        (true, None) => format!("{owner_label} may act only on resources tagged {sel}; a change must name the resource's tags"),
                        (false, Some(_)) => format!("the resource is tagged {sel}"),
                        (false, None) => "a read with no single resource; results are limited to matching resources".into(),
                    }
                }
                _ => "no tag selector applies".into(),
            },
            (Check::StepUpRequired, true) => format!(
                "{action} needs MFA step-up, which a token can never provide; do it in the console"
            ),
            (Check::StepUpRequired, false) => "no MFA step-up needed".into(),
            (Check::InRotationGrace, true) => format!(
                "the token was replaced by rotation and is in its grace window until {}: it may still make ordinary calls, but {action} is a credential operation; use the replacement token",
                prepared.grace_ends_at.map(fmt_time).unwrap_or_default()
            ),
            (Check::InRotationGrace, false) => {
                if prepared.in_grace(req.time) {
                    "in its rotation grace window, and this is not a credential operation".into()
                } else {
                    "not in a rotation grace window".into()
                }
            }
            (Check::Quarantined, true) => match &token.quarantine {
                Some(q) => format!(
                    "the token was quarantined at {} after it was reported leaked at {}: it may still read, but {action} is not read-only; its owner must rotate it",
                    fmt_time(q.at),
                    q.url
                ),
                None => format!("the token is quarantined and {action} is not read-only"),
            },
            (Check::Quarantined, false) => {
                if prepared.quarantined(req.time) {
                    "quarantined, and this call only reads".into()
                } else {
                    "not quarantined".into()
                }
            }
        }
    };
    let checks: Vec<CheckResult> = Check::ALL
        .iter()
        .map(|&check| {
            if verdict.skipped(check) {
                CheckResult {
                    check,
                    outcome: Outcome::Skipped,
                    detail: "not evaluated: the action is unknown".into(),
                }
            } else {
                let failed = verdict.failed(check);
                CheckResult {
                    check,
                    outcome: if failed { Outcome::Fail } else { Outcome::Pass },
                    detail: detail(check, failed),
                }
            }
        })
        .collect();
    let reason = verdict.reason();
    let message = match reason {
        Reason::Allowed => format!(
            "allowed: {action}{} for token {:?}",
            project
                .map(|p| format!(" in project {p:?}"))
                .unwrap_or_default(),
            token.name
        ),
        _ => {
            let first = checks
                .iter()
                .find(|c| c.outcome == Outcome::Fail)
                .map(|c| c.detail.clone())
                .unwrap_or_default();
            format!("denied ({}): {first}", reason_code(reason))
        }
    };
    Decision {
        allowed: verdict.allowed(),
        reason,
        message,
        permission: perm_name,
        checks,
    }
}

fn status_word_user(s: UserStatus) -> &'static str {
    match s {
        UserStatus::Active => "active",
        UserStatus::Suspended => "suspended",
        UserStatus::Removed => "removed from the organization",
    }
}

fn status_word_sa(s: ServiceAccountStatus) -> &'static str {
    match s {
        ServiceAccountStatus::Active => "active",
        ServiceAccountStatus::Disabled => "disabled",
        ServiceAccountStatus::Deleted => "deleted",
    }
}

fn scope_label(scope: &ProjectScope) -> String {
    match scope {
        ProjectScope::All(_) => "all projects".into(),
        ProjectScope::Projects(p) => p.join(", "),
    }
}

fn permissions_label(p: &TokenPermissions) -> String {
    match p {
        TokenPermissions::Inherit(_) => "its owner's role".into(),
        TokenPermissions::Downscoped(list) if list.len() <= 4 => list.join(", "),
        TokenPermissions::Downscoped(list) => format!("{} permissions", list.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Inherit, Quarantine, QuarantineReason, UserState};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn token(quarantine: Option<Quarantine>) -> Token {
        Token {
            id: "tok_leak01".into(),
            name: "laptop".into(),
            prefix: "cd_leak01".into(),
            owner: OwnerRef::User {
                id: "u_alice".into(),
            },
            organization: "acme".into(),
            projects: ProjectScope::Projects(vec!["web".into()]),
            permissions: TokenPermissions::Inherit(Inherit::Inherit),
            created_at: at("2026-11-01T00:00:00Z"),
            expires_at: None,
            allowed_ips: Vec::new(),
            revoked_at: None,
            rotated_at: None,
            grace_ends_at: None,
            quarantine,
        }
    }

    fn alice() -> OwnerState {
        OwnerState::User(UserState {
            id: "u_alice".into(),
            email: "alice@acme.test".into(),
            organization: "acme".into(),
            status: UserStatus::Active,
            org_role: None,
            project_roles: [("web".to_owned(), crate::model::ProjectRole::Admin)].into(),
        })
    }

    fn leaked(at_: &str) -> Option<Quarantine> {
        Some(Quarantine {
            reason: QuarantineReason::Leaked,
            url: "https://github.com/acme/web/blob/main/.env".into(),
            at: at(at_),
        })
    }

    fn decide_at(t: &Token, action: &str, time: &str) -> Decision {
        let catalog = Catalog::builtin();
        let prepared = PreparedToken::prepare(t, catalog).unwrap();
        let owner = alice();
        let req = PreparedRequest::prepare(
            &Request {
                action: Some(action.into()),
                method: None,
                path: None,
                organization: None,
                project: Some("web".into()),
                ip: None,
                time: at(time),
                resource_tags: None,
            },
            catalog,
        )
        .unwrap();
        let v = authorize(catalog, &prepared, &PreparedOwner::prepare(&owner), &req);
        explain(catalog, &v, t, &prepared, &owner, &req)
    }

    const NOW: &str = "2026-11-23T10:00:00Z";

    #[test]
    fn a_quarantined_token_reads_and_does_nothing_else() {
        let t = token(leaked("2026-11-23T09:00:00Z"));
        for read in [
            "compute.servers.list",
            "iam.tokens.list",
            "audit.events.list",
        ] {
            let d = decide_at(&t, read, NOW);
            assert!(d.allowed, "{read}: {}", d.message);
        }
        for write in [
            "compute.servers.create",
            "compute.servers.stop",
            "iam.tokens.create",
            "iam.tokens.rotate",
            "iam.service_accounts.create",
        ] {
            let d = decide_at(&t, write, NOW);
            assert!(!d.allowed, "{write}");
            assert_eq!(d.reason, Reason::Quarantined, "{write}");
            assert!(
                d.message
                    .contains("https://github.com/acme/web/blob/main/.env"),
                "{}",
                d.message
            );
        }
        // The same writes without the quarantine are allowed: it is the only refusal.
        let free = token(None);
        assert!(decide_at(&free, "compute.servers.create", NOW).allowed);
        assert!(decide_at(&free, "iam.tokens.rotate", NOW).allowed);
    }

    #[test]
    fn a_quarantine_starts_at_its_time() {
        let t = token(leaked(NOW));
        assert!(decide_at(&t, "compute.servers.create", "2026-11-23T09:59:59Z").allowed);
        assert_eq!(
            decide_at(&t, "compute.servers.create", NOW).reason,
            Reason::Quarantined
        );
    }

    #[test]
    fn other_refusals_come_first_and_an_unknown_action_skips_it() {
        let t = token(leaked("2026-11-23T09:00:00Z"));
        let mut revoked = t.clone();
        revoked.revoked_at = Some(at("2026-11-23T09:30:00Z"));
        let d = decide_at(&revoked, "compute.servers.create", NOW);
        assert_eq!(d.reason, Reason::Revoked);
        assert!(d
            .checks
            .iter()
            .any(|c| c.check == Check::Quarantined && c.outcome == Outcome::Fail));
        let d = decide_at(&t, "compute.servers.explode", NOW);
        assert_eq!(d.reason, Reason::UnknownAction);
        assert!(d
            .checks
            .iter()
            .any(|c| c.check == Check::Quarantined && c.outcome == Outcome::Skipped));
    }

    #[test]
    fn what_a_quarantined_token_made_is_held_to_it() {
        use crate::handle::TokenHandle;
        let parent = TokenHandle::new(token(leaked("2026-11-23T09:00:00Z"))).unwrap();
        let mut made = token(None);
        made.id = "tok_child1".into();
        let child = TokenHandle::new(made).unwrap();
        let request = |action: &str| Request {
            action: Some(action.into()),
            method: None,
            path: None,
            organization: None,
            project: Some("web".into()),
            ip: None,
            time: at(NOW),
            resource_tags: None,
        };
        let line = [(parent, alice())];
        let (v, by) = child
            .lineage_verdict(&alice(), &line, &request("compute.servers.create"), None)
            .unwrap();
        assert_eq!((v.reason(), by), (Reason::Quarantined, Some(0)));
        let (v, _) = child
            .lineage_verdict(&alice(), &line, &request("compute.servers.get"), None)
            .unwrap();
        assert!(v.allowed());
    }

    #[test]
    fn rotating_a_quarantined_token_ends_it_at_once() {
        let now = at(NOW);
        assert_eq!(rotation_grace_end(&token(leaked(NOW)), now), now);
        assert_eq!(
            rotation_grace_end(&token(None), now),
            now + DEFAULT_ROTATION_GRACE
        );
    }
}
