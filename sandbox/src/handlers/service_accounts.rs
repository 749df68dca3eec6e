//! Service accounts (project- and organization-level), their API tokens, their client
//! secret for the client-credentials grant, and their S3-style access keys.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clouddigit_core::model::ServiceAccountStatus;
use clouddigit_core::validate::{ServiceAccountDraft, TagSelectorInput};
use clouddigit_core::{
    Catalog, OwnerRef, OwnerState, ProjectRole, ServiceAccountRequest, ServiceAccountState,
};
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::db::{self, SaRow};
use crate::error::{ApiError, FieldError};
use crate::handlers::tokens::{self, token_json};
use crate::handlers::{require_object, str_field, string_map_field};
use crate::idempotency;
use crate::secrets::{new_access_key, new_client_secret, new_id, sha256_hex};
use crate::state::AppState;

pub fn sa_json(sa: &SaRow) -> Value {
    let s = &sa.state;
    json!({
        "id": s.id,
        "client_id": s.id,
        "name": s.name,
        "description": s.description,
        "organization": s.organization,
        "project": s.project,
        "level": if s.project.is_some() { "project" } else { "organization" },
        "role": s.role,
        "tag_selector": s.tag_selector,
        "status": s.status,
        "created_at": sa.created_at,
        "updated_at": sa.updated_at,
    })
}

#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    Write,
    Delete,
}

/// Project accounts are managed in their project by the route's permission. The catalog
/// has no routes for organization-level accounts beyond list/create/delete, so their
/// other calls are decided by the matching `org.service_accounts.*` permission.
fn authorize_sa(caller: &Caller, sa: &ServiceAccountState, access: Access) -> Result<(), ApiError> {
    match &sa.project {
        Some(p) => caller.authorize(Some(p), None).map(|_| ()),
        None => caller
            .authorize_action(
                match access {
                    Access::Read => "org.service_accounts.list",
                    Access::Write => "org.service_accounts.create",
                    Access::Delete => "org.service_accounts.delete",
                },
                None,
                None,
            )
            .map(|_| ()),
    }
}

fn live_sa(conn: &Connection, state: &AppState, id: &str) -> Result<SaRow, ApiError> {
    db::service_account(conn, id)?
        .filter(|s| {
            s.state.status != ServiceAccountStatus::Deleted
                && s.state.organization == state.organization()
        })
        .ok_or_else(|| ApiError::not_found("service account"))
}

/// `role` as text for the core to check (`read_only` when absent); only its type here.
fn role_text(body: &Value, errors: &mut Vec<FieldError>) -> Option<String> {
    match body.get("role") {
        None | Some(Value::Null) => Some("read_only".to_owned()),
        Some(_) => str_field(body, "role", errors).map(str::to_owned),
    }
}

/// The core's `validate_service_account` on the account as it would be stored: the very
/// rules the console's form shows (name, description, role, tag selector, project,
/// creator, the per-project limit), after `errors`, the shape errors already found, as
/// 422 field errors all at once. `only` (an update) keeps the core's findings on the
/// fields the request may change: an update neither re-applies the creation rules (who
/// creates, how many exist) nor judges a name it cannot change. Returns the role and
/// the parsed selector to store.
fn check_with_core(
    caller: &Caller,
    draft: ServiceAccountDraft,
    existing: Vec<ServiceAccountState>,
    org_projects: Vec<String>,
    mut errors: Vec<FieldError>,
    only: Option<&[&str]>,
) -> Result<(ProjectRole, std::collections::BTreeMap<String, String>), ApiError> {
    let role = draft.role.clone();
    let request = ServiceAccountRequest {
        draft,
        creator: caller.owner.clone(),
        existing,
        policy: caller.policy.clone(),
        organization_projects: org_projects,
        caller: None,
        now: None,
    };
    let v = clouddigit_core::validate_service_account(&request, Catalog::builtin());
    // Every problem at once: the shape errors, then the core's for the other fields.
    let counts = |field: &str| {
        only.is_none_or(|fields| {
            fields.iter().any(|f| {
                field
                    .strip_prefix(f)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']))
            })
        })
    };
    for i in v.errors.into_iter().filter(|i| counts(&i.field)) {
        if !errors.iter().any(|e| e.field == i.field) {
            errors.push(FieldError::new(i.field, i.code.as_str(), i.message));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let role = serde_json::from_value(Value::String(role))
        .map_err(|_| ApiError::internal("a role the core accepted did not parse"))?;
    Ok((role, v.preview.tag_selector))
}

/// Creates an account in `project` (`None`: organization level).
fn create_sa(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    body: &Value,
    project: Option<String>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let name = str_field(body, "name", &mut errors)
        .unwrap_or_default()
        .to_owned();
    let description = str_field(body, "description", &mut errors)
        .unwrap_or_default()
        .to_owned();
    let role = role_text(body, &mut errors).unwrap_or_default();
    let tags = string_map_field(body, "tag_selector", &mut errors).unwrap_or_default();
    let now = state.now();
    idempotency::run(state, &caller.token.owner, headers, route, body, || {
        let conn = state.db()?;
        // Asked with the database held: two creates racing for one name or for the last
        // place under the limit cannot both pass.
        let existing = db::service_accounts(&conn, project.as_deref())?;
        let draft = ServiceAccountDraft {
            name: name.clone(),
            description: description.clone(),
            organization: Some(state.organization().to_owned()),
            project: project.clone(),
            role: role.clone(),
            tag_selector: TagSelectorInput::Map(tags.clone()),
            allowed_ips: Default::default(),
        };
        let (role, tag_selector) = check_with_core(
            caller,
            draft,
            existing.into_iter().map(|s| s.state).collect(),
            db::projects(&conn)?,
            errors.clone(),
            None,
        )?;
        let secret = new_client_secret()?;
        let row = SaRow {
            state: ServiceAccountState {
                id: new_id("sa"),
                name: name.clone(),
                description: description.clone(),
                organization: state.organization().to_owned(),
                project: project.clone(),
                role,
                tag_selector,
                status: ServiceAccountStatus::Active,
                allowed_ips: Vec::new(),
            },
            secret_hash: Some(sha256_hex(&secret)),
            created_at: now,
            updated_at: now,
        };
        db::upsert_service_account(&conn, &row)?;
        Ok((
            StatusCode::CREATED,
            json!({ "service_account": sa_json(&row), "client_id": row.state.id, "client_secret": secret }),
        ))
    })
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let projects = db::projects(&*state.db()?)?;
    let project = caller.context_project(&projects);
    caller.authorize(project.as_deref(), None)?;
    let Some(project) = project else {
        return Ok(Json(json!({ "service_accounts": [], "next_cursor": null })));
    };
    let rows = db::service_accounts(&*state.db()?, Some(&project))?;
    let (items, next) = super::paginate(rows.iter().map(sa_json).collect(), query.as_deref())?;
    Ok(Json(
        json!({ "service_accounts": items, "next_cursor": next }),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    require_object(&body)?;
    let project = match body.get("project") {
        Some(Value::String(p)) => p.clone(),
        None | Some(Value::Null) => caller
            .query_project
            .clone()
            .ok_or_else(|| ApiError::field("project", "required", "the project the account belongs to (org-level accounts: POST /v1/org/service-accounts)"))?,
        Some(_) => return Err(ApiError::field("project", "invalid_type", "a project id")),
    };
    caller.authorize(Some(&project), None)?;
    create_sa(
        &state,
        &caller,
        &headers,
        "POST /v1/iam/service-accounts",
        &body,
        Some(project),
    )
}

pub async fn org_list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.authorize(None, None)?;
    let rows = db::service_accounts(&*state.db()?, None)?;
    let (items, next) = super::paginate(rows.iter().map(sa_json).collect(), query.as_deref())?;
    Ok(Json(
        json!({ "service_accounts": items, "next_cursor": next }),
    ))
}

pub async fn org_create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    require_object(&body)?;
    caller.authorize(None, None)?;
    if body.get("project").is_some_and(|p| !p.is_null()) {
        return Err(ApiError::field(
            "project",
            "not_allowed",
            "organization-level accounts have no project; use POST /v1/iam/service-accounts",
        ));
    }
    create_sa(
        &state,
        &caller,
        &headers,
        "POST /v1/org/service-accounts",
        &body,
        None,
    )
}

pub async fn org_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    if sa.state.project.is_some() {
        return Err(ApiError::not_found("organization-level service account"));
    }
    caller.authorize(None, None)?;
    delete_sa(&state, sa)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Read)?;
    Ok(Json(sa_json(&sa)))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    require_object(&body)?;
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let mut errors = Vec::new();
    if let Some(obj) = body.as_object() {
        for k in obj.keys() {
            if !matches!(k.as_str(), "description" | "role" | "tag_selector") {
                errors.push(FieldError::new(
                    k.clone(),
                    "not_updatable",
                    "only description, role and tag_selector can change",
                ));
            }
        }
    }
    // A field that is not given, or not of the right type (already an error), keeps its
    // value, so the core still checks the others.
    let description = match body.get("description") {
        Some(_) => str_field(&body, "description", &mut errors).map(str::to_owned),
        None => None,
    }
    .unwrap_or_else(|| sa.state.description.clone());
    let role = match body.get("role") {
        Some(_) => role_text(&body, &mut errors),
        None => None,
    }
    .or_else(|| {
        serde_json::to_value(sa.state.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    })
    .unwrap_or_default();
    let tags = match body.get("tag_selector") {
        Some(Value::Null) => Some(Default::default()),
        Some(_) => string_map_field(&body, "tag_selector", &mut errors),
        None => None,
    }
    .unwrap_or_else(|| sa.state.tag_selector.clone());
    // The account as it would be, checked by the same rules as a new one, beside the
    // others of its place.
    let conn = state.db()?;
    let others = db::service_accounts(&conn, sa.state.project.as_deref())?
        .into_iter()
        .filter(|s| s.state.id != sa.state.id)
        .map(|s| s.state)
        .collect();
    let draft = ServiceAccountDraft {
        name: sa.state.name.clone(),
        description: description.clone(),
        organization: Some(sa.state.organization.clone()),
        project: sa.state.project.clone(),
        role,
        tag_selector: TagSelectorInput::Map(tags),
        allowed_ips: Default::default(),
    };
    let (role, tag_selector) = check_with_core(
        &caller,
        draft,
        others,
        db::projects(&conn)?,
        errors,
        Some(&["description", "role", "tag_selector"]),
    )?;
    drop(conn);
    let mut sa = sa;
    sa.state.description = description;
    sa.state.role = role;
    sa.state.tag_selector = tag_selector;
    sa.updated_at = state.now();
    db::upsert_service_account(&*state.db()?, &sa)?;
    Ok(Json(sa_json(&sa)))
}

fn set_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: ServiceAccountStatus,
) -> Result<Json<Value>, ApiError> {
    let mut sa = live_sa(&*state.db()?, state, id)?;
    authorize_sa(caller, &sa.state, Access::Write)?;
    sa.state.status = status;
    sa.updated_at = state.now();
    db::upsert_service_account(&*state.db()?, &sa)?;
    Ok(Json(sa_json(&sa)))
}

pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_status(&state, &caller, &id, ServiceAccountStatus::Disabled)
}

pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_status(&state, &caller, &id, ServiceAccountStatus::Active)
}

fn delete_sa(state: &AppState, mut sa: SaRow) -> Result<Response, ApiError> {
    let now = state.now();
    let conn = state.db()?;
    let tx = conn.unchecked_transaction()?;
    sa.state.status = ServiceAccountStatus::Deleted;
    sa.secret_hash = None;
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    db::delete_access_keys_of(&tx, &sa.state.id)?;
    let owner = OwnerRef::ServiceAccount {
        id: sa.state.id.clone(),
    };
    db::revoke_owner_tokens(&tx, &owner, "api", now)?;
    db::revoke_owner_tokens(&tx, &owner, "oauth", now)?;
    tx.commit()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Delete)?;
    delete_sa(&state, sa)
}

pub async fn reset_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let secret = new_client_secret()?;
    let now = state.now();
    sa.secret_hash = Some(sha256_hex(&secret));
    sa.updated_at = now;
    let conn = state.db()?;
    let tx = conn.unchecked_transaction()?;
    db::upsert_service_account(&tx, &sa)?;
    // The old secret stops working now, and so do the bearers minted with it.
    db::revoke_owner_tokens(
        &tx,
        &OwnerRef::ServiceAccount {
            id: sa.state.id.clone(),
        },
        "oauth",
        now,
    )?;
    tx.commit()?;
    Ok(Json(
        json!({ "client_id": sa.state.id, "client_secret": secret }),
    ))
}

// ---------------------------------------------------------------- tokens

fn sa_token(conn: &Connection, sa: &SaRow, token_id: &str) -> Result<db::TokenRow, ApiError> {
    db::token_by_id(conn, token_id)?
        .filter(|r| {
            r.kind == "api"
                && r.token.owner
                    == OwnerRef::ServiceAccount {
                        id: sa.state.id.clone(),
                    }
        })
        .ok_or_else(|| ApiError::not_found("token"))
}

pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Read)?;
    let rows = db::tokens_of_owner(
        &*state.db()?,
        &OwnerRef::ServiceAccount {
            id: sa.state.id.clone(),
        },
        "api",
    )?;
    let now = state.now();
    let (tokens, next) = super::paginate(
        rows.iter()
            .map(|r| token_json(r, now, caller.policy.as_ref()))
            .collect(),
        query.as_deref(),
    )?;
    Ok(Json(json!({ "tokens": tokens, "next_cursor": next })))
}

pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let projects = db::projects(&*state.db()?)?;
    let now = state.now();
    let owner = OwnerState::ServiceAccount(sa.state.clone());
    let spec = tokens::parse_spec(
        &body,
        &owner,
        state.organization(),
        &projects,
        caller.policy.as_ref(),
        now,
    )?;
    let route = format!("POST /v1/iam/service-accounts/{id}/tokens");
    idempotency::run(&state, &caller.token.owner, &headers, &route, &body, || {
        let conn = state.db()?;
        tokens::ensure_name_free(&conn, &owner, &spec.name, caller.policy.as_ref(), now)?;
        let (row, secret) = tokens::issue(
            &conn,
            owner.owner_ref(),
            state.organization(),
            &spec,
            "api",
            now,
        )?;
        Ok((
            StatusCode::CREATED,
            json!({ "token": token_json(&row, now, caller.policy.as_ref()), "secret": secret.expose_secret() }),
        ))
    })
}

pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let route = format!("POST /v1/iam/service-accounts/{id}/tokens/{token_id}/rotate");
    idempotency::run(
        &state,
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        || {
            let conn = state.db()?;
            let row = sa_token(&conn, &sa, &token_id)?;
            tokens::rotate(&conn, &row, caller.policy.as_ref(), state.now())
        },
    )
}

pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let conn = state.db()?;
    let row = sa_token(&conn, &sa, &token_id)?;
    let now = state.now();
    db::revoke_token(&conn, &row.token.id, now)?;
    let row = db::token_by_id(&conn, &token_id)?.ok_or_else(|| ApiError::not_found("token"))?;
    Ok(Json(token_json(&row, now, caller.policy.as_ref())))
}

// ---------------------------------------------------------------- access keys

pub async fn list_access_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Read)?;
    let keys = db::access_keys(&*state.db()?, &sa.state.id)?;
    Ok(Json(json!({
        "access_keys": keys.iter().map(|k| json!({ "id": k.id, "service_account": k.sa_id, "created_at": k.created_at })).collect::<Vec<_>>()
    })))
}

pub async fn create_access_key(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let route = format!("POST /v1/iam/service-accounts/{id}/access-keys");
    idempotency::run(
        &state,
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        || {
            let (key_id, secret) = new_access_key()?;
            let now = state.now();
            db::insert_access_key(
                &*state.db()?,
                &key_id,
                &sa.state.id,
                &sha256_hex(&secret),
                now,
            )?;
            Ok((
                StatusCode::CREATED,
                json!({ "id": key_id, "secret": secret, "service_account": sa.state.id, "created_at": now }),
            ))
        },
    )
}

pub async fn delete_access_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    if db::delete_access_key(&*state.db()?, &sa.state.id, &key_id)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("access key"))
    }
}
