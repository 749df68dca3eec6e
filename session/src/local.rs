//! The local rules a client applies before and without a call, on whoami's answer:
//! validating a token draft, the create body it becomes, `can`, and the next page's
//! operation. The session ([`crate::machine`]) calls them; they are the core's rules
//! (`clouddigit_core::validate`, the evaluator) with the API's models in.

use chrono::SecondsFormat;
use serde_json::Value;

use super::error::{ApiError, ErrorKind, FieldError};
use super::models::{ApiToken, Page, ServiceAccount, Whoami};
use super::ops::Operation;
use clouddigit_core::allowed_ips::AllowList;
use clouddigit_core::evaluator::Decision;
use clouddigit_core::model::{
    OwnerState, ProjectScope, Request, ServiceAccountState, Timestamp, TokenPermissions,
};
use clouddigit_core::validate::{TextOrList, TokenDraft, TokenRequest, TokenValidation};

/// The same list call for the page after `page`, or `None` on the last page.
pub fn next_page(op: &Operation, page: &Value) -> Option<Operation> {
    let page: Page<Value> = serde_json::from_value(page.clone()).ok()?;
    op.with_cursor(page.next_cursor.as_deref()?)
}

/// A service account as the owner of the tokens issued to it.
pub fn service_account_owner(sa: &ServiceAccount) -> OwnerState {
    OwnerState::ServiceAccount(ServiceAccountState {
        id: sa.id.clone(),
        name: sa.name.clone(),
        description: sa.description.clone(),
        organization: sa.organization.clone(),
        project: sa.project.clone(),
        role: sa.role,
        tag_selector: sa.tag_selector.clone(),
        status: sa.status,
        allowed_ips: sa.allowed_ips.clone(),
    })
}

/// The console's rules on a token draft, with the owner and organization as whoami
/// reported them. `owner`: the caller for a personal token, or the service account.
pub fn validate_draft(
    draft: &TokenDraft,
    owner: &OwnerState,
    whoami: &Whoami,
    existing: &[ApiToken],
    now: Timestamp,
) -> TokenValidation {
    clouddigit_core::validate::validate_token(
        &TokenRequest {
            draft: with_defaults(draft, owner),
            owner: owner.clone(),
            existing_tokens: existing.iter().map(|t| t.token.clone()).collect(),
            now,
            policy: whoami.policy.clone(),
            organization_projects: whoami.organization_projects.clone(),
            // The calling token: the SDK refuses, before sending, what the API would refuse
            // as exceeding it.
            caller: Some(clouddigit_core::delegation::CallerCredential {
                token: whoami.token.token.clone(),
                owner: whoami.owner.clone(),
            }),
        },
        clouddigit_core::Catalog::builtin(),
    )
}

/// A service-account token without projects is for the account's project, as the API
/// does it.
fn with_defaults(draft: &TokenDraft, owner: &OwnerState) -> TokenDraft {
    let mut d = draft.clone();
    if let (None, OwnerState::ServiceAccount(sa)) = (&d.projects, owner) {
        if let Some(p) = &sa.project {
            d.projects = Some(ProjectScope::Projects(vec![p.clone()]));
        }
    }
    d
}

/// Validates a draft and, when it is valid, gives the API body that creates it.
/// Invalid drafts fail here with the field errors, before any call.
pub fn prepare_create(
    draft: &TokenDraft,
    owner: &OwnerState,
    whoami: &Whoami,
    existing: &[ApiToken],
    now: Timestamp,
) -> Result<Value, ApiError> {
    let draft = &with_defaults(draft, owner);
    let v = validate_draft(draft, owner, whoami, existing, now);
    if !v.valid {
        let field_errors: Vec<FieldError> = v
            .errors
            .iter()
            .map(|i| FieldError {
                field: i.field.clone(),
                code: i.code.as_str().to_owned(),
                message: i.message.clone(),
            })
            .collect();
        let first = &field_errors[0];
        return Err(ApiError {
            kind: ErrorKind::Validation,
            code: "validation_failed".into(),
            message: format!(
                "{} problem(s) in the token request, first {}: {}",
                field_errors.len(),
                first.field,
                first.message
            ),
            status: None,
            request_id: None,
            retry_after_ms: None,
            retries: 0,
            field_errors,
        });
    }
    let text = match &draft.allowed_ips {
        TextOrList::Text(t) => t.clone(),
        TextOrList::List(l) => l.join("\n"),
    };
    let allowed_ips: Vec<String> = AllowList::parse(&text)
        .map(|l| l.networks().iter().map(|n| n.to_string()).collect())
        .unwrap_or_default();
    let projects = match &draft.projects {
        Some(ProjectScope::All(_)) => Value::from("all"),
        Some(ProjectScope::Projects(p)) => Value::from(p.clone()),
        None => Value::Null,
    };
    let permissions = match &draft.permissions {
        TokenPermissions::Inherit(_) => Value::from("inherit"),
        TokenPermissions::Downscoped(p) => Value::from(p.clone()),
    };
    let mut body = serde_json::json!({
        "name": draft.name,
        "permissions": permissions,
        "expires_at": v.preview.expires_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "allowed_ips": allowed_ips,
    });
    if !projects.is_null() {
        body["projects"] = projects;
    }
    Ok(body)
}

/// Whether the calling token may do `action` in `project` now, decided locally by the
/// evaluator from whoami's answer (the token and its owner as they were then).
pub fn can(
    whoami: &Whoami,
    action: &str,
    project: Option<&str>,
    now: Timestamp,
) -> Result<Decision, ApiError> {
    let handle = clouddigit_core::handle::TokenHandle::new(whoami.token.token.clone())
        .map_err(|e| ApiError::config("invalid_token_metadata", e.to_string()))?;
    let request = Request {
        action: Some(action.to_owned()),
        method: None,
        path: None,
        organization: None,
        project: project.map(str::to_owned),
        ip: whoami.ip.as_deref().and_then(|ip| ip.parse().ok()),
        time: now,
        resource_tags: None,
    };
    handle
        .authorize_under(&whoami.owner, &request, whoami.policy.as_ref())
        .map_err(|e| ApiError::config("invalid_request", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::tests::token_json;
    use chrono::TimeZone;

    fn whoami() -> Whoami {
        serde_json::from_value(serde_json::json!({
            "token": token_json("tok_1"),
            "owner": {"type": "user", "id": "u_dev", "email": "dev@acme.example",
                      "organization": "acme", "status": "active",
                      "project_roles": {"web": "member"}},
            "organization_projects": ["web", "data", "prod"],
            "ip": "127.0.0.1"
        }))
        .unwrap()
    }

    fn now() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
            .unwrap()
    }

    #[test]
    fn an_invalid_draft_fails_before_any_call_with_field_errors() {
        let w = whoami();
        let draft: TokenDraft = serde_json::from_value(serde_json::json!({
            "name": "laptop", "projects": ["web"], "permissions": ["compute.servers.lsit"],
            "expiry": "30d", "allowed_ips": "10.0.0.0/8\n10.0.0.300"
        }))
        .unwrap();
        let e = prepare_create(&draft, &w.owner, &w, &[], now()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        let fields: Vec<&str> = e.field_errors.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"permissions[0]"), "{fields:?}");
        assert!(fields.contains(&"allowed_ips[1]"), "{fields:?}");
    }

    #[test]
    fn a_valid_draft_becomes_the_api_body() {
        let w = whoami();
        let draft: TokenDraft = serde_json::from_value(serde_json::json!({
            "name": "laptop", "projects": ["web"], "permissions": ["compute.servers.list"],
            "expiry": "30d", "allowed_ips": "10.1.2.0/24, 192.168.0.1"
        }))
        .unwrap();
        let body = prepare_create(&draft, &w.owner, &w, &[], now()).unwrap();
        assert_eq!(body["expires_at"], "2026-12-23T12:00:00Z");
        assert_eq!(
            body["allowed_ips"],
            serde_json::json!(["10.1.2.0/24", "192.168.0.1/32"])
        );
        assert_eq!(body["projects"], serde_json::json!(["web"]));
    }

    #[test]
    fn can_answers_locally() {
        let w = whoami();
        assert!(
            can(&w, "compute.servers.list", Some("web"), now())
                .unwrap()
                .allowed
        );
        let d = can(&w, "compute.servers.list", Some("data"), now()).unwrap();
        assert!(!d.allowed);
        let d = can(&w, "compute.servers.lsit", Some("web"), now()).unwrap();
        assert!(!d.allowed, "{d:?}");
    }

    #[test]
    fn pages_follow_the_cursor() {
        let op = Operation::ListTokens {
            cursor: None,
            limit: Some(2),
        };
        let next = next_page(&op, &serde_json::json!({"items": [], "next_cursor": "c2"})).unwrap();
        assert_eq!(
            next,
            Operation::ListTokens {
                cursor: Some("c2".into()),
                limit: Some(2)
            }
        );
        assert!(next_page(&op, &serde_json::json!({"items": [], "next_cursor": null})).is_none());
    }
}
