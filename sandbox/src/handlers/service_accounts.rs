//! Service accounts (project- and organization-level), their API tokens, their client
//! secret for the client-credentials grant, and their S3-style access keys: each
//! handler reads the request, authorizes it and calls `service`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clouddigit_core::model::ServiceAccountStatus;
use clouddigit_core::{OwnerRef, OwnerState, ServiceAccountState};
use clouddigit_session::models::{
    ApiToken, ClientCredentials, CreatedAccessKey, CreatedServiceAccount, Secret, ServiceAccount,
};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::Caller;
use crate::bodies::{
    AccountFields, Body, Deferred, Downscope, Field, OrgServiceAccountCreate, ServiceAccountCreate,
    ServiceAccountUpdate, TokenCreate,
};
use crate::db::{self, SaRow};
use crate::error::ApiError;
use crate::query::{PageQuery, Query};
use crate::service::service_accounts::{self as service, NewAccount};
use crate::service::tokens;
use crate::state::AppState;
use crate::views::{self, AccessKeyList, ServiceAccountList, TokenList};

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

/// The live account `id`, once the caller may act on it with `access`.
fn authorized_sa(
    state: &AppState,
    conn: &Connection,
    caller: &Caller,
    id: &str,
    access: Access,
) -> Result<SaRow, ApiError> {
    let sa = service::live(conn, state.organization(), id)?;
    authorize_sa(caller, &sa.state, access)?;
    Ok(sa)
}

/// Creates an account in `project` (`None`: organization level) from the body's
/// `account` fields; `json` is the body as sent, for the idempotency fingerprint.
fn create_sa(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    account: &AccountFields,
    json: &Value,
    project: Option<String>,
) -> Result<Response, ApiError> {
    let new = NewAccount::from_body(account);
    let now = state.now();
    state.create_once(
        &caller.token.owner,
        headers,
        route,
        json,
        |conn: &Connection| {
            let (row, secret) = service::create(
                conn,
                &caller.actor(),
                state.organization(),
                project.as_deref(),
                &new,
                now,
            )?;
            Ok((
                StatusCode::CREATED,
                CreatedServiceAccount {
                    service_account: views::service_account(&row),
                    client_id: row.state.id,
                    client_secret: Secret::new(secret),
                },
            ))
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> Result<Json<ServiceAccountList>, ApiError> {
    let projects = db::projects(&*state.db()?)?;
    let project = caller.context_project(&projects);
    caller.authorize(project.as_deref(), None)?;
    let Some(project) = project else {
        return Ok(Json(ServiceAccountList {
            service_accounts: Vec::new(),
            next_cursor: None,
        }));
    };
    if !projects.contains(&project) {
        return Err(ApiError::field(
            "project",
            "unknown_project",
            format!("{project:?} is not a project of this organization"),
        ));
    }
    account_page(&state, Some(&project), &page)
}

/// One page of a project's accounts (`None`: the organization-level ones).
fn account_page(
    state: &AppState,
    project: Option<&str>,
    page: &PageQuery,
) -> Result<Json<ServiceAccountList>, ApiError> {
    let rows = db::service_accounts(&*state.db()?, project)?;
    let (service_accounts, next_cursor) =
        page.page(rows.iter().map(views::service_account).collect())?;
    Ok(Json(ServiceAccountList {
        service_accounts,
        next_cursor,
    }))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body<ServiceAccountCreate>,
) -> Result<Response, ApiError> {
    let project = match &body.value.project {
        Field::Given(p) => p.clone(),
        Field::Absent | Field::Null => caller
            .query_project
            .clone()
            .ok_or_else(|| ApiError::field("project", "required", "the project the account belongs to (org-level accounts: POST /v1/org/service-accounts)"))?,
        Field::WrongType => return Err(ApiError::field("project", "invalid_type", "a project id")),
    };
    caller.authorize(Some(&project), None)?;
    create_sa(
        &state,
        &caller,
        &headers,
        "POST /v1/iam/service-accounts",
        &body.value.account,
        &body.json,
        Some(project),
    )
}

pub async fn org_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> Result<Json<ServiceAccountList>, ApiError> {
    caller.authorize(None, None)?;
    account_page(&state, None, &page)
}

pub async fn org_create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body<OrgServiceAccountCreate>,
) -> Result<Response, ApiError> {
    caller.authorize(None, None)?;
    if !matches!(body.value.project, Field::Absent | Field::Null) {
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
        &body.value.account,
        &body.json,
        None,
    )
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServiceAccount>, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Read)?;
    Ok(Json(views::service_account(&sa)))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body<ServiceAccountUpdate>,
) -> Result<Json<ServiceAccount>, ApiError> {
    // Read, check and write under one hold of the database: no concurrent change to the
    // account (a reset, a delete) is lost or undone by this one.
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Write)?;
    let sa = service::update(&conn, &caller.actor(), sa, &body.value, state.now())?;
    Ok(Json(views::service_account(&sa)))
}

fn set_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: ServiceAccountStatus,
) -> Result<Json<ServiceAccount>, ApiError> {
    let conn = state.db()?;
    let sa = authorized_sa(state, &conn, caller, id, Access::Write)?;
    let sa = service::set_status(&conn, &caller.actor(), sa, status, state.now())?;
    Ok(Json(views::service_account(&sa)))
}

pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServiceAccount>, ApiError> {
    set_status(&state, &caller, &id, ServiceAccountStatus::Disabled)
}

pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServiceAccount>, ApiError> {
    set_status(&state, &caller, &id, ServiceAccountStatus::Active)
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Delete)?;
    service::delete(&conn, &caller.actor(), sa, now)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes an organization-level account (a project account is not found here).
pub async fn org_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let conn = state.db()?;
    let sa = service::live(&conn, state.organization(), &id)?;
    if sa.state.project.is_some() {
        return Err(ApiError::not_found("organization-level service account"));
    }
    caller.authorize(None, None)?;
    service::delete(&conn, &caller.actor(), sa, now)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A new client secret: the old one, its bearers and everything they made stop working
/// now (the documented answer to a leaked secret).
pub async fn reset_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ClientCredentials>, ApiError> {
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Write)?;
    let (sa, secret) = service::reset_secret(&conn, &caller.actor(), sa, state.now())?;
    Ok(Json(ClientCredentials {
        secret: views::client_secret(&sa),
        client_id: sa.state.id,
        client_secret: Secret::new(secret),
    }))
}

// ---------------------------------------------------------------- tokens

fn owner_of(sa: &SaRow) -> OwnerRef {
    OwnerRef::ServiceAccount {
        id: sa.state.id.clone(),
    }
}

pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<TokenList>, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Read)?;
    super::token_page(&state, &caller, &owner_of(&sa), &page)
}

pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body { value, json }: Body<Deferred<TokenCreate>>,
) -> Result<Response, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Write)?;
    let body = value.get()?;
    let projects = db::projects(&*state.db()?)?;
    let owner = OwnerState::ServiceAccount(sa.state.clone());
    let actor = caller.actor();
    let route = format!("POST /v1/iam/service-accounts/{id}/tokens");
    super::create_token(
        &state,
        &caller,
        &headers,
        &body,
        &json,
        super::NewToken {
            owner: &owner,
            maker: Some(&actor),
            origin: actor.origin(),
            route: &route,
            projects: &projects,
        },
    )
}

pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Write)?;
    let route = format!("POST /v1/iam/service-accounts/{id}/tokens/{token_id}/rotate");
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        |conn: &Connection| {
            let row = tokens::api_token_of(conn, &owner_of(&sa), &token_id)?;
            let projects = db::projects(conn)?;
            tokens::rotate(conn, &caller.actor(), &row, &projects, state.now())
        },
    )
}

/// `POST /v1/iam/service-accounts/{id}/tokens/{token_id}/downscope`: a rotation into
/// fewer permissions (see `tokens::rotate_into`).
pub async fn downscope_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, token_id)): Path<(String, String)>,
    body: Body<Downscope>,
) -> Result<Response, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Write)?;
    let route = format!("POST /v1/iam/service-accounts/{id}/tokens/{token_id}/downscope");
    super::tokens::downscope_once(&state, &caller, &headers, &route, &body, |conn| {
        tokens::api_token_of(conn, &owner_of(&sa), &token_id)
    })
}

pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Json<ApiToken>, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Write)?;
    let conn = state.db()?;
    let row = tokens::api_token_of(&conn, &owner_of(&sa), &token_id)?;
    let now = state.now();
    tokens::revoke_with_descendants(&conn, &caller.actor(), &row.token.id, now)?;
    let row = db::token_by_id(&conn, &token_id)?.ok_or_else(|| ApiError::not_found("token"))?;
    Ok(Json(views::api_token(&row, now, caller.policy.as_ref())?))
}

// ---------------------------------------------------------------- access keys

pub async fn list_access_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccessKeyList>, ApiError> {
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Read)?;
    let keys = service::access_keys(&conn, &sa)?;
    Ok(Json(AccessKeyList {
        access_keys: keys.iter().map(views::access_key).collect(),
    }))
}

pub async fn create_access_key(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Write)?;
    let route = format!("POST /v1/iam/service-accounts/{id}/access-keys");
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        |conn: &Connection| {
            let (key, secret) = service::create_access_key(
                conn,
                &caller.actor(),
                &sa,
                state.now(),
                &state.0.sealer,
            )?;
            let created: CreatedAccessKey = views::created_access_key(&key, secret);
            Ok((StatusCode::CREATED, created))
        },
    )
}

/// Deletes (revokes) a key, and everything made through it.
pub async fn delete_access_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Write)?;
    service::delete_access_key(&conn, &caller.actor(), &sa, &key_id, state.now())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------- trusts (OIDC)

pub async fn list_trusts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<crate::views::TrustList>, ApiError> {
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Read)?;
    Ok(Json(crate::views::TrustList {
        trusts: db::trusts(&conn, &sa.state.id)?
            .iter()
            .map(views::trust)
            .collect(),
    }))
}

pub async fn create_trust(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    crate::bodies::Body { value, json }: crate::bodies::Body<clouddigit_core::oidc::TrustSpec>,
) -> Result<Response, ApiError> {
    let sa = authorized_sa(&state, &*state.db()?, &caller, &id, Access::Write)?;
    let route = format!("POST /v1/iam/service-accounts/{id}/trusts");
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &json,
        |conn: &Connection| {
            let row = crate::service::federation::create_trust(
                conn,
                &caller.actor(),
                &sa,
                value.clone(),
                state.now(),
            )?;
            Ok((StatusCode::CREATED, views::trust(&row)))
        },
    )
}

/// Removes a trust; the tokens it minted are revoked with it.
pub async fn delete_trust(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, trust_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let conn = state.db()?;
    let sa = authorized_sa(&state, &conn, &caller, &id, Access::Write)?;
    crate::service::federation::delete_trust(&conn, &caller.actor(), &sa, &trust_id, state.now())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
