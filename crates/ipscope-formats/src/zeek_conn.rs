//! Zeek `conn.log`: tab-separated with `#` header lines, or JSON lines. One parser reads both,
//! deciding per line: `#...` is a header, `{...` a JSON record, anything else a TSV row.
//!
//! Every record is one `connection` event: `ts`, `format = zeek_conn`, `session` = `uid`,
//! `src_ip`/`src_port` = `id.orig_h`/`id.orig_p`, `dst_ip`/`dst_port` = `id.resp_h`/`id.resp_p`
//! (for ICMP Zeek writes the ICMP type and code there; they are kept as ports), `proto`
//! lowercased, `service` as written (`http,ssl`), `duration` (seconds), `src_bytes`/`dst_bytes` =
//! `orig_bytes`/`resp_bytes`, `conn_state`, `detail` = `history`, `sensor` = `_node_name`.
//! The outcome comes from `conn_state` (see [`outcome`]).
//!
//! **TSV** (`tsv.rs`): columns are found by their `#fields` names, never by position (20, 21
//! and 22-column layouts exist, some with a leading `_node_name`). A new `#separator` line starts
//! a new header block (concatenated logs repeat it mid-file). `#unset_field` (`-`) and
//! `#empty_field` (`(empty)`) values are unset. A row before any `#fields` is rejected.
//!
//! **JSON** (`json.rs`): flat keys `id.orig_h` etc. (a nested `"id": {"orig_h": ...}` object is
//! read too); absent keys and `null` are unset; `ts` is epoch seconds (number or string) or an
//! ISO 8601 string.
//!
//! **Not a conn log**: a TSV block whose `#path` is not `conn` / `conn_*`, or (without `#path`)
//! whose columns include none of the conn-only columns ([`CONN_ONLY`]); likewise a JSON record
//! whose `_path` is not `conn` / `conn_*`, or without `_path` and without any conn-only key. Such
//! records are `Ignored("not a conn log")`: an `http.log` given as `--format zeek_conn` is
//! counted, not turned into connections.

use std::net::IpAddr;

use crate::clock::{Clock, parse_datetime};
use crate::{Event, EventKind, LineOutcome, MAX_REJECT_DETAIL, Outcome, Parser, Reject, SourceFormat};

mod json;
mod tsv;

#[cfg(test)]
mod tests;

/// The greatest timestamp accepted, in seconds (9999-12-31T23:59:59Z); the least is 0.
const MAX_TS_SECS: i64 = 253_402_300_799;

/// Columns / keys that only conn logs have: a record with none of them (and no `#path` /
/// `_path` saying `conn`) is some other Zeek log (`http`, `dns`, `ssl` share `ts`, `uid`, `id.*`).
pub const CONN_ONLY: [&str; 8] = [
    "conn_state",
    "orig_bytes",
    "resp_bytes",
    "missed_bytes",
    "orig_pkts",
    "resp_pkts",
    "orig_ip_bytes",
    "resp_ip_bytes",
];

/// How many lines [`looks_like`] examines.
const DETECT_LINES: usize = 20;

/// The parser for one Zeek conn.log stream (TSV, JSON, or a mix).
pub struct ZeekConnParser {
    clock: Clock,
    tsv: tsv::Header,
}

impl ZeekConnParser {
    pub fn new(clock: Clock) -> ZeekConnParser {
        ZeekConnParser { clock, tsv: tsv::Header::default() }
    }
}

impl Parser for ZeekConnParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::ZeekConn
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = line.trim_ascii_start();
        match start.first() {
            None => LineOutcome::Ignored("blank"),
            Some(b'#') => self.tsv.header(start),
            Some(b'{') => json::record(&mut self.clock, line, out),
            Some(_) => self.tsv.row(&mut self.clock, line, out),
        }
    }
}

/// Whether the first non-blank lines of a stream are a Zeek conn log: a Zeek TSV header block
/// (`#separator ...`) whose `#path` is `conn`/`conn_*` or whose `#fields` name the address
/// columns and a conn-only column, or a first JSON object that is a conn record. `#` lines
/// before that (a btest banner, comments) are skipped; any other line first → no.
pub fn looks_like(first_lines: &[&[u8]]) -> bool {
    let mut sep: Option<Vec<u8>> = None;
    let mut path: Option<&[u8]> = None;
    let lines = first_lines.iter().map(|l| l.trim_ascii()).filter(|l| !l.is_empty()).take(DETECT_LINES);
    for line in lines {
        if let Some(rest) = line.strip_prefix(b"#") {
            let (key, value) = tsv::split_header(rest, sep.as_deref().unwrap_or(b"\t"));
            match (key, &sep) {
                (b"separator", _) => sep = Some(tsv::unescape(value)).filter(|s| !s.is_empty()),
                (b"path", Some(_)) => {
                    if !is_conn_path(value) {
                        return false;
                    }
                    path = Some(value);
                }
                (b"fields", Some(s)) => {
                    let names: Vec<&[u8]> = tsv::split(value, s).collect();
                    let has = |n: &str| names.contains(&n.as_bytes());
                    return has("id.orig_h")
                        && has("id.resp_h")
                        && (path.is_some() || CONN_ONLY.iter().any(|n| has(n)));
                }
                _ => {}
            }
            continue;
        }
        return line.starts_with(b"{") && json::looks_like_conn(line);
    }
    false
}

/// `#path` / `_path` values of conn logs: `conn` and its variants (`conn_long`, `conn_red`).
fn is_conn_path(p: &[u8]) -> bool {
    p == b"conn" || p.starts_with(b"conn_")
}

/// The outcome of a connection, from Zeek's `conn_state`:
///
/// * `Success`: the responder answered and the connection was established: `SF`, `S1`, `S2`,
///   `S3`, `RSTO`, `RSTR` (for UDP, `SF` = packets both ways);
/// * `Failure`: never established: `S0` (no reply at all; UDP/ICMP with no reply too), `REJ`
///   (refused), `RSTOS0`, `SH` (originator gave up without a SYN-ACK), `RSTRH`, `SHR` (only the
///   responder's side was seen);
/// * `OTH` (no SYN seen; always for ICMP): `Success` if the responder sent packets
///   (`resp_pkts` > 0, or `resp_bytes` > 0 without `resp_pkts`), `Failure` if `resp_pkts` is 0,
///   unset if neither is known;
/// * any other or unset state: unset.
pub fn outcome(conn_state: &str, resp_pkts: Option<u64>, resp_bytes: Option<u64>) -> Option<Outcome> {
    match conn_state {
        "SF" | "S1" | "S2" | "S3" | "RSTO" | "RSTR" => Some(Outcome::Success),
        "S0" | "REJ" | "RSTOS0" | "SH" | "RSTRH" | "SHR" => Some(Outcome::Failure),
        "OTH" => match (resp_pkts, resp_bytes) {
            (Some(0), _) => Some(Outcome::Failure),
            (Some(_), _) => Some(Outcome::Success),
            (None, Some(b)) if b > 0 => Some(Outcome::Success),
            _ => None,
        },
        _ => None,
    }
}

/// A new `connection` event with the parts both encodings share.
fn connection(ts: i64) -> Event {
    Event::new(ts, SourceFormat::ZeekConn, EventKind::Connection)
}

/// Sets the outcome once `conn_state` and `dst_bytes` are filled in.
fn finish(e: &mut Event, resp_pkts: Option<u64>) {
    e.outcome = e.conn_state.as_deref().and_then(|s| outcome(s, resp_pkts, e.dst_bytes));
}

/// An address slot's content.
enum Addr {
    Ip(IpAddr),
    /// A host name where an address was expected (Zeek never writes one; other tools might).
    Host(String),
}

/// An address (`%zone` suffix dropped, `::ffff:a.b.c.d` canonicalized), or a host name made of
/// letters, digits, `.`, `-`, `_` with at least one letter; anything else is `None`.
fn parse_addr(b: &[u8]) -> Option<Addr> {
    if b.is_empty() || b.len() > 253 {
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    let bare = s.split_once('%').map_or(s, |(a, _)| a);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(Addr::Ip(ipscope_event::canonical_ip(ip)));
    }
    let hostish = b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    (hostish && b.iter().any(u8::is_ascii_alphabetic)).then(|| Addr::Host(s.to_owned()))
}

/// Fills `src_ip` (or `src_host`) from the originator address.
fn set_orig(e: &mut Event, a: Addr) {
    match a {
        Addr::Ip(ip) => e.src_ip = Some(ip),
        Addr::Host(h) => e.src_host = Some(h),
    }
}

/// Fills `dst_ip` from the responder address (a host name leaves it unset: no `dst_host` field).
fn set_resp(e: &mut Event, a: Addr) {
    if let Addr::Ip(ip) = a {
        e.dst_ip = Some(ip);
    }
}

/// Epoch seconds `S[.F]` (digits only, at most 12 integer digits) → microseconds; fraction
/// digits beyond the sixth are dropped.
fn parse_epoch(b: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(dot) => (b.get(..dot)?, b.get(dot + 1..)?),
        None => (b, &b""[..]),
    };
    if int.is_empty() || int.len() > 12 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = int.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0'));
    let mut micros = 0i64;
    for i in 0..6 {
        micros = micros * 10 + frac.get(i).map_or(0, |&c| i64::from(c - b'0'));
    }
    (secs <= MAX_TS_SECS).then_some(secs * 1_000_000 + micros)
}

/// A textual `ts`: epoch seconds, or ISO 8601 (its offset if given, else the clock's zone).
fn parse_ts(clock: &mut Clock, b: &[u8]) -> Result<i64, &'static str> {
    if let Some(ts) = parse_epoch(b) {
        return Ok(ts);
    }
    match parse_datetime(b) {
        Some((p, used)) if used == b.len() => {
            let ts = clock.datetime_micros(p).map_err(|e| e.reason())?;
            if (0..=MAX_TS_SECS * 1_000_000 + 999_999).contains(&ts) { Ok(ts) } else { Err("bad timestamp") }
        }
        _ => Err("bad timestamp"),
    }
}

/// A numeric `ts` (JSON) → microseconds.
fn ts_from_f64(f: f64) -> Option<i64> {
    // The range check makes the cast exact enough (f64 has 2^-22 s resolution at 2^31 s).
    (f.is_finite() && (0.0..=MAX_TS_SECS as f64).contains(&f)).then(|| (f * 1_000_000.0).round() as i64)
}

/// A non-negative, finite number of seconds.
fn valid_duration(d: f64) -> Option<f64> {
    (d.is_finite() && d >= 0.0).then_some(d)
}

/// A rejection naming the field and its (truncated) value.
fn bad_field(reason: &'static str, name: &str, value: &[u8]) -> LineOutcome {
    let cut = value.get(..MAX_REJECT_DETAIL).unwrap_or(value);
    LineOutcome::Rejected(Reject::new(reason, format!("{name}={}", String::from_utf8_lossy(cut))))
}
