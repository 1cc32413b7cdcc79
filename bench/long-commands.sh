#!/usr/bin/env bash
# Cowrie lines with long pasted commands (README, "Known problems"): time and peak RSS of one
# ingest of N lines whose `input` is LEN random base64 characters. Numbers only, never pass/fail.
#
#   bench/long-commands.sh [N=75000] [LEN=8000]
#
# The lines are ordinary `cowrie.command.input` events (one address and session each); the file
# goes to $WORK (default /var/tmp/ipscope-bench), the store to a fresh directory there.
set -euo pipefail
N=${1:-75000}
LEN=${2:-8000}
WORK=${WORK:-/var/tmp/ipscope-bench}
TARGET=${CARGO_TARGET_DIR:-/var/tmp/ipscope-target}
cd "$(dirname "$0")/.."
CARGO_TARGET_DIR=$TARGET cargo build --release --workspace --locked >&2
mkdir -p "$WORK"
LOG=$WORK/long-commands-$N-$LEN.json
if [ ! -s "$LOG" ]; then
    python3 - "$N" "$LEN" > "$LOG" <<'PY'
import random, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(7)
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
for i in range(n):
    payload = "".join(rnd.choice(alphabet) for _ in range(size))
    print('{"session":"%012x","protocol":"ssh","src_ip":"203.0.%d.%d","src_port":1234,'
          '"dst_ip":"10.0.0.22","dst_port":2222,"input":"echo %s | base64 -d | sh",'
          '"eventid":"cowrie.command.input","sensor":"s1",'
          '"timestamp":"2026-03-02T%02d:%02d:%02d.000000Z","message":"CMD"}'
          % (i, i // 250 % 250, i % 250, payload, i // 3600 % 24, i // 60 % 60, i % 60))
PY
fi
DATA=$WORK/long-commands-store
rm -rf "$DATA"
echo "$(stat -c %s "$LOG") bytes, $N lines of $LEN-byte commands"
IPSCOPE_CONFIG=/dev/null /usr/bin/time -f "wall %e s, peak RSS %M KiB" \
    "$TARGET/release/ipscope" --data "$DATA" ingest --no-progress --format cowrie "$LOG" 2>&1 | grep -E "^total|^error|peak RSS"
rm -rf "$DATA"
