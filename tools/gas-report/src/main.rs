//! `gas-report`: measures a fixed set of Bulwark operations in the sandbox and
//! writes `reports/gas.md` and `reports/gas.json`, so that a diff of the
//! checked-in report shows what a change costs.
//!
//! ```text
//! gas-report [--artifacts DIR] [--out DIR] [--check]
//! ```
//!
//! `--check` regenerates the report in memory and fails when the checked-in
//! files differ.

mod math;
mod protocol;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use report::Report;

/// Command-line options.
struct Options {
    artifacts: PathBuf,
    out: PathBuf,
    check: bool,
}

const USAGE: &str = "usage: gas-report [--artifacts DIR] [--out DIR] [--check]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        artifacts: PathBuf::from("target/stylus"),
        out: PathBuf::from("reports"),
        check: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--artifacts" => options.artifacts = args.next().ok_or(USAGE)?.into(),
            "--out" => options.out = args.next().ok_or(USAGE)?.into(),
            "--check" => options.check = true,
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let report = Report {
        sizes: report::sizes(&options.artifacts)?,
        operations: protocol::measure()?,
        math: math::measure(&options.artifacts)?,
    };
    let markdown = report.markdown();
    let json = report.json()?;
    let md_path = options.out.join("gas.md");
    let json_path = options.out.join("gas.json");
    if options.check {
        for (path, fresh) in [(&md_path, &markdown), (&json_path, &json)] {
            let current = std::fs::read_to_string(path)
                .map_err(|e| format!("{}: {e} (run gas-report to create it)", path.display()))?;
            if &current != fresh {
                return Err(format!(
                    "{} differs from what the code measures (run scripts/gas and commit reports/)",
                    path.display()
                ));
            }
        }
        println!("reports/ matches the measured gas and sizes");
    } else {
        std::fs::create_dir_all(&options.out)
            .map_err(|e| format!("{}: {e}", options.out.display()))?;
        std::fs::write(&md_path, &markdown).map_err(|e| format!("{}: {e}", md_path.display()))?;
        std::fs::write(&json_path, &json).map_err(|e| format!("{}: {e}", json_path.display()))?;
        print!("{markdown}");
    }
    Ok(())
}
