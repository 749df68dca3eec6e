//! Typed request bodies: the handlers read them with serde and the OpenAPI document
//! describes them with schemars, from the same definitions, so what the document allows
//! and what the server accepts cannot drift apart (schemathesis checks both ways).
//!
//! The bodies of tokens and service accounts are read field by field instead (their
//! rules are the core's, reported as the core's issues); this module holds the rest.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use clouddigit_core::model::UserStatus;
use clouddigit_core::validate::TextOrList;
use clouddigit_core::{OrgRole, ProjectRole, Timestamp, TokenPolicy};
use regex::Regex;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// The most calls one `POST /v1/iam/authorize` decides.
pub const MAX_AUTHORIZE_REQUESTS: usize = 100;
pub const MAX_SERVER_NAME_CHARS: usize = 63;
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// S3's rule, as far as the sandbox keeps it: 3 to 63 lowercase letters, digits, hyphens
/// and dots, starting with a letter or digit.
pub const BUCKET_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9.-]{2,62}$";

static BUCKET_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(BUCKET_NAME_PATTERN).ok());

pub fn valid_bucket_name(name: &str) -> bool {
    BUCKET_NAME.as_ref().is_some_and(|r| r.is_match(name))
}

/// Reads a `{"key": "value"}` map, checking only that it is one; `None` when absent or
/// null. What keys and values may be is for the caller (the core, for a tag selector).
pub fn string_map_field(
    body: &Value,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<BTreeMap<String, String>> {
    let v = body.get(field)?;
    if v.is_null() {
        return None;
    }
    let Some(obj) = v.as_object() else {
        errors.push(FieldError::new(
            field,
            "invalid_type",
            "an object of string keys to string values",
        ));
        return None;
    };
    let mut out = BTreeMap::new();
    for (k, val) in obj {
        match val.as_str() {
            Some(s) => {
                out.insert(k.clone(), s.to_owned());
            }
            None => errors.push(FieldError::new(
                format!("{field}.{k}"),
                "invalid_type",
                "values are strings",
            )),
        }
    }
    Some(out)
}

/// The `allowed_ips` field: a list, or one string of entries; `None` when absent or
/// null. Over [`MAX_ALLOWED_IPS`] list items is an error before anything is parsed.
///
/// [`MAX_ALLOWED_IPS`]: clouddigit_core::validate::MAX_ALLOWED_IPS
pub fn allowed_ips_field(body: &Value, errors: &mut Vec<FieldError>) -> Option<TextOrList> {
    match body.get("allowed_ips") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(TextOrList::Text(s.clone())),
        Some(Value::Array(list)) if list.len() > clouddigit_core::validate::MAX_ALLOWED_IPS => {
            errors.push(FieldError::new(
                "allowed_ips",
                "too_many_allowed_ips",
                format!(
                    "{} entries; an allow-list holds at most {}",
                    list.len(),
                    clouddigit_core::validate::MAX_ALLOWED_IPS
                ),
            ));
            Default::default()
        }
        Some(Value::Array(list)) => {
            let mut out = Vec::new();
            for (i, v) in list.iter().enumerate() {
                match v.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => errors.push(FieldError::new(
                        format!("allowed_ips[{i}]"),
                        "invalid_type",
                        "a CIDR or address",
                    )),
                }
            }
            Some(TextOrList::List(out))
        }
        Some(_) => {
            errors.push(FieldError::new(
                "allowed_ips",
                "invalid_type",
                "a list of CIDRs, or one comma-separated string",
            ));
            None
        }
    }
}

pub fn str_field<'a>(
    body: &'a Value,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match body.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            errors.push(FieldError::new(field, "invalid_type", "must be a string"));
            None
        }
    }
}

/// Rejects a body that is not a JSON object.
pub fn require_object(body: &Value) -> Result<(), ApiError> {
    if body.is_object() {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_request",
            "the request body must be a JSON object",
        ))
    }
}

/// A JSON request body, as axum's `Json<Value>` reads it, with every integral number
/// written as a float (`30.0`) read as the integer it is: JSON Schema counts `30.0` as an
/// integer, and so does the document, so a field of whole days accepts it.
pub struct Body(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = axum::extract::rejection::JsonRejection;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Body, Self::Rejection> {
        let axum::Json(mut v) = axum::Json::<Value>::from_request(req, state).await?;
        integral_numbers(&mut v);
        Ok(Body(v))
    }
}

fn integral_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            // Exactly representable whole numbers only: 2^63 and beyond stay floats.
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// Reads a JSON body as `T`, naming the field at fault (`requests[2].action`) and why.
pub fn parse<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the request body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let mut message = e.inner().to_string();
        if message.starts_with("data did not match any variant") {
            message = "not one of the shapes this field takes (see the OpenAPI document)".into();
        }
        // serde reports a missing field at its parent; name the field itself.
        let field = match message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            Some(f) if path == "." => f.to_owned(),
            Some(f) => format!("{path}.{f}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        ApiError::validation(vec![FieldError::new(field, "invalid_field", message)])
    })
}

/// A project of the organization: `{"type": "string"}` here; the document a running
/// sandbox serves lists its organization's projects (see [`crate::openapi`]).
pub struct ProjectId;

impl JsonSchema for ProjectId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProjectId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "minLength": 1 })
    }
}

/// A resource's tags: keys of 1 to 128 characters, values of at most 256.
pub type Tags = BTreeMap<String, String>;

fn tags_schema(schema: &mut schemars::Schema) {
    schema.insert(
        "propertyNames".into(),
        serde_json::json!({ "minLength": 1, "maxLength": MAX_TAG_KEY_CHARS }),
    );
    schema.insert(
        "additionalProperties".into(),
        serde_json::json!({ "type": "string", "maxLength": MAX_TAG_VALUE_CHARS }),
    );
}

/// Where tags break the rule, as field errors.
pub fn tag_errors(field: &str, tags: &Tags) -> Vec<FieldError> {
    tags.iter()
        .filter(|(k, v)| {
            let key = k.chars().count();
            key == 0 || key > MAX_TAG_KEY_CHARS || v.chars().count() > MAX_TAG_VALUE_CHARS
        })
        .map(|(k, _)| {
            FieldError::new(
                format!("{field}.{k}"),
                "invalid_tag",
                format!("tag keys are 1 to {MAX_TAG_KEY_CHARS} characters, values at most {MAX_TAG_VALUE_CHARS}"),
            )
        })
        .collect()
}

/// `POST /_sandbox/clock`: exactly one of the three.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum ClockChange {
    /// Move the clock by this many seconds (negative: back).
    Advance { advance_seconds: i64 },
    /// Set the clock to this time (1970 to 9000).
    Set { set: Timestamp },
    /// `true`: back to the real time.
    Reset { reset: bool },
}

/// `POST /v1/iam/authorize`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// Give every check of each decision with its detail.
    #[serde(default)]
    pub explain: bool,
    #[schemars(length(max = MAX_AUTHORIZE_REQUESTS))]
    pub requests: Vec<Object<CallRequest>>,
}

/// One call to decide: `{action}` or `{method, path}` (not both), in a project, on a
/// resource with these tags.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum CallRequest {
    Action {
        #[schemars(length(min = 1))]
        action: String,
        #[serde(default)]
        project: Option<String>,
        #[serde(default)]
        resource_tags: Option<BTreeMap<String, String>>,
    },
    Route {
        #[schemars(length(min = 1))]
        method: String,
        #[schemars(length(min = 1))]
        path: String,
        #[serde(default)]
        project: Option<String>,
        #[serde(default)]
        resource_tags: Option<BTreeMap<String, String>>,
    },
}

impl CallRequest {
    /// The core's request: (action, method, path, project, resource tags).
    #[allow(clippy::type_complexity)]
    pub fn into_parts(
        self,
    ) -> (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<BTreeMap<String, String>>,
    ) {
        match self {
            CallRequest::Action {
                action,
                project,
                resource_tags,
            } => (Some(action), None, None, project, resource_tags),
            CallRequest::Route {
                method,
                path,
                project,
                resource_tags,
            } => (None, Some(method), Some(path), project, resource_tags),
        }
    }
}

/// `PUT /_sandbox/policy`: the new policy, or `null` for none.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PolicyBody {
    #[schemars(required, schema_with = "nullable_policy")]
    #[serde(deserialize_with = "present")]
    pub policy: Option<TokenPolicy>,
}

fn nullable_policy(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let policy = generator.subschema_for::<TokenPolicy>();
    schemars::json_schema!({ "anyOf": [policy, { "type": "null" }] })
}

/// A field that must be given, though it may be `null`.
fn present<'de, D: serde::Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<Object<T>>::deserialize(d).map(|o| o.map(|o| o.0))
}

/// A struct read from a JSON object only: serde's derived structs also take an array of
/// their fields in order (`[]` would be a policy of defaults), which no client means.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        match Value::deserialize(d)? {
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(Object)
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }
}

fn unexpected(v: &Value) -> serde::de::Unexpected<'_> {
    use serde::de::Unexpected;
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("a number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<T: JsonSchema> JsonSchema for Object<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// `PATCH /_sandbox/users/{id}`: what to change; what is absent stays.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default)]
    pub status: Option<UserStatus>,
    /// `null` takes the organization role away.
    #[serde(default, deserialize_with = "some")]
    pub org_role: Option<Option<OrgRole>>,
    /// Replaces the user's project roles (projects of the organization).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "$ref": "#/components/schemas/ProjectId" }))]
    pub project_roles: Option<BTreeMap<String, ProjectRole>>,
}

/// Tells a field given as `null` (`Some(None)`) from one not given (`None`).
fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /v1/compute/servers`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerCreate {
    /// The project (or `?project=`).
    #[serde(default)]
    #[schemars(with = "Option<ProjectId>")]
    pub project: Option<String>,
    #[schemars(length(min = 1, max = MAX_SERVER_NAME_CHARS))]
    pub name: String,
    #[serde(default)]
    #[schemars(transform = tags_schema)]
    pub tags: Tags,
}

/// `POST /v1/storage/buckets`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketCreate {
    /// The project (or `?project=`).
    #[serde(default)]
    #[schemars(with = "Option<ProjectId>")]
    pub project: Option<String>,
    #[schemars(regex(pattern = BUCKET_NAME_PATTERN))]
    pub name: String,
    /// Turn on Object Lock (it then needs MFA step-up to turn off).
    #[serde(default)]
    pub object_lock: bool,
    #[serde(default)]
    #[schemars(transform = tags_schema)]
    pub tags: Tags,
}

/// The component schemas of these bodies, for the OpenAPI document, with `$ref`s into
/// `#/components/schemas/`.
pub fn schemas() -> serde_json::Map<String, Value> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    generator.subschema_for::<ClockChange>();
    generator.subschema_for::<AuthorizeRequest>();
    generator.subschema_for::<PolicyBody>();
    generator.subschema_for::<UserUpdate>();
    generator.subschema_for::<ServerCreate>();
    generator.subschema_for::<BucketCreate>();
    generator.take_definitions(true)
}
