//! The ledger of ingested inputs (`inputs` table).
//!
//! An input is identified by its content, not its name: the xxh3 hash of its first
//! `head_len` bytes, where `head_len = min(bytes consumed, HEAD_BYTES)`. Re-reading a stream
//! whose head matches a recorded input resumes after the recorded `bytes`; a rotated or
//! renamed file is therefore recognised, and a grown file contributes only its new tail.
//!
//! Two more facts make the identity of a regular file exact (the ingest side checks them, since
//! they need the file): the *mark*, a hash of the last line consumed (the `mark_len` bytes
//! ending at `bytes`), tells a grown or copied file (same mark at the same offset) from a
//! different file that merely starts with the same lines; the device and inode (`dev`, `inode`)
//! say which file on disk was last read, so a follower keeps track of a renamed file and a
//! file re-created under the same name is not taken for the old one. Non-file inputs (the
//! journal, a syslog listener) have an empty head and are found by name; the journal commits its
//! `cursor` with each batch.

use duckdb::{Connection, OptionalExt, params};

use crate::{Result, StoreError};

/// How many leading bytes identify an input. Large enough that two different logs almost never
/// share it (timestamps and pids differ within the first lines), small enough to hold in memory.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The identity hash of a stream's head (or of any window of it, such as the mark).
pub fn head_hash(head: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(head)
}

/// Which file on disk (device and inode number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub inode: u64,
}

/// A recorded input.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputRecord {
    pub id: i32,
    pub path: String,
    pub format: String,
    pub head_len: u64,
    pub head_hash: u64,
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub ignored: u64,
    pub rejected: u64,
    /// Length and hash of the last line consumed (the bytes ending at `bytes`); 0 = unknown.
    pub mark_len: u64,
    pub mark_hash: u64,
    /// The file last read, when the input is a file.
    pub file: Option<FileId>,
    /// Where a journal input resumes (`journalctl --after-cursor`).
    pub cursor: Option<String>,
    /// The year of its first year-less line, when it was decided (`ipscope_formats::year`).
    #[serde(default)]
    pub year_anchor: Option<i32>,
}

/// Progress of one input, as committed with each batch. Counters are totals over the input's
/// whole life, not per batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputProgress {
    /// The input's id (allocated with `Store::new_input_id` before its first batch).
    pub id: i32,
    /// Whether its ledger row exists (false until the first batch is committed).
    pub recorded: bool,
    /// `bytes` as last committed (or as read from the ledger): a commit only lands if the
    /// ledger still says this, so two writers of one input cannot both store the same lines.
    pub committed_bytes: u64,
    pub path: String,
    pub format: String,
    pub head_len: u64,
    pub head_hash: u64,
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub ignored: u64,
    pub rejected: u64,
    pub mark_len: u64,
    pub mark_hash: u64,
    pub file: Option<FileId>,
    pub cursor: Option<String>,
    /// The year of its first year-less line (see [`InputRecord::year_anchor`]).
    #[serde(default)]
    pub year_anchor: Option<i32>,
    /// The head bytes behind `head_hash` (up to [`HEAD_BYTES`]); a first commit checks them
    /// against inputs recorded meanwhile by another writer.
    #[serde(skip)]
    pub head: Vec<u8>,
}

impl InputProgress {
    /// Continues a recorded input.
    pub fn resume(rec: &InputRecord, path: &str) -> Self {
        InputProgress {
            id: rec.id,
            recorded: true,
            committed_bytes: rec.bytes,
            path: path.to_owned(),
            format: rec.format.clone(),
            head_len: rec.head_len,
            head_hash: rec.head_hash,
            bytes: rec.bytes,
            lines: rec.lines,
            events: rec.events,
            ignored: rec.ignored,
            rejected: rec.rejected,
            mark_len: rec.mark_len,
            mark_hash: rec.mark_hash,
            file: rec.file,
            cursor: rec.cursor.clone(),
            year_anchor: rec.year_anchor,
            head: Vec::new(),
        }
    }

    /// Sets the identity from the stream's head, covering `min(bytes, HEAD_BYTES)` bytes.
    pub fn set_head(&mut self, head: &[u8]) {
        let len = (self.bytes as usize).min(HEAD_BYTES).min(head.len());
        self.head_len = len as u64;
        self.head_hash = head_hash(&head[..len]);
        if self.head.len() != len {
            self.head.clear();
            self.head.extend_from_slice(&head[..len]);
        }
    }

    /// Whether `head` (a stream's first bytes) starts with this record's identity window.
    pub fn head_matches(rec_len: u64, rec_hash: u64, head: &[u8]) -> bool {
        let len = rec_len as usize;
        len > 0 && len <= head.len() && head_hash(&head[..len]) == rec_hash
    }
}

fn file_params(f: Option<FileId>) -> (Option<u64>, Option<u64>) {
    (f.map(|f| f.dev), f.map(|f| f.inode))
}

/// Records `p` in the ledger; `Err(Conflict)` when another writer moved the input meanwhile (its
/// bytes are no longer `committed_bytes`) or recorded the same new file first.
pub(crate) fn upsert(conn: &Connection, p: &InputProgress) -> Result<()> {
    let (dev, inode) = file_params(p.file);
    if p.recorded {
        let n = conn.execute(
            "UPDATE inputs SET path = ?, head_len = ?, head_hash = ?, bytes = ?, lines = ?, events = ?, \
             ignored = ?, rejected = ?, mark_len = ?, mark_hash = ?, dev = ?, inode = ?, cursor = ?, \
             year_anchor = ?, last_ingest = now()::TIMESTAMP WHERE id = ? AND bytes = ?",
            params![
                p.path,
                p.head_len,
                p.head_hash,
                p.bytes,
                p.lines,
                p.events,
                p.ignored,
                p.rejected,
                p.mark_len,
                p.mark_hash,
                dev,
                inode,
                p.cursor,
                p.year_anchor,
                p.id,
                p.committed_bytes
            ],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict { path: p.path.clone() });
        }
        return Ok(());
    }
    if let Some(f) = p.file {
        // Another writer (the daemon's follower, a cron `ingest`) may have started this very
        // file since we looked it up: then it is theirs, and we must not store it twice.
        let mut stmt = conn.prepare(&format!("{SELECT} WHERE dev = ? AND inode = ?"))?;
        let taken = stmt
            .query_map(params![f.dev, f.inode], read)?
            .collect::<duckdb::Result<Vec<_>>>()?
            .iter()
            .any(|r| InputProgress::head_matches(r.head_len, r.head_hash, &p.head));
        if taken {
            return Err(StoreError::Conflict { path: p.path.clone() });
        }
    }
    conn.execute(
        "INSERT INTO inputs (id, path, format, head_len, head_hash, bytes, lines, events, ignored, rejected, \
         mark_len, mark_hash, dev, inode, cursor, year_anchor, first_ingest, last_ingest) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)",
        params![
            p.id,
            p.path,
            p.format,
            p.head_len,
            p.head_hash,
            p.bytes,
            p.lines,
            p.events,
            p.ignored,
            p.rejected,
            p.mark_len,
            p.mark_hash,
            dev,
            inode,
            p.cursor,
            p.year_anchor
        ],
    )?;
    Ok(())
}

const SELECT: &str = "SELECT id, path, format, head_len, head_hash, bytes, lines, events, ignored, rejected, \
     mark_len, mark_hash, dev, inode, cursor, year_anchor FROM inputs";

fn read(r: &duckdb::Row<'_>) -> duckdb::Result<InputRecord> {
    let dev: Option<u64> = r.get(12)?;
    let inode: Option<u64> = r.get(13)?;
    Ok(InputRecord {
        id: r.get(0)?,
        path: r.get(1)?,
        format: r.get(2)?,
        head_len: r.get(3)?,
        head_hash: r.get(4)?,
        bytes: r.get(5)?,
        lines: r.get(6)?,
        events: r.get(7)?,
        ignored: r.get(8)?,
        rejected: r.get(9)?,
        mark_len: r.get::<_, Option<u64>>(10)?.unwrap_or(0),
        mark_hash: r.get::<_, Option<u64>>(11)?.unwrap_or(0),
        file: dev.zip(inode).map(|(dev, inode)| FileId { dev, inode }),
        cursor: r.get(14)?,
        year_anchor: r.get(15)?,
    })
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<InputRecord>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], read)?;
    Ok(rows.collect::<duckdb::Result<Vec<_>>>()?)
}

/// Every recorded input whose identity window is a prefix of `head`, furthest first.
pub(crate) fn candidates(conn: &Connection, head: &[u8]) -> Result<Vec<InputRecord>> {
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE head_len > 0 AND head_len <= ? ORDER BY bytes DESC, id"))?;
    let rows = stmt.query_map([head.len() as u64], read)?;
    let mut out = Vec::new();
    for rec in rows {
        let rec = rec?;
        if InputProgress::head_matches(rec.head_len, rec.head_hash, head) {
            out.push(rec);
        }
    }
    Ok(out)
}

/// The input recorded under `path` with an empty head: a source that is not a byte stream with
/// a first line of its own (the journal, a syslog listener).
pub(crate) fn by_name(conn: &Connection, path: &str) -> Result<Option<InputRecord>> {
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE head_len = 0 AND path = ? ORDER BY id DESC LIMIT 1"))?;
    Ok(stmt.query_row([path], read).optional()?)
}

/// Picks the input a stream continues by its head alone (streams that are not plain files:
/// stdin, compressed files): prefer the record last read from `path`, then the furthest.
pub fn pick_by_head(candidates: Vec<InputRecord>, path: &str) -> Option<InputRecord> {
    let mut best: Option<InputRecord> = None;
    for rec in candidates {
        let better = match &best {
            None => true,
            Some(b) => rec.path == path && b.path != path,
        };
        if better {
            best = Some(rec);
        }
    }
    best
}
