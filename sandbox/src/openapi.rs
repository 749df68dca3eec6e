//! The OpenAPI 3.1 document, built from the route table. `sandbox/openapi.json` is the
//! checked-in copy (`UPDATE_OPENAPI=1 cargo test -p clouddigit-sandbox --test openapi`
//! refreshes it).

use clouddigit_core::model::MAX_POLICY_LIFETIME_DAYS;
use clouddigit_core::validate::{
    MAX_ALLOWED_IPS, MAX_DESCRIPTION_CHARS, MAX_TOKEN_NAME_CHARS, MAX_TOKEN_PERMISSIONS,
};
use std::sync::OnceLock;

use axum::Json;
use serde_json::{json, Map, Value};

use crate::routes::{table, Auth};

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
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let ips = json!({ "oneOf": [{ "type": "array", "items": { "type": "string" }, "maxItems": MAX_ALLOWED_IPS }, { "type": "string" }] });
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
        "AuthorizeRequest": {
            "type": "object", "required": ["requests"],
            "properties": { "explain": { "type": "boolean", "default": false, "description": "Give every check of each decision with its detail" }, "requests": { "type": "array", "maxItems": 100, "items": {
                "type": "object", "additionalProperties": false,
                "properties": { "action": { "type": "string" }, "method": { "type": "string" }, "path": { "type": "string" }, "project": { "type": "string" }, "resource_tags": tags }
            } } }
        },
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
            "properties": {
                "name": { "type": "string", "maxLength": MAX_TOKEN_NAME_CHARS },
                "projects": { "oneOf": [{ "const": "all" }, { "type": "array", "items": { "type": "string" }, "minItems": 1 }], "description": "Required for personal tokens; service-account tokens default to the account's projects. Within the calling token's." },
                "permissions": { "oneOf": [{ "const": "inherit" }, { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": MAX_TOKEN_PERMISSIONS }], "default": "inherit", "description": "Within what the calling token may do (a downscoped caller makes only downscoped tokens within its list)" },
                "expires_at": { "type": ["string", "null"], "format": "date-time", "description": "null: never expires (only from a never-expiring calling token). Give this or expires_in_days; no later than the calling token." },
                "expires_in_days": { "type": "integer", "minimum": 1, "maximum": 3650 },
                "allowed_ips": { "oneOf": [{ "type": "array", "items": { "type": "string" }, "maxItems": MAX_ALLOWED_IPS }, { "type": "string" }], "description": "Inside the calling token's list, when it has one" }
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
                "name": { "type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" }, "description": { "type": "string", "maxLength": MAX_DESCRIPTION_CHARS },
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
                "project": { "type": "string", "description": "Project accounts only (or ?project=)" },
                "name": { "type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" }, "description": { "type": "string", "maxLength": MAX_DESCRIPTION_CHARS },
                "role": { "enum": ["read_only", "member", "admin"], "default": "read_only" }, "tag_selector": tags,
                "allowed_ips": ips.clone()
            }
        },
        "ServiceAccountUpdate": {
            "type": "object", "additionalProperties": false,
            "properties": { "description": { "type": "string" }, "role": { "enum": ["read_only", "member", "admin"] }, "tag_selector": { "type": ["object", "null"], "additionalProperties": { "type": "string" } }, "allowed_ips": { "oneOf": [{ "type": "null" }, ips] } }
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
        "ServerCreate": { "type": "object", "required": ["project", "name"], "properties": { "project": { "type": "string" }, "name": { "type": "string" }, "tags": tags } },
        "Bucket": {
            "type": "object",
            "properties": { "name": { "type": "string" }, "project": { "type": "string" }, "object_lock": { "type": "boolean" }, "tags": tags, "created_at": time }
        },
        "BucketList": { "type": "object", "properties": { "buckets": { "type": "array", "items": { "$ref": "#/components/schemas/Bucket" } } } },
        "BucketCreate": { "type": "object", "required": ["project", "name"], "properties": { "project": { "type": "string" }, "name": { "type": "string" }, "object_lock": { "type": "boolean" }, "tags": tags } },
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
        "TokenPolicy": {
            "type": "object",
            "properties": {
                "max_lifetime_days": { "type": ["integer", "null"], "minimum": 1, "maximum": MAX_POLICY_LIFETIME_DAYS, "description": "Binds at creation and on every call: a token living longer is denied as expired" },
                "allow_never_expiring": { "type": "boolean", "default": true },
                "require_allowed_ips_for_service_accounts": { "type": "boolean", "default": false },
                "max_service_accounts_per_project": { "type": "integer", "minimum": 1, "default": 25 }
            }
        },
        "PolicyBody": { "type": "object", "required": ["policy"], "properties": { "policy": { "oneOf": [{ "$ref": "#/components/schemas/TokenPolicy" }, { "type": "null" }] } } },
        "Clock": { "type": "object", "properties": { "now": time } },
        "ClockChange": { "type": "object", "properties": { "advance_seconds": { "type": "integer" }, "set": time, "reset": { "type": "boolean" } } },
        "UserUpdate": {
            "type": "object",
            "properties": {
                "status": { "enum": ["active", "suspended", "removed"] }, "org_role": { "enum": ["admin", "owner", null] },
                "project_roles": { "type": "object", "additionalProperties": { "enum": ["read_only", "member", "admin"] } }
            }
        }
    })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// Builds the document from the route table.
pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for (def, _) in table() {
        let mut op = Map::new();
        op.insert("operationId".into(), json!(def.operation_id));
        op.insert("summary".into(), json!(def.summary));
        op.insert("tags".into(), json!([def.tag]));
        let mut params: Vec<Value> = def
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if def.idempotent {
            params.push(json!({
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "A retry with the same key returns the first result instead of creating again (24 hours)",
                "schema": { "type": "string", "maxLength": 255 }
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
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { media: { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } }),
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
        responses.insert(def.status.to_string(), ok);
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
                if def.request.is_some() || def.idempotent {
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
                        "429".into(),
                        error_response(
                            "Too many unauthenticated or failed calls from this address",
                        ),
                    );
                }
            }
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
            "schemas": schemas()
        }
    })
}

pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

pub async fn serve() -> Json<Value> {
    Json(document().clone())
}
