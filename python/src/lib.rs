//! Python bindings of `clouddigit-core`. Each function converts at the boundary and
//! calls the core: no rule lives here. Failures are exceptions that subclass
//! `ValueError` and carry a stable `code`.
//!
//! Arguments are JSON-shaped data read by `pythonize` into the core's serde types
//! ([`to_json`], [`arg`]). Reports (decisions, validations, allow-list reports, the
//! catalog) are frozen record classes, not dicts: the package's documented API and its
//! tests read them by attribute, compare them, check them with `isinstance` and print
//! them (`repr`), and some add what JSON lacks (`Decision.failed`,
//! `AllowedIpsReport.is_valid`, `TokenPreview.expires_at` as a `datetime`). Data with
//! none of that is returned as plain dicts typed by `clouddigit.types` (`limits()`, a
//! permission's `routes`).

use clouddigit_core as core;
use clouddigit_ffi::{self as ffi, TokenHandle};
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyString, PyTuple, PyType};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

mod cli;
mod client;
mod keychain;
mod oidc;
mod s3;

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
    EvaluateError,
    ClouddigitError,
    "A token, owner, request or policy that cannot be evaluated; `field` names the input at fault."
);
pyo3::create_exception!(
    _native,
    TokenFormatError,
    ClouddigitError,
    "A string that is not a token secret; the message shows at most its first 9 characters."
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

// ---- Evaluator, token format and catalog ----

/// JSON-shaped Python data as serde data, read by `pythonize`: dicts (any mapping),
/// lists and tuples (any sequence or set), str, int, float, bool and None.
///
/// JSON has no time type, yet the API's times may be given as aware `datetime`s. When
/// `pythonize` refuses the data, the standard library's encoder reads it again with
/// `default=isoformat`: times become RFC 3339 text. A value that is no time either is a
/// `TypeError` naming its type; data the encoder takes but `pythonize` refused for
/// another reason (a dict key that is not a str, an int beyond 64 bits) is the
/// `TypeError` or `ValueError` saying so.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let refused = match pythonize::depythonize::<Value>(obj) {
        Ok(value) => return Ok(value),
        Err(e) => PyErr::from(e),
    };
    let py = obj.py();
    match with_times_as_text(obj)? {
        Some(value) => Ok(value),
        // pythonize raises serde's own messages as a bare `Exception`.
        None if refused.get_type(py).is(py.get_type::<PyException>()) => Err(
            PyValueError::new_err(format!("not JSON-shaped data: {}", refused.value(py))),
        ),
        None => Err(refused),
    }
}

/// `json.dumps(obj, default=...)` read back, when it met a time; None when it met none.
fn with_times_as_text(obj: &Bound<'_, PyAny>) -> PyResult<Option<Value>> {
    let py = obj.py();
    let met_a_time = Arc::new(AtomicBool::new(false));
    let met = met_a_time.clone();
    let default = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| {
            isoformat(&args.get_item(0)?, &met)
        },
    )?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("default", default)?;
    let text: String = py
        .import("json")?
        .call_method("dumps", (obj,), Some(&kwargs))?
        .extract()?;
    if !met_a_time.load(Ordering::Relaxed) {
        return Ok(None);
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The encoder's `default`: a time's `isoformat()`; anything else is a `TypeError`.
fn isoformat(value: &Bound<'_, PyAny>, met: &AtomicBool) -> PyResult<Py<PyAny>> {
    let py = value.py();
    if !value.hasattr(intern!(py, "isoformat"))? {
        let kind = value.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "expected JSON-shaped data (dict, list, str, int, float, bool, None) or a datetime, got {kind}"
        )));
    }
    met.store(true, Ordering::Relaxed);
    Ok(value.call_method0(intern!(py, "isoformat"))?.unbind())
}

/// Python data for serde data (`pythonize`: structs and maps become dicts, sequences
/// lists, unit variants their JSON string).
pub(crate) fn to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}

fn evaluate_err(py: Python<'_>, message: String, details: ffi::EvaluateErrorDetails) -> PyErr {
    raise(py, EvaluateError::new_err(message), details.code, |d| {
        d.set_item("field", details.field)?;
        d.set_item("suggestion", details.suggestion)
    })
}

fn evaluate_error(py: Python<'_>, e: &core::EvaluateError) -> PyErr {
    evaluate_err(py, e.to_string(), ffi::evaluate_error_details(e))
}

/// Reads a typed argument from a dict; the wrong shape is an `EvaluateError` with code
/// `invalid_input`, `field` the argument and the message the path inside it and what
/// is wrong there (`request: draft.name: invalid type: integer `3`, expected a string`).
fn arg<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<T> {
    // Straight into `T` when the data fits (no JSON value in between: the hot path);
    // otherwise through `to_json`, for times given as datetimes and for the error's path.
    if let Ok(v) = pythonize::depythonize::<T>(obj) {
        return Ok(v);
    }
    let value = to_json(obj)?;
    T::deserialize(&value).map_err(|e| {
        // Read again, tracking the path, only when it failed: tracking costs every call.
        let e = serde_path_to_error::deserialize::<_, T>(&value)
            .err()
            .map_or_else(|| e.to_string(), |e| e.to_string());
        let details = ffi::EvaluateErrorDetails {
            code: "invalid_input",
            field: field.to_owned(),
            suggestion: None,
        };
        evaluate_err(obj.py(), format!("{field}: {e}"), details)
    })
}

fn opt_arg<T: DeserializeOwned>(
    obj: Option<&Bound<'_, PyAny>>,
    field: &str,
) -> PyResult<Option<T>> {
    obj.filter(|o| !o.is_none())
        .map(|o| arg(o, field))
        .transpose()
}

/// One check of a decision and its outcome.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct CheckResult {
    check: String,
    outcome: String,
    detail: String,
}

#[pymethods]
impl CheckResult {
    fn __repr__(&self) -> String {
        format!(
            "CheckResult(check={:?}, outcome={:?}, detail={:?})",
            self.check, self.outcome, self.detail
        )
    }
}

/// The explained decision: allow or deny, the reason code, a message for people and
/// every check with its outcome.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct Decision {
    allowed: bool,
    reason: String,
    message: String,
    permission: Option<String>,
    checks: Vec<CheckResult>,
}

#[pymethods]
impl Decision {
    /// The checks that failed, in check order.
    #[getter]
    fn failed(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.outcome == "fail")
            .map(|c| c.check.clone())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision(allowed={}, reason={:?}{}, failed={:?})",
            if self.allowed { "True" } else { "False" },
            self.reason,
            repr_opt("permission", &self.permission),
            self.failed()
        )
    }
}

impl From<core::Decision> for Decision {
    fn from(d: core::Decision) -> Self {
        Decision {
            allowed: d.allowed,
            reason: code_str(&d.reason),
            message: d.message,
            permission: d.permission,
            checks: d
                .checks
                .into_iter()
                .map(|c| CheckResult {
                    check: code_str(&c.check),
                    outcome: code_str(&c.outcome),
                    detail: c.detail,
                })
                .collect(),
        }
    }
}

/// A token checked and prepared once, for many decisions. `PreparedToken(token)` raises
/// `EvaluateError` for a token that cannot be evaluated.
#[pyclass(module = "clouddigit", frozen)]
pub struct PreparedToken {
    inner: TokenHandle,
}

impl PreparedToken {
    fn new_from(token: &Bound<'_, PyAny>) -> PyResult<PreparedToken> {
        TokenHandle::new(arg(token, "token")?)
            .map(|inner| PreparedToken { inner })
            .map_err(|e| evaluate_error(token.py(), &e))
    }

    fn decide(
        &self,
        owner: &Bound<'_, PyAny>,
        request: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let py = owner.py();
        let policy: Option<core::TokenPolicy> = opt_arg(policy, "policy")?;
        self.inner
            .authorize_under(
                &arg(owner, "owner")?,
                &arg(request, "request")?,
                policy.as_ref(),
            )
            .map(Into::into)
            .map_err(|e| evaluate_error(py, &e))
    }

    fn effective(&self, owner: &Bound<'_, PyAny>, project: Option<&str>) -> PyResult<Vec<String>> {
        Ok(self
            .inner
            .effective_permissions(&arg(owner, "owner")?, project))
    }
}

#[pymethods]
impl PreparedToken {
    #[new]
    fn new(token: &Bound<'_, PyAny>) -> PyResult<Self> {
        PreparedToken::new_from(token)
    }

    /// Decides and explains one call, under the organization's token `policy` if given.
    #[pyo3(signature = (owner, request, policy = None))]
    fn authorize(
        &self,
        owner: &Bound<'_, PyAny>,
        request: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        self.decide(owner, request, policy)
    }

    /// Permission names the token may use in `project` (None: organization level).
    #[pyo3(signature = (owner, project = None))]
    fn effective_permissions(
        &self,
        owner: &Bound<'_, PyAny>,
        project: Option<&str>,
    ) -> PyResult<Vec<String>> {
        self.effective(owner, project)
    }

    /// The hot path: the reason code of one call, `"allowed"` or the first failing
    /// check. `action` is a permission name or `"METHOD /v1/path"`; an `ip` that is
    /// not an address counts as none; `time` is an aware `datetime`, an RFC 3339
    /// string, or `None` for now.
    #[pyo3(signature = (owner, action, project = None, ip = None, time = None))]
    fn check<'py>(
        &self,
        owner: &Bound<'py, PreparedOwner>,
        action: &Bound<'_, PyString>,
        project: Option<&Bound<'_, PyString>>,
        ip: Option<&Bound<'_, PyString>>,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let time = check_time(time)?;
        let action = hot_str(action)?;
        let project = project.map(hot_str).transpose()?;
        let ip = ip.map(hot_str).transpose()?;
        let code = self.inner.check(
            &owner.get().inner,
            &action,
            project.as_deref(),
            ip.as_deref(),
            time,
        );
        Ok(reason_str(owner.py(), code))
    }

    #[getter]
    fn id(&self) -> String {
        self.inner.token().id.clone()
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.token().name.clone()
    }

    /// `cd_` and 6 characters: tokens never carry their secret.
    #[getter]
    fn prefix(&self) -> String {
        self.inner.token().prefix.clone()
    }

    fn __repr__(&self) -> String {
        let t = self.inner.token();
        format!(
            "PreparedToken(id={:?}, name={:?}, prefix={:?})",
            t.id, t.name, t.prefix
        )
    }
}

/// A token given as a dict, or an already prepared one (used as is).
fn with_token<R>(
    token: &Bound<'_, PyAny>,
    f: impl FnOnce(&PreparedToken) -> PyResult<R>,
) -> PyResult<R> {
    match token.cast::<PreparedToken>() {
        Ok(prepared) => f(prepared.get()),
        Err(_) => f(&PreparedToken::new_from(token)?),
    }
}

/// Decides and explains one call. `token` is a dict (the API's JSON) or a
/// `PreparedToken`; raises `EvaluateError` for input that cannot be evaluated at all.
#[pyfunction]
#[pyo3(signature = (token, owner, request, policy = None))]
fn authorize(
    token: &Bound<'_, PyAny>,
    owner: &Bound<'_, PyAny>,
    request: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<Decision> {
    with_token(token, |t| t.decide(owner, request, policy))
}

/// Decides many calls of one prepared token, without holding the GIL while deciding.
#[pyfunction]
#[pyo3(signature = (prepared, owner, requests, policy = None))]
fn authorize_many(
    py: Python<'_>,
    prepared: &PreparedToken,
    owner: &Bound<'_, PyAny>,
    requests: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Decision>> {
    let owner: core::OwnerState = arg(owner, "owner")?;
    let requests: Vec<core::Request> = arg(requests, "requests")?;
    let policy: Option<core::TokenPolicy> = opt_arg(policy, "policy")?;
    let handle = &prepared.inner;
    py.detach(|| ffi::authorize_many(handle, &owner, &requests, policy.as_ref()))
        .map(|all| all.into_iter().map(Into::into).collect())
        .map_err(|(i, e)| {
            let mut details = ffi::evaluate_error_details(&e);
            details.field = format!("requests[{i}]");
            evaluate_err(py, format!("requests[{i}]: {e}"), details)
        })
}

/// Permission names the token may use in `project` (None: organization level), in
/// catalog order.
#[pyfunction]
#[pyo3(signature = (token, owner, project = None))]
fn effective_permissions(
    token: &Bound<'_, PyAny>,
    owner: &Bound<'_, PyAny>,
    project: Option<&str>,
) -> PyResult<Vec<String>> {
    with_token(token, |t| t.effective(owner, project))
}

/// A token secret's public part.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct TokenSecretInfo {
    prefix: String,
}

#[pymethods]
impl TokenSecretInfo {
    fn __repr__(&self) -> String {
        format!("TokenSecretInfo(prefix={:?})", self.prefix)
    }
}

/// Checks a token secret offline (shape and checksum) and returns its prefix; raises
/// `TokenFormatError` whose message never shows more than the first 9 characters.
#[pyfunction]
fn parse_token_secret(py: Python<'_>, text: &str) -> PyResult<TokenSecretInfo> {
    ffi::token_prefix(text)
        .map(|prefix| TokenSecretInfo { prefix })
        .map_err(|e| {
            raise(
                py,
                TokenFormatError::new_err(e.to_string()),
                e.code(),
                |_| Ok(()),
            )
        })
}

/// Whether `text` is exactly a token secret with a matching checksum.
#[pyfunction]
fn is_token(text: &str) -> bool {
    core::secret::is_token(text)
}

/// One permission of the catalog. Its routes are plain dicts (`clouddigit.types.Route`):
/// they have no behaviour to carry.
#[pyclass(module = "clouddigit", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PermissionDef {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    role: String,
    #[pyo3(get)]
    scope: String,
    #[pyo3(get)]
    read_only: bool,
    #[pyo3(get)]
    step_up: bool,
    #[pyo3(get)]
    credential: bool,
    routes: Vec<core::catalog::Route>,
    #[pyo3(get)]
    summary: String,
}

#[pymethods]
impl PermissionDef {
    /// The REST calls that map to it, as `{"method", "path"}` dicts.
    #[getter]
    fn routes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.routes)
    }

    fn __repr__(&self) -> String {
        format!(
            "PermissionDef(name={:?}, role={:?}, scope={:?})",
            self.name, self.role, self.scope
        )
    }
}

/// One role of the role table.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct RoleDef {
    name: String,
    level: String,
    inherits: Option<String>,
    summary: String,
}

#[pymethods]
impl RoleDef {
    fn __repr__(&self) -> String {
        format!(
            "RoleDef(name={:?}, level={:?}{})",
            self.name,
            self.level,
            repr_opt("inherits", &self.inherits)
        )
    }
}

/// The permission catalog and role table built into this release.
#[pyclass(module = "clouddigit", frozen, get_all)]
pub struct Catalog {
    version: String,
    roles: Vec<RoleDef>,
    permissions: Vec<PermissionDef>,
}

#[pymethods]
impl Catalog {
    fn __repr__(&self) -> String {
        format!(
            "Catalog(version={:?}, roles={}, permissions={})",
            self.version,
            self.roles.len(),
            self.permissions.len()
        )
    }
}

/// The limits the forms and the server hold drafts to, as a dict (`max_token_permissions`,
/// `max_allowed_ips`, name lengths...).
#[pyfunction]
fn limits(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &ffi::limits())
}

/// The built-in permission catalog and role table.
#[pyfunction]
fn catalog() -> Catalog {
    let file = ffi::catalog_file();
    Catalog {
        version: file.version,
        roles: file
            .roles
            .iter()
            .map(|r| RoleDef {
                name: code_str(&r.name),
                level: code_str(&r.level),
                inherits: r.inherits.map(|i| code_str(&i)),
                summary: r.summary.clone(),
            })
            .collect(),
        permissions: file
            .permissions
            .into_iter()
            .map(|p| PermissionDef {
                role: code_str(&p.role),
                scope: code_str(&p.scope),
                read_only: p.read_only,
                step_up: p.step_up,
                credential: p.credential,
                routes: p.routes,
                summary: p.summary,
                name: p.name,
            })
            .collect(),
    }
}

/// The permission a REST call maps to, or None.
#[pyfunction]
fn resolve_route(method: &str, path: &str) -> Option<String> {
    ffi::resolve_route(method, path)
}

/// The permissions a name or wildcard (`compute.*`) stands for; empty when none.
#[pyfunction]
fn expand_permission(pattern: &str) -> Vec<String> {
    ffi::expand_permission(pattern)
}

// ---- Validation of the "New API token" and "New service account" forms ----

/// One finding of validation, attached to the field that caused it.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct Issue {
    field: String,
    code: String,
    message: String,
    suggestion: Option<String>,
}

#[pymethods]
impl Issue {
    fn __repr__(&self) -> String {
        format!(
            "Issue(field={:?}, code={:?}{})",
            self.field,
            self.code,
            repr_opt("suggestion", &self.suggestion)
        )
    }
}

fn issues(list: Vec<core::Issue>) -> Vec<Issue> {
    list.into_iter()
        .map(|i| Issue {
            field: i.field,
            code: i.code.as_str().to_owned(),
            message: i.message,
            suggestion: i.suggestion,
        })
        .collect()
}

/// `None` or the quoted string, as a repr shows an optional field.
fn repr_none<T: std::fmt::Debug>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "None".to_owned(), |v| format!("{v:?}"))
}

fn repr_codes(list: &[Issue]) -> String {
    let codes: Vec<&str> = list.iter().map(|i| i.code.as_str()).collect();
    format!("{codes:?}")
}

/// A UTC timestamp as an aware `datetime` (tzinfo `timezone.utc`), to the microsecond.
fn py_datetime<'py>(py: Python<'py>, t: &core::Timestamp) -> PyResult<Bound<'py, PyAny>> {
    let dt = py.import("datetime")?;
    let utc = dt.getattr("timezone")?.getattr("utc")?;
    let epoch = dt
        .getattr("datetime")?
        .call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("seconds", t.timestamp())?;
    kwargs.set_item("microseconds", t.timestamp_subsec_micros())?;
    let delta = dt.getattr("timedelta")?.call((), Some(&kwargs))?;
    epoch.add(delta)
}

/// What the token would be allowed to do in one place: a project, or `None` for
/// organization-level permissions.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct ScopePreview {
    project: Option<String>,
    role: Option<String>,
    permissions: Vec<String>,
}

#[pymethods]
impl ScopePreview {
    fn __repr__(&self) -> String {
        format!(
            "ScopePreview(project={}, role={}, permissions={})",
            repr_none(&self.project),
            repr_none(&self.role),
            self.permissions.len()
        )
    }
}

/// The preview of a token draft: expiry, lifetime, what it may do where, and a
/// one-line summary for the confirmation step (never a secret).
#[pyclass(module = "clouddigit", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct TokenPreview {
    expires: Option<core::Timestamp>,
    #[pyo3(get)]
    lifetime_days: Option<i64>,
    #[pyo3(get)]
    scopes: Vec<ScopePreview>,
    #[pyo3(get)]
    summary: String,
}

#[pymethods]
impl TokenPreview {
    /// An aware `datetime` in UTC; `None` when the token never expires or the expiry
    /// is not valid.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.expires
            .as_ref()
            .map(|t| py_datetime(py, t))
            .transpose()
    }

    fn __repr__(&self) -> String {
        let expires = self.expires.as_ref().map(code_str);
        format!(
            "TokenPreview(expires_at={}, lifetime_days={}, scopes={}, summary={:?})",
            repr_none(&expires),
            repr_none(&self.lifetime_days),
            self.scopes.len(),
            self.summary
        )
    }
}

/// The result of validating a token draft: `valid` (no errors), every error and
/// warning with its field, and a preview.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct TokenValidation {
    valid: bool,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    preview: TokenPreview,
}

#[pymethods]
impl TokenValidation {
    fn __repr__(&self) -> String {
        format!(
            "TokenValidation(valid={}, errors={}, warnings={})",
            if self.valid { "True" } else { "False" },
            repr_codes(&self.errors),
            repr_codes(&self.warnings)
        )
    }
}

impl From<core::TokenValidation> for TokenValidation {
    fn from(v: core::TokenValidation) -> Self {
        TokenValidation {
            valid: v.valid,
            errors: issues(v.errors),
            warnings: issues(v.warnings),
            preview: TokenPreview {
                expires: v.preview.expires_at,
                lifetime_days: v.preview.lifetime_days,
                scopes: v
                    .preview
                    .scopes
                    .into_iter()
                    .map(|s| ScopePreview {
                        project: s.project,
                        role: s.role.map(|r| code_str(&r)),
                        permissions: s.permissions,
                    })
                    .collect(),
                summary: v.preview.summary,
            },
        }
    }
}

/// The preview of a service-account draft: the parsed tag selector, what the role
/// grants and a one-line summary.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct ServiceAccountPreview {
    tag_selector: std::collections::BTreeMap<String, String>,
    allowed_ips: Vec<String>,
    permissions: Vec<String>,
    summary: String,
}

#[pymethods]
impl ServiceAccountPreview {
    fn __repr__(&self) -> String {
        format!(
            "ServiceAccountPreview(tag_selector={:?}, permissions={}, summary={:?})",
            self.tag_selector,
            self.permissions.len(),
            self.summary
        )
    }
}

/// The result of validating a service-account draft.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct ServiceAccountValidation {
    valid: bool,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    preview: ServiceAccountPreview,
}

#[pymethods]
impl ServiceAccountValidation {
    fn __repr__(&self) -> String {
        format!(
            "ServiceAccountValidation(valid={}, errors={}, warnings={})",
            if self.valid { "True" } else { "False" },
            repr_codes(&self.errors),
            repr_codes(&self.warnings)
        )
    }
}

impl From<core::ServiceAccountValidation> for ServiceAccountValidation {
    fn from(v: core::ServiceAccountValidation) -> Self {
        ServiceAccountValidation {
            valid: v.valid,
            errors: issues(v.errors),
            warnings: issues(v.warnings),
            preview: ServiceAccountPreview {
                tag_selector: v.preview.tag_selector,
                allowed_ips: v.preview.allowed_ips,
                permissions: v.preview.permissions,
                summary: v.preview.summary,
            },
        }
    }
}

/// Validates a "New API token" request (draft, owner, existing tokens, now, policy).
/// Never raises for what the user typed; input of the wrong shape raises
/// `EvaluateError` (`invalid_input`, field `request`).
#[pyfunction]
fn validate_token(request: &Bound<'_, PyAny>) -> PyResult<TokenValidation> {
    let req: core::TokenRequest = arg(request, "request")?;
    Ok(ffi::validate_token(&req).into())
}

/// Validates a "New service account" request (draft, creator, existing accounts,
/// policy). Never raises for what the user typed; input of the wrong shape raises
/// `EvaluateError` (`invalid_input`, field `request`).
#[pyfunction]
fn validate_service_account(request: &Bound<'_, PyAny>) -> PyResult<ServiceAccountValidation> {
    let req: core::ServiceAccountRequest = arg(request, "request")?;
    Ok(ffi::validate_service_account(&req).into())
}

// ---- Audit records ----

/// `event` (an `AuditEvent` dict) as `format` writes it (`"json"`, `"ocsf"`,
/// `"cloudtrail"`), `context` (organization, region, product version) saying where it
/// came from: the record the audit export and every stream send, as a dict. Raises
/// `EvaluateError` (`invalid_input`, `field` the argument) for an unknown format or a
/// dict of the wrong shape.
#[pyfunction]
fn audit_record<'py>(
    event: &Bound<'py, PyAny>,
    format: &Bound<'py, PyAny>,
    context: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = event.py();
    let event: ffi::AuditEvent = arg(event, "event")?;
    let format: ffi::AuditFormat = arg(format, "format")?;
    let context: ffi::AuditContext = arg(context, "context")?;
    to_py(py, &ffi::audit_record(&event, format, &context))
}

/// A token secret's `hashed_token` as the audit log writes it (SHA-256, base64): the way
/// to find a leaked secret's calls in the log, which never holds the secret itself.
#[pyfunction]
fn hashed_token(secret: &str) -> String {
    ffi::hashed_token(secret)
}

// ---- Hot path: prepared owner and `PreparedToken.check` ----

/// An owner's current state prepared once, for `PreparedToken.check`.
/// `PreparedOwner(owner)` raises `EvaluateError` (`invalid_input`, field `owner`) for
/// a dict of the wrong shape.
#[pyclass(module = "clouddigit", frozen)]
pub struct PreparedOwner {
    inner: ffi::OwnerHandle,
    kind: &'static str,
    id: String,
}

#[pymethods]
impl PreparedOwner {
    #[new]
    fn new(owner: &Bound<'_, PyAny>) -> PyResult<Self> {
        let state: core::OwnerState = arg(owner, "owner")?;
        let (kind, id) = match &state {
            core::OwnerState::User(u) => ("user", u.id.clone()),
            core::OwnerState::ServiceAccount(s) => ("service_account", s.id.clone()),
        };
        Ok(PreparedOwner {
            inner: ffi::OwnerHandle::new(&state),
            kind,
            id,
        })
    }

    /// `"user"` or `"service_account"`.
    #[getter]
    fn r#type(&self) -> &'static str {
        self.kind
    }

    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    fn __repr__(&self) -> String {
        format!("PreparedOwner(type={:?}, id={:?})", self.kind, self.id)
    }
}

fn time_error(py: Python<'_>, message: String) -> PyErr {
    let details = ffi::EvaluateErrorDetails {
        code: "invalid_input",
        field: "time".to_owned(),
        suggestion: None,
    };
    evaluate_err(py, message, details)
}

/// Converts the time of a hot-path check: an RFC 3339 string, or an aware `datetime`.
/// A naive `datetime` or a string that is not a time is an `EvaluateError`.
pub(crate) fn convert_time(obj: &Bound<'_, PyAny>) -> PyResult<core::Timestamp> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        return text
            .trim()
            .parse::<core::Timestamp>()
            .map_err(|e| time_error(py, format!("time: {text:?} is not an RFC 3339 time ({e})")));
    }
    let tzinfo = obj.getattr(intern!(py, "tzinfo")).map_err(|_| {
        PyTypeError::new_err(format!(
            "time must be a datetime, an RFC 3339 str or None, not {}",
            obj.get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        ))
    })?;
    if tzinfo.is_none() {
        return Err(time_error(
            py,
            "time: a naive datetime has no time zone; give an aware one (tzinfo=timezone.utc)"
                .to_owned(),
        ));
    }
    let seconds: f64 = obj.call_method0(intern!(py, "timestamp"))?.extract()?;
    core::Timestamp::from_timestamp_micros((seconds * 1e6).round() as i64)
        .ok_or_else(|| time_error(py, format!("time: {seconds} is out of range")))
}

static DATETIME_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// How many recently seen argument strings each thread keeps converted.
const HOT_STRINGS: usize = 8;

/// Per-thread memory of the hot path: the last time object converted (a `str` or a
/// `datetime`, both immutable, so the same object is the same instant), the last few
/// argument strings as Rust strings (kept alive, so the same object is the same text)
/// and the reason codes as Python strings, so repeated checks allocate nothing.
#[derive(Default)]
struct HotCache {
    time: Option<(Py<PyAny>, core::Timestamp)>,
    strings: Vec<(Py<PyString>, std::rc::Rc<str>)>,
    next_string: usize,
    reasons: Vec<(&'static str, Py<PyString>)>,
}

/// A `str` argument of the hot path as Rust text, converted once per object.
fn hot_str(obj: &Bound<'_, PyString>) -> PyResult<std::rc::Rc<str>> {
    let ptr = obj.as_ptr();
    let cached = HOT.with(|h| {
        h.try_borrow().ok().and_then(|h| {
            h.strings
                .iter()
                .find(|(o, _)| o.as_ptr() == ptr)
                .map(|(_, s)| s.clone())
        })
    });
    if let Some(s) = cached {
        return Ok(s);
    }
    let text: std::rc::Rc<str> = obj.to_cow()?.as_ref().into();
    if obj.is_exact_instance_of::<PyString>() {
        let entry = (obj.clone().unbind(), text.clone());
        let old = HOT.with(|h| {
            let mut h = h.try_borrow_mut().ok()?;
            if h.strings.len() < HOT_STRINGS {
                h.strings.push(entry);
                return None;
            }
            let slot = h.next_string % HOT_STRINGS;
            h.next_string = slot + 1;
            h.strings.get_mut(slot).map(|e| std::mem::replace(e, entry))
        });
        drop(old);
    }
    Ok(text)
}

thread_local! {
    static HOT: std::cell::RefCell<HotCache> = std::cell::RefCell::new(HotCache::default());
}

/// The time of a hot-path check: `None` is now.
fn check_time(time: Option<&Bound<'_, PyAny>>) -> PyResult<core::Timestamp> {
    let Some(obj) = time else {
        return Ok(core::Timestamp::from(std::time::SystemTime::now()));
    };
    let cached = HOT.with(|h| {
        h.try_borrow().ok().and_then(|h| {
            h.time
                .as_ref()
                .filter(|(o, _)| o.as_ptr() == obj.as_ptr())
                .map(|(_, t)| *t)
        })
    });
    if let Some(t) = cached {
        return Ok(t);
    }
    let t = convert_time(obj)?;
    let py = obj.py();
    let ty = obj.get_type();
    let immutable = ty.is(py.get_type::<PyString>())
        || DATETIME_TYPE
            .import(py, "datetime", "datetime")
            .is_ok_and(|dt| ty.is(dt));
    if immutable {
        let old = HOT.with(|h| {
            h.try_borrow_mut()
                .ok()
                .and_then(|mut h| h.time.replace((obj.clone().unbind(), t)))
        });
        drop(old);
    }
    Ok(t)
}

/// A reason code as a Python string, made once per thread.
fn reason_str<'py>(py: Python<'py>, code: &'static str) -> Bound<'py, PyString> {
    HOT.with(|h| {
        let Ok(mut h) = h.try_borrow_mut() else {
            return PyString::new(py, code);
        };
        if let Some((_, s)) = h.reasons.iter().find(|(c, _)| *c == code) {
            return s.bind(py).clone();
        }
        let s = PyString::intern(py, code);
        h.reasons.push((code, s.clone().unbind()));
        s
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    client::register(m)?;
    s3::register(m)?;
    oidc::register(m)?;
    keychain::register(m)?;
    m.add("ClouddigitError", py.get_type::<ClouddigitError>())?;
    m.add("AllowedIpsError", py.get_type::<AllowedIpsError>())?;
    m.add("InvalidIpError", py.get_type::<InvalidIpError>())?;
    m.add_class::<AllowedIpEntry>()?;
    m.add_class::<AllowedIpEntryError>()?;
    m.add_class::<AllowedIpEntryWarning>()?;
    m.add_class::<AllowedIpsReport>()?;
    m.add_class::<AllowList>()?;
    m.add_function(wrap_pyfunction!(check_allowed_ips, m)?)?;
    m.add("EvaluateError", py.get_type::<EvaluateError>())?;
    m.add("TokenFormatError", py.get_type::<TokenFormatError>())?;
    m.add_class::<CheckResult>()?;
    m.add_class::<Decision>()?;
    m.add_class::<PreparedToken>()?;
    m.add_class::<TokenSecretInfo>()?;
    m.add_class::<PermissionDef>()?;
    m.add_class::<RoleDef>()?;
    m.add_class::<Catalog>()?;
    m.add_function(wrap_pyfunction!(authorize, m)?)?;
    m.add_function(wrap_pyfunction!(authorize_many, m)?)?;
    m.add_function(wrap_pyfunction!(effective_permissions, m)?)?;
    m.add_function(wrap_pyfunction!(parse_token_secret, m)?)?;
    m.add_function(wrap_pyfunction!(is_token, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(limits, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_route, m)?)?;
    m.add_function(wrap_pyfunction!(expand_permission, m)?)?;
    m.add_class::<PreparedOwner>()?;
    m.add_class::<Issue>()?;
    m.add_class::<ScopePreview>()?;
    m.add_class::<TokenPreview>()?;
    m.add_class::<TokenValidation>()?;
    m.add_class::<ServiceAccountPreview>()?;
    m.add_class::<ServiceAccountValidation>()?;
    m.add_function(wrap_pyfunction!(validate_token, m)?)?;
    m.add_function(wrap_pyfunction!(validate_service_account, m)?)?;
    m.add_function(wrap_pyfunction!(audit_record, m)?)?;
    m.add_function(wrap_pyfunction!(hashed_token, m)?)?;
    m.add_function(wrap_pyfunction!(cli::run_cli, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
