#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the real logs in ../shared/corpus (never copied into the repo):
# every log cut into pieces of a few lines, in each target's input layout (parser targets: a
# 5-byte clock header, see src/lib.rs; formats with a header line — Zeek TSV's #fields,
# Shadowserver CSV — keep it in every piece). Existing corpus files (what fuzzing found) stay.
# Usage: fuzz/seed.sh
set -euo pipefail
cd "$(dirname "$0")"
shared=../../shared/corpus
[ -d "$shared" ] || shared=../shared/corpus
[ -d "$shared" ] || { echo "seed.sh: ../shared/corpus not found" >&2; exit 1; }

python3 - "$shared" <<'PY'
import hashlib, os, sys
from pathlib import Path

shared = Path(sys.argv[1])
PIECE = 12          # lines per seed
MAX_SEEDS = 400     # per target
HEADER = bytes(5)   # parser targets: zone UTC, reference year, reference 2020-09-13

def files(*globs):
    out = []
    for g in globs:
        out += [p for p in sorted(shared.glob(g)) if p.is_file() and p.stat().st_size < 8 << 20]
    return out

def pieces(path, keep_header=None):
    lines = path.read_bytes().split(b"\n")
    head = [l for l in lines if keep_header and keep_header(l)][:8]
    body = [l for l in lines if not (keep_header and keep_header(l))]
    for i in range(0, len(body), PIECE):
        yield b"\n".join(head + body[i:i + PIECE])

def write(target, blobs, prefix=HEADER):
    d = Path("corpus") / target
    d.mkdir(parents=True, exist_ok=True)
    n = 0
    for b in blobs:
        if n >= MAX_SEEDS:
            break
        data = prefix + b
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
        n += 1
    print(f"{target}: {n} seeds")

def all_pieces(paths, keep_header=None):
    for p in paths:
        yield from pieces(p, keep_header)

ssh = files("openssh/**/*.log", "openssh/fail2ban/**/*", "openssh/beats/*")
ssh = [p for p in ssh if not p.name.endswith(".csv")]
write("sshd", all_pieces(ssh))
write("iptracking", [
    b"dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date",
    b"10.0.0.5|203.0.113.7|51234|auth|4242|1000|2026-11-20 10:00:01",
    b"10.0.0.5/32|::ffff:203.0.113.7|51234|open_session|4242|1000|2026-11-20 10:00:02.123456\n10.0.0.5|203.0.113.7|51234|close_session|4242|1000|2026-11-20 10:05:02",
    b"10.0.0.5|\\N||unknown|4243||2026-03-31 02:30:00\n(2 rows)",
    b"2001:db8::1|2001:db8::7|22|auth|1|0|2026-10-27 02:30:00+01",
])
write("cowrie", all_pieces(files("cowrie/**/*")))
zeek = files("zeek/**/*")
write("zeek_conn", all_pieces(zeek, keep_header=lambda l: l.startswith(b"#")))
write("asa", all_pieces(files("asa/**/*")))
write("intelmq", all_pieces(files("intelmq/events/*")))
# Shadowserver and eventDB CSV need their header row: every piece starts with it.
def csv_pieces():
    for p in files("intelmq/shadowserver/*.csv"):
        lines = p.read_bytes().split(b"\n")
        for i in range(1, len(lines), PIECE):
            yield b"\n".join([lines[0]] + lines[i:i + PIECE])
write("shadowserver", csv_pieces())
def heads():
    for p in ssh + files("cowrie/**/*", "zeek/**/*", "asa/**/*", "intelmq/**/*"):
        yield b"\n".join(p.read_bytes().split(b"\n")[:20])
write("detect", heads(), prefix=b"\x00")
def syslog_streams():
    for p in ssh + files("asa/**/*"):
        lines = p.read_bytes().split(b"\n")
        for i in range(0, len(lines), PIECE):
            part = lines[i:i + PIECE]
            yield b"\n".join(part) + b"\n"
            yield b"".join(str(len(l)).encode() + b" " + l for l in part if l)
write("syslog_framing", syslog_streams(), prefix=b"\x00")
configs = [Path("../packaging/config.toml").read_bytes()]
configs += [
    b'data_dir = "/x"\ngeoip = ["/g"]\ntz = "UTC"\ndelimiter = ";"\n[home]\ncampus = ["10.0.0.0/8"]\n[services]\nweb = [80, 8080]\n',
    b'tz = "Europe/Berlin"\n[home]\nvpn = ["192.168.0.0/16", "2001:db8::/32"]\n[serve]\nlisten = "127.0.0.1:8479"\nfollow = ["/var/log/auth.log*"]\njournal = true\nsyslog_udp = "0.0.0.0:5514"\nmemory_limit = "1GB"\n',
]
write("config", configs, prefix=b"")
args = [b"7d", b"24h", b"30m", b"90s", b"2w", b"10", b"1.5d", b"2026-11-01", b"2026-11-01T12:00:00Z",
        b"2026-11-01 12:00:00", b"2026-11-01T12:00:00+05:30", b"10.0.0.0/8,192.168.0.0/16",
        b"2001:db8::/32", b"203.0.113.7", b"UTC", b"local", b"Europe/Berlin", b"+02:00", b"-0500",
        b"+02", b"sshd", b"zeek_conn", b"session_open", b"auth,invalid_user"]
write("args", args, prefix=b"")
PY
