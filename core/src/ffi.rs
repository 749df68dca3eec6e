//! The one serde-typed, JSON-shaped API that every binding calls (as Cedar's `ffi`
//! module does), so each binding function is a few lines of conversion and the
//! behaviour is defined here once.

use crate::catalog::Catalog;
use crate::evaluator::{
    authorize as decide, effective_permissions as effective, explain, Decision, EvaluateError,
    PreparedOwner, PreparedRequest, PreparedToken,
};
use crate::model::{OwnerState, Request, Token};

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
        let catalog = Catalog::builtin();
        let req = PreparedRequest::prepare(request, catalog)?;
        let verdict = decide(
            catalog,
            &self.prepared,
            &PreparedOwner::prepare(owner),
            &req,
        );
        Ok(explain(
            catalog,
            &verdict,
            &self.token,
            &self.prepared,
            owner,
            &req,
        ))
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

/// Decides and explains one call for a token given as JSON-shaped data.
pub fn authorize(
    token: &Token,
    owner: &OwnerState,
    request: &Request,
) -> Result<Decision, EvaluateError> {
    TokenHandle::new(token.clone())?.authorize(owner, request)
}

/// See [`TokenHandle::effective_permissions`].
pub fn effective_permissions(
    token: &Token,
    owner: &OwnerState,
    project: Option<&str>,
) -> Result<Vec<String>, EvaluateError> {
    Ok(TokenHandle::new(token.clone())?.effective_permissions(owner, project))
}
