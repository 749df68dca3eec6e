//! The service-account name pattern (for schemas and forms) and the name rule the
//! validator applies are one rule written two ways: they must agree on every name.

use clouddigit_core::validate::SERVICE_ACCOUNT_NAME_PATTERN;
use clouddigit_core::{validate_service_account, Catalog, ServiceAccountRequest};
use proptest::prelude::*;

fn rule_accepts(name: &str) -> bool {
    let req: ServiceAccountRequest = serde_json::from_value(serde_json::json!({
        "draft": {"name": name, "project": "web", "role": "member"},
        "creator": {"type": "user", "id": "u_olga", "email": "olga@acme.test", "organization": "acme",
                    "status": "active", "org_role": "admin", "project_roles": {}},
    }))
    .expect("request");
    let v = validate_service_account(&req, Catalog::builtin());
    !v.errors.iter().any(|i| {
        i.field == "name"
            && matches!(
                i.code.as_str(),
                "name_invalid_characters" | "name_too_long" | "name_required"
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn the_pattern_and_the_rule_agree(name in "[a-z0-9A-Z_ .-]{0,70}") {
        let re = regex::Regex::new(SERVICE_ACCOUNT_NAME_PATTERN).expect("pattern");
        prop_assert_eq!(re.is_match(&name), rule_accepts(&name), "{:?}", name);
    }
}

#[test]
fn edges() {
    let re = regex::Regex::new(SERVICE_ACCOUNT_NAME_PATTERN).expect("pattern");
    for name in [
        "a",
        "a-b",
        "-a",
        "a-",
        &"a".repeat(63),
        &"a".repeat(64),
        "",
        "A",
        "a_b",
    ] {
        assert_eq!(re.is_match(name), rule_accepts(name), "{name:?}");
    }
}
