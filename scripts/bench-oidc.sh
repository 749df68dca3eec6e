#!/usr/bin/env bash
# The OIDC token exchange's latency (p50/p99) against a release sandbox with a warm JWKS
# cache, with an RS256 issuer of the benchmark's own on loopback (not part of the tests).
#   scripts/bench-oidc.sh [N]     N exchanges (default 2000)
# JWT verification per second on each host: scripts/bench-hosts.sh (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -q -p clouddigit-sandbox
venv=target/bench-venv
[ -x $venv/bin/python ] || python3 -m venv $venv
$venv/bin/python -c 'import jwt, cryptography' 2>/dev/null \
  || $venv/bin/python -m pip install -q --disable-pip-version-check pyjwt cryptography
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
target/release/clouddigit-sandbox --port 0 --no-s3 --no-console --token-file "$dir/token" \
  --rate-burst 0 --failure-burst 0 > "$dir/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$dir/out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$dir/out")
$venv/bin/python bench/oidc_exchange.py "$url" "$dir/token" "${1:-2000}"
