//! `tests/vectors/codes.json` is the list every host's runner checks its vectors against;
//! here each list must be exactly the Rust enum it stands for. The matches without a
//! wildcard stop compiling when a variant is added, which leads here; the list then has
//! to gain the code, and every host's runner then fails until a vector reaches it.

use clouddigit_core::{
    AllowedIpErrorCode, AllowedIpWarningCode, IssueCode, Reason, TokenFormatError,
};
use serde_json::Value;

fn listed(key: &str) -> Vec<String> {
    let all: Value = serde_json::from_str(include_str!("../../tests/vectors/codes.json"))
        .expect("codes.json parses");
    all[key]
        .as_array()
        .unwrap_or_else(|| panic!("codes.json has no list {key}"))
        .iter()
        .map(|c| c.as_str().expect("codes are strings").to_owned())
        .collect()
}

fn serde_name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every string the enum's JSON schema allows (`enum` lists and `const`s).
fn schema_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("const", Value::String(s)) => out.push(s.clone()),
                    ("enum", Value::Array(a)) => {
                        out.extend(a.iter().filter_map(|s| s.as_str().map(str::to_owned)))
                    }
                    _ => schema_strings(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| schema_strings(x, out)),
        _ => {}
    }
}

#[test]
fn validate_codes_are_the_issue_code_enum() {
    let schema = serde_json::to_value(schemars::schema_for!(IssueCode)).unwrap();
    let mut from_enum = Vec::new();
    schema_strings(&schema, &mut from_enum);
    let listed = listed("validate");
    assert_eq!(listed, from_enum, "codes.json `validate` vs IssueCode");
    for c in &listed {
        let code: IssueCode = serde_json::from_value(Value::String(c.clone())).unwrap();
        assert_eq!(code.as_str(), c);
    }
}

#[test]
fn authorize_codes_are_the_reason_enum() {
    let from_enum: Vec<String> = Reason::ALL
        .into_iter()
        .map(|r| {
            // Exhaustive: a new reason stops this compiling until ALL and codes.json have it.
            match r {
                Reason::Allowed
                | Reason::Revoked
                | Reason::Rotated
                | Reason::Expired
                | Reason::OwnerInactive
                | Reason::IpNotAllowed
                | Reason::UnknownAction
                | Reason::ProjectOutOfScope
                | Reason::NotInRole
                | Reason::NotInTokenPermissions
                | Reason::TagMismatch
                | Reason::StepUpRequired
                | Reason::InRotationGrace
                | Reason::Quarantined => r.code().to_owned(),
            }
        })
        .collect();
    assert_eq!(listed("authorize"), from_enum);
}

#[test]
fn allowed_ip_codes_are_their_enums() {
    use AllowedIpErrorCode as E;
    use AllowedIpWarningCode as W;
    let errors = [E::InvalidCidr, E::PrefixTooLong, E::HostBitsSet];
    for e in errors {
        match e {
            E::InvalidCidr | E::PrefixTooLong | E::HostBitsSet => {}
        }
    }
    let warnings = [W::Duplicate, W::Covered, W::AllowsAll];
    for w in warnings {
        match w {
            W::Duplicate | W::Covered | W::AllowsAll => {}
        }
    }
    assert_eq!(listed("allowed_ips_errors"), errors.map(serde_name));
    assert_eq!(listed("allowed_ips_warnings"), warnings.map(serde_name));
}

#[test]
fn token_format_codes_are_the_error_enum() {
    let all = [
        TokenFormatError::MissingPrefix,
        TokenFormatError::WrongLength { len: 0 },
        TokenFormatError::InvalidCharacter {
            prefix: String::new(),
            position: 0,
        },
        TokenFormatError::BadChecksum {
            prefix: String::new(),
        },
    ];
    for e in &all {
        match e {
            TokenFormatError::MissingPrefix
            | TokenFormatError::WrongLength { .. }
            | TokenFormatError::InvalidCharacter { .. }
            | TokenFormatError::BadChecksum { .. } => {}
        }
    }
    let codes: Vec<String> = all.iter().map(|e| e.code().to_owned()).collect();
    assert_eq!(listed("token_format"), codes);
}

#[test]
fn trust_validate_codes_are_the_trust_issue_code_enum() {
    use clouddigit_core::oidc::trust::TrustIssueCode;
    let schema = serde_json::to_value(schemars::schema_for!(TrustIssueCode)).unwrap();
    let mut from_enum = Vec::new();
    schema_strings(&schema, &mut from_enum);
    let listed = listed("trust_validate");
    assert_eq!(
        listed, from_enum,
        "codes.json `trust_validate` vs TrustIssueCode"
    );
    for c in &listed {
        let code: TrustIssueCode = serde_json::from_value(Value::String(c.clone())).unwrap();
        assert_eq!(<&str>::from(code), c);
    }
}
