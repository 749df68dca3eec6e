//! Service accounts (project- and organization-level) and their credentials: the client
//! secret for the client-credentials grant and S3-style access keys. Creating and
//! updating an account is the core's `validate_service_account`; every credential an
//! account gets is held to its maker by the delegation rule; disabling, deleting and
//! replacing a secret cascade down the credential tree.

use std::collections::BTreeMap;

use clouddigit_core::delegation::{account_credential, Minted};
use clouddigit_core::model::{Revocation, RevocationReason, ServiceAccountStatus};
use clouddigit_core::validate::{ServiceAccountDraft, TagSelectorInput, TextOrList};
use clouddigit_core::{
    Catalog, OwnerState, ProjectRole, ServiceAccountRequest, ServiceAccountState, Timestamp,
};
use rusqlite::Connection;
use serde_json::Value;

use super::lineage::{account_projects, ensure_may_make};
use super::Actor;
use crate::bodies::{self, AccountFields, Field, ServiceAccountUpdate};
use crate::db::{self, AccessKeyRow, ClientSecret, SaRow};
use crate::error::{ApiError, FieldError};
use crate::secrets::{new_access_key, new_client_secret, new_id, sha256_hex};

/// The fields an update may change.
pub const UPDATABLE: [&str; 4] = ["description", "role", "tag_selector", "allowed_ips"];

/// The account `id` of `organization`, unless it was deleted.
pub fn live(conn: &Connection, organization: &str, id: &str) -> Result<SaRow, ApiError> {
    db::service_account(conn, id)?
        .filter(|s| {
            s.state.status != ServiceAccountStatus::Deleted && s.state.organization == organization
        })
        .ok_or_else(|| ApiError::not_found("service account"))
}

/// The core's `validate_service_account` on the account as it would be stored: the very
/// rules the console's form shows (name, description, role, tag selector, project,
/// creator, the per-project limit), after `errors`, the shape errors already found, as
/// 422 field errors all at once. `only` (an update) keeps the core's findings on the
/// fields the request may change: an update neither re-applies the creation rules (who
/// creates, how many exist) nor judges a name it cannot change. Returns the role and
/// the parsed selector to store.
fn check_with_core(
    caller: &Actor<'_>,
    draft: ServiceAccountDraft,
    existing: Vec<ServiceAccountState>,
    org_projects: Vec<String>,
    mut errors: Vec<FieldError>,
    only: Option<&[&str]>,
) -> Result<Checked, ApiError> {
    let role = draft.role.clone();
    let request = ServiceAccountRequest {
        draft,
        creator: caller.owner.clone(),
        existing,
        policy: caller.policy.cloned(),
        organization_projects: org_projects,
        // A create issues the client secret, which may not exceed the caller; an update
        // is held to the caller by `ensure_holds_role`.
        caller: only.is_none().then(|| caller.credential()),
        now: Some(caller.time),
    };
    let v = clouddigit_core::validate_service_account(&request, Catalog::builtin());
    // Every problem at once: the shape errors, then the core's for the other fields.
    let counts = |field: &str| {
        only.is_none_or(|fields| {
            fields.iter().any(|f| {
                field
                    .strip_prefix(f)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']))
            })
        })
    };
    for i in v.errors.into_iter().filter(|i| counts(&i.field)) {
        if !errors.iter().any(|e| e.field == i.field) {
            errors.push(FieldError::new(i.field, i.code.as_str(), i.message));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let role = serde_json::from_value(Value::String(role))
        .map_err(|_| ApiError::internal("a role the core accepted did not parse"))?;
    Ok(Checked {
        role,
        tag_selector: v.preview.tag_selector,
        allowed_ips: v.preview.allowed_ips,
    })
}

/// What the core accepted, to store.
struct Checked {
    role: ProjectRole,
    tag_selector: BTreeMap<String, String>,
    allowed_ips: Vec<String>,
}

/// An account's role is given to every credential of it: changing it (or re-enabling the
/// account) is granting, and the caller may grant only what it holds in the account's
/// projects (Kubernetes RBAC's escalate/bind rule, the core's delegation rule).
fn ensure_holds_role(
    caller: &Actor<'_>,
    sa: &SaRow,
    org_projects: &[String],
    now: Timestamp,
) -> Result<(), ApiError> {
    ensure_may_make_for(caller, sa, Minted::AccountRole, None, org_projects, now)
}

/// The core's delegation rule for a credential of `sa` (its projects, its role, its
/// allow-list) expiring at `expires_at`.
fn ensure_may_make_for(
    caller: &Actor<'_>,
    sa: &SaRow,
    minted: Minted,
    expires_at: Option<Timestamp>,
    org_projects: &[String],
    now: Timestamp,
) -> Result<(), ApiError> {
    let child = account_credential(
        &sa.state,
        account_projects(sa, org_projects),
        expires_at,
        now,
    );
    ensure_may_make(
        caller,
        &child,
        &OwnerState::ServiceAccount(sa.state.clone()),
        minted,
        org_projects,
        now,
        "expires_at",
    )
}

/// A new client secret for `sa`, made by the caller: it expires with the caller and its
/// bearers carry the account's allow-list, so the caller may make it only if that is
/// within its own limits.
fn new_secret_for(
    caller: &Actor<'_>,
    sa: &SaRow,
    org_projects: &[String],
    now: Timestamp,
) -> Result<(ClientSecret, String), ApiError> {
    let expires_at = caller.token.expires_at;
    ensure_may_make_for(
        caller,
        sa,
        Minted::ClientSecret,
        expires_at,
        org_projects,
        now,
    )?;
    let secret = new_client_secret()?;
    let origin = caller.origin();
    Ok((
        ClientSecret {
            id: new_id("cs"),
            hash: sha256_hex(&secret),
            created_by: origin.created_by,
            parent_id: origin.parent_id,
            expires_at,
            created_at: now,
        },
        secret,
    ))
}

/// What a create body asks for, its shapes checked (the rules are the core's, asked
/// with the database held, by [`create`]).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub description: String,
    pub role: String,
    pub tag_selector: BTreeMap<String, String>,
    pub allowed_ips: TextOrList,
    /// The shape errors found reading the body, reported with the core's.
    pub errors: Vec<FieldError>,
}

impl NewAccount {
    pub fn from_body(body: &AccountFields) -> NewAccount {
        let mut errors = Vec::new();
        let name = bodies::string("name", &body.name, &mut errors).unwrap_or_default();
        let description =
            bodies::string("description", &body.description, &mut errors).unwrap_or_default();
        let role = bodies::role(&body.role, &mut errors).unwrap_or_default();
        let tag_selector =
            bodies::string_map("tag_selector", &body.tag_selector, &mut errors).unwrap_or_default();
        let allowed_ips = bodies::allowed_ips(&body.allowed_ips, &mut errors).unwrap_or_default();
        NewAccount {
            name,
            description,
            role,
            tag_selector,
            allowed_ips,
            errors,
        }
    }
}

/// Creates an account of `organization` in `project` (`None`: organization level), with
/// its first client secret. Asked with the database held: two creates racing for one
/// name or for the last place under the limit cannot both pass. Returns the account and
/// the secret, shown once.
pub fn create(
    conn: &Connection,
    caller: &Actor<'_>,
    organization: &str,
    project: Option<&str>,
    new: &NewAccount,
    now: Timestamp,
) -> Result<(SaRow, String), ApiError> {
    let existing = db::service_accounts(conn, project)?;
    let draft = ServiceAccountDraft {
        name: new.name.clone(),
        description: new.description.clone(),
        organization: Some(organization.to_owned()),
        project: project.map(str::to_owned),
        role: new.role.clone(),
        tag_selector: TagSelectorInput::Map(new.tag_selector.clone()),
        allowed_ips: new.allowed_ips.clone(),
    };
    let org_projects = db::projects(conn)?;
    let checked = check_with_core(
        caller,
        draft,
        existing.into_iter().map(|s| s.state).collect(),
        org_projects.clone(),
        new.errors.clone(),
        None,
    )?;
    let mut row = SaRow {
        state: ServiceAccountState {
            id: new_id("sa"),
            name: new.name.clone(),
            description: new.description.clone(),
            organization: organization.to_owned(),
            project: project.map(str::to_owned),
            role: checked.role,
            tag_selector: checked.tag_selector,
            status: ServiceAccountStatus::Active,
            allowed_ips: checked.allowed_ips,
        },
        secret: None,
        created_at: now,
        updated_at: now,
    };
    let (meta, secret) = new_secret_for(caller, &row, &org_projects, now)?;
    caller.note(format!(
        "created {} with client secret {}",
        row.state.id, meta.id
    ));
    row.secret = Some(meta);
    db::upsert_service_account(conn, &row)?;
    Ok((row, secret))
}

/// Changes what an update may change (description, role, tag selector, allow-list) from
/// `body`: every field not given, or not of the right type (then an error), keeps its
/// value; `null` clears it. The account as it would be is checked by the same rules as a
/// new one, beside the others of its place, and a change of what its credentials are
/// granted is held to the caller.
pub fn update(
    conn: &Connection,
    caller: &Actor<'_>,
    mut sa: SaRow,
    body: &ServiceAccountUpdate,
    now: Timestamp,
) -> Result<SaRow, ApiError> {
    let mut errors: Vec<FieldError> = body
        .other
        .keys()
        .map(|k| {
            FieldError::new(
                k.clone(),
                "not_updatable",
                "only description, role, tag_selector and allowed_ips can change",
            )
        })
        .collect();
    let description = match &body.description {
        Field::Null => Some(String::new()),
        given => bodies::string("description", given, &mut errors),
    }
    .unwrap_or_else(|| sa.state.description.clone());
    let role = match &body.role {
        Field::Absent => None,
        given => bodies::role(given, &mut errors),
    }
    .unwrap_or_else(|| sa.state.role_str().to_owned());
    let tags = match &body.tag_selector {
        Field::Null => Some(Default::default()),
        given => bodies::string_map("tag_selector", given, &mut errors),
    }
    .unwrap_or_else(|| sa.state.tag_selector.clone());
    let allowed_ips = match &body.allowed_ips {
        Field::Null => Some(TextOrList::List(Vec::new())),
        given => bodies::allowed_ips(given, &mut errors),
    }
    .unwrap_or_else(|| TextOrList::List(sa.state.allowed_ips.clone()));
    let others = db::service_accounts(conn, sa.state.project.as_deref())?
        .into_iter()
        .filter(|s| s.state.id != sa.state.id)
        .map(|s| s.state)
        .collect();
    let draft = ServiceAccountDraft {
        name: sa.state.name.clone(),
        description: description.clone(),
        organization: Some(sa.state.organization.clone()),
        project: sa.state.project.clone(),
        role,
        tag_selector: TagSelectorInput::Map(tags),
        allowed_ips,
    };
    let org_projects = db::projects(conn)?;
    let checked = check_with_core(
        caller,
        draft,
        others,
        org_projects.clone(),
        errors,
        Some(&UPDATABLE),
    )?;
    let grants_change =
        checked.role != sa.state.role || checked.tag_selector != sa.state.tag_selector;
    sa.state.description = description;
    sa.state.role = checked.role;
    sa.state.tag_selector = checked.tag_selector;
    sa.state.allowed_ips = checked.allowed_ips;
    sa.updated_at = now;
    if grants_change {
        ensure_holds_role(caller, &sa, &org_projects, caller.time)?;
    }
    db::upsert_service_account(conn, &sa)?;
    Ok(sa)
}

/// Disables or enables an account. Re-enabling gives the account's role back to its
/// credentials, a grant held to the caller; disabling pauses the account's own
/// credentials (they work again once it is enabled) and ends everything they made.
pub fn set_status(
    conn: &Connection,
    caller: &Actor<'_>,
    mut sa: SaRow,
    status: ServiceAccountStatus,
    now: Timestamp,
) -> Result<SaRow, ApiError> {
    let tx = conn.unchecked_transaction()?;
    match status {
        ServiceAccountStatus::Active if sa.state.status != ServiceAccountStatus::Active => {
            sa.state.status = status;
            ensure_holds_role(caller, &sa, &db::projects(&tx)?, now)?;
        }
        ServiceAccountStatus::Disabled => {
            let roots = db::account_credential_ids(&tx, &sa)?;
            let done = db::revoke_made_through(
                &tx,
                &roots,
                &Revocation::new(RevocationReason::AccountDisabled, now),
            )?;
            caller.note(format!(
                "disabled {}; revoked {} credentials made through its credentials",
                sa.state.id,
                done.total()
            ));
            sa = db::service_account(&tx, &sa.state.id)?.unwrap_or(sa);
        }
        _ => {}
    }
    sa.state.status = status;
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    tx.commit()?;
    Ok(sa)
}

/// Deletes the account: it, its credentials and everything they made end now.
pub fn delete(
    conn: &Connection,
    caller: &Actor<'_>,
    mut sa: SaRow,
    now: Timestamp,
) -> Result<(), ApiError> {
    let tx = conn.unchecked_transaction()?;
    let roots = db::account_credential_ids(&tx, &sa)?;
    let done = db::revoke_tree(
        &tx,
        &roots,
        &Revocation::new(RevocationReason::AccountDeleted, now),
    )?;
    sa.state.status = ServiceAccountStatus::Deleted;
    sa.secret = None;
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    tx.commit()?;
    caller.note(format!(
        "deleted {}; revoked {} credentials of it or made through them",
        sa.state.id,
        done.total()
    ));
    Ok(())
}

/// A new client secret: the old one, its bearers and everything they made stop working
/// now (the documented answer to a leaked secret). Returns the account and the secret,
/// shown once.
pub fn reset_secret(
    conn: &Connection,
    caller: &Actor<'_>,
    mut sa: SaRow,
    now: Timestamp,
) -> Result<(SaRow, String), ApiError> {
    let (meta, secret) = new_secret_for(caller, &sa, &db::projects(conn)?, now)?;
    let tx = conn.unchecked_transaction()?;
    if let Some(old) = &sa.secret {
        let done = db::revoke_tree(
            &tx,
            std::slice::from_ref(&old.id),
            &Revocation::new(RevocationReason::SecretReset, now),
        )?;
        caller.note(format!(
            "replaced client secret {}; revoked {} credentials made through it",
            old.id,
            done.total().saturating_sub(1)
        ));
    }
    let secret_id = meta.id.clone();
    sa.secret = Some(meta);
    sa.updated_at = now;
    db::upsert_service_account(&tx, &sa)?;
    tx.commit()?;
    caller.note(format!("issued client secret {secret_id}"));
    Ok((sa, secret))
}

/// A new S3 access key for `sa`. It acts with the account's role and allow-list and
/// expires with the caller: the caller may make it only within its own limits. Returns
/// the key and its secret, shown once.
pub fn create_access_key(
    conn: &Connection,
    caller: &Actor<'_>,
    sa: &SaRow,
    now: Timestamp,
    sealer: &crate::secrets::Sealer,
) -> Result<(AccessKeyRow, String), ApiError> {
    let expires_at = caller.token.expires_at;
    let org_projects = db::projects(conn)?;
    ensure_may_make_for(
        caller,
        sa,
        Minted::AccessKey,
        expires_at,
        &org_projects,
        now,
    )?;
    let (key_id, secret) = new_access_key()?;
    let origin = caller.origin();
    let key = AccessKeyRow {
        id: key_id,
        sa_id: sa.state.id.clone(),
        created_at: now,
        created_by: origin.created_by,
        parent_id: origin.parent_id,
        expires_at,
        revoked_at: None,
    };
    db::insert_access_key(conn, &key, &sha256_hex(&secret), &sealer.seal(&secret)?)?;
    caller.note(format!("created access key {}", key.id));
    Ok((key, secret))
}

/// The account's live keys (revoked ones stay in the database, for the audit trail).
pub fn access_keys(conn: &Connection, sa: &SaRow) -> Result<Vec<AccessKeyRow>, ApiError> {
    Ok(db::access_keys(conn, &sa.state.id)?
        .into_iter()
        .filter(|k| k.revoked_at.is_none())
        .collect())
}

/// Deletes (revokes) a live key of `sa`, and everything made through it.
pub fn delete_access_key(
    conn: &Connection,
    caller: &Actor<'_>,
    sa: &SaRow,
    key_id: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    match db::access_key(conn, key_id)? {
        Some(k) if k.sa_id == sa.state.id && k.revoked_at.is_none() => {
            let tx = conn.unchecked_transaction()?;
            db::revoke_tree(
                &tx,
                &[key_id.to_owned()],
                &Revocation::new(RevocationReason::AccessKeyDeleted, now),
            )?;
            tx.commit()?;
            caller.note(format!("revoked access key {key_id}"));
            Ok(())
        }
        _ => Err(ApiError::not_found("access key")),
    }
}
