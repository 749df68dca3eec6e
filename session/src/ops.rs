//! Every API call the SDKs make, as data: method, path under `/v1`, query and body.
//! Bindings pass these as JSON (`{"op": "list_tokens", "limit": 50}`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::models::{
    AccessKey, ApiToken, AuditEvent, CreatedAccessKey, CreatedServiceAccount, CreatedToken, Page,
    RevokedCount, Rotation, ServiceAccount, Whoami,
};

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
    /// The calling secret's SHA-256, base64 (`hashed_token`): a leaked token's calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub hashed_token: Option<String>,
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
    /// A project account when `body.project` is set; without it, an
    /// organization-level account (organization admins and owners).
    CreateServiceAccount {
        body: Value,
    },
    /// Organization-level accounts, which act in every project.
    ListOrgServiceAccounts {
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
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
    EnableServiceAccount {
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
    /// A project's servers (the command line's `compute servers list`).
    ListServers {
        #[serde(default)]
        project: Option<String>,
    },
    /// A project's buckets (the command line's `storage buckets list`).
    ListBuckets {
        #[serde(default)]
        project: Option<String>,
    },
    /// Registers a public key that signs secret-scanning reports (`{"name", "key"}`, the
    /// key as SubjectPublicKeyInfo PEM): the command line's `configure --scanning-key`.
    RegisterScanningKey {
        body: Value,
    },
    /// Stops trusting a secret-scanning key: `configure --scanning-key` replacing one.
    DeleteScanningKey {
        key_identifier: String,
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
                let org_level = body.get("project").is_none_or(Value::is_null);
                let path = if org_level {
                    "/org/service-accounts"
                } else {
                    "/iam/service-accounts"
                };
                ("POST", path.to_owned(), Some(body))
            }
            Operation::ListOrgServiceAccounts { cursor, limit } => {
                page_query(&mut q, cursor, limit);
                ("GET", "/org/service-accounts".to_owned(), None)
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
            Operation::EnableServiceAccount { id } => (
                "POST",
                format!("/iam/service-accounts/{}/enable", e(id)),
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
            Operation::ListServers { project } => {
                if let Some(p) = project {
                    q.push(("project".into(), p.clone()));
                }
                ("GET", "/compute/servers".to_owned(), None)
            }
            Operation::ListBuckets { project } => {
                if let Some(p) = project {
                    q.push(("project".into(), p.clone()));
                }
                ("GET", "/storage/buckets".to_owned(), None)
            }
            Operation::RegisterScanningKey { body } => {
                ("POST", "/secret-scanning/keys".to_owned(), Some(body))
            }
            Operation::DeleteScanningKey { key_identifier } => (
                "DELETE",
                format!("/secret-scanning/keys/{}", e(key_identifier)),
                None,
            ),
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
            | Operation::ListOrgServiceAccounts { cursor, .. }
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
    push("hashed_token", &f.hashed_token);
    push("from", &f.from);
    push("to", &f.to);
    if let Some(s) = f.status {
        q.push(("status".into(), s.to_string()));
    }
}

/// What a successful response holds, so the core can read it into its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Whoami,
    Token,
    CreatedToken,
    Rotation,
    RevokedCount,
    ServiceAccount,
    CreatedServiceAccount,
    AccessKey,
    CreatedAccessKey,
    /// A list under its own key (`tokens`, `service_accounts`, `access_keys`, `events`),
    /// with `next_cursor` when there are more pages.
    List(ListItem),
    /// JSON lines, passed through as a string.
    Lines,
    /// A JSON document passed through as the API wrote it (the SDKs have no model of it;
    /// only the command line reads it).
    Json,
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListItem {
    Token,
    ServiceAccount,
    AccessKey,
    AuditEvent,
    /// Servers and buckets pass through as the API wrote them: the SDKs have no model
    /// of them yet, only the command line lists them.
    Server,
    Bucket,
}

impl ListItem {
    /// The key a list response holds its items under.
    pub fn key(self) -> &'static str {
        match self {
            ListItem::Token => "tokens",
            ListItem::ServiceAccount => "service_accounts",
            ListItem::AccessKey => "access_keys",
            ListItem::AuditEvent => "events",
            ListItem::Server => "servers",
            ListItem::Bucket => "buckets",
        }
    }
}

impl Operation {
    pub fn output(&self) -> Output {
        use Operation::*;
        match self {
            Whoami => Output::Whoami,
            ListTokens { .. } | ListServiceAccountTokens { .. } => Output::List(ListItem::Token),
            CreateToken { .. } | CreateServiceAccountToken { .. } => Output::CreatedToken,
            GetToken { .. } | RevokeToken { .. } | RevokeServiceAccountToken { .. } => {
                Output::Token
            }
            RotateToken { .. } | RotateServiceAccountToken { .. } => Output::Rotation,
            RevokeMemberTokens { .. } => Output::RevokedCount,
            ListServiceAccounts { .. } | ListOrgServiceAccounts { .. } => {
                Output::List(ListItem::ServiceAccount)
            }
            CreateServiceAccount { .. } => Output::CreatedServiceAccount,
            GetServiceAccount { .. }
            | UpdateServiceAccount { .. }
            | DisableServiceAccount { .. }
            | EnableServiceAccount { .. } => Output::ServiceAccount,
            DeleteServiceAccount { .. } | DeleteAccessKey { .. } => Output::Empty,
            ListAccessKeys { .. } => Output::List(ListItem::AccessKey),
            CreateAccessKey { .. } => Output::CreatedAccessKey,
            ListAuditEvents { .. } => Output::List(ListItem::AuditEvent),
            ExportAuditEvents { .. } => Output::Lines,
            ListServers { .. } => Output::List(ListItem::Server),
            ListBuckets { .. } => Output::List(ListItem::Bucket),
            RegisterScanningKey { .. } => Output::Json,
            DeleteScanningKey { .. } => Output::Empty,
        }
    }

    /// Top-level fields of this call's result that hold a secret shown once; each
    /// binding wraps them in its secret type (redacted when printed or logged).
    pub fn secret_fields(&self) -> &'static [&'static str] {
        match self.output() {
            Output::CreatedToken | Output::Rotation | Output::CreatedAccessKey => &["secret"],
            Output::CreatedServiceAccount => &["client_secret"],
            _ => &[],
        }
    }

    pub fn is_list(&self) -> bool {
        matches!(self.output(), Output::List(..))
    }

    /// Reads a successful response body into this call's model and hands back its JSON
    /// (lists become a [`Page`]). An error names what did not fit, never a value: a
    /// malformed response may still carry a secret.
    pub fn read_output(&self, body: &str) -> Result<Value, String> {
        fn model<T: serde::de::DeserializeOwned + Serialize>(v: Value) -> Result<Value, String> {
            let t: T = serde_json::from_value(v).map_err(|e| without_strings(&e.to_string()))?;
            serde_json::to_value(t).map_err(|e| e.to_string())
        }
        let out = self.output();
        if out == Output::Lines {
            return Ok(Value::String(body.to_owned()));
        }
        if body.trim().is_empty() {
            return match out {
                Output::Empty => Ok(Value::Null),
                _ => Err("the response has no body".into()),
            };
        }
        let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
        match out {
            Output::Whoami => model::<Whoami>(v),
            Output::Token => model::<ApiToken>(v),
            Output::CreatedToken => model::<CreatedToken>(v),
            Output::Rotation => model::<Rotation>(v),
            Output::RevokedCount => model::<RevokedCount>(v),
            Output::ServiceAccount => model::<ServiceAccount>(v),
            Output::CreatedServiceAccount => model::<CreatedServiceAccount>(v),
            Output::AccessKey => model::<AccessKey>(v),
            Output::CreatedAccessKey => model::<CreatedAccessKey>(v),
            Output::Empty => Ok(Value::Null),
            Output::Json => Ok(v),
            Output::Lines => Ok(Value::String(body.to_owned())),
            Output::List(item) => {
                let key = item.key();
                let mut obj = match v {
                    Value::Object(o) => o,
                    _ => return Err("a list response is not an object".into()),
                };
                let items = obj
                    .remove(key)
                    .ok_or_else(|| format!("a list response without `{key}`"))?;
                let next_cursor = match obj.remove("next_cursor") {
                    Some(Value::String(s)) if !s.is_empty() => Some(s),
                    _ => None,
                };
                let Value::Array(items) = items else {
                    return Err(format!("`{key}` is not a list"));
                };
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        match item {
                            ListItem::Token => model::<ApiToken>(v),
                            ListItem::ServiceAccount => model::<ServiceAccount>(v),
                            ListItem::AccessKey => model::<AccessKey>(v),
                            ListItem::AuditEvent => model::<AuditEvent>(v),
                            ListItem::Server | ListItem::Bucket => Ok(v),
                        }
                        .map_err(|e| format!("{key}[{i}]: {e}"))
                    })
                    .collect::<Result<Vec<Value>, String>>()?;
                serde_json::to_value(Page { items, next_cursor }).map_err(|e| e.to_string())
            }
        }
    }
}

/// A deserializer's message with every value it quotes taken out (`invalid value:
/// string "…"`, ``unknown variant `…` ``): what did not fit is named, what it held is
/// not shown. The names serde lists after "expected" are the model's, and stay.
fn without_strings(message: &str) -> String {
    const QUOTES: [(&str, char); 2] = [("string \"", '"'), ("variant `", '`')];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((_, open, close)) = QUOTES
        .iter()
        .filter_map(|(lead, close)| rest.find(lead).map(|at| (at, at + lead.len(), *close)))
        .min_by_key(|(at, ..)| *at)
    {
        out.push_str(&rest[..open]);
        out.push('…');
        let mut escaped = false;
        let mut end = None;
        for (i, c) in rest[open..].char_indices() {
            if c == '\\' && !escaped {
                escaped = true;
            } else if c == close && !escaped {
                end = Some(open + i);
                break;
            } else {
                escaped = false;
            }
        }
        match end {
            Some(e) => rest = &rest[e..],
            None => {
                out.push(close);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::tests::token_json;

    #[test]
    fn a_list_is_read_into_a_page_and_an_empty_cursor_is_none() {
        let op = Operation::ListTokens {
            cursor: None,
            limit: None,
        };
        let body = serde_json::json!({"tokens": [token_json("t1")], "next_cursor": ""}).to_string();
        let page = op.read_output(&body).unwrap();
        assert_eq!(page["items"][0]["id"], "t1");
        assert!(page["next_cursor"].is_null());
    }

    #[test]
    fn a_bad_response_names_the_place_and_never_shows_a_string_value() {
        let op = Operation::ListTokens {
            cursor: None,
            limit: None,
        };
        let mut bad = token_json("t2");
        bad["status"] = "cd_SECRETVALUE123".into();
        let body = serde_json::json!({"tokens": [token_json("t1"), bad]}).to_string();
        let err = op.read_output(&body).unwrap_err();
        assert!(err.starts_with("tokens[1]: unknown variant"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");

        let err = op.read_output(r#"{"service_accounts": []}"#).unwrap_err();
        assert!(err.contains("without `tokens`"), "{err}");
    }

    #[test]
    fn without_strings_takes_out_every_quoted_value() {
        assert_eq!(
            without_strings(r#"a: invalid value: string "x\"y", expected b; string "z""#),
            r#"a: invalid value: string "…", expected b; string "…""#
        );
        assert_eq!(without_strings(r#"string "open"#), r#"string "…""#);
        assert_eq!(
            without_strings("unknown variant `cd_x`, expected one of `a`, `b`"),
            "unknown variant `…`, expected one of `a`, `b`"
        );
        assert_eq!(without_strings("no values"), "no values");
    }
}
