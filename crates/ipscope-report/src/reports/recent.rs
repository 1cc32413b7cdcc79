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
        "SELECT ts, CAST(format AS VARCHAR) AS format, sensor, CAST(kind AS VARCHAR) AS kind, \
           CAST(outcome AS VARCHAR) AS outcome, src_ip, username AS user, dst_port, detail \
         FROM {from} WHERE {filter} AND ts >= coalesce(( \
           SELECT CASE WHEN count(*) = {top} THEN min(ts) END FROM ( \
             SELECT ts FROM {from} WHERE {filter} \
               AND ts >= (SELECT hi FROM ({span})) - INTERVAL 1 DAY \
             ORDER BY ts DESC LIMIT {top})), TIMESTAMP '-infinity') \
         ORDER BY ts DESC, src_ip, kind, format, username, detail, sensor, dst_port, outcome LIMIT {top}",
        from = p.filter.from(),
        filter = p.filter.sql(d),
        span = p.filter.span_sql(d),
        top = p.top,
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
