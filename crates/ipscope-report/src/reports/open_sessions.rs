//! `open-sessions`: per (user, source address) from outside the home networks, session opens
//! minus closes when positive — sessions that are still open (or whose close was never
//! logged) — with the pair's total events.
//!
//! Two phases: the open/close balance needs only session events (few), the total events only
//! the pairs that survive — instead of grouping every event by (user, address).

use ipscope_store::{Query, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    let from = p.filter.from();
    let filter = format!(
        "{} AND username IS NOT NULL AND src_ip IS NOT NULL AND NOT {}",
        p.filter.sql(d),
        crate::sql_is_home(&p.home, d)
    );
    let opens = d.count_if("kind = 'session_open'");
    let closes = d.count_if("kind = 'session_close'");
    let mut w = d.ctes();
    let s = w.define(
        "s",
        format!(
            "SELECT username, src_ip, {opens} AS opens, {closes} AS closes \
             FROM {from} WHERE {filter} AND kind IN ('session_open', 'session_close') \
             GROUP BY username, src_ip HAVING {opens} > {closes}"
        ),
    );
    let n = w.define(
        "n",
        format!(
            "SELECT e.username, e.src_ip, count(*) AS events, min(e.ts) AS first_seen, max(e.ts) AS last_seen \
             FROM (SELECT username, src_ip, ts FROM {from} WHERE {filter}) e \
             JOIN {s} ON e.username = s.username AND e.src_ip = s.src_ip \
             GROUP BY e.username, e.src_ip"
        ),
    );
    w.query(&format!(
        "SELECT s.username AS user, s.src_ip AS ip, s.opens - s.closes AS open, s.opens, s.closes, \
           n.events, n.first_seen, n.last_seen \
         FROM {s} JOIN {n} ON s.username = n.username AND s.src_ip = n.src_ip \
         ORDER BY open DESC, n.events DESC, user, ip LIMIT {top}",
        top = p.top,
    ))
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p))?)
}
