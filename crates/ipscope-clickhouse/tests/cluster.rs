#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Against the real 2-shard cluster of `scripts/clickhouse-cluster.sh` (started here; it installs
//! ClickHouse from Debian's packages when missing). Each test has its own database.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::{Rng, SHARD1_HTTP, c_url, cluster_started, scratch};
use ipscope_clickhouse::{Cluster, Error};
use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_store::{EventBatch, InputProgress, Rollup, finish_batch, prepare_batch, prepare_chunk};

/// `n` events of `format` with microsecond times, 50 source addresses (IPv4 and IPv6).
fn events(format: SourceFormat, n: usize, seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            let ts = 1_700_000_000_000_000 + (rng.next() % (3 * 86_400_000_000)) as i64;
            let kinds: &[EventKind] = match format {
                SourceFormat::Sshd => &[EventKind::Auth, EventKind::InvalidUser, EventKind::SessionOpen],
                SourceFormat::Cowrie => &[EventKind::Auth, EventKind::Command, EventKind::Download],
                SourceFormat::ZeekConn => &[EventKind::Connection],
                _ => &[EventKind::FeedEvent],
            };
            let mut e = Event::new(ts, format, kinds[i % kinds.len()]);
            let host = rng.next() % 50;
            e.src_ip = Some(if host.is_multiple_of(5) {
                IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, host as u16])
            } else {
                IpAddr::from([198, 51, 100, host as u8])
            });
            e.src_port = Some((rng.next() % 65536) as u16);
            e.session = Some(format!("s{i}"));
            e.outcome = match rng.next() % 3 {
                0 => Some(Outcome::Success),
                1 => Some(Outcome::Failure),
                _ => None,
            };
            match format {
                SourceFormat::Sshd => e.user = Some(format!("user{}", i % 7)),
                SourceFormat::Cowrie => {
                    e.user = Some("root".into());
                    e.password = Some(format!("pw{}", i % 3));
                    e.duration = Some(i as f64 / 8.0);
                }
                SourceFormat::ZeekConn => {
                    e.src_bytes = Some(rng.next() % 1_000_000);
                    e.dst_bytes = Some(u64::MAX - i as u64);
                    e.conn_state = Some("SF".into());
                }
                _ => {
                    e.taxonomy = Some("intrusion-attempts".into());
                    e.feed_name = Some("feed".into());
                    e.geo.country_code = Some("NL".into());
                    e.asn = Some(64_496);
                    e.geo.latitude = Some(52.5);
                }
            }
            e
        })
        .collect()
}

/// A batch of narrow chunks, one per format (what the ingest pipeline sends).
fn narrow_batch(groups: &[&[Event]], input_id: i32) -> EventBatch {
    let mut rollup = Rollup::default();
    let chunks = groups
        .iter()
        .map(|g| {
            rollup.add(g);
            prepare_chunk(g).unwrap()
        })
        .collect();
    finish_batch(chunks, &mut rollup, input_id).unwrap()
}

fn progress(c: &mut Cluster, bytes: u64, events: u64) -> InputProgress {
    let id = c.new_input_id().unwrap();
    InputProgress {
        id,
        path: "/var/log/test.log".into(),
        format: "mixed".into(),
        head_len: 10,
        head_hash: u64::MAX - 1,
        bytes,
        lines: events,
        events,
        ..InputProgress::default()
    }
}

/// `(format, kind) → count` of events.
fn expected_counts(events: &[&[Event]]) -> BTreeMap<(String, String), u64> {
    let mut m = BTreeMap::new();
    for e in events.iter().flat_map(|g| g.iter()) {
        *m.entry((e.format.as_str().to_owned(), e.kind.as_str().to_owned())).or_default() += 1;
    }
    m
}

fn counts(c: &Cluster, table: &str) -> BTreeMap<(String, String), u64> {
    let db = &c.url().database;
    let text = c.query_text(&format!("SELECT format, kind, count() FROM {db}.{table} GROUP BY format, kind")).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            ((f[0].to_owned(), f[1].to_owned()), f[2].parse().unwrap())
        })
        .collect()
}

fn count(c: &Cluster, sql: &str) -> u64 {
    c.query_text(sql).unwrap().trim().parse().unwrap()
}

#[test]
fn schema_creation_twice_is_fine_and_tables_are_where_they_belong() {
    let (_s, c) = scratch("schema");
    let c = &c;
    c.create_schema().unwrap();
    c.create_schema().unwrap();
    let db = &c.url().database;
    assert_eq!(c.shards().len(), 2);
    let tables =
        |n| c.shard_text(n, &format!("SELECT name FROM system.tables WHERE database = '{db}' ORDER BY name")).unwrap();
    assert_eq!(
        tables(1),
        "addresses\naddresses_latest\naddresses_local\nevents\nevents_all\nevents_geo\nevents_local\ninputs\nledger\n"
    );
    assert_eq!(tables(2), "addresses\naddresses_local\nevents_all\nevents_local\n");
    let partition = c
        .shard_text(
            2,
            &format!("SELECT partition_key FROM system.tables WHERE database = '{db}' AND name = 'events_local'"),
        )
        .unwrap();
    assert_eq!(partition.trim(), "toYYYYMMDD(ts)");
    assert_eq!(c.event_count().unwrap(), 0);
}

#[test]
fn committed_events_are_all_readable_with_the_same_counts_on_both_shards() {
    let (_s, mut c) = scratch("commit");
    let db = c.url().database.clone();
    let sshd = events(SourceFormat::Sshd, 3000, 1);
    let cowrie = events(SourceFormat::Cowrie, 1500, 2);
    let zeek = events(SourceFormat::ZeekConn, 1000, 3);
    let intelmq = events(SourceFormat::Intelmq, 500, 4);
    let mut p = progress(&mut c, 100, 5500);
    // Narrow chunks (one table per format, `format` from the table) ...
    let b = narrow_batch(&[&sshd, &cowrie, &zeek], p.id);
    c.commit_batch(&mut p, b).unwrap();
    // ... and a mixed batch: one wide chunk carrying `format` and intelmq's geo columns.
    let mixed: Vec<Event> = intelmq.iter().chain(&sshd[..200]).cloned().collect();
    p.bytes = 200;
    p.events += mixed.len() as u64;
    let wide = prepare_batch(&mixed, p.id).unwrap();
    assert_eq!(EventBatch::chunk_format(&wide.chunks()[0]), None, "a mixed batch is one wide chunk");
    c.commit_batch(&mut p, wide).unwrap();

    let all: Vec<&[Event]> = vec![&sshd, &cowrie, &zeek, &mixed];
    let total: u64 = all.iter().map(|g| g.len() as u64).sum();
    assert_eq!(c.event_count().unwrap(), total);
    assert_eq!(counts(&c, "events"), expected_counts(&all));
    // Both shards hold some, and together exactly the total.
    let per_shard: Vec<u64> = [1, 2]
        .iter()
        .map(|&n| c.shard_text(n, &format!("SELECT count() FROM {db}.events_local")).unwrap().trim().parse().unwrap())
        .collect();
    assert!(per_shard.iter().all(|&n| n > 0), "{per_shard:?}");
    assert_eq!(per_shard.iter().sum::<u64>(), total);
    // One source address lives on one shard (18.16 has no `_shard_num`: compare the shards).
    let ips = |n| -> std::collections::BTreeSet<String> {
        let sql = format!("SELECT DISTINCT src_ip FROM {db}.events_local");
        c.shard_text(n, &sql).unwrap().lines().map(str::to_owned).collect()
    };
    let (one, two) = (ips(1), ips(2));
    assert!(!one.is_empty() && !two.is_empty());
    assert_eq!(one.intersection(&two).count(), 0, "an address on both shards");
    // Columns arrive with their values: NULL where the format has none, u64 bytes intact.
    assert_eq!(count(&c, &format!("SELECT count() FROM {db}.events WHERE format = 'sshd' AND username IS NULL")), 0);
    assert_eq!(
        count(&c, &format!("SELECT count() FROM {db}.events WHERE format = 'sshd' AND password IS NOT NULL")),
        0
    );
    assert_eq!(
        count(
            &c,
            &format!("SELECT count() FROM {db}.events WHERE format = 'zeek_conn' AND dst_bytes > 18446744073709550000")
        ),
        1000
    );
    assert_eq!(count(&c, &format!("SELECT count() FROM {db}.events WHERE country_code = 'NL' AND asn = 64496")), 500);
    let v6 = zeek
        .iter()
        .chain(&sshd)
        .chain(&cowrie)
        .chain(&mixed)
        .filter(|e| e.src_ip.is_some_and(|ip| ip.is_ipv6()))
        .count();
    assert_eq!(
        count(&c, &format!("SELECT count() FROM {db}.events WHERE src_family = 6 AND src_ip LIKE '2001:db8::%'")),
        v6 as u64
    );
    // The ledger's progress is the last commit's.
    let inputs = c.inputs().unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(
        (inputs[0].id, inputs[0].bytes, inputs[0].events, inputs[0].head_hash),
        (p.id, 200, total, u64::MAX - 1)
    );
    assert_eq!(count(&c, &format!("SELECT uniqExact(batch_id) FROM {db}.events")), 2);
}

#[test]
fn an_attempt_never_committed_is_invisible_and_a_rerun_counts_exactly_once() {
    let (_s, mut c) = scratch("crash");
    let db = c.url().database.clone();
    let first = events(SourceFormat::Sshd, 2000, 11);
    let second = events(SourceFormat::Cowrie, 700, 12);
    let mut p = progress(&mut c, 1000, 2000);
    let b = narrow_batch(&[&first], p.id);
    c.commit_batch(&mut p, b).unwrap();
    let committed = p.clone();

    // The second batch: started and inserted, then the process "dies" before its commit record.
    let mut crashed = committed.clone();
    crashed.bytes = 2000;
    crashed.events += second.len() as u64;
    let attempt = c.begin(&crashed, second.len() as u64).unwrap();
    c.insert(attempt, &narrow_batch(&[&second], p.id)).unwrap();
    let raw = count(&c, &format!("SELECT count() FROM {db}.events_all"));
    assert_eq!(raw, 2700, "the uncommitted rows are on the shards");
    assert_eq!(c.event_count().unwrap(), 2000, "but readers do not see them");
    assert_eq!(counts(&c, "events"), expected_counts(&[&first]));
    drop(c);

    // The re-run: a new process reads the ledger, resumes after the committed bytes, and sends
    // the same second batch again.
    let mut c = Cluster::connect(&c_url(&db)).unwrap();
    let rec = c.inputs().unwrap().into_iter().find(|r| r.id == p.id).unwrap();
    assert_eq!((rec.bytes, rec.events), (1000, 2000), "the crashed attempt did not advance the input");
    let mut rerun = InputProgress::resume(&rec, &rec.path);
    rerun.bytes = 2000;
    rerun.events += second.len() as u64;
    c.commit_batch(&mut rerun, narrow_batch(&[&second], p.id)).unwrap();
    assert_eq!(c.event_count().unwrap(), 2700);
    assert_eq!(counts(&c, "events"), expected_counts(&[&first, &second]));
    // The crashed attempt's rows were deleted by the recovery; none is duplicated.
    assert_eq!(count(&c, &format!("SELECT count() FROM {db}.events_all")), 2700);
    let dups = count(
        &c,
        &format!(
            "SELECT count() FROM (SELECT format, session, ts FROM {db}.events GROUP BY format, session, ts HAVING count() > 1)"
        ),
    );
    assert_eq!(dups, 0);
    let states =
        c.query_text(&format!("SELECT state, count() FROM {db}.ledger FINAL GROUP BY state ORDER BY state")).unwrap();
    assert_eq!(states, "cleaned\t1\ncommitted\t2\n");

    // Re-ingesting with stale progress (the first batch again) is refused and adds nothing.
    let mut stale = committed.clone();
    stale.committed_bytes = 0;
    stale.recorded = false;
    let e = c.commit_batch(&mut stale, narrow_batch(&[&first], p.id)).unwrap_err();
    assert!(matches!(e, Error::Conflict { recorded: Some(2000), .. }), "{e}");
    assert_eq!(c.event_count().unwrap(), 2700);
}

/// A writer killed while its `committed` row is on the wire: the server may store that row
/// after the next run's recovery aborted the attempt and deleted its rows. The late row must
/// count for nothing (neither rows nor progress), before and after the ledger's merges, and the
/// re-run's own commit of the same lines is what counts.
#[test]
fn a_commit_landing_after_the_recovery_aborted_its_attempt_counts_for_nothing() {
    let (_s, mut c) = scratch("late");
    let db = c.url().database.clone();
    let first = events(SourceFormat::Sshd, 1500, 21);
    let second = events(SourceFormat::Sshd, 600, 22);
    let mut p = progress(&mut c, 1000, 1500);
    let b = narrow_batch(&[&first], p.id);
    c.commit_batch(&mut p, b).unwrap();
    // The killed writer: its second batch started and inserted; its commit still in flight.
    let mut killed = p.clone();
    killed.bytes = 2000;
    killed.events += second.len() as u64;
    let attempt = c.begin(&killed, second.len() as u64).unwrap();
    c.insert(attempt, &narrow_batch(&[&second], p.id)).unwrap();
    drop(c);
    // The next run recovers the input: the attempt is aborted and its rows deleted.
    let mut c = Cluster::connect(&c_url(&db)).unwrap();
    assert_eq!(c.recover_input(p.id).unwrap(), 1);
    // Now the killed writer's `committed` row lands.
    let mut late = killed.clone();
    c.commit(attempt, second.len() as u64, &mut late).unwrap();
    for merged in [false, true] {
        if merged {
            c.query_text(&format!("OPTIMIZE TABLE {db}.ledger FINAL")).unwrap();
        }
        assert_eq!(c.event_count().unwrap(), 1500, "merged: {merged}");
        let rec = c.inputs().unwrap().into_iter().find(|r| r.id == p.id).unwrap();
        assert_eq!(
            (rec.bytes, rec.events),
            (1000, 1500),
            "the late commit did not advance the input (merged: {merged})"
        );
        assert_eq!(count(&c, &format!("SELECT sum(events) FROM {db}.inputs")), 1500);
    }
    // Nothing for a later recovery to do, and the re-run stores the lines once.
    assert_eq!(c.recover_input(p.id).unwrap(), 0);
    let rec = c.inputs().unwrap().into_iter().find(|r| r.id == p.id).unwrap();
    let mut rerun = InputProgress::resume(&rec, &rec.path);
    rerun.bytes = 2000;
    rerun.events += second.len() as u64;
    c.commit_batch(&mut rerun, narrow_batch(&[&second], p.id)).unwrap();
    assert_eq!(c.event_count().unwrap(), 2100);
    assert_eq!(counts(&c, "events"), expected_counts(&[&first, &second]));
    assert_eq!(count(&c, &format!("SELECT sum(events) FROM {db}.inputs")), 2100);
}

#[test]
fn microsecond_timestamps_round_trip_exactly() {
    let (_s, mut c) = scratch("micros");
    let db = c.url().database.clone();
    let times = [0i64, 1, 999_999, 1_000_000, 1_700_000_000_123_456, 1_700_000_000_999_999, 4_294_967_295_000_000];
    let evs: Vec<Event> = times
        .iter()
        .enumerate()
        .map(|(i, &ts)| {
            let mut e = Event::new(ts, SourceFormat::Sshd, EventKind::Auth);
            e.src_ip = Some(IpAddr::from([203, 0, 113, i as u8]));
            e
        })
        .collect();
    let mut p = progress(&mut c, 1, evs.len() as u64);
    let b = prepare_batch(&evs, p.id).unwrap();
    c.commit_batch(&mut p, b).unwrap();
    let text =
        c.query_text(&format!("SELECT toInt64(ts) * 1000000 + ts_us FROM {db}.events_all ORDER BY ts, ts_us")).unwrap();
    let back: Vec<i64> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(back, times);
    // The `events` view's `ts` (Decimal64(6) seconds) reads back as the same microseconds.
    let t = ipscope_store::Query::query(&c, "SELECT ts FROM events ORDER BY ts").unwrap();
    let back: Vec<ipscope_store::Value> = t.rows.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(back, times.map(ipscope_store::Value::Timestamp));
    // A time DateTime cannot hold is refused with the value named, and nothing is visible.
    let mut p2 = progress(&mut c, 1, 1);
    let bad = [Event::new(-1, SourceFormat::Sshd, EventKind::Auth)];
    let b = prepare_batch(&bad, p2.id).unwrap();
    let e = c.commit_batch(&mut p2, b).unwrap_err();
    assert!(e.to_string().contains("-1 µs"), "{e}");
    assert_eq!(c.event_count().unwrap(), times.len() as u64);
}

#[test]
fn errors_name_the_server_and_its_message() {
    cluster_started();
    let e = Cluster::connect("clickhouse://127.0.0.1:1/db?cluster=ipscope").unwrap_err().to_string();
    assert!(e.contains("http://127.0.0.1:1/") && e.contains("did not answer"), "{e}");
    let e =
        Cluster::connect(&format!("clickhouse://127.0.0.1:{SHARD1_HTTP}/db?cluster=nosuch")).unwrap_err().to_string();
    assert!(e.contains("no cluster \"nosuch\""), "{e}");
    let (_s, c) = scratch("errors");
    let e = c.query_text("SELECT nosuchfunction(1)").unwrap_err().to_string();
    assert!(e.contains("http://127.0.0.1:18123/") && e.contains("Code: 46") && e.contains("nosuchfunction"), "{e}");
}
