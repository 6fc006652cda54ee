//! `sim sweep` end to end, on the plain-Rust model (fast): child runs per
//! seed and grid point, their distribution in sweep.json, and a grid field
//! the scenario does not have refused by name before anything runs.

use std::process::Command;

use bulwark_sim::sweep::PointSummary;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sim"))
}

#[test]
fn a_sweep_runs_every_seed_of_every_grid_point_and_summarises_them() {
    let out = std::env::temp_dir().join(format!("bulwark-sweep-{}", std::process::id()));
    let status = sim()
        .args(["sweep", "--protocol", "model", "--seeds", "3", "--first-seed", "10"])
        .args(["--grid", "initial_margin=0.08,0.12", "--jobs", "2", "--out"])
        .arg(&out)
        .output()
        .expect("sim runs");
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&status.stderr));
    let text = std::fs::read_to_string(out.join("sweep.json")).expect("sweep.json");
    let points: Vec<PointSummary> = serde_json::from_str(&text).expect("valid");
    assert_eq!(points.len(), 2);
    for (point, margin) in points.iter().zip([0.08, 0.12]) {
        assert_eq!(point.parameters, vec![("initial_margin".to_string(), margin)]);
        assert_eq!(point.runs, 3, "{stdout}");
        let seeds: Vec<u64> = point.outcomes.iter().map(|o| o.seed).collect();
        assert_eq!(seeds, [10, 11, 12]);
        assert!(point.failed_runs.is_empty());
        // The distribution is of the runs' own numbers.
        let worst = point.outcomes.iter().map(|o| o.lp_drawdown).fold(0.0, f64::max);
        assert!((point.lp_drawdown.max - worst).abs() < 1e-12);
        // Each run left its own report, with the grid value applied.
        let scenario = std::fs::read_to_string(
            out.join(format!("point-{}/scenario.toml", usize::from(margin > 0.1))),
        )
        .unwrap();
        assert!(scenario.contains(&format!("initial_margin = {margin}")));
    }
    assert!(stdout.contains("initial_margin=0.08"), "{stdout}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_grid_over_an_unknown_field_is_refused_before_any_run() {
    let out = std::env::temp_dir().join(format!("bulwark-sweep-bad-{}", std::process::id()));
    let status = sim()
        .args(["sweep", "--protocol", "model", "--seeds", "2", "--grid", "no_such_field=1"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("sim runs");
    assert_eq!(status.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains("no_such_field"), "{stderr}");
    assert!(!out.join("point-0/seed-10").exists());
    std::fs::remove_dir_all(&out).ok();
}
