//! What the daemon's long-lived sources (followed files, the journal, syslog listeners) share:
//! the writer, a reading connection, enrichment, metrics, the stop flag, and the one way they
//! commit a batch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ipscope_enrich::{AddressBook, Enricher};
use std::net::IpAddr;
use std::path::PathBuf;

use ipscope_store::{
    AddressBatch, Backend, EventBatch, InputProgress, InputRecord, PurgeOutcome, Query, Store, StoreError, Table,
};
use tracing::debug;

use crate::metrics::{Metrics, SourceKind};
use crate::writer::WriterHandle;
use crate::{Batch, Batcher, Result};

/// Batches are committed at the latest this long after their first line was read, so new lines
/// are queryable within a second even when they trickle in.
pub const DEFAULT_FLUSH: Duration = Duration::from_millis(500);

/// Shared by every live source; each source gets its own clone (and its own reading connection).
pub struct Context {
    pub writer: WriterHandle,
    /// A connection for ledger lookups (each source its own: connections are not shared
    /// between threads).
    pub reader: Store,
    pub enrich: Option<Arc<Enricher>>,
    pub book: Arc<Mutex<AddressBook>>,
    pub metrics: Metrics,
    pub stop: Arc<AtomicBool>,
    pub batch_events: usize,
    pub flush_after: Duration,
}

impl Context {
    /// Another context on a new reading connection (for another source thread).
    pub fn fork(&self) -> Result<Context> {
        Ok(Context {
            writer: self.writer.clone(),
            reader: self
                .reader
                .reader()
                .map_err(|source| crate::IngestError::Store { name: "store".into(), source })?,
            enrich: self.enrich.clone(),
            book: Arc::clone(&self.book),
            metrics: self.metrics.clone(),
            stop: Arc::clone(&self.stop),
            batch_events: self.batch_events,
            flush_after: self.flush_after,
        })
    }

    /// The store as a [`Backend`] on this context's writer and a new reading connection (for
    /// code written against the trait, such as [`crate::oneshot::ingest`]).
    pub fn backend(&self) -> Result<LiveBackend> {
        Ok(LiveBackend {
            writer: self.writer.clone(),
            reader: self
                .reader
                .reader()
                .map_err(|source| crate::IngestError::Store { name: "store".into(), source })?,
        })
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Whether `batcher` should be committed now: full, or holding lines older than the flush
    /// interval, or the daemon is stopping.
    pub fn due(&self, batcher: &Batcher) -> bool {
        batcher.has_pending()
            && (batcher.is_full()
                || self.stopping()
                || batcher.pending_since().is_some_and(|t| t.elapsed() >= self.flush_after))
    }

    /// Takes `batcher`'s pending lines as a batch (enriching new addresses) and commits it with
    /// `progress` (allocating the input's id first if it has none). `head` is the stream's
    /// identity window. On success `progress` is what was committed; on a conflict (another
    /// writer stored part of this input) nothing changed and the caller re-reads the ledger.
    pub fn commit(
        &self,
        source: SourceKind,
        name: &str,
        batcher: &mut Batcher,
        progress: &mut InputProgress,
        head: &[u8],
    ) -> Result<(), CommitError> {
        if progress.id == 0 {
            progress.id = self.writer.new_input_id()?;
            batcher.set_input_id(progress.id);
        }
        let mut batch: Batch = {
            let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
            batcher.take(name, self.enrich.as_deref().map(|e| (e, &mut *book)))?
        };
        let mut next = progress.clone();
        batch.advance(&mut next, head);
        let started = Instant::now();
        let events = std::mem::take(&mut batch.events);
        match self.writer.commit(next, events) {
            Ok(done) => {
                *progress = done;
                self.metrics.committed(source, &batch, started.elapsed().as_secs_f64());
                debug!(input = name, bytes = progress.bytes, lines = batch.lines, "committed");
                Ok(())
            }
            Err(e) => {
                // Their enrichment was not stored: look these addresses up again next time.
                let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
                AddressBook::forget(&mut book, &batch.new_addresses);
                match e {
                    StoreError::Conflict { .. } => {
                        self.metrics.commit_conflicts.inc();
                        Err(CommitError::Conflict)
                    }
                    source => Err(crate::IngestError::Store { name: name.to_owned(), source }.into()),
                }
            }
        }
    }
}

/// Why a live commit failed.
#[derive(Debug)]
pub enum CommitError {
    /// Another writer stored part of this input first; re-read the ledger and go on from there.
    Conflict,
    Other(Box<crate::IngestError>),
}

impl From<crate::IngestError> for CommitError {
    fn from(e: crate::IngestError) -> Self {
        CommitError::Other(Box::new(e))
    }
}

/// The daemon's store as a [`Backend`]: writes go to the one writer, reads to a connection of
/// their own.
pub struct LiveBackend {
    pub writer: WriterHandle,
    pub reader: Store,
}

fn store_error(e: crate::IngestError) -> StoreError {
    match e {
        crate::IngestError::Store { source, .. } => source,
        other => StoreError::Remote(other.to_string()),
    }
}

impl Query for LiveBackend {
    /// The daemon's store is the embedded file.
    fn engine(&self) -> ipscope_store::Engine {
        ipscope_store::Engine::DuckDb
    }
    fn query(&self, sql: &str) -> ipscope_store::Result<Table> {
        self.reader.query(sql)
    }
    fn query_user(&self, sql: &str) -> ipscope_store::Result<Table> {
        self.reader.query_user(sql)
    }
    fn query_arrow(&self, sql: &str) -> ipscope_store::Result<Vec<ipscope_store::RecordBatch>> {
        self.reader.query_arrow(sql)
    }
}

impl Backend for LiveBackend {
    fn path(&self) -> Option<PathBuf> {
        self.reader.path().map(ToOwned::to_owned)
    }
    fn find_inputs(&self, head: &[u8]) -> ipscope_store::Result<Vec<InputRecord>> {
        Backend::find_inputs(&self.reader, head)
    }
    fn find_named_input(&self, name: &str) -> ipscope_store::Result<Option<InputRecord>> {
        Backend::find_named_input(&self.reader, name)
    }
    fn new_input_id(&mut self) -> ipscope_store::Result<i32> {
        self.writer.new_input_id().map_err(store_error)
    }
    fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> ipscope_store::Result<()> {
        *progress = self.writer.commit(progress.clone(), batch)?;
        Ok(())
    }
    fn enriched_addresses(&self) -> ipscope_store::Result<Vec<IpAddr>> {
        self.writer.enriched_addresses().map_err(store_error)
    }
    fn source_addresses(&self) -> ipscope_store::Result<Vec<IpAddr>> {
        self.reader.source_addresses()
    }
    fn store_addresses(&mut self, batches: Vec<AddressBatch>, replace: bool) -> ipscope_store::Result<u64> {
        self.writer.store_addresses(batches, replace).map_err(store_error)
    }
    fn event_count(&self) -> ipscope_store::Result<u64> {
        self.reader.event_count()
    }
    fn inputs(&self) -> ipscope_store::Result<Vec<InputRecord>> {
        self.reader.inputs()
    }
    fn purge(&mut self, cutoff: i64, commit: bool) -> ipscope_store::Result<PurgeOutcome> {
        self.writer.purge(cutoff, commit).map_err(store_error)
    }
    fn checkpoint(&mut self) -> ipscope_store::Result<()> {
        self.writer.checkpoint().map_err(store_error)
    }
    fn store_ptrs(&mut self, rows: Vec<ipscope_store::PtrRecord>) -> ipscope_store::Result<()> {
        self.writer.store_ptrs(rows).map_err(store_error)
    }
}
