// Builds the console into dist/: the bundle (esbuild), the page, the styles, and the
// SDK's wasm, which the SDK's browser entry fetches from beside the bundle
// (`new URL('clouddigit_wasm_bg.wasm', import.meta.url)`). Pages that only some visits
// open (the trusted issuers, src/trusts.ts) are chunks loaded by `import()` when they
// open; the build prints what the first load costs and what the chunks add.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const require = createRequire(import.meta.url);
const sdkRoot = dirname(require.resolve('@clouddigit/sdk/package.json'));
const wasm = join(sdkRoot, 'dist', 'wasm', 'clouddigit_wasm_bg.wasm');
if (!existsSync(wasm)) {
  console.error(`console build: ${wasm} is missing; build the SDK first (scripts/build-npm.sh)`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { app: join(here, 'src', 'main.ts') },
  outdir: out,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  metafile: true,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of readdirSync(join(here, 'static'))) copyFileSync(join(here, 'static', f), join(out, f));
copyFileSync(wasm, join(out, 'clouddigit_wasm_bg.wasm'));
// The SDK's second module (dist/cli/), which its lazily loaded functions fetch from beside
// the chunk that imports it: the token usage page and the stale banner (tokenUsage,
// lintTokens) and the trusts page's checkTrust. Not part of the first load.
const cliWasm = join(sdkRoot, 'dist', 'cli', 'clouddigit_cli_bg.wasm');
copyFileSync(cliWasm, join(out, 'clouddigit_cli_bg.wasm'));

// The first load: the page, the styles, app.js and the chunks it imports statically, and
// the wasm, each gzipped as a server would send it. Chunks only `import()` reaches come later.
const gz = (file) => gzipSync(readFileSync(join(out, file)), { level: 9 }).length;
// The metafile names outputs by their path from the working directory.
const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([k, v]) => [relative(out, k), v]));
const first = new Set();
const visit = (file) => {
  if (first.has(file)) return;
  first.add(file);
  for (const i of outputs[file]?.imports ?? []) if (i.kind === 'import-statement') visit(relative(out, i.path));
};
// (Not every output with an `entryPoint`: esbuild gives one to each `import()` target too.)
visit('app.js');
const js = Object.keys(outputs).filter((f) => f.endsWith('.js'));
const firstJs = js.filter((f) => first.has(f));
const jsBytes = firstJs.reduce((n, f) => n + gz(f), 0);
const firstBytes = jsBytes + ['index.html', 'style.css', 'clouddigit_wasm_bg.wasm'].reduce((n, f) => n + gz(f), 0);
const laterBytes = js.filter((f) => !first.has(f)).reduce((n, f) => n + gz(f), 0);
const laterWasm = gz('clouddigit_cli_bg.wasm');
console.log(`console built: ${out}`);
console.log(
  `console built: the first load is ${firstBytes} bytes gzipped (the console's JS ${jsBytes}, the wasm ${gz('clouddigit_wasm_bg.wasm')}); ` +
    `chunks loaded on demand: ${laterBytes} bytes gzipped, and the SDK's second module ${laterWasm} (the usage page, the stale banner, trusts)`,
);
