//! S3's error answer: XML with S3's code, so the AWS SDKs raise their usual typed errors
//! (`NoSuchKey`, `ClientError` with `AccessDenied`...). The status comes from the core's
//! table of codes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::xml::Xml;

/// The code of an error answer, for the audit record.
#[derive(Debug, Clone)]
pub struct S3ErrorCode(pub String);

#[derive(Debug, Clone)]
pub struct S3Error {
    pub code: String,
    pub message: String,
    /// The bucket or key the error is about (`<Resource>`).
    pub resource: Option<String>,
    /// Extra elements S3 sends with some codes (`<BucketName>`, `<Key>`...).
    pub extra: Vec<(&'static str, String)>,
    /// What only the audit log hears (the evaluator's full explanation).
    pub detail: Option<String>,
}

impl S3Error {
    pub fn new(code: &str, message: impl Into<String>) -> S3Error {
        S3Error {
            code: code.to_owned(),
            message: message.into(),
            resource: None,
            extra: Vec::new(),
            detail: None,
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> S3Error {
        self.extra.push((name, value.into()));
        self
    }

    pub fn no_such_bucket(bucket: &str) -> S3Error {
        S3Error::new("NoSuchBucket", "The specified bucket does not exist")
            .with("BucketName", bucket)
    }

    pub fn no_such_key(key: &str) -> S3Error {
        S3Error::new("NoSuchKey", "The specified key does not exist.").with("Key", key)
    }

    pub fn no_such_upload(id: &str) -> S3Error {
        S3Error::new(
            "NoSuchUpload",
            "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with("UploadId", id)
    }

    pub fn internal(message: impl std::fmt::Display) -> S3Error {
        S3Error::new(
            "InternalError",
            format!("We encountered an internal error: {message}"),
        )
    }

    pub fn malformed_xml(why: impl std::fmt::Display) -> S3Error {
        S3Error::new(
            "MalformedXML",
            format!("The XML you provided was not well-formed or did not validate against our published schema: {why}"),
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(clouddigit_core::s3::error_status(&self.code))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<rusqlite::Error> for S3Error {
    fn from(e: rusqlite::Error) -> S3Error {
        S3Error::internal(format!("database: {e}"))
    }
}

impl From<std::io::Error> for S3Error {
    fn from(e: std::io::Error) -> S3Error {
        S3Error::internal(format!("storage: {e}"))
    }
}

impl From<crate::error::ApiError> for S3Error {
    fn from(e: crate::error::ApiError) -> S3Error {
        S3Error::internal(e.message)
    }
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut x = Xml::plain("Error");
        x.elem("Code", &self.code);
        x.elem("Message", &self.message);
        if let Some(r) = &self.resource {
            x.elem("Resource", r);
        }
        for (k, v) in &self.extra {
            x.elem(k, v);
        }
        let mut resp = (status, x.finish()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        resp.extensions_mut().insert(S3ErrorCode(self.code.clone()));
        if let Some(d) = self.detail {
            resp.extensions_mut().insert(Detail(d));
        }
        resp
    }
}

/// An error's detail for the audit record only.
#[derive(Debug, Clone)]
pub struct Detail(pub String);
