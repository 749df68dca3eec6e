#!/usr/bin/env bash
# The README's main command: the local Cloud Digit IAM sandbox on http://127.0.0.1:8787,
# every call decided by the core, with the acme organization seeded and an owner token
# written to ./.clouddigit-sandbox-token (mode 0600; its path and prefix are printed).
# Arguments go to the sandbox (`--db FILE`, `--port N`, `--seed FILE`, `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/bootstrap.sh main >&2
# The web console it serves at / (examples/console): the SDK's wasm, then the bundle.
scripts/build-npm.sh >&2
examples/console/build.sh >&2
cargo build --release --locked -p clouddigit-sandbox >&2
exec target/release/clouddigit-sandbox "$@"
