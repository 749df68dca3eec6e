//! An S3 request's body, checked as it streams in: the host hands over the bytes as they
//! arrive and gets back the object's bytes, and at the end the MD5 (the ETag) and the
//! verified checksum, or the S3 error to answer with. Nothing is buffered beyond one
//! framing line, so a 1 GB upload goes through in bounded memory.
//!
//! What a client claims about its body is held to:
//! - a hex `x-amz-content-sha256` must be the body's SHA-256 (`XAmzContentSHA256Mismatch`);
//! - `aws-chunked` bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, its `-TRAILER` form, and
//!   `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, which current boto3 and the JS SDK send) are
//!   unframed, each chunk's signature is checked against the previous one (the seed is
//!   the request's signature), and so is the trailer's;
//! - `x-amz-checksum-*` (header or trailer), `Content-MD5` and
//!   `x-amz-decoded-content-length` must match what arrived (`BadDigest`, `IncompleteBody`).
//!
//! CRCs are the `crc` crate's catalog, MD5/SHA-1/SHA-256 RustCrypto's, base64 the
//! `base64` crate: the checksum values are what the AWS SDKs compute.

use base64::Engine as _;
use crc::{Crc, Table, CRC_32_ISCSI, CRC_32_ISO_HDLC, CRC_64_NVME};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::sigv4::{hmac, Credential};

/// Empty string's SHA-256: the fixed line of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// A framing line (chunk header or trailer) longer than this is refused, not buffered.
const MAX_LINE: usize = 4096;
/// Trailer lines at most.
const MAX_TRAILERS: usize = 16;

static CRC32: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISO_HDLC);
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
static CRC64NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

/// The checksums S3 accepts, by their header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    /// `x-amz-checksum-crc32`, ...
    pub fn header(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// `CRC32`, ... (S3's `ChecksumAlgorithm` values, in XML and `x-amz-checksum-algorithm`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    pub fn from_header(name: &str) -> Option<ChecksumAlgorithm> {
        use strum::IntoEnumIterator;
        ChecksumAlgorithm::iter().find(|a| a.header().eq_ignore_ascii_case(name.trim()))
    }

    pub fn from_name(name: &str) -> Option<ChecksumAlgorithm> {
        use strum::IntoEnumIterator;
        ChecksumAlgorithm::iter().find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn hasher(self) -> Checksum {
        Checksum(match self {
            ChecksumAlgorithm::Crc32 => Hasher::Crc32(CRC32.digest()),
            ChecksumAlgorithm::Crc32c => Hasher::Crc32c(CRC32C.digest()),
            ChecksumAlgorithm::Crc64Nvme => Hasher::Crc64(CRC64NVME.digest()),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        })
    }
}

enum Hasher {
    Crc32(crc::Digest<'static, u32, Table<16>>),
    Crc32c(crc::Digest<'static, u32, Table<16>>),
    Crc64(crc::Digest<'static, u64, Table<16>>),
    Sha1(Sha1),
    Sha256(Sha256),
}

/// A running checksum; [`Checksum::finish`] gives the base64 value S3 sends.
pub struct Checksum(Hasher);

impl std::fmt::Debug for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checksum(..)")
    }
}

impl Checksum {
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.0 {
            Hasher::Crc32(_) => ChecksumAlgorithm::Crc32,
            Hasher::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            Hasher::Crc64(_) => ChecksumAlgorithm::Crc64Nvme,
            Hasher::Sha1(_) => ChecksumAlgorithm::Sha1,
            Hasher::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Hasher::Crc32(d) | Hasher::Crc32c(d) => d.update(data),
            Hasher::Crc64(d) => d.update(data),
            Hasher::Sha1(d) => d.update(data),
            Hasher::Sha256(d) => d.update(data),
        }
    }

    pub fn finish(self) -> String {
        let b = base64::engine::general_purpose::STANDARD;
        match self.0 {
            Hasher::Crc32(d) | Hasher::Crc32c(d) => b.encode(d.finalize().to_be_bytes()),
            Hasher::Crc64(d) => b.encode(d.finalize().to_be_bytes()),
            Hasher::Sha1(d) => b.encode(d.finalize()),
            Hasher::Sha256(d) => b.encode(d.finalize()),
        }
    }
}

/// Why a body is refused, as S3 names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body's SHA-256 is not the x-amz-content-sha256 the request was signed with")]
    ContentSha256Mismatch,
    #[error("a chunk's signature does not match: the body changed after signing, or another secret signed it")]
    ChunkSignatureDoesNotMatch,
    #[error("the aws-chunked body is malformed: {0}")]
    Malformed(String),
    #[error("the body ended before its last chunk")]
    Incomplete,
    #[error("{0} does not match the body that arrived")]
    ChecksumMismatch(&'static str),
    #[error("{0} is not a valid value for its algorithm")]
    InvalidChecksum(String),
    #[error("the body is {got} bytes, x-amz-decoded-content-length said {declared}")]
    DecodedLength { declared: u64, got: u64 },
    #[error("x-amz-content-sha256: {0}")]
    Unsupported(String),
}

impl BodyError {
    /// The S3 error code to answer with.
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::ContentSha256Mismatch => "XAmzContentSHA256Mismatch",
            BodyError::ChunkSignatureDoesNotMatch => "SignatureDoesNotMatch",
            BodyError::Malformed(_) => "InvalidRequest",
            BodyError::Incomplete | BodyError::DecodedLength { .. } => "IncompleteBody",
            BodyError::ChecksumMismatch(_) => "BadDigest",
            BodyError::InvalidChecksum(h) if h == "Content-MD5" => "InvalidDigest",
            BodyError::InvalidChecksum(_) => "InvalidRequest",
            BodyError::Unsupported(_) => "InvalidArgument",
        }
    }

    /// The HTTP status S3 answers the code with.
    pub fn status(&self) -> u16 {
        match self {
            BodyError::ChunkSignatureDoesNotMatch => 403,
            _ => 400,
        }
    }
}

/// How the body was signed, from `x-amz-content-sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD`, and every presigned URL.
    Unsigned,
    /// The hex SHA-256 the client signed.
    Sha256(String),
    /// `aws-chunked`: chunk signatures or not, a trailer or not.
    Chunked { signed: bool, trailer: bool },
}

impl Payload {
    /// Reads `x-amz-content-sha256` (`None`: the header is absent).
    pub fn parse(value: Option<&str>, presigned: bool) -> Result<Payload, BodyError> {
        if presigned {
            return Ok(Payload::Unsigned);
        }
        let Some(v) = value else {
            return Err(BodyError::Unsupported(
                "the header is required on a request signed in its headers".into(),
            ));
        };
        Ok(match v.trim() {
            "UNSIGNED-PAYLOAD" => Payload::Unsigned,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Payload::Chunked {
                signed: true,
                trailer: false,
            },
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Payload::Chunked {
                signed: true,
                trailer: true,
            },
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Payload::Chunked {
                signed: false,
                trailer: true,
            },
            h if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Payload::Sha256(h.to_ascii_lowercase())
            }
            other => {
                return Err(BodyError::Unsupported(format!(
                    "{:?} is not a payload this endpoint accepts (a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-AWS4-HMAC-SHA256 / STREAMING-UNSIGNED-PAYLOAD-TRAILER form; SigV4a is not supported)",
                    other.chars().take(80).collect::<String>()
                )))
            }
        })
    }
}

/// What a fully read body was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodySummary {
    /// The object's bytes (after unframing).
    pub length: u64,
    /// MD5 of the object's bytes: its ETag.
    pub md5: [u8; 16],
    /// The checksum the client sent (header or trailer), verified: `(algorithm, base64)`.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

/// The chunk signatures' chain: each signs its data and the signature before it.
struct ChunkChain {
    key: zeroize::Zeroizing<Vec<u8>>,
    amz_date: String,
    scope: String,
    previous: String,
}

impl ChunkChain {
    fn check(&mut self, kind: &str, hash_line: &str, given: &str) -> Result<(), BodyError> {
        let sts = format!(
            "{kind}\n{}\n{}\n{}\n{hash_line}",
            self.amz_date, self.scope, self.previous
        );
        let expected = hex::encode(hmac(&self.key, &sts));
        if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            self.previous = expected;
            Ok(())
        } else {
            Err(BodyError::ChunkSignatureDoesNotMatch)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A chunk's size line.
    Size,
    Data {
        left: u64,
    },
    /// The CRLF after a chunk's data.
    DataEnd,
    Trailer,
    Done,
}

struct Chunked {
    state: State,
    line: Vec<u8>,
    chain: Option<ChunkChain>,
    trailer_expected: Option<ChecksumAlgorithm>,
    chunk_signature: String,
    chunk_hash: Sha256,
    trailers: Vec<(String, String)>,
}

/// The body of one request, checked as it streams in.
pub struct BodyReader {
    md5: Md5,
    length: u64,
    /// The plain body's SHA-256, when the client signed one.
    sha256: Option<(Sha256, String)>,
    chunked: Option<Chunked>,
    /// The checksum to verify, and the value given in a header (`None` until a trailer).
    checksum: Option<(Checksum, Option<String>)>,
    content_md5: Option<[u8; 16]>,
    decoded_length: Option<u64>,
}

impl std::fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyReader")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl BodyReader {
    /// For a request whose signature [`crate::sigv4::verify`] accepted: `cred` is its
    /// credential and `signing_key` the key [`crate::sigv4::signing_key`] derives (chunk
    /// signatures chain from the request's).
    pub fn new(
        headers: &[(String, String)],
        cred: &Credential,
        signing_key: zeroize::Zeroizing<Vec<u8>>,
    ) -> Result<BodyReader, BodyError> {
        let payload = Payload::parse(
            header(headers, "x-amz-content-sha256"),
            cred.expires.is_some(),
        )?;
        let mut reader = BodyReader {
            md5: Md5::new(),
            length: 0,
            sha256: None,
            chunked: None,
            checksum: None,
            content_md5: None,
            decoded_length: None,
        };
        if let Some(v) = header(headers, "content-md5") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .ok_or_else(|| BodyError::InvalidChecksum("Content-MD5".into()))?;
            reader.content_md5 = Some(bytes);
        }
        // A checksum in a header: the first one given (clients send one).
        for (k, v) in headers {
            if let Some(alg) = ChecksumAlgorithm::from_header(k) {
                reader.checksum = Some((alg.hasher(), Some(v.trim().to_owned())));
                break;
            }
        }
        match payload {
            Payload::Unsigned => {}
            Payload::Sha256(h) => reader.sha256 = Some((Sha256::new(), h)),
            Payload::Chunked { signed, trailer } => {
                let trailer_expected = match header(headers, "x-amz-trailer") {
                    Some(name) => Some(ChecksumAlgorithm::from_header(name).ok_or_else(|| {
                        BodyError::Unsupported(format!(
                            "x-amz-trailer {:?} names no checksum this endpoint knows",
                            name.chars().take(64).collect::<String>()
                        ))
                    })?),
                    None if trailer => {
                        return Err(BodyError::Unsupported(
                            "a -TRAILER payload needs x-amz-trailer".into(),
                        ))
                    }
                    None => None,
                };
                if let Some(alg) = trailer_expected {
                    reader.checksum = Some((alg.hasher(), None));
                }
                if let Some(v) = header(headers, "x-amz-decoded-content-length") {
                    reader.decoded_length = Some(v.trim().parse().map_err(|_| {
                        BodyError::Malformed("x-amz-decoded-content-length is not a number".into())
                    })?);
                }
                reader.chunked = Some(Chunked {
                    state: State::Size,
                    line: Vec::new(),
                    chain: signed.then(|| ChunkChain {
                        key: signing_key,
                        amz_date: cred.amz_date.clone(),
                        scope: cred.scope(),
                        previous: cred.given_signature().to_owned(),
                    }),
                    trailer_expected,
                    chunk_signature: String::new(),
                    chunk_hash: Sha256::new(),
                    trailers: Vec::new(),
                });
            }
        }
        Ok(reader)
    }

    /// Takes the next bytes as they arrived; appends the object's bytes to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), BodyError> {
        let start = out.len();
        if let Some((h, _)) = &mut self.sha256 {
            h.update(input);
        }
        match &mut self.chunked {
            None => out.extend_from_slice(input),
            Some(c) => c.feed(input, out)?,
        }
        let data = &out[start..];
        self.md5.update(data);
        if let Some((c, _)) = &mut self.checksum {
            c.update(data);
        }
        self.length += data.len() as u64;
        Ok(())
    }

    /// The body ended: everything it claimed is checked now.
    pub fn finish(self) -> Result<BodySummary, BodyError> {
        if let Some((h, expected)) = self.sha256 {
            let got = hex::encode(h.finalize());
            if !bool::from(got.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(BodyError::ContentSha256Mismatch);
            }
        }
        let mut checksum = self.checksum;
        if let Some(c) = self.chunked {
            if c.state != State::Done {
                return Err(BodyError::Incomplete);
            }
            if let Some(alg) = c.trailer_expected {
                let value = c
                    .trailers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(alg.header()))
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        BodyError::Malformed(format!("the trailer has no {}", alg.header()))
                    })?;
                if let Some((_, given)) = &mut checksum {
                    *given = Some(value);
                }
            }
        }
        if let Some(declared) = self.decoded_length {
            if declared != self.length {
                return Err(BodyError::DecodedLength {
                    declared,
                    got: self.length,
                });
            }
        }
        let md5: [u8; 16] = self.md5.finalize().into();
        if let Some(expected) = self.content_md5 {
            if !bool::from(expected.ct_eq(&md5)) {
                return Err(BodyError::ChecksumMismatch("Content-MD5"));
            }
        }
        let checksum = match checksum {
            None => None,
            Some((c, given)) => {
                let alg = c.algorithm();
                let got = c.finish();
                match given {
                    Some(g) if g == got => Some((alg, got)),
                    Some(_) => return Err(BodyError::ChecksumMismatch(alg.header())),
                    None => return Err(BodyError::Incomplete),
                }
            }
        };
        Ok(BodySummary {
            length: self.length,
            md5,
            checksum,
        })
    }
}

impl Chunked {
    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), BodyError> {
        while !input.is_empty() {
            if let State::Data { left } = self.state {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                let (data, rest) = input.split_at(take);
                out.extend_from_slice(data);
                if self.chain.is_some() {
                    self.chunk_hash.update(data);
                }
                input = rest;
                let left = left - take as u64;
                self.state = if left == 0 {
                    State::DataEnd
                } else {
                    State::Data { left }
                };
                continue;
            }
            if self.state == State::Done {
                // Clients end with the final CRLF; anything else after it is not framing.
                if input.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                    return Ok(());
                }
                return Err(BodyError::Malformed("data after the final chunk".into()));
            }
            match input.iter().position(|&b| b == b'\n') {
                None => {
                    self.push_line(input)?;
                    return Ok(());
                }
                Some(i) => {
                    self.push_line(&input[..i])?;
                    input = &input[i + 1..];
                    let mut line = std::mem::take(&mut self.line);
                    if line.pop() != Some(b'\r') {
                        return Err(BodyError::Malformed("lines must end in CRLF".into()));
                    }
                    let line = String::from_utf8(line)
                        .map_err(|_| BodyError::Malformed("a framing line is not text".into()))?;
                    self.line_done(&line)?;
                }
            }
        }
        Ok(())
    }

    fn push_line(&mut self, part: &[u8]) -> Result<(), BodyError> {
        if self.line.len() + part.len() > MAX_LINE {
            return Err(BodyError::Malformed(format!(
                "a framing line is longer than {MAX_LINE} bytes"
            )));
        }
        self.line.extend_from_slice(part);
        Ok(())
    }

    fn line_done(&mut self, line: &str) -> Result<(), BodyError> {
        match self.state {
            State::Size => {
                let (size, ext) = line.split_once(';').unwrap_or((line, ""));
                let size = size.trim();
                if size.is_empty() || size.len() > 15 {
                    return Err(BodyError::Malformed(
                        "a chunk size is not a hex number".into(),
                    ));
                }
                let size = u64::from_str_radix(size, 16)
                    .map_err(|_| BodyError::Malformed("a chunk size is not a hex number".into()))?;
                if self.chain.is_some() {
                    self.chunk_signature = ext
                        .trim()
                        .strip_prefix("chunk-signature=")
                        .ok_or_else(|| {
                            BodyError::Malformed("a signed chunk carries no chunk-signature".into())
                        })?
                        .to_owned();
                    self.chunk_hash = Sha256::new();
                }
                if size == 0 {
                    self.end_chunk()?;
                    self.state = State::Trailer;
                } else {
                    self.state = State::Data { left: size };
                }
            }
            State::DataEnd => {
                if !line.is_empty() {
                    return Err(BodyError::Malformed(
                        "a chunk is longer than its size says".into(),
                    ));
                }
                self.end_chunk()?;
                self.state = State::Size;
            }
            State::Trailer if line.is_empty() => {
                self.check_trailer()?;
                self.state = State::Done;
            }
            State::Trailer => {
                if self.trailers.len() >= MAX_TRAILERS {
                    return Err(BodyError::Malformed("too many trailer lines".into()));
                }
                let (k, v) = line.split_once(':').ok_or_else(|| {
                    BodyError::Malformed("a trailer line is not name:value".into())
                })?;
                self.trailers
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
            State::Data { .. } | State::Done => {}
        }
        Ok(())
    }

    /// A chunk's data is all here: its signature is checked.
    fn end_chunk(&mut self) -> Result<(), BodyError> {
        if let Some(chain) = &mut self.chain {
            let hash = hex::encode(std::mem::take(&mut self.chunk_hash).finalize());
            let line = format!("{EMPTY_SHA256}\n{hash}");
            chain.check("AWS4-HMAC-SHA256-PAYLOAD", &line, &self.chunk_signature)?;
        }
        Ok(())
    }

    fn check_trailer(&mut self) -> Result<(), BodyError> {
        let Some(chain) = &mut self.chain else {
            return Ok(());
        };
        if self.trailer_expected.is_none() {
            return Ok(());
        }
        let sig = self
            .trailers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-trailer-signature"))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| BodyError::Malformed("the trailer is not signed".into()))?;
        let mut canonical = String::new();
        for (k, v) in &self.trailers {
            if !k.eq_ignore_ascii_case("x-amz-trailer-signature") {
                canonical.push_str(&format!("{}:{v}\n", k.to_ascii_lowercase()));
            }
        }
        let hash = hex::encode(Sha256::digest(canonical.as_bytes()));
        chain.check("AWS4-HMAC-SHA256-TRAILER", &hash, &sig)
    }
}
