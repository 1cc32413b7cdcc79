//! The daemon's one writer: a thread that owns the read-write connection and performs every
//! write — batches from the daemon's own sources, batches a CLI `ingest` hands over, purges,
//! enrichment — one at a time, in arrival order. Reads go to other connections
//! ([`Store::reader`]), which see each commit as a whole.

use std::net::IpAddr;
use std::sync::mpsc;
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
}

/// Sends work to the writer thread; cheap to clone, one per source or request.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::SyncSender<Job>,
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
        let thread = std::thread::Builder::new().name("ipscope-writer".into()).spawn(move || {
            for job in rx {
                run(&mut store, job);
            }
            if let Err(e) = store.checkpoint() {
                warn!(error = %e, "final checkpoint failed");
            }
        })?;
        Ok((Writer { thread }, WriterHandle { tx }))
    }

    /// Waits until every handle is dropped and the last job is done.
    pub fn finish(self) {
        let _ = self.thread.join();
    }
}

fn run(store: &mut Store, job: Job) {
    match job {
        Job::Commit { mut progress, events, reply } => {
            let r = store.commit_batch(&mut progress, events).map(|()| *progress);
            let _ = reply.send(r);
        }
        Job::NewInputId { reply } => {
            let _ = reply.send(store.new_input_id());
        }
        Job::StoreAddresses { batches, replace, reply } => {
            let _ = reply.send(store.store_addresses(batches, replace));
        }
        Job::Purge { cutoff, commit, reply } => {
            let _ = reply.send(store.purge(cutoff, commit));
        }
        Job::Checkpoint { reply } => {
            let _ = reply.send(store.checkpoint());
        }
        Job::Addresses { reply } => {
            let _ = reply.send(store.enriched_addresses());
        }
    }
}

impl WriterHandle {
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

    /// The enriched addresses, read on the writer's connection (after every earlier write).
    pub fn enriched_addresses(&self) -> Result<Vec<IpAddr>> {
        self.call(|reply| Job::Addresses { reply })
    }
}
