//! When the daemon runs the nightly maint (`[maint] at = "06:00"`, a time of day in the
//! configured zone), and when it tries again after a failed send. Pure: the clock is a
//! parameter, so the rules are tested without waiting for them.
//!
//! - The run is due at the first instant whose local time in the zone is `at`; a time that a
//!   spring DST change skips runs when the clock has moved past it (the gap's length later), and
//!   a time that happens twice runs the first time.
//! - After a failed run it is tried again after [`RETRIES`] (1, 5, 15 and 60 minutes), but never
//!   past the next day's run, which starts afresh.

use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use ipscope_formats::Zone;

/// Delays of the retries after a failed run.
pub const RETRIES: [Duration; 4] =
    [Duration::from_secs(60), Duration::from_secs(300), Duration::from_secs(900), Duration::from_secs(3600)];

/// `06:00` or `06:00:30` (a typed value: `ipscope-config`, where it is fuzzed).
pub use ipscope_config::parse_time_of_day;

fn resolve<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The UTC instant of `local` in `zone`; a local time that does not exist (spring gap) is moved
/// forward until it does.
fn to_utc(zone: &Zone, local: NaiveDateTime) -> DateTime<Utc> {
    let mut t = local;
    for _ in 0..4 {
        let r = match zone {
            Zone::Utc => Some(Utc.from_utc_datetime(&t)),
            Zone::Local => resolve(&chrono::Local, t),
            Zone::Named(tz) => resolve(tz, t),
            Zone::Fixed(o) => resolve(o, t),
        };
        if let Some(r) = r {
            return r;
        }
        t += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&local)
}

/// The local calendar day of `t` in `zone`.
fn local_day(zone: &Zone, t: DateTime<Utc>) -> NaiveDate {
    match zone {
        Zone::Utc => t.date_naive(),
        Zone::Local => t.with_timezone(&chrono::Local).date_naive(),
        Zone::Named(tz) => t.with_timezone(tz).date_naive(),
        Zone::Fixed(o) => t.with_timezone(o).date_naive(),
    }
}

/// The first instant strictly after `after` whose local time in `zone` is `at`.
pub fn next_at(after: DateTime<Utc>, at: NaiveTime, zone: &Zone) -> DateTime<Utc> {
    let mut day = local_day(zone, after) - chrono::Duration::days(1);
    loop {
        let t = to_utc(zone, day.and_time(at));
        if t > after {
            return t;
        }
        day += chrono::Duration::days(1);
    }
}

/// The state of the schedule: when the next attempt is due, and which attempt it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    at: NaiveTime,
    zone: Zone,
    /// The day's scheduled run this attempt belongs to.
    pub scheduled: DateTime<Utc>,
    /// When to try (the scheduled time, or a retry after it).
    pub next: DateTime<Utc>,
    /// Retries used for this day's run.
    pub attempt: usize,
}

/// What happened to a run, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum After {
    /// Done; the next run is the next day's.
    Done,
    /// Failed; tried again at `next` (retry `attempt` of [`RETRIES`]).
    Retry { attempt: usize },
    /// Failed and no retry is left before the next day's run.
    GaveUp,
}

impl Plan {
    pub fn new(now: DateTime<Utc>, at: NaiveTime, zone: Zone) -> Plan {
        let scheduled = next_at(now, at, &zone);
        Plan { at, zone, scheduled, next: scheduled, attempt: 0 }
    }

    pub fn due(&self, now: DateTime<Utc>) -> bool {
        now >= self.next
    }

    /// Records the outcome of the run started when due; moves `next`.
    pub fn finish(&mut self, now: DateTime<Utc>, ok: bool) -> After {
        let tomorrow = next_at(self.scheduled.max(now), self.at, &self.zone);
        if !ok && let Some(delay) = RETRIES.get(self.attempt) {
            let retry = now + chrono::Duration::from_std(*delay).unwrap_or_default();
            if retry < tomorrow {
                self.attempt += 1;
                self.next = retry;
                return After::Retry { attempt: self.attempt };
            }
        }
        self.scheduled = tomorrow;
        self.next = tomorrow;
        self.attempt = 0;
        if ok { After::Done } else { After::GaveUp }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    fn zone(s: &str) -> Zone {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn the_next_run_is_at_the_local_time_of_day() {
        let six = parse_time_of_day("06:00").unwrap_or_default();
        assert_eq!(next_at(utc("2026-11-30T05:00:00Z"), six, &Zone::Utc), utc("2026-11-30T06:00:00Z"));
        assert_eq!(next_at(utc("2026-11-30T06:00:00Z"), six, &Zone::Utc), utc("2026-12-01T06:00:00Z"));
        // Berlin in winter is UTC+1: 06:00 there is 05:00 UTC.
        assert_eq!(next_at(utc("2026-11-30T04:00:00Z"), six, &zone("Europe/Berlin")), utc("2026-11-30T05:00:00Z"));
        // Chicago, just after local midnight (UTC-6): still today there.
        assert_eq!(next_at(utc("2026-12-01T06:30:00Z"), six, &zone("America/Chicago")), utc("2026-12-01T12:00:00Z"));
    }

    #[test]
    fn dst_gaps_and_folds() {
        let berlin = zone("Europe/Berlin");
        // 2026-03-29: 02:00 → 03:00 in Berlin. 02:30 does not exist: run at 03:00 CEST (01:00 UTC).
        let t = parse_time_of_day("02:30").unwrap_or_default();
        assert_eq!(next_at(utc("2026-03-28T23:00:00Z"), t, &berlin), utc("2026-03-29T01:00:00Z"));
        // 2026-10-25: 03:00 → 02:00. 02:30 happens twice: the first one (CEST, 00:30 UTC).
        assert_eq!(next_at(utc("2026-10-24T23:00:00Z"), t, &berlin), utc("2026-10-25T00:30:00Z"));
        // And once only: the next is the next day's.
        assert_eq!(next_at(utc("2026-10-25T00:30:00Z"), t, &berlin), utc("2026-10-26T01:30:00Z"));
    }

    #[test]
    fn a_failed_run_is_retried_then_left_to_the_next_day() {
        let six = parse_time_of_day("06:00").unwrap_or_default();
        let mut p = Plan::new(utc("2026-11-30T00:00:00Z"), six, Zone::Utc);
        assert!(!p.due(utc("2026-11-30T05:59:59Z")));
        assert!(p.due(utc("2026-11-30T06:00:00Z")));
        let mut now = utc("2026-11-30T06:00:01Z");
        let mut retries = Vec::new();
        loop {
            match p.finish(now, false) {
                After::Retry { attempt } => {
                    retries.push((attempt, (p.next - now).num_seconds()));
                    now = p.next;
                }
                After::GaveUp => break,
                After::Done => unreachable!("a failure is never done"),
            }
        }
        assert_eq!(retries, vec![(1, 60), (2, 300), (3, 900), (4, 3600)]);
        assert_eq!(p.next, utc("2026-12-01T06:00:00Z"));
        assert_eq!(p.attempt, 0);
        // A success after a retry: the next day, afresh.
        let mut p = Plan::new(utc("2026-11-30T00:00:00Z"), six, Zone::Utc);
        assert_eq!(p.finish(utc("2026-11-30T06:00:05Z"), false), After::Retry { attempt: 1 });
        assert_eq!(p.finish(utc("2026-11-30T06:01:05Z"), true), After::Done);
        assert_eq!((p.next, p.attempt), (utc("2026-12-01T06:00:00Z"), 0));
    }

    #[test]
    fn retries_never_run_into_the_next_days_run() {
        let t = parse_time_of_day("23:59:30").unwrap_or_default();
        let mut p = Plan::new(utc("2026-11-30T23:00:00Z"), t, Zone::Utc);
        // A run that fails a minute before the next day's would retry after it: give up instead.
        assert_eq!(p.finish(utc("2026-12-01T23:58:45Z"), false), After::GaveUp);
        assert_eq!(p.next, utc("2026-12-01T23:59:30Z"));
    }
}
