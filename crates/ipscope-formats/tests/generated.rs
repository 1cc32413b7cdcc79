//! The generator (`ipscope-gen`) against the parsers: every generated format parses without a
//! rejected line into exactly the events, ignored lines and distinct source addresses the
//! generator says it wrote (its `Truth`, counted while writing, independently of the parsers),
//! detection recognizes each format from its head, and the output is deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;

use ipscope_formats::{ClockConfig, Event, FormatKind, LineOutcome, ParseOptions, YearRule, Zone, detect, new_parser};
use ipscope_gen::{GenConfig, GenFormat, Truth, write};

const LINES: u64 = 200_000;
const SEC: i64 = 1_000_000;

fn cfg(seed: u64, lines: u64) -> GenConfig {
    GenConfig { seed, lines, ..GenConfig::default() }
}

fn generate(format: GenFormat, cfg: &GenConfig) -> (Vec<u8>, Truth) {
    let mut out = Vec::new();
    let truth = write(format, cfg, &mut out).unwrap();
    (out, truth)
}

/// What the parser made of a stream.
#[derive(Default)]
struct Parsed {
    lines: u64,
    events: BTreeMap<String, u64>,
    ignored: u64,
    rejected: Vec<(usize, String)>,
    sources: HashSet<IpAddr>,
    first: Option<i64>,
    last: Option<i64>,
}

fn key(e: &Event) -> String {
    match e.outcome {
        Some(o) => format!("{}/{}", e.kind.as_str(), o.as_str()),
        None => e.kind.as_str().to_owned(),
    }
}

fn parse(kind: FormatKind, text: &[u8]) -> Parsed {
    // Year-less sshd lines: the generator's default span starts in 2026; all zones are UTC.
    let opts = ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2026) }, delimiter: b'|' };
    let mut p = new_parser(kind, &opts, 0);
    let mut r = Parsed::default();
    let mut out = Vec::new();
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        r.lines += 1;
        out.clear();
        match p.parse_line(line.strip_suffix(b"\n").unwrap_or(line), &mut out) {
            LineOutcome::Events(n) => assert_eq!(n, out.len(), "line {}", i + 1),
            LineOutcome::Ignored(_) => r.ignored += 1,
            LineOutcome::Rejected(why) => {
                if r.rejected.len() < 5 {
                    r.rejected.push((i + 1, why.to_string()));
                }
            }
        }
        for e in &out {
            *r.events.entry(key(e)).or_default() += 1;
            if let Some(ip) = e.src_ip {
                r.sources.insert(ip);
            }
            r.first = Some(r.first.map_or(e.ts, |f| f.min(e.ts)));
            r.last = Some(r.last.map_or(e.ts, |l| l.max(e.ts)));
        }
    }
    r
}

/// Generates `LINES` lines of `format`, parses them and compares with the truth. `kinds`: the
/// `kind[/outcome]` keys the generator's docs promise for the format (all of them, no others).
fn check(format: GenFormat, seed: u64, kinds: &[&str]) {
    let (text, truth) = generate(format, &cfg(seed, LINES));
    let kind = FormatKind::from_str(format.parser_name()).unwrap();
    let p = parse(kind, &text);
    assert!(p.rejected.is_empty(), "{format}: rejected lines {:?}", p.rejected);
    assert_eq!(p.lines, LINES, "{format}: lines in the text");
    assert_eq!(truth.lines, LINES, "{format}: truth lines");
    let want: BTreeMap<String, u64> = truth.events.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    assert_eq!(p.events, want, "{format}: events by kind/outcome");
    assert_eq!(p.ignored, truth.ignored_lines, "{format}: ignored lines");
    assert_eq!(p.sources.len() as u64, truth.distinct_addresses, "{format}: distinct source addresses");
    // The span: the events' first and last second are the generator's (some formats write whole
    // seconds only).
    assert_eq!(p.first.map(|t| t.div_euclid(SEC)), Some(truth.first_micros.div_euclid(SEC)), "{format}: first");
    assert_eq!(p.last.map(|t| t.div_euclid(SEC)), Some(truth.last_micros.div_euclid(SEC)), "{format}: last");
    let cfg = GenConfig::default();
    let end = cfg.start_micros + i64::from(cfg.days) * 86_400 * SEC;
    assert!(truth.first_micros >= cfg.start_micros && truth.last_micros < end, "{format}: span");
    // The promised mix, not a degenerate one: exactly these kinds; most lines are events.
    let got: Vec<&str> = truth.events.keys().copied().collect();
    let mut want = kinds.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{format}: kinds");
    assert!(truth.total_events() >= LINES / 2, "{format}: {} events", truth.total_events());
}

/// What the sshd generator writes (OpenSSH wording, see `ipscope_gen::write_sshd`); its probes
/// (connections that never authenticate) are `connection/failure`.
const SSHD: &[&str] = &[
    "auth/failure",
    "auth/success",
    "connection/failure",
    "invalid_user",
    "key_auth/success",
    "session_open",
    "session_close",
];

#[test]
fn sshd_parses_exactly_as_generated() {
    check(GenFormat::Sshd, 11, SSHD);
}

#[test]
fn sshd3339_parses_exactly_as_generated() {
    check(GenFormat::Sshd3339, 12, SSHD);
}

#[test]
fn iptracking_parses_exactly_as_generated() {
    check(GenFormat::Iptracking, 13, &["auth", "session_open", "session_close"]);
}

#[test]
fn cowrie_parses_exactly_as_generated() {
    check(
        GenFormat::Cowrie,
        14,
        &[
            "connection",
            "client_info",
            "auth/failure",
            "auth/success",
            "session_open",
            "session_close",
            "command",
            "download/success",
            "download/failure",
        ],
    );
}

#[test]
fn zeek_conn_parses_exactly_as_generated() {
    check(GenFormat::ZeekConn, 15, &["connection/success", "connection/failure"]);
}

#[test]
fn asa_parses_exactly_as_generated() {
    check(GenFormat::Asa, 16, &["connection", "deny/failure"]);
}

#[test]
fn intelmq_parses_exactly_as_generated() {
    check(GenFormat::Intelmq, 17, &["feed_event"]);
}

#[test]
fn detection_recognizes_every_generated_format() {
    for format in GenFormat::ALL {
        let (text, _) = generate(format, &cfg(3, 2_000));
        let head: Vec<&[u8]> = text.split(|&b| b == b'\n').take(64).collect();
        let want = FormatKind::from_str(format.parser_name()).unwrap();
        assert_eq!(detect(&head), Some(want), "{format}");
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for format in GenFormat::ALL {
        let (a, ta) = generate(format, &cfg(7, 20_000));
        let (b, tb) = generate(format, &cfg(7, 20_000));
        let (c, _) = generate(format, &cfg(8, 20_000));
        assert!(a == b, "{format}: same seed, different bytes");
        assert_eq!(ta, tb, "{format}: same seed, different truth");
        assert!(a != c, "{format}: other seed, same bytes");
    }
}

#[test]
fn format_names_round_trip_and_match_ipscope() {
    for format in GenFormat::ALL {
        assert_eq!(GenFormat::from_str(format.as_str()), Ok(format));
        assert!(FormatKind::from_str(format.parser_name()).is_ok(), "{format}");
    }
    assert!(GenFormat::from_str("shadowserver").is_err());
}
