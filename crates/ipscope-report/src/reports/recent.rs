//! `recent`: the latest `-N` events, newest first — what just happened (the dashboard's live
//! panel; `watch ipscope report recent` on a terminal).

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

/// The newest `top` events. In a store of several formats `events` is a view over several
/// tables, and DuckDB does not push a `LIMIT` through it into their scans, so a plain
/// `ORDER BY ts DESC LIMIT n` sorted every event (7.9 M: 0.26 s against 0.06 s on one table).
/// The query first looks for the `top` newest in the last day before the newest event
/// (`Filter::span_sql`; row groups outside it are skipped by their min/max); when that day
/// holds at least `top` events, the oldest of them bounds the scan, else every event is a
/// candidate. Exact either way.
pub fn sql(d: Dialect, p: &Params) -> String {
    format!(
        "SELECT ts, {format} AS format, sensor, {kind} AS kind, \
           {outcome} AS outcome, src_ip, username AS user, dst_port, detail \
         FROM {from} WHERE {filter} AND ts >= {bound} \
         ORDER BY ts DESC, src_ip, kind, format, username, detail, sensor, dst_port, outcome LIMIT {top}",
        from = p.filter.from(),
        filter = p.filter.sql(d),
        format = d.text("format"),
        kind = d.text("kind"),
        outcome = d.text("outcome"),
        bound = d.scalar_ts(
            &format!("CASE WHEN count(*) = {top} THEN min(ts) END", top = p.top),
            &format!(
                "( SELECT ts FROM {from} WHERE {filter} AND ts >= {day_before} ORDER BY ts DESC LIMIT {top})",
                from = p.filter.from(),
                filter = p.filter.sql(d),
                day_before = d.minus_days(&d.scalar_ts("hi", &format!("({})", p.filter.span_sql(d)), false), 1),
                top = p.top,
            ),
            true,
        ),
        top = p.top,
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p))?)
}
