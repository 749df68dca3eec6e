#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer) of every parser of untrusted input in
# the core: the targets are in fuzz/fuzz_targets/.
#
#   scripts/fuzz.sh                       every target for 20 s (what scripts/test.sh runs)
#   scripts/fuzz.sh --minutes 60          every target for an hour (the long run)
#   scripts/fuzz.sh --seconds 5 secrets   one target
#   scripts/fuzz.sh --replay              only the saved regressions, no fuzzing
#   scripts/fuzz.sh --runs 100000000 --no-asan --jobs 1
#                                         10^8 executions per target, without ASan (3-6x
#                                         the speed), one target at a time
#
# Corpora start from tests/vectors/ (tests/gen/fuzz_seeds.py) and grow in
# target/fuzz-corpus/<target>/, kept between runs. Every input in fuzz/regressions/<target>/
# (crashes found earlier) is run first. A crash fails the run; its input is saved in
# target/fuzz-artifacts/<target>/ - copy it to fuzz/regressions/<target>/ with the fix.
#
# Options: --jobs N (targets fuzzed at once; default: the number of cores); --runs N
# (stop a target after N executions; with no time given, no time limit).
# Stable rustc builds the sanitizer with RUSTC_BOOTSTRAP=1; where AddressSanitizer will
# not link, the build falls back to `-s none` (still coverage-guided, no ASan).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=20
jobs=$(nproc 2>/dev/null || echo 2)
replay=0
runs=-1
time_given=0
sanitizer=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; time_given=1; shift 2 ;;
    --minutes) seconds=$(( $2 * 60 )); time_given=1; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --no-asan) sanitizer=(-s none); shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --replay) replay=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

# shellcheck source=/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
if [ "$runs" != -1 ] && [ "$time_given" = 0 ]; then seconds=0; fi

export RUSTC_BOOTSTRAP=1
build_log="$root/target/fuzz-build.log"
mkdir -p "$root/target"
if ! (cd fuzz && cargo fuzz build -O "${sanitizer[@]}") >"$build_log" 2>&1; then
  echo "fuzz: the AddressSanitizer build failed; building with -s none" >&2
  tail -20 "$build_log" >&2
  sanitizer=(-s none)
  (cd fuzz && cargo fuzz build -O "${sanitizer[@]}")
fi

corpus="$root/target/fuzz-corpus"
artifacts="$root/target/fuzz-artifacts"
logs="$root/target/fuzz-logs"
mkdir -p "$corpus" "$artifacts" "$logs"
python3 tests/gen/fuzz_seeds.py "$corpus" >/dev/null

run_one() {
  local t="$1"
  local regressions="$root/fuzz/regressions/$t"
  mkdir -p "$corpus/$t" "$artifacts/$t"
  local extra=()
  [ -d "$regressions" ] && extra=("$regressions")
  local flags=(-artifact_prefix="$artifacts/$t/" -print_final_stats=1 -timeout=10
               -rss_limit_mb=2048 -max_len=16384)
  if [ "$replay" = 1 ]; then
    [ ${#extra[@]} -eq 0 ] && { echo "stat::number_of_executed_units: 0" >"$logs/$t.log"; return 0; }
    (cd fuzz && cargo fuzz run -O "${sanitizer[@]}" "$t" "$regressions"/* -- -runs=0 \
      "${flags[@]}") >"$logs/$t.log" 2>&1
  else
    (cd fuzz && cargo fuzz run -O "${sanitizer[@]}" "$t" "$corpus/$t" "${extra[@]}" -- \
      -max_total_time="$seconds" -runs="$runs" "${flags[@]}") >"$logs/$t.log" 2>&1
  fi
}

limit="${seconds} s"
[ "$runs" != -1 ] && limit="$runs executions$([ "$seconds" != 0 ] && echo " or ${seconds} s")"
echo "fuzz: ${#targets[@]} targets, $limit each, $jobs at a time${sanitizer[*]:+, no ASan}$([ "$replay" = 1 ] && echo ' (replay only)')"
failed=()
pids=()
names=()
wait_one() {
  local pid="${pids[0]}" name="${names[0]}"
  if ! wait "$pid"; then failed+=("$name"); fi
  pids=("${pids[@]:1}")
  names=("${names[@]:1}")
}
for t in "${targets[@]}"; do
  while [ ${#pids[@]} -ge "$jobs" ]; do wait_one; done
  run_one "$t" &
  pids+=($!)
  names+=("$t")
done
while [ ${#pids[@]} -gt 0 ]; do wait_one; done

printf '%-18s %14s %10s %8s %8s  %s\n' target executions exec/s seconds corpus result
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
  size=$(find "$corpus/$t" -type f | wc -l)
  took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 | awk '{print $5}' || true)
  result=ok
  for f in "${failed[@]}"; do [ "$f" = "$t" ] && result=CRASH; done
  printf '%-18s %14s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${took:-?}" "$size" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "--- fuzz: $t failed; the end of its log ($logs/$t.log):" >&2
    grep -v '^#[0-9]' "$logs/$t.log" | tail -40 >&2
    ls "$artifacts/$t" >&2 || true
  done
  echo "fuzz: a crash input is in target/fuzz-artifacts/<target>/; reproduce with" >&2
  echo "  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O <target> <file>)" >&2
  echo "then fix it and copy the file to fuzz/regressions/<target>/." >&2
  exit 1
fi
