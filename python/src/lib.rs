//! Python bindings of `clouddigit-core`. Each function converts at the boundary and
//! calls the core: no rule lives here. Failures are exceptions that subclass
//! `ValueError` and carry a stable `code`; reports are frozen record objects.

use clouddigit_core as core;
use clouddigit_core::ffi::{self, TokenHandle};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// A JSON-shaped Python value (dicts, lists, str, int, float, bool, None; datetimes as
/// RFC 3339 through `isoformat()`) as serde data. Anything else is a `TypeError`.
fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if obj.is_instance_of::<PyInt>() {
        match obj.extract::<i64>() {
            Ok(i) => Ok(Value::from(i)),
            Err(_) => Ok(Value::from(obj.extract::<u64>()?)),
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        Ok(serde_json::Number::from_f64(f.value()).map_or(Value::Null, Value::Number))
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(Value::String(s.to_cow()?.into_owned()))
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("dict keys must be str"))?;
            map.insert(key.to_cow()?.into_owned(), to_json(&v)?);
        }
        Ok(Value::Object(map))
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        obj.try_iter()?
            .map(|item| to_json(&item?))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array)
    } else if obj.hasattr("isoformat")? {
        Ok(Value::String(obj.call_method0("isoformat")?.extract()?))
    } else {
        Err(PyTypeError::new_err(format!(
            "expected JSON-shaped data (dict, list, str, int, float, bool, None), got {}",
            obj.get_type().name()?
        )))
    }
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
/// `invalid_input` naming the argument.
fn arg<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<T> {
    serde_json::from_value(to_json(obj)?).map_err(|e| {
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

/// A REST call that maps to a permission.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct Route {
    method: String,
    path: String,
}

#[pymethods]
impl Route {
    fn __repr__(&self) -> String {
        format!("Route(method={:?}, path={:?})", self.method, self.path)
    }
}

/// One permission of the catalog.
#[pyclass(module = "clouddigit", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct PermissionDef {
    name: String,
    role: String,
    scope: String,
    read_only: bool,
    step_up: bool,
    routes: Vec<Route>,
    summary: String,
}

#[pymethods]
impl PermissionDef {
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
                routes: p
                    .routes
                    .into_iter()
                    .map(|r| Route {
                        method: r.method,
                        path: r.path,
                    })
                    .collect(),
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
    m.add("EvaluateError", py.get_type::<EvaluateError>())?;
    m.add("TokenFormatError", py.get_type::<TokenFormatError>())?;
    m.add_class::<CheckResult>()?;
    m.add_class::<Decision>()?;
    m.add_class::<PreparedToken>()?;
    m.add_class::<TokenSecretInfo>()?;
    m.add_class::<Route>()?;
    m.add_class::<PermissionDef>()?;
    m.add_class::<RoleDef>()?;
    m.add_class::<Catalog>()?;
    m.add_function(wrap_pyfunction!(authorize, m)?)?;
    m.add_function(wrap_pyfunction!(authorize_many, m)?)?;
    m.add_function(wrap_pyfunction!(effective_permissions, m)?)?;
    m.add_function(wrap_pyfunction!(parse_token_secret, m)?)?;
    m.add_function(wrap_pyfunction!(is_token, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_route, m)?)?;
    m.add_function(wrap_pyfunction!(expand_permission, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
