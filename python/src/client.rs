//! The SDK client's core for Python: the sans-I/O call state machine, the bearer cache
//! and the local rules, as JSON-shaped values. `clouddigit.client` drives them with a
//! transport (urllib by default) and raises the typed exceptions; no rule lives there.

use clouddigit_core::validate::TokenDraft;
use clouddigit_session::models::{redacted as core_redacted, ApiToken, ServiceAccount, Whoami};
use clouddigit_session::oauth::{BearerCache as CoreCache, BearerNeed};
use clouddigit_session::session::{self, ClientCore as CoreClient, StepOut};
use clouddigit_session::{
    resolve_token as core_resolve, ApiError, Call as CoreCall, ClientConfig, HttpResponse,
    Operation, TokenFile, TransportError,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Mutex;

use super::{to_json, Decision, TokenValidation};

/// JSON-shaped data to Python (dicts, lists, str, int, float, bool, None).
fn py_json<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A core `ApiError` as the `(kind, code, message, details)` the Python layer raises from.
fn api_err(e: &ApiError) -> PyErr {
    let json = serde_json::to_string(e).unwrap_or_default();
    ClientError::new_err((e.to_string(), json))
}

pyo3::create_exception!(
    _native,
    ClientError,
    pyo3::exceptions::PyException,
    "Internal: carries a core ApiError as JSON; clouddigit.client turns it into its typed exception."
);

fn input<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    serde_json::from_value(to_json(obj)?)
        .map_err(|e| api_err(&ApiError::config("invalid_input", format!("{what}: {e}"))))
}

fn time(now: &str) -> PyResult<clouddigit_core::Timestamp> {
    now.parse()
        .map_err(|_| PyValueError::new_err(format!("now: {now:?} is not an RFC 3339 time")))
}

#[pyclass(module = "clouddigit._native")]
pub struct ClientCore {
    inner: Mutex<CoreClient>,
}

#[pymethods]
impl ClientCore {
    #[new]
    fn new(config: &Bound<'_, PyAny>, host: &str) -> PyResult<ClientCore> {
        let config: ClientConfig = input(config, "config")?;
        let inner = CoreClient::new(config, host).map_err(|e| api_err(&e))?;
        Ok(ClientCore {
            inner: Mutex::new(inner),
        })
    }

    /// The configuration with `CD_BASE_URL`, `CD_REGION` and `CD_LOG` applied (the
    /// host passes the values it read).
    #[staticmethod]
    fn config_with_env<'py>(
        py: Python<'py>,
        config: &Bound<'py, PyAny>,
        env: std::collections::HashMap<String, String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config: ClientConfig = input(config, "config")?;
        let c = config
            .with_env(|k| env.get(k).cloned())
            .map_err(|e| api_err(&ApiError::config(e.code(), e.to_string())))?;
        py_json(py, &c)
    }

    #[getter]
    fn user_agent(&self) -> String {
        self.inner
            .lock()
            .map(|c| c.user_agent().to_owned())
            .unwrap_or_default()
    }

    /// Whether plain http to other machines was allowed (the default transport's
    /// redirects need it).
    #[getter]
    fn allow_insecure_http(&self) -> bool {
        self.inner
            .lock()
            .map(|c| c.config().allow_insecure_http)
            .unwrap_or(false)
    }

    #[getter]
    fn debug(&self) -> bool {
        self.inner.lock().map(|c| c.config().debug).unwrap_or(false)
    }

    fn start(&self, op: &Bound<'_, PyAny>, idempotency_key: String) -> PyResult<Call> {
        let op: Operation = input(op, "operation")?;
        let c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let call = c.start(op, idempotency_key).map_err(|e| api_err(&e))?;
        Ok(Call {
            inner: Mutex::new(call),
        })
    }

    /// Milliseconds to wait before sending (the client-side limiter; 0 when off).
    fn throttle_ms(&self, now_ms: u64) -> u64 {
        self.inner
            .lock()
            .map(|mut c| c.throttle_ms(now_ms))
            .unwrap_or(0)
    }

    /// The client-credentials token request, as `request` returns it.
    fn token_request<'py>(
        &self,
        py: Python<'py>,
        organization: &str,
        client_id: &str,
        client_secret: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let r = CoreCache::token_request(
            c.config(),
            organization,
            client_id,
            client_secret,
            c.user_agent(),
        )
        .map_err(|e| api_err(&e))?;
        py_json(py, &r)
    }
}

fn response(status: u16, headers: Vec<(String, String)>, body: String) -> HttpResponse {
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn transport_error(kind: &str, message: String) -> TransportError {
    match kind {
        "timeout" => TransportError::Timeout,
        "connect" => TransportError::Connect { message },
        _ => TransportError::Other { message },
    }
}

/// One call in flight.
#[pyclass(module = "clouddigit._native")]
pub struct Call {
    inner: Mutex<CoreCall>,
}

#[pymethods]
impl Call {
    /// `{method, url, headers: [[k, v]...], body, timeout_ms}` for this attempt.
    fn request<'py>(&self, py: Python<'py>, bearer: &str) -> PyResult<Bound<'py, PyAny>> {
        let c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        py_json(py, &c.request(bearer))
    }

    /// The request's debug log line, every secret-bearing header redacted.
    fn log_line(&self) -> String {
        self.inner
            .lock()
            .map(|c| c.request("[redacted]").log_line(c.retries()))
            .unwrap_or_default()
    }

    #[getter]
    fn secret_fields(&self) -> Vec<&'static str> {
        self.inner
            .lock()
            .map(|c| c.operation().secret_fields().to_vec())
            .unwrap_or_default()
    }

    /// `{"action": "done", "value"}`, `{"action": "wait", "wait_ms", "retry", "cause"}`
    /// or `{"action": "fail", "error"}`.
    fn on_response<'py>(
        &self,
        py: Python<'py>,
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        jitter: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let step: StepOut = c
            .on_response(&response(status, headers, body), chrono::Utc::now(), jitter)
            .into();
        py_json(py, &step)
    }

    /// `kind`: `connect`, `timeout` or `other`.
    fn on_transport_error<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        message: String,
        jitter: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let step: StepOut = c
            .on_transport_error(&transport_error(kind, message), jitter)
            .into();
        py_json(py, &step)
    }

    /// The same list call for the page after `page`, or None.
    fn next_page<'py>(
        &self,
        py: Python<'py>,
        page: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let page = to_json(page)?;
        let c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        session::next_page(c.operation(), &page)
            .map(|op| py_json(py, &op))
            .transpose()
    }
}

/// The client-credentials bearer cache (one per client; the host holds a lock around
/// `need` + refresh so one refresh runs at a time).
#[pyclass(module = "clouddigit._native")]
pub struct BearerCache {
    inner: Mutex<CoreCache>,
}

#[pymethods]
impl BearerCache {
    #[new]
    fn new() -> BearerCache {
        BearerCache {
            inner: Mutex::new(CoreCache::new()),
        }
    }

    /// `("use", bearer)` or `("refresh", fallback_or_None)`.
    fn need(&self, now_ms: u64) -> (String, Option<String>) {
        match self.inner.lock().map(|c| c.need(now_ms)) {
            Ok(BearerNeed::Use(b)) => ("use".into(), Some(b)),
            Ok(BearerNeed::Refresh { fallback }) => ("refresh".into(), fallback),
            Err(_) => ("refresh".into(), None),
        }
    }

    /// The token endpoint's answer (`status`, `headers`, `body`), or a transport failure
    /// (`error_kind`, `error_message`); returns the bearer to use.
    #[pyo3(signature = (now_ms, status=None, headers=None, body=None, error_kind=None, error_message=None))]
    fn on_response(
        &self,
        now_ms: u64,
        status: Option<u16>,
        headers: Option<Vec<(String, String)>>,
        body: Option<String>,
        error_kind: Option<&str>,
        error_message: Option<String>,
    ) -> PyResult<String> {
        let mut c = self
            .inner
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let r = match (status, error_kind) {
            (Some(s), _) => {
                let resp = response(s, headers.unwrap_or_default(), body.unwrap_or_default());
                c.on_response(Ok(&resp), now_ms)
            }
            (None, kind) => {
                let e = transport_error(kind.unwrap_or("other"), error_message.unwrap_or_default());
                c.on_response(Err(&e), now_ms)
            }
        };
        r.map_err(|e| api_err(&e))
    }

    /// After a call sent with bearer `used` failed with `error` (the JSON the host got):
    /// whether to fetch a new bearer and send the call once more.
    fn on_rejected(&self, error: &Bound<'_, PyAny>, used: &str) -> PyResult<bool> {
        let e: ApiError = input(error, "error")?;
        Ok(self
            .inner
            .lock()
            .map(|mut c| c.on_rejected(&e, used))
            .unwrap_or(false))
    }
}

/// Picks the token: explicit, `CD_API_TOKEN`, then the token file (refused when group
/// or others can read it). A bad checksum raises before any call.
#[pyfunction]
#[pyo3(signature = (explicit, env_token, file_path, file_contents, file_mode, default_path))]
pub fn resolve_token(
    explicit: Option<&str>,
    env_token: Option<&str>,
    file_path: Option<String>,
    file_contents: Option<String>,
    file_mode: Option<u32>,
    default_path: &str,
) -> PyResult<String> {
    let file = match (file_path, file_contents) {
        (Some(path), Some(contents)) => Some(TokenFile {
            path,
            contents,
            mode: file_mode,
        }),
        _ => None,
    };
    core_resolve(explicit, env_token, file.as_ref(), default_path)
        .map(|t| t.expose_secret().to_owned())
        .map_err(|e| api_err(&ApiError::config(e.code(), e.to_string())))
}

/// How a secret prints: its prefix and an ellipsis.
/// What the default transport does with a response (the core's redirect rule):
/// `{"action": "answer"}`, `{"action": "follow", "request": {...}}` or
/// `{"action": "refuse", "message": ...}`.
#[pyfunction]
pub fn after_response<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    status: u16,
    headers: Vec<(String, String)>,
    hops: u32,
    allow_insecure_http: bool,
) -> PyResult<Bound<'py, PyAny>> {
    use clouddigit_session::http::{after_response as decide, AfterResponse};
    let req: clouddigit_session::HttpRequest = input(request, "request")?;
    let resp = response(status, headers, String::new());
    let out = match decide(&req, &resp, hops, allow_insecure_http) {
        AfterResponse::Answer => serde_json::json!({ "action": "answer" }),
        AfterResponse::Follow(next) => serde_json::json!({ "action": "follow", "request": next }),
        AfterResponse::Refuse(e) => {
            serde_json::json!({ "action": "refuse", "message": e.to_string() })
        }
    };
    py_json(py, &out)
}

#[pyfunction]
pub fn redacted(value: &str) -> String {
    core_redacted(value)
}

/// The console's rules on a token draft. `owner`: the caller (`whoami["owner"]`) or a
/// service account (`service_account_owner(sa)`).
#[pyfunction]
pub fn validate_draft(
    draft: &Bound<'_, PyAny>,
    owner: &Bound<'_, PyAny>,
    whoami: &Bound<'_, PyAny>,
    existing: &Bound<'_, PyAny>,
    now: &str,
) -> PyResult<TokenValidation> {
    let draft: TokenDraft = input(draft, "draft")?;
    let owner = input(owner, "owner")?;
    let whoami: Whoami = input(whoami, "whoami")?;
    let existing: Vec<ApiToken> = input(existing, "existing")?;
    Ok(session::validate_draft(&draft, &owner, &whoami, &existing, time(now)?).into())
}

/// The API body that creates a valid draft; an invalid one raises the validation error
/// with every field error, before any call.
#[pyfunction]
pub fn prepare_create<'py>(
    py: Python<'py>,
    draft: &Bound<'py, PyAny>,
    owner: &Bound<'py, PyAny>,
    whoami: &Bound<'py, PyAny>,
    now: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let draft: TokenDraft = input(draft, "draft")?;
    let owner = input(owner, "owner")?;
    let whoami: Whoami = input(whoami, "whoami")?;
    let body = session::prepare_create(&draft, &owner, &whoami, &[], time(now)?)
        .map_err(|e| api_err(&e))?;
    py_json(py, &body)
}

#[pyfunction]
pub fn service_account_owner<'py>(
    py: Python<'py>,
    service_account: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let sa: ServiceAccount = input(service_account, "service_account")?;
    py_json(py, &session::service_account_owner(&sa))
}

/// Whether the whoami'd token may do `action` in `project` at `now`, locally.
#[pyfunction]
#[pyo3(signature = (whoami, action, project, now))]
pub fn can(
    whoami: &Bound<'_, PyAny>,
    action: &str,
    project: Option<&str>,
    now: &str,
) -> PyResult<Decision> {
    let whoami: Whoami = input(whoami, "whoami")?;
    session::can(&whoami, action, project, time(now)?)
        .map(Into::into)
        .map_err(|e| api_err(&e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ClientError", py.get_type::<ClientError>())?;
    m.add_class::<ClientCore>()?;
    m.add_class::<Call>()?;
    m.add_class::<BearerCache>()?;
    m.add_function(wrap_pyfunction!(resolve_token, m)?)?;
    m.add_function(wrap_pyfunction!(redacted, m)?)?;
    m.add_function(wrap_pyfunction!(after_response, m)?)?;
    m.add_function(wrap_pyfunction!(validate_draft, m)?)?;
    m.add_function(wrap_pyfunction!(prepare_create, m)?)?;
    m.add_function(wrap_pyfunction!(service_account_owner, m)?)?;
    m.add_function(wrap_pyfunction!(can, m)?)?;
    Ok(())
}
