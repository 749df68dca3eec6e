//! Query strings: read into typed structs by the [`Query`] extractor, with a bad value
//! reported as a 422 naming the parameter (the same field-error shape as a body's). The
//! structs describe their parameters in the OpenAPI document too (schemars), each
//! value's type with its parser.

use std::borrow::Cow;
use std::fmt::Display;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use clouddigit_core::Timestamp;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;

/// The longest page of a list.
pub const MAX_PAGE: usize = 500;

/// `a=b&c=d` pairs, percent-decoded (enough for ids and names), in order.
pub fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------- the extractor

/// The query string read as `T`. Every parameter is text: a field reads it with its own
/// parser, and one that refuses it names the parameter with the parser's code. A
/// parameter `T` does not name is ignored (a repeated one never gets here: the caller's
/// authentication refuses it first).
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Query<T>, ApiError> {
        read(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// Reads `query` as `T` (see [`Query`]).
pub fn read<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    read_pairs(url_pairs(query))
}

/// Reads an `application/x-www-form-urlencoded` body as `T`, a name given twice counting
/// as first given (the OAuth token endpoint's form).
pub fn read_form<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in url_pairs(text) {
        if !pairs.iter().any(|(seen, _)| *seen == k) {
            pairs.push((k, v));
        }
    }
    read_pairs(pairs)
}

fn read_pairs<T: DeserializeOwned>(pairs: Vec<(String, String)>) -> Result<T, ApiError> {
    let pairs = pairs.into_iter().map(|(k, v)| (k, Text(v)));
    let map = de::value::MapDeserializer::<_, de::value::Error>::new(pairs);
    serde_path_to_error::deserialize(map).map_err(|e| {
        let field = e.path().to_string();
        let text = e.inner().to_string();
        let (code, message) = split_problem(&text);
        ApiError::field(&field, code, message)
    })
}

/// A value a parser refused: its code and message travel through serde's error, which
/// carries text only, as `code: message`, and [`read`] splits them again.
fn problem<E: de::Error>(code: &str, message: impl Display) -> E {
    E::custom(format_args!("{code}: {message}"))
}

fn split_problem(text: &str) -> (&str, &str) {
    match text.split_once(": ") {
        Some((code, message))
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            (code, message)
        }
        _ => ("invalid_parameter", text),
    }
}

/// A parameter's value: text, which an `Option` field reads as given.
struct Text(String);

impl<'de> IntoDeserializer<'de, de::value::Error> for Text {
    type Deserializer = Text;
    fn into_deserializer(self) -> Text {
        self
    }
}

impl<'de> Deserializer<'de> for Text {
    type Error = de::value::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// Implements `Deserialize` for a parameter type from its `parse`.
macro_rules! parsed_from_text {
    ($($t:ty),* $(,)?) => {
        $(impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let text = String::deserialize(d)?;
                <$t>::parse(&text).map_err(|(code, message)| problem(code, message))
            }
        })*
    };
}

parsed_from_text!(
    PathText,
    PageLimit,
    OffsetCursor,
    EventTime,
    StatusFilter,
    EventLimit,
    EventCursor,
    Format
);

// ---------------------------------------------------------------- pages of the short lists

/// `?limit=` on the short lists: 1 to [`MAX_PAGE`], 100 when absent.
#[derive(Debug, Clone, Copy)]
pub struct PageLimit(pub usize);

impl PageLimit {
    pub const DEFAULT: usize = 100;

    fn parse(text: &str) -> Result<PageLimit, (&'static str, String)> {
        match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(PageLimit(n)),
            _ => Err((
                "invalid_limit",
                format!("a whole number from 1 to {MAX_PAGE}"),
            )),
        }
    }
}

impl JsonSchema for PageLimit {
    fn schema_name() -> Cow<'static, str> {
        "PageLimit".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": PageLimit::DEFAULT })
    }
}

/// `?cursor=` on the short lists: `o` and an offset, as `next_cursor` gives it (opaque to
/// clients).
#[derive(Debug, Clone, Copy)]
pub struct OffsetCursor(pub usize);

impl OffsetCursor {
    fn parse(text: &str) -> Result<OffsetCursor, (&'static str, String)> {
        text.strip_prefix('o')
            .and_then(|n| n.parse::<usize>().ok())
            .map(OffsetCursor)
            .ok_or(("invalid_cursor", "not a cursor from next_cursor".to_owned()))
    }

    fn next(offset: usize) -> String {
        format!("o{offset}")
    }
}

impl JsonSchema for OffsetCursor {
    fn schema_name() -> Cow<'static, str> {
        "OffsetCursor".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^o[0-9]{1,9}$" })
    }
}

/// `?limit=&cursor=` on the token and service-account lists. Read as text and checked
/// when the page is cut ([`PageQuery::page`]), after the call is authorized, the limit
/// first.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct PageQuery {
    /// Items per page
    #[schemars(with = "Option<PageLimit>")]
    pub limit: Option<String>,
    /// next_cursor of the previous page
    #[schemars(with = "Option<OffsetCursor>")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page of `items` the query asks for, and the cursor of the next one.
    pub fn page<T>(&self, items: Vec<T>) -> Result<(Vec<T>, Option<String>), ApiError> {
        let invalid =
            |field: &str, (code, message): (&str, String)| ApiError::field(field, code, message);
        let limit = match &self.limit {
            None => PageLimit::DEFAULT,
            Some(l) => PageLimit::parse(l).map_err(|e| invalid("limit", e))?.0,
        };
        let offset = match &self.cursor {
            None => 0,
            Some(c) => OffsetCursor::parse(c).map_err(|e| invalid("cursor", e))?.0,
        };
        let total = items.len();
        let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
        let next = (offset + limit < total).then(|| OffsetCursor::next(offset + limit));
        Ok((page, next))
    }
}

// ---------------------------------------------------------------- the audit log's filters

/// `?from=`, `?to=`: an RFC 3339 time.
#[derive(Debug, Clone, Copy)]
pub struct EventTime(pub Timestamp);

impl EventTime {
    fn parse(text: &str) -> Result<EventTime, (&'static str, String)> {
        text.parse::<Timestamp>().map(EventTime).map_err(|e| {
            (
                "invalid_time",
                format!("{text:?} is not an RFC 3339 time: {e}"),
            )
        })
    }
}

impl JsonSchema for EventTime {
    fn schema_name() -> Cow<'static, str> {
        Timestamp::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Timestamp::json_schema(generator)
    }
}

/// `?status=`: a status (403) or a class (4xx), as the range of statuses it means.
#[derive(Debug, Clone, Copy)]
pub struct StatusFilter {
    pub min: u16,
    pub max: u16,
}

impl StatusFilter {
    fn parse(text: &str) -> Result<StatusFilter, (&'static str, String)> {
        let bad = || {
            (
                "invalid_status",
                format!("{text:?}: give a status code (403) or a class (4xx)"),
            )
        };
        // A class from 1xx to 5xx, or a code from 100 to 599: nothing else is a status,
        // and nothing here can overflow.
        if let Some(class) = text.strip_suffix("xx") {
            let c: u16 = class
                .parse()
                .ok()
                .filter(|c| (1..=5).contains(c))
                .ok_or_else(bad)?;
            Ok(StatusFilter {
                min: c * 100,
                max: c * 100 + 99,
            })
        } else {
            let s: u16 = text
                .parse()
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(bad)?;
            Ok(StatusFilter { min: s, max: s })
        }
    }
}

impl JsonSchema for StatusFilter {
    fn schema_name() -> Cow<'static, str> {
        "StatusFilter".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^(?:[1-5]xx|[1-5][0-9]{2})$" })
    }
}

/// `?limit=` on the audit log: 1 to [`MAX_PAGE`] events, 50 when absent.
#[derive(Debug, Clone, Copy)]
pub struct EventLimit(pub usize);

impl EventLimit {
    pub const DEFAULT: usize = 50;

    fn parse(text: &str) -> Result<EventLimit, (&'static str, String)> {
        match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(EventLimit(n)),
            _ => Err((
                "invalid_limit",
                format!("limit is a number from 1 to {MAX_PAGE}"),
            )),
        }
    }
}

impl JsonSchema for EventLimit {
    fn schema_name() -> Cow<'static, str> {
        "EventLimit".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": EventLimit::DEFAULT })
    }
}

/// `?cursor=` on the audit log: the `next_cursor` of the previous page (`ev_` and the
/// sequence number of the last event it held).
#[derive(Debug, Clone, Copy)]
pub struct EventCursor(pub i64);

impl EventCursor {
    fn parse(text: &str) -> Result<EventCursor, (&'static str, String)> {
        text.strip_prefix("ev_")
            .and_then(|n| n.parse::<i64>().ok())
            .map(EventCursor)
            .ok_or(("invalid_cursor", "not a cursor from next_cursor".to_owned()))
    }
}

impl JsonSchema for EventCursor {
    fn schema_name() -> Cow<'static, str> {
        "EventCursor".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^ev_[0-9]{1,18}$" })
    }
}

/// `?format=`: a page of JSON, or every matching event as JSON lines in our shape
/// (`jsonl`), as OCSF (`ocsf`) or as CloudTrail-like records (`cloudtrail`), or as CSV
/// (`csv`). On the export, `json` is JSON lines in our shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Format {
    #[default]
    Json,
    Jsonl,
    Ocsf,
    Cloudtrail,
    /// Our shape's fields as CSV, a header line first (`text/csv`)
    Csv,
}

impl Format {
    /// The records' shape when the answer is JSON lines.
    pub fn shape(self) -> clouddigit_core::audit_format::AuditFormat {
        use clouddigit_core::audit_format::AuditFormat;
        match self {
            Format::Json | Format::Jsonl | Format::Csv => AuditFormat::Json,
            Format::Ocsf => AuditFormat::Ocsf,
            Format::Cloudtrail => AuditFormat::Cloudtrail,
        }
    }

    fn parse(text: &str) -> Result<Format, (&'static str, String)> {
        match text {
            "json" => Ok(Format::Json),
            "jsonl" => Ok(Format::Jsonl),
            "ocsf" => Ok(Format::Ocsf),
            "cloudtrail" => Ok(Format::Cloudtrail),
            "csv" => Ok(Format::Csv),
            _ => Err((
                "invalid_format",
                "format is json, jsonl, ocsf, cloudtrail or csv".to_owned(),
            )),
        }
    }
}

/// `?path=` on the audit log: 1 to 200 characters the path contains.
#[derive(Debug, Clone)]
pub struct PathText(pub String);

impl PathText {
    pub const MAX: usize = 200;

    fn parse(text: &str) -> Result<PathText, (&'static str, String)> {
        let n = text.chars().count();
        if (1..=Self::MAX).contains(&n) {
            Ok(PathText(text.to_owned()))
        } else {
            Err((
                "invalid_path",
                format!("give 1 to {} characters of the path ({n} given)", Self::MAX),
            ))
        }
    }
}

impl JsonSchema for PathText {
    fn schema_name() -> Cow<'static, str> {
        "PathText".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "minLength": 1, "maxLength": PathText::MAX })
    }
}

/// Declares a query struct with the audit log's filters, then its own fields: the list
/// and the summary take the same filters, written once.
macro_rules! with_audit_filters {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
        pub struct $name {
            /// User email or service-account name
            pub actor: Option<String>,
            /// cd_ and 6 characters
            pub token_prefix: Option<String>,
            /// The calling secret's SHA-256, base64: every call made with a leaked token, found
            /// without the secret (`printf %s "$TOKEN" | openssl dgst -sha256 -binary | base64`)
            pub hashed_token: Option<String>,
            /// Events at or after (RFC 3339)
            pub from: Option<EventTime>,
            /// Events at or before (RFC 3339)
            pub to: Option<EventTime>,
            /// A status (403) or a class (4xx)
            pub status: Option<StatusFilter>,
            /// One project (organization-wide tokens); other tokens see the project they are
            /// authorized in
            #[schemars(with = "Option<crate::bodies::ProjectId>")]
            pub project: Option<String>,
            /// Text the path contains (ASCII letters in either case)
            pub path: Option<PathText>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

with_audit_filters! {
    /// The audit log's filters, and the list's paging and format. A bad value is refused
    /// in the order the query gives them.
    pub struct AuditQuery {
        /// jsonl: every matching event as JSON lines
        #[schemars(extend("default" = "json"))]
        pub format: Option<Format>,
        /// Events per page
        pub limit: Option<EventLimit>,
        /// next_cursor of the previous page
        pub cursor: Option<EventCursor>,
    }
}

with_audit_filters! {
    /// `GET /v1/audit/summary`'s parameters: the audit log's filters alone (a summary
    /// counts every matching event).
    pub struct AuditSummaryQuery {}
}

impl From<AuditSummaryQuery> for AuditQuery {
    fn from(q: AuditSummaryQuery) -> AuditQuery {
        AuditQuery {
            actor: q.actor,
            token_prefix: q.token_prefix,
            hashed_token: q.hashed_token,
            from: q.from,
            to: q.to,
            status: q.status,
            project: q.project,
            path: q.path,
            ..AuditQuery::default()
        }
    }
}
