//! What the token exchange needs beyond the core's rules: issuers' keys, fetched and
//! cached; the `jti`s already exchanged; and a development issuer of the sandbox's own
//! (discovery, a JWKS with rotation, and tokens minted with the claims a test gives), so
//! workload identity works offline.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Map, Value};

/// A JWKS is kept this long, then fetched again.
const JWKS_TTL: Duration = Duration::from_secs(600);
/// An unknown `kid` fetches the JWKS again at most this often per issuer.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// Discovery documents and JWKS larger than this are refused.
const MAX_DOCUMENT: usize = 1024 * 1024;

struct Cached {
    jwks: String,
    fetched: Instant,
}

/// The sandbox's OIDC state.
pub struct Oidc {
    /// The development issuer's keys, newest last (the two newest are published).
    keys: Mutex<Vec<(String, SigningKey)>>,
    jwks: Mutex<HashMap<String, Cached>>,
    refreshed: Mutex<HashMap<String, Instant>>,
    /// `iss` + `jti` of exchanged tokens, with their `exp`.
    seen: Mutex<HashMap<String, i64>>,
    /// `http://host:port` once the listener is bound.
    pub base_url: OnceLock<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn new_key() -> std::io::Result<(String, SigningKey)> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| std::io::Error::other(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    let kid = format!("dev-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    Ok((kid, key))
}

impl Oidc {
    pub fn new() -> std::io::Result<Oidc> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Oidc {
            keys: Mutex::new(vec![new_key()?]),
            jwks: Mutex::new(HashMap::new()),
            refreshed: Mutex::new(HashMap::new()),
            seen: Mutex::new(HashMap::new()),
            base_url: OnceLock::new(),
            http,
        })
    }

    /// The development issuer's URL (`iss`), once the sandbox is listening.
    pub fn dev_issuer(&self) -> Option<String> {
        self.base_url.get().map(|u| format!("{u}/_sandbox/oidc"))
    }

    pub fn discovery(&self) -> Value {
        let iss = self.dev_issuer().unwrap_or_default();
        json!({
            "issuer": iss,
            "jwks_uri": format!("{iss}/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["EdDSA"],
            "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "repository", "repository_owner", "repository_owner_id", "ref", "environment", "run_id"],
        })
    }

    /// The published keys: the current one and the one before it (tokens it signed
    /// still verify after a rotation).
    pub fn dev_jwks(&self) -> Value {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let published: Vec<Value> = keys
            .iter()
            .rev()
            .take(2)
            .map(|(kid, k)| {
                json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
                       "x": b64(k.verifying_key().as_bytes())})
            })
            .collect();
        json!({ "keys": published })
    }

    /// A new signing key; the previous one stays published.
    pub fn dev_rotate(&self) -> std::io::Result<String> {
        let (kid, key) = new_key()?;
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.push((kid.clone(), key));
        let n = keys.len();
        if n > 2 {
            keys.drain(..n - 2);
        }
        Ok(kid)
    }

    /// A token signed by the development issuer: `claims` over defaults (`iss`, `iat`,
    /// `nbf`, `exp` five minutes on, a fresh `jti`).
    pub fn dev_mint(&self, claims: Map<String, Value>, now: i64) -> String {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let Some((kid, key)) = keys.last() else {
            return String::new();
        };
        let mut body = Map::new();
        body.insert(
            "iss".into(),
            Value::String(self.dev_issuer().unwrap_or_default()),
        );
        body.insert("iat".into(), json!(now));
        body.insert("nbf".into(), json!(now));
        body.insert("exp".into(), json!(now + 300));
        body.insert(
            "jti".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        for (k, v) in claims {
            body.insert(k, v);
        }
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(Value::Object(body).to_string().as_bytes())
        );
        let sig = key.sign(input.as_bytes());
        format!("{input}.{}", b64(&sig.to_bytes()))
    }

    /// `issuer`'s JWKS: the development issuer's own, or fetched through its discovery
    /// document and cached. `refresh` asks again (an unknown `kid`), at most every 30 s.
    pub async fn jwks(&self, issuer: &str, refresh: bool) -> Result<String, String> {
        if self.dev_issuer().as_deref() == Some(issuer) {
            return Ok(self.dev_jwks().to_string());
        }
        let now = Instant::now();
        {
            let cache = self.jwks.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = cache.get(issuer) {
                let fresh = now.duration_since(c.fetched) < JWKS_TTL;
                if fresh && !refresh {
                    return Ok(c.jwks.clone());
                }
                if refresh {
                    let mut r = self.refreshed.lock().unwrap_or_else(|p| p.into_inner());
                    if r.get(issuer)
                        .is_some_and(|t| now.duration_since(*t) < REFRESH_EVERY)
                    {
                        return Ok(c.jwks.clone());
                    }
                    r.insert(issuer.to_owned(), now);
                }
            }
        }
        let discovery = self
            .fetch(&format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ))
            .await?;
        let doc: Value = serde_json::from_str(&discovery)
            .map_err(|_| "the issuer's discovery document is not JSON".to_owned())?;
        if doc.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err("the issuer's discovery document names another issuer".into());
        }
        let uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| "the issuer's discovery document has no jwks_uri".to_owned())?;
        let jwks = self.fetch(uri).await?;
        self.jwks.lock().unwrap_or_else(|p| p.into_inner()).insert(
            issuer.to_owned(),
            Cached {
                jwks: jwks.clone(),
                fetched: now,
            },
        );
        Ok(jwks)
    }

    async fn fetch(&self, url: &str) -> Result<String, String> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("fetching {url}: {}", e.without_url()))?;
        if !resp.status().is_success() {
            return Err(format!("fetching {url}: HTTP {}", resp.status().as_u16()));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("reading {url}: {}", e.without_url()))?;
        if bytes.len() > MAX_DOCUMENT {
            return Err(format!("{url} is larger than 1 MiB"));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("{url} is not UTF-8"))
    }

    /// Records `iss`/`jti` as exchanged until `exp`; `false` if it already was (a replay).
    pub fn first_use(&self, iss: &str, jti: &str, exp: i64, now: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, e| *e + 60 >= now);
        let key = format!("{iss}\n{jti}");
        if seen.contains_key(&key) {
            return false;
        }
        seen.insert(key, exp);
        true
    }
}
