#!/usr/bin/env python3
"""Baseline: the honeypot operator's loader, as the brief describes it — Cowrie JSON lines into
SQLite with MaxMind lookups (the approach ipscope replaces; written by us, not their code).

    cowrie_sqlite.py --db OUT.sqlite [--city-db X.mmdb ...] [--asn-db Y.mmdb ...] FILE [FILE ...]

FILE is Cowrie JSON lines, plain or .gz. Every line that is a JSON object with an "eventid"
becomes one row; other lines are skipped (counted in "skipped"). Each distinct src_ip is looked up
once (dict cache) in the city and ASN databases (the C extension of the `maxminddb` package;
several files per kind are tried in order, IPv4-only files skipped for IPv6 addresses, first hit
wins). Both GeoLite2-shaped records ({"country": {"iso_code"}, "city": {"names"}, "location"})
and ip-location-db's flat ones ({"country_code", "city", "latitude", ...}) are read.

Choices made to be a fair, reasonably efficient Python implementation:
  - json.loads per line (stdlib; what such scripts use), one dict.get per column;
  - one prepared INSERT, executemany in chunks of --chunk rows (default 10 000), the whole load
    in ONE transaction, committed at the end;
  - PRAGMA journal_mode=OFF and synchronous=OFF (no rollback journal, no fsync: faster than a
    default SQLite, and NOT crash-safe — ipscope's ingest is; this favours the baseline);
  - no indexes during the load (a loader would add them afterwards, if at all).

Prints one JSON line on stdout:
  {"tool":"python-sqlite","lines":..,"rows":..,"seconds":..,"lines_per_s":..,"db_bytes":..,"peak_rss_kib":..}
"""
import argparse
import gzip
import json
import os
import resource
import sqlite3
import sys
import time

import maxminddb

COLUMNS = [
    "timestamp", "eventid", "session", "sensor", "src_ip", "src_port", "dst_ip", "dst_port",
    "protocol", "username", "password", "input", "url", "shasum", "outfile", "duration",
    "version", "message", "country", "city", "latitude", "longitude", "asn", "as_org",
]
SCHEMA = """
CREATE TABLE IF NOT EXISTS cowrie (
    timestamp TEXT, eventid TEXT, session TEXT, sensor TEXT,
    src_ip TEXT, src_port INTEGER, dst_ip TEXT, dst_port INTEGER, protocol TEXT,
    username TEXT, password TEXT, input TEXT, url TEXT, shasum TEXT, outfile TEXT,
    duration REAL, version TEXT, message TEXT,
    country TEXT, city TEXT, latitude REAL, longitude REAL, asn INTEGER, as_org TEXT
)"""
NO_GEO = (None, None, None, None, None, None)


class Geo:
    def __init__(self, city_paths, asn_paths):
        opened = lambda ps: [(maxminddb.open_database(p, maxminddb.MODE_AUTO), ) for p in ps]
        self.city = [(r[0], r[0].metadata().ip_version) for r in opened(city_paths)]
        self.asn = [(r[0], r[0].metadata().ip_version) for r in opened(asn_paths)]
        self.cache = {}

    @staticmethod
    def _get(readers, ip, v6):
        for r, version in readers:
            if v6 and version == 4:
                continue
            try:
                rec = r.get(ip)
            except ValueError:  # not an address
                return None
            if rec:
                return rec
        return None

    def lookup(self, ip):
        hit = self.cache.get(ip)
        if hit is not None:
            return hit
        v6 = ":" in ip
        country = city = lat = lon = asn = org = None
        c = self._get(self.city, ip, v6)
        if c:
            if "country_code" in c:  # ip-location-db flat record
                country = c.get("country_code") or None
                city = c.get("city") or None
                lat, lon = c.get("latitude"), c.get("longitude")
            else:  # GeoLite2 / GeoIP2 City
                country = (c.get("country") or c.get("registered_country") or {}).get("iso_code")
                city = ((c.get("city") or {}).get("names") or {}).get("en")
                loc = c.get("location") or {}
                lat, lon = loc.get("latitude"), loc.get("longitude")
        a = self._get(self.asn, ip, v6)
        if a:
            asn = a.get("autonomous_system_number")
            org = a.get("autonomous_system_organization")
        hit = (country, city, lat, lon, asn, org)
        self.cache[ip] = hit
        return hit


def open_text(path):
    if path == "-":
        return sys.stdin
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--db", required=True, help="SQLite file (replaced)")
    ap.add_argument("--city-db", action="append", default=[], help="City .mmdb (repeatable)")
    ap.add_argument("--asn-db", action="append", default=[], help="ASN .mmdb (repeatable)")
    ap.add_argument("--chunk", type=int, default=10_000)
    args = ap.parse_args()

    started = time.perf_counter()
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(args.db + suffix):
            os.remove(args.db + suffix)
    geo = Geo(args.city_db, args.asn_db)
    lookup = geo.lookup
    con = sqlite3.connect(args.db, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute(SCHEMA)
    insert = f"INSERT INTO cowrie ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    con.execute("BEGIN")
    loads = json.loads
    lines = rows = skipped = 0
    batch = []
    for path in args.files:
        with open_text(path) as f:
            for line in f:
                lines += 1
                try:
                    e = loads(line)
                    eventid = e["eventid"]
                except (ValueError, KeyError, TypeError):
                    skipped += 1
                    continue
                g = e.get
                ip = g("src_ip")
                geo_cols = lookup(ip) if ip else NO_GEO
                msg = g("message")
                if isinstance(msg, list):  # newer Cowrie: message may be a list
                    msg = " ".join(map(str, msg))
                dur = g("duration")
                if isinstance(dur, str):  # older/newer versions: number or string
                    try:
                        dur = float(dur)
                    except ValueError:
                        dur = None
                batch.append((
                    g("timestamp"), eventid, g("session"), g("sensor"), ip, g("src_port"),
                    g("dst_ip"), g("dst_port"), g("protocol"), g("username"), g("password"),
                    g("input"), g("url"), g("shasum"), g("outfile"), dur, g("version"), msg,
                ) + geo_cols)
                if len(batch) >= args.chunk:
                    con.executemany(insert, batch)
                    rows += len(batch)
                    batch.clear()
    if batch:
        con.executemany(insert, batch)
        rows += len(batch)
    con.execute("COMMIT")
    con.close()
    seconds = time.perf_counter() - started
    print(json.dumps({
        "tool": "python-sqlite",
        "lines": lines,
        "rows": rows,
        "skipped": skipped,
        "distinct_ips": len(geo.cache),
        "seconds": round(seconds, 3),
        "lines_per_s": round(lines / seconds) if seconds else None,
        "db_bytes": os.path.getsize(args.db),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }), flush=True)


if __name__ == "__main__":
    main()
