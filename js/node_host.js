// What the API client reads of a Node process (docs/client.md), for both wasm modules
// that carry the client: the SDK's (js/node.js) and the command's (js/cli.js). The
// session decides what these mean and which wins; this only reads.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
    if (!keyring) throw noKeychain('the optional package @napi-rs/keyring is not installed');
    // Pinned to the Secret Service on Linux: its default falls back to the kernel's
    // keyring, which `clouddigit configure` never writes.
    return new keyring.Entry('clouddigit', profile, { linux: { store: 'secret-service' } });
  };
  // Its errors all say GenericFailure; these words mean "no keychain in this session"
  // (no D-Bus, no Secret Service, no default collection, locked), which the command
  // answers by offering the token file.
  const call = (f) => {
    try {
      return f();
    } catch (e) {
      if (!e.unavailable && /DBus|D-Bus|platform storage|secrets|No such|locked|collection|NoStorageAccess/i.test(String(e.message))) {
        e.unavailable = true;
      }
      throw e;
    }
  };
  return {
    get: (profile) => call(() => entry(profile).getPassword() ?? null),
    set: (profile, secret) => call(() => entry(profile).setPassword(secret)),
    delete: (profile) => call(() => entry(profile).deleteCredential()),
  };
}

function noKeychain(why) {
  const e = new Error(`no keychain available: ${why}`);
  e.unavailable = true;
  return e;
}

const configDir = () => join(homedir(), '.config', 'cd');

/** The host hooks for `setHost`, given the variables the session names (`clientEnvVars`). */
export function nodeHost(envVars) {
  return {
    name: 'node',
    env: () => Object.fromEntries(envVars.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
    // ~/.config/cd/token: a file readable by group or others is refused by the session.
    tokenFile: () => {
      const path = join(configDir(), 'token');
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
    // ~/.config/cd/config.json: the profiles' settings (refused when others can write it).
    configFile: () => {
      const path = join(configDir(), 'config.json');
      try {
        const mode = statSync(path).mode & 0o777;
        return { path, contents: readFileSync(path, 'utf8'), mode };
      } catch {
        return null;
      }
    },
    // Read only when the session says no earlier credential wins (keychain_profile).
    keychain: (profile) => keychain().get(profile),
  };
}
