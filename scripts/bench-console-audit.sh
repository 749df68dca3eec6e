#!/usr/bin/env bash
# The console's audit page with 100,000 events (not part of the tests): time to first
# chart against the same page with 2,000, in one run (examples/console/bench/audit-100k.mjs).
# Needs the console built (scripts/test.sh or examples/console/build.sh) and Chromium.
#   scripts/bench-console-audit.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -q -p clouddigit-sandbox
CLOUDDIGIT_SANDBOX_BIN="$PWD/target/release/clouddigit-sandbox" node examples/console/bench/audit-100k.mjs "${1:-100000}"
