//! `sim`: runs a stress scenario against Bulwark and writes the report.
//!
//! ```text
//! sim run [SCENARIO.toml] [--seed N] [--out DIR] [--protocol sandbox|model]
//! sim check SCENARIO.toml...
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
    /// Parses and validates scenario files without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
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
