//! JavaScript bindings of `clouddigit-core`. Each function converts at the boundary and
//! calls the core: no rule lives here.

use clouddigit_core as core;
use serde::Serialize;
use tsify::Ts;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(kind: &str, code: &str, message: &str, details: JsValue) -> JsValue;
}

/// Plain JSON-like objects (no `Map`s), so results print and compare naturally in JS.
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::UNDEFINED)
}

#[derive(Serialize)]
struct AllowedIpsErrorDetails<'a> {
    errors: &'a [core::AllowedIpEntryError],
}

#[derive(Serialize)]
struct InvalidIpDetails<'a> {
    text: &'a str,
}

/// Parses an "Allowed IPs" field and reports every bad entry and every warning.
/// Never throws: the report is the answer.
#[wasm_bindgen(js_name = checkAllowedIps)]
pub fn check_allowed_ips(text: &str) -> Ts<core::AllowedIpsReport> {
    Ts::new_unchecked(to_js(&core::check_allowed_ips(text)))
}

/// A valid allow-list, ready to answer `contains` many times.
#[wasm_bindgen]
pub struct AllowList {
    inner: core::AllowList,
}

#[wasm_bindgen]
impl AllowList {
    /// Throws `AllowedIpsError` (code `invalid_allowed_ips`) listing every bad entry.
    pub fn parse(text: &str) -> Result<AllowList, JsValue> {
        core::AllowList::parse(text)
            .map(|inner| AllowList { inner })
            .map_err(|e| {
                make_error(
                    "AllowedIpsError",
                    "invalid_allowed_ips",
                    &e.to_string(),
                    to_js(&AllowedIpsErrorDetails { errors: &e.errors }),
                )
            })
    }

    /// Whether a caller at `ip` is allowed; an empty list allows everyone.
    /// Throws `InvalidIpError` (code `invalid_ip`) when `ip` is not an address.
    pub fn contains(&self, ip: &str) -> Result<bool, JsValue> {
        self.inner.contains_str(ip).map_err(|e| {
            make_error(
                "InvalidIpError",
                "invalid_ip",
                &e.to_string(),
                to_js(&InvalidIpDetails { text: &e.text }),
            )
        })
    }

    /// The normalized networks, in the order they were given.
    #[wasm_bindgen(getter)]
    pub fn networks(&self) -> Vec<String> {
        self.inner
            .networks()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[wasm_bindgen(getter, js_name = isEmpty)]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}
