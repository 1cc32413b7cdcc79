//! The hourly rollups stay equal to a recount of the events: after commits of every shape,
//! after compaction, after a purge that cuts through an hour, and after the migration that
//! gives an older store its rollups.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_store::rollup::{self, HOUR};
use ipscope_store::{InputProgress, Store, Value};

/// Events over `hours` hours from `start`, of two formats, with IPv4, IPv6 and no address,
/// outcomes, a feed provider and a feed's own enrichment.
fn mixed(n: usize, start: i64, hours: i64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let i64i = i as i64;
            let ts = start + (i64i * 7_919_000_003) % (hours * HOUR);
            let (format, kind) = match i % 5 {
                0 => (SourceFormat::Intelmq, EventKind::FeedEvent),
                1 => (SourceFormat::Sshd, EventKind::InvalidUser),
                _ => (SourceFormat::Sshd, EventKind::Auth),
            };
            let mut e = Event::new(ts, format, kind);
            e.src_ip = match i % 11 {
                0 => None,
                1 | 2 => Some(format!("2001:db8::{:x}", i % 13).parse().unwrap()),
                _ => Some(format!("198.51.100.{}", i % 37).parse().unwrap()),
            };
            if kind == EventKind::Auth {
                e.outcome = Some(if i % 3 == 0 { Outcome::Success } else { Outcome::Failure });
            }
            if format == SourceFormat::Intelmq {
                e.feed_provider = Some(if i % 2 == 0 { "Shadowserver" } else { "abuse.ch" }.into());
                if i % 4 == 0 {
                    e.geo.country_code = Some("NL".into());
                }
            }
            e
        })
        .collect()
}

fn commit(store: &mut Store, name: &str, events: &[Event]) {
    let mut p = InputProgress { path: name.into(), format: "sshd".into(), bytes: 1, lines: 1, ..Default::default() };
    p.set_head(name.as_bytes());
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, events).unwrap();
}

/// The maintained rollups, folded to one row per key, and a recount from the events.
fn maintained_and_recounted(store: &Store) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let keys = rollup::KEY_COLUMNS;
    let maintained = store
        .query(&format!(
            "SELECT {keys}, sum(events)::BIGINT, min(first_seen), max(last_seen) FROM {} GROUP BY {keys} ORDER BY ALL",
            rollup::TABLE
        ))
        .unwrap();
    let recounted = store.query(&format!("SELECT * FROM ({}) ORDER BY ALL", rollup::from_events_sql("TRUE"))).unwrap();
    (maintained.rows, recounted.rows)
}

fn rows(store: &Store) -> i64 {
    match store.query(&format!("SELECT count(*) FROM {}", rollup::TABLE)).unwrap().rows[0][0] {
        Value::Int(n) => n,
        ref v => panic!("{v:?}"),
    }
}

#[test]
fn rollups_equal_a_recount_through_commits_compaction_and_purge() {
    let mut store = Store::open_in_memory().unwrap();
    let start = 1_700_000_000_000_000 / HOUR * HOUR;
    // Four inputs whose hours overlap, so batches leave partial rows of the same keys: hours
    // 5–14 get three commits, hour 3 two.
    commit(&mut store, "a", &mixed(5000, start, 30));
    commit(&mut store, "b", &mixed(3000, start + 5 * HOUR + 17, 10));
    commit(&mut store, "b2", &mixed(3000, start + 5 * HOUR + 29, 10));
    commit(&mut store, "c", &mixed(1, start + 3 * HOUR, 1));
    let (maintained, recounted) = maintained_and_recounted(&store);
    assert!(recounted.len() > 100, "a meaningful number of keys: {}", recounted.len());
    assert_eq!(maintained, recounted);
    let before = rows(&store);
    assert!(before > recounted.len() as i64, "the batches left partial rows to fold");

    // Hours three commits appended to are folded; the others keep their few partial rows.
    store.compact_rollups().unwrap();
    let folded = rows(&store);
    assert!(folded < before, "nothing folded: {before} rows");
    assert!(folded > recounted.len() as i64, "hours of two commits are left alone");
    assert_eq!(maintained_and_recounted(&store), (recounted.clone(), recounted.clone()));

    // A purge through the middle of an hour: the hours before go, that hour is recounted.
    let out = store.purge(start + 12 * HOUR + HOUR / 2, true).unwrap();
    assert!(out.events > 0);
    let (maintained, recounted) = maintained_and_recounted(&store);
    assert_eq!(maintained, recounted);
    assert_eq!(rows(&store), recounted.len() as i64, "a committed purge folds every split hour");
}

/// Every 64th commit folds the rows of the hours commits touched since the last time.
#[test]
fn many_small_commits_are_folded_as_they_come() {
    let mut store = Store::open_in_memory().unwrap();
    let start = 1_700_000_000_000_000 / HOUR * HOUR;
    for i in 0..130 {
        commit(&mut store, &format!("in{i}"), &mixed(40, start + i * 1_000_000, 1));
    }
    let (maintained, recounted) = maintained_and_recounted(&store);
    assert_eq!(maintained, recounted);
    // 130 commits of 40 events: without folding ~130 rows a key; at most two commits' worth
    // of rows since the last fold.
    assert!(rows(&store) <= recounted.len() as i64 * 3, "{} rows for {} keys", rows(&store), recounted.len());
}

/// A store written before rollups existed gets them counted from its events on first open.
#[test]
fn a_schema_6_store_gets_its_rollups_from_its_events() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::create_at_version(dir.path(), 6).unwrap();
        s.query(
            "INSERT INTO events_wide (ts, format, kind, outcome, src_ip, src_ipnum, src_family) VALUES \
             (make_timestamp(10), 'sshd', 'auth', 'failure', '192.0.2.1', 3221225985, 4), \
             (make_timestamp(3600000020), 'sshd', 'auth', 'failure', '192.0.2.1', 3221225985, 4), \
             (make_timestamp(30), 'sshd', 'auth', 'failure', '192.0.2.1', 3221225985, 4), \
             (make_timestamp(40), 'sshd', 'invalid_user', NULL, NULL, NULL, NULL)",
        )
        .unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    let (maintained, recounted) = maintained_and_recounted(&s);
    assert_eq!(maintained, recounted);
    assert_eq!(rows(&s), 3);
    let t = s
        .query(&format!(
            "SELECT events, first_seen, last_seen FROM {} WHERE hour = make_timestamp(0) AND src_ip IS NOT NULL",
            rollup::TABLE
        ))
        .unwrap();
    assert_eq!(t.rows[0][0], Value::Int(2));
}
