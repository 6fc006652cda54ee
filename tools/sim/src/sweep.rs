//! `sim sweep`: one scenario over many seeds, optionally over a grid of
//! `[protocol]` parameters, and the distribution of what a risk team looks
//! at (bad debt, liquidation latency, LP drawdown) per grid point.
//!
//! The runs themselves are `sim run` child processes (see `main.rs`), so
//! they use every core and one run's failure cannot take the others down;
//! this module builds the grid and summarises the reports.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::metrics::percentile;
use crate::report::Report;

/// One `[protocol]` parameter and the values to try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Field name under `[protocol]`.
    pub field: String,
    /// Values.
    pub values: Vec<f64>,
}

impl Axis {
    /// Parses `field=v1,v2,...`.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(text: &str) -> Result<Axis, String> {
        let (field, values) = text
            .split_once('=')
            .ok_or_else(|| format!("expected FIELD=V1,V2,..., found {text:?}"))?;
        let field = field.trim().trim_start_matches("protocol.").to_string();
        if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("expected a [protocol] field name, found {field:?}"));
        }
        let values = values
            .split(',')
            .map(|v| v.trim().parse::<f64>().map_err(|e| format!("{field}: {v:?}: {e}")))
            .collect::<Result<Vec<f64>, String>>()?;
        if values.is_empty() {
            return Err(format!("{field}: no values"));
        }
        Ok(Axis { field, values })
    }
}

/// Every combination of the axes' values (one empty point without axes).
#[must_use]
pub fn grid(axes: &[Axis]) -> Vec<Vec<(String, f64)>> {
    let mut points = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|point| {
                axis.values.iter().map(move |v| {
                    let mut next = point.clone();
                    next.push((axis.field.clone(), *v));
                    next
                })
            })
            .collect();
    }
    points
}

/// The scenario text with `[protocol]` fields set: an existing `field = ...`
/// line in the section is replaced, else the field is added to it (the
/// section is added when missing). The result is parsed and validated by the
/// run like any scenario, so a wrong name or value is reported there.
#[must_use]
pub fn with_protocol(text: &str, point: &[(String, f64)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for (field, value) in point {
        // Whole numbers as integers: integer fields (oracle_max_age) need
        // them, and a float field takes them too.
        #[allow(clippy::cast_possible_truncation)]
        let line = if value.fract() == 0.0 && value.abs() < 1e15 {
            format!("{field} = {}", *value as i64)
        } else {
            format!("{field} = {value:?}")
        };
        let section = lines.iter().position(|l| l.trim() == "[protocol]");
        let Some(start) = section else {
            lines.push(String::new());
            lines.push("[protocol]".to_string());
            lines.push(line);
            continue;
        };
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .map_or(lines.len(), |i| start + 1 + i);
        let existing = (start + 1..end)
            .find(|&i| lines[i].split_once('=').is_some_and(|(k, _)| k.trim() == field.as_str()));
        match existing {
            Some(i) => lines[i] = line,
            None => lines.insert(start + 1, line),
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Nearest-rank percentiles of a sample ([`percentile`], as the run's own
/// spreads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Distribution {
    /// The distribution of `values` (zeros when empty).
    #[must_use]
    pub fn of(values: &[f64]) -> Distribution {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| percentile(&v, p).unwrap_or(0.0);
        Distribution { p50: rank(50.0), p95: rank(95.0), p99: rank(99.0), max: rank(100.0) }
    }
}

/// What one run of a sweep gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Its seed.
    pub seed: u64,
    /// Bad debt (USD).
    pub bad_debt: f64,
    /// Worst liquidation latency (seconds from first seen liquidatable).
    pub latency_max_seconds: f64,
    /// LP drawdown: 1 - lowest share price / starting share price.
    pub lp_drawdown: f64,
    /// Liquidations.
    pub liquidations: u64,
    /// Accounts still liquidatable at the end.
    pub open_at_end: u64,
    /// Invariant violations.
    pub violations: usize,
}

impl RunOutcome {
    /// The outcome of a run from its report.
    #[must_use]
    pub fn of(seed: u64, report: &Report) -> RunOutcome {
        let s = &report.summary;
        #[allow(clippy::cast_precision_loss)]
        let latency = report.liquidation_latency.seconds.max as f64;
        let lp_drawdown = s
            .lp_share_price
            .filter(|[start, _, _]| *start > 0.0)
            .map_or(0.0, |[start, _, low]| (1.0 - low / start).max(0.0));
        RunOutcome {
            seed,
            bad_debt: s.bad_debt.unwrap_or(0.0),
            latency_max_seconds: latency,
            lp_drawdown,
            liquidations: s.liquidations,
            open_at_end: report.liquidation_latency.open_at_end,
            violations: report.violations.len(),
        }
    }
}

/// The summary of one grid point over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointSummary {
    /// The `[protocol]` values of this point.
    pub parameters: Vec<(String, f64)>,
    /// Runs that finished (with a report).
    pub runs: usize,
    /// Runs that could not be made, with the reason.
    pub failed_runs: Vec<(u64, String)>,
    /// Runs with an invariant violation.
    pub runs_with_violations: usize,
    /// Bad debt (USD).
    pub bad_debt: Distribution,
    /// Worst liquidation latency per run (seconds).
    pub latency_max_seconds: Distribution,
    /// LP drawdown per run (fraction).
    pub lp_drawdown: Distribution,
    /// Each run.
    pub outcomes: Vec<RunOutcome>,
}

impl PointSummary {
    /// Summarises the outcomes of one point.
    #[must_use]
    pub fn of(
        parameters: Vec<(String, f64)>,
        outcomes: Vec<RunOutcome>,
        failed_runs: Vec<(u64, String)>,
    ) -> PointSummary {
        let column = |f: fn(&RunOutcome) -> f64| outcomes.iter().map(f).collect::<Vec<f64>>();
        PointSummary {
            parameters,
            runs: outcomes.len(),
            failed_runs,
            runs_with_violations: outcomes.iter().filter(|o| o.violations > 0).count(),
            bad_debt: Distribution::of(&column(|o| o.bad_debt)),
            latency_max_seconds: Distribution::of(&column(|o| o.latency_max_seconds)),
            lp_drawdown: Distribution::of(&column(|o| o.lp_drawdown)),
            outcomes,
        }
    }
}

/// The terminal table of a sweep.
#[must_use]
pub fn table(points: &[PointSummary]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<36} {:>5} {:>5}  {:>27}  {:>23}  {:>23}",
        "parameters",
        "runs",
        "viol.",
        "bad debt $ p50/p95/p99/max",
        "latency s p50/p99/max",
        "LP drawdown p50/p99/max"
    );
    for p in points {
        let name = if p.parameters.is_empty() {
            "(scenario as written)".to_string()
        } else {
            p.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
        };
        let d = &p.bad_debt;
        let l = &p.latency_max_seconds;
        let w = &p.lp_drawdown;
        let _ = writeln!(
            o,
            "{name:<36} {:>5} {:>5}  {:>27}  {:>23}  {:>23}",
            p.runs,
            p.runs_with_violations,
            format!("{:.0}/{:.0}/{:.0}/{:.0}", d.p50, d.p95, d.p99, d.max),
            format!("{:.0}/{:.0}/{:.0}", l.p50, l.p99, l.max),
            format!("{:.2}%/{:.2}%/{:.2}%", w.p50 * 100.0, w.p99 * 100.0, w.max * 100.0),
        );
        for (seed, reason) in &p.failed_runs {
            let _ = writeln!(o, "  seed {seed} could not run: {reason}");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_and_refuse_bad_input() {
        let axis = Axis::parse("protocol.initial_margin=0.08, 0.1,0.12").unwrap();
        assert_eq!(axis, Axis { field: "initial_margin".into(), values: vec![0.08, 0.1, 0.12] });
        assert!(Axis::parse("initial_margin").unwrap_err().contains("FIELD=V1"));
        assert!(Axis::parse("initial margin=1").unwrap_err().contains("field name"));
        assert!(Axis::parse("x=1,abc").unwrap_err().contains("\"abc\""));
    }

    #[test]
    fn the_grid_is_every_combination() {
        let axes = [
            Axis { field: "a".into(), values: vec![1.0, 2.0] },
            Axis { field: "b".into(), values: vec![3.0, 4.0, 5.0] },
        ];
        let points = grid(&axes);
        assert_eq!(points.len(), 6);
        assert_eq!(points[0], vec![("a".to_string(), 1.0), ("b".to_string(), 3.0)]);
        assert_eq!(points[5], vec![("a".to_string(), 2.0), ("b".to_string(), 5.0)]);
        assert_eq!(grid(&[]), vec![Vec::new()]);
    }

    #[test]
    fn protocol_fields_are_replaced_or_added_in_their_section() {
        let text =
            "name = \"x\"\n[protocol]\ninitial_margin = 0.1\n\n[[agents.lps]]\nname = \"l\"\n";
        let set =
            with_protocol(text, &[("initial_margin".into(), 0.2), ("taker_fee".into(), 0.001)]);
        assert!(set.contains("[protocol]\ntaker_fee = 0.001\ninitial_margin = 0.2\n"), "{set}");
        assert!(set.contains("[[agents.lps]]\nname = \"l\""));
        let added = with_protocol("name = \"x\"\n", &[("insurance_fund".into(), 5.0)]);
        assert!(added.ends_with("[protocol]\ninsurance_fund = 5\n"), "{added}");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = Distribution::of(&values);
        assert_eq!((d.p50, d.p95, d.p99, d.max), (50.0, 95.0, 99.0, 100.0));
        assert_eq!(Distribution::of(&[]), Distribution::default());
        assert!((Distribution::of(&[7.0]).p50 - 7.0).abs() < 1e-12);
    }
}
