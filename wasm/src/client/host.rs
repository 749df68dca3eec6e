//! The API client's I/O in JS hosts (Node ≥ 20 and browsers): `fetch` through gloo-net
//! with an `AbortController` per attempt, timers, the clock and randomness. Every
//! decision (retries, waits, models, errors) is the core's `Call`.

use chrono::{DateTime, Utc};
use clouddigit_session::{HttpRequest, HttpResponse, TransportError};
use gloo_net::http::{Headers, Method, RequestBuilder, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = hostName)]
    pub fn host_name() -> String;
    #[wasm_bindgen(js_name = hostEnv)]
    pub fn host_env() -> JsValue;
    #[wasm_bindgen(js_name = hostTokenFile)]
    pub fn host_token_file() -> JsValue;
    #[wasm_bindgen(js_name = hostTokenFilePath)]
    pub fn host_token_file_path() -> String;
    #[wasm_bindgen(js_name = hostReadFile, catch)]
    pub fn host_read_file(path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = hostReadEnv)]
    pub fn host_read_env(name: &str) -> JsValue;
    /// `{path, contents, mode}` of ~/.config/cd/config.json, or null.
    #[wasm_bindgen(js_name = hostConfigFile)]
    pub fn host_config_file() -> JsValue;
    /// The profile's token in the keychain, null when none; throws why it cannot read.
    #[wasm_bindgen(js_name = hostKeychain, catch)]
    pub fn host_keychain(profile: &str) -> Result<JsValue, JsValue>;
    fn sleep(ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = abortAfter)]
    fn abort_after(controller: &web_sys::AbortController, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimer)]
    fn clear_timer(id: &JsValue);
    #[wasm_bindgen(js_name = randomKey)]
    pub fn random_key() -> String;
    pub fn paginated(pager: JsValue) -> JsValue;
    pub fn failing(error: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = debugLog)]
    pub fn debug_log(line: &str);
    #[wasm_bindgen(js_name = failureMessage)]
    fn failure_message(error: &JsValue) -> String;
    #[wasm_bindgen(js_name = isConnectFailure)]
    fn is_connect_failure(error: &JsValue) -> bool;
}

#[wasm_bindgen]
extern "C" {
    // The global fetch (Node ≥ 20, browsers, workers), called directly so that a
    // rejection keeps its `cause` (gloo-net's `send` keeps only the message).
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_request(request: &web_sys::Request) -> js_sys::Promise;
}

pub async fn sleep_ms(ms: u64) {
    let _ = JsFuture::from(sleep(ms as f64)).await;
}

/// Milliseconds since the epoch (the bearer cache and the rate limiter only compare them).
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// For `Retry-After` given as an HTTP date.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// One attempt: the request within its `timeout_ms` (headers and body), or what went
/// wrong below HTTP. An abort by the timer is a timeout; a failed `fetch` is a failed
/// connection; a body cut mid-response is a transport failure too.
pub async fn send(
    req: &HttpRequest,
    allow_insecure_http: bool,
) -> Result<HttpResponse, TransportError> {
    let controller = web_sys::AbortController::new().map_err(|_| other("no AbortController"))?;
    let timer = abort_after(&controller, req.timeout_ms as f64);
    let result = follow(req, &controller.signal(), allow_insecure_http).await;
    clear_timer(&timer);
    match result {
        Err(_) if controller.signal().aborted() => Err(TransportError::Timeout),
        r => r,
    }
}

/// In Node, redirects are the core's to decide (`after_response`): Node's fetch would
/// follow https down to http. Browsers follow them themselves, by the same rules (the
/// Authorization header is dropped on a cross-origin redirect, mixed content is
/// refused), and a page cannot see a redirect's target to decide anything.
async fn follow(
    req: &HttpRequest,
    signal: &web_sys::AbortSignal,
    allow_insecure_http: bool,
) -> Result<HttpResponse, TransportError> {
    use clouddigit_session::http::{after_response, AfterResponse};
    let manual = host_name() == "node";
    let mut req = std::borrow::Cow::Borrowed(req);
    let mut hops = 0;
    loop {
        let resp = fetch(&req, signal, manual).await?;
        if !manual {
            return Ok(resp);
        }
        match after_response(&req, &resp, hops, allow_insecure_http) {
            AfterResponse::Answer => return Ok(resp),
            AfterResponse::Refuse(e) => return Err(e),
            AfterResponse::Follow(next) => {
                req = std::borrow::Cow::Owned(next);
                hops += 1;
            }
        }
    }
}

fn other(message: impl Into<String>) -> TransportError {
    TransportError::Other {
        message: message.into(),
    }
}

async fn fetch(
    req: &HttpRequest,
    signal: &web_sys::AbortSignal,
    manual_redirects: bool,
) -> Result<HttpResponse, TransportError> {
    let method = Method::from_bytes(req.method.as_bytes()).map_err(|_| other("bad HTTP method"))?;
    let headers = web_sys::Headers::new().map_err(|_| other("no Headers"))?;
    for (name, value) in &req.headers {
        // Browsers may refuse User-Agent (it is theirs); every other header must go.
        if headers.set(name, value).is_err() && !name.eq_ignore_ascii_case("user-agent") {
            return Err(other(format!("the {name} header was refused")));
        }
    }
    let mut builder = RequestBuilder::new(&req.url)
        .method(method)
        .headers(Headers::from_raw(headers))
        .abort_signal(Some(signal));
    if manual_redirects {
        builder = builder.redirect(web_sys::RequestRedirect::Manual);
    }
    let request: web_sys::Request = match &req.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(|e| other(e.to_string()))?
    .into();
    let failed = |e: JsValue| {
        let message = failure_message(&e);
        if is_connect_failure(&e) {
            TransportError::Connect { message }
        } else {
            TransportError::Other { message }
        }
    };
    let resp: Response = JsFuture::from(fetch_request(&request))
        .await
        .map_err(failed)?
        .unchecked_into::<web_sys::Response>()
        .into();
    let status = resp.status();
    let headers = resp.headers().entries().collect();
    // The body read fails when the connection is cut mid-response.
    let text = web_sys::Response::from(resp)
        .text()
        .map_err(|e| other(failure_message(&e)))?;
    let body = JsFuture::from(text)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
