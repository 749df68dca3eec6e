//! Making secrets and hashing them. Only hashes and public prefixes reach the database.

use clouddigit_core::secret::SecretKind;
use clouddigit_core::TokenSecret;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// A new token secret from the OS CSPRNG. The core asks for bytes through a closure that
/// cannot fail, so bytes are drawn up front and any failure is reported after.
pub fn new_token_secret() -> Result<TokenSecret, ApiError> {
    let mut pool = zeroizing_pool(512)?;
    let mut offset = 0;
    let mut failed = false;
    let secret = TokenSecret::generate(|buf: &mut [u8]| {
        for b in buf.iter_mut() {
            if offset >= pool.len() {
                if getrandom::fill(&mut pool).is_err() {
                    failed = true;
                }
                offset = 0;
            }
            *b = pool[offset];
            offset += 1;
        }
    });
    pool.fill(0);
    if failed {
        return Err(ApiError::internal("the system random source failed"));
    }
    crate::leak::issued(secret.expose_secret());
    Ok(secret)
}

fn zeroizing_pool(n: usize) -> Result<Vec<u8>, ApiError> {
    let mut pool = vec![0u8; n];
    getrandom::fill(&mut pool)
        .map_err(|_| ApiError::internal("the system random source failed"))?;
    Ok(pool)
}

/// `len` uniform characters of `alphabet` (rejection sampling).
pub fn random_string(len: usize, alphabet: &[u8]) -> Result<String, ApiError> {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut buf = zeroizing_pool(64)?;
        for b in buf.iter() {
            if usize::from(*b) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(*b) % alphabet.len()]));
            }
        }
        buf.fill(0);
    }
    Ok(out)
}

/// A new secret of `kind` in the core's format (`cdcs_…` client secrets, `cdsk_…`
/// access-key secrets), from the OS CSPRNG.
pub fn new_secret(kind: SecretKind) -> Result<String, ApiError> {
    let mut failed = false;
    let secret = clouddigit_core::secret::generate(kind, |buf: &mut [u8]| {
        if getrandom::fill(buf).is_err() {
            failed = true;
        }
    });
    if failed {
        return Err(ApiError::internal("the system random source failed"));
    }
    let secret = secret.to_string();
    crate::leak::issued(&secret);
    Ok(secret)
}

/// A client secret for the client-credentials grant.
pub fn new_client_secret() -> Result<String, ApiError> {
    new_secret(SecretKind::ClientSecret)
}

/// An S3-style access key: a 20-character id (`CDAK` + 16 upper-case) and a secret.
pub fn new_access_key() -> Result<(String, String), ApiError> {
    let id = format!(
        "CDAK{}",
        random_string(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")?
    );
    Ok((id, new_secret(SecretKind::AccessKeySecret)?))
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Every secret of any kind cut to its prefix and `…`, for logs and the audit log: the
/// core's one finder.
pub fn scrub(text: &str) -> String {
    clouddigit_core::scan::redact_secrets(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_and_scrub() {
        let s = new_token_secret().unwrap_or_else(|_| panic!("rng"));
        let text = s.expose_secret().to_owned();
        assert!(TokenSecret::parse(&text).is_ok());
        let scrubbed = scrub(&format!("/v1/x/{text}?a=cd_short"));
        assert!(!scrubbed.contains(&text));
        assert!(scrubbed.contains(&format!("{}…", &text[..9])));
        assert!(scrubbed.ends_with("a=cd_short"));
        let cs = new_client_secret().unwrap_or_else(|_| panic!("rng"));
        let (_, sk) = new_access_key().unwrap_or_else(|_| panic!("rng"));
        let scrubbed = scrub(&format!(
            "client_secret={cs}&k={}",
            sk.replacen('_', "%5F", 1)
        ));
        assert!(
            !scrubbed.contains(&cs[11..]) && !scrubbed.contains(&sk[11..]),
            "{scrubbed}"
        );
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
