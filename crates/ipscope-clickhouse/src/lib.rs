//! The sharded ClickHouse storage backend (issue 13), first step: connect to a cluster, create
//! the schema on every shard, and commit the embedded store's prepared batches exactly once
//! without transactions (see [`Cluster::commit_batch`] and docs/clickhouse-notes.md); and read:
//! [`ipscope_store::Query`] for [`Cluster`] ([`Cluster::read`]), so reports rendered for
//! `Dialect::ClickHouse` run on it (`summary` and `daily` so far).
//!
//! Talks to ClickHouse over HTTP with `ureq` (blocking, like the store's `Backend` trait). The
//! project's lock already had `ureq` 3 for the daemon's client, so this adds no dependency;
//! the official `clickhouse` crate would bring tokio and hyper into every build of the store,
//! and its schema validation must be turned off for 18.16 anyway. Rows go in as `RowBinary`
//! encoded straight from the store's Arrow chunks.
//!
//! **Architecture Invariant**: readers see only rows of committed attempts (the `events` view);
//! no event row is written without a `started` ledger record before it.

mod backend;
mod cluster;
mod http;
mod migrate;
mod reader;
mod rowbinary;
mod schema;
mod url;

pub use cluster::{Attempt, Cluster, Shard};
pub use migrate::{MARKER, Migration, SourceKey, quote};
pub use url::{ClusterUrl, DEFAULT_HTTP_PORT};

/// Errors of the ClickHouse backend.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid store url {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("clickhouse at {url} did not answer: {message}")]
    Unreachable { url: String, message: String },
    #[error("clickhouse shard {shard} ({addr}) is down: {message}")]
    ShardDown { shard: u32, addr: String, message: String },
    #[error("clickhouse shard {shard} ({url}) refused the query: {message}")]
    Query { shard: u32, url: String, message: String },
    #[error("clickhouse at {url}: {message} (HTTP {status})")]
    Server { url: String, status: u16, message: String },
    #[error("clickhouse cluster at {url}: {message}")]
    Topology { url: String, message: String },
    #[error("clickhouse at {url} answered something unexpected: {message}")]
    Protocol { url: String, message: String },
    #[error("cannot convert the batch for clickhouse: {0}")]
    Batch(String),
    #[error("timestamp {0} µs is outside clickhouse's DateTime range (1970 to 2106)")]
    Timestamp(i64),
    #[error(
        "input {input} changed meanwhile: the ledger says {recorded:?} bytes committed, this writer expected {expected:?}"
    )]
    Conflict { input: i32, recorded: Option<u64>, expected: Option<u64> },
    #[error("clickhouse shard {shard} at {url}: deleting aborted rows: {message}")]
    Mutation { shard: u32, url: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
