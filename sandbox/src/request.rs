//! What one call carries between the layers that handle it: the audit record the
//! middleware opens and authentication and handlers fill in, the client's address and
//! the request id. A module of its own so that the middleware, authentication and the
//! service layer can share these without importing one another.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// What the audit event of a call says beyond its method, path and status.
#[derive(Debug, Clone, Default)]
pub struct AuditInfo {
    pub token_name: Option<String>,
    pub token_prefix: Option<String>,
    pub actor: Option<String>,
    pub project: Option<String>,
    pub token_id: Option<String>,
    pub detail: Option<String>,
    pub hashed_token: Option<String>,
}

/// Filled in by authentication and handlers while a call runs.
#[derive(Debug, Clone, Default)]
pub struct AuditSlot(Arc<Mutex<AuditInfo>>);

impl AuditSlot {
    pub fn update(&self, f: impl FnOnce(&mut AuditInfo)) {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g);
    }

    pub fn take(&self) -> AuditInfo {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Adds a line to the call's detail (what it made or ended, or why it was refused in
    /// full), after what is there already.
    pub fn note(&self, detail: impl Into<String>) {
        let detail = detail.into();
        self.update(|a| {
            a.detail = Some(match a.detail.take() {
                Some(d) => format!("{d}; {detail}"),
                None => detail,
            })
        });
    }
}

/// The client's address as the server sees it (set by the audit middleware).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

#[derive(Debug, Clone)]
pub struct RequestId(pub String);
