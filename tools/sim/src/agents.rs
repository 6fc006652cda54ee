//! The agents: who they are and what each decides to do in a block.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::market::stream;
use crate::protocol::{AccountId, Amount, SeriesSpec};
use crate::scenario::{Range, Scenario, Strategy};

/// Streams of agent `i` start here (prices use lower streams).
const AGENT_STREAM: u64 = 1 << 40;

/// What an agent is.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// A trader.
    Trader {
        /// Strategy.
        strategy: Strategy,
        /// Collateral deposited at the start (USD).
        collateral: f64,
        /// Its leverage draw.
        leverage: f64,
        /// Per-block chance of trading.
        trade_probability: f64,
        /// Per-block chance of closing.
        close_probability: f64,
        /// Chance a directional trade is long.
        long_probability: f64,
        /// Underlyings it trades.
        underlyings: Vec<usize>,
        /// Delta band of a hedger.
        hedge_threshold: f64,
        /// Per-block chance of withdrawing free collateral.
        withdraw_probability: f64,
        /// Share of the free collateral withdrawn.
        withdraw_share: f64,
        /// Option sellers' target |delta|.
        target_delta: f64,
        /// A whale's target share of maximum open interest.
        target_share: f64,
        /// A whale's holding time, seconds.
        hold_seconds: u64,
    },
    /// A liquidity provider.
    Lp {
        /// Deposit at the start (USD).
        deposit: f64,
        /// Per-block chance of withdrawing a quarter.
        withdraw_probability: f64,
    },
    /// A liquidator bot.
    Liquidator {
        /// Blocks from seeing to acting.
        reaction_delay: u64,
        /// Gas it may spend per block.
        gas_budget: u64,
    },
    /// A settlement keeper.
    Keeper {
        /// Seconds after expiry before acting.
        delay: u64,
    },
}

/// One agent and its own view of its book.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Group name and number, e.g. `"perp degens #3"`.
    pub name: String,
    /// Its account.
    pub account: AccountId,
    /// What it is.
    pub role: Role,
    /// Its random stream.
    pub rng: ChaCha8Rng,
    /// Perp size per market as the agent believes it (refreshed from the
    /// protocol's snapshot when the protocol exposes positions).
    pub perps: Vec<Amount>,
    /// Option amount per series, likewise.
    pub options: Vec<Amount>,
    /// Collateral, likewise.
    pub collateral: Amount,
    /// A whale's campaign: when it started building, and its direction
    /// (+1 long, -1 short); `None` between campaigns.
    pub campaign: Option<(u64, i128)>,
}

fn draw_log_uniform(rng: &mut ChaCha8Rng, r: Range) -> f64 {
    if r.max <= r.min {
        return r.min;
    }
    (r.min.ln() + rng.random::<f64>() * (r.max.ln() - r.min.ln())).exp()
}

fn draw_uniform(rng: &mut ChaCha8Rng, r: Range) -> f64 {
    r.min + rng.random::<f64>() * (r.max - r.min)
}

/// Creates every agent of a scenario, accounts numbered in order: traders,
/// LPs, liquidators, keepers.
pub fn create(scenario: &Scenario, seed: u64, series: &[SeriesSpec]) -> Vec<Agent> {
    let markets = scenario.underlyings.len();
    let mut agents = Vec::new();
    let mut push = |name: String, make: &mut dyn FnMut(&mut ChaCha8Rng) -> Role| {
        let account = agents.len();
        let mut rng = stream(seed, AGENT_STREAM + account as u64);
        let role = make(&mut rng);
        agents.push(Agent {
            name,
            account,
            role,
            rng,
            perps: vec![0; markets],
            options: vec![0; series.len()],
            collateral: 0,
            campaign: None,
        });
    };
    for g in &scenario.agents.traders {
        let underlyings: Vec<usize> = if g.underlyings.is_empty() {
            (0..markets).collect()
        } else {
            g.underlyings.iter().filter_map(|u| scenario.underlying_index(u)).collect()
        };
        for i in 0..g.count {
            push(format!("{} #{}", g.name, i + 1), &mut |rng| Role::Trader {
                strategy: g.strategy,
                collateral: draw_log_uniform(rng, g.collateral),
                leverage: draw_uniform(rng, g.leverage),
                trade_probability: g.trade_probability,
                close_probability: g.close_probability,
                long_probability: g.long_probability,
                underlyings: underlyings.clone(),
                hedge_threshold: g.hedge_threshold,
                withdraw_probability: g.withdraw_probability,
                withdraw_share: g.withdraw_share,
                target_delta: g.target_delta,
                target_share: g.target_share,
                hold_seconds: g.hold_seconds,
            });
        }
    }
    for g in &scenario.agents.lps {
        for i in 0..g.count {
            push(format!("{} #{}", g.name, i + 1), &mut |rng| Role::Lp {
                deposit: draw_log_uniform(rng, g.deposit),
                withdraw_probability: g.withdraw_probability,
            });
        }
    }
    for g in &scenario.agents.liquidators {
        for i in 0..g.count {
            push(format!("{} #{}", g.name, i + 1), &mut |_| Role::Liquidator {
                reaction_delay: g.reaction_delay,
                gas_budget: g.gas_budget,
            });
        }
    }
    for g in &scenario.agents.keepers {
        for i in 0..g.count {
            push(format!("{} #{}", g.name, i + 1), &mut |_| Role::Keeper { delay: g.delay });
        }
    }
    agents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_reproducible_and_within_their_ranges() {
        let s = Scenario::builtin().expect("valid");
        let a = create(&s, 9, &[]);
        let b = create(&s, 9, &[]);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.role, y.role);
        }
        let g = &s.agents.traders[0];
        for agent in a.iter().take(g.count as usize) {
            let Role::Trader { collateral, leverage, .. } = agent.role else { panic!("trader") };
            assert!((g.collateral.min..=g.collateral.max).contains(&collateral));
            assert!((g.leverage.min..=g.leverage.max).contains(&leverage));
        }
    }
}
