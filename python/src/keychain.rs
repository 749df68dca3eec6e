//! The OS keychain for Python: the same entry (`clouddigit-keychain`) the command line
//! writes and every SDK reads. Errors are messages without the secret.

use pyo3::prelude::*;

/// `(token, None)`, `(None, None)` when the profile has no entry, or `(None, why)` when
/// the keychain could not be read. The GIL is released while D-Bus answers.
#[pyfunction]
pub fn keychain_get(py: Python<'_>, profile: &str) -> (Option<String>, Option<String>) {
    match py.detach(|| clouddigit_keychain::get(profile)) {
        Ok(secret) => (secret, None),
        Err(e) => (None, Some(e.to_string())),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(keychain_get, m)?)?;
    Ok(())
}
