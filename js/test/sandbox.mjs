// Starts the real sandbox binary (`clouddigit-sandbox`) on an ephemeral port for the
// client tests, with a few sandbox-admin helpers called with the owner's token over plain
// fetch (not the SDK). CLOUDDIGIT_SANDBOX_BIN names the binary (scripts/test.sh builds it);
// from the repository it defaults to target/debug/clouddigit-sandbox.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sandboxBin =
  process.env.CLOUDDIGIT_SANDBOX_BIN ??
  fileURLToPath(new URL('../../target/debug/clouddigit-sandbox', import.meta.url));

export async function startSandbox() {
  const dir = await mkdtemp(join(tmpdir(), 'cd-sandbox-'));
  // Started in an empty directory: no database, no console files, the token file there.
  const child = spawn(sandboxBin, ['--port', '0', '--token-file', join(dir, 'token')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}): ${out}${err}`)));
  });
  const owner = (await readFile(join(dir, 'token'), 'utf8')).trim();

  async function admin(method, path, body) {
    const resp = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await resp.text();
    if (!resp.ok) throw new Error(`${method} ${path}: HTTP ${resp.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    url,
    base: `${url}/v1`,
    owner,
    admin,
    faults: (plan) => admin('POST', '/_sandbox/faults', plan),
    faultStatus: () => admin('GET', '/_sandbox/faults'),
    advanceClock: (seconds) => admin('POST', '/_sandbox/clock', { advance_seconds: seconds }),
    /** A personal token of a seeded user (u_dev, u_admin, ...), minted by the sandbox. */
    userToken: async (user, projects) =>
      (
        await admin('POST', `/_sandbox/users/${user}/tokens`, {
          name: `${user}-test`,
          projects,
          expires_in_days: 30,
        })
      ).secret,
    async stop() {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
