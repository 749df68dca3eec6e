//! `s3_body`: aws-chunked bodies and checksums, against AWS's published example of a
//! chunked upload (the S3 API reference, "Signature Calculations for the Authorization
//! Header: Transferring Payload in Multiple Chunks") and against tampering.

use clouddigit_core::s3_body::{BodyError, BodyReader, ChecksumAlgorithm};
use clouddigit_core::sigv4::{credential, signing_key, verify, SignedRequest};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn aws_example_headers() -> Vec<(String, String)> {
    [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn aws_example_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    b.extend(std::iter::repeat_n(b'a', 65536));
    b.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    b.extend(std::iter::repeat_n(b'a', 1024));
    b.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    b
}

fn read(
    headers: &[(String, String)],
    body: &[u8],
    piece: usize,
) -> Result<(Vec<u8>, BodyReaderOut), BodyError> {
    let req = SignedRequest {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers,
        body_sha256: None,
    };
    let cred = credential(&req).expect("credential");
    verify(&req, &cred, SECRET, "2013-05-24T00:01:00Z".parse().unwrap()).expect("seed signature");
    let mut r = BodyReader::new(headers, &cred, signing_key(SECRET, &cred))?;
    let mut out = Vec::new();
    for part in body.chunks(piece) {
        r.feed(part, &mut out)?;
    }
    let s = r.finish()?;
    Ok((
        out,
        BodyReaderOut {
            length: s.length,
            md5: hex(&s.md5),
            checksum: s.checksum,
        },
    ))
}

#[derive(Debug)]
struct BodyReaderOut {
    length: u64,
    md5: String,
    checksum: Option<(ChecksumAlgorithm, String)>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn the_aws_chunked_example_verifies_in_any_split() {
    let headers = aws_example_headers();
    let body = aws_example_body();
    assert_eq!(body.len(), 66824);
    for piece in [1, 7, 100, 4096, 65536, body.len()] {
        let (out, s) =
            read(&headers, &body, piece).unwrap_or_else(|e| panic!("split {piece}: {e}"));
        assert_eq!(out.len(), 66560);
        assert!(out.iter().all(|&b| b == b'a'));
        assert_eq!(s.length, 66560);
        assert_eq!(s.md5.len(), 32);
        assert_eq!(s.checksum, None);
    }
}

#[test]
fn a_changed_byte_or_a_cut_body_is_refused() {
    let headers = aws_example_headers();
    let body = aws_example_body();
    // One byte of data changed: that chunk's signature no longer matches.
    let mut changed = body.clone();
    changed[200] = b'b';
    assert_eq!(
        read(&headers, &changed, 4096).unwrap_err(),
        BodyError::ChunkSignatureDoesNotMatch
    );
    // Chunks reordered or a signature swapped.
    let swapped = String::from_utf8(body.clone())
        .unwrap()
        .replacen("ad80c730", "0055627c", 1);
    assert_eq!(
        read(&headers, swapped.as_bytes(), 4096).unwrap_err(),
        BodyError::ChunkSignatureDoesNotMatch
    );
    // Cut before the final chunk.
    let cut = &body[..body.len() - 90];
    assert_eq!(
        read(&headers, cut, 4096).unwrap_err(),
        BodyError::Incomplete
    );
    // Data after the last chunk.
    let mut extra = body.clone();
    extra.extend_from_slice(b"more");
    assert!(matches!(
        read(&headers, &extra, 4096).unwrap_err(),
        BodyError::Malformed(_)
    ));
    // An endless framing line is refused, not buffered.
    let long = vec![b'1'; 10_000];
    assert!(matches!(
        read(&headers, &long, 4096).unwrap_err(),
        BodyError::Malformed(_)
    ));
}

#[test]
fn checksums_are_what_the_sdks_send() {
    // Values computed by botocore's checksum classes for b"hello world".
    let cases = [
        (ChecksumAlgorithm::Crc32, "DUoRhQ=="),
        (ChecksumAlgorithm::Crc32c, "yZRlqg=="),
        (ChecksumAlgorithm::Sha1, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
        (
            ChecksumAlgorithm::Sha256,
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
        ),
    ];
    for (alg, want) in cases {
        let mut c = alg.hasher();
        c.update(b"hello ");
        c.update(b"world");
        assert_eq!(c.finish(), want, "{}", alg.name());
        assert_eq!(ChecksumAlgorithm::from_header(alg.header()), Some(alg));
    }
}

type Verified = Option<(ChecksumAlgorithm, String)>;

/// A body read under the example's credential with other body headers (the request's
/// own signature is not what these cases test).
fn read_unsigned(
    body_headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(Vec<u8>, Verified), BodyError> {
    let headers = aws_example_headers();
    let req = SignedRequest {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
        body_sha256: None,
    };
    let cred = credential(&req).expect("credential");
    let h: Vec<(String, String)> = body_headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut r = BodyReader::new(&h, &cred, signing_key(SECRET, &cred))?;
    let mut out = Vec::new();
    for part in body.chunks(3) {
        r.feed(part, &mut out)?;
    }
    let s = r.finish()?;
    Ok((out, s.checksum))
}

#[test]
fn unsigned_trailer_bodies_are_unframed_and_their_checksum_checked() {
    // As botocore frames it: hex size, data, then the trailer after a zero chunk.
    let h = [
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
        ("x-amz-decoded-content-length", "11"),
    ];
    let body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let (out, checksum) = read_unsigned(&h, body).unwrap();
    assert_eq!(out, b"hello world");
    assert_eq!(
        checksum,
        Some((ChecksumAlgorithm::Crc32, "DUoRhQ==".into()))
    );
    // The JS SDK's framing (several chunks) reads the same.
    let body = b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    assert_eq!(read_unsigned(&h, body).unwrap().0, b"hello world");
    // A wrong checksum, a missing trailer, a lying length.
    let bad = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    assert_eq!(
        read_unsigned(&h, bad).unwrap_err(),
        BodyError::ChecksumMismatch("x-amz-checksum-crc32")
    );
    let none = b"b\r\nhello world\r\n0\r\n\r\n";
    assert!(matches!(
        read_unsigned(&h, none).unwrap_err(),
        BodyError::Malformed(_)
    ));
    let mut long = h;
    long[2].1 = "12";
    let body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    assert_eq!(
        read_unsigned(&long, body).unwrap_err(),
        BodyError::DecodedLength {
            declared: 12,
            got: 11
        }
    );
    // A chunk longer than its size.
    let over = b"a\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    assert!(matches!(
        read_unsigned(&h, over).unwrap_err(),
        BodyError::Malformed(_)
    ));
}

#[test]
fn plain_bodies_are_held_to_their_signed_hash_md5_and_checksum_header() {
    let empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let hello_hash = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
    assert!(read_unsigned(&[("x-amz-content-sha256", hello_hash)], b"hello world").is_ok());
    assert_eq!(
        read_unsigned(&[("x-amz-content-sha256", empty_hash)], b"hello world").unwrap_err(),
        BodyError::ContentSha256Mismatch
    );
    let md5_ok = [
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="),
    ];
    assert!(read_unsigned(&md5_ok, b"hello world").is_ok());
    assert_eq!(
        read_unsigned(&md5_ok, b"hello world!").unwrap_err().code(),
        "BadDigest"
    );
    let md5_bad = [
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("Content-MD5", "not base64"),
    ];
    assert_eq!(
        read_unsigned(&md5_bad, b"x").unwrap_err().code(),
        "InvalidDigest"
    );
    let crc = [
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("x-amz-checksum-crc32c", "yZRlqg=="),
    ];
    assert_eq!(
        read_unsigned(&crc, b"hello world").unwrap().1,
        Some((ChecksumAlgorithm::Crc32c, "yZRlqg==".into()))
    );
    assert_eq!(
        read_unsigned(&crc, b"hello").unwrap_err().code(),
        "BadDigest"
    );
    // No payload header on a header-signed request, and SigV4a, are refused by name.
    assert_eq!(
        read_unsigned(&[], b"").unwrap_err().code(),
        "InvalidArgument"
    );
    let v4a = [(
        "x-amz-content-sha256",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    )];
    assert_eq!(
        read_unsigned(&v4a, b"").unwrap_err().code(),
        "InvalidArgument"
    );
}

#[test]
fn the_aws_signed_trailer_example_verifies() {
    // The S3 API reference's example of STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the
    // chunks chain from the seed signature, and the trailer is signed last.
    let headers: Vec<(String, String)> = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        ("x-amz-trailer", "x-amz-checksum-crc32c"),
        ("x-amz-decoded-content-length", "66560"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    body.extend(std::iter::repeat_n(b'a', 65536));
    body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n");
    let req = SignedRequest {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
        body_sha256: None,
    };
    let cred = credential(&req).expect("credential");
    let run = |body: &[u8]| {
        let mut r = BodyReader::new(&headers, &cred, signing_key(SECRET, &cred))?;
        let mut out = Vec::new();
        for part in body.chunks(1000) {
            r.feed(part, &mut out)?;
        }
        r.finish()
    };
    let s = run(&body).expect("the example verifies");
    assert_eq!(s.length, 66560);
    assert_eq!(
        s.checksum,
        Some((ChecksumAlgorithm::Crc32c, "sOO8/Q==".into()))
    );
    // The trailer's value changed: its signature no longer matches.
    let text = String::from_utf8(body.clone())
        .unwrap()
        .replace("sOO8/Q==", "sOO8/Q=A");
    assert_eq!(
        run(text.as_bytes()).unwrap_err(),
        BodyError::ChunkSignatureDoesNotMatch
    );
}
