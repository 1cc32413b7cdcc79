//! `daily`: events and distinct source addresses per day (UTC, or local days with `--tz`), with
//! the weekday name.

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{Dialect, LocalTime, Params, Result};

/// Served by the rollups (see [`crate::rows`]): a distinct address count per day is exact from
/// rows keyed by address.
pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let rows = Rows::for_report(d, p, &p.filter, Some(lt));
    format!(
        "SELECT day, {weekday} AS weekday, events, ips FROM (\
           SELECT {day} AS day, {count} AS events, {ips} AS ips \
           FROM {from} WHERE {filter} GROUP BY {keys}\
         ) ORDER BY day",
        from = rows.from(),
        count = rows.count(d),
        weekday = d.weekday("day"),
        day = d.day(&lt.sql(d, "ts")),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
        keys = d.keys(&["day"]),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(p.dialect, p, &lt))?)
}
