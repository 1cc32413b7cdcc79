//! The store: one DuckDB database file in the data directory.
//!
//! **Architecture Invariant**: only this crate writes under the data directory, and every
//! write of events goes through [`Store::commit_batch`], which records the input's progress in
//! the same transaction as its rows. That is what makes ingest idempotent and crash-safe:
//! after a crash the ledger and the rows agree, and the next ingest resumes where the last
//! committed batch ended.
//!
//! The rest of the program sees this crate through a small surface — open, commit a batch,
//! query into a [`Table`], purge — so that a daemon owning the file (the roadmap's `serve`) or
//! a ClickHouse backend stays a local change.

mod append;
mod backend;
pub mod export;
mod fault;
mod ledger;
pub mod owner;
pub mod rollup;
mod scan;
mod schema;
mod table;
pub mod wire;

use std::cell::Cell;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use duckdb::types::{TimeUnit, ValueRef};
use duckdb::{AccessMode, Config, Connection};
use ipscope_event::{Event, Micros};

pub use append::{
    AddressBatch, BLOCK_ROWS, ChunkBuilder, EventBatch, finish as finish_batch, ip_number, prepare as prepare_batch,
    prepare_addresses, prepare_chunk,
};
pub use backend::{Backend, Engine, Query};
pub use duckdb::arrow::record_batch::RecordBatch;
pub use fault::locked_by;
pub use ledger::{FileId, HEAD_BYTES, InputProgress, InputRecord, head_hash, pick_by_head};
pub use rollup::Rollup;
pub use schema::GEO_COLUMNS;
pub use table::{Table, Value, format_date, format_float, format_timestamp};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "ipscope.duckdb";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("no database at {0} yet (ingest something first)")]
    Missing(PathBuf),
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: duckdb::Error },
    #[error("database {path} has schema version {found}, newer than this ipscope knows ({known}); upgrade ipscope")]
    TooNew { path: PathBuf, found: i32, known: i32 },
    #[error("migration to schema version {version} failed: {source}")]
    Migration { version: i32, source: duckdb::Error },
    #[error("query failed: {source}")]
    Query { source: duckdb::Error },
    #[error("cannot read the result of {0:?} as values or as text")]
    Unreadable(String),
    #[error(
        "only read-only queries are allowed here: SELECT, WITH ... SELECT, FROM ..., VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN (for PRAGMA x use SELECT * FROM pragma_x(...))"
    )]
    NotReadOnly,
    #[error("{path}: another writer stored part of this input meanwhile (the daemon follows it?)")]
    Conflict { path: String },
    #[error("ipscope daemon: {0}")]
    Remote(String),
    /// An error of another storage backend (the ClickHouse cluster), its own message.
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    #[error("bad batch encoding: {0}")]
    Wire(String),
    #[error("cannot convert events to a batch: {0}")]
    Batch(#[from] duckdb::arrow::error::ArrowError),
    #[error("database error: {0}")]
    Db(#[from] duckdb::Error),
    #[error(
        "no space left on the file system holding the data directory {dir} ({detail}); the batch being written was not stored: free space and run the command again (an ingest resumes after its last stored batch)"
    )]
    DiskFull { dir: PathBuf, detail: String },
    #[error("the data directory {dir} is not writable ({detail}); nothing was written")]
    NotWritable { dir: PathBuf, detail: String },
    #[error("{path}: permission denied ({detail}); run as the user that owns the data directory, or pass --data DIR")]
    Permission { path: PathBuf, detail: String },
    #[error(
        "the database {path} is in use by another process{holder}: one process at a time may write it (a running `ipscope serve` lets every command share it)"
    )]
    Locked { path: PathBuf, holder: String },
    #[error(
        "the database {path} is damaged ({detail}); restore it from a backup, or move it away (e.g. to {path}.damaged) and ingest the logs again: ipscope then creates a new store"
    )]
    Damaged { path: PathBuf, detail: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A reverse DNS answer for the cache (`ptr_cache`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PtrRecord {
    /// Canonical address text.
    pub ip: String,
    pub name: Option<String>,
    /// `ok` or `none`.
    pub status: String,
    pub resolved_at: Micros,
    pub expires_at: Micros,
}

/// What a purge removed (or would remove, on a dry run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PurgeOutcome {
    pub events: u64,
    pub committed: bool,
}

pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    /// The event tables this connection last named in the `events` view (`None` until its first
    /// commit, which names the tables holding events; see [`schema::events_view`]).
    viewed: Option<Vec<&'static str>>,
    /// The hours commits since the last compaction split (see [`Store::compact_rollups`]).
    rollup_dirty: rollup::Dirty,
    /// Events committed since the database was opened, when this store reopens it now and then
    /// (`None`: never; see [`Store::tune_for_ingest`]).
    since_open: Cell<Option<u64>>,
    /// Events between reopenings, and how long one waits for another process that took the
    /// file meanwhile.
    reopen_every: u64,
    lock_wait: Duration,
    /// Times this store reopened the database.
    reopened: u64,
}

/// See [`Store::tune_for_ingest`].
const INGEST_SETTINGS: &str = "SET threads = 1; SET memory_limit = '48MB'";

/// Events an ingest commits between two reopenings of the database (see
/// [`Store::tune_for_ingest`]): ~65 batches of a row group.
pub const REOPEN_EVERY: u64 = 8_000_000;

/// Commits between compactions of the rollup rows they appended, in the hours several commits
/// appended to (`rollup::Dirty`): a live stream commits every second or so into the same hour,
/// each adding a row per active key; a time-ordered bulk ingest, once or twice an hour.
const COMPACT_EVERY: u32 = 64;

impl Store {
    fn with(conn: Connection, path: Option<PathBuf>) -> Store {
        Store {
            conn,
            path,
            viewed: None,
            rollup_dirty: rollup::Dirty::default(),
            since_open: Cell::new(None),
            reopen_every: REOPEN_EVERY,
            lock_wait: Duration::ZERO,
            reopened: 0,
        }
    }

    /// Opens (creating if needed) the database in `data_dir` for reading and writing, and
    /// brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join(DB_FILE);
        Store::open_inner(data_dir, &path).map_err(|e| fault::classify(e, Some(&path)))
    }

    /// Creates a database in `data_dir` at schema `version` only: what an older ipscope left
    /// behind, for the migration tests. The next [`Store::open`] migrates it.
    #[doc(hidden)]
    pub fn create_at_version(data_dir: &Path, version: i32) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })?;
        let path = data_dir.join(DB_FILE);
        let store = Store::with(connect(&path)?, Some(path));
        let current = store.schema_version()?;
        store.migrate_to(current, version)?;
        Ok(store)
    }

    fn open_inner(data_dir: &Path, path: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|source| match source.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem => {
                StoreError::NotWritable { dir: data_dir.to_owned(), detail: source.to_string() }
            }
            _ => StoreError::CreateDir { path: data_dir.to_owned(), source },
        })?;
        if !path.exists() {
            create_whole(data_dir, path)?;
        }
        let store = Store::with(connect(path)?, Some(path.to_owned()));
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database read-only (for `sql` and reports: several readers may run
    /// at once, and nothing a query does can change the data).
    pub fn open_read_only(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join(DB_FILE);
        if !path.exists() {
            return Err(StoreError::Missing(path));
        }
        let config = base_config()
            .and_then(|c| c.access_mode(AccessMode::ReadOnly))
            .map_err(|source| StoreError::Open { path: path.clone(), source })?;
        let conn = Connection::open_with_flags(&path, config)
            .map_err(|source| fault::classify(StoreError::Open { path: path.clone(), source }, Some(&path)))?;
        let store = Store::with(conn, Some(path));
        if store.check_version().map_err(|e| store.fault(e))? < schema::latest_version() {
            // A store written by an older ipscope: bring it up to date once (a short read-write
            // open), so reports never meet a missing table.
            drop(store);
            drop(Store::open(data_dir)?);
            return Store::open_read_only(data_dir);
        }
        Ok(store)
    }

    /// A fresh in-memory store (tests, benchmarks, `demo`).
    pub fn open_in_memory() -> Result<Store> {
        let conn = base_config()
            .and_then(Connection::open_in_memory_with_flags)
            .and_then(with_batch_scan)
            .map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
        let store = Store::with(conn, None);
        store.migrate()?;
        Ok(store)
    }

    /// The database file, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Another connection to the same database, for reading while this one writes (the
    /// daemon's report and API requests). DuckDB gives each connection a consistent snapshot.
    pub fn reader(&self) -> Result<Store> {
        // Reopening closes the database, which a reader shares: no more of it.
        self.since_open.set(None);
        Ok(Store::with(self.conn.try_clone()?, self.path.clone()))
    }

    /// Runs a query typed by a user (`ipscope sql`, the API): refused unless DuckDB parses it as
    /// read-only statements (SELECT in any of its forms). Reading or writing files (`read_csv`,
    /// `COPY`, `ATTACH`, `INSTALL`) is refused by the database itself: every store is opened
    /// with external access disabled.
    pub fn query_user(&self, sql: &str) -> Result<Table> {
        self.check_read_only(sql).and_then(|()| self.query(sql)).map_err(|e| self.fault(e))
    }

    /// Refuses SQL that DuckDB does not parse as read-only statements (see [`Store::query_user`]).
    pub fn check_read_only(&self, sql: &str) -> Result<()> {
        // `EXPLAIN [ANALYZE] q` is as read-only as `q`.
        let inner = strip_explain(sql);
        // DuckDB serializes only SELECT statements (DESCRIBE, SHOW and SUMMARIZE are SELECTs
        // to it); anything else comes back as an error object.
        let check: String = self
            .conn
            .query_row("SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", [inner], |r| r.get(0))
            .map_err(|source| StoreError::Query { source })?;
        let parsed: serde_json::Value = serde_json::from_str(&check).unwrap_or(serde_json::Value::Null);
        if parsed.get("error").and_then(serde_json::Value::as_bool) == Some(true) {
            let msg = parsed.get("error_message").and_then(serde_json::Value::as_str).unwrap_or_default();
            if msg.contains("Only SELECT") {
                return Err(StoreError::NotReadOnly);
            }
            // A syntax error: let the query itself report it, with DuckDB's position marker.
        }
        Ok(())
    }

    /// Runs a query and returns its result as Arrow record batches (for `export`: columns of
    /// any width travel without a [`Value`] per cell).
    pub fn query_arrow(&self, sql: &str) -> Result<Vec<duckdb::arrow::record_batch::RecordBatch>> {
        let mut stmt = self.conn.prepare(sql).map_err(|source| StoreError::Query { source })?;
        let batches = stmt.query_arrow([]).map_err(|source| StoreError::Query { source })?.collect();
        Ok(batches)
    }

    fn schema_version(&self) -> Result<i32> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)",
        )?;
        let v: Option<i32> = self.conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0))?;
        Ok(v.unwrap_or(0))
    }

    /// The store's schema version; an error if it is newer than this build knows.
    fn check_version(&self) -> Result<i32> {
        let found: Option<i32> =
            self.conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0)).unwrap_or(None);
        let found = found.unwrap_or(0);
        if found > schema::latest_version() {
            return Err(StoreError::TooNew {
                path: self.path.clone().unwrap_or_default(),
                found,
                known: schema::latest_version(),
            });
        }
        Ok(found)
    }

    fn migrate(&self) -> Result<()> {
        let (current, latest) = (self.schema_version()?, schema::latest_version());
        if current > latest {
            return Err(StoreError::TooNew {
                path: self.path.clone().unwrap_or_default(),
                found: current,
                known: latest,
            });
        }
        // A store of an older ipscope (not a new one): say why this first open takes a while
        // (schema 8 rewrites every event table: 3.3 s for 7.9 M events, 2 cores).
        let upgrade = (current > 0 && current < latest)
            .then(|| self.path.as_deref().map(|p| p.display().to_string()).unwrap_or_default());
        if let Some(path) = &upgrade {
            tracing::warn!("upgrading {path} from schema {current} to {latest}, once (a large store takes a while)");
        }
        let start = std::time::Instant::now();
        self.migrate_to(current, latest)?;
        if let Some(path) = &upgrade {
            tracing::warn!("upgraded {path} to schema {latest} in {:.1} s", start.elapsed().as_secs_f64());
        }
        Ok(())
    }

    /// The event tables that hold at least one event, in the order of `schema::event_tables`.
    fn tables_holding_events(&self) -> duckdb::Result<Vec<&'static str>> {
        let mut held = Vec::new();
        for table in schema::event_tables() {
            let any: bool = self.conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), [], |r| r.get(0))?;
            if any {
                held.push(table);
            }
        }
        Ok(held)
    }

    /// Applies the migrations after `current` up to `target`. The last one to the newest schema
    /// also recreates the `events` view, in its transaction: the view is written for the newest
    /// tables (`schema::events_view`), and a migration may have changed their columns.
    fn migrate_to(&self, current: i32, target: i32) -> Result<()> {
        for (version, sql) in schema::migrations().into_iter().filter(|(v, _)| *v > current && *v <= target) {
            let run = || -> duckdb::Result<()> {
                self.conn.execute_batch("BEGIN TRANSACTION")?;
                self.conn.execute_batch(sql)?;
                if version == target && target == schema::latest_version() {
                    self.conn.execute_batch(&schema::events_view(&self.tables_holding_events()?))?;
                }
                self.conn.execute("INSERT INTO schema_migrations VALUES (?, now()::TIMESTAMP)", [&version])?;
                self.conn.execute_batch("COMMIT")
            };
            if let Err(source) = run() {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(StoreError::Migration { version, source });
            }
        }
        Ok(())
    }

    /// Settings for a long ingest on a small machine, measured on 10 M sshd lines (2 cores):
    /// - one DuckDB thread: the parser thread and the store thread already fill both cores, and
    ///   DuckDB's extra thread only contended for them (2.4 M lines: 12.3 s → 10.9 s);
    /// - a 48 MiB memory limit: DuckDB otherwise keeps written blocks cached (up to 80 % of
    ///   RAM), which an append-only ingest never reads again. Peak RSS at 10 M sshd lines with
    ///   the limit at 128 / 96 / 64 / 32 MiB: 446 / 413 / 382 / 350 MiB, the same speed down to
    ///   64 MiB (32 MiB: 5 % slower); every format's 2 M-line ingest ran 0–13 % faster at 64 MiB
    ///   than at 128 (session 8, with jemalloc). 48 against 64 MiB (session 9, paired): 10 M
    ///   sshd lines 355 / 368 MiB at the same speed, ASA and IntelMQ 2 M lines −5 to −8 MiB at
    ///   1.01–1.03× the time, 100 M sshd lines 397 / 411 MiB at 1.015× the time. (Before
    ///   batches went to one table per format, 64 MiB ran out of memory.) Queries that need
    ///   more spill to disk.
    ///
    /// And the store closes and reopens the database every [`REOPEN_EVERY`] events it commits
    /// (unless it gave out a [`Store::reader`]): DuckDB keeps the metadata of every row group
    /// written through a connection in memory while the database stays open, ~0.3–0.45 MiB per
    /// million sshd lines, so an open-ended ingest grew without bound (80 M lines on stdin, no
    /// new address after the first 10 M: anonymous memory 300 → 323 MiB; reopening every 2 M
    /// events it stayed at 287–302 MiB). A reopening costs 0.17–0.34 s (the close checkpoints):
    /// every 2 M events, 100 M sshd lines took 1.04× the time (peak 371 against 392 MiB); every
    /// 8 M, 1.01× (377 MiB), which is what it does. Another process may
    /// take the file in the moment it is closed (a report waiting for it): the store then waits
    /// up to `lock_wait` for it, as the first open did.
    pub fn tune_for_ingest(&mut self, lock_wait: Duration) -> Result<()> {
        self.conn.execute_batch(INGEST_SETTINGS)?;
        if self.path.is_some() {
            self.since_open.set(Some(0));
            self.lock_wait = lock_wait;
        }
        Ok(())
    }

    /// Reopens every `events` instead of [`REOPEN_EVERY`] (tests).
    #[doc(hidden)]
    pub fn reopen_every(&mut self, events: u64) {
        self.reopen_every = events.max(1);
    }

    /// Times the store closed and reopened its database (see [`Store::tune_for_ingest`]).
    pub fn reopened(&self) -> u64 {
        self.reopened
    }

    /// Closes the database and opens it again with the ingest settings, when
    /// [`REOPEN_EVERY`] events were committed since it was opened (see
    /// [`Store::tune_for_ingest`]). Between transactions only: nothing is pending.
    fn reopen_if_due(&mut self) -> Result<()> {
        let Some(since) = self.since_open.get().filter(|n| *n >= self.reopen_every) else { return Ok(()) };
        let Some(path) = self.path.clone() else { return Ok(()) };
        let started = std::time::Instant::now();
        // Closed before it is opened again, since two instances of one file in a process would
        // both write it (the file lock does not keep a process from itself). Meanwhile the store
        // holds an empty in-memory database, where every statement of ours fails (no table): an
        // error here stops the ingest before anything more is written.
        let placeholder = Connection::open_in_memory()?;
        drop(std::mem::replace(&mut self.conn, placeholder));
        let deadline = started + self.lock_wait;
        self.conn = loop {
            match connect(&path).map_err(|e| fault::classify(e, Some(&path))) {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        self.conn.execute_batch(INGEST_SETTINGS)?;
        self.since_open.set(Some(0));
        self.reopened += 1;
        tracing::debug!("reopened the database after {since} events in {:?}", started.elapsed());
        Ok(())
    }

    /// Settings for the daemon: DuckDB's memory limit (`1GB`, `512MB`; checked by the caller
    /// to be a plain size), threads left at DuckDB's default for concurrent reports.
    pub fn tune_for_daemon(&self, memory_limit: &str) -> Result<()> {
        self.conn.execute_batch(&format!("SET memory_limit = '{}'", memory_limit.replace('\'', "")))?;
        Ok(())
    }

    /// Allocates the id of a new input (used to tag its events before its first commit).
    pub fn new_input_id(&self) -> Result<i32> {
        Ok(self.conn.query_row("SELECT nextval('inputs_id_seq')::INTEGER", [], |r| r.get(0))?)
    }

    /// Appends a prepared batch (see [`prepare_batch`]) and records the input's progress, in
    /// one transaction: either both land or neither does. [`StoreError::Conflict`] when another
    /// writer advanced the same input since `progress` was read (nothing is stored then).
    pub fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> Result<()> {
        self.commit_batch_tx(progress, batch).map_err(|e| self.fault(e))
    }

    fn commit_batch_tx(&mut self, progress: &mut InputProgress, batch: EventBatch) -> Result<()> {
        // (A clone of its Arrow arrays' handles, not of the rows.)
        let rollup_rows = batch.rollup.clone();
        let rows = batch.rows as u64;
        self.reopen_if_due()?;
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        let result = self.name_in_view(&batch).and_then(|()| self.commit_batch_inner(progress, batch));
        let result = result.and_then(|()| Ok(self.conn.execute_batch("COMMIT")?));
        match result {
            Ok(()) => {
                if let Some(since) = self.since_open.get() {
                    self.since_open.set(Some(since + rows));
                }
                progress.recorded = true;
                progress.committed_bytes = progress.bytes;
                if let Some(rows) = &rollup_rows {
                    self.rollup_dirty.add(rows);
                }
                if self.rollup_dirty.commits >= COMPACT_EVERY {
                    // The batch is committed whatever happens here; unfolded rows stay correct.
                    if let Err(e) = self.compact_rollups() {
                        tracing::warn!("compacting the rollups: {e}");
                    }
                }
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                // The view's change (if any) went with the transaction.
                self.viewed = None;
                Err(e)
            }
        }
    }

    /// Makes the `events` view name every table `batch` appends to, in the same transaction.
    /// The first commit after opening sets it to the tables that hold events (plus this batch's).
    fn name_in_view(&mut self, batch: &EventBatch) -> Result<()> {
        let fresh = self.viewed.is_none();
        let mut tables = match self.viewed.take() {
            Some(tables) => tables,
            None => self.tables_holding_events()?,
        };
        let before = tables.len();
        for chunk in &batch.chunks {
            let table = append::table_of(chunk);
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        if fresh || tables.len() != before {
            // In the order of `event_tables`, whatever order the formats came in.
            let ordered: Vec<&'static str> = schema::event_tables().filter(|t| tables.contains(t)).collect();
            self.conn.execute_batch(&schema::events_view(&ordered))?;
            tables = ordered;
        }
        self.viewed = Some(tables);
        Ok(())
    }

    fn commit_batch_inner(&self, progress: &InputProgress, batch: EventBatch) -> Result<()> {
        ledger::upsert(&self.conn, progress)?;
        for chunk in batch.chunks {
            self.append_events(chunk)?;
        }
        if let Some(a) = batch.addresses {
            self.append_addresses(a)?;
        }
        if let Some(rows) = batch.rollup {
            self.append(rollup::TABLE, rows)?;
        }
        Ok(())
    }

    /// Folds the partial rollup rows that commits of this connection appended into one row per
    /// key, in the hours three or more of those commits appended to (in one transaction). The store does it
    /// every 64 commits (`COMPACT_EVERY`) and at [`Store::checkpoint`]. Reports sum the rows either
    /// way: this only keeps them few.
    pub fn compact_rollups(&mut self) -> Result<()> {
        let Some(hours) = self.rollup_dirty.take_fold() else { return Ok(()) };
        self.compact_where(&hours).map_err(|e| self.fault(e))
    }

    fn compact_where(&self, hours: &str) -> Result<()> {
        let run = || -> Result<()> {
            self.conn.execute_batch("BEGIN TRANSACTION")?;
            self.conn.execute_batch(&rollup::compact_sql(hours))?;
            Ok(self.conn.execute_batch("COMMIT")?)
        };
        run().inspect_err(|_| {
            let _ = self.conn.execute_batch("ROLLBACK");
        })
    }

    fn append_addresses(&self, a: AddressBatch) -> Result<()> {
        let dedupe = a.dedupe();
        let Some(records) = a.batch else { return Ok(()) };
        if !dedupe {
            return self.append("addresses", records);
        }
        // Through a scratch table, keeping one row per address the store does not hold yet.
        self.conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS addresses_incoming AS SELECT * FROM addresses LIMIT 0; \
             DELETE FROM addresses_incoming;",
        )?;
        self.append_in(Some("temp"), "addresses_incoming", records)?;
        self.conn.execute_batch(
            "INSERT INTO addresses SELECT DISTINCT ON (ip) * FROM addresses_incoming i \
               WHERE NOT EXISTS (SELECT 1 FROM addresses a WHERE a.ip = i.ip); \
             DELETE FROM addresses_incoming;",
        )?;
        Ok(())
    }

    /// Appends events to the table [`prepare_batch`] chose (`append::table_of`).
    fn append_events(&self, records: duckdb::arrow::record_batch::RecordBatch) -> Result<()> {
        let table = append::table_of(&records);
        if table == schema::WIDE_TABLE {
            return self.append(table, records);
        }
        let records = append::split_address_number(records)?;
        self.append(table, records)
    }

    /// Appends one Arrow batch to `table` (its columns by name): through the `ipscope_batch`
    /// table function (`scan.rs`), or DuckDB's appender for a column type that one does not take.
    fn append(&self, table: &str, records: duckdb::arrow::record_batch::RecordBatch) -> Result<()> {
        self.append_in(None, table, records)
    }

    /// [`Store::append`] into `table` of `catalog` (`None`: the database file; `temp`: this
    /// connection's temporary tables).
    fn append_in(
        &self,
        catalog: Option<&str>,
        table: &str,
        records: duckdb::arrow::record_batch::RecordBatch,
    ) -> Result<()> {
        let schema = records.schema();
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        if scan::supported(&records) {
            let target = match catalog {
                Some(catalog) => format!("{catalog}.main.{table}"),
                None => table.to_owned(),
            };
            let sql = format!(
                "INSERT INTO {target} ({}) SELECT * FROM {}(?)",
                columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", "),
                scan::FUNCTION
            );
            let registered = scan::Registered::new(records);
            self.conn.execute(&sql, [registered.token])?;
            return Ok(());
        }
        let mut app = match catalog {
            Some(catalog) => self.conn.appender_with_columns_to_catalog_and_db(table, catalog, "main", &columns)?,
            None => self.conn.appender_with_columns(table, &columns)?,
        };
        app.append_record_batch(records)?;
        app.flush()?;
        Ok(())
    }

    /// Every address in the `addresses` table (already enriched).
    pub fn enriched_addresses(&self) -> Result<Vec<IpAddr>> {
        self.ip_list("SELECT ip FROM addresses")
    }

    /// Every distinct source address of the stored events.
    pub fn source_addresses(&self) -> Result<Vec<IpAddr>> {
        self.ip_list("SELECT DISTINCT src_ip FROM events WHERE src_ip IS NOT NULL")
    }

    fn ip_list(&self, sql: &str) -> Result<Vec<IpAddr>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            // Only ipscope writes these columns, always canonical text; skip anything else.
            if let Ok(ip) = r?.parse() {
                out.push(ip);
            }
        }
        Ok(out)
    }

    /// Stores enrichment results in one transaction; with `replace`, they replace the whole
    /// `addresses` table (`enrich --refresh`): readers see the old enrichment or the new one,
    /// never a mix.
    pub fn store_addresses(&mut self, batches: Vec<AddressBatch>, replace: bool) -> Result<u64> {
        self.store_addresses_tx(batches, replace).map_err(|e| self.fault(e))
    }

    fn store_addresses_tx(&mut self, batches: Vec<AddressBatch>, replace: bool) -> Result<u64> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        let run = || -> Result<u64> {
            if replace {
                self.conn.execute_batch("DELETE FROM addresses")?;
            }
            let mut n = 0;
            for b in batches {
                n += b.len() as u64;
                self.append_addresses(b)?;
            }
            Ok(n)
        };
        match run() {
            Ok(n) => {
                self.conn.execute_batch("COMMIT")?;
                self.conn.execute_batch("CHECKPOINT")?;
                Ok(n)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Replaces the cached reverse DNS answers of these addresses, in one transaction.
    pub fn store_ptrs(&mut self, rows: &[PtrRecord]) -> Result<()> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        let run = || -> Result<()> {
            let mut del = self.conn.prepare("DELETE FROM ptr_cache WHERE ip = ?")?;
            let mut app = self.conn.appender("ptr_cache")?;
            for r in rows {
                del.execute([&r.ip])?;
                let ts = |m: Micros| duckdb::types::Value::Timestamp(TimeUnit::Microsecond, m);
                app.append_row(duckdb::params![r.ip, r.name, r.status, ts(r.resolved_at), ts(r.expires_at)])?;
                // Appended rows must land before the next DELETE looks for them.
                app.flush()?;
            }
            Ok(())
        };
        match run() {
            Ok(()) => Ok(self.conn.execute_batch("COMMIT")?),
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// [`prepare_batch`] and [`Store::commit_batch`] in one call.
    pub fn commit_events(&mut self, progress: &mut InputProgress, events: &[Event]) -> Result<()> {
        let batch = prepare_batch(events, progress.id)?;
        self.commit_batch(progress, batch)
    }

    /// Finds the already-ingested input whose identity matches the head (first bytes) of a
    /// stream, preferring one last read from `path` (head alone; files are checked further by
    /// the ingest side, see [`Backend::find_inputs`]).
    pub fn find_input(&self, head: &[u8], path: &str) -> Result<Option<InputRecord>> {
        Ok(pick_by_head(ledger::candidates(&self.conn, head)?, path))
    }

    /// All ingested inputs, newest first.
    pub fn inputs(&self) -> Result<Vec<InputRecord>> {
        ledger::all(&self.conn)
    }

    /// Runs a query and collects the whole result. Columns of types without a [`Value`] of their
    /// own (lists, structs, maps, unions, intervals, UUIDs, `VARIANT`, which the driver cannot
    /// even decode) come out as DuckDB's text for them: the query is run again with those
    /// columns cast to `VARCHAR` (see [`Store::query_as_text`]).
    pub fn query(&self, sql: &str) -> Result<Table> {
        // `ipscope -vv report ...` (or IPSCOPE_LOG=debug) shows each report's SQL and its time.
        let started = std::time::Instant::now();
        let result = self.query_any(sql).map_err(|e| self.fault(e));
        tracing::debug!(ms = started.elapsed().as_millis() as u64, sql, "query");
        result
    }

    fn query_any(&self, sql: &str) -> Result<Table> {
        match self.query_values(sql) {
            Ok(Some(t)) => Ok(t),
            // A column with no Value of its own: again, as text.
            Ok(None) => self.query_as_text(sql),
            Err(StoreError::Query { source }) if undecodable(&source) => {
                self.query_as_text(sql).map_err(|_| StoreError::Query { source })
            }
            Err(e) => Err(e),
        }
    }

    /// The query's rows as [`Value`]s; `None` when a cell has a type without one.
    fn query_values(&self, sql: &str) -> Result<Option<Table>> {
        let mut stmt = self.conn.prepare(sql).map_err(|source| StoreError::Query { source })?;
        let mut rows = stmt.query([]).map_err(|source| StoreError::Query { source })?;
        let columns = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
        let width = columns.len();
        let mut out = Table::new(columns);
        while let Some(row) = rows.next().map_err(|source| StoreError::Query { source })? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                match convert(row.get_ref(i).map_err(|source| StoreError::Query { source })?) {
                    Some(v) => values.push(v),
                    None => return Ok(None),
                }
            }
            out.rows.push(values);
        }
        Ok(Some(out))
    }

    /// Runs `SELECT ... FROM (sql)` with every column whose type has no [`Value`] cast to
    /// `VARCHAR` (its DuckDB text: `[1, 2]`, `{'a': 1}`, ...). The column types come from
    /// `DESCRIBE sql`, so this works for queries and table functions (`SELECT * FROM
    /// pragma_storage_info('events')`), not for `PRAGMA` / `SHOW` statements.
    pub fn query_as_text(&self, sql: &str) -> Result<Table> {
        let inner = sql.trim().trim_end_matches(';');
        // `PRAGMA storage_info('t')` is the table function `pragma_storage_info('t')`.
        let rewritten;
        let inner = match inner.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("PRAGMA ") && inner.contains('(') => {
                rewritten = format!("SELECT * FROM pragma_{}", inner[7..].trim_start());
                rewritten.as_str()
            }
            _ => inner,
        };
        let described = self.query_values(&format!("DESCRIBE {inner}"))?.unwrap_or_default();
        let (Some(iname), Some(itype)) = (described.column("column_name"), described.column("column_type")) else {
            return Err(StoreError::Unreadable(sql.to_owned()));
        };
        let cols: Vec<String> = described
            .rows
            .iter()
            .map(|r| {
                let name = r.get(iname).map(Value::render).unwrap_or_default();
                let ty = r.get(itype).map(Value::render).unwrap_or_default();
                let q = format!("\"{}\"", name.replace('"', "\"\""));
                if scalar_type(&ty) { q } else { format!("CAST({q} AS VARCHAR) AS {q}") }
            })
            .collect();
        let wrapped = format!("SELECT {} FROM ({inner}) AS q", cols.join(", "));
        self.query_values(&wrapped)?.ok_or_else(|| StoreError::Unreadable(sql.to_owned()))
    }

    /// Number of stored events.
    pub fn event_count(&self) -> Result<u64> {
        let n: i64 =
            self.conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).map_err(|e| self.fault(e.into()))?;
        Ok(n.max(0) as u64)
    }

    /// Deletes events older than `cutoff` (UTC micros); with `commit = false` only counts them.
    /// A committed purge checkpoints, so the space of fully emptied row groups is reused and the
    /// file does not grow without bound over ingest/purge cycles.
    pub fn purge(&mut self, cutoff: Micros, commit: bool) -> Result<PurgeOutcome> {
        self.purge_inner(cutoff, commit).map_err(|e| self.fault(e))
    }

    fn purge_inner(&mut self, cutoff: Micros, commit: bool) -> Result<PurgeOutcome> {
        let cutoff_sql = format!("make_timestamp({cutoff})");
        let n: i64 =
            self.conn.query_row(&format!("SELECT count(*) FROM events WHERE ts < {cutoff_sql}"), [], |r| r.get(0))?;
        if commit && n > 0 {
            // The rollups go with the events: hours before the cutoff's are dropped, the hour it
            // cuts through is recounted from the events left in it.
            let hour = cutoff.div_euclid(rollup::HOUR) * rollup::HOUR;
            let run = || -> Result<()> {
                self.conn.execute_batch("BEGIN TRANSACTION")?;
                for table in schema::event_tables() {
                    self.conn.execute(&format!("DELETE FROM {table} WHERE ts < {cutoff_sql}"), [])?;
                }
                self.conn.execute_batch(&format!(
                    "DELETE FROM {t} WHERE hour <= make_timestamp({hour}); \
                     INSERT INTO {t} {rows};",
                    t = rollup::TABLE,
                    rows = rollup::from_events_sql(&format!(
                        "ts >= make_timestamp({hour}) AND ts < make_timestamp({next})",
                        next = hour + rollup::HOUR
                    )),
                ))?;
                // Retention covers what was learnt about addresses no longer seen.
                self.conn.execute_batch(
                    "DELETE FROM addresses WHERE ip NOT IN (SELECT DISTINCT src_ip FROM events WHERE src_ip IS NOT NULL)",
                )?;
                Ok(self.conn.execute_batch("COMMIT")?)
            };
            run().inspect_err(|_| {
                let _ = self.conn.execute_batch("ROLLBACK");
            })?;
            // The nightly purge is also when partial rollup rows left by earlier runs are folded.
            self.compact_where(&rollup::split_hours())?;
            self.conn.execute_batch("CHECKPOINT")?;
        }
        Ok(PurgeOutcome { events: n.max(0) as u64, committed: commit })
    }

    /// Folds the rollup rows split across this connection's commits (see
    /// [`Store::compact_rollups`]) and writes pending changes to the database file: what an
    /// ingest does when it ends.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.compact_rollups()?;
        self.conn.execute_batch("CHECKPOINT").map_err(|e| self.fault(e.into()))
    }

    /// `e` in words a user can act on when it is about the file (see `fault.rs`).
    pub(crate) fn fault(&self, e: StoreError) -> StoreError {
        fault::classify(e, self.path.as_deref())
    }
}

/// Prefix of the temporary name a new database is built under (`ipscope.duckdb.new-PID`).
const NEW_PREFIX: &str = "ipscope.duckdb.new-";

/// Creates the database file at `path` whole or not at all. DuckDB creates a new file and only
/// then writes its header: a process killed in between (found by the SIGKILL fault test, about
/// 1 kill in 150 in the first 20 ms of an ingest) leaves a zero-length file that no later run can
/// open. So a new database is built under a temporary name, schema included, and linked into
/// place; a kill leaves at most a temporary file, removed by the next run. When two processes
/// race, the first link wins and the other opens that file.
fn create_whole(data_dir: &Path, path: &Path) -> Result<()> {
    remove_stale_new_files(data_dir);
    let tmp = data_dir.join(format!("{NEW_PREFIX}{}", std::process::id()));
    let remove_tmp = || {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(wal_of(&tmp));
    };
    remove_tmp();
    let build = || -> Result<()> {
        let store = Store::with(connect(&tmp)?, Some(tmp.clone()));
        store.migrate()?;
        store.conn.execute_batch("CHECKPOINT")?;
        drop(store);
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })
    };
    if let Err(e) = build() {
        remove_tmp();
        return Err(e);
    }
    let linked = match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename (which would replace a file another
        // process created in the same instant; only there).
        Err(_) if !path.exists() => std::fs::rename(&tmp, path),
        Err(e) => Err(e),
    };
    remove_tmp();
    linked.map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })?;
    if let Ok(d) = std::fs::File::open(data_dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn wal_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".wal");
    PathBuf::from(name)
}

/// Removes databases left half-built by processes that no longer run.
fn remove_stale_new_files(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(NEW_PREFIX)).map(|r| r.trim_end_matches(".wal"))
        else {
            continue;
        };
        let gone = cfg!(target_os = "linux") && !Path::new("/proc").join(pid).exists();
        if gone {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// `q` of `EXPLAIN [ANALYZE] q`, else the whole text.
fn strip_explain(sql: &str) -> &str {
    let t = sql.trim_start();
    let word = |s: &str, w: &str| {
        s.get(..w.len()).is_some_and(|p| p.eq_ignore_ascii_case(w))
            && s[w.len()..].starts_with(|c: char| c.is_whitespace())
    };
    if !word(t, "explain") {
        return sql;
    }
    let rest = t["explain".len()..].trim_start();
    if word(rest, "analyze") { rest["analyze".len()..].trim_start() } else { rest }
}

/// Settings every connection gets: no access to files other than the database itself, so no
/// query can read `/etc/passwd` (`read_csv`), write files (`COPY ... TO`), attach other
/// databases or install extensions; the statically linked extensions (JSON, Parquet) still work.
/// A read-write connection to the database file at `path`, with [`base_config`].
fn connect(path: &Path) -> Result<Connection> {
    base_config()
        .and_then(|config| Connection::open_with_flags(path, config))
        .and_then(with_batch_scan)
        .map_err(|source| StoreError::Open { path: path.to_owned(), source })
}

/// `conn` with the table function appends read batches through ([`scan`]), registered in its
/// database (every connection to it sees it).
fn with_batch_scan(conn: Connection) -> duckdb::Result<Connection> {
    conn.register_table_function::<scan::BatchScan>(scan::FUNCTION)?;
    Ok(conn)
}

fn base_config() -> duckdb::Result<Config> {
    Config::default().enable_external_access(false)?.enable_autoload_extension(false)
}

/// Whether the driver refused to decode a column (DuckDB's `VARIANT`).
fn undecodable(e: &duckdb::Error) -> bool {
    matches!(e, duckdb::Error::FromSqlConversionFailure(_, duckdb::types::Type::Variant, _))
        || e.to_string().contains("decoding Variant columns is not supported")
}

/// Whether a DuckDB type name (from `DESCRIBE`) is read as a [`Value`] directly.
fn scalar_type(ty: &str) -> bool {
    let t = ty.trim().to_ascii_uppercase();
    let nested = t.ends_with(']')
        || ["STRUCT", "MAP", "UNION", "VARIANT", "INTERVAL", "UUID", "BIT", "TIME", "JSON"]
            .iter()
            .any(|n| t == *n || t.starts_with(&format!("{n}(")) || t.starts_with(&format!("{n} ")));
    !nested || t.starts_with("TIMESTAMP")
}

/// A 128-bit integer, exactly: `Int` or `UInt` when it fits, else its decimal text.
fn wide_int(i: i128) -> Value {
    match (i64::try_from(i), u64::try_from(i)) {
        (Ok(v), _) => Value::Int(v),
        (_, Ok(v)) => Value::UInt(v),
        _ => Value::Text(i.to_string()),
    }
}

/// A cell as a [`Value`]; `None` for types without one (the caller reads them as text).
fn convert(v: ValueRef<'_>) -> Option<Value> {
    Some(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => Value::Bool(b),
        ValueRef::TinyInt(i) => Value::Int(i.into()),
        ValueRef::SmallInt(i) => Value::Int(i.into()),
        ValueRef::Int(i) => Value::Int(i.into()),
        ValueRef::BigInt(i) => Value::Int(i),
        ValueRef::HugeInt(i) => wide_int(i),
        ValueRef::UHugeInt(i) => i128::try_from(i).map_or_else(|_| Value::Text(i.to_string()), wide_int),
        ValueRef::UTinyInt(i) => Value::Int(i.into()),
        ValueRef::USmallInt(i) => Value::Int(i.into()),
        ValueRef::UInt(i) => Value::Int(i.into()),
        ValueRef::UBigInt(i) => i64::try_from(i).map_or(Value::UInt(i), Value::Int),
        ValueRef::Float(f) => Value::Float(f.into()),
        ValueRef::Double(f) => Value::Float(f),
        ValueRef::Decimal(d) => d.to_string().parse::<f64>().map_or(Value::Null, Value::Float),
        ValueRef::Timestamp(unit, t) => Value::Timestamp(match unit {
            TimeUnit::Second => t.saturating_mul(1_000_000),
            TimeUnit::Millisecond => t.saturating_mul(1_000),
            TimeUnit::Microsecond => t,
            TimeUnit::Nanosecond => t / 1_000,
        }),
        ValueRef::Text(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
        ValueRef::Blob(b) => Value::Text(b.iter().map(|x| format!("{x:02x}")).collect()),
        ValueRef::Date32(d) => Value::Date(d),
        e @ ValueRef::Enum(..) => e.as_str().map_or(Value::Null, |s| Value::Text(s.to_owned())),
        _ => return None,
    })
}
