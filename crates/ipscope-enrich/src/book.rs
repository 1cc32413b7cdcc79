//! The per-address cache of an ingest run.

use std::collections::HashSet;
use std::net::IpAddr;

use ipscope_event::AddressInfo;

use crate::{Enricher, Result};

/// The addresses already enriched (in the store, or earlier in this run). For each batch of
/// events it returns the [`AddressInfo`] of the addresses seen for the first time, so every
/// address is looked up in the databases once and stored once.
///
/// Memory grows with the number of distinct source addresses (~40 bytes each), not with the
/// number of events.
#[derive(Debug, Default)]
pub struct AddressBook {
    known: HashSet<IpAddr>,
    /// Database lookups made (cache misses).
    pub lookups: u64,
    /// Events whose address was already known (cache hits).
    pub hits: u64,
}

impl AddressBook {
    /// A book that already knows `known` (the store's enriched addresses).
    pub fn new(known: impl IntoIterator<Item = IpAddr>) -> Self {
        AddressBook { known: known.into_iter().collect(), lookups: 0, hits: 0 }
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Forgets addresses whose enrichment was not stored after all (their batch failed to
    /// commit), so the next batch that carries them looks them up again.
    pub fn forget(&mut self, ips: &[IpAddr]) {
        for ip in ips {
            self.known.remove(ip);
        }
    }

    /// Looks up the addresses `ips` not seen before; appends their information to
    /// `out` and counts them as known from now on. The caller stores `out` with the events; if
    /// that commit fails, the book is ahead of the store and must be rebuilt from it
    /// (`ipscope ingest` does so after a failed input).
    pub fn enrich_new(
        &mut self,
        enricher: &Enricher,
        ips: impl IntoIterator<Item = IpAddr>,
        out: &mut Vec<AddressInfo>,
    ) -> Result<()> {
        for ip in ips {
            if self.known.contains(&ip) {
                self.hits += 1;
                continue;
            }
            let info = enricher.lookup(ip)?;
            self.lookups += 1;
            self.known.insert(ip);
            out.push(info);
        }
        Ok(())
    }
}
