//! The keys a scanner signs its reports with, and the signature check: ECDSA P-256 with
//! SHA-256 over the report's raw bytes, the signature DER-encoded and then base64 (what
//! GitHub sends in `Github-Public-Key-Signature`), with RustCrypto's `p256`.

use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::der::pem;
use p256::pkcs8::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

/// Why a key was refused. Carries nothing of the key but its algorithm's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key: not a PEM public key (`-----BEGIN PUBLIC KEY-----`, a SubjectPublicKeyInfo)")]
    NotPem,
    #[error("key: a {algorithm} key; reports are signed with ECDSA P-256 keys only")]
    NotP256 { algorithm: String },
}

impl KeyError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::NotPem => "invalid_key",
            KeyError::NotP256 { .. } => "unsupported_key",
        }
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature is not base64")]
    NotBase64,
    #[error("the signature is not a DER-encoded ECDSA signature")]
    NotDer,
    #[error("the signature does not match the body and the key")]
    Mismatch,
}

impl SignatureError {
    /// Stable code (the `detail` of a `bad_signature` refusal).
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::NotBase64 => "not_base64",
            SignatureError::NotDer => "not_der",
            SignatureError::Mismatch => "mismatch",
        }
    }
}

/// A scanner's public key an organization trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    key: VerifyingKey,
    /// The key's SubjectPublicKeyInfo, DER, as this key writes it (the point uncompressed).
    der: Vec<u8>,
}

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// A readable name for a key algorithm (and curve) that is not P-256.
fn algorithm_name(spki: &SubjectPublicKeyInfoRef<'_>) -> String {
    let oid = spki.algorithm.oid.to_string();
    let curve = spki.algorithm.parameters_oid().ok().map(|o| o.to_string());
    match (oid.as_str(), curve.as_deref()) {
        ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => "ECDSA P-384".into(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => "ECDSA P-521".into(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.10")) => "ECDSA secp256k1".into(),
        ("1.2.840.10045.2.1", Some(c)) => format!("elliptic-curve ({c})"),
        ("1.2.840.113549.1.1.1", _) => "RSA".into(),
        ("1.3.101.112", _) => "Ed25519".into(),
        ("1.3.101.113", _) => "Ed448".into(),
        (o, _) => format!("{o} (algorithm)"),
    }
}

impl TrustedKey {
    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of an ECDSA P-256 key.
    pub fn from_pem(text: &str) -> Result<TrustedKey, KeyError> {
        let (label, der) = pem::decode_vec(text.trim().as_bytes()).map_err(|_| KeyError::NotPem)?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::NotPem);
        }
        TrustedKey::from_der(&der)
    }

    /// A DER SubjectPublicKeyInfo of an ECDSA P-256 key.
    pub fn from_der(der: &[u8]) -> Result<TrustedKey, KeyError> {
        let spki = SubjectPublicKeyInfoRef::try_from(der).map_err(|_| KeyError::NotPem)?;
        let key = VerifyingKey::from_public_key_der(der).map_err(|_| {
            if spki.algorithm.oid == EC_PUBLIC_KEY
                && spki.algorithm.parameters_oid().ok() == Some(P256_CURVE)
            {
                // The right algorithm and curve, and a point that is not on it.
                KeyError::NotPem
            } else {
                KeyError::NotP256 {
                    algorithm: algorithm_name(&spki),
                }
            }
        })?;
        let der = key
            .to_public_key_der()
            .map_err(|_| KeyError::NotPem)?
            .as_bytes()
            .to_vec();
        Ok(TrustedKey { key, der })
    }

    /// Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo: its identifier.
    pub fn key_identifier(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    /// The key as PEM (`-----BEGIN PUBLIC KEY-----`, LF line endings).
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// Checks `signature` (base64 of a DER ECDSA signature) over `body`, SHA-256.
    pub fn verify(&self, body: &[u8], signature: &str) -> Result<(), SignatureError> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| SignatureError::NotBase64)?;
        let sig = Signature::from_der(&raw).map_err(|_| SignatureError::NotDer)?;
        self.key
            .verify(body, &sig)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::SigningKey;

    fn signer(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32].into()).unwrap()
    }

    #[test]
    fn a_signature_over_the_raw_body_verifies_and_nothing_else_does() {
        let sk = signer(3);
        let pem = sk
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let key = TrustedKey::from_pem(&pem).unwrap();
        assert_eq!(key.to_pem(), pem);
        assert_eq!(key.key_identifier().len(), 64);
        let body = br#"[{"token":"x","type":"t","url":"u","source":"s"}]"#;
        let sig: Signature = sk.sign(body);
        let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes());
        assert_eq!(key.verify(body, &b64), Ok(()));
        let mut tampered = body.to_vec();
        tampered[3] = b'T';
        assert_eq!(key.verify(&tampered, &b64), Err(SignatureError::Mismatch));
        let other = TrustedKey::from_pem(
            &signer(4)
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(other.verify(body, &b64), Err(SignatureError::Mismatch));
        assert_ne!(other.key_identifier(), key.key_identifier());
        assert_eq!(key.verify(body, "%%%"), Err(SignatureError::NotBase64));
        assert_eq!(key.verify(body, "AAAA"), Err(SignatureError::NotDer));
    }

    #[test]
    fn only_p256_public_keys_are_trusted() {
        assert_eq!(TrustedKey::from_pem("hello"), Err(KeyError::NotPem));
        // An Ed25519 SubjectPublicKeyInfo (RFC 8410's example).
        let ed = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let err = TrustedKey::from_pem(ed).unwrap_err();
        assert_eq!(err.code(), "unsupported_key");
        assert!(err.to_string().contains("Ed25519"), "{err}");
        // A private key is not a public key.
        let private = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        assert_eq!(TrustedKey::from_pem(private), Err(KeyError::NotPem));
    }
}
