//! The Rust SDK for Cloud Digit API tokens and service accounts: a blocking client whose
//! every rule (requests, models, errors, retries, pagination, validation, `can`) is
//! `clouddigit-core`'s; this crate only moves bytes with `reqwest`.
//!
//! ```no_run
//! let client = clouddigit_client::Client::from_env()?;
//! for token in client.tokens().list() {
//!     println!("{}", token?.token.name);
//! }
//! # Ok::<(), clouddigit_client::ApiError>(())
//! ```

// ApiError is the core's; boxing it here would only add an unwrap for users.
#![allow(clippy::result_large_err)]

mod transport;

use std::sync::Mutex;

use clouddigit_core::validate::{TokenDraft, TokenValidation};
use clouddigit_core::{Decision, TokenSecret};
use clouddigit_session::models::{
    AccessKey, ApiToken, AuditEvent, CreatedAccessKey, CreatedServiceAccount, CreatedToken,
    RevokedCount, Rotation, ServiceAccount, Whoami,
};
use clouddigit_session::oauth::{BearerCache, BearerNeed};
use clouddigit_session::ops::AuditFilter;
use clouddigit_session::session::{self, ClientCore};
use clouddigit_session::{execute, resolve_token, ClientConfig, Operation, TokenFile};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use clouddigit_session::models::{Page, Secret};
pub use clouddigit_session::{ApiError, ErrorKind, FieldError, Ingress, Region};
pub use transport::{RetryHook, RetryInfo};

use transport::HttpTransport;

type Provider = Box<dyn Fn() -> Result<String, ApiError> + Send + Sync>;

#[allow(clippy::enum_variant_names)] // "client credentials" is the OAuth grant's name
enum Credentials {
    Token(TokenSecret),
    /// Called before each request, so a rotated token is picked up without a new client.
    Provider(Provider),
    ClientCredentials {
        organization: String,
        client_id: String,
        client_secret: Secret,
        cache: Mutex<BearerCache>,
    },
}

pub struct Client {
    core: Mutex<ClientCore>,
    transport: HttpTransport,
    credentials: Credentials,
    whoami: Mutex<Option<Whoami>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let core = self.core.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("Client")
            .field("base_url", &core.config().base_url().ok())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
pub struct ClientBuilder {
    config: ClientConfig,
    token: Option<String>,
    provider: Option<Provider>,
    client_credentials: Option<(String, String, Secret)>,
    on_retry: Option<RetryHook>,
    env: bool,
}

impl ClientBuilder {
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = Some(url.into());
        self
    }
    pub fn region(mut self, region: Region) -> Self {
        self.config.region = region;
        self
    }
    pub fn ingress(mut self, ingress: Ingress) -> Self {
        self.config.ingress = ingress;
        self
    }
    pub fn max_retries(mut self, n: u32) -> Self {
        self.config.max_retries = n;
        self
    }
    pub fn timeout_ms(mut self, ms: u64) -> Self {
        self.config.timeout_ms = ms;
        self
    }
    pub fn max_retry_wait_ms(mut self, ms: u64) -> Self {
        self.config.max_retry_wait_ms = ms;
        self
    }
    /// Allow plain http to hosts other than this machine (`CD_ALLOW_INSECURE_HTTP=1`):
    /// off, a token only ever travels over https, or over http to a loopback address.
    pub fn allow_insecure_http(mut self, on: bool) -> Self {
        self.config.allow_insecure_http = on;
        self
    }

    pub fn client_rate_limit(mut self, on: bool) -> Self {
        self.config.client_rate_limit = on;
        self
    }
    pub fn debug(mut self, on: bool) -> Self {
        self.config.debug = on;
        self
    }
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
    pub fn token_provider(
        mut self,
        f: impl Fn() -> Result<String, ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.provider = Some(Box::new(f));
        self
    }
    pub fn client_credentials(
        mut self,
        organization: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_credentials = Some((
            organization.into(),
            client_id.into(),
            Secret::new(client_secret.into()),
        ));
        self
    }
    pub fn on_retry(mut self, f: impl Fn(&RetryInfo) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Box::new(f));
        self
    }
    /// Reads `CD_BASE_URL`, `CD_REGION`, `CD_LOG`, and (when no credentials were given)
    /// `CD_API_TOKEN` and `~/.config/cd/token`.
    pub fn from_env(mut self) -> Self {
        self.env = true;
        self
    }

    pub fn build(self) -> Result<Client, ApiError> {
        let cfg_err =
            |e: clouddigit_session::ConfigError| ApiError::config(e.code(), e.to_string());
        let mut config = self.config;
        if self.env {
            config = config
                .with_env(|k| std::env::var(k).ok())
                .map_err(cfg_err)?;
        }
        let credentials = if let Some(p) = self.provider {
            Credentials::Provider(p)
        } else if let Some((organization, client_id, client_secret)) = self.client_credentials {
            Credentials::ClientCredentials {
                organization,
                client_id,
                client_secret,
                cache: Mutex::new(BearerCache::new()),
            }
        } else {
            let default_path = "~/.config/cd/token";
            let (env_token, file) = if self.env && self.token.is_none() {
                (std::env::var("CD_API_TOKEN").ok(), read_token_file())
            } else {
                (None, None)
            };
            Credentials::Token(
                resolve_token(
                    self.token.as_deref(),
                    env_token.as_deref(),
                    file.as_ref(),
                    default_path,
                )
                .map_err(cfg_err)?,
            )
        };
        let core = ClientCore::new(config.clone(), "rust")?;
        Ok(Client {
            core: Mutex::new(core),
            transport: HttpTransport::new(config.debug, config.allow_insecure_http, self.on_retry),
            credentials,
            whoami: Mutex::new(None),
        })
    }
}

fn read_token_file() -> Option<TokenFile> {
    let home = std::env::var_os("HOME")?;
    let path = std::path::Path::new(&home).join(".config/cd/token");
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
    Some(TokenFile {
        path: path.display().to_string(),
        contents,
        mode,
    })
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

    fn bearer(&self) -> Result<String, ApiError> {
        match &self.credentials {
            Credentials::Token(t) => Ok(t.expose_secret().to_owned()),
            Credentials::Provider(p) => {
                let t = p()?;
                // A provider's token is checked like any other before it is sent.
                TokenSecret::parse(&t)
                    .map_err(|e| ApiError::config("bad_token", format!("token provider: {e}")))?;
                Ok(t)
            }
            Credentials::ClientCredentials {
                organization,
                client_id,
                client_secret,
                cache,
            } => {
                // The lock is held across the refresh: one refresh at a time, and the
                // calls waiting behind it use its result.
                let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                let now = self.transport.monotonic_ms();
                match cache.need(now) {
                    BearerNeed::Use(b) => Ok(b),
                    BearerNeed::Refresh { .. } => {
                        let core = self.core.lock().unwrap_or_else(|p| p.into_inner());
                        let req = BearerCache::token_request(
                            core.config(),
                            organization,
                            client_id,
                            client_secret.expose(),
                            core.user_agent(),
                        )?;
                        drop(core);
                        let resp = self.transport.send_raw(&req);
                        cache.on_response(resp.as_ref(), self.transport.monotonic_ms())
                    }
                }
            }
        }
    }

    /// Runs one operation to its end: throttle, send, retry, read the model.
    pub fn run(&self, op: Operation) -> Result<Value, ApiError> {
        let (config, ua, wait) = {
            let mut core = self.core.lock().unwrap_or_else(|p| p.into_inner());
            let wait = core.throttle_ms(self.transport.monotonic_ms());
            (core.config().clone(), core.user_agent().to_owned(), wait)
        };
        if wait > 0 {
            std::thread::sleep(std::time::Duration::from_millis(wait));
        }
        let mut t = &self.transport;
        let mut used = String::new();
        let mut bearer = || {
            let b = self.bearer()?;
            used.clone_from(&b);
            Ok(b)
        };
        let result = execute(&mut t, &config, op.clone(), &mut bearer, ua.clone());
        if let (Err(e), Credentials::ClientCredentials { cache, .. }) = (&result, &self.credentials)
        {
            let again = cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .on_rejected(e, &used);
            if again {
                return execute(&mut t, &config, op, &mut || self.bearer(), ua);
            }
        }
        result
    }

    fn call<T: DeserializeOwned>(&self, op: Operation) -> Result<T, ApiError> {
        model(self.run(op)?)
    }

    /// The caller's token and its owner as they are now; kept for [`Client::can`].
    pub fn whoami(&self) -> Result<Whoami, ApiError> {
        let w: Whoami = self.call(Operation::Whoami)?;
        *self.whoami.lock().unwrap_or_else(|p| p.into_inner()) = Some(w.clone());
        Ok(w)
    }

    fn cached_whoami(&self) -> Result<Whoami, ApiError> {
        let cached = self
            .whoami
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match cached {
            Some(w) => Ok(w),
            None => self.whoami(),
        }
    }

    /// Whether this client's token may do `action` in `project`, decided locally by the
    /// evaluator on the last `whoami` (fetched once if there is none).
    pub fn can(&self, action: &str, project: Option<&str>) -> Result<Decision, ApiError> {
        session::can(&self.cached_whoami()?, action, project, chrono::Utc::now())
    }

    pub fn tokens(&self) -> Tokens<'_> {
        Tokens { c: self }
    }

    pub fn service_accounts(&self) -> ServiceAccounts<'_> {
        ServiceAccounts { c: self }
    }

    pub fn audit(&self) -> Audit<'_> {
        Audit { c: self }
    }

    /// Revokes every personal token of a member (organization admins and owners).
    pub fn revoke_member_tokens(&self, member_id: &str) -> Result<RevokedCount, ApiError> {
        self.call(Operation::RevokeMemberTokens {
            member_id: member_id.into(),
        })
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
            match self.c.run(op.clone()) {
                Ok(page) => {
                    self.next = session::next_page(&op, &page);
                    let page: Page<Value> = match model(page) {
                        Ok(p) => p,
                        Err(e) => return Some(Err(e)),
                    };
                    self.buffer = page.items.into_iter();
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
        let w = self.c.whoami()?;
        let existing = self.list().collect::<Result<Vec<_>, _>>()?;
        Ok(session::validate_draft(
            draft,
            &w.owner,
            &w,
            &existing,
            chrono::Utc::now(),
        ))
    }

    /// Validates locally first (field errors before any create), then creates.
    pub fn create(&self, draft: &TokenDraft) -> Result<CreatedToken, ApiError> {
        let w = self.c.whoami()?;
        let body = session::prepare_create(draft, &w.owner, &w, &[], chrono::Utc::now())?;
        self.c.call(Operation::CreateToken { body })
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
        self.c.list(Operation::ListServiceAccounts {
            project: project.map(str::to_owned),
            cursor: None,
            limit: None,
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
    pub fn list_tokens(&self, id: &str) -> Pages<'_, ApiToken> {
        self.c.list(Operation::ListServiceAccountTokens {
            id: id.into(),
            cursor: None,
            limit: None,
        })
    }
    /// Validated locally against the account as it is now, then created.
    pub fn create_token(&self, id: &str, draft: &TokenDraft) -> Result<CreatedToken, ApiError> {
        let w = self.c.whoami()?;
        let sa = self.get(id)?;
        let owner = session::service_account_owner(&sa);
        let body = session::prepare_create(draft, &owner, &w, &[], chrono::Utc::now())?;
        self.c.call(Operation::CreateServiceAccountToken {
            id: id.into(),
            body,
        })
    }
    pub fn rotate_token(&self, id: &str, token_id: &str) -> Result<Rotation, ApiError> {
        self.c.call(Operation::RotateServiceAccountToken {
            id: id.into(),
            token_id: token_id.into(),
        })
    }
    pub fn revoke_token(&self, id: &str, token_id: &str) -> Result<ApiToken, ApiError> {
        self.c.call(Operation::RevokeServiceAccountToken {
            id: id.into(),
            token_id: token_id.into(),
        })
    }
    pub fn list_access_keys(&self, id: &str) -> Pages<'_, AccessKey> {
        self.c.list(Operation::ListAccessKeys { id: id.into() })
    }
    pub fn create_access_key(&self, id: &str) -> Result<CreatedAccessKey, ApiError> {
        self.c.call(Operation::CreateAccessKey { id: id.into() })
    }
    pub fn delete_access_key(&self, id: &str, key_id: &str) -> Result<(), ApiError> {
        self.c.run(Operation::DeleteAccessKey {
            id: id.into(),
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
