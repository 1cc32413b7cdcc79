#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reports on the real 2-shard cluster of `scripts/clickhouse-cluster.sh` (started here) give the
//! same `Table`s as on the embedded store, for the same events. Each test has its own database.

mod common;

use std::net::IpAddr;

use common::{Rng, Scratch, c_url, cluster_started, scratch};
use ipscope_clickhouse::{Cluster, Error};
use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_report::{Dialect, Filter, Params};
use ipscope_store::{InputProgress, Query, Store, StoreError, Table, Value, prepare_batch};

/// Day 0 of the test data: 2023-11-14 00:00:00 UTC.
const DAY0: i64 = 1_699_920_000_000_000;
const DAY: i64 = 86_400_000_000;

/// `n` events of `format` over five UTC days, times with microseconds, 60 source addresses
/// (every fifth IPv6), a few without an address.
fn events(format: SourceFormat, n: usize, seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            let ts = DAY0 + (rng.next() % (5 * DAY as u64)) as i64;
            let kinds: &[EventKind] = match format {
                SourceFormat::Sshd => &[EventKind::Auth, EventKind::InvalidUser, EventKind::SessionOpen],
                SourceFormat::Cowrie => &[EventKind::Auth, EventKind::Command, EventKind::Download],
                SourceFormat::ZeekConn => &[EventKind::Connection],
                _ => &[EventKind::FeedEvent],
            };
            let mut e = Event::new(ts, format, kinds[i % kinds.len()]);
            let host = rng.next() % 61;
            e.src_ip = match host {
                60 => None,
                h if h % 5 == 0 => Some(IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, h as u16])),
                h => Some(IpAddr::from([198, 51, 100, h as u8])),
            };
            e.src_port = Some((rng.next() % 65536) as u16);
            e.outcome = match rng.next() % 3 {
                0 => Some(Outcome::Success),
                1 => Some(Outcome::Failure),
                _ => None,
            };
            match format {
                SourceFormat::Sshd => e.user = Some(format!("user{}", i % 7)),
                SourceFormat::Cowrie => e.user = Some("root".into()),
                SourceFormat::ZeekConn => e.conn_state = Some("SF".into()),
                _ => e.taxonomy = Some("intrusion-attempts".into()),
            }
            e
        })
        .collect()
}

/// The same events in an in-memory embedded store and in the cluster (two batches each).
fn both(test: &str) -> (Scratch, Cluster, Store) {
    let (s, mut c) = scratch(test);
    let first: Vec<Event> = [events(SourceFormat::Sshd, 2500, 1), events(SourceFormat::Cowrie, 1200, 2)].concat();
    let second: Vec<Event> = [events(SourceFormat::ZeekConn, 1000, 3), events(SourceFormat::Intelmq, 400, 4)].concat();
    let mut store = Store::open_in_memory().unwrap();
    let mut sp = InputProgress { id: 1, path: "fixture".into(), format: "mixed".into(), ..Default::default() };
    let id = c.new_input_id().unwrap();
    let mut cp = InputProgress { id, path: "fixture".into(), format: "mixed".into(), ..Default::default() };
    for (n, batch) in [&first, &second].into_iter().enumerate() {
        for p in [&mut sp, &mut cp] {
            p.bytes = 1000 * (n as u64 + 1);
            p.lines += batch.len() as u64;
            p.events += batch.len() as u64;
        }
        store.commit_batch(&mut sp, prepare_batch(batch, 1).unwrap()).unwrap();
        c.commit_batch(&mut cp, prepare_batch(batch, id).unwrap()).unwrap();
    }
    (s, c, store)
}

fn report(name: &str, q: &dyn Query, p: &Params) -> Table {
    ipscope_report::run(ipscope_report::find(name).unwrap(), q, p).unwrap()
}

/// `name` with `p` on both: the same table (the embedded store with and without its rollups).
fn same(name: &str, store: &Store, c: &Cluster, p: &Params) -> Table {
    let on_cluster = report(name, c, &Params { dialect: Dialect::ClickHouse, ..p.clone() });
    for rollups in [true, false] {
        let embedded = report(name, store, &Params { rollups, ..p.clone() });
        assert_eq!(on_cluster, embedded, "{name} (embedded rollups: {rollups})");
    }
    on_cluster
}

#[test]
fn summary_and_daily_are_the_same_on_the_cluster_as_embedded() {
    let (_s, c, store) = both("equal");
    let all = Params::default();
    let t = same("summary", &store, &c, &all);
    assert_eq!(t.columns, ["format", "kind", "events", "first_seen", "last_seen"]);
    let total: i64 = t.rows.iter().map(|r| r[2].as_i64().unwrap()).sum();
    assert_eq!(total, 5100);
    // Microseconds survive: some first/last times are not whole seconds.
    assert!(t.rows.iter().any(|r| matches!(r[3], Value::Timestamp(us) if us % 1_000_000 != 0)), "{t:?}");
    let d = same("daily", &store, &c, &all);
    assert_eq!(d.columns, ["day", "weekday", "events", "ips"]);
    assert_eq!(d.rows.len(), 5);
    assert_eq!(d.rows[0][0], Value::Date(19_675));
    assert_eq!(d.rows[0][1], Value::Text("Tuesday".into()));

    // A window starting and ending inside a second, inside an hour.
    let window = Filter {
        since: Some(DAY0 + DAY + 3_723_456_789),
        until: Some(DAY0 + 3 * DAY + 7_261_000_001),
        ..Filter::default()
    };
    let p = Params { filter: window.clone(), ..Params::default() };
    let w = same("summary", &store, &c, &p);
    assert!(w.rows.iter().map(|r| r[2].as_i64().unwrap()).sum::<i64>() < total);
    assert_eq!(same("daily", &store, &c, &p).rows.len(), 3);

    // Bounds to the microsecond: [t, t + 1 µs) holds the first cowrie auth event, [t + 1 µs, ..)
    // does not.
    let Value::Timestamp(first) = t.rows[0][3] else { panic!("{t:?}") };
    assert_eq!(t.rows[0][..2], [Value::Text("cowrie".into()), Value::Text("auth".into())]);
    let at = |since, until| Params {
        filter: Filter {
            since: Some(since),
            until: Some(until),
            formats: vec![SourceFormat::Cowrie],
            kinds: vec![EventKind::Auth],
            ..Filter::default()
        },
        ..Params::default()
    };
    let one = same("summary", &store, &c, &at(first, first + 1));
    assert_eq!(one.rows.len(), 1);
    assert_eq!(one.rows[0][3], Value::Timestamp(first));
    let later = same("summary", &store, &c, &at(first + 1, first + DAY));
    assert!(later.rows.iter().all(|r| r[3] != Value::Timestamp(first)), "{later:?}");

    // --source (formats) with the window, and alone.
    let formats = vec![SourceFormat::Sshd, SourceFormat::ZeekConn];
    let p = Params { filter: Filter { formats: formats.clone(), ..window }, ..Params::default() };
    let f = same("summary", &store, &c, &p);
    assert!(
        f.rows.iter().all(|r| r[0] == Value::Text("sshd".into()) || r[0] == Value::Text("zeek_conn".into())),
        "{f:?}"
    );
    same("daily", &store, &c, &p);
    let p = Params { filter: Filter { formats: vec![SourceFormat::Cowrie], ..Filter::default() }, ..Params::default() };
    same("summary", &store, &c, &p);
    same("daily", &store, &c, &p);

    // --src networks (prefix arithmetic: `bitShiftRight` on ClickHouse) and one address.
    let src = ["198.51.100.16/28", "2001:db8::/64", "198.51.100.3/32"].map(|n| n.parse().unwrap()).to_vec();
    let p = Params { filter: Filter { src, ..Filter::default() }, ..Params::default() };
    let s = same("summary", &store, &c, &p);
    let n: i64 = s.rows.iter().map(|r| r[2].as_i64().unwrap()).sum();
    assert!(n > 0 && n < total, "{n} of {total}");
    same("daily", &store, &c, &p);
    let sql = ipscope_report::reports::summary::sql(Dialect::ClickHouse, &Params { dialect: Dialect::ClickHouse, ..p });
    for duck in ["CAST(", "VARCHAR", ">>", "TRUE", "make_timestamp", "GROUP BY 1"] {
        assert!(!sql.contains(duck), "{duck} in {sql}");
    }

    // --tz with a fixed offset: local days (`add_seconds` before `day`), whole and half hours.
    for tz in ["-03:00", "+05:30"] {
        let p = Params { tz: tz.parse().unwrap(), ..Params::default() };
        assert_eq!(same("daily", &store, &c, &p).rows.len(), 6, "{tz}");
    }

    // Nothing in the window: no rows on either.
    let empty = Params { filter: Filter { since: Some(DAY0 + 10 * DAY), ..Filter::default() }, ..Params::default() };
    assert!(same("summary", &store, &c, &empty).rows.is_empty());
    assert!(same("daily", &store, &c, &empty).rows.is_empty());
}

#[test]
fn reads_are_read_only_and_errors_name_the_shard() {
    let (_s, c) = scratch("readonly");
    let db = c.url().database.clone();
    // Values of every kind the reader converts.
    let t = c
        .query_user(
            "SELECT toUInt64(18446744073709551615) AS big, toInt8(-3) AS i, 2.5 AS f, 'a\tb' AS s, \
             toDate('2024-01-02') AS d, toDateTime('2024-01-02 03:04:05', 'UTC') AS dt, \
             toDecimal64('1704164645.000007', 6) AS ts, CAST(NULL AS Nullable(String)) AS n",
        )
        .unwrap();
    assert_eq!(
        t.rows,
        vec![vec![
            Value::UInt(u64::MAX),
            Value::Int(-3),
            Value::Float(2.5),
            Value::Text("a\tb".into()),
            Value::Date(19_724),
            Value::Timestamp(1_704_164_645_000_000),
            Value::Timestamp(1_704_164_645_000_007),
            Value::Null,
        ]]
    );
    // A write is refused before it is sent, and by the server when it looks like a read.
    assert!(matches!(c.query_user(&format!("DROP TABLE {db}.events")), Err(StoreError::NotReadOnly)));
    assert!(matches!(
        c.query_user(&format!("INSERT INTO {db}.ledger (batch_id) VALUES (1)")),
        Err(StoreError::NotReadOnly)
    ));
    let e = c.query_user("SELECT * FROM system.numbers LIMIT 1 SETTINGS readonly = 0").unwrap_err();
    assert!(e.to_string().contains("shard 1"), "{e}");
    assert!(c.query_arrow("SELECT 1").unwrap_err().to_string().contains("not supported"));
    // A server error names the shard and carries ClickHouse's message.
    let e = c.query("SELECT nosuchcolumn FROM events").unwrap_err();
    assert!(e.to_string().contains("clickhouse shard 1 (") && e.to_string().contains("Code: 47"), "{e}");
    // A shard that cannot serve its part of a distributed read makes the read an error naming
    // it, not shard 1's rows alone. (Stopping a shard of the shared cluster would disturb other
    // tests, so the table behind this Distributed table exists on shard 1 only: 18.16 answers
    // `Code: 279 ... All connection tries failed ... There is no table DB.t on server:
    // 127.0.0.1:19001`, the failure a stopped shard gives with `Connection refused (...)`.)
    c.shard_text(1, &format!("CREATE TABLE {db}.only1 (n UInt8) ENGINE = Memory")).unwrap();
    c.shard_text(1, &format!("INSERT INTO {db}.only1 VALUES (1)")).unwrap();
    c.shard_text(1, &format!("CREATE TABLE {db}.spread AS {db}.only1 ENGINE = Distributed(ipscope, {db}, only1)"))
        .unwrap();
    let e = c.read("SELECT count() FROM spread").unwrap_err();
    assert!(matches!(e, Error::ShardDown { shard: 2, .. }), "{e}");
    assert!(e.to_string().contains("shard 2 (127.0.0.1:19001)"), "{e}");
    let e = c.query("SELECT count() FROM spread").unwrap_err();
    assert!(e.to_string().contains("shard 2"), "{e}");
}

/// SQL of one `Dialect` helper for either dialect.
type Helper = Box<dyn Fn(Dialect) -> String>;

/// Every timestamp helper of `Dialect` gives the same value on the cluster as on the embedded
/// store (ClickHouse timestamps are `Decimal64(6)` seconds; see `Dialect::timestamp`).
#[test]
fn dialect_time_helpers_agree_with_duckdb() {
    cluster_started();
    let c = Cluster::connect(&c_url("default")).unwrap();
    let store = Store::open_in_memory().unwrap();
    let (a, b) = (1_704_201_255_123_456i64, 1_704_300_000_000_001i64);
    let helpers: Vec<(&str, Helper)> = vec![
        ("timestamp", Box::new(move |d| d.timestamp(a))),
        ("day", Box::new(move |d| d.day(&d.timestamp(a)))),
        ("weekday", Box::new(move |d| d.weekday(&d.day(&d.timestamp(b))))),
        ("minute", Box::new(move |d| d.truncate(ipscope_report::Bucket::Minute, &d.timestamp(a)))),
        ("hour", Box::new(move |d| d.truncate(ipscope_report::Bucket::Hour, &d.timestamp(a)))),
        ("start of day", Box::new(move |d| d.truncate(ipscope_report::Bucket::Day, &d.timestamp(a)))),
        ("hour of day", Box::new(move |d| d.hour(&d.timestamp(a)))),
        ("iso weekday", Box::new(move |d| d.iso_weekday(&d.timestamp(a)))),
        ("seconds between", Box::new(move |d| d.seconds_between(&d.timestamp(a), &d.timestamp(b)))),
        ("add seconds", Box::new(move |d| d.add_seconds(&d.timestamp(a), "-3600"))),
        ("second", Box::new(move |d| d.second(&d.timestamp(a)))),
        ("quarter hour", Box::new(move |d| d.quarter_hour(&d.timestamp(a)))),
        ("text", Box::new(|d| d.text("42"))),
        ("true", Box::new(|d| format!("CASE WHEN {} THEN 1 ELSE 2 END", d.bool(true)))),
        (
            "shift",
            Box::new(|d| {
                let n = if d == Dialect::DuckDb { "CAST(3232235777 AS UBIGINT)" } else { "toUInt64(3232235777)" };
                d.shift_right(n, 8)
            }),
        ),
    ];
    for (name, h) in &helpers {
        let duck = store.query(&format!("SELECT {} AS v", h(Dialect::DuckDb))).unwrap();
        let ch = c.query(&format!("SELECT {} AS v", h(Dialect::ClickHouse))).unwrap();
        assert_eq!(ch.rows, duck.rows, "{name}: {} vs {}", h(Dialect::ClickHouse), h(Dialect::DuckDb));
    }
}
