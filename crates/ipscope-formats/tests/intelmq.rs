//! The IntelMQ JSON and Shadowserver CSV parsers over every IntelMQ corpus file, checked against
//! what is computed here independently (serde_json's stream reader, the `csv` crate), golden
//! snapshots, format detection against every corpus file of every format, and no-panic
//! properties.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;

use common::{Parsed, lines, parse_all};
use ipscope_formats::intelmq::shadowserver::{self, ShadowserverCsvParser};
use ipscope_formats::intelmq::{self, IntelmqJsonParser};
use ipscope_formats::{Clock, ClockConfig, Event, EventKind, LineOutcome, Parser, SourceFormat, YearRule, Zone};
use proptest::prelude::*;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/");
const INTELMQ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/intelmq/");

const JSON_FILES: [&str; 3] = ["events/data.json", "events/events.txt", "events/docs-user-intro-example-event.json"];

/// Every Shadowserver file with the taxonomy its report kind implies (from the file NAME,
/// which the parser never sees: it infers the kind from the header).
const CSV_FILES: [(&str, Option<&str>); 9] = [
    ("shadowserver/blocklist.csv", Some("other")),
    ("shadowserver/event4_honeypot_brute_force.csv", Some("intrusion-attempts")),
    ("shadowserver/event4_honeypot_darknet.csv", Some("other")),
    ("shadowserver/event4_ip_spoofer.csv", Some("fraud")),
    ("shadowserver/event4_sinkhole.csv", Some("malicious-code")),
    ("shadowserver/event6_sinkhole_http.csv", Some("malicious-code")),
    ("shadowserver/scan_rdp.csv", Some("vulnerable")),
    ("shadowserver/scan_ssh.csv", Some("vulnerable")),
    ("shadowserver/scan_telnet.csv", Some("vulnerable")),
];

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{INTELMQ}{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn utc_clock() -> Clock {
    Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2024) }, 0)
}

fn json_parser() -> IntelmqJsonParser {
    IntelmqJsonParser::new(utc_clock())
}

fn csv_parser() -> ShadowserverCsvParser {
    ShadowserverCsvParser::new(utc_clock())
}

type Hist = BTreeMap<String, usize>;

fn hist<'a>(it: impl Iterator<Item = Option<&'a str>>) -> Hist {
    let mut h = Hist::new();
    for v in it {
        *h.entry(v.unwrap_or("-").to_owned()).or_default() += 1;
    }
    h
}

fn events(parsed: &[Parsed]) -> Vec<&Event> {
    parsed.iter().flat_map(|p| &p.events).collect()
}

/// Outcome of every line that produced no event: (line, "ignored: x" / "rejected: reason").
fn non_events(parsed: &[Parsed]) -> Vec<(usize, String)> {
    parsed
        .iter()
        .filter_map(|p| match &p.outcome {
            LineOutcome::Events(n) => {
                assert_eq!(*n, p.events.len(), "line {}", p.line_no);
                assert_eq!(*n, 1, "line {}", p.line_no);
                None
            }
            LineOutcome::Ignored(c) => {
                assert!(p.events.is_empty());
                Some((p.line_no, format!("ignored: {c}")))
            }
            LineOutcome::Rejected(r) => {
                assert!(p.events.is_empty());
                Some((p.line_no, format!("rejected: {}", r.reason)))
            }
        })
        .collect()
}

fn common_invariants(rel: &str, evs: &[&Event]) {
    for e in evs {
        assert_eq!((e.kind, e.format, e.outcome), (EventKind::FeedEvent, SourceFormat::Intelmq, None), "{rel}");
        assert!(e.src_ip.is_some() || e.src_host.is_some() || e.prefix.is_some(), "{rel}: no source: {e:?}");
    }
}

// ---- JSON ----

/// The objects of a JSON file, read with serde_json's stream reader (no line logic at all).
fn objects(bytes: &[u8]) -> Vec<serde_json::Map<String, Value>> {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .map(|v| match v.unwrap() {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

fn has_time(m: &serde_json::Map<String, Value>) -> bool {
    ["time.source", "time.observation"].iter().any(|k| m.get(*k).and_then(Value::as_str).is_some_and(|s| !s.is_empty()))
}

fn check_json(rel: &str) -> Vec<(usize, String)> {
    let bytes = read(rel);
    let parsed = parse_all(&mut json_parser(), &bytes);
    let evs = events(&parsed);
    common_invariants(rel, &evs);
    let objs = objects(&bytes);
    let (timed, untimed): (Vec<_>, Vec<_>) = objs.iter().partition(|m| has_time(m));
    // One event per object with a time; the others rejected `no time`.
    assert_eq!(evs.len(), timed.len(), "{rel}: events");
    let non = non_events(&parsed);
    let rejected: Vec<_> = non.iter().filter(|(_, o)| o.starts_with("rejected")).collect();
    assert_eq!(rejected.len(), untimed.len(), "{rel}: rejected");
    assert!(rejected.iter().all(|(_, o)| o == "rejected: no time"), "{rel}: {rejected:?}");
    // Every other line is part of a multi-line object (or blank).
    let objects_lines = parsed.len() - non.len() + rejected.len();
    assert_eq!(objects_lines, objs.len(), "{rel}: one outcome-bearing line per object");
    assert!(
        non.iter().filter(|(_, o)| o.starts_with("ignored")).all(|(_, o)| o == "ignored: multi-line object"),
        "{rel}: {non:?}"
    );
    // `"__type": "Event"` by plain text equals the objects that say so.
    let text = String::from_utf8_lossy(&bytes);
    let typed = objs.iter().filter(|m| m.get("__type").and_then(Value::as_str) == Some("Event")).count();
    assert_eq!(text.matches(r#""__type": "Event""#).count(), typed, "{rel}");
    // Field by field, in order.
    let s = |m: &serde_json::Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let want: Vec<_> = timed.iter().map(|m| s(m, "source.ip")).collect();
    let got: Vec<_> = evs.iter().map(|e| e.src_ip.map(|a| a.to_string())).collect();
    assert_eq!(got, want, "{rel}: source.ip");
    let want: Vec<_> = timed.iter().map(|m| s(m, "destination.ip")).collect();
    let got: Vec<_> = evs.iter().map(|e| e.dst_ip.map(|a| a.to_string())).collect();
    assert_eq!(got, want, "{rel}: destination.ip");
    for (k, get) in [
        ("classification.taxonomy", (|e: &Event| e.taxonomy.clone()) as fn(&Event) -> Option<String>),
        ("classification.type", |e| e.class_type.clone()),
        ("classification.identifier", |e| e.identifier.clone()),
        ("feed.name", |e| e.feed_name.clone()),
        ("source.geolocation.cc", |e| e.geo.country_code.clone()),
    ] {
        let want = hist(timed.iter().map(|m| m.get(k).and_then(Value::as_str)));
        let got_v: Vec<_> = evs.iter().map(|e| get(e)).collect();
        assert_eq!(hist(got_v.iter().map(|v| v.as_deref())), want, "{rel}: {k} histogram");
    }
    for (m, e) in timed.iter().zip(&evs) {
        let t = s(m, "time.source").or_else(|| s(m, "time.observation")).unwrap();
        let want = chrono::DateTime::parse_from_rfc3339(&t).unwrap().timestamp_micros();
        assert_eq!(e.ts, want, "{rel}: {t}");
    }
    non
}

#[test]
fn data_json() {
    // Two minimal events with no time at all: nothing to put them on a day with.
    let non = check_json("events/data.json");
    assert_eq!(non, [(1, "rejected: no time".to_owned()), (2, "rejected: no time".to_owned())]);
}

#[test]
fn events_txt() {
    let non = check_json("events/events.txt");
    assert_eq!(non, []);
    let parsed = parse_all(&mut json_parser(), &read("events/events.txt"));
    let evs = events(&parsed);
    assert_eq!(evs.len(), 25);
    assert_eq!(hist(evs.iter().map(|e| e.class_type.as_deref())), Hist::from([("ddos".to_owned(), 25)]));
    assert_eq!(hist(evs.iter().map(|e| e.taxonomy.as_deref())), Hist::from([("-".to_owned(), 25)]));
}

#[test]
fn docs_example_event() {
    let non = check_json("events/docs-user-intro-example-event.json");
    let want: Vec<_> = (1..=19).map(|n| (n, "ignored: multi-line object".to_owned())).collect();
    assert_eq!(non, want, "20 lines: 19 buffered, the closing `}}` carries the event");
    let parsed = parse_all(&mut json_parser(), &read("events/docs-user-intro-example-event.json"));
    let e = events(&parsed)[0];
    assert_eq!(e.taxonomy.as_deref(), Some("malicious-code"));
    assert_eq!(e.asn, Some(47887));
    assert_eq!(e.src_port, Some(443));
    assert_eq!(e.prefix.as_deref(), Some("82.212.115.0/24"));
    assert_eq!(e.detail.as_deref(), Some("qakbot"));
}

// ---- CSV ----

struct Csv {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The file read with the `csv` crate (flexible: scan_rdp's rows are a column short).
fn read_csv(rel: &str) -> Csv {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(format!("{INTELMQ}{rel}")).unwrap();
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect();
    Csv { headers, rows }
}

impl Csv {
    fn col<'a>(&self, row: &'a [String], names: &[&str]) -> Option<&'a str> {
        let i = self.headers.iter().position(|h| names.contains(&h.as_str()))?;
        row.get(i).map(String::as_str).filter(|s| !s.is_empty())
    }
}

fn check_csv(rel: &str, taxonomy: Option<&str>) -> Vec<&'static str> {
    let bytes = read(rel);
    let parsed = parse_all(&mut csv_parser(), &bytes);
    let evs = events(&parsed);
    common_invariants(rel, &evs);
    let csv = read_csv(rel);
    assert_eq!(evs.len(), csv.rows.len(), "{rel}: one event per data row");
    assert_eq!(non_events(&parsed), [(1, "ignored: header".to_owned())], "{rel}");
    assert_eq!(parsed.len(), csv.rows.len() + 1, "{rel}: no row spans lines");
    assert_eq!(
        hist(evs.iter().map(|e| e.taxonomy.as_deref())),
        Hist::from([(taxonomy.unwrap_or("-").to_owned(), csv.rows.len())]),
        "{rel}: taxonomy histogram"
    );
    for (row, e) in csv.rows.iter().zip(&evs) {
        let ip = csv.col(row, &["ip", "src_ip"]);
        match ip.map(|s| s.parse::<IpAddr>()) {
            Some(Ok(a)) => assert_eq!(e.src_ip, Some(a), "{rel}"),
            _ => assert_eq!((e.src_ip, e.prefix.as_deref()), (None, ip), "{rel}: a network in `ip`"),
        }
        let num = |names: &[&str]| csv.col(row, names).map(|s| s.parse::<u32>().unwrap());
        assert_eq!(e.src_port.map(u32::from), num(&["port", "src_port"]), "{rel}");
        assert_eq!(e.dst_port.map(u32::from), num(&["dst_port"]), "{rel}");
        assert_eq!(e.asn, num(&["asn", "src_asn"]).filter(|&a| a != 0), "{rel}");
        assert_eq!(e.dst_ip, csv.col(row, &["dst_ip"]).and_then(|s| s.parse().ok()), "{rel}");
        assert_eq!(e.geo.country_code.as_deref(), csv.col(row, &["geo", "src_geo"]), "{rel}");
        assert_eq!(e.geo.city.as_deref(), csv.col(row, &["city", "src_city"]), "{rel}");
        assert_eq!(e.proto.as_deref(), csv.col(row, &["protocol"]), "{rel}");
        assert_eq!(e.feed_provider.as_deref(), Some("Shadowserver"), "{rel}");
        assert!(e.feed_name.is_some() && e.class_type.is_some() && e.identifier.is_some(), "{rel}: {e:?}");
        let ts = chrono::NaiveDateTime::parse_from_str(csv.col(row, &["timestamp"]).unwrap(), "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros();
        assert_eq!(e.ts, ts, "{rel}");
        if let Some(inf) = csv.col(row, &["infection"]) {
            assert_eq!(e.detail.as_deref(), Some(inf), "{rel}");
        }
    }
    evs.iter().map(|e| e.identifier.clone().map_or("-", |s| Box::leak(s.into_boxed_str()) as &str)).collect()
}

#[test]
fn shadowserver_files() {
    for (rel, taxonomy) in CSV_FILES {
        check_csv(rel, taxonomy);
    }
}

#[test]
fn shadowserver_identifiers() {
    let ids = |rel| hist(check_csv(rel, CSV_FILES.iter().find(|f| f.0 == rel).unwrap().1).into_iter().map(Some));
    let h = |pairs: &[(&str, usize)]| pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect::<Hist>();
    assert_eq!(ids("shadowserver/blocklist.csv"), h(&[("blocklist", 3)]));
    assert_eq!(
        ids("shadowserver/event4_honeypot_brute_force.csv"),
        h(&[("ssh-brute-force", 4), ("telnet-brute-force", 2)])
    );
    assert_eq!(ids("shadowserver/event4_honeypot_darknet.csv"), h(&[("mirai", 8)]));
    assert_eq!(ids("shadowserver/event4_ip_spoofer.csv"), h(&[("event-ip-spoofer", 6)]));
    assert_eq!(ids("shadowserver/event4_sinkhole.csv"), h(&[("victorygate.b", 1), ("virut", 2)]));
    assert_eq!(ids("shadowserver/event6_sinkhole_http.csv"), h(&[("sinkhole-http", 3)]));
    assert_eq!(ids("shadowserver/scan_rdp.csv"), h(&[("open-rdp", 2)]));
    assert_eq!(ids("shadowserver/scan_ssh.csv"), h(&[("open-ssh", 3)]));
    assert_eq!(ids("shadowserver/scan_telnet.csv"), h(&[("open-telnet", 2)]));
}

#[test]
fn every_file_is_checked() {
    let mut on_disk = Vec::new();
    for dir in ["events", "shadowserver"] {
        for entry in std::fs::read_dir(format!("{INTELMQ}{dir}")).unwrap() {
            on_disk.push(format!("{dir}/{}", entry.unwrap().file_name().into_string().unwrap()));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> =
        JSON_FILES.iter().map(|s| s.to_string()).chain(CSV_FILES.iter().map(|f| f.0.to_string())).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

// ---- detection ----

fn all_corpus_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            all_corpus_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn detection_claims_only_our_files() {
    let mut files = Vec::new();
    all_corpus_files(Path::new(CORPUS), &mut files);
    assert!(files.len() > 40);
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let first: Vec<&[u8]> = lines(&bytes).into_iter().filter(|l| !l.trim_ascii().is_empty()).take(20).collect();
        let rel = path.to_string_lossy().split("/corpus/").nth(1).unwrap().to_owned();
        let ours = |list: &[&str]| list.iter().any(|f| rel == format!("intelmq/{f}"));
        let csv_files: Vec<&str> = CSV_FILES.iter().map(|f| f.0).collect();
        assert_eq!(intelmq::looks_like(&first), ours(&JSON_FILES), "json: {rel}");
        assert_eq!(shadowserver::looks_like(&first), ours(&csv_files), "csv: {rel}");
    }
}

// ---- snapshots ----

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            strip_nulls(x);
        }
        m.retain(|_, x| !matches!(x, Value::Object(o) if o.is_empty()));
    }
}

#[derive(serde::Serialize)]
struct Row {
    line: usize,
    outcome: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<Value>,
}

fn render(p: &mut dyn Parser, rel: &str) -> Vec<Row> {
    parse_all(p, &read(rel))
        .into_iter()
        .map(|parsed| Row {
            line: parsed.line_no,
            outcome: match &parsed.outcome {
                LineOutcome::Events(n) => format!("events {n}"),
                LineOutcome::Ignored(c) => format!("ignored: {c}"),
                LineOutcome::Rejected(r) => format!("rejected: {r}"),
            },
            events: parsed
                .events
                .iter()
                .map(|e| {
                    let mut v = serde_json::to_value(e).unwrap();
                    let ts = chrono::DateTime::from_timestamp_micros(e.ts).unwrap();
                    v["ts"] = Value::String(ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
                    strip_nulls(&mut v);
                    v
                })
                .collect(),
        })
        .collect()
}

#[test]
fn snapshot_docs_example_event() {
    insta::assert_yaml_snapshot!(
        "intelmq_docs_example_event",
        render(&mut json_parser(), "events/docs-user-intro-example-event.json")
    );
}

#[test]
fn snapshot_data_json() {
    insta::assert_yaml_snapshot!("intelmq_data_json", render(&mut json_parser(), "events/data.json"));
}

#[test]
fn snapshot_honeypot_brute_force() {
    insta::assert_yaml_snapshot!(
        "shadowserver_honeypot_brute_force",
        render(&mut csv_parser(), "shadowserver/event4_honeypot_brute_force.csv")
    );
}

#[test]
fn snapshot_blocklist() {
    insta::assert_yaml_snapshot!("shadowserver_blocklist", render(&mut csv_parser(), "shadowserver/blocklist.csv"));
}

#[test]
fn snapshot_sinkhole() {
    // Row 3's dst_ip `148.81.111.11.12` (an anonymisation slip) is left unset.
    insta::assert_yaml_snapshot!(
        "shadowserver_sinkhole",
        render(&mut csv_parser(), "shadowserver/event4_sinkhole.csv")
    );
}

// ---- never panic ----

fn corpus_lines() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        JSON_FILES
            .iter()
            .copied()
            .chain(CSV_FILES.iter().map(|f| f.0))
            .flat_map(|f| lines(&read(f)).into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>())
            .collect()
    })
}

fn parsers() -> Vec<Box<dyn Parser>> {
    let berlin = ClockConfig { zone: Zone::Named(chrono_tz::Europe::Berlin), year: YearRule::Reference };
    vec![
        Box::new(json_parser()),
        Box::new(IntelmqJsonParser::new(Clock::new(berlin.clone(), i64::MIN))),
        Box::new(csv_parser()),
        Box::new(ShadowserverCsvParser::new(Clock::new(berlin, i64::MAX))),
    ]
}

fn check(p: &mut dyn Parser, line: &[u8]) {
    let mut out = Vec::new();
    match p.parse_line(line, &mut out) {
        LineOutcome::Events(n) => assert_eq!(n, out.len()),
        LineOutcome::Ignored(_) | LineOutcome::Rejected(_) => assert!(out.is_empty()),
    }
}

fn mutate(line: &mut Vec<u8>, (pos, byte, op): (usize, u8, u8)) {
    let n = line.len();
    match op % 4 {
        0 if n > 0 => line[pos % n] = byte,
        1 => line.insert(pos % (n + 1), byte),
        2 if n > 0 => {
            line.remove(pos % n);
        }
        _ => line.truncate(pos % (n + 1)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(ls in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..10)) {
        for mut p in parsers() {
            for l in &ls {
                check(p.as_mut(), l);
            }
        }
    }

    #[test]
    fn damaged_corpus_lines(picks in prop::collection::vec(
        (any::<prop::sample::Index>(), prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)), 1..30)
    ) {
        let corpus = corpus_lines();
        for mut p in parsers() {
            for (idx, damages) in &picks {
                let mut line = corpus[idx.index(corpus.len())].clone();
                for d in damages {
                    mutate(&mut line, *d);
                }
                check(p.as_mut(), &line);
            }
        }
    }

    #[test]
    fn json_and_csv_shaped_noise(ls in prop::collection::vec(prop::collection::vec(prop_oneof![
        Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\""), Just("\\"), Just(" "),
        Just("\"source.ip\": \"1.2.3.4\""), Just("\"time.source\": \"2024-01-01T00:00:00Z\""), Just("\"source\": {"),
        Just("\"source.port\": 99999999999999999999"), Just("\"source.asn\": -1.5e400"), Just("\"__type\": \"Event\""),
        Just("\"timestamp\",\"ip\",\"port\""), Just("timestamp,src_ip,dst_ip"), Just("\"2021-03-27 00:00:00\""),
        Just("\"a\"\"b\""), Just("1.2.3.4/99"), Just("::ffff:1.2.3.4"), Just("null"), Just("{}"),
    ], 0..12), 1..20)) {
        for mut p in parsers() {
            for words in &ls {
                check(p.as_mut(), words.concat().as_bytes());
            }
        }
    }
}

#[test]
fn every_corpus_line_with_every_parser() {
    for mut p in parsers() {
        for l in corpus_lines() {
            check(p.as_mut(), l);
        }
    }
}
