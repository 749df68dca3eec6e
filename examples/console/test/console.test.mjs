// The console in headless Chromium against a real sandbox: what issue 7 asks of the
// "New API token" form, the secret shown once, revocation, and keyboard use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, mintToken, screenshot, signedIn, startSandbox } from '../testing/harness.mjs';

let sbx;
let browser;

before(async () => {
  sbx = await startSandbox();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await sbx?.stop();
});

/** The element(s) an input's aria-describedby names, as text. */
async function describedText(locator) {
  return locator.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? `<missing #${id}>`)
      .join(' | '),
  );
}

describe('sign in', () => {
  test('says where the owner token file is, and keeps the token out of the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sbx.url}/tokens`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(await page.locator('main').innerText(), new RegExp(sbx.tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await screenshot(page, 'sign-in');
    await page.getByLabel('API token').fill(sbx.ownerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('clouddigit.console.token')), sbx.ownerToken);
    assert.ok(!(await page.content()).includes(sbx.ownerToken), 'the token is never rendered');
    await context.close();
  });
});

describe('new API token form', () => {
  test('1. a bad CIDR gets an inline error naming the entry, linked with aria-describedby', async () => {
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.getByRole('link', { name: '+ New token' }).click();
    await page.getByRole('heading', { name: 'New API token' }).waitFor();
    await screenshot(page, 'form-empty');

    const ips = page.getByLabel('Allowed IPs (optional)');
    await ips.fill('203.0.113.0/24\n10.0.0.300/8');
    assert.equal(await ips.getAttribute('aria-invalid'), 'true');
    const describedBy = (await ips.getAttribute('aria-describedby')).split(/\s+/);
    const errorId = describedBy.find((id) => id.startsWith('err-'));
    assert.ok(errorId, `aria-describedby names the error: ${describedBy}`);
    const error = page.locator(`#${errorId}`);
    assert.ok(await error.isVisible());
    const text = await error.innerText();
    assert.match(text, /10\.0\.0\.300\/8/);
    assert.match(text, /Entry 2/);
    // The error sits right under the textarea.
    const [box, errBox] = [await ips.boundingBox(), await error.boundingBox()];
    assert.ok(errBox.y >= box.y + box.height - 1 && errBox.y - (box.y + box.height) < 40, 'error is under the field');

    // More problems, to see them all in the screenshot: a name taken by automation
    // (warning) and a never-expiring token (warning), a custom date in the past (error).
    await page.getByLabel('Name').fill('ci deploy');
    await page.locator('input[name=projects][value=web]').check();
    await page.getByLabel('Never').check();
    assert.match(await page.locator('aside').innerText(), /sounds like automation/);
    assert.match(await page.locator('aside').innerText(), /never expires/);
    // The preview table has a column per selected project.
    assert.match(await page.locator('table.matrix thead').innerText(), /web/);
    await page.getByRole('button', { name: 'Create token' }).click();
    assert.match(await describedText(ips), /10\.0\.0\.300\/8/);
    await screenshot(page, 'form-errors');

    await ips.fill('203.0.113.0/24');
    assert.equal(await ips.getAttribute('aria-invalid'), null, 'fixed: no longer invalid');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('2. All projects is unavailable to a member (u_dev), with the reason', async () => {
    const devToken = await mintToken(sbx, 'u_dev', { projects: ['web'] });
    const { context, page } = await signedIn(browser, sbx, devToken);
    await page.goto(`${sbx.url}/tokens/new`);
    const all = page.getByLabel('All projects');
    await all.waitFor();
    assert.ok(await all.isDisabled(), 'All projects is disabled');
    const reason = await describedText(all);
    assert.match(reason, /only an organization admin or owner/);
    assert.ok(await page.getByText(/Unavailable: only an organization admin or owner/).isVisible(), 'the reason is visible');
    // Projects without a role cannot be chosen either; web can.
    assert.ok(await page.locator('input[name=projects][value=prod]').isDisabled());
    assert.ok(await page.locator('input[name=projects][value=web]').isEnabled());
    await screenshot(page, 'form-member');
    await context.close();
  });

  test('3. a permission outside the role cannot be added (u_analyst, read_only in data)', async () => {
    const analystToken = await mintToken(sbx, 'u_analyst', { projects: ['data'] });
    const { context, page } = await signedIn(browser, sbx, analystToken);
    await page.goto(`${sbx.url}/tokens/new`);
    await page.locator('input[name=projects][value=data]').check();
    await page.getByLabel('Choose permissions (downscope)').check();
    await page.getByLabel('Search permissions').fill('compute.servers');
    const create = page.locator('input[type=checkbox][value="compute.servers.create"]');
    const list = page.locator('input[type=checkbox][value="compute.servers.list"]');
    assert.ok(await create.isDisabled(), 'compute.servers.create is disabled');
    assert.match(await describedText(create), /not granted by your role in data \(read-only\)/);
    assert.ok(await page.getByText(/Unavailable: not granted by your role in data/).first().isVisible());
    assert.ok(await list.isEnabled(), 'compute.servers.list can be chosen');
    await list.check();
    // The preview shows exactly what was chosen.
    assert.match(await page.locator('table.matrix').innerText(), /servers\.list/);
    assert.doesNotMatch(await page.locator('table.matrix').innerText(), /servers\.create/);
    await screenshot(page, 'form-picker');
    await context.close();
  });
});

describe('secret shown once, revoke', () => {
  let secret;
  let prefix;

  test('4. create shows the secret once, never again after reload', async () => {
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/tokens/new`);
    await page.getByLabel('Name').fill('laptop-cli');
    await page.locator('input[name=projects][value=web]').check();
    await page.getByLabel('Allowed IPs (optional)').fill('127.0.0.1');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /will not be shown again/);
    assert.ok(await dialog.getByRole('button', { name: 'Copy' }).isVisible());
    secret = await dialog.locator('[data-secret]').inputValue();
    assert.match(secret, /^cd_[A-Za-z0-9]{40,}$/);
    prefix = secret.slice(0, 9);
    await screenshot(page, 'secret-once');

    const live = await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(live.status, 200, 'the new token works');

    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    const row = page.locator('tr', { hasText: 'laptop-cli' });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(prefix));
    assert.ok(!(await page.content()).includes(secret), 'secret gone once the dialog closed');

    await page.reload();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await page.locator('tr', { hasText: 'laptop-cli' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'secret absent after reload');
    assert.match(await page.locator('tr', { hasText: 'laptop-cli' }).innerText(), new RegExp(prefix));
    await screenshot(page, 'after-create');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('5. revoke (with confirmation) makes the next call with that token fail with 401', async () => {
    assert.ok(secret, 'test 4 captured the secret');
    const { context, page } = await signedIn(browser, sbx, sbx.ownerToken);
    const row = page.locator('tr', { hasText: 'laptop-cli' });
    await row.getByRole('button', { name: 'Revoke laptop-cli' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /fails with 401/);
    // Escape cancels: the token still works.
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    let r = await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(r.status, 200, 'cancelled: still live');

    await row.getByRole('button', { name: 'Revoke laptop-cli' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.locator('tr', { hasText: 'laptop-cli' }).filter({ hasText: 'revoked' }).waitFor();
    r = await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).code, 'revoked');
    await context.close();
  });
});

describe('keyboard only', () => {
  test('6. tab to the name field, type, and submit with the keyboard', async () => {
    const { context, page } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/tokens/new`);
    await page.getByRole('heading', { name: 'New API token' }).waitFor();
    const active = () => page.evaluate(() => {
      const el = document.activeElement;
      const label = el?.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      return { tag: el?.tagName, label: label ?? el?.textContent ?? '', focusVisible: el?.matches(':focus-visible') ?? false };
    });
    const tabTo = async (pred, what) => {
      for (let i = 0; i < 40; i += 1) {
        await page.keyboard.press('Tab');
        const a = await active();
        if (pred(a)) return a;
      }
      assert.fail(`Tab never reached ${what}`);
    };
    const name = await tabTo((a) => a.tag === 'INPUT' && a.label === 'Name', 'the name field');
    assert.ok(name.focusVisible, 'focus is visible');
    await page.keyboard.type('keyboard-token');
    await tabTo((a) => a.tag === 'INPUT' && /^web/.test(a.label), 'the web checkbox');
    await page.keyboard.press('Space');
    await tabTo((a) => a.tag === 'BUTTON' && a.label === 'Create token', 'the submit button');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal((await active()).tag, 'INPUT', 'focus moved into the dialog');
    // Tab stays inside the modal dialog.
    for (let i = 0; i < 4; i += 1) {
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => !!document.activeElement?.closest('dialog') || document.activeElement === document.body));
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr', { hasText: 'keyboard-token' }).waitFor();
    await context.close();
  });
});

describe('service accounts', () => {
  test('create with live validation, then tokens and access keys, secrets shown once', async () => {
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('link', { name: '+ New service account' }).click();
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('CI Deployer');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.match(await describedText(name), /lowercase letters, digits and hyphens/);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await screenshot(page, 'sa-form-errors');
    await name.fill('ci-deployer');
    assert.equal(await name.getAttribute('aria-invalid'), null);
    await page.getByLabel('Project scope').selectOption('web');
    await page.getByRole('button', { name: 'Create service account' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const clientSecret = await dialog.locator('[data-secret]').inputValue();
    assert.ok(clientSecret.length >= 20);
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('heading', { name: 'Service account ci-deployer' }).waitFor();
    assert.ok(!(await page.content()).includes(clientSecret));

    // A token for the account: its project is fixed, the form's validation applies.
    await page.getByRole('link', { name: '+ New token' }).click();
    await page.getByRole('heading', { name: 'New token for ci-deployer' }).waitFor();
    assert.ok(await page.locator('input[name=projects][value=web]').isChecked());
    assert.ok(await page.getByLabel('All projects').isDisabled());
    await page.getByLabel('Name').fill('deploy-web');
    assert.match(await page.locator('aside').innerText(), /restrict service-account tokens/);
    await page.getByLabel('Allowed IPs (optional)').fill('192.0.2.0/24');
    await screenshot(page, 'sa-token-form');
    await page.getByRole('button', { name: 'Create token' }).click();
    dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const saSecret = await dialog.locator('[data-secret]').inputValue();
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.locator('tr', { hasText: 'deploy-web' }).waitFor();
    assert.match(await page.locator('tr', { hasText: 'deploy-web' }).innerText(), new RegExp(saSecret.slice(0, 9)));

    // Rotate: the new secret once, and when the old one stops.
    await page.getByRole('button', { name: 'Rotate deploy-web' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate' }).click();
    dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /keeps working until \d{4}-\d{2}-\d{2}/);
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.locator('tr', { hasText: 'rotated; works until' }).waitFor();

    // Access keys: create (secret once), delete with confirmation.
    await page.getByRole('button', { name: '+ New access key' }).click();
    dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const keySecret = await dialog.locator('[data-secret]').inputValue();
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    const keyRow = page.locator('tr', { has: page.getByRole('button', { name: /^Delete / }) });
    await keyRow.waitFor();
    assert.ok(!(await page.content()).includes(keySecret));
    await screenshot(page, 'sa-page');
    await keyRow.getByRole('button', { name: /^Delete / }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete key' }).click();
    await page.getByText('No access keys.').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('on the SDK Client', () => {
  test('a role lowered since the form opened: the SDK refuses the draft before sending, under the field', async () => {
    const setWebRole = (role) =>
      fetch(`${sbx.url}/_sandbox/users/u_dev`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${sbx.ownerToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ project_roles: { web: role } }),
      });
    const devToken = await mintToken(sbx, 'u_dev', { name: 'console-test-demoted', projects: ['web'] });
    const { context, page, problems } = await signedIn(browser, sbx, devToken);
    try {
      await page.goto(`${sbx.url}/tokens/new`);
      await page.getByLabel('Name').fill('deploy-from-laptop');
      await page.locator('input[name=projects][value=web]').check();
      // Within the one-day session token: the form holds a new token to it.
      await page.getByLabel('Custom date').check();
      await page.getByLabel('Custom expiry date').fill(new Date().toISOString().slice(0, 10));
      await page.getByLabel('Choose permissions (downscope)').check();
      await page.getByLabel('Search permissions').fill('compute.servers');
      const create = page.locator('input[type=checkbox][value="compute.servers.create"]');
      assert.ok(await create.isEnabled(), 'a member may choose compute.servers.create');
      await create.check();
      // Elsewhere, u_dev becomes read-only in web: the form's whoami is stale, the SDK's is not.
      assert.equal((await setWebRole('read_only')).status, 200);
      const posts = [];
      page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/v1/iam/tokens') && posts.push(r.url()));
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByText(/^Not sent: /).waitFor();
      assert.ok(await page.locator('.field-errors', { hasText: /role grants compute\.servers\.create in none of the selected projects/ }).first().isVisible(), 'the field error shows');
      assert.deepEqual(posts, [], 'nothing was sent');
      assert.equal(await page.getByRole('dialog').count(), 0, 'no secret dialog');
      await screenshot(page, 'sdk-local-validation');
      assert.deepEqual(problems, []);
    } finally {
      await setWebRole('member');
      await context.close();
    }
  });

  test('an organization-level service account: created and listed', async () => {
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/service-accounts/new`);
    await page.getByLabel('Name', { exact: true }).fill('org-auditor');
    await page.getByLabel('Project scope').selectOption({ label: 'Organization-level (acts in every project)' });
    await page.getByLabel('Role', { exact: true }).selectOption('read_only');
    await page.getByRole('button', { name: 'Create service account' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const clientSecret = await dialog.locator('[data-secret]').inputValue();
    assert.ok(clientSecret.length >= 20);
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('heading', { name: 'Service account org-auditor' }).waitFor();
    assert.match(await page.locator('dl.facts').innerText(), /organization \(every project\)/);
    await page.getByRole('link', { name: 'Service accounts', exact: true }).click();
    const row = page.locator('tr', { hasText: 'org-auditor' });
    await row.waitFor();
    assert.match(await row.innerText(), /organization \(every project\)/);
    assert.ok(!(await page.content()).includes(clientSecret));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the session token revoked elsewhere: the next page signs out (AuthenticationError)', async () => {
    const token = await mintToken(sbx, 'u_owner', { name: 'short-session', projects: 'all' });
    const { context, page } = await signedIn(browser, sbx, token);
    const me = await (await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${token}` } })).json();
    const r = await fetch(`${sbx.url}/v1/iam/tokens/${me.token.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${sbx.ownerToken}` } });
    assert.equal(r.status, 200);
    await page.getByRole('link', { name: 'Service accounts', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Your session ended/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('clouddigit.console.token')), null);
    await context.close();
  });
});

describe('organization token policy', () => {
  test('the form holds a new token to the one you are signed in with, and the list says what made what', async () => {
    // A one-day token of u_dev, limited to 127.0.0.1: what it makes must expire by then and
    // stay on that address.
    const narrow = await mintToken(sbx, 'u_dev', {
      name: 'narrow-session', projects: ['web'], allowed_ips: ['127.0.0.1/32'],
      permissions: ['iam.tokens.list', 'iam.tokens.create', 'compute.servers.list'],
    });
    const { context, page, problems } = await signedIn(browser, sbx, narrow);
    const creates = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === '/v1/iam/tokens') creates.push(req.url());
    });
    await page.getByRole('link', { name: '+ New token' }).click();
    await page.getByRole('heading', { name: 'New API token' }).waitFor();
    await page.getByLabel('Name').fill('child');
    await page.locator('input[name=projects][value=web]').check();
    const ips = page.getByLabel('Allowed IPs (optional)');
    assert.match(await describedText(ips), /may be used only from 127\.0\.0\.1\/32/);
    await page.getByLabel('Never').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const never = page.getByLabel('Never');
    assert.equal(await never.getAttribute('aria-invalid'), 'true');
    assert.match(await describedText(never), /after the calling token/);
    assert.equal(await ips.getAttribute('aria-invalid'), 'true');
    assert.match(await describedText(ips), /carry an allow-list within it/);
    const inherit = page.getByLabel('Inherit from your role');
    assert.match(await describedText(inherit), /downscoped/);
    assert.deepEqual(creates, [], 'nothing was sent');
    // Within the session token, the token is made, and the list names its maker.
    await page.getByLabel('Choose permissions (downscope)').check();
    await page.locator('input[name=permissions][value="compute.servers.list"]').check();
    await ips.fill('127.0.0.1');
    await page.getByLabel('Custom date').check();
    await page.getByLabel('Custom expiry date').fill(new Date().toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(creates.length, 1);
    const row = page.locator('tr', { has: page.getByRole('rowheader', { name: 'child' }) });
    await row.waitFor();
    assert.match(await row.locator('td.lineage').innerText(), /token “narrow-session”/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the policy the server applies is the one the form validates with', async () => {
    const setPolicy = (policy) =>
      fetch(`${sbx.url}/_sandbox/policy`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${sbx.ownerToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ policy }),
      });
    // No maximum lifetime: the owner's never-expiring session token keeps working.
    assert.equal((await setPolicy({ allow_never_expiring: false })).status, 200);
    let context;
    try {
      const session = await signedIn(browser, sbx, sbx.ownerToken);
      context = session.context;
      const { page, problems } = session;
      const creates = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/v1/iam/tokens') creates.push(req.url());
      });
      await page.getByRole('link', { name: '+ New token' }).click();
      await page.getByRole('heading', { name: 'New API token' }).waitFor();
      await page.getByLabel('Name').fill('policy-check');
      await page.locator('input[name=projects][value=web]').check();
      await page.getByLabel('Never').check();
      await page.getByRole('button', { name: 'Create token' }).click();
      const never = page.getByLabel('Never');
      assert.equal(await never.getAttribute('aria-invalid'), 'true');
      assert.match(await describedText(never), /policy/i);
      // Nothing was sent; the server would refuse it for the same reason.
      assert.deepEqual(creates, []);
      const r = await fetch(`${sbx.url}/v1/iam/tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sbx.ownerToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'policy-check', projects: ['web'], expires_at: null }),
      });
      assert.equal(r.status, 422);
      assert.equal((await r.json()).errors[0].code, 'expiry_never_forbidden');
      // Within the policy, the form creates the token.
      await page.getByLabel('30 days').check();
      await page.getByRole('button', { name: 'Create token' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'I have copied it' }).click();
      assert.equal(creates.length, 1);
      assert.deepEqual(problems, []);
    } finally {
      await context?.close();
      await setPolicy(null);
    }
  });
});
