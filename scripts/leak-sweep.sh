#!/usr/bin/env bash
# The leak sweep, the last step of scripts/test.sh: every secret the test suite issued
# (tokens, client secrets, access-key secrets), searched for in full and percent-encoded
# in everything the suite wrote. scripts/test.sh sets CLOUDDIGIT_LEAK_DIR for the whole
# run, so every sandbox it starts records what it issues (sandbox/src/leak.rs), its
# output and its audit events there, the console tests save each screenshot's page text,
# and the suite's own output is copied there. This script adds a workload of its own
# (every SDK with CD_LOG=debug, the CLI, a sandbox with --db whose audit export and
# database file are swept) and then runs tests/leak/sweep.py.
#
# Run after scripts/test.sh has built the hosts (the Python venv, the npm package).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CLOUDDIGIT_LEAK_DIR=${CLOUDDIGIT_LEAK_DIR:-$root/target/leak-sweep}
work="$CLOUDDIGIT_LEAK_DIR/workload"
rm -rf "$work" && mkdir -p "$work"
# The bootstrap token file is the one file meant to hold a secret: outside the swept tree.
private=$(mktemp -d)
cargo build --locked -q -p clouddigit-sandbox
cargo build --locked -q -p clouddigit-client --example tokens
target/debug/clouddigit-sandbox --port 0 --no-console --db "$work/state.db" \
  --token-file "$private/token" >"$work/sandbox.out" 2>"$work/sandbox.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$private"' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$work/sandbox.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$work/sandbox.out")
[ -n "$url" ] || { cat "$work/sandbox.out" "$work/sandbox.err" >&2; exit 1; }
export CD_BASE_URL="$url/v1" CD_LOG=debug
CD_API_TOKEN=$(cat "$private/token")
export CD_API_TOKEN

target/py-venv/bin/python tests/leak/workload.py >"$work/python.log" 2>&1
node tests/leak/workload.mjs >"$work/node.log" 2>&1
target/debug/examples/tokens >"$work/rust.log" 2>&1
# The CLI finding a secret in a file shows where and the prefix, never the secret.
printf 'CD_API_TOKEN=%s\n' "$CD_API_TOKEN" >"$private/deploy.env"
node js/cli.js scan "$private" >"$work/cli-scan.log" 2>&1 && { echo "scan found nothing" >&2; exit 1; }
node js/cli.js scan --json "$private" >"$work/cli-scan.json" 2>&1 || true
grep -q 'cd_' "$work/cli-scan.log"
curl -fsS -H "Authorization: Bearer $CD_API_TOKEN" "$url/v1/audit/events/export" >"$work/audit-export.jsonl"
kill -INT "$pid"
wait "$pid" 2>/dev/null || true
# First, that the sweep finds a planted secret (percent-encoded, as in a logged URL).
planted="$CLOUDDIGIT_LEAK_DIR/planted.log"
printf 'GET /callback?token=%s\n' "$(sed 's/_/%5F/' "$private/token")" >"$planted"
if python3 tests/leak/sweep.py >/dev/null 2>&1; then
  echo "leak sweep: a planted secret was not found" >&2
  exit 1
fi
rm -f "$planted"
python3 tests/leak/sweep.py
