//! The `clouddigit` command itself for Node (js/cli.js): `runCli` with the host's files,
//! output, prompts and keychain, and the SDK's own `Client` (linked from clouddigit-wasm
//! with `cli-run`) for the online commands. Only in the command's module (feature
//! `command`, dist/command/): the module pages load lazily for `sigv4Explain`,
//! `sigv4Verify` and `checkTrust` (dist/cli/) carries none of it.

use clouddigit_core as core;
use wasm_bindgen::prelude::*;
// Linked for its exports: the SDK's `Client` (with `__run`), which js/cli.js hands the
// online commands. Nothing here calls it from Rust.
extern crate clouddigit_wasm;

#[wasm_bindgen(typescript_custom_section)]
const TS_CLI_IO: &'static str = r#"
/** What the `clouddigit` command needs from its host (see js/cli.js). */
export interface CliIo {
    read(path: string): string;
    /** Opens a file (`-`: standard input) for `readChunk`; returns a handle. */
    openRead(path: string): number;
    /** The next bytes of an opened file; empty at its end. */
    readChunk(handle: number): Uint8Array;
    closeRead(handle: number): void;
    listFiles(path: string, skipDirs: string[]): string[];
    /** `scan`'s walk: every file under the roots (never entering `skipDirs`; honouring
     * .gitignore in a git work tree when `gitignore`), read as bytes; the files holding
     * one of `literals` are returned, as [path, bytes, path, bytes, ...]. `progress`
     * gives the line to draw on stderr, if any. Throws naming a root that cannot be read. */
    walkScan(roots: string[], skipDirs: string[], literals: string[], gitignore: boolean,
             progress: (files: number, bytes: number, elapsedMs: number) => string | undefined):
        { files: number; bytes: number; candidates: Array<string | Uint8Array> };
    /** `git -C dir ...args` with `input` on stdin: its stdout, or throws its stderr's first line. */
    git(dir: string, args: string[], input: Uint8Array): Uint8Array;
    writeFile(path: string, text: string): void;
    out(text: string): void;
    err(text: string): void;
    isTty(): boolean;
    /** The online commands: build the SDK's Client from these options (JSON text);
     *  answers `{"ok": credentialSource}` or `{"error": ApiError}` as JSON text. */
    connect(options: string): string;
    /** One session command on that client (JSON text in and out, as `connect`). */
    run(command: string): Promise<string>;
    /** Keychain calls throw an Error whose `unavailable` is true when there is none. */
    keychainGet(profile: string): string | null;
    keychainSet(profile: string, secret: string): void;
    keychainDelete(profile: string): boolean;
    prompt(question: string, secret: boolean): Promise<string | null>;
    writePrivate(path: string, text: string): void;
    checkPrivate(path: string): void;
    removeFile(path: string): boolean;
    configDir(): string;
    env(name: string): string | null;
    stdinIsTty(): boolean;
    sleep(ms: number): Promise<void>;
    /** A file holding a secret: null when there is none; its Unix mode bits (null where
     *  the platform has none). */
    readPrivate(path: string): { contents: string; mode: number | null } | null;
    /** `n` bytes from the operating system's secure random source. */
    randomBytes(n: number): Uint8Array;
    hostname(): string | null;
    /** One plain POST (`scan --report-to`): `headers` is JSON text of [name, value]
     *  pairs; the body goes as exactly its UTF-8 bytes; no redirect followed. Resolves
     *  to JSON text `{"status", "body"}` whatever the status; rejects only when there
     *  is no answer. */
    post(url: string, headers: string, body: string): Promise<string>;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "CliIo")]
    pub type CliIo;
    #[wasm_bindgen(method, catch)]
    fn read(this: &CliIo, path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(method, catch, js_name = openRead)]
    fn open_read(this: &CliIo, path: &str) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch, js_name = readChunk)]
    fn read_chunk(this: &CliIo, handle: f64) -> Result<js_sys::Uint8Array, JsValue>;
    #[wasm_bindgen(method, catch, js_name = closeRead)]
    fn close_read(this: &CliIo, handle: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = listFiles)]
    fn list_files(this: &CliIo, path: &str, skip_dirs: Vec<String>)
        -> Result<Vec<String>, JsValue>;
    #[wasm_bindgen(method)]
    fn out(this: &CliIo, text: &str);
    #[wasm_bindgen(method)]
    fn err(this: &CliIo, text: &str);
    #[wasm_bindgen(method, js_name = isTty)]
    fn is_tty(this: &CliIo) -> bool;
    #[wasm_bindgen(method, catch)]
    fn connect(this: &CliIo, options: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(method, catch, js_name = run)]
    fn run_command(this: &CliIo, command: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = keychainGet)]
    fn keychain_get(this: &CliIo, profile: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = keychainSet)]
    fn keychain_set(this: &CliIo, profile: &str, secret: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = keychainDelete)]
    fn keychain_delete(this: &CliIo, profile: &str) -> Result<bool, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn prompt(this: &CliIo, question: &str, secret: bool) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = writePrivate)]
    fn write_private(this: &CliIo, path: &str, text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = checkPrivate)]
    fn check_private(this: &CliIo, path: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeFile)]
    fn remove_file(this: &CliIo, path: &str) -> Result<bool, JsValue>;
    #[wasm_bindgen(method, catch, js_name = configDir)]
    fn config_dir(this: &CliIo) -> Result<String, JsValue>;
    #[wasm_bindgen(method, js_name = env)]
    fn var(this: &CliIo, name: &str) -> Option<String>;
    #[wasm_bindgen(method, js_name = stdinIsTty)]
    fn stdin_is_tty(this: &CliIo) -> bool;
    #[wasm_bindgen(method, js_name = sleep)]
    fn sleep_ms(this: &CliIo, ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(method, catch, js_name = walkScan)]
    fn walk_scan(
        this: &CliIo,
        roots: Vec<String>,
        skip_dirs: Vec<String>,
        literals: Vec<String>,
        gitignore: bool,
        progress: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn git(this: &CliIo, dir: &str, args: Vec<String>, input: &[u8]) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = writeFile)]
    fn write_file(this: &CliIo, path: &str, text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = readPrivate)]
    fn read_private(this: &CliIo, path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = randomBytes)]
    fn random_bytes(this: &CliIo, n: f64) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(method, js_name = hostname)]
    fn host_name(this: &CliIo) -> Option<String>;
    #[wasm_bindgen(method, catch, js_name = post)]
    fn post(this: &CliIo, url: &str, headers: &str, body: &str)
        -> Result<js_sys::Promise, JsValue>;
}

/// A number field of a JS object (0 if absent).
fn number(v: &JsValue, key: &str) -> f64 {
    js_sys::Reflect::get(v, &key.into())
        .ok()
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}

/// `{"ok": v}` → `Ok(v)`, `{"error": e}` → `Err(e)` (JSON text from js/cli.js).
fn answer_of(text: &str) -> Result<serde_json::Value, serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        serde_json::json!({"kind": "config", "code": "internal", "message": e.to_string(), "status": null, "request_id": null})
    })?;
    if let Some(e) = v.get_mut("error").map(serde_json::Value::take) {
        return Err(e);
    }
    Ok(v.get_mut("ok")
        .map(serde_json::Value::take)
        .unwrap_or_default())
}

/// A keychain call's exception: `unavailable` says there is no keychain here.
fn keychain_failure(e: JsValue) -> clouddigit_cli::online::KeychainFailure {
    let unavailable = js_sys::Reflect::get(&e, &"unavailable".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    clouddigit_cli::online::KeychainFailure {
        unavailable,
        message: message(e),
    }
}

fn thrown(e: JsValue) -> serde_json::Value {
    serde_json::json!({"kind": "config", "code": "internal", "message": message(e), "status": null, "request_id": null})
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
    fn read_chunks(
        &mut self,
        path: &str,
        each: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), String> {
        let handle = self.0.open_read(path).map_err(message)?;
        let mut buf = Vec::new();
        let result = loop {
            let chunk = match self.0.read_chunk(handle) {
                Ok(c) => c,
                Err(e) => break Err(message(e)),
            };
            let n = chunk.length() as usize;
            if n == 0 {
                break Ok(());
            }
            buf.resize(n, 0);
            chunk.copy_to(&mut buf[..n]);
            if !each(&buf[..n]) {
                break Ok(());
            }
        };
        let closed = self.0.close_read(handle).map_err(message);
        result.and(closed)
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
    fn walk_scan(
        &mut self,
        walk: &clouddigit_cli::ScanWalk<'_>,
        visit: &dyn clouddigit_cli::ScanVisitor,
    ) -> Result<clouddigit_cli::WalkTotals, String> {
        // The line itself is the command's (progress_line); JS only draws it.
        let tty = self.0.is_tty();
        let progress = Closure::<dyn FnMut(f64, f64, f64) -> Option<String>>::new(
            move |files: f64, bytes: f64, ms: f64| {
                if tty {
                    clouddigit_cli::scan::progress_line(files as u64, bytes as u64, ms as u64)
                } else {
                    None
                }
            },
        );
        let result = self
            .0
            .walk_scan(
                walk.roots.to_vec(),
                walk.skip_dirs.iter().map(|s| (*s).to_owned()).collect(),
                walk.literals.iter().map(|s| (*s).to_owned()).collect(),
                walk.gitignore,
                progress.as_ref().unchecked_ref(),
            )
            .map_err(message)?;
        let candidates: js_sys::Array = js_sys::Reflect::get(&result, &"candidates".into())
            .map_err(message)?
            .dyn_into()
            .map_err(|_| "walkScan: candidates is not an array".to_owned())?;
        let mut i = 0;
        while i + 1 < candidates.length() {
            let path = candidates.get(i).as_string().unwrap_or_default();
            let bytes = js_sys::Uint8Array::new(&candidates.get(i + 1)).to_vec();
            visit.candidate(&path, &bytes);
            i += 2;
        }
        Ok(clouddigit_cli::WalkTotals {
            files: number(&result, "files") as u64,
            bytes: number(&result, "bytes") as u64,
        })
    }
    fn git(&mut self, dir: &str, args: &[String], input: &[u8]) -> Result<Vec<u8>, String> {
        self.0.git(dir, args.to_vec(), input).map_err(message)
    }
    fn write_file(&mut self, path: &str, text: &str) -> Result<(), String> {
        self.0.write_file(path, text).map_err(message)
    }
}

impl clouddigit_cli::Host for JsIo<'_> {
    fn connect(
        &mut self,
        options: &serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let text = self.0.connect(&options.to_string()).map_err(thrown)?;
        answer_of(&text)
    }

    async fn run(
        &mut self,
        command: &serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let p = self.0.run_command(&command.to_string()).map_err(thrown)?;
        let v = wasm_bindgen_futures::JsFuture::from(p)
            .await
            .map_err(thrown)?;
        answer_of(&v.as_string().unwrap_or_default())
    }

    fn keychain_get(
        &mut self,
        profile: &str,
    ) -> Result<Option<String>, clouddigit_cli::online::KeychainFailure> {
        self.0.keychain_get(profile).map_err(keychain_failure)
    }

    fn keychain_set(
        &mut self,
        profile: &str,
        secret: &str,
    ) -> Result<(), clouddigit_cli::online::KeychainFailure> {
        self.0
            .keychain_set(profile, secret)
            .map_err(keychain_failure)
    }

    fn keychain_delete(
        &mut self,
        profile: &str,
    ) -> Result<bool, clouddigit_cli::online::KeychainFailure> {
        self.0.keychain_delete(profile).map_err(keychain_failure)
    }

    async fn prompt(&mut self, question: &str, secret: bool) -> Result<Option<String>, String> {
        let p = self.0.prompt(question, secret).map_err(message)?;
        let v = wasm_bindgen_futures::JsFuture::from(p)
            .await
            .map_err(message)?;
        Ok(v.as_string())
    }

    fn write_private(&mut self, path: &str, text: &str) -> Result<(), String> {
        self.0.write_private(path, text).map_err(message)
    }

    fn check_private(&mut self, path: &str) -> Result<(), String> {
        self.0.check_private(path).map_err(message)
    }

    fn remove_file(&mut self, path: &str) -> Result<bool, String> {
        self.0.remove_file(path).map_err(message)
    }

    fn config_dir(&self) -> Result<String, String> {
        self.0.config_dir().map_err(message)
    }

    fn var(&self, name: &str) -> Option<String> {
        self.0.var(name)
    }

    fn stdin_is_tty(&self) -> bool {
        self.0.stdin_is_tty()
    }

    async fn sleep(&mut self, ms: u64) {
        let _ = wasm_bindgen_futures::JsFuture::from(self.0.sleep_ms(ms as f64)).await;
    }

    fn read_private(&mut self, path: &str) -> Result<Option<(String, Option<u32>)>, String> {
        let v = self.0.read_private(path).map_err(message)?;
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        let contents = js_sys::Reflect::get(&v, &"contents".into())
            .ok()
            .and_then(|c| c.as_string())
            .ok_or_else(|| "readPrivate: no contents".to_owned())?;
        let mode = js_sys::Reflect::get(&v, &"mode".into())
            .ok()
            .and_then(|m| m.as_f64())
            .map(|m| m as u32);
        Ok(Some((contents, mode)))
    }

    fn random_bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        self.0.random_bytes(n as f64).map_err(message)
    }

    fn hostname(&self) -> Option<String> {
        self.0.host_name()
    }

    async fn post(
        &mut self,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Result<(u16, String), String> {
        let headers = serde_json::to_string(headers).map_err(|e| e.to_string())?;
        let p = self.0.post(url, &headers, body).map_err(message)?;
        let v = wasm_bindgen_futures::JsFuture::from(p)
            .await
            .map_err(message)?;
        let answer: serde_json::Value =
            serde_json::from_str(&v.as_string().unwrap_or_default()).map_err(|e| e.to_string())?;
        let status = answer
            .get("status")
            .and_then(serde_json::Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| "post: no status".to_owned())?;
        let body = answer
            .get("body")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok((status, body))
    }
}

/// Runs the `clouddigit` command (the same one `pip install clouddigit` installs) with
/// the host's I/O; resolves to the exit status.
#[wasm_bindgen(js_name = runCli)]
pub async fn run_cli(args: Vec<String>, io: CliIo) -> i32 {
    clouddigit_cli::main(&args, &mut JsIo(&io)).await
}
