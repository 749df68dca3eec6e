use clouddigit_core::ffi;
use clouddigit_core::{Decision, OwnerState, Request, Token, TokenPolicy};

#[path = "../../tests/rust/authorize.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn decide(
        &self,
        token: &Token,
        owner: &OwnerState,
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<Decision, String> {
        ffi::TokenHandle::new(token.clone())
            .and_then(|h| h.authorize_under(owner, request, policy))
            .map_err(|e| e.to_string())
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

/// A token refused because the organization's maximum lifetime tightened says so.
#[test]
fn lifetime_policy_denial_names_the_policy() {
    let file = vectors::load();
    let case = file
        .cases
        .iter()
        .find(|c| c.policy.is_some() && c.expect.reason == "expired")
        .expect("a policy case");
    let d = ffi::TokenHandle::new(file.tokens[&case.token].clone())
        .and_then(|h| {
            h.authorize_under(
                &file.owners[&case.owner],
                &case.request,
                case.policy.as_ref(),
            )
        })
        .expect("decides");
    assert!(d.message.contains("max_lifetime_days"), "{}", d.message);
}
