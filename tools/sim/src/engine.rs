//! The simulation loop: a state machine over blocks. Each block publishes
//! the oracle's rounds, lets keepers, LPs, traders and liquidators act in a
//! fixed order, then snapshots the protocol for metrics and invariants.

use std::collections::BTreeMap;

use rand::Rng;

use crate::agents::{self, Agent, Role};
use crate::invariants::{BlockEvents, Checker};
use crate::market::Market;
use crate::metrics::{OpRecorder, Spread};
use crate::pricing::black_scholes;
use crate::protocol::{
    amount, to_f64, AccountId, Amount, Exec, Health, OpKind, Protocol, ProtocolError,
    ProtocolState, SeriesSpec, Setup, UNIT,
};
use crate::report::{Latency, LiquidationRecord, Report, Sample, Summary, TxLog};
use crate::scenario::{Scenario, Strategy, SECONDS_PER_YEAR};

/// Gas a liquidator assumes a liquidation costs before it has seen one.
const LIQUIDATION_GAS_GUESS: u64 = 400_000;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The protocol failed in a way that is not a revert.
    #[error("block {block}: {source}")]
    Protocol {
        /// Block.
        block: u64,
        /// The failure.
        source: ProtocolError,
    },
}

/// Option series of a scenario: every strike for every expiry, calls and
/// puts, per underlying; expiries at 08:00 UTC on or after the given day.
pub fn series_of(scenario: &Scenario) -> Vec<SeriesSpec> {
    let mut out = Vec::new();
    for (u, underlying) in scenario.underlyings.iter().enumerate() {
        for days in &scenario.options.expiries_days {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let at = scenario.start_time + (days * 86_400.0) as u64;
            let expiry = at.div_ceil(86_400) * 86_400 + 8 * 3_600;
            let expiry = if expiry - 86_400 >= at { expiry - 86_400 } else { expiry };
            for k in &scenario.options.strikes {
                for is_call in [true, false] {
                    let strike = round_strike(underlying.initial_price * k);
                    out.push(SeriesSpec { underlying: u, strike, expiry, is_call });
                }
            }
        }
    }
    out
}

fn round_strike(x: f64) -> f64 {
    let step = 10f64.powf((x.log10().floor() - 2.0).max(0.0));
    (x / step).round() * step
}

/// An account's episode of being liquidatable.
#[derive(Debug, Clone, Copy)]
struct Episode {
    first_block: u64,
    first_time: u64,
    liquidated: bool,
}

/// Runs a scenario on a protocol, calling `progress` after each block.
pub fn run<P: Protocol>(
    scenario: &Scenario,
    scenario_file: &str,
    seed: u64,
    protocol: &mut P,
    progress: &mut dyn FnMut(u64),
) -> Result<Report, SimError> {
    let mut sim = Simulation::new(scenario, seed, protocol);
    sim.setup()?;
    for b in 0..sim.market.blocks.len() {
        sim.block(b)?;
        progress(b as u64 + 1);
    }
    Ok(sim.finish(scenario_file))
}

/// What a whale decides this block.
struct Whale {
    collateral: f64,
    leverage: f64,
    target_share: f64,
    hold_seconds: u64,
    /// Whether it starts a campaign if flat.
    trade: bool,
    /// The direction of a new campaign.
    long: bool,
}

/// A perp trader's tolerance on the protocol's quoted fill price.
pub const SLIPPAGE: f64 = 0.01;

struct Simulation<'a, P: Protocol> {
    scenario: &'a Scenario,
    seed: u64,
    protocol: &'a mut P,
    market: Market,
    series: Vec<SeriesSpec>,
    agents: Vec<Agent>,
    ops: OpRecorder,
    checker: Checker,
    events: BlockEvents,
    settled: Vec<bool>,
    sequencer_up: bool,
    pushed_surfaces: Vec<Option<crate::scenario::Surface>>,
    health_supported: bool,
    /// Views that reverted, by `view: error`.
    view_failures: std::collections::BTreeMap<String, u64>,
    liquidations_supported: bool,
    monitor: BTreeMap<AccountId, Episode>,
    latency_blocks: Vec<u64>,
    latency_seconds: Vec<u64>,
    recovered: u64,
    liquidations: Vec<LiquidationRecord>,
    liquidation_gas: u64,
    series_samples: Vec<Sample>,
    transactions: u64,
    /// Every transaction, for `transactions.jsonl`.
    log: Vec<TxLog>,
    state: ProtocolState,
    block_number: u64,
    timestamp: u64,
}

impl<'a, P: Protocol> Simulation<'a, P> {
    fn new(scenario: &'a Scenario, seed: u64, protocol: &'a mut P) -> Self {
        let market = Market::generate(scenario, seed);
        let series = series_of(scenario);
        let agents = agents::create(scenario, seed, &series);
        let reentry = protocol.kind() == "sandbox";
        Self {
            scenario,
            seed,
            protocol,
            settled: vec![false; series.len()],
            market,
            series,
            agents,
            ops: OpRecorder::default(),
            checker: Checker::new(reentry),
            events: BlockEvents::default(),
            sequencer_up: true,
            pushed_surfaces: vec![None; scenario.underlyings.len()],
            health_supported: true,
            view_failures: std::collections::BTreeMap::new(),
            liquidations_supported: true,
            monitor: BTreeMap::new(),
            latency_blocks: Vec::new(),
            latency_seconds: Vec::new(),
            recovered: 0,
            liquidations: Vec::new(),
            liquidation_gas: LIQUIDATION_GAS_GUESS,
            series_samples: Vec::new(),
            transactions: 0,
            log: Vec::new(),
            state: ProtocolState::default(),
            block_number: 0,
            timestamp: scenario.start_time,
        }
    }

    /// Records an operation's result; `None` when it is unsupported.
    /// Counts an operation's outcome and logs it: `agent` is the index of
    /// the agent that sent it (`None`: the scenario itself, e.g. an oracle
    /// update), `target` the account it acted on when not the agent's own.
    fn record(
        &mut self,
        op: OpKind,
        agent: Option<usize>,
        target: Option<AccountId>,
        result: Result<Exec, ProtocolError>,
    ) -> Result<Option<Exec>, SimError> {
        let mut entry = TxLog {
            block: self.block_number,
            timestamp: self.timestamp,
            agent: agent.map_or_else(|| "scenario".to_string(), |i| self.agents[i].name.clone()),
            account: target.or_else(|| agent.map(|i| self.agents[i].account)),
            op: op.name().to_string(),
            outcome: "ok",
            error: None,
            gas: None,
        };
        let out = match result {
            Ok(exec) => {
                self.transactions += 1;
                self.ops.exec(&exec);
                if let Some(reason) = &exec.revert {
                    entry.outcome = "reverted";
                    entry.error = Some(reason.clone());
                }
                entry.gas = (exec.gas_used > 0).then_some(exec.gas_used);
                Ok(Some(exec))
            }
            Err(ProtocolError::Unsupported { reason, .. }) => {
                self.ops.unsupported(op, &reason);
                entry.outcome = "unsupported";
                entry.error = Some(reason);
                Ok(None)
            }
            Err(source) => Err(SimError::Protocol { block: self.block_number, source }),
        };
        self.log.push(entry);
        out
    }

    fn setup(&mut self) -> Result<(), SimError> {
        let s = self.scenario;
        let setup = Setup {
            underlyings: s.underlyings.iter().map(|u| u.name.clone()).collect(),
            initial_prices: s.underlyings.iter().map(|u| u.initial_price).collect(),
            surfaces: s.underlyings.iter().map(|u| u.implied_volatility).collect(),
            series: self.series.clone(),
            accounts: self.agents.len(),
            params: s.protocol.clone(),
            start_time: s.start_time,
        };
        let execs = self
            .protocol
            .setup(&setup)
            .map_err(|source| SimError::Protocol { block: 0, source })?;
        for e in &execs {
            self.ops.exec(e);
            self.log.push(TxLog {
                block: 0,
                timestamp: self.timestamp,
                agent: "setup".to_string(),
                account: None,
                op: e.op.name().to_string(),
                outcome: if e.success() { "ok" } else { "reverted" },
                error: e.revert.clone(),
                gas: (e.gas_used > 0).then_some(e.gas_used),
            });
        }
        self.transactions += execs.len() as u64;
        for i in 0..self.agents.len() {
            let (account, role) = (self.agents[i].account, self.agents[i].role.clone());
            match role {
                Role::Trader { collateral, .. } => {
                    let r = self.protocol.deposit(account, amount(collateral));
                    if let Some(e) = self.record(OpKind::Deposit, Some(i), None, r)? {
                        if e.success() {
                            self.agents[i].collateral = amount(collateral);
                        }
                    }
                }
                Role::Lp { deposit, .. } => {
                    let r = self.protocol.lp_deposit(account, amount(deposit));
                    self.record(OpKind::LpDeposit, Some(i), None, r)?;
                }
                Role::Liquidator { .. } | Role::Keeper { .. } => {}
            }
        }
        self.refresh_state()?;
        Ok(())
    }

    fn refresh_state(&mut self) -> Result<(), SimError> {
        self.state = match self.protocol.state() {
            Ok(s) => s,
            Err(ProtocolError::Unsupported { .. }) => ProtocolState::default(),
            Err(source) => return Err(SimError::Protocol { block: self.block_number, source }),
        };
        if let Some(accounts) = &self.state.accounts {
            for agent in &mut self.agents {
                if let Some(a) = accounts.get(agent.account) {
                    agent.perps.clone_from(&a.perps);
                    agent.options.clone_from(&a.options);
                    agent.collateral = a.collateral;
                }
            }
        }
        Ok(())
    }

    fn price(&self, u: usize, b: usize) -> f64 {
        self.market.prices[u][b]
    }

    fn block(&mut self, b: usize) -> Result<(), SimError> {
        let bt = self.market.blocks[b];
        self.block_number = bt.number;
        self.timestamp = bt.timestamp;
        self.events = BlockEvents::default();
        self.protocol.begin_block(bt.number, bt.timestamp);
        self.oracle(b)?;
        self.keepers()?;
        for i in 0..self.agents.len() {
            match self.agents[i].role.clone() {
                Role::Trader { .. } => self.trader(i, b)?,
                Role::Lp { withdraw_probability, .. } => {
                    if self.agents[i].rng.random::<f64>() < withdraw_probability {
                        let r = self.protocol.lp_withdraw(self.agents[i].account, UNIT / 4);
                        self.record(OpKind::LpWithdraw, Some(i), None, r)?;
                    }
                }
                Role::Liquidator { .. } | Role::Keeper { .. } => {}
            }
        }
        self.liquidators()?;
        self.refresh_state()?;
        self.monitor_health()?;
        let mut events = std::mem::take(&mut self.events);
        events.health_observable = self.health_supported;
        events.liquidations_observable = self.liquidations_supported && self.health_supported;
        self.checker.check(bt.number, &self.state, &events);
        self.sample(b);
        Ok(())
    }

    fn oracle(&mut self, b: usize) -> Result<(), SimError> {
        let up = self.market.sequencer_up[b];
        if up != self.sequencer_up {
            self.sequencer_up = up;
            let r = self.protocol.set_sequencer(up);
            self.record(OpKind::SetSequencer, None, None, r)?;
        }
        for u in 0..self.scenario.underlyings.len() {
            let price = self.price(u, b);
            let feed = self.market.feeds[u][b];
            let primary = feed.publishes.then_some(price);
            let r = self.protocol.push_price(u, primary, price * (1.0 + feed.secondary_deviation));
            self.record(OpKind::PushPrice, None, None, r)?;
            let surface = self.market.surfaces[u][b];
            let moved = self.pushed_surfaces[u].is_none_or(|s| {
                (s.atm - surface.atm).abs() > 0.005 || (s.skew - surface.skew).abs() > 0.005
            });
            if moved {
                let r = self.protocol.push_volatility(u, &surface);
                if self.record(OpKind::PushVolatility, None, None, r)?.is_some_and(|e| e.success())
                {
                    self.pushed_surfaces[u] = Some(surface);
                } else {
                    // Unsupported or rejected: try again when the surface moves on.
                    self.pushed_surfaces[u] = Some(surface);
                }
            }
        }
        Ok(())
    }

    fn keepers(&mut self) -> Result<(), SimError> {
        let keepers: Vec<(usize, AccountId, u64)> = self
            .agents
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                if let Role::Keeper { delay } = a.role {
                    Some((i, a.account, delay))
                } else {
                    None
                }
            })
            .collect();
        for (keeper, account, delay) in keepers {
            for s in 0..self.series.len() {
                if !self.settled[s] && self.timestamp >= self.series[s].expiry + delay {
                    let r = self.protocol.settle(account, s);
                    match self.record(OpKind::Settle, Some(keeper), None, r)? {
                        Some(e) if e.success() || e.revert.as_deref() == Some("AlreadySettled") => {
                            self.settled[s] = true;
                        }
                        None => self.settled[s] = true, // unsupported: do not retry every block
                        Some(_) => {}
                    }
                }
            }
        }
        Ok(())
    }

    fn live_series(&self, underlyings: &[usize]) -> Vec<usize> {
        (0..self.series.len())
            .filter(|&s| {
                underlyings.contains(&self.series[s].underlying)
                    && self.series[s].expiry > self.timestamp + 3_600
            })
            .collect()
    }

    /// The live series of underlying `u` (calls or puts) whose |delta| is
    /// closest to `target`.
    fn closest_delta(&self, u: usize, b: usize, is_call: bool, target: f64) -> Option<usize> {
        self.live_series(&[u])
            .into_iter()
            .filter(|&s| self.series[s].is_call == is_call)
            .map(|s| (s, (self.option_quote(s, b).1.abs() - target).abs()))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map(|(s, _)| s)
    }

    fn option_quote(&self, s: usize, b: usize) -> (f64, f64) {
        let spec = self.series[s];
        let spot = self.price(spec.underlying, b);
        #[allow(clippy::cast_precision_loss)]
        let years = spec.expiry.saturating_sub(self.timestamp) as f64 / SECONDS_PER_YEAR;
        let vol = self.market.surfaces[spec.underlying][b].vol(spot, spec.strike, years);
        black_scholes(spot, spec.strike, years, vol, spec.is_call)
    }

    #[allow(clippy::too_many_lines)]
    fn trader(&mut self, i: usize, b: usize) -> Result<(), SimError> {
        let Role::Trader {
            strategy,
            collateral,
            leverage,
            trade_probability,
            close_probability,
            long_probability,
            underlyings,
            hedge_threshold,
            withdraw_probability,
            withdraw_share,
            target_delta,
            target_share,
            hold_seconds,
        } = self.agents[i].role.clone()
        else {
            return Ok(());
        };
        let account = self.agents[i].account;
        // The withdrawal roll comes from its own draw only when enabled, so
        // scenarios without withdrawals keep their random streams.
        if withdraw_probability > 0.0 && self.agents[i].rng.random::<f64>() < withdraw_probability {
            self.withdraw_free(i, withdraw_share)?;
        }
        // A trader wiped out below a tenth of its stake stops trading.
        let bankrupt = to_f64(self.agents[i].collateral) < 0.1 * collateral;
        let roll_trade: f64 = self.agents[i].rng.random();
        let roll_close: f64 = self.agents[i].rng.random();
        let pick: f64 = self.agents[i].rng.random();
        let direction: f64 = self.agents[i].rng.random();
        let has_perp = self.agents[i].perps.iter().any(|p| *p != 0);
        let has_options = self.agents[i].options.iter().any(|o| *o != 0);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let choose = |n: usize| ((pick * n as f64) as usize).min(n.saturating_sub(1));
        match strategy {
            Strategy::DirectionalPerp => {
                if has_perp && roll_close < close_probability {
                    self.close_perps(i, b)?;
                } else if !has_perp
                    && !bankrupt
                    && roll_trade < trade_probability
                    && !underlyings.is_empty()
                {
                    let u = underlyings[choose(underlyings.len())];
                    let price = self.price(u, b);
                    let long = direction < long_probability;
                    let size = amount(collateral * leverage / price) * if long { 1 } else { -1 };
                    self.perp(i, u, size, price, b)?;
                }
            }
            Strategy::OptionBuyer => {
                if has_options && roll_close < close_probability {
                    self.close_options(i)?;
                } else if !bankrupt && roll_trade < trade_probability {
                    let live = self.live_series(&underlyings);
                    if !live.is_empty() {
                        let s = live[choose(live.len())];
                        let (premium, _) = self.option_quote(s, b);
                        if premium > 0.01 {
                            let budget =
                                to_f64(self.agents[i].collateral).min(collateral) * leverage;
                            // Lottery tickets are capped at twice the collateral in spot notional.
                            let spot = self.price(self.series[s].underlying, b);
                            let units = (budget
                                / (premium * (1.0 + self.scenario.protocol.option_spread)))
                                .min(2.0 * collateral / spot);
                            let size = amount(units);
                            self.option(i, s, size)?;
                        }
                    }
                }
            }
            Strategy::Whale => {
                if let Some(&u) = underlyings.first() {
                    let trade = !bankrupt && roll_trade < trade_probability;
                    let long = direction < long_probability;
                    let plan =
                        Whale { collateral, leverage, target_share, hold_seconds, trade, long };
                    self.whale(i, u, b, &plan)?;
                }
            }
            Strategy::ShortPuts | Strategy::ShortStrangle | Strategy::CoveredCall => {
                if (has_options || has_perp) && roll_close < close_probability {
                    self.close_options(i)?;
                    self.close_perps(i, b)?;
                } else if !has_options && !bankrupt && roll_trade < trade_probability {
                    if let Some(&u) = underlyings.first() {
                        let spot = self.price(u, b);
                        let units = amount(collateral * leverage / spot / 4.0);
                        let pick = |is_call| self.closest_delta(u, b, is_call, target_delta);
                        let (put, call) = (pick(false), pick(true));
                        match strategy {
                            Strategy::ShortPuts => {
                                if let Some(s) = put {
                                    self.option(i, s, -units)?;
                                }
                            }
                            Strategy::ShortStrangle => {
                                for s in [put, call].into_iter().flatten() {
                                    self.option(i, s, -units / 2)?;
                                }
                            }
                            _ => {
                                if let Some(s) = call {
                                    if self.agents[i].perps[u] < units {
                                        let missing = units - self.agents[i].perps[u];
                                        self.perp(i, u, missing, spot, b)?;
                                    }
                                    self.option(i, s, -units)?;
                                }
                            }
                        }
                    }
                }
            }
            Strategy::OptionWriter | Strategy::DeltaHedger => {
                if has_options && roll_close < close_probability {
                    self.close_options(i)?;
                    if strategy == Strategy::DeltaHedger {
                        self.close_perps(i, b)?;
                    }
                } else if !bankrupt && roll_trade < trade_probability {
                    let live = self.live_series(&underlyings);
                    if !live.is_empty() {
                        let s = live[choose(live.len())];
                        let spot = self.price(self.series[s].underlying, b);
                        let size = amount(collateral * leverage / spot / 4.0);
                        self.option(i, s, -size)?;
                    }
                }
                if strategy == Strategy::DeltaHedger {
                    self.hedge(i, b, &underlyings, hedge_threshold)?;
                }
            }
        }
        let _ = account;
        Ok(())
    }

    fn perp(
        &mut self,
        i: usize,
        u: usize,
        size: Amount,
        price: f64,
        _b: usize,
    ) -> Result<(), SimError> {
        if size == 0 {
            return Ok(());
        }
        let account = self.agents[i].account;
        // The acceptable price comes from the protocol's own quote, as a
        // trader's front end sets it, with [`SLIPPAGE`] of tolerance; without
        // a quote (the view reverted) the trader does not trade.
        let quoted = match self.protocol.perp_quote(u, size) {
            Ok(fill) => to_f64(fill),
            Err(ProtocolError::Unsupported { .. }) => price,
            Err(ProtocolError::ViewReverted { view, reason }) => {
                *self.view_failures.entry(format!("{view}: {reason}")).or_default() += 1;
                return Ok(());
            }
            Err(source) => return Err(SimError::Protocol { block: self.block_number, source }),
        };
        let tolerance = if size > 0 { 1.0 + SLIPPAGE } else { 1.0 - SLIPPAGE };
        let acceptable = amount(quoted * tolerance);
        let result = self.protocol.trade_perp(account, u, size, acceptable);
        let op = result.as_ref().map_or(OpKind::OpenPerp, |e| e.op);
        if let Some(e) = self.record(op, Some(i), None, result)? {
            if e.success() {
                self.agents[i].perps[u] += size;
                if e.op == OpKind::OpenPerp {
                    self.after_risk(account)?;
                }
            }
        }
        Ok(())
    }

    fn option(&mut self, i: usize, s: usize, size: Amount) -> Result<(), SimError> {
        if size == 0 {
            return Ok(());
        }
        let account = self.agents[i].account;
        let held = self.agents[i].options[s];
        let result = self.protocol.trade_option(account, s, size);
        let op = if size > 0 { OpKind::BuyOption } else { OpKind::SellOption };
        if let Some(e) = self.record(op, Some(i), None, result)? {
            if e.success() {
                self.agents[i].options[s] += size;
                if (held + size).abs() > held.abs() {
                    self.after_risk(account)?;
                }
            }
        }
        Ok(())
    }

    fn close_perps(&mut self, i: usize, b: usize) -> Result<(), SimError> {
        for u in 0..self.agents[i].perps.len() {
            let size = self.agents[i].perps[u];
            if size != 0 {
                let price = self.price(u, b);
                self.perp(i, u, -size, price, b)?;
            }
        }
        Ok(())
    }

    fn close_options(&mut self, i: usize) -> Result<(), SimError> {
        for s in 0..self.agents[i].options.len() {
            let held = self.agents[i].options[s];
            if held != 0 && self.series[s].expiry > self.timestamp {
                self.option(i, s, -held)?;
            }
        }
        Ok(())
    }

    /// Keeps a hedger's delta per underlying within its band with perps.
    fn hedge(
        &mut self,
        i: usize,
        b: usize,
        underlyings: &[usize],
        threshold: f64,
    ) -> Result<(), SimError> {
        for &u in underlyings {
            let mut delta = to_f64(self.agents[i].perps[u]);
            let mut gross = 0.0;
            for s in 0..self.series.len() {
                let held = self.agents[i].options[s];
                if held != 0
                    && self.series[s].underlying == u
                    && self.series[s].expiry > self.timestamp
                {
                    let (_, d) = self.option_quote(s, b);
                    delta += to_f64(held) * d;
                    gross += to_f64(held).abs();
                }
            }
            if gross > 0.0 && delta.abs() > threshold * gross {
                let price = self.price(u, b);
                self.perp(i, u, -amount(delta), price, b)?;
            }
        }
        Ok(())
    }

    /// Invariant 2: after a risk-adding action the account must be at or
    /// above initial margin.
    /// One block of a whale's campaign on underlying `u`: start one (when
    /// flat and it decides to trade), build towards the target in trades of
    /// at most the maximum trade size, hold, then unwind the same way.
    fn whale(&mut self, i: usize, u: usize, b: usize, plan: &Whale) -> Result<(), SimError> {
        let price = self.price(u, b);
        let p = &self.scenario.protocol;
        // The maximum trade size is in base units at the start price.
        let chunk = amount(p.max_trade_size_usd / self.scenario.underlyings[u].initial_price);
        let target = amount(
            (plan.target_share * p.max_open_interest_usd).min(plan.collateral * plan.leverage)
                / price,
        );
        let held = self.agents[i].perps[u];
        match self.agents[i].campaign {
            None => {
                if held == 0 && plan.trade && target > 0 {
                    let sign = if plan.long { 1 } else { -1 };
                    self.agents[i].campaign = Some((self.timestamp, sign));
                    self.perp(i, u, sign * chunk.min(target), price, b)?;
                }
            }
            Some((started, sign)) if self.timestamp < started + plan.hold_seconds => {
                // Top-ups below a twentieth of the target are not worth a
                // trade (and may be under the minimum trade size).
                let missing = target - held.abs();
                if missing > target / 20 && held.signum() != -sign {
                    self.perp(i, u, sign * chunk.min(missing), price, b)?;
                }
            }
            Some(_) => {
                if held == 0 {
                    self.agents[i].campaign = None;
                } else {
                    self.perp(i, u, -held.signum() * chunk.min(held.abs()), price, b)?;
                }
            }
        }
        Ok(())
    }

    /// Withdraws `share` of agent `i`'s free collateral (equity above initial
    /// margin, at most its collateral), when its health can be read.
    fn withdraw_free(&mut self, i: usize, share: f64) -> Result<(), SimError> {
        let account = self.agents[i].account;
        let Some(h) = self.health(account)? else { return Ok(()) };
        let free = (h.equity - h.initial_margin).min(self.agents[i].collateral);
        let withdrawn = amount(to_f64(free) * share);
        if withdrawn < UNIT {
            return Ok(());
        }
        let r = self.protocol.withdraw(account, withdrawn);
        if self.record(OpKind::Withdraw, Some(i), None, r)?.is_some_and(|e| e.success()) {
            self.agents[i].collateral -= withdrawn;
            self.after_risk(account)?;
        }
        Ok(())
    }

    fn after_risk(&mut self, account: AccountId) -> Result<(), SimError> {
        if let Some(h) = self.health(account)? {
            if h.equity < h.initial_margin {
                self.events.below_initial.push((account, h.equity, h.initial_margin));
            }
        }
        Ok(())
    }

    fn health(&mut self, account: AccountId) -> Result<Option<Health>, SimError> {
        if !self.health_supported {
            return Ok(None);
        }
        match self.protocol.health(account) {
            Ok(h) => Ok(Some(h)),
            Err(ProtocolError::Unsupported { .. }) => {
                self.health_supported = false;
                Ok(None)
            }
            Err(ProtocolError::ViewReverted { view, reason }) => {
                *self.view_failures.entry(format!("{view}: {reason}")).or_default() += 1;
                Ok(None)
            }
            Err(source) => Err(SimError::Protocol { block: self.block_number, source }),
        }
    }

    fn liquidators(&mut self) -> Result<(), SimError> {
        let bots: Vec<(usize, u64, u64)> = self
            .agents
            .iter()
            .enumerate()
            .filter_map(|(i, a)| match a.role {
                Role::Liquidator { reaction_delay, gas_budget } => {
                    Some((i, reaction_delay, gas_budget))
                }
                _ => None,
            })
            .collect();
        for (bot, delay, budget) in bots {
            let mut due: Vec<(u64, AccountId)> = self
                .monitor
                .iter()
                .filter(|(_, e)| e.first_block + delay <= self.block_number)
                .map(|(a, e)| (e.first_block, *a))
                .collect();
            due.sort_unstable();
            let mut spent = 0;
            for (_, account) in due {
                if spent + self.liquidation_gas > budget {
                    break;
                }
                let liquidator = self.agents[bot].account;
                let r = self.protocol.liquidate(liquidator, account);
                let Some(e) = self.record(OpKind::Liquidate, Some(bot), Some(account), r)? else {
                    self.liquidations_supported = false;
                    return Ok(());
                };
                spent += e.gas_used.max(1);
                if e.gas_used > 0 {
                    self.liquidation_gas = e.gas_used;
                }
                if e.success() {
                    self.liquidated(bot, account, &e);
                }
            }
        }
        Ok(())
    }

    fn liquidated(&mut self, bot: usize, account: AccountId, e: &Exec) {
        let out = e.liquidation.unwrap_or_default();
        let Some(episode) = self.monitor.get_mut(&account) else { return };
        let (blocks, seconds) =
            (self.block_number - episode.first_block, self.timestamp - episode.first_time);
        if !episode.liquidated {
            episode.liquidated = true;
            self.latency_blocks.push(blocks);
            self.latency_seconds.push(seconds);
        }
        self.events.liquidations.push((account, out));
        self.liquidations.push(LiquidationRecord {
            block: self.block_number,
            timestamp: self.timestamp,
            account,
            agent: self.agents[account].name.clone(),
            liquidator: self.agents[bot].name.clone(),
            closed_notional: to_f64(out.closed_notional),
            bonus: to_f64(out.bonus),
            bad_debt: to_f64(out.bad_debt),
            latency_blocks: blocks,
            latency_seconds: seconds,
            gas_used: e.gas_used,
        });
    }

    /// Looks at every trader's health; opens and closes liquidatable episodes.
    fn monitor_health(&mut self) -> Result<(), SimError> {
        let traders: Vec<AccountId> = self
            .agents
            .iter()
            .filter(|a| matches!(a.role, Role::Trader { .. }))
            .map(|a| a.account)
            .collect();
        for account in traders {
            // An account without positions has no requirement: skip the view.
            let agent = &self.agents[account];
            let open = agent.perps.iter().any(|p| *p != 0) || agent.options.iter().any(|o| *o != 0);
            if !open && !self.monitor.contains_key(&account) {
                continue;
            }
            let Some(h) = self.health(account)? else {
                if self.health_supported {
                    // Its view reverted (counted): nothing is known this block.
                    continue;
                }
                return Ok(());
            };
            match (h.liquidatable, self.monitor.contains_key(&account)) {
                (true, false) => {
                    self.monitor.insert(
                        account,
                        Episode {
                            first_block: self.block_number,
                            first_time: self.timestamp,
                            liquidated: false,
                        },
                    );
                }
                (false, true) => {
                    if let Some(e) = self.monitor.remove(&account) {
                        if !e.liquidated {
                            self.recovered += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn sample(&mut self, b: usize) {
        let s = &self.state;
        let prices: Vec<f64> =
            (0..self.scenario.underlyings.len()).map(|u| self.price(u, b)).collect();
        let open_interest = s.markets.as_ref().map(|ms| {
            ms.iter()
                .enumerate()
                .map(|(m, x)| to_f64(x.long_open_interest + x.short_open_interest) * prices[m])
                .collect::<Vec<f64>>()
        });
        let option_open_interest = s.accounts.as_ref().map(|accounts| {
            let mut per_underlying = vec![0.0; prices.len()];
            for account in accounts {
                for (spec, amount) in self.series.iter().zip(&account.options) {
                    per_underlying[spec.underlying] +=
                        to_f64(amount.abs()) * prices[spec.underlying];
                }
            }
            per_underlying
        });
        let collateral = s.total_collateral.map(to_f64);
        let pool = s.pool_assets.map(to_f64);
        let capital_efficiency = match (&open_interest, collateral, pool) {
            (Some(oi), Some(c), Some(p)) if c + p > 0.0 => Some(oi.iter().sum::<f64>() / (c + p)),
            _ => None,
        };
        self.series_samples.push(Sample {
            block: self.block_number,
            timestamp: self.timestamp,
            prices,
            collateral,
            pool,
            open_interest,
            option_open_interest,
            capital_efficiency,
            insurance_fund: s.insurance_fund.map(to_f64),
            bad_debt: s.bad_debt.map(to_f64),
            lp_share_price: s.lp_share_price.map(to_f64),
            funding_rates: s
                .markets
                .as_ref()
                .map(|ms| ms.iter().map(|m| to_f64(m.funding_rate)).collect()),
            liquidations: self.liquidations.len() as u64,
            liquidatable_accounts: self.health_supported.then_some(self.monitor.len() as u64),
        });
    }

    fn finish(self, scenario_file: &str) -> Report {
        let samples = &self.series_samples;
        let first_last_min = |f: &dyn Fn(&Sample) -> Option<f64>| {
            let values: Vec<f64> = samples.iter().filter_map(f).collect();
            let first = *values.first()?;
            let last = *values.last()?;
            Some([first, last, values.iter().copied().fold(f64::INFINITY, f64::min)])
        };
        let sum = |v: &Option<Vec<f64>>| v.as_ref().map(|v| v.iter().sum::<f64>());
        let total_oi = |x: &Sample| match (sum(&x.open_interest), sum(&x.option_open_interest)) {
            (None, None) => None,
            (perps, options) => Some(perps.unwrap_or(0.0) + options.unwrap_or(0.0)),
        };
        let option_oi = |x: &Sample| sum(&x.option_open_interest);
        let efficiencies: Vec<f64> = samples.iter().filter_map(|x| x.capital_efficiency).collect();
        let last = samples.last();
        #[allow(clippy::cast_precision_loss)]
        let mean_efficiency = (!efficiencies.is_empty())
            .then(|| efficiencies.iter().sum::<f64>() / efficiencies.len() as f64);
        let summary = Summary {
            blocks: samples.len() as u64,
            duration_seconds: self.scenario.duration(),
            agents: self.agents.len(),
            transactions: self.transactions,
            liquidations: self.liquidations.len() as u64,
            liquidated_notional: self.liquidations.iter().map(|l| l.closed_notional).sum(),
            liquidation_bonus: self.liquidations.iter().map(|l| l.bonus).sum(),
            bad_debt: self.state.bad_debt.map(to_f64),
            pool_absorbed: self.state.pool_absorbed.map(to_f64),
            insurance_fund: first_last_min(&|x| x.insurance_fund),
            lp_share_price: first_last_min(&|x| x.lp_share_price),
            peak_open_interest: samples.iter().filter_map(total_oi).reduce(f64::max),
            peak_option_open_interest: samples.iter().filter_map(option_oi).reduce(f64::max),
            peak_capital_efficiency: efficiencies.iter().copied().reduce(f64::max),
            mean_capital_efficiency: mean_efficiency,
            final_tvl: last.and_then(|x| Some(x.collateral? + x.pool.unwrap_or(0.0))),
            view_failures: self.view_failures.clone(),
        };
        let mut phases = Vec::new();
        for (i, p) in self.scenario.phases.iter().enumerate() {
            if let Some(bt) = self.market.blocks.iter().find(|b| b.phase == i) {
                phases.push((p.name.clone(), bt.number));
            }
        }
        Report {
            scenario: self.scenario.name.clone(),
            scenario_file: scenario_file.to_string(),
            seed: self.seed,
            protocol: self.protocol.kind().to_string(),
            underlyings: self.scenario.underlyings.iter().map(|u| u.name.clone()).collect(),
            phases,
            summary,
            liquidation_latency: Latency {
                blocks: Spread::of(&self.latency_blocks),
                seconds: Spread::of(&self.latency_seconds),
                recovered_unliquidated: self.recovered,
                open_at_end: self.monitor.len() as u64,
            },
            liquidations: self.liquidations,
            operations: self.ops.finish(),
            invariants: self.checker.statuses(),
            violations: self.checker.violations.clone(),
            accounts: self.agents.iter().map(|a| a.name.clone()).collect(),
            series: self.series_samples,
            transactions: self.log,
        }
    }
}
