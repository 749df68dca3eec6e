//! tests/vectors/oidc.json: JWTs signed by PyJWT (an implementation that is not ours),
//! verified against the JWKS and read against trusts, as every host's core must.

use clouddigit_core::oidc::{check_trust, choose, Jwt, Trust};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    jwks: serde_json::Value,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    jwt: String,
    trusts: Vec<Trust>,
    now: i64,
    expect: Expect,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Expect {
    signature: String,
    trust: Option<String>,
    failure: Option<String>,
}

#[test]
fn independently_signed_tokens_get_the_expected_verdicts() {
    let file: File =
        serde_json::from_str(include_str!("../../tests/vectors/oidc.json")).expect("vectors");
    let jwks = file.jwks.to_string();
    let mut failures = Vec::new();
    for c in &file.cases {
        let now = chrono::DateTime::from_timestamp(c.now, 0).expect("now");
        let got = match Jwt::parse(&c.jwt) {
            Err(e) => Expect {
                signature: e.code().into(),
                trust: None,
                failure: Some("malformed".into()),
            },
            Ok(jwt) => {
                let signature = match jwt.verify(&jwks) {
                    Ok(()) => "ok".to_owned(),
                    Err(e) => {
                        assert!(
                            !e.to_string().contains(&c.jwt),
                            "{}: an error echoes the token",
                            c.name
                        );
                        e.code().to_owned()
                    }
                };
                let (chosen, matches) = choose(&c.trusts, &jwt.claims, now);
                Expect {
                    signature,
                    trust: chosen.map(|t| t.id.clone()),
                    failure: match chosen {
                        Some(_) => None,
                        None => matches
                            .last()
                            .and_then(|m| m.failure())
                            .map(|f| <&str>::from(f.check).to_owned()),
                    },
                }
            }
        };
        if got != c.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                c.name, c.expect, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("oidc vectors: {} cases", file.cases.len());
}

/// The report `clouddigit trust check`, `checkTrust` and `check_trust` give, read back
/// into the vector's terms: the hosts' runners do exactly this.
#[test]
fn check_trust_reports_the_same_verdicts() {
    let file: File =
        serde_json::from_str(include_str!("../../tests/vectors/oidc.json")).expect("vectors");
    let jwks = file.jwks.to_string();
    let mut failures = Vec::new();
    for c in &file.cases {
        let now = chrono::DateTime::from_timestamp(c.now, 0).expect("now");
        let r = check_trust(&c.jwt, &c.trusts, now, Some(&jwks));
        let got = Expect {
            signature: r.signature.clone(),
            trust: r.trust.clone(),
            failure: match (&r.trust, &r.claims) {
                (Some(_), _) => None,
                (None, None) => Some("malformed".into()),
                (None, Some(_)) => r
                    .matches
                    .last()
                    .and_then(|m| m.failure())
                    .map(|f| <&str>::from(f.check).to_owned()),
            },
        };
        if got != c.expect {
            failures.push(format!("{}: expected {:?}, got {got:?}", c.name, c.expect));
        }
        assert_eq!(
            r.accepted,
            r.trust.is_some() && r.signature == "ok",
            "{}",
            c.name
        );
        assert_eq!(
            r.matches.len(),
            if r.claims.is_some() {
                c.trusts.len()
            } else {
                0
            }
        );
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            !text.contains(&c.jwt),
            "{}: the report quotes the token",
            c.name
        );
        // Without a JWKS the claims are read alike and the signature is not checked.
        let unchecked = check_trust(&c.jwt, &c.trusts, now, None);
        assert_eq!(unchecked.trust, r.trust, "{}", c.name);
        assert_eq!(unchecked.matches, r.matches, "{}", c.name);
        if r.claims.is_some() {
            assert_eq!(unchecked.signature, "not_checked", "{}", c.name);
            assert_eq!(unchecked.accepted, r.trust.is_some(), "{}", c.name);
            assert!(
                unchecked.message.contains("NOT checked") || r.trust.is_none(),
                "{}",
                c.name
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
