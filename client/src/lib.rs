//! The Rust SDK for Cloud Digit API tokens and service accounts: a blocking client over
//! `clouddigit-session`, which decides everything (credentials, requests, retries,
//! models, errors, pagination, validation, `can`); this crate is its driver loop and a
//! `reqwest` transport.
//!
//! ```no_run
//! let client = clouddigit_client::Client::from_env()?;
//! for token in client.tokens().list() {
//!     println!("{}", token?.token.name);
//! }
//! # Ok::<(), clouddigit_client::ApiError>(())
//! ```

// ApiError is the session's; boxing it here would only add an unwrap for users.
#![allow(clippy::result_large_err)]

mod transport;

use std::sync::{Condvar, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use clouddigit_core::validate::{TokenDraft, TokenValidation};
use clouddigit_core::Decision;
use clouddigit_session::machine::{
    keychain_profile, Answer, ClientCredentials, Clock, Command, Effect, Environment, Input,
    Options, Session, TokenFileSeen, ENV_VARS,
};
use clouddigit_session::models::{
    AccessKey, ApiToken, AuditEvent, CreatedAccessKey, CreatedServiceAccount, CreatedToken,
    RevokedCount, Rotation, ServiceAccount, Whoami,
};
use clouddigit_session::ops::AuditFilter;
use clouddigit_session::profile::KeychainSeen;
use clouddigit_session::{HttpRequest, HttpResponse, Operation, TransportError};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use clouddigit_session::machine::RetryInfo;
pub use clouddigit_session::models::{Page, Secret};
pub use clouddigit_session::{ApiError, ErrorKind, FieldError, Ingress, Region};

use transport::HttpTransport;

type Provider = Box<dyn Fn() -> Result<String, ApiError> + Send + Sync>;
type OidcProvider = Box<dyn Fn(Option<&str>) -> Result<String, ApiError> + Send + Sync>;
pub type RetryHook = Box<dyn Fn(&RetryInfo) + Send + Sync>;

/// Everything the client does outside its session: bytes, sleep and the clocks. The
/// default sends with `reqwest`; replace it to use another HTTP stack, or to replay a
/// script (the conformance tests do).
pub trait Io: Send + Sync {
    /// One attempt (the implementation follows redirects by
    /// `clouddigit_session::http::after_response`).
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
    fn sleep_ms(&self, ms: u64);
    /// Milliseconds on a monotonic clock.
    fn now_ms(&self) -> u64;
    fn now(&self) -> DateTime<Utc>;
    /// A file's text (an OIDC token file, read again for every exchange).
    fn read_file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
    /// An environment variable's value (`None` when it is not set).
    fn read_env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

pub struct Client {
    session: Mutex<Session>,
    /// Wakes the calls parked behind a bearer refresh.
    refreshed: Condvar,
    io: Box<dyn Io>,
    provider: Option<Provider>,
    oidc_provider: Option<OidcProvider>,
    on_retry: Option<RetryHook>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.lock().config().base_url().ok())
            .finish_non_exhaustive()
    }
}

/// Settings as `docs/client.md` names them; every one is optional.
#[derive(Default)]
pub struct ClientBuilder {
    options: Options,
    provider: Option<Provider>,
    oidc_provider: Option<OidcProvider>,
    on_retry: Option<RetryHook>,
    env: Option<Environment>,
    /// Whether `env` is the process's (then the keychain is read too).
    from_env: bool,
    io: Option<Box<dyn Io>>,
    seed: Option<u64>,
}

impl ClientBuilder {
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }
    pub fn region(mut self, region: Region) -> Self {
        self.options.region = Some(region.as_str().to_owned());
        self
    }
    pub fn ingress(mut self, ingress: Ingress) -> Self {
        self.options.ingress = Some(
            match ingress {
                Ingress::Operational => "operational",
                Ingress::Canonical => "canonical",
            }
            .to_owned(),
        );
        self
    }
    pub fn max_retries(mut self, n: u32) -> Self {
        self.options.max_retries = Some(n);
        self
    }
    pub fn timeout_ms(mut self, ms: u64) -> Self {
        self.options.timeout_ms = Some(ms);
        self
    }
    pub fn max_retry_wait_ms(mut self, ms: u64) -> Self {
        self.options.max_retry_wait_ms = Some(ms);
        self
    }
    /// Allow plain http to hosts other than this machine (`CD_ALLOW_INSECURE_HTTP=1`):
    /// off, a token only ever travels over https, or over http to a loopback address.
    pub fn allow_insecure_http(mut self, on: bool) -> Self {
        self.options.allow_insecure_http = Some(on);
        self
    }
    pub fn client_rate_limit(mut self, on: bool) -> Self {
        self.options.client_rate_limit = Some(on);
        self
    }
    pub fn debug(mut self, on: bool) -> Self {
        self.options.debug = Some(on);
        self
    }
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.options.token = Some(token.into());
        self
    }
    /// Called before each request, so a rotated token is picked up without a new client.
    pub fn token_provider(
        mut self,
        f: impl Fn() -> Result<String, ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.options.token_provider = true;
        self.provider = Some(Box::new(f));
        self
    }
    pub fn client_credentials(
        mut self,
        organization: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.options.client_credentials = Some(ClientCredentials {
            organization: organization.into(),
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret.into()),
        });
        self
    }
    /// OIDC workload identity: exchange the CI platform's identity token for a bearer
    /// of this service account (`CD_SERVICE_ACCOUNT`); docs/client.md says where the
    /// token comes from.
    pub fn service_account(mut self, id: impl Into<String>) -> Self {
        self.options.service_account = Some(id.into());
        self
    }
    /// The service account's organization (`CD_ORGANIZATION`).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.options.organization = Some(organization.into());
        self
    }
    /// The audience to ask the CI platform for (`CD_OIDC_AUDIENCE`).
    pub fn oidc_audience(mut self, audience: impl Into<String>) -> Self {
        self.options.oidc_audience = Some(audience.into());
        self
    }
    /// A file holding the identity token, read again for every exchange
    /// (`CD_OIDC_TOKEN_FILE`; a Kubernetes projected service-account token).
    pub fn oidc_token_file(mut self, path: impl Into<String>) -> Self {
        self.options.oidc_token_file = Some(path.into());
        self
    }
    /// The environment variable holding the identity token (`CD_OIDC_TOKEN_ENV`; GitLab
    /// CI's `id_tokens`).
    pub fn oidc_token_env(mut self, name: impl Into<String>) -> Self {
        self.options.oidc_token_env = Some(name.into());
        self
    }
    /// Called with the audience for every exchange; returns the identity token (a JWT).
    pub fn oidc_token_provider(
        mut self,
        f: impl Fn(Option<&str>) -> Result<String, ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.options.oidc_token_provider = true;
        self.oidc_provider = Some(Box::new(f));
        self
    }
    pub fn on_retry(mut self, f: impl Fn(&RetryInfo) + Send + Sync + 'static) -> Self {
        self.options.on_retry = true;
        self.on_retry = Some(Box::new(f));
        self
    }
    /// Reads the process environment (the variables the session names: `CD_API_TOKEN`,
    /// `CD_BASE_URL`, `CD_REGION`, `CD_LOG`, `CD_ALLOW_INSECURE_HTTP`, the OIDC ones)
    /// `~/.config/cd/config.json`, the profile's keychain entry and `~/.config/cd/token`.
    /// Settings given in code win over the environment, as on
    /// every host.
    pub fn from_env(mut self) -> Self {
        self.env = Some(process_environment());
        self.from_env = true;
        self
    }
    /// The named profile (`clouddigit configure --profile`): its keychain entry and
    /// settings; `CD_PROFILE` otherwise, then `default`.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.options.profile = Some(name.into());
        self
    }
    /// These variables and token file instead of the process's.
    pub fn environment(mut self, env: Environment) -> Self {
        self.env = Some(env);
        self
    }
    /// Bytes, sleep and clocks through `io` instead of `reqwest` and the system.
    pub fn io(mut self, io: impl Io + 'static) -> Self {
        self.io = Some(Box::new(io));
        self
    }
    /// The session's random seed (jitter, idempotency keys); random by default.
    #[doc(hidden)]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    pub fn build(self) -> Result<Client, ApiError> {
        let seed = self.seed.unwrap_or_else(|| {
            let mut b = [0u8; 8];
            let _ = getrandom::fill(&mut b);
            u64::from_le_bytes(b)
        });
        let mut env = self.env.unwrap_or_default();
        // The keychain only for the process's environment, and only when the session
        // says no earlier credential wins.
        if self.from_env {
            if let Some(profile) = keychain_profile(&self.options, &env)? {
                let (secret, error) = match clouddigit_keychain::get(&profile) {
                    Ok(secret) => (secret, None),
                    Err(e) => (None, Some(e.to_string())),
                };
                env.keychain = Some(KeychainSeen {
                    profile,
                    secret,
                    error,
                });
            }
        }
        let session = Session::new(self.options, &env, "rust", seed)?;
        let io = match self.io {
            Some(io) => io,
            None => Box::new(HttpTransport::new(session.config().allow_insecure_http)),
        };
        Ok(Client {
            session: Mutex::new(session),
            refreshed: Condvar::new(),
            io,
            provider: self.provider,
            oidc_provider: self.oidc_provider,
            on_retry: self.on_retry,
        })
    }
}

fn process_environment() -> Environment {
    let vars = ENV_VARS
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    let config_file = read_private_file(".config/cd/config.json");
    Environment {
        vars,
        token_file: read_private_file(".config/cd/token"),
        config_file,
        keychain: None,
    }
}

/// A file under the home directory with its permission bits (the session refuses a token
/// file others can read, a config file others can write).
fn read_private_file(under_home: &str) -> Option<TokenFileSeen> {
    let home = std::env::var_os("HOME")?;
    let path = std::path::Path::new(&home).join(under_home);
    let contents = std::fs::read_to_string(&path).ok()?;
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&path)
            .ok()
            .map(|m| m.permissions().mode())
    };
    #[cfg(not(unix))]
    let mode = None;
    Some(TokenFileSeen {
        path: path.display().to_string(),
        contents,
        mode,
    })
}

/// A provider's answer as the session takes it.
fn token_input(answer: Option<Result<String, ApiError>>) -> Input {
    match answer {
        Some(Ok(t)) => Input::Token {
            token: Some(t),
            error: None,
        },
        Some(Err(e)) => Input::Token {
            token: None,
            error: Some(e.message),
        },
        None => Input::Token {
            token: None,
            error: Some("no token provider".into()),
        },
    }
}

fn model<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::config("bad_response", e.to_string()))
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Everything from the environment: `CD_API_TOKEN` or `~/.config/cd/token`,
    /// `CD_BASE_URL`, `CD_REGION`, `CD_LOG`.
    pub fn from_env() -> Result<Client, ApiError> {
        Client::builder().from_env().build()
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn clock(&self) -> Clock {
        Clock {
            now_ms: self.io.now_ms(),
            now: self.io.now(),
        }
    }

    /// The driver loop: do what the session asks until the task ends.
    fn drive(&self, command: Command) -> Result<Value, ApiError> {
        self.drive_page(command).map(|(v, _)| v.into_json())
    }

    /// [`Client::drive`], with the next page's operation of a `Page` command.
    fn drive_page(&self, command: Command) -> Result<(Answer, Option<Operation>), ApiError> {
        let mut task = self.lock().start(command);
        let mut input = Input::Resume;
        let mut wake_after = false;
        loop {
            let effect = self.lock().poll(&mut task, input, self.clock());
            if std::mem::take(&mut wake_after) {
                self.refreshed.notify_all();
            }
            input = match effect {
                Effect::Send {
                    request,
                    refresh,
                    log,
                } => {
                    if let Some(line) = log {
                        eprintln!("{line}");
                    }
                    wake_after = refresh;
                    match self.io.send(&request) {
                        Ok(response) => Input::Response { response },
                        Err(error) => Input::TransportError { error },
                    }
                }
                Effect::Sleep { ms, retry, log } => {
                    if let Some(line) = log {
                        eprintln!("{line}");
                    }
                    if let (Some(info), Some(hook)) = (&retry, &self.on_retry) {
                        hook(info);
                    }
                    self.io.sleep_ms(ms);
                    Input::Resume
                }
                Effect::AskToken => token_input(self.provider.as_ref().map(|p| p())),
                Effect::AskOidcToken { audience } => {
                    wake_after = true;
                    token_input(self.oidc_provider.as_ref().map(|p| p(audience.as_deref())))
                }
                Effect::ReadFile { path } => {
                    wake_after = true;
                    match self.io.read_file(&path) {
                        Ok(text) => Input::Read {
                            text: Some(text),
                            error: None,
                        },
                        Err(error) => Input::Read {
                            text: None,
                            error: Some(error),
                        },
                    }
                }
                Effect::ReadEnv { name } => {
                    wake_after = true;
                    Input::Read {
                        text: self.io.read_env(&name),
                        error: None,
                    }
                }
                Effect::AwaitRefresh => {
                    let mut s = self.lock();
                    while s.refreshing() {
                        s = self.refreshed.wait(s).unwrap_or_else(|p| p.into_inner());
                    }
                    Input::Resume
                }
                Effect::Done { value, next, .. } => return Ok((value, next)),
                Effect::Fail { error } => return Err(error),
            };
        }
    }

    /// Runs one operation to its end and returns its model as JSON.
    pub fn run(&self, op: Operation) -> Result<Value, ApiError> {
        self.drive(Command::Call { op })
    }

    fn call<T: DeserializeOwned>(&self, op: Operation) -> Result<T, ApiError> {
        model(self.run(op)?)
    }

    /// The caller's token and its owner as they are now; kept for [`Client::can`].
    pub fn whoami(&self) -> Result<Whoami, ApiError> {
        model(self.drive(Command::Whoami)?)
    }

    /// Whether this client's token may do `action` in `project`, decided locally by the
    /// evaluator on the last `whoami` (fetched once if there is none).
    pub fn can(&self, action: &str, project: Option<&str>) -> Result<Decision, ApiError> {
        model(self.drive(Command::Can {
            action: action.to_owned(),
            project: project.map(str::to_owned),
        })?)
    }

    pub fn tokens(&self) -> Tokens<'_> {
        Tokens { c: self }
    }

    pub fn members(&self) -> Members<'_> {
        Members { c: self }
    }

    pub fn service_accounts(&self) -> ServiceAccounts<'_> {
        ServiceAccounts { c: self }
    }

    pub fn audit(&self) -> Audit<'_> {
        Audit { c: self }
    }

    fn list<T: DeserializeOwned>(&self, op: Operation) -> Pages<'_, T> {
        Pages {
            c: self,
            next: Some(op),
            buffer: Vec::new().into_iter(),
            _t: std::marker::PhantomData,
        }
    }
}

/// Organization members (admins and owners).
pub struct Members<'a> {
    c: &'a Client,
}

impl Members<'_> {
    /// Revokes every personal token of a member.
    pub fn revoke_tokens(&self, member_id: &str) -> Result<RevokedCount, ApiError> {
        self.c.call(Operation::RevokeMemberTokens {
            member_id: member_id.into(),
        })
    }
}

/// Items of a list, fetching the next page when the current one runs out.
pub struct Pages<'a, T> {
    c: &'a Client,
    next: Option<Operation>,
    buffer: std::vec::IntoIter<Value>,
    _t: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned> Iterator for Pages<'_, T> {
    type Item = Result<T, ApiError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(v) = self.buffer.next() {
                return Some(model(v));
            }
            let op = self.next.take()?;
            match self.c.drive_page(Command::Page { op }) {
                Ok((items, next)) => {
                    self.next = next;
                    self.buffer = match items.into_json() {
                        Value::Array(items) => items.into_iter(),
                        _ => Vec::new().into_iter(),
                    };
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

pub struct Tokens<'a> {
    c: &'a Client,
}

impl Tokens<'_> {
    pub fn list(&self) -> Pages<'_, ApiToken> {
        self.list_with(None)
    }

    pub fn list_with(&self, page_size: Option<u32>) -> Pages<'_, ApiToken> {
        self.c.list(Operation::ListTokens {
            cursor: None,
            limit: page_size,
        })
    }

    /// The console's rules on a draft, for the caller's own token (no call but whoami
    /// and the token list, for name uniqueness).
    pub fn validate(&self, draft: &TokenDraft) -> Result<TokenValidation, ApiError> {
        model(self.c.drive(Command::ValidateToken {
            draft: draft.clone(),
        })?)
    }

    /// Validates locally first (field errors before any create), then creates.
    pub fn create(&self, draft: &TokenDraft) -> Result<CreatedToken, ApiError> {
        model(self.c.drive(Command::CreateToken {
            draft: draft.clone(),
        })?)
    }

    pub fn get(&self, id: &str) -> Result<ApiToken, ApiError> {
        self.c.call(Operation::GetToken { id: id.into() })
    }

    pub fn rotate(&self, id: &str) -> Result<Rotation, ApiError> {
        self.c.call(Operation::RotateToken { id: id.into() })
    }

    pub fn revoke(&self, id: &str) -> Result<ApiToken, ApiError> {
        self.c.call(Operation::RevokeToken { id: id.into() })
    }
}

pub struct ServiceAccounts<'a> {
    c: &'a Client,
}

impl ServiceAccounts<'_> {
    pub fn list(&self, project: Option<&str>) -> Pages<'_, ServiceAccount> {
        self.list_with(project, None)
    }
    pub fn list_with(
        &self,
        project: Option<&str>,
        limit: Option<u32>,
    ) -> Pages<'_, ServiceAccount> {
        self.c.list(Operation::ListServiceAccounts {
            project: project.map(str::to_owned),
            cursor: None,
            limit,
        })
    }
    /// Organization-level accounts (organization admins and owners).
    pub fn list_org(&self) -> Pages<'_, ServiceAccount> {
        self.c.list(Operation::ListOrgServiceAccounts {
            cursor: None,
            limit: None,
        })
    }
    /// `body`: `{name, project, role, description, tag_selector}`; without `project`,
    /// an organization-level account.
    pub fn create(&self, body: Value) -> Result<CreatedServiceAccount, ApiError> {
        self.c.call(Operation::CreateServiceAccount { body })
    }
    pub fn get(&self, id: &str) -> Result<ServiceAccount, ApiError> {
        self.c.call(Operation::GetServiceAccount { id: id.into() })
    }
    pub fn update(&self, id: &str, body: Value) -> Result<ServiceAccount, ApiError> {
        self.c.call(Operation::UpdateServiceAccount {
            id: id.into(),
            body,
        })
    }
    pub fn disable(&self, id: &str) -> Result<ServiceAccount, ApiError> {
        self.c
            .call(Operation::DisableServiceAccount { id: id.into() })
    }
    pub fn enable(&self, id: &str) -> Result<ServiceAccount, ApiError> {
        self.c
            .call(Operation::EnableServiceAccount { id: id.into() })
    }
    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        self.c
            .run(Operation::DeleteServiceAccount { id: id.into() })?;
        Ok(())
    }
    /// A service account's tokens.
    pub fn tokens(&self) -> ServiceAccountTokens<'_> {
        ServiceAccountTokens { c: self.c }
    }
    /// A service account's S3 access keys.
    pub fn access_keys(&self) -> AccessKeys<'_> {
        AccessKeys { c: self.c }
    }
}

pub struct ServiceAccountTokens<'a> {
    c: &'a Client,
}

impl ServiceAccountTokens<'_> {
    pub fn list(&self, service_account_id: &str) -> Pages<'_, ApiToken> {
        self.list_with(service_account_id, None)
    }
    pub fn list_with(&self, service_account_id: &str, limit: Option<u32>) -> Pages<'_, ApiToken> {
        self.c.list(Operation::ListServiceAccountTokens {
            id: service_account_id.into(),
            cursor: None,
            limit,
        })
    }
    /// Validated locally against the account as it is now, then created.
    pub fn create(
        &self,
        service_account_id: &str,
        draft: &TokenDraft,
    ) -> Result<CreatedToken, ApiError> {
        model(self.c.drive(Command::CreateServiceAccountToken {
            id: service_account_id.into(),
            draft: draft.clone(),
        })?)
    }
    pub fn rotate(&self, service_account_id: &str, token_id: &str) -> Result<Rotation, ApiError> {
        self.c.call(Operation::RotateServiceAccountToken {
            id: service_account_id.into(),
            token_id: token_id.into(),
        })
    }
    pub fn revoke(&self, service_account_id: &str, token_id: &str) -> Result<ApiToken, ApiError> {
        self.c.call(Operation::RevokeServiceAccountToken {
            id: service_account_id.into(),
            token_id: token_id.into(),
        })
    }
}

pub struct AccessKeys<'a> {
    c: &'a Client,
}

impl AccessKeys<'_> {
    pub fn list(&self, service_account_id: &str) -> Pages<'_, AccessKey> {
        self.c.list(Operation::ListAccessKeys {
            id: service_account_id.into(),
        })
    }
    /// The key's secret is a [`Secret`], shown this once.
    pub fn create(&self, service_account_id: &str) -> Result<CreatedAccessKey, ApiError> {
        self.c.call(Operation::CreateAccessKey {
            id: service_account_id.into(),
        })
    }
    pub fn delete(&self, service_account_id: &str, key_id: &str) -> Result<(), ApiError> {
        self.c.run(Operation::DeleteAccessKey {
            id: service_account_id.into(),
            key_id: key_id.into(),
        })?;
        Ok(())
    }
}

pub struct Audit<'a> {
    c: &'a Client,
}

impl Audit<'_> {
    pub fn list(&self, filter: AuditFilter, page_size: Option<u32>) -> Pages<'_, AuditEvent> {
        self.c.list(Operation::ListAuditEvents {
            filter,
            cursor: None,
            limit: page_size,
        })
    }
    /// Every matching event as JSON lines.
    pub fn export(&self, filter: AuditFilter) -> Result<String, ApiError> {
        self.c.call(Operation::ExportAuditEvents { filter })
    }
}

pub use clouddigit_session::ops::AuditFilter as Filter;
