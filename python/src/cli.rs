//! The host side of the `clouddigit` command: every rule, option and message is in
//! `clouddigit_cli`; this only reads files, lists directories, writes to
//! Python's `sys.stdout` / `sys.stderr` (so redirection and pytest capture see the
//! output in order) and tells the time.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aho_corasick::{AhoCorasick, MatchKind};
use clouddigit_cli::online::KeychainFailure;
use clouddigit_cli::{self as cli, CliIo, ScanVisitor, ScanWalk, WalkTotals};
use clouddigit_core::Timestamp;
use ignore::{WalkBuilder, WalkState};
use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::{json, Value};

/// Bytes handed to the command at a time by `read_chunks`.
const CHUNK_BYTES: usize = 1 << 20;

struct PyIo<'py> {
    py: Python<'py>,
    /// `clouddigit.cli._Host`: the SDK's `Client` for the online commands, and prompts.
    host: Option<Bound<'py, PyAny>>,
    tty: bool,
    /// The first Python error met (a closed pipe, Ctrl-C): raised once the command
    /// has finished, since `CliIo` cannot fail.
    pending: Option<PyErr>,
}

impl<'py> PyIo<'py> {
    fn new(py: Python<'py>) -> Self {
        // Ask the stream the output really goes to; pytest's capture is no terminal.
        let tty = py
            .import("sys")
            .and_then(|sys| sys.getattr("stderr"))
            .and_then(|s| {
                if s.is_none() {
                    Ok(false)
                } else {
                    s.call_method0("isatty")?.extract::<bool>()
                }
            })
            .unwrap_or_else(|_| std::io::stderr().is_terminal());
        PyIo {
            py,
            host: None,
            tty,
            pending: None,
        }
    }

    fn keep(&mut self, result: PyResult<()>) {
        if let Err(e) = result {
            self.pending.get_or_insert(e);
        }
    }

    fn write(&mut self, stream: &str, text: &str) {
        let result = write_py(self.py, stream, text);
        self.keep(result);
    }
}

/// Writes to `sys.<stream>` and flushes; bytes through its buffer if the stream's
/// encoding cannot hold the text; std's own stream when Python has none.
fn write_py(py: Python<'_>, stream: &str, text: &str) -> PyResult<()> {
    let s = py.import("sys")?.getattr(stream)?;
    if s.is_none() {
        let _ = if stream == "stdout" {
            std::io::stdout().write_all(text.as_bytes())
        } else {
            std::io::stderr().write_all(text.as_bytes())
        };
        return Ok(());
    }
    match s.call_method1("write", (text,)) {
        Ok(_) => {}
        Err(e) if e.is_instance_of::<PyUnicodeEncodeError>(py) => {
            s.call_method0("flush")?;
            s.getattr("buffer")?
                .call_method1("write", (PyBytes::new(py, text.as_bytes()),))?;
        }
        Err(e) => return Err(e),
    }
    s.call_method0("flush")?;
    Ok(())
}

fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => e.to_string(),
    }
}

fn read_stdin(py: Python<'_>) -> Result<String, String> {
    let from_python = py.import("sys").and_then(|sys| sys.getattr("stdin"));
    match from_python {
        Ok(stdin) if !stdin.is_none() => stdin
            .call_method0("read")
            .and_then(|t| t.extract::<String>())
            .map_err(|e| format!("cannot read standard input: {e}")),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map(|_| text)
                .map_err(|e| io_message(&e))
        }
    }
}

/// Every file under `dir`, sorted by name, not following links to directories.
fn walk(dir: &Path, skip_dirs: &[&str], out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            let name = entry.file_name();
            if !skip_dirs.iter().any(|s| name == **s) {
                walk(&path, skip_dirs, out);
            }
        } else if kind.is_file() {
            out.push(path.to_string_lossy().into_owned());
        }
    }
}

impl PyIo<'_> {
    /// Standard input's bytes, through `sys.stdin.buffer` (what pytest and redirection
    /// replace) or, without one, the process's own.
    fn stdin_chunks(&mut self, each: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), String> {
        let stdin = self
            .py
            .import("sys")
            .and_then(|sys| sys.getattr("stdin"))
            .ok()
            .filter(|s| !s.is_none());
        let buffer = stdin.as_ref().and_then(|s| s.getattr("buffer").ok());
        if stdin.is_some() && buffer.is_none() {
            // A text stream without bytes underneath (io.StringIO): its text, at once.
            let text = read_stdin(self.py)?;
            each(text.as_bytes());
            return Ok(());
        }
        match buffer {
            Some(buffer) => loop {
                let chunk = buffer
                    .call_method1("read", (CHUNK_BYTES,))
                    .map_err(|e| format!("cannot read standard input: {e}"))?;
                let bytes = chunk
                    .cast::<PyBytes>()
                    .map_err(|_| "standard input gave no bytes".to_owned())?;
                let data = bytes.as_bytes();
                if data.is_empty() || !each(data) {
                    return Ok(());
                }
            },
            None => pump(&mut std::io::stdin().lock(), each, || Ok(())),
        }
    }
}

/// Feeds `each` what `reader` gives, a chunk at a time, until the end, `each` says stop,
/// or `go_on` (asked before every read) fails.
fn pump(
    reader: &mut dyn Read,
    each: &mut dyn FnMut(&[u8]) -> bool,
    mut go_on: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let mut buf = vec![0u8; CHUNK_BYTES];
    loop {
        go_on()?;
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_message(&e)),
        };
        if !each(&buf[..n]) {
            return Ok(());
        }
    }
}

/// `scan`'s walk: ripgrep's (the `ignore` crate), on every core, each file read into a
/// buffer of its thread's and handed over only if the prefilter finds one of the core's
/// literals in it.
fn walk_scan(walk: &ScanWalk<'_>, visit: &dyn ScanVisitor) -> Result<WalkTotals, String> {
    let Some((first, rest)) = walk.roots.split_first() else {
        return Ok(WalkTotals::default());
    };
    for root in walk.roots {
        std::fs::metadata(root).map_err(|e| format!("{root}: {}", io_message(&e)))?;
    }
    let finder = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(walk.literals)
        .map_err(|e| e.to_string())?;
    let skip: Vec<String> = walk.skip_dirs.iter().map(|s| (*s).to_owned()).collect();
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    let g = walk.gitignore;
    builder
        .hidden(false)
        .ignore(false)
        .parents(g)
        .git_ignore(g)
        .git_global(g)
        .git_exclude(g)
        .require_git(true)
        .follow_links(false)
        .threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .filter_entry(move |e| {
            e.depth() == 0
                || !e.file_type().is_some_and(|t| t.is_dir())
                || !skip.iter().any(|s| e.file_name() == s.as_str())
        });
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let started = Instant::now();
    builder.build_parallel().run(|| {
        let mut buf = Vec::with_capacity(1 << 16);
        let (finder, files, bytes) = (&finder, &files, &bytes);
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            buf.clear();
            let read = std::fs::File::open(entry.path()).and_then(|mut f| f.read_to_end(&mut buf));
            if read.is_err() {
                return WalkState::Continue;
            }
            let n = files.fetch_add(1, Ordering::Relaxed) + 1;
            let b = bytes.fetch_add(buf.len() as u64, Ordering::Relaxed) + buf.len() as u64;
            if finder.is_match(buf.as_slice()) {
                visit.candidate(&entry.path().to_string_lossy(), &buf);
            }
            if n % 256 == 0 {
                let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                if let Some(line) = visit.progress(n, b, ms) {
                    let _ = std::io::stderr().write_all(line.as_bytes());
                }
            }
            if buf.capacity() > 1 << 24 {
                buf = Vec::with_capacity(1 << 16);
            }
            WalkState::Continue
        })
    });
    Ok(WalkTotals {
        files: files.into_inner(),
        bytes: bytes.into_inner(),
    })
}

/// `git -C dir ARGS` with `input` written from a thread of its own (git may fill its
/// output pipe before it has read all its input).
fn run_git(dir: &str, args: &[String], input: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {}", io_message(&e)))?;
    let writer = child.stdin.take().map(|mut stdin| {
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let out = child.wait_with_output().map_err(|e| io_message(&e))?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().next().unwrap_or("git failed").trim();
        return Err(line.strip_prefix("fatal: ").unwrap_or(line).to_owned());
    }
    Ok(out.stdout)
}

impl CliIo for PyIo<'_> {
    fn read(&mut self, path: &str) -> Result<String, String> {
        // A long scan stays interruptible: after Ctrl-C every read fails fast and the
        // KeyboardInterrupt is raised when the command returns.
        let signals = self.py.check_signals();
        self.keep(signals);
        if self.pending.is_some() {
            return Err("interrupted".to_owned());
        }
        if path == "-" {
            return read_stdin(self.py);
        }
        let bytes = std::fs::read(path).map_err(|e| io_message(&e))?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn read_chunks(
        &mut self,
        path: &str,
        each: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), String> {
        if path == "-" {
            return self.stdin_chunks(each);
        }
        let mut file = std::fs::File::open(path).map_err(|e| io_message(&e))?;
        pump(&mut file, each, || {
            // Ctrl-C stops a long read; the KeyboardInterrupt is raised on return.
            let signals = self.py.check_signals();
            self.keep(signals);
            match self.pending {
                Some(_) => Err("interrupted".to_owned()),
                None => Ok(()),
            }
        })
    }

    fn list_files(&mut self, path: &str, skip_dirs: &[&str]) -> Result<Vec<String>, String> {
        let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
        if !meta.is_dir() {
            return Ok(vec![path.to_owned()]);
        }
        let mut out = Vec::new();
        walk(Path::new(path), skip_dirs, &mut out);
        Ok(out)
    }

    fn out(&mut self, text: &str) {
        self.write("stdout", text);
    }

    fn err(&mut self, text: &str) {
        self.write("stderr", text);
    }

    fn now(&self) -> Timestamp {
        Timestamp::from(std::time::SystemTime::now())
    }

    fn is_tty(&self) -> bool {
        self.tty
    }

    fn walk_scan(
        &mut self,
        walk: &ScanWalk<'_>,
        visit: &dyn ScanVisitor,
    ) -> Result<WalkTotals, String> {
        // The walk holds no Python object: other Python threads run meanwhile.
        let result = self.py.detach(|| walk_scan(walk, visit));
        let signals = self.py.check_signals();
        self.keep(signals);
        result
    }

    fn git(&mut self, dir: &str, args: &[String], input: &[u8]) -> Result<Vec<u8>, String> {
        let result = self.py.detach(|| run_git(dir, args, input));
        let signals = self.py.check_signals();
        self.keep(signals);
        result
    }

    fn write_file(&mut self, path: &str, text: &str) -> Result<(), String> {
        std::fs::write(path, text).map_err(|e| io_message(&e))
    }
}

impl PyIo<'_> {
    /// Calls `clouddigit.cli._Host.<method>`, which answers `{"ok": ...}` or
    /// `{"error": {...ApiError...}}` (the SDK's exceptions, as data).
    fn host_call(&mut self, method: &str, arg: &Value) -> Result<Value, Value> {
        let Some(host) = self.host.clone() else {
            return Err(failure("internal", "no host"));
        };
        let answer = pythonize::pythonize(self.py, arg)
            .map_err(PyErr::from)
            .and_then(|arg| host.call_method1(method, (arg,)))
            .and_then(|answer| pythonize::depythonize::<Value>(&answer).map_err(PyErr::from));
        let answer = match answer {
            Ok(a) => a,
            // Ctrl-C at a prompt or mid-call: raised once the command has stopped, so the
            // process exits 130, not 2.
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(self.py) => {
                self.pending.get_or_insert(e);
                return Err(failure("interrupted", "interrupted"));
            }
            Err(e) => return Err(failure("internal", &e.to_string())),
        };
        match answer {
            Value::Object(mut o) => match (o.remove("ok"), o.remove("error")) {
                (_, Some(e)) => Err(e),
                (Some(v), None) => Ok(v),
                (None, None) => Ok(Value::Null),
            },
            other => Ok(other),
        }
    }
}

/// An `ApiError` as JSON, for what failed in this host rather than in the API.
fn failure(code: &str, message: &str) -> Value {
    json!({"kind": "config", "code": code, "message": message, "status": null, "request_id": null})
}

fn not_a_link(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(std::io::Error::other(
            "is a symbolic link: give the path of the file itself",
        )),
        Ok(m) if m.is_dir() => Err(std::io::Error::other("is a directory")),
        _ => Ok(()),
    }
}

/// The directory a private file goes in, created (mode 0700) when missing.
fn private_dir(path: &Path) -> std::io::Result<&Path> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    Ok(dir)
}

/// Writes `text` to `path` for its owner only: a temporary file with a random name
/// beside it (`tempfile` creates it 0600 and exclusively), synced, then renamed over
/// `path`, so a reader never sees half a token; on any failure the temporary file is
/// removed. A symbolic link at `path` is refused rather than silently replaced.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    not_a_link(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".clouddigit-")
        .tempfile_in(private_dir(path)?)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether [`write_private`] would work, leaving `path` as it is.
fn check_private(path: &Path) -> std::io::Result<()> {
    not_a_link(path)?;
    tempfile::Builder::new()
        .prefix(".clouddigit-")
        .tempfile_in(private_dir(path)?)
        .map(drop)
}

fn keychain_failure(e: clouddigit_keychain::KeychainError) -> cli::online::KeychainFailure {
    cli::online::KeychainFailure {
        unavailable: e.is_no_keychain(),
        message: e.to_string(),
    }
}

impl cli::Host for PyIo<'_> {
    fn connect(&mut self, options: &Value) -> Result<Value, Value> {
        self.host_call("connect", options)
    }

    async fn run(&mut self, command: &Value) -> Result<Value, Value> {
        self.host_call("run", command)
    }

    fn keychain_get(&mut self, profile: &str) -> Result<Option<String>, KeychainFailure> {
        self.py
            .detach(|| clouddigit_keychain::get(profile))
            .map_err(keychain_failure)
    }

    fn keychain_set(&mut self, profile: &str, secret: &str) -> Result<(), KeychainFailure> {
        self.py
            .detach(|| clouddigit_keychain::set(profile, secret))
            .map_err(keychain_failure)
    }

    fn keychain_delete(&mut self, profile: &str) -> Result<bool, KeychainFailure> {
        self.py
            .detach(|| clouddigit_keychain::delete(profile))
            .map_err(keychain_failure)
    }

    async fn prompt(&mut self, question: &str, secret: bool) -> Result<Option<String>, String> {
        match self.host_call("prompt", &json!({"question": question, "secret": secret})) {
            Ok(Value::String(s)) => Ok(Some(s)),
            Ok(_) => Ok(None),
            Err(e) => Err(e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("cannot ask")
                .to_owned()),
        }
    }

    fn write_private(&mut self, path: &str, text: &str) -> Result<(), String> {
        write_private(Path::new(path), text).map_err(|e| io_message(&e))
    }

    fn check_private(&mut self, path: &str) -> Result<(), String> {
        check_private(Path::new(path)).map_err(|e| io_message(&e))
    }

    fn remove_file(&mut self, path: &str) -> Result<bool, String> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_message(&e)),
        }
    }

    fn config_dir(&self) -> Result<String, String> {
        let home = self
            .py
            .import("os.path")
            .and_then(|p| p.call_method1("expanduser", ("~",)))
            .and_then(|h| h.extract::<String>())
            .map_err(|e| e.to_string())?;
        Ok(format!("{home}/.config/cd"))
    }

    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn stdin_is_tty(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn read_private(&mut self, path: &str) -> Result<Option<(String, Option<u32>)>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_message(&e)),
        };
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(path)
                .map(|m| Some(m.permissions().mode() & 0o777))
                .map_err(|e| io_message(&e))?
        };
        #[cfg(not(unix))]
        let mode = None;
        Ok(Some((text, mode)))
    }

    fn random_bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        // Python's os.urandom: the operating system's source (getrandom, BCryptGenRandom).
        self.py
            .import("os")
            .and_then(|os| os.call_method1("urandom", (n,)))
            .and_then(|b| b.extract::<Vec<u8>>())
            .map_err(|e| format!("os.urandom: {e}"))
    }

    fn hostname(&self) -> Option<String> {
        self.py
            .import("socket")
            .and_then(|s| s.call_method0("gethostname"))
            .and_then(|h| h.extract::<String>())
            .ok()
    }

    async fn post(
        &mut self,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Result<(u16, String), String> {
        let request = json!({"url": url, "headers": headers, "body": body});
        match self.host_call("post", &request) {
            Ok(v) => Ok((
                v.get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(0),
                v.get("body")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            )),
            Err(e) => Err(e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no answer")
                .to_owned()),
        }
    }

    async fn sleep(&mut self, ms: u64) {
        // In slices, so Ctrl-C ends a `--follow` promptly.
        let mut left = ms;
        while left > 0 && self.pending.is_none() {
            let step = left.min(100);
            self.py
                .detach(|| std::thread::sleep(std::time::Duration::from_millis(step)));
            left -= step;
            let signals = self.py.check_signals();
            self.keep(signals);
        }
    }
}

/// Polls a future whose every await is answered at once (this host's calls block), so
/// no executor is needed; one that is not ready is polled again.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// Runs the `clouddigit` command line (without the program name) and returns its exit
/// status: 0 success, 1 a denial or a finding, 2 bad input. Output goes to
/// `sys.stdout` / `sys.stderr`; a write error (a closed pipe) or Ctrl-C is raised
/// after the command stops.
#[pyfunction]
#[pyo3(signature = (argv, host=None))]
pub fn run_cli(py: Python<'_>, argv: Vec<String>, host: Option<Bound<'_, PyAny>>) -> PyResult<i32> {
    let mut io = PyIo::new(py);
    io.host = host;
    let code = block_on(cli::main(&argv, &mut io));
    match io.pending.take() {
        Some(e) => Err(e),
        None => Ok(code),
    }
}
