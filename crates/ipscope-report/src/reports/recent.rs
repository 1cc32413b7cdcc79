//! `recent`: the latest `-N` events, newest first — what just happened (the dashboard's live
//! panel; `watch ipscope report recent` on a terminal).

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    format!(
        "SELECT ts, CAST(format AS VARCHAR) AS format, sensor, CAST(kind AS VARCHAR) AS kind, \
           CAST(outcome AS VARCHAR) AS outcome, src_ip, username AS user, dst_port, detail \
         FROM {from} WHERE {filter} \
         ORDER BY ts DESC, src_ip, kind, format, username, detail, sensor, dst_port, outcome LIMIT {top}",
        from = p.filter.from(),
        filter = p.filter.sql(d),
        top = p.top,
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
