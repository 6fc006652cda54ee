//! DESIGN.md's invariants, checked after every block against what the
//! protocol exposes. A check that needs something the protocol cannot show
//! yet is reported as not checked, with the reason.

use serde::{Deserialize, Serialize};

use crate::protocol::{AccountId, Amount, LiquidationOutcome, ProtocolState};

/// Number of invariants in DESIGN.md.
pub const COUNT: usize = 7;

/// Their short names, by number - 1.
pub const NAMES: [&str; COUNT] = [
    "vault tokens = collateral + pool + insurance + fees",
    "no risk-adding action leaves an account below initial margin",
    "liquidation never lowers health nor pays more than equity",
    "bad debt recorded once, absorbed insurance fund first",
    "sum of perp sizes = long - short open interest",
    "a settled series never changes its settlement price",
    "no call stack enters a contract twice",
];

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Invariant number (1-based, as in DESIGN.md).
    pub invariant: usize,
    /// Block.
    pub block: u64,
    /// Accounts involved.
    pub accounts: Vec<AccountId>,
    /// What was seen.
    pub detail: String,
}

/// The outcome of one invariant over the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantStatus {
    /// Number (1-based).
    pub invariant: usize,
    /// Short name.
    pub name: String,
    /// `"held"` (checked in every block), `"partial"` (held where it could
    /// be checked, with the number of blocks it could not), `"violated"` or
    /// `"not_checked"`.
    pub status: String,
    /// Blocks in which it was checked.
    pub blocks_checked: u64,
    /// Why it was not (always) checked.
    pub note: Option<String>,
}

/// What happened in a block that the checks need besides the state.
#[derive(Debug, Clone, Default)]
pub struct BlockEvents {
    /// Accounts whose successful risk-adding action left equity below
    /// initial margin: `(account, equity, initial margin)`.
    pub below_initial: Vec<(AccountId, Amount, Amount)>,
    /// Successful liquidations: `(liquidated account, outcome)`.
    pub liquidations: Vec<(AccountId, LiquidationOutcome)>,
    /// Whether account health could be read after risk-adding actions.
    pub health_observable: bool,
    /// Whether liquidations report what they did.
    pub liquidations_observable: bool,
}

/// Checks the invariants block by block.
#[derive(Debug, Clone)]
pub struct Checker {
    previous: Option<ProtocolState>,
    /// Blocks seen.
    blocks: u64,
    checked: [u64; COUNT],
    notes: [Option<String>; COUNT],
    /// Every violation found.
    pub violations: Vec<Violation>,
    /// Whether the chain enforces the re-entry rule (invariant 7).
    reentry_enforced: bool,
}

impl Checker {
    /// A checker; `reentry_enforced` says the chain itself reverts re-entry.
    pub fn new(reentry_enforced: bool) -> Self {
        Self {
            previous: None,
            blocks: 0,
            checked: [0; COUNT],
            notes: Default::default(),
            violations: Vec::new(),
            reentry_enforced,
        }
    }

    fn note(&mut self, i: usize, text: &str) {
        if self.notes[i - 1].is_none() {
            self.notes[i - 1] = Some(text.to_string());
        }
    }

    fn violate(&mut self, invariant: usize, block: u64, accounts: Vec<AccountId>, detail: String) {
        self.violations.push(Violation { invariant, block, accounts, detail });
    }

    /// Checks one block's end state and events.
    pub fn check(&mut self, block: u64, state: &ProtocolState, events: &BlockEvents) {
        self.blocks += 1;
        self.vault_balance(block, state);
        if events.health_observable {
            self.checked[1] += 1;
        } else {
            self.note(2, "the protocol does not expose account health yet");
        }
        for &(a, equity, initial) in &events.below_initial {
            self.violate(
                2,
                block,
                vec![a],
                format!(
                    "equity {equity} below initial margin {initial} after a risk-adding action"
                ),
            );
        }
        self.liquidations(block, state, events);
        self.open_interest(block, state);
        self.settlement(block, state);
        if self.reentry_enforced {
            self.checked[6] += 1;
        } else {
            self.note(7, "needs the sandbox, which reverts a re-entrant call as Nitro does");
        }
        self.previous = Some(state.clone());
    }

    fn changed_accounts(
        &self,
        state: &ProtocolState,
        f: impl Fn(&crate::protocol::AccountState) -> Vec<Amount>,
    ) -> Vec<AccountId> {
        let (Some(now), Some(before)) =
            (&state.accounts, self.previous.as_ref().and_then(|p| p.accounts.as_ref()))
        else {
            return Vec::new();
        };
        now.iter()
            .zip(before)
            .enumerate()
            .filter(|(_, (a, b))| f(a) != f(b))
            .map(|(i, _)| i)
            .collect()
    }

    fn vault_balance(&mut self, block: u64, s: &ProtocolState) {
        let (Some(tokens), Some(collateral), Some(pool), Some(insurance), Some(fees)) =
            (s.vault_tokens, s.total_collateral, s.pool_assets, s.insurance_fund, s.fees)
        else {
            self.note(1, "the protocol does not expose all of vault tokens, collateral, pool, insurance fund and fees yet");
            return;
        };
        self.checked[0] += 1;
        let ledger = collateral + pool + insurance + fees;
        if tokens != ledger {
            let accounts = self.changed_accounts(s, |a| vec![a.collateral]);
            self.violate(
                1,
                block,
                accounts,
                format!(
                    "vault holds {tokens}, ledgers sum to {ledger} (difference {})",
                    tokens - ledger
                ),
            );
        }
    }

    fn liquidations(&mut self, block: u64, s: &ProtocolState, events: &BlockEvents) {
        if events.liquidations_observable {
            self.checked[2] += 1;
        } else {
            self.note(3, "the protocol cannot liquidate yet");
        }
        let mut reported_debt = 0;
        for &(a, out) in &events.liquidations {
            if out.health_after.is_some_and(|h| h < out.health_before) {
                self.violate(
                    3,
                    block,
                    vec![a],
                    format!("health fell from {} to {:?}", out.health_before, out.health_after),
                );
            }
            if out.bonus > out.equity_before.max(0) {
                self.violate(
                    3,
                    block,
                    vec![a],
                    format!("bonus {} above equity {}", out.bonus, out.equity_before),
                );
            }
            reported_debt += out.bad_debt;
        }
        let (Some(debt), Some(absorbed), Some(insurance)) =
            (s.bad_debt, s.pool_absorbed, s.insurance_fund)
        else {
            self.note(4, "the protocol does not expose the bad-debt ledger yet");
            return;
        };
        self.checked[3] += 1;
        let prev = self.previous.as_ref();
        let debt_before = prev.and_then(|p| p.bad_debt).unwrap_or(0);
        let absorbed_before = prev.and_then(|p| p.pool_absorbed).unwrap_or(0);
        let liquidated: Vec<AccountId> = events.liquidations.iter().map(|(a, _)| *a).collect();
        if debt < debt_before {
            self.violate(
                4,
                block,
                liquidated.clone(),
                format!("bad-debt ledger fell from {debt_before} to {debt}"),
            );
        }
        if debt - debt_before < reported_debt {
            self.violate(
                4,
                block,
                liquidated.clone(),
                format!(
                    "liquidations reported {reported_debt} of bad debt, ledger grew by {}",
                    debt - debt_before
                ),
            );
        }
        if absorbed > absorbed_before && insurance > 0 {
            self.violate(
                4,
                block,
                liquidated,
                format!(
                    "pool absorbed {} while the insurance fund still held {insurance}",
                    absorbed - absorbed_before
                ),
            );
        }
    }

    fn open_interest(&mut self, block: u64, s: &ProtocolState) {
        let (Some(accounts), Some(markets)) = (&s.accounts, &s.markets) else {
            self.note(5, "positions or open interest could not be read (a view reverted, or the protocol does not expose them)");
            return;
        };
        self.checked[4] += 1;
        for (m, market) in markets.iter().enumerate() {
            let (sum, net) = if let Some(exact) = s.open_interest_exact.as_ref() {
                exact.get(m).cloned().unwrap_or_default()
            } else {
                let sum: Amount =
                    accounts.iter().map(|a| a.perps.get(m).copied().unwrap_or(0)).sum();
                let net = market.long_open_interest - market.short_open_interest;
                (sum.to_string(), net.to_string())
            };
            if sum != net {
                let mut involved =
                    self.changed_accounts(s, |a| vec![a.perps.get(m).copied().unwrap_or(0)]);
                if involved.is_empty() {
                    involved = accounts
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.perps.get(m).is_some_and(|p| *p != 0))
                        .map(|(i, _)| i)
                        .collect();
                }
                self.violate(
                    5,
                    block,
                    involved,
                    format!("market {m}: sizes sum to {sum}, long - short open interest is {net}"),
                );
            }
        }
    }

    fn settlement(&mut self, block: u64, s: &ProtocolState) {
        let Some(prices) = &s.settlement_prices else {
            self.note(6, "the protocol does not expose settlement prices yet");
            return;
        };
        self.checked[5] += 1;
        let before =
            self.previous.as_ref().and_then(|p| p.settlement_prices.clone()).unwrap_or_default();
        for (i, (now, was)) in prices.iter().zip(before.iter()).enumerate() {
            if let (Some(was), now) = (was, now) {
                if *now != Some(*was) {
                    self.violate(
                        6,
                        block,
                        Vec::new(),
                        format!("series {i} settlement price changed from {was} to {now:?}"),
                    );
                }
            }
        }
    }

    /// The status of every invariant.
    pub fn statuses(&self) -> Vec<InvariantStatus> {
        (1..=COUNT)
            .map(|i| {
                let violated = self.violations.iter().any(|v| v.invariant == i);
                let checked = self.checked[i - 1];
                let status = if violated {
                    "violated"
                } else if checked == 0 {
                    "not_checked"
                } else if checked < self.blocks {
                    "partial"
                } else {
                    "held"
                };
                // A block whose state could not be read is never "held".
                let note = match status {
                    "held" => None,
                    "partial" => Some(format!(
                        "not checked in {} of {} blocks: {}",
                        self.blocks - checked,
                        self.blocks,
                        self.notes[i - 1].as_deref().unwrap_or("its state could not be read")
                    )),
                    _ => self.notes[i - 1].clone(),
                };
                InvariantStatus {
                    invariant: i,
                    name: NAMES[i - 1].to_string(),
                    status: status.to_string(),
                    blocks_checked: checked,
                    note,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AccountState, MarketState};

    /// Two accounts long 1.0000005 and short 0.0000005 ETH: in micro-units
    /// each size truncates, so only the WAD figures agree with the market.
    fn state(exact: Option<(&str, &str)>) -> ProtocolState {
        let account = |size| AccountState { perps: vec![size], ..AccountState::default() };
        ProtocolState {
            accounts: Some(vec![account(1_000_000), account(0)]),
            markets: Some(vec![MarketState {
                long_open_interest: 1_000_001,
                short_open_interest: 0,
                funding_rate: 0,
            }]),
            open_interest_exact: exact.map(|(s, n)| vec![(s.to_string(), n.to_string())]),
            ..ProtocolState::default()
        }
    }

    #[test]
    fn open_interest_is_compared_in_wad_when_the_protocol_gives_it() {
        let mut checker = Checker::new(true);
        checker.open_interest(1, &state(Some(("1000000500000000000", "1000000500000000000"))));
        assert!(checker.violations.is_empty(), "{:?}", checker.violations);
        checker.open_interest(2, &state(Some(("1000000500000000000", "1000000500000000001"))));
        assert_eq!(checker.violations.len(), 1);
        assert_eq!((checker.violations[0].invariant, checker.violations[0].block), (5, 2));
        // Without the exact figures the micro-unit amounts are compared.
        checker.open_interest(3, &state(None));
        assert_eq!(checker.violations.len(), 2);
        assert_eq!(checker.checked[4], 3);
    }

    #[test]
    fn a_block_whose_state_could_not_be_read_makes_an_invariant_partial_not_held() {
        let mut checker = Checker::new(true);
        let events = BlockEvents::default();
        let good = state(Some(("1000000500000000000", "1000000500000000000")));
        checker.check(1, &good, &events);
        checker.check(2, &ProtocolState { markets: None, ..good.clone() }, &events);
        checker.check(3, &good, &events);
        let five = &checker.statuses()[4];
        assert_eq!((five.status.as_str(), five.blocks_checked), ("partial", 2));
        let note = five.note.as_deref().unwrap_or_default();
        assert!(note.starts_with("not checked in 1 of 3 blocks"), "{note}");
        // Checked in every block: held, without a note.
        let seven = &checker.statuses()[6];
        assert_eq!((seven.status.as_str(), seven.note.as_deref()), ("held", None));
    }
}
