//! One task per stream: read the outbox in order, send a batch, delete it once the sink
//! took it; on failure, retry with backoff (1 s doubling to 30 s) and record the change
//! of health in the audit log.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clouddigit_core::model::AuditEvent;

use super::sinks;
use crate::db;
use crate::state::AppState;
use crate::streams::{store, Handle, StreamStatus, BUFFER_DAYS, MAX_BATCH};

/// The longest wait between attempts while a sink is down.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a stream woken by new events waits for more before it reads its outbox:
/// deliveries of a few hundred events rather than one per call, so a busy API does not
/// pay for a stream's database reads and sends at every call (bench/streams.py).
const LINGER: Duration = Duration::from_millis(250);
/// How often an idle stream looks at its outbox anyway (events older than the buffer
/// expire; a paused stream's lag grows).
const IDLE: Duration = Duration::from_secs(30);

pub fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(5);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

/// Starts the task of every stream in the database (at start-up).
pub fn start_all(state: &AppState) -> Result<(), crate::error::ApiError> {
    let rows = store::all(&*state.db()?)?;
    for r in rows {
        start(state, &r.id);
    }
    Ok(())
}

/// Starts one stream's task (and lets the audit writer fill its outbox).
pub fn start(state: &AppState, id: &str) {
    let handle = Arc::new(Handle::default());
    state.0.streams.add(id, handle.clone());
    let state = state.clone();
    let id = id.to_owned();
    let runtime = state.0.streams.runtime.clone();
    runtime.spawn(async move { run(state, id, handle).await });
}

async fn wait(handle: &Handle, d: Duration, kick_only: bool) {
    let deadline = tokio::time::Instant::now() + d;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return,
            _ = handle.notify.notified() => {
                if !kick_only || handle.kicked.swap(false, Ordering::SeqCst) {
                    return;
                }
            }
        }
    }
}

async fn run(state: AppState, id: String, handle: Arc<Handle>) {
    let http = state.0.streams.http.clone();
    let mut failures: u32 = 0;
    loop {
        handle.kicked.store(false, Ordering::SeqCst);
        // Before the read: an event written after it wakes the wait below (a permit).
        handle.waiting.store(true, Ordering::SeqCst);
        let step = step(&state, &http, &id).await;
        if !matches!(step, Step::Idle) {
            handle.waiting.store(false, Ordering::SeqCst);
        }
        match step {
            Step::Gone => {
                state.0.streams.remove(&id);
                return;
            }
            Step::More => failures = 0,
            Step::Idle => {
                failures = 0;
                wait(&handle, IDLE, false).await;
                handle.waiting.store(false, Ordering::SeqCst);
                if !handle.kicked.load(Ordering::SeqCst) {
                    wait(&handle, LINGER, true).await;
                }
            }
            Step::Paused => wait(&handle, IDLE, false).await,
            Step::Failed => {
                failures = failures.saturating_add(1);
                wait(&handle, backoff(failures), true).await;
            }
        }
    }
}

enum Step {
    /// Deleted: the task ends.
    Gone,
    /// A batch went out; look for the next at once.
    More,
    Idle,
    Paused,
    Failed,
}

async fn step(state: &AppState, http: &reqwest::Client, id: &str) -> Step {
    let now = state.now();
    let loaded = (|| -> Result<_, crate::error::ApiError> {
        let conn = state.db()?;
        let Some(row) = store::get(&conn, id)? else {
            return Ok(None);
        };
        let cutoff = now
            .checked_sub_signed(chrono::Duration::days(BUFFER_DAYS))
            .map(db::ts)
            .unwrap_or_default();
        store::expire(&conn, id, &cutoff)?;
        let pending = match row.status {
            StreamStatus::Paused => Vec::new(),
            StreamStatus::Active => db::audit_after(&conn, store::cursor(&conn, id)?, MAX_BATCH)?,
        };
        let secret = row
            .secret_sealed
            .as_deref()
            .and_then(|s| state.0.sealer.open(s));
        Ok(Some((row, pending, secret)))
    })();
    let (row, pending, secret) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => return Step::Gone,
        Err(e) => {
            tracing_like(&format!("stream {id}: {}", e.message));
            return Step::Failed;
        }
    };
    if row.status == StreamStatus::Paused {
        return Step::Paused;
    }
    if pending.is_empty() {
        return Step::Idle;
    }
    // An event that no longer reads (a time that does not parse: it cannot happen short of
    // a damaged file) is sent as nothing rather than holding the stream up forever.
    let mut events: Vec<AuditEvent> = Vec::with_capacity(pending.len());
    let mut seqs = Vec::with_capacity(pending.len());
    for row in &pending {
        if let Ok(e) = crate::views::audit_event(row) {
            events.push(e);
            seqs.push(row.seq);
        }
    }
    let last_seq = pending.last().map_or(0, |p| p.seq);
    let ctx = state.audit_context();
    let batch = sinks::Batch::new(id, &events, &seqs, row.format, &ctx);
    let sent = if events.is_empty() {
        Ok(())
    } else {
        sinks::send(
            state,
            http,
            &row.sink,
            secret.as_deref().map(|s| s.as_str()),
            &batch,
        )
        .await
    };
    let stamp = db::ts(state.now());
    let conn = match state.db() {
        Ok(c) => c,
        Err(_) => return Step::Failed,
    };
    match sent {
        Ok(()) => {
            if store::delivered(&conn, id, last_seq, events.len() as u64, &stamp).is_err() {
                return Step::Failed;
            }
            drop(conn);
            if let Some(since) = &row.health.failing_since {
                note(
                    state,
                    id,
                    200,
                    None,
                    format!(
                        "audit stream {} ({}) recovered: delivering again after failing since {since}",
                        row.name,
                        row.sink.kind()
                    ),
                );
            }
            Step::More
        }
        Err(why) => {
            let first = store::failed(&conn, id, &why, &stamp).unwrap_or(false);
            drop(conn);
            if first {
                note(
                    state,
                    id,
                    503,
                    Some("stream_failing"),
                    format!(
                        "audit stream {} ({}) is failing: {why}; events are kept for {BUFFER_DAYS} days and retried",
                        row.name,
                        row.sink.kind()
                    ),
                );
            }
            Step::Failed
        }
    }
}

/// The sandbox has no logger: a stream's trouble it cannot record goes to stderr.
fn tracing_like(message: &str) {
    eprintln!("clouddigit-sandbox: {message}");
}

/// An audit event of the stream's own (it reaches the streams too, this one included
/// once it recovers).
fn note(state: &AppState, id: &str, status: u16, code: Option<&str>, detail: String) {
    state.record_audit(db::AuditEvent {
        request_id: crate::secrets::new_id("req"),
        time: db::ts(state.now()),
        actor: Some("clouddigit-sandbox".into()),
        method: "SYSTEM".into(),
        path: format!("/v1/audit/streams/{id}"),
        status,
        error_code: code.map(str::to_owned),
        detail: Some(detail),
        ..db::AuditEvent::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap() {
        let got: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
