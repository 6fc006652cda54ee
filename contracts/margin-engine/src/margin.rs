//! Margin: equity, initial and maintenance requirements and health of one
//! portfolio, as pure functions over plain values (WAD `i128`/`u128`).
//!
//! The contract loads a [`Portfolio`] (collateral value, spot prices, perp
//! legs with their market parameters, option legs with their volatility),
//! calls [`evaluate`] once, and asks the result for the requirement of the
//! whole portfolio or of any part of it ([`Evaluation::requirements`] takes
//! the fraction of each leg that remains). Liquidation sizing
//! ([`crate::liquidation`]) reuses the same evaluation, so closing positions
//! costs no pricing work.
//!
//! Model (README.md has the formulas and defaults):
//! - Perps alone on an underlying: `notional * (rate + |size| / marginRateScale)`
//!   (initial), `notional * (maintenanceRate + |size| / (2 marginRateScale))`
//!   (maintenance).
//! - An underlying with options: every leg (options and perps) is revalued
//!   under [`SCENARIOS`] (spot shocks x volatility shocks, plus tails); the
//!   requirement is the worst loss times a factor, plus naked-short add-ons,
//!   plus the size term of the perps.
//! - Both requirements add the cost of closing each leg at the oracle price
//!   (perp skew impact, option spread) and, while any leg is open, a gas
//!   reserve for the liquidator.

use alloc::vec::Vec;

use bulwark_math::{
    mul_div, pow, MathError, Model, OptionKind, OptionPricer, PreparedUnderlying, Rounding,
    SignedWad, Wad, WAD,
};

/// One in WAD, signed.
pub const ONE: i128 = 1_000_000_000_000_000_000;

/// Number of scenarios in the grid.
pub const SCENARIO_COUNT: usize = 29;

/// Volatility shock of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolShock {
    /// `1 + 0.5 m`.
    Up,
    /// Unchanged.
    None,
    /// `1 - 0.3 m`.
    Down,
}

/// `(spot multiplier, volatility shock, weight)` per scenario, WAD. The 27
/// core scenarios (spot 0.82 to 1.18 in steps of 0.045, each with volatility
/// up, unchanged and down) count in full; the two tails (0.67x and 1.5x with
/// volatility up) are dampened to 30% of their loss, as in Derive's PMRM.
pub const SCENARIOS: [(u128, VolShock, u128); SCENARIO_COUNT] = {
    const SPOTS: [u128; 9] = [820, 865, 910, 955, 1000, 1045, 1090, 1135, 1180];
    let mut table = [(0, VolShock::None, 0); SCENARIO_COUNT];
    let mut i = 0;
    while i < 9 {
        let spot = SPOTS[i] * 1_000_000_000_000_000;
        table[3 * i] = (spot, VolShock::Up, WAD);
        table[3 * i + 1] = (spot, VolShock::None, WAD);
        table[3 * i + 2] = (spot, VolShock::Down, WAD);
        i += 1;
    }
    table[27] = (670_000_000_000_000_000, VolShock::Up, 300_000_000_000_000_000);
    table[28] = (1_500_000_000_000_000_000, VolShock::Up, 300_000_000_000_000_000);
    table
};

/// Seconds in a day.
const DAY: u64 = 86_400;

/// Global risk parameters (WAD unless stated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskParams {
    /// Multiplier of the worst scenario loss for initial margin.
    pub im_factor: u128,
    /// Multiplier of the worst scenario loss for maintenance margin.
    pub mm_factor: u128,
    /// Initial add-on per net short option, fraction of spot.
    pub naked_short_im: u128,
    /// Maintenance add-on per net short option, fraction of spot.
    pub naked_short_mm: u128,
    /// Haircut on the mark value of long options in equity.
    pub long_option_discount: u128,
    /// Cost of closing one option contract, fraction of spot.
    pub option_close_spread: u128,
    /// Liquidation stops once equity >= maintenance * (1 + buffer).
    pub liquidation_buffer: u128,
    /// Liquidation penalty per unit of maintenance margin released.
    pub bonus_rate: u128,
    /// Share of the rate-based penalty that goes to the insurance fund.
    pub insurance_share: u128,
    /// Reserve for the liquidator's gas, quote WAD, paid first.
    pub gas_reserve: u128,
    /// Positions whose remaining notional would be below this are closed whole.
    pub dust_notional: u128,
}

/// Number of parameters in [`RiskParams`] (order of [`RiskParams::from_values`]).
pub const PARAM_COUNT: usize = 11;

impl RiskParams {
    /// Default parameters (README.md explains each).
    pub const DEFAULT: RiskParams = RiskParams {
        im_factor: WAD,
        mm_factor: 800_000_000_000_000_000,
        naked_short_im: 10_000_000_000_000_000,
        naked_short_mm: 5_000_000_000_000_000,
        long_option_discount: 100_000_000_000_000_000,
        option_close_spread: 2_000_000_000_000_000,
        liquidation_buffer: 100_000_000_000_000_000,
        bonus_rate: 100_000_000_000_000_000,
        insurance_share: 200_000_000_000_000_000,
        gas_reserve: 2 * WAD,
        dust_notional: 10 * WAD,
    };

    /// The parameters in ABI order.
    pub fn to_values(&self) -> [u128; PARAM_COUNT] {
        [
            self.im_factor,
            self.mm_factor,
            self.naked_short_im,
            self.naked_short_mm,
            self.long_option_discount,
            self.option_close_spread,
            self.liquidation_buffer,
            self.bonus_rate,
            self.insurance_share,
            self.gas_reserve,
            self.dust_notional,
        ]
    }

    /// Builds parameters from ABI order, checking the hard bounds.
    ///
    /// # Errors
    /// The index of the first value outside its bound (a missing value
    /// counts as out of bounds at index `values.len()`).
    pub fn from_values(values: &[u128]) -> Result<RiskParams, u8> {
        // (lower, upper) bounds, inclusive.
        const BOUNDS: [(u128, u128); PARAM_COUNT] = [
            (WAD / 2, 4 * WAD),
            (WAD / 10, 4 * WAD),
            (0, WAD / 2),
            (0, WAD / 2),
            (0, WAD),
            (0, WAD / 10),
            (0, WAD),
            (0, WAD / 2),
            (0, WAD),
            (0, 1_000 * WAD),
            (0, 100_000 * WAD),
        ];
        let mut v = [0u128; PARAM_COUNT];
        for (i, (lower, upper)) in BOUNDS.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            // i < PARAM_COUNT = 11.
            let index = i as u8;
            let value = *values.get(i).ok_or(index)?;
            if value < *lower || value > *upper {
                return Err(index);
            }
            v[i] = value;
        }
        // Maintenance never exceeds initial.
        if v[1] > v[0] {
            return Err(1);
        }
        if v[3] > v[2] {
            return Err(3);
        }
        Ok(RiskParams {
            im_factor: v[0],
            mm_factor: v[1],
            naked_short_im: v[2],
            naked_short_mm: v[3],
            long_option_discount: v[4],
            option_close_spread: v[5],
            liquidation_buffer: v[6],
            bonus_rate: v[7],
            insurance_share: v[8],
            gas_reserve: v[9],
            dust_notional: v[10],
        })
    }
}

/// A perp market's margin parameters (WAD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketParams {
    /// Oracle feed of the underlying.
    pub feed: u32,
    /// Initial margin rate at zero size.
    pub initial_rate: u128,
    /// Maintenance margin rate at zero size.
    pub maintenance_rate: u128,
    /// Size at which the rate has grown by 1.0 (initial) or 0.5 (maintenance).
    pub rate_scale: u128,
    /// The market's skew scale: size at which the skew premium is 100%.
    pub skew_scale: u128,
}

/// One perp position with its market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpLeg {
    /// Market parameters.
    pub market: MarketParams,
    /// Signed size (long > 0), base units WAD.
    pub size: i128,
    /// Entry price minus the funding index at the last trade (quote WAD per unit).
    pub basis: i128,
    /// Funding index now.
    pub funding_index: i128,
    /// Net size of all traders in the market (long - short).
    pub skew: i128,
}

/// One option position with its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionLeg {
    /// Oracle feed of the underlying.
    pub feed: u32,
    /// Signed amount (long > 0), contracts of one underlying, WAD.
    pub amount: i128,
    /// Strike, quote WAD.
    pub strike: u128,
    /// Expiry, seconds.
    pub expiry: u64,
    /// Call or put.
    pub is_call: bool,
    /// Annualised implied volatility (WAD); unused once expired.
    pub volatility: u128,
}

/// What [`evaluate`] needs: the account's collateral and positions at
/// current prices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Portfolio {
    /// Quote cash plus other collateral after haircuts, quote WAD.
    pub collateral: i128,
    /// `(feed, spot price)` of every underlying a leg refers to.
    pub spots: Vec<(u32, u128)>,
    /// Perp positions.
    pub perps: Vec<PerpLeg>,
    /// Option positions.
    pub options: Vec<OptionLeg>,
}

/// Why a portfolio cannot be evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginError {
    /// Arithmetic left its range (or pricing inputs outside the pricer's domain).
    Math(MathError),
    /// A leg refers to a feed without a spot price.
    MissingPrice(u32),
}

impl From<MathError> for MarginError {
    fn from(error: MathError) -> Self {
        MarginError::Math(error)
    }
}

/// Overflow as a [`MarginError`].
const OVERFLOW: MarginError = MarginError::Math(MathError::Overflow);

/// One evaluated leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegRisk {
    /// Index into [`Evaluation::groups`].
    pub group: usize,
    /// Spot of the underlying.
    pub spot: u128,
    /// Signed size or amount.
    pub size: i128,
    /// Contribution to equity (unrealised perp PnL, or option mark value with
    /// longs discounted).
    pub value: i128,
    /// The leg's kind and what its requirement depends on.
    pub kind: LegKind,
    /// Weighted PnL of the whole leg in each scenario (zero outside option groups).
    pub scenario_pnl: [i128; SCENARIO_COUNT],
    /// Whether a liquidation may close it (an expired option is settled instead).
    pub closable: bool,
}

/// Perp or option, with what its requirement needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegKind {
    /// A perp: its market and the market's skew.
    Perp {
        /// Market parameters.
        market: MarketParams,
        /// Net skew of the market.
        skew: i128,
    },
    /// An option.
    Option {
        /// Call or put.
        is_call: bool,
    },
}

/// One underlying of the portfolio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupRisk {
    /// Oracle feed.
    pub feed: u32,
    /// Spot price.
    pub spot: u128,
    /// Whether an option leg is on this underlying (then the grid applies).
    pub has_options: bool,
}

/// A portfolio evaluated once; requirements of any part of it follow
/// without pricing again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Collateral value after haircuts.
    pub collateral: i128,
    /// Underlyings.
    pub groups: Vec<GroupRisk>,
    /// Perp legs first (in [`Portfolio::perps`] order), then option legs.
    pub legs: Vec<LegRisk>,
    /// Parameters used.
    pub params: RiskParams,
}

/// Equity, requirements and health of a portfolio.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Collateral plus the value of every leg, quote WAD.
    pub equity: i128,
    /// Initial margin, quote WAD.
    pub initial: u128,
    /// Maintenance margin, quote WAD.
    pub maintenance: u128,
}

impl Health {
    /// `equity / maintenance` in WAD; `i128::MAX` without a requirement.
    pub fn ratio(&self) -> i128 {
        health_ratio(self.equity, self.maintenance)
    }

    /// Equity below maintenance margin.
    pub fn liquidatable(&self) -> bool {
        self.equity < to_signed(self.maintenance)
    }
}

/// `equity / requirement` in WAD (rounded down); `i128::MAX` for a zero requirement.
pub fn health_ratio(equity: i128, requirement: u128) -> i128 {
    if requirement == 0 {
        return i128::MAX;
    }
    let requirement = to_signed(requirement);
    bulwark_math::mul_div_signed(equity, ONE, requirement, Rounding::Down)
        .unwrap_or(if equity < 0 { i128::MIN } else { i128::MAX })
}

/// `u128` to `i128`, saturating (values here are far below 2^127).
pub fn to_signed(value: u128) -> i128 {
    i128::try_from(value).unwrap_or(i128::MAX)
}

/// `a * b / WAD`, unsigned.
fn wmul(a: u128, b: u128, rounding: Rounding) -> Result<u128, MarginError> {
    Ok(mul_div(a, b, WAD, rounding)?)
}

/// `a * b / WAD`, signed, rounded toward negative infinity.
fn wmul_signed(a: i128, b: i128) -> Result<i128, MarginError> {
    Ok(bulwark_math::mul_div_signed(a, b, ONE, Rounding::Down)?)
}

/// Volatility multipliers `(up, down)` for an option `seconds` from expiry:
/// `m = (30 days / max(T, 1 day))^p` with `p = 0.3` up to 30 days and 0.13
/// beyond; up = `1 + 0.5 m`, down = `max(1 - 0.3 m, 0.1)`.
///
/// # Errors
/// [`MarginError::Math`] if `pow` fails (it cannot on this domain).
pub fn vol_shocks(seconds: u64) -> Result<(u128, u128), MarginError> {
    let days = seconds.max(DAY);
    let ratio = mul_div(u128::from(30 * DAY), WAD, u128::from(days), Rounding::Down)?;
    let exponent =
        if seconds <= 30 * DAY { 300_000_000_000_000_000 } else { 130_000_000_000_000_000 };
    let m = pow(Wad::from_raw(ratio), SignedWad::from_raw(exponent))?.raw();
    let up = WAD + m / 2;
    let down = WAD.saturating_sub(wmul(m, 300_000_000_000_000_000, Rounding::Up)?).max(WAD / 10);
    Ok((up, down))
}

/// Values every leg of `portfolio` at its spot and under every scenario.
///
/// # Errors
/// [`MarginError::MissingPrice`] for a leg without a spot;
/// [`MarginError::Math`] on overflow or pricing outside the pricer's domain.
// One pass over the legs keeps the scenario tables in one place.
#[allow(clippy::too_many_lines)]
pub fn evaluate(
    portfolio: &Portfolio,
    params: &RiskParams,
    now: u64,
) -> Result<Evaluation, MarginError> {
    let mut groups: Vec<GroupRisk> = Vec::new();
    let mut group_of = |feed: u32, is_option: bool| -> Result<usize, MarginError> {
        if let Some(i) = groups.iter().position(|g| g.feed == feed) {
            groups[i].has_options |= is_option;
            return Ok(i);
        }
        let spot = portfolio
            .spots
            .iter()
            .find(|(f, _)| *f == feed)
            .ok_or(MarginError::MissingPrice(feed))?
            .1;
        groups.push(GroupRisk { feed, spot, has_options: is_option });
        Ok(groups.len() - 1)
    };
    let mut legs = Vec::with_capacity(portfolio.perps.len() + portfolio.options.len());
    for perp in &portfolio.perps {
        let group = group_of(perp.market.feed, false)?;
        legs.push((group, true));
    }
    for option in &portfolio.options {
        let group = group_of(option.feed, true)?;
        legs.push((group, false));
    }
    // Shocked spots of each group, prepared once.
    let mut prepared: Vec<[PreparedUnderlying; SCENARIO_COUNT]> = Vec::with_capacity(groups.len());
    for group in &groups {
        let mut row = [PreparedUnderlying::new(Wad::ZERO); SCENARIO_COUNT];
        if group.has_options {
            for (slot, (multiplier, _, _)) in row.iter_mut().zip(SCENARIOS.iter()) {
                *slot = PreparedUnderlying::new(Wad::from_raw(wmul(
                    group.spot,
                    *multiplier,
                    Rounding::Down,
                )?));
            }
        }
        prepared.push(row);
    }
    let mut out = Vec::with_capacity(legs.len());
    for (i, (group_index, is_perp)) in legs.into_iter().enumerate() {
        let group = groups[group_index];
        let spot = group.spot;
        let spot_signed = to_signed(spot);
        let mut scenario_pnl = [0i128; SCENARIO_COUNT];
        let leg = if is_perp {
            let perp = &portfolio.perps[i];
            let per_unit = spot_signed
                .checked_sub(perp.funding_index)
                .and_then(|x| x.checked_sub(perp.basis))
                .ok_or(OVERFLOW)?;
            if group.has_options {
                for (pnl, (multiplier, _, weight)) in scenario_pnl.iter_mut().zip(SCENARIOS.iter())
                {
                    let moved = wmul(spot, *multiplier, Rounding::Down)?;
                    let change = wmul_signed(perp.size, to_signed(moved) - spot_signed)?;
                    *pnl = wmul_signed(change, to_signed(*weight))?;
                }
            }
            LegRisk {
                group: group_index,
                spot,
                size: perp.size,
                value: wmul_signed(perp.size, per_unit)?,
                kind: LegKind::Perp { market: perp.market, skew: perp.skew },
                scenario_pnl,
                closable: true,
            }
        } else {
            let option = &portfolio.options[i - portfolio.perps.len()];
            let kind = if option.is_call { OptionKind::Call } else { OptionKind::Put };
            let seconds = option.expiry.saturating_sub(now);
            let pricer = OptionPricer::new(
                Model::BlackScholes,
                kind,
                Wad::from_raw(option.strike),
                seconds,
                SignedWad::ZERO,
            )?;
            let sigma = option.volatility;
            let mark = pricer.price(Wad::from_raw(spot), Wad::from_raw(sigma))?.raw();
            let (up, down) = if seconds == 0 { (WAD, WAD) } else { vol_shocks(seconds)? };
            let max_vol = bulwark_math::MAX_VOLATILITY.raw();
            for ((pnl, (_, shock, weight)), underlying) in
                scenario_pnl.iter_mut().zip(SCENARIOS.iter()).zip(prepared[group_index].iter())
            {
                let vol = match shock {
                    VolShock::Up => wmul(sigma, up, Rounding::Up)?.min(max_vol),
                    VolShock::None => sigma,
                    VolShock::Down => wmul(sigma, down, Rounding::Down)?,
                };
                let value = pricer.price_prepared(underlying, Wad::from_raw(vol))?.raw();
                let change = wmul_signed(option.amount, to_signed(value) - to_signed(mark))?;
                *pnl = wmul_signed(change, to_signed(*weight))?;
            }
            let mut value = wmul_signed(option.amount, to_signed(mark))?;
            if value > 0 {
                value -= wmul_signed(value, to_signed(params.long_option_discount))?.max(0);
            }
            LegRisk {
                group: group_index,
                spot,
                size: option.amount,
                value,
                kind: LegKind::Option { is_call: option.is_call },
                scenario_pnl,
                closable: seconds > 0,
            }
        };
        out.push(leg);
    }
    Ok(Evaluation { collateral: portfolio.collateral, groups, legs: out, params: *params })
}

/// Cost of closing `size` (signed, the position's sign) of a perp at spot
/// `price` when the market's skew is `skew`: the skew premium the close pays,
/// `price * size * (size - 2 skew) / (2 skewScale)`, at least zero.
pub fn perp_close_cost(
    price: u128,
    size: i128,
    skew: i128,
    skew_scale: u128,
) -> Result<u128, MarginError> {
    if size == 0 || skew_scale == 0 {
        return Ok(0);
    }
    let reach = size.checked_sub(skew.checked_mul(2).ok_or(OVERFLOW)?).ok_or(OVERFLOW)?;
    let impact = bulwark_math::mul_div_signed(
        size,
        reach,
        to_signed(skew_scale).checked_mul(2).ok_or(OVERFLOW)?,
        Rounding::Up,
    )?;
    if impact <= 0 {
        return Ok(0);
    }
    wmul(price, impact.unsigned_abs(), Rounding::Up)
}

impl Evaluation {
    /// Equity with every leg whole.
    pub fn equity(&self) -> Result<i128, MarginError> {
        self.legs
            .iter()
            .try_fold(self.collateral, |sum, leg| sum.checked_add(leg.value).ok_or(OVERFLOW))
    }

    /// Health with every leg whole.
    ///
    /// # Errors
    /// As [`Self::requirements`].
    pub fn health(&self) -> Result<Health, MarginError> {
        let whole = alloc::vec![WAD; self.legs.len()];
        let (initial, maintenance) = self.requirements(&whole)?;
        Ok(Health { equity: self.equity()?, initial, maintenance })
    }

    /// Size of leg `index` when the fraction `remaining` (WAD) of it stays open.
    pub fn remaining_size(&self, index: usize, remaining: u128) -> i128 {
        let size = self.legs[index].size;
        if remaining >= WAD {
            return size;
        }
        // remaining < 1: |result| < |size|, rounded toward zero.
        let magnitude = mul_div(size.unsigned_abs(), remaining, WAD, Rounding::Down).unwrap_or(0);
        let magnitude = to_signed(magnitude);
        if size < 0 {
            -magnitude
        } else {
            magnitude
        }
    }

    /// Cost of closing leg `index` from its whole size down to `remaining`
    /// (WAD fraction): the skew premium of a perp, the spread of an option.
    ///
    /// # Errors
    /// [`MarginError::Math`] on overflow.
    pub fn close_cost(&self, index: usize, remaining: u128) -> Result<u128, MarginError> {
        let leg = &self.legs[index];
        let closed = leg.size - self.remaining_size(index, remaining);
        match leg.kind {
            LegKind::Perp { market, skew } => {
                perp_close_cost(leg.spot, closed, skew, market.skew_scale)
            }
            LegKind::Option { .. } => wmul(
                wmul(leg.spot, closed.unsigned_abs(), Rounding::Up)?,
                self.params.option_close_spread,
                Rounding::Up,
            ),
        }
    }

    /// `(initial, maintenance)` margin when the fraction `remaining[i]` (WAD,
    /// at most one) of each leg stays open.
    ///
    /// # Errors
    /// [`MarginError::Math`] on overflow.
    pub fn requirements(&self, remaining: &[u128]) -> Result<(u128, u128), MarginError> {
        let params = &self.params;
        let mut initial: u128 = 0;
        let mut maintenance: u128 = 0;
        let mut add = |im: u128, mm: u128| -> Result<(), MarginError> {
            initial = initial.checked_add(im).ok_or(OVERFLOW)?;
            maintenance = maintenance.checked_add(mm).ok_or(OVERFLOW)?;
            Ok(())
        };
        let mut open = false;
        for (group_index, group) in self.groups.iter().enumerate() {
            let mut worst = [0i128; SCENARIO_COUNT];
            let (mut calls, mut puts) = (0i128, 0i128);
            for (index, leg) in self.legs.iter().enumerate().filter(|(_, l)| l.group == group_index)
            {
                let fraction = remaining[index].min(WAD);
                let size = self.remaining_size(index, fraction);
                if size == 0 {
                    continue;
                }
                open = true;
                if group.has_options {
                    for (sum, pnl) in worst.iter_mut().zip(leg.scenario_pnl.iter()) {
                        let part = if fraction >= WAD {
                            *pnl
                        } else {
                            bulwark_math::mul_div_signed(
                                *pnl,
                                to_signed(fraction),
                                ONE,
                                Rounding::Down,
                            )?
                        };
                        *sum = sum.checked_add(part).ok_or(OVERFLOW)?;
                    }
                }
                let notional = wmul(group.spot, size.unsigned_abs(), Rounding::Up)?;
                match leg.kind {
                    LegKind::Perp { market, skew } => {
                        // The skew after closing the rest of the leg.
                        let skew_now = skew - (leg.size - size);
                        let close = perp_close_cost(group.spot, size, skew_now, market.skew_scale)?;
                        let impact = if market.rate_scale == 0 {
                            0
                        } else {
                            mul_div(size.unsigned_abs(), WAD, market.rate_scale, Rounding::Up)?
                        };
                        let (im_rate, mm_rate) = if group.has_options {
                            (impact, impact / 2)
                        } else {
                            (market.initial_rate + impact, market.maintenance_rate + impact / 2)
                        };
                        add(
                            wmul(notional, im_rate, Rounding::Up)? + close,
                            wmul(notional, mm_rate, Rounding::Up)? + close,
                        )?;
                    }
                    LegKind::Option { is_call } => {
                        if is_call {
                            calls += size;
                        } else {
                            puts += size;
                        }
                        let close = wmul(notional, params.option_close_spread, Rounding::Up)?;
                        add(close, close)?;
                    }
                }
            }
            if group.has_options {
                let loss = worst.iter().map(|pnl| -pnl).max().unwrap_or(0).max(0).unsigned_abs();
                let naked = (-calls).max(0).unsigned_abs() + (-puts).max(0).unsigned_abs();
                let naked_notional = wmul(group.spot, naked, Rounding::Up)?;
                add(
                    wmul(loss, params.im_factor, Rounding::Up)?
                        + wmul(naked_notional, params.naked_short_im, Rounding::Up)?,
                    wmul(loss, params.mm_factor, Rounding::Up)?
                        + wmul(naked_notional, params.naked_short_mm, Rounding::Up)?,
                )?;
            }
        }
        if open {
            add(params.gas_reserve, params.gas_reserve)?;
        }
        Ok((initial, maintenance))
    }
}

/// What `balance` (WAD) of a collateral token counts for as margin, quote
/// WAD: valued at `price` (quote WAD per whole token), then cut by `haircut`
/// (WAD), each step rounded down so an account is never credited more than
/// its tokens fetch. The one valuation of non-quote collateral.
///
/// # Errors
/// [`MathError::Overflow`] when a product leaves 128 bits.
pub fn collateral_worth(balance: u128, price: u128, haircut: u128) -> Result<u128, MathError> {
    let value = mul_div(balance, price, WAD, Rounding::Down)?;
    mul_div(value, haircut, WAD, Rounding::Down)
}

/// Whether a trade "adds risk": the position grows in magnitude or flips sign.
pub fn adds_risk(before: i128, after: i128) -> bool {
    after != 0
        && (after.unsigned_abs() > before.unsigned_abs()
            || (before != 0 && (before < 0) != (after < 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPOT: u128 = 2_000 * WAD;
    const DAY_S: u64 = 86_400;

    fn market() -> MarketParams {
        MarketParams {
            feed: 1,
            initial_rate: WAD / 10,
            maintenance_rate: WAD / 20,
            rate_scale: 1_000_000 * WAD,
            skew_scale: 1_000_000 * WAD,
        }
    }

    fn perp(size: i128) -> PerpLeg {
        PerpLeg { market: market(), size, basis: to_signed(SPOT), funding_index: 0, skew: size }
    }

    fn call(amount: i128, strike: u128) -> OptionLeg {
        OptionLeg {
            feed: 1,
            amount,
            strike,
            expiry: 30 * DAY_S,
            is_call: true,
            volatility: WAD * 8 / 10,
        }
    }

    fn portfolio(perps: Vec<PerpLeg>, options: Vec<OptionLeg>) -> Portfolio {
        Portfolio { collateral: 0, spots: alloc::vec![(1, SPOT)], perps, options }
    }

    /// The pricer of the test calls: struck at spot, 30 days out.
    fn atm_call_pricer() -> OptionPricer {
        OptionPricer::new(
            Model::BlackScholes,
            OptionKind::Call,
            Wad::from_raw(SPOT),
            30 * DAY_S,
            SignedWad::ZERO,
        )
        .unwrap()
    }

    fn no_costs() -> RiskParams {
        RiskParams { gas_reserve: 0, option_close_spread: 0, ..RiskParams::DEFAULT }
    }

    #[test]
    fn perp_margin_matches_hand_computation() {
        // 10 ETH long at 2,000: notional 20,000.
        let eval = evaluate(&portfolio(alloc::vec![perp(10 * ONE)], alloc::vec![]), &no_costs(), 0)
            .unwrap();
        let h = eval.health().unwrap();
        // impact = 10 / 1e6 = 1e-5; IM rate 0.10001, MM rate 0.050005.
        // close cost: 2000 * 10 * (10 - 20) / 2e6 < 0 -> 0 (the position is the skew... closing reduces it).
        assert_eq!(h.initial, 20_000 * WAD / 10 + 20_000 * WAD / 100_000);
        assert_eq!(h.maintenance, 20_000 * WAD / 20 + 20_000 * WAD / 200_000);
        assert_eq!(h.equity, 0);
    }

    #[test]
    fn perp_close_cost_is_the_skew_premium() {
        // Closing 10 long into a skew of -990 (others short): 2000 * 10 * (10 + 1980) / 2e6 = 19.9.
        let cost = perp_close_cost(SPOT, 10 * ONE, -990 * ONE, 1_000_000 * WAD).unwrap();
        assert_eq!(cost, 19_900_000_000_000_000_000);
        assert_eq!(perp_close_cost(SPOT, 10 * ONE, 10 * ONE, 1_000_000 * WAD).unwrap(), 0);
    }

    #[test]
    fn gas_reserve_and_close_costs_are_in_both_requirements() {
        let params = RiskParams::DEFAULT;
        let mut leg = perp(10 * ONE);
        leg.skew = 0;
        let eval = evaluate(&portfolio(alloc::vec![leg], alloc::vec![]), &params, 0).unwrap();
        let h = eval.health().unwrap();
        // cost 2000 * 10 * 10 / 2e6 = 0.1
        let cost = WAD / 10;
        assert_eq!(
            h.maintenance,
            20_000 * WAD / 20 + 20_000 * WAD / 200_000 + cost + params.gas_reserve
        );
        assert_eq!(
            h.initial,
            20_000 * WAD / 10 + 20_000 * WAD / 100_000 + cost + params.gas_reserve
        );
    }

    #[test]
    fn short_call_margin_is_the_worst_scenario_plus_addon() {
        let params = no_costs();
        let leg = call(-ONE, SPOT);
        let eval = evaluate(&portfolio(alloc::vec![], alloc::vec![leg]), &params, 0).unwrap();
        let h = eval.health().unwrap();
        // Hand computation: worst loss = value at spot 1.18x, vol up, minus mark.
        let pricer = atm_call_pricer();
        let mark = pricer.price(Wad::from_raw(SPOT), Wad::from_raw(WAD * 8 / 10)).unwrap().raw();
        // m = 1 at 30 days: up = 1.5.
        let shocked = pricer
            .price(Wad::from_raw(SPOT * 118 / 100), Wad::from_raw(WAD * 12 / 10))
            .unwrap()
            .raw();
        let loss = shocked - mark;
        let addon = SPOT / 100;
        assert_eq!(h.initial, loss + addon);
        let mm = mul_div(loss, 8 * WAD / 10, WAD, Rounding::Up).unwrap();
        assert_eq!(h.maintenance, mm + SPOT / 200);
        assert_eq!(h.equity, -to_signed(mark));
    }

    #[test]
    fn long_option_value_is_discounted() {
        let params = no_costs();
        let eval =
            evaluate(&portfolio(alloc::vec![], alloc::vec![call(ONE, SPOT)]), &params, 0).unwrap();
        let pricer = atm_call_pricer();
        let mark = to_signed(
            pricer.price(Wad::from_raw(SPOT), Wad::from_raw(WAD * 8 / 10)).unwrap().raw(),
        );
        assert_eq!(eval.equity().unwrap(), mark - mark / 10);
    }

    #[test]
    fn delta_hedged_book_needs_forty_percent_less_than_its_legs() {
        let params = RiskParams::DEFAULT;
        let option = call(10 * ONE, SPOT);
        let pricer = atm_call_pricer();
        let delta =
            pricer.greeks(Wad::from_raw(SPOT), Wad::from_raw(WAD * 8 / 10)).unwrap().delta.raw();
        let hedge = perp(-wmul_signed(10 * ONE, delta).unwrap());
        let im = |p: Portfolio| evaluate(&p, &params, 0).unwrap().health().unwrap().initial;
        let mm = |p: Portfolio| evaluate(&p, &params, 0).unwrap().health().unwrap().maintenance;
        let legs_im = im(portfolio(alloc::vec![], alloc::vec![option]))
            + im(portfolio(alloc::vec![hedge], alloc::vec![]));
        let book_im = im(portfolio(alloc::vec![hedge], alloc::vec![option]));
        assert!(book_im * 10 <= legs_im * 6, "book {book_im} legs {legs_im}");
        let sum_maintenance = mm(portfolio(alloc::vec![], alloc::vec![option]))
            + mm(portfolio(alloc::vec![hedge], alloc::vec![]));
        let book_maintenance = mm(portfolio(alloc::vec![hedge], alloc::vec![option]));
        assert!(
            book_maintenance * 10 <= sum_maintenance * 6,
            "book {book_maintenance} legs {sum_maintenance}"
        );
    }

    #[test]
    fn vol_shocks_follow_the_formula() {
        assert_eq!(vol_shocks(30 * DAY_S).unwrap(), (WAD + WAD / 2, WAD - 3 * WAD / 10));
        let (up, down) = vol_shocks(3600).unwrap();
        // (30)^0.3 = 2.7742: up 2.387, down 0.1677.
        assert!(up > 2_386 * WAD / 1000 && up < 2_388 * WAD / 1000, "{up}");
        assert!(down > 167 * WAD / 1000 && down < 169 * WAD / 1000, "{down}");
        let (up, _) = vol_shocks(365 * DAY_S).unwrap();
        assert!(up < WAD + WAD / 2);
    }

    #[test]
    fn expired_option_is_worth_its_intrinsic_value() {
        let mut leg = call(-ONE, SPOT - 100 * WAD);
        leg.expiry = 10;
        let eval = evaluate(&portfolio(alloc::vec![], alloc::vec![leg]), &no_costs(), 20).unwrap();
        assert_eq!(eval.equity().unwrap(), -100 * ONE);
    }

    #[test]
    fn collateral_counts_after_its_haircut_rounded_down() {
        // 3 ETH at 2,000 with a 0.8 haircut.
        assert_eq!(collateral_worth(3 * WAD, 2_000 * WAD, 8 * WAD / 10), Ok(4_800 * WAD));
        // One wei at a price under one: valued at 0, never rounded up to 1.
        assert_eq!(collateral_worth(1, WAD / 2, WAD), Ok(0));
        assert_eq!(collateral_worth(u128::MAX, 2 * WAD, WAD), Err(MathError::Overflow));
    }

    proptest::proptest! {
        #[test]
        fn collateral_is_never_worth_more_than_its_price(
            balance in 0u128..1 << 100,
            price in 0u128..1 << 80,
            haircut in 0u128..=WAD,
        ) {
            let full = collateral_worth(balance, price, WAD).unwrap();
            let cut = collateral_worth(balance, price, haircut).unwrap();
            proptest::prop_assert!(cut <= full);
            // Two roundings down lose less than two wei against the exact
            // balance * price * haircut / WAD^2 (itself rounded down).
            let wide = |x: u128| alloy_primitives::U256::from(x);
            let exact = wide(balance) * wide(price) * wide(haircut) / (wide(WAD) * wide(WAD));
            proptest::prop_assert!(wide(cut) <= exact && exact - wide(cut) <= wide(1));
        }
    }

    #[test]
    fn risk_is_added_when_size_grows_or_flips() {
        assert!(adds_risk(0, 1));
        assert!(adds_risk(5, 6));
        assert!(adds_risk(5, -1));
        assert!(!adds_risk(5, 4));
        assert!(!adds_risk(-5, 0));
        assert!(!adds_risk(-5, -5));
    }

    #[test]
    fn params_bounds_are_enforced() {
        let values = RiskParams::DEFAULT.to_values();
        assert_eq!(RiskParams::from_values(&values), Ok(RiskParams::DEFAULT));
        let mut bad = values;
        bad[1] = 2 * WAD;
        assert_eq!(RiskParams::from_values(&bad), Err(1));
        assert_eq!(RiskParams::from_values(&values[..5]), Err(5));
        bad = values;
        bad[9] = 1_001 * WAD;
        assert_eq!(RiskParams::from_values(&bad), Err(9));
    }

    #[test]
    fn missing_price_is_reported() {
        let mut p = portfolio(alloc::vec![perp(ONE)], alloc::vec![]);
        p.spots.clear();
        assert_eq!(evaluate(&p, &no_costs(), 0).unwrap_err(), MarginError::MissingPrice(1));
    }
}
