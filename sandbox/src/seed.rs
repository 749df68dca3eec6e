//! The organization the sandbox starts with: the built-in one, or a JSON file given with
//! `--seed`. Applied only to an empty database.

use std::collections::BTreeMap;

use clouddigit_core::model::UserStatus;
use clouddigit_core::{OrgRole, ProjectRole, Timestamp, TokenPolicy, UserState};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::db::{self, Bucket, Server, ServerStatus};
use crate::secrets::new_id;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    pub organization: String,
    pub projects: Vec<String>,
    pub users: Vec<SeedUser>,
    /// The user the bootstrap token belongs to; the first organization owner if absent.
    #[serde(default)]
    pub bootstrap_user: Option<String>,
    #[serde(default)]
    pub servers: Vec<SeedServer>,
    #[serde(default)]
    pub buckets: Vec<SeedBucket>,
    /// The organization's token policy (maximum lifetime, never-expiring tokens, allow-lists
    /// for service-account tokens, accounts per project); none when absent.
    #[serde(default)]
    pub policy: Option<TokenPolicy>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub id: String,
    pub email: String,
    #[serde(default = "active")]
    pub status: UserStatus,
    #[serde(default)]
    pub org_role: Option<OrgRole>,
    #[serde(default)]
    pub project_roles: BTreeMap<String, ProjectRole>,
}

fn active() -> UserStatus {
    UserStatus::Active
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedServer {
    pub project: String,
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBucket {
    pub project: String,
    pub name: String,
    #[serde(default)]
    pub object_lock: bool,
}

pub const BUILTIN: &str = r#"{
  "organization": "acme",
  "projects": ["web", "data", "prod"],
  "users": [
    { "id": "u_owner", "email": "owner@acme.example", "org_role": "owner" },
    { "id": "u_admin", "email": "admin@acme.example", "org_role": "admin" },
    { "id": "u_dev", "email": "dev@acme.example", "project_roles": { "web": "member" } },
    { "id": "u_analyst", "email": "analyst@acme.example", "project_roles": { "data": "read_only" } },
    { "id": "u_former", "email": "former@acme.example", "status": "suspended", "project_roles": { "web": "member" } }
  ],
  "bootstrap_user": "u_owner",
  "servers": [
    { "project": "web", "name": "web-1", "tags": { "env": "prod", "team": "web" } },
    { "project": "web", "name": "web-staging", "tags": { "env": "staging", "team": "web" } },
    { "project": "prod", "name": "db-1", "tags": { "env": "prod" } }
  ],
  "buckets": [
    { "project": "data", "name": "acme-data-lake", "object_lock": true },
    { "project": "web", "name": "acme-web-assets" }
  ]
}"#;

pub fn builtin() -> Result<Seed, serde_json::Error> {
    serde_json::from_str(BUILTIN)
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed: {0}")]
    Invalid(String),
    #[error("seed: database: {0}")]
    Db(#[from] rusqlite::Error),
}

/// Writes the seed into an empty database; a database that already has an organization
/// is left alone (state survives restarts). Returns the bootstrap user's id.
pub fn apply(conn: &Connection, seed: &Seed, now: Timestamp) -> Result<String, SeedError> {
    if let Some(user) = db::meta(conn, "bootstrap_user")? {
        return Ok(user);
    }
    let bootstrap = seed
        .bootstrap_user
        .clone()
        .or_else(|| {
            seed.users
                .iter()
                .find(|u| u.org_role == Some(OrgRole::Owner))
                .map(|u| u.id.clone())
        })
        .ok_or_else(|| {
            SeedError::Invalid("no organization owner to give the bootstrap token to".into())
        })?;
    let owner_ok = seed.users.iter().any(|u| {
        u.id == bootstrap && u.org_role == Some(OrgRole::Owner) && u.status == UserStatus::Active
    });
    if !owner_ok {
        return Err(SeedError::Invalid(format!(
            "bootstrap_user {bootstrap:?} must be an active organization owner"
        )));
    }
    for u in &seed.users {
        if let Some(p) = u.project_roles.keys().find(|p| !seed.projects.contains(p)) {
            return Err(SeedError::Invalid(format!(
                "user {}: unknown project {p:?}",
                u.id
            )));
        }
    }
    if let Some((field, why)) = seed
        .policy
        .as_ref()
        .and_then(|p| p.problems().into_iter().next())
    {
        return Err(SeedError::Invalid(format!("policy.{field}: {why}")));
    }
    let tx = conn.unchecked_transaction()?;
    db::set_meta(&tx, "organization", &seed.organization)?;
    for p in &seed.projects {
        db::insert_project(&tx, p, &seed.organization)?;
    }
    for u in &seed.users {
        db::upsert_user(
            &tx,
            &UserState {
                id: u.id.clone(),
                email: u.email.clone(),
                organization: seed.organization.clone(),
                status: u.status,
                org_role: u.org_role,
                project_roles: u.project_roles.clone(),
            },
        )?;
    }
    for s in &seed.servers {
        db::upsert_server(
            &tx,
            &Server {
                id: new_id("srv"),
                project: s.project.clone(),
                name: s.name.clone(),
                status: ServerStatus::Running,
                tags: s.tags.clone(),
                created_at: now,
            },
        )?;
    }
    for b in &seed.buckets {
        db::upsert_bucket(
            &tx,
            &Bucket {
                name: b.name.clone(),
                project: b.project.clone(),
                object_lock: b.object_lock,
                tags: BTreeMap::new(),
                created_at: now,
            },
        )?;
    }
    db::set_token_policy(&tx, seed.policy.as_ref())?;
    db::set_meta(&tx, "bootstrap_user", &bootstrap)?;
    tx.commit()?;
    Ok(bootstrap)
}
