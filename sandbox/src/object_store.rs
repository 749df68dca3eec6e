//! Where the S3 endpoint keeps objects: their metadata in the sandbox's SQLite database
//! (so `--db` keeps them and an in-memory sandbox forgets them with everything else); the
//! bytes of small objects (up to [`INLINE_MAX`]) in the same row, and of larger ones and
//! of multipart parts in files, one each, written once and never changed: an
//! upload streams into a new file that replaces the old one only when the metadata
//! commits, so a reader holding the old file keeps reading it whole. Files sit beside
//! the database (`<db>.objects/`), or in a temporary directory removed at exit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clouddigit_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::db;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS s3_objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  last_modified TEXT NOT NULL, headers TEXT NOT NULL, tags TEXT NOT NULL,
  checksum TEXT, blob TEXT NOT NULL, data BLOB, PRIMARY KEY (bucket, key));
CREATE TABLE IF NOT EXISTS s3_uploads (
  id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, created_at TEXT NOT NULL,
  headers TEXT NOT NULL, tags TEXT NOT NULL, checksum_algorithm TEXT, initiator TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS s3_parts (
  upload_id TEXT NOT NULL, number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  md5 TEXT NOT NULL, checksum TEXT, last_modified TEXT NOT NULL, blob TEXT NOT NULL,
  PRIMARY KEY (upload_id, number));
"#;

/// Objects up to this size live in their database row: creating a file for each small
/// object was a third of a PutObject's server time, and an in-memory sandbox then keeps
/// them in memory indeed.
pub const INLINE_MAX: usize = 256 * 1024;

/// The S3 side of the sandbox's state.
#[derive(Debug)]
pub struct Store {
    /// The region the endpoint answers for: signatures must be scoped to it.
    pub region: String,
    dir: PathBuf,
    /// An in-memory sandbox's directory, removed when the store goes.
    temporary: bool,
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Stored with an object and sent back with it: content type and encoding, the other
/// standard headers a PUT may set, and `x-amz-meta-*`.
pub type Headers = BTreeMap<String, String>;

#[derive(Debug, Clone)]
pub struct ObjectRow {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Without quotes.
    pub etag: String,
    pub last_modified: Timestamp,
    pub headers: Headers,
    pub tags: BTreeMap<String, String>,
    /// `(algorithm name, base64 value)`, for a single-part upload that sent one.
    pub checksum: Option<(String, String)>,
    /// The file holding the bytes; empty when they are in the row ([`object_data`]).
    pub blob: String,
}

impl ObjectRow {
    pub fn inline(&self) -> bool {
        self.blob.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct UploadRow {
    pub id: String,
    pub bucket: String,
    pub key: String,
    pub created_at: Timestamp,
    pub headers: Headers,
    pub tags: BTreeMap<String, String>,
    pub checksum_algorithm: Option<String>,
    pub initiator: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRow {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub md5: String,
    pub checksum: Option<(String, String)>,
    pub last_modified: Timestamp,
    pub blob: String,
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: for<'de> Deserialize<'de> + Default>(s: Option<String>) -> T {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn time(s: String) -> Timestamp {
    s.parse().unwrap_or_default()
}

fn object_from_row(r: &Row<'_>) -> rusqlite::Result<ObjectRow> {
    Ok(ObjectRow {
        bucket: r.get(0)?,
        key: r.get(1)?,
        size: r.get::<_, i64>(2)?.max(0) as u64,
        etag: r.get(3)?,
        last_modified: time(r.get(4)?),
        headers: from_json(r.get(5)?),
        tags: from_json(r.get(6)?),
        checksum: from_json(r.get(7)?),
        blob: r.get(8)?,
    })
}

const OBJECT_COLS: &str = "bucket, key, size, etag, last_modified, headers, tags, checksum, blob";

impl Store {
    /// Objects in `<db>.objects/` beside a database file, else in a temporary directory.
    pub fn open(conn: &Connection, db: Option<&Path>, region: &str) -> std::io::Result<Store> {
        conn.execute_batch(SCHEMA).map_err(std::io::Error::other)?;
        let (dir, temporary) = match db {
            Some(p) => {
                let mut name = p.as_os_str().to_owned();
                name.push(".objects");
                (PathBuf::from(name), false)
            }
            None => (
                std::env::temp_dir().join(format!(
                    "clouddigit-sandbox-s3-{}",
                    uuid::Uuid::new_v4().simple()
                )),
                true,
            ),
        };
        std::fs::create_dir_all(&dir)?;
        Ok(Store {
            region: region.to_owned(),
            dir,
            temporary,
        })
    }

    /// Where a blob's bytes are.
    pub fn path(&self, blob: &str) -> PathBuf {
        self.dir.join(blob)
    }

    /// A new blob name and its path.
    pub fn new_blob(&self) -> (String, PathBuf) {
        let name = uuid::Uuid::new_v4().simple().to_string();
        let path = self.path(&name);
        (name, path)
    }

    /// Removes blobs nothing refers to any more (best effort: a missing file is fine).
    pub fn forget(&self, blobs: impl IntoIterator<Item = String>) {
        for b in blobs.into_iter().filter(|b| !b.is_empty()) {
            let _ = std::fs::remove_file(self.path(&b));
        }
    }

    /// Whether files are made durable before their metadata commits (with `--db`).
    pub fn durable(&self) -> bool {
        !self.temporary
    }
}

// ---------------------------------------------------------------- objects

pub fn object(conn: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<ObjectRow>> {
    conn.prepare_cached(&format!(
        "SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = ?1 AND key = ?2"
    ))?
    .query_row([bucket, key], object_from_row)
    .optional()
}

/// The bytes of an object kept in its row.
pub fn object_data(
    conn: &Connection,
    bucket: &str,
    key: &str,
) -> rusqlite::Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT data FROM s3_objects WHERE bucket = ?1 AND key = ?2")?
        .query_row([bucket, key], |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .flatten())
}

/// Writes `o` (with its bytes when they live in the row), returning the blob of the
/// object it replaced (to remove after commit).
pub fn put_object(
    conn: &Connection,
    o: &ObjectRow,
    data: Option<&[u8]>,
) -> rusqlite::Result<Option<String>> {
    let old: Option<String> = conn
        .prepare_cached("SELECT blob FROM s3_objects WHERE bucket = ?1 AND key = ?2")?
        .query_row([&o.bucket, &o.key], |r| r.get(0))
        .optional()?;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO s3_objects ({OBJECT_COLS}, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![
        o.bucket,
        o.key,
        o.size as i64,
        o.etag,
        db::ts(o.last_modified),
        json(&o.headers),
        json(&o.tags),
        o.checksum.as_ref().map(json),
        o.blob,
        data
    ])?;
    Ok(old.filter(|b| *b != o.blob && !b.is_empty()))
}

/// Deletes an object, returning its blob.
pub fn delete_object(
    conn: &Connection,
    bucket: &str,
    key: &str,
) -> rusqlite::Result<Option<String>> {
    let old: Option<String> = conn
        .prepare_cached("SELECT blob FROM s3_objects WHERE bucket = ?1 AND key = ?2")?
        .query_row([bucket, key], |r| r.get(0))
        .optional()?;
    conn.prepare_cached("DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2")?
        .execute([bucket, key])?;
    Ok(old)
}

pub fn set_object_tags(
    conn: &Connection,
    bucket: &str,
    key: &str,
    tags: &BTreeMap<String, String>,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE s3_objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2",
        params![bucket, key, json(tags)],
    )? > 0)
}

/// Keys of `bucket` after `after` (exclusive) with `prefix`, in order, for the core's
/// lister: `each` returns false to stop.
pub fn scan_keys(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    after: Option<&str>,
    mut each: impl FnMut(ObjectRow) -> bool,
) -> rusqlite::Result<()> {
    let start = match after {
        Some(a) if a >= prefix => a.to_owned(),
        _ => prefix.to_owned(),
    };
    let inclusive = after.is_none_or(|a| a < prefix);
    let mut st = conn.prepare_cached(&format!(
        "SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = ?1 AND (key > ?2 OR (?3 AND key = ?2)) ORDER BY key"
    ))?;
    let mut rows = st.query(params![bucket, start, inclusive])?;
    while let Some(r) = rows.next()? {
        let o = object_from_row(r)?;
        if !o.key.starts_with(prefix) {
            break;
        }
        if !each(o) {
            break;
        }
    }
    Ok(())
}

pub fn bucket_is_empty(conn: &Connection, bucket: &str) -> rusqlite::Result<bool> {
    Ok(!conn
        .prepare_cached("SELECT 1 FROM s3_objects WHERE bucket = ?1 LIMIT 1")?
        .exists([bucket])?)
}

/// Drops a bucket's unfinished uploads (deleting the bucket aborts them), returning
/// their parts' blobs.
pub fn drop_uploads(conn: &Connection, bucket: &str) -> rusqlite::Result<Vec<String>> {
    let mut blobs = Vec::new();
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM s3_uploads WHERE bucket = ?1")?
        .query_map([bucket], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        blobs.extend(abort_upload(conn, &id)?);
    }
    Ok(blobs)
}

// ---------------------------------------------------------------- multipart uploads

pub fn create_upload(conn: &Connection, u: &UploadRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO s3_uploads (id, bucket, key, created_at, headers, tags, checksum_algorithm, initiator) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            u.id,
            u.bucket,
            u.key,
            db::ts(u.created_at),
            json(&u.headers),
            json(&u.tags),
            u.checksum_algorithm,
            u.initiator
        ],
    )?;
    Ok(())
}

pub fn upload(conn: &Connection, id: &str) -> rusqlite::Result<Option<UploadRow>> {
    conn.prepare_cached(
        "SELECT id, bucket, key, created_at, headers, tags, checksum_algorithm, initiator FROM s3_uploads WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(UploadRow {
            id: r.get(0)?,
            bucket: r.get(1)?,
            key: r.get(2)?,
            created_at: time(r.get(3)?),
            headers: from_json(r.get(4)?),
            tags: from_json(r.get(5)?),
            checksum_algorithm: r.get(6)?,
            initiator: r.get(7)?,
        })
    })
    .optional()
}

/// Records a part, returning the blob of the part it replaced.
pub fn put_part(
    conn: &Connection,
    upload_id: &str,
    p: &PartRow,
) -> rusqlite::Result<Option<String>> {
    let old: Option<String> = conn
        .prepare_cached("SELECT blob FROM s3_parts WHERE upload_id = ?1 AND number = ?2")?
        .query_row(params![upload_id, p.number], |r| r.get(0))
        .optional()?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO s3_parts (upload_id, number, size, etag, md5, checksum, last_modified, blob) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        upload_id,
        p.number,
        p.size as i64,
        p.etag,
        p.md5,
        p.checksum.as_ref().map(json),
        db::ts(p.last_modified),
        p.blob
    ])?;
    Ok(old)
}

pub fn parts(conn: &Connection, upload_id: &str) -> rusqlite::Result<Vec<PartRow>> {
    let mut st = conn.prepare_cached(
        "SELECT number, size, etag, md5, checksum, last_modified, blob FROM s3_parts WHERE upload_id = ?1 ORDER BY number",
    )?;
    let rows = st.query_map([upload_id], |r| {
        Ok(PartRow {
            number: r.get(0)?,
            size: r.get::<_, i64>(1)?.max(0) as u64,
            etag: r.get(2)?,
            md5: r.get(3)?,
            checksum: from_json(r.get(4)?),
            last_modified: time(r.get(5)?),
            blob: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// Ends an upload (aborted or completed), returning its parts' blobs.
pub fn abort_upload(conn: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let blobs: Vec<String> = conn
        .prepare_cached("SELECT blob FROM s3_parts WHERE upload_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute("DELETE FROM s3_parts WHERE upload_id = ?1", [id])?;
    conn.execute("DELETE FROM s3_uploads WHERE id = ?1", [id])?;
    Ok(blobs)
}
