#!/usr/bin/env bash
# Baseline: the iptracking approach — SSH events in a PostgreSQL table `inet_log` (inet
# addresses, ENUM event, timestamptz), loaded with COPY, indexed, ANALYZEd, and the report
# queries run on it (the SQL in pg/; each gives the same answers as ipscope's report of that name).
#
#   bench/baselines/pg_inet_log.sh [--out DIR] [--port 54329] [--root DIR] [--tz UTC]
#       [--home 10.0.0.0/8,192.168.0.0/16] [--top 20] [--ratio 0.05] [--keep] [--no-load] FILE
#
# Installs PostgreSQL from Debian packages when missing; initdb's a scratch cluster under
# ROOT/data (default /var/tmp/ipscope-bench/pg) as the `postgres` user, starts it on 127.0.0.1:PORT
# (trust auth, socket in ROOT), loads FILE (`dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date`),
# then restarts the server so that every report's first run is cold (empty shared buffers; the OS
# page cache is left as it is, as for ipscope's cold run), runs each report once (cold) and 3 more
# times (warm = the best), writes each result as CSV to OUT/REPORT.csv and stops the server
# (unless --keep). --no-load reuses the loaded table.
#
# Server settings (chosen for a fair bulk load and analytics on this 2-core / 24 GiB machine;
# fsync stays on): shared_buffers 1GB, work_mem 256MB, maintenance_work_mem 1GB,
# wal_level minimal (COPY into a table created in the same transaction skips the WAL),
# max_wal_size 8GB, default parallel query (2 workers per gather), C collation.
#
# Times are whole `psql` runs (connect, query, CSV out), as ipscope's are whole process runs.
# Output: JSON lines on stdout:
#   {"tool":"postgresql","step":"load","rows":..,"seconds":..,"copy_s":..,"index_s":..,"analyze_s":..,"bytes":..,"table_bytes":..,"index_bytes":..}
#   {"tool":"postgresql","report":"daily","cold_s":..,"warm_s":..,"rows":..}
# Progress and the server log location go to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT=/var/tmp/ipscope-bench/pg-out
PORT=54329
ROOT=/var/tmp/ipscope-bench/pg
TZ_IN=UTC
HOME_NETS=10.0.0.0/8,192.168.0.0/16
TOP=20
RATIO=0.05
KEEP=0
LOAD=1
REPORTS="daily top-ips top-users low-success low-success-user open-sessions"
FILE=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --root) ROOT="$2"; shift 2 ;;
    --tz) TZ_IN="$2"; shift 2 ;;
    --home) HOME_NETS="$2"; shift 2 ;;
    --top) TOP="$2"; shift 2 ;;
    --ratio) RATIO="$2"; shift 2 ;;
    --reports) REPORTS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-load) LOAD=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
    -*) echo "unknown flag $1" >&2; exit 2 ;;
    *) FILE="$1"; shift ;;
  esac
done
if [ "$LOAD" = 1 ] && [ -z "$FILE" ]; then echo "usage: $0 [flags] FILE (see --help)" >&2; exit 2; fi
[ -z "$FILE" ] || FILE="$(realpath "$FILE")"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pgbin)" ] || [ ! -x "$(pgbin)/postgres" ]; then
  echo "installing PostgreSQL (apt-get install -y postgresql)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(pgbin)"
AS_PG=(runuser -u postgres --)
DATA="$ROOT/data"
mkdir -p "$ROOT" "$OUT"
chown postgres: "$ROOT"
if [ ! -s "$DATA/PG_VERSION" ]; then
  echo "initdb $DATA" >&2
  "${AS_PG[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  cat >> "$DATA/postgresql.conf" <<CONF
# ipscope bench
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT'
shared_buffers = 1GB
work_mem = 256MB
maintenance_work_mem = 1GB
wal_level = minimal
max_wal_senders = 0
max_wal_size = 8GB
checkpoint_timeout = 30min
timezone = 'UTC'
log_timezone = 'UTC'
CONF
fi
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
started=0
start() {
  "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DATA" -o "-p $PORT" -l "$ROOT/server.log" -w start >/dev/null
  started=1
}
stop() {
  if [ "$started" = 1 ]; then
    "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
    started=0
  fi
}
cleanup() { [ "$KEEP" = 1 ] || stop; }
trap cleanup EXIT
if "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  echo "server already running; restarting it" >&2
  started=1; stop
fi
start
echo "postgres $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data $DATA, log $ROOT/server.log" >&2
"${PSQL[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'ipscope_bench'" | grep -q 1 \
  || "${PSQL[@]}" -d postgres -c "CREATE DATABASE ipscope_bench"
PSQL+=(-d ipscope_bench)

now() { date +%s.%N; }
secs() { printf '%.3f' "$(echo "$2 - $1" | bc -l)"; }

if [ "$LOAD" = 1 ]; then
  echo "loading $FILE" >&2
  t0=$(now)
  "${PSQL[@]}" -v file="$FILE" -v tz="$TZ_IN" -f "$HERE/pg/load.sql"
  t1=$(now)
  "${PSQL[@]}" -f "$HERE/pg/index.sql"
  t2=$(now)
  "${PSQL[@]}" -c "ANALYZE inet_log"
  t3=$(now)
  read -r rows total table < <("${PSQL[@]}" -tA -F ' ' -c \
    "SELECT (SELECT count(*) FROM inet_log), pg_total_relation_size('inet_log'), pg_table_size('inet_log')")
  printf '{"tool":"postgresql","step":"load","rows":%s,"seconds":%s,"copy_s":%s,"index_s":%s,"analyze_s":%s,"bytes":%s,"table_bytes":%s,"index_bytes":%s}\n' \
    "$rows" "$(secs "$t0" "$t3")" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t2" "$t3")" \
    "$total" "$table" "$((total - table))"
  # A checkpoint now, so that the restart below does not pay for the load's dirty pages.
  "${PSQL[@]}" -c "CHECKPOINT"
fi

# Cold: a fresh server (empty shared buffers) for the first run of every report.
stop; start
HOME_ARR="{${HOME_NETS}}"
run_report() { # name -> seconds; CSV into OUT/name.csv
  local s e
  s=$(now)
  "${PSQL[@]}" --csv -v top="$TOP" -v ratio="$RATIO" -v home="$HOME_ARR" -f "$HERE/pg/reports/$1.sql" > "$OUT/$1.csv"
  e=$(now)
  secs "$s" "$e"
}
for r in $REPORTS; do
  cold=$(run_report "$r")
  warm=
  for _ in 1 2 3; do
    w=$(run_report "$r")
    if [ -z "$warm" ] || [ "$(echo "$w < $warm" | bc -l)" = 1 ]; then warm=$w; fi
  done
  printf '{"tool":"postgresql","report":"%s","cold_s":%s,"warm_s":%s,"rows":%s}\n' \
    "$r" "$cold" "$warm" "$(( $(wc -l < "$OUT/$r.csv") - 1 ))"
done
if [ "$KEEP" = 1 ]; then
  echo "server kept running: psql -h 127.0.0.1 -p $PORT -U postgres ipscope_bench; stop: runuser -u postgres -- $BIN/pg_ctl -D $DATA stop" >&2
fi
