//! The audit log's endpoints: `GET /v1/audit/events` (a page, or every matching event as
//! JSON lines) and `GET /v1/audit/events/export`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use clouddigit_core::audit_format;

use crate::auth::Caller;
use crate::db::{self, AuditFilter};
use crate::error::ApiError;
use crate::query::{AuditQuery, EventLimit, Format, Query};
use crate::state::AppState;
use crate::views::{self, AuditEventList};

const MAX_EXPORT: usize = 100_000;

/// The database's filter for the query's.
fn filter_of(q: &AuditQuery) -> AuditFilter {
    AuditFilter {
        actor: q.actor.clone(),
        token_prefix: q.token_prefix.clone(),
        hashed_token: q.hashed_token.clone(),
        from: q.from.map(|t| db::ts(t.0)),
        to: q.to.map(|t| db::ts(t.0)),
        status_min: q.status.map(|s| s.min),
        status_max: q.status.map(|s| s.max),
        project: q.project.clone(),
        before: q.cursor.map(|c| c.0),
        limit: q.limit.map_or(EventLimit::DEFAULT, |l| l.0),
    }
}

async fn events(
    state: AppState,
    caller: Caller,
    query: AuditQuery,
    force_jsonl: bool,
) -> Result<Response, ApiError> {
    let mut filter = filter_of(&query);
    let jsonl = !matches!(query.format, None | Some(Format::Json));
    let shape = query.format.unwrap_or_default().shape();
    state.flush_audit()?;
    let jsonl = jsonl || force_jsonl;
    let projects = db::projects(&*state.db()?)?;
    let project = caller.context_project(&projects);
    caller.authorize(project.as_deref(), None)?;
    // An organization admin's all-projects token sees the whole organization's log (or
    // one project with ?project=); any other token sees the project it is authorized in.
    let org_wide = caller.is_org_admin()
        && matches!(caller.token.projects, clouddigit_core::ProjectScope::All(_));
    if !org_wide || caller.query_project.is_some() {
        filter.project = project;
    }
    if jsonl {
        filter.limit = MAX_EXPORT;
        let rows = db::audit_events(&*state.db()?, &filter)?;
        let mut out = String::new();
        let ctx = state.audit_context();
        for e in &rows {
            let record = audit_format::render(&views::audit_event(e)?, shape, &ctx);
            out.push_str(&serde_json::to_string(&record)?);
            out.push('\n');
        }
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-ndjson")],
            out,
        )
            .into_response());
    }
    let limit = filter.limit;
    let rows = db::audit_events(&*state.db()?, &filter)?;
    let next_cursor = (rows.len() == limit)
        .then(|| rows.last().map(|e| e.id.clone()))
        .flatten();
    let events = rows
        .iter()
        .map(views::audit_event)
        .collect::<Result<_, _>>()?;
    Ok(axum::Json(AuditEventList {
        events,
        next_cursor,
    })
    .into_response())
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    events(state, caller, query, false).await
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    events(state, caller, query, true).await
}
