//! A JWT from an external issuer, read without trusting it: the compact form split and
//! decoded (header and claims as JSON), with limits on size, and, with the `jwt` feature,
//! its signature verified against the issuer's JWKS (RS256, ES256, EdDSA) by the
//! `jsonwebtoken` crate's RustCrypto backend. The times and the conditions are
//! [`super::trust`]'s.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A token longer than this is refused before it is decoded.
pub const MAX_JWT_BYTES: usize = 16 * 1024;

/// Why a JWT is refused, without echoing it (it is a bearer credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT (three base64url parts separated by dots)")]
    Malformed,
    #[error("the token is longer than {MAX_JWT_BYTES} bytes")]
    TooLong,
    #[error("the token's header or claims are not a JSON object")]
    NotJson,
    #[error("the token is signed with {0:?}; RS256, ES256 and EdDSA are accepted")]
    Algorithm(String),
    #[error("no key in the issuer's JWKS has the token's kid {0:?}")]
    UnknownKey(String),
    #[error("the issuer's JWKS is not valid: {0}")]
    BadJwks(String),
    #[error("the signature does not verify with the issuer's key")]
    BadSignature,
}

impl JwtError {
    pub fn code(&self) -> &'static str {
        match self {
            JwtError::Malformed | JwtError::TooLong | JwtError::NotJson => "malformed_jwt",
            JwtError::Algorithm(_) => "unsupported_algorithm",
            JwtError::UnknownKey(_) => "unknown_key",
            JwtError::BadJwks(_) => "bad_jwks",
            JwtError::BadSignature => "bad_signature",
        }
    }
}

/// The claims, as the token gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims(pub serde_json::Map<String, serde_json::Value>);

impl Claims {
    pub fn string(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|v| v.as_str()).map(str::to_owned)
    }

    /// A NumericDate claim (seconds); a fraction is cut.
    pub fn number(&self, name: &str) -> Option<i64> {
        let v = self.0.get(name)?;
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    }

    /// `aud`, a string or a list of strings.
    pub fn audiences(&self) -> Vec<String> {
        match self.0.get("aud") {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The JOSE header fields that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    #[serde(default)]
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
}

/// A decoded, not yet verified JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwt {
    pub header: Header,
    pub claims: Claims,
    /// `header.payload`, what the signature signs.
    signing_input: String,
    /// The signature, base64url as sent.
    signature: String,
}

fn b64(part: &str) -> Result<Vec<u8>, JwtError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed)
}

impl Jwt {
    /// Splits and decodes `token` (surrounding whitespace ignored).
    pub fn parse(token: &str) -> Result<Jwt, JwtError> {
        let token = token.trim();
        if token.len() > MAX_JWT_BYTES {
            return Err(JwtError::TooLong);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        if h.is_empty() || p.is_empty() || s.is_empty() {
            return Err(JwtError::Malformed);
        }
        let header: Header = serde_json::from_slice(&b64(h)?).map_err(|_| JwtError::NotJson)?;
        let claims: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&b64(p)?).map_err(|_| JwtError::NotJson)?;
        b64(s)?;
        Ok(Jwt {
            header,
            claims: Claims(claims),
            signing_input: format!("{h}.{p}"),
            signature: s.to_owned(),
        })
    }

    /// Verifies the signature with the key of `jwks` (a JWKS document) the header's
    /// `kid` names (or its only key, when the header names none).
    #[cfg(feature = "jwt")]
    pub fn verify(&self, jwks: &str) -> Result<(), JwtError> {
        use jsonwebtoken::jwk::JwkSet;
        use jsonwebtoken::{Algorithm, DecodingKey};
        let alg = match self.header.alg.as_str() {
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            "EdDSA" => Algorithm::EdDSA,
            other => return Err(JwtError::Algorithm(other.chars().take(16).collect())),
        };
        let set: JwkSet =
            serde_json::from_str(jwks).map_err(|e| JwtError::BadJwks(e.to_string()))?;
        let jwk = match &self.header.kid {
            Some(kid) => set
                .find(kid)
                .ok_or_else(|| JwtError::UnknownKey(kid.chars().take(64).collect()))?,
            None if set.keys.len() == 1 => &set.keys[0],
            None => return Err(JwtError::UnknownKey(String::new())),
        };
        // A key that states its algorithm signs only with that one.
        if let Some(key_alg) = &jwk.common.key_algorithm {
            if format!("{key_alg:?}") != format!("{alg:?}") {
                return Err(JwtError::Algorithm(
                    self.header.alg.chars().take(16).collect(),
                ));
            }
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| JwtError::BadJwks(e.to_string()))?;
        match jsonwebtoken::crypto::verify(
            &self.signature,
            self.signing_input.as_bytes(),
            &key,
            alg,
        ) {
            Ok(true) => Ok(()),
            _ => Err(JwtError::BadSignature),
        }
    }
}
