//! Service accounts (project- and organization-level), their API tokens, their client
//! secret for the client-credentials grant, and their S3-style access keys.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clouddigit_core::delegation::{account_credential, Minted};
use clouddigit_core::model::ServiceAccountStatus;
use clouddigit_core::validate::{ServiceAccountDraft, TagSelectorInput, TextOrList};
use clouddigit_core::{
    Catalog, OwnerRef, OwnerState, ProjectRole, ServiceAccountRequest, ServiceAccountState,
};
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bodies::Body;
use crate::db::{self, ClientSecret, SaRow};
use crate::error::{ApiError, FieldError};
use crate::handlers::tokens::{self, token_json, Lineage};
use crate::handlers::{allowed_ips_field, require_object, str_field, string_map_field};
use crate::secrets::{new_access_key, new_client_secret, new_id, sha256_hex};
use crate::state::AppState;

pub fn sa_json(sa: &SaRow) -> Value {
    let s = &sa.state;
    let secret = sa.secret.as_ref().map(|c| {
        json!({
            "id": c.id,
            "created_at": c.created_at,
            "expires_at": c.expires_at,
            "created_by": c.created_by,
            "parent_id": c.parent_id,
        })
    });
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
        "allowed_ips": s.allowed_ips,
        "status": s.status,
        "client_secret": secret,
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
/// `allowed_ips` as the form's field: a string or a list of strings (checked by the core).
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
) -> Result<Checked, ApiError> {
    let role = draft.role.clone();
    let request = ServiceAccountRequest {
        draft,
        creator: caller.owner.clone(),
        existing,
        policy: caller.policy.clone(),
        organization_projects: org_projects,
        // A create issues the client secret, which may not exceed the caller; an update
        // is held to the caller by `ensure_holds_role`.
        caller: only
            .is_none()
            .then(|| crate::lineage::caller_credential(caller)),
        now: Some(caller.time),
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
    Ok(Checked {
        role,
        tag_selector: v.preview.tag_selector,
        allowed_ips: v.preview.allowed_ips,
    })
}

/// What the core accepted, to store.
struct Checked {
    role: ProjectRole,
    tag_selector: std::collections::BTreeMap<String, String>,
    allowed_ips: Vec<String>,
}

/// An account's role is given to every credential of it: changing it (or re-enabling the
/// account) is granting, and the caller may grant only what it holds in the account's
/// projects (Kubernetes RBAC's escalate/bind rule, the core's delegation rule).
fn ensure_holds_role(
    caller: &Caller,
    sa: &SaRow,
    org_projects: &[String],
    now: clouddigit_core::Timestamp,
) -> Result<(), ApiError> {
    ensure_may_make_for(caller, sa, Minted::AccountRole, None, org_projects, now)
}

/// The core's delegation rule for a credential of `sa` (its projects, its role, its
/// allow-list) expiring at `expires_at`.
fn ensure_may_make_for(
    caller: &Caller,
    sa: &SaRow,
    minted: Minted,
    expires_at: Option<clouddigit_core::Timestamp>,
    org_projects: &[String],
    now: clouddigit_core::Timestamp,
) -> Result<(), ApiError> {
    let child = account_credential(
        &sa.state,
        crate::lineage::account_projects(sa, org_projects),
        expires_at,
        now,
    );
    crate::lineage::ensure_may_make(
        caller,
        &child,
        &OwnerState::ServiceAccount(sa.state.clone()),
        minted,
        org_projects,
        now,
        "expires_at",
    )
}

/// A new client secret for `sa`, made by the caller: it expires with the caller and its
/// bearers carry the account's allow-list, so the caller may make it only if that is
/// within its own limits.
fn new_secret_for(
    caller: &Caller,
    sa: &SaRow,
    org_projects: &[String],
    now: clouddigit_core::Timestamp,
) -> Result<(ClientSecret, String), ApiError> {
    let expires_at = caller.token.expires_at;
    ensure_may_make_for(
        caller,
        sa,
        Minted::ClientSecret,
        expires_at,
        org_projects,
        now,
    )?;
    let secret = new_client_secret()?;
    let lineage = Lineage::from_caller(caller);
    Ok((
        ClientSecret {
            id: new_id("cs"),
            hash: sha256_hex(&secret),
            created_by: lineage.created_by,
            parent_id: lineage.parent_id,
            expires_at,
            created_at: now,
        },
        secret,
    ))
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
    let allowed_ips = allowed_ips_field(body, &mut errors).unwrap_or_default();
    let now = state.now();
    state.create_once(
        &caller.token.owner,
        headers,
        route,
        body,
        |conn: &Connection| {
            // Asked with the database held: two creates racing for one name or for the last
            // place under the limit cannot both pass.
            let existing = db::service_accounts(conn, project.as_deref())?;
            let draft = ServiceAccountDraft {
                name: name.clone(),
                description: description.clone(),
                organization: Some(state.organization().to_owned()),
                project: project.clone(),
                role: role.clone(),
                tag_selector: TagSelectorInput::Map(tags.clone()),
                allowed_ips: allowed_ips.clone(),
            };
            let org_projects = db::projects(conn)?;
            let checked = check_with_core(
                caller,
                draft,
                existing.into_iter().map(|s| s.state).collect(),
                org_projects.clone(),
                errors.clone(),
                None,
            )?;
            let mut row = SaRow {
                state: ServiceAccountState {
                    id: new_id("sa"),
                    name: name.clone(),
                    description: description.clone(),
                    organization: state.organization().to_owned(),
                    project: project.clone(),
                    role: checked.role,
                    tag_selector: checked.tag_selector,
                    status: ServiceAccountStatus::Active,
                    allowed_ips: checked.allowed_ips,
                },
                secret: None,
                created_at: now,
                updated_at: now,
            };
            let (meta, secret) = new_secret_for(caller, &row, &org_projects, now)?;
            caller.note(format!(
                "created {} with client secret {}",
                row.state.id, meta.id
            ));
            row.secret = Some(meta);
            db::upsert_service_account(conn, &row)?;
            Ok((
                StatusCode::CREATED,
                json!({ "service_account": sa_json(&row), "client_id": row.state.id, "client_secret": secret }),
            ))
        },
    )
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
    if !projects.contains(&project) {
        return Err(ApiError::field(
            "project",
            "unknown_project",
            format!("{project:?} is not a project of this organization"),
        ));
    }
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
    Body(body): Body,
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
    Body(body): Body,
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
    delete_sa(&state, &caller, &id, true)
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
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    require_object(&body)?;
    // Read, check and write under one hold of the database: no concurrent change to the
    // account (a reset, a delete) is lost or undone by this one.
    let conn = state.db()?;
    let sa = live_sa(&conn, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let mut errors = Vec::new();
    if let Some(obj) = body.as_object() {
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "description" | "role" | "tag_selector" | "allowed_ips"
            ) {
                errors.push(FieldError::new(
                    k.clone(),
                    "not_updatable",
                    "only description, role, tag_selector and allowed_ips can change",
                ));
            }
        }
    }
    // A field that is not given, or not of the right type (already an error), keeps its
    // value, so the core still checks the others.
    // `null` clears it, as it clears a selector or an allow-list.
    let description = match body.get("description") {
        Some(Value::Null) => Some(String::new()),
        Some(_) => str_field(&body, "description", &mut errors).map(str::to_owned),
        None => None,
    }
    .unwrap_or_else(|| sa.state.description.clone());
    let role = match body.get("role") {
        Some(_) => role_text(&body, &mut errors),
        None => None,
    }
    .unwrap_or_else(|| sa.state.role_str().to_owned());
    let tags = match body.get("tag_selector") {
        Some(Value::Null) => Some(Default::default()),
        Some(_) => string_map_field(&body, "tag_selector", &mut errors),
        None => None,
    }
    .unwrap_or_else(|| sa.state.tag_selector.clone());
    let allowed_ips = match body.get("allowed_ips") {
        Some(Value::Null) => Some(TextOrList::List(Vec::new())),
        Some(_) => allowed_ips_field(&body, &mut errors),
        None => None,
    }
    .unwrap_or_else(|| TextOrList::List(sa.state.allowed_ips.clone()));
    // The account as it would be, checked by the same rules as a new one, beside the
    // others of its place.
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
        allowed_ips,
    };
    let org_projects = db::projects(&conn)?;
    let checked = check_with_core(
        &caller,
        draft,
        others,
        org_projects.clone(),
        errors,
        Some(&["description", "role", "tag_selector", "allowed_ips"]),
    )?;
    let mut sa = sa;
    let grants_change =
        checked.role != sa.state.role || checked.tag_selector != sa.state.tag_selector;
    sa.state.description = description;
    sa.state.role = checked.role;
    sa.state.tag_selector = checked.tag_selector;
    sa.state.allowed_ips = checked.allowed_ips;
    sa.updated_at = state.now();
    if grants_change {
        ensure_holds_role(&caller, &sa, &org_projects, caller.time)?;
    }
    db::upsert_service_account(&conn, &sa)?;
    Ok(Json(sa_json(&sa)))
}

fn set_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: ServiceAccountStatus,
) -> Result<Json<Value>, ApiError> {
    let conn = state.db()?;
    let mut sa = live_sa(&conn, state, id)?;
    authorize_sa(caller, &sa.state, Access::Write)?;
    let now = state.now();
    let tx = conn.unchecked_transaction()?;
    match status {
        // Re-enabling gives the account's role back to its credentials: a grant.
        ServiceAccountStatus::Active if sa.state.status != ServiceAccountStatus::Active => {
            sa.state.status = status;
            ensure_holds_role(caller, &sa, &db::projects(&tx)?, now)?;
        }
        // Disabling pauses the account's own credentials (they work again once it is
        // enabled) and ends everything they made.
        ServiceAccountStatus::Disabled => {
            let roots = db::account_credential_ids(&tx, &sa)?;
            let done = db::revoke_made_through(&tx, &roots, now)?;
            caller.note(format!(
                "disabled {id}; revoked {} credentials made through its credentials",
                done.total()
            ));
            sa = db::service_account(&tx, id)?.unwrap_or(sa);
        }
        _ => {}
    }
    sa.state.status = status;
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    tx.commit()?;
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

/// Deletes the account: it, its credentials and everything they made end now. Read,
/// checked and written under one hold of the database.
fn delete_sa(
    state: &AppState,
    caller: &Caller,
    id: &str,
    org_level: bool,
) -> Result<Response, ApiError> {
    let now = state.now();
    let conn = state.db()?;
    let mut sa = live_sa(&conn, state, id)?;
    if org_level {
        if sa.state.project.is_some() {
            return Err(ApiError::not_found("organization-level service account"));
        }
        caller.authorize(None, None)?;
    } else {
        authorize_sa(caller, &sa.state, Access::Delete)?;
    }
    let tx = conn.unchecked_transaction()?;
    let roots = db::account_credential_ids(&tx, &sa)?;
    let done = db::revoke_tree(&tx, &roots, now)?;
    sa.state.status = ServiceAccountStatus::Deleted;
    sa.secret = None;
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    tx.commit()?;
    caller.note(format!(
        "deleted {id}; revoked {} credentials of it or made through them",
        done.total()
    ));
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    delete_sa(&state, &caller, &id, false)
}

/// A new client secret: the old one, its bearers and everything they made stop working
/// now (the documented answer to a leaked secret).
pub async fn reset_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let conn = state.db()?;
    let mut sa = live_sa(&conn, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let now = state.now();
    let (meta, secret) = new_secret_for(&caller, &sa, &db::projects(&conn)?, now)?;
    let tx = conn.unchecked_transaction()?;
    if let Some(old) = &sa.secret {
        let done = db::revoke_tree(&tx, std::slice::from_ref(&old.id), now)?;
        caller.note(format!(
            "replaced client secret {}; revoked {} credentials made through it",
            old.id,
            done.total().saturating_sub(1)
        ));
    }
    let secret_id = meta.id.clone();
    sa.secret = Some(meta);
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    tx.commit()?;
    caller.note(format!("issued client secret {secret_id}"));
    Ok(Json(
        json!({ "client_id": sa.state.id, "client_secret": secret, "secret": sa_json(&sa)["client_secret"] }),
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
        None,
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
    Body(body): Body,
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
        Some(&caller),
    )?;
    let route = format!("POST /v1/iam/service-accounts/{id}/tokens");
    let lineage = Lineage::from_caller(&caller);
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &body,
        |conn: &Connection| {
            let (row, answer) = tokens::create_api_token(
                conn,
                state.organization(),
                &owner,
                &spec,
                caller.policy.as_ref(),
                now,
                &lineage,
            )?;
            caller.note(format!("created {}", row.token.id));
            Ok((StatusCode::CREATED, answer))
        },
    )
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
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        |conn: &Connection| {
            let row = sa_token(conn, &sa, &token_id)?;
            let projects = db::projects(conn)?;
            tokens::rotate(conn, &caller, &row, &projects, state.now())
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
    tokens::revoke_with_descendants(&conn, &caller, &row.token.id, now)?;
    let row = db::token_by_id(&conn, &token_id)?.ok_or_else(|| ApiError::not_found("token"))?;
    Ok(Json(token_json(&row, now, caller.policy.as_ref())))
}

// ---------------------------------------------------------------- access keys

fn key_json(k: &db::AccessKeyRow) -> Value {
    json!({
        "id": k.id,
        "service_account": k.sa_id,
        "created_at": k.created_at,
        "expires_at": k.expires_at,
        "created_by": k.created_by,
        "parent_id": k.parent_id,
    })
}

/// The account's live keys (revoked ones stay in the database, for the audit trail).
pub async fn list_access_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Read)?;
    let keys = db::access_keys(&*state.db()?, &sa.state.id)?;
    Ok(Json(json!({
        "access_keys": keys.iter().filter(|k| k.revoked_at.is_none()).map(key_json).collect::<Vec<_>>()
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
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        |conn: &Connection| {
            let now = state.now();
            // The key acts with the account's role and allow-list and expires with the
            // caller: the caller may make it only within its own limits.
            let expires_at = caller.token.expires_at;
            let org_projects = db::projects(conn)?;
            ensure_may_make_for(
                &caller,
                &sa,
                Minted::AccessKey,
                expires_at,
                &org_projects,
                now,
            )?;
            let (key_id, secret) = new_access_key()?;
            let lineage = Lineage::from_caller(&caller);
            let key = db::AccessKeyRow {
                id: key_id,
                sa_id: sa.state.id.clone(),
                created_at: now,
                created_by: lineage.created_by,
                parent_id: lineage.parent_id,
                expires_at,
                revoked_at: None,
            };
            db::insert_access_key(conn, &key, &sha256_hex(&secret))?;
            caller.note(format!("created access key {}", key.id));
            let mut body = key_json(&key);
            body["secret"] = Value::String(secret);
            Ok((StatusCode::CREATED, body))
        },
    )
}

/// Deletes (revokes) a key, and everything made through it.
pub async fn delete_access_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sa = live_sa(&*state.db()?, &state, &id)?;
    authorize_sa(&caller, &sa.state, Access::Write)?;
    let conn = state.db()?;
    match db::access_key(&conn, &key_id)? {
        Some(k) if k.sa_id == sa.state.id && k.revoked_at.is_none() => {
            let tx = conn.unchecked_transaction()?;
            db::revoke_tree(&tx, std::slice::from_ref(&key_id), state.now())?;
            tx.commit()?;
            caller.note(format!("revoked access key {key_id}"));
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(ApiError::not_found("access key")),
    }
}
