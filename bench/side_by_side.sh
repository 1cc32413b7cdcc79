#!/usr/bin/env bash
# Side by side, on the same input in the same run:
#  (a) Cowrie JSON: the Python + SQLite loader with MaxMind lookups (baselines/cowrie_sqlite.py)
#      vs `ipscope ingest --format cowrie` — lines/s, peak RSS, output size;
#  (b) iptracking export: PostgreSQL inet_log (baselines/pg_inet_log.sh: COPY + indexes +
#      ANALYZE, then the reports in SQL) vs `ipscope ingest --format iptracking` + `ipscope report
#      daily|top-ips|top-users|low-success|low-success --by user|open-sessions` — load time and
#      size, each report cold (first run) and warm (best of 3), and whether the results agree
#      (ipscope's `-o csv` vs PostgreSQL's CSV, normalised by baselines/compare_csv.py).
#
#   bench/side_by_side.sh [LINES=1000000] [cowrie|iptracking|all]
#
# Environment:
#   WORK=/var/tmp/ipscope-bench         scratch (inputs, stores, outputs; never in the repo)
#   IPSCOPE_BIN=/var/tmp/base-ipscope   the ipscope binary (default: that copy if present, else
#                                       /var/tmp/ipscope-target/release/ipscope)
#   GEN=.../examples/generate           the generator (default: built with cargo into
#                                       /var/tmp/wt-base-target when missing)
#   MMDB_DIR=/var/tmp/ipscope-bench/mmdb  where bench/fetch-mmdb.sh puts the databases
#   MMDB_CITY=dbip|geolite2             which city database both tools use (default dbip)
#   IPSCOPE_GEOIP_FLAGS='--geoip DIR'   ipscope's enrichment flag; empty (default) = ipscope
#                                       ingests without GeoIP, and the Python loader is then also
#                                       run without lookups for an equal comparison. Use
#                                       IPSCOPE_GEOIP_FLAGS=auto for `--geoip $WORK/mmdb-use`
#                                       (a directory holding exactly the .mmdb files Python uses).
#   HOME_NETS=10.0.0.0/8,192.168.0.0/16 home networks for open-sessions / low-success --by user
#   PG_PORT=54329
#
# Prints a readable summary on stdout; machine-readable JSON lines (one per measurement) go to
# $WORK/side-by-side-LINES[-PART].jsonl (path printed at the end), for bench/RESULTS.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
LINES="${1:-1000000}"
PART="${2:-all}"
WORK="${WORK:-/var/tmp/ipscope-bench}"
MMDB_DIR="${MMDB_DIR:-$WORK/mmdb}"
MMDB_CITY="${MMDB_CITY:-dbip}"
HOME_NETS="${HOME_NETS:-10.0.0.0/8,192.168.0.0/16}"
PG_PORT="${PG_PORT:-54329}"
IPSCOPE_GEOIP_FLAGS="${IPSCOPE_GEOIP_FLAGS:-}"
if [ -z "${IPSCOPE_BIN:-}" ]; then
  if [ -x /var/tmp/base-ipscope ]; then IPSCOPE_BIN=/var/tmp/base-ipscope; else IPSCOPE_BIN=/var/tmp/ipscope-target/release/ipscope; fi
fi
if [ -z "${GEN:-}" ]; then
  GEN=/var/tmp/wt-base-target/release/examples/generate
  if [ ! -x "$GEN" ]; then
    (cd "$REPO" && CARGO_TARGET_DIR=/var/tmp/wt-base-target cargo build --release --quiet -p ipscope-gen --example generate)
  fi
fi
command -v /usr/bin/time >/dev/null 2>&1 || [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; } >&2
command -v bc >/dev/null || { apt-get update -qq && apt-get install -y -qq bc; } >&2
mkdir -p "$WORK"
RUN="$WORK/sbs-$LINES"
mkdir -p "$RUN"
JSONL="$WORK/side-by-side-$LINES$([ "$PART" = all ] || echo "-$PART").jsonl"
: > "$JSONL"
export IPSCOPE_CONFIG=/dev/null IPSCOPE_TZ=UTC NO_COLOR=1
unset IPSCOPE_DATA

emit() { echo "$1" >> "$JSONL"; }
now() { date +%s.%N; }
# Before each timed load: the previous tool's written data flushed to disk, so its write-back does
# not land in the next tool's time (ipscope's iptracking load right after PostgreSQL's took 1.82 s
# against 1.40 s alone: its commit's fsync waited behind the flush).
settle() { sync; sleep 1; }
fsecs() { printf '%.3f' "$(echo "$2 - $1" | bc -l)"; }
ratio() { if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo "-"; fi; }
rss_kib() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
mib() { printf '%.1f' "$(echo "$1 / 1048576" | bc -l)"; }

echo "# ipscope side by side, $LINES lines"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); ipscope: $IPSCOPE_BIN ($("$IPSCOPE_BIN" --version)), branch commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine makes every number noisier)"
emit "$(printf '{"run":"side-by-side","lines":%s,"cores":%s,"mem_gib":%s,"ipscope":"%s","date":"%s","loadavg_start":"%s"}' \
  "$LINES" "$(nproc)" "$(free -g | awk '/Mem:/{print $2}')" "$("$IPSCOPE_BIN" --version)" "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)")"

# ---------------------------------------------------------------- (a) Cowrie: Python+SQLite vs ipscope
if [ "$PART" = all ] || [ "$PART" = cowrie ]; then
  PY="$("$HERE/baselines/setup-python.sh" 2>/dev/null)"
  "$HERE/fetch-mmdb.sh" "$MMDB_DIR" >/dev/null
  USE="$WORK/mmdb-use"   # exactly the databases both tools get
  rm -rf "$USE"; mkdir -p "$USE"
  ln -s "$MMDB_DIR/$MMDB_CITY-city-ipv4.mmdb" "$MMDB_DIR/$MMDB_CITY-city-ipv6.mmdb" "$MMDB_DIR/asn.mmdb" "$USE/"
  [ "$IPSCOPE_GEOIP_FLAGS" = auto ] && IPSCOPE_GEOIP_FLAGS="--geoip $USE"

  COWRIE="$WORK/cowrie-$LINES.json"
  if [ ! -s "$COWRIE" ]; then
    # The generator's Cowrie mode when it has one (first line is Cowrie JSON), else the corpus
    # repeated and re-addressed (baselines/make_cowrie.py).
    if "$GEN" cowrie 5 1 1 2>/dev/null | head -1 | grep -q '"eventid"'; then
      echo "generating $LINES Cowrie lines (generator)" >&2
      "$GEN" cowrie "$LINES" 42 30 > "$COWRIE.tmp" 2>/dev/null
      src=generator
    else
      echo "making $LINES Cowrie lines from the corpus (make_cowrie.py)" >&2
      python3 "$HERE/baselines/make_cowrie.py" "$LINES" 42 > "$COWRIE.tmp"
      src=corpus-repeated
    fi
    mv "$COWRIE.tmp" "$COWRIE"
    echo "$src" > "$COWRIE.src"
  fi
  cbytes=$(stat -c %s "$COWRIE")
  echo
  echo "## (a) Cowrie JSON: $LINES lines, $(mib "$cbytes") MiB ($(cat "$COWRIE.src" 2>/dev/null || echo '?')), city db: $MMDB_CITY + asn.mmdb"
  cat "$COWRIE" > /dev/null   # both read it from the page cache

  py_run() { # label, extra args
    local label="$1"; shift
    local db="$RUN/cowrie.sqlite" t0 t1 out
    settle
    t0=$(now)
    out=$(/usr/bin/time -v -o "$RUN/time-$label" "$PY" "$HERE/baselines/cowrie_sqlite.py" --db "$db" "$@" "$COWRIE")
    t1=$(now)
    local s; s=$(fsecs "$t0" "$t1")
    local rows; rows=$(echo "$out" | jq .rows)
    local dbb; dbb=$(echo "$out" | jq .db_bytes)
    local rss; rss=$(rss_kib "$RUN/time-$label")
    emit "$(printf '{"part":"cowrie","tool":"%s","lines":%s,"rows":%s,"seconds":%s,"lines_per_s":%.0f,"db_bytes":%s,"peak_rss_kib":%s,"inner":%s}' \
      "$label" "$LINES" "$rows" "$s" "$(echo "$LINES / $s" | bc -l)" "$dbb" "$rss" "$out")"
    printf '%-26s %9s s %12.0f lines/s %9s rows %9s MiB out %8s MiB RSS\n' "$label" "$s" "$(echo "$LINES / $s" | bc -l)" "$rows" "$(mib "$dbb")" "$(( rss / 1024 ))"
    echo "$s"  > "$RUN/secs-$label"
    rm -f "$db"
  }
  ips_run() { # label, extra flags
    local label="$1"; shift
    local data="$RUN/ipscope-cowrie" t0 t1
    rm -rf "$data"
    settle
    t0=$(now)
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$RUN/time-$label" "$IPSCOPE_BIN" ingest --data "$data" --no-progress --format cowrie "$@" "$COWRIE" 2> "$RUN/$label.err"
    t1=$(now)
    local s; s=$(fsecs "$t0" "$t1")
    local events; events=$("$IPSCOPE_BIN" sql --data "$data" "SELECT count(*) FROM events" -o csv --no-header)
    local dbb; dbb=$(du -cb "$data"/ipscope.duckdb* | tail -1 | cut -f1)
    local rss; rss=$(rss_kib "$RUN/time-$label")
    emit "$(printf '{"part":"cowrie","tool":"%s","lines":%s,"events":%s,"seconds":%s,"lines_per_s":%.0f,"db_bytes":%s,"peak_rss_kib":%s,"flags":"%s"}' \
      "$label" "$LINES" "$events" "$s" "$(echo "$LINES / $s" | bc -l)" "$dbb" "$rss" "$*")"
    printf '%-26s %9s s %12.0f lines/s %9s evts %9s MiB out %8s MiB RSS\n' "$label" "$s" "$(echo "$LINES / $s" | bc -l)" "$events" "$(mib "$dbb")" "$(( rss / 1024 ))"
    echo "$s" > "$RUN/secs-$label"
  }
  printf '%-26s %11s %20s %14s %13s %12s\n' tool seconds throughput rows/events output peak
  py_run python-sqlite-geoip --city-db "$USE/$MMDB_CITY-city-ipv4.mmdb" --city-db "$USE/$MMDB_CITY-city-ipv6.mmdb" --asn-db "$USE/asn.mmdb"
  if [ -z "$IPSCOPE_GEOIP_FLAGS" ]; then
    py_run python-sqlite-nogeo
    # shellcheck disable=SC2086
    ips_run ipscope-nogeo
    p=$(cat "$RUN/secs-python-sqlite-nogeo"); i=$(cat "$RUN/secs-ipscope-nogeo"); pg=$(cat "$RUN/secs-python-sqlite-geoip")
    echo "ipscope (no GeoIP) is $(ratio "$p" "$i")x the Python loader without lookups, $(ratio "$pg" "$i")x the Python loader with lookups (lines/s)"
    emit "$(printf '{"part":"cowrie","ratio":"ipscope-nogeo/python-sqlite-nogeo","value":%s}' "$(ratio "$p" "$i")")"
    emit "$(printf '{"part":"cowrie","ratio":"ipscope-nogeo/python-sqlite-geoip","value":%s}' "$(ratio "$pg" "$i")")"
  else
    # shellcheck disable=SC2086
    ips_run ipscope-geoip $IPSCOPE_GEOIP_FLAGS
    p=$(cat "$RUN/secs-python-sqlite-geoip"); i=$(cat "$RUN/secs-ipscope-geoip")
    echo "ipscope (GeoIP: $IPSCOPE_GEOIP_FLAGS) is $(ratio "$p" "$i")x the Python loader with lookups (lines/s)"
    emit "$(printf '{"part":"cowrie","ratio":"ipscope-geoip/python-sqlite-geoip","value":%s}' "$(ratio "$p" "$i")")"
  fi
fi

# ---------------------------------------------------------------- (b) iptracking: PostgreSQL vs ipscope
if [ "$PART" = all ] || [ "$PART" = iptracking ]; then
  IPT="$WORK/iptracking-$LINES.txt"
  if [ ! -s "$IPT" ]; then
    echo "generating $LINES iptracking lines" >&2
    "$GEN" iptracking "$LINES" 42 30 > "$IPT.tmp" 2>/dev/null
    mv "$IPT.tmp" "$IPT"
  fi
  ibytes=$(stat -c %s "$IPT")
  echo
  echo "## (b) iptracking export: $LINES lines, $(mib "$ibytes") MiB; home networks $HOME_NETS"
  cat "$IPT" > /dev/null
  PGOUT="$RUN/pg"; IPSOUT="$RUN/ipscope"
  rm -rf "$PGOUT" "$IPSOUT"; mkdir -p "$PGOUT" "$IPSOUT"

  # PostgreSQL: load + reports (its own timing), server stopped at the end.
  settle
  /usr/bin/time -v -o "$RUN/time-pg-script" "$HERE/baselines/pg_inet_log.sh" --out "$PGOUT" --port "$PG_PORT" \
      --home "$HOME_NETS" --tz UTC "$IPT" > "$RUN/pg.jsonl" 2> "$RUN/pg.err" \
    || { cat "$RUN/pg.err" >&2; exit 1; }
  while read -r l; do emit "$(echo "$l" | jq -c '. + {part:"iptracking"}')"; done < "$RUN/pg.jsonl"
  pg_load_s=$(jq -r 'select(.step=="load") | .seconds' "$RUN/pg.jsonl")
  pg_bytes=$(jq -r 'select(.step=="load") | .bytes' "$RUN/pg.jsonl")
  pg_rows=$(jq -r 'select(.step=="load") | .rows' "$RUN/pg.jsonl")
  pg_copy_s=$(jq -r 'select(.step=="load") | .copy_s' "$RUN/pg.jsonl")
  pg_index_s=$(jq -r 'select(.step=="load") | .index_s' "$RUN/pg.jsonl")
  pg_analyze_s=$(jq -r 'select(.step=="load") | .analyze_s' "$RUN/pg.jsonl")

  # ipscope: ingest, then every report cold (first run) and warm (best of 3), whole process runs.
  DATA="$RUN/ipscope-iptracking"
  rm -rf "$DATA"
  settle
  t0=$(now)
  /usr/bin/time -v -o "$RUN/time-ipscope-ipt" "$IPSCOPE_BIN" ingest --data "$DATA" --no-progress --format iptracking --tz UTC "$IPT" 2> "$RUN/ipscope-ipt.err"
  t1=$(now)
  ips_load_s=$(fsecs "$t0" "$t1")
  ips_bytes=$(du -cb "$DATA"/ipscope.duckdb* | tail -1 | cut -f1)
  ips_rss=$(rss_kib "$RUN/time-ipscope-ipt")
  ips_events=$("$IPSCOPE_BIN" sql --data "$DATA" "SELECT count(*) FROM events" -o csv --no-header)
  emit "$(printf '{"part":"iptracking","tool":"ipscope","step":"load","rows":%s,"seconds":%s,"bytes":%s,"peak_rss_kib":%s}' "$ips_events" "$ips_load_s" "$ips_bytes" "$ips_rss")"

  printf '%-20s %10s %14s %12s %12s\n' load seconds lines/s rows size
  printf '%-20s %10s %14.0f %12s %8s MiB   (COPY %s s + indexes %s s + ANALYZE %s s; server RSS not counted)\n' postgresql "$pg_load_s" "$(echo "$LINES / $pg_load_s" | bc -l)" "$pg_rows" "$(mib "$pg_bytes")" "$pg_copy_s" "$pg_index_s" "$pg_analyze_s"
  printf '%-20s %10s %14.0f %12s %8s MiB   (peak RSS %s MiB)\n' ipscope "$ips_load_s" "$(echo "$LINES / $ips_load_s" | bc -l)" "$ips_events" "$(mib "$ips_bytes")" "$(( ips_rss / 1024 ))"
  echo "ipscope loads $(ratio "$pg_load_s" "$ips_load_s")x as fast; its store is $(ratio "$ips_bytes" "$pg_bytes")x PostgreSQL's table+indexes"
  emit "$(printf '{"part":"iptracking","ratio":"load pg/ipscope","value":%s}' "$(ratio "$pg_load_s" "$ips_load_s")")"
  emit "$(printf '{"part":"iptracking","ratio":"size ipscope/pg","value":%s}' "$(ratio "$ips_bytes" "$pg_bytes")")"

  ips_report() { # name, args... -> seconds; CSV into IPSOUT/name.csv
    local name="$1" s e; shift
    s=$(now)
    "$IPSCOPE_BIN" report --data "$DATA" "$@" --home "$HOME_NETS" -o csv --no-formula-guard > "$IPSOUT/$name.csv"
    e=$(now)
    fsecs "$s" "$e"
  }
  echo
  printf '%-18s %9s %9s %11s %11s %10s %10s  %s\n' report pg_cold pg_warm ipscope_cold ipscope_warm cold_ratio warm_ratio result
  agree_all=1
  for name in daily top-ips top-users low-success low-success-user open-sessions; do
    case "$name" in
      low-success) args=(low-success --by ip) ;;
      low-success-user) args=(low-success --by user) ;;
      *) args=("$name") ;;
    esac
    cold=$(ips_report "$name" "${args[@]}")
    warm=
    for _ in 1 2 3; do
      w=$(ips_report "$name" "${args[@]}")
      if [ -z "$warm" ] || [ "$(echo "$w < $warm" | bc -l)" = 1 ]; then warm=$w; fi
    done
    pc=$(jq -r --arg r "$name" 'select(.report==$r) | .cold_s' "$RUN/pg.jsonl")
    pw=$(jq -r --arg r "$name" 'select(.report==$r) | .warm_s' "$RUN/pg.jsonl")
    cmp=$(python3 "$HERE/baselines/compare_csv.py" "$name" "$IPSOUT/$name.csv" "$PGOUT/$name.csv")
    agree=$(echo "$cmp" | jq -r 'if .agree then "agree" else "DIFFER" end')
    [ "$agree" = agree ] || agree_all=0
    emit "$(printf '{"part":"iptracking","report":"%s","pg_cold_s":%s,"pg_warm_s":%s,"ipscope_cold_s":%s,"ipscope_warm_s":%s,"cold_ratio":%s,"warm_ratio":%s,"compare":%s}' \
      "$name" "$pc" "$pw" "$cold" "$warm" "$(ratio "$pc" "$cold")" "$(ratio "$pw" "$warm")" "$cmp")"
    printf '%-18s %9.3f %9.3f %11s %11s %9sx %9sx  %s %s\n' "$name" "$pc" "$pw" "$cold" "$warm" "$(ratio "$pc" "$cold")" "$(ratio "$pw" "$warm")" "$agree" "$(echo "$cmp" | jq -r '.detail')"
  done
  echo "(ratio = PostgreSQL time / ipscope time; > 1: ipscope is faster. Times are whole psql / ipscope process runs.)"
  [ "$agree_all" = 1 ] && echo "all reports agree" || echo "SOME REPORTS DIFFER: compare $IPSOUT/*.csv with $PGOUT/*.csv"
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
emit "$(printf '{"run":"side-by-side","end":"%s","loadavg_end":"%s"}' "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)")"
echo "machine-readable: $JSONL"
