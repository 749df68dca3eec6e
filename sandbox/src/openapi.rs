//! The OpenAPI 3.1 document, built from the route table. `sandbox/openapi.json` is the
//! checked-in copy (`UPDATE_OPENAPI=1 cargo test -p clouddigit-sandbox --test openapi`
//! refreshes it).

use clouddigit_core::validate::{
    MAX_ALLOWED_IPS, MAX_DESCRIPTION_CHARS, MAX_TOKEN_NAME_CHARS, MAX_TOKEN_PERMISSIONS,
};
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::operations::{operations, Auth, RouteDef};

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code", "message", "request_id"],
        "properties": {
            "code": { "type": "string", "description": "Stable machine code: missing_token, malformed_token, unknown_token, revoked, rotated, expired, owner_inactive, ip_not_allowed, not_in_role, not_in_token_permissions, project_out_of_scope, tag_mismatch, step_up_required, in_rotation_grace, creator_denied, sandbox_admin_only, rate_limited, validation_failed, not_found, ..." },
            "creator_reason": { "type": "string", "description": "creator_denied: the reason of the credential this token was made through (revoked, not_in_role...)" },
            "message": { "type": "string" },
            "request_id": { "type": "string" },
            "permission": { "type": "string", "description": "The permission the call maps to (authorization errors)" },
            "detail": { "type": "string", "description": "The token format error code (malformed_token)" },
            "errors": { "type": "array", "items": { "$ref": "#/components/schemas/FieldError" } }
        }
    })
}

fn schemas() -> Value {
    let tags = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    let time = json!({ "type": "string", "format": "date-time" });
    let role = json!({ "enum": ["read_only", "member", "admin", null], "default": "read_only", "description": "null: read_only" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let ips = json!({ "oneOf": [{ "type": "array", "items": { "type": "string" }, "maxItems": MAX_ALLOWED_IPS }, { "type": "string" }, { "type": "null" }], "description": "A list, or one string of entries separated by commas or new lines; null or empty: none" });
    let creator = json!({
        "type": "object", "description": "What made this credential: a token, a bearer, a client secret or an access key (with its id), the bootstrap token, or a sandbox administrator (with the admin's token id)",
        "required": ["type"],
        "properties": { "type": { "enum": ["token", "bearer", "client_secret", "access_key", "bootstrap", "sandbox_admin"] }, "id": { "type": "string" }, "token": { "type": "string" } }
    });
    json!({
        "Error": error_schema(),
        "FieldError": {
            "type": "object", "required": ["field", "code", "message"],
            "properties": { "field": { "type": "string" }, "code": { "type": "string" }, "message": { "type": "string" } }
        },
        "Token": {
            "type": "object",
            "required": ["id", "name", "prefix", "owner", "organization", "projects", "permissions", "created_at", "kind", "status"],
            "properties": {
                "id": { "type": "string" }, "name": { "type": "string" },
                "prefix": { "type": "string", "description": "cd_ and 6 characters; the secret is never shown again" },
                "owner": { "type": "object", "properties": { "type": { "enum": ["user", "service_account"] }, "id": { "type": "string" } } },
                "organization": { "type": "string" },
                "projects": { "oneOf": [{ "const": "all" }, { "type": "array", "items": { "type": "string" } }] },
                "permissions": { "oneOf": [{ "const": "inherit" }, { "type": "array", "items": { "type": "string" } }] },
                "created_at": time, "expires_at": opt_time, "allowed_ips": { "type": "array", "items": { "type": "string" } },
                "revoked_at": opt_time, "rotated_at": opt_time, "grace_ends_at": opt_time, "last_used_at": opt_time,
                "replaced_by": { "type": ["string", "null"] },
                "created_by": creator.clone(),
                "parent_id": { "type": ["string", "null"], "description": "The credential this one descends from now (its maker, or the maker's rotation replacement): revoking it revokes this one. Absent for a root." },
                "kind": { "enum": ["api", "oauth"] },
                "status": { "enum": ["active", "rotating", "rotated", "revoked", "expired"] }
            }
        },
        "TokenList": { "type": "object", "properties": { "tokens": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } }, "next_cursor": { "type": ["string", "null"], "description": "Pass as ?cursor= for the next page (?limit= 1..500, default 100)" } } },
        "Whoami": {
            "type": "object", "required": ["token", "owner", "organization_projects"],
            "properties": {
                "token": { "$ref": "#/components/schemas/Token" },
                "owner": { "type": "object", "description": "The owner as they are now: a user (org_role, project_roles, status) or a service account (project, role, tag_selector, status), tagged by `type`" },
                "organization_projects": { "type": "array", "items": { "type": "string" } },
                "policy": { "oneOf": [{ "$ref": "#/components/schemas/TokenPolicy" }, { "type": "null" }], "description": "The organization's token policy, which the server applies; null: none" },
                "ip": { "type": ["string", "null"] }
            }
        },
        "RevokedCount": { "type": "object", "properties": { "revoked": { "type": "integer", "description": "The member's own tokens" }, "revoked_descendants": { "type": "integer", "description": "Credentials made through them, at any depth" } } },
        "AuthorizeResult": {
            "type": "object",
            "properties": { "decisions": { "type": "array", "items": {
                "type": "object",
                "properties": {
                    "allowed": { "type": "boolean" }, "reason": { "type": "string" }, "message": { "type": "string" },
                    "permission": { "type": ["string", "null"] },
                    "checks": { "type": "array", "items": { "type": "object" }, "description": "With explain: every check, its outcome and detail" },
                    "denied_by": { "type": ["string", "null"], "description": "The id of the credential this token was made through that refused the call; null: the token itself (or allowed)" }
                }
            } } }
        },
        "TokenCreate": {
            "type": "object", "required": ["name"],
            "description": "Give expires_at or expires_in_days, not both",
            "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": MAX_TOKEN_NAME_CHARS },
                "projects": { "oneOf": [{ "const": "all" }, { "type": "array", "items": { "$ref": "#/components/schemas/ProjectId" }, "minItems": 1 }], "description": "Required for personal tokens; service-account tokens default to the account's projects. Within the calling token's." },
                "permissions": { "oneOf": [{ "const": "inherit" }, { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": MAX_TOKEN_PERMISSIONS }], "default": "inherit", "description": "Within what the calling token may do (a downscoped caller makes only downscoped tokens within its list)" },
                "expires_at": { "type": ["string", "null"], "format": "date-time", "description": "null: never expires (only from a never-expiring calling token). Give this or expires_in_days; no later than the calling token." },
                "expires_in_days": { "type": "integer", "minimum": 1, "maximum": 3650 },
                "allowed_ips": { "oneOf": [{ "type": "array", "items": { "type": "string" }, "maxItems": MAX_ALLOWED_IPS }, { "type": "string" }, { "type": "null" }], "description": "Inside the calling token's list, when it has one; null or empty: none" }
            }
        },
        "TokenWithSecret": {
            "type": "object", "required": ["token", "secret"],
            "properties": { "token": { "$ref": "#/components/schemas/Token" }, "secret": { "type": "string", "description": "Shown once" } }
        },
        "Rotation": {
            "type": "object", "required": ["token", "secret", "replaces"],
            "properties": {
                "token": { "$ref": "#/components/schemas/Token" }, "secret": { "type": "string", "description": "Shown once" },
                "replaces": { "$ref": "#/components/schemas/Token" }
            }
        },
        "ServiceAccount": {
            "type": "object",
            "properties": {
                "id": { "type": "string" }, "client_id": { "type": "string" },
                "name": { "type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" }, "description": { "type": ["string", "null"], "maxLength": MAX_DESCRIPTION_CHARS, "description": "null: none" },
                "organization": { "type": "string" }, "project": { "type": ["string", "null"] },
                "level": { "enum": ["project", "organization"] },
                "role": { "enum": ["read_only", "member", "admin"] }, "tag_selector": tags,
                "allowed_ips": { "type": "array", "items": { "type": "string" }, "description": "Where the account's client-credentials bearers may be used from (they carry the list)" },
                "client_secret": { "oneOf": [{ "type": "null" }, { "type": "object", "description": "The current client secret's metadata (never the secret)", "properties": { "id": { "type": "string" }, "created_at": time, "expires_at": opt_time, "created_by": creator.clone(), "parent_id": { "type": ["string", "null"] } } }] },
                "status": { "enum": ["active", "disabled", "deleted"] }, "created_at": time, "updated_at": time
            }
        },
        "ServiceAccountList": { "type": "object", "properties": { "service_accounts": { "type": "array", "items": { "$ref": "#/components/schemas/ServiceAccount" } }, "next_cursor": { "type": ["string", "null"] } } },
        "ServiceAccountCreate": {
            "type": "object", "required": ["name"],
            "properties": {
                "project": { "$ref": "#/components/schemas/ProjectId", "description": "The project (or ?project=)" },
                "name": { "type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" }, "description": { "type": ["string", "null"], "maxLength": MAX_DESCRIPTION_CHARS, "description": "null: none" },
                "role": role.clone(), "tag_selector": tags,
                "allowed_ips": ips.clone()
            }
        },
        "OrgServiceAccountCreate": {
            "type": "object", "required": ["name"],
            "description": "An organization-level account has no project",
            "not": { "required": ["project"] },
            "properties": {
                "name": { "type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" }, "description": { "type": ["string", "null"], "maxLength": MAX_DESCRIPTION_CHARS, "description": "null: none" },
                "role": role.clone(), "tag_selector": tags,
                "allowed_ips": ips.clone()
            }
        },
        "ServiceAccountUpdate": {
            "type": "object", "additionalProperties": false,
            "properties": { "description": { "type": ["string", "null"], "maxLength": MAX_DESCRIPTION_CHARS, "description": "null: none" }, "role": role, "tag_selector": { "type": ["object", "null"], "additionalProperties": { "type": "string" } }, "allowed_ips": ips }
        },
        "ServiceAccountCreated": {
            "type": "object",
            "properties": { "service_account": { "$ref": "#/components/schemas/ServiceAccount" }, "client_id": { "type": "string" }, "client_secret": { "type": "string", "description": "Shown once" } }
        },
        "ClientCredentials": { "type": "object", "properties": { "client_id": { "type": "string" }, "client_secret": { "type": "string", "description": "Shown once" }, "secret": { "type": "object", "description": "The new secret's metadata" } } },
        "AccessKeyList": {
            "type": "object",
            "properties": { "access_keys": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" }, "service_account": { "type": "string" }, "created_at": time, "expires_at": opt_time, "created_by": creator.clone(), "parent_id": { "type": ["string", "null"] } } } } }
        },
        "AccessKeyWithSecret": {
            "type": "object",
            "properties": { "id": { "type": "string" }, "secret": { "type": "string", "description": "Shown once" }, "service_account": { "type": "string" }, "created_at": time, "expires_at": opt_time, "created_by": creator.clone(), "parent_id": { "type": ["string", "null"] } }
        },
        "Server": {
            "type": "object",
            "properties": { "id": { "type": "string" }, "project": { "type": "string" }, "name": { "type": "string" }, "status": { "enum": ["running", "stopped"] }, "tags": tags, "created_at": time }
        },
        "ServerList": { "type": "object", "properties": { "servers": { "type": "array", "items": { "$ref": "#/components/schemas/Server" } } } },
        "Bucket": {
            "type": "object",
            "properties": { "name": { "type": "string" }, "project": { "type": "string" }, "object_lock": { "type": "boolean" }, "tags": tags, "created_at": time }
        },
        "BucketList": { "type": "object", "properties": { "buckets": { "type": "array", "items": { "$ref": "#/components/schemas/Bucket" } } } },
        "AuditEvent": {
            "type": "object",
            "properties": {
                "id": { "type": "string" }, "request_id": { "type": "string" }, "time": time,
                "token_name": { "type": ["string", "null"] }, "token_prefix": { "type": ["string", "null"] },
                "actor": { "type": ["string", "null"], "description": "User email or service-account name" },
                "method": { "type": "string" }, "path": { "type": "string" }, "query": { "type": ["string", "null"] },
                "project": { "type": ["string", "null"] }, "status": { "type": "integer" },
                "error_code": { "type": ["string", "null"] }, "source_ip": { "type": ["string", "null"] },
                "token_id": { "type": ["string", "null"], "description": "The calling credential (its created_by and parent_id place the call in the credential tree)" },
                "detail": { "type": ["string", "null"], "description": "A denial's full explanation, or what the call made or ended" }
            }
        },
        "AuditEventList": {
            "type": "object",
            "properties": { "events": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEvent" } }, "next_cursor": { "type": ["string", "null"] } }
        },
        "ClientCredentialsForm": {
            "type": "object", "required": ["grant_type", "client_id", "client_secret"],
            "properties": { "grant_type": { "const": "client_credentials" }, "client_id": { "type": "string" }, "client_secret": { "type": "string" } }
        },
        "AccessToken": {
            "type": "object",
            "properties": { "access_token": { "type": "string" }, "token_type": { "const": "Bearer" }, "expires_in": { "type": "integer", "minimum": 0, "maximum": 300, "description": "300, or less when the client secret expires sooner" } }
        },
        "Clock": { "type": "object", "properties": { "now": time } },
    })
}

/// The hand-written schemas and the typed request bodies' ([`crate::bodies`]).
fn components() -> Value {
    let mut all = match schemas() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    all.extend(crate::bodies::schemas());
    Value::Object(all)
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
        _ => return None,
    })
}

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
    if def.response == Some("ServiceAccountCreated") {
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

/// The document of these operations.
pub fn build_from(defs: &[RouteDef]) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for def in defs.iter().copied() {
        let mut op = Map::new();
        op.insert("operationId".into(), json!(def.operation_id));
        op.insert("summary".into(), json!(def.summary));
        op.insert("tags".into(), json!([def.tag]));
        let mut params: Vec<Value> = path_params(def.path)
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        for p in def.query {
            let schema: Value = serde_json::from_str(p.schema).unwrap_or_else(|_| json!({}));
            params.push(json!({ "name": p.name, "in": "query", "required": p.required, "description": p.description, "schema": schema }));
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
            let mut content =
                json!({ "schema": { "$ref": format!("#/components/schemas/{schema}") } });
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
                json!({ "description": "JSON lines", "content": { "application/x-ndjson": { "schema": { "type": "string" } } } })
            }
            (Some(schema), _) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
            }
            (None, _) if def.status == 204 => json!({ "description": "Done, no body" }),
            (None, _) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": { "type": "object" } } } })
            }
        };
        let mut ok = ok;
        if def.operation_id == "listAuditEvents" {
            ok["content"]["application/x-ndjson"] = json!({ "schema": { "type": "string" } });
            ok["description"] = json!(
                "The page of events, or with ?format=jsonl every matching event as JSON lines"
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
                if def.request.is_some() {
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
            "schemas": components()
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
