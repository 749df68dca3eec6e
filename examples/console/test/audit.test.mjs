// The audit page (docs/audit.md, "The console's audit page") in headless Chromium against
// a sandbox seeded with a few thousand events made by real SDK calls in this test: the
// chart's numbers against the API's export for the same filter, filters that narrow the
// table and the URL, paging by cursor, a denied event's reason, the CSV export, and
// keyboard use. Screenshots in target/artifacts/console/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { Client } from '@clouddigit/sdk';
import { mintToken, sandboxAndBrowser, screenshot, signedIn } from '../testing/harness.mjs';

// Denials on purpose, hundreds of them: without the failure limiter's 429s.
const ctx = sandboxAndBrowser(['--failure-burst', '0']);
let dev;
let fenced;

/** Every event of a filter, from the API's export (the oracle the page is checked against). */
async function exported(query) {
  const r = await fetch(`${ctx.sbx.url}/v1/audit/events/export?${query}`, { headers: { Authorization: `Bearer ${ctx.sbx.ownerToken}` } });
  assert.equal(r.status, 200);
  return (await r.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const denied = (e) => e.status === 401 || e.status === 403;

describe('the audit page', () => {
  before(async () => {
    const { sbx } = ctx;
    dev = await mintToken(sbx, 'u_dev', { name: 'audit-dev', projects: ['web'] });
    // A token fenced to addresses the test is not calling from: every call is denied.
    fenced = await mintToken(sbx, 'u_dev', { name: 'audit-fenced', projects: ['web'], allowed_ips: ['10.9.0.0/16'] });
    const owner = new Client({ baseUrl: `${sbx.url}/v1`, token: sbx.ownerToken });
    const asDev = new Client({ baseUrl: `${sbx.url}/v1`, token: dev, maxRetries: 0 });
    const asFenced = new Client({ baseUrl: `${sbx.url}/v1`, token: fenced, maxRetries: 0 });
    const refused = async (p) => p.then(() => assert.fail('expected a refusal'), (e) => e);
    for (let i = 0; i < 1200; i += 1) await owner.whoami();
    for (let i = 0; i < 600; i += 1) await asDev.whoami();
    for (let i = 0; i < 120; i += 1) assert.equal((await refused(asDev.members.revokeTokens('u_analyst'))).status, 403);
    for (let i = 0; i < 110; i += 1) assert.equal((await refused(asFenced.whoami())).status, 403);
  });

  test('the chart counts what the API holds, and the filters narrow the table and the URL', async () => {
    const { sbx, browser } = ctx;
    const devPrefix = dev.slice(0, 9);
    const fencedPrefix = fenced.slice(0, 9);
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.locator('figcaption.summary-text').waitFor();
    // The whole log: thousands of events, the chart drawn from the server's counts.
    const all = await page.locator('canvas').evaluate((c) => ({ ...c.dataset }));
    assert.ok(Number(all.allowed) >= 1800, JSON.stringify(all));
    await screenshot(page, 'audit-page');

    // One token's calls, from a shared URL: the chart equals the export of the same filter.
    await page.goto(`${sbx.url}/audit?token_prefix=${devPrefix}`);
    await page.locator('figcaption.summary-text').waitFor();
    const events = await exported(`token_prefix=${devPrefix}`);
    assert.equal(events.length, 720);
    const chart = await page.locator('canvas').evaluate((c) => ({ ...c.dataset }));
    assert.deepEqual(
      [Number(chart.allowed), Number(chart.denied), Number(chart.failed)],
      [events.filter((e) => e.status < 400).length, events.filter(denied).length, events.filter((e) => e.status >= 400 && !denied(e)).length],
    );
    const caption = await page.locator('figcaption.summary-text').innerText();
    assert.match(caption, /^720 calls from .*: 600 allowed, 120 denied, 0 failed\. Denied by reason: project_out_of_scope 120\./);
    assert.equal(await page.getByLabel('Token prefix').inputValue(), devPrefix);
    // The per-hour table (the chart as text) adds up to the same.
    const perHour = await page.locator('details.per-bar tbody tr').evaluateAll((rows) =>
      rows.reduce((n, r) => n + [1, 2, 3].reduce((m, i) => m + Number(r.children[i].textContent.replace(/,/g, '')), 0), 0),
    );
    assert.equal(perHour, 720);

    // Narrow to the fenced token's denials with the form: the URL and the table follow.
    await page.getByLabel('Token prefix').fill(fencedPrefix);
    await page.getByLabel('Result').selectOption('403');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => u.searchParams.get('token_prefix') === fencedPrefix && u.searchParams.get('status') === '403');
    await page.getByText('Events 1–50, newest first.').waitFor();
    const rows = await page.locator('table.events tbody tr[data-event]').evaluateAll((rs) => rs.map((r) => [r.dataset.status, r.children[2].textContent]));
    assert.equal(rows.length, 50);
    assert.ok(rows.every(([s, p]) => s === '403' && p === fencedPrefix), JSON.stringify(rows.slice(0, 3)));
    assert.match(await page.locator('figcaption.summary-text').innerText(), /^110 calls .* 110 denied, 0 failed\. Denied by reason: ip_not_allowed 110\./);

    // Pages by the API's cursors: 50, 50, then the last 10, and back.
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Events 51–100, newest first.').waitFor();
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Events 101–110, newest first.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Older →' }).isDisabled(), true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText('Events 51–100, newest first.').waitFor();

    // A denied event in full, opened from the keyboard: its reason and what was checked.
    const details = page.getByRole('button', { name: 'Details' }).first();
    await details.focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getByRole('button', { name: 'Hide' }).first().getAttribute('aria-expanded'), 'true');
    const full = await page.locator('tr.event-detail:not([hidden])').innerText();
    assert.match(full, /403 ip_not_allowed/);
    assert.match(full, /Why\s+\S+/);
    assert.match(full, /10\.9\.0\.0\/16/);
    await screenshot(page, 'audit-denied-event');

    // The filtered view exported as CSV: a header and one line per event.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    assert.equal(csv.length, 111);
    assert.ok(csv.slice(1).every((l) => l.includes(`,"${fencedPrefix}",`) && l.includes(',"403","ip_not_allowed",')));

    // Keyboard only: a path filter typed and submitted with Enter.
    await page.getByLabel('Path contains').focus();
    await page.keyboard.type('whoami');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('path') === 'whoami');
    await page.locator('figcaption.summary-text').waitFor();

    const ttfc = await page.evaluate(() => performance.getEntriesByName('audit:time-to-first-chart').at(-1)?.duration);
    assert.ok(ttfc > 0);
    console.log(`audit page: time to first chart ${ttfc.toFixed(0)} ms over ${all.allowed} allowed events`);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
