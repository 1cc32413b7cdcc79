//! The ingest pipeline for one input: read → parse (a worker thread) → store (this thread).
//!
//! The reader/parser thread sends batches of events over a bounded channel; each batch is
//! committed together with the input's progress (bytes and lines consumed) in one transaction
//! (see `ipscope-store`). A resumed input (grown file, or a crash earlier) replays its
//! already-committed prefix through the parser without storing it, so stateful parsers (sshd's
//! pid → address map) see the same history they would have on a single run.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use ipscope_enrich::{AddressBook, Enricher};
use ipscope_event::Event;
use ipscope_formats::{FormatKind, LineOutcome, ParseOptions};
use ipscope_store::{EventBatch, InputProgress, Store};
use tracing::{debug, info};

use crate::source::{self, InputSpec, LineReader};

/// Bytes kept from the start of a stream to identify it (the ledger's identity window).
const HEAD_BYTES: usize = 64 * 1024;
/// Lines sniffed for format detection.
const DETECT_LINES: usize = 20;
/// Default events per committed batch: large enough that commit cost vanishes, small enough that
/// a crash loses little work and memory stays bounded.
pub const DEFAULT_BATCH_EVENTS: usize = 256 * 1024;
/// Batches in flight between parser and store (bounds memory).
const CHANNEL_DEPTH: usize = 2;

/// Where rejected lines are written (`--rejects FILE`).
pub type Rejects = std::io::BufWriter<std::fs::File>;

/// Settings for one `ingest` run.
pub struct Options {
    pub format: Option<FormatKind>,
    pub parse: ParseOptions,
    pub batch_events: usize,
    pub progress: bool,
    /// Enrich new source addresses (GeoIP / ASN / home network) as they are stored.
    pub enrich: Option<Enricher>,
}

/// What happened to one input.
#[derive(Debug, Default)]
pub struct Summary {
    pub name: String,
    pub format: String,
    /// `new`, `resumed` (grown or interrupted before), or `unchanged`.
    pub status: &'static str,
    /// Lines read this run (not counting the replayed prefix).
    pub lines: u64,
    pub events: u64,
    /// Source addresses seen for the first time and enriched.
    pub addresses: u64,
    pub ignored: BTreeMap<&'static str, u64>,
    pub rejected: BTreeMap<&'static str, u64>,
}

impl Summary {
    pub fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// A batch from the parser thread, already converted for the appender.
struct Batch {
    events: EventBatch,
    /// Stream offset and line count after the last line in this batch.
    end_bytes: u64,
    end_lines: u64,
    lines: u64,
    ignored: u64,
    rejected: u64,
}

fn micros(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Ingests one input into `store`. Rejected lines go to `rejects` when given.
/// `book` holds the addresses already enriched (shared by the inputs of one run).
pub fn ingest(
    store: &mut Store,
    spec: &InputSpec,
    opts: &Options,
    rejects: Option<&mut Rejects>,
    book: &mut AddressBook,
) -> Result<Summary> {
    let name = spec.name();
    let opened = source::open(spec)?;
    let reference = micros(opened.mtime.unwrap_or_else(SystemTime::now));

    // The head identifies the stream; keep it, then read on from where it ends.
    let mut reader = opened.reader;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut reader).take(HEAD_BYTES as u64).read_to_end(&mut head).with_context(|| format!("cannot read {name}"))?;
    let known = store.find_input(&head, &name)?;

    let (format, mut progress, status) = match &known {
        Some(rec) => {
            let format = rec.format.parse::<FormatKind>().map_err(|e| anyhow!("{name}: ledger: {e}"))?;
            (format, InputProgress::resume(rec, &name), "resumed")
        }
        None => {
            let format = match opts.format {
                Some(f) => f,
                None => detect(&head, opts.parse.delimiter).ok_or_else(|| {
                    anyhow!(
                        "{name}: cannot detect the format from the first lines; pass --format (one of: {})",
                        FormatKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                    )
                })?,
            };
            let p = InputProgress {
                id: store.new_input_id()?,
                path: name.clone(),
                format: format.as_str().to_owned(),
                ..InputProgress::default()
            };
            (format, p, "new")
        }
    };
    let skip = progress.bytes;
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

    let bar = make_bar(opts.progress, if opened.compressed { None } else { opened.size }, &name);
    let stream = Cursor::new(head.clone()).chain(reader);
    let mut parse = opts.parse.clone();
    let plain_size = if opened.compressed { None } else { opened.size };
    if let Some(y) = year_anchor(spec, plain_size, known.as_ref(), format, &parse, reference, &head) {
        parse.clock.year = ipscope_formats::YearRule::Anchored(y);
        progress.year_anchor = Some(y);
    }
    let mut parser = ipscope_formats::new_parser(format, &parse, reference);
    let batch_events = opts.batch_events.max(1);
    let (tx, rx) = mpsc::sync_channel::<Batch>(CHANNEL_DEPTH);
    let mut counts: (BTreeMap<&'static str, u64>, BTreeMap<&'static str, u64>) = Default::default();

    std::thread::scope(|scope| -> Result<()> {
        let bar = bar.clone();
        let name = &name;
        let counts = &mut counts;
        let input_id = progress.id;
        let worker = scope.spawn(move || -> Result<()> {
            let mut rejects = rejects;
            let mut lines = LineReader::new(stream);
            let mut buf = Vec::new();
            let mut events: Vec<Event> = Vec::with_capacity(batch_events);
            let mut line_no = 0u64;
            // Counters of the batch being filled: lines, ignored, rejected.
            let (mut n_lines, mut n_ignored, mut n_rejected) = (0u64, 0u64, 0u64);
            let mut end_bytes = skip;
            let mut last_bar = 0u64;
            let mut infos = Vec::new();
            let mut send = |events: &mut Vec<Event>, end_bytes, end_lines, counts: (u64, u64, u64)| -> Result<bool> {
                // Converting for the appender here keeps that work off the store thread.
                let mut batch = ipscope_store::prepare_batch(events, input_id)
                    .with_context(|| format!("{name}: cannot convert events"))?;
                if let Some(enricher) = &opts.enrich {
                    infos.clear();
                    book.enrich_new(enricher, events, &mut infos)
                        .with_context(|| format!("{name}: cannot enrich (--no-enrich ingests without enrichment)"))?;
                    let now = micros(SystemTime::now());
                    batch = batch.with_addresses(
                        ipscope_store::prepare_addresses(&infos, now)
                            .with_context(|| format!("{name}: cannot convert addresses"))?,
                    );
                }
                events.clear();
                let b = Batch {
                    events: batch,
                    end_bytes,
                    end_lines,
                    lines: counts.0,
                    ignored: counts.1,
                    rejected: counts.2,
                };
                Ok(tx.send(b).is_ok())
            };
            while let Some(line) = lines.next_line(&mut buf).with_context(|| format!("cannot read {name}"))? {
                line_no += 1;
                if line.end <= skip {
                    // Already committed: replay through the parser for its state only.
                    parser.parse_line(&buf, &mut events);
                    events.clear();
                    continue;
                }
                let outcome = if line.truncated {
                    LineOutcome::Rejected(ipscope_formats::Reject::new(
                        "line too long",
                        format!("cut at {} bytes", source::MAX_LINE_BYTES),
                    ))
                } else {
                    parser.parse_line(&buf, &mut events)
                };
                match outcome {
                    LineOutcome::Events(_) => {}
                    LineOutcome::Ignored(why) => {
                        n_ignored += 1;
                        *counts.0.entry(why).or_default() += 1;
                    }
                    LineOutcome::Rejected(r) => {
                        n_rejected += 1;
                        *counts.1.entry(r.reason).or_default() += 1;
                        if let Some(w) = rejects.as_mut() {
                            let text = String::from_utf8_lossy(&buf);
                            writeln!(w, "{name}:{line_no}: {r}\t{}", text.trim_end_matches('\r'))
                                .context("cannot write the rejects file")?;
                        }
                    }
                }
                n_lines += 1;
                end_bytes = line.end;
                if line.end - last_bar >= 1 << 20 {
                    bar.set_position(line.end);
                    last_bar = line.end;
                }
                if events.len() >= batch_events || n_lines >= 4 * batch_events as u64 {
                    if !send(&mut events, end_bytes, line_no, (n_lines, n_ignored, n_rejected))? {
                        return Ok(()); // the store side failed; it reports why
                    }
                    (n_lines, n_ignored, n_rejected) = (0, 0, 0);
                }
            }
            if n_lines > 0 {
                send(&mut events, end_bytes, line_no, (n_lines, n_ignored, n_rejected))?;
            }
            Ok(())
        });

        let mut store_result = Ok(());
        for batch in rx.iter() {
            if store_result.is_err() {
                continue; // drain so the worker can finish
            }
            progress.bytes = batch.end_bytes;
            progress.lines = batch.end_lines.max(progress.lines);
            progress.events += batch.events.len() as u64;
            progress.ignored += batch.ignored;
            progress.rejected += batch.rejected;
            progress.set_head(&head);
            let n = batch.events.len() as u64;
            let new_addresses = batch.events.addresses() as u64;
            store_result =
                store.commit_batch(&mut progress, batch.events).with_context(|| format!("{name}: cannot store events"));
            if store_result.is_ok() {
                summary.lines += batch.lines;
                summary.events += n;
                summary.addresses += new_addresses;
                debug!(input = %name, bytes = progress.bytes, lines = progress.lines, events = n, "batch committed");
            }
        }
        let worker_result = worker.join().map_err(|_| anyhow!("{name}: the parser thread panicked"))?;
        store_result.and(worker_result)
    })?;

    bar.finish_and_clear();
    summary.ignored = counts.0;
    summary.rejected = counts.1;
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

/// Guesses the format from the head's first lines.
fn detect(head: &[u8], delimiter: u8) -> Option<FormatKind> {
    let lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(DETECT_LINES)
        .collect();
    ipscope_formats::detect_with_delimiter(&lines, delimiter)
}

fn make_bar(enabled: bool, total: Option<u64>, name: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(t) => ProgressBar::new(t).with_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Writes the per-input summary lines to `w` (stderr).
pub fn write_summary(w: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    writeln!(
        w,
        "{}: {} ({}), {} lines, {} events, {} ignored, {} rejected{}",
        s.name,
        s.status,
        s.format,
        s.lines,
        s.events,
        s.ignored_total(),
        s.rejected_total(),
        if s.addresses > 0 { format!(", {} new addresses enriched", s.addresses) } else { String::new() }
    )?;
    let detail = |m: &BTreeMap<&str, u64>| {
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
    };
    if !s.rejected.is_empty() {
        writeln!(w, "  rejected: {}", detail(&s.rejected))?;
    }
    if !s.ignored.is_empty() {
        writeln!(w, "  ignored: {}", detail(&s.ignored))?;
    }
    Ok(())
}
