//! The ingest pipeline as a library: sources of lines → parse → enrich → store.
//!
//! ```text
//!  source (whole file | stdin | followed file | journal | syslog socket)
//!     │ lines
//!     ▼
//!  Batcher: parser (ipscope-formats) → events → enrichment of new addresses (ipscope-enrich)
//!     │ Batch: events + addresses converted for the appender, progress, counts
//!     ▼
//!  Backend::commit_batch (ipscope-store): the batch and the input's progress in one transaction
//! ```
//!
//! `ipscope ingest` runs [`oneshot::ingest`] per path; `ipscope serve` runs the long-lived
//! sources ([`follow`], [`journal`], [`syslog`]) and commits through one [`writer::Writer`],
//! the only connection that writes while the daemon owns the database file.
//!
//! **Architecture Invariant**: every source commits a batch together with its position (bytes
//! and lines consumed, or the journal's cursor), so a restart resumes exactly where the last
//! commit ended: nothing read twice, nothing skipped — except what a syslog sender sent during
//! the last uncommitted second, which no protocol can ask for again.

pub mod batcher;
pub mod follow;
pub mod identity;
pub mod journal;
pub mod live;
pub mod metrics;
pub mod oneshot;
pub mod source;
pub mod syslog;
pub mod writer;

use ipscope_formats::FormatKind;
use ipscope_store::StoreError;

pub use batcher::{Batch, Batcher, DEFAULT_BATCH_EVENTS};
pub use oneshot::{NoProgress, Options, Progress, RejectSink, Summary, ingest};
pub use source::{InputSpec, MAX_LINE_BYTES};

/// Lines sniffed for format detection.
const DETECT_LINES: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("{pattern}: no file matches this pattern")]
    NoMatch { pattern: String },
    #[error("bad glob pattern {pattern}: {reason}")]
    Glob { pattern: String, reason: String },
    #[error("cannot list directory {path}")]
    ListDir { path: String, source: std::io::Error },
    #[error("cannot open {name}")]
    Open { name: String, source: std::io::Error },
    #[error("cannot read {name}")]
    Read { name: String, source: std::io::Error },
    #[error("{name}: cannot detect the format from the first lines; pass --format (one of: {known})")]
    Detect { name: String, known: String },
    #[error("{name}: ledger: {reason}")]
    Ledger { name: String, reason: String },
    #[error("{name}: cannot store events")]
    Store { name: String, source: StoreError },
    #[error("{name}: cannot enrich (--no-enrich ingests without enrichment)")]
    Enrich { name: String, source: ipscope_enrich::EnrichError },
    #[error("cannot write the rejects file")]
    Rejects(#[source] std::io::Error),
    #[error("{name}: the parser thread panicked")]
    Panicked { name: String },
    #[error("{what}")]
    Source { what: String, source: std::io::Error },
    #[error("the store writer has stopped")]
    WriterGone,
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// Guesses the format from the first lines of a stream's head.
pub fn detect(head: &[u8], delimiter: u8) -> Option<FormatKind> {
    let lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(DETECT_LINES)
        .collect();
    ipscope_formats::detect_with_delimiter(&lines, delimiter)
}
