//! `clouddigit scan`: find Cloud Digit secrets in files, in standard input or in a git
//! repository's history, and report them by prefix only.
//!
//! What is a secret is the core's rule (`clouddigit_core::scan`: format and checksum);
//! what the command does with one (the allow comment, the baseline, SARIF, the order and
//! text of the report) is this module's. The hosts only move bytes:
//!
//! * a directory walk ([`CliIo::walk_scan`]): the host walks the roots (in parallel if it
//!   can, honouring `.gitignore` when asked), reads each file as bytes and hands over
//!   through [`ScanVisitor::candidate`] only the files that contain one of the core's
//!   [`SCAN_LITERALS`]; that prefilter only saves work, the core decides;
//! * history (`--git`): this module runs `git` through [`CliIo::git`] (a subprocess:
//!   the user's own git reads the repository as they see it — packs, alternates,
//!   worktrees, `safe.directory` — and neither package carries a git implementation),
//!   lists every blob each commit reachable from the refs introduced, and reads them with
//!   `git cat-file --batch`; the parsing is here, once, for both hosts.
//!
//! Found secrets are [`Finding`]s: where, which kind, the prefix and a fingerprint, and
//! the secret itself behind [`Finding::secret`] (wiped on drop, never `Debug` or
//! `Display`) for the online steps: a check of whether it is live (`--verify`) and a
//! signed report to a secret-scanning partner (`--report-to`, [`crate::report`]).

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::sync::Mutex;

use serde_json::{json, Value};
use zeroize::Zeroizing;

use clouddigit_core::scan::{decoded_secret, fingerprint, scan_lines, SCAN_LITERALS};
use clouddigit_core::secret::SecretKind;

use super::{emit_json, Args, Bad, CliIo, Res, BINARY_SNIFF_BYTES, SCAN_SKIP_DIRS};

/// A line containing this text is not reported (`# clouddigit:allow`, `// clouddigit:allow`,
/// in any comment syntax): for test fixtures and documentation that must hold a
/// well-formed secret. Anything may follow it (a reason).
pub const ALLOW_MARKER: &str = "clouddigit:allow";

/// How long a scan runs before the host draws a progress line (on a terminal only).
pub const PROGRESS_AFTER_MS: u64 = 1000;

/// The label of standard input (`--stdin`) in reports.
pub const STDIN_LABEL: &str = "<stdin>";

/// What the host's walk is asked to do. Every rule in it comes from here.
pub struct ScanWalk<'a> {
    /// Files or directories, as the user gave them. A path the walk reports is its root
    /// joined with the names below it (`root/sub/file`), unnormalized.
    pub roots: &'a [String],
    /// Directory names never entered (dependencies, build output, VCS data).
    pub skip_dirs: &'a [&'a str],
    /// The prefilter: hand over only files containing one of these (byte strings).
    pub literals: &'a [&'a str],
    /// Whether to honour `.gitignore`, `.git/info/exclude` and git's global excludes
    /// (inside a git work tree only, as git does). Hidden files are scanned; symbolic
    /// links are not followed. A root that is a file is always scanned.
    pub gitignore: bool,
}

/// Files a walk went through (read, whether handed over or not).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WalkTotals {
    pub files: u64,
    pub bytes: u64,
}

/// What the host's walk calls, from any number of threads at once.
pub trait ScanVisitor: Sync {
    /// A file that may hold a secret (it contains one of the walk's literals): its path
    /// as the walk names it, and its bytes.
    fn candidate(&self, path: &str, bytes: &[u8]);
    /// The progress line to draw on standard error now (with `\r`, no newline), or
    /// `None`. The host calls it as often as it likes (every few hundred files), with
    /// the totals so far and the time since the walk began.
    fn progress(&self, files: u64, bytes: u64, elapsed_ms: u64) -> Option<String>;
}

/// The progress line for a scan on a terminal, `None` before [`PROGRESS_AFTER_MS`].
pub fn progress_line(files: u64, bytes: u64, elapsed_ms: u64) -> Option<String> {
    (elapsed_ms >= PROGRESS_AFTER_MS).then(|| {
        format!(
            "\r\x1b[Kscanning: {files} file(s), {} MB, {}.{} s",
            bytes / 1_000_000,
            elapsed_ms / 1000,
            elapsed_ms % 1000 / 100
        )
    })
}

/// The default walk, for hosts with no walk of their own (tests): sequential, through
/// [`CliIo::list_files`] and [`CliIo::read`], no `.gitignore`.
pub(crate) fn default_walk(
    io: &mut (impl CliIo + ?Sized),
    walk: &ScanWalk<'_>,
    visit: &dyn ScanVisitor,
) -> Result<WalkTotals, String> {
    let mut totals = WalkTotals::default();
    for root in walk.roots {
        for f in io
            .list_files(root, walk.skip_dirs)
            .map_err(|e| format!("{root}: {e}"))?
        {
            let Ok(text) = io.read(&f) else { continue };
            totals.files += 1;
            totals.bytes += text.len() as u64;
            if walk.literals.iter().any(|l| text.contains(l)) {
                visit.candidate(&f, text.as_bytes());
            }
        }
    }
    Ok(totals)
}

/// A found secret's value: wiped when dropped, never printed (no `Debug`, no `Display`,
/// no `Clone`, no `Serialize`).
pub struct FoundSecret(Zeroizing<String>);

impl FoundSecret {
    /// The secret, decoded (`cd_…` even where it was written `cd%5F…`). Named so that
    /// every reader stands out in review: only the online steps may send it, `--verify`
    /// to the API and `--report-to` to the partner endpoint the user names.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

/// One secret found.
pub struct Finding {
    /// The file as the walk named it, the path in the commit's tree, or [`STDIN_LABEL`].
    pub file: String,
    /// `--git`: the commit that introduced the blob.
    pub commit: Option<String>,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The secret's length as written, in characters.
    pub length: usize,
    pub kind: SecretKind,
    /// The kind's prefix and 6 characters: the most any output shows.
    pub prefix: String,
    /// [`clouddigit_core::scan::fingerprint`]: for baselines and SARIF.
    pub fingerprint: String,
    secret: FoundSecret,
}

impl Finding {
    /// The secret itself, for `--verify` (an online check of whether it is live) and
    /// `--report-to` (a signed report to a secret-scanning partner).
    pub fn secret(&self) -> &FoundSecret {
        &self.secret
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "file": self.file, "line": self.line, "column": self.column,
            "prefix": self.prefix, "kind": self.kind.as_str(), "fingerprint": self.fingerprint,
        });
        if let (Some(c), Some(m)) = (&self.commit, v.as_object_mut()) {
            m.insert("commit".into(), json!(c));
        }
        v
    }
}

impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("file", &self.file)
            .field("commit", &self.commit)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("kind", &self.kind)
            .field("prefix", &self.prefix)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Whether `bytes` is a binary file (a NUL among its first bytes): skipped, as by grep.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

/// Every secret in one file's bytes not on an allowed line. Invalid UTF-8 is read
/// lossily (columns count the replacement characters).
pub fn scan_bytes(file: &str, commit: Option<&str>, bytes: &[u8]) -> (Vec<Finding>, usize) {
    let mut found = Vec::new();
    let mut allowed = 0;
    if is_binary(bytes) {
        return (found, allowed);
    }
    let text = String::from_utf8_lossy(bytes);
    scan_lines(&text, |line_no, column, m, line| {
        if line.contains(ALLOW_MARKER) {
            allowed += 1;
            return;
        }
        let written = &line[m.start..m.end];
        found.push(Finding {
            file: file.to_owned(),
            commit: commit.map(str::to_owned),
            line: line_no,
            column,
            length: written.chars().count(),
            kind: m.kind,
            prefix: m.prefix.clone(),
            fingerprint: fingerprint(written),
            secret: FoundSecret(decoded_secret(written)),
        });
    });
    (found, allowed)
}

/// The scan's side of a walk: findings from every thread.
struct Collector {
    tty: bool,
    state: Mutex<(Vec<Finding>, usize)>,
}

impl Collector {
    fn new(tty: bool) -> Self {
        Collector {
            tty,
            state: Mutex::new((Vec::new(), 0)),
        }
    }

    fn add(&self, file: &str, commit: Option<&str>, bytes: &[u8]) {
        let (found, allowed) = scan_bytes(file, commit, bytes);
        if found.is_empty() && allowed == 0 {
            return;
        }
        let mut s = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        s.0.extend(found);
        s.1 += allowed;
    }

    fn finish(self) -> (Vec<Finding>, usize) {
        match self.state.into_inner() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl ScanVisitor for Collector {
    fn candidate(&self, path: &str, bytes: &[u8]) {
        self.add(path, None, bytes);
    }
    fn progress(&self, files: u64, bytes: u64, elapsed_ms: u64) -> Option<String> {
        if self.tty {
            progress_line(files, bytes, elapsed_ms)
        } else {
            None
        }
    }
}

/// Whether `hay` contains one of the prefilter's literals.
fn has_literal(hay: &[u8]) -> bool {
    SCAN_LITERALS
        .iter()
        .any(|l| memchr::memmem::find(hay, l.as_bytes()).is_some())
}

/// A baseline file: what `--write-baseline` writes, `--baseline` reads. JSON; only the
/// fingerprints count, the rest is for the reader (never more than the prefix).
fn baseline_json(found: &[Finding]) -> Value {
    let items: Vec<Value> = found
        .iter()
        .map(|f| {
            let mut v = json!({"fingerprint": f.fingerprint, "kind": f.kind.as_str(), "prefix": f.prefix,
                               "file": f.file, "line": f.line});
            if let (Some(c), Some(m)) = (&f.commit, v.as_object_mut()) {
                m.insert("commit".into(), json!(c));
            }
            v
        })
        .collect();
    json!({
        "clouddigit_scan_baseline": 1,
        "fingerprint": "sha256(\"clouddigit-scan-v1:\" + secret)[..16], hex",
        "findings": items,
    })
}

fn read_baseline(text: &str, path: &str) -> Res<HashSet<String>> {
    let v: Value = super::parse_json(text, path)?;
    if v.get("clouddigit_scan_baseline").and_then(Value::as_u64) != Some(1) {
        return Err(Bad(format!(
            "{path}: not a clouddigit scan baseline (write one with --write-baseline)"
        )));
    }
    let items = v
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| Bad(format!("{path}: findings: expected a list")))?;
    let mut out = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let fp = item
            .get("fingerprint")
            .and_then(Value::as_str)
            .filter(|f| f.len() == 32 && f.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                Bad(format!(
                    "{path}: findings[{i}].fingerprint: expected 32 hex digits"
                ))
            })?;
        out.insert(fp.to_ascii_lowercase());
    }
    Ok(out)
}

/// The SARIF rule of each kind: (id, name, what it is).
fn rule(kind: SecretKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        SecretKind::ApiToken => (
            "clouddigit/api-token",
            "CloudDigitApiToken",
            "Cloud Digit API token",
        ),
        SecretKind::ClientSecret => (
            "clouddigit/client-secret",
            "CloudDigitClientSecret",
            "Cloud Digit OAuth client secret",
        ),
        SecretKind::AccessKeySecret => (
            "clouddigit/access-key-secret",
            "CloudDigitAccessKeySecret",
            "Cloud Digit S3 access key secret",
        ),
    }
}

fn label(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::ApiToken => "Cloud Digit token",
        SecretKind::ClientSecret => "Cloud Digit client secret",
        SecretKind::AccessKeySecret => "Cloud Digit access key secret",
    }
}

/// A path as a SARIF artifact URI: forward slashes, relative paths without `./`,
/// percent-encoded outside RFC 3986's unreserved characters and `/`.
fn sarif_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let mut out = String::with_capacity(p.len());
    if p.starts_with('/') {
        out.push_str("file://");
    }
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// SARIF 2.1.0, as GitHub code scanning reads it: one rule per kind, one result per
/// finding with its region and a partial fingerprint (the secret's), the prefix only.
pub fn sarif(found: &[Finding]) -> Value {
    let rules: Vec<Value> = SecretKind::ALL
        .iter()
        .map(|k| {
            let (id, name, what) = rule(*k);
            json!({
                "id": id, "name": name,
                "shortDescription": {"text": format!("{what} in the source")},
                "fullDescription": {"text": format!("A {what} (format and checksum valid) is written in a file. Anyone who can read the file can use it.")},
                "help": {"text": format!("Revoke or rotate the {what} (clouddigit tokens rotate), then remove it from the file and from history. A line holding the marker {ALLOW_MARKER} is not reported; known findings can be kept in a baseline (--baseline)."),
                         "markdown": format!("Revoke or rotate the {what}, then remove it from the file and from history. A line holding `{ALLOW_MARKER}` is not reported; known findings can be kept in a baseline (`--baseline`).")},
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["security", "secret"], "precision": "very-high", "security-severity": "9.0"},
            })
        })
        .collect();
    let results: Vec<Value> = found
        .iter()
        .map(|f| {
            let (id, _, what) = rule(f.kind);
            let index = SecretKind::ALL.iter().position(|k| *k == f.kind).unwrap_or(0);
            let mut r = json!({
                "ruleId": id, "ruleIndex": index, "level": "error",
                "message": {"text": format!("{what} {}… (format and checksum valid)", f.prefix)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": sarif_uri(&f.file)},
                    "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.line, "endColumn": f.column + f.length},
                }}],
                "partialFingerprints": {"clouddigitSecret/v1": f.fingerprint},
            });
            if let (Some(c), Some(m)) = (&f.commit, r.as_object_mut()) {
                m.insert("properties".into(), json!({"commit": c}));
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "clouddigit",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/clouddigit-bd/clouddigit",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Blobs of a history, each with the first commit (oldest first) and path that has it.
struct HistoryBlob {
    id: String,
    commit: String,
    path: String,
}

/// Reads `git log --reverse -m --raw -z --format=%x01%H` output: every blob a commit
/// added or changed (deletions, submodules and repeats left out), in order.
fn parse_git_log(raw: &[u8]) -> Vec<HistoryBlob> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut commit = String::new();
    let mut fields = raw.split(|b| *b == 0).peekable();
    while let Some(field) = fields.next() {
        let field = field.trim_ascii_start();
        if let Some(c) = field.strip_prefix(b"\x01") {
            commit = String::from_utf8_lossy(c).trim().to_owned();
            continue;
        }
        // `:old_mode new_mode old_id new_id status`, then the path.
        let Some(meta) = field.strip_prefix(b":") else {
            continue;
        };
        let Some(path) = fields.next() else { break };
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.split(' ').collect();
        let [_, new_mode, _, new_id, status] = parts.as_slice() else {
            continue;
        };
        let blob_mode = new_mode.starts_with("100") || *new_mode == "120000";
        if !blob_mode || status.starts_with('D') || new_id.bytes().all(|b| b == b'0') {
            continue;
        }
        if seen.insert((*new_id).to_owned()) {
            out.push(HistoryBlob {
                id: (*new_id).to_owned(),
                commit: commit.clone(),
                path: String::from_utf8_lossy(path).into_owned(),
            });
        }
    }
    out
}

/// How many blobs one `git cat-file --batch` reads: bounds the host's memory.
const BLOBS_PER_BATCH: usize = 500;

fn scan_history(
    io: &mut dyn CliIo,
    repo: &str,
    refs: &[String],
    collector: &Collector,
) -> Res<WalkTotals> {
    let mut args: Vec<String> = [
        "log",
        "--reverse",
        "-m",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--format=%x01%H",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(refs.iter().cloned());
    args.push("--".into());
    let log = io
        .git(repo, &args, &[])
        .map_err(|e| Bad(format!("--git: {e}")))?;
    let blobs = parse_git_log(&log);
    let mut totals = WalkTotals::default();
    let batch_args = vec!["cat-file".to_owned(), "--batch".to_owned()];
    for chunk in blobs.chunks(BLOBS_PER_BATCH) {
        let mut input = String::new();
        for b in chunk {
            input.push_str(&b.id);
            input.push('\n');
        }
        let raw = io
            .git(repo, &batch_args, input.as_bytes())
            .map_err(|e| Bad(format!("--git: {e}")))?;
        let by_id: HashMap<&str, &HistoryBlob> = chunk.iter().map(|b| (b.id.as_str(), b)).collect();
        let mut rest = raw.as_slice();
        // `<id> <type> <size>\n<content>\n`, or `<id> missing\n`.
        while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
            let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
            rest = &rest[nl + 1..];
            let parts: Vec<&str> = header.split(' ').collect();
            let [id, kind, size] = parts.as_slice() else {
                continue;
            };
            let Ok(size) = size.parse::<usize>() else {
                continue;
            };
            let Some(content) = rest.get(..size) else {
                break;
            };
            rest = rest.get(size + 1..).unwrap_or_default();
            totals.files += 1;
            totals.bytes += size as u64;
            if *kind == "blob" && has_literal(content) {
                if let Some(b) = by_id.get(id) {
                    collector.add(&b.path, Some(&b.commit), content);
                }
            }
        }
    }
    Ok(totals)
}

const SCAN_USAGE: &str = "usage: scan PATH... | scan --stdin | scan --git [REF...] [--repo DIR]";

/// `clouddigit scan`.
/// A scan's findings and what the report needs to say about them.
pub(crate) struct Scanned {
    pub found: Vec<Finding>,
    totals: WalkTotals,
    known: usize,
    allowed: usize,
    git: bool,
    sarif_out: bool,
    json: bool,
}

/// What `--verify` learned of a finding from the API (never more than its prefix shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `live`, `revoked`, `rotated`, `expired`, `owner_inactive`, `unknown`, `unverified`.
    pub status: String,
    pub detail: String,
}

/// What `--report-to` learned: where the report went (the endpoint's host) and the
/// endpoint's answer, one per finding.
#[derive(Debug, Clone, Copy)]
pub struct Reported<'a> {
    pub to: &'a str,
    pub outcomes: &'a [crate::report::Outcome],
}

pub(crate) fn scan(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    match collect(args, io)? {
        Some(scanned) => Ok(report(io, &scanned, None, None)),
        None => Ok(0),
    }
}

/// Walks and finds; `None` when `--write-baseline` has already done the command's work.
pub(crate) fn collect(args: &[String], io: &mut dyn CliIo) -> Res<Option<Scanned>> {
    let mut sarif_out = false;
    let mut stdin = false;
    let mut git = false;
    let mut no_gitignore = false;
    let mut rest = Vec::new();
    for a in args {
        match a.as_str() {
            "--sarif" => sarif_out = true,
            "--stdin" => stdin = true,
            "--git" => git = true,
            "--no-gitignore" => no_gitignore = true,
            _ => rest.push(a.clone()),
        }
    }
    let a = Args::parse(&rest, &["baseline", "write-baseline", "repo"])?;
    if sarif_out && a.json {
        return Err(Bad("give --json or --sarif, not both".into()));
    }
    let baseline = match a.one("baseline") {
        Some(p) => read_baseline(&super::read_text(io, p)?, p)?,
        None => HashSet::new(),
    };
    let tty = io.is_tty();
    let collector = Collector::new(tty);
    let started = io.now();
    let totals = if git {
        if stdin {
            return Err(Bad(format!("--git and --stdin: {SCAN_USAGE}")));
        }
        if let Some(r) = a.positional.iter().find(|r| r.starts_with('-')) {
            return Err(Bad(format!("--git: {r:?} is not a ref")));
        }
        let refs = if a.positional.is_empty() {
            vec!["HEAD".to_owned()]
        } else {
            a.positional.clone()
        };
        scan_history(io, a.one("repo").unwrap_or("."), &refs, &collector)?
    } else if stdin {
        if !a.positional.is_empty() || a.one("repo").is_some() {
            return Err(Bad(format!("--stdin takes no paths: {SCAN_USAGE}")));
        }
        let text = super::read_text(io, "-")?;
        collector.add(STDIN_LABEL, None, text.as_bytes());
        WalkTotals {
            files: 1,
            bytes: text.len() as u64,
        }
    } else {
        if a.positional.is_empty() {
            return Err(Bad(format!("give at least one path: {SCAN_USAGE}")));
        }
        if a.one("repo").is_some() {
            return Err(Bad("--repo goes with --git".into()));
        }
        let walk = ScanWalk {
            roots: &a.positional,
            skip_dirs: SCAN_SKIP_DIRS,
            literals: &SCAN_LITERALS,
            gitignore: !no_gitignore,
        };
        io.walk_scan(&walk, &collector).map_err(Bad)?
    };
    if tty && (io.now() - started).num_milliseconds() >= PROGRESS_AFTER_MS as i64 {
        io.err("\r\x1b[K");
    }
    let (mut found, allowed) = collector.finish();
    found.sort_by(|x, y| {
        (&x.file, &x.commit, x.line, x.column).cmp(&(&y.file, &y.commit, y.line, y.column))
    });
    let before = found.len();
    found.retain(|f| !baseline.contains(&f.fingerprint));
    let known = before - found.len();

    if let Some(path) = a.one("write-baseline") {
        let mut text = serde_json::to_string_pretty(&baseline_json(&found)).unwrap_or_default();
        text.push('\n');
        io.write_file(path, &text)
            .map_err(|e| Bad(format!("{path}: {e}")))?;
        io.err(&format!(
            "wrote {} finding(s) to the baseline {path}\n",
            found.len()
        ));
        return Ok(None);
    }
    Ok(Some(Scanned {
        found,
        totals,
        known,
        allowed,
        git,
        sarif_out,
        json: a.json,
    }))
}

/// Prints the findings (with `--verify`'s verdicts and `--report-to`'s answers, one per
/// finding); the exit status: 1 when anything is found, or, once reported, when the
/// endpoint calls any finding a true positive.
pub(crate) fn report(
    io: &mut dyn CliIo,
    s: &Scanned,
    verdicts: Option<&[Verdict]>,
    reported: Option<Reported<'_>>,
) -> i32 {
    let Scanned {
        found,
        totals,
        known,
        allowed,
        git,
        sarif_out,
        json,
    } = s;
    let (known, allowed, git) = (*known, *allowed, *git);
    let verdict = |i: usize| verdicts.and_then(|v| v.get(i));
    let outcome = |i: usize| reported.and_then(|r| r.outcomes.get(i));
    if *sarif_out {
        let mut doc = sarif(found);
        if verdicts.is_some() || reported.is_some() {
            if let Some(results) = doc
                .pointer_mut("/runs/0/results")
                .and_then(Value::as_array_mut)
            {
                for (i, r) in results.iter_mut().enumerate() {
                    let Some(o) = r.as_object_mut() else { continue };
                    let props = o
                        .entry("properties")
                        .or_insert_with(|| json!({}))
                        .as_object_mut();
                    let Some(props) = props else { continue };
                    if let Some(v) = verdict(i) {
                        props.insert("verified".into(), json!(v.status));
                        props.insert("verifiedDetail".into(), json!(v.detail));
                    }
                    if let Some(x) = outcome(i) {
                        props.insert("reportLabel".into(), json!(x.label));
                        props.insert("reportAction".into(), json!(x.action));
                    }
                }
            }
        }
        emit_json(io, &doc);
    } else if *json {
        let items = found
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut v = f.to_json();
                if let (Some(d), Some(o)) = (verdict(i), v.as_object_mut()) {
                    o.insert("verified".into(), json!(d.status));
                    o.insert("verified_detail".into(), json!(d.detail));
                }
                if let (Some(x), Some(o)) = (outcome(i), v.as_object_mut()) {
                    o.insert("label".into(), json!(x.label));
                    o.insert("action".into(), json!(x.action));
                }
                v
            })
            .collect();
        emit_json(io, &Value::Array(items));
    } else {
        let mut t = String::new();
        for (i, f) in found.iter().enumerate() {
            let at = match &f.commit {
                Some(c) => format!("{}:{}", c.get(..12).unwrap_or(c), f.file),
                None => f.file.clone(),
            };
            let _ = write!(
                t,
                "{at}:{}:{}: {} {}…",
                f.line,
                f.column,
                label(f.kind),
                f.prefix
            );
            if let Some(v) = verdict(i) {
                let _ = write!(t, " [{}: {}]", v.status, v.detail);
            }
            if let Some(x) = outcome(i) {
                let _ = write!(t, " [{}, {}]", x.label, x.action);
            }
            t.push('\n');
        }
        io.out(&t);
        let what = if git { "blob(s)" } else { "file(s)" };
        let mut summary = format!(
            "scanned {} {what}: {} token(s) found",
            totals.files,
            found.len()
        );
        if known > 0 {
            let _ = write!(summary, ", {known} in the baseline");
        }
        if allowed > 0 {
            let _ = write!(summary, ", {allowed} allowed ({ALLOW_MARKER})");
        }
        if let Some(v) = verdicts {
            let live = v.iter().filter(|v| v.status == "live").count();
            let _ = write!(summary, "; {live} live");
        }
        if let Some(r) = reported {
            let tp = r.outcomes.iter().filter(|x| x.true_positive()).count();
            let _ = write!(
                summary,
                "; reported to {}: {tp} true positive(s), {} false positive(s)",
                r.to,
                r.outcomes.len() - tp
            );
            for action in ["revoked", "quarantined", "already_revoked"] {
                let n = r.outcomes.iter().filter(|x| x.action == action).count();
                if n > 0 {
                    let _ = write!(summary, ", {n} {}", action.replace('_', " "));
                }
            }
        }
        summary.push('\n');
        io.err(&summary);
    }
    match reported {
        Some(r) if r.outcomes.iter().any(|x| x.true_positive()) => 1,
        Some(_) => 0,
        None if found.is_empty() => 0,
        None => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run;
    use clouddigit_core::Timestamp;
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
                .ok_or_else(|| "no such file or directory".to_owned())
        }
        fn list_files(&mut self, path: &str, skip: &[&str]) -> Result<Vec<String>, String> {
            let v: Vec<String> = self
                .files
                .keys()
                .filter(|k| k.starts_with(path) && !k.split('/').any(|c| skip.contains(&c)))
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
            "2026-11-23T10:00:00Z".parse().unwrap()
        }
        fn write_file(&mut self, path: &str, text: &str) -> Result<(), String> {
            self.files.insert(path.to_owned(), text.to_owned());
            Ok(())
        }
    }

    fn token(random: &str) -> String {
        format!("cd_{random}{}", clouddigit_core::secret::checksum(random))
    }

    fn scan_with(io: &mut Mem, args: &[&str]) -> i32 {
        io.out.clear();
        io.err.clear();
        let mut all = vec!["scan".to_owned()];
        all.extend(args.iter().map(|s| (*s).to_owned()));
        run(&all, io)
    }

    const R1: &str = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
    const R2: &str = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNn";

    #[test]
    fn allow_comment_baseline_and_exit_codes() {
        let (t1, t2) = (token(R1), token(R2));
        let mut io = Mem::default();
        io.files.insert(
            "src/a.env".into(),
            format!(
                "A={t1}
B={t2} # clouddigit:allow test fixture
"
            ),
        );
        io.files.insert(
            "src/b.txt".into(),
            format!(
                "url?t=cd%5F{}
",
                &t2[3..]
            ),
        );
        assert_eq!(scan_with(&mut io, &["src"]), 1, "{}", io.err);
        assert_eq!(
            io.out,
            "src/a.env:1:3: Cloud Digit token cd_a1B2c3…\nsrc/b.txt:1:7: Cloud Digit token cd_Zz9Yy8…\n"
        );
        assert_eq!(
            io.err,
            "scanned 2 file(s): 2 token(s) found, 1 allowed (clouddigit:allow)\n"
        );
        // A baseline of today's findings: nothing new, exit 0.
        assert_eq!(
            scan_with(&mut io, &["src", "--write-baseline", "base.json"]),
            0
        );
        let base = io.files["base.json"].clone();
        assert!(
            !base.contains(&t1[9..]) && !base.contains(&t2[9..]),
            "{base}"
        );
        assert_eq!(scan_with(&mut io, &["src", "--baseline", "base.json"]), 0);
        assert_eq!(io.out, "");
        assert!(
            io.err.contains("0 token(s) found, 2 in the baseline"),
            "{}",
            io.err
        );
        // A new secret (here: the allowed one, once its marker goes) is still reported.
        io.files.insert(
            "src/a.env".into(),
            format!(
                "A={t1}
B={t2}
C={}
",
                token(&R1.replace('a', "b"))
            ),
        );
        assert_eq!(
            scan_with(&mut io, &["src", "--baseline", "base.json", "--json"]),
            1
        );
        let v: Value = serde_json::from_str(&io.out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(v[0]["line"], 3);
        // Bad input: 2, one line.
        io.files.insert("bad.json".into(), "{}".into());
        for args in [
            &["src", "--baseline", "bad.json"][..],
            &["src", "--baseline", "missing.json"],
            &["nowhere"],
            &[],
            &["src", "--json", "--sarif"],
            &["--git", "--stdin"],
            &["--git", "--all"],
            &["src", "--frobnicate"],
        ] {
            assert_eq!(scan_with(&mut io, args), 2, "{args:?}");
            assert_eq!(io.err.lines().count(), 1, "{}", io.err);
            assert!(io.err.starts_with("clouddigit scan: "), "{}", io.err);
        }
    }

    #[test]
    fn stdin_and_sarif_shape() {
        let t1 = token(R1);
        let mut io = Mem::default();
        io.files.insert(
            "-".into(),
            format!(
                "x
  é {t1}
"
            ),
        );
        assert_eq!(scan_with(&mut io, &["--stdin", "--sarif"]), 1, "{}", io.err);
        let v: Value = serde_json::from_str(&io.out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 3);
        assert!(rules
            .iter()
            .all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string()));
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        let r = &results[0];
        assert_eq!(
            r["ruleId"],
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"]
        );
        assert_eq!(r["level"], "error");
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("cd_a1B2c3…"));
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "%3Cstdin%3E");
        assert_eq!(loc["region"]["startLine"], 2);
        assert_eq!(loc["region"]["startColumn"], 5);
        assert_eq!(loc["region"]["endColumn"], 5 + 45);
        assert_eq!(
            r["partialFingerprints"]["clouddigitSecret/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        assert!(!io.out.contains(&t1[9..]));
        // Without a secret: 0, and an empty result list.
        io.files.insert("-".into(), "nothing\n".into());
        assert_eq!(scan_with(&mut io, &["--stdin", "--sarif"]), 0);
        let v: Value = serde_json::from_str(&io.out).unwrap();
        assert_eq!(v["runs"][0]["results"], json!([]));
    }

    #[test]
    fn git_log_parsing_keeps_first_introduction_of_each_blob() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let z = "0".repeat(40);
        let raw = format!(
            "\x01c1\n\0:000000 100644 {z} {a} A\0x.env\0\x01c2\n\0:100644 100644 {a} {b} M\0x.env\0:000000 160000 {z} {b} A\0sub\0\x01c3\n\0:100644 000000 {b} {z} D\0x.env\0:000000 100644 {z} {a} A\0copy.env\0"
        );
        let blobs = parse_git_log(raw.as_bytes());
        let got: Vec<(&str, &str, &str)> = blobs
            .iter()
            .map(|b| (b.id.as_str(), b.commit.as_str(), b.path.as_str()))
            .collect();
        assert_eq!(got, vec![(&*a, "c1", "x.env"), (&*b, "c2", "x.env")]);
    }

    #[test]
    fn sarif_uris() {
        assert_eq!(sarif_uri("./src/a b.env"), "src/a%20b.env");
        assert_eq!(sarif_uri("/abs/x"), "file:///abs/x");
        assert_eq!(sarif_uri("dir\\x"), "dir/x");
    }

    #[test]
    fn finding_debug_hides_the_secret() {
        let random = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
        let tok = format!("cd_{random}{}", clouddigit_core::secret::checksum(random));
        let (found, _) = scan_bytes("f", None, format!("x {tok}").as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].secret().expose_secret(), tok);
        assert!(!format!("{:?}", found[0]).contains(&tok[9..]));
    }
}
