//! The API client, without I/O (as `rustls` and `quinn-proto` are): the core builds
//! each request, reads each response into models or typed errors, and decides
//! retries, waits and pagination. A host only moves bytes — through the blocking
//! [`Transport`] trait (native), or by driving a [`Call`] itself (async hosts: wasm's
//! fetch, Python's asyncio).

// ApiError is large (it carries field errors and ids) and only built on the error path;
// boxing it would make every binding unwrap a box for nothing.
#![allow(clippy::result_large_err)]

pub mod call;
pub mod config;
pub mod error;
pub mod http;
pub mod machine;
pub mod models;
pub mod oauth;
pub mod ops;
pub mod ratelimit;
pub mod replay;
pub mod retry;
pub mod session;

pub use call::{execute, Call, Step, Transport};
pub use config::{
    redirect, resolve_token, ClientConfig, ConfigError, Ingress, Origin, Redirect, Region,
    TokenFile,
};
pub use error::{ApiError, ErrorKind, FieldError};
pub use http::{HttpRequest, HttpResponse, TransportError};
pub use machine::{
    Answer, Clock, Command, Effect, Environment, Input, Options, RetryInfo, Session, Task,
};
pub use models::{Page, Secret};
pub use ops::{Operation, Output};
pub use ratelimit::TokenBucket;
pub use retry::{RetryDecision, RetryPolicy};
