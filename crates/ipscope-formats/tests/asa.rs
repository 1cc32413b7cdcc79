//! The ASA parser over every ASA corpus file: events per message id checked against a message-id
//! histogram computed here from the raw text, snapshots of the normalized events, format
//! detection over every corpus file of every format, and never-panic properties.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{Parsed, lines, parse_all};
use ipscope_formats::asa::{AsaParser, looks_like};
use ipscope_formats::{Clock, ClockConfig, Event, EventKind, LineOutcome, Parser, SourceFormat, YearRule, Zone};
use proptest::prelude::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/");

/// Every ASA corpus file, relative to `CORPUS/asa/`.
const FILES: [&str; 5] =
    ["beats/sample.log", "beats/asa.log", "beats/non-canonical.log", "beats/hostnames.log", "beats/not-ip.log"];

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{CORPUS}asa/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Year-less lines (non-canonical.log) are pinned to 2019, zone-less ones to UTC.
fn parser() -> AsaParser {
    AsaParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2019) }, 0))
}

type Counts = BTreeMap<String, usize>;

fn kind_key(e: &Event) -> String {
    match e.outcome {
        Some(o) => format!("{}/{o}", e.kind),
        None => e.kind.to_string(),
    }
}

/// The message id of a raw line by plain string matching: the token after `%ASA-` / `%FTD-`, up
/// to `:` or a space; its last six characters.
fn raw_id(line: &str) -> Option<&str> {
    let at = line.find("%ASA-").or_else(|| line.find("%FTD-"))?;
    let tok = &line[at..];
    let tok = &tok[..tok.find([':', ' ']).unwrap_or(tok.len())];
    tok.get(tok.len().checked_sub(6)?..)
}

/// What a line with message id `id` should become (None: ignored), decided from the raw text.
fn expected_kind(id: &str, line: &str) -> Option<&'static str> {
    Some(match id {
        "106001" | "106006" | "106007" | "106010" | "106014" | "106015" | "106016" | "106017" | "106020" | "106021"
        | "106022" | "106023" | "304002" | "313001" | "313004" | "710003" | "710005" => "deny/failure",
        "106100" if line.contains(" denied ") => "deny/failure",
        "106100" => "connection/success",
        _ if id.starts_with("338") && line.contains(" dropped ") => "deny/failure",
        _ if id.starts_with("338") => "connection/success",
        "302013" | "302014" | "302015" | "302016" | "302020" | "302021" => "connection",
        "304001" | "710002" => "connection/success",
        "305011" | "305012" | "733100" | "733101" => "other",
        "113039" => "session_open",
        _ => return None,
    })
}

/// Independent expectation: "<id> <kind/outcome>" → count, from the message-id histogram.
fn expected(bytes: &[u8]) -> (Counts, usize) {
    let mut c = Counts::new();
    let mut ignored = 0;
    for raw in lines(bytes) {
        let l = String::from_utf8_lossy(raw);
        let Some(id) = raw_id(&l) else { continue };
        match expected_kind(id, &l) {
            Some(k) => *c.entry(format!("{id} {k}")).or_default() += 1,
            None => ignored += 1,
        }
    }
    (c, ignored)
}

/// What the parser produced: "<id from detail> <kind/outcome>" → count.
fn actual(parsed: &[Parsed]) -> Counts {
    let mut c = Counts::new();
    for e in parsed.iter().flat_map(|p| &p.events) {
        let id = &e.detail.as_deref().unwrap()[..6];
        *c.entry(format!("{id} {}", kind_key(e))).or_default() += 1;
    }
    c
}

fn by_kind(parsed: &[Parsed]) -> Counts {
    let mut c = Counts::new();
    for e in parsed.iter().flat_map(|p| &p.events) {
        *c.entry(kind_key(e)).or_default() += 1;
    }
    c
}

fn counts(pairs: &[(&str, usize)]) -> Counts {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

/// Parse one file; check it against the raw-text histogram and the per-event invariants.
/// Returns events by kind/outcome, and the non-event lines as (line, outcome).
fn check_file(rel: &str) -> (Counts, Vec<(usize, String)>) {
    let bytes = read(rel);
    let parsed = parse_all(&mut parser(), &bytes);
    let (want, want_ignored) = expected(&bytes);
    assert_eq!(actual(&parsed), want, "{rel}: events per message id (left: parser, right: raw-text histogram)");
    let mut other = Vec::new();
    for p in &parsed {
        match &p.outcome {
            LineOutcome::Events(n) => assert_eq!((*n, p.events.len()), (1, 1), "{rel}:{}", p.line_no),
            LineOutcome::Ignored(c) => other.push((p.line_no, format!("ignored: {c}"))),
            LineOutcome::Rejected(r) => other.push((p.line_no, format!("rejected: {r}"))),
        }
    }
    assert_eq!(other.iter().filter(|(_, o)| o.starts_with("ignored")).count(), want_ignored, "{rel}");
    for e in parsed.iter().flat_map(|p| &p.events) {
        assert_eq!(e.format, SourceFormat::Asa);
        let detail = e.detail.as_deref().unwrap();
        assert!(detail.len() >= 6 && detail[..6].bytes().all(|c| c.is_ascii_digit()), "{rel}: {e:?}");
        // Every corpus event has a source (an address or a name).
        assert!(e.src_ip.is_some() || e.src_host.is_some(), "{rel}: {e:?}");
        if e.kind == EventKind::Deny {
            assert_eq!(e.outcome, Some(ipscope_formats::Outcome::Failure));
        }
        if matches!(&detail[..6], "302013" | "302014" | "302015" | "302016") {
            assert!(e.session.is_some() && e.proto.is_some(), "{rel}: {e:?}");
        }
        if matches!(&detail[..6], "302014" | "302016") {
            assert!(e.duration.is_some() && e.dst_bytes.is_some(), "{rel}: {e:?}");
        }
    }
    (by_kind(&parsed), other)
}

#[test]
fn sample_log() {
    let (got, other) = check_file("beats/sample.log");
    assert_eq!(got, counts(&[("connection", 18), ("connection/success", 23), ("deny/failure", 28), ("other", 4)]));
    assert_eq!(other, vec![]);
}

#[test]
fn asa_log() {
    let (got, other) = check_file("beats/asa.log");
    assert_eq!(got, counts(&[("connection", 140), ("deny/failure", 49), ("other", 81)]));
    assert_eq!(other, vec![]);
}

#[test]
fn non_canonical_log() {
    let (got, other) = check_file("beats/non-canonical.log");
    assert_eq!(
        got,
        counts(&[("connection", 8), ("connection/success", 1), ("deny/failure", 4), ("other", 4), ("session_open", 2)])
    );
    assert_eq!(other, vec![]);
}

#[test]
fn hostnames_log() {
    let (got, other) = check_file("beats/hostnames.log");
    assert_eq!(got, counts(&[("connection", 2)]));
    assert_eq!(other, vec![]);
}

#[test]
fn not_ip_log() {
    let (got, other) = check_file("beats/not-ip.log");
    assert_eq!(got, counts(&[("deny/failure", 1)]));
    assert_eq!(other, vec![]);
}

#[test]
fn every_file_is_checked() {
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(format!("{CORPUS}asa/beats")).unwrap() {
        on_disk.push(format!("beats/{}", entry.unwrap().file_name().into_string().unwrap()));
    }
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// Teardowns take their direction from the Built line of the same connection: in asa.log every
/// teardown whose Built line came first has the Built event's source and destination.
#[test]
fn teardowns_follow_their_built_line() {
    let events: Vec<Event> =
        parse_all(&mut parser(), &read("beats/asa.log")).into_iter().flat_map(|p| p.events).collect();
    let mut built: BTreeMap<String, &Event> = BTreeMap::new();
    let mut matched = 0;
    for e in &events {
        match &e.detail.as_deref().unwrap()[..6] {
            "302013" | "302015" => {
                built.insert(e.session.clone().unwrap(), e);
            }
            "302014" | "302016" => {
                if let Some(b) = built.get(e.session.as_ref().unwrap()) {
                    assert_eq!(
                        (e.src_ip, e.src_port, e.dst_ip, e.dst_port),
                        (b.src_ip, b.src_port, b.dst_ip, b.dst_port)
                    );
                    matched += 1;
                }
            }
            _ => {}
        }
    }
    assert_eq!(matched, 48);
}

// ---- snapshots ----

#[derive(serde::Serialize)]
struct Row {
    line: usize,
    outcome: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<BTreeMap<&'static str, String>>,
}

fn render(files: &[&str]) -> Vec<(String, Vec<Row>)> {
    files
        .iter()
        .map(|f| {
            let rows = parse_all(&mut parser(), &read(f))
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
                .collect();
            (f.to_string(), rows)
        })
        .collect()
}

#[test]
fn snapshot_sample_log() {
    insta::assert_yaml_snapshot!("asa_sample_log", render(&["beats/sample.log"]));
}

#[test]
fn snapshot_small_files() {
    insta::assert_yaml_snapshot!(
        "asa_small_files",
        render(&["beats/non-canonical.log", "beats/hostnames.log", "beats/not-ip.log"])
    );
}

// ---- detection ----

/// The first lines of a file, as the detector sees them (at most 64 KiB read).
fn first_lines(path: &std::path::Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let head = &bytes[..bytes.len().min(65_536)];
    lines(head).into_iter().take(200).map(<[u8]>::to_vec).collect()
}

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() { walk(&p, out) } else { out.push(p) }
    }
}

#[test]
fn looks_like_claims_exactly_the_asa_corpus() {
    let mut files = Vec::new();
    walk(std::path::Path::new(CORPUS), &mut files);
    files.sort();
    let mut claimed = 0;
    for f in &files {
        let owned = first_lines(f);
        let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let mine = f.to_string_lossy().contains("/corpus/asa/");
        assert_eq!(looks_like(&refs), mine, "{}", f.display());
        claimed += usize::from(mine);
    }
    assert_eq!(claimed, FILES.len());
    assert!(files.len() > 50, "the whole corpus was walked");
}

// ---- never panic ----

fn corpus_lines() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut v: Vec<Vec<u8>> =
            FILES.iter().flat_map(|f| lines(&read(f)).into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>()).collect();
        for extra in [
            "Apr 15 2013 09:36:50: %ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 1 per second, max configured rate is 10; Current average rate is 5 per second, max configured rate is 5; Cumulative total count is 3006",
            "Apr 15 2013 09:36:50: %ASA-3-710003: TCP access denied by ACL from 192.0.2.1/51234 to outside:198.51.100.1/22",
            "Apr 15 2013 09:36:50: %ASA-2-106001: Inbound TCP connection denied from 192.0.2.7/4444 to 10.0.0.1/23 flags SYN on interface outside",
            "Apr 15 2013 09:36:50: %ASA-3-106014: Deny inbound icmp src outside:192.0.2.9 dst inside:10.1.1.1 (type 3, code 3)",
            "Apr 15 2013 09:36:50: %ASA-1-106021: Deny TCP reverse path check from 192.0.2.8 to 10.0.0.2 on interface outside",
            "Apr 15 2014 09:34:34 EDT: %FTD-6-302014: Teardown TCP connection 7 for outside:192.0.2.5/123 to dmz:10.0.0.80/8443 duration 1:02:03 bytes 4242 TCP FINs from outside (eve)",
        ] {
            v.push(extra.as_bytes().to_vec());
        }
        v
    })
}

fn parsers() -> Vec<AsaParser> {
    let berlin = ClockConfig { zone: Zone::Named(chrono_tz::Europe::Berlin), year: YearRule::Reference };
    let fixed = ClockConfig { zone: "+05:30".parse().unwrap(), year: YearRule::Fixed(2024) };
    vec![
        AsaParser::new(Clock::new(berlin.clone(), 1_700_000_000_000_000)),
        AsaParser::new(Clock::new(fixed, 0)),
        AsaParser::new(Clock::new(ClockConfig::default(), i64::MIN)),
        AsaParser::new(Clock::new(berlin, i64::MAX)),
    ]
}

fn check(p: &mut dyn Parser, line: &[u8]) {
    let mut out: Vec<Event> = Vec::new();
    match p.parse_line(line, &mut out) {
        LineOutcome::Events(n) => assert_eq!(n, out.len()),
        LineOutcome::Ignored(_) | LineOutcome::Rejected(_) => assert!(out.is_empty()),
    }
}

#[derive(Debug, Clone)]
enum Damage {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), prop_oneof![any::<u8>(), Just(b' '), Just(b':'), Just(b'/'), Just(b'('), Just(b')')])
            .prop_map(|(i, b)| Damage::Replace(i, b)),
        (any::<usize>(), prop_oneof![any::<u8>(), Just(b' '), Just(b':'), Just(b'/'), Just(b'('), Just(b'\\')])
            .prop_map(|(i, b)| Damage::Insert(i, b)),
        any::<usize>().prop_map(Damage::Delete),
        any::<usize>().prop_map(Damage::Truncate),
    ]
}

fn apply(line: &mut Vec<u8>, d: &Damage) {
    let n = line.len();
    match *d {
        Damage::Replace(i, b) if n > 0 => line[i % n] = b,
        Damage::Insert(i, b) => line.insert(i % (n + 1), b),
        Damage::Delete(i) if n > 0 => {
            line.remove(i % n);
        }
        Damage::Truncate(i) => line.truncate(i % (n + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8)) {
        for mut p in parsers() {
            for l in &lines {
                check(&mut p, l);
            }
        }
    }

    #[test]
    fn asa_looking_noise(
        head in prop_oneof![Just("Apr 15 2013 09:36:50: "), Just("<165>Jul 15 13:38:14 fw : "), Just("Apr 15 2014 09:34:34 EDT: "), Just("2019-10-04T15:27:55Z h ")],
        id in prop_oneof![Just("%ASA-4-106023:"), Just("%ASA-6-302013:"), Just("%ASA-6-302014"), Just("%FTD-6-302021:"), Just("%ASA-5-106100:"), Just("%ASA-4-733100:"), Just("%ASA-5-304001:"), Just("%ASA-4-338008:"), Just("%ASA-3-313004:"), Just("%ASA-6-305012:"), Just("%ASA-6-113039:"), Just("%ASA-3-710003:"), Just("%ASA-2-106001:"),
            Just("%ASA-6-113005:"), Just("%ASA-6-113015:"), Just("%ASA-4-113019:"), Just("%FTD-6-716039:"), Just("%ASA-6-605004:"),
            Just("%ASA-6-611101:"), Just("%ASA-5-109201:"), Just("%ASA-5-751025:"), Just("%ASA-6-722051:"), Just("%ASA-6-302022:"),
            Just("%ASA-6-302023:"), Just("%ASA-4-313005:"), Just("%ASA-6-303002:"), Just("%ASA-6-805001:"), Just("%ASA-7-609002:")],
        words in prop::collection::vec(prop_oneof![
            Just("Deny"), Just("Built"), Just("Teardown"), Just("inbound"), Just("outbound"), Just("tcp"), Just("ICMP"), Just("connection"),
            Just("for"), Just("to"), Just("src"), Just("dst"), Just("from"), Just("outside:1.2.3.4/80"), Just("inside/10.0.0.1(22)"),
            Just("(1.2.3.4/80)"), Just("(LOCAL\\u, 1:x)"), Just("duration"), Just("1:02:03"), Just("99999:99:99"), Just("bytes"),
            Just("18446744073709551616"), Just("faddr"), Just("gaddr"), Just("laddr"), Just("type"), Just("code"), Just("->"),
            Just("hit-cnt"), Just("access-list"), Just("permitted"), Just("denied"), Just("by access-group \"x\""), Just("["), Just("]"),
            Just("Accessed URL"), Just("Dynamic Filter"), Just("traffic from"), Just("dropped"), Just(","), Just("<"), Just(">"),
            Just("Group <g>"), Just("User <u>"), Just("IP <1.2.3.4>"), Just("::"), Just("192.1682.2.2"), Just(""),
            Just("AAA user authentication"), Just("Rejected"), Just("Successful"), Just(":"), Just("="), Just("user IP"),
            Just("Login denied"), Just("UAUTH: Session=x, User=y, Assigned IP=1.2.3.4,"), Just("Local:1.2.3.4:500"),
            Just("Remote:1.2.3.4:x"), Just("stub"), Just("forwarded bytes"), Just("Session disconnected."), Just("Duration: 1h:2m:3s,"),
            Just("Original IP payload:"), Just("local-host"), Just("Uname:"), Just("Authentication: rejected,"),
        ], 0..18),
    ) {
        let line = format!("{head}{id} {}", words.join(" "));
        for mut p in parsers() {
            check(&mut p, line.as_bytes());
        }
    }

    #[test]
    fn damaged_corpus_lines(picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(damage(), 1..6)), 1..10)) {
        let corpus = corpus_lines();
        for mut p in parsers() {
            for (idx, damages) in &picks {
                let mut line = corpus[idx.index(corpus.len())].clone();
                for d in damages {
                    apply(&mut line, d);
                }
                check(&mut p, &line);
            }
        }
    }
}

#[test]
fn every_corpus_line_with_every_parser() {
    for mut p in parsers() {
        for l in corpus_lines() {
            check(&mut p, l);
        }
    }
}
