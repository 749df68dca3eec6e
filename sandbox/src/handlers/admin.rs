//! Sandbox-only endpoints under `/_sandbox`, for the organization owner: move the clock,
//! mint a personal token for any seeded user, change a user's role or status. Not part of
//! the Cloud Digit API and not in the permission catalog.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::Duration;
use clouddigit_core::model::Creator;
use clouddigit_core::{OwnerState, ProjectScope, TokenPermissions, UserState};

use crate::auth::Caller;
use crate::bodies::{Body, ClockChange, Deferred, PolicyBody, TokenCreate, UserUpdate};
use crate::db;
use crate::error::{ApiError, FieldError};
use crate::faults::{FaultPlan, FaultStatus};
use crate::service::Origin;
use crate::state::AppState;
use crate::views::{Clock, UserList};

/// The `/_sandbox` endpoints change who may do what (roles, the policy, the clock) and
/// mint tokens for anyone: they are for an unrestricted organization-owner token only
/// (inheriting the role, all projects, not replaced by rotation, not quarantined). A
/// downscoped token must never reach around its own limits through them.
fn owner_only(caller: &Caller) -> Result<(), ApiError> {
    let refuse = |why: &str| {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sandbox_admin_only",
            format!("the /_sandbox endpoints need an unrestricted organization-owner token: {why}"),
        ))
    };
    if !caller.is_org_owner() {
        return refuse("the token's owner is not the organization owner");
    }
    if !matches!(caller.token.permissions, TokenPermissions::Inherit(_)) {
        return refuse("this token is downscoped");
    }
    if !matches!(caller.token.projects, ProjectScope::All(_)) {
        return refuse("this token is limited to some projects");
    }
    if caller.in_grace() {
        return refuse("this token was replaced by rotation");
    }
    // A token reported leaked and quarantined reads only; these endpoints change things.
    if caller.token.quarantine.is_some() {
        return refuse("this token is quarantined (reported leaked): rotate it");
    }
    Ok(())
}

/// The caller of a `/_sandbox` endpoint, once [`owner_only`] let it through: asked before
/// the body is read, so a narrower token is refused whatever it sends.
pub struct SandboxOwner(pub Caller);

impl FromRequestParts<AppState> for SandboxOwner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        owner_only(&caller)?;
        Ok(SandboxOwner(caller))
    }
}

pub async fn get_clock(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
) -> Result<Json<Clock>, ApiError> {
    Ok(Json(Clock { now: state.now() }))
}

/// The organization's token policy, `{"policy": null}` when it has none.
pub async fn get_policy(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
) -> Result<Json<PolicyBody>, ApiError> {
    Ok(Json(PolicyBody {
        policy: db::token_policy(&*state.db()?)?,
    }))
}

/// Replaces the token policy: `{"policy": {...}}`, or `{"policy": null}` for none. It
/// binds from the next call on: a token living longer than a new maximum lifetime is
/// denied as expired, the caller's own included.
pub async fn set_policy(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
    Body {
        value: PolicyBody { policy },
        ..
    }: Body<PolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    if let Some(p) = &policy {
        let problems = p.problems();
        if !problems.is_empty() {
            return Err(ApiError::validation(
                problems
                    .into_iter()
                    .map(|(field, why)| {
                        FieldError::new(format!("policy.{field}"), "invalid_policy", why)
                    })
                    .collect(),
            ));
        }
    }
    state.guard_policy(policy.as_ref().and_then(|p| p.max_lifetime_days))?;
    db::set_token_policy(&*state.db()?, policy.as_ref())?;
    Ok(Json(PolicyBody { policy }))
}

/// `{"advance_seconds": n}`, `{"set": "2026-...Z"}` or `{"reset": true}`.
pub async fn set_clock(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
    Body { value: change, .. }: Body<ClockChange>,
) -> Result<Json<Clock>, ApiError> {
    let clock = &state.0.clock;
    let out_of_range = |field: &str, e: crate::clock::OutOfRange| {
        ApiError::field(field, "out_of_range", e.to_string())
    };
    match change {
        ClockChange::Reset { reset } => {
            if reset {
                clock.reset();
            }
        }
        ClockChange::Set { set } => clock.set(set).map_err(|e| out_of_range("set", e))?,
        ClockChange::Advance { advance_seconds } => {
            let by = Duration::try_seconds(advance_seconds).ok_or_else(|| {
                ApiError::field(
                    "advance_seconds",
                    "out_of_range",
                    "beyond what a duration can hold",
                )
            })?;
            clock
                .advance(by)
                .map_err(|e| out_of_range("advance_seconds", e))?;
        }
    }
    Ok(Json(Clock { now: state.now() }))
}

pub async fn list_users(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
) -> Result<Json<UserList>, ApiError> {
    Ok(Json(UserList {
        users: db::users(&*state.db()?)?,
    }))
}

/// Changes a user's status, organization role or project roles: the next call with any
/// of their tokens is decided by the new state.
pub async fn update_user(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
    Path(id): Path<String>,
    Body { value: change, .. }: Body<UserUpdate>,
) -> Result<Json<UserState>, ApiError> {
    let conn = state.db()?;
    let mut user = db::user(&conn, &id)?.ok_or_else(|| ApiError::not_found("user"))?;
    state.guard_user(&id)?;
    if let Some(status) = change.status {
        user.status = status;
    }
    if let Some(role) = change.org_role {
        user.org_role = role;
    }
    if let Some(roles) = change.project_roles {
        let projects = db::projects(&conn)?;
        let unknown: Vec<FieldError> = roles
            .keys()
            .filter(|p| !projects.contains(p))
            .map(|p| {
                FieldError::new(
                    format!("project_roles.{p}"),
                    "unknown_project",
                    format!("{p:?} is not a project of this organization"),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::validation(unknown));
        }
        user.project_roles = roles;
    }
    db::upsert_user(&conn, &user)?;
    Ok(Json(user))
}

/// Mints a personal token for a seeded user, as if they had made it in the console.
pub async fn issue_user_token(
    State(state): State<AppState>,
    SandboxOwner(caller): SandboxOwner,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body { value, json }: Body<Deferred<TokenCreate>>,
) -> Result<Response, ApiError> {
    let (user, projects) = {
        let conn = state.db()?;
        (
            db::user(&conn, &id)?.ok_or_else(|| ApiError::not_found("user"))?,
            db::projects(&conn)?,
        )
    };
    // The administrator mints for someone else: the token is a root of its own tree
    // (bounded by its owner's role, like every token), not a child of the admin's token.
    let route = format!("POST /_sandbox/users/{id}/tokens");
    super::create_token(
        &state,
        &caller,
        &headers,
        &value.get()?,
        &json,
        super::NewToken {
            owner: &OwnerState::User(user),
            maker: None,
            origin: Origin::root(Creator::sandbox_admin(caller.token.id.clone())),
            route: &route,
            projects: &projects,
        },
    )
}

pub async fn get_faults(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
) -> Result<Json<FaultStatus>, ApiError> {
    Ok(Json(state.0.faults.status()))
}

/// Arms fault injection for the next calls (see `faults::FaultPlan`); `{"count": 0}`
/// clears it.
pub async fn set_faults(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
    Body { value: plan, .. }: Body<FaultPlan>,
) -> Result<Json<FaultStatus>, ApiError> {
    state.0.faults.set(plan);
    Ok(Json(state.0.faults.status()))
}

// ---------------------------------------------------------------- the development OIDC issuer

/// Its discovery document (no token: verifiers fetch it).
pub async fn oidc_discovery(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.0.oidc.discovery())
}

/// Its published keys: the current one and the one before a rotation.
pub async fn oidc_jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.0.oidc.dev_jwks())
}

/// A CI-like token with the claims given, signed by the development issuer.
pub async fn oidc_token(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
    crate::bodies::Body { value, .. }: crate::bodies::Body<crate::bodies::DevTokenRequest>,
) -> Result<Json<crate::views::DevToken>, ApiError> {
    Ok(Json(crate::views::DevToken {
        token: state.0.oidc.dev_mint(value.claims, state.now().timestamp()),
    }))
}

/// Signs with a new key from now on; the previous key stays published.
pub async fn oidc_rotate(
    State(state): State<AppState>,
    SandboxOwner(_): SandboxOwner,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kid = state
        .0
        .oidc
        .dev_rotate()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(serde_json::json!({ "kid": kid })))
}
