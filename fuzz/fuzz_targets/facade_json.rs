//! Every JSON entry point of the facade the bindings call, with the JSON the bindings
//! would pass: never a panic, and each answer is consistent with itself.
#![no_main]
use clouddigit_core::delegation::DelegationRequest;
use clouddigit_core::evaluator::Audience;
use clouddigit_core::json::from_json;
use clouddigit_core::lint::InventoryToken;
use clouddigit_core::{
    OwnerState, Request, Role, ServiceAccountRequest, Timestamp, Token, TokenPolicy, TokenRequest,
};
use clouddigit_ffi::{self as ffi, TokenHandle};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Deserialize)]
struct Authorize {
    token: Token,
    owner: OwnerState,
    request: Request,
    #[serde(default)]
    policy: Option<TokenPolicy>,
}

#[derive(Deserialize)]
struct Effective {
    token: Token,
    owner: OwnerState,
    #[serde(default)]
    project: Option<String>,
}

#[derive(Deserialize)]
struct LeastPrivilege {
    calls: Vec<String>,
    #[serde(default)]
    role: Option<Role>,
    /// A token to compare with (`least-privilege --against`), and the projects called.
    #[serde(default)]
    against: Option<Token>,
    #[serde(default)]
    projects: Vec<String>,
}

#[derive(Deserialize)]
struct Lint {
    tokens: Vec<InventoryToken>,
    now: Timestamp,
    #[serde(default)]
    unused_days: Option<u32>,
    #[serde(default)]
    policy: Option<TokenPolicy>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 8 {
        0 => {
            if let Ok(a) = from_json::<Authorize>(&text, "input") {
                if let Ok(h) = TokenHandle::new(a.token) {
                    for audience in [Audience::Owner, Audience::Caller] {
                        if let Ok(d) =
                            h.authorize_for(audience, &a.owner, &a.request, a.policy.as_ref())
                        {
                            assert_eq!(d.allowed, d.reason == clouddigit_core::Reason::Allowed);
                            assert!(!d.message.is_empty());
                        }
                    }
                }
            }
        }
        1 => {
            if let Ok(r) = from_json::<TokenRequest>(&text, "input") {
                let v = ffi::validate_token(&r);
                assert_eq!(v.valid, v.errors.is_empty());
            }
        }
        2 => {
            if let Ok(r) = from_json::<ServiceAccountRequest>(&text, "input") {
                let v = ffi::validate_service_account(&r);
                assert_eq!(v.valid, v.errors.is_empty());
            }
        }
        3 => {
            if let Ok(e) = from_json::<Effective>(&text, "input") {
                let _ = ffi::effective_permissions(&e.token, &e.owner, e.project.as_deref());
            }
        }
        4 => {
            let (method, path) = text.split_once(' ').unwrap_or((&text, ""));
            if let Some(p) = ffi::resolve_route(method, path) {
                assert!(!ffi::expand_permission(&p).is_empty());
            }
            let _ = ffi::expand_permission(&text);
        }
        5 => {
            if let Ok(l) = from_json::<LeastPrivilege>(&text, "input") {
                let lp = ffi::least_privilege(&l.calls, l.role);
                if let Some(t) = &l.against {
                    let d = ffi::least_privilege_diff(&lp, &l.projects, t, l.role);
                    assert_eq!(d.suggested, lp.permissions);
                    assert!(d.missing.iter().all(|m| !d.unused.contains(m)));
                    assert!(!d.is_exact() || d.missing.is_empty());
                }
            }
        }
        6 => {
            if let Ok(l) = from_json::<Lint>(&text, "input") {
                let _ = ffi::lint(&l.tokens, l.now);
                for f in ffi::lint_with(&l.tokens, l.now, l.unused_days, l.policy.as_ref()) {
                    // A finding names the token by its prefix only.
                    assert!(f.prefix.chars().count() <= 9);
                    assert_eq!(f.severity, f.code.severity());
                }
            }
        }
        _ => {
            if let Ok(r) = from_json::<DelegationRequest>(&text, "input") {
                for i in ffi::check_delegation(&r) {
                    assert!(!i.field.is_empty() && !i.message.is_empty());
                }
            }
        }
    }
});
