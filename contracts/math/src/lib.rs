//! Fixed-point arithmetic and option pricing for Bulwark.
//!
//! Integer only (Stylus rejects floating point), `no_std`, no allocation.
//!
//! - [`fixed`]: [`Wad`] and [`SignedWad`] (18 decimals), [`Rounding`],
//!   [`MathError`] and full-width [`mul_div`].
//! - [`exp_ln`]: [`exp`], [`ln`], [`pow`], [`sqrt`].
//! - [`normal`]: the standard normal [`cdf`] and [`pdf`].
//! - [`black_scholes`]: Black-Scholes and Black-76 prices and greeks, and the
//!   [`OptionPricer`] that prices one option under many scenarios.
//!
//! Internally the transcendental functions work in Q64.64 (`i128` over
//! `2^64`) on `u64`/`u128` limbs: no 256-bit library, few divisions, and
//! every approximation documents its domain, error and cost.
#![no_std]

pub mod black_scholes;
pub mod exp_ln;
pub mod fixed;
pub mod normal;
mod tables;
mod wide;

pub use black_scholes::{
    black76_greeks, black76_price, black_scholes_greeks, black_scholes_price, seconds_to_expiry,
    Greeks, Model, OptionKind, OptionPricer, PreparedUnderlying, Scenario, MAX_RATE,
    MAX_SECONDS_TO_EXPIRY, MAX_VOLATILITY, SECONDS_PER_YEAR,
};
pub use exp_ln::{exp, ln, pow, sqrt};
pub use fixed::{mul_div, mul_div_signed, MathError, Rounding, SignedWad, Wad, SIGNED_WAD, WAD};
pub use normal::{cdf, pdf};
