#!/usr/bin/env bash
# The benchmark harness: one command, numbers only (never pass/fail), results in bench/RESULTS.md.
#
#   bench/run.sh [LINES=10000000] [--100m] [--no-side-by-side]
#
# 1. ingest, per format (sshd, cowrie, zeek_conn, asa, intelmq, iptracking): LINES/5 generated
#    lines each (deterministic, seed 42) into a fresh store with GeoIP + ASN enrichment on:
#    lines/s, events/s, user CPU, peak RSS, store size vs log size;
# 2. RSS vs input size: sshd at LINES/10 and LINES lines;
# 3. reports at scale: every catalogue report, cold (first run) and warm (second run), and warm
#    from raw events only (--no-rollups: what the hourly rollups save), on the
#    sshd store of LINES lines (and of 100 M lines with --100m, where disk and time allow);
# 4. side by side (bench/side_by_side.sh, 1 M lines): the Python + SQLite Cowrie loader and
#    PostgreSQL's inet_log against ipscope on the same input, ratios printed;
# 5. writes bench/RESULTS.md (machine, date, commit, every number above).
#
# Databases: real-size ones from the npm registry (bench/fetch-mmdb.sh, into $WORK/mmdb, never
# the repo); MaxMind's small test databases when that fails (offline).
# Scratch: WORK=/var/tmp/ipscope-bench. Build: CARGO_TARGET_DIR (default /var/tmp/ipscope-target).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=10000000
BIG=0
SBS=1
for a in "$@"; do
  case "$a" in
    --100m) BIG=1 ;;
    --no-side-by-side) SBS=0 ;;
    *) LINES="${a//_/}" ;;
  esac
done
# shellcheck source=bench/common.sh
. bench/common.sh
bench_geoip
export IPSCOPE_CONFIG=/dev/null IPSCOPE_TZ=UTC NO_COLOR=1 IPSCOPE_GEOIP="$GEOIP"

OUT="$WORK/results-$LINES.md"
: > "$OUT"
md() { echo "$*" | tee -a "$OUT"; }
mib() { echo "scale=1; $1 / 1048576" | bc -l; }

# ingest FORMAT FILE DATA -> "wall user rss_kib events"
ingest() {
  rm -rf "$3"
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f "%U %M" -o "$WORK/time" "$BIN" --data "$3" ingest --no-progress --format "$1" "$2" 2> "$WORK/ingest.err"
  e=$(date +%s.%N)
  local ev
  ev=$("$BIN" --data "$3" sql "SELECT count(*) FROM events" -o csv --no-header)
  echo "$(echo "$e - $s" | bc -l) $(cat "$WORK/time") $ev"
}

# largest_columns DATA TABLE LOG_BYTES -> "table.column MiB (x %), ..." for the 8 largest columns
# of the event table, the rollups and the addresses. A segment's size is the distance to the
# next segment in its block (DuckDB reports where segments start, not their length).
largest_columns() {
  local q segments="" t
  for t in "$2" rollup_hourly addresses; do
    segments="${segments:+$segments UNION ALL }SELECT '$t' AS t, column_name AS c, block_id AS b, block_offset AS o, len(additional_block_ids) AS x FROM pragma_storage_info('$t') WHERE persistent AND block_id >= 0"
  done
  q="WITH s AS ($segments),
    bs AS (SELECT block_size FROM pragma_database_size()),
    z AS (SELECT t, c, coalesce(lead(o) OVER (PARTITION BY b ORDER BY o), (FROM bs)) - o + x * (FROM bs) AS bytes FROM s)
    SELECT string_agg(format('{}.{} {:.1f} ({:.1f} %)', t, c, mib, pct), ', ' ORDER BY mib DESC) FROM (
      SELECT t, c, sum(bytes) / 1048576 AS mib, 100 * sum(bytes) / $3 AS pct FROM z GROUP BY ALL ORDER BY mib DESC LIMIT 8)"
  "$BIN" --data "$1" sql "$q" -o csv --no-header | tr -d '"'
}

md "# ipscope benchmark results"
md ""
md "- date: $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
md "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
md "- enrichment: $GEOIP_NAME"
md "- reproduce: \`bench/run.sh $*\`"
md ""

PER=$((LINES / 5))
md "## Ingest per format ($PER generated lines each, enrichment on)"
md ""
md "| format | lines | events | wall s | lines/s | events/s | user CPU s | peak RSS MiB | log MiB | store MiB | store/log |"
md "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A WALL COLUMNS
for fmt in sshd cowrie zeek_conn asa intelmq iptracking; do
  log=$(generate "$fmt" "$PER")
  read -r wall user rss ev <<< "$(ingest "$fmt" "$log" "$WORK/store-$fmt")"
  WALL[$fmt]=$wall
  lb=$(stat -c %s "$log"); sb=$(stat -c %s "$WORK/store-$fmt/ipscope.duckdb")
  md "| $fmt | $PER | $ev | $(printf %.2f "$wall") | $(printf %.0f "$(echo "$PER / $wall" | bc -l)") | $(printf %.0f "$(echo "$ev / $wall" | bc -l)") | $user | $((rss / 1024)) | $(mib "$lb") | $(mib "$sb") | $(printf %.1f "$(echo "100 * $sb / $lb" | bc -l)") % |"
  COLUMNS[$fmt]=$(largest_columns "$WORK/store-$fmt" "events_$fmt" "$lb")
  rm -rf "$WORK/store-$fmt"
done
md ""
md "### Where each store's bytes go: its largest columns (MiB, % of the log)"
md ""
for fmt in sshd cowrie zeek_conn asa intelmq iptracking; do md "- $fmt: ${COLUMNS[$fmt]}"; done
md ""

# The yardstick of issue 11: one mawk pass that only counts failed passwords per address, on
# the same files (what a one-off script does), against ipscope's whole ingest with enrichment.
command -v mawk >/dev/null || { apt-get update -qq && apt-get install -y -qq mawk; } >&2
md "## Yardstick: one \`mawk\` pass counting failed passwords per address, same files"
md ""
md "| format | mawk s | ipscope ingest s | ipscope / mawk |"
md "|---|---:|---:|---:|"
SSHD_AWK='/Failed password/ { for (i = 1; i < NF; i++) if ($i == "from") { n[$(i + 1)]++; break } } END { for (a in n) print a, n[a] }'
COWRIE_AWK='/"cowrie.login.failed"/ { if (match($0, /"src_ip":"[^"]*"/)) n[substr($0, RSTART + 10, RLENGTH - 11)]++ } END { for (a in n) print a, n[a] }'
for fmt in sshd cowrie; do
  prog=$SSHD_AWK; [ "$fmt" = cowrie ] && prog=$COWRIE_AWK
  s=$(date +%s.%N); mawk "$prog" "$(generate "$fmt" "$PER")" > "$WORK/mawk.out"; e=$(date +%s.%N)
  secs=$(echo "$e - $s" | bc -l)
  md "| $fmt | $(printf %.2f "$secs") | $(printf %.2f "${WALL[$fmt]}") | $(printf %.2f "$(echo "${WALL[$fmt]} / $secs" | bc -l)") |"
done
md ""

md "## Peak RSS against input size (sshd, enrichment on)"
md ""
md "| lines | events | wall s | lines/s | peak RSS MiB | store/log |"
md "|---:|---:|---:|---:|---:|---:|"
SIZES="$((LINES / 10)) $LINES"
[ "$BIG" = 1 ] && SIZES="$SIZES 100000000"
for n in $SIZES; do
  log=$(generate sshd3339 "$n")
  read -r wall user rss ev <<< "$(ingest sshd "$log" "$WORK/store-sshd-$n")"
  lb=$(stat -c %s "$log"); sb=$(stat -c %s "$WORK/store-sshd-$n/ipscope.duckdb")
  md "| $n | $ev | $(printf %.2f "$wall") | $(printf %.0f "$(echo "$n / $wall" | bc -l)") | $((rss / 1024)) | $(printf %.1f "$(echo "100 * $sb / $lb" | bc -l)") % |"
done
md ""

REPORT_SIZES="$LINES"
[ "$BIG" = 1 ] && REPORT_SIZES="$LINES 100000000"
timed() {
  local s e
  s=$(date +%s.%N); "$BIN" "$@" -o csv > /dev/null; e=$(date +%s.%N)
  printf %.3f "$(echo "$e - $s" | bc -l)"
}
for n in $REPORT_SIZES; do
  data="$WORK/store-sshd-$n"
  ev=$("$BIN" --data "$data" sql "SELECT count(*) FROM events" -o csv --no-header)
  md "## Reports on $ev events ($n sshd lines), seconds for the whole process"
  md ""
  md "| report | cold s | warm s | warm s, --no-rollups |"
  md "|---|---:|---:|---:|"
  while read -r name _; do
    report_args "$name"; args=("${ARGS[@]}")
    cold=$(timed --data "$data" "${args[@]}")
    warm=$(timed --data "$data" "${args[@]}")
    raw=$(timed --data "$data" "${args[@]}" --no-rollups)
    md "| $name | $cold | $warm | $raw |"
  done < <("$BIN" reports | tail -n +2)
  for extra in "nets --registered" "low-success --by user" "nets --prefix 16"; do
    # shellcheck disable=SC2086
    cold=$(timed --data "$data" report $extra --home "$HOME_NETS")
    # shellcheck disable=SC2086
    warm=$(timed --data "$data" report $extra --home "$HOME_NETS")
    # shellcheck disable=SC2086
    raw=$(timed --data "$data" report $extra --home "$HOME_NETS" --no-rollups)
    md "| $extra | $cold | $warm | $raw |"
  done
  md ""
done
for n in $SIZES; do rm -rf "$WORK/store-sshd-$n"; done

if [ "$SBS" = 1 ] && [ -x bench/side_by_side.sh ]; then
  md "## Side by side (bench/side_by_side.sh, 1 M lines, same input, same run)"
  md ""
  md '```'
  env -u IPSCOPE_GEOIP IPSCOPE_BIN="$BIN" GEN="$GEN" WORK="$WORK" IPSCOPE_GEOIP_FLAGS=auto bench/side_by_side.sh 1000000 2>/dev/null | tee -a "$OUT"
  md '```'
fi

cp "$OUT" bench/RESULTS.md
echo "written: bench/RESULTS.md" >&2
