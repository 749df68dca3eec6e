//! SQLite state: the schema and every query. Secrets are never stored in the clear: tokens,
//! client secrets and access keys keep a SHA-256 hash (and a token its public prefix), and
//! an access key also its secret sealed under a key outside the database (SigV4 needs it).

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use clouddigit_core::model::{Creator, Quarantine, Revocation};
use clouddigit_core::model::{ServiceAccountStatus, UserStatus};
use clouddigit_core::{
    OrgRole, OwnerRef, OwnerState, ProjectRole, ProjectScope, ServiceAccountState, Timestamp,
    Token, TokenPermissions, TokenPolicy, UserState,
};
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, org TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, email TEXT NOT NULL, org TEXT NOT NULL, status TEXT NOT NULL,
  org_role TEXT, project_roles TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS service_accounts (
  id TEXT PRIMARY KEY, org TEXT NOT NULL, project TEXT, name TEXT NOT NULL,
  description TEXT NOT NULL, role TEXT NOT NULL, tag_selector TEXT NOT NULL,
  status TEXT NOT NULL, secret_hash TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE, owner_type TEXT NOT NULL, owner_id TEXT NOT NULL, org TEXT NOT NULL,
  projects TEXT NOT NULL, permissions TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT,
  allowed_ips TEXT NOT NULL, revoked_at TEXT, rotated_at TEXT, grace_ends_at TEXT,
  replaced_by TEXT, last_used_at TEXT);
CREATE INDEX IF NOT EXISTS tokens_owner ON tokens(owner_type, owner_id);
CREATE TABLE IF NOT EXISTS access_keys (
  id TEXT PRIMARY KEY, sa_id TEXT NOT NULL, secret_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trusts (
  id TEXT PRIMARY KEY, sa_id TEXT NOT NULL, spec TEXT NOT NULL, created_at TEXT NOT NULL,
  created_by TEXT, parent_id TEXT, revoked_at TEXT);
CREATE INDEX IF NOT EXISTS trusts_sa ON trusts(sa_id);
CREATE TABLE IF NOT EXISTS servers (
  id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
  tags TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY, project TEXT NOT NULL, object_lock INTEGER NOT NULL, tags TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
  owner TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
  resource_id TEXT, body TEXT, created_at TEXT NOT NULL, PRIMARY KEY (owner, key));
CREATE TABLE IF NOT EXISTS secret_scanning_keys (
  key_identifier TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, pem TEXT NOT NULL,
  created_at TEXT NOT NULL, created_by TEXT);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, time TEXT NOT NULL,
  token_name TEXT, token_prefix TEXT, actor TEXT, method TEXT NOT NULL, path TEXT NOT NULL,
  query TEXT, project TEXT, status INTEGER NOT NULL, error_code TEXT, ip TEXT);
"#;

/// Columns added after the first release: (table, column, declaration). A database file
/// from an earlier version gains them on open; its credentials have no lineage (roots).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("tokens", "created_by", "TEXT"),
    ("tokens", "parent_id", "TEXT"),
    (
        "service_accounts",
        "allowed_ips",
        "TEXT NOT NULL DEFAULT '[]'",
    ),
    ("service_accounts", "secret_id", "TEXT"),
    ("service_accounts", "secret_created_by", "TEXT"),
    ("service_accounts", "secret_parent_id", "TEXT"),
    ("service_accounts", "secret_expires_at", "TEXT"),
    ("service_accounts", "secret_created_at", "TEXT"),
    ("access_keys", "created_by", "TEXT"),
    ("access_keys", "parent_id", "TEXT"),
    ("access_keys", "expires_at", "TEXT"),
    ("access_keys", "revoked_at", "TEXT"),
    // The secret, sealed (`secrets::Sealer`): SigV4 signs with the secret itself.
    ("access_keys", "secret_sealed", "TEXT"),
    // A token the OIDC exchange minted: the trust and the external subject (JSON).
    ("tokens", "federated", "TEXT"),
    ("audit", "token_id", "TEXT"),
    ("audit", "detail", "TEXT"),
    ("audit", "hashed_token", "TEXT"),
    // A token reported leaked under a quarantining policy (`core::model::Quarantine`).
    ("tokens", "quarantine", "TEXT"),
    // Why a token was revoked (`core::model::Revocation`): absent on older revocations.
    ("tokens", "revocation", "TEXT"),
];

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, decl) in ADDED_COLUMNS {
        let exists: bool = conn
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))?
            .exists([column])?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
        }
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS tokens_parent ON tokens(parent_id);
         CREATE INDEX IF NOT EXISTS access_keys_parent ON access_keys(parent_id);
         CREATE INDEX IF NOT EXISTS sa_secret_parent ON service_accounts(secret_parent_id);
         CREATE INDEX IF NOT EXISTS sa_secret ON service_accounts(secret_id);
         CREATE INDEX IF NOT EXISTS audit_time ON audit(time);
         CREATE INDEX IF NOT EXISTS sa_secret_hash ON service_accounts(secret_hash);
         CREATE INDEX IF NOT EXISTS access_keys_secret ON access_keys(secret_hash);",
    )?;
    conn.execute_batch(EPOCH)
}

/// A counter every change that can alter a decision along a lineage moves (a token's
/// life and place in the tree, a user's or an account's state, a key's revocation, the
/// policy): what the sandbox has cached of a lineage holds while it stands still. Kept
/// by triggers, so no write path can forget it; a token's `last_used_at` does not move it.
const EPOCH: &str = r#"
CREATE TABLE IF NOT EXISTS epoch (n INTEGER NOT NULL);
INSERT INTO epoch (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM epoch);
DROP TRIGGER IF EXISTS epoch_tokens;
CREATE TRIGGER IF NOT EXISTS epoch_tokens_2 AFTER UPDATE OF revoked_at, rotated_at, grace_ends_at, parent_id, expires_at, quarantine ON tokens
  BEGIN UPDATE epoch SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS epoch_tokens_gone AFTER DELETE ON tokens BEGIN UPDATE epoch SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS epoch_users AFTER UPDATE ON users BEGIN UPDATE epoch SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS epoch_sa AFTER UPDATE ON service_accounts BEGIN UPDATE epoch SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS epoch_keys AFTER UPDATE ON access_keys BEGIN UPDATE epoch SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS epoch_trusts AFTER UPDATE ON trusts BEGIN UPDATE epoch SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS epoch_meta AFTER UPDATE ON meta BEGIN UPDATE epoch SET n = n + 1; END;
"#;

/// See [`EPOCH`].
pub fn epoch(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT n FROM epoch")?
        .query_row([], |r| r.get(0))
}

pub fn open(path: Option<&std::path::Path>) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(p) => {
            let c = Connection::open(p)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "NORMAL")?;
            c
        }
        None => Connection::open_in_memory()?,
    };
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(crate::streams::store::SCHEMA)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Runs `f` atomically: all its writes or none. A savepoint, so it nests inside an open
/// transaction (an idempotent create's, say) where `BEGIN` would fail.
pub fn atomically<T, E: From<rusqlite::Error>>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("SAVEPOINT atomically")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE atomically")?;
            Ok(v)
        }
        Err(e) => {
            // The error the caller needs is `e`; a failed rollback leaves the savepoint
            // to the connection's next transaction, which SQLite then rolls back.
            let _ = conn.execute_batch("ROLLBACK TO atomically; RELEASE atomically");
            Err(e)
        }
    }
}

/// `t` to the microsecond, as [`ts`] writes it.
pub fn micros(t: Timestamp) -> Timestamp {
    use chrono::Timelike as _;
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// Fixed-width UTC so text comparison is time order.
pub fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn conv_err(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

fn json_col<T: DeserializeOwned>(r: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv_err(idx, e))
}

fn enum_col<T: DeserializeOwned>(r: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    serde_json::from_value(Value::String(s)).map_err(|e| conv_err(idx, e))
}

fn opt_enum_col<T: DeserializeOwned>(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = r.get(idx)?;
    s.map(|s| serde_json::from_value(Value::String(s)).map_err(|e| conv_err(idx, e)))
        .transpose()
}

fn time_col(r: &Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    let s: String = r.get(idx)?;
    s.parse::<Timestamp>().map_err(|e| conv_err(idx, e))
}

fn opt_json_col<T: DeserializeOwned>(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = r.get(idx)?;
    s.map(|s| serde_json::from_str(&s).map_err(|e| conv_err(idx, e)))
        .transpose()
}

fn opt_time_col(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    let s: Option<String> = r.get(idx)?;
    s.map(|s| s.parse::<Timestamp>().map_err(|e| conv_err(idx, e)))
        .transpose()
}

/// An enum's serde name (`org_admin`, `active`).
pub fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn to_json<T: Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| conv_err(0, e))
}

// ---------------------------------------------------------------- organization

pub fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    // Cached: every authenticated call reads the token policy from here.
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// The organization's token policy (`None`: it has none), as the core reads it.
pub fn token_policy(conn: &Connection) -> rusqlite::Result<Option<TokenPolicy>> {
    match meta(conn, "token_policy")? {
        Some(text) => serde_json::from_str(&text).map_err(|e| conv_err(0, e)),
        None => Ok(None),
    }
}

pub fn set_token_policy(conn: &Connection, policy: Option<&TokenPolicy>) -> rusqlite::Result<()> {
    set_meta(conn, "token_policy", &to_json(&policy)?)
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        [key, value],
    )?;
    Ok(())
}

pub fn projects(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare_cached("SELECT id FROM projects ORDER BY rowid")?;
    let rows = st.query_map([], |r| r.get(0))?;
    rows.collect()
}

pub fn insert_project(conn: &Connection, id: &str, org: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO projects (id, org) VALUES (?1, ?2)",
        [id, org],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- users

pub fn upsert_user(conn: &Connection, u: &UserState) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO users (id, email, org, status, org_role, project_roles) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET email = ?2, org = ?3, status = ?4, org_role = ?5, project_roles = ?6",
        params![
            u.id,
            u.email,
            u.organization,
            enum_str(&u.status),
            u.org_role.map(|r| enum_str(&r)),
            to_json(&u.project_roles)?
        ],
    )?;
    Ok(())
}

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<UserState> {
    Ok(UserState {
        id: r.get(0)?,
        email: r.get(1)?,
        organization: r.get(2)?,
        status: enum_col::<UserStatus>(r, 3)?,
        org_role: opt_enum_col::<OrgRole>(r, 4)?,
        project_roles: json_col::<BTreeMap<String, ProjectRole>>(r, 5)?,
    })
}

pub fn user(conn: &Connection, id: &str) -> rusqlite::Result<Option<UserState>> {
    conn.prepare_cached(
        "SELECT id, email, org, status, org_role, project_roles FROM users WHERE id = ?1",
    )?
    .query_row([id], user_from_row)
    .optional()
}

pub fn users(conn: &Connection) -> rusqlite::Result<Vec<UserState>> {
    let mut st = conn.prepare_cached(
        "SELECT id, email, org, status, org_role, project_roles FROM users ORDER BY rowid",
    )?;
    let rows = st.query_map([], user_from_row)?;
    rows.collect()
}

// ---------------------------------------------------------------- service accounts

#[derive(Debug, Clone)]
pub struct SaRow {
    pub state: ServiceAccountState,
    /// The client secret, while the account has one.
    pub secret: Option<ClientSecret>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A service account's client secret: a credential of its own, with a maker and an
/// expiry, though only its hash is kept.
#[derive(Debug, Clone)]
pub struct ClientSecret {
    /// `cs_…`: what its bearers name as their parent.
    pub id: String,
    pub hash: String,
    pub created_by: Option<Creator>,
    pub parent_id: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

const SA_COLS: &str = "id, org, project, name, description, role, tag_selector, status, secret_hash, created_at, updated_at, allowed_ips, secret_id, secret_created_by, secret_parent_id, secret_expires_at, secret_created_at";

fn sa_from_row(r: &Row<'_>) -> rusqlite::Result<SaRow> {
    Ok(SaRow {
        state: ServiceAccountState {
            id: r.get(0)?,
            organization: r.get(1)?,
            project: r.get(2)?,
            name: r.get(3)?,
            description: r.get(4)?,
            role: enum_col::<ProjectRole>(r, 5)?,
            tag_selector: json_col::<BTreeMap<String, String>>(r, 6)?,
            status: enum_col::<ServiceAccountStatus>(r, 7)?,
            allowed_ips: json_col::<Vec<String>>(r, 11)?,
        },
        secret: match r.get::<_, Option<String>>(8)? {
            None => None,
            Some(hash) => Some(ClientSecret {
                // A secret from before lineage was kept gets a stable id of its own.
                id: r
                    .get::<_, Option<String>>(12)?
                    .unwrap_or_else(|| format!("cs_legacy_{}", &hash[..hash.len().min(16)])),
                hash,
                created_by: opt_json_col::<Creator>(r, 13)?,
                parent_id: r.get(14)?,
                expires_at: opt_time_col(r, 15)?,
                created_at: match opt_time_col(r, 16)? {
                    Some(t) => t,
                    None => time_col(r, 9)?,
                },
            }),
        },
        created_at: time_col(r, 9)?,
        updated_at: time_col(r, 10)?,
    })
}

/// Any status, deleted included (callers decide what a deleted account means).
pub fn service_account(conn: &Connection, id: &str) -> rusqlite::Result<Option<SaRow>> {
    conn.prepare_cached(&format!(
        "SELECT {SA_COLS} FROM service_accounts WHERE id = ?1"
    ))?
    .query_row([id], sa_from_row)
    .optional()
}

/// Accounts that are not deleted, of one project or (`None`) the organization level.
pub fn service_accounts(conn: &Connection, project: Option<&str>) -> rusqlite::Result<Vec<SaRow>> {
    let sql = match project {
        Some(_) => format!("SELECT {SA_COLS} FROM service_accounts WHERE project = ?1 AND status != 'deleted' ORDER BY created_at, id"),
        None => format!("SELECT {SA_COLS} FROM service_accounts WHERE project IS NULL AND status != 'deleted' ORDER BY created_at, id"),
    };
    let mut st = conn.prepare_cached(&sql)?;
    let rows = match project {
        Some(p) => st.query_map([p], sa_from_row)?.collect(),
        None => st.query_map([], sa_from_row)?.collect(),
    };
    rows
}

pub fn upsert_service_account(conn: &Connection, sa: &SaRow) -> rusqlite::Result<()> {
    let s = &sa.state;
    let secret = sa.secret.as_ref();
    conn.execute(
        "INSERT INTO service_accounts (id, org, project, name, description, role, tag_selector, status, secret_hash, created_at, updated_at, allowed_ips, secret_id, secret_created_by, secret_parent_id, secret_expires_at, secret_created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT(id) DO UPDATE SET description = ?5, role = ?6, tag_selector = ?7, status = ?8, secret_hash = ?9, updated_at = ?11,
           allowed_ips = ?12, secret_id = ?13, secret_created_by = ?14, secret_parent_id = ?15, secret_expires_at = ?16, secret_created_at = ?17",
        params![
            s.id,
            s.organization,
            s.project,
            s.name,
            s.description,
            enum_str(&s.role),
            to_json(&s.tag_selector)?,
            enum_str(&s.status),
            secret.map(|c| c.hash.as_str()),
            ts(sa.created_at),
            ts(sa.updated_at),
            to_json(&s.allowed_ips)?,
            secret.map(|c| c.id.as_str()),
            secret.and_then(|c| c.created_by.as_ref()).map(to_json).transpose()?,
            secret.and_then(|c| c.parent_id.as_deref()),
            secret.and_then(|c| c.expires_at).map(ts),
            secret.map(|c| ts(c.created_at)),
        ],
    )?;
    Ok(())
}

/// The account whose current client secret hashes to `secret_hash` (hex SHA-256), if
/// any (a replaced secret's hash is not kept).
pub fn service_account_by_secret_hash(
    conn: &Connection,
    secret_hash: &str,
) -> rusqlite::Result<Option<SaRow>> {
    conn.prepare_cached(&format!(
        "SELECT {SA_COLS} FROM service_accounts WHERE secret_hash = ?1"
    ))?
    .query_row([secret_hash], sa_from_row)
    .optional()
}

/// The account whose current client secret is `secret_id`, if any.
pub fn service_account_by_secret(
    conn: &Connection,
    secret_id: &str,
) -> rusqlite::Result<Option<SaRow>> {
    conn.prepare_cached(&format!(
        "SELECT {SA_COLS} FROM service_accounts WHERE secret_id = ?1"
    ))?
    .query_row([secret_id], sa_from_row)
    .optional()
}

pub fn owner_state(conn: &Connection, owner: &OwnerRef) -> rusqlite::Result<Option<OwnerState>> {
    Ok(match owner {
        OwnerRef::User { id } => user(conn, id)?.map(OwnerState::User),
        OwnerRef::ServiceAccount { id } => {
            service_account(conn, id)?.map(|s| OwnerState::ServiceAccount(s.state))
        }
    })
}

// ---------------------------------------------------------------- tokens

/// Token kinds: `api` (personal or service-account API tokens) and `oauth` (short-lived
/// bearers from the client-credentials grant).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub token: Token,
    pub kind: String,
    pub hash: String,
    pub replaced_by: Option<String>,
    pub last_used_at: Option<Timestamp>,
    /// What made it, and where it stands in the credential tree now.
    pub created_by: Option<Creator>,
    pub parent_id: Option<String>,
    /// Why it was revoked (absent while it is not, and on older revocations).
    pub revocation: Option<Revocation>,
}

const TOKEN_COLS: &str = "id, kind, name, prefix, hash, owner_type, owner_id, org, projects, permissions, created_at, expires_at, allowed_ips, revoked_at, rotated_at, grace_ends_at, replaced_by, last_used_at, created_by, parent_id, quarantine, revocation";

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    let owner_type: String = r.get(5)?;
    let owner_id: String = r.get(6)?;
    let owner = if owner_type == "service_account" {
        OwnerRef::ServiceAccount { id: owner_id }
    } else {
        OwnerRef::User { id: owner_id }
    };
    Ok(TokenRow {
        token: Token {
            id: r.get(0)?,
            name: r.get(2)?,
            prefix: r.get(3)?,
            owner,
            organization: r.get(7)?,
            projects: json_col::<ProjectScope>(r, 8)?,
            permissions: json_col::<TokenPermissions>(r, 9)?,
            created_at: time_col(r, 10)?,
            expires_at: opt_time_col(r, 11)?,
            allowed_ips: json_col::<Vec<String>>(r, 12)?,
            revoked_at: opt_time_col(r, 13)?,
            rotated_at: opt_time_col(r, 14)?,
            grace_ends_at: opt_time_col(r, 15)?,
            quarantine: opt_json_col::<Quarantine>(r, 20)?,
        },
        kind: r.get(1)?,
        hash: r.get(4)?,
        replaced_by: r.get(16)?,
        last_used_at: opt_time_col(r, 17)?,
        created_by: opt_json_col::<Creator>(r, 18)?,
        parent_id: r.get(19)?,
        revocation: opt_json_col::<Revocation>(r, 21)?,
    })
}

fn owner_cols(owner: &OwnerRef) -> (&'static str, &str) {
    match owner {
        OwnerRef::User { id } => ("user", id.as_str()),
        OwnerRef::ServiceAccount { id } => ("service_account", id.as_str()),
    }
}

pub fn insert_token(conn: &Connection, row: &TokenRow) -> rusqlite::Result<()> {
    let t = &row.token;
    let (owner_type, owner_id) = owner_cols(&t.owner);
    conn.execute(
        &format!("INSERT INTO tokens ({TOKEN_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"),
        params![
            t.id,
            row.kind,
            t.name,
            t.prefix,
            row.hash,
            owner_type,
            owner_id,
            t.organization,
            to_json(&t.projects)?,
            to_json(&t.permissions)?,
            ts(t.created_at),
            t.expires_at.map(ts),
            to_json(&t.allowed_ips)?,
            t.revoked_at.map(ts),
            t.rotated_at.map(ts),
            t.grace_ends_at.map(ts),
            row.replaced_by,
            row.last_used_at.map(ts),
            row.created_by.as_ref().map(to_json).transpose()?,
            row.parent_id,
            t.quarantine.as_ref().map(to_json).transpose()?,
            row.revocation.as_ref().map(to_json).transpose()?
        ],
    )?;
    Ok(())
}

pub fn token_by_hash(conn: &Connection, hash: &str) -> rusqlite::Result<Option<TokenRow>> {
    conn.prepare_cached(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE hash = ?1"))?
        .query_row([hash], token_from_row)
        .optional()
}

pub fn token_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<TokenRow>> {
    conn.prepare_cached(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE id = ?1"))?
        .query_row([id], token_from_row)
        .optional()
}

/// An owner's tokens of one kind; with `name`, only those of that name (what the core's
/// `name_taken` rule looks at: creating a token had read all the owner's tokens, so its
/// cost and memory grew with every token the owner ever had).
pub fn tokens_of_owner(
    conn: &Connection,
    owner: &OwnerRef,
    kind: &str,
    name: Option<&str>,
) -> rusqlite::Result<Vec<TokenRow>> {
    let (owner_type, owner_id) = owner_cols(owner);
    let mut st = conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLS} FROM tokens WHERE owner_type = ?1 AND owner_id = ?2 AND kind = ?3 AND (?4 IS NULL OR name = ?4) ORDER BY created_at, id"
    ))?;
    let rows = st.query_map(
        rusqlite::params![owner_type, owner_id, kind, name],
        token_from_row,
    )?;
    rows.collect()
}

/// The ids of the live tokens of an owner, of one kind.
pub fn live_token_ids(
    conn: &Connection,
    owner: &OwnerRef,
    kind: &str,
) -> rusqlite::Result<Vec<String>> {
    let (owner_type, owner_id) = owner_cols(owner);
    let mut st = conn.prepare_cached(
        "SELECT id FROM tokens WHERE owner_type = ?1 AND owner_id = ?2 AND kind = ?3 AND revoked_at IS NULL",
    )?;
    let rows = st.query_map([owner_type, owner_id, kind], |r| r.get(0))?;
    rows.collect()
}

/// Every credential of an account: its tokens and bearers, its client secret, its keys.
pub fn account_credential_ids(conn: &Connection, sa: &SaRow) -> rusqlite::Result<Vec<String>> {
    let owner = OwnerRef::ServiceAccount {
        id: sa.state.id.clone(),
    };
    let mut ids = live_token_ids(conn, &owner, "api")?;
    ids.extend(live_token_ids(conn, &owner, "oauth")?);
    ids.extend(sa.secret.as_ref().map(|s| s.id.clone()));
    ids.extend(
        access_keys(conn, &sa.state.id)?
            .into_iter()
            .filter(|k| k.revoked_at.is_none())
            .map(|k| k.id),
    );
    ids.extend(trusts(conn, &sa.state.id)?.into_iter().map(|t| t.trust.id));
    Ok(ids)
}

/// What a cascade ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revoked {
    pub tokens: usize,
    pub client_secrets: usize,
    pub access_keys: usize,
    pub trusts: usize,
}

impl Revoked {
    pub fn total(&self) -> usize {
        self.tokens + self.client_secrets + self.access_keys + self.trusts
    }
}

/// Every credential made through `roots`, at any depth, and (`with_roots`) the roots
/// themselves: tokens and bearers, client secrets and access keys alike, since any of
/// them can make the others. Vault's token tree, in one recursive query.
pub fn descendants(
    conn: &Connection,
    roots: &[String],
    with_roots: bool,
) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut st = conn.prepare_cached(
        "WITH RECURSIVE
           nodes(id, parent) AS (
             SELECT id, parent_id FROM tokens WHERE parent_id IS NOT NULL
             UNION ALL SELECT id, parent_id FROM access_keys WHERE parent_id IS NOT NULL
             UNION ALL SELECT id, parent_id FROM trusts WHERE parent_id IS NOT NULL
             UNION ALL SELECT secret_id, secret_parent_id FROM service_accounts
               WHERE secret_id IS NOT NULL AND secret_parent_id IS NOT NULL),
           tree(id) AS (
             SELECT ?1
             UNION SELECT nodes.id FROM nodes JOIN tree ON nodes.parent = tree.id)
         SELECT id FROM tree",
    )?;
    for root in roots {
        let ids = st.query_map([root], |r| r.get::<_, String>(0))?;
        for id in ids {
            let id = id?;
            if (with_roots || id != *root) && !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// Revokes `ids`, each for `why`: tokens get `revoked_at` and the revocation, access keys
/// `revoked_at`, trusts too, and a client secret is taken off its account (its bearers
/// are among `ids` when they come from [`descendants`]).
pub fn revoke_ids(
    conn: &Connection,
    ids: &[String],
    why: &Revocation,
) -> rusqlite::Result<Revoked> {
    let mut done = Revoked::default();
    for id in ids {
        revoke_one(conn, id, why, &mut done)?;
    }
    Ok(done)
}

fn revoke_one(
    conn: &Connection,
    id: &str,
    why: &Revocation,
    done: &mut Revoked,
) -> rusqlite::Result<()> {
    let at = ts(why.at);
    // The time as the row's `revoked_at` keeps it (to the microsecond), so the two agree.
    let recorded = to_json(&Revocation {
        at: micros(why.at),
        ..why.clone()
    })?;
    done.tokens += conn
        .prepare_cached(
            "UPDATE tokens SET revoked_at = ?2, revocation = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        )?
        .execute([id, &at, &recorded])?;
    done.access_keys += conn
        .prepare_cached(
            "UPDATE access_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        )?
        .execute([id, &at])?;
    done.trusts += conn
        .prepare_cached("UPDATE trusts SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")?
        .execute([id, &at])?;
    done.client_secrets += conn
        .prepare_cached(
            "UPDATE service_accounts SET secret_hash = NULL, secret_id = NULL, secret_created_by = NULL,
               secret_parent_id = NULL, secret_expires_at = NULL, secret_created_at = NULL, updated_at = ?2 WHERE secret_id = ?1",
        )?
        .execute([id, &at])?;
    Ok(())
}

/// Revokes `roots` for `why` and everything made through them, which records the root
/// it went with (`Revocation::taken_along`).
pub fn revoke_tree(
    conn: &Connection,
    roots: &[String],
    why: &Revocation,
) -> rusqlite::Result<Revoked> {
    revoke_under(conn, roots, why, true)
}

/// Revokes what was made through `roots`, leaving the roots themselves.
pub fn revoke_made_through(
    conn: &Connection,
    roots: &[String],
    why: &Revocation,
) -> rusqlite::Result<Revoked> {
    revoke_under(conn, roots, why, false)
}

fn revoke_under(
    conn: &Connection,
    roots: &[String],
    why: &Revocation,
    with_roots: bool,
) -> rusqlite::Result<Revoked> {
    let mut done = Revoked::default();
    for root in roots {
        let along = why.taken_along(root);
        for id in descendants(conn, std::slice::from_ref(root), with_roots)? {
            revoke_one(conn, &id, if id == *root { why } else { &along }, &mut done)?;
        }
    }
    Ok(done)
}

/// Quarantines a token (a leak reported under a quarantining policy); a token already
/// quarantined keeps its first quarantine. Returns whether it changed.
pub fn quarantine_token(conn: &Connection, id: &str, q: &Quarantine) -> rusqlite::Result<bool> {
    let q = Quarantine {
        at: micros(q.at),
        ..q.clone()
    };
    Ok(conn
        .prepare_cached("UPDATE tokens SET quarantine = ?2 WHERE id = ?1 AND quarantine IS NULL")?
        .execute([id, &to_json(&q)?])?
        > 0)
}

/// Rotation passes what `old` made to its replacement `new`.
pub fn reparent(conn: &Connection, old: &str, new: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE tokens SET parent_id = ?2 WHERE parent_id = ?1")?
        .execute([old, new])?;
    conn.prepare_cached("UPDATE access_keys SET parent_id = ?2 WHERE parent_id = ?1")?
        .execute([old, new])?;
    conn.prepare_cached("UPDATE trusts SET parent_id = ?2 WHERE parent_id = ?1")?
        .execute([old, new])?;
    conn.prepare_cached(
        "UPDATE service_accounts SET secret_parent_id = ?2 WHERE secret_parent_id = ?1",
    )?
    .execute([old, new])?;
    Ok(())
}

pub fn mark_rotated(
    conn: &Connection,
    id: &str,
    at: Timestamp,
    grace_ends_at: Timestamp,
    replaced_by: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tokens SET rotated_at = ?2, grace_ends_at = ?3, replaced_by = ?4 WHERE id = ?1",
        [id, &ts(at), &ts(grace_ends_at), replaced_by],
    )?;
    Ok(())
}

pub fn touch_token(conn: &Connection, id: &str, at: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute([id, &ts(at)])?;
    Ok(())
}

// ---------------------------------------------------------------- trusts (OIDC)

/// A service account's trust in an OIDC issuer, with its place in the credential tree.
#[derive(Debug, Clone)]
pub struct TrustRow {
    pub trust: clouddigit_core::oidc::Trust,
    pub sa_id: String,
    pub created_at: Timestamp,
    pub created_by: Option<Creator>,
    pub parent_id: Option<String>,
    pub revoked_at: Option<Timestamp>,
}

const TRUST_COLS: &str = "id, sa_id, spec, created_at, created_by, parent_id, revoked_at";

fn trust_from_row(r: &Row<'_>) -> rusqlite::Result<TrustRow> {
    Ok(TrustRow {
        trust: clouddigit_core::oidc::Trust {
            id: r.get(0)?,
            spec: json_col(r, 2)?,
        },
        sa_id: r.get(1)?,
        created_at: time_col(r, 3)?,
        created_by: opt_json_col(r, 4)?,
        parent_id: r.get(5)?,
        revoked_at: opt_time_col(r, 6)?,
    })
}

pub fn insert_trust(conn: &Connection, t: &TrustRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO trusts ({TRUST_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            t.trust.id,
            t.sa_id,
            to_json(&t.trust.spec)?,
            ts(t.created_at),
            t.created_by.as_ref().map(to_json).transpose()?,
            t.parent_id,
            t.revoked_at.map(ts)
        ],
    )?;
    Ok(())
}

/// An account's live trusts, oldest first.
pub fn trusts(conn: &Connection, sa_id: &str) -> rusqlite::Result<Vec<TrustRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {TRUST_COLS} FROM trusts WHERE sa_id = ?1 AND revoked_at IS NULL ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([sa_id], trust_from_row)?;
    rows.collect()
}

/// A trust by id, removed ones included (they refuse what they made).
pub fn trust(conn: &Connection, id: &str) -> rusqlite::Result<Option<TrustRow>> {
    conn.prepare_cached(&format!("SELECT {TRUST_COLS} FROM trusts WHERE id = ?1"))?
        .query_row([id], trust_from_row)
        .optional()
}

/// What a token the exchange minted came from, for the audit record of each call.
pub fn set_federated(conn: &Connection, token_id: &str, info: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tokens SET federated = ?2 WHERE id = ?1",
        [token_id, info],
    )?;
    Ok(())
}

pub fn federated(conn: &Connection, token_id: &str) -> rusqlite::Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT federated FROM tokens WHERE id = ?1")?
        .query_row([token_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

// ---------------------------------------------------------------- access keys

/// An access key's metadata (its secret's hash stays in the table).
#[derive(Debug, Clone)]
pub struct AccessKeyRow {
    pub id: String,
    pub sa_id: String,
    pub created_at: Timestamp,
    pub created_by: Option<Creator>,
    pub parent_id: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const KEY_COLS: &str = "id, sa_id, created_at, created_by, parent_id, expires_at, revoked_at";

fn key_from_row(r: &Row<'_>) -> rusqlite::Result<AccessKeyRow> {
    Ok(AccessKeyRow {
        id: r.get(0)?,
        sa_id: r.get(1)?,
        created_at: time_col(r, 2)?,
        created_by: opt_json_col::<Creator>(r, 3)?,
        parent_id: r.get(4)?,
        expires_at: opt_time_col(r, 5)?,
        revoked_at: opt_time_col(r, 6)?,
    })
}

pub fn insert_access_key(
    conn: &Connection,
    key: &AccessKeyRow,
    secret_hash: &str,
    secret_sealed: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO access_keys ({KEY_COLS}, secret_hash, secret_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            key.id,
            key.sa_id,
            ts(key.created_at),
            key.created_by.as_ref().map(to_json).transpose()?,
            key.parent_id,
            key.expires_at.map(ts),
            key.revoked_at.map(ts),
            secret_hash,
            secret_sealed
        ],
    )?;
    Ok(())
}

/// A key's sealed secret (`None` for a key made before S3 signing: it cannot sign).
pub fn access_key_sealed(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT secret_sealed FROM access_keys WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// An account's keys, revoked ones included (they show their `revoked_at`).
pub fn access_keys(conn: &Connection, sa_id: &str) -> rusqlite::Result<Vec<AccessKeyRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {KEY_COLS} FROM access_keys WHERE sa_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([sa_id], key_from_row)?;
    rows.collect()
}

pub fn access_key(conn: &Connection, id: &str) -> rusqlite::Result<Option<AccessKeyRow>> {
    conn.prepare_cached(&format!("SELECT {KEY_COLS} FROM access_keys WHERE id = ?1"))?
        .query_row([id], key_from_row)
        .optional()
}

/// The key whose secret hashes to `secret_hash` (hex SHA-256), revoked ones included.
pub fn access_key_by_secret_hash(
    conn: &Connection,
    secret_hash: &str,
) -> rusqlite::Result<Option<AccessKeyRow>> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLS} FROM access_keys WHERE secret_hash = ?1"
    ))?
    .query_row([secret_hash], key_from_row)
    .optional()
}

// ---------------------------------------------------------------- secret scanning keys

/// A secret scanner's public key the organization trusts.
#[derive(Debug, Clone)]
pub struct ScanningKeyRow {
    /// Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo.
    pub key_identifier: String,
    pub name: String,
    /// PEM, as the core writes it.
    pub pem: String,
    pub created_at: Timestamp,
    pub created_by: Option<Creator>,
}

const SCANNING_KEY_COLS: &str = "key_identifier, name, pem, created_at, created_by";

fn scanning_key_from_row(r: &Row<'_>) -> rusqlite::Result<ScanningKeyRow> {
    Ok(ScanningKeyRow {
        key_identifier: r.get(0)?,
        name: r.get(1)?,
        pem: r.get(2)?,
        created_at: time_col(r, 3)?,
        created_by: opt_json_col(r, 4)?,
    })
}

pub fn insert_scanning_key(conn: &Connection, k: &ScanningKeyRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO secret_scanning_keys ({SCANNING_KEY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5)"
        ),
        params![
            k.key_identifier,
            k.name,
            k.pem,
            ts(k.created_at),
            k.created_by.as_ref().map(to_json).transpose()?
        ],
    )?;
    Ok(())
}

/// Every trusted key, oldest first.
pub fn scanning_keys(conn: &Connection) -> rusqlite::Result<Vec<ScanningKeyRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SCANNING_KEY_COLS} FROM secret_scanning_keys ORDER BY created_at, key_identifier"
    ))?;
    let rows = st.query_map([], scanning_key_from_row)?;
    rows.collect()
}

pub fn scanning_key(
    conn: &Connection,
    key_identifier: &str,
) -> rusqlite::Result<Option<ScanningKeyRow>> {
    conn.prepare_cached(&format!(
        "SELECT {SCANNING_KEY_COLS} FROM secret_scanning_keys WHERE key_identifier = ?1"
    ))?
    .query_row([key_identifier], scanning_key_from_row)
    .optional()
}

pub fn scanning_key_named(
    conn: &Connection,
    name: &str,
) -> rusqlite::Result<Option<ScanningKeyRow>> {
    conn.prepare_cached(&format!(
        "SELECT {SCANNING_KEY_COLS} FROM secret_scanning_keys WHERE name = ?1"
    ))?
    .query_row([name], scanning_key_from_row)
    .optional()
}

/// Removes a key; whether there was one.
pub fn delete_scanning_key(conn: &Connection, key_identifier: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM secret_scanning_keys WHERE key_identifier = ?1",
        [key_identifier],
    )? > 0)
}

// ---------------------------------------------------------------- servers, buckets

/// A server, as the API shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Server {
    pub id: String,
    pub project: String,
    pub name: String,
    pub status: ServerStatus,
    pub tags: BTreeMap<String, String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    Running,
    Stopped,
}

fn server_from_row(r: &Row<'_>) -> rusqlite::Result<Server> {
    Ok(Server {
        id: r.get(0)?,
        project: r.get(1)?,
        name: r.get(2)?,
        status: enum_col::<ServerStatus>(r, 3)?,
        tags: json_col(r, 4)?,
        created_at: time_col(r, 5)?,
    })
}

pub fn servers(conn: &Connection, project: &str) -> rusqlite::Result<Vec<Server>> {
    let mut st = conn.prepare_cached(
        "SELECT id, project, name, status, tags, created_at FROM servers WHERE project = ?1 ORDER BY created_at, id",
    )?;
    let rows = st.query_map([project], server_from_row)?;
    rows.collect()
}

pub fn server(conn: &Connection, id: &str) -> rusqlite::Result<Option<Server>> {
    conn.prepare_cached(
        "SELECT id, project, name, status, tags, created_at FROM servers WHERE id = ?1",
    )?
    .query_row([id], server_from_row)
    .optional()
}

pub fn upsert_server(conn: &Connection, s: &Server) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO servers (id, project, name, status, tags, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET name = ?3, status = ?4, tags = ?5",
        params![s.id, s.project, s.name, enum_str(&s.status), to_json(&s.tags)?, ts(s.created_at)],
    )?;
    Ok(())
}

pub fn delete_server(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM servers WHERE id = ?1", [id])?;
    Ok(())
}

/// A bucket, as the API shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Bucket {
    pub name: String,
    pub project: String,
    pub object_lock: bool,
    pub tags: BTreeMap<String, String>,
    pub created_at: Timestamp,
}

fn bucket_from_row(r: &Row<'_>) -> rusqlite::Result<Bucket> {
    Ok(Bucket {
        name: r.get(0)?,
        project: r.get(1)?,
        object_lock: r.get(2)?,
        tags: json_col(r, 3)?,
        created_at: time_col(r, 4)?,
    })
}

pub fn buckets(conn: &Connection, project: &str) -> rusqlite::Result<Vec<Bucket>> {
    let mut st = conn.prepare_cached(
        "SELECT name, project, object_lock, tags, created_at FROM buckets WHERE project = ?1 ORDER BY name",
    )?;
    let rows = st.query_map([project], bucket_from_row)?;
    rows.collect()
}

pub fn bucket(conn: &Connection, name: &str) -> rusqlite::Result<Option<Bucket>> {
    conn.prepare_cached(
        "SELECT name, project, object_lock, tags, created_at FROM buckets WHERE name = ?1",
    )?
    .query_row([name], bucket_from_row)
    .optional()
}

pub fn upsert_bucket(conn: &Connection, b: &Bucket) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO buckets (name, project, object_lock, tags, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(name) DO UPDATE SET object_lock = ?3, tags = ?4",
        params![b.name, b.project, b.object_lock, to_json(&b.tags)?, ts(b.created_at)],
    )?;
    Ok(())
}

pub fn delete_bucket(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM buckets WHERE name = ?1", [name])?;
    Ok(())
}

// ---------------------------------------------------------------- audit

#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditEvent {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    pub request_id: String,
    pub time: String,
    pub token_name: Option<String>,
    pub token_prefix: Option<String>,
    pub actor: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub project: Option<String>,
    pub status: u16,
    pub error_code: Option<String>,
    pub source_ip: Option<String>,
    /// The calling credential's id: with its `parent_id` and `created_by` (in the token
    /// list) this is the call's place in the credential tree.
    pub token_id: Option<String>,
    /// For the organization's administrators: the full explanation of a denial (the
    /// caller got a shorter one, without the allow-list or the owner's email), or what
    /// the call made or ended (`created tok_…`, `revoked 3 descendants`).
    pub detail: Option<String>,
    /// The calling secret's SHA-256, base64 (`audit_format::hashed_token`).
    pub hashed_token: Option<String>,
}

pub fn insert_audit(conn: &Connection, e: &AuditEvent) -> rusqlite::Result<()> {
    if crate::leak::enabled() {
        crate::leak::audit(&serde_json::to_string(e).unwrap_or_default());
    }
    conn.prepare_cached(
        "INSERT INTO audit (request_id, time, token_name, token_prefix, actor, method, path, query, project, status, error_code, ip, token_id, detail, hashed_token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        e.request_id,
        e.time,
        e.token_name,
        e.token_prefix,
        e.actor,
        e.method,
        e.path,
        e.query,
        e.project,
        e.status,
        e.error_code,
        e.source_ip,
        e.token_id,
        e.detail,
        e.hashed_token
    ])?;
    Ok(())
}

pub fn audit_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT COUNT(*) FROM audit")?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))
}

/// How long and how much of the audit log is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age: chrono::Duration,
    pub max_events: u64,
}

/// Drops the events older than the retention's age and, past its count, the oldest;
/// returns how many went and the time of the newest one dropped.
pub fn trim_audit(
    conn: &Connection,
    retention: Retention,
    now: Timestamp,
    count: u64,
    keep_after: Option<i64>,
) -> rusqlite::Result<(u64, Option<String>)> {
    let cutoff = now
        .checked_sub_signed(retention.max_age)
        .map(ts)
        .unwrap_or_default();
    let newest_old: Option<String> = conn
        .prepare_cached("SELECT MAX(time) FROM audit WHERE time < ?1")?
        .query_row([&cutoff], |r| r.get(0))?;
    let mut dropped = conn
        .prepare_cached("DELETE FROM audit WHERE time < ?1")?
        .execute([&cutoff])? as u64;
    let mut newest = newest_old;
    let count = count.saturating_sub(dropped);
    if count > retention.max_events {
        // Down to a hundredth under the maximum (and one more, for the event recording
        // the drop): with a write per call, trimming to the maximum itself would drop one
        // event per call, and a tenth under it held the database for a delete of
        // 100,000 rows at a time (at the default 1,000,000), every call waiting on it.
        let excess = count - (retention.max_events - retention.max_events / 100) + 1;
        let last: Option<(i64, String)> = conn
            .prepare_cached("SELECT seq, time FROM audit ORDER BY seq LIMIT 1 OFFSET ?1")?
            .query_row(
                [i64::try_from(excess.saturating_sub(1)).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // Past the count, not into what an audit stream has yet to send.
        let last = match (last, keep_after) {
            (Some((seq, _)), Some(k)) if seq > k => conn
                .prepare_cached(
                    "SELECT seq, time FROM audit WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1",
                )?
                .query_row([k], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?,
            (last, _) => last,
        };
        if let Some((seq, time)) = last {
            dropped += conn
                .prepare_cached("DELETE FROM audit WHERE seq <= ?1")?
                .execute([seq])? as u64;
            newest = Some(newest.map_or(time.clone(), |n| n.max(time)));
        }
    }
    Ok((dropped, newest))
}

/// Filters for listing audit events; newest first, `before` is the cursor (a `seq`).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub token_prefix: Option<String>,
    pub hashed_token: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status_min: Option<u16>,
    pub status_max: Option<u16>,
    pub project: Option<String>,
    /// Text the path contains.
    pub path: Option<String>,
    pub before: Option<i64>,
    pub limit: usize,
}

/// The `WHERE` clause (from `WHERE 1=1` on) and its arguments for a filter, paging aside.
fn audit_where(f: &AuditFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from(" WHERE 1=1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut push = |clause: &str, v: rusqlite::types::Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    use rusqlite::types::Value as V;
    if let Some(a) = &f.actor {
        push(" AND actor = ?", V::Text(a.clone()));
    }
    if let Some(p) = &f.token_prefix {
        push(" AND token_prefix = ?", V::Text(p.clone()));
    }
    if let Some(h) = &f.hashed_token {
        push(" AND hashed_token = ?", V::Text(h.clone()));
    }
    if let Some(t) = &f.from {
        push(" AND time >= ?", V::Text(t.clone()));
    }
    if let Some(t) = &f.to {
        push(" AND time < ?", V::Text(t.clone()));
    }
    if let Some(s) = f.status_min {
        push(" AND status >= ?", V::Integer(i64::from(s)));
    }
    if let Some(s) = f.status_max {
        push(" AND status <= ?", V::Integer(i64::from(s)));
    }
    if let Some(p) = &f.project {
        push(" AND project = ?", V::Text(p.clone()));
    }
    if let Some(p) = &f.path {
        // Case-insensitive for ASCII, as paths are; instr, not LIKE, so % and _ are text.
        push(" AND instr(lower(path), lower(?)) > 0", V::Text(p.clone()));
    }
    if let Some(b) = f.before {
        push(" AND seq < ?", V::Integer(b));
    }
    (sql, args)
}

pub fn audit_events(conn: &Connection, f: &AuditFilter) -> rusqlite::Result<Vec<AuditEvent>> {
    let (mut sql, mut args) = audit_where(f);
    sql.insert_str(0, &format!("SELECT {AUDIT_COLS} FROM audit"));
    args.push(rusqlite::types::Value::Integer(f.limit as i64));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", args.len()));
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), audit_row)?;
    rows.collect()
}

/// Hands up to `f.limit` matching events, newest first from `f.before`, to `each` (time,
/// status, error code, address, method, path), one row at a time; answers how many and
/// the last one's `seq`, where the next chunk starts. A summary reads the log this way,
/// a chunk per hold of the database, so the API's calls do not wait behind a count of a
/// million events.
pub fn audit_calls(
    conn: &Connection,
    f: &AuditFilter,
    mut each: impl FnMut(&str, u16, Option<&str>, Option<&str>, &str, &str),
) -> rusqlite::Result<(usize, Option<i64>)> {
    let (mut sql, mut args) = audit_where(f);
    sql.insert_str(
        0,
        "SELECT seq, time, status, error_code, ip, method, path FROM audit",
    );
    args.push(rusqlite::types::Value::Integer(f.limit as i64));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", args.len()));
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let (mut n, mut last) = (0, None);
    while let Some(r) = rows.next()? {
        let time = r.get_ref(1)?.as_str()?;
        let status: u16 = r.get(2)?;
        let code = r.get_ref(3)?.as_str_or_null()?;
        let ip = r.get_ref(4)?.as_str_or_null()?;
        each(
            time,
            status,
            code,
            ip,
            r.get_ref(5)?.as_str()?,
            r.get_ref(6)?.as_str()?,
        );
        n += 1;
        last = Some(r.get(0)?);
    }
    Ok((n, last))
}

const AUDIT_COLS: &str = "seq, request_id, time, token_name, token_prefix, actor, method, path, query, project, status, error_code, ip, token_id, detail, hashed_token";

/// The events after `seq`, oldest first: what an audit stream has yet to send.
pub fn audit_after(conn: &Connection, seq: i64, limit: usize) -> rusqlite::Result<Vec<AuditEvent>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {AUDIT_COLS} FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    let rows = st.query_map(params![seq, limit as i64], audit_row)?;
    rows.collect()
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditEvent> {
    let seq: i64 = r.get(0)?;
    Ok(AuditEvent {
        seq,
        id: format!("ev_{seq}"),
        request_id: r.get(1)?,
        time: r.get(2)?,
        token_name: r.get(3)?,
        token_prefix: r.get(4)?,
        actor: r.get(5)?,
        method: r.get(6)?,
        path: r.get(7)?,
        query: r.get(8)?,
        project: r.get(9)?,
        status: r.get(10)?,
        error_code: r.get(11)?,
        source_ip: r.get(12)?,
        token_id: r.get(13)?,
        detail: r.get(14)?,
        hashed_token: r.get(15)?,
    })
}
