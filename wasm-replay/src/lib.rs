//! Test only. The client conformance vectors' replay (`clouddigit_session::replay`) for
//! the JS runners (js/test/client_vectors.test.mjs, in Node and in Chromium): the case's
//! I/O as the client's `_io` object, and the check at the end. It is the session crate's
//! checker, so every host is held to the same script by the same code; a module of its
//! own (dist/replay/, not in the npm package), so the SDK's module carries no test code.

use clouddigit_session::replay::{ClientCase, Replay};
use clouddigit_session::{HttpRequest, TransportError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// JSON-shaped JS values in, as the SDK's bindings take them.
fn from_js<T: DeserializeOwned>(v: &JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(v.clone()).map_err(|e| err(format!("{what}: {e}")))
}

/// Plain objects out (maps as objects, as the API's JSON).
fn to_js<T: Serialize + ?Sized>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

#[wasm_bindgen(js_name = ClientReplay)]
pub struct ClientReplay {
    inner: RefCell<Replay>,
}

fn err(message: String) -> JsValue {
    js_sys::Error::new(&message).into()
}

#[wasm_bindgen(js_class = ClientReplay)]
impl ClientReplay {
    #[wasm_bindgen(constructor)]
    pub fn new(case: JsValue) -> Result<ClientReplay, JsValue> {
        let case: ClientCase = from_js(&case, "case")?;
        Ok(ClientReplay {
            inner: RefCell::new(Replay::new(case)),
        })
    }
    pub fn seed(&self) -> f64 {
        self.inner.borrow().seed() as f64
    }
    #[wasm_bindgen(js_name = nowMs)]
    pub fn now_ms(&self) -> f64 {
        self.inner.borrow().now_ms() as f64
    }
    #[wasm_bindgen(js_name = nowUnixMs)]
    pub fn now_unix_ms(&self) -> f64 {
        self.inner.borrow().now().timestamp_millis() as f64
    }
    pub fn environment(&self) -> JsValue {
        to_js(&self.inner.borrow().environment())
    }
    /// The scripted response, or throws `{transportError}`.
    pub fn send(&self, request: JsValue) -> Result<JsValue, JsValue> {
        let req: HttpRequest = from_js(&request, "request")?;
        match self.inner.borrow_mut().send(&req) {
            Ok(r) => Ok(to_js(&r)),
            Err(e) => {
                let o = js_sys::Object::new();
                let _ = js_sys::Reflect::set(
                    &o,
                    &"transportError".into(),
                    &to_js::<TransportError>(&e),
                );
                Err(o.into())
            }
        }
    }
    pub fn sleep(&self, ms: f64) {
        self.inner.borrow_mut().sleep(ms as u64);
    }
    pub fn retried(&self, info: JsValue) -> Result<(), JsValue> {
        let info: Value = from_js(&info, "info")?;
        self.inner.borrow_mut().retried(&info);
        Ok(())
    }
    pub fn provide(&self) -> Result<String, JsValue> {
        self.inner.borrow_mut().provide().map_err(err)
    }
    /// The OIDC token provider's next answer, for `audience` (a string or null).
    #[wasm_bindgen(js_name = provideOidc)]
    pub fn provide_oidc(&self, audience: Option<String>) -> Result<String, JsValue> {
        self.inner
            .borrow_mut()
            .provide_oidc(audience.as_deref())
            .map_err(err)
    }
    /// The file's scripted text, or throws.
    #[wasm_bindgen(js_name = readFile)]
    pub fn read_file(&self, path: String) -> Result<String, JsValue> {
        self.inner.borrow_mut().read_file(&path).map_err(err)
    }
    /// The variable's value, or null.
    #[wasm_bindgen(js_name = readEnv)]
    pub fn read_env(&self, name: String) -> Option<String> {
        self.inner.borrow_mut().read_env(&name)
    }
    /// Throws naming the first difference.
    pub fn finish(&self, outcomes: JsValue) -> Result<(), JsValue> {
        let outcomes: Vec<Value> = from_js(&outcomes, "outcomes")?;
        self.inner.borrow().finish(&outcomes).map_err(err)
    }
}
