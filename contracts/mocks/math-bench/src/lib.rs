//! MOCK, for measurement only: exposes `bulwark-math` functions as contract
//! calls so the sandbox can meter what each costs on the real WASM. Every
//! function is a view over its arguments; `baseline` does no math, so its
//! cost is what a call costs before any computation. Never deployed to a
//! real chain.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use bulwark_math::{
    black_scholes::{Model, OptionKind, OptionPricer, PreparedUnderlying},
    MathError, Rounding, SignedWad, Wad,
};
use stylus_sdk::prelude::*;

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/bench.sol"
    );
}
pub use sol::*;

/// Errors of the bench.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`MathFailed`].
    MathFailed(MathFailed),
}

impl From<MathError> for Error {
    fn from(error: MathError) -> Self {
        let code = match error {
            MathError::Overflow => 1,
            MathError::Underflow => 2,
            MathError::DivisionByZero => 3,
            MathError::NonPositiveInput => 4,
            MathError::OutOfDomain => 5,
            MathError::ExpiryInPast => 6,
        };
        Error::MathFailed(MathFailed { code })
    }
}

/// Price, delta, gamma, vega and theta, raw 18-decimal values.
type GreeksTuple = (u128, i128, u128, u128, i128);

/// The bench has no state.
#[entrypoint]
#[storage]
pub struct MathBench {}

#[public]
impl MathBench {
    /// Returns its argument: the cost of a call with no math.
    pub fn baseline(&self, x: u128) -> u128 {
        x
    }

    /// `e^x`.
    ///
    /// # Errors
    /// [`MathFailed`] on overflow.
    pub fn exp(&self, x: i128) -> Result<u128, Error> {
        Ok(bulwark_math::exp(SignedWad::from_raw(x))?.raw())
    }

    /// `ln x`.
    ///
    /// # Errors
    /// [`MathFailed`] for `x = 0`.
    pub fn ln(&self, x: u128) -> Result<i128, Error> {
        Ok(bulwark_math::ln(Wad::from_raw(x))?.raw())
    }

    /// `sqrt x`, rounded down.
    pub fn sqrt(&self, x: u128) -> u128 {
        bulwark_math::sqrt(Wad::from_raw(x), Rounding::Down).raw()
    }

    /// `x^y`.
    ///
    /// # Errors
    /// [`MathFailed`] outside the domain or on overflow.
    pub fn pow(&self, x: u128, y: i128) -> Result<u128, Error> {
        Ok(bulwark_math::pow(Wad::from_raw(x), SignedWad::from_raw(y))?.raw())
    }

    /// The standard normal cdf `N(x)`.
    pub fn cdf(&self, x: i128) -> u128 {
        bulwark_math::cdf(SignedWad::from_raw(x)).raw()
    }

    /// Black-Scholes premium of one option: what a quote computes.
    ///
    /// # Errors
    /// [`MathFailed`] outside the pricer's domain.
    pub fn black_scholes_price(
        &self,
        spot: u128,
        strike: u128,
        seconds_to_expiry: u64,
        volatility: u128,
        rate: i128,
        is_call: bool,
    ) -> Result<u128, Error> {
        let pricer = pricer(strike, seconds_to_expiry, rate, is_call)?;
        Ok(pricer.price(Wad::from_raw(spot), Wad::from_raw(volatility))?.raw())
    }

    /// Black-Scholes premium and greeks of one option.
    ///
    /// # Errors
    /// [`MathFailed`] outside the pricer's domain.
    pub fn black_scholes_greeks(
        &self,
        spot: u128,
        strike: u128,
        seconds_to_expiry: u64,
        volatility: u128,
        rate: i128,
        is_call: bool,
    ) -> Result<GreeksTuple, Error> {
        let pricer = pricer(strike, seconds_to_expiry, rate, is_call)?;
        let greeks = pricer.greeks(Wad::from_raw(spot), Wad::from_raw(volatility))?;
        Ok((
            greeks.price.raw(),
            greeks.delta.raw(),
            greeks.gamma.raw(),
            greeks.vega.raw(),
            greeks.theta.raw(),
        ))
    }

    /// Prices one option under `scenarios` spot levels (spot shocked by 1%
    /// steps around `spot`) at one volatility, the way a margin grid does, and
    /// returns the sum of the premiums.
    ///
    /// # Errors
    /// [`MathFailed`] outside the pricer's domain.
    pub fn price_scenarios(
        &self,
        spot: u128,
        strike: u128,
        seconds_to_expiry: u64,
        volatility: u128,
        rate: i128,
        is_call: bool,
        scenarios: u32,
    ) -> Result<u128, Error> {
        let pricer = pricer(strike, seconds_to_expiry, rate, is_call)?;
        let step = spot / 100;
        let mut level = spot.saturating_sub(step.saturating_mul(u128::from(scenarios / 2)));
        let mut sum = 0u128;
        for _ in 0..scenarios {
            let underlying = PreparedUnderlying::new(Wad::from_raw(level));
            let premium = pricer.price_prepared(&underlying, Wad::from_raw(volatility))?.raw();
            sum = sum.saturating_add(premium);
            level = level.saturating_add(step);
        }
        Ok(sum)
    }
}

fn pricer(
    strike: u128,
    seconds_to_expiry: u64,
    rate: i128,
    is_call: bool,
) -> Result<OptionPricer, Error> {
    let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
    Ok(OptionPricer::new(
        Model::BlackScholes,
        kind,
        Wad::from_raw(strike),
        seconds_to_expiry,
        SignedWad::from_raw(rate),
    )?)
}
