// Types of @clouddigit/sdk, generated from the Rust core (tsify + wasm-bindgen).
export * from '../dist/wasm/api.js';
export * from '../dist/wasm/errors.js';
// The error classes win over the core's data types of the same name (the JSON shape of an
// API error and of a transport failure), which the client never hands out as such.
export { ApiError, TransportError } from '../dist/wasm/errors.js';
