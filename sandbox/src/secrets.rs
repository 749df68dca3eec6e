//! Making secrets and hashing them. Only hashes and public prefixes reach the database,
//! with one exception SigV4 forces: an access key's secret is what signs S3 requests, so
//! the server must hold it (as S3 does). It is stored sealed ([`Sealer`]) under a key
//! that is not in the database.

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

/// Seals access-key secrets at rest (ChaCha20-Poly1305, a random nonce each): the
/// database alone does not give them away. The key lives in memory for an in-memory
/// sandbox, and in a file of its own (mode 0600) beside a `--db` file.
pub struct Sealer {
    cipher: chacha20poly1305::ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A new random key, kept nowhere.
    pub fn ephemeral() -> std::io::Result<Sealer> {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Sealer::from_key(&key))
    }

    /// The key in `path`, made (mode 0600) if it does not exist.
    pub fn from_file(path: &std::path::Path) -> std::io::Result<Sealer> {
        use std::io::{Read, Write};
        match std::fs::File::open(path) {
            Ok(mut f) => {
                let mut key = zeroize::Zeroizing::new([0u8; 32]);
                f.read_exact(key.as_mut()).map_err(|e| {
                    std::io::Error::other(format!("{}: not a sealing key ({e})", path.display()))
                })?;
                Ok(Sealer::from_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = zeroize::Zeroizing::new([0u8; 32]);
                getrandom::fill(key.as_mut()).map_err(|e| std::io::Error::other(e.to_string()))?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path)?;
                f.write_all(key.as_ref())?;
                f.sync_all()?;
                Ok(Sealer::from_key(&key))
            }
            Err(e) => Err(e),
        }
    }

    fn from_key(key: &[u8; 32]) -> Sealer {
        use chacha20poly1305::KeyInit;
        Sealer {
            cipher: chacha20poly1305::ChaCha20Poly1305::new(key.into()),
        }
    }

    /// `secret` sealed, as base64 of the nonce and the ciphertext.
    pub fn seal(&self, secret: &str) -> Result<String, ApiError> {
        use base64::Engine as _;
        use chacha20poly1305::aead::Aead;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| ApiError::internal(format!("rng: {e}")))?;
        let sealed = self
            .cipher
            .encrypt((&nonce).into(), secret.as_bytes())
            .map_err(|_| ApiError::internal("sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// The secret `sealed` holds; `None` if this key did not seal it (another sandbox's
    /// key file, or a damaged value).
    pub fn open(&self, sealed: &str) -> Option<zeroize::Zeroizing<String>> {
        use base64::Engine as _;
        use chacha20poly1305::aead::Aead;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = self.cipher.decrypt(nonce.into(), ct).ok()?;
        String::from_utf8(plain).ok().map(zeroize::Zeroizing::new)
    }
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
    fn sealed_secrets_open_only_with_their_key() {
        let a = Sealer::ephemeral().unwrap_or_else(|_| panic!("rng"));
        let b = Sealer::ephemeral().unwrap_or_else(|_| panic!("rng"));
        let sealed = a.seal("cdsk_secret").unwrap_or_else(|_| panic!("seal"));
        assert!(!sealed.contains("cdsk_secret"));
        assert_eq!(
            a.open(&sealed).as_deref().map(String::as_str),
            Some("cdsk_secret")
        );
        assert!(b.open(&sealed).is_none());
        assert!(a.open("bm90IHNlYWxlZA==").is_none());
        // Two seals of one secret differ (a nonce each).
        assert_ne!(
            sealed,
            a.seal("cdsk_secret").unwrap_or_else(|_| panic!("seal"))
        );
    }

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
