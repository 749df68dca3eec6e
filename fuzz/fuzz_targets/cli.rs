//! The `clouddigit` command's argument parser and file inputs: any arguments and any
//! file contents give an exit status and output, never a panic.
#![no_main]
use clouddigit_cli::{run, CliIo};
use clouddigit_core::Timestamp;
use libfuzzer_sys::fuzz_target;

struct Mem<'a> {
    files: Vec<&'a str>,
    reads: usize,
    out: usize,
}

impl CliIo for Mem<'_> {
    fn read(&mut self, _path: &str) -> Result<String, String> {
        // The n-th file read gets the n-th file given (files repeat when there are fewer).
        let file = self.files[self.reads % self.files.len()];
        self.reads += 1;
        Ok(file.to_owned())
    }
    fn list_files(&mut self, _path: &str, _skip: &[&str]) -> Result<Vec<String>, String> {
        Ok(vec!["a.txt".into(), "b/c.env".into()])
    }
    fn out(&mut self, t: &str) {
        self.out += t.len();
    }
    fn err(&mut self, t: &str) {
        self.out += t.len();
    }
    fn now(&self) -> Timestamp {
        "2026-11-23T10:00:00Z".parse().unwrap_or_default()
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Arguments, one per line, then after each `\0` the contents of a file read.
    let mut parts = text.split('\0');
    let args: Vec<String> = parts
        .next()
        .unwrap_or("")
        .lines()
        .take(32)
        .map(str::to_owned)
        .collect();
    let mut files: Vec<&str> = parts.take(8).collect();
    if files.is_empty() {
        files.push("{}");
    }
    let mut io = Mem {
        files,
        reads: 0,
        out: 0,
    };
    let status = run(&args, &mut io);
    assert!((0..=2).contains(&status), "exit status {status}");
});
