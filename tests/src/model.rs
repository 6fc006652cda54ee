//! The perp arithmetic restated from the contracts' READMEs, independently of
//! their code, so the suites can predict results to the wei: fill price,
//! fee, realised cash, the Vault's rounding to token units, and the margin of
//! a perps-only account (one market, the fixture's parameters).
//!
//! Everything is `int256` WAD; rounding follows the READMEs ("down" is
//! toward negative infinity, "up" toward positive infinity).

use alloy_primitives::{I256, U256};

use crate::protocol::{
    GAS_RESERVE, INITIAL_MARGIN_RATE, MAINTENANCE_MARGIN_RATE, MAKER_FEE, MARGIN_RATE_SCALE,
    SKEW_SCALE, TAKER_FEE, WAD_PER_UNIT,
};

/// One in WAD, signed.
pub fn one() -> I256 {
    I256::try_from(crate::WAD).expect("fits")
}

/// A `u128` constant as `int256`.
pub fn c(x: u128) -> I256 {
    I256::try_from(x).expect("fits")
}

/// An unsigned ABI value as `int256`.
///
/// # Panics
/// Above `int256.max`.
pub fn s(x: U256) -> I256 {
    I256::try_from(x).expect("fits int256")
}

/// A non-negative `int256` as `uint256`.
///
/// # Panics
/// When negative.
pub fn u(x: I256) -> U256 {
    assert!(!x.is_negative(), "{x} is negative");
    x.into_raw()
}

/// `n / d` rounded toward negative infinity.
pub fn div_down(n: I256, d: I256) -> I256 {
    let q = n / d;
    if (n % d != I256::ZERO) && ((n < I256::ZERO) != (d < I256::ZERO)) {
        q - I256::ONE
    } else {
        q
    }
}

/// `n / d` rounded toward positive infinity.
pub fn div_up(n: I256, d: I256) -> I256 {
    -div_down(-n, d)
}

/// `a * b / WAD`, rounded down.
pub fn wmul_down(a: I256, b: I256) -> I256 {
    div_down(a * b, one())
}

/// `a * b / WAD`, rounded up.
pub fn wmul_up(a: I256, b: I256) -> I256 {
    div_up(a * b, one())
}

/// Fill price of `delta` at oracle `price` with the market at `skew`:
/// `P (1 + (2 skew + delta) / (2 S))`, rounded up for a buy and down for a sell.
pub fn fill_price(price: I256, skew: I256, delta: I256) -> I256 {
    let numerator = price * (skew + skew + delta);
    let premium = if delta.is_positive() {
        div_up(numerator, c(2 * SKEW_SCALE))
    } else {
        div_down(numerator, c(2 * SKEW_SCALE))
    };
    price + premium
}

/// Trading fee (WAD): maker rate on the part of `delta` that moves `skew`
/// toward zero, taker rate on the rest, each `ceil(ceil(size * fill) * rate)`.
pub fn trade_fee(skew: I256, delta: I256, fill: I256) -> I256 {
    let size = delta.abs();
    let reduces =
        (skew.is_positive() && delta.is_negative()) || (skew.is_negative() && delta.is_positive());
    let maker = if reduces { size.min(skew.abs()) } else { I256::ZERO };
    let taker = size - maker;
    let part = |size: I256, rate: u128| wmul_up(wmul_up(size, fill), c(rate));
    part(maker, MAKER_FEE) + part(taker, TAKER_FEE)
}

/// Cash a perp trade realises (WAD): the whole old position marked to the
/// fill, `size * (fill - index - basis)`, rounded down.
pub fn realised(size: I256, basis: I256, fill: I256, index: I256) -> I256 {
    wmul_down(size, fill - index - basis)
}

/// The basis a position opens with: `fill - index`.
pub fn basis(fill: I256, index: I256) -> I256 {
    fill - index
}

/// A quote WAD PnL in token units, as the Vault settles it: toward negative
/// infinity (gains rounded down, losses rounded up).
pub fn pnl_units(pnl: I256) -> I256 {
    div_down(pnl, c(WAD_PER_UNIT))
}

/// A quote WAD fee in token units, rounded up.
pub fn fee_units(fee: I256) -> I256 {
    div_up(fee, c(WAD_PER_UNIT))
}

/// Token units as quote WAD.
pub fn units_wad(units: I256) -> I256 {
    units * c(WAD_PER_UNIT)
}

/// Unrealised value of a perp at `spot` (WAD): `size * (spot - index - basis)`,
/// rounded down.
pub fn perp_value(size: I256, basis: I256, spot: I256, index: I256) -> I256 {
    wmul_down(size, spot - index - basis)
}

/// Cost of closing `size` at `spot` with the market at `skew`:
/// `spot * size * (size - 2 skew) / (2 S)`, at least zero, rounded up.
pub fn close_cost(spot: I256, size: I256, skew: I256) -> I256 {
    if size.is_zero() {
        return I256::ZERO;
    }
    let impact = div_up(size * (size - skew - skew), c(2 * SKEW_SCALE));
    if impact.is_positive() {
        wmul_up(spot, impact)
    } else {
        I256::ZERO
    }
}

/// `(initial, maintenance)` margin of an account holding only `size` of the
/// ETH perp at `spot`, with the market at `skew`: notional times the rate
/// grown by the size, plus the cost of closing, plus the gas reserve.
pub fn perp_margin(spot: I256, size: I256, skew: I256) -> (I256, I256) {
    if size.is_zero() {
        return (I256::ZERO, I256::ZERO);
    }
    let notional = wmul_up(spot, size.abs());
    let impact = div_up(size.abs() * one(), c(MARGIN_RATE_SCALE));
    let close = close_cost(spot, size, skew);
    let im = wmul_up(notional, c(INITIAL_MARGIN_RATE) + impact) + close + c(GAS_RESERVE);
    let half = div_down(impact, c(2));
    let mm = wmul_up(notional, c(MAINTENANCE_MARGIN_RATE) + half) + close + c(GAS_RESERVE);
    (im, mm)
}

/// The standard normal distribution function, to about 1e-7 (Abramowitz and
/// Stegun 7.1.26 for erf).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Black-Scholes price (rate zero) of a call or put, in floating point: the
/// independent reference for the contracts' fixed-point pricer.
pub fn black_scholes(spot: f64, strike: f64, years: f64, volatility: f64, is_call: bool) -> f64 {
    let deviation = volatility * years.sqrt();
    let d1 = ((spot / strike).ln() + deviation * deviation / 2.0) / deviation;
    let d2 = d1 - deviation;
    if is_call {
        spot * normal_cdf(d1) - strike * normal_cdf(d2)
    } else {
        strike * normal_cdf(-d2) - spot * normal_cdf(-d1)
    }
}

/// A WAD value as a float (for comparisons with [`black_scholes`]).
#[allow(clippy::cast_precision_loss)]
pub fn to_f64(x: I256) -> f64 {
    let magnitude = x.unsigned_abs();
    let whole = magnitude / U256::from(crate::WAD);
    let fraction = magnitude % U256::from(crate::WAD);
    let value = whole.to::<u128>() as f64 + fraction.to::<u128>() as f64 / 1e18;
    if x.is_negative() {
        -value
    } else {
        value
    }
}
