//! What the API returns, as typed models. The core reads every response into these (so
//! a malformed response is a typed error in every SDK, not a missing field three calls
//! later) and hands the hosts the same JSON back; the hosts' types are generated from
//! these definitions.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use clouddigit_core::model::{OwnerState, ProjectRole, Timestamp, Token, TokenPolicy};
use clouddigit_core::secret::{PREFIX_RANDOM_CHARS, TOKEN_PREFIX};

/// A secret the API shows once (token, client secret, access key secret). `Debug` and
/// `Display` show only its public prefix; read it with [`Secret::expose`]. Serializes
/// as the value, because the JSON boundary to the bindings must carry it: each binding
/// wraps the fields [`super::Operation::secret_fields`] names into its own secret type.
/// In TypeScript those fields are the npm package's `Secret` class (declared by the wasm
/// bindings, which do the wrapping), not a string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown: `cd_` and 6 characters for tokens, 4 characters otherwise.
    pub fn prefix(&self) -> &str {
        secret_prefix(&self.0)
    }
}

/// The displayable start of a secret (never more than the API itself shows).
pub fn secret_prefix(value: &str) -> &str {
    let keep = if value.starts_with(TOKEN_PREFIX) {
        TOKEN_PREFIX.len() + PREFIX_RANDOM_CHARS
    } else {
        4
    };
    let end = value
        .char_indices()
        .nth(keep)
        .map(|(i, _)| i)
        .unwrap_or(value.len());
    // A short value is shown not at all rather than whole.
    if end == value.len() {
        ""
    } else {
        &value[..end]
    }
}

/// How every SDK prints a secret: its prefix and an ellipsis.
pub fn redacted(value: &str) -> String {
    format!("{}…[redacted]", secret_prefix(value))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", redacted(&self.0))
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted(&self.0))
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

pub use clouddigit_core::model::TokenStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum TokenKind {
    Api,
    /// A client-credentials bearer.
    Oauth,
}

/// A token as the API lists it: the metadata the evaluator reads, and its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ApiToken {
    #[serde(flatten)]
    pub token: Token,
    pub status: TokenStatus,
    pub kind: TokenKind,
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// Which credential made it (absent on tokens from before lineage was kept).
    #[serde(default)]
    pub created_by: Option<clouddigit_core::model::Creator>,
    /// The credential it descends from now (the maker, or the maker's rotation
    /// replacement): revoking that revokes this one. `null` for a root.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Why it was revoked (`leaked` with where, `revoked`, `parent_revoked`...): present
    /// on a revoked token, except one revoked before reasons were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub revocation: Option<clouddigit_core::model::Revocation>,
}

/// A new token and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CreatedToken {
    pub token: ApiToken,
    #[cfg_attr(feature = "tsify", tsify(type = "Secret"))]
    pub secret: Secret,
}

/// A rotation: the new token (secret shown once) and the old one, which keeps working
/// until its `grace_ends_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Rotation {
    pub token: ApiToken,
    #[cfg_attr(feature = "tsify", tsify(type = "Secret"))]
    pub secret: Secret,
    pub replaces: ApiToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum ServiceAccountLevel {
    Project,
    Organization,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ServiceAccount {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub organization: String,
    #[serde(default)]
    pub project: Option<String>,
    pub level: ServiceAccountLevel,
    pub role: ProjectRole,
    #[serde(default)]
    pub tag_selector: BTreeMap<String, String>,
    pub status: clouddigit_core::model::ServiceAccountStatus,
    /// Where the account's client-credentials bearers may be used from; empty: anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// The current client secret's metadata (never the secret).
    #[serde(default)]
    pub client_secret: Option<ClientSecretInfo>,
    pub client_id: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CreatedServiceAccount {
    pub service_account: ServiceAccount,
    pub client_id: String,
    #[cfg_attr(feature = "tsify", tsify(type = "Secret"))]
    pub client_secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ClientCredentials {
    pub client_id: String,
    #[cfg_attr(feature = "tsify", tsify(type = "Secret"))]
    pub client_secret: Secret,
    /// The new secret's metadata (as the account's `client_secret` shows it from now on).
    #[serde(default)]
    pub secret: Option<ClientSecretInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AccessKey {
    pub id: String,
    pub service_account: String,
    pub created_at: Timestamp,
    /// No later than the credential that made it.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub created_by: Option<clouddigit_core::model::Creator>,
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// A client secret's metadata: a credential with a maker and an expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ClientSecretInfo {
    pub id: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub created_by: Option<clouddigit_core::model::Creator>,
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// An S3 access key id and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CreatedAccessKey {
    pub id: String,
    pub service_account: String,
    pub created_at: Timestamp,
    #[cfg_attr(feature = "tsify", tsify(type = "Secret"))]
    pub secret: Secret,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub created_by: Option<clouddigit_core::model::Creator>,
    #[serde(default)]
    pub parent_id: Option<String>,
}

pub use clouddigit_core::model::AuditEvent;

/// Who is calling and with what: the token's metadata and its owner as they are now,
/// which is all the evaluator needs to answer `can(action, project)` locally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Whoami {
    pub token: ApiToken,
    pub owner: OwnerState,
    /// Every project of the organization (for the all-projects preview).
    #[serde(default)]
    pub organization_projects: Vec<String>,
    #[serde(default)]
    pub policy: Option<TokenPolicy>,
    /// The caller's address as the API sees it (what an allow-list is checked against).
    #[serde(default)]
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct RevokedCount {
    /// The member's own tokens.
    pub revoked: u32,
    /// Credentials made through them, however deep.
    #[serde(default)]
    pub revoked_descendants: u32,
}

/// One page of a list, whatever the list is called on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The client-credentials grant's answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccessToken {
    pub access_token: Secret,
    pub expires_in: u64,
    #[serde(default)]
    pub token_type: String,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_show_only_their_prefix() {
        let s = Secret::new(format!("cd_AbC123{}", "x".repeat(36)));
        assert_eq!(format!("{s}"), "cd_AbC123…[redacted]");
        assert_eq!(format!("{s:?}"), "Secret(cd_AbC123…[redacted])");
        let k = Secret::new("wJalrXUtnFEMIK7MDENG".into());
        assert_eq!(k.to_string(), "wJal…[redacted]");
        assert_eq!(Secret::new("abc".into()).to_string(), "…[redacted]");
        assert_eq!(secret_prefix("ééééé"), "éééé");
    }
}
