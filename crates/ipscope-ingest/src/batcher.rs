//! Lines of one stream → batches ready to commit. Every source (a whole file, stdin, a followed
//! file, the journal, a syslog listener) feeds its lines through a [`Batcher`]; what comes out is
//! a [`Batch`]: the events converted for the store's appender, the addresses seen for the first
//! time with their enrichment, where in the stream the batch ends, and what was counted.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ipscope_enrich::{AddressBook, Enricher};
use ipscope_event::{Event, EventKind, SourceFormat};
use ipscope_formats::{LineOutcome, Parser, Reject};
use ipscope_store::{EventBatch, InputProgress, RecordBatch};

use crate::source::MAX_LINE_BYTES;
use crate::{IngestError, Result};

/// Default events per committed batch: one DuckDB row group (122 880 rows). A commit of whole
/// row groups is written straight to the file; a batch that ends inside one leaves a part for
/// the write-ahead log and the next checkpoint to rewrite. On 2 M sshd lines (2 cores): 256 k
/// events (2.13 row groups) 3.38 s, 64 k 4.73 s, 2 row groups 2.78 s, 3 row groups 3.03 s,
/// one row group 2.60 s (the pipeline's first and last batch, which nothing overlaps, are
/// shortest). A batch ends at a line's end, so it may pass the count by a line's events.
pub const DEFAULT_BATCH_EVENTS: usize = 122_880;

/// Events in one converted chunk (one `INSERT` on the store thread; it ends with the block that
/// reaches this). An `Event` is wide (~0.7 KiB with its empty fields), so the batcher holds only
/// [`ipscope_store::BLOCK_ROWS`] of them at a time: each block is converted into the chunk's
/// columns while it is still in the cache.
const CHUNK_EVENTS: usize = 16 * 1024;

/// Bytes of event lines held unconverted at most (their text is what a pending event holds),
/// and in one chunk.
const CHUNK_BYTES: usize = 4 << 20;

/// Bytes a batch holds at most (its converted chunks, plus the lines of its pending events): a
/// batch ends there even short of its events. A row group of ordinary lines weighs 10.6 (iptracking)
/// to 24.1 MiB (IntelMQ) converted, so it stays whole even with a share of long lines; commands
/// an attacker pasted into a honeypot do reach it. Before the bound, 75 000 Cowrie lines of 8 KB
/// commands made one 619 MB batch and a 939 MiB peak (now 372 MiB, at 1.75× the time: smaller
/// commits leave part-filled row groups that DuckDB compresses again at each checkpoint); a row
/// group of lines near the 64 KiB line limit would have held 7.8 GB.
const BATCH_BYTES: usize = 64 << 20;

/// How far the reference time of a live stream moves before the parser is told (re-deriving
/// the clock's year and zone offsets per line cost a third of the syslog listener's time).
const REFERENCE_STEP_MICROS: i64 = 1_000_000;

/// A batch ready for `Backend::commit_batch`, with what it moves the input's progress by.
pub struct Batch {
    pub events: EventBatch,
    /// Stream offset and line number after the last line in this batch.
    pub end_bytes: u64,
    pub end_lines: u64,
    /// The last line's length and hash (the input's mark, see the ledger), 0 if it was cut.
    pub mark_len: u64,
    pub mark_hash: u64,
    /// Where a journal resumes after this batch.
    pub cursor: Option<String>,
    /// Lines read (new, not replayed), ignored and rejected in this batch.
    pub lines: u64,
    pub ignored: u64,
    pub rejected: u64,
    /// The same by category / reason, and events by (format, kind), for summaries and metrics.
    pub ignored_by: BTreeMap<&'static str, u64>,
    pub rejected_by: BTreeMap<&'static str, u64>,
    pub kinds: BTreeMap<(SourceFormat, EventKind), u64>,
    /// Lines that gave events although they were not valid UTF-8: their text is stored with
    /// U+FFFD in place of each bad sequence.
    pub invalid_utf8: u64,
    /// Source addresses looked up and stored with this batch.
    pub new_addresses: Vec<std::net::IpAddr>,
    /// When the oldest line of the batch was read (follow lag).
    pub first_read: Option<Instant>,
}

impl Batch {
    /// Moves `p` past this batch (before committing it with the batch).
    pub fn advance(&self, p: &mut InputProgress, head: &[u8]) {
        p.bytes = self.end_bytes;
        p.lines = self.end_lines.max(p.lines);
        p.events += self.events.len() as u64;
        p.ignored += self.ignored;
        p.rejected += self.rejected;
        if self.mark_len > 0 || self.lines > 0 {
            p.mark_len = self.mark_len;
            p.mark_hash = self.mark_hash;
        }
        if self.cursor.is_some() {
            p.cursor.clone_from(&self.cursor);
        }
        p.set_head(head);
    }
}

/// What happened to one new line.
pub enum Pushed {
    Events,
    Ignored,
    /// With the line number, for the rejects file.
    Rejected(Reject, u64),
}

/// The line → batch state of one stream.
pub struct Batcher {
    parser: Box<dyn Parser>,
    input_id: i32,
    batch_events: usize,
    /// Events not converted yet; `last_start` is where the last pushed line's begin.
    events: Vec<Event>,
    last_start: usize,
    /// The chunk being converted, and the length of its events' lines.
    chunk: ipscope_store::ChunkBuilder,
    chunk_line_bytes: usize,
    /// Events converted so far for the next batch, their source addresses and kinds.
    chunks: Vec<RecordBatch>,
    chunk_rows: usize,
    /// Memory of the converted chunks, and the length of the pending events' lines.
    chunk_bytes: usize,
    pending_bytes: usize,
    chunk_ips: Vec<std::net::IpAddr>,
    /// The rollup rows of the converted events.
    rollup: ipscope_store::Rollup,
    kinds: BTreeMap<(SourceFormat, EventKind), u64>,
    /// A conversion that failed (a bug: the columns are fixed), reported by the next `take`.
    chunk_error: Option<ipscope_store::StoreError>,
    line_no: u64,
    end_bytes: u64,
    /// The last new line with its terminator, for the mark (empty if it was cut).
    last_line: Vec<u8>,
    cursor: Option<String>,
    lines: u64,
    ignored: u64,
    rejected: u64,
    ignored_by: BTreeMap<&'static str, u64>,
    rejected_by: BTreeMap<&'static str, u64>,
    invalid_utf8: u64,
    first_read: Option<Instant>,
    /// The reference time last given to the parser.
    reference: i64,
}

impl Batcher {
    /// `start_bytes` / `start_lines`: where the stream's new part begins (a resumed input's
    /// committed position; lines before it are replayed with [`Batcher::replay`]).
    pub fn new(parser: Box<dyn Parser>, input_id: i32, batch_events: usize, start_bytes: u64) -> Self {
        Batcher {
            parser,
            input_id,
            batch_events: batch_events.max(1),
            events: Vec::with_capacity(batch_events.clamp(1, ipscope_store::BLOCK_ROWS)),
            last_start: 0,
            chunk: ipscope_store::ChunkBuilder::default(),
            chunk_line_bytes: 0,
            chunks: Vec::new(),
            chunk_rows: 0,
            chunk_bytes: 0,
            pending_bytes: 0,
            chunk_ips: Vec::new(),
            rollup: ipscope_store::Rollup::default(),
            kinds: BTreeMap::new(),
            chunk_error: None,
            line_no: 0,
            end_bytes: start_bytes,
            last_line: Vec::new(),
            cursor: None,
            lines: 0,
            ignored: 0,
            rejected: 0,
            ignored_by: BTreeMap::new(),
            rejected_by: BTreeMap::new(),
            invalid_utf8: 0,
            first_read: None,
            reference: i64::MIN / 2,
        }
    }

    /// Sets the id stamped on the events of the next batches (a new input gets its id at its
    /// first commit).
    pub fn set_input_id(&mut self, id: i32) {
        self.input_id = id;
    }

    pub fn format(&self) -> SourceFormat {
        self.parser.format()
    }

    /// Lines seen so far (replayed and new): the number of the last line.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Moves the parser's reference time to now (live sources call it as time passes, so
    /// year-less timestamps get the current year). Cheap to call per line: the parser is told
    /// at most once a second.
    pub fn set_reference(&mut self, reference_micros: i64) {
        if (reference_micros - self.reference).abs() >= REFERENCE_STEP_MICROS {
            self.reference = reference_micros;
            self.parser.set_reference(reference_micros);
        }
    }

    /// Feeds an already-committed line through the parser for its state only.
    pub fn replay(&mut self, line: &[u8]) {
        self.line_no += 1;
        self.parser.parse_line(line, &mut self.events);
        self.events.clear();
    }

    /// Parses one new line (without its `\n`) that ends at stream offset `end`. `terminated`
    /// says whether a `\n` followed it; `truncated` that it was longer than
    /// [`MAX_LINE_BYTES`] and got cut (it is rejected).
    pub fn push(&mut self, line: &[u8], end: u64, terminated: bool, truncated: bool) -> Pushed {
        // A chunk ends at CHUNK_BYTES of lines even between two blocks.
        if self.events.len() >= ipscope_store::BLOCK_ROWS || self.chunk_line_bytes + self.pending_bytes >= CHUNK_BYTES {
            self.convert_pending();
        }
        self.last_start = self.events.len();
        self.line_no += 1;
        if self.first_read.is_none() {
            self.first_read = Some(Instant::now());
        }
        let outcome = if truncated {
            LineOutcome::Rejected(Reject::new("line too long", format!("cut at {MAX_LINE_BYTES} bytes")))
        } else {
            self.parser.parse_line(line, &mut self.events)
        };
        self.lines += 1;
        self.end_bytes = end;
        self.last_line.clear();
        if !truncated {
            self.last_line.extend_from_slice(line);
            if terminated {
                self.last_line.push(b'\n');
            }
        }
        match outcome {
            LineOutcome::Events(_) => {
                self.pending_bytes += line.len();
                if std::str::from_utf8(line).is_err() {
                    self.invalid_utf8 += 1;
                }
                Pushed::Events
            }
            LineOutcome::Ignored(why) => {
                self.ignored += 1;
                *self.ignored_by.entry(why).or_default() += 1;
                Pushed::Ignored
            }
            LineOutcome::Rejected(r) => {
                self.rejected += 1;
                *self.rejected_by.entry(r.reason).or_default() += 1;
                Pushed::Rejected(r, self.line_no)
            }
        }
    }

    /// Sets where a journal resumes after the last pushed line.
    pub fn set_cursor(&mut self, cursor: String) {
        self.cursor = Some(cursor);
    }

    /// The stream offset after the last line pushed.
    pub fn end_bytes(&self) -> u64 {
        self.end_bytes
    }

    /// Whether a cursor was set since the last batch.
    pub fn has_cursor(&self) -> bool {
        self.cursor.is_some()
    }

    /// Events, lines or bytes (`BATCH_BYTES`) enough for a batch.
    pub fn is_full(&self) -> bool {
        self.events.len() + self.chunk.len() + self.chunk_rows >= self.batch_events
            || self.lines >= 4 * self.batch_events as u64
            || self.chunk_bytes + self.chunk_line_bytes + self.pending_bytes >= BATCH_BYTES
    }

    /// Converts the pending events into the chunk being built (and ends it when it is full).
    fn convert_pending(&mut self) {
        if self.events.is_empty() {
            return;
        }
        self.chunk.add(&self.events);
        for e in &self.events {
            *self.kinds.entry((e.format, e.kind)).or_default() += 1;
        }
        self.rollup.add(&self.events);
        self.chunk_ips.extend(self.events.iter().filter_map(|e| e.src_ip));
        self.events.clear();
        self.chunk_line_bytes += self.pending_bytes;
        self.pending_bytes = 0;
        self.last_start = 0;
        if self.chunk.len() >= CHUNK_EVENTS || self.chunk_line_bytes >= CHUNK_BYTES {
            self.finish_chunk();
        }
    }

    /// Ends the chunk being built: one more for the next batch.
    fn finish_chunk(&mut self) {
        if self.chunk.is_empty() {
            return;
        }
        match self.chunk.finish() {
            Ok(chunk) => {
                self.chunk_rows += chunk.num_rows();
                self.chunk_bytes += chunk.get_array_memory_size();
                self.chunks.push(chunk);
            }
            Err(e) => {
                self.chunk_error.get_or_insert(e.into());
            }
        }
        self.chunk_line_bytes = 0;
    }

    /// Whether lines were pushed since the last batch.
    pub fn has_pending(&self) -> bool {
        self.lines > 0
    }

    /// When the oldest pending line was read.
    pub fn pending_since(&self) -> Option<Instant> {
        self.first_read
    }

    /// The events of the last pushed line, to amend before they are converted (a syslog
    /// listener names the sender as the sensor).
    pub fn last_events(&mut self) -> &mut [Event] {
        &mut self.events[self.last_start..]
    }

    /// Takes the pending lines as a batch: converts the events for the appender and, with an
    /// enricher, looks up the addresses `book` does not know yet. `name` is for errors.
    pub fn take(&mut self, name: &str, enrich: Option<(&Enricher, &mut AddressBook)>) -> Result<Batch> {
        self.convert_pending();
        self.finish_chunk();
        let store_err = |source: ipscope_store::StoreError| IngestError::Store { name: name.to_owned(), source };
        if let Some(e) = self.chunk_error.take() {
            return Err(store_err(e));
        }
        tracing::trace!(rows = self.chunk_rows, bytes = self.chunk_bytes, "batch weight");
        self.chunk_rows = 0;
        self.chunk_bytes = 0;
        let mut events = ipscope_store::finish_batch(std::mem::take(&mut self.chunks), &mut self.rollup, self.input_id)
            .map_err(|e| store_err(e.into()))?;
        let ips = std::mem::take(&mut self.chunk_ips);
        let mut new_addresses = Vec::new();
        if let Some((enricher, book)) = enrich {
            let mut infos = Vec::new();
            book.enrich_new(enricher, ips, &mut infos)
                .map_err(|source| IngestError::Enrich { name: name.to_owned(), source })?;
            new_addresses = infos.iter().map(|i| i.ip).collect();
            let mut addresses = ipscope_store::prepare_addresses(&infos, now_micros())
                .map_err(|source| IngestError::Store { name: name.to_owned(), source: source.into() })?;
            if book.forgot() {
                addresses = addresses.deduplicated();
            }
            events = events.with_addresses(addresses);
        }
        let kinds = std::mem::take(&mut self.kinds);
        let (mark_len, mark_hash) = match self.last_line.len() {
            0 => (0, 0),
            n => (n as u64, ipscope_store::head_hash(&self.last_line)),
        };
        let batch = Batch {
            events,
            end_bytes: self.end_bytes,
            end_lines: self.line_no,
            mark_len,
            mark_hash,
            cursor: self.cursor.take(),
            lines: std::mem::take(&mut self.lines),
            ignored: std::mem::take(&mut self.ignored),
            rejected: std::mem::take(&mut self.rejected),
            ignored_by: std::mem::take(&mut self.ignored_by),
            rejected_by: std::mem::take(&mut self.rejected_by),
            invalid_utf8: std::mem::take(&mut self.invalid_utf8),
            kinds,
            new_addresses,
            first_read: self.first_read.take(),
        };
        Ok(batch)
    }
}

pub(crate) fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use ipscope_formats::{FormatKind, ParseOptions};

    use super::*;

    /// A Cowrie command line whose command is `len` bytes long.
    fn command_line(i: usize, len: usize) -> Vec<u8> {
        let command: String = (0..len).map(|j| char::from(b'A' + ((i * 7 + j * 13) % 26) as u8)).collect();
        format!(
            r#"{{"session":"{i:012x}","src_ip":"203.0.{}.{}","src_port":1234,"dst_ip":"10.0.0.2","dst_port":2222,"input":"echo {command} | base64 -d","eventid":"cowrie.command.input","sensor":"s1","timestamp":"2026-03-02T00:00:01.000000Z","message":"CMD"}}"#,
            i / 250 % 250,
            i % 250
        )
        .into_bytes()
    }

    /// Pushes command lines of `len` bytes until the batcher is full (or `max` lines); returns
    /// the lines pushed and the batch taken.
    fn fill(batcher: &mut Batcher, len: usize, max: usize) -> Result<(usize, Batch)> {
        let mut end = 0;
        let mut n = 0;
        while n < max && !batcher.is_full() {
            let line = command_line(n, len);
            end += line.len() as u64 + 1;
            assert!(matches!(batcher.push(&line, end, true, false), Pushed::Events));
            n += 1;
        }
        Ok((n, batcher.take("test", None)?))
    }

    fn weight(batch: &Batch) -> usize {
        batch.events.chunks().iter().map(RecordBatch::get_array_memory_size).sum()
    }

    fn cowrie() -> Batcher {
        let parser = ipscope_formats::new_parser(FormatKind::Cowrie, &ParseOptions::default(), 0);
        Batcher::new(parser, 1, DEFAULT_BATCH_EVENTS, 0)
    }

    /// Long pasted commands end a batch by its bytes: a batch of 30 KB commands holds about
    /// [`BATCH_BYTES`] of them, not a row group's worth (3.7 GB), and loses none.
    #[test]
    fn long_commands_end_a_batch_by_its_bytes() -> Result<()> {
        let mut batcher = cowrie();
        let len = 30_000;
        // (Bounded at twice what should fit, so a batcher that ignores bytes fails here.)
        let max = 2 * BATCH_BYTES / len;
        let (n, batch) = fill(&mut batcher, len, max)?;
        assert!(n < max, "{n} lines of {len} bytes in one batch");
        assert_eq!(batch.events.len(), n, "every line's event is in the batch");
        // (Pending events count by their lines, up to `CHUNK_BYTES` of them, and weigh less once
        // converted: the store cuts their commands to 16 KiB.)
        let w = weight(&batch);
        assert!(w >= BATCH_BYTES - CHUNK_BYTES - 2 * len && w <= BATCH_BYTES + 4 * len, "batch of {w} bytes");
        // The next batch starts empty and is bounded the same way.
        let (m, next) = fill(&mut batcher, len, max)?;
        assert!((n - 2..=n + 2).contains(&m), "{m} lines in the second batch, {n} in the first");
        assert!(weight(&next) <= BATCH_BYTES + 4 * len);
        Ok(())
    }

    /// Ordinary lines fill a batch by its events (one row group), far below the byte bound.
    #[test]
    fn ordinary_lines_end_a_batch_by_its_events() -> Result<()> {
        let mut batcher = cowrie();
        let (n, batch) = fill(&mut batcher, 40, 2 * DEFAULT_BATCH_EVENTS)?;
        assert_eq!(n, DEFAULT_BATCH_EVENTS);
        assert_eq!(batch.events.len(), DEFAULT_BATCH_EVENTS);
        assert!(weight(&batch) < BATCH_BYTES / 2, "{} bytes", weight(&batch));
        Ok(())
    }
}
