use clouddigit_core::handle as ffi;
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
        ffi::TokenHandle::new(token.clone())
            .map(|h| h.effective_permissions(owner, project))
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

/// The bindings' hot path agrees with the explained decision on every vector that
/// it can express (action or route, project, IP, time; no tags, organization or policy).
#[test]
fn fast_check_agrees_with_authorize() {
    let file = vectors::load();
    let mut compared = 0;
    for case in &file.cases {
        let r = &case.request;
        if r.resource_tags.is_some() || r.organization.is_some() || case.policy.is_some() {
            continue;
        }
        let action = match (&r.action, &r.method, &r.path) {
            (Some(a), _, _) => a.clone(),
            (None, Some(m), Some(p)) => format!("{m} {p}"),
            _ => continue,
        };
        let token = ffi::TokenHandle::new(file.tokens[&case.token].clone()).expect("token");
        let owner = ffi::OwnerHandle::new(&file.owners[&case.owner]);
        let ip = r.ip.map(|i| i.to_string());
        let fast = token.check(&owner, &action, r.project.as_deref(), ip.as_deref(), r.time);
        assert_eq!(fast, case.expect.reason, "{}", case.name);
        compared += 1;
    }
    assert!(compared > 40, "only {compared} cases comparable");
}

/// Hosts index their interned reason strings by `reason as usize`: `Reason::ALL` must
/// list every reason in declaration order, each with its serde name as its code.
#[test]
fn reason_table_is_in_declaration_order() {
    for (i, r) in clouddigit_core::Reason::ALL.into_iter().enumerate() {
        assert_eq!(r as usize, i, "{r:?}");
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            serde_json::Value::from(r.code())
        );
    }
    for c in clouddigit_core::Check::ALL {
        assert!(clouddigit_core::Reason::ALL.contains(&clouddigit_core::Reason::from(c)));
    }
}
