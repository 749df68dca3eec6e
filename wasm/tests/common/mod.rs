//! The allow-list vectors run through the wasm build of the bindings, in whichever JS
//! engine the test binary was configured for (Node or headless Chromium).

use clouddigit_core::AllowedIpEntryError;
use clouddigit_core::AllowedIpsReport;
use clouddigit_wasm::{check_allowed_ips, AllowList};
use wasm_bindgen::{JsCast, JsValue};

#[path = "../../../tests/rust/allowed_ips.rs"]
mod vectors;

struct Wasm;

impl vectors::Host for Wasm {
    fn check(&self, input: &str) -> AllowedIpsReport {
        // Through the JS boundary and back: this is the object JS callers receive.
        let js: JsValue = check_allowed_ips(input).into();
        serde_wasm_bindgen::from_value(js).expect("report round-trips")
    }

    fn parse_and_contains(
        &self,
        input: &str,
        addresses: &[String],
    ) -> Result<Vec<Option<bool>>, Vec<AllowedIpEntryError>> {
        match AllowList::parse(input) {
            Ok(list) => Ok(addresses.iter().map(|a| list.contains(a).ok()).collect()),
            Err(err) => {
                let errors = js_sys::Reflect::get(&err, &"errors".into()).expect("errors property");
                let code = js_sys::Reflect::get(&err, &"code".into()).expect("code property");
                assert_eq!(code.as_string().as_deref(), Some("invalid_allowed_ips"));
                assert!(err.is_instance_of::<js_sys::Error>());
                Err(serde_wasm_bindgen::from_value(errors).expect("errors round-trip"))
            }
        }
    }
}

pub fn allowed_ips_vectors() {
    let failures = vectors::run(&Wasm);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
