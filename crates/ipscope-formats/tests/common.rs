//! Helpers shared by the integration tests: corpus files, line splitting, parser set-up.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ipscope_formats::sshd::SshdParser;
use ipscope_formats::{Clock, ClockConfig, Event, LineOutcome, Parser, YearRule, Zone};

/// The shared corpus lives beside the repository.
pub const OPENSSH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/openssh/");

/// Every OpenSSH corpus file, relative to [`OPENSSH`].
pub const FILES: [&str; 5] =
    ["loghub/OpenSSH_2k.log", "loghub/Linux_2k.log", "fail2ban/sshd", "fail2ban/pam-generic", "beats/test.log"];

/// The year the corpus tests pin RFC 3164 timestamps to.
pub const YEAR: i32 = 2005;

pub fn read(rel: &str) -> Vec<u8> {
    let path = format!("{OPENSSH}{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Lines as a reader would hand them over: split on `\n`, the terminator removed (a `\r` stays),
/// a final unterminated line kept, no phantom empty line after a final `\n`.
pub fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = bytes.split(|&c| c == b'\n').collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

pub fn sshd_parser() -> SshdParser {
    SshdParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(YEAR) }, 0))
}

/// One parsed line: 1-based number, outcome, events.
pub struct Parsed {
    pub line_no: usize,
    pub outcome: LineOutcome,
    pub events: Vec<Event>,
}

pub fn parse_all(p: &mut dyn Parser, bytes: &[u8]) -> Vec<Parsed> {
    lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let mut events = Vec::new();
            let outcome = p.parse_line(l, &mut events);
            Parsed { line_no: i + 1, outcome, events }
        })
        .collect()
}

/// An event as a sorted map of its set fields, for snapshots: one rendering for every format
/// (unset fields are left out, so each format's snapshot shows only what it fills).
pub fn render_event(e: &Event) -> std::collections::BTreeMap<&'static str, String> {
    let mut m = std::collections::BTreeMap::new();
    let ts = chrono::DateTime::from_timestamp_micros(e.ts).unwrap();
    m.insert("ts", ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    m.insert("kind", e.kind.to_string());
    let mut opt = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k, v);
        }
    };
    opt("outcome", e.outcome.map(|o| o.to_string()));
    opt("sensor", e.sensor.clone());
    opt("session", e.session.clone());
    opt("src_ip", e.src_ip.map(|a| a.to_string()));
    opt("src_host", e.src_host.clone());
    opt("src_port", e.src_port.map(|p| p.to_string()));
    opt("dst_ip", e.dst_ip.map(|a| a.to_string()));
    opt("dst_port", e.dst_port.map(|p| p.to_string()));
    opt("proto", e.proto.clone());
    opt("service", e.service.clone());
    opt("user", e.user.clone());
    opt("password", e.password.clone());
    opt("duration", e.duration.map(|d| d.to_string()));
    opt("src_bytes", e.src_bytes.map(|b| b.to_string()));
    opt("dst_bytes", e.dst_bytes.map(|b| b.to_string()));
    opt("conn_state", e.conn_state.clone());
    opt("detail", e.detail.clone());
    opt("file_hash", e.file_hash.clone());
    m
}
