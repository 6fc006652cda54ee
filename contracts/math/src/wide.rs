//! Full-width integer kernels on `u64`/`u128` limbs and the internal Q64.64
//! fixed-point format used by the transcendental functions.
//!
//! Q64 values are `i128` (or `u128`) integers `v` standing for `v / 2^64`.
//! Their resolution, 5.4e-20, is 18 times finer than a WAD's, which leaves
//! room for the rounding of a dozen chained operations before a result is
//! rounded back to 18 decimals.
//!
//! Cost: a 128x128 -> 256 multiply is four `u64 x u64 -> u128` products
//! (each a call to `__multi3` on wasm32); a 256 / 128 division is two
//! 128 / 64 divisions plus at most four correction steps.

/// `1.0` in Q64.
pub(crate) const ONE_Q64: u128 = 1 << 64;

const LOW64: u128 = (1 << 64) - 1;

/// Full product `a * b` as `(high, low)` 128-bit halves.
///
/// Exact; never overflows (the product of two 128-bit values fits in 256).
#[inline]
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & LOW64);
    let (b1, b0) = (b >> 64, b & LOW64);
    // Each limb product is < 2^128, so none of them overflows.
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // middle = p00.high + p01.low + p10.low < 3 * 2^64: fits.
    let middle = (p00 >> 64) + (p01 & LOW64) + (p10 & LOW64);
    let low = (middle << 64) | (p00 & LOW64);
    // high = p11 + p01.high + p10.high + middle.high: the true high half of a
    // 256-bit product, so < 2^128.
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
    (high, low)
}

/// Divides the 256-bit value `(high, low)` by `divisor`.
///
/// Returns `(quotient, remainder)`, or `None` when the divisor is zero or the
/// quotient does not fit in 128 bits (`high >= divisor`).
///
/// Knuth's algorithm D with base 2^64 and a normalised two-limb divisor: with
/// a two-limb divisor the digit-estimate test uses every divisor limb, so the
/// estimate is exact after at most two corrections.
pub(crate) fn div_wide(high: u128, low: u128, divisor: u128) -> Option<(u128, u128)> {
    if divisor == 0 || high >= divisor {
        return None;
    }
    if high == 0 {
        return Some((low / divisor, low % divisor));
    }
    let shift = divisor.leading_zeros();
    let d = divisor << shift;
    // high < divisor, so the shifted high part still fits and is < d.
    let (u_high, u_low) = if shift == 0 {
        (high, low)
    } else {
        ((high << shift) | (low >> (128 - shift)), low << shift)
    };
    let (d1, d0) = (d >> 64, d & LOW64);

    let digit = |top: u128, next: u128| -> (u128, u128) {
        // Divides (top : next) by d where top < d and next < 2^64; returns the
        // 64-bit quotient digit and the remainder (< d).
        let mut qhat = top / d1;
        let mut rhat = top - qhat * d1;
        while qhat > LOW64 || qhat * d0 > ((rhat << 64) | next) {
            qhat -= 1;
            rhat += d1;
            if rhat > LOW64 {
                break;
            }
        }
        // The true remainder is in [0, d), so the wrapping difference is it.
        let rem = ((top << 64) | next).wrapping_sub(qhat.wrapping_mul(d));
        (qhat, rem)
    };
    let (q1, r1) = digit(u_high, u_low >> 64);
    let (q0, r0) = digit(r1, u_low & LOW64);
    Some(((q1 << 64) | q0, r0 >> shift))
}

/// Floor of the square root of the 256-bit value `(high, low)`.
///
/// Newton's iteration from above, so it decreases monotonically to the floor
/// (exact). Seven to nine divisions.
pub(crate) fn isqrt_wide(high: u128, low: u128) -> u128 {
    if high == 0 {
        return isqrt(low);
    }
    let bits = 256 - high.leading_zeros();
    // 2^ceil(bits / 2) >= sqrt(value); capped at u128::MAX which is also
    // >= sqrt(value) because value < 2^256.
    let mut y = if bits >= 255 {
        u128::MAX
    } else {
        1u128 << bits.div_ceil(2)
    };
    loop {
        // y >= sqrt(value) keeps value / y <= sqrt(value) < 2^128.
        let Some((q, _)) = div_wide(high, low, y) else {
            return y;
        };
        // y + q may exceed 2^128 only if both are near 2^128; average without
        // overflow.
        let next = (y >> 1) + (q >> 1) + (y & q & 1);
        if next >= y {
            return y;
        }
        y = next;
    }
}

/// Floor of the square root of a `u128`. Exact.
pub(crate) fn isqrt(value: u128) -> u128 {
    if value < 2 {
        return value;
    }
    let bits = 128 - value.leading_zeros();
    let mut y = 1u128 << bits.div_ceil(2);
    loop {
        let next = (y + value / y) >> 1;
        if next >= y {
            return y;
        }
        y = next;
    }
}

/// `a * b / 2^64` rounded toward zero, for signed Q64 operands.
///
/// Precondition (callers document it): `|a * b| < 2^191`, so the result fits
/// in an `i128`. Error below one Q64 unit (5.4e-20).
#[inline]
pub(crate) fn mul_q(a: i128, b: i128) -> i128 {
    let (high, low) = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    let magnitude = (high << 64) | (low >> 64);
    #[allow(clippy::cast_possible_wrap)]
    // Fits by the precondition.
    let magnitude = magnitude as i128;
    if (a < 0) == (b < 0) {
        magnitude
    } else {
        -magnitude
    }
}

/// `a * 2^64 / b` rounded toward zero for signed Q64 operands; `None` when
/// `b == 0` or the quotient does not fit in an `i128`.
pub(crate) fn div_q(a: i128, b: i128) -> Option<i128> {
    let magnitude = a.unsigned_abs();
    let (q, _) = div_wide(magnitude >> 64, magnitude << 64, b.unsigned_abs())?;
    let q = i128::try_from(q).ok()?;
    Some(if (a < 0) == (b < 0) { q } else { -q })
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use proptest::prelude::*;

    fn big(high: u128, low: u128) -> BigUint {
        (BigUint::from(high) << 128u32) + BigUint::from(low)
    }

    fn bits_value() -> impl Strategy<Value = u128> {
        (0u32..=128, any::<u128>()).prop_map(|(bits, v)| if bits == 128 { v } else { v & ((1u128 << bits) - 1) })
    }

    proptest! {
        #[test]
        fn mul_wide_is_exact(a in bits_value(), b in bits_value()) {
            let (high, low) = mul_wide(a, b);
            prop_assert_eq!(big(high, low), BigUint::from(a) * BigUint::from(b));
        }

        #[test]
        fn div_wide_matches_bigint(a in bits_value(), b in bits_value(), d in bits_value()) {
            let (high, low) = mul_wide(a, b);
            let expected_q = (BigUint::from(a) * BigUint::from(b)) / BigUint::from(d.max(1));
            match div_wide(high, low, d) {
                None => prop_assert!(d == 0 || expected_q >= BigUint::from(1u8) << 128u32),
                Some((q, r)) => {
                    prop_assert_eq!(BigUint::from(q), expected_q);
                    prop_assert_eq!(BigUint::from(q) * BigUint::from(d) + BigUint::from(r), big(high, low));
                }
            }
        }

        #[test]
        fn isqrt_wide_is_floor(high in bits_value(), low in any::<u128>()) {
            let value = big(high, low);
            let root = BigUint::from(isqrt_wide(high, low));
            prop_assert!(&root * &root <= value);
            let next = &root + 1u8;
            prop_assert!(&next * &next > value);
        }
    }

    #[test]
    fn isqrt_edges() {
        assert_eq!(isqrt_wide(u128::MAX, u128::MAX), u128::MAX);
        assert_eq!(isqrt_wide(0, 0), 0);
        assert_eq!(isqrt(u128::MAX), u128::from(u64::MAX));
        assert_eq!(isqrt(3), 1);
        assert_eq!(isqrt(4), 2);
    }
}
