//! Helpers every parser's unit tests use: parse one line and check what came out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use crate::{Event, LineOutcome, Parser};

/// An RFC 3339 time as UTC micros.
pub fn utc(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
}

pub fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

/// Parses one line; checks that the outcome's event count matches the events produced.
pub fn parse<P: Parser + ?Sized>(p: &mut P, line: &str) -> (LineOutcome, Vec<Event>) {
    let mut out = Vec::new();
    let o = p.parse_line(line.as_bytes(), &mut out);
    if let LineOutcome::Events(n) = o {
        assert_eq!(n, out.len(), "{line}");
    } else {
        assert!(out.is_empty(), "{line}");
    }
    (o, out)
}

/// The one event a line must produce.
pub fn one<P: Parser + ?Sized>(p: &mut P, line: &str) -> Event {
    match parse(p, line) {
        (LineOutcome::Events(1), mut v) => v.remove(0),
        other => panic!("{line}: {other:?}"),
    }
}

/// The category of a line that must be ignored.
pub fn ignored<P: Parser + ?Sized>(p: &mut P, line: &str) -> &'static str {
    match parse(p, line) {
        (LineOutcome::Ignored(c), _) => c,
        other => panic!("{line}: {other:?}"),
    }
}

/// The reason of a line that must be rejected.
pub fn rejected<P: Parser + ?Sized>(p: &mut P, line: &str) -> &'static str {
    match parse(p, line) {
        (LineOutcome::Rejected(r), _) => r.reason,
        other => panic!("{line}: {other:?}"),
    }
}
