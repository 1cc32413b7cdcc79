//! `taxonomy`: CERT feed events per day (UTC, or local with `--tz`) and classification (taxonomy / type / identifier),
//! with distinct source addresses.

use ipscope_store::{Query, Table};

use crate::{Dialect, LocalTime, Params, Result};

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let from = p.filter.from();
    format!(
        "SELECT {day} AS day, coalesce(taxonomy, '') AS taxonomy, coalesce(class_type, '') AS type, \
           coalesce(identifier, '') AS identifier, count(*) AS events, {ips} AS ips \
         FROM {from} WHERE {filter} AND kind = 'feed_event' \
         GROUP BY {keys} HAVING count(*) >= {min} ORDER BY day, events DESC, taxonomy, type, identifier",
        keys = d.keys(&["day", "taxonomy", "type", "identifier"]),
        day = d.day(&lt.sql(d, "ts")),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
        min = p.min_events.max(1),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(p.dialect, p, &lt))?)
}
