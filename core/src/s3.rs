//! Which S3 operation a path-style request is, and the catalog permissions it needs: the
//! S3 endpoint's calls are decided by the same evaluator as every `/v1` call, so each
//! operation names the permission(s) it is checked against, with the bucket (whose
//! project and tags the host looks up) and the key.

/// An S3 operation, as the AWS SDKs' everyday calls send it (path-style addressing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum S3Operation {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    ListObjectsV2,
    ListObjects,
    DeleteObjects,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetObjectLockConfiguration,
    PutObjectLockConfiguration,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
}

/// A request read as an operation on a bucket and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Request {
    pub operation: S3Operation,
    /// `None` for ListBuckets.
    pub bucket: Option<String>,
    /// `None` for bucket operations.
    pub key: Option<String>,
}

/// Why a request is no S3 operation this endpoint serves (S3's `NotImplemented` or
/// `MethodNotAllowed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} with {what} is not an S3 operation this endpoint serves")]
pub struct UnknownOperation {
    pub method: String,
    pub what: String,
}

impl S3Operation {
    /// The catalog permission it is checked against (CopyObject and UploadPartCopy also
    /// need [`S3Operation::source_permission`] on the source).
    pub fn permission(self) -> &'static str {
        use S3Operation::*;
        match self {
            ListBuckets => "storage.buckets.list",
            CreateBucket => "storage.buckets.create",
            HeadBucket | GetBucketLocation | GetBucketTagging | GetObjectLockConfiguration => {
                "storage.buckets.get"
            }
            DeleteBucket => "storage.buckets.delete",
            PutBucketTagging | DeleteBucketTagging => "storage.buckets.update",
            PutObjectLockConfiguration => "storage.buckets.enable_object_lock",
            ListObjectsV2 | ListObjects => "storage.objects.list",
            GetObject | HeadObject | GetObjectTagging => "storage.objects.get",
            PutObject
            | CopyObject
            | CreateMultipartUpload
            | UploadPart
            | UploadPartCopy
            | CompleteMultipartUpload => "storage.objects.put",
            PutObjectTagging | DeleteObjectTagging => "storage.objects.tag",
            AbortMultipartUpload => "storage.objects.abort_upload",
            ListParts => "storage.objects.list_parts",
            DeleteObject | DeleteObjects => "storage.objects.delete",
        }
    }

    /// PutObjectLockConfiguration: turning Object Lock on is
    /// `storage.buckets.enable_object_lock`; a configuration that turns it off or weakens
    /// it needs the catalog's step-up permission, which no access key carries.
    pub fn object_lock_permission(enabling: bool) -> &'static str {
        if enabling {
            "storage.buckets.enable_object_lock"
        } else {
            "storage.buckets.disable_object_lock"
        }
    }

    /// What the source of a copy needs.
    pub fn source_permission(self) -> Option<&'static str> {
        matches!(self, S3Operation::CopyObject | S3Operation::UploadPartCopy)
            .then_some("storage.objects.get")
    }
}

/// S3's bucket-name rule, as far as Cloud Digit keeps it: 3 to 63 lowercase letters,
/// digits, hyphens and dots, starting with a letter or digit. The pattern is for schemas
/// (OpenAPI); [`valid_bucket_name`] is the same rule (a test holds them together).
pub const BUCKET_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9.-]{2,62}$";

pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
}

/// A path or header percent-decoded as S3 reads it (`+` stays a plus).
pub fn decode_path(s: &str) -> String {
    crate::sigv4::decode(s)
}

/// A key as a listing answers it under `encoding-type=url` (which the AWS SDKs ask for
/// and undo): percent-encoded but for letters, digits, `-_.~` and `/`.
pub fn encode_key(key: &str) -> String {
    crate::sigv4::encode(key, true)
}

/// The HTTP status S3 answers an error code with (500 for a code it does not list).
pub fn error_status(code: &str) -> u16 {
    match code {
        "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchUpload"
        | "NoSuchTagSet"
        | "ObjectLockConfigurationNotFoundError" => 404,
        "BucketNotEmpty" | "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => 409,
        "AccessDenied"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "RequestTimeTooSkewed"
        | "AccountProblem" => 403,
        "MethodNotAllowed" => 405,
        "PreconditionFailed" => 412,
        "InvalidRange" => 416,
        "NotImplemented" => 501,
        "SlowDown" => 503,
        "InternalError" => 500,
        _ => 400,
    }
}

/// S3's `InvalidRange`: the range starts past the object's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the range starts past the object's end")]
pub struct InvalidRange;

/// The byte range of a `Range` header on an object of `size` bytes: `Ok(None)` serves
/// the whole object (no header, or one S3 ignores: several ranges, another unit, a
/// malformed value), `Err` is S3's `InvalidRange` (416).
pub fn byte_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, InvalidRange> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| s.parse::<u64>().ok();
    let range = match (a.is_empty(), b.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match num(b) {
            Some(0) => return Err(InvalidRange),
            Some(n) if size == 0 => return if n > 0 { Ok(None) } else { Err(InvalidRange) },
            Some(n) => (size.saturating_sub(n), size - 1),
            None => return Ok(None),
        },
        (false, true) => match num(a) {
            Some(start) => (start, size.saturating_sub(1)),
            None => return Ok(None),
        },
        (false, false) => match (num(a), num(b)) {
            (Some(start), Some(end)) if start <= end => (start, end.min(size.saturating_sub(1))),
            _ => return Ok(None),
        },
        (true, true) => return Ok(None),
    };
    if range.0 >= size {
        return Err(InvalidRange);
    }
    Ok(Some(range))
}

/// A multipart object's ETag: the MD5 of its parts' MD5s, then `-` and the part count.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for m in part_md5s {
        h.update(m);
    }
    format!("{}-{}", hex::encode(h.finalize()), part_md5s.len())
}

/// A part smaller than this may only be the last (S3's `EntityTooSmall`).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part numbers run from 1 to this.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// Checks CompleteMultipartUpload's list against the parts uploaded (`(number, etag,
/// size)`, any order): S3's error code for the first thing wrong, or the parts to join
/// in order (indexes into `uploaded`).
pub fn complete_parts(
    requested: &[(u32, String)],
    uploaded: &[(u32, String, u64)],
) -> Result<Vec<usize>, &'static str> {
    if requested.is_empty() {
        return Err("MalformedXML");
    }
    if requested.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err("InvalidPartOrder");
    }
    let mut out = Vec::with_capacity(requested.len());
    for (number, etag) in requested {
        let want = etag.trim().trim_matches('"');
        let found = uploaded
            .iter()
            .position(|(n, e, _)| n == number && e.trim_matches('"') == want)
            .ok_or("InvalidPart")?;
        out.push(found);
    }
    if out[..out.len() - 1]
        .iter()
        .any(|&i| uploaded[i].2 < MIN_PART_SIZE)
    {
        return Err("EntityTooSmall");
    }
    Ok(out)
}

/// One page of a listing being made: the host offers keys in order (from the one after
/// where the page starts) and stops when [`Lister::offer`] says the page is full.
#[derive(Debug, Clone)]
pub struct Lister {
    prefix: String,
    delimiter: Option<String>,
    max_keys: usize,
    after: Option<Position>,
    entries: usize,
    pub contents: Vec<String>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    last: Option<Position>,
}

/// Where a listing stopped: after a key, or after a common prefix (whose keys a next
/// page skips).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Key(String),
    Prefix(String),
}

/// What an offered key became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// A key of the page.
    Content,
    /// Rolled into a common prefix (new or already listed), or before the page.
    Skipped,
    /// The page is full: stop offering.
    Full,
}

impl Position {
    /// An opaque continuation token (base64url of a tagged key).
    pub fn token(&self) -> String {
        use base64::Engine as _;
        let tagged = match self {
            Position::Key(k) => format!("k{k}"),
            Position::Prefix(p) => format!("p{p}"),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tagged)
    }

    /// `None` for a token this endpoint did not make.
    pub fn from_token(token: &str) -> Option<Position> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut chars = text.chars();
        match chars.next()? {
            'k' => Some(Position::Key(chars.as_str().to_owned())),
            'p' => Some(Position::Prefix(chars.as_str().to_owned())),
            _ => None,
        }
    }

    /// The key a host's scan may start after (inclusive bound is the host's business).
    pub fn key(&self) -> &str {
        match self {
            Position::Key(k) | Position::Prefix(k) => k,
        }
    }
}

/// S3's default and largest page.
pub const MAX_KEYS: usize = 1000;

impl Lister {
    /// `max_keys` is capped at [`MAX_KEYS`]; `after` is where the previous page stopped
    /// (a continuation token or `start-after`).
    pub fn new(
        prefix: &str,
        delimiter: Option<&str>,
        max_keys: usize,
        after: Option<Position>,
    ) -> Lister {
        Lister {
            prefix: prefix.to_owned(),
            delimiter: delimiter.filter(|d| !d.is_empty()).map(str::to_owned),
            max_keys: max_keys.min(MAX_KEYS),
            after,
            entries: 0,
            contents: Vec::new(),
            common_prefixes: Vec::new(),
            truncated: false,
            last: None,
        }
    }

    /// The next key in order.
    pub fn offer(&mut self, key: &str) -> Offer {
        if !key.starts_with(&self.prefix) {
            return Offer::Skipped;
        }
        match &self.after {
            Some(Position::Key(k)) if key <= k.as_str() => return Offer::Skipped,
            Some(Position::Prefix(p)) if key <= p.as_str() || key.starts_with(p.as_str()) => {
                return Offer::Skipped
            }
            _ => {}
        }
        let rolled = self.delimiter.as_deref().and_then(|d| {
            key[self.prefix.len()..]
                .find(d)
                .map(|i| key[..self.prefix.len() + i + d.len()].to_owned())
        });
        if let Some(cp) = &rolled {
            if self.common_prefixes.last() == Some(cp) {
                return Offer::Skipped;
            }
        }
        if self.entries >= self.max_keys {
            self.truncated = true;
            return Offer::Full;
        }
        self.entries += 1;
        match rolled {
            Some(cp) => {
                self.last = Some(Position::Prefix(cp.clone()));
                self.common_prefixes.push(cp);
                Offer::Skipped
            }
            None => {
                self.last = Some(Position::Key(key.to_owned()));
                self.contents.push(key.to_owned());
                Offer::Content
            }
        }
    }

    /// Where a next page starts, when this one is truncated.
    pub fn next(&self) -> Option<&Position> {
        self.truncated.then_some(self.last.as_ref()).flatten()
    }
}

fn has(query: &str, name: &str) -> bool {
    query
        .split('&')
        .any(|p| p.split_once('=').map_or(p, |(k, _)| k) == name)
}

/// Reads a path-style request (`/bucket/key...`, raw path and query as sent) as an S3
/// operation. `copy_source`: whether an `x-amz-copy-source` header came with it.
pub fn operation(
    method: &str,
    path: &str,
    query: &str,
    copy_source: bool,
) -> Result<S3Request, UnknownOperation> {
    use crate::sigv4::decode;
    use S3Operation::*;
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = match trimmed.split_once('/') {
        Some((b, k)) if !k.is_empty() => (Some(decode(b)), Some(decode(k))),
        Some(_) | None if !trimmed.is_empty() => {
            (Some(decode(trimmed.trim_end_matches('/'))), None)
        }
        _ => (None, None),
    };
    let q = |n: &str| has(query, n);
    let op = match (method, bucket.is_some(), key.is_some()) {
        ("GET", false, _) => Some(ListBuckets),
        (m, true, false) => match m {
            "PUT" if q("tagging") => Some(PutBucketTagging),
            "PUT" if q("object-lock") => Some(PutObjectLockConfiguration),
            "PUT" => Some(CreateBucket),
            "HEAD" => Some(HeadBucket),
            "DELETE" if q("tagging") => Some(DeleteBucketTagging),
            "DELETE" => Some(DeleteBucket),
            "GET" if q("location") => Some(GetBucketLocation),
            "GET" if q("tagging") => Some(GetBucketTagging),
            "GET" if q("object-lock") => Some(GetObjectLockConfiguration),
            "GET" if q("list-type") => Some(ListObjectsV2),
            "GET" => Some(ListObjects),
            "POST" if q("delete") => Some(DeleteObjects),
            _ => None,
        },
        (m, true, true) => match m {
            "PUT" if q("partNumber") && q("uploadId") && copy_source => Some(UploadPartCopy),
            "PUT" if q("partNumber") && q("uploadId") => Some(UploadPart),
            "PUT" if q("tagging") => Some(PutObjectTagging),
            "PUT" if copy_source => Some(CopyObject),
            "PUT" => Some(PutObject),
            "POST" if q("uploads") => Some(CreateMultipartUpload),
            "POST" if q("uploadId") => Some(CompleteMultipartUpload),
            "DELETE" if q("uploadId") => Some(AbortMultipartUpload),
            "DELETE" if q("tagging") => Some(DeleteObjectTagging),
            "DELETE" => Some(DeleteObject),
            "GET" if q("uploadId") => Some(ListParts),
            "GET" if q("tagging") => Some(GetObjectTagging),
            "GET" => Some(GetObject),
            "HEAD" => Some(HeadObject),
            _ => None,
        },
        _ => None,
    };
    match op {
        Some(operation) => Ok(S3Request {
            operation,
            bucket,
            key,
        }),
        None => Err(UnknownOperation {
            method: method.to_owned(),
            what: if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::S3Operation::*;
    use super::*;
    use crate::Catalog;

    #[test]
    fn the_sdks_everyday_calls_read_as_their_operations() {
        let cases = [
            ("GET", "/", "", false, ListBuckets),
            ("PUT", "/web-assets", "", false, CreateBucket),
            ("HEAD", "/web-assets", "", false, HeadBucket),
            ("GET", "/web-assets", "location", false, GetBucketLocation),
            (
                "GET",
                "/web-assets",
                "list-type=2&prefix=a%2F",
                false,
                ListObjectsV2,
            ),
            ("POST", "/web-assets", "delete", false, DeleteObjects),
            ("PUT", "/web-assets/a/b.txt", "", false, PutObject),
            ("PUT", "/web-assets/a/b.txt", "", true, CopyObject),
            ("GET", "/web-assets/a/b.txt", "", false, GetObject),
            ("HEAD", "/web-assets/a/b.txt", "", false, HeadObject),
            ("DELETE", "/web-assets/a/b.txt", "", false, DeleteObject),
            (
                "POST",
                "/web-assets/big.bin",
                "uploads",
                false,
                CreateMultipartUpload,
            ),
            (
                "PUT",
                "/web-assets/big.bin",
                "partNumber=1&uploadId=u",
                false,
                UploadPart,
            ),
            (
                "POST",
                "/web-assets/big.bin",
                "uploadId=u",
                false,
                CompleteMultipartUpload,
            ),
            (
                "DELETE",
                "/web-assets/big.bin",
                "uploadId=u",
                false,
                AbortMultipartUpload,
            ),
            ("GET", "/web-assets/big.bin", "uploadId=u", false, ListParts),
            ("PUT", "/web-assets/a", "tagging", false, PutObjectTagging),
            ("GET", "/web-assets", "tagging", false, GetBucketTagging),
            (
                "PUT",
                "/web-assets",
                "object-lock",
                false,
                PutObjectLockConfiguration,
            ),
        ];
        for (method, path, query, copy, want) in cases {
            let got = operation(method, path, query, copy).unwrap();
            assert_eq!(got.operation, want, "{method} {path}?{query}");
        }
        let r = operation("GET", "/web-assets/a%20b/c.txt", "", false).unwrap();
        assert_eq!(
            (r.bucket.as_deref(), r.key.as_deref()),
            (Some("web-assets"), Some("a b/c.txt"))
        );
        assert!(operation("PATCH", "/web-assets/a", "", false).is_err());
    }

    #[test]
    fn bucket_names_follow_the_pattern() {
        let re = regex::Regex::new(BUCKET_NAME_PATTERN).unwrap();
        for name in [
            "ab",
            "abc",
            "web-assets",
            "a.b-c",
            "-abc",
            ".abc",
            "Abc",
            "abc_d",
            "ab\u{e9}",
            "0ab",
            &"a".repeat(63),
            &"a".repeat(64),
            "",
        ] {
            assert_eq!(valid_bucket_name(name), re.is_match(name), "{name:?}");
        }
    }

    #[test]
    fn ranges_read_as_s3_reads_them() {
        assert_eq!(byte_range(None, 10), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(byte_range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(byte_range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(byte_range(Some("bytes=-30"), 10), Ok(Some((0, 9))));
        assert_eq!(byte_range(Some("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(byte_range(Some("bytes=10-"), 10), Err(InvalidRange));
        assert_eq!(byte_range(Some("bytes=-0"), 10), Err(InvalidRange));
        assert_eq!(byte_range(Some("bytes=3-1"), 10), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-1,4-5"), 10), Ok(None));
        assert_eq!(byte_range(Some("items=0-1"), 10), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-"), 0), Err(InvalidRange));
    }

    #[test]
    fn listing_pages_roll_up_prefixes_and_continue_past_them() {
        let keys = ["a/1", "a/2", "b", "c/1", "c/2/x", "d"];
        let page = |delim: Option<&str>, max: usize, after: Option<Position>| {
            let mut l = Lister::new("", delim, max, after);
            for k in keys {
                if l.offer(k) == Offer::Full {
                    break;
                }
            }
            l
        };
        let all = page(Some("/"), 1000, None);
        assert_eq!(all.contents, ["b", "d"]);
        assert_eq!(all.common_prefixes, ["a/", "c/"]);
        assert!(!all.truncated);
        // Two entries a page: a prefix counts as one, and the next page skips its keys.
        let p1 = page(Some("/"), 2, None);
        assert_eq!(
            (p1.contents.clone(), p1.common_prefixes.clone()),
            (vec!["b".to_owned()], vec!["a/".to_owned()])
        );
        let next = p1.next().cloned().unwrap();
        let token = next.token();
        assert_eq!(Position::from_token(&token), Some(next.clone()));
        let p2 = page(Some("/"), 2, Position::from_token(&token));
        assert_eq!(
            (p2.contents.clone(), p2.common_prefixes.clone()),
            (vec!["d".to_owned()], vec!["c/".to_owned()])
        );
        assert!(!p2.truncated);
        // Without a delimiter, every key; with a prefix, only its keys.
        assert_eq!(page(None, 1000, None).contents.len(), keys.len());
        let mut l = Lister::new("c/", Some("/"), 1000, None);
        for k in keys {
            l.offer(k);
        }
        assert_eq!(
            (l.contents, l.common_prefixes),
            (vec!["c/1".to_owned()], vec!["c/2/".to_owned()])
        );
        assert_eq!(Position::from_token("not a token!"), None);
    }

    #[test]
    fn completing_an_upload_checks_order_etags_and_sizes() {
        let big = MIN_PART_SIZE;
        let uploaded = vec![(2, "\"e2\"".to_owned(), 10), (1, "\"e1\"".to_owned(), big)];
        assert_eq!(
            complete_parts(&[(1, "e1".into()), (2, "\"e2\"".into())], &uploaded),
            Ok(vec![1, 0])
        );
        assert_eq!(
            complete_parts(&[(2, "e2".into()), (1, "e1".into())], &uploaded),
            Err("InvalidPartOrder")
        );
        assert_eq!(
            complete_parts(&[(1, "e9".into())], &uploaded),
            Err("InvalidPart")
        );
        assert_eq!(
            complete_parts(&[(2, "e2".into()), (3, "e3".into())], &uploaded),
            Err("InvalidPart")
        );
        let small = vec![(1, "e1".to_owned(), 10), (2, "e2".to_owned(), 10)];
        assert_eq!(
            complete_parts(&[(1, "e1".into()), (2, "e2".into())], &small),
            Err("EntityTooSmall")
        );
        assert_eq!(complete_parts(&[], &small), Err("MalformedXML"));
        // MD5 of the two parts' MD5s, as S3 computes it.
        let etag = multipart_etag(&[[0u8; 16], [1u8; 16]]);
        assert!(etag.ends_with("-2") && etag.len() == 34);
    }

    #[test]
    fn every_permission_an_operation_names_is_in_the_catalog() {
        let cat = Catalog::builtin();
        for op in <S3Operation as strum::IntoEnumIterator>::iter() {
            for p in [
                Some(op.permission()),
                op.source_permission(),
                Some(S3Operation::object_lock_permission(true)),
                Some(S3Operation::object_lock_permission(false)),
            ]
            .into_iter()
            .flatten()
            {
                assert!(cat.get(p).is_some(), "{op:?}: {p}");
            }
        }
    }
}
