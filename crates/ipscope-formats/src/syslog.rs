//! Syslog line headers: timestamp, host, program (tag), pid, message.
//!
//! Byte-level and allocation-free; the timestamp is returned as parts, so the caller resolves it
//! with its [`Clock`](crate::Clock) only for lines it keeps. Shapes accepted (all seen in
//! `shared/corpus/openssh/`):
//!
//! | shape | example |
//! |---|---|
//! | RFC 3164 | `Dec 10 06:55:46 LabSZ sshd[24200]: msg` (day space-padded, zero-padded or bare) |
//! | RFC 3164 with `<PRI>` | `<38>Dec 10 06:55:46 host sshd[1]: msg` |
//! | RFC 3339 (rsyslog, journald `short-iso`) | `2015-04-16T18:02:50.321974+00:00 host sshd[2716]: msg` |
//! | RFC 5424 | `<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - [sd] msg` |
//! | no host | `Feb 17 17:40:17 sshd[19725]: msg` |
//! | bracketed program, no host or pid | `Mar  3 00:17:22 [sshd]: msg`, `Jun 25 23:53:34 [sshd] msg` |
//! | program without pid / odd tags | `host sudo: msg`, `host syslogd 1.4.1: restart.`, `host  -- root[2421]: msg` |

pub mod framing;

use crate::clock::{DateTimeParts, SyslogTime, parse_datetime, parse_rfc3164};

/// The timestamp of a header, not yet resolved to an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// Year-less, zone-less: needs the clock's year and zone rules.
    Rfc3164(SyslogTime),
    /// ISO 8601 / RFC 3339, usually with its own offset.
    DateTime(DateTimeParts),
}

/// A parsed syslog header. All slices borrow from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub stamp: Stamp,
    pub host: Option<&'a [u8]>,
    /// The program name (`sshd`, `sshd(pam_unix)`, `CRON`); empty if none was logged.
    pub program: &'a [u8],
    pub pid: Option<&'a [u8]>,
    pub msg: &'a [u8],
}

/// Why a header could not be parsed (a static category for [`crate::Reject::reason`]).
pub type HeaderError = &'static str;

/// The length of a full RFC 3164 timestamp (`Dec  2 13:14:20`): a line shorter than this whose
/// timestamp does not parse ended inside it (`Dec  2 13:14:2`) and is reported as truncated.
const STAMP_LEN: usize = 15;

/// Parse the header of one line (already stripped of its line terminator).
pub fn parse_header(line: &[u8]) -> Result<Header<'_>, HeaderError> {
    let mut s = line;
    if s.first() == Some(&b'<') {
        s = strip_pri(s).ok_or("bad priority")?;
        if let [b'1', b' ', rest @ ..] = s {
            return parse_5424(rest);
        }
    }
    let (stamp, used) = match s.first() {
        Some(b'0'..=b'9') => parse_datetime(s).map(|(p, n)| (Stamp::DateTime(p), n)).ok_or("bad timestamp")?,
        _ => match parse_rfc3164(s) {
            Some((t, n)) => (Stamp::Rfc3164(t), n),
            None if s.len() < STAMP_LEN && s.first().is_some_and(u8::is_ascii_alphabetic) => {
                return Err("truncated line");
            }
            None => return Err("bad timestamp"),
        },
    };
    let rest = match s.get(used..) {
        Some([b' ', rest @ ..]) => trim_start(rest),
        Some([]) | None => return Err("truncated line"),
        Some(_) => return Err("bad timestamp"),
    };
    if rest.is_empty() {
        return Err("truncated line");
    }
    // Host, unless the first token is already the tag (`sshd[1]:`, `[sshd]:`, `[sshd]`).
    let tok_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let tok = rest.get(..tok_end).unwrap_or_default();
    let (host, tag) = if tok.first() == Some(&b'[') || tok.last() == Some(&b':') {
        (None, rest)
    } else {
        let after = trim_start(rest.get(tok_end..).unwrap_or_default());
        if after.is_empty() {
            return Err("truncated line");
        }
        (Some(tok), after)
    };
    let Tag { program, pid, msg } = parse_tag(tag)?;
    Ok(Header { stamp, host, program, pid, msg })
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

struct Tag<'a> {
    program: &'a [u8],
    pid: Option<&'a [u8]>,
    msg: &'a [u8],
}

/// `prog[pid]: msg`, `prog: msg`, `[prog]: msg`, `[prog] msg`, `prog msg`.
fn parse_tag(t: &[u8]) -> Result<Tag<'_>, HeaderError> {
    if let Some(inner) = t.strip_prefix(b"[") {
        let close = memchr::memchr(b']', inner).ok_or("bad program tag")?;
        let program = inner.get(..close).unwrap_or_default();
        let mut rest = inner.get(close + 1..).unwrap_or_default();
        if let Some(r) = rest.strip_prefix(b":") {
            rest = r;
        }
        return Ok(Tag { program, pid: None, msg: strip_one_space(rest) });
    }
    let end = memchr::memchr3(b'[', b':', b' ', t).unwrap_or(t.len());
    let program = t.get(..end).unwrap_or_default();
    let rest = t.get(end..).unwrap_or_default();
    match rest.first() {
        Some(b'[') => {
            let inner = rest.get(1..).unwrap_or_default();
            let close = memchr::memchr(b']', inner).ok_or("bad program tag")?;
            let pid = inner.get(..close).unwrap_or_default();
            let mut after = inner.get(close + 1..).unwrap_or_default();
            if let Some(r) = after.strip_prefix(b":") {
                after = r;
            }
            Ok(Tag { program, pid: Some(pid), msg: strip_one_space(after) })
        }
        Some(b':') => Ok(Tag { program, pid: None, msg: strip_one_space(rest.get(1..).unwrap_or_default()) }),
        Some(_) => Ok(Tag { program, pid: None, msg: rest.get(1..).unwrap_or_default() }),
        None => Ok(Tag { program, pid: None, msg: rest }),
    }
}

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD [MSG]`.
fn parse_5424(s: &[u8]) -> Result<Header<'_>, HeaderError> {
    let (p, used) = parse_datetime(s).ok_or("bad timestamp")?;
    let mut rest = match s.get(used..) {
        Some([b' ', r @ ..]) => r,
        _ => return Err("bad timestamp"),
    };
    let mut field = || -> Result<&[u8], HeaderError> {
        let end = memchr::memchr(b' ', rest).ok_or("truncated line")?;
        let f = rest.get(..end).unwrap_or_default();
        rest = rest.get(end + 1..).unwrap_or_default();
        Ok(f)
    };
    let nil = |f: &'_ [u8]| -> bool { f == b"-" };
    let host = field()?;
    let app = field()?;
    let procid = field()?;
    let _msgid = field()?;
    let msg = skip_structured_data(rest).ok_or("bad structured data")?;
    let msg = msg.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(msg);
    Ok(Header {
        stamp: Stamp::DateTime(p),
        host: (!nil(host)).then_some(host),
        program: if nil(app) { b"" } else { app },
        pid: (!nil(procid)).then_some(procid),
        msg,
    })
}

/// Skip RFC 5424 STRUCTURED-DATA (`-` or `[id k="v" ...]...`, `\]` and `"]"` allowed inside
/// values) and the space after it.
fn skip_structured_data(s: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = s.strip_prefix(b"-") {
        return Some(strip_one_space(rest));
    }
    let mut i = 0;
    while s.get(i) == Some(&b'[') {
        let mut in_quotes = false;
        i += 1;
        loop {
            match s.get(i)? {
                b'\\' => i += 1,
                b'"' => in_quotes = !in_quotes,
                b']' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 {
        return None;
    }
    Some(strip_one_space(s.get(i..).unwrap_or_default()))
}

fn strip_one_space(s: &[u8]) -> &[u8] {
    s.strip_prefix(b" ").unwrap_or(s)
}

pub(crate) fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    s.get(n..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn h(line: &str) -> (Option<&str>, &str, Option<&str>, &str) {
        let h = parse_header(line.as_bytes()).unwrap();
        let s = |b: &[u8]| std::str::from_utf8(b).unwrap().to_owned().leak() as &str;
        (h.host.map(s), s(h.program), h.pid.map(s), s(h.msg))
    }

    #[test]
    fn header_shapes() {
        assert_eq!(
            h("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user x from 1.2.3.4"),
            (Some("LabSZ"), "sshd", Some("24200"), "Invalid user x from 1.2.3.4")
        );
        assert_eq!(h("Mar  3 00:17:22 [sshd]: User root"), (None, "sshd", None, "User root"));
        assert_eq!(h("Jun 25 23:53:34 [sshd] User root"), (None, "sshd", None, "User root"));
        assert_eq!(h("Feb 17 17:40:17 sshd[19725]: Conn"), (None, "sshd", Some("19725"), "Conn"));
        assert_eq!(
            h("Feb 21 23:35:33 localhost sudo: vagrant : TTY"),
            (Some("localhost"), "sudo", None, "vagrant : TTY")
        );
        assert_eq!(
            h("Jun 19 04:09:11 combo syslogd 1.4.1: restart."),
            (Some("combo"), "syslogd", None, "1.4.1: restart.")
        );
        assert_eq!(h("Jul  7 08:06:15 combo  -- root[2421]: ROOT"), (Some("combo"), "--", None, "root[2421]: ROOT"));
        assert_eq!(
            h("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"),
            (Some("combo"), "sshd(pam_unix)", Some("19939"), "check pass; user unknown")
        );
        assert_eq!(h("2015-04-16T18:02:50.321974+00:00 host sshd[2716]: x"), (Some("host"), "sshd", Some("2716"), "x"));
        assert_eq!(h("<13>Dec 10 06:55:46 h sshd-session[1]: m"), (Some("h"), "sshd-session", Some("1"), "m"));
        assert_eq!(
            h("<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed x"),
            (Some("hostname.example.com"), "sshd", Some("57915"), "Failed x")
        );
        assert_eq!(
            h(
                r#"<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [timeQuality tzKnown="1"][xxx@123 test="[brackets]" q="\]"] Failed y"#
            ),
            (Some("h"), "sshd", Some("55555"), "Failed y")
        );
        assert_eq!(h("<38>1 2019-07-08T17:40:16Z - - - - -"), (None, "", None, ""));
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(parse_header(b"Dec  2 13:14:2"), Err("truncated line"));
        assert_eq!(parse_header(b"Dec  2 13:14:20"), Err("truncated line"));
        assert_eq!(parse_header(b"Dec  2 13:14:20 host"), Err("truncated line"));
        assert_eq!(parse_header(b"Dec 32x13:14:20 host sshd[1]: x"), Err("bad timestamp"));
        assert_eq!(parse_header(b"hello world this is not syslog"), Err("bad timestamp"));
        assert_eq!(parse_header(b"2015-13-45 nope"), Err("bad timestamp"));
        assert_eq!(parse_header(b"<999999>Dec  2 13:14:20 h p: m"), Err("bad priority"));
        assert_eq!(parse_header(b"Dec  2 13:14:20 h sshd[12: m"), Err("bad program tag"));
        assert_eq!(parse_header(b"<38>1 2019-07-08T17:40:16Z h sshd 1 - [x"), Err("bad structured data"));
    }
}
