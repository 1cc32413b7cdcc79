//! `crossover`: addresses seen on the outside — by a honeypot (Cowrie), a firewall deny, a scan
//! (an unanswered Zeek connection) or a CERT feed (IntelMQ / Shadowserver) — that also appear in
//! the production authentication logs (sshd, iptracking, ASA logins: attempts, invalid users,
//! sessions), above all those that got in.
//!
//! Per address: its first outside sighting and the kinds of sighting, its first production
//! authentication event, the gap between the two (hours; negative when production saw it
//! first), attempts, successes (an accepted password / key or an opened session) and the first
//! of them. Ranked by risk:
//! 1. `success-after-sighting` — got in after it had been seen outside: the blocklist or the feed
//!    could have stopped it;
//! 2. `success` — got in, seen outside only later;
//! 3. `attempts-after-sighting` — tried after it had been seen outside;
//! 4. `attempts` — tried, seen outside only later;
//!
//! then by attempts (most first) and address.

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{Dialect, Params, Result};

/// Outside sightings, and their category.
pub const OUTSIDE: &str = "(format = 'cowrie' OR kind = 'deny' OR format = 'intelmq' OR (format = 'zeek_conn' AND kind = 'connection' AND outcome = 'failure'))";
const CATEGORY: &str = "CASE WHEN format = 'cowrie' THEN 'honeypot' WHEN kind = 'deny' THEN 'firewall' \
     WHEN format = 'intelmq' THEN 'feed' ELSE 'scan' END";
/// Production authentication events.
pub const PRODUCTION: &str =
    "(format IN ('sshd', 'iptracking', 'asa') AND kind IN ('auth', 'key_auth', 'invalid_user', 'session_open'))";
/// A production success: an accepted authentication or an opened session.
pub const SUCCESS: &str = "((kind IN ('auth', 'key_auth') AND outcome = 'success') OR kind = 'session_open')";

/// Served by the rollups (see [`crate::rows`]): every figure is a count or a first time per
/// address and format / kind / outcome.
pub fn sql(d: Dialect, p: &Params) -> String {
    let rows = Rows::for_report(d, p, &p.filter, None);
    let from = rows.from();
    let count = rows.count(d);
    let filter = format!("{} AND src_ip IS NOT NULL", p.filter.sql(d));
    let mut w = d.ctes();
    let o = w.define(
        "o",
        format!(
            "SELECT src_ip, {first} AS first_outside, {count} AS outside_events, {cats} AS outside \
             FROM {from} WHERE {filter} AND {OUTSIDE} GROUP BY src_ip",
            cats = d.list_distinct_if(CATEGORY, d.bool(true)),
            first = rows.first(),
        ),
    );
    let a = w.define(
        "a",
        format!(
            "SELECT src_ip, {first} AS first_auth, {count} AS attempts, {succ} AS successes, \
               {first_succ} AS first_success, {formats} AS auth_sources \
             FROM {from} WHERE {filter} AND {PRODUCTION} GROUP BY src_ip HAVING {count} >= {min}",
            first = rows.first(),
            succ = rows.count_if(d, SUCCESS),
            first_succ = d.min_if_or_null(rows.first_column(), SUCCESS),
            formats = d.list_distinct_if(&d.text("format"), d.bool(true)),
            min = p.min_events.max(1),
        ),
    );
    let j = w.define(
        "j",
        format!(
            "SELECT o.src_ip AS ip, \
               CASE WHEN a.successes > 0 AND a.first_success > o.first_outside THEN 1 \
                    WHEN a.successes > 0 THEN 2 WHEN a.first_auth > o.first_outside THEN 3 ELSE 4 END AS tier, \
               o.first_outside, o.outside, o.outside_events, a.first_auth, a.auth_sources, \
               round({gap} / 3600.0, 2) AS gap_hours, a.attempts, a.successes, a.first_success \
             FROM {o} JOIN {a} ON a.src_ip = o.src_ip",
            gap = d.seconds_between("o.first_outside", "a.first_auth"),
        ),
    );
    w.query(&format!(
        "SELECT ip, CASE tier WHEN 1 THEN 'success-after-sighting' WHEN 2 THEN 'success' \
             WHEN 3 THEN 'attempts-after-sighting' ELSE 'attempts' END AS risk, \
           first_outside, outside, outside_events, first_auth, auth_sources, gap_hours, attempts, successes, first_success \
         FROM {j} ORDER BY tier, attempts DESC, ip LIMIT {top}",
        top = p.top,
    ))
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    Ok(store.query(&sql(p.dialect, p))?)
}
