//! 18-decimal fixed-point types, rounding, errors and full-width `mul_div`.
//!
//! [`Wad`] is an unsigned value over `u128` (up to 3.4e20), [`SignedWad`] a
//! signed one over `i128` (up to ±1.7e20). Both are thin newtypes: the raw
//! integer is public through [`Wad::raw`] / [`Wad::from_raw`] so contracts can
//! store and pass them as `uint256`/`int256` without conversion cost.

use core::cmp::Ordering;

use crate::wide::{div_wide, mul_wide, shift_down};

/// One in 18-decimal fixed point.
pub const WAD: u128 = 1_000_000_000_000_000_000;

/// One in 18-decimal fixed point, signed.
#[allow(clippy::cast_possible_wrap)]
// 10^18 < 2^127.
pub const SIGNED_WAD: i128 = WAD as i128;

/// Why a computation has no answer. Callers map each variant to a Solidity
/// error; no function of this crate panics on any input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathError {
    /// The result does not fit in the output type.
    Overflow,
    /// An unsigned subtraction would go below zero.
    Underflow,
    /// A divisor is zero.
    DivisionByZero,
    /// An argument is zero or negative where the function needs it positive
    /// (`ln(0)`, `pow(0, -y)`).
    NonPositiveInput,
    /// An argument lies outside the documented domain of the function (for
    /// example a volatility, rate or time to expiry beyond the pricer's
    /// bounds).
    OutOfDomain,
    /// The expiry is before the current time.
    ExpiryInPast,
}

/// Direction in which an inexact result is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Toward negative infinity (the smaller neighbour).
    Down,
    /// Toward positive infinity (the larger neighbour).
    Up,
}

/// `a * b / c` with a 256-bit intermediate: exact, rounded in the given
/// direction.
///
/// Never overflows in the intermediate; fails only when the final result does
/// not fit in a `u128` ([`MathError::Overflow`]) or `c == 0`
/// ([`MathError::DivisionByZero`]).
///
/// Cost: one 128x128 multiply (four 64-bit products); when the product fits in
/// 128 bits, one 128-bit division, otherwise a 256/128 long division.
pub fn mul_div(a: u128, b: u128, c: u128, rounding: Rounding) -> Result<u128, MathError> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    let (high, low) = mul_wide(a, b);
    if c.is_power_of_two() {
        // A power of two (2^64, 2^96 in the pricer): a shift, no division.
        return shift_down(high, low, c.trailing_zeros(), rounding == Rounding::Up)
            .ok_or(MathError::Overflow);
    }
    let (quotient, remainder) = div_wide(high, low, c).ok_or(MathError::Overflow)?;
    if rounding == Rounding::Up && remainder != 0 {
        quotient.checked_add(1).ok_or(MathError::Overflow)
    } else {
        Ok(quotient)
    }
}

/// Signed `a * b / c` with a 256-bit intermediate, rounded in the given
/// direction (`Down` is toward negative infinity).
pub fn mul_div_signed(a: i128, b: i128, c: i128, rounding: Rounding) -> Result<i128, MathError> {
    let negative = (a < 0) ^ (b < 0) ^ (c < 0) && a != 0 && b != 0;
    // Rounding a negative result down means rounding its magnitude up.
    let magnitude_rounding = match (negative, rounding) {
        (false, r) => r,
        (true, Rounding::Down) => Rounding::Up,
        (true, Rounding::Up) => Rounding::Down,
    };
    let magnitude =
        mul_div(a.unsigned_abs(), b.unsigned_abs(), c.unsigned_abs(), magnitude_rounding)?;
    to_signed(magnitude, negative)
}

/// Applies a sign to a magnitude, failing when it does not fit in an `i128`.
pub(crate) fn to_signed(magnitude: u128, negative: bool) -> Result<i128, MathError> {
    if negative {
        // -2^127 is representable.
        if magnitude == 1u128 << 127 {
            return Ok(i128::MIN);
        }
        i128::try_from(magnitude).map(|m| -m).map_err(|_| MathError::Overflow)
    } else {
        i128::try_from(magnitude).map_err(|_| MathError::Overflow)
    }
}

/// Unsigned 18-decimal fixed-point number: `Wad::from_raw(WAD)` is 1.0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wad(u128);

/// Signed 18-decimal fixed-point number: `SignedWad::from_raw(SIGNED_WAD)` is
/// 1.0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedWad(i128);

impl Wad {
    /// 0.0
    pub const ZERO: Wad = Wad(0);
    /// 1.0
    pub const ONE: Wad = Wad(WAD);
    /// Largest representable value, about 3.4e20.
    pub const MAX: Wad = Wad(u128::MAX);

    /// The value `raw / 10^18`.
    pub const fn from_raw(raw: u128) -> Wad {
        Wad(raw)
    }

    /// The raw integer, `value * 10^18`.
    pub const fn raw(self) -> u128 {
        self.0
    }

    /// The whole number `n` as a `Wad`.
    pub fn from_int(n: u128) -> Result<Wad, MathError> {
        n.checked_mul(WAD).map(Wad).ok_or(MathError::Overflow)
    }

    /// `self + other`.
    pub fn checked_add(self, other: Wad) -> Result<Wad, MathError> {
        self.0.checked_add(other.0).map(Wad).ok_or(MathError::Overflow)
    }

    /// `self - other`; [`MathError::Underflow`] below zero.
    pub fn checked_sub(self, other: Wad) -> Result<Wad, MathError> {
        self.0.checked_sub(other.0).map(Wad).ok_or(MathError::Underflow)
    }

    /// `self * other`, rounded in the given direction. Exact before rounding.
    pub fn mul(self, other: Wad, rounding: Rounding) -> Result<Wad, MathError> {
        mul_div(self.0, other.0, WAD, rounding).map(Wad)
    }

    /// `self / other`, rounded in the given direction. Exact before rounding.
    pub fn div(self, other: Wad, rounding: Rounding) -> Result<Wad, MathError> {
        mul_div(self.0, WAD, other.0, rounding).map(Wad)
    }

    /// `self * numerator / denominator` with a full-width intermediate.
    pub fn mul_div(
        self,
        numerator: Wad,
        denominator: Wad,
        rounding: Rounding,
    ) -> Result<Wad, MathError> {
        mul_div(self.0, numerator.0, denominator.0, rounding).map(Wad)
    }

    /// The same value as a [`SignedWad`]; [`MathError::Overflow`] above
    /// `i128::MAX`.
    pub fn to_signed(self) -> Result<SignedWad, MathError> {
        i128::try_from(self.0).map(SignedWad).map_err(|_| MathError::Overflow)
    }
}

impl SignedWad {
    /// 0.0
    pub const ZERO: SignedWad = SignedWad(0);
    /// 1.0
    pub const ONE: SignedWad = SignedWad(SIGNED_WAD);

    /// The value `raw / 10^18`.
    pub const fn from_raw(raw: i128) -> SignedWad {
        SignedWad(raw)
    }

    /// The raw integer, `value * 10^18`.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// The whole number `n` as a `SignedWad`.
    pub fn from_int(n: i128) -> Result<SignedWad, MathError> {
        n.checked_mul(SIGNED_WAD).map(SignedWad).ok_or(MathError::Overflow)
    }

    /// `self + other`.
    pub fn checked_add(self, other: SignedWad) -> Result<SignedWad, MathError> {
        self.0.checked_add(other.0).map(SignedWad).ok_or(MathError::Overflow)
    }

    /// `self - other`.
    pub fn checked_sub(self, other: SignedWad) -> Result<SignedWad, MathError> {
        self.0.checked_sub(other.0).map(SignedWad).ok_or(MathError::Overflow)
    }

    /// `-self`; [`MathError::Overflow`] for the most negative value.
    pub fn checked_neg(self) -> Result<SignedWad, MathError> {
        self.0.checked_neg().map(SignedWad).ok_or(MathError::Overflow)
    }

    /// `self * other`, rounded in the given direction (`Down` is toward
    /// negative infinity). Exact before rounding.
    pub fn mul(self, other: SignedWad, rounding: Rounding) -> Result<SignedWad, MathError> {
        mul_div_signed(self.0, other.0, SIGNED_WAD, rounding).map(SignedWad)
    }

    /// `self / other`, rounded in the given direction (`Down` is toward
    /// negative infinity). Exact before rounding.
    pub fn div(self, other: SignedWad, rounding: Rounding) -> Result<SignedWad, MathError> {
        mul_div_signed(self.0, SIGNED_WAD, other.0, rounding).map(SignedWad)
    }

    /// `|self|` as a [`Wad`]. Never fails.
    pub const fn abs(self) -> Wad {
        Wad(self.0.unsigned_abs())
    }

    /// The same value as a [`Wad`]; [`MathError::NonPositiveInput`] when
    /// negative.
    pub fn to_unsigned(self) -> Result<Wad, MathError> {
        u128::try_from(self.0).map(Wad).map_err(|_| MathError::NonPositiveInput)
    }

    /// Sign of the value.
    pub fn signum(self) -> Ordering {
        self.0.cmp(&0)
    }
}

impl From<Wad> for u128 {
    fn from(value: Wad) -> u128 {
        value.0
    }
}

impl From<SignedWad> for i128 {
    fn from(value: SignedWad) -> i128 {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::{BigInt, BigUint};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mul_div_matches_bigint(a in any::<u128>(), b in any::<u128>(), c in any::<u128>(), up in any::<bool>()) {
            let rounding = if up { Rounding::Up } else { Rounding::Down };
            let result = mul_div(a, b, c, rounding);
            if c == 0 {
                prop_assert_eq!(result, Err(MathError::DivisionByZero));
            } else {
                let product = BigUint::from(a) * BigUint::from(b);
                let mut expected = &product / BigUint::from(c);
                if up && &expected * BigUint::from(c) != product {
                    expected += 1u8;
                }
                match result {
                    Ok(q) => prop_assert_eq!(BigUint::from(q), expected),
                    Err(e) => {
                        prop_assert_eq!(e, MathError::Overflow);
                        prop_assert!(expected > BigUint::from(u128::MAX));
                    }
                }
            }
        }

        #[test]
        fn mul_div_by_powers_of_two(a in any::<u128>(), b in any::<u128>(), k in 0u32..128, up in any::<bool>()) {
            let c = 1u128 << k;
            let rounding = if up { Rounding::Up } else { Rounding::Down };
            let product = BigUint::from(a) * BigUint::from(b);
            let mut expected = &product >> k;
            if up && (&expected << k) != product {
                expected += 1u8;
            }
            match mul_div(a, b, c, rounding) {
                Ok(q) => prop_assert_eq!(BigUint::from(q), expected),
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(expected > BigUint::from(u128::MAX));
                }
            }
        }

        #[test]
        fn mul_div_small_operands(a in 0u128..1u128 << 80, b in 0u128..1u128 << 80, c in 1u128..1u128 << 90) {
            let expected = BigUint::from(a) * BigUint::from(b) / BigUint::from(c);
            prop_assert_eq!(BigUint::from(mul_div(a, b, c, Rounding::Down).unwrap()), expected);
        }

        #[test]
        fn mul_div_signed_rounds_toward_direction(a in any::<i128>(), b in any::<i128>(), c in any::<i128>(), up in any::<bool>()) {
            prop_assume!(c != 0);
            let rounding = if up { Rounding::Up } else { Rounding::Down };
            let num = BigInt::from(a) * BigInt::from(b);
            let den = BigInt::from(c);
            // Floor division, then adjust for Up.
            let floor = num_integer::Integer::div_floor(&num, &den);
            let exact = &floor * &den == num;
            let expected = if up && !exact { floor + 1 } else { floor };
            match mul_div_signed(a, b, c, rounding) {
                Ok(q) => prop_assert_eq!(BigInt::from(q), expected),
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(expected > BigInt::from(i128::MAX) || expected < BigInt::from(i128::MIN));
                }
            }
        }
    }

    #[test]
    fn wad_arithmetic_rounds_as_asked() {
        let third = Wad::ONE.div(Wad::from_int(3).unwrap(), Rounding::Down).unwrap();
        assert_eq!(third.raw(), 333_333_333_333_333_333);
        let third_up = Wad::ONE.div(Wad::from_int(3).unwrap(), Rounding::Up).unwrap();
        assert_eq!(third_up.raw(), 333_333_333_333_333_334);
        assert_eq!(Wad::ONE.div(Wad::ZERO, Rounding::Down), Err(MathError::DivisionByZero));
        assert_eq!(Wad::ZERO.checked_sub(Wad::ONE), Err(MathError::Underflow));
        assert_eq!(Wad::MAX.checked_add(Wad::ONE), Err(MathError::Overflow));
        assert_eq!(
            Wad::MAX.mul(Wad::from_int(2).unwrap(), Rounding::Down),
            Err(MathError::Overflow)
        );
        let minus_third = SignedWad::ONE
            .checked_neg()
            .unwrap()
            .div(SignedWad::from_int(3).unwrap(), Rounding::Down)
            .unwrap();
        assert_eq!(minus_third.raw(), -333_333_333_333_333_334);
        let minus_third_up = SignedWad::ONE
            .checked_neg()
            .unwrap()
            .div(SignedWad::from_int(3).unwrap(), Rounding::Up)
            .unwrap();
        assert_eq!(minus_third_up.raw(), -333_333_333_333_333_333);
        assert_eq!(SignedWad::from_raw(i128::MIN).checked_neg(), Err(MathError::Overflow));
        assert_eq!(SignedWad::from_raw(-1).to_unsigned(), Err(MathError::NonPositiveInput));
    }
}
