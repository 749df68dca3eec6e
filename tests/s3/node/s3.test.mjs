// The AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage, s3-request-presigner,
// unmodified, from npm) against the sandbox's S3 endpoint: a sandbox binary of its own
// (CLOUDDIGIT_SANDBOX_BIN, else target/debug/clouddigit-sandbox), service accounts and
// access keys made through the /v1 API as a user would, then the S3 calls people make.
//
// It also records which payload form the SDK chose for PutObject and UploadPart over
// plain http (x-amz-content-sha256, content-encoding, x-amz-trailer) and prints it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const REGION = 'bd-dha-1';
const sandboxBin =
  process.env.CLOUDDIGIT_SANDBOX_BIN ??
  fileURLToPath(new URL('../../../target/debug/clouddigit-sandbox', import.meta.url));

/** The sandbox binary on free ports; resolves once both listeners are up. */
async function startSandbox() {
  const dir = await mkdtemp(join(tmpdir(), 'cd-s3-node-'));
  const child = spawn(
    sandboxBin,
    ['--port', '0', '--token-file', join(dir, 'token'), '--no-console', '--rate-burst', '0', '--failure-burst', '0'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const urls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const api = out.match(/listening on (http:\/\/\S+)/);
      const s3 = out.match(/S3 endpoint at (http:\/\/\S+)/);
      if (api && s3) {
        clearTimeout(timer);
        resolve({ api: api[1], s3: s3[1] });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}): ${out}`)));
  });
  const owner = (await readFile(join(dir, 'token'), 'utf8')).trim();

  async function api(method, path, body) {
    const resp = await fetch(`${urls.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await resp.text();
    if (!resp.ok) throw new Error(`${method} ${path}: HTTP ${resp.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    ...urls,
    api,
    async account(name, role = 'member', extra = {}) {
      const body = { name, role, project: 'web', ...extra };
      return (await api('POST', '/v1/iam/service-accounts?project=web', body)).service_account.id;
    },
    async accessKey(saId) {
      const k = await api('POST', `/v1/iam/service-accounts/${saId}/access-keys`);
      // Not enumerable: no assertion message or inspected object prints the secret (the
      // leak sweep searches the suite's output for every issued secret).
      const key = { accessKeyId: k.id };
      Object.defineProperty(key, 'secretAccessKey', { value: k.secret, enumerable: false });
      return key;
    },
    async stop() {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let sbx;
let member;
let s3;

/** What the SDK put on the wire, per operation, after signing. */
const sent = [];

function s3Client(key) {
  const client = new S3Client({
    endpoint: sbx.s3,
    region: REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  });
  // After the signer, so the headers are the ones sent.
  client.middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      const h = args.request?.headers ?? {};
      const get = (name) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
      sent.push({
        op: context.commandName,
        sha256: get('x-amz-content-sha256'),
        encoding: get('content-encoding'),
        trailer: get('x-amz-trailer'),
        decodedLength: get('x-amz-decoded-content-length'),
        transferEncoding: get('transfer-encoding'),
        checksum: Object.keys(h).find((k) => /^x-amz-checksum-(?!algorithm)/i.test(k)),
      });
      return next(args);
    },
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'recordSentHeaders', override: true },
  );
  return client;
}

function describeSent(entry) {
  const sha = /^[0-9a-f]{64}$/.test(entry.sha256 ?? '') ? '<hex sha256 of the body>' : entry.sha256;
  return (
    `x-amz-content-sha256=${sha ?? '-'} content-encoding=${entry.encoding ?? '-'} ` +
    `x-amz-trailer=${entry.trailer ?? '-'} x-amz-decoded-content-length=${entry.decodedLength ?? '-'} ` +
    `transfer-encoding=${entry.transferEncoding ?? '-'} checksum-header=${entry.checksum ?? '-'}`
  );
}

const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

async function bodyBytes(resp) {
  return Buffer.from(await resp.Body.transformToByteArray());
}

async function rejectsWith(promise, name) {
  const err = await promise.then(
    () => null,
    (e) => e,
  );
  assert.ok(err, `expected ${name}, the call succeeded`);
  // Name, status and message only: never the whole error (its request carries the key id
  // and signature; nothing more, but keep the output small).
  assert.equal(err.name, name, `expected ${name}, got ${err.name} (HTTP ${err.$metadata?.httpStatusCode}): ${err.message}`);
  return err;
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool(items, width, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

before(async () => {
  sbx = await startSandbox();
  member = await sbx.accessKey(await sbx.account('node-member'));
  s3 = s3Client(member);
});

after(async () => {
  s3?.destroy();
  await sbx?.stop();
});

test('CreateBucket, PutObject (string and Buffer), GetObject, HeadObject', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-basics' }));
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: 'node-basics',
      Key: 'hello.txt',
      Body: 'héllo, sandbox\n',
      ContentType: 'text/plain; charset=utf-8',
      Metadata: { owner: 'web' },
    }),
  );
  assert.equal(put.ETag, `"${md5(Buffer.from('héllo, sandbox\n'))}"`);

  const buf = randomBytes(70000);
  await s3.send(new PutObjectCommand({ Bucket: 'node-basics', Key: 'dir/blob.bin', Body: buf }));

  const got = await s3.send(new GetObjectCommand({ Bucket: 'node-basics', Key: 'hello.txt' }));
  assert.equal(await got.Body.transformToString(), 'héllo, sandbox\n');
  assert.equal(got.ContentType, 'text/plain; charset=utf-8');
  assert.deepEqual(got.Metadata, { owner: 'web' });
  assert.equal(got.ETag, put.ETag);

  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'node-basics', Key: 'dir/blob.bin', Range: 'bytes=100-1099' }));
  assert.equal(ranged.ContentRange, `bytes 100-1099/${buf.length}`);
  assert.equal(ranged.ContentLength, 1000);
  assert.ok((await bodyBytes(ranged)).equals(buf.subarray(100, 1100)));
  const tail = await s3.send(new GetObjectCommand({ Bucket: 'node-basics', Key: 'dir/blob.bin', Range: 'bytes=-10' }));
  assert.ok((await bodyBytes(tail)).equals(buf.subarray(buf.length - 10)));

  const whole = await s3.send(new GetObjectCommand({ Bucket: 'node-basics', Key: 'dir/blob.bin' }));
  assert.ok((await bodyBytes(whole)).equals(buf));

  const head = await s3.send(new HeadObjectCommand({ Bucket: 'node-basics', Key: 'dir/blob.bin' }));
  assert.equal(head.ContentLength, buf.length);
  assert.equal(head.ETag, `"${md5(buf)}"`);
  assert.ok(head.LastModified instanceof Date);

  await rejectsWith(s3.send(new HeadObjectCommand({ Bucket: 'node-basics', Key: 'missing' })), 'NotFound');
  await rejectsWith(s3.send(new GetObjectCommand({ Bucket: 'node-basics', Key: 'missing' })), 'NoSuchKey');
  await rejectsWith(s3.send(new GetObjectCommand({ Bucket: 'node-no-such-bucket', Key: 'k' })), 'NoSuchBucket');
});

test('ListObjectsV2 with Prefix and Delimiter', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-list' }));
  const keys = ['a.txt', 'docs/one.txt', 'docs/two.txt', 'docs/deep/three.txt', 'img/x.png', 'sp ace+plus/ü.txt'];
  await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: 'node-list', Key, Body: Key }))));

  const root = await s3.send(new ListObjectsV2Command({ Bucket: 'node-list', Delimiter: '/' }));
  assert.deepEqual(root.Contents.map((o) => o.Key), ['a.txt']);
  assert.deepEqual(root.CommonPrefixes.map((p) => p.Prefix), ['docs/', 'img/', 'sp ace+plus/']);
  assert.equal(root.KeyCount, 4);
  assert.equal(root.IsTruncated, false);

  const docs = await s3.send(new ListObjectsV2Command({ Bucket: 'node-list', Prefix: 'docs/', Delimiter: '/' }));
  assert.deepEqual(docs.Contents.map((o) => o.Key), ['docs/one.txt', 'docs/two.txt']);
  assert.deepEqual(docs.CommonPrefixes.map((p) => p.Prefix), ['docs/deep/']);
  assert.equal(docs.Contents[0].Size, 'docs/one.txt'.length);

  const all = await s3.send(new ListObjectsV2Command({ Bucket: 'node-list' }));
  assert.deepEqual(all.Contents.map((o) => o.Key), [...keys].sort());
  const after = await s3.send(new ListObjectsV2Command({ Bucket: 'node-list', StartAfter: 'docs/two.txt' }));
  assert.deepEqual(after.Contents.map((o) => o.Key), ['img/x.png', 'sp ace+plus/ü.txt']);
});

test('paginateListObjectsV2 over 1,100 keys, then DeleteObjects', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-many' }));
  const keys = Array.from({ length: 1100 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
  await pool(keys, 24, (Key) => s3.send(new PutObjectCommand({ Bucket: 'node-many', Key, Body: Key })));

  const pages = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'node-many' })) pages.push(page);
  assert.deepEqual(pages.map((p) => p.KeyCount), [1000, 100]);
  assert.deepEqual(pages.flatMap((p) => p.Contents.map((o) => o.Key)), keys);
  assert.equal(pages[0].IsTruncated, true);
  assert.ok(pages[0].NextContinuationToken);
  assert.equal(pages[1].IsTruncated, false);

  const small = [];
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 300 }, { Bucket: 'node-many', Prefix: 'k/00' })) {
    small.push(page.Contents.length);
  }
  assert.deepEqual(small, [300, 300, 300, 100]);

  // DeleteObjects takes at most 1,000 keys a request.
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const out = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'node-many', Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
    );
    assert.equal(out.Errors?.length ?? 0, 0);
  }
  const left = await s3.send(new ListObjectsV2Command({ Bucket: 'node-many' }));
  assert.equal(left.KeyCount, 0);
  assert.equal(left.Contents, undefined);
});

test('CopyObject, DeleteObject, DeleteObjects, object tagging', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-copy' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'node-copy-dst' }));
  const body = randomBytes(4096);
  await s3.send(new PutObjectCommand({ Bucket: 'node-copy', Key: 'src file+ü.bin', Body: body, Tagging: 'env=dev' }));

  const copied = await s3.send(
    new CopyObjectCommand({
      Bucket: 'node-copy-dst',
      Key: 'copy.bin',
      CopySource: `node-copy/${encodeURIComponent('src file+ü.bin')}`,
    }),
  );
  assert.equal(copied.CopyObjectResult.ETag, `"${md5(body)}"`);
  const back = await s3.send(new GetObjectCommand({ Bucket: 'node-copy-dst', Key: 'copy.bin' }));
  assert.ok((await bodyBytes(back)).equals(body));

  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: 'node-copy',
      Key: 'src file+ü.bin',
      Tagging: { TagSet: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'web site' }] },
    }),
  );
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'node-copy', Key: 'src file+ü.bin' }));
  assert.deepEqual(
    tags.TagSet.map((t) => [t.Key, t.Value]).sort(),
    [['env', 'prod'], ['team', 'web site']],
  );

  await s3.send(new DeleteObjectCommand({ Bucket: 'node-copy-dst', Key: 'copy.bin' }));
  await rejectsWith(s3.send(new HeadObjectCommand({ Bucket: 'node-copy-dst', Key: 'copy.bin' })), 'NotFound');
  // Deleting what is not there succeeds, as in S3.
  await s3.send(new DeleteObjectCommand({ Bucket: 'node-copy-dst', Key: 'copy.bin' }));

  await s3.send(new PutObjectCommand({ Bucket: 'node-copy', Key: 'b', Body: 'b' }));
  const del = await s3.send(
    new DeleteObjectsCommand({
      Bucket: 'node-copy',
      Delete: { Objects: [{ Key: 'src file+ü.bin' }, { Key: 'b' }, { Key: 'never-there' }] },
    }),
  );
  assert.deepEqual(del.Deleted.map((d) => d.Key).sort(), ['b', 'never-there', 'src file+ü.bin']);
  assert.equal(del.Errors, undefined);
  assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'node-copy' }))).KeyCount, 0);
});

test('multipart with lib-storage Upload: a 12 MB Buffer and a stream', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-multipart' }));
  const data = randomBytes(12 * 1024 * 1024);

  const fromBuffer = new Upload({ client: s3, params: { Bucket: 'node-multipart', Key: 'buffer.bin', Body: data } });
  const parts = [];
  fromBuffer.on('httpUploadProgress', (p) => parts.push(p.part));
  const out = await fromBuffer.done();
  // 5 MiB parts by default: 5 + 5 + 2.
  assert.match(out.ETag, /^"[0-9a-f]{32}-3"$/);
  assert.deepEqual([...new Set(parts)].sort(), [1, 2, 3]);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'node-multipart', Key: 'buffer.bin' }));
  assert.equal(got.ContentLength, data.length);
  assert.equal(sha256(await bodyBytes(got)), sha256(data));

  // A stream of uneven chunks, 6 MiB parts, two at a time.
  async function* chunks() {
    for (let off = 0; off < data.length; off += 777777) yield data.subarray(off, off + 777777);
  }
  const fromStream = new Upload({
    client: s3,
    params: { Bucket: 'node-multipart', Key: 'stream.bin', Body: Readable.from(chunks()) },
    partSize: 6 * 1024 * 1024,
    queueSize: 2,
  });
  const streamed = await fromStream.done();
  assert.match(streamed.ETag, /^"[0-9a-f]{32}-2"$/);
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'node-multipart', Key: 'stream.bin' }));
  assert.equal(head.ContentLength, data.length);
  const back = await s3.send(new GetObjectCommand({ Bucket: 'node-multipart', Key: 'stream.bin' }));
  assert.equal(sha256(await bodyBytes(back)), sha256(data));
  // A range across the part boundary.
  const mid = 6 * 1024 * 1024;
  const across = await s3.send(
    new GetObjectCommand({ Bucket: 'node-multipart', Key: 'stream.bin', Range: `bytes=${mid - 5}-${mid + 4}` }),
  );
  assert.ok((await bodyBytes(across)).equals(data.subarray(mid - 5, mid + 5)));
});

test('PutObject with a stream body', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-stream-put' }));
  const data = randomBytes(300000);
  await s3.send(
    new PutObjectCommand({
      Bucket: 'node-stream-put',
      Key: 'streamed.bin',
      Body: Readable.from([data.subarray(0, 100000), data.subarray(100000)]),
      ContentLength: data.length,
    }),
  );
  const got = await s3.send(new GetObjectCommand({ Bucket: 'node-stream-put', Key: 'streamed.bin' }));
  assert.ok((await bodyBytes(got)).equals(data));
});

test('presigned GET, then fetch', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-presign' }));
  await s3.send(new PutObjectCommand({ Bucket: 'node-presign', Key: 'dir/shared file.txt', Body: 'shared\n' }));
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'node-presign', Key: 'dir/shared file.txt' }), {
    expiresIn: 300,
  });
  assert.match(url, /X-Amz-Signature=[0-9a-f]{64}/);
  const resp = await fetch(url);
  assert.equal(resp.status, 200);
  assert.equal(await resp.text(), 'shared\n');

  // The same URL with another key in its path is refused.
  const other = url.replace('shared%20file.txt', 'other.txt');
  assert.notEqual(other, url);
  const refused = await fetch(other);
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});

test('refusals: wrong secret, deleted key, read_only PutObject', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-refusals' }));

  const wrong = { accessKeyId: member.accessKeyId };
  Object.defineProperty(wrong, 'secretAccessKey', { value: `${member.secretAccessKey}x`, enumerable: false });
  const badSecret = s3Client(wrong);
  await rejectsWith(badSecret.send(new ListObjectsV2Command({ Bucket: 'node-refusals' })), 'SignatureDoesNotMatch');
  const err = await rejectsWith(
    badSecret.send(new PutObjectCommand({ Bucket: 'node-refusals', Key: 'k', Body: 'x' })),
    'SignatureDoesNotMatch',
  );
  assert.equal(err.$metadata.httpStatusCode, 403);
  badSecret.destroy();

  const sa = await sbx.account('node-deleted-key');
  const doomed = await sbx.accessKey(sa);
  const doomedClient = s3Client(doomed);
  await doomedClient.send(new ListObjectsV2Command({ Bucket: 'node-refusals' }));
  await sbx.api('DELETE', `/v1/iam/service-accounts/${sa}/access-keys/${doomed.accessKeyId}`);
  const gone = await rejectsWith(doomedClient.send(new ListObjectsV2Command({ Bucket: 'node-refusals' })), 'InvalidAccessKeyId');
  assert.equal(gone.$metadata.httpStatusCode, 403);
  doomedClient.destroy();

  const reader = s3Client(await sbx.accessKey(await sbx.account('node-reader', 'read_only')));
  await reader.send(new ListObjectsV2Command({ Bucket: 'node-refusals' }));
  const denied = await rejectsWith(reader.send(new PutObjectCommand({ Bucket: 'node-refusals', Key: 'k', Body: 'x' })), 'AccessDenied');
  assert.equal(denied.$metadata.httpStatusCode, 403);
  assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'node-refusals' }))).KeyCount, 0);
  reader.destroy();
});

test('tag selector: a key for env=prod buckets only', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-prod' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'node-dev' }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: 'node-prod', Tagging: { TagSet: [{ Key: 'env', Value: 'prod' }] } }));
  const prod = s3Client(await sbx.accessKey(await sbx.account('node-prod-only', 'member', { tag_selector: { env: 'prod' } })));
  await prod.send(new PutObjectCommand({ Bucket: 'node-prod', Key: 'k', Body: 'x' }));
  await rejectsWith(prod.send(new PutObjectCommand({ Bucket: 'node-dev', Key: 'k', Body: 'x' })), 'AccessDenied');
  prod.destroy();
});

test('payload forms the SDK sent (recorded over all the uploads above)', () => {
  const uploads = sent.filter((s) => s.op === 'PutObjectCommand' || s.op === 'UploadPartCommand');
  assert.ok(uploads.some((s) => s.op === 'UploadPartCommand'), 'no UploadPart was recorded');
  const forms = new Map();
  for (const s of uploads) {
    const k = `${s.op.replace('Command', '')}: ${describeSent(s)}`;
    forms.set(k, (forms.get(k) ?? 0) + 1);
  }
  for (const [form, n] of [...forms].sort()) console.log(`[aws-sdk-js payload] ${form} (x${n})`);
  // Every form it chose was accepted: the uploads above all round-tripped.
});
