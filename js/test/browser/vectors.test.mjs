// The npm package's vector tests (js/test/{validate,authorize,allowed_ips,token_format,
// client_vectors,sigv4,s3_config,trust}.test.mjs), unchanged, in headless Chromium against the browser entry js/browser.js:
// an import map points `@clouddigit/sdk` at it and `node:test`, `node:assert/strict` and
// `node:fs` at the stand-ins in tests/browser-shims/. The wasm-bindgen tests already run
// the Rust runners in Chromium; this runs what a page importing the package sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, serve } from './harness.mjs';

const FILES = ['validate', 'authorize', 'allowed_ips', 'token_format', 'client_vectors', 'sigv4', 's3_config', 'trust'].map((f) => `/js/test/${f}.test.mjs`);
// The files that carry stable codes, each with its "every code is reached" test.
const CODED = FILES.filter((f) => !f.includes('client_vectors') && !f.includes('s3_config'));
const PAGE = `<!doctype html><meta charset="utf-8"><title>clouddigit vectors</title>
<script type="importmap">${JSON.stringify({
  imports: {
    '@clouddigit/sdk': '/js/browser.js',
    'node:test': '/tests/browser-shims/node_test.js',
    'node:assert/strict': '/tests/browser-shims/node_assert.js',
    'node:fs': '/tests/browser-shims/node_fs.js',
  },
})}</script>
<script>globalThis.process = { env: { CLOUDDIGIT_VECTORS: '/tests/vectors', CLOUDDIGIT_REPLAY: '/dist/replay/clouddigit_replay.js' } };</script>`;

test('in Chromium: the vector tests pass through js/browser.js as they do in Node', async () => {
  const server = await serve({ page: PAGE, dirs: ['js', 'dist', 'tests'] });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const results = await page.evaluate(async (files) => {
      const out = [];
      for (const file of files) {
        globalThis.__clouddigitTests = [];
        try {
          await import(file);
        } catch (e) {
          out.push({ file, name: '(loading the file)', error: String(e?.stack ?? e) });
          continue;
        }
        for (const t of globalThis.__clouddigitTests) {
          try {
            await t.fn();
            out.push({ file, name: t.name, error: null });
          } catch (e) {
            out.push({ file, name: t.name, error: `${e?.name}: ${e?.message}` });
          }
        }
      }
      return out;
    }, FILES);
    assert.deepEqual(pageErrors, []);
    const failed = results.filter((r) => r.error !== null).map((r) => `${r.file} ${r.name}: ${r.error}`);
    assert.deepEqual(failed, []);
    // Every file ran, with its vectors and its "every code is reached" checks.
    for (const file of FILES) {
      const names = results.filter((r) => r.file === file).map((r) => r.name);
      assert.ok(names.length >= 4, `${file}: only ${names.length} tests ran`);
      if (CODED.includes(file)) assert.ok(names.some((n) => /every (code|reason|error)/.test(n)), `${file}: no code coverage test`);
    }
    assert.ok(results.length >= 120, `only ${results.length} tests ran`);
    console.log(`ran ${results.length} tests in Chromium: ${FILES.map((f) => `${f.split("/").pop()} ${results.filter((r) => r.file === f).length}`).join(", ")}`);
  } finally {
    await browser.close();
    server.close();
  }
});
