//! The host side of the `clouddigit` command: every rule, option and message is in
//! `clouddigit_cli`; this only reads files, lists directories, writes to
//! Python's `sys.stdout` / `sys.stderr` (so redirection and pytest capture see the
//! output in order) and tells the time.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use clouddigit_cli::{self as cli, CliIo};
use clouddigit_core::Timestamp;
use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

const BAR_WIDTH: usize = 30;
/// Bytes handed to the command at a time by `read_chunks`.
const CHUNK_BYTES: usize = 1 << 20;

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
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
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
            None => {
                let mut stdin = std::io::stdin().lock();
                let mut buf = vec![0u8; CHUNK_BYTES];
                loop {
                    let n = match stdin.read(&mut buf) {
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
        }
    }
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
        let mut buf = vec![0u8; CHUNK_BYTES];
        loop {
            // Ctrl-C stops a long read; the KeyboardInterrupt is raised on return.
            let signals = self.py.check_signals();
            self.keep(signals);
            if self.pending.is_some() {
                return Err("interrupted".to_owned());
            }
            let n = match file.read(&mut buf) {
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

    fn progress(&mut self, done: usize, total: usize) {
        let line = if done >= total {
            // Finished: clear the bar so the summary line starts clean.
            format!("\r{}\r", " ".repeat(BAR_WIDTH + 32))
        } else {
            let filled = (done * BAR_WIDTH).checked_div(total).unwrap_or(0);
            format!(
                "\r[{}{}] {done}/{total} files",
                "#".repeat(filled),
                "-".repeat(BAR_WIDTH - filled)
            )
        };
        self.err(&line);
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
