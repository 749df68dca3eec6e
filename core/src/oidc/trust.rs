//! Trusts (federated credentials): a service account trusts an external OIDC issuer's
//! tokens whose audience, subject and named claims match its conditions, and a matching
//! token is exchanged for a short-lived Cloud Digit token acting as the account. The
//! rules here are the trust's shape (validation, with warnings like the token form's)
//! and the match (which conditions held, and why the others did not); the JWT itself is
//! read and verified in [`super::jwt`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::jwt::Claims;
use crate::model::Timestamp;
use crate::Catalog;

/// A minted token's lifetime when the trust names none, and the longest it may name.
pub const DEFAULT_LIFETIME_MINUTES: u32 = 15;
pub const MAX_LIFETIME_MINUTES: u32 = 60;
/// How far the token's times may be from ours.
pub const MAX_SKEW_SECONDS: i64 = 60;
/// Conditions a trust may hold at most (claims), and audiences.
pub const MAX_CLAIM_CONDITIONS: usize = 16;
pub const MAX_AUDIENCES: usize = 8;
pub const MAX_NAME_CHARS: usize = 64;
const MAX_VALUE_CHARS: usize = 512;

/// Claims a condition may not name: the exchange checks them itself.
const RESERVED_CLAIMS: [&str; 7] = ["iss", "aud", "exp", "nbf", "iat", "jti", "sub"];

/// A trust as it is stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Trust {
    /// `trust_…`, given by the server.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub id: String,
    #[serde(flatten)]
    pub spec: TrustSpec,
}

/// What a trust says: the issuer, its conditions, and the tokens it mints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct TrustSpec {
    pub name: String,
    /// The `iss` its tokens carry, exactly (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// `aud` must hold one of these.
    pub audiences: Vec<String>,
    /// `sub`, exactly or as a glob (`*` stands for a run of characters, even none):
    /// `repo:acme/web:ref:refs/heads/*`.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub subject: Option<String>,
    /// Other claims, each exactly or as a glob: `{"repository_owner_id": "1234567"}`.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub claims: BTreeMap<String, String>,
    /// The minted token's lifetime (default 15, at most 60).
    #[serde(default = "default_lifetime")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub lifetime_minutes: u32,
    /// A downscope for the minted tokens (`null`: the account's role).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub permissions: Option<Vec<String>>,
    /// Projects for the minted tokens (`null`: the account's).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub projects: Option<Vec<String>>,
    /// CIDRs the minted tokens may be used from (empty: the account's list).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub allowed_ips: Vec<String>,
}

fn default_lifetime() -> u32 {
    DEFAULT_LIFETIME_MINUTES
}

/// `*` matches any run of characters (including none, `/` and `:`); everything else
/// matches itself. Case matters, as in the claims.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// What a trust form says about a draft, field by field.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum TrustIssueCode {
    // errors
    NameRequired,
    NameTooLong,
    IssuerInvalid,
    AudienceRequired,
    AudienceInvalid,
    ConditionRequired,
    ConditionMatchesEverything,
    ClaimReserved,
    ClaimInvalid,
    TooManyConditions,
    LifetimeInvalid,
    PermissionUnknown,
    ProjectUnknown,
    InvalidCidr,
    // warnings
    AudienceWildcard,
    SubjectGlobWithoutId,
    IssuerUnknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TrustIssue {
    /// `issuer`, `audiences[1]`, `claims.ref`...
    pub field: String,
    pub code: TrustIssueCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TrustValidation {
    pub errors: Vec<TrustIssue>,
    pub warnings: Vec<TrustIssue>,
}

impl TrustValidation {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

fn push(
    v: &mut Vec<TrustIssue>,
    field: impl Into<String>,
    code: TrustIssueCode,
    message: impl Into<String>,
) {
    v.push(TrustIssue {
        field: field.into(),
        code,
        message: message.into(),
    });
}

/// Whether `url` is an https URL (or http to this machine, for a development issuer),
/// with no query or fragment: what an `iss` must be to be fetched and compared.
fn valid_issuer(url: &str) -> bool {
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or("");
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return false;
        }
        r
    } else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    !host.is_empty() && !rest.contains(['?', '#', ' ']) && !rest.chars().any(char::is_control)
}

/// Issuers the presets know, whose subjects the warnings understand.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
pub const GITLAB_ISSUER: &str = "https://gitlab.com";

/// Checks a trust draft for `account_projects` (the projects the account reaches):
/// errors refuse it, warnings say what it lets in that may be more than meant.
pub fn validate_trust(
    spec: &TrustSpec,
    account_projects: &[String],
    catalog: &Catalog,
) -> TrustValidation {
    use TrustIssueCode as C;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let name = spec.name.trim();
    if name.is_empty() {
        push(
            &mut errors,
            "name",
            C::NameRequired,
            "give the trust a name (what pipeline it is for)",
        );
    } else if name.chars().count() > MAX_NAME_CHARS {
        push(
            &mut errors,
            "name",
            C::NameTooLong,
            format!("at most {MAX_NAME_CHARS} characters"),
        );
    }
    if !valid_issuer(&spec.issuer) {
        push(
            &mut errors,
            "issuer",
            C::IssuerInvalid,
            "an https URL, exactly as the tokens' `iss` claim gives it (http only to this machine, for a development issuer)",
        );
    } else if spec.issuer.ends_with('/') {
        push(
            &mut warnings,
            "issuer",
            C::IssuerUnknown,
            "ends with `/`: `iss` is compared exactly, and most issuers have no trailing slash",
        );
    }
    if spec.audiences.is_empty() {
        push(
            &mut errors,
            "audiences",
            C::AudienceRequired,
            "name at least one audience the tokens must carry in `aud`",
        );
    }
    if spec.audiences.len() > MAX_AUDIENCES {
        push(
            &mut errors,
            "audiences",
            C::TooManyConditions,
            format!("at most {MAX_AUDIENCES} audiences"),
        );
    }
    for (i, a) in spec.audiences.iter().enumerate() {
        if a.trim().is_empty() || a.chars().count() > MAX_VALUE_CHARS {
            push(
                &mut errors,
                format!("audiences[{i}]"),
                C::AudienceInvalid,
                format!("1 to {MAX_VALUE_CHARS} characters"),
            );
        } else if a.contains('*') {
            push(
                &mut warnings,
                format!("audiences[{i}]"),
                C::AudienceWildcard,
                "audiences are compared exactly; `*` is no wildcard here and a token meant for another service could carry it. Name this organization's audience",
            );
        }
    }
    let subject = spec
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if subject.is_none() && spec.claims.is_empty() {
        push(
            &mut errors,
            "subject",
            C::ConditionRequired,
            "give a subject or at least one claim condition: without one, every token the issuer signs for this audience would be accepted",
        );
    }
    let everything = |v: &str| v.chars().all(|c| c == '*');
    if subject.is_some_and(everything) && spec.claims.values().all(|v| everything(v)) {
        push(
            &mut errors,
            "subject",
            C::ConditionMatchesEverything,
            "`*` matches every subject: pin the repository, branch or environment",
        );
    }
    if spec.claims.len() > MAX_CLAIM_CONDITIONS {
        push(
            &mut errors,
            "claims",
            C::TooManyConditions,
            format!("at most {MAX_CLAIM_CONDITIONS} claim conditions"),
        );
    }
    for (k, v) in &spec.claims {
        let field = format!("claims.{k}");
        if RESERVED_CLAIMS.contains(&k.as_str()) {
            push(
                &mut errors,
                field,
                C::ClaimReserved,
                format!("`{k}` is checked by the exchange itself (use `subject` for `sub`, `issuer`, `audiences`)"),
            );
        } else if k.trim().is_empty()
            || v.is_empty()
            || v.chars().count() > MAX_VALUE_CHARS
            || k.len() > MAX_NAME_CHARS
        {
            push(
                &mut errors,
                field,
                C::ClaimInvalid,
                format!("a claim name and a value of 1 to {MAX_VALUE_CHARS} characters"),
            );
        }
    }
    // A subject glob that names an owner or a repository by name can be satisfied by
    // whoever registers that name after it is freed (account resurrection): pin the
    // owner's or repository's numeric id as well.
    if let Some(s) = subject {
        let pins_id = spec.claims.keys().any(|k| k.ends_with("_id"))
            || spec.claims.contains_key("namespace_id");
        if s.contains('*') && !pins_id {
            push(
                &mut warnings,
                "subject",
                C::SubjectGlobWithoutId,
                "a glob on names matches whoever holds those names later (a deleted organization or repository can be registered again): add an id condition such as `repository_owner_id` or `project_id`",
            );
        }
    }
    if !(1..=MAX_LIFETIME_MINUTES).contains(&spec.lifetime_minutes) {
        push(
            &mut errors,
            "lifetime_minutes",
            C::LifetimeInvalid,
            format!("1 to {MAX_LIFETIME_MINUTES} minutes (default {DEFAULT_LIFETIME_MINUTES})"),
        );
    }
    if let Some(perms) = &spec.permissions {
        for (i, p) in perms.iter().enumerate() {
            if catalog.expand(p).is_none() && catalog.get(p).is_none() {
                push(
                    &mut errors,
                    format!("permissions[{i}]"),
                    C::PermissionUnknown,
                    format!("{p:?} is not in the permission catalog"),
                );
            }
        }
    }
    if let Some(projects) = &spec.projects {
        for (i, p) in projects.iter().enumerate() {
            if !account_projects.contains(p) {
                push(
                    &mut errors,
                    format!("projects[{i}]"),
                    C::ProjectUnknown,
                    format!("{p:?} is not a project the account reaches"),
                );
            }
        }
    }
    let report = crate::check_allowed_ips(&spec.allowed_ips.join(","));
    for e in report.errors.iter() {
        push(
            &mut errors,
            format!("allowed_ips[{}]", e.index),
            C::InvalidCidr,
            e.message.clone(),
        );
    }
    TrustValidation { errors, warnings }
}

/// One check of a token against a trust.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum TrustCheck {
    Issuer,
    Audience,
    Expiry,
    NotBefore,
    IssuedAt,
    Subject,
    Claim,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TrustCheckResult {
    pub check: TrustCheck,
    pub passed: bool,
    /// What was compared. Claim values the token carries are shown (they are not
    /// secrets; the token's signature is never shown).
    pub detail: String,
}

/// A token read against one trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TrustMatch {
    pub trust: String,
    pub matched: bool,
    pub checks: Vec<TrustCheckResult>,
}

impl TrustMatch {
    /// The first failed check, for a one-line reason.
    pub fn failure(&self) -> Option<&TrustCheckResult> {
        self.checks.iter().find(|c| !c.passed)
    }
}

fn claim_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads `claims` against `trust` at `now`: every check, passed or not (the time checks
/// allow [`MAX_SKEW_SECONDS`]).
pub fn match_trust(trust: &Trust, claims: &Claims, now: Timestamp) -> TrustMatch {
    let s = &trust.spec;
    let mut checks = Vec::new();
    let mut add = |check, passed, detail: String| {
        checks.push(TrustCheckResult {
            check,
            passed,
            detail,
        })
    };
    let iss = claims.string("iss").unwrap_or_default();
    add(
        TrustCheck::Issuer,
        iss == s.issuer,
        if iss == s.issuer {
            format!("iss is {iss:?}")
        } else {
            format!("iss is {iss:?}; the trust is for {:?}", s.issuer)
        },
    );
    let auds = claims.audiences();
    let aud_ok = auds.iter().any(|a| s.audiences.contains(a));
    add(
        TrustCheck::Audience,
        aud_ok,
        if aud_ok {
            "aud holds an audience the trust accepts".into()
        } else {
            format!("aud is {auds:?}; the trust accepts {:?}", s.audiences)
        },
    );
    let t = now.timestamp();
    match claims.number("exp") {
        Some(exp) => add(
            TrustCheck::Expiry,
            t <= exp + MAX_SKEW_SECONDS,
            if t <= exp + MAX_SKEW_SECONDS {
                format!("expires in {} s", exp - t)
            } else {
                format!("expired {} s ago", t - exp)
            },
        ),
        None => add(TrustCheck::Expiry, false, "the token has no exp".into()),
    }
    if let Some(nbf) = claims.number("nbf") {
        add(
            TrustCheck::NotBefore,
            nbf <= t + MAX_SKEW_SECONDS,
            if nbf <= t + MAX_SKEW_SECONDS {
                "nbf has passed".into()
            } else {
                format!("not valid for another {} s (nbf)", nbf - t)
            },
        );
    }
    if let Some(iat) = claims.number("iat") {
        add(
            TrustCheck::IssuedAt,
            iat <= t + MAX_SKEW_SECONDS,
            if iat <= t + MAX_SKEW_SECONDS {
                "iat has passed".into()
            } else {
                format!("issued {} s in the future (iat)", iat - t)
            },
        );
    }
    if let Some(pattern) = s.subject.as_deref().filter(|p| !p.trim().is_empty()) {
        let sub = claims.string("sub");
        let ok = sub.as_deref().is_some_and(|v| glob_matches(pattern, v));
        add(
            TrustCheck::Subject,
            ok,
            match &sub {
                Some(v) if ok => format!("sub {v:?} matches {pattern:?}"),
                Some(v) => format!("sub {v:?} does not match {pattern:?}"),
                None => "the token has no sub".into(),
            },
        );
    }
    for (name, pattern) in &s.claims {
        let value = claims.0.get(name).and_then(claim_text);
        let ok = value.as_deref().is_some_and(|v| glob_matches(pattern, v));
        add(
            TrustCheck::Claim,
            ok,
            match &value {
                Some(v) if ok => format!("{name} {v:?} matches {pattern:?}"),
                Some(v) => format!("{name} {v:?} does not match {pattern:?}"),
                None => format!("the token has no {name} (or not as text)"),
            },
        );
    }
    let matched = checks.iter().all(|c| c.passed);
    TrustMatch {
        trust: trust.id.clone(),
        matched,
        checks,
    }
}

/// Every trust read against the token: the first that matches is the one the exchange
/// uses, and the others say why they did not.
pub fn choose<'a>(
    trusts: &'a [Trust],
    claims: &Claims,
    now: Timestamp,
) -> (Option<&'a Trust>, Vec<TrustMatch>) {
    let matches: Vec<TrustMatch> = trusts.iter().map(|t| match_trust(t, claims, now)).collect();
    let chosen = matches.iter().position(|m| m.matched).map(|i| &trusts[i]);
    (chosen, matches)
}

/// Starting points for the common CI issuers (the user fills in the names).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::EnumIter,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Preset {
    /// A workflow on a branch: `repo:OWNER/REPO:ref:refs/heads/BRANCH`.
    GithubBranch,
    /// A job in a deployment environment: `repo:OWNER/REPO:environment:NAME`.
    GithubEnvironment,
    /// A pull request's workflow: `repo:OWNER/REPO:pull_request`.
    GithubPullRequest,
    /// GitLab CI: `project_path:GROUP/PROJECT:ref_type:branch:ref:BRANCH`.
    GitlabBranch,
    /// A Kubernetes service account's projected token:
    /// `system:serviceaccount:NAMESPACE:NAME`.
    KubernetesServiceAccount,
}

impl Preset {
    /// A draft trust for `owner/repo`-style `path`, `branch_or_env` and `audience`: the
    /// issuer and the subject in the platform's format, with the id claim to pin left
    /// for the user (its value is not in the name).
    pub fn draft(self, path: &str, branch_or_env: &str, audience: &str) -> TrustSpec {
        let (issuer, subject, id_claim) = match self {
            Preset::GithubBranch => (
                GITHUB_ISSUER.to_owned(),
                format!("repo:{path}:ref:refs/heads/{branch_or_env}"),
                Some("repository_owner_id"),
            ),
            Preset::GithubEnvironment => (
                GITHUB_ISSUER.to_owned(),
                format!("repo:{path}:environment:{branch_or_env}"),
                Some("repository_owner_id"),
            ),
            Preset::GithubPullRequest => (
                GITHUB_ISSUER.to_owned(),
                format!("repo:{path}:pull_request"),
                Some("repository_owner_id"),
            ),
            Preset::GitlabBranch => (
                GITLAB_ISSUER.to_owned(),
                format!("project_path:{path}:ref_type:branch:ref:{branch_or_env}"),
                Some("namespace_id"),
            ),
            Preset::KubernetesServiceAccount => (
                "https://kubernetes.default.svc".to_owned(),
                format!("system:serviceaccount:{path}:{branch_or_env}"),
                None,
            ),
        };
        let mut claims = BTreeMap::new();
        if let Some(c) = id_claim {
            claims.insert(c.to_owned(), String::new());
        }
        TrustSpec {
            name: String::new(),
            issuer,
            audiences: vec![audience.to_owned()],
            subject: Some(subject),
            claims,
            lifetime_minutes: DEFAULT_LIFETIME_MINUTES,
            permissions: None,
            projects: None,
            allowed_ips: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TrustSpec {
        let mut s =
            Preset::GithubBranch.draft("acme/web", "main", "https://iam.clouddigit.ai/acme");
        s.name = "web-deploy".into();
        s.claims.insert("repository_owner_id".into(), "4242".into());
        s
    }

    fn codes(v: &[TrustIssue]) -> Vec<&'static str> {
        v.iter().map(|i| <&str>::from(i.code)).collect()
    }

    #[test]
    fn globs_match_runs_of_anything() {
        assert!(glob_matches(
            "repo:acme/web:ref:refs/heads/*",
            "repo:acme/web:ref:refs/heads/main"
        ));
        assert!(glob_matches(
            "repo:acme/web:ref:refs/heads/*",
            "repo:acme/web:ref:refs/heads/a/b"
        ));
        assert!(!glob_matches(
            "repo:acme/web:ref:refs/heads/*",
            "repo:acme/web:pull_request"
        ));
        assert!(glob_matches(
            "repo:acme/*:environment:prod",
            "repo:acme/api:environment:prod"
        ));
        assert!(!glob_matches(
            "repo:acme/*:environment:prod",
            "repo:acme/api:environment:staging"
        ));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
        assert!(!glob_matches("main", "Main"));
        assert!(glob_matches("**", "x"));
    }

    #[test]
    fn a_preset_with_its_id_pinned_is_clean() {
        let v = validate_trust(&spec(), &["web".into()], Catalog::builtin());
        assert!(v.errors.is_empty() && v.warnings.is_empty(), "{v:?}");
    }

    #[test]
    fn drafts_that_let_too_much_in_are_refused_or_warned() {
        let cat = Catalog::builtin();
        let projects = ["web".to_owned()];
        let mut s = spec();
        s.subject = None;
        s.claims.clear();
        assert_eq!(
            codes(&validate_trust(&s, &projects, cat).errors),
            ["condition_required"]
        );
        s.subject = Some("*".into());
        assert_eq!(
            codes(&validate_trust(&s, &projects, cat).errors),
            ["condition_matches_everything"]
        );
        let mut s = spec();
        s.claims.clear();
        s.subject = Some("repo:acme/*".into());
        assert_eq!(
            codes(&validate_trust(&s, &projects, cat).warnings),
            ["subject_glob_without_id"]
        );
        let mut s = spec();
        s.audiences = vec!["*".into()];
        assert_eq!(
            codes(&validate_trust(&s, &projects, cat).warnings),
            ["audience_wildcard"]
        );
        s.audiences.clear();
        assert_eq!(
            codes(&validate_trust(&s, &projects, cat).errors),
            ["audience_required"]
        );
        let mut s = spec();
        s.issuer = "http://ci.example.com".into();
        s.lifetime_minutes = 61;
        s.claims.insert("exp".into(), "1".into());
        s.permissions = Some(vec!["compute.servers.teleport".into()]);
        s.projects = Some(vec!["prod".into()]);
        s.allowed_ips = vec!["10.0.0.1/8".into()];
        let v = validate_trust(&s, &projects, cat);
        assert_eq!(
            codes(&v.errors),
            [
                "issuer_invalid",
                "claim_reserved",
                "lifetime_invalid",
                "permission_unknown",
                "project_unknown",
                "invalid_cidr"
            ]
        );
        // Fields are named as the form names them.
        assert_eq!(v.errors[1].field, "claims.exp");
        let mut s = spec();
        s.issuer = "http://127.0.0.1:8787/_sandbox/oidc".into();
        assert!(validate_trust(&s, &projects, cat).ok());
    }
}
