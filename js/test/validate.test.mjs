// Runs tests/vectors/validate_token.json and validate_service_account.json against the
// installed @clouddigit/sdk, comparing exactly as tests/rust/validate.rs does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EvaluateError, validateServiceAccount, validateToken } from '@clouddigit/sdk';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const load = (name) => JSON.parse(readFileSync(`${vectorsDir}/${name}`, 'utf8'));

const ALL_CODES = [
  'name_required', 'name_too_long', 'name_invalid_characters', 'name_taken', 'organization_mismatch',
  'owner_inactive', 'projects_required', 'project_unknown', 'project_no_role', 'all_projects_not_allowed',
  'permissions_empty', 'permission_unknown', 'permission_not_in_role', 'permission_organization_level',
  'expiry_invalid', 'expiry_in_past', 'expiry_beyond_max_lifetime', 'expiry_never_forbidden', 'invalid_cidr',
  'prefix_too_long', 'host_bits_set', 'allowed_ips_required', 'description_too_long', 'role_invalid',
  'tag_selector_invalid', 'tag_selector_duplicate_key', 'service_account_limit_reached', 'creator_not_admin',
  'expiry_never', 'lifetime_over_90_days', 'allowed_ips_missing', 'name_suggests_automation',
  'mixed_environments', 'permission_partial', 'permission_needs_step_up', 'all_projects_scope', 'duplicate',
  'covered', 'allows_all',
];

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
  for (const code of ALL_CODES) assert.ok(seen.has(code), `no vector reaches ${code}`);
});

test('wrong shape throws a typed error naming the argument', () => {
  assert.throws(() => validateToken({ draft: {}, owner: 'nobody', now: 'x' }), (e) => e instanceof EvaluateError && e.code === 'invalid_input' && e.field === 'request');
});
