//! Finding token secrets in text, for `clouddigit scan`: the format and the checksum
//! must both match, so look-alike strings are never reported, and only the prefix is.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::secret::{is_token, PREFIX_RANDOM_CHARS, TOKEN_LEN, TOKEN_PREFIX};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct SecretFinding {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// `cd_` and 6 characters: never more.
    pub prefix: String,
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every well-formed token with a valid checksum in `text`.
pub fn scan_text(text: &str) -> Vec<SecretFinding> {
    let mut out = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut from = 0;
        while let Some(rel) = line[from..].find(TOKEN_PREFIX) {
            let start = from + rel;
            from = start + TOKEN_PREFIX.len();
            let end = start + TOKEN_LEN;
            let bounded_left = start == 0 || !word_byte(bytes[start - 1]);
            let bounded_right = end == bytes.len() || (end < bytes.len() && !word_byte(bytes[end]));
            if !bounded_left || !bounded_right || end > bytes.len() {
                continue;
            }
            let Some(candidate) = line.get(start..end) else {
                continue;
            };
            if is_token(candidate) {
                out.push(SecretFinding {
                    line: line_no + 1,
                    column: line[..start].chars().count() + 1,
                    prefix: candidate[..TOKEN_PREFIX.len() + PREFIX_RANDOM_CHARS].to_owned(),
                });
                from = end;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::checksum;

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
}
