//! The whole client as one sans-I/O state machine, in the manner of `quinn-proto`'s
//! `Connection`: which credential wins, environment against explicit options, the
//! bearer cache with one refresh at a time, the client-side throttle, retries, the one
//! retry after a 401 on a cached bearer, pagination, `can()` before the first
//! `whoami()` and the compositions (whoami → local validation → create) are decided
//! here, once. A host keeps one small loop: start a [`Task`], [`Session::poll`] it, do
//! the [`Effect`] it asks for (send these bytes, sleep, ask the token provider, wait for
//! the refresh another task is making) and feed back what happened as an [`Input`].
//!
//! The driver's whole contract, the same on every host:
//! - `Send`: send `request`; feed `Input::Response` or `Input::TransportError`. When
//!   `refresh` is set, wake every task parked on `AwaitRefresh` after feeding it.
//! - `Sleep`: sleep `ms` (call the retry hook first when `retry` is set; print `log`
//!   when present), then feed `Input::Resume`.
//! - `AskToken`: call the token provider; feed `Input::Token` (its text, or why it failed).
//! - `AskOidcToken`: call the OIDC token provider with `audience`; feed `Input::Token`.
//! - `ReadFile`: read the file at `path` (now, not from a cache: a rotated token must be
//!   seen); feed `Input::Read` (its text, or why it could not be read).
//! - `ReadEnv`: read the environment variable `name`; feed `Input::Read` (its value, or
//!   neither text nor error when it is not set).
//! - The three above are steps of a refresh: after feeding their answer, wake every
//!   task parked on `AwaitRefresh`, as after a `Send` with `refresh`.
//! - `AwaitRefresh`: wait until a refresh ends (see `Send`), then feed `Input::Resume`.
//! - `Done` / `Fail`: the task's result. `Done.secret_fields` names the fields of
//!   `value` to wrap in the host's secret type.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use clouddigit_core::model::Timestamp;
use clouddigit_core::secret::TokenSecret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::call::{user_agent, Call, Step};
use crate::config::{resolve_token, ClientConfig, Ingress, Region, TokenFile};
use crate::error::{scrub, ApiError, ErrorKind};
use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::local::{can, next_page, prepare_create, service_account_owner, validate_draft};
use crate::models::{ApiToken, Page, Secret, ServiceAccount, Whoami};
use crate::oauth::{BearerCache, BearerNeed};
use crate::oidc::{Federation, FederationSettings, JwtAnswer, JwtSource, JwtStep};
use crate::ops::Operation;
use crate::profile::{profile_name, ConfigFile, KeychainSeen, ProfileSettings};
use crate::ratelimit::TokenBucket;
use clouddigit_core::validate::TokenDraft;

/// The environment variables a client reads, and nothing else: hosts read exactly these
/// names and pass what they found.
pub const ENV_VARS: [&str; 13] = [
    "CD_API_TOKEN",
    "CD_PROFILE",
    "CD_BASE_URL",
    "CD_REGION",
    "CD_LOG",
    "CD_ALLOW_INSECURE_HTTP",
    "CD_SERVICE_ACCOUNT",
    "CD_ORGANIZATION",
    "CD_OIDC_AUDIENCE",
    "CD_OIDC_TOKEN_FILE",
    "CD_OIDC_TOKEN_ENV",
    crate::oidc::ACTIONS_URL_VAR,
    crate::oidc::ACTIONS_TOKEN_VAR,
];

/// Where the token file lives, as the errors name it.
pub const TOKEN_FILE_PATH: &str = "~/.config/cd/token";

/// A service account's OAuth 2.0 client credentials.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentials {
    pub organization: String,
    #[serde(alias = "clientId")]
    pub client_id: String,
    #[serde(alias = "clientSecret")]
    pub client_secret: Secret,
}

/// A client's options, with the same names on every host (JS's camelCase spellings are
/// accepted as aliases). Functions stay with the host: it passes `true` for
/// `token_provider` / `oidc_token_provider` / `on_retry` when it has one.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Options {
    #[serde(default, alias = "baseUrl")]
    pub base_url: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub ingress: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default, alias = "tokenProvider")]
    pub token_provider: bool,
    #[serde(default, alias = "clientCredentials")]
    pub client_credentials: Option<ClientCredentials>,
    /// OIDC workload identity: the service account whose bearer the platform's identity
    /// token is exchanged for (`CD_SERVICE_ACCOUNT`).
    #[serde(default, alias = "serviceAccount")]
    pub service_account: Option<String>,
    /// The service account's organization (`CD_ORGANIZATION`).
    #[serde(default)]
    pub organization: Option<String>,
    /// The audience asked of the CI platform (`CD_OIDC_AUDIENCE`).
    #[serde(default, alias = "oidcAudience")]
    pub oidc_audience: Option<String>,
    /// A file holding the identity token (`CD_OIDC_TOKEN_FILE`).
    #[serde(default, alias = "oidcTokenFile")]
    pub oidc_token_file: Option<String>,
    /// The environment variable holding it (`CD_OIDC_TOKEN_ENV`).
    #[serde(default, alias = "oidcTokenEnv")]
    pub oidc_token_env: Option<String>,
    #[serde(default, alias = "oidcTokenProvider")]
    pub oidc_token_provider: bool,
    #[serde(default, alias = "maxRetries")]
    pub max_retries: Option<u32>,
    #[serde(default, alias = "timeoutMs")]
    pub timeout_ms: Option<u64>,
    #[serde(default, alias = "maxRetryWaitMs")]
    pub max_retry_wait_ms: Option<u64>,
    #[serde(default, alias = "clientRateLimit")]
    pub client_rate_limit: Option<bool>,
    #[serde(default)]
    pub debug: Option<bool>,
    #[serde(default, alias = "allowInsecureHttp")]
    pub allow_insecure_http: Option<bool>,
    #[serde(default, alias = "onRetry")]
    pub on_retry: bool,
    /// The named profile whose keychain entry and settings to use (`CD_PROFILE`,
    /// default `default`); see [`crate::profile`].
    #[serde(default)]
    pub profile: Option<String>,
}

impl Options {
    /// Reads JSON-shaped options, naming the one that does not fit (`unknown_option`,
    /// `bad_option`).
    pub fn from_json(options: &Value) -> Result<Options, ApiError> {
        if options.is_null() {
            return Ok(Options::default());
        }
        clouddigit_core::json::from_json(&options.to_string(), "options").map_err(|message| {
            // serde's wording; compared bytewise (a substring search costs the wasm 2 KB).
            let unknown = message
                .as_bytes()
                .windows(13)
                .any(|w| w == b"unknown field");
            let code = if unknown {
                "unknown_option"
            } else {
                "bad_option"
            };
            ApiError::config(code, scrub(&message))
        })
    }
}

/// What the host found around it: the values of [`ENV_VARS`] that are set, and the
/// token file (read only when the host has no other credential to offer is fine too:
/// the session looks at it last). `Debug` shows the variables' names only.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    #[serde(default)]
    pub token_file: Option<TokenFileSeen>,
    /// The profile's keychain entry, read when [`keychain_profile`] asked for it.
    #[serde(default)]
    pub keychain: Option<KeychainSeen>,
    /// `~/.config/cd/config.json`, when it exists (`mode`: its permission bits; a file
    /// others can write could send the token elsewhere, so it is refused).
    #[serde(default)]
    pub config_file: Option<TokenFileSeen>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("token_file", &self.token_file)
            .field("keychain", &self.keychain)
            .field("config_file", &self.config_file.is_some())
            .finish()
    }
}

impl Environment {
    pub fn from_json(env: &Value) -> Result<Environment, ApiError> {
        if env.is_null() {
            return Ok(Environment::default());
        }
        clouddigit_core::json::from_json(&env.to_string(), "environment")
            .map_err(|message| ApiError::config("bad_option", scrub(&message)))
    }
}

/// The token file as the host read it (`mode`: the Unix permission bits). `Debug`
/// never shows its contents.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenFileSeen {
    pub path: String,
    pub contents: String,
    #[serde(default)]
    pub mode: Option<u32>,
}

impl std::fmt::Debug for TokenFileSeen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFileSeen")
            .field("path", &self.path)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// What a host asks the session to do: one public method of the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// One API operation; `Done.value` is its model.
    Call { op: Operation },
    /// One page of a list; `Done.value` is its items, `Done.next` the operation for the
    /// following page (absent after the last).
    Page { op: Operation },
    /// Whoami, kept for `can` and the local checks.
    Whoami,
    /// Decided locally on the last whoami (fetched first when there is none).
    Can {
        action: String,
        #[serde(default)]
        project: Option<String>,
    },
    /// The console's rules on a draft of the caller's own token.
    ValidateToken { draft: TokenDraft },
    /// Validated locally, then created.
    CreateToken { draft: TokenDraft },
    /// Validated locally against the account as it is now, then created.
    CreateServiceAccountToken { id: String, draft: TokenDraft },
}

/// What the host does next (see the module's contract).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    Send {
        request: HttpRequest,
        refresh: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        log: Option<String>,
    },
    Sleep {
        ms: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        retry: Option<RetryInfo>,
        #[serde(skip_serializing_if = "Option::is_none")]
        log: Option<String>,
    },
    AskToken,
    /// Ask the OIDC token provider for the platform's identity token.
    AskOidcToken {
        audience: Option<String>,
    },
    ReadFile {
        path: String,
    },
    ReadEnv {
        name: String,
    },
    AwaitRefresh,
    Done {
        value: Answer,
        secret_fields: Vec<String>,
        /// For `Command::Page`: the operation for the next page.
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<Operation>,
    },
    Fail {
        error: ApiError,
    },
}

/// A finished task's value: the API's JSON, or a local decision or validation kept
/// typed, so a binding serializes it once, its own way (in JSON, the same shape).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Answer {
    Json(Value),
    Decision(clouddigit_core::Decision),
    Validation(clouddigit_core::TokenValidation),
}

impl Answer {
    /// As JSON, whatever it holds.
    pub fn into_json(self) -> Value {
        match self {
            Answer::Json(v) => v,
            other => serde_json::to_value(&other).unwrap_or(Value::Null),
        }
    }
}

/// What the retry hook is told before each retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RetryInfo {
    /// Counts from 1.
    pub retry: u32,
    pub wait_ms: u64,
    /// `HTTP 429`, `HTTP 503`, `connection failed: ...`, `timed out`.
    pub cause: String,
}

/// What happened since the last effect.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(tag = "input", rename_all = "snake_case", deny_unknown_fields)]
pub enum Input {
    /// The first poll, and after a sleep or a wake.
    Resume,
    Response {
        response: HttpResponse,
    },
    TransportError {
        error: TransportError,
    },
    /// The token provider's answer, or why it failed.
    Token {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        error: Option<String>,
    },
    /// A file's text or a variable's value, or why it could not be read (neither: the
    /// variable is not set).
    Read {
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        error: Option<String>,
    },
}

/// The host's clocks at a poll: monotonic milliseconds (bearer expiry, throttle) and
/// the wall clock (`Retry-After` dates, local validation).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now_ms: u64,
    pub now: DateTime<Utc>,
}

/// Where the session's credential came from: `clouddigit whoami` shows it, and
/// `tokens rotate --self` writes the new secret back to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialSource {
    /// The `token` option.
    Explicit,
    Provider,
    ClientCredentials,
    Oidc,
    /// `CD_API_TOKEN`.
    EnvVar,
    Keychain {
        profile: String,
    },
    File {
        path: String,
    },
}

enum Credentials {
    Token(TokenSecret),
    Provider,
    OAuth {
        organization: String,
        client_id: String,
        client_secret: Secret,
        cache: BearerCache,
    },
    Oidc {
        federation: Federation,
        cache: BearerCache,
    },
}

impl Credentials {
    /// The bearer cache of a grant, and the grant's name for its errors.
    fn cache(&mut self) -> Option<(&mut BearerCache, &'static str)> {
        match self {
            Credentials::OAuth { cache, .. } => Some((cache, "client-credentials grant")),
            Credentials::Oidc { cache, .. } => Some((cache, "token exchange")),
            _ => None,
        }
    }
}

/// One client: configuration, credentials and what its tasks share (the bearer cache,
/// the refresh in flight, the throttle, the last whoami, the random source).
pub struct Session {
    config: ClientConfig,
    user_agent: String,
    credentials: Credentials,
    source: CredentialSource,
    bucket: Option<TokenBucket>,
    refreshing: bool,
    whoami: Option<Whoami>,
    rng: SplitMix,
}

/// SplitMix64: jitter and idempotency keys from a host-given seed, so conformance
/// vectors can pin both. Neither is a secret; a crate would add a dependency to every
/// binding for eight lines.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A UUID v4 in text.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let a = (a & !0xF000) | 0x4000;
        let b = (b & !(0xC << 60)) | (0x8 << 60);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

fn bad_option(name: &str, what: &str) -> ApiError {
    ApiError::config("bad_option", format!("{name}: must be {what}"))
}

/// An option that, when given, must say something.
fn nonempty(v: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    match v {
        Some(s) if s.trim().is_empty() => Err(bad_option(name, "a non-empty string")),
        v => Ok(v),
    }
}

/// The profile whose keychain entry the host should read before [`Session::new`], or
/// `None` when a credential that comes first (`token`, a provider, client credentials,
/// an OIDC exchange, `CD_API_TOKEN`) makes the keychain irrelevant, so a host never
/// touches the keychain (a D-Bus call, a macOS prompt) for nothing.
pub fn keychain_profile(options: &Options, env: &Environment) -> Result<Option<String>, ApiError> {
    let var = |k: &str| env.vars.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let earlier = options.token.is_some()
        || options.token_provider
        || options.client_credentials.is_some()
        || options.service_account.is_some()
        || var("CD_SERVICE_ACCOUNT").is_some()
        || var("CD_API_TOKEN").is_some();
    if earlier {
        return Ok(None);
    }
    profile_name(options.profile.as_deref(), var("CD_PROFILE").as_deref()).map(Some)
}

/// The settings of the profile in effect, from the config file the host read (none
/// when there is no file or the profile is not in it; a file that does not parse is
/// an error, so a script never runs against the wrong region unnoticed).
pub fn profile_settings(options: &Options, env: &Environment) -> Result<ProfileSettings, ApiError> {
    let var = |k: &str| env.vars.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let name = profile_name(options.profile.as_deref(), var("CD_PROFILE").as_deref())?;
    let Some(seen) = env.config_file.as_ref() else {
        return Ok(ProfileSettings::default());
    };
    if let Some(mode) = seen.mode.filter(|m| m & 0o022 != 0) {
        return Err(ApiError::config(
            "config_file_too_open",
            format!(
                "{}: group or others can write it (mode {:o}), so they could send your token to another server; run `chmod 600 {}`",
                seen.path,
                mode & 0o777,
                seen.path
            ),
        ));
    }
    let file = ConfigFile::parse(&seen.contents)?;
    Ok(file.profiles.get(&name).cloned().unwrap_or_default())
}

impl Session {
    /// Options win over the environment, the environment over the defaults. Credentials,
    /// first found wins: `token`, `token_provider`, `client_credentials`, an OIDC token
    /// exchange (`service_account` or `CD_SERVICE_ACCOUNT`), `CD_API_TOKEN`, the
    /// profile's keychain entry (`env.keychain`), the token file. Fails on bad settings or credentials, before any call.
    /// `host` names the SDK's host in the `User-Agent`; `seed` is the host's randomness.
    pub fn new(
        options: Options,
        env: &Environment,
        host: &str,
        seed: u64,
    ) -> Result<Session, ApiError> {
        let var = |k: &str| env.vars.get(k).filter(|v| !v.trim().is_empty()).cloned();
        // The profile's settings come after the options and the variables.
        let profile = profile_settings(&options, env)?;
        let given_url = options.base_url.or_else(|| var("CD_BASE_URL"));
        // The profile's insecure-http choice goes with its own base URL only: it never
        // loosens a URL given in code or in CD_BASE_URL.
        let profile_insecure = given_url.is_none() && profile.allow_insecure_http == Some(true);
        let mut config = ClientConfig {
            base_url: given_url.or(profile.base_url),
            ..ClientConfig::default()
        };
        if let Some(r) = options
            .region
            .or_else(|| var("CD_REGION"))
            .or(profile.region)
        {
            config.region =
                Region::parse(&r).map_err(|e| ApiError::config(e.code(), e.to_string()))?;
        }
        if let Some(i) = options.ingress {
            config.ingress = Ingress::parse(&i)
                .ok_or_else(|| bad_option("ingress", "\"operational\" or \"canonical\""))?;
        }
        if let Some(n) = options.max_retries {
            config.max_retries = n;
        }
        if let Some(n) = options.timeout_ms {
            config.timeout_ms = n;
        }
        if let Some(n) = options.max_retry_wait_ms {
            config.max_retry_wait_ms = n;
        }
        if let Some(b) = options.client_rate_limit {
            config.client_rate_limit = b;
        }
        config.debug = options
            .debug
            .unwrap_or_else(|| var("CD_LOG").is_some_and(|v| v.eq_ignore_ascii_case("debug")));
        config.allow_insecure_http =
            options
                .allow_insecure_http
                .unwrap_or_else(|| match var("CD_ALLOW_INSECURE_HTTP") {
                    Some(v) => matches!(v.trim(), "1" | "true" | "yes"),
                    None => profile_insecure,
                });
        config
            .base_url()
            .map_err(|e| ApiError::config(e.code(), e.to_string()))?;

        let config_err = |e: crate::config::ConfigError| ApiError::config(e.code(), e.to_string());
        let mut source = CredentialSource::Explicit;
        let credentials = if let Some(t) = options.token {
            Credentials::Token(resolve_token(Some(&t), None, None, "").map_err(config_err)?)
        } else if options.token_provider {
            source = CredentialSource::Provider;
            Credentials::Provider
        } else if let Some(cc) = options.client_credentials {
            source = CredentialSource::ClientCredentials;
            Credentials::OAuth {
                organization: cc.organization,
                client_id: cc.client_id,
                client_secret: cc.client_secret,
                cache: BearerCache::new(),
            }
        } else if let Some(federation) = Federation::resolve(
            FederationSettings {
                service_account: nonempty(options.service_account, "service_account")?,
                organization: nonempty(options.organization, "organization")?,
                audience: nonempty(options.oidc_audience, "oidc_audience")?,
                token_file: nonempty(options.oidc_token_file, "oidc_token_file")?,
                token_env: nonempty(options.oidc_token_env, "oidc_token_env")?,
                token_provider: options.oidc_token_provider,
            },
            var,
            config.allow_insecure_http,
        )? {
            source = CredentialSource::Oidc;
            Credentials::Oidc {
                federation,
                cache: BearerCache::new(),
            }
        } else {
            let file = env.token_file.as_ref().map(|f| TokenFile {
                path: f.path.clone(),
                contents: f.contents.clone(),
                mode: f.mode,
            });
            // The keychain's entry, when the host read one, comes before the file.
            let keychain = env.keychain.as_ref().and_then(|k| {
                k.secret.as_ref().map(|secret| TokenFile {
                    path: format!("the keychain's profile {:?}", k.profile),
                    contents: secret.clone(),
                    mode: None,
                })
            });
            let env_token = var("CD_API_TOKEN");
            source = match (&env_token, &env.keychain, &file) {
                (Some(_), ..) => CredentialSource::EnvVar,
                (None, Some(k), _) if k.secret.is_some() => CredentialSource::Keychain {
                    profile: k.profile.clone(),
                },
                (None, _, Some(f)) => CredentialSource::File {
                    path: f.path.clone(),
                },
                _ => CredentialSource::Explicit,
            };
            Credentials::Token(
                resolve_token(
                    None,
                    env_token.as_deref(),
                    keychain.as_ref().or(file.as_ref()),
                    TOKEN_FILE_PATH,
                )
                .map_err(config_err)?,
            )
        };
        Ok(Session {
            bucket: config.client_rate_limit.then(|| TokenBucket::standard(0)),
            config,
            user_agent: user_agent(host),
            credentials,
            source,
            refreshing: false,
            whoami: None,
            rng: SplitMix(seed),
        })
    }

    /// [`Session::new`] from JSON-shaped options and environment.
    pub fn from_json(
        options: &Value,
        env: &Value,
        host: &str,
        seed: u64,
    ) -> Result<Session, ApiError> {
        Session::new(
            Options::from_json(options)?,
            &Environment::from_json(env)?,
            host,
            seed,
        )
    }

    /// Where the credential came from.
    pub fn credential_source(&self) -> &CredentialSource {
        &self.source
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Whether another task is refreshing the bearer now (a host that parks tasks on
    /// `AwaitRefresh` checks it under the same lock before waiting).
    pub fn refreshing(&self) -> bool {
        self.refreshing
    }

    /// The last whoami, if any.
    pub fn whoami(&self) -> Option<&Whoami> {
        self.whoami.as_ref()
    }

    /// The host gave up on `task` (a cancelled future, an exception in its own code):
    /// a refresh it was making is no longer in flight, so parked tasks may start one.
    pub fn cancel(&mut self, task: &mut Task) {
        if task.exchange.as_ref().is_some_and(|x| x.state.refreshes()) {
            self.refreshing = false;
        }
        task.finished = true;
    }

    pub fn start(&self, command: Command) -> Task {
        Task {
            command,
            exchange: None,
            whoami: None,
            acc: Vec::new(),
            finished: false,
        }
    }

    /// Advances `task` with what happened since its last effect, to its next effect.
    pub fn poll(&mut self, task: &mut Task, input: Input, clock: Clock) -> Effect {
        if task.finished {
            return Effect::Fail {
                error: ApiError::config("task_finished", "this task already ended"),
            };
        }
        let effect = self.advance(task, input, clock);
        if matches!(effect, Effect::Done { .. } | Effect::Fail { .. }) {
            task.finished = true;
            if task.exchange.as_ref().is_some_and(|x| x.state.refreshes()) {
                self.refreshing = false;
            }
        }
        effect
    }

    fn advance(&mut self, task: &mut Task, mut input: Input, clock: Clock) -> Effect {
        loop {
            if let Some(x) = &mut task.exchange {
                match self.exchange(x, input, clock) {
                    XOut::Effect(e) => return e,
                    XOut::Fail(error) => return Effect::Fail { error },
                    XOut::Done(value) => {
                        let op = task.exchange.take().map(|x| x.op);
                        match self.next_phase(task, op, value, clock) {
                            Ok(Next::Call(op)) => {
                                task.exchange = Some(Exchange::new(op));
                                input = Input::Resume;
                                continue;
                            }
                            Ok(Next::Done(value, secret_fields)) => {
                                return Effect::Done {
                                    value,
                                    secret_fields,
                                    next: None,
                                }
                            }
                            Ok(Next::Page(value, next)) => {
                                return Effect::Done {
                                    value: Answer::Json(value),
                                    secret_fields: Vec::new(),
                                    next,
                                }
                            }
                            Err(error) => return Effect::Fail { error },
                        }
                    }
                }
            }
            // No exchange yet: the task's first step.
            match self.begin(task, clock) {
                Ok(Next::Call(op)) => {
                    task.exchange = Some(Exchange::new(op));
                    input = Input::Resume;
                }
                Ok(Next::Done(value, secret_fields)) => {
                    return Effect::Done {
                        value,
                        secret_fields,
                        next: None,
                    }
                }
                Ok(Next::Page(..)) => {
                    return Effect::Fail {
                        error: ApiError::config("internal", "a page before any call"),
                    }
                }
                Err(error) => return Effect::Fail { error },
            }
        }
    }

    /// The first call of each command (or its answer, when it needs none).
    fn begin(&mut self, task: &mut Task, clock: Clock) -> Result<Next, ApiError> {
        Ok(match &task.command {
            Command::Call { op } | Command::Page { op } => Next::Call(op.clone()),
            Command::Can { action, project } => match &self.whoami {
                Some(w) => {
                    let d = can(w, action, project.as_deref(), clock.now)?;
                    Next::Done(Answer::Decision(d), Vec::new())
                }
                None => Next::Call(Operation::Whoami),
            },
            Command::Whoami
            | Command::ValidateToken { .. }
            | Command::CreateToken { .. }
            | Command::CreateServiceAccountToken { .. } => Next::Call(Operation::Whoami),
        })
    }

    /// What follows a finished call, by command.
    fn next_phase(
        &mut self,
        task: &mut Task,
        op: Option<Operation>,
        value: Value,
        clock: Clock,
    ) -> Result<Next, ApiError> {
        let now: Timestamp = clock.now;
        match (&task.command, op) {
            (Command::Call { op }, _) => Ok(Next::Done(
                Answer::Json(value),
                op.secret_fields().iter().map(|s| (*s).to_owned()).collect(),
            )),
            (Command::Page { op }, _) => {
                let next = next_page(op, &value);
                let items = match value {
                    Value::Object(mut m) => m.remove("items").unwrap_or(Value::Array(Vec::new())),
                    _ => Value::Array(Vec::new()),
                };
                Ok(Next::Page(items, next))
            }
            (_, Some(Operation::Whoami)) => {
                let w: Whoami = model(value.clone())?;
                self.whoami = Some(w.clone());
                match &task.command {
                    Command::Whoami => Ok(Next::Done(Answer::Json(value), Vec::new())),
                    Command::Can { action, project } => {
                        let d = can(&w, action, project.as_deref(), now)?;
                        Ok(Next::Done(Answer::Decision(d), Vec::new()))
                    }
                    Command::ValidateToken { .. } => {
                        task.whoami = Some(w);
                        Ok(Next::Call(Operation::ListTokens {
                            cursor: None,
                            limit: None,
                        }))
                    }
                    Command::CreateToken { draft } => {
                        let body = prepare_create(draft, &w.owner, &w, &[], now)?;
                        Ok(Next::Call(Operation::CreateToken { body }))
                    }
                    Command::CreateServiceAccountToken { id, .. } => {
                        let id = id.clone();
                        task.whoami = Some(w);
                        Ok(Next::Call(Operation::GetServiceAccount { id }))
                    }
                    _ => Err(ApiError::config("internal", "unexpected whoami")),
                }
            }
            (Command::ValidateToken { draft }, Some(op @ Operation::ListTokens { .. })) => {
                let next = next_page(&op, &value);
                let page: Page<ApiToken> = model(value)?;
                task.acc.extend(page.items);
                if let Some(next) = next {
                    return Ok(Next::Call(next));
                }
                let w = task.whoami.as_ref().ok_or_else(no_whoami)?;
                let v = validate_draft(draft, &w.owner, w, &task.acc, now);
                Ok(Next::Done(Answer::Validation(v), Vec::new()))
            }
            (
                Command::CreateServiceAccountToken { id, draft },
                Some(Operation::GetServiceAccount { .. }),
            ) => {
                let sa: ServiceAccount = model(value)?;
                let owner = service_account_owner(&sa);
                let w = task.whoami.as_ref().ok_or_else(no_whoami)?;
                let body = prepare_create(draft, &owner, w, &[], now)?;
                Ok(Next::Call(Operation::CreateServiceAccountToken {
                    id: id.clone(),
                    body,
                }))
            }
            (_, Some(op)) => Ok(Next::Done(
                Answer::Json(value),
                op.secret_fields().iter().map(|s| (*s).to_owned()).collect(),
            )),
            (_, None) => Err(ApiError::config(
                "internal",
                "a call ended without its operation",
            )),
        }
    }

    /// One operation to its end: throttle, bearer, send, retries, and once more on a
    /// fresh bearer after a 401 on the cached one.
    fn exchange(&mut self, x: &mut Exchange, input: Input, clock: Clock) -> XOut {
        let mut input = Some(input);
        loop {
            match std::mem::replace(&mut x.state, XState::Invalid) {
                XState::Throttle => {
                    x.state = XState::NeedBearer;
                    let wait = self.bucket.as_mut().map_or(0, |b| b.take(clock.now_ms));
                    if wait > 0 {
                        return XOut::Effect(Effect::Sleep {
                            ms: wait,
                            retry: None,
                            log: None,
                        });
                    }
                }
                XState::NeedBearer => {
                    if x.call.is_none() {
                        let key = self.rng.uuid();
                        match Call::new(&self.config, x.op.clone(), || key, self.user_agent.clone())
                        {
                            Ok(c) => x.call = Some(c),
                            Err(e) => return XOut::Fail(e),
                        }
                    }
                    match &self.credentials {
                        Credentials::Token(t) => {
                            let b = t.expose_secret().to_owned();
                            return self.send(x, b);
                        }
                        Credentials::Provider => {
                            x.state = XState::AwaitingToken;
                            return XOut::Effect(Effect::AskToken);
                        }
                        Credentials::OAuth {
                            organization,
                            client_id,
                            client_secret,
                            cache,
                        } => match cache.need(clock.now_ms) {
                            BearerNeed::Use(b) => return self.send(x, b),
                            BearerNeed::Refresh { .. } if self.refreshing => {
                                x.state = XState::AwaitingRefresh;
                                return XOut::Effect(Effect::AwaitRefresh);
                            }
                            BearerNeed::Refresh { .. } => {
                                let req = BearerCache::token_request(
                                    &self.config,
                                    organization,
                                    client_id,
                                    client_secret.expose(),
                                    &self.user_agent,
                                );
                                match req {
                                    Ok(request) => {
                                        self.refreshing = true;
                                        x.state = XState::Refreshing;
                                        let log = self.config.debug.then(|| request.log_line(0));
                                        return XOut::Effect(Effect::Send {
                                            request,
                                            refresh: true,
                                            log,
                                        });
                                    }
                                    Err(e) => return XOut::Fail(e),
                                }
                            }
                        },
                        Credentials::Oidc { federation, cache } => match cache.need(clock.now_ms) {
                            BearerNeed::Use(b) => return self.send(x, b),
                            BearerNeed::Refresh { .. } if self.refreshing => {
                                x.state = XState::AwaitingRefresh;
                                return XOut::Effect(Effect::AwaitRefresh);
                            }
                            BearerNeed::Refresh { .. } => {
                                self.refreshing = true;
                                x.state = XState::FetchingJwt;
                                return XOut::Effect(
                                    match federation.jwt_step(&self.config, &self.user_agent) {
                                        JwtStep::Ask { audience } => {
                                            Effect::AskOidcToken { audience }
                                        }
                                        JwtStep::ReadFile { path } => Effect::ReadFile { path },
                                        JwtStep::ReadEnv { name } => Effect::ReadEnv { name },
                                        JwtStep::Send(request) => Effect::Send {
                                            log: self.config.debug.then(|| request.log_line(0)),
                                            request,
                                            refresh: true,
                                        },
                                    },
                                );
                            }
                        },
                    }
                }
                XState::FetchingJwt => {
                    self.refreshing = false;
                    let Credentials::Oidc { federation, cache } = &self.credentials else {
                        return XOut::Fail(out_of_order("an identity token"));
                    };
                    let input = input.take();
                    let answer = match (&federation.source, &input) {
                        (JwtSource::Provider, Some(Input::Token { token, error }))
                        | (
                            JwtSource::File(_) | JwtSource::Env(_),
                            Some(Input::Read { text: token, error }),
                        ) => JwtAnswer::Text(match (token, error) {
                            (Some(t), None) => Ok(t.as_str()),
                            (_, Some(e)) => Err(e.as_str()),
                            (None, None) => Err("not set"),
                        }),
                        (JwtSource::GithubActions { .. }, Some(Input::Response { response })) => {
                            JwtAnswer::Http(Ok(response))
                        }
                        (
                            JwtSource::GithubActions { .. },
                            Some(Input::TransportError { error }),
                        ) => JwtAnswer::Http(Err(error)),
                        _ => return XOut::Fail(out_of_order("an identity token")),
                    };
                    let request = federation.jwt(answer).and_then(|jwt| {
                        federation.exchange_request(&self.config, &jwt, &self.user_agent)
                    });
                    // Checked now: the platform may have taken its time to fail.
                    match (request, cache.fallback(clock.now_ms)) {
                        (Ok(request), _) => {
                            self.refreshing = true;
                            x.state = XState::Refreshing;
                            let log = self.config.debug.then(|| request.log_line(0));
                            return XOut::Effect(Effect::Send {
                                request,
                                refresh: true,
                                log,
                            });
                        }
                        // The platform failing for a moment should not fail calls the
                        // cached bearer can still make.
                        (Err(_), Some(b)) => return self.send(x, b),
                        (Err(e), None) => return XOut::Fail(e),
                    }
                }
                XState::AwaitingToken => match input.take() {
                    Some(Input::Token {
                        token: Some(t),
                        error: None,
                    }) => {
                        if let Err(e) = TokenSecret::parse(&t) {
                            return XOut::Fail(ApiError::config(
                                "bad_token",
                                format!("token provider: {e}"),
                            ));
                        }
                        return self.send(x, t);
                    }
                    Some(Input::Token { error, .. }) => {
                        let message = scrub(error.as_deref().unwrap_or("no token"));
                        return XOut::Fail(ApiError::config(
                            "token_provider_failed",
                            format!("credentials (token provider): {message}"),
                        ));
                    }
                    _ => return XOut::Fail(out_of_order("the token provider's answer")),
                },
                XState::AwaitingRefresh | XState::Sleeping => match input.take() {
                    Some(Input::Resume) => {
                        x.state = XState::NeedBearer;
                    }
                    _ => return XOut::Fail(out_of_order("resume")),
                },
                XState::Refreshing => {
                    self.refreshing = false;
                    let Some((cache, grant)) = self.credentials.cache() else {
                        return XOut::Fail(out_of_order("a refresh"));
                    };
                    let result = match input.take() {
                        Some(Input::Response { response }) => {
                            cache.on_response(Ok(&response), clock.now_ms, grant)
                        }
                        Some(Input::TransportError { error }) => {
                            cache.on_response(Err(&error), clock.now_ms, grant)
                        }
                        _ => return XOut::Fail(out_of_order("the token endpoint's answer")),
                    };
                    match result {
                        Ok(b) => return self.send(x, b),
                        Err(e) => return XOut::Fail(e),
                    }
                }
                XState::Sending => {
                    let Some(call) = x.call.as_mut() else {
                        return XOut::Fail(out_of_order("a response"));
                    };
                    let step = match input.take() {
                        Some(Input::Response { response }) => {
                            call.on_response(&response, clock.now, self.rng.unit())
                        }
                        Some(Input::TransportError { error }) => {
                            call.on_transport_error(&error, self.rng.unit())
                        }
                        _ => return XOut::Fail(out_of_order("a response")),
                    };
                    match step {
                        Step::Wait {
                            wait_ms,
                            retry,
                            cause,
                        } => {
                            x.state = XState::Sleeping;
                            let log = self.config.debug.then(|| {
                                format!("clouddigit: retry {retry} in {wait_ms} ms ({cause})")
                            });
                            return XOut::Effect(Effect::Sleep {
                                ms: wait_ms,
                                retry: Some(RetryInfo {
                                    retry,
                                    wait_ms,
                                    cause,
                                }),
                                log,
                            });
                        }
                        Step::Done(Ok(v)) => return XOut::Done(v),
                        Step::Done(Err(e)) => {
                            let again = match (self.credentials.cache(), &x.used, x.second) {
                                (Some((cache, _)), Some(used), false) => {
                                    cache.on_rejected(&e, used)
                                }
                                _ => false,
                            };
                            if !again {
                                return XOut::Fail(e);
                            }
                            // Once more, from the start, on a fresh bearer.
                            x.second = true;
                            x.call = None;
                            x.state = XState::NeedBearer;
                        }
                    }
                }
                XState::Invalid => return XOut::Fail(out_of_order("anything")),
            }
        }
    }

    fn send(&mut self, x: &mut Exchange, bearer: String) -> XOut {
        let Some(call) = &x.call else {
            return XOut::Fail(out_of_order("a bearer"));
        };
        let request = call.request(&bearer);
        let log = self.config.debug.then(|| request.log_line(call.retries()));
        x.used = Some(bearer);
        x.state = XState::Sending;
        XOut::Effect(Effect::Send {
            request,
            refresh: false,
            log,
        })
    }
}

fn out_of_order(wanted: &str) -> ApiError {
    ApiError::config(
        "driver_out_of_order",
        format!("the client's driver fed the wrong input: it was waiting for {wanted}"),
    )
}

fn no_whoami() -> ApiError {
    ApiError::config("internal", "no whoami")
}

fn model<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| {
        let mut err = ApiError::config(
            "bad_response",
            format!("the response does not fit the API's model: {e}"),
        );
        err.kind = ErrorKind::Server;
        err
    })
}

enum Next {
    Call(Operation),
    Done(Answer, Vec<String>),
    Page(Value, Option<Operation>),
}

enum XOut {
    Effect(Effect),
    Done(Value),
    Fail(ApiError),
}

enum XState {
    Throttle,
    NeedBearer,
    AwaitingToken,
    AwaitingRefresh,
    /// Getting the identity token to exchange.
    FetchingJwt,
    Refreshing,
    Sending,
    Sleeping,
    /// Only while a step runs.
    Invalid,
}

impl XState {
    /// Whether this task holds the one refresh in flight.
    fn refreshes(&self) -> bool {
        matches!(self, XState::Refreshing | XState::FetchingJwt)
    }
}

/// One operation in flight within a task.
struct Exchange {
    op: Operation,
    call: Option<Call>,
    state: XState,
    /// The bearer of the last attempt (to tell a rejected cached bearer).
    used: Option<String>,
    /// Whether this is the one retry after a 401.
    second: bool,
}

impl Exchange {
    fn new(op: Operation) -> Exchange {
        Exchange {
            op,
            call: None,
            state: XState::Throttle,
            used: None,
            second: false,
        }
    }
}

/// One public method of the client in progress.
pub struct Task {
    command: Command,
    exchange: Option<Exchange>,
    whoami: Option<Whoami>,
    acc: Vec<ApiToken>,
    finished: bool,
}

impl Task {
    pub fn command(&self) -> &Command {
        &self.command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(now_ms: u64) -> Clock {
        Clock {
            now_ms,
            now: DateTime::from_timestamp(1_795_521_600, 0).unwrap_or_default(),
        }
    }

    fn oauth() -> Session {
        let options: Options = serde_json::from_value(serde_json::json!({
            "base_url": "http://127.0.0.1:1/v1",
            "clientCredentials": {"organization": "acme", "clientId": "cid", "clientSecret": "cs_0123456789"}
        }))
        .unwrap();
        Session::new(options, &Environment::default(), "test", 7).unwrap()
    }

    fn bearer(b: &str) -> Input {
        Input::Response {
            response: HttpResponse {
                status: 200,
                headers: vec![],
                body: serde_json::json!({"access_token": b, "expires_in": 300, "token_type": "Bearer"})
                    .to_string(),
            },
        }
    }

    fn get(id: &str) -> Command {
        Command::Call {
            op: Operation::GetToken { id: id.into() },
        }
    }

    fn good_token(seed: char) -> String {
        let random: String = std::iter::repeat_n(seed, 36).collect();
        format!("cd_{random}{}", clouddigit_core::secret::checksum(&random))
    }

    fn env_of(v: serde_json::Value) -> Environment {
        Environment::from_json(&v).unwrap()
    }

    fn whoami_auth(session: &mut Session) -> Option<String> {
        let mut task = session.start(Command::Whoami);
        let effect = session.poll(&mut task, Input::Resume, clock(0));
        authorization(&effect).map(str::to_owned)
    }

    #[test]
    fn the_keychain_comes_after_cd_api_token_and_before_the_file() {
        let (kc, var, file) = (good_token('k'), good_token('v'), good_token('f'));
        let base = serde_json::json!({"base_url": "http://127.0.0.1:1/v1"});
        let with = |vars: serde_json::Value| {
            env_of(serde_json::json!({
                "vars": vars,
                "keychain": {"profile": "default", "secret": kc},
                "token_file": {"path": "/h/.config/cd/token", "contents": file, "mode": 384},
            }))
        };
        let options = || Options::from_json(&base).unwrap();
        // CD_API_TOKEN wins, and the host is told not to read the keychain at all.
        let env = with(serde_json::json!({"CD_API_TOKEN": var}));
        assert_eq!(keychain_profile(&options(), &env).unwrap(), None);
        let mut s = Session::new(options(), &env, "test", 1).unwrap();
        assert_eq!(whoami_auth(&mut s), Some(format!("Bearer {var}")));
        // Without it, the keychain's entry beats the file.
        let env = with(serde_json::json!({}));
        assert_eq!(
            keychain_profile(&options(), &env).unwrap().as_deref(),
            Some("default")
        );
        let mut s = Session::new(options(), &env, "test", 1).unwrap();
        assert_eq!(whoami_auth(&mut s), Some(format!("Bearer {kc}")));
        // A keychain that could not be read leaves the file.
        let env = env_of(serde_json::json!({
            "keychain": {"profile": "default", "error": "no Secret Service on this machine"},
            "token_file": {"path": "/h/.config/cd/token", "contents": file, "mode": 384},
        }));
        let mut s = Session::new(options(), &env, "test", 1).unwrap();
        assert_eq!(whoami_auth(&mut s), Some(format!("Bearer {file}")));
        // A bad entry is named as the keychain's, never shown.
        let env = env_of(serde_json::json!({"keychain": {"profile": "ci", "secret": "cd_nope"}}));
        let e = Session::new(options(), &env, "test", 1).err().unwrap();
        assert!(e.to_string().contains("keychain's profile \"ci\""), "{e}");
        assert!(!e.to_string().contains("cd_nope"), "{e}");
    }

    #[test]
    fn the_profile_is_the_option_then_cd_profile_then_default() {
        let env = env_of(serde_json::json!({"vars": {"CD_PROFILE": "staging"}}));
        let o = Options::from_json(&serde_json::json!({"profile": "prod"})).unwrap();
        assert_eq!(keychain_profile(&o, &env).unwrap().as_deref(), Some("prod"));
        let o = Options::default();
        assert_eq!(
            keychain_profile(&o, &env).unwrap().as_deref(),
            Some("staging")
        );
        assert_eq!(
            keychain_profile(&o, &Environment::default())
                .unwrap()
                .as_deref(),
            Some("default")
        );
        let o = Options::from_json(&serde_json::json!({"profile": "../etc"})).unwrap();
        let e = keychain_profile(&o, &Environment::default()).unwrap_err();
        assert!(e.to_string().contains("profile"), "{e}");
    }

    #[test]
    fn a_profiles_settings_come_after_options_and_variables() {
        let config = serde_json::json!({"profiles": {
            "default": {"region": "bd-ctg-1"},
            "lab": {"base_url": "http://127.0.0.1:9/v1", "allow_insecure_http": true}
        }})
        .to_string();
        let token = good_token('t');
        let env = |vars: serde_json::Value| {
            env_of(serde_json::json!({"vars": vars,
                "config_file": {"path": "/h/.config/cd/config.json", "contents": config, "mode": 384}}))
        };
        let o = || Options::from_json(&serde_json::json!({"token": token})).unwrap();
        let s = Session::new(o(), &env(serde_json::json!({})), "t", 1).unwrap();
        assert!(
            s.config().base_url().unwrap().contains("ctg"),
            "{:?}",
            s.config().base_url()
        );
        let s = Session::new(
            o(),
            &env(serde_json::json!({"CD_REGION": "bd-syl-1"})),
            "t",
            1,
        )
        .unwrap();
        assert!(s.config().base_url().unwrap().contains("syl"));
        let s = Session::new(o(), &env(serde_json::json!({"CD_PROFILE": "lab"})), "t", 1).unwrap();
        assert_eq!(s.config().base_url().unwrap(), "http://127.0.0.1:9/v1");
        // A broken file is an error that names it, not a silent default region.
        let broken = env_of(serde_json::json!({"config_file":
            {"path": "/h/.config/cd/config.json", "contents": "{\"profiles\": 3}", "mode": 384}}));
        let e = Session::new(o(), &broken, "t", 1).err().unwrap();
        assert!(e.to_string().contains("config.json"), "{e}");
        // A file others can write could send the token elsewhere: refused.
        let open = env_of(serde_json::json!({"config_file":
            {"path": "/h/.config/cd/config.json", "contents": config, "mode": 0o666}}));
        let e = Session::new(o(), &open, "t", 1).err().unwrap();
        assert_eq!(e.code, "config_file_too_open");
        // The profile's insecure-http goes with its own URL only, never with CD_BASE_URL.
        let e = Session::new(
            o(),
            &env(serde_json::json!({"CD_PROFILE": "lab", "CD_BASE_URL": "http://192.0.2.2:9/v1"})),
            "t",
            1,
        )
        .err()
        .unwrap();
        assert_eq!(e.code, "insecure_base_url", "{e}");
    }

    fn authorization(e: &Effect) -> Option<&str> {
        match e {
            Effect::Send { request, .. } => request.header("authorization"),
            _ => None,
        }
    }

    #[test]
    fn concurrent_calls_share_one_refresh() {
        let mut s = oauth();
        let (mut a, mut b) = (s.start(get("a")), s.start(get("b")));
        let ea = s.poll(&mut a, Input::Resume, clock(0));
        assert!(matches!(ea, Effect::Send { refresh: true, .. }), "{ea:?}");
        // The second call finds the refresh in flight and parks instead of starting one.
        assert_eq!(
            s.poll(&mut b, Input::Resume, clock(1)),
            Effect::AwaitRefresh
        );
        assert!(s.refreshing());
        let ea = s.poll(&mut a, bearer("b1"), clock(2));
        assert_eq!(authorization(&ea), Some("Bearer b1"));
        assert!(!s.refreshing());
        // Woken, it uses the same bearer: one token request for both.
        let eb = s.poll(&mut b, Input::Resume, clock(3));
        assert_eq!(authorization(&eb), Some("Bearer b1"));
    }

    fn oidc(vars: &[(&str, &str)]) -> Session {
        let env = Environment {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Environment::default()
        };
        let options: Options = serde_json::from_value(serde_json::json!({
            "base_url": "http://127.0.0.1:1/v1", "serviceAccount": "sa_1", "organization": "acme"
        }))
        .unwrap();
        Session::new(options, &env, "test", 7).unwrap()
    }

    const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

    fn read(text: Option<&str>, error: Option<&str>) -> Input {
        Input::Read {
            text: text.map(str::to_owned),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn oidc_calls_share_one_exchange_and_a_failed_read_ends_the_refresh() {
        let mut s = oidc(&[("CD_OIDC_TOKEN_FILE", "/t")]);
        let (mut a, mut b) = (s.start(get("a")), s.start(get("b")));
        assert_eq!(
            s.poll(&mut a, Input::Resume, clock(0)),
            Effect::ReadFile { path: "/t".into() }
        );
        assert_eq!(
            s.poll(&mut b, Input::Resume, clock(1)),
            Effect::AwaitRefresh
        );
        // The file is gone: the task fails and the refresh is over, so the parked task
        // (woken by the driver after the read) starts its own.
        let e = s.poll(&mut a, read(None, Some("No such file")), clock(2));
        assert!(
            matches!(&e, Effect::Fail { error } if error.code == "oidc_token_unavailable"),
            "{e:?}"
        );
        assert!(!s.refreshing());
        assert_eq!(
            s.poll(&mut b, Input::Resume, clock(3)),
            Effect::ReadFile { path: "/t".into() }
        );
        let e = s.poll(&mut b, read(Some(JWT), None), clock(4));
        assert!(matches!(&e, Effect::Send { refresh: true, request, .. }
            if request.url.ends_with("/realms/acme/protocol/openid-connect/token")));
        assert!(s.refreshing());
        let e = s.poll(&mut b, bearer("m1"), clock(5));
        assert_eq!(authorization(&e), Some("Bearer m1"));
        // Cached: the next call neither reads nor exchanges.
        let mut c = s.start(get("c"));
        let e = s.poll(&mut c, Input::Resume, clock(6));
        assert_eq!(authorization(&e), Some("Bearer m1"));
        // A variable that is not set names it; a driver answering with the wrong input
        // gets an error, not a hang with the refresh held.
        let mut s = oidc(&[("CD_OIDC_TOKEN_ENV", "CI_JWT")]);
        let mut d = s.start(get("d"));
        assert_eq!(
            s.poll(&mut d, Input::Resume, clock(0)),
            Effect::ReadEnv {
                name: "CI_JWT".into()
            }
        );
        match s.poll(&mut d, read(None, None), clock(1)) {
            Effect::Fail { error } => assert!(
                error.message.contains("$CI_JWT: not set"),
                "{}",
                error.message
            ),
            other => panic!("{other:?}"),
        }
        let mut f = s.start(get("f"));
        let _ = s.poll(&mut f, Input::Resume, clock(2));
        let e = s.poll(&mut f, Input::Resume, clock(3));
        assert!(matches!(&e, Effect::Fail { error } if error.code == "driver_out_of_order"));
        assert!(!s.refreshing());
    }

    #[test]
    fn a_failed_jwt_read_falls_back_on_the_minted_token_only_while_it_is_valid() {
        let mut s = oidc(&[("CD_OIDC_TOKEN_FILE", "/t")]);
        let minted = |b: &str| Input::Response {
            response: HttpResponse {
                status: 200,
                headers: vec![],
                body: serde_json::json!({"access_token": b, "expires_in": 60}).to_string(),
            },
        };
        let mut a = s.start(get("a"));
        let _ = s.poll(&mut a, Input::Resume, clock(0));
        let _ = s.poll(&mut a, read(Some(JWT), None), clock(0));
        assert_eq!(
            authorization(&s.poll(&mut a, minted("m1"), clock(0))),
            Some("Bearer m1")
        );
        // Past the refresh point, the file gone: m1 is still valid, so it is used.
        let mut b = s.start(get("b"));
        assert!(matches!(
            s.poll(&mut b, Input::Resume, clock(31_000)),
            Effect::ReadFile { .. }
        ));
        let e = s.poll(&mut b, read(None, Some("gone")), clock(40_000));
        assert_eq!(authorization(&e), Some("Bearer m1"));
        // A read that fails after m1 expired fails the call.
        let mut c = s.start(get("c"));
        assert!(matches!(
            s.poll(&mut c, Input::Resume, clock(50_000)),
            Effect::ReadFile { .. }
        ));
        let e = s.poll(&mut c, read(None, Some("gone")), clock(60_000));
        assert!(matches!(e, Effect::Fail { .. }), "{e:?}");
    }

    #[test]
    fn a_cancelled_refresh_lets_the_next_call_refresh() {
        let mut s = oauth();
        let mut a = s.start(get("a"));
        assert!(matches!(
            s.poll(&mut a, Input::Resume, clock(0)),
            Effect::Send { refresh: true, .. }
        ));
        s.cancel(&mut a);
        assert!(!s.refreshing());
        let mut b = s.start(get("b"));
        assert!(matches!(
            s.poll(&mut b, Input::Resume, clock(1)),
            Effect::Send { refresh: true, .. }
        ));
    }

    #[test]
    fn a_driver_feeding_the_wrong_input_gets_an_error_not_a_panic() {
        let mut s = oauth();
        let mut a = s.start(get("a"));
        let _ = s.poll(&mut a, Input::Resume, clock(0));
        let e = s.poll(
            &mut a,
            Input::Token {
                token: Some("x".into()),
                error: None,
            },
            clock(1),
        );
        match e {
            Effect::Fail { error } => assert_eq!(error.code, "driver_out_of_order"),
            other => panic!("{other:?}"),
        }
        // And the task is over, without a refresh left in flight.
        assert!(!s.refreshing());
        assert!(matches!(
            s.poll(&mut a, Input::Resume, clock(2)),
            Effect::Fail { .. }
        ));
    }

    #[test]
    fn options_name_what_does_not_fit() {
        let e = Options::from_json(&serde_json::json!({"baseURL": "x"}))
            .err()
            .unwrap();
        assert_eq!(e.code, "unknown_option");
        let e = Options::from_json(&serde_json::json!({"maxRetries": -1}))
            .err()
            .unwrap();
        assert_eq!(e.code, "bad_option");
        assert!(e.message.contains("maxRetries"), "{}", e.message);
        // A token given in the options never shows in an error about them.
        let e = Options::from_json(
            &serde_json::json!({"token": 5, "x": "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA"}),
        )
        .err()
        .unwrap();
        assert!(!e.message.contains("kLmNoPq"), "{}", e.message);
    }
}
