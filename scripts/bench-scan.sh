#!/usr/bin/env bash
# `clouddigit scan` against the tools people compare it with (issue 21), in one run on one
# tree: `rg -uu` with the token's pattern, the pip command, the npm command and
# detect-secrets (PyPI) with a plugin for the same pattern (bench/scan/cd_detector.py).
# Not part of scripts/test.sh. Prints the medians and the ratios to rg; figures are with
# a warm page cache (every command runs once before timing).
#
#   scripts/bench-scan.sh [--mb 500] [--files 24000] [--runs 10]
#
# Uses an installed `clouddigit` wheel if CLOUDDIGIT_PIP names its command, else builds
# the release wheel into target/bench-scan; the npm command is `node js/cli.js` over
# dist/ (scripts/build-npm.sh builds it if missing). hyperfine if installed (apt
# hyperfine), else repeated timing in Python.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mb=500 files=24000 runs=10
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) mb=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--mb N] [--files N] [--runs N]" >&2; exit 2 ;;
  esac
done
work=${CLOUDDIGIT_BENCH_DIR:-$root/target/bench-scan}
mkdir -p "$work"

command -v rg >/dev/null || { echo "bench-scan: needs ripgrep (apt-get install ripgrep)" >&2; exit 2; }

# The pip command.
if [ -n "${CLOUDDIGIT_PIP:-}" ]; then
  pip_cmd=$CLOUDDIGIT_PIP
  py=$(dirname "$pip_cmd")/python
else
  [ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
  if ! "$work/venv/bin/python" -c 'import clouddigit' 2>/dev/null; then
    python3 -m maturin build -q --release --locked -m python/Cargo.toml -o "$work/wheels"
    "$work/venv/bin/pip" install -q --disable-pip-version-check "$work"/wheels/clouddigit-*.whl
  fi
  pip_cmd=$work/venv/bin/clouddigit
  py=$work/venv/bin/python
fi
# The npm command.
[ -f dist/cli/clouddigit_cli_bg.wasm ] || scripts/build-npm.sh
npm_cmd="node $root/js/cli.js"
# detect-secrets, in a venv of its own.
[ -x "$work/ds-venv/bin/detect-secrets" ] || {
  python3 -m venv "$work/ds-venv"
  "$work/ds-venv/bin/pip" install -q --disable-pip-version-check detect-secrets
}
ds_version=$("$work/ds-venv/bin/detect-secrets" --version)
disable=()
for p in $("$work/ds-venv/bin/detect-secrets" scan --list-all-plugins); do disable+=(--disable-plugin "$p"); done
ds_cmd="$work/ds-venv/bin/detect-secrets scan --all-files --plugin $root/bench/scan/cd_detector.py ${disable[*]} $work/tree"

# The tree: about 500 MB in about 24,000 files, 5 valid tokens and 20 look-alikes.
stamp="$mb-$files"
if [ "$(cat "$work/tree.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$work/tree"
  "$py" bench/scan/make_tree.py "$work/tree" --mb "$mb" --files "$files"
  echo "$stamp" > "$work/tree.stamp"
fi
cd "$work"
pattern='cd_[0-9A-Za-z]{42}'

# Every tool must find the 5 tokens (rg and detect-secrets also the 20 look-alikes).
n_pip=$($pip_cmd scan tree --json | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)))' || true)
n_npm=$($npm_cmd scan tree --json | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)))' || true)
n_rg=$(rg -uu -o "$pattern" tree | wc -l)
# detect-secrets takes minutes on this tree: it runs once, timed (the cache is warm from
# the runs above), and that run's findings are counted.
ds_start=$(date +%s.%N)
$ds_cmd > "$work/ds-out.json"
ds_end=$(date +%s.%N)
"$py" -c 'import json,sys; t=float(sys.argv[2])-float(sys.argv[1]); json.dump({"results":[{"command":"detect-secrets","median":t,"times":[t]}]}, open("ds.json","w"))' "$ds_start" "$ds_end"
n_ds=$("$py" -c 'import json,sys; print(sum(len(v) for v in json.load(open(sys.argv[1]))["results"].values()))' "$work/ds-out.json")
echo "found: pip $n_pip, npm $n_npm (valid tokens); rg $n_rg, detect-secrets $n_ds (the pattern, look-alikes too)"
[ "$n_pip" = 5 ] && [ "$n_npm" = 5 ] || { echo "bench-scan: clouddigit should find the 5 planted tokens" >&2; exit 1; }

echo "tree: $(find tree -type f | wc -l) files, $(du -sm tree | cut -f1) MB; $(nproc) cores; rg $(rg --version | head -1 | cut -d' ' -f2), $ds_version, node $(node --version)"
cat > "$work/names.txt" <<NAMES
rg -uu
clouddigit scan (pip)
clouddigit scan (npm)
detect-secrets
NAMES
if command -v hyperfine >/dev/null; then
  hyperfine -N -i --warmup 2 --runs "$runs" --export-json "$work/fast.json" \
    -n 'rg -uu' "rg -uu -c $pattern tree" \
    -n 'clouddigit scan (pip)' "$pip_cmd scan tree" \
    -n 'clouddigit scan (npm)' "$npm_cmd scan tree" >/dev/null
else
  "$py" - "$runs" "$pattern" "$pip_cmd" "$npm_cmd" <<'PY'
import json, shlex, subprocess, sys, time
runs, pattern, pip_cmd, npm_cmd = sys.argv[1:]
def timed(name, cmd, n):
    argv = shlex.split(cmd)
    subprocess.run(argv, capture_output=True)
    t = []
    for _ in range(n):
        s = time.perf_counter(); subprocess.run(argv, capture_output=True); t.append(time.perf_counter() - s)
    return {"command": name, "times": t, "median": sorted(t)[len(t) // 2]}
fast = [timed("rg -uu", f"rg -uu -c {pattern} tree", int(runs)),
        timed("clouddigit scan (pip)", f"{pip_cmd} scan tree", int(runs)),
        timed("clouddigit scan (npm)", f"{npm_cmd} scan tree", int(runs))]
json.dump({"results": fast}, open("fast.json", "w"))
PY
fi
"$py" - <<'PY'
import json
rows = json.load(open("fast.json"))["results"] + json.load(open("ds.json"))["results"]
rg = next(r for r in rows if r["command"] == "rg -uu")
target = {"clouddigit scan (pip)": 1.5, "clouddigit scan (npm)": 4.0}
print(f"{'command':<24} {'median':>9} {'min':>9} {'max':>9} {'÷ rg':>7}  target")
for r in rows:
    med = r["median"]; ratio = med / rg["median"]
    t = target.get(r["command"])
    verdict = "" if t is None else f"≤ {t}× {'met' if ratio <= t else 'NOT met'}"
    print(f"{r['command']:<24} {med:8.3f}s {min(r['times']):8.3f}s {max(r['times']):8.3f}s {ratio:6.2f}×  {verdict}")
PY
