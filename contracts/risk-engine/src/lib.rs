//! RiskEngine: every account's portfolio, its margin, and its liquidation.
//!
//! It is the single entry of every position change: trades
//! ([`RiskEngine::trade_perp`], [`RiskEngine::trade_option`]), liquidations
//! and settlement. It holds no tokens: it asks the Vault to move them. It
//! calls the markets' hooks (which price and record a fill and never call
//! back), then the Vault, then MarginEngine (which values an account's book
//! and plans its liquidation, reading the markets' state itself), so a
//! trade's path is a tree and no contract is revisited after the margin
//! check. The contract keeps positions, sends them to MarginEngine as a
//! [`book`], applies what the markets and MarginEngine return, stores the
//! result and emits events. The pure logic ([`margin`], [`liquidation`],
//! [`position`]) lives in `bulwark-margin-engine`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

#[cfg(test)]
mod tests;

pub use bulwark_margin_engine::{book, liquidation, margin, position};

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolError, SolEvent};
use book::{PlanLeg, PlanReply as Plan};
use bulwark_common::{
    account,
    calls::{self, calldata, calldata_ending_with_array},
    delay::{self, NotApplicable},
    evm::{self, address, boolean, bytes32, uint, uint256},
    interfaces::{margin_engine, options_market, oracle_usage, perp_market, vault},
    packed::Packed,
    roles::Roles,
    units::{i256, to_i128, to_u128},
};
use margin::{adds_risk, Health, OptionLeg, RiskParams};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageB256, StorageMap, StorageU256, StorageU8},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/risk.sol"
    );
}
pub use sol::*;

/// Most option series one account may hold at once.
pub const MAX_OPTIONS: u32 = 32;
/// Perp market ids run from 0 to 63 (one bit each in an account's header).
pub const MAX_MARKETS: u32 = 64;
/// Bad-debt key of the running total.
pub const TOTAL_BAD_DEBT: u32 = u32::MAX;
/// [`RiskEngine::liquidatable`] status: the account holds no position.
pub const STATUS_NO_POSITION: u8 = 0;
/// [`RiskEngine::liquidatable`] status: at or above maintenance margin.
pub const STATUS_HEALTHY: u8 = 1;
/// [`RiskEngine::liquidatable`] status: below maintenance margin.
pub const STATUS_LIQUIDATABLE: u8 = 2;
/// [`RiskEngine::liquidatable`] status: its health could not be read now
/// (no usable price, sequencer down; `accountHealth` names the error).
pub const STATUS_UNREADABLE: u8 = 3;
/// How long announced risk parameters wait ([`bulwark_common::delay`]).
pub const RISK_PARAMS_DELAY: u64 = bulwark_common::delay::CHANGE_DELAY;
/// First key of `params` holding announced risk parameters.
const PENDING_PARAMS: u8 = 16;
/// Key of `params` holding when the announced parameters apply (zero: none).
const PENDING_AT: u8 = 31;
/// Operator scope: trades for the owner's accounts, never moves funds.
pub const OPERATOR_TRADE: u8 = 1;
/// Operator scope: trades, and withdraws only to the owner's address.
pub const OPERATOR_TO_OWNER: u8 = 2;
/// Operator scope: trades and withdraws anywhere.
pub const OPERATOR_FULL: u8 = 3;
/// Oracle usage for actions that add risk.
const STRICT: u8 = oracle_usage::ADD_RISK;
/// Oracle usage for reducing, liquidating and views.
const LENIENT: u8 = oracle_usage::REDUCE_RISK_LOW;

/// A RiskEngine error as revert data: its selector (from `risk.sol`) and words.
fn fail<T>(selector: [u8; 4], words: &[evm::Word]) -> Result<T, Vec<u8>> {
    Err(evm::revert(selector, words))
}

/// [`ValueOutOfRange`] as revert data.
fn out_of_range(account: U256) -> Vec<u8> {
    evm::revert(ValueOutOfRange::SELECTOR, &[uint256(account)])
}

/// [`NotAccountOperator`]: `caller` may not act for `account`.
fn not_operator(account: U256, caller: Address) -> Result<(), Vec<u8>> {
    fail(NotAccountOperator::SELECTOR, &[uint256(account), address(caller)])
}

/// Fails when a trade that adds risk was priced on a lenient price.
fn require_strict(account: U256, adding: bool, strict: bool) -> Result<(), Vec<u8>> {
    if adding && !strict {
        return fail(PriceNotStrict::SELECTOR, &[uint256(account)]);
    }
    Ok(())
}

/// What liquidating by `plan` pays its caller, in quote token units: the
/// penalty's share `to_liquidator`, and at least `gas_reserve` when the
/// liquidation closes every position of `positions` and leaves a debt
/// nothing backs (the bad debt then includes it).
fn keeper_units(
    plan: &Plan,
    positions: &Positions,
    to_liquidator: u128,
    gas_reserve: u128,
    decimals: u8,
) -> u128 {
    let closes_every_leg =
        plan.legs.iter().enumerate().all(|(index, leg)| leg.closed == positions.size(index));
    let bankrupt = plan.closed_all && !plan.debt_backed && closes_every_leg;
    liquidation::liquidator_payout(to_liquidator, gas_reserve, bankrupt, decimals)
}

/// The storage word of `(low, high)` halves ([`Packed`]).
fn word(low: u128, high: u128) -> U256 {
    Packed::from_halves(low, high).into()
}

/// A storage word's `(low, high)` halves ([`Packed`]).
fn split(value: U256) -> (u128, u128) {
    Packed::from(value).halves()
}

/// The RiskEngine's state.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct RiskEngine {
    #[borrow]
    roles: Roles,
    vault: StorageAddress,
    oracle: StorageAddress,
    margin_engine: StorageAddress,
    perp_market: StorageAddress,
    options_market: StorageAddress,
    /// Quote token (low 160 bits) and its decimals (bits 160..168), read
    /// from the Vault on first use.
    quote: StorageU256,
    /// Operator scopes by owner, then operator (see `setOperator`).
    operators: StorageMap<Address, StorageMap<Address, StorageU8>>,
    /// Risk parameters, two per word (`RiskParams::to_values` order).
    params: StorageMap<u8, StorageU256>,
    /// Per account: (perp market bitmap, option count).
    headers: StorageMap<U256, StorageU256>,
    /// Per account and market: (size, basis).
    perps: StorageMap<U256, StorageMap<u32, StorageU256>>,
    /// Per account and slot: (amount, series index).
    options: StorageMap<U256, StorageMap<u32, StorageU256>>,
    /// Per series index: packed terms (`position::pack_series`).
    series: StorageMap<u32, StorageU256>,
    /// Per series index: the OptionsMarket's id.
    series_ids: StorageMap<u32, StorageB256>,
    /// Per series id: index + 1 (0: unknown).
    series_index: StorageMap<B256, StorageU256>,
    /// Number of series registered.
    series_count: StorageU256,
    /// Bad debt absorbed per key (perp market id, 2^31 + feed for options, `TOTAL_BAD_DEBT`).
    bad_debt: StorageMap<u32, StorageU256>,
}

/// An account's positions as stored, and the [`book`] that carries them to
/// MarginEngine.
struct Positions {
    /// The book's words.
    book: Vec<U256>,
    /// Market id of each perp leg.
    markets: Vec<u32>,
    /// `(size, basis)` of each perp leg.
    perps: Vec<(i128, i128)>,
    /// Each option leg.
    options: Vec<OptionSlot>,
}

/// An option position as stored.
struct OptionSlot {
    /// Its slot in the account's list.
    slot: u32,
    /// The series index.
    series: u32,
    /// Amount held (long > 0).
    amount: i128,
    /// The series' oracle feed.
    feed: u32,
}

impl Positions {
    /// Size of leg `index` (perps first, then options).
    fn size(&self, index: usize) -> i128 {
        match self.perps.get(index) {
            Some((size, _)) => *size,
            None => self.options[index - self.perps.len()].amount,
        }
    }

    /// The bad-debt key of leg `index`: market id, or 2^31 + feed.
    fn bad_debt_key(&self, index: usize) -> u32 {
        match self.markets.get(index) {
            Some(market_id) => *market_id,
            None => (1 << 31) | self.options[index - self.markets.len()].feed,
        }
    }
}

bulwark_common::dispatch! {
    RiskEngine, roles;
    constructor(admin, vault, oracle, margin_engine);
    "vault()" => vault();
    "oracle()" => oracle();
    "marginEngine()" => margin_engine();
    "markets()" => markets() -> (perpMarket, optionsMarket);
    "setMarkets(address,address)" => set_markets(perp_market, options_market);
    "setRiskParameters(uint256[])" => set_risk_parameters(values);
    "applyRiskParameters()" => apply_risk_parameters();
    "pendingRiskParameters()" => pending_risk_parameters();
    "riskParameters()" => risk_parameters();
    "setOperator(address,uint8)" => set_operator(operator, scope);
    "operatorScope(address,address)" => operator_scope(owner, operator);
    "isAuthorized(uint256,address)" => is_authorized(account, caller);
    "tradePerp(uint256,uint32,int256,uint256)" => trade_perp(account, market_id, size_delta, acceptable_price);
    "tradeOption(uint256,bytes32,int256,int256)" => trade_option(account, series_id, amount, limit_premium);
    "withdraw(uint256,address,uint256,address)" => withdraw(account, token, amount, to);
    "accountHealth(uint256)" => account_health(account) -> (equity, initialMargin, maintenanceMargin, healthRatio);
    "isLiquidatable(uint256)" => is_liquidatable(account);
    "liquidatable(uint256[])" => liquidatable(accounts) -> (statuses);
    "previewLiquidation(uint256)" => preview_liquidation(account) -> (toLiquidator, penalty, keys, sizeDeltas);
    "liquidate(uint256)" => liquidate(account);
    "settleOptions(uint256)" => settle_options(account);
    "perpPosition(uint256,uint32)" => perp_position(account, market_id) -> (size, basis);
    "optionAmount(uint256,bytes32)" => option_amount(account, series_id);
    "badDebt(uint32)" => bad_debt(key);
}

#[public]
#[inherit(Roles)]
impl RiskEngine {
    /// Creates the engine with its admin and the Vault, OracleAdapter and
    /// MarginEngine it uses; risk parameters start at their defaults.
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        vault: Address,
        oracle: Address,
        margin_engine: Address,
    ) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        self.vault.set(vault);
        self.oracle.set(oracle);
        self.margin_engine.set(margin_engine);
        self.store_params(0, &RiskParams::DEFAULT);
        Ok(())
    }

    /// The Vault this engine moves collateral through.
    pub fn vault(&self) -> Address {
        self.vault.get()
    }

    /// The OracleAdapter this engine prices portfolios with.
    pub fn oracle(&self) -> Address {
        self.oracle.get()
    }

    /// The MarginEngine that values accounts and plans liquidations.
    pub fn margin_engine(&self) -> Address {
        self.margin_engine.get()
    }

    /// The wired `(perpMarket, optionsMarket)`.
    pub fn markets(&self) -> (Address, Address) {
        (self.perp_market.get(), self.options_market.get())
    }

    /// Wires the markets whose hooks price every trade (admin only, once:
    /// a market that could be replaced could invent fills and pay itself
    /// from the pool).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameter`]
    /// (200) for a zero address; [`MarketsAlreadySet`]; the Vault's errors
    /// while reading its quote token.
    ///
    /// # Events
    /// [`Configured`] kind 1.
    pub fn set_markets(
        &mut self,
        perp_market: Address,
        options_market: Address,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if perp_market.is_zero() || options_market.is_zero() {
            return fail(InvalidParameter::SELECTOR, &[uint(200)]);
        }
        let (perp, options) = self.markets();
        if !perp.is_zero() {
            return fail(MarketsAlreadySet::SELECTOR, &[address(perp), address(options)]);
        }
        self.perp_market.set(perp_market);
        self.options_market.set(options_market);
        // The wiring pays for caching the quote token once, not the first
        // liquidation.
        self.cache_quote()?;
        self.configured(1, B256::ZERO, &[address(perp_market), address(options_market)]);
        Ok(())
    }

    /// Sets the risk parameters (WAD): imFactor, mmFactor, nakedShortIm,
    /// nakedShortMm, longOptionDiscount, optionCloseSpread,
    /// liquidationBuffer, bonusRate, insuranceShare, gasReserve,
    /// dustNotional. README.md gives defaults and hard bounds. They are
    /// validated now and announced, and take effect [`RISK_PARAMS_DELAY`]
    /// later through [`Self::apply_risk_parameters`]: margin factors decide
    /// who is liquidated, so users get time to react (a later announcement
    /// replaces the pending one).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameter`]
    /// naming the first value outside its bounds.
    ///
    /// # Events
    /// [`Configured`] kind 3 (`key`: when they may be applied).
    // The ABI hands arrays over by value.
    #[allow(clippy::needless_pass_by_value)]
    pub fn set_risk_parameters(&mut self, values: Vec<U256>) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        let raw: Vec<u128> = values.iter().map(|v| to_u128(*v).unwrap_or(u128::MAX)).collect();
        let params = RiskParams::from_values(&raw)
            .or_else(|index| fail(InvalidParameter::SELECTOR, &[uint(u128::from(index))]))?;
        self.store_params(PENDING_PARAMS, &params);
        let effective_at = delay::effective_at(self.vm().block_timestamp());
        self.params.setter(PENDING_AT).set(U256::from(effective_at));
        let values: Vec<evm::Word> = values.iter().map(|v| uint256(*v)).collect();
        self.configured(3, B256::from(U256::from(effective_at)), &values);
        Ok(())
    }

    /// Applies the announced risk parameters once due (anyone may call).
    ///
    /// # Errors
    /// [`NoRiskParametersPending`]; [`RiskParametersNotDue`] before its time.
    ///
    /// # Events
    /// [`Configured`] kind 2.
    pub fn apply_risk_parameters(&mut self) -> Result<(), Vec<u8>> {
        let (effective_at, now) = (self.pending_risk_parameters(), self.vm().block_timestamp());
        match delay::applicable(effective_at, now) {
            Err(NotApplicable::NonePending) => {
                return fail(NoRiskParametersPending::SELECTOR, &[]);
            }
            Err(NotApplicable::NotDue) => {
                let values = [uint(u128::from(effective_at)), uint(u128::from(now))];
                return fail(RiskParametersNotDue::SELECTOR, &values);
            }
            Ok(()) => {}
        }
        for (key, pending) in (0u8..).zip(PENDING_PARAMS..).take(book::PARAM_WORDS) {
            let word = self.params.get(pending);
            self.params.setter(key).set(word);
            self.params.setter(pending).set(U256::ZERO);
        }
        self.params.setter(PENDING_AT).set(U256::ZERO);
        let values: Vec<evm::Word> =
            self.load_params()?.to_values().iter().map(|v| uint(*v)).collect();
        self.configured(2, B256::ZERO, &values);
        Ok(())
    }

    /// When the announced risk parameters take effect (zero: none). They
    /// are in the announcing [`Configured`] kind 3.
    pub fn pending_risk_parameters(&self) -> u64 {
        self.params.get(PENDING_AT).saturating_to()
    }

    /// The risk parameters in [`Self::set_risk_parameters`] order.
    ///
    /// # Errors
    /// [`InvalidParameter`] if a stored value is outside its bounds.
    pub fn risk_parameters(&self) -> Result<Vec<U256>, Vec<u8>> {
        Ok(self.load_params()?.to_values().iter().map(|v| U256::from(*v)).collect())
    }

    /// Sets what `operator` may do for every subaccount of the caller:
    /// `scope` 0 nothing (revokes), 1 trade ([`OPERATOR_TRADE`]), 2 trade and
    /// withdraw to the owner's address, 3 trade and withdraw anywhere
    /// ([`OPERATOR_FULL`]). A trading key gets 1: it can never move funds
    /// out of the account.
    ///
    /// # Errors
    /// [`InvalidOperator`] when the caller names itself or zero;
    /// [`InvalidOperatorScope`] above 3.
    ///
    /// # Events
    /// [`OperatorSet`].
    pub fn set_operator(&mut self, operator: Address, scope: u8) -> Result<(), Vec<u8>> {
        let owner = self.vm().msg_sender();
        if operator == owner || operator.is_zero() {
            return fail(InvalidOperator::SELECTOR, &[address(operator)]);
        }
        if scope > OPERATOR_FULL {
            return fail(InvalidOperatorScope::SELECTOR, &[uint(u128::from(scope))]);
        }
        self.operators.setter(owner).setter(operator).set(alloy_primitives::U8::from(scope));
        evm::emit(
            self.vm(),
            OperatorSet::SIGNATURE_HASH,
            &[address(owner), address(operator)],
            &[uint(u128::from(scope))],
        );
        Ok(())
    }

    /// The scope `owner` granted `operator` (0 none ... 3 full; see
    /// [`Self::set_operator`]).
    pub fn operator_scope(&self, owner: Address, operator: Address) -> u8 {
        self.operators.getter(owner).get(operator).to()
    }

    /// Whether `caller` may trade for `account`: its owner or an operator of
    /// any scope.
    pub fn is_authorized(&self, account: U256, caller: Address) -> bool {
        let owner = account::owner_of(account);
        caller == owner || self.operator_scope(owner, caller) >= OPERATOR_TRADE
    }

    /// Trades `sizeDelta` (base units, WAD; long > 0) of perp market
    /// `marketId` for `account` (its owner or an operator); returns the fill
    /// price. PerpMarket's hook prices the fill at the oracle price adjusted
    /// for skew and checks it against `acceptablePrice` (a buy must not fill
    /// above it, a sell below), the trade size and the open-interest cap;
    /// this engine then realises the old position's PnL and funding at the
    /// fill through the Vault, charges the fee, stores the new position and,
    /// for a trade that adds risk, requires an unpaused engine, a strict
    /// price and initial margin. Trades that only reduce a position pass
    /// while paused, with any size, on the OracleAdapter's lenient price.
    ///
    /// # Errors
    /// [`NotAccountOperator`]; [`UnknownMarket`] (id >= 64); `ContractPaused`,
    /// [`PriceNotStrict`], [`InsufficientMargin`] when adding risk;
    /// [`ValueOutOfRange`]; PerpMarket's errors (`MarketNotFound`,
    /// `AcceptablePriceExceeded`, `TradeSizeOutOfBounds`,
    /// `OpenInterestCapExceeded`, ...), the Vault's and the oracle's,
    /// unchanged.
    ///
    /// # Events
    /// [`PositionChanged`]; PerpMarket's `PerpTraded`.
    pub fn trade_perp(
        &mut self,
        account: U256,
        market_id: u32,
        size_delta: I256,
        acceptable_price: U256,
    ) -> Result<U256, Vec<u8>> {
        self.only_authorized(account, self.vm().msg_sender())?;
        if market_id >= MAX_MARKETS {
            return fail(UnknownMarket::SELECTOR, &[uint(u128::from(market_id))]);
        }
        let range = || out_of_range(account);
        let delta = to_i128(size_delta).ok_or_else(range)?;
        let (size, basis) = split(self.perps.getter(account).get(market_id));
        let (size, basis) = (position::to_signed_bits(size), position::to_signed_bits(basis));
        let adding = adds_risk(size, size.checked_add(delta).ok_or_else(range)?);
        if adding {
            self.roles.when_not_paused()?;
        }
        let data = calldata(
            perp_market::ON_TRADE,
            &[
                uint256(account),
                uint(u128::from(market_id)),
                evm::int(size),
                evm::int(delta),
                uint256(acceptable_price),
            ],
        );
        let mut reply = calls::call(self.vm(), self.perp_market.get(), &data)?;
        let fill = to_u128(reply.read::<U256>()?).ok_or_else(range)?;
        let fee = reply.read::<U256>()?;
        let index = to_i128(reply.read::<I256>()?).ok_or_else(range)?;
        require_strict(account, adding, reply.read::<bool>()?)?;
        let traded =
            position::apply_perp_trade(size, basis, delta, fill, index).map_err(|_| range())?;
        if !position::within_range(traded.size.unsigned_abs()) || !position::within_range(fill) {
            return Err(range());
        }
        self.settle_cash(account, traded.realised, fee, false)?;
        self.store_perp(account, market_id, traded.size, traded.basis);
        if adding {
            self.require_initial(account)?;
        }
        self.log_perp(account, market_id, size, &traded);
        Ok(U256::from(fill))
    }

    /// Buys (`amount > 0`) or sells (`amount < 0`) contracts of option
    /// series `seriesId` for `account` (its owner or an operator) against
    /// the pool; returns the premium (trader's view, positive = paid).
    /// OptionsMarket's hook prices the trade, refuses a premium above
    /// `limitPremium` (a buyer's maximum cost, or minus a seller's minimum
    /// proceeds) and holds the pool's greeks within their limits; this
    /// engine then moves the premium and fee through the Vault, updates the
    /// position and, for a trade that adds risk, requires an unpaused engine,
    /// a strict price and volatility, and initial margin.
    ///
    /// # Errors
    /// [`NotAccountOperator`]; [`TooManyOptions`]; `ContractPaused`,
    /// [`PriceNotStrict`], [`InsufficientMargin`] when adding risk;
    /// [`ValueOutOfRange`]; OptionsMarket's errors (`SeriesNotListed`,
    /// `TradingClosed`, `PremiumLimitExceeded`, `GreekLimitExceeded`, ...),
    /// the Vault's and the oracle's, unchanged.
    ///
    /// # Events
    /// [`PositionChanged`]; [`Configured`] kind 4 for a series this engine
    /// sees for the first time; OptionsMarket's `OptionTraded`.
    pub fn trade_option(
        &mut self,
        account: U256,
        series_id: B256,
        amount: I256,
        limit_premium: I256,
    ) -> Result<I256, Vec<u8>> {
        self.only_authorized(account, self.vm().msg_sender())?;
        let range = || out_of_range(account);
        let delta = to_i128(amount).ok_or_else(range)?;
        let index = self.series_index.get(series_id);
        let (slot, before) = if index.is_zero() {
            (self.option_count(account), 0)
        } else {
            self.find_option(account, index.to::<u32>() - 1)
        };
        let after = before.checked_add(delta).ok_or_else(range)?;
        let adding = adds_risk(before, after);
        if adding {
            self.roles.when_not_paused()?;
        }
        if !position::within_range(after.unsigned_abs()) {
            return Err(range());
        }
        let data = calldata(
            options_market::ON_TRADE,
            &[
                uint256(account),
                bytes32(series_id),
                evm::int(before),
                evm::int(delta),
                evm::int256(limit_premium),
            ],
        );
        let mut reply = calls::call(self.vm(), self.options_market.get(), &data)?;
        let premium = to_i128(reply.read::<I256>()?).ok_or_else(range)?;
        let fee = reply.read::<U256>()?;
        require_strict(account, adding, reply.read::<bool>()?)?;
        let series_index = if index.is_zero() {
            self.register_series(account, series_id, &mut reply)?
        } else {
            index.to::<u32>() - 1
        };
        self.store_option(account, slot, series_index, after)?;
        if after == 0 {
            self.compact_options(account);
        }
        self.settle_cash(account, -premium, fee, false)?;
        if adding {
            self.require_initial(account)?;
        }
        self.log_change(account, series_id, before, after, -premium);
        Ok(i256(premium))
    }

    /// Withdraws `amount` of `token` (token units) from `account` to `to`
    /// after checking, at strict prices, that the account still meets its
    /// initial margin without it. Never paused. The owner withdraws
    /// anywhere; an operator of scope 3 too, of scope 2 only to the owner,
    /// of scope 1 never.
    ///
    /// # Errors
    /// [`NotAccountOperator`]; [`OperatorScopeExceeded`]; the Vault's
    /// `InsufficientBalance` for more than the account holds (checked
    /// first); [`InsufficientMargin`]; the oracle's errors when no strict
    /// price is usable; the Vault's other errors.
    pub fn withdraw(
        &mut self,
        account: U256,
        token: Address,
        amount: U256,
        to: Address,
    ) -> Result<(), Vec<u8>> {
        self.only_withdrawer(account, self.vm().msg_sender(), to)?;
        // The Vault checks the balance first (`InsufficientBalance` names
        // what is missing), then the margin is checked on what is left; a
        // shortfall reverts the whole withdrawal, transfer included.
        let data = calldata(
            vault::WITHDRAW,
            &[uint256(account), address(token), uint256(amount), address(to)],
        );
        calls::call(self.vm(), self.vault.get(), &data)?;
        self.require_initial(account)
    }

    /// `(equity, initialMargin, maintenanceMargin, healthRatio)` of `account`
    /// at lenient prices: quote WAD, and `equity / maintenance` in WAD
    /// (`type(int256).max` without a requirement).
    ///
    /// # Errors
    /// [`ValueOutOfRange`]; the oracle's errors when no price is usable.
    pub fn account_health(&self, account: U256) -> Result<(I256, U256, U256, I256), Vec<u8>> {
        let health = self.health(account, LENIENT)?;
        Ok((
            i256(health.equity),
            U256::from(health.initial),
            U256::from(health.maintenance),
            ratio(&health),
        ))
    }

    /// Whether `account`'s equity is below its maintenance margin.
    ///
    /// # Errors
    /// As [`Self::account_health`].
    pub fn is_liquidatable(&self, account: U256) -> Result<bool, Vec<u8>> {
        Ok(self.health(account, LENIENT)?.liquidatable())
    }

    /// For each of `accounts`, in order, what a liquidator needs to know now:
    /// [`STATUS_NO_POSITION`] (0), [`STATUS_HEALTHY`] (1),
    /// [`STATUS_LIQUIDATABLE`] (2) or [`STATUS_UNREADABLE`] (3: its health
    /// view reverts, e.g. no usable price; `accountHealth` says why). Never
    /// reverts for one account, so a bot checks many in one call.
    // The ABI hands arrays over by value.
    #[allow(clippy::needless_pass_by_value)]
    pub fn liquidatable(&self, accounts: Vec<U256>) -> Vec<U256> {
        let mut statuses = Vec::with_capacity(accounts.len());
        for account in accounts {
            let status = if self.is_flat(account) {
                STATUS_NO_POSITION
            } else {
                match self.health(account, LENIENT) {
                    Ok(health) if health.liquidatable() => STATUS_LIQUIDATABLE,
                    Ok(_) => STATUS_HEALTHY,
                    Err(_) => STATUS_UNREADABLE,
                }
            };
            statuses.push(U256::from(status));
        }
        statuses
    }

    /// What liquidating `account` now would do, modelled at the oracle price
    /// with the modelled closing costs: `(toLiquidator, penalty, keys,
    /// sizeDeltas)`, one key (perp market id or series id) and closing
    /// delta per position closed. `toLiquidator` is what `liquidate` pays,
    /// in whole quote token units (as WAD); `penalty` is charged to the
    /// account and split by the Vault between the insurance fund and the
    /// pool.
    ///
    /// # Errors
    /// [`NotLiquidatable`]; as [`Self::account_health`].
    pub fn preview_liquidation(&self, account: U256) -> Result<Preview, Vec<u8>> {
        let positions = self.positions(account);
        let plan = self.plan(account, &positions)?;
        let (mut keys, mut deltas) = (Vec::new(), Vec::new());
        for (index, leg) in plan.legs.iter().enumerate() {
            if leg.closed != 0 {
                keys.push(self.leg_key(&positions, index));
                deltas.push(i256(-leg.closed));
            }
        }
        let (_, decimals) = self.quote_token();
        let gas_reserve = self.load_params()?.gas_reserve;
        let paid = keeper_units(&plan, &positions, plan.to_liquidator, gas_reserve, decimals);
        let paid = position::to_wad(paid, decimals);
        Ok((U256::from(paid), U256::from(plan.to_insurance), keys, deltas))
    }

    /// Liquidates `account` (anyone may): closes positions at the oracle
    /// price through the markets' hooks, largest margin release first, until
    /// equity covers maintenance margin plus the buffer; pays the caller its
    /// bonus in quote tokens whatever the account's quote cash (other
    /// collateral backs a negative balance) and charges the penalty; when
    /// everything is closed and what is left backs no debt, pays the caller
    /// at least the gas reserve and has the Vault absorb the deficit
    /// (seized collateral, insurance fund, then pool) and records it.
    /// Returns the bonus paid (quote WAD, whole token units; what
    /// `previewLiquidation` said).
    ///
    /// # Errors
    /// [`NotLiquidatable`]; [`ValueOutOfRange`]; the oracle's, markets' and
    /// Vault's errors.
    ///
    /// # Events
    /// [`PositionChanged`] per position, [`Liquidated`], [`BadDebtRecorded`].
    // The close loop, payout and bad-debt steps read best in order, in one place.
    #[allow(clippy::too_many_lines)]
    pub fn liquidate(&mut self, account: U256) -> Result<U256, Vec<u8>> {
        let positions = self.positions(account);
        let plan = self.plan(account, &positions)?;
        let range = || out_of_range(account);
        let mut equity = plan.equity;
        let mut worst = (i128::MAX, 0u32);
        let perp_count = positions.markets.len();
        for (index, &PlanLeg { closed, value, spot, funding_index: funding }) in
            plan.legs.iter().enumerate()
        {
            let size = positions.size(index);
            if value < worst.0 {
                worst = (value, positions.bad_debt_key(index));
            }
            if closed == 0 {
                continue;
            }
            let (change, realised) = if index < perp_count {
                let market_id = positions.markets[index];
                let (_, basis) = positions.perps[index];
                let hooks = self.perp_market.get();
                let data = calldata(
                    perp_market::ON_LIQUIDATION_CLOSE,
                    &[
                        uint256(account),
                        uint(u128::from(market_id)),
                        evm::int(size),
                        evm::int(-closed),
                        uint(spot),
                    ],
                );
                let mut reply = calls::call(self.vm(), hooks, &data)?;
                let fill = to_u128(reply.read::<U256>()?).ok_or_else(range)?;
                let filled_at = to_i128(reply.read::<I256>()?).ok_or_else(range)?;
                let traded = position::apply_perp_trade(size, basis, -closed, fill, filled_at)
                    .map_err(|_| range())?;
                self.store_perp(account, market_id, traded.size, traded.basis);
                self.log_perp(account, market_id, size, &traded);
                let change =
                    liquidation::perp_close_change(size, closed, spot, funding, fill, filled_at)
                        .map_err(|_| range())?;
                (change, traded.realised)
            } else {
                let option = &positions.options[index - perp_count];
                let series_id = self.series_ids.get(option.series);
                let hooks = self.options_market.get();
                let data = calldata(
                    options_market::ON_LIQUIDATION_CLOSE,
                    &[bytes32(series_id), evm::int(-closed), uint(spot)],
                );
                let premium = calls::call(self.vm(), hooks, &data)?.read::<I256>()?;
                let premium = to_i128(premium).ok_or_else(range)?;
                let after = size - closed;
                self.store_option(account, option.slot, option.series, after)?;
                self.log_change(account, series_id, size, after, -premium);
                let change = liquidation::option_close_change(size, closed, value, premium)
                    .map_err(|_| range())?;
                (change, -premium)
            };
            self.settle_cash(account, realised, U256::ZERO, false)?;
            equity = equity.checked_add(change).ok_or_else(range)?;
        }
        // Options closed whole leave their slots by swap-removal, after the loop.
        self.compact_options(account);
        let (maintenance_before, maintenance_after) = (plan.maintenance, plan.maintenance_after);
        let params = self.load_params()?;
        let (to_liquidator, to_insurance) = liquidation::penalty(
            &params,
            plan.equity,
            maintenance_before,
            equity,
            maintenance_after,
        );
        let (_, decimals) = self.quote_token();
        let paid_units =
            keeper_units(&plan, &positions, to_liquidator, params.gas_reserve, decimals);
        let paid = position::to_wad(paid_units, decimals);
        let liquidator = self.vm().msg_sender();
        if paid_units > 0 {
            let data = calldata(
                vault::PAY_LIQUIDATOR,
                &[uint256(account), uint(paid_units), address(liquidator)],
            );
            calls::call(self.vm(), self.vault.get(), &data)?;
        }
        self.settle_cash(account, 0, U256::from(to_insurance), true)?;
        let closed_all = plan.closed_all;
        evm::emit(
            self.vm(),
            Liquidated::SIGNATURE_HASH,
            &[uint256(account), address(liquidator)],
            &[
                evm::int(plan.equity),
                uint(maintenance_before),
                uint(paid),
                uint(to_insurance),
                boolean(closed_all),
            ],
        );
        // An account left with no position and a debt its collateral does
        // not back has the debt absorbed now (the Vault seizes the collateral
        // first). Without other collateral the test is the Vault's cash, not
        // `equity` less what was paid: the Vault rounds each settlement
        // against the account to whole token units, so an account whose WAD
        // equity stays >= 0 can still owe one unit.
        if closed_all && !plan.debt_backed && self.is_flat(account) {
            self.absorb(account, worst.1)?;
        }
        Ok(U256::from(paid))
    }

    /// Settles `account`'s expired option positions (anyone may): the
    /// OptionsMarket settles the series and returns the payoff, which the
    /// Vault pays or charges; the positions are removed. Returns how many
    /// were settled.
    ///
    /// # Errors
    /// The OptionsMarket's errors (no settlement price yet) and the Vault's.
    ///
    /// # Events
    /// [`PositionChanged`] per position.
    pub fn settle_options(&mut self, account: U256) -> Result<u32, Vec<u8>> {
        let now = self.vm().block_timestamp();
        let (_, count) = split(self.headers.get(account));
        let mut settled = 0;
        #[allow(clippy::cast_possible_truncation)]
        // The option count is at most MAX_OPTIONS.
        for slot in (0..count as u32).rev() {
            let (amount, series_index) = split(self.options.getter(account).get(slot));
            #[allow(clippy::cast_possible_truncation)]
            let series_index = series_index as u32;
            let leg = position::unpack_series(self.series.get(series_index).into());
            if leg.expiry > now {
                continue;
            }
            let amount = position::to_signed_bits(amount);
            let series_id = self.series_ids.get(series_index);
            let hooks = self.options_market.get();
            let data =
                calldata(options_market::ON_SETTLEMENT, &[bytes32(series_id), evm::int(amount)]);
            let mut reply = calls::call(self.vm(), hooks, &data)?;
            let (_, payoff) = (reply.read::<U256>()?, reply.read::<I256>()?);
            let payoff = to_i128(payoff).ok_or_else(|| out_of_range(account))?;
            self.settle_cash(account, payoff, U256::ZERO, false)?;
            self.store_option(account, slot, series_index, 0)?;
            self.log_change(account, series_id, amount, 0, payoff);
            settled += 1;
        }
        self.compact_options(account);
        Ok(settled)
    }

    /// `(size, basis)` of `account`'s perp in `marketId`: basis is the last
    /// fill price minus the funding index then (WAD).
    pub fn perp_position(&self, account: U256, market_id: u32) -> (I256, I256) {
        let (size, basis) = split(self.perps.getter(account).get(market_id));
        (i256(position::to_signed_bits(size)), i256(position::to_signed_bits(basis)))
    }

    /// `account`'s amount of series `seriesId` (WAD, long > 0).
    pub fn option_amount(&self, account: U256, series_id: B256) -> I256 {
        let index = self.series_index.get(series_id);
        if index.is_zero() {
            return I256::ZERO;
        }
        i256(self.find_option(account, index.to::<u32>() - 1).1)
    }

    /// Bad debt absorbed so far for `key` (perp market id, 2^31 + feed for
    /// options, 0 for an account with no position left, 2^32 - 1 for the
    /// total), quote WAD.
    pub fn bad_debt(&self, key: u32) -> U256 {
        self.bad_debt.get(key)
    }
}

/// `(toLiquidator, penalty, keys, sizeDeltas)` of a liquidation preview.
type Preview = (U256, U256, Vec<B256>, Vec<I256>);

/// The health ratio on the ABI.
fn ratio(health: &Health) -> I256 {
    let value = health.ratio();
    if value == i128::MAX {
        I256::MAX
    } else {
        i256(value)
    }
}

impl RiskEngine {
    /// Fails unless `caller` may act for `account`.
    ///
    /// # Errors
    /// [`NotAccountOperator`].
    pub fn only_authorized(&self, account: U256, caller: Address) -> Result<(), Vec<u8>> {
        if self.is_authorized(account, caller) {
            Ok(())
        } else {
            not_operator(account, caller)
        }
    }

    /// Fails unless `caller` may withdraw from `account` to `to`: the owner,
    /// an operator of scope 3, or of scope 2 paying the owner.
    ///
    /// # Errors
    /// [`NotAccountOperator`]; [`OperatorScopeExceeded`].
    fn only_withdrawer(&self, account: U256, caller: Address, to: Address) -> Result<(), Vec<u8>> {
        let owner = account::owner_of(account);
        if caller == owner {
            return Ok(());
        }
        let scope = self.operator_scope(owner, caller);
        if scope < OPERATOR_TRADE {
            return not_operator(account, caller);
        }
        if scope == OPERATOR_FULL || (scope == OPERATOR_TO_OWNER && to == owner) {
            return Ok(());
        }
        let values = [uint256(account), address(caller), uint(u128::from(scope)), address(to)];
        fail(OperatorScopeExceeded::SELECTOR, &values)
    }

    /// Registers a series at its first trade from the terms OptionsMarket's
    /// hook returned (`reply`, after premium, fee and strict); returns its
    /// index.
    fn register_series(
        &mut self,
        account: U256,
        series_id: B256,
        reply: &mut calls::Reply,
    ) -> Result<u32, Vec<u8>> {
        let (feed, strike) = (reply.read::<u32>()?, reply.read::<U256>()?);
        let (expiry, is_call) = (reply.read::<u64>()?, reply.read::<bool>()?);
        let strike = to_u128(strike).filter(|s| position::within_range(*s));
        let strike = strike.ok_or_else(|| out_of_range(account))?;
        let count = self.series_count.get();
        let index = count.to::<u32>();
        let leg = OptionLeg { feed, amount: 0, strike, expiry, is_call, volatility: 0 };
        self.series.setter(index).set(position::pack_series(&leg).into());
        self.series_ids.setter(index).set(series_id);
        self.series_index.setter(series_id).set(count + U256::from(1u8));
        self.series_count.set(count + U256::from(1u8));
        let values = [
            uint(u128::from(index)),
            uint(u128::from(feed)),
            uint(strike),
            uint(u128::from(expiry)),
            boolean(is_call),
        ];
        self.configured(4, series_id, &values);
        Ok(index)
    }

    /// Stores the parameters in the book's words (two per word) from key
    /// `first` of `params` (0: in force; [`PENDING_PARAMS`]: announced).
    fn store_params(&mut self, first: u8, params: &RiskParams) {
        for (key, word) in (first..).zip(book::params_to_words(params)) {
            self.params.setter(key).set(word.into());
        }
    }

    /// The words of the parameters in force, as stored.
    fn param_words(&self) -> [Packed; book::PARAM_WORDS] {
        let mut words = [Packed::ZERO; book::PARAM_WORDS];
        for (key, word) in (0u8..).zip(&mut words) {
            *word = self.params.get(key).into();
        }
        words
    }

    /// The stored parameters. They passed their bounds when set; a stored
    /// value outside them reverts [`InvalidParameter`] with its index rather
    /// than margining with anything else.
    fn load_params(&self) -> Result<RiskParams, Vec<u8>> {
        book::params_from_words(&self.param_words())
            .or_else(|index| fail(InvalidParameter::SELECTOR, &[uint(u128::from(index))]))
    }

    /// The quote token and its decimals, cached by [`Self::set_markets`]
    /// (zero before: no position exists until the markets are set).
    fn quote_token(&self) -> (Address, u8) {
        let value = self.quote.get();
        let bytes = value.to_be_bytes::<32>();
        (Address::from_slice(&bytes[12..]), bytes[11])
    }

    /// Reads the Vault's quote token and decimals (immutable in the Vault)
    /// and keeps them.
    fn cache_quote(&mut self) -> Result<(), Vec<u8>> {
        let vault = self.vault.get();
        let quote: Address =
            calls::view(self.vm(), vault, &calldata(vault::PARAMETERS, &[]))?.read()?;
        let data = calldata(vault::COLLATERAL_CONFIG, &[address(quote)]);
        let mut config = calls::view(self.vm(), vault, &data)?;
        let (_, decimals) = (config.read::<bool>()?, config.read::<u8>()?);
        self.quote.set(U256::from_be_bytes(address(quote)) | (U256::from(decimals) << 160));
        Ok(())
    }

    /// Settles `pnl` (quote WAD) between `account` and the pool and charges
    /// `fee` (a liquidation `penalty` if set), in one Vault call.
    fn settle_cash(
        &mut self,
        account: U256,
        pnl: i128,
        fee: U256,
        penalty: bool,
    ) -> Result<(), Vec<u8>> {
        if pnl == 0 && fee.is_zero() {
            return Ok(());
        }
        let data = calldata(
            vault::SETTLE,
            &[uint256(account), evm::int(pnl), uint256(fee), boolean(penalty)],
        );
        calls::call(self.vm(), self.vault.get(), &data)?;
        Ok(())
    }

    /// Stores a perp position and the account's market bitmap.
    fn store_perp(&mut self, account: U256, market_id: u32, size: i128, basis: i128) {
        self.perps
            .setter(account)
            .setter(market_id)
            .set(word(position::from_signed(size), position::from_signed(basis)));
        let (mask, count) = split(self.headers.get(account));
        let bit = 1u128 << market_id;
        let mask = if size == 0 { mask & !bit } else { mask | bit };
        self.store_header(account, mask, count);
    }

    /// Stores `account`'s header: its perp market bitmap and option count.
    fn store_header(&mut self, account: U256, mask: u128, count: u128) {
        self.headers.setter(account).set(word(mask, count));
    }

    /// Whether `account` holds no position.
    fn is_flat(&self, account: U256) -> bool {
        self.headers.get(account).is_zero()
    }

    /// How many option slots `account` uses.
    fn option_count(&self, account: U256) -> u32 {
        // The count is at most MAX_OPTIONS.
        #[allow(clippy::cast_possible_truncation)]
        let count = split(self.headers.get(account)).1 as u32;
        count
    }

    /// The slot holding `series_index` for `account` (or the next free slot)
    /// and the amount held.
    fn find_option(&self, account: U256, series_index: u32) -> (u32, i128) {
        let (_, count) = split(self.headers.get(account));
        #[allow(clippy::cast_possible_truncation)]
        let count = count as u32;
        let slots = self.options.getter(account);
        for slot in 0..count {
            let (amount, index) = split(slots.get(slot));
            if index == u128::from(series_index) {
                return (slot, position::to_signed_bits(amount));
            }
        }
        (count, 0)
    }

    /// Stores an option amount in `slot` (a new slot at the end of the list;
    /// zero amounts stay until [`Self::compact_options`]).
    fn store_option(
        &mut self,
        account: U256,
        slot: u32,
        series_index: u32,
        amount: i128,
    ) -> Result<(), Vec<u8>> {
        let (mask, count) = split(self.headers.get(account));
        if u128::from(slot) >= count {
            if amount == 0 {
                return Ok(());
            }
            if slot >= MAX_OPTIONS {
                return fail(
                    TooManyOptions::SELECTOR,
                    &[uint256(account), uint(u128::from(MAX_OPTIONS))],
                );
            }
            self.store_header(account, mask, count + 1);
        }
        self.options
            .setter(account)
            .setter(slot)
            .set(word(position::from_signed(amount), u128::from(series_index)));
        Ok(())
    }

    /// Removes zero-amount slots by moving the last slot into them.
    fn compact_options(&mut self, account: U256) {
        let (mask, count) = split(self.headers.get(account));
        #[allow(clippy::cast_possible_truncation)]
        let mut count = count as u32;
        let mut slot = 0;
        while slot < count {
            let (amount, _) = split(self.options.getter(account).get(slot));
            if amount == 0 {
                let last = self.options.getter(account).get(count - 1);
                self.options.setter(account).setter(slot).set(last);
                self.options.setter(account).setter(count - 1).set(U256::ZERO);
                count -= 1;
            } else {
                slot += 1;
            }
        }
        self.headers.setter(account).set(word(mask, u128::from(count)));
    }

    /// Emits [`PositionChanged`] for a perp trade from `before` to `traded`.
    fn log_perp(&self, account: U256, market_id: u32, before: i128, traded: &position::PerpFill) {
        let key = B256::from(U256::from(market_id));
        self.log_change(account, key, before, traded.size, traded.realised);
    }

    /// Emits [`PositionChanged`].
    fn log_change(&self, account: U256, key: B256, before: i128, after: i128, cash: i128) {
        evm::emit(
            self.vm(),
            PositionChanged::SIGNATURE_HASH,
            &[uint256(account), bytes32(key)],
            &[evm::int(before), evm::int(after), evm::int(cash)],
        );
    }

    /// Emits [`Configured`] with `values` (a dynamic `uint256[]`).
    fn configured(&self, kind: u8, key: B256, values: &[evm::Word]) {
        let mut data = Vec::with_capacity(2 + values.len());
        // The array's offset (one head word) and length.
        data.extend_from_slice(&[uint(32), uint(values.len() as u128)]);
        data.extend_from_slice(values);
        evm::emit(
            self.vm(),
            Configured::SIGNATURE_HASH,
            &[uint(u128::from(kind)), bytes32(key)],
            &data,
        );
    }

    /// `account`'s positions as stored, and the book MarginEngine reads
    /// ([`book::encode_words`] of the stored words).
    fn positions(&self, account: U256) -> Positions {
        let (mask, count) = split(self.headers.get(account));
        let mut positions = Positions {
            book: Vec::new(),
            markets: Vec::new(),
            perps: Vec::new(),
            options: Vec::new(),
        };
        let mut perp_words = Vec::new();
        for market_id in 0..MAX_MARKETS {
            if mask >> market_id & 1 == 0 {
                continue;
            }
            let held = Packed::from(self.perps.getter(account).get(market_id));
            let (size, basis) = held.halves();
            perp_words.push((market_id, held));
            positions.markets.push(market_id);
            positions.perps.push((position::to_signed_bits(size), position::to_signed_bits(basis)));
        }
        let mut option_words = Vec::new();
        #[allow(clippy::cast_possible_truncation)]
        // The option count is at most MAX_OPTIONS.
        for slot in 0..count as u32 {
            let held = Packed::from(self.options.getter(account).get(slot));
            let (amount, series) = held.halves();
            #[allow(clippy::cast_possible_truncation)]
            // Series indexes are u32 when stored.
            let series = series as u32;
            let terms = Packed::from(self.series.get(series));
            option_words.push((terms, held));
            positions.options.push(OptionSlot {
                slot,
                series,
                amount: position::to_signed_bits(amount),
                feed: position::unpack_series(terms).feed,
            });
        }
        positions.book = book::encode_words(&self.param_words(), &perp_words, &option_words);
        positions
    }

    /// Equity and requirements of `account` from MarginEngine (which reads
    /// the markets' state and funding accrued to now from PerpMarket).
    /// `usage` is the oracle usage.
    fn health(&self, account: U256, usage: u8) -> Result<Health, Vec<u8>> {
        let positions = self.positions(account);
        // Withdrawals leave the Vault before their margin check: the Vault's
        // balances are what is left.
        let data = calldata_ending_with_array(
            margin_engine::MARGIN,
            &[
                uint256(account),
                address(self.vault.get()),
                address(self.oracle.get()),
                address(self.perp_market.get()),
                uint(u128::from(usage)),
            ],
            &words(&positions.book),
        );
        let mut reply = calls::view(self.vm(), self.margin_engine.get(), &data)?;
        let range = || out_of_range(account);
        let equity = to_i128(reply.read::<I256>()?).ok_or_else(range)?;
        let initial = to_u128(reply.read::<U256>()?).ok_or_else(range)?;
        let maintenance = to_u128(reply.read::<U256>()?).ok_or_else(range)?;
        Ok(Health { equity, initial, maintenance })
    }

    /// MarginEngine's liquidation plan for `account`, or [`NotLiquidatable`].
    fn plan(&self, account: U256, positions: &Positions) -> Result<Plan, Vec<u8>> {
        let data = calldata_ending_with_array(
            margin_engine::LIQUIDATION_PLAN,
            &[
                uint256(account),
                address(self.vault.get()),
                address(self.oracle.get()),
                address(self.perp_market.get()),
            ],
            &words(&positions.book),
        );
        let engine = self.margin_engine.get();
        let reply: Vec<U256> = calls::view(self.vm(), engine, &data)?.read()?;
        let legs = positions.perps.len() + positions.options.len();
        let plan = Plan::decode(&reply, legs).ok_or_else(|| calls::call_failed(engine))?;
        if !plan.liquidatable {
            return fail(
                NotLiquidatable::SELECTOR,
                &[uint256(account), evm::int(plan.equity), uint(plan.maintenance)],
            );
        }
        Ok(plan)
    }

    /// Fails unless `account` meets its initial margin at strict prices.
    fn require_initial(&self, account: U256) -> Result<(), Vec<u8>> {
        let health = self.health(account, STRICT)?;
        if health.equity < margin::to_signed(health.initial) {
            return fail(
                InsufficientMargin::SELECTOR,
                &[uint256(account), evm::int(health.equity), uint(health.initial)],
            );
        }
        Ok(())
    }

    /// The event key of leg `index`: market id or series id.
    fn leg_key(&self, positions: &Positions, index: usize) -> B256 {
        match positions.markets.get(index) {
            Some(market_id) => B256::from(U256::from(*market_id)),
            None => self.series_ids.get(positions.options[index - positions.markets.len()].series),
        }
    }

    /// Has the Vault absorb `account`'s negative cash and records it.
    fn absorb(&mut self, account: U256, key: u32) -> Result<(), Vec<u8>> {
        let data = calldata(vault::ABSORB_BAD_DEBT, &[uint256(account)]);
        let mut reply = calls::call(self.vm(), self.vault.get(), &data)?;
        let (from_insurance, from_pool) = (reply.read::<U256>()?, reply.read::<U256>()?);
        let absorbed = from_insurance + from_pool;
        if absorbed.is_zero() {
            return Ok(());
        }
        let (for_key, total) =
            (self.bad_debt.get(key) + absorbed, self.bad_debt.get(TOTAL_BAD_DEBT) + absorbed);
        self.bad_debt.setter(key).set(for_key);
        self.bad_debt.setter(TOTAL_BAD_DEBT).set(total);
        evm::emit(
            self.vm(),
            BadDebtRecorded::SIGNATURE_HASH,
            &[uint256(account), uint(u128::from(key))],
            &[uint256(from_insurance), uint256(from_pool)],
        );
        Ok(())
    }
}

/// Storage words as ABI words.
fn words(book: &[U256]) -> Vec<evm::Word> {
    book.iter().map(|w| uint256(*w)).collect()
}

/// The WASM dispatcher serves exactly the interface `export-abi` prints.
#[cfg(test)]
#[test]
fn the_dispatcher_serves_the_exported_interface() {
    let source = include_str!("../../../abi/RiskEngine.sol");
    bulwark_common::dispatch::assert_dispatches(&signatures(), source, "IRiskEngine");
}
