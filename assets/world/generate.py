#!/usr/bin/env python3
"""Generates assets/world/countries.txt, the world map behind `report --chart map.svg|map.png`.

Source (both from the npm registry, fetched with `npm pack` unless --src is given):
  - world-atlas 2.0.2 (ISC): Natural Earth 4.1.0 admin-0 countries as TopoJSON, ids are ISO 3166-1
    numeric codes. Outlines come from countries-110m.json; countries-50m.json only adds a label
    point for the small countries 1:110m leaves out (Singapore, Hong Kong, Malta, Bahrain, ...).
  - i18n-iso-countries 7.14.0 (MIT): codes.json maps ISO numeric -> alpha-2.

world-atlas keys countries by ISO numeric id, so the Natural Earth "ISO_A2 = -99" problem (France,
Norway) does not arise. Three 1:110m features have no ISO id; they are mapped by name: Kosovo -> XK
(the user-assigned code GeoIP databases use), N. Cyprus -> CY and Somaliland -> SO (GeoIP reports
addresses there under those codes; the outline keeps its own ring).

Output format (text, one record per line, '#' starts a comment line):
  C <alpha-2> <lon> <lat> <name>     a country and its label point (decimal degrees)
  R <lon>,<lat> <lon>,<lat> ...      one ring of the country above, in tenths of a degree
                                     (integers), first point not repeated at the end
A country has zero or more rings (zero: a point-only entry for a country too small for 1:110m).
The label point lies in the country's largest polygon: its area centroid when that is well inside,
else its pole of inaccessibility (the point farthest from the edge, as in mapbox/polylabel), so it
is on land even for concave shapes such as Norway or Chile.

Usage: python3 assets/world/generate.py [--src DIR] [--out assets/world/countries.txt]
  DIR holds the unpacked packages as DIR/world-atlas/ and DIR/i18n-iso-countries/.
Python 3.11 standard library only.
"""

import argparse
import heapq
import json
import math
import os
import subprocess
import tarfile
import tempfile

WORLD_ATLAS = "world-atlas@2.0.2"
ISO_CODES = "i18n-iso-countries@7.14.0"
# The centroid is the label point when its distance to the edge is at least this share of the
# pole of inaccessibility's.
CENTROID_DEPTH = 0.25
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}
# Territories GeoIP databases report under their own code that Natural Earth folds into another
# country even at 1:50m (mostly French overseas departments); approximate main-town coordinates.
EXTRA_POINTS = {
    "GF": (-53.0, 4.0, "French Guiana"),
    "GP": (-61.6, 16.2, "Guadeloupe"),
    "MQ": (-61.0, 14.6, "Martinique"),
    "RE": (55.5, -21.1, "Réunion"),
    "YT": (45.1, -12.8, "Mayotte"),
    "GI": (-5.4, 36.1, "Gibraltar"),
    "SJ": (15.6, 78.2, "Svalbard"),
    "BQ": (-68.3, 12.2, "Bonaire"),
    "TV": (179.2, -8.5, "Tuvalu"),
    "TK": (-171.8, -9.2, "Tokelau"),
    "CX": (105.7, -10.5, "Christmas I."),
    "CC": (96.8, -12.2, "Cocos Is."),
}


def fetch(dest):
    for spec in (WORLD_ATLAS, ISO_CODES):
        out = subprocess.run(["npm", "pack", spec], cwd=dest, check=True, capture_output=True, text=True)
        tgz = os.path.join(dest, out.stdout.strip().splitlines()[-1])
        name = spec.rsplit("@", 1)[0]
        with tarfile.open(tgz) as tar:
            tar.extractall(os.path.join(dest, name), filter="data")
        os.rename(os.path.join(dest, name, "package"), os.path.join(dest, name + ".pkg"))
        os.rmdir(os.path.join(dest, name))
        os.rename(os.path.join(dest, name + ".pkg"), os.path.join(dest, name))


def decode_arcs(topo):
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring(arcs, idx):
    pts = []
    for i in idx:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def polygons(arcs, geom):
    if geom["type"] == "Polygon":
        return [[ring(arcs, r) for r in geom["arcs"]]]
    if geom["type"] == "MultiPolygon":
        return [[ring(arcs, r) for r in p] for p in geom["arcs"]]
    return []


def tenths(pts):
    out = []
    for lon, lat in pts:
        p = (round(lon * 10), round(lat * 10))
        if not out or out[-1] != p:
            out.append(p)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    # Drop points on a straight line between their neighbours (rounding makes many).
    i = 0
    while i < len(out) and len(out) > 3:
        (ax, ay), (px, py), (bx, by) = out[i - 1], out[i], out[(i + 1) % len(out)]
        if (px - ax) * (by - ay) - (py - ay) * (bx - ax) == 0:
            out.pop(i)
            i = max(i - 1, 0)
        else:
            i += 1
    return out


def area(pts):
    """Area in degrees² on the sinusoidal (equal-area) projection: x = lon·cos(lat)."""
    xy = [(x * math.cos(math.radians(y)), y) for x, y in pts]
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(xy, xy[1:] + xy[:1]))) / 2


def clip_x(pts, x, keep_below):
    """Sutherland-Hodgman: the part of a ring on one side of the meridian `x`."""
    inside = (lambda p: p[0] <= x) if keep_below else (lambda p: p[0] >= x)
    out = []
    for a, b in zip(pts[-1:] + pts[:-1], pts):
        if inside(b):
            if not inside(a):
                out.append((x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0])))
            out.append(b)
        elif inside(a):
            out.append((x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0])))
    return out


def split_antimeridian(pts):
    """Rings stored in spherical coordinates may cross ±180° (Fiji, Chukotka). Unwrap longitudes to
    a continuous ring, then cut it into the part inside [-180, 180] and the part beyond, shifted
    back. Returns the planar rings; a ring around a pole (Antarctica) is returned as None."""
    un = [pts[0]]
    for lon, lat in pts[1:]:
        prev = un[-1][0]
        lon += 360 * round((prev - lon) / 360)
        un.append((lon, lat))
    if abs(un[-1][0] - un[0][0]) > 180:
        return None
    lo, hi = min(p[0] for p in un), max(p[0] for p in un)
    if lo >= -180 and hi <= 180:
        return [pts]
    rings = []
    if hi > 180:
        rings += [clip_x(un, 180, True), [(x - 360, y) for x, y in clip_x(un, 180, False)]]
    else:
        rings += [clip_x(un, -180, False), [(x + 360, y) for x, y in clip_x(un, -180, True)]]
    return [r for r in rings if len(r) >= 3]


def planar(polys):
    """Polygons with every ring inside [-180, 180]; polar rings (Antarctica's) are dropped."""
    out = []
    for p in polys:
        outer = split_antimeridian(p[0])
        if outer is None:
            continue
        holes = [h for r in p[1:] for h in (split_antimeridian(r) or [])]
        out.extend([o] + holes for o in outer)
    return out


def seg_dist2(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    x, y = ax + t * dx - px, ay + t * dy - py
    return x * x + y * y


def signed_dist(x, y, rings):
    """Distance from (x, y) to the polygon outline, negative outside (polylabel's pointToPolygonDist)."""
    inside = False
    best = math.inf
    for r in rings:
        for (ax, ay), (bx, by) in zip(r, r[1:] + r[:1]):
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                inside = not inside
            best = min(best, seg_dist2(x, y, ax, ay, bx, by))
    return (1 if inside else -1) * math.sqrt(best)


def polylabel(rings, precision=0.05):
    """The area centroid when it lies well inside the polygon, else the pole of inaccessibility
    (mapbox/polylabel's algorithm), in a local frame where longitude is scaled by cos(mean
    latitude); returns (lon, lat)."""
    outer = rings[0]
    k = math.cos(math.radians(sum(p[1] for p in outer) / len(outer)))
    rs = [[(x * k, y) for x, y in r] for r in rings]
    xs, ys = [p[0] for p in rs[0]], [p[1] for p in rs[0]]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    size = min(x1 - x0, y1 - y0)
    if size == 0:
        return (x0 / k, y0)
    h = size / 2
    heap = []

    def push(cx, cy, h):
        d = signed_dist(cx, cy, rs)
        heapq.heappush(heap, (-(d + h * math.sqrt(2)), d, cx, cy, h))

    x = x0
    while x < x1:
        y = y0
        while y < y1:
            push(x + h, y + h, h)
            y += size
        x += size
    # Start from the area centroid, as polylabel does.
    a = cx = cy = 0.0
    for (ax, ay), (bx, by) in zip(rs[0], rs[0][1:] + rs[0][:1]):
        f = ax * by - bx * ay
        cx += (ax + bx) * f
        cy += (ay + by) * f
        a += f * 3
    best = (signed_dist(cx / a, cy / a, rs), cx / a, cy / a) if a else (-math.inf, x0, y0)
    centroid = best
    bb = ((x0 + x1) / 2, (y0 + y1) / 2)
    d = signed_dist(*bb, rs)
    if d > best[0]:
        best = (d, *bb)
    while heap:
        _, d, cx, cy, h = heapq.heappop(heap)
        if d > best[0]:
            best = (d, cx, cy)
        if d + h * math.sqrt(2) - best[0] <= precision:
            continue
        h /= 2
        for ox in (-h, h):
            for oy in (-h, h):
                push(cx + ox, cy + oy, h)
    # The centroid reads as "the middle of the country" (Sweden's pole of inaccessibility is far
    # north); keep it when it is well inside.
    if centroid[0] >= CENTROID_DEPTH * best[0]:
        best = centroid
    return (best[1] / k, best[2])


def label_point(polys):
    largest = max(polys, key=lambda p: area(p[0]))
    return polylabel(largest)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", help="directory with unpacked world-atlas/ and i18n-iso-countries/ (default: npm pack)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "countries.txt"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.src
        if not src:
            fetch(tmp)
            src = tmp
        with open(os.path.join(src, "world-atlas", "countries-110m.json")) as f:
            t110 = json.load(f)
        with open(os.path.join(src, "world-atlas", "countries-50m.json")) as f:
            t50 = json.load(f)
        with open(os.path.join(src, "i18n-iso-countries", "codes.json")) as f:
            alpha2 = {r[2]: r[0] for r in json.load(f)}

    countries = {}  # alpha-2 -> name, polygons of the ISO feature / name-mapped ones, rings drawn
    arcs = decode_arcs(t110)
    for g in t110["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        code = alpha2.get(g.get("id")) or BY_NAME.get(name)
        if not code:
            raise SystemExit(f"no ISO code for {name!r} ({g.get('id')})")
        polys = planar(polygons(arcs, g))
        c = countries.setdefault(code, {"name": name, "iso": [], "other": [], "rings": []})
        if g.get("id"):  # the ISO feature names the country and gives its label point
            c["name"] = name
            c["iso"].extend(polys)
        else:
            c["other"].extend(polys)
        c["rings"].extend(r for p in polys for r in p)
    arcs50 = decode_arcs(t50)
    for g in t50["objects"]["countries"]["geometries"]:
        code = alpha2.get(g.get("id"))
        if code and code not in countries:
            countries[code] = {"name": g["properties"]["name"], "iso": planar(polygons(arcs50, g)), "other": [], "rings": []}
    extra = {k: v for k, v in EXTRA_POINTS.items() if k not in countries}

    lines = [
        "# ipscope world map: generated by assets/world/generate.py; do not edit (see LICENSE.md).",
        "# Natural Earth 4.1.0 admin-0 countries, 1:110m (label points of small countries: 1:50m),",
        f"# via {WORLD_ATLAS}; ISO codes via {ISO_CODES}. Format: see generate.py.",
    ]
    for code in sorted(countries):
        c = countries[code]
        lon, lat = label_point(c["iso"] or c["other"])
        lines.append(f"C {code} {lon:.1f} {lat:.1f} {c['name']}")
        for r in c["rings"]:
            pts = tenths(r)
            if len(pts) >= 3:
                lines.append("R " + " ".join(f"{x},{y}" for x, y in pts))
    for code in sorted(extra):
        lon, lat, name = extra[code]
        lines.append(f"C {code} {lon:.1f} {lat:.1f} {name}")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
