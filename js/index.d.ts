// Types of @clouddigit/sdk, generated from the Rust core (tsify + wasm-bindgen).
export * from '../dist/wasm/api.js';
export * from '../dist/wasm/errors.js';
// The error classes win over the core's data types of the same name (the JSON shape of an
// API error and of a transport failure), which the client never hands out as such.
export { ApiError, TransportError } from '../dist/wasm/errors.js';

import type {
  AuditContext,
  AuditEvent,
  AuditFormat,
  Explanation,
  InventoryToken,
  LintFinding,
  RequestText,
  Role,
  SigV4Verdict,
  Timestamp,
  Token,
  TokenPolicy,
  TokenUsage,
  Trust,
  TrustCheckReport,
  Value,
} from '../dist/wasm/api.js';

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

/**
 * A CI job's OIDC token (`jwt`) read against `trusts` at `now` (absent: now): which trust
 * accepts it and why each other does not, with every check, and what the token says.
 * The signature is verified against `jwks` (the issuer's JWKS, as text or parsed) when it
 * is given; otherwise `signature` is `not_checked`. A token that is not a JWT is a report
 * too (`signature` `malformed_jwt`); nothing in the report holds the token. Rejects with
 * `EvaluateError` (`invalid_input`, `field` the argument) only for an argument of the
 * wrong shape. Async: JWT verification loads on the first call, so pages that never use
 * it do not.
 */
export declare function checkTrust(jwt: string, trusts: Trust[] | Trust, now?: Timestamp | null, jwks?: string | object | null): Promise<TrustCheckReport>;

/**
 * `event` as `format` writes it (`json`, `ocsf`, `cloudtrail`), `context` saying where it
 * came from: the record the audit export and every stream send for it, byte for byte.
 * Rejects with `EvaluateError` (`invalid_input`, `field` the argument: `event`, `format`
 * or `context`) for an argument of the wrong shape or an unknown format. Async: the
 * record shapes load on the first call, so pages that never use them do not.
 */
export declare function auditRecord(event: AuditEvent, format: AuditFormat, context: AuditContext): Promise<{ [key: string]: Value }>;

/**
 * A token secret's `hashed_token` as the audit log writes it (SHA-256, base64): the way
 * to find a leaked secret's calls in the log, which never holds the secret itself.
 * Rejects with `EvaluateError` (`invalid_input`, `field` `secret`) when `secret` is not a
 * string. Async: it loads with `auditRecord`, on the first call.
 */
export declare function hashedToken(secret: string): Promise<string>;

/**
 * What `token` did, from `events` (the audit export's JSON lines as text; other tokens'
 * lines are skipped): the permissions its calls used against those it holds under `role`
 * (its owner's role; `null` leaves an inheriting token's grants unknown), the smallest
 * set covering its calls as a diff against its grants (`diff.suggested`), and each of
 * `sources` checked against its allow-list. The console's usage panel and one-click
 * downscope; the same rule as `clouddigit least-privilege --token`. Rejects with
 * `EvaluateError` (`invalid_input`, `field` the argument) for an argument of the wrong
 * shape. Async: it loads with `auditRecord`, on the first call.
 */
export declare function tokenUsage(events: string, token: Token, role?: Role | null, sources?: string[]): Promise<TokenUsage>;

/**
 * The lint findings for `tokens` (each with its `last_used_at`): unused for
 * `unusedDays` days (default 90), never expiring, without an allow-list, and the
 * organization `policy`'s rules, as `clouddigit lint` reports them. Async: it loads with
 * `auditRecord`, on the first call.
 */
export declare function lintTokens(tokens: InventoryToken[], options?: { now?: Timestamp; unusedDays?: number | null; policy?: TokenPolicy | null }): Promise<LintFinding[]>;
