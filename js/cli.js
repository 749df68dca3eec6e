#!/usr/bin/env node
// `npx @clouddigit/sdk <command>`: the same `clouddigit` command as the Python package.
// Every rule, message and exit status comes from the core (runCli); this file only
// reads files, lists directories and writes output.
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
};

process.exitCode = runCli(process.argv.slice(2), io);
