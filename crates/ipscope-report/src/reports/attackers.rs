//! `attackers`: honeypot-style attacker profiles per source address — login attempts,
//! successes, first/last seen, severity band by attempts (`low` < 3, `medium` 3–499,
//! `high` ≥ 500), mean seconds between attempts, and where it comes from: country, region, city,
//! coordinates, ASN and organisation (a feed's values, else enrichment's `addresses`).

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    let from = p.filter.from();
    format!(
        "SELECT t.ip, attempts, successes, first_attempt, last_attempt, \
           CASE WHEN attempts < 3 THEN 'low' WHEN attempts < 500 THEN 'medium' ELSE 'high' END AS severity, \
           CASE WHEN attempts > 1 THEN round({secs} / (attempts - 1), 1) END AS mean_gap_s, \
           coalesce(t.country, a.country_code) AS country, a.region, a.city, a.latitude, a.longitude, \
           coalesce(t.own_asn, a.asn) AS asn, coalesce(t.own_org, a.as_org) AS as_org \
         FROM (\
           SELECT src_ip AS ip, count(*) AS attempts, {ok} AS successes, \
             min(ts) AS first_attempt, max(ts) AS last_attempt, \
             max(country_code) AS country, max(asn) AS own_asn, max(as_org) AS own_org \
           FROM {from} WHERE {filter} AND src_ip IS NOT NULL AND kind = 'auth' \
           GROUP BY src_ip HAVING count(*) >= {min} ORDER BY attempts DESC, ip LIMIT {top}\
         ) t LEFT JOIN {addresses} a ON a.ip = t.ip \
         ORDER BY attempts DESC, t.ip",
        addresses = d.addresses(),
        secs = d.seconds_between("first_attempt", "last_attempt"),
        ok = d.count_if("outcome = 'success'"),
        filter = p.filter.sql(d),
        min = p.min_events.max(1),
        top = p.top,
    )
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p))?)
}
