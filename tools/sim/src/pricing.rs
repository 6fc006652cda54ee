//! Black-Scholes in `f64` for the agents' decisions and the reference model
//! (the contracts price with the integer math library; this only has to be
//! close enough to decide what to trade).

/// Standard normal cumulative distribution through Abramowitz-Stegun 7.1.26
/// for `erfc` (absolute error below 1.5e-7).
pub fn norm_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-z * z).exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Price and delta of a European option per unit of underlying.
pub fn black_scholes(spot: f64, strike: f64, years: f64, vol: f64, is_call: bool) -> (f64, f64) {
    if years <= 0.0 || vol <= 0.0 {
        let intrinsic = if is_call { (spot - strike).max(0.0) } else { (strike - spot).max(0.0) };
        let delta = match (is_call, spot > strike) {
            (true, true) => 1.0,
            (false, false) if spot < strike => -1.0,
            _ => 0.0,
        };
        return (intrinsic, delta);
    }
    let sd = vol * years.sqrt();
    let d1 = ((spot / strike).ln() + 0.5 * sd * sd) / sd;
    let d2 = d1 - sd;
    if is_call {
        (spot * norm_cdf(d1) - strike * norm_cdf(d2), norm_cdf(d1))
    } else {
        (strike * norm_cdf(-d2) - spot * norm_cdf(-d1), norm_cdf(d1) - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_known_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((norm_cdf(1.96) - 0.975_002_1).abs() < 2e-7);
        assert!((norm_cdf(-1.0) - 0.158_655_25).abs() < 2e-7);
    }

    #[test]
    fn put_call_parity_holds() {
        let (c, dc) = black_scholes(100.0, 110.0, 0.5, 0.6, true);
        let (p, dp) = black_scholes(100.0, 110.0, 0.5, 0.6, false);
        assert!((c - p - (100.0 - 110.0)).abs() < 1e-5);
        assert!((dc - dp - 1.0).abs() < 1e-9);
    }
}
