//! Shared server state.

use std::sync::{Arc, Mutex, MutexGuard};

use clouddigit_core::Timestamp;
use rusqlite::Connection;

use crate::clock::Clock;
use crate::db::{self, AuditEvent};
use crate::error::ApiError;
use crate::idempotency::IdempotencyStore;
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
    /// Audit events not yet in the database: written in batches, so a call costs no
    /// database write of its own. Readers of the log flush first.
    pub audit_buffer: Mutex<Vec<AuditEvent>>,
    pub faults: crate::faults::Faults,
    pub audit_retention: db::Retention,
    pub audit_trim: Mutex<TrimState>,
    pub lineages: crate::lineage::LineageCache,
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

/// Flush at this many buffered events even between ticks.
const AUDIT_BATCH: usize = 256;

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

    pub fn organization(&self) -> &str {
        &self.0.organization
    }

    pub fn record_audit(&self, event: AuditEvent) {
        let full = {
            let mut buf = self
                .0
                .audit_buffer
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            buf.push(event);
            buf.len() >= AUDIT_BATCH
        };
        if full {
            if let Err(e) = self.flush_audit() {
                eprintln!("clouddigit-sandbox: audit write failed: {}", e.message);
            }
        }
    }

    /// Writes every buffered audit event in one transaction.
    pub fn flush_audit(&self) -> Result<(), ApiError> {
        let conn = self.db()?;
        // Taken under the database lock, so events reach the table in the order made.
        let events = std::mem::take(
            &mut *self
                .0
                .audit_buffer
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        if events.is_empty() {
            return Ok(());
        }
        let tx = conn.unchecked_transaction()?;
        for e in &events {
            db::insert_audit(&tx, e)?;
        }
        self.trim_audit(&tx, events.len() as u64)?;
        tx.commit()?;
        Ok(())
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
        let (dropped, newest) = db::trim_audit(conn, self.0.audit_retention, now)?;
        if dropped > 0 {
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
                        "dropped {dropped} audit events (older than {} days or beyond {} events), the newest of them from {}",
                        self.0.audit_retention.max_age.num_days(),
                        self.0.audit_retention.max_events,
                        newest.unwrap_or_default()
                    )),
                    ..AuditEvent::default()
                },
            )?;
        }
        t.count = Some(db::audit_count(conn)?);
        Ok(())
    }
}
