//! Enrichment against MaxMind's own test databases (`../shared/corpus/mmdb/test-data`), with the
//! JSON they were built from (`source-data`) as the independent oracle, and every corrupt file
//! of `bad-data`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use ipscope_enrich::{AddressBook, Databases, Db, EnrichError, Enricher, HomeNets, Role};
use ipscope_event::{Event, EventKind, SourceFormat};
use serde_json::Value;

fn mmdb_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/mmdb")
}

fn test_db(name: &str) -> PathBuf {
    mmdb_dir().join("test-data").join(name)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn enricher(files: &[&str]) -> Enricher {
    let paths: Vec<PathBuf> = files.iter().map(|f| test_db(f)).collect();
    Enricher::new(Databases::open_explicit(&paths).unwrap(), HomeNets::default())
}

/// `(network, record)` pairs of a source JSON file, in file order.
fn source(name: &str) -> Vec<(IpNet, Value)> {
    let text = std::fs::read_to_string(mmdb_dir().join("source-data").join(name)).unwrap();
    let list: Vec<serde_json::Map<String, Value>> = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for m in list {
        for (k, v) in m {
            // IPv4 networks are written under ::/96 (`::1.2.3.4/120`): turn them back into IPv4.
            let net: IpNet = k.parse().unwrap();
            let net = match net {
                IpNet::V6(n) if k.starts_with("::") && k.contains('.') && n.prefix_len() >= 96 => {
                    let v4 = std::net::Ipv4Addr::from(u32::try_from(u128::from(n.network()) & 0xffff_ffff).unwrap());
                    IpNet::new(IpAddr::V4(v4), n.prefix_len() - 96).unwrap()
                }
                n => n,
            };
            out.push((net, v));
        }
    }
    out
}

/// The record a lookup of `addr` must find: the most specific network containing it (later
/// entries of the same network replace earlier ones, as when the file was written).
fn expected(src: &[(IpNet, Value)], addr: IpAddr) -> Option<&(IpNet, Value)> {
    let mut best: Option<&(IpNet, Value)> = None;
    for e in src.iter().filter(|(n, _)| n.contains(&addr)) {
        if best.is_none_or(|b| e.0.prefix_len() >= b.0.prefix_len()) {
            best = Some(e);
        }
    }
    best
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

#[test]
fn the_three_corpus_addresses() {
    let e = enricher(&["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"]);
    let london = e.lookup(ip("81.2.69.142")).unwrap();
    assert_eq!(london.geo.country_code.as_deref(), Some("GB"));
    assert_eq!(london.geo.country_name.as_deref(), Some("United Kingdom"));
    assert_eq!(london.geo.city.as_deref(), Some("London"));
    assert_eq!(london.geo.continent.as_deref(), Some("EU"));
    assert_eq!(london.asn, None, "81.2.69.142 is not in the ASN test database");

    let milton = e.lookup(ip("216.160.83.56")).unwrap();
    assert_eq!(milton.geo.city.as_deref(), Some("Milton"));
    assert_eq!(milton.geo.region.as_deref(), Some("Washington"));
    assert_eq!(milton.geo.postal_code.as_deref(), Some("98354"));
    assert_eq!(milton.geo.time_zone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(milton.asn, Some(209));
    assert_eq!(milton.as_org, None, "the test record has a number and no organisation");
    // The source lists 216.160.83.56/29 and its neighbours, all AS209: the file stores them merged.
    assert_eq!(milton.prefix.as_deref(), Some("216.160.64.0/18"));

    let linkoping = e.lookup(ip("89.160.20.128")).unwrap();
    assert_eq!(linkoping.geo.country_code.as_deref(), Some("SE"));
    assert_eq!(linkoping.geo.city.as_deref(), Some("Linköping"));
    assert_eq!(linkoping.asn, Some(29518));
    assert_eq!(linkoping.as_org.as_deref(), Some("Bredband2 AB"));
    assert_eq!(
        linkoping.prefix.as_deref(),
        Some("89.160.0.0/17"),
        "89.160.0.0/20 .. 89.160.64.0/18, all AS29518, merged"
    );
    let (lat, lon) = (linkoping.geo.latitude.unwrap(), linkoping.geo.longitude.unwrap());
    assert!((lat - 58.4167).abs() < 0.01 && (lon - 15.6167).abs() < 0.01, "{lat} {lon}");
}

/// Every network of the City, Country and ASN test databases, checked field by field against the
/// JSON source: IPv4 (stored under the IPv6 tree) and IPv6 alike.
#[test]
fn every_test_network_matches_its_source() {
    let cases = [
        ("GeoIP2-City-Test.mmdb", "GeoIP2-City-Test.json"),
        ("GeoLite2-City-Test.mmdb", "GeoLite2-City-Test.json"),
        ("GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json"),
        ("GeoLite2-ASN-Test.mmdb", "GeoLite2-ASN-Test.json"),
    ];
    for (db, json) in cases {
        let e = enricher(&[db]);
        let src = source(json);
        let (mut v4, mut v6) = (0, 0);
        for (net, _) in &src {
            let addr = net.network();
            let Some((want_net, rec)) = expected(&src, addr) else { continue };
            let got = e.lookup(addr).unwrap();
            let ctx = format!("{db} {addr}");
            if db.contains("ASN") {
                assert_eq!(
                    got.asn,
                    rec.get("autonomous_system_number").and_then(Value::as_u64).map(|n| n as u32),
                    "{ctx}"
                );
                assert_eq!(got.as_org.as_deref(), s(rec, &["autonomous_system_organization"]), "{ctx}");
                // The writer merges adjacent networks with equal records, so the stored prefix
                // may be wider than the source entry: it must contain it, and every source
                // network inside it must carry the same record.
                let prefix: IpNet = got.prefix.as_deref().unwrap().parse().unwrap();
                assert!(prefix.contains(want_net), "{ctx}: {prefix} does not contain {want_net}");
                for (n, r) in src.iter().filter(|(n, _)| prefix.contains(n)) {
                    assert_eq!(r, rec, "{ctx}: {n} inside {prefix} has another record");
                }
            } else {
                let country = rec.get("country").or_else(|| rec.get("registered_country"));
                assert_eq!(got.geo.country_code.as_deref(), country.and_then(|c| s(c, &["iso_code"])), "{ctx}");
                assert_eq!(got.geo.country_name.as_deref(), country.and_then(|c| s(c, &["names", "en"])), "{ctx}");
                assert_eq!(got.geo.continent.as_deref(), s(rec, &["continent", "code"]), "{ctx}");
                assert_eq!(got.geo.city.as_deref(), s(rec, &["city", "names", "en"]), "{ctx}");
                assert_eq!(got.geo.postal_code.as_deref(), s(rec, &["postal", "code"]), "{ctx}");
                assert_eq!(got.geo.time_zone.as_deref(), s(rec, &["location", "time_zone"]), "{ctx}");
                let region = rec.get("subdivisions").and_then(|s| s.get(0)).and_then(|r| s(r, &["names", "en"]));
                assert_eq!(got.geo.region.as_deref(), region, "{ctx}");
                let num = |k: &str| rec.get("location").and_then(|l| l.get(k)).and_then(Value::as_f64);
                assert_eq!(got.geo.latitude, num("latitude"), "{ctx}");
                assert_eq!(got.geo.longitude, num("longitude"), "{ctx}");
                assert_eq!(got.geo.accuracy_km.map(f64::from), num("accuracy_radius"), "{ctx}");
            }
            if addr.is_ipv4() { v4 += 1 } else { v6 += 1 }
        }
        assert!(v4 > 5 && v6 > 5, "{db}: {v4} IPv4 and {v6} IPv6 networks checked");
    }
}

#[test]
fn addresses_absent_from_the_databases_are_empty_not_errors() {
    let e = enricher(&["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"]);
    for a in ["10.0.0.1", "192.0.2.1", "2001:db8::1", "::1", "255.255.255.255"] {
        let info = e.lookup(ip(a)).unwrap();
        assert!(info.is_unknown(), "{a}: {info:?}");
        assert_eq!(info.prefix, None, "{a}");
    }
}

#[test]
fn a_country_database_fills_in_behind_a_city_database() {
    // City first whatever the order given; the Country file answers what the City file lacks.
    let e = enricher(&["GeoIP2-Country-Test.mmdb", "GeoIP2-City-Test.mmdb"]);
    assert_eq!(e.databases.geo[0].kind, "GeoIP2-City");
    assert_eq!(e.databases.geo.len(), 2);
    let info = e.lookup(ip("81.2.69.142")).unwrap();
    assert_eq!(info.geo.city.as_deref(), Some("London"));
}

#[test]
fn home_networks_are_filled_with_the_most_specific_name() {
    let mut home = HomeNets::default();
    home.push("campus", "89.160.0.0/16").unwrap();
    home.push("lab", "89.160.20.0/24").unwrap();
    let e = Enricher::new(Databases::default(), home);
    assert_eq!(e.lookup(ip("89.160.20.128")).unwrap().home_net.as_deref(), Some("lab"));
    assert_eq!(e.lookup(ip("89.160.21.1")).unwrap().home_net.as_deref(), Some("campus"));
    assert_eq!(e.lookup(ip("81.2.69.142")).unwrap().home_net, None);
}

#[test]
fn discovery_classifies_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["GeoLite2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"] {
        std::fs::copy(test_db(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a database").unwrap();
    let missing = dir.path().join("no-such-dir");
    let dbs = Databases::discover(&[missing, dir.path().to_owned()]).unwrap();
    assert_eq!(dbs.geo.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(), ["GeoLite2-City"]);
    assert_eq!(dbs.asn.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(), ["GeoLite2-ASN"]);
    assert_eq!(dbs.asn[0].role, Role::Asn);
    assert_eq!(dbs.skipped.len(), 1, "{:?}", dbs.skipped);
    assert!(dbs.skipped[0].0.ends_with("GeoIP2-Anonymous-IP-Test.mmdb"));

    // The same database twice: one is used, the other reported.
    let dbs = Databases::open_explicit(&[dir.path().to_owned(), test_db("GeoLite2-City-Test.mmdb")]).unwrap();
    assert_eq!(dbs.geo.len(), 1);
    assert!(dbs.skipped.iter().any(|(_, why)| why.contains("older copy")), "{:?}", dbs.skipped);

    // Named explicitly, an unusable type or a missing path is an error.
    let e = Databases::open_explicit(&[test_db("GeoIP2-Anonymous-IP-Test.mmdb")]).unwrap_err();
    assert!(matches!(e, EnrichError::Unsupported { .. }), "{e}");
    let e = Databases::open_explicit(&[dir.path().join("nope.mmdb")]).unwrap_err();
    assert!(e.to_string().contains("nope.mmdb"), "{e}");
}

/// Every corrupt file is refused with an error naming it — when opened (metadata, search tree,
/// the probe lookups) or, for damage the probe does not reach, by the first lookup that touches
/// it — and never panics.
#[test]
fn corrupt_databases_are_refused_by_name() {
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in ["libmaxminddb", "maxminddb-golang", "maxminddb-python"] {
        for e in std::fs::read_dir(mmdb_dir().join("bad-data").join(sub)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    for f in [
        "GeoIP2-City-Test-Broken-Double-Format.mmdb",
        "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
        "MaxMind-DB-test-broken-pointers-24.mmdb",
        "MaxMind-DB-test-broken-search-tree-24.mmdb",
    ] {
        files.push(test_db(f));
    }
    assert!(files.len() >= 24, "{} files", files.len());
    // Every network of the City test source: the broken City fixtures are derived from it.
    let addrs: Vec<IpAddr> = source("GeoIP2-City-Test.json").iter().map(|(n, _)| n.network()).collect();
    let mut at_open = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let result = std::panic::catch_unwind(|| {
            let db = Db::open(f)?;
            let e = Enricher::new(Databases { geo: vec![db], ..Databases::default() }, HomeNets::default());
            addrs.iter().try_for_each(|a| e.lookup(*a).map(drop))
        });
        let Ok(result) = result else { panic!("{name}: panicked") };
        match result {
            Err(e) => {
                assert!(e.to_string().contains(&name), "{name}: error does not name the file: {e}");
                at_open += usize::from(matches!(e, EnrichError::Open { .. } | EnrichError::Unsupported { .. }));
            }
            Ok(()) => panic!("{name}: every lookup answered without complaint"),
        }
    }
    assert!(at_open + 1 >= files.len(), "only {at_open} of {} refused when opened", files.len());
}

#[test]
fn the_address_book_looks_each_address_up_once() {
    let e = enricher(&["GeoIP2-City-Test.mmdb"]);
    let ev = |a: &str| {
        let mut x = Event::new(0, SourceFormat::Sshd, EventKind::Auth);
        x.src_ip = Some(ip(a));
        x
    };
    let mut book = AddressBook::new([ip("81.2.69.142")]);
    let events = [ev("81.2.69.142"), ev("89.160.20.128"), ev("89.160.20.128"), ev("2001:db8::1")];
    let mut out = Vec::new();
    book.enrich_new(&e, events.iter().filter_map(|x| x.src_ip), &mut out).unwrap();
    assert_eq!(out.iter().map(|i| i.ip.to_string()).collect::<Vec<_>>(), ["89.160.20.128", "2001:db8::1"]);
    assert_eq!((book.lookups, book.hits, book.len()), (2, 2, 3));
    out.clear();
    book.enrich_new(&e, events.iter().filter_map(|x| x.src_ip), &mut out).unwrap();
    assert!(out.is_empty());
    assert!(!book.forgot());
    // An address whose batch failed to commit is forgotten (once, however often it is named)
    // and looked up again next time.
    book.forget(&[ip("89.160.20.128"), ip("89.160.20.128"), ip("192.0.2.9")]);
    assert_eq!(book.len(), 2);
    book.enrich_new(&e, events.iter().filter_map(|x| x.src_ip), &mut out).unwrap();
    assert_eq!(out.iter().map(|i| i.ip.to_string()).collect::<Vec<_>>(), ["89.160.20.128"]);
    assert_eq!((book.lookups, book.len()), (3, 3));
}

/// A book at its limit starts over and says so; it never holds more than its limit.
#[test]
fn the_address_book_is_bounded() {
    let e = enricher(&["GeoIP2-City-Test.mmdb"]);
    let mut book = AddressBook::with_limit([ip("81.2.69.142")], 3);
    let ips: Vec<_> = (1..=7).map(|i| ip(&format!("192.0.2.{i}"))).collect();
    let mut out = Vec::new();
    book.enrich_new(&e, ips.iter().copied(), &mut out).unwrap();
    assert_eq!(out.len(), 7, "every new address is looked up once");
    assert!(book.forgot() && book.len() <= 3, "{}", book.len());
    // What it forgot is looked up again (the store keeps one row per address).
    out.clear();
    book.enrich_new(&e, [ip("81.2.69.142")], &mut out).unwrap();
    assert_eq!(out.len(), 1);
    // Started from a store with more addresses than the limit: it knows it does not know all.
    let full = AddressBook::with_limit(ips.iter().copied(), 3);
    assert!(full.forgot() && full.len() == 3);
}

/// Issue 15: in a directory, an unreadable or corrupt database is skipped and reported by name
/// and the directory's other databases are used; named as a file, it is still an error.
#[test]
fn a_bad_file_in_a_directory_is_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(test_db("GeoLite2-City-Test.mmdb"), dir.path().join("a-city.mmdb")).unwrap();
    let broken = mmdb_dir().join("bad-data/maxminddb-golang/cyclic-data-structure.mmdb");
    std::fs::copy(&broken, dir.path().join("b-broken.mmdb")).unwrap();
    std::fs::write(dir.path().join("c-empty.mmdb"), b"").unwrap();
    for dbs in [
        Databases::open_explicit(&[dir.path().to_owned()]).unwrap(),
        Databases::discover(&[dir.path().to_owned()]).unwrap(),
    ] {
        assert_eq!(dbs.geo.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(), ["GeoLite2-City"]);
        let skipped: Vec<String> =
            dbs.skipped.iter().map(|(p, why)| format!("{} {why}", p.file_name().unwrap().to_string_lossy())).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].starts_with("b-broken.mmdb ") && skipped[0].contains("not used"), "{skipped:?}");
        assert!(skipped[1].starts_with("c-empty.mmdb unreadable"), "{skipped:?}");
        // The usable one answers.
        let e = Enricher::new(dbs, HomeNets::default());
        assert_eq!(e.lookup(ip("81.2.69.142")).unwrap().geo.country_code.as_deref(), Some("GB"));
    }
    // Named as a file: an error naming it.
    let e = Databases::open_explicit(&[dir.path().join("b-broken.mmdb")]).unwrap_err();
    assert!(e.to_string().contains("b-broken.mmdb"), "{e}");
}

/// The built-in country database: found by discovery when nothing else gives locations, never
/// when a location database is there; by name with `builtin`; it answers country codes for
/// IPv4 and IPv6.
#[test]
fn the_builtin_database_is_the_lowest_priority_default() {
    let empty = tempfile::tempdir().unwrap();
    let dbs = Databases::discover(&[empty.path().to_owned()]).unwrap();
    assert!(dbs.uses_builtin());
    assert_eq!(dbs.geo.len(), 1);
    // An ASN database alone does not keep the built-in one away: it gives no location.
    let asn_only = tempfile::tempdir().unwrap();
    std::fs::copy(test_db("GeoLite2-ASN-Test.mmdb"), asn_only.path().join("asn.mmdb")).unwrap();
    let dbs = Databases::discover(&[asn_only.path().to_owned()]).unwrap();
    assert!(dbs.uses_builtin() && dbs.asn.len() == 1);
    // A real location database wins: the built-in one is not even opened.
    let city = tempfile::tempdir().unwrap();
    std::fs::copy(test_db("GeoLite2-City-Test.mmdb"), city.path().join("city.mmdb")).unwrap();
    let dbs = Databases::discover(&[city.path().to_owned()]).unwrap();
    assert!(!dbs.uses_builtin());
    // Explicit lists use it only when named.
    assert!(!Databases::open_explicit(&[empty.path().to_owned()]).unwrap().uses_builtin());
    let dbs = Databases::open_explicit(&[PathBuf::from(ipscope_enrich::BUILTIN_NAME)]).unwrap();
    assert!(dbs.uses_builtin());
    // Google's DNS is in the US in every source; the other values may change with a refresh, so
    // only their shape is checked: a two-letter code for routed IPv4 and IPv6, none for private.
    let e = Enricher::new(dbs, HomeNets::default());
    assert_eq!(e.lookup(ip("8.8.8.8")).unwrap().geo.country_code.as_deref(), Some("US"));
    for addr in ["193.0.6.139", "2001:218::1", "2a00:1450:4001:80b::200e"] {
        let cc = e.lookup(ip(addr)).unwrap().geo.country_code.unwrap_or_default();
        assert!(cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()), "{addr}: {cc:?}");
    }
    assert_eq!(e.lookup(ip("10.1.2.3")).unwrap().geo.country_code, None);
}
