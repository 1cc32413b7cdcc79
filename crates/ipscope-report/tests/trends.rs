//! `trends` on a generated store with known linear growth per ASN: the least-squares slopes are
//! recovered within 1 %, exactly the rising ASNs are flagged rising, and the edge cases (new, gone,
//! one day of data, a window shorter than the data) get their documented flags.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use ipscope_event::{AddressInfo, Event, EventKind, Outcome, SourceFormat};
use ipscope_report::{By, Params};
use ipscope_store::{InputProgress, Store, Table, Value};

const SEC: i64 = 1_000_000;
const DAY: i64 = 86_400 * SEC;
/// 2026-11-02 00:00:00 UTC.
const DAY0: i64 = 1_793_577_600 * SEC;

/// `(asn, base, slope)`: events on day d = base + slope × d + jitter(d) (jitter in -1..=1).
const LINEAR: &[(u32, i64, i64)] = &[
    (64501, 100, 25),   // rising fast
    (64502, 40, 30),    // rising
    (64503, 300, 0),    // steady
    (64504, 600, -25),  // falling
    (64505, 500, 3),    // a slow rise: 0.6 % of the mean a day, steady
    (64506, 50, 100),   // rising steeply
    (64507, 1000, -40), // falling
];

fn jitter(d: i64, asn: u32) -> i64 {
    (d * 7 + i64::from(asn)) % 3 - 1
}

/// Per ASN, the daily counts (14 days) the store holds.
fn counts() -> BTreeMap<u32, Vec<i64>> {
    let mut m = BTreeMap::new();
    for &(asn, base, slope) in LINEAR {
        m.insert(asn, (0..14).map(|d| base + slope * d + jitter(d, asn)).collect());
    }
    // new: only the last two days; gone: only the first five; one day of data mid-window, and
    // on the last day.
    m.insert(64510, (0..14).map(|d| if d >= 12 { 20 } else { 0 }).collect());
    m.insert(64511, (0..14).map(|d| if d < 5 { 80 } else { 0 }).collect());
    m.insert(64512, (0..14).map(|d| if d == 6 { 300 } else { 0 }).collect());
    m.insert(64513, (0..14).map(|d| if d == 13 { 5 } else { 0 }).collect());
    m
}

fn store() -> Store {
    let mut events = Vec::new();
    let mut infos = Vec::new();
    for (asn, days) in counts() {
        // Three addresses per ASN, the ASN known from enrichment (the `addresses` table).
        let ips: Vec<std::net::IpAddr> =
            (1..=3).map(|h| format!("10.{}.{}.{h}", asn / 256 % 256, asn % 256).parse().unwrap()).collect();
        for ip in &ips {
            let mut a = AddressInfo::new(*ip);
            a.asn = Some(asn);
            a.as_org = Some(format!("Org {asn}"));
            infos.push(a);
        }
        for (d, n) in days.iter().enumerate() {
            for i in 0..*n {
                let mut e = Event::new(DAY0 + d as i64 * DAY + i * 7 * SEC, SourceFormat::Sshd, EventKind::Auth);
                e.outcome = Some(Outcome::Failure);
                e.src_ip = Some(ips[i as usize % 3]);
                e.dst_port = Some(22);
                events.push(e);
            }
        }
    }
    let mut s = Store::open_in_memory().unwrap();
    s.store_addresses(vec![ipscope_store::prepare_addresses(&infos, DAY0).unwrap()], false).unwrap();
    let mut p =
        InputProgress { path: "trends".into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(b"trends");
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &events).unwrap();
    s
}

fn run(s: &Store, p: &Params) -> Table {
    ipscope_report::run(ipscope_report::find("trends").unwrap(), s, p).unwrap()
}

fn cell<'a>(t: &'a Table, row: &'a [Value], col: &str) -> &'a Value {
    &row[t.column(col).unwrap_or_else(|| panic!("no {col} in {:?}", t.columns))]
}

#[test]
fn recovers_linear_slopes_and_flags_exactly_the_rising_asns() {
    let s = store();
    let p = Params { by: By::Asn, top: 100, ..Params::default() };
    let t = run(&s, &p);
    assert_eq!(t.rows.len(), counts().len());
    let mut flags = BTreeMap::new();
    for row in &t.rows {
        let asn = u32::try_from(cell(&t, row, "asn").as_i64().unwrap()).unwrap();
        let flag = cell(&t, row, "flag").render();
        assert_eq!(cell(&t, row, "as_org").render(), format!("Org {asn}"));
        if let Some(&(_, _, slope)) = LINEAR.iter().find(|(a, _, _)| *a == asn) {
            let got = cell(&t, row, "slope").as_f64().unwrap();
            if slope == 0 {
                assert!(got.abs() < 0.25, "AS{asn}: slope {got}, expected ~0");
            } else {
                let err = (got - slope as f64).abs() / (slope as f64).abs();
                assert!(err < 0.01, "AS{asn}: slope {got}, expected {slope} (error {:.2} %)", err * 100.0);
            }
        }
        // Counts and totals are the generated ones.
        let want = &counts()[&asn];
        assert_eq!(cell(&t, row, "events").as_f64().unwrap() as i64, want.iter().sum::<i64>());
        let shown: Vec<i64> = cell(&t, row, "counts").render().split(',').map(|c| c.parse().unwrap()).collect();
        assert_eq!(&shown, want, "AS{asn}");
        flags.insert(asn, flag);
    }
    let rising: Vec<u32> = flags.iter().filter(|(_, f)| *f == "rising").map(|(a, _)| *a).collect();
    assert_eq!(rising, [64501, 64502, 64506]);
    let falling: Vec<u32> = flags.iter().filter(|(_, f)| *f == "falling").map(|(a, _)| *a).collect();
    assert_eq!(falling, [64504, 64507]);
    assert_eq!(flags[&64503], "steady");
    assert_eq!(flags[&64505], "steady");
    assert_eq!(flags[&64510], "new");
    assert_eq!(flags[&64511], "gone");
    // One day of data: in the middle, quiet since (gone); on the last day, new.
    assert_eq!(flags[&64512], "gone");
    assert_eq!(flags[&64513], "new");
    // Ranked by slope, steepest rise first.
    let slopes: Vec<f64> = t.rows.iter().map(|r| cell(&t, r, "slope").as_f64().unwrap()).collect();
    assert!(slopes.windows(2).all(|w| w[0] >= w[1]), "{slopes:?}");
    assert_eq!(cell(&t, &t.rows[0], "asn").as_i64(), Some(64506));
}

#[test]
fn last_day_against_the_median() {
    let s = store();
    let t = run(&s, &Params { by: By::Asn, top: 100, ..Params::default() });
    let row = t.rows.iter().find(|r| cell(&t, r, "asn").as_i64() == Some(64503)).unwrap();
    let c = &counts()[&64503];
    let mut sorted = c.clone();
    sorted.sort_unstable();
    let median = (sorted[6] + sorted[7]) as f64 / 2.0;
    let want = ((c[13] as f64 - median) / median * 1000.0).round() / 10.0;
    assert_eq!(cell(&t, row, "median").as_f64(), Some(median));
    assert_eq!(cell(&t, row, "last_vs_median_pct").as_f64(), Some(want));
    assert_eq!(cell(&t, row, "first_day").render(), "2026-11-02");
}

#[test]
fn a_shorter_window_ends_with_the_newest_day() {
    let s = store();
    // --days 4: the last four days only (days 10..13). AS64511 (first five days) is gone from
    // the window entirely; AS64510 (days 12, 13) had events before the last (recent) day now, so
    // it is a rise, no longer new.
    let p = Params { by: By::Asn, top: 100, days: 4, ..Params::default() };
    let t = run(&s, &p);
    let asns: Vec<i64> = t.rows.iter().map(|r| cell(&t, r, "asn").as_i64().unwrap()).collect();
    assert!(!asns.contains(&64511) && !asns.contains(&64512));
    let row = t.rows.iter().find(|r| cell(&t, r, "asn").as_i64() == Some(64510)).unwrap();
    assert_eq!(cell(&t, row, "counts").render(), "0,0,20,20");
    assert_eq!(cell(&t, row, "flag").render(), "rising");
    assert_eq!(cell(&t, row, "first_day").render(), "2026-11-12");
    let row = t.rows.iter().find(|r| cell(&t, r, "asn").as_i64() == Some(64513)).unwrap();
    assert_eq!(cell(&t, row, "flag").render(), "new");
    // --until: the window ends the day before.
    let mut p = Params { by: By::Asn, top: 100, days: 3, ..Params::default() };
    p.filter.until = Some(DAY0 + 5 * DAY);
    let t = run(&s, &p);
    let row = t.rows.iter().find(|r| cell(&t, r, "asn").as_i64() == Some(64511)).unwrap();
    assert_eq!(cell(&t, row, "counts").render(), "80,80,80");
}

#[test]
fn other_dimensions() {
    let s = store();
    let t = run(&s, &Params { by: By::Port, ..Params::default() });
    assert_eq!(t.columns[0], "port");
    assert_eq!(t.rows.len(), 1);
    let t = run(&s, &Params { by: By::Prefix, prefix_v4: 24, top: 100, ..Params::default() });
    assert_eq!(t.rows.len(), counts().len());
    assert!(
        t.rows.iter().all(|r| r[0].render().starts_with("10.25") && r[0].render().ends_with(".0/24")),
        "{:?}",
        t.rows
    );
    let t = run(&s, &Params { by: By::Prefix, prefix_v4: 16, top: 100, ..Params::default() });
    let nets: Vec<String> = t.rows.iter().map(|r| r[0].render()).collect();
    assert_eq!(nets.len(), 2, "{nets:?}");
    assert!(nets.contains(&"10.251.0.0/16".to_owned()) && nets.contains(&"10.252.0.0/16".to_owned()));
    let t = run(&s, &Params { by: By::Format, ..Params::default() });
    assert_eq!(t.rows[0][0].render(), "sshd");
    // The chart: the daily series of the top keys, zeros included.
    let c = ipscope_report::chart_table(
        ipscope_report::find("trends").unwrap(),
        &s,
        &Params { by: By::Asn, top: 3, ..Params::default() },
    )
    .unwrap()
    .unwrap();
    assert_eq!(c.columns, ["day", "key", "events"]);
    assert_eq!(c.rows.len(), 3 * 14);
    assert!(c.rows.iter().any(|r| r[1].render() == "64506 Org 64506"));
}

#[test]
fn an_empty_store_has_no_trends() {
    let s = Store::open_in_memory().unwrap();
    let t = run(&s, &Params::default());
    assert!(t.rows.is_empty());
    assert_eq!(t.columns[0], "ip");
}
