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
            | PutObjectTagging
            | DeleteObjectTagging
            | CreateMultipartUpload
            | UploadPart
            | UploadPartCopy
            | CompleteMultipartUpload
            | AbortMultipartUpload
            | ListParts => "storage.objects.put",
            DeleteObject | DeleteObjects => "storage.objects.delete",
        }
    }

    /// What the source of a copy needs.
    pub fn source_permission(self) -> Option<&'static str> {
        matches!(self, S3Operation::CopyObject | S3Operation::UploadPartCopy)
            .then_some("storage.objects.get")
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
    fn every_permission_an_operation_names_is_in_the_catalog() {
        let cat = Catalog::builtin();
        for op in <S3Operation as strum::IntoEnumIterator>::iter() {
            for p in [Some(op.permission()), op.source_permission()]
                .into_iter()
                .flatten()
            {
                assert!(cat.get(p).is_some(), "{op:?}: {p}");
            }
        }
    }
}
