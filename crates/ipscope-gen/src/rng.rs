//! The random source, and the few distributions the generator needs.
//!
//! Everything is built on `ChaCha8Rng::next_u64` with integer arithmetic and the basic IEEE
//! operations (`+ - * /`), which are exact and identical on every platform. Transcendental
//! functions from `std` (`ln`, `exp`, `powf`) may differ in the last bit between C libraries, so
//! the exponential distribution uses [`ln`], a fixed polynomial evaluation, instead: the same seed
//! gives byte-identical output on any machine.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    pub(crate) fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`; returns 0 for `n == 0`). Lemire's multiply-shift without
    /// the rejection step: the bias is below 2^-32 for the ranges used here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Exponentially distributed with the given mean.
    pub(crate) fn exp(&mut self, mean: f64) -> f64 {
        // 1 - unit() is in (0, 1], so ln is finite.
        -ln(1.0 - self.unit()) * mean
    }

    /// An index in `0..n` skewed towards 0 (`n * u^1.5`: index 0 gets `n^(-2/3)` of the draws),
    /// a cheap heavy head. `sqrt` is correctly rounded in IEEE 754, so this stays portable.
    pub(crate) fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((u * u.sqrt() * n as f64) as u64).min(n.saturating_sub(1))
    }
}

/// Natural logarithm of a positive finite `x`, using only exact IEEE operations.
///
/// `x = m * 2^e` with `m` in `[1, 2)`; `ln m = 2 atanh(s)` with `s = (m-1)/(m+1) <= 1/3`,
/// summed to 15 terms (error below 1e-15 relative, far finer than needed).
pub(crate) fn ln(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    if x <= 0.0 || !x.is_finite() {
        return if x == 0.0 { f64::NEG_INFINITY } else { f64::NAN };
    }
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64;
    let m = if e == 0 {
        // Subnormal: scale up by 2^54 first.
        let y = x * (1u64 << 54) as f64;
        let b = y.to_bits();
        e = ((b >> 52) & 0x7ff) as i64 - 54;
        f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)
    } else {
        f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)
    };
    let e = e - 1023;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..15 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    e as f64 * LN2 + 2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std() {
        for &x in &[1e-300_f64, 1e-10, 0.001, 0.5, 0.999_999, 1.0, 1.5, 2.0, 10.0, 1e10, 5e-324] {
            let want = x.ln();
            let got = ln(x);
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{x}: {got} vs {want}");
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1);
        for n in [1u64, 2, 3, 7, 1000, u64::MAX] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
    }
}
