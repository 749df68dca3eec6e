// What js/trust.js and js/audit.js share: the lazily loaded module (dist/cli/) takes its
// arguments as JSON text and answers `{"value": ...}` or `{"error": ...}` as data; here
// an argument that is not data, or an error answered, becomes the SDK's EvaluateError
// (this module's own error classes, so `instanceof` holds).
import { makeError } from '../dist/wasm/errors.js';
import { toJsonText } from '../dist/wasm/json.js';

/** `EvaluateError` (`invalid_input`) naming the argument at fault. */
export const invalid = (field, message) => makeError('EvaluateError', 'invalid_input', `${field}: ${message}`, { field });

/** An argument as the JSON text the module reads, or `invalid(field)`. */
export function jsonArg(field, value) {
  try {
    return toJsonText(value);
  } catch (e) {
    throw invalid(field, e.message);
  }
}

/** The module's answer: its value, or its error thrown. */
export function answer(text) {
  const { value, error } = JSON.parse(text);
  if (error) throw makeError('EvaluateError', error.code, error.message, { field: error.field });
  return value;
}
