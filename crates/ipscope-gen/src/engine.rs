//! The scheduler of the network formats (Cowrie, Zeek conn, ASA, IntelMQ): units of activity
//! (a honeypot session, a scan burst, a firewall connection, a feed event) arrive over the span,
//! each writes one or more lines at its own pace, and a min-heap on the next line's time
//! interleaves them so that the output is in time order.
//!
//! The same feedback rule as the SSH simulation meets the line budget and the span together:
//! after every arrival the next one is drawn so that the lines still needed (minus those already
//! planned by units in flight) are spread over the (day-weighted) time that remains. Generation
//! stops at exactly the budget, cutting whatever units are still in flight.
//!
//! Memory is bounded by the units in flight (seconds to hours of activity), not by the output
//! size; the distinct-address set of the [`Tally`] is the only thing that grows with it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::SshConfig;
use crate::rng::Rng;
use crate::truth::{Tally, Truth};

pub(crate) const SEC: i64 = 1_000_000;
pub(crate) const DAY: i64 = 86_400 * SEC;

/// What the scheduler needs from a format: starting units and writing their lines.
pub(crate) trait Model {
    type Unit;

    /// Lines written before the first unit (a file header); at most `budget`, each counted with
    /// `tally.line` and as ignored if the parser ignores it.
    fn header(&mut self, _budget: u64, _out: &mut Vec<u8>, _tally: &mut Tally) {}

    /// Expected lines per unit, the rate controller's prior.
    fn prior_lines(&self) -> f64;

    /// A unit whose first line is due at `t`, and the lines it plans (at least 1).
    fn start(&mut self, t: i64) -> (Self::Unit, u32);

    /// Appends the unit's next line (due at `t`, `ts` = `t` clamped into the span) to `out` and
    /// counts it in `tally`; returns when its following line is due, or `None` when it is done.
    /// Must append exactly one line.
    fn line(&mut self, t: i64, ts: i64, u: &mut Self::Unit, out: &mut Vec<u8>, tally: &mut Tally) -> Option<i64>;
}

/// Runs `model` to exactly `cfg.lines` lines, written to `out`.
pub(crate) fn run<M: Model, W: Write>(cfg: &SshConfig, model: &mut M, r: &mut Rng, mut out: W) -> io::Result<Truth> {
    let start = cfg.start_micros;
    let end = start + i64::from(cfg.days) * DAY;
    let mut tally = Tally::default();
    let mut buf = Vec::with_capacity(1024);
    model.header(cfg.lines, &mut buf, &mut tally);
    out.write_all(&buf)?;

    let mut clock = Pacer::new(r, cfg, model.prior_lines());
    let mut slots: Vec<(M::Unit, u32)> = Vec::new();
    let mut free: Vec<u32> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(i64, u64, u32)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut next_arrival = clock.next(r, start, tally.t.lines);
    while tally.t.lines < cfg.lines {
        let due = heap.peek().map(|Reverse((t, _, _))| *t);
        if due.is_some_and(|d| d <= next_arrival) {
            let Some(Reverse((t, _, slot))) = heap.pop() else { break };
            let (unit, left) = &mut slots[slot as usize];
            buf.clear();
            let next = model.line(t, t.min(end - 1), unit, &mut buf, &mut tally);
            out.write_all(&buf)?;
            *left = left.saturating_sub(1);
            clock.pending -= 1;
            match next {
                Some(n) if *left > 0 => {
                    seq += 1;
                    heap.push(Reverse((n.max(t), seq, slot)));
                }
                _ => {
                    clock.pending -= i64::from(*left);
                    free.push(slot);
                }
            }
        } else {
            let t = next_arrival;
            let (unit, planned) = model.start(t);
            let planned = planned.max(1);
            clock.arrived(planned);
            let slot = match free.pop() {
                Some(s) => {
                    slots[s as usize] = (unit, planned);
                    s
                }
                None => {
                    slots.push((unit, planned));
                    (slots.len() - 1) as u32
                }
            };
            seq += 1;
            heap.push(Reverse((t, seq, slot)));
            next_arrival = clock.next(r, t, tally.t.lines);
        }
    }
    out.flush()?;
    Ok(tally.finish())
}

/// The arrival-rate controller: day weights and the feedback rule.
struct Pacer {
    start: i64,
    end: i64,
    lines: u64,
    day_w: Vec<f64>,
    day_cum: Vec<f64>,
    prior: f64,
    /// Planned, not yet written lines of units in flight.
    pending: i64,
    arrivals: u64,
    arrival_lines: u64,
}

impl Pacer {
    fn new(r: &mut Rng, cfg: &SshConfig, prior: f64) -> Self {
        // Activity varies from day to day.
        let day_w: Vec<f64> = (0..cfg.days).map(|_| 0.6 + 0.8 * r.unit()).collect();
        let mut day_cum = Vec::with_capacity(day_w.len() + 1);
        let mut acc = 0.0;
        day_cum.push(0.0);
        for w in &day_w {
            acc += w;
            day_cum.push(acc);
        }
        Pacer {
            start: cfg.start_micros,
            end: cfg.start_micros + i64::from(cfg.days) * DAY,
            lines: cfg.lines,
            day_w,
            day_cum,
            prior,
            pending: 0,
            arrivals: 0,
            arrival_lines: 0,
        }
    }

    fn arrived(&mut self, planned: u32) {
        self.pending += i64::from(planned);
        self.arrivals += 1;
        self.arrival_lines += u64::from(planned);
    }

    /// Day-weighted time elapsed from the start to `t`, in days.
    fn weighted(&self, t: i64) -> f64 {
        let x = (t - self.start).max(0) as f64 / DAY as f64;
        let d = (x as usize).min(self.day_w.len() - 1);
        self.day_cum[d] + self.day_w[d] * (x - d as f64)
    }

    fn next(&mut self, r: &mut Rng, now: i64, written: u64) -> i64 {
        let deficit = self.lines as i64 - written as i64 - self.pending;
        // Mean planned lines per arrival, with the model's prior over 20 arrivals.
        let m = (self.arrival_lines as f64 + 20.0 * self.prior) / (self.arrivals as f64 + 20.0);
        let needed = (deficit as f64 / m).max(1.0);
        let remaining = self.weighted(self.end) - self.weighted(now);
        let d = (((now - self.start) / DAY).max(0) as usize).min(self.day_w.len() - 1);
        let gap_days = r.exp(remaining / needed) / self.day_w[d];
        let t = now + (gap_days * DAY as f64) as i64;
        t.clamp(now, (self.end - 1).max(now))
    }
}
