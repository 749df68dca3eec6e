//! The facade's trust functions as the bindings call them: presets drafted and checked,
//! the oidc vectors through `check_trust` with trusts read from JSON text, and no token
//! in what a host reports for an argument it cannot read.

use clouddigit_ffi::{
    check_trust, read_trusts, trust_preset, trust_presets, validate_trust, without_secret,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../tests/vectors/oidc.json")).expect("vectors")
}

#[test]
fn every_preset_drafts_a_trust_that_is_valid_once_named_and_pinned() {
    let presets = trust_presets();
    assert_eq!(presets.len(), 5);
    for info in presets {
        let mut spec = trust_preset(info.preset, "acme/web", "main", "https://iam.example/acme");
        assert_eq!(spec.issuer, info.issuer);
        // The unfilled draft is refused: no name, and the id claim has no value yet.
        let v = validate_trust(&spec, &[]);
        assert!(!v.ok(), "{:?}: {v:?}", info.preset);
        assert_eq!(v.errors[0].field, "name");
        spec.name = "deploy".into();
        if let Some(claim) = &info.id_claim {
            spec.claims.insert(claim.clone(), "4242".into());
        }
        let v = validate_trust(&spec, &[]);
        assert!(v.ok() && v.warnings.is_empty(), "{:?}: {v:?}", info.preset);
    }
}

#[test]
fn vectors_through_the_facade_with_trusts_as_text() {
    let file = vectors();
    let jwks = file["jwks"].to_string();
    for c in file["cases"].as_array().unwrap() {
        let trusts = read_trusts(&c["trusts"].to_string(), "trusts").expect("trusts");
        let now =
            clouddigit_ffi::core::Timestamp::from_timestamp(c["now"].as_i64().unwrap(), 0).unwrap();
        let r = check_trust(c["jwt"].as_str().unwrap(), &trusts, now, Some(&jwks));
        assert_eq!(r.signature, c["expect"]["signature"], "{}", c["name"]);
        assert_eq!(
            r.trust.as_deref(),
            c["expect"]["trust"].as_str(),
            "{}",
            c["name"]
        );
    }
}

#[test]
fn a_token_given_where_the_trusts_go_is_not_echoed() {
    let file = vectors();
    let jwt = file["cases"][0]["jwt"].as_str().unwrap();
    // Trusts as a string: serde quotes the value it refuses.
    let e = read_trusts(&Value::String(jwt.into()).to_string(), "trusts").unwrap_err();
    assert!(e.contains(jwt), "serde quotes the value: {e}");
    let shown = without_secret(&e, jwt);
    assert!(
        !shown.contains(jwt) && shown.starts_with("trusts: "),
        "{shown}"
    );
}
