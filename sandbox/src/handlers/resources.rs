//! Servers and buckets: just enough resource API to exercise authorization (projects,
//! roles, downscopes, tag selectors, MFA step-up).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rusqlite::Connection;

use crate::auth::Caller;
use crate::bodies::{
    tag_errors, valid_bucket_name, Body, BucketCreate, ServerCreate, MAX_SERVER_NAME_CHARS,
};
use crate::db::{self, Bucket, Server, ServerStatus};
use crate::error::{ApiError, FieldError};
use crate::secrets::new_id;
use crate::state::AppState;
use crate::views::{BucketList, ServerList};

fn body_project(caller: &Caller, project: Option<String>) -> Result<String, ApiError> {
    match (project, &caller.query_project) {
        (Some(body), Some(query)) if body != *query => Err(ApiError::field(
            "project",
            "conflict",
            format!("the body says {body:?} and ?project= says {query:?}: give one"),
        )),
        (Some(p), _) => Ok(p),
        (None, Some(q)) => Ok(q.clone()),
        (None, None) => Err(ApiError::field(
            "project",
            "required",
            "the project to create it in (in the body, or ?project=)",
        )),
    }
}

fn require_project(caller: &Caller) -> Result<String, ApiError> {
    caller
        .query_project
        .clone()
        .ok_or_else(|| ApiError::field("project", "required", "add ?project=<id>"))
}

fn check_project_exists(state: &AppState, project: &str) -> Result<(), ApiError> {
    if db::projects(&*state.db()?)?.iter().any(|p| p == project) {
        Ok(())
    } else {
        Err(ApiError::field(
            "project",
            "unknown_project",
            format!("{project:?} is not a project of this organization"),
        ))
    }
}

pub async fn list_servers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ServerList>, ApiError> {
    let project = require_project(&caller)?;
    caller.authorize(Some(&project), None)?;
    check_project_exists(&state, &project)?;
    let mut servers = db::servers(&*state.db()?, &project)?;
    servers.retain(|s| caller.owner.selects(&s.tags));
    Ok(Json(ServerList { servers }))
}

pub async fn create_server(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body { value, json }: Body<ServerCreate>,
) -> Result<Response, ApiError> {
    let ServerCreate {
        project,
        name,
        tags,
    } = value;
    let project = body_project(&caller, project)?;
    caller.authorize(Some(&project), Some(&tags))?;
    check_project_exists(&state, &project)?;
    let mut errors = tag_errors("tags", &tags);
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_SERVER_NAME_CHARS {
        errors.push(FieldError::new(
            "name",
            "invalid_name",
            format!("1 to {MAX_SERVER_NAME_CHARS} characters"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    state.create_once(
        &caller.token.owner,
        &headers,
        "POST /v1/compute/servers",
        &json,
        |conn: &Connection| {
            let s = Server {
                id: new_id("srv"),
                project: project.clone(),
                name: name.clone(),
                status: ServerStatus::Running,
                tags: tags.clone(),
                created_at: state.now(),
            };
            db::upsert_server(conn, &s)?;
            Ok((StatusCode::CREATED, s))
        },
    )
}

fn load_server(state: &AppState, caller: &Caller, id: &str) -> Result<Server, ApiError> {
    let s = db::server(&*state.db()?, id)?.ok_or_else(|| ApiError::not_found("server"))?;
    caller.authorize(Some(&s.project), Some(&s.tags))?;
    Ok(s)
}

pub async fn get_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Server>, ApiError> {
    Ok(Json(load_server(&state, &caller, &id)?))
}

pub async fn delete_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = load_server(&state, &caller, &id)?;
    db::delete_server(&*state.db()?, &s.id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn set_server_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: ServerStatus,
) -> Result<Json<Server>, ApiError> {
    let mut s = load_server(state, caller, id)?;
    s.status = status;
    db::upsert_server(&*state.db()?, &s)?;
    Ok(Json(s))
}

pub async fn start_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Server>, ApiError> {
    set_server_status(&state, &caller, &id, ServerStatus::Running)
}

pub async fn stop_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Server>, ApiError> {
    set_server_status(&state, &caller, &id, ServerStatus::Stopped)
}

// ---------------------------------------------------------------- buckets

pub async fn list_buckets(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<BucketList>, ApiError> {
    let project = require_project(&caller)?;
    caller.authorize(Some(&project), None)?;
    check_project_exists(&state, &project)?;
    let mut buckets = db::buckets(&*state.db()?, &project)?;
    buckets.retain(|b| caller.owner.selects(&b.tags));
    Ok(Json(BucketList { buckets }))
}

pub async fn create_bucket(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body { value, json }: Body<BucketCreate>,
) -> Result<Response, ApiError> {
    let BucketCreate {
        project,
        name,
        object_lock,
        tags,
    } = value;
    let project = body_project(&caller, project)?;
    caller.authorize(Some(&project), Some(&tags))?;
    check_project_exists(&state, &project)?;
    let mut errors = tag_errors("tags", &tags);
    if !valid_bucket_name(&name) {
        errors.push(FieldError::new(
            "name",
            "invalid_name",
            "3 to 63 lowercase letters, digits, hyphens and dots, starting with a letter or digit",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    state.create_once(
        &caller.token.owner,
        &headers,
        "POST /v1/storage/buckets",
        &json,
        |conn: &Connection| {
            if db::bucket(conn, &name)?.is_some() {
                return Err(ApiError::conflict(
                    "name_taken",
                    format!("bucket {name:?} already exists"),
                ));
            }
            let b = Bucket {
                name: name.clone(),
                project: project.clone(),
                object_lock,
                tags: tags.clone(),
                created_at: state.now(),
            };
            db::upsert_bucket(conn, &b)?;
            Ok((StatusCode::CREATED, b))
        },
    )
}

fn load_bucket(state: &AppState, caller: &Caller, name: &str) -> Result<Bucket, ApiError> {
    let b = db::bucket(&*state.db()?, name)?.ok_or_else(|| ApiError::not_found("bucket"))?;
    caller.authorize(Some(&b.project), Some(&b.tags))?;
    Ok(b)
}

pub async fn get_bucket(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Bucket>, ApiError> {
    Ok(Json(load_bucket(&state, &caller, &name)?))
}

pub async fn delete_bucket(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let b = load_bucket(&state, &caller, &name)?;
    let blobs = {
        let conn = state.db()?;
        // As S3 answers DeleteBucket: objects stay until they are deleted themselves.
        if !crate::object_store::bucket_is_empty(&conn, &b.name)? {
            return Err(ApiError::conflict(
                "bucket_not_empty",
                format!("bucket {:?} still holds objects: delete them first", b.name),
            ));
        }
        db::atomically(&conn, |c| -> Result<Vec<String>, ApiError> {
            let blobs = crate::object_store::drop_uploads(c, &b.name)?;
            db::delete_bucket(c, &b.name)?;
            Ok(blobs)
        })?
    };
    state.0.s3.forget(blobs);
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn enable_object_lock(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Bucket>, ApiError> {
    let mut b = load_bucket(&state, &caller, &name)?;
    b.object_lock = true;
    db::upsert_bucket(&*state.db()?, &b)?;
    Ok(Json(b))
}

/// Needs MFA step-up, which no token carries: the evaluator always answers 403
/// `step_up_required`, so the body below only runs if the catalog ever changes.
pub async fn disable_object_lock(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Bucket>, ApiError> {
    let mut b = load_bucket(&state, &caller, &name)?;
    b.object_lock = false;
    db::upsert_bucket(&*state.db()?, &b)?;
    Ok(Json(b))
}
