#!/usr/bin/env bash
# Refreshes the vendored uPlot (the dashboard's only JavaScript library, ~50 KB, MIT) from the npm
# registry: scripts/vendor-uplot.sh [VERSION]. The files are embedded in the binary (no request
# leaves the dashboard); commit them with the version in the message.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-$(npm view uplot version)}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$version" > /dev/null && tar xzf uplot-*.tgz)
dest=crates/ipscope/src/dashboard/vendor
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$dest/"
cp "$tmp/package/LICENSE" "$dest/LICENSE-uPlot"
echo "uplot $version" > "$dest/VERSION"
echo "vendored uPlot $version into $dest"
