//! `summary`: what the store holds in the window, per source format and event kind: events,
//! first and last event. Cheap on purpose (no distinct counts): the dashboard asks it often.

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{Dialect, Params, Result};

/// Served by the rollups (see [`crate::rows`]).
pub fn sql(d: Dialect, p: &Params) -> String {
    let rows = Rows::for_report(d, p, &p.filter, None);
    format!(
        "SELECT {format} AS format, {kind} AS kind, {count} AS events, \
           {first} AS first_seen, {last} AS last_seen \
         FROM {from} WHERE {filter} GROUP BY {keys} ORDER BY {keys}",
        format = d.text("format"),
        kind = d.text("kind"),
        keys = d.keys(&["format", "kind"]),
        count = rows.count(d),
        first = rows.first(),
        last = rows.last(),
        from = rows.from(),
        filter = p.filter.sql(d),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p))?)
}
