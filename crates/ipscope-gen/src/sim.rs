//! The simulation: connections arrive, each plays a short script of log lines, and a min-heap
//! on the next line's time interleaves them so that output is in time order.
//!
//! Line count and time span are both met by a feedback controller on the arrival rate: after
//! every arrival the next one is drawn so that the lines still needed (minus those already
//! planned) are spread over the (day-weighted) time that remains. Generation stops at exactly
//! `lines` lines, cutting whatever connections are still in flight.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::io;

mod script;

pub(crate) use script::{Conn, Noise, Probe, Step};

use crate::SshConfig;
use crate::population::{self as pop, Addr, LEGIT_USERS, SLOW_NETS, UserTable};
use crate::render::{KeyFp, Sink};
use crate::rng::Rng;
use crate::truth::{Ev, Tally, Truth};

const SEC: i64 = 1_000_000;
const DAY: i64 = 86_400 * SEC;
/// Legitimate logins per user and day on average (before office-hours thinning, which keeps
/// about half), independent of `lines`: a site's users do not log in more often because it is
/// attacked more. Capped so that they take at most [`LEGIT_MAX_SHARE`] of the lines.
const LOGINS_PER_USER_DAY: f64 = 8.0;
const LEGIT_MAX_SHARE: f64 = 0.1;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Sshd,
    Iptracking,
}

struct Heavy {
    addr: Addr,
    from: i64,
    to: i64,
    weight: f64,
}

struct Legit {
    name: &'static str,
    uid: u32,
    campus: [Addr; 2],
    home: Addr,
    offcampus: f64,
    key: Option<u16>,
}

/// Connections scheduled in advance (not drawn by the rate controller).
#[derive(Clone, Copy)]
enum Pre {
    /// One attempt from the low-and-slow /24: host part.
    Slow(u8),
    /// A connection of the brute-force campaign that ends in a breach.
    Campaign,
    /// The breach itself.
    Breach,
    /// A legitimate login.
    Legit,
}

pub(crate) struct Sim<'a> {
    cfg: &'a SshConfig,
    mode: Mode,
    r: Rng,
    start: i64,
    end: i64,
    day_w: Vec<f64>,
    day_cum: Vec<f64>,
    users: UserTable,
    heavies: Vec<Heavy>,
    medium: Vec<Addr>,
    legit: Vec<Legit>,
    keys: Vec<KeyFp>,
    breach_addr: Addr,
    slow_net: [u8; 3],
    pre: Vec<(i64, Pre)>,
    pid: u32,
    live_pids: HashSet<u32>,
    slots: Vec<Conn>,
    free: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    seq: u64,
    /// Planned, not yet written lines within the span.
    pending: i64,
    /// Estimated lines of pre-scheduled connections not started yet.
    reserve: i64,
    arrivals: u64,
    arrival_lines: u64,
    tally: Tally,
}

/// Expected lines of a pre-scheduled connection (for the rate controller only).
fn pre_estimate(mode: Mode, what: Pre) -> i64 {
    match (mode, what) {
        (Mode::Sshd, Pre::Slow(_)) => 3,
        (Mode::Iptracking, Pre::Slow(_)) => 1,
        (Mode::Sshd, Pre::Campaign) => 6,
        (Mode::Iptracking, Pre::Campaign) => 5,
        (_, Pre::Breach) => 4,
        (Mode::Sshd, Pre::Legit) => 6,
        (Mode::Iptracking, Pre::Legit) => 3,
    }
}

fn base64_char(x: u64) -> u8 {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    B64[(x & 63) as usize]
}

impl<'a> Sim<'a> {
    pub(crate) fn new(cfg: &'a SshConfig, mode: Mode) -> Self {
        let mut r = Rng::new(cfg.seed);
        let start = cfg.start_micros;
        let span = i64::from(cfg.days) * DAY;
        let end = start + span;
        let lines = cfg.lines;

        // Attack volume varies from day to day.
        let day_w: Vec<f64> = (0..cfg.days).map(|_| 0.6 + 0.8 * r.unit()).collect();
        let mut day_cum = Vec::with_capacity(day_w.len() + 1);
        let mut acc = 0.0;
        day_cum.push(0.0);
        for w in &day_w {
            acc += w;
            day_cum.push(acc);
        }

        // Heavy brute-forcers: 3 at 50 k lines, one more per doubling, at most 14.
        let n_heavy = 3 + (lines / 50_000).max(1).ilog2().min(11) as usize;
        let heavies = (0..n_heavy)
            .map(|i| {
                let addr = if i == 2 { pop::v6_attacker(&mut r) } else { pop::heavy_addr(&mut r) };
                let (from, to) = if i == 0 {
                    (start, end)
                } else {
                    let len = (span as f64 * (0.15 + 0.65 * r.unit())) as i64;
                    let from = start + (r.unit() * (span - len) as f64) as i64;
                    (from, from + len)
                };
                Heavy { addr, from, to, weight: 1.0 / (i + 1) as f64 }
            })
            .collect();

        let n_medium = (lines / 2_000).clamp(30, 50_000);
        let medium = (0..n_medium).map(|_| pop::scanner_addr(&mut r)).collect();

        let mut keys = Vec::new();
        let legit = LEGIT_USERS
            .iter()
            .enumerate()
            .map(|(i, &(name, off_pct))| {
                let key = if r.chance(0.6) {
                    let kind = match r.below(10) {
                        0..=5 => "ED25519",
                        6..=8 => "RSA",
                        _ => "ECDSA",
                    };
                    let mut sha256 = [0u8; 43];
                    for b in sha256.iter_mut() {
                        *b = base64_char(r.u64());
                    }
                    keys.push(KeyFp { kind, sha256 });
                    Some((keys.len() - 1) as u16)
                } else {
                    None
                };
                Legit {
                    name,
                    uid: 1000 + i as u32,
                    campus: [pop::campus_addr(&mut r), pop::campus_addr(&mut r)],
                    home: pop::home_addr(&mut r),
                    offcampus: f64::from(off_pct) / 100.0,
                    key,
                }
            })
            .collect();

        let breach_addr = pop::heavy_addr(&mut r);
        let slow_net = SLOW_NETS[r.below(SLOW_NETS.len() as u64) as usize];

        // Pre-scheduled: the low-and-slow /24 and the campaign that ends in a breach.
        let mut pre = Vec::new();
        let n_slow = (lines / 500).clamp(16, 254);
        let per_slow = (lines / 200_000).clamp(2, 12);
        for h in 1..=n_slow {
            for _ in 0..per_slow {
                pre.push((start + r.below(span as u64) as i64, Pre::Slow(h as u8)));
            }
        }
        let camp_from = start + (span as f64 * (0.35 + 0.1 * r.unit())) as i64;
        let breach_at = start + (span as f64 * (0.65 + 0.1 * r.unit())) as i64;
        let n_camp = (lines / 4_000).clamp(8, 2_500);
        for _ in 0..n_camp {
            pre.push((camp_from + r.below((breach_at - camp_from) as u64) as i64, Pre::Campaign));
        }
        pre.push((breach_at, Pre::Breach));
        let by_rate = LOGINS_PER_USER_DAY * LEGIT_USERS.len() as f64 * f64::from(cfg.days);
        let by_share = lines as f64 * LEGIT_MAX_SHARE / pre_estimate(mode, Pre::Legit) as f64;
        let n_legit = by_rate.min(by_share) as u64;
        for _ in 0..n_legit {
            let t = start + r.below(span as u64) as i64;
            if r.chance(Self::office_hours(t)) {
                pre.push((t, Pre::Legit));
            }
        }
        pre.sort_by_key(|&(t, _)| t);
        let reserve = pre.iter().map(|&(_, what)| pre_estimate(mode, what)).sum();

        let pid = 1000 + r.below(30_000) as u32;
        Sim {
            cfg,
            mode,
            r,
            start,
            end,
            day_w,
            day_cum,
            users: UserTable::new(),
            heavies,
            medium,
            legit,
            keys,
            breach_addr,
            slow_net,
            pre,
            pid,
            live_pids: HashSet::new(),
            slots: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            seq: 0,
            pending: 0,
            reserve,
            arrivals: 0,
            arrival_lines: 0,
            tally: Tally::default(),
        }
    }

    /// Runs to exactly `cfg.lines` lines.
    pub(crate) fn run<S: Sink>(mut self, sink: &mut S) -> io::Result<Truth> {
        let total = self.cfg.lines;
        let mut next_arrival = self.next_arrival(self.start);
        let mut pre_i = 0;
        while self.tally.t.lines < total {
            let h = self.heap.peek().map(|Reverse((t, _, _))| *t);
            let p = self.pre.get(pre_i).map(|&(t, _)| t);
            let line_first = h.is_some_and(|h| h <= p.unwrap_or(i64::MAX) && h <= next_arrival);
            if line_first {
                self.emit_next(sink)?;
            } else if let Some((t, what)) = self.pre.get(pre_i).copied().filter(|&(t, _)| t <= next_arrival) {
                pre_i += 1;
                let c = self.pre_conn(t, what);
                self.reserve -= pre_estimate(self.mode, what);
                self.start_conn(t, c);
            } else {
                let t = next_arrival;
                let c = self.random_conn(t);
                let planned = self.start_conn(t, c);
                self.arrivals += 1;
                self.arrival_lines += planned;
                next_arrival = self.next_arrival(t);
            }
        }
        sink.finish()?;
        Ok(self.tally.finish())
    }

    /// Day-weighted time elapsed from the start to `t`, in days.
    fn weighted(&self, t: i64) -> f64 {
        let x = (t - self.start).max(0) as f64 / DAY as f64;
        let d = (x as usize).min(self.day_w.len() - 1);
        self.day_cum[d] + self.day_w[d] * (x - d as f64)
    }

    fn next_arrival(&mut self, now: i64) -> i64 {
        let written = self.tally.t.lines as i64;
        let deficit = self.cfg.lines as i64 - written - self.pending - self.reserve.max(0);
        // Mean planned lines per arrival, with a prior of 4 over 20 arrivals.
        let m = (self.arrival_lines as f64 + 80.0) / (self.arrivals as f64 + 20.0);
        let needed = (deficit as f64 / m).max(1.0);
        let remaining = self.weighted(self.end) - self.weighted(now);
        let d = (((now - self.start) / DAY).max(0) as usize).min(self.day_w.len() - 1);
        let gap_days = self.r.exp(remaining / needed) / self.day_w[d];
        let t = now + (gap_days * DAY as f64) as i64;
        t.clamp(now, (self.end - 1).max(now))
    }

    /// Schedules a new connection's first line at `t`; returns its planned lines in the span.
    fn start_conn(&mut self, t: i64, mut c: Conn) -> u64 {
        if c.n == 0 {
            return 0;
        }
        c.tail_counted = c.close_at < self.end;
        let planned = if c.tail_counted { c.n } else { c.n.min(c.close_idx) };
        self.pending += i64::from(planned);
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = c;
                s
            }
            None => {
                self.slots.push(c);
                (self.slots.len() - 1) as u32
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq, slot)));
        u64::from(planned)
    }

    /// Writes the earliest pending line and schedules its connection's next one.
    fn emit_next<S: Sink>(&mut self, sink: &mut S) -> io::Result<()> {
        let Some(Reverse((t, _, slot))) = self.heap.pop() else {
            return Ok(());
        };
        let c = &self.slots[slot as usize];
        let pos = c.pos;
        let step = c.steps[usize::from(pos)];
        let ts = t.min(self.end - 1);
        sink.line(ts, c, step, &self.keys)?;
        if pos < c.close_idx || c.tail_counted {
            self.pending -= 1;
        }
        let (addr, user, breach, pid) = (c.addr, c.user, c.breach, c.pid);
        let key_login_without_accepted = c.by_key && self.mode == Mode::Iptracking;

        let tr = &mut self.tally;
        if tr.t.lines == 0 {
            tr.t.first_micros = ts;
        }
        tr.t.lines += 1;
        tr.t.last_micros = ts;
        if pos == 0 {
            tr.address(addr);
        }
        // iptracking's `auth` row records the attempt, not its result.
        let (failure, success) =
            if self.mode == Mode::Iptracking { (Ev::Auth, Ev::Auth) } else { (Ev::AuthFailure, Ev::AuthSuccess) };
        match step {
            Step::InvalidUser => {
                tr.t.invalid_users += 1;
                tr.event(Ev::InvalidUser);
            }
            Step::Failed => {
                tr.t.password_attempts += 1;
                tr.t.failed_passwords += 1;
                tr.event(failure);
            }
            Step::Repeated(n) => {
                tr.t.repeated_lines += 1;
                tr.t.password_attempts += u64::from(n);
                tr.t.failed_passwords += u64::from(n);
                tr.events(failure, u64::from(n));
            }
            Step::AcceptedPassword => {
                tr.t.password_attempts += 1;
                tr.t.accepted_passwords += 1;
                tr.event(success);
                if breach {
                    tr.t.breach = Some((addr.ip(), user.to_owned()));
                }
            }
            Step::AcceptedKey => {
                tr.t.accepted_publickeys += 1;
                tr.event(Ev::KeyAuthSuccess);
            }
            Step::SessionOpened => {
                tr.session_opened(user, addr);
                tr.event(Ev::SessionOpen);
                if key_login_without_accepted {
                    tr.t.accepted_publickeys += 1;
                }
            }
            Step::SessionClosed => {
                tr.session_closed(user, addr);
                tr.event(Ev::SessionClose);
                self.live_pids.remove(&pid);
            }
            Step::Noise(_) => {
                tr.t.noise_lines += 1;
                tr.t.ignored_lines += 1;
            }
            Step::Probe(_) => tr.event(Ev::ConnectionFailure),
        }

        // Advance the script.
        let next = pos + 1;
        let c = &self.slots[slot as usize];
        if next >= c.n {
            self.free.push(slot);
            return Ok(());
        }
        let next_step = c.steps[usize::from(next)];
        let (pace, close_idx, close_at) = (c.pace, c.close_idx, c.close_at);
        let next_t = if next == close_idx { close_at.max(t) } else { t + self.gap(step, next_step, pace) };
        self.slots[slot as usize].pos = next;
        self.seq += 1;
        self.heap.push(Reverse((next_t, self.seq, slot)));
        Ok(())
    }
}
