//! Token secrets: `cd_` + 36 random base62 characters + a 6-character base62 CRC32 of
//! those 36 (the shape GitHub uses), so a typo or a truncated paste is caught offline,
//! before any call, and secret scanners can match tokens without false positives.
//!
//! The secret type never shows more than its prefix in `Debug` or `Display`, compares in
//! constant time and wipes its memory on drop.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub const TOKEN_PREFIX: &str = "cd_";
pub const RANDOM_LEN: usize = 36;
pub const CHECKSUM_LEN: usize = 6;
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// `cd_` plus this many random characters is the public prefix.
pub const PREFIX_RANDOM_CHARS: usize = 6;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a token secret. Never carries the secret: at most its prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("token: does not start with \"cd_\"")]
    MissingPrefix,
    #[error("token: {len} characters long, a Cloud Digit token has {TOKEN_LEN} (truncated or extra characters?)")]
    WrongLength { len: usize },
    #[error("token {prefix}…: character {position} is not a letter or digit")]
    InvalidCharacter { prefix: String, position: usize },
    #[error("token {prefix}…: checksum does not match (mistyped or corrupted)")]
    BadChecksum { prefix: String },
}

impl TokenFormatError {
    /// Stable code shared by every host.
    pub fn code(&self) -> &'static str {
        match self {
            TokenFormatError::MissingPrefix => "missing_prefix",
            TokenFormatError::WrongLength { .. } => "wrong_length",
            TokenFormatError::InvalidCharacter { .. } => "invalid_character",
            TokenFormatError::BadChecksum { .. } => "bad_checksum",
        }
    }
}

/// CRC-32 (IEEE, as zlib) with one 1 KB table built at compile time: tokens are short,
/// and a slice-by-16 table (16 KB that gzip cannot shrink) would be 5 % of the wasm.
const CRC32: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

/// The base62 CRC32 (IEEE) of the random part, zero-padded to 6 characters.
pub fn checksum(random: &str) -> String {
    let mut n = u64::from(CRC32.checksum(random.as_bytes()));
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

/// A token's secret value.
pub struct TokenSecret(Zeroizing<String>);

impl TokenSecret {
    /// A new random token. `fill` supplies random bytes (the host's CSPRNG: the core has
    /// no I/O); bytes are rejection-sampled so every character is uniform.
    pub fn generate(mut fill: impl FnMut(&mut [u8])) -> TokenSecret {
        let mut random = Zeroizing::new(String::with_capacity(RANDOM_LEN));
        let mut buf = Zeroizing::new([0u8; 64]);
        while random.len() < RANDOM_LEN {
            fill(&mut buf[..]);
            for b in buf.iter() {
                // 248 = 4 * 62: accept only bytes that map evenly onto the alphabet.
                if *b < 248 && random.len() < RANDOM_LEN {
                    random.push(char::from(ALPHABET[usize::from(*b % 62)]));
                }
            }
        }
        let mut s = String::with_capacity(TOKEN_LEN);
        s.push_str(TOKEN_PREFIX);
        s.push_str(&random);
        s.push_str(&checksum(&random));
        TokenSecret(Zeroizing::new(s))
    }

    /// Checks the format and checksum. Surrounding whitespace (a newline from a file)
    /// is ignored; anything else wrong is an error.
    pub fn parse(text: &str) -> Result<TokenSecret, TokenFormatError> {
        let t = text.trim();
        let Some(rest) = t.strip_prefix(TOKEN_PREFIX) else {
            return Err(TokenFormatError::MissingPrefix);
        };
        let len = t.chars().count();
        if len != TOKEN_LEN {
            return Err(TokenFormatError::WrongLength { len });
        }
        let prefix = || prefix_of(t);
        if let Some(pos) = rest.bytes().position(|b| !b.is_ascii_alphanumeric()) {
            return Err(TokenFormatError::InvalidCharacter {
                prefix: prefix(),
                position: TOKEN_PREFIX.len() + pos,
            });
        }
        let (random, sum) = rest.split_at(RANDOM_LEN);
        if checksum(random)
            .as_bytes()
            .ct_eq(sum.as_bytes())
            .unwrap_u8()
            != 1
        {
            return Err(TokenFormatError::BadChecksum { prefix: prefix() });
        }
        Ok(TokenSecret(Zeroizing::new(t.to_owned())))
    }

    /// `cd_` and the first 6 random characters: what lists, logs and audit records show.
    pub fn prefix(&self) -> String {
        prefix_of(&self.0)
    }

    /// The full secret. Named so that every place that reads it stands out in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

fn prefix_of(t: &str) -> String {
    t.chars()
        .take(TOKEN_PREFIX.len() + PREFIX_RANDOM_CHARS)
        .collect()
}

/// Whether `text` is shaped like a token and its checksum matches: what `scan` uses.
pub fn is_token(text: &str) -> bool {
    text.len() == TOKEN_LEN && TokenSecret::parse(text).is_ok()
}

/// Every kind of secret Cloud Digit issues. All share one body — 36 random base62
/// characters and their 6-character checksum — behind a prefix that names the kind, so
/// one finder recognises them all, in text and in logs, without false positives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum SecretKind {
    /// `cd_…`: an API token (personal, a service account's, or a client-credentials bearer).
    ApiToken,
    /// `cdcs_…`: a service account's OAuth client secret.
    ClientSecret,
    /// `cdsk_…`: the secret half of a service account's S3 access key.
    AccessKeySecret,
}

impl SecretKind {
    pub const ALL: [SecretKind; 3] = [
        SecretKind::ApiToken,
        SecretKind::ClientSecret,
        SecretKind::AccessKeySecret,
    ];

    /// What every secret of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::ApiToken => TOKEN_PREFIX,
            SecretKind::ClientSecret => "cdcs_",
            SecretKind::AccessKeySecret => "cdsk_",
        }
    }

    /// The whole secret's length.
    pub fn secret_len(self) -> usize {
        self.prefix().len() + RANDOM_LEN + CHECKSUM_LEN
    }

    /// The kind's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::ApiToken => "api_token",
            SecretKind::ClientSecret => "client_secret",
            SecretKind::AccessKeySecret => "access_key_secret",
        }
    }
}

/// A new random secret of `kind` (`fill` supplies the host's random bytes), in memory
/// that is wiped when dropped.
pub fn generate(kind: SecretKind, fill: impl FnMut(&mut [u8])) -> Zeroizing<String> {
    let token = TokenSecret::generate(fill);
    let body = &token.expose_secret()[TOKEN_PREFIX.len()..];
    let mut s = Zeroizing::new(String::with_capacity(kind.secret_len()));
    s.push_str(kind.prefix());
    s.push_str(body);
    s
}

/// Whether `text` is exactly a secret of `kind` whose checksum matches.
pub fn is_secret(kind: SecretKind, text: &str) -> bool {
    text.len() == kind.secret_len()
        && text.starts_with(kind.prefix())
        && body_checks(&text[kind.prefix().len()..])
}

/// 36 random characters and their checksum, all base62.
pub(crate) fn body_checks(body: &str) -> bool {
    body.len() == RANDOM_LEN + CHECKSUM_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric()) && {
        let (random, sum) = body.split_at(RANDOM_LEN);
        checksum(random)
            .as_bytes()
            .ct_eq(sum.as_bytes())
            .unwrap_u8()
            == 1
    }
}

/// The public prefix of a secret of `kind`: its kind's prefix and 6 characters.
pub fn secret_prefix(kind: SecretKind, text: &str) -> String {
    text.chars()
        .take(kind.prefix().len() + PREFIX_RANDOM_CHARS)
        .collect()
}

impl PartialEq for TokenSecret {
    fn eq(&self, other: &TokenSecret) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for TokenSecret {}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSecret({}…)", self.prefix())
    }
}

impl fmt::Display for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…", self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter_rng() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                *b = n;
                n = n.wrapping_add(37);
            }
        }
    }

    #[test]
    fn crc_is_the_ieee_crc32() {
        // The standard check value, and zlib's crc32 of a token-like string.
        assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            CRC32.checksum(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn generated_tokens_parse_and_hide_their_secret() {
        let t = TokenSecret::generate(counter_rng());
        let s = t.expose_secret().to_owned();
        assert_eq!(s.len(), TOKEN_LEN);
        assert_eq!(TokenSecret::parse(&s).unwrap(), t);
        assert_eq!(format!("{t:?}"), format!("TokenSecret({}…)", &s[..9]));
        assert_eq!(t.to_string(), format!("{}…", &s[..9]));
        assert!(!format!("{t:?}{t}").contains(&s[9..]));
    }

    #[test]
    fn a_single_changed_character_is_caught() {
        let s = TokenSecret::generate(counter_rng())
            .expose_secret()
            .to_owned();
        let mut b = s.clone().into_bytes();
        b[20] = if b[20] == b'a' { b'b' } else { b'a' };
        let err = TokenSecret::parse(std::str::from_utf8(&b).unwrap()).unwrap_err();
        assert_eq!(err.code(), "bad_checksum");
        assert!(!err.to_string().contains(&s[9..]));
    }
}
