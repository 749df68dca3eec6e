// Browser and bundler entry of @clouddigit/sdk: fetches the wasm that sits beside the
// glue module (bundlers such as Vite and webpack 5 follow the `new URL(..., import.meta.url)`
// inside it) before any export is used, so importers never call an init function.
import init, { PreparedToken, Secret, __callTextBuffer, __reasonCodes } from '../dist/wasm/clouddigit_wasm.js';
import { installFastCheck } from './fast_check.js';

const wasm = await init();
installFastCheck(wasm.memory, PreparedToken, __callTextBuffer, __reasonCodes);

// Server-side rendering in Node through a bundler: util.inspect shows only the prefix.
Secret.prototype[Symbol.for('nodejs.util.inspect.custom')] = function inspect() {
  return `Secret(${this.toString()})`;
};

export * from '../dist/wasm/clouddigit_wasm.js';
export * from '../dist/wasm/errors.js';
