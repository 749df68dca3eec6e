#!/usr/bin/env node
// `npx @clouddigit/sdk <command>`: the same `clouddigit` command as the Python package.
// Every rule, message and exit status comes from the core (runCli); this file only
// reads files, walks directories, runs git and writes output.
import { readFileSync, readdirSync, statSync, lstatSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { readCandidates } from './scan_worker.js';
// The command is a wasm module of its own (wasm-cli/), so browser pages never load it.
import { initSync, runCli } from '../dist/cli/clouddigit_cli.js';

initSync({ module: readFileSync(new URL('../dist/cli/clouddigit_cli_bg.wasm', import.meta.url)) });

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
  listFiles,
  walkScan,
  git,
  writeFile: (path, text) => writeFileSync(path, text),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: () => Boolean(process.stderr.isTTY),
};

process.exitCode = runCli(process.argv.slice(2), io);
