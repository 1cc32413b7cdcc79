//! The year of a year-less stream, decided before parsing it (issue 15).
//!
//! RFC 3164 syslog (`Dec  1 10:00:00`, sshd and relayed ASA lines) has no year. A stream is the
//! mostly chronological sequence it is: its years must never run backwards. The clock's year
//! rules ([`crate::clock`]) walk forward from the first line's year, adding one at each Dec → Jan
//! rollover; what is left is the first line's year, the *anchor*:
//!
//! - **From the tail** ([`tail_anchor`], regular files): the **last** line is put at or before
//!   the reference time (the file's modification time), with one day of slack for clock skew and
//!   zones; the first line is in the same year, or the year before when it is later in the year
//!   than the last line (by more than a day: the stream crosses a Dec → Jan boundary). The parser
//!   then runs with [`YearRule::Anchored`]. This needs the last lines of the file, read before
//!   parsing.
//! - **From the head** ([`head_anchor`], or [`YearRule::Reference`] itself; compressed files and
//!   stdin, whose tail is not known before reading them all): the **first** line is put at or
//!   before the reference time (one day of slack), then the walk. For a stream spanning less than a year that ends at or
//!   before the reference this is the same answer; a stream copied with a modification time
//!   *before* its last lines gets lines after the reference.
//!
//! Both assume a stream spanning less than a year between its first and last line (rotated logs
//! do). `--year Y` ([`YearRule::Fixed`]) names the first line's year instead.
//!
//! **Out-of-order tolerance.** For a stream whose lines are in order except for steps back of at
//! most [`crate::clock::STRAGGLER_SECS`] (one day), the times assigned never step back by more
//! than that: years only change at rollovers, and a late `Dec 31` line among the first `Jan 1`
//! lines stays in the old year.

use crate::FormatKind;
use crate::clock::{Clock, ClockConfig, STRAGGLER_SECS, SyslogTime, YearRule};

/// The year-less timestamp of a line of `kind`, if it has one (sshd: an RFC 3164 header; ASA: a
/// relay's `Mmm dd HH:MM:SS` header).
pub fn yearless_time(kind: FormatKind, line: &[u8]) -> Option<SyslogTime> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match kind {
        FormatKind::Sshd => match crate::syslog::parse_header(line).ok()?.stamp {
            crate::syslog::Stamp::Rfc3164(t) => Some(t),
            crate::syslog::Stamp::DateTime(_) => None,
        },
        FormatKind::Asa => crate::asa::yearless_time(line),
        _ => None,
    }
}

/// The complete lines of a byte window: a window that does not start at the beginning of its
/// stream (`partial_start`) loses its first, probably cut, line.
pub fn window_lines(bytes: &[u8], partial_start: bool) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&c| c == b'\n').collect();
    if partial_start && !lines.is_empty() {
        lines.remove(0);
    }
    // The last piece is cut by the window or empty after a final newline; a file's true last
    // line without a newline is also dropped, which only costs a slightly older "last" line.
    lines.pop();
    lines
}

/// The year of the first line of a stream whose first lines are `head` and last lines `tail`
/// (see the module doc), for streams of `kind` read with `cfg` at `reference` (UTC micros).
/// `None` when the year is not to be inferred: `cfg` already fixes it (`--year`), the format
/// has no year-less timestamps, or no timestamp was found in the head or the tail.
pub fn tail_anchor(kind: FormatKind, cfg: &ClockConfig, reference: i64, head: &[&[u8]], tail: &[&[u8]]) -> Option<i32> {
    if cfg.year != YearRule::Reference {
        return None;
    }
    let first = head.iter().find_map(|l| yearless_time(kind, l))?;
    let last = tail.iter().rev().find_map(|l| yearless_time(kind, l))?;
    Some(anchor_year(cfg, reference, first, last))
}

/// The year of the first line of a stream whose tail is not known before reading it all
/// (compressed input, stdin): the first line at or before `reference` (one day of slack), which
/// is what [`YearRule::Reference`] decides; kept so that a later read of the same input (grown,
/// rotated) gets the same years. `None` as for [`tail_anchor`].
pub fn head_anchor(kind: FormatKind, cfg: &ClockConfig, reference: i64, head: &[&[u8]]) -> Option<i32> {
    if cfg.year != YearRule::Reference {
        return None;
    }
    let first = head.iter().find_map(|l| yearless_time(kind, l))?;
    Some(anchor_year(cfg, reference, first, first))
}

/// The first line's year when the stream's first line is at `first` and its last at `last`:
/// the last line at or before `reference` (one day of slack), the first in the same year unless
/// it is more than a day later in the year than the last (a Dec → Jan rollover in between).
pub fn anchor_year(cfg: &ClockConfig, reference: i64, first: SyslogTime, last: SyslogTime) -> i32 {
    let clock = Clock::new(ClockConfig { zone: cfg.zone.clone(), year: YearRule::Reference }, reference);
    let last_year = clock.reference_year_of(last.month, last.day, last.secs);
    // Both in the same (leap) year, so Feb 29 compares as it should.
    let at = |t: SyslogTime| crate::clock::year_seconds(2000, t.month, t.day, t.secs);
    if at(first) > at(last) + STRAGGLER_SECS { last_year - 1 } else { last_year }
}

#[cfg(test)]
mod tests;
