//! The `clouddigit` command in Node (`npx @clouddigit/sdk`, see js/cli.js): the core's
//! `cli::run` with the host's files and output. A module of its own, so that the SDK's
//! module, which every browser page loads, does not carry the command (17 KB gzipped).

use clouddigit_core as core;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_CLI_IO: &'static str = r#"
/** What the `clouddigit` command needs from its host (see js/cli.js). */
export interface CliIo {
    read(path: string): string;
    listFiles(path: string, skipDirs: string[]): string[];
    out(text: string): void;
    err(text: string): void;
    isTty(): boolean;
    progress(done: number, total: number): void;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "CliIo")]
    pub type CliIo;
    #[wasm_bindgen(method, catch)]
    fn read(this: &CliIo, path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(method, catch, js_name = listFiles)]
    fn list_files(this: &CliIo, path: &str, skip_dirs: Vec<String>)
        -> Result<Vec<String>, JsValue>;
    #[wasm_bindgen(method)]
    fn out(this: &CliIo, text: &str);
    #[wasm_bindgen(method)]
    fn err(this: &CliIo, text: &str);
    #[wasm_bindgen(method, js_name = isTty)]
    fn is_tty(this: &CliIo) -> bool;
    #[wasm_bindgen(method)]
    fn progress(this: &CliIo, done: usize, total: usize);
}

/// A thrown JS error's message.
fn message(e: JsValue) -> String {
    js_sys::Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "cannot read".to_owned())
}

struct JsIo<'a>(&'a CliIo);

impl clouddigit_cli::CliIo for JsIo<'_> {
    fn read(&mut self, path: &str) -> Result<String, String> {
        self.0.read(path).map_err(message)
    }
    fn list_files(&mut self, path: &str, skip_dirs: &[&str]) -> Result<Vec<String>, String> {
        let skip = skip_dirs.iter().map(|s| (*s).to_owned()).collect();
        self.0.list_files(path, skip).map_err(message)
    }
    fn out(&mut self, text: &str) {
        self.0.out(text);
    }
    fn err(&mut self, text: &str) {
        self.0.err(text);
    }
    fn now(&self) -> core::Timestamp {
        chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
    fn is_tty(&self) -> bool {
        self.0.is_tty()
    }
    fn progress(&mut self, done: usize, total: usize) {
        self.0.progress(done, total);
    }
}

/// Runs the `clouddigit` command (the same one `pip install clouddigit` installs) with
/// the host's I/O; returns the exit status.
#[wasm_bindgen(js_name = runCli)]
pub fn run_cli(args: Vec<String>, io: &CliIo) -> i32 {
    clouddigit_cli::run(&args, &mut JsIo(io))
}
