//! The report: `report.json` and the terminal summary.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::invariants::{InvariantStatus, Violation};
use crate::metrics::{OpStats, Spread};

/// One block's metrics. Values the protocol cannot show yet are `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Block number.
    pub block: u64,
    /// Unix time.
    pub timestamp: u64,
    /// Oracle price per underlying (USD).
    pub prices: Vec<f64>,
    /// Collateral held for accounts (USD).
    pub collateral: Option<f64>,
    /// Pool assets (USD).
    pub pool: Option<f64>,
    /// Open interest per market, both sides, in USD notional.
    pub open_interest: Option<Vec<f64>>,
    /// Option open interest per underlying: contracts held by traders, long
    /// and short, times spot (USD notional).
    #[serde(default)]
    pub option_open_interest: Option<Vec<f64>>,
    /// Total open interest over collateral plus pool.
    pub capital_efficiency: Option<f64>,
    /// Insurance fund (USD).
    pub insurance_fund: Option<f64>,
    /// Bad debt so far (USD).
    pub bad_debt: Option<f64>,
    /// Pool value per LP share.
    pub lp_share_price: Option<f64>,
    /// Funding rate per market, per day.
    pub funding_rates: Option<Vec<f64>>,
    /// Liquidations so far.
    pub liquidations: u64,
    /// Accounts liquidatable at the end of the block.
    pub liquidatable_accounts: Option<u64>,
}

/// One liquidation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiquidationRecord {
    /// Block.
    pub block: u64,
    /// Unix time.
    pub timestamp: u64,
    /// Liquidated account.
    pub account: usize,
    /// Its agent.
    pub agent: String,
    /// The liquidator.
    pub liquidator: String,
    /// Notional closed (USD).
    pub closed_notional: f64,
    /// Bonus paid (USD).
    pub bonus: f64,
    /// Bad debt (USD).
    pub bad_debt: f64,
    /// Blocks since the account was first seen liquidatable.
    pub latency_blocks: u64,
    /// Seconds since then.
    pub latency_seconds: u64,
    /// Gas used.
    pub gas_used: u64,
}

/// Liquidation latency over the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// In blocks.
    pub blocks: Spread,
    /// In seconds.
    pub seconds: Spread,
    /// Episodes that ended without a liquidation (the price came back first).
    pub recovered_unliquidated: u64,
    /// Accounts still liquidatable at the end.
    pub open_at_end: u64,
}

/// Headline numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Blocks simulated.
    pub blocks: u64,
    /// Simulated seconds.
    pub duration_seconds: u64,
    /// Agents.
    pub agents: usize,
    /// Transactions sent (successful or reverted).
    pub transactions: u64,
    /// Liquidations.
    pub liquidations: u64,
    /// Notional liquidated (USD).
    pub liquidated_notional: f64,
    /// Bonus paid to liquidators (USD).
    pub liquidation_bonus: f64,
    /// Bad debt at the end (USD).
    pub bad_debt: Option<f64>,
    /// Bad debt the LPs absorbed (USD).
    pub pool_absorbed: Option<f64>,
    /// Insurance fund at the start and end (USD), and its lowest value.
    pub insurance_fund: Option<[f64; 3]>,
    /// LP share price at the start and end, and its lowest value.
    pub lp_share_price: Option<[f64; 3]>,
    /// Highest total open interest, perps and options (USD notional).
    pub peak_open_interest: Option<f64>,
    /// Highest option open interest (USD notional of the contracts).
    #[serde(default)]
    pub peak_option_open_interest: Option<f64>,
    /// Highest capital efficiency.
    pub peak_capital_efficiency: Option<f64>,
    /// Mean capital efficiency.
    pub mean_capital_efficiency: Option<f64>,
    /// Total value locked at the end (collateral plus pool where observable, USD).
    pub final_tvl: Option<f64>,
    /// Views that reverted, counted by `view: error` (an account whose
    /// health could not be read is not known to be healthy).
    #[serde(default)]
    pub view_failures: std::collections::BTreeMap<String, u64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Where it came from.
    pub scenario_file: String,
    /// Seed.
    pub seed: u64,
    /// Protocol implementation (`sandbox` or `model`).
    pub protocol: String,
    /// Underlying names.
    pub underlyings: Vec<String>,
    /// Phase names with their first block.
    pub phases: Vec<(String, u64)>,
    /// Headline numbers.
    pub summary: Summary,
    /// Liquidation latency.
    pub liquidation_latency: Latency,
    /// Every liquidation.
    pub liquidations: Vec<LiquidationRecord>,
    /// Counts and gas per operation type.
    pub operations: Vec<OpStats>,
    /// Invariant outcomes.
    pub invariants: Vec<InvariantStatus>,
    /// Every violation.
    pub violations: Vec<Violation>,
    /// Agents' names by account, to read the violations.
    pub accounts: Vec<String>,
    /// Metrics per block.
    pub series: Vec<Sample>,
    /// Every transaction the run sent, in order (`transactions.jsonl`, not
    /// `report.json`: it is long).
    #[serde(skip)]
    pub transactions: Vec<TxLog>,
}

/// One transaction of the run, a line of `transactions.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLog {
    /// Block.
    pub block: u64,
    /// Unix time.
    pub timestamp: u64,
    /// The agent that sent it, or `scenario` (oracle updates, the sequencer).
    pub agent: String,
    /// The account it acted on (the agent's own, or the one liquidated).
    pub account: Option<usize>,
    /// Operation.
    pub op: String,
    /// `ok`, `reverted` or `unsupported`.
    pub outcome: &'static str,
    /// The revert reason (a Solidity error name), or why it is unsupported.
    pub error: Option<String>,
    /// Gas used, where metered.
    pub gas: Option<u64>,
}

impl Report {
    /// `transactions.jsonl` text: one JSON object per transaction.
    pub fn transactions_jsonl(&self) -> String {
        let mut out = String::new();
        for tx in &self.transactions {
            out.push_str(&serde_json::to_string(tx).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// Whether any invariant was violated.
    pub fn failed(&self) -> bool {
        !self.violations.is_empty()
    }

    /// `report.json` text (pretty, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The terminal summary.
    #[allow(clippy::too_many_lines)] // one line of output per statement
    pub fn summary_text(&self) -> String {
        let s = &self.summary;
        let mut o = String::new();
        let usd =
            |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), |v| format!("${}", thousands(v)));
        let _ = writeln!(
            o,
            "scenario  {} (seed {}, {} protocol)",
            self.scenario, self.seed, self.protocol
        );
        let _ = writeln!(
            o,
            "run       {} blocks, {:.1} days simulated, {} agents, {} transactions",
            s.blocks,
            secs_to_days(s.duration_seconds),
            s.agents,
            s.transactions
        );
        let _ = writeln!(o, "\nsolvency");
        let _ = writeln!(
            o,
            "  bad debt              {}  (absorbed by LPs: {})",
            usd(s.bad_debt),
            usd(s.pool_absorbed)
        );
        if let Some([start, end, low]) = s.insurance_fund {
            let _ = writeln!(
                o,
                "  insurance fund        ${} -> ${} (low ${})",
                thousands(start),
                thousands(end),
                thousands(low)
            );
        } else {
            let _ = writeln!(o, "  insurance fund        n/a");
        }
        if let Some([start, end, low]) = s.lp_share_price {
            let _ = writeln!(o, "  LP share price        {start:.4} -> {end:.4} (low {low:.4})");
        } else {
            let _ = writeln!(o, "  LP share price        n/a");
        }
        let _ = writeln!(o, "\nliquidations");
        let _ = writeln!(
            o,
            "  count {}   notional {}   bonus {}",
            s.liquidations,
            usd(Some(s.liquidated_notional)),
            usd(Some(s.liquidation_bonus))
        );
        let l = &self.liquidation_latency;
        let _ = writeln!(
            o,
            "  latency blocks p50 {} p99 {} max {}   seconds p50 {} p99 {} max {}",
            l.blocks.p50, l.blocks.p99, l.blocks.max, l.seconds.p50, l.seconds.p99, l.seconds.max
        );
        let _ = writeln!(
            o,
            "  recovered before liquidation {}   still liquidatable at end {}",
            l.recovered_unliquidated, l.open_at_end
        );
        let failed: u64 = s.view_failures.values().sum();
        if failed > 0 {
            let reasons: Vec<String> =
                s.view_failures.iter().map(|(reason, n)| format!("{reason} x{n}")).collect();
            let _ = writeln!(
                o,
                "  health views that reverted {failed} (accounts unknown then, not healthy): {}",
                reasons.join(", ")
            );
        }
        let _ = writeln!(o, "\ncapital");
        let _ = writeln!(o, "  final TVL             {}", usd(s.final_tvl));
        let _ = writeln!(
            o,
            "  peak open interest    {}  (options {})",
            usd(s.peak_open_interest),
            usd(s.peak_option_open_interest)
        );
        let ratio = |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"));
        let _ = writeln!(
            o,
            "  capital efficiency    mean {}  peak {}  (open interest / collateral + pool)",
            ratio(s.mean_capital_efficiency),
            ratio(s.peak_capital_efficiency)
        );
        let _ = writeln!(
            o,
            "\noperations                ok  revert  unsup.   gas p50   gas p99   gas max"
        );
        for op in &self.operations {
            let (p50, p99, max) = op.gas.map_or_else(
                || ("-".to_string(), "-".to_string(), "-".to_string()),
                |g| (g.p50.to_string(), g.p99.to_string(), g.max.to_string()),
            );
            let _ = writeln!(
                o,
                "  {:<18} {:>7} {:>7} {:>7} {:>9} {:>9} {:>9}",
                op.op, op.succeeded, op.reverted, op.unsupported, p50, p99, max
            );
        }
        let unsupported: Vec<_> = self.operations.iter().filter(|o| o.unsupported > 0).collect();
        if !unsupported.is_empty() {
            let _ = writeln!(o, "\nnot supported by the protocol yet");
            for op in unsupported {
                let _ =
                    writeln!(o, "  {}: {}", op.op, op.unsupported_reason.as_deref().unwrap_or(""));
            }
        }
        let _ = writeln!(o, "\ninvariants");
        for inv in &self.invariants {
            let note = inv.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            let _ = writeln!(o, "  {} {:<11} {}{}", inv.invariant, inv.status, inv.name, note);
        }
        if !self.violations.is_empty() {
            let _ = writeln!(o, "\nVIOLATIONS ({})", self.violations.len());
            for v in self.violations.iter().take(20) {
                let names: Vec<String> = v
                    .accounts
                    .iter()
                    .map(|a| format!("{a} ({})", self.accounts.get(*a).map_or("?", String::as_str)))
                    .collect();
                let _ = writeln!(
                    o,
                    "  invariant {} at block {}: {}; accounts: [{}]",
                    v.invariant,
                    v.block,
                    v.detail,
                    names.join(", ")
                );
            }
            if self.violations.len() > 20 {
                let _ = writeln!(o, "  ... {} more in report.json", self.violations.len() - 20);
            }
        }
        o
    }
}

fn secs_to_days(s: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let s = s as f64;
    s / 86_400.0
}

/// `1234567.8` as `"1,234,568"`.
pub fn thousands(x: f64) -> String {
    let negative = x < 0.0;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let digits = (x.abs().round() as u128).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if negative {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(-1_000.0), "-1,000");
    }
}
