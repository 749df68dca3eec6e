// Builds the console into dist/: the bundle (esbuild), the page, the styles, and the
// SDK's wasm, which the SDK's browser entry fetches from beside the bundle
// (`new URL('clouddigit_wasm_bg.wasm', import.meta.url)`).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
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
console.log(`console built: ${out}`);
