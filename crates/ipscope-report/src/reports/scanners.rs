//! `scanners`: source addresses ranked by how many distinct destination ports they touched,
//! with distinct destination hosts, unanswered connections and denies. Events without a
//! destination port count too (sshd's scanner probes: sshd does not log its own port); they add
//! no port.

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    let from = p.filter.from();
    format!(
        "SELECT src_ip AS ip, {ports} AS ports, {hosts} AS hosts, count(*) AS events, \
           {u} AS unanswered, {dn} AS denies, min(ts) AS first_seen, max(ts) AS last_seen \
         FROM {from} WHERE {filter} AND src_ip IS NOT NULL \
           AND kind IN ('connection', 'deny') \
         GROUP BY src_ip HAVING count(*) >= {min} ORDER BY ports DESC, events DESC, ip LIMIT {top}",
        ports = d.count_distinct("dst_port"),
        hosts = d.count_distinct("dst_ip"),
        u = d.count_if("kind = 'connection' AND outcome = 'failure'"),
        dn = d.count_if("kind = 'deny'"),
        filter = p.filter.sql(d),
        min = p.min_events.max(1),
        top = p.top,
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p))?)
}
