#!/usr/bin/env bash
# End-to-end benchmark: generate N sshd lines (deterministic), ingest them into a fresh store,
# and time every report cold (first run) and warm (second run).
# Prints lines/s, peak RSS, store size vs log size, and per-report latency. Never a pass/fail.
#
#   bench/e2e.sh [LINES=10000000] [WORKDIR=/var/tmp/ipscope-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${1:-10000000}"
WORK="${2:-/var/tmp/ipscope-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ipscope-target}"
cargo build --release --quiet -p ipscope -p ipscope-gen --examples --bins
BIN="$CARGO_TARGET_DIR/release/ipscope"
GEN="$CARGO_TARGET_DIR/release/examples/generate"
mkdir -p "$WORK"
LOG="$WORK/auth-$LINES.log"
DATA="$WORK/data-$LINES"
rm -rf "$DATA"
if [ ! -s "$LOG" ]; then
  echo "generating $LINES lines -> $LOG" >&2
  "$GEN" sshd3339 "$LINES" 42 30 > "$LOG"
fi
export IPSCOPE_DATA="$DATA" IPSCOPE_CONFIG=/dev/null IPSCOPE_TZ=UTC NO_COLOR=1

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "input: $LINES sshd lines, $(du -m "$LOG" | cut -f1) MiB"

t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" ingest --no-progress "$LOG" 2> "$WORK/ingest.err"
t1=$(date +%s.%N)
tail -1 "$WORK/ingest.err"
secs=$(echo "$t1 - $t0" | bc -l)
printf 'ingest: %.2f s, %.0f lines/s, peak RSS %d MiB\n' "$secs" "$(echo "$LINES / $secs" | bc -l)" "$(( $(cat "$WORK/rss") / 1024 ))"
events=$("$BIN" sql "SELECT count(*) FROM events" -o csv --no-header)
ips=$("$BIN" sql "SELECT count(DISTINCT src_ip) FROM events" -o csv --no-header)
db=$(du -m "$DATA/ipscope.duckdb" | cut -f1)
echo "store: $events events, $ips distinct source addresses, $db MiB ($(echo "100 * $db / $(du -m "$LOG" | cut -f1)" | bc) % of the log)"

timed() {
  local s e
  s=$(date +%s.%N); "$BIN" "$@" -o csv > /dev/null; e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
printf '%-28s %10s %10s\n' report cold_s warm_s
for r in daily top-ips top-users "low-success --by ip" "low-success --by user" open-sessions nets "nets --prefix 16"; do
  # shellcheck disable=SC2086
  cold=$(timed report $r --home 10.0.0.0/8,192.168.0.0/16)
  # shellcheck disable=SC2086
  warm=$(timed report $r --home 10.0.0.0/8,192.168.0.0/16)
  printf '%-28s %10.3f %10.3f\n' "$r" "$cold" "$warm"
done
