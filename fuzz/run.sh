#!/usr/bin/env bash
# Builds every fuzz target (cargo fuzz: nightly, libFuzzer, AddressSanitizer, debug assertions
# and overflow checks) and runs each for SECONDS on its corpus (seeded from ../shared/corpus by
# seed.sh); then prints executions and coverage per target. A crash fails it (exit 1) with the
# input that caused it in fuzz/artifacts/TARGET/.
# Usage: fuzz/run.sh SECONDS [TARGET...]        (no target: all of them)
#   IPSCOPE_FUZZ_JOBS   targets fuzzed at once (default 1; .ci/run uses every core)
#   IPSCOPE_FUZZ_TARGET build directory (default /var/tmp/ipscope-fuzz-target)
#   IPSCOPE_TOOLS       where cargo-fuzz is installed once per machine (default /var/tmp/ipscope-tools)
# The targets are built once, up front, and the built binaries are run: editing the sources
# while a long run goes on does not disturb it.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
tools="${IPSCOPE_TOOLS:-/var/tmp/ipscope-tools}"
jobs="${IPSCOPE_FUZZ_JOBS:-1}"
cargo_fuzz_version=0.13.2
export PATH="$tools/bin:$PATH"
export CARGO_TARGET_DIR="${IPSCOPE_FUZZ_TARGET:-/var/tmp/ipscope-fuzz-target}"

if ! cargo fuzz --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
  echo "installing cargo-fuzz $cargo_fuzz_version into $tools (once per machine)" >&2
  cargo install --quiet --locked --root "$tools" --version "$cargo_fuzz_version" cargo-fuzz >&2
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
./seed.sh > /dev/null
cargo +nightly fuzz build >&2
bin="$CARGO_TARGET_DIR/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

# Longest input per target: long enough for several lines / a message over MAX_MESSAGE (16 KiB)
# in the framing target, short enough to keep executions fast.
max_len() {
  case "$1" in
    syslog_framing) echo 40000 ;;
    config) echo 4096 ;;
    args) echo 256 ;;
    *) echo 8192 ;;
  esac
}

logs="logs/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$logs"
fuzz_one() {
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "fuzzing $t for $secs s" >&2
  local rc=0
  ASAN_OPTIONS=detect_odr_violation=0 "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -close_fd_mask=1 > "$logs/$t.log" 2>&1 || rc=$?
  echo "$rc" > "$logs/$t.rc"
}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$t" &
done
wait

summary=("$(printf '%-16s %12s %10s %8s %8s %s' target executions exec/s cov ft corpus)")
crashed=()
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  if [ "$(cat "$logs/$t.rc")" != 0 ]; then
    tail -n 40 "$log" >&2
    crashed+=("$t")
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<< "$last")
  summary+=("$(printf '%-16s %12s %10s %8s %8s %s' "$t" "$execs" "$rate" "$cov" "$ft" "$corp")")
done
# cov: code edges reached (libFuzzer's coverage counters); ft: features (edges with hit counts,
# value profiles); corpus: inputs kept / their size.
printf '%s\n' "${summary[@]}"
if [ ${#crashed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: crashed: ${crashed[*]}; the inputs are in fuzz/artifacts/TARGET/ (logs: fuzz/$logs)" >&2
  exit 1
fi
