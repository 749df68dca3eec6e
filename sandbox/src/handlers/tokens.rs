//! Personal API tokens (`/v1/iam/tokens`) and the token machinery service-account tokens
//! and the client-credentials grant share.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::Duration;
use clouddigit_core::delegation::{CallerCredential, Minted};
use clouddigit_core::evaluator::Audience;
use clouddigit_core::evaluator::{default_grace_end, TokenStatus};
use clouddigit_core::model::Creator;
use clouddigit_core::model::{AllProjects, Inherit};
use clouddigit_core::{
    AllowList, OwnerRef, OwnerState, ProjectScope, Timestamp, Token, TokenPermissions, TokenPolicy,
    TokenSecret,
};
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bodies::Body;
use crate::bodies::{self, AuthorizeRequest, MAX_AUTHORIZE_REQUESTS};
use crate::db::{self, TokenRow};
use crate::error::{ApiError, FieldError};
use crate::handlers::{require_object, str_field};
use crate::secrets::{new_id, new_token_secret, sha256_hex};
use crate::state::AppState;

/// What a create request asks for, checked.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub name: String,
    pub projects: ProjectScope,
    pub permissions: TokenPermissions,
    pub expires_at: Option<Timestamp>,
    pub allowed_ips: Vec<String>,
}

/// Where a new credential comes from: recorded on it, and what revoking cascades along.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    pub created_by: Option<Creator>,
    pub parent_id: Option<String>,
}

impl Lineage {
    /// Made by the calling credential, which becomes its parent.
    pub fn from_caller(caller: &Caller) -> Lineage {
        let (created_by, parent_id) = crate::lineage::made_by(caller);
        Lineage {
            created_by: Some(created_by),
            parent_id,
        }
    }

    /// A root: made by `created_by`, descending from no credential.
    pub fn root(created_by: Creator) -> Lineage {
        Lineage {
            created_by: Some(created_by),
            parent_id: None,
        }
    }
}

/// The projects a create body names, read before anything else so that the call is
/// authorized before the body is validated: `None` when it names none (the default
/// scope) or is not a list of strings (validation says why).
pub fn requested_projects(body: &Value) -> Option<ProjectScope> {
    match body.get("projects") {
        Some(Value::String(s)) if s == "all" => Some(ProjectScope::All(AllProjects::All)),
        Some(Value::Array(list)) => {
            let mut out: Vec<String> = Vec::new();
            for p in list.iter().filter_map(Value::as_str) {
                if !out.iter().any(|x| x == p) {
                    out.push(p.to_owned());
                }
            }
            Some(ProjectScope::Projects(out))
        }
        _ => None,
    }
}

/// Parses and checks a token create body for `owner`, collecting every bad field. With
/// `caller`, the token may not exceed the calling credential (the core's delegation
/// rule, reported with the other field errors).
pub fn parse_spec(
    body: &Value,
    owner: &OwnerState,
    org: &str,
    org_projects: &[String],
    policy: Option<&TokenPolicy>,
    now: Timestamp,
    caller: Option<&Caller>,
) -> Result<TokenSpec, ApiError> {
    require_object(body)?;
    let mut errors = Vec::new();

    // Only the JSON shapes are checked here: what a value may be (a name's length, a
    // project the owner has a role in, an expiry in the future...) is the core's to say,
    // in `validate_with_core`, with the codes the console's form shows.
    let name = match body.get("name") {
        None | Some(Value::Null) => String::new(),
        Some(_) => str_field(body, "name", &mut errors)
            .unwrap_or_default()
            .to_owned(),
    };

    let default_projects = match owner {
        OwnerState::ServiceAccount(s) => Some(match &s.project {
            Some(p) => vec![p.clone()],
            None => org_projects.to_vec(),
        }),
        OwnerState::User(_) => None,
    };
    let projects = match body.get("projects") {
        Some(Value::String(s)) if s == "all" => Some(ProjectScope::All(AllProjects::All)),
        Some(Value::Array(list)) => {
            let mut out: Vec<String> = Vec::new();
            for (i, p) in list.iter().enumerate() {
                match p.as_str() {
                    Some(p) => {
                        if !out.iter().any(|x| x == p) {
                            out.push(p.to_owned());
                        }
                    }
                    None => errors.push(FieldError::new(
                        format!("projects[{i}]"),
                        "invalid_type",
                        "a project id",
                    )),
                }
            }
            Some(ProjectScope::Projects(out))
        }
        None | Some(Value::Null) => default_projects.map(ProjectScope::Projects),
        Some(_) => {
            errors.push(FieldError::new(
                "projects",
                "invalid_type",
                "a list of project ids, or \"all\"",
            ));
            None
        }
    };

    let permissions = match body.get("permissions") {
        None | Some(Value::Null) => TokenPermissions::Inherit(Inherit::Inherit),
        Some(Value::String(s)) if s == "inherit" => TokenPermissions::Inherit(Inherit::Inherit),
        Some(Value::Array(list)) => {
            let mut out = Vec::new();
            for (i, p) in list.iter().enumerate() {
                match p.as_str() {
                    Some(p) => out.push(p.to_owned()),
                    None => errors.push(FieldError::new(
                        format!("permissions[{i}]"),
                        "invalid_type",
                        "a permission name",
                    )),
                }
            }
            TokenPermissions::Downscoped(out)
        }
        Some(_) => {
            errors.push(FieldError::new(
                "permissions",
                "invalid_type",
                "\"inherit\" or a list of permission names",
            ));
            TokenPermissions::Inherit(Inherit::Inherit)
        }
    };

    let expires_at = match (body.get("expires_at"), body.get("expires_in_days")) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "expires_at",
                "conflict",
                "give expires_at or expires_in_days, not both",
            ));
            None
        }
        (Some(Value::Null), None) => None,
        (Some(Value::String(s)), None) => match s.parse::<Timestamp>() {
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
        (None, Some(v)) => match v
            .as_i64()
            .filter(|d| *d >= 1)
            .and_then(Duration::try_days)
            .and_then(|d| now.checked_add_signed(d))
        {
            Some(t) => Some(t),
            None => {
                errors.push(FieldError::new(
                    "expires_in_days",
                    "invalid_days",
                    "a whole number of days, at least 1 (and within the calendar)",
                ));
                None
            }
        },
        (Some(_), None) => {
            errors.push(FieldError::new(
                "expires_at",
                "invalid_type",
                "an RFC 3339 time, or null for never",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "expires_at",
                "required",
                "choose a lifetime: expires_at (a time, or null for never) or expires_in_days",
            ));
            None
        }
    };

    let allowed_ips = super::allowed_ips_field(body, &mut errors)
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
    let expiry_field = if body.get("expires_in_days").is_some() {
        "expires_in_days"
    } else {
        "expires_at"
    };
    // A lifetime that did not read is not judged again as "never" by the core.
    let expiry_unread = errors
        .iter()
        .any(|x| x.field == "expires_at" || x.field == "expires_in_days");
    let caller = caller.map(crate::lineage::caller_credential);
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
    lineage: &Lineage,
) -> Result<(TokenRow, Value), ApiError> {
    ensure_name_free(conn, owner, &spec.name, policy, now)?;
    let (row, secret) = issue(conn, owner.owner_ref(), org, spec, "api", now, lineage)?;
    let answer =
        json!({ "token": token_json(&row, now, policy), "secret": secret.expose_secret() });
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
    lineage: &Lineage,
) -> Result<(TokenRow, TokenSecret), ApiError> {
    let secret = new_token_secret()?;
    let row = TokenRow {
        token: build_metadata(owner, org, spec, &new_id("tok"), &secret.prefix(), now),
        kind: kind.to_owned(),
        hash: sha256_hex(secret.expose_secret()),
        replaced_by: None,
        last_used_at: None,
        created_by: lineage.created_by.clone(),
        parent_id: lineage.parent_id.clone(),
    };
    db::insert_token(conn, &row)?;
    Ok((row, secret))
}

/// A token's status as the API lists it: the core's, under the policy as it stands.
pub fn status_of(t: &Token, now: Timestamp, policy: Option<&TokenPolicy>) -> TokenStatus {
    clouddigit_core::evaluator::token_status(t, now, policy)
}

/// What the API shows about a token: the core metadata plus status, never the secret.
pub fn token_json(row: &TokenRow, now: Timestamp, policy: Option<&TokenPolicy>) -> Value {
    let mut v = serde_json::to_value(&row.token).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("kind".into(), Value::String(row.kind.clone()));
        m.insert(
            "status".into(),
            serde_json::to_value(status_of(&row.token, now, policy)).unwrap_or(Value::Null),
        );
        m.insert("replaced_by".into(), json!(row.replaced_by));
        m.insert("created_by".into(), json!(row.created_by));
        m.insert("parent_id".into(), json!(row.parent_id));
        m.insert("last_used_at".into(), json!(row.last_used_at));
    }
    v
}

/// Issues the replacement with the same scope; the old token keeps working for the
/// grace window. The caller may rotate only a token it could have made (the core's
/// delegation rule: rotating must not launder a narrow token into a broad one). The
/// replacement stands where the old token stood in the credential tree, and what the old
/// token made passes to it.
pub fn rotate(
    conn: &Connection,
    caller: &Caller,
    old: &TokenRow,
    org_projects: &[String],
    now: Timestamp,
) -> Result<(StatusCode, Value), ApiError> {
    let policy = caller.policy.as_ref();
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
    let spec = TokenSpec {
        name: old.token.name.clone(),
        projects: old.token.projects.clone(),
        permissions: old.token.permissions.clone(),
        expires_at: old.token.expires_at,
        allowed_ips: old.token.allowed_ips.clone(),
    };
    let owner = db::owner_state(conn, &old.token.owner)?
        .ok_or_else(|| ApiError::not_found("token owner"))?;
    let lineage = Lineage {
        created_by: Lineage::from_caller(caller).created_by,
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
    crate::lineage::ensure_may_make(
        caller,
        &probe,
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
    let expiry: Vec<FieldError> = validate_with_core(&probe, &owner, &[], policy, now, None)
        .into_iter()
        .filter(|e| e.field == "expiry")
        .map(|mut e| {
            e.field = "expires_at".into();
            e
        })
        .collect();
    if !expiry.is_empty() {
        return Err(ApiError::validation(expiry));
    }
    let grace_ends = default_grace_end(now);
    let (new_row, secret) = db::atomically(conn, |tx| {
        let (new_row, secret) = issue(
            tx,
            old.token.owner.clone(),
            &old.token.organization,
            &spec,
            &old.kind,
            now,
            &lineage,
        )?;
        db::mark_rotated(tx, &old.token.id, now, grace_ends, &new_row.token.id)?;
        db::reparent(tx, &old.token.id, &new_row.token.id)?;
        Ok::<_, ApiError>((new_row, secret))
    })?;
    caller.note(format!(
        "rotated {} into {}",
        old.token.id, new_row.token.id
    ));
    let old_after = db::token_by_id(conn, &old.token.id)?
        .ok_or_else(|| ApiError::internal("rotated token vanished"))?;
    Ok((
        StatusCode::CREATED,
        json!({
            "token": token_json(&new_row, now, policy),
            "secret": secret.expose_secret(),
            "replaces": token_json(&old_after, now, policy),
        }),
    ))
}

/// A call on `/v1/iam/tokens...` acts in the caller's context project.
fn authorize_context(state: &AppState, caller: &Caller) -> Result<Vec<String>, ApiError> {
    let projects = db::projects(&*state.db()?)?;
    let project = caller.context_project(&projects);
    caller.authorize(project.as_deref(), None)?;
    Ok(projects)
}

fn own_token(conn: &Connection, caller: &Caller, id: &str) -> Result<TokenRow, ApiError> {
    db::token_by_id(conn, id)?
        .filter(|r| r.kind == "api" && r.token.owner == caller.token.owner)
        .ok_or_else(|| ApiError::not_found("token"))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize_context(&state, &caller)?;
    let rows = db::tokens_of_owner(&*state.db()?, &caller.token.owner, "api", None)?;
    let now = state.now();
    let (tokens, next) = super::paginate(
        rows.iter()
            .map(|r| token_json(r, now, caller.policy.as_ref()))
            .collect(),
        query.as_deref(),
    )?;
    Ok(Json(json!({ "tokens": tokens, "next_cursor": next })))
}

/// Who is calling: the token's metadata, its owner as they are now, the organization's
/// projects and the caller's address. Every live token may ask (no permission needed),
/// so an SDK can decide `can(action, project)` locally and validate drafts.
pub async fn whoami(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let conn = state.db()?;
    let row =
        db::token_by_id(&conn, &caller.token.id)?.ok_or_else(|| ApiError::not_found("token"))?;
    let projects = db::projects(&conn)?;
    Ok(Json(json!({
        "token": token_json(&row, state.now(), caller.policy.as_ref()),
        "owner": caller.owner,
        "organization_projects": projects,
        "policy": caller.policy,
        "ip": caller.ip.map(|ip| ip.to_string()),
    })))
}

/// What the calling token may do, decided without doing it: each call as the token would
/// make it now, from this address, along its whole lineage, by the very code every real
/// call goes through (AWS's `SimulatePrincipalPolicy`, for one's own token). Any live
/// token may ask about itself; the explanations are the caller's, as a real denial's.
pub async fn authorize_calls(caller: Caller, Body(body): Body) -> Result<Json<Value>, ApiError> {
    let AuthorizeRequest { explain, requests } = bodies::parse(body)?;
    if requests.len() > MAX_AUTHORIZE_REQUESTS {
        return Err(ApiError::field(
            "requests",
            "too_many_requests",
            format!("at most {MAX_AUTHORIZE_REQUESTS} calls at once"),
        ));
    }
    let mut out = Vec::with_capacity(requests.len());
    for (i, call) in requests.into_iter().enumerate() {
        let (action, method, path, project, resource_tags) = call.0.into_parts();
        for (name, value) in [("action", &action), ("method", &method), ("path", &path)] {
            if value.as_deref() == Some("") {
                return Err(ApiError::field(
                    &format!("requests[{i}].{name}"),
                    "empty",
                    format!("`{name}` is empty: give it, or leave it out"),
                ));
            }
        }
        let request = clouddigit_core::Request {
            action,
            method,
            path,
            organization: None,
            project,
            ip: caller.ip,
            time: caller.time,
            resource_tags,
        };
        let found = caller
            .decide_request(Audience::Caller, &request)
            .map_err(|e| {
                ApiError::field(&format!("requests[{i}]"), "invalid_request", e.message)
            })?;
        let d = &found.decision;
        let mut v = json!({
            "allowed": d.allowed,
            "reason": d.reason,
            "permission": d.permission,
            "message": d.message,
            "denied_by": found.denied_by.map(|i| caller.ancestors()[i].id.clone()),
        });
        if explain {
            v["checks"] = serde_json::to_value(&d.checks)?;
        }
        out.push(v);
    }
    Ok(Json(json!({ "decisions": out })))
}

/// Revokes every personal token of a member (offboarding): organization admins and
/// owners only.
pub async fn revoke_member_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(member): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.authorize(None, None)?;
    let conn = state.db()?;
    if db::user(&conn, &member)?.is_none() {
        return Err(ApiError::not_found("member"));
    }
    state.guard_user(&member)?;
    // Offboarding ends the member's tokens and everything made through them, service
    // accounts' credentials included (Vault's token tree).
    let tx = conn.unchecked_transaction()?;
    let own = db::live_token_ids(&tx, &OwnerRef::User { id: member }, "api")?;
    let done = db::revoke_tree(&tx, &own, state.now())?;
    tx.commit()?;
    let descendants = done.total().saturating_sub(own.len());
    caller.note(format!(
        "revoked {} tokens of the member and {descendants} credentials made through them",
        own.len()
    ));
    Ok(Json(
        json!({ "revoked": own.len(), "revoked_descendants": descendants }),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    require_object(&body)?;
    let projects = db::projects(&*state.db()?)?;
    // Creating a token in a project is an action in that project: every project the new
    // token names must allow it. Asked before the body is validated, which costs more.
    match requested_projects(&body) {
        Some(ProjectScope::Projects(list)) if !list.is_empty() => {
            for p in &list {
                caller.authorize(Some(p), None)?;
            }
        }
        _ => {
            caller.authorize(caller.context_project(&projects).as_deref(), None)?;
        }
    }
    let now = state.now();
    let spec = parse_spec(
        &body,
        &caller.owner,
        state.organization(),
        &projects,
        caller.policy.as_ref(),
        now,
        Some(&caller),
    )?;
    let lineage = Lineage::from_caller(&caller);
    state.create_once(
        &caller.token.owner,
        &headers,
        "POST /v1/iam/tokens",
        &body,
        |conn: &Connection| {
            let (row, answer) = create_api_token(
                conn,
                state.organization(),
                &caller.owner,
                &spec,
                caller.policy.as_ref(),
                now,
                &lineage,
            )?;
            caller.note(format!("created {}", row.token.id));
            Ok((StatusCode::CREATED, answer))
        },
    )
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize_context(&state, &caller)?;
    let row = own_token(&*state.db()?, &caller, &id)?;
    Ok(Json(token_json(&row, state.now(), caller.policy.as_ref())))
}

pub async fn rotate_handler(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize_context(&state, &caller)?;
    let route = format!("POST /v1/iam/tokens/{id}/rotate");
    state.create_once(
        &caller.token.owner,
        &headers,
        &route,
        &Value::Null,
        |conn: &Connection| {
            let row = own_token(conn, &caller, &id)?;
            state.guard_token(&row.token.id)?;
            let projects = db::projects(conn)?;
            rotate(conn, &caller, &row, &projects, state.now())
        },
    )
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize_context(&state, &caller)?;
    let conn = state.db()?;
    let row = own_token(&conn, &caller, &id)?;
    state.guard_token(&row.token.id)?;
    let now = state.now();
    revoke_with_descendants(&conn, &caller, &row.token.id, now)?;
    let row = db::token_by_id(&conn, &id)?.ok_or_else(|| ApiError::not_found("token"))?;
    Ok(Json(token_json(&row, now, caller.policy.as_ref())))
}

/// Revokes a token and, transitively, everything made through it.
pub fn revoke_with_descendants(
    conn: &Connection,
    caller: &Caller,
    id: &str,
    now: Timestamp,
) -> Result<db::Revoked, ApiError> {
    let tx = conn.unchecked_transaction()?;
    let done = db::revoke_tree(&tx, &[id.to_owned()], now)?;
    tx.commit()?;
    caller.note(format!(
        "revoked {id} and {} credentials made through it",
        done.total().saturating_sub(1)
    ));
    Ok(done)
}
