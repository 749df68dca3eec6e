//! The `clouddigit` command, written once: `pip install clouddigit` and
//! `npx @clouddigit/sdk` both run this, each host supplying only [`CliIo`] (read a
//! file, list a directory, write output, tell the time). The core still does no I/O.
//!
//! Exit status: 0 success (all allowed, nothing found), 1 a denial or a finding,
//! 2 bad input (one line naming the file, the field and the problem).

use std::fmt::Write as _;

pub mod online;
pub use online::Host;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use clouddigit_core::catalog::{Catalog, PermissionScope};
use clouddigit_core::evaluator::Outcome;
use clouddigit_core::handle::TokenHandle;
use clouddigit_core::model::{OwnerState, Request, Role, Timestamp, Token, TokenPolicy};
use clouddigit_core::validate::{Issue, ServiceAccountRequest, TokenRequest};

mod analysis;
pub mod report;
pub mod scan;
pub use scan::{ScanVisitor, ScanWalk, WalkTotals};

/// What a host provides. Paths are the host's own strings.
pub trait CliIo {
    /// A file's text, or a message saying why not (`-` is standard input).
    fn read(&mut self, path: &str) -> Result<String, String>;
    /// A file's raw bytes (`-` is standard input), in chunks of the host's choosing, to
    /// `each` until the end or until `each` returns false; for inputs of any size
    /// (`least-privilege`, `lint`), which the command decodes (gzip) and splits itself.
    /// Hosts should read a bounded chunk at a time; the default reads the whole file.
    fn read_chunks(
        &mut self,
        path: &str,
        each: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), String> {
        let text = self.read(path)?;
        each(text.as_bytes());
        Ok(())
    }
    /// The files under `path` (itself, if it is a file), recursively, never descending
    /// into a directory named in `skip_dirs`: what the default [`CliIo::walk_scan`] walks.
    fn list_files(&mut self, path: &str, skip_dirs: &[&str]) -> Result<Vec<String>, String>;
    fn out(&mut self, text: &str);
    fn err(&mut self, text: &str);
    fn now(&self) -> Timestamp;
    /// Whether standard error is a terminal (progress lines only then).
    fn is_tty(&self) -> bool {
        false
    }
    /// For `scan`: walk `walk.roots` as [`ScanWalk`] says, read every file as bytes, and
    /// call `visit.candidate` for each file that contains one of `walk.literals`; draw
    /// what `visit.progress` returns on standard error. The host may walk in parallel
    /// and call `visit` from several threads at once. The error names the root.
    /// The default is sequential, through `list_files` and `read`, without `.gitignore`.
    fn walk_scan(
        &mut self,
        walk: &ScanWalk<'_>,
        visit: &dyn ScanVisitor,
    ) -> Result<WalkTotals, String> {
        scan::default_walk(self, walk, visit)
    }
    /// For `scan --git`: run `git -C dir ARGS...` with `input` on its standard input and
    /// return its standard output, or its standard error's first line if it fails.
    fn git(&mut self, _dir: &str, _args: &[String], _input: &[u8]) -> Result<Vec<u8>, String> {
        Err("this host cannot run git".to_owned())
    }
    /// For `scan --write-baseline`: create or replace a file with `text`.
    fn write_file(&mut self, _path: &str, _text: &str) -> Result<(), String> {
        Err("this host cannot write files".to_owned())
    }
}

pub const USAGE: &str = "\
usage: clouddigit <command> [options]

Tools for Cloud Digit API tokens and service accounts. The commands below work
offline (no network); the online ones (configure, whoami, tokens, service-accounts,
audit, compute, storage) follow them.

offline commands:
  check --token FILE --owner FILE [--policy FILE] (--request JSON|FILE)... |
        [--action NAME | --call 'METHOD /v1/path'] [--project P] [--ip IP] [--time T]
        decide calls for a token: exit 0 if all are allowed, 1 if any is denied
  validate FILE        validate a token or service-account request (TokenRequest /
                       ServiceAccountRequest JSON): errors and warnings, as the console shows
  least-privilege FILE [--role ROLE] [--token-prefix P] [--against TOKEN.json]
                       from API calls ('METHOD /v1/path' lines, or audit events as JSON
                       lines, plain or gzipped, '-' for standard input; streamed, any
                       size), the smallest downscoped permission set that allows them all.
                       --against: a token as the API returns it (GET /v1/tokens/ID); prints
                       what to remove (granted, unused) and what is missing (used, denied),
                       counting only that token's events; exit 1 unless it is exact.
                       Online: --from-api [--token-prefix cd_xxxxxx] [--since 30d] reads the
                       calls from the audit log; --token ID [--service-account SA] compares
                       with that token as it is now (its calls, unless a FILE is given)
  lint FILE [--now T] [--unused-days N] [--policy FILE] [--audit EVENTS]
                       findings over a token inventory (JSON lines, plain or gzipped), each
                       with a stable code and a severity: expiry, unused for N days (90),
                       allow-lists, scope, personal tokens named for CI, the organization's
                       policy (--policy: its token policy JSON); --audit: an audit export,
                       for personal tokens used like CI (a CI user agent, or 10+ addresses).
                       Online: lint --from-api [--since 90d]: the caller's live tokens, the
                       audit log and the organization's policy, fetched
  scan PATH... | scan --stdin | scan --git [REF...] [--repo DIR]
                       find Cloud Digit secrets (format + checksum) in files (a parallel
                       walk that honours .gitignore in a git work tree; --no-gitignore
                       scans ignored files too), in standard input, or in every blob of
                       the history reachable from REFs (default HEAD; each finding with
                       its commit). Prints file:line:column and the prefix only; exit 1
                       when found. A line holding clouddigit:allow is not reported.
                       --sarif: SARIF 2.1.0 for code scanning. --baseline FILE: findings
                       whose fingerprint FILE holds are known and not reported;
                       --write-baseline FILE writes the current findings' fingerprints
                       (SHA-256 of the secret, truncated: never the secret).
                       --verify (online, opt-in): asks the API whether each API token
                       found is live, revoked, rotated or expired (whoami with it)
                       --report-to URL (online, opt-in): sends the findings to a secret-
                       scanning partner endpoint (GitHub's partner-program shape: the
                       secrets, types and where found, signed with the profile's scanning
                       key from `configure --scanning-key`, or --report-key-file PEM;
                       https, or http to this machine only) and prints each finding's
                       label and action; exit 1 when any is a true positive
  catalog [FILTER]     list permissions, with routes and the roles that grant them
  sigv4 explain REQUEST --secret-file FILE
                       an S3 request's SigV4 signature worked out offline: the canonical
                       request, the string to sign, and the signature the secret gives
                       next to the one the request carries (exit 0 if they match, 1 if
                       not). REQUEST: JSON {method, url, headers}; the secret is read
                       from FILE (- for standard input), never from the command line
  trust check --trust FILE --jwt FILE|- [--jwks FILE] [--now T]
                       whether a CI job's OIDC token (a JWT) would be exchanged under a
                       trust, and why: every check of every trust (FILE holds one trust or
                       a list). The signature is verified only against the issuer's JWKS
                       (--jwks); without one the output says it was NOT checked. Exit 0 if
                       a trust accepts the token, 1 if not
  trust validate FILE [--account-projects P,Q]
                       a trust draft's (or a list's) errors and warnings, as the console's
                       form shows them; exit 1 on errors

options: --json (machine-readable output), -h/--help
";

/// Directories `scan` never descends into (dependencies, build output, VCS data).
pub const SCAN_SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", "__pycache__", ".venv"];
/// A NUL byte among a file's first this-many bytes marks it binary; `scan` skips it.
pub const BINARY_SNIFF_BYTES: usize = 8192;

/// Bad input, already phrased as the one line to print.
struct Bad(String);

type Res<T> = Result<T, Bad>;

struct Args {
    positional: Vec<String>,
    flags: Vec<(String, String)>,
    json: bool,
}

impl Args {
    fn parse(args: &[String], with_value: &[&str]) -> Res<Args> {
        let mut a = Args {
            positional: Vec::new(),
            flags: Vec::new(),
            json: false,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--json" {
                a.json = true;
            } else if let Some(name) = arg.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (name, None),
                };
                if !with_value.contains(&name) {
                    return Err(Bad(format!("unknown option --{name}")));
                }
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| Bad(format!("--{name} needs a value")))?,
                };
                a.flags.push((name.to_owned(), value));
            } else {
                a.positional.push(arg.clone());
            }
        }
        Ok(a)
    }

    fn one(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Reads and parses a JSON file, naming the file and the place of any problem.
fn load<T: DeserializeOwned>(io: &mut dyn CliIo, path: &str) -> Res<T> {
    let text = io.read(path).map_err(|e| Bad(format!("{path}: {e}")))?;
    parse_json(&text, path)
}

fn parse_json<T: DeserializeOwned>(text: &str, what: &str) -> Res<T> {
    // A file's reader wants both the field and the line, so keep serde_json's position.
    serde_json::from_str(text).map_err(|e| {
        let inner = e.to_string();
        let field = match clouddigit_core::json::path_at(text, e.line(), e.column(), &inner) {
            Some(path) => format!("{path}: "),
            None => String::new(),
        };
        Bad(format!("{what}: {field}{inner}"))
    })
}

fn time_arg(io: &dyn CliIo, text: Option<&str>, what: &str) -> Res<Timestamp> {
    match text {
        None => Ok(io.now()),
        Some(t) => chrono::DateTime::parse_from_rfc3339(t.trim())
            .map(|d| d.with_timezone(&chrono::Utc))
            .map_err(|e| Bad(format!("{what}: {t:?} is not an RFC 3339 time ({e})"))),
    }
}

/// Runs one command line (without the program name), offline or online, with a host
/// that can also call the API. Returns the exit status.
pub async fn main<H: Host>(args: &[String], host: &mut H) -> i32 {
    match args.split_first() {
        Some((cmd, rest)) if online::analysis_online(cmd, rest) => {
            online::analysis(cmd, rest, host).await
        }
        Some((cmd, rest)) if cmd == "scan" && online::scan_is_online(rest) => {
            online::scan_online(rest, host).await
        }
        Some((cmd, rest)) if online::is_online(cmd) => {
            if rest.iter().any(|a| a == "-h" || a == "--help") {
                host.out(online::ONLINE_USAGE);
                return 0;
            }
            online::run(cmd, rest, host).await
        }
        Some((cmd, _)) if matches!(cmd.as_str(), "-h" | "--help" | "help") => {
            host.out(USAGE);
            host.out("\n");
            host.out(online::ONLINE_USAGE);
            0
        }
        _ => run(args, host),
    }
}

/// Runs one offline command line (without the program name). Returns the exit status.
pub fn run(args: &[String], io: &mut dyn CliIo) -> i32 {
    let Some((cmd, rest)) = args.split_first() else {
        io.err(USAGE);
        return 2;
    };
    if matches!(cmd.as_str(), "-h" | "--help" | "help")
        || rest.iter().any(|a| a == "-h" || a == "--help")
    {
        io.out(USAGE);
        return 0;
    }
    let result = match cmd.as_str() {
        "check" => check(rest, io),
        "validate" => validate(rest, io),
        "least-privilege" => analysis::least_privilege(rest, io),
        "lint" => analysis::lint(rest, io),
        "scan" => scan::scan(rest, io),
        "catalog" => catalog(rest, io),
        "sigv4" => sigv4(rest, io),
        "trust" => trust(rest, io),
        other => Err(Bad(format!("unknown command {other:?} (try --help)"))),
    };
    match result {
        Ok(code) => code,
        Err(Bad(line)) => {
            io.err(&format!("clouddigit {cmd}: {line}\n"));
            2
        }
    }
}

fn emit_json(io: &mut dyn CliIo, v: &Value) {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    io.out(&s);
}

fn check(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    let a = Args::parse(
        args,
        &[
            "token", "owner", "policy", "request", "action", "call", "project", "ip", "time",
        ],
    )?;
    let token_path = a
        .one("token")
        .ok_or_else(|| Bad("--token FILE is required".into()))?;
    let owner_path = a
        .one("owner")
        .ok_or_else(|| Bad("--owner FILE is required (the owner's current roles decide)".into()))?;
    let token: Token = load(io, token_path)?;
    let owner: OwnerState = load(io, owner_path)?;
    let policy: Option<TokenPolicy> = match a.one("policy") {
        Some(p) => Some(load(io, p)?),
        None => None,
    };
    let handle = TokenHandle::new(token).map_err(|e| Bad(format!("{token_path}: {e}")))?;
    let mut requests: Vec<(String, Request)> = Vec::new();
    for r in a.all("request") {
        let text = if r.trim_start().starts_with('{') {
            r.to_owned()
        } else {
            io.read(r).map_err(|e| Bad(format!("{r}: {e}")))?
        };
        // A file may hold one request or one per line.
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let single = text.trim_start().starts_with('{')
            && lines.len() > 1
            && serde_json::from_str::<Value>(&text).is_ok();
        if single || lines.len() <= 1 {
            requests.push((r.to_owned(), parse_json(&text, r)?));
        } else {
            for (i, l) in lines.iter().enumerate() {
                let label = format!("{r}:{}", i + 1);
                requests.push((label.clone(), parse_json(l, &label)?));
            }
        }
    }
    if a.one("action").is_some() || a.one("call").is_some() {
        let (method, path) = match a.one("call") {
            Some(c) => {
                let (m, p) = c
                    .split_once(' ')
                    .ok_or_else(|| Bad(format!("--call: {c:?} is not 'METHOD /v1/path'")))?;
                (Some(m.to_owned()), Some(p.trim().to_owned()))
            }
            None => (None, None),
        };
        let ip = match a.one("ip") {
            Some(t) => Some(
                t.trim()
                    .parse()
                    .map_err(|_| Bad(format!("--ip: {t:?} is not an IP address")))?,
            ),
            None => None,
        };
        requests.push((
            "command line".into(),
            Request {
                action: a.one("action").map(str::to_owned),
                method,
                path,
                organization: None,
                project: a.one("project").map(str::to_owned),
                ip,
                time: time_arg(io, a.one("time"), "--time")?,
                resource_tags: None,
            },
        ));
    }
    if requests.is_empty() {
        return Err(Bad("give at least one --request, --action or --call".into()));
    }
    let mut all_allowed = true;
    let mut out = Vec::new();
    let mut text = String::new();
    for (label, req) in &requests {
        let d = handle
            .authorize_under(&owner, req, policy.as_ref())
            .map_err(|e| Bad(format!("{label}: {e}")))?;
        all_allowed &= d.allowed;
        let _ = writeln!(
            text,
            "{} {} — {}",
            if d.allowed { "ALLOW" } else { "DENY " },
            d.permission.as_deref().unwrap_or("(unknown action)"),
            d.message
        );
        for c in &d.checks {
            let mark = match c.outcome {
                Outcome::Pass => "pass",
                Outcome::Fail => "FAIL",
                Outcome::Skipped => "skip",
            };
            let _ = writeln!(
                text,
                "    {mark}  {:<26} {}",
                clouddigit_core::evaluator::check_code(c.check),
                c.detail
            );
        }
        out.push(json!({"request": label, "decision": d}));
    }
    if a.json {
        emit_json(io, &Value::Array(out));
    } else {
        io.out(&text);
    }
    Ok(if all_allowed { 0 } else { 1 })
}

fn issue_lines(text: &mut String, kind: &str, issues: &[Issue]) {
    for i in issues {
        let hint = i
            .suggestion
            .as_ref()
            .map(|s| format!(" (suggestion: {s})"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "{kind} {}: {} [{}]{hint}",
            i.field,
            i.message,
            i.code.as_str()
        );
    }
}

fn validate(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    let a = Args::parse(args, &["kind"])?;
    let [path] = a.positional.as_slice() else {
        return Err(Bad("give one request file".into()));
    };
    let text = io.read(path).map_err(|e| Bad(format!("{path}: {e}")))?;
    let raw: Value = parse_json(&text, path)?;
    let kind = a.one("kind").map(str::to_owned).unwrap_or_else(|| {
        if raw.get("creator").is_some() {
            "service-account".into()
        } else {
            "token".into()
        }
    });
    let (valid, errors, warnings, preview) = match kind.as_str() {
        "token" => {
            let req: TokenRequest = parse_json(&text, path)?;
            let v = clouddigit_core::validate::validate_token(&req, Catalog::builtin());
            let p = serde_json::to_value(&v.preview).unwrap_or(Value::Null);
            (v.valid, v.errors, v.warnings, p)
        }
        "service-account" => {
            let req: ServiceAccountRequest = parse_json(&text, path)?;
            let v = clouddigit_core::validate::validate_service_account(&req, Catalog::builtin());
            let p = serde_json::to_value(&v.preview).unwrap_or(Value::Null);
            (v.valid, v.errors, v.warnings, p)
        }
        other => {
            return Err(Bad(format!(
                "--kind: {other:?} is not token or service-account"
            )))
        }
    };
    if a.json {
        emit_json(
            io,
            &json!({"valid": valid, "errors": errors, "warnings": warnings, "preview": preview}),
        );
    } else {
        let mut t = String::new();
        issue_lines(&mut t, "error  ", &errors);
        issue_lines(&mut t, "warning", &warnings);
        let summary = preview.get("summary").and_then(Value::as_str).unwrap_or("");
        let _ = writeln!(
            t,
            "{}: {summary}",
            if valid { "valid" } else { "not valid" }
        );
        io.out(&t);
    }
    Ok(if valid { 0 } else { 1 })
}

fn catalog(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    let a = Args::parse(args, &[])?;
    let filter = a.positional.first().map(|s| s.to_ascii_lowercase());
    let cat = Catalog::builtin();
    let rows: Vec<Value> = cat
        .permissions()
        .iter()
        .filter(|p| {
            filter.as_deref().is_none_or(|f| {
                p.name.contains(f)
                    || p.summary.to_ascii_lowercase().contains(f)
                    || p.routes.iter().any(|r| r.path.contains(f))
            })
        })
        .map(|p| {
            let roles: Vec<&str> = Role::ALL
                .iter()
                .filter(|r| **r >= p.role)
                .map(|r| r.as_str())
                .collect();
            json!({
                "name": p.name, "summary": p.summary, "read_only": p.read_only,
                "step_up": p.step_up,
                "scope": if p.scope == PermissionScope::Organization { "organization" } else { "project" },
                "routes": p.routes.iter().map(|r| format!("{} {}", r.method, r.path)).collect::<Vec<_>>(),
                "roles": roles,
            })
        })
        .collect();
    if a.json {
        emit_json(io, &json!({"version": cat.version(), "permissions": rows}));
    } else {
        let mut t = String::new();
        for r in &rows {
            let _ = writeln!(
                t,
                "{:<40} {:<10} {}{}",
                r["name"].as_str().unwrap_or(""),
                r["roles"][0].as_str().unwrap_or(""),
                r["routes"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
                if r["step_up"] == true {
                    "  [MFA step-up]"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(t, "{} permission(s), catalog {}", rows.len(), cat.version());
        io.out(&t);
    }
    Ok(if rows.is_empty() { 1 } else { 0 })
}

fn sigv4(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    let a = Args::parse(args, &["secret-file"])?;
    let (Some("explain"), Some(file)) = (
        a.positional.first().map(String::as_str),
        a.positional.get(1),
    ) else {
        return Err(Bad("usage: sigv4 explain REQUEST --secret-file FILE".into()));
    };
    let secret_file = a
        .flags
        .iter()
        .find(|(k, _)| k == "secret-file")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Bad("--secret-file is required (the secret is never an argument)".into()))?;
    let text = io.read(file).map_err(|e| Bad(format!("{file}: {e}")))?;
    let req: clouddigit_core::sigv4::RequestText =
        clouddigit_core::json::from_json(&text, file).map_err(Bad)?;
    let secret = io
        .read(&secret_file)
        .map_err(|e| Bad(format!("{secret_file}: {e}")))?;
    let e = req
        .explain(secret.trim())
        .map_err(|e| Bad(format!("{file}: {e} ({})", e.code())))?;
    if a.json {
        emit_json(io, &serde_json::to_value(&e).unwrap_or(Value::Null));
    } else {
        let mut t = String::new();
        let _ = writeln!(t, "key id:           {}", e.access_key_id);
        let _ = writeln!(t, "scope:            {}", e.scope);
        let _ = writeln!(t, "signed headers:   {}", e.signed_headers.join(";"));
        let _ = writeln!(t, "\ncanonical request:\n{}\n", e.canonical_request);
        let _ = writeln!(t, "string to sign:\n{}\n", e.string_to_sign);
        let _ = writeln!(t, "signature given:    {}", e.given_signature);
        let _ = writeln!(t, "signature expected: {}", e.expected_signature);
        let _ = writeln!(
            t,
            "{}",
            if e.matches {
                "they match: the secret signed this request"
            } else {
                "they differ: another secret, or the request changed after signing (compare the canonical request with the client's)"
            }
        );
        io.out(&t);
    }
    Ok(if e.matches { 0 } else { 1 })
}

const TRUST_USAGE: &str = "usage: trust check --trust FILE --jwt FILE|- [--jwks FILE] [--now T] | trust validate FILE [--account-projects P,Q]";

fn trust(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    match args.split_first() {
        Some((sub, rest)) if sub == "check" => trust_check(rest, io),
        Some((sub, rest)) if sub == "validate" => trust_validate(rest, io),
        _ => Err(Bad(TRUST_USAGE.into())),
    }
}

/// A file's text, the error naming the file.
fn read_text(io: &mut dyn CliIo, path: &str) -> Res<String> {
    io.read(path).map_err(|e| Bad(format!("{path}: {e}")))
}

#[cfg(not(feature = "jwt"))]
fn trust_check(_: &[String], _: &mut dyn CliIo) -> Res<i32> {
    Err(Bad(
        "this build of clouddigit reads no JWTs (built without the jwt feature)".into(),
    ))
}

#[cfg(feature = "jwt")]
fn trust_check(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    use clouddigit_core::oidc::{check_trust, read_trusts};
    let a = Args::parse(args, &["trust", "jwt", "jwks", "now"])?;
    if !a.positional.is_empty() {
        return Err(Bad(TRUST_USAGE.into()));
    }
    let trust_path = a
        .one("trust")
        .ok_or_else(|| Bad("--trust FILE is required (one trust or a list)".into()))?;
    let jwt_path = a
        .one("jwt")
        .ok_or_else(|| Bad("--jwt FILE is required (- for standard input)".into()))?;
    let jwt = read_text(io, jwt_path)?;
    let jwt = jwt.trim();
    // Nothing printed may hold the token, not even serde quoting a misplaced one.
    let hide = |line: String| {
        if jwt.is_empty() {
            Bad(line)
        } else {
            Bad(line.replace(jwt, "[the token]"))
        }
    };
    let trusts = read_trusts(
        &read_text(io, trust_path).map_err(|Bad(l)| hide(l))?,
        trust_path,
    )
    .map_err(hide)?;
    let jwks = match a.one("jwks") {
        Some(p) => Some((p, read_text(io, p).map_err(|Bad(l)| hide(l))?)),
        None => None,
    };
    let now = time_arg(io, a.one("now"), "--now")?;
    let r = check_trust(jwt, &trusts, now, jwks.as_ref().map(|(_, t)| t.as_str()));
    // A file that is no token, or no JWKS, is bad input rather than a refusal.
    if r.claims.is_none() {
        return Err(Bad(format!("{jwt_path}: {}", r.signature_detail)));
    }
    if let (Some((path, _)), "bad_jwks") = (&jwks, r.signature.as_str()) {
        return Err(hide(format!("{path}: {}", r.signature_detail)));
    }
    if a.json {
        emit_json(io, &serde_json::to_value(&r).unwrap_or(Value::Null));
        return Ok(if r.accepted { 0 } else { 1 });
    }
    let mut t = String::new();
    if let Some(c) = &r.claims {
        let quoted =
            |v: &Option<String>| v.as_ref().map_or("(none)".to_owned(), |s| format!("{s:?}"));
        let when = |n: Option<i64>| {
            n.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map_or("(none)".to_owned(), |d| {
                    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                })
        };
        let _ = writeln!(t, "token:     {} key {}", c.alg, quoted(&c.kid));
        let _ = writeln!(t, "  iss      {}", quoted(&c.iss));
        let _ = writeln!(t, "  sub      {}", quoted(&c.sub));
        let _ = writeln!(t, "  aud      {:?}", c.aud);
        let _ = writeln!(t, "  exp      {}", when(c.exp));
        if c.nbf.is_some() {
            let _ = writeln!(t, "  nbf      {}", when(c.nbf));
        }
        let _ = writeln!(t, "  iat      {}", when(c.iat));
    }
    let sig = match r.signature.as_str() {
        "ok" => "ok".to_owned(),
        "not_checked" => "NOT CHECKED".to_owned(),
        code => format!("REFUSED ({code})"),
    };
    let _ = writeln!(t, "signature: {sig}: {}", r.signature_detail);
    for (m, trust) in r.matches.iter().zip(&trusts) {
        let label = if m.trust.is_empty() {
            format!("{:?}", trust.spec.name)
        } else {
            m.trust.clone()
        };
        let _ = writeln!(
            t,
            "trust {label}: {}",
            if m.matched {
                "matches"
            } else {
                "does not match"
            }
        );
        for c in &m.checks {
            let _ = writeln!(
                t,
                "    {}  {:<10} {}",
                if c.passed { "pass" } else { "FAIL" },
                <&str>::from(c.check),
                c.detail
            );
        }
    }
    let _ = writeln!(t, "{}", r.message);
    io.out(&t);
    Ok(if r.accepted { 0 } else { 1 })
}

fn trust_validate(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    use clouddigit_core::oidc::trust::TrustIssue;
    use clouddigit_core::oidc::{read_trusts, validate_trust};
    let a = Args::parse(args, &["account-projects"])?;
    let [path] = a.positional.as_slice() else {
        return Err(Bad("give one trust file (one trust or a list)".into()));
    };
    let text = read_text(io, path)?;
    let trusts = read_trusts(&text, path).map_err(Bad)?;
    let given: Option<Vec<String>> = a.one("account-projects").map(|p| {
        p.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let mut any_errors = false;
    let mut results = Vec::new();
    let mut t = String::new();
    for trust in &trusts {
        // Without --account-projects the trust's own projects are taken as reachable: the
        // check needs the account, which a file does not name.
        let projects = given
            .clone()
            .unwrap_or_else(|| trust.spec.projects.clone().unwrap_or_default());
        let v = validate_trust(&trust.spec, &projects, Catalog::builtin());
        any_errors |= !v.ok();
        let label = if trust.id.is_empty() {
            format!("{:?}", trust.spec.name)
        } else {
            trust.id.clone()
        };
        let lines = |t: &mut String, kind: &str, list: &[TrustIssue]| {
            for i in list {
                let _ = writeln!(
                    t,
                    "{kind} {}: {} [{}]",
                    i.field,
                    i.message,
                    <&str>::from(i.code)
                );
            }
        };
        if trusts.len() > 1 {
            let _ = writeln!(t, "trust {label}:");
        }
        lines(&mut t, "error  ", &v.errors);
        lines(&mut t, "warning", &v.warnings);
        let _ = writeln!(t, "{}", if v.ok() { "valid" } else { "not valid" });
        results.push(v);
    }
    if given.is_none() && trusts.iter().any(|t| t.spec.projects.is_some()) {
        let _ = writeln!(
            t,
            "(projects not checked against an account: give --account-projects)"
        );
    }
    if a.json {
        let v = if text.trim_start().starts_with('[') {
            serde_json::to_value(&results)
        } else {
            serde_json::to_value(&results[0])
        };
        emit_json(io, &v.unwrap_or(Value::Null));
    } else {
        io.out(&t);
    }
    Ok(if any_errors { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Mem {
        files: BTreeMap<String, String>,
        out: String,
        err: String,
    }

    impl CliIo for Mem {
        fn read(&mut self, path: &str) -> Result<String, String> {
            self.files
                .get(path)
                .cloned()
                .ok_or_else(|| "no such file".to_owned())
        }
        fn list_files(&mut self, path: &str, skip: &[&str]) -> Result<Vec<String>, String> {
            Ok(self
                .files
                .keys()
                .filter(|k| k.starts_with(path) && !k.split('/').any(|c| skip.contains(&c)))
                .cloned()
                .collect())
        }
        fn out(&mut self, t: &str) {
            self.out.push_str(t);
        }
        fn err(&mut self, t: &str) {
            self.err.push_str(t);
        }
        fn now(&self) -> Timestamp {
            "2026-11-23T10:00:00Z".parse().unwrap_or_default()
        }
    }

    fn run_with(files: &[(&str, &str)], args: &[&str]) -> (i32, Mem) {
        let mut io = Mem::default();
        for (k, v) in files {
            io.files.insert((*k).into(), (*v).into());
        }
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let code = run(&args, &mut io);
        (code, io)
    }

    const TOKEN: &str = r#"{"id":"t","name":"n","prefix":"cd_aaaaaa","owner":{"type":"user","id":"u"},"organization":"acme","projects":["web"],"permissions":["compute.servers.list"],"created_at":"2026-11-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z","allowed_ips":["203.0.113.0/24"]}"#;
    const OWNER: &str = r#"{"type":"user","id":"u","organization":"acme","status":"active","project_roles":{"web":"member"}}"#;

    #[test]
    fn sigv4_explain_works_out_a_botocore_signature() {
        let vectors: Value =
            serde_json::from_str(include_str!("../../tests/vectors/sigv4.json")).unwrap();
        let case = &vectors["cases"][1]; // PutObject with a signed payload hash
        let r = &case["request"];
        let request = json!({
            "method": r["method"],
            "url": format!("http://127.0.0.1:8788{}", r["path"].as_str().unwrap()),
            "headers": r["headers"],
        })
        .to_string();
        let secret = case["secret"].as_str().unwrap();
        let (code, io) = run_with(
            &[("req.json", &request), ("secret", secret)],
            &["sigv4", "explain", "req.json", "--secret-file", "secret"],
        );
        assert_eq!(code, 0, "{}{}", io.out, io.err);
        assert!(
            io.out.contains("PUT\n/web-assets/photos/2026/cat.jpg\n"),
            "{}",
            io.out
        );
        assert!(io.out.contains("they match"), "{}", io.out);
        assert!(!io.out.contains(secret));
        let (code, io) = run_with(
            &[("req.json", &request), ("secret", "another")],
            &[
                "sigv4",
                "explain",
                "req.json",
                "--secret-file",
                "secret",
                "--json",
            ],
        );
        assert_eq!(code, 1, "{}{}", io.out, io.err);
        let v: Value = serde_json::from_str(&io.out).unwrap();
        assert_eq!(v["matches"], false);
        assert_ne!(v["expected_signature"], v["given_signature"]);
        // The secret is never an argument.
        let (code, io) = run_with(&[("req.json", &request)], &["sigv4", "explain", "req.json"]);
        assert_eq!(code, 2);
        assert!(io.err.contains("--secret-file"), "{}", io.err);
    }

    #[test]
    fn check_exit_codes() {
        let files = [("t.json", TOKEN), ("o.json", OWNER)];
        let (code, io) = run_with(
            &files,
            &[
                "check",
                "--token",
                "t.json",
                "--owner",
                "o.json",
                "--action",
                "compute.servers.list",
                "--project",
                "web",
                "--ip",
                "203.0.113.5",
            ],
        );
        assert_eq!(code, 0, "{}{}", io.out, io.err);
        assert!(io.out.starts_with("ALLOW"));
        let (code, io) = run_with(
            &files,
            &[
                "check",
                "--token",
                "t.json",
                "--owner",
                "o.json",
                "--call",
                "POST /v1/compute/servers",
                "--project",
                "web",
                "--ip",
                "203.0.113.5",
                "--json",
            ],
        );
        assert_eq!(code, 1);
        let v: Value = serde_json::from_str(&io.out).unwrap();
        assert_eq!(v[0]["decision"]["reason"], "not_in_token_permissions");
        let bad = r#"{"id":"t","name":"n","owner":{"type":"user","id":"u"},"organization":"acme","projects":["web"],"permissions":["compute.servers.lst"],"created_at":"2026-11-01T00:00:00Z"}"#;
        let (code, io) = run_with(
            &[("t.json", bad), ("o.json", OWNER)],
            &[
                "check",
                "--token",
                "t.json",
                "--owner",
                "o.json",
                "--action",
                "x.y.z",
                "--project",
                "web",
            ],
        );
        assert_eq!(code, 2);
        assert_eq!(io.err.lines().count(), 1, "{}", io.err);
        assert!(
            io.err.contains("t.json")
                && io.err.contains("permissions[0]")
                && io.err.contains("compute.servers.list"),
            "{}",
            io.err
        );
        let (code, io) = run_with(
            &[("t.json", "{\"id\": 3}"), ("o.json", OWNER)],
            &[
                "check", "--token", "t.json", "--owner", "o.json", "--action", "a",
            ],
        );
        assert_eq!(code, 2);
        assert!(io.err.contains("t.json: id:"), "{}", io.err);
    }

    #[test]
    fn scan_reports_prefixes_only() {
        let random = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
        let tok = format!("cd_{random}{}", clouddigit_core::secret::checksum(random));
        let (code, io) = run_with(
            &[
                ("src/a.env", &format!("X=1\nTOKEN={tok}\n")),
                ("src/b.txt", "nothing"),
                ("src/node_modules/x.js", &tok),
                ("src/blob.bin", &format!("\0{tok}")),
            ],
            &["scan", "src"],
        );
        assert_eq!(code, 1);
        assert_eq!(io.out, "src/a.env:2:7: Cloud Digit token cd_a1B2c3…\n");
        assert!(!io.out.contains(&tok[9..]) && !io.err.contains(&tok[9..]));
        let (code, _) = run_with(&[("src/b.txt", "nothing")], &["scan", "src"]);
        assert_eq!(code, 0);
    }

    #[test]
    fn other_commands() {
        let (code, io) = run_with(&[("calls.txt", "GET /v1/compute/servers\n{\"method\":\"GET\",\"path\":\"/v1/compute/servers/s1\"}\n")], &["least-privilege", "calls.txt", "--json"]);
        assert_eq!(code, 0, "{}", io.err);
        let v: Value = serde_json::from_str(&io.out).unwrap();
        assert_eq!(
            v["permissions"],
            json!(["compute.servers.get", "compute.servers.list"])
        );
        let (code, io) = run_with(&[], &["catalog", "object_lock"]);
        assert_eq!(code, 0);
        assert!(
            io.out.contains("storage.buckets.disable_object_lock")
                && io.out.contains("MFA step-up")
        );
        let (code, io) = run_with(&[], &["frobnicate"]);
        assert_eq!(code, 2);
        assert!(io.err.contains("unknown command"));
        let (code, io) = run_with(&[("inv.jsonl", "{\"id\":1}\n")], &["lint", "inv.jsonl"]);
        assert_eq!(code, 2);
        assert!(
            io.err.starts_with("clouddigit lint: inv.jsonl:1:"),
            "{}",
            io.err
        );
    }
}
