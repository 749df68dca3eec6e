//! Workload identity: a service account's trusts in OIDC issuers, and the tokens the
//! exchange mints through them. A trust is a credential in the tree: the caller that
//! makes it must be able to make what it mints (the core's delegation rule), it lives as
//! long as that caller does, and removing it revokes what it minted.

use chrono::Duration;
use clouddigit_core::delegation::Minted;
use clouddigit_core::model::{
    Creator, Inherit, Revocation, RevocationReason, ServiceAccountStatus,
};
use clouddigit_core::oidc::{validate_trust, Trust, TrustSpec};
use clouddigit_core::{Catalog, OwnerRef, OwnerState, ProjectScope, Timestamp, TokenPermissions};
use rusqlite::Connection;

use super::grant::{oauth_error, Bearer};
use super::lineage::{account_projects, ancestors, ensure_may_make, trust_credential};
use super::tokens::{issue, TokenSpec};
use super::{Actor, Origin};
use crate::db::{self, SaRow, TrustRow};
use crate::error::{ApiError, FieldError};
use crate::secrets::new_id;

/// Validates `spec` for `sa` (the core's trust rules and the caller's limits) and stores
/// it, made by the caller.
pub fn create_trust(
    conn: &Connection,
    caller: &Actor<'_>,
    sa: &SaRow,
    spec: TrustSpec,
    now: Timestamp,
) -> Result<TrustRow, ApiError> {
    let org_projects = db::projects(conn)?;
    let reach = account_projects(sa, &org_projects);
    let v = validate_trust(&spec, &reach, Catalog::builtin());
    if !v.errors.is_empty() {
        return Err(ApiError::validation(
            v.errors
                .iter()
                .map(|e| FieldError::new(e.field.clone(), <&str>::from(e.code), e.message.clone()))
                .collect(),
        ));
    }
    let origin = caller.origin();
    let row = TrustRow {
        trust: Trust {
            id: new_id("trust"),
            spec,
        },
        sa_id: sa.state.id.clone(),
        created_at: now,
        created_by: origin.created_by,
        parent_id: origin.parent_id,
        revoked_at: None,
    };
    // What the trust mints acts as the account, narrowed by the trust, for as long as
    // the caller lives: the caller must be able to make that.
    let child = trust_credential(sa, &row, caller.token.expires_at, &org_projects);
    ensure_may_make(
        caller,
        &child,
        &OwnerState::ServiceAccount(sa.state.clone()),
        Minted::Token,
        &org_projects,
        now,
        "expires_at",
    )?;
    db::insert_trust(conn, &row)?;
    let warnings: Vec<&str> = v.warnings.iter().map(|w| <&str>::from(w.code)).collect();
    caller.note(if warnings.is_empty() {
        format!(
            "created trust {} in {}",
            row.trust.id, row.trust.spec.issuer
        )
    } else {
        format!(
            "created trust {} in {} (warnings: {})",
            row.trust.id,
            row.trust.spec.issuer,
            warnings.join(", ")
        )
    });
    Ok(row)
}

/// Removes a live trust of `sa` and revokes what it minted.
pub fn delete_trust(
    conn: &Connection,
    caller: &Actor<'_>,
    sa: &SaRow,
    trust_id: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    match db::trust(conn, trust_id)? {
        Some(t) if t.sa_id == sa.state.id && t.revoked_at.is_none() => {
            let tx = conn.unchecked_transaction()?;
            let revoked = db::revoke_tree(
                &tx,
                &[trust_id.to_owned()],
                &Revocation::new(RevocationReason::TrustRemoved, now),
            )?;
            tx.commit()?;
            caller.note(format!(
                "removed trust {trust_id} and revoked the {} token(s) it minted",
                revoked.tokens
            ));
            Ok(())
        }
        _ => Err(ApiError::not_found("trust")),
    }
}

/// The external identity a minted token carries into every audit record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Federated {
    pub trust: String,
    pub trust_name: String,
    pub iss: String,
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

impl Federated {
    pub fn describe(&self) -> String {
        let mut s = format!(
            "via trust {} ({}): sub {:?}",
            self.trust,
            self.trust_name,
            self.sub.as_deref().unwrap_or("")
        );
        if let Some(r) = &self.repository {
            s.push_str(&format!(", repository {r:?}"));
        }
        if let Some(r) = &self.run_id {
            s.push_str(&format!(", run_id {r:?}"));
        }
        s
    }
}

/// Mints the short-lived token for `trust` (already matched and its signature checked):
/// the account as it is now, narrowed by the trust, a child of the trust.
pub fn mint(
    conn: &Connection,
    organization: &str,
    sa: &SaRow,
    trust: &TrustRow,
    federated: &Federated,
    now: Timestamp,
) -> Result<Bearer, ApiError> {
    let invalid =
        |why: &str| oauth_error(axum::http::StatusCode::BAD_REQUEST, "invalid_grant", why);
    if sa.state.status != ServiceAccountStatus::Active {
        return Err(invalid("the service account is not active"));
    }
    let policy = db::token_policy(conn)?;
    for a in ancestors(conn, Some(&trust.trust.id))? {
        if !a.handle.is_live(&a.owner, now, policy.as_ref()) {
            return Err(invalid(
                "the trust was made through a credential that is no longer valid; make the trust again",
            ));
        }
    }
    let org_projects = db::projects(conn)?;
    let spec = &trust.trust.spec;
    let lifetime = i64::from(spec.lifetime_minutes) * 60;
    let expires_at = now.checked_add_signed(Duration::seconds(lifetime));
    let token_spec = TokenSpec {
        name: format!("oidc:{}", spec.name),
        projects: ProjectScope::Projects(
            spec.projects
                .clone()
                .unwrap_or_else(|| account_projects(sa, &org_projects)),
        ),
        permissions: match &spec.permissions {
            Some(p) => TokenPermissions::Downscoped(p.clone()),
            None => TokenPermissions::Inherit(Inherit::Inherit),
        },
        expires_at,
        allowed_ips: if spec.allowed_ips.is_empty() {
            sa.state.allowed_ips.clone()
        } else {
            spec.allowed_ips.clone()
        },
    };
    let origin = Origin {
        created_by: Some(Creator::trust(trust.trust.id.clone())),
        parent_id: Some(trust.trust.id.clone()),
    };
    let (row, secret) = issue(
        conn,
        OwnerRef::ServiceAccount {
            id: sa.state.id.clone(),
        },
        organization,
        &token_spec,
        "oauth",
        now,
        &origin,
    )?;
    let info = serde_json::to_string(federated).map_err(|e| ApiError::internal(e.to_string()))?;
    db::set_federated(conn, &row.token.id, &info)?;
    Ok(Bearer {
        row,
        secret,
        expires_in: lifetime,
    })
}
