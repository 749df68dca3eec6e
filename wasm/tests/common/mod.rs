//! The shared vectors run through the wasm build of the bindings, in whichever JS
//! engine the test binary was configured for (Node or headless Chromium). Every value
//! crosses the JS boundary both ways: the runners see what JS callers see.

use clouddigit_core::{
    AllowedIpEntryError, AllowedIpsReport, Decision, OwnerState, Request, Token, TokenPolicy,
};
use clouddigit_wasm::{check_allowed_ips, AllowList};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tsify::Ts;
use wasm_bindgen::{JsCast, JsValue};

#[path = "../../../tests/rust/authorize.rs"]
mod authorize_vectors;
#[path = "../../../tests/rust/token_format.rs"]
mod token_format_vectors;
#[path = "../../../tests/rust/validate.rs"]
mod validate_vectors;
#[path = "../../../tests/rust/allowed_ips.rs"]
mod vectors;

struct Wasm;

impl vectors::Host for Wasm {
    fn check(&self, input: &str) -> AllowedIpsReport {
        // Through the JS boundary and back: this is the object JS callers receive.
        let js: JsValue = check_allowed_ips(input).into();
        serde_wasm_bindgen::from_value(js).expect("report round-trips")
    }

    fn parse_and_contains(
        &self,
        input: &str,
        addresses: &[String],
    ) -> Result<Vec<Option<bool>>, Vec<AllowedIpEntryError>> {
        match AllowList::parse(input) {
            Ok(list) => Ok(addresses.iter().map(|a| list.contains(a).ok()).collect()),
            Err(err) => {
                let errors = js_sys::Reflect::get(&err, &"errors".into()).expect("errors property");
                let code = js_sys::Reflect::get(&err, &"code".into()).expect("code property");
                assert_eq!(code.as_string().as_deref(), Some("invalid_allowed_ips"));
                assert!(err.is_instance_of::<js_sys::Error>());
                Err(serde_wasm_bindgen::from_value(errors).expect("errors round-trip"))
            }
        }
    }
}

pub fn allowed_ips_vectors() {
    let failures = vectors::run(&Wasm);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A Rust value as the plain JSON-like object a JS caller would pass.
fn js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .expect("serializes to JS")
}

fn ts<T: Serialize + tsify::Tsify>(value: &T) -> Ts<T> {
    Ts::new_unchecked(js(value))
}

fn back<T: DeserializeOwned>(value: impl Into<JsValue>) -> T {
    serde_wasm_bindgen::from_value(value.into()).expect("result round-trips")
}

fn prop(err: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(err, &name.into())
        .ok()
        .and_then(|v| v.as_string())
}

/// An error the bindings threw, checked to be a `ClouddigitError` of class `kind`,
/// as `code: message`.
fn thrown(err: JsValue, kind: &str) -> (String, String) {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    assert_eq!(prop(&err, "name").as_deref(), Some(kind));
    let code = prop(&err, "code").expect("code property");
    let message = prop(&err, "message").expect("message property");
    (code, message)
}

struct WasmAuthorize;

impl authorize_vectors::Host for WasmAuthorize {
    fn decide(
        &self,
        token: &Token,
        owner: &OwnerState,
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<Decision, String> {
        let free = clouddigit_wasm::authorize(ts(token), ts(owner), ts(request), policy.map(ts))
            .map(back::<Decision>)
            .map_err(|e| format!("{:?}", thrown(e, "EvaluateError")));
        // The prepared path must agree with the free function.
        let prepared = clouddigit_wasm::PreparedToken::new(ts(token))
            .and_then(|p| p.authorize(ts(owner), ts(request), policy.map(ts)))
            .map(back::<Decision>)
            .map_err(|e| format!("{:?}", thrown(e, "EvaluateError")));
        assert_eq!(
            free, prepared,
            "authorize and PreparedToken.authorize differ"
        );
        free
    }

    fn effective(
        &self,
        token: &Token,
        owner: &OwnerState,
        project: Option<&str>,
    ) -> Result<Vec<String>, String> {
        let project = project.map(str::to_owned);
        let free = clouddigit_wasm::effective_permissions(ts(token), ts(owner), project.clone())
            .map_err(|e| format!("{:?}", thrown(e, "EvaluateError")));
        let prepared = clouddigit_wasm::PreparedToken::new(ts(token))
            .and_then(|p| p.effective_permissions(ts(owner), project))
            .map_err(|e| format!("{:?}", thrown(e, "EvaluateError")));
        assert_eq!(free, prepared, "effectivePermissions differ");
        free
    }
}

struct WasmTokenFormat;

impl token_format_vectors::Host for WasmTokenFormat {
    fn parse(&self, text: &str) -> token_format_vectors::Parsed {
        match clouddigit_wasm::parse_token_secret(text) {
            Ok(info) => {
                let info: JsValue = info.into();
                assert!(clouddigit_wasm::is_token(text.trim()));
                Ok(prop(&info, "prefix").expect("prefix property"))
            }
            Err(err) => {
                assert!(!clouddigit_wasm::is_token(text));
                Err(thrown(err, "TokenFormatError"))
            }
        }
    }
}

pub fn authorize_vectors() {
    let failures = authorize_vectors::run(&WasmAuthorize);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub fn token_format_vectors() {
    let failures = token_format_vectors::run(&WasmTokenFormat);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Bad input throws `EvaluateError` with a code and the field at fault; the catalog
/// functions answer through the boundary.
pub fn errors_and_catalog() {
    let file = authorize_vectors::load();
    let owner = file.owners.get("alice").expect("alice fixture");
    let mut token = file
        .tokens
        .get("alice_down")
        .expect("alice_down fixture")
        .clone();
    token.permissions =
        clouddigit_core::TokenPermissions::Downscoped(vec!["compute.server.list".into()]);
    let err = clouddigit_wasm::PreparedToken::new(ts(&token))
        .err()
        .expect("throws");
    let (code, message) = thrown(err.clone(), "EvaluateError");
    assert_eq!(code, "unknown_permission");
    assert!(
        message.contains("did you mean compute.servers.list"),
        "{message}"
    );
    assert_eq!(prop(&err, "field").as_deref(), Some("permissions[0]"));
    assert_eq!(
        prop(&err, "suggestion").as_deref(),
        Some("compute.servers.list")
    );

    let request: Request =
        serde_json::from_str(r#"{"time": "2026-11-23T10:00:00Z"}"#).expect("request");
    let err = clouddigit_wasm::authorize(
        ts(&file.tokens["alice_inherit"]),
        ts(owner),
        ts(&request),
        None,
    )
    .err()
    .expect("throws");
    assert_eq!(thrown(err.clone(), "EvaluateError").0, "missing_action");
    assert_eq!(prop(&err, "field").as_deref(), Some("request"));

    let bad_owner = Ts::<OwnerState>::new_unchecked(JsValue::from_str("alice"));
    let err = clouddigit_wasm::authorize(
        ts(&file.tokens["alice_inherit"]),
        bad_owner,
        ts(&request),
        None,
    )
    .err()
    .expect("throws");
    assert_eq!(thrown(err.clone(), "EvaluateError").0, "invalid_input");
    assert_eq!(prop(&err, "field").as_deref(), Some("owner"));

    let catalog: clouddigit_core::catalog::CatalogFile = back(clouddigit_wasm::catalog());
    assert!(catalog.permissions.len() > 100 && catalog.roles.len() == 5);
    assert_eq!(
        clouddigit_wasm::resolve_route("GET", "/v1/compute/servers/s-1").as_deref(),
        Some("compute.servers.get")
    );
    assert_eq!(clouddigit_wasm::resolve_route("GET", "/v1/nothing"), None);
    let servers = clouddigit_wasm::expand_permission("compute.servers.*");
    assert!(servers.contains(&"compute.servers.list".to_owned()));
    assert!(clouddigit_wasm::expand_permission("nope.*").is_empty());
}

struct WasmValidate;

/// A JSON value as a plain JS object, through the binding, and back as JSON.
fn through<T: tsify::Tsify, R: Into<JsValue>>(
    input: &serde_json::Value,
    f: impl Fn(Ts<T>) -> Result<R, JsValue>,
) -> Result<serde_json::Value, String> {
    f(Ts::new_unchecked(js(input)))
        .map(back::<serde_json::Value>)
        .map_err(|e| format!("{:?}", thrown(e, "EvaluateError")))
}

impl validate_vectors::Host for WasmValidate {
    fn validate_token(&self, input: &serde_json::Value) -> Result<serde_json::Value, String> {
        through(input, clouddigit_wasm::validate_token)
    }
    fn validate_service_account(
        &self,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        through(input, clouddigit_wasm::validate_service_account)
    }
}

pub fn validate_vectors() {
    let failures = validate_vectors::run(&WasmValidate);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The hot path agrees with the explained decision on the vectors it can express.
pub fn prepared_check_agrees() {
    let file = authorize_vectors::load();
    let mut compared = 0;
    for case in &file.cases {
        let r = &case.request;
        if r.resource_tags.is_some() || r.organization.is_some() || case.policy.is_some() {
            continue;
        }
        let action = match (&r.action, &r.method, &r.path) {
            (Some(a), _, _) => a.clone(),
            (None, Some(m), Some(p)) => format!("{m} {p}"),
            _ => continue,
        };
        let token =
            clouddigit_wasm::PreparedToken::new(ts(&file.tokens[&case.token])).expect("token");
        let owner =
            clouddigit_wasm::PreparedOwner::new(ts(&file.owners[&case.owner])).expect("owner");
        let got = token.check(
            &owner,
            &action,
            r.project.clone(),
            r.ip.map(|i| i.to_string()),
            r.time.timestamp_millis() as f64,
        );
        assert_eq!(got, case.expect.reason, "{}", case.name);
        compared += 1;
    }
    assert!(compared > 40, "{compared}");
}
