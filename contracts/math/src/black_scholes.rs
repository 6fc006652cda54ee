//! European option prices and greeks: Black-Scholes on a spot price and
//! Black-76 on a forward price, with a pricer that precomputes everything
//! that does not depend on the (underlying, volatility) scenario.
//!
//! Conventions:
//! - Inputs are WAD values: underlying (spot or forward) and strike in quote
//!   units, volatility annualised (`0.8e18` is 80%), rate annual and
//!   continuously compounded (signed). Time to expiry is in seconds; a year is
//!   365 days ([`SECONDS_PER_YEAR`]).
//! - Both models are evaluated as `A N(d1) - B N(d2)` (call) and
//!   `B N(-d2) - A N(-d1)` (put) with `B = K e^(-rT)`, and `A = S` for
//!   Black-Scholes or `A = F e^(-rT)` for Black-76; `d1 = ln(A/B)/v + v/2`,
//!   `d2 = d1 - v`, `v = sigma sqrt(T)`. Computing `d2` from `d1` makes the
//!   first-order effect of an error in `d1` cancel in the price.
//! - Greeks: `delta` is per unit of the underlying (spot, or forward for
//!   Black-76, where it includes the discount factor); `gamma` per unit of
//!   underlying squared; `vega` per 1.0 of volatility (divide by 100 for one
//!   vol point); `theta` is the change of value per year of calendar time
//!   (divide by 31,536,000 for per second, by 365 for per day), usually
//!   negative.
//! - Limits are exact: at expiry (`T = 0`) or with zero volatility the price
//!   is the discounted intrinsic value `max(A - B, 0)` and delta is 1, 0 or
//!   1/2 at the money; gamma, which is then a point mass, is reported as 0. A
//!   zero strike or zero underlying gives `d = +inf` or `-inf`.
//!
//! Accuracy (measured against a 256-bit reference, see `ACCURACY.md`): on a
//! 1,000 underlying over strikes 0.2x-5x, expiries 1 hour-2 years,
//! volatilities 5%-300% and rates -2%-20%, prices within 2e-15 and delta
//! within 1e-16; prices are never below intrinsic value and are monotone in
//! strike, volatility and expiry on the test grid.

use crate::exp_ln::{exp_q, ln_q, q64_to_wad};
use crate::fixed::{mul_div, mul_div_signed, MathError, Rounding, SignedWad, Wad, SIGNED_WAD, WAD};
use crate::normal::{cdf_q, cdf_q127, pdf_q};
use crate::wide::{div_q, div_wide, isqrt_wide, mul_wide, shl, shr, ONE_Q64};

#[allow(clippy::cast_possible_wrap)]
// 2^64 < 2^127.
const ONE: i128 = ONE_Q64 as i128;

/// Seconds in the 365-day year that annualises rates and volatilities.
pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// Longest time to expiry accepted by [`OptionPricer::new`]: 100 years.
pub const MAX_SECONDS_TO_EXPIRY: u64 = 100 * SECONDS_PER_YEAR;

/// Largest volatility accepted: 100.0, i.e. 10,000% a year.
pub const MAX_VOLATILITY: Wad = Wad::from_raw(100 * WAD);

/// Largest absolute annual rate accepted: 10.0, i.e. 1,000% a year. The
/// product `|r T|` must also stay below 40.
pub const MAX_RATE: Wad = Wad::from_raw(10 * WAD);

/// `|ln(A/B)| / v` saturates here (2^40); far beyond any `v / 2` the domain
/// allows (below 500), so both `d` keep the right sign.
const D_SATURATION: i128 = ONE << 40;

/// Largest accepted `|r T|`, in Q64.
const MAX_RATE_TIME_Q64: i128 = 40 * ONE;

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionKind {
    /// Right to buy at the strike.
    Call,
    /// Right to sell at the strike.
    Put,
}

/// Pricing model, which decides what the underlying price means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    /// Black-Scholes: the underlying is a spot price growing at the rate.
    BlackScholes,
    /// Black-76: the underlying is the forward price for the expiry.
    Black76,
}

/// Price and sensitivities of one option (see the module docs for units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Greeks {
    /// Premium, in quote units.
    pub price: Wad,
    /// `dV/dS` (or `dV/dF` for Black-76).
    pub delta: SignedWad,
    /// `d2V/dS2`.
    pub gamma: Wad,
    /// `dV/dsigma`, per 1.0 of volatility.
    pub vega: Wad,
    /// `dV/dt` per year of calendar time.
    pub theta: SignedWad,
}

/// An underlying price with its logarithm computed once, to be reused by
/// every option and volatility scenario that shares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PreparedUnderlying {
    price: u128,
    /// `ln(price raw)` in Q64; unused when `price == 0`.
    ln_raw_q64: i128,
}

impl PreparedUnderlying {
    /// Prepares a spot (Black-Scholes) or forward (Black-76) price.
    ///
    /// Cost: one logarithm (one short division and 14 Q64 multiplies).
    pub fn new(price: Wad) -> PreparedUnderlying {
        let raw = price.raw();
        let ln_raw_q64 = if raw == 0 { 0 } else { ln_q(raw) };
        PreparedUnderlying { price: raw, ln_raw_q64 }
    }

    /// The underlying price.
    pub fn price(&self) -> Wad {
        Wad::from_raw(self.price)
    }
}

/// One (underlying, volatility) scenario for [`OptionPricer::price_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    /// Spot or forward price, prepared once per price level.
    pub underlying: PreparedUnderlying,
    /// Annualised volatility.
    pub volatility: Wad,
}

/// One option (model, kind, strike, expiry, rate) with everything that does
/// not depend on the underlying price or volatility precomputed: the
/// discount factor, the discounted strike and its logarithm, and `sqrt(T)`.
///
/// Build it once per option and call [`OptionPricer::price`] (or
/// [`OptionPricer::price_prepared`] with a shared [`PreparedUnderlying`]) for
/// each scenario of a portfolio-margin grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OptionPricer {
    model: Model,
    kind: OptionKind,
    rate: i128,
    /// `e^(-rT)` in Q64.
    discount_q64: u128,
    /// `B = K e^(-rT)`, raw WAD.
    discounted_strike: u128,
    /// `ln(B raw)` (Black-Scholes) or `ln(K raw)` (Black-76) in Q64: the
    /// term subtracted from `ln(underlying raw)` to give `ln(A/B)`.
    ln_reference_q64: i128,
    /// `sqrt(T)` in Q96 (T in years).
    sqrt_time_q96: u128,
    /// `sqrt(T) * 2^160 / 10^18`: turns a raw WAD volatility into `v` in Q64
    /// with one multiply.
    volatility_to_v: u128,
    strike_is_zero: bool,
}

/// `A`, `d1`, `d2`, `v` and the volatility of one scenario.
struct Point {
    a: u128,
    d1: i128,
    d2: i128,
    v: i128,
    volatility: u128,
}

/// `a * q / 2^64` rounded down, for a raw WAD `a` and a Q64 `q` in `[0, 2^64]`.
fn scale_q64(a: u128, q: i128) -> u128 {
    let q = q.clamp(0, ONE).unsigned_abs();
    let (high, low) = mul_wide(a, q);
    // q <= 2^64, so the result is at most a.
    (high << 64) | (low >> 64)
}

impl OptionPricer {
    /// Precomputes one option.
    ///
    /// # Errors
    /// - [`MathError::OutOfDomain`]: `seconds_to_expiry` above
    ///   [`MAX_SECONDS_TO_EXPIRY`], `|rate|` above [`MAX_RATE`] or `|r T|`
    ///   above 40.
    /// - [`MathError::Overflow`]: the discounted strike exceeds `u128`.
    ///
    /// Cost: one exponential, one logarithm, one 256-bit square root (two to
    /// four 256/128 divisions) and a few wide multiplies.
    pub fn new(
        model: Model,
        kind: OptionKind,
        strike: Wad,
        seconds_to_expiry: u64,
        rate: SignedWad,
    ) -> Result<OptionPricer, MathError> {
        if seconds_to_expiry > MAX_SECONDS_TO_EXPIRY || rate.abs() > MAX_RATE {
            return Err(MathError::OutOfDomain);
        }
        let seconds = u128::from(seconds_to_expiry);
        let year = u128::from(SECONDS_PER_YEAR);
        // T in Q64; seconds < 2^64 so the shift fits.
        let (time_q64, remainder) = div_wide(0, seconds << 64, year).ok_or(MathError::Overflow)?;
        let (high, time_q64) = (time_q64, time_q64.cast_signed());
        // sqrt(T) in Q96 = isqrt(T * 2^192): (seconds * 2^64 / year) * 2^128.
        let (low, _) = div_wide(remainder, 0, year).ok_or(MathError::Overflow)?;
        let sqrt_time_q96 = isqrt_wide(high, low);
        let volatility_to_v = mul_div(sqrt_time_q96, 1 << 64, WAD, Rounding::Down)?;
        let rate_time_q64 = mul_div_signed(rate.raw(), time_q64, SIGNED_WAD, Rounding::Down)?;
        if rate_time_q64.abs() > MAX_RATE_TIME_Q64 {
            return Err(MathError::OutOfDomain);
        }
        // |rT| <= 40 < 43.6: no overflow.
        let discount_q64 = exp_q(-rate_time_q64).ok_or(MathError::Overflow)?;
        let discounted_strike = mul_div(strike.raw(), discount_q64, ONE_Q64, Rounding::Down)?;
        let strike_is_zero = strike.raw() == 0;
        let ln_strike = if strike_is_zero { 0 } else { ln_q(strike.raw()) };
        let ln_reference_q64 = match model {
            Model::BlackScholes => ln_strike - rate_time_q64,
            Model::Black76 => ln_strike,
        };
        Ok(OptionPricer {
            model,
            kind,
            rate: rate.raw(),
            discount_q64,
            discounted_strike,
            ln_reference_q64,
            sqrt_time_q96,
            volatility_to_v,
            strike_is_zero,
        })
    }

    /// The option's kind.
    pub fn kind(&self) -> OptionKind {
        self.kind
    }

    /// The pricing model.
    pub fn model(&self) -> Model {
        self.model
    }

    /// Premium at one underlying price and volatility.
    ///
    /// # Errors
    /// [`MathError::OutOfDomain`] for a volatility above [`MAX_VOLATILITY`];
    /// [`MathError::Overflow`] when a Black-76 discounted forward exceeds
    /// `u128`.
    ///
    /// Cost: [`PreparedUnderlying::new`] plus
    /// [`OptionPricer::price_prepared`].
    pub fn price(&self, underlying: Wad, volatility: Wad) -> Result<Wad, MathError> {
        self.price_prepared(&PreparedUnderlying::new(underlying), volatility)
    }

    /// Premium for a prepared underlying price (see [`OptionPricer::price`]).
    ///
    /// Cost: one short division, two normal tails (38 Q64 multiplies), three
    /// wide multiplies; no logarithm, exponential or square root.
    pub fn price_prepared(
        &self,
        underlying: &PreparedUnderlying,
        volatility: Wad,
    ) -> Result<Wad, MathError> {
        let scenario = self.scenario(underlying, volatility)?;
        Ok(Wad::from_raw(self.premium(&scenario)))
    }

    /// Prices every scenario into `out` (same length), without allocating.
    ///
    /// # Errors
    /// [`MathError::OutOfDomain`] when the lengths differ; otherwise the
    /// first error of [`OptionPricer::price_prepared`].
    pub fn price_batch(&self, scenarios: &[Scenario], out: &mut [Wad]) -> Result<(), MathError> {
        if scenarios.len() != out.len() {
            return Err(MathError::OutOfDomain);
        }
        for (scenario, slot) in scenarios.iter().zip(out.iter_mut()) {
            *slot = self.price_prepared(&scenario.underlying, scenario.volatility)?;
        }
        Ok(())
    }

    /// Premium and greeks at one underlying price and volatility.
    ///
    /// # Errors
    /// As [`OptionPricer::price`], plus [`MathError::Overflow`] when a greek
    /// does not fit (gamma of a near-zero `v` on a tiny underlying).
    pub fn greeks(&self, underlying: Wad, volatility: Wad) -> Result<Greeks, MathError> {
        let prepared = PreparedUnderlying::new(underlying);
        let point = self.scenario(&prepared, volatility)?;
        let price = self.premium(&point);
        let (n_d1, n_d2) = match self.kind {
            OptionKind::Call => (cdf_q(point.d1), cdf_q(point.d2)),
            // For puts, N(d) - 1 = -N(-d): keep the small side exact.
            OptionKind::Put => (-cdf_q(-point.d1), -cdf_q(-point.d2)),
        };
        let density = pdf_q(point.d1);
        let (delta_q, density_scaled) = match self.model {
            Model::BlackScholes => (n_d1, density),
            Model::Black76 => (
                mul_div_signed(n_d1, self.discount_q64.cast_signed(), ONE, Rounding::Down)?,
                mul_div_signed(density, self.discount_q64.cast_signed(), ONE, Rounding::Down)?,
            ),
        };
        let delta = q64_to_wad(delta_q, Rounding::Down)?;
        // a * phi(d1), raw WAD.
        let a_density = scale_q64(point.a, density);
        let gamma = if density_scaled == 0 || point.v == 0 || prepared.price == 0 {
            0
        } else {
            let per_v = mul_div(
                density_scaled.unsigned_abs(),
                WAD,
                point.v.unsigned_abs(),
                Rounding::Down,
            )?;
            mul_div(per_v, WAD, prepared.price, Rounding::Down)?
        };
        let vega = mul_div(a_density, self.sqrt_time_q96, 1 << 96, Rounding::Down)?;
        // Time decay of the volatility term: A phi sigma / (2 sqrt T).
        let decay = if point.v == 0 {
            0
        } else {
            let scaled = mul_div(a_density, point.volatility, WAD, Rounding::Down)?;
            mul_div(scaled, 1 << 95, self.sqrt_time_q96, Rounding::Down)?
        };
        let decay = i128::try_from(decay).map_err(|_| MathError::Overflow)?;
        let carry = match self.model {
            // -r B N(d2) for calls, +r B N(-d2) for puts (n_d2 carries the sign).
            Model::BlackScholes => {
                let b_n = scale_q64(self.discounted_strike, n_d2.abs()).cast_signed();
                let signed = if n_d2 < 0 { b_n } else { -b_n };
                mul_div_signed(self.rate, signed, SIGNED_WAD, Rounding::Down)?
            }
            // +r V for both kinds.
            Model::Black76 => {
                mul_div_signed(self.rate, price.cast_signed(), SIGNED_WAD, Rounding::Down)?
            }
        };
        let theta = carry.checked_sub(decay).ok_or(MathError::Overflow)?;
        Ok(Greeks {
            price: Wad::from_raw(price),
            delta: SignedWad::from_raw(delta),
            gamma: Wad::from_raw(gamma),
            vega: Wad::from_raw(vega),
            theta: SignedWad::from_raw(theta),
        })
    }

    /// `A`, `d1`, `d2` and `v` of one scenario.
    fn scenario(
        &self,
        underlying: &PreparedUnderlying,
        volatility: Wad,
    ) -> Result<Point, MathError> {
        if volatility > MAX_VOLATILITY {
            return Err(MathError::OutOfDomain);
        }
        let a_raw = match self.model {
            Model::BlackScholes => underlying.price,
            Model::Black76 => {
                mul_div(underlying.price, self.discount_q64, ONE_Q64, Rounding::Down)?
            }
        };
        // v = sigma sqrt(T) in Q64: sigma < 2^67 and the factor < 2^107, so
        // the 256-bit product shifted by 96 fits.
        let (high, low) = mul_wide(volatility.raw(), self.volatility_to_v);
        let v_q64 = ((high << 32) | (low >> 96)).cast_signed();
        let (d1, d2) = if underlying.price == 0 || a_raw == 0 {
            (-D_SATURATION, -D_SATURATION)
        } else if self.strike_is_zero || self.discounted_strike == 0 {
            (D_SATURATION, D_SATURATION)
        } else {
            let ln_ratio = underlying.ln_raw_q64 - self.ln_reference_q64;
            if v_q64 == 0 {
                let d = ln_ratio.signum() * D_SATURATION;
                (d, d)
            } else {
                let quotient = div_q(ln_ratio, v_q64)
                    .map_or(ln_ratio.signum() * D_SATURATION, |quotient| {
                        quotient.clamp(-D_SATURATION, D_SATURATION)
                    });
                // |q| <= 2^104 and v < 2^74: no overflow.
                (quotient + (v_q64 >> 1), quotient + (v_q64 >> 1) - v_q64)
            }
        };
        Ok(Point { a: a_raw, d1, d2, v: v_q64, volatility: volatility.raw() })
    }

    /// The premium: the out-of-the-money side directly,
    /// `A N(d1) - B N(d2)` (call) or `B N(-d2) - A N(-d1)` (put), and the
    /// in-the-money side as that plus the intrinsic forward value `|A - B|`.
    ///
    /// The out-of-the-money side is a difference of two small products whose
    /// normal tails carry relative precision, computed with 32 fractional
    /// bits of a wei and rounded once; so the price is exact to about a wei
    /// and never falls below its intrinsic value `max(A - B, 0)`.
    fn premium(&self, point: &Point) -> u128 {
        let strike = self.discounted_strike;
        let in_the_money_call = point.a >= strike;
        let out_of_the_money = match (self.kind, in_the_money_call) {
            (OptionKind::Call, false) | (OptionKind::Put, true) => self.kind,
            (OptionKind::Call, true) => OptionKind::Put,
            (OptionKind::Put, false) => OptionKind::Call,
        };
        // Fractional bits kept below the wei: a * N * 2^extra < 2^128.
        let extra = point.a.max(strike).leading_zeros().min(32);
        let weighted = |value: u128, probability: u128| -> u128 {
            // value * probability / 2^(127 - extra), probability <= 2^127.
            let (high, low) = mul_wide(value, probability);
            let shift = 127 - extra;
            shl(high, 128 - shift) | shr(low, shift)
        };
        let (long, short) = match out_of_the_money {
            OptionKind::Call => {
                (weighted(point.a, cdf_q127(point.d1)), weighted(strike, cdf_q127(point.d2)))
            }
            OptionKind::Put => {
                (weighted(strike, cdf_q127(-point.d2)), weighted(point.a, cdf_q127(-point.d1)))
            }
        };
        let time_value = shr(long.saturating_sub(short), extra);
        let intrinsic = if self.kind == out_of_the_money { 0 } else { point.a.abs_diff(strike) };
        intrinsic.saturating_add(time_value)
    }
}

/// Seconds from `now` to `expiry`.
///
/// # Errors
/// [`MathError::ExpiryInPast`] when `expiry < now`.
pub fn seconds_to_expiry(expiry: u64, now: u64) -> Result<u64, MathError> {
    expiry.checked_sub(now).ok_or(MathError::ExpiryInPast)
}

/// Black-Scholes premium of a European option on a spot price.
///
/// # Errors
/// As [`OptionPricer::new`] and [`OptionPricer::price`].
pub fn black_scholes_price(
    kind: OptionKind,
    spot: Wad,
    strike: Wad,
    seconds_to_expiry: u64,
    volatility: Wad,
    rate: SignedWad,
) -> Result<Wad, MathError> {
    OptionPricer::new(Model::BlackScholes, kind, strike, seconds_to_expiry, rate)?
        .price(spot, volatility)
}

/// Black-Scholes premium and greeks of a European option on a spot price.
///
/// # Errors
/// As [`OptionPricer::new`] and [`OptionPricer::greeks`].
pub fn black_scholes_greeks(
    kind: OptionKind,
    spot: Wad,
    strike: Wad,
    seconds_to_expiry: u64,
    volatility: Wad,
    rate: SignedWad,
) -> Result<Greeks, MathError> {
    OptionPricer::new(Model::BlackScholes, kind, strike, seconds_to_expiry, rate)?
        .greeks(spot, volatility)
}

/// Black-76 premium of a European option on a forward price, discounted at
/// `rate`.
///
/// # Errors
/// As [`OptionPricer::new`] and [`OptionPricer::price`].
pub fn black76_price(
    kind: OptionKind,
    forward: Wad,
    strike: Wad,
    seconds_to_expiry: u64,
    volatility: Wad,
    rate: SignedWad,
) -> Result<Wad, MathError> {
    OptionPricer::new(Model::Black76, kind, strike, seconds_to_expiry, rate)?
        .price(forward, volatility)
}

/// Black-76 premium and greeks (delta, gamma per unit of forward).
///
/// # Errors
/// As [`OptionPricer::new`] and [`OptionPricer::greeks`].
pub fn black76_greeks(
    kind: OptionKind,
    forward: Wad,
    strike: Wad,
    seconds_to_expiry: u64,
    volatility: Wad,
    rate: SignedWad,
) -> Result<Greeks, MathError> {
    OptionPricer::new(Model::Black76, kind, strike, seconds_to_expiry, rate)?
        .greeks(forward, volatility)
}
