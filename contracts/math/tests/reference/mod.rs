//! High-precision reference for tests, the accuracy report and the table
//! generator: binary fixed point with 256 fractional bits over `BigInt`, with
//! plainly convergent series (Taylor, atanh, the cdf's all-positive series).
//! Slow and obviously right; nothing here is shipped.
#![allow(dead_code, missing_docs, unreachable_pub, clippy::pedantic)]

pub mod errors;

use std::sync::OnceLock;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// Fractional bits of [`Real`].
pub const P: u32 = 256;

/// A real number `value / 2^P`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Real(pub BigInt);

fn one_at(bits: u32) -> BigInt {
    BigInt::one() << bits
}

/// Rounds `n / d` to nearest.
fn div_round(n: &BigInt, d: &BigInt) -> BigInt {
    let two_n: BigInt = n * 2;
    let den: BigInt = d * 2;
    (two_n + d).div_floor(&den)
}

impl Real {
    pub fn zero() -> Real {
        Real(BigInt::zero())
    }
    pub fn one() -> Real {
        Real(one_at(P))
    }
    pub fn int(n: i128) -> Real {
        Real(BigInt::from(n) << P)
    }
    pub fn ratio(num: i128, den: i128) -> Real {
        Real(div_round(&(BigInt::from(num) << P), &BigInt::from(den)))
    }
    pub fn big_ratio(num: &BigInt, den: &BigInt) -> Real {
        Real(div_round(&(num << P), den))
    }
    /// `raw / 10^18`.
    pub fn wad(raw: i128) -> Real {
        Real::ratio(raw, 1_000_000_000_000_000_000)
    }
    pub fn uwad(raw: u128) -> Real {
        Real::big_ratio(&BigInt::from(raw), &BigInt::from(1_000_000_000_000_000_000u128))
    }
    /// `raw / 2^64`.
    pub fn q64(raw: i128) -> Real {
        Real(BigInt::from(raw) << (P - 64))
    }
    pub fn from_f64(x: f64) -> Real {
        // Exact conversion of the f64 value.
        let bits = x.abs();
        let (m, e) = frexp(bits);
        let mantissa = BigInt::from((m * (1u64 << 53) as f64) as u64);
        let shift = e - 53 + P as i32;
        let v = if shift >= 0 { mantissa << shift as u32 } else { mantissa >> (-shift) as u32 };
        Real(if x < 0.0 { -v } else { v })
    }
    pub fn add(&self, o: &Real) -> Real {
        Real(&self.0 + &o.0)
    }
    pub fn sub(&self, o: &Real) -> Real {
        Real(&self.0 - &o.0)
    }
    pub fn neg(&self) -> Real {
        Real(-&self.0)
    }
    pub fn mul(&self, o: &Real) -> Real {
        Real((&self.0 * &o.0) >> P)
    }
    pub fn mul_int(&self, n: i64) -> Real {
        Real(&self.0 * n)
    }
    pub fn div(&self, o: &Real) -> Real {
        Real(div_round(&(&self.0 << P), &o.0))
    }
    pub fn div_int(&self, n: i64) -> Real {
        Real(div_round(&self.0, &BigInt::from(n)))
    }
    pub fn abs(&self) -> Real {
        Real(self.0.abs())
    }
    pub fn is_negative(&self) -> bool {
        self.0.is_negative()
    }
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
    /// `round(self * scale)` as an integer.
    pub fn scaled(&self, scale: &BigInt) -> BigInt {
        div_round(&(&self.0 * scale), &one_at(P))
    }
    /// Floor of `self * scale`.
    pub fn scaled_floor(&self, scale: &BigInt) -> BigInt {
        (&self.0 * scale) >> P
    }
    /// The value times 10^18, rounded to nearest.
    pub fn to_wad(&self) -> BigInt {
        self.scaled(&BigInt::from(1_000_000_000_000_000_000u128))
    }
    /// The value times 2^64, rounded to nearest.
    pub fn to_q64(&self) -> BigInt {
        self.scaled(&one_at(64))
    }
    pub fn to_f64(&self) -> f64 {
        // Keep the top 64 significant bits, then scale.
        let bits = self.0.bits() as i32;
        let drop = (bits - 64).max(0);
        let top: BigInt = &self.0 >> drop as u32;
        top.to_f64().unwrap_or(f64::NAN) * 2f64.powi(drop - P as i32)
    }
}

fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 {
        return (0.0, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022u64 << 52));
    (m, exp - 1022)
}

/// `atanh(1/n)` for an integer `n >= 2`, at `bits` fractional bits.
fn atanh_inv_at(n: i64, bits: u32) -> BigInt {
    let mut sum = BigInt::zero();
    let mut power = div_round(&one_at(bits + 32), &BigInt::from(n));
    let n2 = BigInt::from(n * n);
    let mut k = 1i64;
    while !power.is_zero() {
        sum += &power / k;
        power /= &n2;
        k += 2;
    }
    sum >> 32
}

fn atanh_inv(n: i64) -> Real {
    Real(atanh_inv_at(n, P))
}

/// `atan(1/n)` for an integer `n >= 2`, at `P` bits (plus 32 guard bits).
fn atan_inv(n: i64) -> BigInt {
    atan_inv_at(n, P)
}

/// `atan(1/n)` at `bits` fractional bits plus 32 guard bits.
fn atan_inv_at(n: i64, bits: u32) -> BigInt {
    let mut sum = BigInt::zero();
    let mut power = div_round(&one_at(bits + 32), &BigInt::from(n));
    let n2 = BigInt::from(n * n);
    let mut k = 1i64;
    let mut sign = true;
    while !power.is_zero() {
        if sign {
            sum += &power / k;
        } else {
            sum -= &power / k;
        }
        power /= &n2;
        k += 2;
        sign = !sign;
    }
    sum
}

pub fn ln2() -> &'static Real {
    static V: OnceLock<Real> = OnceLock::new();
    V.get_or_init(|| atanh_inv(3).mul_int(2))
}

pub fn pi() -> &'static Real {
    static V: OnceLock<Real> = OnceLock::new();
    V.get_or_init(|| Real((atan_inv(5) * 16 - atan_inv(239) * 4) >> 32))
}

/// `1 / sqrt(2 pi)`.
pub fn inv_sqrt_2pi() -> &'static Real {
    static V: OnceLock<Real> = OnceLock::new();
    V.get_or_init(|| Real::one().div(&sqrt(&pi().mul_int(2))))
}

/// `e^x`; exact to about 2^-250 relative for |x| < 1000.
pub fn exp(x: &Real) -> Real {
    Real(exp_at(&x.0, P, &ln2().0))
}

/// `e^x` for `x` with `bits` fractional bits, given ln 2 at the same scale.
fn exp_at(x: &BigInt, bits: u32, ln2: &BigInt) -> BigInt {
    // x = k ln2 + r, |r| <= ln2 / 2.
    let k = div_round(x, ln2);
    let r = x - ln2 * &k;
    // Work with 64 guard bits.
    let g = 64;
    let w = bits + g;
    let r_g: BigInt = r << g;
    let one = one_at(w);
    let mut term = one.clone();
    let mut sum = one;
    let mut n = 1i64;
    loop {
        term = ((&term * &r_g) >> w) / n;
        if term.is_zero() {
            break;
        }
        sum += &term;
        n += 1;
    }
    let k = k.to_i64().expect("exponent range");
    let shift = k - g as i64;
    if shift >= 0 {
        sum << shift as u32
    } else {
        sum >> (-shift) as u32
    }
}

/// Natural logarithm of a positive value.
pub fn ln(x: &Real) -> Real {
    assert!(x.0.is_positive(), "ln of non-positive");
    // x = 2^k m, m in [1, 2).
    let k = x.0.bits() as i64 - 1 - P as i64;
    let m = if k >= 0 { &x.0 >> k as u32 } else { &x.0 << (-k) as u32 };
    let g = 64;
    let m_g: BigInt = m << g;
    let one = one_at(P + g);
    let s = div_round(&((&m_g - &one) << (P + g)), &(&m_g + &one));
    let s2 = (&s * &s) >> (P + g);
    let mut power = s.clone();
    let mut sum = BigInt::zero();
    let mut n = 1i64;
    while !power.is_zero() {
        sum += &power / n;
        power = (&power * &s2) >> (P + g);
        n += 2;
    }
    Real((sum * 2) >> g).add(&ln2().mul_int(k))
}

pub fn sqrt(x: &Real) -> Real {
    assert!(!x.0.is_negative());
    Real((&x.0 << P).sqrt())
}

/// Standard normal density.
pub fn pdf(x: &Real) -> Real {
    exp(&x.mul(x).div_int(2).neg()).mul(inv_sqrt_2pi())
}

/// Standard normal distribution function, exact to about 2^-250 absolute,
/// with the same relative accuracy in the lower tail for |x| <= 40.
pub fn cdf(x: &Real) -> Real {
    // N(x) = 1/2 + phi(x) * sum_{n>=0} x^(2n+1) / (2n+1)!!, all terms positive
    // for x > 0. The lower tail cancels about x^2/(2 ln 2) bits: work with that
    // many guard bits on top.
    let a = x.abs();
    let a_f = a.to_f64();
    if a_f > 40.0 {
        return if x.is_negative() { Real::zero() } else { Real::one() };
    }
    let guard = (a_f * a_f * 0.7214) as u32 + 80;
    let w = P + guard;
    let a_w: BigInt = &a.0 << guard;
    let a2 = (&a_w * &a_w) >> w;
    let mut term = a_w.clone();
    let mut sum = BigInt::zero();
    let mut n = 1i64;
    while !term.is_zero() {
        sum += &term;
        n += 2;
        term = ((&term * &a2) >> w) / n;
    }
    // phi(a) at working precision w, where exp(-a^2/2) keeps P relative bits.
    let ln2_w = atanh_inv_at(3, w) * 2;
    let half_sq = -((&a_w * &a_w) >> (w + 1));
    let e_w = exp_at(&half_sq, w, &ln2_w);
    let half = one_at(w - 1);
    let pi_w: BigInt = (atan_inv_at(5, w) * 16 - atan_inv_at(239, w) * 4) >> 32;
    let scaled: BigInt = (pi_w * 2) << w;
    let sqrt_2pi_w = scaled.sqrt();
    let c = div_round(&one_at(2 * w), &sqrt_2pi_w);
    let phi_w = (&e_w * &c) >> w;
    let tail = (&phi_w * &sum) >> w;
    let v = if x.is_negative() { half - tail } else { half + tail };
    Real(v >> guard)
}

/// `max(x, 0)`.
pub fn pos(x: &Real) -> Real {
    if x.is_negative() {
        Real::zero()
    } else {
        x.clone()
    }
}

pub const YEAR_SECONDS: i128 = 31_536_000;

/// Reference Black-Scholes / Black-76 results for one option.
#[derive(Clone, Debug)]
pub struct RefGreeks {
    pub call: Real,
    pub put: Real,
    pub call_delta: Real,
    pub put_delta: Real,
    pub gamma: Real,
    pub vega: Real,
    pub call_theta: Real,
    pub put_theta: Real,
}

/// Reference prices and greeks. `black76` selects the forward model. Inputs
/// are raw WAD integers and seconds, interpreted exactly. Requires positive
/// spot, strike, seconds and volatility.
pub fn black(
    black76: bool,
    spot: u128,
    strike: u128,
    seconds: u64,
    vol: u128,
    rate: i128,
) -> RefGreeks {
    let s = Real::uwad(spot);
    let k = Real::uwad(strike);
    let tau = Real::ratio(seconds as i128, YEAR_SECONDS);
    let sigma = Real::uwad(vol);
    let r = Real::wad(rate);
    let df = exp(&r.mul(&tau).neg());
    let a = if black76 { s.mul(&df) } else { s.clone() };
    let b = k.mul(&df);
    let sqrt_tau = sqrt(&tau);
    let v = sigma.mul(&sqrt_tau);
    let d1 = ln(&a.div(&b)).div(&v).add(&v.div_int(2));
    let d2 = d1.sub(&v);
    let nd1 = cdf(&d1);
    let nd2 = cdf(&d2);
    let nmd1 = cdf(&d1.neg());
    let nmd2 = cdf(&d2.neg());
    let call = a.mul(&nd1).sub(&b.mul(&nd2));
    let put = b.mul(&nmd2).sub(&a.mul(&nmd1));
    let phi = pdf(&d1);
    let delta_scale = if black76 { df.clone() } else { Real::one() };
    let call_delta = delta_scale.mul(&nd1);
    let put_delta = delta_scale.mul(&nmd1).neg();
    let gamma = delta_scale.mul(&phi).div(&s.mul(&v));
    let vega = a.mul(&phi).mul(&sqrt_tau);
    let decay = a.mul(&phi).mul(&sigma).div(&sqrt_tau.mul_int(2)).neg();
    let (call_theta, put_theta) = if black76 {
        (decay.add(&r.mul(&call)), decay.add(&r.mul(&put)))
    } else {
        (decay.sub(&r.mul(&b).mul(&nd2)), decay.add(&r.mul(&b).mul(&nmd2)))
    };
    RefGreeks { call, put, call_delta, put_delta, gamma, vega, call_theta, put_theta }
}

#[cfg(test)]
mod self_checks {
    use super::*;

    fn close(a: &Real, b: f64, tol: f64) -> bool {
        (a.to_f64() - b).abs() <= tol
    }

    #[test]
    fn known_values() {
        assert!(close(ln2(), std::f64::consts::LN_2, 1e-16));
        assert!(close(pi(), std::f64::consts::PI, 1e-15));
        assert!(close(&exp(&Real::one()), std::f64::consts::E, 1e-15));
        assert!(close(&ln(&Real::int(10)), std::f64::consts::LN_10, 1e-15));
        assert!(close(&cdf(&Real::int(-1)), 0.158_655_253_931_457_05, 1e-16));
        assert!(close(&cdf(&Real::int(2)), 0.977_249_868_051_820_8, 1e-16));
        // N(-10) = 7.619853024160527e-24
        assert!((cdf(&Real::int(-10)).to_f64() / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-14);
        // N(-38) = 2.885428351e-316 is below f64's normal range: check ratio.
        let n38 = cdf(&Real::int(-38));
        assert!(n38.is_zero() || n38.0.bits() < 10);
    }
}
