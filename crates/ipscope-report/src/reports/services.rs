//! `services`: connections and bytes per service group (ports grouped by name: web = 80+443,
//! ssh = 22+7322, ...) per hour or day (UTC, or local with `--tz`), for the connections *to* one host (`--host`) or to all.
//! Bytes in = sent by the clients (`src_bytes`), bytes out = sent back (`dst_bytes`).

use ipscope_store::{Query, Table};

use crate::{Dialect, LocalTime, Params, Result};

/// The default service groups (the Zeek seed's): name → destination ports.
pub const DEFAULT_GROUPS: &[(&str, &[u16])] =
    &[("web", &[80, 443]), ("ssh", &[22, 7322]), ("imaps", &[993]), ("dns", &[53]), ("smtp", &[25, 587])];

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> String {
    let from = p.filter.from();
    let mut case = String::from("CASE");
    for (name, ports) in &p.service_groups {
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        case.push_str(&format!(" WHEN dst_port IN ({}) THEN {}", list.join(", "), d.string(name)));
    }
    case.push_str(" ELSE 'other' END");
    let host = match &p.host {
        Some(h) => format!("dst_ip = {}", d.string(&h.to_string())),
        None => d.bool(true).to_owned(),
    };
    format!(
        "SELECT {bucket} AS period, {case} AS service, count(*) AS connections, \
           coalesce(sum(src_bytes), 0) AS bytes_in, coalesce(sum(dst_bytes), 0) AS bytes_out, {ips} AS clients \
         FROM {from} WHERE {filter} AND kind = 'connection' AND dst_port IS NOT NULL AND {host} \
         GROUP BY {keys} ORDER BY {keys}",
        keys = d.keys(&["period", "service"]),
        bucket = d.truncate(p.bucket, &lt.sql(d, "ts")),
        ips = d.count_distinct("src_ip"),
        filter = p.filter.sql(d),
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(p.dialect, p, &lt))?)
}
