//! `scan --report-to URL`: what a scan found, sent to a secret-scanning partner endpoint
//! in the shape of GitHub's secret-scanning partner program, signed with the profile's
//! scanning key (`configure --scanning-key`).
//!
//! The request: `POST URL`, the body a JSON array with one object per finding
//! (`token`, `type`, `url`, `source`), and the headers [`KEY_ID_HEADER`] (the lowercase
//! hex SHA-256 of the public key's DER SubjectPublicKeyInfo) and [`SIGNATURE_HEADER`]
//! (the base64 of the DER ECDSA P-256 SHA-256 signature over the body's exact bytes).
//! The answer: one object per finding, `label` (`true_positive`, `false_positive`) and
//! `action` (`revoked`, `quarantined`, `already_revoked`, `none`).
//!
//! Everything here is pure: the hosts only move the bytes ([`crate::Host::post`]) and
//! supply randomness for a new key ([`crate::Host::random_bytes`]). The private key and
//! the body (which holds the secrets) are wiped when dropped; only the public key, the
//! key id and prefixes are ever shown.

use std::fmt::Write as _;

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use clouddigit_core::secret::SecretKind;
use clouddigit_session::Origin;

use crate::scan::Finding;

/// The header naming the key a report is signed with.
pub const KEY_ID_HEADER: &str = "Github-Public-Key-Identifier";
/// The header holding the report's signature.
pub const SIGNATURE_HEADER: &str = "Github-Public-Key-Signature";
/// Every finding's `source`.
pub const SOURCE: &str = "clouddigit-cli";
/// The keychain account of a profile's scanning key is this, then the profile name
/// (service `clouddigit`, as the token's). A profile name holds no `:`, so the two never
/// meet.
pub const KEYCHAIN_ACCOUNT_PREFIX: &str = "scanning-key:";
/// The longest keychain account the keychain crate takes (Windows' target names).
pub const MAX_KEYCHAIN_ACCOUNT: usize = 64;

/// The keychain account holding `profile`'s scanning key.
pub fn keychain_account(profile: &str) -> String {
    format!("{KEYCHAIN_ACCOUNT_PREFIX}{profile}")
}

/// The file holding `profile`'s scanning key where there is no keychain, in `dir`
/// (`~/.config/cd`).
pub fn key_file_path(dir: &str, profile: &str) -> String {
    format!("{dir}/scanning-key-{profile}.pem")
}

/// A scanning key: a P-256 private key, wiped when dropped (never `Debug`, `Display`,
/// `Clone` or `Serialize`).
pub struct ScanningKey {
    signing: SigningKey,
}

impl ScanningKey {
    /// A new key from the host's random bytes (`fill` fills a buffer from the operating
    /// system's secure source). A draw that is no valid scalar (zero, or not below the
    /// group order: about one in 2^32) is drawn again.
    pub fn generate(
        mut fill: impl FnMut(&mut [u8]) -> Result<(), String>,
    ) -> Result<ScanningKey, String> {
        for _ in 0..16 {
            let mut bytes = Zeroizing::new([0u8; 32]);
            fill(&mut bytes[..])?;
            if bytes.iter().all(|b| *b == 0) {
                // A source that gives zeros is broken, not unlucky.
                return Err("the random source gave only zeros".into());
            }
            if let Ok(signing) = SigningKey::from_slice(&bytes[..]) {
                return Ok(ScanningKey { signing });
            }
        }
        Err("the random source gave no valid P-256 key in 16 draws".into())
    }

    /// Reads a P-256 private key in PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what
    /// `configure --scanning-key` stores) or SEC1 (`BEGIN EC PRIVATE KEY`, what
    /// `openssl ecparam -genkey` writes). The error never quotes the text.
    pub fn from_pem(text: &str) -> Result<ScanningKey, String> {
        let text = text.trim();
        let secret = if text.contains("-----BEGIN EC PRIVATE KEY-----") {
            p256::SecretKey::from_sec1_pem(text)
                .map_err(|_| "not a P-256 private key (SEC1 PEM that does not parse)".to_owned())?
        } else if text.contains("-----BEGIN PRIVATE KEY-----") {
            p256::SecretKey::from_pkcs8_pem(text).map_err(|_| {
                "not a P-256 private key (PKCS#8 PEM that does not parse, or another curve)"
                    .to_owned()
            })?
        } else {
            return Err(
                "not a private key in PEM (BEGIN PRIVATE KEY or BEGIN EC PRIVATE KEY)".into(),
            );
        };
        Ok(ScanningKey {
            signing: SigningKey::from(secret),
        })
    }

    /// The private key as PKCS#8 PEM: what the keychain entry or the key file holds.
    pub fn private_pem(&self) -> Result<Zeroizing<String>, String> {
        p256::SecretKey::from(&self.signing)
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the key: {e}"))
    }

    fn public(&self) -> p256::PublicKey {
        p256::PublicKey::from(self.signing.verifying_key())
    }

    /// The public key as PEM (SubjectPublicKeyInfo): what is printed and registered.
    pub fn public_pem(&self) -> String {
        self.public()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The key id: the lowercase hex SHA-256 of the public key's DER SubjectPublicKeyInfo.
    pub fn key_id(&self) -> String {
        match self.public().to_public_key_der() {
            Ok(der) => hex(&Sha256::digest(der.as_bytes())),
            Err(_) => String::new(),
        }
    }

    /// The base64 of the DER-encoded ECDSA P-256 SHA-256 signature over `body`
    /// (deterministic, RFC 6979: no randomness needed).
    pub fn sign(&self, body: &[u8]) -> String {
        let sig: DerSignature = self.signing.sign(body);
        base64::engine::general_purpose::STANDARD.encode(sig.as_bytes())
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A finding's `type`: `clouddigit_api_token`, `clouddigit_client_secret` or
/// `clouddigit_access_key_secret`.
pub fn secret_type(kind: SecretKind) -> String {
    format!("clouddigit_{}", kind.as_str())
}

/// Where a finding was found: `path:line`, or `git:<commit>:<path>:<line>` in history.
pub fn finding_url(f: &Finding) -> String {
    match &f.commit {
        Some(c) => format!("git:{c}:{}:{}", f.file, f.line),
        None => format!("{}:{}", f.file, f.line),
    }
}

#[derive(Serialize)]
struct Item<'a> {
    token: &'a str,
    #[serde(rename = "type")]
    kind: String,
    url: String,
    source: &'static str,
}

/// The report's body: one object per finding, in the findings' order. It holds the
/// secrets themselves, so it is wiped when dropped.
pub fn report_body(found: &[Finding]) -> Zeroizing<String> {
    let items: Vec<Item<'_>> = found
        .iter()
        .map(|f| Item {
            token: f.secret().expose_secret(),
            kind: secret_type(f.kind),
            url: finding_url(f),
            source: SOURCE,
        })
        .collect();
    // Sized once, so no reallocation leaves a copy of a secret behind.
    let room = found
        .iter()
        .map(|f| f.length + f.file.len() + 160)
        .sum::<usize>()
        + 2;
    let mut out = Zeroizing::new(Vec::with_capacity(room));
    let _ = serde_json::to_writer(&mut *out, &items);
    // serde_json writes UTF-8 only.
    Zeroizing::new(String::from_utf8(std::mem::take(&mut *out)).unwrap_or_default())
}

/// The request's headers for `body`, signed with `key`.
pub fn headers(key: &ScanningKey, body: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        (KEY_ID_HEADER.into(), key.key_id()),
        (SIGNATURE_HEADER.into(), key.sign(body.as_bytes())),
    ]
}

/// Whether a report may go to `url`: https, or plain http to this machine only (the
/// SDKs' rule for base URLs, [`Origin::is_loopback`]) — the body holds the secrets.
pub fn check_url(url: &str) -> Result<Origin, String> {
    let shown = clouddigit_core::scan::redact_secrets(url);
    let origin = Origin::parse(url.trim())
        .ok_or_else(|| format!("{shown:?} is not an http(s) URL (without user info)"))?;
    if !origin.secure() && !origin.is_loopback() {
        return Err(format!(
            "plain http to {}, which is not this machine, is refused: the report holds the secrets themselves; use https",
            origin.host
        ));
    }
    Ok(origin)
}

/// What the endpoint answered for one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `true_positive` or `false_positive`.
    pub label: String,
    /// `revoked`, `quarantined`, `already_revoked` or `none`.
    pub action: String,
}

impl Outcome {
    pub fn true_positive(&self) -> bool {
        self.label == "true_positive"
    }
}

const LABELS: [&str; 2] = ["true_positive", "false_positive"];
const ACTIONS: [&str; 4] = ["revoked", "quarantined", "already_revoked", "none"];

/// Reads the endpoint's answer: one result per finding. A result belongs to the finding
/// whose token hash (`token_hash` or `hashed_token`: hex SHA-256 of the secret) and
/// `url` it carries; one that carries neither, to the finding at its place. The error
/// names what did not fit, never a value the endpoint sent.
pub fn read_answer(found: &[Finding], body: &str) -> Result<Vec<Outcome>, String> {
    let v: Value = serde_json::from_str(body).map_err(|_| "the answer is not JSON".to_owned())?;
    let Value::Array(results) = v else {
        return Err("the answer is not a JSON array".into());
    };
    if results.len() != found.len() {
        return Err(format!(
            "the answer has {} result(s) for {} finding(s)",
            results.len(),
            found.len()
        ));
    }
    let hash_of = |r: &Value| {
        r.get("token_hash")
            .or_else(|| r.get("hashed_token"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    let fits = |r: &Value, hash: &str, url: &str| {
        hash_of(r).is_none_or(|h| h == hash)
            && r.get("url")
                .and_then(Value::as_str)
                .is_none_or(|u| u == url)
    };
    let mut used = vec![false; results.len()];
    let mut out = Vec::with_capacity(found.len());
    for (i, f) in found.iter().enumerate() {
        let hash = hex(&Sha256::digest(f.secret().expose_secret().as_bytes()));
        let url = finding_url(f);
        let at = if !used[i] && fits(&results[i], &hash, &url) {
            i
        } else {
            (0..results.len())
                .find(|&j| !used[j] && fits(&results[j], &hash, &url))
                .ok_or_else(|| format!("the answer has no result for {} at {url}", f.prefix))?
        };
        used[at] = true;
        let r = &results[at];
        let field = |name: &str, allowed: &[&str]| -> Result<String, String> {
            r.get(name)
                .and_then(Value::as_str)
                .filter(|s| allowed.contains(s))
                .map(str::to_owned)
                .ok_or_else(|| format!("result {at}: {name} is not one of {}", allowed.join(", ")))
        };
        out.push(Outcome {
            label: field("label", &LABELS)?,
            action: field("action", &ACTIONS)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_bytes;
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::DecodePublicKey as _;

    fn token(random: &str) -> String {
        format!("cd_{random}{}", clouddigit_core::secret::checksum(random))
    }

    fn counter() -> impl FnMut(&mut [u8]) -> Result<(), String> {
        let mut n = 1u8;
        move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                *b = n;
                n = n.wrapping_mul(31).wrapping_add(7);
            }
            Ok(())
        }
    }

    const R1: &str = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
    const R2: &str = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNn";

    #[test]
    fn a_key_round_trips_through_pem_and_its_id_is_the_spki_hash() {
        let key = ScanningKey::generate(counter()).unwrap();
        let pem = key.private_pem().unwrap();
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{}",
            &pem[..30]
        );
        let again = ScanningKey::from_pem(&pem).unwrap();
        assert_eq!(again.key_id(), key.key_id());
        let public = key.public_pem();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        // The id: SHA-256 of the DER the PEM holds.
        let der = p256::PublicKey::from_public_key_pem(&public)
            .unwrap()
            .to_public_key_der()
            .unwrap();
        assert_eq!(key.key_id(), hex(&Sha256::digest(der.as_bytes())));
        assert_eq!(key.key_id().len(), 64);
        assert!(key
            .key_id()
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // The public PEM never carries the private scalar.
        assert!(!public.contains(&pem[28..60]));
        // SEC1 too (openssl ecparam -genkey).
        let sec1 = p256::SecretKey::from(&key.signing)
            .to_sec1_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(ScanningKey::from_pem(&sec1).unwrap().key_id(), key.key_id());
    }

    #[test]
    fn bad_keys_are_named_not_quoted() {
        for text in [
            "",
            "hello",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let e = ScanningKey::from_pem(text).err().unwrap();
            assert!(e.contains("private key"), "{e}");
            assert!(!e.contains("AAAA"), "{e}");
        }
        // A broken random source.
        assert!(ScanningKey::generate(|b: &mut [u8]| {
            b.fill(0);
            Ok(())
        })
        .is_err());
        assert!(ScanningKey::generate(|_: &mut [u8]| Err("no".into())).is_err());
        // All ones is above the group order: drawn again, then a good key.
        let mut first = true;
        let key = ScanningKey::generate(move |b: &mut [u8]| {
            b.fill(if first { 0xff } else { 0x42 });
            first = false;
            Ok(())
        });
        assert!(key.is_ok());
    }

    #[test]
    fn the_signature_is_der_ecdsa_sha256_over_the_exact_body() {
        let key = ScanningKey::generate(counter()).unwrap();
        let (t1, t2) = (token(R1), token(R2));
        let mut found = scan_bytes("src/a.env", None, format!("A={t1}\n\nB={t2}\n").as_bytes()).0;
        found.extend(scan_bytes("x.py", Some("c0ffee"), format!("'{t1}'").as_bytes()).0);
        let body = report_body(&found);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"token": t1, "type": "clouddigit_api_token", "url": "src/a.env:1", "source": "clouddigit-cli"},
                {"token": t2, "type": "clouddigit_api_token", "url": "src/a.env:3", "source": "clouddigit-cli"},
                {"token": t1, "type": "clouddigit_api_token", "url": "git:c0ffee:x.py:1", "source": "clouddigit-cli"},
            ])
        );
        // The field order of the spec, compact.
        assert!(body.starts_with(&format!("[{{\"token\":\"{t1}\",\"type\":")));
        let h = headers(&key, &body);
        assert_eq!(h[0], ("Content-Type".into(), "application/json".into()));
        assert_eq!(h[1], (KEY_ID_HEADER.into(), key.key_id()));
        assert_eq!(h[2].0, SIGNATURE_HEADER);
        let der = base64::engine::general_purpose::STANDARD
            .decode(&h[2].1)
            .unwrap();
        assert_eq!(der[0], 0x30, "a DER SEQUENCE");
        let sig = Signature::from_der(&der).unwrap();
        let public = VerifyingKey::from_public_key_pem(&key.public_pem()).unwrap();
        public.verify(body.as_bytes(), &sig).unwrap();
        // Over the exact bytes: one byte more and it fails.
        let mut other = body.to_string();
        other.push(' ');
        assert!(public.verify(other.as_bytes(), &sig).is_err());
        // Deterministic (RFC 6979): the same body, the same signature.
        assert_eq!(key.sign(body.as_bytes()), h[2].1);
    }

    #[test]
    fn types_for_every_kind() {
        assert_eq!(secret_type(SecretKind::ApiToken), "clouddigit_api_token");
        assert_eq!(
            secret_type(SecretKind::ClientSecret),
            "clouddigit_client_secret"
        );
        assert_eq!(
            secret_type(SecretKind::AccessKeySecret),
            "clouddigit_access_key_secret"
        );
        let cs = clouddigit_core::secret::generate(SecretKind::ClientSecret, |b| b.fill(7));
        let found = scan_bytes("<stdin>", None, format!("x\n{}", &*cs).as_bytes()).0;
        let v: Value = serde_json::from_str(&report_body(&found)).unwrap();
        assert_eq!(v[0]["type"], "clouddigit_client_secret");
        assert_eq!(v[0]["url"], "<stdin>:2");
    }

    #[test]
    fn answers_are_matched_by_hash_and_url_and_checked() {
        let (t1, t2) = (token(R1), token(R2));
        let found = scan_bytes("a.env", None, format!("{t1}\n{t2}\n").as_bytes()).0;
        let h = |t: &str| hex(&Sha256::digest(t.as_bytes()));
        // Out of order, matched by hash.
        let answer = serde_json::json!([
            {"token_hash": h(&t2), "token_type": "clouddigit_api_token", "label": "false_positive", "url": "a.env:2", "action": "none"},
            {"token_hash": h(&t1), "token_type": "clouddigit_api_token", "label": "true_positive", "url": "a.env:1", "action": "revoked"},
        ]);
        let out = read_answer(&found, &answer.to_string()).unwrap();
        assert_eq!(
            out,
            vec![
                Outcome {
                    label: "true_positive".into(),
                    action: "revoked".into()
                },
                Outcome {
                    label: "false_positive".into(),
                    action: "none".into()
                },
            ]
        );
        assert!(out[0].true_positive() && !out[1].true_positive());
        // Without hashes or urls: by place.
        let answer = r#"[{"label":"true_positive","action":"quarantined"},{"label":"false_positive","action":"none"}]"#;
        assert_eq!(
            read_answer(&found, answer).unwrap()[0].action,
            "quarantined"
        );
        // Refused: a count that differs, an unknown label, a hash of neither, not JSON.
        for bad in [
            "[]".to_owned(),
            r#"[{"label":"maybe","action":"none"},{"label":"true_positive","action":"none"}]"#.into(),
            r#"[{"label":"true_positive","action":"deleted"},{"label":"true_positive","action":"none"}]"#.into(),
            format!(r#"[{{"token_hash":"{}","label":"true_positive","action":"none"}},{{"label":"true_positive","action":"none"}}]"#, h("other")),
            "{}".into(),
            "<html>".into(),
        ] {
            let e = read_answer(&found, &bad).unwrap_err();
            assert!(!e.contains(&t1) && !e.contains("maybe") && !e.contains("deleted"), "{e}");
        }
    }

    #[test]
    fn report_urls_https_or_this_machine() {
        for ok in [
            "https://partner.example/report",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://partner.example/report",
            "ftp://x/",
            "https://user:pw@x/",
            "partner.example",
            "http://10.0.0.1/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let t = token(R1);
        let e = check_url(&format!("ftp://x/?t={t}")).unwrap_err();
        assert!(!e.contains(&t), "{e}");
    }
}
