//! Values across the boundary, both ways as one JSON text (see `js/json.js`).
//!
//! Reading an object field by field through the JS API costs a call across the boundary
//! per value, and instantiates every type's deserializer a second time beside the
//! serde_json one the core already carries. One `JSON.stringify` in the engine and one
//! serde_json pass in wasm is several times faster and keeps the module small. Results go
//! the same way: serde_json text, then `JSON.parse`. Data types are JSON-shaped (maps
//! are plain objects, a missing value is `null`), so nothing changes in what JS sees.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/json.js")]
extern "C" {
    #[wasm_bindgen(js_name = toJsonText, catch)]
    fn to_json_text(value: &JsValue) -> Result<String, JsValue>;
}

/// Reads argument `what` into `T`; the error message names the place that did not fit
/// (`request.draft.permissions[2]: ...`).
pub(crate) fn read<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, String> {
    let text = to_json_text(value).map_err(|e| format!("{what}: {}", crate::js_message(e)))?;
    clouddigit_core::json::from_json(&text, what)
}

/// A result as plain JS values (objects, arrays, strings, numbers, `null`).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}
