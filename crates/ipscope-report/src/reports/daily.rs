//! `daily`: events and distinct source addresses per UTC day, with the weekday name.

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    let from = p.filter.from();
    format!(
        "SELECT day, {weekday} AS weekday, events, ips FROM (\
           SELECT {day} AS day, count(*) AS events, {ips} AS ips \
           FROM {from} WHERE {filter} GROUP BY 1\
         ) ORDER BY day",
        weekday = d.weekday("day"),
        day = d.day("ts"),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
