// Error classes thrown by @clouddigit/sdk. Rust builds them through makeError so that
// every failure is an Error subclass carrying a stable `code` (and the details the
// console needs, such as the per-entry `errors` of an allow-list).

export class ClouddigitError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    if (details && typeof details === 'object') Object.assign(this, details);
  }
}
ClouddigitError.prototype.name = 'ClouddigitError';

export class AllowedIpsError extends ClouddigitError {}
AllowedIpsError.prototype.name = 'AllowedIpsError';

export class InvalidIpError extends ClouddigitError {}
InvalidIpError.prototype.name = 'InvalidIpError';

export class EvaluateError extends ClouddigitError {}
EvaluateError.prototype.name = 'EvaluateError';

export class TokenFormatError extends ClouddigitError {}
TokenFormatError.prototype.name = 'TokenFormatError';

// sigv4Explain / sigv4Verify on a request that cannot be read or carries no signature.
export class SigV4Error extends ClouddigitError {}
SigV4Error.prototype.name = 'SigV4Error';

// The API client's errors (docs/client.md): one class per core `ErrorKind`, each with
// `kind`, `code`, `status`, `requestId`, `retries`, `fieldErrors` and `retryAfterMs`
// (null where they do not apply). Kind `http` (any other status) is a plain ApiError.
export class ApiError extends ClouddigitError {}
ApiError.prototype.name = 'ApiError';

export class AuthenticationError extends ApiError {}
AuthenticationError.prototype.name = 'AuthenticationError';

export class PermissionDeniedError extends ApiError {}
PermissionDeniedError.prototype.name = 'PermissionDeniedError';

export class NotFoundError extends ApiError {}
NotFoundError.prototype.name = 'NotFoundError';

export class ConflictError extends ApiError {}
ConflictError.prototype.name = 'ConflictError';

export class ValidationError extends ApiError {}
ValidationError.prototype.name = 'ValidationError';

export class RateLimitError extends ApiError {}
RateLimitError.prototype.name = 'RateLimitError';

export class ServerError extends ApiError {}
ServerError.prototype.name = 'ServerError';

export class TransportError extends ApiError {}
TransportError.prototype.name = 'TransportError';

export class TimeoutError extends ApiError {}
TimeoutError.prototype.name = 'TimeoutError';

export class ConfigError extends ApiError {}
ConfigError.prototype.name = 'ConfigError';

const classes = {
  ClouddigitError, AllowedIpsError, InvalidIpError, EvaluateError, TokenFormatError, SigV4Error,
  ApiError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
  ValidationError, RateLimitError, ServerError, TransportError, TimeoutError, ConfigError,
};

export function makeError(kind, code, message, details) {
  const Class = classes[kind] ?? ClouddigitError;
  return new Class(code, message, details);
}
