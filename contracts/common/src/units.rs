//! Units on the ABI side: values are 18-decimal fixed point in `uint256`.
//!
//! Arithmetic on them goes through bulwark-math (u128/i128 fixed point with
//! explicit rounding); this module names the scale at the ABI edge and moves
//! values between the ABI's 256-bit words and the math's 128-bit integers,
//! on limbs: alloy's generic `TryFrom` paths are several times larger in a
//! contract.

use alloy_primitives::{I256, U256};

/// One in 18-decimal fixed point, as the ABI carries it.
pub const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// An `i128` as an `int256` (sign-extended).
#[must_use]
pub fn i256(value: i128) -> I256 {
    let bits = value.cast_unsigned();
    let extension = if value < 0 { u64::MAX } else { 0 };
    // The low and high 64 bits of `bits`: truncation is the point.
    #[allow(clippy::cast_possible_truncation)]
    let (low, high) = (bits as u64, (bits >> 64) as u64);
    I256::from_raw(U256::from_limbs([low, high, extension, extension]))
}

/// A `uint256` as `u128`; `None` when it does not fit.
#[must_use]
pub fn to_u128(value: U256) -> Option<u128> {
    let [low, high, a, b] = *value.as_limbs();
    (a | b == 0).then_some(u128::from(high) << 64 | u128::from(low))
}

/// An `int256` as `i128`; `None` when it does not fit (the top 129 bits
/// must all equal the sign).
#[must_use]
pub fn to_i128(value: I256) -> Option<i128> {
    let [low, high, a, b] = *value.into_raw().as_limbs();
    let narrowed = (u128::from(high) << 64 | u128::from(low)).cast_signed();
    let extension = if narrowed < 0 { u64::MAX } else { 0 };
    (a == extension && b == extension).then_some(narrowed)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn conversions_match_alloy(wide in any::<[u8; 32]>(), small in any::<i128>(), high in 0usize..4) {
            // Random words, and words just around the 128-bit bounds.
            let mut limbs = [0u64; 4];
            limbs[high] = 1;
            let around = [U256::from_be_bytes(wide), U256::from_limbs(limbs), U256::from(small.cast_unsigned())];
            for x in around {
                for y in [x, x.wrapping_sub(U256::ONE), x.wrapping_neg()] {
                    prop_assert_eq!(to_u128(y), u128::try_from(y).ok());
                    let signed_y = I256::from_raw(y);
                    prop_assert_eq!(to_i128(signed_y), i128::try_from(signed_y).ok());
                }
            }
            prop_assert_eq!(i256(small), I256::try_from(small).unwrap());
            prop_assert_eq!(to_i128(i256(small)), Some(small));
        }
    }

    #[test]
    fn conversions_at_the_bounds() {
        let max = I256::try_from(i128::MAX).unwrap();
        let min = I256::try_from(i128::MIN).unwrap();
        assert_eq!(to_i128(max), Some(i128::MAX));
        assert_eq!(to_i128(min), Some(i128::MIN));
        assert_eq!(to_i128(max + I256::ONE), None);
        assert_eq!(to_i128(min - I256::ONE), None);
        assert_eq!(i256(i128::MIN), min);
        assert_eq!(to_i128(I256::MAX), None);
        assert_eq!(to_i128(I256::MIN), None);
        for value in [0i128, 1, -1, 12_345 << 70, -(12_345 << 70)] {
            assert_eq!(to_i128(i256(value)), Some(value));
        }
        assert_eq!(to_u128(U256::from(u128::MAX)), Some(u128::MAX));
        assert_eq!(to_u128(U256::from(u128::MAX) + U256::ONE), None);
    }

    #[test]
    fn wad_is_the_math_librarys_one() {
        assert_eq!(WAD, U256::from(bulwark_math::WAD));
    }
}
