//! PerpMarket: perpetual futures priced at the oracle price adjusted for
//! skew, with funding that drifts with skew.
//!
//! It holds no positions or balances: RiskEngine applies every trade. It
//! calls RiskEngine and the OracleAdapter only; RiskEngine calls it back only
//! through hooks that never call RiskEngine ([`PerpMarket::on_liquidation_close`],
//! [`PerpMarket::funding_indexes`]). The formulas live in [`logic`];
//! README.md states them with the storage layout.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

pub mod logic;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, FixedBytes, Uint, I256, U256};
use bulwark_common::{calls::revert_data, interfaces::IRiskEngine, roles::Roles};
use logic::{Funding, MarketParams, OpenInterest, TradeError};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageB256, StorageMap, StorageU32},
};

// The OracleAdapter's binding is being added to common::interfaces by its
// owner; until it lands, the one function this market calls is declared here
// with the adapter's exact signature (contracts/oracle-adapter/src/lib.rs).
#[allow(missing_docs, non_snake_case)]
mod oracle_binding {
    use alloc::vec;
    stylus_sdk::prelude::sol_interface! {
        interface IOracleAdapter {
            function price(uint32 feedId, uint8 usage) external view returns (uint256);
        }
    }
}
use oracle_binding::IOracleAdapter;

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
}

/// OracleAdapter price usage for actions that add risk (strict).
pub const USAGE_ADD_RISK: u8 = 0;
/// OracleAdapter price usage for reducing risk, valued at the lower source.
pub const USAGE_REDUCE_RISK_LOW: u8 = 1;
/// OracleAdapter price usage for reducing risk, valued at the higher source.
pub const USAGE_REDUCE_RISK_HIGH: u8 = 2;

/// One market: three words of parameters read once per trade, then two
/// words of hot state written once per trade, each packed by
/// [`logic::pack_params`] / [`logic::pack_state`] so a word costs one load
/// and one store. `REQUIRED_SLOTS` is pinned by a test.
#[storage]
pub struct Market {
    /// `[skewScale u128 | maxOpenInterest u128]`.
    params_sizes: StorageB256,
    /// `[maxTradeSize u128 | minTradeSize u96 | feedId u32]`.
    params_trades: StorageB256,
    /// `[makerFee u64 | takerFee u64 | maxFundingVelocity u64 | maxFundingRate u64]`.
    params_rates: StorageB256,
    /// `[longOpenInterest u128 | shortOpenInterest u128]`.
    open_interest: StorageB256,
    /// `[fundingIndex i128 | fundingRate i64 | fundingTime u64]`.
    funding: StorageB256,
}

/// The PerpMarket's state.
#[entrypoint]
#[storage]
pub struct PerpMarket {
    #[borrow]
    roles: Roles,
    risk_engine: StorageAddress,
    oracle: StorageAddress,
    markets: StorageMap<u32, Market>,
    market_count: StorageU32,
}

/// Margin parameters handed to RiskEngine (WAD), kept together.
struct MarginParams {
    initial: U256,
    maintenance: U256,
    scale: U256,
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

    /// Creates a market on oracle feed `feed_id`; returns its id (1, 2, ...).
    /// Sizes in base units, prices and values in quote, all WAD; fees are
    /// fractions of notional; funding rate per day, velocity per day per day.
    /// The margin parameters go to `RiskEngine.configurePerpMarket`.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidMarketParams`]
    /// naming the first field outside its hard bounds; RiskEngine's errors.
    ///
    /// # Events
    /// [`MarketParamsSet`].
    #[allow(clippy::too_many_arguments)]
    pub fn create_market(
        &mut self,
        feed_id: u32,
        skew_scale: U256,
        maker_fee: U256,
        taker_fee: U256,
        max_open_interest: U256,
        min_trade_size: U256,
        max_trade_size: U256,
        max_funding_velocity: U256,
        max_funding_rate: U256,
        initial_margin_rate: U256,
        maintenance_margin_rate: U256,
        margin_rate_scale: U256,
    ) -> Result<u32, Vec<u8>> {
        self.roles.only_admin()?;
        let market_id = self.market_count.get().to::<u32>().saturating_add(1);
        let params = MarketParams {
            feed_id,
            skew_scale: narrow(skew_scale),
            maker_fee: narrow(maker_fee),
            taker_fee: narrow(taker_fee),
            max_open_interest: narrow(max_open_interest),
            min_trade_size: narrow(min_trade_size),
            max_trade_size: narrow(max_trade_size),
            max_funding_velocity: narrow(max_funding_velocity),
            max_funding_rate: narrow(max_funding_rate),
        };
        self.market_count.set(Uint::from(market_id));
        let now = self.vm().block_timestamp();
        let state = logic::pack_state(OpenInterest::default(), Funding { time: now, ..Funding::default() });
        self.markets.setter(market_id).funding.set(FixedBytes(state[1]));
        let margin = MarginParams {
            initial: initial_margin_rate,
            maintenance: maintenance_margin_rate,
            scale: margin_rate_scale,
        };
        self.configure(market_id, &params, &margin)?;
        Ok(market_id)
    }

    /// Changes market `market_id`'s parameters (its feed stays). Funding is
    /// first brought to now under the old parameters, at the OracleAdapter's
    /// lenient price, so new parameters never apply to the past.
    ///
    /// # Errors
    /// As [`Self::create_market`], plus [`MarketNotFound`] and the oracle's
    /// error when no price is usable.
    ///
    /// # Events
    /// [`FundingUpdated`], [`MarketParamsSet`].
    #[allow(clippy::too_many_arguments)]
    pub fn set_market_params(
        &mut self,
        market_id: u32,
        skew_scale: U256,
        maker_fee: U256,
        taker_fee: U256,
        max_open_interest: U256,
        min_trade_size: U256,
        max_trade_size: U256,
        max_funding_velocity: U256,
        max_funding_rate: U256,
        initial_margin_rate: U256,
        maintenance_margin_rate: U256,
        margin_rate_scale: U256,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        let old = self.params(market_id)?;
        let price = self.oracle_price(old.feed_id, USAGE_REDUCE_RISK_LOW)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        let accrued = logic::accrue_funding(funding, skew(&open_interest), &old, price, now)
            .map_err(|e| self.trade_error(market_id, e, &old, 0, 0))?;
        self.store(market_id, open_interest, accrued, price, funding.time);
        let params = MarketParams {
            feed_id: old.feed_id,
            skew_scale: narrow(skew_scale),
            maker_fee: narrow(maker_fee),
            taker_fee: narrow(taker_fee),
            max_open_interest: narrow(max_open_interest),
            min_trade_size: narrow(min_trade_size),
            max_trade_size: narrow(max_trade_size),
            max_funding_velocity: narrow(max_funding_velocity),
            max_funding_rate: narrow(max_funding_rate),
        };
        let margin = MarginParams {
            initial: initial_margin_rate,
            maintenance: maintenance_margin_rate,
            scale: margin_rate_scale,
        };
        self.configure(market_id, &params, &margin)
    }

    /// Trades `size_delta` (base units, WAD; long > 0) of market `market_id`
    /// for `account`, filling at the oracle price adjusted for skew; returns
    /// the fill price. A buy reverts if the fill is above `acceptable_price`,
    /// a sell if it is below. RiskEngine checks that the caller may trade for
    /// the account, settles funding and PnL, charges the fee and enforces
    /// margin. Trades that only reduce a position pass while paused, with
    /// any size, and on the OracleAdapter's lenient price.
    ///
    /// # Errors
    /// [`MarketNotFound`], [`TradeSizeOutOfBounds`],
    /// [`AcceptablePriceExceeded`], [`OpenInterestCapExceeded`],
    /// [`ValueOutOfRange`], `ContractPaused` (trades adding risk), the
    /// oracle's error when no price is usable, RiskEngine's errors
    /// (`NotAccountOperator`, `InsufficientMargin`, ...).
    ///
    /// # Events
    /// [`FundingUpdated`] (first trade of the market in a block),
    /// [`PerpTraded`].
    pub fn trade(
        &mut self,
        account: U256,
        market_id: u32,
        size_delta: I256,
        acceptable_price: U256,
    ) -> Result<U256, Vec<u8>> {
        let params = self.params(market_id)?;
        let delta = to_i128(size_delta).unwrap_or_default();
        let (open_interest, funding) = self.state(market_id);
        let fail = |this: &Self, e: TradeError| {
            this.trade_error(market_id, e, &params, delta, narrow(acceptable_price))
        };
        if delta == 0 {
            return Err(fail(self, TradeError::TradeSize));
        }
        let (price, strict) = self.trade_price(params.feed_id, delta)?;
        let now = self.vm().block_timestamp();
        let quote = logic::quote(&params, open_interest, funding, price, delta, now)
            .map_err(|e| fail(self, e))?;
        logic::check_acceptable_price(delta, quote.fill_price, narrow(acceptable_price))
            .map_err(|e| fail(self, e))?;
        let risk_engine = self.risk_engine.get();
        let caller = self.vm().msg_sender();
        let size_before = IRiskEngine::new(risk_engine)
            .apply_perp_trade(
                &mut *self,
                caller,
                account,
                market_id,
                size_delta,
                U256::from(quote.fill_price),
                U256::from(quote.fee),
                int(quote.funding.index),
                strict,
            )
            .map_err(|e| revert_data(risk_engine, e))?;
        let size_before = to_i128(size_before).ok_or_else(|| fail(self, TradeError::Arithmetic))?;
        if logic::adds_risk(size_before, delta) {
            self.roles.when_not_paused()?;
        }
        let open_interest = logic::settle_trade(&params, open_interest, size_before, delta)
            .map_err(|e| fail(self, e))?;
        self.store(market_id, open_interest, quote.funding, price, funding.time);
        self.log_trade(account, market_id, size_before, delta, quote.fill_price, quote.fee, quote.funding.index, false);
        Ok(U256::from(quote.fill_price))
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
    /// [`FundingUpdated`], [`PerpTraded`] with `liquidation` set.
    pub fn on_liquidation_close(
        &mut self,
        account: U256,
        market_id: u32,
        size_before: I256,
        size_delta: I256,
        oracle_price: U256,
    ) -> Result<(U256, I256), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller != self.risk_engine.get() {
            return Err(Error::from(NotRiskEngine { caller }).into());
        }
        let params = self.params(market_id)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        let price = narrow(oracle_price);
        let (before, delta) = (to_i128(size_before), to_i128(size_delta));
        let result = match (before, delta) {
            (Some(before), Some(delta)) => logic::quote(&params, open_interest, funding, price, delta, now)
                .and_then(|q| Ok((q, before, delta, open_interest.apply(before, delta, None)?))),
            _ => Err(TradeError::Arithmetic),
        };
        let (quote, before, delta, open_interest) =
            result.map_err(|e| self.trade_error(market_id, e, &params, 0, 0))?;
        self.store(market_id, open_interest, quote.funding, price, funding.time);
        self.log_trade(account, market_id, before, delta, quote.fill_price, 0, quote.funding.index, true);
        Ok((U256::from(quote.fill_price), int(quote.funding.index)))
    }

    /// Each market's funding index accrued to now (WAD, quote per unit of
    /// base size), at the OracleAdapter's lenient price (usage 1). For
    /// valuation: cash is settled only against the indexes that trades and
    /// liquidation closes return and store.
    ///
    /// # Errors
    /// [`MarketNotFound`], [`ValueOutOfRange`], the oracle's error when no
    /// price is usable.
    pub fn funding_indexes(&self, market_ids: Vec<u32>) -> Result<Vec<I256>, Vec<u8>> {
        let mut indexes = Vec::with_capacity(market_ids.len());
        for market_id in market_ids {
            indexes.push(int(self.funding_now(market_id)?.index));
        }
        Ok(indexes)
    }

    /// Quote of a trade of `size_delta` now: fill price, fee, oracle price,
    /// and the funding rate (per day, WAD; positive = longs pay) and index
    /// accrued to now. A zero size quotes the mark price `P (1 + skew / S)`.
    /// The price is the one a trade would use (strict, else lenient against
    /// the trader).
    ///
    /// # Errors
    /// [`MarketNotFound`], [`ValueOutOfRange`], the oracle's error when no
    /// price is usable.
    pub fn quote(
        &self,
        market_id: u32,
        size_delta: I256,
    ) -> Result<(U256, U256, U256, I256, I256), Vec<u8>> {
        let params = self.params(market_id)?;
        let delta = to_i128(size_delta).unwrap_or_default();
        let (price, _) = self.trade_price(params.feed_id, delta)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        let quote = logic::quote(&params, open_interest, funding, price, delta, now)
            .map_err(|e| self.trade_error(market_id, e, &params, delta, 0))?;
        Ok((
            U256::from(quote.fill_price),
            U256::from(quote.fee),
            U256::from(price),
            int(quote.funding.rate),
            int(quote.funding.index),
        ))
    }

    /// Unrealised PnL at the oracle price (rounded down) and funding owed
    /// since `funding_snapshot` (rounded up; positive = pays) of a position
    /// of `size` entered at `entry_price` in market `market_id`.
    ///
    /// # Errors
    /// As [`Self::funding_indexes`].
    pub fn position_pnl(
        &self,
        market_id: u32,
        size: I256,
        entry_price: U256,
        funding_snapshot: I256,
    ) -> Result<(I256, I256), Vec<u8>> {
        let params = self.params(market_id)?;
        let range = || -> Vec<u8> { Error::from(ValueOutOfRange { marketId: market_id }).into() };
        let size = to_i128(size).ok_or_else(range)?;
        let snapshot = to_i128(funding_snapshot).ok_or_else(range)?;
        let price = self.oracle_price(params.feed_id, lenient_usage(size.saturating_neg()))?;
        let funding = self.funding_now(market_id)?;
        let pnl = logic::unrealised_pnl(size, narrow(entry_price), price).map_err(|_| range())?;
        let owed = logic::accrued_funding(size, funding.index, snapshot).map_err(|_| range())?;
        Ok((int(pnl), int(owed)))
    }

    /// Market `market_id`'s parameters: feed id, skew scale, maker fee,
    /// taker fee, maximum open interest per side, minimum and maximum trade
    /// size, maximum funding velocity and maximum funding rate.
    ///
    /// # Errors
    /// [`MarketNotFound`].
    #[allow(clippy::type_complexity)]
    pub fn market_params(
        &self,
        market_id: u32,
    ) -> Result<(u32, U256, U256, U256, U256, U256, U256, U256, U256), Vec<u8>> {
        let p = self.params(market_id)?;
        Ok((
            p.feed_id,
            U256::from(p.skew_scale),
            U256::from(p.maker_fee),
            U256::from(p.taker_fee),
            U256::from(p.max_open_interest),
            U256::from(p.min_trade_size),
            U256::from(p.max_trade_size),
            U256::from(p.max_funding_velocity),
            U256::from(p.max_funding_rate),
        ))
    }

    /// Market `market_id`'s stored state: long and short open interest,
    /// skew, funding rate, funding index and when funding was last updated.
    ///
    /// # Errors
    /// [`MarketNotFound`].
    pub fn market_state(
        &self,
        market_id: u32,
    ) -> Result<(U256, U256, I256, I256, I256, u64), Vec<u8>> {
        self.params(market_id)?;
        let (oi, funding) = self.state(market_id);
        Ok((
            U256::from(oi.long),
            U256::from(oi.short),
            int(skew(&oi)),
            int(funding.rate),
            int(funding.index),
            funding.time,
        ))
    }

    /// Number of markets created.
    pub fn market_count(&self) -> u32 {
        self.market_count.get().to()
    }

}

impl PerpMarket {
    /// Market parameters, read once (three loads).
    fn params(&self, market_id: u32) -> Result<MarketParams, Vec<u8>> {
        let m = self.markets.getter(market_id);
        let params = logic::unpack_params(&[
            m.params_sizes.get().0,
            m.params_trades.get().0,
            m.params_rates.get().0,
        ]);
        if params.skew_scale == 0 {
            return Err(Error::from(MarketNotFound { marketId: market_id }).into());
        }
        Ok(params)
    }

    /// Open interest and funding state as stored (two loads).
    fn state(&self, market_id: u32) -> (OpenInterest, Funding) {
        let m = self.markets.getter(market_id);
        logic::unpack_state(&[m.open_interest.get().0, m.funding.get().0])
    }

    /// Writes open interest and funding (two slots); logs the funding
    /// update when time moved since `previous_time`.
    fn store(
        &mut self,
        market_id: u32,
        open_interest: OpenInterest,
        funding: Funding,
        price: u128,
        previous_time: u64,
    ) {
        let words = logic::pack_state(open_interest, funding);
        let mut m = self.markets.setter(market_id);
        m.open_interest.set(FixedBytes(words[0]));
        m.funding.set(FixedBytes(words[1]));
        if funding.time != previous_time {
            log(
                self.vm(),
                FundingUpdated {
                    marketId: market_id,
                    fundingRate: int(funding.rate),
                    fundingIndex: int(funding.index),
                    price: U256::from(price),
                    skew: int(skew(&open_interest)),
                },
            );
        }
    }

    /// Validates and stores `params`, hands the margin parameters to
    /// RiskEngine and logs the change.
    fn configure(
        &mut self,
        market_id: u32,
        params: &MarketParams,
        margin: &MarginParams,
    ) -> Result<(), Vec<u8>> {
        params.validate().map_err(|field| {
            Vec::<u8>::from(Error::from(InvalidMarketParams { marketId: market_id, field: field as u8 }))
        })?;
        let words = logic::pack_params(params);
        let mut m = self.markets.setter(market_id);
        m.params_sizes.set(FixedBytes(words[0]));
        m.params_trades.set(FixedBytes(words[1]));
        m.params_rates.set(FixedBytes(words[2]));
        let risk_engine = self.risk_engine.get();
        IRiskEngine::new(risk_engine)
            .configure_perp_market(
                &mut *self,
                market_id,
                params.feed_id,
                margin.initial,
                margin.maintenance,
                margin.scale,
                U256::from(params.skew_scale),
            )
            .map_err(|e| revert_data(risk_engine, e))?;
        log(
            self.vm(),
            MarketParamsSet {
                marketId: market_id,
                feedId: params.feed_id,
                skewScale: U256::from(params.skew_scale),
                makerFee: U256::from(params.maker_fee),
                takerFee: U256::from(params.taker_fee),
                maxOpenInterest: U256::from(params.max_open_interest),
                minTradeSize: U256::from(params.min_trade_size),
                maxTradeSize: U256::from(params.max_trade_size),
                maxFundingVelocity: U256::from(params.max_funding_velocity),
                maxFundingRate: U256::from(params.max_funding_rate),
                initialMarginRate: margin.initial,
                maintenanceMarginRate: margin.maintenance,
                marginRateScale: margin.scale,
            },
        );
        Ok(())
    }

    /// Funding of `market_id` accrued to now at the lenient oracle price.
    fn funding_now(&self, market_id: u32) -> Result<Funding, Vec<u8>> {
        let params = self.params(market_id)?;
        let price = self.oracle_price(params.feed_id, USAGE_REDUCE_RISK_LOW)?;
        let (open_interest, funding) = self.state(market_id);
        let now = self.vm().block_timestamp();
        logic::accrue_funding(funding, skew(&open_interest), &params, price, now)
            .map_err(|e| self.trade_error(market_id, e, &params, 0, 0))
    }

    /// The price a trade of `size_delta` uses and whether it is strict: the
    /// strict price when usable, else the lenient one valued against the
    /// trader (low for a sell, high for a buy), which RiskEngine accepts
    /// only for trades that reduce risk. When neither is usable, the
    /// oracle's error for the lenient price.
    fn trade_price(&self, feed_id: u32, size_delta: i128) -> Result<(u128, bool), Vec<u8>> {
        match self.oracle_price(feed_id, USAGE_ADD_RISK) {
            Ok(price) => Ok((price, true)),
            Err(_) => Ok((self.oracle_price(feed_id, lenient_usage(size_delta))?, false)),
        }
    }

    /// The OracleAdapter's price of `feed_id` for `usage`, as `u128`.
    fn oracle_price(&self, feed_id: u32, usage: u8) -> Result<u128, Vec<u8>> {
        let oracle = self.oracle.get();
        let price =
            IOracleAdapter::new(oracle).price(self, feed_id, usage).map_err(|e| revert_data(oracle, e))?;
        Ok(narrow(price))
    }

    /// Logs a trade.
    #[allow(clippy::too_many_arguments)]
    fn log_trade(
        &self,
        account: U256,
        market_id: u32,
        size_before: i128,
        size_delta: i128,
        fill_price: u128,
        fee: u128,
        funding_index: i128,
        liquidation: bool,
    ) {
        log(
            self.vm(),
            PerpTraded {
                account,
                marketId: market_id,
                sizeBefore: int(size_before),
                sizeDelta: int(size_delta),
                fillPrice: U256::from(fill_price),
                fee: U256::from(fee),
                fundingIndex: int(funding_index),
                liquidation,
            },
        );
    }

    /// The Solidity error for a [`TradeError`] in market `market_id`.
    fn trade_error(
        &self,
        market_id: u32,
        error: TradeError,
        params: &MarketParams,
        size_delta: i128,
        acceptable_price: u128,
    ) -> Vec<u8> {
        match error {
            TradeError::Arithmetic => Error::from(ValueOutOfRange { marketId: market_id }),
            TradeError::AcceptablePrice { fill_price } => Error::from(AcceptablePriceExceeded {
                marketId: market_id,
                sizeDelta: int(size_delta),
                fillPrice: U256::from(fill_price),
                acceptablePrice: U256::from(acceptable_price),
            }),
            TradeError::TradeSize => Error::from(TradeSizeOutOfBounds {
                marketId: market_id,
                sizeDelta: int(size_delta),
                minTradeSize: U256::from(params.min_trade_size),
                maxTradeSize: U256::from(params.max_trade_size),
            }),
            TradeError::OpenInterestCap { long, open_interest } => {
                Error::from(OpenInterestCapExceeded {
                    marketId: market_id,
                    long,
                    openInterest: U256::from(open_interest),
                    maxOpenInterest: U256::from(params.max_open_interest),
                })
            }
        }
        .into()
    }
}

/// The lenient usage valued against a trade of `size_delta`: a sell (or a
/// valuation of long exposure) at the lower source, a buy at the higher.
fn lenient_usage(size_delta: i128) -> u8 {
    if size_delta > 0 {
        USAGE_REDUCE_RISK_HIGH
    } else {
        USAGE_REDUCE_RISK_LOW
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

/// An `i128` on the ABI (`int256`): sign-extended into four limbs.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn int(value: i128) -> I256 {
    let extension = if value < 0 { u64::MAX } else { 0 };
    // Truncations pick the low and high 64-bit halves of the two's complement.
    let raw = value as u128;
    I256::from_raw(U256::from_limbs([raw as u64, (raw >> 64) as u64, extension, extension]))
}

/// An `int256` from the ABI as `i128`, or `None` when it does not fit (the
/// top 129 bits must all equal the sign).
#[allow(clippy::cast_possible_wrap)]
fn to_i128(value: I256) -> Option<i128> {
    let limbs = value.into_raw().into_limbs();
    // Reassembles the low 128 bits; the cast reinterprets them as two's complement.
    let low = ((u128::from(limbs[1]) << 64) | u128::from(limbs[0])) as i128;
    let extension = if low < 0 { u64::MAX } else { 0 };
    (limbs[2] == extension && limbs[3] == extension).then_some(low)
}

#[cfg(test)]
mod tests;
