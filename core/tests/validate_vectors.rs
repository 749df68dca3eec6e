use clouddigit_core::{ffi, IssueCode, ServiceAccountRequest, TokenRequest};
use serde_json::Value;

#[path = "../../tests/rust/validate.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn validate_token(&self, input: &Value) -> Result<Value, String> {
        let req: TokenRequest = serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(ffi::validate_token(&req)).map_err(|e| e.to_string())
    }
    fn validate_service_account(&self, input: &Value) -> Result<Value, String> {
        let req: ServiceAccountRequest =
            serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(ffi::validate_service_account(&req)).map_err(|e| e.to_string())
    }
}

#[test]
fn shared_vectors() {
    let failures = vectors::run(&Native);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The runner's list of codes is the enum, so a new code cannot go untested.
#[test]
fn code_list_matches_the_enum() {
    let all: Vec<String> = vectors::ALL_CODES
        .iter()
        .map(|c| {
            let code: IssueCode = serde_json::from_value(Value::String((*c).into()))
                .unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(code.as_str(), *c);
            code.as_str().to_owned()
        })
        .collect();
    assert_eq!(all.len(), 39);
    let unique: std::collections::BTreeSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
}
