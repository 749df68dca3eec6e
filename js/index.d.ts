// Types of @clouddigit/sdk, generated from the Rust core (tsify + wasm-bindgen).
export * from '../dist/wasm/api.js';
export * from '../dist/wasm/errors.js';
// The error classes win over the core's data types of the same name (the JSON shape of an
// API error and of a transport failure), which the client never hands out as such.
export { ApiError, TransportError } from '../dist/wasm/errors.js';

import type { Explanation, RequestText, SigV4Verdict, Timestamp } from '../dist/wasm/api.js';

/**
 * How the S3 endpoint reads `request` (method, URL, headers as an object or
 * `[name, value]` pairs, `body_sha256` for a body signed without
 * `x-amz-content-sha256`): the canonical request, the string to sign and the signature
 * `secret` gives, next to the one the request carries (`matches`). The answer to
 * `SignatureDoesNotMatch`, offline; the clock is not judged. Rejects with `SigV4Error`
 * (code the S3 error code, or `invalid_input`) when the request carries no readable
 * signature. Async: SigV4 loads on the first call, so pages that never use it do not.
 */
export declare function sigv4Explain(request: RequestText, secret: string): Promise<Explanation>;

/**
 * The verdict the S3 endpoint reaches on `request` signed with `secret` at `now` (absent:
 * now): `{ok: true}`, or `ok: false` with the S3 error code (`SignatureDoesNotMatch`,
 * `RequestTimeTooSkewed`, `AccessDenied` for an expired presigned URL...) and why.
 * Rejects with `SigV4Error` (`invalid_input`) only for an argument of the wrong shape.
 */
export declare function sigv4Verify(request: RequestText, secret: string, now?: Timestamp): Promise<SigV4Verdict>;
