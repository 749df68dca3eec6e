// The "Audit streams" page (docs/audit.md, "Streams") in headless Chromium against a real
// sandbox, its webhook stream delivering to a receiver this test runs on loopback: the
// health the page shows as the receiver works, goes down and comes back (Healthy with a
// delivered count, Failing with the sink's error, the test event's result inline), Pause,
// Delete with a confirmation, a new stream's signing secret shown once, keyboard use, and
// what a caller without the permission sees.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, mintToken, screenshot, signedIn, startSandbox } from '../testing/harness.mjs';

let sbx;
let browser;

async function api(method, path, body, token = sbx.ownerToken) {
  const r = await fetch(`${sbx.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

/** Calls that land in the audit log, so the streams have something to send. */
async function makeCalls(n = 3) {
  for (let i = 0; i < n; i += 1) assert.equal((await api('GET', '/v1/iam/whoami')).status, 200);
}

/**
 * A webhook receiver on loopback that answers 204 and checks each delivery's signature;
 * `stop()` closes it (deliveries then fail to connect), `start()` opens it again on the
 * same port.
 */
function receiver() {
  const r = {
    port: 0,
    secret: null,
    batches: 0,
    events: 0,
    badSignatures: 0,
    server: null,
    async start() {
      r.server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          if (r.secret) {
            const want = `sha256=${createHmac('sha256', r.secret).update(body).digest('hex')}`;
            if (req.headers['x-clouddigit-signature-256'] !== want) r.badSignatures += 1;
          }
          r.batches += 1;
          r.events += body.toString('utf8').split('\n').filter(Boolean).length;
          res.writeHead(204).end();
        });
      });
      await new Promise((resolve, reject) => {
        r.server.once('error', reject);
        r.server.listen(r.port, '127.0.0.1', resolve);
      });
      r.port = r.server.address().port;
    },
    async stop() {
      const s = r.server;
      r.server = null;
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
  };
  return r;
}

/** The row of a stream, and what it shows. */
function row(page, id) {
  return page.locator(`tr[data-stream-id="${id}"]`);
}

async function rowState(page, id) {
  const tr = row(page, id);
  await tr.waitFor();
  return {
    state: await tr.getAttribute('data-state'),
    badge: (await tr.locator('.badge').innerText()).trim(),
    text: await tr.innerText(),
    // The cells after the name: sink, format, health, last delivery, delivered, buffered, lag, dropped.
    delivered: Number((await tr.locator('td').nth(4).innerText()).replace(/,/g, '')),
    buffered: Number((await tr.locator('td').nth(5).innerText()).replace(/,/g, '')),
  };
}

/** Reloads the page (or presses Refresh) until the stream's row satisfies `ok`. */
async function until(page, id, ok, what, { reload = false, timeout = 30_000 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await rowState(page, id);
    if (ok(last)) return last;
    if (Date.now() > end) assert.fail(`the row never showed ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 500));
    if (reload) {
      await page.reload();
      await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    } else {
      await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    }
  }
}

before(async () => {
  sbx = await startSandbox();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await sbx?.stop();
});

describe('audit streams', () => {
  const hook = receiver();
  let streamId;

  before(async () => {
    await hook.start();
  });
  after(async () => {
    if (hook.server) await hook.stop();
  });

  test('1. a webhook stream that delivers shows Healthy and what it delivered', async () => {
    const created = await api('POST', '/v1/audit/streams', {
      name: 'siem-hook',
      format: 'ocsf',
      sink: { type: 'webhook', url: `http://127.0.0.1:${hook.port}/clouddigit` },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.signing_secret, /^cdwh_/);
    hook.secret = created.body.signing_secret;
    streamId = created.body.stream.id;
    // A syslog stream to a port nobody listens on: a second row, which fails.
    const syslog = await api('POST', '/v1/audit/streams', { name: 'rsyslog', format: 'json', sink: { type: 'syslog', host: '127.0.0.1', port: 9 } });
    assert.equal(syslog.status, 201, JSON.stringify(syslog.body));
    await makeCalls();

    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.getByRole('link', { name: 'Audit streams' }).click();
    await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Audit streams' }).getAttribute('aria-current'), 'page');
    assert.equal(new URL(page.url()).pathname, '/audit-streams');

    const st = await until(page, streamId, (r) => r.state === 'healthy' && r.delivered > 0, 'Healthy with deliveries');
    assert.equal(st.badge.replace(/^\W+/, ''), 'Healthy', 'the badge says it in words');
    assert.match(st.text, /webhook\s+http:\/\/127\.0\.0\.1:\d+/, 'the sink: its kind and host');
    assert.doesNotMatch(st.text, /\/clouddigit/, 'not the webhook’s path');
    assert.match(st.text, /OCSF/);
    assert.ok(hook.events > 0, 'the receiver got events');
    assert.equal(hook.badSignatures, 0, 'every delivery was signed with the secret');
    // The last delivery: relative, the absolute time in its title.
    const last = row(page, streamId).locator('td').nth(3).locator('time');
    assert.match(await last.innerText(), /ago|just now/);
    assert.match(await last.getAttribute('title'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    // The secret is never on the page.
    assert.ok(!(await page.content()).includes(hook.secret));
    // The syslog stream fails, and says why.
    const rs = await until(page, syslog.body.stream.id, (r) => r.state === 'failing', 'the syslog stream failing');
    assert.match(rs.text, /syslog\s+127\.0\.0\.1:9/);
    assert.match(rs.text, /syslog 127\.0\.0\.1:9: /);
    await screenshot(page, 'streams-healthy');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('2. the receiver down: Failing with the error; the test event fails inline', async () => {
    await hook.stop();
    await makeCalls();
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/audit-streams`);
    await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    const st = await until(page, streamId, (r) => r.state === 'failing', 'Failing', { reload: true });
    assert.equal(st.badge.replace(/^\W+/, ''), 'Failing');
    assert.match(st.text, /webhook: could not connect/, 'the last error');
    assert.match(st.text, /since (just now|\d+ s ago|\d+ min ago)/);

    await row(page, streamId).getByRole('button', { name: 'Send test event to siem-hook' }).click();
    const result = row(page, streamId).getByRole('status');
    await result.filter({ hasText: /not delivered/ }).waitFor();
    assert.match(await result.innerText(), /Test event not delivered: webhook: could not connect/);
    await screenshot(page, 'streams-failing');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('3. the receiver back: the test event goes through and the stream is Healthy again; Pause shows Paused', async () => {
    await hook.start();
    const before = hook.events;
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/audit-streams`);
    await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    await row(page, streamId).getByRole('button', { name: 'Send test event to siem-hook' }).click();
    await row(page, streamId).getByRole('status').filter({ hasText: /Test event delivered in \d+ ms/ }).waitFor();
    const st = await until(page, streamId, (r) => r.state === 'healthy', 'Healthy again');
    assert.doesNotMatch(st.text, /could not connect/, 'the error is gone');
    assert.ok(hook.events > before, 'what waited was delivered');
    assert.equal(hook.badSignatures, 0);

    await row(page, streamId).getByRole('button', { name: 'Pause siem-hook' }).click();
    await page.locator('#status', { hasText: /Paused “siem-hook”/ }).waitFor();
    let p = await until(page, streamId, (r) => r.state === 'paused', 'Paused');
    assert.equal(p.badge.replace(/^\W+/, ''), 'Paused');
    // Focus stays on the control, which now resumes.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Resume siem-hook');
    // Paused, events wait: they are counted as buffered, and the receiver gets none.
    await makeCalls();
    p = await until(page, streamId, (r) => r.state === 'paused' && r.buffered > 0, 'events buffered while paused');
    const atPause = hook.events;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hook.events, atPause, 'nothing sent while paused');
    await screenshot(page, 'streams-paused');

    await row(page, streamId).getByRole('button', { name: 'Resume siem-hook' }).click();
    await until(page, streamId, (r) => r.state === 'healthy' && hook.events > atPause, 'Healthy, what waited delivered');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('4. keyboard: every control of a row is reached by Tab and named', async () => {
    const { context, page } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/audit-streams`);
    await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    await row(page, streamId).waitFor();
    const wanted = ['Pause siem-hook', 'Send test event to siem-hook', 'Delete siem-hook'];
    const reached = [];
    for (let i = 0; i < 60 && reached.length < wanted.length; i += 1) {
      await page.keyboard.press('Tab');
      const a = await page.evaluate(() => {
        const el = document.activeElement;
        return { tag: el?.tagName, name: el?.getAttribute('aria-label') ?? el?.textContent ?? '', visible: el?.matches(':focus-visible') ?? false };
      });
      if (wanted.includes(a.name)) {
        assert.equal(a.tag, 'BUTTON');
        assert.ok(a.visible, `focus is visible on ${a.name}`);
        reached.push(a.name);
      }
    }
    assert.deepEqual(reached, wanted, 'Tab reaches them in order');
    // Their accessible names, as assistive technology gets them.
    for (const name of wanted) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
    // Enter on "Send test event": the result is announced in the row, focus stays put.
    await page.getByRole('button', { name: 'Send test event to siem-hook' }).focus();
    await page.keyboard.press('Enter');
    await row(page, streamId).getByRole('status').filter({ hasText: /Test event delivered/ }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Send test event to siem-hook');
    await context.close();
  });

  test('5. a new webhook stream from the form: the signing secret once, with a copy button', async () => {
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/audit-streams`);
    await page.getByRole('link', { name: '+ New stream' }).click();
    await page.getByRole('heading', { name: 'New audit stream' }).waitFor();
    await page.getByLabel('Name').fill('form-hook');
    // The API's rules: plain http only to this machine. Its error shows under the field.
    const url = page.getByLabel('URL');
    await url.fill('http://siem.example.com/hook');
    await page.getByRole('button', { name: 'Create stream' }).click();
    await page.locator('.field-errors', { hasText: /https, or plain http only to this machine/ }).waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'streams-form-error');
    await url.fill(`http://127.0.0.1:${hook.port}/form`);
    await page.getByRole('button', { name: 'Create stream' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /will not be shown again/);
    assert.ok(await dialog.getByRole('button', { name: 'Copy' }).isVisible());
    const secret = await dialog.locator('[data-secret]').inputValue();
    assert.match(secret, /^cdwh_[A-Za-z0-9]{40}$/);
    await screenshot(page, 'streams-secret-once');
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    await page.locator('tr', { hasText: 'form-hook' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone once the dialog closed');
    await page.reload();
    await page.locator('tr', { hasText: 'form-hook' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'and after a reload');
    assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
    await context.close();
  });

  test('6. delete asks first; Escape keeps the stream', async () => {
    const { context, page } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/audit-streams`);
    const tr = page.locator('tr', { hasText: 'form-hook' });
    await tr.getByRole('button', { name: 'Delete form-hook' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /Nothing more is sent to http:\/\/127\.0\.0\.1:\d+/);
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/v1/audit/streams')).body.streams.filter((s) => s.name === 'form-hook').length, 1);
    await tr.getByRole('button', { name: 'Delete form-hook' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete stream' }).click();
    await tr.waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/v1/audit/streams')).body.streams.filter((s) => s.name === 'form-hook').length, 0);
    await context.close();
  });

  test('7. a caller without the permission sees the API’s 403, not the table', async () => {
    const devToken = await mintToken(sbx, 'u_dev', { projects: ['web'] });
    assert.equal((await api('GET', '/v1/audit/streams', undefined, devToken)).status, 403);
    const { context, page, problems } = await signedIn(browser, sbx, devToken);
    await page.getByRole('link', { name: 'Audit streams' }).click();
    await page.getByRole('heading', { name: 'Audit streams', level: 1 }).waitFor();
    await page.locator('[data-forbidden]').waitFor();
    assert.match(await page.locator('[data-forbidden]').innerText(), /You cannot see the audit streams\. The API said: /);
    assert.equal(await page.locator('table').count(), 0);
    await screenshot(page, 'streams-forbidden');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
