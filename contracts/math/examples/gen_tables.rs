//! Generates `src/tables.rs`: the Q64 constants and the piecewise polynomial
//! coefficients of the normal tail, from the high-precision reference.
//!
//! `cargo run -p bulwark-math --release --example gen_tables [-- --explore]`
#![allow(missing_docs, clippy::pedantic, clippy::needless_range_loop)]

#[path = "../tests/reference/mod.rs"]
mod reference;

use std::fmt::Write as _;

use num_bigint::BigInt;
use num_traits::ToPrimitive;
use reference::{cdf, exp, ln, ln2, pi, sqrt, Real};

/// Width of one interval of the tail table.
const WIDTH_NUM: i128 = 1;
const WIDTH_DEN: i128 = 1;
/// The tail is fitted on [0, INTERVALS * width).
const INTERVALS: usize = 10;

fn q(v: &Real, bits: u32) -> BigInt {
    v.scaled(&(BigInt::from(1) << bits))
}

/// Interpolating polynomial (monomial coefficients in t in [-1, 1]) of
/// `f(center + half * t)` at `n` Chebyshev nodes.
fn fit(f: &dyn Fn(&Real) -> Real, center: &Real, half: &Real, degree: usize) -> Vec<Real> {
    let n = degree + 1;
    let nodes: Vec<Real> = (0..n)
        .map(|j| Real::from_f64((std::f64::consts::PI * (j as f64 + 0.5) / n as f64).cos()))
        .collect();
    // Augmented Vandermonde system.
    let mut rows: Vec<Vec<Real>> = nodes
        .iter()
        .map(|t| {
            let mut row = Vec::with_capacity(n + 1);
            let mut p = Real::one();
            for _ in 0..n {
                row.push(p.clone());
                p = p.mul(t);
            }
            row.push(f(&center.add(&half.mul(t))));
            row
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by_key(|&r| rows[r][col].abs()).unwrap();
        rows.swap(col, pivot);
        for r in 0..n {
            if r != col {
                let factor = rows[r][col].div(&rows[col][col]);
                for c in col..=n {
                    let v = rows[r][c].sub(&factor.mul(&rows[col][c]));
                    rows[r][c] = v;
                }
            }
        }
    }
    (0..n).map(|i| rows[i][n].div(&rows[i][i])).collect()
}

/// Maximum error of the Q64-rounded polynomial, evaluated exactly, against f.
fn max_error(
    f: &dyn Fn(&Real) -> Real,
    center: &Real,
    half: &Real,
    coeffs: &[Real],
    samples: usize,
) -> f64 {
    let mut worst = 0f64;
    for i in 0..=samples {
        let t = Real::ratio(2 * i as i128 - samples as i128, samples as i128);
        let mut p = Real::zero();
        for c in coeffs.iter().rev() {
            p = p.mul(&t).add(c);
        }
        let err = p.sub(&f(&center.add(&half.mul(&t)))).abs().to_f64();
        worst = worst.max(err);
    }
    worst
}

fn tail(x: &Real) -> Real {
    cdf(&x.neg())
}

fn main() {
    let explore = std::env::args().any(|a| a == "--explore");
    let width = Real::ratio(WIDTH_NUM, WIDTH_DEN);
    let half = width.div_int(2);
    if explore {
        for &(num, den) in &[(1i128, 2i128), (1, 1), (1, 4)] {
            let w = Real::ratio(num, den);
            let h = w.div_int(2);
            let count = (9.5 * den as f64 / num as f64).ceil() as usize;
            let mut line = format!("width {num}/{den}:");
            for i in 0..count {
                let center = w.mul_int(i as i64).add(&h);
                let mut d = 6;
                loop {
                    let coeffs = fit(&tail, &center, &h, d);
                    if max_error(&tail, &center, &h, &coeffs, 64) < 5e-21 || d > 30 {
                        break;
                    }
                    d += 1;
                }
                write!(line, " {d}").unwrap();
            }
            println!("{line}");
        }
        return;
    }

    // Each interval is scaled by 2^scale so that its largest value, N(-i), lies
    // in [1/4, 1/2): the tail keeps 62 significant bits however small it is.
    let scales: Vec<u32> = (0..INTERVALS)
        .map(|i| {
            let left = tail(&width.mul_int(i as i64)).to_f64();
            (0.5 / left).log2().floor().max(0.0) as u32
        })
        .collect();
    // One degree for every interval keeps the evaluation loop uniform.
    let mut degree = 8;
    let tables = 'search: loop {
        let mut rows = Vec::new();
        let mut worst = 0f64;
        for i in 0..INTERVALS {
            let center = width.mul_int(i as i64).add(&half);
            let factor = Real::int(1i128 << scales[i]);
            let scaled = |x: &Real| tail(x).mul(&factor);
            let exact = fit(&scaled, &center, &half, degree);
            let err = max_error(&scaled, &center, &half, &exact, 256);
            worst = worst.max(err);
            let coeffs: Vec<BigInt> = exact.iter().map(|c| q(c, 64)).collect();
            // 5e-21 of the scaled value, or 1e-25 absolute where that is looser:
            // the far tail needs relative accuracy only to keep A N(-x) exact
            // to the wei for any realistic A.
            let tolerance = 5e-21f64.max(1e-25 * 2f64.powi(scales[i] as i32));
            if err > tolerance {
                eprintln!("degree {degree}: interval {i} error {err:e}");
                degree += 1;
                continue 'search;
            }
            rows.push(coeffs);
        }
        eprintln!("degree {degree}: worst fit error {worst:e} (relative to 2^-scale)");
        break rows;
    };

    let mut out = String::new();
    out.push_str("//! Constants in Q64 (value * 2^64) and Q96, generated by\n");
    out.push_str("//! `cargo run -p bulwark-math --release --example gen_tables` from the\n");
    out.push_str("//! 256-bit reference in `tests/reference`. Do not edit by hand.\n");
    out.push_str("#![allow(clippy::unreadable_literal)]\n\n");
    let c = |out: &mut String, doc: &str, name: &str, ty: &str, v: BigInt| {
        writeln!(out, "/// {doc}").unwrap();
        writeln!(out, "pub(crate) const {name}: {ty} = {v};\n").unwrap();
    };
    c(&mut out, "ln 2 in Q96.", "LN2_Q96", "i128", q(ln2(), 96));
    c(&mut out, "ln 2 / 16 in Q96.", "LN2_OVER_16_Q96", "i128", q(&ln2().div_int(16), 96));
    c(
        &mut out,
        "16 / ln 2 in Q64.",
        "SIXTEEN_OVER_LN2_Q64",
        "i128",
        q(&Real::int(16).div(ln2()), 64),
    );
    c(
        &mut out,
        "18 ln 10 in Q64 (ln of the WAD scale).",
        "LN_WAD_Q64",
        "i128",
        q(&ln(&Real::int(10)).mul_int(18), 64),
    );
    c(&mut out, "sqrt 2 in Q64.", "SQRT2_Q64", "u128", q(&sqrt(&Real::int(2)), 64));
    c(
        &mut out,
        "1 / sqrt(2 pi) in Q64.",
        "INV_SQRT_2PI_Q64",
        "i128",
        q(&Real::one().div(&sqrt(&pi().mul_int(2))), 64),
    );
    writeln!(out, "/// `2^(j/16)` in Q64 for `j` in `0..16`.").unwrap();
    writeln!(out, "pub(crate) const EXP2_SIXTEENTHS_Q64: [u128; 16] = [").unwrap();
    for j in 0..16 {
        let v = exp(&ln2().mul_int(j).div_int(16));
        writeln!(out, "    {},", q(&v, 64)).unwrap();
    }
    writeln!(out, "];\n").unwrap();
    writeln!(out, "/// Degree of each tail polynomial.").unwrap();
    writeln!(out, "pub(crate) const TAIL_DEGREE: usize = {degree};\n").unwrap();
    writeln!(
        out,
        "/// Number of tail intervals, each {WIDTH_NUM}/{WIDTH_DEN} wide, starting at 0."
    )
    .unwrap();
    writeln!(out, "pub(crate) const TAIL_INTERVALS: usize = {INTERVALS};\n").unwrap();
    writeln!(
        out,
        "/// Binary scale of each tail interval: `N(-i) * 2^TAIL_SCALE[i]` is in `[1/4, 1/2)`."
    )
    .unwrap();
    let items: Vec<String> = scales.iter().map(|s| s.to_string()).collect();
    writeln!(out, "pub(crate) const TAIL_SCALE: [u32; TAIL_INTERVALS] = [{}];\n", items.join(", "))
        .unwrap();
    writeln!(
        out,
        "/// `N(-x) * 2^TAIL_SCALE[i]` on interval `i` is `sum_k TAIL[i][k] t^k` (Q64) with\n/// `t = 2 (x - i - 1/2)` in `[-1, 1]`: Chebyshev-node interpolants, each within\n/// `max(5e-21 of the scaled value, 1e-25 absolute)` before the evaluation's rounding."
    )
    .unwrap();
    writeln!(out, "pub(crate) const TAIL: [[i128; TAIL_DEGREE + 1]; TAIL_INTERVALS] = [").unwrap();
    for row in &tables {
        let items: Vec<String> =
            row.iter().map(|v| v.to_i128().expect("fits").to_string()).collect();
        writeln!(out, "    [{}],", items.join(", ")).unwrap();
    }
    writeln!(out, "];").unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tables.rs");
    std::fs::write(path, out).unwrap();
    eprintln!("wrote {path}");
}
