//! Finding token secrets in text, for `clouddigit scan`: the format and the checksum
//! must both match, so look-alike strings are never reported, and only the prefix is.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::secret::{body_checks, SecretKind, CHECKSUM_LEN, PREFIX_RANDOM_CHARS, RANDOM_LEN};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct SecretFinding {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The kind's prefix and 6 characters (`cd_AbC123`, `cdcs_AbC123`): never more.
    pub prefix: String,
    /// `api_token`, `client_secret` or `access_key_secret`.
    pub kind: String,
}

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Byte offsets of the secret as written (percent-encoded or not).
    pub start: usize,
    pub end: usize,
    pub kind: SecretKind,
    /// The kind's prefix and 6 characters, decoded: safe to show.
    pub prefix: String,
}

/// The prefilter: every secret `find_secrets(_, true)` reports contains at least one of
/// these byte strings (its kind's stem followed by `_`, or by the `%5` of `%5F`). A host
/// walking many files may hand over only the files that contain one of them; the check
/// itself (format and checksum) stays [`find_secrets`]'s. Hosts search for them with
/// their own fast substring search (`memchr`/`aho-corasick`, `Buffer.indexOf`).
pub const SCAN_LITERALS: [&str; 6] = ["cd_", "cdcs_", "cdsk_", "cd%5", "cdcs%5", "cdsk%5"];

/// A found secret's fingerprint, for baselines and SARIF's `partialFingerprints`: the
/// first 16 bytes of SHA-256 over `clouddigit-scan-v1:` and the secret as decoded (so
/// `cd%5F…` and `cd_…` are the same secret), in hex. It depends on the secret only, not
/// on where it was found, so moving a known secret to another file or line keeps it
/// known; it cannot be turned back into the secret (36 random base62 characters).
pub fn fingerprint(secret_as_written: &str) -> String {
    use sha2::{Digest, Sha256};
    let decoded = decoded_secret(secret_as_written);
    let mut h = Sha256::new();
    h.update(b"clouddigit-scan-v1:");
    h.update(decoded.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The secret with a percent-encoded underscore (`cd%5F…`) decoded.
pub fn decoded_secret(secret_as_written: &str) -> zeroize::Zeroizing<String> {
    let mut out = zeroize::Zeroizing::new(String::with_capacity(secret_as_written.len()));
    match secret_as_written.find('%') {
        Some(at)
            if secret_as_written
                .get(at..at + 3)
                .is_some_and(|e| e.eq_ignore_ascii_case("%5F")) =>
        {
            out.push_str(&secret_as_written[..at]);
            out.push('_');
            out.push_str(&secret_as_written[at + 3..]);
        }
        _ => out.push_str(secret_as_written),
    }
    out
}

/// Every well-formed secret with a valid checksum in `text`, line by line: `visit` gets
/// the 1-based line number, the 1-based column (in characters), the match (byte offsets
/// within the line) and the line itself. [`scan_text`] and the command's `scan` both
/// read text through this.
pub fn scan_lines(text: &str, mut visit: impl FnMut(usize, usize, &SecretMatch, &str)) {
    for (line_no, line) in text.lines().enumerate() {
        for m in find_secrets(line, true) {
            let column = line[..m.start].chars().count() + 1;
            visit(line_no + 1, column, &m, line);
        }
    }
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Kinds by the stem before their `_`, longest first so `cdcs_` is never read as `cd`.
const STEMS: [(&str, SecretKind); 3] = [
    ("cdcs", SecretKind::ClientSecret),
    ("cdsk", SecretKind::AccessKeySecret),
    ("cd", SecretKind::ApiToken),
];

/// Every secret of every kind in `text`: the one finder behind `scan`, the SDKs' error
/// scrubbing and the sandbox's audit scrubbing. A secret may be written plainly or with
/// its underscore percent-encoded (`cd%5F…`, as it appears in URLs and form bodies).
///
/// `strict` (for `scan`, which must not cry wolf): the whole word is a secret and its
/// checksum matches. Otherwise (for scrubbing, where a mistyped or glued-on secret is
/// still a secret): a prefix followed by at least 36 letters and digits, the whole run
/// hidden.
pub fn find_secrets(text: &str, strict: bool) -> Vec<SecretMatch> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = text.get(i..).and_then(|t| t.find("cd")) {
        let start = i + rel;
        i = start + 1;
        if strict && start > 0 && word_byte(bytes[start - 1]) {
            continue;
        }
        for (stem, kind) in STEMS {
            let Some(after_stem) = text.get(start..).and_then(|t| t.strip_prefix(stem)) else {
                continue;
            };
            let sep = if after_stem.starts_with('_') {
                1
            } else if after_stem.starts_with("%5F") || after_stem.starts_with("%5f") {
                3
            } else {
                continue;
            };
            let body_start = start + stem.len() + sep;
            let run = bytes[body_start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let end = body_start + run;
            let body = &text[body_start..end];
            let found = if strict {
                run == RANDOM_LEN + CHECKSUM_LEN
                    && !bytes.get(end).is_some_and(|b| word_byte(*b))
                    && body_checks(body)
            } else {
                run >= RANDOM_LEN
            };
            if found {
                let mut prefix = String::with_capacity(stem.len() + 1 + PREFIX_RANDOM_CHARS);
                prefix.push_str(stem);
                prefix.push('_');
                prefix.push_str(&body[..PREFIX_RANDOM_CHARS]);
                out.push(SecretMatch {
                    start,
                    end,
                    kind,
                    prefix,
                });
                i = end;
            }
            break;
        }
    }
    out
}

/// `text` with every secret (of any kind, however mistyped) cut to its prefix and `…`:
/// what logs, errors and audit records may hold.
pub fn redact_secrets(text: &str) -> String {
    let found = find_secrets(text, false);
    if found.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in found {
        out.push_str(&text[at..m.start]);
        out.push_str(&m.prefix);
        out.push('…');
        at = m.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Every well-formed secret with a valid checksum in `text`, by line and column.
pub fn scan_text(text: &str) -> Vec<SecretFinding> {
    let mut out = Vec::new();
    scan_lines(text, |line, column, m, _| {
        out.push(SecretFinding {
            line,
            column,
            prefix: m.prefix.clone(),
            kind: m.kind.as_str().to_owned(),
        })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{checksum, SecretKind};

    fn token(random: &str) -> String {
        format!("cd_{random}{}", checksum(random))
    }

    #[test]
    fn finds_only_real_tokens() {
        let good = token("a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ");
        let mut bad = good.clone();
        bad.replace_range(10..11, "Q");
        let text = format!(
            "export CD_API_TOKEN={good}\nlook-alike: {bad}\n\"{good}\", x{good}\ncd_short\n  é {good}"
        );
        let found = scan_text(&text);
        assert_eq!(
            found.iter().map(|f| (f.line, f.column)).collect::<Vec<_>>(),
            vec![(1, 21), (3, 2), (5, 5)]
        );
        assert!(found.iter().all(|f| f.prefix == good[..9]));
    }

    #[test]
    fn every_kind_plain_and_percent_encoded() {
        let mut n = 7u8;
        let mut rng = move |buf: &mut [u8]| {
            for b in buf {
                *b = n;
                n = n.wrapping_mul(13).wrapping_add(5);
            }
        };
        for kind in SecretKind::ALL {
            let secret = crate::secret::generate(kind, &mut rng).to_string();
            assert!(crate::secret::is_secret(kind, &secret));
            let encoded = secret.replacen('_', "%5F", 1);
            // The prefilter lets every form through, and both forms are one secret.
            for form in [&*secret, &encoded, &secret.replacen('_', "%5f", 1)] {
                assert!(SCAN_LITERALS.iter().any(|l| form.contains(l)), "{form}");
                assert_eq!(fingerprint(form), fingerprint(&secret));
            }
            assert_eq!(fingerprint(&secret).len(), 32);
            assert!(!fingerprint(&secret).contains(&secret[kind.prefix().len()..][..8]));
            let text = format!("a={secret}&b={encoded}\nplain {secret}");
            let found = scan_text(&text);
            assert_eq!(found.len(), 3, "{kind:?}: {found:?}");
            assert!(found
                .iter()
                .all(|f| f.kind == kind.as_str() && f.prefix == secret[..kind.prefix().len() + 6]));
            let redacted = redact_secrets(&text);
            assert!(
                !redacted.contains(&secret[kind.prefix().len() + 6..]),
                "{redacted}"
            );
            // A mistyped secret is not reported by scan, but is still hidden.
            let mut typo = secret.clone().into_bytes();
            let last = typo.len() - 1;
            typo[last] = if typo[last] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            assert!(scan_text(&typo).is_empty());
            assert_eq!(
                redact_secrets(&typo),
                format!("{}…", &secret[..kind.prefix().len() + 6])
            );
        }
    }
}
