//! The connection, honeypot and feed reports on a fixture whose answers are known by
//! construction (see the comments next to each group of events).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_report::Params;
use ipscope_store::{InputProgress, Store, Table, Value};

const SEC: i64 = 1_000_000;
const HOUR: i64 = 3_600 * SEC;
const DAY: i64 = 24 * HOUR;
/// 2026-11-02 00:00:00 UTC, a Monday.
const DAY1: i64 = 1_793_577_600 * SEC;

const S1: &str = "198.51.100.9"; // port scanner: 22, 23, 80 unanswered, 445 denied twice
const S2: &str = "203.0.113.7"; // one answered web connection, one unanswered DNS query
const H: &str = "192.0.2.50"; // honeypot attacker: 3 failed logins, 1 success, commands, a download
const TARGET: &str = "10.0.0.5";

fn ev(format: SourceFormat, kind: EventKind, ts: i64, src: &str) -> Event {
    let mut e = Event::new(ts, format, kind);
    e.src_ip = Some(src.parse().unwrap());
    e
}

fn conn(ts: i64, src: &str, port: u16, proto: &str, outcome: Outcome, kind: EventKind) -> Event {
    let mut e = ev(SourceFormat::ZeekConn, kind, ts, src);
    e.dst_ip = Some(TARGET.parse().unwrap());
    e.dst_port = Some(port);
    e.proto = Some(proto.into());
    e.outcome = Some(outcome);
    e
}

fn feed(ts: i64, src: &str, taxonomy: &str, asn: u32, cc: &str) -> Event {
    let mut e = ev(SourceFormat::Intelmq, EventKind::FeedEvent, ts, src);
    e.taxonomy = Some(taxonomy.into());
    e.class_type = Some(if taxonomy == "vulnerable" { "vulnerable-system" } else { "brute-force" }.into());
    e.identifier = Some(if taxonomy == "vulnerable" { "open-rdp" } else { "ssh" }.into());
    e.asn = Some(asn);
    e.as_org = Some(format!("AS-{asn}"));
    e.geo.country_code = Some(cc.into());
    e.feed_provider = Some("Shadowserver".into());
    e.feed_name = Some("honeypot".into());
    e
}

fn fixture() -> Store {
    use EventKind::*;
    use Outcome::*;
    let t = DAY1 + 10 * HOUR; // Monday 10:00
    let mut v = vec![
        conn(t, S1, 22, "tcp", Failure, Connection),
        conn(t + SEC, S1, 23, "tcp", Failure, Connection),
        conn(t + 2 * SEC, S1, 80, "tcp", Failure, Connection),
        conn(t + 3 * SEC, S1, 445, "tcp", Failure, Deny),
        conn(t + DAY, S1, 445, "tcp", Failure, Deny), // Tuesday
        conn(t, S2, 80, "tcp", Success, Connection),
        conn(t + DAY, S2, 53, "udp", Failure, Connection), // Tuesday
    ];
    // Bytes for `services`: S2's web connection sent 100 and got 5000 back; the DNS query 40/0.
    v[5].src_bytes = Some(100);
    v[5].dst_bytes = Some(5000);
    v[6].src_bytes = Some(40);
    v[6].dst_bytes = Some(0);
    let cowrie = |ts: i64, kind, user: &str, password: &str, outcome| {
        let mut e = ev(SourceFormat::Cowrie, kind, ts, H);
        e.user = Some(user.into());
        e.password = Some(password.into()).filter(|p: &String| !p.is_empty());
        e.outcome = outcome;
        e
    };
    let h = DAY1 + 20 * HOUR; // Monday 20:00, attempts 10 s apart
    v.push(cowrie(h, Auth, "root", "123456", Some(Failure)));
    v.push(cowrie(h + 10 * SEC, Auth, "root", "123456", Some(Failure)));
    v.push(cowrie(h + 20 * SEC, Auth, "root", "123456", Some(Failure)));
    v.push(cowrie(h + 30 * SEC, Auth, "root", "admin", Some(Success)));
    for (i, outcome) in [None, None, Some(Failure)].into_iter().enumerate() {
        let mut c = cowrie(h + (40 + i as i64) * SEC, Command, "root", "", outcome);
        c.detail = Some("uname -a".into());
        c.session = Some("abc123".into());
        v.push(c);
    }
    let mut d = cowrie(h + 50 * SEC, Download, "root", "", Some(Success));
    d.detail = Some("http://198.51.100.66/bot.sh".into());
    d.file_hash = Some("5d41402abc4b2a76b9719d911017c592".into());
    v.push(d);
    v.push(feed(DAY1 + HOUR, "198.18.0.1", "intrusion-attempts", 64500, "NL"));
    v.push(feed(DAY1 + 2 * HOUR, "198.18.0.1", "intrusion-attempts", 64500, "NL"));
    v.push(feed(DAY1 + DAY + HOUR, "198.18.0.2", "vulnerable", 64501, "DE"));
    assert_eq!(v.len(), 18);

    let mut store = Store::open_in_memory().unwrap();
    let mut p = InputProgress { path: "fixture".into(), format: "zeek_conn".into(), bytes: 1, ..Default::default() };
    p.set_head(b"fixture");
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &v).unwrap();
    store
}

fn run(store: &Store, name: &str, p: &Params) -> Table {
    ipscope_report::run(ipscope_report::find(name).unwrap(), store, p).unwrap()
}

/// Selected columns of every row, `|`-joined.
fn cols(t: &Table, names: &[&str]) -> Vec<String> {
    let idx: Vec<usize> =
        names.iter().map(|n| t.column(n).unwrap_or_else(|| panic!("no {n} in {:?}", t.columns))).collect();
    t.rows.iter().map(|r| idx.iter().map(|&i| r[i].render()).collect::<Vec<_>>().join("|")).collect()
}

#[test]
fn scans_count_unanswered_connections_and_denies_per_day_and_port() {
    let t = run(&fixture(), "scans", &Params::default());
    assert_eq!(
        cols(&t, &["day", "port", "unanswered", "denies", "ips"]),
        [
            "2026-11-02|22|1|0|1",
            "2026-11-02|23|1|0|1",
            "2026-11-02|80|1|0|1", // S2's answered port-80 connection does not count
            "2026-11-02|445|0|1|1",
            "2026-11-03|53|1|0|1",
            "2026-11-03|445|0|1|1",
        ]
    );
    let t = run(&fixture(), "scans", &Params { top: 1, ..Params::default() });
    assert_eq!(cols(&t, &["day", "port"]), ["2026-11-02|22", "2026-11-03|53"], "top -N ports per day");
}

#[test]
fn scanners_rank_sources_by_distinct_ports() {
    let t = run(&fixture(), "scanners", &Params::default());
    assert_eq!(
        cols(&t, &["ip", "ports", "hosts", "events", "unanswered", "denies"]),
        [format!("{S1}|4|1|5|3|2"), format!("{S2}|2|1|2|1|0")]
    );
}

#[test]
fn ports_and_protocols() {
    let store = fixture();
    let t = run(&store, "ports", &Params::default());
    assert_eq!(
        cols(&t, &["port", "proto", "events", "ips", "denies"]),
        ["80|tcp|2|2|0", "445|tcp|2|1|2", "22|tcp|1|1|0", "23|tcp|1|1|0", "53|udp|1|1|0"]
    );
    let t = run(&store, "protocols", &Params::default());
    assert_eq!(cols(&t, &["proto", "events", "ips", "denies", "ports"]), ["tcp|6|2|2|4", "udp|1|1|0|1"]);
}

#[test]
fn attackers_profile_attempts_severity_and_mean_gap() {
    let t = run(&fixture(), "attackers", &Params::default());
    assert_eq!(
        cols(&t, &["ip", "attempts", "successes", "first_attempt", "last_attempt", "severity", "mean_gap_s"]),
        [format!("{H}|4|1|2026-11-02 20:00:00|2026-11-02 20:00:30|medium|10")]
    );
}

#[test]
fn credentials_commands_downloads() {
    let store = fixture();
    let t = run(&store, "credentials", &Params::default());
    assert_eq!(cols(&t, &["user", "password", "events", "successes"]), ["root|123456|3|0", "root|admin|1|1"]);
    let t = run(&store, "commands", &Params::default());
    assert_eq!(cols(&t, &["command", "events", "sessions"]), ["uname -a|2|1"], "the failed re-log is not counted");
    let t = run(&store, "downloads", &Params::default());
    assert_eq!(
        cols(&t, &["url", "hash", "events", "failed"]),
        ["http://198.51.100.66/bot.sh|5d41402abc4b2a76b9719d911017c592|1|0"]
    );
}

#[test]
fn feed_reports_taxonomy_asns_countries_feeds_and_trend() {
    let store = fixture();
    let t = run(&store, "taxonomy", &Params::default());
    assert_eq!(
        cols(&t, &["day", "taxonomy", "type", "identifier", "events", "ips"]),
        ["2026-11-02|intrusion-attempts|brute-force|ssh|2|1", "2026-11-03|vulnerable|vulnerable-system|open-rdp|1|1"]
    );
    let t = run(&store, "asns", &Params::default());
    assert_eq!(cols(&t, &["asn", "as_org", "events", "ips"]), ["64500|AS-64500|2|1", "64501|AS-64501|1|1"]);
    let mut p = Params::default();
    p.filter.taxonomies = vec!["vulnerable".into()];
    assert_eq!(cols(&run(&store, "asns", &p), &["asn"]), ["64501"], "asns narrowed to one taxonomy");
    assert_eq!(cols(&run(&store, "top-asns", &p), &["asn"]), ["64501"], "top ASNs of one taxonomy");
    let r = ipscope_report::find("top-asns").unwrap();
    assert!(ipscope_report::run(r, &store, &Params::default()).is_err(), "top-asns needs --taxonomy");
    let t = run(&store, "countries", &Params::default());
    assert_eq!(cols(&t, &["country", "events"]), ["NL|2", "DE|1"]);
    let t = run(&store, "feeds", &Params::default());
    assert_eq!(cols(&t, &["provider", "asn", "events", "feeds"]), ["Shadowserver|64500|2|1", "Shadowserver|64501|1|1"]);
    let r = ipscope_report::find("asn-trend").unwrap();
    assert!(ipscope_report::run(r, &store, &Params::default()).is_err(), "asn-trend needs --asn");
    let mut p = Params::default();
    p.filter.asns = vec![64500];
    assert_eq!(cols(&run(&store, "asn-trend", &p), &["day", "events"]), ["2026-11-02|2"]);
}

#[test]
fn activity_is_hour_by_weekday() {
    let t = run(&fixture(), "activity", &Params::default());
    assert_eq!(t.columns, ["hour", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "total"]);
    // Monday 10:00: S1's 4 + S2's 1; Tuesday 10:00: S1's deny + S2's DNS query.
    let ten = t.rows.iter().find(|r| r[0] == Value::Int(10)).unwrap();
    assert_eq!(ten.iter().map(Value::render).collect::<Vec<_>>().join(" "), "10 5 2 0 0 0 0 0 7");
    let total: i64 = t.rows.iter().map(|r| r[8].as_i64().unwrap()).sum();
    assert_eq!(total, 18);
}

#[test]
fn services_sum_bytes_per_group_and_bucket_for_one_host() {
    let store = fixture();
    let p = Params { host: Some(TARGET.parse().unwrap()), ..Params::default() };
    let t = run(&store, "services", &p);
    assert_eq!(
        cols(&t, &["period", "service", "connections", "bytes_in", "bytes_out", "clients"]),
        [
            "2026-11-02 00:00:00|other|1|0|0|1", // port 23
            "2026-11-02 00:00:00|ssh|1|0|0|1",
            "2026-11-02 00:00:00|web|2|100|5000|2",
            "2026-11-03 00:00:00|dns|1|40|0|1",
        ]
    );
    let p = Params { host: Some(TARGET.parse().unwrap()), bucket: ipscope_report::Bucket::Hour, ..Params::default() };
    assert_eq!(cols(&run(&store, "services", &p), &["period", "service"])[0], "2026-11-02 10:00:00|other");
    let p = Params { host: Some("10.9.9.9".parse().unwrap()), ..Params::default() };
    assert!(run(&store, "services", &p).rows.is_empty(), "another host has no connections");
    let p = Params { service_groups: vec![("telnet".into(), vec![23])], ..Params::default() };
    let t = run(&store, "services", &p);
    assert_eq!(cols(&t, &["service", "connections"])[1], "telnet|1", "configured groups replace the defaults");
}
