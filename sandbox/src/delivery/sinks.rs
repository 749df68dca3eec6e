//! Sending one batch to a stream's sink. Each returns `Ok` only once the sink took the
//! whole batch (a 2xx answer; every byte written and the connection closed cleanly; the
//! object committed), so the worker deletes from the outbox only what arrived.

use std::io::Write as _;
use std::time::Duration;

use clouddigit_core::audit_format::{self, AuditContext, AuditFormat};
use clouddigit_core::model::AuditEvent;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::AsyncWriteExt as _;

use crate::object_store::{self as store, ObjectRow};
use crate::state::AppState;
use crate::streams::Sink;

/// How long one delivery may take before it counts as failed.
const TIMEOUT: Duration = crate::streams::DELIVERY_TIMEOUT;

/// The header carrying the body's HMAC-SHA256 under the stream's secret.
pub const SIGNATURE_HEADER: &str = "x-clouddigit-signature-256";

/// A batch ready to send: the events, their records in the stream's format, in order.
pub struct Batch<'a> {
    pub stream_id: &'a str,
    pub events: &'a [AuditEvent],
    pub records: Vec<serde_json::Value>,
    /// Each event's place in the log, ascending (not always contiguous: a stream made
    /// later, or the other streams' events, leave gaps).
    pub seqs: &'a [i64],
}

impl<'a> Batch<'a> {
    pub fn new(
        stream_id: &'a str,
        events: &'a [AuditEvent],
        seqs: &'a [i64],
        format: AuditFormat,
        ctx: &AuditContext,
    ) -> Batch<'a> {
        Batch {
            stream_id,
            events,
            records: events
                .iter()
                .map(|e| audit_format::render(e, format, ctx))
                .collect(),
            seqs,
        }
    }

    fn json_lines(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        let mut out = Vec::new();
        for r in &self.records[range] {
            // A Value always serializes.
            let _ = serde_json::to_writer(&mut out, r);
            out.push(b'\n');
        }
        out
    }
}

/// The signature a webhook receiver checks: `sha256=` and the hex HMAC-SHA256 of the
/// body under the stream's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new(); // HMAC takes a key of any length.
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub async fn send(
    state: &AppState,
    http: &reqwest::Client,
    sink: &Sink,
    secret: Option<&str>,
    batch: &Batch<'_>,
) -> Result<(), String> {
    match sink {
        Sink::Webhook { url } => webhook(http, url, secret.unwrap_or_default(), batch).await,
        Sink::Syslog { host, port } => syslog(host, *port, batch).await,
        Sink::S3 { bucket, prefix } => s3(state, bucket, prefix.as_deref().unwrap_or(""), batch),
    }
}

async fn webhook(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    batch: &Batch<'_>,
) -> Result<(), String> {
    let body = batch.json_lines(0..batch.records.len());
    let resp = http
        .post(url)
        .timeout(TIMEOUT)
        .header("content-type", "application/x-ndjson")
        .header(SIGNATURE_HEADER, signature(secret, &body))
        .header("x-clouddigit-stream", batch.stream_id)
        .header(
            "x-clouddigit-delivery",
            format!(
                "{}-{}-{}",
                batch.stream_id,
                batch.seqs.first().copied().unwrap_or_default(),
                batch.seqs.last().copied().unwrap_or_default()
            ),
        )
        .header("x-clouddigit-event-count", batch.records.len().to_string())
        .body(body)
        .send()
        .await
        // reqwest's error names the URL, never a header: the secret stays out.
        .map_err(|e| format!("webhook: {}", without_url(&e)))?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("webhook answered {status}"))
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "the webhook");
    }
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        s
    }
}

async fn syslog(host: &str, port: u16, batch: &Batch<'_>) -> Result<(), String> {
    let hostname = "clouddigit-sandbox";
    let mut out = Vec::new();
    for (e, r) in batch.events.iter().zip(&batch.records) {
        out.extend_from_slice(audit_format::syslog_frame(e, r, hostname).as_bytes());
    }
    let work = async {
        let mut conn = tokio::net::TcpStream::connect((host, port)).await?;
        conn.write_all(&out).await?;
        conn.flush().await?;
        conn.shutdown().await
    };
    match tokio::time::timeout(TIMEOUT, work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("syslog {host}:{port}: {e}")),
        Err(_) => Err(format!("syslog {host}:{port}: timed out")),
    }
}

/// One object per hour of the events' times, named by the stream and the range of
/// sequence numbers it holds: a batch sent again after a failure writes the same keys,
/// so a retry replaces rather than duplicates.
fn s3(state: &AppState, bucket: &str, prefix: &str, batch: &Batch<'_>) -> Result<(), String> {
    // Compressed before the database is taken: the API's calls share its lock.
    let mut objects = Vec::new();
    let mut start = 0;
    while start < batch.events.len() {
        let hour = batch.events[start].time.format("%Y/%m/%d/%H").to_string();
        let mut end = start + 1;
        while end < batch.events.len()
            && batch.events[end].time.format("%Y/%m/%d/%H").to_string() == hour
        {
            end += 1;
        }
        let lines = batch.json_lines(start..end);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&lines).map_err(|e| format!("s3: {e}"))?;
        let data = gz.finish().map_err(|e| format!("s3: {e}"))?;
        let (first, last) = (batch.seqs[start], batch.seqs[end - 1]);
        let key = format!(
            "{prefix}{hour}/{}-{first:020}-{last:020}.jsonl.gz",
            batch.stream_id
        );
        let digest = <md5::Md5 as md5::Digest>::digest(&data);
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key,
            size: data.len() as u64,
            etag: hex::encode(digest),
            last_modified: state.now(),
            headers: [("content-type".to_owned(), "application/x-ndjson".to_owned())]
                .into_iter()
                .collect(),
            tags: Default::default(),
            checksum: None,
            blob: String::new(),
        };
        objects.push((row, data));
        start = end;
    }
    let conn = state.db().map_err(|e| format!("s3: {}", e.message))?;
    if crate::db::bucket(&conn, bucket)
        .map_err(|e| format!("s3: {e}"))?
        .is_none()
    {
        return Err(format!("s3: the bucket {bucket} does not exist"));
    }
    for (row, data) in &objects {
        let replaced = store::put_object(&conn, row, Some(data)).map_err(|e| format!("s3: {e}"))?;
        state.0.s3.forget(replaced);
    }
    Ok(())
}
