//! `scans`: per day (UTC, or local with `--tz`) and destination port, connections that were never answered (Zeek's
//! not-established states, outcome `failure`) and firewall denies, with distinct sources; the
//! top `-N` ports of each day.

use ipscope_store::{Query, Table};

use crate::{Dialect, LocalTime, Params, Result};

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let from = p.filter.from();
    let unanswered = "kind = 'connection' AND outcome = 'failure'";
    format!(
        "SELECT day, port, unanswered, denies, ips FROM (\
           SELECT day, port, unanswered, denies, ips, \
             row_number() OVER (PARTITION BY day ORDER BY unanswered + denies DESC, port) AS rank \
           FROM (\
             SELECT {day} AS day, dst_port AS port, {u} AS unanswered, {dn} AS denies, {ips} AS ips \
             FROM {from} WHERE {filter} AND dst_port IS NOT NULL AND (({unanswered}) OR kind = 'deny') \
             GROUP BY 1, 2 HAVING count(*) >= {min}\
           )\
         ) WHERE rank <= {top} ORDER BY day, unanswered + denies DESC, port",
        day = d.day(&lt.sql(d, "ts")),
        u = d.count_if(unanswered),
        dn = d.count_if("kind = 'deny'"),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
        min = p.min_events.max(1),
        top = p.top,
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(Dialect::DuckDb, p, &lt))?)
}
