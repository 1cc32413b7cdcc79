//! Year inference: the issue's cases, each parsed end to end with the sshd parser; in every case
//! no event is earlier than the previous line's by more than the tolerance, and a tail-anchored
//! stream's last line is at or before the reference (one day of slack).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::clock::Zone;
use crate::test_support::utc;
use crate::{LineOutcome, Parser};

/// A file spanning Nov 30 → Dec 2 (the issue's example lines plus a day more).
const NOV_DEC: &[&str] = &[
    "Nov 30 04:00:00 h sshd[1]: Invalid user a from 192.0.2.1 port 1",
    "Nov 30 10:00:00 h sshd[2]: Invalid user b from 192.0.2.2 port 2",
    "Dec  1 10:00:00 h sshd[3]: Invalid user c from 192.0.2.3 port 3",
    "Dec  2 09:00:00 h sshd[4]: Invalid user d from 192.0.2.4 port 4",
];

/// A file spanning Dec 30 → Jan 2, with a straggler (a late Dec 31 line among the first Jan 1
/// lines: one second back).
const DEC_JAN: &[&str] = &[
    "Dec 30 23:00:00 h sshd[1]: Invalid user a from 192.0.2.1 port 1",
    "Dec 31 23:59:58 h sshd[2]: Invalid user b from 192.0.2.2 port 2",
    "Jan  1 00:00:00 h sshd[3]: Invalid user c from 192.0.2.3 port 3",
    "Dec 31 23:59:59 h sshd[4]: Invalid user d from 192.0.2.4 port 4",
    "Jan  1 00:00:05 h sshd[5]: Invalid user e from 192.0.2.5 port 5",
    "Jan  2 07:00:00 h sshd[6]: Invalid user f from 192.0.2.6 port 6",
];

fn cfg() -> ClockConfig {
    ClockConfig { zone: Zone::Utc, year: YearRule::Reference }
}

fn bytes(lines: &[&str]) -> Vec<&'static [u8]> {
    lines.iter().map(|l| l.as_bytes().to_vec().leak() as &'static [u8]).collect()
}

/// Parses `lines` with `rule` at `reference`: the event times, in line order.
fn times(lines: &[&str], rule: YearRule, reference: i64) -> Vec<i64> {
    let mut p = crate::sshd::SshdParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: rule }, reference));
    let mut out = Vec::new();
    for l in lines {
        assert!(matches!(p.parse_line(l.as_bytes(), &mut out), LineOutcome::Events(1)), "{l}");
    }
    out.iter().map(|e| e.ts).collect()
}

/// The rule the ingest pipeline takes for a regular file: anchored on its tail.
fn anchored(lines: &[&str], reference: i64) -> (i32, Vec<i64>) {
    let b = bytes(lines);
    let y = tail_anchor(FormatKind::Sshd, &cfg(), reference, &b, &b).unwrap();
    (y, times(lines, YearRule::Anchored(y), reference))
}

/// No time is earlier than the previous one by more than the tolerance.
fn assert_monotonic(ts: &[i64], what: &str) {
    for w in ts.windows(2) {
        assert!(w[1] >= w[0] - STRAGGLER_SECS * 1_000_000, "{what}: {} then {}", show(w[0]), show(w[1]));
    }
}

fn show(t: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t).unwrap().to_rfc3339()
}

#[test]
fn nov_dec_file_with_every_mtime() {
    // mtime → the year of the first line.
    for (mtime, first_year) in [
        ("2026-11-29T12:00:00Z", 2025), // before the file's own lines: they are last year's
        ("2026-11-30T05:00:00Z", 2025), // the issue's case: Dec 1 10:00 would be after the mtime
        ("2026-12-01T10:00:00Z", 2026), // Dec 2 09:00 is within the day of slack
        ("2026-12-03T00:00:00Z", 2026),
        ("2027-03-15T00:00:00Z", 2026), // next March: still the last Nov/Dec before it
    ] {
        let reference = utc(mtime);
        let (y, ts) = anchored(NOV_DEC, reference);
        assert_eq!(y, first_year, "mtime {mtime}");
        assert_monotonic(&ts, mtime);
        assert!(*ts.last().unwrap() <= reference + 86_400_000_000, "mtime {mtime}: last line after it");
        // All four lines in one year: the file is chronological.
        assert!(ts.iter().all(|&t| show(t).starts_with(&first_year.to_string())), "{mtime}: {ts:?}");
    }
}

#[test]
fn the_issue_example_no_longer_splits_across_a_year() {
    // Before: Nov 30 04:00 and 10:00 in 2026, Dec 1 10:00 in 2025.
    let ts = anchored(&NOV_DEC[..3], utc("2026-11-30T05:00:00Z")).1;
    assert_eq!(
        ts.iter().map(|&t| show(t)).collect::<Vec<_>>(),
        ["2025-11-30T04:00:00+00:00", "2025-11-30T10:00:00+00:00", "2025-12-01T10:00:00+00:00"]
    );
}

#[test]
fn dec_jan_file_with_a_january_mtime() {
    let reference = utc("2026-01-02T08:00:00Z");
    let (y, ts) = anchored(DEC_JAN, reference);
    assert_eq!(y, 2025);
    assert_monotonic(&ts, "dec-jan");
    assert_eq!(show(ts[0]), "2025-12-30T23:00:00+00:00");
    assert_eq!(show(ts[2]), "2026-01-01T00:00:00+00:00");
    // The straggler stays in December, one second back.
    assert_eq!(show(ts[3]), "2025-12-31T23:59:59+00:00");
    assert_eq!(show(ts[5]), "2026-01-02T07:00:00+00:00");
}

#[test]
fn archive_with_an_mtime_years_later() {
    // Copied to an archive in 2030: the lines are the last Nov 30 → Dec 2 before that.
    let (y, ts) = anchored(NOV_DEC, utc("2030-06-01T00:00:00Z"));
    assert_eq!(y, 2029);
    assert_monotonic(&ts, "archive");
    let (y, ts) = anchored(DEC_JAN, utc("2030-06-01T00:00:00Z"));
    assert_eq!((y, show(ts[5]).get(..4).unwrap()), (2029, "2030"));
    assert_monotonic(&ts, "archive dec-jan");
}

#[test]
fn head_anchor_is_what_the_reference_rule_decides() {
    for now in ["2026-01-02T08:00:00Z", "2026-12-31T00:00:00Z", "2026-11-30T05:00:00Z"] {
        let b = bytes(DEC_JAN);
        let y = head_anchor(FormatKind::Sshd, &cfg(), utc(now), &b).unwrap();
        assert_eq!(
            times(DEC_JAN, YearRule::Anchored(y), utc(now)),
            times(DEC_JAN, YearRule::Reference, utc(now)),
            "{now}"
        );
    }
    assert_eq!(head_anchor(FormatKind::Sshd, &cfg(), 0, &bytes(&["no timestamp here"])), None);
}

#[test]
fn stdin_decides_from_the_first_line() {
    // No tail: the first line at or before "now" (one day of slack), then the walk.
    for (now, first_year) in [("2026-01-02T08:00:00Z", 2025), ("2026-12-31T00:00:00Z", 2026)] {
        let ts = times(DEC_JAN, YearRule::Reference, utc(now));
        assert!(show(ts[0]).starts_with(&first_year.to_string()), "{now}: {}", show(ts[0]));
        assert_monotonic(&ts, now);
    }
    let ts = times(NOV_DEC, YearRule::Reference, utc("2026-11-30T05:00:00Z"));
    assert_monotonic(&ts, "stdin nov-dec");
    assert!(show(ts[0]).starts_with("2026"));
}

#[test]
fn a_grown_file_gets_the_anchor_of_its_head() {
    // Ingested once on Dec 2 (lines Nov 30 → Dec 2), then grown into January with a January
    // mtime: the whole file anchored on its new tail puts the head in the same year as before.
    let first = anchored(NOV_DEC, utc("2026-12-02T10:00:00Z"));
    let mut grown: Vec<&str> = NOV_DEC.to_vec();
    grown.extend([
        "Dec 31 23:00:00 h sshd[7]: Invalid user g from 192.0.2.7 port 7",
        "Jan  3 01:00:00 h sshd[8]: Invalid user h from 192.0.2.8 port 8",
    ]);
    let second = anchored(&grown, utc("2027-01-03T02:00:00Z"));
    assert_eq!(first.0, second.0);
    assert_eq!(first.1[..], second.1[..4]);
    assert_monotonic(&second.1, "grown");
    assert_eq!(show(*second.1.last().unwrap()), "2027-01-03T01:00:00+00:00");
}

#[test]
fn fixed_year_keeps_working() {
    let ts = times(NOV_DEC, YearRule::Fixed(2019), utc("2026-11-30T05:00:00Z"));
    assert_eq!(show(ts[0]), "2019-11-30T04:00:00+00:00");
    assert_monotonic(&ts, "fixed");
    // And a fixed year is never second-guessed from the tail.
    let b = bytes(NOV_DEC);
    let fixed = ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2019) };
    assert_eq!(tail_anchor(FormatKind::Sshd, &fixed, 0, &b, &b), None);
}

#[test]
fn formats_and_windows() {
    // ASA relay headers are year-less too; ASA's own `Apr 15 2013` has a year.
    let t = yearless_time(FormatKind::Asa, b"Jul 15 13:38:14 fw : %ASA-6-302013: Built").unwrap();
    assert_eq!((t.month, t.day), (7, 15));
    assert_eq!(yearless_time(FormatKind::Asa, b"Apr 15 2013 09:36:50: %ASA-6-302013: Built"), None);
    assert_eq!(yearless_time(FormatKind::Sshd, b"2015-04-16T18:02:50.321974+00:00 h sshd[1]: x"), None);
    assert_eq!(yearless_time(FormatKind::Cowrie, b"Jul 15 13:38:14 h sshd[1]: x"), None);
    // A window cut in the middle of lines keeps only the complete ones.
    let w = window_lines(b"ec  1 10:00:00 cut\nDec  2 09:00:00 h sshd[4]: x\nDec  2 09:", true);
    assert_eq!(w, vec![&b"Dec  2 09:00:00 h sshd[4]: x"[..]]);
    assert_eq!(window_lines(b"a\nb\n", false), vec![&b"a"[..], b"b"]);
    // Feb 29 compares within one leap year: Feb 29 → Mar 1 is no rollover.
    let st = |month, day| SyslogTime { month, day, secs: 0, micros: 0 };
    assert_eq!(anchor_year(&cfg(), utc("2028-03-02T00:00:00Z"), st(2, 29), st(3, 1)), 2028);
}
