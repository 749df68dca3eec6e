//! The API client of `@clouddigit/sdk` (docs/client.md): `new Client({...})`, Promise
//! methods, async-iterable lists. The core decides everything (requests, retries, waits,
//! pagination, models, errors, local validation, `can`); this module holds the client's
//! state and credentials and moves bytes through `host` (fetch, timers).

// ApiError is the core's and large; it is only built on the error path (as in the core).
#![allow(clippy::result_large_err)]

mod host;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use clouddigit_core::validate::{TokenDraft, TokenValidation};
use clouddigit_core::{Decision, TokenSecret};
use clouddigit_session::models::{ApiToken, Page, ServiceAccount, Whoami};
use clouddigit_session::oauth::{BearerCache, BearerNeed};
use clouddigit_session::ops::AuditFilter;
use clouddigit_session::session::{self, ClientCore};
use clouddigit_session::{
    resolve_token, ApiError, ClientConfig, ConfigError, ErrorKind, FieldError, Ingress, Operation,
    Region, Step, TokenFile,
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
    /** `^[a-z0-9-]{1,63}$` */
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
fn js_error(e: &ApiError) -> JsValue {
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

fn config_error(e: ConfigError) -> ApiError {
    ApiError::config(e.code(), e.to_string())
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

/// A call's result for JS: the fields the operation names as secrets become `Secret`s.
fn output(op: &Operation, mut v: Value) -> JsValue {
    let mut secrets = Vec::new();
    if let Value::Object(m) = &mut v {
        for field in op.secret_fields() {
            if let Some(Value::String(s)) = m.remove(*field) {
                secrets.push((*field, s));
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

fn model<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::config("bad_response", e.to_string()))
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

// ---- Options and credentials ----

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, ApiError> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| bad_option(key, "a string"))
}

fn opt_number(obj: &JsValue, key: &str) -> Result<Option<u64>, ApiError> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(Some(n as u64)),
        _ => Err(bad_option(key, "a whole number ≥ 0")),
    }
}

fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, ApiError> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| bad_option(key, "true or false"))
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

const OPTIONS: &[&str] = &[
    "baseUrl",
    "region",
    "ingress",
    "token",
    "tokenProvider",
    "clientCredentials",
    "maxRetries",
    "timeoutMs",
    "maxRetryWaitMs",
    "clientRateLimit",
    "debug",
    "allowInsecureHttp",
    "onRetry",
];

/// What the Node entry read from the environment (`null` in browsers).
fn env_var(env: &JsValue, key: &str) -> Option<String> {
    if env.is_object() {
        get(env, key).as_string()
    } else {
        None
    }
}

fn token_file() -> Option<TokenFile> {
    let f = host::host_token_file();
    if !f.is_object() {
        return None;
    }
    Some(TokenFile {
        path: get(&f, "path").as_string()?,
        contents: get(&f, "contents").as_string()?,
        mode: get(&f, "mode").as_f64().map(|m| m as u32),
    })
}

type RefreshResult = Rc<RefCell<Option<Result<String, ApiError>>>>;

enum Credentials {
    Token(TokenSecret),
    /// Called before each request; its answer is checked like any token.
    Provider(Function),
    OAuth {
        organization: String,
        client_id: String,
        client_secret: clouddigit_session::Secret,
        cache: RefCell<BearerCache>,
        /// The refresh in flight: concurrent calls wait for its Promise instead of
        /// starting their own, then read its result from the shared slot.
        refreshing: RefCell<Option<(Promise, RefreshResult)>>,
    },
}

struct Inner {
    core: RefCell<ClientCore>,
    credentials: Credentials,
    debug: bool,
    allow_insecure_http: bool,
    on_retry: Option<Function>,
    whoami: RefCell<Option<Whoami>>,
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
        for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !OPTIONS.contains(&key.as_str()) {
                return Err(ApiError::config(
                    "unknown_option",
                    format!("{key:?} is not a Client option ({})", OPTIONS.join(", ")),
                ));
            }
        }
        // The environment (Node) overrides the defaults; explicit options override both.
        let env = host::host_env();
        let explicit = |k: &str| match k {
            "CD_BASE_URL" => "baseUrl",
            "CD_REGION" => "region",
            "CD_LOG" => "debug",
            "CD_ALLOW_INSECURE_HTTP" => "allowInsecureHttp",
            _ => "",
        };
        let mut config = ClientConfig::default()
            .with_env(|k| {
                let given = get(&options, explicit(k));
                (given.is_undefined() || given.is_null())
                    .then(|| env_var(&env, k))
                    .flatten()
            })
            .map_err(config_error)?;
        if let Some(u) = opt_string(&options, "baseUrl")? {
            config.base_url = Some(u);
        }
        if let Some(r) = opt_string(&options, "region")? {
            config.region = Region::parse(&r).map_err(config_error)?;
        }
        if let Some(i) = opt_string(&options, "ingress")? {
            config.ingress = match i.as_str() {
                "operational" => Ingress::Operational,
                "canonical" => Ingress::Canonical,
                _ => return Err(bad_option("ingress", "\"operational\" or \"canonical\"")),
            };
        }
        if let Some(n) = opt_number(&options, "maxRetries")? {
            config.max_retries = n.min(u64::from(u32::MAX)) as u32;
        }
        if let Some(n) = opt_number(&options, "timeoutMs")? {
            config.timeout_ms = n;
        }
        if let Some(n) = opt_number(&options, "maxRetryWaitMs")? {
            config.max_retry_wait_ms = n;
        }
        if let Some(b) = opt_bool(&options, "clientRateLimit")? {
            config.client_rate_limit = b;
        }
        if let Some(b) = opt_bool(&options, "debug")? {
            config.debug = b;
        }
        if let Some(b) = opt_bool(&options, "allowInsecureHttp")? {
            config.allow_insecure_http = b;
        }
        let on_retry = opt_function(&options, "onRetry")?;

        // Credentials, first found wins: token, tokenProvider, clientCredentials,
        // CD_API_TOKEN, the token file.
        let credentials = if let Some(t) = opt_string(&options, "token")? {
            Credentials::Token(resolve_token(Some(&t), None, None, "").map_err(config_error)?)
        } else if let Some(f) = opt_function(&options, "tokenProvider")? {
            Credentials::Provider(f)
        } else if !get(&options, "clientCredentials").is_undefined() {
            let cc = get(&options, "clientCredentials");
            let field = |k: &str| {
                opt_string(&cc, k)?.ok_or_else(|| {
                    ApiError::config(
                        "bad_option",
                        format!("clientCredentials: {k} is required (organization, clientId, clientSecret)"),
                    )
                })
            };
            Credentials::OAuth {
                organization: field("organization")?,
                client_id: field("clientId")?,
                client_secret: clouddigit_session::Secret::new(field("clientSecret")?),
                cache: RefCell::new(BearerCache::new()),
                refreshing: RefCell::new(None),
            }
        } else {
            let env_token = env_var(&env, "CD_API_TOKEN").filter(|t| !t.trim().is_empty());
            let file = if env_token.is_none() {
                token_file()
            } else {
                None
            };
            Credentials::Token(
                resolve_token(
                    None,
                    env_token.as_deref(),
                    file.as_ref(),
                    &host::host_token_file_path(),
                )
                .map_err(config_error)?,
            )
        };
        let debug = config.debug;
        let allow_insecure_http = config.allow_insecure_http;
        Ok(Inner {
            core: RefCell::new(ClientCore::new(config, &host::host_name())?),
            credentials,
            debug,
            allow_insecure_http,
            on_retry,
            whoami: RefCell::new(None),
        })
    }

    async fn bearer(self: &Rc<Self>) -> Result<String, ApiError> {
        match &self.credentials {
            Credentials::Token(t) => Ok(t.expose_secret().to_owned()),
            Credentials::Provider(f) => {
                let failed = |e: JsValue| {
                    let message = clouddigit_session::error::scrub(&js_message(e));
                    ApiError::config(
                        "token_provider_failed",
                        format!("credentials (token provider): {message}"),
                    )
                };
                let v = f.call0(&JsValue::NULL).map_err(failed)?;
                let v = JsFuture::from(Promise::resolve(&v)).await.map_err(failed)?;
                let t = v.as_string().ok_or_else(|| {
                    ApiError::config("bad_token", "token provider: did not return a string")
                })?;
                // A provider's token is checked like any other before it is sent.
                TokenSecret::parse(&t)
                    .map_err(|e| ApiError::config("bad_token", format!("token provider: {e}")))?;
                Ok(t)
            }
            Credentials::OAuth {
                cache, refreshing, ..
            } => {
                if let BearerNeed::Use(b) = cache.borrow().need(host::now_ms()) {
                    return Ok(b);
                }
                let running = refreshing.borrow().clone();
                let (p, result) = match running {
                    Some(r) => r,
                    None => {
                        let result = RefreshResult::default();
                        let p = promise(self.clone().refresh(result.clone()));
                        *refreshing.borrow_mut() = Some((p.clone(), result.clone()));
                        (p, result)
                    }
                };
                let _ = JsFuture::from(p).await;
                let r = result.borrow().clone();
                r.unwrap_or_else(|| {
                    Err(ApiError::config(
                        "refresh_failed",
                        "the bearer refresh did not finish",
                    ))
                })
            }
        }
    }

    /// The one refresh in flight (see `refreshing`): asks the token endpoint and lets the
    /// core's cache decide (a failure while the cached bearer is valid keeps it).
    async fn refresh(self: Rc<Self>, out: RefreshResult) -> Result<JsValue, ApiError> {
        let Credentials::OAuth {
            organization,
            client_id,
            client_secret,
            cache,
            refreshing,
        } = &self.credentials
        else {
            return Ok(JsValue::NULL);
        };
        let req = {
            let core = self.core.borrow();
            BearerCache::token_request(
                core.config(),
                organization,
                client_id,
                client_secret.expose(),
                core.user_agent(),
            )
        };
        let result = match req {
            Ok(req) => {
                let resp = host::send(&req, 0, self.debug, self.allow_insecure_http).await;
                cache
                    .borrow_mut()
                    .on_response(resp.as_ref(), host::now_ms())
            }
            Err(e) => Err(e),
        };
        *out.borrow_mut() = Some(result);
        *refreshing.borrow_mut() = None;
        Ok(JsValue::UNDEFINED)
    }

    fn retried(&self, retry: u32, wait_ms: u64, cause: &str) {
        if self.debug {
            host::debug_log(&format!(
                "clouddigit: retry {retry} in {wait_ms} ms ({cause})"
            ));
        }
        if let Some(hook) = &self.on_retry {
            let info = Object::new();
            let _ = Reflect::set(&info, &"retry".into(), &retry.into());
            let _ = Reflect::set(&info, &"waitMs".into(), &(wait_ms as f64).into());
            let _ = Reflect::set(&info, &"cause".into(), &cause.into());
            // The hook's own failure is not the call's.
            let _ = hook.call1(&JsValue::NULL, &info);
        }
    }

    /// One call to its end: throttle, send, retry, read the model; with client
    /// credentials, a 401 on the cached bearer fetches a new one and sends once more.
    async fn run(self: &Rc<Self>, op: Operation) -> Result<Value, ApiError> {
        let wait = self.core.borrow_mut().throttle_ms(host::now_ms());
        if wait > 0 {
            host::sleep_ms(wait).await;
        }
        let mut used = None;
        let result = self.execute(op.clone(), &mut used).await;
        if let (Err(e), Credentials::OAuth { cache, .. }, Some(used)) =
            (&result, &self.credentials, used)
        {
            let again = cache.borrow_mut().on_rejected(e, &used);
            if again {
                return self.execute(op, &mut None).await;
            }
        }
        result
    }

    /// `used`: the bearer of the last attempt (to tell a rejected cached bearer).
    async fn execute(
        self: &Rc<Self>,
        op: Operation,
        used: &mut Option<String>,
    ) -> Result<Value, ApiError> {
        let mut call = self.core.borrow().start(op, host::random_key())?;
        loop {
            let bearer = self.bearer().await?;
            let request = call.request(&bearer);
            *used = Some(bearer);
            let step = match host::send(
                &request,
                call.retries(),
                self.debug,
                self.allow_insecure_http,
            )
            .await
            {
                Ok(resp) => call.on_response(&resp, host::now(), host::jitter()),
                Err(e) => call.on_transport_error(&e, host::jitter()),
            };
            match step {
                Step::Done(result) => return result,
                Step::Wait {
                    wait_ms,
                    retry,
                    cause,
                } => {
                    self.retried(retry, wait_ms, &cause);
                    host::sleep_ms(wait_ms).await;
                }
            }
        }
    }

    /// Runs `op` and hands back its result for JS (secrets wrapped).
    async fn call(self: Rc<Self>, op: Operation) -> Result<JsValue, ApiError> {
        let v = self.run(op.clone()).await?;
        Ok(output(&op, v))
    }

    /// Whoami, kept for `can`, and its JSON.
    async fn whoami(self: &Rc<Self>) -> Result<(Whoami, Value), ApiError> {
        let v = self.run(Operation::Whoami).await?;
        let w: Whoami = model(v.clone())?;
        *self.whoami.borrow_mut() = Some(w.clone());
        Ok((w, v))
    }

    /// One page: its items (the core read them into the list's model) and the
    /// operation for the next page.
    async fn page(
        self: &Rc<Self>,
        op: &Operation,
    ) -> Result<(Vec<Value>, Option<Operation>), ApiError> {
        let mut page = self.run(op.clone()).await?;
        let next = session::next_page(op, &page);
        match page.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => Ok((items, next)),
            _ => Err(model::<Page<Value>>(page)
                .err()
                .unwrap_or_else(|| ApiError::config("bad_response", "a page without items"))),
        }
    }

    async fn all_tokens(self: &Rc<Self>) -> Result<Vec<ApiToken>, ApiError> {
        let mut out = Vec::new();
        let mut next = Some(Operation::ListTokens {
            cursor: None,
            limit: None,
        });
        while let Some(op) = next {
            let (items, n) = self.page(&op).await?;
            for item in items {
                out.push(model(item)?);
            }
            next = n;
        }
        Ok(out)
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
            let (items, following) = c.page(&op).await?;
            *next.borrow_mut() = following;
            Ok(json_to_js(&Value::Array(items)))
        })
    }
}

fn list_limit(options: Option<&JsValue>) -> Result<Option<u32>, ApiError> {
    match options {
        Some(o) if o.is_object() => {
            Ok(opt_number(o, "limit")?.map(|n| n.min(u64::from(u32::MAX)) as u32))
        }
        _ => Ok(None),
    }
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

    /// The calling token and its owner as they are now; kept for `can`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Whoami>")]
    pub fn whoami(&self) -> Promise {
        let c = self.c.clone();
        promise(async move { Ok(json_to_js(&c.whoami().await?.1)) })
    }

    /// Whether this client's token may do `action` in `project` now, decided locally by
    /// the evaluator on the last `whoami()` (no call). Throws `ConfigError` when
    /// `whoami()` has not been called yet.
    pub fn can(&self, action: &str, project: Option<String>) -> Result<Ts<Decision>, JsValue> {
        let w = self.c.whoami.borrow();
        let w = w.as_ref().ok_or_else(|| {
            js_error(&ApiError::config(
                "no_whoami",
                "can() decides on the last whoami(): call whoami() first",
            ))
        })?;
        session::can(w, action, project.as_deref(), host::now())
            .map(|d| Ts::new_unchecked(to_js(&d)))
            .map_err(|e| js_error(&e))
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
            let (w, _) = c.whoami().await?;
            let existing = c.all_tokens().await?;
            let v: TokenValidation =
                session::validate_draft(&draft, &w.owner, &w, &existing, host::now());
            Ok(to_js(&v))
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
            let (w, _) = c.whoami().await?;
            let body = session::prepare_create(&draft, &w.owner, &w, &[], host::now())?;
            c.call(Operation::CreateToken { body }).await
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
        let options = options.as_deref();
        let project = match options {
            Some(o) if o.is_object() => opt_string(o, "project"),
            _ => Ok(None),
        };
        match (project, list_limit(options)) {
            (Ok(project), Ok(limit)) => self.c.list(Operation::ListServiceAccounts {
                project,
                cursor: None,
                limit,
            }),
            (Err(e), _) | (_, Err(e)) => failed_list(e),
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
            c.run(Operation::DeleteServiceAccount { id }).await?;
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
            let (w, _) = c.whoami().await?;
            let sa: ServiceAccount = model(
                c.run(Operation::GetServiceAccount {
                    id: service_account_id.clone(),
                })
                .await?,
            )?;
            let owner = session::service_account_owner(&sa);
            let body = session::prepare_create(&draft, &owner, &w, &[], host::now())?;
            c.call(Operation::CreateServiceAccountToken {
                id: service_account_id,
                body,
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
            c.run(Operation::DeleteAccessKey {
                id: service_account_id,
                key_id,
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
