#!/usr/bin/env python3
"""Stand-in Cowrie input until the generator has a Cowrie mode: repeat the real Cowrie corpus
(shared/corpus/cowrie/*/…, JSON lines only) to LINES lines, re-addressing each pass so the
addresses and sessions vary.

Pass k rewrites, in the raw text (field order and formatting stay Cowrie's own):
  - every source address of the corpus -> a public IPv4 address drawn once per (k mod POOL_PASSES,
    original address) from a seeded RNG (so attackers recur across passes, as they do);
  - every session id -> a new 12-hex-digit id unique to (k, session);
  - every timestamp -> shifted by k hours.

    make_cowrie.py LINES [SEED=1] [CORPUS_DIR=/work/shared/corpus/cowrie] > cowrie.json
"""
import glob
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

POOL_PASSES = 200  # distinct address mappings; later passes reuse them (returning attackers)


def public_ipv4(rng: random.Random) -> str:
    while True:
        a = rng.randrange(1, 224)
        if a in (10, 127, 0, 100, 169, 172, 192, 198, 203):  # skip private/reserved-ish first octets
            continue
        return f"{a}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def main() -> None:
    lines = int(sys.argv[1].replace("_", ""))
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    corpus = sys.argv[3] if len(sys.argv) > 3 else os.environ.get("IPSCOPE_COWRIE_CORPUS", "/work/shared/corpus/cowrie")
    templates = []  # (raw line, src_ip or None, session or None, timestamp or None)
    for path in sorted(glob.glob(os.path.join(corpus, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                raw = raw.rstrip("\n")
                if not raw.startswith("{"):
                    continue
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if not str(rec.get("eventid", "")).startswith("cowrie."):
                    continue
                templates.append((raw, rec.get("src_ip"), rec.get("session"), rec.get("timestamp")))
    if not templates:
        sys.exit(f"no Cowrie JSON lines under {corpus}")
    rng = random.Random(seed)
    addrs = sorted({t[1] for t in templates if t[1]})
    pools = [{a: public_ipv4(rng) for a in addrs} for _ in range(POOL_PASSES)]
    sessions = sorted({t[2] for t in templates if t[2]})
    sess_index = {s: i for i, s in enumerate(sessions)}
    out = sys.stdout
    buf = []
    written = 0
    k = 0
    while written < lines:
        pool = pools[k % POOL_PASSES]
        shift = timedelta(hours=k)
        for raw, ip, sess, ts in templates:
            if written >= lines:
                break
            line = raw
            if ip:
                line = line.replace(ip, pool[ip])
            if sess:
                line = line.replace(sess, f"{(k * len(sessions) + sess_index[sess]) & 0xFFFFFFFFFFFF:012x}")
            if ts:
                try:
                    t = datetime.fromisoformat(ts.replace("Z", "+00:00")) + shift
                    line = line.replace(ts, t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
                except ValueError:
                    pass
            buf.append(line)
            written += 1
            if len(buf) >= 10000:
                out.write("\n".join(buf) + "\n")
                buf.clear()
        k += 1
    if buf:
        out.write("\n".join(buf) + "\n")
    sys.stderr.write(f"{written} Cowrie lines from {len(templates)} corpus lines ({k} passes)\n")


if __name__ == "__main__":
    main()
