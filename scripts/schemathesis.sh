#!/usr/bin/env bash
# schemathesis (PyPI, pinned) against the sandbox's own OpenAPI document: every phase
# (examples, coverage, fuzzing, stateful through the document's links) and every check,
# against a sandbox started here with --protect-bootstrap, with 0 failures allowed.
# The fault injector (POST /_sandbox/faults) is left out: it makes the next calls fail
# by design, and the SDKs' tests are its tests.
#
#   scripts/schemathesis.sh                 what scripts/test.sh runs (30 examples each)
#   scripts/schemathesis.sh --max-examples 200
#
# Extra arguments go to `schemathesis run`. The JUnit report is written to
# target/schemathesis/junit.xml and the sandbox's output to target/schemathesis/sandbox.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
version=4.32.5
venv=target/st-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
cargo build --locked -q -p clouddigit-sandbox
out=target/schemathesis
rm -rf "$out" && mkdir -p "$out"
# Rate limits out of the way: the run is thousands of calls from one token and address.
"${CARGO_TARGET_DIR:-target}/debug/clouddigit-sandbox" --port 0 --no-console --protect-bootstrap \
  --token-file "$out/token" --rate-burst 1000000 --rate-per-second 1000000 \
  --failure-burst 1000000 --failure-per-second 1000000 >"$out/sandbox.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$out/sandbox.log" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$out/sandbox.log")
[ -n "$url" ] || { cat "$out/sandbox.log" >&2; exit 1; }
CLOUDDIGIT_ST_TOKEN=$(cat "$out/token")
export CLOUDDIGIT_ST_TOKEN
export SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH="$root/sandbox/tests/schemathesis${PYTHONPATH:+:$PYTHONPATH}"
status=0
"$venv/bin/schemathesis" --config-file sandbox/tests/schemathesis/schemathesis.toml run \
  "$url/v1/openapi.json" --url "$url" \
  --phases examples,coverage,fuzzing,stateful \
  --exclude-operation-id setSandboxFaults \
  --report junit --report-dir "$out" "$@" || status=$?
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
# A panic in a handler is a 500 schemathesis reports; one outside (the server) shows here.
if grep -q "panicked" "$out/sandbox.log"; then
  echo "schemathesis: the sandbox panicked:" >&2
  grep -A5 "panicked" "$out/sandbox.log" >&2
  status=1
fi
exit "$status"
