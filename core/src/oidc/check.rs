//! A JWT read against trusts, offline, as one report: the signature's verdict (or that it
//! was not checked), which trust the exchange would use, every trust's checks, and what
//! the token says. The `clouddigit trust check` command, `checkTrust` (npm) and
//! `check_trust` (Python) all print or return this; the sandbox's exchange decides with
//! the same [`super::choose`]. Also here: reading a trust file (one trust or a list) and
//! the presets as a form lists them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::trust::{Preset, Trust, TrustMatch, TrustSpec};

/// What the report's `signature` says when no JWKS was given.
pub const SIGNATURE_NOT_CHECKED: &str = "not_checked";
/// What the report's `signature` says when the signature verifies.
pub const SIGNATURE_OK: &str = "ok";

/// What a JWT says about itself (header and registered claims), for a person to compare
/// with the trusts. Never the token itself, nor its signature.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ClaimsSummary {
    /// The header's algorithm (`RS256`, `ES256`, `EdDSA`; anything else is refused).
    pub alg: String,
    /// The header's key id, which names the JWKS key.
    pub kid: Option<String>,
    pub iss: Option<String>,
    pub sub: Option<String>,
    /// `aud`, as a list whether the token gives one string or several.
    pub aud: Vec<String>,
    /// NumericDates (seconds since the epoch), as the token gives them.
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub jti: Option<String>,
}

/// A JWT read against a list of trusts: the answer of `trust check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TrustCheckReport {
    /// A trust matches and the signature did not fail: `true` with `signature` `ok` is
    /// what the exchange accepts; with `not_checked` it says the claims would be.
    pub accepted: bool,
    /// `ok`; `not_checked` (no JWKS given); or why the signature is refused:
    /// `malformed_jwt`, `unsupported_algorithm`, `unknown_key`, `bad_jwks`,
    /// `bad_signature`.
    pub signature: String,
    /// What `signature` means, for people.
    pub signature_detail: String,
    /// The first trust whose every check passed (the one the exchange uses), whatever
    /// the signature says; null when none does.
    pub trust: Option<String>,
    /// The verdict in one sentence.
    pub message: String,
    /// What the token says; null when it is not a JWT.
    pub claims: Option<ClaimsSummary>,
    /// Every trust, in order, with each of its checks.
    pub matches: Vec<TrustMatch>,
}

impl ClaimsSummary {
    /// What `jwt`'s header and registered claims say.
    pub fn of(jwt: &super::Jwt) -> ClaimsSummary {
        let c = &jwt.claims;
        ClaimsSummary {
            alg: jwt.header.alg.chars().take(16).collect(),
            kid: jwt.header.kid.clone(),
            iss: c.string("iss"),
            sub: c.string("sub"),
            aud: c.audiences(),
            exp: c.number("exp"),
            nbf: c.number("nbf"),
            iat: c.number("iat"),
            jti: c.string("jti"),
        }
    }
}

/// Reads `jwt` against `trusts` at `now`. With `jwks` (the issuer's JWKS document) the
/// signature is verified; without it the report says it was not checked, and the claims
/// are read all the same. A token that is not a JWT is a report too (`malformed_jwt`,
/// no claims, no matches). Nothing in the report quotes the token.
#[cfg(feature = "jwt")]
pub fn check_trust(
    jwt: &str,
    trusts: &[Trust],
    now: crate::model::Timestamp,
    jwks: Option<&str>,
) -> TrustCheckReport {
    let token = match super::Jwt::parse(jwt) {
        Ok(t) => t,
        Err(e) => {
            return TrustCheckReport {
                accepted: false,
                signature: e.code().to_owned(),
                signature_detail: e.to_string(),
                trust: None,
                message: format!("refused: {e}"),
                claims: None,
                matches: Vec::new(),
            }
        }
    };
    let verified = jwks.map(|set| token.verify(set));
    let (signature, signature_detail) = match &verified {
        None => (
            SIGNATURE_NOT_CHECKED.to_owned(),
            "no JWKS was given, so nothing shows the issuer signed this token".to_owned(),
        ),
        Some(Ok(())) => (
            SIGNATURE_OK.to_owned(),
            match &token.header.kid {
                Some(kid) => format!("verified with the JWKS's key {kid:?}"),
                None => "verified with the JWKS's only key".to_owned(),
            },
        ),
        Some(Err(e)) => (e.code().to_owned(), e.to_string()),
    };
    let (chosen, matches) = super::choose(trusts, &token.claims, now);
    let trust = chosen.map(|t| t.id.clone());
    let name = |t: &Trust| {
        if t.id.is_empty() {
            format!("{:?}", t.spec.name)
        } else {
            t.id.clone()
        }
    };
    let message = match (&verified, chosen) {
        (Some(Err(e)), Some(t)) => format!(
            "refused: {e} (the claims satisfy trust {})",
            name(t)
        ),
        (Some(Err(e)), None) => format!("refused: {e} (and no trust matches the claims)"),
        (_, None) if trusts.is_empty() => "refused: there are no trusts to match".to_owned(),
        (_, None) => {
            let last = matches.last().and_then(|m| m.failure());
            match (trusts.last(), last) {
                (Some(t), Some(f)) if trusts.len() == 1 => {
                    format!("refused: trust {} does not match: {}", name(t), f.detail)
                }
                _ => format!("refused: none of the {} trusts matches", trusts.len()),
            }
        }
        (Some(Ok(())), Some(t)) => format!("accepted by trust {} (signature verified)", name(t)),
        (None, Some(t)) => format!(
            "the claims satisfy trust {}; the signature was NOT checked (no JWKS given), so this does not show the issuer signed it",
            name(t)
        ),
    };
    TrustCheckReport {
        accepted: chosen.is_some() && !matches!(verified, Some(Err(_))),
        signature,
        signature_detail,
        trust,
        message,
        claims: Some(ClaimsSummary::of(&token)),
        matches,
    }
}

/// Every preset, in the order a form lists them.
pub fn presets() -> Vec<PresetInfo> {
    use strum::IntoEnumIterator as _;
    Preset::iter().map(Preset::info).collect()
}

/// A trust file or argument as JSON text: one trust (an object) or a list of them.
/// Errors name `what` and the place (`trusts[1].audiences: invalid type ...`).
pub fn read_trusts(text: &str, what: &str) -> Result<Vec<Trust>, String> {
    trusts_from_value(crate::json::from_json(text, what)?, what)
}

/// [`read_trusts`] for JSON already parsed. Each trust is read as its `id` and a
/// [`TrustSpec`], so an unknown field is refused (a misspelt `subjet` must not silently
/// drop a condition) and an error names the field, which reading [`Trust`] with its
/// flattened spec would do neither of.
pub fn trusts_from_value(value: serde_json::Value, what: &str) -> Result<Vec<Trust>, String> {
    fn one(mut v: serde_json::Value, what: &str) -> Result<Trust, String> {
        let id = match v.as_object_mut().and_then(|o| o.remove("id")) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(id)) => id,
            Some(other) => return Err(format!("{what}.id: expected a string, got {other}")),
        };
        let spec = crate::json::from_json(&v.to_string(), what)?;
        Ok(Trust { id, spec })
    }
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| one(v, &format!("{what}[{i}]")))
            .collect(),
        v => one(v, what).map(|t| vec![t]),
    }
}

/// A preset as a form offers it: the issuer, the subject with its placeholders, and
/// the claim whose id to pin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct PresetInfo {
    pub preset: Preset,
    pub issuer: String,
    /// The subject with placeholders in capitals: `repo:OWNER/REPO:ref:refs/heads/BRANCH`.
    pub subject: String,
    /// What `path` stands for (`OWNER/REPO`, `GROUP/PROJECT`, `NAMESPACE`).
    pub path: String,
    /// What `branch_or_env` stands for (`BRANCH`, `ENVIRONMENT`, `NAME`); null when the
    /// subject has none (a pull request).
    pub branch_or_env: Option<String>,
    /// The claim to pin to an id (`repository_owner_id`, `namespace_id`), left empty in
    /// the draft; null when the platform has none.
    pub id_claim: Option<String>,
}

impl Preset {
    /// The preset of that name (`github_branch`, as in JSON); the error lists them all.
    /// Hosts whose arguments are not JSON read the name with this rather than serde.
    pub fn named(name: &str) -> Result<Preset, String> {
        use strum::IntoEnumIterator as _;
        Preset::iter()
            .find(|p| <&str>::from(*p) == name)
            .ok_or_else(|| {
                let all: Vec<&str> = Preset::iter().map(<&str>::from).collect();
                format!("preset: {name:?} is not one of {}", all.join(", "))
            })
    }

    fn placeholders(self) -> (&'static str, Option<&'static str>) {
        match self {
            Preset::GithubBranch => ("OWNER/REPO", Some("BRANCH")),
            Preset::GithubEnvironment => ("OWNER/REPO", Some("ENVIRONMENT")),
            Preset::GithubPullRequest => ("OWNER/REPO", None),
            Preset::GitlabBranch => ("GROUP/PROJECT", Some("BRANCH")),
            Preset::KubernetesServiceAccount => ("NAMESPACE", Some("NAME")),
        }
    }

    /// The preset as a form offers it (see [`PresetInfo`]).
    pub fn info(self) -> PresetInfo {
        let (path, value) = self.placeholders();
        let draft: TrustSpec = self.draft(path, value.unwrap_or(""), "");
        PresetInfo {
            preset: self,
            issuer: draft.issuer,
            subject: draft.subject.unwrap_or_default(),
            path: path.to_owned(),
            branch_or_env: value.map(str::to_owned),
            id_claim: draft.claims.into_keys().next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_describe_their_drafts() {
        let infos = presets();
        assert_eq!(infos.len(), 5);
        assert_eq!(
            infos[0].subject, "repo:OWNER/REPO:ref:refs/heads/BRANCH",
            "{infos:?}"
        );
        assert_eq!(infos[2].subject, "repo:OWNER/REPO:pull_request");
        assert_eq!(infos[2].branch_or_env, None);
        assert_eq!(infos[3].id_claim.as_deref(), Some("namespace_id"));
        assert_eq!(infos[4].id_claim, None);
        assert_eq!(
            infos[4].subject, "system:serviceaccount:NAMESPACE:NAME",
            "{infos:?}"
        );
        for info in &infos {
            let name = serde_json::to_value(info.preset).unwrap();
            assert_eq!(Preset::named(name.as_str().unwrap()), Ok(info.preset));
        }
        let e = Preset::named("jenkins").unwrap_err();
        assert!(
            e.starts_with(r#"preset: "jenkins" is not one of github_branch, "#),
            "{e}"
        );
        let distinct: std::collections::BTreeSet<String> =
            infos.iter().map(|i| format!("{:?}", i.preset)).collect();
        assert_eq!(distinct.len(), infos.len());
    }

    #[test]
    fn a_trust_file_holds_one_trust_or_a_list() {
        let one = r#"{"id": "trust_a", "name": "a", "issuer": "https://x", "audiences": ["y"], "subject": "s"}"#;
        let got = read_trusts(one, "t.json").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "trust_a");
        assert_eq!(got[0].spec.lifetime_minutes, 15);
        let list = format!("[{one}, {one}]");
        assert_eq!(read_trusts(&list, "t.json").unwrap().len(), 2);
        let bad = r#"[{"name": "a", "issuer": "https://x", "audiences": "y"}]"#;
        let e = read_trusts(bad, "t.json").unwrap_err();
        assert!(e.starts_with("t.json[0].audiences: invalid type"), "{e}");
        let e = read_trusts("", "t.json").unwrap_err();
        assert!(e.starts_with("t.json: "), "{e}");
        let typo = r#"{"name": "a", "issuer": "https://x", "audiences": ["y"], "subjet": "s"}"#;
        let e = read_trusts(typo, "t.json").unwrap_err();
        assert!(
            e.starts_with("t.json.subjet: unknown field `subjet`"),
            "{e}"
        );
        let e = read_trusts(r#"[{"id": 7}]"#, "t.json").unwrap_err();
        assert_eq!(e, "t.json[0].id: expected a string, got 7");
    }

    #[cfg(feature = "jwt")]
    #[test]
    fn a_report_never_quotes_the_token() {
        let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap();
        let trusts = read_trusts(
            r#"{"id": "trust_a", "name": "a", "issuer": "https://x", "audiences": ["y"], "subject": "s"}"#,
            "t",
        )
        .unwrap();
        let not_a_jwt = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA";
        let r = check_trust(not_a_jwt, &trusts, now, None);
        assert_eq!(r.signature, "malformed_jwt");
        assert!(!r.accepted && r.claims.is_none() && r.matches.is_empty());
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains(&not_a_jwt[3..]), "{text}");
    }
}
