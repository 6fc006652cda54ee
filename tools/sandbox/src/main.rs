//! `bulwark-sandbox`: command-line front end of the sandbox.

use std::path::PathBuf;
use std::process::ExitCode;

use bulwark_sandbox::activation::{check_file, format_table, ActivationError, CheckOptions};

const USAGE: &str = "usage: bulwark-sandbox check [--allow-console] <file.wasm>...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("check") {
        check(&args[1..])
    } else {
        eprintln!("{USAGE}");
        ExitCode::from(2)
    }
}

fn check(args: &[String]) -> ExitCode {
    let mut options = CheckOptions::default();
    let mut files = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--allow-console" => options.allow_console = true,
            flag if flag.starts_with("--") => {
                eprintln!("error: unknown option {flag}\n{USAGE}");
                return ExitCode::from(2);
            }
            file => files.push(PathBuf::from(file)),
        }
    }
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut reports = Vec::new();
    let mut failed = false;
    for file in &files {
        match check_file(file, options) {
            Ok(report) => reports.push(report),
            Err(err @ ActivationError::Io { .. }) => {
                eprintln!("error: {err}");
                failed = true;
            }
            Err(err) => {
                eprintln!("error: {}: {err}", file.display());
                failed = true;
            }
        }
    }
    if !reports.is_empty() {
        print!("{}", format_table(&reports));
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
