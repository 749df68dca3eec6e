// The `clouddigit` bin of the installed package (npx @clouddigit/sdk): exit statuses,
// output, and that scan never prints a secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';

const bin = join(process.cwd(), 'node_modules', '.bin', 'clouddigit');
const run = (args, opts = {}) => spawnSync(bin, args, { encoding: 'utf8', ...opts });
const dir = mkdtempSync(join(tmpdir(), 'cd-cli-'));

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function token(random) {
  let n = zlib.crc32(Buffer.from(random));
  let sum = '';
  for (let i = 0; i < 6; i++) { sum = ALPHABET[n % 62] + sum; n = Math.floor(n / 62); }
  return `cd_${random}${sum}`;
}

const tokenJson = { id: 't', name: 'n', prefix: 'cd_aaaaaa', owner: { type: 'user', id: 'u' }, organization: 'acme', projects: ['web'], permissions: ['compute.servers.list'], created_at: '2026-11-01T00:00:00Z', expires_at: '2099-01-01T00:00:00Z', allowed_ips: [] };
const ownerJson = { type: 'user', id: 'u', organization: 'acme', status: 'active', project_roles: { web: 'member' } };
writeFileSync(join(dir, 't.json'), JSON.stringify(tokenJson));
writeFileSync(join(dir, 'o.json'), JSON.stringify(ownerJson));

test('check: 0 when allowed, 1 when denied, 2 on bad input', () => {
  const base = ['check', '--token', join(dir, 't.json'), '--owner', join(dir, 'o.json'), '--project', 'web'];
  let r = run([...base, '--action', 'compute.servers.list']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ALLOW compute\.servers\.list/);
  r = run([...base, '--call', 'POST /v1/compute/servers', '--json']);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout)[0].decision.reason, 'not_in_token_permissions');
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...tokenJson, permissions: ['compute.servers.lst'] }));
  r = run(['check', '--token', join(dir, 'bad.json'), '--owner', join(dir, 'o.json'), '--action', 'compute.servers.list']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /bad\.json: permissions\[0\].*compute\.servers\.list/);
});

test('scan prints file:line and the prefix only, exit 1', () => {
  const secret = token('a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ');
  mkdirSync(join(dir, 'repo', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'repo', 'sub', '.env'), `A=1\nCD_API_TOKEN=${secret}\n`);
  writeFileSync(join(dir, 'repo', 'look-alike.txt'), `cd_${'x'.repeat(42)}\n`);
  const r = run(['scan', join(dir, 'repo')]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, `${join(dir, 'repo', 'sub', '.env')}:2:14: Cloud Digit token ${secret.slice(0, 9)}…\n`);
  assert.ok(!r.stdout.includes(secret.slice(9)) && !r.stderr.includes(secret.slice(9)));
  assert.equal(run(['scan', join(dir, 'repo', 'look-alike.txt')]).status, 0);
});

test('catalog, least-privilege, validate, lint', () => {
  let r = run(['catalog', 'object_lock', '--json']);
  assert.equal(r.status, 0);
  assert.ok(JSON.parse(r.stdout).permissions.some((p) => p.name === 'storage.buckets.disable_object_lock' && p.step_up));
  r = run(['least-privilege', '-', '--json'], { input: 'GET /v1/compute/servers\nGET /v1/compute/servers/s-1\n' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).permissions, ['compute.servers.get', 'compute.servers.list']);
  writeFileSync(join(dir, 'draft.json'), JSON.stringify({ draft: { name: '', projects: ['web'] }, owner: ownerJson, now: '2026-11-23T10:00:00Z' }));
  r = run(['validate', join(dir, 'draft.json')]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /error {3}name: .*\[name_required\]/);
  writeFileSync(join(dir, 'inv.jsonl'), `${JSON.stringify({ ...tokenJson, expires_at: null })}\n`);
  r = run(['lint', join(dir, 'inv.jsonl'), '--now', '2026-11-23T10:00:00Z', '--json']);
  assert.equal(r.status, 1);
  assert.deepEqual(JSON.parse(r.stdout).map((f) => f.code), ['never_expires']);
});

test('trust check: 0 accepted, 1 refused, 2 bad input; says when the signature was not checked', () => {
  const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
  const oidc = JSON.parse(readFileSync(join(vectorsDir, 'oidc.json'), 'utf8'));
  const c = oidc.cases.find((x) => x.name === 'RS256 token from main matches the branch trust');
  writeFileSync(join(dir, 'trusts.json'), JSON.stringify(c.trusts));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(oidc.jwks));
  writeFileSync(join(dir, 'token.jwt'), `${c.jwt}\n`);
  const base = ['trust', 'check', '--trust', join(dir, 'trusts.json'), '--now', new Date(c.now * 1000).toISOString()];
  let r = run([...base, '--jwt', join(dir, 'token.jwt'), '--jwks', join(dir, 'jwks.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^signature: ok: verified with the JWKS's key "rsa-1"$/m);
  assert.match(r.stdout, /^trust trust_deploy: does not match\n(.*\n)*? {4}FAIL {2}subject /m);
  assert.match(r.stdout, /accepted by trust trust_main \(signature verified\)\n$/);
  r = run([...base, '--jwt', '-'], { input: c.jwt });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^signature: NOT CHECKED: no JWKS was given/m);
  const tampered = oidc.cases.find((x) => x.name === 'claims changed after signing');
  r = run([...base, '--jwt', '-', '--jwks', join(dir, 'jwks.json'), '--json'], { input: tampered.jwt });
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).signature, 'bad_signature');
  r = run([...base, '--jwt', join(dir, 'trusts.json')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(c.jwt));
  writeFileSync(join(dir, 'draft.json'), JSON.stringify({ ...c.trusts[0], audiences: [] }));
  r = run(['trust', 'validate', join(dir, 'draft.json')]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^error {3}audiences: .*\[audience_required\]$/m);
});
