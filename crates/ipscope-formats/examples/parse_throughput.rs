//! Parse throughput of every format over its corpus files (repeated to a few hundred thousand
//! lines). Prints numbers only; nothing here is a test and nothing gates on time:
//!
//! ```text
//! cargo run --release --example parse_throughput
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use ipscope_formats::{ClockConfig, Event, FormatKind, LineOutcome, ParseOptions, YearRule, Zone, new_parser};

/// Which files of a corpus folder belong to the format (by file name).
type KeepFile = fn(&str) -> bool;

/// Lines each measurement parses at least.
const TARGET_LINES: usize = 300_000;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { files(&p, out) } else { out.push(p) }
    }
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let opts = ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2019) }, delimiter: b'|' };
    let sets: [(FormatKind, &str, KeepFile); 6] = [
        (FormatKind::Sshd, "openssh", |n| !n.ends_with(".csv")),
        (FormatKind::Cowrie, "cowrie", |_| true),
        (FormatKind::ZeekConn, "zeek", |n| n.starts_with("conn") && !n.contains("btest")),
        (FormatKind::Asa, "asa", |_| true),
        (FormatKind::Intelmq, "intelmq/events", |_| true),
        (FormatKind::Shadowserver, "intelmq/shadowserver", |_| true),
    ];
    println!("{:<14} {:>9} {:>9} {:>12} {:>12} {:>8}", "format", "lines", "events", "lines/s", "events/s", "MB/s");
    for (kind, dir, keep) in sets {
        let mut all = Vec::new();
        files(&corpus.join(dir), &mut all);
        let mut text: Vec<&[u8]> = Vec::new();
        let contents: Vec<Vec<u8>> = all
            .iter()
            .filter(|p| keep(&p.file_name().unwrap().to_string_lossy()))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        while text.len() < TARGET_LINES {
            for c in &contents {
                text.extend(c.split(|b| *b == b'\n'));
            }
        }
        let bytes: usize = text.iter().map(|l| l.len() + 1).sum();
        let mut best = f64::MAX;
        let mut events = 0;
        for _ in 0..3 {
            let mut p = new_parser(kind, &opts, 0);
            let mut out: Vec<Event> = Vec::with_capacity(1024);
            events = 0;
            let t = Instant::now();
            for line in &text {
                if let LineOutcome::Events(n) = p.parse_line(line, &mut out) {
                    events += n;
                }
                if out.len() >= 1024 {
                    out.clear();
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{:<14} {:>9} {:>9} {:>12.0} {:>12.0} {:>8.0}",
            kind.as_str(),
            text.len(),
            events,
            text.len() as f64 / best,
            events as f64 / best,
            bytes as f64 / 1e6 / best
        );
    }
}
