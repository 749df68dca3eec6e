// Node's fetch follows redirects by itself (https down to http included): the SDK asks
// the core instead, as every host does. The token goes only back to the origin it was
// meant for, and plain http only to this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Client, ConfigError, NotFoundError, TransportError } from '@clouddigit/sdk';

const TOKEN = 'cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA';

/** A local server answering with `reply(req)`; `seen` holds each request's path and headers. */
async function server(reply) {
  const seen = [];
  const s = createServer((req, res) => {
    seen.push({ path: req.url, headers: req.headers });
    const { status, headers = {}, body = '' } = reply(req);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  });
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${s.address().port}`, seen, close: () => new Promise((r) => s.close(r)) };
}

const notFound = () => ({ status: 404, body: JSON.stringify({ code: 'not_found', message: 'no', request_id: 'r' }) });

test('a redirect to another origin leaves the token behind', async () => {
  const other = await server(notFound);
  const first = await server(() => ({ status: 307, headers: { location: `${other.url}/v1/iam/whoami` } }));
  try {
    const client = new Client({ token: TOKEN, baseUrl: `${first.url}/v1`, maxRetries: 0 });
    await assert.rejects(client.whoami(), NotFoundError);
    assert.match(first.seen[0].headers.authorization, /^Bearer cd_/);
    assert.equal(other.seen.length, 1, 'followed');
    assert.equal(other.seen[0].headers.authorization, undefined, 'the token stayed home');
  } finally {
    await other.close();
    await first.close();
  }
});

test('a redirect on the same origin keeps it', async () => {
  const s = await server((req) => (req.url === '/v1/iam/whoami' ? { status: 308, headers: { location: '/v1/iam/whoami2' } } : notFound()));
  try {
    await assert.rejects(new Client({ token: TOKEN, baseUrl: `${s.url}/v1`, maxRetries: 0 }).whoami(), NotFoundError);
    assert.deepEqual(s.seen.map((x) => x.path), ['/v1/iam/whoami', '/v1/iam/whoami2']);
    assert.match(s.seen[1].headers.authorization, /^Bearer cd_/);
  } finally {
    await s.close();
  }
});

test('plain http elsewhere is refused, before any call and on a redirect', async () => {
  assert.throws(() => new Client({ token: TOKEN, baseUrl: 'http://api.example.com/v1' }), (e) => e instanceof ConfigError && e.code === 'insecure_base_url');
  new Client({ token: TOKEN, baseUrl: 'http://api.example.com/v1', allowInsecureHttp: true });
  const s = await server(() => ({ status: 302, headers: { location: 'http://192.0.2.1/v1/iam/whoami' } }));
  try {
    await assert.rejects(new Client({ token: TOKEN, baseUrl: `${s.url}/v1`, maxRetries: 0 }).whoami(), (e) => e instanceof TransportError && /plain http/.test(e.message));
  } finally {
    await s.close();
  }
});
