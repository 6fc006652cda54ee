//! Statistics the report is made of: percentiles, gas per operation type,
//! action counts and liquidation latency.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::{Exec, GasParts, OpKind};

/// The `p`-th percentile (0..=100) by the nearest-rank method: the smallest
/// value with at least `p`% of the values at or below it. `None` when empty.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// p50, p99 and max of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    /// How many values.
    pub count: u64,
    /// Median (nearest rank).
    pub p50: u64,
    /// 99th percentile (nearest rank).
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl Spread {
    /// The spread of a sample (all zero when empty).
    pub fn of(values: &[u64]) -> Self {
        let mut v = values.to_vec();
        v.sort_unstable();
        Self {
            count: v.len() as u64,
            p50: percentile(&v, 50.0).unwrap_or(0),
            p99: percentile(&v, 99.0).unwrap_or(0),
            max: v.last().copied().unwrap_or(0),
        }
    }
}

/// Counts and gas of one operation type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpStats {
    /// Operation name.
    pub op: String,
    /// Successful transactions.
    pub succeeded: u64,
    /// Reverted transactions.
    pub reverted: u64,
    /// Attempts the protocol does not support yet.
    pub unsupported: u64,
    /// Why they were unsupported (first reason seen).
    pub unsupported_reason: Option<String>,
    /// Revert reasons and how often.
    pub revert_reasons: BTreeMap<String, u64>,
    /// Gas used by metered transactions (successful and reverted).
    pub gas: Option<Spread>,
    /// Mean gas per transaction by where it went.
    pub gas_breakdown_mean: Option<BTreeMap<String, u64>>,
}

/// Collects [`OpStats`] for every operation type.
#[derive(Debug, Clone, Default)]
pub struct OpRecorder {
    stats: BTreeMap<OpKind, OpStats>,
    gas: BTreeMap<OpKind, Vec<u64>>,
    parts: BTreeMap<OpKind, Vec<GasParts>>,
}

impl OpRecorder {
    fn entry(&mut self, op: OpKind) -> &mut OpStats {
        self.stats
            .entry(op)
            .or_insert_with(|| OpStats { op: op.name().into(), ..OpStats::default() })
    }

    /// Records a transaction.
    pub fn exec(&mut self, exec: &Exec) {
        let s = self.entry(exec.op);
        match &exec.revert {
            None => s.succeeded += 1,
            Some(reason) => {
                s.reverted += 1;
                *s.revert_reasons.entry(reason.clone()).or_default() += 1;
            }
        }
        if let Some(parts) = exec.gas {
            self.gas.entry(exec.op).or_default().push(exec.gas_used);
            self.parts.entry(exec.op).or_default().push(parts);
        }
    }

    /// Records an attempt the protocol cannot do yet.
    pub fn unsupported(&mut self, op: OpKind, reason: &str) {
        let s = self.entry(op);
        s.unsupported += 1;
        if s.unsupported_reason.is_none() {
            s.unsupported_reason = Some(reason.to_string());
        }
    }

    /// The statistics, in [`OpKind::ALL`] order.
    pub fn finish(&self) -> Vec<OpStats> {
        OpKind::ALL
            .iter()
            .filter_map(|op| {
                let mut s = self.stats.get(op)?.clone();
                if let Some(g) = self.gas.get(op) {
                    s.gas = Some(Spread::of(g));
                }
                if let Some(parts) = self.parts.get(op) {
                    let n = parts.len() as u64;
                    let mut mean = BTreeMap::new();
                    for (i, (name, _)) in GasParts::default().fields().iter().enumerate() {
                        let total: u64 = parts.iter().map(|p| p.fields()[i].1).sum();
                        mean.insert((*name).to_string(), total / n.max(1));
                    }
                    s.gas_breakdown_mean = Some(mean);
                }
                Some(s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile::<u64>(&[], 50.0), None);
        let odd = [1, 2, 3, 4, 5];
        assert_eq!(percentile(&odd, 50.0), Some(3));
        assert_eq!(percentile(&odd, 99.0), Some(5));
    }

    #[test]
    fn spread_sorts_its_input() {
        let s = Spread::of(&[30, 10, 20]);
        assert_eq!(s, Spread { count: 3, p50: 20, p99: 30, max: 30 });
        assert_eq!(Spread::of(&[]), Spread::default());
    }

    #[test]
    fn op_recorder_counts_and_gas() {
        let mut r = OpRecorder::default();
        let mut e = Exec::ok(OpKind::Deposit);
        e.gas_used = 100;
        e.gas = Some(GasParts { intrinsic: 60, storage: 40, ..GasParts::default() });
        r.exec(&e);
        r.exec(&Exec::reverted(OpKind::Deposit, "ZeroAmount"));
        r.unsupported(OpKind::Liquidate, "no ABI");
        let s = r.finish();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].op, "deposit");
        assert_eq!((s[0].succeeded, s[0].reverted), (1, 1));
        assert_eq!(s[0].gas.expect("metered").max, 100);
        assert_eq!(s[0].gas_breakdown_mean.as_ref().expect("parts")["storage"], 40);
        assert_eq!(s[1].unsupported, 1);
    }
}
