//! The `clouddigit` command in Node (`npx @clouddigit/sdk`, see js/cli.js): the core's
//! `cli::run` with the host's files and output. A module of its own, so that the SDK's
//! module, which every browser page loads, does not carry the command (17 KB gzipped).
//! The SDK's `sigv4Explain` and `sigv4Verify` run here too, for the same reason (below),
//! and so does `checkTrust`, whose JWT verification would add to every page as well, and
//! `auditRecord` and `hashedToken` (the OCSF and CloudTrail shapes).

#[cfg(feature = "command")]
mod command;

use clouddigit_core as core;
use clouddigit_ffi as ffi;
use wasm_bindgen::prelude::*;

// ---- SigV4 for the SDK (js/sigv4.js) ----
//
// `sigv4Explain` and `sigv4Verify` of `@clouddigit/sdk` run here rather than in the SDK's
// module: this module carries the core's SigV4 code for `clouddigit sigv4 explain`
// already, while in the SDK's module, which every browser page loads, it would add
// 20 KB gzipped. js/sigv4.js loads this module on the first call. Arguments and answers
// cross as JSON text, and errors as data: js/sigv4.js throws the SDK's own `SigV4Error`
// (this module has no copy of the error classes, so `instanceof` holds).

/// An answer for js/sigv4.js: `{"value": ...}` or `{"error": {"code", "field", "message"}}`.
#[derive(serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Answer<T> {
    Value(T),
    Error {
        code: String,
        field: &'static str,
        message: String,
    },
}

fn answer<T: serde::Serialize>(a: &Answer<T>) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| {
        r#"{"error":{"code":"internal","field":"request","message":"cannot write the answer"}}"#
            .to_owned()
    })
}

/// The request read from its JSON text; the error names the place and never the secret.
fn request<T>(json: &str, secret: &str) -> Result<ffi::RequestText, Answer<T>> {
    core::json::from_json(json, "request").map_err(|message| Answer::Error {
        code: "invalid_input".to_owned(),
        field: "request",
        message: ffi::without_secret(&message, secret),
    })
}

/// `sigv4Explain` (js/sigv4.js): `{"value": Explanation}` or the S3 error code of a
/// request that carries no readable signature.
#[wasm_bindgen(js_name = sigv4ExplainJson)]
pub fn sigv4_explain_json(request_json: &str, secret: &str) -> String {
    let a = match request(request_json, secret) {
        Ok(req) => match ffi::sigv4_explain(&req, secret) {
            Ok(x) => Answer::Value(x),
            Err(e) => {
                let (code, message) = ffi::sigv4_error_details(&e, secret);
                Answer::Error {
                    code: code.to_owned(),
                    field: "request",
                    message,
                }
            }
        },
        Err(e) => e,
    };
    answer(&a)
}

/// `now` read as RFC 3339 (absent: the host's clock); the error names `now`, without
/// `secret`.
fn now_arg<T>(now: Option<String>, secret: &str) -> Result<core::Timestamp, Answer<T>> {
    match now {
        None => Ok(
            chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default(),
        ),
        Some(t) => t.parse::<core::Timestamp>().map_err(|_| Answer::Error {
            code: "invalid_input".to_owned(),
            field: "now",
            message: ffi::without_secret(&format!("now: {t:?} is not an RFC 3339 time"), secret),
        }),
    }
}

/// `sigv4Verify` (js/sigv4.js): `{"value": SigV4Verdict}` at `now` (RFC 3339; absent:
/// the host's clock).
#[wasm_bindgen(js_name = sigv4VerifyJson)]
pub fn sigv4_verify_json(request_json: &str, secret: &str, now: Option<String>) -> String {
    let now = match now_arg::<()>(now, secret) {
        Ok(t) => t,
        Err(e) => return answer(&e),
    };
    let a = match request(request_json, secret) {
        Ok(req) => Answer::Value(ffi::sigv4_verify(&req, secret, now)),
        Err(e) => e,
    };
    answer(&a)
}

// ---- OIDC trusts for the SDK (js/trust.js) ----
//
// `checkTrust` runs here for the reason SigV4 does: JWT verification (RSA, P-256,
// Ed25519) is code every page would download and few call. js/trust.js loads this module
// on the first call, as js/sigv4.js does, and throws the SDK's `EvaluateError` for an
// argument it cannot read.

/// `checkTrust` (js/trust.js): `{"value": TrustCheckReport}`, or `{"error": ...}` for
/// trusts or a time that cannot be read. Nothing in either holds the token.
#[wasm_bindgen(js_name = checkTrustJson)]
pub fn check_trust_json(
    jwt: &str,
    trusts_json: &str,
    now: Option<String>,
    jwks: Option<String>,
) -> String {
    let now = match now_arg::<()>(now, jwt) {
        Ok(t) => t,
        Err(e) => return answer(&e),
    };
    let a = match ffi::read_trusts(trusts_json, "trusts") {
        Ok(trusts) => Answer::Value(ffi::check_trust(jwt, &trusts, now, jwks.as_deref())),
        Err(message) => Answer::Error {
            code: "invalid_input".to_owned(),
            field: "trusts",
            message: ffi::without_secret(&message, jwt),
        },
    };
    answer(&a)
}

// ---- Audit records for the SDK (js/audit.js) ----
//
// `auditRecord` and `hashedToken` run here for the reason SigV4 does: the OCSF and
// CloudTrail shapes (and `hashed_token`'s SHA-256 and base64 with them) added 14 KB
// gzipped to every page, for functions a SIEM pipeline or a leak investigation calls and
// a token form never does. js/audit.js loads this module on the first call and throws
// the SDK's `EvaluateError` for an argument it cannot read.

/// Argument `field` read from its JSON text; the error names the place that did not fit
/// (`event.time: ...`).
fn json_arg<T: serde::de::DeserializeOwned, A>(
    text: &str,
    field: &'static str,
) -> Result<T, Answer<A>> {
    core::json::from_json(text, field).map_err(|message| Answer::Error {
        code: "invalid_input".to_owned(),
        field,
        message,
    })
}

/// `auditRecord` (js/audit.js): `{"value": record}`, the event as the format writes it,
/// or `{"error": ...}` naming the argument (`event`, `format`, `context`) that cannot be
/// read. The arguments are JSON text, the format too (`"ocsf"`).
#[wasm_bindgen(js_name = auditRecordJson)]
pub fn audit_record_json(event_json: &str, format_json: &str, context_json: &str) -> String {
    let read = || -> Result<serde_json::Value, Answer<serde_json::Value>> {
        let event: ffi::AuditEvent = json_arg(event_json, "event")?;
        let format: ffi::AuditFormat = json_arg(format_json, "format")?;
        let context: ffi::AuditContext = json_arg(context_json, "context")?;
        Ok(ffi::audit_record(&event, format, &context))
    };
    answer(&read().map_or_else(|e| e, Answer::Value))
}

/// `hashedToken` (js/audit.js): the secret's SHA-256 in base64, as the audit log's
/// `hashed_token` holds it. Total: js/audit.js checks that `secret` is a string.
#[wasm_bindgen(js_name = hashedToken)]
pub fn hashed_token(secret: &str) -> String {
    ffi::hashed_token(secret)
}

/// `tokenUsage` (js/usage.js): `{"value": TokenUsage}` for the token's calls among
/// `events` (the audit export's JSON lines, as text), or `{"error": ...}` naming the
/// argument (`token`, `role`, `sources`) that cannot be read.
#[wasm_bindgen(js_name = tokenUsageJson)]
pub fn token_usage_json(
    events: &str,
    token_json: &str,
    role_json: &str,
    sources_json: &str,
) -> String {
    let read = || -> Result<_, Answer<serde_json::Value>> {
        let token: core::model::Token = json_arg(token_json, "token")?;
        let role: Option<core::model::Role> = json_arg(role_json, "role")?;
        let sources: Vec<String> = json_arg(sources_json, "sources")?;
        Ok(ffi::token_usage(events, &token, role, &sources))
    };
    match read() {
        Ok(u) => answer(&Answer::Value(u)),
        Err(e) => answer(&e),
    }
}

/// `lintTokens` (js/usage.js): `{"value": [LintFinding]}` for the tokens (each with its
/// `last_used_at`) at `now` under the organization's policy, or `{"error": ...}` naming
/// the argument (`tokens`, `now`, `unused_days`, `policy`) that cannot be read.
#[wasm_bindgen(js_name = lintJson)]
pub fn lint_json(
    tokens_json: &str,
    now_json: &str,
    unused_days_json: &str,
    policy_json: &str,
) -> String {
    let read = || -> Result<_, Answer<serde_json::Value>> {
        let tokens: Vec<core::lint::InventoryToken> = json_arg(tokens_json, "tokens")?;
        let now: core::model::Timestamp = json_arg(now_json, "now")?;
        let unused: Option<u32> = json_arg(unused_days_json, "unused_days")?;
        let policy: Option<core::model::TokenPolicy> = json_arg(policy_json, "policy")?;
        Ok(ffi::lint_with(&tokens, now, unused, policy.as_ref()))
    };
    match read() {
        Ok(f) => answer(&Answer::Value(f)),
        Err(e) => answer(&e),
    }
}
