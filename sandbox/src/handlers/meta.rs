//! The API's description of itself.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use crate::db;
use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;

/// `GET /v1/openapi.json`: the document with this organization's projects, built on the
/// first request and kept.
pub async fn openapi(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if let Some(doc) = state.0.openapi.get() {
        return Ok(Json(doc.clone()));
    }
    let projects = db::projects(&*state.db()?)?;
    Ok(Json(
        state
            .0
            .openapi
            .get_or_init(|| openapi::document_for(&projects))
            .clone(),
    ))
}
