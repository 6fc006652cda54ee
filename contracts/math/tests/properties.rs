//! Property tests against the 256-bit reference, with the accuracy
//! targets as assertions. 1,000 cases per property by default; set
//! `PROPTEST_CASES=100000` for the full run.
#![allow(missing_docs, clippy::pedantic)]

mod reference;

use bulwark_math::{
    black76_price, black_scholes_greeks, black_scholes_price, cdf, exp, ln, pdf, pow,
    seconds_to_expiry, sqrt, MathError, Model, OptionKind, OptionPricer, PreparedUnderlying,
    Rounding, Scenario, SignedWad, Wad, MAX_SECONDS_TO_EXPIRY, SECONDS_PER_YEAR, SIGNED_WAD, WAD,
};
use num_bigint::BigUint;
use proptest::prelude::*;
use reference::errors::{
    call_price, cdf_error, exp_error, ln_error, option_errors, pdf_error, pow_error, OptionPoint,
};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

const SPOT: u128 = 1_000 * WAD;

/// A WAD drawn log-uniformly in `[low, high]` (both in whole-unit f64 for
/// the draw only; the value used is the exact integer).
fn log_uniform(low: f64, high: f64) -> impl Strategy<Value = u128> {
    (0.0f64..1.0)
        .prop_map(move |u| ((low.ln() + (high.ln() - low.ln()) * u).exp() * 1e18).round() as u128)
}

fn uniform_wad(low: f64, high: f64) -> impl Strategy<Value = i128> {
    (low..high).prop_map(|x| (x * 1e18).round() as i128)
}

fn option_point() -> impl Strategy<Value = OptionPoint> {
    (
        prop_oneof![Just(Model::BlackScholes), Just(Model::Black76)],
        log_uniform(0.2, 5.0),
        (3_600.0f64..2.0 * SECONDS_PER_YEAR as f64).prop_map(|t| t as u64),
        log_uniform(0.05, 3.0),
        uniform_wad(-0.02, 0.2),
    )
        .prop_map(|(model, moneyness, seconds, volatility, rate)| OptionPoint {
            model,
            underlying: SPOT,
            strike: moneyness * 1_000,
            seconds,
            volatility,
            rate,
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn exp_relative_error_within_2e_14(x in uniform_wad(-41.4, 47.27)) {
        if let Some(s) = exp_error(x) {
            prop_assert!(s.relative <= 2e-14, "exp({x}) relative error {}", s.relative);
        }
    }

    #[test]
    fn ln_relative_error_within_2e_14(bits in 1u32..=128, mantissa in any::<u128>()) {
        let x = (mantissa >> (128 - bits)).max(1);
        let s = ln_error(x);
        prop_assert!(s.relative <= 2e-14, "ln({x}) relative error {}", s.relative);
        prop_assert!(s.absolute <= 3e-18, "ln({x}) absolute error {}", s.absolute);
    }

    #[test]
    fn pow_relative_error_within_2e_14(x in log_uniform(1e-9, 1e9), y in uniform_wad(-8.0, 8.0)) {
        if let Some(s) = pow_error(x.max(1), y) {
            prop_assert!(s.relative <= 2e-14, "pow({x}, {y}) relative error {}", s.relative);
        }
    }

    #[test]
    fn sqrt_is_exact_in_both_directions(x in any::<u128>(), shift in 0u32..128) {
        let x = x >> shift;
        let n = BigUint::from(x) * BigUint::from(WAD);
        let down = BigUint::from(sqrt(Wad::from_raw(x), Rounding::Down).raw());
        let up = BigUint::from(sqrt(Wad::from_raw(x), Rounding::Up).raw());
        prop_assert_eq!(&down, &n.sqrt());
        prop_assert!(&up * &up >= n && (&up - &down) <= BigUint::from(1u8));
    }

    #[test]
    fn cdf_absolute_error_within_3e_15(x in prop_oneof![uniform_wad(-10.0, 10.0), uniform_wad(-40.0, 40.0)]) {
        let s = cdf_error(x);
        prop_assert!(s.absolute <= 3e-15, "N({x}) error {}", s.absolute);
        let p = pdf_error(x);
        prop_assert!(p.absolute <= 3e-15, "phi({x}) error {}", p.absolute);
    }

    #[test]
    fn option_prices_and_greeks_match_reference(point in option_point()) {
        let e = option_errors(&point);
        prop_assert!(e.price <= 5e-14, "{point:?}: price error {}", e.price);
        prop_assert!(e.delta <= 1e-13, "{point:?}: delta error {}", e.delta);
        prop_assert!(e.parity <= 2e-14, "{point:?}: parity error {}", e.parity);
        prop_assert!(e.gamma <= 1e-9 && e.vega <= 1e-9 && e.theta <= 1e-7, "{point:?}: greeks {e:?}");
    }

    #[test]
    fn prices_monotone_in_strike_volatility_and_expiry(
        point in option_point(),
        strike_step in log_uniform(1.0, 1.5),
        vol_step in log_uniform(1.0, 1.5),
        time_step in 1u64..SECONDS_PER_YEAR,
    ) {
        let OptionPoint { model, underlying, strike, seconds, volatility, rate } = point;
        let higher_strike = bulwark_math::mul_div(strike, strike_step, WAD, Rounding::Down).unwrap();
        let higher_vol = bulwark_math::mul_div(volatility, vol_step, WAD, Rounding::Down).unwrap();
        for kind in [OptionKind::Call, OptionKind::Put] {
            let base = call_price(model, kind, underlying, strike, seconds, volatility, rate);
            let strike_moved = call_price(model, kind, underlying, higher_strike, seconds, volatility, rate);
            match kind {
                OptionKind::Call => prop_assert!(strike_moved <= base, "{kind:?} {point:?} K2 {higher_strike}: {base} -> {strike_moved}"),
                OptionKind::Put => prop_assert!(strike_moved >= base, "{kind:?} {point:?} K2 {higher_strike}: {base} -> {strike_moved}"),
            }
            prop_assert!(call_price(model, kind, underlying, strike, seconds, higher_vol, rate) >= base);
            let longer = call_price(model, kind, underlying, strike, seconds + time_step, volatility, rate);
            let guaranteed = match (model, kind) {
                (Model::BlackScholes, OptionKind::Call) => rate >= 0,
                (Model::BlackScholes, OptionKind::Put) | (Model::Black76, _) => rate <= 0,
            };
            if guaranteed {
                prop_assert!(longer >= base);
            }
        }
    }

    #[test]
    fn no_input_panics(
        spot in any::<u128>(),
        strike in any::<u128>(),
        seconds in any::<u64>(),
        vol in any::<u128>(),
        rate in any::<i128>(),
        x in any::<i128>(),
    ) {
        let _ = exp(SignedWad::from_raw(x));
        let _ = ln(Wad::from_raw(spot));
        let _ = pow(Wad::from_raw(spot), SignedWad::from_raw(x));
        let _ = cdf(SignedWad::from_raw(x));
        let _ = pdf(SignedWad::from_raw(x));
        for model in [Model::BlackScholes, Model::Black76] {
            for kind in [OptionKind::Call, OptionKind::Put] {
                if let Ok(pricer) = OptionPricer::new(model, kind, Wad::from_raw(strike), seconds, SignedWad::from_raw(rate)) {
                    let _ = pricer.price(Wad::from_raw(spot), Wad::from_raw(vol));
                    let _ = pricer.greeks(Wad::from_raw(spot), Wad::from_raw(vol));
                }
            }
        }
    }

    #[test]
    fn pricer_in_small_domain_never_fails(
        spot in 1u128..1u128 << 100,
        strike in 0u128..1u128 << 100,
        seconds in 0u64..=MAX_SECONDS_TO_EXPIRY,
        vol in 0u128..=100 * WAD,
        rate in -SIGNED_WAD / 10..SIGNED_WAD / 10,
    ) {
        for kind in [OptionKind::Call, OptionKind::Put] {
            let pricer = OptionPricer::new(Model::BlackScholes, kind, Wad::from_raw(strike), seconds, SignedWad::from_raw(rate));
            let pricer = pricer.expect("inside the documented domain");
            let greeks = pricer.greeks(Wad::from_raw(spot), Wad::from_raw(vol));
            // Gamma can overflow only for a near-zero v on a tiny spot.
            if let Err(e) = greeks {
                prop_assert_eq!(e, MathError::Overflow);
            }
            prop_assert!(pricer.price(Wad::from_raw(spot), Wad::from_raw(vol)).is_ok());
        }
    }
}

fn wad(x: f64) -> Wad {
    Wad::from_raw((x * 1e18).round() as u128)
}

fn swad(x: f64) -> SignedWad {
    SignedWad::from_raw((x * 1e18).round() as i128)
}

#[test]
fn grid_prices_and_greeks_match_reference() {
    let mut worst = 0f64;
    let mut count = 0;
    for model in [Model::BlackScholes, Model::Black76] {
        for moneyness in [0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 5.0] {
            for seconds in [3_600, 86_400, 2_592_000, 31_536_000, 63_072_000] {
                for vol in [0.05, 0.2, 0.8, 1.5, 3.0] {
                    for rate in [-0.02, 0.0, 0.05, 0.2] {
                        let point = OptionPoint {
                            model,
                            underlying: SPOT,
                            strike: wad(1_000.0 * moneyness).raw(),
                            seconds,
                            volatility: wad(vol).raw(),
                            rate: swad(rate).raw(),
                        };
                        let e = option_errors(&point);
                        assert!(
                            e.price <= 5e-14 && e.delta <= 1e-13 && e.parity <= 2e-14,
                            "{point:?}: {e:?}"
                        );
                        worst = worst.max(e.price);
                        count += 1;
                    }
                }
            }
        }
    }
    assert_eq!(count, 2 * 11 * 5 * 5 * 4);
    assert!(worst <= 5e-14);
}

#[test]
fn expiry_now_is_intrinsic_value() {
    let strike = wad(1_000.0);
    for (spot, call, put, delta) in
        [(1_100.0, 100.0, 0.0, 1.0), (900.0, 0.0, 100.0, 0.0), (1_000.0, 0.0, 0.0, 0.5)]
    {
        let g = black_scholes_greeks(OptionKind::Call, wad(spot), strike, 0, wad(0.8), swad(0.05))
            .unwrap();
        assert_eq!(g.price, wad(call));
        assert_eq!(g.delta, swad(delta));
        assert_eq!((g.gamma, g.vega), (Wad::ZERO, Wad::ZERO));
        let p = black_scholes_price(OptionKind::Put, wad(spot), strike, 0, wad(0.8), swad(0.05))
            .unwrap();
        assert_eq!(p, wad(put));
    }
}

#[test]
fn zero_volatility_is_discounted_intrinsic_value() {
    let strike = wad(1_000.0);
    let year = SECONDS_PER_YEAR;
    // Forward-looking: call = max(S - K e^(-rT), 0) with r = 5%.
    let g =
        black_scholes_greeks(OptionKind::Call, wad(1_000.0), strike, year, Wad::ZERO, swad(0.05))
            .unwrap();
    let discounted = 1_000.0 * (-0.05f64).exp();
    assert!((g.price.raw() as f64 / 1e18 - (1_000.0 - discounted)).abs() < 1e-9);
    assert_eq!(g.delta, SignedWad::ONE);
    assert_eq!(g.gamma, Wad::ZERO);
    let put =
        black_scholes_price(OptionKind::Put, wad(1_000.0), strike, year, Wad::ZERO, swad(0.05))
            .unwrap();
    assert_eq!(put, Wad::ZERO);
    // At the forward money: delta is one half and the price zero.
    let atm =
        black76_price(OptionKind::Call, wad(1_000.0), strike, year, Wad::ZERO, swad(0.05)).unwrap();
    assert_eq!(atm, Wad::ZERO);
}

#[test]
fn extreme_strikes_give_limits() {
    let spot = wad(1_000.0);
    let (vol, rate, t) = (wad(0.8), swad(0.05), SECONDS_PER_YEAR);
    // Zero strike: the call is the spot, the put worthless.
    assert_eq!(black_scholes_price(OptionKind::Call, spot, Wad::ZERO, t, vol, rate), Ok(spot));
    assert_eq!(black_scholes_price(OptionKind::Put, spot, Wad::ZERO, t, vol, rate), Ok(Wad::ZERO));
    // One-wei strike and a 10^9 strike.
    let call = black_scholes_price(OptionKind::Call, spot, Wad::from_raw(1), t, vol, rate).unwrap();
    assert!(spot.raw() - call.raw() <= 1);
    let huge = wad(1e9);
    assert_eq!(black_scholes_price(OptionKind::Call, spot, huge, t, vol, rate), Ok(Wad::ZERO));
    let put = black_scholes_price(OptionKind::Put, spot, huge, t, vol, rate).unwrap();
    let intrinsic = huge.raw() as f64 * (-0.05f64).exp() - spot.raw() as f64;
    assert!((put.raw() as f64 - intrinsic).abs() / intrinsic < 1e-12);
    // Zero spot.
    assert_eq!(
        black_scholes_price(OptionKind::Call, Wad::ZERO, wad(1_000.0), t, vol, rate),
        Ok(Wad::ZERO)
    );
}

#[test]
fn bad_input_is_a_named_error() {
    let k = wad(1_000.0);
    assert_eq!(seconds_to_expiry(100, 101), Err(MathError::ExpiryInPast));
    assert_eq!(seconds_to_expiry(101, 100), Ok(1));
    assert_eq!(
        OptionPricer::new(
            Model::BlackScholes,
            OptionKind::Call,
            k,
            MAX_SECONDS_TO_EXPIRY + 1,
            SignedWad::ZERO
        ),
        Err(MathError::OutOfDomain)
    );
    assert_eq!(
        OptionPricer::new(Model::BlackScholes, OptionKind::Call, k, 1, swad(10.5)),
        Err(MathError::OutOfDomain)
    );
    // |r T| above 40.
    assert_eq!(
        OptionPricer::new(
            Model::BlackScholes,
            OptionKind::Call,
            k,
            5 * SECONDS_PER_YEAR,
            swad(-9.0)
        ),
        Err(MathError::OutOfDomain)
    );
    // Discounted strike above u128 with a negative rate.
    assert_eq!(
        OptionPricer::new(
            Model::BlackScholes,
            OptionKind::Call,
            Wad::MAX,
            SECONDS_PER_YEAR,
            swad(-1.0)
        ),
        Err(MathError::Overflow)
    );
    let pricer =
        OptionPricer::new(Model::BlackScholes, OptionKind::Call, k, 86_400, SignedWad::ZERO)
            .unwrap();
    assert_eq!(pricer.price(k, wad(100.5)), Err(MathError::OutOfDomain));
    let mut out = [Wad::ZERO; 1];
    assert_eq!(pricer.price_batch(&[], &mut out), Err(MathError::OutOfDomain));
    assert_eq!(ln(Wad::ZERO), Err(MathError::NonPositiveInput));
}

#[test]
fn batch_matches_single_prices() {
    let pricer = OptionPricer::new(
        Model::BlackScholes,
        OptionKind::Put,
        wad(1_000.0),
        30 * 86_400,
        swad(0.05),
    )
    .unwrap();
    let mut scenarios = Vec::new();
    for spot in [820.0, 900.0, 1_000.0, 1_100.0, 1_180.0] {
        let underlying = PreparedUnderlying::new(wad(spot));
        for vol in [0.4, 0.6, 0.9] {
            scenarios.push(Scenario { underlying, volatility: wad(vol) });
        }
    }
    let mut out = vec![Wad::ZERO; scenarios.len()];
    pricer.price_batch(&scenarios, &mut out).unwrap();
    for (s, price) in scenarios.iter().zip(&out) {
        assert_eq!(*price, pricer.price(s.underlying.price(), s.volatility).unwrap());
    }
}

#[test]
fn black76_on_the_forward_equals_black_scholes() {
    let (spot, k, t, vol, r) =
        (wad(1_000.0), wad(1_100.0), SECONDS_PER_YEAR / 2, wad(0.7), swad(0.08));
    let forward = exp(swad(0.04)).unwrap().mul(spot, Rounding::Down).unwrap();
    let bs = black_scholes_price(OptionKind::Call, spot, k, t, vol, r).unwrap();
    let b76 = black76_price(OptionKind::Call, forward, k, t, vol, r).unwrap();
    assert!(bs.raw().abs_diff(b76.raw()) < 10_000, "{bs:?} vs {b76:?}");
}

#[test]
fn known_textbook_value() {
    // Hull: S = 42, K = 40, r = 10%, sigma = 20%, T = 0.5: call 4.76, put 0.81.
    let t = SECONDS_PER_YEAR / 2;
    let call = black_scholes_price(OptionKind::Call, wad(42.0), wad(40.0), t, wad(0.2), swad(0.1))
        .unwrap();
    let put =
        black_scholes_price(OptionKind::Put, wad(42.0), wad(40.0), t, wad(0.2), swad(0.1)).unwrap();
    assert_eq!((call.raw() + 5 * WAD / 1_000) / (WAD / 100), 476);
    assert_eq!((put.raw() + 5 * WAD / 1_000) / (WAD / 100), 81);
}
