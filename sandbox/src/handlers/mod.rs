//! Request handlers, one module per API area.

pub mod admin;
pub mod audit;
pub mod meta;
pub mod oauth;
pub mod resources;
pub mod secret_scanning;
pub mod service_accounts;
pub mod streams;
pub mod tokens;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use clouddigit_core::{OwnerRef, OwnerState};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::Caller;
use crate::bodies::TokenCreate;
use crate::error::ApiError;
use crate::query::PageQuery;
use crate::service::tokens::{create_api_token, parse_spec};
use crate::service::{Actor, Origin};
use crate::state::AppState;
use crate::views::{self, TokenList};

/// One page of an owner's API tokens, as the caller's policy shows their state.
pub(crate) fn token_page(
    state: &AppState,
    caller: &Caller,
    owner: &OwnerRef,
    page: &PageQuery,
) -> Result<Json<TokenList>, ApiError> {
    let rows = crate::db::tokens_of_owner(&*state.db()?, owner, "api", None)?;
    let tokens = views::api_tokens(&rows, state.now(), caller.policy.as_ref())?;
    let (tokens, next_cursor) = page.page(tokens)?;
    Ok(Json(TokenList {
        tokens,
        next_cursor,
    }))
}

/// Who a new token is for and who makes it: the maker bounds it (`None`: a root, as
/// the sandbox administrator's mint), `origin` is its lineage.
pub(crate) struct NewToken<'a> {
    pub owner: &'a OwnerState,
    pub maker: Option<&'a Actor<'a>>,
    pub origin: Origin,
    pub route: &'a str,
    pub projects: &'a [String],
}

/// The one token-create flow of the routes that make tokens: the draft judged against
/// its owner and maker, then made once per `Idempotency-Key`.
pub(crate) fn create_token(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &TokenCreate,
    json: &Value,
    new: NewToken<'_>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let spec = parse_spec(
        body,
        new.owner,
        state.organization(),
        new.projects,
        caller.policy.as_ref(),
        now,
        new.maker,
    )?;
    state.create_once(
        &caller.token.owner,
        headers,
        new.route,
        json,
        |conn: &Connection| {
            let (row, answer) = create_api_token(
                conn,
                state.organization(),
                new.owner,
                &spec,
                caller.policy.as_ref(),
                now,
                &new.origin,
            )?;
            let for_whom = match new.owner {
                OwnerState::User(u) => &u.id,
                OwnerState::ServiceAccount(a) => &a.id,
            };
            caller.note(format!("created {} for {for_whom}", row.token.id));
            Ok((StatusCode::CREATED, answer))
        },
    )
}
