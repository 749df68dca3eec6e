//! The API client of `@clouddigit/sdk` (docs/client.md): `new Client({...})`, Promise
//! methods, async-iterable lists. The core decides everything (requests, retries, waits,
//! pagination, models, errors, local validation, `can`); this module holds the client's
//! state and credentials and moves bytes through `host` (fetch, timers).

// ApiError is the core's and large; it is only built on the error path (as in the core).
#![allow(clippy::result_large_err)]

pub(crate) mod host;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use clouddigit_core::validate::TokenDraft;
use clouddigit_session::machine::{
    keychain_profile, Answer, Clock, Command, Effect, Environment, Input, Options, RetryInfo,
    Session, TokenFileSeen, ENV_VARS,
};
use clouddigit_session::ops::AuditFilter;
use clouddigit_session::profile::KeychainSeen;
use clouddigit_session::{
    ApiError, ErrorKind, FieldError, HttpRequest, HttpResponse, Operation, TransportError,
};
use js_sys::{Function, Object, Promise, Reflect};
use serde::Serialize;
use serde_json::Value;
use tsify::Ts;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{js_message, make_error, to_js};

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT: &'static str = r#"
/** Settings of a `Client` (docs/client.md); every one is optional. */
export interface ClientOptions {
    /** Overrides `region` and `ingress` (e.g. the sandbox: `http://127.0.0.1:8787/v1`). */
    baseUrl?: string;
    /** `bd-dha-1` (default), `bd-ctg-1`, `bd-syl-1`. */
    region?: Region;
    /** `operational` (`api.<region>.mymine.space`, the default) or `canonical` (`api.<region>.clouddigit.ai`). */
    ingress?: Ingress;
    /** An API token (`cd_...`); a bad checksum throws a `ConfigError` here. */
    token?: string;
    /** Called before each request (sync or async), so a rotated token is picked up. */
    tokenProvider?: () => string | Promise<string>;
    /** A service account's OAuth 2.0 client credentials; the bearer is cached and refreshed. */
    clientCredentials?: ClientCredentialsOptions;
    /** OIDC workload identity: the service account whose bearer the CI platform's identity token is exchanged for (`CD_SERVICE_ACCOUNT` in Node); cached and refreshed like client credentials. */
    serviceAccount?: string;
    /** The service account's organization (`CD_ORGANIZATION` in Node). */
    organization?: string;
    /** The audience to ask the CI platform for (`CD_OIDC_AUDIENCE` in Node). */
    oidcAudience?: string;
    /** Node: a file holding the identity token, read again for every exchange (`CD_OIDC_TOKEN_FILE`). */
    oidcTokenFile?: string;
    /** Node: the environment variable holding the identity token (`CD_OIDC_TOKEN_ENV`; GitLab CI's `id_tokens`). */
    oidcTokenEnv?: string;
    /** Returns the identity token (a JWT) for every exchange, given the audience (sync or async). */
    oidcTokenProvider?: (audience: string | null) => string | Promise<string>;
    /** Retries per call (2). */
    maxRetries?: number;
    /** Per attempt (60000). */
    timeoutMs?: number;
    /** The longest server-requested wait honoured (60000); beyond it the call fails fast. */
    maxRetryWaitMs?: number;
    /** Throttle on the client: 60 burst, 30 per second (false). */
    clientRateLimit?: boolean;
    /** Log each request and retry with `console.debug`, secrets redacted (`CD_LOG=debug` in Node). */
    debug?: boolean;
    /** Allow plain http to hosts other than this machine (`CD_ALLOW_INSECURE_HTTP=1` in Node); off, a token only travels over https or to a loopback address. */
    allowInsecureHttp?: boolean;
    /** Called before each retry. */
    onRetry?: (info: RetryInfo) => void;
}

export interface ClientCredentialsOptions {
    organization: string;
    clientId: string;
    clientSecret: string;
}

/** What `onRetry` is told before each retry. */
export interface RetryInfo {
    /** Counts from 1. */
    retry: number;
    waitMs: number;
    /** `HTTP 429`, `HTTP 503`, `connection failed: ...`, `timed out`. */
    cause: string;
}

/** A list: `for await (const item of list)`; pages are fetched as the loop needs them. */
export interface Paginated<T> extends AsyncIterable<T> {}

export interface ListOptions {
    /** Page size (the server's default when absent). */
    limit?: number;
}

export interface ServiceAccountListOptions extends ListOptions {
    project?: string;
}

/** `serviceAccounts.create` (the API's `ServiceAccountCreate`). */
export interface ServiceAccountCreate {
    /** Lowercase letters, digits and inner hyphens; `limits().max_service_account_name_chars` at most. `validateServiceAccount` says what is wrong with one. */
    name: string;
    /** Absent: an organization-level account. */
    project?: string;
    role?: ProjectRole;
    description?: string;
    tag_selector?: Record<string, string>;
}

/** `serviceAccounts.update` (the API's `ServiceAccountUpdate`). */
export interface ServiceAccountUpdate {
    description?: string;
    role?: ProjectRole;
    tag_selector?: Record<string, string> | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "ClientOptions")]
    pub type ClientOptionsArg;
    #[wasm_bindgen(typescript_type = "ListOptions")]
    pub type ListOptionsArg;
    #[wasm_bindgen(typescript_type = "ServiceAccountListOptions")]
    pub type ServiceAccountListOptionsArg;
}

// ---- Errors ----

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetails<'a> {
    kind: ErrorKind,
    status: Option<u16>,
    request_id: Option<&'a str>,
    retries: u32,
    field_errors: &'a [FieldError],
    retry_after_ms: Option<u64>,
}

/// The `ApiError` subclass for the core's error (errors.js).
pub(crate) fn js_error(e: &ApiError) -> JsValue {
    let class = match e.kind {
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::PermissionDenied => "PermissionDeniedError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::Validation => "ValidationError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Server => "ServerError",
        ErrorKind::Http => "ApiError",
        ErrorKind::Transport => "TransportError",
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Config => "ConfigError",
    };
    let details = ErrorDetails {
        kind: e.kind,
        status: e.status,
        request_id: e.request_id.as_deref(),
        retries: e.retries,
        field_errors: &e.field_errors,
        retry_after_ms: e.retry_after_ms,
    };
    make_error(class, &e.code, &e.to_string(), to_js(&details))
}

fn bad_option(name: &str, what: &str) -> ApiError {
    ApiError::config("bad_option", format!("{name}: must be {what}"))
}

type Pending = Pin<Box<dyn Future<Output = Result<JsValue, ApiError>>>>;

/// Runs `f` as a Promise that rejects with the `ApiError` subclass. (Boxed, so the
/// Promise machinery is compiled once rather than once per method.)
fn promise(f: impl Future<Output = Result<JsValue, ApiError>> + 'static) -> Promise {
    promise_boxed(Box::pin(f))
}

fn promise_boxed(f: Pending) -> Promise {
    future_to_promise(async move { f.await.map_err(|e| js_error(&e)) })
}

// ---- Values across the boundary ----

/// JSON results as plain JS values (objects, arrays, `null`), as every binding returns them.
fn json_to_js(v: &Value) -> JsValue {
    crate::json::to_js(v)
}

fn from_js<T: serde::de::DeserializeOwned>(v: &JsValue, name: &str) -> Result<T, ApiError> {
    crate::json::read(v, name).map_err(|message| ApiError::config("invalid_input", message))
}

/// A call's result for JS: the fields the session names as secrets become `Secret`s.
fn output(fields: &[String], mut v: Value) -> JsValue {
    let mut secrets = Vec::new();
    if let Value::Object(m) = &mut v {
        for field in fields {
            if let Some(Value::String(s)) = m.remove(field.as_str()) {
                secrets.push((field.as_str(), s));
            }
        }
    }
    let js = json_to_js(&v);
    for (field, s) in secrets {
        let secret = Secret {
            inner: clouddigit_session::Secret::new(s),
        };
        let _ = Reflect::set(&js, &field.into(), &secret.into());
    }
    js
}

/// A secret the API shows once (a token, a client secret, an access key's secret).
/// Printing it (`String(s)`, `JSON.stringify`, `util.inspect`, template strings) shows
/// only its prefix, as `cd_AbC123…[redacted]`; `reveal()` returns the value.
#[wasm_bindgen]
pub struct Secret {
    inner: clouddigit_session::Secret,
}

#[wasm_bindgen]
impl Secret {
    /// The secret itself: pass it where it is needed, never to a log.
    pub fn reveal(&self) -> String {
        self.inner.expose().to_owned()
    }

    /// The part that may be shown (`cd_` and 6 characters for tokens, else 4).
    #[wasm_bindgen(getter)]
    pub fn prefix(&self) -> String {
        self.inner.prefix().to_owned()
    }

    /// `cd_AbC123…[redacted]`
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        self.inner.to_string()
    }

    /// `JSON.stringify` writes the redacted form, never the value.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.inner.to_string()
    }
}

// ---- The session and its driver ----

/// The environment variables the SDK reads, the client's and `s3Config`'s (the Node
/// entry reads exactly these).
#[wasm_bindgen(js_name = clientEnvVars, skip_typescript)]
pub fn client_env_vars() -> Vec<String> {
    let mut names: Vec<String> = ENV_VARS.iter().map(|s| (*s).to_owned()).collect();
    for k in clouddigit_session::S3_ENV_VARS {
        if !ENV_VARS.contains(&k) {
            names.push(k.to_owned());
        }
    }
    names
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn opt_function(obj: &JsValue, key: &str) -> Result<Option<Function>, ApiError> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.dyn_into::<Function>()
        .map(Some)
        .map_err(|_| bad_option(key, "a function"))
}

/// The functions a `Client` takes stay here; the session is told only that they exist.
const FUNCTIONS: [&str; 3] = ["tokenProvider", "oidcTokenProvider", "onRetry"];

/// The I/O of a client: the host's (fetch, timers, the clock, the environment), or an
/// object with the same methods (`_io`, for the conformance vectors).
struct Io {
    replay: Option<JsValue>,
}

impl Io {
    fn call(&self, method: &str, args: &[JsValue]) -> Option<Result<JsValue, JsValue>> {
        let io = self.replay.as_ref()?;
        let f: Function = get(io, method).dyn_into().ok()?;
        let list = js_sys::Array::new();
        for a in args {
            list.push(a);
        }
        Some(f.apply(io, &list))
    }

    fn number(&self, method: &str) -> Option<f64> {
        self.call(method, &[])?.ok()?.as_f64()
    }

    fn now_ms(&self) -> u64 {
        self.number("nowMs").map_or_else(host::now_ms, |n| n as u64)
    }

    fn clock(&self) -> Clock {
        let now = match self.number("nowUnixMs") {
            Some(ms) => chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default(),
            None => host::now(),
        };
        Clock {
            now_ms: self.now_ms(),
            now,
        }
    }

    fn seed(&self) -> u64 {
        if let Some(n) = self.number("seed") {
            return n as u64;
        }
        let key = host::random_key().replace('-', "");
        u64::from_str_radix(key.get(..16).unwrap_or("0"), 16).unwrap_or(0)
    }

    /// The variables the session reads (and no others) and the token file: the host's,
    /// or `_io.environment()`'s `{vars, token_file}`. Read field by field (no serde: the
    /// page's wasm stays smaller).
    fn environment(&self) -> Environment {
        let (env, file) = match self.call("environment", &[]) {
            Some(e) => {
                let e = e.unwrap_or(JsValue::NULL);
                (get(&e, "vars"), get(&e, "token_file"))
            }
            None => (host::host_env(), host::host_token_file()),
        };
        let mut vars = std::collections::BTreeMap::new();
        if env.is_object() {
            for k in ENV_VARS {
                if let Some(v) = get(&env, k).as_string() {
                    vars.insert(k.to_owned(), v);
                }
            }
        }
        let token_file = file_seen(&file);
        let config_file = match self.replay {
            Some(_) => None,
            None => file_seen(&host::host_config_file()),
        };
        Environment {
            vars,
            token_file,
            config_file,
            keychain: None,
        }
    }

    /// The profile's keychain entry (Node, with the optional `@napi-rs/keyring`;
    /// browsers and replays have none).
    fn keychain(&self, profile: &str) -> Option<KeychainSeen> {
        if self.replay.is_some() {
            return None;
        }
        let (secret, error) = match host::host_keychain(profile) {
            Ok(v) => (v.as_string(), None),
            Err(e) => (None, Some(js_message(e))),
        };
        Some(KeychainSeen {
            profile: profile.to_owned(),
            secret,
            error,
        })
    }

    async fn send(&self, req: &HttpRequest, allow_insecure_http: bool) -> Input {
        let result = match self.call("send", &[to_js(req)]) {
            Some(Ok(p)) => match JsFuture::from(Promise::resolve(&p)).await {
                Ok(v) => Ok(response_of(&v)),
                Err(e) => Err(transport_error_of(&e)),
            },
            Some(Err(e)) => Err(transport_error_of(&e)),
            None => host::send(req, allow_insecure_http).await,
        };
        match result {
            Ok(response) => Input::Response { response },
            Err(error) => Input::TransportError { error },
        }
    }

    /// A file's text, or why it could not be read (Node reads it; browsers have none).
    fn read_file(&self, path: &str) -> Input {
        let result = match self.call("readFile", &[JsValue::from_str(path)]) {
            Some(r) => r,
            None => host::host_read_file(path),
        };
        match result {
            Ok(v) if v.is_string() => Input::Read {
                text: v.as_string(),
                error: None,
            },
            Ok(_) => Input::Read {
                text: None,
                error: Some("no such file".into()),
            },
            Err(e) => Input::Read {
                text: None,
                error: Some(js_message(e)),
            },
        }
    }

    /// An environment variable's value (Node's; browsers have none).
    fn read_env(&self, name: &str) -> Input {
        let v = match self.call("readEnv", &[JsValue::from_str(name)]) {
            Some(r) => r.unwrap_or(JsValue::NULL),
            None => host::host_read_env(name),
        };
        Input::Read {
            text: v.as_string(),
            error: None,
        }
    }

    async fn sleep(&self, ms: u64) {
        match self.call("sleep", &[JsValue::from(ms as f64)]) {
            Some(Ok(p)) => {
                let _ = JsFuture::from(Promise::resolve(&p)).await;
            }
            Some(Err(_)) => {}
            None => host::sleep_ms(ms).await,
        }
    }
}

/// `{path, contents, mode}` as the host read a file, or `None`.
fn file_seen(file: &JsValue) -> Option<TokenFileSeen> {
    match (
        get(file, "path").as_string(),
        get(file, "contents").as_string(),
    ) {
        (Some(path), Some(contents)) if file.is_object() => Some(TokenFileSeen {
            path,
            contents,
            mode: get(file, "mode").as_f64().map(|m| m as u32),
        }),
        _ => None,
    }
}

/// A finished task: its value, the fields to wrap as secrets, a page's next operation.
type Done = (Answer, Vec<String>, Option<Operation>);

/// `{status, headers: [[name, value]], body}` from `_io.send`.
fn response_of(v: &JsValue) -> HttpResponse {
    let headers = js_sys::Array::from(&get(v, "headers"))
        .iter()
        .filter_map(|h| {
            let h = js_sys::Array::from(&h);
            Some((h.get(0).as_string()?, h.get(1).as_string()?))
        })
        .collect();
    HttpResponse {
        status: get(v, "status").as_f64().unwrap_or(0.0) as u16,
        headers,
        body: get(v, "body").as_string().unwrap_or_default(),
    }
}

/// What `_io.send` threw: `{transportError: {kind, message}}`, or anything else.
fn transport_error_of(e: &JsValue) -> TransportError {
    let t = get(e, "transportError");
    let message = get(&t, "message")
        .as_string()
        .unwrap_or_else(|| js_message(e.clone()));
    match get(&t, "kind").as_string().as_deref() {
        Some("timeout") => TransportError::Timeout,
        Some("connect") => TransportError::Connect { message },
        _ => TransportError::Other { message },
    }
}

struct Inner {
    session: RefCell<Session>,
    io: Io,
    provider: Option<Function>,
    oidc_provider: Option<Function>,
    on_retry: Option<Function>,
    /// Calls parked behind a bearer refresh, resolved when it ends.
    waiters: RefCell<Vec<Function>>,
}

impl Inner {
    fn new(options: &JsValue) -> Result<Inner, ApiError> {
        let options = if options.is_undefined() || options.is_null() {
            Object::new().into()
        } else if options.is_object() {
            options.clone()
        } else {
            return Err(bad_option("options", "an object"));
        };
        // The options as data for the session, which owns their names, defaults and
        // precedence; functions are only said to be there.
        let data = Object::new();
        let mut io = None;
        for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
            let name = key.as_string().unwrap_or_default();
            let v = get(&options, &name);
            if name == "_io" {
                io = Some(v);
            } else if FUNCTIONS.contains(&name.as_str()) {
                let present = opt_function(&options, &name)?.is_some();
                let _ = Reflect::set(&data, &key, &present.into());
            } else {
                let _ = Reflect::set(&data, &key, &v);
            }
        }
        let io = Io { replay: io };
        let data: Value = from_js(&data.into(), "options")?;
        let session_options = Options::from_json(&data)?;
        let mut env = io.environment();
        if let Some(profile) = keychain_profile(&session_options, &env)? {
            env.keychain = io.keychain(&profile);
        }
        let session = Session::new(session_options, &env, &host::host_name(), io.seed())?;
        Ok(Inner {
            session: RefCell::new(session),
            io,
            provider: opt_function(&options, "tokenProvider")?,
            oidc_provider: opt_function(&options, "oidcTokenProvider")?,
            on_retry: opt_function(&options, "onRetry")?,
            waiters: RefCell::new(Vec::new()),
        })
    }

    /// The answer of a provider (`f`, called with `arg`).
    async fn provided(f: Option<&Function>, arg: &JsValue) -> Input {
        let failed = |e: JsValue| Input::Token {
            token: None,
            error: Some(js_message(e)),
        };
        let Some(f) = f else {
            return failed(JsValue::from_str("no token provider"));
        };
        let v = match f.call1(&JsValue::NULL, arg) {
            Ok(v) => v,
            Err(e) => return failed(e),
        };
        match JsFuture::from(Promise::resolve(&v)).await {
            Ok(v) => match v.as_string() {
                Some(token) => Input::Token {
                    token: Some(token),
                    error: None,
                },
                None => failed(JsValue::from_str("did not return a string")),
            },
            Err(e) => failed(e),
        }
    }

    fn retried(&self, info: &RetryInfo) {
        if let Some(hook) = &self.on_retry {
            let js = Object::new();
            let _ = Reflect::set(&js, &"retry".into(), &info.retry.into());
            let _ = Reflect::set(&js, &"waitMs".into(), &(info.wait_ms as f64).into());
            let _ = Reflect::set(&js, &"cause".into(), &info.cause.as_str().into());
            // The hook's own failure is not the call's.
            let _ = hook.call1(&JsValue::NULL, &js);
        }
    }

    /// The driver loop: do what the session asks until the task ends.
    async fn drive(self: &Rc<Self>, command: Command) -> Result<Done, ApiError> {
        let mut task = self.session.borrow().start(command);
        let mut input = Input::Resume;
        let mut wake = false;
        loop {
            let clock = self.io.clock();
            let effect = self.session.borrow_mut().poll(&mut task, input, clock);
            if std::mem::take(&mut wake) {
                for resolve in self.waiters.borrow_mut().drain(..) {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
            input = match effect {
                Effect::Send {
                    request,
                    refresh,
                    log,
                } => {
                    if let Some(line) = log {
                        host::debug_log(&line);
                    }
                    wake = refresh;
                    let insecure = self.session.borrow().config().allow_insecure_http;
                    self.io.send(&request, insecure).await
                }
                Effect::Sleep { ms, retry, log } => {
                    if let Some(line) = log {
                        host::debug_log(&line);
                    }
                    if let Some(info) = &retry {
                        self.retried(info);
                    }
                    self.io.sleep(ms).await;
                    Input::Resume
                }
                Effect::AskToken => {
                    Self::provided(self.provider.as_ref(), &JsValue::UNDEFINED).await
                }
                // Steps of a refresh: wake the parked calls after, whatever the answer.
                Effect::AskOidcToken { audience } => {
                    wake = true;
                    let audience = audience.map_or(JsValue::NULL, |a| JsValue::from_str(&a));
                    Self::provided(self.oidc_provider.as_ref(), &audience).await
                }
                Effect::ReadFile { path } => {
                    wake = true;
                    self.io.read_file(&path)
                }
                Effect::ReadEnv { name } => {
                    wake = true;
                    self.io.read_env(&name)
                }
                Effect::AwaitRefresh => {
                    if self.session.borrow().refreshing() {
                        let waiters = &self.waiters;
                        let parked =
                            Promise::new(&mut |resolve, _| waiters.borrow_mut().push(resolve));
                        let _ = JsFuture::from(parked).await;
                    }
                    Input::Resume
                }
                Effect::Done {
                    value,
                    secret_fields,
                    next,
                } => return Ok((value, secret_fields, next)),
                Effect::Fail { error } => return Err(error),
            };
        }
    }

    /// One operation, its result for JS (secrets wrapped).
    async fn call(self: Rc<Self>, op: Operation) -> Result<JsValue, ApiError> {
        self.command(Command::Call { op }).await
    }

    async fn command(self: Rc<Self>, command: Command) -> Result<JsValue, ApiError> {
        let (v, secrets, _) = self.drive(command).await?;
        Ok(match v {
            Answer::Json(v) => output(&secrets, v),
            Answer::Decision(d) => to_js(&d),
            Answer::Validation(v) => to_js(&v),
        })
    }

    /// One page: its items and the operation for the next page.
    async fn page(self: &Rc<Self>, op: Operation) -> Result<(Value, Option<Operation>), ApiError> {
        let (items, _, next) = self.drive(Command::Page { op }).await?;
        match items {
            Answer::Json(items) => Ok((items, next)),
            _ => Err(ApiError::config("internal", "a page that is not a list")),
        }
    }

    fn list(self: &Rc<Self>, first: Operation) -> JsValue {
        let pager = Pager {
            c: self.clone(),
            first,
            next: Rc::new(RefCell::new(None)),
        };
        host::paginated(pager.into())
    }
}

/// One walk through a list's pages, for `host.js`'s `paginated` (each `for await`
/// takes a fresh one with `restart`).
#[wasm_bindgen(skip_typescript)]
pub struct Pager {
    c: Rc<Inner>,
    first: Operation,
    next: Rc<RefCell<Option<Operation>>>,
}

#[wasm_bindgen]
impl Pager {
    /// A walk from the first page.
    #[wasm_bindgen(skip_typescript)]
    pub fn restart(&self) -> Pager {
        Pager {
            c: self.c.clone(),
            first: self.first.clone(),
            next: Rc::new(RefCell::new(Some(self.first.clone()))),
        }
    }

    /// The next page's items, or `null` after the last page.
    #[wasm_bindgen(js_name = nextPage, skip_typescript)]
    pub fn next_page(&self) -> Promise {
        let c = self.c.clone();
        let next = self.next.clone();
        let op = next.borrow_mut().take();
        promise(async move {
            let Some(op) = op else {
                return Ok(JsValue::NULL);
            };
            let (items, following) = c.page(op).await?;
            *next.borrow_mut() = following;
            Ok(json_to_js(&items))
        })
    }
}

/// `{limit, project}` of a list call, read field by field (serde here costs the page's
/// wasm 2 KB for two fields).
struct ListOptions {
    limit: Option<u32>,
    project: Option<String>,
}

fn list_options(options: Option<&JsValue>) -> Result<ListOptions, ApiError> {
    let Some(o) = options.filter(|o| o.is_object()) else {
        return Ok(ListOptions {
            limit: None,
            project: None,
        });
    };
    let limit = match get(o, "limit") {
        v if v.is_undefined() || v.is_null() => None,
        v => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Some(n as u32)
            }
            _ => return Err(bad_option("limit", "a whole number ≥ 0")),
        },
    };
    let project = match get(o, "project") {
        v if v.is_undefined() || v.is_null() => None,
        v => Some(
            v.as_string()
                .ok_or_else(|| bad_option("project", "a string"))?,
        ),
    };
    Ok(ListOptions { limit, project })
}

fn list_limit(options: Option<&JsValue>) -> Result<Option<u32>, ApiError> {
    Ok(list_options(options)?.limit)
}

/// A list whose options were bad: an iterable that rejects on the first step.
fn failed_list(e: ApiError) -> JsValue {
    host::failing(js_error(&e))
}

// ---- The client and its namespaces ----

/// The Cloud Digit API client (docs/client.md). Methods return Promises that reject with
/// an `ApiError` subclass; lists are async iterables following the pages.
#[wasm_bindgen]
pub struct Client {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl Client {
    /// Throws `ConfigError` for bad settings or credentials (a token with a bad checksum,
    /// an unknown option, no credentials at all), before a call is made.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<ClientOptionsArg>) -> Result<Client, JsValue> {
        let options: JsValue = options.map(Into::into).unwrap_or(JsValue::UNDEFINED);
        Inner::new(&options)
            .map(|c| Client { c: Rc::new(c) })
            .map_err(|e| js_error(&e))
    }

    /// Internal, for the `clouddigit` command (js/cli.js): one session command as JSON
    /// text; resolves to `{"ok": {value, next}}` or `{"error": ApiError}` as text. The
    /// secrets stay plain in the answer: the command shows them once itself. Only in
    /// the command's module (feature `cli-run`): reading a `Command` from JSON costs a
    /// page 24 KB gzipped (measured), for something no page calls.
    #[cfg(feature = "cli-run")]
    #[wasm_bindgen(js_name = __run, skip_typescript)]
    pub fn run_json(&self, command: String) -> Promise {
        let c = self.c.clone();
        future_to_promise(async move {
            let answer = match serde_json::from_str::<Command>(&command) {
                Err(e) => {
                    serde_json::json!({"error": ApiError::config("invalid_input", e.to_string())})
                }
                Ok(cmd) => match c.drive(cmd).await {
                    Ok((v, _, next)) => {
                        serde_json::json!({"ok": {"value": v.into_json(), "next": next}})
                    }
                    Err(e) => serde_json::json!({"error": e}),
                },
            };
            Ok(JsValue::from_str(&answer.to_string()))
        })
    }

    /// Internal, for the `clouddigit` command: where the credential came from, as JSON.
    #[cfg(feature = "cli-run")]
    #[wasm_bindgen(js_name = __credentialSource, skip_typescript)]
    pub fn credential_source(&self) -> String {
        serde_json::to_string(self.c.session.borrow().credential_source()).unwrap_or_default()
    }

    /// The calling token and its owner as they are now; kept for `can`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Whoami>")]
    pub fn whoami(&self) -> Promise {
        let c = self.c.clone();
        promise(c.command(Command::Whoami))
    }

    /// Whether this client's token may do `action` in `project` now, decided locally by
    /// the evaluator on the last `whoami()` (fetched first when there is none).
    #[wasm_bindgen(unchecked_return_type = "Promise<Decision>")]
    pub fn can(&self, action: String, project: Option<String>) -> Promise {
        promise(self.c.clone().command(Command::Can { action, project }))
    }

    #[wasm_bindgen(getter)]
    pub fn tokens(&self) -> TokensApi {
        TokensApi { c: self.c.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn members(&self) -> MembersApi {
        MembersApi { c: self.c.clone() }
    }

    #[wasm_bindgen(getter, js_name = serviceAccounts)]
    pub fn service_accounts(&self) -> ServiceAccountsApi {
        ServiceAccountsApi { c: self.c.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn audit(&self) -> AuditApi {
        AuditApi { c: self.c.clone() }
    }
}

/// The caller's own API tokens.
#[wasm_bindgen]
pub struct TokensApi {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl TokensApi {
    #[wasm_bindgen(unchecked_return_type = "Paginated<ApiToken>")]
    pub fn list(&self, options: Option<ListOptionsArg>) -> JsValue {
        match list_limit(options.as_deref()) {
            Ok(limit) => self.c.list(Operation::ListTokens {
                cursor: None,
                limit,
            }),
            Err(e) => failed_list(e),
        }
    }

    /// The console's rules on a draft for the caller's own token (calls only whoami and
    /// the token list, for name uniqueness).
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenValidation>")]
    pub fn validate(&self, draft: Ts<TokenDraft>) -> Promise {
        let c = self.c.clone();
        let draft = draft.js_value();
        promise(async move {
            let draft: TokenDraft = from_js(&draft, "draft")?;
            c.command(Command::ValidateToken { draft }).await
        })
    }

    /// Validates locally first (a `ValidationError` with `fieldErrors`, and
    /// nothing sent), then creates. The secret is a `Secret`, shown this once.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedToken>")]
    pub fn create(&self, draft: Ts<TokenDraft>) -> Promise {
        let c = self.c.clone();
        let draft = draft.js_value();
        promise(async move {
            let draft: TokenDraft = from_js(&draft, "draft")?;
            c.command(Command::CreateToken { draft }).await
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ApiToken>")]
    pub fn get(&self, id: String) -> Promise {
        promise(self.c.clone().call(Operation::GetToken { id }))
    }

    /// A new secret; the old one keeps working until its `grace_ends_at`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Rotation>")]
    pub fn rotate(&self, id: String) -> Promise {
        promise(self.c.clone().call(Operation::RotateToken { id }))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ApiToken>")]
    pub fn revoke(&self, id: String) -> Promise {
        promise(self.c.clone().call(Operation::RevokeToken { id }))
    }
}

/// Organization members (admins and owners).
#[wasm_bindgen]
pub struct MembersApi {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl MembersApi {
    /// Revokes every personal token of a member.
    #[wasm_bindgen(js_name = revokeTokens, unchecked_return_type = "Promise<RevokedCount>")]
    pub fn revoke_tokens(&self, member_id: String) -> Promise {
        promise(
            self.c
                .clone()
                .call(Operation::RevokeMemberTokens { member_id }),
        )
    }
}

#[wasm_bindgen]
pub struct ServiceAccountsApi {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl ServiceAccountsApi {
    #[wasm_bindgen(unchecked_return_type = "Paginated<ServiceAccount>")]
    pub fn list(&self, options: Option<ServiceAccountListOptionsArg>) -> JsValue {
        match list_options(options.as_deref()) {
            Ok(o) => self.c.list(Operation::ListServiceAccounts {
                project: o.project,
                cursor: None,
                limit: o.limit,
            }),
            Err(e) => failed_list(e),
        }
    }

    /// Organization-level accounts (organization admins and owners).
    #[wasm_bindgen(js_name = listOrg, unchecked_return_type = "Paginated<ServiceAccount>")]
    pub fn list_org(&self, options: Option<ListOptionsArg>) -> JsValue {
        match list_limit(options.as_deref()) {
            Ok(limit) => self.c.list(Operation::ListOrgServiceAccounts {
                cursor: None,
                limit,
            }),
            Err(e) => failed_list(e),
        }
    }

    /// The client secret is a `Secret`, shown this once. Without `project`, an
    /// organization-level account.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedServiceAccount>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ServiceAccountCreate")] body: JsValue,
    ) -> Promise {
        let c = self.c.clone();
        promise(async move {
            let body = from_js::<Value>(&body, "body")?;
            c.call(Operation::CreateServiceAccount { body }).await
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ServiceAccount>")]
    pub fn get(&self, id: String) -> Promise {
        promise(self.c.clone().call(Operation::GetServiceAccount { id }))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ServiceAccount>")]
    pub fn update(
        &self,
        id: String,
        #[wasm_bindgen(unchecked_param_type = "ServiceAccountUpdate")] body: JsValue,
    ) -> Promise {
        let c = self.c.clone();
        promise(async move {
            let body = from_js::<Value>(&body, "body")?;
            c.call(Operation::UpdateServiceAccount { id, body }).await
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ServiceAccount>")]
    pub fn disable(&self, id: String) -> Promise {
        promise(self.c.clone().call(Operation::DisableServiceAccount { id }))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ServiceAccount>")]
    pub fn enable(&self, id: String) -> Promise {
        promise(self.c.clone().call(Operation::EnableServiceAccount { id }))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn delete(&self, id: String) -> Promise {
        let c = self.c.clone();
        promise(async move {
            c.drive(Command::Call {
                op: Operation::DeleteServiceAccount { id },
            })
            .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(getter)]
    pub fn tokens(&self) -> ServiceAccountTokensApi {
        ServiceAccountTokensApi { c: self.c.clone() }
    }

    #[wasm_bindgen(getter, js_name = accessKeys)]
    pub fn access_keys(&self) -> AccessKeysApi {
        AccessKeysApi { c: self.c.clone() }
    }
}

/// A service account's tokens.
#[wasm_bindgen]
pub struct ServiceAccountTokensApi {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl ServiceAccountTokensApi {
    #[wasm_bindgen(unchecked_return_type = "Paginated<ApiToken>")]
    pub fn list(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
        options: Option<ListOptionsArg>,
    ) -> JsValue {
        match list_limit(options.as_deref()) {
            Ok(limit) => self.c.list(Operation::ListServiceAccountTokens {
                id: service_account_id,
                cursor: None,
                limit,
            }),
            Err(e) => failed_list(e),
        }
    }

    /// Validated locally against the account as it is now (its role bounds the
    /// permissions; no projects means the account's project), then created.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedToken>")]
    pub fn create(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
        draft: Ts<TokenDraft>,
    ) -> Promise {
        let c = self.c.clone();
        let draft = draft.js_value();
        promise(async move {
            let draft: TokenDraft = from_js(&draft, "draft")?;
            c.command(Command::CreateServiceAccountToken {
                id: service_account_id,
                draft,
            })
            .await
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<Rotation>")]
    pub fn rotate(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
        #[wasm_bindgen(js_name = tokenId)] token_id: String,
    ) -> Promise {
        promise(self.c.clone().call(Operation::RotateServiceAccountToken {
            id: service_account_id,
            token_id,
        }))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<ApiToken>")]
    pub fn revoke(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
        #[wasm_bindgen(js_name = tokenId)] token_id: String,
    ) -> Promise {
        promise(self.c.clone().call(Operation::RevokeServiceAccountToken {
            id: service_account_id,
            token_id,
        }))
    }
}

/// A service account's S3 access keys.
#[wasm_bindgen]
pub struct AccessKeysApi {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl AccessKeysApi {
    #[wasm_bindgen(unchecked_return_type = "Paginated<AccessKey>")]
    pub fn list(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
    ) -> JsValue {
        self.c.list(Operation::ListAccessKeys {
            id: service_account_id,
        })
    }

    /// The key's secret is a `Secret`, shown this once.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedAccessKey>")]
    pub fn create(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
    ) -> Promise {
        promise(self.c.clone().call(Operation::CreateAccessKey {
            id: service_account_id,
        }))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(js_name = serviceAccountId)] service_account_id: String,
        #[wasm_bindgen(js_name = keyId)] key_id: String,
    ) -> Promise {
        let c = self.c.clone();
        promise(async move {
            c.drive(Command::Call {
                op: Operation::DeleteAccessKey {
                    id: service_account_id,
                    key_id,
                },
            })
            .await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// The organization's audit log.
#[wasm_bindgen]
pub struct AuditApi {
    c: Rc<Inner>,
}

#[wasm_bindgen]
impl AuditApi {
    /// Newest first.
    #[wasm_bindgen(unchecked_return_type = "Paginated<AuditEvent>")]
    pub fn list(
        &self,
        filter: Option<Ts<AuditFilter>>,
        options: Option<ListOptionsArg>,
    ) -> JsValue {
        let filter = match filter {
            Some(f) => from_js(&f.js_value(), "filter"),
            None => Ok(AuditFilter::default()),
        };
        match (filter, list_limit(options.as_deref())) {
            (Ok(filter), Ok(limit)) => self.c.list(Operation::ListAuditEvents {
                filter,
                cursor: None,
                limit,
            }),
            (Err(e), _) | (_, Err(e)) => failed_list(e),
        }
    }

    /// Every matching event as JSON lines.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn export(&self, filter: Option<Ts<AuditFilter>>) -> Promise {
        let c = self.c.clone();
        let filter = filter.map(|f| f.js_value());
        promise(async move {
            let filter = match filter {
                Some(f) => from_js(&f, "filter")?,
                None => AuditFilter::default(),
            };
            c.call(Operation::ExportAuditEvents { filter }).await
        })
    }
}
