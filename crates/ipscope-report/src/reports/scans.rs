//! `scans`: per day (UTC, or local with `--tz`) and destination port, connections that were never answered (Zeek's
//! not-established states, outcome `failure`) and firewall denies, with distinct sources; the
//! top `-N` ports of each day.

use ipscope_store::{Query, Table};

use crate::{Dialect, LocalTime, Params, Result};

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let from = p.filter.from();
    let unanswered = "kind = 'connection' AND outcome = 'failure'";
    let inner = format!(
        "SELECT {day} AS day, dst_port AS port, {u} AS unanswered, {dn} AS denies, {ips} AS ips \
         FROM {from} WHERE {filter} AND dst_port IS NOT NULL AND (({unanswered}) OR kind = 'deny') \
         GROUP BY {keys} HAVING count(*) >= {min}",
        day = d.day(&lt.sql(d, "ts")),
        u = d.count_if(unanswered),
        dn = d.count_if("kind = 'deny'"),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
        keys = d.keys(&["day", "port"]),
        min = p.min_events.max(1),
    );
    d.top_per(&inner, "day, port, unanswered, denies, ips", "day", "unanswered + denies DESC, port", p.top)
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(p.dialect, p, &lt))?)
}
