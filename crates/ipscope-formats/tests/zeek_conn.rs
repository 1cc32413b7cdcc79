//! The Zeek conn.log parser over every Zeek corpus file: events by `conn_state` and outcome
//! checked against counts computed here from the raw text (tab splitting, `serde_json::Value`),
//! every ignored / rejected line accounted for, snapshots, detection over the whole corpus, and
//! no panics on damaged input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use ipscope_formats::zeek_conn::{ZeekConnParser, looks_like};
use ipscope_formats::{Clock, ClockConfig, Event, EventKind, LineOutcome, Parser, SourceFormat, YearRule, Zone};
use proptest::prelude::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/");

/// Every file under `corpus/zeek/`.
const FILES: [&str; 11] = [
    "brimdata-zed/conn.log",
    "rita/proxy/conn.log",
    "rita/json_with_all_fields/conn.log",
    "beats/conn.log",
    "beats/connection-json.log",
    "zeek-btest/Files-zeek-cut-logs/conn.log",
    "zeek-btest/opt.basic/conn.log",
    "zeek-btest/scripts.base.protocols.ssh.basic/conn.log",
    "zeek-btest/core.tunnels.teredo/conn.log",
    "zeek-btest/scripts.base.protocols.ftp.ftp-ipv6/conn.log",
    "zeek-btest/scripts.base.frameworks.logging.json-non-printable-escaping/http.log.json",
];

/// The one Zeek corpus file that is not a conn log.
const HTTP_LOG: &str = "zeek-btest/scripts.base.frameworks.logging.json-non-printable-escaping/http.log.json";

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{CORPUS}zeek/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Lines as a reader hands them over: split on `\n`, a final unterminated line kept.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = bytes.split(|&c| c == b'\n').collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn parser() -> ZeekConnParser {
    ZeekConnParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Reference }, 0))
}

struct Parsed {
    line_no: usize,
    outcome: LineOutcome,
    events: Vec<Event>,
}

fn parse_all(bytes: &[u8]) -> Vec<Parsed> {
    let mut p = parser();
    lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let mut events = Vec::new();
            let outcome = p.parse_line(l, &mut events);
            Parsed { line_no: i + 1, outcome, events }
        })
        .collect()
}

type Counts = BTreeMap<String, usize>;

/// What the parser made of a file.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    /// Events by `conn_state` (`-` = unset).
    states: Counts,
    /// Events by outcome (`none` = unset).
    outcomes: Counts,
    /// Ignored lines: (line number, category).
    ignored: Vec<(usize, String)>,
    /// Rejected lines: (line number, reason).
    rejected: Vec<(usize, String)>,
}

fn tally(parsed: &[Parsed]) -> Tally {
    let mut t = Tally::default();
    for p in parsed {
        match &p.outcome {
            LineOutcome::Events(n) => assert_eq!((*n, p.events.len()), (1, 1), "line {}", p.line_no),
            LineOutcome::Ignored(c) => t.ignored.push((p.line_no, (*c).to_owned())),
            LineOutcome::Rejected(r) => t.rejected.push((p.line_no, r.reason.to_owned())),
        }
        for e in &p.events {
            assert_eq!((e.format, e.kind), (SourceFormat::ZeekConn, EventKind::Connection));
            assert!(e.src_ip.is_some() && e.dst_ip.is_some() && e.session.is_some() && e.proto.is_some(), "{e:?}");
            *t.states.entry(e.conn_state.clone().unwrap_or_else(|| "-".into())).or_default() += 1;
            *t.outcomes.entry(e.outcome.map_or("none".into(), |o| o.to_string())).or_default() += 1;
        }
    }
    t
}

/// The documented outcome table, written out again here: `(state, responder packets)`.
fn expected_outcome(state: &str, resp_pkts: Option<u64>) -> &'static str {
    match state {
        "SF" | "S1" | "S2" | "S3" | "RSTO" | "RSTR" => "success",
        "S0" | "REJ" | "RSTOS0" | "SH" | "RSTRH" | "SHR" => "failure",
        "OTH" => match resp_pkts {
            Some(0) => "failure",
            Some(_) => "success",
            None => "none",
        },
        _ => "none",
    }
}

/// The same tally computed from the raw text: `#` lines are headers (the `#fields` line names
/// the columns), other lines are rows split on tabs, `{` lines are JSON.
fn expected(bytes: &[u8]) -> Tally {
    let mut t = Tally::default();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut columns: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let (ts, state, resp_pkts): (String, String, Option<u64>);
        if line.starts_with("### BTest") {
            t.ignored.push((n, "btest header".into()));
            continue;
        } else if line.starts_with("#close") {
            t.ignored.push((n, "footer".into()));
            continue;
        } else if let Some(f) = line.strip_prefix("#fields\t") {
            columns = f.split('\t').map(str::to_owned).collect();
            t.ignored.push((n, "header".into()));
            continue;
        } else if line.starts_with('#') {
            t.ignored.push((n, "header".into()));
            continue;
        } else if line.starts_with('{') {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                t.rejected.push((n, "bad json".into()));
                continue;
            };
            if v.get("conn_state").is_none() {
                t.ignored.push((n, "not a conn log".into()));
                continue;
            }
            ts = v["ts"].to_string();
            state = v["conn_state"].as_str().unwrap().to_owned();
            resp_pkts = v.get("resp_pkts").and_then(serde_json::Value::as_u64);
        } else {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), columns.len(), "line {n}");
            let col = |name: &str| fields[columns.iter().position(|c| c == name).unwrap()];
            ts = col("ts").to_owned();
            state = col("conn_state").to_owned();
            resp_pkts = col("resp_pkts").parse().ok();
        }
        if ts.starts_with('X') {
            t.rejected.push((n, "bad timestamp".into()));
            continue;
        }
        *t.states.entry(state.clone()).or_default() += 1;
        *t.outcomes.entry(expected_outcome(&state, resp_pkts).into()).or_default() += 1;
    }
    t
}

fn counts(pairs: &[(&str, usize)]) -> Counts {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

/// Checks a file against the raw-text tally; returns the tally for pinning.
fn check(bytes: &[u8]) -> Tally {
    let got = tally(&parse_all(bytes));
    assert_eq!(got, expected(bytes), "left: parser, right: raw-text count");
    assert_eq!(
        got.states.values().sum::<usize>() + got.ignored.len() + got.rejected.len(),
        lines(bytes).len(),
        "every line accounted for"
    );
    got
}

fn numbered(lines: impl IntoIterator<Item = usize>, what: &str) -> Vec<(usize, String)> {
    lines.into_iter().map(|n| (n, what.to_owned())).collect()
}

/// The standard 8-line header block at lines 1..=8 (btest: 2..=9 after the banner).
fn header_block(first: usize) -> Vec<(usize, String)> {
    numbered(first..first + 8, "header")
}

#[test]
fn brimdata_zed() {
    let t = check(&read("brimdata-zed/conn.log"));
    assert_eq!(t.states, counts(&[("REJ", 5), ("RSTO", 18), ("RSTOS0", 6), ("RSTR", 6), ("RSTRH", 1), ("S0", 56)]));
    assert_eq!(t.outcomes, counts(&[("failure", 68), ("success", 24)]));
    assert_eq!(t.ignored, header_block(1));
    assert!(t.rejected.is_empty());
}

#[test]
fn rita_proxy() {
    let t = check(&read("rita/proxy/conn.log"));
    assert_eq!(t.states, counts(&[("OTH", 56), ("RSTO", 402), ("SF", 5)]));
    // The 56 OTH rows are ICMPv6 router/neighbour solicitations nobody answered.
    assert_eq!(t.outcomes, counts(&[("failure", 56), ("success", 407)]));
    let mut ignored = header_block(1);
    ignored.push((472, "footer".into()));
    assert_eq!(t.ignored, ignored);
}

#[test]
fn rita_json_with_all_fields() {
    let t = check(&read("rita/json_with_all_fields/conn.log"));
    assert_eq!(t.states, counts(&[("RSTO", 1), ("S1", 5), ("SF", 23)]));
    assert_eq!(t.outcomes, counts(&[("success", 29)]));
    assert!(t.ignored.is_empty() && t.rejected.is_empty());
}

#[test]
fn beats_json() {
    let t = check(&read("beats/conn.log"));
    assert_eq!(t.states, counts(&[("S0", 1), ("SF", 1)]));
    assert_eq!(t.outcomes, counts(&[("failure", 1), ("success", 1)]));
    let t = check(&read("beats/connection-json.log"));
    assert_eq!(t.states, counts(&[("OTH", 2), ("SF", 3)]));
    assert_eq!(t.outcomes, counts(&[("failure", 2), ("success", 3)]));
    assert!(t.ignored.is_empty() && t.rejected.is_empty());
    // The last record's ts is an ISO 8601 string.
    let events: Vec<Event> = parse_all(&read("beats/connection-json.log")).into_iter().flat_map(|p| p.events).collect();
    let iso = chrono::DateTime::parse_from_rfc3339("2021-06-09T20:55:13.160328Z").unwrap();
    assert_eq!(events[4].ts, iso.timestamp_micros());
    // ICMP: no service / duration / bytes keys; type and code in the port fields.
    assert_eq!((events[3].proto.as_deref(), events[3].src_port, events[3].dst_port), (Some("icmp"), Some(3), Some(3)));
    assert_eq!((events[3].service.as_ref(), events[3].duration, events[3].dst_bytes), (None, None, None));
}

#[test]
fn files_zeek_cut_logs() {
    // The old 20-column layout (no local_resp) with real timestamps.
    let t = check(&read("zeek-btest/Files-zeek-cut-logs/conn.log"));
    assert_eq!(t.states, counts(&[("SF", 5)]));
    let mut ignored = header_block(1);
    ignored.push((14, "footer".into()));
    assert_eq!(t.ignored, ignored);
}

/// btest baselines: banner, header block, rows with masked timestamps (all rejected), `#close`.
fn check_btest(rel: &str, rows: usize) {
    let bytes = read(rel);
    let t = check(&bytes);
    assert!(t.states.is_empty(), "{rel}");
    assert_eq!(t.rejected, numbered(10..10 + rows, "bad timestamp"), "{rel}");
    let mut ignored = vec![(1, "btest header".to_owned())];
    ignored.extend(header_block(2));
    ignored.push((10 + rows, "footer".into()));
    assert_eq!(t.ignored, ignored, "{rel}");
}

#[test]
fn btest_baselines_reject_masked_timestamps() {
    check_btest("zeek-btest/opt.basic/conn.log", 34);
    check_btest("zeek-btest/scripts.base.protocols.ssh.basic/conn.log", 25);
    check_btest("zeek-btest/core.tunnels.teredo/conn.log", 21);
    check_btest("zeek-btest/scripts.base.protocols.ftp.ftp-ipv6/conn.log", 6);
}

/// A btest baseline with the masked timestamps replaced by a real one: every row must parse.
fn unmasked(rel: &str) -> Vec<u8> {
    String::from_utf8(read(rel)).unwrap().replace("XXXXXXXXXX.XXXXXX", "1700000000.123456").into_bytes()
}

#[test]
fn btest_baselines_with_timestamps() {
    let t = check(&unmasked("zeek-btest/opt.basic/conn.log"));
    assert_eq!(t.states, counts(&[("OTH", 2), ("S0", 10), ("S1", 8), ("SF", 14)]));
    let t = check(&unmasked("zeek-btest/scripts.base.protocols.ssh.basic/conn.log"));
    assert_eq!(t.states, counts(&[("RSTR", 1), ("S0", 2), ("SF", 22)]));
    let t = check(&unmasked("zeek-btest/core.tunnels.teredo/conn.log"));
    assert_eq!(
        t.states,
        counts(&[("OTH", 4), ("RSTO", 1), ("RSTRH", 3), ("S0", 3), ("S1", 1), ("SF", 5), ("SH", 1), ("SHR", 3)])
    );
    // OTH: one ICMPv6 echo answered (success), a TCP R and two ICMPv6 solicitations unanswered.
    assert_eq!(t.outcomes, counts(&[("failure", 13), ("success", 8)]));
    let t = check(&unmasked("zeek-btest/scripts.base.protocols.ftp.ftp-ipv6/conn.log"));
    assert_eq!(t.states, counts(&[("SF", 6)]));
    assert!(t.rejected.is_empty());
}

#[test]
fn http_log_is_not_a_conn_log() {
    let bytes = read(HTTP_LOG);
    let first: Vec<&[u8]> = lines(&bytes);
    assert!(!looks_like(&first));
    // Forced through the parser: the banner is ignored and the records, invalid JSON because
    // btest masks `ts` as a bare XXXXXXXXXX.XXXXXX, are rejected; no event.
    let t = check(&bytes);
    assert!(t.states.is_empty());
    assert_eq!(t.ignored, vec![(1, "btest header".to_owned())]);
    assert_eq!(t.rejected, numbered(2..=5, "bad json"));
    // With a real ts they are valid JSON, and ignored as another log.
    let fixed = String::from_utf8(bytes).unwrap().replace("XXXXXXXXXX.XXXXXX", "1700000000.5").into_bytes();
    let t = tally(&parse_all(&fixed));
    assert!(t.states.is_empty() && t.rejected.is_empty());
    assert_eq!(t.ignored.iter().filter(|(_, c)| c == "not a conn log").count(), 4);
    assert!(!looks_like(&lines(&fixed)));
}

#[test]
fn concatenated_logs_reread_headers() {
    // Several daily files concatenated (honeypot-ai style): header blocks repeat mid-file, with
    // different layouts; the counts add up.
    let parts = ["brimdata-zed/conn.log", "zeek-btest/Files-zeek-cut-logs/conn.log", "rita/proxy/conn.log"];
    let mut all = Vec::new();
    let mut total = 0;
    for p in parts {
        let b = read(p);
        total += check(&b).states.values().sum::<usize>();
        all.extend_from_slice(&b);
    }
    let mut unmasked_teredo = unmasked("zeek-btest/core.tunnels.teredo/conn.log");
    total += 21;
    all.append(&mut unmasked_teredo);
    let t = check(&all);
    assert_eq!(t.states.values().sum::<usize>(), total);
    assert!(t.rejected.is_empty());
}

#[test]
fn every_file_is_checked() {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let base = Path::new(CORPUS).join("zeek");
    let mut on_disk = Vec::new();
    walk(&base, &base, &mut on_disk);
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// Detection over every file of every format in the corpus: only the Zeek conn logs are claimed.
#[test]
fn detection_over_the_whole_corpus() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { walk(&path, out) } else { out.push(path) }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(CORPUS), &mut files);
    assert!(files.len() > 100, "corpus not found");
    let mut claimed = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let head = bytes.get(..65_536).unwrap_or(&bytes);
        let first: Vec<&[u8]> = lines(head).into_iter().filter(|l| !l.trim_ascii().is_empty()).take(40).collect();
        if looks_like(&first) {
            let rel = f.strip_prefix(CORPUS).unwrap().to_string_lossy().into_owned();
            claimed.push(rel);
        }
    }
    claimed.sort();
    let mut want: Vec<String> = FILES.iter().filter(|f| **f != HTTP_LOG).map(|f| format!("zeek/{f}")).collect();
    want.sort();
    assert_eq!(claimed, want);
}

// ---- snapshots ----

#[derive(serde::Serialize)]
struct Row {
    line: usize,
    outcome: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<BTreeMap<&'static str, String>>,
}

fn render(bytes: &[u8]) -> Vec<Row> {
    parse_all(bytes)
        .into_iter()
        .map(|p| Row {
            line: p.line_no,
            outcome: match &p.outcome {
                LineOutcome::Events(n) => format!("events {n}"),
                LineOutcome::Ignored(c) => format!("ignored: {c}"),
                LineOutcome::Rejected(r) => format!("rejected: {r}"),
            },
            events: p.events.iter().map(common::render_event).collect(),
        })
        .collect()
}

#[test]
fn snapshot_brimdata_zed() {
    insta::assert_yaml_snapshot!("zeek_brimdata_zed", render(&read("brimdata-zed/conn.log")));
}

#[test]
fn snapshot_teredo_unmasked() {
    insta::assert_yaml_snapshot!("zeek_teredo_unmasked", render(&unmasked("zeek-btest/core.tunnels.teredo/conn.log")));
}

#[test]
fn snapshot_beats_json() {
    insta::assert_yaml_snapshot!("zeek_beats_connection_json", render(&read("beats/connection-json.log")));
}

// ---- never panics ----

fn corpus_lines() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        FILES.iter().flat_map(|f| lines(&read(f)).into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>()).collect()
    })
}

/// A parser that has read a conn header block, so damaged rows reach the row code.
fn primed() -> ZeekConnParser {
    let mut p = parser();
    // The first 8 corpus lines are brimdata-zed's header block.
    for l in corpus_lines().iter().take(8) {
        p.parse_line(l, &mut Vec::new());
    }
    p
}

fn check_line(p: &mut dyn Parser, line: &[u8]) {
    let mut out = Vec::new();
    match p.parse_line(line, &mut out) {
        LineOutcome::Events(n) => assert_eq!(n, out.len()),
        LineOutcome::Ignored(_) | LineOutcome::Rejected(_) => assert!(out.is_empty()),
    }
}

fn damage() -> impl Strategy<Value = (usize, u8, u8)> {
    (
        any::<usize>(),
        prop_oneof![any::<u8>(), Just(b'\t'), Just(b'-'), Just(b'.'), Just(b':'), Just(b'"'), Just(b'{')],
        0u8..4,
    )
}

fn apply(line: &mut Vec<u8>, (i, b, op): (usize, u8, u8)) {
    let n = line.len();
    match op {
        0 if n > 0 => line[i % n] = b,
        1 => line.insert(i % (n + 1), b),
        2 if n > 0 => {
            line.remove(i % n);
        }
        3 => line.truncate(i % (n + 1)),
        _ => {}
    }
}

/// Fragments of Zeek headers, rows and JSON for [`header_noise`].
const NOISE: &[&str] = &[
    "#separator ",
    "#fields",
    "#path",
    "#set_separator",
    "#unset_field",
    "#empty_field",
    "\\x09",
    "\\x",
    "\t",
    "ts",
    "id.orig_h",
    "id.resp_h",
    "id.orig_p",
    "conn_state",
    "_node_name",
    "conn",
    "-",
    "(empty)",
    "1.5",
    "::1",
    "99999",
    "\n",
    "{\"ts\":",
    "\"id.orig_h\":",
    "}",
    ",",
    "null",
    "[]",
    "1e308",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8)) {
        for mut p in [parser(), primed()] {
            for l in &lines {
                check_line(&mut p, l);
            }
        }
    }

    #[test]
    fn header_noise(words in prop::collection::vec(prop::sample::select(NOISE), 0..40)) {
        let text = words.concat();
        let mut p = parser();
        for l in text.split('\n') {
            check_line(&mut p, l.as_bytes());
        }
    }

    #[test]
    fn damaged_corpus_lines(picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(damage(), 1..6)), 1..10)) {
        let corpus = corpus_lines();
        for mut p in [parser(), primed()] {
            for (idx, damages) in &picks {
                let mut line = corpus[idx.index(corpus.len())].clone();
                for d in damages {
                    apply(&mut line, *d);
                }
                check_line(&mut p, &line);
            }
        }
    }
}
