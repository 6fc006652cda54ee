//! Error of each library function at one input, measured against the 256-bit
//! reference. Shared by the property tests and the accuracy report. The
//! reference values are exact; only the final error figure is an `f64`.

use bulwark_math::{
    cdf, exp, ln, pdf, pow, MathError, Model, OptionKind, OptionPricer, SignedWad, Wad,
};

use super::{black, Real};

/// One unit of the last place of an 18-decimal value.
pub const WEI: f64 = 1e-18;

/// Error of one evaluation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// `|got - exact|`, in the function's units.
    pub absolute: f64,
    /// `max(|got - exact| - 1e-18, 0) / |exact|`: relative error beyond the
    /// final rounding to 18 decimals.
    pub relative: f64,
}

fn sample(got: &Real, exact: &Real) -> Sample {
    let absolute = got.sub(exact).abs().to_f64();
    let magnitude = exact.abs().to_f64();
    let relative = if magnitude > 0.0 { (absolute - WEI).max(0.0) / magnitude } else { 0.0 };
    Sample { absolute, relative }
}

/// Relative error beyond the final rounding, with `|exact|` floored at
/// `floor`: values far below the floor are judged on absolute error.
fn mixed(got: &Real, exact: &Real, floor: f64) -> f64 {
    let absolute = got.sub(exact).abs().to_f64();
    (absolute - WEI).max(0.0) / exact.abs().to_f64().max(floor)
}

/// Floors of the mixed relative measure of the greeks.
pub const GAMMA_FLOOR: f64 = 1e-9;
/// Floor for vega.
pub const VEGA_FLOOR: f64 = 1e-6;
/// Floor for theta.
pub const THETA_FLOOR: f64 = 1e-6;

fn wad(value: Wad) -> Real {
    Real::uwad(value.raw())
}

fn signed(value: SignedWad) -> Real {
    Real::wad(value.raw())
}

/// `exp` at a raw WAD input; `None` when the library reports overflow, which
/// must agree with the reference.
pub fn exp_error(x: i128) -> Option<Sample> {
    let exact = super::exp(&Real::wad(x));
    match exp(SignedWad::from_raw(x)) {
        Ok(got) => Some(sample(&wad(got), &exact)),
        Err(e) => {
            assert_eq!(e, MathError::Overflow);
            assert!(exact.to_f64() * 1e18 > 3.4e38 * 0.999_999, "spurious overflow at {x}");
            None
        }
    }
}

/// `ln` at a positive raw WAD input.
pub fn ln_error(x: u128) -> Sample {
    let exact = super::ln(&Real::uwad(x));
    sample(&signed(ln(Wad::from_raw(x)).expect("positive input")), &exact)
}

/// `pow` at raw WAD inputs; `None` on a reported overflow (checked against the
/// reference).
pub fn pow_error(x: u128, y: i128) -> Option<Sample> {
    let exact = super::exp(&Real::wad(y).mul(&super::ln(&Real::uwad(x))));
    match pow(Wad::from_raw(x), SignedWad::from_raw(y)) {
        Ok(got) => Some(sample(&wad(got), &exact)),
        Err(e) => {
            assert_eq!(e, MathError::Overflow);
            assert!(exact.to_f64() * 1e18 > 3.4e38 * 0.999_999, "spurious overflow at {x}^{y}");
            None
        }
    }
}

/// `cdf` at a raw WAD input.
pub fn cdf_error(x: i128) -> Sample {
    sample(&wad(cdf(SignedWad::from_raw(x))), &super::cdf(&Real::wad(x)))
}

/// `pdf` at a raw WAD input.
pub fn pdf_error(x: i128) -> Sample {
    sample(&wad(pdf(SignedWad::from_raw(x))), &super::pdf(&Real::wad(x)))
}

/// One option evaluated by the library and by the reference.
#[derive(Clone, Copy, Debug)]
pub struct OptionPoint {
    pub model: Model,
    pub underlying: u128,
    pub strike: u128,
    pub seconds: u64,
    pub volatility: u128,
    pub rate: i128,
}

/// Errors of one option point, for calls and puts together.
#[derive(Clone, Copy, Debug, Default)]
pub struct OptionErrors {
    /// Worst absolute price error of call and put.
    pub price: f64,
    /// Worst absolute delta error.
    pub delta: f64,
    /// Relative gamma error beyond 1e-18, `|gamma|` floored at [`GAMMA_FLOOR`].
    pub gamma: f64,
    /// Relative vega error beyond 1e-18, `|vega|` floored at [`VEGA_FLOOR`].
    pub vega: f64,
    /// Relative theta error beyond 1e-18, `|theta|` floored at [`THETA_FLOOR`].
    pub theta: f64,
    /// `|C - P - (A - B)|` from the library's prices.
    pub parity: f64,
}

fn worst(a: Sample, b: Sample) -> Sample {
    Sample { absolute: a.absolute.max(b.absolute), relative: a.relative.max(b.relative) }
}

/// Evaluates a point; the library must accept every point of the test domain.
pub fn option_errors(point: &OptionPoint) -> OptionErrors {
    let reference = black(
        point.model == Model::Black76,
        point.underlying,
        point.strike,
        point.seconds,
        point.volatility,
        point.rate,
    );
    let pricer = |kind| {
        OptionPricer::new(
            point.model,
            kind,
            Wad::from_raw(point.strike),
            point.seconds,
            SignedWad::from_raw(point.rate),
        )
        .expect("pricer in domain")
    };
    let underlying = Wad::from_raw(point.underlying);
    let volatility = Wad::from_raw(point.volatility);
    let call = pricer(OptionKind::Call).greeks(underlying, volatility).expect("call greeks");
    let put = pricer(OptionKind::Put).greeks(underlying, volatility).expect("put greeks");
    let call_price_only =
        pricer(OptionKind::Call).price(underlying, volatility).expect("call price");
    assert_eq!(call_price_only, call.price, "price and greeks disagree");

    let price =
        worst(sample(&wad(call.price), &reference.call), sample(&wad(put.price), &reference.put));
    let delta = worst(
        sample(&signed(call.delta), &reference.call_delta),
        sample(&signed(put.delta), &reference.put_delta),
    );
    let gamma = mixed(&wad(call.gamma), &reference.gamma, GAMMA_FLOOR).max(mixed(
        &wad(put.gamma),
        &reference.gamma,
        GAMMA_FLOOR,
    ));
    let vega = mixed(&wad(call.vega), &reference.vega, VEGA_FLOOR).max(mixed(
        &wad(put.vega),
        &reference.vega,
        VEGA_FLOOR,
    ));
    let theta = mixed(&signed(call.theta), &reference.call_theta, THETA_FLOOR).max(mixed(
        &signed(put.theta),
        &reference.put_theta,
        THETA_FLOOR,
    ));
    // Parity: C - P = A - B with the reference's exact A and B.
    let forward_gap = reference.call.sub(&reference.put);
    let parity = wad(call.price).sub(&wad(put.price)).sub(&forward_gap).abs().to_f64();
    OptionErrors { price: price.absolute, delta: delta.absolute, gamma, vega, theta, parity }
}

/// Library call price, for monotonicity checks.
pub fn call_price(
    model: Model,
    kind: OptionKind,
    underlying: u128,
    strike: u128,
    seconds: u64,
    volatility: u128,
    rate: i128,
) -> u128 {
    OptionPricer::new(model, kind, Wad::from_raw(strike), seconds, SignedWad::from_raw(rate))
        .and_then(|p| p.price(Wad::from_raw(underlying), Wad::from_raw(volatility)))
        .expect("in domain")
        .raw()
}
