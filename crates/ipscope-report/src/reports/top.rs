//! The shared shape of `top-ips` and `top-users`: one dimension ranked by events, with the
//! distinct count of another, first/last seen, the active period and a per-day rate.
//!
//! The last column, `sources`, lists the source formats the row's events came from (one
//! address seen by sshd and by a honeypot is one row, `cowrie,sshd`).
//!
//! Two phases keep it fast at tens of millions of rows: rank by the cheap aggregates first,
//! then compute the expensive `count(DISTINCT ...)` only for the top N rows.

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{Dialect, Params, Result};

pub struct Dimension {
    /// Column grouped by.
    pub col: &'static str,
    /// Its name in the output.
    pub label: &'static str,
    /// Column counted distinct per group.
    pub distinct_col: &'static str,
    pub distinct_label: &'static str,
    /// Whether to show `sessions` (session opens) per group.
    pub sessions: bool,
    /// Whether the rows are addresses: adds their country, AS organisation and registered
    /// prefix from enrichment.
    pub geo: bool,
}

/// `extra_where` may only read the source address columns. When the rows are addresses
/// (`top-ips`, `nets --drill`) the ranking and the formats come from the rollups where they can
/// serve (see [`crate::rows`]); the distinct users of the top rows always from events.
pub fn sql(d: Dialect, p: &Params, dim: &Dimension, extra_where: &str) -> String {
    let from = p.filter.from();
    let rows = if dim.col == "src_ip" { Rows::for_report(d, p, &p.filter, None) } else { Rows::events(from) };
    let ranked = rows.from();
    let filter = format!("{} AND {} IS NOT NULL AND {extra_where}", p.filter.sql(d), dim.col);
    let col = dim.col;
    let sessions_agg = if dim.sessions {
        format!(", {} AS sessions", rows.count_if(d, "kind = 'session_open'"))
    } else {
        String::new()
    };
    let (sessions_t, sessions_x, sessions_out) =
        if dim.sessions { (", t.sessions", ", tu.sessions", ", x.sessions") } else { ("", "", "") };
    let (geo_out, geo_join) = if dim.geo {
        (", a.country_code AS country, a.as_org, a.prefix", format!(" LEFT JOIN {} a ON a.ip = x.{col}", d.addresses()))
    } else {
        ("", String::new())
    };
    let count = rows.count(d);
    let mut w = d.ctes();
    let t = w.define(
        "t",
        format!(
            "SELECT {col}, {count} AS events, {first} AS first_seen, {last} AS last_seen{sessions_agg} \
             FROM {ranked} WHERE {filter} GROUP BY {col} HAVING {count} >= {min} \
             ORDER BY events DESC, {col} LIMIT {top}",
            first = rows.first(),
            last = rows.last(),
            min = p.min_events.max(1),
            top = p.top,
        ),
    );
    let u = w.define(
        "u",
        format!(
            "SELECT {col}, {distinct} AS n FROM {from} \
             WHERE {filter} AND {col} IN (SELECT {col} FROM {t}) GROUP BY {col}",
            distinct = d.count_distinct(dim.distinct_col),
        ),
    );
    let f = w.define(
        "f",
        format!(
            "SELECT {col}, format FROM {ranked} \
             WHERE {filter} AND {col} IN (SELECT {col} FROM {t}) GROUP BY {col}, format"
        ),
    );
    let src = w.define(
        "src",
        format!(
            "SELECT {col}, {sources} AS sources FROM {f} GROUP BY {col}",
            sources = d.list_distinct_if(&d.text("format"), d.bool(true)),
        ),
    );
    // One join a level (ClickHouse 18.16 joins two relations per SELECT).
    let tu = w.define(
        "tu",
        format!(
            "SELECT t.{col}, t.events, t.first_seen, t.last_seen{sessions_t}, u.n \
             FROM {t} LEFT JOIN {u} ON t.{col} = u.{col}"
        ),
    );
    let x = w.define(
        "x",
        format!(
            "SELECT tu.{col}, tu.events, tu.first_seen, tu.last_seen{sessions_x}, tu.n, src.sources \
             FROM {tu} LEFT JOIN {src} ON tu.{col} = src.{col}"
        ),
    );
    w.query(&format!(
        "SELECT x.{col} AS {label}, x.events, coalesce(x.n, 0) AS {dlabel}, x.first_seen, x.last_seen, \
           round({secs} / 86400.0, 2) AS period_days, \
           round(x.events / greatest({secs} / 86400.0, 1.0), 1) AS per_day{sessions_out}, x.sources{geo_out} \
         FROM {x}{geo_join} \
         ORDER BY x.events DESC, x.{col}",
        label = dim.label,
        dlabel = dim.distinct_label,
        secs = d.seconds_between("x.first_seen", "x.last_seen"),
    ))
}

pub fn run(store: &dyn Query, p: &Params, dim: &Dimension, extra_where: &str) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p, dim, extra_where))?)
}
