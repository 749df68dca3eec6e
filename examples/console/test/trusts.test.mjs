// The "Trusted issuers" section of a service account's page (issue 20, docs/oidc.md) in
// headless Chromium against a real sandbox: a trust added from the GitHub Actions preset
// with the core's live validation, the API's field errors, a CI job's token exchanged
// through it (the sandbox's development issuer stands in for GitHub), and deletion, which
// ends the minted token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot, signedIn, startSandbox } from '../testing/harness.mjs';

const AUDIENCE = 'https://iam.clouddigit.ai/acme';
const SUBJECT = 'repo:acme/web:ref:refs/heads/main';

let sbx;
let browser;
let saId;

async function api(method, path, body, token = sbx.ownerToken) {
  const r = await fetch(`${sbx.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

/** What a CI job does: its platform's JWT, exchanged at the organization's token endpoint. */
async function exchange(claims) {
  const jwt = await api('POST', '/_sandbox/oidc/token', { claims });
  assert.equal(jwt.status, 200, JSON.stringify(jwt.body));
  const r = await fetch(`${sbx.url}/realms/acme/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: jwt.body.token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      audience: saId,
    }),
  });
  return { status: r.status, body: await r.json() };
}

const whoamiStatus = async (token) =>
  (await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${token}` } })).status;

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

before(async () => {
  sbx = await startSandbox();
  browser = await launchBrowser();
  const created = await api('POST', '/v1/iam/service-accounts', { name: 'ci-web', project: 'web', role: 'member' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  saId = created.body.service_account.id;
});
after(async () => {
  await browser?.close();
  await sbx?.stop();
});

describe('trusted issuers', () => {
  let minted;

  test('1. added from the GitHub Actions preset, validated as typed, refused with the API field error, then listed', async () => {
    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/service-accounts/${saId}`);
    await page.getByRole('heading', { name: 'Trusted issuers' }).waitFor();
    assert.ok(await page.getByText('No trusted issuers.').isVisible());
    await page.getByRole('link', { name: '+ Add trusted issuer' }).click();
    await page.getByRole('heading', { name: 'Add a trusted issuer for ci-web' }).waitFor();

    // The preset fills the issuer, the audience and the id claim to pin (left empty).
    await page.getByLabel('Preset', { exact: true }).selectOption('github_branch');
    const issuer = page.getByLabel('Issuer', { exact: true });
    const subject = page.getByLabel('Subject', { exact: true });
    assert.equal(await issuer.inputValue(), 'https://token.actions.githubusercontent.com');
    assert.equal(await page.getByLabel('Audiences', { exact: true }).inputValue(), AUDIENCE);
    assert.equal(await page.getByLabel('Claim 1 name').inputValue(), 'repository_owner_id');
    await page.getByLabel('Name', { exact: true }).fill('web-deploy');

    // No condition at all (no subject yet, the id claim removed): the core's error.
    await page.getByRole('button', { name: 'Remove claim 1' }).click();
    assert.equal(await subject.getAttribute('aria-invalid'), 'true');
    assert.match(await describedText(subject), /give a subject or at least one claim condition/);
    await screenshot(page, 'trust-form-no-condition');

    // Every branch of a repository named by name, and no id claim: a warning, not an error.
    await page.getByLabel(/^Repository/).fill('acme/web');
    await page.getByLabel(/^Branch/).fill('*');
    assert.equal(await subject.inputValue(), 'repo:acme/web:ref:refs/heads/*');
    assert.equal(await subject.getAttribute('aria-invalid'), null);
    const warning = page.locator('aside li.warning[data-code="subject_glob_without_id"]');
    await warning.waitFor();
    assert.match(await warning.innerText(), /Subject: a glob on names matches whoever holds those names later/);
    // `*` as an audience is no wildcard: a warning too.
    await page.getByLabel('Audience the job asks for').fill('*');
    await page.locator('aside li.warning[data-code="audience_wildcard"]').waitFor();
    await screenshot(page, 'trust-form-warnings');
    await page.getByLabel('Audience the job asks for').fill(AUDIENCE);

    // Pinning the owner's id ends the warning; the branch narrows the subject.
    await page.getByRole('button', { name: '+ Add claim condition' }).click();
    await page.getByLabel('Claim 1 name').fill('repository_owner_id');
    await page.getByLabel('Claim 1 value').fill('4242');
    await page.getByLabel(/^Branch/).fill('main');
    assert.equal(await subject.inputValue(), SUBJECT);
    assert.equal(await page.locator('aside li.warning').count(), 0);
    assert.match(await page.locator('aside').innerText(), /No warnings\./);
    // GitHub cannot be reached from here: the sandbox's development issuer signs instead.
    await issuer.fill(`${sbx.url}/_sandbox/oidc`);
    assert.equal(await issuer.getAttribute('aria-invalid'), null);

    // The API checks the trust again: a bad issuer put in the request on its way is
    // refused with a 422, and its field error shows under Issuer.
    let rewritten = 0;
    await page.route('**/v1/iam/service-accounts/*/trusts', (route) => {
      const req = route.request();
      if (req.method() !== 'POST' || rewritten > 0) return route.continue();
      rewritten += 1;
      return route.continue({ postData: JSON.stringify({ ...JSON.parse(req.postData()), issuer: 'http://ci.example.com' }) });
    });
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && /\/trusts$/.test(r.url()));
    await page.getByRole('button', { name: 'Add trust' }).click();
    assert.equal((await refused).status(), 422);
    await page.getByText(/^The API refused: /).waitFor();
    assert.equal(await issuer.getAttribute('aria-invalid'), 'true');
    assert.match(await describedText(issuer), /an https URL, exactly as the tokens' `iss` claim gives it/);
    await screenshot(page, 'trust-form-server-error');
    await page.unroute('**/v1/iam/service-accounts/*/trusts');

    // As typed, the API takes it; the account's page lists it.
    await page.getByRole('button', { name: 'Add trust' }).click();
    await page.getByRole('heading', { name: 'Service account ci-web' }).waitFor();
    const row = page.locator('table.trusts tr', { has: page.getByRole('rowheader', { name: 'web-deploy' }) });
    await row.waitFor();
    const text = await row.innerText();
    assert.ok(text.includes(`${sbx.url}/_sandbox/oidc`), text);
    assert.ok(text.includes(`sub = ${SUBJECT}`), text);
    assert.ok(text.includes('repository_owner_id = 4242'), text);
    assert.match(text, /15 min · the account’s role/);
    await screenshot(page, 'trusts-listed');

    const listed = await api('GET', `/v1/iam/service-accounts/${saId}/trusts`);
    assert.equal(listed.body.trusts.length, 1);
    assert.deepEqual(listed.body.trusts[0].claims, { repository_owner_id: '4242' });
    // The browser logs the refused POST; nothing else went wrong.
    assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
    await context.close();
  });

  test('2. a CI job exchanges its token through it; the minted token works, is made by the trust, and dies with it', async () => {
    const claims = { sub: SUBJECT, aud: AUDIENCE, repository_owner_id: '4242', repository: 'acme/web', run_id: '7' };
    // Another branch does not match.
    assert.notEqual((await exchange({ ...claims, sub: 'repo:acme/web:ref:refs/heads/dev' })).status, 200);
    const ok = await exchange(claims);
    assert.equal(ok.status, 200, JSON.stringify(ok.body.error ?? ok.body));
    assert.equal(ok.body.token_type, 'Bearer');
    assert.ok(ok.body.expires_in > 0 && ok.body.expires_in <= 15 * 60);
    minted = ok.body.access_token;
    const me = await fetch(`${sbx.url}/v1/iam/whoami`, { headers: { Authorization: `Bearer ${minted}` } });
    assert.equal(me.status, 200, 'the minted token works');
    const { token } = await me.json();
    assert.equal(token.name, 'oidc:web-deploy');
    assert.equal(token.created_by.type, 'trust');

    const { context, page, problems } = await signedIn(browser, sbx, sbx.ownerToken);
    await page.goto(`${sbx.url}/service-accounts/${saId}`);
    await page.locator('table.trusts').getByRole('rowheader', { name: 'web-deploy' }).waitFor();

    // Deleting asks first, and says what happens to the tokens it minted.
    await page.getByRole('button', { name: 'Delete trust web-deploy' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /every token this trust minted stops working at once/);
    await screenshot(page, 'trust-delete');
    await confirm.getByRole('button', { name: 'Delete trust' }).click();
    await page.getByText('No trusted issuers.').waitFor();
    assert.equal(await whoamiStatus(minted), 401, 'the minted token is refused');
    assert.notEqual((await exchange(claims)).status, 200, 'no trust: no exchange');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
