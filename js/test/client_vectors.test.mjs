// The client conformance vectors (tests/vectors/client.json) through the installed
// package's public Client: its driver loop must produce the script's transcript and
// outcomes exactly, as the Rust SDK's and the Python package's do. The same file runs in
// headless Chromium through js/browser.js (js/test/browser/vectors.test.mjs).
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { ApiError, Client, Secret } from '@clouddigit/sdk';

// The replay is the session crate's checker in a test-only wasm module (dist/replay/,
// built by scripts/build-npm.sh, not part of the package).
const replayUrl = process.env.CLOUDDIGIT_REPLAY ?? new URL('../../dist/replay/clouddigit_replay.js', import.meta.url).href;
const replayModule = await import(replayUrl);
if (typeof window === 'undefined') {
  replayModule.initSync({ module: readFileSync(new URL('clouddigit_replay_bg.wasm', new URL(replayUrl, 'file:///'))) });
} else {
  await replayModule.default();
}
const { ClientReplay } = replayModule;

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const { cases } = JSON.parse(readFileSync(`${vectorsDir}/client.json`, 'utf8'));

const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/** A vector's snake_case options as this host spells them, with the replay as I/O. */
function options(c, replay) {
  const o = {};
  for (const [k, v] of Object.entries(c.options ?? {})) {
    o[camel(k)] = k === 'client_credentials' ? Object.fromEntries(Object.entries(v).map(([a, b]) => [camel(a), b])) : v;
  }
  if (c.provider) o.tokenProvider = () => replay.provide();
  if (c.oidc_provider) o.oidcTokenProvider = (audience) => replay.provideOidc(audience);
  o.onRetry = (info) => replay.retried({ retry: info.retry, wait_ms: info.waitMs, cause: info.cause });
  o._io = replay;
  return o;
}

/** A result as JSON: a Secret as its redacted text (what JSON.stringify writes). */
const json = (v) => JSON.parse(JSON.stringify(v ?? null, (_, x) => (x instanceof Secret ? x.toString() : x)));

const errorJson = (e) => ({
  kind: e.kind, code: e.code, status: e.status, retries: e.retries,
  retry_after_ms: e.retryAfterMs ?? null, field_errors: e.fieldErrors ?? [],
});

async function outcome(f) {
  try {
    let r = await f();
    if (r && typeof r[Symbol.asyncIterator] === 'function') {
      const items = [];
      for await (const x of r) items.push(x);
      r = items;
    }
    return { ok: json(r) };
  } catch (e) {
    if (e instanceof ApiError) return { error: errorJson(e) };
    throw e;
  }
}

for (const c of cases) {
  test(`client vector: ${c.name}`, async () => {
    const replay = new ClientReplay(c);
    let client;
    let failed = null;
    try {
      client = new Client(options(c, replay));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      failed = { error: errorJson(e) };
    }
    const outcomes = [];
    for (const call of c.calls) {
      if (failed) {
        outcomes.push(failed);
        continue;
      }
      const path = call.method.split('.');
      const name = path.pop();
      const target = path.reduce((o, p) => o[p], client);
      outcomes.push(await outcome(() => target[name](...call.args)));
    }
    replay.finish(outcomes); // throws naming the first difference
    replay.free();
  });
}
