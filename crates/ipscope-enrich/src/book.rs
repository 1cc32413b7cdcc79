//! The per-address cache of an ingest run.

use std::collections::HashSet;
use std::net::IpAddr;

use roaring::RoaringBitmap;

use ipscope_event::AddressInfo;

use crate::{Enricher, Result};

/// The addresses already enriched (in the store, or earlier in this run). For each batch of
/// events it returns the [`AddressInfo`] of the addresses seen for the first time, so every
/// address is looked up in the databases once and stored once.
///
/// Memory grows with the number of distinct source addresses, not with the number of events:
/// IPv4 addresses in a compressed bitmap (roaring: 2–3 bytes an address spread over the whole
/// space, where a hash set took 10–15 and doubled while growing: 4 M addresses were 40–60 MiB
/// of a 100 M-line ingest's peak), IPv6 ones in a hash set (~20 bytes each), up to
/// [`MAX_KNOWN`]: past that the book forgets what it knew and says so
/// ([`AddressBook::forgot`]); the store then adds only addresses it does not have yet, so an
/// address looked up again is never stored twice.
#[derive(Debug)]
pub struct AddressBook {
    v4: RoaringBitmap,
    v6: HashSet<u128, foldhash::fast::RandomState>,
    /// Addresses in `v4` and `v6` (a bitmap's `len` sums its containers: too slow per insert).
    known: usize,
    limit: usize,
    forgot: bool,
    /// Database lookups made (cache misses).
    pub lookups: u64,
    /// Events whose address was already known (cache hits).
    pub hits: u64,
}

/// Addresses a book remembers before it starts over: ~10 MiB of IPv4 addresses (~80 MiB of IPv6
/// ones), the rest of an ingest's memory being bounded already. A honeypot or an IPv6 scan can
/// bring tens of millions of distinct sources; each costs one lookup per start-over instead of
/// memory.
pub const MAX_KNOWN: usize = 4_000_000;

impl Default for AddressBook {
    fn default() -> Self {
        AddressBook::with_limit(std::iter::empty(), MAX_KNOWN)
    }
}

impl AddressBook {
    /// A book that already knows `known` (the store's enriched addresses).
    pub fn new(known: impl IntoIterator<Item = IpAddr>) -> Self {
        AddressBook::with_limit(known, MAX_KNOWN)
    }

    /// A book that remembers at most `limit` addresses (of `known`, only the first `limit`).
    pub fn with_limit(known: impl IntoIterator<Item = IpAddr>, limit: usize) -> Self {
        let mut book = AddressBook {
            v4: RoaringBitmap::new(),
            v6: HashSet::default(),
            known: 0,
            limit: limit.max(1),
            forgot: false,
            lookups: 0,
            hits: 0,
        };
        for ip in known {
            if book.len() >= book.limit {
                book.forgot = true;
                break;
            }
            book.insert(ip);
        }
        book
    }

    pub fn len(&self) -> usize {
        self.known
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the book ever dropped addresses the store has (the store must then check each
    /// new address against what it holds).
    pub fn forgot(&self) -> bool {
        self.forgot
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(&u128::from(a)),
        }
    }

    fn insert(&mut self, ip: IpAddr) {
        if self.len() >= self.limit {
            self.v4 = RoaringBitmap::new();
            self.v6 = HashSet::default();
            self.known = 0;
            self.forgot = true;
        }
        let new = match ip {
            IpAddr::V4(a) => self.v4.insert(u32::from(a)),
            IpAddr::V6(a) => self.v6.insert(u128::from(a)),
        };
        self.known += usize::from(new);
    }

    /// Forgets addresses whose enrichment was not stored after all (their batch failed to
    /// commit), so the next batch that carries them looks them up again.
    pub fn forget(&mut self, ips: &[IpAddr]) {
        for ip in ips {
            let removed = match ip {
                IpAddr::V4(a) => self.v4.remove(u32::from(*a)),
                IpAddr::V6(a) => self.v6.remove(&u128::from(*a)),
            };
            self.known -= usize::from(removed);
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
        // Events of one address come in runs (an attacker's tries): those skip the bitmap.
        let mut last = None;
        for ip in ips {
            let known = last == Some(ip) || self.contains(ip);
            last = Some(ip);
            if known {
                self.hits += 1;
                continue;
            }
            let info = enricher.lookup(ip)?;
            self.lookups += 1;
            self.insert(ip);
            out.push(info);
        }
        Ok(())
    }
}
