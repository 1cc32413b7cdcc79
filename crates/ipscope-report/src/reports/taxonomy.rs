//! `taxonomy`: CERT feed events per UTC day and classification (taxonomy / type / identifier),
//! with distinct source addresses.

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    let from = p.filter.from();
    format!(
        "SELECT {day} AS day, coalesce(taxonomy, '') AS taxonomy, coalesce(class_type, '') AS type, \
           coalesce(identifier, '') AS identifier, count(*) AS events, {ips} AS ips \
         FROM {from} WHERE {filter} AND kind = 'feed_event' \
         GROUP BY 1, 2, 3, 4 HAVING count(*) >= {min} ORDER BY day, events DESC, taxonomy, type, identifier",
        day = d.day("ts"),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
        min = p.min_events.max(1),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
