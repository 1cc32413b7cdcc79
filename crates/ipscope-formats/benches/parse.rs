//! Parse micro-benchmarks: each format's parser over 100 k lines generated in memory by
//! `ipscope-gen` (fixed seed, so every run parses the same bytes). Two groups measure the same
//! loop: `parse_bytes` reports MB/s, `parse_lines` lines/s. Numbers only; nothing gates on them.
//!
//! ```text
//! cargo bench -p ipscope-formats --bench parse
//! ```
//!
//! `examples/parse_throughput.rs` measures the same parsers over the real corpus files instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use ipscope_formats::{ClockConfig, Event, FormatKind, LineOutcome, ParseOptions, YearRule, Zone, new_parser};
use ipscope_gen::{GenConfig, GenFormat};

/// Lines per input: big enough to exercise the parsers' per-stream state (Cowrie sessions, ASA
/// connections), small enough for a quick run.
const LINES: u64 = 100_000;

struct Input {
    format: GenFormat,
    kind: FormatKind,
    text: Vec<u8>,
    lines: Vec<(usize, usize)>,
}

fn inputs() -> Vec<Input> {
    GenFormat::ALL
        .into_iter()
        .map(|format| {
            let mut text = Vec::new();
            ipscope_gen::write(format, &GenConfig { seed: 42, lines: LINES, ..GenConfig::default() }, &mut text)
                .unwrap();
            let mut lines = Vec::with_capacity(LINES as usize);
            let mut start = 0;
            for (i, &b) in text.iter().enumerate() {
                if b == b'\n' {
                    lines.push((start, i));
                    start = i + 1;
                }
            }
            let kind = FormatKind::from_str(format.parser_name()).unwrap();
            Input { format, kind, text, lines }
        })
        .collect()
}

/// Parses every line with a fresh parser; returns the number of events.
fn parse_all(input: &Input, opts: &ParseOptions) -> usize {
    let mut p = new_parser(input.kind, opts, 0);
    let mut out: Vec<Event> = Vec::with_capacity(1024);
    let mut events = 0;
    for &(a, b) in &input.lines {
        if let LineOutcome::Events(n) = p.parse_line(&input.text[a..b], &mut out) {
            events += n;
        }
        if out.len() >= 1024 {
            out.clear();
        }
    }
    events
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    g
}

fn bench(c: &mut Criterion) {
    let opts = ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2026) }, delimiter: b'|' };
    let inputs = inputs();
    for (name, bytes) in [("parse_bytes", true), ("parse_lines", false)] {
        let mut g = group(c, name);
        for input in &inputs {
            g.throughput(if bytes {
                Throughput::Bytes(input.text.len() as u64)
            } else {
                Throughput::Elements(input.lines.len() as u64)
            });
            g.bench_function(input.format.as_str(), |b| b.iter(|| black_box(parse_all(black_box(input), &opts))));
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
