// Runner for tests/vectors/token_format.json, shared by every Rust-side host through
// `#[path]`. A host parses a text; this file checks the outcome and that no error
// message carries more of the text than its displayable prefix.

use serde::Deserialize;
use std::collections::BTreeSet;

// A host that loads several runners loads this small module once per runner.
#[allow(clippy::duplicate_mod)]
#[path = "codes.rs"]
mod codes;

pub const VECTORS: &str = include_str!("../vectors/token_format.json");

/// The shape of `tests/vectors/token_format.json`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `$schema` and the comments are read by editors and the schema test
pub struct File {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(rename = "$comment", default)]
    pub comment: Option<String>,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TokenFormatCase")]
pub struct Case {
    pub name: String,
    pub text: String,
    pub expect: Expect,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TokenFormatExpect")]
pub struct Expect {
    pub ok: bool,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

/// What a host reports for one text: the prefix, or the error code and message.
pub type Parsed = Result<String, (String, String)>;

pub trait Host {
    fn parse(&self, text: &str) -> Parsed;
}

pub fn run(host: &dyn Host) -> Vec<String> {
    let file: File = match serde_json::from_str(VECTORS) {
        Ok(f) => f,
        Err(e) => return vec![format!("token_format.json: {e}")],
    };
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for case in &file.cases {
        let parsed = host.parse(&case.text);
        if let Err((code, _)) = &parsed {
            seen.insert(code.clone());
        }
        match (parsed, &case.expect) {
            (
                Ok(prefix),
                Expect {
                    ok: true,
                    prefix: want,
                    ..
                },
            ) => {
                if Some(&prefix) != want.as_ref() {
                    failures.push(format!("{}: prefix {prefix:?}, want {want:?}", case.name));
                }
            }
            (
                Err((code, message)),
                Expect {
                    ok: false,
                    code: want,
                    ..
                },
            ) => {
                if Some(&code) != want.as_ref() {
                    failures.push(format!("{}: code {code:?}, want {want:?}", case.name));
                }
                // The part after the 9-character prefix must never be echoed.
                let secret_part: String = case.text.trim().chars().skip(9).collect();
                if secret_part.len() >= 8 && message.contains(&secret_part) {
                    failures.push(format!(
                        "{}: message leaks the secret: {message}",
                        case.name
                    ));
                }
            }
            (got, want) => failures.push(format!("{}: got {got:?}, want {want:?}", case.name)),
        }
    }
    failures.extend(codes::unreached("token_format", |c| seen.contains(c)));
    if file.cases.len() < 10 {
        failures.push(format!("only {} cases", file.cases.len()));
    }
    failures
}
