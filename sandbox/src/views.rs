//! What the API answers: its models (`clouddigit_session::models`, the types every SDK
//! reads responses into) built from the database's rows, and the few answers the
//! models have no type for (the lists' envelopes, the sandbox's own endpoints). The
//! handlers serialize these, and the OpenAPI document describes them, from the same
//! types.

use clouddigit_core::evaluator::{token_status, CheckResult};
use clouddigit_core::{Reason, Timestamp, TokenPolicy, TokenSecret, UserState};
use clouddigit_session::models::{
    AccessKey, ApiToken, AuditEvent, ClientSecretInfo, CreatedAccessKey, Secret, ServiceAccount,
    ServiceAccountLevel, TokenKind,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::db::{self, AccessKeyRow, Bucket, SaRow, Server, TokenRow};
use crate::error::ApiError;

/// A token as the API lists it: the core metadata, its status under the policy as it
/// stands, and its place in the credential tree; never the secret.
pub fn api_token(
    row: &TokenRow,
    now: Timestamp,
    policy: Option<&TokenPolicy>,
) -> Result<ApiToken, ApiError> {
    Ok(ApiToken {
        token: row.token.clone(),
        status: token_status(&row.token, now, policy),
        kind: token_kind(&row.kind)?,
        last_used_at: row.last_used_at,
        replaced_by: row.replaced_by.clone(),
        created_by: row.created_by.clone(),
        parent_id: row.parent_id.clone(),
        revocation: row.revocation.clone(),
    })
}

fn token_kind(kind: &str) -> Result<TokenKind, ApiError> {
    match kind {
        "api" => Ok(TokenKind::Api),
        "oauth" => Ok(TokenKind::Oauth),
        other => Err(ApiError::internal(format!(
            "a stored token has the unknown kind {other:?}"
        ))),
    }
}

/// Every token of `rows` as the API lists it.
pub fn api_tokens(
    rows: &[TokenRow],
    now: Timestamp,
    policy: Option<&TokenPolicy>,
) -> Result<Vec<ApiToken>, ApiError> {
    rows.iter().map(|r| api_token(r, now, policy)).collect()
}

/// A secret shown once, in the answer that made it.
pub fn shown_once(secret: &TokenSecret) -> Secret {
    Secret::new(secret.expose_secret().to_owned())
}

pub fn service_account(sa: &SaRow) -> ServiceAccount {
    let s = &sa.state;
    ServiceAccount {
        id: s.id.clone(),
        name: s.name.clone(),
        description: s.description.clone(),
        organization: s.organization.clone(),
        project: s.project.clone(),
        level: if s.project.is_some() {
            ServiceAccountLevel::Project
        } else {
            ServiceAccountLevel::Organization
        },
        role: s.role,
        tag_selector: s.tag_selector.clone(),
        status: s.status,
        allowed_ips: s.allowed_ips.clone(),
        client_secret: client_secret(sa),
        client_id: s.id.clone(),
        created_at: sa.created_at,
        updated_at: Some(sa.updated_at),
    }
}

/// The account's current client secret's metadata (never the secret).
pub fn client_secret(sa: &SaRow) -> Option<ClientSecretInfo> {
    sa.secret.as_ref().map(|c| ClientSecretInfo {
        id: c.id.clone(),
        created_at: c.created_at,
        expires_at: c.expires_at,
        created_by: c.created_by.clone(),
        parent_id: c.parent_id.clone(),
    })
}

pub fn access_key(k: &AccessKeyRow) -> AccessKey {
    AccessKey {
        id: k.id.clone(),
        service_account: k.sa_id.clone(),
        created_at: k.created_at,
        expires_at: k.expires_at,
        created_by: k.created_by.clone(),
        parent_id: k.parent_id.clone(),
    }
}

pub fn created_access_key(k: &AccessKeyRow, secret: String) -> CreatedAccessKey {
    CreatedAccessKey {
        id: k.id.clone(),
        service_account: k.sa_id.clone(),
        created_at: k.created_at,
        secret: Secret::new(secret),
        expires_at: k.expires_at,
        created_by: k.created_by.clone(),
        parent_id: k.parent_id.clone(),
    }
}

/// An audit event as the API shows it.
pub fn audit_event(e: &db::AuditEvent) -> Result<AuditEvent, ApiError> {
    Ok(AuditEvent {
        id: e.id.clone(),
        time: e.time.parse::<Timestamp>().map_err(|err| {
            ApiError::internal(format!("an audit event's time does not read: {err}"))
        })?,
        actor: e.actor.clone(),
        token_name: e.token_name.clone(),
        token_prefix: e.token_prefix.clone(),
        method: e.method.clone(),
        path: e.path.clone(),
        query: e.query.clone(),
        project: e.project.clone(),
        status: e.status,
        error_code: e.error_code.clone(),
        source_ip: e.source_ip.clone(),
        request_id: e.request_id.clone(),
        token_id: e.token_id.clone(),
        detail: e.detail.clone(),
        hashed_token: e.hashed_token.clone(),
    })
}

// ---------------------------------------------------------------- envelopes

/// A page of API tokens.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TokenList {
    pub tokens: Vec<ApiToken>,
    /// Pass as ?cursor= for the next page (?limit= 1..500, default 100)
    pub next_cursor: Option<String>,
}

/// A page of service accounts.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServiceAccountList {
    pub service_accounts: Vec<ServiceAccount>,
    /// Pass as ?cursor= for the next page
    pub next_cursor: Option<String>,
}

/// A trust as the API shows it: what it says and where it sits in the credential tree.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TrustView {
    #[serde(flatten)]
    pub trust: clouddigit_core::oidc::Trust,
    pub service_account: String,
    pub created_at: Timestamp,
    pub created_by: Option<clouddigit_core::model::Creator>,
    /// The credential that made it: revoking that removes this trust and what it minted.
    pub parent_id: Option<String>,
}

pub fn trust(t: &db::TrustRow) -> TrustView {
    TrustView {
        trust: t.trust.clone(),
        service_account: t.sa_id.clone(),
        created_at: t.created_at,
        created_by: t.created_by.clone(),
        parent_id: t.parent_id.clone(),
    }
}

/// A service account's trusted OIDC issuers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TrustList {
    pub trusts: Vec<TrustView>,
}

/// RFC 8693's answer to the token exchange.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExchangedToken {
    pub access_token: clouddigit_session::models::Secret,
    /// `urn:ietf:params:oauth:token-type:access_token`.
    pub issued_token_type: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// A token the development issuer signed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DevToken {
    pub token: String,
}

/// A service account's live S3 access key ids.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AccessKeyList {
    pub access_keys: Vec<AccessKey>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServerList {
    pub servers: Vec<Server>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BucketList {
    pub buckets: Vec<Bucket>,
}

/// A page of audit events, newest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditEventList {
    pub events: Vec<AuditEvent>,
    /// Pass as ?cursor= for the next (older) page
    pub next_cursor: Option<String>,
}

/// `POST /v1/iam/authorize`: a decision for each call, in order.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuthorizeResult {
    pub decisions: Vec<CallDecision>,
}

/// One call's decision, worded for the caller.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CallDecision {
    pub allowed: bool,
    pub reason: Reason,
    pub permission: Option<String>,
    pub message: String,
    /// The id of the credential this token was made through that refused the call;
    /// null: the token itself (or allowed)
    pub denied_by: Option<String>,
    /// With explain: every check, its outcome and detail
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<CheckResult>>,
}

/// The sandbox's current time.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Clock {
    pub now: Timestamp,
}

/// The seeded users and their current state.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UserList {
    pub users: Vec<UserState>,
}

/// The public keys secret scanning reports may be signed with, as GitHub publishes its
/// own (`GET /v1/secret-scanning/keys`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PublicKeyList {
    pub public_keys: Vec<PublicKeyView>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PublicKeyView {
    /// Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo.
    pub key_identifier: String,
    /// PEM.
    pub key: String,
    /// Every trusted key verifies reports.
    pub is_current: bool,
}

/// A trusted secret scanning key, as its administrator sees it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TrustedKeyView {
    pub key_identifier: String,
    pub name: String,
    /// PEM.
    pub key: String,
    pub is_current: bool,
    pub created_at: Timestamp,
    pub created_by: Option<clouddigit_core::model::Creator>,
}

pub fn public_key(k: &db::ScanningKeyRow) -> PublicKeyView {
    PublicKeyView {
        key_identifier: k.key_identifier.clone(),
        key: k.pem.clone(),
        is_current: true,
    }
}

pub fn trusted_key(k: &db::ScanningKeyRow) -> TrustedKeyView {
    TrustedKeyView {
        key_identifier: k.key_identifier.clone(),
        name: k.name.clone(),
        key: k.pem.clone(),
        is_current: true,
        created_at: k.created_at,
        created_by: k.created_by.clone(),
    }
}
