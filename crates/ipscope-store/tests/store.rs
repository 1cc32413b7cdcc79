#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipscope_event::{Event, EventKind, SourceFormat};
use ipscope_store::{InputProgress, Store, Value};

fn events(n: usize, start: i64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let mut e = Event::new(start + i as i64 * 1_000_000, SourceFormat::Sshd, EventKind::Auth);
            e.src_ip = Some(format!("192.0.2.{}", i % 250).parse().unwrap());
            e.user = Some(format!("u{}", i % 7));
            e
        })
        .collect()
}

fn progress(path: &str, head: &[u8], bytes: u64) -> InputProgress {
    let mut p =
        InputProgress { path: path.into(), format: "sshd".into(), bytes, lines: bytes / 10, ..Default::default() };
    p.set_head(head);
    p
}

#[test]
fn a_batch_and_its_ledger_row_land_together_and_reopen_intact() {
    let dir = tempfile::tempdir().unwrap();
    let head = b"first line\nsecond line\n";
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut p = progress("a.log", head, 11);
        p.id = store.new_input_id().unwrap();
        store.commit_events(&mut p, &events(1000, 0)).unwrap();
        assert_eq!((p.id, p.recorded), (1, true));
        p.bytes = 23;
        p.set_head(head);
        store.commit_events(&mut p, &events(500, 0)).unwrap();
        assert_eq!(p.id, 1, "the same input keeps its id");
    }
    let store = Store::open(dir.path()).unwrap(); // migrations are idempotent
    assert_eq!(store.event_count().unwrap(), 1500);
    let rec = store.find_input(head, "renamed.log").unwrap().expect("found by content");
    assert_eq!((rec.id, rec.bytes, rec.path.as_str()), (1, 23, "a.log"));
    assert!(store.find_input(b"other content entirely\n", "a.log").unwrap().is_none());
    // A grown stream (same first bytes, more after) is the same input.
    let grown = b"first line\nsecond line\nthird line\n";
    assert_eq!(store.find_input(grown, "a.log").unwrap().map(|r| r.id), Some(1));
    // A stream shorter than the recorded identity window is not matched.
    assert!(store.find_input(b"first line\n", "a.log").unwrap().is_none());
}

#[test]
fn events_round_trip_with_addresses_as_text_and_number() {
    let mut store = Store::open_in_memory().unwrap();
    let mut e = Event::new(1_700_000_000_123_456, SourceFormat::Sshd, EventKind::Auth);
    e.src_ip = Some("2001:db8:aa:bb::1".parse().unwrap());
    e.src_port = Some(2222);
    e.user = Some("o'neil".into());
    let mut p = progress("x", b"x", 1);
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &[e]).unwrap();
    let t = store.query("SELECT ts, src_ip, src_ipnum, src_port, username, kind, input_id FROM events").unwrap();
    assert_eq!(
        t.rows[0],
        vec![
            Value::Timestamp(1_700_000_000_123_456),
            Value::Text("2001:db8:aa:bb::1".into()),
            Value::Int(0x2001_0db8_00aa_00bb),
            Value::Int(2222),
            Value::Text("o'neil".into()),
            Value::Text("auth".into()),
            Value::Int(1),
        ]
    );
    let t = store.query("SELECT src_ipnum = 2306139568126689467 AND contains(src_ip, ':') FROM events").unwrap();
    assert_eq!(t.rows[0][0], Value::Bool(true));
}

#[test]
fn purge_dry_run_counts_and_commit_deletes_exactly() {
    let mut store = Store::open_in_memory().unwrap();
    let mut p = progress("x", b"x", 1);
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &events(100, 0)).unwrap();
    // Events at 0..99 s; cutoff 40 s removes ts < 40 s: exactly 40.
    let dry = store.purge(40_000_000, false).unwrap();
    assert_eq!((dry.events, dry.committed), (40, false));
    assert_eq!(store.event_count().unwrap(), 100);
    let done = store.purge(40_000_000, true).unwrap();
    assert_eq!(done.events, 40);
    assert_eq!(store.event_count().unwrap(), 60);
    let t = store.query("SELECT min(ts) FROM events").unwrap();
    assert_eq!(t.rows[0][0], Value::Timestamp(40_000_000));
}

#[test]
fn read_only_store_refuses_writes_and_missing_db_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open_read_only(dir.path()).err().expect("no database yet");
    assert!(err.to_string().contains("no database"), "{err}");
    drop(Store::open(dir.path()).unwrap());
    let ro = Store::open_read_only(dir.path()).unwrap();
    assert!(ro.query("DELETE FROM events").is_err());
    assert!(ro.query("SELECT count(*) FROM events").is_ok());
}

#[test]
fn file_size_stays_bounded_over_ingest_purge_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let path = store.path().unwrap().to_owned();
    // Each cycle's events span 200 000 s (< 10 days); cycles are 10 days apart.
    let day = 10 * 86_400_000_000i64;
    let mut sizes = Vec::new();
    for cycle in 0..8i64 {
        let mut p = progress(&format!("cycle{cycle}"), format!("head {cycle}").as_bytes(), 10);
        p.id = store.new_input_id().unwrap();
        store.commit_events(&mut p, &events(200_000, cycle * day)).unwrap();
        // Keep one day: purge everything older than this cycle's day.
        store.purge(cycle * day, true).unwrap();
        store.checkpoint().unwrap();
        sizes.push(std::fs::metadata(&path).unwrap().len());
    }
    assert_eq!(store.event_count().unwrap(), 200_000);
    // After the first cycles the file must stop growing: freed blocks are reused.
    let settled = sizes[3];
    let last = *sizes.last().unwrap();
    assert!(last <= settled + settled / 2, "file keeps growing across purge cycles: {sizes:?}");
}

#[test]
fn enum_columns_read_back_as_text() {
    let mut store = Store::open_in_memory().unwrap();
    let mut p = progress("x", b"x", 1);
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &events(3, 0)).unwrap();
    let t = store.query("SELECT DISTINCT kind, format, outcome FROM events").unwrap();
    assert_eq!(t.rows, vec![vec![Value::Text("auth".into()), Value::Text("sshd".into()), Value::Null]]);
}

/// A store written before enrichment existed (schema 1) is brought up to date by the first
/// open, even a read-only one: reports never meet a missing `addresses` table.
#[test]
fn a_schema_1_store_is_migrated_by_a_read_only_open() {
    let dir = tempfile::tempdir().unwrap();
    // What an ipscope of schema 1 left behind.
    drop(Store::create_at_version(dir.path(), 1).unwrap());
    let s = Store::open_read_only(dir.path()).unwrap();
    let t = s
        .query(
            "SELECT (SELECT count(*) FROM events_geo), (SELECT max(version) FROM schema_migrations), \
             (SELECT count(year_anchor) FROM inputs)",
        )
        .unwrap();
    assert_eq!(t.rows[0][1].render(), "8");
    // V5: the reverse DNS cache.
    assert_eq!(s.query("SELECT count(*) FROM ptr_cache").unwrap().rows[0][0], Value::Int(0));
    let t = s.query("SELECT count(*) FROM inputs WHERE mark_len IS NULL AND cursor IS NULL").unwrap();
    assert_eq!(t.rows[0][0], Value::Int(0), "no inputs in this store, but the columns exist");
}

#[test]
fn a_new_store_is_created_whole_and_a_killed_creation_leaves_nothing_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    // What a process killed while creating the database leaves (pid 4194305 > pid_max: gone).
    let stale = dir.path().join("ipscope.duckdb.new-4194305");
    std::fs::write(&stale, b"").unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.event_count().unwrap(), 0);
    drop(store);
    assert!(!stale.exists(), "the half-built database of a dead process was left");
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["ipscope.duckdb".to_owned()]);
    // A zero-length database is damage, never a new empty store.
    std::fs::write(dir.path().join("ipscope.duckdb"), b"").unwrap();
    let e = Store::open(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("is damaged") && e.contains("backup"), "{e}");
}

/// `ipscope sql` prints any type (issue 15): `VARIANT` (which the driver refuses to decode, e.g.
/// `stats` of `pragma_storage_info`), lists, structs, maps and intervals come out as DuckDB's
/// text for them, the other columns keep their types; the `PRAGMA` spelling works too.
#[test]
fn any_column_type_comes_out_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut p = progress("x", b"x", 1);
    p.id = store.new_input_id().unwrap();
    store.commit_events(&mut p, &events(3, 0)).unwrap();
    store.checkpoint().unwrap();
    for q in ["SELECT * FROM pragma_storage_info('events_sshd')", "PRAGMA storage_info('events_sshd');"] {
        let t = store.query(q).unwrap();
        let stats = t.column("stats").unwrap();
        assert!(!t.rows.is_empty(), "{q}");
        assert!(
            t.rows.iter().any(|r| matches!(&r[stats], Value::Text(s) if s.contains("has_null"))),
            "{q}: {:?}",
            t.rows[0]
        );
        // Columns with a Value of their own keep it.
        assert!(matches!(t.rows[0][t.column("row_group_id").unwrap()], Value::Int(0)), "{q}");
    }
    let t = store
        .query("SELECT [1, 2] AS l, {'a': 1} AS s, MAP {'k': 'v'} AS m, INTERVAL 3 DAY AS i, 7 AS n, 'x' AS t")
        .unwrap();
    assert_eq!(
        t.rows[0],
        vec![
            Value::Text("[1, 2]".into()),
            Value::Text("{'a': 1}".into()),
            Value::Text("{k=v}".into()),
            Value::Text("3 days".into()),
            Value::Int(7),
            Value::Text("x".into())
        ]
    );
    // A statement that cannot be wrapped still fails with the query's own error.
    assert!(store.query("SELECT nope FROM nowhere").is_err());
}

/// Schema V4 (issue 15): an input's year anchor is stored with its progress and comes back with
/// the input, so a grown or rotated copy gets the years its stored head got.
#[test]
fn the_year_anchor_is_kept_with_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let head = b"Nov 30 04:00:00 h sshd[1]: x\n";
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut p = progress("auth.log", head, 29);
        p.id = store.new_input_id().unwrap();
        p.year_anchor = Some(2025);
        store.commit_events(&mut p, &events(2, 0)).unwrap();
        let mut other = progress("other.log", b"2026-01-01T00:00:00Z h sshd[2]: y\n", 10);
        other.id = store.new_input_id().unwrap();
        store.commit_events(&mut other, &events(1, 0)).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let rec = store.find_input(head, "auth.log.1").unwrap().unwrap();
    assert_eq!(rec.year_anchor, Some(2025));
    assert_eq!(ipscope_store::InputProgress::resume(&rec, "auth.log.1").year_anchor, Some(2025));
    let t = store.query("SELECT path, year_anchor FROM inputs ORDER BY id").unwrap();
    assert_eq!(t.rows[1], vec![Value::Text("other.log".into()), Value::Null]);
}

/// Schema 6 stores each format's events in a narrow table of its own behind the `events` view:
/// a store of schema 5 keeps its events (in `events_wide`), new ones go to the narrow tables,
/// the view shows both with the same columns in the same order, and purge reaches all of them.
#[test]
fn a_schema_5_store_keeps_its_events_under_the_events_view() {
    let dir = tempfile::tempdir().unwrap();
    let columns = |s: &Store, table: &str| -> Vec<String> {
        let t = s.query(&format!("SELECT * FROM {table} LIMIT 0")).unwrap();
        t.columns
    };
    let v5_columns;
    {
        let mut s = Store::create_at_version(dir.path(), 5).unwrap();
        v5_columns = columns(&s, "events");
        s.query(
            "INSERT INTO events (ts, format, kind, outcome, src_ip, src_ipnum, src_family, username, session, input_id) \
             SELECT make_timestamp(i * 1000000), 'sshd', 'auth', 'failure', '198.51.100.' || (i % 5), 3325256704 + i % 5, 4, \
             'old' || (i % 3), CAST(100 + i AS VARCHAR), 1 FROM range(100) t(i)",
        )
        .unwrap();
        s.query(
            "INSERT INTO events (ts, format, kind, src_ip, taxonomy, feed_name, country_code, asn) \
             VALUES (make_timestamp(5000000), 'intelmq', 'feed_event', '203.0.113.9', 'vulnerable', 'f', 'SE', 64500)",
        )
        .unwrap();
        s.checkpoint().unwrap();
    }
    let mut s = Store::open(dir.path()).unwrap();
    assert_eq!(columns(&s, "events"), v5_columns, "the view has the table's columns, in order");
    assert_eq!(s.query("SELECT count(*) FROM events_wide").unwrap().rows[0][0], Value::Int(101));
    let mut p = progress("new.log", b"new\n", 4);
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &events(50, 200_000_000)).unwrap();
    let mut feed = Event::new(300_000_000, SourceFormat::Intelmq, EventKind::FeedEvent);
    feed.src_ip = Some("203.0.113.10".parse().unwrap());
    feed.taxonomy = Some("vulnerable".into());
    feed.asn = Some(64501);
    let mut q = progress("feed.json", b"feed\n", 5);
    q.id = s.new_input_id().unwrap();
    s.commit_events(&mut q, &[feed]).unwrap();
    fn one(s: &Store, sql: &str) -> String {
        s.query(sql).unwrap().rows[0][0].render()
    }
    assert_eq!(one(&s, "SELECT count(*) FROM events_sshd"), "50");
    assert_eq!(one(&s, "SELECT count(*) FROM events_intelmq"), "1");
    assert_eq!(one(&s, "SELECT count(*) FROM events_wide"), "101", "new events never go to the wide table");
    assert_eq!(one(&s, "SELECT count(*) FROM events"), "152");
    assert_eq!(one(&s, "SELECT string_agg(DISTINCT format, ',' ORDER BY format) FROM events"), "sshd,intelmq");
    assert_eq!(one(&s, "SELECT count(*) FROM events WHERE username LIKE 'old%' AND session IS NOT NULL"), "100");
    assert_eq!(one(&s, "SELECT sum(asn) FROM events WHERE format = 'intelmq'"), (64500 + 64501).to_string());
    assert_eq!(one(&s, "SELECT count(*) FROM events_geo WHERE country_code = 'SE'"), "1");
    // events_span: the first and last event over every table, old and new.
    let span = "SELECT (SELECT lo FROM events_span) = (SELECT min(ts) FROM events) \
                AND (SELECT hi FROM events_span) = (SELECT max(ts) FROM events) \
                AND (SELECT hi FROM events_span) = make_timestamp(300000000)";
    assert_eq!(one(&s, span), "true");
    // Purge reaches the wide table and the narrow ones.
    let done = s.purge(250_000_000, true).unwrap();
    assert_eq!(done.events, 101 + 50);
    assert_eq!(one(&s, "SELECT count(*) FROM events"), "1");
}

/// An event with a field its format's table lacks (a parser ahead of the schema) is stored
/// whole, in the wide table, never refused.
#[test]
fn an_event_of_an_unexpected_shape_goes_to_the_wide_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path()).unwrap();
    let mut e = Event::new(0, SourceFormat::Sshd, EventKind::Auth);
    e.taxonomy = Some("intrusion-attempts".into());
    e.src_ip = Some("192.0.2.7".parse().unwrap());
    let mut p = progress("odd.log", b"odd\n", 4);
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &[e]).unwrap();
    let t = s.query("SELECT format, taxonomy, src_ip FROM events").unwrap();
    assert_eq!(t.rows[0].iter().map(Value::render).collect::<Vec<_>>(), ["sshd", "intrusion-attempts", "192.0.2.7"]);
    assert_eq!(s.query("SELECT count(*) FROM events_wide").unwrap().rows[0][0], Value::Int(1));
}

/// An address batch marked `deduplicated` (its address book started over and forgot what the
/// store holds) adds only the addresses the store does not have, once each.
#[test]
fn a_deduplicated_address_batch_never_stores_an_address_twice() {
    use ipscope_event::AddressInfo;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path()).unwrap();
    let info = |ip: &str| AddressInfo { asn: Some(64500), ..AddressInfo::new(ip.parse().unwrap()) };
    let first = ipscope_store::prepare_addresses(&[info("192.0.2.1"), info("2001:db8::1")], 0).unwrap();
    s.store_addresses(vec![first], false).unwrap();
    // Seen again after the book forgot them, plus a new one twice in the same batch.
    let again = [info("192.0.2.1"), info("2001:db8::1"), info("192.0.2.2"), info("192.0.2.2")];
    let batch = ipscope_store::prepare_addresses(&again, 1).unwrap().deduplicated();
    let mut p = progress("x", b"x", 1);
    p.id = s.new_input_id().unwrap();
    let with_events = ipscope_store::prepare_batch(&events(3, 0), p.id).unwrap().with_addresses(batch);
    s.commit_batch(&mut p, with_events).unwrap();
    let t = s.query("SELECT ip, count(*) FROM addresses GROUP BY ip ORDER BY ip").unwrap();
    let rows: Vec<String> = t.rows.iter().map(|r| format!("{} {}", r[0].render(), r[1].render())).collect();
    assert_eq!(rows, ["192.0.2.1 1", "192.0.2.2 1", "2001:db8::1 1"]);
    // Through the daemon's wire the mark survives.
    let again = ipscope_store::prepare_addresses(&[info("192.0.2.1")], 2).unwrap().deduplicated();
    let mut bytes = Vec::new();
    let batch = ipscope_store::prepare_batch(&events(1, 0), p.id).unwrap().with_addresses(again);
    ipscope_store::wire::put_event_batch(&mut bytes, &batch).unwrap();
    let back = ipscope_store::wire::take_event_batch(&mut bytes.as_slice()).unwrap();
    s.commit_batch(&mut p, back).unwrap();
    assert_eq!(s.query("SELECT count(*) FROM addresses").unwrap().rows[0][0], Value::Int(3));
}

/// The `events` view names only the tables that hold events (over one table DuckDB answers
/// `max(ts)` from statistics and pushes a `LIMIT` into the scan), and a format's table joins it
/// with that format's first commit, in the same transaction.
#[test]
fn the_events_view_names_the_tables_that_hold_events() {
    let dir = tempfile::tempdir().unwrap();
    let view =
        |s: &Store| s.query("SELECT sql FROM duckdb_views() WHERE view_name = 'events'").unwrap().rows[0][0].render();
    let mut s = Store::open(dir.path()).unwrap();
    assert!(!view(&s).contains("events_sshd"));
    let mut p = progress("a.log", b"a\n", 2);
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &events(10, 0)).unwrap();
    let v = view(&s);
    assert!(v.contains("events_sshd") && !v.contains("events_wide") && !v.contains("events_cowrie"), "{v}");
    let mut c = Event::new(5_000_000, SourceFormat::Cowrie, EventKind::Auth);
    c.src_ip = Some("192.0.2.9".parse().unwrap());
    let mut q = progress("c.json", b"c\n", 2);
    q.id = s.new_input_id().unwrap();
    s.commit_events(&mut q, &[c]).unwrap();
    assert!(view(&s).contains("events_cowrie"));
    assert_eq!(s.event_count().unwrap(), 11);
    drop(s);
    // Another connection (a later run) sees the same; its first commit keeps both tables.
    let mut s = Store::open(dir.path()).unwrap();
    let mut p = progress("b.log", b"b\n", 2);
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &events(5, 100_000_000)).unwrap();
    let v = view(&s);
    assert!(v.contains("events_sshd") && v.contains("events_cowrie"), "{v}");
    assert_eq!(s.event_count().unwrap(), 16);
    let t = s.query("SELECT string_agg(DISTINCT format, ',' ORDER BY format) FROM events").unwrap();
    assert_eq!(t.rows[0][0].render(), "sshd,cowrie");
}

/// Schema 8 keeps a narrow table's address number in two columns (`src_ip4`, `src_ip6hi`):
/// a schema 7 store's events read back through the `events` view exactly as they were stored
/// (numbers at both ends of each family's range, families, NULLs), the view keeps its columns
/// and types, and new events land in the new columns and read back the same way.
#[test]
fn a_schema_7_store_reads_the_same_after_its_address_numbers_are_split() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "(make_timestamp(1000000), 'auth', 'failure', '0.0.0.1', 1, 4, 'a', 1), \
                (make_timestamp(2000000), 'auth', 'failure', '255.255.255.255', 4294967295, 4, 'b', 1), \
                (make_timestamp(3000000), 'auth', NULL, '2001:db8::1', 2306139568115548160, 6, 'c', 1), \
                (make_timestamp(4000000), 'auth', 'success', 'ff02::1', 18375249333607514112, 6, 'd', 1), \
                (make_timestamp(5000000), 'invalid_user', NULL, NULL, NULL, NULL, 'e', 1)";
    let picked = "ts, kind, outcome, src_ip, src_ipnum, src_family, username, input_id";
    let before;
    {
        let s = Store::create_at_version(dir.path(), 7).unwrap();
        for table in ["events_sshd", "events_iptracking"] {
            s.query(&format!("INSERT INTO {table} ({picked}) VALUES {rows}")).unwrap();
        }
        before = s.query(&format!("SELECT {picked} FROM events_sshd ORDER BY ts")).unwrap();
        assert_eq!(before.rows.len(), 5);
    }
    let mut s = Store::open(dir.path()).unwrap();
    for format in ["sshd", "iptracking"] {
        let after = s.query(&format!("SELECT {picked} FROM events WHERE format = '{format}' ORDER BY ts")).unwrap();
        assert_eq!(after.rows, before.rows, "{format}");
    }
    // The view's columns and types are schema 1's.
    let described = s.query("SELECT column_name, column_type FROM (DESCRIBE events)").unwrap();
    let got: Vec<(String, String)> = described.rows.iter().map(|r| (r[0].render(), r[1].render())).collect();
    let want: Vec<(String, String)> = [
        ("ts", "TIMESTAMP"),
        ("format", "ENUM"),
        ("src_ipnum", "UBIGINT"),
        ("src_family", "UTINYINT"),
        ("input_id", "INTEGER"),
    ]
    .iter()
    .map(|(c, t)| (c.to_string(), t.to_string()))
    .collect();
    for (c, t) in &want {
        let found = got.iter().find(|(g, _)| g == c).map(|(_, t)| t.as_str()).unwrap_or("missing");
        assert!(found.starts_with(t.as_str()), "{c}: {found}");
    }
    assert_eq!(got.len(), 43, "{got:?}");
    // Every narrow table has the two columns and neither of the old ones.
    let t = s
        .query(
            "SELECT table_name, string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns \
             WHERE table_name LIKE 'events\\_%' ESCAPE '\\' AND table_name NOT IN ('events_wide', 'events_geo', 'events_span') \
             AND column_name IN ('src_ip4', 'src_ip6hi', 'src_ipnum', 'src_family') GROUP BY ALL ORDER BY 1",
        )
        .unwrap();
    assert_eq!(t.rows.len(), 6, "{:?}", t.rows);
    assert!(t.rows.iter().all(|r| r[1].render() == "src_ip4,src_ip6hi"), "{:?}", t.rows);
    // New events, both families, read back with the numbers `ip_number` gives.
    let mut fresh = events(4, 9_000_000);
    fresh[1].src_ip = Some("2001:db8:aa:bb::1".parse().unwrap());
    fresh[3].src_ip = None;
    let mut p = progress("new.log", b"new\n", 4);
    p.id = s.new_input_id().unwrap();
    s.commit_events(&mut p, &fresh).unwrap();
    let t = s
        .query("SELECT src_ip, src_ipnum, src_family FROM events WHERE ts >= make_timestamp(9000000) ORDER BY ts")
        .unwrap();
    let want: Vec<String> = fresh
        .iter()
        .map(|e| match e.src_ip {
            Some(ip) => format!("{ip} {} {}", ipscope_store::ip_number(ip), if ip.is_ipv6() { 6 } else { 4 }),
            None => "NULL NULL NULL".to_owned(),
        })
        .collect();
    let got: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            r.iter().map(|v| if *v == Value::Null { "NULL".into() } else { v.render() }).collect::<Vec<_>>().join(" ")
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(s.query("SELECT count(src_ip6hi) FROM events_sshd").unwrap().rows[0][0], Value::Int(3));
}

/// A store tuned for ingest closes and reopens its database every so many events (DuckDB keeps
/// the metadata of the row groups a connection wrote while it is open): nothing is lost or
/// doubled, the ingest settings and the scratch tables come back, and a store that gave out a
/// reader (which shares the database) never reopens.
#[test]
fn an_ingest_store_reopens_its_database_now_and_then_and_loses_nothing() {
    use ipscope_event::AddressInfo;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path()).unwrap();
    s.tune_for_ingest(std::time::Duration::from_secs(5)).unwrap();
    s.reopen_every(1000);
    let mut p = progress("a.log", b"a", 0);
    p.id = s.new_input_id().unwrap();
    for i in 0..5u64 {
        p.bytes = (i + 1) * 100;
        // Each batch brings an address the store may hold already (the deduplicating path,
        // through a temporary table of the connection).
        let info =
            AddressInfo { asn: Some(64500), ..AddressInfo::new(format!("198.51.100.{}", i % 2).parse().unwrap()) };
        let addresses = ipscope_store::prepare_addresses(&[info], 0).unwrap().deduplicated();
        let batch = ipscope_store::prepare_batch(&events(600, i as i64 * 1_000_000_000), p.id)
            .unwrap()
            .with_addresses(addresses);
        s.commit_batch(&mut p, batch).unwrap();
    }
    // Reopened before the 3rd batch (1200 events since open) and before the 5th.
    assert_eq!(s.reopened(), 2);
    assert_eq!(s.event_count().unwrap(), 3000);
    assert_eq!(s.query("SELECT count(*) FROM addresses").unwrap().rows[0][0], Value::Int(2));
    let limit = s.query("SELECT current_setting('memory_limit'), current_setting('threads')").unwrap();
    assert_eq!(limit.rows[0].iter().map(Value::render).collect::<Vec<_>>(), ["45.7 MiB", "1"]);
    let reader = s.reader().unwrap();
    for i in 5..9u64 {
        p.bytes = (i + 1) * 100;
        let batch = ipscope_store::prepare_batch(&events(600, i as i64 * 1_000_000_000), p.id).unwrap();
        s.commit_batch(&mut p, batch).unwrap();
    }
    assert_eq!(s.reopened(), 2, "no reopening once a reader shares the database");
    assert_eq!(reader.event_count().unwrap(), 5400);
    drop((s, reader));
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.event_count().unwrap(), 5400);
    assert_eq!(s.query("SELECT bytes FROM inputs").unwrap().rows, [[Value::Int(900)]]);
}
