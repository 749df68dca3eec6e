//! The streams' table: each stream with its health and its cursor, the last event of the
//! audit log it delivered. What a stream has yet to send is the log past its cursor: the
//! log is its outbox, on disk, written once for every stream (copying each event into
//! an outbox per stream made every call's audit write that many times larger; see
//! bench/streams.py), and the log's trimming keeps what a stream still needs.

use rusqlite::{params, Connection, OptionalExtension, Row};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{StreamRow, StreamStatus};

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS audit_streams (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, format TEXT NOT NULL, sink TEXT NOT NULL,
  secret_sealed TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT,
  last_delivery_at TEXT, last_attempt_at TEXT, last_error TEXT, failing_since TEXT,
  delivered INTEGER NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0,
  cursor INTEGER NOT NULL DEFAULT 0);
"#;

/// How a stream is doing, as the API shows it (with `lag_seconds` and `buffered` added
/// from its outbox).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// `healthy` (delivering, or nothing to deliver), `failing` (the last attempt
    /// failed; retried with backoff), `paused`.
    pub state: String,
    /// The last batch the sink took.
    pub last_delivery_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// Why the last attempt failed (never a secret), until one succeeds.
    pub last_error: Option<String>,
    /// Since when attempts fail.
    pub failing_since: Option<String>,
    /// Events delivered since the stream was made.
    pub delivered: u64,
    /// Events dropped after waiting more than 7 days.
    pub dropped: u64,
    /// Events waiting in the outbox.
    pub buffered: u64,
    /// Age of the oldest waiting event, in seconds (0 when none waits).
    pub lag_seconds: i64,
}

const COLS: &str = "id, name, format, sink, secret_sealed, status, created_at, created_by, last_delivery_at, last_attempt_at, last_error, failing_since, delivered, dropped";

fn row(r: &Row) -> rusqlite::Result<StreamRow> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let format: String = r.get(2)?;
    let sink: String = r.get(3)?;
    let status: String = r.get(5)?;
    Ok(StreamRow {
        id: r.get(0)?,
        name: r.get(1)?,
        format: format
            .parse()
            .map_err(|_| bad(2, format!("format {format}")))?,
        sink: serde_json::from_str(&sink).map_err(|e| bad(3, e.to_string()))?,
        secret_sealed: r.get(4)?,
        status: match status.as_str() {
            "paused" => StreamStatus::Paused,
            _ => StreamStatus::Active,
        },
        created_at: r.get(6)?,
        created_by: r.get(7)?,
        health: Health {
            state: String::new(),
            last_delivery_at: r.get(8)?,
            last_attempt_at: r.get(9)?,
            last_error: r.get(10)?,
            failing_since: r.get(11)?,
            delivered: r.get::<_, i64>(12)?.max(0) as u64,
            dropped: r.get::<_, i64>(13)?.max(0) as u64,
            buffered: 0,
            lag_seconds: 0,
        },
    })
}

/// A new stream starts after the last event in the log.
pub fn insert(conn: &Connection, s: &StreamRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO audit_streams ({COLS}, cursor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, NULL, NULL, 0, 0,
           (SELECT COALESCE(MAX(seq), 0) FROM audit))"),
        params![
            s.id,
            s.name,
            s.format.as_str(),
            serde_json::to_string(&s.sink).unwrap_or_default(),
            s.secret_sealed,
            status_str(s.status),
            s.created_at,
            s.created_by
        ],
    )?;
    Ok(())
}

fn status_str(s: StreamStatus) -> &'static str {
    match s {
        StreamStatus::Active => "active",
        StreamStatus::Paused => "paused",
    }
}

pub fn all(conn: &Connection) -> rusqlite::Result<Vec<StreamRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLS} FROM audit_streams ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([], row)?;
    rows.collect()
}

pub fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<StreamRow>> {
    conn.query_row(
        &format!("SELECT {COLS} FROM audit_streams WHERE id = ?1"),
        [id],
        row,
    )
    .optional()
}

pub fn set_status(conn: &Connection, id: &str, status: StreamStatus) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE audit_streams SET status = ?2 WHERE id = ?1",
        params![id, status_str(status)],
    )? > 0)
}

/// Deletes a stream (what it had yet to send stays in the log).
pub fn delete(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM audit_streams WHERE id = ?1", [id])? > 0)
}

/// The last event the stream delivered (`i64::MAX` for a stream that is gone).
pub fn cursor(conn: &Connection, id: &str) -> rusqlite::Result<i64> {
    Ok(conn
        .prepare_cached("SELECT cursor FROM audit_streams WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(i64::MAX))
}

/// The lowest cursor of any stream: the log keeps every event after it.
pub fn min_cursor(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT MIN(cursor) FROM audit_streams")?
        .query_row([], |r| r.get(0))
}

/// How many events wait and the time of the oldest.
pub fn backlog(conn: &Connection, id: &str) -> rusqlite::Result<(u64, Option<String>)> {
    let after = cursor(conn, id)?;
    conn.prepare_cached("SELECT COUNT(*), MIN(time) FROM audit WHERE seq > ?1")?
        .query_row([after], |r| {
            Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?))
        })
}

/// A delivery the sink took: the events up to `last_seq` leave the outbox.
pub fn delivered(
    conn: &Connection,
    id: &str,
    last_seq: i64,
    count: u64,
    now: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE audit_streams SET delivered = delivered + ?2, last_delivery_at = ?3,
           last_attempt_at = ?3, last_error = NULL, failing_since = NULL,
           cursor = MAX(cursor, ?4) WHERE id = ?1",
        params![id, count as i64, now, last_seq],
    )?;
    Ok(())
}

/// A failed attempt: returns whether the stream was healthy until now.
pub fn failed(conn: &Connection, id: &str, error: &str, now: &str) -> rusqlite::Result<bool> {
    let was: Option<Option<String>> = conn
        .query_row(
            "SELECT failing_since FROM audit_streams WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    conn.execute(
        "UPDATE audit_streams SET last_attempt_at = ?3, last_error = ?2,
           failing_since = COALESCE(failing_since, ?3) WHERE id = ?1",
        params![id, error, now],
    )?;
    Ok(matches!(was, Some(None)))
}

/// Skips the events that waited longer than the buffer keeps them (the cursor moves past
/// them, and the log may then trim them); returns how many.
pub fn expire(conn: &Connection, id: &str, cutoff: &str) -> rusqlite::Result<u64> {
    let after = cursor(conn, id)?;
    let (n, last): (i64, Option<i64>) = conn
        .prepare_cached("SELECT COUNT(*), MAX(seq) FROM audit WHERE seq > ?1 AND time < ?2")?
        .query_row(params![after, cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if let (true, Some(last)) = (n > 0, last) {
        conn.execute(
            "UPDATE audit_streams SET dropped = dropped + ?2, cursor = MAX(cursor, ?3) WHERE id = ?1",
            params![id, n, last],
        )?;
    }
    Ok(n.max(0) as u64)
}
