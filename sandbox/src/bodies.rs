//! Typed request bodies: each handler takes its body as a type read with serde, and the
//! OpenAPI document describes it with schemars from the same definition, so what the
//! document allows and what the server accepts cannot drift apart (schemathesis checks
//! both ways).
//!
//! The bodies whose rules are the core's (tokens and service accounts) read each field as
//! a [`Field`], which never fails: a field of the wrong type becomes a field error next to
//! the core's findings on the others, so every problem comes back at once.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use clouddigit_core::model::{AllProjects, Inherit, UserStatus};
use clouddigit_core::validate::{
    TextOrList, MAX_DESCRIPTION_CHARS, MAX_TOKEN_NAME_CHARS, MAX_TOKEN_PERMISSIONS,
    SERVICE_ACCOUNT_NAME_PATTERN,
};
use clouddigit_core::{OrgRole, ProjectRole, ProjectScope, Timestamp, TokenPolicy};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, FieldError};
use crate::faults::FaultPlan;

/// The most calls one `POST /v1/iam/authorize` decides.
pub const MAX_AUTHORIZE_REQUESTS: usize = 100;
pub const MAX_SERVER_NAME_CHARS: usize = 63;
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// The longest `expires_in_days` the document offers. Not a rule of the core, which
/// bounds a lifetime only by the policy and the calling token: the document's bound
/// keeps generated requests within ten years.
pub const MAX_EXPIRES_IN_DAYS: i64 = 3650;
pub use clouddigit_core::s3::{valid_bucket_name, BUCKET_NAME_PATTERN};

// ---------------------------------------------------------------- reading a body

/// A type a request body is read as. [`RequestBody::read`] says how a body that does not
/// read answers: for most bodies a 400 for a body that is not a JSON object and a 422
/// naming the field at fault otherwise ([`parse`], which [`object_bodies!`] implements).
pub trait RequestBody: Sized {
    fn read(json: &Value) -> Result<Self, ApiError>;
}

/// Bodies read with [`parse`].
macro_rules! object_bodies {
    ($($t:ty),* $(,)?) => {
        $(impl RequestBody for $t {
            fn read(json: &Value) -> Result<$t, ApiError> {
                parse(json)
            }
        })*
    };
}

object_bodies!(
    crate::streams::api::StreamCreate,
    TokenCreate,
    ServiceAccountCreate,
    OrgServiceAccountCreate,
    ServiceAccountUpdate,
    AuthorizeRequest,
    PolicyBody,
    UserUpdate,
    ServerCreate,
    BucketCreate,
    clouddigit_core::oidc::TrustSpec,
    DevTokenRequest,
    ScanningKeyCreate,
    Downscope,
);

/// `POST /v1/iam/service-accounts/{id}/trusts`, as the document states it: the core's
/// `TrustSpec` with the bounds the core keeps (its vectors hold drafts outside them, so
/// the shared schema cannot carry them).
pub struct TrustCreate;

impl JsonSchema for TrustCreate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TrustCreate".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        use clouddigit_core::oidc::trust::{MAX_AUDIENCES, MAX_LIFETIME_MINUTES, MAX_NAME_CHARS};
        let mut schema = clouddigit_core::oidc::TrustSpec::json_schema(generator);
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            let bound = |props: &mut serde_json::Map<String, Value>, name: &str, extra: Value| {
                if let (Some(Value::Object(p)), Value::Object(e)) = (props.get_mut(name), extra) {
                    p.extend(e);
                }
            };
            bound(
                props,
                "name",
                serde_json::json!({"minLength": 1, "maxLength": MAX_NAME_CHARS}),
            );
            bound(
                props,
                "audiences",
                serde_json::json!({"minItems": 1, "maxItems": MAX_AUDIENCES}),
            );
            bound(
                props,
                "lifetime_minutes",
                serde_json::json!({"minimum": 1, "maximum": MAX_LIFETIME_MINUTES}),
            );
        }
        schema
    }
}

/// `POST /_sandbox/oidc/token`: claims for a token the development issuer signs (`iss`,
/// `iat`, `nbf`, a five-minute `exp` and a `jti` are filled in unless given).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DevTokenRequest {
    pub claims: serde_json::Map<String, Value>,
}

/// A body whose shape is judged when the handler asks ([`Deferred::get`]) rather than
/// when it arrives: for the routes that answer for what their path names (an unknown
/// account, an unknown user) before they look at the body. A body that is not JSON at
/// all is still refused on arrival, as on every route.
#[derive(Debug)]
pub struct Deferred<T>(Result<T, ApiError>);

impl<T> Deferred<T> {
    pub fn get(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: RequestBody> RequestBody for Deferred<T> {
    fn read(json: &Value) -> Result<Deferred<T>, ApiError> {
        Ok(Deferred(T::read(json)))
    }
}

/// A JSON request body read as `T`. The JSON itself is read as axum's `Json` reads it
/// (its rejections for a body that is not JSON, or not sent as JSON, stand), with every
/// integral number written as a float (`30.0`) read as the integer it is: JSON Schema
/// counts `30.0` as an integer, and so does the document, so a field of whole days
/// accepts it. The JSON is kept too: an idempotent create fingerprints it.
#[derive(Debug)]
pub struct Body<T> {
    pub value: T,
    pub json: Value,
}

/// Why a body was refused: axum's answer for what is not JSON, or the type's own.
#[derive(Debug)]
pub enum BodyRejection {
    Json(JsonRejection),
    Invalid(ApiError),
}

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        match self {
            BodyRejection::Json(r) => r.into_response(),
            BodyRejection::Invalid(e) => e.into_response(),
        }
    }
}

impl<S: Send + Sync, T: RequestBody> FromRequest<S> for Body<T> {
    type Rejection = BodyRejection;

    async fn from_request(req: Request, state: &S) -> Result<Body<T>, BodyRejection> {
        let axum::Json(mut json) = axum::Json::<Value>::from_request(req, state)
            .await
            .map_err(BodyRejection::Json)?;
        integral_numbers(&mut json);
        let value = T::read(&json).map_err(BodyRejection::Invalid)?;
        Ok(Body { value, json })
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

/// Reads a JSON object as `T`, naming the field at fault (`requests[2].action`) and why.
pub fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the request body must be a JSON object",
        ));
    }
    read_value(body)
}

/// Reads any JSON value as `T`, naming the field at fault (`[2].url`) and why.
pub fn read_value<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
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

// ---------------------------------------------------------------- fields the core judges

/// A field read without failing, so that a body with several bad fields reports them
/// all: given with its type, given as `null`, given with another type, or absent. What
/// its value may be is the core's to say; only its JSON type is checked here. Its
/// schema is `T`'s (a field that documents `null` says so with `Option<T>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Given(T),
    /// Given, but not as the JSON type the field takes.
    WrongType,
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Field<T>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Field::Null,
            v => serde_json::from_value(v).map_or(Field::WrongType, Field::Given),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Field<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
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

/// A field that must be a string: `None` (and an error) when it is another type, `None`
/// when absent or null.
pub fn string(field: &str, value: &Field<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    match value {
        Field::Given(s) => Some(s.clone()),
        Field::WrongType => {
            errors.push(FieldError::new(field, "invalid_type", "must be a string"));
            None
        }
        Field::Absent | Field::Null => None,
    }
}

/// The items of a list that are strings, with an error at `field[i]` for each that is
/// not.
pub fn strings(
    field: &str,
    items: &[Field<String>],
    expected: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Field::Given(s) => out.push(s.clone()),
            _ => errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "invalid_type",
                expected,
            )),
        }
    }
    out
}

/// An allow-list: a list of entries, or one string of entries separated by commas or
/// new lines (what the console's textarea holds).
// Splitting, counting and parsing the entries is the core's (`TextOrList`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(inline)]
pub enum AllowedIps {
    /// At most [`clouddigit_core::validate::MAX_ALLOWED_IPS`] entries; blank items are not entries (the core's
    /// rule, which also reads the text form), so the list's length is not bounded here.
    List(#[schemars(with = "Vec<String>")] Vec<Field<String>>),
    Text(String),
}

/// The `allowed_ips` field as the core reads it; `None` when absent or null, or not a
/// list or a string (then an error). Only the JSON types are checked here: how the text
/// splits into entries, how many there may be ([`clouddigit_core::validate::MAX_ALLOWED_IPS`]) and what each may
/// be is the core's validation, which reports them at `allowed_ips` and
/// `allowed_ips[i]` with its own codes.
pub fn allowed_ips(value: &Field<AllowedIps>, errors: &mut Vec<FieldError>) -> Option<TextOrList> {
    match value {
        Field::Absent | Field::Null => None,
        Field::Given(AllowedIps::Text(s)) => Some(TextOrList::Text(s.clone())),
        Field::Given(AllowedIps::List(list)) => Some(TextOrList::List(strings(
            "allowed_ips",
            list,
            "a CIDR or address",
            errors,
        ))),
        Field::WrongType => {
            errors.push(FieldError::new(
                "allowed_ips",
                "invalid_type",
                "a list of CIDRs, or one comma-separated string",
            ));
            None
        }
    }
}

/// A `{"key": "value"}` map as a request gives it.
pub type StringMap = BTreeMap<String, Field<String>>;

/// The map's string values, with an error at `field.key` for each that is not one;
/// `None` when absent or null, or not an object (then an error). What keys and values
/// may be is for the caller (the core, for a tag selector).
pub fn string_map(
    field: &str,
    value: &Field<StringMap>,
    errors: &mut Vec<FieldError>,
) -> Option<BTreeMap<String, String>> {
    match value {
        Field::Absent | Field::Null => None,
        Field::Given(map) => {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                match v {
                    Field::Given(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    _ => errors.push(FieldError::new(
                        format!("{field}.{k}"),
                        "invalid_type",
                        "values are strings",
                    )),
                }
            }
            Some(out)
        }
        Field::WrongType => {
            errors.push(FieldError::new(
                field,
                "invalid_type",
                "an object of string keys to string values",
            ));
            None
        }
    }
}

/// A service account's role as text for the core to check: `read_only` when absent or
/// null, `None` (and an error) when not a string.
pub fn role(value: &Field<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    match value {
        Field::Absent | Field::Null => Some("read_only".to_owned()),
        other => string("role", other, errors),
    }
}

/// The projects a token create names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(inline)]
pub enum TokenProjects {
    All(AllProjects),
    List(#[schemars(with = "Vec<ProjectId>", length(min = 1))] Vec<Field<String>>),
}

/// The permissions a token create asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(inline)]
pub enum TokenPermissionsInput {
    Inherit(Inherit),
    List(
        #[schemars(with = "Vec<String>", length(min = 1, max = MAX_TOKEN_PERMISSIONS))]
        Vec<Field<String>>,
    ),
}

/// `POST /v1/iam/tokens`, `POST /v1/iam/service-accounts/{id}/tokens` and
/// `POST /_sandbox/users/{id}/tokens`. Give `expires_at` or `expires_in_days`, not both.
// Every field reads as absent when missing (`serde(default)`), for the core to say what
// is missing; the document still asks for a name.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["name"]))]
pub struct TokenCreate {
    #[schemars(with = "String", length(min = 1, max = MAX_TOKEN_NAME_CHARS))]
    pub name: Field<String>,
    /// Required for personal tokens; service-account tokens default to the account's
    /// projects (null: the same). Within the calling token's.
    #[schemars(with = "Option<TokenProjects>")]
    pub projects: Field<TokenProjects>,
    /// Within what the calling token may do (a downscoped caller makes only downscoped
    /// tokens within its list). Absent or null: inherit.
    #[schemars(with = "Option<TokenPermissionsInput>", extend("default" = "inherit"))]
    pub permissions: Field<TokenPermissionsInput>,
    /// null: never expires (only from a never-expiring calling token). Give this or
    /// expires_in_days; no later than the calling token.
    #[schemars(with = "Option<Timestamp>")]
    pub expires_at: Field<String>,
    #[schemars(with = "i64", range(min = 1, max = MAX_EXPIRES_IN_DAYS))]
    pub expires_in_days: Field<i64>,
    /// Inside the calling token's list, when it has one; null or empty: none.
    #[schemars(with = "Option<AllowedIps>")]
    pub allowed_ips: Field<AllowedIps>,
}

impl TokenCreate {
    /// The projects the body names, read before anything else so that the call is
    /// authorized before the body is validated: `None` when it names none (the default
    /// scope) or is not a list of strings (validation says why).
    pub fn requested_projects(&self) -> Option<ProjectScope> {
        match &self.projects {
            Field::Given(TokenProjects::All(_)) => Some(ProjectScope::All(AllProjects::All)),
            Field::Given(TokenProjects::List(list)) => {
                let mut out: Vec<String> = Vec::new();
                for p in list {
                    if let Field::Given(p) = p {
                        if !out.contains(p) {
                            out.push(p.clone());
                        }
                    }
                }
                Some(ProjectScope::Projects(out))
            }
            _ => None,
        }
    }
}

/// What every service-account create body holds.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["name"]))]
pub struct AccountFields {
    #[schemars(with = "String", regex(pattern = SERVICE_ACCOUNT_NAME_PATTERN))]
    pub name: Field<String>,
    /// null: none.
    #[schemars(with = "Option<String>", length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Field<String>,
    /// null: read_only.
    #[schemars(with = "Option<ProjectRole>", extend("default" = "read_only"))]
    pub role: Field<String>,
    #[schemars(with = "BTreeMap<String, String>")]
    pub tag_selector: Field<StringMap>,
    /// A list, or one string of entries separated by commas or new lines; null or empty:
    /// none.
    #[schemars(with = "Option<AllowedIps>")]
    pub allowed_ips: Field<AllowedIps>,
}

/// `POST /v1/iam/service-accounts`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ServiceAccountCreate {
    /// The project (or ?project=).
    #[serde(default)]
    #[schemars(with = "ProjectId")]
    pub project: Field<String>,
    #[serde(flatten)]
    pub account: AccountFields,
}

/// `POST /v1/org/service-accounts`: an organization-level account has no project.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(extend("not" = { "required": ["project"] }))]
pub struct OrgServiceAccountCreate {
    /// Read only to refuse it.
    #[serde(default)]
    #[schemars(skip)]
    pub project: Field<Value>,
    #[serde(flatten)]
    pub account: AccountFields,
}

/// `PATCH` and `PUT /v1/iam/service-accounts/{id}`: what is absent stays, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("additionalProperties" = false))]
pub struct ServiceAccountUpdate {
    /// null: none.
    #[schemars(with = "Option<String>", length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Field<String>,
    /// null: read_only.
    #[schemars(with = "Option<ProjectRole>", extend("default" = "read_only"))]
    pub role: Field<String>,
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tag_selector: Field<StringMap>,
    /// A list, or one string of entries separated by commas or new lines; null or empty:
    /// none.
    #[schemars(with = "Option<AllowedIps>")]
    pub allowed_ips: Field<AllowedIps>,
    /// Every other field, each refused as not updatable.
    #[serde(flatten)]
    #[schemars(skip)]
    pub other: BTreeMap<String, Value>,
}

/// `POST /realms/{org}/protocol/openid-connect/token`: the client-credentials grant's
/// form (RFC 6749, section 4.4: `client_id`, `client_secret`) or the token exchange's
/// (RFC 8693: `subject_token`, `subject_token_type`, the service account as `audience`
/// or `client_id`). Every field is read as given: a missing or other grant type has its
/// own OAuth error.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[schemars(transform = grant_branches)]
pub struct ClientCredentialsForm {
    #[schemars(required, with = "GrantType")]
    pub grant_type: Option<String>,
    /// Client credentials: the account's id. Token exchange: the account, if no
    /// `audience` names it.
    pub client_id: Option<String>,
    /// Client credentials only.
    pub client_secret: Option<String>,
    /// Token exchange: the OIDC issuer's JWT.
    pub subject_token: Option<String>,
    /// Token exchange: `urn:ietf:params:oauth:token-type:jwt` or `...:id_token`.
    pub subject_token_type: Option<String>,
    /// Token exchange: the service account's id.
    pub audience: Option<String>,
    /// Token exchange: only `urn:ietf:params:oauth:token-type:access_token` is issued.
    pub requested_token_type: Option<String>,
    /// Token exchange: accepted and ignored (the trust decides the scope).
    pub scope: Option<String>,
}

/// What each grant needs, as far as a schema can say it: the client-credentials grant its
/// id and secret; the token exchange a subject token of a type it takes, the account as
/// `audience` or `client_id`, and no other token type asked for. What no schema can say
/// (a JWT that verifies and that one of the account's trusts accepts, a secret that
/// matches) is `invalid_grant` or `invalid_client`, as RFC 6749, section 5.2 has it.
fn grant_branches(schema: &mut schemars::Schema) {
    schema.insert(
        "oneOf".into(),
        serde_json::json!([
            {
                "properties": {
                    "grant_type": { "const": "client_credentials" },
                    "client_id": { "type": "string" },
                    "client_secret": { "type": "string" }
                },
                "required": ["grant_type", "client_id", "client_secret"]
            },
            {
                "properties": {
                    "grant_type": { "const": "urn:ietf:params:oauth:grant-type:token-exchange" },
                    "subject_token": { "type": "string" },
                    "subject_token_type": { "enum": [
                        "urn:ietf:params:oauth:token-type:jwt",
                        "urn:ietf:params:oauth:token-type:id_token"
                    ] },
                    "requested_token_type": { "const": "urn:ietf:params:oauth:token-type:access_token" },
                    "audience": { "type": "string" },
                    "client_id": { "type": "string" }
                },
                "required": ["grant_type", "subject_token", "subject_token_type"],
                "anyOf": [{ "required": ["audience"] }, { "required": ["client_id"] }]
            }
        ]),
    );
}

/// The grants the endpoint takes.
#[derive(JsonSchema)]
#[schemars(inline)]
pub enum GrantType {
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    #[serde(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
}

impl std::fmt::Debug for ClientCredentialsForm {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentialsForm")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
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

impl RequestBody for ClockChange {
    /// Any body that is not one of the three says what the three are.
    fn read(json: &Value) -> Result<ClockChange, ApiError> {
        parse(json).map_err(|_| {
            ApiError::field(
                "advance_seconds",
                "required",
                "give one of advance_seconds (whole seconds), set (an RFC 3339 time) or reset (true or false)",
            )
        })
    }
}

impl RequestBody for FaultPlan {
    /// The plan is the SDK tests' own: whatever does not read is one error, at `plan`.
    fn read(json: &Value) -> Result<FaultPlan, ApiError> {
        FaultPlan::deserialize(json)
            .map_err(|e| ApiError::field("plan", "invalid_plan", e.to_string()))
    }
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

/// `PUT /_sandbox/policy`: the new policy, or `null` for none (and what both endpoints
/// answer).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
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

/// `POST /v1/secret-scanning/keys`: a secret scanner's public key to trust.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanningKeyCreate {
    /// Names the reporter in the audit log (`secret-scanning:<name>`); unique.
    #[schemars(regex(pattern = clouddigit_core::secret_scanning::KEY_NAME_PATTERN))]
    pub name: String,
    /// The ECDSA P-256 public key, PEM (`-----BEGIN PUBLIC KEY-----`, a
    /// SubjectPublicKeyInfo).
    #[schemars(length(min = 1, max = 4096))]
    pub key: String,
}

#[cfg(test)]
mod tests {
    use clouddigit_core::model::UserStatus;
    use clouddigit_core::validate::{ServiceAccountDraft, TagSelectorInput};
    use clouddigit_core::{Catalog, OrgRole, OwnerState, ServiceAccountRequest, UserState};

    use super::*;

    /// The name pattern the document states is the core's rule: a name matches it
    /// exactly when the core finds nothing wrong with its characters or length.
    #[test]
    fn the_documented_name_pattern_is_the_cores_rule() {
        let pattern =
            regex::Regex::new(SERVICE_ACCOUNT_NAME_PATTERN).expect("the pattern compiles");
        let names = [
            "a".to_owned(),
            "ci-deployer".into(),
            "1-2".into(),
            "a--b".into(),
            "-a".into(),
            "a-".into(),
            "A".into(),
            "a_b".into(),
            "a b".into(),
            "é".into(),
            "a".repeat(63),
            "a".repeat(64),
            format!("a{}b", "-".repeat(61)),
            format!("a{}b", "-".repeat(62)),
        ];
        for name in names {
            let request = ServiceAccountRequest {
                draft: ServiceAccountDraft {
                    name: name.clone(),
                    description: String::new(),
                    organization: Some("acme".into()),
                    project: None,
                    role: "read_only".into(),
                    tag_selector: TagSelectorInput::Map(BTreeMap::new()),
                    allowed_ips: TextOrList::default(),
                },
                creator: OwnerState::User(UserState {
                    id: "u_owner".into(),
                    email: "owner@acme.example".into(),
                    organization: "acme".into(),
                    status: UserStatus::Active,
                    org_role: Some(OrgRole::Owner),
                    project_roles: BTreeMap::new(),
                }),
                existing: Vec::new(),
                policy: None,
                organization_projects: vec!["web".into()],
                caller: None,
                now: None,
            };
            let v = clouddigit_core::validate_service_account(&request, Catalog::builtin());
            let core_accepts = !v.errors.iter().any(|i| {
                i.field == "name"
                    && matches!(i.code.as_str(), "name_invalid_characters" | "name_too_long")
            });
            assert_eq!(pattern.is_match(&name), core_accepts, "{name:?}");
        }
    }
}

/// `POST /v1/iam/tokens/{id}/downscope`: the replacement's permissions, each within the
/// token's own (the console's one-click downscope offers the smallest set covering the
/// token's audited calls).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Downscope {
    /// Permission names or patterns (`compute.servers.*`), at least one
    #[schemars(length(min = 1, max = 200))]
    pub permissions: Vec<String>,
}
