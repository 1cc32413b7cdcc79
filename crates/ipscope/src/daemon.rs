//! The CLI's side of a running `ipscope serve`.
//!
//! DuckDB lets one process open a database file for writing, and then no other process may open
//! it at all. While the daemon runs it owns the file, so every other command goes through it:
//! the daemon writes `<data dir>/ipscope.serve` (its address and pid) when it starts and removes
//! it when it stops; a command that finds the file and a daemon answering there uses a
//! [`Client`] — a [`Backend`] whose queries and writes travel over the daemon's HTTP API — and
//! otherwise opens the file itself. Everything else a command does (parsing, enrichment,
//! report SQL, printing) happens in the command as always, so its output is the same bytes with
//! or without the daemon. A file left behind by a daemon that died is recognised (its pid is
//! gone, or nothing answers) and ignored.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ipscope_event::Micros;
use ipscope_store::{
    AddressBatch, Backend, EventBatch, InputProgress, InputRecord, PurgeOutcome, Query, Store, StoreError, Table, wire,
};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::commands::Ctx;
use ipscope_clickhouse::Cluster;

pub use ipscope_store::owner::OWNER_FILE as DAEMON_FILE;
/// How long a command waits for the daemon to say it is there.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// What `ipscope.serve` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaemonInfo {
    pub pid: u32,
    /// Base URL of the API as seen from this machine (`http://127.0.0.1:8479`).
    pub url: String,
    pub version: String,
    /// The database file the daemon owns.
    pub database: PathBuf,
    /// Where its syslog listeners are bound, if any.
    #[serde(default)]
    pub syslog_udp: Option<std::net::SocketAddr>,
    #[serde(default)]
    pub syslog_tcp: Option<std::net::SocketAddr>,
}

/// The header that carries the daemon's key (`ipscope.serve.key`, mode 0600): the store routes
/// (writes) ask for it, so only who can read the data directory's secrets writes through the
/// daemon. Random per start.
pub const KEY_HEADER: &str = "x-ipscope-key";

/// A new random key (128 bits from the system's generator, as hex).
pub fn new_key() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The bearer token for the daemon's API: `IPSCOPE_TOKEN`, else the config's `[serve] token`.
pub fn token(ctx: &Ctx) -> Option<String> {
    std::env::var("IPSCOPE_TOKEN").ok().filter(|t| !t.is_empty()).or_else(|| ctx.cfg.serve.token.clone())
}

/// The daemon serving `data`, if one runs and answers.
pub fn find(ctx: &Ctx, data: &Path) -> Result<Option<Client>> {
    let path = ipscope_store::owner::owner_path(data);
    let Some(text) =
        ipscope_store::owner::read_owner(data).with_context(|| format!("cannot read {}", path.display()))?
    else {
        return Ok(None);
    };
    let Ok(info) = serde_json::from_str::<DaemonInfo>(&text) else {
        debug!(file = %path.display(), "unreadable daemon file ignored");
        return Ok(None);
    };
    if !pid_alive(info.pid) {
        debug!(file = %path.display(), pid = info.pid, "stale daemon file (process gone) ignored");
        return Ok(None);
    }
    let client = Client::new(&info, token(ctx), ipscope_store::owner::read_key(data));
    match client.get("/api/health") {
        Ok(_) => Ok(Some(client)),
        Err(e) => bail!(
            "an ipscope daemon (pid {}) owns {} but does not answer at {}: {e:#}\n  \
             (stop it, or remove {} if that process is not ipscope)",
            info.pid,
            info.database.display(),
            info.url,
            path.display()
        ),
    }
}

#[cfg(target_os = "linux")]
fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn pid_alive(_pid: u32) -> bool {
    true
}

/// How long a command waits, by default, for another process that holds the database file (a
/// cron `ingest` meeting a long one, a report during an ingest) before it gives up
/// (`--lock-wait`, `IPSCOPE_LOCK_WAIT`).
pub const DEFAULT_LOCK_WAIT_SECS: u64 = 60;
/// How often a waiting command tries the file again.
const LOCK_POLL: Duration = Duration::from_millis(200);

/// Runs `open` until it does not fail on the file lock of another process, or `ctx.lock_wait`
/// has passed; says once on stderr that it waits, and for whom.
fn waiting<T>(ctx: &Ctx, mut open: impl FnMut() -> Result<T>) -> Result<T> {
    let locked = |e: &anyhow::Error| matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Locked { .. }));
    let deadline = std::time::Instant::now() + ctx.lock_wait;
    let mut told = false;
    loop {
        match open() {
            Err(e) if locked(&e) && std::time::Instant::now() < deadline => {
                if !told {
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "{e}; waiting up to {} s for it (--lock-wait)",
                        ctx.lock_wait.as_secs()
                    );
                    told = true;
                }
                std::thread::sleep(LOCK_POLL);
            }
            Err(e) if locked(&e) => {
                return Err(e.context(format!("gave up after waiting {} s (--lock-wait)", ctx.lock_wait.as_secs())));
            }
            other => return other,
        }
    }
}

/// The store for a command that writes (`ingest`, `purge`, `maint`, `enrich`): the daemon when
/// one runs, else the database file opened for writing (tuned for a long ingest with
/// `for_ingest`). Waits for another process that holds the file (see [`waiting`]).
pub fn open_writable(ctx: &Ctx, data: &Path, for_ingest: bool) -> Result<Box<dyn Backend>> {
    if let Some(c) = cluster(ctx, true)? {
        return Ok(Box::new(c));
    }
    waiting(ctx, || {
        if let Some(c) = find(ctx, data)? {
            return Ok(Box::new(c) as Box<dyn Backend>);
        }
        let mut store = Store::open(data)?;
        if for_ingest {
            store.tune_for_ingest(ctx.lock_wait)?;
        }
        Ok(Box::new(store))
    })
}

/// The store for a command that only reads (`report`, `sql`, `status`, `lookup`).
pub fn open_read_only(ctx: &Ctx, data: &Path) -> Result<Box<dyn Backend>> {
    if let Some(c) = cluster(ctx, false)? {
        return Ok(Box::new(c));
    }
    open_embedded_read_only(ctx, data)
}

/// The embedded store in `data` for reading, whatever `--store` says (`migrate` reads it to
/// copy it into a cluster): the daemon when one owns the file, else the file opened read-only.
pub fn open_embedded_read_only(ctx: &Ctx, data: &Path) -> Result<Box<dyn Backend>> {
    waiting(ctx, || {
        if let Some(c) = find(ctx, data)? {
            return Ok(Box::new(c) as Box<dyn Backend>);
        }
        Ok(Box::new(Store::open_read_only(data)?))
    })
}

/// The ClickHouse cluster `--store` (or `[store] url`) names, if any: its schema created where
/// missing for a command that writes; for one that only reads, an error when there is none yet.
fn cluster(ctx: &Ctx, create: bool) -> Result<Option<Cluster>> {
    let Some(url) = &ctx.store else { return Ok(None) };
    let c = Cluster::connect(url).with_context(|| format!("store {url}"))?;
    if create {
        c.create_schema().with_context(|| format!("creating the ipscope tables in {url}"))?;
    } else if !c.has_schema()? {
        bail!(
            "{url}: database {:?} holds no ipscope data yet (run `ipscope --store {url} ingest FILE` first)",
            c.url().database
        );
    }
    Ok(Some(c))
}

/// A [`Backend`] over the daemon's HTTP API.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    /// `None` when this user may not read the key: reads work, writes are refused.
    key: Option<String>,
    database: PathBuf,
}

fn remote(e: impl std::fmt::Display) -> StoreError {
    StoreError::Remote(e.to_string())
}

impl Client {
    pub fn new(info: &DaemonInfo, token: Option<String>, key: Option<String>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(HEALTH_TIMEOUT))
            .build()
            .into();
        Client { agent, base: info.url.trim_end_matches('/').to_owned(), token, key, database: info.database.clone() }
    }

    fn auth<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let r = match &self.key {
            Some(k) => r.header(KEY_HEADER, k),
            None => r,
        };
        match &self.token {
            Some(t) => r.header("Authorization", format!("Bearer {t}")),
            None => r,
        }
    }

    /// Reads a response: its body on success, the daemon's error message otherwise.
    fn answer(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Vec<u8>, StoreError> {
        let mut res = res.map_err(remote)?;
        let status = res.status();
        let body = res.body_mut().with_config().limit(u64::MAX).read_to_vec().map_err(remote)?;
        if status.is_success() {
            return Ok(body);
        }
        let text = String::from_utf8_lossy(&body);
        let msg = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| text.trim().to_owned());
        Err(match status.as_u16() {
            409 => StoreError::Conflict { path: msg },
            403 if msg.contains("read-only") => StoreError::NotReadOnly,
            _ => StoreError::Remote(format!("{msg} (HTTP {status})")),
        })
    }

    fn get(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        Self::answer(self.auth(self.agent.get(format!("{}{path}", self.base))).call())
    }

    fn post(&self, path: &str, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        Self::answer(self.auth(self.agent.post(format!("{}{path}", self.base))).send(body))
    }

    fn json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Wire(e.to_string()))
    }

    fn table(&self, sql: &str) -> Result<Table, StoreError> {
        let body = self.post("/api/sql?format=wire", sql.as_bytes())?;
        wire::table_from_json(&String::from_utf8_lossy(&body))
    }

    fn ips(&self, which: &str) -> Result<Vec<IpAddr>, StoreError> {
        let body = self.get(&format!("/api/store/addresses?which={which}"))?;
        Ok(String::from_utf8_lossy(&body).lines().filter_map(|l| l.parse().ok()).collect())
    }
}

impl Query for Client {
    /// The daemon's store is the embedded file.
    fn engine(&self) -> ipscope_store::Engine {
        ipscope_store::Engine::DuckDb
    }
    fn query(&self, sql: &str) -> Result<Table, StoreError> {
        self.table(sql)
    }
    fn query_user(&self, sql: &str) -> Result<Table, StoreError> {
        self.table(sql)
    }
    fn query_arrow(&self, sql: &str) -> Result<Vec<ipscope_store::RecordBatch>, StoreError> {
        let body = self.post("/api/sql?format=arrow", sql.as_bytes())?;
        wire::take_batches(&mut body.as_slice())
    }
}

impl Backend for Client {
    fn path(&self) -> Option<PathBuf> {
        Some(self.database.clone())
    }
    fn find_inputs(&self, head: &[u8]) -> Result<Vec<InputRecord>, StoreError> {
        Self::json(&self.post("/api/store/find-inputs", head)?)
    }
    fn find_named_input(&self, name: &str) -> Result<Option<InputRecord>, StoreError> {
        Self::json(&self.post("/api/store/named-input", name.as_bytes())?)
    }
    fn new_input_id(&mut self) -> Result<i32, StoreError> {
        Self::json(&self.post("/api/store/input-id", b"")?)
    }
    fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> Result<(), StoreError> {
        let mut body = Vec::new();
        wire::put_bytes(&mut body, &serde_json::to_vec(progress).map_err(|e| StoreError::Wire(e.to_string()))?);
        wire::put_bytes(&mut body, &progress.head);
        wire::put_event_batch(&mut body, &batch)?;
        let head = std::mem::take(&mut progress.head);
        *progress = Self::json(&self.post("/api/store/commit", &body)?)?;
        progress.head = head;
        Ok(())
    }
    fn enriched_addresses(&self) -> Result<Vec<IpAddr>, StoreError> {
        self.ips("enriched")
    }
    fn source_addresses(&self) -> Result<Vec<IpAddr>, StoreError> {
        self.ips("sources")
    }
    fn store_addresses(&mut self, batches: Vec<AddressBatch>, replace: bool) -> Result<u64, StoreError> {
        let mut body = Vec::new();
        wire::put_address_batches(&mut body, &batches)?;
        Self::json(&self.post(&format!("/api/store/addresses?replace={replace}"), &body)?)
    }
    fn event_count(&self) -> Result<u64, StoreError> {
        let t = self.table("SELECT count(*) FROM events")?;
        Ok(t.rows.first().and_then(|r| r.first()).and_then(|v| v.as_i64()).unwrap_or(0).max(0) as u64)
    }
    fn inputs(&self) -> Result<Vec<InputRecord>, StoreError> {
        Self::json(&self.get("/api/store/inputs")?)
    }
    fn purge(&mut self, cutoff: Micros, commit: bool) -> Result<PurgeOutcome, StoreError> {
        Self::json(&self.post(&format!("/api/store/purge?cutoff={cutoff}&commit={commit}"), b"")?)
    }
    fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.post("/api/store/checkpoint", b"").map(|_| ())
    }
    fn store_ptrs(&mut self, rows: Vec<ipscope_store::PtrRecord>) -> Result<(), StoreError> {
        let body = serde_json::to_vec(&rows).map_err(|e| StoreError::Wire(e.to_string()))?;
        self.post("/api/store/ptr", &body).map(|_| ())
    }
}

/// Reads a whole request body that [`Client::commit_batch`] wrote.
pub fn read_commit(mut body: &[u8]) -> Result<(InputProgress, EventBatch), StoreError> {
    let progress: InputProgress =
        serde_json::from_slice(wire::take_bytes(&mut body)?).map_err(|e| StoreError::Wire(e.to_string()))?;
    let head = wire::take_bytes(&mut body)?.to_vec();
    let batch = wire::take_event_batch(&mut body)?;
    Ok((InputProgress { head, ..progress }, batch))
}
