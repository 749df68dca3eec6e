//! `clouddigit-session`: the Cloud Digit API client without I/O (as `rustls` and
//! `quinn-proto` are). [`Session`] decides everything a client does — credentials and
//! their precedence, requests, retries and waits, the bearer refresh, pagination, typed
//! models and errors, the local checks — and each host (the Rust SDK, the npm package,
//! the Python package) only runs its effects: send these bytes, sleep, ask the token
//! provider. `tests/vectors/client.json` holds every host's driver to the same script.
//!
//! | module | holds |
//! |---|---|
//! | [`machine`] | the session: options, environment, credentials, tasks, effects |
//! | [`call`] | one operation's attempts and retry decisions |
//! | [`ops`] | the API's operations: method, path, query, body, output model |
//! | [`models`] | what the API returns |
//! | [`local`] | the local rules on whoami's answer (validate, create body, `can`) |
//! | [`oauth`] | the bearer cache of the client-credentials grant and the token exchange |
//! | [`oidc`] | OIDC workload identity: where the CI platform's JWT comes from, the RFC 8693 exchange |
//! | [`config`] | regions, ingress domains, base URLs, the token file rule, redirects |
//! | [`http`], [`retry`], [`ratelimit`], [`error`] | bytes, waits, the throttle, typed errors |
//! | [`replay`] | the conformance vectors' checker (tests) |

// ApiError is large (it carries field errors and ids) and only built on the error path;
// boxing it would make every binding unwrap a box for nothing.
#![allow(clippy::result_large_err)]

pub mod call;
pub mod config;
pub mod error;
pub mod http;
pub mod local;
pub mod machine;
pub mod models;
pub mod oauth;
pub mod oidc;
pub mod ops;
pub mod profile;
pub mod ratelimit;
pub mod replay;
pub mod retry;

pub use call::{Call, Step};
pub use config::{
    redirect, resolve_token, s3_config, ClientConfig, ConfigError, Ingress, Origin, Redirect,
    Region, S3Config, S3Options, TokenFile, S3_ENV_VARS,
};
pub use error::{ApiError, ErrorKind, FieldError};
pub use http::{HttpRequest, HttpResponse, TransportError};
pub use machine::{
    keychain_profile, profile_settings, Answer, Clock, Command, CredentialSource, Effect,
    Environment, Input, Options, RetryInfo, Session, Task,
};
pub use models::{Page, Secret};
pub use ops::{Operation, Output};
pub use ratelimit::TokenBucket;
pub use retry::{RetryDecision, RetryPolicy};
