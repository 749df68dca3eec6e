// Types of @clouddigit/sdk, generated from the Rust core (tsify + wasm-bindgen).
export * from '../dist/wasm/api.js';
export * from '../dist/wasm/errors.js';
