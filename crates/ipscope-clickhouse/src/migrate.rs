//! The cluster's side of `ipscope migrate`: copying an embedded store's events, inputs and
//! enrichment into the cluster, exactly once and resumably.
//!
//! The events of one embedded input go in as batches through [`Cluster::commit_batch`] (the
//! ingest path: `started` → rows with the attempt id → one `committed` ledger row), one batch
//! per run of UTC days of the input's events (up to a number of events), or per time slice of
//! a busier day. The batches of one
//! input are disjoint, increasing time intervals `[from, until)`; every `committed` row but the
//! input's last says how far the copy got, in a [`Migration`] record:
//!
//! ```text
//! path      = "ipscope migrate: /var/log/auth.log (input 3 of /data/ipscope.duckdb), in progress"
//! head_len  = 0, head_hash = 0, mark = 0, dev/inode = NULL, year_anchor = NULL
//! bytes     = events = the events copied so far; lines = ignored = rejected = 0
//! cursor    = {"migrate":{"input":3,"first_ingest_us":…,"head_len":…,"head_hash":…},
//!              "source":"/data/ipscope.duckdb","done_until_us":…,"copied":…}
//! ```
//!
//! The last batch's `committed` row carries the embedded input's own progress instead (path,
//! format, head, bytes, lines, counters, mark, dev/inode, cursor, year anchor): from that
//! instant on the cluster holds the input as the embedded store did.
//!
//! **Why exactly once.** Readers see a batch's rows iff its `committed` row exists, and that row
//! says, in the same instant, that every event of the input before `done_until_us` is copied
//! (or, for the last batch, that all of them are). A re-run reads the latest committed record
//! of each input: a [`Migration`] record resumes at its `done_until_us` (the rows of attempts
//! that never committed are deleted by [`Cluster::recover_input`] first, and were invisible
//! meanwhile); the embedded input's own progress means the input is done. Intervals never
//! overlap, so no event is copied twice; they cover the input's whole time line, so none is
//! left out. Before resuming, the copied count is checked against the embedded store's events
//! before `done_until_us` (an embedded store changed meanwhile is an error, not a silent gap).
//!
//! **Why an intermediate record never looks like an input's progress to `ingest`.** `ingest`
//! finds the input a stream continues by its head (`find_inputs`: records with `head_len > 0`
//! whose hash matches the stream's first bytes) or, for a source without a head, by name
//! (`find_named_input`: `head_len = 0` and `path` equal to `journal:…` or `syslog-…:…`). A
//! migration record has `head_len = 0`, so no head matches it, and its path starts with
//! `ipscope migrate: `, which no source name does. So while an input is being copied, an
//! ingest of its log finds nothing to resume (it would read the log as new: run one writer at a
//! time, as for any ingest), and it never resumes from a half-copied input's counters. Its
//! `events` count the copied events, so `SELECT count() FROM events` equals the ledger's sum
//! of `events` at every moment, as it does for ingest.

use std::collections::HashSet;

use duckdb::arrow::array::{Array, AsArray, BooleanArray};
use duckdb::arrow::compute::filter_record_batch;
use duckdb::arrow::datatypes::{DataType, TimeUnit};
use ipscope_store::{InputProgress, InputRecord, RecordBatch};
use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::{Error, Result};

/// How every migration record's `path` starts.
pub const MARKER: &str = "ipscope migrate: ";

/// Which embedded input a migration copies: its id, when it was first ingested, its head. The
/// embedded store's file name is not part of it (a data directory may move between runs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceKey {
    /// The embedded input's id; `None` for the events of no recorded input.
    pub input: Option<i32>,
    pub first_ingest_us: i64,
    pub head_len: u64,
    pub head_hash: u64,
}

/// The state of one input's copy, as its intermediate ledger records carry it (see the module
/// documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    pub migrate: SourceKey,
    /// The embedded store it comes from (for people reading `status`).
    pub source: String,
    /// Every event of the input before this time (µs) is copied; `i64::MIN`: none yet.
    pub done_until_us: i64,
    /// Events copied so far.
    pub copied: u64,
}

impl Migration {
    /// A copy that has not started.
    pub fn new(key: SourceKey, source: &str) -> Migration {
        Migration { migrate: key, source: source.to_owned(), done_until_us: i64::MIN, copied: 0 }
    }

    /// The migration state of a cluster input, when its latest committed record is one.
    pub fn of_record(rec: &InputRecord) -> Option<Migration> {
        if rec.head_len != 0 || !rec.path.starts_with(MARKER) {
            return None;
        }
        serde_json::from_str(rec.cursor.as_deref()?).ok()
    }

    /// The record committed with an intermediate batch of cluster input `id` (see the module
    /// documentation for why no ingest can take it for a log's progress). `what` names the
    /// input for people (its path in the embedded store). `committed` is what the ledger holds
    /// for the input before this batch (`None`: nothing yet).
    pub fn progress(&self, id: i32, what: &str, format: &str, committed: Option<u64>) -> InputProgress {
        let key = &self.migrate;
        let input = key.input.map_or_else(|| "no input".to_owned(), |i| format!("input {i}"));
        InputProgress {
            id,
            recorded: committed.is_some(),
            committed_bytes: committed.unwrap_or(0),
            path: format!("{MARKER}{what} ({input} of {}), in progress", self.source),
            format: format.to_owned(),
            bytes: self.copied,
            events: self.copied,
            // Serializing plain numbers and strings cannot fail.
            cursor: serde_json::to_string(self).ok(),
            ..InputProgress::default()
        }
    }
}

/// `'text'` with quotes and backslashes escaped for ClickHouse.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl Cluster {
    /// Deletes the rows left by inputs that never committed a batch: a writer killed between
    /// allocating a new input's id and its first commit leaves a `started` attempt (and maybe
    /// its rows, invisible) under an id nobody resumes, since ids are never reused. Like
    /// [`Cluster::recover_input`], only for a single writer: `migrate` runs it first. Returns
    /// how many inputs it cleaned.
    pub fn recover_abandoned_inputs(&self) -> Result<usize> {
        let text = self.query_text(&format!(
            "SELECT input_id FROM {db}.ledger WHERE input_id NOT IN (SELECT input_id FROM {committed}) \
             GROUP BY input_id HAVING countIf(state = 'cleaned') < uniqExact(batch_id)",
            db = self.db(),
            committed = crate::schema::committed_rows(self.db())
        ))?;
        let ids: Vec<i32> = text.lines().map(|l| self.number(l)).collect::<Result<_>>()?;
        for &id in &ids {
            self.recover_input(id)?;
        }
        Ok(ids.len())
    }

    /// Cleans up input `input_id`'s attempts that did not commit ([`Cluster::recover_input`])
    /// and returns its latest committed record after that: where a copy resumes. (Read after
    /// the recovery, so a killed run's `committed` row still on the wire either counted before
    /// it or never will: the state resumed from and the ledger's agree.)
    pub fn recovered_input(&self, input_id: i32) -> Result<Option<InputRecord>> {
        self.recover_input(input_id)?;
        Ok(self.inputs()?.into_iter().find(|r| r.id == input_id))
    }

    /// Committed events of one input (what its batches copied).
    pub fn input_event_count(&self, input_id: i32) -> Result<u64> {
        let text = self.query_text(&format!("SELECT count() FROM {}.events WHERE input_id = {input_id}", self.db()))?;
        self.number(&text)
    }

    /// Stores the address rows (the embedded `addresses` columns, `ip` from `lo` up to `hi`)
    /// the cluster does not hold yet: a row is there when an address has a row enriched in the
    /// same second (the cluster keeps whole seconds). So a re-run, or a run after one killed
    /// halfway, adds only what is missing, and addresses the cluster had before keep their
    /// rows (`addresses_latest` shows each address's latest enrichment). Returns the rows added.
    pub fn insert_missing_addresses(&self, rows: &RecordBatch, lo: &str, hi: Option<&str>) -> Result<u64> {
        if rows.num_rows() == 0 {
            return Ok(0);
        }
        let upper = hi.map_or_else(String::new, |h| format!(" AND ip < {}", quote(h)));
        let text = self.query_text(&format!(
            "SELECT ip, toUInt32(enriched_at) FROM {}.addresses WHERE ip >= {}{upper}",
            self.db(),
            quote(lo)
        ))?;
        let mut have: HashSet<(String, u32)> = HashSet::new();
        for line in text.lines() {
            let mut f = line.split('\t');
            if let (Some(ip), Some(at)) = (f.next(), f.next()) {
                have.insert((ip.to_owned(), self.number(at)?));
            }
        }
        let bad = |why: String| Error::Batch(format!("addresses: {why}"));
        let ips = rows
            .column_by_name("ip")
            .and_then(|a| a.as_string_opt::<i32>())
            .ok_or_else(|| bad("no text column ip".to_owned()))?;
        let at = rows.column_by_name("enriched_at").ok_or_else(|| bad("no column enriched_at".to_owned()))?;
        if !matches!(at.data_type(), DataType::Timestamp(TimeUnit::Microsecond, _)) {
            return Err(bad(format!("enriched_at is {}", at.data_type())));
        }
        let at = at.as_primitive::<duckdb::arrow::datatypes::TimestampMicrosecondType>();
        let keep: BooleanArray = (0..rows.num_rows())
            .map(|i| {
                let secs = crate::rowbinary::split_micros(at.value(i)).map_or(0, |(s, _)| s);
                Some(!have.contains(&(ips.value(i).to_owned(), secs)))
            })
            .collect();
        let missing = filter_record_batch(rows, &keep).map_err(|e| bad(e.to_string()))?;
        if missing.num_rows() > 0 {
            self.insert_addresses(&missing)?;
        }
        Ok(missing.num_rows() as u64)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_migration_record_is_found_again_and_matches_no_head_or_name() {
        let key = SourceKey { input: Some(3), first_ingest_us: 1_700_000_000_000_000, head_len: 4096, head_hash: 77 };
        let mut m = Migration::new(key, "/data/ipscope.duckdb");
        m.done_until_us = 1_700_086_400_000_000;
        m.copied = 1234;
        let p = m.progress(9, "/var/log/auth.log", "sshd", Some(1000));
        assert!(p.recorded && p.committed_bytes == 1000 && p.bytes == 1234 && p.events == 1234);
        assert_eq!(p.head_len, 0);
        assert!(p.path.starts_with(MARKER) && p.path.contains("input 3 of /data/ipscope.duckdb"), "{}", p.path);
        let rec = InputRecord {
            id: p.id,
            path: p.path.clone(),
            format: p.format.clone(),
            head_len: p.head_len,
            head_hash: p.head_hash,
            bytes: p.bytes,
            lines: p.lines,
            events: p.events,
            ignored: 0,
            rejected: 0,
            mark_len: 0,
            mark_hash: 0,
            file: None,
            cursor: p.cursor.clone(),
            year_anchor: None,
        };
        assert_eq!(Migration::of_record(&rec), Some(m));
        // No stream's head matches it; a real input's record is no migration.
        assert!(!InputProgress::head_matches(rec.head_len, rec.head_hash, b"any log\n"));
        let real = InputRecord { path: "/var/log/auth.log".into(), head_len: 10, cursor: None, ..rec };
        assert_eq!(Migration::of_record(&real), None);
    }

    #[test]
    fn quotes_are_escaped() {
        assert_eq!(quote(r"a'b\c"), r"'a\'b\\c'");
    }
}
