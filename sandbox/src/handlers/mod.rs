//! Request handlers, one module per API area.

pub mod admin;
pub mod audit;
pub mod meta;
pub mod oauth;
pub mod resources;
pub mod service_accounts;
pub mod tokens;

use std::collections::BTreeMap;

use serde_json::Value;

use clouddigit_core::validate::TextOrList;

use crate::error::FieldError;

/// Reads a `{"key": "value"}` map, checking only that it is one; `None` when absent or
/// null. What keys and values may be is for the caller (the core, for a tag selector).
pub fn string_map_field(
    body: &Value,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<BTreeMap<String, String>> {
    let v = body.get(field)?;
    if v.is_null() {
        return None;
    }
    let Some(obj) = v.as_object() else {
        errors.push(FieldError::new(
            field,
            "invalid_type",
            "an object of string keys to string values",
        ));
        return None;
    };
    let mut out = BTreeMap::new();
    for (k, val) in obj {
        match val.as_str() {
            Some(s) => {
                out.insert(k.clone(), s.to_owned());
            }
            None => errors.push(FieldError::new(
                format!("{field}.{k}"),
                "invalid_type",
                "values are strings",
            )),
        }
    }
    Some(out)
}

/// The `allowed_ips` field: a list, or one string of entries; `None` when absent or
/// null. Over [`MAX_ALLOWED_IPS`] list items is an error before anything is parsed.
///
/// [`MAX_ALLOWED_IPS`]: clouddigit_core::validate::MAX_ALLOWED_IPS
pub fn allowed_ips_field(body: &Value, errors: &mut Vec<FieldError>) -> Option<TextOrList> {
    match body.get("allowed_ips") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(TextOrList::Text(s.clone())),
        Some(Value::Array(list)) if list.len() > clouddigit_core::validate::MAX_ALLOWED_IPS => {
            errors.push(FieldError::new(
                "allowed_ips",
                "too_many_allowed_ips",
                format!(
                    "{} entries; an allow-list holds at most {}",
                    list.len(),
                    clouddigit_core::validate::MAX_ALLOWED_IPS
                ),
            ));
            Default::default()
        }
        Some(Value::Array(list)) => {
            let mut out = Vec::new();
            for (i, v) in list.iter().enumerate() {
                match v.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => errors.push(FieldError::new(
                        format!("allowed_ips[{i}]"),
                        "invalid_type",
                        "a CIDR or address",
                    )),
                }
            }
            Some(TextOrList::List(out))
        }
        Some(_) => {
            errors.push(FieldError::new(
                "allowed_ips",
                "invalid_type",
                "a list of CIDRs, or one comma-separated string",
            ));
            None
        }
    }
}

pub fn str_field<'a>(
    body: &'a Value,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match body.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            errors.push(FieldError::new(field, "invalid_type", "must be a string"));
            None
        }
    }
}

/// Rejects a body that is not a JSON object.
pub fn require_object(body: &Value) -> Result<(), crate::error::ApiError> {
    if body.is_object() {
        Ok(())
    } else {
        Err(crate::error::ApiError::bad_request(
            "invalid_request",
            "the request body must be a JSON object",
        ))
    }
}

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
