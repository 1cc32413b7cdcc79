//! One whole input (a file, a compressed file, stdin): read → parse (a worker thread) → store
//! (the calling thread). What `ipscope ingest` runs for each path.
//!
//! The reader/parser thread sends batches over a bounded channel; each batch is committed
//! together with the input's progress (bytes and lines consumed) in one transaction. A resumed
//! input (grown file, or a crash earlier) replays its already-committed prefix through the parser
//! without storing it, so stateful parsers (sshd's pid → address map) see the same history they
//! would have on a single run.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::{Arc, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use ipscope_enrich::{AddressBook, Enricher};
use ipscope_formats::{FormatKind, ParseOptions, Reject};
use ipscope_store::{Backend, HEAD_BYTES, InputProgress, StoreError};
use tracing::{debug, info};

use crate::batcher::{Batch, Batcher, Pushed};
use crate::identity::{self, FileView};
use crate::source::{self, InputSpec, LineReader};
use crate::{IngestError, Result, detect};

/// Batches in flight between parser and store (bounds memory). One is enough to keep both
/// threads busy: against two (session 11, `farm-bench`, paired), 10 M sshd lines 0.99× the
/// time at a peak of 334 instead of 356 MiB, IntelMQ 2 M lines 1.01× at 374 instead of 411.
const CHANNEL_DEPTH: usize = 1;
/// How often an input is started over when another writer (the daemon) stores part of it
/// meanwhile; after that it is left to the other writer.
const CONFLICT_RETRIES: usize = 3;

/// Settings for one `ingest` run.
pub struct Options {
    pub format: Option<FormatKind>,
    pub parse: ParseOptions,
    pub batch_events: usize,
    /// Enrich new source addresses (GeoIP / ASN / home network) as they are stored.
    pub enrich: Option<Arc<Enricher>>,
}

/// Where progress of a long input is shown (a progress bar on a terminal).
pub trait Progress: Sync {
    /// A new input starts; `total` is its size in bytes when known.
    fn start(&self, name: &str, total: Option<u64>);
    /// Bytes of the input read so far.
    fn set(&self, position: u64);
    fn finish(&self);
}

/// No progress shown.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn set(&self, _: u64) {}
    fn finish(&self) {}
}

/// Receives rejected lines: `(input name, line number, reason, line)`.
pub type RejectSink<'a> = dyn FnMut(&str, u64, &Reject, &[u8]) -> std::io::Result<()> + Send + 'a;

/// What happened to one input.
#[derive(Debug, Default)]
pub struct Summary {
    pub name: String,
    pub format: String,
    /// `new`, `resumed` (grown or interrupted before), `unchanged`, or `skipped` (another
    /// writer, the daemon, is storing it).
    pub status: &'static str,
    /// Lines read this run (not counting the replayed prefix).
    pub lines: u64,
    pub events: u64,
    /// Source addresses seen for the first time and enriched.
    pub addresses: u64,
    pub ignored: BTreeMap<&'static str, u64>,
    pub rejected: BTreeMap<&'static str, u64>,
    /// Lines stored although they were not valid UTF-8 (each bad sequence became U+FFFD).
    pub invalid_utf8: u64,
}

impl Summary {
    pub fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

fn micros(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Ingests one input into `store`. Rejected lines go to `rejects` when given. `book` holds the
/// addresses already enriched (shared by the inputs of one run). If another writer stores part
/// of the same input meanwhile, the input is started over from what is stored, a few times, and
/// then left to it (`skipped`).
pub fn ingest(
    store: &mut dyn Backend,
    spec: &InputSpec,
    opts: &Options,
    mut rejects: Option<&mut RejectSink<'_>>,
    book: &mut AddressBook,
    progress: &dyn Progress,
) -> Result<Summary> {
    let mut attempt = 0;
    loop {
        match ingest_once(store, spec, opts, rejects.as_deref_mut(), book, progress) {
            Err(IngestError::Store { source: StoreError::Conflict { .. }, name })
                if attempt < CONFLICT_RETRIES && *spec != InputSpec::Stdin =>
            {
                attempt += 1;
                debug!(input = %name, attempt, "another writer stored part of this input; starting over");
                if opts.enrich.is_some() {
                    *book = AddressBook::new(
                        store
                            .enriched_addresses()
                            .map_err(|source| IngestError::Store { name: name.clone(), source })?,
                    );
                }
            }
            Err(IngestError::Store { source: StoreError::Conflict { .. }, name }) if *spec != InputSpec::Stdin => {
                return Ok(Summary { name, status: "skipped", ..Summary::default() });
            }
            other => return other,
        }
    }
}

fn ingest_once(
    store: &mut dyn Backend,
    spec: &InputSpec,
    opts: &Options,
    rejects: Option<&mut RejectSink<'_>>,
    book: &mut AddressBook,
    progress: &dyn Progress,
) -> Result<Summary> {
    let name = spec.name();
    let store_err = |source| IngestError::Store { name: name.clone(), source };
    let opened = source::open(spec)?;
    let reference = micros(opened.mtime.unwrap_or_else(SystemTime::now));

    // The head identifies the stream; keep it, then read on from where it ends.
    let mut reader = opened.reader;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut reader)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|source| IngestError::Read { name: name.clone(), source })?;
    let candidates = store.find_inputs(&head).map_err(store_err)?;
    let view = match (spec, opened.compressed) {
        (InputSpec::File(path), false) => Some(FileView { path, id: opened.file, size: opened.size.unwrap_or(0) }),
        _ => None,
    };
    let known = identity::choose(candidates, &name, view.as_ref());

    let (format, mut input, status) = match &known {
        Some(rec) => {
            let format = rec
                .format
                .parse::<FormatKind>()
                .map_err(|reason| IngestError::Ledger { name: name.clone(), reason })?;
            (format, InputProgress::resume(rec, &name), "resumed")
        }
        None => {
            let format = match opts.format {
                Some(f) => f,
                None => detect(&head, opts.parse.delimiter).ok_or_else(|| IngestError::Detect {
                    name: name.clone(),
                    known: FormatKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                })?,
            };
            let p = InputProgress {
                id: store.new_input_id().map_err(store_err)?,
                path: name.clone(),
                format: format.as_str().to_owned(),
                ..InputProgress::default()
            };
            (format, p, "new")
        }
    };
    input.file = if opened.compressed { None } else { opened.file };
    let skip = input.bytes;
    if known.is_some() && !opened.compressed && opened.size == Some(skip) {
        // A plain file that has not grown: nothing to read.
        return Ok(Summary {
            name: name.clone(),
            format: format.as_str().to_owned(),
            status: "unchanged",
            ..Summary::default()
        });
    }
    let mut summary = Summary { name: name.clone(), format: format.as_str().to_owned(), status, ..Summary::default() };
    debug!(input = %name, %format, skip, "ingest start");

    progress.start(&name, if opened.compressed { None } else { opened.size });
    let stream = Cursor::new(head.clone()).chain(reader);
    let mut parse = opts.parse.clone();
    let plain_size = if opened.compressed { None } else { opened.size };
    if let Some(y) = year_anchor(spec, plain_size, known.as_ref(), format, &parse, reference, &head) {
        parse.clock.year = ipscope_formats::YearRule::Anchored(y);
        input.year_anchor = Some(y);
    }
    let parser = ipscope_formats::new_parser(format, &parse, reference);
    let mut batcher = Batcher::new(parser, input.id, opts.batch_events, skip);
    let (tx, rx) = mpsc::sync_channel::<Batch>(CHANNEL_DEPTH);

    std::thread::scope(|scope| -> Result<()> {
        let name = &name;
        let worker = scope.spawn(move || -> Result<()> {
            let mut rejects = rejects;
            let mut lines = LineReader::new(stream);
            let mut buf = Vec::new();
            let mut last_shown = 0u64;
            let enrich = opts.enrich.as_deref();
            while let Some(line) =
                lines.next_line(&mut buf).map_err(|source| IngestError::Read { name: name.clone(), source })?
            {
                if line.end <= skip {
                    batcher.replay(&buf);
                    continue;
                }
                if let Pushed::Rejected(r, line_no) = batcher.push(&buf, line.end, line.terminated, line.truncated)
                    && let Some(w) = rejects.as_mut()
                {
                    w(name, line_no, &r, &buf).map_err(IngestError::Rejects)?;
                }
                if line.end - last_shown >= 1 << 20 {
                    progress.set(line.end);
                    last_shown = line.end;
                }
                if batcher.is_full() {
                    let batch = batcher.take(name, enrich.map(|e| (e, &mut *book)))?;
                    if tx.send(batch).is_err() {
                        return Ok(()); // the store side failed; it reports why
                    }
                }
            }
            if batcher.has_pending() {
                let batch = batcher.take(name, enrich.map(|e| (e, &mut *book)))?;
                let _ = tx.send(batch);
            }
            Ok(())
        });

        let mut store_result = Ok(());
        for batch in rx.iter() {
            if store_result.is_err() {
                continue; // drain so the worker can finish
            }
            batch.advance(&mut input, &head);
            let n = batch.events.len() as u64;
            let new_addresses = batch.events.addresses() as u64;
            store_result = store.commit_batch(&mut input, batch.events).map_err(store_err);
            if store_result.is_ok() {
                summary.lines += batch.lines;
                summary.events += n;
                summary.addresses += new_addresses;
                summary.invalid_utf8 += batch.invalid_utf8;
                for (k, v) in batch.ignored_by {
                    *summary.ignored.entry(k).or_default() += v;
                }
                for (k, v) in batch.rejected_by {
                    *summary.rejected.entry(k).or_default() += v;
                }
                debug!(input = %name, bytes = input.bytes, lines = input.lines, events = n, "batch committed");
            }
        }
        let worker_result = worker.join().map_err(|_| IngestError::Panicked { name: name.clone() })?;
        store_result.and(worker_result)
    })?;

    progress.finish();
    if summary.status == "resumed" && summary.lines == 0 {
        summary.status = "unchanged";
    }
    info!(input = %name, status = summary.status, lines = summary.lines, events = summary.events, "ingest done");
    Ok(summary)
}

/// Bytes read from the end of a plain file to decide the year of its year-less lines.
const TAIL_BYTES: u64 = 64 * 1024;

/// The year of the input's first year-less line (`ipscope_formats::year`, issue 15): the one
/// recorded when it was first ingested, else from its last lines (a plain file: the last line at
/// or before its modification time; `plain_size`: its size, `None` when compressed or not a
/// file), else from its first line (compressed input, stdin). `None` with `--year` (which always
/// wins), for formats whose timestamps have years, and for a resumed input that has no recorded
/// anchor (it keeps the rule it was first read with).
fn year_anchor(
    spec: &InputSpec,
    plain_size: Option<u64>,
    known: Option<&ipscope_store::InputRecord>,
    format: FormatKind,
    parse: &ParseOptions,
    reference: i64,
    head: &[u8],
) -> Option<i32> {
    use ipscope_formats::year;
    if parse.clock.year != ipscope_formats::YearRule::Reference {
        return None;
    }
    if let Some(rec) = known {
        return rec.year_anchor;
    }
    let head_lines = year::window_lines(head, false);
    let tail = match (spec, plain_size) {
        (InputSpec::File(path), Some(size)) => read_tail(path, size).ok(),
        _ => None,
    };
    match tail {
        Some(t) => year::tail_anchor(format, &parse.clock, reference, &head_lines, &year::window_lines(&t, true)),
        None => year::head_anchor(format, &parse.clock, reference, &head_lines),
    }
}

/// The last [`TAIL_BYTES`] of a plain file (all of it when smaller).
fn read_tail(path: &std::path::Path, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(size.saturating_sub(TAIL_BYTES)))?;
    let mut tail = Vec::with_capacity(TAIL_BYTES as usize);
    f.take(TAIL_BYTES).read_to_end(&mut tail)?;
    // A file that fits whole: its first line is complete (the window starts at the file's start).
    if size <= TAIL_BYTES {
        tail.insert(0, b'\n');
    }
    Ok(tail)
}
