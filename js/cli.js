#!/usr/bin/env node
// `npx @clouddigit/sdk <command>`: the same `clouddigit` command as the Python package.
// Every rule, message and exit status comes from the core (runCli); this file only
// reads files, walks directories, runs git, writes output, prompts, and hands the online
// commands the SDK's own Client (the credential chain a script's `new Client()` uses).
import { readFileSync, readdirSync, statSync, lstatSync, writeFileSync, renameSync, mkdirSync, unlinkSync, openSync, closeSync, fsyncSync, readSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, homedir, hostname } from 'node:os';
import { dirname, join as pathJoin } from 'node:path';
import { createInterface } from 'node:readline';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { readCandidates } from './scan_worker.js';
// The command is a wasm module of its own (wasm-cli/ with `command`, dist/command/), so
// browser pages never load it. It carries the SDK's Client too (with the internal __run the online commands use), so
// the SDK's own module is not loaded at all.
import { clientEnvVars, Client, initSync, runCli } from '../dist/command/clouddigit_command.js';
import { setHost } from '../dist/command/host.js';
import { keychain, nodeHost } from './node_host.js';

initSync({ module: readFileSync(new URL('../dist/command/clouddigit_command_bg.wasm', import.meta.url)) });
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
  return pathJoin(dirname(path), `.clouddigit-${randomBytes(8).toString('hex')}`);
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

// A root and a name below it, as the pip host's walk (Rust's Path::join) names it.
const join = (dir, name) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

const errorMessage = (e) => (e && e.code === 'ENOENT' ? 'no such file or directory'
  : e && e.code === 'EACCES' ? 'permission denied' : String(e && e.message));

// The files git does not ignore under `dir` (tracked, and untracked but not excluded),
// relative to it; null outside a git work tree (or without git), where nothing is ignored.
// git decides here what the pip host's `ignore` crate (ripgrep's) decides: both read
// .gitignore, .git/info/exclude and the global excludes, each with git's own rules.
function gitListed(dir) {
  const r = spawnSync('git', ['-C', dir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { maxBuffer: 1 << 30 });
  if (r.status !== 0 || !r.stdout) return null;
  return r.stdout.toString('utf8').split('\0').filter(Boolean);
}

// Below this many files the walk reads them all on this thread (a worker costs ~30 ms).
const FILES_PER_WORKER = 2000;

// `scan`'s walk: list the files, then read them on every core (js/scan_worker.js). Only
// a file holding one of the core's literals crosses into wasm; the core decides.
function walkScan(roots, skipDirs, literals, gitignore, progress) {
  const skip = new Set(skipDirs);
  const started = Date.now();
  const paths = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!skip.has(e.name)) walk(join(dir, e.name));
      } else if (e.isFile()) {
        paths.push(join(dir, e.name));
      }
    }
  };
  for (const root of roots) {
    let st;
    try {
      st = statSync(root);
    } catch (e) {
      throw new Error(`${root}: ${errorMessage(e)}`);
    }
    if (!st.isDirectory()) {
      paths.push(root);
      continue;
    }
    const listed = gitignore ? gitListed(root) : null;
    if (listed === null) {
      walk(root);
      continue;
    }
    for (const rel of listed) {
      if (rel.split('/').slice(0, -1).some((p) => skip.has(p))) continue;
      const path = join(root, rel);
      try {
        if (lstatSync(path).isFile()) paths.push(path);
      } catch {
        // tracked, deleted from the work tree
      }
    }
  }
  const tty = Boolean(process.stderr.isTTY);
  const draw = (files, bytes) => {
    const line = tty ? progress(files, bytes, Date.now() - started) : undefined;
    if (line) process.stderr.write(line);
  };
  const n = Math.min(availableParallelism(), Math.floor(paths.length / FILES_PER_WORKER), 8);
  if (n < 2) {
    let files = 0;
    let bytes = 0;
    return readCandidates(paths, literals, (size) => {
      files += 1;
      bytes += size;
      if ((files & 255) === 0) draw(files, bytes);
    });
  }
  // Shares 1..n-1 go to workers, share 0 is read here meanwhile.
  const shares = Array.from({ length: n }, () => []);
  paths.forEach((p, i) => shares[i % n].push(p));
  const shared = new SharedArrayBuffer(16 + 4 * n);
  const counts = new BigInt64Array(shared, 0, 2);
  const done = new Int32Array(shared, 16);
  const ports = [];
  for (let slot = 1; slot < n; slot += 1) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const w = new Worker(new URL('./scan_worker.js', import.meta.url), {
      workerData: { clouddigitScan: true, paths: shares[slot], literals, port: port2, shared, slot },
      transferList: [port2],
    });
    w.unref();
  }
  const own = readCandidates(shares[0], literals, (size) => {
    Atomics.add(counts, 0, 1n);
    Atomics.add(counts, 1, BigInt(size));
  });
  const result = { files: own.files, bytes: own.bytes, candidates: own.candidates };
  for (let slot = 1; slot < n; slot += 1) {
    while (Atomics.wait(done, slot, 0, 250) === 'timed-out') draw(Number(counts[0]), Number(counts[1]));
    const r = receiveMessageOnPort(ports[slot - 1]).message;
    if (r.error) throw new Error(r.error);
    result.files += r.files;
    result.bytes += r.bytes;
    for (const c of r.candidates) result.candidates.push(c);
  }
  return result;
}

// `scan --git`: the command runs git through this (its arguments are the command's).
function git(dir, args, input) {
  const r = spawnSync('git', ['-C', dir, ...args], { input, maxBuffer: 2 ** 31 });
  if (r.error) throw new Error(`cannot run git: ${errorMessage(r.error)}`);
  if (r.status !== 0) {
    const line = (r.stderr.toString('utf8').split('\n')[0] || 'git failed').trim();
    throw new Error(line.replace(/^fatal: /, ''));
  }
  return r.stdout;
}

const io = {
  read: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  openRead: (path) => (path === '-' ? 0 : openSync(path, 'r')),
  readChunk,
  closeRead: (fd) => { if (fd !== 0) closeSync(fd); },
  listFiles,
  walkScan,
  git,
  writeFile: (path, text) => writeFileSync(path, text),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: () => Boolean(process.stderr.isTTY),
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
  configDir: () => pathJoin(homedir(), '.config', 'cd'),
  env: (name) => process.env[name] ?? null,
  stdinIsTty: () => Boolean(process.stdin.isTTY),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  // A file holding a secret (a scanning key): the command decides what its mode allows.
  readPrivate(path) {
    let contents;
    try {
      contents = readFileSync(path, 'utf8');
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw new Error(errorMessage(e));
    }
    return { contents, mode: process.platform === 'win32' ? null : statSync(path).mode & 0o777 };
  },
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
  hostname: () => hostname() || null,
  // `scan --report-to`: one POST outside the API client. The body goes as exactly its
  // UTF-8 bytes (they are signed); a redirect is not followed but answered (the command
  // checked the URL, not where a redirect would lead); any status is an answer.
  async post(url, headers, body) {
    let r;
    try {
      r = await fetch(url, {
        method: 'POST', headers: JSON.parse(headers), body, redirect: 'manual', signal: AbortSignal.timeout(30000),
      });
    } catch (e) {
      const cause = e.cause ? `: ${e.cause.code ?? e.cause.message}` : '';
      throw new Error(`${e.name === 'TimeoutError' ? 'timed out' : e.message}${cause}`);
    }
    return JSON.stringify({ status: r.status, body: await r.text() });
  },
};

process.exitCode = await runCli(process.argv.slice(2), io);
