//! The scenario: what the market does, who trades, and which protocol
//! parameters are in force. Parsed from TOML with errors that name the file,
//! line, column, field and what was expected.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The built-in scenario: a calm week, a 35% crash over an hour with a
/// volatility spike, then a partial recovery.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// Name used for the built-in scenario in error messages.
pub const DEFAULT_SCENARIO_FILE: &str = "<built-in default.toml>";

/// Seconds in a (365-day) year, the unit of annualised drift and volatility.
pub const SECONDS_PER_YEAR: f64 = 31_536_000.0;

/// A complete scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name shown in the report.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Seed used when the command line gives none.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Unix time of the first block.
    #[serde(default = "default_start_time")]
    pub start_time: u64,
    /// The underlyings, each with a perp market and option series.
    pub underlyings: Vec<Underlying>,
    /// The regime schedule, in order; the run lasts their total duration.
    pub phases: Vec<Phase>,
    /// Moves of the implied-volatility surface.
    #[serde(default)]
    pub volatility: Vec<VolatilityMove>,
    /// Oracle incidents: stale feed, deviating second source, sequencer down.
    #[serde(default)]
    pub oracle_events: Vec<OracleEvent>,
    /// Which option series are listed.
    #[serde(default)]
    pub options: OptionsListing,
    /// The agents.
    pub agents: Agents,
    /// Protocol parameters (defaults unless overridden).
    #[serde(default)]
    pub protocol: ProtocolParams,
}

fn default_seed() -> u64 {
    1
}

fn default_start_time() -> u64 {
    // 2026-01-01T00:00:00Z
    1_767_225_600
}

fn one() -> f64 {
    1.0
}

/// An underlying asset and how its price moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Underlying {
    /// Ticker, e.g. `"ETH"`.
    pub name: String,
    /// Price at the first block, in USD.
    pub initial_price: f64,
    /// Multiplies every phase's volatility (0.8 = calmer than the regime).
    #[serde(default = "one")]
    pub volatility_scale: f64,
    /// Multiplies every phase's `target_return` (1.2 = falls harder in a crash).
    #[serde(default = "one")]
    pub beta: f64,
    /// Initial implied-volatility surface.
    pub implied_volatility: Surface,
    /// Explicit price points `[seconds from start, price]` instead of the
    /// phases' random walk; linear in between, flat after the last point.
    #[serde(default)]
    pub points: Vec<[f64; 2]>,
}

/// A parametric implied-volatility surface:
/// `vol(k, T) = atm + skew * k + smile * k^2 + term * (T - 30 days in years)`
/// with `k = ln(strike / spot)`, floored at 1%.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Surface {
    /// At-the-money volatility (annualised, 0.6 = 60%).
    pub atm: f64,
    /// Slope in log-moneyness (negative: puts dearer).
    #[serde(default)]
    pub skew: f64,
    /// Curvature in log-moneyness.
    #[serde(default)]
    pub smile: f64,
    /// Slope in years to expiry, around 30 days.
    #[serde(default)]
    pub term: f64,
}

impl Surface {
    /// Volatility for a strike at a spot and time to expiry in years.
    pub fn vol(&self, spot: f64, strike: f64, years: f64) -> f64 {
        let k = (strike / spot).ln();
        (self.atm + self.skew * k + self.smile * k * k + self.term * (years - 30.0 / 365.0))
            .max(0.01)
    }
}

/// One regime of the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Name shown in the report.
    pub name: String,
    /// Length in seconds.
    pub duration: u64,
    /// Seconds per simulated block.
    pub step: u64,
    /// Annualised drift of the log price.
    #[serde(default)]
    pub drift: f64,
    /// Annualised volatility of the diffusion.
    pub volatility: f64,
    /// Expected number of jumps per day.
    #[serde(default)]
    pub jumps_per_day: f64,
    /// Mean of a jump's log return.
    #[serde(default)]
    pub jump_mean: f64,
    /// Standard deviation of a jump's log return.
    #[serde(default)]
    pub jump_stdev: f64,
    /// When set, the phase's path is bridged to end exactly this simple
    /// return from where it began (-0.35 = a 35% fall), times each
    /// underlying's `beta`.
    #[serde(default)]
    pub target_return: Option<f64>,
}

/// A move of the implied-volatility surface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolatilityMove {
    /// Seconds from start when the move begins.
    pub at: u64,
    /// Seconds over which the surface moves linearly to the new values (0 = at once).
    #[serde(default)]
    pub ramp: u64,
    /// Underlying it applies to; all when omitted.
    #[serde(default)]
    pub underlying: Option<String>,
    /// New ATM volatility.
    pub atm: f64,
    /// New skew; unchanged when omitted.
    #[serde(default)]
    pub skew: Option<f64>,
    /// New smile; unchanged when omitted.
    #[serde(default)]
    pub smile: Option<f64>,
    /// New term slope; unchanged when omitted.
    #[serde(default)]
    pub term: Option<f64>,
}

/// The kind of an oracle incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OracleEventKind {
    /// The primary feed publishes no new round.
    Stale,
    /// The second source reports `deviation` away from the primary.
    Deviation,
    /// The L2 sequencer is down (then a grace period applies).
    SequencerDown,
}

/// An oracle incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleEvent {
    /// What happens.
    pub kind: OracleEventKind,
    /// Seconds from start.
    pub at: u64,
    /// How long, in seconds.
    pub duration: u64,
    /// Underlying whose feed is affected (all when omitted; ignored for the sequencer).
    #[serde(default)]
    pub underlying: Option<String>,
    /// Relative deviation of the second source (`deviation` events), e.g. 0.05.
    #[serde(default)]
    pub deviation: f64,
}

/// The option series listed at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsListing {
    /// Expiries, in days from the start (each moved to the next 08:00 UTC).
    #[serde(default = "default_expiries")]
    pub expiries_days: Vec<f64>,
    /// Strikes as fractions of the initial price (1.0 = at the money).
    #[serde(default = "default_strikes")]
    pub strikes: Vec<f64>,
}

fn default_expiries() -> Vec<f64> {
    vec![3.0, 14.0]
}

fn default_strikes() -> Vec<f64> {
    vec![0.8, 0.9, 1.0, 1.1, 1.2]
}

impl Default for OptionsListing {
    fn default() -> Self {
        Self { expiries_days: default_expiries(), strikes: default_strikes() }
    }
}

/// All agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agents {
    /// Trader groups.
    #[serde(default)]
    pub traders: Vec<TraderGroup>,
    /// Liquidity providers.
    #[serde(default)]
    pub lps: Vec<LpGroup>,
    /// Liquidator bots.
    #[serde(default)]
    pub liquidators: Vec<LiquidatorGroup>,
    /// Keepers that record settlement prices and settle expired series.
    #[serde(default)]
    pub keepers: Vec<KeeperGroup>,
}

/// A trader's strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Opens leveraged long or short perps and closes them at random.
    DirectionalPerp,
    /// Buys calls and puts.
    OptionBuyer,
    /// Sells calls and puts, margined by the risk engine.
    OptionWriter,
    /// Sells options and keeps the book delta-neutral with perps.
    DeltaHedger,
    /// Builds one large perp position, `target_share` of the market's
    /// maximum open interest, in trades of at most the maximum trade size,
    /// keeps it until `hold_seconds` after its first trade, then unwinds it
    /// the same way.
    Whale,
    /// Sells the put whose |delta| is closest to `target_delta`.
    ShortPuts,
    /// Sells the put and the call whose |delta| are closest to
    /// `target_delta`, half the size each.
    ShortStrangle,
    /// Holds a long perp and sells as many calls, at the call whose delta is
    /// closest to `target_delta`.
    CoveredCall,
}

/// An inclusive range; amounts are drawn log-uniformly, leverage uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// A group of traders sharing a strategy and its distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraderGroup {
    /// Group name.
    pub name: String,
    /// How many traders.
    pub count: u32,
    /// What they do.
    pub strategy: Strategy,
    /// Initial collateral in USD.
    pub collateral: Range,
    /// Target notional (or, for writers, written notional) over collateral.
    pub leverage: Range,
    /// Chance per block of opening or adding to a position.
    pub trade_probability: f64,
    /// Chance per block of closing what is open.
    #[serde(default = "default_close_probability")]
    pub close_probability: f64,
    /// Chance that a directional trade is long.
    #[serde(default = "default_half")]
    pub long_probability: f64,
    /// Underlyings traded (all when empty).
    #[serde(default)]
    pub underlyings: Vec<String>,
    /// Delta hedgers rebalance when |delta| exceeds this fraction of the
    /// written amount.
    #[serde(default = "default_hedge_threshold")]
    pub hedge_threshold: f64,
    /// Chance per block of withdrawing part of the free collateral (equity
    /// above initial margin); 0: never.
    #[serde(default)]
    pub withdraw_probability: f64,
    /// Share of the free collateral withdrawn.
    #[serde(default = "default_half")]
    pub withdraw_share: f64,
    /// A whale's target position, as a share of the market's maximum open
    /// interest (bounded by its collateral times leverage).
    #[serde(default = "default_target_share")]
    pub target_share: f64,
    /// Option sellers by delta (`short_puts`, `short_strangle`,
    /// `covered_call`) pick the strike whose |delta| is closest to this.
    #[serde(default = "default_target_delta")]
    pub target_delta: f64,
    /// How long a whale's campaign lasts from its first trade (building,
    /// then holding) before it unwinds, seconds.
    #[serde(default = "default_hold_seconds")]
    pub hold_seconds: u64,
}

fn default_target_delta() -> f64 {
    0.25
}

fn default_target_share() -> f64 {
    0.2
}

fn default_hold_seconds() -> u64 {
    3_600
}

fn default_close_probability() -> f64 {
    0.01
}

fn default_half() -> f64 {
    0.5
}

fn default_hedge_threshold() -> f64 {
    0.1
}

/// A group of liquidity providers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LpGroup {
    /// Group name.
    pub name: String,
    /// How many.
    pub count: u32,
    /// Deposit in USD.
    pub deposit: Range,
    /// Chance per block of withdrawing a quarter of the position.
    #[serde(default)]
    pub withdraw_probability: f64,
}

/// A group of liquidator bots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidatorGroup {
    /// Group name.
    pub name: String,
    /// How many.
    pub count: u32,
    /// Blocks between seeing an account liquidatable and acting.
    pub reaction_delay: u64,
    /// Gas each bot may spend per block.
    pub gas_budget: u64,
}

/// A group of keepers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeeperGroup {
    /// Group name.
    pub name: String,
    /// How many.
    pub count: u32,
    /// Seconds after an expiry before a keeper records its settlement price.
    #[serde(default)]
    pub delay: u64,
}

/// Protocol parameters, all overridable from `[protocol]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolParams {
    /// Initial margin as a fraction of perp notional.
    pub initial_margin: f64,
    /// Maintenance margin as a fraction of perp notional.
    pub maintenance_margin: f64,
    /// Initial margin of a short option, as a fraction of spot notional, on top of its mark.
    pub option_initial_margin: f64,
    /// Maintenance margin of a short option, as a fraction of spot notional, on top of its mark.
    pub option_maintenance_margin: f64,
    /// Share of a long option's mark counted as equity.
    pub long_option_credit: f64,
    /// Liquidator bonus as a fraction of the notional closed.
    pub liquidation_bonus: f64,
    /// Liquidations stop once equity is above maintenance times `1 + buffer`.
    pub liquidation_buffer: f64,
    /// Skew scale of each perp market, in USD of notional.
    pub skew_scale_usd: f64,
    /// Fee on the notional of a trade that increases skew.
    pub taker_fee: f64,
    /// Fee on the notional of a trade that reduces skew.
    pub maker_fee: f64,
    /// Cap on each side's open interest per market, in USD.
    pub max_open_interest_usd: f64,
    /// Largest trade that adds risk, per market, in USD of notional at the
    /// start price.
    pub max_trade_size_usd: f64,
    /// Funding-rate velocity: change of the daily rate per day at full skew.
    pub funding_velocity: f64,
    /// Bound on the funding rate, per day.
    pub max_funding_rate: f64,
    /// Spread added to the Black-Scholes premium, as a fraction of it.
    pub option_spread: f64,
    /// Limit on the pool's net option delta per underlying, in USD of spot.
    pub pool_delta_limit_usd: f64,
    /// Initial insurance fund in USD.
    pub insurance_fund: f64,
    /// Share of fees sent to the insurance fund.
    pub insurance_fee_share: f64,
    /// Share of fees kept by the protocol.
    pub protocol_fee_share: f64,
    /// Deposit cap of the quote token, in USD.
    pub collateral_cap: f64,
    /// Oracle maximum age, seconds.
    pub oracle_max_age: u64,
    /// Maximum relative deviation between the two price sources.
    pub oracle_max_deviation: f64,
    /// Grace period after the sequencer comes back, seconds.
    pub sequencer_grace: u64,
}

impl Default for ProtocolParams {
    fn default() -> Self {
        Self {
            initial_margin: 0.10,
            maintenance_margin: 0.05,
            option_initial_margin: 0.15,
            option_maintenance_margin: 0.10,
            long_option_credit: 0.8,
            liquidation_bonus: 0.02,
            liquidation_buffer: 0.05,
            skew_scale_usd: 1.0e9,
            taker_fee: 0.0005,
            maker_fee: 0.0002,
            max_open_interest_usd: 100.0e6,
            max_trade_size_usd: 10.0e6,
            funding_velocity: 0.03,
            max_funding_rate: 0.1,
            option_spread: 0.03,
            pool_delta_limit_usd: 20.0e6,
            insurance_fund: 250_000.0,
            insurance_fee_share: 0.2,
            protocol_fee_share: 0.1,
            collateral_cap: 1.0e10,
            oracle_max_age: 3_600,
            oracle_max_deviation: 0.02,
            sequencer_grace: 1_800,
        }
    }
}

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or a field is wrong.
    #[error("{file}:{line}:{column}: `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Field path, e.g. `agents.traders[1].leverage.max`.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// Most blocks a run may have (keeps a typo from running for hours).
pub const MAX_BLOCKS: u64 = 1_000_000;

/// Most agents per group.
pub const MAX_GROUP: u32 = 10_000;

impl Scenario {
    /// The built-in default scenario.
    pub fn builtin() -> Result<Self, ScenarioError> {
        Self::parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE)
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ScenarioError::Io { file: file.clone(), source })?;
        Self::parse(&text, &file)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, ScenarioError> {
        let scenario: Self = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let field = crate::locate::path_at(text, offset);
            located(text, file, offset, field, e.message().trim().to_string())
        })?;
        scenario.validate().map_err(|(field, message)| {
            let offset = crate::locate::offset_of(text, &field);
            located(text, file, offset, field, message)
        })?;
        Ok(scenario)
    }

    /// Total duration in seconds.
    pub fn duration(&self) -> u64 {
        self.phases.iter().map(|p| p.duration).sum()
    }

    /// Number of blocks the run has.
    pub fn blocks(&self) -> u64 {
        self.phases.iter().map(|p| p.duration.div_ceil(p.step.max(1))).sum()
    }

    /// Index of an underlying by name.
    pub fn underlying_index(&self, name: &str) -> Option<usize> {
        self.underlyings.iter().position(|u| u.name == name)
    }

    /// Checks every value; the error is `(field path, message)`.
    fn validate(&self) -> Result<(), (String, String)> {
        let err = |field: String, message: &str| Err((field, message.to_string()));
        if self.underlyings.is_empty() {
            return err("underlyings".into(), "expected at least one underlying");
        }
        let mut names = BTreeSet::new();
        for (i, u) in self.underlyings.iter().enumerate() {
            let at = |f: &str| format!("underlyings[{i}].{f}");
            if u.name.is_empty() || !names.insert(u.name.as_str()) {
                return err(at("name"), "expected a unique, non-empty name");
            }
            positive(u.initial_price, &at("initial_price"))?;
            non_negative(u.volatility_scale, &at("volatility_scale"))?;
            finite(u.beta, &at("beta"))?;
            surface(&u.implied_volatility, &at("implied_volatility"))?;
            let mut last = -1.0;
            for (j, p) in u.points.iter().enumerate() {
                if !p[0].is_finite() || p[0] <= last {
                    return err(
                        at(&format!("points[{j}]")),
                        "expected times in seconds that increase strictly from 0 or later",
                    );
                }
                positive(p[1], &at(&format!("points[{j}]")))?;
                last = p[0];
            }
        }
        if self.phases.is_empty() {
            return err("phases".into(), "expected at least one phase");
        }
        for (i, p) in self.phases.iter().enumerate() {
            let at = |f: &str| format!("phases[{i}].{f}");
            if p.duration == 0 {
                return err(at("duration"), "expected a positive number of seconds");
            }
            if p.step == 0 || p.step > p.duration {
                return err(
                    at("step"),
                    "expected seconds per block between 1 and the phase's duration",
                );
            }
            finite(p.drift, &at("drift"))?;
            non_negative(p.volatility, &at("volatility"))?;
            non_negative(p.jumps_per_day, &at("jumps_per_day"))?;
            finite(p.jump_mean, &at("jump_mean"))?;
            non_negative(p.jump_stdev, &at("jump_stdev"))?;
            if let Some(r) = p.target_return {
                if !r.is_finite() || r <= -1.0 {
                    return err(
                        at("target_return"),
                        "expected a return above -1 (a price cannot fall 100% or more)",
                    );
                }
                for (j, u) in self.underlyings.iter().enumerate() {
                    if r * u.beta <= -1.0 {
                        return err(
                            format!("underlyings[{j}].beta"),
                            "expected a beta that keeps every target return above -1",
                        );
                    }
                }
            }
        }
        if self.blocks() > MAX_BLOCKS {
            return err("phases".into(), &format!("expected at most {MAX_BLOCKS} blocks in total"));
        }
        let duration = self.duration();
        for (i, v) in self.volatility.iter().enumerate() {
            let at = |f: &str| format!("volatility[{i}].{f}");
            if v.at > duration {
                return err(at("at"), "expected a time within the scenario");
            }
            self.known_underlying(v.underlying.as_deref(), &at("underlying"))?;
            positive(v.atm, &at("atm"))?;
            for (name, value) in [("skew", v.skew), ("smile", v.smile), ("term", v.term)] {
                if let Some(x) = value {
                    finite(x, &at(name))?;
                }
            }
        }
        for (i, e) in self.oracle_events.iter().enumerate() {
            let at = |f: &str| format!("oracle_events[{i}].{f}");
            if e.at > duration {
                return err(at("at"), "expected a time within the scenario");
            }
            if e.duration == 0 {
                return err(at("duration"), "expected a positive number of seconds");
            }
            self.known_underlying(e.underlying.as_deref(), &at("underlying"))?;
            if e.kind == OracleEventKind::Deviation && !(e.deviation > 0.0 && e.deviation < 1.0) {
                return err(at("deviation"), "expected a relative deviation in (0, 1)");
            }
        }
        for (i, d) in self.options.expiries_days.iter().enumerate() {
            positive(*d, &format!("options.expiries_days[{i}]"))?;
        }
        for (i, k) in self.options.strikes.iter().enumerate() {
            positive(*k, &format!("options.strikes[{i}]"))?;
        }
        self.validate_agents()?;
        self.validate_protocol()
    }

    fn validate_agents(&self) -> Result<(), (String, String)> {
        let mut names = BTreeSet::new();
        let mut unique = |name: &str, at: String| {
            if name.is_empty() || !names.insert(name.to_string()) {
                Err((at, "expected a group name unique among all agent groups".to_string()))
            } else {
                Ok(())
            }
        };
        for (i, t) in self.agents.traders.iter().enumerate() {
            let at = |f: &str| format!("agents.traders[{i}].{f}");
            unique(&t.name, at("name"))?;
            count(t.count, &at("count"))?;
            range(&t.collateral, &at("collateral"), 0.0)?;
            range(&t.leverage, &at("leverage"), 0.0)?;
            probability(t.trade_probability, &at("trade_probability"))?;
            probability(t.close_probability, &at("close_probability"))?;
            probability(t.long_probability, &at("long_probability"))?;
            probability(t.hedge_threshold, &at("hedge_threshold"))?;
            probability(t.withdraw_probability, &at("withdraw_probability"))?;
            probability(t.withdraw_share, &at("withdraw_share"))?;
            if !(t.target_delta > 0.0 && t.target_delta < 1.0) {
                return Err((at("target_delta"), "expected a delta in (0, 1)".into()));
            }
            if !(t.target_share > 0.0 && t.target_share <= 1.0) {
                return Err((at("target_share"), "expected a share in (0, 1]".into()));
            }
            for (j, u) in t.underlyings.iter().enumerate() {
                self.known_underlying(Some(u), &at(&format!("underlyings[{j}]")))?;
            }
        }
        for (i, l) in self.agents.lps.iter().enumerate() {
            let at = |f: &str| format!("agents.lps[{i}].{f}");
            unique(&l.name, at("name"))?;
            count(l.count, &at("count"))?;
            range(&l.deposit, &at("deposit"), 0.0)?;
            probability(l.withdraw_probability, &at("withdraw_probability"))?;
        }
        for (i, l) in self.agents.liquidators.iter().enumerate() {
            let at = |f: &str| format!("agents.liquidators[{i}].{f}");
            unique(&l.name, at("name"))?;
            count(l.count, &at("count"))?;
            if l.gas_budget < 21_000 {
                return Err((at("gas_budget"), "expected at least 21000 gas per block".into()));
            }
        }
        for (i, k) in self.agents.keepers.iter().enumerate() {
            let at = |f: &str| format!("agents.keepers[{i}].{f}");
            unique(&k.name, at("name"))?;
            count(k.count, &at("count"))?;
        }
        Ok(())
    }

    fn validate_protocol(&self) -> Result<(), (String, String)> {
        let p = &self.protocol;
        let at = |f: &str| format!("protocol.{f}");
        for (name, value) in [
            ("maintenance_margin", p.maintenance_margin),
            ("option_maintenance_margin", p.option_maintenance_margin),
            ("long_option_credit", p.long_option_credit),
            ("liquidation_bonus", p.liquidation_bonus),
            ("liquidation_buffer", p.liquidation_buffer),
            ("taker_fee", p.taker_fee),
            ("maker_fee", p.maker_fee),
            ("option_spread", p.option_spread),
            ("insurance_fee_share", p.insurance_fee_share),
            ("protocol_fee_share", p.protocol_fee_share),
            ("oracle_max_deviation", p.oracle_max_deviation),
        ] {
            probability(value, &at(name))?;
        }
        if !(p.initial_margin > p.maintenance_margin && p.initial_margin <= 1.0) {
            return Err((
                at("initial_margin"),
                "expected a fraction above maintenance_margin and at most 1".into(),
            ));
        }
        if p.option_initial_margin < p.option_maintenance_margin || p.option_initial_margin > 1.0 {
            return Err((
                at("option_initial_margin"),
                "expected a fraction at least option_maintenance_margin and at most 1".into(),
            ));
        }
        if p.insurance_fee_share + p.protocol_fee_share > 1.0 {
            return Err((
                at("protocol_fee_share"),
                "expected insurance_fee_share + protocol_fee_share <= 1".into(),
            ));
        }
        positive(p.skew_scale_usd, &at("skew_scale_usd"))?;
        positive(p.max_open_interest_usd, &at("max_open_interest_usd"))?;
        if !(p.max_trade_size_usd > 0.0 && p.max_trade_size_usd <= p.max_open_interest_usd) {
            return Err((
                at("max_trade_size_usd"),
                "expected a positive amount at most max_open_interest_usd".into(),
            ));
        }
        positive(p.max_funding_rate, &at("max_funding_rate"))?;
        positive(p.pool_delta_limit_usd, &at("pool_delta_limit_usd"))?;
        positive(p.collateral_cap, &at("collateral_cap"))?;
        non_negative(p.funding_velocity, &at("funding_velocity"))?;
        non_negative(p.insurance_fund, &at("insurance_fund"))?;
        if p.oracle_max_age == 0 {
            return Err((at("oracle_max_age"), "expected a positive number of seconds".into()));
        }
        Ok(())
    }

    fn known_underlying(&self, name: Option<&str>, at: &str) -> Result<(), (String, String)> {
        match name {
            Some(n) if self.underlying_index(n).is_none() => {
                let known: Vec<&str> = self.underlyings.iter().map(|u| u.name.as_str()).collect();
                Err((
                    at.to_string(),
                    format!("expected one of the underlyings {known:?}, found {n:?}"),
                ))
            }
            _ => Ok(()),
        }
    }
}

fn located(text: &str, file: &str, offset: usize, field: String, message: String) -> ScenarioError {
    let (line, column) = crate::locate::line_column(text, offset);
    ScenarioError::Invalid { file: file.to_string(), line, column, field, message }
}

fn finite(x: f64, at: &str) -> Result<(), (String, String)> {
    if x.is_finite() {
        Ok(())
    } else {
        Err((at.to_string(), "expected a finite number".into()))
    }
}

fn positive(x: f64, at: &str) -> Result<(), (String, String)> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err((at.to_string(), format!("expected a positive number, found {x}")))
    }
}

fn non_negative(x: f64, at: &str) -> Result<(), (String, String)> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err((at.to_string(), format!("expected a number >= 0, found {x}")))
    }
}

fn probability(x: f64, at: &str) -> Result<(), (String, String)> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err((at.to_string(), format!("expected a probability or fraction in [0, 1], found {x}")))
    }
}

fn count(n: u32, at: &str) -> Result<(), (String, String)> {
    if n == 0 || n > MAX_GROUP {
        Err((at.to_string(), format!("expected a count from 1 to {MAX_GROUP}, found {n}")))
    } else {
        Ok(())
    }
}

fn range(r: &Range, at: &str, floor: f64) -> Result<(), (String, String)> {
    if !(r.min.is_finite() && r.min > floor) {
        return Err((
            format!("{at}.min"),
            format!("expected a number above {floor}, found {}", r.min),
        ));
    }
    if !(r.max.is_finite() && r.max >= r.min) {
        return Err((
            format!("{at}.max"),
            format!("expected a number >= min ({}), found {}", r.min, r.max),
        ));
    }
    Ok(())
}

fn surface(s: &Surface, at: &str) -> Result<(), (String, String)> {
    positive(s.atm, &format!("{at}.atm"))?;
    finite(s.skew, &format!("{at}.skew"))?;
    finite(s.smile, &format!("{at}.smile"))?;
    finite(s.term, &format!("{at}.term"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(text: &str) -> (usize, usize, String, String) {
        match Scenario::parse(text, "t.toml") {
            Err(ScenarioError::Invalid { line, column, field, message, .. }) => {
                (line, column, field, message)
            }
            other => panic!("expected an invalid scenario, got {other:?}"),
        }
    }

    fn replace(from: &str, to: &str) -> String {
        assert!(DEFAULT_SCENARIO.contains(from), "default scenario lacks {from:?}");
        DEFAULT_SCENARIO.replacen(from, to, 1)
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).expect("needle present") + 1
    }

    #[test]
    fn every_example_file_is_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("scenarios folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        assert!(files.len() >= 2);
        for f in files {
            Scenario::load(&f).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn trade_size_and_funding_bounds_are_parameters_and_checked() {
        let text = replace(
            "insurance_fund = 250000.0",
            "insurance_fund = 250000.0\nmax_trade_size_usd = 2.0e6\nmax_funding_rate = 0.25",
        );
        let s = Scenario::parse(&text, "t.toml").expect("valid");
        assert_eq!((s.protocol.max_trade_size_usd, s.protocol.max_funding_rate), (2.0e6, 0.25));
        let above = replace("insurance_fund = 250000.0", "max_trade_size_usd = 2.0e8");
        let (line, _, field, message) = invalid(&above);
        assert_eq!(
            (line, field.as_str()),
            (line_of(&above, "max_trade_size_usd"), "protocol.max_trade_size_usd")
        );
        assert!(message.contains("at most max_open_interest_usd"), "{message}");
        let zero = replace("insurance_fund = 250000.0", "max_funding_rate = 0.0");
        assert_eq!(invalid(&zero).2, "protocol.max_funding_rate");
    }

    #[test]
    fn builtin_scenario_parses_and_validates() {
        let s = Scenario::builtin().expect("built-in scenario is valid");
        assert!(s.blocks() > 100);
        assert!(s.phases.iter().any(|p| p.target_return == Some(-0.35)));
    }

    #[test]
    fn wrong_type_reports_line_field_and_expectation() {
        let text = replace("initial_price = 3000.0", "initial_price = \"cheap\"");
        let (line, column, field, message) = invalid(&text);
        assert_eq!(line, line_of(&text, "\"cheap\""));
        assert!(column > 1);
        assert_eq!(field, "underlyings[0].initial_price");
        assert!(message.contains("expected"), "{message}");
    }

    #[test]
    fn negative_price_is_rejected_at_its_line() {
        let text = replace("initial_price = 3000.0", "initial_price = -5.0");
        let (line, _, field, message) = invalid(&text);
        assert_eq!(line, line_of(&text, "-5.0"));
        assert_eq!(field, "underlyings[0].initial_price");
        assert!(message.contains("positive"), "{message}");
    }

    #[test]
    fn probability_out_of_range_is_rejected() {
        let text = replace("trade_probability = 0.02", "trade_probability = 1.5");
        let (line, _, field, message) = invalid(&text);
        assert_eq!(line, line_of(&text, "trade_probability = 1.5"));
        assert_eq!(field, "agents.traders[0].trade_probability");
        assert!(message.contains("[0, 1]"), "{message}");
    }

    #[test]
    fn unknown_field_is_named() {
        let text = replace("reaction_delay = ", "reaction_dealy = 1\nreaction_delay = ");
        let (line, _, field, message) = invalid(&text);
        assert_eq!(line, line_of(&text, "reaction_dealy"));
        assert!(field.starts_with("agents.liquidators[0]"), "{field}");
        assert!(message.contains("reaction_dealy"), "{message}");
    }

    #[test]
    fn missing_field_is_reported_with_its_table() {
        let text = replace("gas_budget = ", "# gas_budget = ");
        let (_, _, field, message) = invalid(&text);
        assert!(field.starts_with("agents.liquidators"), "{field}");
        assert!(message.contains("gas_budget"), "{message}");
    }

    #[test]
    fn syntax_error_reports_its_line() {
        let text = replace("name = \"ETH\"", "name = \"ETH");
        let (line, _, _, _) = invalid(&text);
        assert_eq!(line, line_of(&text, "name = \"ETH"));
    }

    #[test]
    fn unknown_underlying_is_rejected() {
        let text = replace("underlying = \"ETH\"", "underlying = \"DOGE\"");
        let (_, _, field, message) = invalid(&text);
        assert!(field.ends_with(".underlying"), "{field}");
        assert!(message.contains("DOGE"), "{message}");
    }

    #[test]
    fn unknown_strategy_lists_the_variants() {
        let text = replace("strategy = \"directional_perp\"", "strategy = \"yolo\"");
        let (line, _, field, message) = invalid(&text);
        assert_eq!(line, line_of(&text, "yolo"));
        assert_eq!(field, "agents.traders[0].strategy");
        assert!(message.contains("option_writer"), "{message}");
    }

    #[test]
    fn error_display_is_file_line_column_field() {
        let text = replace("initial_price = 3000.0", "initial_price = 0.0");
        let e = Scenario::parse(&text, "x.toml").expect_err("zero price");
        let shown = e.to_string();
        let line = line_of(&text, "initial_price = 0.0");
        assert!(shown.starts_with(&format!("x.toml:{line}:")), "{shown}");
        assert!(shown.contains("`underlyings[0].initial_price`"), "{shown}");
    }
}
