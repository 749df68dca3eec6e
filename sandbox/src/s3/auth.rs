//! Who signed an S3 request, and what they may do: the access key named in the
//! signature, its secret (unsealed only to check the signature, in the core), and its
//! service account *as it is now*, read as a credential the core's evaluator decides
//! along its whole lineage, exactly as a `/v1` call with a token is decided.

use std::collections::BTreeMap;
use std::net::IpAddr;

use clouddigit_core::evaluator::{Audience, Check};
use clouddigit_core::handle::TokenHandle;
use clouddigit_core::sigv4::{self, Credential, SigV4Error, SignedRequest};
use clouddigit_core::{OwnerState, Reason, Request, Timestamp, TokenPolicy};

use super::error::S3Error;
use crate::db;
use crate::request::AuditSlot;
use crate::service::lineage;
use crate::state::AppState;

/// A verified signer.
pub struct Principal {
    pub key_id: String,
    pub credential: Credential,
    /// The key derived for the request's scope: what a chunked body's chunks are
    /// checked with.
    pub signing_key: zeroize::Zeroizing<Vec<u8>>,
    pub owner: OwnerState,
    /// The projects the key reaches (its account's, or all for an organization-level
    /// account), in the organization's order.
    pub projects: Vec<String>,
    handle: TokenHandle,
    lineage: lineage::Lineage,
    policy: Option<TokenPolicy>,
    pub ip: Option<IpAddr>,
    pub time: Timestamp,
    pub slot: AuditSlot,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn sigv4_error(e: SigV4Error) -> S3Error {
    let message = match &e {
        SigV4Error::SignatureDoesNotMatch => "The request signature we calculated does not match the signature you provided. Check your key and signing method. (`clouddigit sigv4 explain` shows the canonical request and the signature the secret gives.)".to_owned(),
        SigV4Error::Expired => "Request has expired".to_owned(),
        SigV4Error::RequestTimeTooSkewed => "The difference between the request time and the server's time is too large (more than 15 minutes).".to_owned(),
        other => other.to_string(),
    };
    S3Error::new(e.code(), message)
}

/// Reads and verifies the request's signature, then the key's life, its account and the
/// address it comes from (what does not depend on the operation).
pub fn authenticate(
    state: &AppState,
    req: &SignedRequest<'_>,
    ip: Option<IpAddr>,
    slot: &AuditSlot,
    permission: &str,
) -> Result<Principal, S3Error> {
    let cred = sigv4::credential(req).map_err(sigv4_error)?;
    let store = &state.0.s3;
    slot.update(|a| {
        a.token_prefix = Some(cred.access_key_id.clone());
        a.token_id = Some(cred.access_key_id.clone());
        a.token_name = Some("access key".into());
    });
    if cred.service != "s3" {
        return Err(S3Error::new(
            "AuthorizationHeaderMalformed",
            format!(
                "the credential's service is {:?}; this endpoint is \"s3\"",
                cred.service
            ),
        ));
    }
    if cred.region != store.region {
        return Err(S3Error::new(
            "AuthorizationHeaderMalformed",
            format!(
                "the authorization header is malformed; the region '{}' is wrong; expecting '{}'",
                cred.region, store.region
            ),
        )
        .with("Region", store.region.clone()));
    }
    let time = state.now();
    let unknown = || {
        S3Error::new(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", cred.access_key_id.clone())
    };
    let (key, sealed, sa, org_projects, policy) = {
        let conn = state.db()?;
        let key = db::access_key(&conn, &cred.access_key_id)?.ok_or_else(unknown)?;
        if key.revoked_at.is_some() {
            return Err(unknown());
        }
        let sealed = db::access_key_sealed(&conn, &key.id)?;
        let sa = db::service_account(&conn, &key.sa_id)?.ok_or_else(unknown)?;
        (
            key,
            sealed,
            sa,
            db::projects(&conn)?,
            db::token_policy(&conn)?,
        )
    };
    let Some(sealed) = sealed else {
        return Err(S3Error::new(
            "InvalidAccessKeyId",
            "This access key was made before the S3 endpoint existed and cannot sign requests: create a new one.",
        ));
    };
    let secret = state.0.sealer.open(&sealed).ok_or_else(|| {
        S3Error::internal("the key's secret does not unseal with this sandbox's key file")
    })?;
    sigv4::verify(req, &cred, &secret, time).map_err(sigv4_error)?;
    let signing_key = sigv4::signing_key(&secret, &cred);
    drop(secret);

    let token = lineage::key_credential(&sa, &key, &org_projects);
    let projects = lineage::account_projects(&sa, &org_projects);
    let owner = OwnerState::ServiceAccount(sa.state.clone());
    slot.update(|a| a.actor = Some(crate::auth::actor_label(&owner)));
    let handle = TokenHandle::new(token).map_err(|e| S3Error::internal(e.to_string()))?;
    let lineage = {
        let conn = state.db()?;
        let ancestors = lineage::ancestors(&conn, key.parent_id.as_deref())?;
        let pairs = ancestors
            .iter()
            .map(|a| (a.handle.clone(), a.owner.clone()))
            .collect();
        std::sync::Arc::new((ancestors, pairs))
    };
    let p = Principal {
        key_id: key.id,
        credential: cred,
        signing_key,
        owner,
        projects,
        handle,
        lineage,
        policy,
        ip,
        time,
        slot: slot.clone(),
    };
    // The key's life, its account and the address, before any operation.
    let lifecycle = [
        Check::Revoked,
        Check::Expired,
        Check::OwnerInactive,
        Check::IpNotAllowed,
    ];
    // Asked about the operation's permission, but only the checks above are read here:
    // the project and the bucket come later.
    let request = p.request(Some(permission), None, None);
    let (verdict, _) = p
        .handle
        .lineage_verdict(&p.owner, &p.lineage.1, &request, p.policy.as_ref())
        .map_err(|e| S3Error::internal(e.to_string()))?;
    if lifecycle.into_iter().any(|c| verdict.failed(c)) {
        return Err(p.refusal(&request));
    }
    state
        .0
        .limiter
        .check(&p.key_id)
        .map_err(|_| S3Error::new("SlowDown", "Please reduce your request rate."))?;
    Ok(p)
}

impl Principal {
    fn request(
        &self,
        action: Option<&str>,
        project: Option<&str>,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Request {
        Request {
            action: action.map(str::to_owned),
            method: None,
            path: None,
            organization: None,
            project: project.map(str::to_owned),
            ip: self.ip,
            time: self.time,
            resource_tags: tags.cloned(),
        }
    }

    /// Whether `permission` is allowed in `project` on a resource with `tags`, decided
    /// by the core along the key's lineage.
    pub fn allows(
        &self,
        permission: &str,
        project: &str,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<bool, S3Error> {
        let request = self.request(Some(permission), Some(project), tags);
        let (verdict, _) = self
            .handle
            .lineage_verdict(&self.owner, &self.lineage.1, &request, self.policy.as_ref())
            .map_err(|e| S3Error::internal(e.to_string()))?;
        Ok(verdict.allowed())
    }

    /// `allows`, or S3's `AccessDenied` with the evaluator's reason.
    pub fn require(
        &self,
        permission: &str,
        project: &str,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<(), S3Error> {
        self.slot.update(|a| a.project = Some(project.to_owned()));
        if self.allows(permission, project, tags)? {
            return Ok(());
        }
        Err(self.refusal(&self.request(Some(permission), Some(project), tags)))
    }

    /// The refusal of `request`, worded by the evaluator: the caller's words in the
    /// answer, the owner's full explanation in the audit record.
    fn refusal(&self, request: &Request) -> S3Error {
        let explain = |audience| {
            self.handle.authorize_lineage(
                audience,
                &self.owner,
                &self.lineage.1,
                request,
                self.policy.as_ref(),
            )
        };
        let (message, reason, by) = match explain(Audience::Caller) {
            Ok(found) => (
                found.decision.message.clone(),
                found.decision.reason,
                found.denied_by,
            ),
            Err(e) => (e.to_string(), Reason::UnknownAction, None),
        };
        let code = crate::error::reason_code(reason);
        let mut err = S3Error::new(
            "AccessDenied",
            match by {
                None => format!("Access Denied ({code}): {message}"),
                Some(i) => format!(
                    "Access Denied (creator_denied: the credential this key was made through, {}, is refused): {message}",
                    self.lineage.0[i].id
                ),
            },
        );
        if let Ok(full) = explain(Audience::Owner) {
            err.detail = Some(full.decision.message);
        }
        err
    }
}
