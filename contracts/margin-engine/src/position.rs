//! Positions: how a trade changes one, and how positions and series terms
//! are packed into storage words ([`Packed`], low half first).

use bulwark_common::packed::{Field, Packed};
use bulwark_math::{mul_div, mul_div_signed, Rounding};

use crate::margin::{to_signed, MarginError, OptionLeg, ONE};

/// Overflow as a [`MarginError`].
const OVERFLOW: MarginError = MarginError::Math(bulwark_math::MathError::Overflow);

/// A perp position after a trade, and the cash it realised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpFill {
    /// New size.
    pub size: i128,
    /// New basis: fill price minus the funding index.
    pub basis: i128,
    /// Cash realised (PnL and funding of the whole old position, marked to
    /// the fill price), rounded down.
    pub realised: i128,
}

/// Applies a perp trade of `delta` at `fill_price` when the market's funding
/// index is `funding_index`: the old position's whole PnL and accrued funding
/// are realised at the fill price, and the new size opens at the fill price.
/// (Equivalent to realising only the reduced part, since the remaining part
/// re-opens at the price it was marked to.)
///
/// # Errors
/// [`MarginError::Math`] on overflow.
pub fn apply_perp_trade(
    size: i128,
    basis: i128,
    delta: i128,
    fill_price: u128,
    funding_index: i128,
) -> Result<PerpFill, MarginError> {
    let per_unit = to_signed(fill_price).checked_sub(funding_index).ok_or(OVERFLOW)?;
    let pnl_per_unit = per_unit.checked_sub(basis).ok_or(OVERFLOW)?;
    let realised = mul_div_signed(size, pnl_per_unit, ONE, Rounding::Down)?;
    let new_size = size.checked_add(delta).ok_or(OVERFLOW)?;
    let new_basis = if new_size == 0 { 0 } else { per_unit };
    Ok(PerpFill { size: new_size, basis: new_basis, realised })
}

/// Cash an option position receives (negative: pays) at settlement price
/// `settlement`: `amount * max(settlement - strike, 0)` for a call,
/// `amount * max(strike - settlement, 0)` for a put, rounded down.
///
/// # Errors
/// [`MarginError::Math`] on overflow.
pub fn settlement_payoff(leg: &OptionLeg, settlement: u128) -> Result<i128, MarginError> {
    let intrinsic = if leg.is_call {
        settlement.saturating_sub(leg.strike)
    } else {
        leg.strike.saturating_sub(settlement)
    };
    Ok(mul_div_signed(leg.amount, to_signed(intrinsic), ONE, Rounding::Down)?)
}

/// An `i128` as the raw bits of a `u128` half.
pub fn from_signed(value: i128) -> u128 {
    value.cast_unsigned()
}

/// The raw bits of a `u128` half as an `i128`.
pub fn to_signed_bits(value: u128) -> i128 {
    value.cast_signed()
}

/// A series word: its strike (WAD).
pub const SERIES_STRIKE: Field = Field::LOW;
/// A series word: its expiry (unix seconds).
pub const SERIES_EXPIRY: Field = Field::new(128, 64);
/// A series word: its oracle feed.
pub const SERIES_FEED: Field = Field::new(192, 32);
/// A series word: 1 for a call.
pub const SERIES_IS_CALL: Field = Field::new(224, 1);

/// Packs an option series' terms ([`SERIES_STRIKE`] and the fields after it).
pub fn pack_series(leg: &OptionLeg) -> Packed {
    Packed::ZERO
        .with(SERIES_STRIKE, leg.strike)
        .with(SERIES_EXPIRY, u128::from(leg.expiry))
        .with(SERIES_FEED, u128::from(leg.feed))
        .with(SERIES_IS_CALL, u128::from(leg.is_call))
}

/// Inverse of [`pack_series`] (amount and volatility zero).
#[allow(clippy::cast_possible_truncation)]
// Each field is at most as wide as its type.
pub fn unpack_series(word: Packed) -> OptionLeg {
    OptionLeg {
        feed: word.get(SERIES_FEED) as u32,
        amount: 0,
        strike: word.get(SERIES_STRIKE),
        expiry: word.get(SERIES_EXPIRY) as u64,
        is_call: word.get(SERIES_IS_CALL) == 1,
        volatility: 0,
    }
}

/// `value * WAD / scale`-free check that a notional fits comfortably: sizes
/// and prices are bounded by 2^100 so products in WAD never overflow.
pub fn within_range(value: u128) -> bool {
    value < (1 << 100)
}

/// `amount` WAD to token units with `decimals` (at most 18), rounded down.
pub fn to_units(amount: u128, decimals: u8) -> u128 {
    let scale = 10u128.pow(u32::from(18u8.saturating_sub(decimals)));
    mul_div(amount, 1, scale, Rounding::Down).unwrap_or(0)
}

/// `units` with `decimals` to WAD (exact for decimals <= 18).
pub fn to_wad(units: u128, decimals: u8) -> u128 {
    units.saturating_mul(10u128.pow(u32::from(18u8.saturating_sub(decimals))))
}

#[cfg(test)]
mod tests {
    use bulwark_math::WAD;

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trade_realises_pnl_and_funding() {
        // Long 2 at 100 (funding 0), now fill 110 with funding index 3: pnl 2 * (110 - 3 - 100) = 14.
        let opened = apply_perp_trade(0, 0, 2 * ONE, 100 * WAD, 0).unwrap();
        assert_eq!(opened, PerpFill { size: 2 * ONE, basis: 100 * ONE, realised: 0 });
        let reduced =
            apply_perp_trade(opened.size, opened.basis, -ONE, 110 * WAD, 3 * ONE).unwrap();
        assert_eq!(reduced, PerpFill { size: ONE, basis: 107 * ONE, realised: 14 * ONE });
        let closed =
            apply_perp_trade(reduced.size, reduced.basis, -ONE, 110 * WAD, 3 * ONE).unwrap();
        assert_eq!(closed, PerpFill { size: 0, basis: 0, realised: 0 });
    }

    #[test]
    fn settlement_pays_intrinsic_value() {
        let call = OptionLeg {
            feed: 1,
            amount: -2 * ONE,
            strike: 100 * WAD,
            expiry: 1,
            is_call: true,
            volatility: 0,
        };
        assert_eq!(settlement_payoff(&call, 130 * WAD).unwrap(), -60 * ONE);
        assert_eq!(settlement_payoff(&call, 90 * WAD).unwrap(), 0);
        let put = OptionLeg { is_call: false, amount: ONE, ..call };
        assert_eq!(settlement_payoff(&put, 90 * WAD).unwrap(), 10 * ONE);
    }

    proptest! {
        #[test]
        fn packing_round_trips(feed in any::<u32>(), strike in any::<u128>(), expiry in any::<u64>(), is_call in any::<bool>(), x in any::<i128>()) {
            let leg = OptionLeg { feed, amount: 0, strike, expiry, is_call, volatility: 0 };
            let word = pack_series(&leg);
            prop_assert_eq!(unpack_series(word), leg);
            // The layout as RiskEngine stored it before fields were declared.
            let high = u128::from(expiry) | u128::from(feed) << 64 | u128::from(is_call) << 96;
            prop_assert_eq!(word.halves(), (strike, high));
            let held = Packed::from_halves(from_signed(x), strike);
            prop_assert_eq!((to_signed_bits(held.low()), held.high()), (x, strike));
        }

        #[test]
        fn realised_cash_is_the_change_in_value(size in -1_000_000i128..1_000_000, delta in -1_000_000i128..1_000_000,
                                                entry in 1u128..100_000, fill in 1u128..100_000, funding in -1_000i128..1_000) {
            let size = size * ONE / 100;
            let opened = apply_perp_trade(0, 0, size, entry * WAD, 0).unwrap();
            let fill_wad = fill * WAD;
            let traded = apply_perp_trade(opened.size, opened.basis, delta * ONE / 100, fill_wad, funding * ONE).unwrap();
            // Value of the old position at the fill = realised; the new one is worth zero at the fill.
            let expected = mul_div_signed(size, to_signed(fill_wad) - funding * ONE - to_signed(entry * WAD), ONE, Rounding::Up).unwrap();
            prop_assert!((traded.realised - expected).abs() <= 1);
            prop_assert_eq!(traded.size, size + delta * ONE / 100);
            prop_assert!(traded.realised <= expected);
        }
    }
}
