// A token's usage page and the one-click downscope (docs/audit.md, "The console's audit
// page"), and the stale-credential banner, in headless Chromium against a sandbox: a
// token made with the SDK calls the API a known number of times; the page must show the
// calls, the address against the allow-list, "uses 1 of N", and a downscope whose token
// still makes those calls and is refused one it never made. A token that made no calls
// is offered revocation instead.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from '@clouddigit/sdk';
import { mintToken, sandboxAndBrowser, screenshot, signedIn } from '../testing/harness.mjs';

const ctx = sandboxAndBrowser();

const call = (token, method, path, body) =>
  fetch(`${ctx.sbx.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('token usage and downscope', () => {

  test('usage, "uses 1 of N", and a downscope that keeps exactly what the token did', async () => {
    const { sbx, browser } = ctx;
    const dev = await mintToken(sbx, 'u_dev', { name: 'usage-session', projects: ['web'], expires_in_days: 60 });
    const sdk = new Client({ baseUrl: `${sbx.url}/v1`, token: dev });
    const deploy = await sdk.tokens.create({ name: 'deploy', projects: ['web'], permissions: ['compute.servers.*'], expiry: '30d' });
    const idle = await sdk.tokens.create({ name: 'idle', projects: ['web'], permissions: ['compute.servers.list'], expiry: '30d', allowed_ips: ['10.0.0.0/8'] });
    const secret = deploy.secret.reveal();
    for (let i = 0; i < 7; i += 1) assert.equal((await call(secret, 'GET', '/v1/compute/servers?project=web')).status, 200);

    const { context, page, problems } = await signedIn(browser, sbx, dev);
    // The stale banner: the session token and "deploy" have no allow-list.
    const banner = page.getByRole('region', { name: 'Stale credentials' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /2 without an allow-list/);
    await banner.getByRole('link', { name: /without an allow-list/ }).click();
    await page.waitForURL((u) => u.searchParams.get('stale') === 'no_allow_list');
    await page.locator('table.list tbody tr').first().waitFor();
    const names = await page.locator('table.list tbody tr th').allInnerTexts();
    assert.deepEqual(names.map((n) => n.replace('this session', '').trim()).sort(), ['deploy', 'usage-session']);
    await screenshot(page, 'tokens-stale-banner');

    await page.locator('tr', { hasText: 'deploy' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage of “deploy”', level: 1 }).waitFor();
    const uses = await page.locator('p.uses').innerText();
    const m = /^Uses 1 of (\d+) permissions it holds, over 7 audited calls\.$/.exec(uses);
    assert.ok(m && Number(m[1]) > 1, uses);
    assert.equal(await page.locator('.spark canvas').getAttribute('data-calls'), '7');
    assert.match(await page.locator('p.last-used').innerText(), /from 127\.0\.0\.1: GET \/v1\/compute\/servers \(200\)/);
    assert.match(await page.locator('table.sources').innerText(), /127\.0\.0\.1\s+7\s+.*no list/);
    assert.deepEqual(await page.locator('.diff.keep li').allInnerTexts(), ['compute.servers.list']);
    await screenshot(page, 'token-usage');

    // Rotate into the downscope: confirm, the new secret once.
    await page.getByRole('button', { name: 'Rotate into this downscope' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /compute\.servers\.list/);
    await confirm.getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const narrow = await dialog.locator('[data-secret]').inputValue();
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    // It still makes the calls the token made, and is refused one it never made.
    assert.equal((await call(narrow, 'GET', '/v1/compute/servers?project=web')).status, 200);
    const refused = await call(narrow, 'POST', '/v1/compute/servers?project=web', { name: 'x', project: 'web' });
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 'not_in_token_permissions');
    const after = await sdk.tokens.get(deploy.token.id);
    assert.equal(after.status, 'rotating');
    // The replacement, once used, holds nothing its calls did not need: no further offer.
    await page.goto(`${sbx.url}/tokens/${after.replaced_by}/usage`);
    await page.getByRole('heading', { name: 'Usage of “deploy”', level: 1 }).waitFor();
    // Two calls: the list, and the create it was refused (which used no permission).
    assert.match(await page.locator('p.uses').innerText(), /^Uses 1 of 1 permissions it holds, over 2 audited calls\.$/);
    assert.match(await page.locator('.downscope p.notice').innerText(), /needed compute\.servers\.create, which it does not hold/);
    assert.equal(await page.getByRole('button', { name: 'Rotate into this downscope' }).isDisabled(), true);
    assert.match(await page.locator('#downscope-why').innerText(), /nothing to take away/);

    // A token with no calls: revocation is what the page offers.
    await page.goto(`${sbx.url}/tokens/${idle.token.id}/usage`);
    await page.getByRole('heading', { name: 'Usage of “idle”', level: 1 }).waitFor();
    assert.match(await page.locator('p.uses').innerText(), /over 0 audited calls/);
    assert.equal(await page.getByRole('button', { name: 'Rotate into this downscope' }).count(), 0);
    await page.getByRole('button', { name: 'Revoke this token' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    assert.equal((await sdk.tokens.get(idle.token.id)).status, 'revoked');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("a service account's usage, and its token's one-click downscope", async () => {
    const { sbx, browser } = ctx;
    const owner = new Client({ baseUrl: `${sbx.url}/v1`, token: sbx.ownerToken });
    const sa = (await owner.serviceAccounts.create({ name: 'usage-ci', project: 'web', role: 'member' })).service_account;
    const created = await owner.serviceAccounts.tokens.create(sa.id, { name: 'usage-ci-token', projects: ['web'], expiry: '30d' });
    const secret = created.secret.reveal();
    for (let i = 0; i < 3; i += 1) assert.equal((await call(secret, 'GET', '/v1/compute/servers?project=web')).status, 200);

    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/service-accounts/${sa.id}`);
    const usage = page.locator('p.sa-usage');
    await usage.filter({ hasText: /calls in the last 30 days/ }).waitFor();
    assert.match(await usage.innerText(), /^Usage: 3 calls in the last 30 days \(3 allowed, 0 denied\) from 1 address; last .* GET \/v1\/compute\/servers\.$/);
    await page.locator('tr', { hasText: 'usage-ci-token' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage of “usage-ci-token”', level: 1 }).waitFor();
    // It inherits the account's role: what it holds is the role's, so N of M is known.
    assert.match(await page.locator('p.uses').innerText(), /^Uses 1 of \d+ permissions it holds, over 3 audited calls\.$/);
    // From the keyboard: the button, Enter, then the confirmation's Rotate.
    await page.getByRole('button', { name: 'Rotate into this downscope' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const narrow = await dialog.locator('[data-secret]').inputValue();
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('heading', { name: `Service account ${sa.name}`, level: 1 }).waitFor();
    assert.equal((await call(narrow, 'GET', '/v1/compute/servers?project=web')).status, 200);
    assert.equal((await call(narrow, 'GET', '/v1/storage/buckets?project=web')).status, 403);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the stale banner counts tokens unused for 30 days, seen from a month later', async () => {
    const { sbx, browser } = ctx;
    const admin = await mintToken(sbx, 'u_admin', { name: 'stale-session', projects: ['data'], expires_in_days: 200 });
    const sdk = new Client({ baseUrl: `${sbx.url}/v1`, token: admin });
    await sdk.tokens.create({ name: 'never-used', projects: ['data'], expiry: '90d', allowed_ips: ['10.0.0.0/8'] });
    const { context, page, problems } = await signedIn(browser, sbx, admin);
    // The browser's clock 31 days on (the lint's "now"); the API keeps its own time.
    await page.clock.setFixedTime(new Date(Date.now() + 31 * 86_400_000));
    await page.goto(`${sbx.url}/tokens`);
    const banner = page.getByRole('region', { name: 'Stale credentials' });
    await banner.waitFor();
    const text = await banner.innerText();
    assert.match(text, /2 unused for 30 days/);
    assert.doesNotMatch(text, /unused for 90 days/);
    // Keyboard only: the filter link, then back to every token.
    await banner.getByRole('link', { name: /unused for 30 days/ }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('stale') === 'unused30');
    await page.getByRole('link', { name: 'Show all' }).waitFor();
    const names = await page.locator('table.list tbody tr th').allInnerTexts();
    assert.deepEqual(names.map((n) => n.replace('this session', '').trim()).sort(), ['never-used', 'stale-session']);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
