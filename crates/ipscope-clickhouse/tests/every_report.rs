#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
//! Every report of `ipscope_report::CATALOGUE`, and the variants the CLI's fixture test runs
//! (`crates/ipscope/tests/report_fixtures.rs`), give the same `Table` on the 2-shard cluster as on
//! the embedded store, for the same generated logs of every format, parsed and enriched as
//! ingest does (the same batches committed to both).

mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::scratch;
use ipscope_clickhouse::Cluster;
use ipscope_enrich::{AddressBook, Databases, Enricher, HomeNets};
use ipscope_event::{Event, EventKind, Outcome, SourceFormat};
use ipscope_formats::{ClockConfig, FormatKind, ParseOptions, YearRule, Zone};
use ipscope_gen::{GenConfig, GenFormat};
use ipscope_ingest::Batcher;
use ipscope_report::{Bucket, By, Dialect, Params};
use ipscope_store::{InputProgress, Query, Store, StoreError, Table, Value, prepare_batch};

/// Lines generated per format.
const LINES: u64 = 3_000;
const SEED: u64 = 7;

fn corpus_mmdb(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/mmdb/test-data")).join(file)
}

fn enricher() -> Enricher {
    let dbs = Databases::open_explicit(&[corpus_mmdb("GeoIP2-City-Test.mmdb"), corpus_mmdb("GeoLite2-ASN-Test.mmdb")])
        .unwrap();
    Enricher::new(dbs, HomeNets::default())
}

/// Where the batches go.
trait Sink {
    fn new_id(&mut self) -> i32;
    fn commit(&mut self, p: &mut InputProgress, batch: ipscope_store::EventBatch);
}

impl Sink for Store {
    fn new_id(&mut self) -> i32 {
        self.new_input_id().unwrap()
    }
    fn commit(&mut self, p: &mut InputProgress, batch: ipscope_store::EventBatch) {
        self.commit_batch(p, batch).unwrap();
    }
}

impl Sink for Cluster {
    fn new_id(&mut self) -> i32 {
        self.new_input_id().unwrap()
    }
    fn commit(&mut self, p: &mut InputProgress, batch: ipscope_store::EventBatch) {
        self.commit_batch(p, batch).unwrap();
    }
}

/// Parses `log` as ingest does (batches of `batch_events`, enriched with `book`'s new
/// addresses) and commits every batch to `sink`.
fn ingest(sink: &mut dyn Sink, format: GenFormat, log: &[u8], e: &Enricher, book: &mut AddressBook) -> u64 {
    let kind: FormatKind = format.parser_name().parse().unwrap();
    let opts =
        ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2026) }, ..ParseOptions::default() };
    let reference = GenConfig::default().start_micros;
    let id = sink.new_id();
    let mut batcher = Batcher::new(ipscope_formats::new_parser(kind, &opts, reference), id, 2_000, 0);
    let name = format!("{format}.log");
    let mut p = InputProgress { id, path: name.clone(), format: kind.as_str().to_owned(), ..Default::default() };
    let head = &log[..log.len().min(4096)];
    let mut end = 0u64;
    let mut events = 0;
    let mut flush = |batcher: &mut Batcher, book: &mut AddressBook, p: &mut InputProgress| {
        let batch = batcher.take(&name, Some((e, book))).unwrap();
        batch.advance(p, head);
        events += batch.events.len() as u64;
        sink.commit(p, batch.events);
    };
    for line in log.split_inclusive(|b| *b == b'\n') {
        end += line.len() as u64;
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        batcher.push(text, end, line.ends_with(b"\n"), false);
        if batcher.is_full() {
            flush(&mut batcher, book, &mut p);
        }
    }
    if batcher.has_pending() {
        flush(&mut batcher, book, &mut p);
    }
    events
}

/// Production logins (sshd) from the Cowrie source with most events, after it was first seen
/// by the honeypot, and from the ASA deny source with most events before its first deny: the
/// generated formats share no addresses, so without these `crossover` has no rows.
fn crossover_events(store: &Store) -> Vec<Event> {
    let first = |format: &str, cond: &str| -> (String, i64) {
        let t = store
            .query(&format!(
                "SELECT src_ip, epoch_us(min(ts)) FROM events WHERE format = '{format}' AND {cond} \
                 AND src_family = 4 GROUP BY src_ip ORDER BY count(*) DESC, src_ip LIMIT 1"
            ))
            .unwrap();
        let row = &t.rows[0];
        (row[0].render(), row[1].as_i64().unwrap())
    };
    let mut out = Vec::new();
    let (honeypot, seen) = first("cowrie", "TRUE");
    let (denied, denied_at) = first("asa", "kind = 'deny'");
    let mut login = |ip: &str, at: i64, kind: EventKind, outcome: Option<Outcome>| {
        let mut e = Event::new(at, SourceFormat::Sshd, kind);
        e.src_ip = Some(ip.parse().unwrap());
        e.user = Some("alice".into());
        e.outcome = outcome;
        e.sensor = Some("login1".into());
        out.push(e);
    };
    for i in 0..3 {
        login(&honeypot, seen + 3_600_000_000 + i * 1_000_000, EventKind::Auth, Some(Outcome::Failure));
    }
    login(&honeypot, seen + 7_200_000_123, EventKind::Auth, Some(Outcome::Success));
    login(&honeypot, seen + 7_200_500_000, EventKind::SessionOpen, None);
    login(&denied, denied_at - 60_000_000, EventKind::Auth, Some(Outcome::Failure));
    out
}

/// Generated logs of every format in an in-memory embedded store and in the cluster.
fn load(test: &str) -> (common::Scratch, Cluster, Store) {
    let (s, mut c) = scratch(test);
    let mut store = Store::open_in_memory().unwrap();
    let e = enricher();
    let (mut book_s, mut book_c) = (AddressBook::new([]), AddressBook::new([]));
    let cfg = GenConfig { seed: SEED, lines: LINES, ..GenConfig::default() };
    for format in GenFormat::ALL {
        let mut log = Vec::new();
        ipscope_gen::write(format, &cfg, &mut log).unwrap();
        let a = ingest(&mut store, format, &log, &e, &mut book_s);
        let b = ingest(&mut c, format, &log, &e, &mut book_c);
        assert_eq!(a, b, "{format}");
        assert!(a > 0, "{format}: no events");
    }
    let extra = crossover_events(&store);
    for sink in [&mut store as &mut dyn Sink, &mut c] {
        let id = sink.new_id();
        let mut p =
            InputProgress { id, path: "crossover".into(), format: "sshd".into(), bytes: 1, ..Default::default() };
        sink.commit(&mut p, prepare_batch(&extra, id).unwrap());
    }
    (s, c, store)
}

fn run(name: &str, q: &dyn Query, p: &Params) -> Result<Table, String> {
    let r = ipscope_report::find(name).unwrap_or_else(|| panic!("no report {name}"));
    ipscope_report::run(r, q, p).map_err(|e| e.to_string())
}

/// One case: a report with its parameters (the CLI's flags, mapped as `report` maps them).
struct Case {
    label: String,
    report: &'static str,
    params: Params,
    /// Whether the data gives this case rows (else an empty table on both is the answer).
    rows: bool,
}

fn case(report: &'static str, label: &str, params: Params) -> Case {
    Case { label: format!("{report} {label}").trim().to_owned(), report, params, rows: true }
}

fn utc(date: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros()
}

fn cases(store: &Store) -> Vec<Case> {
    let base = Params { top: 50, ..Params::default() };
    let with = |f: &dyn Fn(&mut Params)| {
        let mut p = base.clone();
        f(&mut p);
        p
    };
    let mut out: Vec<Case> = ipscope_report::CATALOGUE
        .iter()
        .filter(|r| !matches!(r.name, "top-asns" | "asn-trend"))
        .map(|r| case(r.name, "", base.clone()))
        .collect();
    // Keys the data has: the top ASN, the busiest IPv4 address's /24 to drill into.
    let one = |sql: &str| store.query(sql).unwrap().rows.first().and_then(|r| r.first().cloned()).unwrap();
    let Value::Int(asn) =
        one("SELECT asn FROM events_geo WHERE asn IS NOT NULL GROUP BY asn ORDER BY count(*) DESC, asn LIMIT 1")
    else {
        panic!("no ASN in the data")
    };
    let asn = u32::try_from(asn).unwrap();
    let Value::Text(busiest) =
        one("SELECT src_ip FROM events WHERE src_family = 4 GROUP BY src_ip ORDER BY count(*) DESC, src_ip LIMIT 1")
    else {
        panic!("no IPv4 source")
    };
    let ip: std::net::IpAddr = busiest.parse().unwrap();
    let drill = ipnet::IpNet::new(ip, 24).unwrap().trunc();
    // The generator's campus networks, the /24 of the first brute-force suspect and of the
    // busiest source with a country (low-success and countries have home rows).
    let suspects = run("low-success", store, &base).unwrap();
    let Some(Value::Text(brute)) = suspects.rows.first().map(|r| r[0].clone()) else {
        panic!("no brute-force suspect")
    };
    let Value::Text(located) = one("SELECT src_ip FROM events_geo WHERE country_code IS NOT NULL AND src_family = 4 \
         GROUP BY src_ip ORDER BY count(*) DESC, src_ip LIMIT 1")
    else {
        panic!("no source with a country")
    };
    let net = |ip: &str| ipnet::IpNet::new(ip.parse().unwrap(), 24).unwrap().trunc();
    let home = HomeNets::parse_list(&format!("10.0.0.0/8,192.168.0.0/16,{},{}", net(&brute), net(&located))).unwrap();

    out.extend([
        case(
            "top-asns",
            "--taxonomy intrusion-attempts",
            with(&|p| p.filter.taxonomies = vec!["intrusion-attempts".into()]),
        ),
        case("asn-trend", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        case("low-success", "--by user", with(&|p| p.by = By::User)),
        case("nets", "--prefix 16", with(&|p| p.prefix_v4 = 16)),
        case("nets", "--registered", with(&|p| p.registered = true)),
        case("nets", &format!("--drill {drill}"), with(&|p| p.drill = Some(drill))),
        case(
            "top-ips",
            "--source cowrie,sshd",
            with(&|p| p.filter.formats = vec![ipscope_event::SourceFormat::Cowrie, ipscope_event::SourceFormat::Sshd]),
        ),
        case(
            "top-ips",
            "--kind auth --since 2026-03-04 --until 2026-03-06",
            with(&|p| {
                p.filter.kinds = vec![ipscope_event::EventKind::Auth];
                p.filter.since = Some(utc("2026-03-04"));
                p.filter.until = Some(utc("2026-03-06"));
            }),
        ),
        case(
            "top-ips",
            "--src 0.0.0.0/1 --min-events 3",
            with(&|p| {
                p.filter.src = vec!["0.0.0.0/1".parse().unwrap()];
                p.min_events = 3;
            }),
        ),
        case("daily", "--tz America/Chicago", with(&|p| p.tz = "America/Chicago".parse().unwrap())),
        case("activity", "--tz Asia/Kolkata", with(&|p| p.tz = "Asia/Kolkata".parse().unwrap())),
        case("activity", "--attacker-time", with(&|p| p.attacker_time = true)),
        case(
            "timeline",
            "--by format --bucket day",
            with(&|p| {
                p.by = By::Format;
                p.bucket = Bucket::Day;
            }),
        ),
        case(
            "trends",
            "--by country --days 7",
            with(&|p| {
                p.by = By::Country;
                p.days = 7;
            }),
        ),
        case("trends", "--by user", with(&|p| p.by = By::User)),
        case(
            "rates",
            "--threshold ip:1h=20,24:1d=100",
            with(&|p| p.thresholds = vec!["ip:1h=20".parse().unwrap(), "24:1d=100".parse().unwrap()]),
        ),
        case("scans", "--no-probes", with(&|p| p.filter.no_probes = true)),
        // --asn on other reports (events_geo on the cluster).
        case("summary", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        case("top-ips", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        case("countries", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        case("attackers", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        case(
            "nets",
            &format!("--registered --asn {asn}"),
            with(&|p| {
                p.registered = true;
                p.filter.asns = vec![asn];
            }),
        ),
        case("recent", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        case("trends", &format!("--asn {asn}"), with(&|p| p.filter.asns = vec![asn])),
        // Other paths through the SQL.
        case(
            "recent",
            "--source cowrie --top 5",
            with(&|p| {
                p.filter.formats = vec![SourceFormat::Cowrie];
                p.top = 5;
            }),
        ),
        case(
            "timeline",
            "--bucket minute --tz +05:30",
            with(&|p| {
                p.bucket = Bucket::Minute;
                p.tz = "+05:30".parse().unwrap();
            }),
        ),
        case(
            "timeline",
            "--bucket hour --tz America/Chicago",
            with(&|p| {
                p.bucket = Bucket::Hour;
                p.tz = "America/Chicago".parse().unwrap();
            }),
        ),
        case("services", "--bucket hour", with(&|p| p.bucket = Bucket::Hour)),
        case("scans", "--tz Asia/Kolkata", with(&|p| p.tz = "Asia/Kolkata".parse().unwrap())),
        case("taxonomy", "--tz America/Chicago", with(&|p| p.tz = "America/Chicago".parse().unwrap())),
        case(
            "nets",
            "--prefix 8 --prefix6 32",
            with(&|p| {
                p.prefix_v4 = 8;
                p.prefix_v6 = 32;
            }),
        ),
        case("low-success", "-s 0.5", with(&|p| p.ratio = 0.5)),
        case(
            "trends",
            "--by prefix --prefix 16",
            with(&|p| {
                p.by = By::Prefix;
                p.prefix_v4 = 16;
            }),
        ),
        case("rates", "--kind deny", with(&|p| p.filter.kinds = vec![EventKind::Deny])),
        case("activity", "--tz America/Chicago", with(&|p| p.tz = "America/Chicago".parse().unwrap())),
    ]);
    for by in [By::Format, By::Kind, By::Ip, By::Port, By::Taxonomy] {
        out.push(case("trends", &format!("--by {by:?}"), with(&|p| p.by = by)));
    }
    // --home-only / --external (home networks in the filter and in Params).
    for (inside, flag) in [(true, "--home-only"), (false, "--external")] {
        for report in ["summary", "top-ips", "low-success", "open-sessions", "countries", "nets"] {
            let mut c = case(
                report,
                flag,
                with(&|p| {
                    p.home = home.clone();
                    p.filter.home = Some((inside, home.clone()));
                }),
            );
            // open-sessions lists outside sources only: nothing is both.
            c.rows = !(inside && report == "open-sessions");
            out.push(c);
        }
    }
    out
}

#[test]
fn every_report_is_the_same_on_the_cluster_as_embedded() {
    let started = Instant::now();
    let (_s, c, store) = load("catalogue");
    let loaded = started.elapsed();
    let mut failed = Vec::new();
    let mut empty = Vec::new();
    let cases = cases(&store);
    let rec = Recording { cluster: &c, sql: Default::default() };
    // Every address once more, enriched in 1970 with a made-up country and ASN: the state of a
    // re-enriched address before a merge of `addresses` (a ReplacingMergeTree). Reports must read
    // the latest row of each address only: neither count it twice nor show its old values.
    let db = c.url().database.clone();
    let stale = duplicate_addresses(&c, &db);
    // The SQL each report sent the cluster, by report, for the snapshots.
    let mut by_report: std::collections::BTreeMap<&str, String> = Default::default();
    let mut sent = Vec::new();
    for k in &cases {
        let embedded = match run(k.report, &store, &k.params) {
            Ok(t) => t,
            Err(e) => panic!("{}: embedded: {e}", k.label),
        };
        let on_cluster = run(k.report, &rec, &Params { dialect: Dialect::ClickHouse, ..k.params.clone() });
        let queries: Vec<String> = rec.sql.borrow_mut().drain(..).collect();
        let text = by_report.entry(k.report).or_default();
        text.push_str(&format!("## {}\n", k.label));
        for q in &queries {
            text.push_str(&readable(q));
            text.push('\n');
        }
        sent.extend(queries);
        match on_cluster {
            Err(e) => failed.push(format!("{}: cluster error: {e}", k.label)),
            Ok(t) if t != embedded => {
                let first = t.rows.iter().zip(&embedded.rows).position(|(a, b)| a != b);
                failed.push(format!(
                    "{}: tables differ (columns {:?} vs {:?}; rows {} vs {}; first differing row {first:?}: {:?} vs {:?})",
                    k.label,
                    t.columns,
                    embedded.columns,
                    t.rows.len(),
                    embedded.rows.len(),
                    first.map(|i| &t.rows[i]),
                    first.map(|i| &embedded.rows[i]),
                ));
            }
            Ok(_) => {}
        }
        if k.rows && embedded.rows.is_empty() {
            empty.push(k.label.clone());
        }
    }
    // What `--chart` draws for trends: the daily series of its top keys.
    let trends = ipscope_report::find("trends").unwrap();
    let chart = |q: &dyn Query, d: Dialect| {
        ipscope_report::chart_table(trends, q, &Params { dialect: d, ..Params::default() }).unwrap().unwrap()
    };
    let embedded_chart = chart(&store, Dialect::DuckDb);
    assert!(!embedded_chart.rows.is_empty());
    assert_eq!(chart(&rec, Dialect::ClickHouse), embedded_chart, "trends --chart");
    eprintln!("{} cases, data loaded in {loaded:?}, all in {:?}", cases.len(), started.elapsed());
    // The stale rows were there all along (a merge only ever removes them).
    let rows = c.query(&format!("SELECT count() AS n, uniqExact(ip) AS ips FROM {db}.addresses")).unwrap();
    assert_eq!(rows.rows[0], [Value::Int(2 * stale), Value::Int(stale)], "the stale rows stayed");
    sent.extend(rec.sql.borrow_mut().drain(..));
    // What the cluster was sent is ClickHouse's SQL: nothing DuckDB-only.
    for sql in &sent {
        for duck in [
            "AS VARCHAR",
            ">>",
            "string_agg",
            "list(",
            "FILTER (WHERE",
            " OVER (",
            "TRUE",
            "FALSE",
            "GROUP BY 1",
            "ORDER BY 1",
            "make_timestamp",
            "INTERVAL",
            "infinity",
            "EXISTS",
            "any_value",
            "epoch_us",
            "events_span",
            "rollup_hourly",
        ] {
            assert!(!sql.contains(duck), "{duck} in {sql}");
        }
        assert!(!sql.trim_start().starts_with("WITH "), "a CTE: {sql}");
    }
    assert!(sent.len() >= cases.len(), "{} queries for {} cases", sent.len(), cases.len());
    assert!(failed.is_empty(), "{} of {} cases differ:\n{}", failed.len(), cases.len(), failed.join("\n"));
    assert!(empty.is_empty(), "no rows, nothing compared: {empty:?}");
    // The SQL itself, one snapshot per report: a dialect change shows in review as a diff of the
    // queries the cluster runs (the equality above says whether the answers still agree).
    for (report, text) in by_report {
        insta::assert_snapshot!(format!("clickhouse_sql_{report}"), text);
    }
}

/// One clause a line (before `FROM`, `WHERE`, `GROUP BY`, ...), so a snapshot diff points at
/// the clause that changed. Only for reading: the text inside literals may be split too.
fn readable(sql: &str) -> String {
    let mut out = sql.trim().to_owned();
    for kw in [
        " FROM ",
        " WHERE ",
        " GROUP BY ",
        " HAVING ",
        " ORDER BY ",
        " LIMIT ",
        " UNION ALL ",
        " ANY LEFT JOIN ",
        " INNER JOIN ",
    ] {
        out = out.replace(kw, &format!("\n {}", kw.trim_start()));
    }
    out
}

/// The cluster, keeping the SQL it is sent.
struct Recording<'a> {
    cluster: &'a Cluster,
    sql: std::cell::RefCell<Vec<String>>,
}

impl Query for Recording<'_> {
    fn engine(&self) -> ipscope_store::Engine {
        self.cluster.engine()
    }
    fn query(&self, sql: &str) -> ipscope_store::Result<Table> {
        self.sql.borrow_mut().push(sql.to_owned());
        self.cluster.query(sql)
    }
    fn query_user(&self, sql: &str) -> ipscope_store::Result<Table> {
        self.sql.borrow_mut().push(sql.to_owned());
        self.cluster.query_user(sql)
    }
    fn query_arrow(&self, _sql: &str) -> ipscope_store::Result<Vec<duckdb::arrow::record_batch::RecordBatch>> {
        Err(StoreError::Backend("not here".into()))
    }
}

/// Adds on every shard a second, older row for each address (country `XX`, ASN 1, enriched at
/// the epoch) and returns how many; checks they are there.
fn duplicate_addresses(c: &Cluster, db: &str) -> i64 {
    let cols: Vec<String> = std::iter::once("ip".to_owned())
        .chain(ipscope_store::GEO_COLUMNS.iter().map(|col| match *col {
            "country_code" => "'XX'".to_owned(),
            "asn" => "1".to_owned(),
            "as_org" => "'Stale'".to_owned(),
            other => other.to_owned(),
        }))
        .chain(std::iter::once("toDateTime(0, 'UTC')".to_owned()))
        .collect();
    for shard in [1, 2] {
        // No merge may fold them away during the test (this table only).
        c.shard_text(shard, &format!("SYSTEM STOP MERGES {db}.addresses_local")).unwrap();
        c.shard_text(
            shard,
            &format!("INSERT INTO {db}.addresses_local SELECT {} FROM {db}.addresses_local", cols.join(", ")),
        )
        .unwrap();
    }
    let t = c.query(&format!("SELECT count() AS n, uniqExact(ip) AS ips FROM {db}.addresses")).unwrap();
    let (n, ips) = (t.rows[0][0].as_i64().unwrap(), t.rows[0][1].as_i64().unwrap());
    assert_eq!(n, 2 * ips, "every address twice before the reports");
    ips
}
