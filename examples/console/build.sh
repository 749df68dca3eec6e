#!/usr/bin/env bash
# Builds the console into examples/console/dist (what the sandbox serves at /): installs
# its npm packages when the lockfile changed (or on a clean machine), then bundles.
# Needs the SDK built first (scripts/build-npm.sh writes dist/wasm/).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs
