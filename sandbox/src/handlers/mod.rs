//! Request handlers, one module per API area.

pub mod admin;
pub mod oauth;
pub mod resources;
pub mod service_accounts;
pub mod tokens;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::FieldError;

/// Reads a `{"key": "value"}` tag map; `None` when absent.
pub fn tags_field(
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
            Some(s) if !k.is_empty() && k.len() <= 128 && s.len() <= 256 => {
                out.insert(k.clone(), s.to_owned());
            }
            Some(_) => errors.push(FieldError::new(
                format!("{field}.{k}"),
                "invalid_tag",
                "tag keys are 1 to 128 characters, values at most 256",
            )),
            None => errors.push(FieldError::new(
                format!("{field}.{k}"),
                "invalid_type",
                "tag values are strings",
            )),
        }
    }
    Some(out)
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
