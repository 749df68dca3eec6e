//! Where the API is and who calls it. Hosts read the environment and files; these
//! functions decide what the values mean, so every SDK resolves them the same way.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use clouddigit_core::secret::{TokenFormatError, TokenSecret};

use crate::models::Secret;

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

impl Ingress {
    /// `operational` or `canonical`, as the JSON spells them.
    pub fn parse(text: &str) -> Option<Ingress> {
        match text {
            "operational" => Some(Ingress::Operational),
            "canonical" => Some(Ingress::Canonical),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("region: {text:?} is not a Cloud Digit region (bd-dha-1, bd-ctg-1, bd-syl-1)")]
    UnknownRegion { text: String },
    #[error("base_url: {text:?} is not an http(s) URL")]
    BadBaseUrl { text: String },
    #[error("base_url: {text:?} is plain http to a host that is not this machine: the token would cross the network unencrypted; use https, or set allow_insecure_http (CD_ALLOW_INSECURE_HTTP=1) if you mean it")]
    InsecureBaseUrl { text: String },
    #[error("endpoint_url: {text:?} is not an http(s) URL")]
    BadEndpointUrl { text: String },
    #[error("endpoint_url: {text:?} is plain http to a host that is not this machine: requests and objects would cross the network unencrypted; use https, or set allow_insecure_http (CD_ALLOW_INSECURE_HTTP=1) if you mean it")]
    InsecureEndpointUrl { text: String },
    #[error("{missing}: an access key is an id and its secret, and only {given} was given")]
    IncompleteAccessKey {
        missing: &'static str,
        given: &'static str,
    },
    #[error("credentials: no token given, CD_API_TOKEN is not set, the keychain holds none for this profile and {path} does not exist; run `clouddigit configure`")]
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
            ConfigError::InsecureBaseUrl { .. } => "insecure_base_url",
            ConfigError::BadEndpointUrl { .. } => "bad_endpoint_url",
            ConfigError::InsecureEndpointUrl { .. } => "insecure_endpoint_url",
            ConfigError::IncompleteAccessKey { .. } => "incomplete_access_key",
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
    /// Allow plain `http://` to hosts other than this machine (`CD_ALLOW_INSECURE_HTTP=1`).
    /// Off, a token is only ever sent over https, or over http to a loopback address.
    pub allow_insecure_http: bool,
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
            allow_insecure_http: false,
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
        if env("CD_ALLOW_INSECURE_HTTP").is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes")) {
            self.allow_insecure_http = true;
        }
        Ok(self)
    }

    /// `https://api.<region>.mymine.space/v1` (operational), `…clouddigit.ai/v1`
    /// (canonical), or the explicit base URL without a trailing slash.
    pub fn base_url(&self) -> Result<String, ConfigError> {
        if let Some(u) = &self.base_url {
            return explicit_url(u, self.allow_insecure_http).map_err(|fault| match fault {
                UrlFault::NotHttp => ConfigError::BadBaseUrl { text: u.clone() },
                UrlFault::Insecure => ConfigError::InsecureBaseUrl { text: u.clone() },
            });
        }
        Ok(format!("https://api.{}/v1", self.host_suffix()))
    }

    /// `<region>.mymine.space` (operational) or `<region>.clouddigit.ai` (canonical):
    /// each service is a name under it (`api.`, `s3.`).
    fn host_suffix(&self) -> String {
        let domain = match self.ingress {
            Ingress::Operational => "mymine.space",
            Ingress::Canonical => "clouddigit.ai",
        };
        format!("{}.{domain}", self.region.as_str())
    }

    /// The S3-compatible object storage of the region: `https://s3.<region>.mymine.space`
    /// (operational) or `https://s3.<region>.clouddigit.ai` (canonical). Buckets are
    /// addressed in the path ([`S3Config::force_path_style`]).
    pub fn s3_endpoint(&self) -> String {
        format!("https://s3.{}", self.host_suffix())
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

/// Why an explicit URL is refused.
enum UrlFault {
    NotHttp,
    Insecure,
}

/// An explicit URL without its trailing slash: http(s), and plain http only to this
/// machine unless `allow_insecure_http`.
fn explicit_url(url: &str, allow_insecure_http: bool) -> Result<String, UrlFault> {
    let t = url.trim().trim_end_matches('/');
    let origin = Origin::parse(t).ok_or(UrlFault::NotHttp)?;
    if !origin.secure() && !origin.is_loopback() && !allow_insecure_http {
        return Err(UrlFault::Insecure);
    }
    Ok(t.to_owned())
}

/// The environment variables [`s3_config`] reads, and nothing else: hosts read exactly
/// these names and pass what they found (as for the client's `ENV_VARS`).
pub const S3_ENV_VARS: [&str; 3] = ["CD_S3_ENDPOINT_URL", "CD_REGION", "CD_ALLOW_INSECURE_HTTP"];

/// What `s3_config` / `s3Config` take, with the same names on every host (JS's camelCase
/// spellings are accepted as aliases); every one is optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct S3Options {
    /// `bd-dha-1` (the default), `bd-ctg-1`, `bd-syl-1`; else `CD_REGION`.
    pub region: Option<String>,
    pub ingress: Option<Ingress>,
    /// Overrides region and ingress (the sandbox's S3 endpoint, for one); else
    /// `CD_S3_ENDPOINT_URL`.
    #[serde(alias = "endpointUrl")]
    pub endpoint_url: Option<String>,
    /// Plain http to a host other than this machine; else `CD_ALLOW_INSECURE_HTTP`.
    #[serde(alias = "allowInsecureHttp")]
    pub allow_insecure_http: Option<bool>,
    /// An access key (`client.serviceAccounts.accessKeys.create`): both or neither.
    #[serde(alias = "accessKeyId")]
    pub access_key_id: Option<String>,
    #[serde(alias = "secretAccessKey")]
    pub secret_access_key: Option<Secret>,
}

/// Where an AWS SDK's S3 client (boto3, `@aws-sdk/client-s3`) finds Cloud Digit object
/// storage; each host renames the fields to its SDK's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct S3Config {
    /// No trailing slash.
    pub endpoint_url: String,
    /// The SigV4 signing region.
    pub region: Region,
    /// Always true: buckets are addressed in the path (`<endpoint>/<bucket>/<key>`), not
    /// in the host name, so an explicit endpoint (the sandbox's on 127.0.0.1) is
    /// addressed as the region's is.
    pub force_path_style: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<Secret>,
}

/// The S3 client settings for `options`, then the environment (`env` gives the values of
/// [`S3_ENV_VARS`] the host found), then the defaults, in that order (as the API
/// client's options).
pub fn s3_config(
    options: S3Options,
    env: impl Fn(&str) -> Option<String>,
) -> Result<S3Config, ConfigError> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let mut config = ClientConfig {
        ingress: options.ingress.unwrap_or_default(),
        allow_insecure_http: options.allow_insecure_http.unwrap_or_else(|| {
            var("CD_ALLOW_INSECURE_HTTP").is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
        }),
        ..ClientConfig::default()
    };
    if let Some(r) = options.region.or_else(|| var("CD_REGION")) {
        config.region = Region::parse(&r)?;
    }
    let endpoint_url = match options.endpoint_url.or_else(|| var("CD_S3_ENDPOINT_URL")) {
        Some(u) => explicit_url(&u, config.allow_insecure_http).map_err(|fault| match fault {
            UrlFault::NotHttp => ConfigError::BadEndpointUrl { text: u.clone() },
            UrlFault::Insecure => ConfigError::InsecureEndpointUrl { text: u.clone() },
        })?,
        None => config.s3_endpoint(),
    };
    let (access_key_id, secret_access_key) =
        match (options.access_key_id, options.secret_access_key) {
            (Some(_), None) => {
                return Err(ConfigError::IncompleteAccessKey {
                    missing: "secret_access_key",
                    given: "access_key_id",
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::IncompleteAccessKey {
                    missing: "access_key_id",
                    given: "secret_access_key",
                })
            }
            pair => pair,
        };
    Ok(S3Config {
        endpoint_url,
        region: config.region,
        force_path_style: true,
        access_key_id,
        secret_access_key,
    })
}

/// A URL's scheme, host and port: what decides whether a credential may go there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub https: bool,
    /// Lowercase; an IPv6 address keeps its brackets.
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// `http(s)://host[:port][/...]`; `None` for anything else (other schemes, user
    /// info, an empty host or a bad port).
    pub fn parse(url: &str) -> Option<Origin> {
        let (https, rest) = if let Some(r) = strip_prefix_ci(url, "https://") {
            (true, r)
        } else {
            (false, strip_prefix_ci(url, "http://")?)
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (addr, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return None,
            };
            (format!("[{}]", addr.to_ascii_lowercase()), port)
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
                None => (authority.to_ascii_lowercase(), None),
            }
        };
        if host.is_empty() || host == "[]" {
            return None;
        }
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
            None if https => 443,
            None => 80,
        };
        Some(Origin { https, host, port })
    }

    pub fn secure(&self) -> bool {
        self.https
    }

    /// `localhost`, `127.0.0.0/8` or `::1`: traffic that never leaves the machine.
    pub fn is_loopback(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h == "localhost"
            || h.ends_with(".localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback())
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    // `get`, not indexing: the URL may hold any text, and a cut inside a character
    // would panic (found by fuzz/fuzz_targets/client_responses.rs).
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// What a host does with a redirect the API (or something in between) answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum Redirect {
    /// Follow to `url` (absolute). With `keep_credentials` false, drop every
    /// secret-bearing header ([`crate::http::SECRET_HEADERS`]) first.
    Follow { url: String, keep_credentials: bool },
    /// Do not follow; fail the call with this reason.
    Refuse { reason: String },
}

/// The one redirect rule of every host's transport: credentials go only back to the
/// origin they were meant for (as browsers' fetch does), never from https down to http,
/// and plain http only to this machine unless `allow_insecure_http`.
pub fn redirect(from: &str, location: &str, allow_insecure_http: bool) -> Redirect {
    let Some(src) = Origin::parse(from) else {
        return Redirect::Refuse {
            reason: format!("redirect from {from:?}, which is not an http(s) URL"),
        };
    };
    let url = if Origin::parse(location).is_some() {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{}://{rest}", if src.https { "https" } else { "http" })
    } else if location.starts_with('/') {
        format!(
            "{}://{}:{}{location}",
            if src.https { "https" } else { "http" },
            src.host,
            src.port
        )
    } else {
        return Redirect::Refuse {
            reason: format!(
                "redirect to {:?}, which is not an http(s) URL or an absolute path",
                clouddigit_core::scan::redact_secrets(location)
            ),
        };
    };
    let Some(dst) = Origin::parse(&url) else {
        return Redirect::Refuse {
            reason: "redirect to a URL that does not parse".into(),
        };
    };
    if src.https && !dst.https {
        return Redirect::Refuse {
            reason: format!(
                "redirect from https down to plain http ({}), refused",
                dst.host
            ),
        };
    }
    if !dst.https && !dst.is_loopback() && !allow_insecure_http {
        return Redirect::Refuse {
            reason: format!(
                "redirect to plain http on {}, which is not this machine, refused",
                dst.host
            ),
        };
    }
    Redirect::Follow {
        keep_credentials: src == dst,
        url,
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
    use clouddigit_core::secret::checksum;

    fn token() -> String {
        let random = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ";
        format!("cd_{random}{}", checksum(random))
    }

    #[test]
    fn any_text_as_a_location_is_an_answer_not_a_panic() {
        // fuzz/regressions/client_responses: a multi-byte character where the scheme is.
        for text in [
            "oa\u{3}tlic\u{fffd}on: http://evil.test/x",
            "ht\u{e9}ps://x",
            "\u{1f600}",
            "h",
        ] {
            assert!(Origin::parse(text).is_none(), "{text:?}");
            let r = redirect("https://api.example.com/v1/x", text, false);
            assert!(
                !matches!(
                    r,
                    Redirect::Follow {
                        keep_credentials: true,
                        ..
                    }
                ),
                "{text:?}: {r:?}"
            );
        }
    }

    #[test]
    fn http_only_to_this_machine_and_redirects_keep_credentials_home() {
        let base = |u: &str, insecure: bool| {
            ClientConfig {
                base_url: Some(u.into()),
                allow_insecure_http: insecure,
                ..ClientConfig::default()
            }
            .base_url()
            .map_err(|e| e.code())
        };
        assert!(base("http://127.0.0.1:8787/v1", false).is_ok());
        assert!(base("http://localhost:1/v1", false).is_ok());
        assert!(base("http://[::1]:8787/v1", false).is_ok());
        assert_eq!(
            base("http://api.example.com/v1", false),
            Err("insecure_base_url")
        );
        assert!(base("http://api.example.com/v1", true).is_ok());
        assert!(base("https://api.example.com/v1", false).is_ok());
        assert_eq!(base("ftp://x/v1", false), Err("bad_base_url"));
        assert_eq!(
            base("http://user:pw@127.0.0.1/v1", false),
            Err("bad_base_url")
        );

        let follow = |from: &str, to: &str| redirect(from, to, false);
        assert_eq!(
            follow("https://api.a.example/v1/x", "/v1/y"),
            Redirect::Follow {
                url: "https://api.a.example:443/v1/y".into(),
                keep_credentials: true
            }
        );
        assert!(matches!(
            follow("https://api.a.example/v1/x", "https://evil.example/steal"),
            Redirect::Follow {
                keep_credentials: false,
                ..
            }
        ));
        assert!(matches!(
            follow(
                "https://api.a.example/v1/x",
                "https://api.a.example:8443/v1"
            ),
            Redirect::Follow {
                keep_credentials: false,
                ..
            }
        ));
        assert!(matches!(
            follow("https://api.a.example/v1/x", "http://api.a.example/v1"),
            Redirect::Refuse { .. }
        ));
        assert!(matches!(
            follow("http://127.0.0.1:1/v1", "http://10.0.0.1/v1"),
            Redirect::Refuse { .. }
        ));
        assert!(matches!(
            follow("http://127.0.0.1:1/v1", "http://127.0.0.1:1/v2"),
            Redirect::Follow {
                keep_credentials: true,
                ..
            }
        ));
        assert!(matches!(
            follow("https://a.example/", "javascript:alert(1)"),
            Redirect::Refuse { .. }
        ));
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
    fn s3_endpoints_options_then_environment_then_defaults() {
        let none = |_: &str| None;
        let c = s3_config(S3Options::default(), none).unwrap();
        assert_eq!(c.endpoint_url, "https://s3.bd-dha-1.mymine.space");
        assert_eq!(c.region, Region::BdDha1);
        assert!(c.force_path_style);
        let canonical = S3Options {
            region: Some("bd-ctg-1".into()),
            ingress: Some(Ingress::Canonical),
            ..S3Options::default()
        };
        assert_eq!(
            s3_config(canonical, none).unwrap().endpoint_url,
            "https://s3.bd-ctg-1.clouddigit.ai"
        );

        let env = |k: &str| match k {
            "CD_S3_ENDPOINT_URL" => Some("http://127.0.0.1:8788/".to_owned()),
            "CD_REGION" => Some("bd-syl-1".to_owned()),
            _ => None,
        };
        let c = s3_config(S3Options::default(), env).unwrap();
        assert_eq!(c.endpoint_url, "http://127.0.0.1:8788");
        assert_eq!(c.region, Region::BdSyl1);
        // Options win over the environment.
        let explicit = S3Options {
            region: Some("bd-dha-1".into()),
            endpoint_url: Some("https://objects.example.com".into()),
            ..S3Options::default()
        };
        let c = s3_config(explicit, env).unwrap();
        assert_eq!(
            (c.endpoint_url.as_str(), c.region),
            ("https://objects.example.com", Region::BdDha1)
        );

        let code = |o: S3Options, env: &dyn Fn(&str) -> Option<String>| {
            s3_config(o, env).map(|_| ()).map_err(|e| e.code())
        };
        let endpoint = |u: &str| S3Options {
            endpoint_url: Some(u.into()),
            ..S3Options::default()
        };
        assert_eq!(
            code(endpoint("s3.example.com"), &none),
            Err("bad_endpoint_url")
        );
        assert_eq!(
            code(endpoint("http://s3.example.com"), &none),
            Err("insecure_endpoint_url")
        );
        let insecure = |k: &str| (k == "CD_ALLOW_INSECURE_HTTP").then(|| "1".to_owned());
        assert_eq!(code(endpoint("http://s3.example.com"), &insecure), Ok(()));
        let region = S3Options {
            region: Some("us-east-1".into()),
            ..S3Options::default()
        };
        assert_eq!(code(region, &none), Err("unknown_region"));
    }

    #[test]
    fn ingress_parse_reads_the_json_names() {
        for i in [Ingress::Operational, Ingress::Canonical] {
            let name = serde_json::to_value(i).unwrap();
            assert_eq!(Ingress::parse(name.as_str().unwrap()), Some(i));
        }
        assert_eq!(Ingress::parse("Canonical"), None);
    }

    #[test]
    fn s3_access_keys_come_in_pairs_and_never_print() {
        let secret = "cdsk/EXAMPLE+secret0123456789abcdefghijklm";
        let only_id = S3Options {
            access_key_id: Some("CDAKEXAMPLE0123456789".into()),
            ..S3Options::default()
        };
        let err = s3_config(only_id, |_| None).unwrap_err();
        assert_eq!(err.code(), "incomplete_access_key");
        assert!(err.to_string().starts_with("secret_access_key: "), "{err}");
        let only_secret = S3Options {
            secret_access_key: Some(Secret::new(secret.into())),
            ..S3Options::default()
        };
        let err = s3_config(only_secret, |_| None).unwrap_err();
        assert!(err.to_string().starts_with("access_key_id: "), "{err}");
        assert!(!err.to_string().contains(secret));
        let both = S3Options {
            access_key_id: Some("CDAKEXAMPLE0123456789".into()),
            secret_access_key: Some(Secret::new(secret.into())),
            ..S3Options::default()
        };
        assert!(!format!("{both:?}").contains(secret));
        let c = s3_config(both, |_| None).unwrap();
        assert!(!format!("{c:?}").contains(secret));
        assert_eq!(
            c.secret_access_key.as_ref().map(Secret::expose),
            Some(secret)
        );
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
