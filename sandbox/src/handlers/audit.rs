//! The audit log's endpoints: `GET /v1/audit/events` (a page, or every matching event as
//! JSON lines) and `GET /v1/audit/events/export`.

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::Caller;
use crate::db::{self, AuditFilter};
use crate::error::ApiError;
use crate::query::url_pairs;
use crate::state::AppState;

const MAX_PAGE: usize = 500;
const MAX_EXPORT: usize = 100_000;

fn parse_filter(query: Option<&str>) -> Result<(AuditFilter, bool), ApiError> {
    let mut f = AuditFilter {
        limit: 50,
        ..AuditFilter::default()
    };
    let mut jsonl = false;
    for (k, v) in url_pairs(query.unwrap_or("")) {
        match k.as_str() {
            "actor" => f.actor = Some(v),
            "token_prefix" => f.token_prefix = Some(v),
            "from" | "to" => {
                let t = v.parse::<clouddigit_core::Timestamp>().map_err(|e| {
                    ApiError::field(
                        &k,
                        "invalid_time",
                        format!("{v:?} is not an RFC 3339 time: {e}"),
                    )
                })?;
                if k == "from" {
                    f.from = Some(db::ts(t));
                } else {
                    f.to = Some(db::ts(t));
                }
            }
            "status" => {
                let bad = || {
                    ApiError::field(
                        "status",
                        "invalid_status",
                        format!("{v:?}: give a status code (403) or a class (4xx)"),
                    )
                };
                // A class from 1xx to 5xx, or a code from 100 to 599: nothing else is a
                // status, and nothing here can overflow.
                if let Some(class) = v.strip_suffix("xx") {
                    let c: u16 = class
                        .parse()
                        .ok()
                        .filter(|c| (1..=5).contains(c))
                        .ok_or_else(bad)?;
                    f.status_min = Some(c * 100);
                    f.status_max = Some(c * 100 + 99);
                } else {
                    let s: u16 = v
                        .parse()
                        .ok()
                        .filter(|s| (100..=599).contains(s))
                        .ok_or_else(bad)?;
                    f.status_min = Some(s);
                    f.status_max = Some(s);
                }
            }
            "cursor" => {
                let seq = v
                    .strip_prefix("ev_")
                    .and_then(|n| n.parse::<i64>().ok())
                    .ok_or_else(|| {
                        ApiError::field("cursor", "invalid_cursor", "not a cursor from next_cursor")
                    })?;
                f.before = Some(seq);
            }
            "limit" => {
                let n: usize = v.parse().map_err(|_| {
                    ApiError::field("limit", "invalid_limit", "limit is a number from 1 to 500")
                })?;
                if n == 0 || n > MAX_PAGE {
                    return Err(ApiError::field(
                        "limit",
                        "invalid_limit",
                        "limit is a number from 1 to 500",
                    ));
                }
                f.limit = n;
            }
            "format" => match v.as_str() {
                "jsonl" => jsonl = true,
                "json" => {}
                _ => {
                    return Err(ApiError::field(
                        "format",
                        "invalid_format",
                        "format is json or jsonl",
                    ))
                }
            },
            "project" => f.project = Some(v),
            _ => {}
        }
    }
    Ok((f, jsonl))
}

async fn events(
    state: AppState,
    caller: Caller,
    query: Option<String>,
    force_jsonl: bool,
) -> Result<Response, ApiError> {
    let (mut filter, jsonl) = parse_filter(query.as_deref())?;
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
        for e in &rows {
            out.push_str(&serde_json::to_string(e)?);
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
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|e| e.id.clone()))
        .flatten();
    Ok(axum::Json(json!({ "events": rows, "next_cursor": next })).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    events(state, caller, query, false).await
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    events(state, caller, query, true).await
}
