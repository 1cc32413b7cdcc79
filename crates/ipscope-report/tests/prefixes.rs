//! `nets` at both ends of the address space (issue 15): IPv6 prefixes at or above `8000::`
//! (unique-local `fd00::/8`, link-local `fe80::/10`, the top of the space) have keys above
//! `i64::MAX`, which once went through `f64` and lost their low bits. Every prefix length is
//! checked against the grouping `ipnet` computes on its own, and `--drill` finds every address
//! again inside its prefix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use ipscope_event::{Event, EventKind, SourceFormat};
use ipscope_report::Params;
use ipscope_store::{InputProgress, Store, Table, Value};

/// (address, events): both ends of IPv4 and IPv6, and neighbours that differ only in the low
/// bits of the upper 64 (what an `f64` key rounds away).
const ADDRS: &[(&str, u32)] = &[
    ("0.0.0.1", 1),
    ("127.255.255.255", 2),
    ("128.0.0.0", 3),
    ("255.255.255.254", 4),
    ("::1", 5),
    ("7fff:ffff:ffff:ffff::1", 6),
    ("8000::1", 7),
    ("fd12:3456:789a:1::7", 8),
    ("fd12:3456:789a:2::7", 9),
    ("fd12:3456:789a::7", 10),
    ("fe80::1", 11),
    ("fe80:0:0:1::1", 12),
    ("ffff:ffff:ffff:fffe::1", 13),
    ("ffff:ffff:ffff:ffff::1", 14),
];

fn store() -> Store {
    let mut events = Vec::new();
    for (i, &(a, n)) in ADDRS.iter().enumerate() {
        for k in 0..n {
            let mut e = Event::new((i as i64) * 1_000_000 + i64::from(k), SourceFormat::Sshd, EventKind::Auth);
            e.src_ip = Some(a.parse().unwrap());
            e.user = Some(format!("u{k}"));
            events.push(e);
        }
    }
    let mut store = Store::open_in_memory().unwrap();
    let mut p =
        InputProgress { path: "prefixes".into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(b"prefixes");
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &events).unwrap();
    store
}

fn nets(store: &Store, p: &Params) -> Table {
    ipscope_report::run(ipscope_report::find("nets").unwrap(), store, p).unwrap()
}

#[test]
fn prefixes_at_both_ends_of_the_address_space() {
    let store = store();
    for (v4, v6) in [(32, 64), (24, 64), (24, 63), (16, 48), (8, 16), (1, 8), (1, 1), (0, 0)] {
        let p = Params { prefix_v4: v4, prefix_v6: v6, top: 100, ..Params::default() };
        // The oracle: ipnet's own truncation.
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for &(a, n) in ADDRS {
            let ip: IpAddr = a.parse().unwrap();
            let len = if ip.is_ipv4() { v4 } else { v6 };
            *want.entry(IpNet::new(ip, len).unwrap().trunc().to_string()).or_default() += u64::from(n);
        }
        let t = nets(&store, &p);
        let (ip, ie) = (t.column("prefix").unwrap(), t.column("events").unwrap());
        let got: BTreeMap<String, u64> = t.rows.iter().map(|r| (r[ip].render(), r[ie].as_u64().unwrap())).collect();
        assert_eq!(got, want, "/{v4} /{v6}");
    }
}

#[test]
fn drill_finds_every_address_in_its_prefix() {
    let store = store();
    for &(a, n) in ADDRS {
        let ip: IpAddr = a.parse().unwrap();
        let net = IpNet::new(ip, if ip.is_ipv4() { 24 } else { 64 }).unwrap().trunc();
        let p = Params { drill: Some(net), top: 100, ..Params::default() };
        let t = nets(&store, &p);
        let rows: Vec<(String, i64)> =
            t.rows.iter().map(|r| (r[0].render(), r[t.column("events").unwrap()].as_i64().unwrap())).collect();
        assert!(rows.contains(&(a.to_owned(), i64::from(n))), "{net}: {rows:?}");
        for (other, _) in &rows {
            assert!(net.contains(&other.parse::<IpAddr>().unwrap()), "{net} lists {other}");
        }
    }
}

#[test]
fn unsigned_values_come_out_of_the_store_exactly() {
    let store = store();
    let t = store.query("SELECT CAST(18446744073709551615 AS UBIGINT) AS top, CAST(9223372036854775809 AS UBIGINT) AS mid, CAST(5 AS UBIGINT) AS small").unwrap();
    assert_eq!(t.rows[0], vec![Value::UInt(u64::MAX), Value::UInt(9_223_372_036_854_775_809), Value::Int(5)]);
    // 128-bit integers: exact as well, text beyond 64 bits.
    let t = store.query("SELECT CAST(18446744073709551616 AS HUGEINT) AS h, CAST(-3 AS HUGEINT) AS n").unwrap();
    assert_eq!(t.rows[0], vec![Value::Text("18446744073709551616".into()), Value::Int(-3)]);
}
