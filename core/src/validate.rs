//! The "New API token" and "New service account" forms' rules: what the console shows
//! as the user types, what the SDKs check before sending, and what the server (the
//! sandbox) enforces, from this one module.
//!
//! Validation never throws on user input: it returns every error and warning with a
//! field path (`permissions[5]`, `allowed_ips[2]`), a stable code and a message, plus
//! a preview of what the token would be allowed to do.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use chrono::{Duration, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::allowed_ips::{analyze as analyze_allowed_ips, Analysis};
use crate::catalog::{Catalog, PermSet};
use crate::delegation::{check_delegation, CallerCredential, DelegationRequest, Minted};
use crate::evaluator::{effective_permissions_of, PreparedOwner, TokenView};
use crate::model::{
    Inherit, OwnerRef, OwnerState, ProjectRole, ProjectScope, Role, ServiceAccountState,
    ServiceAccountStatus, Timestamp, Token, TokenPermissions, TokenPolicy,
};

pub const MAX_TOKEN_NAME_CHARS: usize = 64;
pub const MAX_SERVICE_ACCOUNT_NAME_CHARS: usize = 63;
pub const MAX_DESCRIPTION_CHARS: usize = 256;
pub const MAX_TAG_PART_CHARS: usize = 63;
/// Beyond this lifetime the console recommends rotating (the seeds: quarterly at least).
pub const LONG_LIFETIME_DAYS: i64 = 90;
/// The most entries a token's permission list may hold (the catalog has about 120
/// permissions, and wildcards name whole services): a bound on the work one request
/// can ask of validation and of every later decision.
pub const MAX_TOKEN_PERMISSIONS: usize = 200;
/// The most entries an allow-list (a token's or a service account's) may hold.
pub const MAX_ALLOWED_IPS: usize = 100;
/// Did-you-mean suggestions are looked for on at most this many unknown permissions of
/// one draft (each costs an edit distance against the whole catalog).
pub const MAX_SUGGESTIONS: usize = 8;

/// Every code validation can report. Errors block creation; warnings are advice.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum IssueCode {
    // errors
    NameRequired,
    NameTooLong,
    NameInvalidCharacters,
    NameTaken,
    OrganizationMismatch,
    OwnerInactive,
    ProjectsRequired,
    ProjectUnknown,
    ProjectNoRole,
    AllProjectsNotAllowed,
    PermissionsEmpty,
    PermissionUnknown,
    PermissionNotInRole,
    PermissionOrganizationLevel,
    ExpiryInvalid,
    ExpiryInPast,
    ExpiryBeyondMaxLifetime,
    ExpiryNeverForbidden,
    InvalidCidr,
    PrefixTooLong,
    HostBitsSet,
    AllowedIpsRequired,
    DescriptionTooLong,
    RoleInvalid,
    TagSelectorInvalid,
    TagSelectorDuplicateKey,
    ServiceAccountLimitReached,
    CreatorNotAdmin,
    TooManyPermissions,
    TooManyAllowedIps,
    CallerInRotationGrace,
    ExceedsCallerProjects,
    ExceedsCallerPermissions,
    ExceedsCallerExpiry,
    ExceedsCallerAllowedIps,
    // warnings
    ExpiryNever,
    #[serde(rename = "lifetime_over_90_days")]
    LifetimeOver90Days,
    AllowedIpsMissing,
    NameSuggestsAutomation,
    MixedEnvironments,
    PermissionPartial,
    PermissionNeedsStepUp,
    AllProjectsScope,
    Duplicate,
    Covered,
    AllowsAll,
}

impl IssueCode {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::NameRequired => "name_required",
            IssueCode::NameTooLong => "name_too_long",
            IssueCode::NameInvalidCharacters => "name_invalid_characters",
            IssueCode::NameTaken => "name_taken",
            IssueCode::OrganizationMismatch => "organization_mismatch",
            IssueCode::OwnerInactive => "owner_inactive",
            IssueCode::ProjectsRequired => "projects_required",
            IssueCode::ProjectUnknown => "project_unknown",
            IssueCode::ProjectNoRole => "project_no_role",
            IssueCode::AllProjectsNotAllowed => "all_projects_not_allowed",
            IssueCode::PermissionsEmpty => "permissions_empty",
            IssueCode::PermissionUnknown => "permission_unknown",
            IssueCode::PermissionNotInRole => "permission_not_in_role",
            IssueCode::PermissionOrganizationLevel => "permission_organization_level",
            IssueCode::ExpiryInvalid => "expiry_invalid",
            IssueCode::ExpiryInPast => "expiry_in_past",
            IssueCode::ExpiryBeyondMaxLifetime => "expiry_beyond_max_lifetime",
            IssueCode::ExpiryNeverForbidden => "expiry_never_forbidden",
            IssueCode::InvalidCidr => "invalid_cidr",
            IssueCode::PrefixTooLong => "prefix_too_long",
            IssueCode::HostBitsSet => "host_bits_set",
            IssueCode::AllowedIpsRequired => "allowed_ips_required",
            IssueCode::DescriptionTooLong => "description_too_long",
            IssueCode::RoleInvalid => "role_invalid",
            IssueCode::TagSelectorInvalid => "tag_selector_invalid",
            IssueCode::TagSelectorDuplicateKey => "tag_selector_duplicate_key",
            IssueCode::ServiceAccountLimitReached => "service_account_limit_reached",
            IssueCode::CreatorNotAdmin => "creator_not_admin",
            IssueCode::TooManyPermissions => "too_many_permissions",
            IssueCode::TooManyAllowedIps => "too_many_allowed_ips",
            IssueCode::CallerInRotationGrace => "caller_in_rotation_grace",
            IssueCode::ExceedsCallerProjects => "exceeds_caller_projects",
            IssueCode::ExceedsCallerPermissions => "exceeds_caller_permissions",
            IssueCode::ExceedsCallerExpiry => "exceeds_caller_expiry",
            IssueCode::ExceedsCallerAllowedIps => "exceeds_caller_allowed_ips",
            IssueCode::ExpiryNever => "expiry_never",
            IssueCode::LifetimeOver90Days => "lifetime_over_90_days",
            IssueCode::AllowedIpsMissing => "allowed_ips_missing",
            IssueCode::NameSuggestsAutomation => "name_suggests_automation",
            IssueCode::MixedEnvironments => "mixed_environments",
            IssueCode::PermissionPartial => "permission_partial",
            IssueCode::PermissionNeedsStepUp => "permission_needs_step_up",
            IssueCode::AllProjectsScope => "all_projects_scope",
            IssueCode::Duplicate => "duplicate",
            IssueCode::Covered => "covered",
            IssueCode::AllowsAll => "allows_all",
        }
    }
}

/// One finding, attached to the field that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Issue {
    /// Where in the draft: `name`, `projects[1]`, `permissions[5]`, `allowed_ips[2]`.
    pub field: String,
    pub code: IssueCode,
    pub message: String,
    /// The likely intended value, when there is one answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub suggestion: Option<String>,
}

pub(crate) fn issue(
    field: impl Into<String>,
    code: IssueCode,
    message: impl Into<String>,
) -> Issue {
    Issue {
        field: field.into(),
        code,
        message: message.into(),
        suggestion: None,
    }
}

/// The expiry choices of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum ExpiryPreset {
    #[serde(rename = "30d")]
    Days30,
    #[serde(rename = "90d")]
    Days90,
    #[serde(rename = "365d")]
    Days365,
    #[serde(rename = "never")]
    Never,
}

/// `"30d"`, `"90d"`, `"365d"`, `"never"`, or `{"custom": "2027-03-31"}` (a date: the
/// token works through the end of that day, UTC; or an RFC 3339 instant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Expiry {
    Preset(ExpiryPreset),
    Custom(CustomExpiry),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CustomExpiry {
    pub custom: String,
}

impl Default for Expiry {
    /// The form's preselected choice (and GitHub's): 30 days.
    fn default() -> Expiry {
        Expiry::Preset(ExpiryPreset::Days30)
    }
}

/// The allowed-IPs textarea's text, or the entries as a list.
// `Deserialize` is written by hand (`model::untagged`) and accepts what the derive would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum TextOrList {
    Text(String),
    List(Vec<String>),
}

impl Default for TextOrList {
    fn default() -> TextOrList {
        TextOrList::Text(String::new())
    }
}

impl<'de> Deserialize<'de> for TextOrList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TextOrList, D::Error> {
        use crate::model::untagged::{self, Shape};
        match untagged::shape(d)? {
            Shape::Text(t) => Ok(TextOrList::Text(t)),
            Shape::List(l) => Ok(TextOrList::List(l)),
            _ => Err(untagged::no_variant("TextOrList")),
        }
    }
}

impl TextOrList {
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            TextOrList::Text(t) => t.as_str().into(),
            TextOrList::List(l) => l.join("\n").into(),
        }
    }

    /// The entries, as the allow-list field reads them (commas or line breaks separate,
    /// blanks are not entries): what an API stores for a list given either way.
    pub fn entries(&self) -> Vec<String> {
        crate::allowed_ips::split_entries(&self.text())
            .map(str::to_owned)
            .collect()
    }
}

/// What the user filled in on the "New API token" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TokenDraft {
    #[serde(default)]
    pub name: String,
    /// Defaults to the owner's organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub organization: Option<String>,
    /// `"all"` or project ids; absent means none chosen yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub projects: Option<ProjectScope>,
    #[serde(default = "inherit")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub permissions: TokenPermissions,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub expiry: Expiry,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub allowed_ips: TextOrList,
}

fn inherit() -> TokenPermissions {
    TokenPermissions::Inherit(Inherit::Inherit)
}

/// Everything token validation looks at besides the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TokenRequest {
    pub draft: TokenDraft,
    /// Who the token will belong to, as they are now: the user creating a personal
    /// token, or the service account a token is issued for.
    pub owner: OwnerState,
    /// The owner's tokens, for name uniqueness among the active ones.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub existing_tokens: Vec<Token>,
    pub now: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub policy: Option<TokenPolicy>,
    /// The organization's projects, when known: checks project ids and lets the
    /// preview of an all-projects token list every project.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub organization_projects: Vec<String>,
    /// The token that will send the create (what `whoami` returns), when known: the
    /// new token may not exceed it ([`crate::delegation`]), and the form says so before
    /// anything is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub caller: Option<CallerCredential>,
}

/// What the token would be allowed to do in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ScopePreview {
    /// A project id, or `null` for organization-level permissions.
    pub project: Option<String>,
    /// The owner's role there now.
    pub role: Option<Role>,
    /// Effective permissions, in catalog order.
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TokenPreview {
    /// `null` when the token never expires or the expiry is not valid yet.
    pub expires_at: Option<Timestamp>,
    pub lifetime_days: Option<i64>,
    pub scopes: Vec<ScopePreview>,
    /// One line for the confirmation step; never contains a secret.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TokenValidation {
    /// No errors: the server would accept the draft.
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    pub preview: TokenPreview,
}

fn expiry_label(e: &Expiry) -> String {
    match e {
        Expiry::Preset(ExpiryPreset::Days30) => "30d".into(),
        Expiry::Preset(ExpiryPreset::Days90) => "90d".into(),
        Expiry::Preset(ExpiryPreset::Days365) => "365d".into(),
        Expiry::Preset(ExpiryPreset::Never) => "never".into(),
        Expiry::Custom(c) => c.custom.clone(),
    }
}

/// When a custom expiry ends: a date means "through the end of that day" (UTC).
pub fn parse_custom(text: &str) -> Option<Timestamp> {
    use chrono::format::{Item, Numeric, Pad, Parsed};
    // `%Y-%m-%d` as chrono's strftime reads it, without parsing the pattern each time
    // (or linking the strftime machinery into the wasm).
    const DATE: [Item<'static>; 5] = [
        Item::Numeric(Numeric::Year, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Month, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Day, Pad::Zero),
    ];
    let t = text.trim();
    let mut parsed = Parsed::new();
    if let Ok(d) =
        chrono::format::parse(&mut parsed, t, DATE.iter()).and_then(|()| parsed.to_naive_date())
    {
        let next = d.succ_opt()?.and_hms_opt(0, 0, 0)?;
        return Some(Utc.from_utc_datetime(&next));
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

const AUTOMATION_WORDS: &[&str] = &[
    "ci",
    "cd",
    "cicd",
    "deploy",
    "deployer",
    "deployment",
    "pipeline",
    "gha",
    "actions",
    "github",
    "gitlab",
    "jenkins",
    "terraform",
    "tf",
    "ansible",
    "pulumi",
    "bot",
    "automation",
    "cron",
    "runner",
    "argo",
    "argocd",
    "buildkite",
    "circleci",
];

/// The ASCII words of `text`, as typed: callers compare them ignoring case rather than
/// lowercasing a copy of each.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn is_automation_word(word: &str) -> bool {
    AUTOMATION_WORDS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(word))
}

/// Each environment and the words that name it.
const ENVIRONMENTS: &[(&str, &[&str])] = &[
    ("production", &["prod", "production", "prd", "live"]),
    ("staging", &["staging", "stage", "stg", "preprod", "uat"]),
    (
        "development",
        &["dev", "development", "test", "testing", "qa", "sandbox"],
    ),
];

/// The environment a project's name suggests, if any (shared with `lint`).
pub(crate) fn environment(project: &str) -> Option<&'static str> {
    words(project).find_map(|w| {
        ENVIRONMENTS
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(w)))
            .map(|(env, _)| *env)
    })
}

/// Not revoked, expired or past its rotation grace at `now` (shared with `lint`).
pub(crate) fn token_is_active(t: &Token, now: Timestamp) -> bool {
    crate::evaluator::token_status(t, now, None).is_live()
}

/// The `name_taken` error when `owner` already holds an active token called `name`.
/// Public for a server, which must ask again where it creates the token (inside its
/// idempotent, serialized section, against the tokens stored then), with the very rule
/// the form showed.
/// A token the policy now refuses (it lives longer than the maximum) no longer holds it.
pub fn name_taken(
    owner: &OwnerState,
    existing: &[Token],
    name: &str,
    now: Timestamp,
    policy: Option<&TokenPolicy>,
) -> Option<Issue> {
    existing
        .iter()
        .any(|t| {
            owned_by(t, owner)
                && t.name == name
                && crate::evaluator::token_status(t, now, policy).is_live()
        })
        .then(|| {
            issue(
                "name",
                IssueCode::NameTaken,
                format!(
                    "{} already has an active token named {name:?}",
                    OwnerLabel(owner)
                ),
            )
        })
}

fn owner_org(owner: &OwnerState) -> &str {
    match owner {
        OwnerState::User(u) => &u.organization,
        OwnerState::ServiceAccount(s) => &s.organization,
    }
}

/// How messages name an owner. A `Display` rather than a `String`, so a draft without
/// problems never builds it.
struct OwnerLabel<'a>(&'a OwnerState);

impl fmt::Display for OwnerLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            OwnerState::User(u) if !u.email.is_empty() => f.write_str(&u.email),
            OwnerState::User(u) => f.write_str(&u.id),
            OwnerState::ServiceAccount(s) => write!(f, "service account {}", s.name),
        }
    }
}

/// `token.owner == owner.owner_ref()`, without copying the owner's id.
fn owned_by(token: &Token, owner: &OwnerState) -> bool {
    match (&token.owner, owner) {
        (OwnerRef::User { id }, OwnerState::User(u)) => *id == u.id,
        (OwnerRef::ServiceAccount { id }, OwnerState::ServiceAccount(s)) => *id == s.id,
        _ => false,
    }
}

fn check_name(name: &str, errors: &mut Vec<Issue>) -> bool {
    if name.trim().is_empty() {
        errors.push(issue(
            "name",
            IssueCode::NameRequired,
            "give the token a name",
        ));
        return false;
    }
    let chars = name.chars().count();
    if chars > MAX_TOKEN_NAME_CHARS {
        errors.push(issue(
            "name",
            IssueCode::NameTooLong,
            format!("the name has {chars} characters; at most {MAX_TOKEN_NAME_CHARS} are allowed"),
        ));
    }
    if let Some(pos) = name.chars().position(char::is_control) {
        errors.push(issue(
            "name",
            IssueCode::NameInvalidCharacters,
            format!("the name contains a control character at position {pos} (tabs, newlines and the like are not allowed)"),
        ));
    } else if let Some((pos, c)) = name.chars().enumerate().find(|(_, c)| is_invisible(*c)) {
        errors.push(issue(
            "name",
            IssueCode::NameInvalidCharacters,
            format!("the name contains an invisible or direction-changing character (U+{:04X}) at position {pos}: it could make the name read as another in a list", u32::from(c)),
        ));
    }
    true
}

/// Characters that change how text around them reads without being seen: bidirectional
/// overrides, embeddings and isolates (the "Trojan Source" trick) and zero-width
/// characters. A name holding one can look like another name in a list.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Validates a token draft and previews it. Never fails: every problem is an issue.
///
/// The console runs this on every keystroke (in wasm, against a 50 µs budget), so field
/// paths and messages are formatted only for the issues actually reported, and the
/// draft's strings are borrowed rather than copied wherever the result does not own them.
pub fn validate_token(req: &TokenRequest, catalog: &Catalog) -> TokenValidation {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let draft = &req.draft;
    let policy = req.policy.clone().unwrap_or_default();
    let owner = PreparedOwner::prepare(&req.owner);
    let is_sa = matches!(req.owner, OwnerState::ServiceAccount(_));
    let label = OwnerLabel(&req.owner);

    // Name.
    if check_name(&draft.name, &mut errors) {
        errors.extend(name_taken(
            &req.owner,
            &req.existing_tokens,
            &draft.name,
            req.now,
            req.policy.as_ref(),
        ));
        if !is_sa && words(&draft.name).any(is_automation_word) {
            warnings.push(issue(
                "name",
                IssueCode::NameSuggestsAutomation,
                format!("{:?} sounds like automation: use a service account, so the pipeline keeps working when people leave and its access is not tied to a person", draft.name),
            ));
        }
    }

    // Organization and owner.
    let owner_org = owner_org(&req.owner);
    let org = draft.organization.as_deref().unwrap_or(owner_org);
    if org != owner_org {
        errors.push(issue(
            "organization",
            IssueCode::OrganizationMismatch,
            format!("{label} belongs to organization {owner_org:?}, not {org:?}"),
        ));
    }
    if !owner.active() {
        errors.push(issue(
            "owner",
            IssueCode::OwnerInactive,
            format!("{label} is not active and cannot hold new tokens"),
        ));
    }

    // Projects: the places the preview and the permission checks look at.
    let mut places: Vec<&str> = Vec::new();
    let all_projects = matches!(draft.projects, Some(ProjectScope::All(_)));
    match &draft.projects {
        None => errors.push(issue(
            "projects",
            IssueCode::ProjectsRequired,
            "choose at least one project, or all projects",
        )),
        Some(ProjectScope::Projects(list)) if list.is_empty() => errors.push(issue(
            "projects",
            IssueCode::ProjectsRequired,
            "choose at least one project, or all projects",
        )),
        Some(ProjectScope::Projects(list)) => {
            for (i, p) in list.iter().enumerate() {
                if !req.organization_projects.is_empty() && !req.organization_projects.contains(p) {
                    errors.push(issue(
                        format!("projects[{i}]"),
                        IssueCode::ProjectUnknown,
                        format!("organization {org:?} has no project {p:?}"),
                    ));
                } else if owner.role_for(false, Some(p)).is_none() {
                    errors.push(issue(
                        format!("projects[{i}]"),
                        IssueCode::ProjectNoRole,
                        format!("{label} has no role in project {p:?}, so a token there could do nothing"),
                    ));
                } else if !places.contains(&p.as_str()) {
                    places.push(p);
                }
            }
            let envs: BTreeSet<&str> = list.iter().filter_map(|p| environment(p)).collect();
            if envs.len() > 1 {
                warnings.push(issue(
                    "projects",
                    IssueCode::MixedEnvironments,
                    format!(
                        "these projects look like different environments ({}): use one token per environment, so a leaked development token cannot touch production",
                        envs.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        Some(ProjectScope::All(_)) => {
            if owner.is_org_admin() {
                warnings.push(issue(
                    "projects",
                    IssueCode::AllProjectsScope,
                    "an all-projects token reaches every project, including ones created later: prefer listing the projects it needs",
                ));
                places = if req.organization_projects.is_empty() {
                    match &req.owner {
                        OwnerState::User(u) => u.project_roles.keys().map(String::as_str).collect(),
                        OwnerState::ServiceAccount(_) => Vec::new(),
                    }
                } else {
                    req.organization_projects
                        .iter()
                        .map(String::as_str)
                        .collect()
                };
            } else {
                errors.push(issue(
                    "projects",
                    IssueCode::AllProjectsNotAllowed,
                    format!("only an organization admin or owner may create an all-projects token, and {label} is not one"),
                ));
            }
        }
    }

    // Permissions.
    let project_grants: Vec<PermSet> = places
        .iter()
        .map(|p| {
            owner
                .role_for(false, Some(p))
                .map_or(PermSet::EMPTY, |r| *catalog.role_grants(r))
        })
        .collect();
    let org_grants = if all_projects {
        owner
            .role_for(true, None)
            .map_or(PermSet::EMPTY, |r| *catalog.role_grants(r))
            .intersect(catalog.organization_level())
    } else {
        PermSet::EMPTY
    };
    // The union of the entries that expand: the downscope the token would be prepared with.
    let mut downscope: Option<PermSet> = None;
    if let TokenPermissions::Downscoped(list) = &draft.permissions {
        let mut kept = PermSet::EMPTY;
        if list.is_empty() {
            errors.push(issue(
                "permissions",
                IssueCode::PermissionsEmpty,
                "choose at least one permission, or inherit the role",
            ));
        }
        if list.len() > MAX_TOKEN_PERMISSIONS {
            errors.push(issue(
                "permissions",
                IssueCode::TooManyPermissions,
                format!(
                    "{} entries; a token lists at most {MAX_TOKEN_PERMISSIONS} (use wildcards such as compute.*)",
                    list.len()
                ),
            ));
        }
        let mut suggested = 0;
        for (i, text) in list.iter().enumerate().take(MAX_TOKEN_PERMISSIONS) {
            let field = || format!("permissions[{i}]");
            let Some(set) = catalog.expand(text) else {
                let mut e = issue(
                    field(),
                    IssueCode::PermissionUnknown,
                    format!("{text:?} is not a permission or wildcard of the catalog"),
                );
                if suggested < MAX_SUGGESTIONS {
                    suggested += 1;
                    e.suggestion = catalog.suggest(text).map(str::to_owned);
                }
                if let Some(s) = &e.suggestion {
                    e.message.push_str(&format!(" (did you mean {s}?)"));
                }
                errors.push(e);
                continue;
            };
            kept = kept.union(&set);
            let project_part = set.difference(catalog.organization_level());
            let org_part = set.intersect(catalog.organization_level());
            if !org_part.is_empty() && project_part.is_empty() && !all_projects {
                errors.push(issue(
                    field(),
                    IssueCode::PermissionOrganizationLevel,
                    format!("{text} acts on the organization itself and needs a token scoped to all projects"),
                ));
                continue;
            }
            let grants_it = |g: &PermSet| !g.intersect(&project_part).is_empty();
            let granted_in = project_grants.iter().filter(|g| grants_it(g)).count();
            let granted_org = !org_grants.intersect(&org_part).is_empty();
            if granted_in == 0 && !granted_org {
                if !places.is_empty() || all_projects {
                    errors.push(issue(
                        field(),
                        IssueCode::PermissionNotInRole,
                        format!("{label}'s role grants {text} in none of the selected projects; a token can never grant more than its owner's role"),
                    ));
                }
            } else if !project_part.is_empty() && granted_in < places.len() {
                let (mut granted, mut missing) = (Vec::new(), Vec::new());
                for (&p, g) in places.iter().zip(&project_grants) {
                    if grants_it(g) {
                        granted.push(p);
                    } else {
                        missing.push(p);
                    }
                }
                warnings.push(issue(
                    field(),
                    IssueCode::PermissionPartial,
                    format!(
                        "{text} is granted in {} but not in {} (the owner's role there does not include it)",
                        granted.join(", "),
                        missing.join(", ")
                    ),
                ));
            }
            if !set.intersect(catalog.step_up()).is_empty() && set.len() == 1 {
                warnings.push(issue(
                    field(),
                    IssueCode::PermissionNeedsStepUp,
                    format!("{text} needs MFA step-up, which a token can never provide: the token will be denied it"),
                ));
            }
        }
        downscope = Some(kept);
    }

    // Expiry.
    let max_days = policy.max_lifetime_days.map(i64::from);
    let expires_at: Option<Timestamp> = match &draft.expiry {
        Expiry::Preset(ExpiryPreset::Never) => {
            if !policy.allow_never_expiring {
                errors.push(issue(
                    "expiry",
                    IssueCode::ExpiryNeverForbidden,
                    "the organization's policy requires tokens to expire",
                ));
            } else if let Some(m) = max_days {
                errors.push(issue(
                    "expiry",
                    IssueCode::ExpiryBeyondMaxLifetime,
                    format!("the organization's policy limits tokens to {m} days; a token that never expires would be refused on every call"),
                ));
            }
            warnings.push(issue(
                "expiry",
                IssueCode::ExpiryNever,
                "a token that never expires stays dangerous forever if it leaks: pick the shortest practical expiry",
            ));
            None
        }
        Expiry::Preset(p) => {
            let days = match p {
                ExpiryPreset::Days30 => 30,
                ExpiryPreset::Days90 => 90,
                _ => 365,
            };
            // `now` as late as the calendar goes has no day after it: say so, never panic.
            match req.now.checked_add_signed(Duration::days(days)) {
                Some(t) => Some(t),
                None => {
                    errors.push(issue(
                        "expiry",
                        IssueCode::ExpiryInvalid,
                        format!(
                            "{days} days after {} is beyond the calendar",
                            crate::timefmt::minute(req.now)
                        ),
                    ));
                    None
                }
            }
        }
        Expiry::Custom(c) => match parse_custom(&c.custom) {
            None => {
                errors.push(issue(
                    "expiry",
                    IssueCode::ExpiryInvalid,
                    format!(
                        "{:?} is not a date (YYYY-MM-DD) or an RFC 3339 time",
                        c.custom
                    ),
                ));
                None
            }
            Some(t) if t <= req.now => {
                errors.push(issue(
                    "expiry",
                    IssueCode::ExpiryInPast,
                    format!("{} is not in the future", c.custom),
                ));
                None
            }
            Some(t) => Some(t),
        },
    };
    let lifetime = expires_at.map(|e| e - req.now);
    let lifetime_days = lifetime.map(|l| (l.num_seconds() + 86_399) / 86_400);
    if let (Some(l), Some(m)) = (lifetime, max_days) {
        if l > Duration::days(m) {
            errors.push(issue(
                "expiry",
                IssueCode::ExpiryBeyondMaxLifetime,
                format!(
                    "{} is {} days away; the organization's policy allows at most {m}",
                    expiry_label(&draft.expiry),
                    lifetime_days.unwrap_or_default()
                ),
            ));
        }
    }
    if lifetime.is_some_and(|l| l > Duration::days(LONG_LIFETIME_DAYS)) {
        warnings.push(issue(
            "expiry",
            IssueCode::LifetimeOver90Days,
            "tokens living longer than 90 days should be rotated at least quarterly: consider 90 days and a reminder",
        ));
    }

    // Allowed IPs.
    let ips_text = draft.allowed_ips.text();
    let report = check_allowed_ips_field(&ips_text, &mut errors, &mut warnings);
    let networks = report.as_ref().map_or(0, |r| r.valid.len());
    if is_sa {
        let restricts = report.as_ref().is_some_and(|r| {
            !r.valid.is_empty() && r.valid.iter().all(|(_, _, n)| n.prefix_len() > 0)
        });
        let clean = report.as_ref().is_some_and(|r| r.errors.is_empty());
        if !restricts && clean {
            if policy.require_allowed_ips_for_service_accounts {
                errors.push(issue(
                    "allowed_ips",
                    IssueCode::AllowedIpsRequired,
                    if networks == 0 {
                        "the organization's policy requires an IP allow-list on service-account tokens"
                    } else {
                        "the organization's policy requires an IP allow-list on service-account tokens, and a /0 entry restricts nothing"
                    },
                ));
            } else if networks == 0 {
                warnings.push(issue(
                    "allowed_ips",
                    IssueCode::AllowedIpsMissing,
                    "restrict service-account tokens to the addresses of the machines that use them (your CI runners' IPs)",
                ));
            }
        }
    }

    // Preview: what the evaluator would allow, per place, reading the draft as the
    // token it would become.
    let token = TokenView {
        organization: org,
        projects: (!all_projects).then_some(places.as_slice()),
        downscope: downscope.as_ref(),
    };
    let mut scopes = Vec::with_capacity(places.len() + usize::from(all_projects));
    for &p in &places {
        scopes.push(ScopePreview {
            project: Some(p.to_owned()),
            role: owner.role_for(false, Some(p)),
            permissions: names(
                catalog,
                &effective_permissions_of(catalog, &token, &owner, Some(p))
                    .difference(catalog.organization_level()),
            ),
        });
    }
    if all_projects {
        let org_perms = effective_permissions_of(catalog, &token, &owner, None)
            .intersect(catalog.organization_level());
        scopes.push(ScopePreview {
            project: None,
            role: owner.role_for(true, None),
            permissions: names(catalog, &org_perms),
        });
    }
    let summary = summary(draft, org, &places, all_projects, expires_at, networks);

    // The calling token, when known: the new token may not exceed it.
    if let Some(caller) = &req.caller {
        let expiry_unread = errors.iter().any(|e| e.field == "expiry");
        let child = Token {
            id: String::new(),
            name: draft.name.clone(),
            prefix: String::new(),
            owner: req.owner.owner_ref(),
            organization: org.to_owned(),
            projects: draft
                .projects
                .clone()
                .unwrap_or(ProjectScope::Projects(Vec::new())),
            permissions: draft.permissions.clone(),
            created_at: req.now,
            // An expiry that did not read is reported already; it is not judged again.
            expires_at: if expiry_unread {
                Some(req.now)
            } else {
                expires_at
            },
            allowed_ips: report.as_ref().map(entry_texts).unwrap_or_default(),
            revoked_at: None,
            rotated_at: None,
            grace_ends_at: None,
            quarantine: None,
        };
        let found = check_delegation(
            catalog,
            &DelegationRequest {
                caller: caller.clone(),
                child,
                child_owner: req.owner.clone(),
                minted: Minted::Token,
                now: req.now,
                organization_projects: req.organization_projects.clone(),
            },
        );
        // One problem per field at a time: a field the form's own rules already refuse is
        // not also judged against the caller.
        for e in found {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e);
            }
        }
    }
    TokenValidation {
        valid: errors.is_empty(),
        errors,
        warnings,
        preview: TokenPreview {
            expires_at,
            lifetime_days,
            scopes,
            summary,
        },
    }
}

/// The allowed-IPs field's errors and warnings at `allowed_ips[i]`; `None` when the list
/// is over [`MAX_ALLOWED_IPS`] entries (that one error, and nothing read further).
fn check_allowed_ips_field<'a>(
    text: &'a str,
    errors: &mut Vec<Issue>,
    warnings: &mut Vec<Issue>,
) -> Option<Analysis<'a>> {
    let entries = text
        .split([',', '\n', '\r'])
        .filter(|e| !e.trim().is_empty())
        .count();
    if entries > MAX_ALLOWED_IPS {
        errors.push(issue(
            "allowed_ips",
            IssueCode::TooManyAllowedIps,
            format!("{entries} entries; an allow-list holds at most {MAX_ALLOWED_IPS} (merge addresses into wider networks)"),
        ));
        return None;
    }
    let report = analyze_allowed_ips(text);
    for e in &report.errors {
        errors.push(Issue {
            field: format!("allowed_ips[{}]", e.index),
            code: match e.code {
                crate::allowed_ips::AllowedIpErrorCode::InvalidCidr => IssueCode::InvalidCidr,
                crate::allowed_ips::AllowedIpErrorCode::PrefixTooLong => IssueCode::PrefixTooLong,
                crate::allowed_ips::AllowedIpErrorCode::HostBitsSet => IssueCode::HostBitsSet,
            },
            message: e.message.clone(),
            suggestion: e.suggestion.clone(),
        });
    }
    for w in &report.warnings {
        warnings.push(Issue {
            field: format!("allowed_ips[{}]", w.index),
            code: match w.code {
                crate::allowed_ips::AllowedIpWarningCode::Duplicate => IssueCode::Duplicate,
                crate::allowed_ips::AllowedIpWarningCode::Covered => IssueCode::Covered,
                crate::allowed_ips::AllowedIpWarningCode::AllowsAll => IssueCode::AllowsAll,
            },
            message: w.message.clone(),
            suggestion: None,
        });
    }
    Some(report)
}

/// Every entry of an analysed list as typed, at its index (bad ones included), so the
/// delegation rule names the same `allowed_ips[i]` as the form.
fn entry_texts(a: &Analysis<'_>) -> Vec<String> {
    let n = a.valid.len() + a.errors.len();
    let mut out = vec![String::new(); n];
    for (i, t, _) in &a.valid {
        if let Some(slot) = out.get_mut(*i) {
            *slot = (*t).to_owned();
        }
    }
    for e in &a.errors {
        if let Some(slot) = out.get_mut(e.index) {
            slot.clone_from(&e.text);
        }
    }
    out
}

fn names(catalog: &Catalog, set: &PermSet) -> Vec<String> {
    let mut out = Vec::with_capacity(set.len());
    out.extend(set.iter().map(|id| catalog.name(id).to_owned()));
    out
}

/// The confirmation step's one line, written into one buffer.
fn summary(
    draft: &TokenDraft,
    org: &str,
    places: &[&str],
    all: bool,
    expires_at: Option<Timestamp>,
    networks: usize,
) -> String {
    let lists: usize = places.iter().map(|p| p.len() + 2).sum::<usize>()
        + match &draft.permissions {
            TokenPermissions::Downscoped(l) => l.iter().map(|p| p.len() + 2).sum(),
            TokenPermissions::Inherit(_) => 0,
        };
    // The fixed words, the expiry and the count fit in 128 bytes.
    let mut s = String::with_capacity(128 + draft.name.len() + org.len() + lists);
    // Writing to a `String` cannot fail, here and below.
    let _ = write!(s, "{:?} in {org}: ", draft.name);
    if all {
        s.push_str("all projects");
    } else if places.is_empty() {
        s.push_str("no project");
    } else {
        s.push_str("projects ");
        push_joined(&mut s, places.iter().copied());
    }
    match &draft.permissions {
        TokenPermissions::Inherit(_) => s.push_str("; inherits the owner's role"),
        TokenPermissions::Downscoped(l) => {
            s.push_str("; downscoped to ");
            push_joined(&mut s, l.iter().map(String::as_str));
        }
    }
    match expires_at {
        Some(t) => {
            s.push_str("; expires ");
            crate::timefmt::push_minute(&mut s, t);
        }
        None if matches!(draft.expiry, Expiry::Preset(ExpiryPreset::Never)) => {
            s.push_str("; never expires");
        }
        None => s.push_str("; expiry not set"),
    }
    match networks {
        0 => s.push_str("; any IP address"),
        1 => s.push_str("; 1 allowed network"),
        n => {
            let _ = write!(s, "; {n} allowed networks");
        }
    }
    s
}

/// `parts.join(", ")`, appended to `out`.
fn push_joined<'a>(out: &mut String, parts: impl Iterator<Item = &'a str>) {
    for (i, p) in parts.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(p);
    }
}

/// What the user filled in on the "New service account" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ServiceAccountDraft {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub organization: Option<String>,
    /// `null` for an organization-level account (acts in every project).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub project: Option<String>,
    /// `admin`, `member` or `read_only` (checked here, so a wrong value is a field
    /// error, not a parse failure).
    #[serde(default)]
    pub role: String,
    /// `key=value` pairs separated by commas or newlines, or a map.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub tag_selector: TagSelectorInput,
    /// The addresses the account's client-credentials bearers may be used from (they
    /// carry this list), as the allowed-IPs field of the token form; empty: anywhere.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub allowed_ips: TextOrList,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum TagSelectorInput {
    Text(String),
    Map(BTreeMap<String, String>),
}

impl Default for TagSelectorInput {
    fn default() -> TagSelectorInput {
        TagSelectorInput::Text(String::new())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ServiceAccountRequest {
    pub draft: ServiceAccountDraft,
    /// The user creating the account, as they are now.
    pub creator: OwnerState,
    /// The organization's service accounts (deleted ones are ignored).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub existing: Vec<ServiceAccountState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub policy: Option<TokenPolicy>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub organization_projects: Vec<String>,
    /// The token that will send the create, when known: creating an account issues its
    /// client secret, which may not exceed the caller ([`crate::delegation`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub caller: Option<CallerCredential>,
    /// The time of the create, for the caller's rotation grace window; without it a
    /// caller replaced by rotation counts as still in its window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub now: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ServiceAccountPreview {
    /// The parsed selector, when valid.
    pub tag_selector: BTreeMap<String, String>,
    /// The allow-list, normalized (`192.0.2.7/32`), when valid.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// What the role grants, in catalog order.
    pub permissions: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ServiceAccountValidation {
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    pub preview: ServiceAccountPreview,
}

/// The service-account name rule as a regular expression, for schemas and forms that
/// state it ahead of validation: lowercase letters, digits and hyphens, starting and
/// ending with a letter or digit, at most [`MAX_SERVICE_ACCOUNT_NAME_CHARS`] characters
/// (the 61 is that maximum less the first and last character). A name other than the
/// empty one matches it exactly when [`validate_service_account`] finds neither
/// `name_invalid_characters` nor `name_too_long` in it.
pub const SERVICE_ACCOUNT_NAME_PATTERN: &str = "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$";

fn valid_sa_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn valid_tag_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars().count() <= MAX_TAG_PART_CHARS
        && k.bytes().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.' | b'/')
        })
}

fn valid_tag_value(v: &str) -> bool {
    !v.is_empty()
        && v.chars().count() <= MAX_TAG_PART_CHARS
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Parses the selector, reporting every bad pair as `tag_selector[i]`. Pairs are read
/// borrowed; only the selector returned and the issues reported allocate.
fn parse_tag_selector(
    input: &TagSelectorInput,
    errors: &mut Vec<Issue>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    // `text` gives the pair as typed, for the message about a malformed one.
    let mut add = |i: usize, kv: Option<(&str, &str)>, text: &dyn Fn() -> String| {
        match kv {
        Some((k, v)) if valid_tag_key(k) && valid_tag_value(v) => {
            if out.contains_key(k) {
                errors.push(issue(
                    format!("tag_selector[{i}]"),
                    IssueCode::TagSelectorDuplicateKey,
                    format!("{k:?} appears twice; a resource has one value per tag, so both can never match"),
                ));
            } else {
                out.insert(k.to_owned(), v.to_owned());
            }
        }
        _ => errors.push(issue(
            format!("tag_selector[{i}]"),
            IssueCode::TagSelectorInvalid,
            format!("{:?} is not key=value (keys: lowercase letters, digits, - _ . /; values: letters, digits, - _ .; each at most {MAX_TAG_PART_CHARS} characters)", text()),
        )),
    }
    };
    match input {
        TagSelectorInput::Text(t) => {
            let pairs = t
                .split([',', '\n', '\r'])
                .map(str::trim)
                .filter(|s| !s.is_empty());
            for (i, s) in pairs.enumerate() {
                let kv = s.split_once('=').map(|(k, v)| (k.trim(), v.trim()));
                add(i, kv, &|| s.to_owned());
            }
        }
        TagSelectorInput::Map(m) => {
            for (i, (k, v)) in m.iter().enumerate() {
                add(i, Some((k, v)), &|| format!("{k}={v}"));
            }
        }
    }
    out
}

/// Validates a service-account draft. Never fails: every problem is an issue.
pub fn validate_service_account(
    req: &ServiceAccountRequest,
    catalog: &Catalog,
) -> ServiceAccountValidation {
    let mut errors = Vec::new();
    let warnings: Vec<Issue> = Vec::new();
    let d = &req.draft;
    let policy = req.policy.clone().unwrap_or_default();
    let creator = PreparedOwner::prepare(&req.creator);
    let org = d
        .organization
        .as_deref()
        .unwrap_or_else(|| owner_org(&req.creator));

    if d.name.is_empty() {
        errors.push(issue(
            "name",
            IssueCode::NameRequired,
            "give the service account a name",
        ));
    } else {
        let chars = d.name.chars().count();
        if chars > MAX_SERVICE_ACCOUNT_NAME_CHARS {
            errors.push(issue(
                "name",
                IssueCode::NameTooLong,
                format!("the name has {chars} characters; at most {MAX_SERVICE_ACCOUNT_NAME_CHARS} are allowed"),
            ));
        }
        if !valid_sa_name(&d.name) {
            let mut e = issue(
                "name",
                IssueCode::NameInvalidCharacters,
                format!("{:?}: use lowercase letters, digits and hyphens, starting and ending with a letter or digit (like ci-deployer)", d.name),
            );
            let fixed: String = d
                .name
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .trim_matches('-')
                .to_owned();
            if valid_sa_name(&fixed) {
                e.suggestion = Some(fixed);
            }
            errors.push(e);
        }
        let taken = req.existing.iter().any(|s| {
            s.status != ServiceAccountStatus::Deleted
                && s.organization == org
                && s.project == d.project
                && s.name == d.name
        });
        if taken {
            errors.push(issue(
                "name",
                IssueCode::NameTaken,
                format!(
                    "{} already has a service account named {:?}",
                    d.project.as_deref().map_or_else(
                        || "the organization".to_owned(),
                        |p| format!("project {p:?}")
                    ),
                    d.name
                ),
            ));
        }
    }
    let desc_chars = d.description.chars().count();
    if desc_chars > MAX_DESCRIPTION_CHARS {
        errors.push(issue(
            "description",
            IssueCode::DescriptionTooLong,
            format!("the description has {desc_chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"),
        ));
    }
    let role = match d.role.as_str() {
        "admin" => Some(ProjectRole::Admin),
        "member" => Some(ProjectRole::Member),
        "read_only" => Some(ProjectRole::ReadOnly),
        other => {
            errors.push(issue(
                "role",
                IssueCode::RoleInvalid,
                format!("{other:?} is not a service-account role: choose admin, member or read_only (service accounts never hold organization roles)"),
            ));
            None
        }
    };
    let tag_selector = parse_tag_selector(&d.tag_selector, &mut errors);
    let mut warnings = warnings;
    let ips_text = d.allowed_ips.text();
    let ips = check_allowed_ips_field(&ips_text, &mut errors, &mut warnings);
    let allowed_ips: Vec<String> = ips
        .as_ref()
        .map(|a| a.valid.iter().map(|(_, _, n)| n.to_string()).collect())
        .unwrap_or_default();
    let restricts = ips
        .as_ref()
        .is_some_and(|a| !a.valid.is_empty() && a.valid.iter().all(|(_, _, n)| n.prefix_len() > 0));
    if policy.require_allowed_ips_for_service_accounts
        && !restricts
        && ips.as_ref().is_some_and(|a| a.errors.is_empty())
    {
        errors.push(issue(
            "allowed_ips",
            IssueCode::AllowedIpsRequired,
            "the organization's policy requires an IP allow-list for service accounts: their client-credentials bearers carry it (a /0 entry restricts nothing)",
        ));
    }

    if org != owner_org(&req.creator) {
        errors.push(issue(
            "organization",
            IssueCode::OrganizationMismatch,
            format!(
                "the creator belongs to organization {:?}, not {org:?}",
                owner_org(&req.creator)
            ),
        ));
    }
    if let Some(p) = &d.project {
        if !req.organization_projects.is_empty() && !req.organization_projects.contains(p) {
            errors.push(issue(
                "project",
                IssueCode::ProjectUnknown,
                format!("organization {org:?} has no project {p:?}"),
            ));
        }
    }
    let creator_ok = matches!(req.creator, OwnerState::User(_))
        && creator.active()
        && creator
            .role_for(false, d.project.as_deref())
            .is_some_and(|r| r >= Role::Admin)
        && (d.project.is_some() || creator.is_org_admin());
    if !creator_ok {
        errors.push(issue(
            "creator",
            IssueCode::CreatorNotAdmin,
            match &d.project {
                Some(p) => format!("{} must be an admin of project {p:?} or an organization admin or owner to create service accounts there", OwnerLabel(&req.creator)),
                None => format!("{} must be an organization admin or owner to create an organization-level service account", OwnerLabel(&req.creator)),
            },
        ));
    }
    let in_place = req
        .existing
        .iter()
        .filter(|s| {
            s.status != ServiceAccountStatus::Deleted
                && s.organization == org
                && s.project == d.project
        })
        .count();
    let limit = policy.max_service_accounts_per_project as usize;
    if in_place >= limit {
        errors.push(issue(
            "project",
            IssueCode::ServiceAccountLimitReached,
            format!(
                "{} already has {in_place} service accounts; the limit is {limit}",
                d.project.as_deref().map_or_else(
                    || "the organization".to_owned(),
                    |p| format!("project {p:?}")
                )
            ),
        ));
    }

    // The calling token, when known: the account's client secret, issued with it, may
    // not exceed the caller (its bearers carry the account's role and allow-list).
    if let (Some(caller), Some(r)) = (&req.caller, role) {
        let projects = match &d.project {
            Some(p) => vec![p.clone()],
            None => req.organization_projects.clone(),
        };
        let account = ServiceAccountState {
            id: String::new(),
            name: d.name.clone(),
            description: String::new(),
            organization: org.to_owned(),
            project: d.project.clone(),
            role: r,
            tag_selector: tag_selector.clone(),
            status: ServiceAccountStatus::Active,
            allowed_ips: allowed_ips.clone(),
        };
        let now = req.now.unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        let child =
            crate::delegation::account_credential(&account, projects, caller.token.expires_at, now);
        let found = check_delegation(
            catalog,
            &DelegationRequest {
                caller: caller.clone(),
                child,
                child_owner: OwnerState::ServiceAccount(account),
                minted: Minted::ClientSecret,
                now,
                organization_projects: req.organization_projects.clone(),
            },
        );
        for e in found {
            if !errors.iter().any(|x: &Issue| x.field == e.field) {
                errors.push(e);
            }
        }
    }

    let permissions = role.map_or_else(Vec::new, |r| {
        names(
            catalog,
            &catalog
                .role_grants(Role::from(r))
                .difference(catalog.organization_level()),
        )
    });
    let mut summary = String::with_capacity(128);
    // Writing to a `String` cannot fail.
    let _ = write!(summary, "service account {:?} in ", d.name);
    let _ = match &d.project {
        Some(p) => write!(summary, "project {p}: role {}", d.role),
        None => write!(
            summary,
            "organization {org} (every project): role {}",
            d.role
        ),
    };
    for (i, (k, v)) in tag_selector.iter().enumerate() {
        summary.push_str(if i == 0 {
            ", only on resources tagged "
        } else {
            ", "
        });
        let _ = write!(summary, "{k}={v}");
    }
    ServiceAccountValidation {
        valid: errors.is_empty(),
        errors,
        warnings,
        preview: ServiceAccountPreview {
            tag_selector,
            allowed_ips,
            permissions,
            summary,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// The pattern states the length rule too: its bound is the maximum less the first
    /// and last character.
    #[test]
    fn the_name_pattern_bounds_the_length_the_rule_bounds() {
        let bound = format!("{{0,{}}}", MAX_SERVICE_ACCOUNT_NAME_CHARS - 2);
        assert!(SERVICE_ACCOUNT_NAME_PATTERN.contains(&bound));
    }

    /// Did-you-mean costs an edit distance against the whole catalog: a draft full of
    /// unknown names gets suggestions for the first few short ones only.
    #[test]
    fn suggestions_are_bounded() {
        let mut names: Vec<String> = (0..40).map(|i| format!("compute.server.lis{i}")).collect();
        names.insert(0, format!("compute.servers.lis{}", "t".repeat(100)));
        let owner: OwnerState = serde_json::from_value(serde_json::json!({
            "type": "user", "id": "u", "organization": "acme", "status": "active",
            "project_roles": { "web": "member" }
        }))
        .unwrap();
        let req = TokenRequest {
            draft: TokenDraft {
                name: "n".into(),
                organization: None,
                projects: Some(ProjectScope::Projects(vec!["web".into()])),
                permissions: TokenPermissions::Downscoped(names),
                expiry: Expiry::default(),
                allowed_ips: TextOrList::default(),
            },
            owner,
            existing_tokens: Vec::new(),
            now: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            policy: None,
            organization_projects: Vec::new(),
            caller: None,
        };
        let v = validate_token(&req, Catalog::builtin());
        let unknown: Vec<&Issue> = v
            .errors
            .iter()
            .filter(|e| e.code == IssueCode::PermissionUnknown)
            .collect();
        assert_eq!(unknown.len(), 41);
        assert_eq!(unknown[0].suggestion, None, "a long name gets none");
        let suggested = unknown.iter().filter(|e| e.suggestion.is_some()).count();
        assert_eq!(suggested, MAX_SUGGESTIONS - 1, "the long one used a turn");
    }

    #[test]
    fn custom_dates_read_as_strftime_reads_them() {
        let texts = [
            "2026-11-23",
            "2026-1-5",
            "02026-11-23",
            "+12345-01-02",
            "-0044-03-15",
            "2026-02-30",
            "2026-11-23x",
            "2026 -11-23",
            "2026/11/23",
            "26-11-23",
            "",
            "-",
            "2026-11-",
        ];
        let mut dates = 0;
        for text in texts {
            let want = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|d| {
                Utc.from_utc_datetime(&d.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap())
            });
            if want.is_some() {
                dates += 1;
                assert_eq!(parse_custom(text), want, "{text:?}");
            } else {
                assert_eq!(parse_custom(text), None, "{text:?}");
            }
        }
        assert!(dates >= 4, "the list should hold real dates, got {dates}");
    }
}
