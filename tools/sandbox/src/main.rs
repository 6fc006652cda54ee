//! `bulwark-sandbox`: command-line front end of the sandbox.
//!
//! - `check`: the offline activation check `scripts/check` runs.
//! - `finalize`: the last step of `scripts/build` (no `DataCount` section, at
//!   most 128 data segments), rewriting each file in place.
//! - `run`: deploys artifacts and calls them by Solidity signature, printing
//!   each receipt, so a person can try a contract by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use alloy_dyn_abi::{DynSolType, DynSolValue, FunctionExt, JsonAbiExt, Specifier};
use alloy_json_abi::{Constructor, Function};
use alloy_primitives::{hex, Address, U256};
use bulwark_sandbox::activation::{check_file, format_table, ActivationError, CheckOptions};
use bulwark_sandbox::{Outcome, Receipt, Sandbox, Tx, DEFAULT_GAS_LIMIT};

const USAGE: &str = "\
usage:
  bulwark-sandbox check [--allow-console] [--arbos VERSION] [--waive-size NAME,...] <file.wasm>...
  bulwark-sandbox finalize <file.wasm>...
  bulwark-sandbox run [--allow-console] <step>...

steps of `run`, executed in order on one fresh chain:
  as <address>                       sender of the following steps
  fund <address|@name> <wei>         set a balance
  value <wei>                        value sent with the next call
  gas <limit>                        gas limit of the following calls
  deploy <name> <file.wasm> ['constructor(<types>)' <args>...]
  call <@name|address> '<signature>' <args>...
  view <@name|address> '<signature>' <args>...
  warp <seconds>                     advance the block timestamp
  mine <blocks>                      advance the block number (and time)
  cache <@name>                      treat the program as cached (cheaper entry)

A signature is `transfer(address,uint256) returns (bool)`; the return types
are optional and only used to decode the output. `@name` stands for the
address of a contract deployed earlier in the same run.

example:
  bulwark-sandbox run \\
    deploy token target/stylus/MockERC20.wasm 'constructor(string,string,uint8)' Mock MCK 6 \\
    call @token 'mint(address,uint256)' 0x00000000000000000000000000000000000a11ce 1000 \\
    view @token 'balanceOf(address) returns (uint256)' 0x00000000000000000000000000000000000a11ce";

const KEYWORDS: &[&str] =
    &["as", "fund", "value", "gas", "deploy", "call", "view", "warp", "mine", "cache"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("finalize") => finalize(&args[1..]),
        Some("run") => match run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &[String]) -> ExitCode {
    let mut options = CheckOptions::default();
    let mut files = Vec::new();
    let mut waived: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--allow-console" => options.allow_console = true,
            "--arbos" => {
                let Some(Ok(version)) = args.next().map(|v| v.parse::<u64>()) else {
                    eprintln!("error: --arbos needs an ArbOS version number\n{USAGE}");
                    return ExitCode::from(2);
                };
                options.arbos_version = version;
            }
            "--waive-size" => {
                let Some(names) = args.next() else {
                    eprintln!(
                        "error: --waive-size needs a comma-separated list of contracts\n{USAGE}"
                    );
                    return ExitCode::from(2);
                };
                waived.extend(names.split(',').map(str::to_owned));
            }
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
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let options = CheckOptions { waive_size: waived.contains(&stem), ..options };
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
    for report in reports.iter().filter(|r| !r.fits()) {
        eprintln!(
            "warning: {} is {:.1}% of the size limit and could not be deployed; its size is waived",
            report.contract,
            report.percent_of_limit()
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Rewrites each file in place so that Nitro's activation accepts it, and
/// says what changed.
fn finalize(files: &[String]) -> ExitCode {
    if files.is_empty() || files.iter().any(|f| f.starts_with("--")) {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    for file in files {
        let result = std::fs::read(file).map_err(|e| e.to_string()).and_then(|wasm| {
            let out = bulwark_sandbox::finalize::finalize(
                &wasm,
                bulwark_sandbox::finalize::MAX_DATA_SEGMENTS,
            )
            .map_err(|e| e.to_string())?;
            std::fs::write(file, &out.wasm).map_err(|e| e.to_string())?;
            Ok(out)
        });
        match result {
            Ok(out) => println!(
                "{file}: {}data segments {} -> {} (+{} zero bytes)",
                if out.removed_data_count { "DataCount section removed; " } else { "" },
                out.segments_before,
                out.segments_after,
                out.gap_bytes
            ),
            Err(message) => {
                eprintln!("error: {file}: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

struct Session {
    sandbox: Sandbox,
    names: BTreeMap<String, Address>,
    sender: Address,
    value: U256,
    gas_limit: u64,
}

impl Session {
    fn address(&self, token: &str) -> Result<Address, String> {
        if let Some(name) = token.strip_prefix('@') {
            return self
                .names
                .get(name)
                .copied()
                .ok_or_else(|| format!("no contract named {name}"));
        }
        token.parse().map_err(|_| format!("not an address or @name: {token}"))
    }

    fn substitute(&self, arg: &str) -> Result<String, String> {
        if arg.starts_with('@') {
            Ok(self.address(arg)?.to_string())
        } else {
            Ok(arg.to_string())
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let mut args = args;
    let mut sandbox = Sandbox::new();
    if args.first().map(String::as_str) == Some("--allow-console") {
        sandbox.allow_console(true);
        args = &args[1..];
    }
    if args.is_empty() {
        return Err(format!("no steps\n{USAGE}"));
    }
    let sender = Address::left_padding_from(&[0x0a, 0x11, 0xce]);
    sandbox.set_balance(sender, U256::from(10_u64).pow(U256::from(21)));
    let mut session = Session {
        sandbox,
        names: BTreeMap::new(),
        sender,
        value: U256::ZERO,
        gas_limit: DEFAULT_GAS_LIMIT,
    };
    // Split the arguments into steps at each keyword.
    let mut steps: Vec<&[String]> = Vec::new();
    let mut start = 0;
    for i in 1..=args.len() {
        if i == args.len() || KEYWORDS.contains(&args[i].as_str()) {
            steps.push(&args[start..i]);
            start = i;
        }
    }
    for step in steps {
        run_step(&mut session, step)?;
    }
    Ok(())
}

fn arg<'a>(step: &'a [String], i: usize, what: &str) -> Result<&'a str, String> {
    step.get(i).map(String::as_str).ok_or_else(|| format!("`{}` needs {what}", step[0]))
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn run_step(s: &mut Session, step: &[String]) -> Result<(), String> {
    match step[0].as_str() {
        "as" => s.sender = s.address(arg(step, 1, "an address")?)?,
        "fund" => {
            let who = s.address(arg(step, 1, "an address")?)?;
            let wei: U256 =
                arg(step, 2, "an amount")?.parse().map_err(|_| "bad amount".to_string())?;
            s.sandbox.set_balance(who, wei);
        }
        "value" => {
            s.value = arg(step, 1, "an amount")?.parse().map_err(|_| "bad amount".to_string())?;
        }
        "gas" => s.gas_limit = number(arg(step, 1, "a gas limit")?)?,
        "warp" => s.sandbox.advance_time(number(arg(step, 1, "seconds")?)?),
        "mine" => s.sandbox.mine(number(arg(step, 1, "a block count")?)?),
        "cache" => {
            let address = s.address(arg(step, 1, "a contract")?)?;
            s.sandbox.set_cached(address, true);
        }
        "deploy" => deploy(s, step)?,
        "call" | "view" => call(s, step)?,
        other => return Err(format!("unknown step `{other}`\n{USAGE}")),
    }
    Ok(())
}

fn encode_args(
    s: &Session,
    types: &[DynSolType],
    args: &[String],
) -> Result<Vec<DynSolValue>, String> {
    if types.len() != args.len() {
        return Err(format!("expected {} arguments, got {}", types.len(), args.len()));
    }
    types
        .iter()
        .zip(args)
        .map(|(ty, a)| {
            let text = s.substitute(a)?;
            ty.coerce_str(&text).map_err(|e| format!("argument {text} as {ty}: {e}"))
        })
        .collect()
}

fn deploy(s: &mut Session, step: &[String]) -> Result<(), String> {
    let name = arg(step, 1, "a name")?.to_string();
    let path = arg(step, 2, "a .wasm file")?;
    let wasm = std::fs::read(Path::new(path)).map_err(|e| format!("cannot read {path}: {e}"))?;
    let ctor_args = match step.get(3) {
        Some(sig) => {
            let ctor = Constructor::parse(sig).map_err(|e| format!("bad constructor: {e}"))?;
            let types = ctor
                .inputs
                .iter()
                .map(|p| p.resolve().map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let values = encode_args(s, &types, &step[4..])?;
            Some(ctor.abi_encode_input(&values).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let (address, receipt) = s
        .sandbox
        .deploy(s.sender, &wasm, ctor_args.as_deref(), std::mem::take(&mut s.value))
        .map_err(|e| format!("deploy {name}: {e}"))?;
    println!("deploy {name} at {address}");
    if let Some(r) = receipt {
        print_receipt(&r, None);
    }
    s.names.insert(name, address);
    Ok(())
}

fn call(s: &mut Session, step: &[String]) -> Result<(), String> {
    let to = s.address(arg(step, 1, "a contract")?)?;
    let sig = arg(step, 2, "a signature")?;
    let function = Function::parse(sig).map_err(|e| format!("bad signature {sig}: {e}"))?;
    let types = function
        .inputs
        .iter()
        .map(|p| p.resolve().map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let values = encode_args(s, &types, &step[3..])?;
    let input = function.abi_encode_input(&values).map_err(|e| e.to_string())?;
    let receipt = if step[0] == "view" {
        s.sandbox.static_call_raw(s.sender, to, input)
    } else {
        let tx = Tx::call(s.sender, to, input)
            .value(std::mem::take(&mut s.value))
            .gas_limit(s.gas_limit);
        s.sandbox.transact(&tx)
    }
    .map_err(|e| format!("{} {sig}: {e}", step[0]))?;
    println!("{} {} {}", step[0], step[1], function.signature());
    print_receipt(&receipt, Some(&function));
    Ok(())
}

fn print_receipt(r: &Receipt, function: Option<&Function>) {
    let g = &r.gas;
    println!("  outcome: {:?}, gas used {}", r.outcome, r.gas_used);
    match (r.outcome, function) {
        (Outcome::Success, Some(f)) if !f.outputs.is_empty() => {
            match f.abi_decode_output(&r.output, true) {
                Ok(values) => {
                    let shown: Vec<String> = values.iter().map(show).collect();
                    println!("  returns: ({})", shown.join(", "));
                }
                Err(_) => println!("  returns: 0x{}", hex::encode(&r.output)),
            }
        }
        (Outcome::Revert, _) => match alloy_sol_types::decode_revert_reason(&r.output) {
            Some(reason) => println!("  revert: {reason}"),
            None => println!("  revert data: 0x{}", hex::encode(&r.output)),
        },
        _ if !r.output.is_empty() => println!("  output: 0x{}", hex::encode(&r.output)),
        _ => {}
    }
    println!(
        "  gas: intrinsic {}, entry {}, memory {}, compute {} ink, host calls {} ink, \
         storage {}, calls {}, accounts {}, logs {}, refund {}",
        g.intrinsic_gas,
        g.entry_gas,
        g.memory_gas,
        g.compute_ink,
        g.hostio_ink,
        g.storage_gas,
        g.call_gas,
        g.account_gas,
        g.log_gas,
        g.refund_gas
    );
    for log in &r.logs {
        let topics: Vec<String> = log.topics.iter().map(ToString::to_string).collect();
        println!(
            "  log {} topics [{}] data 0x{}",
            log.address,
            topics.join(", "),
            hex::encode(&log.data)
        );
    }
    for line in &r.console {
        println!("  console: {line}");
    }
    for trap in &r.traps {
        println!("  trap: {trap}");
    }
    for program in &r.reentries {
        println!("  re-entry refused: {program} was already on the call stack");
    }
}

fn show(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Address(a) => a.to_string(),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", hex::encode(&w[..*n])),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(", "))
        }
        DynSolValue::Function(f) => f.to_string(),
    }
}
