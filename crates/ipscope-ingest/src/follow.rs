//! Following files: globs polled for new files and new lines, across rotation.
//!
//! Every `poll` the globs are expanded; each matching regular file is tracked by device+inode, so
//! a file renamed by rotation (`auth.log` → `auth.log.1`) keeps being read where it was, and the
//! new `auth.log` is a new file. A new file is identified against the ledger like any input (see
//! [`crate::identity`]): a file already ingested resumes at its committed position (also after a
//! restart of the daemon: never from the end), a `copytruncate` copy or a compressed rotation
//! (`auth.log.2.gz`) of an input continues it or adds nothing. A file that shrinks under us was
//! truncated (`copytruncate`): what was read is committed and it starts over as a new input.
//! A file gone from the globs (deleted, or renamed out of them) is read to its end, with its
//! unterminated last line, once it has not grown for [`GONE_GRACE`], and then closed.
//!
//! Only complete lines of a live file are read (a line still being written waits for its
//! newline). Lines are committed when a batch is full or [`crate::live::DEFAULT_FLUSH`] after
//! the first of them was read. When another writer (a CLI `ingest` of the same file) stores part
//! of a followed input first, the follower drops what it had and looks the file up again.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use ipscope_formats::{FormatKind, ParseOptions};
use ipscope_store::{Backend, FileId, HEAD_BYTES, InputProgress};
use tracing::{info, warn};

use crate::batcher::Batcher;
use crate::identity::{self, FileView};
use crate::live::{CommitError, Context};
use crate::metrics::SourceKind;
use crate::source::{self, LineReader, MAX_LINE_BYTES};
use crate::{IngestError, Result, detect};

/// How long a file that left the globs may still grow before it is finished and closed (a
/// logger may write to the renamed file until it reopens its log).
pub const GONE_GRACE: Duration = Duration::from_secs(5);
/// Bytes read from one file per poll, so one busy file cannot starve the others or delay
/// commits of lines already read.
const READ_PER_POLL: usize = 16 * 1024 * 1024;
/// How long a file that could not be opened or read waits before it is tried again.
const RETRY: Duration = Duration::from_secs(2);

/// What to follow.
#[derive(Clone, Debug)]
pub struct FollowConfig {
    pub globs: Vec<String>,
    /// The format of every followed file, or `None` to detect each from its first lines.
    pub format: Option<FormatKind>,
    pub parse: ParseOptions,
    /// How often the globs and files are looked at.
    pub poll: Duration,
}

/// One file being read.
struct Tracked {
    path: PathBuf,
    file: File,
    id: FileId,
    name: String,
    batcher: Batcher,
    progress: InputProgress,
    /// The file's first bytes (up to `HEAD_BYTES`): its identity window.
    head: Vec<u8>,
    /// Bytes read from the file; `progress.bytes` <= `pos_read`.
    pos_read: u64,
    /// Offset where the pending partial line starts.
    line_start: u64,
    /// Bytes of a line still waiting for its newline.
    partial: Vec<u8>,
    /// The partial line grew past `MAX_LINE_BYTES` (the rest up to its newline is dropped).
    partial_cut: bool,
    /// When the file last grew (for files that left the globs).
    last_growth: Instant,
    /// In the globs at the last poll.
    present: bool,
}

/// Files not read as live files: compressed rotations already read, files whose format is
/// unknown. Key: the file; value: its (size, mtime) when decided, to look again if it changes.
type Settled = HashMap<FileId, (u64, Option<SystemTime>)>;

/// Runs until `ctx.stop` is set, then commits what was read and returns.
pub fn run(ctx: &Context, cfg: &FollowConfig) -> Result<()> {
    let mut tracked: HashMap<FileId, Tracked> = HashMap::new();
    let mut settled: Settled = HashMap::new();
    let mut retry_at: HashMap<FileId, Instant> = HashMap::new();
    info!(globs = ?cfg.globs, "following files");
    loop {
        let stopping = ctx.stopping();
        // 1. Files already tracked: truncation, new lines, commits.
        let mut finished = Vec::new();
        for t in tracked.values_mut() {
            match step(ctx, t, stopping) {
                Ok(true) => finished.push(t.id),
                Ok(false) => {}
                Err(CommitError::Conflict) => finished.push(t.id), // looked up again below
                Err(CommitError::Other(e)) => {
                    warn!(file = %t.name, error = %e, "cannot ingest followed file; will retry");
                    finished.push(t.id);
                }
            }
        }
        for id in finished {
            tracked.remove(&id);
        }
        if stopping {
            return Ok(());
        }
        // 2. What the globs match now: new files, renamed files, files gone.
        let mut seen = HashSet::new();
        for path in expand(&cfg.globs) {
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            let Some(id) = source::file_id(&meta) else { continue };
            seen.insert(id);
            if let Some(t) = tracked.get_mut(&id) {
                if t.path != path {
                    info!(from = %t.name, to = %path.display(), "followed file renamed");
                    t.name = path.display().to_string();
                    t.progress.path.clone_from(&t.name);
                    t.path = path;
                }
                continue;
            }
            let stamp = (meta.len(), meta.modified().ok());
            if settled.get(&id) == Some(&stamp) || retry_at.get(&id).is_some_and(|t| Instant::now() < *t) {
                continue;
            }
            match open(ctx, cfg, &path, id) {
                Ok(Opened::Follow(t)) => {
                    retry_at.remove(&id);
                    tracked.insert(id, *t);
                }
                Ok(Opened::Settled) => {
                    settled.insert(id, stamp);
                }
                // Too few lines to tell its format: looked at again at the next poll (a file
                // just created by rotation fills within moments).
                Ok(Opened::Later) => {}
                Err(e) => {
                    warn!(file = %path.display(), error = %e, "cannot follow file");
                    retry_at.insert(id, Instant::now() + RETRY);
                }
            }
        }
        for t in tracked.values_mut() {
            t.present = seen.contains(&t.id);
        }
        settled.retain(|id, _| seen.contains(id));
        ctx.metrics.followed_files.set(tracked.len() as i64);
        let backlog: u64 =
            tracked.values().map(|t| t.file.metadata().map_or(0, |m| m.len().saturating_sub(t.pos_read))).sum();
        ctx.metrics.follow_backlog_bytes.set(i64::try_from(backlog).unwrap_or(i64::MAX));
        std::thread::sleep(cfg.poll);
    }
}

fn expand(globs: &[String]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for g in globs {
        match source::glob_files(g) {
            Ok(v) => out.extend(v),
            Err(e) => warn!(glob = %g, error = %e, "bad glob"),
        }
    }
    out.sort();
    out.dedup();
    out
}

enum Opened {
    Follow(Box<Tracked>),
    /// Nothing to follow (a compressed file, read whole now; a file we cannot parse).
    Settled,
    /// Too few lines to tell the format: look again later.
    Later,
}

/// Starts tracking a file the globs match: identify it, replay what is committed.
fn open(ctx: &Context, cfg: &FollowConfig, path: &Path, id: FileId) -> Result<Opened> {
    let name = path.display().to_string();
    let read_err = |source| IngestError::Read { name: name.clone(), source };
    let mut file = File::open(path).map_err(|source| IngestError::Open { name: name.clone(), source })?;
    let size = file.metadata().map_err(read_err)?.len();
    let mut head = Vec::with_capacity(HEAD_BYTES.min(size as usize));
    (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head).map_err(read_err)?;
    if source::is_compressed(&head) {
        ingest_whole(ctx, cfg, path)?;
        return Ok(Opened::Settled);
    }
    let store_err = |source| IngestError::Store { name: name.clone(), source };
    let known = if head.is_empty() {
        None
    } else {
        let candidates = ctx.reader.find_inputs(&head).map_err(store_err)?;
        identity::choose(candidates, &name, Some(&FileView { path, id: Some(id), size }))
    };
    let (format, mut progress) = match &known {
        Some(rec) => {
            let format = rec
                .format
                .parse::<FormatKind>()
                .map_err(|reason| IngestError::Ledger { name: name.clone(), reason })?;
            (format, InputProgress::resume(rec, &name))
        }
        None => {
            let complete = head.iter().filter(|b| **b == b'\n').count();
            let format = match cfg.format {
                Some(f) => f,
                None => match detect(&head, cfg.parse.delimiter) {
                    Some(f) => f,
                    // Wait for more lines, unless there are plenty and still no format.
                    None if complete < 20 && head.len() < HEAD_BYTES => return Ok(Opened::Later),
                    None => {
                        warn!(file = %name, "cannot detect the format of a followed file; set `format` for it");
                        return Ok(Opened::Settled);
                    }
                },
            };
            if complete == 0 && cfg.format.is_some() {
                return Ok(Opened::Later); // not even one line yet
            }
            let p = InputProgress { path: name.clone(), format: format.as_str().to_owned(), ..Default::default() };
            (format, p)
        }
    };
    progress.file = Some(id);
    let reference = crate::batcher::now_micros();
    let parser = ipscope_formats::new_parser(format, &cfg.parse, reference);
    let mut batcher = Batcher::new(parser, progress.id, ctx.batch_events, progress.bytes);
    // Replay the committed prefix for the parser's state.
    let start = progress.bytes;
    if start > 0 {
        file.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let mut lines = LineReader::new(std::io::BufReader::with_capacity(256 * 1024, (&mut file).take(start)));
        let mut buf = Vec::new();
        while let Some(_line) = lines.next_line(&mut buf).map_err(read_err)? {
            batcher.replay(&buf);
        }
    }
    file.seek(SeekFrom::Start(start)).map_err(read_err)?;
    info!(file = %name, %format, resume_at = start, input = progress.id, "following");
    Ok(Opened::Follow(Box::new(Tracked {
        path: path.to_owned(),
        file,
        id,
        name,
        batcher,
        progress,
        head,
        pos_read: start,
        line_start: start,
        partial: Vec::new(),
        partial_cut: false,
        last_growth: Instant::now(),
        present: true,
    })))
}

/// A compressed file in the globs: a rotation read once as a whole (it usually adds nothing:
/// its content was followed before it was compressed).
fn ingest_whole(ctx: &Context, cfg: &FollowConfig, path: &Path) -> Result<()> {
    let mut backend = ctx.backend()?;
    let opts = crate::Options {
        format: cfg.format,
        parse: cfg.parse.clone(),
        batch_events: ctx.batch_events,
        enrich: ctx.enrich.clone(),
    };
    let spec = crate::InputSpec::File(path.to_owned());
    // The daemon's one address book: an address enriched here is not enriched twice.
    let mut book = ctx.book.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let s = crate::oneshot::ingest(&mut backend, &spec, &opts, None, &mut book, &crate::NoProgress)?;
    info!(file = %path.display(), status = s.status, lines = s.lines, events = s.events, "compressed file read");
    Ok(())
}

/// One poll of a tracked file. `Ok(true)` when it is finished (gone and read to its end), or
/// must be looked up again (truncated).
fn step(ctx: &Context, t: &mut Tracked, stopping: bool) -> Result<bool, CommitError> {
    let name = t.name.clone();
    let read_err = |source| CommitError::from(IngestError::Read { name: name.clone(), source });
    let size = t.file.metadata().map_err(read_err)?.len();
    if size < t.pos_read || (size != t.pos_read && rewritten(t)) {
        // Truncated in place (copytruncate), or truncated and written again faster than we
        // looked: keep what was read, then start over.
        info!(file = %t.name, size, read = t.pos_read, "followed file truncated; reading it anew");
        if t.batcher.has_pending() {
            ctx.commit(SourceKind::File, &t.name, &mut t.batcher, &mut t.progress, &t.head)?;
        }
        return Ok(true);
    }
    let mut budget = READ_PER_POLL;
    let mut chunk = vec![0u8; 256 * 1024];
    if size > t.pos_read {
        t.batcher.set_reference(crate::batcher::now_micros());
    }
    while budget > 0 {
        let n = t.file.read(&mut chunk).map_err(read_err)?;
        if n == 0 {
            break;
        }
        budget = budget.saturating_sub(n);
        t.last_growth = Instant::now();
        // Keep the identity window (the first HEAD_BYTES of the file) as it fills.
        if t.pos_read < HEAD_BYTES as u64 {
            let from = (t.head.len() as u64).saturating_sub(t.pos_read) as usize;
            let to = n.min((HEAD_BYTES as u64 - t.pos_read) as usize);
            if from < to {
                t.head.extend_from_slice(&chunk[from..to]);
            }
        }
        feed(ctx, t, &chunk[..n])?;
        if ctx.due(&t.batcher) {
            ctx.commit(SourceKind::File, &t.name, &mut t.batcher, &mut t.progress, &t.head)?;
        }
    }
    // A file that left the globs and stopped growing: its last line is complete as it is.
    let gone = !t.present && t.last_growth.elapsed() >= GONE_GRACE;
    if gone && (!t.partial.is_empty() || t.partial_cut) {
        let line = std::mem::take(&mut t.partial);
        let cut = std::mem::take(&mut t.partial_cut);
        push(t, &line, t.pos_read, false, cut);
        t.line_start = t.pos_read;
    }
    if ctx.due(&t.batcher) || (stopping && t.batcher.has_pending()) || (gone && t.batcher.has_pending()) {
        ctx.commit(SourceKind::File, &t.name, &mut t.batcher, &mut t.progress, &t.head)?;
    }
    if gone {
        info!(file = %t.name, "followed file gone; finished");
    }
    Ok(gone)
}

/// Bytes of the file's start compared on each change, to see it was truncated and written anew
/// between two polls.
const START_CHECK: usize = 512;

/// Whether the file no longer starts with the bytes we read from it.
fn rewritten(t: &Tracked) -> bool {
    let n = t.head.len().min(START_CHECK);
    if n == 0 {
        return false;
    }
    let mut start = vec![0; n];
    match std::os::unix::fs::FileExt::read_exact_at(&t.file, &mut start, 0) {
        Ok(()) => start != t.head[..n],
        Err(_) => false,
    }
}

/// Splits `chunk` (the next bytes of the file) into lines and pushes the complete ones.
fn feed(ctx: &Context, t: &mut Tracked, chunk: &[u8]) -> Result<(), CommitError> {
    let mut rest = chunk;
    while let Some(i) = memchr::memchr(b'\n', rest) {
        let end = t.pos_read + i as u64 + 1;
        let piece = &rest[..i];
        if t.partial.is_empty() && !t.partial_cut {
            // The common case: the whole line is in this chunk.
            let cut = piece.len() > MAX_LINE_BYTES;
            let line = &piece[..piece.len().min(MAX_LINE_BYTES)];
            push(t, line, end, true, cut);
        } else {
            let room = MAX_LINE_BYTES.saturating_sub(t.partial.len());
            let cut = t.partial_cut || piece.len() > room;
            t.partial.extend_from_slice(&piece[..piece.len().min(room)]);
            let line = std::mem::take(&mut t.partial);
            push(t, &line, end, true, cut);
        }
        t.partial_cut = false;
        t.pos_read = end;
        t.line_start = end;
        rest = &rest[i + 1..];
        if t.batcher.is_full() {
            ctx.commit(SourceKind::File, &t.name, &mut t.batcher, &mut t.progress, &t.head)?;
        }
    }
    let room = MAX_LINE_BYTES.saturating_sub(t.partial.len());
    if rest.len() > room {
        t.partial_cut = true;
    }
    t.partial.extend_from_slice(&rest[..rest.len().min(room)]);
    t.pos_read += rest.len() as u64;
    Ok(())
}

fn push(t: &mut Tracked, line: &[u8], end: u64, terminated: bool, cut: bool) {
    if let crate::batcher::Pushed::Rejected(r, line_no) = t.batcher.push(line, end, terminated, cut) {
        tracing::debug!(file = %t.name, line = line_no, reason = %r, "rejected line");
    }
}
