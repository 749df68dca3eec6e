// The token lists' status column for leaked tokens (src/tokenStatus.ts), rendered on its
// own in headless Chromium: no sandbox, since the API's `revocation` / `quarantine` fields
// are being added elsewhere. The module is bundled by itself with esbuild and run on a
// blank page; tokens are shaped as the API will send them, and as it sends them today
// (without the fields), which must show what they always did.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { consoleDir, launchBrowser, screenshot } from '../testing/harness.mjs';

let browser;
let page;

before(async () => {
  const out = await build({
    entryPoints: [join(consoleDir, 'src', 'tokenStatus.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'tokenStatus',
    platform: 'browser',
    target: ['es2022'],
    logLevel: 'warning',
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setContent('<!doctype html><html lang="en"><body><table><tbody><tr><td id="cell"></td></tr></tbody></table></body></html>');
  await page.addScriptTag({ content: out.outputFiles[0].text });
});
after(async () => {
  await browser?.close();
});

const base = {
  id: 'tok_1',
  name: 'ci',
  prefix: 'cd_abc12',
  created_at: '2025-01-01T00:00:00Z',
  expires_at: null,
  revoked_at: null,
  rotated_at: null,
  grace_ends_at: null,
};

/** The status cell for `token`: its text, whether it is active, and any links in it. */
function render(token) {
  return page.evaluate((t) => {
    const st = window.tokenStatus.tokenStatus(t);
    const cell = document.getElementById('cell');
    cell.replaceChildren(window.tokenStatus.statusCell(st));
    return {
      text: cell.textContent,
      active: st.active,
      links: [...cell.querySelectorAll('a')].map((a) => ({ href: a.href, rel: a.rel })),
      code: cell.querySelector('code')?.textContent ?? null,
      leak: cell.querySelector('[data-leak]')?.getAttribute('data-leak') ?? null,
    };
  }, token);
}

describe('leaked tokens in the lists', () => {
  test('a token revoked because it leaked: "revoked: leaked at <url>", the URL as text', async () => {
    const url = 'https://gist.github.com/someone/0123456789abcdef';
    const r = await render({
      ...base,
      revoked_at: '2025-03-01T10:00:00Z',
      revocation: { reason: 'leaked', url, source: 'github-secret-scanning', at: '2025-03-01T10:00:00Z' },
    });
    assert.equal(r.text, `revoked: leaked at ${url}`);
    assert.equal(r.code, url);
    assert.equal(r.leak, 'revoked');
    assert.equal(r.active, false);
    assert.deepEqual(r.links, [], 'no live link to the leak');
  });

  test('a leak without a URL: "revoked: leaked"', async () => {
    const r = await render({ ...base, revoked_at: '2025-03-01T10:00:00Z', revocation: { reason: 'leaked', url: null } });
    assert.equal(r.text, 'revoked: leaked');
  });

  test('revoked for another reason, or revoked before the field existed: as before', async () => {
    const manual = await render({ ...base, revoked_at: '2025-03-01T10:00:00Z', revocation: { reason: 'manual' } });
    assert.equal(manual.text, 'revoked 2025-03-01');
    assert.equal(manual.leak, null);
    const older = await render({ ...base, revoked_at: '2025-03-01T10:00:00Z' });
    assert.equal(older.text, 'revoked 2025-03-01');
    const nulls = await render({ ...base, revoked_at: '2025-03-01T10:00:00Z', revocation: null, quarantine: null });
    assert.equal(nulls.text, 'revoked 2025-03-01');
  });

  test('a live token without the fields: "active", and it stays active', async () => {
    const r = await render(base);
    assert.equal(r.text, 'active');
    assert.equal(r.active, true);
    assert.equal(r.leak, null);
  });

  test('a quarantined token: "quarantined: leaked at <url> — rotate it", still active (Rotate stays)', async () => {
    const url = 'https://pastebin.com/raw/XyZ';
    const r = await render({ ...base, quarantine: { reason: 'leaked', url, at: '2025-03-02T08:00:00Z' } });
    assert.equal(r.text, `quarantined: leaked at ${url} — rotate it`);
    assert.equal(r.leak, 'quarantined');
    assert.equal(r.active, true);
    assert.deepEqual(r.links, []);
  });

  test('a quarantined token already rotated (in its grace period): the rotation, not "rotate it"', async () => {
    const grace = new Date(Date.now() + 86_400_000).toISOString();
    const r = await render({ ...base, rotated_at: '2025-03-02T09:00:00Z', grace_ends_at: grace, quarantine: { reason: 'leaked', url: 'https://x.test/' } });
    assert.match(r.text, /^rotated; works until /);
    assert.equal(r.leak, null);
  });

  test('a URL with markup stays text', async () => {
    const url = 'https://evil.test/"><img src=x onerror=alert(1)>';
    const r = await render({ ...base, revoked_at: '2025-03-01T10:00:00Z', revocation: { reason: 'leaked', url } });
    assert.equal(r.code, url);
    assert.equal(await page.locator('#cell img').count(), 0);
  });

  test('how they look in a list (a screenshot, with the console\'s styles)', async () => {
    const rows = [
      ['laptop-cli', { ...base }],
      ['ci-deploy', { ...base, quarantine: { reason: 'leaked', url: 'https://github.com/acme/web/blob/0a1b2c3/.env', at: '2025-03-02T08:00:00Z' } }],
      ['old-script', { ...base, revoked_at: '2025-03-01T10:00:00Z', revocation: { reason: 'leaked', url: 'https://gist.github.com/someone/0123456789abcdef', source: 'github-secret-scanning', at: '2025-03-01T10:00:00Z' } }],
      ['terraform', { ...base, revoked_at: '2025-02-11T10:00:00Z' }],
    ];
    await page.setViewportSize({ width: 900, height: 300 });
    await page.addStyleTag({ content: readFileSync(join(consoleDir, 'static', 'style.css'), 'utf8') });
    await page.evaluate((list) => {
      const { tokenStatus, statusCell } = window.tokenStatus;
      const table = document.createElement('table');
      table.className = 'list';
      table.innerHTML = '<thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Status</th></tr></thead><tbody></tbody>';
      for (const [name, t] of list) {
        const st = tokenStatus(t);
        const tr = table.tBodies[0].insertRow();
        tr.className = st.leak?.state === 'quarantined' ? 'quarantined' : st.active ? '' : 'inactive';
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = name;
        tr.append(th);
        tr.insertCell().textContent = 'cd_abc12…';
        tr.insertCell().append(statusCell(st));
      }
      const main = document.createElement('main');
      main.append(table);
      document.body.replaceChildren(main);
    }, rows);
    const text = await page.locator('table').innerText();
    assert.match(text, /quarantined: leaked at https:\/\/github\.com\/acme\/web\/blob\/0a1b2c3\/\.env — rotate it/);
    assert.match(text, /revoked: leaked at https:\/\/gist\.github\.com/);
    await screenshot(page, 'token-leak-statuses');
  });
});
