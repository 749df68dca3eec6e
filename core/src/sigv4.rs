//! AWS Signature Version 4 for S3-style access keys, verified without I/O: the host hands
//! over the request as it arrived (method, raw path, raw query, headers), the key's
//! secret and its clock; the answer is `Ok` or the S3 error code to send. Header-signed
//! requests and presigned URLs (query-string signing); the payload hash is whatever the
//! client signed (`UNSIGNED-PAYLOAD`, a hex SHA-256, or a `STREAMING-…` form whose chunks
//! the host checks as they arrive). Signatures are compared in constant time and no
//! error carries the secret or the expected signature.
//!
//! HMAC and SHA-256 are the RustCrypto crates; no maintained SigV4 crate verifies
//! (rather than signs) without bringing an HTTP stack, so the canonical request is built
//! here, checked against requests botocore's signer produced (`tests/vectors/sigv4.json`).

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::model::Timestamp;

type HmacSha256 = Hmac<Sha256>;

/// The longest a presigned URL may be valid, as S3 allows: 7 days.
pub const MAX_PRESIGN_SECONDS: i64 = 604_800;
/// How far the client's clock may be from ours.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// A request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded), without the query.
    pub path: &'a str,
    /// The query string as sent, without the `?`.
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    /// The body's SHA-256 (hex), for requests signed without `x-amz-content-sha256`
    /// (services other than S3 sign the body's hash without sending it).
    pub body_sha256: Option<&'a str>,
}

/// Who signed and how, read from the `Authorization` header or the presigned query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    signature: String,
    /// `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
    pub amz_date: String,
    /// Presigned URLs: seconds from `amz_date`.
    pub expires: Option<i64>,
}

/// Why a request is refused, as S3 names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    #[error("the Authorization header is malformed: {0}")]
    AuthorizationHeaderMalformed(String),
    #[error("the presigned query is malformed: {0}")]
    AuthorizationQueryParametersError(String),
    #[error("the request is not signed")]
    MissingSecurityHeader,
    #[error("the request time is more than 15 minutes from the server's")]
    RequestTimeTooSkewed,
    #[error("the presigned URL has expired")]
    Expired,
    #[error("the signature does not match the request and the key's secret")]
    SignatureDoesNotMatch,
}

impl SigV4Error {
    /// The S3 error code to answer with.
    pub fn code(&self) -> &'static str {
        match self {
            SigV4Error::AuthorizationHeaderMalformed(_) => "AuthorizationHeaderMalformed",
            SigV4Error::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            SigV4Error::MissingSecurityHeader => "MissingSecurityHeader",
            SigV4Error::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            // S3 answers an expired presigned URL with AccessDenied ("Request has expired").
            SigV4Error::Expired => "AccessDenied",
            SigV4Error::SignatureDoesNotMatch => "SignatureDoesNotMatch",
        }
    }
}

fn header<'a>(req: &'a SignedRequest<'_>, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The query's pairs, percent-decoded (`+` is a plus: SigV4 clients encode spaces as %20).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding (invalid escapes kept as they are; bytes that are not UTF-8 become
/// U+FFFD): the path and query as the client meant them.
pub(crate) fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// What SigV4 leaves unencoded: letters, digits and `-_.~` (and `/` in paths).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const UNRESERVED_PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// SigV4's URI encoding (`%XX` uppercase); `/` kept in paths.
pub(crate) fn encode(s: &str, keep_slash: bool) -> String {
    let set = if keep_slash {
        UNRESERVED_PATH
    } else {
        UNRESERVED
    };
    utf8_percent_encode(s, set).to_string()
}

/// Reads who signed the request and how (header or presigned), before any secret is
/// looked up: the host finds the key by `access_key_id`.
pub fn credential(req: &SignedRequest<'_>) -> Result<Credential, SigV4Error> {
    if let Some(auth) = header(req, "authorization") {
        return from_header(req, auth);
    }
    let q = query_pairs(req.query);
    if q.iter()
        .any(|(k, _)| k == "X-Amz-Signature" || k == "X-Amz-Credential")
    {
        return from_query(&q);
    }
    Err(SigV4Error::MissingSecurityHeader)
}

fn scope(credential: &str, bad: impl Fn(String) -> SigV4Error) -> Result<[String; 5], SigV4Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, "aws4_request"] if !key.is_empty() && date.len() == 8 => Ok([
            (*key).to_owned(),
            (*date).to_owned(),
            (*region).to_owned(),
            (*service).to_owned(),
            "aws4_request".to_owned(),
        ]),
        _ => Err(bad(
            "the credential must be <key id>/<YYYYMMDD>/<region>/<service>/aws4_request".into(),
        )),
    }
}

fn from_header(req: &SignedRequest<'_>, auth: &str) -> Result<Credential, SigV4Error> {
    let bad = SigV4Error::AuthorizationHeaderMalformed;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| bad("only AWS4-HMAC-SHA256 (Signature Version 4) is supported".into()))?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => cred = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => sig = Some(v),
            _ => {}
        }
    }
    let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
        return Err(bad(
            "Credential, SignedHeaders and Signature are all required".into(),
        ));
    };
    let [access_key_id, date, region, service, _] = scope(cred, bad)?;
    let amz_date = header(req, "x-amz-date")
        .ok_or_else(|| bad("the X-Amz-Date header is required".into()))?
        .to_owned();
    Ok(Credential {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed.split(';').map(str::to_owned).collect(),
        signature: sig.to_owned(),
        amz_date,
        expires: None,
    })
}

fn from_query(q: &[(String, String)]) -> Result<Credential, SigV4Error> {
    let bad = SigV4Error::AuthorizationQueryParametersError;
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("X-Amz-Algorithm") != Some("AWS4-HMAC-SHA256") {
        return Err(bad("X-Amz-Algorithm must be AWS4-HMAC-SHA256".into()));
    }
    let need = |k: &str| get(k).ok_or_else(|| bad(format!("{k} is required")));
    let [access_key_id, date, region, service, _] = scope(need("X-Amz-Credential")?, bad)?;
    let expires: i64 = need("X-Amz-Expires")?
        .parse()
        .map_err(|_| bad("X-Amz-Expires must be a number of seconds".into()))?;
    if !(1..=MAX_PRESIGN_SECONDS).contains(&expires) {
        return Err(bad(format!(
            "X-Amz-Expires must be between 1 and {MAX_PRESIGN_SECONDS} seconds (7 days)"
        )));
    }
    Ok(Credential {
        access_key_id,
        date,
        region,
        service,
        signed_headers: need("X-Amz-SignedHeaders")?
            .split(';')
            .map(str::to_owned)
            .collect(),
        signature: need("X-Amz-Signature")?.to_owned(),
        amz_date: need("X-Amz-Date")?.to_owned(),
        expires: Some(expires),
    })
}

/// The canonical request of SigV4 (S3's form: the path encoded once, not normalized).
pub fn canonical_request(req: &SignedRequest<'_>, cred: &Credential) -> String {
    let path = encode(&decode(req.path), true);
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        path
    };
    let mut q: Vec<(String, String)> = query_pairs(req.query)
        .into_iter()
        .filter(|(k, _)| cred.expires.is_none() || k != "X-Amz-Signature")
        .map(|(k, v)| (encode(&k, false), encode(&v, false)))
        .collect();
    q.sort();
    let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = String::new();
    for name in &cred.signed_headers {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = match cred.expires {
        Some(_) => "UNSIGNED-PAYLOAD",
        None => header(req, "x-amz-content-sha256")
            .or(req.body_sha256)
            .unwrap_or("UNSIGNED-PAYLOAD"),
    };
    format!(
        "{}\n{path}\n{}\n{headers}\n{}\n{payload}",
        req.method,
        query.join("&"),
        cred.signed_headers.join(";")
    )
}

/// The string to sign for `canonical`.
pub fn string_to_sign(cred: &Credential, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}",
        cred.amz_date,
        cred.date,
        cred.region,
        cred.service,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

impl Credential {
    /// The signature the request carries (the seed of a chunked body's signatures).
    pub fn given_signature(&self) -> &str {
        &self.signature
    }

    /// `YYYYMMDD/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

pub(crate) fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC takes a key of any length: this never fails.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The key `secret` derives for `cred`'s scope: what signs the request and, for a
/// chunked body, each chunk (see [`crate::s3_body`]).
pub fn signing_key(secret: &str, cred: &Credential) -> zeroize::Zeroizing<Vec<u8>> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), &cred.date);
    let k = hmac(&k, &cred.region);
    let k = hmac(&k, &cred.service);
    zeroize::Zeroizing::new(hmac(&k, "aws4_request"))
}

/// The signature `secret` gives `string_to_sign` under `cred`'s scope (hex).
pub fn signature(secret: &str, cred: &Credential, string_to_sign: &str) -> String {
    hex::encode(hmac(&signing_key(secret, cred), string_to_sign))
}

fn amz_time(s: &str) -> Option<Timestamp> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
}

/// Verifies `req` as signed with `secret` (the key `cred.access_key_id` names) at `now`.
pub fn verify(
    req: &SignedRequest<'_>,
    cred: &Credential,
    secret: &str,
    now: Timestamp,
) -> Result<(), SigV4Error> {
    let malformed = |m: &str| match cred.expires {
        Some(_) => SigV4Error::AuthorizationQueryParametersError(m.into()),
        None => SigV4Error::AuthorizationHeaderMalformed(m.into()),
    };
    let signed_at =
        amz_time(&cred.amz_date).ok_or_else(|| malformed("X-Amz-Date must be YYYYMMDDTHHMMSSZ"))?;
    if !cred.amz_date.starts_with(&cred.date) {
        return Err(malformed("the credential's date is not the request's date"));
    }
    if !cred.signed_headers.iter().any(|h| h == "host") {
        return Err(malformed("the host header must be signed"));
    }
    let skew = (now - signed_at).num_seconds();
    match cred.expires {
        None if skew.abs() > MAX_SKEW_SECONDS => return Err(SigV4Error::RequestTimeTooSkewed),
        Some(_) if -skew > MAX_SKEW_SECONDS => return Err(SigV4Error::RequestTimeTooSkewed),
        Some(expires) if skew > expires => return Err(SigV4Error::Expired),
        _ => {}
    }
    let canonical = canonical_request(req, cred);
    let expected = signature(secret, cred, &string_to_sign(cred, &canonical));
    if bool::from(expected.as_bytes().ct_eq(cred.signature.as_bytes())) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureDoesNotMatch)
    }
}

/// What `clouddigit sigv4 explain` shows: how the server reads the request, step by
/// step, and the signature the secret gives next to the one the request carries — the
/// answer to `SignatureDoesNotMatch` no AWS tool gives offline. The clock is not judged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Explanation {
    pub access_key_id: String,
    /// `YYYYMMDD/region/service/aws4_request`.
    pub scope: String,
    pub signed_headers: Vec<String>,
    pub presigned: bool,
    pub canonical_request: String,
    pub string_to_sign: String,
    pub expected_signature: String,
    pub given_signature: String,
    pub matches: bool,
}

/// A request as a person pastes it into `sigv4 explain` (the CLI's file, the JS and
/// Python functions): `url` a full URL or a path with its query, `headers` an object or
/// a list of pairs (a list keeps repeated names), `body_sha256` the body's hash when the
/// request was signed without `x-amz-content-sha256`.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct RequestText {
    pub method: String,
    pub url: String,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub headers: HeaderList,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub body_sha256: Option<String>,
}

/// Headers as an object or as `[name, value]` pairs.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum HeaderList {
    Map(std::collections::BTreeMap<String, String>),
    Pairs(Vec<(String, String)>),
}

impl Default for HeaderList {
    fn default() -> Self {
        HeaderList::Pairs(Vec::new())
    }
}

impl RequestText {
    /// The path (as sent) and query the server sees.
    pub fn target(&self) -> (&str, &str) {
        let target = match self.url.find("://") {
            Some(i) => self.url[i + 3..]
                .find('/')
                .map_or("/", |j| &self.url[i + 3 + j..]),
            None => self.url.as_str(),
        };
        target.split_once('?').unwrap_or((target, ""))
    }

    pub fn header_pairs(&self) -> Vec<(String, String)> {
        match &self.headers {
            HeaderList::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            HeaderList::Pairs(p) => p.clone(),
        }
    }

    /// [`explain`] for this request.
    pub fn explain(&self, secret: &str) -> Result<Explanation, SigV4Error> {
        let (path, query) = self.target();
        let headers = self.header_pairs();
        explain(
            &SignedRequest {
                method: &self.method,
                path,
                query,
                headers: &headers,
                body_sha256: self.body_sha256.as_deref(),
            },
            secret,
        )
    }

    /// [`credential`] and [`verify`] for this request at `now`.
    pub fn verify(&self, secret: &str, now: Timestamp) -> Result<(), SigV4Error> {
        let (path, query) = self.target();
        let headers = self.header_pairs();
        let req = SignedRequest {
            method: &self.method,
            path,
            query,
            headers: &headers,
            body_sha256: self.body_sha256.as_deref(),
        };
        credential(&req).and_then(|c| verify(&req, &c, secret, now))
    }
}

/// See [`Explanation`].
pub fn explain(req: &SignedRequest<'_>, secret: &str) -> Result<Explanation, SigV4Error> {
    let cred = credential(req)?;
    let canonical_request = canonical_request(req, &cred);
    let string_to_sign = string_to_sign(&cred, &canonical_request);
    let expected_signature = signature(secret, &cred, &string_to_sign);
    let matches = bool::from(
        expected_signature
            .as_bytes()
            .ct_eq(cred.signature.as_bytes()),
    );
    Ok(Explanation {
        scope: cred.scope(),
        access_key_id: cred.access_key_id,
        signed_headers: cred.signed_headers,
        presigned: cred.expires.is_some(),
        canonical_request,
        string_to_sign,
        expected_signature,
        given_signature: cred.signature,
        matches,
    })
}
