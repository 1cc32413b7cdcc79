//! The header of an ASA / FTD line: `[<PRI>]TIMESTAMP[ ZONE][ HOST][ TAG][:] %ASA-L-NNNNNN[:] BODY`.
//!
//! The timestamp is the device's own (`Apr 15 2013 09:36:50`, with the year) or a relay's
//! (`Jul 15 13:38:14`, RFC 3164), or ISO 8601 (`logging timestamp rfc5424`). Between it and the
//! message id come at most [`MAX_HEADER_TOKENS`] tokens: a time zone abbreviation, a host and a
//! syslog tag (`CiscoASA[999]:`); lone `:` and `-` are skipped. A line whose message id is not
//! found there is not an ASA line (an ASA id quoted further into some other program's message
//! does not make it one).

use crate::clock::{DateTimeParts, SyslogTime, month_from_abbr, parse_datetime};

/// At most this many tokens (zone, host, tag) between the timestamp and the message id.
pub(super) const MAX_HEADER_TOKENS: usize = 3;

/// A host token longer than this is not a host (DNS names are at most 253 bytes).
const MAX_HOST_LEN: usize = 255;

/// Common time zone abbreviations → seconds east of UTC. Ambiguous ones take their most common
/// meaning in ASA logs: `CST` is US Central (not China), `IST` India (not Ireland or Israel),
/// `BST` British Summer Time. An abbreviation not in this table uses the clock's zone.
const ZONES: &[(&[u8], i32)] = &[
    (b"UTC", 0),
    (b"GMT", 0),
    (b"UT", 0),
    (b"WET", 0),
    (b"WEST", 3600),
    (b"BST", 3600),
    (b"CET", 3600),
    (b"MET", 3600),
    (b"CEST", 7200),
    (b"MEST", 7200),
    (b"EET", 7200),
    (b"EEST", 10800),
    (b"MSK", 10800),
    (b"IST", 19800),
    (b"SGT", 28800),
    (b"HKT", 28800),
    (b"AWST", 28800),
    (b"JST", 32400),
    (b"KST", 32400),
    (b"ACST", 34200),
    (b"ACDT", 37800),
    (b"AEST", 36000),
    (b"AEDT", 39600),
    (b"NZST", 43200),
    (b"NZDT", 46800),
    (b"AST", -14400),
    (b"ADT", -10800),
    (b"EST", -18000),
    (b"EDT", -14400),
    (b"CST", -21600),
    (b"CDT", -18000),
    (b"MST", -25200),
    (b"MDT", -21600),
    (b"PST", -28800),
    (b"PDT", -25200),
    (b"AKST", -32400),
    (b"AKDT", -28800),
    (b"HST", -36000),
];

/// The offset of a zone abbreviation, if it is in [`ZONES`].
pub(super) fn zone_offset(abbr: &[u8]) -> Option<i32> {
    ZONES.iter().find(|(name, _)| *name == abbr).map(|&(_, off)| off)
}

/// The timestamp of a header, not yet resolved to an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stamp {
    /// `Jul 15 13:38:14`: the clock's year rule applies.
    Yearless(SyslogTime),
    /// `Apr 15 2013 09:36:50` or ISO 8601 (which may carry its own offset).
    Full(DateTimeParts),
}

/// A time zone abbreviation after the timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ZoneAbbr {
    None,
    /// In [`ZONES`]: seconds east of UTC.
    Known(i32),
    /// Not in the table: the clock's zone is used.
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header<'a> {
    pub(super) stamp: Stamp,
    pub(super) zone: ZoneAbbr,
    /// The host that logged the line; `None` if none was logged or it is the `<IP>` placeholder.
    pub(super) host: Option<&'a [u8]>,
    /// The six-digit message id.
    pub(super) id: u32,
    /// The message after the id (spaces before it removed).
    pub(super) body: &'a [u8],
}

/// What the header of a line turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parsed<'a> {
    Asa(Header<'a>),
    /// A well-formed timestamp but no ASA / FTD message id where one belongs.
    NotAsa,
    /// A malformed line: a static reason.
    Bad(&'static str),
}

pub(super) fn parse_header(line: &[u8]) -> Parsed<'_> {
    let mut s = line;
    if s.first() == Some(&b'<') {
        match strip_pri(s) {
            // Some relays write a colon after the priority (`<166>:Jan 13 15:51:28 MSK: %ASA-...`).
            Some(rest) => s = rest.strip_prefix(b":").unwrap_or(rest),
            None => return Parsed::Bad("bad priority"),
        }
        // RFC 5424 version (`<166>1 2019-...`).
        if let [b'1', b' ', b'0'..=b'9', ..] = s {
            s = s.get(2..).unwrap_or_default();
        }
    }
    let Some((stamp, used)) = parse_stamp(s) else {
        return if message_id_at(s).is_some() || s.starts_with(b"%") {
            Parsed::Bad("no timestamp")
        } else if s.len() < 15 && s.first().is_some_and(u8::is_ascii_alphabetic) {
            Parsed::Bad("truncated line")
        } else {
            Parsed::Bad("bad timestamp")
        };
    };
    let mut rest = s.get(used..).unwrap_or_default();
    // `09:36:50: %ASA...` - the colon glued to the time.
    let glued_colon = rest.first() == Some(&b':');
    if glued_colon {
        rest = rest.get(1..).unwrap_or_default();
    }
    match rest.first() {
        Some(b' ' | b'\t') => {}
        None => return Parsed::Bad("truncated line"),
        Some(_) => return Parsed::Bad("bad timestamp"),
    }
    let mut zone = ZoneAbbr::None;
    let mut host: Option<&[u8]> = None;
    let mut host_seen = false;
    let mut tokens = 0;
    loop {
        rest = trim_start(rest);
        if rest.is_empty() {
            return Parsed::NotAsa;
        }
        if let Some((id, body)) = message_id_at(rest) {
            return match id {
                Ok(id) => Parsed::Asa(Header { stamp, zone, host, id, body }),
                Err(reason) => Parsed::Bad(reason),
            };
        }
        if tokens == MAX_HEADER_TOKENS {
            return Parsed::NotAsa;
        }
        let end = rest.iter().position(|&c| c == b' ' || c == b'\t').unwrap_or(rest.len());
        let tok = rest.get(..end).unwrap_or_default();
        rest = rest.get(end..).unwrap_or_default();
        let bare = tok.strip_suffix(b":").unwrap_or(tok);
        if bare.is_empty() || bare == b"-" {
            continue;
        }
        tokens += 1;
        let own_offset = matches!(stamp, Stamp::Full(DateTimeParts { offset: Some(_), .. }));
        if tokens == 1
            && !glued_colon
            && !own_offset
            && let Some(z) = zone_token(bare, tok.len() > bare.len())
        {
            zone = z;
            continue;
        }
        if bare.len() > MAX_HOST_LEN || bare.iter().any(|c| !c.is_ascii_graphic() && *c < 0x80) {
            return Parsed::NotAsa;
        }
        // A tag (`CiscoASA[999]:`) or a second word after the host is not the host.
        if host_seen || bare.contains(&b'[') {
            continue;
        }
        host_seen = true;
        if bare != b"<IP>" {
            host = Some(bare);
        }
    }
}

/// A zone abbreviation: 2 to 5 uppercase letters. One in [`ZONES`] is always a zone; an unknown
/// one only when glued to the colon that ends the header (`09:34:34 XYZ: %ASA`): `FW : %ASA` and
/// `FW %ASA` name a host.
fn zone_token(bare: &[u8], glued_colon: bool) -> Option<ZoneAbbr> {
    if !(2..=5).contains(&bare.len()) || !bare.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    match zone_offset(bare) {
        Some(off) => Some(ZoneAbbr::Known(off)),
        None if glued_colon && bare.len() >= 3 => Some(ZoneAbbr::Unknown),
        None => None,
    }
}

/// `<PRI>` (1 to 3 digits) → the rest.
fn strip_pri(s: &[u8]) -> Option<&[u8]> {
    let end = s.iter().take(5).position(|&c| c == b'>')?;
    let digits = s.get(1..end)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.get(end + 1..)
}

/// Facilities whose messages share the ASA message catalogue.
const FACILITIES: [&[u8]; 4] = [b"ASA", b"FTD", b"PIX", b"FWSM"];

/// `%ASA-[word-]L-NNNNNN[:] ` at the start of `s` → (id or why it is malformed, body).
/// `None` if `s` does not start with an ASA-family facility at all.
pub(super) fn message_id_at(s: &[u8]) -> Option<(Result<u32, &'static str>, &[u8])> {
    let r = s.strip_prefix(b"%")?;
    let r = FACILITIES.iter().find_map(|f| r.strip_prefix(*f).and_then(|x| x.strip_prefix(b"-")))?;
    Some(match parse_id(r) {
        Some((id, body)) => (Ok(id), body),
        None => (Err("bad message id"), s),
    })
}

/// After `%ASA-`: `[word-]L-NNNNNN` then `:`, a space or the end.
fn parse_id(r: &[u8]) -> Option<(u32, &[u8])> {
    let word = r.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let r = if word > 0 { r.get(word..)?.strip_prefix(b"-")? } else { r };
    let [b'0'..=b'7', b'-', rest @ ..] = r else { return None };
    let digits = rest.get(..6)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let id = digits.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let after = rest.get(6..)?;
    let after = after.strip_prefix(b":").unwrap_or(after);
    match after.first() {
        None => Some((id, after)),
        Some(b' ' | b'\t') => Some((id, trim_start(after))),
        Some(_) => None,
    }
}

/// `Mmm dd[ yyyy] HH:MM:SS[.frac]` or ISO 8601 at the start of `s` → (stamp, bytes used).
fn parse_stamp(s: &[u8]) -> Option<(Stamp, usize)> {
    if s.first().is_some_and(u8::is_ascii_digit) {
        return parse_datetime(s).map(|(p, n)| (Stamp::Full(p), n));
    }
    let month = month_from_abbr(s.get(..3)?)?;
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let (day, mut i) = match (s.get(4)?, digit(s, 5)) {
        (b' ', Some(d)) => (d, 6),
        (c @ b'0'..=b'9', Some(d)) => (u32::from(c - b'0') * 10 + d, 6),
        (c @ b'0'..=b'9', None) => (u32::from(c - b'0'), 5),
        _ => return None,
    };
    if s.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let mut year = None;
    if s.get(i + 4) == Some(&b' ') {
        let y = (0..4).try_fold(0i32, |y, k| Some(y * 10 + i32::try_from(digit(s, i + k)?).ok()?))?;
        year = Some(y);
        i += 5;
    }
    let secs = hms(s, i)?;
    i += 8;
    let (micros, flen) = fraction(s, i);
    i += flen;
    let stamp = match year {
        Some(year) => Stamp::Full(DateTimeParts { year, month, day, secs, micros, offset: None }),
        None => Stamp::Yearless(SyslogTime { month, day, secs, micros }),
    };
    Some((stamp, i))
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

/// `HH:MM:SS` at `i` → seconds of day.
fn hms(b: &[u8], i: usize) -> Option<u32> {
    let (h, m, s) = (two(b, i)?, two(b, i + 3)?, two(b, i + 6)?);
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(h * 3600 + m * 60 + s)
}

/// An optional `.fff` fraction at `i` → (microseconds, bytes used); digits past the sixth dropped.
fn fraction(b: &[u8], i: usize) -> (u32, usize) {
    if b.get(i) != Some(&b'.') || digit(b, i + 1).is_none() {
        return (0, 0);
    }
    let n = b.get(i + 1..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
    let micros = (0..6).fold(0u32, |m, k| m * 10 + if k < n { digit(b, i + 1 + k).unwrap_or(0) } else { 0 });
    (micros, n + 1)
}

pub(super) fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    s.get(n..).unwrap_or_default()
}
