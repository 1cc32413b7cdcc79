//! The daemon's one writer: a thread that owns the read-write connection and performs every
//! write — batches from the daemon's own sources, batches a CLI `ingest` hands over, purges,
//! enrichment — one at a time, in arrival order. Reads go to other connections
//! ([`Store::reader`]), which see each commit as a whole.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use ipscope_event::Micros;
use ipscope_store::{AddressBatch, EventBatch, InputProgress, PurgeOutcome, Store, StoreError};
use tracing::warn;

use crate::{IngestError, Result};

type Reply<T> = mpsc::SyncSender<Result<T, StoreError>>;

enum Job {
    Commit { progress: Box<InputProgress>, events: EventBatch, reply: Reply<InputProgress> },
    NewInputId { reply: Reply<i32> },
    StoreAddresses { batches: Vec<AddressBatch>, replace: bool, reply: Reply<u64> },
    Purge { cutoff: Micros, commit: bool, reply: Reply<PurgeOutcome> },
    Checkpoint { reply: Reply<()> },
    Addresses { reply: Reply<Vec<IpAddr>> },
    StorePtrs { rows: Vec<ipscope_store::PtrRecord>, reply: Reply<()> },
}

/// Sends work to the writer thread; cheap to clone, one per source or request.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::SyncSender<Job>,
    commits: Arc<AtomicU64>,
}

/// The writer thread. Dropping every [`WriterHandle`] and calling [`Writer::finish`] checkpoints
/// and closes the database.
pub struct Writer {
    thread: JoinHandle<()>,
}

/// Jobs waiting for the writer (each holds at most one batch).
const QUEUE: usize = 8;

impl Writer {
    /// Starts the writer on `store`.
    pub fn spawn(mut store: Store) -> std::io::Result<(Writer, WriterHandle)> {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let commits = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&commits);
        let thread = std::thread::Builder::new().name("ipscope-writer".into()).spawn(move || {
            for job in rx {
                if run(&mut store, job) {
                    counter.fetch_add(1, Ordering::Release);
                }
            }
            if let Err(e) = store.checkpoint() {
                warn!(error = %e, "final checkpoint failed");
            }
        })?;
        Ok((Writer { thread }, WriterHandle { tx, commits }))
    }

    /// Waits until every handle is dropped and the last job is done.
    pub fn finish(self) {
        let _ = self.thread.join();
    }
}

/// Does one job; true when it changed the data (what live pages wait for).
fn run(store: &mut Store, job: Job) -> bool {
    match job {
        Job::Commit { mut progress, events, reply } => {
            let r = store.commit_batch(&mut progress, events).map(|()| *progress);
            let changed = r.is_ok();
            let _ = reply.send(r);
            return changed;
        }
        Job::NewInputId { reply } => {
            let _ = reply.send(store.new_input_id());
        }
        Job::StoreAddresses { batches, replace, reply } => {
            let r = store.store_addresses(batches, replace);
            let changed = r.is_ok();
            let _ = reply.send(r);
            return changed;
        }
        Job::Purge { cutoff, commit, reply } => {
            let r = store.purge(cutoff, commit);
            let changed = commit && r.is_ok();
            let _ = reply.send(r);
            return changed;
        }
        Job::Checkpoint { reply } => {
            let _ = reply.send(store.checkpoint());
        }
        Job::Addresses { reply } => {
            let _ = reply.send(store.enriched_addresses());
        }
        Job::StorePtrs { rows, reply } => {
            let _ = reply.send(store.store_ptrs(&rows));
        }
    }
    false
}

impl WriterHandle {
    /// How many writes changed the data so far (a live page refreshes when it moves).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    fn call<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T> {
        let (reply, rx) = mpsc::sync_channel(1);
        self.tx.send(job(reply)).map_err(|_| IngestError::WriterGone)?;
        let r = rx.recv().map_err(|_| IngestError::WriterGone)?;
        r.map_err(|source| IngestError::Store { name: "store".into(), source })
    }

    /// Commits a batch with the input's progress; returns the progress as committed.
    /// `Err(Store { source: Conflict })` when another writer advanced the input meanwhile.
    pub fn commit(&self, progress: InputProgress, events: EventBatch) -> Result<InputProgress, StoreError> {
        let (reply, rx) = mpsc::sync_channel(1);
        self.tx
            .send(Job::Commit { progress: Box::new(progress), events, reply })
            .map_err(|_| StoreError::Remote("the store writer has stopped".into()))?;
        rx.recv().map_err(|_| StoreError::Remote("the store writer has stopped".into()))?
    }

    pub fn new_input_id(&self) -> Result<i32> {
        self.call(|reply| Job::NewInputId { reply })
    }

    pub fn store_addresses(&self, batches: Vec<AddressBatch>, replace: bool) -> Result<u64> {
        self.call(|reply| Job::StoreAddresses { batches, replace, reply })
    }

    pub fn purge(&self, cutoff: Micros, commit: bool) -> Result<PurgeOutcome> {
        self.call(|reply| Job::Purge { cutoff, commit, reply })
    }

    pub fn checkpoint(&self) -> Result<()> {
        self.call(|reply| Job::Checkpoint { reply })
    }

    /// Replaces cached reverse DNS answers.
    pub fn store_ptrs(&self, rows: Vec<ipscope_store::PtrRecord>) -> Result<()> {
        self.call(|reply| Job::StorePtrs { rows, reply })
    }

    /// The enriched addresses, read on the writer's connection (after every earlier write).
    pub fn enriched_addresses(&self) -> Result<Vec<IpAddr>> {
        self.call(|reply| Job::Addresses { reply })
    }
}
