//! Instants at the end of chrono's calendar come from callers (a JS `Date`, a sandbox clock
//! moved far ahead): the core answers with an issue or a decision, never a panic, which
//! in wasm would abort the module for the whole page.

use chrono::{DateTime, Duration, Utc};
use clouddigit_core::handle::TokenHandle;
use clouddigit_core::{validate_token, Catalog, IssueCode, TokenRequest};
use serde_json::json;

#[test]
fn a_preset_expiry_past_the_calendar_is_an_issue() {
    let mut req: TokenRequest = serde_json::from_value(json!({
        "draft": { "name": "edge", "projects": ["web"], "permissions": "inherit", "expiry": "365d" },
        "owner": { "type": "user", "id": "u1", "organization": "org", "status": "active", "project_roles": { "web": "member" } },
        "now": "2026-11-23T10:00:00Z"
    }))
    .unwrap();
    req.now = DateTime::<Utc>::MAX_UTC - Duration::days(1);
    let v = validate_token(&req, Catalog::builtin());
    assert!(!v.valid);
    assert!(
        v.errors
            .iter()
            .any(|i| i.field == "expiry" && i.code == IssueCode::ExpiryInvalid),
        "{:?}",
        v.errors
    );
}

#[test]
fn a_rotation_at_the_end_of_the_calendar_is_decided() {
    let mut token: clouddigit_core::Token = serde_json::from_value(json!({
        "id": "tok", "name": "edge", "owner": { "type": "user", "id": "u1" }, "organization": "org",
        "projects": ["web"], "permissions": "inherit", "created_at": "2026-11-23T10:00:00Z"
    }))
    .unwrap();
    token.rotated_at = Some(DateTime::<Utc>::MAX_UTC - Duration::days(1));
    let owner = serde_json::from_value(json!({
        "type": "user", "id": "u1", "organization": "org", "status": "active", "project_roles": { "web": "member" }
    }))
    .unwrap();
    let request = serde_json::from_value(json!({
        "action": "compute.servers.list", "project": "web", "time": "2026-11-23T10:00:00Z"
    }))
    .unwrap();
    let d = TokenHandle::new(token.clone())
        .unwrap()
        .authorize(&owner, &request)
        .unwrap();
    assert!(d.allowed, "{}", d.message);
}
