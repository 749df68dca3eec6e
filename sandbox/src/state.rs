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
    pub idempotency: IdempotencyStore,
    pub trust_proxy: bool,
    pub organization: String,
    /// Audit events not yet in the database: written in batches, so a call costs no
    /// database write of its own. Readers of the log flush first.
    pub audit_buffer: Mutex<Vec<AuditEvent>>,
    pub faults: crate::faults::Faults,
}

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
        tx.commit()?;
        Ok(())
    }
}
