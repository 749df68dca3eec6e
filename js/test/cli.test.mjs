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
  assert.deepEqual(JSON.parse(r.stdout).map((f) => f.code), ['never_expires', 'no_allow_list']);
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

const NOW = '2026-11-23T10:00:00Z';
const EVENTS = [
  { id: 'ev_1', time: NOW, token_prefix: 'cd_aaaaaa', method: 'GET', path: '/v1/compute/servers', project: 'web', status: 200, source_ip: '203.0.113.1' },
  { id: 'ev_2', time: NOW, token_prefix: 'cd_aaaaaa', method: 'POST', path: '/v1/compute/servers/s-1/start', project: 'web', status: 403, source_ip: '203.0.113.1' },
  { id: 'ev_3', time: NOW, token_prefix: 'cd_bbbbbb', method: 'DELETE', path: '/v1/compute/servers/s-1', project: 'web', status: 200, source_ip: '198.51.100.7', user_agent: 'GitLab-Runner 17.0' },
];
const API_TOKEN = {
  id: 'tok_1', name: 'deploy-bot', prefix: 'cd_aaaaaa', owner: { type: 'user', id: 'u' }, organization: 'acme',
  projects: ['web', 'data'], permissions: ['compute.servers.list', 'storage.*'], created_at: '2026-11-01T00:00:00Z',
  expires_at: '2026-12-20T00:00:00Z', allowed_ips: ['203.0.113.0/24'], status: 'active', kind: 'personal', last_used_at: '2026-11-22T00:00:00Z',
};
const jsonl = (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

test('least-privilege streams gzip from a file and standard input', () => {
  const gz = zlib.gzipSync(jsonl(EVENTS));
  writeFileSync(join(dir, 'events.jsonl.gz'), gz);
  const want = ['compute.servers.delete', 'compute.servers.list', 'compute.servers.start'];
  let r = run(['least-privilege', join(dir, 'events.jsonl.gz'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).permissions, want);
  assert.equal(JSON.parse(r.stdout).calls, 3);
  r = spawnSync(bin, ['least-privilege', '-', '--json'], { input: gz });
  assert.equal(r.status, 0, String(r.stderr));
  assert.deepEqual(JSON.parse(String(r.stdout)).permissions, want);
  // More than one chunk of the host's reads, a line cut between them.
  const many = jsonl(Array.from({ length: 12000 }, (_, i) => ({ ...EVENTS[i % 3], id: `ev_${i}` })));
  assert.ok(many.length > 1 << 20);
  writeFileSync(join(dir, 'many.jsonl'), many);
  r = run(['least-privilege', join(dir, 'many.jsonl'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).calls, 12000);
  writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, gz.length - 6));
  r = run(['least-privilege', join(dir, 'cut.gz')]);
  assert.equal(r.status, 2);
  assert.ok(r.stderr.startsWith(`clouddigit least-privilege: ${join(dir, 'cut.gz')}: not a valid gzip stream`), r.stderr);
});

test('least-privilege --against: what to remove, what is missing', () => {
  writeFileSync(join(dir, 'events.jsonl'), jsonl(EVENTS));
  writeFileSync(join(dir, 'api-token.json'), JSON.stringify(API_TOKEN));
  let r = run(['least-privilege', join(dir, 'events.jsonl'), '--against', join(dir, 'api-token.json'), '--json']);
  assert.equal(r.status, 1, r.stderr);
  const { against, calls, other_token_events: others } = JSON.parse(r.stdout);
  assert.deepEqual([calls, others], [2, 1]);
  assert.deepEqual(against.remove, ['storage.*']);
  assert.deepEqual(against.missing, ['compute.servers.start']);
  assert.deepEqual(against.unused_projects, ['data']);
  r = run(['least-privilege', join(dir, 'events.jsonl'), '--against', join(dir, 'api-token.json')]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^ {4}- storage\.\*$/m);
  assert.match(r.stdout, /^ {4}\+ compute\.servers\.start$/m);
});

test('lint: CI use by name and by audit, allow-lists, unused days, policy', () => {
  const inv = [API_TOKEN, { ...API_TOKEN, id: 'tok_2', name: 'alice', prefix: 'cd_bbbbbb' },
    { ...API_TOKEN, id: 'tok_3', name: 'old', prefix: 'cd_cccccc', allowed_ips: [], last_used_at: '2026-10-01T00:00:00Z' }];
  writeFileSync(join(dir, 'tokens.jsonl.gz'), zlib.gzipSync(jsonl(inv)));
  writeFileSync(join(dir, 'audit.jsonl'), jsonl(EVENTS));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ max_lifetime_days: 30 }));
  const r = run(['lint', join(dir, 'tokens.jsonl.gz'), '--now', NOW, '--audit', join(dir, 'audit.jsonl'),
    '--policy', join(dir, 'policy.json'), '--unused-days', '30', '--json']);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).map((f) => [f.prefix, f.code, f.severity]), [
    ['cd_aaaaaa', 'personal_token_ci_name', 'medium'],
    ['cd_aaaaaa', 'policy_max_lifetime', 'high'],
    ['cd_bbbbbb', 'personal_token_ci_usage', 'high'],
    ['cd_bbbbbb', 'policy_max_lifetime', 'high'],
    ['cd_cccccc', 'unused90_days', 'medium'],
    ['cd_cccccc', 'no_allow_list', 'low'],
    ['cd_cccccc', 'policy_max_lifetime', 'high'],
  ]);
});
