// s3Config against the installed @clouddigit/sdk: what `new S3Client(...)` takes, the
// session's endpoint rule (session/src/config.rs) and its environment, CD_S3_ENDPOINT_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, s3Config } from '@clouddigit/sdk';

const SECRET = 'cdsk/EXAMPLE+secret0123456789abcdefghijklm';
const isNode = typeof process?.versions?.node === 'string';

/** `fn()` with the environment variables `vars` set (Node only). */
function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('the region and ingress name the endpoint; buckets go in the path', () => {
  const clear = { CD_S3_ENDPOINT_URL: '', CD_REGION: '' };
  const run = (o) => (isNode ? withEnv(clear, () => s3Config(o)) : s3Config(o));
  assert.deepEqual(run(), { endpoint: 'https://s3.bd-dha-1.mymine.space', region: 'bd-dha-1', forcePathStyle: true });
  assert.deepEqual(run({ region: 'bd-ctg-1', ingress: 'canonical' }), {
    endpoint: 'https://s3.bd-ctg-1.clouddigit.ai', region: 'bd-ctg-1', forcePathStyle: true,
  });
  assert.equal(run({ endpointUrl: 'http://127.0.0.1:8788/' }).endpoint, 'http://127.0.0.1:8788');
});

test('absent, null and empty options are the defaults; the answer is plain data', () => {
  const x = s3Config();
  assert.deepEqual(s3Config(null), x);
  assert.deepEqual(s3Config({}), x);
  assert.deepEqual(s3Config({ region: null, endpointUrl: undefined }), x);
  assert.deepEqual(JSON.parse(JSON.stringify(x)), x);
  assert.equal('credentials' in x, false);
});

test('an access key passes through, a Secret revealed', () => {
  const plain = s3Config({ accessKeyId: 'CDAKEXAMPLE0123456789', secretAccessKey: SECRET });
  assert.deepEqual(plain.credentials, { accessKeyId: 'CDAKEXAMPLE0123456789', secretAccessKey: SECRET });
  // What accessKeys.create returns: its JSON is redacted, so it must be revealed, not stringified.
  const secretLike = { reveal: () => SECRET, toJSON: () => 'cdsk…[redacted]' };
  const revealed = s3Config({ accessKeyId: 'CDAKEXAMPLE0123456789', secretAccessKey: secretLike });
  assert.equal(revealed.credentials.secretAccessKey, SECRET);
});

test('bad options are ConfigErrors naming the option, without the secret', () => {
  const code = (o) => {
    try {
      s3Config(o);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(!err.message.includes(SECRET), err.message);
      // `config (code): <field>: why`
      return `${err.code} ${err.message.match(/^config \([a-z_]+\): ([a-z_]+):/)?.[1]}`;
    }
    return 'ok';
  };
  assert.equal(code({ region: 'us-east-1' }), 'unknown_region region');
  assert.equal(code({ endpointUrl: 's3.example.com' }), 'bad_endpoint_url endpoint_url');
  assert.equal(code({ endpointUrl: 'http://s3.example.com' }), 'insecure_endpoint_url endpoint_url');
  assert.equal(code({ endpointUrl: 'http://s3.example.com', allowInsecureHttp: true }), 'ok');
  assert.equal(code({ accessKeyId: 'CDAKEXAMPLE0123456789' }), 'incomplete_access_key secret_access_key');
  assert.equal(code({ secretAccessKey: SECRET }), 'incomplete_access_key access_key_id');
  assert.equal(code({ ingress: 'fast' }), 'bad_option ingress');
  assert.equal(code({ region: 5 }), 'bad_option region');
  assert.equal(code({ endpoint: 'https://x' }), 'unknown_option options');
  assert.equal(code('bd-dha-1'), 'bad_option options');
});

// Browsers have no environment: there the variables are not read at all.
if (isNode) test('CD_S3_ENDPOINT_URL and CD_REGION apply where the options say nothing (Node)', () => {
  withEnv({ CD_S3_ENDPOINT_URL: 'http://127.0.0.1:9000', CD_REGION: 'bd-syl-1' }, () => {
    assert.deepEqual(s3Config(), { endpoint: 'http://127.0.0.1:9000', region: 'bd-syl-1', forcePathStyle: true });
    assert.deepEqual(s3Config({ endpointUrl: 'https://objects.example.com', region: 'bd-dha-1' }), {
      endpoint: 'https://objects.example.com', region: 'bd-dha-1', forcePathStyle: true,
    });
  });
});
