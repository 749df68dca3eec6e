// OIDC workload identity in Node with a faked CI environment: a local server stands in
// for GitHub Actions' token endpoint (checking the request token and the audience), for
// the organization's token endpoint (answering the RFC 8693 exchange) and for the API;
// the Client is made from process.env as a CI job would make it. (Browsers have no
// environment or files: a page passes oidcTokenProvider, which the vectors cover.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import util from 'node:util';
import { AuthenticationError, Client } from '@clouddigit/sdk';

const REQUEST_TOKEN = 'gh-request-token-s3cr3t';
const AUDIENCE = 'https://iam.clouddigit.ai/acme';
const SERVICE_ACCOUNT = 'sa_deploy';
const VARS = [
  'CD_API_TOKEN', 'CD_BASE_URL', 'CD_SERVICE_ACCOUNT', 'CD_ORGANIZATION', 'CD_OIDC_AUDIENCE', 'CD_OIDC_TOKEN_FILE',
  'CD_OIDC_TOKEN_ENV', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'GITLAB_OIDC_TOKEN',
];
const TOKEN = {
  id: 'tok_1', name: 'ci', prefix: 'cd_AbC123', owner: { type: 'service_account', id: 'sa_deploy' },
  organization: 'acme', projects: ['web'], permissions: 'inherit', created_at: '2026-11-23T10:00:00Z',
  expires_at: null, allowed_ips: [], status: 'active', kind: 'api',
};

const jwt = (n) => `eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJjaS0${n}In0.c2lnbmF0dXJl${n}`;

function setEnv(vars) {
  for (const k of VARS) delete process.env[k];
  Object.assign(process.env, vars);
}

/** The fake CI platform and Cloud Digit; `seen` records what each endpoint got. */
async function fakeCloud() {
  const seen = { actions: [], exchanges: [], api: [], issued: 0, minted: 0, refuse: [], revoked: [] };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const send = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/_apis/pipelines/idtoken') {
        seen.actions.push({ url: req.url, authorization: req.headers.authorization });
        if (req.headers.authorization !== `Bearer ${REQUEST_TOKEN}`) return send(401, { message: 'bad request token' });
        if (url.searchParams.get('api-version') !== '2.0' || url.searchParams.get('audience') !== AUDIENCE) {
          return send(400, { message: 'audience' });
        }
        seen.issued += 1;
        return send(200, { count: 1, value: jwt(seen.issued) });
      }
      if (req.method === 'POST' && url.pathname === '/realms/acme/protocol/openid-connect/token') {
        const form = Object.fromEntries(new URLSearchParams(body));
        seen.exchanges.push(form);
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded'
          || form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange'
          || form.subject_token_type !== 'urn:ietf:params:oauth:token-type:jwt'
          || form.audience !== SERVICE_ACCOUNT) {
          return send(400, { error: 'invalid_request', error_description: 'form' });
        }
        if (seen.refuse.includes(form.subject_token)) {
          return send(400, { error: 'invalid_grant', error_description: `no trust matches ${form.subject_token}` });
        }
        seen.minted += 1;
        return send(200, {
          access_token: `minted-${seen.minted}`, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer', expires_in: 900,
        });
      }
      if (url.pathname === '/v1/iam/tokens/tok_1') {
        const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        seen.api.push(bearer);
        if (!bearer.startsWith('minted-') || seen.revoked.includes(bearer)) return send(401, { code: 'unauthenticated', message: 'no' });
        return send(200, TOKEN);
      }
      return send(404, { code: 'not_found', message: 'no' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
}

const githubEnv = (url, requestToken) => ({
  CD_BASE_URL: `${url}/v1`,
  CD_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
  CD_ORGANIZATION: 'acme',
  CD_OIDC_AUDIENCE: AUDIENCE,
  ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/_apis/pipelines/idtoken?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
});

test('GitHub Actions from process.env: one JWT and one exchange for many calls', async () => {
  const cloud = await fakeCloud();
  try {
    // A stale stored token does not win over the named service account.
    setEnv({ ...githubEnv(cloud.url, REQUEST_TOKEN), CD_API_TOKEN: 'cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA' });
    const client = new Client();
    setEnv({});
    // Concurrent calls share the one exchange.
    const got = await Promise.all([1, 2, 3].map(() => client.tokens.get('tok_1')));
    assert.deepEqual(got.map((t) => t.id), ['tok_1', 'tok_1', 'tok_1']);
    assert.equal(cloud.seen.actions.length, 1);
    assert.equal(cloud.seen.actions[0].authorization, `Bearer ${REQUEST_TOKEN}`);
    assert.equal(cloud.seen.exchanges.length, 1);
    assert.equal(cloud.seen.exchanges[0].subject_token, jwt(1));
    assert.deepEqual(cloud.seen.api, ['minted-1', 'minted-1', 'minted-1']);
  } finally {
    setEnv({});
    await cloud.close();
  }
});

test('a wrong request token is GitHub refusing, named, without the token', async () => {
  const cloud = await fakeCloud();
  try {
    setEnv(githubEnv(cloud.url, 'gh-other-s3cr3t'));
    const client = new Client();
    setEnv({});
    const e = await client.tokens.get('tok_1').then(() => assert.fail('refused'), (e) => e);
    assert.ok(e instanceof AuthenticationError, String(e));
    assert.equal(e.code, 'oidc_token_unavailable');
    assert.equal(e.status, 401);
    assert.match(e.message, /GitHub Actions/);
    assert.ok(!`${e.message} ${e.stack} ${util.inspect(e)}`.includes('s3cr3t'));
    assert.equal(cloud.seen.exchanges.length, 0);
  } finally {
    setEnv({});
    await cloud.close();
  }
});

test('a projected token file is read again for the next exchange', async () => {
  const cloud = await fakeCloud();
  const dir = mkdtempSync(join(tmpdir(), 'cd-oidc-'));
  try {
    const file = join(dir, 'token');
    writeFileSync(file, `${jwt(101)}\n`);
    const client = new Client({ baseUrl: `${cloud.url}/v1`, serviceAccount: SERVICE_ACCOUNT, organization: 'acme', oidcTokenFile: file });
    await client.tokens.get('tok_1');
    // The kubelet rotates the file; the API stops taking the first bearer.
    writeFileSync(file, jwt(102));
    cloud.seen.revoked.push('minted-1');
    await client.tokens.get('tok_1');
    assert.deepEqual(cloud.seen.exchanges.map((f) => f.subject_token), [jwt(101), jwt(102)]);
    assert.deepEqual(cloud.seen.api, ['minted-1', 'minted-1', 'minted-2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cloud.close();
  }
});

test('a GitLab id_token refused is invalid_grant, without the JWT', async () => {
  const cloud = await fakeCloud();
  cloud.seen.refuse.push(jwt(7));
  try {
    setEnv({
      CD_SERVICE_ACCOUNT: SERVICE_ACCOUNT, CD_ORGANIZATION: 'acme', CD_OIDC_TOKEN_ENV: 'GITLAB_OIDC_TOKEN', GITLAB_OIDC_TOKEN: jwt(7),
    });
    const client = new Client({ baseUrl: `${cloud.url}/v1` });
    // The variable is read when the exchange needs it.
    const e = await client.tokens.get('tok_1').then(() => assert.fail('refused'), (e) => e);
    assert.ok(e instanceof AuthenticationError, String(e));
    assert.equal(e.code, 'invalid_grant');
    assert.equal(e.status, 400);
    assert.match(e.message, /token exchange failed: no trust matches eyJ…/);
    assert.ok(!`${e.message} ${e.stack} ${util.inspect(e)}`.includes('c2lnbmF0dXJl'));
    assert.equal(cloud.seen.exchanges.length, 1);
  } finally {
    setEnv({});
    await cloud.close();
  }
});

test('an async oidcTokenProvider is asked with the audience', async () => {
  const cloud = await fakeCloud();
  try {
    const asked = [];
    const client = new Client({
      baseUrl: `${cloud.url}/v1`, serviceAccount: SERVICE_ACCOUNT, organization: 'acme', oidcAudience: AUDIENCE,
      oidcTokenProvider: async (audience) => { asked.push(audience); return jwt(55); },
    });
    await client.tokens.get('tok_1');
    assert.deepEqual(asked, [AUDIENCE]);
    assert.equal(cloud.seen.exchanges[0].subject_token, jwt(55));
  } finally {
    await cloud.close();
  }
});
