//! PerpMarket: perpetual futures priced at the oracle price adjusted for
//! skew, with funding that drifts with skew.
//!
//! It holds no positions or balances and never calls RiskEngine: every trade
//! enters at `RiskEngine.tradePerp`, which calls this contract's hooks
//! ([`PerpMarket::on_trade`], [`PerpMarket::on_liquidation_close`]) to price
//! and record the fill, then applies it; MarginEngine reads
//! [`PerpMarket::margin_inputs`] once the hook has returned. It calls only
//! the OracleAdapter. The formulas live in [`logic`]; README.md states them
//! with the storage layout.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

pub mod logic;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, Uint, I256, U256};
use bulwark_common::{
    calls::{self, calldata},
    delay::{self, NotApplicable},
    evm::uint,
    interfaces::{oracle, oracle_usage},
    packed::Packed,
    replies::{MarketInputs, MARKET_INPUT_WORDS},
    roles::Roles,
    units::{i256, to_i128},
};
use logic::{Entry, Funding, MarginParams, MarketParams, OpenInterest, ParamField, TradeError};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256, StorageU32, StorageU64},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/perp.sol"
    );
}
pub use sol::*;

/// Errors of the PerpMarket.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`MarketNotFound`].
    MarketNotFound(MarketNotFound),
    /// See [`InvalidMarketParams`].
    InvalidMarketParams(InvalidMarketParams),
    /// See [`AcceptablePriceExceeded`].
    AcceptablePriceExceeded(AcceptablePriceExceeded),
    /// See [`TradeSizeOutOfBounds`].
    TradeSizeOutOfBounds(TradeSizeOutOfBounds),
    /// See [`OpenInterestCapExceeded`].
    OpenInterestCapExceeded(OpenInterestCapExceeded),
    /// See [`ValueOutOfRange`].
    ValueOutOfRange(ValueOutOfRange),
    /// See [`NotRiskEngine`].
    NotRiskEngine(NotRiskEngine),
    /// See [`NoParamsChangePending`].
    NoParamsChangePending(NoParamsChangePending),
    /// See [`ParamsChangeNotDue`].
    ParamsChangeNotDue(ParamsChangeNotDue),
}

/// An announced parameter change: the four parameter words of [`Market`],
/// validated, and when they may be applied (zero: none announced).
#[storage]
pub struct PendingParams {
    sizes: StorageU256,
    trades: StorageU256,
    rates: StorageU256,
    margin: StorageU256,
    effective_at: StorageU64,
}

impl PendingParams {
    /// Writes the four parameter words and when they apply.
    fn set(&mut self, words: &[U256; 4], effective_at: u64) {
        self.sizes.set(words[0]);
        self.trades.set(words[1]);
        self.rates.set(words[2]);
        self.margin.set(words[3]);
        self.effective_at.set(Uint::from(effective_at));
    }

    /// The four parameter words.
    fn words(&self) -> [U256; 4] {
        [self.sizes.get(), self.trades.get(), self.rates.get(), self.margin.get()]
    }
}

/// One market: three words of parameters read once per trade, then two
/// words of hot state written once per trade, each packed by
/// [`logic::pack_params`] / [`logic::pack_state`] so a word costs one load
/// and one store, then the margin parameters ([`MarginParams::pack`]), read
/// only by the margin valuation (layouts in [`logic::layout`]).
/// `REQUIRED_SLOTS` is pinned by a test.
#[storage]
pub struct Market {
    /// `maxOpenInterest << 128 | skewScale`.
    params_sizes: StorageU256,
    /// `feedId << 224 | minTradeSize (96 bits) << 128 | maxTradeSize`.
    params_trades: StorageU256,
    /// `maxFundingRate << 192 | maxFundingVelocity << 128 | takerFee << 64 | makerFee`.
    params_rates: StorageU256,
    /// `shortOpenInterest << 128 | longOpenInterest`.
    open_interest: StorageU256,
    /// `fundingTime << 192 | fundingRate (int64) << 128 | fundingIndex (int128)`.
    funding: StorageU256,
    /// `marginRateScale << 128 | maintenanceMarginRate << 64 | initialMarginRate`.
    params_margin: StorageU256,
}

/// The PerpMarket's state.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct PerpMarket {
    #[borrow]
    roles: Roles,
    risk_engine: StorageAddress,
    oracle: StorageAddress,
    markets: StorageMap<u32, Market>,
    market_count: StorageU32,
    /// Per account and market, the position's [`Entry`] packed by
    /// [`Entry::pack`]: `fundingSnapshot (int128) << 128 | entryPrice`.
    entries: StorageMap<U256, StorageMap<u32, StorageU256>>,
    /// Per oracle feed, the net skew of its markets (`int128`, low half):
    /// what the pool is short in perps on that underlying, for
    /// OptionsMarket's delta limit.
    feed_skew: StorageMap<u32, StorageU256>,
    /// Announced parameter changes by market.
    pending: StorageMap<u32, PendingParams>,
}

bulwark_common::dispatch! {
    PerpMarket, roles;
    constructor(admin, risk_engine, oracle);
    "setMarketParams(uint32,uint32,uint256[11])" => set_market_params(market_id, feed_id, params);
    "applyMarketParams(uint32)" => apply_market_params(market_id);
    "pendingMarketParams(uint32)" => pending_market_params(market_id);
    "onTrade(uint256,uint32,int256,int256,uint256)" => on_trade(account, market_id, size_before, size_delta, acceptable_price) -> (fillPrice, fee, fundingIndex, strict);
    "onLiquidationClose(uint256,uint32,int256,int256,uint256)" => on_liquidation_close(account, market_id, size_before, size_delta, oracle_price) -> (fillPrice, fundingIndex);
    "marginInputs(uint32[])" => margin_inputs(market_ids);
    "feedSkew(uint32)" => feed_skew(feed_id);
    "quote(uint32,int256)" => quote(market_id, size_delta) -> (fillPrice, fee, oraclePrice, fundingRate, fundingIndex, longOpenInterest, shortOpenInterest);
    "position(uint256,uint32,int256)" => position(account, market_id, size) -> (positionSize, entryPrice, fundingSnapshot, unrealisedPnl, accruedFunding);
    "marketCount()" => market_count();
    "marketParams(uint32)" => market_params(market_id) -> (feedId, params);
}

#[public]
#[inherit(Roles)]
impl PerpMarket {
    /// Creates the market contract with its admin and the RiskEngine and
    /// OracleAdapter it is wired to (set once).
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        risk_engine: Address,
        oracle: Address,
    ) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        self.risk_engine.set(risk_engine);
        self.oracle.set(oracle);
        Ok(())
    }

    /// Creates a market on oracle feed `feed_id` when `market_id` is 0, or
    /// changes market `market_id`'s parameters (`feed_id` must be its feed);
    /// returns the market id (1, 2, ...). `params` (all WAD): skew scale,
    /// maker fee, taker fee, maximum open interest per side, minimum trade
    /// size, maximum trade size, maximum funding velocity (per day per day),
    /// maximum funding rate (per day), then the margin parameters
    /// MarginEngine values positions with: initial margin rate, maintenance
    /// margin rate, margin rate scale. A new market takes them at once; a
    /// change of an existing one is validated and announced, and takes
    /// effect [`PARAMS_CHANGE_DELAY`] later through
    /// [`Self::apply_market_params`] (margin rates, fees and funding move
    /// users' money, so they get time to react; a later announcement
    /// replaces the pending one). Market ids run from 1 to 63 (RiskEngine
    /// keeps one bit per market in each account).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`MarketNotFound`]
    /// (also for a 64th market); [`InvalidMarketParams`] naming the first
    /// field outside its hard bounds (or field 1 for a changed feed).
    ///
    /// # Events
    /// [`MarketParamsSet`] for a new market; [`MarketParamsAnnounced`] for
    /// a change.
    pub fn set_market_params(
        &mut self,
        market_id: u32,
        feed_id: u32,
        params: [U256; 11],
    ) -> Result<u32, Vec<u8>> {
        self.roles.only_admin()?;
        if market_id != 0 {
            if self.params(market_id)?.feed_id != feed_id {
                return Err(invalid_params(market_id, ParamField::FeedId));
            }
            let words = validated(market_id, feed_id, &params)?;
            let effective_at = delay::effective_at(self.vm().block_timestamp());
            self.pending.setter(market_id).set(&words, effective_at);
            log(
                self.vm(),
                MarketParamsAnnounced { marketId: market_id, params, effectiveAt: effective_at },
            );
            return Ok(market_id);
        }
        let created = self.market_count.get().to::<u32>().saturating_add(1);
        if created >= MAX_MARKETS {
            return Err(Error::from(MarketNotFound { marketId: created }).into());
        }
        let words = validated(created, feed_id, &params)?;
        self.market_count.set(Uint::from(created));
        let funding = Funding { time: self.vm().block_timestamp(), ..Funding::default() };
        self.store(created, OpenInterest::default(), funding);
        self.configure(created, feed_id, &words, funding);
        Ok(created)
    }

    /// Applies the announced parameter change of market `market_id` once
    /// it is due (anyone may call): funding is first brought to now under
    /// the old parameters at the OracleAdapter's lenient price, so new
    /// parameters never apply to the past.
    ///
    /// # Errors
    /// [`NoParamsChangePending`]; [`ParamsChangeNotDue`] before its time;
    /// the oracle's error when no price is usable.
    ///
    /// # Events
    /// [`MarketParamsSet`] (with the funding state at the change).
    pub fn apply_market_params(&mut self, market_id: u32) -> Result<(), Vec<u8>> {
        let effective_at = self.pending_market_params(market_id);
        let now = self.vm().block_timestamp();
        match delay::applicable(effective_at, now) {
            Err(NotApplicable::NonePending) => {
                return Err(Error::from(NoParamsChangePending { marketId: market_id }).into());
            }
            Err(NotApplicable::NotDue) => {
                let not_due =
                    ParamsChangeNotDue { marketId: market_id, effectiveAt: effective_at, now };
                return Err(Error::from(not_due).into());
            }
            Ok(()) => {}
        }
        let feed_id = self.params(market_id)?.feed_id;
        let (open_interest, funding) = (self.state(market_id).0, self.funding_now(market_id)?);
        self.store(market_id, open_interest, funding);
        let words = self.pending.getter(market_id).words();
        // Cleared (a refund): the change is applied once.
        self.pending.setter(market_id).set(&[U256::ZERO; 4], 0);
        self.configure(market_id, feed_id, &words, funding);
        Ok(())
    }

    /// When the announced parameter change of market `market_id` takes
    /// effect (zero: none announced). The change is in its
    /// [`MarketParamsAnnounced`].
    pub fn pending_market_params(&self, market_id: u32) -> u64 {
        self.pending.getter(market_id).effective_at.get().to()
    }

    /// RiskEngine's hook for a trade of `size_delta` (base units, WAD; long >
    /// 0) from `size_before` in market `market_id` for `account`, which
    /// entered at `RiskEngine.tradePerp`: prices the fill at the oracle price
    /// adjusted for skew, checks it against `acceptable_price` (a buy must
    /// not fill above it, a sell below), the trade size and the open-interest
    /// cap (trades adding risk; those also stop while paused), accrues
    /// funding, moves open interest and records the position's entry.
    /// Returns `(fillPrice, fee, fundingIndex, strict)`; `strict` is false
    /// when only the OracleAdapter's lenient price (against the trader) was
    /// usable, which RiskEngine accepts only for trades that reduce risk.
    /// Never calls RiskEngine.
    ///
    /// # Errors
    /// [`NotRiskEngine`], [`MarketNotFound`], [`TradeSizeOutOfBounds`],
    /// [`AcceptablePriceExceeded`], [`OpenInterestCapExceeded`],
    /// [`ValueOutOfRange`], `ContractPaused` (trades adding risk), the
    /// oracle's error when no price is usable.
    ///
    /// # Events
    /// [`PerpTraded`] (with the funding rate and index brought to now).
    pub fn on_trade(
        &mut self,
        account: U256,
        market_id: u32,
        size_before: I256,
        size_delta: I256,
        acceptable_price: U256,
    ) -> Result<(U256, U256, I256, bool), Vec<u8>> {
        self.only_risk_engine()?;
        let delta = to_i128(size_delta).ok_or_else(|| out_of_range(market_id))?;
        let fail = |e: TradeError| trade_error(market_id, e, delta, acceptable_price);
        let before = to_i128(size_before).ok_or_else(|| fail(TradeError::Arithmetic))?;
        if delta == 0 {
            return Err(fail(TradeError::TradeSize));
        }
        if logic::adds_risk(before, delta) {
            self.roles.when_not_paused()?;
        }
        let Prepared { params, open_interest, price: _, strict, quote } =
            self.prepare(market_id, delta)?;
        logic::check_acceptable_price(delta, quote.fill_price, narrow(acceptable_price))
            .map_err(fail)?;
        logic::check_trade_size(before, delta, params.min_trade_size, params.max_trade_size)
            .map_err(fail)?;
        self.finish(account, market_id, &params, open_interest, before, delta, &quote, false)?;
        Ok((U256::from(quote.fill_price), U256::from(quote.fee), i256(quote.funding.index), strict))
    }

    /// RiskEngine's forced close of `size_delta` from `size_before` for
    /// `account` at `oracle_price`: accrues funding, moves open interest and
    /// skew (no cap: the close only shrinks a side) and returns the fill
    /// price with the skew impact of the close, and the funding index. No
    /// acceptable-price check and no fee. Never calls RiskEngine.
    ///
    /// # Errors
    /// [`NotRiskEngine`], [`MarketNotFound`], [`ValueOutOfRange`].
    ///
    /// # Events
    /// [`PerpTraded`] with `liquidation` set.
    pub fn on_liquidation_close(
        &mut self,
        account: U256,
        market_id: u32,
        size_before: I256,
        size_delta: I256,
        oracle_price: U256,
    ) -> Result<(U256, I256), Vec<u8>> {
        self.only_risk_engine()?;
        let params = self.params(market_id)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        let price = narrow(oracle_price);
        let range = || -> Vec<u8> { Error::from(ValueOutOfRange { marketId: market_id }).into() };
        let (before, delta) =
            (to_i128(size_before).ok_or_else(range)?, to_i128(size_delta).ok_or_else(range)?);
        let quote = logic::quote(&params, open_interest, funding, price, delta, now)
            .map_err(|_| range())?;
        let quote = logic::Quote { fee: 0, ..quote };
        self.finish(account, market_id, &params, open_interest, before, delta, &quote, true)?;
        Ok((U256::from(quote.fill_price), i256(quote.funding.index)))
    }

    /// Market `market_id`'s parameters in force: its oracle feed and the
    /// eleven values in [`Self::set_market_params`] order (all WAD), so that
    /// a deployment can be checked against its configuration (an announced
    /// change is in its [`MarketParamsAnnounced`] event until applied).
    ///
    /// # Errors
    /// [`MarketNotFound`].
    pub fn market_params(&self, market_id: u32) -> Result<(u32, Vec<U256>), Vec<u8>> {
        let p = self.params(market_id)?;
        let margin =
            MarginParams::unpack(self.markets.getter(market_id).params_margin.get().into());
        let values = [
            p.skew_scale,
            p.maker_fee,
            p.taker_fee,
            p.max_open_interest,
            p.min_trade_size,
            p.max_trade_size,
            p.max_funding_velocity,
            p.max_funding_rate,
            margin.initial_rate,
            margin.maintenance_rate,
            margin.rate_scale,
        ];
        Ok((p.feed_id, values.iter().map(|v| U256::from(*v)).collect()))
    }

    /// What MarginEngine values a perp position with, per market in
    /// `market_ids` order, [`MarketInputs`] words each (`MarketInputs::encode`,
    /// read by MarginEngine with `MarketInputs::decode_all`): feed id,
    /// initial margin rate, maintenance margin rate, margin rate scale, skew
    /// scale, skew (`int256`, long - short open interest) and the funding
    /// index accrued to now (`int256`, WAD, quote per unit of base size; at
    /// the OracleAdapter's lenient price, read only when funding has not
    /// been brought to this block already). Rates and sizes are WAD.
    ///
    /// # Errors
    /// [`MarketNotFound`], [`ValueOutOfRange`], the oracle's error when no
    /// price is usable.
    pub fn margin_inputs(&self, market_ids: Vec<u32>) -> Result<Vec<U256>, Vec<u8>> {
        let mut words = Vec::with_capacity(market_ids.len() * MARKET_INPUT_WORDS);
        for market_id in market_ids {
            let params = self.params(market_id)?;
            let (open_interest, funding) = self.state(market_id);
            let funding = if funding.time < self.vm().block_timestamp() {
                self.funding_now(market_id)?
            } else {
                funding
            };
            let margin =
                MarginParams::unpack(self.markets.getter(market_id).params_margin.get().into());
            let inputs = MarketInputs {
                feed: params.feed_id,
                initial_rate: margin.initial_rate,
                maintenance_rate: margin.maintenance_rate,
                rate_scale: margin.rate_scale,
                skew_scale: params.skew_scale,
                skew: skew(&open_interest),
                funding_index: funding.index,
            };
            words.extend_from_slice(&inputs.encode());
        }
        Ok(words)
    }

    /// The net skew (long - short open interest, base units WAD) of all
    /// markets on oracle feed `feed_id`: the perp exposure the pool is
    /// short on that underlying.
    pub fn feed_skew(&self, feed_id: u32) -> I256 {
        i256(Packed::from(self.feed_skew.get(feed_id)).get_signed(FEED_SKEW))
    }

    /// Market `market_id` now, and a quote for a trade of `size_delta`:
    /// fill price, fee and oracle price (the price a trade would use:
    /// strict, else lenient against the trader), the funding rate (per day,
    /// WAD; positive = longs pay) and funding index accrued to now, and the
    /// long and short open interest (skew = long - short). A zero size quotes
    /// the mark price `P (1 + skew / S)` and no fee. Parameters are in the
    /// latest [`MarketParamsSet`] event.
    ///
    /// # Errors
    /// [`MarketNotFound`], [`ValueOutOfRange`], the oracle's error when no
    /// price is usable.
    #[allow(clippy::type_complexity)]
    pub fn quote(
        &self,
        market_id: u32,
        size_delta: I256,
    ) -> Result<(U256, U256, U256, I256, I256, U256, U256), Vec<u8>> {
        let delta = to_i128(size_delta).ok_or_else(|| out_of_range(market_id))?;
        let Prepared { open_interest, price, quote, .. } = self.prepare(market_id, delta)?;
        Ok((
            U256::from(quote.fill_price),
            U256::from(quote.fee),
            U256::from(price),
            i256(quote.funding.rate),
            i256(quote.funding.index),
            U256::from(open_interest.long),
            U256::from(open_interest.short),
        ))
    }

    /// `account`'s position of `size` in market `market_id` (the size
    /// `RiskEngine.perpPosition` holds): size, entry price (the last fill)
    /// and the funding index it
    /// settled against then, its unrealised PnL `size * (price - entry)`
    /// (rounded down) at the price closing it would use (strict, else
    /// lenient against the position; before skew impact and fees), and the
    /// funding accrued since, `size * (index now - snapshot)` (rounded up,
    /// positive = the position owes). Closing at `price` would realise PnL
    /// less funding, up to one wei (RiskEngine rounds the sum once).
    ///
    /// # Errors
    /// [`MarketNotFound`], [`ValueOutOfRange`], the oracle's error when no
    /// price is usable.
    pub fn position(
        &self,
        account: U256,
        market_id: u32,
        size: I256,
    ) -> Result<(I256, U256, I256, I256, I256), Vec<u8>> {
        let fail = |e| trade_error(market_id, e, 0, U256::ZERO);
        let range = || fail(TradeError::Arithmetic);
        let size = to_i128(size).ok_or_else(range)?;
        let Prepared { price, quote, .. } =
            self.prepare(market_id, size.checked_neg().ok_or_else(range)?)?;
        let entry = self.entry(account, market_id);
        let pnl = logic::unrealised_pnl(size, entry.entry_price, price).map_err(fail)?;
        let funding = logic::accrued_funding(size, quote.funding.index, entry.funding_snapshot)
            .map_err(fail)?;
        Ok((
            i256(size),
            U256::from(entry.entry_price),
            i256(entry.funding_snapshot),
            i256(pnl),
            i256(funding),
        ))
    }

    /// Number of markets created.
    pub fn market_count(&self) -> u32 {
        self.market_count.get().to()
    }
}

/// What a trade decides before RiskEngine applies it.
struct Prepared {
    params: MarketParams,
    open_interest: OpenInterest,
    price: u128,
    strict: bool,
    quote: logic::Quote,
}

/// [`ValueOutOfRange`] for `market_id` as revert data.
fn out_of_range(market_id: u32) -> Vec<u8> {
    Error::from(ValueOutOfRange { marketId: market_id }).into()
}

/// How long an announced change of an existing market's parameters waits
/// ([`bulwark_common::delay`]).
pub const PARAMS_CHANGE_DELAY: u64 = bulwark_common::delay::CHANGE_DELAY;

/// Market ids run below this (RiskEngine keeps one bit per market id).
pub const MAX_MARKETS: u32 = 64;

/// The per-feed skew word's field.
const FEED_SKEW: bulwark_common::packed::Field = bulwark_common::packed::Field::LOW;

impl PerpMarket {
    /// Fails unless the caller is the wired RiskEngine.
    fn only_risk_engine(&self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller != self.risk_engine.get() {
            return Err(Error::from(NotRiskEngine { caller }).into());
        }
        Ok(())
    }

    /// Loads market `market_id`, prices a trade of `size_delta` (strict
    /// price, else lenient against the trader) and accrues funding.
    fn prepare(&self, market_id: u32, size_delta: i128) -> Result<Prepared, Vec<u8>> {
        let params = self.params(market_id)?;
        let (price, strict) = self.trade_price(params.feed_id, size_delta)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        let quote = logic::quote(&params, open_interest, funding, price, size_delta, now)
            .map_err(|e| trade_error(market_id, e, size_delta, U256::ZERO))?;
        Ok(Prepared { params, open_interest, price, strict, quote })
    }

    /// Market parameters, read once (three loads).
    fn params(&self, market_id: u32) -> Result<MarketParams, Vec<u8>> {
        let m = self.markets.getter(market_id);
        let params = logic::unpack_params(&[
            m.params_sizes.get().into(),
            m.params_trades.get().into(),
            m.params_rates.get().into(),
        ]);
        if params.skew_scale == 0 {
            return Err(Error::from(MarketNotFound { marketId: market_id }).into());
        }
        Ok(params)
    }

    /// Open interest and funding state as stored (two loads).
    fn state(&self, market_id: u32) -> (OpenInterest, Funding) {
        let m = self.markets.getter(market_id);
        logic::unpack_state(&[m.open_interest.get().into(), m.funding.get().into()])
    }

    /// `account`'s entry in `market_id` (zero when it holds no position).
    fn entry(&self, account: U256, market_id: u32) -> Entry {
        Entry::unpack(self.entries.getter(account).get(market_id).into())
    }

    /// Writes open interest and funding (two words).
    fn store(&mut self, market_id: u32, open_interest: OpenInterest, funding: Funding) {
        let words = logic::pack_state(open_interest, funding);
        let mut m = self.markets.setter(market_id);
        m.open_interest.set(words[0].into());
        m.funding.set(words[1].into());
    }

    /// Stores validated parameter words and logs them with the funding state.
    fn configure(&mut self, market_id: u32, feed_id: u32, words: &[U256; 4], funding: Funding) {
        let mut m = self.markets.setter(market_id);
        m.params_sizes.set(words[0]);
        m.params_trades.set(words[1]);
        m.params_rates.set(words[2]);
        m.params_margin.set(words[3]);
        let params = logic::unpack_params(&[words[0].into(), words[1].into(), words[2].into()]);
        let margin = MarginParams::unpack(words[3].into());
        log(
            self.vm(),
            MarketParamsSet {
                marketId: market_id,
                feedId: feed_id,
                params: [
                    params.skew_scale,
                    params.maker_fee,
                    params.taker_fee,
                    params.max_open_interest,
                    params.min_trade_size,
                    params.max_trade_size,
                    params.max_funding_velocity,
                    params.max_funding_rate,
                    margin.initial_rate,
                    margin.maintenance_rate,
                    margin.rate_scale,
                ]
                .map(U256::from),
                fundingRate: i256(funding.rate),
                fundingIndex: i256(funding.index),
            },
        );
    }

    /// Funding of `market_id` accrued to now at the lenient oracle price.
    fn funding_now(&self, market_id: u32) -> Result<Funding, Vec<u8>> {
        let params = self.params(market_id)?;
        let price = self.oracle_price(params.feed_id, oracle_usage::REDUCE_RISK_LOW)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        logic::accrue_funding(funding, skew(&open_interest), &params, price, now)
            .map_err(|e| trade_error(market_id, e, 0, U256::ZERO))
    }

    /// The price a trade of `size_delta` uses and whether it is strict: the
    /// strict price when usable, else the lenient one valued against the
    /// trader (low for a sell, high for a buy), which RiskEngine accepts
    /// only for trades that reduce risk. When neither is usable, the
    /// oracle's error for the lenient price.
    fn trade_price(&self, feed_id: u32, size_delta: i128) -> Result<(u128, bool), Vec<u8>> {
        match self.oracle_price(feed_id, oracle_usage::ADD_RISK) {
            Ok(price) => Ok((price, true)),
            Err(_) => Ok((self.oracle_price(feed_id, lenient_usage(size_delta))?, false)),
        }
    }

    /// The OracleAdapter's price of `feed_id` for `usage`, as `u128`.
    fn oracle_price(&self, feed_id: u32, usage: u8) -> Result<u128, Vec<u8>> {
        let data = calldata(oracle::PRICE, &[uint(u128::from(feed_id)), uint(u128::from(usage))]);
        let price: U256 = calls::view(self.vm(), self.oracle.get(), &data)?.read()?;
        Ok(narrow(price))
    }

    /// Moves open interest for a position going from `size_before` by
    /// `size_delta` (capped on the growing side unless `liquidation`), stores
    /// the hot state and the position's new entry, and logs the trade with
    /// the funding the position settled.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        account: U256,
        market_id: u32,
        params: &MarketParams,
        open_interest: OpenInterest,
        size_before: i128,
        size_delta: i128,
        quote: &logic::Quote,
        liquidation: bool,
    ) -> Result<(), Vec<u8>> {
        let cap = if liquidation { None } else { Some(params.max_open_interest) };
        let moved = open_interest
            .apply(size_before, size_delta, cap)
            .map_err(|e| trade_error(market_id, e, size_delta, U256::ZERO))?;
        self.store(market_id, moved, quote.funding);
        // Each side stays below `MAX_SIZE`, so the skews and the feed's sum
        // of at most 63 of them fit.
        let change = skew(&moved) - skew(&open_interest);
        let word = Packed::from(self.feed_skew.get(params.feed_id));
        let feed_skew = word.get_signed(FEED_SKEW).checked_add(change);
        let feed_skew = feed_skew
            .ok_or_else(|| trade_error(market_id, TradeError::Arithmetic, 0, U256::ZERO))?;
        self.feed_skew.setter(params.feed_id).set(word.with_signed(FEED_SKEW, feed_skew).into());
        let entry = self.entry(account, market_id);
        let funding_paid =
            logic::accrued_funding(size_before, quote.funding.index, entry.funding_snapshot)
                .map_err(|e| trade_error(market_id, e, 0, U256::ZERO))?;
        // `apply` above checked that the new size is within the open interest.
        let size_after = size_before.saturating_add(size_delta);
        let entry = Entry::after(size_after, quote.fill_price, quote.funding.index);
        self.entries.setter(account).setter(market_id).set(entry.pack().into());
        log(
            self.vm(),
            PerpTraded {
                account,
                marketId: market_id,
                sizeBefore: i256(size_before),
                sizeDelta: i256(size_delta),
                fillPrice: U256::from(quote.fill_price),
                fee: U256::from(quote.fee),
                fundingPaid: i256(funding_paid),
                fundingRate: i256(quote.funding.rate),
                fundingIndex: i256(quote.funding.index),
                liquidation,
            },
        );
        Ok(())
    }
}

/// The Solidity error for a [`TradeError`] in market `market_id`.
fn trade_error(
    market_id: u32,
    error: TradeError,
    size_delta: i128,
    acceptable_price: U256,
) -> Vec<u8> {
    match error {
        TradeError::Arithmetic => Error::from(ValueOutOfRange { marketId: market_id }),
        TradeError::AcceptablePrice { fill_price } => Error::from(AcceptablePriceExceeded {
            fillPrice: U256::from(fill_price),
            acceptablePrice: acceptable_price,
        }),
        TradeError::TradeSize => {
            Error::from(TradeSizeOutOfBounds { marketId: market_id, sizeDelta: i256(size_delta) })
        }
        TradeError::OpenInterestCap { long, open_interest } => {
            Error::from(OpenInterestCapExceeded {
                marketId: market_id,
                long,
                openInterest: U256::from(open_interest),
            })
        }
    }
    .into()
}

/// `raw` parameters (in `setMarketParams` order, amounts beyond `u128`
/// saturated) for market `market_id` on `feed_id`, checked against their
/// hard bounds and packed into the market's four parameter words.
fn validated(market_id: u32, feed_id: u32, raw: &[U256; 11]) -> Result<[U256; 4], Vec<u8>> {
    let params = MarketParams {
        feed_id,
        skew_scale: narrow(raw[0]),
        maker_fee: narrow(raw[1]),
        taker_fee: narrow(raw[2]),
        max_open_interest: narrow(raw[3]),
        min_trade_size: narrow(raw[4]),
        max_trade_size: narrow(raw[5]),
        max_funding_velocity: narrow(raw[6]),
        max_funding_rate: narrow(raw[7]),
    };
    let margin = MarginParams {
        initial_rate: narrow(raw[8]),
        maintenance_rate: narrow(raw[9]),
        rate_scale: narrow(raw[10]),
    };
    params.validate().and(margin.validate()).map_err(|field| invalid_params(market_id, field))?;
    let words = logic::pack_params(&params);
    Ok([words[0].into(), words[1].into(), words[2].into(), margin.pack().into()])
}

/// [`InvalidMarketParams`] for `field` of market `market_id`.
fn invalid_params(market_id: u32, field: ParamField) -> Vec<u8> {
    Error::from(InvalidMarketParams { marketId: market_id, field: field as u8 }).into()
}

/// The lenient usage valued against a trade of `size_delta`: a sell (or a
/// valuation of long exposure) at the lower source, a buy at the higher.
fn lenient_usage(size_delta: i128) -> u8 {
    if size_delta > 0 {
        oracle_usage::REDUCE_RISK_HIGH
    } else {
        oracle_usage::REDUCE_RISK_LOW
    }
}

/// Skew of `open_interest`; each side stays below `logic::MAX_SIZE`, so the
/// difference always fits (zero would only mean a corrupted state).
fn skew(open_interest: &OpenInterest) -> i128 {
    open_interest.skew().unwrap_or_default()
}

/// An ABI amount as `u128`, saturating: every bound it is checked against is
/// far below `u128::MAX`, so saturation turns "too large" into "out of bounds".
fn narrow(value: U256) -> u128 {
    value.saturating_to()
}

#[cfg(test)]
mod tests;

/// The WASM dispatcher serves exactly the interface `export-abi` prints.
#[cfg(test)]
#[test]
fn the_dispatcher_serves_the_exported_interface() {
    let source = include_str!("../../../abi/PerpMarket.sol");
    bulwark_common::dispatch::assert_dispatches(&signatures(), source, "IPerpMarket");
}
