// Runs tests/vectors/validate_token.json and validate_service_account.json against the
// installed @clouddigit/sdk, comparing exactly as tests/rust/validate.rs does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EvaluateError, validateServiceAccount, validateToken } from '@clouddigit/sdk';
import { unreached } from './codes.mjs';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const load = (name) => JSON.parse(readFileSync(`${vectorsDir}/${name}`, 'utf8'));

const seen = new Set();

function compare(name, got, expect) {
  for (const key of ['errors', 'warnings']) {
    const want = expect[key];
    const have = got[key].map((i, n) => {
      seen.add(i.code);
      assert.ok(i.message, `${name}: ${key}[${n}] has no message`);
      return want[n] && want[n].length > 2 ? [i.field, i.code, i.suggestion] : [i.field, i.code];
    });
    assert.deepEqual(have, want, `${name}: ${key}`);
  }
  assert.equal(got.valid, expect.valid, `${name}: valid`);
  assert.ok(got.preview.summary, `${name}: summary`);
  for (const [k, want] of Object.entries(expect.preview ?? {})) {
    const have = got.preview[k] ?? null;
    if (k === 'scopes') {
      assert.deepEqual(have.map((s) => s.project), want.map((s) => s.project), `${name}: scopes`);
      want.forEach((w, i) => {
        if (w.permissions) assert.deepEqual(have[i].permissions, w.permissions, `${name}: scopes[${i}]`);
        else assert.ok(have[i].permissions.length > 0, `${name}: scopes[${i}] empty`);
      });
    } else {
      assert.deepEqual(have, want, `${name}: preview.${k}`);
    }
  }
}

test('validate_token.json', () => {
  for (const c of load('validate_token.json').cases) compare(c.name, validateToken(c.input), c.expect);
});

test('validate_service_account.json', () => {
  for (const c of load('validate_service_account.json').cases) compare(c.name, validateServiceAccount(c.input), c.expect);
});

test('every code is reached', () => {
  assert.deepEqual(unreached('validate', seen), []);
});

test('wrong shape throws a typed error naming the argument', () => {
  assert.throws(() => validateToken({ draft: {}, owner: 'nobody', now: 'x' }), (e) => e instanceof EvaluateError && e.code === 'invalid_input' && e.field === 'request');
});

test('arguments cross as JSON: Maps, Sets and Dates keep their data, the path names the bad field', () => {
  const c = load('validate_token.json').cases.find((x) => x.expect.valid && x.input.owner.type === 'user');
  assert.ok(c, 'a valid vector owned by a user');
  const expected = validateToken(c.input);
  const roles = new Map(Object.entries(c.input.owner.project_roles ?? {}));
  const withMap = { ...c.input, owner: { ...c.input.owner, project_roles: roles }, now: new Date(c.input.now) };
  if (Array.isArray(c.input.draft.projects)) withMap.draft = { ...c.input.draft, projects: new Set(c.input.draft.projects) };
  assert.deepEqual(validateToken(withMap), expected);

  const bad = structuredClone(c.input);
  bad.draft.name = 7;
  assert.throws(() => validateToken(bad), (e) => e instanceof EvaluateError && e.code === 'invalid_input' && e.field === 'request'
    && e.message === 'request.draft.name: invalid type: integer `7`, expected a string');
  bad.draft.name = 'ok';
  bad.draft.permissions = ['compute.servers.list', 7];
  assert.throws(() => validateToken(bad), (e) => e instanceof EvaluateError && e.message.startsWith('request.draft.permissions: '));
  assert.throws(() => validateToken({ ...c.input, now: () => 1 }), (e) => e instanceof EvaluateError && e.code === 'invalid_input'
    && /"now": a function is not data/.test(e.message));
  assert.throws(() => validateToken({ ...c.input, owner: { ...c.input.owner, project_roles: new Map([[1, 'member']]) } }),
    (e) => e instanceof EvaluateError && /Map key must be a string/.test(e.message));
  const cyclic = structuredClone(c.input);
  cyclic.draft.self = cyclic;
  assert.throws(() => validateToken(cyclic), (e) => e instanceof EvaluateError && e.code === 'invalid_input');
  // The module survives every throw.
  assert.deepEqual(validateToken(c.input), expected);
});
