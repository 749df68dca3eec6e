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
