//! Measures every function against the 256-bit reference and writes
//! `contracts/math/ACCURACY.md`.
//!
//! ```text
//! cargo run -p bulwark-math --release --example accuracy                    # CI size
//! cargo run -p bulwark-math --release --example accuracy -- --points 100000 # full
//! ```
//! Options: `--points N` random points per function (default 1,000) on top of
//! the fixed grids; `--seed S`; `--out PATH`.
#![allow(missing_docs, clippy::pedantic, clippy::needless_range_loop)]

#[path = "../tests/reference/mod.rs"]
mod reference;

use std::fmt::Write as _;
use std::time::Instant;

use bulwark_math::{sqrt, Model, OptionKind, Rounding, Wad, SECONDS_PER_YEAR, WAD};
use reference::errors::{
    call_price, cdf_error, exp_error, ln_error, option_errors, pdf_error, pow_error, OptionPoint,
};

/// xorshift64*: a fixed, dependency-free stream so reports are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
    fn log_uniform(&mut self, low: f64, high: f64) -> f64 {
        (low.ln() + (high.ln() - low.ln()) * self.unit()).exp()
    }
}

/// Test inputs are drawn with f64 and then fixed as exact integers; the
/// reference sees the integers exactly.
fn to_wad(x: f64) -> i128 {
    (x * 1e18).round() as i128
}

fn to_uwad(x: f64) -> u128 {
    (x * 1e18).round() as u128
}

#[derive(Default)]
struct Worst {
    value: f64,
    at: String,
    points: u64,
}

impl Worst {
    fn add(&mut self, value: f64, at: impl FnOnce() -> String) {
        self.points += 1;
        if value > self.value || self.at.is_empty() {
            if value > self.value {
                self.value = value;
            }
            self.at = at();
        }
    }
}

fn wad_str(raw: i128) -> String {
    format!("{:.6}", raw as f64 / 1e18)
}

const MONEYNESS: [f64; 11] = [0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 5.0];
const EXPIRIES: [u64; 8] =
    [3_600, 86_400, 604_800, 2_592_000, 7_776_000, 15_552_000, 31_536_000, 63_072_000];
const VOLATILITIES: [f64; 9] = [0.05, 0.1, 0.2, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0];
const RATES: [f64; 4] = [-0.02, 0.0, 0.05, 0.2];
const SPOT: u128 = 1_000 * WAD;

fn main() {
    let mut points = 1_000u64;
    let mut seed = 0x5eed_b01a_u64;
    let mut out = concat!(env!("CARGO_MANIFEST_DIR"), "/ACCURACY.md").to_string();
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--points" => points = args[i + 1].parse().expect("--points N"),
            "--seed" => seed = args[i + 1].parse().expect("--seed S"),
            "--out" => out = args[i + 1].clone(),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    let started = Instant::now();
    let mut rng = Rng(seed | 1);
    let mut rows: Vec<(String, String, Worst, String, String)> = Vec::new();

    // exp
    let mut exp_rel = Worst::default();
    let mut exp_overflows = 0u64;
    for n in 0..points + 2 {
        let x = match n {
            0 => to_wad(47.27),
            1 => to_wad(-41.4),
            _ => to_wad(rng.uniform(-41.4, 47.27)),
        };
        match exp_error(x) {
            Some(s) => exp_rel.add(s.relative, || format!("x = {}", wad_str(x))),
            None => exp_overflows += 1,
        }
    }
    rows.push((
        "`exp`".into(),
        "x uniform in [-41.4, 47.27]".into(),
        exp_rel,
        "2e-14".into(),
        format!("relative, beyond the final 1e-18 rounding; {exp_overflows} inputs above e^x = 3.4e20 correctly reported Overflow"),
    ));

    // ln
    let mut ln_rel = Worst::default();
    let mut ln_abs = Worst::default();
    for _ in 0..points {
        let bits = (rng.next() % 128) as u32 + 1;
        let raw = ((u128::from(rng.next()) << 64) | u128::from(rng.next())) >> (128 - bits);
        let raw = raw.max(1);
        let s = ln_error(raw);
        ln_rel.add(s.relative, || format!("x = {raw} wei"));
        ln_abs.add(s.absolute, || format!("x = {raw} wei"));
    }
    rows.push((
        "`ln`".into(),
        "x log-uniform in [1e-18, 3.4e20]".into(),
        ln_rel,
        "2e-14".into(),
        "relative, beyond the final 1e-18 rounding".into(),
    ));
    rows.push(("`ln`".into(), "same points".into(), ln_abs, "-".into(), "absolute".into()));

    // pow
    let mut pow_rel = Worst::default();
    for _ in 0..points {
        let x = to_uwad(rng.log_uniform(1e-9, 1e9));
        let y = to_wad(rng.uniform(-8.0, 8.0));
        if let Some(s) = pow_error(x, y) {
            pow_rel.add(s.relative, || format!("x = {}, y = {}", wad_str(x as i128), wad_str(y)));
        }
    }
    rows.push((
        "`pow`".into(),
        "x log-uniform in [1e-9, 1e9], y in [-8, 8]".into(),
        pow_rel,
        "2e-14".into(),
        "relative, beyond the final 1e-18 rounding".into(),
    ));

    // sqrt: exactness
    let mut sqrt_worst = Worst::default();
    for _ in 0..points {
        let raw = (u128::from(rng.next()) << 64) | u128::from(rng.next());
        let raw = raw >> (rng.next() % 128);
        let down = sqrt(Wad::from_raw(raw), Rounding::Down).raw();
        let up = sqrt(Wad::from_raw(raw), Rounding::Up).raw();
        let n = num_bigint::BigUint::from(raw) * num_bigint::BigUint::from(WAD);
        let exact_floor = n.sqrt();
        let floor_ok = num_bigint::BigUint::from(down) == exact_floor;
        let up_ok = up == down
            || (num_bigint::BigUint::from(up) * num_bigint::BigUint::from(up) > n
                && up == down + 1);
        sqrt_worst.add(if floor_ok && up_ok { 0.0 } else { 1.0 }, || format!("x = {raw} wei"));
    }
    rows.push((
        "`sqrt`".into(),
        "x uniform in bits over all of u128".into(),
        sqrt_worst,
        "< 1e-18".into(),
        "0 means exact floor (Down) and ceiling (Up) at every point".into(),
    ));

    // cdf and pdf: dense grid on [-10, 10] plus random points out to +-40.
    let mut cdf_abs = Worst::default();
    let mut pdf_abs = Worst::default();
    let mut xs: Vec<i128> = (-1000..=1000).map(|k| k as i128 * WAD as i128 / 100).collect();
    for _ in 0..points {
        xs.push(to_wad(rng.uniform(-10.0, 10.0)));
        xs.push(to_wad(rng.uniform(-40.0, 40.0)));
    }
    for &x in &xs {
        let c = cdf_error(x);
        cdf_abs.add(c.absolute, || format!("x = {}", wad_str(x)));
        let p = pdf_error(x);
        pdf_abs.add(p.absolute, || format!("x = {}", wad_str(x)));
    }
    rows.push((
        "`cdf` N(x)".into(),
        "grid step 0.01 on [-10, 10]; random on [-10, 10] and [-40, 40]".into(),
        cdf_abs,
        "3e-15".into(),
        "absolute".into(),
    ));
    rows.push(("`pdf`".into(), "same points".into(), pdf_abs, "-".into(), "absolute".into()));

    // Options.
    let mut option_points: Vec<(OptionPoint, bool)> = Vec::new();
    for model in [Model::BlackScholes, Model::Black76] {
        for &m in &MONEYNESS {
            for &t in &EXPIRIES {
                for &v in &VOLATILITIES {
                    for &r in &RATES {
                        option_points.push((
                            OptionPoint {
                                model,
                                underlying: SPOT,
                                strike: to_uwad(1000.0 * m),
                                seconds: t,
                                volatility: to_uwad(v),
                                rate: to_wad(r),
                            },
                            true,
                        ));
                    }
                }
            }
        }
        for _ in 0..points {
            option_points.push((
                OptionPoint {
                    model,
                    underlying: SPOT,
                    strike: to_uwad(1000.0 * rng.log_uniform(0.2, 5.0)),
                    seconds: rng.log_uniform(3600.0, 2.0 * SECONDS_PER_YEAR as f64) as u64,
                    volatility: to_uwad(rng.log_uniform(0.05, 3.0)),
                    rate: to_wad(rng.uniform(-0.02, 0.2)),
                },
                false,
            ));
        }
    }
    for model in [Model::BlackScholes, Model::Black76] {
        let name = match model {
            Model::BlackScholes => "Black-Scholes",
            Model::Black76 => "Black-76",
        };
        let mut price = Worst::default();
        let mut delta = Worst::default();
        let mut gamma = Worst::default();
        let mut vega = Worst::default();
        let mut theta = Worst::default();
        let mut parity = Worst::default();
        for (p, _) in option_points.iter().filter(|(p, _)| p.model == model) {
            let e = option_errors(p);
            let at = || {
                format!(
                    "K/S = {:.4}, T = {} s, vol = {:.4}, r = {:.4}",
                    p.strike as f64 / p.underlying as f64,
                    p.seconds,
                    p.volatility as f64 / 1e18,
                    p.rate as f64 / 1e18
                )
            };
            price.add(e.price, at);
            delta.add(e.delta, at);
            gamma.add(e.gamma, at);
            vega.add(e.vega, at);
            theta.add(e.theta, at);
            parity.add(e.parity, at);
        }
        let domain = "underlying 1,000; K/S 0.2-5; T 1 h-2 y; vol 5%-300%; r -2%-20%: grid of 3,168 + random";
        rows.push((
            format!("{name} price (call, put)"),
            domain.into(),
            price,
            "5e-14".into(),
            "absolute, USD".into(),
        ));
        rows.push((
            format!("{name} delta"),
            "same points".into(),
            delta,
            "1e-13".into(),
            "absolute".into(),
        ));
        rows.push((
            format!("{name} gamma"),
            "same points".into(),
            gamma,
            "-".into(),
            "relative beyond 1e-18, \\|gamma\\| floored at 1e-9".into(),
        ));
        rows.push((
            format!("{name} vega"),
            "same points".into(),
            vega,
            "-".into(),
            "relative beyond 1e-18, \\|vega\\| floored at 1e-6".into(),
        ));
        rows.push((
            format!("{name} theta"),
            "same points".into(),
            theta,
            "-".into(),
            "relative beyond 1e-18, \\|theta\\| floored at 1e-6".into(),
        ));
        rows.push((
            format!("{name} put-call parity"),
            "same points".into(),
            parity,
            "2e-14".into(),
            "`\\|C - P - (A - B)\\|`, USD".into(),
        ));
    }

    // Monotonicity on the grid.
    let mut monotone_checks = 0u64;
    let mut violations: Vec<String> = Vec::new();
    for model in [Model::BlackScholes, Model::Black76] {
        for kind in [OptionKind::Call, OptionKind::Put] {
            for &r in &RATES {
                let rate = to_wad(r);
                let price = |m: f64, t: u64, v: f64| {
                    call_price(model, kind, SPOT, to_uwad(1000.0 * m), t, to_uwad(v), rate)
                };
                for &t in &EXPIRIES {
                    for &v in &VOLATILITIES {
                        for w in MONEYNESS.windows(2) {
                            monotone_checks += 1;
                            let (a, b) = (price(w[0], t, v), price(w[1], t, v));
                            let ok = match kind {
                                OptionKind::Call => b <= a,
                                OptionKind::Put => b >= a,
                            };
                            if !ok {
                                violations.push(format!("{model:?} {kind:?} strike {}->{} T {t} vol {v} r {r}: {a} -> {b}", w[0], w[1]));
                            }
                        }
                    }
                }
                for &m in &MONEYNESS {
                    for &t in &EXPIRIES {
                        for w in VOLATILITIES.windows(2) {
                            monotone_checks += 1;
                            let (a, b) = (price(m, t, w[0]), price(m, t, w[1]));
                            if b < a {
                                violations.push(format!(
                                    "{model:?} {kind:?} vol {}->{} K/S {m} T {t} r {r}: {a} -> {b}",
                                    w[0], w[1]
                                ));
                            }
                        }
                    }
                    // Increasing in expiry where the model guarantees it.
                    let guaranteed = match (model, kind) {
                        (Model::BlackScholes, OptionKind::Call) => r >= 0.0,
                        (Model::BlackScholes, OptionKind::Put) | (Model::Black76, _) => r <= 0.0,
                    };
                    if guaranteed {
                        for &v in &VOLATILITIES {
                            for w in EXPIRIES.windows(2) {
                                monotone_checks += 1;
                                let (a, b) = (price(m, w[0], v), price(m, w[1], v));
                                if b < a {
                                    violations.push(format!("{model:?} {kind:?} expiry {}->{} K/S {m} vol {v} r {r}: {a} -> {b}", w[0], w[1]));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    let elapsed = started.elapsed().as_secs_f64();
    let mut md = String::new();
    writeln!(md, "# bulwark-math accuracy\n").unwrap();
    writeln!(md, "Generated by `cargo run -p bulwark-math --release --example accuracy -- --points {points}`").unwrap();
    writeln!(md, "(seed {seed}, {elapsed:.0} s). Do not edit by hand: rerun the command.\n")
        .unwrap();
    writeln!(md, "Every library result is compared with a 256-bit binary fixed-point reference")
        .unwrap();
    writeln!(
        md,
        "(`tests/reference`: Taylor and atanh series, the all-positive series of `N(x)` with"
    )
    .unwrap();
    writeln!(
        md,
        "extra guard bits in the tail). Inputs are exact 18-decimal integers; the reference"
    )
    .unwrap();
    writeln!(
        md,
        "sees them exactly. \"Points\" counts evaluations; option rows count option points,"
    )
    .unwrap();
    writeln!(md, "each priced as a call and a put.\n").unwrap();
    writeln!(md, "| Function | Domain tested | Points | Worst error | Target | Measure | Where |")
        .unwrap();
    writeln!(md, "|---|---|---:|---:|---:|---|---|").unwrap();
    for (name, domain, worst, target, measure) in &rows {
        writeln!(
            md,
            "| {name} | {domain} | {} | {:.2e} | {target} | {measure} | {} |",
            worst.points, worst.value, worst.at
        )
        .unwrap();
    }
    writeln!(md, "\n## Monotonicity\n").unwrap();
    writeln!(
        md,
        "Prices on the grid (K/S {MONEYNESS:?}, T {EXPIRIES:?} s, vol {VOLATILITIES:?}, r {RATES:?}), both models and kinds:"
    )
    .unwrap();
    writeln!(md, "non-increasing (calls) / non-decreasing (puts) in strike, non-decreasing in volatility, and").unwrap();
    writeln!(
        md,
        "non-decreasing in expiry where the model guarantees it (Black-Scholes calls with r >= 0,"
    )
    .unwrap();
    writeln!(md, "Black-Scholes puts and Black-76 with r <= 0).\n").unwrap();
    writeln!(md, "{monotone_checks} neighbouring pairs checked, {} violations.", violations.len())
        .unwrap();
    for v in violations.iter().take(20) {
        writeln!(md, "- {v}").unwrap();
    }
    writeln!(md, "\n## Gas per function\n").unwrap();
    writeln!(
        md,
        "Measured on the real WASM in the sandbox through the test-only MathBench contract: see the\n\
         \"Math library\" section of [reports/gas.md](../../reports/gas.md), regenerated by `scripts/gas`."
    )
    .unwrap();
    std::fs::write(&out, &md).unwrap();
    print!("{md}");
    eprintln!("wrote {out}");
    if !violations.is_empty() {
        std::process::exit(1);
    }
}
