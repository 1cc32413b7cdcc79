//! Report correctness on a fixture whose answers are known by construction (see the comments
//! next to each source address). Edge cases: addresses with sessions but zero auths, equal
//! timestamps, IPv6, adjacent /24s, an event at midnight and one a microsecond before it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_report::{By, HomeNets, Params};
use ipscope_store::{InputProgress, Store, Table, Value};

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;
const SEC: i64 = 1_000_000;
/// 2026-11-02 00:00:00 UTC, a Monday.
const DAY1: i64 = 1_793_577_600 * SEC;

const A: &str = "198.51.100.7"; // brute-forcer that gets in: 100 failures, 1 success, 1 session
const B: &str = "203.0.113.5"; // alice: 10 auths, 1 session opened and closed
const C: &str = "2001:db8:1::5"; // IPv6: 3 failures at the very same instant
const D: &str = "10.1.2.3"; // home: bob, 2 opens 1 close, no auths
const E: &str = "203.0.113.200"; // same /24 as B: 5 invalid-user probes, no auths
const F: &str = "203.0.114.1"; // the adjacent /24: 1 auth at midnight
const G: &str = "198.51.100.8"; // alice again, off campus: 1 session never closed

fn ev(ts: i64, kind: EventKind, ip: &str, user: &str, outcome: Option<Outcome>) -> Event {
    let mut e = Event::new(ts, SourceFormat::Sshd, kind);
    e.src_ip = Some(ip.parse().unwrap());
    e.user = Some(user.to_owned());
    e.outcome = outcome;
    e.sensor = Some("fixture".into());
    e
}

fn fixture() -> Store {
    use EventKind::*;
    let fail = Some(Outcome::Failure);
    let ok = Some(Outcome::Success);
    let mut v = Vec::new();
    for i in 0..60 {
        v.push(ev(DAY1 + 10 * HOUR + i * SEC, Auth, A, "root", fail));
    }
    for i in 0..40 {
        v.push(ev(DAY1 + DAY + 10 * HOUR + i * SEC, Auth, A, "admin", fail));
    }
    v.push(ev(DAY1 + 2 * DAY + 10 * HOUR - SEC, Auth, A, "admin", ok));
    v.push(ev(DAY1 + 2 * DAY + 10 * HOUR, SessionOpen, A, "admin", None));
    for i in 0..10 {
        v.push(ev(DAY1 + 12 * HOUR + i * SEC, Auth, B, "alice", if i == 9 { ok } else { fail }));
    }
    v.push(ev(DAY1 + 13 * HOUR, SessionOpen, B, "alice", None));
    v.push(ev(DAY1 + 14 * HOUR, SessionClose, B, "alice", None));
    for _ in 0..3 {
        v.push(ev(DAY1 + DAY + 8 * HOUR, Auth, C, "test", fail));
    }
    v.push(ev(DAY1 + 9 * HOUR, SessionOpen, D, "bob", None));
    v.push(ev(DAY1 + 10 * HOUR, SessionClose, D, "bob", None));
    v.push(ev(DAY1 + DAY + 9 * HOUR, SessionOpen, D, "bob", None));
    for i in 0..5 {
        v.push(ev(DAY1 + DAY + 11 * HOUR + i * SEC, InvalidUser, E, "oracle", None));
    }
    v.push(ev(DAY1 + 2 * DAY, Auth, F, "pi", fail));
    v.push(ev(DAY1 + 3 * DAY - 1, SessionOpen, G, "alice", None));
    assert_eq!(v.len(), 127);

    let mut store = Store::open_in_memory().unwrap();
    let mut p =
        InputProgress { path: "fixture".into(), format: "sshd".into(), bytes: 1, lines: 127, ..Default::default() };
    p.set_head(b"fixture");
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &v).unwrap();
    store
}

fn run(store: &Store, name: &str, p: &Params) -> Table {
    ipscope_report::run(ipscope_report::find(name).unwrap(), store, p).unwrap()
}

/// The rows rendered as text, for compact exact comparisons.
fn rows(t: &Table) -> Vec<String> {
    t.rows.iter().map(|r| r.iter().map(Value::render).collect::<Vec<_>>().join(" | ")).collect()
}

fn col(t: &Table, name: &str) -> Vec<String> {
    let i = t.column(name).unwrap_or_else(|| panic!("no column {name} in {:?}", t.columns));
    t.rows.iter().map(|r| r[i].render()).collect()
}

#[test]
fn daily_counts_events_and_distinct_ips_per_utc_day() {
    let t = run(&fixture(), "daily", &Params::default());
    assert_eq!(t.columns, ["day", "weekday", "events", "ips"]);
    assert_eq!(
        rows(&t),
        ["2026-11-02 | Monday | 74 | 3", "2026-11-03 | Tuesday | 49 | 4", "2026-11-04 | Wednesday | 4 | 3"]
    );
}

#[test]
fn top_ips_ranks_by_events_with_ties_broken_by_address() {
    let t = run(&fixture(), "top-ips", &Params::default());
    assert_eq!(
        t.columns,
        [
            "ip",
            "events",
            "users",
            "first_seen",
            "last_seen",
            "period_days",
            "per_day",
            "sessions",
            "sources",
            "country",
            "as_org",
            "prefix"
        ]
    );
    assert_eq!(col(&t, "ip"), [A, B, E, D, C, G, F]);
    assert_eq!(col(&t, "events"), ["102", "12", "5", "3", "3", "1", "1"]);
    assert_eq!(col(&t, "users"), ["2", "1", "1", "1", "1", "1", "1"]);
    assert_eq!(col(&t, "sessions"), ["1", "1", "0", "2", "0", "1", "0"]);
    // A: first 2026-11-02 10:00, last 2026-11-04 10:00 → 2 days, 51 events per day.
    assert_eq!(
        rows(&t)[0],
        format!("{A} | 102 | 2 | 2026-11-02 10:00:00 | 2026-11-04 10:00:00 | 2 | 51 | 1 | sshd |  |  | ")
    );
    // C: three events at one instant → period 0, per day = events (never divided by < 1 day).
    assert_eq!(
        rows(&t)[4],
        format!("{C} | 3 | 1 | 2026-11-03 08:00:00 | 2026-11-03 08:00:00 | 0 | 3 | 0 | sshd |  |  | ")
    );
}

#[test]
fn top_ips_honours_top_min_events_and_filters() {
    let store = fixture();
    let p = Params { top: 2, ..Params::default() };
    assert_eq!(col(&run(&store, "top-ips", &p), "ip"), [A, B]);
    let p = Params { min_events: 4, ..Params::default() };
    assert_eq!(col(&run(&store, "top-ips", &p), "ip"), [A, B, E]);
    let mut p = Params::default();
    p.filter.kinds = vec![EventKind::SessionOpen];
    assert_eq!(col(&run(&store, "top-ips", &p), "ip"), [D, A, G, B]);
    let mut p = Params::default();
    p.filter.since = Some(DAY1 + 2 * DAY);
    assert_eq!(col(&run(&store, "top-ips", &p), "ip"), [A, G, F]);
    p.filter.until = Some(DAY1 + 3 * DAY - 1);
    assert_eq!(col(&run(&store, "top-ips", &p), "ip"), [A, F]);
}

#[test]
fn top_users_counts_distinct_addresses() {
    let t = run(&fixture(), "top-users", &Params::default());
    assert_eq!(col(&t, "user"), ["root", "admin", "alice", "oracle", "bob", "test", "pi"]);
    assert_eq!(col(&t, "events"), ["60", "42", "13", "5", "3", "3", "1"]);
    assert_eq!(col(&t, "ips"), ["1", "1", "2", "1", "1", "1", "1"]);
}

#[test]
fn low_success_by_ip_needs_both_counts_positive_and_ratio_below_threshold() {
    let store = fixture();
    let t = run(&store, "low-success", &Params::default());
    assert_eq!(t.columns, ["ip", "auths", "sessions", "ratio", "session_users"]);
    assert_eq!(rows(&t), [format!("{A} | 101 | 1 | 0.0099 | admin")]);
    let t = run(&store, "low-success", &Params { ratio: 0.2, ..Params::default() });
    // B's ratio is exactly 0.1 < 0.2; D has sessions but no auths and never appears.
    assert_eq!(col(&t, "ip"), [A, B]);
    let t = run(&store, "low-success", &Params { ratio: 0.1, ..Params::default() });
    assert_eq!(col(&t, "ip"), [A], "the threshold is strict");
}

#[test]
fn low_success_by_user_lists_off_campus_session_addresses() {
    let store = fixture();
    let home = HomeNets::parse_list("10.0.0.0/8").unwrap();
    let p = Params { by: By::User, home: home.clone(), ..Params::default() };
    let t = run(&store, "low-success", &p);
    assert_eq!(t.columns, ["user", "auths", "sessions", "ratio", "offcampus_session_ips"]);
    assert_eq!(rows(&t), [format!("admin | 41 | 1 | 0.0244 | {A}")]);
    let p = Params { by: By::User, home, ratio: 0.5, ..Params::default() };
    let t = run(&store, "low-success", &p);
    assert_eq!(rows(&t)[1], format!("alice | 10 | 2 | 0.2 | {G},{B}"));
}

#[test]
fn open_sessions_excludes_home_networks_and_balanced_pairs() {
    let store = fixture();
    let p = Params { home: HomeNets::parse_list("10.0.0.0/8").unwrap(), ..Params::default() };
    let t = run(&store, "open-sessions", &p);
    assert_eq!(col(&t, "user"), ["admin", "alice"]);
    assert_eq!(col(&t, "ip"), [A, G]);
    assert_eq!(col(&t, "open"), ["1", "1"]);
    assert_eq!(col(&t, "events"), ["42", "1"]);
    let t = run(&store, "open-sessions", &Params::default());
    assert_eq!(col(&t, "ip"), [A, D, G], "without home networks bob's session counts");
    assert_eq!(col(&t, "open"), ["1", "1", "1"]);
}

#[test]
fn nets_groups_by_prefix_v4_and_v6() {
    let store = fixture();
    let t = run(&store, "nets", &Params::default());
    assert_eq!(t.columns, ["prefix", "events", "ips", "users", "sessions", "first_seen", "last_seen"]);
    assert_eq!(
        col(&t, "prefix"),
        ["198.51.100.0/24", "203.0.113.0/24", "10.1.2.0/24", "2001:db8:1::/48", "203.0.114.0/24"]
    );
    assert_eq!(col(&t, "events"), ["103", "17", "3", "3", "1"]);
    assert_eq!(col(&t, "ips"), ["2", "2", "1", "1", "1"]);
    let t = run(&store, "nets", &Params { prefix_v4: 16, prefix_v6: 32, ..Params::default() });
    assert_eq!(col(&t, "prefix"), ["198.51.0.0/16", "203.0.0.0/16", "10.1.0.0/16", "2001:db8::/32"]);
    assert_eq!(col(&t, "events"), ["103", "18", "3", "3"]);
    let t = run(&store, "nets", &Params { prefix_v4: 0, ..Params::default() });
    assert_eq!(col(&t, "prefix")[0], "0.0.0.0/0");
    assert_eq!(col(&t, "events")[0], "124");
}

#[test]
fn nets_drill_down_lists_addresses_inside_one_prefix() {
    let store = fixture();
    let p = Params { drill: Some("203.0.113.0/24".parse().unwrap()), ..Params::default() };
    let t = run(&store, "nets", &p);
    assert_eq!(col(&t, "ip"), [B, E]);
    let p = Params { drill: Some("2001:db8::/32".parse().unwrap()), ..Params::default() };
    assert_eq!(col(&run(&store, "nets", &p), "ip"), [C]);
}

#[test]
fn invalid_parameters_are_refused() {
    let store = fixture();
    let r = ipscope_report::find("low-success").unwrap();
    for ratio in [0.0, -1.0, 1.5, f64::NAN] {
        assert!(ipscope_report::run(r, &store, &Params { ratio, ..Params::default() }).is_err(), "{ratio}");
    }
    assert!(ipscope_report::run(r, &store, &Params { prefix_v4: 33, ..Params::default() }).is_err());
}

#[test]
fn timeline_counts_per_bucket_and_kind_or_format() {
    let store = fixture();
    let p = Params { bucket: ipscope_report::Bucket::Day, ..Params::default() };
    let t = run(&store, "timeline", &p);
    assert_eq!(t.columns, ["time", "kind", "events"]);
    // Day 1: A 60 + B 10 auths, B 1 open + 1 close, D 1 open + 1 close; day 2: A 40, C 3 auths,
    // D 1 open, E 5 invalid users; day 3: A 1 auth + 1 open, F 1 auth at midnight, G 1 open a
    // microsecond before the next midnight.
    assert_eq!(
        rows(&t),
        [
            "2026-11-02 00:00:00 | auth | 70",
            "2026-11-02 00:00:00 | session_close | 2",
            "2026-11-02 00:00:00 | session_open | 2",
            "2026-11-03 00:00:00 | auth | 43",
            "2026-11-03 00:00:00 | invalid_user | 5",
            "2026-11-03 00:00:00 | session_open | 1",
            "2026-11-04 00:00:00 | auth | 2",
            "2026-11-04 00:00:00 | session_open | 2",
        ]
    );
    let p = Params { bucket: ipscope_report::Bucket::Hour, by: By::Format, ..Params::default() };
    let t = run(&store, "timeline", &p);
    assert_eq!(t.columns, ["time", "format", "events"]);
    let total: i64 = t.rows.iter().map(|r| r[2].as_i64().unwrap()).sum();
    assert_eq!(total, 127);
    // A's 60 failures at 10:00 on day 1 and D's close: one hour bucket.
    assert_eq!(rows(&t)[1], "2026-11-02 10:00:00 | sshd | 61");
    let p = Params { bucket: ipscope_report::Bucket::Minute, by: By::User, ..Params::default() };
    assert!(ipscope_report::run(ipscope_report::find("timeline").unwrap(), &store, &p).is_err());
}

#[test]
fn recent_lists_the_latest_events_newest_first() {
    let t = run(&fixture(), "recent", &Params { top: 3, ..Params::default() });
    // G's open a microsecond before midnight, A's session at 10:00 and its success a second before.
    assert_eq!(col(&t, "src_ip"), [G, A, A]);
    assert_eq!(col(&t, "kind"), ["session_open", "session_open", "auth"]);
    assert_eq!(col(&t, "ts")[0], "2026-11-04 23:59:59.999999");
}

#[test]
fn summary_and_sensors_say_what_the_store_holds() {
    let store = fixture();
    let t = run(&store, "summary", &Params::default());
    assert_eq!(
        rows(&t),
        [
            "sshd | auth | 115 | 2026-11-02 10:00:00 | 2026-11-04 09:59:59",
            "sshd | invalid_user | 5 | 2026-11-03 11:00:00 | 2026-11-03 11:00:04",
            "sshd | session_close | 2 | 2026-11-02 10:00:00 | 2026-11-02 14:00:00",
            "sshd | session_open | 5 | 2026-11-02 09:00:00 | 2026-11-04 23:59:59.999999",
        ]
    );
    let t = run(&store, "sensors", &Params::default());
    assert_eq!(col(&t, "sensor"), ["fixture"]);
    assert_eq!(col(&t, "events"), ["127"]);
}

#[test]
fn src_narrows_every_report_to_addresses_and_networks() {
    let store = fixture();
    let only = |nets: &[&str]| Params {
        filter: ipscope_report::Filter { src: nets.iter().map(|n| n.parse().unwrap()).collect(), ..Default::default() },
        ..Params::default()
    };
    // One address (given as a /32 or a /128).
    assert_eq!(col(&run(&store, "top-ips", &only(&["198.51.100.7/32"])), "events"), ["102"]);
    assert_eq!(col(&run(&store, "top-ips", &only(&["2001:db8:1::5/128"])), "ip"), [C]);
    // A network: B and E share 203.0.113.0/24; F is in the next /24.
    assert_eq!(col(&run(&store, "top-ips", &only(&["203.0.113.0/24"])), "ip"), [B, E]);
    assert_eq!(col(&run(&store, "top-ips", &only(&["203.0.112.0/23"])), "ip"), [B, E]);
    assert_eq!(col(&run(&store, "top-ips", &only(&["203.0.113.0/24", "203.0.114.0/24"])), "ip"), [B, E, F]);
    assert_eq!(col(&run(&store, "top-ips", &only(&["2001:db8::/32"])), "ip"), [C]);
    // An IPv6 network the stored number cannot tell apart is refused, not answered wrongly.
    let p = only(&["2001:db8:1::/96"]);
    assert!(ipscope_report::run(ipscope_report::find("top-ips").unwrap(), &store, &p).is_err());
}
