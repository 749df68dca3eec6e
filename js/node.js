// Node entry of @clouddigit/sdk: loads the wasm synchronously from the package.
import { readFileSync } from 'node:fs';
import { clientEnvVars, initSync, PreparedToken, Secret, __callTextBuffer, __reasonCodes } from '../dist/wasm/clouddigit_wasm.js';
import { setHost } from '../dist/wasm/host.js';
import { installFastCheck } from './fast_check.js';
import { nodeHost } from './node_host.js';
import { auditFunctions } from './audit.js';
import { usageFunctions } from './usage.js';
import { sigv4Functions } from './sigv4.js';
import { trustFunctions } from './trust.js';

const wasm = initSync({ module: readFileSync(new URL('../dist/wasm/clouddigit_wasm_bg.wasm', import.meta.url)) });
installFastCheck(wasm.memory, PreparedToken, __callTextBuffer, __reasonCodes);

// The API client's environment in Node (js/node_host.js): the variables the session names
// for the client and for s3Config (clientEnvVars), ~/.config/cd/token and config.json, and
// the profile's keychain entry.
setHost(nodeHost(clientEnvVars()));

// util.inspect (console.log) shows a Secret as its prefix, like String() and JSON.
Secret.prototype[Symbol.for('nodejs.util.inspect.custom')] = function inspect() {
  return `Secret(${this.toString()})`;
};

// SigV4, JWT verification and audit records run in the command's module, loaded once on
// the first call (js/sigv4.js, js/trust.js, js/audit.js).
let cli;
const loadCli = () => (cli ??= import('../dist/cli/clouddigit_cli.js').then((m) => {
  m.initSync({ module: readFileSync(new URL('../dist/cli/clouddigit_cli_bg.wasm', import.meta.url)) });
  return m;
}));
export const { sigv4Explain, sigv4Verify } = sigv4Functions(loadCli);
export const { checkTrust } = trustFunctions(loadCli);
export const { auditRecord, hashedToken } = auditFunctions(loadCli);
export const { tokenUsage, lintTokens } = usageFunctions(loadCli);

export * from '../dist/wasm/clouddigit_wasm.js';
export * from '../dist/wasm/errors.js';
