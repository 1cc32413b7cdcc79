//! `activity --attacker-time`: hours and weekdays in each source's own zone (from enrichment, or a
//! feed's own value), checked against Python's `zoneinfo` — a half-hour zone, DST changes, a
//! zone east of the date line; sources without a zone are left out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use ipscope_event::{AddressInfo, Event, EventKind, Outcome, SourceFormat};
use ipscope_report::Params;
use ipscope_store::{InputProgress, Store};

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;

fn utc(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
}

/// (address, zone from enrichment)
const SOURCES: &[(&str, Option<&str>)] = &[
    ("198.51.100.1", Some("Asia/Kolkata")),
    ("198.51.100.2", Some("America/Chicago")),
    ("2001:db8::3", Some("Pacific/Auckland")),
    ("198.51.100.4", Some("Europe/London")),
    ("198.51.100.5", None),
];

#[test]
fn hours_in_each_sources_zone_equal_zoneinfo() {
    // Every 37 minutes from 2026-10-24 to 2026-11-05: across Chicago's and London's autumn
    // changes; Kolkata's +05:30 splits UTC hours.
    let start = utc("2026-10-24T00:00:00Z");
    let mut events = Vec::new();
    let mut expect_input = String::new();
    for i in 0..(12 * 24 * 60 / 37) {
        let ts = start + i * 37 * MIN + 7 * SEC;
        let (ip, zone) = SOURCES[i as usize % SOURCES.len()];
        let mut e = Event::new(ts, SourceFormat::Sshd, EventKind::Auth);
        e.outcome = Some(Outcome::Failure);
        e.src_ip = Some(ip.parse().unwrap());
        events.push(e);
        if let Some(z) = zone {
            expect_input.push_str(&format!("{z} {ts}\n"));
        }
    }
    // A feed event carries its own zone (Asia/Tokyo) for an address enrichment knows nothing of.
    let ts = utc("2026-10-30T15:00:00Z");
    let mut feed = Event::new(ts, SourceFormat::Intelmq, EventKind::FeedEvent);
    feed.src_ip = Some("203.0.113.9".parse().unwrap());
    feed.geo.time_zone = Some("Asia/Tokyo".into());
    events.push(feed);
    expect_input.push_str(&format!("Asia/Tokyo {ts}\n"));

    let mut s = Store::open_in_memory().unwrap();
    let infos: Vec<AddressInfo> = SOURCES
        .iter()
        .map(|(ip, z)| {
            let mut a = AddressInfo::new(ip.parse().unwrap());
            a.geo.time_zone = z.map(str::to_owned);
            a
        })
        .collect();
    s.store_addresses(vec![ipscope_store::prepare_addresses(&infos, 0).unwrap()], false).unwrap();
    let mut p = InputProgress { path: "at".into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(b"at");
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &events).unwrap();

    let script = r#"
import sys, zoneinfo, datetime
for line in sys.stdin:
    z, us = line.split()
    t = datetime.datetime.fromtimestamp(int(us) // 1000000, tz=datetime.timezone.utc).astimezone(zoneinfo.ZoneInfo(z))
    print(t.hour, t.isoweekday())
"#;
    let mut child =
        Command::new("python3").args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(expect_input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let mut want: BTreeMap<(i64, usize), i64> = BTreeMap::new();
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        let (h, d) = l.split_once(' ').unwrap();
        *want.entry((h.parse().unwrap(), d.parse().unwrap())).or_default() += 1;
    }

    let p = Params { attacker_time: true, ..Params::default() };
    let t = ipscope_report::run(ipscope_report::find("activity").unwrap(), &s, &p).unwrap();
    assert_eq!(t.columns, ["hour", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "total"]);
    let mut got = BTreeMap::new();
    let mut total = 0;
    for r in &t.rows {
        let hour = r[0].as_i64().unwrap();
        for (dow, v) in r.iter().enumerate().skip(1).take(7) {
            let n = v.as_i64().unwrap();
            if n > 0 {
                got.insert((hour, dow), n);
            }
        }
        total += r[8].as_i64().unwrap();
    }
    assert_eq!(got, want);
    // The zone-less source's events are not counted.
    assert_eq!(total, expect_input.lines().count() as i64);
    assert!(total < events.len() as i64);
    // Without the flag, the same events by UTC hour: a different grid.
    let utc_grid = ipscope_report::run(ipscope_report::find("activity").unwrap(), &s, &Params::default()).unwrap();
    assert_ne!(utc_grid.rows, t.rows);
}
