//! [`Backend`] for the cluster: what `ingest`, `purge`, `enrich` and `status` do with a store.
//!
//! Ingest commits through [`Cluster::commit_batch`] (exactly once, see `cluster.rs`); inputs are
//! found in the ledger's committed rows; retention drops whole day partitions on every shard and
//! deletes by mutation only inside the day the cutoff cuts through.

use std::net::IpAddr;
use std::path::PathBuf;

use ipscope_event::Micros;
use ipscope_store::{
    AddressBatch, Backend, EventBatch, InputProgress, InputRecord, PtrRecord, PurgeOutcome, StoreError,
};

use crate::Error;
use crate::cluster::Cluster;

/// A cluster error as the store's error: a conflict stays a conflict (ingest starts the input
/// over on it), everything else keeps ClickHouse's own message.
fn store_error(e: Error, path: &str) -> StoreError {
    match e {
        Error::Conflict { .. } => StoreError::Conflict { path: path.to_owned() },
        e => StoreError::Backend(Box::new(e)),
    }
}

fn backend(e: Error) -> StoreError {
    store_error(e, "")
}

/// Microseconds as the `YYYYMMDD` number of their UTC day (the partition key of `events_local`).
fn day_number(micros: Micros) -> u32 {
    let day = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default().date_naive();
    chrono::Datelike::year(&day) as u32 * 10_000 + chrono::Datelike::month(&day) * 100 + chrono::Datelike::day(&day)
}

impl Cluster {
    /// Addresses from a one-column read (`ip` text), parsed.
    fn address_list(&self, sql: &str) -> Result<Vec<IpAddr>, Error> {
        let text = self.query_text(sql)?;
        text.lines()
            .map(|l| {
                l.parse().map_err(|_| Error::Protocol {
                    url: self.ledger().http().to_owned(),
                    message: format!("not an address: {l:?}"),
                })
            })
            .collect()
    }

    /// Committed events before `cutoff` (µs).
    fn count_before(&self, cutoff: Micros) -> Result<u64, Error> {
        let secs = cutoff.div_euclid(1_000_000);
        let us = cutoff.rem_euclid(1_000_000);
        let text = self.query_text(&format!(
            "SELECT count() FROM {}.events WHERE ts < toDecimal64('{secs}.{us:06}', 6)",
            self.db()
        ))?;
        self.number(&text)
    }

    /// Deletes every event row before `cutoff` on every shard: the day partitions wholly before
    /// it are dropped (instant, no rewrite), the rows of the day it cuts through are deleted by
    /// a mutation, then the enrichment of addresses no longer seen on that shard (an address
    /// lives on its events' shard). Not one transaction: a run stopped halfway leaves some days
    /// purged, and the next run finishes the job; no event after the cutoff is touched.
    fn purge_before(&self, cutoff: Micros) -> Result<(), Error> {
        let db = self.db();
        let cut_day = day_number(cutoff);
        let midnight = cutoff.rem_euclid(86_400_000_000) == 0;
        for shard in self.shards() {
            let parts = self.shard_text(
                shard.num,
                &format!(
                    "SELECT DISTINCT partition FROM system.parts WHERE database = '{db}' AND table = 'events_local' \
                     AND active"
                ),
            )?;
            for p in parts.lines() {
                let day: u32 = self.number(p)?;
                if day < cut_day {
                    self.run_on(shard, &format!("ALTER TABLE {db}.events_local DROP PARTITION {day}"))?;
                }
            }
            if !midnight {
                self.run_on(
                    shard,
                    &format!(
                        "ALTER TABLE {db}.events_local DELETE WHERE toYYYYMMDD(ts) = {cut_day} \
                         AND toInt64(ts) * 1000000 + ts_us < {cutoff}"
                    ),
                )?;
            }
        }
        self.wait_for_mutations("events_local")?;
        for shard in self.shards() {
            self.run_on(
                shard,
                &format!(
                    "ALTER TABLE {db}.addresses_local DELETE WHERE ip NOT IN \
                     (SELECT DISTINCT src_ip FROM {db}.events_local WHERE src_ip IS NOT NULL)"
                ),
            )?;
        }
        self.wait_for_mutations("addresses_local")
    }
}

impl Backend for Cluster {
    fn path(&self) -> Option<PathBuf> {
        None
    }

    fn find_inputs(&self, head: &[u8]) -> ipscope_store::Result<Vec<InputRecord>> {
        let mut found: Vec<InputRecord> = self
            .inputs()
            .map_err(backend)?
            .into_iter()
            .filter(|r| InputProgress::head_matches(r.head_len, r.head_hash, head))
            .collect();
        found.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.id.cmp(&b.id)));
        Ok(found)
    }

    fn find_named_input(&self, name: &str) -> ipscope_store::Result<Option<InputRecord>> {
        Ok(self
            .inputs()
            .map_err(backend)?
            .into_iter()
            .filter(|r| r.head_len == 0 && r.path == name)
            .max_by_key(|r| r.id))
    }

    fn new_input_id(&mut self) -> ipscope_store::Result<i32> {
        Cluster::new_input_id(self).map_err(backend)
    }

    fn commit_batch(&mut self, progress: &mut InputProgress, batch: EventBatch) -> ipscope_store::Result<()> {
        Cluster::commit_batch(self, progress, batch).map_err(|e| store_error(e, &progress.path))
    }

    fn enriched_addresses(&self) -> ipscope_store::Result<Vec<IpAddr>> {
        self.address_list(&format!("SELECT DISTINCT ip FROM {}.addresses", self.db())).map_err(backend)
    }

    fn source_addresses(&self) -> ipscope_store::Result<Vec<IpAddr>> {
        self.address_list(&format!("SELECT DISTINCT src_ip FROM {}.events WHERE src_ip IS NOT NULL", self.db()))
            .map_err(backend)
    }

    /// Rows go through the Distributed `addresses` table; `addresses_local` is a
    /// `ReplacingMergeTree` by address, so an address stored again keeps one (the newest) row.
    /// A deduplicated batch (an address book that started over) therefore needs no anti-join.
    /// `replace` (`enrich --refresh`) empties the table on every shard first.
    fn store_addresses(&mut self, batches: Vec<AddressBatch>, replace: bool) -> ipscope_store::Result<u64> {
        if replace {
            for shard in self.shards() {
                self.run_on(shard, &format!("TRUNCATE TABLE {}.addresses_local", self.db())).map_err(backend)?;
            }
        }
        let mut n = 0;
        for b in &batches {
            if let Some(rows) = b.rows() {
                self.insert_addresses(rows).map_err(backend)?;
                n += b.len() as u64;
            }
        }
        Ok(n)
    }

    fn event_count(&self) -> ipscope_store::Result<u64> {
        Cluster::event_count(self).map_err(backend)
    }

    fn inputs(&self) -> ipscope_store::Result<Vec<InputRecord>> {
        Cluster::inputs(self).map_err(backend)
    }

    fn purge(&mut self, cutoff: Micros, commit: bool) -> ipscope_store::Result<PurgeOutcome> {
        let events = self.count_before(cutoff).map_err(backend)?;
        if commit && events > 0 {
            self.purge_before(cutoff).map_err(backend)?;
        }
        Ok(PurgeOutcome { events, committed: commit })
    }

    /// Nothing to do: every insert is on disk when its request returns.
    fn checkpoint(&mut self) -> ipscope_store::Result<()> {
        Ok(())
    }

    fn store_ptrs(&mut self, _rows: Vec<PtrRecord>) -> ipscope_store::Result<()> {
        Err(StoreError::Backend("the reverse DNS cache (--ptr) is not kept on the ClickHouse cluster yet".into()))
    }
}
