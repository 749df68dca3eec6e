#!/usr/bin/env node
// `npx @clouddigit/sdk <command>`: the same `clouddigit` command as the Python package.
// Every rule, message and exit status comes from the core (runCli); this file only
// reads files, lists directories, writes output, prompts, and hands the online commands
// the SDK's own Client (the credential chain a script's `new Client()` uses).
import { readFileSync, readdirSync, statSync, lstatSync, writeFileSync, renameSync, mkdirSync, unlinkSync, openSync, closeSync, fsyncSync, readSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
// The command is a wasm module of its own (wasm-cli/), so browser pages never load it.
// It carries the SDK's Client too (with the internal __run the online commands use), so
// the SDK's own module is not loaded at all.
import { clientEnvVars, Client, initSync, runCli } from '../dist/cli/clouddigit_cli.js';
import { setHost } from '../dist/cli/host.js';
import { keychain, nodeHost } from './node_host.js';

initSync({ module: readFileSync(new URL('../dist/cli/clouddigit_cli_bg.wasm', import.meta.url)) });
setHost(nodeHost(clientEnvVars()));

// `skipDirs` comes from the core: which directories a scan skips is its rule.
function listFiles(path, skipDirs) {
  const skip = new Set(skipDirs);
  const out = [];
  const walk = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!skip.has(name)) walk(join(p, name));
    } else if (st.isFile()) {
      out.push(p);
    }
  };
  walk(path);
  return out;
}

// least-privilege and lint stream their input: the command asks for bytes a chunk at a
// time (it inflates gzip and splits lines itself), so an export of any size fits.
const chunk = Buffer.allocUnsafe(1 << 20);
const pause = new Int32Array(new SharedArrayBuffer(4));
function readChunk(fd) {
  for (;;) {
    try {
      return chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, null));
    } catch (e) {
      if (e.code === 'EOF') return chunk.subarray(0, 0);
      // A non-blocking standard input with nothing yet: wait a moment and ask again.
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

// The SDK's errors as data for the core: {kind, code, message, status, ...}.
// An error's message carries "kind (code): " in front (String(e)); the core adds its own.
const errorData = (e) => ({
  kind: e.kind ?? 'config',
  code: e.code ?? 'internal',
  message: String(e.message ?? e).replace(`${e.kind} (${e.code}): `, ''),
  status: e.status ?? null,
  request_id: e.requestId ?? null,
  field_errors: e.fieldErrors ?? [],
  retries: e.retries ?? 0,
});

function notALink(path) {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new Error('is a symbolic link: give the path of the file itself');
  if (st.isDirectory()) throw new Error('is a directory');
}

function privateTemp(path) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return join(dirname(path), `.clouddigit-${randomBytes(8).toString('hex')}`);
}

let client = null;
let stdinLines = null;

// Standard input's lines, read once (prompts without a terminal read the piped answers).
async function nextLine(question, secret) {
  if (!process.stdin.isTTY) {
    stdinLines ??= readFileSync(0, 'utf8').split('\n');
    return stdinLines.length ? stdinLines.shift() : null;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (secret) {
    // Echo off: the question is written once, keystrokes are not.
    rl._writeToOutput = (s) => {
      if (s.includes(question)) process.stderr.write(question);
    };
  }
  try {
    return await new Promise((resolve) => {
      rl.on('close', () => resolve(null));
      rl.question(question, (a) => resolve(a));
    });
  } finally {
    if (secret) process.stderr.write('\n');
    rl.close();
  }
}

const io = {
  read: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  openRead: (path) => (path === '-' ? 0 : openSync(path, 'r')),
  readChunk,
  closeRead: (fd) => { if (fd !== 0) closeSync(fd); },
  listFiles,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: () => Boolean(process.stderr.isTTY),
  progress(done, total) {
    const width = 30;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  },
  connect(options) {
    try {
      client = new Client(JSON.parse(options));
      return JSON.stringify({ ok: JSON.parse(client.__credentialSource()) });
    } catch (e) {
      return JSON.stringify({ error: errorData(e) });
    }
  },
  run: (command) => client.__run(command),
  keychainGet: (profile) => keychain().get(profile),
  keychainSet: (profile, secret) => keychain().set(profile, secret),
  keychainDelete: (profile) => keychain().delete(profile),
  prompt: (question, secret) => nextLine(question, secret),
  // A sibling file with a random name, created 0600 and exclusively, synced, then renamed
  // over the path: never half a token; removed again if anything fails.
  writePrivate(path, text) {
    notALink(path);
    const tmp = privateTemp(path);
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeFileSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {}
      throw e;
    }
  },
  // Whether writePrivate would work, leaving the path as it is.
  checkPrivate(path) {
    notALink(path);
    const tmp = privateTemp(path);
    closeSync(openSync(tmp, 'wx', 0o600));
    unlinkSync(tmp);
  },
  removeFile(path) {
    try {
      unlinkSync(path);
      return true;
    } catch (e) {
      if (e.code === 'ENOENT') return false;
      throw e;
    }
  },
  configDir: () => join(homedir(), '.config', 'cd'),
  env: (name) => process.env[name] ?? null,
  stdinIsTty: () => Boolean(process.stdin.isTTY),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

process.exitCode = await runCli(process.argv.slice(2), io);
