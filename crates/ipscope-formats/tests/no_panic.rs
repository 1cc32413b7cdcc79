//! Parsers never panic: arbitrary bytes, and corpus lines with random damage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use common::{FILES, lines, read};
use ipscope_formats::iptracking::IptrackingParser;
use ipscope_formats::sshd::SshdParser;
use ipscope_formats::{Clock, ClockConfig, Event, LineOutcome, Parser, YearRule, Zone};
use proptest::prelude::*;

fn corpus_lines() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut v: Vec<Vec<u8>> =
            FILES.iter().flat_map(|f| lines(&read(f)).into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>()).collect();
        v.push(b"10.0.0.1|192.0.2.7|51234|auth|4242|alice|2024-01-15 13:45:12.123456".to_vec());
        v.push(b"dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date".to_vec());
        v
    })
}

fn parsers() -> Vec<Box<dyn Parser>> {
    let berlin = ClockConfig { zone: Zone::Named(chrono_tz::Europe::Berlin), year: YearRule::Reference };
    let fixed = ClockConfig { zone: "+05:30".parse().unwrap(), year: YearRule::Fixed(2024) };
    let local = ClockConfig::default();
    vec![
        Box::new(SshdParser::new(Clock::new(berlin.clone(), 1_700_000_000_000_000))),
        Box::new(SshdParser::new(Clock::new(fixed.clone(), 0))),
        Box::new(SshdParser::new(Clock::new(local.clone(), i64::MIN))),
        Box::new(IptrackingParser::new(Clock::new(berlin, i64::MAX), b'|')),
        Box::new(IptrackingParser::new(Clock::new(local, 0), b' ')),
    ]
}

fn check(p: &mut dyn Parser, line: &[u8]) {
    let mut out: Vec<Event> = Vec::new();
    match p.parse_line(line, &mut out) {
        LineOutcome::Events(n) => assert_eq!(n, out.len()),
        LineOutcome::Ignored(_) | LineOutcome::Rejected(_) => assert!(out.is_empty()),
    }
}

/// A damage: replace, insert or delete a byte at a position (taken modulo the line length).
#[derive(Debug, Clone)]
enum Damage {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Replace(i, b)),
        (any::<usize>(), prop_oneof![any::<u8>(), Just(b' '), Just(b':'), Just(b'['), Just(b']')])
            .prop_map(|(i, b)| Damage::Insert(i, b)),
        any::<usize>().prop_map(Damage::Delete),
        any::<usize>().prop_map(Damage::Truncate),
    ]
}

fn apply(line: &mut Vec<u8>, d: &Damage) {
    let n = line.len();
    match *d {
        Damage::Replace(i, b) if n > 0 => line[i % n] = b,
        Damage::Insert(i, b) => line.insert(i % (n + 1), b),
        Damage::Delete(i) if n > 0 => {
            line.remove(i % n);
        }
        Damage::Truncate(i) => line.truncate(i % (n + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8)) {
        for mut p in parsers() {
            for l in &lines {
                check(p.as_mut(), l);
            }
        }
    }

    #[test]
    fn syslog_looking_noise(
        head in prop_oneof![Just("Dec 10 06:55:46 h sshd[1]: "), Just("<38>1 2019-07-08T17:40:16Z h sshd 1 - "), Just("2015-04-16T18:02:50+00:00 h sshd[2]: "), Just("Feb 29 00:00:00 h sshd(pam_unix)[3]: ")],
        words in prop::collection::vec(prop_oneof![
            Just("Failed"), Just("Accepted"), Just("password"), Just("for"), Just("invalid user"), Just("from"), Just("port"),
            Just("ssh2"), Just("::ffff:1.2.3.4"), Just("1.2.3.4"), Just("message repeated"), Just("times: ["), Just("]"),
            Just("pam_unix(sshd:session):"), Just("session opened for user"), Just("rhost="), Just("user="), Just("via"),
            Just("error: PAM: Authentication failure"), Just("refused connect from"), Just("Connection from"), Just("("), Just(")"),
            Just("99999999999999999999"), Just(""), Just("@"), Just(":"),
        ], 0..16),
    ) {
        let line = format!("{head}{}", words.join(" "));
        for mut p in parsers() {
            check(p.as_mut(), line.as_bytes());
        }
    }

    #[test]
    fn damaged_corpus_lines(picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(damage(), 1..6)), 1..10)) {
        let corpus = corpus_lines();
        for mut p in parsers() {
            for (idx, damages) in &picks {
                let mut line = corpus[idx.index(corpus.len())].clone();
                for d in damages {
                    apply(&mut line, d);
                }
                check(p.as_mut(), &line);
            }
        }
    }
}

#[test]
fn every_corpus_line_with_every_parser() {
    for mut p in parsers() {
        for l in corpus_lines() {
            check(p.as_mut(), l);
        }
    }
}
