// sigv4Explain and sigv4Verify (docs/client.md). They run in the `clouddigit` command's
// wasm module (dist/cli/, built from wasm-cli/), which carries the core's SigV4 code for
// `clouddigit sigv4 explain` already: in the SDK's module, which every page loads, it
// would add 20 KB gzipped. The module is loaded on the first call, so both functions
// return Promises. Requests cross as JSON text, as every SDK argument does; refusals
// come back as data and are thrown here as the SDK's own SigV4Error.
import { makeError } from '../dist/wasm/errors.js';
import { toJsonText } from '../dist/wasm/json.js';

/** The two functions, over `load()`: a Promise of the initialized dist/cli module. */
export function sigv4Functions(load) {
  let module;
  const call = async (name, request, secret, ...rest) => {
    module ??= load();
    const m = await module;
    const { value, error } = JSON.parse(m[name](toJsonText(request), String(secret), ...rest));
    if (error) throw makeError('SigV4Error', error.code, error.message, { field: 'request' });
    return value;
  };
  return {
    sigv4Explain: (request, secret) => call('sigv4ExplainJson', request, secret),
    sigv4Verify: (request, secret, now) => call('sigv4VerifyJson', request, secret, now ?? undefined),
  };
}
