//! The S3 operations: each asks the principal (the core's evaluator) for the permission
//! the core names, reads or writes the store, and answers as S3 does.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use clouddigit_core::s3::{self as rules, Lister, Offer, Position, S3Operation};
use clouddigit_core::s3_body::{BodyError, BodyReader, BodySummary, ChecksumAlgorithm};
use futures_util::StreamExt;
use md5::Digest;
use tokio::io::AsyncWriteExt;

use super::auth::Principal;
use super::error::S3Error;
use super::xml::{self, Xml};
use super::{stream_file, Call};
use crate::db::{self, Bucket};
use crate::object_store::{self as store, Headers, ObjectRow, PartRow, UploadRow};
use crate::state::AppState;

/// S3's largest single PUT (and part): 5 GiB.
const MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024;
/// Request XML (delete lists, part lists, tags) is small; more is refused.
const MAX_XML: usize = 2 * 1024 * 1024;
/// Object headers a PUT may set and a GET sends back.
const STORED_HEADERS: [&str; 6] = [
    "content-type",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
];

pub async fn run(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    use S3Operation::*;
    match call.operation {
        ListBuckets => list_buckets(state, p),
        CreateBucket => create_bucket(state, call, p, body).await,
        HeadBucket => {
            bucket(state, p, call.bucket()?, call.operation.permission())?;
            Ok(region_header(state, StatusCode::OK.into_response()))
        }
        DeleteBucket => delete_bucket(state, call, p),
        GetBucketLocation => {
            bucket(state, p, call.bucket()?, call.operation.permission())?;
            let mut x = Xml::new("LocationConstraint");
            x.elem_text(&state.0.s3.region);
            Ok(xml_response(x.finish()))
        }
        ListObjectsV2 | ListObjects => list_objects(state, call, p),
        DeleteObjects => delete_objects(state, call, p, body).await,
        GetBucketTagging => {
            let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
            if b.tags.is_empty() {
                return Err(S3Error::new("NoSuchTagSet", "The TagSet does not exist")
                    .with("BucketName", b.name));
            }
            Ok(xml_response(tagging_xml(&b.tags)))
        }
        PutBucketTagging | DeleteBucketTagging => bucket_tagging(state, call, p, body).await,
        GetObjectLockConfiguration => {
            let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
            if !b.object_lock {
                return Err(S3Error::new(
                    "ObjectLockConfigurationNotFoundError",
                    "Object Lock configuration does not exist for this bucket",
                )
                .with("BucketName", b.name));
            }
            let mut x = Xml::new("ObjectLockConfiguration");
            x.elem("ObjectLockEnabled", "Enabled");
            Ok(xml_response(x.finish()))
        }
        PutObjectLockConfiguration => object_lock(state, call, p, body).await,
        PutObject => put_object(state, call, p, body).await,
        CopyObject => copy_object(state, call, p).await,
        GetObject | HeadObject => get_object(state, call, p).await,
        DeleteObject => {
            let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
            let old = store::delete_object(&*state.db()?, &b.name, call.key()?)?;
            state.0.s3.forget(old);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        GetObjectTagging => {
            let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
            let o = object(state, &b, call.key()?)?;
            Ok(xml_response(tagging_xml(&o.tags)))
        }
        PutObjectTagging | DeleteObjectTagging => object_tagging(state, call, p, body).await,
        CreateMultipartUpload => create_upload(state, call, p),
        UploadPart => upload_part(state, call, p, body).await,
        UploadPartCopy => upload_part_copy(state, call, p).await,
        CompleteMultipartUpload => complete_upload(state, call, p, body).await,
        AbortMultipartUpload => {
            let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
            let u = upload_of(state, call, &b)?;
            let blobs = store::abort_upload(&*state.db()?, &u.id)?;
            state.0.s3.forget(blobs);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        ListParts => list_parts(state, call, p),
    }
}

// ---------------------------------------------------------------- shared steps

/// The bucket, if it exists and `permission` on it is allowed.
fn bucket(
    state: &AppState,
    p: &Principal,
    name: &str,
    permission: &str,
) -> Result<Bucket, S3Error> {
    let b = db::bucket(&*state.db()?, name)?.ok_or_else(|| S3Error::no_such_bucket(name))?;
    p.require(permission, &b.project, Some(&b.tags))?;
    Ok(b)
}

fn object(state: &AppState, b: &Bucket, key: &str) -> Result<ObjectRow, S3Error> {
    store::object(&*state.db()?, &b.name, key)?.ok_or_else(|| S3Error::no_such_key(key))
}

fn xml_response(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    r
}

fn region_header(state: &AppState, mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&state.0.s3.region) {
        r.headers_mut().insert("x-amz-bucket-region", v);
    }
    r
}

fn set(h: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        h.insert(n, v);
    }
}

fn http_date(t: clouddigit_core::Timestamp) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn tagging_xml(tags: &BTreeMap<String, String>) -> String {
    let mut x = Xml::new("Tagging");
    x.open("TagSet");
    for (k, v) in tags {
        x.open("Tag").elem("Key", k).elem("Value", v).close("Tag");
    }
    x.close("TagSet");
    x.finish()
}

/// Tags as the API's tag rule takes them: S3's `InvalidTag` for what it refuses.
fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), S3Error> {
    let errors = crate::bodies::tag_errors("tags", tags);
    match errors.first() {
        None => Ok(()),
        Some(e) => Err(S3Error::new("InvalidTag", e.message.clone())),
    }
}

/// A `<Tagging>` body's tags, checked by the API's tag rule.
async fn body_tags(
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<BTreeMap<String, String>, S3Error> {
    let body = receive_small(call, p, body).await?;
    let t: xml::Tagging = xml::parse(&body)?;
    let mut tags = BTreeMap::new();
    for tag in t.tag_set.tags {
        if tags.insert(tag.key.clone(), tag.value).is_some() {
            return Err(S3Error::new(
                "InvalidTag",
                format!("tag {:?} is given twice", tag.key),
            ));
        }
    }
    check_tags(&tags)?;
    Ok(tags)
}

/// `x-amz-tagging: a=1&b=2` (URL-encoded).
fn header_tags(call: &Call) -> Result<Option<BTreeMap<String, String>>, S3Error> {
    let Some(h) = call.header("x-amz-tagging") else {
        return Ok(None);
    };
    let mut tags = BTreeMap::new();
    for (k, v) in crate::query::url_pairs(h) {
        if tags.insert(k.clone(), v).is_some() {
            return Err(S3Error::new(
                "InvalidTag",
                format!("tag {k:?} is given twice"),
            ));
        }
    }
    check_tags(&tags)?;
    Ok(Some(tags))
}

/// The headers an upload stores: the standard ones it sent (without `aws-chunked`, which
/// only framed this request) and `x-amz-meta-*`.
fn stored_headers(call: &Call) -> Headers {
    let mut h = Headers::new();
    for (k, v) in &call.headers {
        let k = k.to_ascii_lowercase();
        if k == "content-encoding" {
            let rest: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            if !rest.is_empty() {
                h.insert(k, rest.join(", "));
            }
        } else if STORED_HEADERS.contains(&k.as_str()) || k.starts_with("x-amz-meta-") {
            h.insert(k, v.clone());
        }
    }
    h
}

fn body_error(e: BodyError) -> S3Error {
    S3Error::new(e.code(), e.to_string())
}

/// Where an upload's bytes went.
enum Stored {
    /// A small object's bytes, for its row.
    Inline(Vec<u8>),
    /// A file.
    Blob(String),
}

impl Stored {
    /// The file to remove if the upload is not kept.
    fn blob(&self) -> Option<String> {
        match self {
            Stored::Inline(_) => None,
            Stored::Blob(b) => Some(b.clone()),
        }
    }
}

/// Streams a request body through the core's checks: kept in memory while it is small
/// (`inline_ok`: up to [`store::INLINE_MAX`]), into a new file beyond; nothing is kept if
/// any check fails.
async fn receive(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
    inline_ok: bool,
) -> Result<(Stored, BodySummary), S3Error> {
    let mut reader =
        BodyReader::new(&call.headers, &p.credential, p.signing_key.clone()).map_err(body_error)?;
    let limit = if inline_ok { store::INLINE_MAX } else { 0 };
    let mut held: Vec<u8> = Vec::new();
    let mut file: Option<(
        String,
        std::path::PathBuf,
        tokio::io::BufWriter<tokio::fs::File>,
    )> = None;
    let result = async {
        let mut stream = body.into_data_stream();
        let mut out = Vec::with_capacity(256 * 1024);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                S3Error::new("IncompleteBody", format!("the body ended early: {e}"))
            })?;
            out.clear();
            reader.feed(&chunk, &mut out).map_err(body_error)?;
            match &mut file {
                Some((_, _, f)) => f.write_all(&out).await?,
                None if held.len() + out.len() <= limit => held.extend_from_slice(&out),
                None => {
                    let (blob, path) = state.0.s3.new_blob();
                    let f = tokio::fs::File::create(&path).await?;
                    let (_, _, f) = file.insert((
                        blob,
                        path,
                        tokio::io::BufWriter::with_capacity(256 * 1024, f),
                    ));
                    f.write_all(&held).await?;
                    f.write_all(&out).await?;
                    held = Vec::new();
                }
            }
        }
        let summary = reader.finish().map_err(body_error)?;
        if summary.length > MAX_OBJECT {
            return Err(S3Error::new(
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size (5 GiB)",
            ));
        }
        if let Some((_, _, f)) = &mut file {
            f.flush().await?;
            if state.0.s3.durable() {
                f.get_ref().sync_all().await?;
            }
        }
        Ok(summary)
    }
    .await;
    match (result, file) {
        (Ok(s), Some((blob, _, _))) => Ok((Stored::Blob(blob), s)),
        (Ok(s), None) if inline_ok => Ok((Stored::Inline(held), s)),
        (Ok(s), None) => {
            // Parts always go to files (they are joined from there): an empty or small
            // one too.
            let (blob, _) = write_blob(state, held).await?;
            Ok((Stored::Blob(blob), s))
        }
        (Err(e), Some((_, path, _))) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// Writes `bytes` to a new blob (made durable with `--db`), returning it and its MD5.
async fn write_blob(state: &AppState, bytes: Vec<u8>) -> Result<(String, [u8; 16]), S3Error> {
    let md5: [u8; 16] = md5::Md5::digest(&bytes).into();
    let (blob, path) = state.0.s3.new_blob();
    let durable = state.0.s3.durable();
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&bytes)?;
        if durable {
            f.sync_all()?;
        }
        Ok(())
    })
    .await
    .map_err(|e| S3Error::internal(e.to_string()))?;
    match written {
        Ok(()) => Ok((blob, md5)),
        Err(e) => {
            state.0.s3.forget([blob]);
            Err(e.into())
        }
    }
}

/// A small body (XML), checked by the core like any other.
async fn receive_small(call: &Call, p: &Principal, body: Body) -> Result<Vec<u8>, S3Error> {
    let mut reader =
        BodyReader::new(&call.headers, &p.credential, p.signing_key.clone()).map_err(body_error)?;
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| S3Error::new("IncompleteBody", format!("the body ended early: {e}")))?;
        reader.feed(&chunk, &mut out).map_err(body_error)?;
        if out.len() > MAX_XML {
            return Err(S3Error::malformed_xml("the document is larger than 2 MiB"));
        }
    }
    reader.finish().map_err(body_error)?;
    Ok(out)
}

fn checksum_of(s: &BodySummary) -> Option<(String, String)> {
    s.checksum
        .as_ref()
        .map(|(alg, v)| (alg.name().to_owned(), v.clone()))
}

fn checksum_header(h: &mut HeaderMap, checksum: &Option<(String, String)>) {
    if let Some((alg, v)) = checksum {
        if let Some(a) = ChecksumAlgorithm::from_name(alg) {
            set(h, a.header(), v);
        }
    }
}

/// `x-amz-copy-source`: `bucket/key` (URL-encoded, a leading `/` allowed, `?versionId`
/// ignored: the sandbox keeps no versions).
fn copy_source(call: &Call) -> Result<(String, String), S3Error> {
    let raw = call.header("x-amz-copy-source").unwrap_or("");
    let raw = raw.split_once('?').map_or(raw, |(a, _)| a);
    let decoded = clouddigit_core::s3::decode_path(raw.trim_start_matches('/'));
    decoded
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .map(|(b, k)| (b.to_owned(), k.to_owned()))
        .ok_or_else(|| {
            S3Error::new(
                "InvalidArgument",
                "x-amz-copy-source must be bucket/key (URL-encoded)",
            )
        })
}

/// The object `x-amz-copy-source` names, once the caller may read it.
fn copy_source_object(state: &AppState, call: &Call, p: &Principal) -> Result<ObjectRow, S3Error> {
    let (src_bucket, src_key) = copy_source(call)?;
    let permission = call
        .operation
        .source_permission()
        .unwrap_or("storage.objects.get");
    let src_b = bucket(state, p, &src_bucket, permission)?;
    object(state, &src_b, &src_key)
}

/// Copies `len` bytes from `start` of one blob into a new one, returning its name and
/// MD5 (on the blocking pool: file copies are blocking work).
async fn copy_blob(
    state: &AppState,
    from: &str,
    start: u64,
    len: u64,
) -> Result<(String, [u8; 16]), S3Error> {
    let src = state.0.s3.path(from);
    let (blob, dst) = state.0.s3.new_blob();
    let durable = state.0.s3.durable();
    let result = tokio::task::spawn_blocking(move || -> std::io::Result<[u8; 16]> {
        let mut input = std::fs::File::open(&src)?;
        input.seek(std::io::SeekFrom::Start(start))?;
        let mut input = input.take(len);
        let mut output = std::io::BufWriter::new(std::fs::File::create(&dst)?);
        let mut md5 = md5::Md5::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            md5.update(&buf[..n]);
            output.write_all(&buf[..n])?;
        }
        let file = output.into_inner().map_err(|e| e.into_error())?;
        if durable {
            file.sync_all()?;
        }
        Ok(md5.finalize().into())
    })
    .await
    .map_err(|e| S3Error::internal(e.to_string()))?;
    match result {
        Ok(md5) => Ok((blob, md5)),
        Err(e) => {
            state.0.s3.forget([blob]);
            Err(e.into())
        }
    }
}

// ---------------------------------------------------------------- buckets

fn list_buckets(state: &AppState, p: &Principal) -> Result<Response, S3Error> {
    let mut shown = Vec::new();
    let mut refused = None;
    {
        let conn = state.db()?;
        for project in &p.projects {
            if !p.allows("storage.buckets.list", project, None)? {
                refused.get_or_insert(project.clone());
                continue;
            }
            for b in db::buckets(&conn, project)? {
                if p.owner.selects(&b.tags) {
                    shown.push(b);
                }
            }
        }
    }
    if shown.is_empty() {
        if let Some(project) = refused.filter(|_| {
            p.projects
                .iter()
                .all(|pr| !p.allows("storage.buckets.list", pr, None).unwrap_or(false))
        }) {
            p.require("storage.buckets.list", &project, None)?;
        }
    }
    shown.sort_by(|a, b| a.name.cmp(&b.name));
    let mut x = Xml::new("ListAllMyBucketsResult");
    x.open("Owner")
        .elem("ID", &p.key_id)
        .elem("DisplayName", &crate::auth::actor_label(&p.owner))
        .close("Owner");
    x.open("Buckets");
    for b in &shown {
        x.open("Bucket")
            .elem("Name", &b.name)
            .elem("CreationDate", &xml::time(b.created_at))
            .elem("BucketRegion", &state.0.s3.region)
            .close("Bucket");
    }
    x.close("Buckets");
    Ok(xml_response(x.finish()))
}

async fn create_bucket(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let name = call.bucket()?.to_owned();
    if !rules::valid_bucket_name(&name) {
        return Err(S3Error::new(
            "InvalidBucketName",
            "The specified bucket is not valid: 3 to 63 lowercase letters, digits, hyphens and dots, starting with a letter or digit",
        )
        .with("BucketName", name));
    }
    // The key's account's project (an organization-level account's first project).
    let project = p
        .projects
        .first()
        .cloned()
        .ok_or_else(|| S3Error::new("AccessDenied", "the access key reaches no project"))?;
    p.require(call.operation.permission(), &project, None)?;
    let lock = call
        .header("x-amz-bucket-object-lock-enabled")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if lock {
        p.require(S3Operation::object_lock_permission(true), &project, None)?;
    }
    let body = receive_small(call, p, body).await?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        let c: xml::CreateBucketConfiguration = xml::parse(&body)?;
        if let Some(loc) = c.location.filter(|l| !l.is_empty()) {
            if loc != state.0.s3.region {
                return Err(S3Error::new(
                    "IllegalLocationConstraintException",
                    format!(
                        "The {loc} location constraint is incompatible with this endpoint's region ({})",
                        state.0.s3.region
                    ),
                ));
            }
        }
    }
    let conn = state.db()?;
    if let Some(existing) = db::bucket(&conn, &name)? {
        let mine = p.projects.contains(&existing.project)
            && p.allows(
                "storage.buckets.get",
                &existing.project,
                Some(&existing.tags),
            )?;
        return Err(if mine {
            S3Error::new(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
            )
        } else {
            S3Error::new(
                "BucketAlreadyExists",
                "The requested bucket name is not available. Please select a different name and try again.",
            )
        }
        .with("BucketName", name));
    }
    db::upsert_bucket(
        &conn,
        &Bucket {
            name: name.clone(),
            project,
            object_lock: lock,
            tags: BTreeMap::new(),
            created_at: state.now(),
        },
    )?;
    let mut r = StatusCode::OK.into_response();
    set(r.headers_mut(), "location", &format!("/{name}"));
    Ok(r)
}

fn delete_bucket(state: &AppState, call: &Call, p: &Principal) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let blobs = {
        let conn = state.db()?;
        if !store::bucket_is_empty(&conn, &b.name)? {
            return Err(S3Error::new(
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
            )
            .with("BucketName", b.name));
        }
        db::atomically(&conn, |c| -> Result<Vec<String>, S3Error> {
            let blobs = store::drop_uploads(c, &b.name)?;
            db::delete_bucket(c, &b.name)?;
            Ok(blobs)
        })?
    };
    state.0.s3.forget(blobs);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Bucket tags decide who reaches the bucket (tag selectors), so a change is allowed
/// only where the caller may update the bucket both as it is and as it would be.
async fn bucket_tagging(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let mut b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let tags = if call.operation == S3Operation::PutBucketTagging {
        body_tags(call, p, body).await?
    } else {
        BTreeMap::new()
    };
    p.require(call.operation.permission(), &b.project, Some(&tags))?;
    b.tags = tags;
    db::upsert_bucket(&*state.db()?, &b)?;
    Ok(if call.operation == S3Operation::PutBucketTagging {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn object_lock(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let name = call.bucket()?;
    let mut b = db::bucket(&*state.db()?, name)?.ok_or_else(|| S3Error::no_such_bucket(name))?;
    let body = receive_small(call, p, body).await?;
    let c: xml::ObjectLockConfiguration = xml::parse(&body)?;
    let enabling = c.enabled.as_deref().map(str::trim) == Some("Enabled");
    // Turning it on is an ordinary permission; anything else needs the catalog's step-up
    // permission, which the evaluator refuses to every access key.
    p.require(
        S3Operation::object_lock_permission(enabling),
        &b.project,
        Some(&b.tags),
    )?;
    b.object_lock = enabling;
    db::upsert_bucket(&*state.db()?, &b)?;
    Ok(StatusCode::OK.into_response())
}

// ---------------------------------------------------------------- listing

fn list_objects(state: &AppState, call: &Call, p: &Principal) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let v2 = call.operation == S3Operation::ListObjectsV2;
    let prefix = call.param("prefix").unwrap_or_default();
    let delimiter = call.param("delimiter").filter(|d| !d.is_empty());
    let url = call.param("encoding-type").as_deref() == Some("url");
    let max_keys = match call.param("max-keys") {
        None => rules::MAX_KEYS,
        Some(m) => m.trim().parse::<usize>().map_err(|_| {
            S3Error::new(
                "InvalidArgument",
                "max-keys must be a number from 0 to 1000",
            )
            .with("ArgumentName", "max-keys")
        })?,
    };
    let token = call.param("continuation-token");
    let start_after = call.param(if v2 { "start-after" } else { "marker" });
    let after = match (&token, &start_after) {
        (Some(t), _) if v2 => Some(Position::from_token(t).ok_or_else(|| {
            S3Error::new(
                "InvalidArgument",
                "The continuation token provided is incorrect",
            )
            .with("ArgumentName", "continuation-token")
        })?),
        (_, Some(s)) if !s.is_empty() => Some(Position::Key(s.clone())),
        _ => None,
    };
    let mut lister = Lister::new(&prefix, delimiter.as_deref(), max_keys, after.clone());
    let mut rows: Vec<ObjectRow> = Vec::new();
    {
        let conn = state.db()?;
        store::scan_keys(
            &conn,
            &b.name,
            &prefix,
            after.as_ref().map(Position::key),
            |o| match lister.offer(&o.key) {
                Offer::Full => false,
                Offer::Content => {
                    rows.push(o);
                    true
                }
                Offer::Skipped => true,
            },
        )?;
    }
    let enc = |s: &str| {
        if url {
            rules::encode_key(s)
        } else {
            s.to_owned()
        }
    };
    let mut x = Xml::new("ListBucketResult");
    x.elem("Name", &b.name).elem("Prefix", &enc(&prefix));
    if v2 {
        if let Some(t) = &token {
            x.elem("ContinuationToken", t);
        }
        if let Some(s) = &start_after {
            x.elem("StartAfter", &enc(s));
        }
        x.elem(
            "KeyCount",
            &(rows.len() + lister.common_prefixes.len()).to_string(),
        );
    } else {
        x.elem("Marker", &enc(start_after.as_deref().unwrap_or("")));
    }
    x.elem("MaxKeys", &max_keys.min(rules::MAX_KEYS).to_string());
    if let Some(d) = &delimiter {
        x.elem("Delimiter", &enc(d));
    }
    if url {
        x.elem("EncodingType", "url");
    }
    x.elem(
        "IsTruncated",
        if lister.truncated { "true" } else { "false" },
    );
    if let Some(next) = lister.next() {
        if v2 {
            x.elem("NextContinuationToken", &next.token());
        } else if delimiter.is_some() {
            x.elem("NextMarker", &enc(next.key()));
        }
    }
    for o in &rows {
        x.open("Contents")
            .elem("Key", &enc(&o.key))
            .elem("LastModified", &xml::time(o.last_modified))
            .elem("ETag", &format!("\"{}\"", o.etag))
            .elem("Size", &o.size.to_string())
            .elem("StorageClass", "STANDARD")
            .close("Contents");
    }
    for cp in &lister.common_prefixes {
        x.open("CommonPrefixes")
            .elem("Prefix", &enc(cp))
            .close("CommonPrefixes");
    }
    Ok(xml_response(x.finish()))
}

// ---------------------------------------------------------------- objects

async fn put_object(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let key = call.key()?.to_owned();
    let tags = header_tags(call)?;
    if tags.is_some() {
        p.require("storage.objects.tag", &b.project, Some(&b.tags))?;
    }
    let if_none_match = call.header("if-none-match").map(str::trim) == Some("*");
    let (stored, summary) = receive(state, call, p, body, true).await?;
    let row = ObjectRow {
        bucket: b.name.clone(),
        key: key.clone(),
        size: summary.length,
        etag: hex::encode(summary.md5),
        last_modified: state.now(),
        headers: stored_headers(call),
        tags: tags.unwrap_or_default(),
        checksum: checksum_of(&summary),
        blob: stored.blob().unwrap_or_default(),
    };
    let data = match &stored {
        Stored::Inline(d) => Some(d.as_slice()),
        Stored::Blob(_) => None,
    };
    let replaced = {
        let conn = state.db()?;
        if if_none_match && store::object(&conn, &b.name, &key)?.is_some() {
            drop(conn);
            state.0.s3.forget(stored.blob());
            return Err(S3Error::new(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            )
            .with("Condition", "If-None-Match"));
        }
        store::put_object(&conn, &row, data)?
    };
    state.0.s3.forget(replaced);
    let mut r = StatusCode::OK.into_response();
    set(r.headers_mut(), "etag", &format!("\"{}\"", row.etag));
    checksum_header(r.headers_mut(), &row.checksum);
    Ok(r)
}

async fn copy_object(state: &AppState, call: &Call, p: &Principal) -> Result<Response, S3Error> {
    let dest = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let key = call.key()?.to_owned();
    let src = copy_source_object(state, call, p)?;
    let replace_meta = call
        .header("x-amz-metadata-directive")
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("REPLACE"));
    let replace_tags = call
        .header("x-amz-tagging-directive")
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("REPLACE"));
    if src.bucket == dest.name && src.key == key && !replace_meta && !replace_tags {
        return Err(S3Error::new(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata.",
        ));
    }
    let tags = if replace_tags {
        let t = header_tags(call)?.unwrap_or_default();
        p.require("storage.objects.tag", &dest.project, Some(&dest.tags))?;
        t
    } else {
        src.tags.clone()
    };
    let (blob, md5, data) = if src.inline() {
        let data = store::object_data(&*state.db()?, &src.bucket, &src.key)?.unwrap_or_default();
        let md5: [u8; 16] = md5::Md5::digest(&data).into();
        (String::new(), md5, Some(data))
    } else {
        let (blob, md5) = copy_blob(state, &src.blob, 0, src.size).await?;
        (blob, md5, None)
    };
    let row = ObjectRow {
        bucket: dest.name.clone(),
        key,
        size: src.size,
        etag: hex::encode(md5),
        last_modified: state.now(),
        headers: if replace_meta {
            stored_headers(call)
        } else {
            src.headers.clone()
        },
        tags,
        checksum: src.checksum.clone(),
        blob,
    };
    let replaced = store::put_object(&*state.db()?, &row, data.as_deref())?;
    state.0.s3.forget(replaced);
    let mut x = Xml::new("CopyObjectResult");
    x.elem("LastModified", &xml::time(row.last_modified))
        .elem("ETag", &format!("\"{}\"", row.etag));
    Ok(xml_response(x.finish()))
}

/// S3's conditional reads: `Some` is the answer instead of the object.
fn conditions(call: &Call, o: &ObjectRow) -> Option<Response> {
    let etag_in = |list: &str| {
        list.split(',')
            .map(|e| e.trim().trim_start_matches("W/").trim_matches('"'))
            .any(|e| e == "*" || e == o.etag)
    };
    let failed = || {
        S3Error::new(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .into_response()
    };
    let date = |name: &str| {
        call.header(name)
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v.trim()).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
    };
    // Second precision: the header cannot say more.
    let modified = o.last_modified.timestamp();
    if let Some(m) = call.header("if-match") {
        if !etag_in(m) {
            return Some(failed());
        }
    } else if date("if-unmodified-since").is_some_and(|d| modified > d.timestamp()) {
        return Some(failed());
    }
    if let Some(m) = call.header("if-none-match") {
        if etag_in(m) {
            return Some(StatusCode::NOT_MODIFIED.into_response());
        }
    } else if date("if-modified-since").is_some_and(|d| modified <= d.timestamp()) {
        return Some(StatusCode::NOT_MODIFIED.into_response());
    }
    None
}

async fn get_object(state: &AppState, call: &Call, p: &Principal) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let o = object(state, &b, call.key()?)?;
    if let Some(r) = conditions(call, &o) {
        return Ok(r);
    }
    let range = rules::byte_range(call.header("range"), o.size).map_err(|_| {
        S3Error::new("InvalidRange", "The requested range is not satisfiable")
            .with("ActualObjectSize", o.size.to_string())
    })?;
    let (status, start, len) = match range {
        Some((a, z)) => (StatusCode::PARTIAL_CONTENT, a, z - a + 1),
        None => (StatusCode::OK, 0, o.size),
    };
    let head = call.operation == S3Operation::HeadObject;
    let body = if head {
        Body::empty()
    } else if o.inline() {
        let data = store::object_data(&*state.db()?, &o.bucket, &o.key)?.unwrap_or_default();
        let (a, z) = (start as usize, (start + len) as usize);
        Body::from(data.get(a..z).map(<[u8]>::to_vec).unwrap_or_default())
    } else {
        let mut file = tokio::fs::File::open(state.0.s3.path(&o.blob))
            .await
            .map_err(|_| S3Error::no_such_key(&o.key))?;
        if start > 0 {
            use tokio::io::AsyncSeekExt;
            file.seek(std::io::SeekFrom::Start(start)).await?;
        }
        stream_file(file, len)
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    for (k, v) in &o.headers {
        set(h, k, v);
    }
    if !o.headers.contains_key("content-type") {
        set(h, "content-type", "binary/octet-stream");
    }
    // Presigned links may ask for other headers on the answer.
    for (param, name) in [
        ("response-content-type", "content-type"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
        ("response-content-language", "content-language"),
        ("response-cache-control", "cache-control"),
        ("response-expires", "expires"),
    ] {
        if let Some(v) = call.param(param) {
            set(h, name, &v);
        }
    }
    set(h, "content-length", &len.to_string());
    set(h, "etag", &format!("\"{}\"", o.etag));
    set(h, "last-modified", &http_date(o.last_modified));
    set(h, "accept-ranges", "bytes");
    if !o.tags.is_empty() {
        set(h, "x-amz-tagging-count", &o.tags.len().to_string());
    }
    if let Some((a, z)) = range {
        set(h, "content-range", &format!("bytes {a}-{z}/{}", o.size));
    } else if call
        .header("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
    {
        checksum_header(h, &o.checksum);
    }
    Ok(r)
}

async fn delete_objects(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let body = receive_small(call, p, body).await?;
    let d: xml::Delete = xml::parse(&body)?;
    if d.objects.len() > 1000 {
        return Err(S3Error::malformed_xml("at most 1000 keys a request"));
    }
    let mut blobs = Vec::new();
    {
        let conn = state.db()?;
        db::atomically(&conn, |c| -> Result<(), S3Error> {
            for o in &d.objects {
                blobs.extend(store::delete_object(c, &b.name, &o.key)?);
            }
            Ok(())
        })?;
    }
    state.0.s3.forget(blobs);
    let mut x = Xml::new("DeleteResult");
    if !d.quiet {
        for o in &d.objects {
            x.open("Deleted").elem("Key", &o.key).close("Deleted");
        }
    }
    Ok(xml_response(x.finish()))
}

async fn object_tagging(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let key = call.key()?;
    let tags = if call.operation == S3Operation::PutObjectTagging {
        body_tags(call, p, body).await?
    } else {
        BTreeMap::new()
    };
    if !store::set_object_tags(&*state.db()?, &b.name, key, &tags)? {
        return Err(S3Error::no_such_key(key));
    }
    Ok(if call.operation == S3Operation::PutObjectTagging {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

// ---------------------------------------------------------------- multipart uploads

fn create_upload(state: &AppState, call: &Call, p: &Principal) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let tags = header_tags(call)?;
    if tags.is_some() {
        p.require("storage.objects.tag", &b.project, Some(&b.tags))?;
    }
    let checksum_algorithm = match call.header("x-amz-checksum-algorithm") {
        None => None,
        Some(a) => Some(
            ChecksumAlgorithm::from_name(a)
                .ok_or_else(|| {
                    S3Error::new(
                        "InvalidRequest",
                        format!("unknown checksum algorithm {a:?}"),
                    )
                })?
                .name()
                .to_owned(),
        ),
    };
    let u = UploadRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        bucket: b.name.clone(),
        key: call.key()?.to_owned(),
        created_at: state.now(),
        headers: stored_headers(call),
        tags: tags.unwrap_or_default(),
        checksum_algorithm,
        initiator: p.key_id.clone(),
    };
    store::create_upload(&*state.db()?, &u)?;
    let mut x = Xml::new("InitiateMultipartUploadResult");
    x.elem("Bucket", &u.bucket)
        .elem("Key", &u.key)
        .elem("UploadId", &u.id);
    let mut r = xml_response(x.finish());
    if let Some(a) = &u.checksum_algorithm {
        set(r.headers_mut(), "x-amz-checksum-algorithm", a);
    }
    Ok(r)
}

fn upload_of(state: &AppState, call: &Call, b: &Bucket) -> Result<UploadRow, S3Error> {
    let id = call.param("uploadId").unwrap_or_default();
    match store::upload(&*state.db()?, &id)? {
        Some(u) if u.bucket == b.name && Some(u.key.as_str()) == call.key.as_deref() => Ok(u),
        _ => Err(S3Error::no_such_upload(&id)),
    }
}

fn part_number(call: &Call) -> Result<u32, S3Error> {
    call.param("partNumber")
        .and_then(|n| n.trim().parse::<u32>().ok())
        .filter(|n| (1..=rules::MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            S3Error::new(
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .with("ArgumentName", "partNumber")
        })
}

async fn upload_part(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let u = upload_of(state, call, &b)?;
    let number = part_number(call)?;
    let (stored, summary) = receive(state, call, p, body, false).await?;
    let blob = stored.blob().unwrap_or_default();
    let part = PartRow {
        number,
        size: summary.length,
        etag: hex::encode(summary.md5),
        md5: hex::encode(summary.md5),
        checksum: checksum_of(&summary),
        last_modified: state.now(),
        blob: blob.clone(),
    };
    let replaced = {
        let conn = state.db()?;
        // Aborted while the part streamed in: the part goes too.
        if store::upload(&conn, &u.id)?.is_none() {
            drop(conn);
            state.0.s3.forget([blob]);
            return Err(S3Error::no_such_upload(&u.id));
        }
        store::put_part(&conn, &u.id, &part)?
    };
    state.0.s3.forget(replaced);
    let mut r = StatusCode::OK.into_response();
    set(r.headers_mut(), "etag", &format!("\"{}\"", part.etag));
    checksum_header(r.headers_mut(), &part.checksum);
    Ok(r)
}

async fn upload_part_copy(
    state: &AppState,
    call: &Call,
    p: &Principal,
) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let u = upload_of(state, call, &b)?;
    let number = part_number(call)?;
    let src = copy_source_object(state, call, p)?;
    let (start, len) = match call.header("x-amz-copy-source-range") {
        None => (0, src.size),
        Some(r) => match rules::byte_range(Some(r), src.size) {
            Ok(Some((a, z))) => (a, z - a + 1),
            _ => {
                return Err(S3Error::new(
                    "InvalidArgument",
                    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                ))
            }
        },
    };
    let (blob, md5) = if src.inline() {
        let data = store::object_data(&*state.db()?, &src.bucket, &src.key)?.unwrap_or_default();
        let range = data
            .get(start as usize..(start + len) as usize)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        write_blob(state, range).await?
    } else {
        copy_blob(state, &src.blob, start, len).await?
    };
    let part = PartRow {
        number,
        size: len,
        etag: hex::encode(md5),
        md5: hex::encode(md5),
        checksum: None,
        last_modified: state.now(),
        blob,
    };
    let replaced = store::put_part(&*state.db()?, &u.id, &part)?;
    state.0.s3.forget(replaced);
    let mut x = Xml::new("CopyPartResult");
    x.elem("LastModified", &xml::time(part.last_modified))
        .elem("ETag", &format!("\"{}\"", part.etag));
    Ok(xml_response(x.finish()))
}

async fn complete_upload(
    state: &AppState,
    call: &Call,
    p: &Principal,
    body: Body,
) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let u = upload_of(state, call, &b)?;
    let body = receive_small(call, p, body).await?;
    let c: xml::CompleteMultipartUpload = xml::parse(&body)?;
    let parts = store::parts(&*state.db()?, &u.id)?;
    let requested: Vec<(u32, String)> = c.parts.into_iter().map(|p| (p.number, p.etag)).collect();
    let uploaded: Vec<(u32, String, u64)> = parts
        .iter()
        .map(|p| (p.number, p.etag.clone(), p.size))
        .collect();
    let chosen = rules::complete_parts(&requested, &uploaded).map_err(|code| {
        let message = match code {
            "InvalidPartOrder" => "The list of parts was not in ascending order. Parts must be ordered by part number.",
            "EntityTooSmall" => "Your proposed upload is smaller than the minimum allowed object size (5 MiB for every part but the last).",
            "InvalidPart" => "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            _ => "The XML you provided was not well-formed or did not validate against our published schema",
        };
        S3Error::new(code, message)
    })?;
    let chosen: Vec<PartRow> = chosen.into_iter().map(|i| parts[i].clone()).collect();
    let md5s: Vec<[u8; 16]> = chosen
        .iter()
        .map(|p| {
            let mut m = [0u8; 16];
            let _ = hex::decode_to_slice(&p.md5, &mut m);
            m
        })
        .collect();
    let etag = rules::multipart_etag(&md5s);
    // The parts joined into one file, on the blocking pool.
    let sources: Vec<std::path::PathBuf> =
        chosen.iter().map(|p| state.0.s3.path(&p.blob)).collect();
    let (blob, dst) = state.0.s3.new_blob();
    let durable = state.0.s3.durable();
    let joined = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let mut out = std::io::BufWriter::with_capacity(1024 * 1024, std::fs::File::create(&dst)?);
        let mut total = 0;
        for s in sources {
            total += std::io::copy(&mut std::fs::File::open(s)?, &mut out)?;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        if durable {
            file.sync_all()?;
        }
        Ok(total)
    })
    .await
    .map_err(|e| S3Error::internal(e.to_string()))?;
    let size = match joined {
        Ok(n) => n,
        Err(e) => {
            state.0.s3.forget([blob]);
            return Err(e.into());
        }
    };
    let row = ObjectRow {
        bucket: b.name.clone(),
        key: u.key.clone(),
        size,
        etag: etag.clone(),
        last_modified: state.now(),
        headers: u.headers.clone(),
        tags: u.tags.clone(),
        checksum: None,
        blob,
    };
    let old = {
        let conn = state.db()?;
        db::atomically(&conn, |c| -> Result<Vec<String>, S3Error> {
            if store::upload(c, &u.id)?.is_none() {
                return Err(S3Error::no_such_upload(&u.id));
            }
            let mut old: Vec<String> = store::put_object(c, &row, None)?.into_iter().collect();
            old.extend(store::abort_upload(c, &u.id)?);
            Ok(old)
        })
    };
    let old = match old {
        Ok(o) => o,
        Err(e) => {
            state.0.s3.forget([row.blob.clone()]);
            return Err(e);
        }
    };
    state.0.s3.forget(old);
    let mut x = Xml::new("CompleteMultipartUploadResult");
    x.elem(
        "Location",
        &format!("/{}/{}", b.name, rules::encode_key(&u.key)),
    )
    .elem("Bucket", &b.name)
    .elem("Key", &u.key)
    .elem("ETag", &format!("\"{etag}\""));
    Ok(xml_response(x.finish()))
}

fn list_parts(state: &AppState, call: &Call, p: &Principal) -> Result<Response, S3Error> {
    let b = bucket(state, p, call.bucket()?, call.operation.permission())?;
    let u = upload_of(state, call, &b)?;
    let max = call
        .param("max-parts")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(1000)
        .min(1000);
    let marker = call
        .param("part-number-marker")
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let parts: Vec<PartRow> = store::parts(&*state.db()?, &u.id)?
        .into_iter()
        .filter(|p| p.number > marker)
        .collect();
    let truncated = parts.len() > max;
    let shown = &parts[..parts.len().min(max)];
    let mut x = Xml::new("ListPartsResult");
    x.elem("Bucket", &b.name)
        .elem("Key", &u.key)
        .elem("UploadId", &u.id)
        .elem("PartNumberMarker", &marker.to_string())
        .elem(
            "NextPartNumberMarker",
            &shown.last().map_or(0, |p| p.number).to_string(),
        )
        .elem("MaxParts", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    x.open("Initiator")
        .elem("ID", &u.initiator)
        .close("Initiator");
    x.elem("StorageClass", "STANDARD");
    if let Some(a) = &u.checksum_algorithm {
        x.elem("ChecksumAlgorithm", a);
    }
    for part in shown {
        x.open("Part")
            .elem("PartNumber", &part.number.to_string())
            .elem("LastModified", &xml::time(part.last_modified))
            .elem("ETag", &format!("\"{}\"", part.etag))
            .elem("Size", &part.size.to_string());
        if let Some((alg, v)) = &part.checksum {
            x.elem(&format!("Checksum{alg}"), v);
        }
        x.close("Part");
    }
    Ok(xml_response(x.finish()))
}
