//! Every API call the SDKs make, as data: method, path under `/v1`, query and body.
//! Bindings pass these as JSON (`{"op": "list_tokens", "limit": 50}`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Filters of the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AuditFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub token_prefix: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub status: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Operation {
    Whoami,
    ListTokens {
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    CreateToken {
        body: Value,
    },
    GetToken {
        id: String,
    },
    RotateToken {
        id: String,
    },
    RevokeToken {
        id: String,
    },
    RevokeMemberTokens {
        member_id: String,
    },
    ListServiceAccounts {
        #[serde(default)]
        project: Option<String>,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    CreateServiceAccount {
        body: Value,
    },
    GetServiceAccount {
        id: String,
    },
    UpdateServiceAccount {
        id: String,
        body: Value,
    },
    DisableServiceAccount {
        id: String,
    },
    DeleteServiceAccount {
        id: String,
    },
    ListServiceAccountTokens {
        id: String,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    CreateServiceAccountToken {
        id: String,
        body: Value,
    },
    RotateServiceAccountToken {
        id: String,
        token_id: String,
    },
    RevokeServiceAccountToken {
        id: String,
        token_id: String,
    },
    ListAccessKeys {
        id: String,
    },
    CreateAccessKey {
        id: String,
    },
    DeleteAccessKey {
        id: String,
        key_id: String,
    },
    ListAuditEvents {
        #[serde(default)]
        filter: AuditFilter,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    ExportAuditEvents {
        #[serde(default)]
        filter: AuditFilter,
    },
}

/// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn page_query(q: &mut Vec<(String, String)>, cursor: &Option<String>, limit: &Option<u32>) {
    if let Some(c) = cursor {
        q.push(("cursor".into(), c.clone()));
    }
    if let Some(l) = limit {
        q.push(("limit".into(), l.to_string()));
    }
}

impl Operation {
    /// Method, path under the base URL, query pairs and JSON body.
    pub fn parts(&self) -> (&'static str, String, Vec<(String, String)>, Option<&Value>) {
        let e = |s: &str| encode(s);
        let mut q = Vec::new();
        let (m, p, body) = match self {
            Operation::Whoami => ("GET", "/iam/whoami".to_owned(), None),
            Operation::ListTokens { cursor, limit } => {
                page_query(&mut q, cursor, limit);
                ("GET", "/iam/tokens".to_owned(), None)
            }
            Operation::CreateToken { body } => ("POST", "/iam/tokens".to_owned(), Some(body)),
            Operation::GetToken { id } => ("GET", format!("/iam/tokens/{}", e(id)), None),
            Operation::RotateToken { id } => {
                ("POST", format!("/iam/tokens/{}/rotate", e(id)), None)
            }
            Operation::RevokeToken { id } => ("DELETE", format!("/iam/tokens/{}", e(id)), None),
            Operation::RevokeMemberTokens { member_id } => (
                "POST",
                format!("/org/members/{}/revoke-tokens", e(member_id)),
                None,
            ),
            Operation::ListServiceAccounts {
                project,
                cursor,
                limit,
            } => {
                if let Some(p) = project {
                    q.push(("project".into(), p.clone()));
                }
                page_query(&mut q, cursor, limit);
                ("GET", "/iam/service-accounts".to_owned(), None)
            }
            Operation::CreateServiceAccount { body } => {
                ("POST", "/iam/service-accounts".to_owned(), Some(body))
            }
            Operation::GetServiceAccount { id } => {
                ("GET", format!("/iam/service-accounts/{}", e(id)), None)
            }
            Operation::UpdateServiceAccount { id, body } => (
                "PATCH",
                format!("/iam/service-accounts/{}", e(id)),
                Some(body),
            ),
            Operation::DisableServiceAccount { id } => (
                "POST",
                format!("/iam/service-accounts/{}/disable", e(id)),
                None,
            ),
            Operation::DeleteServiceAccount { id } => {
                ("DELETE", format!("/iam/service-accounts/{}", e(id)), None)
            }
            Operation::ListServiceAccountTokens { id, cursor, limit } => {
                page_query(&mut q, cursor, limit);
                (
                    "GET",
                    format!("/iam/service-accounts/{}/tokens", e(id)),
                    None,
                )
            }
            Operation::CreateServiceAccountToken { id, body } => (
                "POST",
                format!("/iam/service-accounts/{}/tokens", e(id)),
                Some(body),
            ),
            Operation::RotateServiceAccountToken { id, token_id } => (
                "POST",
                format!(
                    "/iam/service-accounts/{}/tokens/{}/rotate",
                    e(id),
                    e(token_id)
                ),
                None,
            ),
            Operation::RevokeServiceAccountToken { id, token_id } => (
                "DELETE",
                format!("/iam/service-accounts/{}/tokens/{}", e(id), e(token_id)),
                None,
            ),
            Operation::ListAccessKeys { id } => (
                "GET",
                format!("/iam/service-accounts/{}/access-keys", e(id)),
                None,
            ),
            Operation::CreateAccessKey { id } => (
                "POST",
                format!("/iam/service-accounts/{}/access-keys", e(id)),
                None,
            ),
            Operation::DeleteAccessKey { id, key_id } => (
                "DELETE",
                format!("/iam/service-accounts/{}/access-keys/{}", e(id), e(key_id)),
                None,
            ),
            Operation::ListAuditEvents {
                filter,
                cursor,
                limit,
            } => {
                audit_query(&mut q, filter);
                page_query(&mut q, cursor, limit);
                ("GET", "/audit/events".to_owned(), None)
            }
            Operation::ExportAuditEvents { filter } => {
                audit_query(&mut q, filter);
                q.push(("format".into(), "jsonl".into()));
                ("GET", "/audit/events".to_owned(), None)
            }
        };
        (m, p, q, body)
    }

    /// Calls that change state with POST or PATCH carry an `Idempotency-Key`, which
    /// the client generates once per call and reuses on every retry of it.
    pub fn needs_idempotency_key(&self) -> bool {
        matches!(self.parts().0, "POST" | "PATCH")
    }

    /// Returns the same list operation for the next page.
    pub fn with_cursor(&self, next: &str) -> Option<Operation> {
        let mut op = self.clone();
        match &mut op {
            Operation::ListTokens { cursor, .. }
            | Operation::ListServiceAccounts { cursor, .. }
            | Operation::ListServiceAccountTokens { cursor, .. }
            | Operation::ListAuditEvents { cursor, .. } => *cursor = Some(next.to_owned()),
            _ => return None,
        }
        Some(op)
    }
}

fn audit_query(q: &mut Vec<(String, String)>, f: &AuditFilter) {
    let mut push = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            q.push((k.to_owned(), v.clone()));
        }
    };
    push("actor", &f.actor);
    push("token_prefix", &f.token_prefix);
    push("from", &f.from);
    push("to", &f.to);
    if let Some(s) = f.status {
        q.push(("status".into(), s.to_string()));
    }
}

/// One page of a list: `{"items": [...], "next_cursor": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Page {
    pub items: Vec<Value>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}
