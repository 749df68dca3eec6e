//! The one serde-typed, JSON-shaped API that every binding calls (as Cedar's `ffi`
//! module does), so each binding function is a few lines of conversion and the
//! behaviour is defined here once. This is the outermost layer: the rules
//! (`clouddigit-core`), the API session (`clouddigit-session`) and the command line
//! (`clouddigit-cli`) never call it.

pub use clouddigit_cli as cli;
pub use clouddigit_core as core;
pub use clouddigit_core::handle::{LineageDecision, OwnerHandle, TokenHandle};
pub use clouddigit_core::limits::{limits, Limits};
pub use clouddigit_session as session;

use clouddigit_core::catalog::Catalog;
use clouddigit_core::evaluator::{Decision, EvaluateError};
use clouddigit_core::model::{OwnerState, Request, Token, TokenPolicy};

/// Whether `child` may be made by the calling credential ([`clouddigit_core::delegation`]).
pub fn check_delegation(
    request: &clouddigit_core::delegation::DelegationRequest,
) -> Vec<clouddigit_core::validate::Issue> {
    clouddigit_core::delegation::check_delegation(Catalog::builtin(), request)
}

/// Decides and explains one call for a token given as JSON-shaped data.
pub fn authorize(
    token: &Token,
    owner: &OwnerState,
    request: &Request,
) -> Result<Decision, EvaluateError> {
    TokenHandle::new(token.clone())?.authorize(owner, request)
}

/// See [`TokenHandle::effective_permissions`].
pub fn effective_permissions(
    token: &Token,
    owner: &OwnerState,
    project: Option<&str>,
) -> Result<Vec<String>, EvaluateError> {
    Ok(TokenHandle::new(token.clone())?.effective_permissions(owner, project))
}

// ---- Helpers for the bindings: each host calls these instead of holding logic. ----

/// What a host attaches to the exception it raises for an [`EvaluateError`]: a stable
/// code, the input field at fault and, for a misspelt permission, the suggestion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvaluateErrorDetails {
    pub code: &'static str,
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The code and field of an [`EvaluateError`] (`unknown_permission` at
/// `permissions[N]`, `invalid_allowed_ip` at `allowed_ips[N]`, `missing_action` at
/// `request`).
pub fn evaluate_error_details(e: &EvaluateError) -> EvaluateErrorDetails {
    match e {
        EvaluateError::UnknownPermission {
            index, suggestion, ..
        } => EvaluateErrorDetails {
            code: "unknown_permission",
            field: format!("permissions[{index}]"),
            suggestion: suggestion.clone(),
        },
        EvaluateError::AllowedIp { index, .. } => EvaluateErrorDetails {
            code: "invalid_allowed_ip",
            field: format!("allowed_ips[{index}]"),
            suggestion: None,
        },
        EvaluateError::RequestAction => EvaluateErrorDetails {
            code: "missing_action",
            field: "request".into(),
            suggestion: None,
        },
    }
}

/// Decides many calls of one token for one owner (a host's batch API). Stops at the
/// first request that cannot be evaluated and returns its index with the error.
pub fn authorize_many(
    handle: &TokenHandle,
    owner: &OwnerState,
    requests: &[Request],
    policy: Option<&TokenPolicy>,
) -> Result<Vec<Decision>, (usize, EvaluateError)> {
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| handle.authorize_under(owner, r, policy).map_err(|e| (i, e)))
        .collect()
}

/// Checks a token secret's format and checksum and returns only its public prefix
/// (`cd_` + 6 characters); the secret itself is wiped when this returns.
pub fn token_prefix(text: &str) -> Result<String, clouddigit_core::secret::TokenFormatError> {
    clouddigit_core::secret::TokenSecret::parse(text).map(|t| t.prefix())
}

/// The built-in catalog as its data file shapes it (version, roles, permissions).
pub fn catalog_file() -> clouddigit_core::catalog::CatalogFile {
    let catalog = Catalog::builtin();
    clouddigit_core::catalog::CatalogFile {
        comment: None,
        version: catalog.version().to_owned(),
        roles: catalog.roles().to_vec(),
        permissions: catalog.permissions().to_vec(),
    }
}

/// The permission a REST call maps to (`GET /v1/compute/servers/s-1` →
/// `compute.servers.get`), if any.
pub fn resolve_route(method: &str, path: &str) -> Option<String> {
    let catalog = Catalog::builtin();
    catalog
        .resolve_route(method, path)
        .map(|id| catalog.name(id).to_owned())
}

/// The permission names an exact name or a wildcard stands for, in catalog order;
/// empty when the pattern is malformed or matches nothing.
pub fn expand_permission(pattern: &str) -> Vec<String> {
    let catalog = Catalog::builtin();
    catalog
        .expand(pattern)
        .map(|set| set.iter().map(|id| catalog.name(id).to_owned()).collect())
        .unwrap_or_default()
}

/// Validates a "New API token" draft against the built-in catalog.
pub fn validate_token(
    request: &clouddigit_core::validate::TokenRequest,
) -> clouddigit_core::validate::TokenValidation {
    clouddigit_core::validate::validate_token(request, Catalog::builtin())
}

/// Validates a "New service account" draft against the built-in catalog.
pub fn validate_service_account(
    request: &clouddigit_core::validate::ServiceAccountRequest,
) -> clouddigit_core::validate::ServiceAccountValidation {
    clouddigit_core::validate::validate_service_account(request, Catalog::builtin())
}

/// See [`clouddigit_core::least_privilege::least_privilege`].
pub fn least_privilege(
    calls: &[String],
    role: Option<clouddigit_core::model::Role>,
) -> clouddigit_core::least_privilege::LeastPrivilege {
    clouddigit_core::least_privilege::least_privilege(Catalog::builtin(), calls, role)
}

/// What a token grants unused and lacks, against the calls behind `lp`: see
/// [`clouddigit_core::least_privilege_diff::diff_against`].
pub fn least_privilege_diff(
    lp: &clouddigit_core::least_privilege::LeastPrivilege,
    used_projects: &[String],
    token: &Token,
    role: Option<clouddigit_core::model::Role>,
) -> clouddigit_core::least_privilege_diff::PermissionDiff {
    clouddigit_core::least_privilege_diff::diff_against(
        Catalog::builtin(),
        lp,
        used_projects,
        token,
        role,
    )
}

/// A token's usage from its audited calls (the audit export's JSON lines) and the
/// addresses it was used from: see [`clouddigit_core::token_usage::token_usage`].
pub fn token_usage(
    events: &str,
    token: &Token,
    role: Option<clouddigit_core::model::Role>,
    sources: &[String],
) -> clouddigit_core::token_usage::TokenUsage {
    clouddigit_core::token_usage::token_usage(Catalog::builtin(), events, token, role, sources)
}

/// [`lint`] with the organization's policy and the unused-days threshold (`None`: 90):
/// see [`clouddigit_core::lint::lint_token`].
pub fn lint_with(
    tokens: &[clouddigit_core::lint::InventoryToken],
    now: clouddigit_core::model::Timestamp,
    unused_days: Option<u32>,
    policy: Option<&TokenPolicy>,
) -> Vec<clouddigit_core::lint::LintFinding> {
    let opts = clouddigit_core::lint::LintOptions {
        now,
        unused_days: unused_days.unwrap_or(clouddigit_core::lint::DEFAULT_UNUSED_DAYS),
        policy: policy.cloned(),
    };
    let mut out = Vec::new();
    for t in tokens {
        clouddigit_core::lint::lint_token(t, &opts, None, &mut out);
    }
    out
}

/// See [`clouddigit_core::lint::lint`].
pub fn lint(
    tokens: &[clouddigit_core::lint::InventoryToken],
    now: clouddigit_core::model::Timestamp,
) -> Vec<clouddigit_core::lint::LintFinding> {
    clouddigit_core::lint::lint(tokens, now)
}

/// See [`clouddigit_core::scan::scan_text`].
pub fn scan_text(text: &str) -> Vec<clouddigit_core::scan::SecretFinding> {
    clouddigit_core::scan::scan_text(text)
}

// ---- Audit records: one event in the shape a SIEM reads ----

pub use clouddigit_core::audit_format::{AuditContext, AuditFormat};
pub use clouddigit_core::model::AuditEvent;

/// `event` as `format` writes it (the API's JSON, OCSF, CloudTrail-like), with what the
/// record says about its origin from `ctx`: the export, every stream and every SDK call
/// this one function, so a record a host makes offline is the one the server sends
/// ([`clouddigit_core::audit_format::render`]). Total: every event has a record.
pub fn audit_record(
    event: &AuditEvent,
    format: AuditFormat,
    ctx: &AuditContext,
) -> serde_json::Value {
    clouddigit_core::audit_format::render(event, format, ctx)
}

/// A token secret's `hashed_token` (SHA-256, base64 with padding, as GitHub's audit log
/// writes it), so a host can find a leaked secret's calls in the log without the log
/// ever holding the secret ([`clouddigit_core::audit_format::hashed_token`]).
pub fn hashed_token(secret: &str) -> String {
    clouddigit_core::audit_format::hashed_token(secret)
}

/// `record` (the event in a stream's format) as one RFC 5424 message framed for TCP
/// syslog, sent by `hostname`: the frame a stream sends, for a host that forwards
/// records itself ([`clouddigit_core::audit_format::syslog_frame`]).
pub fn syslog_frame(event: &AuditEvent, record: &serde_json::Value, hostname: &str) -> String {
    clouddigit_core::audit_format::syslog_frame(event, record, hostname)
}

// ---- S3: SigV4 signatures and the S3 client's settings ----

pub use clouddigit_core::sigv4::{Explanation, HeaderList, RequestText, SigV4Error};
pub use clouddigit_session::config::{S3Config, S3Options, S3_ENV_VARS};

/// What `sigv4_verify` decides: `ok`, or the S3 error code the server answers with
/// (`SignatureDoesNotMatch`, `RequestTimeTooSkewed`, `AccessDenied` for an expired
/// presigned URL, ...) and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct SigV4Verdict {
    pub ok: bool,
    /// The S3 error code; null when `ok`.
    pub code: Option<String>,
    /// Null when `ok`.
    pub message: Option<String>,
}

/// `text` with every occurrence of `secret` cut out. SigV4's refusals never quote the
/// request or the secret; this holds for what a host adds around them too (a request
/// that cannot be read is reported with serde's words, which may quote a key of it).
pub fn without_secret(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    text.replace(secret, "[secret]")
}

/// The S3 error code and message of a refusal, without the secret.
pub fn sigv4_error_details(e: &SigV4Error, secret: &str) -> (&'static str, String) {
    (e.code(), without_secret(&e.to_string(), secret))
}

/// Whether `request`, as pasted, is signed by `secret` at `now`: the verdict the S3
/// endpoint reaches (the clock and a presigned URL's expiry included).
pub fn sigv4_verify(
    request: &RequestText,
    secret: &str,
    now: clouddigit_core::model::Timestamp,
) -> SigV4Verdict {
    match request.verify(secret, now) {
        Ok(()) => SigV4Verdict {
            ok: true,
            code: None,
            message: None,
        },
        Err(e) => {
            let (code, message) = sigv4_error_details(&e, secret);
            SigV4Verdict {
                ok: false,
                code: Some(code.to_owned()),
                message: Some(message),
            }
        }
    }
}

/// How the S3 endpoint reads `request` (canonical request, string to sign) and the
/// signature `secret` gives next to the one the request carries; the clock is not
/// judged. Fails only when the request carries no readable signature.
pub fn sigv4_explain(request: &RequestText, secret: &str) -> Result<Explanation, SigV4Error> {
    request.explain(secret)
}

/// See [`clouddigit_session::config::s3_config`]; `env` holds the values of
/// [`S3_ENV_VARS`] the host found.
pub fn s3_config(
    options: S3Options,
    env: &std::collections::BTreeMap<String, String>,
) -> Result<S3Config, clouddigit_session::ConfigError> {
    clouddigit_session::config::s3_config(options, |k| env.get(k).cloned())
}

// ---- OIDC trusts: the trust form, its presets, and a JWT read against trusts ----

pub use clouddigit_core::oidc::{
    read_trusts, trusts_from_value, ClaimsSummary, Preset, PresetInfo, Trust, TrustCheckReport,
    TrustMatch, TrustSpec, TrustValidation,
};

/// Checks a trust draft as the "Trusted issuers" form does, for an account that reaches
/// `account_projects`, against the built-in catalog.
pub fn validate_trust(spec: &TrustSpec, account_projects: &[String]) -> TrustValidation {
    clouddigit_core::oidc::validate_trust(spec, account_projects, Catalog::builtin())
}

/// Every preset as a form lists it.
pub fn trust_presets() -> Vec<PresetInfo> {
    clouddigit_core::oidc::presets()
}

/// A draft trust from `preset` for `path` (`owner/repo`, `group/project`, a namespace),
/// `branch_or_env` and `audience`; the id claim to pin is left empty.
pub fn trust_preset(preset: Preset, path: &str, branch_or_env: &str, audience: &str) -> TrustSpec {
    preset.draft(path, branch_or_env, audience)
}

/// `jwt` read against `trusts` at `now`, its signature verified against `jwks` when one
/// is given (see [`clouddigit_core::oidc::check_trust`]). A host reports arguments it
/// cannot read through [`without_secret`] with the token as the secret.
#[cfg(feature = "jwt")]
pub fn check_trust(
    jwt: &str,
    trusts: &[Trust],
    now: clouddigit_core::model::Timestamp,
    jwks: Option<&str>,
) -> TrustCheckReport {
    clouddigit_core::oidc::check_trust(jwt, trusts, now, jwks)
}
