//! Days and hours in the user's zone (`--tz`).
//!
//! Events are stored in UTC and DuckDB's ICU extension (time zones in SQL) is not available
//! offline, so the conversion is rendered here: the zone's UTC offsets over the time range a
//! query can touch are computed in Rust (chrono-tz: the tz database; or the machine's zone), and
//! the SQL adds to each timestamp the offset of the segment it falls in — a constant for UTC and
//! fixed offsets, else a balanced `CASE` over the range's transitions (a handful for a year).
//! The result is the local wall-clock time, from which reports take the day, hour and weekday:
//! a local day of a DST change holds 23 or 25 hours of events, exactly.
//!
//! Local hour buckets follow the wall clock, like PostgreSQL's `date_trunc('hour', ts AT TIME
//! ZONE z)`: on an autumn change the repeated hour is one bucket holding both hours, on a spring
//! change the skipped hour has none. Durations (a source's active period, events per day) are
//! elapsed time and the same in every zone; first/last-seen times stay UTC timestamps.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use ipscope_store::{Query, Value};

pub use ipscope_formats::Zone;

use crate::{Dialect, Params, Result};

/// Step of the scan for offset changes: a change is found by comparing the offsets at both ends
/// of each step, then bisected to the second. Two changes within one step (which the tz database
/// has nowhere in the last century) would be missed.
const SCAN_STEP_SECS: i64 = 6 * 3600;

/// Widest range scanned for transitions (a store whose events span more — a stray line decades
/// away — keeps the outer segments' offsets beyond it): 200 years, ~290 k offset look-ups.
const MAX_SCAN_SECS: i64 = 200 * 366 * 86_400;

/// The UTC offset (seconds east) of `zone` at the UTC instant `micros`.
pub fn offset_at(zone: &Zone, micros: i64) -> i32 {
    let Some(t) = DateTime::<Utc>::from_timestamp_micros(micros) else {
        return 0;
    };
    let naive = t.naive_utc();
    match zone {
        Zone::Utc => 0,
        Zone::Fixed(o) => o.local_minus_utc(),
        Zone::Named(tz) => tz.offset_from_utc_datetime(&naive).fix().local_minus_utc(),
        Zone::Local => Local.offset_from_utc_datetime(&naive).local_minus_utc(),
    }
}

/// The UTC instant (micros) of the local wall-clock time `t` in `zone`: in an autumn fold the
/// earlier of the two, in a spring gap the instant the gap ends (what the ingest clock does too).
pub fn local_to_utc(zone: &Zone, t: NaiveDateTime) -> i64 {
    let wall = t.and_utc().timestamp_micros();
    let off = |m: i64| i64::from(offset_at(zone, m)) * 1_000_000;
    // The offsets a day around it (no zone changes twice within a day).
    let (before, after) = (off(wall - DAY_MICROS), off(wall + DAY_MICROS));
    let fits = |u: i64| u + off(u) == wall;
    match [wall - before, wall - after].into_iter().filter(|u| fits(*u)).min() {
        Some(u) => u,
        // A gap: the wall-clock time does not exist; the day (or hour) begins when it ends.
        None => wall - before,
    }
}

const DAY_MICROS: i64 = 86_400_000_000;

/// The UTC instant (micros) at which the local day `date` begins in `zone`: local midnight, or
/// the end of a DST gap over midnight.
pub fn day_start(zone: &Zone, date: NaiveDate) -> i64 {
    local_to_utc(zone, date.and_time(NaiveTime::MIN))
}

/// The local calendar day of the UTC instant `micros`.
pub fn local_date(zone: &Zone, micros: i64) -> NaiveDate {
    let local = micros + i64::from(offset_at(zone, micros)) * 1_000_000;
    DateTime::<Utc>::from_timestamp_micros(local).map(|t| t.date_naive()).unwrap_or_default()
}

/// A zone's offsets over a time range: the local wall-clock time of a timestamp, as SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// `(first UTC micros, offset seconds)`, ascending; the first segment reaches back forever
    /// and the last forward.
    segments: Vec<(i64, i32)>,
}

impl Default for LocalTime {
    fn default() -> Self {
        LocalTime::utc()
    }
}

impl LocalTime {
    /// UTC: the stored time itself.
    pub fn utc() -> LocalTime {
        LocalTime { segments: vec![(i64::MIN, 0)] }
    }

    /// The offsets of `zone` between the UTC instants `from` and `to` (micros, inclusive).
    pub fn for_range(zone: &Zone, from: i64, to: i64) -> LocalTime {
        let secs = |m: i64| m.div_euclid(1_000_000);
        let mut t = secs(from);
        let end = secs(to).max(t).min(t.saturating_add(MAX_SCAN_SECS));
        let at = |s: i64| offset_at(zone, s.saturating_mul(1_000_000));
        let mut cur = at(t);
        let mut segments = vec![(i64::MIN, cur)];
        if matches!(zone, Zone::Utc | Zone::Fixed(_)) {
            return LocalTime { segments };
        }
        while t < end {
            let next = (t + SCAN_STEP_SECS).min(end);
            let off = at(next);
            if off != cur {
                // The first second with the new offset, in (t, next].
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if at(mid) == cur { lo = mid } else { hi = mid }
                }
                segments.push((hi * 1_000_000, off));
                cur = off;
            }
            t = next;
        }
        LocalTime { segments }
    }

    /// The offsets `p.tz` needs for the events the report reads: its `--since/--until` window,
    /// or the stored events' time range (one `min/max` query) when the window is open and the
    /// zone's offset changes at all.
    pub fn for_report(store: &dyn Query, p: &Params) -> Result<LocalTime> {
        if matches!(p.tz, Zone::Utc | Zone::Fixed(_)) {
            return Ok(LocalTime::for_range(&p.tz, 0, 0));
        }
        let (mut from, mut to) = (p.filter.since, p.filter.until);
        if from.is_none() || to.is_none() {
            let d = p.dialect;
            let times = crate::Filter { since: from, until: to, ..crate::Filter::default() };
            let t = store.query(&times.span_sql(d))?;
            let cell = |i: usize| match t.rows.first().and_then(|r| r.get(i)) {
                Some(Value::Timestamp(m)) => Some(*m),
                _ => None,
            };
            from = from.or(cell(0));
            to = to.or(cell(1));
        }
        let from = from.unwrap_or(0);
        Ok(LocalTime::for_range(&p.tz, from, to.unwrap_or(from)))
    }

    /// Whether every timestamp keeps its UTC value.
    pub fn is_utc(&self) -> bool {
        self.segments.iter().all(|(_, o)| *o == 0)
    }

    /// Whether every offset is a whole number of hours and changes on a UTC hour: then the
    /// local hour (and day) of any instant is that of its UTC hour's start, and the hourly
    /// rollups can serve a report in this zone (see [`crate::rows`]).
    pub fn whole_hours(&self) -> bool {
        const HOUR: i64 = 3_600_000_000;
        self.segments
            .iter()
            .all(|(start, offset)| offset % 3600 == 0 && (*start == i64::MIN || start.rem_euclid(HOUR) == 0))
    }

    /// The `(start, offset)` segments (for tests).
    pub fn segments(&self) -> &[(i64, i32)] {
        &self.segments
    }

    /// SQL: the local wall-clock time of the UTC timestamp expression `ts`.
    pub fn sql(&self, d: Dialect, ts: &str) -> String {
        if self.is_utc() {
            return ts.to_owned();
        }
        let offset = self.offset_sql(d, ts, 0, self.segments.len() - 1);
        d.add_seconds(ts, &offset)
    }

    /// A balanced CASE over segments `lo..=hi`: log2(n) comparisons a row.
    fn offset_sql(&self, d: Dialect, ts: &str, lo: usize, hi: usize) -> String {
        if lo == hi {
            return self.segments[lo].1.to_string();
        }
        let mid = (lo + hi).div_ceil(2);
        format!(
            "CASE WHEN {ts} < {at} THEN {a} ELSE {b} END",
            at = d.timestamp(self.segments[mid].0),
            a = self.offset_sql(d, ts, lo, mid - 1),
            b = self.offset_sql(d, ts, mid, hi),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000;

    fn chicago() -> Zone {
        "America/Chicago".parse().unwrap_or_default()
    }

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_micros()).unwrap_or(0)
    }

    #[test]
    fn finds_the_dst_changes_of_a_year_to_the_second() {
        let lt = LocalTime::for_range(&chicago(), utc("2026-01-01T00:00:00Z"), utc("2026-12-31T00:00:00Z"));
        // 2026-03-08 02:00 CST = 08:00 UTC; 2026-11-01 02:00 CDT = 07:00 UTC.
        assert_eq!(
            lt.segments(),
            [(i64::MIN, -6 * 3600), (utc("2026-03-08T08:00:00Z"), -5 * 3600), (utc("2026-11-01T07:00:00Z"), -6 * 3600)]
        );
        let berlin: Zone = "Europe/Berlin".parse().unwrap_or_default();
        let lt = LocalTime::for_range(&berlin, utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"));
        assert_eq!(lt.segments(), [(i64::MIN, 3600), (utc("2026-03-29T01:00:00Z"), 7200)]);
    }

    #[test]
    fn fixed_zones_are_one_segment() {
        assert!(LocalTime::utc().is_utc());
        let z: Zone = "+05:30".parse().unwrap_or_default();
        let lt = LocalTime::for_range(&z, 0, 400 * 86_400 * SEC);
        assert_eq!(lt.segments(), [(i64::MIN, 19_800)]);
        assert_eq!(lt.sql(Dialect::DuckDb, "ts"), "(ts + to_seconds(19800))");
        assert_eq!(LocalTime::utc().sql(Dialect::DuckDb, "ts"), "ts");
    }

    #[test]
    fn case_is_balanced() {
        let lt = LocalTime::for_range(&chicago(), utc("2024-01-01T00:00:00Z"), utc("2026-12-31T00:00:00Z"));
        assert_eq!(lt.segments().len(), 7);
        let sql = lt.sql(Dialect::DuckDb, "ts");
        // 7 leaves: depth 3.
        assert_eq!(sql.matches("CASE").count(), 6);
        assert!(sql.starts_with("(ts + to_seconds(CASE WHEN ts < make_timestamp("), "{sql}");
    }

    #[test]
    fn day_starts_at_local_midnight() {
        let z = chicago();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(day_start(&z, d("2026-03-08")), utc("2026-03-08T06:00:00Z"));
        assert_eq!(day_start(&z, d("2026-03-09")), utc("2026-03-09T05:00:00Z"));
        assert_eq!(day_start(&z, d("2026-11-01")), utc("2026-11-01T05:00:00Z"));
        assert_eq!(day_start(&z, d("2026-11-02")), utc("2026-11-02T06:00:00Z"));
        assert_eq!(local_date(&z, utc("2026-11-02T05:59:59Z")), d("2026-11-01"));
        assert_eq!(local_date(&z, utc("2026-11-02T06:00:00Z")), d("2026-11-02"));
        // America/Sao_Paulo moved its clocks at midnight (2018-11-04 00:00 -> 01:00): that day
        // began at 01:00 local, 03:00 UTC.
        let sp: Zone = "America/Sao_Paulo".parse().unwrap_or_default();
        assert_eq!(day_start(&sp, d("2018-11-04")), utc("2018-11-04T03:00:00Z"));
    }
}
