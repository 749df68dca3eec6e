#!/usr/bin/env node
// `npx @clouddigit/sdk <command>`: the same `clouddigit` command as the Python package.
// Every rule, message and exit status comes from the core (runCli); this file only
// reads files, lists directories and writes output.
import { readFileSync, readdirSync, statSync } from 'node:fs';
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

const io = {
  read: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
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
