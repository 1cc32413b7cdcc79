//! `activity`: events by hour of day and weekday (UTC, or local with `--tz`) — one row per hour,
//! one column per day.
//!
//! `--attacker-time`: the hour and weekday in each *source's* own time zone (GeoIP City's
//! `time_zone` of the address, or a feed's), answering "do they work office hours?". Events are
//! counted per zone and UTC quarter hour in SQL (every UTC offset in use is a multiple of 15
//! minutes, so a quarter hour never straddles two local hours), then placed in the zone's local
//! time here, DST included. Sources without a known zone (no City database, or no record for
//! the address; the built-in country database has none) are left out.

use std::collections::HashMap;

use ipscope_store::{Query, Table, Value};

use crate::local::offset_at;
use crate::rows::Rows;
use crate::{Dialect, LocalTime, Params, Result, Zone};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let local = lt.sql(d, "ts");
    // Served by the rollups in whole-hour zones (see [`crate::rows`]).
    let rows = Rows::for_report(d, p, &p.filter, Some(lt));
    let cols: Vec<String> = DAYS
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{} AS {name}", rows.count_if(d, &format!("dow = {}", i + 1))))
        .collect();
    format!(
        "SELECT hour, {cols}, {count} AS total FROM (\
           SELECT {hour} AS hour, {dow} AS dow{n} FROM {from} WHERE {filter}\
         ) GROUP BY hour ORDER BY hour",
        cols = cols.join(", "),
        count = rows.count(d),
        n = rows.n_column(),
        from = rows.from(),
        hour = d.hour(&local),
        dow = d.iso_weekday(&local),
        filter = p.filter.sql(d),
    )
}

/// Events per source time zone and UTC quarter hour (`--attacker-time`). Aggregated per address
/// first, so the enrichment join is one probe per address and quarter, not per event.
pub fn attacker_sql(d: Dialect, p: &Params) -> String {
    let mut w = d.ctes();
    let q = w.define(
        "q",
        format!(
            "SELECT src_ip, {quarter} AS qh, max(time_zone) AS etz, count(*) AS n FROM {from} \
             WHERE {filter} AND src_ip IS NOT NULL GROUP BY src_ip, qh",
            quarter = d.quarter_hour("ts"),
            from = p.filter.from(),
            filter = p.filter.sql(d),
        ),
    );
    w.query(&format!(
        "SELECT coalesce(q.etz, a.time_zone) AS tz, q.qh, sum(q.n) AS n \
         FROM {q} LEFT JOIN {addresses} a ON a.ip = q.src_ip \
         WHERE coalesce(q.etz, a.time_zone) IS NOT NULL GROUP BY {keys}",
        addresses = d.addresses(),
        keys = d.keys(&["tz", "qh"]),
    ))
}

fn attacker_time(store: &dyn Query, p: &Params) -> Result<Table> {
    let t = store.query(&attacker_sql(p.dialect, p))?;
    let mut zones: HashMap<String, Option<Zone>> = HashMap::new();
    // [hour][weekday 0 = Monday]
    let mut grid = [[0i64; 7]; 24];
    for row in &t.rows {
        let (Some(Value::Text(tz)), Some(Value::Timestamp(q)), Some(n)) =
            (row.first(), row.get(1), row.get(2).and_then(Value::as_i64))
        else {
            continue;
        };
        // Only IANA names: `local` or an offset in a feed's field is no source's zone.
        let zone = zones.entry(tz.clone()).or_insert_with(|| match tz.parse::<Zone>() {
            Ok(z @ Zone::Named(_)) => Some(z),
            _ => None,
        });
        let Some(zone) = zone else { continue };
        let local = q + i64::from(offset_at(zone, *q)) * 1_000_000;
        let Some(t) = chrono::DateTime::from_timestamp_micros(local) else { continue };
        use chrono::{Datelike, Timelike};
        grid[t.hour() as usize][t.weekday().num_days_from_monday() as usize] += n;
    }
    let mut cols = vec!["hour".to_owned()];
    cols.extend(DAYS.iter().map(|d| (*d).to_owned()));
    cols.push("total".to_owned());
    let mut out = Table::new(cols);
    for (hour, days) in grid.iter().enumerate() {
        let total: i64 = days.iter().sum();
        if total == 0 {
            continue;
        }
        let mut row = vec![Value::Int(hour as i64)];
        row.extend(days.iter().map(|n| Value::Int(*n)));
        row.push(Value::Int(total));
        out.rows.push(row);
    }
    Ok(out)
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    if p.attacker_time {
        return attacker_time(store, p);
    }
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(p.dialect, p, &lt))?)
}
