// Runner for tests/vectors/trust_validate.json, shared by the Rust-side hosts through
// `#[path]` (core/tests/trust_validate_vectors.rs; ffi/tests/schema.rs derives the
// file's schema from these types). Hosts take and give JSON.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

#[allow(clippy::duplicate_mod)]
#[path = "codes.rs"]
mod codes;

pub const VECTORS: &str = include_str!("../vectors/trust_validate.json");

/// The shape of `tests/vectors/trust_validate.json`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct File {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The projects the account reaches, for every case.
    pub account_projects: Vec<String>,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TrustValidateCase")]
pub struct Case {
    pub name: String,
    /// What the case is for.
    pub why: String,
    #[schemars(with = "clouddigit_core::oidc::TrustSpec")]
    pub spec: Value,
    pub expect: Expect,
}

/// `errors` and `warnings` as `[field, code]`, in order.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TrustValidateExpect")]
pub struct Expect {
    pub errors: Vec<Vec<String>>,
    pub warnings: Vec<Vec<String>>,
}

pub trait Host {
    /// The host's `validate_trust` as JSON.
    fn validate_trust(&self, spec: &Value, account_projects: &[String]) -> Result<Value, String>;
}

/// Runs the file; returns one line per mismatch.
pub fn run(host: &dyn Host) -> Vec<String> {
    let file: File = match serde_json::from_str(VECTORS) {
        Ok(f) => f,
        Err(e) => return vec![format!("trust_validate.json: {e}")],
    };
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &file.cases {
        let got = match host.validate_trust(&c.spec, &file.account_projects) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: error {e}", c.name));
                continue;
            }
        };
        for (key, want) in [
            ("errors", &c.expect.errors),
            ("warnings", &c.expect.warnings),
        ] {
            let list = got
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let have: Vec<Vec<String>> = list
                .iter()
                .map(|i| {
                    let s = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    seen.insert(s("code"));
                    if s("message").is_empty() {
                        failures.push(format!("{}: {key}: {} has no message", c.name, s("code")));
                    }
                    vec![s("field"), s("code")]
                })
                .collect();
            if have != *want {
                failures.push(format!(
                    "{} ({}): {key}: got {have:?}, want {want:?}",
                    c.name, c.why
                ));
            }
        }
    }
    failures.extend(codes::unreached("trust_validate", |c| seen.contains(c)));
    failures
}
