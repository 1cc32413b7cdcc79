//! Turning simulated steps into bytes: sshd syslog lines and iptracking rows.
//!
//! No per-line allocation: each line is assembled in a reused buffer (numbers formatted by
//! hand, the timestamp text cached per second, addresses pre-rendered per connection) and
//! handed to a `BufWriter` with one `write_all`.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::TimestampStyle;
use crate::population::Addr;
use crate::sim::{Conn, Noise, Probe, Step};

/// Room for the longest address text (a full IPv6 address is 39 bytes).
pub(crate) const ADDR_TEXT: usize = 40;

/// Where the simulation sends each line.
pub(crate) trait Sink {
    fn line(&mut self, ts: i64, c: &Conn, step: Step, keys: &[KeyFp]) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;
}

/// A host key fingerprint of a legitimate user: key type and the 43-character SHA256 text.
pub(crate) struct KeyFp {
    pub(crate) kind: &'static str,
    pub(crate) sha256: [u8; 43],
}

pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_2(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

/// A year as four digits (clamped to 0..=9999).
fn push_4(out: &mut Vec<u8>, y: i64) {
    let y = y.clamp(0, 9999) as u32;
    push_2(out, y / 100);
    push_2(out, y % 100);
}

/// `.ffffff`: the microseconds of `micros`.
pub(crate) fn push_micros(out: &mut Vec<u8>, micros: i64) {
    let us = micros.rem_euclid(1_000_000) as u32;
    out.push(b'.');
    push_2(out, us / 10_000);
    push_2(out, us / 100 % 100);
    push_2(out, us % 100);
}

/// Epoch seconds with six decimals (`1521911721.255387`, Zeek `ts`).
pub(crate) fn push_epoch(out: &mut Vec<u8>, micros: i64) {
    push_u64(out, micros.div_euclid(1_000_000).max(0) as u64);
    push_micros(out, micros);
}

/// Seconds with six decimals from microseconds (`0.004266`, Zeek `duration`).
pub(crate) fn push_secs6(out: &mut Vec<u8>, micros: u64) {
    push_u64(out, micros / 1_000_000);
    push_micros(out, (micros % 1_000_000) as i64);
}

/// `s` as a JSON string, quotes included (escapes `"`, `\\` and control characters).
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

/// `n` lowercase hex digits of `x` (most significant first), `n` <= 32.
pub(crate) fn push_hex(out: &mut Vec<u8>, x: u128, n: u32) {
    for i in (0..n).rev() {
        out.push(HEX[((x >> (4 * i)) & 15) as usize]);
    }
}

/// The text of an address, rendered once per connection.
pub(crate) fn addr_text(a: Addr) -> ([u8; ADDR_TEXT], u8) {
    let mut text = [0u8; ADDR_TEXT];
    let mut v = Vec::with_capacity(ADDR_TEXT);
    match a {
        Addr::V4(x) => {
            for (i, o) in Ipv4Addr::from(x).octets().iter().enumerate() {
                if i > 0 {
                    v.push(b'.');
                }
                push_u64(&mut v, u64::from(*o));
            }
        }
        // std prints the RFC 5952 canonical form (lowercase, longest zero run compressed).
        Addr::V6(x) => {
            let _ = write!(v, "{}", Ipv6Addr::from(x));
        }
    }
    let len = v.len().min(ADDR_TEXT);
    text[..len].copy_from_slice(&v[..len]);
    (text, len as u8)
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm): (year, month 1-12, day).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Rfc3164,
    Rfc3339,
    /// `YYYY-MM-DD HH:MM:SS` (iptracking `log_date`).
    Plain,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (Cowrie `timestamp`).
    IsoMicrosZ,
    /// `YYYY-MM-DDTHH:MM:SS+00:00` (IntelMQ `time.*`).
    IsoSeconds,
    /// `Mmm dd yyyy HH:MM:SS` (Cisco ASA device clock with year, zero-padded day).
    AsaYear,
}

/// The timestamp text of the current second, re-rendered only when the second changes.
pub(crate) struct Stamp {
    style: Style,
    sec: i64,
    text: Vec<u8>,
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

impl Stamp {
    pub(crate) fn new(style: Style) -> Self {
        Stamp { style, sec: i64::MIN, text: Vec::with_capacity(32) }
    }

    pub(crate) fn push(&mut self, micros: i64, out: &mut Vec<u8>) {
        let sec = micros.div_euclid(1_000_000);
        if sec != self.sec {
            self.sec = sec;
            self.render(sec);
        }
        out.extend_from_slice(&self.text);
        match self.style {
            Style::Rfc3339 | Style::IsoMicrosZ => {
                push_micros(out, micros);
                out.extend_from_slice(if self.style == Style::Rfc3339 { b"+00:00" } else { b"Z" });
            }
            Style::IsoSeconds => out.extend_from_slice(b"+00:00"),
            Style::Rfc3164 | Style::Plain | Style::AsaYear => {}
        }
    }

    fn render(&mut self, sec: i64) {
        let t = &mut self.text;
        t.clear();
        let (y, m, d) = civil_from_days(sec.div_euclid(86_400));
        let sod = sec.rem_euclid(86_400) as u32;
        match self.style {
            Style::Rfc3164 => {
                t.extend_from_slice(MONTHS[(m - 1) as usize]);
                t.push(b' ');
                t.push(if d >= 10 { b'0' + (d / 10) as u8 } else { b' ' });
                t.push(b'0' + (d % 10) as u8);
                t.push(b' ');
            }
            Style::AsaYear => {
                t.extend_from_slice(MONTHS[(m - 1) as usize]);
                t.push(b' ');
                push_2(t, d);
                t.push(b' ');
                push_4(t, y);
                t.push(b' ');
            }
            Style::Rfc3339 | Style::Plain | Style::IsoMicrosZ | Style::IsoSeconds => {
                let y = y.clamp(0, 9999) as u32;
                push_2(t, y / 100);
                push_2(t, y % 100);
                t.push(b'-');
                push_2(t, m);
                t.push(b'-');
                push_2(t, d);
                t.push(if self.style == Style::Plain { b' ' } else { b'T' });
            }
        }
        push_2(t, sod / 3600);
        t.push(b':');
        push_2(t, sod / 60 % 60);
        t.push(b':');
        push_2(t, sod % 60);
    }
}

/// OpenSSH / PAM syslog lines: `STAMP HOST sshd[PID]: MESSAGE`.
pub(crate) struct SshdSink<W: Write> {
    out: W,
    buf: Vec<u8>,
    stamp: Stamp,
    /// `" HOST sshd["`, rendered once.
    head: Vec<u8>,
}

impl<W: Write> SshdSink<W> {
    pub(crate) fn new(out: W, host: &str, style: TimestampStyle) -> Self {
        let style = match style {
            TimestampStyle::Rfc3164 => Style::Rfc3164,
            TimestampStyle::Rfc3339 => Style::Rfc3339,
        };
        let mut head = Vec::with_capacity(host.len() + 8);
        head.push(b' ');
        head.extend_from_slice(host.as_bytes());
        head.extend_from_slice(b" sshd[");
        SshdSink { out, buf: Vec::with_capacity(256), stamp: Stamp::new(style), head }
    }
}

/// `USER ADDR port N` / `from ADDR port N` building blocks.
fn from_addr_port(b: &mut Vec<u8>, c: &Conn) {
    b.extend_from_slice(b" from ");
    addr_port(b, c);
}

fn addr_port(b: &mut Vec<u8>, c: &Conn) {
    b.extend_from_slice(c.addr_bytes());
    b.extend_from_slice(b" port ");
    push_u64(b, u64::from(c.port));
}

fn failed_body(b: &mut Vec<u8>, c: &Conn) {
    b.extend_from_slice(b"Failed password for ");
    if c.invalid {
        b.extend_from_slice(b"invalid user ");
    }
    b.extend_from_slice(c.user.as_bytes());
    from_addr_port(b, c);
    b.extend_from_slice(b" ssh2");
}

/// `authenticating user root` / `invalid user oracle`.
fn who(b: &mut Vec<u8>, c: &Conn) {
    b.extend_from_slice(if c.invalid { b"invalid user " } else { b"authenticating user " });
    b.extend_from_slice(c.user.as_bytes());
    b.push(b' ');
}

impl<W: Write> Sink for SshdSink<W> {
    fn line(&mut self, ts: i64, c: &Conn, step: Step, keys: &[KeyFp]) -> io::Result<()> {
        let b = &mut self.buf;
        b.clear();
        self.stamp.push(ts, b);
        b.extend_from_slice(&self.head);
        push_u64(b, u64::from(c.pid));
        b.extend_from_slice(b"]: ");
        match step {
            Step::InvalidUser => {
                b.extend_from_slice(b"Invalid user ");
                b.extend_from_slice(c.user.as_bytes());
                from_addr_port(b, c);
            }
            Step::Failed => failed_body(b, c),
            Step::Repeated(n) => {
                b.extend_from_slice(b"message repeated ");
                push_u64(b, u64::from(n));
                b.extend_from_slice(b" times: [ ");
                failed_body(b, c);
                b.push(b']');
            }
            Step::AcceptedPassword | Step::AcceptedKey => {
                b.extend_from_slice(if step == Step::AcceptedKey {
                    b"Accepted publickey for "
                } else {
                    b"Accepted password for "
                });
                b.extend_from_slice(c.user.as_bytes());
                from_addr_port(b, c);
                b.extend_from_slice(b" ssh2");
                if step == Step::AcceptedKey
                    && let Some(k) = keys.get(usize::from(c.key))
                {
                    b.extend_from_slice(b": ");
                    b.extend_from_slice(k.kind.as_bytes());
                    b.extend_from_slice(b" SHA256:");
                    b.extend_from_slice(&k.sha256);
                }
            }
            Step::SessionOpened => {
                b.extend_from_slice(b"pam_unix(sshd:session): session opened for user ");
                b.extend_from_slice(c.user.as_bytes());
                b.extend_from_slice(b"(uid=");
                push_u64(b, u64::from(c.uid));
                b.extend_from_slice(b") by (uid=0)");
            }
            Step::SessionClosed => {
                b.extend_from_slice(b"pam_unix(sshd:session): session closed for user ");
                b.extend_from_slice(c.user.as_bytes());
            }
            Step::Probe(p) => match p {
                Probe::NoIdent => {
                    b.extend_from_slice(b"Did not receive identification string from ");
                    addr_port(b, c);
                }
                Probe::Negotiate => {
                    b.extend_from_slice(b"Unable to negotiate with ");
                    addr_port(b, c);
                    b.extend_from_slice(
                        b": no matching key exchange method found. Their offer: diffie-hellman-group1-sha1,diffie-hellman-group14-sha1 [preauth]",
                    );
                }
                Probe::Banner => {
                    b.extend_from_slice(b"banner exchange: Connection from ");
                    addr_port(b, c);
                    b.extend_from_slice(b": invalid format");
                }
                Probe::Closed => {
                    b.extend_from_slice(b"Connection closed by ");
                    addr_port(b, c);
                    b.extend_from_slice(b" [preauth]");
                }
                Probe::ByeBye => {
                    b.extend_from_slice(b"Received disconnect from ");
                    addr_port(b, c);
                    b.extend_from_slice(b":11: Bye Bye [preauth]");
                }
                Probe::ClosedByUser => {
                    b.extend_from_slice(b"Connection closed by ");
                    who(b, c);
                    addr_port(b, c);
                    b.extend_from_slice(b" [preauth]");
                }
            },
            Step::Noise(n) => match n {
                Noise::ByeBye => {
                    b.extend_from_slice(b"Received disconnect from ");
                    addr_port(b, c);
                    b.extend_from_slice(b":11: Bye Bye [preauth]");
                }
                Noise::DisconnectedPreauth => {
                    b.extend_from_slice(b"Disconnected from ");
                    who(b, c);
                    addr_port(b, c);
                    b.extend_from_slice(b" [preauth]");
                }
                Noise::ClosedByUserPreauth => {
                    b.extend_from_slice(b"Connection closed by ");
                    who(b, c);
                    addr_port(b, c);
                    b.extend_from_slice(b" [preauth]");
                }
                Noise::ClosedPreauth => {
                    b.extend_from_slice(b"Connection closed by ");
                    addr_port(b, c);
                    b.extend_from_slice(b" [preauth]");
                }
                Noise::MaxAttempts => {
                    b.extend_from_slice(b"error: maximum authentication attempts exceeded for ");
                    if c.invalid {
                        b.extend_from_slice(b"invalid user ");
                    }
                    b.extend_from_slice(c.user.as_bytes());
                    from_addr_port(b, c);
                    b.extend_from_slice(b" ssh2 [preauth]");
                }
                Noise::TooMany => {
                    b.extend_from_slice(b"Disconnecting ");
                    who(b, c);
                    addr_port(b, c);
                    b.extend_from_slice(b": Too many authentication failures [preauth]");
                }
                Noise::UserDisconnect => {
                    b.extend_from_slice(b"Received disconnect from ");
                    addr_port(b, c);
                    b.extend_from_slice(b":11: disconnected by user");
                }
                Noise::DisconnectedUser => {
                    b.extend_from_slice(b"Disconnected from user ");
                    b.extend_from_slice(c.user.as_bytes());
                    b.push(b' ');
                    addr_port(b, c);
                }
            },
        }
        b.push(b'\n');
        self.out.write_all(b)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// iptracking rows: `dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date`.
pub(crate) struct IptrackingSink<W: Write> {
    out: W,
    buf: Vec<u8>,
    stamp: Stamp,
    delimiter: u8,
    dst4: Vec<u8>,
    dst6: Vec<u8>,
}

impl<W: Write> IptrackingSink<W> {
    pub(crate) fn new(out: W, delimiter: u8, dst4: Ipv4Addr, dst6: Ipv6Addr) -> Self {
        IptrackingSink {
            out,
            buf: Vec::with_capacity(128),
            stamp: Stamp::new(Style::Plain),
            delimiter,
            dst4: dst4.to_string().into_bytes(),
            dst6: dst6.to_string().into_bytes(),
        }
    }
}

impl<W: Write> Sink for IptrackingSink<W> {
    fn line(&mut self, ts: i64, c: &Conn, step: Step, _keys: &[KeyFp]) -> io::Result<()> {
        let event: &[u8] = match step {
            Step::Failed | Step::AcceptedPassword => b"auth",
            Step::SessionOpened => b"open_session",
            Step::SessionClosed => b"close_session",
            // The simulation never plans other steps in iptracking mode.
            _ => return Ok(()),
        };
        let d = self.delimiter;
        let b = &mut self.buf;
        b.clear();
        b.extend_from_slice(if matches!(c.addr, Addr::V6(_)) { &self.dst6 } else { &self.dst4 });
        b.push(d);
        b.extend_from_slice(c.addr_bytes());
        b.push(d);
        push_u64(b, u64::from(c.port));
        b.push(d);
        b.extend_from_slice(event);
        b.push(d);
        push_u64(b, u64::from(c.pid));
        b.push(d);
        b.extend_from_slice(c.user.as_bytes());
        b.push(d);
        self.stamp.push(ts, b);
        b.push(b'\n');
        self.out.write_all(b)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(style: Style, micros: i64) -> String {
        let mut s = Stamp::new(style);
        let mut out = Vec::new();
        s.push(micros, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn timestamps_render_like_syslog() {
        // 2026-11-03T06:55:46.123456Z
        let t = 1_793_688_946_123_456;
        assert_eq!(stamp(Style::Rfc3164, t), "Nov  3 06:55:46");
        assert_eq!(stamp(Style::Rfc3339, t), "2026-11-03T06:55:46.123456+00:00");
        assert_eq!(stamp(Style::Plain, t), "2026-11-03 06:55:46");
        assert_eq!(stamp(Style::Rfc3164, 0), "Jan  1 00:00:00");
        assert_eq!(stamp(Style::Rfc3339, -1), "1969-12-31T23:59:59.999999+00:00");
        // Leap day, two-digit day.
        assert_eq!(stamp(Style::Plain, 1_709_208_000_000_000), "2024-02-29 12:00:00");
        assert_eq!(stamp(Style::Rfc3164, 1_709_208_000_000_000), "Feb 29 12:00:00");
    }

    #[test]
    fn civil_dates_agree_with_chrono() {
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            let c = chrono::DateTime::from_timestamp(days * 86_400, 0).map(|t| t.date_naive());
            let want = c.map(|c| {
                (i64::from(chrono::Datelike::year(&c)), chrono::Datelike::month(&c), chrono::Datelike::day(&c))
            });
            assert_eq!(Some((y, m, d)), want, "days {days}");
        }
    }

    #[test]
    fn addresses_render_canonically() {
        let (t, n) = addr_text(Addr::V4(u32::from(Ipv4Addr::new(1, 20, 255, 0))));
        assert_eq!(&t[..usize::from(n)], b"1.20.255.0");
        let v6: Ipv6Addr = "2a01:4f8:0:0:0:0:0:1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let (t, n) = addr_text(Addr::V6(u128::from(v6)));
        assert_eq!(&t[..usize::from(n)], b"2a01:4f8::1");
        let full = Ipv6Addr::new(0x2a01, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff);
        let (t, n) = addr_text(Addr::V6(u128::from(full)));
        assert_eq!(&t[..usize::from(n)], full.to_string().as_bytes());
    }
}
