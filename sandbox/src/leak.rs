//! For the test suite's leak sweep (`scripts/leak-sweep.sh`), and nothing else: with
//! `CLOUDDIGIT_LEAK_DIR` set, the sandbox writes every secret it issues to
//! `$CLOUDDIGIT_LEAK_DIR/issued/<pid>.txt`, and a copy of its output and of every audit
//! event it records beside it, so the sweep knows what to look for and where the sandbox
//! itself wrote. That file holds live secrets: the variable is for test runs only, and
//! unset the sandbox writes nothing of the kind.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

struct Sink {
    issued: Option<File>,
    output: Option<File>,
    audit: Option<File>,
}

static SINK: LazyLock<Option<Mutex<Sink>>> = LazyLock::new(|| {
    let dir = PathBuf::from(std::env::var_os("CLOUDDIGIT_LEAK_DIR")?);
    let pid = std::process::id();
    let open = |path: PathBuf| {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        OpenOptions::new().create(true).append(true).open(path).ok()
    };
    Some(Mutex::new(Sink {
        issued: open(dir.join("issued").join(format!("{pid}.txt"))),
        output: open(dir.join(format!("sandbox-{pid}.log"))),
        audit: open(dir.join(format!("audit-{pid}.jsonl"))),
    }))
});

fn write(pick: impl FnOnce(&mut Sink) -> &mut Option<File>, line: &str) {
    if let Some(sink) = SINK.as_ref() {
        let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = pick(&mut sink) {
            // One write per line, so lines from concurrent sandboxes do not interleave.
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// Whether the sweep's copies are being written (`CLOUDDIGIT_LEAK_DIR` is set).
pub fn enabled() -> bool {
    SINK.is_some()
}

/// A secret the sandbox just issued (a token, a client secret, an access-key secret).
pub fn issued(secret: &str) {
    write(|s| &mut s.issued, secret);
}

/// An audit event as written to the log.
pub fn audit(line: &str) {
    write(|s| &mut s.audit, line);
}

/// A line of the sandbox's standard output.
pub fn say(line: &str) {
    println!("{line}");
    write(|s| &mut s.output, line);
}

/// A line of the sandbox's standard error.
pub fn warn(line: &str) {
    eprintln!("{line}");
    write(|s| &mut s.output, line);
}

/// Copies panic messages into the output copy too (the default hook still prints them).
pub fn mirror_panics() {
    if SINK.is_none() {
        return;
    }
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        write(|s| &mut s.output, &info.to_string());
        default(info);
    }));
}
