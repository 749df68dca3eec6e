//! `least-privilege` and `lint`: audit exports and inventories of any size, streamed.
//!
//! The host hands over raw bytes ([`CliIo::read_chunks`]); this module detects gzip by
//! its magic bytes and inflates it (one pure-Rust decoder for every host), splits lines
//! and feeds them one at a time to the core's accumulators, so memory stays bounded by
//! the longest line and the catalog, whatever the export's size.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{json, Value};

use clouddigit_core::catalog::Catalog;
use clouddigit_core::least_privilege::{LeastPrivilege, LeastPrivilegeBuilder};
use clouddigit_core::least_privilege_diff::{diff_against, PermissionDiff};
use clouddigit_core::lint::{
    lint_token, AuditUsage, InventoryToken, LintFinding, LintOptions, DEFAULT_UNUSED_DAYS,
};
use clouddigit_core::model::{Role, Token, TokenPolicy};

use super::{emit_json, load, parse_json, time_arg, Args, Bad, CliIo, Res};

/// The longest line an export may hold; a longer one is bad input rather than memory
/// without bound.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Unmapped calls kept as examples (all are counted).
pub const UNMAPPED_EXAMPLES: usize = 100;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Bytes of whole lines handed over at a time: enough to share among threads.
pub const BATCH_BYTES: usize = 4 << 20;

/// Gathers bytes into batches of whole lines (each batch ends at a `\n`, but the last)
/// for `each`, carrying a partial line from one chunk to the next.
struct Lines<'f> {
    buf: Vec<u8>,
    each: &'f mut dyn FnMut(&[u8]) -> Res<()>,
    failed: Option<Bad>,
    what: &'f str,
}

impl Lines<'_> {
    /// Takes the next bytes; false once a batch has failed (the error is kept).
    fn feed(&mut self, data: &[u8]) -> bool {
        if self.failed.is_some() {
            return false;
        }
        match self.feed_inner(data) {
            Ok(()) => true,
            Err(b) => {
                self.failed = Some(b);
                false
            }
        }
    }

    fn feed_inner(&mut self, data: &[u8]) -> Res<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() < BATCH_BYTES {
            return Ok(());
        }
        match memchr::memrchr(b'\n', &self.buf) {
            Some(end) => {
                (self.each)(&self.buf[..=end])?;
                self.buf.drain(..=end);
                Ok(())
            }
            None if self.buf.len() > MAX_LINE_BYTES => Err(Bad(format!(
                "{}: a line longer than {} MiB",
                self.what,
                MAX_LINE_BYTES >> 20
            ))),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Res<()> {
        if let Some(b) = self.failed.take() {
            return Err(b);
        }
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            (self.each)(&rest)?;
        }
        Ok(())
    }
}

/// A line's text without its `\n` or `\r\n`.
fn line_text(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    std::str::from_utf8(bytes.strip_suffix(b"\r").unwrap_or(bytes))
}

/// Each line of `batch` to `each`; the count of lines, or the failing line's number
/// within the batch (from 1), its text and the reason.
fn each_line(
    batch: &[u8],
    each: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<usize, (usize, String, String)> {
    let mut n = 0;
    let mut start = 0;
    while start < batch.len() {
        let end = memchr::memchr(b'\n', &batch[start..]).map_or(batch.len(), |i| start + i + 1);
        n += 1;
        let line = line_text(&batch[start..end])
            .map_err(|e| (n, String::new(), format!("not UTF-8 ({e})")))?;
        each(line).map_err(|m| (n, line.to_owned(), m))?;
        start = end;
    }
    Ok(n)
}

impl std::io::Write for Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.feed(buf) {
            Ok(buf.len())
        } else {
            Err(std::io::Error::other("stopped"))
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Decoder<'f> {
    /// The first bytes, until there are two to tell gzip by.
    Sniffing(Vec<u8>, Lines<'f>),
    Plain(Lines<'f>),
    Gzip(Box<flate2::write::MultiGzDecoder<Lines<'f>>>),
    /// Between states (never seen outside `push`).
    Gone,
}

impl<'f> Decoder<'f> {
    fn push(&mut self, data: &[u8]) -> Result<bool, String> {
        match std::mem::replace(self, Decoder::Gone) {
            Decoder::Sniffing(mut head, lines) => {
                head.extend_from_slice(data);
                if head.len() < GZIP_MAGIC.len() {
                    *self = Decoder::Sniffing(head, lines);
                    return Ok(true);
                }
                *self = if head.starts_with(&GZIP_MAGIC) {
                    Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(lines)))
                } else {
                    Decoder::Plain(lines)
                };
                self.push(&head)
            }
            Decoder::Plain(mut lines) => {
                let go_on = lines.feed(data);
                *self = Decoder::Plain(lines);
                Ok(go_on)
            }
            Decoder::Gzip(mut z) => {
                let r = z.write_all(data);
                let stopped = z.get_ref().failed.is_some();
                *self = Decoder::Gzip(z);
                match r {
                    Ok(()) => Ok(true),
                    Err(_) if stopped => Ok(false),
                    Err(e) => Err(format!("not a valid gzip stream ({e})")),
                }
            }
            Decoder::Gone => Ok(false),
        }
    }

    fn finish(self, what: &str) -> Res<()> {
        match self {
            Decoder::Sniffing(head, mut lines) => {
                lines.feed(&head);
                lines.finish()
            }
            Decoder::Plain(mut lines) => lines.finish(),
            Decoder::Gzip(mut z) => {
                let r = z.try_finish();
                if let Some(b) = z.get_mut().failed.take() {
                    return Err(b);
                }
                r.map_err(|e| Bad(format!("{what}: not a valid gzip stream ({e})")))?;
                match z.finish() {
                    Ok(mut lines) => lines.finish(),
                    Err(e) => Err(Bad(format!("{what}: not a valid gzip stream ({e})"))),
                }
            }
            Decoder::Gone => Ok(()),
        }
    }
}

/// Every batch of whole lines of `path` (`-`: standard input), plain or gzipped, to
/// `each`; the first error stops the read.
fn stream_batches(
    io: &mut dyn CliIo,
    path: &str,
    each: &mut dyn FnMut(&[u8]) -> Res<()>,
) -> Res<()> {
    let lines = Lines {
        buf: Vec::new(),
        each,
        failed: None,
        what: path,
    };
    let mut decoder = Decoder::Sniffing(Vec::new(), lines);
    let mut bad_gzip: Option<String> = None;
    io.read_chunks(path, &mut |chunk| match decoder.push(chunk) {
        Ok(go_on) => go_on,
        Err(e) => {
            bad_gzip = Some(e);
            false
        }
    })
    .map_err(|e| Bad(format!("{path}: {e}")))?;
    if let Some(e) = bad_gzip {
        // A line's own error, if one stopped the stream, says more.
        if let Decoder::Gzip(z) = &mut decoder {
            if let Some(b) = z.get_mut().failed.take() {
                return Err(b);
            }
        }
        return Err(Bad(format!("{path}: {e}")));
    }
    decoder.finish(path)
}

/// The error for line `n` of `path`.
fn bad_line(path: &str, n: usize, line: &str, message: String) -> Bad {
    let label = format!("{path}:{n}");
    if message.starts_with("not UTF-8") {
        return Bad(format!("{label}: {message}"));
    }
    line_error(line, &label, message)
}

/// Every line of `path` (`-`: standard input), plain or gzipped, to `each` with its
/// 1-based number; the first error stops the read.
pub(crate) fn stream_lines(
    io: &mut dyn CliIo,
    path: &str,
    each: &mut dyn FnMut(usize, &str) -> Res<()>,
) -> Res<()> {
    let mut line = 0usize;
    stream_batches(io, path, &mut |batch| {
        let base = line;
        let mut failed: Option<Bad> = None;
        let r = each_line(batch, &mut |text| {
            line += 1;
            each(line, text).map_err(|b| {
                failed = Some(b);
                String::new()
            })
        });
        match (r, failed) {
            (_, Some(b)) => Err(b),
            (Err((n, text, m)), None) => Err(bad_line(path, base + n, &text, m)),
            (Ok(_), None) => Ok(()),
        }
    })
}

/// A line-by-line accumulator of the core whose work splits across threads: a fork
/// takes a later part of a batch, and `absorb` adds it after the earlier part.
pub(crate) trait Accumulate: Send {
    fn line(&mut self, line: &str) -> Result<(), String>;
    fn fork(&self) -> Self;
    fn absorb(&mut self, later: &mut Self);
}

impl Accumulate for LeastPrivilegeBuilder<'_> {
    fn line(&mut self, line: &str) -> Result<(), String> {
        self.add_line(line).map(drop)
    }
    fn fork(&self) -> Self {
        LeastPrivilegeBuilder::fork(self)
    }
    fn absorb(&mut self, later: &mut Self) {
        LeastPrivilegeBuilder::absorb(self, later)
    }
}

impl Accumulate for AuditUsage {
    fn line(&mut self, line: &str) -> Result<(), String> {
        self.add_line(line)
    }
    fn fork(&self) -> Self {
        AuditUsage::new()
    }
    fn absorb(&mut self, later: &mut Self) {
        AuditUsage::absorb(self, later)
    }
}

/// Threads to parse on: every core the host has, up to 8 (1 in wasm, which has none).
fn parse_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `batch` cut into `parts` pieces of whole lines, about equal.
fn split_lines(batch: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(parts);
    let mut rest = batch;
    for k in (1..parts).rev() {
        let want = rest.len() / (k + 1);
        let cut = match memchr::memchr(b'\n', &rest[want..]) {
            Some(i) => want + i + 1,
            None => rest.len(),
        };
        let (a, b) = rest.split_at(cut);
        out.push(a);
        rest = b;
    }
    out.push(rest);
    out
}

/// Every line of `path` into `main`, in order, parsed on [`parse_threads`] threads.
pub(crate) fn stream_into<A: Accumulate>(io: &mut dyn CliIo, path: &str, main: &mut A) -> Res<()> {
    let threads = parse_threads();
    let mut forks: Vec<A> = (1..threads).map(|_| main.fork()).collect();
    let mut line = 0usize;
    stream_batches(io, path, &mut |batch| {
        let parts = if batch.len() < (64 << 10) {
            vec![batch]
        } else {
            split_lines(batch, threads)
        };
        let mut results = Vec::with_capacity(parts.len());
        if parts.len() == 1 {
            results.push(each_line(batch, &mut |l| main.line(l)));
        } else {
            run_parts(&parts, main, &mut forks, &mut results);
        }
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(n) => line += n,
                Err((n, text, m)) => return Err(bad_line(path, line + n, &text, m)),
            }
            if i > 0 {
                main.absorb(&mut forks[i - 1]);
            }
        }
        Ok(())
    })
}

type PartResult = Result<usize, (usize, String, String)>;

#[cfg(not(target_arch = "wasm32"))]
fn run_parts<A: Accumulate>(
    parts: &[&[u8]],
    main: &mut A,
    forks: &mut [A],
    results: &mut Vec<PartResult>,
) {
    std::thread::scope(|s| {
        let handles: Vec<_> = parts[1..]
            .iter()
            .zip(forks.iter_mut())
            .map(|(part, fork)| s.spawn(move || each_line(part, &mut |l| fork.line(l))))
            .collect();
        results.push(each_line(parts[0], &mut |l| main.line(l)));
        for h in handles {
            results.push(h.join().unwrap_or_else(|_| {
                Err((1, String::new(), "a parsing thread stopped".to_owned()))
            }));
        }
    });
}

#[cfg(target_arch = "wasm32")]
fn run_parts<A: Accumulate>(
    parts: &[&[u8]],
    main: &mut A,
    forks: &mut [A],
    results: &mut Vec<PartResult>,
) {
    results.push(each_line(parts[0], &mut |l| main.line(l)));
    for (part, fork) in parts[1..].iter().zip(forks.iter_mut()) {
        results.push(each_line(part, &mut |l| fork.line(l)));
    }
}

/// The error for line `label` that the core refused with `message`: serde's own, with
/// the field's place, when the line is no JSON at all.
fn line_error(line: &str, label: &str, message: String) -> Bad {
    match parse_json::<Value>(line.trim(), label) {
        Err(b) => b,
        Ok(_) => Bad(format!("{label}: {message}")),
    }
}

pub(crate) fn role_arg(text: Option<&str>) -> Res<Option<Role>> {
    match text {
        Some(r) => serde_json::from_value(Value::String(r.to_owned()))
            .map(Some)
            .map_err(|_| {
                Bad(format!(
                    "--role: {r:?} is not read_only, member, admin, org_admin or org_owner"
                ))
            }),
        None => Ok(None),
    }
}

/// A token as the API returns it (`GET /v1/tokens/{id}`, or an object holding it under
/// `token`, as whoami and create answer).
fn token_from(io: &mut dyn CliIo, path: &str) -> Res<Token> {
    let v: Value = load(io, path)?;
    let inner = match v.get("token") {
        Some(t) if t.is_object() && v.get("id").is_none() => t.clone(),
        _ => v,
    };
    serde_json::from_value(inner).map_err(|e| Bad(format!("{path}: not a token ({e})")))
}

/// What `least-privilege` was asked, besides where the calls come from.
pub(crate) struct LeastPrivilegeOptions {
    pub role: Option<Role>,
    /// Only this token's audit events count (default with a token to compare: its prefix).
    pub token_prefix: Option<String>,
    pub json: bool,
}

pub(crate) fn least_privilege(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    let a = Args::parse(args, &["role", "against", "token-prefix"])?;
    let [path] = a.positional.as_slice() else {
        return Err(Bad("give one file of calls ('-' for standard input)".into()));
    };
    let opts = LeastPrivilegeOptions {
        role: role_arg(a.one("role"))?,
        token_prefix: a.one("token-prefix").map(str::to_owned),
        json: a.json,
    };
    let against = match a.one("against") {
        Some(p) => Some(token_from(io, p)?),
        None => None,
    };
    least_privilege_with(io, path, &opts, against.as_ref())
}

/// `least-privilege` over the calls in `path`, compared with `against` when given (a
/// token as the API shows it, read from a file or fetched).
pub(crate) fn least_privilege_with(
    io: &mut dyn CliIo,
    path: &str,
    opts: &LeastPrivilegeOptions,
    against: Option<&Token>,
) -> Res<i32> {
    let prefix = opts
        .token_prefix
        .clone()
        .or_else(|| against.map(|t| t.prefix.clone()).filter(|p| !p.is_empty()));
    let catalog = Catalog::builtin();
    let mut b = LeastPrivilegeBuilder::new(catalog)
        .with_unmapped_limit(UNMAPPED_EXAMPLES)
        .only_token(prefix.as_deref());
    stream_into(io, path, &mut b)?;
    let lp = b.finish(opts.role);
    let projects: Vec<String> = b.projects().keys().cloned().collect();
    let diff = against.map(|t| diff_against(catalog, &lp, &projects, t, opts.role));
    if opts.json {
        let mut v = serde_json::to_value(&lp).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("calls".into(), json!(b.calls()));
            m.insert("other_token_events".into(), json!(b.other_token_events()));
            if let Some(d) = &diff {
                m.insert(
                    "against".into(),
                    serde_json::to_value(d).unwrap_or(Value::Null),
                );
            }
        }
        emit_json(io, &v);
    } else {
        let mut t = String::new();
        lp_text(&mut t, &lp, b.calls());
        if b.other_token_events() > 0 {
            let _ = writeln!(
                t,
                "({} event(s) of other tokens than {} skipped)",
                b.other_token_events(),
                prefix.as_deref().unwrap_or("")
            );
        }
        if let Some(d) = &diff {
            diff_text(&mut t, d);
        }
        io.out(&t);
    }
    Ok(match diff {
        Some(d) if !d.is_exact() => 1,
        _ => 0,
    })
}

fn lp_text(t: &mut String, lp: &LeastPrivilege, calls: usize) {
    let _ = writeln!(
        t,
        "permissions ({} from {calls} calls):",
        lp.permissions.len()
    );
    for p in &lp.permissions {
        let _ = writeln!(t, "  {p}");
    }
    if let Some(r) = lp.minimum_role {
        let _ = writeln!(t, "minimum role: {}", r.as_str());
    }
    for b in &lp.beyond_role {
        let _ = writeln!(
            t,
            "warning: {b} is beyond the given role; a token of that role is denied it"
        );
    }
    for u in &lp.unmapped {
        let _ = writeln!(t, "warning: line {}: {}", u.index + 1, u.message);
    }
    if lp.unmapped_total > lp.unmapped.len() {
        let _ = writeln!(
            t,
            "warning: {} more call(s) are not routes of the catalog",
            lp.unmapped_total - lp.unmapped.len()
        );
    }
}

fn diff_text(t: &mut String, d: &PermissionDiff) {
    let _ = writeln!(
        t,
        "\nagainst token {:?} ({}…, {}):",
        d.token_name, d.prefix, d.token_id
    );
    if d.inherits {
        match d.role {
            Some(r) => {
                let _ = writeln!(t, "  inherits its owner's role ({})", r.as_str());
            }
            None => {
                let _ = writeln!(
                    t,
                    "  inherits its owner's role: give --role to list what it grants unused"
                );
            }
        }
    }
    if !d.remove.is_empty() || !d.narrow.is_empty() || (d.inherits && !d.unused.is_empty()) {
        let _ = writeln!(t, "  remove (granted, never used):");
        if d.inherits {
            let _ = writeln!(
                t,
                "    - inherit ({} permission(s) of the role unused): downscope it",
                d.unused.len()
            );
        }
        for e in &d.remove {
            let _ = writeln!(t, "    - {e}");
        }
        for n in &d.narrow {
            let _ = writeln!(
                t,
                "    ~ {} -> {} (unused: {})",
                n.entry,
                n.keep.join(", "),
                n.unused.join(", ")
            );
        }
    }
    if !d.missing.is_empty() {
        let _ = writeln!(t, "  missing (used, not granted: these calls are denied):");
        for m in &d.missing {
            let _ = writeln!(t, "    + {m}");
        }
    }
    for b in &d.beyond_role {
        let _ = writeln!(
            t,
            "  warning: {b} is beyond the owner's role: denied whatever the token's list says"
        );
    }
    for u in &d.unknown {
        let _ = writeln!(t, "  warning: {u:?} is not a permission of the catalog");
    }
    if !d.unused_projects.is_empty() {
        let _ = writeln!(
            t,
            "  projects never called: {} (remove them from the scope)",
            d.unused_projects.join(", ")
        );
    }
    if !d.missing_projects.is_empty() {
        let _ = writeln!(
            t,
            "  projects called outside the scope (denied): {}",
            d.missing_projects.join(", ")
        );
    }
    if d.is_exact() {
        let _ = writeln!(t, "  exact: the token grants what its calls use, no more");
    } else {
        let _ = writeln!(t, "  suggested permissions: {}", d.suggested.join(", "));
    }
}

pub(crate) fn lint(args: &[String], io: &mut dyn CliIo) -> Res<i32> {
    let a = Args::parse(args, &["now", "unused-days", "policy", "audit"])?;
    let [path] = a.positional.as_slice() else {
        return Err(Bad("give one inventory file (JSON lines)".into()));
    };
    let now = time_arg(io, a.one("now"), "--now")?;
    let unused_days = match a.one("unused-days") {
        None => DEFAULT_UNUSED_DAYS,
        Some(d) => d
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=36_500).contains(d))
            .ok_or_else(|| {
                Bad(format!(
                    "--unused-days: {d:?} is not a number of days (1 to 36500)"
                ))
            })?,
    };
    let policy: Option<TokenPolicy> = match a.one("policy") {
        Some(p) => {
            let policy: TokenPolicy = load(io, p)?;
            if let Some((field, why)) = policy.problems().into_iter().next() {
                return Err(Bad(format!("{p}: {field}: {why}")));
            }
            Some(policy)
        }
        None => None,
    };
    let audit_path = a.one("audit");
    if audit_path == Some("-") && path == "-" {
        return Err(Bad(
            "only one of the inventory and --audit can be standard input".into(),
        ));
    }
    let usage = match audit_path {
        Some(p) => {
            let mut usage = AuditUsage::new();
            stream_into(io, p, &mut usage)?;
            Some(usage)
        }
        None => None,
    };
    let opts = LintOptions {
        now,
        unused_days,
        policy,
    };
    let mut findings: Vec<LintFinding> = Vec::new();
    let mut tokens = 0usize;
    stream_lines(io, path, &mut |n, line| {
        if line.trim().is_empty() {
            return Ok(());
        }
        let t: InventoryToken = parse_json(line, &format!("{path}:{n}"))?;
        tokens += 1;
        lint_token(&t, &opts, usage.as_ref(), &mut findings);
        Ok(())
    })?;
    if a.json {
        emit_json(io, &serde_json::to_value(&findings).unwrap_or(Value::Null));
    } else {
        let mut t = String::new();
        for f in &findings {
            let _ = writeln!(
                t,
                "{:<6} {} ({}…): {} [{}]",
                f.severity.as_str(),
                f.token_name,
                f.prefix,
                f.message,
                f.code.as_str()
            );
        }
        let _ = writeln!(t, "{} finding(s) in {tokens} token(s)", findings.len());
        io.out(&t);
    }
    Ok(if findings.is_empty() { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks of `size` bytes, to cut lines and gzip headers anywhere.
    struct Chunked {
        data: Vec<u8>,
        size: usize,
    }

    impl CliIo for Chunked {
        fn read(&mut self, _: &str) -> Result<String, String> {
            Err("read_chunks only".into())
        }
        fn read_chunks(
            &mut self,
            _: &str,
            each: &mut dyn FnMut(&[u8]) -> bool,
        ) -> Result<(), String> {
            for c in self.data.chunks(self.size) {
                if !each(c) {
                    break;
                }
            }
            Ok(())
        }
        fn list_files(&mut self, _: &str, _: &[&str]) -> Result<Vec<String>, String> {
            Ok(Vec::new())
        }
        fn out(&mut self, _: &str) {}
        fn err(&mut self, _: &str) {}
        fn now(&self) -> clouddigit_core::Timestamp {
            chrono::DateTime::default()
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    fn lines_of(data: Vec<u8>, size: usize) -> Result<Vec<(usize, String)>, String> {
        let mut io = Chunked { data, size };
        let mut got = Vec::new();
        stream_lines(&mut io, "f", &mut |n, l| {
            got.push((n, l.to_owned()));
            Ok(())
        })
        .map_err(|Bad(b)| b)?;
        Ok(got)
    }

    #[test]
    fn plain_and_gzip_lines_in_any_chunking() {
        let text = "a\r\nbb\n\nccc\ndé"; // no final newline
        let want: Vec<(usize, String)> = ["a", "bb", "", "ccc", "dé"]
            .iter()
            .enumerate()
            .map(|(i, s)| (i + 1, (*s).to_owned()))
            .collect();
        let mut twice = gzip(text.as_bytes());
        twice.extend(gzip(b"\nmore\n"));
        let mut want_twice = want.clone();
        want_twice.push((6, "more".into()));
        for size in [1, 2, 3, 7, 1 << 16] {
            assert_eq!(
                lines_of(text.as_bytes().to_vec(), size).unwrap(),
                want,
                "{size}"
            );
            assert_eq!(
                lines_of(gzip(text.as_bytes()), size).unwrap(),
                want,
                "{size}"
            );
            assert_eq!(lines_of(twice.clone(), size).unwrap(), want_twice, "{size}");
        }
        assert_eq!(lines_of(Vec::new(), 4).unwrap(), []);
        assert_eq!(lines_of(vec![b'x'], 4).unwrap(), [(1, "x".to_owned())]);
    }

    #[test]
    fn bad_streams_are_bad_input() {
        let mut z = gzip(b"one\ntwo\n");
        z.truncate(z.len() - 5);
        let e = lines_of(z, 3).unwrap_err();
        assert!(e.starts_with("f: not a valid gzip stream"), "{e}");
        let e = lines_of(vec![0x1f, 0x8b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3).unwrap_err();
        assert!(e.starts_with("f: not a valid gzip stream"), "{e}");
        let e = lines_of(b"ok\n\xff\n".to_vec(), 2).unwrap_err();
        assert!(e.starts_with("f:2: not UTF-8"), "{e}");
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let e = lines_of(long, 1 << 20).unwrap_err();
        assert!(e.starts_with("f: a line longer than 16 MiB"), "{e}");
    }

    /// Files by name, each read in 5-byte chunks.
    #[derive(Default)]
    struct Files {
        files: std::collections::BTreeMap<String, Vec<u8>>,
        out: String,
    }

    impl CliIo for Files {
        fn read(&mut self, p: &str) -> Result<String, String> {
            let b = self.files.get(p).ok_or("no such file")?;
            Ok(String::from_utf8_lossy(b).into_owned())
        }
        fn read_chunks(
            &mut self,
            p: &str,
            each: &mut dyn FnMut(&[u8]) -> bool,
        ) -> Result<(), String> {
            let b = self.files.get(p).ok_or("no such file")?;
            for c in b.chunks(5) {
                if !each(c) {
                    break;
                }
            }
            Ok(())
        }
        fn list_files(&mut self, _: &str, _: &[&str]) -> Result<Vec<String>, String> {
            Ok(Vec::new())
        }
        fn out(&mut self, t: &str) {
            self.out.push_str(t);
        }
        fn err(&mut self, _: &str) {}
        fn now(&self) -> clouddigit_core::Timestamp {
            "2026-11-23T10:00:00Z".parse().unwrap_or_default()
        }
    }

    fn run(files: &[(&str, Vec<u8>)], args: &[&str]) -> (i32, String) {
        let mut io = Files::default();
        for (k, v) in files {
            io.files.insert((*k).to_owned(), v.clone());
        }
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let code = crate::run(&args, &mut io);
        (code, io.out)
    }

    const EVENTS: &str = concat!(
        r#"{"method":"GET","path":"/v1/compute/servers","token_prefix":"cd_aaaaaa","project":"web","source_ip":"203.0.113.1"}"#,
        "\n",
        r#"{"method":"POST","path":"/v1/compute/servers/s-1/start","token_prefix":"cd_aaaaaa","project":"web","source_ip":"203.0.113.1"}"#,
        "\n",
        r#"{"method":"DELETE","path":"/v1/compute/servers/s-1","token_prefix":"cd_bbbbbb","project":"web","user_agent":"GitHub-Actions/2.3"}"#,
        "\n",
    );
    const TOKEN: &str = r#"{"id":"tok_1","name":"deploy-bot","prefix":"cd_aaaaaa","owner":{"type":"user","id":"u"},"organization":"acme","projects":["web","data"],"permissions":["compute.servers.list","storage.*"],"created_at":"2026-11-01T00:00:00Z","expires_at":"2026-12-20T00:00:00Z","allowed_ips":["203.0.113.0/24"],"status":"active","kind":"personal","last_used_at":"2026-11-22T00:00:00Z"}"#;

    #[test]
    fn against_a_token_from_gzip() {
        let files = [
            ("ev.gz", gzip(EVENTS.as_bytes())),
            ("t.json", TOKEN.as_bytes().to_vec()),
        ];
        let (code, out) = run(
            &files,
            &["least-privilege", "ev.gz", "--against", "t.json", "--json"],
        );
        assert_eq!(code, 1, "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["calls"], 2);
        assert_eq!(v["other_token_events"], 1);
        assert_eq!(v["against"]["remove"], json!(["storage.*"]));
        assert_eq!(v["against"]["missing"], json!(["compute.servers.start"]));
        assert_eq!(v["against"]["unused_projects"], json!(["data"]));
        let (code, out) = run(&files, &["least-privilege", "ev.gz", "--against", "t.json"]);
        assert_eq!(code, 1);
        assert!(
            out.contains("    - storage.*\n") && out.contains("    + compute.servers.start\n"),
            "{out}"
        );
        // Without --against every token's calls count, and nothing is compared.
        let (code, out) = run(&files, &["least-privilege", "ev.gz"]);
        assert_eq!(code, 0);
        assert!(out.starts_with("permissions (3 from 3 calls):"), "{out}");
    }

    #[test]
    fn lint_with_audit_and_policy() {
        let inv = format!(
            "{TOKEN}\n{}\n",
            TOKEN
                .replace("cd_aaaaaa", "cd_bbbbbb")
                .replace("deploy-bot", "alice")
        );
        let files = [
            ("inv.jsonl", inv.into_bytes()),
            ("ev.jsonl", EVENTS.as_bytes().to_vec()),
            ("p.json", br#"{"max_lifetime_days": 30}"#.to_vec()),
        ];
        let (code, out) = run(
            &files,
            &[
                "lint",
                "inv.jsonl",
                "--audit",
                "ev.jsonl",
                "--policy",
                "p.json",
                "--json",
            ],
        );
        assert_eq!(code, 1);
        let v: Value = serde_json::from_str(&out).unwrap();
        let got: Vec<(&str, &str, &str)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["prefix"].as_str().unwrap(),
                    f["code"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("cd_aaaaaa", "personal_token_ci_name", "medium"),
                ("cd_aaaaaa", "policy_max_lifetime", "high"),
                ("cd_bbbbbb", "personal_token_ci_usage", "high"),
                ("cd_bbbbbb", "policy_max_lifetime", "high"),
            ]
        );
        let (code, out) = run(&files, &["lint", "inv.jsonl", "--unused-days", "0"]);
        assert_eq!((code, out.as_str()), (2, ""));
        let (code, _) = run(&files, &["lint", "-", "--audit", "-"]);
        assert_eq!(code, 2);
    }
}
