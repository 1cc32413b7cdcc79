//! `activity`: events by hour of day (UTC) and weekday — one row per hour, one column per day.

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn sql(d: Dialect, p: &Params) -> String {
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
        hour = d.hour("ts"),
        dow = d.iso_weekday("ts"),
        filter = p.filter.sql(d),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
