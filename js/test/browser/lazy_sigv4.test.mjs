// A page that imports @clouddigit/sdk (js/browser.js) does not download the SigV4 or JWT
// code (the `clouddigit` command's module, dist/cli/) until sigv4Explain, sigv4Verify,
// checkTrust, auditRecord or hashedToken is called: scripts/build-npm.sh leaves it out of
// the page's size on that promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, serve } from './harness.mjs';

const PAGE = `<!doctype html><meta charset="utf-8"><title>clouddigit lazy sigv4</title>
<script type="importmap">${JSON.stringify({ imports: { '@clouddigit/sdk': '/js/browser.js' } })}</script>`;

// The lazily loaded module: the SigV4 and JWT code, without the command (dist/command/).
const CLI_MODULE = ['/dist/cli/clouddigit_cli.js', '/dist/cli/clouddigit_cli_bg.wasm'];
const cliFetches = (fetched) => fetched.filter((p) => p.startsWith('/dist/cli/')).sort();

test('in Chromium: dist/cli/ is fetched on the first sigv4 call, not with the page', async () => {
  const server = await serve({ page: PAGE, dirs: ['js', 'dist'] });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const before = await page.evaluate(async () => {
      const sdk = await import('@clouddigit/sdk');
      return sdk.s3Config().endpoint;
    });
    assert.equal(before, 'https://s3.bd-dha-1.mymine.space');
    assert.ok(fetched.includes('/dist/wasm/clouddigit_wasm_bg.wasm'), fetched.join(' '));
    assert.deepEqual(fetched.filter((p) => p.startsWith('/dist/cli/')), []);
    const verdict = await page.evaluate(async () => {
      const sdk = await import('@clouddigit/sdk');
      return sdk.sigv4Verify({ method: 'GET', url: '/' }, 'secret');
    });
    assert.equal(verdict.code, 'MissingSecurityHeader');
    assert.deepEqual(cliFetches(fetched), CLI_MODULE);
  } finally {
    await browser.close();
    server.close();
  }
});

test('in Chromium: trust validation runs in the page; checkTrust fetches dist/cli/ on its first call', async () => {
  const server = await serve({ page: PAGE, dirs: ['js', 'dist'] });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const codes = await page.evaluate(async () => {
      const sdk = await import('@clouddigit/sdk');
      const spec = sdk.trustPreset('github_branch', 'acme/web', 'main', 'https://iam.clouddigit.ai/acme');
      return sdk.validateTrust(spec).errors.map((e) => e.code);
    });
    assert.deepEqual(codes, ['name_required', 'claim_invalid']);
    assert.deepEqual(fetched.filter((p) => p.startsWith('/dist/cli/')), []);
    const report = await page.evaluate(async () => {
      const sdk = await import('@clouddigit/sdk');
      return sdk.checkTrust('not.a.jwt', []);
    });
    assert.equal(report.signature, 'malformed_jwt');
    assert.deepEqual(cliFetches(fetched), CLI_MODULE);
  } finally {
    await browser.close();
    server.close();
  }
});

test('in Chromium: hashedToken and auditRecord fetch dist/cli/ on their first call, not with the page', async () => {
  const server = await serve({ page: PAGE, dirs: ['js', 'dist'] });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const [isToken, bothExported] = await page.evaluate(async () => {
      const sdk = await import('@clouddigit/sdk');
      return [sdk.isToken('cd_x'), typeof sdk.auditRecord === 'function' && typeof sdk.hashedToken === 'function'];
    });
    assert.equal(isToken, false);
    assert.ok(bothExported);
    assert.deepEqual(fetched.filter((p) => p.startsWith('/dist/cli/')), []);
    const [hash, field] = await page.evaluate(async () => {
      const sdk = await import('@clouddigit/sdk');
      const hash = await sdk.hashedToken('');
      const field = await sdk.auditRecord({}, 'ocsf', {}).catch((e) => e instanceof sdk.EvaluateError && e.field);
      return [hash, field];
    });
    // SHA-256 of the empty string, in base64.
    assert.equal(hash, '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    assert.equal(field, 'event');
    assert.deepEqual(cliFetches(fetched), CLI_MODULE);
  } finally {
    await browser.close();
    server.close();
  }
});
