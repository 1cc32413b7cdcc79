//! The ledger of ingested inputs (`inputs` table).
//!
//! An input is identified by its content, not its name: the xxh3 hash of its first
//! `head_len` bytes, where `head_len = min(bytes consumed, HEAD_BYTES)`. Re-reading a stream
//! whose head matches a recorded input resumes after the recorded `bytes`; a rotated or
//! renamed file is therefore recognised, and a grown file contributes only its new tail.

use duckdb::{Connection, params};

use crate::Result;

/// How many leading bytes identify an input. Large enough that two different logs almost never
/// share it (timestamps and pids differ within the first lines), small enough to hold in memory.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The identity hash of a stream's head.
pub fn head_hash(head: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(head)
}

/// A recorded input.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The year of its first year-less line, when it was decided from the input's tail.
    pub year_anchor: Option<i32>,
}

/// Progress of one input, as committed with each batch. Counters are totals over the input's
/// whole life, not per batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputProgress {
    /// The input's id (allocated with `Store::new_input_id` before its first batch).
    pub id: i32,
    /// Whether its ledger row exists (false until the first batch is committed).
    pub recorded: bool,
    pub path: String,
    pub format: String,
    pub head_len: u64,
    pub head_hash: u64,
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub ignored: u64,
    pub rejected: u64,
    /// The year of its first year-less line (see [`InputRecord::year_anchor`]).
    pub year_anchor: Option<i32>,
}

impl InputProgress {
    /// Continues a recorded input.
    pub fn resume(rec: &InputRecord, path: &str) -> Self {
        InputProgress {
            id: rec.id,
            recorded: true,
            path: path.to_owned(),
            format: rec.format.clone(),
            head_len: rec.head_len,
            head_hash: rec.head_hash,
            bytes: rec.bytes,
            lines: rec.lines,
            events: rec.events,
            ignored: rec.ignored,
            rejected: rec.rejected,
            year_anchor: rec.year_anchor,
        }
    }

    /// Sets the identity from the stream's head, covering `min(bytes, HEAD_BYTES)` bytes.
    pub fn set_head(&mut self, head: &[u8]) {
        let len = (self.bytes as usize).min(HEAD_BYTES).min(head.len());
        self.head_len = len as u64;
        self.head_hash = head_hash(&head[..len]);
    }
}

pub(crate) fn upsert(conn: &Connection, p: &InputProgress) -> Result<()> {
    let id = p.id;
    match p.recorded {
        true => {
            conn.execute(
                "UPDATE inputs SET path = ?, head_len = ?, head_hash = ?, bytes = ?, lines = ?, events = ?, \
                 ignored = ?, rejected = ?, year_anchor = ?, last_ingest = now()::TIMESTAMP WHERE id = ?",
                params![
                    p.path,
                    p.head_len,
                    p.head_hash,
                    p.bytes,
                    p.lines,
                    p.events,
                    p.ignored,
                    p.rejected,
                    p.year_anchor,
                    id
                ],
            )?;
        }
        false => {
            conn.execute(
                "INSERT INTO inputs (id, path, format, head_len, head_hash, bytes, lines, events, ignored, rejected, \
                 year_anchor, first_ingest, last_ingest) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)",
                params![
                    id,
                    p.path,
                    p.format,
                    p.head_len,
                    p.head_hash,
                    p.bytes,
                    p.lines,
                    p.events,
                    p.ignored,
                    p.rejected,
                    p.year_anchor
                ],
            )?;
        }
    }
    Ok(())
}

const SELECT: &str =
    "SELECT id, path, format, head_len, head_hash, bytes, lines, events, ignored, rejected, year_anchor FROM inputs";

fn read(r: &duckdb::Row<'_>) -> duckdb::Result<InputRecord> {
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
        year_anchor: r.get(10)?,
    })
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<InputRecord>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], read)?;
    Ok(rows.collect::<duckdb::Result<Vec<_>>>()?)
}

pub(crate) fn find(conn: &Connection, head: &[u8], path: &str) -> Result<Option<InputRecord>> {
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE head_len > 0 AND head_len <= ? ORDER BY bytes DESC, id"))?;
    let rows = stmt.query_map([head.len() as u64], read)?;
    let mut best: Option<InputRecord> = None;
    for rec in rows {
        let rec = rec?;
        let len = rec.head_len as usize;
        if head_hash(&head[..len]) != rec.head_hash {
            continue;
        }
        let better = match &best {
            None => true,
            // Same content recorded twice cannot happen through ingest, but prefer the
            // record last read from this path, then the one that got furthest.
            Some(b) => rec.path == path && b.path != path,
        };
        if better {
            best = Some(rec);
        }
    }
    Ok(best)
}
