// checkTrust runs in the command's module (dist/cli/), loaded on the first call, as
// js/sigv4.js does: pages do not download JWT verification (docs/wasm-size.md).
import { answer, invalid, jsonArg } from './lazy.js';

/** checkTrust over `load()`, a Promise of the initialized module; what it cannot read comes back as data, thrown here as EvaluateError. */
export function trustFunctions(load) {
  let module;
  return {
    checkTrust: async (jwt, trusts, now, jwks) => {
      module ??= load();
      const m = await module;
      if (typeof jwt !== 'string') throw invalid('jwt', 'expected a string');
      const keys = jwks == null ? undefined : typeof jwks === 'string' ? jwks : jsonArg('jwks', jwks);
      return answer(m.checkTrustJson(jwt, jsonArg('trusts', trusts), now ?? undefined, keys));
    },
  };
}
