//! The JSON shapes of tokens, their owners and requests: what the API returns, what the
//! vectors hold and what every binding passes to the evaluator. `schema/` has them as
//! JSON Schema, generated from these types.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Instants are RFC 3339 strings in UTC (`2026-11-23T10:00:00Z`).
pub type Timestamp = DateTime<Utc>;

/// Every role, weakest first. Each grants everything the ones before it grant, which
/// is what makes "lowering a role never widens a token" a property of the order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Role {
    ReadOnly,
    Member,
    Admin,
    OrgAdmin,
    OrgOwner,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::ReadOnly,
        Role::Member,
        Role::Admin,
        Role::OrgAdmin,
        Role::OrgOwner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::OrgAdmin => "org_admin",
            Role::OrgOwner => "org_owner",
        }
    }
}

/// A role inside one project (users and service accounts alike).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum ProjectRole {
    ReadOnly,
    Member,
    Admin,
}

impl From<ProjectRole> for Role {
    fn from(r: ProjectRole) -> Role {
        match r {
            ProjectRole::ReadOnly => Role::ReadOnly,
            ProjectRole::Member => Role::Member,
            ProjectRole::Admin => Role::Admin,
        }
    }
}

/// A user's role in the organization; either makes them admin of every project.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum OrgRole {
    Admin,
    Owner,
}

impl From<OrgRole> for Role {
    fn from(r: OrgRole) -> Role {
        match r {
            OrgRole::Admin => Role::OrgAdmin,
            OrgRole::Owner => Role::OrgOwner,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum UserStatus {
    Active,
    Suspended,
    Removed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum ServiceAccountStatus {
    Active,
    Disabled,
    Deleted,
}

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum OwnerRef {
    User { id: String },
    ServiceAccount { id: String },
}

/// `"all"` (org admins and owners only) or a list of project ids.
// `Deserialize` is written by hand (`untagged` below) and accepts what the derive would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum ProjectScope {
    All(AllProjects),
    Projects(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum AllProjects {
    All,
}

/// `"inherit"` (whatever the owner's role grants at the time of each call) or a
/// downscoped list of permission names and wildcards (`compute.*`, `storage.buckets.*`).
// `Deserialize` is written by hand (`untagged` below) and accepts what the derive would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum TokenPermissions {
    Inherit(Inherit),
    Downscoped(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Inherit {
    Inherit,
}

/// A token's metadata: everything the API shows about it, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Token {
    pub id: String,
    pub name: String,
    /// `cd_` and the first 6 random characters: enough to recognise, useless to an attacker.
    #[serde(default)]
    pub prefix: String,
    pub owner: OwnerRef,
    pub organization: String,
    pub projects: ProjectScope,
    pub permissions: TokenPermissions,
    pub created_at: Timestamp,
    /// `null` means the token never expires.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Normalized CIDRs; empty allows every address.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    /// When a rotation replaced this token; it keeps working until `grace_ends_at`
    /// (7 days after rotation when not given).
    #[serde(default)]
    pub rotated_at: Option<Timestamp>,
    #[serde(default)]
    pub grace_ends_at: Option<Timestamp>,
    /// Set when the token was reported leaked and the organization's policy quarantines
    /// leaked tokens (`leaked_token_action: "quarantine"`): it still reads, but every
    /// call that is not read-only is refused (`quarantined`) until its owner rotates it.
    /// Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub quarantine: Option<Quarantine>,
}

/// Why and since when a token is quarantined (see [`Token::quarantine`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Quarantine {
    pub reason: QuarantineReason,
    /// Where the token was found (the secret scanner's report).
    pub url: String,
    /// From this instant on, calls that are not read-only are refused.
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum QuarantineReason {
    /// A secret scanner reported the token found in public.
    Leaked,
}

/// Why a credential was revoked, as the API shows it on a revoked token
/// (`ApiToken.revocation`). Absent on tokens revoked before reasons were kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Revocation {
    pub reason: RevocationReason,
    pub at: Timestamp,
    /// `leaked`: where the token was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub url: Option<String>,
    /// `leaked`: what kind of place that was (the scanner's `source`: `content`,
    /// `commit`, `gist_content`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub source: Option<String>,
    /// `leaked`: who reported it (`secret-scanning:<key name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub reporter: Option<String>,
    /// `parent_revoked`: the credential whose end took this one along.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub revoked_with: Option<String>,
    /// `parent_revoked`: why that credential ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub cause: Option<RevocationReason>,
}

/// Why a credential was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum RevocationReason {
    /// Revoked by a call (`DELETE` on the token).
    Revoked,
    /// Reported leaked by a secret scanner, under the policy `leaked_token_action:
    /// "revoke"` (the default).
    Leaked,
    /// Ended because a credential it was made through ended (`revoked_with`, `cause`).
    ParentRevoked,
    /// `POST /v1/org/members/{id}/revoke-tokens` (offboarding).
    MemberOffboarded,
    /// Its service account was deleted.
    AccountDeleted,
    /// Its service account was disabled (what the account's credentials made ends).
    AccountDisabled,
    /// The client secret it descends from was reset.
    SecretReset,
    /// The access key it descends from was deleted.
    AccessKeyDeleted,
    /// The trust that minted it was removed.
    TrustRemoved,
    /// The sandbox restarted on its database and minted a new bootstrap token.
    BootstrapReplaced,
}

impl Revocation {
    /// A revocation for `reason` at `at`, with nothing else said.
    pub fn new(reason: RevocationReason, at: Timestamp) -> Revocation {
        Revocation {
            reason,
            at,
            url: None,
            source: None,
            reporter: None,
            revoked_with: None,
            cause: None,
        }
    }

    /// What a credential made through `root` records when `root`'s revocation (this
    /// one) takes it along.
    pub fn taken_along(&self, root: &str) -> Revocation {
        Revocation {
            reason: RevocationReason::ParentRevoked,
            at: self.at,
            url: None,
            source: None,
            reporter: None,
            revoked_with: Some(root.to_owned()),
            cause: Some(match self.reason {
                RevocationReason::ParentRevoked => self.cause.unwrap_or(self.reason),
                r => r,
            }),
        }
    }
}

/// What made a credential: another credential (whose limits bound it, and whose
/// revocation revokes it) or one of the roots: `{"type": "token", "id": "tok_…"}`. The
/// API shows it on every credential (`client::models::ApiToken` and the others); the
/// evaluator's [`Token`] does not need it.
// A flat struct rather than an internally tagged enum: the same JSON, read without
// serde's buffering of the whole map (which cost the wasm 5 KB).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Creator {
    #[serde(rename = "type")]
    pub kind: CreatorKind,
    /// The credential's id (every kind but `bootstrap` and `sandbox_admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub id: Option<String>,
    /// `sandbox_admin`: the administrator's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum CreatorKind {
    /// An API token (personal, or a service account's).
    Token,
    /// A client-credentials bearer.
    Bearer,
    /// A service account's client secret, through the client-credentials grant.
    ClientSecret,
    /// An S3 access key.
    AccessKey,
    /// The token the sandbox mints for the organization owner at start-up.
    Bootstrap,
    /// A sandbox administrator minting for a user (`/_sandbox/users/{id}/tokens`).
    SandboxAdmin,
    /// A service account's trust in an OIDC issuer, through the token exchange.
    Trust,
}

impl Creator {
    fn credential(kind: CreatorKind, id: impl Into<String>) -> Creator {
        Creator {
            kind,
            id: Some(id.into()),
            token: None,
        }
    }

    pub fn token(id: impl Into<String>) -> Creator {
        Creator::credential(CreatorKind::Token, id)
    }

    pub fn bearer(id: impl Into<String>) -> Creator {
        Creator::credential(CreatorKind::Bearer, id)
    }

    pub fn client_secret(id: impl Into<String>) -> Creator {
        Creator::credential(CreatorKind::ClientSecret, id)
    }

    pub fn access_key(id: impl Into<String>) -> Creator {
        Creator::credential(CreatorKind::AccessKey, id)
    }

    pub fn trust(id: impl Into<String>) -> Creator {
        Creator::credential(CreatorKind::Trust, id)
    }

    pub fn bootstrap() -> Creator {
        Creator {
            kind: CreatorKind::Bootstrap,
            id: None,
            token: None,
        }
    }

    pub fn sandbox_admin(token: impl Into<String>) -> Creator {
        Creator {
            kind: CreatorKind::SandboxAdmin,
            id: None,
            token: Some(token.into()),
        }
    }

    /// The id of the credential this names; `None` for a root.
    pub fn credential_id(&self) -> Option<&str> {
        match self.kind {
            CreatorKind::Bootstrap | CreatorKind::SandboxAdmin => None,
            _ => self.id.as_deref(),
        }
    }
}

/// The owner as it is at the moment of the call: the evaluator never trusts what the
/// owner could do when the token was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum OwnerState {
    User(UserState),
    ServiceAccount(ServiceAccountState),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct UserState {
    pub id: String,
    #[serde(default)]
    pub email: String,
    pub organization: String,
    pub status: UserStatus,
    #[serde(default)]
    pub org_role: Option<OrgRole>,
    /// Project id to role.
    #[serde(default)]
    pub project_roles: BTreeMap<String, ProjectRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ServiceAccountState {
    pub id: String,
    /// Lowercase letters, digits and hyphens; unique within its project.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub organization: String,
    /// `null` for an organization-level account, which acts in every project.
    #[serde(default)]
    pub project: Option<String>,
    pub role: ProjectRole,
    /// The account may only act on resources carrying all of these tags.
    #[serde(default)]
    pub tag_selector: BTreeMap<String, String>,
    pub status: ServiceAccountStatus,
    /// Normalized CIDRs the account's client-credentials bearers may be used from (they
    /// carry the list); empty: anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

impl ServiceAccountState {
    /// The role's wire name (`read_only`).
    pub fn role_str(&self) -> &'static str {
        Role::from(self.role).as_str()
    }
}

impl OwnerState {
    pub fn owner_ref(&self) -> OwnerRef {
        match self {
            OwnerState::User(u) => OwnerRef::User { id: u.id.clone() },
            OwnerState::ServiceAccount(s) => OwnerRef::ServiceAccount { id: s.id.clone() },
        }
    }
}

/// One API call to decide. The action is a permission name (`action`) or a REST call
/// (`method` + `path`) that the catalog maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub path: Option<String>,
    /// Defaults to the token's organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub organization: Option<String>,
    /// The project acted in; ignored for organization-level actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub project: Option<String>,
    /// The caller's address; a token with an allow-list denies calls without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional, type = "string"))]
    #[schemars(with = "Option<String>")]
    pub ip: Option<IpAddr>,
    pub time: Timestamp,
    /// Tags of the resource acted on (or being created). Absent when the call targets
    /// no single resource, such as a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub resource_tags: Option<BTreeMap<String, String>>,
}

/// An organization's rules for tokens and service accounts. Every field is optional in
/// JSON; an absent policy means the defaults below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TokenPolicy {
    /// The longest a token may live, in days. Binds at creation and on every use: a
    /// token whose lifetime exceeds the current maximum is treated as expired, even if
    /// it was created before the policy tightened. `null`: no maximum.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    #[schemars(range(min = 1, max = MAX_POLICY_LIFETIME_DAYS))]
    pub max_lifetime_days: Option<u32>,
    /// Whether tokens may be created without an expiry.
    #[serde(default = "yes")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub allow_never_expiring: bool,
    /// Whether service-account tokens must carry an IP allow-list.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub require_allowed_ips_for_service_accounts: bool,
    #[serde(default = "default_sa_limit")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    #[schemars(range(min = 1, max = u32::MAX))]
    pub max_service_accounts_per_project: u32,
    /// What a secret scanner's report of a live token does to it (`docs/secret-scanning.md`):
    /// `revoke` it with everything made through it (the default), or `quarantine` it,
    /// refusing every call that is not read-only until its owner rotates it.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub leaked_token_action: LeakedTokenAction,
}

/// See [`TokenPolicy::leaked_token_action`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum LeakedTokenAction {
    #[default]
    Revoke,
    Quarantine,
}

fn yes() -> bool {
    true
}

fn default_sa_limit() -> u32 {
    25
}

/// The longest `max_lifetime_days` a policy may set: a century, well inside the calendar.
pub const MAX_POLICY_LIFETIME_DAYS: u32 = 36_500;

impl TokenPolicy {
    /// Why this policy cannot be applied, as (field, reason) pairs; empty when it can. A
    /// zero maximum would deny every token, the administrator's own included, and a zero
    /// account limit would forbid every service account.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(d) = self.max_lifetime_days {
            if !(1..=MAX_POLICY_LIFETIME_DAYS).contains(&d) {
                out.push((
                    "max_lifetime_days",
                    format!("{d} days: a maximum lifetime is 1 to {MAX_POLICY_LIFETIME_DAYS} days, or null for none"),
                ));
            }
        }
        if self.max_service_accounts_per_project == 0 {
            out.push((
                "max_service_accounts_per_project",
                "0 would forbid every service account: at least 1".to_owned(),
            ));
        }
        out
    }
}

impl Default for TokenPolicy {
    fn default() -> TokenPolicy {
        TokenPolicy {
            max_lifetime_days: None,
            allow_never_expiring: true,
            require_allowed_ips_for_service_accounts: false,
            max_service_accounts_per_project: default_sa_limit(),
            leaked_token_action: LeakedTokenAction::Revoke,
        }
    }
}

/// Hand-written `Deserialize` for the untagged "a word or a list of strings" shapes
/// (`ProjectScope`, `TokenPermissions`, the allowed-IPs field). They accept exactly what
/// serde's `#[serde(untagged)]` derive accepts, with the same error message, but read
/// the input once instead of buffering it and trying each variant in turn (each failed
/// attempt also built an error, which shows on a form validated at every keystroke).
pub(crate) mod untagged {
    use std::fmt;

    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// What a value looked like, as far as these shapes care.
    pub(crate) enum Shape {
        /// A string (or UTF-8 bytes).
        Text(String),
        /// A list whose items are all strings.
        List(Vec<String>),
        /// A map with exactly one entry whose key is a string and whose value is unit
        /// (`{"all": null}`): what the derive reads as a unit variant.
        UnitVariant(String),
        /// Anything else: matches no variant.
        Other,
    }

    /// One item or key, read without failing on any JSON-like value.
    enum Piece {
        Text(String),
        Unit,
        Other,
    }

    struct PieceVisitor;

    impl<'de> Visitor<'de> for PieceVisitor {
        type Value = Piece;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Piece, E> {
            Ok(Piece::Text(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Piece, E> {
            Ok(Piece::Text(v))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Piece, E> {
            Ok(std::str::from_utf8(v).map_or(Piece::Other, |s| Piece::Text(s.to_owned())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Piece, E> {
            Ok(Piece::Unit)
        }
        fn visit_none<E: de::Error>(self) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_char<E: de::Error>(self, _: char) -> Result<Piece, E> {
            Ok(Piece::Other)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Piece, D::Error> {
            IgnoredAny::deserialize(d).map(|_| Piece::Other)
        }
        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Piece, D::Error> {
            IgnoredAny::deserialize(d).map(|_| Piece::Other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Piece, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Piece::Other)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Piece, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Piece::Other)
        }
    }

    impl<'de> de::Deserialize<'de> for Piece {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Piece, D::Error> {
            d.deserialize_any(PieceVisitor)
        }
    }

    struct ShapeVisitor;

    impl<'de> Visitor<'de> for ShapeVisitor {
        type Value = Shape;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
            Ok(Shape::Text(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Shape, E> {
            Ok(Shape::Text(v))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Shape, E> {
            Ok(std::str::from_utf8(v).map_or(Shape::Other, |s| Shape::Text(s.to_owned())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_char<E: de::Error>(self, _: char) -> Result<Shape, E> {
            Ok(Shape::Other)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
            IgnoredAny::deserialize(d).map(|_| Shape::Other)
        }
        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
            IgnoredAny::deserialize(d).map(|_| Shape::Other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            let mut all_text = true;
            while let Some(p) = seq.next_element::<Piece>()? {
                match p {
                    Piece::Text(s) if all_text => items.push(s),
                    _ => all_text = false,
                }
            }
            Ok(if all_text {
                Shape::List(items)
            } else {
                Shape::Other
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
            let mut first = None;
            let mut entries = 0usize;
            while let Some((k, v)) = map.next_entry::<Piece, Piece>()? {
                entries += 1;
                if entries == 1 {
                    first = Some((k, v));
                }
            }
            Ok(match (entries, first) {
                (1, Some((Piece::Text(k), Piece::Unit))) => Shape::UnitVariant(k),
                _ => Shape::Other,
            })
        }
    }

    /// Reads the shape of the value; never fails on a well-formed input.
    pub(crate) fn shape<'de, D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }

    /// The message serde's untagged derive gives when no variant matches.
    pub(crate) fn no_variant<E: de::Error>(name: &str) -> E {
        E::custom(format_args!(
            "data did not match any variant of untagged enum {name}"
        ))
    }

    use serde::Deserialize as _;
}

impl<'de> Deserialize<'de> for ProjectScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ProjectScope, D::Error> {
        use untagged::Shape;
        match untagged::shape(d)? {
            Shape::Text(w) | Shape::UnitVariant(w) if w == "all" => {
                Ok(ProjectScope::All(AllProjects::All))
            }
            Shape::List(l) => Ok(ProjectScope::Projects(l)),
            _ => Err(untagged::no_variant("ProjectScope")),
        }
    }
}

impl<'de> Deserialize<'de> for TokenPermissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TokenPermissions, D::Error> {
        use untagged::Shape;
        match untagged::shape(d)? {
            Shape::Text(w) | Shape::UnitVariant(w) if w == "inherit" => {
                Ok(TokenPermissions::Inherit(Inherit::Inherit))
            }
            Shape::List(l) => Ok(TokenPermissions::Downscoped(l)),
            _ => Err(untagged::no_variant("TokenPermissions")),
        }
    }
}

/// A token's lifecycle as an API lists it; the evaluator derives it from the token at
/// the moment of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum TokenStatus {
    Active,
    /// Replaced by a rotation; works until `grace_ends_at`.
    Rotating,
    Rotated,
    Revoked,
    Expired,
}

impl TokenStatus {
    /// Whether the token still works (and so still holds its name).
    pub fn is_live(self) -> bool {
        matches!(self, TokenStatus::Active | TokenStatus::Rotating)
    }
}

/// Whether a resource with `tags` is within a tag selector: it carries every `key=value`
/// of it (an empty selector selects everything). The one rule behind the evaluator's
/// `outside_tag_selector` and every list a server filters by it.
#[inline]
pub fn tag_selector_matches<'a>(
    selector: impl IntoIterator<Item = (&'a str, &'a str)>,
    tags: &BTreeMap<String, String>,
) -> bool {
    selector
        .into_iter()
        .all(|(k, v)| tags.get(k).is_some_and(|t| t == v))
}

impl OwnerState {
    /// Whether a resource with `tags` is one this owner may see: a service account's
    /// tag selector decides; a user's role is not tag-bound.
    pub fn selects(&self, tags: &BTreeMap<String, String>) -> bool {
        match self {
            OwnerState::ServiceAccount(s) => tag_selector_matches(
                s.tag_selector.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                tags,
            ),
            OwnerState::User(_) => true,
        }
    }
}

/// One audited call. Never holds a secret: tokens appear by name and prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AuditEvent {
    pub id: String,
    pub time: Timestamp,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub token_name: Option<String>,
    #[serde(default)]
    pub token_prefix: Option<String>,
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    pub status: u16,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub source_ip: Option<String>,
    pub request_id: String,
    /// The calling credential.
    #[serde(default)]
    pub token_id: Option<String>,
    /// A denial's full explanation, or what the call made or ended.
    #[serde(default)]
    pub detail: Option<String>,
    /// The calling secret's SHA-256, base64 (as GitHub's audit log has it): a leaked
    /// token can be traced through the log by its hash, without the log holding it.
    #[serde(default)]
    pub hashed_token: Option<String>,
}
