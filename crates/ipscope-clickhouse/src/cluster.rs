//! The cluster: its shards, the schema, and exactly-once batch commits without transactions.
//!
//! A batch is committed in three steps (see docs/clickhouse-notes.md, "Exactly-once ingest"):
//! 1. `started`: a ledger row for a new attempt id (random, never reused);
//! 2. the events, every row carrying the attempt id, through `events_all` with
//!    `insert_distributed_sync=1` (when the request returns, every shard holds its rows);
//! 3. `committed`: one ledger row with the input's new progress — a one-row insert on one node,
//!    so it lands whole or not at all.
//!
//! Readers query the `events` view, which keeps only rows of committed attempts. The rows of an
//! attempt that never committed (a crash, a shard down) are invisible, and are deleted by
//! per-shard mutations when the same input is next committed ([`Cluster::recover_input`]).

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ipscope_store::{EventBatch, FileId, InputProgress, InputRecord};
use serde::{Deserialize, Serialize};

use crate::http::Node;
use crate::rowbinary;
use crate::schema;
use crate::url::ClusterUrl;
use crate::{Error, Result};

/// How long to wait for the mutations deleting aborted attempts' rows.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Settings of every batch insert: through `Distributed`, synchronously (the request returns
/// once every shard has its rows, so `committed` never precedes them); one block per shard up to
/// this many rows.
const INSERT_SETTINGS: &[(&str, &str)] = &[("insert_distributed_sync", "1"), ("max_insert_block_size", "1048576")];

/// Settings of JSON reads: 64-bit integers as numbers, not strings.
const JSON_SETTINGS: &[(&str, &str)] = &[("output_format_json_quote_64bit_integers", "0")];

/// One shard (one replica per shard in this version).
#[derive(Clone, Debug)]
pub struct Shard {
    /// `shard_num` in `system.clusters` (1-based).
    pub num: u32,
    /// Its native address (`host:port`) as the cluster definition names it.
    pub tcp: String,
    pub(crate) node: Node,
}

impl Shard {
    /// Its HTTP base URL.
    pub fn http(&self) -> &str {
        self.node.url()
    }
}

/// A batch attempt (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub id: u64,
    pub input_id: i32,
}

/// A connected cluster. The ledger and the `events` view live on shard 1, where reads go.
#[derive(Debug)]
pub struct Cluster {
    url: ClusterUrl,
    shards: Vec<Shard>,
    /// Inputs whose unfinished attempts this handle has already cleaned up.
    recovered: HashSet<i32>,
    /// The last input id handed out by [`Cluster::new_input_id`].
    last_input_id: i32,
}

/// A ledger row as written and read (JSONEachRow; a read may select some columns only).
#[derive(Serialize, Deserialize, Debug, Default)]
#[serde(default)]
struct LedgerRow {
    batch_id: u64,
    input_id: i32,
    state: String,
    rank: u8,
    at_us: u64,
    rows: u64,
    path: String,
    format: String,
    head_len: u64,
    head_hash: u64,
    bytes: u64,
    lines: u64,
    events: u64,
    ignored: u64,
    rejected: u64,
    mark_len: u64,
    mark_hash: u64,
    dev: Option<u64>,
    inode: Option<u64>,
    cursor: Option<String>,
    year_anchor: Option<i32>,
}

/// The attempt states and their ranks: the ledger is a `ReplacingMergeTree(rank)` by attempt,
/// so a merge keeps an attempt's highest-ranked row. An abort outranks a commit: the `committed`
/// row of a killed writer can land after a recovery aborted its attempt (see
/// `schema::committed_rows`), and a merge must then keep the abort, never resurrect the attempt.
const STARTED: (&str, u8) = ("started", 1);
const COMMITTED: (&str, u8) = ("committed", 2);
const ABORTED: (&str, u8) = ("aborted", 3);
const CLEANED: (&str, u8) = ("cleaned", 4);

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// A fresh attempt id: a hash of the time, the process and a counter under a per-process random
/// key (std's `RandomState`), never 0. Collisions are as likely as in a random u64.
fn new_attempt_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id(), n)).max(1)
}

impl Cluster {
    /// Connects to `clickhouse://HOST:PORT/DB?cluster=NAME` (see [`ClusterUrl::parse`]).
    pub fn connect(url: &str) -> Result<Cluster> {
        Cluster::open(ClusterUrl::parse(url)?)
    }

    /// Finds the shards from the node's `system.clusters` and checks each answers as itself.
    ///
    /// Each shard's HTTP port is not in `system.clusters` (only its native port): it is taken to
    /// be at the same offset from its native port as on the node in the URL — true where every
    /// host uses the same ports (8123/9000) and for `scripts/clickhouse-cluster.sh` (shard N:
    /// 18123+N-1 / 19000+N-1). Each shard is then asked which shard it is, so a wrong guess is an
    /// error, not a silent mix-up.
    pub fn open(url: ClusterUrl) -> Result<Cluster> {
        let entry = Node::new(url.http());
        let sql = format!(
            "SELECT shard_num, replica_num, host_address, port, is_local FROM system.clusters \
             WHERE cluster = '{}' ORDER BY shard_num, replica_num",
            url.cluster
        );
        let text = entry.text(&sql)?;
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        if rows.is_empty() {
            return Err(Error::Topology {
                url: entry.url().to_owned(),
                message: format!("the server defines no cluster {:?} (remote_servers)", url.cluster),
            });
        }
        let field = |r: &Vec<&str>, i: usize| -> Result<String> {
            r.get(i).map(|s| (*s).to_owned()).ok_or_else(|| Error::Protocol {
                url: entry.url().to_owned(),
                message: format!("short row from system.clusters: {r:?}"),
            })
        };
        let num = |s: String| -> Result<u32> {
            s.parse()
                .map_err(|_| Error::Protocol { url: entry.url().to_owned(), message: format!("not a number: {s}") })
        };
        let mut local_tcp = None;
        let mut listed = Vec::new();
        for r in &rows {
            let (shard, replica, host, port) =
                (num(field(r, 0)?)?, num(field(r, 1)?)?, field(r, 2)?, num(field(r, 3)?)?);
            if replica > 1 {
                return Err(Error::Topology {
                    url: entry.url().to_owned(),
                    message: format!(
                        "cluster {:?} has replicas; this backend supports one replica per shard",
                        url.cluster
                    ),
                });
            }
            if field(r, 4)? == "1" {
                local_tcp = Some(port);
            }
            listed.push((shard, host, port));
        }
        let local_tcp = local_tcp.ok_or_else(|| Error::Topology {
            url: entry.url().to_owned(),
            message: format!("this server is not one of cluster {:?}'s shards", url.cluster),
        })?;
        let mut shards = Vec::new();
        for (shard, host, port) in listed {
            let http = i64::from(url.port) + i64::from(port) - i64::from(local_tcp);
            let http = u16::try_from(http).map_err(|_| Error::Topology {
                url: entry.url().to_owned(),
                message: format!("shard {shard} ({host}:{port}): no HTTP port at the entry node's offset"),
            })?;
            let node = Node::new(crate::url::http_url(&host, http));
            let tcp = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
            let this = Shard { num: shard, tcp, node };
            let said = this
                .node
                .text(&format!(
                    "SELECT shard_num FROM system.clusters WHERE cluster = '{}' AND is_local = 1",
                    url.cluster
                ))
                .map_err(|e| shard_error(&this, e))?;
            if said.trim() != shard.to_string() {
                return Err(Error::Topology {
                    url: this.http().to_owned(),
                    message: format!("expected shard {shard} ({}) here, the server says {:?}", this.tcp, said.trim()),
                });
            }
            shards.push(this);
        }
        Ok(Cluster { url, shards, recovered: HashSet::new(), last_input_id: 0 })
    }

    pub fn url(&self) -> &ClusterUrl {
        &self.url
    }

    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    pub(crate) fn db(&self) -> &str {
        &self.url.database
    }

    /// Where reads go: the ledger node (see [`Cluster::read`]).
    pub(crate) fn reader(&self) -> &Shard {
        self.ledger()
    }

    /// The HTTP URL reads are sent to.
    pub(crate) fn reader_url(&self) -> &str {
        self.ledger().http()
    }

    /// Shard 1: the ledger, the `events` view, where reads are sent.
    pub(crate) fn ledger(&self) -> &Shard {
        // `open` refuses a cluster without shards, so there is a first one.
        &self.shards[0]
    }

    /// Turns an error of a request to `via` into one naming the shard that failed: the shard
    /// itself when it did not answer, or the one a distributed query could not reach.
    pub(crate) fn classify(&self, via: &Shard, e: Error) -> Error {
        if let Error::Server { message, .. } = &e
            && (message.contains("Connection refused")
                || message.starts_with("Code: 279")
                || message.starts_with("Code: 210")
                || message.starts_with("Code: 32")
                || message.starts_with("Code: 209"))
            && let Some(down) = self.shards.iter().find(|s| {
                // `Connection refused (HOST:PORT)`; `There is no table ... on server: HOST:PORT`;
                // a server that died mid-insert: `Code: 32: Attempt to read after eof: while
                // receiving packet from HOST:PORT`; 209: a socket timeout `(HOST:PORT)`.
                message.contains(&format!("({})", s.tcp))
                    || message.contains(&format!("server: {}", s.tcp))
                    || message.contains(&format!("packet from {}", s.tcp))
            })
        {
            return Error::ShardDown {
                shard: down.num,
                addr: down.tcp.clone(),
                message: format!("reported by {}: {message}", via.http()),
            };
        }
        shard_error(via, e)
    }

    /// Runs `sql` on the ledger node and returns its TabSeparated output.
    pub fn query_text(&self, sql: &str) -> Result<String> {
        self.ledger().node.text(sql).map_err(|e| self.classify(self.ledger(), e))
    }

    /// Runs `sql` on shard `num` (1-based) and returns its TabSeparated output.
    pub fn shard_text(&self, num: u32, sql: &str) -> Result<String> {
        let shard = self.shards.iter().find(|s| s.num == num).ok_or_else(|| Error::Topology {
            url: self.ledger().http().to_owned(),
            message: format!("no shard {num}"),
        })?;
        shard.node.text(sql).map_err(|e| self.classify(shard, e))
    }

    pub(crate) fn run_on(&self, shard: &Shard, sql: &str) -> Result<()> {
        shard.node.run(sql, &[]).map(drop).map_err(|e| self.classify(shard, e))
    }

    /// Creates the database and tables where missing (every statement is `IF NOT EXISTS`):
    /// the per-shard tables on every shard, then the ledger and `events` view on shard 1.
    pub fn create_schema(&self) -> Result<()> {
        for shard in &self.shards {
            for sql in schema::shard_ddl(self.db(), &self.url.cluster) {
                self.run_on(shard, &sql)?;
            }
        }
        for sql in schema::ledger_ddl(self.db()) {
            self.run_on(self.ledger(), &sql)?;
        }
        Ok(())
    }

    /// Whether the ledger node has this database's ipscope tables (a first ingest creates them).
    pub fn has_schema(&self) -> Result<bool> {
        let text = self.query_text(&format!("EXISTS TABLE {}.ledger", self.db()))?;
        Ok(text.trim() == "1")
    }

    /// Drops the whole database on every shard (tests, scratch clusters).
    pub fn drop_database(&self) -> Result<()> {
        for shard in &self.shards {
            self.run_on(shard, &format!("DROP DATABASE IF EXISTS {}", self.db()))?;
        }
        Ok(())
    }

    /// Committed events (what readers see).
    pub fn event_count(&self) -> Result<u64> {
        let text = self.query_text(&format!("SELECT count() FROM {}.events", self.db()))?;
        self.number(&text)
    }

    pub(crate) fn number<T: std::str::FromStr>(&self, text: &str) -> Result<T> {
        text.trim().parse().map_err(|_| Error::Protocol {
            url: self.ledger().http().to_owned(),
            message: format!("expected a number, got {:?}", text.trim()),
        })
    }

    fn ledger_rows(&self, sql: &str) -> Result<Vec<LedgerRow>> {
        let body = self.ledger().node.run(sql, JSON_SETTINGS).map_err(|e| self.classify(self.ledger(), e))?;
        body.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_slice(l).map_err(|e| Error::Protocol {
                    url: self.ledger().http().to_owned(),
                    message: format!("ledger row: {e}"),
                })
            })
            .collect()
    }

    fn write_ledger(&self, rows: &[LedgerRow]) -> Result<()> {
        let mut body = Vec::new();
        for r in rows {
            // Serializing plain numbers and strings into a Vec cannot fail.
            serde_json::to_writer(&mut body, r).map_err(|e| Error::Batch(e.to_string()))?;
            body.push(b'\n');
        }
        let insert = format!("INSERT INTO {}.ledger FORMAT JSONEachRow", self.db());
        self.ledger().node.insert(&insert, &body, &[]).map_err(|e| self.classify(self.ledger(), e))
    }

    /// Every input with a committed batch, with the progress of its latest commit.
    pub fn inputs(&self) -> Result<Vec<InputRecord>> {
        let cols = [
            "path",
            "format",
            "head_len",
            "head_hash",
            "bytes",
            "lines",
            "events",
            "ignored",
            "rejected",
            "mark_len",
            "mark_hash",
            "dev",
            "inode",
            "cursor",
            "year_anchor",
        ];
        let latest: Vec<String> = cols.iter().map(|c| format!("argMax({c}, at_us) AS {c}")).collect();
        let sql = format!(
            "SELECT input_id, {} FROM {} GROUP BY input_id ORDER BY input_id FORMAT JSONEachRow",
            latest.join(", "),
            schema::committed_rows(self.db())
        );
        Ok(self
            .ledger_rows(&sql)?
            .into_iter()
            .map(|r| InputRecord {
                id: r.input_id,
                path: r.path,
                format: r.format,
                head_len: r.head_len,
                head_hash: r.head_hash,
                bytes: r.bytes,
                lines: r.lines,
                events: r.events,
                ignored: r.ignored,
                rejected: r.rejected,
                mark_len: r.mark_len,
                mark_hash: r.mark_hash,
                file: r.dev.zip(r.inode).map(|(dev, inode)| FileId { dev, inode }),
                cursor: r.cursor,
                year_anchor: r.year_anchor,
            })
            .collect())
    }

    /// Allocates the id of a new input: above every id in the ledger and every id this handle
    /// gave out. (Two processes creating inputs at once could get the same id: one writer per
    /// cluster for now.)
    pub fn new_input_id(&mut self) -> Result<i32> {
        let max: i32 = self.number(&self.query_text(&format!("SELECT max(input_id) FROM {}.ledger", self.db()))?)?;
        self.last_input_id = self.last_input_id.max(max) + 1;
        Ok(self.last_input_id)
    }

    fn ledger_row(attempt: Attempt, state: (&str, u8), rows: u64, p: &InputProgress) -> LedgerRow {
        LedgerRow {
            batch_id: attempt.id,
            input_id: attempt.input_id,
            state: state.0.to_owned(),
            rank: state.1,
            at_us: now_us(),
            rows,
            path: p.path.clone(),
            format: p.format.clone(),
            head_len: p.head_len,
            head_hash: p.head_hash,
            bytes: p.bytes,
            lines: p.lines,
            events: p.events,
            ignored: p.ignored,
            rejected: p.rejected,
            mark_len: p.mark_len,
            mark_hash: p.mark_hash,
            dev: p.file.map(|f| f.dev),
            inode: p.file.map(|f| f.inode),
            cursor: p.cursor.clone(),
            year_anchor: p.year_anchor,
        }
    }

    fn mark(&self, ids: &[u64], input_id: i32, state: (&str, u8)) -> Result<()> {
        let rows: Vec<LedgerRow> = ids
            .iter()
            .map(|&id| LedgerRow {
                batch_id: id,
                input_id,
                state: state.0.to_owned(),
                rank: state.1,
                at_us: now_us(),
                ..LedgerRow::default()
            })
            .collect();
        self.write_ledger(&rows)
    }

    /// Step 1: records a new attempt for `progress`'s input as started.
    pub fn begin(&self, progress: &InputProgress, rows: u64) -> Result<Attempt> {
        let attempt = Attempt { id: new_attempt_id(), input_id: progress.id };
        self.write_ledger(&[Self::ledger_row(attempt, STARTED, rows, progress)])?;
        Ok(attempt)
    }

    /// Step 2: inserts the batch's events (and addresses) under the attempt's id.
    pub fn insert(&self, attempt: Attempt, batch: &EventBatch) -> Result<()> {
        let cols = schema::event_columns();
        let mut body = Vec::new();
        for chunk in batch.chunks() {
            let format = EventBatch::chunk_format(chunk).map(|f| f.as_str());
            rowbinary::encode(&cols, chunk, format, Some(attempt.id), &mut body)?;
        }
        if !body.is_empty() {
            let insert = format!("INSERT INTO {}.events_all FORMAT RowBinary", self.db());
            self.ledger().node.insert(&insert, &body, INSERT_SETTINGS).map_err(|e| self.classify(self.ledger(), e))?;
        }
        // Addresses carry no attempt id: `addresses_local` keeps one row per address (merges,
        // `FINAL`), so a repeated or aborted attempt's addresses add nothing wrong.
        if let Some(rows) = batch.address_rows() {
            self.insert_addresses(rows)?;
        }
        Ok(())
    }

    /// Inserts enrichment rows (the store's address batch) through the Distributed table.
    pub(crate) fn insert_addresses(&self, rows: &ipscope_store::RecordBatch) -> Result<()> {
        let mut body = Vec::new();
        rowbinary::encode(&schema::address_columns(), rows, None, None, &mut body)?;
        let insert = format!("INSERT INTO {}.addresses FORMAT RowBinary", self.db());
        self.ledger().node.insert(&insert, &body, INSERT_SETTINGS).map_err(|e| self.classify(self.ledger(), e))
    }

    /// Step 3: the one-row `committed` record with the input's new progress. When the request
    /// fails, the ledger is asked whether the row landed anyway (a lost answer).
    pub fn commit(&self, attempt: Attempt, rows: u64, progress: &mut InputProgress) -> Result<()> {
        let row = Self::ledger_row(attempt, COMMITTED, rows, progress);
        if let Err(e) = self.write_ledger(&[row])
            && !self.is_committed(attempt.id).unwrap_or(false)
        {
            return Err(e);
        }
        progress.recorded = true;
        progress.committed_bytes = progress.bytes;
        Ok(())
    }

    fn is_committed(&self, id: u64) -> Result<bool> {
        let text = self
            .query_text(&format!("SELECT count() FROM {} WHERE batch_id = {id}", schema::committed_rows(self.db())))?;
        Ok(self.number::<u64>(&text)? > 0)
    }

    /// Stores a batch and the input's progress (already advanced past the batch, as for the
    /// embedded store) exactly once: begin, insert, commit. The first commit of an input by
    /// this handle first cleans up its unfinished attempts ([`Cluster::recover_input`]).
    /// [`Error::Conflict`] when the ledger's progress of the input is not `committed_bytes`
    /// (another writer, or a stale progress): nothing is stored then.
    pub fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> Result<()> {
        if !self.recovered.contains(&progress.id) {
            self.recover_input(progress.id)?;
            self.recovered.insert(progress.id);
        }
        let recorded = self
            .ledger_rows(&format!(
                "SELECT argMax(bytes, at_us) AS bytes FROM {} WHERE input_id = {} HAVING count() > 0 FORMAT JSONEachRow",
                schema::committed_rows(self.db()),
                progress.id
            ))?
            .first()
            .map(|r| r.bytes);
        let expected = progress.recorded.then_some(progress.committed_bytes);
        if recorded != expected {
            return Err(Error::Conflict { input: progress.id, recorded, expected });
        }
        let rows = batch.len() as u64;
        let attempt = self.begin(progress, rows)?;
        if let Err(e) = self.insert(attempt, &batch) {
            // Best effort: an attempt left `started` is aborted by the next recovery anyway.
            if let Err(mark) = self.mark(&[attempt.id], attempt.input_id, ABORTED) {
                tracing::warn!(attempt = attempt.id, "marking a failed attempt aborted: {mark}");
            }
            return Err(e);
        }
        self.commit(attempt, rows, progress)
    }

    /// Deletes the rows of `input_id`'s attempts that do not count as committed (started, or
    /// aborted, and not yet cleaned): marks them aborted, runs `ALTER TABLE events_local DELETE`
    /// on every shard, waits for the mutations, marks them cleaned. Returns how many attempts it
    /// cleaned. An attempt aborted here stays out even if its writer's `committed` row lands
    /// later (see `schema::committed_rows`). Call it only where no other live writer of this
    /// input runs: it would abort that writer's attempt in flight.
    pub fn recover_input(&self, input_id: i32) -> Result<usize> {
        let text = self.query_text(&format!(
            "SELECT batch_id FROM {}.ledger WHERE input_id = {input_id} GROUP BY batch_id \
             HAVING countIf(state = 'cleaned') = 0 \
             AND (countIf(state = 'committed') = 0 OR countIf(state = 'aborted') > 0)",
            self.db()
        ))?;
        let ids: Vec<u64> = text.lines().map(|l| self.number(l)).collect::<Result<_>>()?;
        if ids.is_empty() {
            return Ok(0);
        }
        tracing::info!(input_id, attempts = ids.len(), "deleting the rows of unfinished batch attempts");
        self.mark(&ids, input_id, ABORTED)?;
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        for shard in &self.shards {
            self.run_on(
                shard,
                &format!(
                    "ALTER TABLE {}.events_local DELETE WHERE {} IN ({})",
                    self.db(),
                    schema::BATCH_ID,
                    list.join(", ")
                ),
            )?;
        }
        self.wait_for_mutations("events_local")?;
        self.mark(&ids, input_id, CLEANED)?;
        Ok(ids.len())
    }

    /// Waits until no mutation of `table` is pending on any shard.
    pub(crate) fn wait_for_mutations(&self, table: &str) -> Result<()> {
        let deadline = Instant::now() + MUTATION_TIMEOUT;
        for shard in &self.shards {
            loop {
                let sql = format!(
                    "SELECT count() FROM system.mutations WHERE database = '{}' AND table = '{table}' \
                     AND is_done = 0",
                    self.db()
                );
                let pending: u64 = self.number(&shard.node.text(&sql).map_err(|e| self.classify(shard, e))?)?;
                if pending == 0 {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(Error::Mutation {
                        shard: shard.num,
                        url: shard.http().to_owned(),
                        message: format!("{pending} mutation(s) still running after {MUTATION_TIMEOUT:?}"),
                    });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }
}

/// An error of a request to `shard`'s own HTTP interface, naming the shard.
fn shard_error(shard: &Shard, e: Error) -> Error {
    match e {
        Error::Unreachable { url, message } => {
            Error::ShardDown { shard: shard.num, addr: url, message: format!("no answer over HTTP: {message}") }
        }
        e => e,
    }
}
