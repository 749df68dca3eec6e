#!/usr/bin/env bash
# Builds the npm package @clouddigit/sdk in place: the release wasm, its JS glue and
# TypeScript types under dist/wasm/, loaded by js/node.js (Node) and js/browser.js
# (browsers and bundlers).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/wasm-cargo.sh build -p clouddigit-wasm --release --locked
rm -rf dist/wasm
wasm-bindgen --target web --out-dir dist/wasm --out-name clouddigit_wasm \
  target/wasm32-unknown-unknown/release/clouddigit_wasm.wasm

# The error classes are a wasm-bindgen snippet (Rust constructs them); the package
# re-exports that very module so `instanceof` works on what the SDK throws.
snippet=$(cd dist/wasm && ls snippets/*/js/errors.js)
printf "export * from './%s';\n" "$snippet" > dist/wasm/errors.js
printf "export * from './%s';\n" "$snippet" > dist/wasm/errors.d.ts
cp wasm/js/errors.d.ts "dist/wasm/${snippet%.js}.d.ts"
sed -i "s#from './api.js'#from '$(echo "$snippet" | sed 's#[^/]*#..#g; s#/..$##')/api.js'#" "dist/wasm/${snippet%.js}.d.ts"

# The public types: everything but wasm-bindgen's loader (InitInput/initSync/default init),
# which the entry points call themselves and which would drag DOM types into Node users.
sed '/^export type InitInput/,$d' dist/wasm/clouddigit_wasm.d.ts > dist/wasm/api.d.ts
grep -q 'export function checkAllowedIps' dist/wasm/api.d.ts || { echo "build-npm: api.d.ts lost the API" >&2; exit 1; }
if grep -nwE 'any' dist/wasm/api.d.ts dist/wasm/errors.d.ts; then
  echo "build-npm: 'any' in the public TypeScript types" >&2; exit 1
fi

raw=$(stat -c %s dist/wasm/clouddigit_wasm_bg.wasm)
gz=$(gzip -9c dist/wasm/clouddigit_wasm_bg.wasm | wc -c)
echo "built dist/wasm: clouddigit_wasm_bg.wasm ${raw} bytes raw, ${gz} bytes gzipped"
