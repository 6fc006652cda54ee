//! Full-width integer kernels on `u64`/`u128` limbs and the internal Q64.64
//! fixed-point format used by the transcendental functions.
//!
//! Q64 values are `i128` (or `u128`) integers `v` standing for `v / 2^64`.
//! Their resolution, 5.4e-20, is 18 times finer than a WAD's, which leaves
//! room for the rounding of a dozen chained operations before a result is
//! rounded back to 18 decimals.
//!
//! Cost: nothing here calls the compiler's 128-bit helpers (`__multi3`,
//! `__udivti3`, `__ashlti3`, ...), which on wasm32 pass values through memory
//! and cost a call each. A 64x64 -> 128 multiply is four `i64.mul` on 32-bit
//! halves; a 128x128 -> 256 multiply is four of those; a 256 / 128 division
//! is two or four 128 / 64 divisions, each two native `i64.div_u`.

// The release profile optimises for size (`opt-level = "z"`), which leaves
// these few-instruction helpers as calls: 3,800 ink each plus a block header,
// more than the arithmetic they do. Forcing them inline is the point.
#![allow(clippy::inline_always)]

/// `1.0` in Q64.
pub(crate) const ONE_Q64: u128 = 1 << 64;

const LOW32: u64 = (1 << 32) - 1;

/// Full product of two `u64` as `(high, low)` halves, from four 32x32-bit
/// products: on wasm32 this stays in `i64` registers instead of calling
/// `__multi3` through memory. Exact.
#[inline(always)]
fn mul_64(a: u64, b: u64) -> (u64, u64) {
    let (a1, a0) = (a >> 32, a & LOW32);
    let (b1, b0) = (b >> 32, b & LOW32);
    // Each partial product is < 2^64.
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // middle < 3 * 2^32.
    let middle = (p00 >> 32) + (p01 & LOW32) + (p10 & LOW32);
    let low = (middle << 32) | (p00 & LOW32);
    // The true high half of a 128-bit product: < 2^64.
    let high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
    (high, low)
}

/// Splits a `u128` into `(high, low)` 64-bit limbs.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
// Truncation to the low limb is the point.
const fn limbs(x: u128) -> (u64, u64) {
    ((x >> 64) as u64, x as u64)
}

/// Joins two 64-bit limbs.
#[inline(always)]
const fn join(high: u64, low: u64) -> u128 {
    ((high as u128) << 64) | low as u128
}

/// `x << shift` for `shift < 128`, on 64-bit limbs (no `__ashlti3` call).
#[inline(always)]
pub(crate) fn shl(x: u128, shift: u32) -> u128 {
    let (high, low) = limbs(x);
    if shift == 0 {
        x
    } else if shift < 64 {
        join((high << shift) | (low >> (64 - shift)), low << shift)
    } else {
        join(low << (shift - 64), 0)
    }
}

/// `x >> shift` for `shift < 128`, on 64-bit limbs (no `__lshrti3` call).
#[inline(always)]
pub(crate) fn shr(x: u128, shift: u32) -> u128 {
    let (high, low) = limbs(x);
    if shift == 0 {
        x
    } else if shift < 64 {
        join(high >> shift, (low >> shift) | (high << (64 - shift)))
    } else {
        u128::from(high >> (shift - 64))
    }
}

/// Full product `a * b` as `(high, low)` 128-bit halves.
///
/// Exact; never overflows (the product of two 128-bit values fits in 256).
/// Cost: four [`mul_64`], i.e. sixteen `i64.mul`, no call.
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = limbs(a);
    let (b1, b0) = limbs(b);
    let (h00, l00) = mul_64(a0, b0);
    let (h01, l01) = mul_64(a0, b1);
    let (h10, l10) = mul_64(a1, b0);
    let (h11, l11) = mul_64(a1, b1);
    // Column sums with carries, each < 2^66 in u128.
    let column1 = u128::from(h00) + u128::from(l01) + u128::from(l10);
    let column2 = u128::from(h01) + u128::from(h10) + u128::from(l11) + (column1 >> 64);
    let column3 = u128::from(h11) + (column2 >> 64);
    let low = join(limbs(column1).1, l00);
    let high = join(limbs(column3).1, limbs(column2).1);
    (high, low)
}

/// `(high * 2^64 + low) / divisor` for `high < divisor`: Hacker's Delight
/// `divlu` with two 64/32-bit steps on the native `i64.div_u`. Returns
/// `(quotient, remainder)`.
#[allow(clippy::many_single_char_names)]
fn div_128_64(high: u64, low: u64, divisor: u64) -> (u64, u64) {
    const BASE: u64 = 1 << 32;
    debug_assert!(high < divisor);
    let shift = divisor.leading_zeros();
    let v = divisor << shift;
    let (v1, v0) = (v >> 32, v & LOW32);
    let u32_ = if shift == 0 { high } else { (high << shift) | (low >> (64 - shift)) };
    let u10 = low << shift;
    let (u1, u0) = (u10 >> 32, u10 & LOW32);

    let mut q1 = u32_ / v1;
    let mut rhat = u32_ - q1 * v1;
    while q1 >= BASE || q1 * v0 > (rhat << 32) + u1 {
        q1 -= 1;
        rhat += v1;
        if rhat >= BASE {
            break;
        }
    }
    // The true partial remainder is < v, so wrapping arithmetic yields it.
    let u21 = (u32_ << 32).wrapping_add(u1).wrapping_sub(q1.wrapping_mul(v));
    let mut q0 = u21 / v1;
    rhat = u21 - q0 * v1;
    while q0 >= BASE || q0 * v0 > (rhat << 32) + u0 {
        q0 -= 1;
        rhat += v1;
        if rhat >= BASE {
            break;
        }
    }
    let remainder = (u21 << 32).wrapping_add(u0).wrapping_sub(q0.wrapping_mul(v)) >> shift;
    ((q1 << 32) | q0, remainder)
}

/// Divides the 256-bit value `(high, low)` by `divisor`.
///
/// Returns `(quotient, remainder)`, or `None` when the divisor is zero or the
/// quotient does not fit in 128 bits (`high >= divisor`).
///
/// Knuth's algorithm D on 64-bit digits, each quotient digit estimated with
/// [`div_128_64`] and corrected (add-back included). A divisor below 2^64
/// takes a short division. Cost: two to four `div_128_64`, no call to
/// `__udivti3`.
pub(crate) fn div_wide(high: u128, low: u128, divisor: u128) -> Option<(u128, u128)> {
    if divisor == 0 || high >= divisor {
        return None;
    }
    let (u3, u2) = limbs(high);
    let (u1, u0) = limbs(low);
    let (d_high, d_low) = limbs(divisor);
    if d_high == 0 {
        // high < divisor < 2^64, so u3 == 0 and u2 < d_low.
        let (q1, r) = div_128_64(u2, u1, d_low);
        let (q0, r) = div_128_64(r, u0, d_low);
        return Some((join(q1, q0), u128::from(r)));
    }
    let shift = d_high.leading_zeros();
    let d = shl(divisor, shift);
    let (d1, d0) = limbs(d);
    // Shifted dividend digits n3..n0; nothing spills above n3 because
    // high < divisor, and (n3 : n2) < d.
    let spill = |upper: u64, lower: u64| {
        if shift == 0 {
            upper
        } else {
            (upper << shift) | (lower >> (64 - shift))
        }
    };
    let (n3, n2, n1, n0) = (spill(u3, u2), spill(u2, u1), spill(u1, u0), u0 << shift);
    // One quotient digit of (top : next : last) / (d1 : d0), where
    // (top : next) < d. Returns the digit and the remainder (< d).
    let digit = |top: u64, next: u64, last: u64| -> (u64, u128) {
        let (mut qhat, mut rhat, mut rhat_fits) = if top >= d1 {
            // top == d1: the digit is at most 2^64 - 1.
            let (rhat, carry) = next.overflowing_add(d1);
            (u64::MAX, rhat, !carry)
        } else {
            let (q, r) = div_128_64(top, next, d1);
            (q, r, true)
        };
        while rhat_fits {
            let (ph, pl) = mul_64(qhat, d0);
            if join(ph, pl) <= join(rhat, last) {
                break;
            }
            qhat -= 1;
            let (sum, carry) = rhat.overflowing_add(d1);
            rhat = sum;
            rhat_fits = !carry;
        }
        // (top : next : last) - qhat * d as a wrapping 192-bit difference.
        let (p_high, p_low) = mul_wide(u128::from(qhat), d);
        let (diff_low, borrow) = join(next, last).overflowing_sub(p_low);
        let diff_high = u128::from(top).wrapping_sub(p_high).wrapping_sub(u128::from(borrow));
        if diff_high == 0 {
            (qhat, diff_low)
        } else {
            // Estimate one too large: add the divisor back (the true
            // remainder is in [0, d), so the wrapping sum is exact).
            (qhat - 1, diff_low.wrapping_add(d))
        }
    };
    let (q1, r) = digit(n3, n2, n1);
    let (r1, r0) = limbs(r);
    let (q0, r) = digit(r1, r0, n0);
    Some((join(q1, q0), shr(r, shift)))
}

/// Floor of the square root of a `u64` (Newton on native 64-bit division).
fn isqrt_u64(value: u64) -> u64 {
    if value < 2 {
        return value;
    }
    let mut y = 1u64 << (64 - value.leading_zeros()).div_ceil(2);
    loop {
        // y >= sqrt(value) throughout, so value / y <= 2^32: no overflow.
        let next = (y + value / y) >> 1;
        if next >= y {
            return y;
        }
        y = next;
    }
}

/// Floor of the square root of the 256-bit value `(high, low)`. Exact.
///
/// Starts from the square root of the top 62 to 63 bits (correct to 2^-31)
/// rounded up, then Newton's iteration from above: two to four 256/128
/// divisions.
pub(crate) fn isqrt_wide(high: u128, low: u128) -> u128 {
    let bits = if high == 0 { 128 - low.leading_zeros() } else { 256 - high.leading_zeros() };
    if bits == 0 {
        return 0;
    }
    // An even shift that leaves at most 63 significant bits on top.
    let shift = if bits > 62 { (bits - 62 + 1) & !1 } else { 0 };
    let top = if shift >= 128 {
        shr(high, shift - 128)
    } else if shift == 0 {
        low
    } else {
        shl(high, 128 - shift) | shr(low, shift)
    };
    #[allow(clippy::cast_possible_truncation)]
    // top < 2^63 by the choice of shift.
    let estimate = u128::from(isqrt_u64(top as u64) + 1);
    // sqrt(value) < sqrt(top + 1) * 2^(shift/2) <= estimate * 2^(shift/2); cap
    // at u128::MAX, which is above every 256-bit square root.
    let half = shift / 2;
    let mut y =
        if half > 0 && estimate.leading_zeros() < half { u128::MAX } else { shl(estimate, half) };
    loop {
        // y >= sqrt(value) keeps value / y <= sqrt(value) < 2^128.
        let Some((q, _)) = div_wide(high, low, y) else {
            return y;
        };
        // Average without overflow.
        let next = (y >> 1) + (q >> 1) + (y & q & 1);
        if next >= y {
            return y;
        }
        y = next;
    }
}

/// `a * b / 2^64` rounded toward zero, for signed Q64 operands.
///
/// Precondition (callers document it): `|a * b| < 2^191`, so the result fits
/// in an `i128`. Error below one Q64 unit (5.4e-20). Inlined: sixteen
/// `i64.mul` and no call.
#[inline(always)]
pub(crate) fn mul_q(a: i128, b: i128) -> i128 {
    let (a1, a0) = limbs(a.unsigned_abs());
    let (b1, b0) = limbs(b.unsigned_abs());
    let (h00, _) = mul_64(a0, b0);
    let (h01, l01) = mul_64(a0, b1);
    let (h10, l10) = mul_64(a1, b0);
    let (_, l11) = mul_64(a1, b1);
    // (|a| |b|) >> 64 = a1 b1 2^64 + a0 b1 + a1 b0 + high(a0 b0); the parts
    // above 2^128 vanish by the precondition, so wrapping sums are exact.
    let magnitude = join(l11, 0)
        .wrapping_add(join(h01, l01))
        .wrapping_add(join(h10, l10))
        .wrapping_add(u128::from(h00));
    #[allow(clippy::cast_possible_wrap)]
    // Fits by the precondition.
    let magnitude = magnitude as i128;
    if (a < 0) == (b < 0) {
        magnitude
    } else {
        -magnitude
    }
}

/// `floor(a * x / 2^64)` for a signed Q64 `a` and a Q64 fraction
/// `0 <= x < 2^64`: eight `i64.mul`, branch-free.
///
/// Two's complement makes this a plain unsigned product: for `a < 0` the
/// unsigned reading of `a` is `a + 2^128`, whose product overshoots by exactly
/// `x * 2^64`, subtracted through a sign mask.
#[inline(always)]
#[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap)]
fn mul_floor_by_fraction(a: i128, x: u64) -> i128 {
    let (a1, a0) = limbs(a as u128);
    let (h0, _) = mul_64(a0, x);
    let (h1, l1) = mul_64(a1, x);
    // floor(unsigned(a) * x / 2^64) < 2^128 because x < 2^64.
    let unsigned = join(h1, l1).wrapping_add(u128::from(h0));
    let overshoot = join(x, 0) & ((a >> 127) as u128);
    unsigned.wrapping_sub(overshoot) as i128
}

/// `sum_k coefficients[k] x^k` by Horner's rule in Q64, for `|x| <= 1`.
///
/// `|x| = 1` is evaluated as `1 - 2^-64` (an error of one Q64 unit per
/// step, scaled by the partial sum). Precondition: partial sums below 2^126
/// in magnitude. Error: one Q64 unit per step (products are floored). Cost:
/// eight `i64.mul` per coefficient after the first; no call, no branch in
/// the loop body besides the loop itself.
pub(crate) fn horner(coefficients: &[i128], x: i128) -> i128 {
    let Some((&last, rest)) = coefficients.split_last() else {
        return 0;
    };
    let (high, low) = limbs(x.unsigned_abs());
    let fraction = if high == 0 { low } else { u64::MAX };
    // 0 for x >= 0, -1 for x < 0: (v ^ sign) - sign negates v when x < 0.
    let sign = x >> 127;
    let mut sum = last;
    for &coefficient in rest.iter().rev() {
        let product = mul_floor_by_fraction(sum, fraction);
        sum = coefficient + ((product ^ sign) - sign);
    }
    sum
}

/// `x * 2^-shift` for a 256-bit `(high, low)` and `shift < 128`, rounded as
/// asked; `None` when the result exceeds 128 bits.
pub(crate) fn shift_down(high: u128, low: u128, shift: u32, round_up: bool) -> Option<u128> {
    let quotient = if shift == 0 {
        if high != 0 {
            return None;
        }
        low
    } else {
        if shr(high, shift) != 0 {
            return None;
        }
        shl(high, 128 - shift) | shr(low, shift)
    };
    let inexact = shift != 0 && shl(low, 128 - shift) != 0;
    if round_up && inexact {
        quotient.checked_add(1)
    } else {
        Some(quotient)
    }
}

/// `a * 2^64 / b` for signed Q64 operands, rounded toward zero; `None` when
/// `b == 0` or the quotient does not fit in an `i128`.
///
/// A divisor wider than 64 bits is first truncated to its top 64 bits, so the
/// division is the short one (two `div_128_64`): relative error below 2^-63,
/// exact for `|b| < 2^64`.
pub(crate) fn div_q(a: i128, b: i128) -> Option<i128> {
    let divisor = b.unsigned_abs();
    // Bits of the divisor beyond 64, dropped from both sides.
    let drop = 64u32.saturating_sub(divisor.leading_zeros());
    let divisor = shr(divisor, drop);
    let magnitude = a.unsigned_abs();
    // a * 2^(64 - drop) as (high, low), with 64 - drop in [0, 64].
    let up = 64 - drop;
    let (high, low) =
        if up == 0 { (0, magnitude) } else { (shr(magnitude, 128 - up), shl(magnitude, up)) };
    let (q, _) = div_wide(high, low, divisor)?;
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
        (0u32..=128, any::<u128>()).prop_map(|(bits, v)| {
            if bits == 128 {
                v
            } else {
                v & ((1u128 << bits) - 1)
            }
        })
    }

    proptest! {
        #[test]
        fn mul_q_matches_bigint(a in -(1i128 << 100)..(1i128 << 100), b in -(1i128 << 80)..(1i128 << 80)) {
            let product = num_bigint::BigInt::from(a) * num_bigint::BigInt::from(b);
            let magnitude: num_bigint::BigInt = product.magnitude().clone().into();
            let expected = if product.sign() == num_bigint::Sign::Minus { -(magnitude >> 64u32) } else { magnitude >> 64u32 };
            prop_assert_eq!(num_bigint::BigInt::from(mul_q(a, b)), expected);
        }

        #[test]
        fn horner_matches_bigint(coefficients in proptest::collection::vec(-(1i128 << 70)..(1i128 << 70), 1..20), x in -(1i128 << 64)..=(1i128 << 64)) {
            // Exact value, then the allowed error of one unit per step.
            let scale = num_bigint::BigInt::from(1u8) << 64u32;
            let xb = num_bigint::BigInt::from(x.clamp(-(1i128 << 64) + 1, (1i128 << 64) - 1));
            let mut exact = num_bigint::BigInt::from(0u8);
            for &c in coefficients.iter().rev() {
                exact = (exact * &xb) + num_bigint::BigInt::from(c) * &scale;
                exact = num_integer::Integer::div_floor(&exact, &scale);
            }
            let got = num_bigint::BigInt::from(horner(&coefficients, x));
            let diff = got - exact;
            prop_assert!(diff.magnitude() <= &num_bigint::BigUint::from(2 * coefficients.len()), "{diff}");
        }

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
        assert_eq!(isqrt_wide(0, u128::MAX), u128::from(u64::MAX));
        assert_eq!(isqrt_wide(0, 3), 1);
        assert_eq!(isqrt_wide(0, 4), 2);
        assert_eq!(isqrt_wide(1, 0), 1 << 64);
    }

    #[test]
    fn div_wide_edges() {
        for divisor in [
            1,
            2,
            3,
            u128::from(u64::MAX),
            1 << 64,
            (1 << 64) + 1,
            1 << 127,
            u128::MAX,
            u128::MAX - 1,
        ] {
            for (high, low) in [
                (0, 0),
                (0, u128::MAX),
                (divisor - 1, u128::MAX),
                (divisor - 1, 0),
                (divisor / 2, 12345),
            ] {
                let (q, r) = div_wide(high, low, divisor).unwrap();
                assert!(r < divisor);
                assert_eq!(
                    BigUint::from(q) * BigUint::from(divisor) + BigUint::from(r),
                    big(high, low),
                    "{high} {low} / {divisor}"
                );
            }
            assert_eq!(div_wide(divisor, 0, divisor), None);
        }
        assert_eq!(div_wide(0, 1, 0), None);
    }
}
