// Runner for tests/vectors/authorize.json, shared by every Rust-side host through
// `#[path]`. A host supplies `decide` and `effective`; this file checks them.

use clouddigit_core::{Decision, OwnerState, Request, Token, TokenPolicy};
use serde::Deserialize;
use std::collections::BTreeMap;

// A host that loads several runners loads this small module once per runner.
#[allow(clippy::duplicate_mod)]
#[path = "codes.rs"]
mod codes;

pub const VECTORS: &str = include_str!("../vectors/authorize.json");

/// The shape of `tests/vectors/authorize.json`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `$schema` and the comments are read by editors and the schema test
pub struct File {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Owner states by fixture name.
    pub owners: BTreeMap<String, OwnerState>,
    pub tokens: BTreeMap<String, Token>,
    pub cases: Vec<Case>,
    pub effective: Vec<EffectiveCase>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AuthorizeCase")]
pub struct Case {
    pub name: String,
    pub token: String,
    pub owner: String,
    pub request: Request,
    /// The organization's token policy at the time of the call.
    #[serde(default)]
    pub policy: Option<TokenPolicy>,
    pub expect: Expect,
}

#[derive(Debug, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AuthorizeExpect")]
pub struct Expect {
    pub allowed: bool,
    #[schemars(with = "clouddigit_core::Reason")]
    pub reason: String,
    #[schemars(with = "Vec<clouddigit_core::Check>")]
    pub failed: Vec<String>,
    #[serde(default)]
    pub permission: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EffectiveCase")]
pub struct EffectiveCase {
    pub name: String,
    pub token: String,
    pub owner: String,
    pub project: Option<String>,
    pub permissions: Vec<String>,
}

pub trait Host {
    fn decide(
        &self,
        token: &Token,
        owner: &OwnerState,
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<Decision, String>;
    fn effective(
        &self,
        token: &Token,
        owner: &OwnerState,
        project: Option<&str>,
    ) -> Result<Vec<String>, String>;
}

fn code<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn load() -> File {
    serde_json::from_str(VECTORS).expect("authorize.json parses")
}

/// Runs every case; returns one line per mismatch.
pub fn run(host: &dyn Host) -> Vec<String> {
    let file = load();
    let mut failures = Vec::new();
    let mut reasons_seen = std::collections::BTreeSet::new();
    for case in &file.cases {
        let mut fail = |what: String| failures.push(format!("{}: {what}", case.name));
        let (Some(token), Some(owner)) =
            (file.tokens.get(&case.token), file.owners.get(&case.owner))
        else {
            fail("unknown token or owner fixture".into());
            continue;
        };
        let decision = match host.decide(token, owner, &case.request, case.policy.as_ref()) {
            Ok(d) => d,
            Err(e) => {
                fail(format!("error: {e}"));
                continue;
            }
        };
        reasons_seen.insert(code(&decision.reason));
        let failed: Vec<String> = decision
            .checks
            .iter()
            .filter(|c| code(&c.outcome) == "fail")
            .map(|c| code(&c.check))
            .collect();
        let got = Expect {
            allowed: decision.allowed,
            reason: code(&decision.reason),
            failed,
            permission: case
                .expect
                .permission
                .as_ref()
                .and(decision.permission.clone()),
        };
        if got != case.expect {
            fail(format!("got {got:?}, expected {:?}", case.expect));
        }
        // Every reason but `allowed` is a check.
        let checks = codes::listed("authorize").len() - 1;
        if decision.checks.len() != checks
            || decision.message.is_empty()
            || decision.checks.iter().any(|c| c.detail.is_empty())
        {
            fail(format!(
                "decision must list all {checks} checks, each with a detail, and a message"
            ));
        }
    }
    failures.extend(codes::unreached("authorize", |r| reasons_seen.contains(r)));
    for case in &file.effective {
        let (Some(token), Some(owner)) =
            (file.tokens.get(&case.token), file.owners.get(&case.owner))
        else {
            failures.push(format!("{}: unknown fixture", case.name));
            continue;
        };
        match host.effective(token, owner, case.project.as_deref()) {
            Ok(got) if got == case.permissions => {}
            Ok(got) => failures.push(format!(
                "{}: effective {got:?} != {:?}",
                case.name, case.permissions
            )),
            Err(e) => failures.push(format!("{}: error {e}", case.name)),
        }
    }
    failures
}
