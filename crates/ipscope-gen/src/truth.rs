//! Ground truth, counted while the lines are written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use crate::population::{Addr, is_campus};

/// What the generator wrote, by construction. Every counter counts written lines only: sessions
/// cut by the end of the output are counted as far as they got.
///
/// For [`crate::write_iptracking`] the same fields count rows: `password_attempts` = `auth` rows
/// (one per attempt, there is no "message repeated" collapsing), `invalid_users`, `noise_lines`
/// and `repeated_lines` are 0 (the export has no such rows), `accepted_publickeys` counts key
/// logins (they produce an `open_session` row without an `auth` row).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truth {
    /// Lines (rows) written; equals the configured `lines`.
    pub lines: u64,
    /// Password authentication attempts: `Failed password` + `Accepted password` lines, a
    /// `message repeated N times: [ Failed password ...]` line counting as N.
    pub password_attempts: u64,
    /// Failed password attempts (same counting as above).
    pub failed_passwords: u64,
    /// `Accepted password` lines.
    pub accepted_passwords: u64,
    /// `Accepted publickey` lines.
    pub accepted_publickeys: u64,
    /// `Invalid user X from ADDR port N` lines.
    pub invalid_users: u64,
    /// `message repeated N times` lines.
    pub repeated_lines: u64,
    /// `pam_unix(sshd:session): session opened` lines.
    pub sessions_opened: u64,
    /// `pam_unix(sshd:session): session closed` lines.
    pub sessions_closed: u64,
    /// Lines that carry no event (disconnects, `maximum authentication attempts`, ...).
    pub noise_lines: u64,
    /// Distinct source addresses in the output. Every connection's first line is an event line
    /// (`Invalid user`, `Failed`/`Accepted`), so this is also the number of distinct addresses
    /// with at least one event.
    pub distinct_addresses: u64,
    /// `(user, address)` pairs outside [`crate::CAMPUS_NETS`] with more sessions opened than
    /// closed at the end of the output, sorted; the `u64` is opens − closes.
    pub open_offcampus: Vec<(String, IpAddr, u64)>,
    /// The brute-forcer that got in: its address and the account, if its `Accepted password`
    /// line was written (with very small `lines` it may not be).
    pub breach: Option<(IpAddr, String)>,
    /// Timestamp of the first and last line, UTC microseconds (0 when nothing was written).
    pub first_micros: i64,
    pub last_micros: i64,
    /// Every format: the events ipscope's parser makes of the output, by `kind` or
    /// `kind/outcome` (ipscope's names: `auth/failure`, `session_open`, `connection/success`,
    /// `deny/failure`, `feed_event`, ...); kinds that were not written are absent.
    pub events: BTreeMap<&'static str, u64>,
    /// Every format: lines that carry no event (the parser ignores them: sshd disconnect noise,
    /// the Zeek header, Cowrie `session.closed` of a session that never logged in).
    pub ignored_lines: u64,
}

impl Truth {
    /// The sum of [`Truth::events`].
    pub fn total_events(&self) -> u64 {
        self.events.values().sum()
    }
}

/// An event as ipscope counts it: kind and outcome (see [`Truth::events`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    AuthFailure,
    AuthSuccess,
    /// iptracking `auth`: the attempt, not its result.
    Auth,
    KeyAuthSuccess,
    InvalidUser,
    SessionOpen,
    SessionClose,
    Connection,
    ConnectionSuccess,
    ConnectionFailure,
    DenyFailure,
    Command,
    DownloadSuccess,
    DownloadFailure,
    ClientInfo,
    FeedEvent,
}

impl Ev {
    const COUNT: usize = 16;
    const ALL: [Ev; Ev::COUNT] = [
        Ev::AuthFailure,
        Ev::AuthSuccess,
        Ev::Auth,
        Ev::KeyAuthSuccess,
        Ev::InvalidUser,
        Ev::SessionOpen,
        Ev::SessionClose,
        Ev::Connection,
        Ev::ConnectionSuccess,
        Ev::ConnectionFailure,
        Ev::DenyFailure,
        Ev::Command,
        Ev::DownloadSuccess,
        Ev::DownloadFailure,
        Ev::ClientInfo,
        Ev::FeedEvent,
    ];

    /// ipscope's `kind[/outcome]` text.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Ev::AuthFailure => "auth/failure",
            Ev::AuthSuccess => "auth/success",
            Ev::Auth => "auth",
            Ev::KeyAuthSuccess => "key_auth/success",
            Ev::InvalidUser => "invalid_user",
            Ev::SessionOpen => "session_open",
            Ev::SessionClose => "session_close",
            Ev::Connection => "connection",
            Ev::ConnectionSuccess => "connection/success",
            Ev::ConnectionFailure => "connection/failure",
            Ev::DenyFailure => "deny/failure",
            Ev::Command => "command",
            Ev::DownloadSuccess => "download/success",
            Ev::DownloadFailure => "download/failure",
            Ev::ClientInfo => "client_info",
            Ev::FeedEvent => "feed_event",
        }
    }
}

/// A small multiplicative hasher for address keys (the set holds up to millions of them; the
/// default SipHash would dominate the generator's run time). Not DoS-resistant, which is fine
/// for self-generated keys.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // splitmix64 finalizer: spreads entropy into both the low (bucket) and high (tag) bits.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u128(&mut self, x: u128) {
        self.0 = (self.0 ^ (x as u64) ^ ((x >> 64) as u64).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type FastSet = HashSet<u128, BuildHasherDefault<KeyHasher>>;

/// Accumulates [`Truth`] during a run.
///
/// Memory: the distinct-address set holds one 16-byte key per address (about 32 bytes with
/// hash-table overhead): ~10 MB for the ~300 k addresses of 10 M lines, ~100 MB at 100 M lines.
/// The open-session map only holds legitimate / breached sessions (tens to thousands).
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) t: Truth,
    addresses: FastSet,
    open: HashMap<(&'static str, Addr), u64>,
    counts: [u64; Ev::COUNT],
    /// Whether a timestamped line was counted (header lines have none).
    timed: bool,
}

impl Tally {
    /// One written header line (no timestamp, no event).
    pub(crate) fn header_line(&mut self) {
        self.t.lines += 1;
        self.t.ignored_lines += 1;
    }

    /// One more event of this kind.
    pub(crate) fn event(&mut self, e: Ev) {
        self.counts[e as usize] += 1;
    }

    /// `n` more events of this kind.
    pub(crate) fn events(&mut self, e: Ev, n: u64) {
        self.counts[e as usize] += n;
    }

    /// One written line at `ts` (keeps `lines`, `first_micros`, `last_micros`).
    pub(crate) fn line(&mut self, ts: i64) {
        if !self.timed {
            self.timed = true;
            self.t.first_micros = ts;
        }
        self.t.lines += 1;
        self.t.last_micros = ts;
    }

    pub(crate) fn address(&mut self, a: Addr) {
        self.addresses.insert(a.key());
    }

    pub(crate) fn session_opened(&mut self, user: &'static str, a: Addr) {
        self.t.sessions_opened += 1;
        *self.open.entry((user, a)).or_insert(0) += 1;
    }

    pub(crate) fn session_closed(&mut self, user: &'static str, a: Addr) {
        self.t.sessions_closed += 1;
        if let Some(n) = self.open.get_mut(&(user, a)) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&(user, a));
            }
        }
    }

    pub(crate) fn finish(mut self) -> Truth {
        self.t.distinct_addresses = self.addresses.len() as u64;
        for e in Ev::ALL {
            let n = self.counts[e as usize];
            if n > 0 {
                self.t.events.insert(e.key(), n);
            }
        }
        let mut open: Vec<(String, IpAddr, u64)> = self
            .open
            .into_iter()
            .filter(|&((_, a), n)| n > 0 && !is_campus(a.ip()))
            .map(|((u, a), n)| (u.to_owned(), a.ip(), n))
            .collect();
        open.sort();
        self.t.open_offcampus = open;
        self.t
    }
}
