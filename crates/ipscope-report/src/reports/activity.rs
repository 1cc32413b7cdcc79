//! `activity`: events by hour of day and weekday (UTC, or local with `--tz`) — one row per hour,
//! one column per day.

use ipscope_store::{Query, Table};

use crate::{Dialect, LocalTime, Params, Result};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let local = lt.sql(d, "ts");
    let from = p.filter.from();
    let cols: Vec<String> = DAYS
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{} AS {name}", d.count_if(&format!("dow = {}", i + 1))))
        .collect();
    format!(
        "SELECT hour, {cols}, count(*) AS total FROM (\
           SELECT {hour} AS hour, {dow} AS dow FROM {from} WHERE {filter}\
         ) GROUP BY hour ORDER BY hour",
        cols = cols.join(", "),
        hour = d.hour(&local),
        dow = d.iso_weekday(&local),
        filter = p.filter.sql(d),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(Dialect::DuckDb, p, &lt))?)
}
