//! Where a credential comes from, and what that allows: every credential records the one
//! that made it, the core's delegation rule decides what a caller may make, and a call is
//! decided along the whole line of credentials it descends from (see
//! `clouddigit_core::delegation`). The rules are the core's; this module reads the
//! database for them and turns their findings into API errors.

use clouddigit_core::delegation::{
    account_credential, check_delegation, DelegationRequest, Minted,
};
use clouddigit_core::handle::TokenHandle;
use clouddigit_core::{Catalog, OwnerState, Timestamp, Token};
use rusqlite::Connection;

use super::Actor;
use crate::db::{self, SaRow};
use crate::error::{ApiError, FieldError};

/// No line of credentials is longer than this; a longer one (which only a bug could
/// make) is refused rather than walked.
pub const MAX_DEPTH: usize = 64;

/// One credential a caller descends from, ready to decide calls.
#[derive(Debug, Clone)]
pub struct Ancestor {
    pub id: String,
    pub handle: TokenHandle,
    pub owner: OwnerState,
}

/// The projects an account's credentials reach: its own, or every project for an
/// organization-level account.
pub fn account_projects(sa: &SaRow, org_projects: &[String]) -> Vec<String> {
    match &sa.state.project {
        Some(p) => vec![p.clone()],
        None => org_projects.to_vec(),
    }
}

/// The account's client secret, read as a credential for the rules (its parent is
/// `sa.secret.parent_id`).
pub fn secret_credential(sa: &SaRow, org_projects: &[String]) -> Option<Token> {
    let secret = sa.secret.as_ref()?;
    let mut t = account_credential(
        &sa.state,
        account_projects(sa, org_projects),
        secret.expires_at,
        secret.created_at,
    );
    t.id = secret.id.clone();
    t.name = format!("{} client secret", sa.state.name);
    Some(t)
}

/// An S3 access key read as a credential for the rules: the account's projects, role
/// and allow-list as they are now, the key's own expiry and revocation.
pub fn key_credential(sa: &SaRow, key: &db::AccessKeyRow, org_projects: &[String]) -> Token {
    let mut cred = account_credential(
        &sa.state,
        account_projects(sa, org_projects),
        key.expires_at,
        key.created_at,
    );
    cred.id = key.id.clone();
    cred.name = format!("{} access key", sa.state.name);
    cred.revoked_at = key.revoked_at;
    cred
}

/// A trust read as a credential for the rules: the account as it is now, narrowed by
/// the trust's projects, downscope and allow-list; `expires_at` is what the caller gives
/// it (a trust itself does not expire; it lives as long as what made it).
pub fn trust_credential(
    sa: &SaRow,
    t: &db::TrustRow,
    expires_at: Option<Timestamp>,
    org_projects: &[String],
) -> Token {
    let spec = &t.trust.spec;
    let mut cred = account_credential(
        &sa.state,
        spec.projects
            .clone()
            .unwrap_or_else(|| account_projects(sa, org_projects)),
        expires_at,
        t.created_at,
    );
    cred.id = t.trust.id.clone();
    cred.name = format!("{} trust {}", sa.state.name, spec.name);
    if let Some(p) = &spec.permissions {
        cred.permissions = clouddigit_core::TokenPermissions::Downscoped(p.clone());
    }
    if !spec.allowed_ips.is_empty() {
        cred.allowed_ips = spec.allowed_ips.clone();
    }
    cred.revoked_at = t.revoked_at;
    cred
}

/// Lineages already read, by token id, with the epoch they were read at ([`db::epoch`]):
/// a call with a token some links below the root reads them once, not on every call.
#[derive(Debug, Default)]
pub struct LineageCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (i64, Lineage)>>,
}

/// A token's ancestors, and the same as the core takes them.
pub type Lineage = std::sync::Arc<(Vec<Ancestor>, Vec<(TokenHandle, OwnerState)>)>;

/// Entries kept at most; past it the cache starts over.
const CACHE_ENTRIES: usize = 256;

impl LineageCache {
    /// `token`'s lineage as of now: from the cache while nothing that decides along it
    /// changed, else read again.
    pub fn get(&self, conn: &Connection, row: &db::TokenRow) -> Result<Lineage, ApiError> {
        let Some(parent) = row.parent_id.as_deref() else {
            return Ok(std::sync::Arc::new((Vec::new(), Vec::new())));
        };
        let epoch = db::epoch(conn)?;
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((e, l)) = map.get(&row.token.id) {
            if *e == epoch {
                return Ok(l.clone());
            }
        }
        let ancestors = ancestors(conn, Some(parent))?;
        let pairs = ancestors
            .iter()
            .map(|a| (a.handle.clone(), a.owner.clone()))
            .collect();
        let lineage = std::sync::Arc::new((ancestors, pairs));
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert(row.token.id.clone(), (epoch, lineage.clone()));
        Ok(lineage)
    }
}

/// The line of credentials from `parent` up, nearest first. A link that no longer exists
/// (a replaced client secret, a deleted account) fails the call: what it made was
/// revoked with it, so something still holding it is refused here too.
pub fn ancestors(conn: &Connection, parent: Option<&str>) -> Result<Vec<Ancestor>, ApiError> {
    let gone = |id: &str| {
        ApiError::unauthorized(
            "creator_denied",
            format!("the credential this one was made through ({id}) no longer exists"),
        )
        .with("creator_reason", "revoked")
    };
    let mut out: Vec<Ancestor> = Vec::new();
    let mut next = parent.map(str::to_owned);
    let mut org_projects: Option<Vec<String>> = None;
    while let Some(id) = next.take() {
        if out.len() >= MAX_DEPTH || out.iter().any(|a| a.id == id) {
            return Err(ApiError::internal(format!(
                "a credential lineage through {id} is deeper than {MAX_DEPTH} or loops"
            )));
        }
        let (credential, owner, parent) = if let Some(row) = db::token_by_id(conn, &id)? {
            let owner = db::owner_state(conn, &row.token.owner)?.ok_or_else(|| gone(&id))?;
            (row.token, owner, row.parent_id)
        } else if let Some(sa) = db::service_account_by_secret(conn, &id)? {
            let projects = match &org_projects {
                Some(p) => p.clone(),
                None => org_projects.insert(db::projects(conn)?).clone(),
            };
            let cred = secret_credential(&sa, &projects).ok_or_else(|| gone(&id))?;
            let parent = sa.secret.as_ref().and_then(|s| s.parent_id.clone());
            (cred, OwnerState::ServiceAccount(sa.state), parent)
        } else if let Some(t) = db::trust(conn, &id)? {
            let sa = db::service_account(conn, &t.sa_id)?.ok_or_else(|| gone(&id))?;
            let projects = match &org_projects {
                Some(p) => p.clone(),
                None => org_projects.insert(db::projects(conn)?).clone(),
            };
            let cred = trust_credential(&sa, &t, None, &projects);
            (cred, OwnerState::ServiceAccount(sa.state), t.parent_id)
        } else if let Some(key) = db::access_key(conn, &id)? {
            let sa = db::service_account(conn, &key.sa_id)?.ok_or_else(|| gone(&id))?;
            let projects = match &org_projects {
                Some(p) => p.clone(),
                None => org_projects.insert(db::projects(conn)?).clone(),
            };
            let cred = key_credential(&sa, &key, &projects);
            (cred, OwnerState::ServiceAccount(sa.state), key.parent_id)
        } else {
            return Err(gone(&id));
        };
        next = parent;
        out.push(Ancestor {
            id,
            handle: TokenHandle::new(credential)?,
            owner,
        });
    }
    Ok(out)
}

/// 422 with every way `child` would exceed the caller (the core's delegation rule), or
/// nothing. `expiry_field` is the request's name for the lifetime (`expires_at`,
/// `expires_in_days`), which the core calls `expiry`.
pub fn ensure_may_make(
    caller: &Actor<'_>,
    child: &Token,
    child_owner: &OwnerState,
    minted: Minted,
    org_projects: &[String],
    now: Timestamp,
    expiry_field: &str,
) -> Result<(), ApiError> {
    let found = check_delegation(
        Catalog::builtin(),
        &DelegationRequest {
            caller: caller.credential(),
            child: child.clone(),
            child_owner: child_owner.clone(),
            minted,
            now,
            organization_projects: org_projects.to_vec(),
        },
    );
    if found.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(
        found
            .into_iter()
            .map(|i| {
                let field = if i.field == "expiry" {
                    expiry_field.to_owned()
                } else {
                    i.field
                };
                FieldError::new(field, i.code.as_str(), i.message)
            })
            .collect(),
    ))
}
