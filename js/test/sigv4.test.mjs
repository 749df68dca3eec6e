// Runs tests/vectors/sigv4.json (botocore-signed S3 requests) and sigv4_aws_suite.json
// (the AWS SigV4 test suite's cases S3 signs alike) through the installed
// @clouddigit/sdk's sigv4Verify and sigv4Explain, as core/tests/sigv4_vectors.rs does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClouddigitError, SigV4Error, sigv4Explain, sigv4Verify } from '@clouddigit/sdk';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const load = (name) => JSON.parse(readFileSync(`${vectorsDir}/${name}`, 'utf8'));
const files = { 'sigv4.json': load('sigv4.json'), 'sigv4_aws_suite.json': load('sigv4_aws_suite.json') };

/** A vector's request as a person pastes it: a URL, header pairs, the body's hash. */
function pasted({ method, path, query, headers, body_sha256 }) {
  const request = { method, url: `http://example.test${path}${query ? `?${query}` : ''}`, headers };
  if (body_sha256 !== undefined) request.body_sha256 = body_sha256;
  return request;
}

const seen = new Set();

for (const [file, { cases }] of Object.entries(files)) {
  test(`${file} has cases`, () => assert.ok(cases.length >= 20, `${cases.length}`));
  for (const c of cases) {
    test(`${file}: ${c.name}`, async () => {
      const request = pasted(c.request);
      const verdict = await sigv4Verify(request, c.secret, c.now);
      seen.add(verdict.ok ? 'ok' : verdict.code);
      assert.equal(verdict.ok ? 'ok' : verdict.code, c.expect, JSON.stringify(verdict));
      assert.equal(verdict.message === null, verdict.ok);
      if (verdict.message !== null) assert.ok(!verdict.message.includes(c.secret));
      if (c.expect === 'ok' || c.expect === 'SignatureDoesNotMatch') {
        const x = await sigv4Explain(request, c.secret);
        assert.equal(x.matches, c.expect === 'ok');
        assert.equal(x.matches, x.expected_signature === x.given_signature);
        if (c.canonical_request) assert.equal(x.canonical_request, c.canonical_request);
      }
    });
  }
}

test('every code is reached (ok and each S3 error code)', () => {
  const all = ['ok', 'AccessDenied', 'AuthorizationHeaderMalformed', 'AuthorizationQueryParametersError', 'RequestTimeTooSkewed', 'SignatureDoesNotMatch'];
  assert.deepEqual(all.filter((c) => !seen.has(c)), []);
});

test('headers as an object read as pairs do', async () => {
  const c = files['sigv4.json'].cases[0];
  const pairs = pasted(c.request);
  const object = { ...pairs, headers: Object.fromEntries(c.request.headers) };
  assert.deepEqual(await sigv4Explain(object, c.secret), await sigv4Explain(pairs, c.secret));
});

test('no signature: SigV4Error with the S3 code, never the secret', async () => {
  const secret = 'cdsk/EXAMPLE+secret0123456789abcdefghijklm';
  await assert.rejects(sigv4Explain({ method: 'GET', url: '/bucket/key' }, secret), (err) => {
    assert.ok(err instanceof SigV4Error && err instanceof ClouddigitError && err instanceof Error);
    assert.equal(err.name, 'SigV4Error');
    assert.equal(err.code, 'MissingSecurityHeader');
    assert.equal(err.field, 'request');
    return true;
  });
  assert.deepEqual(await sigv4Verify({ method: 'GET', url: '/' }, secret), {
    ok: false, code: 'MissingSecurityHeader', message: 'the request is not signed',
  });
  // The secret where a key or a header goes is not echoed back.
  const pastedSecret = { method: 'GET', url: '/', headers: { Authorization: secret, 'X-Amz-Date': '20261124T120000Z' } };
  const verdict = await sigv4Verify(pastedSecret, secret);
  assert.equal(verdict.code, 'AuthorizationHeaderMalformed');
  assert.ok(!verdict.message.includes(secret), verdict.message);
  await assert.rejects(sigv4Explain({ method: 'GET', url: '/', [secret]: 1 }, secret), (err) => {
    assert.equal(err.code, 'invalid_input');
    assert.ok(err.message.startsWith('request'), err.message);
    assert.ok(!err.message.includes(secret) && !String(err).includes(secret), err.message);
    return true;
  });
  await assert.rejects(sigv4Verify({ method: 'GET', url: '/' }, secret, 'yesterday'), (err) => {
    assert.equal(err.code, 'invalid_input');
    assert.equal(err.field, 'now');
    return true;
  });
  // Not data at all: a SigV4Error too, as for any argument of the wrong shape.
  await assert.rejects(sigv4Explain({ method: 'GET', url: '/', headers: { Host: () => 'x' } }, secret), (err) => {
    assert.ok(err instanceof SigV4Error, String(err));
    assert.equal(err.code, 'invalid_input');
    return true;
  });
});
