// Node entry of @clouddigit/sdk: loads the wasm synchronously from the package.
import { readFileSync } from 'node:fs';
import { initSync } from '../dist/wasm/clouddigit_wasm.js';

initSync({ module: readFileSync(new URL('../dist/wasm/clouddigit_wasm_bg.wasm', import.meta.url)) });

export * from '../dist/wasm/clouddigit_wasm.js';
export * from '../dist/wasm/errors.js';
