//! `clouddigit lint`: findings over a token inventory (the tokens export), the
//! seeds' best practices as checks, the organization's policy, and (with an audit export)
//! how each token is really used.

use std::collections::{BTreeSet, HashMap};

use chrono::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::least_privilege::AuditCall;
use crate::model::{OwnerRef, ProjectScope, Timestamp, Token, TokenPolicy};

/// One inventory line: a token's metadata plus when it was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct InventoryToken {
    #[serde(flatten)]
    pub token: Token,
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
}

/// A finding's stable code (the JSON's `code`; the text shows it in brackets).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum LintCode {
    NeverExpires,
    ExpiresSoon,
    /// Not used for [`LintOptions::unused_days`] days (90 unless asked otherwise; the
    /// code keeps the default's name).
    Unused90Days,
    NoAllowListServiceAccount,
    AllProjectsScope,
    SharedAcrossEnvironments,
    /// A personal token without an IP allow-list.
    NoAllowList,
    /// A personal token named for CI ([`ci_word`]).
    PersonalTokenCiName,
    /// A personal token whose audited calls look like CI ([`CI_DISTINCT_IPS`],
    /// [`ci_agent`]).
    PersonalTokenCiUsage,
    /// Lives longer than the policy's `max_lifetime_days`: every call is refused as expired.
    PolicyMaxLifetime,
    /// Never expires where the policy requires an expiry.
    PolicyNeverExpiring,
    /// A service-account token without an allow-list where the policy requires one.
    PolicyAllowedIpsRequired,
}

impl LintCode {
    pub const ALL: [LintCode; 12] = [
        LintCode::NeverExpires,
        LintCode::ExpiresSoon,
        LintCode::Unused90Days,
        LintCode::NoAllowListServiceAccount,
        LintCode::AllProjectsScope,
        LintCode::SharedAcrossEnvironments,
        LintCode::NoAllowList,
        LintCode::PersonalTokenCiName,
        LintCode::PersonalTokenCiUsage,
        LintCode::PolicyMaxLifetime,
        LintCode::PolicyNeverExpiring,
        LintCode::PolicyAllowedIpsRequired,
    ];

    /// The code as the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            LintCode::NeverExpires => "never_expires",
            LintCode::ExpiresSoon => "expires_soon",
            LintCode::Unused90Days => "unused90_days",
            LintCode::NoAllowListServiceAccount => "no_allow_list_service_account",
            LintCode::AllProjectsScope => "all_projects_scope",
            LintCode::SharedAcrossEnvironments => "shared_across_environments",
            LintCode::NoAllowList => "no_allow_list",
            LintCode::PersonalTokenCiName => "personal_token_ci_name",
            LintCode::PersonalTokenCiUsage => "personal_token_ci_usage",
            LintCode::PolicyMaxLifetime => "policy_max_lifetime",
            LintCode::PolicyNeverExpiring => "policy_never_expiring",
            LintCode::PolicyAllowedIpsRequired => "policy_allowed_ips_required",
        }
    }

    /// How much a finding of this code matters.
    pub fn severity(self) -> Severity {
        match self {
            LintCode::ExpiresSoon | LintCode::NoAllowList => Severity::Low,
            LintCode::NeverExpires
            | LintCode::Unused90Days
            | LintCode::NoAllowListServiceAccount
            | LintCode::AllProjectsScope
            | LintCode::SharedAcrossEnvironments
            | LintCode::PersonalTokenCiName => Severity::Medium,
            LintCode::PersonalTokenCiUsage
            | LintCode::PolicyMaxLifetime
            | LintCode::PolicyNeverExpiring
            | LintCode::PolicyAllowedIpsRequired => Severity::High,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct LintFinding {
    pub token_id: String,
    pub token_name: String,
    /// The token's prefix (`cd_` and 6 characters), never more of a secret.
    pub prefix: String,
    pub code: LintCode,
    pub severity: Severity,
    pub message: String,
}

/// What `lint` checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    pub now: Timestamp,
    /// A token not used for this many days is reported (`unused90_days`).
    pub unused_days: u32,
    /// The organization's token policy: breaches are reported.
    pub policy: Option<TokenPolicy>,
}

/// The default of [`LintOptions::unused_days`].
pub const DEFAULT_UNUSED_DAYS: u32 = 90;

impl LintOptions {
    pub fn new(now: Timestamp) -> LintOptions {
        LintOptions {
            now,
            unused_days: DEFAULT_UNUSED_DAYS,
            policy: None,
        }
    }
}

/// A personal token called from at least this many distinct source addresses is taken
/// for one used from CI. Hosted runners (GitHub Actions, GitLab.com's shared runners)
/// get a fresh address for most jobs, so a pipeline reaches ten within days; a person
/// works from a few networks (home, office, phone, VPN) and rarely from ten.
pub const CI_DISTINCT_IPS: usize = 10;

/// Words in a token's name that say it is for CI or deployment. A name's words are its
/// runs of letters and digits, lower-cased; `ci` must be a whole word, the others may
/// start a word (`deployer`, `pipelines`) or, for the product names, appear in one
/// (`mygithubbot`).
const CI_WORDS: &[&str] = &["ci", "pipeline", "deploy", "runner", "cicd"];
const CI_PRODUCTS: &[&str] = &[
    "github",
    "gitlab",
    "jenkins",
    "buildkite",
    "circleci",
    "travis",
    "teamcity",
    "bitbucket",
    "azuredevops",
    "argocd",
    "tekton",
    "drone",
    "spinnaker",
    "actions",
];

/// The CI word in a token's name, if any ([`CI_WORDS`], [`CI_PRODUCTS`]).
pub fn ci_word(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    for word in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        for w in CI_WORDS {
            if word == *w || (w.len() > 2 && word.starts_with(w)) {
                return Some(w);
            }
        }
        if let Some(p) = CI_PRODUCTS.iter().find(|p| word.contains(**p)) {
            return Some(p);
        }
    }
    None
}

/// User-agent fragments of CI systems' HTTP clients and runners (case-insensitive).
const CI_AGENTS: &[&str] = &[
    "github-actions",
    "github-hosted",
    "gitlab-runner",
    "gitlab-ci",
    "jenkins",
    "buildkite",
    "circleci",
    "travis",
    "azure-pipelines",
    "vsts",
    "bitbucket-pipelines",
    "teamcity",
    "drone",
    "tekton",
    "argo",
];

/// The CI system a user agent names, if any ([`CI_AGENTS`]).
pub fn ci_agent(user_agent: &str) -> Option<&'static str> {
    let lower = user_agent.to_ascii_lowercase();
    CI_AGENTS.iter().copied().find(|a| lower.contains(a))
}

/// How one token was used, from the audit events that name its prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub events: usize,
    /// Distinct source addresses, up to [`CI_DISTINCT_IPS`] (no more are kept).
    pub source_ips: BTreeSet<String>,
    /// Calls whose user agent named a CI system, and the first system named.
    pub ci_agent_calls: usize,
    pub ci_agent: Option<&'static str>,
}

impl TokenUsage {
    /// Why these calls look like CI, if they do.
    pub fn ci_reason(&self) -> Option<String> {
        if let Some(agent) = self.ci_agent {
            return Some(format!(
                "{} call(s) came from a CI user agent ({agent})",
                self.ci_agent_calls
            ));
        }
        (self.source_ips.len() >= CI_DISTINCT_IPS).then(|| {
            format!(
                "its calls came from {CI_DISTINCT_IPS} or more source addresses, as hosted CI runners' do"
            )
        })
    }
}

/// Accumulates audit events, one at a time, into per-token usage: memory grows with the
/// number of tokens, not of events.
#[derive(Debug, Clone, Default)]
pub struct AuditUsage {
    tokens: HashMap<String, TokenUsage, rustc_hash::FxBuildHasher>,
    events: usize,
}

impl AuditUsage {
    pub fn new() -> AuditUsage {
        AuditUsage::default()
    }

    pub fn add(&mut self, e: &AuditCall<'_>) {
        self.events += 1;
        let Some(prefix) = e.token_prefix.as_deref() else {
            return;
        };
        let u = match self.tokens.get_mut(prefix) {
            Some(u) => u,
            None => self.tokens.entry(prefix.to_owned()).or_default(),
        };
        u.events += 1;
        if let Some(ip) = e.source_ip.as_deref() {
            if u.source_ips.len() < CI_DISTINCT_IPS && !u.source_ips.contains(ip) {
                u.source_ips.insert(ip.to_owned());
            }
        }
        if let Some(agent) = e.user_agent.as_deref().and_then(ci_agent) {
            u.ci_agent_calls += 1;
            u.ci_agent.get_or_insert(agent);
        }
    }

    /// One JSON line of an audit export (blank lines are skipped); the error is serde's.
    pub fn add_line(&mut self, line: &str) -> Result<(), String> {
        let l = line.trim();
        if l.is_empty() {
            return Ok(());
        }
        let e = AuditCall::parse(l).map_err(|e| e.to_string())?;
        self.add(&e);
        Ok(())
    }

    /// Adds what `later` gathered (from events after this one's) and empties it.
    pub fn absorb(&mut self, later: &mut AuditUsage) {
        self.events += std::mem::take(&mut later.events);
        for (prefix, theirs) in later.tokens.drain() {
            let u = self.tokens.entry(prefix).or_default();
            u.events += theirs.events;
            for ip in theirs.source_ips {
                if u.source_ips.len() >= CI_DISTINCT_IPS {
                    break;
                }
                u.source_ips.insert(ip);
            }
            u.ci_agent_calls += theirs.ci_agent_calls;
            if u.ci_agent.is_none() {
                u.ci_agent = theirs.ci_agent;
            }
        }
    }

    /// Events read.
    pub fn events(&self) -> usize {
        self.events
    }

    pub fn get(&self, prefix: &str) -> Option<&TokenUsage> {
        self.tokens.get(prefix)
    }
}

/// Findings for live tokens (revoked, expired and rotated-out ones are skipped).
pub fn lint(tokens: &[InventoryToken], now: Timestamp) -> Vec<LintFinding> {
    let opts = LintOptions::new(now);
    let mut out = Vec::new();
    for it in tokens {
        lint_token(it, &opts, None, &mut out);
    }
    out
}

/// The findings for one inventory token, appended to `out`; `usage`: its calls in an
/// audit export, when one was given. A token of the inventory is linted on its own, so
/// an inventory streams.
pub fn lint_token(
    it: &InventoryToken,
    opts: &LintOptions,
    usage: Option<&AuditUsage>,
    out: &mut Vec<LintFinding>,
) {
    let now = opts.now;
    let t = &it.token;
    // Live as the API would list it without a policy: a token the policy already
    // refuses is reported below, not skipped.
    if !crate::validate::token_is_active(t, now) {
        return;
    }
    let prefix: String = t
        .prefix
        .chars()
        .take(crate::secret::TOKEN_PREFIX.len() + crate::secret::PREFIX_RANDOM_CHARS)
        .collect();
    let name = crate::scan::redact_secrets(&t.name);
    let mut add = |code: LintCode, message: String| {
        out.push(LintFinding {
            token_id: t.id.clone(),
            token_name: name.clone(),
            prefix: prefix.clone(),
            code,
            severity: code.severity(),
            message,
        })
    };
    match t.expires_at {
        None => add(
            LintCode::NeverExpires,
            "never expires: set the shortest practical expiry and rotate".into(),
        ),
        Some(e) if e - now <= Duration::days(7) => add(
            LintCode::ExpiresSoon,
            format!(
                "expires {} — rotate it before then",
                crate::timefmt::minute(e)
            ),
        ),
        Some(_) => {}
    }
    let last = it.last_used_at.unwrap_or(t.created_at);
    if now - last >= Duration::days(i64::from(opts.unused_days)) {
        add(
            LintCode::Unused90Days,
            match it.last_used_at {
                Some(l) => format!(
                    "not used since {} ({} days or more): revoke it if nothing needs it",
                    crate::timefmt::date(l),
                    opts.unused_days
                ),
                None => format!(
                    "never used since it was created on {}: revoke it",
                    crate::timefmt::date(t.created_at)
                ),
            },
        );
    }
    if matches!(t.owner, OwnerRef::ServiceAccount { .. }) && t.allowed_ips.is_empty() {
        add(
            LintCode::NoAllowListServiceAccount,
            "service-account token without an IP allow-list: restrict it to the runners' addresses"
                .into(),
        );
    }
    match &t.projects {
        ProjectScope::All(_) => add(
            LintCode::AllProjectsScope,
            "scoped to all projects, including future ones: list the projects it needs".into(),
        ),
        ProjectScope::Projects(list) => {
            let envs: BTreeSet<&str> = list
                .iter()
                .filter_map(|p| crate::validate::environment(p))
                .collect();
            if envs.len() > 1 {
                add(
                    LintCode::SharedAcrossEnvironments,
                    format!(
                        "one token spans {}: use one token per environment",
                        envs.into_iter().collect::<Vec<_>>().join(" and ")
                    ),
                );
            }
        }
    }
    let personal = matches!(t.owner, OwnerRef::User { .. });
    if personal && t.allowed_ips.is_empty() {
        add(
            LintCode::NoAllowList,
            "no IP allow-list: where it is used from fixed addresses, restrict it to them".into(),
        );
    }
    if personal {
        if let Some(word) = ci_word(&t.name) {
            add(
                LintCode::PersonalTokenCiName,
                format!("a personal token named for CI ({word:?}): give the pipeline a service account (or an OIDC trust), so it does not act as a person and outlive their access"),
            );
        }
        if let Some(reason) = usage
            .and_then(|u| u.get(&t.prefix))
            .and_then(TokenUsage::ci_reason)
        {
            add(
                LintCode::PersonalTokenCiUsage,
                format!("a personal token used like CI: {reason}; move the pipeline to a service account (or an OIDC trust)"),
            );
        }
    }
    if let Some(policy) = &opts.policy {
        if let Some(max) = policy.max_lifetime_days {
            let refused = crate::evaluator::token_status(t, now, Some(policy))
                == crate::evaluator::TokenStatus::Expired;
            if refused {
                add(
                    LintCode::PolicyMaxLifetime,
                    format!("lives longer than the organization's maximum of {max} days: every call is refused as expired; rotate it with a shorter expiry"),
                );
            }
        }
        if t.expires_at.is_none() && !policy.allow_never_expiring {
            add(
                LintCode::PolicyNeverExpiring,
                "never expires, and the organization's policy requires an expiry: rotate it with one".into(),
            );
        }
        if policy.require_allowed_ips_for_service_accounts
            && matches!(t.owner, OwnerRef::ServiceAccount { .. })
            && t.allowed_ips.is_empty()
        {
            add(
                LintCode::PolicyAllowedIpsRequired,
                "a service-account token without an IP allow-list, which the organization's policy requires".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let line = |json: &str| -> InventoryToken { serde_json::from_str(json).unwrap() };
        let inv = vec![
            line(
                r#"{"id":"t1","name":"old","prefix":"cd_aaaaaa","owner":{"type":"service_account","id":"sa"},"organization":"o","projects":["shop-prod","shop-dev"],"permissions":"inherit","created_at":"2026-01-01T00:00:00Z","expires_at":null}"#,
            ),
            line(
                r#"{"id":"t2","name":"soon","prefix":"cd_bbbbbb","owner":{"type":"user","id":"u"},"organization":"o","projects":"all","permissions":"inherit","created_at":"2026-11-01T00:00:00Z","expires_at":"2026-11-25T00:00:00Z","last_used_at":"2026-11-22T00:00:00Z"}"#,
            ),
            line(
                r#"{"id":"t3","name":"dead","prefix":"cd_cccccc","owner":{"type":"user","id":"u"},"organization":"o","projects":["web"],"permissions":"inherit","created_at":"2026-01-01T00:00:00Z","expires_at":null,"revoked_at":"2026-02-01T00:00:00Z"}"#,
            ),
        ];
        let got: Vec<(String, LintCode)> = lint(&inv, now)
            .into_iter()
            .map(|f| (f.token_id, f.code))
            .collect();
        assert_eq!(
            got,
            vec![
                ("t1".into(), LintCode::NeverExpires),
                ("t1".into(), LintCode::Unused90Days),
                ("t1".into(), LintCode::NoAllowListServiceAccount),
                ("t1".into(), LintCode::SharedAcrossEnvironments),
                ("t2".into(), LintCode::ExpiresSoon),
                ("t2".into(), LintCode::AllProjectsScope),
                ("t2".into(), LintCode::NoAllowList),
            ]
        );
    }

    const NOW: &str = "2026-11-23T10:00:00Z";

    fn token(fields: &str) -> InventoryToken {
        let base = r#""id":"t","name":"laptop","prefix":"cd_aaaaaa","owner":{"type":"user","id":"u"},"organization":"o","projects":["web"],"permissions":"inherit","created_at":"2026-11-01T00:00:00Z","expires_at":"2026-12-20T00:00:00Z","allowed_ips":["203.0.113.0/24"],"last_used_at":"2026-11-22T00:00:00Z""#;
        let mut v: serde_json::Value = serde_json::from_str(&format!("{{{base}}}")).unwrap();
        let extra: serde_json::Value = serde_json::from_str(fields).unwrap();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::from_value(v).unwrap()
    }

    fn codes(t: &InventoryToken, opts: &LintOptions, usage: Option<&AuditUsage>) -> Vec<LintCode> {
        let mut out = Vec::new();
        lint_token(t, opts, usage, &mut out);
        out.into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn codes_and_severities_are_stable() {
        for c in LintCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(LintCode::Unused90Days.as_str(), "unused90_days");
        assert_eq!(LintCode::PolicyMaxLifetime.severity(), Severity::High);
        assert_eq!(serde_json::to_value(Severity::Medium).unwrap(), "medium");
    }

    #[test]
    fn a_clean_token_and_unused_days() {
        let opts = LintOptions::new(NOW.parse().unwrap());
        assert!(codes(&token("{}"), &opts, None).is_empty());
        let opts = LintOptions {
            unused_days: 1,
            ..opts
        };
        assert_eq!(codes(&token("{}"), &opts, None), [LintCode::Unused90Days]);
    }

    #[test]
    fn personal_tokens_used_from_ci() {
        let opts = LintOptions::new(NOW.parse().unwrap());
        for name in [
            "ci-reader",
            "GitHub deploy",
            "gitlab_runner",
            "deployer",
            "my-pipelines",
            "JENKINS",
        ] {
            let t = token(&format!(r#"{{"name":{name:?}}}"#));
            assert_eq!(
                codes(&t, &opts, None),
                [LintCode::PersonalTokenCiName],
                "{name}"
            );
        }
        for name in ["special", "decision", "alice laptop", "cinema"] {
            let t = token(&format!(r#"{{"name":{name:?}}}"#));
            assert!(codes(&t, &opts, None).is_empty(), "{name}");
        }
        // A service account's token named for CI is what it should be.
        let sa = token(r#"{"name":"ci","owner":{"type":"service_account","id":"sa"}}"#);
        assert!(codes(&sa, &opts, None).is_empty());

        let mut usage = AuditUsage::new();
        let event = |ip: &str, ua: &str| {
            format!(
                r#"{{"method":"GET","path":"/v1/x","token_prefix":"cd_aaaaaa","source_ip":"{ip}","user_agent":"{ua}"}}"#
            )
        };
        for i in 0..CI_DISTINCT_IPS - 1 {
            usage
                .add_line(&event(&format!("198.51.100.{i}"), "curl/8"))
                .unwrap();
            usage
                .add_line(&event(&format!("198.51.100.{i}"), "curl/8"))
                .unwrap();
        }
        let t = token("{}");
        assert!(codes(&t, &opts, Some(&usage)).is_empty());
        usage.add_line(&event("192.0.2.1", "curl/8")).unwrap();
        assert_eq!(
            codes(&t, &opts, Some(&usage)),
            [LintCode::PersonalTokenCiUsage]
        );
        assert_eq!(
            usage.get("cd_aaaaaa").unwrap().source_ips.len(),
            CI_DISTINCT_IPS
        );
        let mut usage = AuditUsage::new();
        usage
            .add_line(&event("192.0.2.1", "clouddigit-python/0.1 GitHub-Actions"))
            .unwrap();
        usage.add_line("").unwrap();
        assert_eq!(usage.events(), 1);
        assert_eq!(
            codes(&t, &opts, Some(&usage)),
            [LintCode::PersonalTokenCiUsage]
        );
        assert!(usage.add_line("{").is_err());
    }

    #[test]
    fn organization_policy() {
        let now: Timestamp = NOW.parse().unwrap();
        let policy: TokenPolicy = serde_json::from_str(
            r#"{"max_lifetime_days":30,"allow_never_expiring":false,"require_allowed_ips_for_service_accounts":true}"#,
        )
        .unwrap();
        let opts = LintOptions {
            policy: Some(policy),
            ..LintOptions::new(now)
        };
        // 49 days of life against 30.
        assert_eq!(
            codes(&token("{}"), &opts, None),
            [LintCode::PolicyMaxLifetime]
        );
        let short =
            token(r#"{"created_at":"2026-11-20T00:00:00Z","expires_at":"2026-12-15T00:00:00Z"}"#);
        assert!(codes(&short, &opts, None).is_empty());
        let never = token(r#"{"expires_at":null}"#);
        assert_eq!(
            codes(&never, &opts, None),
            [
                LintCode::NeverExpires,
                LintCode::PolicyMaxLifetime,
                LintCode::PolicyNeverExpiring
            ]
        );
        let sa = token(
            r#"{"created_at":"2026-11-20T00:00:00Z","expires_at":"2026-12-15T00:00:00Z","allowed_ips":[],"owner":{"type":"service_account","id":"sa"}}"#,
        );
        assert_eq!(
            codes(&sa, &opts, None),
            [
                LintCode::NoAllowListServiceAccount,
                LintCode::PolicyAllowedIpsRequired
            ]
        );
    }

    #[test]
    fn only_the_prefix_and_no_secret_in_a_finding() {
        let random = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
        let secret = format!("cd_{random}{}", crate::secret::checksum(random));
        let t = token(&format!(
            r#"{{"name":"ci {secret}","prefix":"{secret}","expires_at":null}}"#
        ));
        let mut out = Vec::new();
        lint_token(&t, &LintOptions::new(NOW.parse().unwrap()), None, &mut out);
        assert!(!out.is_empty());
        for f in &out {
            assert_eq!(f.prefix, &secret[..9]);
            let json = serde_json::to_string(f).unwrap();
            assert!(!json.contains(&secret[9..]), "{json}");
        }
    }
}
