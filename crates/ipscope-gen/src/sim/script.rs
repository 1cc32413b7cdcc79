//! Connection scripts: which lines one sshd process writes, for each group of the model,
//! and the time between them.

use super::{DAY, Mode, Pre, SEC, Sim};
use crate::population::{self as pop, Addr, BREACH_UID, BREACH_USER, host_uid};
use crate::render::{ADDR_TEXT, addr_text};

/// sshd's default `MaxAuthTries`.
pub(super) const MAX_TRIES: u64 = 6;
/// Longest script: `Invalid user` + 6 × `Failed` + 2 disconnect lines.
pub(super) const MAX_STEPS: usize = 10;
/// Share of off-campus logins whose session is never closed.
const NEVER_CLOSED: f64 = 0.05;
/// Shares of randomly arriving connections: heavy brute-forcers, one-off scanners; the rest
/// come from the medium pool.
const HEAVY_SHARE: f64 = 0.45;
const SCANNER_SHARE: f64 = 0.13;
/// Share of randomly arriving sshd connections that never authenticate (scanner probes, and
/// password bots giving up on a server that offers them no password method); drawn before the
/// shares above.
const PROBE_SHARE: f64 = 0.12;
/// Linux `pid_max` on 64-bit systems.
const PID_MAX: u32 = 4_194_304;

/// One line of a connection's script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    InvalidUser,
    Failed,
    /// `message repeated N times: [ Failed password ...]`.
    Repeated(u16),
    AcceptedPassword,
    AcceptedKey,
    SessionOpened,
    SessionClosed,
    Noise(Noise),
    /// The line that makes a connection that never authenticated a probe.
    Probe(Probe),
}

/// How a connection that never authenticates shows (each is one `connection` failure event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// `Did not receive identification string from A port P`
    NoIdent,
    /// `Unable to negotiate with A port P: no matching key exchange method found. Their offer: ... [preauth]`
    Negotiate,
    /// `banner exchange: Connection from A port P: invalid format`
    Banner,
    /// `Connection closed by A port P [preauth]`
    Closed,
    /// `Received disconnect from A port P:11: Bye Bye [preauth]`, then the noise line
    /// `Disconnected from authenticating user U A port P [preauth]`
    ByeBye,
    /// `Connection closed by authenticating user U A port P [preauth]`
    ClosedByUser,
}

/// Lines that carry no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Noise {
    /// `Received disconnect from A port P:11: Bye Bye [preauth]`
    ByeBye,
    /// `Disconnected from authenticating|invalid user U A port P [preauth]`
    DisconnectedPreauth,
    /// `Connection closed by authenticating|invalid user U A port P [preauth]`
    ClosedByUserPreauth,
    /// `Connection closed by A port P [preauth]`
    ClosedPreauth,
    /// `error: maximum authentication attempts exceeded for [invalid user ]U from A port P ssh2 [preauth]`
    MaxAttempts,
    /// `Disconnecting authenticating|invalid user U A port P: Too many authentication failures [preauth]`
    TooMany,
    /// `Received disconnect from A port P:11: disconnected by user`
    UserDisconnect,
    /// `Disconnected from user U A port P`
    DisconnectedUser,
}

/// How quickly a client retries.
#[derive(Clone, Copy)]
pub(super) enum Pace {
    Bot,
    Normal,
    Slow,
    Human,
}

/// One connection (one sshd process) and its remaining script.
pub(crate) struct Conn {
    pub(super) steps: [Step; MAX_STEPS],
    pub(super) n: u8,
    pub(super) pos: u8,
    /// Index of the first step that happens at `close_at` (`u8::MAX`: none).
    pub(super) close_idx: u8,
    pub(super) close_at: i64,
    /// Whether the steps from `close_idx` on were counted as planned within the span.
    pub(super) tail_counted: bool,
    pub(super) pace: Pace,
    pub(super) breach: bool,
    /// A public-key login (counted at `session opened` where the format has no `Accepted` line).
    pub(super) by_key: bool,
    pub(crate) addr: Addr,
    pub(super) addr_txt: [u8; ADDR_TEXT],
    pub(super) addr_len: u8,
    pub(crate) port: u16,
    pub(crate) pid: u32,
    pub(crate) user: &'static str,
    pub(crate) uid: u32,
    /// The user does not exist on the host (`Invalid user`, `invalid user` forms).
    pub(crate) invalid: bool,
    /// Index of the user's key in the key table (public-key logins).
    pub(crate) key: u16,
}

impl Conn {
    pub(crate) fn addr_bytes(&self) -> &[u8] {
        &self.addr_txt[..usize::from(self.addr_len)]
    }
}

impl Sim<'_> {
    fn alloc_pid(&mut self) -> u32 {
        loop {
            self.pid += 1 + self.r.below(3) as u32;
            if self.pid >= PID_MAX {
                self.pid = 1000 + self.r.below(1000) as u32;
            }
            if !self.live_pids.contains(&self.pid) {
                return self.pid;
            }
        }
    }

    fn conn(&mut self, addr: Addr, user: &'static str, pace: Pace, client_port: bool) -> Conn {
        let (addr_txt, addr_len) = addr_text(addr);
        let port = if client_port { self.r.range(32_768, 60_999) } else { self.r.range(1_024, 65_535) } as u16;
        let uid = host_uid(user);
        Conn {
            steps: [Step::Failed; MAX_STEPS],
            n: 0,
            pos: 0,
            close_idx: u8::MAX,
            close_at: i64::MAX,
            tail_counted: false,
            pace,
            breach: false,
            by_key: false,
            addr,
            addr_txt,
            addr_len,
            port,
            pid: self.alloc_pid(),
            user,
            uid: uid.unwrap_or(0),
            invalid: uid.is_none(),
            key: 0,
        }
    }

    /// Appends a step if the output format shows it.
    fn push(&self, c: &mut Conn, s: Step) {
        let shown = match self.mode {
            Mode::Sshd => true,
            Mode::Iptracking => {
                matches!(s, Step::Failed | Step::AcceptedPassword | Step::SessionOpened | Step::SessionClosed)
            }
        };
        if shown && usize::from(c.n) < MAX_STEPS {
            c.steps[usize::from(c.n)] = s;
            c.n += 1;
        }
    }

    /// An attack connection: `k` failed attempts and the way it ends.
    fn attack(&mut self, addr: Addr, user: &'static str, pace: Pace, k: u64) -> Conn {
        let mut c = self.conn(addr, user, pace, false);
        if c.invalid {
            self.push(&mut c, Step::InvalidUser);
        }
        if self.mode == Mode::Sshd && k >= 3 && self.r.chance(0.3) {
            self.push(&mut c, Step::Failed);
            self.push(&mut c, Step::Repeated((k - 1) as u16));
        } else {
            for _ in 0..k {
                self.push(&mut c, Step::Failed);
            }
        }
        if k >= MAX_TRIES {
            self.push(&mut c, Step::Noise(Noise::MaxAttempts));
            self.push(&mut c, Step::Noise(Noise::TooMany));
        } else {
            match self.r.below(10) {
                0..=4 => {
                    self.push(&mut c, Step::Noise(Noise::ByeBye));
                    self.push(&mut c, Step::Noise(Noise::DisconnectedPreauth));
                }
                5..=7 => self.push(&mut c, Step::Noise(Noise::ClosedByUserPreauth)),
                _ => self.push(&mut c, Step::Noise(Noise::ClosedPreauth)),
            }
        }
        c
    }

    /// A connection that never authenticates (sshd only).
    fn probe_conn(&mut self, t: i64) -> Conn {
        let addr = if self.r.chance(0.3) { self.pick_heavy(t) } else { pop::scanner_addr(&mut self.r) };
        let mut c = self.conn(addr, "root", Pace::Bot, false);
        let p = match self.r.below(20) {
            0..=6 => Probe::NoIdent,
            7..=9 => Probe::Negotiate,
            10..=11 => Probe::Banner,
            12..=14 => Probe::Closed,
            15..=17 => Probe::ByeBye,
            _ => Probe::ClosedByUser,
        };
        self.push(&mut c, Step::Probe(p));
        if p == Probe::ByeBye {
            self.push(&mut c, Step::Noise(Noise::DisconnectedPreauth));
        }
        c
    }

    pub(super) fn random_conn(&mut self, t: i64) -> Conn {
        if self.mode == Mode::Sshd && self.r.chance(PROBE_SHARE) {
            return self.probe_conn(t);
        }
        let u = self.r.unit();
        if u < HEAVY_SHARE {
            let addr = self.pick_heavy(t);
            let user = match self.r.below(100) {
                0..=74 => "root",
                75..=82 => "admin",
                _ => self.users.pick(&mut self.r),
            };
            let k = if self.r.chance(0.5) { MAX_TRIES } else { self.r.range(1, MAX_TRIES - 1) };
            return self.attack(addr, user, Pace::Bot, k);
        }
        let (addr, k) = if u < 1.0 - SCANNER_SHARE {
            let i = self.r.skewed(self.medium.len() as u64) as usize;
            (self.medium[i], self.r.range(1, MAX_TRIES))
        } else {
            (pop::scanner_addr(&mut self.r), self.r.range(1, 3))
        };
        let user = self.users.pick(&mut self.r);
        self.attack(addr, user, Pace::Normal, k)
    }

    /// Probability that a legitimate login happens at `t` (UTC taken as local time).
    pub(super) fn office_hours(t: i64) -> f64 {
        const HOUR: [f64; 24] = [
            0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.15, 0.4, 0.8, 1.0, 1.0, 0.9, 0.7, 0.9, 1.0, 1.0, 0.9, 0.7, 0.5, 0.4,
            0.4, 0.3, 0.2, 0.1,
        ];
        let days = t.div_euclid(DAY);
        let hour = (t.rem_euclid(DAY) / (3600 * SEC)) as usize;
        let weekday = (days + 4).rem_euclid(7); // 0 = Sunday
        let w = HOUR[hour.min(23)];
        if weekday == 0 || weekday == 6 { w * 0.3 } else { w }
    }

    fn pick_heavy(&mut self, t: i64) -> Addr {
        let total: f64 = self.heavies.iter().filter(|h| h.from <= t && t < h.to).map(|h| h.weight).sum();
        let mut x = self.r.unit() * total;
        for h in self.heavies.iter().filter(|h| h.from <= t && t < h.to) {
            if x < h.weight {
                return h.addr;
            }
            x -= h.weight;
        }
        // Heavy 0 is active over the whole span; reached only through rounding.
        self.heavies.first().map_or(self.breach_addr, |h| h.addr)
    }

    fn legit_conn(&mut self, t: i64) -> Conn {
        let i = self.r.skewed(self.legit.len() as u64) as usize;
        let (name, uid, off, home, campus, key) = {
            let l = &self.legit[i];
            (l.name, l.uid, l.offcampus, l.home, l.campus, l.key)
        };
        let offcampus = self.r.chance(off);
        let addr = if !offcampus {
            campus[self.r.below(2) as usize]
        } else if self.r.chance(0.85) {
            home
        } else {
            pop::travel_addr(&mut self.r)
        };
        let mut c = self.conn(addr, name, Pace::Human, true);
        c.uid = uid;
        c.invalid = false;
        let by_key = key.is_some() && self.r.chance(0.9);
        if by_key {
            c.key = key.unwrap_or(0);
            c.by_key = true;
            self.push(&mut c, Step::AcceptedKey);
        } else {
            if self.r.chance(0.08) {
                self.push(&mut c, Step::Failed);
            }
            self.push(&mut c, Step::AcceptedPassword);
        }
        self.push(&mut c, Step::SessionOpened);
        self.live_pids.insert(c.pid);
        // Some off-campus sessions are never closed within the span ("still open").
        if !(offcampus && self.r.chance(NEVER_CLOSED)) {
            let mut dur = self.r.exp(40.0 * 60.0);
            if self.r.chance(0.1) {
                dur += self.r.exp(6.0 * 3600.0);
            }
            c.close_at = t + ((dur + 1.0) * SEC as f64) as i64;
            c.close_idx = c.n;
            self.push(&mut c, Step::Noise(Noise::UserDisconnect));
            self.push(&mut c, Step::Noise(Noise::DisconnectedUser));
            self.push(&mut c, Step::SessionClosed);
        }
        c
    }

    pub(super) fn pre_conn(&mut self, t: i64, what: Pre) -> Conn {
        match what {
            Pre::Legit => self.legit_conn(t),
            Pre::Slow(h) => {
                let [a, b, c] = self.slow_net;
                let addr = Addr::V4(u32::from_be_bytes([a, b, c, h]));
                let user = self.users.pick(&mut self.r);
                self.attack(addr, user, Pace::Slow, 1)
            }
            Pre::Campaign => {
                let user = match self.r.below(10) {
                    0..=6 => BREACH_USER,
                    7..=8 => "root",
                    _ => "admin",
                };
                let k = self.r.range(3, MAX_TRIES);
                self.attack(self.breach_addr, user, Pace::Normal, k)
            }
            Pre::Breach => {
                let mut c = self.conn(self.breach_addr, BREACH_USER, Pace::Normal, false);
                c.uid = BREACH_UID;
                c.breach = true;
                self.push(&mut c, Step::Failed);
                self.push(&mut c, Step::Failed);
                self.push(&mut c, Step::AcceptedPassword);
                self.push(&mut c, Step::SessionOpened);
                self.live_pids.insert(c.pid);
                c
            }
        }
    }

    /// Microseconds between two consecutive lines of one connection.
    pub(super) fn gap(&mut self, prev: Step, next: Step, pace: Pace) -> i64 {
        let (lo, hi) = match pace {
            Pace::Bot => (1.0, 3.0),
            Pace::Normal => (2.0, 6.0),
            Pace::Slow => (3.0, 9.0),
            Pace::Human => (3.0, 12.0),
        };
        let secs = match (prev, next) {
            (Step::InvalidUser, _) => 0.2 + (lo - 0.2) * self.r.unit() * 2.0,
            (_, Step::Failed) => lo + (hi - lo) * self.r.unit(),
            (_, Step::Repeated(n)) => {
                let mut s = 0.0;
                for _ in 0..n {
                    s += lo + (hi - lo) * self.r.unit();
                }
                s
            }
            (_, Step::AcceptedPassword | Step::AcceptedKey) => lo + (hi - lo) * self.r.unit(),
            (_, Step::SessionOpened) => 0.005 + 0.08 * self.r.unit(),
            (Step::Noise(_), _) => 0.03 * self.r.unit(),
            (_, Step::Noise(_) | Step::SessionClosed) => 0.5 * self.r.unit(),
            _ => 1.0,
        };
        (secs * SEC as f64) as i64
    }
}
