//! `clouddigit-core`: every rule about Cloud Digit API tokens and service accounts,
//! written once and run by every host (wasm in browsers and Node, Python, the sandbox).
//!
//! This crate does no I/O. Hosts move bytes; the core decides. That keeps the browser
//! console, the SDKs and the server agreeing to the letter, because they run the same code.

pub mod allowed_ips;
pub mod audit_format;
pub mod audit_summary;
pub mod catalog;
pub mod delegation;
pub mod evaluator;
pub mod handle;
pub mod json;
pub mod least_privilege;
pub mod least_privilege_diff;
pub mod limits;
pub mod lint;
pub mod model;
pub mod oidc;
pub mod s3;
pub mod s3_body;
pub mod scan;
pub mod secret;
pub mod secret_scanning;
pub mod sigv4;
#[doc(hidden)] // for the fuzz targets' round trips; not an API
pub mod timefmt;
pub mod token_usage;
pub mod validate;

pub use allowed_ips::{
    check_allowed_ips, AllowList, AllowedIpEntry, AllowedIpEntryError, AllowedIpEntryWarning,
    AllowedIpErrorCode, AllowedIpWarningCode, AllowedIpsError, AllowedIpsReport, InvalidIpAddress,
};
pub use catalog::{Catalog, CatalogError, PermSet, PermissionDef, PermissionId};
pub use evaluator::{
    authorize, effective_permissions, explain, Check, CheckResult, Decision, EvaluateError,
    Outcome, PreparedOwner, PreparedRequest, PreparedToken, Reason, TokenStatus, Verdict,
};
pub use model::{
    OrgRole, OwnerRef, OwnerState, ProjectRole, ProjectScope, Request, Role, ServiceAccountState,
    Timestamp, Token, TokenPermissions, TokenPolicy, UserState,
};
pub use secret::{TokenFormatError, TokenSecret};
pub use validate::{
    validate_service_account, validate_token, Issue, IssueCode, ServiceAccountRequest,
    ServiceAccountValidation, TokenRequest, TokenValidation,
};
