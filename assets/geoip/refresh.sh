#!/usr/bin/env bash
# Refreshes the built-in country database (geo-whois-asn-country.mmdb, embedded in the binary as
# the lowest-priority GeoIP default) from the npm registry package
# @ip-location-db/geo-whois-asn-country-mmdb (IPv4 + IPv6 in one file), then prints its build
# date and size. Needs `npm`; writes only into this folder. Rebuild afterwards.
#
#   assets/geoip/refresh.sh [VERSION]      # default: the latest published version
set -euo pipefail
cd "$(dirname "$0")"
pkg="@ip-location-db/geo-whois-asn-country-mmdb${1:+@$1}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz)
src="$tmp/package/geo-whois-asn-country.mmdb"
[ -s "$src" ] || { echo "error: $pkg has no geo-whois-asn-country.mmdb" >&2; exit 1; }
# The MaxMind DB metadata marker must be there: refuse anything else.
grep -q $'\xab\xcd\xefMaxMind.com' "$src" || { echo "error: $src is not a MaxMind DB file" >&2; exit 1; }
cp "$src" geo-whois-asn-country.mmdb
version="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json")"
sed -i "s/^Version: .*/Version: $version/" LICENSE.md
echo "geo-whois-asn-country.mmdb: $pkg $version, $(stat -c %s geo-whois-asn-country.mmdb) bytes"
