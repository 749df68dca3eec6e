//! The OAuth 2.0 client-credentials grant's issuance: a service account's client id and
//! secret for a bearer that lives 300 seconds (no longer than the secret) and is accepted
//! like that account's API tokens, a child of the client secret in the credential tree.

use std::net::IpAddr;

use axum::http::StatusCode;
use chrono::Duration;
use clouddigit_core::model::{Creator, Inherit, ServiceAccountStatus};
use clouddigit_core::{
    AllowList, OwnerRef, ProjectScope, Timestamp, TokenPermissions, TokenSecret,
};
use rusqlite::Connection;

use super::lineage::{account_projects, ancestors};
use super::tokens::{issue, TokenSpec};
use super::Origin;
use crate::db::{self, TokenRow};
use crate::error::ApiError;
use crate::request::AuditSlot;
use crate::secrets::sha256_hex;

pub const LIFETIME_SECONDS: i64 = 300;

/// An error in the OAuth shape (`error`, `error_description`) as well as the API's.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> ApiError {
    ApiError::new(status, error, description)
        .with("error", error)
        .with("error_description", description)
}

/// Constant-time comparison of two hex digests.
fn digests_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A bearer the grant issued: its row, its secret and its lifetime in seconds.
#[derive(Debug)]
pub struct Bearer {
    pub row: TokenRow,
    pub secret: TokenSecret,
    pub expires_in: i64,
}

/// Issues a bearer for the account `client_id` if `client_secret` is its current secret,
/// the account is active, the secret has not expired, the request comes from the
/// account's allow-list (which the policy may require) and every credential the secret
/// descends from is still valid. The account and the bearer are written to the call's
/// audit record as they are known.
pub fn client_credentials(
    conn: &Connection,
    organization: &str,
    audit: &AuditSlot,
    client_ip: Option<IpAddr>,
    client_id: &str,
    client_secret: &str,
    now: Timestamp,
) -> Result<Bearer, ApiError> {
    let invalid = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        )
    };
    let sa = db::service_account(conn, client_id)?.ok_or_else(invalid)?;
    audit.update(|a| a.actor = Some(sa.state.name.clone()));
    let stored = sa.secret.as_ref().ok_or_else(invalid)?;
    if !digests_equal(&stored.hash, &sha256_hex(client_secret)) {
        return Err(invalid());
    }
    let refused = |why: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
    if sa.state.status != ServiceAccountStatus::Active {
        return Err(refused("the service account is not active"));
    }
    if stored.expires_at.is_some_and(|e| e <= now) {
        return Err(refused(
            "the client secret has expired (it lives no longer than the token that made it); reset it",
        ));
    }
    // The account's allow-list travels in every bearer; the organization's policy may
    // require one that restricts (a /0 does not), and a grant from outside it is refused.
    let policy = db::token_policy(conn)?;
    let list = AllowList::from_entries(sa.state.allowed_ips.iter().map(String::as_str))
        .map_err(|_| ApiError::internal("a stored allow-list does not parse"))?;
    let restricts = !list.is_empty() && !list.allows_a_whole_family();
    if policy
        .as_ref()
        .is_some_and(|p| p.require_allowed_ips_for_service_accounts)
        && !restricts
    {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the organization's policy requires service accounts to have an IP allow-list; give this account one",
        ));
    }
    if !list.is_empty() && !client_ip.is_some_and(|ip| list.contains(ip)) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "this account's bearers may be used only from its IP allow-list, and this request is not from it",
        ));
    }
    let org_projects = db::projects(conn)?;
    let lifetime = Duration::seconds(LIFETIME_SECONDS);
    let expires_at = now
        .checked_add_signed(lifetime)
        .map(|t| stored.expires_at.map_or(t, |e| e.min(t)));
    let spec = TokenSpec {
        name: "client-credentials".into(),
        projects: ProjectScope::Projects(account_projects(&sa, &org_projects)),
        permissions: TokenPermissions::Inherit(Inherit::Inherit),
        expires_at,
        allowed_ips: sa.state.allowed_ips.clone(),
    };
    let origin = Origin {
        created_by: Some(Creator::client_secret(stored.id.clone())),
        parent_id: Some(stored.id.clone()),
    };
    // A secret whose maker is gone (revoked, expired, its owner suspended) makes
    // bearers that every call would refuse: say so now instead.
    for a in ancestors(conn, Some(&stored.id))? {
        if !a.handle.is_live(&a.owner, now, policy.as_ref()) {
            return Err(refused(&format!(
                "the client secret was made through {}, which is no longer valid; reset the secret",
                a.id
            )));
        }
    }
    let (row, secret) = issue(
        conn,
        OwnerRef::ServiceAccount {
            id: sa.state.id.clone(),
        },
        organization,
        &spec,
        "oauth",
        now,
        &origin,
    )?;
    audit.update(|a| {
        a.token_name = Some(row.token.name.clone());
        a.token_prefix = Some(row.token.prefix.clone());
        a.token_id = Some(row.token.id.clone());
        a.detail = Some(format!(
            "issued bearer {} from client secret {}",
            row.token.id, stored.id
        ));
    });
    let expires_in = expires_at.map_or(LIFETIME_SECONDS, |e| (e - now).num_seconds().max(0));
    Ok(Bearer {
        row,
        secret,
        expires_in,
    })
}
