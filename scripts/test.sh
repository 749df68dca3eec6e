#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what it needs, builds every host and
# runs every test suite, each runner printing its own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# A clean clone builds once: incremental caches would only add gigabytes of disk.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
start=$(date +%s)
# The leak sweep (the last section) searches everything the suite writes, this output
# included, for every secret the suite's sandboxes issue (scripts/leak-sweep.sh).
export CLOUDDIGIT_LEAK_DIR="$root/target/leak-sweep"
rm -rf "$CLOUDDIGIT_LEAK_DIR" && mkdir -p "$CLOUDDIGIT_LEAK_DIR"
exec > >(tee "$CLOUDDIGIT_LEAK_DIR/test-output.log") 2>&1
# Each header shows the free disk too: a CI machine once ran out of it mid-run.
section() {
  printf '\n==== %s (%ss, %s free) ====\n' "$*" "$(( $(date +%s) - start ))" \
    "$(df -h --output=avail . | tail -n1 | tr -d ' ')"
}

section "bootstrap"
scripts/bootstrap.sh

section "rustfmt"
cargo fmt --all --check

section "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

section "cargo test (native)"
# The crash test runs in its own section below, where its counts are printed.
cargo test --workspace --locked -- --skip killed_mid_burst_and_restarted

section "crash safety: kill -9 in a burst, restart, nothing answered is lost (50 rounds)"
cargo test --locked -p clouddigit-sandbox --test crash -- --nocapture

section "schemathesis against the sandbox's OpenAPI document (every phase and check)"
scripts/schemathesis.sh

section "fuzzing: every target for 20 s (cargo fuzz, libFuzzer + AddressSanitizer)"
# Saved crash inputs (fuzz/regressions/) run first; a crash fails the run. The long run
# is scripts/fuzz.sh --minutes N.
cargo fmt --manifest-path fuzz/Cargo.toml --check
scripts/fuzz.sh --seconds "${CLOUDDIGIT_FUZZ_SECONDS:-20}"

section "no escalation: the stateful property test over HTTP (10,000 sequences)"
# Random sequences of credential operations against real sandboxes; after every step no
# credential may allow what its maker is refused, and cascades must hold. It prints the
# counts. CLOUDDIGIT_ESCALATION_CASES=100000 for a longer run.
CLOUDDIGIT_ESCALATION_CASES=${CLOUDDIGIT_ESCALATION_CASES:-10000} \
  cargo test --locked -p clouddigit-sandbox --test escalation_props -- --nocapture

section "npm package build"
scripts/build-npm.sh

section "wasm tests in Node and headless Chromium (wasm-bindgen-test)"
(cd wasm && CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} "$root/scripts/wasm-cargo.sh" test -p clouddigit-wasm --tests --locked)

section "npm package tests (node --test against the packed, installed package)"
# The API client's tests (js/test/client.test.mjs) start the real sandbox binary.
cargo build --locked -p clouddigit-sandbox
npm_dir=$(mktemp -d)
trap 'rm -rf "$npm_dir"' EXIT
tarball=$(npm pack --silent --pack-destination "$npm_dir" | tail -n1)
mkdir -p "$npm_dir/app/test"
(cd "$npm_dir/app" && echo '{"name":"sdk-consumer","private":true,"type":"module"}' > package.json \
  && npm install --silent --no-audit --no-fund "$npm_dir/$tarball")
cp js/test/*.mjs "$npm_dir/app/test/"
(cd "$npm_dir/app" && CLOUDDIGIT_VECTORS="$root/tests/vectors" CLOUDDIGIT_REPLAY="$root/dist/replay/clouddigit_replay.js" \
  CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" node --test test/)
node_modules/.bin/tsc -p js/tsconfig.json
# The API client in headless Chromium (the browser entry, same origin as the sandbox).
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" node --test js/test/browser/

# ---- web console (examples/console): Playwright in headless Chromium against the sandbox
section "web console: build, typecheck, Playwright tests (headless Chromium)"
cargo build --locked -p clouddigit-sandbox
examples/console/build.sh
(cd examples/console && node_modules/.bin/tsc -p tsconfig.json)
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" node --test examples/console/test/
# ---- end web console

section "Python wheel and pytest in a fresh virtualenv"
rm -rf target/wheels target/py-venv
python3 -m maturin build --release --locked -m python/Cargo.toml -o target/wheels
python3 -m venv target/py-venv
target/py-venv/bin/python -m pip install --quiet --disable-pip-version-check target/wheels/clouddigit-*.whl pytest mypy jsonschema rfc3339-validator
# The client tests start the real sandbox binary on an ephemeral port.
cargo build --locked -p clouddigit-sandbox
(cd python/tests && CLOUDDIGIT_VECTORS="$root/tests/vectors" CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" \
  "$root/target/py-venv/bin/python" -m pytest -q -p no:cacheprovider)
target/py-venv/bin/python -m mypy --strict examples/allowed_ips.py examples/authorize.py examples/validate.py examples/client.py
(cd python/python && "$root/target/py-venv/bin/python" -m mypy --strict clouddigit)
# The native module's stub against the installed module: every name, signature and
# constructor (python/stubtest-allowlist.txt says why each exception is there).
target/py-venv/bin/python -m mypy.stubtest clouddigit._native --allowlist python/stubtest-allowlist.txt

section "S3 endpoint: boto3, the aws CLI and @aws-sdk/client-s3 against the sandbox"
# The published clients, unmodified, against the sandbox's S3 endpoint: boto3 and the aws
# CLI (a subprocess) from a venv of their own, the JS SDK from the root devDependencies
# (bootstrap's npm ci). Each test file starts its own sandbox on free ports.
cargo build --locked -p clouddigit-sandbox
[ -x target/s3-venv/bin/python ] || python3 -m venv --clear target/s3-venv
target/s3-venv/bin/python -c 'import boto3, awscli, requests, pytest, jwt, cryptography, pre_commit, yaml, jsonschema' 2>/dev/null \
  || target/s3-venv/bin/python -m pip install -q --disable-pip-version-check boto3 awscli requests pytest pyjwt cryptography pre-commit pyyaml jsonschema
# The package too: the README's boto3 quick start uses clouddigit.s3_config.
target/s3-venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/clouddigit-*.whl
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" \
  target/s3-venv/bin/python -m pytest -q -p no:cacheprovider tests/s3
# The OIDC token exchange, with an issuer of the test's own (PyJWT, cryptography).
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" \
  target/s3-venv/bin/python -m pytest -q -p no:cacheprovider tests/oidc
# Leaked-token reports from a secret scanner of the test's own: its P-256 key and every
# signature made with cryptography (installed above), not with our code.
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" \
  target/s3-venv/bin/python -m pytest -q -p no:cacheprovider tests/secret_scanning
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" node --test tests/s3/node/

section "audit streams: a webhook, a syslog receiver and S3 on loopback; OCSF validated"
# Receivers written in the test (the webhook goes down and comes back), the sandbox's own
# S3 read back with boto3, OCSF records against OCSF's own JSON Schema (tests/vectors/ocsf).
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" \
  target/s3-venv/bin/python -m pytest -q -p no:cacheprovider tests/streams

section "command line online: pip and npm commands against the sandbox, a real keychain"
# configure/whoami/tokens/service-accounts/audit/compute/storage from both packages (one
# core, two hosts), with configure writing to gnome-keyring's Secret Service on a private
# D-Bus session (scripts/with-keyring.sh). The keychain crate's own tests and the
# Rust <-> secret-tool <-> Node check of one entry run in the same kind of session.
# The venv is the S3 section's, which has `cryptography`: tests/cli's secret-scanning
# receiver (scan --report-to) verifies the command's signatures with it, independently.
scripts/with-keyring.sh cargo test --locked -q -p clouddigit-keychain
scripts/with-keyring.sh cargo test --locked -q -p clouddigit-client --test keychain
keychain/interop/interop.sh
target/s3-venv/bin/python -c 'import cryptography' 2>/dev/null \
  || target/s3-venv/bin/python -m pip install -q --disable-pip-version-check cryptography
CLOUDDIGIT_SANDBOX_BIN="$root/target/debug/clouddigit-sandbox" CLOUDDIGIT_PIP_CLI="$root/target/s3-venv/bin/clouddigit" \
  scripts/with-keyring.sh target/s3-venv/bin/python -m pytest -q -p no:cacheprovider tests/cli

section "examples"
node examples/allowed_ips.mjs '203.0.113.0/24, 2001:db8::/32' 203.0.113.7 198.51.100.1
target/py-venv/bin/python examples/allowed_ips.py '203.0.113.0/24, 10.0.0.1/8'  && exit_py=0 || exit_py=$?
[ "$exit_py" -eq 1 ] || { echo "examples/allowed_ips.py should exit 1 on a bad list, got $exit_py" >&2; exit 1; }
node examples/authorize.mjs cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA
target/py-venv/bin/python examples/authorize.py cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA
target/py-venv/bin/python examples/validate.py && exit_py=0 || exit_py=$?
[ "$exit_py" -eq 1 ] || { echo "examples/validate.py should exit 1 on its draft with errors, got $exit_py" >&2; exit 1; }
# The client example against a sandbox of its own.
sbx_dir=$(mktemp -d)
target/debug/clouddigit-sandbox --port 0 --no-console --token-file "$sbx_dir/token" > "$sbx_dir/out" &
sbx_pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$sbx_dir/out" && break; sleep 0.1; done
sbx_url=$(sed -n 's/.*listening on //p' "$sbx_dir/out")
CD_BASE_URL="$sbx_url/v1" CD_API_TOKEN=$(cat "$sbx_dir/token") target/py-venv/bin/python examples/client.py
rm -rf target/example-js
node_modules/.bin/tsc -p js/tsconfig.json --noEmit false --rootDir . --outDir target/example-js
CD_BASE_URL="$sbx_url/v1" CD_API_TOKEN=$(cat "$sbx_dir/token") node target/example-js/examples/client.js
kill "$sbx_pid"; wait "$sbx_pid" 2>/dev/null || true; rm -rf "$sbx_dir"

section "leak sweep: every issued secret, searched for in everything the suite wrote"
scripts/leak-sweep.sh

section "all tests passed"
