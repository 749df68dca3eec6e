//! Leaked secrets reported by a secret scanner, in the shape of GitHub's secret scanning
//! partner program (`docs/secret-scanning.md`): the scanner POSTs a JSON array of
//! `{token, type, url, source}` signed with an ECDSA P-256 key the organization trusts,
//! and gets back, for each secret in order, its hash, whether it is one of ours (a true
//! positive) and what was done about it.
//!
//! Written once here: which secrets are ours to judge ([`classify`]), what a report does
//! to each under the organization's policy ([`decide`]), the words the audit log uses
//! ([`audit_detail`]), the limits of a report, and (feature `secret-scanning`) the trusted
//! keys and the signature check ([`TrustedKey`]). A host looks secrets up by their hash
//! and carries out what [`decide`] says.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::model::{LeakedTokenAction, TokenPolicy, TokenStatus};
use crate::secret::{is_secret, secret_prefix, SecretKind};

/// The headers a report's key identifier may come in: GitHub's, and ours.
pub const KEY_ID_HEADERS: [&str; 2] = [
    "github-public-key-identifier",
    "x-clouddigit-key-identifier",
];
/// The headers a report's signature (base64 of the DER ECDSA signature) may come in.
pub const SIGNATURE_HEADERS: [&str; 2] = ["github-public-key-signature", "x-clouddigit-signature"];
/// The largest report body, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most secrets one report may carry.
pub const MAX_ALERTS: usize = 1000;
/// The longest `token` read (a longer one is not any secret of ours).
pub const MAX_TOKEN_CHARS: usize = 1024;
/// The longest `url`.
pub const MAX_URL_CHARS: usize = 4096;
/// The longest `type` and `source`.
pub const MAX_LABEL_CHARS: usize = 256;

/// A reported secret as the scanner found it. Its `Debug` shows the secret's kind prefix
/// and 6 characters at most.
#[derive(Clone, Deserialize, JsonSchema)]
pub struct ReportedSecret(
    #[schemars(with = "String", length(min = 1, max = MAX_TOKEN_CHARS))]
    #[serde(deserialize_with = "secret_string")]
    Zeroizing<String>,
);

fn secret_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
    String::deserialize(d).map(Zeroizing::new)
}

impl ReportedSecret {
    pub fn new(text: impl Into<String>) -> ReportedSecret {
        ReportedSecret(Zeroizing::new(text.into()))
    }

    /// The secret itself. Named so that every place that reads it stands out in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// What may be shown of it: the kind's prefix and 6 characters for a secret of ours,
    /// else its first 3 characters.
    pub fn prefix(&self) -> String {
        match classify(&self.0) {
            Some(kind) => secret_prefix(kind, &self.0),
            None => self.0.chars().take(3).collect(),
        }
    }
}

impl fmt::Debug for ReportedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReportedSecret({}…)", self.prefix())
    }
}

/// One secret a scanner found (GitHub's `{token, type, url, source}`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Alert {
    /// The secret as found. Never echoed back: the answer has its hashes.
    pub token: ReportedSecret,
    /// The scanner's name for the kind of secret (`clouddigit_api_token`).
    #[serde(rename = "type")]
    #[schemars(length(max = MAX_LABEL_CHARS))]
    pub token_type: String,
    /// Where it was found.
    #[schemars(length(max = MAX_URL_CHARS))]
    pub url: String,
    /// What kind of place that is (`content`, `commit`, `gist_content`, `npm`...).
    #[schemars(length(max = MAX_LABEL_CHARS))]
    pub source: String,
}

impl Alert {
    /// The first field over its limit, as (field, limit) — the schema's `maxLength`s,
    /// which a host checks after reading the report.
    pub fn oversized(&self) -> Option<(&'static str, usize)> {
        let long = |s: &str, max: usize| s.chars().count() > max;
        if self.token.expose_secret().is_empty() {
            return Some(("token", MAX_TOKEN_CHARS));
        }
        [
            ("token", self.token.expose_secret(), MAX_TOKEN_CHARS),
            ("type", self.token_type.as_str(), MAX_LABEL_CHARS),
            ("url", self.url.as_str(), MAX_URL_CHARS),
            ("source", self.source.as_str(), MAX_LABEL_CHARS),
        ]
        .into_iter()
        .find(|(_, s, max)| long(s, *max))
        .map(|(f, _, max)| (f, max))
    }
}

/// A report: the secrets a scanner found, at most 1,000 ([`MAX_ALERTS`]).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct AlertReport(#[schemars(length(max = MAX_ALERTS))] pub Vec<Alert>);

/// Whether a reported secret is one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum Label {
    /// A well-formed secret (prefix and checksum) that this organization issued, in any
    /// state.
    TruePositive,
    /// Anything else.
    FalsePositive,
}

/// What a report did to a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum AlertAction {
    /// Revoked now, with everything made through it (an API token, an access key), or
    /// taken off its account with its bearers and what they made (a client secret).
    Revoked,
    /// Quarantined: it reads, and nothing else, until its owner rotates it.
    Quarantined,
    /// It was revoked before this report.
    AlreadyRevoked,
    /// Nothing: not one of ours.
    None,
}

/// The answer for one secret, in the order reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct AlertResult {
    /// Lowercase hex SHA-256 of the secret as reported.
    pub token_hash: String,
    /// Base64 SHA-256 of the secret: what the audit log's `hashed_token` holds.
    pub hashed_token: String,
    /// The report's `type`, echoed.
    pub token_type: String,
    pub label: Label,
    /// The report's `url`, echoed (a secret in it cut to its prefix).
    pub url: String,
    pub action: AlertAction,
}

/// Which kind of our secrets `text` is, exactly (prefix, length, alphabet and checksum);
/// `None` for anything else, which no lookup is made for.
pub fn classify(text: &str) -> Option<SecretKind> {
    SecretKind::ALL.into_iter().find(|k| is_secret(*k, text))
}

/// Lowercase hex SHA-256 of `secret`: the answer's `token_hash`.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What the host found for a reported secret of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No credential of this organization has this secret (or it is not one of ours).
    NotIssued,
    /// An API token (or a client-credentials bearer) in this state.
    Token {
        status: TokenStatus,
        quarantined: bool,
    },
    /// A service account's current client secret.
    ClientSecret,
    /// An access key's secret.
    AccessKey { revoked: bool },
}

/// The label and the action for a reported secret, under the organization's policy.
///
/// - Not ours: `false_positive`, nothing done.
/// - A token already revoked: `already_revoked`. Any other token is acted on by the
///   policy's `leaked_token_action`: `revoke` (the default) revokes it with everything
///   made through it; `quarantine` quarantines a live token. A token that no longer works
///   (expired, or rotated out) is revoked under either: nothing is lost, the leak is on
///   record, and a token expired only by the policy's maximum lifetime cannot come back.
/// - A client secret or an access key is always revoked (there is no reading-only state
///   for them); a revoked access key is `already_revoked`.
pub fn decide(found: &Found, policy: Option<&TokenPolicy>) -> (Label, AlertAction) {
    let quarantine = policy.is_some_and(|p| p.leaked_token_action == LeakedTokenAction::Quarantine);
    let action = match *found {
        Found::NotIssued => return (Label::FalsePositive, AlertAction::None),
        Found::Token {
            status: TokenStatus::Revoked,
            ..
        } => AlertAction::AlreadyRevoked,
        Found::Token { status, .. } if quarantine && status.is_live() => AlertAction::Quarantined,
        Found::Token { .. } | Found::ClientSecret => AlertAction::Revoked,
        Found::AccessKey { revoked: true } => AlertAction::AlreadyRevoked,
        Found::AccessKey { revoked: false } => AlertAction::Revoked,
    };
    (Label::TruePositive, action)
}

/// The audit record's `detail` for a report's action on a secret of ours:
/// `revoked: leaked at <url> (source <source>)`.
pub fn audit_detail(action: AlertAction, url: &str, source: &str) -> String {
    let what = match action {
        AlertAction::Revoked => "revoked",
        AlertAction::Quarantined => "quarantined",
        AlertAction::AlreadyRevoked => "already revoked",
        AlertAction::None => "no action",
    };
    format!("{what}: leaked at {url} (source {source})")
}

/// The longest name of a trusted key.
pub const MAX_KEY_NAME_CHARS: usize = 64;
/// A trusted key's name (it names the reporter in the audit log), as a regular expression.
pub const KEY_NAME_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

/// What is wrong with a trusted key's name, if anything: 1 to 64 letters, digits, `.`,
/// `_` and `-`, starting with a letter or digit ([`KEY_NAME_PATTERN`]).
pub fn key_name_problem(name: &str) -> Option<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() {
        Some("a name is required".into())
    } else if name.chars().count() > MAX_KEY_NAME_CHARS {
        Some(format!("at most {MAX_KEY_NAME_CHARS} characters"))
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) || !name.chars().all(ok_char) {
        Some("letters, digits, '.', '_' and '-', starting with a letter or digit".into())
    } else {
        None
    }
}

/// The name `clouddigit configure --scanning-key` registers a key under: the profile, the
/// machine and the key id's first 8 characters (`default.build-01.3fa9c2d1`, so a key made
/// again does not collide with the one it replaces), every character the name rule
/// refuses made `-`, cut to its length, so that any profile on any host names its key
/// validly.
pub fn key_name_for(profile: &str, hostname: &str, key_id: &str) -> String {
    let id: String = key_id.chars().take(8).collect();
    let room = MAX_KEY_NAME_CHARS.saturating_sub(id.chars().count() + 1);
    let head: String = format!("{profile}.{hostname}").chars().take(room).collect();
    let raw = format!("{head}.{id}");
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(MAX_KEY_NAME_CHARS)
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        name.replace_range(..1, "k");
    }
    name
}

/// The actor a report's audit records name: `secret-scanning:<key name>`.
pub fn reporter(key_name: &str) -> String {
    format!("secret-scanning:{key_name}")
}

#[cfg(feature = "secret-scanning")]
mod keys;
#[cfg(feature = "secret-scanning")]
pub use keys::{KeyError, SignatureError, TrustedKey};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::TokenSecret;

    #[test]
    fn configures_key_names_always_pass_the_name_rule() {
        assert_eq!(
            key_name_for("default", "build-01", "3fa9c2d1aa"),
            "default.build-01.3fa9c2d1"
        );
        for (profile, host) in [
            ("work", "ana@laptop"),
            ("_x", "h"),
            ("p", "ünïcode host"),
            ("a".repeat(60).as_str(), "long-hostname.example.com"),
            ("", ""),
        ] {
            let name = key_name_for(profile, host, "0123456789abcdef");
            assert!(name.ends_with(".01234567"), "{name:?}");
            assert_eq!(key_name_problem(&name), None, "{name:?}");
        }
    }

    fn rng() -> impl FnMut(&mut [u8]) {
        let mut n = 7u8;
        move |buf: &mut [u8]| {
            for b in buf {
                *b = n;
                n = n.wrapping_mul(31).wrapping_add(11);
            }
        }
    }

    #[test]
    fn only_well_formed_secrets_are_ours() {
        let t = TokenSecret::generate(rng());
        let text = t.expose_secret();
        assert_eq!(classify(text), Some(SecretKind::ApiToken));
        let cs = format!("cdcs_{}", &text[3..]);
        assert_eq!(classify(&cs), Some(SecretKind::ClientSecret));
        let sk = format!("cdsk_{}", &text[3..]);
        assert_eq!(classify(&sk), Some(SecretKind::AccessKeySecret));
        // One character off: the checksum catches it.
        let mut bad = text.to_owned().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert_eq!(classify(std::str::from_utf8(&bad).unwrap()), None);
        assert_eq!(classify(&format!(" {text}")), None);
        assert_eq!(classify("ghp_0123456789"), None);
    }

    #[test]
    fn the_policy_picks_the_action() {
        let live = Found::Token {
            status: TokenStatus::Active,
            quarantined: false,
        };
        let q = TokenPolicy {
            leaked_token_action: LeakedTokenAction::Quarantine,
            ..TokenPolicy::default()
        };
        assert_eq!(
            decide(&live, None),
            (Label::TruePositive, AlertAction::Revoked)
        );
        assert_eq!(
            decide(&live, Some(&q)),
            (Label::TruePositive, AlertAction::Quarantined)
        );
        let revoked = Found::Token {
            status: TokenStatus::Revoked,
            quarantined: false,
        };
        assert_eq!(decide(&revoked, Some(&q)).1, AlertAction::AlreadyRevoked);
        let expired = Found::Token {
            status: TokenStatus::Expired,
            quarantined: false,
        };
        assert_eq!(decide(&expired, Some(&q)).1, AlertAction::Revoked);
        assert_eq!(
            decide(&Found::ClientSecret, Some(&q)).1,
            AlertAction::Revoked
        );
        assert_eq!(
            decide(&Found::AccessKey { revoked: true }, None).1,
            AlertAction::AlreadyRevoked
        );
        assert_eq!(
            decide(&Found::NotIssued, None),
            (Label::FalsePositive, AlertAction::None)
        );
    }

    #[test]
    fn key_names_are_short_and_plain() {
        assert_eq!(key_name_problem("github"), None);
        assert_eq!(key_name_problem("gitlab.com_2-x"), None);
        assert!(key_name_problem("").is_some());
        assert!(key_name_problem("-x").is_some());
        assert!(key_name_problem("a b").is_some());
        assert!(key_name_problem(&"a".repeat(65)).is_some());
        assert_eq!(key_name_problem(&"a".repeat(64)), None);
    }

    #[test]
    fn a_reported_secret_never_shows_in_debug() {
        let t = TokenSecret::generate(rng());
        let alert: Alert = serde_json::from_value(serde_json::json!({
            "token": t.expose_secret(), "type": "clouddigit_api_token",
            "url": "https://example.test/x", "source": "content"
        }))
        .unwrap();
        let shown = format!("{alert:?}");
        assert!(shown.contains(&t.prefix()), "{shown}");
        assert!(!shown.contains(&t.expose_secret()[9..]), "{shown}");
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(
            audit_detail(AlertAction::Revoked, "https://x.test/a", "commit"),
            "revoked: leaked at https://x.test/a (source commit)"
        );
    }
}
