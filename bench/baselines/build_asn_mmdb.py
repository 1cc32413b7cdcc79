#!/usr/bin/env python3
"""Build a GeoLite2-ASN-shaped .mmdb from ip-location-db's ASN CSV files.

The npm registry carries the ASN data only as CSV (@ip-location-db/asn: start,end,asn,org per
inclusive range); its -mmdb twin is not published. Records are written the way GeoLite2-ASN has
them: {"autonomous_system_number": N, "autonomous_system_organization": "..."}, IPv4 mapped
into an IPv6 tree (ipv4_compatible), database_type "GeoLite2-ASN".

    build_asn_mmdb.py OUT.mmdb asn-ipv4.csv [asn-ipv6.csv]
"""
import csv
import sys

import netaddr
from mmdb_writer import MMDBWriter


def main() -> None:
    out, inputs = sys.argv[1], sys.argv[2:]
    w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN",
                   description="ASN (ip-location-db asn CSV: RouteViews + NRO + DB-IP)", int_type="u32")
    # One IPSet per (asn, org): mmdb_writer inserts per record; ranges become CIDRs.
    groups: dict = {}
    rows = 0
    for path in inputs:
        with open(path, newline="", encoding="utf-8") as f:
            for start, end, asn, org in csv.reader(f):
                rows += 1
                key = (int(asn), org)
                groups.setdefault(key, []).extend(netaddr.iprange_to_cidrs(start, end))
    for (asn, org), cidrs in groups.items():
        w.insert_network(netaddr.IPSet(cidrs),
                         {"autonomous_system_number": asn, "autonomous_system_organization": org})
    w.to_db_file(out)
    sys.stderr.write(f"{out}: {rows} ranges, {len(groups)} ASNs\n")


if __name__ == "__main__":
    main()
