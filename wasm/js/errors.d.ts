import type { AllowedIpEntryError, ErrorKind, FieldError } from './api.js';

/** Every error the SDK throws: an `Error` with a stable, machine-readable `code`. */
export declare class ClouddigitError extends Error {
  readonly code: string;
}

/** `AllowList.parse` on a list with bad entries; `errors` has every one of them. */
export declare class AllowedIpsError extends ClouddigitError {
  readonly code: 'invalid_allowed_ips';
  readonly errors: AllowedIpEntryError[];
}

/** `AllowList.contains` on something that is not an IPv4 or IPv6 address. */
export declare class InvalidIpError extends ClouddigitError {
  readonly code: 'invalid_ip';
  readonly text: string;
}

/** Why an input cannot be evaluated at all. */
export type EvaluateErrorCode =
  | 'unknown_permission'
  | 'invalid_allowed_ip'
  | 'missing_action'
  | 'invalid_input';

/**
 * A token, owner, request or policy that cannot be evaluated: a downscoped permission
 * the catalog does not know (`suggestion` has the likely name), a bad allowed IP, a
 * request with neither `action` nor `method` + `path`, or a value of the wrong shape.
 */
export declare class EvaluateError extends ClouddigitError {
  readonly code: EvaluateErrorCode;
  /** The input field at fault: `permissions[2]`, `allowed_ips[0]`, `request`, `owner`... */
  readonly field: string;
  readonly suggestion?: string;
}

/** Why a string is not a token secret. */
export type TokenFormatErrorCode = 'missing_prefix' | 'wrong_length' | 'invalid_character' | 'bad_checksum';

/** `parseTokenSecret` on a malformed secret; the message shows at most its first 9 characters. */
export declare class TokenFormatError extends ClouddigitError {
  readonly code: TokenFormatErrorCode;
}

/**
 * `sigv4Explain` or `sigv4Verify` on a request that cannot be read (`invalid_input`) or,
 * for `sigv4Explain`, that carries no readable signature: `code` is the S3 error code
 * (`MissingSecurityHeader`, `AuthorizationHeaderMalformed`,
 * `AuthorizationQueryParametersError`). Messages never hold the secret.
 */
export declare class SigV4Error extends ClouddigitError {
  readonly code: string;
  /** The argument at fault: `request`, or `now` for `sigv4Verify`'s time. */
  readonly field: 'request' | 'now';
}

/**
 * Every failure of the API `Client` (docs/client.md): a rejected Promise, or a throw from
 * `new Client(...)` and `can`. The subclass follows `kind`; kind `http` (a status with no
 * class of its own) is a plain `ApiError`. Messages never hold a secret.
 */
export declare class ApiError extends ClouddigitError {
  readonly kind: ErrorKind;
  /** The server's code (for 403 the evaluator's reason, e.g. `not_in_token_permissions`) or the client's. */
  readonly code: string;
  /** The HTTP status; `null` when there was no response (transport, timeout, config, local validation). */
  readonly status: number | null;
  readonly requestId: string | null;
  /** Retries spent before giving up. */
  readonly retries: number;
  /** What to fix, per field (`permissions[0]`, `allowed_ips[1]`); empty unless a validation error. */
  readonly fieldErrors: FieldError[];
  /** How long the server asked to wait (429); `null` otherwise. */
  readonly retryAfterMs: number | null;
}

/** 401: the token is unknown, malformed, revoked, rotated out or expired; or a bad client secret. */
export declare class AuthenticationError extends ApiError {
  readonly kind: 'authentication';
}

/** 403: the token is valid but may not do this; `code` is the evaluator's reason. */
export declare class PermissionDeniedError extends ApiError {
  readonly kind: 'permission_denied';
}

/** 404. */
export declare class NotFoundError extends ApiError {
  readonly kind: 'not_found';
}

/** 409. */
export declare class ConflictError extends ApiError {
  readonly kind: 'conflict';
}

/** 422, or a draft refused locally before a call is made (`status` null); see `fieldErrors`. */
export declare class ValidationError extends ApiError {
  readonly kind: 'validation';
}

/** 429 beyond the retries or with a wait longer than `maxRetryWaitMs`; see `retryAfterMs`. */
export declare class RateLimitError extends ApiError {
  readonly kind: 'rate_limited';
}

/** 5xx after the retries (or with `x-should-retry: false`). */
export declare class ServerError extends ApiError {
  readonly kind: 'server';
}

/** No response: the connection failed or was cut. */
export declare class TransportError extends ApiError {
  readonly kind: 'transport';
}

/** No response within `timeoutMs` (per attempt). */
export declare class TimeoutError extends ApiError {
  readonly kind: 'timeout';
}

/** Bad settings or credentials (a token with a bad checksum, an unknown option), before a call is made. */
export declare class ConfigError extends ApiError {
  readonly kind: 'config';
}
