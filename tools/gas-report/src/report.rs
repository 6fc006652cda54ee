//! The report's data and its two renderings.

use std::fmt::Write as _;
use std::path::Path;

use bulwark_sandbox::activation::{check_file, CheckOptions};
use bulwark_sandbox::pricing::GasSchedule;
use bulwark_sandbox::{GasBreakdown, Receipt, Sandbox};
use serde::Serialize;

/// Artifacts whose sizes the report lists, in order.
pub(crate) const ARTIFACTS: [&str; 9] = [
    "OracleAdapter",
    "Vault",
    "MarginEngine",
    "RiskEngine",
    "PerpMarket",
    "OptionsMarket",
    "MockERC20",
    "MockAggregator",
    "MathBench",
];

/// Ink per gas at the default ink price.
pub(crate) const INK_PER_GAS: u64 = 10_000;

/// Size of one artifact.
#[derive(Debug, Serialize)]
pub(crate) struct Size {
    pub(crate) contract: String,
    pub(crate) raw_bytes: usize,
    pub(crate) compressed_bytes: usize,
    pub(crate) percent_of_limit: String,
    pub(crate) functions: u32,
    pub(crate) fits: bool,
    /// Data segments (Nitro accepts 128).
    pub(crate) data_segments: u32,
    /// The largest function frame in words (Nitro accepts 10,240).
    pub(crate) largest_frame: u32,
    /// Gas `ArbWasm.activateProgram` burns (fixed part plus compile gas).
    pub(crate) activation_gas: u64,
    /// The activation data fee at the data pricer's minimum price, in wei.
    pub(crate) data_fee_wei: String,
}

/// Gas of one measured call, with its breakdown in gas.
#[derive(Debug, Serialize)]
pub(crate) struct Measurement {
    pub(crate) operation: String,
    pub(crate) gas_used: u64,
    pub(crate) compute: u64,
    pub(crate) hostio: u64,
    pub(crate) storage: u64,
    pub(crate) calls: u64,
    pub(crate) entry: u64,
    pub(crate) memory: u64,
    pub(crate) logs: u64,
    pub(crate) intrinsic: u64,
    pub(crate) refund: u64,
    /// Arbitrum's `gasUsedForL1` at the sandbox's L1 price and base fee.
    pub(crate) l1: u64,
    /// Compute beyond the baseline call of the same contract, where that is
    /// what the operation is about (math functions).
    pub(crate) net_compute: Option<u64>,
}

impl Measurement {
    /// A measurement of a receipt, L1 gas included.
    pub(crate) fn of(operation: &str, receipt: &Receipt) -> Measurement {
        let mut row = Measurement::new(operation, receipt.gas_used, &receipt.gas);
        row.l1 = receipt.gas_used_for_l1;
        row
    }

    /// A measurement from a receipt's gas.
    pub(crate) fn new(operation: &str, gas_used: u64, gas: &GasBreakdown) -> Measurement {
        Measurement {
            operation: operation.to_owned(),
            gas_used,
            compute: gas.compute_ink / INK_PER_GAS,
            hostio: gas.hostio_ink / INK_PER_GAS,
            storage: gas.storage_gas,
            calls: gas.call_gas,
            entry: gas.entry_gas,
            memory: gas.memory_gas,
            logs: gas.log_gas,
            intrinsic: gas.intrinsic_gas,
            refund: gas.refund_gas,
            l1: 0,
            net_compute: None,
        }
    }
}

/// Everything the report holds.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) sizes: Vec<Size>,
    pub(crate) operations: Vec<crate::protocol::Operation>,
    /// The most value-stack words each contract used in one call in the
    /// story, by artifact name.
    pub(crate) stack_words: std::collections::BTreeMap<String, u32>,
    pub(crate) math: Vec<Measurement>,
}

/// Sizes of the artifacts in `dir`.
pub(crate) fn sizes(dir: &Path) -> Result<Vec<Size>, String> {
    let schedule = GasSchedule::live();
    let mut sandbox = Sandbox::with_schedule(schedule.clone());
    ARTIFACTS
        .iter()
        .map(|name| {
            let path = dir.join(format!("{name}.wasm"));
            // The report lists every size, over the limit or not; scripts/check enforces it.
            let options = CheckOptions { waive_size: true, ..CheckOptions::default() };
            let report = check_file(&path, options)
                .map_err(|e| format!("{}: {e} (run scripts/build first)", path.display()))?;
            let wasm = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let program = sandbox.activate(&wasm).map_err(|e| format!("{name}: {e}"))?;
            Ok(Size {
                data_segments: report.data_segments,
                largest_frame: report.largest_frame,
                activation_gas: program.activation_gas(&schedule),
                data_fee_wei: program.data_fee(&schedule).to_string(),
                contract: report.contract.clone(),
                raw_bytes: report.raw_bytes,
                compressed_bytes: report.compressed_bytes,
                percent_of_limit: format!("{:.1}", report.percent_of_limit()),
                functions: report.functions,
                fits: report.fits(),
            })
        })
        .collect()
}

impl Report {
    /// The report as Markdown.
    pub(crate) fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str("# Bulwark gas and size report\n\n");
        let schedule = GasSchedule::live();
        let block = bulwark_sandbox::BlockEnv::default();
        let _ = write!(
            md,
            "Generated by `scripts/gas` from the release artifacts running in the sandbox\n\
             (tools/sandbox) at **{}**, the version live on Arbitrum One. Do not edit by\n\
             hand: rerun the command; the diff of this file is what a change costs.\n\n",
            schedule.name
        );
        md.push_str("## Contract sizes and activation\n\n");
        md.push_str(
            "Limit: 24,576 bytes of brotli-compressed code per contract. `Deployable` means the\n\
             artifact passes Nitro's activation rules (`scripts/check`: no `DataCount` section, at\n\
             most 128 data segments, frames of at most 10,240 words, ...). Activation gas is what\n\
             `ArbWasm.activateProgram` burns (1,659,168 fixed plus the compile gas of the module);\n\
             the data fee is charged on Nitro's estimate of the compiled size at the data\n\
             pricer's minimum price (82,928,201 wei a byte, no recent demand).\n\n",
        );
        md.push_str(
            "| Contract | Raw bytes | Compressed bytes | % of limit | Functions | Data segments | Largest frame (words) | Activation gas | Data fee (wei) | Deployable |\n",
        );
        md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for s in &self.sizes {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {}% | {} | {} | {} | {} | {} | {} |",
                s.contract,
                s.raw_bytes,
                s.compressed_bytes,
                s.percent_of_limit,
                s.functions,
                s.data_segments,
                s.largest_frame,
                s.activation_gas,
                s.data_fee_wei,
                if s.fits { "yes" } else { "**no: over the limit**" }
            );
        }
        let _ = write!(
            md,
            "\nL1 data: `L1 gas` is Arbitrum's `gasUsedForL1` for each transaction: 16 units per\n\
             byte of the signed transaction compressed with brotli (level 1), at an L1 price of\n\
             {} wei a unit and a base fee of {} wei. On chain the receipt's `gasUsed` is the\n\
             L2 gas plus the L1 gas.\n",
            block.l1_price_per_unit, block.basefee
        );
        md.push_str("\n## Value-stack depth\n\n");
        let _ = write!(
            md,
            "The most value-stack words each contract used in one call during the story below,\n\
             counted as Nitro's depth meter counts them, against Nitro's limit of {} words a\n\
             call (a program that exceeds it halts, out of stack, and its caller's gas is gone).\n\
             `scripts/test` prints the same figure over every test suite.\n\n",
            schedule.max_stack_depth
        );
        md.push_str(&stack_table(&self.stack_words, schedule.max_stack_depth));
        md.push_str("\n## Protocol operations\n\n");
        md.push_str(
            "One fixed story on the deployed protocol (the cross-contract suite's fixture): deposits,\n\
             a perp opened, grown and closed, an option bought and sold back, a withdrawal, a\n\
             liquidation after a 10% drop; then RiskEngine's targets: an account with 32 options\n\
             and 4 perps on ETH and BTC (the last option trade and `accountHealth` each value the\n\
             whole book: target 1,000,000 gas), and the liquidation of an account with two perps\n\
             and two options after both prices fall (target 150,000 gas). Every transaction runs\n\
             in a block of its own. `Uncached` is every program outside Arbitrum's program\n\
             cache: its first call in the block pays the full program entry, a repeat call in\n\
             the same transaction only the cached entry (ArbOS 61's per-block cache of recent\n\
             programs); `Cached` is every program in the cache; `ArbOS 51` is the uncached run\n\
             at ArbOS 51, before that cache existed. The breakdown is\n\
             the uncached run's. `Floor` is the EVM-side gas of the operation's footprint\n\
             (intrinsic, storage, calls, logs, less the refund): what any implementation with\n\
             Bulwark's storage layout and call graph pays if computation and program entry were\n\
             free. `Slots` counts the distinct storage slots accessed (and changed), `Contracts`\n\
             the programs that ran. All figures in gas.\n\n",
        );
        md.push_str(&operations_table(&self.operations));
        md.push_str(
            "\nWhere the slots are: distinct storage slots each operation accessed, per contract\n\
             (MarginEngine has no storage; the price feeds are the four Chainlink-style feeds and\n\
             the sequencer uptime feed). Each cold slot costs 2,100 gas before any computation,\n\
             so the slots alone bound what an operation can cost from below.\n\n",
        );
        md.push_str(&slots_table(&self.operations));
        md.push_str("\n## Math library (MathBench)\n\n");
        md.push_str(
            "Each row is one transaction to the test-only MathBench contract. `net compute` is the\n\
             WASM compute of the call minus that of `baseline` (a call that does no math): the cost\n\
             of the function itself. All figures in gas.\n\n",
        );
        md.push_str(&table(&self.math));
        md
    }

    /// The block of the README that states sizes and gas: generated here so
    /// that no figure in the README is typed by hand.
    pub(crate) fn readme_block(&self) -> String {
        let mut md = format!(
            "Sizes and gas at {} (from [reports/gas.md](reports/gas.md), written by `scripts/gas`):\n\n\
             | Contract | Compressed bytes | % of limit | Data segments | Activation gas | Nitro accepts it |\n\
             |---|---:|---:|---:|---:|---|\n",
            GasSchedule::live().name
        );
        for s in self.sizes.iter().take(6) {
            let _ = writeln!(
                md,
                "| {} | {} | {}% | {} | {} | {} |",
                s.contract,
                s.compressed_bytes,
                s.percent_of_limit,
                s.data_segments,
                s.activation_gas,
                if s.fits { "yes" } else { "no: over the size limit" }
            );
        }
        md.push_str(
            "\n| Operation | Gas, uncached | Gas, cached | Gas, uncached at ArbOS 51 | L1 gas |\n|---|---:|---:|---:|---:|\n",
        );
        for row in &self.operations {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                row.uncached.operation,
                row.uncached.gas_used,
                row.cached.gas_used,
                row.uncached_arbos_51,
                row.uncached.l1
            );
        }
        md
    }

    /// The report as JSON.
    pub(crate) fn json(&self) -> Result<String, String> {
        serde_json::to_string_pretty(self).map(|s| s + "\n").map_err(|e| e.to_string())
    }
}

/// The breakdown columns every table ends with.
const BREAKDOWN_HEADER: &str =
    "Compute | Host calls | Storage | Calls | Entry | Memory | Logs | Intrinsic | Refund |";

impl Measurement {
    /// The breakdown cells, in [`BREAKDOWN_HEADER`]'s order.
    fn breakdown_cells(&self) -> String {
        format!(
            "{} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.compute,
            self.hostio,
            self.storage,
            self.calls,
            self.entry,
            self.memory,
            self.logs,
            self.intrinsic,
            self.refund
        )
    }
}

fn operations_table(rows: &[crate::protocol::Operation]) -> String {
    let mut md = format!(
        "| Operation | Uncached | Cached | ArbOS 51 | L1 gas | Floor | Cached / floor | Slots (changed) | Contracts | {BREAKDOWN_HEADER}\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let m = &row.uncached;
        let ratio = row.cached_over_floor();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {}.{:02}x | {} ({}) | {} | {}",
            m.operation,
            m.gas_used,
            row.cached.gas_used,
            row.uncached_arbos_51,
            m.l1,
            row.floor,
            ratio / 100,
            ratio % 100,
            row.slots_accessed,
            row.slots_changed,
            row.contracts,
            m.breakdown_cells()
        );
    }
    md
}

/// One row per contract: its deepest call in words and its share of `limit`.
pub(crate) fn stack_table(words: &std::collections::BTreeMap<String, u32>, limit: u32) -> String {
    let mut md =
        String::from("| Contract | Deepest call (words) | % of the limit |\n|---|---:|---:|\n");
    for (name, deepest) in words {
        let tenths = u64::from(*deepest) * 1_000 / u64::from(limit.max(1));
        let _ = writeln!(md, "| {name} | {deepest} | {}.{} |", tenths / 10, tenths % 10);
    }
    md
}

fn slots_table(rows: &[crate::protocol::Operation]) -> String {
    use crate::protocol::SLOT_COLUMNS;
    let mut md = format!("| Operation | {} | Total |\n|---|", SLOT_COLUMNS.join(" | "));
    md.push_str(&"---:|".repeat(SLOT_COLUMNS.len() + 1));
    md.push('\n');
    for row in rows {
        let cells: Vec<String> = row.slots_by_contract.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            row.uncached.operation,
            cells.join(" | "),
            row.slots_accessed
        );
    }
    md
}

fn table(rows: &[Measurement]) -> String {
    let mut md = format!(
        "| Operation | Gas used | Net compute | {BREAKDOWN_HEADER}\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in rows {
        let net = m.net_compute.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let _ =
            writeln!(md, "| {} | {} | {} | {}", m.operation, m.gas_used, net, m.breakdown_cells());
    }
    md
}
