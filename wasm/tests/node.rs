//! wasm-bindgen tests under Node (the runner's default engine).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;

mod common;

#[wasm_bindgen_test]
fn allowed_ips_vectors_in_node() {
    common::allowed_ips_vectors();
}
