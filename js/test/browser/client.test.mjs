// The API Client in headless Chromium (Debian's, through playwright-core): a page loads
// the browser entry of the package and, against the real sandbox, creates a token, uses
// it, lists, revokes it and sees the AuthenticationError. The page and the API share one
// origin: a small Node server serves the package and forwards /v1, /realms and /_sandbox
// to the sandbox, so no CORS is involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startSandbox } from '../sandbox.mjs';
import { launchChromium, serve as servePage } from './harness.mjs';

const PAGE = '<!doctype html><meta charset="utf-8"><title>clouddigit client smoke</title>';

function serve(sandboxUrl) {
  const upstream = new URL(sandboxUrl);
  return servePage({
    page: PAGE,
    dirs: ['js', 'dist'],
    forward: (req, res, path) => {
      if (!/^\/(v1|realms|_sandbox)\//.test(path)) return false;
      const forward = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
      return true;
    },
  });
}

test('in Chromium: create a token, use it, revoke it, see AuthenticationError', async () => {
  const sbx = await startSandbox();
  const server = await serve(sbx.url);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await page.evaluate(async (owner) => {
      const sdk = await import('/js/browser.js');
      const baseUrl = `${location.origin}/v1`;
      const admin = new sdk.Client({ baseUrl, token: owner });
      const created = await admin.tokens.create({ name: 'from-the-browser', projects: ['web'], expiry: '30d' });
      const mine = new sdk.Client({ baseUrl, token: created.secret.reveal() });
      const me = await mine.whoami();
      const names = [];
      for await (const t of admin.tokens.list({ limit: 1 })) names.push(t.name);
      await mine.tokens.revoke(created.token.id);
      let error = null;
      try {
        await mine.whoami();
      } catch (e) {
        error = {
          isAuthentication: e instanceof sdk.AuthenticationError,
          isApiError: e instanceof sdk.ApiError && e instanceof Error,
          kind: e.kind,
          status: e.status,
          requestId: e.requestId,
          leaks: e.message.includes(created.secret.reveal().slice(9)),
        };
      }
      let config = null;
      try {
        new sdk.Client({ baseUrl, token: `${owner.slice(0, -1)}${owner.endsWith('A') ? 'B' : 'A'}` });
      } catch (e) {
        config = { isConfig: e instanceof sdk.ConfigError, code: e.code };
      }
      return {
        secretShown: String(created.secret),
        secretJson: JSON.stringify(created).includes(created.secret.reveal()),
        whoamiId: me.token.id,
        createdId: created.token.id,
        names,
        error,
        config,
      };
    }, sbx.owner);
    assert.deepEqual(errors, []);
    assert.equal(result.whoamiId, result.createdId);
    assert.match(result.secretShown, /^cd_[A-Za-z0-9]{6}…\[redacted\]$/);
    assert.equal(result.secretJson, false);
    assert.deepEqual(result.names, ['sandbox-bootstrap', 'from-the-browser']);
    assert.deepEqual(
      { ...result.error, requestId: Boolean(result.error?.requestId) },
      { isAuthentication: true, isApiError: true, kind: 'authentication', status: 401, requestId: true, leaks: false },
    );
    assert.deepEqual(result.config, { isConfig: true, code: 'bad_token' });
  } finally {
    await browser.close();
    server.close();
    await sbx.stop();
  }
});
