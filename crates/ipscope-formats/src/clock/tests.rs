#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::test_support::utc;

fn st(month: u32, day: u32, h: u32, m: u32, s: u32) -> SyslogTime {
    SyslogTime { month, day, secs: h * 3600 + m * 60 + s, micros: 0 }
}

fn dt(year: i32, month: u32, day: u32, h: u32, m: u32, s: u32) -> DateTimeParts {
    DateTimeParts { year, month, day, secs: h * 3600 + m * 60 + s, micros: 0, offset: None }
}

fn clock(zone: Zone, year: YearRule, reference: &str) -> Clock {
    Clock::new(ClockConfig { zone, year }, utc(reference))
}

#[test]
fn zone_from_str_and_display() {
    assert_eq!("UTC".parse::<Zone>(), Ok(Zone::Utc));
    assert_eq!("utc".parse::<Zone>(), Ok(Zone::Utc));
    assert_eq!("local".parse::<Zone>(), Ok(Zone::Local));
    assert_eq!("Europe/Berlin".parse::<Zone>(), Ok(Zone::Named(chrono_tz::Europe::Berlin)));
    let plus2 = Zone::Fixed(FixedOffset::east_opt(7200).unwrap());
    assert_eq!("+02:00".parse::<Zone>(), Ok(plus2.clone()));
    assert_eq!("+0200".parse::<Zone>(), Ok(plus2.clone()));
    assert_eq!("+02".parse::<Zone>(), Ok(plus2.clone()));
    let minus5 = Zone::Fixed(FixedOffset::west_opt(5 * 3600).unwrap());
    assert_eq!("-0500".parse::<Zone>(), Ok(minus5.clone()));
    assert_eq!(minus5.to_string(), "-05:00");
    assert_eq!(plus2.to_string(), "+02:00");
    assert_eq!(Zone::Named(chrono_tz::Europe::Berlin).to_string(), "Europe/Berlin");
    assert_eq!(Zone::Utc.to_string(), "UTC");
    assert_eq!(Zone::Local.to_string(), "local");
    assert!(matches!("Mars/Olympus".parse::<Zone>(), Err(ZoneError::Unknown(_))));
    assert!(matches!("+25:00".parse::<Zone>(), Err(ZoneError::BadOffset(_))));
    assert!(matches!("+02:00x".parse::<Zone>(), Err(ZoneError::BadOffset(_))));
    assert_eq!("".parse::<Zone>(), Err(ZoneError::Empty));
    for z in ["UTC", "local", "Europe/Berlin", "+05:30", "-03:00"] {
        assert_eq!(z.parse::<Zone>().unwrap().to_string(), z);
    }
    assert_eq!(ClockConfig::default().zone, Zone::Local);
    assert_eq!(ClockConfig::default().year, YearRule::Reference);
}

#[test]
fn reference_rule_uses_reference_year() {
    // The FIRST line of a stream gets the reference's year, or the previous one when it would be
    // more than a day after the reference; each case is its own stream.
    let first = |m, d, h, mi, s| {
        clock(Zone::Utc, YearRule::Reference, "2024-06-15T12:00:00Z").syslog_micros(st(m, d, h, mi, s))
    };
    assert_eq!(first(6, 15, 11, 0, 0), Ok(utc("2024-06-15T11:00:00Z")));
    assert_eq!(first(1, 1, 0, 0, 0), Ok(utc("2024-01-01T00:00:00Z")));
    // Up to a day ahead of the reference is still this year (clock skew).
    assert_eq!(first(6, 16, 11, 0, 0), Ok(utc("2024-06-16T11:00:00Z")));
    // More than a day ahead: last year.
    assert_eq!(first(6, 16, 12, 0, 1), Ok(utc("2023-06-16T12:00:01Z")));
    assert_eq!(first(12, 31, 23, 0, 0), Ok(utc("2023-12-31T23:00:00Z")));
    // Later lines walk on from the first: a stream's years never run backwards, even past the
    // reference (issue 15: before, Jun 16 12:00:01 fell back a year after Jun 15 lines).
    let mut c = clock(Zone::Utc, YearRule::Reference, "2024-06-15T12:00:00Z");
    assert_eq!(c.syslog_micros(st(6, 15, 11, 0, 0)), Ok(utc("2024-06-15T11:00:00Z")));
    assert_eq!(c.syslog_micros(st(6, 16, 12, 0, 1)), Ok(utc("2024-06-16T12:00:01Z")));
    assert_eq!(c.syslog_micros(st(12, 31, 23, 0, 0)), Ok(utc("2024-12-31T23:00:00Z")));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 1)), Ok(utc("2025-01-01T00:00:01Z")));
}

#[test]
fn anchored_rule_starts_in_its_year_and_walks() {
    let mut c = clock(Zone::Utc, YearRule::Anchored(2019), "2030-01-01T00:00:00Z");
    assert_eq!(c.syslog_micros(st(11, 30, 4, 0, 0)), Ok(utc("2019-11-30T04:00:00Z")));
    assert_eq!(c.syslog_micros(st(1, 2, 0, 0, 0)), Ok(utc("2020-01-02T00:00:00Z")));
}

#[test]
fn reference_rule_dec_to_jan_file_with_january_mtime() {
    // auth.log spanning Dec 30 → Jan 2, mtime Jan 2: December lines are last year.
    let mut c = clock(Zone::Utc, YearRule::Reference, "2025-01-02T08:00:00Z");
    assert_eq!(c.syslog_micros(st(12, 30, 23, 0, 0)), Ok(utc("2024-12-30T23:00:00Z")));
    assert_eq!(c.syslog_micros(st(12, 31, 23, 59, 59)), Ok(utc("2024-12-31T23:59:59Z")));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 0)), Ok(utc("2025-01-01T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(1, 2, 7, 0, 0)), Ok(utc("2025-01-02T07:00:00Z")));
}

#[test]
fn reference_rule_jan_reference_and_december_mtime() {
    // The other direction: mtime Dec 31. A line is never later than its file's mtime, so a
    // Jan 1 line is last January's (the reference year's), not next year's.
    let mut c = clock(Zone::Utc, YearRule::Reference, "2024-12-31T23:30:00Z");
    assert_eq!(c.syslog_micros(st(1, 1, 0, 10, 0)), Ok(utc("2024-01-01T00:10:00Z")));
    let mut c = clock(Zone::Utc, YearRule::Reference, "2024-12-31T23:30:00Z");
    assert_eq!(c.syslog_micros(st(12, 31, 23, 0, 0)), Ok(utc("2024-12-31T23:00:00Z")));
}

#[test]
fn reference_rule_feb_29() {
    // Reference in a leap year: fine.
    let mut c = clock(Zone::Utc, YearRule::Reference, "2024-03-10T00:00:00Z");
    assert_eq!(c.syslog_micros(st(2, 29, 1, 0, 0)), Ok(utc("2024-02-29T01:00:00Z")));
    // Reference in 2025: Feb 29 → 2025 (not ahead) → does not exist → error.
    let mut c = clock(Zone::Utc, YearRule::Reference, "2025-03-10T00:00:00Z");
    assert_eq!(c.syslog_micros(st(2, 29, 1, 0, 0)), Err(TimeError::Day { year: 2025, month: 2, day: 29 }));
    // Reference Jan 2025: Feb 29 is ahead → 2024, which has it.
    let mut c = clock(Zone::Utc, YearRule::Reference, "2025-01-10T00:00:00Z");
    assert_eq!(c.syslog_micros(st(2, 29, 1, 0, 0)), Ok(utc("2024-02-29T01:00:00Z")));
    assert!(c.syslog_micros(st(4, 31, 0, 0, 0)).is_err());
    assert!(c.syslog_micros(st(13, 1, 0, 0, 0)).is_err());
}

#[test]
fn fixed_rule_rolls_over_dec_to_jan() {
    let mut c = clock(Zone::Utc, YearRule::Fixed(2015), "2000-01-01T00:00:00Z");
    assert_eq!(c.syslog_micros(st(11, 30, 10, 0, 0)), Ok(utc("2015-11-30T10:00:00Z")));
    assert_eq!(c.syslog_micros(st(12, 31, 23, 59, 59)), Ok(utc("2015-12-31T23:59:59Z")));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 1)), Ok(utc("2016-01-01T00:00:01Z")));
    // A small step back (out-of-order line) does not bump.
    assert_eq!(c.syslog_micros(st(2, 1, 0, 0, 0)), Ok(utc("2016-02-01T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(1, 31, 0, 0, 0)), Ok(utc("2016-01-31T00:00:00Z")));
    // Exactly six months back does not bump either.
    assert_eq!(c.syslog_micros(st(7, 1, 0, 0, 0)), Ok(utc("2016-07-01T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 0)), Ok(utc("2016-01-01T00:00:00Z")));
}

#[test]
fn fixed_rule_straggler_goes_back_a_year() {
    let mut c = clock(Zone::Utc, YearRule::Fixed(2015), "2000-01-01T00:00:00Z");
    assert_eq!(c.syslog_micros(st(12, 31, 23, 59, 58)), Ok(utc("2015-12-31T23:59:58Z")));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 0)), Ok(utc("2016-01-01T00:00:00Z")));
    // A late December line after the rollover: back to 2015 ...
    assert_eq!(c.syslog_micros(st(12, 31, 23, 59, 59)), Ok(utc("2015-12-31T23:59:59Z")));
    // ... without disturbing the state: the next January line is 2016, no second bump.
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 2)), Ok(utc("2016-01-01T00:00:02Z")));
    assert_eq!(c.syslog_micros(st(1, 2, 0, 0, 0)), Ok(utc("2016-01-02T00:00:00Z")));
}

#[test]
fn fixed_rule_forward_gap_keeps_the_year() {
    // A quiet file: January, then nothing until August. Same year, and the state follows,
    // so the next December → January is still a rollover.
    let mut c = clock(Zone::Utc, YearRule::Fixed(2015), "2000-01-01T00:00:00Z");
    assert_eq!(c.syslog_micros(st(1, 10, 0, 0, 0)), Ok(utc("2015-01-10T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(8, 20, 0, 0, 0)), Ok(utc("2015-08-20T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(12, 20, 0, 0, 0)), Ok(utc("2015-12-20T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(1, 3, 0, 0, 0)), Ok(utc("2016-01-03T00:00:00Z")));
    // January → December far from any rollover is a gap too, not a straggler.
    let mut c = clock(Zone::Utc, YearRule::Fixed(2015), "2000-01-01T00:00:00Z");
    assert_eq!(c.syslog_micros(st(1, 10, 0, 0, 0)), Ok(utc("2015-01-10T00:00:00Z")));
    assert_eq!(c.syslog_micros(st(12, 20, 0, 0, 0)), Ok(utc("2015-12-20T00:00:00Z")));
}

#[test]
fn fixed_rule_feb_29() {
    let mut c = clock(Zone::Utc, YearRule::Fixed(2023), "2000-01-01T00:00:00Z");
    assert!(matches!(c.syslog_micros(st(2, 29, 0, 0, 0)), Err(TimeError::Day { .. })));
    let mut c = clock(Zone::Utc, YearRule::Fixed(2024), "2000-01-01T00:00:00Z");
    assert_eq!(c.syslog_micros(st(2, 29, 0, 0, 0)), Ok(utc("2024-02-29T00:00:00Z")));
}

#[test]
fn berlin_dst_gap_and_fold() {
    let berlin = Zone::Named(chrono_tz::Europe::Berlin);
    let mut c = clock(berlin, YearRule::Fixed(2024), "2024-06-01T00:00:00Z");
    // Winter: +01:00. Summer: +02:00.
    assert_eq!(c.local_micros(dt(2024, 1, 15, 12, 0, 0)), Ok(utc("2024-01-15T11:00:00Z")));
    assert_eq!(c.local_micros(dt(2024, 7, 15, 12, 0, 0)), Ok(utc("2024-07-15T10:00:00Z")));
    // Spring gap 2024-03-31 02:00 → 03:00: 02:30 does not exist, shifted forward by the
    // gap = 03:30 CEST = 01:30 UTC.
    assert_eq!(c.local_micros(dt(2024, 3, 31, 1, 59, 59)), Ok(utc("2024-03-31T00:59:59Z")));
    assert_eq!(c.local_micros(dt(2024, 3, 31, 2, 30, 0)), Ok(utc("2024-03-31T01:30:00Z")));
    assert_eq!(c.local_micros(dt(2024, 3, 31, 3, 0, 0)), Ok(utc("2024-03-31T01:00:00Z")));
    // Autumn fold 2024-10-27 03:00 → 02:00: 02:30 happens twice; the earlier (CEST) wins.
    assert_eq!(c.local_micros(dt(2024, 10, 27, 2, 30, 0)), Ok(utc("2024-10-27T00:30:00Z")));
    assert_eq!(c.local_micros(dt(2024, 10, 27, 3, 0, 0)), Ok(utc("2024-10-27T02:00:00Z")));
    assert_eq!(c.local_micros(dt(2024, 10, 27, 1, 59, 59)), Ok(utc("2024-10-26T23:59:59Z")));
    // Cached hours give the same answers the second time.
    assert_eq!(c.local_micros(dt(2024, 1, 15, 12, 30, 0)), Ok(utc("2024-01-15T11:30:00Z")));
    assert_eq!(c.local_micros(dt(2024, 3, 31, 2, 30, 0)), Ok(utc("2024-03-31T01:30:00Z")));
    // And through the syslog path.
    assert_eq!(c.syslog_micros(st(10, 27, 2, 30, 0)), Ok(utc("2024-10-27T00:30:00Z")));
}

#[test]
fn fixed_offsets() {
    let z: Zone = "+05:30".parse().unwrap();
    let mut c = clock(z, YearRule::Reference, "2024-06-15T12:00:00Z");
    assert_eq!(c.local_micros(dt(2024, 6, 1, 12, 0, 0)), Ok(utc("2024-06-01T06:30:00Z")));
    let z: Zone = "-0500".parse().unwrap();
    let mut c = clock(z, YearRule::Reference, "2024-06-15T12:00:00Z");
    assert_eq!(c.syslog_micros(st(6, 1, 12, 0, 0)), Ok(utc("2024-06-01T17:00:00Z")));
    // Offset written in the timestamp wins over the zone.
    let (p, n) = parse_datetime(b"2015-04-16T18:02:50.321974+00:00 host").unwrap();
    assert_eq!(n, 32);
    assert_eq!(c.datetime_micros(p), Ok(utc("2015-04-16T18:02:50.321974Z")));
    let (p, _) = parse_datetime(b"2019-07-08T17:40:16.954167-04:00").unwrap();
    assert_eq!(c.datetime_micros(p), Ok(utc("2019-07-08T21:40:16.954167Z")));
    let (p, _) = parse_datetime(b"2024-01-15 13:45:12.5+01").unwrap();
    assert_eq!(c.datetime_micros(p), Ok(utc("2024-01-15T12:45:12.5Z")));
    let (p, _) = parse_datetime(b"2015-04-16T18:02:50+0200").unwrap();
    assert_eq!(c.datetime_micros(p), Ok(utc("2015-04-16T16:02:50Z")));
}

#[test]
fn reference_year_is_taken_in_the_zone() {
    // 2024-12-31T23:30Z is already 2025 in Berlin.
    let berlin = Zone::Named(chrono_tz::Europe::Berlin);
    let mut c = clock(berlin, YearRule::Reference, "2024-12-31T23:30:00Z");
    assert_eq!(c.syslog_micros(st(1, 1, 0, 15, 0)), Ok(utc("2024-12-31T23:15:00Z")));
}

#[test]
fn rfc3164_parts() {
    assert_eq!(
        parse_rfc3164(b"Dec 10 06:55:46 LabSZ"),
        Some((SyslogTime { month: 12, day: 10, secs: 6 * 3600 + 55 * 60 + 46, micros: 0 }, 15))
    );
    assert_eq!(parse_rfc3164(b"Jun  9 00:00:01 x").map(|(t, n)| (t.day, n)), Some((9, 15)));
    assert_eq!(parse_rfc3164(b"Jul 05 00:00:01 x").map(|(t, n)| (t.day, n)), Some((5, 15)));
    assert_eq!(parse_rfc3164(b"Feb 7 16:01:07 x").map(|(t, n)| (t.day, n)), Some((7, 14)));
    assert_eq!(parse_rfc3164(b"Feb 7 16:01:07.25 x").map(|(t, n)| (t.micros, n)), Some((250_000, 17)));
    assert_eq!(parse_rfc3164(b"Dec  2 13:14:2"), None);
    assert_eq!(parse_rfc3164(b"Dec  2 24:00:00"), None);
    assert_eq!(parse_rfc3164(b"Foo  2 13:14:20"), None);
    assert_eq!(parse_rfc3164(b"Dec"), None);
}

#[test]
fn civil_round_trip() {
    for z in [-800_000, -1, 0, 1, 59, 60, 365, 10_956, 19_782, 2_932_896] {
        let (y, m, d) = civil_from_days(z);
        assert_eq!(days_from_civil(y, m, d), z);
    }
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
}

/// Live streams move their reference as time passes: across New Year the lines keep their order
/// (a late `Dec 31` line read just after midnight stays in the old year, `Jan  1` is the new one),
/// and after months of silence the next line is in the current year, not a year behind.
#[test]
fn a_live_stream_moves_its_reference_without_running_backwards() {
    let mut c = clock(Zone::Utc, YearRule::Reference, "2026-12-31T23:59:00Z");
    assert_eq!(c.syslog_micros(st(12, 31, 23, 58, 59)), Ok(utc("2026-12-31T23:58:59Z")));
    c.set_reference(utc("2027-01-01T00:00:05Z"));
    assert_eq!(c.syslog_micros(st(12, 31, 23, 59, 59)), Ok(utc("2026-12-31T23:59:59Z")));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 4)), Ok(utc("2027-01-01T00:00:04Z")));
    c.set_reference(utc("2027-01-01T00:01:00Z"));
    assert_eq!(c.syslog_micros(st(1, 1, 0, 0, 59)), Ok(utc("2027-01-01T00:00:59Z")));
    // Silent from January to the next March: the next line is this March.
    c.set_reference(utc("2028-03-10T12:00:00Z"));
    assert_eq!(c.syslog_micros(st(3, 10, 11, 0, 0)), Ok(utc("2028-03-10T11:00:00Z")));
}
