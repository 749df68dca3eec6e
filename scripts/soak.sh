#!/usr/bin/env bash
# The soak (not part of scripts/test.sh): a release sandbox with --db under mixed
# traffic for MINUTES (20 by default):
#   - sandbox/examples/load.rs (what sandbox/bench/load.sh drives), one authorized GET
#     from 16 connections, a minute at a time;
#   - the Python, Node and Rust SDKs in loops (tests/leak/workload.*: tokens made, used,
#     rotated and revoked; a service account with an access key and client credentials;
#     errors), with their retries;
#   - faults from /_sandbox/faults every 20 seconds: 429 storms (with Retry-After) on
#     the SDKs' calls and on the load, 503s, and connections cut after the server acted.
# Each minute it prints the load's req/s and statuses, the sandbox's RSS, open files and
# database size, and the SDK loops' rounds. It passes when the load keeps >= 5,000 req/s
# and memory grows less than 10 % after the first minute (audit retention keeps the log
# bounded: --audit-max-events, 1,000,000 by default).
#
# The measured minutes follow WARMUP minutes (3 by default) of the same traffic, shown in
# the report as w1, w2, ... but not judged: at ~7,000 req/s the audit log reaches its
# 1,000,000 events and the caches their bounds (1,000 idempotent answers, 256 lineages)
# only in the third minute, and memory rises until they do (14 -> 19 MB, then flat).
#
#   scripts/soak.sh [MINUTES=20] [WARMUP=3]   run after scripts/test.sh has built the hosts
#
# The report is also written to target/soak/report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
minutes=${1:-20}
warmup=${2:-3}
out="$root/target/soak"
rm -rf "$out" && mkdir -p "$out"
export CARGO_TARGET_DIR="$root/target/sandbox-bench"
# As sandbox/bench/load.sh: the release profile is tuned for small wasm; a server wants speed.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release -q -p clouddigit-sandbox --bin clouddigit-sandbox --example load
bin="$CARGO_TARGET_DIR/release"
unset CARGO_TARGET_DIR
cargo build --locked -q -p clouddigit-client --example tokens

"$bin/clouddigit-sandbox" --port 0 --no-console --db "$out/soak.db" --token-file "$out/token" \
  --rate-burst 1000000 --rate-per-second 1000000 --failure-burst 1000000 --failure-per-second 1000000 \
  >"$out/sandbox.log" 2>&1 &
pid=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q 'listening on' "$out/sandbox.log" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$out/sandbox.log")
[ -n "$url" ] || { cat "$out/sandbox.log" >&2; exit 1; }
token=$(cat "$out/token")
export CD_BASE_URL="$url/v1" CD_API_TOKEN="$token"

# The SDK loops: each round's outcome is counted, a failed round (faults are injected on
# purpose) included, one round a second each; the last failure's output is kept as last-failure-NAME.txt. Each
# round names what it makes after its process id, so a round cut short by a fault does
# not make the next one's names taken.
sdk_loop() {
  local name="$1"; shift
  local ok=0 failed=0
  while true; do
    if "$@" >"$out/round-$name.txt" 2>&1; then ok=$((ok + 1)); else
      failed=$((failed + 1))
      mv "$out/round-$name.txt" "$out/last-failure-$name.txt"
    fi
    echo "$ok $failed" >"$out/rounds-$name"
    # A round a second: the SDKs' processes share the two cores with the server and the
    # load, and starting Node or Python flat out would measure the machine, not the server.
    sleep 1
  done
}
sdk_loop python target/py-venv/bin/python tests/leak/workload.py & pids+=($!)
sdk_loop node node tests/leak/workload.mjs & pids+=($!)
sdk_loop rust target/debug/examples/tokens & pids+=($!)

# A round a fault cut short leaves its service account behind, and a project holds 25
# at most: every 20 seconds, accounts the loops made more than a minute ago go.
janitor() {
  python3 - "$url" "$token" <<'PY' || true
import json, sys, urllib.request
from datetime import datetime, timedelta, timezone
url, token = sys.argv[1], sys.argv[2]
def call(method, path):
    req = urllib.request.Request(url + path, method=method, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r) if method == "GET" else None
old = datetime.now(timezone.utc) - timedelta(minutes=1)
for sa in call("GET", "/v1/iam/service-accounts?project=web&limit=100")["service_accounts"]:
    made = datetime.fromisoformat(sa["created_at"].replace("Z", "+00:00"))
    if sa["name"].startswith("leak-") and made < old:
        try:
            call("DELETE", f"/v1/iam/service-accounts/{sa['id']}")
        except Exception:
            pass
PY
}
fault() {
  curl -fsS -X POST "$url/_sandbox/faults" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$1" >/dev/null || true
}
(
  i=0
  while true; do
    case $((i % 4)) in
      0) fault '{"count": 300, "status": 429, "retry_after": "1", "path_prefix": "/v1/iam/"}' ;;
      1) fault '{"count": 20000, "status": 429, "retry_after": "1", "path_prefix": "/v1/compute/"}' ;;
      2) fault '{"count": 40, "status": 503, "path_prefix": "/v1/iam/tokens"}' ;;
      3) fault '{"count": 10, "drop": true, "path_prefix": "/v1/iam/service-accounts"}' ;;
    esac
    i=$((i + 1))
    sleep 20
    janitor >/dev/null 2>&1
  done
) & pids+=($!)

rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
dbmb() { du -cm "$out"/soak.db* | tail -1 | cut -f1; }
rounds() { for n in python node rust; do printf '%s %s/%s  ' "$n" $(cat "$out/rounds-$n" 2>/dev/null || echo "0 0"); done; }

{
  echo "soak: $warmup minutes of warm-up, then $minutes measured, on $(nproc) cores, sandbox $url (release, --db)"
  printf '%-6s %9s %8s %6s %7s  %-40s %s\n' minute req/s rss_MB fds db_MB "load statuses" "SDK rounds ok/failed"
  printf '%-6s %9s %8s %6s %7s\n' start - "$(rss)" "$(fds)" "$(dbmb)"
} | tee "$out/report.txt"
declare -a rates mems
steps=()
for w in $(seq "$warmup"); do steps+=("w$w"); done
for m in $(seq "$minutes"); do steps+=("$m"); done
for m in "${steps[@]}"; do
  "$bin/examples/load" "$url/v1/compute/servers?project=web" "$out/token" 16 60 100000000 >"$out/load-$m.txt" 2>&1 || true
  rate=$(sed -n 's/^req\/s: //p' "$out/load-$m.txt")
  statuses=$(sed -n 's/^statuses: //p' "$out/load-$m.txt")
  r=$(rss)
  if [ "${m#w}" = "$m" ]; then
    rates+=("${rate:-0}")
    mems+=("$r")
  fi
  printf '%-6s %9s %8s %6s %7s  %-40s %s\n' "$m" "${rate:-?}" "$r" "$(fds)" "$(dbmb)" "$statuses" "$(rounds)" | tee -a "$out/report.txt"
done

# After the first minute, the most memory held against what the first minute ended with.
python3 - "${rates[*]}" "${mems[*]}" <<'EOF' | tee -a "$out/report.txt"
import sys
rates = [float(x) for x in sys.argv[1].split()]
mems = [int(x) for x in sys.argv[2].split()]
first, peak = mems[0], max(mems[1:] or mems)
growth = (peak - first) / first * 100
low = min(rates)
ok = growth < 10 and low >= 5000
print(f"soak: load {low:.0f} req/s at its lowest minute (median {sorted(rates)[len(rates) // 2]:.0f}); "
      f"RSS {first} MB after minute 1, {peak} MB at most after, growth {growth:+.1f} % -> {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
EOF
