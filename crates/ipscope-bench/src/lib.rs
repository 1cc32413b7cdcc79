//! Inputs for the stage benchmarks (`benches/stages.rs`): generated events, parsed by the real
//! parsers, and the databases to enrich with.
//!
//! ```text
//! cargo bench --workspace --bench stages                      # MaxMind test databases, 1 M lines
//! IPSCOPE_BENCH_GEOIP=/var/tmp/ipscope-bench/mmdb IPSCOPE_BENCH_LINES=10000000 cargo bench --workspace --bench stages
//! ```

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipscope_enrich::{AddressBook, Databases, Enricher, HomeNets};
use ipscope_event::Event;
use ipscope_formats::{ClockConfig, FormatKind, LineOutcome, ParseOptions, YearRule, Zone, new_parser};
use ipscope_gen::{GenConfig, GenFormat};
use ipscope_ingest::batcher::{Batch, Batcher};
use ipscope_ingest::source::LineReader;

/// Generates `lines` lines of `format` (seed 42) and parses them into events.
pub fn events(format: GenFormat, lines: u64) -> Vec<Event> {
    let mut text = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ipscope_gen::write(format, &GenConfig { seed: 42, lines, ..GenConfig::default() }, &mut text);
    let opts = ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2026) }, delimiter: b'|' };
    let kind = FormatKind::from_str(format.parser_name()).unwrap_or(FormatKind::Sshd);
    let mut p = new_parser(kind, &opts, 0);
    let mut out = Vec::new();
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let _: LineOutcome = p.parse_line(line, &mut out);
    }
    out
}

/// `IPSCOPE_BENCH_GEOIP` (comma-separated files or directories), else MaxMind's test databases
/// from the shared corpus.
pub fn geoip_paths() -> Vec<PathBuf> {
    match std::env::var("IPSCOPE_BENCH_GEOIP") {
        Ok(v) if !v.is_empty() => v.split(',').map(PathBuf::from).collect(),
        _ => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/mmdb/test-data");
            vec![dir.join("GeoIP2-City-Test.mmdb"), dir.join("GeoLite2-ASN-Test.mmdb")]
        }
    }
}

/// `IPSCOPE_BENCH_LINES`, else `default`.
pub fn lines(default: u64) -> u64 {
    std::env::var("IPSCOPE_BENCH_LINES").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// This process's user + system CPU seconds (Linux `/proc/self/stat`; 0 elsewhere).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, the 12th and 13th after the name; a
    // clock tick is 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// What `ipscope ingest`'s parser thread does to a file: lines read, parsed, enriched (with the
/// databases of [`geoip_paths`]) and built into the batches the store commits — for the
/// examples that time one thread of the ingest alone (`parser_thread`, `store_thread`).
pub struct ParserThread {
    path: String,
    batcher: Batcher,
    enricher: Enricher,
    book: AddressBook,
    lines: LineReader<BufReader<File>>,
    buf: Vec<u8>,
    /// Lines read so far.
    pub lines_read: u64,
}

impl ParserThread {
    /// Opens `path` as `format` (a format name), the databases, and a batcher of `ipscope
    /// ingest`'s batch size (122 880 events).
    pub fn open(format: &str, path: &str) -> Result<ParserThread, Box<dyn std::error::Error>> {
        let kind = FormatKind::from_str(format).map_err(|e| e.to_string())?;
        let opts =
            ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2026) }, delimiter: b'|' };
        Ok(ParserThread {
            path: path.to_owned(),
            batcher: Batcher::new(new_parser(kind, &opts, 0), 1, 122_880, 0),
            enricher: Enricher::new(Databases::open_explicit(&geoip_paths())?, HomeNets::default()),
            book: AddressBook::new([]),
            lines: LineReader::new(BufReader::with_capacity(1 << 20, File::open(path)?)),
            buf: Vec::new(),
            lines_read: 0,
        })
    }

    /// The next batch, as full as `ipscope ingest` would send it; `None` after the last.
    pub fn next_batch(&mut self) -> Result<Option<Batch>, Box<dyn std::error::Error>> {
        while let Some(line) = self.lines.next_line(&mut self.buf)? {
            self.batcher.push(&self.buf, line.end, line.terminated, line.truncated);
            self.lines_read += 1;
            if self.batcher.is_full() {
                return Ok(Some(self.batcher.take(&self.path, Some((&self.enricher, &mut self.book)))?));
            }
        }
        if !self.batcher.has_pending() {
            return Ok(None);
        }
        Ok(Some(self.batcher.take(&self.path, Some((&self.enricher, &mut self.book)))?))
    }
}
