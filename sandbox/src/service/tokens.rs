//! API tokens: their checked specification, issuance (for every route that makes one),
//! rotation and revocation with everything made through them.

use axum::http::StatusCode;
use chrono::Duration;
use clouddigit_core::delegation::{CallerCredential, Minted};
use clouddigit_core::evaluator::{rotation_grace_end, TokenStatus};
use clouddigit_core::model::{AllProjects, Inherit, Revocation, RevocationReason};
use clouddigit_core::{
    AllowList, OwnerRef, OwnerState, ProjectScope, Timestamp, Token, TokenPermissions, TokenPolicy,
    TokenSecret,
};
use clouddigit_session::models::{CreatedToken, Rotation};
use rusqlite::Connection;

use super::{lineage, Actor, Origin};
use crate::bodies::{self, Field, TokenCreate, TokenPermissionsInput, TokenProjects};
use crate::db::{self, TokenRow};
use crate::error::{ApiError, FieldError};
use crate::secrets::{new_id, new_token_secret, sha256_hex};
use crate::views;

/// What a create request asks for, checked.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub name: String,
    pub projects: ProjectScope,
    pub permissions: TokenPermissions,
    pub expires_at: Option<Timestamp>,
    pub allowed_ips: Vec<String>,
}

/// Checks a token create body for `owner`, collecting every bad field. With `caller`,
/// the token may not exceed the calling credential (the core's delegation rule,
/// reported with the other field errors).
pub fn parse_spec(
    body: &TokenCreate,
    owner: &OwnerState,
    org: &str,
    org_projects: &[String],
    policy: Option<&TokenPolicy>,
    now: Timestamp,
    caller: Option<&Actor<'_>>,
) -> Result<TokenSpec, ApiError> {
    let mut errors = Vec::new();

    // Only the JSON shapes are checked here: what a value may be (a name's length, a
    // project the owner has a role in, an expiry in the future...) is the core's to say,
    // in `validate_with_core`, with the codes the console's form shows.
    let name = bodies::string("name", &body.name, &mut errors).unwrap_or_default();

    let default_projects = match owner {
        OwnerState::ServiceAccount(s) => Some(match &s.project {
            Some(p) => vec![p.clone()],
            None => org_projects.to_vec(),
        }),
        OwnerState::User(_) => None,
    };
    let projects = match &body.projects {
        Field::Given(TokenProjects::All(_)) => Some(ProjectScope::All(AllProjects::All)),
        Field::Given(TokenProjects::List(list)) => {
            let mut out: Vec<String> = Vec::new();
            for p in bodies::strings("projects", list, "a project id", &mut errors) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
            Some(ProjectScope::Projects(out))
        }
        Field::Absent | Field::Null => default_projects.map(ProjectScope::Projects),
        Field::WrongType => {
            errors.push(FieldError::new(
                "projects",
                "invalid_type",
                "a list of project ids, or \"all\"",
            ));
            None
        }
    };

    let permissions = match &body.permissions {
        Field::Absent | Field::Null | Field::Given(TokenPermissionsInput::Inherit(_)) => {
            TokenPermissions::Inherit(Inherit::Inherit)
        }
        Field::Given(TokenPermissionsInput::List(list)) => TokenPermissions::Downscoped(
            bodies::strings("permissions", list, "a permission name", &mut errors),
        ),
        Field::WrongType => {
            errors.push(FieldError::new(
                "permissions",
                "invalid_type",
                "\"inherit\" or a list of permission names",
            ));
            TokenPermissions::Inherit(Inherit::Inherit)
        }
    };

    let expires_at = match (&body.expires_at, &body.expires_in_days) {
        (at, days) if !at.is_absent() && !days.is_absent() => {
            errors.push(FieldError::new(
                "expires_at",
                "conflict",
                "give expires_at or expires_in_days, not both",
            ));
            None
        }
        (Field::Null, _) => None,
        (Field::Given(s), _) => match s.parse::<Timestamp>() {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(FieldError::new(
                    "expires_at",
                    "invalid_time",
                    format!("not an RFC 3339 time: {e}"),
                ));
                None
            }
        },
        (Field::WrongType, _) => {
            errors.push(FieldError::new(
                "expires_at",
                "invalid_type",
                "an RFC 3339 time, or null for never",
            ));
            None
        }
        (Field::Absent, Field::Absent) => {
            errors.push(FieldError::new(
                "expires_at",
                "required",
                "choose a lifetime: expires_at (a time, or null for never) or expires_in_days",
            ));
            None
        }
        (Field::Absent, days) => {
            let at = match days {
                Field::Given(d) => Some(*d)
                    .filter(|d| *d >= 1)
                    .and_then(Duration::try_days)
                    .and_then(|d| now.checked_add_signed(d)),
                _ => None,
            };
            if at.is_none() {
                errors.push(FieldError::new(
                    "expires_in_days",
                    "invalid_days",
                    "a whole number of days, at least 1 (and within the calendar)",
                ));
            }
            at
        }
    };

    // The entries as the core splits them; how many there may be and what each may be
    // is the core's to say.
    let allowed_ips = bodies::allowed_ips(&body.allowed_ips, &mut errors)
        .map(|ips| ips.entries())
        .unwrap_or_default();

    let spec = TokenSpec {
        name,
        projects: projects.unwrap_or(ProjectScope::Projects(Vec::new())),
        permissions,
        expires_at,
        allowed_ips,
    };
    let probe = build_metadata(owner.owner_ref(), org, &spec, "tok_probe", "cd_probe", now);
    // The core's findings, less those the shape checks above already reported for
    // the same field.
    // The core names the form's field, `expiry`; the API's is the one the request used.
    let expiry_field = if !body.expires_in_days.is_absent() {
        "expires_in_days"
    } else {
        "expires_at"
    };
    // A lifetime that did not read is not judged again as "never" by the core.
    let expiry_unread = errors
        .iter()
        .any(|x| x.field == "expires_at" || x.field == "expires_in_days");
    let caller = caller.map(Actor::credential);
    for mut e in validate_with_core(&probe, owner, org_projects, policy, now, caller) {
        if e.field == "expiry" {
            if expiry_unread {
                continue;
            }
            e.field = expiry_field.to_owned();
        }
        if !errors.iter().any(|x| x.field == e.field) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut spec = spec;
    spec.allowed_ips = normalize_ips(&spec.allowed_ips);
    Ok(spec)
}

/// The one place token metadata is checked against the core's rules: the same
/// `validate_token` the console runs as the user types, so the server and the forms
/// cannot disagree. Its errors (every bad permission and allowed-IP entry, scope,
/// role, expiry and policy rules) come back as 422 field errors with the core's codes;
/// the shape checks in `parse_spec` only make sure there is something to validate.
pub fn validate_with_core(
    token: &Token,
    owner: &OwnerState,
    org_projects: &[String],
    policy: Option<&TokenPolicy>,
    now: Timestamp,
    caller: Option<CallerCredential>,
) -> Vec<FieldError> {
    use clouddigit_core::validate::{CustomExpiry, Expiry, ExpiryPreset, TextOrList, TokenDraft};
    let request = clouddigit_core::TokenRequest {
        draft: TokenDraft {
            name: token.name.clone(),
            organization: Some(token.organization.clone()),
            projects: Some(token.projects.clone()),
            permissions: token.permissions.clone(),
            expiry: match token.expires_at {
                None => Expiry::Preset(ExpiryPreset::Never),
                Some(t) => Expiry::Custom(CustomExpiry {
                    custom: t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                }),
            },
            allowed_ips: TextOrList::List(token.allowed_ips.clone()),
        },
        owner: owner.clone(),
        existing_tokens: Vec::new(),
        now,
        policy: policy.cloned(),
        organization_projects: org_projects.to_vec(),
        caller,
    };
    clouddigit_core::validate::validate_token(&request, clouddigit_core::Catalog::builtin())
        .errors
        .into_iter()
        .map(|i| FieldError::new(i.field, i.code.as_str(), i.message))
        .collect()
}

/// 422 `name_taken` when `owner` already holds an active API token called `name`: the
/// core's rule, asked where the token is created (the database held, after an
/// idempotent replay has been answered), so two requests racing with one name cannot
/// both pass and a replay is not refused.
pub fn ensure_name_free(
    conn: &Connection,
    owner: &OwnerState,
    name: &str,
    policy: Option<&TokenPolicy>,
    now: Timestamp,
) -> Result<(), ApiError> {
    let existing: Vec<Token> = db::tokens_of_owner(conn, &owner.owner_ref(), "api", Some(name))?
        .into_iter()
        .map(|row| row.token)
        .collect();
    match clouddigit_core::validate::name_taken(owner, &existing, name, now, policy) {
        Some(i) => Err(ApiError::validation(vec![FieldError::new(
            i.field,
            i.code.as_str(),
            i.message,
        )])),
        None => Ok(()),
    }
}

fn normalize_ips(entries: &[String]) -> Vec<String> {
    match AllowList::from_entries(entries.iter().map(String::as_str)) {
        Ok(list) => list.networks().iter().map(|n| n.to_string()).collect(),
        Err(_) => entries.to_vec(),
    }
}

fn build_metadata(
    owner: OwnerRef,
    org: &str,
    spec: &TokenSpec,
    id: &str,
    prefix: &str,
    now: Timestamp,
) -> Token {
    Token {
        id: id.to_owned(),
        name: spec.name.clone(),
        prefix: prefix.to_owned(),
        owner,
        organization: org.to_owned(),
        projects: spec.projects.clone(),
        permissions: spec.permissions.clone(),
        created_at: now,
        expires_at: spec.expires_at,
        allowed_ips: spec.allowed_ips.clone(),
        revoked_at: None,
        rotated_at: None,
        grace_ends_at: None,
        quarantine: None,
    }
}

/// An API token made for `owner` by any route that makes one (a caller for itself, for
/// a service account, the sandbox minting for a user): the core's name rule, then the
/// issuance, in the caller's transaction, and the answer that shows the secret once.
pub fn create_api_token(
    conn: &Connection,
    org: &str,
    owner: &OwnerState,
    spec: &TokenSpec,
    policy: Option<&TokenPolicy>,
    now: Timestamp,
    origin: &Origin,
) -> Result<(TokenRow, CreatedToken), ApiError> {
    ensure_name_free(conn, owner, &spec.name, policy, now)?;
    let (row, secret) = issue(conn, owner.owner_ref(), org, spec, "api", now, origin)?;
    let answer = CreatedToken {
        token: views::api_token(&row, now, policy)?,
        secret: views::shown_once(&secret),
    };
    Ok((row, answer))
}

/// Mints and stores a token; the secret is returned, only its hash is stored.
pub fn issue(
    conn: &Connection,
    owner: OwnerRef,
    org: &str,
    spec: &TokenSpec,
    kind: &str,
    now: Timestamp,
    origin: &Origin,
) -> Result<(TokenRow, TokenSecret), ApiError> {
    let secret = new_token_secret()?;
    let row = TokenRow {
        token: build_metadata(owner, org, spec, &new_id("tok"), &secret.prefix(), now),
        kind: kind.to_owned(),
        hash: sha256_hex(secret.expose_secret()),
        replaced_by: None,
        last_used_at: None,
        created_by: origin.created_by.clone(),
        parent_id: origin.parent_id.clone(),
        revocation: None,
    };
    db::insert_token(conn, &row)?;
    Ok((row, secret))
}

/// A token's status as the API lists it: the core's, under the policy as it stands.
pub fn status_of(t: &Token, now: Timestamp, policy: Option<&TokenPolicy>) -> TokenStatus {
    clouddigit_core::evaluator::token_status(t, now, policy)
}

/// Issues the replacement with the same scope; the old token keeps working for the
/// grace window. The caller may rotate only a token it could have made (the core's
/// delegation rule: rotating must not launder a narrow token into a broad one). The
/// replacement stands where the old token stood in the credential tree, and what the old
/// token made passes to it.
pub fn rotate(
    conn: &Connection,
    caller: &Actor<'_>,
    old: &TokenRow,
    org_projects: &[String],
    now: Timestamp,
) -> Result<(StatusCode, Rotation), ApiError> {
    rotate_into(conn, caller, old, org_projects, now, None)
}

/// A rotation whose replacement holds `narrower` permissions instead of the old token's
/// (`None`: the same): the one-click downscope. The list must be within the old token
/// itself, not only within the caller: the core's delegation rule decides, with the old
/// token as the maker, so a downscope never grants what the token did not.
pub fn rotate_into(
    conn: &Connection,
    caller: &Actor<'_>,
    old: &TokenRow,
    org_projects: &[String],
    now: Timestamp,
    narrower: Option<Vec<String>>,
) -> Result<(StatusCode, Rotation), ApiError> {
    let policy = caller.policy;
    match status_of(&old.token, now, policy) {
        TokenStatus::Active => {}
        TokenStatus::Rotating | TokenStatus::Rotated => {
            return Err(ApiError::conflict(
                "already_rotated",
                format!(
                    "token {}… was already rotated; rotate its replacement {}",
                    old.token.prefix,
                    old.replaced_by.clone().unwrap_or_default()
                ),
            ))
        }
        s @ (TokenStatus::Revoked | TokenStatus::Expired) => {
            let s = serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(ApiError::conflict(
                &format!("token_{s}"),
                format!("token {}… is {s}", old.token.prefix),
            ));
        }
    }
    if narrower.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::field(
            "permissions",
            "empty",
            "a downscope keeps at least one permission; to stop the token's use, revoke it",
        ));
    }
    let downscoped = narrower.is_some();
    let spec = TokenSpec {
        name: old.token.name.clone(),
        projects: old.token.projects.clone(),
        permissions: narrower
            .map(TokenPermissions::Downscoped)
            .unwrap_or_else(|| old.token.permissions.clone()),
        expires_at: old.token.expires_at,
        allowed_ips: old.token.allowed_ips.clone(),
    };
    let owner = db::owner_state(conn, &old.token.owner)?
        .ok_or_else(|| ApiError::not_found("token owner"))?;
    let origin = Origin {
        created_by: caller.origin().created_by,
        parent_id: old.parent_id.clone(),
    };
    let probe = build_metadata(
        old.token.owner.clone(),
        &old.token.organization,
        &spec,
        &old.token.id,
        &old.token.prefix,
        now,
    );
    // The caller may replace only a token it could have made: for a downscope too, the
    // token as it is now, not only its narrower replacement (else a narrow token could
    // retire its owner's broad one and hold the replacement outside its own lineage).
    let as_it_is = if downscoped {
        let same = TokenSpec {
            permissions: old.token.permissions.clone(),
            ..spec.clone()
        };
        build_metadata(
            old.token.owner.clone(),
            &old.token.organization,
            &same,
            &old.token.id,
            &old.token.prefix,
            now,
        )
    } else {
        probe.clone()
    };
    lineage::ensure_may_make(
        caller,
        &as_it_is,
        &owner,
        Minted::Token,
        org_projects,
        now,
        "expires_at",
    )?;
    // The replacement keeps the old expiry, so it is a new token of that lifetime from
    // now: under the organization's policy as it stands (a never-expiring token where the
    // policy now forbids one, a lifetime beyond the current maximum), rotating would mint
    // a token refused from its first call. The core's expiry rules say so, as for a create.
    // A downscope is read in full (a permission the catalog lacks, one the old token does
    // not hold); a plain rotation only for its expiry.
    let maker = downscoped.then(|| CallerCredential {
        token: old.token.clone(),
        owner: owner.clone(),
    });
    let problems: Vec<FieldError> =
        validate_with_core(&probe, &owner, org_projects, policy, now, maker)
            .into_iter()
            .filter(|e| downscoped || e.field == "expiry")
            .map(|mut e| {
                if e.field == "expiry" {
                    e.field = "expires_at".into();
                }
                // The maker here is the token itself, not the call's credential.
                if downscoped {
                    e.message = e
                        .message
                        .replace("the calling token", "the token being downscoped");
                }
                e
            })
            .collect();
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    // A quarantined (leaked) token ends at once; any other works 7 days more.
    let grace_ends = rotation_grace_end(&old.token, now);
    let (new_row, secret) = db::atomically(conn, |tx| {
        let (new_row, secret) = issue(
            tx,
            old.token.owner.clone(),
            &old.token.organization,
            &spec,
            &old.kind,
            now,
            &origin,
        )?;
        db::mark_rotated(tx, &old.token.id, now, grace_ends, &new_row.token.id)?;
        db::reparent(tx, &old.token.id, &new_row.token.id)?;
        Ok::<_, ApiError>((new_row, secret))
    })?;
    caller.note(format!(
        "rotated {} into {}{}",
        old.token.id,
        new_row.token.id,
        if downscoped { " (downscoped)" } else { "" }
    ));
    let old_after = db::token_by_id(conn, &old.token.id)?
        .ok_or_else(|| ApiError::internal("rotated token vanished"))?;
    Ok((
        StatusCode::CREATED,
        Rotation {
            token: views::api_token(&new_row, now, policy)?,
            secret: views::shown_once(&secret),
            replaces: views::api_token(&old_after, now, policy)?,
        },
    ))
}

/// The API token `id` of `owner` (a bearer or another owner's token is not found).
pub fn api_token_of(conn: &Connection, owner: &OwnerRef, id: &str) -> Result<TokenRow, ApiError> {
    db::token_by_id(conn, id)?
        .filter(|r| r.kind == "api" && r.token.owner == *owner)
        .ok_or_else(|| ApiError::not_found("token"))
}

/// Revokes a token and, transitively, everything made through it.
pub fn revoke_with_descendants(
    conn: &Connection,
    caller: &Actor<'_>,
    id: &str,
    now: Timestamp,
) -> Result<db::Revoked, ApiError> {
    let tx = conn.unchecked_transaction()?;
    let done = db::revoke_tree(
        &tx,
        &[id.to_owned()],
        &Revocation::new(RevocationReason::Revoked, now),
    )?;
    tx.commit()?;
    caller.note(format!(
        "revoked {id} and {} credentials made through it",
        done.total().saturating_sub(1)
    ));
    Ok(done)
}

/// Offboarding: revokes every personal token of `member` and everything made through
/// them, service accounts' credentials included (Vault's token tree). Returns how many
/// were the member's own and how many descended from them.
pub fn revoke_member_tokens(
    conn: &Connection,
    actor: &Actor<'_>,
    member: &str,
    now: Timestamp,
) -> Result<(usize, usize), ApiError> {
    let tx = conn.unchecked_transaction()?;
    let own = db::live_token_ids(
        &tx,
        &OwnerRef::User {
            id: member.to_owned(),
        },
        "api",
    )?;
    let done = db::revoke_tree(
        &tx,
        &own,
        &Revocation::new(RevocationReason::MemberOffboarded, now),
    )?;
    tx.commit()?;
    let descendants = done.total().saturating_sub(own.len());
    actor.note(format!(
        "revoked {} tokens of the member and {descendants} credentials made through them",
        own.len()
    ));
    Ok((own.len(), descendants))
}
