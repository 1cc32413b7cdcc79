#!/usr/bin/env bash
# The daemon's numbers (never pass/fail), into bench/RESULTS-serve.md:
#
#   bench/serve.sh [LINES=10000000] [--long SECONDS=300]
#
# 1. follow lag from append to queryable at 1 k, 10 k and 50 k lines/s, syslog UDP messages/s
#    stored with zero loss on loopback, daemon RSS over a long follow at 20 k lines/s
#    (crates/ipscope-bench/examples/serve.rs);
# 2. API report latency on a store of LINES generated sshd lines: every report through
#    `curl /api/report/NAME` (warm, median of 3) and through `ipscope report` with the daemon
#    running, beside `ipscope report` on the file without the daemon;
# 3. the dashboard on that store: first paint, full load, page weight, live-update latency
#    (bench/dashboard.mjs in headless Chromium).
# Scratch: WORK=/var/tmp/ipscope-bench. Build: CARGO_TARGET_DIR (default /var/tmp/ipscope-target).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=10000000
LONG=300
while [ $# -gt 0 ]; do
  case "$1" in
    --long) LONG="$2"; shift ;;
    *) LINES="${1//_/}" ;;
  esac
  shift
done
# shellcheck source=bench/common.sh
. bench/common.sh
export IPSCOPE_CONFIG=/dev/null IPSCOPE_TZ=UTC NO_COLOR=1 IPSCOPE_GEOIP="$WORK"
OUT=bench/RESULTS-serve.md
{
  echo "# ipscope serve: benchmark results"
  echo
  echo "- date: $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- reproduce: \`bench/serve.sh $LINES --long $LONG\`"
  echo
  "$CARGO_TARGET_DIR/release/examples/serve" "$BIN" "$WORK/serve" --long "$LONG"
  echo
} > "$OUT.tmp"

# API report latency on a big store.
log=$(generate sshd3339 "$LINES")
data="$WORK/serve-store-$LINES"
if [ ! -s "$data/ipscope.duckdb" ]; then
  rm -rf "$data"
  "$BIN" --data "$data" ingest --no-progress --no-enrich "$log" 2> /dev/null
fi
ev=$("$BIN" --data "$data" sql "SELECT count(*) FROM events" -o csv --no-header)
secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
{
  echo "### Report latency on $ev events ($LINES sshd lines), warm, median of 3 (seconds)"
  echo
  echo "| report | ipscope report, no daemon | curl /api/report | ipscope report through the daemon |"
  echo "|---|---:|---:|---:|"
} >> "$OUT.tmp"
names=$("$BIN" reports | tail -n +2 | cut -f1)
declare -A plain
for name in $names; do
  extra=(); case "$name" in top-asns) extra=(--taxonomy intrusion-attempts) ;; asn-trend) extra=(--asn 14061) ;; esac
  "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv > /dev/null
  plain[$name]=$(median3 "$(secs "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv)" \
    "$(secs "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv)" "$(secs "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv)")
done
"$BIN" --data "$data" serve --listen 127.0.0.1:0 --no-enrich --syslog-udp 127.0.0.1:0 2> /dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$data/ipscope.serve" ] && break; sleep 0.1; done
url=$(sed -n 's/.*"url": "\(.*\)".*/\1/p' "$data/ipscope.serve")
for name in $names; do
  q=""; extra=(); case "$name" in top-asns) q="?taxonomy=intrusion-attempts"; extra=(--taxonomy intrusion-attempts) ;; asn-trend) q="?asn=14061"; extra=(--asn 14061) ;; esac
  curl -sf "$url/api/report/$name$q" > /dev/null
  api=$(median3 "$(secs curl -sf "$url/api/report/$name$q")" "$(secs curl -sf "$url/api/report/$name$q")" "$(secs curl -sf "$url/api/report/$name$q")")
  via=$(median3 "$(secs "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv)" \
    "$(secs "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv)" "$(secs "$BIN" --data "$data" report "$name" "${extra[@]}" -o csv)")
  printf '| %s | %.3f | %.3f | %.3f |\n' "$name" "${plain[$name]}" "$api" "$via" >> "$OUT.tmp"
done
# The dashboard on the same store, in Debian's headless Chromium.
scripts/test-deps.sh browser
udp=$(sed -n 's/.*"syslog_udp": "\(.*\)".*/\1/p' "$data/ipscope.serve")
{
  echo
  echo "### Dashboard on $ev events (headless Chromium, median of 3 loads)"
  echo
  echo "| | |"
  echo "|---|---:|"
  node bench/dashboard.mjs "$url" "$udp"
} >> "$OUT.tmp"
kill -TERM "$pid"; wait "$pid" || true
mv "$OUT.tmp" "$OUT"
cat "$OUT"
