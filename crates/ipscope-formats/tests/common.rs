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
