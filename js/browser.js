// Browser and bundler entry of @clouddigit/sdk: fetches the wasm that sits beside the
// glue module (bundlers such as Vite and webpack 5 follow the `new URL(..., import.meta.url)`
// inside it) before any export is used, so importers never call an init function.
import init, { PreparedToken, Secret, __callTextBuffer, __reasonCodes } from '../dist/wasm/clouddigit_wasm.js';
import { installFastCheck } from './fast_check.js';
import { auditFunctions } from './audit.js';
import { usageFunctions } from './usage.js';
import { sigv4Functions } from './sigv4.js';
import { trustFunctions } from './trust.js';

const wasm = await init();
installFastCheck(wasm.memory, PreparedToken, __callTextBuffer, __reasonCodes);

// Server-side rendering in Node through a bundler: util.inspect shows only the prefix.
Secret.prototype[Symbol.for('nodejs.util.inspect.custom')] = function inspect() {
  return `Secret(${this.toString()})`;
};

// SigV4, JWT verification and audit records run in the command's module, fetched once
// on the first call (js/sigv4.js, js/trust.js, js/audit.js); bundlers split it off and
// follow the `new URL(..., import.meta.url)` inside it.
let cli;
const loadCli = () => (cli ??= import('../dist/cli/clouddigit_cli.js').then(async (m) => {
  await m.default();
  return m;
}));
export const { sigv4Explain, sigv4Verify } = sigv4Functions(loadCli);
export const { checkTrust } = trustFunctions(loadCli);
export const { auditRecord, hashedToken } = auditFunctions(loadCli);
export const { tokenUsage, lintTokens } = usageFunctions(loadCli);

export * from '../dist/wasm/clouddigit_wasm.js';
export * from '../dist/wasm/errors.js';
