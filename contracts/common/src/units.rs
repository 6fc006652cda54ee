//! Units: 18-decimal fixed point inside Bulwark, token decimals at the edges.
//!
//! Conversions round in the protocol's favour: what the protocol credits is
//! rounded down, what it requires or debits is rounded up.

use alloy_primitives::U256;

/// One in 18-decimal fixed point.
pub const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Decimals of Bulwark's internal fixed point.
pub const WAD_DECIMALS: u8 = 18;

/// Largest token decimals Bulwark accepts (scaling factors stay below 10^36).
pub const MAX_TOKEN_DECIMALS: u8 = 36;

/// Seconds in Bulwark's year, used to annualise rates and option expiries.
pub const SECONDS_PER_YEAR: u64 = 365 * 24 * 60 * 60;

/// Which way a conversion rounds when it loses precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward zero: for amounts the protocol pays or credits.
    Down,
    /// Away from zero: for amounts the protocol requires or debits.
    Up,
}

/// Converts a token amount in `decimals` to 18-decimal fixed point.
///
/// Returns `None` when the result does not fit in 256 bits or `decimals`
/// exceeds [`MAX_TOKEN_DECIMALS`].
#[must_use]
pub fn to_wad(amount: U256, decimals: u8, rounding: Rounding) -> Option<U256> {
    if decimals > MAX_TOKEN_DECIMALS {
        return None;
    }
    if decimals <= WAD_DECIMALS {
        amount.checked_mul(pow10(WAD_DECIMALS - decimals))
    } else {
        div_rounding(amount, pow10(decimals - WAD_DECIMALS), rounding)
    }
}

/// Converts an 18-decimal amount to a token amount in `decimals`.
///
/// Returns `None` when the result does not fit in 256 bits or `decimals`
/// exceeds [`MAX_TOKEN_DECIMALS`].
#[must_use]
pub fn from_wad(amount: U256, decimals: u8, rounding: Rounding) -> Option<U256> {
    if decimals > MAX_TOKEN_DECIMALS {
        return None;
    }
    if decimals >= WAD_DECIMALS {
        amount.checked_mul(pow10(decimals - WAD_DECIMALS))
    } else {
        div_rounding(amount, pow10(WAD_DECIMALS - decimals), rounding)
    }
}

/// `10^exponent` for `exponent <= 36`.
fn pow10(exponent: u8) -> U256 {
    U256::from(10u8).pow(U256::from(exponent))
}

/// `numerator / denominator` rounded as asked; `None` on a zero denominator.
fn div_rounding(numerator: U256, denominator: U256, rounding: Rounding) -> Option<U256> {
    let (quotient, remainder) =
        numerator.checked_div(denominator).map(|q| (q, numerator % denominator))?;
    match rounding {
        Rounding::Up if !remainder.is_zero() => quotient.checked_add(U256::from(1u8)),
        _ => Some(quotient),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn six_decimals_scale_up_exactly() {
        assert_eq!(
            to_wad(U256::from(1_500_000u64), 6, Rounding::Down),
            Some(U256::from(15u64) * WAD / U256::from(10u8))
        );
    }

    #[test]
    fn from_wad_rounds_in_the_direction_asked() {
        let one_wei_over = WAD + U256::from(1u8);
        assert_eq!(from_wad(one_wei_over, 6, Rounding::Down), Some(U256::from(1_000_000u64)));
        assert_eq!(from_wad(one_wei_over, 6, Rounding::Up), Some(U256::from(1_000_001u64)));
    }

    #[test]
    fn twenty_four_decimals_scale_down_with_rounding() {
        let amount = U256::from(1_000_001u64);
        assert_eq!(to_wad(amount, 24, Rounding::Down), Some(U256::from(1u8)));
        assert_eq!(to_wad(amount, 24, Rounding::Up), Some(U256::from(2u8)));
    }

    #[test]
    fn too_many_decimals_and_overflow_are_refused() {
        assert_eq!(to_wad(U256::from(1u8), 37, Rounding::Down), None);
        assert_eq!(to_wad(U256::MAX, 6, Rounding::Down), None);
        assert_eq!(from_wad(U256::MAX, 36, Rounding::Down), None);
    }

    proptest! {
        #[test]
        fn round_trip_never_creates_value(raw in any::<u128>(), decimals in 0u8..=36) {
            let amount = U256::from(raw);
            let wad = to_wad(amount, decimals, Rounding::Down).unwrap();
            let back = from_wad(wad, decimals, Rounding::Down).unwrap();
            prop_assert!(back <= amount);
            let wad_up = to_wad(amount, decimals, Rounding::Up).unwrap();
            prop_assert!(wad_up >= wad);
        }
    }
}
