//! S3 request bodies as they stream in: any bytes in any split, under any payload form
//! (signed hash, unsigned, aws-chunked with or without chunk signatures and a trailer),
//! are unframed or refused with an S3 code, never a panic; the object's bytes never
//! exceed what arrived, and splitting the input differently never changes the answer.
#![no_main]
use clouddigit_core::s3_body::BodyReader;
use clouddigit_core::sigv4::{credential, signing_key, SignedRequest};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "cdsk/EXAMPLE+secret0123456789abcdefghijklm";
const FORMS: [&str; 6] = [
    "UNSIGNED-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
];
const TRAILERS: [&str; 4] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-sha256",
    "x-amz-checksum-crc64nvme",
];

fn run(headers: &[(String, String)], body: &[u8], split: usize) -> Result<(Vec<u8>, u64), String> {
    let auth = [
        ("x-amz-date".to_owned(), "20261124T120000Z".to_owned()),
        ("authorization".to_owned(), "AWS4-HMAC-SHA256 Credential=CDAKEXAMPLE0123456789/20261124/bd-dha-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000".to_owned()),
    ];
    let req = SignedRequest {
        method: "PUT",
        path: "/b/k",
        query: "",
        headers: &auth,
        body_sha256: None,
    };
    let cred = credential(&req).map_err(|e| e.to_string())?;
    let mut r = BodyReader::new(headers, &cred, signing_key(SECRET, &cred))
        .map_err(|e| e.code().to_owned())?;
    let mut out = Vec::new();
    for part in body.chunks(split.max(1)) {
        r.feed(part, &mut out).map_err(|e| e.code().to_owned())?;
    }
    let s = r.finish().map_err(|e| e.code().to_owned())?;
    Ok((out, s.length))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let form = FORMS[usize::from(data[0]) % FORMS.len()];
    let trailer = TRAILERS[usize::from(data[1]) % TRAILERS.len()];
    let split = usize::from(data[2]) + 1;
    let body = &data[3..];
    let mut headers = vec![("x-amz-content-sha256".to_owned(), form.to_owned())];
    if form.ends_with("TRAILER") {
        headers.push(("x-amz-trailer".to_owned(), trailer.to_owned()));
    }
    let a = run(&headers, body, split);
    let b = run(&headers, body, body.len());
    if let Ok((out, len)) = &a {
        assert!(out.len() <= body.len());
        assert_eq!(out.len() as u64, *len);
    }
    assert_eq!(a, b, "the answer depends on how the body was split");
});
