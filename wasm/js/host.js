// The host side of the API client (wasm/src/client/): what the Rust code cannot say
// itself (async iteration, timers) and where it runs. Browsers keep the defaults; the
// Node entry (js/node.js) calls setHost with the environment, the token file and the
// readers of files and variables (OIDC), so nothing here touches `process` or the file
// system.

let host = {
  name: 'browser',
  env: () => null,
  tokenFile: () => null,
  tokenFilePath: '~/.config/cd/token',
  readFile: () => {
    throw new Error('a browser has no files: give oidcTokenProvider');
  },
  readEnv: () => null,
  configFile: () => null,
  keychain: () => null,
};

/** Called once by js/node.js. */
export function setHost(h) {
  host = { ...host, ...h };
}

export function hostName() {
  return host.name;
}

/** `{CD_API_TOKEN, CD_BASE_URL, CD_REGION, CD_LOG}` (strings or null), or null. */
export function hostEnv() {
  return host.env();
}

/** `{path, contents, mode}` of ~/.config/cd/token, or null when there is none. */
export function hostTokenFile() {
  return host.tokenFile();
}

export function hostTokenFilePath() {
  return host.tokenFilePath;
}

/** A file's text (an OIDC token file, read for every exchange); throws why not. */
export function hostReadFile(path) {
  return host.readFile(path);
}

/** An environment variable's value, or null. */
export function hostReadEnv(name) {
  return host.readEnv(name) ?? null;
}

/** `{path, contents, mode}` of ~/.config/cd/config.json (the profiles' settings), or null. */
export function hostConfigFile() {
  return host.configFile() ?? null;
}

/** The profile's token in the OS keychain, or null; throws why it cannot be read. */
export function hostKeychain(profile) {
  return host.keychain(profile) ?? null;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Aborts `controller` after `ms` (one attempt's timeout); returns what clearTimer takes. */
export function abortAfter(controller, ms) {
  return setTimeout(() => controller.abort(), ms);
}

export function clearTimer(id) {
  clearTimeout(id);
}

/** A fresh idempotency key. */
export function randomKey() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(Math.random() * 16).toString(16);
  return hex;
}

/**
 * A list as an async iterable: each `for await` walks the pages from the first
 * (`pager.restart()`), fetching the next one (`nextPage()`: the items, or null after
 * the last page) when the items run out.
 */
export function paginated(pager) {
  return {
    async *[Symbol.asyncIterator]() {
      const walk = pager.restart();
      try {
        for (let items; (items = await walk.nextPage()) !== null; ) yield* items;
      } finally {
        walk.free();
      }
    },
  };
}

/** A list that could not start (bad options): rejects on the first step. */
export function failing(error) {
  return {
    // eslint-disable-next-line require-yield
    async *[Symbol.asyncIterator]() {
      throw error;
    },
  };
}

/** A failed fetch or body read, with its cause (Node: `fetch failed: other side closed`). */
export function failureMessage(error) {
  const message = error?.message ?? String(error);
  const cause = error?.cause;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${message}: ${detail}` : message;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether the connection was never made (Node says why; browsers do not). */
export function isConnectFailure(error) {
  const code = error?.cause?.code ?? error?.cause?.errors?.[0]?.code;
  return CONNECT_CODES.has(code);
}

export function debugLog(line) {
  console.debug(line);
}
