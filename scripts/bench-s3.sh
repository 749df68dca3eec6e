#!/usr/bin/env bash
# S3 benchmark (not part of the tests): the sandbox's S3 endpoint against moto in server
# mode with request authentication on, same machine, same run, same boto3 code
# (bench/s3_bench.py). Two sandboxes are measured side by side: object metadata in an
# in-memory database (the default) and in a --db file. Takes about 5 minutes.
#
#   scripts/bench-s3.sh [s3_bench.py options]   e.g. --rounds 5 --seconds 6
#
# moto: INITIAL_NO_AUTH_ACTION_COUNT=3 turns authentication on after three actions;
# s3_bench.py spends exactly those on CreateUser, PutUserPolicy (s3:*) and
# CreateAccessKey, and from then on moto checks every SigV4 signature against that key
# (the script checks that a wrong secret is refused by every target).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
venv=${BENCH_VENV:-$root/target/bench-venv}

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import moto, boto3, flask' 2>/dev/null ||
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'moto[server]' boto3
cargo build --release --quiet -p clouddigit-sandbox --bin clouddigit-sandbox
bin=$CARGO_TARGET_DIR/release/clouddigit-sandbox

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A sandbox on free ports; sets url_<name>, s3_<name>, pid_<name>.
start_sandbox() {
  local name=$1; shift
  mkdir -p "$work/$name"
  : >"$work/$name/log"
  "$bin" --port 0 --token-file "$work/$name/token" --no-console \
    --rate-burst 0 --failure-burst 0 "$@" >"$work/$name/log" 2>&1 &
  pids+=($!)
  printf -v "pid_$name" %s $!
  for _ in $(seq 100); do grep -q 'S3 endpoint at' "$work/$name/log" && break; sleep 0.1; done
  grep -q 'S3 endpoint at' "$work/$name/log" || { cat "$work/$name/log"; exit 1; }
  printf -v "url_$name" %s "$(grep -o 'listening on [^ ]*' "$work/$name/log" | cut -d' ' -f3)"
  printf -v "s3_$name" %s "$(grep -o 'S3 endpoint at [^ ]*' "$work/$name/log" | cut -d' ' -f4)"
}
start_sandbox memory
start_sandbox db --db "$work/db/sandbox.db"

moto_port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
INITIAL_NO_AUTH_ACTION_COUNT=3 "$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
moto_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done

echo "sandbox $("$bin" --version) (release profile of Cargo.toml), $("$venv/bin/python" -c 'import moto, boto3; print(f"moto {moto.__version__}, boto3 {boto3.__version__}")'), $(nproc) cores"
"$venv/bin/python" bench/s3_bench.py \
  --sandbox "memory,$url_memory,$s3_memory,$work/memory/token,$pid_memory" \
  --sandbox "db,$url_db,$s3_db,$work/db/token,$pid_db" \
  --moto "http://127.0.0.1:$moto_port,$moto_pid" "$@"
