//! Request handlers, one module per API area.

pub mod admin;
pub mod audit;
pub mod meta;
pub mod oauth;
pub mod resources;
pub mod service_accounts;
pub mod tokens;

use serde_json::Value;

/// Offset pagination for the short lists (`?limit=`, `?cursor=`): the cursor is opaque
/// to clients (`o` and an offset), the default page is 100 and the largest 500.
pub fn paginate(
    items: Vec<Value>,
    query: Option<&str>,
) -> Result<(Vec<Value>, Option<String>), crate::error::ApiError> {
    use crate::error::ApiError;
    let pairs = crate::query::url_pairs(query.unwrap_or(""));
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let limit = match get("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                return Err(ApiError::field(
                    "limit",
                    "invalid_limit",
                    "a whole number from 1 to 500",
                ))
            }
        },
    };
    let offset = match get("cursor") {
        None => 0,
        Some(c) => c
            .strip_prefix('o')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                ApiError::field("cursor", "invalid_cursor", "not a cursor from next_cursor")
            })?,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset + limit < total).then(|| format!("o{}", offset + limit));
    Ok((page, next))
}
