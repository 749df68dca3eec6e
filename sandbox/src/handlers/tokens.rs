//! Personal API tokens (`/v1/iam/tokens`), who is calling, what the calling token may
//! do, and offboarding a member.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use clouddigit_core::evaluator::Audience;
use clouddigit_core::ProjectScope;
use clouddigit_session::models::{ApiToken, RevokedCount, Whoami};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::Caller;
use crate::bodies::{AuthorizeRequest, Body, Downscope, TokenCreate, MAX_AUTHORIZE_REQUESTS};
use crate::db::{self, TokenRow};
use crate::error::ApiError;
use crate::query::{PageQuery, Query};
use crate::service::tokens as service;
use crate::state::AppState;
use crate::views::{self, AuthorizeResult, CallDecision, TokenList};

/// A call on `/v1/iam/tokens...` acts in the caller's context project.
fn authorize_context(state: &AppState, caller: &Caller) -> Result<Vec<String>, ApiError> {
    let projects = db::projects(&*state.db()?)?;
    let project = caller.context_project(&projects);
    caller.authorize(project.as_deref(), None)?;
    Ok(projects)
}

fn own_token(conn: &Connection, caller: &Caller, id: &str) -> Result<TokenRow, ApiError> {
    service::api_token_of(conn, &caller.token.owner, id)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> Result<Json<TokenList>, ApiError> {
    authorize_context(&state, &caller)?;
    super::token_page(&state, &caller, &caller.token.owner, &page)
}

/// Who is calling: the token's metadata, its owner as they are now, the organization's
/// projects and the caller's address. Every live token may ask (no permission needed),
/// so an SDK can decide `can(action, project)` locally and validate drafts.
pub async fn whoami(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Whoami>, ApiError> {
    let conn = state.db()?;
    let row =
        db::token_by_id(&conn, &caller.token.id)?.ok_or_else(|| ApiError::not_found("token"))?;
    Ok(Json(Whoami {
        token: views::api_token(&row, state.now(), caller.policy.as_ref())?,
        owner: caller.owner.clone(),
        organization_projects: db::projects(&conn)?,
        policy: caller.policy.clone(),
        ip: caller.ip.map(|ip| ip.to_string()),
    }))
}

/// What the calling token may do, decided without doing it: each call as the token would
/// make it now, from this address, along its whole lineage, by the very code every real
/// call goes through (AWS's `SimulatePrincipalPolicy`, for one's own token). Any live
/// token may ask about itself; the explanations are the caller's, as a real denial's.
pub async fn authorize_calls(
    caller: Caller,
    body: Body<AuthorizeRequest>,
) -> Result<Json<AuthorizeResult>, ApiError> {
    let AuthorizeRequest { explain, requests } = body.value;
    if requests.len() > MAX_AUTHORIZE_REQUESTS {
        return Err(ApiError::field(
            "requests",
            "too_many_requests",
            format!("at most {MAX_AUTHORIZE_REQUESTS} calls at once"),
        ));
    }
    let mut out = Vec::with_capacity(requests.len());
    for (i, call) in requests.into_iter().enumerate() {
        let (action, method, path, project, resource_tags) = call.0.into_parts();
        for (name, value) in [("action", &action), ("method", &method), ("path", &path)] {
            if value.as_deref() == Some("") {
                return Err(ApiError::field(
                    &format!("requests[{i}].{name}"),
                    "empty",
                    format!("`{name}` is empty: give it, or leave it out"),
                ));
            }
        }
        let request = clouddigit_core::Request {
            action,
            method,
            path,
            organization: None,
            project,
            ip: caller.ip,
            time: caller.time,
            resource_tags,
        };
        let found = caller
            .decide_request(Audience::Caller, &request)
            .map_err(|e| {
                ApiError::field(&format!("requests[{i}]"), "invalid_request", e.message)
            })?;
        let d = found.decision;
        out.push(CallDecision {
            allowed: d.allowed,
            reason: d.reason,
            permission: d.permission,
            message: d.message,
            denied_by: found
                .denied_by
                .and_then(|i| caller.ancestors().get(i))
                .map(|a| a.id.clone()),
            checks: explain.then_some(d.checks),
        });
    }
    Ok(Json(AuthorizeResult { decisions: out }))
}

/// Revokes every personal token of a member (offboarding): organization admins and
/// owners only.
pub async fn revoke_member_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(member): Path<String>,
) -> Result<Json<RevokedCount>, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    if db::user(&conn, &member)?.is_none() {
        return Err(ApiError::not_found("member"));
    }
    state.guard_user(&member)?;
    let (own, descendants) =
        service::revoke_member_tokens(&conn, &caller.actor(), &member, state.now())?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Json(RevokedCount {
        revoked: count(own),
        revoked_descendants: count(descendants),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body<TokenCreate>,
) -> Result<Response, ApiError> {
    let projects = db::projects(&*state.db()?)?;
    // Creating a token in a project is an action in that project: every project the new
    // token names must allow it. Asked before the body is validated, which costs more.
    match body.value.requested_projects() {
        Some(ProjectScope::Projects(list)) if !list.is_empty() => {
            for p in &list {
                caller.authorize(Some(p), None)?;
            }
        }
        _ => {
            caller.authorize(caller.context_project(&projects).as_deref(), None)?;
        }
    }
    let actor = caller.actor();
    super::create_token(
        &state,
        &caller,
        &headers,
        &body.value,
        &body.json,
        super::NewToken {
            owner: &caller.owner,
            maker: Some(&actor),
            origin: actor.origin(),
            route: "POST /v1/iam/tokens",
            projects: &projects,
        },
    )
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApiToken>, ApiError> {
    authorize_context(&state, &caller)?;
    let row = own_token(&*state.db()?, &caller, &id)?;
    Ok(Json(views::api_token(
        &row,
        state.now(),
        caller.policy.as_ref(),
    )?))
}

pub async fn rotate_handler(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize_context(&state, &caller)?;
    let route = format!("POST /v1/iam/tokens/{id}/rotate");
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        |conn: &Connection| {
            let row = own_token(conn, &caller, &id)?;
            state.guard_token(&row.token.id)?;
            let projects = db::projects(conn)?;
            service::rotate(conn, &caller.actor(), &row, &projects, state.now())
        },
    )
}

/// `POST /v1/iam/tokens/{id}/downscope`: a rotation into fewer permissions.
pub async fn downscope_handler(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body<Downscope>,
) -> Result<Response, ApiError> {
    authorize_context(&state, &caller)?;
    let route = format!("POST /v1/iam/tokens/{id}/downscope");
    downscope_once(&state, &caller, &headers, &route, &body, |conn| {
        let row = own_token(conn, &caller, &id)?;
        state.guard_token(&row.token.id)?;
        Ok(row)
    })
}

/// A downscope (`service::rotate_into`), run once per Idempotency-Key, of the token `find`
/// names and checks: a personal token's route and a service account's share it.
pub(crate) fn downscope_once(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    body: &Body<Downscope>,
    find: impl FnOnce(&Connection) -> Result<TokenRow, ApiError>,
) -> Result<Response, ApiError> {
    let permissions = body.value.permissions.clone();
    state.create_once(&caller.token.owner, headers, route, &body.json, |conn| {
        let row = find(conn)?;
        let projects = db::projects(conn)?;
        service::rotate_into(
            conn,
            &caller.actor(),
            &row,
            &projects,
            state.now(),
            Some(permissions),
        )
    })
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApiToken>, ApiError> {
    authorize_context(&state, &caller)?;
    let conn = state.db()?;
    let row = own_token(&conn, &caller, &id)?;
    state.guard_token(&row.token.id)?;
    let now = state.now();
    service::revoke_with_descendants(&conn, &caller.actor(), &row.token.id, now)?;
    let row = db::token_by_id(&conn, &id)?.ok_or_else(|| ApiError::not_found("token"))?;
    Ok(Json(views::api_token(&row, now, caller.policy.as_ref())?))
}
