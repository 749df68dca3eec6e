//! Tokens and owners prepared once for many decisions: what a host keeps between calls
//! (the sandbox per token, the bindings per handle) so the hot path does no parsing.

use crate::catalog::Catalog;
use crate::evaluator::{
    authorize as decide, effective_permissions as effective, explain_for, Audience, Decision,
    EvaluateError, PreparedOwner, PreparedRequest, PreparedToken, Reason,
};
use crate::model::{OwnerState, Request, Token, TokenPolicy};

/// A token prepared once for many decisions, with its metadata kept for explanations.
#[derive(Debug, Clone)]
pub struct TokenHandle {
    token: Token,
    prepared: PreparedToken,
}

impl TokenHandle {
    pub fn new(token: Token) -> Result<TokenHandle, EvaluateError> {
        let prepared = PreparedToken::prepare(&token, Catalog::builtin())?;
        Ok(TokenHandle { token, prepared })
    }

    pub fn token(&self) -> &Token {
        &self.token
    }

    pub fn prepared(&self) -> &PreparedToken {
        &self.prepared
    }

    /// Decides and explains one call.
    pub fn authorize(
        &self,
        owner: &OwnerState,
        request: &Request,
    ) -> Result<Decision, EvaluateError> {
        self.authorize_under(owner, request, None)
    }

    /// Decides one call under the organization's token policy as it stands now (its
    /// maximum lifetime binds on every use).
    pub fn authorize_under(
        &self,
        owner: &OwnerState,
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<Decision, EvaluateError> {
        self.authorize_for(Audience::Owner, owner, request, policy)
    }

    /// [`TokenHandle::authorize_under`], its explanation worded for `audience`.
    pub fn authorize_for(
        &self,
        audience: Audience,
        owner: &OwnerState,
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<Decision, EvaluateError> {
        let catalog = Catalog::builtin();
        let req = PreparedRequest::prepare(request, catalog)?.with_policy(policy);
        let verdict = decide(
            catalog,
            &self.prepared,
            &PreparedOwner::prepare(owner),
            &req,
        );
        Ok(explain_for(
            audience,
            catalog,
            &verdict,
            &self.token,
            &self.prepared,
            owner,
            &req,
        ))
    }

    /// Decides one call along the token's lineage: the call is allowed only if this token
    /// allows it and so does every credential it descends from (`ancestors`, nearest
    /// first, each with its owner as they are now), so a credential never does more than
    /// the one that made it, whatever changed since it was made. The first refusal wins:
    /// the token's own, or the nearest ancestor's (`denied_by`).
    /// [`TokenHandle::authorize_lineage`] without the words: the refusing link's verdict
    /// (or the token's own, when every link allows) and which ancestor refused. Nothing
    /// is allocated for an allowed call; a host explains only what it refuses.
    pub fn lineage_verdict(
        &self,
        owner: &OwnerState,
        ancestors: &[(TokenHandle, OwnerState)],
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<(crate::evaluator::Verdict, Option<usize>), EvaluateError> {
        let req = PreparedRequest::prepare(request, Catalog::builtin())?.with_policy(policy);
        Ok(self.verdicts(owner, ancestors, &req))
    }

    fn verdicts(
        &self,
        owner: &OwnerState,
        ancestors: &[(TokenHandle, OwnerState)],
        req: &PreparedRequest,
    ) -> (crate::evaluator::Verdict, Option<usize>) {
        let catalog = Catalog::builtin();
        let own = decide(catalog, &self.prepared, &PreparedOwner::prepare(owner), req);
        if !own.allowed() {
            return (own, None);
        }
        for (i, (h, o)) in ancestors.iter().enumerate() {
            let v = decide(catalog, &h.prepared, &PreparedOwner::prepare(o), req);
            if !v.allowed() {
                return (v, Some(i));
            }
        }
        (own, None)
    }

    pub fn authorize_lineage(
        &self,
        audience: Audience,
        owner: &OwnerState,
        ancestors: &[(TokenHandle, OwnerState)],
        request: &Request,
        policy: Option<&TokenPolicy>,
    ) -> Result<LineageDecision, EvaluateError> {
        let catalog = Catalog::builtin();
        let req = PreparedRequest::prepare(request, catalog)?.with_policy(policy);
        // Verdicts first (no allocation); only the decision returned is explained.
        let (verdict, denied_by) = self.verdicts(owner, ancestors, &req);
        let (handle, link_owner) = match denied_by.and_then(|i| ancestors.get(i)) {
            Some((h, o)) => (h, o),
            None => (self, owner),
        };
        Ok(LineageDecision {
            decision: explain_for(
                audience,
                catalog,
                &verdict,
                &handle.token,
                &handle.prepared,
                link_owner,
                &req,
            ),
            denied_by,
        })
    }

    /// Whether the token is live at `now` under `policy`: not revoked, rotated out or
    /// expired, and its owner active (what every call checks before its action).
    pub fn is_live(
        &self,
        owner: &OwnerState,
        now: crate::model::Timestamp,
        policy: Option<&TokenPolicy>,
    ) -> bool {
        let status = crate::evaluator::token_status(&self.token, now, policy);
        status.is_live()
            && PreparedOwner::prepare(owner).active()
            && owner.owner_ref() == self.token.owner
    }

    /// Permission names the token may use in `project` (`None`: organization level),
    /// in catalog order.
    pub fn effective_permissions(&self, owner: &OwnerState, project: Option<&str>) -> Vec<String> {
        let catalog = Catalog::builtin();
        effective(
            catalog,
            &self.prepared,
            &PreparedOwner::prepare(owner),
            project,
        )
        .iter()
        .map(|id| catalog.name(id).to_owned())
        .collect()
    }
}

/// A decision along a lineage: the refusing link's decision (or the token's own when
/// every link allows), and which ancestor refused (`None`: the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageDecision {
    pub decision: Decision,
    pub denied_by: Option<usize>,
}

/// An owner's current state prepared once, for the hot path of [`TokenHandle::check`].
#[derive(Debug, Clone)]
pub struct OwnerHandle {
    prepared: PreparedOwner,
}

impl OwnerHandle {
    pub fn new(owner: &OwnerState) -> OwnerHandle {
        OwnerHandle {
            prepared: PreparedOwner::prepare(owner),
        }
    }
}

impl TokenHandle {
    /// The hot path for bindings: plain arguments in, the reason code out
    /// (`"allowed"` or the first failing check), no JSON on either side. `action` is a
    /// permission name or `"METHOD /v1/path"`; `ip` that does not parse counts as no
    /// address (so an allow-list denies it).
    pub fn check(
        &self,
        owner: &OwnerHandle,
        action: &str,
        project: Option<&str>,
        ip: Option<&str>,
        time: crate::model::Timestamp,
    ) -> &'static str {
        crate::evaluator::reason_code(self.check_reason(owner, action, project, ip, time))
    }

    /// [`TokenHandle::check`] as the [`Reason`] itself, for hosts that map it to their
    /// own interned strings (every reason is in [`Reason::ALL`], its text [`Reason::code`]).
    #[inline]
    pub fn check_reason(
        &self,
        owner: &OwnerHandle,
        action: &str,
        project: Option<&str>,
        ip: Option<&str>,
        time: crate::model::Timestamp,
    ) -> Reason {
        crate::evaluator::authorize_call(
            Catalog::builtin(),
            &self.prepared,
            &owner.prepared,
            action,
            project,
            ip.and_then(|s| crate::allowed_ips::parse_ip(s.trim())),
            time,
        )
        .reason()
    }
}

#[cfg(test)]
mod tests {
    use crate::allowed_ips::parse_ip;

    #[test]
    fn short_ipv4_path_reads_what_std_reads() {
        let cases = [
            "203.0.113.9",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.4 ",
            "+1.2.3.4",
            "1.2.3.0400",
            "::1",
            "::ffff:1.2.3.4",
            "2001:db8::7",
            "",
            ".",
            "1.2.3.a",
            "10.0.0.00",
            "100.200.250.249",
        ];
        for c in cases {
            assert_eq!(parse_ip(c), c.parse().ok(), "{c:?}");
        }
        for a in [0u32, 1, 9, 10, 99, 100, 199, 255] {
            for b in [0u32, 7, 255] {
                let t = format!("{a}.{b}.{a}.{b}");
                assert_eq!(parse_ip(&t), t.parse().ok(), "{t}");
            }
        }
    }
}
