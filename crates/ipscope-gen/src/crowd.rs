//! Who attacks, for the network formats: the SSH model's three groups of randomly arriving
//! sources, reusable by any format.
//!
//! - **Heavy hitters**: 3 addresses at 50 k lines, one more per doubling (10 at 10 M, 14 max),
//!   Zipf weights (1, 1/2, 1/3, ...) and activity windows (the first is active all the time),
//!   one of them IPv6. They take `heavy` of the arrivals: 10^5 .. 10^6 lines each at 10 M lines.
//! - **Medium**: a pool of `lines / 2000` addresses (30 .. 50 000) picked with a skewed
//!   distribution.
//! - **One-offs**: a fresh address each time (3 % IPv6): the long tail.

use crate::population::{self as pop, Addr};
use crate::rng::Rng;

/// Which group an arrival came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Index into the heavy hitters (0 = the heaviest).
    Heavy(u8),
    Medium,
    OneOff,
}

struct Heavy {
    addr: Addr,
    from: i64,
    to: i64,
    weight: f64,
}

pub(crate) struct Crowd {
    heavies: Vec<Heavy>,
    medium: Vec<Addr>,
    heavy_share: f64,
    oneoff_share: f64,
}

impl Crowd {
    /// The population for `lines` lines over `[start, end)`: `heavy_share` of the arrivals come
    /// from the heavy hitters, `oneoff_share` from fresh addresses, the rest from the pool.
    pub(crate) fn new(r: &mut Rng, lines: u64, start: i64, end: i64, heavy_share: f64, oneoff_share: f64) -> Self {
        let span = end - start;
        let n_heavy = 3 + (lines / 50_000).max(1).ilog2().min(11) as usize;
        let heavies = (0..n_heavy)
            .map(|i| {
                let addr = if i == 2 { pop::v6_attacker(r) } else { pop::heavy_addr(r) };
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
        let medium = (0..n_medium).map(|_| pop::scanner_addr(r)).collect();
        Crowd { heavies, medium, heavy_share, oneoff_share }
    }

    /// The source of an arrival at `t`.
    pub(crate) fn pick(&self, r: &mut Rng, t: i64) -> (Addr, Tier) {
        let u = r.unit();
        if u < self.heavy_share {
            let active = || self.heavies.iter().enumerate().filter(|(_, h)| h.from <= t && t < h.to);
            let total: f64 = active().map(|(_, h)| h.weight).sum();
            let mut x = r.unit() * total;
            for (i, h) in active() {
                if x < h.weight {
                    return (h.addr, Tier::Heavy(i as u8));
                }
                x -= h.weight;
            }
            // Heavy 0 is active over the whole span; reached only through rounding.
            if let Some(h) = self.heavies.first() {
                return (h.addr, Tier::Heavy(0));
            }
        }
        if u < 1.0 - self.oneoff_share {
            let i = r.skewed(self.medium.len() as u64) as usize;
            (self.medium[i], Tier::Medium)
        } else {
            (pop::scanner_addr(r), Tier::OneOff)
        }
    }
}
