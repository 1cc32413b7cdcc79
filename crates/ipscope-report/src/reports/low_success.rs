//! `low-success`: brute-force suspects. Per source address (or per user): password auth
//! attempts, sessions opened, and their ratio; listed when both are > 0 and
//! sessions / auths < the threshold (`-s`, default 0.05). By address, the users that were
//! granted sessions are listed; by user, the off-campus addresses that got sessions.

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{By, Dialect, Params, ReportError, Result};

pub fn sql(d: Dialect, p: &Params) -> String {
    let from = p.filter.from();
    let (col, label, list_col, list_label, list_cond) = match p.by {
        By::Ip | By::Kind | By::Format | By::Asn | By::Country | By::Taxonomy | By::Port | By::Prefix => {
            ("src_ip", "ip", "username", "session_users", "kind = 'session_open'".to_owned())
        }
        By::User => (
            "username",
            "user",
            "src_ip",
            "offcampus_session_ips",
            format!("kind = 'session_open' AND NOT {}", crate::sql_is_home(&p.home, d)),
        ),
    };
    let filter = format!("{} AND {col} IS NOT NULL AND kind IN ('auth', 'session_open')", p.filter.sql(d));
    // By address, the ranking is served by the rollups (see [`crate::rows`]); the users'
    // list of the top rows always comes from events.
    let rows = if col == "src_ip" { Rows::for_report(d, p, &p.filter, None) } else { Rows::events(from) };
    let mut w = d.ctes();
    let s = w.define(
        "s",
        format!(
            "SELECT {col}, {auths} AS auths, {sessions} AS sessions \
             FROM {ranked} WHERE {filter} GROUP BY {col} \
             HAVING auths > 0 AND sessions > 0 AND sessions < {ratio} * auths \
             ORDER BY sessions / auths, auths DESC, {col} LIMIT {top}",
            ranked = rows.from(),
            auths = rows.count_if(d, "kind = 'auth'"),
            sessions = rows.count_if(d, "kind = 'session_open'"),
            ratio = p.ratio,
            top = p.top,
        ),
    );
    let l = w.define(
        "l",
        format!(
            "SELECT {col}, {list} AS lst FROM {from} \
             WHERE {filter} AND {col} IN (SELECT {col} FROM {s}) GROUP BY {col}",
            list = d.list_distinct_if(list_col, &list_cond),
        ),
    );
    w.query(&format!(
        "SELECT s.{col} AS {label}, s.auths, s.sessions, round(s.sessions / s.auths, 4) AS ratio, \
           coalesce(l.lst, '') AS {list_label} \
         FROM {s} LEFT JOIN {l} ON s.{col} = l.{col} ORDER BY s.sessions / s.auths, s.auths DESC, s.{col}"
    ))
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    if !matches!(p.by, By::Ip | By::User) {
        return Err(ReportError::Invalid("low-success: --by ip or --by user".into()));
    }
    Ok(store.query(&sql(p.dialect, p))?)
}
