#!/usr/bin/env bash
# Per-host benchmarks with their peers, side by side (not part of the tests):
#   Rust core (criterion), Rust vs cedar-policy, Node vs @cedar-policy/cedar-wasm,
#   headless Chromium, Python vs cedarpy. Peers are installed only here. `jwt`: JWT
#   verification per second natively, in Node and in Python (no peer).
# Usage: scripts/bench-hosts.sh [rust|cedar|node|browser|python|jwt]...  (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(rust cedar node browser python jwt)
want() { printf '%s\n' "${parts[@]}" | grep -qx "$1"; }

if want rust; then
  echo "== Rust core (criterion) =="
  cargo bench -p clouddigit-core --bench authorize 2>&1 | grep -E '^[a-z_/0-9]+|time:|thrpt:'
fi
if want cedar; then
  echo "== Rust: clouddigit vs cedar-policy =="
  cargo run --release --quiet --manifest-path bench/Cargo.toml
fi
if want node || want browser || want python || want jwt; then
  [ -f dist/wasm/clouddigit_wasm_bg.wasm ] || scripts/build-npm.sh
fi
if want node || want browser || want jwt; then
  (cd bench/node && npm install --silent --no-audit --no-fund)
fi
if want node; then
  echo "== Node: @clouddigit/sdk vs @cedar-policy/cedar-wasm =="
  wasm=dist/wasm/clouddigit_wasm_bg.wasm
  echo "package wasm: $(wc -c < $wasm) bytes raw, $(gzip -9c $wasm | wc -c) bytes gzipped"
  (cd bench/node && node authorize.mjs)
fi
if want browser; then
  echo "== headless Chromium =="
  (cd bench/node && node browser.mjs)
fi
if want python || want jwt; then
  ls target/wheels/clouddigit-*.whl >/dev/null 2>&1 || python3 -m maturin build --release --locked -m python/Cargo.toml -o target/wheels
  [ -x target/bench-venv/bin/python ] || python3 -m venv target/bench-venv
  target/bench-venv/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/clouddigit-*.whl
fi
if want python; then
  echo "== Python: clouddigit vs cedarpy =="
  target/bench-venv/bin/python -m pip install --quiet --disable-pip-version-check cedarpy
  target/bench-venv/bin/python bench/python/authorize.py
fi
if want jwt; then
  echo "== JWT verification: Rust (criterion), Node (checkTrust), Python (check_trust) =="
  cargo bench -p clouddigit-core --features jwt --bench jwt 2>&1 | grep -E '^jwt/|time:|thrpt:'
  (cd bench/node && node jwt.mjs)
  target/bench-venv/bin/python bench/python/jwt.py
fi
