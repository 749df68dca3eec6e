//! OIDC trusts for Python: the trust form's validation, the presets, and a CI job's JWT
//! read against trusts (its signature verified against the issuer's JWKS when one is
//! given). Conversion only: the rules are the core's, through the facade. Results are
//! plain dicts typed by `clouddigit.types` (`TrustValidation`, `TrustSpec`,
//! `PresetInfo`, `TrustCheckReport`).

use clouddigit_core as core;
use clouddigit_ffi as ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::{arg, convert_time, evaluate_err, to_json, to_py};

fn invalid(py: Python<'_>, field: &str, message: String) -> PyErr {
    let details = ffi::EvaluateErrorDetails {
        code: "invalid_input",
        field: field.to_owned(),
        suggestion: None,
    };
    evaluate_err(py, message, details)
}

/// A trust draft's errors and warnings, as the "Trusted issuers" form shows them, for
/// an account that reaches `account_projects`. Never raises for problems in the draft;
/// raises `EvaluateError` (`invalid_input`, `field` `spec`) for the wrong shape.
#[pyfunction]
#[pyo3(signature = (spec, account_projects = None))]
pub fn validate_trust<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
    account_projects: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec: ffi::TrustSpec = arg(spec, "spec")?;
    to_py(
        py,
        &ffi::validate_trust(&spec, &account_projects.unwrap_or_default()),
    )
}

/// Every preset, as a form lists them.
#[pyfunction]
pub fn trust_presets(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &ffi::trust_presets())
}

/// A draft trust from `preset` for `path` (`owner/repo`, `group/project`, a
/// namespace), `branch_or_env` and `audience`. Raises `EvaluateError` (`invalid_input`,
/// `field` `preset`) for an unknown preset.
#[pyfunction]
pub fn trust_preset<'py>(
    py: Python<'py>,
    preset: &str,
    path: &str,
    branch_or_env: &str,
    audience: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let preset = ffi::Preset::named(preset).map_err(|m| invalid(py, "preset", m))?;
    to_py(
        py,
        &ffi::trust_preset(preset, path, branch_or_env, audience),
    )
}

/// `jwt` read against `trusts` (a list of trusts, or one) at `now` (an aware `datetime`
/// or RFC 3339 `str`; None: now), its signature verified against `jwks` (the issuer's
/// JWKS, as text or as a dict) when one is given. The report says which trust accepts
/// it and why each other does not, and never holds the token; a token that is not a
/// JWT is a report too (`signature` `malformed_jwt`). Raises `EvaluateError`
/// (`invalid_input`, `field` the argument) only for arguments of the wrong shape, with
/// the token's text cut out of the message. The GIL is released while it verifies.
#[pyfunction]
#[pyo3(signature = (jwt, trusts, now = None, jwks = None))]
pub fn check_trust<'py>(
    py: Python<'py>,
    jwt: &str,
    trusts: &Bound<'py, PyAny>,
    now: Option<&Bound<'py, PyAny>>,
    jwks: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let hide = |e: PyErr| e.value(py).to_string();
    let value = to_json(trusts).map_err(|e| {
        let message = format!("trusts: {}", hide(e));
        invalid(py, "trusts", ffi::without_secret(&message, jwt))
    })?;
    let trusts = ffi::trusts_from_value(value, "trusts")
        .map_err(|m| invalid(py, "trusts", ffi::without_secret(&m, jwt)))?;
    let now = match now.filter(|n| !n.is_none()) {
        None => core::Timestamp::from(std::time::SystemTime::now()),
        Some(n) => convert_time(n).map_err(|e| {
            let message = hide(e).replacen("time", "now", 1);
            invalid(py, "now", ffi::without_secret(&message, jwt))
        })?,
    };
    let jwks: Option<String> = match jwks.filter(|j| !j.is_none()) {
        None => None,
        Some(j) => match j.cast::<PyString>() {
            Ok(s) => Some(s.to_cow()?.into_owned()),
            Err(_) => Some(
                to_json(j)
                    .map_err(|e| {
                        let message = format!("jwks: {}", hide(e));
                        invalid(py, "jwks", ffi::without_secret(&message, jwt))
                    })?
                    .to_string(),
            ),
        },
    };
    let report = py.detach(|| ffi::check_trust(jwt, &trusts, now, jwks.as_deref()));
    to_py(py, &report)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(validate_trust, m)?)?;
    m.add_function(wrap_pyfunction!(trust_presets, m)?)?;
    m.add_function(wrap_pyfunction!(trust_preset, m)?)?;
    m.add_function(wrap_pyfunction!(check_trust, m)?)?;
    Ok(())
}
