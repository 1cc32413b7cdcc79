//! `crossover` on a hand-built store across Cowrie, ASA, IntelMQ, Zeek and sshd whose answers are
//! known by construction (see each address): order by risk, gaps either way, sightings of each
//! kind, an address seen on one side only, IPv6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_report::Params;
use ipscope_store::{InputProgress, Store, Table};

const SEC: i64 = 1_000_000;
const HOUR: i64 = 3600 * SEC;
/// 2026-11-02 00:00:00 UTC.
const D1: i64 = 1_793_577_600 * SEC;

// 1. Honeypot login, then production failure 2 h later, then an accepted password next day.
const A: &str = "198.51.100.10";
// 1. IPv6: in a feed first, a session on production three days later.
const B: &str = "2001:db8::66";
// 1. In a feed, then a VPN login on the ASA (production) 5 h later.
const H: &str = "192.0.2.70";
// 2. Got in on production first, seen by the honeypot a day later.
const C: &str = "203.0.113.20";
// 3. A firewall deny, then five failures an hour later.
const D: &str = "192.0.2.30";
// 4. Failures first, an unanswered Zeek connection (a scan) an hour later.
const E: &str = "198.51.100.40";
// Honeypot only; production only: not listed.
const F: &str = "198.51.100.50";
const G: &str = "198.51.100.60";

fn ev(ts: i64, format: SourceFormat, kind: EventKind, ip: &str, outcome: Option<Outcome>) -> Event {
    let mut e = Event::new(ts, format, kind);
    e.src_ip = Some(ip.parse().unwrap());
    e.outcome = outcome;
    e
}

fn store() -> Store {
    use EventKind::*;
    use SourceFormat::*;
    let (ok, fail) = (Some(Outcome::Success), Some(Outcome::Failure));
    let mut v = vec![
        ev(D1 + 10 * HOUR, Cowrie, Auth, A, fail),
        ev(D1 + 10 * HOUR + SEC, Cowrie, Command, A, None),
        ev(D1 + 12 * HOUR, Sshd, Auth, A, fail),
        ev(D1 + 32 * HOUR, Sshd, Auth, A, ok),
        ev(D1, Intelmq, FeedEvent, B, None),
        ev(D1 + 72 * HOUR, Sshd, SessionOpen, B, None),
        ev(D1 + HOUR, Intelmq, FeedEvent, H, None),
        ev(D1 + 6 * HOUR, Asa, Auth, H, ok),
        ev(D1 + 9 * HOUR, Sshd, Auth, C, ok),
        ev(D1 + 33 * HOUR, Cowrie, Auth, C, fail),
        ev(D1 + 8 * HOUR, Asa, Deny, D, None),
        ev(D1 + 7 * HOUR, Sshd, Auth, E, fail),
        ev(D1 + 8 * HOUR, ZeekConn, Connection, E, fail),
        // An answered Zeek connection is no scan sighting; neither is an sshd probe.
        ev(D1 + 7 * HOUR, ZeekConn, Connection, G, ok),
        ev(D1 + 7 * HOUR, Sshd, Connection, G, fail),
        ev(D1 + 8 * HOUR, Sshd, Auth, G, fail),
        ev(D1 + 5 * HOUR, Cowrie, Auth, F, ok),
        // A Cowrie success is no production success: F stays honeypot-only.
        ev(D1 + 5 * HOUR, Cowrie, SessionOpen, F, None),
    ];
    for i in 0..5 {
        v.push(ev(D1 + 9 * HOUR + i * SEC, Sshd, InvalidUser, D, None));
    }
    let mut s = Store::open_in_memory().unwrap();
    let mut p = InputProgress { path: "x".into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(b"x");
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &v).unwrap();
    s
}

fn run(s: &Store, p: &Params) -> Table {
    ipscope_report::run(ipscope_report::find("crossover").unwrap(), s, p).unwrap()
}

fn col(t: &Table, name: &str) -> Vec<String> {
    let i = t.column(name).unwrap_or_else(|| panic!("no {name} in {:?}", t.columns));
    t.rows.iter().map(|r| r[i].render()).collect()
}

#[test]
fn ranks_by_risk_with_gaps_and_sources() {
    let t = run(&store(), &Params::default());
    // The hourly rollups serve it (first times and counts per address and format / kind /
    // outcome): the same table as from the raw events.
    assert_eq!(run(&store(), &Params { rollups: false, ..Params::default() }), t);
    assert_eq!(col(&t, "ip"), [A, H, B, C, D, E]);
    assert_eq!(
        col(&t, "risk"),
        [
            "success-after-sighting",
            "success-after-sighting",
            "success-after-sighting",
            "success",
            "attempts-after-sighting",
            "attempts"
        ]
    );
    assert_eq!(col(&t, "outside"), ["honeypot", "feed", "feed", "honeypot", "firewall", "scan"]);
    assert_eq!(col(&t, "auth_sources"), ["sshd", "asa", "sshd", "sshd", "sshd", "sshd"]);
    assert_eq!(col(&t, "gap_hours"), ["2", "5", "72", "-24", "1", "-1"]);
    assert_eq!(col(&t, "attempts"), ["2", "1", "1", "1", "5", "1"]);
    assert_eq!(col(&t, "successes"), ["1", "1", "1", "1", "0", "0"]);
    assert_eq!(col(&t, "outside_events"), ["2", "1", "1", "1", "1", "1"]);
    assert_eq!(col(&t, "first_outside")[0], "2026-11-02 10:00:00");
    assert_eq!(col(&t, "first_auth")[0], "2026-11-02 12:00:00");
    assert_eq!(
        col(&t, "first_success"),
        ["2026-11-03 08:00:00", "2026-11-02 06:00:00", "2026-11-05 00:00:00", "2026-11-02 09:00:00", "", ""]
    );
}

#[test]
fn filters_and_top_apply() {
    let s = store();
    let t = run(&s, &Params { top: 2, ..Params::default() });
    assert_eq!(col(&t, "ip"), [A, H]);
    // A window that ends before the successes: A and B only tried (A) or were only sighted (B).
    let mut p = Params::default();
    p.filter.until = Some(D1 + 24 * HOUR);
    let t = run(&s, &p);
    assert_eq!(col(&t, "ip"), [H, D, A, E]);
    assert_eq!(
        col(&t, "risk"),
        ["success-after-sighting", "attempts-after-sighting", "attempts-after-sighting", "attempts"]
    );
    // --min-events: at least that many production events.
    let t = run(&s, &Params { min_events: 3, ..Params::default() });
    assert_eq!(col(&t, "ip"), [D]);
}
