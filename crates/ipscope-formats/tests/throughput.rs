//! Rough parse throughput. Prints numbers, asserts nothing about time (never gate on wall time):
//!
//! ```text
//! cargo test --release -p ipscope-formats --test throughput -- --ignored --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::time::Instant;

use common::{FILES, lines, read, sshd_parser};
use ipscope_formats::iptracking::IptrackingParser;
use ipscope_formats::{Clock, ClockConfig, Event, LineOutcome, Parser, YearRule, Zone};

/// Parse `text` (split on `\n` as a reader would) `rounds` times with fresh parsers.
fn run(name: &str, text: &[u8], rounds: usize, mut make: impl FnMut() -> Box<dyn Parser>) {
    let mut best = f64::MAX;
    let mut n_lines = 0;
    let mut n_events = 0;
    for _ in 0..rounds {
        let mut p = make();
        let mut out: Vec<Event> = Vec::with_capacity(1024);
        let t = Instant::now();
        n_lines = 0;
        n_events = 0;
        for line in text.split(|&c| c == b'\n') {
            n_lines += 1;
            if let LineOutcome::Events(n) = p.parse_line(line, &mut out) {
                n_events += n;
            }
            // A consumer drains the events; keep the vector from growing without bound.
            if out.len() >= 1024 {
                out.clear();
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = text.len() as f64 / 1e6;
    eprintln!(
        "{name:<34} {n_lines:>8} lines {n_events:>7} events  {:>6.2} M lines/s  {:>6.2} M events/s  {:>6.0} MB/s",
        n_lines as f64 / best / 1e6,
        n_events as f64 / best / 1e6,
        mb / best
    );
}

fn repeat(parts: &[Vec<u8>], times: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..times {
        for p in parts {
            for l in lines(p) {
                v.extend_from_slice(l);
                v.push(b'\n');
            }
        }
    }
    v
}

#[test]
#[ignore]
fn throughput() {
    let sshd = || -> Box<dyn Parser> { Box::new(sshd_parser()) };
    let berlin = || -> Box<dyn Parser> {
        let cfg = ClockConfig { zone: Zone::Named(chrono_tz::Europe::Berlin), year: YearRule::Fixed(2024) };
        Box::new(ipscope_formats::sshd::SshdParser::new(Clock::new(cfg, 0)))
    };
    let openssh = repeat(&[read("loghub/OpenSSH_2k.log")], 50);
    run("OpenSSH_2k x50 (UTC)", &openssh, 5, sshd);
    run("OpenSSH_2k x50 (Europe/Berlin)", &openssh, 5, berlin);
    let all: Vec<Vec<u8>> = FILES.iter().map(|f| read(f)).collect();
    let corpus = repeat(&all, 10);
    run("whole openssh corpus x10 (UTC)", &corpus, 5, sshd);
    let failed: Vec<u8> = (0..100_000)
        .flat_map(|i| {
            format!(
                "Dec 10 06:55:{:02} LabSZ sshd[{}]: Failed password for invalid user admin from 173.234.{}.{} port {} ssh2\n",
                i % 60,
                20_000 + i % 5000,
                i % 256,
                i / 256 % 256,
                1024 + i % 60_000
            )
            .into_bytes()
        })
        .collect();
    run("Failed password only (UTC)", &failed, 5, sshd);
    let ipt: Vec<u8> = (0..100_000)
        .flat_map(|i| {
            format!(
                "10.0.0.1|192.0.{}.{}|{}|{}|{}|user{}|2024-01-15 13:{:02}:{:02}.123456\n",
                i % 256,
                i / 256 % 256,
                1024 + i % 60_000,
                ["auth", "open_session", "close_session"][i % 3],
                20_000 + i % 5000,
                i % 100,
                i / 60 % 60,
                i % 60
            )
            .into_bytes()
        })
        .collect();
    let iptracking = || -> Box<dyn Parser> {
        let cfg = ClockConfig { zone: Zone::Named(chrono_tz::Europe::Berlin), year: YearRule::Reference };
        Box::new(IptrackingParser::new(Clock::new(cfg, 0), b'|'))
    };
    run("iptracking (Europe/Berlin)", &ipt, 5, iptracking);
}
