//! Reverse DNS for `lookup --ptr` and `report ... --ptr`: names from the store's cache
//! (`ptr_cache`, schema V5) while they have not expired, the others asked of the DNS server
//! (`ipscope_enrich::ptr`: non-blocking UDP, a bounded number of queries in flight, a timeout),
//! and the answers written back to the cache. Off by default; never part of ingest.
//!
//! Names and "no name" (NXDOMAIN, no PTR record) are cached for `--ptr-ttl`; failures and
//! timeouts are not (a resolver outage must not hide names for a day).

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use ipscope_enrich::ptr::{self, PtrAnswer, Resolver};
use ipscope_report::reports::rates::parse_window;
use ipscope_store::{PtrRecord, Query, Table, Value};

use super::Ctx;
use crate::cli::PtrArgs;

/// Default cache lifetime of an answer.
pub const DEFAULT_TTL: &str = "1d";
/// Addresses per cache query (an `IN` list).
const CACHE_CHUNK: usize = 1000;

/// The resolver `a` asks for.
pub fn resolver(a: &PtrArgs) -> Result<Resolver> {
    let server = match a.dns_server {
        Some(s) => s,
        None => {
            let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
            ptr::system_server(&conf).ok_or(ptr::PtrError::NoServer)?
        }
    };
    let timeout = parse_millis(&a.dns_timeout).with_context(|| format!("--dns-timeout {:?}", a.dns_timeout))?;
    Ok(Resolver { server, timeout, concurrency: a.dns_concurrency })
}

/// `500ms`, `2s`, `1m` → a duration.
fn parse_millis(s: &str) -> Result<Duration> {
    let s = s.trim();
    if let Some(ms) = s.strip_suffix("ms") {
        let n: u64 = ms.parse().map_err(|_| anyhow!("expected a duration like 500ms, 2s"))?;
        return Ok(Duration::from_millis(n.max(1)));
    }
    let secs = parse_window(s).ok_or_else(|| anyhow!("expected a duration like 500ms, 2s"))?;
    Ok(Duration::from_secs(u64::try_from(secs).unwrap_or(1)))
}

/// What reverse DNS found for each address (absent: nothing, or a failure).
pub struct Names {
    pub names: HashMap<IpAddr, String>,
    /// Answers to write to the cache.
    pub fresh: Vec<PtrRecord>,
    pub cached: usize,
    pub failed: usize,
}

/// Names for `ips`: the unexpired cache entries in `store` (if any), DNS for the rest.
pub fn lookup(store: Option<&dyn Query>, ips: &[IpAddr], a: &PtrArgs, now: i64) -> Result<Names> {
    let ttl = parse_window(&a.ptr_ttl).ok_or_else(|| anyhow!("--ptr-ttl {:?}: expected 1h, 1d, ...", a.ptr_ttl))?;
    let mut ips: Vec<IpAddr> = ips.iter().map(|ip| ipscope_event::canonical_ip(*ip)).collect();
    ips.sort_unstable();
    ips.dedup();
    let mut names = HashMap::new();
    let mut known = std::collections::HashSet::new();
    if let Some(store) = store {
        for chunk in ips.chunks(CACHE_CHUNK) {
            let list: Vec<String> = chunk.iter().map(|ip| format!("'{ip}'")).collect();
            let t = store.query(&format!(
                "SELECT ip, name FROM ptr_cache WHERE ip IN ({}) AND expires_at > make_timestamp({now})",
                list.join(", ")
            ))?;
            for r in &t.rows {
                let Some(Ok(ip)) = r.first().and_then(Value::as_str).map(str::parse::<IpAddr>) else { continue };
                known.insert(ip);
                if let Some(Value::Text(n)) = r.get(1) {
                    names.insert(ip, n.clone());
                }
            }
        }
    }
    let todo: Vec<IpAddr> = ips.iter().copied().filter(|ip| !known.contains(ip)).collect();
    let mut fresh = Vec::new();
    let mut failed = 0;
    if !todo.is_empty() {
        let answers = resolver(a)?.resolve(&todo)?;
        for (ip, ans) in todo.iter().zip(answers) {
            let name = match &ans {
                PtrAnswer::Name(n) => Some(n.clone()),
                PtrAnswer::None => None,
                PtrAnswer::Failed(_) | PtrAnswer::Timeout => {
                    failed += 1;
                    continue;
                }
            };
            if let Some(n) = &name {
                names.insert(*ip, n.clone());
            }
            fresh.push(PtrRecord {
                ip: ip.to_string(),
                name,
                status: ans.status().to_owned(),
                resolved_at: now,
                expires_at: now.saturating_add(ttl.saturating_mul(1_000_000)),
            });
        }
    }
    Ok(Names { names, fresh, cached: known.len(), failed })
}

/// Writes fresh answers to the cache (a short write: the daemon's writer, or the file opened for
/// writing); a store this user may not write keeps its cache as it was, with a warning.
pub fn save(ctx: &Ctx, data: &Path, n: &mut Names) -> Result<()> {
    if n.fresh.is_empty() {
        return Ok(());
    }
    let rows = std::mem::take(&mut n.fresh);
    let count = rows.len();
    let saved = crate::daemon::open_writable(ctx, data, false).and_then(|mut s| Ok(s.store_ptrs(rows)?));
    if let Err(e) = saved {
        writeln!(std::io::stderr(), "warning: {count} reverse DNS answers not cached: {e:#}")?;
    }
    Ok(())
}

/// One line for stderr: how many came from where.
pub fn summary(n: &Names, asked: usize) -> String {
    format!(
        "reverse DNS: {asked} addresses, {} from the cache, {} asked ({} without an answer: timeout or failure)",
        n.cached,
        asked.saturating_sub(n.cached),
        n.failed
    )
}

/// Inserts a `ptr` column after the `ip` column of `t` (an error when there is none).
pub fn add_column(t: &mut Table, names: &HashMap<IpAddr, String>) -> Result<()> {
    let i = t.column("ip").ok_or_else(|| {
        anyhow!("--ptr needs a report that lists addresses in an `ip` column (top-ips, attackers, crossover, low-success, nets --drill)")
    })?;
    t.columns.insert(i + 1, "ptr".into());
    for row in &mut t.rows {
        let name = row
            .get(i)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<IpAddr>().ok())
            .and_then(|ip| names.get(&ipscope_event::canonical_ip(ip)).cloned());
        row.insert(i + 1, name.map_or(Value::Null, Value::Text));
    }
    Ok(())
}

/// The addresses of `t`'s `ip` column.
pub fn addresses(t: &Table) -> Vec<IpAddr> {
    let Some(i) = t.column("ip") else { return Vec::new() };
    t.rows.iter().filter_map(|r| r.get(i).and_then(Value::as_str)).filter_map(|s| s.parse().ok()).collect()
}

/// `SocketAddr` of `--dns-server`: `ADDR:PORT`, or `ADDR` for port 53.
pub fn parse_server(s: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("{s:?}: expected ADDR or ADDR:PORT ([::1]:53 for IPv6 with a port)"))
}
