#!/usr/bin/env bash
# Builds the npm package @clouddigit/sdk in place: the release wasm, its JS glue and
# TypeScript types under dist/wasm/, loaded by js/node.js (Node) and js/browser.js
# (browsers and bundlers).
set -euo pipefail
cd "$(dirname "$0")/.."

# `wasm-release` optimizes for size (the whole package must stay small for browsers);
# the name section only helps debuggers and is a third of the file, so it goes too.
# CLOUDDIGIT_WASM_SIZE=min: std is rebuilt for size too (see scripts/wasm-cargo.sh).
# Two modules: the SDK's, which browser pages load, and the `clouddigit` command's, which
# only Node runs (js/cli.js) and which would add 17 KB gzipped to every page.
# The SDK's module is built on its own: built with the others, cargo would unify their
# features, and the command's `jwt` (JWT verification, for `checkTrust` and `trust check`)
# would reach the page's copy of the core. Unused, it would mostly be dropped, but the
# page's module is then exactly what its own features make it.
CLOUDDIGIT_WASM_SIZE=min scripts/wasm-cargo.sh build -p clouddigit-wasm --profile wasm-release --locked
CLOUDDIGIT_WASM_SIZE=min scripts/wasm-cargo.sh build -p clouddigit-wasm-replay --profile wasm-release --locked
# wasm-cli twice. Without `command`, built for size: dist/cli/, what a page fetches on its
# first sigv4Explain, sigv4Verify, checkTrust, auditRecord or hashedToken (js/sigv4.js,
# js/trust.js, js/audit.js). With it, built for speed (the `wasm-cli` profile,
# Cargo.toml): dist/command/, Node's `clouddigit` (least-privilege and lint parse exports
# of millions of lines), which no page loads.
CLOUDDIGIT_WASM_SIZE=min scripts/wasm-cargo.sh build -p clouddigit-wasm-cli --profile wasm-release --locked
CLOUDDIGIT_WASM_SIZE=min scripts/wasm-cargo.sh build -p clouddigit-wasm-cli --features command --profile wasm-cli --locked
rm -rf dist/wasm dist/cli dist/command dist/replay
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-dir dist/wasm --out-name clouddigit_wasm \
  target/wasm32-unknown-unknown/wasm-release/clouddigit_wasm.wasm
wasm-bindgen --target web --remove-name-section --remove-producers-section --no-typescript \
  --out-dir dist/cli --out-name clouddigit_cli \
  target/wasm32-unknown-unknown/wasm-release/clouddigit_wasm_cli.wasm
wasm-bindgen --target web --remove-name-section --remove-producers-section --no-typescript \
  --out-dir dist/command --out-name clouddigit_command \
  target/wasm32-unknown-unknown/wasm-cli/clouddigit_wasm_cli.wasm
# Test only (not in the package's files): the client conformance replay for the JS runners.
wasm-bindgen --target web --no-typescript --out-dir dist/replay --out-name clouddigit_replay \
  target/wasm32-unknown-unknown/wasm-release/clouddigit_wasm_replay.wasm

# The error classes are a wasm-bindgen snippet (Rust constructs them); the package
# re-exports that very module so `instanceof` works on what the SDK throws.
snippet=$(cd dist/wasm && ls snippets/*/js/errors.js)
printf "export * from './%s';\n" "$snippet" > dist/wasm/errors.js
# js/sigv4.js sends its arguments as the SDK's functions do (wasm/js/json.js).
printf "export { toJsonText } from './%s';\n" "$(dirname "$snippet")/json.js" > dist/wasm/json.js
printf "export * from './%s';\n" "$snippet" > dist/wasm/errors.d.ts
cp wasm/js/errors.d.ts "dist/wasm/${snippet%.js}.d.ts"
# The API client's host hooks (wasm/js/host.js): js/node.js gives it the environment.
printf "export { setHost } from './%s';\n" "$(dirname "$snippet")/host.js" > dist/wasm/host.js
sed -i "s#from './api.js'#from '$(echo "$snippet" | sed 's#[^/]*#..#g; s#/..$##')/api.js'#" "dist/wasm/${snippet%.js}.d.ts"
# The command's module carries the SDK's Client too (wasm-cli links clouddigit-wasm with
# `cli-run`); js/cli.js gives that copy the same Node host as js/node.js gives the page's.
cli_snippet=$(cd dist/command && ls snippets/*/js/host.js)
printf "export { setHost } from './%s';\n" "$cli_snippet" > dist/command/host.js

# The public types: everything but wasm-bindgen's loader (InitInput/initSync/default init),
# which the entry points call themselves and which would drag DOM types into Node users.
sed '/^export type InitInput/,$d' dist/wasm/clouddigit_wasm.d.ts > dist/wasm/api.d.ts
# wasm-bindgen's own declarations are then a second copy of api.d.ts (11 KB gzipped in the
# package) that nothing resolves: the package's types are js/index.d.ts -> api.d.ts.
rm dist/wasm/clouddigit_wasm.d.ts dist/wasm/clouddigit_wasm_bg.wasm.d.ts
# Data crosses the boundary as JSON text (wasm/src/json.rs, wasm/js/json.js): maps are
# plain objects and a missing Option is `null`, as in the API's JSON. The core's
# types say so to tsify (`missing_as_null`, `hashmap_as_object`); make sure no data type
# (the declarations before wasm-bindgen's classes and functions) says otherwise.
split=$(grep -nE -m1 '^export (class|function) ' dist/wasm/api.d.ts | cut -d: -f1)
if head -n "$((split - 1))" dist/wasm/api.d.ts | grep -nE '\bMap<| \| undefined\b'; then
  echo "build-npm: data types still declare Map or undefined" >&2; exit 1
fi
for f in checkAllowedIps authorize effectivePermissions parseTokenSecret isToken catalog resolveRoute expandPermission s3Config \
         validateTrust trustPresets trustPreset; do
  grep -q "export function $f(" dist/wasm/api.d.ts || { echo "build-npm: api.d.ts lost $f" >&2; exit 1; }
done
# The lazily loaded functions are js/index.d.ts's own declarations; a second one in
# api.d.ts would mean the page's module carries them again.
for f in sigv4Explain sigv4Verify checkTrust auditRecord hashedToken; do
  grep -q "export declare function $f(" js/index.d.ts || { echo "build-npm: js/index.d.ts lost $f" >&2; exit 1; }
  if grep -q "export function $f(" dist/wasm/api.d.ts; then
    echo "build-npm: $f is in the page's module again (api.d.ts); it belongs in dist/cli/" >&2; exit 1
  fi
done
# js/index.d.ts declares sigv4Explain/sigv4Verify (js/sigv4.js), checkTrust (js/trust.js)
# auditRecord/hashedToken (js/audit.js) and tokenUsage/lintTokens (js/usage.js) with these types.
for t in RequestText HeaderList Explanation SigV4Verdict Trust TrustCheckReport AuditEvent AuditFormat AuditContext Value TokenUsage InventoryToken LintFinding TokenPolicy Role Token; do
  grep -qE "export (interface|type) $t\b" dist/wasm/api.d.ts || { echo "build-npm: api.d.ts lost $t" >&2; exit 1; }
done
for c in PreparedToken Client Secret; do
  grep -q "export class $c " dist/wasm/api.d.ts || { echo "build-npm: api.d.ts lost $c" >&2; exit 1; }
done
# Secret fields are the Secret class (wrapped by the client), never a plain string.
if grep -nE '^export type Secret\b' dist/wasm/api.d.ts; then
  echo "build-npm: Secret declared as a type alias besides the class" >&2; exit 1
fi
if grep -nwE 'any' dist/wasm/api.d.ts dist/wasm/errors.d.ts; then
  echo "build-npm: 'any' in the public TypeScript types" >&2; exit 1
fi

# The glue and its snippets are loaded as they are by a page without a bundler: minified
# they are 7 KB less gzipped (the glue 11.3 -> 6.4 KB). Class and function names are kept:
# the error classes' names are part of the API (`err.name`, stack traces).
for f in dist/wasm/clouddigit_wasm.js dist/wasm/snippets/*/js/*.js dist/cli/clouddigit_cli.js dist/command/clouddigit_command.js dist/command/snippets/*/js/*.js; do
  node_modules/.bin/terser "$f" --module --compress --mangle --keep-classnames --keep-fnames -o "$f.min"
  mv "$f.min" "$f"
done

raw=$(stat -c %s dist/wasm/clouddigit_wasm_bg.wasm)
gz=$(gzip -9c dist/wasm/clouddigit_wasm_bg.wasm | wc -c)
echo "built dist/wasm: clouddigit_wasm_bg.wasm ${raw} bytes raw, ${gz} bytes gzipped"
# What a browser page downloads (js/browser.js and what it imports, and the wasm, each
# gzipped as a server sends it), and the npm tarball.
page=0
# (Not dist/cli/: js/sigv4.js, js/trust.js and js/audit.js load it only when one of their
# functions is called.)
for f in js/browser.js js/fast_check.js js/sigv4.js js/trust.js js/audit.js js/usage.js js/lazy.js dist/wasm/clouddigit_wasm.js dist/wasm/errors.js \
         dist/wasm/json.js dist/wasm/snippets/*/js/*.js dist/wasm/clouddigit_wasm_bg.wasm; do
  page=$((page + $(gzip -9c "$f" | wc -c)))
done
tarball=$(npm pack --dry-run --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].size))' || echo "?")
echo "built dist/wasm: a browser page loads ${page} bytes gzipped; the npm tarball is ${tarball} bytes"
echo "built dist/cli (fetched on a page's first sigv4Explain, checkTrust or auditRecord): $(gzip -9c dist/cli/clouddigit_cli_bg.wasm | wc -c) bytes gzipped; dist/command (Node's clouddigit): $(gzip -9c dist/command/clouddigit_command_bg.wasm | wc -c)"
# Issue 4's budget for the whole package as a page loads it, 250,000 bytes gzipped; a
# warning, since a build without std's source (see scripts/wasm-cargo.sh) is larger by design.
if [ "$page" -gt 250000 ]; then
  echo "build-npm: warning: a page loads ${page} bytes gzipped, over the 250 KB budget" >&2
fi
