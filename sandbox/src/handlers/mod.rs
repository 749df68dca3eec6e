//! Request handlers, one module per API area.

pub mod admin;
pub mod audit;
pub mod meta;
pub mod oauth;
pub mod resources;
pub mod service_accounts;
pub mod tokens;
