//! Geo reports aggregate per address first, then join the enrichment (`addresses`). Their answer
//! must equal the one-step form over `events_geo` on data that mixes everything that could tell
//! the two apart: feed events without an address (each with its own country / ASN / prefix), an
//! address seen both in logs and in a feed that names another country, addresses with and
//! without coordinates in one city, and `--asn` on a feed's ASN and on an enriched one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{AddressInfo, Event, EventKind, SourceFormat};
use ipscope_report::reports::groups::{self, GroupBy};
use ipscope_report::{Dialect, Params};
use ipscope_store::{InputProgress, Store, Table, prepare_addresses, prepare_batch};

const T: i64 = 1_793_577_600_000_000; // 2026-11-02

fn auth(ts: i64, ip: &str) -> Event {
    let mut e = Event::new(ts, SourceFormat::Sshd, EventKind::Auth);
    e.src_ip = Some(ip.parse().unwrap());
    e
}

fn feed(ts: i64, ip: Option<&str>, cc: &str, asn: u32, prefix: &str) -> Event {
    let mut e = Event::new(ts, SourceFormat::Intelmq, EventKind::FeedEvent);
    e.src_ip = ip.map(|i| i.parse().unwrap());
    e.geo.country_code = Some(cc.into());
    e.asn = Some(asn);
    e.as_org = Some(format!("AS-{asn}"));
    e.prefix = Some(prefix.into());
    e.feed_provider = Some(if asn.is_multiple_of(2) { "Shadowserver" } else { "abuse.ch" }.into());
    e.feed_name = Some("blocklist".into());
    e
}

fn info(ip: &str, cc: &str, city: &str, lat: Option<f64>, asn: u32, prefix: &str) -> AddressInfo {
    let mut i = AddressInfo::new(ip.parse().unwrap());
    i.geo.country_code = Some(cc.into());
    i.geo.country_name = Some(format!("Country {cc}"));
    i.geo.continent = Some("EU".into());
    i.geo.city = Some(city.into());
    i.geo.region = Some(format!("Region of {city}"));
    i.geo.latitude = lat;
    i.geo.longitude = lat.map(|l| l / 2.0);
    i.asn = Some(asn);
    i.as_org = Some(format!("Org {asn}"));
    i.prefix = Some(prefix.into());
    i
}

fn store() -> Store {
    let mut events = vec![
        // Feed events without an address: each keeps its own values.
        feed(T, None, "DE", 3320, "1.2.3.0/24"),
        feed(T + 1, None, "US", 7922, "5.6.7.0/24"),
        feed(T + 2, None, "US", 7922, "5.6.7.0/24"),
        // 192.0.2.10: three sshd attempts (enriched GB) and one feed event saying XX.
        feed(T + 3, Some("192.0.2.10"), "XX", 64500, "192.0.2.0/24"),
    ];
    events.extend((0..3).map(|i| auth(T + 10 + i, "192.0.2.10")));
    // Two addresses in one city, one without coordinates; one more in another city.
    events.extend((0..3).map(|i| auth(T + 20 + i, "198.51.100.7")));
    events.push(auth(T + 30, "198.51.100.8"));
    events.extend((0..2).map(|i| auth(T + 40 + i, "203.0.113.5")));
    let infos = vec![
        info("192.0.2.10", "GB", "London", Some(51.5), 2856, "192.0.2.0/23"),
        info("198.51.100.7", "SE", "Linköping", Some(58.4), 29518, "198.51.100.0/24"),
        info("198.51.100.8", "SE", "Linköping", None, 29518, "198.51.100.0/24"),
        info("203.0.113.5", "SE", "Umeå", Some(63.8), 29518, "203.0.113.0/24"),
    ];
    let mut s = Store::open_in_memory().unwrap();
    let batch = prepare_batch(&events, 1).unwrap().with_addresses(prepare_addresses(&infos, T).unwrap());
    let mut progress = InputProgress { id: 1, path: "fixture".into(), format: "mixed".into(), ..Default::default() };
    s.commit_batch(&mut progress, batch).unwrap();
    s
}

fn rows(t: &Table) -> Vec<String> {
    t.rows.iter().map(|r| r.iter().map(|v| v.render()).collect::<Vec<_>>().join(" | ")).collect()
}

fn check(s: &Store, name: &str, g: &GroupBy, p: &Params) -> Vec<String> {
    let two = s.query(&groups::sql(Dialect::DuckDb, p, g)).unwrap();
    let one = s.query(&groups::one_step_sql(Dialect::DuckDb, p, g, "events_geo")).unwrap();
    assert_eq!(two.columns, one.columns, "{name}");
    assert_eq!(rows(&two), rows(&one), "{name}: two-step differs from the one-step form");
    rows(&two)
}

#[test]
fn two_step_geo_reports_equal_the_one_step_form() {
    let s = store();
    let cases: [(&str, &GroupBy); 6] = [
        ("countries", &groups::countries::GROUP),
        ("cities", &groups::cities::GROUP),
        ("continents", &groups::continents::GROUP),
        ("asns", &groups::asns::GROUP),
        ("feeds", &groups::feeds::GROUP),
        ("registered_nets", &groups::registered_nets::GROUP),
    ];
    let mut compared = 0;
    for (name, g) in cases {
        assert!(!check(&s, name, g, &Params::default()).is_empty(), "{name}: empty, the comparison proves nothing");
        for asn in [7922, 64500, 29518] {
            let mut p = Params::default();
            p.filter.asns = vec![asn];
            compared += check(&s, &format!("{name} --asn {asn}"), g, &p).len();
        }
        let p = Params { min_events: 3, ..Params::default() };
        check(&s, &format!("{name} --min-events 3"), g, &p);
    }
    assert!(compared >= 10, "the --asn cases compared only {compared} rows");
}

#[test]
fn feed_values_win_per_event_and_null_coordinates_do_not_pull_the_mean() {
    let s = store();
    let countries = check(&s, "countries", &groups::countries::GROUP, &Params::default());
    let count_of = |cc: &str| countries.iter().find(|r| r.starts_with(&format!("{cc} |"))).cloned();
    // SE: 3 + 1 + 2 events from three addresses.
    assert!(count_of("SE").unwrap().starts_with("SE | 6 | 3 |"), "{countries:?}");
    // The address's three sshd events are GB; its one feed event is XX.
    assert!(count_of("GB").unwrap().starts_with("GB | 3 | 1 |"), "{countries:?}");
    assert!(count_of("XX").unwrap().starts_with("XX | 1 | 1 |"), "{countries:?}");
    // Feed events without an address keep their countries: US twice, DE once, no address.
    assert!(count_of("US").unwrap().starts_with("US | 2 | 0 |"), "{countries:?}");
    assert!(count_of("DE").unwrap().starts_with("DE | 1 | 0 |"), "{countries:?}");

    let cities = s.query(&groups::sql(Dialect::DuckDb, &Params::default(), &groups::cities::GROUP)).unwrap();
    let lat = cities.column("latitude").unwrap();
    let linkoping = cities.rows.iter().find(|r| r[1].render() == "Linköping").unwrap();
    // 3 events at 58.4 and 1 without coordinates: the mean is 58.4, not 43.8.
    assert_eq!(linkoping[lat].render(), "58.4");
}

/// A geo report whose key no address and no event has (databases without continents) skips
/// its scan and prints the same empty table the full query gives.
#[test]
fn a_key_nothing_has_gives_the_same_empty_table() {
    let mut info = AddressInfo::new("192.0.2.10".parse().unwrap());
    info.geo.country_code = Some("SE".into());
    let events: Vec<Event> = (0..5).map(|i| auth(T + i, "192.0.2.10")).collect();
    let mut s = Store::open_in_memory().unwrap();
    let batch = prepare_batch(&events, 1).unwrap().with_addresses(prepare_addresses(&[info], T).unwrap());
    let mut progress = InputProgress { id: 1, path: "fixture".into(), format: "sshd".into(), ..Default::default() };
    s.commit_batch(&mut progress, batch).unwrap();
    let p = Params::default();
    let g = &groups::continents::GROUP;
    let fast = groups::run(&s, &p, g).unwrap();
    let full = s.query(&groups::sql(Dialect::DuckDb, &p, g)).unwrap();
    assert_eq!(fast.columns, full.columns);
    assert!(fast.rows.is_empty() && full.rows.is_empty());
    // With a key present the shortcut is not taken: countries has its row.
    let t = groups::run(&s, &p, &groups::countries::GROUP).unwrap();
    assert_eq!(rows(&t).len(), 1);
}
