use clouddigit_core::{ServiceAccountRequest, TokenRequest};
use serde_json::Value;

#[path = "../../tests/rust/validate.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn validate_token(&self, input: &Value) -> Result<Value, String> {
        let req: TokenRequest = serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(clouddigit_core::validate_token(
            &req,
            clouddigit_core::Catalog::builtin(),
        ))
        .map_err(|e| e.to_string())
    }
    fn validate_service_account(&self, input: &Value) -> Result<Value, String> {
        let req: ServiceAccountRequest =
            serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(clouddigit_core::validate_service_account(
            &req,
            clouddigit_core::Catalog::builtin(),
        ))
        .map_err(|e| e.to_string())
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
