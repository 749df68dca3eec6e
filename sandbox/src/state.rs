//! Shared server state.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clouddigit_core::{OwnerRef, Timestamp};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;

use crate::clock::Clock;
use crate::db::{self, AuditEvent};
use crate::error::ApiError;
use crate::idempotency::{self, Attempt, IdempotencyStore};
use crate::rate::RateLimiter;

#[derive(Debug)]
pub struct Inner {
    pub db: Mutex<Connection>,
    pub clock: Clock,
    pub limiter: RateLimiter,
    /// Failed and unauthenticated calls, per source address.
    pub failures: RateLimiter,
    pub idempotency: IdempotencyStore,
    pub trust_proxy: u8,
    pub organization: String,
    /// Audit events not yet in the database, each with its sequence number: the writer
    /// commits them in batches (a group commit), and a call's answer waits until its
    /// event is committed, so no answered call is missing from the log, even after a
    /// crash, while a call still costs no database write of its own.
    pub audit_buffer: Mutex<AuditBuffer>,
    /// Wakes the writer.
    pub audit_pending: Arc<tokio::sync::Notify>,
    /// The highest sequence number committed (or given up on, when a write failed).
    pub audit_committed: tokio::sync::watch::Sender<u64>,
    pub faults: Arc<crate::faults::Faults>,
    pub audit_retention: db::Retention,
    pub audit_trim: Mutex<TrimState>,
    pub lineages: crate::service::lineage::LineageCache,
    /// `--protect-bootstrap`: the bootstrap token and its owner, which calls may not end
    /// or change (so a fuzzer holding that token keeps testing authorized calls).
    pub protected: Option<Protected>,
    /// The OpenAPI document with this organization's projects, built on first request.
    pub openapi: std::sync::OnceLock<serde_json::Value>,
    /// Issuers' keys, exchanged `jti`s and the development issuer.
    pub oidc: crate::oidc::Oidc,
    /// Seals access keys' secrets at rest.
    pub sealer: crate::secrets::Sealer,
    /// The S3 endpoint's region, objects and uploads.
    pub s3: crate::object_store::Store,
    /// The audit streams' tasks.
    pub streams: crate::streams::Streams,
}

#[derive(Debug, Clone)]
pub struct Protected {
    pub token_id: String,
    pub user_id: String,
}

#[derive(Debug, Default)]
pub struct AuditBuffer {
    pub events: Vec<AuditEvent>,
    /// The sequence number of the last event added.
    pub last: u64,
}

/// When the audit log was last trimmed by age, and how many events it holds (counted
/// once, then kept up to date), so the count is held exactly at every write.
#[derive(Debug, Default)]
pub struct TrimState {
    pub last: Option<Timestamp>,
    pub count: Option<u64>,
}

/// Drop by age at least this often.
const TRIM_EVERY: chrono::Duration = chrono::Duration::seconds(60);

#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    pub fn db(&self) -> Result<MutexGuard<'_, Connection>, ApiError> {
        self.0
            .db
            .lock()
            .map_err(|_| ApiError::internal("database lock poisoned"))
    }

    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    /// Runs a create at most once per `Idempotency-Key` (see [`crate::idempotency`]):
    /// `create` runs under the database lock, in one transaction with the key's record.
    pub fn create_once<T: Serialize>(
        &self,
        owner: &OwnerRef,
        headers: &HeaderMap,
        route: &str,
        body: &Value,
        create: impl FnOnce(&Connection) -> Result<(StatusCode, T), ApiError>,
    ) -> Result<Response, ApiError> {
        idempotency::run(
            &self.0.idempotency,
            &self.0.db,
            self.now(),
            Attempt {
                owner,
                headers,
                route,
                body,
            },
            create,
        )
    }

    /// Refuses, under `--protect-bootstrap`, a call that would end the bootstrap token.
    pub fn guard_token(&self, token_id: &str) -> Result<(), ApiError> {
        match &self.0.protected {
            Some(p) if p.token_id == token_id => Err(protected("the bootstrap token")),
            _ => Ok(()),
        }
    }

    /// Refuses, under `--protect-bootstrap`, a call that would change or end the
    /// bootstrap token's owner (their status, roles or all their tokens).
    pub fn guard_user(&self, user_id: &str) -> Result<(), ApiError> {
        match &self.0.protected {
            Some(p) if p.user_id == user_id => Err(protected("the bootstrap token's owner")),
            _ => Ok(()),
        }
    }

    /// Refuses, under `--protect-bootstrap`, a policy with a maximum lifetime: the
    /// bootstrap token never expires, so any maximum would end it.
    pub fn guard_policy(&self, max_lifetime_days: Option<u32>) -> Result<(), ApiError> {
        match (&self.0.protected, max_lifetime_days) {
            (Some(_), Some(_)) => Err(protected(
                "the bootstrap token (it never expires, so any max_lifetime_days would end it)",
            )),
            _ => Ok(()),
        }
    }

    pub fn organization(&self) -> &str {
        &self.0.organization
    }

    /// What every audit record in a standard shape says about where it came from.
    pub fn audit_context(&self) -> clouddigit_core::audit_format::AuditContext {
        clouddigit_core::audit_format::AuditContext {
            organization: self.0.organization.clone(),
            region: self.0.s3.region.clone(),
            product_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// Queues an event for the writer; returns its sequence number.
    pub fn record_audit(&self, event: AuditEvent) -> u64 {
        let seq = {
            let mut buf = self
                .0
                .audit_buffer
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            buf.events.push(event);
            buf.last += 1;
            buf.last
        };
        self.0.audit_pending.notify_one();
        seq
    }

    /// Waits until the event `seq` is committed (or its write failed and was reported).
    pub async fn audit_written(&self, seq: u64) {
        let mut rx = self.0.audit_committed.subscribe();
        // The sender lives as long as the state, which outlives this call.
        let _ = rx.wait_for(|c| *c >= seq).await;
    }

    /// Writes every buffered audit event in one transaction.
    pub fn flush_audit(&self) -> Result<(), ApiError> {
        let conn = self.db()?;
        // Taken under the database lock, so events reach the table in the order made.
        let (events, last) = {
            let mut buf = self
                .0
                .audit_buffer
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            (std::mem::take(&mut buf.events), buf.last)
        };
        if events.is_empty() {
            return Ok(());
        }
        let streams = !self.0.streams.is_empty();
        let written = db::atomically(&conn, |tx| {
            for e in &events {
                db::insert_audit(tx, e)?;
            }
            self.trim_audit(tx, events.len() as u64)
        });
        // Waiting answers go out either way; a failed write is reported, not hidden.
        self.0.audit_committed.send_modify(|c| *c = (*c).max(last));
        if written.is_ok() && streams {
            self.0.streams.wake_all();
        }
        written
    }

    /// Keeps the log within its retention: past its count at every write, by age a minute
    /// apart, drops the oldest events and records that it did.
    fn trim_audit(&self, conn: &rusqlite::Connection, written: u64) -> Result<(), ApiError> {
        let now = self.now();
        let mut t = self.0.audit_trim.lock().unwrap_or_else(|p| p.into_inner());
        let count = match t.count {
            Some(c) => c + written,
            None => db::audit_count(conn)?,
        };
        t.count = Some(count);
        let due = count > self.0.audit_retention.max_events
            || t.last.is_none_or(|l| now - l >= TRIM_EVERY || now < l);
        if !due {
            return Ok(());
        }
        t.last = Some(now);
        // What an audit stream has yet to send stays (its cursor moves past what waited
        // longer than its buffer, and then the log trims it).
        let keep_after = if self.0.streams.is_empty() {
            None
        } else {
            crate::streams::store::min_cursor(conn)?
        };
        let (dropped, newest) =
            db::trim_audit(conn, self.0.audit_retention, now, count, keep_after)?;
        if dropped > 0 {
            // One note says it all: it replaces the earlier ones and carries their count.
            let total = dropped
                + db::meta(conn, "audit_dropped_total")?
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            let since = match db::meta(conn, "audit_dropped_since")? {
                Some(s) => s,
                None => db::ts(now),
            };
            db::set_meta(conn, "audit_dropped_total", &total.to_string())?;
            db::set_meta(conn, "audit_dropped_since", &since)?;
            let notes = conn.execute(
                "DELETE FROM audit WHERE method = 'SYSTEM' AND path = '/_audit/retention'",
                [],
            )? as u64;
            db::insert_audit(
                conn,
                &AuditEvent {
                    request_id: crate::secrets::new_id("req"),
                    time: db::ts(now),
                    actor: Some("clouddigit-sandbox".into()),
                    method: "SYSTEM".into(),
                    path: "/_audit/retention".into(),
                    status: 200,
                    detail: Some(format!(
                        "dropped {dropped} audit events (older than {} days or beyond {} events), the newest of them from {}; {total} dropped since {since}",
                        self.0.audit_retention.max_age.num_days(),
                        self.0.audit_retention.max_events,
                        newest.unwrap_or_default()
                    )),
                    ..AuditEvent::default()
                },
            )?;
            // Counted, not read again: a COUNT(*) scans the whole log.
            t.count = Some((count + 1).saturating_sub(dropped + notes));
        }
        Ok(())
    }
}

fn protected(what: &str) -> ApiError {
    ApiError::conflict(
        "protected",
        format!("the sandbox runs with --protect-bootstrap: this would end or change {what}"),
    )
}
