// checkTrust runs in the command's module (dist/cli/), loaded on the first call, as
// js/sigv4.js does: pages do not download JWT verification (docs/wasm-size.md).
import { makeError } from '../dist/wasm/errors.js';
import { toJsonText } from '../dist/wasm/json.js';

const bad = (field, message) => makeError('EvaluateError', 'invalid_input', `${field}: ${message}`, { field });

/** checkTrust over `load()`, a Promise of the initialized module; what it cannot read comes back as data, thrown here as EvaluateError. */
export function trustFunctions(load) {
  let module;
  const text = (field, value) => {
    try {
      return toJsonText(value);
    } catch (e) {
      throw bad(field, e.message);
    }
  };
  return {
    checkTrust: async (jwt, trusts, now, jwks) => {
      module ??= load();
      const m = await module;
      if (typeof jwt !== 'string') throw bad('jwt', 'expected a string');
      const keys = jwks == null ? undefined : typeof jwks === 'string' ? jwks : text('jwks', jwks);
      const { value, error } = JSON.parse(m.checkTrustJson(jwt, text('trusts', trusts), now ?? undefined, keys));
      if (error) throw makeError('EvaluateError', error.code, error.message, { field: error.field });
      return value;
    },
  };
}
