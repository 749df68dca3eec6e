#!/usr/bin/env bash
# least-privilege benchmark (not part of the tests): `clouddigit least-privilege` from pip
# and from npm on a generated audit export (bench/gen_audit_events.py: events as the
# sandbox exports them), plain, gzipped, and in the compact shape issue 21 measured.
# Prints events per second and peak RSS (/usr/bin/time) for each, medians of the runs.
#
#   scripts/bench-least-privilege.sh [--events N] [--runs R] [--no-build]
#
# --no-build measures what is installed: the pip command of $BENCH_PIP (default: the
# venv below) and the Node command of $BENCH_NODE_CLI (default: js/cli.js over dist/cli).
# Point them at other builds to compare (before/after).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

events=2000000
runs=3
build=1
while [ $# -gt 0 ]; do
  case $1 in
    --events) events=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "usage: $0 [--events N] [--runs R] [--no-build]" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "bench-least-privilege: needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 2; }

venv=${BENCH_VENV:-$CARGO_TARGET_DIR/bench-lp-venv}
if [ "$build" = 1 ]; then
  rm -rf "$CARGO_TARGET_DIR/bench-lp-wheels"
  python3 -m maturin build --release --locked -q -m python/Cargo.toml -o "$CARGO_TARGET_DIR/bench-lp-wheels"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall "$CARGO_TARGET_DIR"/bench-lp-wheels/clouddigit-*.whl
  scripts/build-npm.sh >/dev/null
fi
pip_cmd=${BENCH_PIP:-$venv/bin/clouddigit}
node_cli=${BENCH_NODE_CLI:-$root/js/cli.js}

data=$CARGO_TARGET_DIR/bench-lp-data
mkdir -p "$data"
full=$data/events-$events.jsonl
compact=$data/compact-$events.jsonl
[ -s "$full" ] || python3 bench/gen_audit_events.py "$events" "$full"
[ -s "$compact" ] || python3 bench/gen_audit_events.py "$events" "$compact" --compact
[ -s "$full.gz" ] || gzip -1 -c "$full" >"$full.gz"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One row: median wall time of the runs, events/s from it, the highest peak RSS.
measure() {
  local label=$1 input=$2; shift 2
  local times=() rss=0 cpu=()
  for _ in $(seq "$runs"); do
    if ! /usr/bin/time -f '%e %M %U %S' -o "$out/time" "$@" least-privilege "$input" --json \
        >"$out/result.json" 2>"$out/err"; then
      printf '| %s | fails: %s | | | %s MB |\n' "$label" "$(head -c 160 "$out/err" | tr '\n' ' ')" \
        "$(( $(tail -n1 "$out/time" | cut -d' ' -f2) / 1024 ))"
      return 0
    fi
    read -r t m u s <"$out/time"
    times+=("$t"); cpu+=("$(echo "$u + $s" | bc)")
    [ "$m" -gt "$rss" ] && rss=$m
    # Every host and input must give the same answer.
    node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(JSON.stringify([r.permissions,r.calls_per_permission]))' \
      "$out/result.json" >"$out/answer"
    if [ -s "$out/first-answer" ]; then
      cmp -s "$out/answer" "$out/first-answer" || { echo "bench-least-privilege: $label gave another answer" >&2; exit 1; }
    else
      cp "$out/answer" "$out/first-answer"
    fi
  done
  local med mcpu
  med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  mcpu=$(printf '%s\n' "${cpu[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  printf '| %s | %s s | %s | %s s | %s MB |\n' "$label" "$med" \
    "$(echo "$events / $med" | bc | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$mcpu" "$(( rss / 1024 ))"
}

echo "least-privilege on $events events, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), medians of $runs runs"
echo "full: $(du -mL "$full" | cut -f1) MB, gzipped $(du -mL "$full.gz" | cut -f1) MB; compact: $(du -mL "$compact" | cut -f1) MB"
echo
echo "| command, input | wall | events/s | CPU (user+sys) | peak RSS |"
echo "|---|---|---|---|---|"
measure "pip, full" "$full" "$pip_cmd"
measure "pip, full gzipped" "$full.gz" "$pip_cmd"
measure "pip, compact" "$compact" "$pip_cmd"
measure "npm, full" "$full" node "$node_cli"
measure "npm, full gzipped" "$full.gz" node "$node_cli"
measure "npm, compact" "$compact" node "$node_cli"
