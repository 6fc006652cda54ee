//! The interface through which the simulation drives a clearinghouse, and
//! the values it returns: receipts with gas, health, and a state snapshot
//! for metrics and invariant checks.

use serde::{Deserialize, Serialize};

use crate::scenario::{ProtocolParams, Surface};

/// Money and sizes in the simulation: integers of one millionth (micro-USD
/// for money and prices, micro-units for sizes), so balances add up exactly.
pub type Amount = i128;

/// One whole unit in [`Amount`].
pub const UNIT: Amount = 1_000_000;

/// Converts a float (USD or units) to [`Amount`], rounding to nearest.
#[allow(clippy::cast_possible_truncation)] // simulated values are far below 1.7e32
pub fn amount(x: f64) -> Amount {
    (x * 1e6).round() as Amount
}

/// Converts an [`Amount`] to a float.
#[allow(clippy::cast_precision_loss)]
pub fn to_f64(a: Amount) -> f64 {
    a as f64 / 1e6
}

/// `a * b / UNIT`, rounded toward negative infinity.
pub fn mul(a: Amount, b: Amount) -> Amount {
    (a * b).div_euclid(UNIT)
}

/// An account of the simulation (index into the agents' accounts).
pub type AccountId = usize;

/// Kinds of operation, for counting and gas statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Deployment and wiring.
    Setup,
    /// A new oracle round.
    PushPrice,
    /// Sequencer status change.
    SetSequencer,
    /// A new volatility surface.
    PushVolatility,
    /// Collateral deposit.
    Deposit,
    /// Collateral withdrawal.
    Withdraw,
    /// Deposit into the liquidity pool.
    LpDeposit,
    /// Withdrawal from the liquidity pool.
    LpWithdraw,
    /// Perp trade that opens or increases a position.
    OpenPerp,
    /// Perp trade that reduces or closes a position.
    ClosePerp,
    /// Option purchase.
    BuyOption,
    /// Option sale (writing, or closing a long).
    SellOption,
    /// Liquidation.
    Liquidate,
    /// Recording a settlement price and settling a series.
    Settle,
}

impl OpKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 14] = [
        Self::Setup,
        Self::PushPrice,
        Self::SetSequencer,
        Self::PushVolatility,
        Self::Deposit,
        Self::Withdraw,
        Self::LpDeposit,
        Self::LpWithdraw,
        Self::OpenPerp,
        Self::ClosePerp,
        Self::BuyOption,
        Self::SellOption,
        Self::Liquidate,
        Self::Settle,
    ];

    /// The snake-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::PushPrice => "push_price",
            Self::SetSequencer => "set_sequencer",
            Self::PushVolatility => "push_volatility",
            Self::Deposit => "deposit",
            Self::Withdraw => "withdraw",
            Self::LpDeposit => "lp_deposit",
            Self::LpWithdraw => "lp_withdraw",
            Self::OpenPerp => "open_perp",
            Self::ClosePerp => "close_perp",
            Self::BuyOption => "buy_option",
            Self::SellOption => "sell_option",
            Self::Liquidate => "liquidate",
            Self::Settle => "settle",
        }
    }
}

/// Where a transaction's gas went (the sandbox's breakdown, in gas; ink
/// figures converted at 10,000 ink per gas).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasParts {
    /// Intrinsic gas (21,000 plus calldata).
    pub intrinsic: u64,
    /// WASM instructions.
    pub compute: u64,
    /// Host calls themselves.
    pub hostio: u64,
    /// Storage reads and writes.
    pub storage: u64,
    /// Calls between contracts.
    pub call: u64,
    /// Program entry.
    pub entry: u64,
    /// Memory growth.
    pub memory: u64,
    /// Logs.
    pub log: u64,
    /// Account reads and rounding losses.
    pub other: u64,
    /// Refund.
    pub refund: u64,
}

impl GasParts {
    /// Named fields in report order.
    pub fn fields(&self) -> [(&'static str, u64); 10] {
        [
            ("intrinsic", self.intrinsic),
            ("compute", self.compute),
            ("hostio", self.hostio),
            ("storage", self.storage),
            ("call", self.call),
            ("entry", self.entry),
            ("memory", self.memory),
            ("log", self.log),
            ("other", self.other),
            ("refund", self.refund),
        ]
    }
}

/// What a liquidation did, as the protocol reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationOutcome {
    /// Notional closed.
    pub closed_notional: Amount,
    /// Bonus paid to the liquidator.
    pub bonus: Amount,
    /// Loss beyond the account's equity.
    pub bad_debt: Amount,
    /// Equity before.
    pub equity_before: Amount,
    /// Health (equity / maintenance, in [`UNIT`]s) before.
    pub health_before: Amount,
    /// Health after (`None` when nothing is left to margin).
    pub health_after: Option<Amount>,
}

/// The receipt of one simulated transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exec {
    /// What was done.
    pub op: OpKind,
    /// `None` on success, else the revert reason (a Solidity error name).
    pub revert: Option<String>,
    /// Gas used (0 where nothing is metered, i.e. in the reference model).
    pub gas_used: u64,
    /// The breakdown, when metered.
    pub gas: Option<GasParts>,
    /// What a liquidation did.
    pub liquidation: Option<LiquidationOutcome>,
}

impl Exec {
    /// A successful, unmetered operation.
    pub fn ok(op: OpKind) -> Self {
        Self { op, revert: None, gas_used: 0, gas: None, liquidation: None }
    }

    /// A reverted, unmetered operation.
    pub fn reverted(op: OpKind, reason: impl Into<String>) -> Self {
        Self { op, revert: Some(reason.into()), gas_used: 0, gas: None, liquidation: None }
    }

    /// Whether it succeeded.
    pub fn success(&self) -> bool {
        self.revert.is_none()
    }
}

/// Failures that are not reverts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The protocol does not implement this operation yet.
    #[error("{op} is not supported yet: {reason}")]
    Unsupported {
        /// Operation name.
        op: &'static str,
        /// What is missing.
        reason: String,
    },
    /// The chain itself failed (deployment, artifacts, decoding).
    #[error("{0}")]
    Chain(String),
    /// A view reverted: the protocol could not tell (counted and reported,
    /// never read as a healthy answer).
    #[error("{view} reverted: {reason}")]
    ViewReverted {
        /// The view.
        view: &'static str,
        /// The named error it reverted with.
        reason: String,
    },
}

impl ProtocolError {
    /// An [`ProtocolError::Unsupported`] error.
    pub fn unsupported(op: &'static str, reason: impl Into<String>) -> Self {
        Self::Unsupported { op, reason: reason.into() }
    }
}

/// An account's margin position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Equity.
    pub equity: Amount,
    /// Initial margin requirement.
    pub initial_margin: Amount,
    /// Maintenance margin requirement.
    pub maintenance_margin: Amount,
    /// Whether it can be liquidated now.
    pub liquidatable: bool,
}

impl Health {
    /// Equity over maintenance margin in [`UNIT`]s (`None` without requirement).
    pub fn ratio(&self) -> Option<Amount> {
        (self.maintenance_margin > 0).then(|| self.equity * UNIT / self.maintenance_margin)
    }
}

/// An option series the protocol lists.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesSpec {
    /// Underlying index.
    pub underlying: usize,
    /// Strike in USD.
    pub strike: f64,
    /// Expiry (unix seconds).
    pub expiry: u64,
    /// Call or put.
    pub is_call: bool,
}

/// What the protocol must set up before the first block.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Underlying names.
    pub underlyings: Vec<String>,
    /// Initial prices.
    pub initial_prices: Vec<f64>,
    /// Initial surfaces.
    pub surfaces: Vec<Surface>,
    /// Series to list.
    pub series: Vec<SeriesSpec>,
    /// Number of accounts the agents use.
    pub accounts: usize,
    /// Parameters.
    pub params: ProtocolParams,
    /// Unix time of setup.
    pub start_time: u64,
}

/// One account in a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Collateral balance.
    pub collateral: Amount,
    /// Perp size per market (signed, micro-units).
    pub perps: Vec<Amount>,
    /// Option amount per series (signed).
    pub options: Vec<Amount>,
}

/// One perp market in a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketState {
    /// Long open interest (units).
    pub long_open_interest: Amount,
    /// Short open interest (units).
    pub short_open_interest: Amount,
    /// Current funding rate per day (in [`UNIT`]s, 1e6 = 100%).
    pub funding_rate: Amount,
}

/// What can be observed of the protocol after a block. Parts the protocol
/// cannot show yet are `None`; the checks that need them say so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolState {
    /// Tokens the Vault holds.
    pub vault_tokens: Option<Amount>,
    /// Per-account state, indexed by [`AccountId`].
    pub accounts: Option<Vec<AccountState>>,
    /// Collateral held for accounts, summed.
    pub total_collateral: Option<Amount>,
    /// Pool assets (LP capital, before traders' unrealised PnL).
    pub pool_assets: Option<Amount>,
    /// Pool value per LP share (in [`UNIT`]s).
    pub lp_share_price: Option<Amount>,
    /// Insurance fund.
    pub insurance_fund: Option<Amount>,
    /// Protocol fees.
    pub fees: Option<Amount>,
    /// Bad debt recorded so far.
    pub bad_debt: Option<Amount>,
    /// Bad debt the pool (LPs) absorbed so far.
    pub pool_absorbed: Option<Amount>,
    /// Perp markets.
    pub markets: Option<Vec<MarketState>>,
    /// Settlement price per series (`None` inside until settled).
    pub settlement_prices: Option<Vec<Option<Amount>>>,
    /// Per market, the sum of every account's perp size and long − short
    /// open interest, exactly as the contracts hold them (decimal WAD
    /// strings); when present, invariant 5 compares these instead of the
    /// micro-unit amounts, which truncate each account's size separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest_exact: Option<Vec<(String, String)>>,
}

/// A clearinghouse the simulation can drive.
///
/// Every method that changes state is one transaction and returns its
/// [`Exec`]; a revert is an `Exec` with a reason, not an error. An operation
/// the protocol does not have yet returns [`ProtocolError::Unsupported`].
pub trait Protocol {
    /// Short name for the report (`"sandbox"`, `"model"`).
    fn kind(&self) -> &'static str;

    /// Deploys and configures everything; returns the setup transactions.
    fn setup(&mut self, setup: &Setup) -> Result<Vec<Exec>, ProtocolError>;

    /// Moves to block `number` at `timestamp`.
    fn begin_block(&mut self, number: u64, timestamp: u64);

    /// Publishes a price round for an underlying (`primary` is `None` when the
    /// feed publishes nothing this block) and the second source's answer.
    fn push_price(
        &mut self,
        underlying: usize,
        primary: Option<f64>,
        secondary: f64,
    ) -> Result<Exec, ProtocolError>;

    /// Reports the sequencer as up or down.
    fn set_sequencer(&mut self, up: bool) -> Result<Exec, ProtocolError>;

    /// Publishes an implied-volatility surface.
    fn push_volatility(
        &mut self,
        underlying: usize,
        surface: &Surface,
    ) -> Result<Exec, ProtocolError>;

    /// Deposits quote collateral into an account.
    fn deposit(&mut self, account: AccountId, amount: Amount) -> Result<Exec, ProtocolError>;

    /// Withdraws quote collateral after a margin check.
    fn withdraw(&mut self, account: AccountId, amount: Amount) -> Result<Exec, ProtocolError>;

    /// Deposits into the liquidity pool.
    fn lp_deposit(&mut self, account: AccountId, amount: Amount) -> Result<Exec, ProtocolError>;

    /// Redeems a fraction (in [`UNIT`]s) of an LP's shares.
    fn lp_withdraw(&mut self, account: AccountId, fraction: Amount) -> Result<Exec, ProtocolError>;

    /// Changes a perp position by `size_delta` units, reverting if the fill
    /// is worse than `acceptable_price`.
    fn trade_perp(
        &mut self,
        account: AccountId,
        market: usize,
        size_delta: Amount,
        acceptable_price: Amount,
    ) -> Result<Exec, ProtocolError>;

    /// The fill price a perp trade of `size_delta` would get now (the
    /// protocol's own quote, which traders set their acceptable price from).
    fn perp_quote(&mut self, market: usize, size_delta: Amount) -> Result<Amount, ProtocolError>;

    /// Buys (`amount > 0`) or sells options of a series.
    fn trade_option(
        &mut self,
        account: AccountId,
        series: usize,
        amount: Amount,
    ) -> Result<Exec, ProtocolError>;

    /// Liquidates `account` on behalf of `liquidator`'s account.
    fn liquidate(
        &mut self,
        liquidator: AccountId,
        account: AccountId,
    ) -> Result<Exec, ProtocolError>;

    /// Records a series' settlement price and settles its positions.
    fn settle(&mut self, keeper: AccountId, series: usize) -> Result<Exec, ProtocolError>;

    /// An account's health (a view: no transaction).
    fn health(&mut self, account: AccountId) -> Result<Health, ProtocolError>;

    /// A snapshot of everything observable.
    fn state(&mut self) -> Result<ProtocolState, ProtocolError>;
}
