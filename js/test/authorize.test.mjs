// Runs tests/vectors/authorize.json against the installed @clouddigit/sdk package,
// comparing decisions exactly as tests/rust/authorize.rs does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ClouddigitError,
  EvaluateError,
  PreparedToken,
  authorize,
  catalog,
  effectivePermissions,
  expandPermission,
  resolveRoute,
} from '@clouddigit/sdk';
import { listed, unreached } from './codes.mjs';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const file = JSON.parse(readFileSync(`${vectorsDir}/authorize.json`, 'utf8'));

// What the runner compares: allowed, reason, the failed checks in order and, when the
// case names one, the mapped permission.
const project = (decision, expect) => {
  const out = {
    allowed: decision.allowed,
    reason: decision.reason,
    failed: decision.checks.filter((c) => c.outcome === 'fail').map((c) => c.check),
  };
  if (expect.permission !== undefined) out.permission = decision.permission;
  return out;
};

const prepared = new Map();
const preparedToken = (name) => {
  if (!prepared.has(name)) prepared.set(name, new PreparedToken(file.tokens[name]));
  return prepared.get(name);
};

test('vectors file has cases and effective cases', () => {
  assert.ok(file.cases.length >= 40);
  assert.ok(file.effective.length >= 1);
});

const reasonsSeen = new Set();
for (const c of file.cases) {
  test(`authorize: ${c.name}`, () => {
    const token = file.tokens[c.token];
    const owner = file.owners[c.owner];
    assert.ok(token && owner, 'fixtures exist');
    const decision = authorize(token, owner, c.request, c.policy);
    reasonsSeen.add(decision.reason);
    assert.deepEqual(project(decision, c.expect), c.expect);
    // Every reason but `allowed` is a check.
    assert.equal(decision.checks.length, listed('authorize').length - 1);
    assert.ok(decision.message.length > 0);
    for (const check of decision.checks) assert.ok(check.detail.length > 0);
    // The prepared token decides identically.
    assert.deepEqual(preparedToken(c.token).authorize(owner, c.request, c.policy), decision);
  });
}

test('every reason is reached by some case', () => {
  assert.deepEqual(unreached('authorize', reasonsSeen), []);
});

for (const c of file.effective) {
  test(`effective: ${c.name}`, () => {
    const token = file.tokens[c.token];
    const owner = file.owners[c.owner];
    assert.deepEqual(effectivePermissions(token, owner, c.project), c.permissions);
    assert.deepEqual(preparedToken(c.token).effectivePermissions(owner, c.project ?? undefined), c.permissions);
  });
}

test('a misspelt downscoped permission throws EvaluateError with the field and a suggestion', () => {
  const token = { ...file.tokens.alice_down, permissions: ['compute.servers.list', 'compute.server.get'] };
  assert.throws(() => new PreparedToken(token), (err) => {
    assert.ok(err instanceof EvaluateError && err instanceof ClouddigitError && err instanceof Error);
    assert.equal(err.name, 'EvaluateError');
    assert.equal(err.code, 'unknown_permission');
    assert.equal(err.field, 'permissions[1]');
    assert.equal(err.suggestion, 'compute.servers.get');
    assert.match(err.message, /did you mean compute\.servers\.get\?/);
    return true;
  });
});

test('a bad allowed IP, a request without action and a wrong shape throw EvaluateError', () => {
  const owner = file.owners.alice;
  const request = { time: '2026-11-23T10:00:00Z', action: 'compute.servers.list', project: 'web' };
  const badIp = { ...file.tokens.alice_inherit, allowed_ips: ['10.0.0.1/8'] };
  assert.throws(() => authorize(badIp, owner, request), (err) => {
    assert.ok(err instanceof EvaluateError);
    assert.equal(err.code, 'invalid_allowed_ip');
    assert.equal(err.field, 'allowed_ips[0]');
    return true;
  });
  assert.throws(() => authorize(file.tokens.alice_inherit, owner, { time: request.time }), (err) => {
    assert.ok(err instanceof EvaluateError);
    assert.equal(err.code, 'missing_action');
    assert.equal(err.field, 'request');
    return true;
  });
  assert.throws(() => authorize(file.tokens.alice_inherit, 'alice', request), (err) => {
    assert.ok(err instanceof EvaluateError);
    assert.equal(err.code, 'invalid_input');
    assert.equal(err.field, 'owner');
    return true;
  });
  // The module survives every throw.
  assert.equal(authorize(file.tokens.alice_inherit, owner, request).allowed, true);
});

test('decisions and prepared tokens never show a secret', () => {
  const secret = 'cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA';
  const token = { ...file.tokens.alice_inherit, prefix: secret.slice(0, 9) };
  const p = new PreparedToken(token);
  const decision = p.authorize(file.owners.alice, { time: '2026-11-23T10:00:00Z', action: 'compute.servers.list', project: 'web' });
  for (const text of [String(p), JSON.stringify(decision), JSON.stringify(token)]) {
    assert.ok(!text.includes(secret.slice(9, 17)), text);
  }
  assert.equal(p.prefix, 'cd_a1B2c3');
  assert.match(String(p), /^PreparedToken\(tok_\w+ ".*" cd_a1B2c3…\)$/);
  p.free();
});

test('catalog, routes and wildcards', () => {
  const c = catalog();
  assert.equal(typeof c.version, 'string');
  assert.deepEqual(c.roles.map((r) => r.name), ['read_only', 'member', 'admin', 'org_admin', 'org_owner']);
  assert.equal(c.roles[0].inherits, null);
  assert.ok(c.permissions.length > 100);
  assert.ok(c.permissions.every((p) => /^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$/.test(p.name) && p.routes.length > 0));
  assert.equal(resolveRoute('GET', '/v1/compute/servers/s-1'), 'compute.servers.get');
  assert.equal(resolveRoute('get', '/v1/compute/servers/?page=2'), 'compute.servers.list');
  assert.equal(resolveRoute('GET', '/v1/compute/nothing'), undefined);
  const servers = expandPermission('compute.servers.*');
  assert.ok(servers.length > 1 && servers.every((n) => n.startsWith('compute.servers.')));
  const names = c.permissions.map((p) => p.name);
  assert.deepEqual(servers, names.filter((n) => servers.includes(n)), 'catalog order');
  assert.deepEqual(expandPermission('compute.servers.list'), ['compute.servers.list']);
  assert.deepEqual(expandPermission('nope.*'), []);
  assert.deepEqual(expandPermission('*'), []);
});

test('PreparedToken.check (the hot path) answers every vector as authorize does, through both of its paths', async () => {
  const { PreparedOwner } = await import('@clouddigit/sdk');
  let compared = 0;
  for (const c of file.cases) {
    const r = c.request;
    if (r.resource_tags || r.organization || c.policy) continue;
    const action = r.action ?? (r.method && r.path ? `${r.method} ${r.path}` : null);
    if (action === null) continue;
    const token = preparedToken(c.token);
    const owner = new PreparedOwner(file.owners[c.owner]);
    const t = Date.parse(r.time);
    assert.equal(token.check(owner, action, r.project ?? null, r.ip ?? null, t), c.expect.reason, c.name);
    assert.equal(token.check(owner, action, r.project ?? undefined, r.ip ?? undefined, t), c.expect.reason, c.name);
    // Non-ASCII text and text longer than the call buffer take the generated path.
    if (r.project) assert.equal(token.check(owner, action, `${r.project}é`, r.ip ?? null, t), token.check(owner, action, `${r.project}e`, r.ip ?? null, t));
    compared += 1;
  }
  assert.ok(compared > 40, `${compared}`);

  const c = file.cases.find((x) => x.expect.reason === 'allowed' && x.request.action && x.request.project && !x.policy && !x.request.organization && !x.request.resource_tags);
  const token = preparedToken(c.token);
  const owner = new PreparedOwner(file.owners[c.owner]);
  const t = Date.parse(c.request.time);
  const args = [c.request.project, c.request.ip ?? null, t];
  assert.equal(token.check(owner, c.request.action, ...args), 'allowed');
  assert.equal(token.check(owner, 'x'.repeat(5000), ...args), 'unknown_action');
  assert.equal(token.check(owner, `${c.request.action}\u00e9`, ...args), 'unknown_action');
  // A grown wasm memory (a large validation allocates) detaches old views; checks go on.
  const { checkAllowedIps } = await import('@clouddigit/sdk');
  checkAllowedIps(Array.from({ length: 20000 }, (_, i) => `10.${i % 250}.${i % 200}.0/24`).join('\n'));
  assert.equal(token.check(owner, c.request.action, ...args), 'allowed');
  // Wrong types still throw as the generated binding does, and the module survives.
  assert.throws(() => token.check(owner, 7, ...args));
  assert.throws(() => token.check({}, c.request.action, ...args));
  assert.equal(token.check(owner, c.request.action, ...args), 'allowed');
});
