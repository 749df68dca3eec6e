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

const classes = { ClouddigitError, AllowedIpsError, InvalidIpError, EvaluateError, TokenFormatError };

export function makeError(kind, code, message, details) {
  const Class = classes[kind] ?? ClouddigitError;
  return new Class(code, message, details);
}
