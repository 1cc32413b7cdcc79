#!/usr/bin/env bash
# Line coverage of each fuzz target's corpus over the code it is there to test: builds the
# targets with coverage instrumentation (cargo fuzz coverage), replays fuzz/corpus/TARGET, and
# prints llvm-cov's line and region coverage of that target's own source files (the sshd target:
# sshd.rs, sshd/, syslog.rs, clock.rs; ...). Run after fuzz/run.sh has grown the corpora.
# Needs the nightly llvm-tools (`rustup component add llvm-tools-preview --toolchain nightly`).
# Usage: fuzz/coverage.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
export PATH="${IPSCOPE_TOOLS:-/var/tmp/ipscope-tools}/bin:$PATH"
export CARGO_TARGET_DIR="${IPSCOPE_FUZZ_TARGET:-/var/tmp/ipscope-fuzz-target}"
llvm_cov=$(ls "$(rustc +nightly --print sysroot)"/lib/rustlib/*/bin/llvm-cov)
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')

# The source files each target is meant to exercise (regular expressions on the path).
sources() {
  local f=crates/ipscope-formats/src
  case "$1" in
    sshd) echo "$f/(sshd(\\.rs|/)|syslog\\.rs|clock\\.rs)" ;;
    iptracking) echo "$f/(iptracking\\.rs|clock\\.rs)" ;;
    cowrie) echo "$f/cowrie(\\.rs|/)" ;;
    zeek_conn) echo "$f/zeek_conn(\\.rs|/)" ;;
    asa) echo "$f/asa(\\.rs|/)" ;;
    intelmq) echo "$f/intelmq(\\.rs|/fields\\.rs)" ;;
    shadowserver) echo "$f/intelmq/(shadowserver|fields)\\.rs" ;;
    detect) echo "$f/detect\\.rs" ;;
    syslog_framing) echo "$f/syslog/framing\\.rs" ;;
    config) echo "crates/ipscope-config/src/lib\\.rs" ;;
    args) echo "crates/ipscope-config/src/args\\.rs|$f/clock\\.rs" ;;
  esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
printf '%-16s %8s %8s %s\n' target lines regions files
for t in "${targets[@]}"; do
  cargo +nightly fuzz coverage "$t" "corpus/$t" > "logs/coverage-$t.log" 2>&1 || { tail "logs/coverage-$t.log" >&2; exit 1; }
  bin="target/$triple/coverage/$triple/release/$t"  # where cargo fuzz coverage builds, whatever CARGO_TARGET_DIR says
  "$llvm_cov" export -summary-only "$bin" --instr-profile="coverage/$t/coverage.profdata" 2>/dev/null \
    | python3 -c '
import json, re, sys
t, pattern = sys.argv[1], re.compile(sys.argv[2])
files = [f for f in json.load(sys.stdin)["data"][0]["files"]
         if pattern.search(f["filename"]) and not re.search(r"/tests(\.rs|/)", f["filename"])]
if not files:
    sys.exit(f"{t}: no source files matched")
def pct(kind):
    n = sum(f["summary"][kind]["count"] for f in files)
    c = sum(f["summary"][kind]["covered"] for f in files)
    return f"{100 * c / max(n, 1):.1f}%"
lines, regions = pct("lines"), pct("regions")
print(f"{t:<16} {lines:>8} {regions:>8} {len(files)}")
' "$t" "$(sources "$t")"
done
