//! Who is calling: the bearer token, its owner's *current* state, and the evaluator's
//! decision for each action.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use clouddigit_core::evaluator::{Audience, Check};
use clouddigit_core::handle::{LineageDecision, TokenHandle};
use clouddigit_core::{
    Decision, OrgRole, OwnerState, ProjectScope, Reason, Request, Timestamp, Token, TokenPolicy,
    TokenSecret,
};

use crate::db;
use crate::error::ApiError;
use crate::query::url_pairs;
use crate::request::{AuditSlot, ClientIp};
use crate::secrets::sha256_hex;
use crate::service::lineage::{self, Ancestor};
use crate::service::Actor;
use crate::state::AppState;

/// An authenticated caller: a live token whose owner is active and whose address is
/// allowed. Each handler still asks [`Caller::authorize`] about its action.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: Token,
    pub kind: String,
    pub owner: OwnerState,
    pub ip: Option<IpAddr>,
    pub method: String,
    pub path: String,
    pub time: Timestamp,
    pub query_project: Option<String>,
    /// The organization's token policy as it is now: its maximum lifetime binds on every
    /// call, and creates are validated under it.
    pub policy: Option<TokenPolicy>,
    /// The credentials this token was made through, nearest first: each must allow a
    /// call too.
    /// With the same as the core takes them.
    lineage: lineage::Lineage,
    handle: TokenHandle,
    slot: AuditSlot,
}

pub fn actor_label(owner: &OwnerState) -> String {
    match owner {
        OwnerState::User(u) if !u.email.is_empty() => u.email.clone(),
        OwnerState::User(u) => u.id.clone(),
        OwnerState::ServiceAccount(s) => s.name.clone(),
    }
}

fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    let q = query?;
    url_pairs(q)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let slot = parts
            .extensions
            .get::<AuditSlot>()
            .cloned()
            .unwrap_or_default();
        let ip = parts.extensions.get::<ClientIp>().and_then(|c| c.0);
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing_token",
                    "send the token as `Authorization: Bearer cd_...`",
                )
            })?
            .to_str()
            .map_err(|_| {
                ApiError::unauthorized("malformed_token", "the Authorization header is not text")
            })?;
        let raw = header
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("bearer "))
            .map(|_| &header[7..])
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "malformed_token",
                    "the Authorization header must be `Bearer cd_...`",
                )
            })?;
        let secret = TokenSecret::parse(raw).map_err(|e| {
            ApiError::unauthorized("malformed_token", e.to_string()).with("detail", e.code())
        })?;
        // Every call made with a well-formed token carries its hash, live or not: a
        // leaked token's use (or attempted use) is found in the log by it.
        let hashed = clouddigit_core::audit_format::hashed_token(secret.expose_secret());
        slot.update(|a| a.hashed_token = Some(hashed));
        let hash = sha256_hex(secret.expose_secret());
        let prefix = secret.prefix();
        drop(secret);
        let time = state.now();
        let (row, owner, policy, ancestors) = {
            let conn = state.db()?;
            let Some(row) = db::token_by_hash(&conn, &hash)? else {
                slot.update(|a| a.token_prefix = Some(prefix.clone()));
                return Err(ApiError::unauthorized(
                    "unknown_token",
                    format!("token {prefix}… is not known to this organization"),
                ));
            };
            slot.update(|a| {
                a.token_name = Some(row.token.name.clone());
                a.token_prefix = Some(row.token.prefix.clone());
                a.token_id = Some(row.token.id.clone());
            });
            let owner = db::owner_state(&conn, &row.token.owner)?;
            // A token the OIDC exchange minted: every call records the trust and the
            // external identity (the pipeline's subject, repository and run).
            if row
                .parent_id
                .as_deref()
                .is_some_and(|p| p.starts_with("trust_"))
            {
                if let Some(info) = db::federated(&conn, &row.token.id)? {
                    if let Ok(f) =
                        serde_json::from_str::<crate::service::federation::Federated>(&info)
                    {
                        slot.note(f.describe());
                    }
                }
            }
            let ancestors = state.0.lineages.get(&conn, &row);
            (row, owner, db::token_policy(&conn)?, ancestors)
        };
        let owner = owner.ok_or_else(|| {
            ApiError::unauthorized("owner_inactive", "the token's owner no longer exists")
        })?;
        slot.update(|a| a.actor = Some(actor_label(&owner)));

        // Lifecycle, owner and address do not depend on the action: ask the evaluator once
        // here so that a dead token is a 401 on every route, before any lookup.
        let request = Request {
            action: None,
            method: Some(parts.method.as_str().to_owned()),
            path: Some(parts.uri.path().to_owned()),
            organization: None,
            project: None,
            ip,
            time,
            resource_tags: None,
        };
        let handle = TokenHandle::new(row.token.clone())?;
        let (lineage, broken) = match ancestors {
            Ok(l) => (l, None),
            Err(e) => (std::sync::Arc::new((Vec::new(), Vec::new())), Some(e)),
        };
        let (ancestors, pairs) = (&lineage.0, &lineage.1);
        // Verdicts only: an allowed call is explained nowhere, a refused one below.
        let (verdict, denied_by) =
            handle.lineage_verdict(&owner, pairs, &request, policy.as_ref())?;
        let lifecycle = [
            Check::Revoked,
            Check::Rotated,
            Check::Expired,
            Check::OwnerInactive,
            Check::IpNotAllowed,
        ];
        if let Some(check) = lifecycle.into_iter().find(|c| verdict.failed(*c)) {
            let explained = |audience| {
                handle.authorize_lineage(audience, &owner, pairs, &request, policy.as_ref())
            };
            let found = explained(Audience::Caller)?;
            let detail = found
                .decision
                .checks
                .iter()
                .find(|c| c.check == check)
                .map(|c| c.detail.clone())
                .unwrap_or_default();
            let reason = Reason::from(check);
            let d = Decision {
                allowed: false,
                reason,
                message: format!("denied ({}): {detail}", crate::error::reason_code(reason)),
                permission: None,
                checks: Vec::new(),
            };
            // The owner's full explanation (the allow-list, the email) goes to the audit
            // log only.
            if let Ok(full) = explained(Audience::Owner) {
                slot.update(|a| a.detail = Some(full.decision.message));
            }
            return Err(match denied_by {
                None => ApiError::denied(&d),
                Some(i) => ApiError::creator_denied(&d, &ancestors[i].id),
            });
        }
        // A broken line is reported after the token's own state: a revoked token says
        // `revoked` even when what made it is gone too.
        if let Some(e) = broken {
            return Err(e);
        }
        state
            .0
            .limiter
            .check(&row.token.id)
            .map_err(ApiError::too_many_requests)?;
        // Best effort, and at most once a second per token: a failed timestamp update
        // must not fail the call, and a busy token should not write on every call.
        let stale = row
            .last_used_at
            .is_none_or(|t| (time - t).num_milliseconds().abs() >= 1000);
        if stale {
            if let Ok(conn) = state.db() {
                let _ = db::touch_token(&conn, &row.token.id, time);
            }
        }
        // Every parameter of the API takes one value: a repeated one is refused rather
        // than one of its values silently chosen.
        let pairs = url_pairs(parts.uri.query().unwrap_or(""));
        if let Some((k, _)) = pairs
            .iter()
            .enumerate()
            .find(|(i, (k, _))| pairs[..*i].iter().any(|(j, _)| j == k))
            .map(|(_, p)| p)
        {
            return Err(ApiError::field(
                k,
                "repeated_parameter",
                format!("?{k}= is given more than once: give it once"),
            ));
        }
        let query_project = query_param(parts.uri.query(), "project");
        if let Some(p) = &query_project {
            if p.is_empty() {
                return Err(ApiError::field(
                    "project",
                    "invalid_project",
                    "?project= is empty: give a project id, or leave it out",
                ));
            }
            if !db::projects(&*state.db()?)?.contains(p) {
                return Err(ApiError::field(
                    "project",
                    "unknown_project",
                    format!("{p:?} is not a project of this organization"),
                ));
            }
        }
        Ok(Caller {
            token: row.token,
            kind: row.kind,
            owner,
            ip,
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            time,
            query_project,
            policy,
            lineage,
            handle,
            slot,
        })
    }
}

impl Caller {
    /// Decides this call's REST route in `project`, on a resource with `tags`.
    pub fn authorize(
        &self,
        project: Option<&str>,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<(), ApiError> {
        self.decide(None, project, tags)
    }

    /// Decides a named permission instead of the route (for calls the catalog has no
    /// route for, such as managing an organization-level service account).
    pub fn authorize_action(
        &self,
        action: &str,
        project: Option<&str>,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<(), ApiError> {
        self.decide(Some(action), project, tags)
    }

    fn decide(
        &self,
        action: Option<&str>,
        project: Option<&str>,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<(), ApiError> {
        let request = Request {
            action: action.map(str::to_owned),
            method: action.is_none().then(|| self.method.clone()),
            path: action.is_none().then(|| self.path.clone()),
            organization: None,
            project: project.map(str::to_owned),
            ip: self.ip,
            time: self.time,
            resource_tags: tags.cloned(),
        };
        if let Some(p) = project {
            self.slot.update(|a| a.project = Some(p.to_owned()));
        }
        // The verdict first; words only for a refusal.
        let (verdict, _) = self.handle.lineage_verdict(
            &self.owner,
            &self.lineage.1,
            &request,
            self.policy.as_ref(),
        )?;
        if verdict.allowed() {
            return Ok(());
        }
        let found = self.decide_request(Audience::Caller, &request)?;
        // The owner's full explanation (allow-list, email) goes to the audit log only.
        let full = self.decide_request(Audience::Owner, &request)?;
        self.note(full.decision.message.clone());
        Err(match found.denied_by {
            None => ApiError::denied(&found.decision),
            Some(i) => ApiError::creator_denied(&found.decision, &self.ancestors()[i].id),
        })
    }

    /// The decision on `request` along this token's lineage, worded for `audience`.
    pub fn decide_request(
        &self,
        audience: Audience,
        request: &Request,
    ) -> Result<LineageDecision, ApiError> {
        Ok(self.handle.authorize_lineage(
            audience,
            &self.owner,
            &self.lineage.1,
            request,
            self.policy.as_ref(),
        )?)
    }

    /// The calling credential as the service layer takes it.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            token: &self.token,
            kind: &self.kind,
            owner: &self.owner,
            policy: self.policy.as_ref(),
            time: self.time,
            audit: &self.slot,
        }
    }

    /// Adds a line to this call's audit record (what it made or ended, or why it was
    /// refused in full).
    pub fn note(&self, detail: impl Into<String>) {
        self.slot.note(detail);
    }

    /// The credentials this token was made through, nearest first.
    pub fn ancestors(&self) -> &[Ancestor] {
        &self.lineage.0
    }

    /// Whether this token is replaced by rotation and still in its grace window.
    pub fn in_grace(&self) -> bool {
        self.handle.prepared().in_grace(self.time)
    }

    /// The project a call acts in when its path names none: `?project=`, else the
    /// token's first project, else the organization's first project.
    pub fn context_project(&self, org_projects: &[String]) -> Option<String> {
        if let Some(p) = &self.query_project {
            return Some(p.clone());
        }
        match &self.token.projects {
            ProjectScope::Projects(p) if !p.is_empty() => Some(p[0].clone()),
            _ => org_projects.first().cloned(),
        }
    }

    pub fn is_org_admin(&self) -> bool {
        matches!(&self.owner, OwnerState::User(u) if u.org_role.is_some())
    }

    pub fn is_org_owner(&self) -> bool {
        matches!(&self.owner, OwnerState::User(u) if u.org_role == Some(OrgRole::Owner))
    }
}
