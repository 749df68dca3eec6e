//! The service layer: what the API does with credentials, whoever asks. Issuing a token
//! (for oneself, for a service account, for a user from the sandbox's admin endpoint,
//! or as a client-credentials bearer), rotating it, revoking it and everything made
//! through it, service accounts with their client secrets and access keys, and the
//! lineage every credential records and every call is decided along.
//!
//! Handlers read a typed request, authorize the route and call in here; these functions
//! decide with the core's rules (validation, the delegation rule, the policy) and write
//! in the caller's transaction. None of them knows about HTTP beyond the error type
//! every layer answers with.

pub mod federation;
pub mod grant;
pub mod lineage;
pub mod secret_scanning;
pub mod service_accounts;
pub mod tokens;

use clouddigit_core::delegation::CallerCredential;
use clouddigit_core::model::Creator;
use clouddigit_core::{OwnerState, Timestamp, Token, TokenPolicy};

use crate::request::AuditSlot;

/// The credential a call is made with, as the rules see it: the token and its owner as
/// they are now, the organization's policy and the time of the call. Everything it makes
/// is bounded by it (the delegation rule) and descends from it (its lineage).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub token: &'a Token,
    /// `api` or `oauth` (a client-credentials bearer).
    pub kind: &'a str,
    pub owner: &'a OwnerState,
    pub policy: Option<&'a TokenPolicy>,
    pub time: Timestamp,
    /// The call's audit record: what the service made or ended is noted there.
    pub audit: &'a AuditSlot,
}

impl Actor<'_> {
    /// The caller as the core's validation and delegation rule take it.
    pub fn credential(&self) -> CallerCredential {
        CallerCredential {
            token: self.token.clone(),
            owner: self.owner.clone(),
        }
    }

    /// What a credential made by this caller records: the caller as its maker and its
    /// parent.
    pub fn origin(&self) -> Origin {
        let id = self.token.id.clone();
        let creator = if self.kind == "oauth" {
            Creator::bearer(id.clone())
        } else {
            Creator::token(id.clone())
        };
        Origin {
            created_by: Some(creator),
            parent_id: Some(id),
        }
    }

    /// Adds a line to the call's audit record (what it made or ended).
    pub fn note(&self, detail: impl Into<String>) {
        self.audit.note(detail);
    }
}

/// Where a new credential comes from: recorded on it, and what revoking cascades along.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub created_by: Option<Creator>,
    pub parent_id: Option<String>,
}

impl Origin {
    /// A root: made by `created_by`, descending from no credential.
    pub fn root(created_by: Creator) -> Origin {
        Origin {
            created_by: Some(created_by),
            parent_id: None,
        }
    }
}
