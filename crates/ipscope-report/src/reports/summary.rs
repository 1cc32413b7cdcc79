//! `summary`: what the store holds in the window, per source format and event kind: events,
//! first and last event. Cheap on purpose (no distinct counts): the dashboard asks it often.

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    format!(
        "SELECT CAST(format AS VARCHAR) AS format, CAST(kind AS VARCHAR) AS kind, count(*) AS events, \
           min(ts) AS first_seen, max(ts) AS last_seen \
         FROM {from} WHERE {filter} GROUP BY 1, 2 ORDER BY 1, 2",
        from = p.filter.from(),
        filter = p.filter.sql(d),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
