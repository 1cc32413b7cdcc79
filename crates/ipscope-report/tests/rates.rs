//! `rates` and the blocklist on hand-built event sequences: window edges (exactly at the
//! threshold, one under, one second outside the window), what counts as hostile, IPv6 prefixes,
//! ban expiry, and the home networks and allow-list that are never listed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_report::blocklist::{self, ListFormat, ListParams};
use ipscope_report::reports::rates::{self, Threshold};
use ipscope_report::{HomeNets, Params};
use ipscope_store::{InputProgress, Store, Table};

const SEC: i64 = 1_000_000;
/// 2026-11-02 10:00:00 UTC.
const T0: i64 = 1_793_613_600 * SEC;

fn fail(ts: i64, ip: &str) -> Event {
    let mut e = Event::new(ts, SourceFormat::Sshd, EventKind::Auth);
    e.outcome = Some(Outcome::Failure);
    e.src_ip = Some(ip.parse().unwrap());
    e
}

fn store(events: &[Event]) -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let mut p = InputProgress { path: "rates".into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(b"rates");
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, events).unwrap();
    s
}

fn th(s: &str) -> Vec<Threshold> {
    s.split(',').map(|t| t.parse().unwrap()).collect()
}

fn rates(s: &Store, thresholds: &str) -> Table {
    let p = Params { thresholds: th(thresholds), top: 1000, ..Params::default() };
    ipscope_report::run(ipscope_report::find("rates").unwrap(), s, &p).unwrap()
}

fn sources(t: &Table) -> Vec<String> {
    let i = t.column("source").unwrap();
    let mut v: Vec<String> = t.rows.iter().map(|r| r[i].render()).collect();
    v.sort();
    v.dedup();
    v
}

/// Five failures `gap` seconds apart from `ip`, starting at `start`.
fn burst(v: &mut Vec<Event>, ip: &str, start: i64, n: i64, gap: i64) {
    for i in 0..n {
        v.push(fail(start + i * gap * SEC, ip));
    }
}

#[test]
fn window_edges() {
    let mut v = Vec::new();
    // 5 failures spanning exactly 600 s (0, 150, ..., 600): at the threshold ip:10m=5.
    burst(&mut v, "198.51.100.1", T0, 5, 150);
    // 5 failures spanning 601 s: one second outside the window.
    burst(&mut v, "198.51.100.2", T0, 4, 150);
    v.push(fail(T0 + 601 * SEC, "198.51.100.2"));
    // 4 failures within a minute: one under.
    burst(&mut v, "198.51.100.3", T0, 4, 10);
    // 6 failures within 10 minutes: one over.
    burst(&mut v, "198.51.100.4", T0, 6, 100);
    let s = store(&v);
    let t = rates(&s, "ip:10m=5");
    assert_eq!(sources(&t), ["198.51.100.1", "198.51.100.4"]);
    let row = |ip: &str| t.rows.iter().find(|r| r[1].render() == ip).unwrap().clone();
    let r1 = row("198.51.100.1");
    assert_eq!(r1[t.column("peak").unwrap()].render(), "5");
    assert_eq!(r1[t.column("first_crossed").unwrap()].render(), "2026-11-02 10:10:00");
    let r4 = row("198.51.100.4");
    assert_eq!(r4[t.column("peak").unwrap()].render(), "6");
    assert_eq!(r4[t.column("first_crossed").unwrap()].render(), "2026-11-02 10:06:40");
    assert_eq!(r4[t.column("last_crossed").unwrap()].render(), "2026-11-02 10:08:20");
    assert_eq!(r4[t.column("window").unwrap()].render(), "10m");
}

#[test]
fn only_hostile_events_count_unless_kinds_are_given() {
    let mut v = Vec::new();
    for i in 0..10 {
        // Accepted logins and sessions are not hostile.
        let mut ok = fail(T0 + i * SEC, "203.0.113.9");
        ok.outcome = Some(Outcome::Success);
        v.push(ok);
        let mut open = Event::new(T0 + i * SEC, SourceFormat::Sshd, EventKind::SessionOpen);
        open.src_ip = Some("203.0.113.9".parse().unwrap());
        v.push(open);
        // Denies, invalid users, honeypot logins (even successful ones) and probes are.
        let mut deny = Event::new(T0 + i * SEC, SourceFormat::Asa, EventKind::Deny);
        deny.src_ip = Some("203.0.113.10".parse().unwrap());
        v.push(deny);
        let mut hp = Event::new(T0 + i * SEC, SourceFormat::Cowrie, EventKind::Auth);
        hp.outcome = Some(Outcome::Success);
        hp.src_ip = Some("203.0.113.11".parse().unwrap());
        v.push(hp);
        let mut inv = Event::new(T0 + i * SEC, SourceFormat::Sshd, EventKind::InvalidUser);
        inv.src_ip = Some("203.0.113.12".parse().unwrap());
        v.push(inv);
        let mut probe = Event::new(T0 + i * SEC, SourceFormat::ZeekConn, EventKind::Connection);
        probe.outcome = Some(Outcome::Failure);
        probe.src_ip = Some("203.0.113.13".parse().unwrap());
        v.push(probe);
    }
    let s = store(&v);
    assert_eq!(sources(&rates(&s, "ip:1m=10")), ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"]);
    // --kind session_open: every event of that kind counts.
    let mut p = Params { thresholds: th("ip:1m=10"), top: 100, ..Params::default() };
    p.filter.kinds = vec![EventKind::SessionOpen];
    let t = ipscope_report::run(ipscope_report::find("rates").unwrap(), &s, &p).unwrap();
    assert_eq!(sources(&t), ["203.0.113.9"]);
}

#[test]
fn prefixes_add_up_their_addresses() {
    let mut v = Vec::new();
    // Ten IPv4 sources of one /24, 3 failures each within 5 minutes: no address crosses ip:5m=5,
    // the /24 crosses 24:5m=20 (30 events), and the /16 holds them plus one more /24's.
    for h in 1..=10 {
        burst(&mut v, &format!("192.0.2.{h}"), T0 + h * SEC, 3, 60);
    }
    burst(&mut v, "192.0.7.1", T0, 3, 60);
    // IPv6: two /48s of one /32, two addresses of 4 events each in each /48 (2001:db8:1:ffff::
    // is still inside 2001:db8:1::/48): 8 a /48, 16 in the /32, no address over ip:5m=5.
    for ip in ["2001:db8:1::1", "2001:db8:1:ffff::2", "2001:db8:2::1", "2001:db8:2::2"] {
        burst(&mut v, ip, T0, 4, 30);
    }
    let s = store(&v);
    let t = rates(&s, "ip:5m=5,24:5m=20,24:10m=8,16:5m=33,16:10m=16");
    let got: Vec<String> =
        t.rows.iter().map(|r| format!("{} {} {}", r[0].render(), r[1].render(), r[2].render())).collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(
        got_sorted,
        [
            "/16 192.0.0.0/16 10m",
            "/16 192.0.0.0/16 5m",
            "/24 192.0.2.0/24 10m",
            "/24 192.0.2.0/24 5m",
            "/32 2001:db8::/32 10m",
            "/48 2001:db8:1::/48 10m",
            "/48 2001:db8:2::/48 10m"
        ]
        .map(str::to_owned),
        "{got:?}"
    );
}

fn list(s: &Store, p: &Params, at: i64, ban: i64, allow: &[&str], aggregate: bool) -> Vec<String> {
    let l = ListParams {
        at,
        ban_secs: ban,
        allow: allow.iter().map(|a| a.parse().unwrap()).collect(),
        aggregate,
        thresholds: th("ip:10m=5,24:10m=12"),
    };
    let entries = blocklist::build(s, p, &l).unwrap();
    blocklist::render(&entries, ListFormat::Plain, "t").unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn bans_expire_and_home_and_allowed_networks_are_never_listed() {
    let mut v = Vec::new();
    burst(&mut v, "198.51.100.7", T0, 5, 10); // last crossing T0 + 40 s
    burst(&mut v, "198.51.100.8", T0 + 3600 * SEC, 5, 10); // an hour later
    burst(&mut v, "10.1.2.3", T0, 20, 1); // home
    burst(&mut v, "192.0.2.50", T0, 20, 1); // allowed
    burst(&mut v, "2001:db8::5", T0, 5, 1);
    // A /24 with one home address among its offenders: 203.0.113.0/24 minus 203.0.113.64/26.
    for h in [1, 2, 70, 130] {
        burst(&mut v, &format!("203.0.113.{h}"), T0, 3, 1);
    }
    let s = store(&v);
    let p = Params { home: HomeNets::parse_list("10.0.0.0/8,203.0.113.64/26").unwrap(), ..Params::default() };
    let ban = 1800;
    // Right after: all but home/allowed.
    let at = T0 + 60 * SEC;
    assert_eq!(
        list(&s, &p, at, ban, &["192.0.2.0/24"], false),
        ["198.51.100.7", "203.0.113.0/26", "203.0.113.128/25", "2001:db8::5"]
    );
    // Before 198.51.100.7's fifth failure: not yet (the others crossed at T0 + 2 s and + 4 s).
    assert_eq!(
        list(&s, &p, T0 + 39 * SEC, ban, &["192.0.2.0/24"], false),
        ["203.0.113.0/26", "203.0.113.128/25", "2001:db8::5"]
    );
    // The ban runs out 1800 s after the last crossing (T0 + 40 s): listed at T0 + 1839 s, not at 1840.
    assert!(list(&s, &p, T0 + 1839 * SEC, ban, &["192.0.2.0/24"], false).contains(&"198.51.100.7".to_owned()));
    assert!(!list(&s, &p, T0 + 1840 * SEC, ban, &["192.0.2.0/24"], false).contains(&"198.51.100.7".to_owned()));
    // An hour later: only the later offender (evaluated as of then: --at).
    assert_eq!(list(&s, &p, T0 + 3700 * SEC, ban, &[], false), ["198.51.100.8"]);
    // Without the allow-list, 192.0.2.50 is listed, inside its /24 (20 events, over 24:10m=12);
    // the home address and its /24 never are.
    let all = list(&s, &p, at, ban, &[], false);
    assert!(all.contains(&"192.0.2.0/24".to_owned()), "{all:?}");
    assert!(!all.contains(&"192.0.2.50".to_owned()));
    assert!(all.iter().all(|e| !e.starts_with("10.")));
}

#[test]
fn aggregate_merges_adjacent_entries() {
    let mut v = Vec::new();
    // Two adjacent /32s and two adjacent /24s.
    burst(&mut v, "198.51.100.6", T0, 5, 1);
    burst(&mut v, "198.51.100.7", T0, 5, 1);
    for net in ["203.0.112", "203.0.113"] {
        for h in 1..=4 {
            burst(&mut v, &format!("{net}.{}", h * 50), T0, 3, 1);
        }
    }
    let s = store(&v);
    let p = Params::default();
    let at = T0 + 60 * SEC;
    let plain = list(&s, &p, at, 600, &[], false);
    assert_eq!(plain, ["198.51.100.6", "198.51.100.7", "203.0.112.0/24", "203.0.113.0/24"]);
    let merged = list(&s, &p, at, 600, &[], true);
    assert_eq!(merged, ["198.51.100.6/31", "203.0.112.0/23"]);
}

#[test]
fn thresholds_are_parsed_and_checked() {
    assert!("ip:10m".parse::<Threshold>().is_err());
    assert_eq!(rates::default_thresholds().len(), rates::DEFAULT_THRESHOLDS.len());
    let s = store(&[fail(T0, "198.51.100.1")]);
    let l = ListParams { at: T0, ban_secs: 0, allow: Vec::new(), aggregate: false, thresholds: Vec::new() };
    assert!(blocklist::build(&s, &Params::default(), &l).is_err());
}
