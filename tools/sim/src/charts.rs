//! Charts of a report as SVG files (plotters' SVG backend: no fonts or
//! system libraries needed).

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::report::Report;

/// A chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("chart {file}: {message}")]
pub struct ChartError {
    /// The file.
    pub file: PathBuf,
    /// What failed.
    pub message: String,
}

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// One line of a chart: label and `(hours, value)` points.
type Line = (String, Vec<(f64, f64)>);

/// Writes every chart into `dir`; returns the files written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    let start = report.series.first().map_or(0, |s| s.timestamp);
    #[allow(clippy::cast_precision_loss)]
    let hours = |t: u64| (t.saturating_sub(start)) as f64 / 3_600.0;
    let mut written = Vec::new();
    for (u, name) in report.underlyings.iter().enumerate() {
        let line: Vec<(f64, f64)> = report
            .series
            .iter()
            .filter_map(|s| Some((hours(s.timestamp), *s.prices.get(u)?)))
            .collect();
        let marks: Vec<(f64, f64)> = report
            .liquidations
            .iter()
            .filter_map(|l| {
                let s = report.series.iter().find(|s| s.block == l.block)?;
                Some((hours(l.timestamp), *s.prices.get(u)?))
            })
            .collect();
        let file = dir.join(format!("price_{}.svg", sanitize(name)));
        draw(
            &file,
            &format!("{name} price (USD), liquidations marked"),
            &[(format!("{name} oracle price"), line)],
            &[("liquidation".to_string(), marks)],
        )?;
        written.push(file);
    }
    let series = |f: &dyn Fn(&crate::report::Sample) -> Option<f64>| -> Vec<(f64, f64)> {
        report.series.iter().filter_map(|s| Some((hours(s.timestamp), f(s)?))).collect()
    };
    let file = dir.join("tvl_open_interest.svg");
    draw(
        &file,
        "TVL and open interest (USD)",
        &[
            ("collateral".into(), series(&|s| s.collateral)),
            ("pool".into(), series(&|s| s.pool)),
            ("open interest".into(), series(&|s| s.open_interest.as_ref().map(|v| v.iter().sum()))),
        ],
        &[],
    )?;
    written.push(file);
    let file = dir.join("insurance_bad_debt.svg");
    draw(
        &file,
        "insurance fund and bad debt (USD)",
        &[
            ("insurance fund".into(), series(&|s| s.insurance_fund)),
            ("bad debt".into(), series(&|s| s.bad_debt)),
        ],
        &[],
    )?;
    written.push(file);
    Ok(written)
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

fn draw(file: &Path, title: &str, lines: &[Line], points: &[Line]) -> Result<(), ChartError> {
    let err =
        |e: &dyn std::fmt::Display| ChartError { file: file.to_path_buf(), message: e.to_string() };
    let all = lines.iter().chain(points).flat_map(|(_, v)| v.iter());
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let pad = ((y1 - y0) * 0.05).max(y1.abs() * 0.01).max(1e-9);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let root = SVGBackend::new(file, (1000, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("hours from start")
        .y_label_formatter(&|y| crate::report::thousands(*y))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (label, data)) in lines.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(data.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    for (label, data) in points {
        chart
            .draw_series(data.iter().map(|&(x, y)| Circle::new((x, y), 4, RED.filled())))
            .map_err(|e| err(&e))?
            .label(label.clone())
            .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
