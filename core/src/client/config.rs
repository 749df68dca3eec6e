//! Where the API is and who calls it. Hosts read the environment and files; these
//! functions decide what the values mean, so every SDK resolves them the same way.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::secret::{TokenFormatError, TokenSecret};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Region {
    #[default]
    #[serde(rename = "bd-dha-1")]
    BdDha1,
    #[serde(rename = "bd-ctg-1")]
    BdCtg1,
    #[serde(rename = "bd-syl-1")]
    BdSyl1,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::BdDha1, Region::BdCtg1, Region::BdSyl1];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::BdDha1 => "bd-dha-1",
            Region::BdCtg1 => "bd-ctg-1",
            Region::BdSyl1 => "bd-syl-1",
        }
    }

    pub fn parse(text: &str) -> Result<Region, ConfigError> {
        Region::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
            .ok_or_else(|| ConfigError::UnknownRegion {
                text: text.to_owned(),
            })
    }
}

/// Which hostnames to use. Today's API is served from `*.mymine.space`; the
/// `*.clouddigit.ai` names become canonical at the DNS cutover and the old ones stay
/// as aliases, so `Operational` is the default until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Ingress {
    #[default]
    Operational,
    Canonical,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("region: {text:?} is not a Cloud Digit region (bd-dha-1, bd-ctg-1, bd-syl-1)")]
    UnknownRegion { text: String },
    #[error("base_url: {text:?} is not an http(s) URL")]
    BadBaseUrl { text: String },
    #[error("credentials: no token given, CD_API_TOKEN is not set and {path} does not exist")]
    NoCredentials { path: String },
    #[error("credentials: {path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    TokenFileTooOpen { path: String, mode: u32 },
    #[error("credentials ({source_name}): {error}")]
    BadToken {
        source_name: String,
        error: TokenFormatError,
    },
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::UnknownRegion { .. } => "unknown_region",
            ConfigError::BadBaseUrl { .. } => "bad_base_url",
            ConfigError::NoCredentials { .. } => "no_credentials",
            ConfigError::TokenFileTooOpen { .. } => "token_file_too_open",
            ConfigError::BadToken { .. } => "bad_token",
        }
    }
}

/// Client settings; every SDK takes the same names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct ClientConfig {
    pub region: Region,
    pub ingress: Ingress,
    /// Overrides region and ingress (the tests point it at the sandbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub base_url: Option<String>,
    pub max_retries: u32,
    /// Per attempt.
    pub timeout_ms: u64,
    /// The longest server-requested wait the client honours; beyond it the call fails
    /// fast with the rate-limit error instead of hanging.
    pub max_retry_wait_ms: u64,
    /// Throttle on the client (60 burst, 30 per second) to stay under the rate limit.
    pub client_rate_limit: bool,
    /// `CD_LOG=debug`: log each request, every secret-bearing header redacted.
    pub debug: bool,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            region: Region::default(),
            ingress: Ingress::default(),
            base_url: None,
            max_retries: 2,
            timeout_ms: 60_000,
            max_retry_wait_ms: 60_000,
            client_rate_limit: false,
            debug: false,
        }
    }
}

impl ClientConfig {
    /// Applies `CD_BASE_URL`, `CD_REGION` and `CD_LOG` (values the host read).
    pub fn with_env(
        mut self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientConfig, ConfigError> {
        if let Some(url) = env("CD_BASE_URL").filter(|s| !s.is_empty()) {
            self.base_url = Some(url);
        }
        if let Some(r) = env("CD_REGION").filter(|s| !s.is_empty()) {
            self.region = Region::parse(&r)?;
        }
        if env("CD_LOG").is_some_and(|v| v.eq_ignore_ascii_case("debug")) {
            self.debug = true;
        }
        Ok(self)
    }

    /// `https://api.<region>.mymine.space/v1` (operational), `…clouddigit.ai/v1`
    /// (canonical), or the explicit base URL without a trailing slash.
    pub fn base_url(&self) -> Result<String, ConfigError> {
        if let Some(u) = &self.base_url {
            let t = u.trim().trim_end_matches('/');
            if !(t.starts_with("http://") || t.starts_with("https://")) || t.len() < 10 {
                return Err(ConfigError::BadBaseUrl { text: u.clone() });
            }
            return Ok(t.to_owned());
        }
        let domain = match self.ingress {
            Ingress::Operational => "mymine.space",
            Ingress::Canonical => "clouddigit.ai",
        };
        Ok(format!("https://api.{}.{domain}/v1", self.region.as_str()))
    }

    /// The identity provider's client-credentials endpoint for `org`.
    pub fn token_url(&self, org: &str) -> Result<String, ConfigError> {
        let root = match &self.base_url {
            Some(_) => self.base_url()?.trim_end_matches("/v1").to_owned(),
            None => match self.ingress {
                Ingress::Operational => "https://keycloak.mymine.space".to_owned(),
                Ingress::Canonical => "https://auth.clouddigit.ai".to_owned(),
            },
        };
        Ok(format!("{root}/realms/{org}/protocol/openid-connect/token"))
    }
}

/// The token file as the host found it.
#[derive(Debug, Clone)]
pub struct TokenFile {
    pub path: String,
    pub contents: String,
    /// Unix permission bits, when the platform has them.
    pub mode: Option<u32>,
}

/// Picks the token, in order: explicit, `CD_API_TOKEN`, `~/.config/cd/token` (refused
/// when group or others can read it, as ssh refuses keys). A bad checksum fails here,
/// before any call. `default_path` names the file in the error when it is missing.
pub fn resolve_token(
    explicit: Option<&str>,
    env_token: Option<&str>,
    file: Option<&TokenFile>,
    default_path: &str,
) -> Result<TokenSecret, ConfigError> {
    let parse = |text: &str, source_name: &str| {
        TokenSecret::parse(text).map_err(|error| ConfigError::BadToken {
            source_name: source_name.to_owned(),
            error,
        })
    };
    if let Some(t) = explicit {
        return parse(t, "explicit token");
    }
    if let Some(t) = env_token.filter(|t| !t.trim().is_empty()) {
        return parse(t, "CD_API_TOKEN");
    }
    match file {
        Some(f) => {
            if let Some(mode) = f.mode.filter(|m| m & 0o077 != 0) {
                return Err(ConfigError::TokenFileTooOpen {
                    path: f.path.clone(),
                    mode: mode & 0o777,
                });
            }
            parse(&f.contents, &f.path)
        }
        None => Err(ConfigError::NoCredentials {
            path: default_path.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::checksum;

    fn token() -> String {
        let random = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
        format!("cd_{random}{}", checksum(random))
    }

    #[test]
    fn base_urls() {
        let c = ClientConfig::default();
        assert_eq!(
            c.base_url().unwrap(),
            "https://api.bd-dha-1.mymine.space/v1"
        );
        let c = ClientConfig {
            region: Region::BdSyl1,
            ingress: Ingress::Canonical,
            ..ClientConfig::default()
        };
        assert_eq!(
            c.base_url().unwrap(),
            "https://api.bd-syl-1.clouddigit.ai/v1"
        );
        assert_eq!(
            c.token_url("acme").unwrap(),
            "https://auth.clouddigit.ai/realms/acme/protocol/openid-connect/token"
        );
        let c = ClientConfig {
            base_url: Some("http://127.0.0.1:8787/v1/".into()),
            ..ClientConfig::default()
        };
        assert_eq!(c.base_url().unwrap(), "http://127.0.0.1:8787/v1");
        assert_eq!(
            c.token_url("acme").unwrap(),
            "http://127.0.0.1:8787/realms/acme/protocol/openid-connect/token"
        );
        let bad = ClientConfig {
            base_url: Some("ftp://x".into()),
            ..ClientConfig::default()
        };
        assert_eq!(bad.base_url().unwrap_err().code(), "bad_base_url");
    }

    #[test]
    fn env_overrides() {
        let env = |k: &str| match k {
            "CD_REGION" => Some("bd-ctg-1".to_owned()),
            "CD_LOG" => Some("DEBUG".to_owned()),
            _ => None,
        };
        let c = ClientConfig::default().with_env(env).unwrap();
        assert_eq!(c.region, Region::BdCtg1);
        assert!(c.debug);
        let err = ClientConfig::default()
            .with_env(|k| (k == "CD_REGION").then(|| "mars-1".to_owned()))
            .unwrap_err();
        assert_eq!(err.code(), "unknown_region");
    }

    #[test]
    fn credential_order_and_file_mode() {
        let t = token();
        let file = TokenFile {
            path: "/home/u/.config/cd/token".into(),
            contents: format!("{t}\n"),
            mode: Some(0o600),
        };
        assert!(resolve_token(None, None, Some(&file), "~/.config/cd/token").is_ok());
        let open = TokenFile {
            mode: Some(0o644),
            ..file.clone()
        };
        let err = resolve_token(None, None, Some(&open), "x").unwrap_err();
        assert_eq!(err.code(), "token_file_too_open");
        assert!(err.to_string().contains("chmod 600"));
        // The environment wins over an unsafe file; explicit wins over both.
        assert!(resolve_token(None, Some(&t), Some(&open), "x").is_ok());
        let bad = format!("{}0", &t[..t.len() - 1]);
        let err = resolve_token(Some(&bad), Some(&t), None, "x").unwrap_err();
        assert_eq!(err.code(), "bad_token");
        assert!(!err.to_string().contains(&bad[9..]), "{err}");
        assert_eq!(
            resolve_token(None, Some("  "), None, "~/.config/cd/token")
                .unwrap_err()
                .code(),
            "no_credentials"
        );
    }
}
