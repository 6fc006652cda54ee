//! Pure perp-market logic over plain values: parameter bounds, fill price,
//! fees, funding accrual and open-interest accounting.
//!
//! Everything is 18-decimal fixed point on `u128`/`i128` (bulwark-math's
//! `mul_div` with a 256-bit intermediate); nothing here touches storage, so
//! the contract is a thin shell and every formula is tested natively.
//!
//! Sign conventions:
//! - size: long > 0, short < 0; skew = long open interest - short open interest;
//! - funding rate (per day, WAD): positive = longs pay shorts;
//! - funding index (quote per unit of base size, WAD): rises while longs pay;
//!   a position of size `s` with snapshot `i0` owes `s * (index - i0)`
//!   (positive = pays), see [`accrued_funding`].

use bulwark_common::packed::Packed;
use bulwark_math::{mul_div, mul_div_signed, MathError, Rounding, SIGNED_WAD, WAD};
use layout::{
    ENTRY_PRICE, FEED_ID, FUNDING_INDEX, FUNDING_RATE, FUNDING_SNAPSHOT, FUNDING_TIME,
    INITIAL_MARGIN_RATE, LONG_OPEN_INTEREST, MAINTENANCE_MARGIN_RATE, MAKER_FEE, MARGIN_RATE_SCALE,
    MAX_OPEN_INTEREST, MAX_TRADE_SIZE, MIN_TRADE_SIZE, SHORT_OPEN_INTEREST, SKEW_SCALE, TAKER_FEE,
};

/// Seconds in a funding day: rates are per day, velocities per day per day.
pub const DAY: u64 = 86_400;

/// Largest maker or taker fee (1% of notional, WAD).
pub const MAX_FEE: u128 = WAD / 100;

/// Largest funding rate bound (100% of notional per day, WAD).
pub const MAX_FUNDING_RATE: u128 = WAD;

/// Largest funding velocity (10 = 1000% per day, per day, WAD).
pub const MAX_FUNDING_VELOCITY: u128 = 10 * WAD;

/// Largest skew scale, open-interest cap, trade size and margin rate scale
/// (2^100 - 1 WAD, about 1.3e12 units of base). Keeps `2 * skew + size` and
/// every product in range here and in MarginEngine's valuation, which takes
/// sizes and scales below 2^100.
pub const MAX_SIZE: u128 = (1 << 100) - 1;

/// Largest minimum trade size (2^96 - 1 WAD, about 7.9e10 units of base):
/// the field is stored in 96 bits.
pub const MAX_MIN_TRADE_SIZE: u128 = (1 << 96) - 1;

/// Smallest skew scale (one unit of base, WAD): below it a single wei of
/// size would move the price by more than it is worth.
pub const MIN_SKEW_SCALE: u128 = WAD;

/// A market's trading and funding parameters (its margin parameters are a
/// [`MarginParams`], read only by the margin valuation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketParams {
    /// OracleAdapter feed id of the underlying.
    pub feed_id: u32,
    /// Skew (base units, WAD) at which the premium reaches 100%.
    pub skew_scale: u128,
    /// Fee rate on the part of a trade that reduces |skew| (WAD).
    pub maker_fee: u128,
    /// Fee rate on the part of a trade that adds to |skew| (WAD).
    pub taker_fee: u128,
    /// Cap on each side's open interest (base units, WAD).
    pub max_open_interest: u128,
    /// Smallest |size delta| of a trade that adds risk (WAD).
    pub min_trade_size: u128,
    /// Largest |size delta| of a trade that adds risk (WAD).
    pub max_trade_size: u128,
    /// Funding velocity at full skew (rate per day, per day, WAD).
    pub max_funding_velocity: u128,
    /// Bound on |funding rate| (per day, WAD).
    pub max_funding_rate: u128,
}

/// Which parameter is out of bounds: the number in `InvalidMarketParams`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ParamField {
    /// `feedId` is zero.
    FeedId = 1,
    /// `skewScale` outside `[MIN_SKEW_SCALE, MAX_SIZE]`.
    SkewScale = 2,
    /// `makerFee` above `takerFee` (trades reducing skew must pay less).
    MakerFee = 3,
    /// `takerFee` above [`MAX_FEE`].
    TakerFee = 4,
    /// `maxOpenInterest` zero or above [`MAX_SIZE`].
    MaxOpenInterest = 5,
    /// `minTradeSize` zero or above [`MAX_MIN_TRADE_SIZE`].
    MinTradeSize = 6,
    /// `maxTradeSize` below `minTradeSize` or above `maxOpenInterest`.
    MaxTradeSize = 7,
    /// `maxFundingVelocity` above [`MAX_FUNDING_VELOCITY`].
    MaxFundingVelocity = 8,
    /// `maxFundingRate` above [`MAX_FUNDING_RATE`].
    MaxFundingRate = 9,
    /// `initialMarginRate` zero or above 1.
    InitialMarginRate = 10,
    /// `maintenanceMarginRate` zero or above `initialMarginRate`.
    MaintenanceMarginRate = 11,
    /// `marginRateScale` zero or above [`MAX_SIZE`].
    MarginRateScale = 12,
}

/// A market's margin parameters (WAD): the rates at zero size and the size
/// at which the initial rate has grown by 1.0 (MarginEngine's size-scaled
/// margin). PerpMarket owns them with the rest of the market; MarginEngine
/// reads them through `marginInputs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarginParams {
    /// Initial margin rate at zero size.
    pub initial_rate: u128,
    /// Maintenance margin rate at zero size.
    pub maintenance_rate: u128,
    /// Size at which the initial rate has grown by 1.0.
    pub rate_scale: u128,
}

impl MarginParams {
    /// Checks the hard bounds; the first field out of bounds is reported.
    ///
    /// # Errors
    /// [`ParamField::InitialMarginRate`], [`ParamField::MaintenanceMarginRate`]
    /// or [`ParamField::MarginRateScale`].
    pub fn validate(&self) -> Result<(), ParamField> {
        if !(1..=WAD).contains(&self.initial_rate) {
            Err(ParamField::InitialMarginRate)
        } else if !(1..=self.initial_rate).contains(&self.maintenance_rate) {
            Err(ParamField::MaintenanceMarginRate)
        } else if !(1..=MAX_SIZE).contains(&self.rate_scale) {
            Err(ParamField::MarginRateScale)
        } else {
            Ok(())
        }
    }

    /// Packs the parameters into one word ([`layout`]); the rates are at
    /// most 1.0 and fit their 64 bits once validated.
    pub fn pack(&self) -> Packed {
        Packed::from_halves(0, self.rate_scale)
            .with(INITIAL_MARGIN_RATE, self.initial_rate)
            .with(MAINTENANCE_MARGIN_RATE, self.maintenance_rate)
    }

    /// Inverse of [`Self::pack`].
    pub fn unpack(word: Packed) -> Self {
        Self {
            initial_rate: word.get(INITIAL_MARGIN_RATE),
            maintenance_rate: word.get(MAINTENANCE_MARGIN_RATE),
            rate_scale: word.get(MARGIN_RATE_SCALE),
        }
    }
}

impl MarketParams {
    /// Checks the hard bounds; the first field out of bounds is reported.
    ///
    /// # Errors
    /// The [`ParamField`] that is out of bounds.
    pub fn validate(&self) -> Result<(), ParamField> {
        let checks = [
            (self.feed_id != 0, ParamField::FeedId),
            ((MIN_SKEW_SCALE..=MAX_SIZE).contains(&self.skew_scale), ParamField::SkewScale),
            (self.maker_fee <= self.taker_fee, ParamField::MakerFee),
            (self.taker_fee <= MAX_FEE, ParamField::TakerFee),
            ((1..=MAX_SIZE).contains(&self.max_open_interest), ParamField::MaxOpenInterest),
            ((1..=MAX_MIN_TRADE_SIZE).contains(&self.min_trade_size), ParamField::MinTradeSize),
            (
                (self.min_trade_size..=self.max_open_interest).contains(&self.max_trade_size),
                ParamField::MaxTradeSize,
            ),
            (self.max_funding_velocity <= MAX_FUNDING_VELOCITY, ParamField::MaxFundingVelocity),
            (self.max_funding_rate <= MAX_FUNDING_RATE, ParamField::MaxFundingRate),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, field)) => Err(*field),
            None => Ok(()),
        }
    }
}

/// Why a trade cannot go through; the contract maps each to its Solidity error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeError {
    /// A value left its range (fill price at or below zero, overflow).
    Arithmetic,
    /// The fill is worse than the trader's acceptable price.
    AcceptablePrice {
        /// The fill price.
        fill_price: u128,
    },
    /// |size delta| is zero, or outside `[min, max]` for a trade adding risk.
    TradeSize,
    /// The side that grows would pass its cap.
    OpenInterestCap {
        /// Which side: true = long.
        long: bool,
        /// That side's open interest after the trade.
        open_interest: u128,
    },
}

impl From<MathError> for TradeError {
    fn from(_: MathError) -> Self {
        TradeError::Arithmetic
    }
}

/// Fill price of a trade of `size_delta` when the skew is `skew`: the oracle
/// price times one plus the average of the premium before and after,
/// `P * (1 + (2 skew + delta) / (2 S))` (Synthetix v3 `calculateFillPrice`).
///
/// Rounded against the trader: up for a buy, down for a sell.
///
/// # Errors
/// [`TradeError::Arithmetic`] on overflow or a fill price at or below zero.
pub fn fill_price(
    oracle_price: u128,
    skew: i128,
    size_delta: i128,
    skew_scale: u128,
) -> Result<u128, TradeError> {
    let twice_average_skew = skew
        .checked_mul(2)
        .and_then(|s| s.checked_add(size_delta))
        .ok_or(TradeError::Arithmetic)?;
    let twice_scale = skew_scale
        .checked_mul(2)
        .and_then(|s| i128::try_from(s).ok())
        .ok_or(TradeError::Arithmetic)?;
    let price = i128::try_from(oracle_price).map_err(|_| TradeError::Arithmetic)?;
    let rounding = if size_delta > 0 { Rounding::Up } else { Rounding::Down };
    let premium = mul_div_signed(price, twice_average_skew, twice_scale, rounding)?;
    let fill = price.checked_add(premium).ok_or(TradeError::Arithmetic)?;
    if fill <= 0 {
        return Err(TradeError::Arithmetic);
    }
    // fill > 0 was checked, so the sign is kept.
    Ok(fill.unsigned_abs())
}

/// Checks the fill against the trader's acceptable price: a buy must not
/// fill above it, a sell must not fill below it.
///
/// # Errors
/// [`TradeError::AcceptablePrice`].
pub fn check_acceptable_price(
    size_delta: i128,
    fill_price: u128,
    acceptable_price: u128,
) -> Result<(), TradeError> {
    let worse =
        if size_delta > 0 { fill_price > acceptable_price } else { fill_price < acceptable_price };
    if worse {
        Err(TradeError::AcceptablePrice { fill_price })
    } else {
        Ok(())
    }
}

/// The part of `size_delta` that moves the skew toward zero (maker) and the
/// part that moves it away (taker), as magnitudes: a trade that flips the
/// skew is maker up to zero and taker beyond.
pub fn maker_taker_split(skew: i128, size_delta: i128) -> (u128, u128) {
    let size = size_delta.unsigned_abs();
    let reduces = (skew > 0 && size_delta < 0) || (skew < 0 && size_delta > 0);
    let maker = if reduces { size.min(skew.unsigned_abs()) } else { 0 };
    (maker, size - maker)
}

/// Trading fee in quote (WAD): maker rate on the part that reduces |skew|,
/// taker rate on the rest, both on notional at the fill price, rounded up.
///
/// # Errors
/// [`TradeError::Arithmetic`] on overflow.
pub fn trade_fee(
    skew: i128,
    size_delta: i128,
    fill_price: u128,
    maker_fee: u128,
    taker_fee: u128,
) -> Result<u128, TradeError> {
    let (maker, taker) = maker_taker_split(skew, size_delta);
    let part = |size: u128, rate: u128| -> Result<u128, MathError> {
        mul_div(mul_div(size, fill_price, WAD, Rounding::Up)?, rate, WAD, Rounding::Up)
    };
    part(maker, maker_fee)?.checked_add(part(taker, taker_fee)?).ok_or(TradeError::Arithmetic)
}

/// Whether a trade adds risk: |size| grows, or the position flips side.
pub fn adds_risk(size_before: i128, size_delta: i128) -> bool {
    let after = size_before.saturating_add(size_delta);
    after.unsigned_abs() > size_before.unsigned_abs() || (after != 0 && (size_before ^ after) < 0)
}

/// Size limits: a zero trade is refused; a trade that adds risk must have
/// `min <= |size delta| <= max`; a trade that only reduces is never refused
/// for its size, so a position can always be closed in one trade.
///
/// # Errors
/// [`TradeError::TradeSize`].
pub fn check_trade_size(
    size_before: i128,
    size_delta: i128,
    min_size: u128,
    max_size: u128,
) -> Result<(), TradeError> {
    let size = size_delta.unsigned_abs();
    let in_bounds = (min_size..=max_size).contains(&size);
    if size == 0 || (adds_risk(size_before, size_delta) && !in_bounds) {
        Err(TradeError::TradeSize)
    } else {
        Ok(())
    }
}

/// Long and short open interest of a market (base units, WAD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenInterest {
    /// Sum of long sizes.
    pub long: u128,
    /// Sum of |short sizes|.
    pub short: u128,
}

impl OpenInterest {
    /// Long minus short open interest: the net size the pool is short.
    ///
    /// # Errors
    /// [`TradeError::Arithmetic`] if a side does not fit in an `i128`
    /// (impossible while each side stays below [`MAX_SIZE`]).
    pub fn skew(&self) -> Result<i128, TradeError> {
        let long = i128::try_from(self.long).map_err(|_| TradeError::Arithmetic)?;
        let short = i128::try_from(self.short).map_err(|_| TradeError::Arithmetic)?;
        long.checked_sub(short).ok_or(TradeError::Arithmetic)
    }

    /// Open interest after one position goes from `size_before` to
    /// `size_before + size_delta`: each side moves by the change of that
    /// position's part on it. With `cap`, a side that grows must stay at or
    /// below it; a side that shrinks is never refused.
    ///
    /// # Errors
    /// [`TradeError::OpenInterestCap`]; [`TradeError::Arithmetic`] when
    /// `size_before` is not part of the open interest (a side would go
    /// negative) or on overflow.
    pub fn apply(
        self,
        size_before: i128,
        size_delta: i128,
        cap: Option<u128>,
    ) -> Result<OpenInterest, TradeError> {
        let after = size_before.checked_add(size_delta).ok_or(TradeError::Arithmetic)?;
        let side =
            |total: u128, before: u128, after: u128, long: bool| -> Result<u128, TradeError> {
                let moved = total
                    .checked_sub(before)
                    .and_then(|t| t.checked_add(after))
                    .ok_or(TradeError::Arithmetic)?;
                match cap {
                    Some(cap) if after > before && moved > cap => {
                        Err(TradeError::OpenInterestCap { long, open_interest: moved })
                    }
                    _ => Ok(moved),
                }
            };
        let long_part = |size: i128| if size > 0 { size.unsigned_abs() } else { 0 };
        let short_part = |size: i128| if size < 0 { size.unsigned_abs() } else { 0 };
        Ok(OpenInterest {
            long: side(self.long, long_part(size_before), long_part(after), true)?,
            short: side(self.short, short_part(size_before), short_part(after), false)?,
        })
    }
}

/// A market's funding state: the rate and the cumulative index at `time`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Funding {
    /// Funding rate per day (WAD); positive = longs pay.
    pub rate: i128,
    /// Cumulative funding per unit of base size (quote WAD); rises while longs pay.
    pub index: i128,
    /// When `rate` and `index` were last brought up to date (seconds).
    pub time: u64,
}

/// Funding velocity: `clamp(skew / S, -1, 1) * maxFundingVelocity` (rate per
/// day, per day, WAD), rounded toward zero. A positive skew (more longs)
/// pushes the rate up, so funding flows against the skew.
///
/// # Errors
/// [`TradeError::Arithmetic`] for a zero or oversized skew scale.
pub fn funding_velocity(
    skew: i128,
    skew_scale: u128,
    max_velocity: u128,
) -> Result<i128, TradeError> {
    let scale = i128::try_from(skew_scale).map_err(|_| TradeError::Arithmetic)?;
    let velocity = i128::try_from(max_velocity).map_err(|_| TradeError::Arithmetic)?;
    let clamped = skew.clamp(-scale, scale);
    let magnitude =
        mul_div(clamped.unsigned_abs(), velocity.unsigned_abs(), skew_scale, Rounding::Down)?;
    // magnitude <= max_velocity, which fits an i128.
    let magnitude = i128::try_from(magnitude).map_err(|_| TradeError::Arithmetic)?;
    Ok(if clamped < 0 { -magnitude } else { magnitude })
}

/// Brings funding up to `now` at constant skew and `price`.
///
/// The rate moves linearly at the velocity until it reaches
/// `±max_rate`, then stays there: `rate(t) = clamp(r0 + v t / DAY)`. The
/// index grows by the exact integral of that path times the price:
///
/// - not clamped: `area = T r0 + v T^2 / (2 DAY)` (rate-seconds);
/// - reaching `+R` (v > 0): `area = T R - (R - r0)^2 DAY / (2 v)`;
/// - reaching `-R` (v < 0): `area = -T R + (R + r0)^2 DAY / (2 |v|)`;
///
/// and `index += area * price / (DAY * WAD)`. `r0` is first clamped to the
/// current bounds (they may have been lowered). Each step rounds up, so the
/// index is within `2 + price / (DAY * WAD)` wei above the exact value. The
/// rounding of the index does not affect conservation: longs, shorts and the
/// pool all settle against the same index ([`accrued_funding`]).
///
/// A `now` before `state.time` accrues nothing.
///
/// # Errors
/// [`TradeError::Arithmetic`] on overflow.
pub fn accrue_funding(
    state: Funding,
    skew: i128,
    params: &MarketParams,
    price: u128,
    now: u64,
) -> Result<Funding, TradeError> {
    const ARITH: TradeError = TradeError::Arithmetic;
    let elapsed = i128::from(now.saturating_sub(state.time));
    let day = i128::from(DAY);
    let max_rate = i128::try_from(params.max_funding_rate).map_err(|_| ARITH)?;
    let start = state.rate.clamp(-max_rate, max_rate);
    let velocity = funding_velocity(skew, params.skew_scale, params.max_funding_velocity)?;
    let drift = velocity.checked_mul(elapsed).ok_or(ARITH)?;
    let limit = if velocity > 0 { max_rate } else { -max_rate };
    // The rate reaches its bound within the interval iff |v T| > |limit - r0| * DAY.
    let gap = limit.checked_sub(start).ok_or(ARITH)?;
    let clamped = velocity != 0
        && drift.unsigned_abs() > gap.unsigned_abs().checked_mul(DAY.into()).ok_or(ARITH)?;
    let (rate, area) = if clamped {
        // The triangle above (or below) the bound that the linear path would add.
        // Rounded so that the area (flat - excess for v > 0, flat + excess for v < 0) rounds up.
        let excess_rounding = if velocity > 0 { Rounding::Down } else { Rounding::Up };
        let gap_squared = gap.unsigned_abs().checked_mul(gap.unsigned_abs()).ok_or(ARITH)?;
        let excess =
            mul_div(gap_squared, DAY.into(), 2 * velocity.unsigned_abs(), excess_rounding)?;
        let excess = i128::try_from(excess).map_err(|_| ARITH)?;
        let flat = limit.checked_mul(elapsed).ok_or(ARITH)?;
        let area = if velocity > 0 { flat.checked_sub(excess) } else { flat.checked_add(excess) };
        (limit, area.ok_or(ARITH)?)
    } else {
        let rate = start
            .checked_add(mul_div_signed(velocity, elapsed, day, Rounding::Down)?)
            .ok_or(ARITH)?;
        let ramp = mul_div_signed(drift, elapsed, 2 * day, Rounding::Up)?;
        (
            rate.clamp(-max_rate, max_rate),
            start.checked_mul(elapsed).and_then(|a| a.checked_add(ramp)).ok_or(ARITH)?,
        )
    };
    let price = i128::try_from(price).map_err(|_| ARITH)?;
    let delta = mul_div_signed(area, price, day * SIGNED_WAD, Rounding::Up)?;
    Ok(Funding {
        rate,
        index: state.index.checked_add(delta).ok_or(ARITH)?,
        time: now.max(state.time),
    })
}

/// Funding a position owes since its snapshot: `size * (index - snapshot)`
/// (quote WAD, positive = the position pays), rounded up, so a payer pays
/// the wei and a receiver forgoes it: the pool keeps the rounding.
///
/// # Errors
/// [`TradeError::Arithmetic`] on overflow.
pub fn accrued_funding(size: i128, index: i128, snapshot: i128) -> Result<i128, TradeError> {
    let change = index.checked_sub(snapshot).ok_or(TradeError::Arithmetic)?;
    Ok(mul_div_signed(size, change, SIGNED_WAD, Rounding::Up)?)
}

/// Unrealised PnL of `size` entered at `entry_price`, at `price`:
/// `size * (price - entry)` (quote WAD), rounded down (against the trader).
///
/// # Errors
/// [`TradeError::Arithmetic`] on overflow.
pub fn unrealised_pnl(size: i128, entry_price: u128, price: u128) -> Result<i128, TradeError> {
    let price = i128::try_from(price).map_err(|_| TradeError::Arithmetic)?;
    let entry = i128::try_from(entry_price).map_err(|_| TradeError::Arithmetic)?;
    let move_ = price.checked_sub(entry).ok_or(TradeError::Arithmetic)?;
    Ok(mul_div_signed(size, move_, SIGNED_WAD, Rounding::Down)?)
}

/// Everything a trade decides before RiskEngine applies it: funding brought
/// to now, the fill price and the fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Funding state accrued to now.
    pub funding: Funding,
    /// Fill price (WAD).
    pub fill_price: u128,
    /// Fee (quote WAD).
    pub fee: u128,
}

/// Accrues funding and prices a trade of `size_delta` at `oracle_price`.
///
/// A zero size quotes the mark price `P * (1 + skew / S)` and no fee.
///
/// # Errors
/// [`TradeError::Arithmetic`].
pub fn quote(
    params: &MarketParams,
    open_interest: OpenInterest,
    funding: Funding,
    oracle_price: u128,
    size_delta: i128,
    now: u64,
) -> Result<Quote, TradeError> {
    let skew = open_interest.skew()?;
    let funding = accrue_funding(funding, skew, params, oracle_price, now)?;
    let fill_price = fill_price(oracle_price, skew, size_delta, params.skew_scale)?;
    let fee = trade_fee(skew, size_delta, fill_price, params.maker_fee, params.taker_fee)?;
    Ok(Quote { funding, fill_price, fee })
}

/// The storage layouts of a market and a position entry (see
/// [`bulwark_common::packed`]).
pub mod layout {
    use bulwark_common::packed::Field;

    /// Parameters word 0.
    pub const SKEW_SCALE: Field = Field::LOW;
    /// Parameters word 0.
    pub const MAX_OPEN_INTEREST: Field = Field::HIGH;
    /// Parameters word 1.
    pub const MAX_TRADE_SIZE: Field = Field::LOW;
    /// Parameters word 1 (96 bits: validated below 2^96).
    pub const MIN_TRADE_SIZE: Field = Field::new(128, 96);
    /// Parameters word 1.
    pub const FEED_ID: Field = Field::new(224, 32);
    /// Parameters word 2.
    pub const MAKER_FEE: Field = Field::new(0, 64);
    /// Parameters word 2.
    pub const TAKER_FEE: Field = Field::new(64, 64);
    /// Parameters word 2.
    pub const MAX_FUNDING_VELOCITY: Field = Field::new(128, 64);
    /// Parameters word 2.
    pub const MAX_FUNDING_RATE: Field = Field::new(192, 64);
    /// State word 0.
    pub const LONG_OPEN_INTEREST: Field = Field::LOW;
    /// State word 0.
    pub const SHORT_OPEN_INTEREST: Field = Field::HIGH;
    /// State word 1 (`int128`).
    pub const FUNDING_INDEX: Field = Field::LOW;
    /// State word 1 (`int64`: `|rate| <= MAX_FUNDING_RATE < 2^63`).
    pub const FUNDING_RATE: Field = Field::new(128, 64);
    /// State word 1.
    pub const FUNDING_TIME: Field = Field::new(192, 64);
    /// Entry word.
    pub const ENTRY_PRICE: Field = Field::LOW;
    /// Entry word (`int128`).
    pub const FUNDING_SNAPSHOT: Field = Field::HIGH;
    /// Margin word (64 bits: validated at most 1.0).
    pub const INITIAL_MARGIN_RATE: Field = Field::new(0, 64);
    /// Margin word (64 bits: validated at most the initial rate).
    pub const MAINTENANCE_MARGIN_RATE: Field = Field::new(64, 64);
    /// Margin word.
    pub const MARGIN_RATE_SCALE: Field = Field::HIGH;
}

/// Packs validated parameters into three words ([`layout`]). Narrowing is
/// exact for parameters that pass [`MarketParams::validate`].
pub fn pack_params(p: &MarketParams) -> [Packed; 3] {
    [
        Packed::from_halves(p.skew_scale, p.max_open_interest),
        Packed::from_halves(p.max_trade_size, 0)
            .with(MIN_TRADE_SIZE, p.min_trade_size)
            .with(FEED_ID, u128::from(p.feed_id)),
        Packed::ZERO
            .with(MAKER_FEE, p.maker_fee)
            .with(TAKER_FEE, p.taker_fee)
            .with(layout::MAX_FUNDING_VELOCITY, p.max_funding_velocity)
            .with(layout::MAX_FUNDING_RATE, p.max_funding_rate),
    ]
}

/// Inverse of [`pack_params`].
// The feed id field is 32 bits wide.
#[allow(clippy::cast_possible_truncation)]
pub fn unpack_params(words: &[Packed; 3]) -> MarketParams {
    let [sizes, trades, rates] = *words;
    MarketParams {
        feed_id: trades.get(FEED_ID) as u32,
        skew_scale: sizes.get(SKEW_SCALE),
        max_open_interest: sizes.get(MAX_OPEN_INTEREST),
        max_trade_size: trades.get(MAX_TRADE_SIZE),
        min_trade_size: trades.get(MIN_TRADE_SIZE),
        maker_fee: rates.get(MAKER_FEE),
        taker_fee: rates.get(TAKER_FEE),
        max_funding_velocity: rates.get(layout::MAX_FUNDING_VELOCITY),
        max_funding_rate: rates.get(layout::MAX_FUNDING_RATE),
    }
}

/// Packs the hot state into two words ([`layout`]).
pub fn pack_state(open_interest: OpenInterest, funding: Funding) -> [Packed; 2] {
    [
        Packed::from_halves(open_interest.long, open_interest.short),
        Packed::ZERO
            .with_signed(FUNDING_INDEX, funding.index)
            .with_signed(FUNDING_RATE, funding.rate)
            .with(FUNDING_TIME, u128::from(funding.time)),
    ]
}

/// Inverse of [`pack_state`].
// The time field is 64 bits wide.
#[allow(clippy::cast_possible_truncation)]
pub fn unpack_state(words: &[Packed; 2]) -> (OpenInterest, Funding) {
    let [open_interest, funding] = *words;
    (
        OpenInterest {
            long: open_interest.get(LONG_OPEN_INTEREST),
            short: open_interest.get(SHORT_OPEN_INTEREST),
        },
        Funding {
            index: funding.get_signed(FUNDING_INDEX),
            rate: funding.get_signed(FUNDING_RATE),
            time: funding.get(FUNDING_TIME) as u64,
        },
    )
}

/// A position's entry as PerpMarket keeps it: the price of its last fill and
/// the funding index it settled against then. RiskEngine keeps their
/// difference (its basis), so `entry_price - funding_snapshot` always equals
/// RiskEngine's basis for the same position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Fill price of the last change (WAD).
    pub entry_price: u128,
    /// Funding index at the last change (WAD).
    pub funding_snapshot: i128,
}

impl Entry {
    /// The entry a change of a position to `size_after` leaves: the fill
    /// and index of the change, or nothing once the position is closed (the
    /// slot is cleared, which refunds its storage).
    pub fn after(size_after: i128, fill_price: u128, funding_index: i128) -> Self {
        if size_after == 0 {
            Self::default()
        } else {
            Self { entry_price: fill_price, funding_snapshot: funding_index }
        }
    }

    /// Packs the entry into one word ([`layout`]).
    pub fn pack(self) -> Packed {
        Packed::ZERO
            .with(ENTRY_PRICE, self.entry_price)
            .with_signed(FUNDING_SNAPSHOT, self.funding_snapshot)
    }

    /// Inverse of [`Entry::pack`].
    pub fn unpack(word: Packed) -> Self {
        Self {
            entry_price: word.get(ENTRY_PRICE),
            funding_snapshot: word.get_signed(FUNDING_SNAPSHOT),
        }
    }
}

#[cfg(test)]
mod tests;
