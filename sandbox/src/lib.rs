//! `clouddigit-sandbox`: a local Cloud Digit IAM API over HTTP. Every call is decided by
//! `clouddigit-core`'s evaluator, with the token's owner as they are at the moment of the
//! call; state lives in SQLite (in memory, or a file with `--db`).
//!
//! The library is what the binary runs and what the tests drive: [`start`] binds, seeds
//! and serves, and returns a handle with the address, the clock and the bootstrap token.

pub mod audit;
pub mod auth;
pub mod bodies;
pub mod clock;
pub mod console;
pub mod db;
pub mod delivery;
pub mod error;
pub mod faults;
pub mod handlers;
pub mod idempotency;
pub mod leak;
pub mod listen;
pub mod object_store;
pub mod oidc;
pub mod openapi;
pub mod operations;
pub mod query;
pub mod rate;
pub mod request;
pub mod routes;
pub mod s3;
pub mod secrets;
pub mod seed;
pub mod service;
pub mod state;
pub mod streams;
pub mod views;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clouddigit_core::model::{Creator, Inherit};
use clouddigit_core::{OwnerRef, ProjectScope, TokenPermissions, TokenSecret};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use seed::Seed;

use crate::service::tokens::{issue, TokenSpec};
use crate::service::Origin;
use crate::state::{AppState, Inner};

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// SQLite file; `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Replaces the built-in seed (only used on an empty database).
    pub seed: Option<Seed>,
    /// How many proxies of its own the sandbox runs behind: the client address is read
    /// from `X-Forwarded-For` that many entries from the right (0: the connection's).
    pub trust_proxy: u8,
    /// Where to write the bootstrap token (mode 0600); `None` writes nothing.
    pub token_file: Option<PathBuf>,
    pub rate_burst: u32,
    pub rate_per_second: f64,
    /// Failed (401, 403) and unauthenticated calls per source address: a burst, then
    /// this many per second (0 turns it off).
    pub failure_burst: u32,
    pub failure_per_second: f64,
    /// The audit log keeps this many days and at most this many events; the oldest go
    /// first, and the dropping is itself an audit event.
    pub audit_max_age_days: u32,
    pub audit_max_events: u64,
    pub clock: Clock,
    /// Serve the web console from this directory at `/` (see [`console`]).
    pub console: Option<PathBuf>,
    /// Refuse (409 `protected`) every call that would end the bootstrap token or change
    /// its owner: for test harnesses such as schemathesis, whose calls could otherwise
    /// revoke the very token they test with.
    pub protect_bootstrap: bool,
    /// The S3 endpoint's port (0 picks a free one); `None` serves no S3.
    pub s3_port: Option<u16>,
    /// The region the S3 endpoint answers for (signatures must be scoped to it).
    pub region: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8787,
            db: None,
            seed: None,
            trust_proxy: 0,
            token_file: None,
            rate_burst: 60,
            rate_per_second: 30.0,
            failure_burst: 120,
            failure_per_second: 2.0,
            audit_max_age_days: 90,
            audit_max_events: 1_000_000,
            clock: Clock::system(),
            console: None,
            protect_bootstrap: false,
            s3_port: Some(0),
            region: "bd-dha-1".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Seed(#[from] seed::SeedError),
    #[error("seed: {0}")]
    SeedJson(#[from] serde_json::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("bootstrap token: {0}")]
    Token(String),
    #[error("{0}")]
    Api(String),
}

impl From<error::ApiError> for StartError {
    fn from(e: error::ApiError) -> StartError {
        StartError::Api(e.message)
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The organization owner's token minted at start-up.
    pub bootstrap_token: TokenSecret,
    pub state: AppState,
    /// The S3 endpoint's address, when it serves one.
    pub s3_addr: Option<SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    s3_task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://host:port` of the S3 endpoint (path-style).
    pub fn s3_url(&self) -> Option<String> {
        self.s3_addr.map(|a| format!("http://{a}"))
    }

    pub fn clock(&self) -> &Clock {
        &self.state.0.clock
    }

    /// Stops accepting, finishes in-flight calls and closes the database.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.finish().await
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        let served = match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Some(t) = self.s3_task.take() {
            match t.await {
                Ok(r) => r?,
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
        self.state
            .flush_audit()
            .map_err(|e| std::io::Error::other(e.message))?;
        served
    }

    /// Waits until the server stops (for the binary).
    pub async fn wait(mut self) -> std::io::Result<()> {
        self.finish().await
    }

    pub fn stop_signal(&mut self) -> Option<oneshot::Sender<()>> {
        self.shutdown.take()
    }
}

/// Flushes the audit buffer every 20 ms until the server's state is gone.
fn spawn_audit_flusher(state: &AppState) {
    let weak = Arc::downgrade(&state.0);
    let pending = state.0.audit_pending.clone();
    tokio::spawn(async move {
        loop {
            // Woken by each event (a permit is kept if none waits); what arrives during a
            // write goes in the next batch, so batches grow with the load. The timeout
            // only notices a server that is gone.
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(1), pending.notified()).await;
            let Some(inner) = weak.upgrade() else { break };
            // On the blocking pool: the write holds the database for a batch (and, past
            // the retention, a trim), and on a runtime worker it also held that worker,
            // half of a two-core machine's, so calls queued behind it (the soak's
            // profile: a tenth of all samples were workers parked on the database lock).
            let written = tokio::task::spawn_blocking(move || AppState(inner).flush_audit()).await;
            let failed = match written {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.message),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = failed {
                leak::warn(&format!("clouddigit-sandbox: audit write failed: {why}"));
            }
        }
    });
}

/// Writes the token with mode 0600 (created that way, and tightened if it existed).
pub fn write_token_file(path: &Path, token: &TokenSecret) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(token.expose_secret().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

/// Opens (and seeds) the database, mints the bootstrap token, binds and serves.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let conn = db::open(config.db.as_deref())?;
    let seed = match config.seed.clone() {
        Some(s) => s,
        None => seed::builtin()?,
    };
    let now = config.clock.now();
    let bootstrap_user = seed::apply(&conn, &seed, now)?;
    let organization = db::meta(&conn, "organization")?.unwrap_or(seed.organization.clone());
    let spec = TokenSpec {
        name: "sandbox-bootstrap".into(),
        projects: ProjectScope::All(clouddigit_core::model::AllProjects::All),
        permissions: TokenPermissions::Inherit(Inherit::Inherit),
        // Within the organization's maximum lifetime, if it has one: a longer-lived token
        // would be denied as expired on its first call.
        expires_at: db::token_policy(&conn)?
            .and_then(|p| p.max_lifetime_days)
            .map(|days| {
                // A maximum beyond chrono's range is no maximum: the latest instant.
                now.checked_add_signed(chrono::Duration::days(i64::from(days)))
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
            }),
        allowed_ips: Vec::new(),
    };
    let previous = db::meta(&conn, "bootstrap_token_id")?;
    let (row, bootstrap_token) = issue(
        &conn,
        OwnerRef::User { id: bootstrap_user },
        &organization,
        &spec,
        "api",
        now,
        &Origin::root(Creator::bootstrap()),
    )
    .map_err(|e| StartError::Token(e.message))?;
    // One live bootstrap token at a time: the previous run's is revoked when a new one
    // is written to the token file, and what it made passes to the new one (as in a
    // rotation), so the state a --db file keeps survives the restart.
    if let Some(previous) = previous {
        db::reparent(&conn, &previous, &row.token.id)?;
        db::revoke_ids(
            &conn,
            &[previous],
            &clouddigit_core::model::Revocation::new(
                clouddigit_core::model::RevocationReason::BootstrapReplaced,
                now,
            ),
        )?;
    }
    db::set_meta(&conn, "bootstrap_token_id", &row.token.id)?;
    if let Some(path) = &config.token_file {
        write_token_file(path, &bootstrap_token)?;
    }
    let protected = config.protect_bootstrap.then(|| state::Protected {
        token_id: row.token.id.clone(),
        user_id: match &row.token.owner {
            OwnerRef::User { id } | OwnerRef::ServiceAccount { id } => id.clone(),
        },
    });
    let state = AppState(Arc::new(Inner {
        protected,
        openapi: std::sync::OnceLock::new(),
        sealer: match &config.db {
            Some(p) => {
                let mut name = p.as_os_str().to_owned();
                name.push(".key");
                secrets::Sealer::from_file(std::path::Path::new(&name))?
            }
            None => secrets::Sealer::ephemeral()?,
        },
        oidc: oidc::Oidc::new()?,
        s3: object_store::Store::open(&conn, config.db.as_deref(), &config.region)?,
        db: Mutex::new(conn),
        clock: config.clock.clone(),
        limiter: rate::RateLimiter::new(config.rate_burst, config.rate_per_second),
        failures: rate::RateLimiter::new(config.failure_burst, config.failure_per_second),
        audit_retention: db::Retention {
            max_age: chrono::Duration::days(i64::from(config.audit_max_age_days)),
            max_events: config.audit_max_events,
        },
        audit_trim: Mutex::new(state::TrimState::default()),
        lineages: service::lineage::LineageCache::default(),
        idempotency: idempotency::IdempotencyStore::default(),
        trust_proxy: config.trust_proxy,
        organization,
        audit_buffer: Mutex::new(state::AuditBuffer::default()),
        audit_pending: Arc::new(tokio::sync::Notify::new()),
        audit_committed: tokio::sync::watch::Sender::new(0),
        faults: Arc::new(faults::Faults::default()),
        streams: streams::Streams::new()?,
    }));
    spawn_audit_flusher(&state);
    delivery::worker::start_all(&state)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    let _ = state.0.oidc.base_url.set(format!("http://{addr}"));
    let app = console::attach(
        routes::router(state.clone()),
        config.console.as_deref(),
        config.token_file.as_deref(),
    )?;
    let (tx, rx) = oneshot::channel::<()>();
    let (s3_stop, s3_stopped) = tokio::sync::watch::channel(false);
    let (s3_addr, s3_task) = match config.s3_port {
        Some(port) => {
            let (a, t) = s3::serve(
                state.clone(),
                SocketAddr::new(config.host, port),
                s3_stopped,
            )
            .await?;
            (Some(a), Some(t))
        }
        None => (None, None),
    };
    let listener = listen::nodelay(listener);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
            let _ = s3_stop.send(true);
        })
        .await
    });
    Ok(RunningServer {
        addr,
        bootstrap_token,
        state,
        s3_addr,
        shutdown: Some(tx),
        task,
        s3_task,
    })
}
