//! tests/vectors/trust_validate.json: trust drafts and the errors and warnings the trust
//! form shows, as every host's core must give them.

use clouddigit_core::oidc::{validate_trust, TrustSpec};
use clouddigit_core::Catalog;
use serde_json::Value;

#[path = "../../tests/rust/trust_validate.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn validate_trust(&self, spec: &Value, account_projects: &[String]) -> Result<Value, String> {
        let spec: TrustSpec = serde_json::from_value(spec.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(validate_trust(&spec, account_projects, Catalog::builtin()))
            .map_err(|e| e.to_string())
    }
}

#[test]
fn trust_drafts_get_the_expected_issues() {
    let failures = vectors::run(&Native);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
