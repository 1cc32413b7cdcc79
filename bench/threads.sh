#!/usr/bin/env bash
# Which thread of an ingest sets its pace (issue 11): numbers only, never pass/fail.
#
#   bench/threads.sh [FORMAT=sshd] [LINES=2000000] [RUNS=3]
#
# On LINES generated lines (seed 42) with GeoIP + ASN enrichment, RUNS times each, alternated,
# medians printed:
#   parser  the parser thread alone (`--example parser_thread`: read, parse, enrich, build batches)
#   store   the store thread alone (`--example store_thread`: the same batches, parsed first and
#           held in memory, committed to a fresh store as `ipscope ingest` commits them)
#   no text the store thread with the batches' text columns left out (NULL; what they cost)
#   whole   `ipscope ingest` itself
# The two threads overlap on 2 cores, so the whole ingest is no faster than the slower of them.
set -euo pipefail
FORMAT=${1:-sshd}
LINES=${2:-2000000}
RUNS=${3:-3}
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
bench_geoip
export IPSCOPE_CONFIG=/dev/null IPSCOPE_TZ=UTC NO_COLOR=1 IPSCOPE_GEOIP="$GEOIP" IPSCOPE_BENCH_GEOIP="$GEOIP"
EX="$CARGO_TARGET_DIR/release/examples"
LOG=$(generate "$FORMAT" "$LINES")
OUT="$WORK/threads.tsv"
: > "$OUT"
secs() { grep -oE '[0-9.]+ s wall' | cut -d' ' -f1; }
for _ in $(seq "$RUNS"); do
  echo "parser $("$EX/parser_thread" "$FORMAT" "$LOG" | secs)" >> "$OUT"
  echo "store $("$EX/store_thread" "$FORMAT" "$LOG" | secs)" >> "$OUT"
  echo "no-text $("$EX/store_thread" "$FORMAT" "$LOG" --no-text | secs)" >> "$OUT"
  rm -rf "$WORK/threads-store"
  s=$(date +%s.%N)
  "$BIN" --data "$WORK/threads-store" ingest --no-progress --format "$FORMAT" "$LOG" 2> /dev/null
  echo "whole $(echo "$(date +%s.%N) - $s" | bc -l)" >> "$OUT"
  rm -rf "$WORK/threads-store"
done
echo "# $FORMAT, $LINES lines, $RUNS runs each ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| part | wall s (median) | lines/s |"
echo "|---|---:|---:|"
for part in parser store no-text whole; do
  awk -v p="$part" '$1 == p { print $2 }' "$OUT" | sort -n | awk -v n="$RUNS" -v p="$part" -v lines="$LINES" \
    'NR == int((n + 1) / 2) { printf "| %s | %.2f | %.0f |\n", p, $1, lines / $1 }'
done
