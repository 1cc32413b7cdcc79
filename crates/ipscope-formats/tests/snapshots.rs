//! Golden snapshots of the normalized sshd events for corpus samples: every line with its
//! outcome and the non-empty fields of its events. Regenerate with `INSTA_UPDATE=always` and
//! review the `.snap` diff.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{parse_all, read, sshd_parser};
use ipscope_formats::sshd::SshdParser;
use ipscope_formats::{Clock, ClockConfig, Event, LineOutcome, YearRule, Zone};

/// The shared event rendering, for this file's events only.
fn render_event(e: &Event) -> BTreeMap<&'static str, String> {
    assert_eq!(e.format, ipscope_formats::SourceFormat::Sshd);
    common::render_event(e)
}

/// A row of the snapshot: a line, its outcome, its events.
#[derive(serde::Serialize)]
struct Row {
    line: usize,
    outcome: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<BTreeMap<&'static str, String>>,
}

/// Parse the whole file in order (the year rule has state) and keep lines `range` (1-based).
fn render(mut p: SshdParser, bytes: &[u8], range: std::ops::RangeInclusive<usize>) -> Vec<Row> {
    parse_all(&mut p, bytes)
        .into_iter()
        .filter(|parsed| range.contains(&parsed.line_no))
        .map(|parsed| Row {
            line: parsed.line_no,
            outcome: match &parsed.outcome {
                LineOutcome::Events(n) => format!("events {n}"),
                LineOutcome::Ignored(c) => format!("ignored: {c}"),
                LineOutcome::Rejected(r) => format!("rejected: {r}"),
            },
            events: parsed.events.iter().map(render_event).collect(),
        })
        .collect()
}

/// fail2ban/sshd is a shuffled collection of test lines from many years, not a log. Every year
/// rule walks a stream forward (issue 15: years never run backwards), so each big step back in
/// months is a new year and the years grow through the file from 2005 (the first line's year
/// at an end-of-2005 reference); the snapshots pin that.
fn reference_2005() -> SshdParser {
    let reference = chrono::DateTime::parse_from_rfc3339("2005-12-31T23:59:59Z").unwrap().timestamp_micros();
    SshdParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Reference }, reference))
}

#[test]
fn beats_test_log() {
    insta::assert_yaml_snapshot!("beats_test_log", render(sshd_parser(), &read("beats/test.log"), 1..=usize::MAX));
}

#[test]
fn fail2ban_sshd_first_60_lines() {
    insta::assert_yaml_snapshot!("fail2ban_sshd_first_60", render(reference_2005(), &read("fail2ban/sshd"), 1..=60));
}

#[test]
fn fail2ban_sshd_rest() {
    // The rest of the file: RFC 3339, RFC 5424, no-host lines, ddos-mode shapes.
    insta::assert_yaml_snapshot!(
        "fail2ban_sshd_rest",
        render(reference_2005(), &read("fail2ban/sshd"), 61..=usize::MAX)
    );
}
