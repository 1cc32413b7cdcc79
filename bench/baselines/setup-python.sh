#!/usr/bin/env bash
# Idempotent: a Python venv for the baselines with the packages they import.
#   bench/baselines/setup-python.sh [VENV=/var/tmp/ipscope-bench/venv]
# Prints the venv's python path on stdout.
#   maxminddb   reads .mmdb files (the honeypot loader's GeoIP/ASN lookups; its C extension)
#   mmdb-writer builds an ASN .mmdb from the ip-location-db ASN CSV (bench/fetch-mmdb.sh),
#               because the registry has no ASN .mmdb package
set -euo pipefail
VENV="${1:-${IPSCOPE_BENCH_VENV:-/var/tmp/ipscope-bench/venv}}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c 'import maxminddb, mmdb_writer, netaddr' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check maxminddb mmdb-writer netaddr >&2
fi
"$VENV/bin/python" -c 'import maxminddb, sys; sys.stderr.write("maxminddb %s (extension: %s)\n" % (maxminddb.__version__, maxminddb.MODE_AUTO))' >&2 || true
echo "$VENV/bin/python"
