import type { AllowedIpEntryError } from './api.js';

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
