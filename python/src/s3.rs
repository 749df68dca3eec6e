//! S3 for Python: SigV4 signatures explained and verified offline, and the S3 client
//! settings (`clouddigit.s3` reshapes them for boto3). Conversion only: the rules are
//! the core's (`sigv4`) and the session's (`s3_config`), through the facade.

use clouddigit_core as core;
use clouddigit_ffi::{self as ffi, RequestText, S3Options};
use clouddigit_session::ApiError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeMap;

use super::{raise, to_json, to_py, ClouddigitError};

pyo3::create_exception!(
    _native,
    SigV4Error,
    ClouddigitError,
    "A request `sigv4_explain` or `sigv4_verify` cannot read, or that carries no signature; `code` is the S3 error code (or `invalid_input`), `field` the argument. Never holds the secret."
);

fn sigv4_err(py: Python<'_>, code: &str, field: &str, message: &str, secret: &str) -> PyErr {
    raise(
        py,
        SigV4Error::new_err(ffi::without_secret(message, secret)),
        code,
        |d| d.set_item("field", field),
    )
}

/// The request read from Python data (a dict with `method`, `url`, `headers` as a dict
/// or `[name, value]` pairs, `body_sha256`); the wrong shape is `SigV4Error`
/// (`invalid_input`) naming the place, without the secret.
fn request(obj: &Bound<'_, PyAny>, secret: &str) -> PyResult<RequestText> {
    if let Ok(r) = pythonize::depythonize::<RequestText>(obj) {
        return Ok(r);
    }
    let py = obj.py();
    let value = to_json(obj).map_err(|e| {
        let message = format!("request: {}", e.value(py));
        sigv4_err(py, "invalid_input", "request", &message, secret)
    })?;
    serde_path_to_error::deserialize::<_, RequestText>(&value).map_err(|e| {
        let message = format!("request: {e}");
        sigv4_err(py, "invalid_input", "request", &message, secret)
    })
}

/// How the S3 endpoint reads `request`: the canonical request, the string to sign and
/// the signature `secret` gives next to the one the request carries (`matches`). The
/// clock is not judged. Raises `SigV4Error` when the request carries no readable
/// signature (`code` the S3 error code).
#[pyfunction]
pub fn sigv4_explain<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    secret: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let req = self::request(request, secret)?;
    match ffi::sigv4_explain(&req, secret) {
        Ok(x) => to_py(py, &x),
        Err(e) => {
            let (code, message) = ffi::sigv4_error_details(&e, secret);
            Err(sigv4_err(py, code, "request", &message, secret))
        }
    }
}

/// The verdict the S3 endpoint reaches on `request` signed with `secret` at `now` (an
/// aware `datetime` or RFC 3339 `str`; None: now): `{"ok": True, ...}`, or the S3
/// error code and why. Raises `SigV4Error` (`invalid_input`) only for arguments of the
/// wrong shape.
#[pyfunction]
#[pyo3(signature = (request, secret, now=None))]
pub fn sigv4_verify<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    secret: &str,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let req = self::request(request, secret)?;
    let now = match now.filter(|n| !n.is_none()) {
        None => core::Timestamp::from(std::time::SystemTime::now()),
        Some(n) => super::convert_time(n).map_err(|e| {
            let message = e.value(py).to_string().replacen("time", "now", 1);
            sigv4_err(py, "invalid_input", "now", &message, secret)
        })?,
    };
    to_py(py, &ffi::sigv4_verify(&req, secret, now))
}

/// The environment variables `s3_config` reads (and no others).
#[pyfunction]
pub fn s3_env_vars() -> Vec<&'static str> {
    ffi::S3_ENV_VARS.to_vec()
}

/// The session's S3 settings (`endpoint_url`, `region`, `force_path_style`, and the
/// access key when given) for `options` and the variables of `s3_env_vars()` the host
/// found; `clouddigit.s3.s3_config` renames them for boto3. Errors are `ClientError`s
/// carrying a core `ApiError` of kind `config`.
#[pyfunction]
pub fn s3_config<'py>(
    py: Python<'py>,
    options: &Bound<'py, PyDict>,
    env: BTreeMap<String, String>,
) -> PyResult<Bound<'py, PyAny>> {
    let secret: String = options
        .get_item("secret_access_key")?
        .and_then(|s| s.extract().ok())
        .unwrap_or_default();
    let config_err = |code: &str, message: String| {
        super::client::api_err(&ApiError::config(
            code,
            ffi::without_secret(&message, &secret),
        ))
    };
    let value = to_json(options.as_any())?;
    let options: S3Options = serde_path_to_error::deserialize(&value).map_err(|e| {
        // `ingress: unknown variant ...`, as the npm package names the option (an
        // unknown option is named too: `endpoint: unknown field ...`).
        let message = if e.path().iter().next().is_none() {
            format!("options: {}", e.inner())
        } else {
            e.to_string()
        };
        let code = if message.contains("unknown field") {
            "unknown_option"
        } else {
            "bad_option"
        };
        config_err(code, message)
    })?;
    let c = ffi::s3_config(options, &env).map_err(|e| config_err(e.code(), e.to_string()))?;
    // The secret crosses as its value: boto3 takes a str.
    let out = PyDict::new(py);
    out.set_item("endpoint_url", &c.endpoint_url)?;
    out.set_item("region", c.region.as_str())?;
    out.set_item("force_path_style", c.force_path_style)?;
    if let (Some(id), Some(secret)) = (&c.access_key_id, &c.secret_access_key) {
        out.set_item("access_key_id", id)?;
        out.set_item("secret_access_key", secret.expose())?;
    }
    Ok(out.into_any())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SigV4Error", py.get_type::<SigV4Error>())?;
    m.add_function(wrap_pyfunction!(sigv4_explain, m)?)?;
    m.add_function(wrap_pyfunction!(sigv4_verify, m)?)?;
    m.add_function(wrap_pyfunction!(s3_env_vars, m)?)?;
    m.add_function(wrap_pyfunction!(s3_config, m)?)?;
    Ok(())
}
