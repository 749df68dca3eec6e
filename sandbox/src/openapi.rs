//! The OpenAPI 3.1 document, built from the table of operations it is given, with every
//! schema generated (schemars) from the Rust types the operations name: the bodies the
//! handlers read, the models they answer with, their query structs. Limits and patterns
//! in it come from those types' attributes, which take them from the core. The
//! checked-in copy is `sandbox/openapi.json` (`UPDATE_OPENAPI=1 cargo test -p
//! clouddigit-sandbox --test openapi` refreshes it).

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::error::ErrorBody;
use crate::operations::{operations, schema, Auth, Query, RouteDef};

/// Where the document keeps its schemas, and the dialect they are written in (OpenAPI
/// 3.1's, JSON Schema 2020-12).
fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.into_generator()
}

/// A query struct's fields as parameters, in the struct's order: each field's schema
/// with its doc comment as the parameter's description. A query value is never `null`,
/// so an `Option`'s null is taken out of the schema.
fn query_params(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = not_null(property.clone());
            let description = property
                .as_object_mut()
                .and_then(|p| p.remove("description"))
                .unwrap_or_else(|| json!(""));
            json!({
                "name": name, "in": "query", "required": required.contains(&name.as_str()),
                "description": description, "schema": property,
            })
        })
        .collect()
}

/// `schema` without `null` among the values it allows (`["integer", "null"]`, or an
/// `anyOf` with a `{"type": "null"}` branch).
fn not_null(mut schema: Value) -> Value {
    let Some(map) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(branches)) = map.get("anyOf") {
        let kept: Vec<Value> = branches
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            .cloned()
            .collect();
        if let [only] = kept.as_slice() {
            let only = only.clone();
            map.remove("anyOf");
            if let Value::Object(o) = only {
                for (k, v) in o {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
    schema
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// A request that succeeds against the built-in organization, per operation: what a
/// reader copies first, and what schemathesis's examples phase sends.
fn example_body(operation_id: &str) -> Option<Value> {
    Some(match operation_id {
        "createToken" => {
            json!({ "name": "ci-deploy", "projects": ["web"], "permissions": ["compute.servers.list", "compute.servers.get"], "expires_in_days": 30, "allowed_ips": ["203.0.113.0/24"] })
        }
        "createServiceAccountToken" => json!({ "name": "deploy-token", "expires_in_days": 30 }),
        "issueSandboxUserToken" => {
            json!({ "name": "dev-laptop", "projects": ["web"], "expires_in_days": 30 })
        }
        "createServiceAccount" => {
            json!({ "name": "ci-deployer", "project": "web", "description": "Deploys web from CI", "role": "member", "tag_selector": { "env": "prod" } })
        }
        "createOrgServiceAccount" => {
            json!({ "name": "org-auditor", "description": "Reads everything", "role": "read_only" })
        }
        "updateServiceAccount" | "replaceServiceAccount" => {
            json!({ "description": "Deploys web and data", "role": "read_only" })
        }
        "authorizeCalls" => {
            json!({ "requests": [{ "action": "compute.servers.list", "project": "web" }, { "method": "DELETE", "path": "/v1/storage/buckets/acme-web-assets", "project": "web" }], "explain": true })
        }
        "createServer" => {
            json!({ "project": "web", "name": "web-2", "tags": { "env": "staging" } })
        }
        "createBucket" => {
            json!({ "project": "data", "name": "acme-reports", "object_lock": false })
        }
        "setSandboxClock" => json!({ "advance_seconds": 3600 }),
        "setSandboxPolicy" => {
            json!({ "policy": { "allow_never_expiring": true, "require_allowed_ips_for_service_accounts": false, "max_service_accounts_per_project": 25 } })
        }
        "updateSandboxUser" => json!({ "project_roles": { "web": "member", "data": "read_only" } }),
        "clientCredentialsToken" => {
            json!({ "grant_type": "client_credentials", "client_id": "sa_...", "client_secret": "cdcs_..." })
        }
        "createSecretScanningKey" => {
            json!({ "name": "github", "key": EXAMPLE_SCANNING_KEY })
        }
        "reportLeakedSecrets" => json!([{
            "token": "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA",
            "type": "clouddigit_api_token",
            "url": "https://github.com/acme/web/blob/0a1b2c3/.env",
            "source": "content"
        }]),
        _ => return None,
    })
}

/// An ECDSA P-256 public key (of a private key nobody keeps): the example of a key to
/// trust.
const EXAMPLE_SCANNING_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXjYOuLCgd/OUgsD/7XbNrtgS22Sp
wKItoNmVNgWFgBFp9uVvCeU2YJWEL42+wxJjVKpCiYS3DTYyO78kR4mzFw==
-----END PUBLIC KEY-----
";

fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// OpenAPI links from an operation that makes something to every operation under its
/// id (`POST /v1/compute/servers` to `GET /v1/compute/servers/{id}`...), and from the
/// operations that name a user to the ones that take a user's id: how a client (and
/// schemathesis's stateful phase) goes from one call to the next.
fn links_from(def: &RouteDef, defs: &[RouteDef]) -> Map<String, Value> {
    let mut links = Map::new();
    // A new account's client credentials, to the token endpoint of its organization.
    if def.id_at == Some("/service_account/id") {
        if let Some(to) = defs
            .iter()
            .find(|d| d.operation_id == "clientCredentialsToken")
        {
            links.insert(
                to.operation_id.to_owned(),
                json!({
                    "operationId": to.operation_id,
                    "parameters": { "org": "$response.body#/service_account/organization" },
                    "requestBody": {
                        "grant_type": "client_credentials",
                        "client_id": "$response.body#/client_id",
                        "client_secret": "$response.body#/client_secret"
                    }
                }),
            );
        }
    }
    let mut add = |to: &RouteDef, params: Map<String, Value>| {
        links.insert(
            to.operation_id.to_owned(),
            json!({ "operationId": to.operation_id, "parameters": params }),
        );
    };
    if let Some(id_at) = def.id_at {
        let under = format!("{}/{{", def.path);
        let own: Vec<&str> = path_params(def.path).collect();
        for to in defs.iter().filter(|d| d.path.starts_with(&under)) {
            let mut params = Map::new();
            let mut new_ones = 0;
            for name in path_params(to.path) {
                if own.contains(&name) {
                    params.insert(name.into(), json!(format!("$request.path.{name}")));
                } else {
                    new_ones += 1;
                    params.insert(name.into(), json!(format!("$response.body#{id_at}")));
                }
            }
            if new_ones == 1 {
                add(to, params);
            }
        }
    }
    // A user's id: the caller's own (whoami), or the first of the seeded users.
    let user_at = match def.operation_id {
        "whoami" => Some("/token/owner/id"),
        "listSandboxUsers" => Some("/users/1/id"),
        _ => None,
    };
    if let Some(at) = user_at {
        for to in defs.iter().filter(|d| {
            d.path.starts_with("/v1/org/members/{id}") || d.path.starts_with("/_sandbox/users/{id}")
        }) {
            let mut params = Map::new();
            params.insert("id".into(), json!(format!("$response.body#{at}")));
            add(to, params);
        }
    }
    if def.operation_id == "listTokens" {
        for to in defs
            .iter()
            .filter(|d| d.path.starts_with("/v1/iam/tokens/{id}"))
        {
            let mut params = Map::new();
            params.insert("id".into(), json!("$response.body#/tokens/0/id"));
            add(to, params);
        }
    }
    links
}

/// The document of the API's operations ([`operations`]).
pub fn build() -> Value {
    build_from(&operations())
}

/// The document of these operations. Every schema in it is generated from the Rust type
/// the server reads or answers with (schemars), and only the types the operations name
/// are in it.
pub fn build_from(defs: &[RouteDef]) -> Value {
    let mut generator = generator();
    let mut paths: Map<String, Value> = Map::new();
    for def in defs.iter().copied() {
        let mut op = Map::new();
        op.insert("operationId".into(), json!(def.operation_id));
        op.insert("summary".into(), json!(def.summary));
        op.insert("tags".into(), json!([def.tag]));
        let mut params: Vec<Value> = path_params(def.path)
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        for q in def.query {
            match q {
                Query::One(p) => {
                    let schema = (p.schema)(&mut generator);
                    params.push(json!({ "name": p.name, "in": "query", "required": p.required, "description": p.description, "schema": schema }));
                }
                Query::Fields(fields) => params.extend(query_params(&fields(&mut generator))),
            }
        }
        for (name, description) in def.headers {
            params.push(json!({
                "name": name, "in": "header", "required": false, "description": description,
                "schema": { "type": "string" }
            }));
        }
        if def.idempotent {
            params.push(json!({
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "A retry with the same key returns the first result instead of creating again (24 hours; the same key with a different request is a 422)",
                "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$" }
            }));
        }
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(schema) = def.request {
            let media = if def.path.starts_with("/realms/") {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            let mut content = json!({ "schema": schema(&mut generator) });
            if let Some(example) = example_body(def.operation_id) {
                content["example"] = example;
            }
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { media: content } }),
            );
        }
        let mut responses = Map::new();
        let ok = match (def.response, def.path.ends_with("/export")) {
            (_, true) => {
                json!({ "description": "JSON lines, or with ?format=csv CSV", "content": { "application/x-ndjson": { "schema": { "type": "string" } }, "text/csv": { "schema": { "type": "string" } } } })
            }
            (Some(schema), _) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": schema(&mut generator) } } })
            }
            (None, _) if def.status == 204 => json!({ "description": "Done, no body" }),
            (None, _) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": { "type": "object" } } } })
            }
        };
        let mut ok = ok;
        if def.operation_id == "listAuditEvents" {
            ok["content"]["application/x-ndjson"] = json!({ "schema": { "type": "string" } });
            ok["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
            ok["description"] = json!(
                "The page of events, or with ?format=jsonl every matching event as JSON lines (csv: as CSV)"
            );
        }
        let links = links_from(&def, defs);
        if !links.is_empty() {
            ok["links"] = Value::Object(links);
        }
        responses.insert(def.status.to_string(), ok);
        if def.request.is_some() {
            responses.insert(
                "400".into(),
                error_response("invalid_json or invalid_request: the body is not the JSON object this operation reads"),
            );
            responses.insert(
                "415".into(),
                error_response(
                    "unsupported_media_type: the body must be sent with its Content-Type",
                ),
            );
        }
        if def.idempotent {
            responses.insert(
                "400".into(),
                error_response("invalid_json, invalid_request or invalid_idempotency_key"),
            );
        }
        match def.auth {
            Auth::Bearer => {
                op.insert("security".into(), json!([{ "bearer": [] }]));
                responses.insert("401".into(), error_response("No, malformed, unknown, revoked, rotated-out or expired token, or owner not active"));
                responses.insert(
                    "403".into(),
                    error_response("The token may not do this; `code` is the evaluator's reason (or creator_denied: a credential it was made through may not)"),
                );
                responses.insert("404".into(), error_response("No such resource"));
                responses.insert(
                    "429".into(),
                    json!({
                        "description": "Rate limited (60 burst, 30 per second per token; and failed calls per source address)",
                        "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds to wait" } },
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                    }),
                );
                if def.request.is_some() || def.idempotent || !def.query.is_empty() {
                    responses.insert(
                        "422".into(),
                        error_response("validation_failed, with every bad field in `errors`"),
                    );
                }
            }
            Auth::None => {
                op.insert("security".into(), json!([]));
                if def.request.is_some() && def.path.starts_with("/realms/") {
                    responses.insert(
                        "400".into(),
                        error_response(
                            "invalid_request or unsupported_grant_type (also as OAuth `error`)",
                        ),
                    );
                    responses.insert("401".into(), error_response("invalid_client"));
                    responses.insert(
                        "404".into(),
                        error_response("invalid_realm: no such organization"),
                    );
                    responses.insert(
                        "429".into(),
                        error_response(
                            "Too many unauthenticated or failed calls from this address",
                        ),
                    );
                }
            }
        }
        for (status, what) in def.also {
            responses.insert(status.to_string(), error_response(what));
        }
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths
            .entry(def.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Value::Object(m) = entry {
            m.insert(def.method.to_lowercase(), Value::Object(op));
        }
    }
    // The error answers' schema, and with it every schema the operations named.
    schema::<ErrorBody>(&mut generator);
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cloud Digit IAM API (local sandbox)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Tokens, service accounts, access keys, audit log and a few resources, decided by clouddigit-core's evaluator exactly as the real API decides them. Errors are {code, message, request_id}."
        },
        "servers": [{ "url": "http://127.0.0.1:8787" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "A Cloud Digit API token (cd_...) or a client-credentials access token" } },
            "schemas": schemas
        }
    })
}

pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// The document for one organization: a project is one of its projects, so a client
/// (or a test generator) knows the values the server accepts.
pub fn document_for(projects: &[String]) -> Value {
    let mut doc = document().clone();
    doc["components"]["schemas"]["ProjectId"] = json!({
        "type": "string", "enum": projects, "description": "A project of this organization"
    });
    doc
}
