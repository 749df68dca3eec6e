//! The commands that call the API: `configure`, `logout`, `whoami`, `tokens`,
//! `service-accounts`, `audit`, `compute`, `storage`. Each runs its calls through the
//! host's own SDK client ([`Host::run`]: one session command, the same driver a script's
//! `Client()` uses), so the credential chain, retries and local validation are the
//! session's, and the command line only parses, formats and decides exit codes.
//!
//! Secrets: a created or rotated secret goes to standard output once (alone on its line,
//! so `$(…)` captures it) or to `--secret-file` (mode 0600); everything else names a
//! credential by its prefix. Errors never carry a secret.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use clouddigit_core::handle::TokenHandle;
use clouddigit_core::model::{OwnerState, Timestamp};
use clouddigit_core::secret::TokenSecret;
use clouddigit_session::error::{ApiError, ErrorKind};
use clouddigit_session::models::Whoami;
use clouddigit_session::profile::{check_profile, profile_name, ConfigFile, ProfileSettings};

use super::{emit_json, Bad, CliIo};

/// Exit statuses, the same for every command (README's CLI section).
pub mod exit {
    pub const OK: i32 = 0;
    /// Denied (401/403), or a finding.
    pub const DENIED: i32 = 1;
    /// Bad input: a flag, a file, a draft the local validation refuses.
    pub const BAD_INPUT: i32 = 2;
    /// The API or the network failed (5xx, 404, 409, 429, timeouts, no connection).
    pub const API: i32 = 3;
}

/// What a host adds for the online commands. Hosts implement it with their SDK's client
/// (Python's `Client`, npm's `Client`) and their platform's keychain library.
#[allow(async_fn_in_trait)]
pub trait Host: CliIo {
    /// Builds the host's API client from `options` (the session's option names: `token`,
    /// `profile`, `base_url`, `region`, `allow_insecure_http`) and the process
    /// environment, exactly as a script's `Client(...)` would. Answers the session's
    /// `CredentialSource` as JSON, or the `ApiError` as JSON.
    fn connect(&mut self, options: &Value) -> Result<Value, Value>;
    /// Runs one session command (`{"command": "call", "op": {...}}`) on that client:
    /// the `done` effect's JSON (`value`, a page's `next`), or the `ApiError`'s.
    async fn run(&mut self, command: &Value) -> Result<Value, Value>;
    /// The profile's token in the OS keychain.
    fn keychain_get(&mut self, profile: &str) -> Result<Option<String>, KeychainFailure>;
    fn keychain_set(&mut self, profile: &str, secret: &str) -> Result<(), KeychainFailure>;
    /// Whether there was an entry to delete.
    fn keychain_delete(&mut self, profile: &str) -> Result<bool, KeychainFailure>;
    /// Asks on the terminal (echo off when `secret`); `None` at the end of input.
    async fn prompt(&mut self, question: &str, secret: bool) -> Result<Option<String>, String>;
    /// Writes `text` to `path` readable by its owner only (0600), replacing it whole
    /// (a temporary file beside it, renamed over it; removed again on any failure).
    fn write_private(&mut self, path: &str, text: &str) -> Result<(), String>;
    /// Whether [`Host::write_private`] to `path` would work, checked without touching
    /// `path`: not a directory, not a symbolic link, its directory writable. Called
    /// before an API call whose secret would otherwise be lost.
    fn check_private(&mut self, path: &str) -> Result<(), String>;
    /// Removes a file; whether it was there.
    fn remove_file(&mut self, path: &str) -> Result<bool, String>;
    /// The directory `~/.config/cd`, expanded.
    fn config_dir(&self) -> Result<String, String>;
    fn var(&self, name: &str) -> Option<String>;
    fn stdin_is_tty(&self) -> bool;
    async fn sleep(&mut self, ms: u64);
    /// A file that holds a secret: its text and, where the platform has them, its Unix
    /// permission bits; `None` when there is no such file. The command decides what
    /// the bits allow (as the session does for the token file).
    fn read_private(&mut self, path: &str) -> Result<Option<(String, Option<u32>)>, String>;
    /// `n` bytes from the operating system's secure random source (a new scanning key).
    fn random_bytes(&mut self, n: usize) -> Result<Vec<u8>, String>;
    /// This machine's host name, if the host can tell (the scanning key's name).
    fn hostname(&self) -> Option<String>;
    /// One plain POST of `body` (sent as exactly these UTF-8 bytes) with `headers` to
    /// `url`, outside the API client: no credential of the client's, no retry, no
    /// redirect followed (a redirect is an answer like any other). The status and the
    /// body, whatever the status; `Err` only when there is no answer (connection, TLS,
    /// timeout). The command has already checked `url` (https, or http to this machine,
    /// [`crate::report::check_url`]).
    async fn post(
        &mut self,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Result<(u16, String), String>;
}

/// Why the keychain failed: `unavailable` when this machine or session has none (no
/// D-Bus session, no Secret Service, locked), as opposed to a failure of one that is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeychainFailure {
    pub unavailable: bool,
    pub message: String,
}

impl std::fmt::Display for KeychainFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Whether `cmd` is one of these commands.
pub fn is_online(cmd: &str) -> bool {
    matches!(
        cmd,
        "configure"
            | "login"
            | "logout"
            | "whoami"
            | "tokens"
            | "service-accounts"
            | "audit"
            | "compute"
            | "storage"
    )
}

pub const ONLINE_USAGE: &str = "\
online commands (they call the API with the credential a script's Client() would use:
the token option, CD_API_TOKEN, the profile's keychain entry, ~/.config/cd/token):
  configure [--profile P] [--region R] [--base-url URL] [--project P]
            [--token-stdin] [--store keychain|file] [--allow-insecure-http]   (alias: login)
                       check a token offline (format, checksum) and online (whoami), then
                       keep it in the OS keychain under the profile (or, where there is
                       no keychain and you agree, in ~/.config/cd/token, mode 0600);
                       region, base URL and project go to ~/.config/cd/config.json
  configure --scanning-key [--profile P] [--store keychain|file]
                       make a P-256 key pair that signs `scan --report-to` reports: the
                       private key goes to the keychain entry scanning-key:<profile> (or,
                       with --store file where there is no keychain, to
                       ~/.config/cd/scanning-key-<profile>.pem, mode 0600); prints the key
                       id and the public key, and registers it with the API when the
                       profile has a token (else: register the public key yourself)
  logout [--profile P] remove the profile's token and settings
  whoami               the calling token: identity, scope, expiry, where the credential
                       came from, and the permissions it has now
  tokens list | get ID | revoke ID
  tokens create --name N [--project P]... [--all-projects] [--permission X]...
                [--expires 30d|90d|365d|never|DATE] [--allowed-ip CIDR]...
                [--dry-run] [--secret-file PATH]
  tokens rotate (ID | --self) [--secret-file PATH]
                       --self rotates the calling token and stores the new secret where
                       the old one came from (the keychain profile or the token file)
  service-accounts list [--project P | --org] | get ID | disable ID | enable ID | delete ID
  service-accounts create --name N --role R (--project P | --org) [--description D]
                [--tag KEY=VALUE]... [--dry-run] [--secret-file PATH]
  service-accounts tokens list ACCOUNT | create ACCOUNT --name N ... |
                rotate ACCOUNT TOKEN_ID | revoke ACCOUNT TOKEN_ID
  service-accounts access-keys list ACCOUNT | create ACCOUNT [--secret-file PATH] |
                delete ACCOUNT KEY_ID
  audit tail [-n N] [--follow [--interval SECONDS]] [FILTERS]
  audit export [--output FILE] [FILTERS]     (JSON lines)
                       FILTERS: --actor A --token-prefix cd_xxxxxx --status CODE
                       --since 30d|24h|RFC3339 --until RFC3339
  compute servers list [--project P]
  storage buckets list [--project P]
  scan PATH... --verify | --report-to URL [--report-key-file PEM]
                       see scan above: --verify asks the API whether each token found is
                       live; --report-to sends the findings, signed, to a secret-scanning
                       partner endpoint and prints its label and action for each (exit 1
                       when any is a true positive, 3 when the report fails)

  every online command takes --profile P, --base-url URL, --region R, --token-file PATH
  (read the token from PATH, - for standard input) and --json

exit status: 0 ok; 1 denied (or found, for scan); 2 bad input; 3 API or network error
";

type Res<T> = Result<T, Failure>;

/// Why a command stopped: bad input (exit 2) or the API's error (its exit status).
pub(crate) enum Failure {
    Bad(String),
    Api(Box<ApiError>),
}

impl From<Bad> for Failure {
    fn from(b: Bad) -> Failure {
        Failure::Bad(b.0)
    }
}

fn bad(text: impl Into<String>) -> Failure {
    Failure::Bad(text.into())
}

/// The exit status for an API error.
pub fn exit_for(e: &ApiError) -> i32 {
    match e.kind {
        ErrorKind::Authentication | ErrorKind::PermissionDenied => exit::DENIED,
        ErrorKind::Validation | ErrorKind::Config => exit::BAD_INPUT,
        _ => exit::API,
    }
}

fn api_error(v: Value) -> ApiError {
    serde_json::from_value::<ApiError>(v.clone()).unwrap_or_else(|_| {
        let message = v
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("the client failed")
            .to_owned();
        ApiError::config("internal", message)
    })
}

/// Parsed flags: valued ones, switches and positionals.
struct Flags {
    positional: Vec<String>,
    values: Vec<(String, String)>,
    switches: Vec<String>,
    json: bool,
}

const COMMON: [&str; 4] = ["profile", "base-url", "region", "token-file"];

impl Flags {
    fn parse(args: &[String], valued: &[&str], switches: &[&str]) -> Result<Flags, Failure> {
        let mut f = Flags {
            positional: Vec::new(),
            values: Vec::new(),
            switches: Vec::new(),
            json: false,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--json" {
                f.json = true;
                continue;
            }
            let name = match arg.as_str() {
                "-n" => "limit",
                a => match a.strip_prefix("--") {
                    Some(n) => n,
                    None => {
                        f.positional.push(arg.clone());
                        continue;
                    }
                },
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (name, None),
            };
            if switches.contains(&name) {
                if inline.is_some() {
                    return Err(bad(format!("--{name} takes no value")));
                }
                f.switches.push(name.to_owned());
            } else if valued.contains(&name) || COMMON.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| bad(format!("--{name} needs a value")))?,
                };
                f.values.push((name.to_owned(), value));
            } else {
                return Err(bad(format!("unknown option --{name}")));
            }
        }
        Ok(f)
    }

    fn one(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn on(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    fn positional(&self, i: usize, what: &str) -> Result<&str, Failure> {
        self.positional
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| bad(format!("give {what}")))
    }

    fn no_more(&self, n: usize) -> Result<(), Failure> {
        match self.positional.get(n) {
            Some(extra) => Err(bad(format!("unexpected argument {extra:?}"))),
            None => Ok(()),
        }
    }
}

/// Runs one online command; returns the exit status.
pub async fn run<H: Host>(cmd: &str, args: &[String], host: &mut H) -> i32 {
    let result = match cmd {
        "configure" | "login" => configure(args, host).await,
        "logout" => logout(args, host),
        "whoami" => whoami(args, host).await,
        "tokens" => tokens(args, host).await,
        "service-accounts" => service_accounts(args, host).await,
        "audit" => audit(args, host).await,
        "compute" | "storage" => resources(cmd, args, host).await,
        other => Err(bad(format!("unknown command {other:?}"))),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Bad(line)) => {
            host.err(&format!("clouddigit {cmd}: {line}\n"));
            exit::BAD_INPUT
        }
        Err(Failure::Api(e)) => {
            let mut text = format!("clouddigit {cmd}: {}", e.message);
            match e.status {
                Some(status) => {
                    let _ = write!(text, " (HTTP {status})");
                }
                None => {
                    let _ = write!(text, " ({})", e.code);
                }
            }
            for fe in &e.field_errors {
                let _ = write!(text, "\n  {}: {}", fe.field, fe.message);
            }
            if let Some(id) = &e.request_id {
                let _ = write!(text, "\n  request id: {id}");
            }
            text.push('\n');
            host.err(&text);
            exit_for(&e)
        }
    }
}

// ---- profiles and connecting ----

struct Profiles {
    path: String,
    file: ConfigFile,
}

fn load_profiles<H: Host>(host: &mut H) -> Res<Profiles> {
    let dir = host
        .config_dir()
        .map_err(|e| bad(format!("cannot find the configuration directory: {e}")))?;
    let path = format!("{dir}/config.json");
    let file = match host.read(&path) {
        Ok(text) => ConfigFile::parse(&text).map_err(|e| Failure::Api(Box::new(e)))?,
        Err(_) => ConfigFile::default(),
    };
    Ok(Profiles { path, file })
}

fn profile_of<H: Host>(f: &Flags, host: &H) -> Res<String> {
    profile_name(f.one("profile"), host.var("CD_PROFILE").as_deref())
        .map_err(|e| Failure::Api(Box::new(e)))
}

/// The client options for these flags (the session decides what they mean).
fn options<H: Host>(f: &Flags, host: &mut H) -> Res<Value> {
    let mut o = Map::new();
    o.insert("profile".into(), Value::String(profile_of(f, host)?));
    if let Some(u) = f.one("base-url") {
        o.insert("base_url".into(), Value::String(u.to_owned()));
    }
    if let Some(r) = f.one("region") {
        o.insert("region".into(), Value::String(r.to_owned()));
    }
    if let Some(path) = f.one("token-file") {
        let text = host.read(path).map_err(|e| bad(format!("{path}: {e}")))?;
        o.insert("token".into(), Value::String(text.trim().to_owned()));
    }
    Ok(Value::Object(o))
}

/// Connects with the flags' options; answers the credential's source. A
/// `--secret-file` is checked here, before any call can make a secret it would lose.
fn connect<H: Host>(f: &Flags, host: &mut H) -> Res<Value> {
    check_secret_file(host, f)?;
    let o = options(f, host)?;
    host.connect(&o)
        .map_err(|e| Failure::Api(Box::new(api_error(e))))
}

async fn call<H: Host>(host: &mut H, op: Value) -> Res<Value> {
    let done = host
        .run(&json!({"command": "call", "op": op}))
        .await
        .map_err(|e| Failure::Api(Box::new(api_error(e))))?;
    Ok(done.get("value").cloned().unwrap_or(Value::Null))
}

async fn command<H: Host>(host: &mut H, command: Value) -> Res<Value> {
    let done = host
        .run(&command)
        .await
        .map_err(|e| Failure::Api(Box::new(api_error(e))))?;
    Ok(done.get("value").cloned().unwrap_or(Value::Null))
}

/// Every page of a list.
async fn list_all<H: Host>(host: &mut H, mut op: Value) -> Res<Vec<Value>> {
    let mut items = Vec::new();
    loop {
        let done = host
            .run(&json!({"command": "page", "op": op}))
            .await
            .map_err(|e| Failure::Api(Box::new(api_error(e))))?;
        if let Some(Value::Array(page)) = done.get("value") {
            items.extend(page.iter().cloned());
        }
        match done.get("next") {
            Some(next) if !next.is_null() => op = next.clone(),
            _ => return Ok(items),
        }
    }
}

async fn whoami_of<H: Host>(host: &mut H) -> Res<Whoami> {
    let v = command(host, json!({"command": "whoami"})).await?;
    serde_json::from_value(v).map_err(|e| {
        Failure::Api(Box::new(ApiError::config(
            "internal",
            format!("whoami's answer: {e}"),
        )))
    })
}

// ---- formatting ----

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn day(v: &Value, key: &str) -> String {
    match v.get(key).and_then(Value::as_str) {
        Some(t) => t.get(..16).unwrap_or(t).replace('T', " "),
        None => "-".into(),
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |x| x.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == r.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn scope_text(token: &Value) -> String {
    match token.get("projects") {
        Some(Value::Array(p)) => p
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::String(s)) => s.replace('_', " "),
        _ => "-".into(),
    }
}

fn perms_text(token: &Value) -> String {
    match token.get("permissions") {
        Some(Value::Array(p)) => format!("{} downscoped", p.len()),
        Some(Value::String(s)) => s.clone(),
        _ => "-".into(),
    }
}

fn token_rows(items: &[Value]) -> String {
    let mut rows = vec![[
        "PREFIX",
        "ID",
        "NAME",
        "STATUS",
        "PROJECTS",
        "PERMISSIONS",
        "EXPIRES",
        "LAST USED",
    ]
    .map(str::to_owned)
    .to_vec()];
    for t in items {
        rows.push(vec![
            s(t, "prefix").to_owned(),
            s(t, "id").to_owned(),
            s(t, "name").to_owned(),
            s(t, "status").to_owned(),
            scope_text(t),
            perms_text(t),
            if t.get("expires_at").is_some_and(Value::is_null) {
                "never".into()
            } else {
                day(t, "expires_at")
            },
            day(t, "last_used_at"),
        ]);
    }
    table(&rows)
}

fn token_detail(t: &Value) -> String {
    let mut out = String::new();
    let rows = [
        ("id", s(t, "id").to_owned()),
        ("name", s(t, "name").to_owned()),
        ("prefix", s(t, "prefix").to_owned()),
        ("status", s(t, "status").to_owned()),
        ("kind", s(t, "kind").to_owned()),
        ("organization", s(t, "organization").to_owned()),
        ("projects", scope_text(t)),
        ("permissions", perms_text(t)),
        ("created", day(t, "created_at")),
        (
            "expires",
            if t.get("expires_at").is_some_and(Value::is_null) {
                "never".into()
            } else {
                day(t, "expires_at")
            },
        ),
        ("last used", day(t, "last_used_at")),
        (
            "allowed ips",
            match t.get("allowed_ips") {
                Some(Value::Array(a)) if !a.is_empty() => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => "any address".into(),
            },
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "{k:<13}{v}");
    }
    if let Some(Value::Array(p)) = t.get("permissions") {
        for perm in p.iter().filter_map(Value::as_str) {
            let _ = writeln!(out, "  {perm}");
        }
    }
    out
}

fn print<H: Host>(host: &mut H, f: &Flags, json_value: &Value, text: &str) {
    if f.json {
        emit_json(host, json_value);
    } else {
        host.out(text);
    }
}

/// Shows a secret once: to `--secret-file` (0600) or alone on standard output. With
/// `--json` the secret stays in the JSON unless it went to the file.
fn deliver_secret<H: Host>(
    host: &mut H,
    f: &Flags,
    mut value: Value,
    field: &str,
    summary: &str,
) -> Res<i32> {
    let secret = value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("the answer has no {field}")))?;
    if let Some(path) = f.one("secret-file") {
        if let Err(e) = host.write_private(path, &format!("{secret}\n")) {
            let why = format!("--secret-file {path}: {e}");
            return Ok(secret_rescued(host, &secret, summary, &why));
        }
        if let Some(o) = value.as_object_mut() {
            o.remove(field);
            o.insert("secret_file".into(), Value::String(path.to_owned()));
        }
        if f.json {
            emit_json(host, &value);
        } else {
            host.err(&format!("{summary}\nthe secret is in {path} (mode 0600)\n"));
        }
    } else if f.json {
        emit_json(host, &value);
    } else {
        host.err(&format!(
            "{summary}\nthe secret follows, shown this once; store it now:\n"
        ));
        host.out(&format!("{secret}\n"));
    }
    Ok(exit::OK)
}

/// The credential exists but could not be stored where asked: the secret is shown on
/// standard output after all (losing it would leave a live credential no one holds),
/// and the command exits 3.
fn secret_rescued<H: Host>(host: &mut H, secret: &str, summary: &str, why: &str) -> i32 {
    host.err(&format!(
        "{summary}\nclouddigit: the new secret could not be stored ({why}); it follows on standard output, shown this once: store it now, or revoke the credential\n"
    ));
    host.out(&format!("{secret}\n"));
    exit::API
}

/// `--secret-file`, checked before the call that makes the secret.
fn check_secret_file<H: Host>(host: &mut H, f: &Flags) -> Res<()> {
    if let Some(path) = f.one("secret-file") {
        host.check_private(path)
            .map_err(|e| bad(format!("--secret-file {path}: {e}")))?;
    }
    Ok(())
}

// ---- configure, logout, whoami ----

const STORE_KEYCHAIN: &str = "keychain";

fn token_file_path<H: Host>(host: &H) -> Res<String> {
    host.config_dir()
        .map(|d| format!("{d}/token"))
        .map_err(|e| bad(format!("cannot find the configuration directory: {e}")))
}

async fn ask<H: Host>(host: &mut H, question: &str, default: Option<&str>) -> Res<Option<String>> {
    let q = match default {
        Some(d) => format!("{question} [{d}]: "),
        None => format!("{question}: "),
    };
    let answer = host.prompt(&q, false).await.map_err(bad)?;
    Ok(match answer.map(|a| a.trim().to_owned()) {
        Some(a) if !a.is_empty() => Some(a),
        _ => default.map(str::to_owned),
    })
}

async fn configure<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    if args.iter().any(|a| a == "--scanning-key") {
        return configure_scanning_key(args, host).await;
    }
    let f = Flags::parse(
        args,
        &["project", "store"],
        &["token-stdin", "allow-insecure-http"],
    )?;
    f.no_more(0)?;
    let profile = profile_of(&f, host)?;
    let mut profiles = load_profiles(host)?;
    let existing = profiles
        .file
        .profiles
        .get(&profile)
        .cloned()
        .unwrap_or_default();
    let interactive = host.stdin_is_tty() && !f.on("token-stdin");
    let store = f.one("store");
    if let Some(s) = store {
        if s != STORE_KEYCHAIN && s != "file" {
            return Err(bad(format!("--store: {s:?} is not keychain or file")));
        }
    }

    let region = match f.one("region") {
        Some(r) => Some(r.to_owned()),
        None if interactive && f.one("base-url").is_none() => {
            ask(
                host,
                "Region (bd-dha-1, bd-ctg-1, bd-syl-1)",
                Some(existing.region.as_deref().unwrap_or("bd-dha-1")),
            )
            .await?
        }
        None => existing.region.clone(),
    };
    let token = match f.one("token-file") {
        Some(path) => Some(host.read(path).map_err(|e| bad(format!("{path}: {e}")))?),
        None if interactive => host
            .prompt("API token (input hidden): ", true)
            .await
            .map_err(bad)?,
        None => Some(
            host.read("-")
                .map_err(|e| bad(format!("standard input: {e}")))?,
        ),
    };
    let token = token
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            bad("no token given (type it at the prompt, or pipe it with --token-stdin)")
        })?;
    // Offline first: a typo is caught before anything crosses the network.
    let secret = TokenSecret::parse(&token).map_err(|e| bad(format!("token: {e}")))?;
    let project = match f.one("project") {
        Some(p) => Some(p.to_owned()),
        None if interactive => {
            ask(
                host,
                "Default project (empty for none)",
                existing.project.as_deref(),
            )
            .await?
        }
        None => existing.project.clone(),
    };
    let base_url = f
        .one("base-url")
        .map(str::to_owned)
        .or(existing.base_url.clone());
    let insecure = f.on("allow-insecure-http") || existing.allow_insecure_http == Some(true);
    // The check must reach the server the profile will: a variable that would steer it
    // elsewhere, unsaved, is refused rather than silently followed.
    for (var, saved, flag) in [
        ("CD_BASE_URL", &base_url, "--base-url"),
        ("CD_REGION", &region, "--region"),
    ] {
        if let Some(v) = host.var(var).filter(|v| !v.trim().is_empty()) {
            if saved.as_deref() != Some(v.trim()) {
                return Err(bad(format!(
                    "{var} is set and would decide where the token is checked, but the profile would not keep it: pass {flag} {v:?} to save it, or unset {var}"
                )));
            }
        }
    }

    // Online: whoami with exactly this token and these settings.
    let mut o = Map::new();
    o.insert("token".into(), Value::String(token.clone()));
    o.insert("profile".into(), Value::String(profile.clone()));
    if let Some(u) = &base_url {
        o.insert("base_url".into(), Value::String(u.clone()));
    }
    if let Some(r) = &region {
        o.insert("region".into(), Value::String(r.clone()));
    }
    if insecure {
        o.insert("allow_insecure_http".into(), Value::Bool(true));
    }
    host.connect(&Value::Object(o))
        .map_err(|e| Failure::Api(Box::new(api_error(e))))?;
    let who = whoami_of(host).await?;

    // Keep it: the keychain, or the file where there is none and the user agrees.
    let where_kept;
    let mut token_store = STORE_KEYCHAIN.to_owned();
    let mut notes = Vec::new();
    let path = token_file_path(host)?;
    let named = profile != clouddigit_session::profile::DEFAULT_PROFILE;
    let kept = keep_secret(
        host,
        &Keep {
            what: "token",
            account: &profile,
            profile: &profile,
            path: &path,
            store,
            interactive,
            file_refused: named.then_some("a named profile keeps its token only in the keychain: use the default profile (~/.config/cd/token) or CD_API_TOKEN"),
            otherwise: ", or set CD_API_TOKEN",
        },
        &format!("{token}\n"),
        &mut notes,
    )
    .await?;
    if kept == Kept::File {
        where_kept = format!("{path} (mode 0600)");
        token_store = "file".to_owned();
    } else {
        where_kept = format!("the OS keychain (service \"clouddigit\", account \"{profile}\")");
        // The default profile's old token file would outlive the keychain entry unseen.
        if !named
            && host
                .remove_file(&path)
                .map_err(|e| bad(format!("{path}: {e}")))?
        {
            notes.push(format!("removed the older token file {path}"));
        }
    }
    profiles.file.profiles.insert(
        profile.clone(),
        ProfileSettings {
            region,
            base_url,
            project,
            allow_insecure_http: insecure.then_some(true),
            token_store: Some(token_store),
        },
    );
    host.write_private(&profiles.path, &profiles.file.to_text())
        .map_err(|e| bad(format!("{}: {e}", profiles.path)))?;

    let mut summary = identity_text(&who, None);
    if let Ok(handle) = TokenHandle::new(who.token.token.clone()) {
        for project in projects_in_scope(&who, None) {
            let n = handle
                .effective_permissions(&who.owner, project.as_deref())
                .len();
            let label = project.unwrap_or_else(|| "(organization)".into());
            let _ = writeln!(summary, "may do in {label}: {n} permissions");
        }
    }
    if f.json {
        emit_json(
            host,
            &json!({"profile": profile, "stored_in": where_kept, "token_prefix": secret.prefix(), "notes": notes, "whoami": who}),
        );
    } else {
        let mut text = format!(
            "{summary}\nprofile \"{profile}\" saved: token {} in {where_kept}, settings in {}\n",
            secret.prefix(),
            profiles.path
        );
        for n in &notes {
            let _ = writeln!(text, "({n})");
        }
        host.out(&text);
    }
    Ok(exit::OK)
}

/// Where `configure` keeps a secret it was given or made (a token, a scanning key).
struct Keep<'a> {
    /// The secret's name in messages.
    what: &'a str,
    /// Its keychain entry's account.
    account: &'a str,
    /// The profile it belongs to (for messages).
    profile: &'a str,
    /// The 0600 file where there is no keychain.
    path: &'a str,
    /// `--store`.
    store: Option<&'a str>,
    interactive: bool,
    /// Why the file is not an option, when it is not.
    file_refused: Option<&'a str>,
    /// What else the user can do, after "run again with --store file".
    otherwise: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    Keychain,
    File,
}

/// The keychain; where there is none, the file, when `--store file` says so or the user
/// agrees at a terminal, and then any older entry in the keychain goes (it would be read
/// first). One rule for every secret `configure` keeps.
async fn keep_secret<H: Host>(
    host: &mut H,
    k: &Keep<'_>,
    secret: &str,
    notes: &mut Vec<String>,
) -> Res<Kept> {
    let (what, path) = (k.what, k.path);
    let keychain = if k.store == Some("file") {
        Err(KeychainFailure {
            unavailable: true,
            message: "--store file".to_owned(),
        })
    } else {
        host.keychain_set(k.account, secret)
    };
    let Err(why) = keychain else {
        return Ok(Kept::Keychain);
    };
    if !why.unavailable {
        return Err(Failure::Api(Box::new(ApiError::config(
            "keychain_failed",
            format!("the keychain refused the {what} ({why}); nothing was stored"),
        ))));
    }
    if k.store == Some(STORE_KEYCHAIN) {
        return Err(Failure::Api(Box::new(ApiError::config(
            "no_keychain",
            format!("no keychain available ({why})"),
        ))));
    }
    if let Some(refused) = k.file_refused {
        return Err(bad(format!("no keychain available ({why}); {refused}")));
    }
    let agreed = k.store == Some("file")
        || (k.interactive
            && ask(
                host,
                &format!(
                    "No keychain available ({why}). Store the {what} in {path} (mode 0600)? [y/N]"
                ),
                Some("n"),
            )
            .await?
            .is_some_and(|a| a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes")));
    if !agreed {
        return Err(bad(format!(
            "no keychain available ({why}); run again with --store file to keep the {what} in {path} (mode 0600){}",
            k.otherwise
        )));
    }
    host.write_private(path, secret)
        .map_err(|e| bad(format!("{path}: {e}")))?;
    // An older entry in the keychain would come before the file: it goes.
    match host.keychain_delete(k.account) {
        Ok(true) => notes.push(format!("removed the older {what} from the keychain")),
        Ok(false) | Err(KeychainFailure { unavailable: true, .. }) => {}
        Err(e) => {
            return Err(Failure::Api(Box::new(ApiError::config(
                "keychain_failed",
                format!("the {what} is in {path}, but the keychain still holds an older {what} for profile {:?}, which comes first, and it could not be removed ({e})", k.profile),
            ))))
        }
    }
    Ok(Kept::File)
}

/// `configure --scanning-key [--profile P] [--store keychain|file]`: a new P-256 key
/// pair for signing `scan --report-to` reports. The private key goes where the profile's
/// token would (the keychain entry `scanning-key:<profile>`, or where there is none and
/// the user agrees, `~/.config/cd/scanning-key-<profile>.pem`, mode 0600); the key id
/// and the public key are printed; and when the profile has a credential, the public
/// key is registered with the API (`POST /v1/secret-scanning/keys`). An API without
/// that endpoint (404) only means the user registers the key with the endpoint.
async fn configure_scanning_key<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    use crate::report::{key_file_path, keychain_account, ScanningKey, MAX_KEYCHAIN_ACCOUNT};
    let f = Flags::parse(args, &["store"], &["scanning-key"])?;
    f.no_more(0)?;
    let profile = profile_of(&f, host)?;
    let account = keychain_account(&profile);
    if account.chars().count() > MAX_KEYCHAIN_ACCOUNT {
        return Err(bad(format!(
            "--profile: {profile:?} is too long for a scanning key's keychain entry ({account:?} is over {MAX_KEYCHAIN_ACCOUNT} characters)"
        )));
    }
    let store = f.one("store");
    if let Some(s) = store {
        if s != STORE_KEYCHAIN && s != "file" {
            return Err(bad(format!("--store: {s:?} is not keychain or file")));
        }
    }
    let dir = host
        .config_dir()
        .map_err(|e| bad(format!("cannot find the configuration directory: {e}")))?;
    let path = key_file_path(&dir, &profile);
    let interactive = host.stdin_is_tty();
    // The key this replaces, if any: no longer trusted once the new one is registered.
    let previous = load_scanning_key(host, &f).ok().map(|k| k.key_id());

    let key = ScanningKey::generate(|buf| {
        let bytes = zeroize::Zeroizing::new(host.random_bytes(buf.len())?);
        if bytes.len() != buf.len() {
            return Err(format!(
                "the host gave {} random bytes, not {}",
                bytes.len(),
                buf.len()
            ));
        }
        buf.copy_from_slice(&bytes);
        Ok(())
    })
    .map_err(|e| {
        Failure::Api(Box::new(ApiError::config(
            "no_randomness",
            format!("cannot make a key: {e}"),
        )))
    })?;
    let pem = key
        .private_pem()
        .map_err(|e| Failure::Api(Box::new(ApiError::config("internal", e))))?;

    // Keep it: the keychain, or the file where there is none and the user agrees.
    let mut notes = Vec::new();
    let kept = keep_secret(
        host,
        &Keep {
            what: "scanning key",
            account: &account,
            profile: &profile,
            path: &path,
            store,
            interactive,
            file_refused: None,
            otherwise: "",
        },
        &pem,
        &mut notes,
    )
    .await?;
    let stored_in = match kept {
        Kept::Keychain => {
            // An older key file would be read if the keychain were ever unreachable.
            if host
                .remove_file(&path)
                .map_err(|e| bad(format!("{path}: {e}")))?
            {
                notes.push(format!("removed the older key file {path}"));
            }
            format!("the OS keychain (service \"clouddigit\", account \"{account}\")")
        }
        Kept::File => format!("{path} (mode 0600)"),
    };
    drop(pem);
    let key_id = key.key_id();
    let public = key.public_pem();

    // Registered with the API when the profile has a credential.
    let name = clouddigit_core::secret_scanning::key_name_for(
        &profile,
        &host
            .hostname()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| "unknown-host".to_owned()),
        &key_id,
    );
    let o = options(&f, host)?;
    let (registration, registered, failure) = match host.connect(&o) {
        Err(e) => {
            let e = api_error(e);
            if e.code == "no_credentials" {
                ("no_credential", Value::Null, None)
            } else {
                ("failed", Value::Null, Some(e))
            }
        }
        Ok(_) => {
            match call(
                host,
                json!({"op": "register_scanning_key", "body": {"name": name, "key": public}}),
            )
            .await
            {
                Ok(v) => ("registered", v, None),
                Err(Failure::Api(e)) if e.status == Some(404) => ("not_found", Value::Null, None),
                Err(Failure::Api(e)) => ("failed", Value::Null, Some(*e)),
                Err(Failure::Bad(line)) => (
                    "failed",
                    Value::Null,
                    Some(ApiError::config("internal", line)),
                ),
            }
        }
    };
    // A key made again replaces the one before it, at the API too: the old private key is
    // gone from this machine, so nothing should still trust what it signed.
    if let (Some(old), "registered") = (&previous, registration) {
        if *old != key_id {
            match call(host, json!({"op": "delete_scanning_key", "key_identifier": old})).await {
                Ok(_) => notes.push(format!("the previous key {old} is no longer trusted")),
                Err(Failure::Api(e)) if e.status == Some(404) => {}
                Err(Failure::Api(e)) => notes.push(format!(
                    "the previous key {old} could not be removed from the API ({}): remove it with DELETE /v1/secret-scanning/keys/{old}",
                    e.message
                )),
                Err(Failure::Bad(line)) => notes.push(line),
            }
        }
    }
    let server_id = s(&registered, "key_identifier").to_owned();
    if registration == "registered" && !server_id.is_empty() && server_id != key_id {
        notes.push(format!(
            "the API names the key {server_id}, not {key_id}: reports are signed with {key_id}"
        ));
    }
    let register_text = match registration {
        "registered" => format!("registered with the API as \"{name}\""),
        "not_found" => "this API has no scanning-key registry (HTTP 404): register the public key above with the endpoint that will receive your reports".to_owned(),
        "no_credential" => format!(
            "not registered: profile \"{profile}\" has no token (`clouddigit configure{}` first, then run this again), or register the public key above with the endpoint yourself",
            profile_flag(&profile)
        ),
        _ => "not registered: the API refused (below); the key is stored, and the public key above can be registered with the endpoint yourself".to_owned(),
    };
    if f.json {
        emit_json(
            host,
            &json!({
                "profile": profile, "key_id": key_id, "public_key": public,
                "stored_in": stored_in, "registration": registration,
                "registered": registered, "name": name, "notes": notes,
            }),
        );
    } else {
        let mut text = format!(
            "scanning key for profile \"{profile}\": key id {key_id}\nthe private key is in {stored_in}; the public key follows:\n{public}{register_text}\n"
        );
        for n in &notes {
            let _ = writeln!(text, "({n})");
        }
        host.out(&text);
    }
    match failure {
        Some(e) => Err(Failure::Api(Box::new(e))),
        None => Ok(exit::OK),
    }
}

fn logout<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let f = Flags::parse(args, &[], &[])?;
    f.no_more(0)?;
    let profile = profile_of(&f, host)?;
    check_profile(&profile).map_err(|e| Failure::Api(Box::new(e)))?;
    let mut profiles = load_profiles(host)?;
    let settings = profiles.file.profiles.remove(&profile);
    let mut removed = Vec::new();
    let mut failed = None;
    match host.keychain_delete(&profile) {
        Ok(true) => removed.push("its keychain entry".to_owned()),
        Ok(false) => {}
        Err(e) if e.unavailable => {}
        Err(e) => failed = Some(e),
    }
    // The default profile's token file, and only that path: never one the config file
    // names (anyone who could edit it could have us delete any file).
    if profile == clouddigit_session::profile::DEFAULT_PROFILE {
        let path = token_file_path(host)?;
        if host
            .remove_file(&path)
            .map_err(|e| bad(format!("{path}: {e}")))?
        {
            removed.push(path);
        }
    }
    if settings.is_some() {
        host.write_private(&profiles.path, &profiles.file.to_text())
            .map_err(|e| bad(format!("{}: {e}", profiles.path)))?;
        removed.push(format!("its settings in {}", profiles.path));
    }
    let text = if removed.is_empty() {
        format!("profile \"{profile}\": nothing was stored\n")
    } else {
        format!(
            "profile \"{profile}\" signed out: removed {}\n",
            removed.join(", ")
        )
    };
    print(
        host,
        &f,
        &json!({"profile": profile, "removed": removed}),
        &text,
    );
    if let Some(e) = failed {
        return Err(Failure::Api(Box::new(ApiError::config(
            "keychain_failed",
            format!("the profile's keychain entry could not be removed ({e}): the token there still works until you remove it or revoke it"),
        ))));
    }
    Ok(exit::OK)
}

fn source_text(source: &Value) -> String {
    match s(source, "kind") {
        "keychain" => format!("the OS keychain, profile \"{}\"", s(source, "profile")),
        "file" => format!("the token file {}", s(source, "path")),
        "env_var" => "CD_API_TOKEN".into(),
        "explicit" => "--token-file / the token option".into(),
        "client_credentials" => "client credentials".into(),
        "oidc" => "an OIDC token exchange".into(),
        "provider" => "a token provider".into(),
        other => other.to_owned(),
    }
}

fn identity_text(who: &Whoami, source: Option<&Value>) -> String {
    let t = &who.token;
    let owner = match &who.owner {
        OwnerState::User(u) => format!("user {} ({})", u.id, u.email),
        OwnerState::ServiceAccount(sa) => format!("service account {} ({})", sa.id, sa.name),
    };
    let tv = serde_json::to_value(t).unwrap_or(Value::Null);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "token        {} \"{}\" ({})",
        t.token.prefix, t.token.name, t.token.id
    );
    let _ = writeln!(out, "owner        {owner}");
    let _ = writeln!(out, "organization {}", t.token.organization);
    let _ = writeln!(out, "projects     {}", scope_text(&tv));
    let _ = writeln!(
        out,
        "expires      {}",
        t.token.expires_at.map_or("never".to_owned(), |e| e
            .format("%Y-%m-%d %H:%M UTC")
            .to_string())
    );
    let _ = writeln!(
        out,
        "allowed ips  {}",
        if t.token.allowed_ips.is_empty() {
            "any address".to_owned()
        } else {
            t.token.allowed_ips.join(", ")
        }
    );
    if let Some(src) = source {
        let _ = writeln!(out, "credential   from {}", source_text(src));
    }
    out
}

/// The projects whose permissions `whoami` lists: the flag's, or every one in scope.
fn projects_in_scope(who: &Whoami, only: Option<&str>) -> Vec<Option<String>> {
    if let Some(p) = only {
        return vec![Some(p.to_owned())];
    }
    match &who.token.token.projects {
        clouddigit_core::model::ProjectScope::Projects(p) => p.iter().cloned().map(Some).collect(),
        clouddigit_core::model::ProjectScope::All(_) => {
            let mut v: Vec<Option<String>> = vec![None];
            v.extend(who.organization_projects.iter().cloned().map(Some));
            v
        }
    }
}

async fn whoami<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let f = Flags::parse(args, &["project"], &[])?;
    f.no_more(0)?;
    let source = connect(&f, host)?;
    let who = whoami_of(host).await?;
    let handle = TokenHandle::new(who.token.token.clone())
        .map_err(|e| bad(format!("the token's permissions: {e}")))?;
    let mut per_project = Vec::new();
    let mut text = identity_text(&who, Some(&source));
    let scopes = projects_in_scope(&who, f.one("project"));
    // One scope lists its permissions; several show counts (--project P lists one).
    let list = scopes.len() == 1;
    for project in scopes {
        let perms = handle.effective_permissions(&who.owner, project.as_deref());
        let label = project.clone().unwrap_or_else(|| "(organization)".into());
        let _ = writeln!(text, "may do in {label}: {} permissions", perms.len());
        if list {
            for p in &perms {
                let _ = writeln!(text, "  {p}");
            }
        }
        per_project.push(json!({"project": project, "permissions": perms}));
    }
    if !list {
        text.push_str("(--project P lists one project's permissions)\n");
    }
    print(
        host,
        &f,
        &json!({"whoami": who, "credential_source": source, "effective_permissions": per_project}),
        &text,
    );
    Ok(exit::OK)
}

// ---- tokens ----

const DRAFT_FLAGS: [&str; 7] = [
    "name",
    "project",
    "permission",
    "expires",
    "allowed-ip",
    "secret-file",
    "description",
];

/// A token draft from the flags (the session validates it, with the console's rules).
fn draft(f: &Flags, default_project: Option<&str>) -> Res<Value> {
    let name = f
        .one("name")
        .ok_or_else(|| bad("--name is required"))?
        .to_owned();
    let mut d = Map::new();
    d.insert("name".into(), Value::String(name));
    let projects = f.all("project");
    if f.on("all-projects") {
        if !projects.is_empty() {
            return Err(bad("--all-projects and --project exclude each other"));
        }
        d.insert("projects".into(), json!("all"));
    } else if !projects.is_empty() {
        d.insert("projects".into(), json!(projects));
    } else if let Some(p) = default_project {
        d.insert("projects".into(), json!([p]));
    }
    let perms = f.all("permission");
    d.insert(
        "permissions".into(),
        if perms.is_empty() {
            json!("inherit")
        } else {
            json!(perms)
        },
    );
    if let Some(e) = f.one("expires") {
        let expiry = match e {
            "30d" | "90d" | "365d" | "never" => json!(e),
            custom => json!({"custom": custom}),
        };
        d.insert("expiry".into(), expiry);
    }
    let ips = f.all("allowed-ip");
    if !ips.is_empty() {
        d.insert("allowed_ips".into(), json!(ips));
    }
    Ok(Value::Object(d))
}

fn default_project<H: Host>(f: &Flags, host: &mut H) -> Res<Option<String>> {
    let profile = profile_of(f, host)?;
    let profiles = load_profiles(host)?;
    Ok(profiles
        .file
        .profiles
        .get(&profile)
        .and_then(|p| p.project.clone()))
}

fn validation_text(v: &Value) -> String {
    let mut t = String::new();
    for (kind, key) in [("error  ", "errors"), ("warning", "warnings")] {
        if let Some(Value::Array(issues)) = v.get(key) {
            for i in issues {
                let _ = writeln!(t, "{kind} {}: {}", s(i, "field"), s(i, "message"));
            }
        }
    }
    let valid = v.get("valid").and_then(Value::as_bool).unwrap_or(false);
    let summary = v
        .get("preview")
        .map(|p| s(p, "summary").to_owned())
        .unwrap_or_default();
    let _ = writeln!(
        t,
        "{}: {summary}",
        if valid { "valid" } else { "not valid" }
    );
    t
}

/// `--dry-run`: the session's validation and preview, nothing sent but whoami.
async fn dry_run<H: Host>(
    host: &mut H,
    f: &Flags,
    draft: Value,
    account: Option<&str>,
) -> Res<i32> {
    let v = match account {
        None => command(host, json!({"command": "validate_token", "draft": draft})).await?,
        Some(id) => {
            // An account's token is checked against the account as it is now.
            let sa = call(host, json!({"op": "get_service_account", "id": id})).await?;
            let owner = OwnerState::ServiceAccount(
                serde_json::from_value(json!({
                    "id": s(&sa, "id"), "name": s(&sa, "name"), "organization": s(&sa, "organization"),
                    "project": sa.get("project"), "role": sa.get("role"), "status": sa.get("status"),
                    "tag_selector": sa.get("tag_selector"),
                }))
                .map_err(|e| bad(format!("the account: {e}")))?,
            );
            let who = whoami_of(host).await?;
            let req = json!({"draft": draft, "owner": owner, "organization_projects": who.organization_projects, "policy": who.policy});
            let req: clouddigit_core::validate::TokenRequest =
                serde_json::from_value(req).map_err(|e| bad(format!("the draft: {e}")))?;
            serde_json::to_value(clouddigit_core::validate::validate_token(
                &req,
                clouddigit_core::catalog::Catalog::builtin(),
            ))
            .unwrap_or(Value::Null)
        }
    };
    let valid = v.get("valid").and_then(Value::as_bool).unwrap_or(false);
    print(host, f, &v, &validation_text(&v));
    Ok(if valid { exit::OK } else { exit::BAD_INPUT })
}

async fn tokens<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let Some((sub, rest)) = args.split_first() else {
        return Err(bad("give list, get, create, rotate or revoke"));
    };
    match sub.as_str() {
        "list" => {
            let f = Flags::parse(rest, &["limit"], &[])?;
            f.no_more(0)?;
            connect(&f, host)?;
            let items = list_all(host, json!({"op": "list_tokens", "limit": limit(&f)?})).await?;
            print(host, &f, &Value::Array(items.clone()), &token_rows(&items));
            Ok(exit::OK)
        }
        "get" | "revoke" => {
            let f = Flags::parse(rest, &[], &[])?;
            let id = f.positional(0, "a token id")?.to_owned();
            f.no_more(1)?;
            connect(&f, host)?;
            let op = if sub == "get" {
                "get_token"
            } else {
                "revoke_token"
            };
            let t = call(host, json!({"op": op, "id": id})).await?;
            let text = if sub == "get" {
                token_detail(&t)
            } else {
                format!("revoked {} ({})\n", s(&t, "prefix"), s(&t, "id"))
            };
            print(host, &f, &t, &text);
            Ok(exit::OK)
        }
        "create" => {
            let f = Flags::parse(rest, &DRAFT_FLAGS, &["dry-run", "all-projects"])?;
            f.no_more(0)?;
            connect(&f, host)?;
            let project = default_project(&f, host)?;
            let d = draft(&f, project.as_deref())?;
            if f.on("dry-run") {
                return dry_run(host, &f, d, None).await;
            }
            let created = command(host, json!({"command": "create_token", "draft": d})).await?;
            let t = created.get("token").cloned().unwrap_or(Value::Null);
            let summary = format!(
                "created {} \"{}\" ({})",
                s(&t, "prefix"),
                s(&t, "name"),
                s(&t, "id")
            );
            deliver_secret(host, &f, created, "secret", &summary)
        }
        "rotate" => rotate(rest, host).await,
        other => Err(bad(format!(
            "tokens {other:?}: give list, get, create, rotate or revoke"
        ))),
    }
}

fn limit(f: &Flags) -> Res<Value> {
    match f.one("limit") {
        None => Ok(Value::Null),
        Some(n) => n
            .parse::<u32>()
            .map(Value::from)
            .map_err(|_| bad(format!("--limit: {n:?} is not a number"))),
    }
}

/// Where `rotate --self` writes the new secret back: decided, and checked, before the
/// rotation, so a destination that cannot take it fails while the old token still rules.
enum WriteBack {
    Keychain(String),
    File(String),
    /// Shown once (`--secret-file`, `--token-file -`, or a source nothing here can update).
    Show(Option<&'static str>),
}

fn write_back<H: Host>(host: &mut H, f: &Flags, source: &Value) -> Res<WriteBack> {
    if f.one("secret-file").is_some() {
        check_secret_file(host, f)?;
        return Ok(WriteBack::Show(None));
    }
    let file = |host: &mut H, path: &str| -> Res<WriteBack> {
        host.check_private(path)
            .map_err(|e| bad(format!("the new secret could not go back to {path}: {e}")))?;
        Ok(WriteBack::File(path.to_owned()))
    };
    match s(source, "kind") {
        "keychain" => {
            let profile = s(source, "profile").to_owned();
            host.keychain_get(&profile).map_err(|e| {
                bad(format!(
                    "the keychain cannot be reached to store the new secret ({e}); nothing was rotated"
                ))
            })?;
            Ok(WriteBack::Keychain(profile))
        }
        "file" => file(host, s(source, "path")),
        "explicit" => match f.one("token-file") {
            Some("-") | None => Ok(WriteBack::Show(Some(
                "the token came from standard input or the token option, which this command cannot update",
            ))),
            Some(path) => {
                let path = path.to_owned();
                file(host, &path)
            }
        },
        "env_var" => Ok(WriteBack::Show(Some(
            "the token came from CD_API_TOKEN, which this command cannot update: store the new secret where the variable is set",
        ))),
        _ => Err(bad(
            "--self rotates a stored API token; this client authenticates another way (client credentials, OIDC or a provider), which has no token of its own to rotate",
        )),
    }
}

async fn rotate<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let f = Flags::parse(args, &["secret-file"], &["self"])?;
    let me = f.on("self");
    if me {
        f.no_more(0)?;
    } else {
        f.no_more(1)?;
    }
    let source = connect(&f, host)?;
    let back = if me {
        write_back(host, &f, &source)?
    } else {
        check_secret_file(host, &f)?;
        WriteBack::Show(None)
    };
    let (op, id) = if me {
        let who = whoami_of(host).await?;
        let id = who.token.token.id.clone();
        match &who.owner {
            OwnerState::ServiceAccount(sa) => (
                json!({"op": "rotate_service_account_token", "id": sa.id, "token_id": id}),
                id,
            ),
            OwnerState::User(_) => (json!({"op": "rotate_token", "id": id}), id),
        }
    } else {
        let id = f.positional(0, "a token id (or --self)")?.to_owned();
        (json!({"op": "rotate_token", "id": id}), id)
    };
    let rotation = call(host, op).await?;
    let t = rotation.get("token").cloned().unwrap_or(Value::Null);
    let old = rotation.get("replaces").cloned().unwrap_or(Value::Null);
    let summary = format!(
        "rotated {id}: the new token is {} ({}); {} keeps working until {}",
        s(&t, "prefix"),
        s(&t, "id"),
        s(&old, "prefix"),
        day(&old, "grace_ends_at")
    );
    let secret = rotation
        .get("secret")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad("the answer has no secret"))?;
    let stored = match back {
        WriteBack::Show(note) => {
            if let Some(note) = note {
                host.err(&format!("{note}\n"));
            }
            return deliver_secret(host, &f, rotation, "secret", &summary);
        }
        WriteBack::Keychain(profile) => match host.keychain_set(&profile, &secret) {
            Ok(()) => format!("the OS keychain, profile \"{profile}\""),
            Err(e) => {
                let why = format!("the keychain: {e}");
                return Ok(secret_rescued(host, &secret, &summary, &why));
            }
        },
        WriteBack::File(path) => match host.write_private(&path, &format!("{secret}\n")) {
            Ok(()) => path,
            Err(e) => {
                let why = format!("{path}: {e}");
                return Ok(secret_rescued(host, &secret, &summary, &why));
            }
        },
    };
    let mut v = rotation;
    if let Some(o) = v.as_object_mut() {
        o.remove("secret");
        o.insert("stored_in".into(), Value::String(stored.clone()));
    }
    print(
        host,
        &f,
        &v,
        &format!("{summary}\nthe new secret is in {stored}\n"),
    );
    Ok(exit::OK)
}

// ---- service accounts ----

fn account_rows(items: &[Value]) -> String {
    let mut rows = vec![[
        "ID",
        "NAME",
        "PROJECT",
        "ROLE",
        "STATUS",
        "CLIENT ID",
        "CREATED",
    ]
    .map(str::to_owned)
    .to_vec()];
    for a in items {
        rows.push(vec![
            s(a, "id").to_owned(),
            s(a, "name").to_owned(),
            a.get("project")
                .and_then(Value::as_str)
                .unwrap_or("(organization)")
                .to_owned(),
            s(a, "role").to_owned(),
            s(a, "status").to_owned(),
            s(a, "client_id").to_owned(),
            day(a, "created_at"),
        ]);
    }
    table(&rows)
}

async fn service_accounts<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let Some((sub, rest)) = args.split_first() else {
        return Err(bad(
            "give list, create, get, disable, enable, delete, tokens or access-keys",
        ));
    };
    match sub.as_str() {
        "list" => {
            let f = Flags::parse(rest, &["project", "limit"], &["org"])?;
            f.no_more(0)?;
            connect(&f, host)?;
            let op = if f.on("org") {
                json!({"op": "list_org_service_accounts", "limit": limit(&f)?})
            } else {
                let project = match f.one("project") {
                    Some(p) => Some(p.to_owned()),
                    None => default_project(&f, host)?,
                };
                let project = project.ok_or_else(|| bad("give --project P (or --org), or configure a default project"))?;
                json!({"op": "list_service_accounts", "project": project, "limit": limit(&f)?})
            };
            let items = list_all(host, op).await?;
            print(host, &f, &Value::Array(items.clone()), &account_rows(&items));
            Ok(exit::OK)
        }
        "get" | "disable" | "enable" | "delete" => {
            let f = Flags::parse(rest, &[], &[])?;
            let id = f.positional(0, "a service account id")?.to_owned();
            f.no_more(1)?;
            connect(&f, host)?;
            let op = format!("{sub}_service_account");
            let a = call(host, json!({"op": op, "id": id})).await?;
            let text = match sub.as_str() {
                "get" => account_rows(std::slice::from_ref(&a)),
                "delete" => format!("deleted {id}: its tokens and keys no longer work\n"),
                _ => format!("{} is now {}\n", id, s(&a, "status")),
            };
            let json_value = if a.is_null() { json!({"deleted": id}) } else { a };
            print(host, &f, &json_value, &text);
            Ok(exit::OK)
        }
        "create" => {
            let f = Flags::parse(
                rest,
                &["name", "role", "project", "description", "tag", "secret-file"],
                &["org", "dry-run"],
            )?;
            f.no_more(0)?;
            connect(&f, host)?;
            let name = f.one("name").ok_or_else(|| bad("--name is required"))?;
            let role = f.one("role").ok_or_else(|| bad("--role is required"))?;
            let project = if f.on("org") {
                None
            } else {
                Some(match f.one("project") {
                    Some(p) => p.to_owned(),
                    None => default_project(&f, host)?
                        .ok_or_else(|| bad("give --project P or --org"))?,
                })
            };
            let mut tags = Map::new();
            for t in f.all("tag") {
                let (k, v) = t
                    .split_once('=')
                    .ok_or_else(|| bad(format!("--tag: {t:?} is not KEY=VALUE")))?;
                tags.insert(k.to_owned(), Value::String(v.to_owned()));
            }
            let body = json!({
                "name": name, "role": role, "project": project,
                "description": f.one("description").unwrap_or(""), "tag_selector": tags,
            });
            // The console's rules, on the creator as they are now, before anything is sent.
            let who = whoami_of(host).await?;
            let req = json!({"draft": body, "creator": who.owner, "organization_projects": who.organization_projects});
            let req: clouddigit_core::validate::ServiceAccountRequest =
                serde_json::from_value(req).map_err(|e| bad(format!("the account: {e}")))?;
            let v = clouddigit_core::validate::validate_service_account(
                &req,
                clouddigit_core::catalog::Catalog::builtin(),
            );
            let vj = serde_json::to_value(&v).unwrap_or(Value::Null);
            if f.on("dry-run") || !v.valid {
                print(host, &f, &vj, &validation_text(&vj));
                return Ok(if v.valid { exit::OK } else { exit::BAD_INPUT });
            }
            let created = call(host, json!({"op": "create_service_account", "body": body})).await?;
            let a = created.get("service_account").cloned().unwrap_or(Value::Null);
            let summary = format!(
                "created service account {} \"{}\"; client id {}",
                s(&a, "id"),
                s(&a, "name"),
                s(&created, "client_id")
            );
            deliver_secret(host, &f, created, "client_secret", &summary)
        }
        "tokens" => account_tokens(rest, host).await,
        "access-keys" => access_keys(rest, host).await,
        other => Err(bad(format!("service-accounts {other:?}: give list, create, get, disable, enable, delete, tokens or access-keys"))),
    }
}

async fn account_tokens<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let Some((sub, rest)) = args.split_first() else {
        return Err(bad("give list, create, rotate or revoke"));
    };
    match sub.as_str() {
        "list" => {
            let f = Flags::parse(rest, &["limit"], &[])?;
            let id = f.positional(0, "a service account id")?.to_owned();
            f.no_more(1)?;
            connect(&f, host)?;
            let items = list_all(
                host,
                json!({"op": "list_service_account_tokens", "id": id, "limit": limit(&f)?}),
            )
            .await?;
            print(host, &f, &Value::Array(items.clone()), &token_rows(&items));
            Ok(exit::OK)
        }
        "create" => {
            let f = Flags::parse(rest, &DRAFT_FLAGS, &["dry-run", "all-projects"])?;
            let id = f.positional(0, "a service account id")?.to_owned();
            f.no_more(1)?;
            connect(&f, host)?;
            let d = draft(&f, None)?;
            if f.on("dry-run") {
                return dry_run(host, &f, d, Some(&id)).await;
            }
            let created = command(
                host,
                json!({"command": "create_service_account_token", "id": id, "draft": d}),
            )
            .await?;
            let t = created.get("token").cloned().unwrap_or(Value::Null);
            let summary = format!(
                "created {} \"{}\" ({}) for {id}",
                s(&t, "prefix"),
                s(&t, "name"),
                s(&t, "id")
            );
            deliver_secret(host, &f, created, "secret", &summary)
        }
        "rotate" | "revoke" => {
            let f = Flags::parse(rest, &["secret-file"], &[])?;
            let id = f.positional(0, "a service account id")?.to_owned();
            let token_id = f.positional(1, "a token id")?.to_owned();
            f.no_more(2)?;
            connect(&f, host)?;
            let op = format!("{sub}_service_account_token");
            let v = call(host, json!({"op": op, "id": id, "token_id": token_id})).await?;
            if sub == "rotate" {
                let t = v.get("token").cloned().unwrap_or(Value::Null);
                let summary = format!(
                    "rotated {token_id}: the new token is {} ({})",
                    s(&t, "prefix"),
                    s(&t, "id")
                );
                return deliver_secret(host, &f, v, "secret", &summary);
            }
            let text = format!("revoked {} ({})\n", s(&v, "prefix"), s(&v, "id"));
            print(host, &f, &v, &text);
            Ok(exit::OK)
        }
        other => Err(bad(format!(
            "service-accounts tokens {other:?}: give list, create, rotate or revoke"
        ))),
    }
}

async fn access_keys<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let Some((sub, rest)) = args.split_first() else {
        return Err(bad("give list, create or delete"));
    };
    let f = Flags::parse(rest, &["secret-file"], &[])?;
    let id = f.positional(0, "a service account id")?.to_owned();
    match sub.as_str() {
        "list" => {
            f.no_more(1)?;
            connect(&f, host)?;
            let items = list_all(host, json!({"op": "list_access_keys", "id": id})).await?;
            let mut rows = vec![["KEY ID", "CREATED", "EXPIRES"].map(str::to_owned).to_vec()];
            for k in &items {
                rows.push(vec![
                    s(k, "id").to_owned(),
                    day(k, "created_at"),
                    day(k, "expires_at"),
                ]);
            }
            print(host, &f, &Value::Array(items.clone()), &table(&rows));
            Ok(exit::OK)
        }
        "create" => {
            f.no_more(1)?;
            connect(&f, host)?;
            let k = call(host, json!({"op": "create_access_key", "id": id})).await?;
            let summary = format!("created access key {} for {id}", s(&k, "id"));
            deliver_secret(host, &f, k, "secret", &summary)
        }
        "delete" => {
            let key = f.positional(1, "an access key id")?.to_owned();
            f.no_more(2)?;
            connect(&f, host)?;
            call(
                host,
                json!({"op": "delete_access_key", "id": id, "key_id": key}),
            )
            .await?;
            print(
                host,
                &f,
                &json!({"deleted": key}),
                &format!("deleted access key {key}\n"),
            );
            Ok(exit::OK)
        }
        other => Err(bad(format!(
            "service-accounts access-keys {other:?}: give list, create or delete"
        ))),
    }
}

// ---- audit ----

const FILTER_FLAGS: [&str; 8] = [
    "actor",
    "token-prefix",
    "status",
    "since",
    "until",
    "limit",
    "interval",
    "output",
];

/// `--since 30d` / `24h` / `15m` or an RFC 3339 time.
pub(crate) fn since(now: Timestamp, text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    let unit = t.chars().last().unwrap_or(' ');
    if let (Some(n), true) = (
        t.get(..t.len().saturating_sub(1))
            .and_then(|n| n.parse::<i64>().ok()),
        matches!(unit, 'd' | 'h' | 'm'),
    ) {
        let d = match unit {
            'd' => chrono::Duration::try_days(n),
            'h' => chrono::Duration::try_hours(n),
            _ => chrono::Duration::try_minutes(n),
        };
        return d
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("{text:?} is too far back"));
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|_| format!("{text:?} is neither a duration (30d, 24h, 15m) nor an RFC 3339 time"))
}

fn filter<H: Host>(f: &Flags, host: &H) -> Res<Value> {
    let mut m = Map::new();
    if let Some(a) = f.one("actor") {
        m.insert("actor".into(), json!(a));
    }
    if let Some(p) = f.one("token-prefix") {
        m.insert("token_prefix".into(), json!(p));
    }
    if let Some(st) = f.one("status") {
        let code: u16 = st
            .parse()
            .map_err(|_| bad(format!("--status: {st:?} is not an HTTP status")))?;
        m.insert("status".into(), json!(code));
    }
    if let Some(t) = f.one("since") {
        let from = since(host.now(), t).map_err(|e| bad(format!("--since: {e}")))?;
        m.insert(
            "from".into(),
            json!(from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    if let Some(t) = f.one("until") {
        let to = since(host.now(), t).map_err(|e| bad(format!("--until: {e}")))?;
        m.insert(
            "to".into(),
            json!(to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    Ok(Value::Object(m))
}

fn event_line(e: &Value) -> String {
    format!(
        "{}  {:<3} {:<6} {}  {} {}  {}\n",
        s(e, "time"),
        e.get("status").and_then(Value::as_u64).unwrap_or(0),
        s(e, "method"),
        s(e, "path"),
        e.get("token_prefix").and_then(Value::as_str).unwrap_or("-"),
        e.get("actor").and_then(Value::as_str).unwrap_or("-"),
        e.get("source_ip").and_then(Value::as_str).unwrap_or("-"),
    )
}

async fn audit<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let Some((sub, rest)) = args.split_first() else {
        return Err(bad("give tail or export"));
    };
    let f = Flags::parse(rest, &FILTER_FLAGS, &["follow"])?;
    f.no_more(0)?;
    let flt = filter(&f, host)?;
    connect(&f, host)?;
    match sub.as_str() {
        "tail" => {
            let n = match f.one("limit") {
                Some(n) => n
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(|| bad(format!("-n: {n:?} is not a count from 1 to 500")))?,
                None => 20,
            };
            let interval_ms = match f.one("interval") {
                Some(i) => i
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.1..=3600.0).contains(s))
                    .map(|s| (s * 1000.0) as u64)
                    .ok_or_else(|| bad(format!("--interval: {i:?} is not 0.1 to 3600 seconds")))?,
                None => 2000,
            };
            // The newest page, printed oldest first, as `tail` does.
            let page = host
                .run(&json!({"command": "page", "op": {"op": "list_audit_events", "filter": flt, "limit": n}}))
                .await
                .map_err(|e| Failure::Api(Box::new(api_error(e))))?;
            let mut events: Vec<Value> = match page.get("value") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            events.reverse();
            // What was printed at the newest time printed: the next poll starts from that
            // time (inclusive), so those may come again. Older ids need not be kept.
            let mut newest = events.last().map(|e| s(e, "time").to_owned());
            let mut seen = at_time(&events, newest.as_deref());
            emit_events(host, &f, &events);
            // The test command's bound on --follow: stop after this many polls.
            let polls: Option<u64> = host.var("CD_CLI_FOLLOW_POLLS").and_then(|v| v.parse().ok());
            let mut done_polls = 0u64;
            while f.on("follow") && polls.is_none_or(|p| done_polls < p) {
                host.sleep(interval_ms).await;
                done_polls += 1;
                let mut fl = flt.clone();
                if let (Some(t), Some(o)) = (&newest, fl.as_object_mut()) {
                    o.insert("from".into(), json!(t));
                }
                // Every page since then, however many arrived between two polls.
                let mut fresh: Vec<Value> = list_all(
                    host,
                    json!({"op": "list_audit_events", "filter": fl, "limit": 500}),
                )
                .await?
                .into_iter()
                .filter(|e| !seen.contains(s(e, "id")))
                .collect();
                fresh.reverse();
                if let Some(last) = fresh.last() {
                    let time = Some(s(last, "time").to_owned());
                    let now_seen = at_time(&fresh, time.as_deref());
                    if time == newest {
                        seen.extend(now_seen);
                    } else {
                        seen = now_seen;
                        newest = time;
                    }
                }
                emit_events(host, &f, &fresh);
            }
            Ok(exit::OK)
        }
        "export" => {
            let lines = call(host, json!({"op": "export_audit_events", "filter": flt})).await?;
            let text = lines.as_str().unwrap_or_default();
            match f.one("output") {
                Some(path) => {
                    host.write_private(path, text)
                        .map_err(|e| bad(format!("--output {path}: {e}")))?;
                    let n = text.lines().filter(|l| !l.trim().is_empty()).count();
                    host.err(&format!("{n} events written to {path}\n"));
                }
                None => host.out(text),
            }
            Ok(exit::OK)
        }
        other => Err(bad(format!("audit {other:?}: give tail or export"))),
    }
}

/// The ids of the events at `time` (the last time printed).
fn at_time(events: &[Value], time: Option<&str>) -> std::collections::HashSet<String> {
    events
        .iter()
        .filter(|e| Some(s(e, "time")) == time)
        .map(|e| s(e, "id").to_owned())
        .collect()
}

/// Events as lines of text, or with `--json` one JSON object per line (so `--follow`
/// can stream them).
fn emit_events<H: Host>(host: &mut H, f: &Flags, events: &[Value]) {
    let mut out = String::new();
    for e in events {
        if f.json {
            out.push_str(&serde_json::to_string(e).unwrap_or_default());
            out.push('\n');
        } else {
            out.push_str(&event_line(e));
        }
    }
    if !out.is_empty() {
        host.out(&out);
    }
}

// ---- compute and storage ----

async fn resources<H: Host>(cmd: &str, args: &[String], host: &mut H) -> Res<i32> {
    let (kind, op) = match (
        cmd,
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
    ) {
        ("compute", Some("servers"), Some("list")) => ("servers", "list_servers"),
        ("storage", Some("buckets"), Some("list")) => ("buckets", "list_buckets"),
        ("compute", ..) => return Err(bad("give servers list")),
        _ => return Err(bad("give buckets list")),
    };
    let f = Flags::parse(&args[2..], &["project"], &[])?;
    f.no_more(0)?;
    connect(&f, host)?;
    let project = match f.one("project") {
        Some(p) => Some(p.to_owned()),
        None => default_project(&f, host)?,
    };
    let project = project.ok_or_else(|| bad("give --project P, or configure a default project"))?;
    let items = list_all(host, json!({"op": op, "project": project})).await?;
    let mut rows = if kind == "servers" {
        vec![["ID", "NAME", "STATUS", "PROJECT", "CREATED"]
            .map(str::to_owned)
            .to_vec()]
    } else {
        vec![["NAME", "PROJECT", "OBJECT LOCK", "CREATED"]
            .map(str::to_owned)
            .to_vec()]
    };
    for i in &items {
        rows.push(if kind == "servers" {
            vec![
                s(i, "id").into(),
                s(i, "name").into(),
                s(i, "status").into(),
                s(i, "project").into(),
                day(i, "created_at"),
            ]
        } else {
            vec![
                s(i, "name").into(),
                s(i, "project").into(),
                i.get("object_lock")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .to_string(),
                day(i, "created_at"),
            ]
        });
    }
    print(host, &f, &Value::Array(items.clone()), &table(&rows));
    Ok(exit::OK)
}

// ---- least-privilege and lint from the API ----

/// The input of `least-privilege` and `lint` when it comes from the API: the host's own
/// files and output, plus the texts just fetched, under names no real path has.
struct Fetched<'a, H: Host> {
    host: &'a mut H,
    texts: Vec<(&'static str, String)>,
}

/// The fetched texts' names (a NUL is in no path).
const EXPORT: &str = "\0audit export";
const INVENTORY: &str = "\0token inventory";
const POLICY: &str = "\0organization policy";

impl<H: Host> Fetched<'_, H> {
    fn text(&self, path: &str) -> Option<&str> {
        self.texts
            .iter()
            .find(|(n, _)| *n == path)
            .map(|(_, t)| t.as_str())
    }
}

impl<H: Host> CliIo for Fetched<'_, H> {
    fn read(&mut self, path: &str) -> Result<String, String> {
        match self.text(path) {
            Some(t) => Ok(t.to_owned()),
            None => self.host.read(path),
        }
    }
    fn read_chunks(
        &mut self,
        path: &str,
        each: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), String> {
        match self.text(path) {
            Some(t) => {
                each(t.as_bytes());
                Ok(())
            }
            None => self.host.read_chunks(path, each),
        }
    }
    fn list_files(&mut self, path: &str, skip_dirs: &[&str]) -> Result<Vec<String>, String> {
        self.host.list_files(path, skip_dirs)
    }
    fn out(&mut self, text: &str) {
        self.host.out(text);
    }
    fn err(&mut self, text: &str) {
        self.host.err(text);
    }
    fn now(&self) -> Timestamp {
        self.host.now()
    }
}

/// Whether these `least-privilege` / `lint` arguments need the API.
pub fn analysis_online(cmd: &str, args: &[String]) -> bool {
    let has = |flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    match cmd {
        "least-privilege" => has("--from-api") || has("--token"),
        "lint" => has("--from-api"),
        _ => false,
    }
}

/// `least-privilege --from-api [--token-prefix P] [--since 30d]` (the calls from the audit
/// log) and `--token ID [--service-account SA]` (the diff against that token as it is
/// now); `lint --from-api [--since 90d]` (the caller's tokens, and the audit log for the
/// personal-token-in-CI rule). The rules are the offline commands'; only the input is
/// fetched.
pub async fn analysis<H: Host>(cmd: &str, args: &[String], host: &mut H) -> i32 {
    let result = analysis_inner(cmd, args, host).await;
    match result {
        Ok(code) => code,
        Err(Failure::Bad(line)) => {
            host.err(&format!("clouddigit {cmd}: {line}\n"));
            exit::BAD_INPUT
        }
        Err(Failure::Api(e)) => {
            host.err(&format!("clouddigit {cmd}: {}\n", e.message));
            exit_for(&e)
        }
    }
}

async fn analysis_inner<H: Host>(cmd: &str, args: &[String], host: &mut H) -> Res<i32> {
    // Ours: where the input comes from. The rest goes to the offline command.
    let mut rest = Vec::new();
    let mut online = Vec::new();
    let mut from_api = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let name = a
            .strip_prefix("--")
            .map(|n| n.split('=').next().unwrap_or(n));
        match name {
            Some("from-api") => from_api = true,
            Some(n)
                if COMMON.contains(&n) || matches!(n, "token" | "service-account" | "since") =>
            {
                online.push(a.clone());
                if !a.contains('=') {
                    if let Some(v) = it.next() {
                        online.push(v.clone());
                    }
                }
            }
            _ => rest.push(a.clone()),
        }
    }
    let f = Flags::parse(&online, &["token", "service-account", "since"], &[])?;
    connect(&f, host)?;
    let since = f
        .one("since")
        .unwrap_or(if cmd == "lint" { "90d" } else { "30d" });
    let from = crate::online::since(host.now(), since).map_err(|e| bad(format!("--since: {e}")))?;
    let mut filter = Map::new();
    filter.insert(
        "from".into(),
        json!(from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );

    if cmd == "lint" {
        if !from_api {
            return Err(bad("lint fetches with --from-api"));
        }
        // The inventory: the caller's live tokens as the API shows them now; the audit
        // log for how they are used; the organization's policy unless --policy is given.
        let who = whoami_of(host).await?;
        let tokens = list_all(host, json!({"op": "list_tokens"})).await?;
        let mut inventory = String::new();
        for t in tokens
            .iter()
            .filter(|t| matches!(s(t, "status"), "active" | "rotating"))
        {
            inventory.push_str(&serde_json::to_string(t).unwrap_or_default());
            inventory.push('\n');
        }
        let export = call(host, json!({"op": "export_audit_events", "filter": filter})).await?;
        let mut texts = vec![
            (INVENTORY, inventory),
            (EXPORT, export.as_str().unwrap_or_default().to_owned()),
        ];
        let mut args = vec![
            INVENTORY.to_owned(),
            "--audit".to_owned(),
            EXPORT.to_owned(),
        ];
        args.extend(rest.iter().cloned());
        if !rest.iter().any(|a| a.starts_with("--policy")) {
            if let Some(p) = &who.policy {
                texts.push((POLICY, serde_json::to_string(p).unwrap_or_default()));
                args.push("--policy".into());
                args.push(POLICY.to_owned());
            }
        }
        let mut io = Fetched { host, texts };
        return crate::analysis::lint(&args, &mut io).map_err(Failure::from);
    }

    // least-privilege
    let against = match f.one("token") {
        None => None,
        Some(id) => {
            let t = match f.one("service-account") {
                None => call(host, json!({"op": "get_token", "id": id})).await?,
                Some(sa) => list_all(host, json!({"op": "list_service_account_tokens", "id": sa}))
                    .await?
                    .into_iter()
                    .find(|t| s(t, "id") == id)
                    .ok_or_else(|| {
                        Failure::Api(Box::new(ApiError {
                            kind: ErrorKind::NotFound,
                            ..ApiError::config(
                                "not_found",
                                format!("service account {sa} has no token {id}"),
                            )
                        }))
                    })?,
            };
            let token: clouddigit_core::model::Token =
                serde_json::from_value(t).map_err(|e| bad(format!("the token's answer: {e}")))?;
            Some(token)
        }
    };
    let a = crate::Args::parse(&rest, &["role", "token-prefix"]).map_err(Failure::from)?;
    if !a.positional.is_empty() && from_api {
        return Err(bad("give a file of calls or --from-api, not both"));
    }
    let prefix = a
        .one("token-prefix")
        .map(str::to_owned)
        .or_else(|| against.as_ref().map(|t| t.prefix.clone()));
    let opts = crate::analysis::LeastPrivilegeOptions {
        role: crate::analysis::role_arg(a.one("role")).map_err(Failure::from)?,
        token_prefix: prefix.clone(),
        json: a.json,
    };
    if from_api || a.positional.is_empty() {
        if let Some(p) = &prefix {
            filter.insert("token_prefix".into(), json!(p));
        }
        let export = call(host, json!({"op": "export_audit_events", "filter": filter})).await?;
        let mut io = Fetched {
            host,
            texts: vec![(EXPORT, export.as_str().unwrap_or_default().to_owned())],
        };
        return crate::analysis::least_privilege_with(&mut io, EXPORT, &opts, against.as_ref())
            .map_err(Failure::from);
    }
    let path = a.positional[0].clone();
    crate::analysis::least_privilege_with(host, &path, &opts, against.as_ref())
        .map_err(Failure::from)
}

// ---- scan --verify, scan --report-to ----

/// Whether these `scan` arguments need the host's online half: `--verify`,
/// `--report-to URL`.
pub fn scan_is_online(args: &[String]) -> bool {
    args.iter()
        .any(|a| a == "--verify" || a == "--report-to" || a.starts_with("--report-to="))
}

/// `scan ... --verify`: the scan, then each API token found asked of the API (whoami
/// with that token): live, revoked, rotated, expired, or unknown. Nothing but the
/// prefix is printed; client secrets and access-key secrets are not checked.
///
/// `scan ... --report-to URL [--report-key-file PEM]`: the findings sent, signed with
/// the profile's scanning key, to a secret-scanning partner endpoint
/// ([`crate::report`]); each finding then shows the endpoint's label and action, and the
/// exit status is 1 when any is a true positive. The URL and the key are checked before
/// the scan (exit 2); a failed report exits 3.
pub async fn scan_online<H: Host>(args: &[String], host: &mut H) -> i32 {
    match scan_online_inner(args, host).await {
        Ok(code) => code,
        Err(Failure::Bad(line)) => {
            host.err(&format!("clouddigit scan: {line}\n"));
            exit::BAD_INPUT
        }
        Err(Failure::Api(e)) => {
            host.err(&format!("clouddigit scan: {}\n", e.message));
            exit_for(&e)
        }
    }
}

async fn scan_online_inner<H: Host>(args: &[String], host: &mut H) -> Res<i32> {
    let mut rest = Vec::new();
    let mut online = Vec::new();
    let mut verify = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let name = a
            .strip_prefix("--")
            .map(|n| n.split('=').next().unwrap_or(n));
        match name {
            Some("verify") => verify = true,
            Some(n)
                if (COMMON.contains(&n) && n != "token-file")
                    || matches!(n, "report-to" | "report-key-file") =>
            {
                online.push(a.clone());
                if !a.contains('=') {
                    if let Some(v) = it.next() {
                        online.push(v.clone());
                    }
                }
            }
            _ => rest.push(a.clone()),
        }
    }
    let f = Flags::parse(&online, &["report-to", "report-key-file"], &[])?;
    // The report's destination and key first: a scan is not wasted on a report that
    // cannot go.
    let to = match f.one("report-to") {
        None => None,
        Some(url) => {
            if rest
                .iter()
                .any(|a| a == "--write-baseline" || a.starts_with("--write-baseline="))
            {
                return Err(bad("give --report-to or --write-baseline, not both"));
            }
            let origin =
                crate::report::check_url(url).map_err(|e| bad(format!("--report-to: {e}")))?;
            let key = load_scanning_key(host, &f)?;
            Some((url.trim().to_owned(), origin, key))
        }
    };
    if to.is_none() && f.one("report-key-file").is_some() {
        return Err(bad("--report-key-file goes with --report-to"));
    }
    let Some(scanned) = crate::scan::collect(&rest, host)? else {
        return Ok(exit::OK);
    };
    let verdicts = if verify {
        let mut seen: std::collections::HashMap<String, crate::scan::Verdict> =
            std::collections::HashMap::new();
        let mut verdicts = Vec::with_capacity(scanned.found.len());
        for finding in &scanned.found {
            let v = match seen.get(&finding.fingerprint) {
                Some(v) => v.clone(),
                None => {
                    let v = verify_one(host, &f, finding).await;
                    seen.insert(finding.fingerprint.clone(), v.clone());
                    v
                }
            };
            verdicts.push(v);
        }
        Some(verdicts)
    } else {
        None
    };
    let outcomes = match &to {
        Some((url, origin, key)) if !scanned.found.is_empty() => {
            Some(send_report(host, url, origin, key, &scanned.found).await?)
        }
        _ => None,
    };
    let shown = to
        .as_ref()
        .map(|(_, o, _)| origin_text(o))
        .unwrap_or_default();
    let reported = outcomes.as_deref().map(|outcomes| crate::scan::Reported {
        to: &shown,
        outcomes,
    });
    Ok(crate::scan::report(
        host,
        &scanned,
        verdicts.as_deref(),
        reported,
    ))
}

/// `host[:port]` as a message shows where a report went (never the path or query, which
/// the user may have given a secret in).
fn origin_text(o: &clouddigit_session::Origin) -> String {
    let default = if o.https { 443 } else { 80 };
    if o.port == default {
        o.host.clone()
    } else {
        format!("{}:{}", o.host, o.port)
    }
}

/// Posts the signed report; the endpoint's answer per finding, or exit 3 with the
/// status and the error body's code and message (scrubbed of anything secret-shaped).
async fn send_report<H: Host>(
    host: &mut H,
    url: &str,
    origin: &clouddigit_session::Origin,
    key: &crate::report::ScanningKey,
    found: &[crate::scan::Finding],
) -> Res<Vec<crate::report::Outcome>> {
    let body = crate::report::report_body(found);
    let headers = crate::report::headers(key, &body);
    let at = origin_text(origin);
    let failed = |message: String| {
        Failure::Api(Box::new(ApiError {
            kind: ErrorKind::Transport,
            ..ApiError::config("report_failed", message)
        }))
    };
    let (status, answer) = host.post(url, &headers, &body).await.map_err(|e| {
        failed(format!(
            "the report to {at} failed: {}",
            clouddigit_session::error::scrub(&e)
        ))
    })?;
    drop(body);
    if !(200..300).contains(&status) {
        let e = ApiError::from_response(
            &clouddigit_session::HttpResponse {
                status,
                headers: Vec::new(),
                body: answer.clone(),
            },
            None,
        );
        let mut text = format!("the report to {at} was refused: HTTP {status} ({})", e.code);
        if e.message != format!("HTTP {status}") {
            let _ = write!(text, ": {}", e.message);
        } else if let Some(line) = answer.lines().map(str::trim).find(|l| !l.is_empty()) {
            // Not the API's error shape: its first line, scrubbed and cut short.
            let line: String = clouddigit_session::error::scrub(line)
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            let _ = write!(text, ": {line}");
        }
        return Err(failed(text));
    }
    crate::report::read_answer(found, &answer)
        .map_err(|e| failed(format!("the report to {at} was sent, but {e}")))
}

/// The scanning key: `--report-key-file PEM`, else the profile's keychain entry
/// (`scanning-key:<profile>`), else its file (`~/.config/cd/scanning-key-<profile>.pem`,
/// refused when group or others can read it, as the token file is).
fn load_scanning_key<H: Host>(host: &mut H, f: &Flags) -> Res<crate::report::ScanningKey> {
    use crate::report::ScanningKey;
    if let Some(path) = f.one("report-key-file") {
        let text = zeroize::Zeroizing::new(
            host.read(path)
                .map_err(|e| bad(format!("--report-key-file {path}: {e}")))?,
        );
        return ScanningKey::from_pem(&text)
            .map_err(|e| bad(format!("--report-key-file {path}: {e}")));
    }
    let profile = profile_of(f, host)?;
    let account = crate::report::keychain_account(&profile);
    match host.keychain_get(&account) {
        Ok(Some(pem)) => {
            let pem = zeroize::Zeroizing::new(pem);
            return ScanningKey::from_pem(&pem).map_err(|e| {
                bad(format!(
                    "the keychain entry {account:?}: {e}; make a new key with `clouddigit configure --scanning-key{}`",
                    profile_flag(&profile)
                ))
            });
        }
        Ok(None) => {}
        Err(e) if e.unavailable => {}
        Err(e) => {
            return Err(Failure::Api(Box::new(ApiError::config(
                "keychain_failed",
                format!("the keychain entry {account:?} could not be read ({e})"),
            ))))
        }
    }
    let dir = host
        .config_dir()
        .map_err(|e| bad(format!("cannot find the configuration directory: {e}")))?;
    let path = crate::report::key_file_path(&dir, &profile);
    match host.read_private(&path).map_err(|e| bad(format!("{path}: {e}")))? {
        Some((text, mode)) => {
            let text = zeroize::Zeroizing::new(text);
            if let Some(mode) = mode.filter(|m| m & 0o077 != 0) {
                return Err(bad(clouddigit_session::ConfigError::TokenFileTooOpen {
                    path,
                    mode: mode & 0o777,
                }
                .to_string()));
            }
            ScanningKey::from_pem(&text).map_err(|e| bad(format!("{path}: {e}")))
        }
        None => Err(bad(format!(
            "no scanning key for profile \"{profile}\": make one with `clouddigit configure --scanning-key{}` (it prints the public key to register with the endpoint), or give --report-key-file PEM",
            profile_flag(&profile)
        ))),
    }
}

/// ` --profile P`, unless P is the default profile.
fn profile_flag(profile: &str) -> String {
    if profile == clouddigit_session::profile::DEFAULT_PROFILE {
        String::new()
    } else {
        format!(" --profile {profile}")
    }
}

async fn verify_one<H: Host>(
    host: &mut H,
    f: &Flags,
    finding: &crate::scan::Finding,
) -> crate::scan::Verdict {
    use crate::scan::Verdict;
    let verdict = |status: &str, detail: String| Verdict {
        status: status.to_owned(),
        detail,
    };
    if finding.kind != clouddigit_core::secret::SecretKind::ApiToken {
        return verdict("unverified", "only API tokens are checked".into());
    }
    let mut o = match options(f, host) {
        Ok(o) => o,
        Err(_) => return verdict("unverified", "bad --profile".into()),
    };
    if let Some(m) = o.as_object_mut() {
        m.insert(
            "token".into(),
            Value::String(finding.secret().expose_secret().to_owned()),
        );
    }
    if let Err(e) = host.connect(&o) {
        return verdict("unverified", api_error(e).message);
    }
    match command(host, json!({"command": "whoami"})).await {
        Ok(who) => {
            let t = who.get("token").cloned().unwrap_or(Value::Null);
            let expires = if t.get("expires_at").is_some_and(Value::is_null) {
                "never expires".to_owned()
            } else {
                format!("expires {}", day(&t, "expires_at"))
            };
            verdict(
                "live",
                format!(
                    "works now as \"{}\" in {}; {expires}: revoke it",
                    s(&t, "name"),
                    s(&t, "organization")
                ),
            )
        }
        Err(Failure::Api(e)) => match (e.kind, e.code.as_str()) {
            (ErrorKind::Authentication, "revoked") => {
                verdict("revoked", "revoked: no longer works".into())
            }
            (ErrorKind::Authentication, "rotated") => {
                verdict("rotated", "replaced by rotation, its grace over".into())
            }
            (ErrorKind::Authentication, "expired") => {
                verdict("expired", "expired: no longer works".into())
            }
            (ErrorKind::Authentication, "owner_inactive") => {
                verdict("owner_inactive", "its owner is no longer active".into())
            }
            (ErrorKind::Authentication, _) => {
                verdict("unknown", "not a token this API knows".into())
            }
            // Valid, but this call was refused (an allow-list, a grace window): still live.
            (ErrorKind::PermissionDenied, code) => verdict(
                "live",
                format!("works, though whoami was refused here ({code}): revoke it"),
            ),
            _ => verdict("unverified", e.message.clone()),
        },
        Err(Failure::Bad(line)) => verdict("unverified", line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_for_since() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            since(now, "30d").unwrap().to_rfc3339(),
            "2026-11-07T12:00:00+00:00"
        );
        assert_eq!(
            since(now, "2h").unwrap().to_rfc3339(),
            "2026-12-07T10:00:00+00:00"
        );
        assert!(since(now, "2026-12-01T00:00:00Z").is_ok());
        assert!(since(now, "yesterday").unwrap_err().contains("duration"));
        assert!(since(now, "99999999999999d").is_err());
    }

    #[test]
    fn exit_statuses_follow_the_error_kind() {
        let e = |kind| ApiError {
            kind,
            ..ApiError::config("x", "y")
        };
        assert_eq!(exit_for(&e(ErrorKind::PermissionDenied)), exit::DENIED);
        assert_eq!(exit_for(&e(ErrorKind::Authentication)), exit::DENIED);
        assert_eq!(exit_for(&e(ErrorKind::Validation)), exit::BAD_INPUT);
        assert_eq!(exit_for(&e(ErrorKind::Server)), exit::API);
        assert_eq!(exit_for(&e(ErrorKind::Transport)), exit::API);
        assert_eq!(exit_for(&e(ErrorKind::NotFound)), exit::API);
    }

    #[test]
    fn a_draft_from_flags() {
        let args: Vec<String> = [
            "--name",
            "ci",
            "--project",
            "web",
            "--permission",
            "compute.servers.list",
            "--expires",
            "2027-01-31",
            "--allowed-ip",
            "10.0.0.0/8",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let f = Flags::parse(&args, &DRAFT_FLAGS, &["dry-run", "all-projects"])
            .unwrap_or_else(|_| panic!("flags"));
        let d = draft(&f, Some("ignored")).unwrap_or_else(|_| panic!("draft"));
        assert_eq!(
            d,
            json!({"name": "ci", "projects": ["web"], "permissions": ["compute.servers.list"],
                   "expiry": {"custom": "2027-01-31"}, "allowed_ips": ["10.0.0.0/8"]})
        );
        let f = Flags::parse(&["--name".to_owned(), "x".to_owned()], &DRAFT_FLAGS, &[])
            .unwrap_or_else(|_| panic!("flags"));
        assert_eq!(
            draft(&f, Some("web")).unwrap_or_else(|_| panic!("draft"))["projects"],
            json!(["web"])
        );
        assert!(Flags::parse(&["--dry-run=1".to_owned()], &[], &["dry-run"]).is_err());
    }
}

/// `configure --scanning-key` and `scan --report-to` through a host that keeps
/// everything in memory: the key's storage rules, what is sent and signed, exit
/// statuses, and that no secret reaches the output.
#[cfg(test)]
mod report_tests {
    use super::*;
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::DecodePublicKey as _;
    use std::collections::BTreeMap;

    type Answer = Box<dyn FnMut(&[(String, String)], &str) -> Result<(u16, String), String>>;
    /// A POST the host made: the URL, the headers, the body.
    type Post = (String, Vec<(String, String)>, String);

    struct Mock {
        files: BTreeMap<String, (String, u32)>,
        /// `None`: no keychain on this machine.
        keychain: Option<BTreeMap<String, String>>,
        credential: bool,
        register: Result<Value, Value>,
        calls: Vec<Value>,
        posts: Vec<Post>,
        answer: Answer,
        out: String,
        err: String,
        seed: u8,
    }

    const DIR: &str = "/home/u/.config/cd";

    impl Mock {
        fn new() -> Mock {
            Mock {
                files: BTreeMap::new(),
                keychain: Some(BTreeMap::new()),
                credential: false,
                register: Ok(Value::Null),
                calls: Vec::new(),
                posts: Vec::new(),
                answer: Box::new(|_, _| Err("no endpoint".into())),
                out: String::new(),
                err: String::new(),
                seed: 1,
            }
        }
    }

    impl CliIo for Mock {
        fn read(&mut self, path: &str) -> Result<String, String> {
            self.files
                .get(path)
                .map(|(t, _)| t.clone())
                .ok_or_else(|| "no such file or directory".to_owned())
        }
        fn list_files(&mut self, path: &str, _skip: &[&str]) -> Result<Vec<String>, String> {
            let v: Vec<String> = self
                .files
                .keys()
                .filter(|k| k.starts_with(path))
                .cloned()
                .collect();
            if v.is_empty() {
                return Err("no such file or directory".into());
            }
            Ok(v)
        }
        fn out(&mut self, t: &str) {
            self.out.push_str(t);
        }
        fn err(&mut self, t: &str) {
            self.err.push_str(t);
        }
        fn now(&self) -> Timestamp {
            "2026-12-07T10:00:00Z".parse().unwrap()
        }
    }

    impl Host for Mock {
        fn connect(&mut self, _options: &Value) -> Result<Value, Value> {
            if self.credential {
                Ok(json!({"kind": "env_var"}))
            } else {
                Err(
                    json!({"kind": "config", "code": "no_credentials", "message": "no token", "status": null, "request_id": null}),
                )
            }
        }
        async fn run(&mut self, command: &Value) -> Result<Value, Value> {
            self.calls.push(command.clone());
            self.register.clone().map(|v| json!({"value": v}))
        }
        fn keychain_get(&mut self, account: &str) -> Result<Option<String>, KeychainFailure> {
            match &self.keychain {
                Some(k) => Ok(k.get(account).cloned()),
                None => Err(KeychainFailure {
                    unavailable: true,
                    message: "no D-Bus".into(),
                }),
            }
        }
        fn keychain_set(&mut self, account: &str, secret: &str) -> Result<(), KeychainFailure> {
            match &mut self.keychain {
                Some(k) => {
                    k.insert(account.to_owned(), secret.to_owned());
                    Ok(())
                }
                None => Err(KeychainFailure {
                    unavailable: true,
                    message: "no D-Bus".into(),
                }),
            }
        }
        fn keychain_delete(&mut self, account: &str) -> Result<bool, KeychainFailure> {
            match &mut self.keychain {
                Some(k) => Ok(k.remove(account).is_some()),
                None => Err(KeychainFailure {
                    unavailable: true,
                    message: "no D-Bus".into(),
                }),
            }
        }
        async fn prompt(&mut self, _q: &str, _secret: bool) -> Result<Option<String>, String> {
            Ok(None)
        }
        fn write_private(&mut self, path: &str, text: &str) -> Result<(), String> {
            self.files.insert(path.to_owned(), (text.to_owned(), 0o600));
            Ok(())
        }
        fn check_private(&mut self, _path: &str) -> Result<(), String> {
            Ok(())
        }
        fn remove_file(&mut self, path: &str) -> Result<bool, String> {
            Ok(self.files.remove(path).is_some())
        }
        fn config_dir(&self) -> Result<String, String> {
            Ok(DIR.to_owned())
        }
        fn var(&self, _name: &str) -> Option<String> {
            None
        }
        fn stdin_is_tty(&self) -> bool {
            false
        }
        async fn sleep(&mut self, _ms: u64) {}
        fn read_private(&mut self, path: &str) -> Result<Option<(String, Option<u32>)>, String> {
            Ok(self.files.get(path).map(|(t, m)| (t.clone(), Some(*m))))
        }
        fn random_bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
            self.seed = self.seed.wrapping_add(1);
            Ok((0..n)
                .map(|i| (i as u8).wrapping_mul(37).wrapping_add(self.seed))
                .collect())
        }
        fn hostname(&self) -> Option<String> {
            Some("box".into())
        }
        async fn post(
            &mut self,
            url: &str,
            headers: &[(String, String)],
            body: &str,
        ) -> Result<(u16, String), String> {
            self.posts
                .push((url.to_owned(), headers.to_vec(), body.to_owned()));
            (self.answer)(headers, body)
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    fn run_cli(host: &mut Mock, args: &[&str]) -> i32 {
        host.out.clear();
        host.err.clear();
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        block_on(crate::main(&args, host))
    }

    fn token(random: &str) -> String {
        format!("cd_{random}{}", clouddigit_core::secret::checksum(random))
    }

    const R1: &str = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
    const R2: &str = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNn";

    /// An endpoint that checks the signature against `public` and labels each finding
    /// with `label(token)`.
    fn endpoint(public: String, label: fn(&str) -> (&'static str, &'static str)) -> Answer {
        Box::new(move |headers, body| {
            let key = VerifyingKey::from_public_key_pem(&public).unwrap();
            let get = |n: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            use base64::Engine as _;
            let der = base64::engine::general_purpose::STANDARD
                .decode(get(crate::report::SIGNATURE_HEADER))
                .unwrap();
            if key
                .verify(body.as_bytes(), &Signature::from_der(&der).unwrap())
                .is_err()
            {
                return Ok((
                    401,
                    r#"{"code":"bad_signature","message":"the signature does not verify"}"#.into(),
                ));
            }
            let items: Vec<Value> = serde_json::from_str(body).unwrap();
            let out: Vec<Value> = items
                .iter()
                .map(|i| {
                    let (l, a) = label(i["token"].as_str().unwrap());
                    json!({"label": l, "url": i["url"], "action": a, "token_type": i["type"]})
                })
                .collect();
            Ok((200, Value::Array(out).to_string()))
        })
    }

    #[test]
    fn configure_makes_stores_and_registers_a_key() {
        let mut h = Mock::new();
        assert_eq!(
            run_cli(&mut h, &["configure", "--scanning-key", "--json"]),
            0,
            "{}",
            h.err
        );
        let v: Value = serde_json::from_str(&h.out).unwrap();
        let pem = h.keychain.as_ref().unwrap()["scanning-key:default"].clone();
        let key = crate::report::ScanningKey::from_pem(&pem).unwrap();
        assert_eq!(v["key_id"], key.key_id());
        assert_eq!(v["public_key"], key.public_pem());
        assert_eq!(v["registration"], "no_credential");
        assert!(!h.out.contains(&pem[30..90]), "the private key was printed");
        assert!(h.calls.is_empty());

        // With a credential: registered under profile@host, with the public key.
        h.credential = true;
        h.register = Ok(json!({"key_identifier": "x", "name": "default@box"}));
        assert_eq!(
            run_cli(&mut h, &["configure", "--scanning-key"]),
            0,
            "{}",
            h.err
        );
        let pem2 = h.keychain.as_ref().unwrap()["scanning-key:default"].clone();
        assert_ne!(pem, pem2, "a new key each time");
        let key2 = crate::report::ScanningKey::from_pem(&pem2).unwrap();
        let op = &h.calls[0]["op"];
        assert_eq!(op["op"], "register_scanning_key");
        assert_eq!(
            op["body"]["name"],
            format!("default.box.{}", &key2.key_id()[..8])
        );
        // ... and the key it replaced is no longer trusted.
        assert_eq!(h.calls[1]["op"]["op"], "delete_scanning_key");
        assert_eq!(h.calls[1]["op"]["key_identifier"], key.key_id());
        assert!(
            h.out.contains(&format!(
                "the previous key {} is no longer trusted",
                key.key_id()
            )),
            "{}",
            h.out
        );
        assert_eq!(op["body"]["key"], key2.public_pem());
        assert!(h.out.contains(&key2.key_id()) && h.out.contains("BEGIN PUBLIC KEY"));
        assert!(h.out.contains("registered with the API"), "{}", h.out);
        assert!(h.out.contains("the API names the key x"), "{}", h.out);

        // An API without the registry: the key is kept, the user registers it.
        h.register = Err(
            json!({"kind": "not_found", "code": "not_found", "message": "no route", "status": 404, "request_id": null}),
        );
        assert_eq!(
            run_cli(&mut h, &["configure", "--scanning-key"]),
            0,
            "{}",
            h.err
        );
        assert!(
            h.out.contains("HTTP 404") && h.out.contains("register the public key"),
            "{}",
            h.out
        );
        // Any other refusal: exit by the error, the key still kept.
        h.register = Err(
            json!({"kind": "permission_denied", "code": "forbidden", "message": "no", "status": 403, "request_id": null}),
        );
        assert_eq!(run_cli(&mut h, &["configure", "--scanning-key"]), 1);
        assert!(h.err.contains("no (HTTP 403)"), "{}", h.err);
    }

    #[test]
    fn without_a_keychain_the_file_only_when_asked() {
        let mut h = Mock::new();
        h.keychain = None;
        assert_eq!(
            run_cli(&mut h, &["configure", "--scanning-key", "--profile", "ci"]),
            2
        );
        assert!(h.err.contains("--store file"), "{}", h.err);
        assert_eq!(
            run_cli(
                &mut h,
                &[
                    "configure",
                    "--scanning-key",
                    "--profile",
                    "ci",
                    "--store",
                    "file"
                ]
            ),
            0,
            "{}",
            h.err
        );
        let path = format!("{DIR}/scanning-key-ci.pem");
        assert_eq!(h.files[&path].1, 0o600);
        assert!(h.out.contains(&path));
        // Read back by scan; refused once others can read it.
        h.files
            .insert("src/a".into(), (format!("{}\n", token(R1)), 0o644));
        h.answer = Box::new(|_, _| {
            Ok((
                200,
                r#"[{"label":"false_positive","action":"none"}]"#.into(),
            ))
        });
        let args = [
            "scan",
            "src",
            "--report-to",
            "https://partner.example/r",
            "--profile",
            "ci",
        ];
        assert_eq!(run_cli(&mut h, &args), 0, "{}", h.err);
        h.files.get_mut(&path).unwrap().1 = 0o644;
        assert_eq!(run_cli(&mut h, &args), 2);
        assert!(h.err.contains("chmod 600"), "{}", h.err);
        let long = "p".repeat(60);
        assert_eq!(
            run_cli(&mut h, &["configure", "--scanning-key", "--profile", &long]),
            2
        );
    }

    #[test]
    fn scan_report_to_signs_sends_and_prints_labels() {
        let mut h = Mock::new();
        assert_eq!(run_cli(&mut h, &["configure", "--scanning-key"]), 0);
        let pem = h.keychain.as_ref().unwrap()["scanning-key:default"].clone();
        let key = crate::report::ScanningKey::from_pem(&pem).unwrap();
        let (t1, t2) = (token(R1), token(R2));
        h.files
            .insert("src/a.env".into(), (format!("A={t1}\nB={t2}\n"), 0o644));
        h.answer = endpoint(key.public_pem(), |t| {
            if t.starts_with("cd_a1") {
                ("true_positive", "revoked")
            } else {
                ("false_positive", "none")
            }
        });
        let url = "https://partner.example/report?x=1";
        assert_eq!(
            run_cli(&mut h, &["scan", "src", "--report-to", url]),
            1,
            "{}",
            h.err
        );
        let (sent_to, headers, body) = h.posts.last().unwrap().clone();
        assert_eq!(sent_to, url);
        assert!(headers.contains(&(crate::report::KEY_ID_HEADER.into(), key.key_id())));
        let items: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(items[0]["token"], t1);
        assert_eq!(items[1]["url"], "src/a.env:2");
        assert!(
            h.out.contains("cd_a1B2c3… [true_positive, revoked]"),
            "{}",
            h.out
        );
        assert!(
            h.out.contains("cd_Zz9Yy8… [false_positive, none]"),
            "{}",
            h.out
        );
        assert!(
            h.err.contains(
                "reported to partner.example: 1 true positive(s), 1 false positive(s), 1 revoked"
            ),
            "{}",
            h.err
        );
        for t in [&t1, &t2] {
            assert!(!h.out.contains(&t[9..]) && !h.err.contains(&t[9..]));
        }
        // --json carries label and action; all false positives: exit 0.
        h.answer = endpoint(key.public_pem(), |_| ("false_positive", "none"));
        assert_eq!(
            run_cli(&mut h, &["scan", "src", "--report-to", url, "--json"]),
            0
        );
        let v: Value = serde_json::from_str(&h.out).unwrap();
        assert_eq!(v[0]["label"], "false_positive");
        assert_eq!(v[1]["action"], "none");

        // Another key (a tampered one): the endpoint's 401, exit 3, its code and message.
        let mut other = Mock::new();
        other.seed = 100;
        assert_eq!(run_cli(&mut other, &["configure", "--scanning-key"]), 0);
        let other_pem = other.keychain.unwrap()["scanning-key:default"].clone();
        h.files.insert("other.pem".into(), (other_pem, 0o600));
        h.answer = endpoint(key.public_pem(), |_| ("true_positive", "none"));
        let code = run_cli(
            &mut h,
            &[
                "scan",
                "src",
                "--report-to",
                url,
                "--report-key-file",
                "other.pem",
            ],
        );
        assert_eq!(code, 3, "{}", h.err);
        assert!(
            h.err
                .contains("HTTP 401 (bad_signature): the signature does not verify"),
            "{}",
            h.err
        );
        assert!(
            !h.err.contains("x=1"),
            "the URL's query is not shown: {}",
            h.err
        );
        // No answer at all: 3.
        h.answer = Box::new(|_, _| Err("connection refused".into()));
        assert_eq!(run_cli(&mut h, &["scan", "src", "--report-to", url]), 3);
        // An answer that echoes a secret: scrubbed.
        let echo = t1.clone();
        h.answer = Box::new(move |_, _| {
            Ok((
                400,
                format!(r#"{{"code":"bad","message":"bad token {echo}"}}"#),
            ))
        });
        assert_eq!(run_cli(&mut h, &["scan", "src", "--report-to", url]), 3);
        assert!(
            !h.err.contains(&t1[9..]) && h.err.contains("cd_a1B2c3"),
            "{}",
            h.err
        );
        // Nothing found: nothing sent, 0.
        let before = h.posts.len();
        h.files
            .insert("clean/x".into(), ("nothing\n".into(), 0o644));
        assert_eq!(run_cli(&mut h, &["scan", "clean", "--report-to", url]), 0);
        assert_eq!(h.posts.len(), before);
    }

    #[test]
    fn bad_report_input_is_refused_before_the_scan() {
        let mut h = Mock::new();
        h.files.insert("src/a".into(), (token(R1), 0o644));
        // No key: say how to make one.
        assert_eq!(
            run_cli(
                &mut h,
                &["scan", "src", "--report-to", "https://p.example/"]
            ),
            2
        );
        assert!(
            h.err.contains("clouddigit configure --scanning-key"),
            "{}",
            h.err
        );
        assert_eq!(
            run_cli(
                &mut h,
                &[
                    "scan",
                    "src",
                    "--report-to",
                    "https://p.example/",
                    "--profile",
                    "ci"
                ]
            ),
            2
        );
        assert!(h.err.contains("--scanning-key --profile ci"), "{}", h.err);
        assert_eq!(run_cli(&mut h, &["configure", "--scanning-key"]), 0);
        for url in ["http://partner.example/r", "ftp://x/", "nowhere"] {
            assert_eq!(
                run_cli(&mut h, &["scan", "src", "--report-to", url]),
                2,
                "{url}"
            );
            assert!(
                h.err.starts_with("clouddigit scan: --report-to: "),
                "{}",
                h.err
            );
        }
        assert_eq!(
            run_cli(
                &mut h,
                &[
                    "scan",
                    "src",
                    "--report-to",
                    "https://p/",
                    "--report-key-file",
                    "missing.pem"
                ]
            ),
            2
        );
        h.files.insert(
            "bad.pem".into(),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into(),
                0o600,
            ),
        );
        assert_eq!(
            run_cli(
                &mut h,
                &[
                    "scan",
                    "src",
                    "--report-to",
                    "https://p/",
                    "--report-key-file",
                    "bad.pem"
                ]
            ),
            2
        );
        assert!(
            h.err
                .contains("--report-key-file bad.pem: not a P-256 private key"),
            "{}",
            h.err
        );
        assert_eq!(
            run_cli(
                &mut h,
                &["scan", "src", "--report-key-file", "bad.pem", "--verify"]
            ),
            2
        );
        assert_eq!(
            run_cli(
                &mut h,
                &[
                    "scan",
                    "src",
                    "--report-to",
                    "https://p/",
                    "--write-baseline",
                    "b.json"
                ]
            ),
            2
        );
        assert!(h.posts.is_empty());
    }
}
