#!/usr/bin/env bash
# Audit streams against a release sandbox (not part of the tests): the API's p50/p99 with
# no stream, with three streams delivering, and with a webhook receiver that hangs; and
# the events/s a webhook stream delivers when it drains a backlog (bench/streams.py).
#   scripts/bench-streams.sh [N]     N calls per phase (default 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -q -p clouddigit-sandbox
CLOUDDIGIT_SANDBOX_BIN="$PWD/target/release/clouddigit-sandbox" python3 bench/streams.py "${1:-3000}"
