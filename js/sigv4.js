// sigv4Explain/sigv4Verify run in the command's wasm module (dist/cli/), loaded on the
// first call so pages do not download the SigV4 code (docs/wasm-size.md).
import { makeError } from '../dist/wasm/errors.js';
import { toJsonText } from '../dist/wasm/json.js';

/** The two functions over `load()`, a Promise of the initialized module; its refusals come back as data, thrown here as the SDK's SigV4Error. */
export function sigv4Functions(load) {
  let module;
  const call = async (name, request, secret, ...rest) => {
    module ??= load();
    const m = await module;
    let text;
    try {
      text = toJsonText(request);
    } catch (e) {
      throw makeError('SigV4Error', 'invalid_input', `request: ${e.message}`, { field: 'request' });
    }
    const { value, error } = JSON.parse(m[name](text, secret, ...rest));
    if (error) throw makeError('SigV4Error', error.code, error.message, { field: error.field });
    return value;
  };
  return {
    sigv4Explain: (request, secret) => call('sigv4ExplainJson', request, secret),
    sigv4Verify: (request, secret, now) => call('sigv4VerifyJson', request, secret, now ?? undefined),
  };
}
