// Runner for tests/vectors/allowed_ips.json, shared by every Rust-side host (native
// `cargo test`, and the wasm tests in Node and Chromium) through `#[path]`, so the
// vectors are interpreted one way everywhere. JS and Python have their own few lines.

use clouddigit_core::{AllowedIpEntryError, AllowedIpsReport};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

// A host that loads several runners loads this small module once per runner.
#[allow(clippy::duplicate_mod)]
#[path = "codes.rs"]
mod codes;

pub const VECTORS: &str = include_str!("../vectors/allowed_ips.json");

#[derive(Debug, Deserialize)]
pub struct File {
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub input: String,
    pub networks: Vec<String>,
    pub errors: Vec<ExpectedError>,
    pub warnings: Vec<ExpectedWarning>,
    #[serde(default)]
    pub contains: BTreeMap<String, bool>,
    #[serde(default)]
    pub invalid_addresses: Vec<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    pub index: usize,
    pub text: String,
    pub code: String,
    #[serde(default)]
    pub suggestion: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedWarning {
    pub index: usize,
    pub code: String,
    #[serde(default)]
    pub related_index: Option<usize>,
}

fn code_of<T: serde::Serialize>(code: &T) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn project_errors(errors: &[AllowedIpEntryError]) -> Vec<ExpectedError> {
    errors
        .iter()
        .map(|e| ExpectedError {
            index: e.index,
            text: e.text.clone(),
            code: code_of(&e.code),
            suggestion: e.suggestion.clone(),
        })
        .collect()
}

/// What a host must provide: the report, and for a valid list, answers to `contains`
/// (`Ok(Some(bool))`, or `Ok(None)` for an address the host rejected as invalid).
pub trait Host {
    fn check(&self, input: &str) -> AllowedIpsReport;
    #[allow(clippy::type_complexity)]
    fn parse_and_contains(
        &self,
        input: &str,
        addresses: &[String],
    ) -> Result<Vec<Option<bool>>, Vec<AllowedIpEntryError>>;
}

/// Runs every case and returns one line per mismatch (empty when all pass), so a host
/// shows all failures at once.
pub fn run(host: &dyn Host) -> Vec<String> {
    let file: File = match serde_json::from_str(VECTORS) {
        Ok(f) => f,
        Err(e) => return vec![format!("allowed_ips.json does not parse: {e}")],
    };
    assert!(file.cases.len() >= 20, "too few allowed_ips cases");
    let mut failures = Vec::new();
    let (mut errors_seen, mut warnings_seen) = (BTreeSet::new(), BTreeSet::new());
    for case in &file.cases {
        let mut fail = |what: String| failures.push(format!("{}: {what}", case.name));
        let report = host.check(&case.input);
        errors_seen.extend(report.errors.iter().map(|e| code_of(&e.code)));
        warnings_seen.extend(report.warnings.iter().map(|w| code_of(&w.code)));
        let networks: Vec<String> = report.entries.iter().map(|e| e.network.clone()).collect();
        if networks != case.networks {
            fail(format!("networks {networks:?} != {:?}", case.networks));
        }
        let errors = project_errors(&report.errors);
        if errors != case.errors {
            fail(format!("errors {errors:?} != {:?}", case.errors));
        }
        let warnings: Vec<ExpectedWarning> = report
            .warnings
            .iter()
            .map(|w| ExpectedWarning {
                index: w.index,
                code: code_of(&w.code),
                related_index: w.related_index,
            })
            .collect();
        if warnings != case.warnings {
            fail(format!("warnings {warnings:?} != {:?}", case.warnings));
        }
        if report.errors.iter().any(|e| e.message.is_empty())
            || report.warnings.iter().any(|w| w.message.is_empty())
        {
            fail("an error or warning has no message".into());
        }
        let mut addresses: Vec<String> = case.contains.keys().cloned().collect();
        addresses.extend(case.invalid_addresses.iter().cloned());
        let mut expected: Vec<Option<bool>> = case.contains.values().map(|b| Some(*b)).collect();
        expected.extend(case.invalid_addresses.iter().map(|_| None));
        match host.parse_and_contains(&case.input, &addresses) {
            Ok(got) if case.errors.is_empty() => {
                if got != expected {
                    fail(format!(
                        "contains {addresses:?} gave {got:?}, expected {expected:?}"
                    ));
                }
            }
            Ok(_) => fail("AllowList.parse accepted a list with errors".into()),
            Err(errs) if case.errors.is_empty() => {
                fail(format!("AllowList.parse rejected a valid list: {errs:?}"))
            }
            Err(errs) => {
                if project_errors(&errs) != case.errors {
                    fail(format!(
                        "AllowList.parse errors {errs:?} != {:?}",
                        case.errors
                    ));
                }
            }
        }
    }
    failures.extend(codes::unreached("allowed_ips_errors", |c| {
        errors_seen.contains(c)
    }));
    failures.extend(codes::unreached("allowed_ips_warnings", |c| {
        warnings_seen.contains(c)
    }));
    failures
}
