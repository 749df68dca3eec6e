//! wasm-bindgen tests in a real browser (headless Chromium through chromedriver).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

mod common;

#[wasm_bindgen_test]
fn allowed_ips_vectors_in_chromium() {
    // Proves we are in a browser, not silently in Node.
    assert!(web_sys_window_exists());
    common::allowed_ips_vectors();
}

fn web_sys_window_exists() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"document".into()).unwrap_or(false)
}

#[wasm_bindgen_test]
fn authorize_vectors_in_chromium() {
    common::authorize_vectors();
}

#[wasm_bindgen_test]
fn token_format_vectors_in_chromium() {
    common::token_format_vectors();
}

#[wasm_bindgen_test]
fn evaluate_errors_and_catalog_in_chromium() {
    common::errors_and_catalog();
}

#[wasm_bindgen_test]
fn validate_vectors_in_chromium() {
    common::validate_vectors();
}

#[wasm_bindgen_test]
fn prepared_check_in_chromium() {
    common::prepared_check_agrees();
}
