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
use clouddigit_cli::{self as cli, CliIo, ScanVisitor, ScanWalk, WalkTotals};
use clouddigit_core::Timestamp;
use ignore::{WalkBuilder, WalkState};
use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

struct PyIo<'py> {
    py: Python<'py>,
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

/// Runs the `clouddigit` command line (without the program name) and returns its exit
/// status: 0 success, 1 a denial or a finding, 2 bad input. Output goes to
/// `sys.stdout` / `sys.stderr`; a write error (a closed pipe) or Ctrl-C is raised
/// after the command stops.
#[pyfunction]
pub fn run_cli(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    let mut io = PyIo::new(py);
    let code = cli::run(&argv, &mut io);
    match io.pending.take() {
        Some(e) => Err(e),
        None => Ok(code),
    }
}
