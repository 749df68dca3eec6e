//! `/v1/audit/streams`: the organization's audit streams (create, list, show, pause,
//! resume, delete, test). Each call is decided by its `org.audit_streams.*` permission;
//! the delivery itself is `streams::worker`.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::Caller;
use crate::bodies::Body;
use crate::db;
use crate::delivery::{sinks, worker};
use crate::error::{ApiError, FieldError};
use crate::secrets::{new_id, random_string};
use crate::state::AppState;
use crate::streams::api::{
    self, AuditStream, AuditStreamList, CreatedStream, StreamCreate, StreamTest,
};
use crate::streams::{store, Sink, StreamRow, StreamStatus, MAX_STREAMS};

const SECRET_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn shown(
    state: &AppState,
    conn: &rusqlite::Connection,
    row: StreamRow,
) -> Result<AuditStream, ApiError> {
    let (buffered, oldest) = store::backlog(conn, &row.id)?;
    Ok(api::view(row, buffered, oldest.as_deref(), state.now()))
}

fn load(conn: &rusqlite::Connection, id: &str) -> Result<StreamRow, ApiError> {
    store::get(conn, id)?.ok_or_else(|| ApiError::not_found("audit stream"))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<AuditStreamList>, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    let streams = store::all(&conn)?
        .into_iter()
        .map(|r| shown(&state, &conn, r))
        .collect::<Result<_, _>>()?;
    Ok(Json(AuditStreamList { streams }))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AuditStream>, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    let row = load(&conn, &id)?;
    Ok(Json(shown(&state, &conn, row)?))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body { value, .. }: Body<StreamCreate>,
) -> Result<Response, ApiError> {
    caller.authorize(None, None)?;
    let mut errors = api::check(&value);
    let conn = state.db()?;
    if let Sink::S3 { bucket, .. } = &value.sink {
        if !bucket.is_empty() && db::bucket(&conn, bucket.as_str())?.is_none() {
            errors.push(FieldError::new(
                "sink.bucket",
                "no_such_bucket",
                format!("no bucket {bucket} in this organization"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if store::all(&conn)?.len() >= MAX_STREAMS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_streams",
            format!("an organization has at most {MAX_STREAMS} audit streams"),
        ));
    }
    let secret = match value.sink {
        Sink::Webhook { .. } => Some(format!("cdwh_{}", random_string(40, SECRET_ALPHABET)?)),
        _ => None,
    };
    let row = StreamRow {
        id: new_id("ast"),
        name: value.name,
        format: value.format,
        sink: value.sink,
        secret_sealed: secret
            .as_deref()
            .map(|s| state.0.sealer.seal(s))
            .transpose()?,
        status: StreamStatus::Active,
        created_at: db::ts(state.now()),
        created_by: Some(crate::auth::actor_label(&caller.owner)),
        health: store::Health::default(),
    };
    store::insert(&conn, &row)?;
    caller.note(format!(
        "created audit stream {} ({} to {})",
        row.id,
        row.format.as_str(),
        row.sink.kind()
    ));
    let stream = shown(&state, &conn, row)?;
    drop(conn);
    worker::start(&state, &stream.id);
    Ok((
        StatusCode::CREATED,
        Json(CreatedStream {
            stream,
            signing_secret: secret,
        }),
    )
        .into_response())
}

fn set_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: StreamStatus,
) -> Result<Json<AuditStream>, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    load(&conn, id)?;
    store::set_status(&conn, id, status)?;
    let row = load(&conn, id)?;
    let view = shown(state, &conn, row)?;
    drop(conn);
    state.0.streams.kick(id);
    Ok(Json(view))
}

pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AuditStream>, ApiError> {
    set_status(&state, &caller, &id, StreamStatus::Paused)
}

pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AuditStream>, ApiError> {
    set_status(&state, &caller, &id, StreamStatus::Active)
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    load(&conn, &id)?;
    state.0.streams.remove(&id);
    store::delete(&conn, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sends one test event to the sink now, outside the outbox, and says how it went.
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<StreamTest>, ApiError> {
    caller.authorize(None, None)?;
    let row = load(&*state.db()?, &id)?;
    let secret = row
        .secret_sealed
        .as_deref()
        .and_then(|s| state.0.sealer.open(s));
    let event = clouddigit_core::model::AuditEvent {
        id: "ev_test".into(),
        time: state.now(),
        actor: Some(crate::auth::actor_label(&caller.owner)),
        token_name: None,
        token_prefix: None,
        method: "SYSTEM".into(),
        path: format!("/v1/audit/streams/{id}/test"),
        query: None,
        project: None,
        status: 200,
        error_code: None,
        source_ip: None,
        request_id: "req_test".into(),
        token_id: None,
        detail: Some(format!("test event for audit stream {}", row.name)),
        hashed_token: None,
    };
    let ctx = state.audit_context();
    let started = Instant::now();
    // Sent from the streams' runtime, where their HTTP client's connections live.
    let sending = {
        let (state, id) = (state.clone(), id.clone());
        async move {
            let events = [event];
            let batch = sinks::Batch::new(&id, &events, &[0], row.format, &ctx);
            let http = state.0.streams.http.clone();
            sinks::send(
                &state,
                &http,
                &row.sink,
                secret.as_deref().map(|s| s.as_str()),
                &batch,
            )
            .await
        }
    };
    let sent = state
        .0
        .streams
        .runtime
        .spawn(sending)
        .await
        .map_err(|e| ApiError::internal(format!("the test delivery failed: {e}")))?;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // A sink that works again is worth trying at once.
    if sent.is_ok() {
        state.0.streams.kick(&id);
    }
    Ok(Json(StreamTest {
        delivered: sent.is_ok(),
        error: sent.err(),
        elapsed_ms,
    }))
}
