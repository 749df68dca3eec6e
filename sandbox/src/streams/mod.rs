//! Audit streams: the organization's audit log pushed to a SIEM as it is written.
//!
//! The audit log on disk is every stream's outbox: each stream keeps a cursor (the last
//! event it delivered), and the log's trimming stops at the lowest cursor, so nothing
//! committed can miss a stream and no call waits on a sink (the answer leaves once the
//! event is committed). One task per stream (`crate::delivery::worker`) reads the log
//! past its cursor in order, sends a batch, and moves the cursor only after the sink took
//! it (at least once, in order). A sink that is down is retried with backoff; events wait
//! up to [`BUFFER_DAYS`] days (paused streams
//! too, as GitHub's audit-log streaming keeps them), and the health each stream shows
//! (last delivery, lag, last error) is kept beside it. A stream that starts failing, or
//! recovers, writes an audit event of its own.
//!
//! This module holds what a stream is and its tables; the sending is `crate::delivery`,
//! which needs the application's state (this module is below it).

pub mod api;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use clouddigit_core::audit_format::AuditFormat;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How long an event waits for a sink that is down (or a paused stream) before it is
/// dropped and counted.
pub const BUFFER_DAYS: i64 = 7;
/// At most this many events per delivery.
pub const MAX_BATCH: usize = 500;
/// How many streams an organization may have.
pub const MAX_STREAMS: usize = 10;
/// How long one delivery may take before it counts as failed.
pub const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Wakes a stream's task: for new events (`notify`), or to end its backoff at once
/// (`kick`: resumed, deleted, tested).
#[derive(Debug, Default)]
pub struct Handle {
    pub notify: tokio::sync::Notify,
    pub kicked: std::sync::atomic::AtomicBool,
    /// Set by the stream's task when it may wait for new events; the audit writer wakes
    /// it only then, once. Without it every write woke every stream's thread, lingering,
    /// paused or backing off (a paused stream read its row at each): a thread switch per
    /// call per stream, for nothing.
    pub waiting: std::sync::atomic::AtomicBool,
}

impl Handle {
    pub fn kick(&self) {
        self.kicked.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_one();
    }
}

/// Where a stream delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Sink {
    /// An HTTPS endpoint (plain http only to this machine): each batch is one POST of
    /// JSON lines, signed with HMAC-SHA256 of the body in `X-Clouddigit-Signature-256:
    /// sha256=<hex>` (the form GitHub's webhooks use, which collectors verify).
    Webhook {
        /// https, or plain http to this machine only.
        #[schemars(
            length(max = 2048),
            regex(
                pattern = r"^(https://[^\s/?#@]+|http://(localhost|127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\])(:[0-9]{1,5})?)([/?#]\S*)?$"
            )
        )]
        url: String,
    },
    /// A syslog receiver over TCP: RFC 5424 messages, octet-counted (RFC 6587).
    Syslog {
        #[schemars(regex(pattern = r"^[A-Za-z0-9.:-]{1,253}$"))]
        host: String,
        #[schemars(range(min = 1))]
        port: u16,
    },
    /// A bucket of this organization on the sandbox's S3 endpoint: gzipped JSON lines
    /// under `<prefix>YYYY/MM/DD/HH/` by the events' hour.
    S3 {
        #[schemars(length(min = 1, max = 63))]
        bucket: String,
        /// Put before `YYYY/MM/DD/HH/`: at most 256 characters, not starting with `/`.
        #[serde(default)]
        #[schemars(length(max = 256), regex(pattern = r"^[^/\x00-\x1f]"))]
        prefix: Option<String>,
    },
}

impl Sink {
    pub fn kind(&self) -> &'static str {
        match self {
            Sink::Webhook { .. } => "webhook",
            Sink::Syslog { .. } => "syslog",
            Sink::S3 { .. } => "s3",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    Active,
    Paused,
}

/// A stream as the database keeps it.
#[derive(Debug, Clone)]
pub struct StreamRow {
    pub id: String,
    pub name: String,
    pub format: AuditFormat,
    pub sink: Sink,
    /// The webhook's signing secret, sealed (HMAC needs the secret itself).
    pub secret_sealed: Option<String>,
    pub status: StreamStatus,
    pub created_at: String,
    pub created_by: Option<String>,
    pub health: store::Health,
}

/// The running streams' tasks, by stream id, and the HTTP client webhooks are sent with.
pub struct Streams {
    handles: Mutex<HashMap<String, Arc<Handle>>>,
    pub http: reqwest::Client,
    /// The runtime the streams' tasks run on: one thread of its own at a lower scheduling
    /// priority (nice 10), so that rendering, compressing and sending batches yields the
    /// CPU to the API's calls (bench/streams.py: on two cores, three streams sharing the
    /// API's runtime raised its p99 3.6 times).
    pub runtime: tokio::runtime::Handle,
    /// Dropped with the state: the runtime's thread then ends.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Streams {
    pub fn new() -> Result<Streams, crate::error::ApiError> {
        let http = reqwest::Client::builder()
            // A redirect is the receiver's misconfiguration, not a place to send the log.
            .redirect(reqwest::redirect::Policy::none())
            // A new connection per delivery: a pooled one the receiver closed fails as
            // "error sending request", where "could not connect" says what happened.
            .pool_max_idle_per_host(0)
            .connect_timeout(DELIVERY_TIMEOUT)
            .build()
            .map_err(|e| crate::error::ApiError::internal(format!("http client: {e}")))?;
        let (runtime, stop) = background_runtime()?;
        Ok(Streams {
            handles: Mutex::default(),
            http,
            runtime,
            _stop: stop,
        })
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Handle>>> {
        self.handles.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add(&self, id: &str, handle: Arc<Handle>) {
        self.handles().insert(id.to_owned(), handle);
    }

    pub fn remove(&self, id: &str) {
        if let Some(h) = self.handles().remove(id) {
            h.kick();
        }
    }

    /// The running streams.
    pub fn ids(&self) -> Vec<String> {
        self.handles().keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.handles().is_empty()
    }

    /// New events are in the log.
    pub fn wake_all(&self) {
        for h in self.handles().values() {
            if h.waiting.swap(false, std::sync::atomic::Ordering::SeqCst) {
                h.notify.notify_one();
            }
        }
    }

    /// Try now, whatever the backoff says (resumed, tested).
    pub fn kick(&self, id: &str) {
        if let Some(h) = self.handles().get(id) {
            h.kick();
        }
    }
}

/// A current-thread runtime on a thread of its own, niced, that runs until the sender it
/// returns is dropped.
fn background_runtime(
) -> Result<(tokio::runtime::Handle, tokio::sync::oneshot::Sender<()>), crate::error::ApiError> {
    let fail = |e: std::io::Error| crate::error::ApiError::internal(format!("stream runtime: {e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    let handle = rt.handle().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("audit-streams".into())
        .spawn(move || {
            lower_priority();
            // Ends when the state (and its sender) is dropped.
            let _ = rt.block_on(stopped);
        })
        .map_err(fail)?;
    Ok((handle, stop))
}

/// This thread at nice 10: Linux schedules threads one by one, so only the streams'
/// thread yields. Elsewhere, or if refused, it runs at the normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with PRIO_PROCESS and 0 changes the calling thread's nice value
    // on Linux; it reads and writes no memory of ours.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams").field("ids", &self.ids()).finish()
    }
}
