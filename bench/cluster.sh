#!/usr/bin/env bash
# The scale-out benchmark (issue 13): the same generated sshd log ingested into the embedded
# store, into one ClickHouse server and into the 2-shard cluster of scripts/clickhouse-cluster.sh,
# then every catalogue report on each, side by side in one run. Numbers only, never pass/fail.
#
#   bench/cluster.sh [LINES=10000000] [--100m]
#   REPORTS="daily top-ips" bench/cluster.sh 100000000    # only these reports (a long run)
#
# Per store: ingest wall time, lines/s, events/s, the ipscope process's CPU and peak RSS, the
# ClickHouse servers' CPU during the ingest, and the store's size (the DuckDB file; the active
# parts of the database on every shard); then each report warm (the second of two runs, whole
# process, --format csv to /dev/null). Writes bench/RESULTS-clickhouse.md.
#
# "One server" is the cluster `ipscope_one` (shard 1 alone), the "2-shard cluster" is `ipscope`:
# both shards run on this machine, so they share its cores and disk — the cluster's case is
# more disks, more memory and more hosts, not this machine (docs/scale-out.md).
# Scratch: WORK=/var/tmp/ipscope-bench. Build: CARGO_TARGET_DIR (default /var/tmp/ipscope-target).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=10000000
SIZES=()
for a in "$@"; do
  case "$a" in
    --100m) SIZES+=(100000000) ;;
    *) LINES="${a//_/}" ;;
  esac
done
SIZES=("$LINES" "${SIZES[@]}")
# shellcheck source=bench/common.sh
. bench/common.sh
bench_geoip
export IPSCOPE_CONFIG=/dev/null IPSCOPE_TZ=UTC NO_COLOR=1 IPSCOPE_GEOIP="$GEOIP"

# The cluster, with `ipscope_one` defined (a server started by an older script lacks it).
CH=scripts/clickhouse-cluster.sh
"$CH" start > /dev/null
q() { curl -sS --fail-with-body "http://127.0.0.1:$1/" --data-binary "$2"; }
if [ "$(q 18123 "SELECT count() FROM system.clusters WHERE cluster = 'ipscope_one'")" = 0 ]; then
  "$CH" stop > /dev/null && "$CH" start > /dev/null
fi
server_cpu() { # user+system seconds of both servers so far
  local t=0 p
  for p in /var/tmp/ipscope-clickhouse/shard{1,2}/pid; do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$(cat "$p")/stat")))
  done
  echo "scale=2; $t / $(getconf CLK_TCK)" | bc -l
}

OUT="$WORK/results-clickhouse.md"
: > "$OUT"
md() { echo "$*" | tee -a "$OUT"; }
mib() { echo "scale=1; $1 / 1048576" | bc -l; }
md "# ipscope on ClickHouse: embedded vs one server vs 2 shards"
md ""
md "- date: $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
md "- machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; ClickHouse $(q 18123 'SELECT version()') (2 servers on this machine, max_threads 2 each); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
md "- reproduce: \`bench/cluster.sh $*\`"
md ""

declare -A URL=([one]="clickhouse://127.0.0.1:18123/bench_one?cluster=ipscope_one" [two]="clickhouse://127.0.0.1:18123/bench_two?cluster=ipscope")
store_args() { # store n -> the ipscope flags naming it (a data dir of its own for each store)
  case "$1" in
    embedded) echo "--data $WORK/store-cluster-bench-$2" ;;
    *) echo "--data $WORK/store-cluster-bench-$2-$1 --store ${URL[$1]}" ;;
  esac
}
drop() {
  case "$1" in
    embedded) rm -rf "$WORK/store-cluster-bench-$2" ;;
    *) rm -rf "$WORK/store-cluster-bench-$2-$1" ;;
  esac
  case "$1" in
    one) q 18123 "DROP DATABASE IF EXISTS bench_one" ;;
    two) q 18123 "DROP DATABASE IF EXISTS bench_two"; q 18124 "DROP DATABASE IF EXISTS bench_two" ;;
  esac
}
size() { # store n -> bytes
  case "$1" in
    embedded) stat -c %s "$WORK/store-cluster-bench-$2/ipscope.duckdb" ;;
    one) q 18123 "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench_one' AND active" ;;
    two) echo $(( $(q 18123 "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench_two' AND active") \
                 + $(q 18124 "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench_two' AND active") )) ;;
  esac
}
timed() {
  local s e
  s=$(date +%s.%N)
  # shellcheck disable=SC2046
  if timeout 900 "$BIN" $(store_args "$1" "$2") "${@:3}" -o csv > /dev/null 2> "$WORK/report.err"; then
    e=$(date +%s.%N); printf %.2f "$(echo "$e - $s" | bc -l)"
  else
    echo "fail: $(head -c 120 "$WORK/report.err" | tr '\n|' '  ')"
  fi
}

STORES=(embedded one two)
for n in "${SIZES[@]}"; do
  log=$(generate sshd3339 "$n")
  lb=$(stat -c %s "$log")
  md "## $n sshd lines ($(mib "$lb") MiB), enrichment on"
  md ""
  md "| store | events | wall s | lines/s | events/s | ipscope CPU s | ClickHouse CPU s | peak RSS MiB | store MiB | store/log |"
  md "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for st in "${STORES[@]}"; do
    drop "$st" "$n" > /dev/null
    c0=$(server_cpu); s=$(date +%s.%N)
    # shellcheck disable=SC2046
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$BIN" $(store_args "$st" "$n") ingest --no-progress --format sshd "$log" 2> "$WORK/ingest.err"
    e=$(date +%s.%N); c1=$(server_cpu)
    read -r u sy rss < "$WORK/time"
    wall=$(echo "$e - $s" | bc -l)
    # shellcheck disable=SC2046
    ev=$("$BIN" $(store_args "$st" "$n") sql "SELECT count(*) FROM events" -o csv --no-header)
    sb=$(size "$st" "$n")
    md "| $st | $ev | $(printf %.1f "$wall") | $(printf %.0f "$(echo "$n / $wall" | bc -l)") | $(printf %.0f "$(echo "$ev / $wall" | bc -l)") | $(echo "$u + $sy" | bc -l) | $(echo "$c1 - $c0" | bc -l) | $((rss / 1024)) | $(mib "$sb") | $(printf %.1f "$(echo "100 * $sb / $lb" | bc -l)") % |"
  done
  md ""
  md "Reports, warm (second run), whole process, seconds:"
  md ""
  md "| report | embedded | embedded --no-rollups | one server | 2 shards |"
  md "|---|---:|---:|---:|---:|"
  while read -r name _; do
    report_args "$name"; args=("${ARGS[@]}")
    row="| $name"
    for st in embedded raw one two; do
      s2=$st; extra=()
      [ "$st" = raw ] && { s2=embedded; extra=(--no-rollups); }
      timed "$s2" "$n" "${args[@]}" "${extra[@]}" > /dev/null
      row="$row | $(timed "$s2" "$n" "${args[@]}" "${extra[@]}")"
    done
    md "$row |"
  done < <(if [ -n "${REPORTS:-}" ]; then printf '%s\n' $REPORTS; else "$BIN" reports | tail -n +2; fi)
  md ""
  for st in "${STORES[@]}"; do drop "$st" "$n" > /dev/null; done
done

cp "$OUT" bench/RESULTS-clickhouse.md
echo "written: bench/RESULTS-clickhouse.md" >&2
