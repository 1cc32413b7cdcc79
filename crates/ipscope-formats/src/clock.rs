//! Turning syslog / iptracking timestamps into UTC microseconds.
//!
//! Three kinds of timestamp reach the parsers:
//!
//! * RFC 3164 (`Dec 10 06:55:46`, `Jun  9 ...`): no year, no zone. The year comes from a
//!   [`YearRule`], the zone from a [`Zone`]: [`Clock::syslog_micros`].
//! * A naive local date-time (iptracking's `log_date`, `2024-01-15 13:45:12[.123456]`): has a
//!   year but no zone: [`Clock::local_micros`].
//! * RFC 3339 with its own offset (`2015-04-16T18:02:50.321974+00:00`): needs no rule:
//!   [`Clock::datetime_micros`] with [`DateTimeParts::offset`] set.
//!
//! ## Year rule (year-less RFC 3164)
//!
//! Every rule decides the year of the stream's **first** line and then *walks*: the year follows
//! the months, so a stream's years never run backwards. A step back by more than 6 months from
//! the previous line's month (Dec → Jan) is a new year (+1). Small steps back (out-of-order
//! lines) keep the year, and so do steps forward (a quiet file may jump from January to August).
//! One exception, the other direction of the rollover: a line more than 6 months ahead that, put
//! in the previous year, falls within [`STRAGGLER_SECS`] BEFORE the previous line (a late
//! `Dec 31 23:59:59` among the first `Jan 1` lines of a merged stream) gets the previous year and
//! leaves the state alone. The first line's year:
//!
//! * [`YearRule::Reference`] (default): the year of the stream's reference time (the file's
//!   mtime, or now for stdin), unless that would put the first line more than one day after the
//!   reference; then the previous year. A stream spanning Dec → Jan read in January thus puts
//!   its December lines in the previous year. The one day of slack absorbs clock skew and a
//!   zone difference between the logging host and us.
//! * [`YearRule::Anchored`]`(y)`: `y`, decided from the stream's last lines before parsing
//!   ([`crate::year`]: the last line at or before the reference).
//! * [`YearRule::Fixed`]`(y)`: `y`, given by the user (`--year`).
//!
//! Feb 29 in a year that is not a leap year (and any other day that does not exist) is an error.
//!
//! ## Zone rule (local → UTC)
//!
//! [`Zone::Local`] (default) is the machine's zone (`TZ`, `/etc/localtime`). In a zone with
//! daylight saving time, a local time that happens twice (the autumn fold) takes the EARLIER
//! instant; a local time that does not exist (the spring gap) is shifted forward by the length
//! of the gap (Europe/Berlin 02:30 on the spring day becomes 03:30 CEST = 01:30 UTC), which is
//! what a clock that had not yet been adjusted meant.
//!
//! Conversion is cheap: the UTC offset is cached per local hour (a small direct-mapped cache),
//! and only hours that contain a transition are resolved line by line.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// How local (zone-less) times are turned into UTC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    Utc,
    /// The machine's zone (chrono's `Local`: `TZ`, else `/etc/localtime`).
    #[default]
    Local,
    /// An IANA zone such as `Europe/Berlin`.
    Named(Tz),
    /// A fixed offset such as `+02:00`.
    Fixed(FixedOffset),
}

/// A `--zone` value that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("empty time zone")]
    Empty,
    #[error("bad UTC offset {0:?} (expected +HH:MM, -HHMM or +HH, less than 24 hours)")]
    BadOffset(String),
    #[error("unknown time zone {0:?} (expected UTC, local, an IANA name like Europe/Berlin, or an offset like +02:00)")]
    Unknown(String),
}

impl FromStr for Zone {
    type Err = ZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ZoneError::Empty);
        }
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Ok(Zone::Utc);
        }
        if s.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        if s.starts_with('+') || s.starts_with('-') {
            let secs = parse_offset(s.as_bytes())
                .filter(|&(_, used)| used == s.len())
                .map(|(secs, _)| secs)
                .ok_or_else(|| ZoneError::BadOffset(s.to_owned()))?;
            return FixedOffset::east_opt(secs).map(Zone::Fixed).ok_or_else(|| ZoneError::BadOffset(s.to_owned()));
        }
        s.parse::<Tz>().map(Zone::Named).map_err(|_| ZoneError::Unknown(s.to_owned()))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Utc => f.write_str("UTC"),
            Zone::Local => f.write_str("local"),
            Zone::Named(tz) => f.write_str(tz.name()),
            Zone::Fixed(o) => {
                let secs = o.local_minus_utc();
                let sign = if secs < 0 { '-' } else { '+' };
                let a = secs.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
            }
        }
    }
}

/// Where the year of a year-less RFC 3164 timestamp comes from (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum YearRule {
    /// The first line in the reference time's year, or the previous one when it would be more
    /// than a day in its future; then follow the stream's Dec → Jan rollovers.
    #[default]
    Reference,
    /// The first line in this year, inferred from the stream's last lines ([`crate::year`]);
    /// then follow the rollovers.
    Anchored(i32),
    /// The first line in this year, given (`--year`); then follow the rollovers.
    Fixed(i32),
}

/// The zone and year rules of one stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClockConfig {
    pub zone: Zone,
    pub year: YearRule,
}

/// A timestamp that does not name an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("month {0} out of range")]
    Month(u32),
    #[error("day {day} does not exist in {year}-{month:02}")]
    Day { year: i32, month: u32, day: u32 },
    #[error("time of day out of range")]
    TimeOfDay,
    #[error("year {0} out of range")]
    Year(i32),
}

impl TimeError {
    /// A short static category, for [`crate::Reject::reason`].
    pub fn reason(&self) -> &'static str {
        match self {
            TimeError::Month(_) | TimeError::Day { .. } | TimeError::Year(_) => "bad date",
            TimeError::TimeOfDay => "bad time of day",
        }
    }
}

/// The parts of an RFC 3164 timestamp (`Dec 10 06:55:46[.123]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyslogTime {
    /// 1..=12
    pub month: u32,
    pub day: u32,
    /// Seconds since local midnight.
    pub secs: u32,
    /// Fraction of the second, in microseconds.
    pub micros: u32,
}

/// The parts of an ISO 8601 / RFC 3339 date-time (`2024-01-15 13:45:12.123456`,
/// `2015-04-16T18:02:50.321974+00:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTimeParts {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// Seconds since local midnight.
    pub secs: u32,
    /// Fraction of the second, in microseconds.
    pub micros: u32,
    /// The offset written in the timestamp (`Z`, `+02:00`, `-0500`, `+01`), seconds east of UTC.
    pub offset: Option<i32>,
}

/// Oldest / newest year accepted: keeps the day arithmetic far from overflow and chrono's range.
const MIN_YEAR: i32 = 1000;
const MAX_YEAR: i32 = 9999;

/// How far before the previous line a line may be and still count as a straggler from before
/// a Dec → Jan rollover under [`YearRule::Fixed`] (see the module doc).
pub const STRAGGLER_SECS: i64 = 86_400;

/// Size of the per-local-hour offset cache (a power of two). 64 hours cover out-of-order lines
/// and interleaved streams; each slot is 16 bytes.
const OFFSET_CACHE_SLOTS: usize = 64;

/// The widest UTC offset in the tz database is under 15 hours; used to find the offset in force
/// just before a DST gap.
const MAX_OFFSET_SECS: i64 = 15 * 3600;

#[derive(Clone, Copy, Debug)]
struct CacheSlot {
    /// Local hours since the epoch; `i64::MIN` = empty.
    hour: i64,
    /// Seconds east of UTC, valid for the whole hour.
    offset: i64,
}

/// Turns the timestamps of one stream into UTC microseconds (see the module doc for the rules).
/// Keeps state (the year of the previous line, an offset cache), so one stream uses one clock.
#[derive(Clone, Debug)]
pub struct Clock {
    cfg: ClockConfig,
    reference_micros: i64,
    /// The reference time as local civil seconds since the epoch.
    ref_local_secs: i64,
    ref_year: i32,
    /// [`YearRule::Fixed`] state: the current year, the previous line's month (0 = none yet) and
    /// its local civil seconds.
    cur_year: i32,
    prev_month: u32,
    prev_local: i64,
    cache: [CacheSlot; OFFSET_CACHE_SLOTS],
}

impl Clock {
    /// A clock for one stream. `reference_micros` is the stream's reference time (the file's
    /// mtime, or now for stdin), UTC microseconds.
    pub fn new(cfg: ClockConfig, reference_micros: i64) -> Clock {
        let ref_secs = reference_micros.div_euclid(1_000_000);
        let ref_local_secs = ref_secs + offset_at_utc(&cfg.zone, ref_secs);
        let (ref_year, _, _) = civil_from_days(ref_local_secs.div_euclid(86_400));
        // Clamped into MIN_YEAR..=MAX_YEAR, so the conversion cannot fail.
        let ref_year = i32::try_from(ref_year.clamp(i64::from(MIN_YEAR), i64::from(MAX_YEAR))).unwrap_or(MAX_YEAR);
        let cur_year = match cfg.year {
            YearRule::Fixed(y) | YearRule::Anchored(y) => y,
            YearRule::Reference => ref_year,
        };
        Clock {
            cfg,
            reference_micros,
            ref_local_secs,
            ref_year,
            cur_year,
            prev_month: 0,
            prev_local: 0,
            cache: [CacheSlot { hour: i64::MIN, offset: 0 }; OFFSET_CACHE_SLOTS],
        }
    }

    pub fn config(&self) -> &ClockConfig {
        &self.cfg
    }

    /// Moves the reference time of a live stream (a followed file or syslog listener running for
    /// months: "Jan  2" read on January 2 belongs to the new year). Under
    /// [`YearRule::Reference`] the next line is anchored at the new reference like a first line
    /// (at or before it, one day of slack) and the lines after it walk on from there: live lines
    /// are close to now, so this never runs backwards, and a stream quiet for months does not lag
    /// a year behind. A fixed or anchored year's walk is kept.
    pub fn set_reference(&mut self, reference_micros: i64) {
        let fresh = Clock::new(self.cfg.clone(), reference_micros);
        self.reference_micros = fresh.reference_micros;
        self.ref_local_secs = fresh.ref_local_secs;
        self.ref_year = fresh.ref_year;
        if matches!(self.cfg.year, YearRule::Reference) {
            self.cur_year = fresh.cur_year;
            self.prev_month = 0;
        }
    }

    pub fn reference_micros(&self) -> i64 {
        self.reference_micros
    }

    /// A year-less RFC 3164 timestamp in the clock's zone → UTC microseconds. Applies the year
    /// rule (and advances its state).
    pub fn syslog_micros(&mut self, t: SyslogTime) -> Result<i64, TimeError> {
        if !(1..=12).contains(&t.month) {
            return Err(TimeError::Month(t.month));
        }
        let year = self.year_for(t.month, t.day, t.secs);
        self.local_micros(DateTimeParts {
            year,
            month: t.month,
            day: t.day,
            secs: t.secs,
            micros: t.micros,
            offset: None,
        })
    }

    /// A naive local date-time in the clock's zone → UTC microseconds (the offset field is
    /// ignored; see [`Clock::datetime_micros`]).
    pub fn local_micros(&mut self, p: DateTimeParts) -> Result<i64, TimeError> {
        let local = local_secs(&p)?;
        let utc = self.local_to_utc(local);
        Ok(utc * 1_000_000 + i64::from(p.micros))
    }

    /// A date-time with its own offset uses it; without one it is local time in the clock's zone.
    pub fn datetime_micros(&mut self, p: DateTimeParts) -> Result<i64, TimeError> {
        match p.offset {
            Some(off) => {
                let local = local_secs(&p)?;
                Ok((local - i64::from(off)) * 1_000_000 + i64::from(p.micros))
            }
            None => self.local_micros(p),
        }
    }

    /// The year that puts `month/day secs` (local) at or before the reference time, with one day
    /// of slack: the reference's year or the one before.
    pub fn reference_year_of(&self, month: u32, day: u32, secs: u32) -> i32 {
        let y = self.ref_year;
        // Lenient day arithmetic: Feb 29 of a common year counts as Mar 1 here; the date itself
        // is validated afterwards.
        if year_seconds(y, month, day, secs) > self.ref_local_secs + 86_400 { y - 1 } else { y }
    }

    fn year_for(&mut self, month: u32, day: u32, secs: u32) -> i32 {
        let prev = self.prev_month;
        if prev == 0 && self.cfg.year == YearRule::Reference {
            self.cur_year = self.reference_year_of(month, day, secs);
        }
        let at = |y: i32| year_seconds(y, month, day, secs);
        if prev != 0 && month + 6 < prev {
            self.cur_year = (self.cur_year + 1).min(MAX_YEAR);
        } else if prev != 0 && month > prev + 6 {
            let y = (self.cur_year - 1).max(MIN_YEAR);
            if (0..=STRAGGLER_SECS).contains(&(self.prev_local - at(y))) {
                return y;
            }
        }
        self.prev_month = month;
        self.prev_local = at(self.cur_year);
        self.cur_year
    }

    fn local_to_utc(&mut self, local: i64) -> i64 {
        let zone = &self.cfg.zone;
        match *zone {
            Zone::Utc => local,
            Zone::Fixed(o) => local - i64::from(o.local_minus_utc()),
            Zone::Local | Zone::Named(_) => {
                let hour = local.div_euclid(3600);
                // rem_euclid of a power of two is in 0..SLOTS, so the cast cannot truncate.
                let idx = hour.rem_euclid(OFFSET_CACHE_SLOTS as i64) as usize;
                if let Some(slot) = self.cache.get(idx)
                    && slot.hour == hour
                {
                    return local - slot.offset;
                }
                let start = hour * 3600;
                match (resolve(zone, start), resolve(zone, start + 3599)) {
                    (LocalResult::Single(a), LocalResult::Single(b)) if a == b => {
                        if let Some(slot) = self.cache.get_mut(idx) {
                            *slot = CacheSlot { hour, offset: a };
                        }
                        local - a
                    }
                    _ => slow_local_to_utc(zone, local),
                }
            }
        }
    }
}

/// Civil seconds since the epoch of `month/day secs` in year `y` (lenient: Feb 29 of a common
/// year is Mar 1).
pub(crate) fn year_seconds(y: i32, month: u32, day: u32, secs: u32) -> i64 {
    days_from_civil(i64::from(y), month, day) * 86_400 + i64::from(secs)
}

/// Local civil seconds since the epoch of a validated date-time.
fn local_secs(p: &DateTimeParts) -> Result<i64, TimeError> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&p.year) {
        return Err(TimeError::Year(p.year));
    }
    if !(1..=12).contains(&p.month) {
        return Err(TimeError::Month(p.month));
    }
    if p.day == 0 || p.day > days_in_month(p.year, p.month) {
        return Err(TimeError::Day { year: p.year, month: p.month, day: p.day });
    }
    // 86_400 allows a leap second (23:59:60), folded into the next second.
    if p.secs > 86_400 || p.micros >= 1_000_000 {
        return Err(TimeError::TimeOfDay);
    }
    Ok(days_from_civil(i64::from(p.year), p.month, p.day) * 86_400 + i64::from(p.secs))
}

/// The offsets (seconds east) that local civil second `local` may have in `zone`.
fn resolve(zone: &Zone, local: i64) -> LocalResult<i64> {
    let Some(naive) = naive(local) else {
        return LocalResult::Single(0);
    };
    let r: LocalResult<FixedOffset> = match *zone {
        Zone::Utc => return LocalResult::Single(0),
        Zone::Fixed(o) => return LocalResult::Single(i64::from(o.local_minus_utc())),
        Zone::Local => Local.offset_from_local_datetime(&naive),
        Zone::Named(tz) => tz.offset_from_local_datetime(&naive).map(|o| o.fix()),
    };
    r.map(|o| i64::from(o.local_minus_utc()))
}

/// Local → UTC for an hour that contains a transition: fold → earlier instant, gap → shifted
/// forward by the gap (interpreted with the offset in force before it).
fn slow_local_to_utc(zone: &Zone, local: i64) -> i64 {
    match resolve(zone, local) {
        LocalResult::Single(o) => local - o,
        LocalResult::Ambiguous(a, b) => (local - a).min(local - b),
        LocalResult::None => local - offset_at_utc(zone, local - MAX_OFFSET_SECS),
    }
}

/// The offset (seconds east) in force at UTC second `utc`.
fn offset_at_utc(zone: &Zone, utc: i64) -> i64 {
    let Some(naive) = naive(utc) else {
        return 0;
    };
    let off = match *zone {
        Zone::Utc => 0,
        Zone::Fixed(o) => o.local_minus_utc(),
        Zone::Local => Local.offset_from_utc_datetime(&naive).local_minus_utc(),
        Zone::Named(tz) => tz.offset_from_utc_datetime(&naive).fix().local_minus_utc(),
    };
    i64::from(off)
}

fn naive(secs: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc())
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). Lenient: day 29
/// of a common February is Mar 1.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is in 1..=31 and m in 1..=12 by construction.
    (y, m as u32, d as u32)
}

// ---- byte-level timestamp parsing ----

/// Month number of an English three-letter abbreviation, any case.
pub fn month_from_abbr(b: &[u8]) -> Option<u32> {
    let [a, b, c] = *b else { return None };
    Some(match [a | 0x20, b | 0x20, c | 0x20] {
        [b'j', b'a', b'n'] => 1,
        [b'f', b'e', b'b'] => 2,
        [b'm', b'a', b'r'] => 3,
        [b'a', b'p', b'r'] => 4,
        [b'm', b'a', b'y'] => 5,
        [b'j', b'u', b'n'] => 6,
        [b'j', b'u', b'l'] => 7,
        [b'a', b'u', b'g'] => 8,
        [b's', b'e', b'p'] => 9,
        [b'o', b'c', b't'] => 10,
        [b'n', b'o', b'v'] => 11,
        [b'd', b'e', b'c'] => 12,
        _ => return None,
    })
}

fn digit(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i) {
        Some(c @ b'0'..=b'9') => Some(u32::from(c - b'0')),
        _ => None,
    }
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    Some(digit(b, i)? * 10 + digit(b, i + 1)?)
}

/// `HH:MM:SS` at `i` → seconds of day (unvalidated ranges are checked here: H < 24, M < 60,
/// S ≤ 60).
fn hms(b: &[u8], i: usize) -> Option<u32> {
    let h = two(b, i)?;
    let m = two(b, i + 3)?;
    let s = two(b, i + 6)?;
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(h * 3600 + m * 60 + s)
}

/// An optional `.ffffff` (or `,ffffff`) fraction at `i`: (microseconds, bytes used). Digits
/// beyond the sixth are dropped.
fn fraction(b: &[u8], i: usize) -> (u32, usize) {
    if !matches!(b.get(i), Some(b'.' | b',')) || digit(b, i + 1).is_none() {
        return (0, 0);
    }
    let mut micros = 0;
    let mut n = 0;
    while let Some(d) = digit(b, i + 1 + n) {
        if n < 6 {
            micros = micros * 10 + d;
        }
        n += 1;
    }
    for _ in n..6 {
        micros *= 10;
    }
    (micros, n + 1)
}

/// A UTC offset at the start of `b`: `Z`, `±HH`, `±HHMM`, `±HH:MM` → (seconds east, bytes used).
pub fn parse_offset(b: &[u8]) -> Option<(i32, usize)> {
    let sign = match b.first()? {
        b'Z' | b'z' => return Some((0, 1)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = two(b, 1)?;
    let (m, used) = match (b.get(3), two(b, 4), two(b, 3)) {
        (Some(b':'), Some(m), _) => (m, 6),
        (_, _, Some(m)) => (m, 5),
        _ => (0, 3),
    };
    if h > 23 || m > 59 {
        return None;
    }
    // h ≤ 23 and m ≤ 59, so this fits an i32 easily.
    Some((sign * (h * 3600 + m * 60) as i32, used))
}

/// An RFC 3164 timestamp at the start of `b`: `Mmm dd HH:MM:SS[.frac]`, the day space-padded
/// (`Jun  9`), zero-padded (`Jul 05`) or bare (`Feb 7`). Returns the parts and the bytes used.
pub fn parse_rfc3164(b: &[u8]) -> Option<(SyslogTime, usize)> {
    let month = month_from_abbr(b.get(..3)?)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let (day, i) = match (b.get(4)?, digit(b, 5)) {
        (b' ', Some(d)) => (d, 6),
        (c @ b'0'..=b'9', Some(d)) => (u32::from(c - b'0') * 10 + d, 6),
        (c @ b'0'..=b'9', None) => (u32::from(c - b'0'), 5),
        _ => return None,
    };
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let secs = hms(b, i + 1)?;
    let (micros, flen) = fraction(b, i + 9);
    Some((SyslogTime { month, day, secs, micros }, i + 9 + flen))
}

/// An ISO 8601 date-time at the start of `b`: `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, an
/// optional fraction and an optional offset. Returns the parts and the bytes used. Date ranges
/// are checked later by the [`Clock`].
pub fn parse_datetime(b: &[u8]) -> Option<(DateTimeParts, usize)> {
    let year = digit(b, 0)? * 1000 + digit(b, 1)? * 100 + digit(b, 2)? * 10 + digit(b, 3)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let month = two(b, 5)?;
    let day = two(b, 8)?;
    let secs = hms(b, 11)?;
    let (micros, flen) = fraction(b, 19);
    let mut used = 19 + flen;
    let offset = match b.get(used..).and_then(parse_offset) {
        Some((off, n)) => {
            used += n;
            Some(off)
        }
        None => None,
    };
    // year ≤ 9999, so the cast is exact.
    Some((DateTimeParts { year: year as i32, month, day, secs, micros, offset }, used))
}

#[cfg(test)]
mod tests;
