//! Which side started a connection, remembered from its `Built` line for its `Teardown` line
//! (teardowns name both sides in a fixed order but not the direction).

use std::collections::{HashMap, VecDeque};

use super::MAX_TRACKED_CONNECTIONS;

/// `Built inbound` (the `for` side started it) or `Built outbound` (the `to` side did).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Inbound,
    Outbound,
}

/// FNV-1a over the parts of a key (the syslog host, then the connection id or the ICMP
/// addresses): stable and cheap; a collision only mixes up the direction of two connections.
pub(super) fn key(parts: &[&[u8]]) -> u64 {
    parts.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, p| {
        let h = p.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A bounded map key → direction with oldest-first eviction.
#[derive(Default)]
pub(super) struct ConnMap {
    map: HashMap<u64, (Direction, u64)>,
    /// Insertion order; entries whose seq no longer matches the map are stale.
    order: VecDeque<(u64, u64)>,
    seq: u64,
}

impl ConnMap {
    pub(super) fn insert(&mut self, key: u64, dir: Direction) {
        self.seq += 1;
        self.map.insert(key, (dir, self.seq));
        self.order.push_back((key, self.seq));
        while self.map.len() > MAX_TRACKED_CONNECTIONS {
            let Some((k, s)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|&(_, seq)| seq == s) {
                self.map.remove(&k);
            }
        }
        // Torn-down connections leave stale order entries: compact before they pile up.
        if self.order.len() > 2 * MAX_TRACKED_CONNECTIONS {
            let map = &self.map;
            self.order.retain(|(k, s)| map.get(k).is_some_and(|&(_, seq)| seq == *s));
        }
    }

    pub(super) fn remove(&mut self, key: u64) -> Option<Direction> {
        self.map.remove(&key).map(|(d, _)| d)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
}
