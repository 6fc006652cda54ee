//! Standard normal distribution function `N(x)` and density `phi(x)`.
//!
//! `N` is evaluated from its upper tail `N(-|x|)`, fitted on ten unit
//! intervals of `[0, 10)` by degree-19 polynomials interpolating at Chebyshev
//! nodes (generated from a 256-bit reference, see `tables.rs`), each scaled by
//! a power of two so that small tails keep their relative precision; past 10
//! the tail is below 7.7e-24 and is returned as 0. Working on the tail keeps
//! the error symmetric, so `N(-38)` is 0 and `N(38)` is 1 exactly, both within
//! the bound of their true values. Internally `N` is Q127 so that
//! `S N(-d)` stays exact to the wei for deep out-of-the-money options.

use crate::exp_ln::{exp_q, wad_to_q64};
use crate::fixed::{SignedWad, Wad, SIGNED_WAD, WAD};
use crate::tables::{INV_SQRT_2PI_Q64, TAIL, TAIL_INTERVALS, TAIL_SCALE};
use crate::wide::{horner, mul_q, mul_wide, shl, ONE_Q64};

#[allow(clippy::cast_possible_wrap)]
// 2^64 < 2^127.
const ONE: i128 = ONE_Q64 as i128;

/// Inputs at or beyond this magnitude (in WAD) saturate: `N` is 0 or 1 and
/// `phi` is 0 to far below 1e-18.
const SATURATION: i128 = 64 * SIGNED_WAD;

/// `1.0` in Q127.
pub(crate) const ONE_Q127: u128 = 1 << 127;

/// Upper tail `N(-a)` for `a >= 0` (Q64) in Q127, at most `2^126`.
///
/// Each unit interval is evaluated scaled by `2^TAIL_SCALE[i]`, so the tail
/// keeps its relative precision down to `N(-10) = 7.6e-24` (fit within 5e-21
/// of the scaled value, or 1e-25 absolute in the far intervals, plus 19
/// floored Horner steps: at most 6e-19 absolute in the first interval).
/// Cost: 19 Q64 multiplies, no division.
fn upper_tail_q127(a: u128) -> u128 {
    let interval = usize::try_from(a >> 64).unwrap_or(usize::MAX);
    if interval >= TAIL_INTERVALS {
        return 0;
    }
    // t = 2 (a - interval - 1/2) in [-1, 1), in Q64.
    let t = ((a & (ONE_Q64 - 1)).cast_signed() << 1) - ONE;
    // The scaled tail stays below 1/2 and |t| <= 1: no overflow.
    let p = horner(&TAIL[interval], t);
    // Scaled value in [0, 1/2] (Q64); TAIL_SCALE <= 61, so the shift to Q127
    // keeps it below 2^126.
    shl(p.clamp(0, ONE >> 1).unsigned_abs(), 63 - TAIL_SCALE[interval])
}

/// `N(x)` in Q127 for `x` in Q64: a value in `[0, 2^127]`.
///
/// Error: absolute 6e-19 (the floored Horner steps of the first interval),
/// and relative 2e-19 in the far tail.
/// Cost: 19 Q64 multiplies.
pub(crate) fn cdf_q127(x: i128) -> u128 {
    let tail = upper_tail_q127(x.unsigned_abs());
    if x < 0 {
        tail
    } else {
        ONE_Q127 - tail
    }
}

/// `N(x)` in Q64 for `x` in Q64: a value in `[0, 2^64]`. Error: absolute
/// 6e-19 (as [`cdf_q127`]).
pub(crate) fn cdf_q(x: i128) -> i128 {
    ((cdf_q127(x) + (1 << 62)) >> 63).cast_signed()
}

/// `phi(x)` in Q64 for `x` in Q64.
///
/// Error: relative 3e-19 plus 1e-19 absolute. Cost: 12 Q64 multiplies.
pub(crate) fn pdf_q(x: i128) -> i128 {
    if x.unsigned_abs() >= 40 * ONE_Q64 {
        return 0;
    }
    // x^2 / 2 <= 800 in Q64.
    let half_square = mul_q(x, x) >> 1;
    // exp of a non-positive argument never overflows.
    let density = exp_q(-half_square).unwrap_or(0).cast_signed();
    mul_q(density, INV_SQRT_2PI_Q64)
}

/// Rounds a Q64 value in `[0, 2^64]` to the nearest WAD.
#[allow(clippy::cast_sign_loss)]
fn probability_to_wad(q: i128) -> Wad {
    // 0 <= q <= 2^64 so q * 10^18 < 2^124.
    let q = q.max(0) as u128;
    Wad::from_raw((mul_wide(q, WAD).1 + (1 << 63)) >> 64)
}

/// Standard normal distribution function `N(x) = P(Z <= x)`, rounded to the
/// nearest 1e-18.
///
/// Domain: every `SignedWad`; `N(x)` is exactly 0 for `x <= -9.4` and 1 for
/// `x >= 9.4` (where the true value is within 5e-19 of them).
/// Error: absolute 1.1e-18 including the final rounding (measured 1.05e-18
/// over 2e5 points).
/// Cost: one wide multiply for the conversion and 19 Q64 multiplies.
pub fn cdf(x: SignedWad) -> Wad {
    let raw = x.raw();
    if raw <= -SATURATION {
        return Wad::ZERO;
    }
    if raw >= SATURATION {
        return Wad::ONE;
    }
    // |x| < 64: the conversion cannot fail.
    let q = wad_to_q64(raw).unwrap_or(0);
    // N(x) * 10^18 rounded to nearest, from Q127: 2^127 * 10^18 < 2^188.
    let (high, low) = mul_wide(cdf_q127(q), WAD);
    let (rounded_low, carry) = low.overflowing_add(1 << 126);
    let high = high + u128::from(carry);
    Wad::from_raw((high << 1) | (rounded_low >> 127))
}

/// Standard normal density `phi(x) = exp(-x^2/2) / sqrt(2 pi)`, rounded to the
/// nearest 1e-18.
///
/// Domain: every `SignedWad`; 0 for `|x| >= 9.1`. Error: absolute 6e-19
/// including the final rounding. Cost: one wide multiply for the conversion and 12 Q64
/// multiplies.
pub fn pdf(x: SignedWad) -> Wad {
    let raw = x.raw();
    if raw.unsigned_abs() >= SATURATION.unsigned_abs() {
        return Wad::ZERO;
    }
    let q = wad_to_q64(raw).unwrap_or(0);
    probability_to_wad(pdf_q(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates_in_the_tails() {
        assert_eq!(cdf(SignedWad::from_int(-38).unwrap()), Wad::ZERO);
        assert_eq!(cdf(SignedWad::from_int(38).unwrap()), Wad::ONE);
        assert_eq!(cdf(SignedWad::from_raw(i128::MIN)), Wad::ZERO);
        assert_eq!(cdf(SignedWad::from_raw(i128::MAX)), Wad::ONE);
        assert_eq!(pdf(SignedWad::from_raw(i128::MIN)), Wad::ZERO);
        assert_eq!(pdf(SignedWad::from_int(39).unwrap()), Wad::ZERO);
        assert_eq!(cdf(SignedWad::ZERO).raw(), WAD / 2);
    }
}
