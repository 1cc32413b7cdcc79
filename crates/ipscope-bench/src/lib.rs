//! Inputs for the stage benchmarks (`benches/stages.rs`): generated events, parsed by the real
//! parsers, and the databases to enrich with.
//!
//! ```text
//! cargo bench --workspace --bench stages                      # MaxMind test databases, 1 M lines
//! IPSCOPE_BENCH_GEOIP=/var/tmp/ipscope-bench/mmdb IPSCOPE_BENCH_LINES=10000000 cargo bench --workspace --bench stages
//! ```

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipscope_event::Event;
use ipscope_formats::{ClockConfig, FormatKind, LineOutcome, ParseOptions, YearRule, Zone, new_parser};
use ipscope_gen::{GenConfig, GenFormat};

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
