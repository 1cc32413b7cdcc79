//! `open-sessions`: per (user, source address) from outside the home networks, session opens
//! minus closes when positive — sessions that are still open (or whose close was never
//! logged) — with the pair's total events.

use ipscope_store::{Store, Table};

use crate::{Dialect, Params, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    format!(
        "SELECT username AS user, src_ip AS ip, {opens} - {closes} AS open, {opens} AS opens, \
           {closes} AS closes, count(*) AS events, min(ts) AS first_seen, max(ts) AS last_seen \
         FROM events WHERE {filter} AND username IS NOT NULL AND src_ip IS NOT NULL AND NOT {home} \
         GROUP BY username, src_ip HAVING {opens} > {closes} \
         ORDER BY open DESC, events DESC, user, ip LIMIT {top}",
        opens = d.count_if("kind = 'session_open'"),
        closes = d.count_if("kind = 'session_close'"),
        filter = p.filter.sql(d),
        home = p.home.sql_is_home(d),
        top = p.top,
    )
}

pub fn run(store: &Store, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(Dialect::DuckDb, p))?)
}
