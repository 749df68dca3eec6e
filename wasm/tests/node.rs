//! wasm-bindgen tests under Node (the runner's default engine).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;

mod common;

#[wasm_bindgen_test]
fn allowed_ips_vectors_in_node() {
    common::allowed_ips_vectors();
}

#[wasm_bindgen_test]
fn authorize_vectors_in_node() {
    common::authorize_vectors();
}

#[wasm_bindgen_test]
fn token_format_vectors_in_node() {
    common::token_format_vectors();
}

#[wasm_bindgen_test]
fn evaluate_errors_and_catalog_in_node() {
    common::errors_and_catalog();
}

#[wasm_bindgen_test]
fn validate_vectors_in_node() {
    common::validate_vectors();
}

#[wasm_bindgen_test]
fn prepared_check_in_node() {
    common::prepared_check_agrees();
}
