//! `clouddigit-sandbox`: run the local Cloud Digit IAM API.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use clouddigit_sandbox::leak;
use clouddigit_sandbox::{start, Config, Seed};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "A local Cloud Digit IAM API, decided by clouddigit-core"
)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Port of the S3 endpoint (path-style, SigV4 with a service account's access key;
    /// 0 picks a free one). Default: the next port after --port (8788), or a free one
    /// with --port 0.
    #[arg(long)]
    s3_port: Option<u16>,
    /// Serve no S3 endpoint.
    #[arg(long, conflicts_with = "s3_port")]
    no_s3: bool,
    /// The region the S3 endpoint answers for: clients sign with it.
    #[arg(long, default_value = "bd-dha-1")]
    region: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// SQLite file to keep state in (default: in memory, gone at exit).
    #[arg(long)]
    db: Option<PathBuf>,
    /// JSON seed replacing the built-in organization (used only on an empty database).
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Behind N proxies you run (N defaults to 1): take the client address from
    /// X-Forwarded-For, N entries from the right. Never when callers can reach the
    /// sandbox directly: they could write the header themselves.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1", default_value_t = 0)]
    trust_proxy: u8,
    /// Where to write the bootstrap admin token (mode 0600).
    #[arg(long, default_value = "./.clouddigit-sandbox-token")]
    token_file: PathBuf,
    /// Per-token burst (0 turns rate limiting off).
    #[arg(long, default_value_t = 60)]
    rate_burst: u32,
    /// Per-token sustained calls per second.
    #[arg(long, default_value_t = 30.0)]
    rate_per_second: f64,
    /// Failed (401/403) and unauthenticated calls per source address: burst (0 turns it off).
    #[arg(long, default_value_t = 120)]
    failure_burst: u32,
    /// Failed and unauthenticated calls per source address, per second, after the burst.
    #[arg(long, default_value_t = 2.0)]
    failure_per_second: f64,
    /// Days of audit events kept.
    #[arg(long, default_value_t = 90)]
    audit_max_age_days: u32,
    /// Audit events kept at most (the oldest go first).
    #[arg(long, default_value_t = 1_000_000)]
    audit_max_events: u64,
    /// Serve the web console from DIR at / (default: examples/console/dist if it exists).
    #[arg(long, value_name = "DIR")]
    console: Option<PathBuf>,
    /// Do not serve the web console.
    #[arg(long, conflicts_with = "console")]
    no_console: bool,
    /// Refuse (409 protected) any call that would end the bootstrap token or change its
    /// owner: for test tools (schemathesis) that may call anything with that token.
    #[arg(long)]
    protect_bootstrap: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    leak::mirror_panics();
    let args = Args::parse();
    let seed = match &args.seed {
        None => None,
        Some(path) => {
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| serde_json::from_str::<Seed>(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(s) => Some(s),
                Err(e) => {
                    leak::warn(&format!(
                        "clouddigit-sandbox: --seed {}: {e}",
                        path.display()
                    ));
                    return ExitCode::from(2);
                }
            }
        }
    };
    let console = clouddigit_sandbox::console::choose(args.console.clone(), args.no_console);
    let config = Config {
        host: args.host,
        port: args.port,
        db: args.db.clone(),
        seed,
        trust_proxy: args.trust_proxy,
        token_file: Some(args.token_file.clone()),
        rate_burst: args.rate_burst,
        rate_per_second: args.rate_per_second,
        failure_burst: args.failure_burst,
        failure_per_second: args.failure_per_second,
        audit_max_age_days: args.audit_max_age_days,
        audit_max_events: args.audit_max_events,
        console: console.clone(),
        protect_bootstrap: args.protect_bootstrap,
        s3_port: (!args.no_s3).then(|| {
            args.s3_port.unwrap_or(if args.port == 0 {
                0
            } else {
                args.port.wrapping_add(1)
            })
        }),
        region: args.region.clone(),
        ..Config::default()
    };
    let mut server = match start(config).await {
        Ok(s) => s,
        Err(e) => {
            leak::warn(&format!("clouddigit-sandbox: {e}"));
            return ExitCode::FAILURE;
        }
    };
    leak::say(&format!("clouddigit-sandbox listening on {}", server.url()));
    if let Some(url) = server.s3_url() {
        leak::say(&format!(
            "S3 endpoint at {url} (path-style, region {}; sign with a service account's access key)",
            args.region
        ));
    }
    leak::say(&format!(
        "bootstrap token {}… (organization owner) written to {}",
        server.bootstrap_token.prefix(),
        args.token_file.display()
    ));
    if let Some(dir) = &console {
        leak::say(&format!(
            "console at {}/ (files from {})",
            server.url(),
            dir.display()
        ));
    }
    match &args.db {
        Some(p) => leak::say(&format!("state in {}", p.display())),
        None => leak::say("state in memory (use --db FILE to keep it)"),
    }
    let stop = server.stop_signal();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        if let Some(tx) = stop {
            let _ = tx.send(());
        }
    });
    match server.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            leak::warn(&format!("clouddigit-sandbox: {e}"));
            ExitCode::FAILURE
        }
    }
}
