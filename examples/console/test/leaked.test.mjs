// A leaked token on the API tokens page, end to end: a scanner of this test's own (a
// P-256 key made with Node's crypto, registered with the sandbox) reports two of the
// owner's tokens to the secret-scanning partner endpoint (docs/secret-scanning.md). Under
// the default policy the first is revoked and its row says "revoked: leaked at <url>";
// with the quarantine policy the second keeps working for reads and its row says
// "quarantined: leaked at <url> — rotate it".
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot, signedIn, startSandbox } from '../testing/harness.mjs';

let sbx;
let browser;

async function api(method, path, body) {
  const r = await fetch(`${sbx.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${sbx.ownerToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  sbx = await startSandbox();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await sbx?.stop();
});

describe('leaked tokens on the tokens page', () => {
  test('a reported token shows revoked, or quarantined under that policy', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const reg = await api('POST', '/v1/secret-scanning/keys', { name: 'console-test-scanner', key: pem });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const keyId = reg.body.key_identifier;

    const report = async (token, url) => {
      const body = Buffer.from(JSON.stringify([{ token, type: 'clouddigit_api_token', url, source: 'content' }]));
      const r = await fetch(`${sbx.url}/v1/secret-scanning/alerts`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Github-Public-Key-Identifier': keyId,
          'Github-Public-Key-Signature': sign('sha256', body, privateKey).toString('base64'),
        },
        body,
      });
      assert.equal(r.status, 200);
      return (await r.json())[0];
    };
    const make = async (name) => {
      const r = await api('POST', '/v1/iam/tokens', { name, projects: ['web'], permissions: 'inherit', expires_in_days: 30 });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.secret;
    };

    const leaked = await make('pasted-in-a-gist');
    const first = await report(leaked, 'https://gist.example.test/abc#L3');
    assert.deepEqual([first.label, first.action], ['true_positive', 'revoked']);

    const policy = await api('GET', '/_sandbox/policy');
    const put = await api('PUT', '/_sandbox/policy', { policy: { ...(policy.body.policy ?? {}), leaked_token_action: 'quarantine' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const quarantined = await make('in-a-ci-log');
    const second = await report(quarantined, 'https://ci.example.test/run/7');
    assert.deepEqual([second.label, second.action], ['true_positive', 'quarantined']);
    const reads = await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${quarantined}` } });
    assert.equal(reads.status, 200, 'a quarantined token still reads');

    const { context, page } = await signedIn(browser, sbx, sbx.ownerToken);
    const revokedRow = page.locator('tr', { hasText: 'pasted-in-a-gist' });
    await revokedRow.locator('[data-leak="revoked"]').waitFor();
    assert.match(await revokedRow.innerText(), /revoked: leaked at https:\/\/gist\.example\.test\/abc#L3/);
    // The URL is text, not a link the console follows.
    assert.equal(await revokedRow.locator('a[href*="gist.example.test"]').count(), 0);
    const quarantinedRow = page.locator('tr', { hasText: 'in-a-ci-log' });
    await quarantinedRow.locator('[data-leak="quarantined"]').waitFor();
    assert.match(await quarantinedRow.innerText(), /quarantined: leaked at https:\/\/ci\.example\.test\/run\/7 — rotate it/);
    // Neither secret is on the page.
    const html = await page.content();
    assert.ok(!html.includes(leaked) && !html.includes(quarantined));
    await screenshot(page, 'tokens-leaked');
    await context.close();
    await api('PUT', '/_sandbox/policy', { policy: policy.body.policy ?? null });
  });
});
