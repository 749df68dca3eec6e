// Node entry of @clouddigit/sdk: loads the wasm synchronously from the package.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clientEnvVars, initSync, PreparedToken, Secret, __callTextBuffer, __reasonCodes } from '../dist/wasm/clouddigit_wasm.js';
import { setHost } from '../dist/wasm/host.js';
import { installFastCheck } from './fast_check.js';
import { sigv4Functions } from './sigv4.js';
import { trustFunctions } from './trust.js';

const wasm = initSync({ module: readFileSync(new URL('../dist/wasm/clouddigit_wasm_bg.wasm', import.meta.url)) });
installFastCheck(wasm.memory, PreparedToken, __callTextBuffer, __reasonCodes);

// The API client's environment in Node (docs/client.md): the variables the session names
// for the client and for s3Config (clientEnvVars) and ~/.config/cd/token. The session decides what they mean and which
// wins (a token file readable by group or others is refused); this only reads.
setHost({
  name: 'node',
  env: () => Object.fromEntries(clientEnvVars().filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
  tokenFile: () => {
    const path = join(homedir(), '.config', 'cd', 'token');
    try {
      const mode = statSync(path).mode & 0o777;
      return { path, contents: readFileSync(path, 'utf8'), mode };
    } catch {
      return null;
    }
  },
  // What the session asks for an OIDC token exchange: the token file (read for every
  // exchange, so a rotated one is seen) and the variable named by CD_OIDC_TOKEN_ENV.
  readFile: (path) => readFileSync(path, 'utf8'),
  readEnv: (name) => process.env[name] ?? null,
  // ~/.config/cd/config.json: the profiles' settings (the session reads them).
  configFile: () => {
    try {
      return readFileSync(join(homedir(), '.config', 'cd', 'config.json'), 'utf8');
    } catch {
      return null;
    }
  },
  // Read only when the session says no earlier credential wins (keychain_profile).
  keychain: (profile) => keychain().get(profile),
});

// The OS keychain through the optional dependency @napi-rs/keyring (keyring-rs, the
// library the Python package and the Rust SDK use: one entry, service "clouddigit",
// account the profile). Loaded on first use; without it there is no keychain.
let keyring;
export function keychain() {
  keyring ??= (() => {
    try {
      return createRequire(import.meta.url)('@napi-rs/keyring');
    } catch {
      return null;
    }
  })();
  const entry = (profile) => {
    if (!keyring) throw new Error('no keychain available: the optional package @napi-rs/keyring is not installed');
    // Pinned to the Secret Service on Linux: its default falls back to the kernel's
    // keyring, which `clouddigit configure` never writes.
    return new keyring.Entry('clouddigit', profile, { linux: { store: 'secret-service' } });
  };
  return {
    get: (profile) => entry(profile).getPassword() ?? null,
    set: (profile, secret) => entry(profile).setPassword(secret),
    delete: (profile) => entry(profile).deleteCredential(),
  };
}

// util.inspect (console.log) shows a Secret as its prefix, like String() and JSON.
Secret.prototype[Symbol.for('nodejs.util.inspect.custom')] = function inspect() {
  return `Secret(${this.toString()})`;
};

// SigV4 and JWT verification run in the command's module, loaded once on the first
// call (js/sigv4.js, js/trust.js).
let cli;
const loadCli = () => (cli ??= import('../dist/cli/clouddigit_cli.js').then((m) => {
  m.initSync({ module: readFileSync(new URL('../dist/cli/clouddigit_cli_bg.wasm', import.meta.url)) });
  return m;
}));
export const { sigv4Explain, sigv4Verify } = sigv4Functions(loadCli);
export const { checkTrust } = trustFunctions(loadCli);

export * from '../dist/wasm/clouddigit_wasm.js';
export * from '../dist/wasm/errors.js';
