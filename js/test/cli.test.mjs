// The `clouddigit` bin of the installed package (npx @clouddigit/sdk): exit statuses,
// output, and that scan never prints a secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
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

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const SCAN = JSON.parse(readFileSync(join(vectorsDir, 'scan.json'), 'utf8'));
const secretFor = (stem, random) => stem + token(random).slice(3);
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
function git(cwd, ...args) {
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}
// The shared scan tree (tests/vectors/scan.json), in a git work tree.
function buildTree(root) {
  for (const [rel, text] of Object.entries(SCAN.files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text.replace(/\{([a-z%0-9A-F_]+):([A-Z])\}/g, (_, stem, name) => secretFor(stem, SCAN.tokens[name])));
  }
  git(root, 'init', '-q');
}
const pick = (f) => ({ file: f.file, line: f.line, column: f.column, prefix: f.prefix, kind: f.kind });

function validateSarif(doc) {
  assert.equal(doc.version, '2.1.0');
  assert.match(doc.$schema, /sarif-2\.1\.0/);
  assert.equal(doc.runs.length, 1);
  const { driver } = doc.runs[0].tool;
  assert.equal(driver.name, 'clouddigit');
  const ids = driver.rules.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const res of doc.runs[0].results) {
    assert.equal(res.ruleId, ids[res.ruleIndex]);
    assert.equal(res.level, 'error');
    const loc = res.locations[0].physicalLocation;
    assert.ok(loc.artifactLocation.uri && !loc.artifactLocation.uri.startsWith('./'));
    assert.ok(loc.region.startLine >= 1 && loc.region.endColumn > loc.region.startColumn);
    assert.match(res.partialFingerprints['clouddigitSecret/v1'], /^[0-9a-f]{32}$/);
  }
}

test('scan: the shared tree gives the vectors\' findings (gitignore, allow comment, hidden files)', () => {
  const root = mkdtempSync(join(tmpdir(), 'cd-scan-'));
  buildTree(join(root, 'tree'));
  let r = run(['scan', 'tree', '--json'], { cwd: root });
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).map(pick), SCAN.expect.map((e) => ({ ...e, file: `tree/${e.file}` })));
  const text = run(['scan', 'tree'], { cwd: root });
  assert.equal(text.stderr, `scanned ${SCAN.files_scanned} file(s): ${SCAN.expect.length} token(s) found, ${SCAN.allowed} allowed (clouddigit:allow)\n`);
  r = run(['scan', 'tree', '--json', '--no-gitignore'], { cwd: root });
  assert.deepEqual(JSON.parse(r.stdout).map((f) => f.file).sort(),
    [...SCAN.expect, ...SCAN.expect_also_without_gitignore].map((e) => `tree/${e.file}`).sort());
  for (const name of Object.keys(SCAN.tokens)) {
    for (const out of [r.stdout, r.stderr, text.stdout, text.stderr]) assert.ok(!out.includes(SCAN.tokens[name].slice(6)));
  }
  r = run(['scan', 'tree', '--sarif'], { cwd: root });
  assert.equal(r.status, 1);
  validateSarif(JSON.parse(r.stdout));
  // Baseline: today's findings are known, a new one is not.
  assert.equal(run(['scan', 'tree', '--write-baseline', 'base.json'], { cwd: root }).status, 0);
  r = run(['scan', 'tree', '--baseline', 'base.json'], { cwd: root });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const fresh = token('N'.repeat(36));
  writeFileSync(join(root, 'tree', 'new.env'), `T=${fresh}\n`);
  r = run(['scan', 'tree', '--baseline', 'base.json'], { cwd: root });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, `tree/new.env:1:3: Cloud Digit token ${fresh.slice(0, 9)}…\n`);
});

test('scan --stdin, and bad input exits 2', () => {
  const secret = token('S'.repeat(36));
  let r = run(['scan', '--stdin'], { input: `one\ntwo ${secret}\n` });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, `<stdin>:2:5: Cloud Digit token ${secret.slice(0, 9)}…\n`);
  assert.equal(run(['scan', '--stdin'], { input: 'nothing\n' }).status, 0);
  for (const args of [['scan'], ['scan', join(dir, 'nowhere')], ['scan', '--stdin', 'x'], ['scan', '.', '--json', '--sarif']]) {
    r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('scan --git finds a token committed then deleted, with its commit', () => {
  const repo = mkdtempSync(join(tmpdir(), 'cd-git-'));
  git(repo, 'init', '-q');
  const secret = token('G'.repeat(36));
  writeFileSync(join(repo, 'README'), 'hello\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'first');
  writeFileSync(join(repo, 'config.env'), `A=1\nTOKEN=${secret}\n`);
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'oops');
  const leakedIn = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'rm', '-q', 'config.env');
  git(repo, 'commit', '-qm', 'remove it');
  assert.equal(run(['scan', '.'], { cwd: repo }).status, 0);
  let r = run(['scan', '--git'], { cwd: repo });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, `${leakedIn.slice(0, 12)}:config.env:2:7: Cloud Digit token ${secret.slice(0, 9)}…\n`);
  assert.equal(r.stderr, 'scanned 2 blob(s): 1 token(s) found\n');
  r = run(['scan', '--git', 'HEAD', '--json', '--repo', repo]);
  const [f] = JSON.parse(r.stdout);
  assert.equal(f.commit, leakedIn);
  assert.ok(!r.stdout.includes(secret.slice(9)));
  assert.equal(run(['scan', '--git', 'HEAD~2'], { cwd: repo }).status, 0);
  r = run(['scan', '--git', 'no-such-ref'], { cwd: repo });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^clouddigit scan: --git: /);
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
