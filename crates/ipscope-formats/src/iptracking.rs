//! The iptracking export: `dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date`.
//!
//! A PAM callback records every SSH `auth`, `open_session` and `close_session` into PostgreSQL
//! (`inet_log`); this is that table exported as delimited text (delimiter configurable, `|` by
//! default).
//!
//! | field | event field | notes |
//! |---|---|---|
//! | `dst_ip` | `dst_ip` | the server; PostgreSQL `inet` text, a `/32` or `/128` suffix is dropped |
//! | `src_ip` | `src_ip` | empty (local login) or `\N` → unset; `::ffff:a.b.c.d` → IPv4 |
//! | `src_port` | `src_port` | empty or `\N` → unset |
//! | `event` | `kind` | `auth` → `auth` (outcome unset: the callback records the attempt, not its result), `open_session` → `session_open`, `close_session` → `session_close`, `unknown` → `other` |
//! | `sshd_pid` | `session` | as text |
//! | `uid` | `user` | the login name |
//! | `log_date` | `ts` | `YYYY-MM-DD HH:MM:SS[.ffffff]` local time in the clock's zone; a `T` separator and an explicit offset (`+01`, `+01:00`, `Z`) are accepted too |
//!
//! Also: `format = iptracking`, `proto = tcp`, `dst_port` unset. Fields are trimmed of spaces
//! (psql's aligned output pads them). A header line (starting with `dst_ip`) → ignored `header`;
//! psql's `----+----` separator and `(N rows)` footer → ignored `separator` / `footer`; blank →
//! `blank`; `#...` → `comment`. Wrong field count, bad address, bad port, unknown event, bad
//! date → rejected.

use std::net::IpAddr;

use crate::clock::{Clock, parse_datetime};
use crate::{Event, EventKind, LineOutcome, MAX_REJECT_DETAIL, Parser, Reject, SourceFormat, reject, text};

/// The number of fields of a row.
pub const FIELDS: usize = 7;

/// The parser for one iptracking export stream.
pub struct IptrackingParser {
    clock: Clock,
    delimiter: u8,
}

impl IptrackingParser {
    pub fn new(clock: Clock, delimiter: u8) -> IptrackingParser {
        IptrackingParser { clock, delimiter }
    }
}

/// The event word of a row → kind.
pub fn event_kind(word: &[u8]) -> Option<EventKind> {
    let w = word.trim_ascii();
    [
        (&b"auth"[..], EventKind::Auth),
        (b"open_session", EventKind::SessionOpen),
        (b"close_session", EventKind::SessionClose),
        (b"unknown", EventKind::Other),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(w))
    .map(|(_, k)| k)
}

/// Empty or PostgreSQL's `\N` → None.
fn value(f: &[u8]) -> Option<&[u8]> {
    let f = f.trim_ascii();
    (!f.is_empty() && f != b"\\N").then_some(f)
}

fn parse_ip(f: &[u8]) -> Result<Option<IpAddr>, ()> {
    let Some(f) = value(f) else { return Ok(None) };
    let s = std::str::from_utf8(f).map_err(|_| ())?;
    let s = match s.split_once('/') {
        Some((a, "32" | "128")) => a,
        Some(_) => return Err(()),
        None => s,
    };
    s.parse::<IpAddr>().map(|ip| Some(ipscope_event::canonical_ip(ip))).map_err(|_| ())
}

impl Parser for IptrackingParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::Iptracking
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = line.trim_ascii_end();
        let trimmed = line.trim_ascii_start();
        match trimmed {
            [] => return LineOutcome::Ignored("blank"),
            [b'#', ..] => return LineOutcome::Ignored("comment"),
            _ if trimmed.starts_with(b"dst_ip") => return LineOutcome::Ignored("header"),
            _ if trimmed.iter().all(|c| matches!(c, b'-' | b'+')) => {
                return LineOutcome::Ignored("separator");
            }
            _ if trimmed.starts_with(b"(") && trimmed.ends_with(b" rows)") || trimmed == b"(1 row)" => {
                return LineOutcome::Ignored("footer");
            }
            _ => {}
        }
        let mut f: [&[u8]; FIELDS] = [&[]; FIELDS];
        let mut n = 0;
        for part in line.split(|&c| c == self.delimiter) {
            if let Some(slot) = f.get_mut(n) {
                *slot = part;
            }
            n += 1;
        }
        if n != FIELDS {
            return LineOutcome::Rejected(Reject::new(
                "wrong field count",
                format!(
                    "{n} fields, expected {FIELDS}: {}",
                    String::from_utf8_lossy(line.get(..MAX_REJECT_DETAIL).unwrap_or(line))
                ),
            ));
        }
        let [dst, src, sport, event, pid, uid, date] = f;
        let Ok(dst_ip) = parse_ip(dst) else {
            return reject("bad address", dst);
        };
        let Ok(src_ip) = parse_ip(src) else {
            return reject("bad address", src);
        };
        let src_port = match value(sport) {
            None => None,
            Some(p) => match std::str::from_utf8(p).ok().and_then(|s| s.parse::<u16>().ok()) {
                Some(p) => Some(p),
                None => return reject("bad port", sport),
            },
        };
        let Some(kind) = event_kind(event) else {
            return reject("unknown event", event);
        };
        let date = date.trim_ascii();
        let ts = match parse_datetime(date) {
            Some((p, used)) if used == date.len() => match self.clock.datetime_micros(p) {
                Ok(ts) => ts,
                Err(e) => return reject(e.reason(), date),
            },
            _ => return reject("bad timestamp", date),
        };
        let mut e = Event::new(ts, SourceFormat::Iptracking, kind);
        e.dst_ip = dst_ip;
        e.src_ip = src_ip;
        e.src_port = src_port;
        e.session = value(pid).map(text);
        e.user = value(uid).map(text);
        e.proto = Some("tcp".to_owned());
        out.push(e);
        LineOutcome::Events(1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::{ClockConfig, YearRule, Zone};

    fn parser(zone: &str) -> IptrackingParser {
        let cfg = ClockConfig { zone: zone.parse().unwrap(), year: YearRule::Reference };
        IptrackingParser::new(Clock::new(cfg, 1_700_000_000_000_000), b'|')
    }

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    fn one(p: &mut IptrackingParser, line: &str) -> Result<Event, LineOutcome> {
        let mut out = Vec::new();
        match p.parse_line(line.as_bytes(), &mut out) {
            LineOutcome::Events(1) => Ok(out.pop().unwrap()),
            other => Err(other),
        }
    }

    #[test]
    fn rows_map_to_events() {
        let mut p = parser("Europe/Berlin");
        let e = one(&mut p, "10.0.0.1|192.0.2.7|51234|auth|4242|alice|2024-01-15 13:45:12\r").unwrap();
        assert_eq!(e.kind, EventKind::Auth);
        assert_eq!(e.outcome, None);
        assert_eq!(e.dst_ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(e.src_ip, Some("192.0.2.7".parse().unwrap()));
        assert_eq!(e.src_port, Some(51234));
        assert_eq!(e.dst_port, None);
        assert_eq!(e.session.as_deref(), Some("4242"));
        assert_eq!(e.user.as_deref(), Some("alice"));
        assert_eq!(e.proto.as_deref(), Some("tcp"));
        assert_eq!(e.format, SourceFormat::Iptracking);
        assert_eq!(e.ts, utc("2024-01-15T12:45:12Z"));

        let e = one(&mut p, "10.0.0.1|2001:db8::5|22|open_session|1|bob|2024-07-15 13:45:12.123456").unwrap();
        assert_eq!(e.kind, EventKind::SessionOpen);
        assert_eq!(e.ts, utc("2024-07-15T11:45:12.123456Z"));
        let e = one(&mut p, "10.0.0.1|::ffff:1.2.3.4|22|close_session|1|bob|2024-07-15T13:45:12+00").unwrap();
        assert_eq!(e.kind, EventKind::SessionClose);
        assert_eq!(e.src_ip, Some("1.2.3.4".parse().unwrap()));
        assert_eq!(e.ts, utc("2024-07-15T13:45:12Z"));
        let e = one(&mut p, "10.0.0.1/32||| unknown |1|root|2024-07-15 13:45:12+01:00").unwrap();
        assert_eq!(e.kind, EventKind::Other);
        assert_eq!((e.src_ip, e.src_port), (None, None));
        assert_eq!(e.dst_ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(e.ts, utc("2024-07-15T12:45:12Z"));
        let e = one(&mut p, r"10.0.0.1|\N|\N|auth|\N|\N|2024-07-15 13:45:12").unwrap();
        assert_eq!((e.src_ip, e.session, e.user), (None, None, None));
    }

    #[test]
    fn other_delimiter() {
        let cfg = ClockConfig { zone: Zone::Utc, year: YearRule::Reference };
        let mut p = IptrackingParser::new(Clock::new(cfg, 0), b',');
        let e = one(&mut p, "10.0.0.1,192.0.2.7,1,auth,2,u,2024-01-15 13:45:12").unwrap();
        assert_eq!(e.ts, utc("2024-01-15T13:45:12Z"));
        assert!(matches!(
            one(&mut p, "10.0.0.1|192.0.2.7|1|auth|2|u|2024-01-15 13:45:12"),
            Err(LineOutcome::Rejected(_))
        ));
    }

    #[test]
    fn ignored_and_rejected() {
        let mut p = parser("UTC");
        let reason = |p: &mut IptrackingParser, l: &str| match one(p, l) {
            Err(LineOutcome::Rejected(r)) => r.reason,
            Err(LineOutcome::Ignored(c)) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(&mut p, "dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date"), "header");
        assert_eq!(reason(&mut p, " dst_ip | src_ip | src_port"), "header");
        assert_eq!(reason(&mut p, "-----+-----+----"), "separator");
        assert_eq!(reason(&mut p, "(12 rows)"), "footer");
        assert_eq!(reason(&mut p, ""), "blank");
        assert_eq!(reason(&mut p, "# note"), "comment");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|1|auth|2|u"), "wrong field count");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|1|auth|2|u|2024-01-15 13:45:12|x"), "wrong field count");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.400|1|auth|2|u|2024-01-15 13:45:12"), "bad address");
        assert_eq!(reason(&mut p, "nope|1.2.3.4|1|auth|2|u|2024-01-15 13:45:12"), "bad address");
        assert_eq!(reason(&mut p, "10.0.0.0/8|1.2.3.4|1|auth|2|u|2024-01-15 13:45:12"), "bad address");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|70000|auth|2|u|2024-01-15 13:45:12"), "bad port");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|x|auth|2|u|2024-01-15 13:45:12"), "bad port");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|1|login|2|u|2024-01-15 13:45:12"), "unknown event");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|1|auth|2|u|2024-01-15"), "bad timestamp");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|1|auth|2|u|2024-01-15 13:45:12 junk"), "bad timestamp");
        assert_eq!(reason(&mut p, "10.0.0.1|1.2.3.4|1|auth|2|u|2023-02-29 13:45:12"), "bad date");
    }
}
