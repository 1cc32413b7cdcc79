#!/usr/bin/env python3
"""Compare two report CSVs (ipscope's `-o csv` and a baseline's) after normalising cells.

    compare_csv.py NAME A.csv B.csv

Only the columns both sides have are compared (ipscope's enrichment columns — country, as_org,
prefix — have no PostgreSQL counterpart); a column one side lacks is named in `detail`.
Numbers are compared as ipscope prints them (at most 4 decimals, no trailing zeros), so
`29.90` (PostgreSQL numeric) equals `29.9`; everything else as text. Rows are compared in
order (every report's ORDER BY is total); if only the order differs it says so.
Prints one JSON line {"report":NAME,"agree":true|false,"rows_a":..,"rows_b":..,"detail":..}
and exits 0 either way.
"""
import csv
import json
import sys


def norm(cell: str) -> str:
    try:
        f = float(cell)
    except ValueError:
        return cell
    if cell.strip().lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
        return cell
    s = f"{f:.4f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [[norm(c) for c in r] for r in csv.reader(f)]
    return (rows[0], rows[1:]) if rows else ([], [])


def main() -> None:
    name, a_path, b_path = sys.argv[1:4]
    ha, ra = load(a_path)
    hb, rb = load(b_path)
    common = [c for c in ha if c in hb]
    only = [c for c in ha + hb if c not in common]
    ra = [[r[ha.index(c)] for c in common] for r in ra]
    rb = [[r[hb.index(c)] for c in common] for r in rb]
    detail = f"compared {len(common)} common columns; not compared: {', '.join(only)}" if only else ""
    if not common:
        agree, detail = False, f"no common columns: {ha} vs {hb}"
    elif ra == rb:
        agree = True
    elif sorted(ra) == sorted(rb):
        agree, detail = False, "same rows, different order"
    else:
        agree = False
        diffs = []
        for i in range(max(len(ra), len(rb))):
            x = ra[i] if i < len(ra) else None
            y = rb[i] if i < len(rb) else None
            if x != y:
                diffs.append(f"row {i + 1}: {x} != {y}")
            if len(diffs) == 5:
                break
        detail = "; ".join(diffs) + (f" ({detail})" if detail else "")
    print(json.dumps({"report": name, "agree": agree, "rows_a": len(ra), "rows_b": len(rb), "detail": detail}))


if __name__ == "__main__":
    main()
