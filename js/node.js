// Node entry of @clouddigit/sdk: loads the wasm synchronously from the package.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { initSync, PreparedToken, Secret, __callTextBuffer, __reasonCodes } from '../dist/wasm/clouddigit_wasm.js';
import { setHost } from '../dist/wasm/host.js';
import { installFastCheck } from './fast_check.js';

const wasm = initSync({ module: readFileSync(new URL('../dist/wasm/clouddigit_wasm_bg.wasm', import.meta.url)) });
installFastCheck(wasm.memory, PreparedToken, __callTextBuffer, __reasonCodes);

// The API client's defaults in Node (docs/client.md): CD_BASE_URL, CD_REGION, CD_LOG and,
// when no credentials are given, CD_API_TOKEN then ~/.config/cd/token. The core decides
// what they mean (a token file readable by group or others is refused); this only reads.
setHost({
  name: 'node',
  env: () => {
    const e = process.env;
    return {
      CD_API_TOKEN: e.CD_API_TOKEN ?? null,
      CD_BASE_URL: e.CD_BASE_URL ?? null,
      CD_REGION: e.CD_REGION ?? null,
      CD_LOG: e.CD_LOG ?? null,
      CD_ALLOW_INSECURE_HTTP: e.CD_ALLOW_INSECURE_HTTP ?? null,
    };
  },
  tokenFile: () => {
    const path = join(homedir(), '.config', 'cd', 'token');
    try {
      const mode = statSync(path).mode & 0o777;
      return { path, contents: readFileSync(path, 'utf8'), mode };
    } catch {
      return null;
    }
  },
});

// util.inspect (console.log) shows a Secret as its prefix, like String() and JSON.
Secret.prototype[Symbol.for('nodejs.util.inspect.custom')] = function inspect() {
  return `Secret(${this.toString()})`;
};

export * from '../dist/wasm/clouddigit_wasm.js';
export * from '../dist/wasm/errors.js';
