use clouddigit_core::ffi;
use clouddigit_core::{Decision, OwnerState, Request, Token};

#[path = "../../tests/rust/authorize.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn decide(
        &self,
        token: &Token,
        owner: &OwnerState,
        request: &Request,
    ) -> Result<Decision, String> {
        ffi::authorize(token, owner, request).map_err(|e| e.to_string())
    }
    fn effective(
        &self,
        token: &Token,
        owner: &OwnerState,
        project: Option<&str>,
    ) -> Result<Vec<String>, String> {
        ffi::effective_permissions(token, owner, project).map_err(|e| e.to_string())
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
