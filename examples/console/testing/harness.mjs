// Test harness: starts the sandbox binary (built beforehand by scripts/test.sh or
// scripts/main.sh) on an ephemeral port with the built console, and a headless Chromium.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(consoleDir, '..', '..');
export const artifacts = join(repoRoot, 'target', 'artifacts', 'console');

function sandboxBinary() {
  if (process.env.CLOUDDIGIT_SANDBOX_BIN) return process.env.CLOUDDIGIT_SANDBOX_BIN;
  const found = ['debug', 'release']
    .map((p) => join(repoRoot, 'target', p, 'clouddigit-sandbox'))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (found.length === 0) throw new Error('no target/{debug,release}/clouddigit-sandbox: cargo build -p clouddigit-sandbox first');
  return found[0];
}

/** Starts a sandbox (with `extra` arguments); resolves with its URL, the owner token and `stop()`. */
export async function startSandbox(extra = []) {
  const dist = join(consoleDir, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} is not built: npm run build in examples/console`);
  const dir = mkdtempSync(join(tmpdir(), 'cd-console-'));
  const tokenFile = join(dir, 'owner-token');
  const child = spawn(
    sandboxBinary(),
    ['--port', '0', '--token-file', tokenFile, '--console', dist, '--rate-burst', '0', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}${stderr}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${stderr}`)));
  });
  const ownerToken = readFileSync(tokenFile, 'utf8').trim();
  return {
    url,
    ownerToken,
    tokenFile,
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Mints a personal token for a seeded user with the owner token. */
export async function mintToken(sbx, userId, body) {
  const r = await fetch(`${sbx.url}/_sandbox/users/${userId}/tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${sbx.ownerToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: `console-test-${userId}`, expires_in_days: 1, ...body }),
  });
  if (!r.ok) throw new Error(`minting a token for ${userId}: ${r.status} ${await r.text()}`);
  return (await r.json()).secret;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A fresh tab (its own sessionStorage) signed in with `token`. */
export async function signedIn(browser, sbx, token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/401|403|Unauthorized/.test(m.text()) && problems.push(m.text()));
  await page.goto(`${sbx.url}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
  return { context, page, problems };
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  // For the leak sweep (scripts/leak-sweep.sh): the text of what the screenshot shows,
  // form values included, which the sweep searches for every secret the suite issued.
  // The one place a secret may be is the field that shows a new one once
  // ([data-secret]), the console's form of the answer that carries it.
  if (process.env.CLOUDDIGIT_LEAK_DIR) {
    const dir = join(process.env.CLOUDDIGIT_LEAK_DIR, 'console');
    mkdirSync(dir, { recursive: true });
    const text = await page.evaluate(() =>
      [
        document.body.innerText,
        ...[...document.querySelectorAll('input:not([data-secret]), textarea:not([data-secret])')].map((e) => e.value),
      ].join('\n'),
    );
    writeFileSync(join(dir, `${name}.txt`), text);
  }
}

/**
 * A sandbox (with `extra` arguments) and a browser for the tests of the enclosing suite,
 * started before them and stopped after: read `ctx.sbx` and `ctx.browser` in the tests.
 */
export function sandboxAndBrowser(extra = []) {
  const ctx = { sbx: null, browser: null };
  before(async () => {
    ctx.sbx = await startSandbox(extra);
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.sbx?.stop();
  });
  return ctx;
}
