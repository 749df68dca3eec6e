// The API Client of the installed @clouddigit/sdk against the real sandbox binary on an
// ephemeral port, scenario for scenario as client/tests/sandbox.rs runs the Rust SDK:
// the token lifecycle, downscoping, pagination, retries under injected faults,
// idempotent creates, client credentials, credential providers, redaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import util from 'node:util';
import {
  ApiError,
  AuthenticationError,
  Client,
  ConfigError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  Secret,
  ServerError,
  TimeoutError,
  TransportError,
  ValidationError,
} from '@clouddigit/sdk';
import { startSandbox } from './sandbox.mjs';

/** Runs `body` with a fresh sandbox (its own database and clock). */
function withSandbox(name, body) {
  test(name, async () => {
    const sbx = await startSandbox();
    try {
      await body(sbx);
    } finally {
      await sbx.stop();
    }
  });
}

const client = (sbx, token, extra = {}) => new Client({ baseUrl: sbx.base, token, ...extra });

async function collect(iterable, max = Infinity) {
  const out = [];
  for await (const x of iterable) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
}

/** The rejection of `promise`, asserting its class. */
async function failure(promise, Class) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e?.constructor?.name}: ${e?.message}`);
    assert.ok(e instanceof ApiError && e instanceof Error);
    return e;
  }
  assert.fail(`expected ${Class.name}, the call succeeded`);
}

function recorder() {
  const seen = [];
  return { seen, onRetry: (info) => seen.push(info) };
}

withSandbox('create, use, rotate, both work within grace, old refused after, revoke', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const created = await owner.tokens.create({
    name: 'laptop', projects: ['web', 'data'], expiry: '90d', allowed_ips: '127.0.0.0/8',
  });
  assert.ok(created.secret instanceof Secret);
  const secret = created.secret.reveal();
  assert.equal(created.token.prefix, secret.slice(0, 9));
  assert.ok(!util.inspect(created).includes(secret.slice(9)));

  const first = client(sbx, secret);
  const me = await first.whoami();
  assert.equal(me.token.id, created.token.id);
  assert.equal(me.ip, '127.0.0.1');

  const rotation = await first.tokens.rotate(created.token.id);
  assert.ok(rotation.replaces.grace_ends_at);
  assert.equal(rotation.replaces.id, created.token.id);
  const second = client(sbx, rotation.secret.reveal());
  await first.whoami();
  await second.whoami();

  await sbx.advanceClock(691200); // 8 days: past the 7-day grace
  const e = await failure(first.whoami(), AuthenticationError);
  assert.equal(e.kind, 'authentication');
  await second.whoami();

  await second.tokens.revoke(rotation.token.id);
  const gone = await failure(second.whoami(), AuthenticationError);
  assert.equal(gone.status, 401);
  assert.ok(gone.requestId);
  assert.equal(gone.retries, 0);
  assert.ok(!gone.message.includes(rotation.secret.reveal().slice(9)));
});

withSandbox('a bad draft fails locally, before any create', async (sbx) => {
  const dev = client(sbx, await sbx.userToken('u_dev', ['web']));
  const draft = {
    name: 'x', projects: 'all', permissions: ['compute.servers.lsit'], allowed_ips: '10.0.0.0/8\n300.1.1.1',
  };
  const e = await failure(dev.tokens.create(draft), ValidationError);
  assert.equal(e.status, null);
  assert.equal(e.code, 'validation_failed');
  const fields = e.fieldErrors.map((f) => f.field);
  for (const f of ['projects', 'permissions[0]', 'allowed_ips[1]']) assert.ok(fields.includes(f), `${f} in ${fields}`);
  // validate() gives the same answer as a report, never a throw.
  const v = await dev.tokens.validate(draft);
  assert.equal(v.valid, false);
  assert.deepEqual(v.errors.map((i) => i.field).sort(), [...new Set(fields)].sort());
  // Nothing was created, and no create reached the API.
  assert.equal((await collect(dev.tokens.list())).length, 1);
  const owner = client(sbx, sbx.owner);
  const posts = (await collect(owner.audit.list())).filter((ev) => ev.method === 'POST' && ev.path === '/v1/iam/tokens');
  assert.equal(posts.length, 0);
});

withSandbox('a downscoped token gets 403 with the reason, and can() agrees', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const t = await owner.tokens.create({ name: 'reader', projects: ['web'], permissions: ['iam.tokens.list'] });
  const c = client(sbx, t.secret.reveal());
  // Before any whoami(), can() fetches it (the one contract on every host).
  assert.equal((await c.can('iam.tokens.list', 'web')).allowed, true);
  assert.equal((await collect(c.tokens.list(), 1)).length, 1);
  const e = await failure(collect(c.audit.list()), PermissionDeniedError);
  assert.equal(e.code, 'not_in_token_permissions');
  assert.equal(e.status, 403);
  await c.whoami();
  const d = await c.can('audit.events.list', 'web');
  assert.equal(d.allowed, false);
  assert.equal(d.reason, 'not_in_token_permissions');
  assert.equal((await c.can('iam.tokens.list', 'web')).allowed, true);
});

withSandbox('lists follow pages; audit pages newest first and exports JSON lines', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  for (let i = 0; i < 5; i++) await owner.tokens.create({ name: `t${i}`, projects: ['web'] });
  const list = owner.tokens.list({ limit: 2 });
  const names = (await collect(list)).map((t) => t.name);
  assert.equal(names.length, 6, names.join()); // the bootstrap token and five
  assert.equal(new Set(names).size, 6);
  // An iterable walks from the first page each time.
  assert.equal((await collect(list)).length, 6);
  // Three pages per walk, the later ones by cursor.
  const pages = (await collect(owner.audit.list(null, { limit: 50 })))
    .filter((ev) => ev.path === '/v1/iam/tokens' && ev.method === 'GET' && ev.query?.includes('limit=2'));
  assert.equal(pages.length, 6);
  assert.equal(pages.filter((ev) => ev.query.includes('cursor=')).length, 4);

  const events = await collect(owner.audit.list(null, { limit: 3 }), 7);
  assert.equal(events.length, 7);
  for (let i = 1; i < events.length; i++) assert.ok(events[i - 1].time >= events[i].time);
  const lines = await owner.audit.export();
  assert.equal(typeof lines, 'string');
  assert.ok(lines.trim().split('\n').length >= 7);
  assert.ok(!lines.includes(sbx.owner.slice(9)));
});

withSandbox('a 429 storm is ridden out; a long Retry-After fails fast', async (sbx) => {
  const r = recorder();
  const c = client(sbx, sbx.owner, { onRetry: r.onRetry });
  await sbx.faults({ count: 2, status: 429, retry_after_ms: 150 });
  await c.whoami();
  assert.deepEqual(r.seen, [
    { retry: 1, waitMs: 150, cause: 'HTTP 429' },
    { retry: 2, waitMs: 150, cause: 'HTTP 429' },
  ]);

  await sbx.faults({ count: 1, status: 429, retry_after: '120' });
  const started = Date.now();
  const e = await failure(c.whoami(), RateLimitError);
  assert.equal(e.retryAfterMs, 120000);
  assert.equal(e.code, 'rate_limited');
  assert.ok(Date.now() - started < 5000);
});

withSandbox('5xx retried within budget, over budget fails, x-should-retry wins, a cut read is retried', async (sbx) => {
  const r = recorder();
  const c = client(sbx, sbx.owner, { onRetry: r.onRetry });
  await sbx.faults({ count: 2, status: 503 });
  await c.whoami();
  assert.equal(r.seen.length, 2);

  r.seen.length = 0;
  await sbx.faults({ count: 3, status: 503 });
  const e = await failure(c.whoami(), ServerError);
  assert.equal(e.retries, 2);
  assert.equal(e.status, 503);
  assert.equal(r.seen.length, 2);

  r.seen.length = 0;
  await sbx.faults({ count: 1, status: 503, should_retry: false });
  await failure(c.whoami(), ServerError);
  assert.equal(r.seen.length, 0);

  // The connection is cut mid-response: a transport error, retried.
  await sbx.faults({ count: 1, drop: true });
  await c.whoami();
  assert.equal(r.seen.length, 1);
  assert.match(r.seen[0].cause, /connection/);
});

withSandbox('an interrupted create is retried with its key and creates one token', async (sbx) => {
  const r = recorder();
  const c = client(sbx, sbx.owner, { onRetry: r.onRetry });
  await sbx.faults({ count: 1, drop: true, method: 'POST', path_prefix: '/v1/iam/tokens' });
  const t = await c.tokens.create({ name: 'once', projects: ['web'] });
  assert.equal(r.seen.length, 1);
  const status = await sbx.faultStatus();
  assert.equal(status.plan, null, 'the fault was used');
  assert.equal(status.injected, 1);
  const named = (await collect(c.tokens.list())).filter((x) => x.name === 'once');
  assert.equal(named.length, 1);
  assert.equal(named[0].id, t.token.id);
});

withSandbox('client credentials: cached, survive an IdP outage, refreshed after a 401, wrong secret', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const sa = await owner.serviceAccounts.create({ name: 'deployer', project: 'web', role: 'member' });
  assert.ok(sa.client_secret instanceof Secret);
  assert.ok(!JSON.stringify(sa).includes(sa.client_secret.reveal()));
  const c = new Client({
    baseUrl: sbx.base,
    clientCredentials: { organization: 'acme', clientId: sa.client_id, clientSecret: sa.client_secret.reveal() },
  });
  const me = await c.whoami();
  assert.deepEqual(me.token.owner, { type: 'service_account', id: sa.service_account.id });
  const firstBearer = me.token.id;
  assert.equal((await c.whoami()).token.id, firstBearer, 'cached');
  // The identity provider failing while the bearer is valid changes nothing.
  await sbx.faults({ count: 5, status: 503, path_prefix: '/realms/' });
  assert.equal((await c.whoami()).token.id, firstBearer);
  await sbx.faults({ count: 0 });
  // The API's clock runs past the bearer's 300 seconds: the 401 makes the client fetch
  // a new bearer once and the call goes through.
  await sbx.advanceClock(301);
  const renewed = (await c.whoami()).token.id;
  assert.notEqual(renewed, firstBearer);

  const bad = new Client({
    baseUrl: sbx.base,
    clientCredentials: { organization: 'acme', clientId: sa.client_id, clientSecret: 'nope' },
  });
  const e = await failure(bad.whoami(), AuthenticationError);
  assert.ok(!e.message.includes('nope'));
});

withSandbox('concurrent calls with client credentials share one token request', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const sa = await owner.serviceAccounts.create({ name: 'batch', project: 'web', role: 'read_only' });
  const c = new Client({
    baseUrl: sbx.base,
    clientCredentials: { organization: 'acme', clientId: sa.client_id, clientSecret: sa.client_secret.reveal() },
  });
  const grants = async () => (await collect(owner.audit.list({ actor: 'batch' })))
    .filter((ev) => ev.path.startsWith('/realms/')).length;
  const results = await Promise.all(Array.from({ length: 8 }, () => c.whoami()));
  assert.equal(new Set(results.map((w) => w.token.id)).size, 1);
  assert.equal(await grants(), 1);
  assert.equal((await collect(owner.audit.list({ actor: 'batch' }))).filter((ev) => ev.path === '/v1/iam/whoami').length, 8);
  // The bearer dies early (the API's clock jumps): every concurrent call is refused once,
  // and all of them go through again on one new bearer.
  await sbx.advanceClock(301);
  const again = await Promise.all(Array.from({ length: 8 }, () => c.whoami()));
  assert.equal(new Set(again.map((w) => w.token.id)).size, 1);
  assert.notEqual(again[0].token.id, results[0].token.id);
  assert.equal(await grants(), 2);
});

withSandbox('credentials from a provider on each call; a bad checksum is refused first', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const a = await owner.tokens.create({ name: 'a', projects: ['web'] });
  let current = a.secret.reveal();
  let calls = 0;
  const c = new Client({ baseUrl: sbx.base, tokenProvider: () => { calls++; return current; } });
  assert.equal((await c.whoami()).token.name, 'a');
  const r = await c.tokens.rotate(a.token.id);
  current = r.secret.reveal();
  assert.equal((await c.whoami()).token.id, r.token.id);
  assert.equal(calls, 3);
  // An async provider works the same.
  const asyncClient = new Client({ baseUrl: sbx.base, tokenProvider: async () => current });
  assert.equal((await asyncClient.whoami()).token.id, r.token.id);

  const t = sbx.owner;
  const bad = `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`;
  let e;
  try {
    new Client({ baseUrl: sbx.base, token: bad });
  } catch (err) {
    e = err;
  }
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.code, 'bad_token');
  assert.equal(e.kind, 'config');
  assert.ok(!e.message.includes(bad.slice(9)), e.message);
  // A provider handing out a bad token fails the call, before it is sent.
  current = bad;
  const pe = await failure(c.whoami(), ConfigError);
  assert.equal(pe.code, 'bad_token');
  assert.ok(!pe.message.includes(bad.slice(9)));
  const thrower = new Client({ baseUrl: sbx.base, tokenProvider: () => { throw new Error('vault sealed'); } });
  const te = await failure(thrower.whoami(), ConfigError);
  assert.equal(te.code, 'token_provider_failed');
  assert.match(te.message, /vault sealed/);
});

withSandbox('secrets print redacted everywhere; reveal() gives the value', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const t = await owner.tokens.create({ name: 'printed', projects: ['web'] });
  const value = t.secret.reveal();
  assert.match(value, /^cd_[A-Za-z0-9]{42}$/);
  const shown = [String(t.secret), `${t.secret}`, JSON.stringify(t.secret), JSON.stringify(t), util.inspect(t.secret), util.inspect(t, { depth: 5 })];
  for (const s of shown) {
    assert.ok(!s.includes(value.slice(9)), s);
    assert.ok(s.includes(`${value.slice(0, 9)}…[redacted]`), s);
  }
  assert.equal(t.secret.prefix, value.slice(0, 9));
  assert.equal(String(t.secret), `${value.slice(0, 9)}…[redacted]`);
  // Debug logs name every request with the secret headers redacted.
  const lines = [];
  const original = console.debug;
  console.debug = (line) => lines.push(line);
  try {
    const r = recorder();
    const c = client(sbx, value, { debug: true, onRetry: r.onRetry });
    await sbx.faults({ count: 1, status: 503, retry_after_ms: 10 });
    await c.whoami();
  } finally {
    console.debug = original;
  }
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0], /^clouddigit: GET http:\/\/127\.0\.0\.1:\d+\/v1\/iam\/whoami \(attempt 1\) \[Authorization: \[redacted\];/);
  assert.match(lines[1], /^clouddigit: retry 1 in 10 ms \(HTTP 503\)$/);
  assert.match(lines[2], /\(attempt 2\).*X-Retry-Count: 1/);
  assert.match(lines[0], /User-Agent: clouddigit-sdk\/[\d.]+ \(node; core /);
  for (const l of lines) assert.ok(!l.includes(value.slice(9)));
});

withSandbox('service accounts, their tokens and access keys', async (sbx) => {
  const owner = client(sbx, sbx.owner);
  const sas = owner.serviceAccounts;
  const sa = await sas.create({ name: 'ci', project: 'web', role: 'member' });
  const id = sa.service_account.id;
  const t = await sas.tokens.create(id, { name: 'ci-token', allowed_ips: '127.0.0.1' });
  assert.deepEqual(t.token.projects, ['web']);
  // Validated against the account: a member may not hold an admin permission.
  const e = await failure(sas.tokens.create(id, { name: 'x', permissions: ['iam.service_accounts.delete'] }), ValidationError);
  assert.ok(e.fieldErrors.some((f) => f.field.startsWith('permissions')));
  assert.equal((await collect(sas.tokens.list(id))).length, 1);
  const r = await sas.tokens.rotate(id, t.token.id);
  assert.ok(r.secret instanceof Secret);
  await sas.tokens.revoke(id, r.token.id);
  const k = await sas.accessKeys.create(id);
  assert.ok(k.secret instanceof Secret);
  assert.ok(util.inspect(k).includes('[redacted]'));
  assert.equal((await collect(sas.accessKeys.list(id))).length, 1);
  await sas.accessKeys.delete(id, k.id);
  assert.equal((await collect(sas.accessKeys.list(id))).length, 0);
  assert.equal((await sas.update(id, { description: 'deploys web' })).description, 'deploys web');
  assert.equal((await sas.disable(id)).status, 'disabled');
  assert.equal((await sas.enable(id)).status, 'active');
  assert.ok((await collect(sas.list({ project: 'web' }))).some((s) => s.id === id));
  assert.equal(await sas.delete(id), undefined);
  await failure(sas.get(id), NotFoundError);
});

withSandbox("revoking a member's tokens", async (sbx) => {
  const dev = client(sbx, await sbx.userToken('u_dev', ['web']));
  await dev.whoami();
  await failure(dev.members.revokeTokens('u_dev'), PermissionDeniedError);
  const owner = client(sbx, sbx.owner);
  // The API's whole answer, now that the model carries what offboarding cascaded to.
  assert.deepEqual(await owner.members.revokeTokens('u_dev'), { revoked: 1, revoked_descendants: 0 });
  await failure(dev.whoami(), AuthenticationError);
  await failure(owner.members.revokeTokens('u_nobody'), NotFoundError);
});

withSandbox('Node: CD_API_TOKEN, ~/.config/cd/token (refused when others can read it), CD_BASE_URL', async (sbx) => {
  const saved = { ...process.env };
  const home = mkdtempSync(join(tmpdir(), 'cd-home-'));
  try {
    for (const k of ['CD_API_TOKEN', 'CD_BASE_URL', 'CD_REGION', 'CD_LOG']) delete process.env[k];
    process.env.HOME = home;
    assert.equal(new ConfigErrorProbe().code, 'no_credentials');
    mkdirSync(join(home, '.config', 'cd'), { recursive: true });
    const file = join(home, '.config', 'cd', 'token');
    writeFileSync(file, `${sbx.owner}\n`);
    chmodSync(file, 0o644);
    const open = new ConfigErrorProbe();
    assert.equal(open.code, 'token_file_too_open');
    assert.match(open.message, /chmod 600/);
    chmodSync(file, 0o600);
    process.env.CD_BASE_URL = sbx.base;
    assert.equal((await new Client().whoami()).token.name, 'sandbox-bootstrap');
    // The environment's token wins over the file; explicit options over the environment.
    process.env.CD_API_TOKEN = 'cd_notatoken';
    assert.equal(new ConfigErrorProbe().code, 'bad_token');
    process.env.CD_REGION = 'mars-1';
    assert.equal(new ConfigErrorProbe().code, 'unknown_region');
    assert.ok(new Client({ region: 'bd-ctg-1', token: sbx.owner }));
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(home, { recursive: true, force: true });
  }
});

/** The ConfigError `new Client()` throws with the current environment. */
function ConfigErrorProbe() {
  try {
    new Client();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('new Client() did not throw');
}

test('options are checked: unknown names and wrong types are ConfigErrors', () => {
  const token = 'cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA';
  assert.throws(() => new Client({ token, baseURL: 'http://x' }), (e) => e instanceof ConfigError && e.code === 'unknown_option');
  assert.throws(() => new Client({ token, maxRetries: -1 }), (e) => e instanceof ConfigError && e.code === 'bad_option');
  assert.throws(() => new Client({ token, baseUrl: 'ftp://x' }), (e) => e instanceof ConfigError && e.code === 'bad_base_url');
  assert.throws(() => new Client({ clientCredentials: { organization: 'acme' } }), ConfigError);
});

test('no answer within timeoutMs is a TimeoutError; a refused connection a TransportError', async () => {
  const sockets = new Set();
  const server = createServer(() => {}).listen(0, '127.0.0.1'); // never answers
  server.on('connection', (s) => sockets.add(s));
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address();
  const token = 'cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA';
  try {
    const r = recorder();
    const c = new Client({ baseUrl: `http://127.0.0.1:${port}/v1`, token, timeoutMs: 150, maxRetries: 1, onRetry: r.onRetry });
    const started = Date.now();
    const e = await failure(c.whoami(), TimeoutError);
    assert.equal(e.kind, 'timeout');
    assert.equal(e.retries, 1);
    assert.equal(r.seen[0].cause, 'timed out');
    assert.ok(Date.now() - started < 3000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
  // The same port, now closed.
  const closed = new Client({ baseUrl: `http://127.0.0.1:${port}/v1`, token, maxRetries: 0 });
  const e = await failure(closed.whoami(), TransportError);
  assert.equal(e.kind, 'transport');
  assert.equal(e.code, 'connect_failed');
  assert.equal(e.status, null);
});
