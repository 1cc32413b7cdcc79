//! The store as the rest of the program sees it: two small traits.
//!
//! [`Query`] is what reports need (SQL in, a [`Table`] out). [`Backend`] adds what ingest,
//! purge and enrichment need. [`Store`] (the embedded DuckDB file) implements both; so does the
//! client of a running `ipscope serve` (in the binary), which owns the file while it runs, and
//! `ipscope-clickhouse`'s `Cluster`. Nothing outside this crate names DuckDB types.

use std::net::IpAddr;
use std::path::PathBuf;

use duckdb::arrow::record_batch::RecordBatch;
use ipscope_event::Micros;

use crate::{
    AddressBatch, EventBatch, InputProgress, InputRecord, PtrRecord, PurgeOutcome, Result, Store, Table, ledger,
};

/// The SQL engine behind a [`Query`]: reports render their SQL for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// The embedded DuckDB file (also behind the daemon's API).
    #[default]
    DuckDb,
    /// A ClickHouse cluster (`ipscope-clickhouse`).
    ClickHouse,
}

/// Read-only SQL.
pub trait Query {
    /// The engine the SQL runs on (no default: a wrapper must say, or forward, which).
    fn engine(&self) -> Engine;
    /// Runs SQL the program wrote (reports) and collects the whole result.
    fn query(&self, sql: &str) -> Result<Table>;
    /// Runs SQL a user typed: refused unless read-only (see [`Store::query_user`]).
    fn query_user(&self, sql: &str) -> Result<Table>;
    /// Runs SQL the program wrote and returns Arrow record batches (`export`).
    fn query_arrow(&self, sql: &str) -> Result<Vec<RecordBatch>>;
}

/// Everything ingest, purge, enrichment and `status` do with a store.
pub trait Backend: Query {
    /// The database file, when there is one on this machine.
    fn path(&self) -> Option<PathBuf>;
    /// Recorded inputs whose identity window is a prefix of `head` (a stream's first bytes),
    /// furthest first. The caller decides which one the stream continues.
    fn find_inputs(&self, head: &[u8]) -> Result<Vec<InputRecord>>;
    /// The input recorded under `name` with no head (the journal, a syslog listener).
    fn find_named_input(&self, name: &str) -> Result<Option<InputRecord>>;
    /// Allocates the id of a new input.
    fn new_input_id(&mut self) -> Result<i32>;
    /// Stores a batch and the input's progress in one transaction (see [`Store::commit_batch`]).
    fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> Result<()>;
    /// Every enriched address.
    fn enriched_addresses(&self) -> Result<Vec<IpAddr>>;
    /// Every distinct source address of the stored events.
    fn source_addresses(&self) -> Result<Vec<IpAddr>>;
    /// Stores enrichment results; with `replace`, instead of the whole `addresses` table.
    fn store_addresses(&mut self, batches: Vec<AddressBatch>, replace: bool) -> Result<u64>;
    fn event_count(&self) -> Result<u64>;
    fn inputs(&self) -> Result<Vec<InputRecord>>;
    /// Deletes events older than `cutoff`; with `commit = false` only counts them.
    fn purge(&mut self, cutoff: Micros, commit: bool) -> Result<PurgeOutcome>;
    /// Writes pending changes to the database file.
    fn checkpoint(&mut self) -> Result<()>;
    /// Replaces cached reverse DNS answers (see [`Store::store_ptrs`]).
    fn store_ptrs(&mut self, rows: Vec<PtrRecord>) -> Result<()>;
}

impl Query for Store {
    fn engine(&self) -> Engine {
        Engine::DuckDb
    }
    fn query(&self, sql: &str) -> Result<Table> {
        Store::query(self, sql)
    }
    fn query_user(&self, sql: &str) -> Result<Table> {
        Store::query_user(self, sql)
    }
    fn query_arrow(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        Store::query_arrow(self, sql)
    }
}

impl Backend for Store {
    fn path(&self) -> Option<PathBuf> {
        Store::path(self).map(ToOwned::to_owned)
    }
    fn find_inputs(&self, head: &[u8]) -> Result<Vec<InputRecord>> {
        ledger::candidates(&self.conn, head).map_err(|e| self.fault(e))
    }
    fn find_named_input(&self, name: &str) -> Result<Option<InputRecord>> {
        ledger::by_name(&self.conn, name).map_err(|e| self.fault(e))
    }
    fn new_input_id(&mut self) -> Result<i32> {
        Store::new_input_id(self).map_err(|e| self.fault(e))
    }
    fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> Result<()> {
        Store::commit_batch(self, progress, batch)
    }
    fn enriched_addresses(&self) -> Result<Vec<IpAddr>> {
        Store::enriched_addresses(self).map_err(|e| self.fault(e))
    }
    fn source_addresses(&self) -> Result<Vec<IpAddr>> {
        Store::source_addresses(self).map_err(|e| self.fault(e))
    }
    fn store_addresses(&mut self, batches: Vec<AddressBatch>, replace: bool) -> Result<u64> {
        Store::store_addresses(self, batches, replace)
    }
    fn event_count(&self) -> Result<u64> {
        Store::event_count(self)
    }
    fn inputs(&self) -> Result<Vec<InputRecord>> {
        Store::inputs(self).map_err(|e| self.fault(e))
    }
    fn purge(&mut self, cutoff: Micros, commit: bool) -> Result<PurgeOutcome> {
        Store::purge(self, cutoff, commit)
    }
    fn checkpoint(&mut self) -> Result<()> {
        Store::checkpoint(self)
    }
    fn store_ptrs(&mut self, rows: Vec<PtrRecord>) -> Result<()> {
        Store::store_ptrs(self, &rows)
    }
}
