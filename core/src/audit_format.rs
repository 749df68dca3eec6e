//! The audit record in the shapes SIEMs read: our own JSON, OCSF (API Activity 6003 and
//! Authentication 3002) and a CloudTrail-like record, plus the RFC 5424 syslog frame a
//! stream sends. Written once here so the export, every stream and every SDK produce
//! the same bytes for the same event (`tests/vectors/audit_format.json` pins them, and
//! the OCSF ones are checked against OCSF's own JSON Schema).

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::model::AuditEvent;

/// The OCSF schema version the records declare (and `tests/vectors/ocsf/` validates).
pub const OCSF_VERSION: &str = "1.8.0";
/// The CloudTrail record version the CloudTrail-like shape follows.
pub const CLOUDTRAIL_EVENT_VERSION: &str = "1.08";

/// The shapes an audit record can be written in (`?format=` on the export, `format`
/// of a stream).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum AuditFormat {
    /// The API's own `AuditEvent`.
    #[default]
    Json,
    /// OCSF 1.8: API Activity (6003), or Authentication (3002) for token grants.
    Ocsf,
    /// A CloudTrail-like record (`eventVersion`, `userIdentity`, `eventName`, ...).
    Cloudtrail,
}

impl AuditFormat {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a record says about where it came from, which the event itself does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct AuditContext {
    /// The organization the log belongs to (OCSF `cloud.account.uid`, CloudTrail
    /// `recipientAccountId`).
    pub organization: String,
    pub region: String,
    /// The product's version (OCSF `metadata.product.version`).
    pub product_version: String,
}

/// `hashed_token`: the secret's SHA-256, base64 with padding, as GitHub's audit log
/// writes it (`echo -n "$TOKEN" | openssl dgst -sha256 -binary | base64`).
pub fn hashed_token(secret: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(secret.as_bytes()))
}

/// One event in `format`. Total: every event, however odd its fields, has a record.
pub fn render(event: &AuditEvent, format: AuditFormat, ctx: &AuditContext) -> Value {
    match format {
        AuditFormat::Json => serde_json::to_value(event).unwrap_or(Value::Null),
        AuditFormat::Ocsf => ocsf(event, ctx),
        AuditFormat::Cloudtrail => cloudtrail(event, ctx),
    }
}

/// What the call was, as the catalog names it: its permission (`iam.tokens.create`),
/// else the method and path (S3 calls, the OAuth endpoint, unknown routes).
struct Operation {
    name: String,
    service: String,
    /// The catalog's word for a permission (`read_only`), else the method's.
    read_only: bool,
    /// The method is GET or HEAD (OCSF's Read, whatever the call hands out).
    reads: bool,
    /// The catalog knows the route (`name` is a permission, not `METHOD /path`).
    known: bool,
    authentication: bool,
}

fn operation(event: &AuditEvent) -> Operation {
    let catalog = Catalog::builtin();
    let path = event.path.as_str();
    let authentication = is_token_endpoint(path);
    let method_reads = matches!(event.method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
    if let Some(id) = catalog.resolve_route(&event.method, path) {
        let name = catalog.name(id).to_owned();
        let service = name.split('.').next().unwrap_or("api").to_owned();
        let read_only = catalog.def(id).map_or(method_reads, |d| d.read_only);
        return Operation {
            name,
            service,
            read_only,
            reads: method_reads,
            known: true,
            authentication,
        };
    }
    let service = if authentication {
        "oauth"
    } else if path.starts_with("/v1/") {
        path.split('/').nth(2).unwrap_or("api")
    } else if path.starts_with("/_sandbox") {
        "sandbox"
    } else {
        "s3"
    };
    Operation {
        name: format!("{} {}", event.method.to_ascii_uppercase(), path),
        service: service.to_owned(),
        read_only: method_reads,
        reads: method_reads,
        known: false,
        authentication,
    }
}

fn succeeded(event: &AuditEvent) -> bool {
    (200..400).contains(&event.status)
}

/// Whether the call is the OAuth token endpoint's (a grant made or refused).
fn is_token_endpoint(path: &str) -> bool {
    path.starts_with("/realms/") && path.ends_with("/openid-connect/token")
}

/// A credential or permission refused: 401 and 403, and the token endpoint's refusals
/// of a credential, which RFC 6749 (section 5.2) answers with 400 as often as 401
/// (`invalid_grant` for a CI job's JWT no trust accepts, `invalid_client`,
/// `unauthorized_client`); its other 400s are malformed requests.
fn refused_credential(event: &AuditEvent) -> bool {
    match event.status {
        401 | 403 => true,
        400 => {
            is_token_endpoint(&event.path)
                && matches!(
                    event.error_code.as_deref(),
                    Some("invalid_grant" | "invalid_client" | "unauthorized_client")
                )
        }
        _ => false,
    }
}

/// OCSF `severity_id`: 1 Informational for a call that worked, 3 Medium for a refused
/// credential or permission (what a SIEM alerts on), 2 Low for other client errors and
/// 4 High for the server's own failures.
fn severity(event: &AuditEvent) -> (u8, &'static str) {
    match event.status {
        _ if refused_credential(event) => (3, "Medium"),
        500.. => (4, "High"),
        400.. => (2, "Low"),
        _ => (1, "Informational"),
    }
}

/// The query string as a map (repeated keys as arrays), values percent-decoded.
fn query_map(query: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let (k, v) = (decode(k), Value::String(decode(v)));
        match out.get_mut(&k) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                out.insert(k, v);
            }
        }
    }
    out
}

/// Drops the nulls an optional field left, so a record has only what is known (OCSF
/// and CloudTrail readers treat a missing field and a null alike, schemas do not).
fn prune(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, prune(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(prune).collect()),
        v => v,
    }
}

fn ocsf(event: &AuditEvent, ctx: &AuditContext) -> Value {
    let op = operation(event);
    let ok = succeeded(event);
    let (severity_id, severity_name) = severity(event);
    let time = event.time.timestamp_millis();
    // OCSF's user has at least one of `account`, `name` and `uid`: a caller the server
    // could not tie to a user or credential (no token, or a revoked one known only by
    // its prefix) is named `anonymous`, as CloudTrail's anonymous callers are.
    let anonymous = event.actor.is_none() && event.token_id.is_none();
    let user = json!({
        "name": if anonymous { Some("anonymous") } else { event.actor.as_deref() },
        "uid": event.token_id,
        "credential_uid": event.token_prefix,
    });
    let src_endpoint = match &event.source_ip {
        Some(ip) => json!({ "ip": ip }),
        None => json!({ "name": "unknown" }),
    };
    let http_request = json!({
        "http_method": event.method.to_ascii_uppercase(),
        "url": { "path": event.path, "query_string": event.query },
        "uid": event.request_id,
    });
    let metadata = json!({
        "version": OCSF_VERSION,
        // The cloud profile's `cloud` object is in every record.
        "profiles": ["cloud"],
        "uid": event.id,
        "correlation_uid": event.request_id,
        "product": {
            "name": "Cloud Digit IAM",
            "vendor_name": "Cloud Digit",
            "version": ctx.product_version,
        },
    });
    let cloud = json!({
        "provider": "Cloud Digit",
        "region": ctx.region,
        "account": { "uid": ctx.organization },
    });
    let unmapped = json!({
        "token_name": event.token_name,
        "token_prefix": event.token_prefix,
        "hashed_token": event.hashed_token,
        "project": event.project,
        "detail": event.detail,
    });
    let (status_id, status) = if ok { (1, "Success") } else { (2, "Failure") };
    let mut record = if op.authentication {
        // Authentication, Logon: a grant made or refused (client credentials, token
        // exchange). OAuth 2.0 is auth_protocol_id 6.
        json!({
            "category_uid": 3,
            "category_name": "Identity & Access Management",
            "class_uid": 3002,
            "class_name": "Authentication",
            "activity_id": 1,
            "activity_name": "Logon",
            "type_uid": 300201,
            "type_name": "Authentication: Logon",
            "user": user,
            "auth_protocol_id": 6,
            "auth_protocol": "OAUTH 2.0",
            "is_mfa": false,
            "service": { "name": op.service },
            "dst_endpoint": { "svc_name": "clouddigit-iam" },
        })
    } else {
        // GET and HEAD read, even where the catalog does not count the permission as
        // read-only (`k8s.clusters.kubeconfig` hands out a credential). A POST creates
        // when its permission is a `.create`, or on a route the catalog does not know
        // (S3's POST on a key, whose name may well hold dots).
        let (activity_id, activity_name) = match event.method.to_ascii_uppercase().as_str() {
            _ if op.read_only || op.reads => (2, "Read"),
            "POST" if !op.known || op.name.ends_with(".create") => (1, "Create"),
            "POST" | "PUT" | "PATCH" => (3, "Update"),
            "DELETE" => (4, "Delete"),
            _ => (99, "Other"),
        };
        json!({
            "category_uid": 6,
            "category_name": "Application Activity",
            "class_uid": 6003,
            "class_name": "API Activity",
            "activity_id": activity_id,
            "activity_name": activity_name,
            "type_uid": 600300 + activity_id,
            "type_name": format!("API Activity: {activity_name}"),
            "actor": { "user": user },
            "api": {
                "operation": op.name,
                "service": { "name": op.service },
                "request": { "uid": event.request_id },
                "response": { "code": event.status, "error": event.error_code },
            },
            "resources": event.project.as_ref().map(|p| json!([{ "uid": p, "type": "project" }])),
        })
    };
    if let Value::Object(m) = &mut record {
        for (k, v) in [
            ("time", json!(time)),
            ("severity_id", json!(severity_id)),
            ("severity", json!(severity_name)),
            ("status_id", json!(status_id)),
            ("status", json!(status)),
            ("status_code", json!(event.status.to_string())),
            ("status_detail", json!(event.error_code)),
            (
                "message",
                json!(format!(
                    "{} {} {}",
                    event.method.to_ascii_uppercase(),
                    event.path,
                    event.status
                )),
            ),
            ("src_endpoint", src_endpoint),
            ("http_request", http_request),
            ("metadata", metadata),
            ("cloud", cloud),
            ("unmapped", unmapped),
        ] {
            m.insert(k.to_owned(), v);
        }
    }
    prune(record)
}

fn cloudtrail(event: &AuditEvent, ctx: &AuditContext) -> Value {
    let op = operation(event);
    let ok = succeeded(event);
    let mut params = query_map(event.query.as_deref());
    params.insert("path".into(), json!(event.path));
    if let Some(p) = &event.project {
        params.insert("project".into(), json!(p));
    }
    let identity_type = match (&event.token_prefix, &event.token_id) {
        (Some(_), _) | (_, Some(_)) => "ApiToken",
        _ => "Unknown",
    };
    prune(json!({
        "eventVersion": CLOUDTRAIL_EVENT_VERSION,
        "userIdentity": {
            "type": identity_type,
            "principalId": event.token_id,
            "userName": event.actor,
            "accessKeyId": event.token_prefix,
            "accountId": ctx.organization,
            "tokenName": event.token_name,
        },
        "eventTime": event.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "eventSource": format!("{}.clouddigit.com", op.service),
        "eventName": op.name,
        "awsRegion": ctx.region,
        "sourceIPAddress": event.source_ip,
        "requestParameters": params,
        "responseElements": Value::Null,
        "errorCode": (!ok).then(|| event.error_code.clone().unwrap_or_else(|| event.status.to_string())),
        "errorMessage": (!ok).then(|| event.detail.clone()).flatten(),
        "requestID": event.request_id,
        "eventID": event.id,
        "readOnly": op.read_only,
        "eventType": "ApiCall",
        "managementEvent": true,
        "recipientAccountId": ctx.organization,
        "additionalEventData": {
            "httpStatus": event.status,
            "hashedToken": event.hashed_token,
        },
    }))
}

/// RFC 5424 severity for a call: 6 Informational, 4 Warning for a refused credential
/// or permission, 3 Error for the server's failures, 5 Notice for other client errors.
fn syslog_severity(event: &AuditEvent) -> u8 {
    match event.status {
        _ if refused_credential(event) => 4,
        500.. => 3,
        400.. => 5,
        _ => 6,
    }
}

/// Facility 13, "log audit" (RFC 5424, table 1).
const SYSLOG_FACILITY_LOG_AUDIT: u8 = 13;

/// One event as an RFC 5424 message framed by octet counting for TCP (RFC 6587,
/// section 3.4.1): `LEN SP <PRI>1 TIMESTAMP HOSTNAME clouddigit - audit - MSG`, the
/// message being the record in the stream's format as one line of JSON. `hostname` is
/// the sender's name (`-` when empty), cut to the 255 printable ASCII characters the RFC
/// allows.
pub fn syslog_frame(event: &AuditEvent, record: &Value, hostname: &str) -> String {
    let pri = u16::from(SYSLOG_FACILITY_LOG_AUDIT) * 8 + u16::from(syslog_severity(event));
    let host: String = hostname
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    let host = if host.is_empty() {
        "-".to_owned()
    } else {
        host
    };
    let time = event.time.to_rfc3339_opts(SecondsFormat::Millis, true);
    let msg = format!(
        "<{pri}>1 {time} {host} clouddigit - audit - {}",
        serde_json::to_string(record).unwrap_or_default()
    );
    format!("{} {msg}", msg.len())
}

/// The columns of the audit log as CSV, in order (our JSON shape's fields, flat).
pub const CSV_COLUMNS: [&str; 15] = [
    "time",
    "id",
    "request_id",
    "actor",
    "token_name",
    "token_prefix",
    "method",
    "path",
    "query",
    "project",
    "status",
    "error_code",
    "source_ip",
    "token_id",
    "detail",
];

/// Events as CSV (RFC 4180, a header line first) for a spreadsheet. As OWASP's advice on
/// CSV injection has it, every cell is quoted (a spreadsheet splitting on `;` would
/// otherwise start a cell inside a path such as `/v1/x;=HYPERLINK(...)`), and a cell a
/// spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, their
/// full-width forms, a tab, a carriage return or a NUL: the path or the actor are the
/// caller's text) is written with a leading `'`.
pub fn csv<'a>(events: impl IntoIterator<Item = &'a AuditEvent>) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; a record that did would be left out, not panic.
    let _ = w.write_record(CSV_COLUMNS);
    for e in events {
        let status = e.status.to_string();
        let time = e.time.to_rfc3339_opts(SecondsFormat::Millis, true);
        let cells: [&str; 15] = [
            &time,
            &e.id,
            &e.request_id,
            e.actor.as_deref().unwrap_or(""),
            e.token_name.as_deref().unwrap_or(""),
            e.token_prefix.as_deref().unwrap_or(""),
            &e.method,
            &e.path,
            e.query.as_deref().unwrap_or(""),
            e.project.as_deref().unwrap_or(""),
            &status,
            e.error_code.as_deref().unwrap_or(""),
            e.source_ip.as_deref().unwrap_or(""),
            e.token_id.as_deref().unwrap_or(""),
            e.detail.as_deref().unwrap_or(""),
        ];
        let safe = cells.map(|c| {
            if c.starts_with(['=', '+', '-', '@', '\t', '\r', '\0', '＝', '＋', '－', '＠']) {
                std::borrow::Cow::Owned(format!("'{c}"))
            } else {
                std::borrow::Cow::Borrowed(c)
            }
        });
        let _ = w.write_record(safe.iter().map(|c| c.as_bytes()));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut e = event("GET", "/v1/tokens", 403);
        e.detail = Some("said \"no\", twice\nreally".into());
        e.actor = Some("=HYPERLINK(\"http://x\")".into());
        e.query = Some("＝1+1".into());
        e.path = "/v1/x;=HYPERLINK(1)".into();
        let text = csv([&e]);
        let mut lines = text.split("\r\n");
        let header: Vec<String> = CSV_COLUMNS.iter().map(|c| format!("\"{c}\"")).collect();
        assert_eq!(lines.next(), Some(header.join(",").as_str()));
        // Every cell quoted: a `;` inside one never starts another.
        assert!(text.contains(",\"/v1/x;=HYPERLINK(1)\","), "{text}");
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<::csv::StringRecord> = r.records().filter_map(Result::ok).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "2026-12-07T10:00:00.250Z");
        assert_eq!(&rows[0][3], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&rows[0][8], "'＝1+1");
        assert_eq!(&rows[0][10], "403");
        assert_eq!(&rows[0][14], "said \"no\", twice\nreally");
    }

    fn event(method: &str, path: &str, status: u16) -> AuditEvent {
        AuditEvent {
            id: "evt_1".into(),
            time: "2026-12-07T10:00:00.250Z".parse().unwrap_or_default(),
            actor: Some("ana@example.com".into()),
            token_name: Some("ci".into()),
            token_prefix: Some("cd_abc123".into()),
            method: method.into(),
            path: path.into(),
            query: Some("limit=5&tag=a&tag=b%20c".into()),
            project: Some("web".into()),
            status,
            error_code: (status >= 400).then(|| "permission_denied".into()),
            source_ip: Some("10.0.0.1".into()),
            request_id: "req_1".into(),
            token_id: Some("tok_1".into()),
            detail: None,
            hashed_token: Some(hashed_token("cd_x")),
        }
    }

    fn ctx() -> AuditContext {
        AuditContext {
            organization: "acme".into(),
            region: "bd-dha-1".into(),
            product_version: "0.1.0".into(),
        }
    }

    #[test]
    fn hashed_token_is_githubs() {
        // printf 'cd_x' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hashed_token("cd_x"),
            "afPazD5OXhkUw3Yg6g7D8KFnM8jEGybNu7meCE/UFIg="
        );
    }

    #[test]
    fn token_grants_are_authentication_and_the_rest_api_activity() {
        let r = render(
            &event("POST", "/realms/acme/protocol/openid-connect/token", 200),
            AuditFormat::Ocsf,
            &ctx(),
        );
        assert_eq!(
            (r["class_uid"].clone(), r["type_uid"].clone()),
            (json!(3002), json!(300201))
        );
        let r = render(
            &event("DELETE", "/v1/iam/tokens/tok_9", 403),
            AuditFormat::Ocsf,
            &ctx(),
        );
        assert_eq!(r["class_uid"], 6003);
        assert_eq!(r["type_uid"], 600304);
        assert_eq!(r["status_id"], 2);
        assert_eq!(r["severity_id"], 3);
        let r = render(
            &event("GET", "/v1/iam/tokens", 200),
            AuditFormat::Ocsf,
            &ctx(),
        );
        assert_eq!(r["activity_id"], 2);
        assert!(r.get("status_detail").is_none(), "nulls are dropped: {r}");
    }

    #[test]
    fn cloudtrail_has_its_names() {
        let r = render(
            &event("GET", "/v1/iam/tokens", 403),
            AuditFormat::Cloudtrail,
            &ctx(),
        );
        assert_eq!(r["eventName"], "iam.tokens.list");
        assert_eq!(r["eventSource"], "iam.clouddigit.com");
        assert_eq!(r["errorCode"], "permission_denied");
        assert_eq!(r["readOnly"], true);
        assert_eq!(r["requestParameters"]["tag"], json!(["a", "b c"]));
        assert_eq!(r["eventTime"], "2026-12-07T10:00:00Z");
    }

    #[test]
    fn times_are_what_chronos_strftime_writes() {
        // Written without chrono's `format`, which would link its strftime into the wasm.
        for t in [
            "2026-12-07T10:00:00Z",
            "2026-12-07T10:00:00.250Z",
            "2026-12-07T10:00:00.999999999Z",
            "0001-01-01T00:00:00.001Z",
            "9999-12-31T23:59:60.5Z",
        ] {
            let mut e = event("GET", "/v1/iam/tokens", 200);
            e.time = t.parse().unwrap_or_default();
            let r = render(&e, AuditFormat::Cloudtrail, &ctx());
            assert_eq!(
                r["eventTime"],
                e.time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            let frame = syslog_frame(&e, &json!({}), "h");
            let stamp = e.time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert!(
                frame.contains(&format!(">1 {stamp} h ")),
                "{frame} / {stamp}"
            );
        }
    }

    #[test]
    fn a_refused_grant_is_a_warning_and_a_malformed_one_a_notice() {
        let mut e = event("POST", "/realms/acme/protocol/openid-connect/token", 400);
        e.error_code = Some("invalid_grant".into());
        assert_eq!(render(&e, AuditFormat::Ocsf, &ctx())["severity_id"], 3);
        assert!(syslog_frame(&e, &json!({}), "h").contains(" <108>1 "));
        e.error_code = Some("invalid_request".into());
        assert_eq!(render(&e, AuditFormat::Ocsf, &ctx())["severity_id"], 2);
        assert!(syslog_frame(&e, &json!({}), "h").contains(" <109>1 "));
    }

    #[test]
    fn syslog_frames_count_their_octets() {
        let e = event("GET", "/v1/iam/tokens", 403);
        let f = syslog_frame(&e, &json!({"a": "é"}), "host one");
        let (len, msg) = f.split_once(' ').unwrap_or_default();
        assert_eq!(len.parse::<usize>().ok(), Some(msg.len()));
        assert!(
            msg.starts_with("<108>1 2026-12-07T10:00:00.250Z hostone clouddigit - audit - {"),
            "{msg}"
        );
    }
}
