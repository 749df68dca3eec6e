// Runner for tests/vectors/validate_token.json and validate_service_account.json,
// shared by every Rust-side host through `#[path]`. Hosts take and give JSON, so a
// binding is tested through its own conversions.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

// A host that loads several runners loads this small module once per runner.
#[allow(clippy::duplicate_mod)]
#[path = "codes.rs"]
mod codes;

pub const TOKEN_VECTORS: &str = include_str!("../vectors/validate_token.json");
pub const SERVICE_ACCOUNT_VECTORS: &str = include_str!("../vectors/validate_service_account.json");

/// The shape of `tests/vectors/validate_token.json`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TokenFile {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub cases: Vec<TokenCase>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCase {
    pub name: String,
    #[schemars(with = "clouddigit_core::TokenRequest")]
    pub input: Value,
    pub expect: Expect,
}

/// The shape of `tests/vectors/validate_service_account.json`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ServiceAccountFile {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub cases: Vec<ServiceAccountCase>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccountCase {
    pub name: String,
    #[schemars(with = "clouddigit_core::ServiceAccountRequest")]
    pub input: Value,
    pub expect: Expect,
}

/// `errors` and `warnings` are `[field, code]` or `[field, code, suggestion]`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ValidateExpect")]
pub struct Expect {
    pub valid: bool,
    pub errors: Vec<Vec<String>>,
    pub warnings: Vec<Vec<String>>,
    #[serde(default)]
    pub preview: Option<serde_json::Map<String, Value>>,
}

pub trait Host {
    fn validate_token(&self, input: &Value) -> Result<Value, String>;
    fn validate_service_account(&self, input: &Value) -> Result<Value, String>;
}

fn issues(v: &Value, key: &str, with_suggestion: &[bool]) -> Vec<Vec<String>> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, e)| {
                    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    let mut out = vec![s("field"), s("code")];
                    if with_suggestion.get(i).copied().unwrap_or(false) {
                        out.push(s("suggestion"));
                    }
                    out
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check(name: &str, got: &Value, expect: &Expect, codes: &mut BTreeSet<String>) -> Vec<String> {
    let mut fails = Vec::new();
    let mut fail = |m: String| fails.push(format!("{name}: {m}"));
    for (key, want) in [("errors", &expect.errors), ("warnings", &expect.warnings)] {
        let flags: Vec<bool> = want.iter().map(|w| w.len() > 2).collect();
        let have = issues(got, key, &flags);
        for i in &have {
            codes.insert(i[1].clone());
        }
        if have != *want {
            fail(format!("{key}: got {have:?}, want {want:?}"));
        }
        // Every issue carries a message for people.
        let messages_ok = got.get(key).and_then(Value::as_array).is_some_and(|a| {
            a.iter().all(|e| {
                e.get("message")
                    .and_then(Value::as_str)
                    .is_some_and(|m| !m.is_empty())
            })
        });
        if !messages_ok {
            fail(format!("{key}: every issue needs a message"));
        }
    }
    if got.get("valid") != Some(&Value::Bool(expect.valid)) {
        fail(format!(
            "valid: got {:?}, want {}",
            got.get("valid"),
            expect.valid
        ));
    }
    let preview = got.get("preview").cloned().unwrap_or(Value::Null);
    if preview
        .get("summary")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        fail("preview.summary missing".into());
    }
    for (k, want) in expect.preview.iter().flatten() {
        let have = preview.get(k).cloned().unwrap_or(Value::Null);
        if k == "scopes" {
            let (Some(h), Some(w)) = (have.as_array(), want.as_array()) else {
                fail(format!("preview.scopes: got {have}"));
                continue;
            };
            let hp: Vec<&Value> = h.iter().map(|s| &s["project"]).collect();
            let wp: Vec<&Value> = w.iter().map(|s| &s["project"]).collect();
            if hp != wp {
                fail(format!("preview.scopes projects: got {hp:?}, want {wp:?}"));
                continue;
            }
            for (hs, ws) in h.iter().zip(w) {
                if let Some(wperms) = ws.get("permissions") {
                    if hs.get("permissions") != Some(wperms) {
                        fail(format!(
                            "preview.scopes[{}].permissions: got {}, want {wperms}",
                            ws["project"], hs["permissions"]
                        ));
                    }
                } else if hs["permissions"].as_array().is_none_or(Vec::is_empty) {
                    fail(format!(
                        "preview.scopes[{}] should not be empty",
                        ws["project"]
                    ));
                }
            }
        } else if have != *want {
            fail(format!("preview.{k}: got {have}, want {want}"));
        }
    }
    fails
}

/// Runs both files; returns one line per mismatch.
pub fn run(host: &dyn Host) -> Vec<String> {
    let mut failures = Vec::new();
    let mut codes = BTreeSet::new();
    match serde_json::from_str::<TokenFile>(TOKEN_VECTORS) {
        Ok(file) => {
            for c in &file.cases {
                match host.validate_token(&c.input) {
                    Ok(got) => failures.extend(check(&c.name, &got, &c.expect, &mut codes)),
                    Err(e) => failures.push(format!("{}: error {e}", c.name)),
                }
            }
        }
        Err(e) => failures.push(format!("validate_token.json: {e}")),
    }
    match serde_json::from_str::<ServiceAccountFile>(SERVICE_ACCOUNT_VECTORS) {
        Ok(file) => {
            for c in &file.cases {
                match host.validate_service_account(&c.input) {
                    Ok(got) => failures.extend(check(&c.name, &got, &c.expect, &mut codes)),
                    Err(e) => failures.push(format!("{}: error {e}", c.name)),
                }
            }
        }
        Err(e) => failures.push(format!("validate_service_account.json: {e}")),
    }
    failures.extend(codes::unreached("validate", |c| codes.contains(c)));
    failures
}
