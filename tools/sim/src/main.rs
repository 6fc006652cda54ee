//! `sim`: runs a stress scenario against Bulwark and writes the report.
//!
//! ```text
//! sim run [SCENARIO.toml] [--seed N] [--out DIR] [--protocol sandbox|model]
//! sim check SCENARIO.toml...
//! sim sweep [SCENARIO.toml] [--seeds N] [--grid FIELD=V1,V2]... [--jobs J] [--out DIR]
//! ```
//!
//! Exit status: 0 when every invariant held, 1 when one was violated, 2 when
//! the run could not be made (bad scenario, missing artifacts, chain error).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bulwark_sim::engine;
use bulwark_sim::model::ModelProtocol;
use bulwark_sim::protocol::Protocol;
use bulwark_sim::report::Report;
use bulwark_sim::sandbox::SandboxProtocol;
use bulwark_sim::scenario::{Scenario, DEFAULT_SCENARIO_FILE};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Parser)]
#[command(name = "sim", version, about = "Bulwark's stress simulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a scenario (the built-in default when none is given).
    Run {
        /// Scenario file (TOML).
        scenario: Option<PathBuf>,
        /// Seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Where report.json and the charts go.
        #[arg(long, default_value = "target/sim")]
        out: PathBuf,
        /// Which implementation to drive.
        #[arg(long, value_enum, default_value_t = Backend::Sandbox)]
        protocol: Backend,
        /// Do not build missing artifacts (fail instead).
        #[arg(long)]
        no_build: bool,
        /// Accept artifacts above the deployed-code size limits (unoptimised builds).
        #[arg(long)]
        allow_oversize: bool,
    },
    /// Runs a scenario over many seeds (and a grid of `[protocol]` values)
    /// in parallel processes and reports the distribution per grid point.
    Sweep {
        /// Scenario file (TOML; the built-in default when none is given).
        scenario: Option<PathBuf>,
        /// How many seeds per grid point.
        #[arg(long, default_value_t = 8)]
        seeds: u64,
        /// First seed (default: the scenario's `seed`); the others follow it.
        #[arg(long)]
        first_seed: Option<u64>,
        /// A `[protocol]` field and the values to try, e.g.
        /// `--grid initial_margin=0.08,0.1`; several make a grid.
        #[arg(long)]
        grid: Vec<String>,
        /// Runs at a time (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Where sweep.json and each run's report go.
        #[arg(long, default_value = "target/sim/sweep")]
        out: PathBuf,
        /// Which implementation to drive.
        #[arg(long, value_enum, default_value_t = Backend::Sandbox)]
        protocol: Backend,
        /// Accept artifacts above the deployed-code size limits (unoptimised builds).
        #[arg(long)]
        allow_oversize: bool,
    },
    /// Parses and validates scenario files without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// The real WASM contracts in the in-process Stylus sandbox.
    Sandbox,
    /// The plain-Rust reference model (tests the simulator, not the contracts).
    Model,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check { scenarios } => {
            let mut ok = true;
            for path in scenarios {
                match Scenario::load(&path) {
                    Ok(s) => println!("{}: ok ({} blocks)", path.display(), s.blocks()),
                    Err(e) => {
                        eprintln!("error: {e}");
                        ok = false;
                    }
                }
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Command::Sweep {
            scenario,
            seeds,
            first_seed,
            grid,
            jobs,
            out,
            protocol,
            allow_oversize,
        } => {
            let options = SweepOptions { seeds, first_seed, grid, jobs, protocol, allow_oversize };
            match sweep(scenario.as_deref(), &options, &out) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Run { scenario, seed, out, protocol, no_build, allow_oversize } => {
            match run(scenario.as_deref(), seed, &out, protocol, no_build, allow_oversize) {
                Ok(report) if report.failed() => ExitCode::from(1),
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn run(
    path: Option<&std::path::Path>,
    seed: Option<u64>,
    out: &std::path::Path,
    backend: Backend,
    no_build: bool,
    allow_oversize: bool,
) -> Result<Report, Box<dyn std::error::Error>> {
    let (scenario, file) = match path {
        Some(p) => (Scenario::load(p)?, p.display().to_string()),
        None => (Scenario::builtin()?, DEFAULT_SCENARIO_FILE.to_string()),
    };
    let seed = seed.unwrap_or(scenario.seed);
    let started = Instant::now();
    let report = match backend {
        Backend::Model => simulate(&scenario, &file, seed, &mut ModelProtocol::new())?,
        Backend::Sandbox => {
            let mut protocol = SandboxProtocol::new(!no_build, !allow_oversize)?;
            simulate(&scenario, &file, seed, &mut protocol)?
        }
    };
    let elapsed = started.elapsed();
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("report.json"), report.to_json())?;
    std::fs::write(out.join("transactions.jsonl"), report.transactions_jsonl())?;
    let charts = bulwark_sim::charts::write_all(&report, out)?;
    print!("{}", report.summary_text());
    println!("\nwrote {}", out.join("report.json").display());
    println!(
        "wrote {} ({} transactions)",
        out.join("transactions.jsonl").display(),
        report.transactions.len()
    );
    for c in charts {
        println!("wrote {}", c.display());
    }
    println!("finished in {:.1} s", elapsed.as_secs_f64());
    if report.failed() {
        eprintln!("error: {} invariant violation(s); see report.json", report.violations.len());
    }
    Ok(report)
}

fn simulate<P: Protocol>(
    scenario: &Scenario,
    file: &str,
    seed: u64,
    protocol: &mut P,
) -> Result<Report, engine::SimError> {
    let bar = ProgressBar::new(scenario.blocks());
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} blocks {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(protocol.kind());
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let report = engine::run(scenario, file, seed, protocol, &mut |b| bar.set_position(b));
    bar.finish_and_clear();
    report
}

/// `sim sweep`'s options.
struct SweepOptions {
    seeds: u64,
    first_seed: Option<u64>,
    grid: Vec<String>,
    jobs: Option<usize>,
    protocol: Backend,
    allow_oversize: bool,
}

/// Runs every (grid point, seed) as a `sim run` child process, at most
/// `jobs` at a time, and summarises their reports. Exit status: 0 when
/// every run finished with every invariant held, 1 when one was violated, 2
/// when a run could not be made.
fn sweep(
    path: Option<&std::path::Path>,
    options: &SweepOptions,
    out: &std::path::Path,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    use bulwark_sim::sweep::{self, Axis, PointSummary, RunOutcome};
    use std::process::Child;

    let text = match path {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => bulwark_sim::scenario::DEFAULT_SCENARIO.to_string(),
    };
    let base = Scenario::parse(&text, "scenario")?;
    let axes = options.grid.iter().map(|g| Axis::parse(g)).collect::<Result<Vec<_>, _>>()?;
    if options.seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    if options.protocol == Backend::Sandbox {
        // Build (or check) the artifacts once; the runs only read them.
        SandboxProtocol::new(true, !options.allow_oversize)?;
    }
    let first = options.first_seed.unwrap_or(base.seed);
    let points = sweep::grid(&axes);
    let mut queue = Vec::new();
    for (k, point) in points.iter().enumerate() {
        let dir = out.join(format!("point-{k}"));
        std::fs::create_dir_all(&dir)?;
        let scenario_text = sweep::with_protocol(&text, point);
        Scenario::parse(&scenario_text, &format!("grid point {k}"))?;
        let file = dir.join("scenario.toml");
        std::fs::write(&file, scenario_text)?;
        for seed in first..first + options.seeds {
            queue.push((k, seed, file.clone(), dir.join(format!("seed-{seed}"))));
        }
    }
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
        .max(1);
    let exe = std::env::current_exe()?;
    let protocol = if options.protocol == Backend::Sandbox { "sandbox" } else { "model" };
    let started = Instant::now();
    let total = queue.len();
    let mut outcomes: Vec<Vec<RunOutcome>> = vec![Vec::new(); points.len()];
    let mut failed: Vec<Vec<(u64, String)>> = vec![Vec::new(); points.len()];
    let mut running: Vec<(usize, u64, PathBuf, Child)> = Vec::new();
    queue.reverse();
    while !queue.is_empty() || !running.is_empty() {
        while running.len() < jobs {
            let Some((k, seed, file, dir)) = queue.pop() else { break };
            let child = spawn_run(&exe, &file, seed, &dir, protocol, options.allow_oversize)?;
            running.push((k, seed, dir, child));
        }
        let mut i = 0;
        while i < running.len() {
            if let Some(status) = running[i].3.try_wait()? {
                let (k, seed, dir, _) = running.swap_remove(i);
                let report = std::fs::read_to_string(dir.join("report.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<Report>(&t).ok());
                match (status.code(), report) {
                    (Some(0 | 1), Some(report)) => outcomes[k].push(RunOutcome::of(seed, &report)),
                    (code, _) => {
                        let log = std::fs::read_to_string(dir.join("run.log")).unwrap_or_default();
                        let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                        failed[k].push((seed, format!("exit {code:?}: {last}")));
                    }
                }
                let done = total - queue.len() - running.len();
                eprintln!(
                    "sweep: {done}/{total} runs done ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            } else {
                i += 1;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let summaries: Vec<PointSummary> = points
        .into_iter()
        .zip(outcomes)
        .zip(failed)
        .map(|((point, mut runs), failures)| {
            runs.sort_by_key(|r| r.seed);
            PointSummary::of(point, runs, failures)
        })
        .collect();
    std::fs::write(out.join("sweep.json"), serde_json::to_string_pretty(&summaries)? + "\n")?;
    print!("{}", sweep::table(&summaries));
    println!("\nwrote {}", out.join("sweep.json").display());
    println!("{total} runs, {jobs} at a time, in {:.1} s", started.elapsed().as_secs_f64());
    Ok(if summaries.iter().any(|p| !p.failed_runs.is_empty()) {
        ExitCode::from(2)
    } else if summaries.iter().any(|p| p.runs_with_violations > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Starts `sim run` for one seed of a sweep, its output in `dir/run.log`.
fn spawn_run(
    exe: &std::path::Path,
    file: &std::path::Path,
    seed: u64,
    dir: &std::path::Path,
    protocol: &str,
    allow_oversize: bool,
) -> std::io::Result<std::process::Child> {
    std::fs::create_dir_all(dir)?;
    let log = std::fs::File::create(dir.join("run.log"))?;
    let mut command = std::process::Command::new(exe);
    command.arg("run").arg(file).args(["--seed", &seed.to_string()]);
    command.arg("--out").arg(dir).args(["--protocol", protocol, "--no-build"]);
    if allow_oversize {
        command.arg("--allow-oversize");
    }
    command.stdout(log.try_clone()?).stderr(log).stdin(std::process::Stdio::null()).spawn()
}
