//! Leaked secrets reported by a secret scanner (`docs/secret-scanning.md`): each secret
//! is looked up by its hash, as authentication does, the core decides what the report
//! does to it under the organization's policy, and this carries it out in one
//! transaction: a revocation with everything made through the secret, or a quarantine.
//! Each secret of ours gets an audit record of its own, naming it by prefix and id, so
//! its owner finds the leak in their log.

use clouddigit_core::audit_format::hashed_token;
use clouddigit_core::model::{
    Quarantine, QuarantineReason, Revocation, RevocationReason, TokenPolicy,
};
use clouddigit_core::secret::{secret_prefix, SecretKind};
use clouddigit_core::secret_scanning::{
    audit_detail, classify, decide, token_hash, Alert, AlertAction, AlertResult, Found, Label,
};
use clouddigit_core::{ProjectScope, Timestamp};
use rusqlite::Connection;

use super::tokens::status_of;
use crate::db::{self, AuditEvent};
use crate::error::ApiError;
use crate::secrets::scrub;

/// Who sent a report, and when and from where it arrived.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// `secret-scanning:<key name>`.
    pub reporter: &'a str,
    pub now: Timestamp,
    pub policy: Option<&'a TokenPolicy>,
    pub request_id: &'a str,
    pub source_ip: Option<String>,
    pub method: &'a str,
    pub path: &'a str,
}

/// What a report did: the answer, one per secret in order; an audit record for each
/// secret of ours; and counts for the call's own record.
#[derive(Debug, Default)]
pub struct Outcome {
    pub results: Vec<AlertResult>,
    pub events: Vec<AuditEvent>,
    pub revoked: usize,
    pub quarantined: usize,
    pub already_revoked: usize,
    pub false_positives: usize,
}

impl Outcome {
    /// The call's own audit detail.
    pub fn summary(&self) -> String {
        format!(
            "secret scanning report of {} secret(s): {} revoked, {} quarantined, {} already revoked, {} false positive(s)",
            self.results.len(),
            self.revoked,
            self.quarantined,
            self.already_revoked,
            self.false_positives
        )
    }
}

/// The credential a reported secret of ours is, as found.
enum Credential {
    Token(Box<db::TokenRow>),
    ClientSecret(Box<db::SaRow>),
    AccessKey(db::AccessKeyRow),
}

/// What the audit record of a secret of ours names.
struct Named {
    id: String,
    name: Option<String>,
    prefix: String,
    project: Option<String>,
}

/// Looks up a well-formed secret of ours by its hash.
fn find(conn: &Connection, kind: SecretKind, hash: &str) -> Result<Option<Credential>, ApiError> {
    Ok(match kind {
        SecretKind::ApiToken => {
            db::token_by_hash(conn, hash)?.map(|r| Credential::Token(Box::new(r)))
        }
        SecretKind::ClientSecret => db::service_account_by_secret_hash(conn, hash)?
            .map(|sa| Credential::ClientSecret(Box::new(sa))),
        SecretKind::AccessKeySecret => {
            db::access_key_by_secret_hash(conn, hash)?.map(Credential::AccessKey)
        }
    })
}

fn first_project(scope: &ProjectScope) -> Option<String> {
    match scope {
        ProjectScope::Projects(p) => p.first().cloned(),
        ProjectScope::All(_) => None,
    }
}

/// Acts on every reported secret, in one transaction: all of the report or none of it.
pub fn process(
    conn: &Connection,
    report: &Report<'_>,
    alerts: &[Alert],
) -> Result<Outcome, ApiError> {
    db::atomically(conn, |tx| {
        let mut out = Outcome::default();
        for alert in alerts {
            act(tx, report, alert, &mut out)?;
        }
        Ok(out)
    })
}

fn act(
    conn: &Connection,
    report: &Report<'_>,
    alert: &Alert,
    out: &mut Outcome,
) -> Result<(), ApiError> {
    let secret = alert.token.expose_secret();
    let hash = token_hash(secret);
    let hashed = hashed_token(secret);
    // A secret in the URL (it happens: a token in a query string) is cut to its prefix
    // in the answer, on the token and in the log alike.
    let url = scrub(&alert.url);
    let source = scrub(&alert.source);
    let kind = classify(secret);
    let credential = match kind {
        Some(kind) => find(conn, kind, &hash)?,
        None => None,
    };
    let found = match &credential {
        None => Found::NotIssued,
        Some(Credential::Token(row)) => Found::Token {
            status: status_of(&row.token, report.now, report.policy),
            quarantined: row.token.quarantine.is_some(),
        },
        Some(Credential::ClientSecret(_)) => Found::ClientSecret,
        Some(Credential::AccessKey(k)) => Found::AccessKey {
            revoked: k.revoked_at.is_some(),
        },
    };
    let (label, action) = decide(&found, report.policy);
    out.results.push(AlertResult {
        token_hash: hash,
        hashed_token: hashed.clone(),
        token_type: scrub(&alert.token_type),
        label,
        url: url.clone(),
        action,
    });
    let (Some(credential), Some(kind), Label::TruePositive) = (credential, kind, label) else {
        out.false_positives += 1;
        return Ok(());
    };
    let named = match &credential {
        Credential::Token(row) => Named {
            id: row.token.id.clone(),
            name: Some(row.token.name.clone()),
            prefix: row.token.prefix.clone(),
            project: first_project(&row.token.projects),
        },
        Credential::ClientSecret(sa) => Named {
            id: sa.secret.as_ref().map(|s| s.id.clone()).unwrap_or_default(),
            name: Some(format!("{} client secret", sa.state.name)),
            prefix: secret_prefix(kind, secret),
            project: sa.state.project.clone(),
        },
        Credential::AccessKey(k) => Named {
            id: k.id.clone(),
            name: Some(format!("access key {}", k.id)),
            prefix: secret_prefix(kind, secret),
            project: db::service_account(conn, &k.sa_id)?.and_then(|sa| sa.state.project),
        },
    };
    let mut detail = audit_detail(action, &url, &source);
    match action {
        AlertAction::Revoked => {
            let why = Revocation {
                url: Some(url.clone()),
                source: Some(source.clone()),
                reporter: Some(report.reporter.to_owned()),
                ..Revocation::new(RevocationReason::Leaked, report.now)
            };
            let done = db::revoke_tree(conn, std::slice::from_ref(&named.id), &why)?;
            detail.push_str(&format!(
                "; revoked {} and {} credential(s) made through it",
                named.id,
                done.total().saturating_sub(1)
            ));
            out.revoked += 1;
        }
        AlertAction::Quarantined => {
            let q = Quarantine {
                reason: QuarantineReason::Leaked,
                url: url.clone(),
                at: report.now,
            };
            if !db::quarantine_token(conn, &named.id, &q)? {
                detail.push_str("; quarantined before, by an earlier report");
            }
            out.quarantined += 1;
        }
        AlertAction::AlreadyRevoked => out.already_revoked += 1,
        AlertAction::None => {}
    }
    out.events.push(AuditEvent {
        request_id: report.request_id.to_owned(),
        time: db::ts(report.now),
        token_name: named.name,
        token_prefix: Some(named.prefix),
        actor: Some(report.reporter.to_owned()),
        method: report.method.to_owned(),
        path: report.path.to_owned(),
        project: named.project,
        status: 200,
        source_ip: report.source_ip.clone(),
        token_id: Some(named.id),
        detail: Some(scrub(&detail)),
        hashed_token: Some(hashed),
        ..AuditEvent::default()
    });
    Ok(())
}
