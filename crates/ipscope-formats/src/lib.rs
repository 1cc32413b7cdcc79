//! Parsers: bytes of one log line in, normalized [`Event`]s out.
//!
//! **Architecture Invariant**: parsers do no I/O and never panic. A line that cannot be parsed is
//! a [`LineOutcome::Rejected`] with a reason; the caller counts it, reports it with file and line,
//! and reads the next line. Parsers may keep state across the lines of one stream (sshd maps pid →
//! address to give PAM session lines their source address; Zeek keeps its `#fields` header), so a
//! stream is parsed by one [`Parser`] value, in order.
//!
//! Adding a format: one new file here, one arm in [`FormatKind`] / [`new_parser`].

use std::fmt;
use std::str::FromStr;

pub use ipscope_event::{Event, EventKind, Outcome, SourceFormat};

pub mod asa;
pub mod clock;
pub mod cowrie;
pub mod detect;
pub mod intelmq;
pub mod iptracking;
pub mod sshd;
pub mod syslog;
pub mod year;
pub mod zeek_conn;

#[cfg(test)]
mod test_support;

pub use clock::{Clock, ClockConfig, TimeError, YearRule, Zone, ZoneError};
pub use detect::{detect, detect_with_delimiter};

/// What a parser made of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// The line produced this many events (pushed onto the output vector); may be more than one
    /// (`message repeated N times`).
    Events(usize),
    /// The line is well-formed but carries no event (e.g. `Received disconnect`, a cron PAM
    /// session, a comment or a blank line). The reason is a short static category for counting.
    Ignored(&'static str),
    /// The line looked like this format but could not be understood.
    Rejected(Reject),
}

/// Why a line was rejected: a static category (for counting) and a detail (for the rejects file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub reason: &'static str,
    pub detail: String,
}

impl Reject {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Reject { reason, detail: detail.into() }
    }
}

/// How much of an offending line or field goes into a [`Reject`] detail.
pub(crate) const MAX_REJECT_DETAIL: usize = 200;

/// A rejection whose detail is (the start of) the offending bytes.
pub(crate) fn reject(reason: &'static str, what: &[u8]) -> LineOutcome {
    let cut = what.get(..MAX_REJECT_DETAIL).unwrap_or(what);
    LineOutcome::Rejected(Reject::new(reason, String::from_utf8_lossy(cut)))
}

/// A port written as ASCII digits: `None` when there are none, one is not a digit, or it passes
/// 65535 (what `str::parse::<u16>` says of them, without checking UTF-8 first).
pub(crate) fn port_number(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u16, |n, &c| {
        let d = c.wrapping_sub(b'0');
        if d > 9 { None } else { n.checked_mul(10)?.checked_add(u16::from(d)) }
    })
}

/// An IP address written in `tok`, canonical (`::ffff:a.b.c.d` → `a.b.c.d`); a zone index
/// (`fe80::1%eth0`) is not part of it and is cut on bytes, before any UTF-8 check.
pub(crate) fn ip_before_zone(tok: &[u8]) -> Option<std::net::IpAddr> {
    let ip = memchr::memchr(b'%', tok).map_or(tok, |i| tok.get(..i).unwrap_or_default());
    std::str::from_utf8(ip).ok()?.parse().ok().map(ipscope_event::canonical_ip)
}

/// Bytes of a log line as a `String` (invalid UTF-8 replaced, valid UTF-8 copied as is).
pub(crate) fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() { f.write_str(self.reason) } else { write!(f, "{}: {}", self.reason, self.detail) }
    }
}

/// A stateful line parser for one stream.
pub trait Parser: Send {
    fn format(&self) -> SourceFormat;
    /// Parse one line (without its line terminator; a trailing `\r` may still be present and
    /// must be tolerated). Events are appended to `out`.
    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome;
    /// Moves the stream's reference time (see [`Clock::set_reference`]); a no-op for formats
    /// whose timestamps carry their year.
    fn set_reference(&mut self, _reference_micros: i64) {}
}

/// The formats a user can name with `--format`. Each has a parser file and a `looks_like`
/// detector; adding one touches its file and the arms below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormatKind {
    Sshd,
    Iptracking,
    Cowrie,
    ZeekConn,
    Intelmq,
    Shadowserver,
    Asa,
}

impl FormatKind {
    pub const ALL: [FormatKind; 7] = [
        FormatKind::Sshd,
        FormatKind::Iptracking,
        FormatKind::Cowrie,
        FormatKind::ZeekConn,
        FormatKind::Intelmq,
        FormatKind::Shadowserver,
        FormatKind::Asa,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FormatKind::Sshd => "sshd",
            FormatKind::Iptracking => "iptracking",
            FormatKind::Cowrie => "cowrie",
            FormatKind::ZeekConn => "zeek_conn",
            FormatKind::Intelmq => "intelmq",
            FormatKind::Shadowserver => "shadowserver",
            FormatKind::Asa => "asa",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            FormatKind::Sshd => "OpenSSH / PAM syslog: auth.log, secure, journald text export",
            FormatKind::Iptracking => "iptracking export: dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date",
            FormatKind::Cowrie => "Cowrie honeypot JSON lines (cowrie.json)",
            FormatKind::ZeekConn => "Zeek conn.log, TSV with #fields header or JSON lines",
            FormatKind::Intelmq => "IntelMQ events, JSON lines or pretty-printed JSON",
            FormatKind::Shadowserver => "Shadowserver CSV reports and IntelMQ eventDB CSV exports",
            FormatKind::Asa => "Cisco ASA / FTD syslog (%ASA-n-NNNNNN messages)",
        }
    }
}

impl fmt::Display for FormatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FormatKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FormatKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            let known: Vec<_> = FormatKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown format {s:?} (known: {})", known.join(", "))
        })
    }
}

/// Options that some parsers take.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// How syslog / iptracking timestamps without year or zone become UTC.
    pub clock: ClockConfig,
    /// iptracking field delimiter.
    pub delimiter: u8,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { clock: ClockConfig::default(), delimiter: b'|' }
    }
}

/// A parser for `kind`. `reference` is the stream's reference time (the file's mtime, or now for
/// stdin) in UTC microseconds; the year rule for year-less syslog uses it.
pub fn new_parser(kind: FormatKind, opts: &ParseOptions, reference: i64) -> Box<dyn Parser> {
    let clock = Clock::new(opts.clock.clone(), reference);
    match kind {
        FormatKind::Sshd => Box::new(sshd::SshdParser::new(clock)),
        FormatKind::Iptracking => Box::new(iptracking::IptrackingParser::new(clock, opts.delimiter)),
        FormatKind::Cowrie => Box::new(cowrie::CowrieParser::new(clock)),
        FormatKind::ZeekConn => Box::new(zeek_conn::ZeekConnParser::new(clock)),
        FormatKind::Intelmq => Box::new(intelmq::IntelmqJsonParser::new(clock)),
        FormatKind::Shadowserver => Box::new(intelmq::shadowserver::ShadowserverCsvParser::new(clock)),
        FormatKind::Asa => Box::new(asa::AsaParser::new(clock)),
    }
}
