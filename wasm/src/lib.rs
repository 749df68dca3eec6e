//! JavaScript bindings of `clouddigit-core`. Each function converts at the boundary and
//! calls the core: no rule lives here.

use clouddigit_core as core;
use clouddigit_core::catalog::CatalogFile;
use clouddigit_core::{Decision, EvaluateError, OwnerState, Request, Token, TokenPolicy};
use clouddigit_ffi::{self as ffi, TokenHandle};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

mod client;
mod json;
mod oidc;
mod s3;

use json::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TS_SHARED_TYPES: &'static str = r#"
/**
 * An instant as an RFC 3339 string in UTC (`2026-11-23T10:00:00Z`).
 */
export type Timestamp = string;

/**
 * Any JSON value (`serde_json::Value` in the core): request bodies and API results the
 * SDK passes through without a fixed shape.
 */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
"#;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(kind: &str, code: &str, message: &str, details: JsValue) -> JsValue;
}

#[derive(Serialize)]
struct AllowedIpsErrorDetails<'a> {
    errors: &'a [core::AllowedIpEntryError],
}

#[derive(Serialize)]
struct InvalidIpDetails<'a> {
    text: &'a str,
}

/// Parses an "Allowed IPs" field and reports every bad entry and every warning.
/// Never throws: the report is the answer.
#[wasm_bindgen(js_name = checkAllowedIps)]
pub fn check_allowed_ips(text: &str) -> Ts<core::AllowedIpsReport> {
    Ts::new_unchecked(to_js(&core::check_allowed_ips(text)))
}

/// A valid allow-list, ready to answer `contains` many times.
#[wasm_bindgen]
pub struct AllowList {
    inner: core::AllowList,
}

#[wasm_bindgen]
impl AllowList {
    /// Throws `AllowedIpsError` (code `invalid_allowed_ips`) listing every bad entry.
    pub fn parse(text: &str) -> Result<AllowList, JsValue> {
        core::AllowList::parse(text)
            .map(|inner| AllowList { inner })
            .map_err(|e| {
                make_error(
                    "AllowedIpsError",
                    "invalid_allowed_ips",
                    &e.to_string(),
                    to_js(&AllowedIpsErrorDetails { errors: &e.errors }),
                )
            })
    }

    /// Whether a caller at `ip` is allowed; an empty list allows everyone.
    /// Throws `InvalidIpError` (code `invalid_ip`) when `ip` is not an address.
    pub fn contains(&self, ip: &str) -> Result<bool, JsValue> {
        self.inner.contains_str(ip).map_err(|e| {
            make_error(
                "InvalidIpError",
                "invalid_ip",
                &e.to_string(),
                to_js(&InvalidIpDetails { text: &e.text }),
            )
        })
    }

    /// The normalized networks, in the order they were given.
    #[wasm_bindgen(getter)]
    pub fn networks(&self) -> Vec<String> {
        self.inner
            .networks()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[wasm_bindgen(getter, js_name = isEmpty)]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

// ---- Evaluator, token format and catalog ----

/// Reads a typed argument; a value of the wrong shape is an `EvaluateError` with code
/// `invalid_input` naming the argument.
fn arg<T: Tsify + DeserializeOwned>(value: &Ts<T>, field: &str) -> Result<T, JsValue> {
    json::read(&value.js_value(), field).map_err(|message| {
        let details = ffi::EvaluateErrorDetails {
            code: "invalid_input",
            field: field.to_owned(),
            suggestion: None,
        };
        make_error("EvaluateError", details.code, &message, to_js(&details))
    })
}

fn opt_arg<T: Tsify + DeserializeOwned>(
    value: Option<Ts<T>>,
    field: &str,
) -> Result<Option<T>, JsValue> {
    value.map(|v| arg(&v, field)).transpose()
}

fn evaluate_error(e: &EvaluateError) -> JsValue {
    let details = ffi::evaluate_error_details(e);
    make_error(
        "EvaluateError",
        details.code,
        &e.to_string(),
        to_js(&details),
    )
}

fn decision(d: Result<Decision, EvaluateError>) -> Result<Ts<Decision>, JsValue> {
    d.map(|d| Ts::new_unchecked(to_js(&d)))
        .map_err(|e| evaluate_error(&e))
}

/// Decides and explains one call (preparing the token each time: use `PreparedToken`
/// for many calls). `policy` is the organization's token policy, when it has one.
/// Throws `EvaluateError` for input that cannot be evaluated at all.
#[wasm_bindgen]
pub fn authorize(
    token: Ts<Token>,
    owner: Ts<OwnerState>,
    request: Ts<Request>,
    policy: Option<Ts<TokenPolicy>>,
) -> Result<Ts<Decision>, JsValue> {
    PreparedToken::new(token)?.authorize(owner, request, policy)
}

/// Permission names the token may use in `project` (absent: organization level), in
/// catalog order. Throws `EvaluateError` for a token that cannot be evaluated.
#[wasm_bindgen(js_name = effectivePermissions)]
pub fn effective_permissions(
    token: Ts<Token>,
    owner: Ts<OwnerState>,
    project: Option<String>,
) -> Result<Vec<String>, JsValue> {
    PreparedToken::new(token)?.effective_permissions(owner, project)
}

/// A token checked and prepared once, for many decisions.
#[wasm_bindgen]
pub struct PreparedToken {
    inner: TokenHandle,
}

#[wasm_bindgen]
impl PreparedToken {
    /// Throws `EvaluateError` (unknown permission, bad allowed IP, wrong shape).
    #[wasm_bindgen(constructor)]
    pub fn new(token: Ts<Token>) -> Result<PreparedToken, JsValue> {
        let token = arg(&token, "token")?;
        TokenHandle::new(token)
            .map(|inner| PreparedToken { inner })
            .map_err(|e| evaluate_error(&e))
    }

    /// Decides and explains one call; see the free function `authorize`.
    pub fn authorize(
        &self,
        owner: Ts<OwnerState>,
        request: Ts<Request>,
        policy: Option<Ts<TokenPolicy>>,
    ) -> Result<Ts<Decision>, JsValue> {
        let (owner, request) = (arg(&owner, "owner")?, arg(&request, "request")?);
        let policy = opt_arg(policy, "policy")?;
        decision(
            self.inner
                .authorize_under(&owner, &request, policy.as_ref()),
        )
    }

    /// Permission names the token may use in `project` (absent: organization level).
    #[wasm_bindgen(js_name = effectivePermissions)]
    pub fn effective_permissions(
        &self,
        owner: Ts<OwnerState>,
        project: Option<String>,
    ) -> Result<Vec<String>, JsValue> {
        let owner = arg(&owner, "owner")?;
        Ok(self.inner.effective_permissions(&owner, project.as_deref()))
    }

    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.token().id.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.token().name.clone()
    }

    /// `cd_` and 6 characters: tokens never carry their secret.
    #[wasm_bindgen(getter)]
    pub fn prefix(&self) -> String {
        self.inner.token().prefix.clone()
    }

    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        let t = self.inner.token();
        format!("PreparedToken({} {:?} {}…)", t.id, t.name, t.prefix)
    }
}

/// A token secret's public part.
#[derive(Serialize, Tsify)]
pub struct TokenSecretInfo {
    /// `cd_` and the first 6 random characters.
    pub prefix: String,
}

/// Checks a token secret offline (shape and checksum) and returns its prefix. Throws
/// `TokenFormatError` whose message never shows more than the first 9 characters.
#[wasm_bindgen(js_name = parseTokenSecret)]
pub fn parse_token_secret(text: &str) -> Result<Ts<TokenSecretInfo>, JsValue> {
    ffi::token_prefix(text)
        .map(|prefix| Ts::new_unchecked(to_js(&TokenSecretInfo { prefix })))
        .map_err(|e| make_error("TokenFormatError", e.code(), &e.to_string(), JsValue::NULL))
}

/// Whether `text` is exactly a token secret with a matching checksum.
#[wasm_bindgen(js_name = isToken)]
pub fn is_token(text: &str) -> bool {
    core::secret::is_token(text)
}

/// The built-in permission catalog and role table.
#[wasm_bindgen]
pub fn catalog() -> Ts<CatalogFile> {
    Ts::new_unchecked(to_js(&ffi::catalog_file()))
}

/// The limits the forms and the server hold drafts to (name lengths, entries of a
/// permission list and of an allow-list).
#[wasm_bindgen]
pub fn limits() -> Ts<ffi::Limits> {
    Ts::new_unchecked(to_js(&ffi::limits()))
}

/// The permission a REST call maps to, or `undefined`.
#[wasm_bindgen(js_name = resolveRoute)]
pub fn resolve_route(method: &str, path: &str) -> Option<String> {
    ffi::resolve_route(method, path)
}

/// The permissions a name or wildcard (`compute.*`) stands for; empty when none.
#[wasm_bindgen(js_name = expandPermission)]
pub fn expand_permission(pattern: &str) -> Vec<String> {
    ffi::expand_permission(pattern)
}

// ---- Validation, the hot path and the command line ----

/// Validates a "New API token" draft as the console form does, as the user types.
/// Never throws for problems in the draft: they are the `errors` and `warnings`.
/// Throws `EvaluateError` (`invalid_input`) only when the argument has the wrong shape.
#[wasm_bindgen(js_name = validateToken)]
pub fn validate_token(
    request: Ts<core::TokenRequest>,
) -> Result<Ts<core::TokenValidation>, JsValue> {
    let request = arg(&request, "request")?;
    Ok(Ts::new_unchecked(to_js(&ffi::validate_token(&request))))
}

/// Validates a "New service account" draft; see `validateToken`.
#[wasm_bindgen(js_name = validateServiceAccount)]
pub fn validate_service_account(
    request: Ts<core::ServiceAccountRequest>,
) -> Result<Ts<core::ServiceAccountValidation>, JsValue> {
    let request = arg(&request, "request")?;
    Ok(Ts::new_unchecked(to_js(&ffi::validate_service_account(
        &request,
    ))))
}

/// An owner's current state prepared once, for `PreparedToken.check`.
#[wasm_bindgen]
pub struct PreparedOwner {
    inner: ffi::OwnerHandle,
}

#[wasm_bindgen]
impl PreparedOwner {
    #[wasm_bindgen(constructor)]
    pub fn new(owner: Ts<OwnerState>) -> Result<PreparedOwner, JsValue> {
        let owner = arg(&owner, "owner")?;
        Ok(PreparedOwner {
            inner: ffi::OwnerHandle::new(&owner),
        })
    }
}

#[wasm_bindgen]
impl PreparedToken {
    /// The hot path: plain arguments in, the reason code out (`"allowed"`, or the first
    /// failing check such as `"not_in_token_permissions"`). `action` is a permission or
    /// `"METHOD /v1/path"`; `timeMs` is milliseconds since the epoch (`Date.now()`).
    pub fn check(
        &self,
        owner: &PreparedOwner,
        action: &str,
        project: Option<String>,
        ip: Option<String>,
        #[wasm_bindgen(js_name = timeMs)] time_ms: f64,
    ) -> js_sys::JsString {
        let time = chrono::DateTime::from_timestamp_millis(time_ms as i64).unwrap_or_default();
        let reason = self.inner.check_reason(
            &owner.inner,
            action,
            project.as_deref(),
            ip.as_deref(),
            time,
        );
        reason_string(reason)
    }
}

/// Bytes of the call text buffer: `PreparedToken.check`'s action, project and IP.
const CALL_TEXT_BYTES: usize = 1024;

thread_local! {
    /// Where js/fast_check.js writes the hot path's three strings, one after another, so a
    /// check costs one call across the boundary instead of three allocations, three
    /// copies and three frees (half the time of a check in Node). Never resized, so its
    /// address stays valid for the module's life.
    static CALL_TEXT: RefCell<Vec<u8>> = RefCell::new(vec![0; CALL_TEXT_BYTES]);
}

/// `[address, length]` of the call text buffer in wasm memory (for js/fast_check.js).
#[wasm_bindgen(js_name = __callTextBuffer, skip_typescript)]
pub fn call_text_buffer() -> Vec<u32> {
    CALL_TEXT.with(|b| {
        let mut b = b.borrow_mut();
        vec![b.as_mut_ptr() as usize as u32, b.len() as u32]
    })
}

#[wasm_bindgen]
impl PreparedToken {
    /// `check` reading its strings from the call text buffer: the action in the first
    /// `action_len` bytes, then the project and the IP (a length of -1: absent). What
    /// does not fit the buffer or is not text is read as absent, which denies.
    /// Returns the reason's index in `__reasonCodes()`: a number crosses for free, where a
    /// string costs a slot in the reference table each time.
    #[wasm_bindgen(js_name = __checkText, skip_typescript)]
    pub fn check_text(
        &self,
        owner: &PreparedOwner,
        action_len: i32,
        project_len: i32,
        ip_len: i32,
        time_ms: f64,
    ) -> u32 {
        let time = chrono::DateTime::from_timestamp_millis(time_ms as i64).unwrap_or_default();
        let reason = CALL_TEXT.with(|b| {
            let b = b.borrow();
            let mut at = 0usize;
            let mut next = |len: i32| -> Option<&str> {
                let len = usize::try_from(len).ok()?;
                let text = b.get(at..at.checked_add(len)?)?;
                at += len;
                std::str::from_utf8(text).ok()
            };
            let action = next(action_len).unwrap_or("");
            let project = next(project_len);
            let ip = next(ip_len);
            self.inner
                .check_reason(&owner.inner, action, project, ip, time)
        });
        reason as u32
    }
}

/// The reason codes in declaration order (`Reason as u32` indexes them).
#[wasm_bindgen(js_name = __reasonCodes, skip_typescript)]
pub fn reason_codes() -> Vec<String> {
    core::Reason::ALL
        .iter()
        .map(|r| r.code().to_owned())
        .collect()
}

thread_local! {
    /// The core's reason codes as JS strings, made once: the hot path hands back a
    /// reference instead of copying and decoding the text on every call.
    static REASONS: Vec<js_sys::JsString> =
        core::Reason::ALL.iter().map(|r| js_sys::JsString::from(r.code())).collect();
}

fn reason_string(reason: core::Reason) -> js_sys::JsString {
    REASONS.with(|all| {
        // `Reason::ALL` is in declaration order.
        all.get(reason as usize)
            .cloned()
            .unwrap_or_else(|| js_sys::JsString::from(reason.code()))
    })
}

pub(crate) fn js_message(e: JsValue) -> String {
    js_sys::Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "cannot read".to_owned())
}
