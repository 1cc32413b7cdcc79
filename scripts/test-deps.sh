#!/usr/bin/env bash
# Installs the real programs some tests need, from Debian's packages, when they are missing:
#   journal      systemd-journal-remote, which writes a real journal file for the journal source's test
#   openmetrics  Python's prometheus_client (PyPI), whose strict OpenMetrics parser reads /metrics
#   systemd      systemd-analyze, which verifies the packaged unit
#   browser      Debian's chromium, and playwright-core (npm, crates/ipscope/tests/browser) to drive it
#   mail         aiosmtpd (PyPI), a real SMTP server on loopback, and openssl for its certificate
#   firewall     ipset and nftables, which load the blocklist's output (in a network namespace of
#                the test's own: the machine's firewall is never touched)
#   dns          dnsmasq, a real DNS server on loopback for reverse lookups
#   export       pyarrow (PyPI), which reads the exported Parquet back
#   notebook     Python's duckdb >= 2.0 (PyPI), which runs the README's notebook example
# Tests call it themselves (so `cargo test` works on a fresh machine); .ci/run calls it once up front.
# Usage: scripts/test-deps.sh [journal]...   (no argument: all of them)
set -euo pipefail

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(journal openmetrics systemd browser mail firewall dns export notebook)
browser_dir=crates/ipscope/tests/browser
cd "$(dirname "$0")/.."

need=()
pip=()
for w in "${want[@]}"; do
  case "$w" in
    journal) [ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote) ;;
    openmetrics) python3 -c 'import prometheus_client' 2>/dev/null || pip+=(prometheus-client) ;;
    systemd) command -v systemd-analyze >/dev/null || need+=(systemd) ;;
    mail)
      python3 -c 'import aiosmtpd' 2>/dev/null || pip+=(aiosmtpd)
      command -v openssl >/dev/null || need+=(openssl)
      ;;
    firewall)
      command -v ipset >/dev/null || [ -x /usr/sbin/ipset ] || need+=(ipset)
      command -v nft >/dev/null || [ -x /usr/sbin/nft ] || need+=(nftables)
      ;;
    dns) command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base) ;;
    export) python3 -c 'import pyarrow' 2>/dev/null || pip+=(pyarrow) ;;
    notebook)
      python3 -c 'import duckdb, sys; sys.exit(int(duckdb.__version__.split(".")[0]) < 2)' 2>/dev/null ||
        pip+=('duckdb>=2.0')
      ;;
    browser)
      [ -x /usr/bin/chromium ] || need+=(chromium)
      command -v npm >/dev/null || need+=(npm)
      ;;
    *) echo "test-deps.sh: unknown dependency $w" >&2; exit 2 ;;
  esac
done
npm_ci() {
  # The browser driver: playwright-core from the npm registry, at the locked version, once.
  if [[ " ${want[*]} " == *" browser "* ]] && [ ! -d "$browser_dir/node_modules/playwright-core" ]; then
    (cd "$browser_dir" && npm ci --no-audit --no-fund --silent)
  fi
}
if [ ${#need[@]} -eq 0 ] && [ ${#pip[@]} -eq 0 ]; then
  exec 9>/tmp/ipscope-test-deps.lock
  flock 9
  npm_ci
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
# One installer at a time: tests run in parallel.
exec 9>/tmp/ipscope-test-deps.lock
flock 9
if [ ${#pip[@]} -gt 0 ]; then
  python3 -m pip install --quiet --disable-pip-version-check "${pip[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${pip[@]}"
fi
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update >/dev/null && "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
npm_ci
