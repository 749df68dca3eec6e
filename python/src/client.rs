//! The SDK client's session for Python: the sans-I/O state machine of
//! `clouddigit-session` as JSON-shaped values. `clouddigit.client` is one driver loop
//! over it (sync and asyncio) plus a transport; no rule lives there.

use clouddigit_session::machine::{
    keychain_profile, Clock, Command, Environment, Input, Options, Session as CoreSession,
    Task as CoreTask, ENV_VARS,
};
use clouddigit_session::models::redacted as core_redacted;
use clouddigit_session::replay::{ClientCase, Replay as CoreReplay};
use clouddigit_session::{ApiError, HttpRequest, HttpResponse, TransportError};
use pyo3::exceptions::PyAssertionError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::{Mutex, MutexGuard};

use super::{to_json, Decision, TokenValidation};

/// JSON-shaped data to Python (dicts, lists, str, int, float, bool, None).
fn py_json<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    super::to_py(py, v)
}

/// A core `ApiError` as the `(message, json)` the Python layer raises its typed error from.
pub(crate) fn api_err(e: &ApiError) -> PyErr {
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

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One client's session: options, credentials and what its calls share.
#[pyclass(module = "clouddigit._native")]
pub struct Session {
    inner: Mutex<CoreSession>,
}

#[pymethods]
impl Session {
    /// `options`: the client's options in snake_case (functions as `True`); `env`:
    /// `{"vars": {...}, "token_file": {"path", "contents", "mode"} | None}`.
    #[new]
    fn new(
        options: &Bound<'_, PyAny>,
        env: &Bound<'_, PyAny>,
        host: &str,
        seed: u64,
    ) -> PyResult<Session> {
        let inner = CoreSession::from_json(&to_json(options)?, &to_json(env)?, host, seed)
            .map_err(|e| api_err(&e))?;
        Ok(Session {
            inner: Mutex::new(inner),
        })
    }

    /// Where the credential came from: `{"kind": "keychain", "profile": ...}`,
    /// `{"kind": "file", "path": ...}`, `{"kind": "env_var"}`, ...
    fn credential_source<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_json(py, locked(&self.inner).credential_source())
    }

    /// The profile whose keychain entry to read before building a session, or `None`
    /// when a credential that comes first makes the keychain irrelevant.
    #[staticmethod]
    fn keychain_profile(
        options: &Bound<'_, PyAny>,
        env: &Bound<'_, PyAny>,
    ) -> PyResult<Option<String>> {
        let options = Options::from_json(&to_json(options)?).map_err(|e| api_err(&e))?;
        let env = Environment::from_json(&to_json(env)?).map_err(|e| api_err(&e))?;
        keychain_profile(&options, &env).map_err(|e| api_err(&e))
    }

    /// The environment variables a client reads (and no others).
    #[staticmethod]
    fn env_vars() -> Vec<&'static str> {
        ENV_VARS.to_vec()
    }

    #[getter]
    fn user_agent(&self) -> String {
        locked(&self.inner).user_agent().to_owned()
    }

    /// Whether plain http to other machines was allowed (the default transport's
    /// redirects need it).
    #[getter]
    fn allow_insecure_http(&self) -> bool {
        locked(&self.inner).config().allow_insecure_http
    }

    /// Whether a bearer refresh is in flight (a driver parks on `await_refresh` until
    /// it is not).
    #[getter]
    fn refreshing(&self) -> bool {
        locked(&self.inner).refreshing()
    }

    fn start(&self, command: &Bound<'_, PyAny>) -> PyResult<Task> {
        let command: Command = input(command, "command")?;
        Ok(Task {
            inner: Mutex::new(locked(&self.inner).start(command)),
        })
    }

    /// The task's next effect, given what happened since the last one.
    fn poll<'py>(
        &self,
        py: Python<'py>,
        task: &Task,
        input_: &Bound<'py, PyAny>,
        now_ms: u64,
        now_unix_ms: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inp: Input = input(input_, "input")?;
        let clock = Clock {
            now_ms,
            now: chrono::DateTime::from_timestamp_millis(now_unix_ms).unwrap_or_default(),
        };
        let effect = locked(&self.inner).poll(&mut locked(&task.inner), inp, clock);
        py_json(py, &effect)
    }

    /// The driver gave up on `task` (an exception, a cancelled coroutine).
    fn cancel(&self, task: &Task) {
        locked(&self.inner).cancel(&mut locked(&task.inner));
    }
}

#[pyclass(module = "clouddigit._native")]
pub struct Task {
    inner: Mutex<CoreTask>,
}

/// A decision as `can()` returns it, from the session's JSON.
#[pyfunction]
pub fn decision(value: &Bound<'_, PyAny>) -> PyResult<Decision> {
    let d: clouddigit_core::Decision = input(value, "decision")?;
    Ok(d.into())
}

/// A validation as `tokens.validate()` returns it, from the session's JSON.
#[pyfunction]
pub fn token_validation(value: &Bound<'_, PyAny>) -> PyResult<TokenValidation> {
    let v: clouddigit_core::TokenValidation = input(value, "validation")?;
    Ok(v.into())
}

/// One client conformance case (`tests/vectors/client.json`) being replayed as a
/// client's I/O; see `clouddigit_session::replay`.
#[pyclass(module = "clouddigit._native")]
pub struct Replay {
    inner: Mutex<CoreReplay>,
}

#[pymethods]
impl Replay {
    #[new]
    fn new(case: &Bound<'_, PyAny>) -> PyResult<Replay> {
        let case: ClientCase = input(case, "case")?;
        Ok(Replay {
            inner: Mutex::new(CoreReplay::new(case)),
        })
    }
    fn seed(&self) -> u64 {
        locked(&self.inner).seed()
    }
    fn now_ms(&self) -> u64 {
        locked(&self.inner).now_ms()
    }
    fn now_unix_ms(&self) -> i64 {
        locked(&self.inner).now().timestamp_millis()
    }
    fn environment<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_json(py, &locked(&self.inner).environment())
    }
    /// The scripted answer (a response dict), or raises `TimeoutError` /
    /// `ConnectionError` for a scripted transport failure.
    fn send<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let req: HttpRequest = input(request, "request")?;
        match locked(&self.inner).send(&req) {
            Ok(r) => py_json(py, &r),
            Err(TransportError::Timeout) => {
                Err(pyo3::exceptions::PyTimeoutError::new_err("timed out"))
            }
            Err(TransportError::Connect { message }) => {
                Err(pyo3::exceptions::PyConnectionRefusedError::new_err(message))
            }
            Err(TransportError::Other { message }) => {
                Err(pyo3::exceptions::PyConnectionError::new_err(message))
            }
        }
    }
    fn sleep(&self, ms: u64) {
        locked(&self.inner).sleep(ms);
    }
    fn retried(&self, info: &Bound<'_, PyAny>) -> PyResult<()> {
        let info = to_json(info)?;
        locked(&self.inner).retried(&info);
        Ok(())
    }
    /// The provider's next answer; raises `RuntimeError` with its message for a
    /// provider that fails.
    fn provide(&self) -> PyResult<String> {
        locked(&self.inner)
            .provide()
            .map_err(pyo3::exceptions::PyRuntimeError::new_err)
    }
    /// The OIDC token provider's next answer for `audience`; raises `RuntimeError`
    /// with its message for a provider that fails.
    #[pyo3(signature = (audience))]
    fn provide_oidc(&self, audience: Option<String>) -> PyResult<String> {
        locked(&self.inner)
            .provide_oidc(audience.as_deref())
            .map_err(pyo3::exceptions::PyRuntimeError::new_err)
    }
    /// The file's scripted text; raises `FileNotFoundError` when there is none.
    fn read_file(&self, path: &str) -> PyResult<String> {
        locked(&self.inner)
            .read_file(path)
            .map_err(pyo3::exceptions::PyFileNotFoundError::new_err)
    }
    /// The variable's scripted value, or `None`.
    fn read_env(&self, name: &str) -> Option<String> {
        locked(&self.inner).read_env(name)
    }
    /// Raises `AssertionError` naming the first difference.
    fn finish(&self, outcomes: &Bound<'_, PyAny>) -> PyResult<()> {
        let outcomes: Vec<serde_json::Value> = input(outcomes, "outcomes")?;
        locked(&self.inner)
            .finish(&outcomes)
            .map_err(PyAssertionError::new_err)
    }
}

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
    let resp = HttpResponse {
        status,
        headers,
        body: String::new(),
    };
    let out = match decide(&req, &resp, hops, allow_insecure_http) {
        AfterResponse::Answer => serde_json::json!({ "action": "answer" }),
        AfterResponse::Follow(next) => serde_json::json!({ "action": "follow", "request": next }),
        AfterResponse::Refuse(e) => {
            serde_json::json!({ "action": "refuse", "message": e.to_string() })
        }
    };
    py_json(py, &out)
}

/// How a secret prints: its prefix and an ellipsis.
#[pyfunction]
pub fn redacted(value: &str) -> String {
    core_redacted(value)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ClientError", py.get_type::<ClientError>())?;
    m.add_class::<Session>()?;
    m.add_class::<Task>()?;
    m.add_class::<Replay>()?;
    m.add_function(wrap_pyfunction!(redacted, m)?)?;
    m.add_function(wrap_pyfunction!(after_response, m)?)?;
    m.add_function(wrap_pyfunction!(decision, m)?)?;
    m.add_function(wrap_pyfunction!(token_validation, m)?)?;
    Ok(())
}
