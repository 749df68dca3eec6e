#!/usr/bin/env bash
# Load check for clouddigit-sandbox: starts a release build on a free loopback port
# (rate limiting off, audit on as always), then drives one authorized GET with the
# bundled Rust client (sandbox/examples/load.rs) and prints req/s and latency
# percentiles. Bounded in count and time; loopback only.
#
#   sandbox/bench/load.sh [CONCURRENCY=16] [SECONDS=10] [MAX_REQUESTS=200000]
#   DB=memory sandbox/bench/load.sh     # in-memory SQLite instead of a WAL file
#   DEPTH=3 sandbox/bench/load.sh       # call with a token 3 links below the bootstrap one
#                                       # (each call is decided along its whole lineage)
set -euo pipefail
cd "$(dirname "$0")/../.."
CONCURRENCY=${1:-16}
SECONDS_=${2:-10}
MAX=${3:-200000}
PORT=${PORT:-18987}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/sandbox-bench}
# The workspace release profile is tuned for small wasm (opt-level s, fat LTO); a
# server benchmark wants speed and a quicker build.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -q -p clouddigit-sandbox --bin clouddigit-sandbox --example load

work=$(mktemp -d)
cleanup() { [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
db_args=(--db "$work/sandbox.db"); db_label="SQLite file (WAL)"
if [[ "${DB:-file}" == memory ]]; then db_args=(); db_label="SQLite in memory"; fi
"$CARGO_TARGET_DIR/release/clouddigit-sandbox" --port "$PORT" --token-file "$work/token" \
  "${db_args[@]}" --rate-burst 0 >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 50); do [[ -s "$work/token" ]] && break; sleep 0.1; done
[[ -s "$work/token" ]] || { cat "$work/log"; exit 1; }
sleep 0.2

# DEPTH: each token made by the one before it, so every call walks that many ancestors.
token_file="$work/token"
for i in $(seq "${DEPTH:-0}"); do
  curl -fsS -X POST "http://127.0.0.1:$PORT/v1/iam/tokens" \
    -H "Authorization: Bearer $(cat "$token_file")" -H 'Content-Type: application/json' \
    -d "{\"name\": \"load-$i\", \"projects\": [\"web\"], \"expires_at\": null}" \
    | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' > "$work/token-$i"
  [[ -s "$work/token-$i" ]] || { echo "could not make the token at depth $i" >&2; exit 1; }
  token_file="$work/token-$i"
done

echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "== token ${DEPTH:-0} links below the bootstrap token"
echo "== GET /v1/compute/servers?project=web, audit on, $db_label, $CONCURRENCY connections, ${SECONDS_}s"
"$CARGO_TARGET_DIR/release/examples/load" "http://127.0.0.1:$PORT/v1/compute/servers?project=web" \
  "$token_file" "$CONCURRENCY" "$SECONDS_" "$MAX"
