//! tests/vectors/audit_format.json: audit events and the record each format makes of
//! them, which every host (this, python/tests/test_audit_format.py,
//! js/test/audit_format.test.mjs) must reproduce exactly.
//!
//! The file's `expect` values are written by this test:
//! `UPDATE_VECTORS=1 cargo test -p clouddigit-core --test audit_format_vectors` renders
//! every case again and rewrites them (the inputs stay as they are). Read the diff: a
//! changed record is a changed wire format for every SIEM reading the export.

use clouddigit_core::audit_format::{hashed_token, render, AuditContext, AuditFormat};
use clouddigit_core::model::AuditEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/audit_format.json"
);

/// The fewest cases the file may hold: each format, the token endpoint allowed and
/// refused, every activity, the statuses SIEMs alert on, anonymous calls, S3 paths,
/// odd query strings and non-ASCII text.
const MIN_CASES: usize = 15;

#[derive(Serialize, Deserialize)]
struct File {
    about: String,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize)]
struct Case {
    name: String,
    /// The token secret whose hash the event's `hashed_token` is, where the case has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    event: Value,
    format: AuditFormat,
    context: AuditContext,
    expect: Value,
}

fn load() -> File {
    let text = std::fs::read_to_string(PATH).expect("tests/vectors/audit_format.json");
    serde_json::from_str(&text).expect("audit_format.json is a vector file")
}

fn rendered(c: &Case) -> Value {
    let event: AuditEvent = serde_json::from_value(c.event.clone())
        .unwrap_or_else(|e| panic!("{}: event: {e}", c.name));
    render(&event, c.format, &c.context)
}

#[test]
fn every_case_renders_its_record() {
    let mut file = load();
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        for c in &mut file.cases {
            c.expect = rendered(c);
        }
        let mut text = serde_json::to_string_pretty(&file).expect("serializes");
        text.push('\n');
        // Renamed into place: the other tests read the file meanwhile.
        let tmp = format!("{PATH}.tmp");
        std::fs::write(&tmp, text).expect("write audit_format.json");
        std::fs::rename(&tmp, PATH).expect("replace audit_format.json");
        return;
    }
    let failures: Vec<String> = file
        .cases
        .iter()
        .filter_map(|c| {
            let got = rendered(c);
            (got != c.expect).then(|| format!("{}:\n  got    {got}\n  expect {}", c.name, c.expect))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (UPDATE_VECTORS=1 rewrites them; read the diff):\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_file_has_enough_cases_and_every_format() {
    let file = load();
    assert!(
        file.cases.len() >= MIN_CASES,
        "{} cases, fewer than {MIN_CASES}",
        file.cases.len()
    );
    for format in [
        AuditFormat::Json,
        AuditFormat::Ocsf,
        AuditFormat::Cloudtrail,
    ] {
        assert!(
            file.cases.iter().any(|c| c.format == format),
            "no case in {}",
            format.as_str()
        );
    }
    let names: std::collections::HashSet<&str> =
        file.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), file.cases.len(), "case names are unique");
}

#[test]
fn hashed_tokens_are_the_secrets_hashes() {
    let file = load();
    let with_secret: Vec<&Case> = file.cases.iter().filter(|c| c.secret.is_some()).collect();
    assert!(
        with_secret.len() >= 2,
        "at least two cases carry their secret"
    );
    for c in with_secret {
        let secret = c.secret.as_deref().unwrap_or_default();
        assert_eq!(
            c.event["hashed_token"].as_str(),
            Some(hashed_token(secret).as_str()),
            "{}",
            c.name
        );
        // The record carries the hash, never the secret.
        assert!(!c.expect.to_string().contains(secret), "{}", c.name);
    }
}
