//! Python bindings of `clouddigit-core`. Each function converts at the boundary and
//! calls the core: no rule lives here. Failures are exceptions that subclass
//! `ValueError` and carry a stable `code`; reports are frozen record objects.

use clouddigit_core as core;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

pyo3::create_exception!(
    _native,
    ClouddigitError,
    PyValueError,
    "Base of every clouddigit error; `code` is stable and machine-readable."
);
pyo3::create_exception!(
    _native,
    AllowedIpsError,
    ClouddigitError,
    "An allow-list with bad entries; `errors` holds every one of them."
);
pyo3::create_exception!(
    _native,
    InvalidIpError,
    ClouddigitError,
    "Something that is not an IPv4 or IPv6 address was given where one was needed."
);

/// The stable snake_case code of a core enum, as the JSON API spells it.
fn code_str<T: serde::Serialize>(code: &T) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn repr_opt<T: std::fmt::Debug>(name: &str, v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| format!(", {name}={v:?}"))
        .unwrap_or_default()
}

/// One valid entry of an allow-list.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct AllowedIpEntry {
    index: usize,
    text: String,
    network: String,
}

#[pymethods]
impl AllowedIpEntry {
    fn __repr__(&self) -> String {
        format!(
            "AllowedIpEntry(index={}, text={:?}, network={:?})",
            self.index, self.text, self.network
        )
    }
}

/// A rejected entry of an allow-list.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct AllowedIpEntryError {
    index: usize,
    text: String,
    code: String,
    message: String,
    suggestion: Option<String>,
}

#[pymethods]
impl AllowedIpEntryError {
    fn __repr__(&self) -> String {
        format!(
            "AllowedIpEntryError(index={}, text={:?}, code={:?}{})",
            self.index,
            self.text,
            self.code,
            repr_opt("suggestion", &self.suggestion)
        )
    }
}

impl From<&core::AllowedIpEntryError> for AllowedIpEntryError {
    fn from(e: &core::AllowedIpEntryError) -> Self {
        AllowedIpEntryError {
            index: e.index,
            text: e.text.clone(),
            code: code_str(&e.code),
            message: e.message.clone(),
            suggestion: e.suggestion.clone(),
        }
    }
}

/// A legal entry that is probably a mistake.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct AllowedIpEntryWarning {
    index: usize,
    text: String,
    code: String,
    message: String,
    related_index: Option<usize>,
}

#[pymethods]
impl AllowedIpEntryWarning {
    fn __repr__(&self) -> String {
        format!(
            "AllowedIpEntryWarning(index={}, text={:?}, code={:?}{})",
            self.index,
            self.text,
            self.code,
            repr_opt("related_index", &self.related_index)
        )
    }
}

/// Everything known about an "Allowed IPs" field: valid entries, errors, warnings.
#[pyclass(module = "clouddigit", frozen, get_all)]
pub struct AllowedIpsReport {
    entries: Vec<AllowedIpEntry>,
    errors: Vec<AllowedIpEntryError>,
    warnings: Vec<AllowedIpEntryWarning>,
}

#[pymethods]
impl AllowedIpsReport {
    #[getter]
    fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    fn __repr__(&self) -> String {
        format!(
            "AllowedIpsReport(entries={}, errors={}, warnings={})",
            self.entries.len(),
            self.errors.len(),
            self.warnings.len()
        )
    }
}

impl From<core::AllowedIpsReport> for AllowedIpsReport {
    fn from(r: core::AllowedIpsReport) -> Self {
        AllowedIpsReport {
            entries: r
                .entries
                .into_iter()
                .map(|e| AllowedIpEntry {
                    index: e.index,
                    text: e.text,
                    network: e.network,
                })
                .collect(),
            errors: r.errors.iter().map(Into::into).collect(),
            warnings: r
                .warnings
                .iter()
                .map(|w| AllowedIpEntryWarning {
                    index: w.index,
                    text: w.text.clone(),
                    code: code_str(&w.code),
                    message: w.message.clone(),
                    related_index: w.related_index,
                })
                .collect(),
        }
    }
}

/// Raises `exc` with `code` and extra attributes set on the exception instance.
fn raise(
    py: Python<'_>,
    err: PyErr,
    code: &str,
    attrs: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
) -> PyErr {
    let value = err.value(py);
    let extra = PyDict::new(py);
    let set = (|| -> PyResult<()> {
        value.setattr("code", code)?;
        attrs(&extra)?;
        for (k, v) in extra.iter() {
            value.setattr(k.extract::<String>()?.as_str(), v)?;
        }
        Ok(())
    })();
    match set {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Parses an "Allowed IPs" field and reports every problem. Never raises.
#[pyfunction]
fn check_allowed_ips(text: &str) -> AllowedIpsReport {
    core::check_allowed_ips(text).into()
}

/// A valid allow-list. `AllowList(text)` raises `AllowedIpsError` listing every bad entry.
#[pyclass(module = "clouddigit", frozen)]
pub struct AllowList {
    inner: core::AllowList,
}

#[pymethods]
impl AllowList {
    #[new]
    fn new(py: Python<'_>, text: &str) -> PyResult<Self> {
        core::AllowList::parse(text)
            .map(|inner| AllowList { inner })
            .map_err(|e| {
                let errors: Vec<AllowedIpEntryError> = e.errors.iter().map(Into::into).collect();
                raise(
                    py,
                    AllowedIpsError::new_err(e.to_string()),
                    "invalid_allowed_ips",
                    |d| d.set_item("errors", errors),
                )
            })
    }

    /// Whether a caller at `ip` is allowed; an empty list allows everyone.
    /// Raises `InvalidIpError` when `ip` is not an address.
    fn contains(&self, py: Python<'_>, ip: &str) -> PyResult<bool> {
        self.inner.contains_str(ip).map_err(|e| {
            raise(
                py,
                InvalidIpError::new_err(e.to_string()),
                "invalid_ip",
                |d| d.set_item("text", &e.text),
            )
        })
    }

    fn __contains__(&self, py: Python<'_>, ip: &str) -> PyResult<bool> {
        self.contains(py, ip)
    }

    #[getter]
    fn networks(&self) -> Vec<String> {
        self.inner
            .networks()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.networks().len()
    }

    fn __repr__(&self) -> String {
        format!("AllowList({:?})", self.networks().join(", "))
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ClouddigitError", py.get_type::<ClouddigitError>())?;
    m.add("AllowedIpsError", py.get_type::<AllowedIpsError>())?;
    m.add("InvalidIpError", py.get_type::<InvalidIpError>())?;
    m.add_class::<AllowedIpEntry>()?;
    m.add_class::<AllowedIpEntryError>()?;
    m.add_class::<AllowedIpEntryWarning>()?;
    m.add_class::<AllowedIpsReport>()?;
    m.add_class::<AllowList>()?;
    m.add_function(wrap_pyfunction!(check_allowed_ips, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
