//! pid → address of the `Accepted` line, for the PAM session lines of the same sshd process
//! (`pam_unix(sshd:session): session opened for user X` carries no address).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use super::{Ctx, MAX_TRACKED_SESSIONS};
use crate::Event;

/// Longest pid we parse for the session map (u32 has 10 digits).
const MAX_PID_DIGITS: usize = 10;

/// (hash of the syslog host, pid): one stream may interleave several hosts.
pub(super) type SessionKey = (u64, u32);

#[derive(Clone, Debug)]
pub(super) struct Tracked {
    seq: u64,
    pub(super) src_ip: Option<IpAddr>,
    pub(super) src_host: Option<String>,
    pub(super) src_port: Option<u16>,
}

impl Tracked {
    pub(super) fn of(e: &Event) -> Tracked {
        Tracked { seq: 0, src_ip: e.src_ip, src_host: e.src_host.clone(), src_port: e.src_port }
    }
}

pub(super) fn session_key(ctx: &Ctx<'_>) -> Option<SessionKey> {
    let pid = ctx.pid?;
    if pid.is_empty() || pid.len() > MAX_PID_DIGITS || !pid.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let pid = std::str::from_utf8(pid).ok()?.parse::<u32>().ok()?;
    // FNV-1a of the host: stable and cheap; a collision only mixes up two hosts' equal pids.
    let h = ctx
        .host
        .unwrap_or_default()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    Some((h, pid))
}

/// A bounded map with oldest-first eviction.
#[derive(Default)]
pub(super) struct SessionMap {
    map: HashMap<SessionKey, Tracked>,
    /// Insertion order; entries whose seq no longer matches the map are stale.
    order: VecDeque<(SessionKey, u64)>,
    seq: u64,
}

impl SessionMap {
    pub(super) fn insert(&mut self, key: SessionKey, mut t: Tracked) {
        self.seq += 1;
        t.seq = self.seq;
        self.map.insert(key, t);
        self.order.push_back((key, self.seq));
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

    pub(super) fn get(&self, key: &SessionKey) -> Option<&Tracked> {
        self.map.get(key)
    }

    pub(super) fn remove(&mut self, key: &SessionKey) -> Option<Tracked> {
        self.map.remove(key)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
}
