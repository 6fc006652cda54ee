//! Units on the ABI side: values are 18-decimal fixed point in `uint256`.
//!
//! Arithmetic on them goes through bulwark-math (u128/i128 fixed point with
//! explicit rounding); this module only names the scale at the ABI edge.

use alloy_primitives::U256;

/// One in 18-decimal fixed point, as the ABI carries it.
pub const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wad_is_the_math_librarys_one() {
        assert_eq!(WAD, U256::from(bulwark_math::WAD));
    }
}
