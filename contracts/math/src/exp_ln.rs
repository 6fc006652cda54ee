//! `exp`, `ln`, `pow` and `sqrt` on [`Wad`] / [`SignedWad`], and the Q64
//! kernels behind them that the normal distribution and the option pricer
//! reuse.
//!
//! Error bounds are stated against the exact function of the exact input and
//! include the final rounding to 18 decimals; `ACCURACY.md` holds the worst
//! errors measured against a 256-bit reference.

use crate::fixed::{mul_div_signed, MathError, Rounding, SignedWad, Wad, SIGNED_WAD, WAD};
use crate::tables::{
    EXP2_SIXTEENTHS_Q64, LN2_OVER_16_Q96, LN2_Q96, LN_WAD_Q64, SIXTEEN_OVER_LN2_Q64, SQRT2_Q64,
};
use crate::wide::{div_q, horner, isqrt_wide, mul_q, mul_wide, shl, shr, ONE_Q64};

/// `2^64`, signed.
#[allow(clippy::cast_possible_wrap)]
// 2^64 < 2^127.
const ONE: i128 = ONE_Q64 as i128;

/// `round(2^64 / n!)` for `n` in `0..=8`.
const INV_FACTORIAL_Q64: [i128; 9] = {
    let mut table = [0i128; 9];
    let mut factorial = 1i128;
    let mut n = 0;
    while n < 9 {
        if n > 0 {
            factorial *= n as i128;
        }
        table[n] = (ONE + factorial / 2) / factorial;
        n += 1;
    }
    table
};

/// `round(2^64 / (2j + 1))` for `j` in `0..=12`: the series of
/// `atanh(s) / s` in powers of `s^2`.
const ATANH_SERIES_Q64: [i128; 13] = {
    let mut table = [0i128; 13];
    let mut j = 0;
    while j < 13 {
        let odd = 2 * j as i128 + 1;
        table[j] = (ONE + odd / 2) / odd;
        j += 1;
    }
    table
};

/// Largest exponent accepted by [`exp`]: `e^48 * 10^18` is above `u128::MAX`
/// (`e^47.27` is the limit), so this only screens absurd inputs before the
/// exact overflow check.
const EXP_MAX_Q64: i128 = 48 * ONE;

/// Below this exponent `e^x < 10^-18 / 2`, which rounds down to zero.
const EXP_MIN_Q64: i128 = -42 * ONE;

/// `e^x = mantissa * 2^exponent` with the mantissa in Q64 within
/// `[0.97, 2.07)`.
///
/// Domain: `|x| < 4096` (in Q64). Error: relative 1.5e-19 (range reduction
/// to `|s| <= ln2/32` with ln 2 at 96 bits, a degree-8 Taylor polynomial whose
/// truncation is below 3e-21, one table product).
/// Cost: 10 Q64 multiplies, no division.
pub(crate) fn exp_parts(x: i128) -> (u128, i32) {
    // steps = round(16 x / ln 2); |16 x / ln 2| < 2^17 for |x| < 4096.
    let steps = (mul_q(x, SIXTEEN_OVER_LN2_Q64) + (ONE >> 1)) >> 64;
    // remainder = x - steps ln2/16, with the product in Q96 (|steps| < 2^17, constant < 2^92).
    let remainder = x - ((times_q96(steps, LN2_OVER_16_Q96) + (1 << 31)) >> 32);
    // |partial sums| < 2 ONE, |remainder| < ONE / 40: products stay tiny.
    let poly = horner(&INV_FACTORIAL_Q64, remainder);
    // steps mod 16 picks 2^(index/16); floor(steps / 16) is the binary exponent.
    let index = usize::try_from(steps.rem_euclid(16)).unwrap_or(0);
    // poly is in (0.97, 1.03) and the table below 2^65: the product fits.
    let mantissa = mul_q(poly, EXP2_SIXTEENTHS_Q64[index].cast_signed()).unsigned_abs();
    let exponent = i32::try_from(steps.div_euclid(16)).unwrap_or(0);
    (mantissa, exponent)
}

/// `n * constant` for `|n| < 2^64` and a positive constant below 2^110,
/// through the limb multiply (no `__multi3`).
fn times_q96(n: i128, constant: i128) -> i128 {
    let (_, low) = mul_wide(n.unsigned_abs(), constant.unsigned_abs());
    // The product is below 2^127 by the precondition.
    let magnitude = low.cast_signed();
    if n < 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// `e^x` in Q64 for `x` in Q64, rounded down; `None` when the result does not
/// fit in 127 bits (`x > 43.6`). Same error as [`exp_parts`].
pub(crate) fn exp_q(x: i128) -> Option<u128> {
    if x > 43 * ONE {
        return None;
    }
    if x < -45 * ONE {
        return Some(0);
    }
    let (mantissa, exponent) = exp_parts(x);
    Some(shift(mantissa, exponent))
}

/// `value * 2^exponent`, rounded down, for `value < 2^66` and results known
/// to fit.
fn shift(value: u128, exponent: i32) -> u128 {
    if exponent >= 0 {
        shl(value, exponent.unsigned_abs())
    } else if exponent > -128 {
        shr(value, exponent.unsigned_abs())
    } else {
        0
    }
}

/// Natural logarithm of the positive integer `x`, in Q64.
///
/// Error: absolute 2.5e-19 (normalisation to `[1/sqrt2, sqrt2)` that drops at
/// most one bit, `2 atanh((m - 1)/(m + 1))` summed to the `s^25` term whose
/// tail is below 6e-21, `n ln 2` with ln 2 at 96 bits).
/// Cost: one short division and 14 Q64 multiplies.
pub(crate) fn ln_q(x: u128) -> i128 {
    debug_assert!(x > 0);
    let bits = 127 - x.leading_zeros();
    let mut exponent = i128::from(bits);
    // mantissa in [1, 2) in Q64; dropping the low bits of a wide x costs at most one
    // unit of 2^-64 relative.
    let mut mantissa = if bits <= 64 { shl(x, 64 - bits) } else { shr(x, bits - 64) };
    if mantissa > SQRT2_Q64 {
        mantissa >>= 1;
        exponent += 1;
    }
    // mantissa in [0.707, 1.415): the ratio is below 0.18 and the divisor
    // positive, so the division cannot fail.
    let mantissa = mantissa.cast_signed();
    let ratio = div_q(mantissa - ONE, mantissa + ONE).unwrap_or(0);
    let ratio_squared = mul_q(ratio, ratio);
    let poly = horner(&ATANH_SERIES_Q64, ratio_squared);
    let ln_m = 2 * mul_q(ratio, poly);
    // exponent <= 129 and LN2_Q96 < 2^96: the product fits.
    ln_m + ((times_q96(exponent, LN2_Q96) + (1 << 31)) >> 32)
}

/// `floor(2^169 / 5^18)`: with `1e18 = 2^18 5^18`,
/// `x * 2^64 / 1e18 = x * 2^46 / 5^18 = x * 2^46 * RECIPROCAL / 2^169`.
const WAD_RECIPROCAL_Q169: u128 = 196_159_429_230_833_773_869_868_419_475_239_575_503;

/// Converts a WAD value to Q64, rounded toward zero to within one Q64 unit.
///
/// For `|x| < 2^80` (1.2e6 in value) one wide multiply by a reciprocal (the
/// reciprocal's truncation costs below 2^-40 of a unit); otherwise an exact
/// division. The caller bounds `|x|` below `2^63` in value.
pub(crate) fn wad_to_q64(x: i128) -> Result<i128, MathError> {
    let magnitude = x.unsigned_abs();
    if magnitude >> 80 != 0 {
        return mul_div_signed(x, ONE, SIGNED_WAD, Rounding::Down);
    }
    // magnitude << 46 < 2^126; (high, low) / 2^169 = high / 2^41.
    let (high, _) = mul_wide(magnitude << 46, WAD_RECIPROCAL_Q169);
    let q = (high >> 41).cast_signed();
    Ok(if x < 0 { -q } else { q })
}

/// Converts a Q64 value to WAD with the given rounding (`Down` toward
/// negative infinity). Exact before rounding: a multiply and a shift.
pub(crate) fn q64_to_wad(x: i128, rounding: Rounding) -> Result<i128, MathError> {
    mul_div_signed(x, SIGNED_WAD, ONE, rounding)
}

/// `e^x` for an exponent in Q64, as a WAD rounded down.
fn exp_q64_to_wad(x: i128) -> Result<Wad, MathError> {
    if x > EXP_MAX_Q64 {
        return Err(MathError::Overflow);
    }
    if x < EXP_MIN_Q64 {
        return Ok(Wad::ZERO);
    }
    let (mantissa, exponent) = exp_parts(x);
    // mantissa < 2^66 and WAD < 2^60: the product fits in 126 bits.
    let scaled = mul_wide(mantissa, WAD).1;
    let shift_left = exponent - 64;
    if shift_left >= 0 {
        let shift_left = shift_left.unsigned_abs();
        if scaled.leading_zeros() < shift_left {
            return Err(MathError::Overflow);
        }
        Ok(Wad::from_raw(shl(scaled, shift_left)))
    } else {
        Ok(Wad::from_raw(shift(scaled, shift_left)))
    }
}

/// `e^x`, rounded down.
///
/// Domain: `x <= 47.27` (above, [`MathError::Overflow`]); below `-41.5` the
/// result is 0. Error: relative 2e-19 plus the final rounding (< 1e-18
/// absolute). Cost: one wide multiply for the conversion and 10 Q64 multiplies.
pub fn exp(x: SignedWad) -> Result<Wad, MathError> {
    let raw = x.raw();
    if raw > 48 * SIGNED_WAD {
        return Err(MathError::Overflow);
    }
    if raw < -42 * SIGNED_WAD {
        return Ok(Wad::ZERO);
    }
    exp_q64_to_wad(wad_to_q64(raw)?)
}

/// Natural logarithm, rounded down (toward negative infinity).
///
/// Domain: `x > 0`; `ln(0)` is [`MathError::NonPositiveInput`]. Error:
/// absolute 3e-19 before the final rounding, i.e. relative 2e-19 for
/// `|ln x| >= 1` and within one unit of 1e-18 near `x = 1`.
/// Cost: one short division and 14 Q64 multiplies.
pub fn ln(x: Wad) -> Result<SignedWad, MathError> {
    if x.raw() == 0 {
        return Err(MathError::NonPositiveInput);
    }
    if x.raw() == WAD {
        return Ok(SignedWad::ZERO);
    }
    q64_to_wad(ln_q(x.raw()) - LN_WAD_Q64, Rounding::Down).map(SignedWad::from_raw)
}

/// `x^y = e^(y ln x)`, rounded down.
///
/// Domain: `x > 0`, or `x = 0` with `y >= 0` (`0^0 = 1`, `0^y = 0`); `0^y`
/// for `y < 0` is [`MathError::DivisionByZero`]. [`MathError::Overflow`] when
/// the result exceeds `u128::MAX / 10^18`. Error: relative
/// `2e-19 + 3e-19 |y|` plus the final rounding; `x = 1` and `y = 0` are
/// exact. Cost: [`ln`] + [`exp`] + one full-width multiply-divide.
pub fn pow(x: Wad, y: SignedWad) -> Result<Wad, MathError> {
    if y.raw() == 0 || x.raw() == WAD {
        return Ok(Wad::ONE);
    }
    if x.raw() == 0 {
        return if y.raw() > 0 { Ok(Wad::ZERO) } else { Err(MathError::DivisionByZero) };
    }
    let ln_x = ln_q(x.raw()) - LN_WAD_Q64;
    match mul_div_signed(ln_x, y.raw(), SIGNED_WAD, Rounding::Down) {
        Ok(exponent) => exp_q64_to_wad(exponent),
        // |y ln x| above 2^127 / 2^64: only the sign matters.
        Err(_) if (ln_x < 0) == (y.raw() < 0) => Err(MathError::Overflow),
        Err(_) => Ok(Wad::ZERO),
    }
}

/// Square root, exact before rounding in the given direction.
///
/// Domain: every `Wad`. Error: below one unit of 1e-18 (rounded as asked).
/// Cost: two to four 256/128 divisions (Newton's method from above, started
/// from a 64-bit estimate).
pub fn sqrt(x: Wad, rounding: Rounding) -> Wad {
    let (high, low) = mul_wide(x.raw(), WAD);
    let root = isqrt_wide(high, low);
    if rounding == Rounding::Up {
        let (square_high, square_low) = mul_wide(root, root);
        if (square_high, square_low) != (high, low) {
            // root <= sqrt(2^128 * 10^18) < 2^94: no overflow.
            return Wad::from_raw(root + 1);
        }
    }
    Wad::from_raw(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_points() {
        assert_eq!(exp(SignedWad::ZERO), Ok(Wad::ONE));
        assert_eq!(ln(Wad::ONE), Ok(SignedWad::ZERO));
        assert_eq!(ln(Wad::ZERO), Err(MathError::NonPositiveInput));
        assert_eq!(
            pow(Wad::ZERO, SignedWad::ONE.checked_neg().unwrap()),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(pow(Wad::ZERO, SignedWad::ZERO), Ok(Wad::ONE));
        assert_eq!(pow(Wad::ZERO, SignedWad::ONE), Ok(Wad::ZERO));
        assert_eq!(sqrt(Wad::from_int(4).unwrap(), Rounding::Down), Wad::from_int(2).unwrap());
        assert_eq!(sqrt(Wad::from_raw(2), Rounding::Down).raw(), 1_414_213_562);
        assert_eq!(sqrt(Wad::from_raw(2), Rounding::Up).raw(), 1_414_213_563);
        assert_eq!(sqrt(Wad::MAX, Rounding::Down).raw(), 18_446_744_073_709_551_615_999_999_999);
    }

    #[test]
    fn exp_overflow_and_underflow_are_named() {
        assert_eq!(exp(SignedWad::from_int(48).unwrap()), Err(MathError::Overflow));
        assert_eq!(exp(SignedWad::from_raw(47_300_000_000_000_000_000)), Err(MathError::Overflow));
        assert!(exp(SignedWad::from_raw(47_200_000_000_000_000_000)).is_ok());
        assert_eq!(exp(SignedWad::from_raw(i128::MAX)), Err(MathError::Overflow));
        assert_eq!(exp(SignedWad::from_raw(i128::MIN)), Ok(Wad::ZERO));
        assert_eq!(exp(SignedWad::from_int(-42).unwrap()), Ok(Wad::ZERO));
        assert_eq!(exp(SignedWad::from_int(-41).unwrap()).unwrap().raw(), 1);
        assert_eq!(pow(Wad::MAX, SignedWad::from_int(2).unwrap()), Err(MathError::Overflow));
        assert_eq!(pow(Wad::from_raw(1), SignedWad::from_int(1000).unwrap()), Ok(Wad::ZERO));
        assert_eq!(pow(Wad::from_raw(1), SignedWad::from_raw(i128::MAX)), Ok(Wad::ZERO));
        assert_eq!(pow(Wad::MAX, SignedWad::from_raw(i128::MIN)), Ok(Wad::ZERO));
        assert_eq!(pow(Wad::MAX, SignedWad::from_raw(i128::MAX)), Err(MathError::Overflow));
    }
}
