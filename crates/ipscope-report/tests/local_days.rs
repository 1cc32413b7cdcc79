//! `--tz`: per-day and per-hour reports in a zone, checked against Python's `zoneinfo` (an
//! independent implementation of the tz database) on events around midnights and both DST changes
//! of 2026 in Chicago and Berlin, and a half-hour zone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_report::{Params, Zone};
use ipscope_store::{InputProgress, Store, Table, Value};

const SEC: i64 = 1_000_000;
const HOUR: i64 = 3600 * SEC;

fn utc(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
}

/// Events: one per hour from 2026-03-06 to 2026-03-11 and from 2026-10-30 to 2026-11-04 (both
/// DST changes in America/Chicago, and Berlin's spring one on 03-29 is covered separately), plus
/// pairs one second either side of UTC midnights and of Chicago's midnights.
fn instants() -> Vec<i64> {
    let mut v = Vec::new();
    for (from, hours) in
        [("2026-03-06T00:00:00Z", 6 * 24), ("2026-10-30T00:00:00Z", 6 * 24), ("2026-03-27T00:00:00Z", 4 * 24)]
    {
        let start = utc(from);
        // Not on the hour: 17 min 3 s past, so bucket edges are not hit by accident.
        v.extend((0..hours).map(|h| start + h * HOUR + 17 * 60 * SEC + 3 * SEC));
    }
    for midnight in [
        "2026-03-08T00:00:00Z",
        "2026-03-08T06:00:00Z",
        "2026-03-09T05:00:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-02T06:00:00Z",
    ] {
        let m = utc(midnight);
        v.extend([m - SEC, m, m + SEC]);
    }
    v
}

fn store(ts: &[i64]) -> Store {
    let events: Vec<Event> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut e = Event::new(*t, SourceFormat::Sshd, EventKind::Auth);
            e.outcome = Some(Outcome::Failure);
            // Two addresses, alternating: distinct counts per day are checked too.
            e.src_ip = Some(if i % 2 == 0 { "198.51.100.1" } else { "198.51.100.2" }.parse().unwrap());
            e
        })
        .collect();
    let mut s = Store::open_in_memory().unwrap();
    let mut p = InputProgress { path: "tz".into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(b"tz");
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &events).unwrap();
    s
}

/// `(local date, hour, ISO weekday)` of each instant in `zone`, by Python's zoneinfo.
fn python_local(zone: &str, ts: &[i64]) -> Vec<(String, i64, i64)> {
    let script = r#"
import sys, zoneinfo, datetime
z = zoneinfo.ZoneInfo(sys.argv[1])
for line in sys.stdin:
    t = datetime.datetime.fromtimestamp(int(line) // 1000000, tz=datetime.timezone.utc).astimezone(z)
    print(t.date().isoformat(), t.hour, t.isoweekday())
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, zone])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (with zoneinfo, 3.9+) is needed for this test");
    {
        let mut stdin = child.stdin.take().unwrap();
        for t in ts {
            writeln!(stdin, "{t}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.split(' ');
            (f.next().unwrap().to_owned(), f.next().unwrap().parse().unwrap(), f.next().unwrap().parse().unwrap())
        })
        .collect()
}

fn run(s: &Store, name: &str, tz: &str) -> Table {
    let p = Params { tz: tz.parse::<Zone>().unwrap(), ..Params::default() };
    ipscope_report::run(ipscope_report::find(name).unwrap(), s, &p).unwrap()
}

/// `daily` in `zone` equals the per-day counts (events and distinct addresses) of Python's
/// local dates.
fn daily_matches_python(zone: &str) -> BTreeMap<String, i64> {
    let ts = instants();
    let s = store(&ts);
    let local = python_local(zone, &ts);
    let mut want: BTreeMap<String, (i64, std::collections::BTreeSet<usize>)> = BTreeMap::new();
    for (i, (day, _, _)) in local.iter().enumerate() {
        let e = want.entry(day.clone()).or_default();
        e.0 += 1;
        e.1.insert(i % 2);
    }
    let t = run(&s, "daily", zone);
    let got: BTreeMap<String, (i64, i64)> =
        t.rows.iter().map(|r| (r[0].render(), (r[2].as_i64().unwrap(), r[3].as_i64().unwrap()))).collect();
    let want_counts: BTreeMap<String, (i64, i64)> =
        want.iter().map(|(d, (n, ips))| (d.clone(), (*n, ips.len() as i64))).collect();
    assert_eq!(got, want_counts, "daily in {zone}");
    want.into_iter().map(|(d, (n, _))| (d, n)).collect()
}

#[test]
fn daily_in_chicago_equals_zoneinfo() {
    daily_matches_python("America/Chicago");
}

#[test]
fn dst_days_have_23_and_25_hours() {
    // One event an hour, 2026-03-07 00:00 to 2026-03-09 23:00 Chicago time (71 hours), and
    // 2026-10-31 00:00 to 2026-11-02 23:00 (73 hours).
    let mut ts: Vec<i64> = (0..71).map(|h| utc("2026-03-07T06:00:00Z") + h * HOUR).collect();
    ts.extend((0..73).map(|h| utc("2026-10-31T05:00:00Z") + h * HOUR));
    let t = run(&store(&ts), "daily", "America/Chicago");
    let got: Vec<String> = t.rows.iter().map(|r| format!("{} {}", r[0].render(), r[2].render())).collect();
    assert_eq!(
        got,
        ["2026-03-07 24", "2026-03-08 23", "2026-03-09 24", "2026-10-31 24", "2026-11-01 25", "2026-11-02 24"]
    );
    // The same events in UTC: 24 a day (the first and last days cut by the range).
    let t = run(&store(&ts), "daily", "UTC");
    assert!(t.rows.iter().skip(1).take(2).all(|r| r[2].as_i64() == Some(24)));
}

#[test]
fn daily_in_berlin_and_kolkata_equals_zoneinfo() {
    daily_matches_python("Europe/Berlin");
    daily_matches_python("Asia/Kolkata");
    daily_matches_python("UTC");
}

#[test]
fn activity_in_chicago_equals_zoneinfo() {
    let ts = instants();
    let s = store(&ts);
    let mut want = BTreeMap::new();
    for (_, hour, dow) in python_local("America/Chicago", &ts) {
        *want.entry((hour, dow)).or_insert(0i64) += 1;
    }
    let t = run(&s, "activity", "America/Chicago");
    let mut got = BTreeMap::new();
    for r in &t.rows {
        let hour = r[0].as_i64().unwrap();
        for (dow, v) in r.iter().enumerate().skip(1).take(7) {
            let n = v.as_i64().unwrap();
            if n > 0 {
                got.insert((hour, dow as i64), n);
            }
        }
    }
    assert_eq!(got, want);
}

#[test]
fn hour_buckets_follow_the_wall_clock() {
    // timeline --bucket hour in Chicago: the repeated 01:00 of 2026-11-01 is one bucket of two
    // hours, the skipped 02:00 of 2026-03-08 has none — as Python's local (date, hour) says.
    let ts = instants();
    let s = store(&ts);
    let p = Params {
        tz: "America/Chicago".parse().unwrap(),
        bucket: ipscope_report::Bucket::Hour,
        by: ipscope_report::By::Kind,
        ..Params::default()
    };
    let t = ipscope_report::run(ipscope_report::find("timeline").unwrap(), &s, &p).unwrap();
    let got: BTreeMap<String, i64> =
        t.rows.iter().map(|r| (r[0].render()[..13].to_owned(), r[2].as_i64().unwrap())).collect();
    let mut want = BTreeMap::new();
    for (day, hour, _) in python_local("America/Chicago", &ts) {
        *want.entry(format!("{day} {hour:02}")).or_insert(0i64) += 1;
    }
    assert_eq!(got, want);
    assert_eq!(got["2026-11-01 01"], 2);
    assert!(!got.contains_key("2026-03-08 02"));
}

#[test]
fn since_and_until_bound_the_scan_for_transitions() {
    // A window inside one offset: one segment, no CASE.
    let s = store(&instants());
    let mut p = Params { tz: "America/Chicago".parse().unwrap(), ..Params::default() };
    p.filter.since = Some(utc("2026-03-10T00:00:00Z"));
    p.filter.until = Some(utc("2026-03-11T00:00:00Z"));
    let lt = ipscope_report::LocalTime::for_report(&s, &p).unwrap();
    assert_eq!(lt.segments(), [(i64::MIN, -5 * 3600)]);
    // Open window: the stored range, both 2026 changes.
    p.filter.since = None;
    p.filter.until = None;
    let lt = ipscope_report::LocalTime::for_report(&s, &p).unwrap();
    assert_eq!(lt.segments().len(), 3);
    let t = run(&s, "daily", "America/Chicago");
    assert!(matches!(t.rows[0][0], Value::Date(_)));
}
