//! The OptionsMarket's pure logic: expiry rules, the strike grid, premium with
//! spread and fee, the pool's book and its greek limits, settlement payoffs.
//!
//! Plain functions over plain values (WAD integers), tested natively; the
//! contract loads state, calls these, stores the result and emits events.
//!
//! Signs: an option `amount` is from the trader's view (long > 0). A
//! `premium` is from the trader's view too: positive means the trader pays.
//! The pool is the counterparty, so its position in a series is
//! `short_open - long_open` of the traders.

use bulwark_math::{
    mul_div, mul_div_signed, OptionKind, OptionPricer, Rounding, SignedWad, Wad, WAD,
};

/// Seconds in a day.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// Time of day at which every series expires: 08:00 UTC, in seconds.
pub const EXPIRY_TIME_OF_DAY: u64 = 8 * 60 * 60;

/// Longest time from listing to expiry: 365 days.
pub const MAX_EXPIRY_HORIZON: u64 = 365 * SECONDS_PER_DAY;

/// Longest trading cutoff before expiry: one day.
pub const MAX_TRADING_CUTOFF: u64 = SECONDS_PER_DAY;

/// Largest base spread: 0.5 of volatility (50 vol points).
pub const MAX_BASE_SPREAD: u128 = WAD / 2;

/// Largest spread slope (per unit of vega utilisation): 5.0 of volatility.
pub const MAX_SPREAD_SLOPE: u128 = 5 * WAD;

/// Largest total spread, in volatility: 1.0 (100 vol points).
pub const MAX_SPREAD: u128 = WAD;

/// Largest fee as a share of the model premium: 12.5%.
pub const MAX_FEE_PREMIUM_RATE: u128 = WAD / 8;

/// Largest fee as a share of notional (spot x contracts): 1%.
pub const MAX_FEE_NOTIONAL_RATE: u128 = WAD / 100;

/// Most strikes on each side of the centre strike listed by rule.
pub const MAX_STRIKES_PER_SIDE: u8 = 10;

/// Why a computation of this module has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicError {
    /// An intermediate or a result does not fit (absurd sizes or prices).
    Overflow,
    /// The pricer refused its inputs (volatility, expiry or spot out of its domain).
    Pricing,
}

impl From<bulwark_math::MathError> for LogicError {
    fn from(_: bulwark_math::MathError) -> Self {
        LogicError::Pricing
    }
}

/// Global market parameters (see the README for their meaning and bounds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketParams {
    /// Trading stops this many seconds before expiry.
    pub trading_cutoff: u64,
    /// Spread every trade pays, in volatility (WAD).
    pub base_spread: u128,
    /// Spread per unit of `trade vega / vega limit`, in volatility (WAD).
    pub trade_vega_slope: u128,
    /// Spread per unit of `pool |vega| / vega limit` after a trade that adds
    /// pool vega, in volatility (WAD).
    pub exposure_slope: u128,
    /// Fee cap as a share of the model premium (WAD).
    pub fee_premium_rate: u128,
    /// Fee as a share of notional, spot x contracts (WAD).
    pub fee_notional_rate: u128,
}

impl MarketParams {
    /// Whether every parameter lies within its hard bound.
    pub fn within_bounds(&self) -> bool {
        self.trading_cutoff <= MAX_TRADING_CUTOFF
            && self.base_spread <= MAX_BASE_SPREAD
            && self.trade_vega_slope <= MAX_SPREAD_SLOPE
            && self.exposure_slope <= MAX_SPREAD_SLOPE
            && self.fee_premium_rate <= MAX_FEE_PREMIUM_RATE
            && self.fee_notional_rate <= MAX_FEE_NOTIONAL_RATE
    }
}

/// Whether `expiry` may be listed at `now`: at [`EXPIRY_TIME_OF_DAY`], still
/// tradable (after the cutoff), and at most [`MAX_EXPIRY_HORIZON`] away.
pub fn expiry_listable(expiry: u64, now: u64, trading_cutoff: u64) -> bool {
    expiry % SECONDS_PER_DAY == EXPIRY_TIME_OF_DAY
        && trading_open(expiry, now, trading_cutoff)
        && expiry - now <= MAX_EXPIRY_HORIZON
}

/// Whether a series expiring at `expiry` still trades at `now`.
pub fn trading_open(expiry: u64, now: u64, trading_cutoff: u64) -> bool {
    now.checked_add(trading_cutoff).is_some_and(|end| end < expiry)
}

/// The strikes listed by rule: the grid point nearest to `spot` (ties go up)
/// and `per_side` grid points on each side, skipping non-positive strikes;
/// in increasing order. Empty when `step` is zero.
pub fn grid_strikes(spot: u128, step: u128, per_side: u8) -> impl Iterator<Item = u128> {
    let centre_index = if step == 0 { 0 } else { spot.saturating_add(step / 2) / step };
    let per_side = u128::from(per_side);
    let first = centre_index.saturating_sub(per_side).max(1);
    let last = if step == 0 { 0 } else { centre_index.saturating_add(per_side) };
    (first..=last).filter_map(move |index| index.checked_mul(step))
}

/// Price and greeks of one contract at the current spot and volatility.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// Model premium of one contract (quote WAD).
    pub price: u128,
    /// Delta of one long contract (WAD).
    pub delta: i128,
    /// Vega of one contract, per 1.0 of volatility (quote WAD).
    pub vega: u128,
}

/// Black-Scholes (rate 0) price, delta and vega of one contract.
///
/// # Errors
/// [`LogicError::Pricing`] outside the pricer's domain.
pub fn mark(
    kind: OptionKind,
    spot: u128,
    strike: u128,
    seconds_to_expiry: u64,
    volatility: u128,
) -> Result<Mark, LogicError> {
    let pricer = OptionPricer::new(
        bulwark_math::Model::BlackScholes,
        kind,
        Wad::from_raw(strike),
        seconds_to_expiry,
        SignedWad::from_raw(0),
    )?;
    let greeks = pricer.greeks(Wad::from_raw(spot), Wad::from_raw(volatility))?;
    Ok(Mark { price: greeks.price.raw(), delta: greeks.delta.raw(), vega: greeks.vega.raw() })
}

/// `amount * per_contract`, signed WAD, rounded toward negative infinity.
fn scaled(amount: i128, per_contract: i128) -> Result<i128, LogicError> {
    mul_div_signed(amount, per_contract, WAD.cast_signed(), Rounding::Down)
        .map_err(|_| LogicError::Overflow)
}

/// The pool's greek totals on one underlying, at each series' last mark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolGreeks {
    /// Delta of the pool's options (WAD, per unit of underlying).
    pub delta: i128,
    /// Vega of the pool's options (quote WAD per 1.0 of volatility).
    pub vega: i128,
}

impl PoolGreeks {
    /// The totals with a series' contribution `pool_amount x mark` removed
    /// (`sign = -1`) or added (`sign = 1`). Adding and then removing the
    /// same `(pool_amount, mark)` gives back exactly the same totals.
    ///
    /// # Errors
    /// [`LogicError::Overflow`].
    pub fn shifted(
        self,
        pool_amount: i128,
        delta: i128,
        vega: u128,
        add: bool,
    ) -> Result<PoolGreeks, LogicError> {
        let vega = i128::try_from(vega).map_err(|_| LogicError::Overflow)?;
        let d = scaled(pool_amount, delta)?;
        let v = scaled(pool_amount, vega)?;
        let (d, v) = if add {
            (d, v)
        } else {
            (
                d.checked_neg().ok_or(LogicError::Overflow)?,
                v.checked_neg().ok_or(LogicError::Overflow)?,
            )
        };
        Ok(PoolGreeks {
            delta: self.delta.checked_add(d).ok_or(LogicError::Overflow)?,
            vega: self.vega.checked_add(v).ok_or(LogicError::Overflow)?,
        })
    }
}

/// Open interest of one series: the traders' longs and shorts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenInterest {
    /// Sum of traders' long amounts (WAD contracts).
    pub long: u128,
    /// Sum of traders' short amounts (WAD contracts).
    pub short: u128,
}

impl OpenInterest {
    /// The pool's position: it holds the other side of every trader.
    ///
    /// # Errors
    /// [`LogicError::Overflow`] beyond `i128`.
    pub fn pool_amount(self) -> Result<i128, LogicError> {
        let short = i128::try_from(self.short).map_err(|_| LogicError::Overflow)?;
        let long = i128::try_from(self.long).map_err(|_| LogicError::Overflow)?;
        short.checked_sub(long).ok_or(LogicError::Overflow)
    }

    /// Open interest after an account's position moves from `before` to
    /// `before + delta`.
    ///
    /// # Errors
    /// [`LogicError::Overflow`], also when the book would go negative (the
    /// account's `before` does not agree with the open interest).
    pub fn after(self, before: i128, delta: i128) -> Result<OpenInterest, LogicError> {
        let after = before.checked_add(delta).ok_or(LogicError::Overflow)?;
        let long_part = |x: i128| x.max(0).unsigned_abs();
        let short_part = |x: i128| x.min(0).unsigned_abs();
        let long = self
            .long
            .checked_sub(long_part(before))
            .and_then(|l| l.checked_add(long_part(after)))
            .ok_or(LogicError::Overflow)?;
        let short = self
            .short
            .checked_sub(short_part(before))
            .and_then(|s| s.checked_add(short_part(after)))
            .ok_or(LogicError::Overflow)?;
        Ok(OpenInterest { long, short })
    }
}

/// The spread, in volatility: `base + trade_slope x trade_vega / limit`,
/// plus `exposure_slope x |pool vega after| / limit` when the trade adds to
/// the pool's |vega|; capped at [`MAX_SPREAD`]. A zero `vega_limit` (an
/// underlying without capacity) gives [`MAX_SPREAD`].
///
/// # Errors
/// [`LogicError::Overflow`].
pub fn spread(
    params: &MarketParams,
    trade_vega: u128,
    pool_vega_before: i128,
    pool_vega_after: i128,
    vega_limit: u128,
) -> Result<u128, LogicError> {
    if vega_limit == 0 {
        return Ok(MAX_SPREAD);
    }
    let utilisation = |vega: u128, slope: u128| {
        mul_div(slope, vega, vega_limit, Rounding::Up).map_or(MAX_SPREAD, |s| s.min(MAX_SPREAD))
    };
    let mut total =
        params.base_spread.saturating_add(utilisation(trade_vega, params.trade_vega_slope));
    if pool_vega_after.unsigned_abs() > pool_vega_before.unsigned_abs() {
        total = total
            .saturating_add(utilisation(pool_vega_after.unsigned_abs(), params.exposure_slope));
    }
    Ok(total.min(MAX_SPREAD))
}

/// Premium and fee of one trade, with the greeks it moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quote {
    /// Premium of the whole trade, trader's view (positive = trader pays).
    pub premium: i128,
    /// Fee of the whole trade (quote WAD, paid by the trader).
    pub fee: u128,
    /// The spread applied, in volatility (WAD).
    pub spread: u128,
    /// Delta of the trade for the trader (WAD).
    pub delta: i128,
    /// Vega of the trade for the trader (quote WAD per 1.0 of volatility).
    pub vega: i128,
}

/// Premium of `amount` contracts at `mark` with `spread` (in volatility):
/// a buyer pays `price + spread x vega` per contract, a seller receives
/// `max(price - spread x vega, 0)`; rounded in the pool's favour. The fee is
/// `min(fee_premium_rate x model premium, fee_notional_rate x spot x |amount|)`
/// rounded up.
///
/// # Errors
/// [`LogicError::Overflow`].
pub fn quote(
    params: &MarketParams,
    mark: &Mark,
    spot: u128,
    amount: i128,
    spread: u128,
) -> Result<Quote, LogicError> {
    let size = amount.unsigned_abs();
    let overflow = |_| LogicError::Overflow;
    let spread_value = mul_div(spread, mark.vega, WAD, Rounding::Up).map_err(overflow)?;
    let premium = if amount >= 0 {
        let per_contract = mark.price.checked_add(spread_value).ok_or(LogicError::Overflow)?;
        i128::try_from(mul_div(size, per_contract, WAD, Rounding::Up).map_err(overflow)?)
            .map_err(|_| LogicError::Overflow)?
    } else {
        let per_contract = mark.price.saturating_sub(spread_value);
        -i128::try_from(mul_div(size, per_contract, WAD, Rounding::Down).map_err(overflow)?)
            .map_err(|_| LogicError::Overflow)?
    };
    let model_premium = mul_div(size, mark.price, WAD, Rounding::Up).map_err(overflow)?;
    let notional = mul_div(size, spot, WAD, Rounding::Up).map_err(overflow)?;
    let fee = mul_div(params.fee_premium_rate, model_premium, WAD, Rounding::Up)
        .map_err(overflow)?
        .min(mul_div(params.fee_notional_rate, notional, WAD, Rounding::Up).map_err(overflow)?);
    let vega = i128::try_from(mark.vega).map_err(|_| LogicError::Overflow)?;
    Ok(Quote {
        premium,
        fee,
        spread,
        delta: scaled(amount, mark.delta)?,
        vega: scaled(amount, vega)?,
    })
}

/// Whether a greek may move from `before` to `after` under `limit`: within
/// the limit, or not growing in magnitude (reducing is always allowed).
pub fn within_limit(before: i128, after: i128, limit: u128) -> bool {
    after.unsigned_abs() <= limit || after.unsigned_abs() <= before.unsigned_abs()
}

/// The pool's net delta on an underlying: its options' delta minus the
/// traders' net perp skew (the pool holds the other side of both).
///
/// # Errors
/// [`LogicError::Overflow`].
pub fn pool_delta(option_delta: i128, perp_skew: i128) -> Result<i128, LogicError> {
    option_delta.checked_sub(perp_skew).ok_or(LogicError::Overflow)
}

/// Intrinsic value of one contract at `settlement_price` (quote WAD).
pub fn intrinsic(kind: OptionKind, strike: u128, settlement_price: u128) -> u128 {
    match kind {
        OptionKind::Call => settlement_price.saturating_sub(strike),
        OptionKind::Put => strike.saturating_sub(settlement_price),
    }
}

/// What a position of `amount` contracts is worth at settlement, from the
/// trader's view (positive = the trader receives): a long receives
/// `amount x intrinsic` rounded down, a short pays it rounded up.
///
/// # Errors
/// [`LogicError::Overflow`].
pub fn settlement_payoff(
    kind: OptionKind,
    strike: u128,
    settlement_price: u128,
    amount: i128,
) -> Result<i128, LogicError> {
    let value = intrinsic(kind, strike, settlement_price);
    let rounding = if amount >= 0 { Rounding::Down } else { Rounding::Up };
    let magnitude =
        mul_div(amount.unsigned_abs(), value, WAD, rounding).map_err(|_| LogicError::Overflow)?;
    let magnitude = i128::try_from(magnitude).map_err(|_| LogicError::Overflow)?;
    Ok(if amount >= 0 { magnitude } else { -magnitude })
}

/// The pool's book as a trade sees it: the series' open interest and last
/// mark, and the pool's totals on the underlying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Book {
    /// The series' open interest.
    pub open_interest: OpenInterest,
    /// Delta per contract at the series' last mark.
    pub marked_delta: i128,
    /// Vega per contract at the series' last mark.
    pub marked_vega: u128,
    /// The pool's totals on the underlying, at each series' last mark.
    pub totals: PoolGreeks,
    /// The pool's vega limit on the underlying.
    pub vega_limit: u128,
}

/// The market inputs of a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeInputs {
    /// Call or put.
    pub kind: OptionKind,
    /// Oracle spot (WAD).
    pub spot: u128,
    /// Strike (WAD).
    pub strike: u128,
    /// Seconds until expiry.
    pub seconds_to_expiry: u64,
    /// Oracle volatility for the strike and expiry (WAD, annual).
    pub volatility: u128,
    /// Contracts traded, trader's view (0: re-mark only).
    pub amount: i128,
}

/// A priced trade: its quote, the series' new mark and the pool's totals
/// with the series re-marked, before and after the trade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PricedTrade {
    /// Premium, fee, spread and the trade's greeks.
    pub quote: Quote,
    /// Price and greeks per contract now.
    pub mark: Mark,
    /// Pool totals with the series re-marked at its current position.
    pub before: PoolGreeks,
    /// Pool totals with the series re-marked at its position after the trade.
    pub after: PoolGreeks,
}

/// Prices a trade against the pool's book. The traded series is re-marked
/// exactly (its old contribution removed, the new one added at today's
/// greeks), so `after - before` is exactly the trade's effect on the pool;
/// other series stay at their last marks.
///
/// # Errors
/// [`LogicError::Pricing`] outside the pricer's domain;
/// [`LogicError::Overflow`].
pub fn price_trade(
    params: &MarketParams,
    inputs: &TradeInputs,
    book: &Book,
) -> Result<PricedTrade, LogicError> {
    let mark =
        mark(inputs.kind, inputs.spot, inputs.strike, inputs.seconds_to_expiry, inputs.volatility)?;
    let pool_before = book.open_interest.pool_amount()?;
    let base = book.totals.shifted(pool_before, book.marked_delta, book.marked_vega, false)?;
    let before = base.shifted(pool_before, mark.delta, mark.vega, true)?;
    let pool_after = pool_before.checked_sub(inputs.amount).ok_or(LogicError::Overflow)?;
    let after = base.shifted(pool_after, mark.delta, mark.vega, true)?;
    let trade_vega = mul_div(inputs.amount.unsigned_abs(), mark.vega, WAD, Rounding::Up)
        .map_err(|_| LogicError::Overflow)?;
    let spread = spread(params, trade_vega, before.vega, after.vega, book.vega_limit)?;
    let quote = quote(params, &mark, inputs.spot, inputs.amount, spread)?;
    Ok(PricedTrade { quote, mark, before, after })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: u64 = SECONDS_PER_DAY;
    /// 2025-01-01 00:00:00 UTC.
    const NOW: u64 = 1_735_689_600;

    fn wad(x: f64) -> u128 {
        // Test-only conversion of exact decimal literals.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let raw = (x * 1e18).round() as u128;
        raw
    }

    fn to_f64(raw: i128) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = raw as f64 / 1e18;
        x
    }

    fn params() -> MarketParams {
        MarketParams {
            trading_cutoff: 1800,
            base_spread: wad(0.01),
            trade_vega_slope: wad(0.2),
            exposure_slope: wad(0.1),
            fee_premium_rate: wad(0.125),
            fee_notional_rate: wad(0.0003),
        }
    }

    fn zero_spread() -> MarketParams {
        MarketParams { trading_cutoff: 0, ..MarketParams::default() }
    }

    /// (kind, spot, strike, seconds, volatility, price, delta, vega).
    type Case = (OptionKind, f64, f64, u64, f64, f64, f64, f64);

    /// Black-Scholes (rate 0) values computed in f64 with erf (Python `math.erf`).
    const REFERENCE: [Case; 8] = [
        (
            OptionKind::Call,
            2000.0,
            2000.0,
            30 * DAY,
            0.8,
            182.596_815_636_925_84,
            0.545_649_203_909_231_4,
            227.247_242_304_781_34,
        ),
        (
            OptionKind::Call,
            2000.0,
            2500.0,
            30 * DAY,
            0.8,
            44.791_354_037_134_91,
            0.195_377_120_547_430_56,
            158.272_322_908_703_8,
        ),
        (
            OptionKind::Call,
            2000.0,
            1500.0,
            30 * DAY,
            0.8,
            519.825_731_977_312_2,
            0.914_499_927_128_795,
            89.616_302_793_069_83,
        ),
        (
            OptionKind::Put,
            2000.0,
            2500.0,
            30 * DAY,
            0.8,
            544.791_354_037_135_1,
            -0.804_622_879_452_569_4,
            158.272_322_908_703_8,
        ),
        (
            OptionKind::Put,
            2000.0,
            1500.0,
            30 * DAY,
            0.8,
            19.825_731_977_312_415,
            -0.085_500_072_871_204_98,
            89.616_302_793_069_83,
        ),
        (
            OptionKind::Call,
            2000.0,
            2050.0,
            3600,
            0.6,
            0.000_177_075_283_133_709_68,
            5.938_983_600_001_224e-5,
            0.005_179_779_726_102_345,
        ),
        (
            OptionKind::Put,
            2000.0,
            1950.0,
            3600,
            0.6,
            0.000_113_087_886_374_763_08,
            -3.865_864_311_813_905e-5,
            0.003_453_371_011_035_558_5,
        ),
        (
            OptionKind::Call,
            100.0,
            100.0,
            365 * DAY,
            0.2,
            7.965_567_455_405_804,
            0.539_827_837_277_029,
            39.695_254_747_701_185,
        ),
    ];

    #[test]
    fn marks_match_the_reference_in_and_out_of_the_money_and_near_expiry() {
        for (kind, spot, strike, seconds, vol, price, delta, vega) in REFERENCE {
            let m = mark(kind, wad(spot), wad(strike), seconds, wad(vol)).unwrap();
            let tolerance = |x: f64| 1e-9 * x.abs().max(1e-3);
            assert!(
                (to_f64(m.price.cast_signed()) - price).abs() < tolerance(price),
                "{kind:?} {strike} price {}",
                m.price
            );
            assert!((to_f64(m.delta) - delta).abs() < 1e-9, "{kind:?} {strike} delta {}", m.delta);
            assert!(
                (to_f64(m.vega.cast_signed()) - vega).abs() < tolerance(vega),
                "{kind:?} {strike} vega {}",
                m.vega
            );
        }
    }

    #[test]
    fn premium_without_spread_is_the_math_library_price() {
        for (kind, spot, strike, seconds, vol, ..) in REFERENCE {
            let expected = bulwark_math::black_scholes_price(
                kind,
                Wad::from_raw(wad(spot)),
                Wad::from_raw(wad(strike)),
                seconds,
                Wad::from_raw(wad(vol)),
                SignedWad::from_raw(0),
            )
            .unwrap()
            .raw();
            let m = mark(kind, wad(spot), wad(strike), seconds, wad(vol)).unwrap();
            let buy = quote(&zero_spread(), &m, wad(spot), 10 * WAD.cast_signed(), 0).unwrap();
            let sell = quote(&zero_spread(), &m, wad(spot), -10 * WAD.cast_signed(), 0).unwrap();
            assert_eq!(buy.premium, (10 * expected).cast_signed());
            assert_eq!(sell.premium, -(10 * expected).cast_signed());
            assert_eq!(buy.fee, 0);
        }
    }

    #[test]
    fn at_expiry_the_premium_is_intrinsic() {
        let m = mark(OptionKind::Call, wad(2100.0), wad(2000.0), 0, wad(0.8)).unwrap();
        assert_eq!(m.price, wad(100.0));
        assert_eq!(m.vega, 0);
        let m = mark(OptionKind::Put, wad(2100.0), wad(2000.0), 0, wad(0.8)).unwrap();
        assert_eq!(m.price, 0);
    }

    #[test]
    fn buyers_pay_and_sellers_receive_the_spread() {
        let m = mark(OptionKind::Call, wad(2000.0), wad(2000.0), 30 * DAY, wad(0.8)).unwrap();
        let one = WAD.cast_signed();
        let s = wad(0.05);
        let buy = quote(&zero_spread(), &m, wad(2000.0), one, s).unwrap();
        let sell = quote(&zero_spread(), &m, wad(2000.0), -one, s).unwrap();
        // 0.05 of volatility x vega 227.25 = 11.36 on each side of 182.60.
        assert!((to_f64(buy.premium) - (182.596_815_6 + 0.05 * 227.247_242_3)).abs() < 1e-6);
        assert!((to_f64(sell.premium) + (182.596_815_6 - 0.05 * 227.247_242_3)).abs() < 1e-6);
        // A seller never pays to sell.
        let cheap = mark(OptionKind::Call, wad(2000.0), wad(3000.0), DAY, wad(0.5)).unwrap();
        assert_eq!(
            quote(&zero_spread(), &cheap, wad(2000.0), -one, MAX_SPREAD).unwrap().premium,
            0
        );
    }

    #[test]
    fn fee_is_the_smaller_of_premium_share_and_notional_share() {
        let p = params();
        let one = WAD.cast_signed();
        let atm = mark(OptionKind::Call, wad(2000.0), wad(2000.0), 30 * DAY, wad(0.8)).unwrap();
        // 0.03% of 2,000 = 0.6 < 12.5% of 182.6.
        assert_eq!(quote(&p, &atm, wad(2000.0), one, 0).unwrap().fee, wad(0.6));
        let far = mark(OptionKind::Call, wad(2000.0), wad(2600.0), 7 * DAY, wad(0.8)).unwrap();
        let fee = quote(&p, &far, wad(2000.0), one, 0).unwrap().fee;
        assert_eq!(fee, mul_div(far.price, WAD / 8, WAD, Rounding::Up).unwrap());
        assert!(fee < wad(0.6));
    }

    #[test]
    fn spread_grows_with_trade_vega_and_pool_exposure() {
        let p = params();
        let limit = wad(10_000.0);
        let base = spread(&p, 0, 0, 0, limit).unwrap();
        assert_eq!(base, p.base_spread);
        let small = spread(&p, wad(100.0), 0, 0, limit).unwrap();
        let large = spread(&p, wad(1_000.0), 0, 0, limit).unwrap();
        assert!(base < small && small < large);
        assert_eq!(large, p.base_spread + wad(0.02));
        // Adding pool exposure costs more the larger the pool's vega after.
        let adds_little = spread(&p, wad(100.0), 0, -wad(100.0).cast_signed(), limit).unwrap();
        let adds_much =
            spread(&p, wad(100.0), -wad(5_000.0).cast_signed(), -wad(5_100.0).cast_signed(), limit)
                .unwrap();
        assert!(small < adds_little && adds_little < adds_much);
        // Reducing the pool's exposure pays no exposure spread.
        let reduces =
            spread(&p, wad(100.0), -wad(5_100.0).cast_signed(), -wad(5_000.0).cast_signed(), limit)
                .unwrap();
        assert_eq!(reduces, small);
        // Capped, and at the cap without capacity.
        assert_eq!(spread(&p, u128::MAX / 2, 0, i128::MIN + 1, limit).unwrap(), MAX_SPREAD);
        assert_eq!(spread(&p, 0, 0, 0, 0).unwrap(), MAX_SPREAD);
    }

    #[test]
    fn limits_refuse_growth_beyond_and_allow_reduction() {
        let limit = 100;
        assert!(within_limit(0, 100, limit));
        assert!(within_limit(50, -100, limit));
        assert!(!within_limit(90, 101, limit));
        assert!(!within_limit(-90, -101, limit));
        // Already beyond: reducing (or flipping to a smaller magnitude) is allowed.
        assert!(within_limit(150, 120, limit));
        assert!(within_limit(150, -150, limit));
        assert!(!within_limit(150, 151, limit));
        assert_eq!(pool_delta(10, 25).unwrap(), -15);
    }

    #[test]
    fn settlement_pays_intrinsic_value() {
        let k = wad(2000.0);
        let ten = 10 * WAD.cast_signed();
        // In the money: call above the strike, put below.
        assert_eq!(
            settlement_payoff(OptionKind::Call, k, wad(2100.0), ten).unwrap(),
            wad(1000.0).cast_signed()
        );
        assert_eq!(
            settlement_payoff(OptionKind::Put, k, wad(1900.0), ten).unwrap(),
            wad(1000.0).cast_signed()
        );
        // Out of the money: nothing either way.
        assert_eq!(settlement_payoff(OptionKind::Call, k, wad(1900.0), ten).unwrap(), 0);
        assert_eq!(settlement_payoff(OptionKind::Put, k, wad(2100.0), -ten).unwrap(), 0);
        // Exactly at the strike: worthless for both kinds.
        assert_eq!(settlement_payoff(OptionKind::Call, k, k, ten).unwrap(), 0);
        assert_eq!(settlement_payoff(OptionKind::Put, k, k, -ten).unwrap(), 0);
        // A short pays what a long receives.
        assert_eq!(
            settlement_payoff(OptionKind::Call, k, wad(2100.0), -ten).unwrap(),
            -wad(1000.0).cast_signed()
        );
        // Rounding: a long's receipt down, a short's payment up.
        assert_eq!(settlement_payoff(OptionKind::Call, 0, 1, 1).unwrap(), 0);
        assert_eq!(settlement_payoff(OptionKind::Call, 0, 1, -1).unwrap(), -1);
    }

    #[test]
    fn expiries_are_at_eight_utc_within_the_horizon_and_before_the_cutoff() {
        let tomorrow_8 = NOW + DAY + EXPIRY_TIME_OF_DAY;
        assert!(expiry_listable(tomorrow_8, NOW, 1800));
        assert!(!expiry_listable(tomorrow_8 + 1, NOW, 1800));
        assert!(!expiry_listable(NOW + EXPIRY_TIME_OF_DAY, NOW + EXPIRY_TIME_OF_DAY - 1800, 1800));
        assert!(expiry_listable(NOW + 365 * DAY + EXPIRY_TIME_OF_DAY - DAY, NOW, 0));
        assert!(!expiry_listable(NOW + 366 * DAY + EXPIRY_TIME_OF_DAY, NOW, 0));
        assert!(trading_open(tomorrow_8, tomorrow_8 - 1801, 1800));
        assert!(!trading_open(tomorrow_8, tomorrow_8 - 1800, 1800));
        assert!(!trading_open(tomorrow_8, tomorrow_8, 0));
        assert!(!trading_open(tomorrow_8, u64::MAX, 1));
    }

    #[test]
    fn grid_strikes_surround_the_spot() {
        let strikes: Vec<u128> = grid_strikes(wad(2030.0), wad(100.0), 2).collect();
        assert_eq!(strikes, [1800.0, 1900.0, 2000.0, 2100.0, 2200.0].map(wad));
        let strikes: Vec<u128> = grid_strikes(wad(2050.0), wad(100.0), 0).collect();
        assert_eq!(strikes, [wad(2100.0)]);
        // Near zero, non-positive strikes are skipped.
        let strikes: Vec<u128> = grid_strikes(wad(120.0), wad(100.0), 3).collect();
        assert_eq!(strikes, [100.0, 200.0, 300.0, 400.0].map(wad));
        assert_eq!(grid_strikes(wad(120.0), 0, 3).count(), 0);
    }

    #[test]
    fn parameters_have_hard_bounds() {
        assert!(params().within_bounds());
        assert!(!MarketParams { base_spread: MAX_BASE_SPREAD + 1, ..params() }.within_bounds());
        assert!(
            !MarketParams { trading_cutoff: MAX_TRADING_CUTOFF + 1, ..params() }.within_bounds()
        );
        assert!(!MarketParams { fee_premium_rate: MAX_FEE_PREMIUM_RATE + 1, ..params() }
            .within_bounds());
        assert!(!MarketParams { fee_notional_rate: MAX_FEE_NOTIONAL_RATE + 1, ..params() }
            .within_bounds());
        assert!(!MarketParams { exposure_slope: MAX_SPREAD_SLOPE + 1, ..params() }.within_bounds());
    }

    #[test]
    fn a_trade_moves_the_pool_by_exactly_its_own_greeks() {
        let book = Book {
            open_interest: OpenInterest { long: wad(5.0), short: wad(2.0) },
            marked_delta: wad(0.4).cast_signed(),
            marked_vega: wad(150.0),
            totals: PoolGreeks { delta: -wad(7.0).cast_signed(), vega: -wad(900.0).cast_signed() },
            vega_limit: wad(10_000.0),
        };
        let inputs = TradeInputs {
            kind: OptionKind::Call,
            spot: wad(2000.0),
            strike: wad(2000.0),
            seconds_to_expiry: 30 * DAY,
            volatility: wad(0.8),
            amount: wad(4.0).cast_signed(),
        };
        let priced = price_trade(&params(), &inputs, &book).unwrap();
        // The pool sells 4 calls: its delta and vega fall by the trade's.
        assert!((priced.after.delta - priced.before.delta + priced.quote.delta).abs() <= 2);
        assert!((priced.after.vega - priced.before.vega + priced.quote.vega).abs() <= 2);
        // Before: the stale mark (pool -3 x 0.4) replaced by today's (-3 x 0.5456).
        let expected_before = -wad(7.0).cast_signed() + wad(1.2).cast_signed()
            - wad(3.0 * 0.545_649_203_909_231_4).cast_signed();
        assert!((priced.before.delta - expected_before).abs() < 1_000_000);
        assert!(priced.quote.premium > 4 * wad(182.596).cast_signed());
    }

    proptest! {
        #[test]
        fn adding_then_removing_a_contribution_is_exact(
            delta in -(10i128.pow(20))..10i128.pow(20),
            vega in -(10i128.pow(24))..10i128.pow(24),
            amount in -(10i128.pow(24))..10i128.pow(24),
            mark_delta in -(10i128.pow(18))..=10i128.pow(18),
            mark_vega in 0u128..10u128.pow(22),
        ) {
            let totals = PoolGreeks { delta, vega };
            let there = totals.shifted(amount, mark_delta, mark_vega, true).unwrap();
            prop_assert_eq!(there.shifted(amount, mark_delta, mark_vega, false).unwrap(), totals);
        }

        #[test]
        fn open_interest_tracks_the_pool_position(
            long in 0u128..10u128.pow(24),
            short in 0u128..10u128.pow(24),
            before in -(10i128.pow(23))..10i128.pow(23),
            delta in -(10i128.pow(23))..10i128.pow(23),
        ) {
            // The account's own position is part of the open interest.
            let oi = OpenInterest {
                long: long + before.max(0).unsigned_abs(),
                short: short + before.min(0).unsigned_abs(),
            };
            let after = oi.after(before, delta).unwrap();
            prop_assert_eq!(after.pool_amount().unwrap(), oi.pool_amount().unwrap() - delta);
            // Closing it again restores the book.
            prop_assert_eq!(after.after(before + delta, -delta).unwrap(), oi.after(before, 0).unwrap());
        }

        #[test]
        fn premium_is_monotone_in_size_and_spread_favours_the_pool(
            spot in 500u64..5_000,
            strike in 500u64..5_000,
            days in 1u64..200,
            vol in 10u64..200,
            size in 1u64..1_000,
            spread_bps in 0u64..5_000,
            is_call in any::<bool>(),
        ) {
            let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
            let m = mark(kind, u128::from(spot) * WAD, u128::from(strike) * WAD, days * DAY, u128::from(vol) * WAD / 100).unwrap();
            let s = u128::from(spread_bps) * WAD / 10_000;
            let amount = i128::from(size) * WAD.cast_signed();
            let buy = quote(&params(), &m, u128::from(spot) * WAD, amount, s).unwrap();
            let sell = quote(&params(), &m, u128::from(spot) * WAD, -amount, s).unwrap();
            let fair = (u128::from(size) * m.price).cast_signed();
            prop_assert!(buy.premium >= fair);
            prop_assert!(-sell.premium <= fair);
            let bigger = quote(&params(), &m, u128::from(spot) * WAD, amount + WAD.cast_signed(), s).unwrap();
            prop_assert!(bigger.premium >= buy.premium);
        }

        #[test]
        fn payoff_is_antisymmetric_up_to_rounding(
            strike in 1u128..10u128.pow(22),
            price in 1u128..10u128.pow(22),
            amount in 1i128..10i128.pow(24),
            is_call in any::<bool>(),
        ) {
            let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
            let long = settlement_payoff(kind, strike, price, amount).unwrap();
            let short = settlement_payoff(kind, strike, price, -amount).unwrap();
            prop_assert!(long >= 0 && short <= 0);
            prop_assert!(-short - long <= 1);
        }
    }
}
