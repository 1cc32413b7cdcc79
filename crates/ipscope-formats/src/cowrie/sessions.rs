//! Cowrie session id → what the session's `cowrie.session.connect` (and login) said, for the
//! session's later events: before Cowrie 2.6 only the connect event carries the ports and the
//! honeypot address, and no event but the login carries the user.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use super::{MAX_SESSION_ID_LEN, MAX_TRACKED_SESSIONS, MAX_TRACKED_TEXT_LEN};

/// The facts of one session that later events inherit.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Tracked {
    seq: u64,
    pub(super) src_ip: Option<IpAddr>,
    pub(super) src_port: Option<u16>,
    pub(super) dst_ip: Option<IpAddr>,
    pub(super) dst_port: Option<u16>,
    /// `ssh` / `telnet`.
    pub(super) protocol: Option<String>,
    /// The user of the (first) successful login.
    pub(super) user: Option<String>,
    /// A `cowrie.login.success` was seen: a `session_open` was emitted and the close must match it.
    pub(super) logged_in: bool,
}

/// A text worth remembering: short enough (attacker-chosen user names can be long; the map
/// must stay bounded in bytes, not just in entries).
pub(super) fn keep(s: Option<&str>) -> Option<String> {
    s.filter(|s| s.len() <= MAX_TRACKED_TEXT_LEN).map(str::to_owned)
}

/// A bounded map with oldest-first eviction.
#[derive(Default)]
pub(super) struct SessionMap {
    map: HashMap<String, Tracked>,
    /// Insertion order; entries whose seq no longer matches the map are stale.
    order: VecDeque<(String, u64)>,
    seq: u64,
}

impl SessionMap {
    /// Whether `id` can be a key (not empty, not absurdly long).
    pub(super) fn trackable(id: &str) -> bool {
        !id.is_empty() && id.len() <= MAX_SESSION_ID_LEN
    }

    /// Insert (or replace) the entry for `id`, evicting the oldest beyond the bound.
    pub(super) fn insert(&mut self, id: &str, mut t: Tracked) {
        if !Self::trackable(id) {
            return;
        }
        self.seq += 1;
        t.seq = self.seq;
        self.map.insert(id.to_owned(), t);
        self.order.push_back((id.to_owned(), self.seq));
        while self.map.len() > MAX_TRACKED_SESSIONS {
            let Some((k, s)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|t| t.seq == s) {
                self.map.remove(&k);
            }
        }
        // Closed sessions leave stale order entries: compact before they pile up.
        if self.order.len() > 2 * MAX_TRACKED_SESSIONS {
            let map = &self.map;
            self.order.retain(|(k, s)| map.get(k).is_some_and(|t| t.seq == *s));
        }
    }

    pub(super) fn get(&self, id: &str) -> Option<&Tracked> {
        self.map.get(id)
    }

    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut Tracked> {
        self.map.get_mut(id)
    }

    pub(super) fn remove(&mut self, id: &str) -> Option<Tracked> {
        self.map.remove(id)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    #[cfg(test)]
    pub(super) fn order_len(&self) -> usize {
        self.order.len()
    }
}
