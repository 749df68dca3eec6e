//! The audit log's endpoints: `GET /v1/audit/events` (a page, or every matching event as
//! JSON lines) and `GET /v1/audit/events/export`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use clouddigit_core::audit_format;
use clouddigit_core::audit_summary::{AuditSummary, Call, RangeTooLong, SummaryBuilder};
use clouddigit_core::model::Timestamp;

use crate::auth::Caller;
use crate::db::{self, AuditFilter};
use crate::error::ApiError;
use crate::query::{AuditQuery, AuditSummaryQuery, EventLimit, Format, Query};
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
        path: q.path.as_ref().map(|p| p.0.clone()),
        before: q.cursor.map(|c| c.0),
        limit: q.limit.map_or(EventLimit::DEFAULT, |l| l.0),
    }
}

/// The filter the caller may read with: an organization admin's all-projects token sees
/// the whole organization's log (or one project with ?project=); any other token sees the
/// project it is authorized in.
fn caller_filter(
    state: &AppState,
    caller: &Caller,
    query: &AuditQuery,
) -> Result<AuditFilter, ApiError> {
    let mut filter = filter_of(query);
    state.flush_audit()?;
    let projects = db::projects(&*state.db()?)?;
    let project = caller.context_project(&projects);
    caller.authorize(project.as_deref(), None)?;
    let org_wide = caller.is_org_admin()
        && matches!(caller.token.projects, clouddigit_core::ProjectScope::All(_));
    if !org_wide || caller.query_project.is_some() {
        filter.project = project;
    }
    Ok(filter)
}

async fn events(
    state: AppState,
    caller: Caller,
    query: AuditQuery,
    force_jsonl: bool,
) -> Result<Response, ApiError> {
    let jsonl = !matches!(query.format, None | Some(Format::Json)) || force_jsonl;
    let shape = query.format.unwrap_or_default().shape();
    let mut filter = caller_filter(&state, &caller, &query)?;
    if query.format == Some(Format::Csv) {
        filter.limit = MAX_EXPORT;
        let rows = db::audit_events(&*state.db()?, &filter)?;
        let events = rows
            .iter()
            .map(views::audit_event)
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            audit_format::csv(&events),
        )
            .into_response());
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

/// `GET /v1/audit/summary`: the matching events counted (see
/// [`clouddigit_core::audit_summary`]) over `[from, to)`: `to` defaults to now, `from`
/// to the oldest matching event. The count reads the log [`SUMMARY_CHUNK`] events per
/// hold of the database, on the blocking pool, so other calls go on meanwhile.
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditSummaryQuery>,
) -> Result<axum::Json<AuditSummary>, ApiError> {
    let query = AuditQuery::from(query);
    let mut filter = caller_filter(&state, &caller, &query)?;
    // Events are stamped to the millisecond: the second after now holds every one so far.
    let to = match query.to {
        Some(t) => t.0,
        None => state.now() + chrono::TimeDelta::seconds(1),
    };
    let range = |e: RangeTooLong| ApiError::field("from", "invalid_range", e.to_string());
    let mut counted = SummaryBuilder::new(query.from.map(|t| t.0), to).map_err(range)?;
    filter.limit = SUMMARY_CHUNK;
    let counted = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        loop {
            let (n, last) = db::audit_calls(
                &*state.db()?,
                &filter,
                |time, status, error_code, source_ip, method, path| {
                    if let Ok(time) = time.parse::<Timestamp>() {
                        counted.add(Call {
                            time,
                            status,
                            error_code,
                            source_ip,
                            method,
                            path,
                        });
                    }
                },
            )?;
            match last {
                Some(seq) if n == SUMMARY_CHUNK => filter.before = Some(seq),
                _ => return Ok(counted),
            }
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("audit summary: {e}")))??;
    Ok(axum::Json(counted.finish().map_err(range)?))
}

/// Events a summary reads per hold of the database (about 10 ms on the 2-core machine).
const SUMMARY_CHUNK: usize = 20_000;
