//! OptionsMarket: European cash-settled options written and bought by the
//! pool, priced with Black-Scholes on the oracle's volatility surface plus a
//! spread, with the pool's delta and vega held within limits per underlying.
//!
//! It holds no positions or balances: RiskEngine applies every trade and
//! settles every position. It calls RiskEngine and the OracleAdapter only;
//! RiskEngine calls back only into the hooks, which never call RiskEngine.
//! The rules are plain functions in [`logic`], tested natively.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

pub mod logic;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::SolValue;
use bulwark_common::{
    calls::{self, calldata},
    evm::{address, boolean, bytes32, int256, uint, uint256},
    interfaces::{oracle, oracle_usage, risk_engine},
    roles::Roles,
};
use bulwark_math::OptionKind;
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageI128, StorageMap, StorageU128, StorageU32, StorageU64,
        StorageU8,
    },
};

use crate::logic::{LogicError, MarketParams, OpenInterest, PoolGreeks};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/options.sol"
    );
}
pub use sol::*;

/// Errors of the OptionsMarket.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`SeriesNotListed`].
    SeriesNotListed(SeriesNotListed),
    /// See [`InvalidListing`].
    InvalidListing(InvalidListing),
    /// See [`InvalidParameters`].
    InvalidParameters(InvalidParameters),
    /// See [`OnlyRiskEngine`].
    OnlyRiskEngine(OnlyRiskEngine),
    /// See [`InvalidAmount`].
    InvalidAmount(InvalidAmount),
    /// See [`TradingClosed`].
    TradingClosed(TradingClosed),
    /// See [`NotExpired`].
    NotExpired(NotExpired),
    /// See [`PremiumLimitExceeded`].
    PremiumLimitExceeded(PremiumLimitExceeded),
    /// See [`GreekLimitExceeded`].
    GreekLimitExceeded(GreekLimitExceeded),
    /// See [`PricingFailed`].
    PricingFailed(PricingFailed),
    /// See [`BookMismatch`].
    BookMismatch(BookMismatch),
}

/// [`GreekLimitExceeded`] code of the pool's net delta.
pub const GREEK_DELTA: u8 = 0;
/// [`GreekLimitExceeded`] code of the pool's vega.
pub const GREEK_VEGA: u8 = 1;

/// One option series: its terms, the traders' open interest, the pool's
/// greeks per contract at its last mark and, once expired, its settlement
/// price. Flat (no nested struct), so its slot count is exact.
#[storage]
pub struct Series {
    underlying: StorageU32,
    expiry: StorageU64,
    is_call: StorageBool,
    listed: StorageBool,
    strike: StorageU128,
    /// Zero until the series settles; then fixed forever.
    settlement_price: StorageU128,
    long_open: StorageU128,
    short_open: StorageU128,
    /// Delta per long contract at the last mark (WAD).
    mark_delta: StorageI128,
    /// Vega per contract at the last mark (quote WAD per 1.0 of volatility).
    mark_vega: StorageU128,
}

/// Per-underlying configuration and the pool's greek totals on it.
#[storage]
pub struct Underlying {
    strike_step: StorageU128,
    delta_limit: StorageU128,
    vega_limit: StorageU128,
    strikes_per_side: StorageU8,
    /// Pool option delta at each series' last mark (WAD).
    option_delta: StorageI128,
    /// Pool option vega at each series' last mark (quote WAD per 1.0 vol).
    option_vega: StorageI128,
}

/// The OptionsMarket's state.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct OptionsMarket {
    #[borrow]
    roles: Roles,
    risk_engine: StorageAddress,
    oracle: StorageAddress,
    trading_cutoff: StorageU64,
    base_spread: StorageU128,
    trade_vega_slope: StorageU128,
    exposure_slope: StorageU128,
    fee_premium_rate: StorageU128,
    fee_notional_rate: StorageU128,
    series: StorageMap<B256, Series>,
    underlyings: StorageMap<u32, Underlying>,
}

/// A series' terms, loaded once per call.
#[derive(Clone, Copy, Debug)]
struct Terms {
    id: B256,
    underlying: u32,
    expiry: u64,
    kind: OptionKind,
    strike: u128,
    settlement_price: u128,
}

/// What a trade or forced close computes before anything is stored.
#[derive(Clone, Copy, Debug)]
struct Priced {
    quote: logic::Quote,
    mark: logic::Mark,
    /// The pool's greeks with the traded series re-marked, before and after.
    before: PoolGreeks,
    after: PoolGreeks,
    open_interest: OpenInterest,
}

bulwark_common::dispatch! {
    OptionsMarket, roles;
    constructor(admin, risk_engine, oracle);
    "setMarketParams(uint64,uint256,uint256,uint256,uint256,uint256)" => set_market_params(trading_cutoff, base_spread, trade_vega_slope, exposure_slope, fee_premium_rate, fee_notional_rate);
    "configureUnderlying(uint32,uint256,uint8,uint256,uint256)" => configure_underlying(underlying, strike_step, strikes_per_side, delta_limit, vega_limit);
    "listSeries(uint32,uint256,uint64,bool)" => list_series(underlying, strike, expiry, is_call);
    "listExpiry(uint32,uint64)" => list_expiry(underlying, expiry);
    "quote(bytes32,int256)" => quote(series_id, amount);
    "trade(uint256,bytes32,int256,int256)" => trade(account, series_id, amount, limit_premium);
    "remark(bytes32)" => remark(series_id);
    "settleSeries(bytes32)" => settle_series(series_id);
    "onLiquidationClose(bytes32,int256,uint256)" => on_liquidation_close(series_id, amount_delta, spot);
    "onSettlement(bytes32,int256)" => on_settlement(series_id, amount);
}

#[public]
#[inherit(Roles)]
impl OptionsMarket {
    /// Creates the market with its admin, RiskEngine and OracleAdapter (the
    /// wiring is fixed: deploy RiskEngine first).
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

    /// Sets the global parameters (WAD; see the README for the hard bounds).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameters`].
    ///
    /// # Events
    /// [`ParametersChanged`] with underlying 0.
    pub fn set_market_params(
        &mut self,
        trading_cutoff: u64,
        base_spread: U256,
        trade_vega_slope: U256,
        exposure_slope: U256,
        fee_premium_rate: U256,
        fee_notional_rate: U256,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        let params = MarketParams {
            trading_cutoff,
            base_spread: small(base_spread)?,
            trade_vega_slope: small(trade_vega_slope)?,
            exposure_slope: small(exposure_slope)?,
            fee_premium_rate: small(fee_premium_rate)?,
            fee_notional_rate: small(fee_notional_rate)?,
        };
        if !params.within_bounds() {
            return Err(Error::from(InvalidParameters {}).into());
        }
        self.trading_cutoff.set(U64::from(params.trading_cutoff));
        self.base_spread.set(U128::from(params.base_spread));
        self.trade_vega_slope.set(U128::from(params.trade_vega_slope));
        self.exposure_slope.set(U128::from(params.exposure_slope));
        self.fee_premium_rate.set(U128::from(params.fee_premium_rate));
        self.fee_notional_rate.set(U128::from(params.fee_notional_rate));
        self.changed(0);
        Ok(())
    }

    /// Configures an underlying (an oracle feed id): the strike grid used by
    /// [`Self::list_expiry`] and the pool's delta and vega limits (WAD).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameters`]
    /// for underlying 0, a zero step or limit, or more than
    /// [`logic::MAX_STRIKES_PER_SIDE`] strikes per side.
    ///
    /// # Events
    /// [`ParametersChanged`].
    pub fn configure_underlying(
        &mut self,
        underlying: u32,
        strike_step: U256,
        strikes_per_side: u8,
        delta_limit: U256,
        vega_limit: U256,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        let (step, delta, vega) = (small(strike_step)?, small(delta_limit)?, small(vega_limit)?);
        if underlying == 0
            || step == 0
            || delta == 0
            || vega == 0
            || strikes_per_side > logic::MAX_STRIKES_PER_SIDE
        {
            return Err(Error::from(InvalidParameters {}).into());
        }
        let mut config = self.underlyings.setter(underlying);
        config.strike_step.set(U128::from(step));
        config.strikes_per_side.set(U8::from(strikes_per_side));
        config.delta_limit.set(U128::from(delta));
        config.vega_limit.set(U128::from(vega));
        self.changed(underlying);
        Ok(())
    }

    /// Lists one series (the admin's choice of strike); returns its id. A
    /// series already listed is left as it is.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidListing`] for
    /// an unconfigured underlying, a zero strike or one above 2^128, or an
    /// expiry not listable now; RiskEngine's errors from `registerSeries`.
    ///
    /// # Events
    /// [`SeriesListed`] for a new series.
    pub fn list_series(
        &mut self,
        underlying: u32,
        strike: U256,
        expiry: u64,
        is_call: bool,
    ) -> Result<B256, Vec<u8>> {
        self.roles.only_admin()?;
        let value = u128::try_from(strike).unwrap_or_default();
        self.check_listing(underlying, value, expiry)?;
        let id = series_id(underlying, strike, expiry, is_call);
        if !self.series.getter(id).listed.get() {
            self.list(id, underlying, value, expiry, is_call)?;
        }
        Ok(id)
    }

    /// Lists an expiry by rule, callable by anyone: calls and puts at the
    /// grid strike nearest the oracle spot and `strikesPerSide` grid strikes
    /// on each side; series already listed are skipped. Returns how many
    /// series were listed.
    ///
    /// # Errors
    /// [`InvalidListing`] for an unconfigured underlying or an expiry not
    /// listable now; `ContractPaused`; the
    /// oracle's errors; RiskEngine's errors from `registerSeries`.
    ///
    /// # Events
    /// [`SeriesListed`] for each new series.
    pub fn list_expiry(&mut self, underlying: u32, expiry: u64) -> Result<u32, Vec<u8>> {
        self.roles.when_not_paused()?;
        self.check_listing(underlying, 1, expiry)?;
        let spot = self.spot(underlying, oracle_usage::ADD_RISK)?.0;
        let config = self.underlyings.getter(underlying);
        let (step, per_side) =
            (config.strike_step.get().to::<u128>(), config.strikes_per_side.get().to::<u8>());
        let mut listed = 0u32;
        for strike in logic::grid_strikes(spot, step, per_side) {
            for is_call in [true, false] {
                let id = series_id(underlying, U256::from(strike), expiry, is_call);
                if !self.series.getter(id).listed.get() {
                    self.list(id, underlying, strike, expiry, is_call)?;
                    listed += 1;
                }
            }
        }
        Ok(listed)
    }

    /// Premium, fee and greeks of a trade of `amount` contracts (long > 0)
    /// now: `(premium, fee, delta, vega, spread)`, premium signed from the
    /// trader's view (positive = pays), delta and vega the trade's for the
    /// trader. The pool's limits are checked only by [`Self::trade`] (they
    /// need RiskEngine's perp skew).
    ///
    /// # Errors
    /// As [`Self::trade`] before RiskEngine is called.
    pub fn quote(
        &self,
        series_id: B256,
        amount: I256,
    ) -> Result<(I256, U256, I256, I256, U256), Vec<u8>> {
        let amount = trade_amount(amount)?;
        let terms = self.terms(series_id)?;
        self.check_open(&terms)?;
        let (spot, _) = self.spot(terms.underlying, trader_usage(terms.kind, amount))?;
        let priced = self.price(&terms, spot, amount)?;
        let q = priced.quote;
        Ok((
            signed(q.premium),
            U256::from(q.fee),
            signed(q.delta),
            signed(q.vega),
            U256::from(q.spread),
        ))
    }

    /// Buys (`amount > 0`) or sells (`amount < 0`) contracts of a series for
    /// `account` against the pool; returns the premium (trader's view,
    /// positive = paid). Reverts when the premium is above `limitPremium`
    /// (a buyer's maximum cost, or minus a seller's minimum proceeds).
    /// RiskEngine checks that the caller may trade for `account`, moves the
    /// premium and fee, and enforces margin.
    ///
    /// # Errors
    /// [`InvalidAmount`]; [`SeriesNotListed`]; [`TradingClosed`];
    /// [`PricingFailed`]; [`PremiumLimitExceeded`]; [`GreekLimitExceeded`]
    /// for trades that grow the pool's exposure beyond
    /// its limits; `ContractPaused` for trades that add to the account's
    /// position while paused; [`BookMismatch`]; the oracle's and RiskEngine's
    /// errors, unchanged.
    ///
    /// # Events
    /// [`OptionTraded`].
    pub fn trade(
        &mut self,
        account: U256,
        series_id: B256,
        amount: I256,
        limit_premium: I256,
    ) -> Result<I256, Vec<u8>> {
        let amount = trade_amount(amount)?;
        let terms = self.terms(series_id)?;
        self.check_open(&terms)?;
        let (spot, strict) = self.spot(terms.underlying, trader_usage(terms.kind, amount))?;
        let priced = self.price(&terms, spot, amount)?;
        let q = priced.quote;
        let limit = i128::try_from(limit_premium).unwrap_or(if limit_premium.is_negative() {
            i128::MIN
        } else {
            i128::MAX
        });
        if q.premium > limit {
            return Err(Error::from(PremiumLimitExceeded {
                premium: signed(q.premium),
                limitPremium: limit_premium,
            })
            .into());
        }
        let data = calldata(
            risk_engine::APPLY_OPTION_TRADE,
            &[
                address(self.vm().msg_sender()),
                uint256(account),
                bytes32(series_id),
                int256(signed(amount)),
                int256(signed(q.premium)),
                uint(q.fee),
                boolean(strict),
            ],
        );
        let mut reply = calls::call(self.vm(), self.risk_engine.get(), &data)?;
        let (amount_before, perp_skew): (I256, I256) = (reply.read()?, reply.read()?);
        let before = i128::try_from(amount_before)
            .map_err(|_| book_mismatch(series_id, amount_before, amount))?;
        let reduces = before != 0
            && (before < 0) != (amount < 0)
            && amount.unsigned_abs() <= before.unsigned_abs();
        if !reduces {
            self.roles.when_not_paused()?;
        }
        let open_interest = priced
            .open_interest
            .after(before, amount)
            .map_err(|_| book_mismatch(series_id, amount_before, amount))?;
        let skew = i128::try_from(perp_skew).map_err(|_| pricing_failed(series_id))?;
        let config = self.underlyings.getter(terms.underlying);
        let delta_before =
            logic::pool_delta(priced.before.delta, skew).map_err(|_| pricing_failed(series_id))?;
        let delta_after =
            logic::pool_delta(priced.after.delta, skew).map_err(|_| pricing_failed(series_id))?;
        let checks = [
            (GREEK_DELTA, delta_before, delta_after, config.delta_limit.get().to::<u128>()),
            (
                GREEK_VEGA,
                priced.before.vega,
                priced.after.vega,
                config.vega_limit.get().to::<u128>(),
            ),
        ];
        for (greek, before, after, limit) in checks {
            if !logic::within_limit(before, after, limit) {
                return Err(Error::from(GreekLimitExceeded {
                    underlying: terms.underlying,
                    greek,
                    exposureBefore: signed(before),
                    exposureAfter: signed(after),
                    limit: U256::from(limit),
                })
                .into());
            }
        }
        self.record(&terms, &priced, open_interest, account, amount);
        Ok(signed(q.premium))
    }

    /// Re-marks the pool's greeks of one series at the current oracle spot
    /// and volatility (anyone may call it; keepers do). Settled and expired
    /// series are left alone (settlement takes them out).
    ///
    /// # Errors
    /// [`SeriesNotListed`]; the oracle's errors; [`PricingFailed`].
    pub fn remark(&mut self, series_id: B256) -> Result<(), Vec<u8>> {
        let terms = self.terms(series_id)?;
        if terms.settlement_price == 0 && self.vm().block_timestamp() < terms.expiry {
            let (spot, _) = self.spot(terms.underlying, oracle_usage::REDUCE_RISK_LOW)?;
            let priced = self.price(&terms, spot, 0)?;
            self.store_marks(&terms, &priced);
        }
        Ok(())
    }

    /// Records a series' settlement price from the OracleAdapter once it has
    /// expired (anyone may call it) and takes the series out of the pool's
    /// greeks. Idempotent: later calls return the recorded price.
    ///
    /// # Errors
    /// [`SeriesNotListed`]; [`NotExpired`]; the oracle's errors while it has
    /// no settlement price; [`PricingFailed`] for a zero price.
    ///
    /// # Events
    /// [`SeriesSettled`] on the first call.
    pub fn settle_series(&mut self, series_id: B256) -> Result<U256, Vec<u8>> {
        let terms = self.terms(series_id)?;
        Ok(U256::from(self.settle(&terms)?))
    }

    /// RiskEngine's hook for a liquidation's forced close of `amountDelta`
    /// contracts (the opposite sign of the position closed) at `spot`: the
    /// premium at the model price plus the spread (trader's view), no limit
    /// checks; the pool's book follows.
    ///
    /// # Errors
    /// [`OnlyRiskEngine`]; [`InvalidAmount`]; [`SeriesNotListed`];
    /// [`TradingClosed`] after expiry (settle instead); [`PricingFailed`];
    /// [`BookMismatch`]; the oracle's volatility errors.
    ///
    /// # Events
    /// [`OptionTraded`] with account 0.
    pub fn on_liquidation_close(
        &mut self,
        series_id: B256,
        amount_delta: I256,
        spot: U256,
    ) -> Result<I256, Vec<u8>> {
        self.only_risk_engine()?;
        let amount = trade_amount(amount_delta)?;
        let terms = self.terms(series_id)?;
        if terms.settlement_price != 0 || self.vm().block_timestamp() >= terms.expiry {
            return Err(self.closed(&terms));
        }
        let spot = u128::try_from(spot).map_err(|_| pricing_failed(series_id))?;
        let priced = self.price(&terms, spot, amount)?;
        // A close: the position was at least |amountDelta| on the other side.
        let open_interest = priced
            .open_interest
            .after(-amount, amount)
            .map_err(|_| book_mismatch(series_id, signed(-amount), amount))?;
        self.record(&terms, &priced, open_interest, U256::ZERO, amount);
        Ok(signed(priced.quote.premium))
    }

    /// RiskEngine's hook when an account's position of `amount` contracts
    /// leaves the book at settlement: settles the series if needed and
    /// returns `(settlementPrice, payoff)`, the payoff from the trader's view
    /// (positive = the account receives; a long's rounded down, a short's
    /// rounded up).
    ///
    /// # Errors
    /// [`OnlyRiskEngine`]; as [`Self::settle_series`]; [`BookMismatch`] when
    /// the open interest cannot absorb `amount`.
    ///
    /// # Events
    /// [`SeriesSettled`] when this call settles the series.
    pub fn on_settlement(
        &mut self,
        series_id: B256,
        amount: I256,
    ) -> Result<(U256, I256), Vec<u8>> {
        self.only_risk_engine()?;
        let terms = self.terms(series_id)?;
        let price = self.settle(&terms)?;
        let amount = i128::try_from(amount).map_err(|_| book_mismatch(series_id, amount, 0))?;
        let mut series = self.series.setter(series_id);
        let open_interest = OpenInterest {
            long: series.long_open.get().to::<u128>(),
            short: series.short_open.get().to::<u128>(),
        }
        .after(amount, -amount)
        .map_err(|_| book_mismatch(series_id, signed(amount), -amount))?;
        series.long_open.set(U128::from(open_interest.long));
        series.short_open.set(U128::from(open_interest.short));
        let payoff = logic::settlement_payoff(terms.kind, terms.strike, price, amount)
            .map_err(|_| pricing_failed(series_id))?;
        Ok((U256::from(price), signed(payoff)))
    }
}

/// Storage integer aliases used with `set`.
type U8 = alloy_primitives::Uint<8, 1>;
/// See [`U8`].
type U64 = alloy_primitives::Uint<64, 1>;
/// See [`U8`].
type U128 = alloy_primitives::Uint<128, 2>;

impl OptionsMarket {
    /// The global parameters.
    fn params(&self) -> MarketParams {
        MarketParams {
            trading_cutoff: self.trading_cutoff.get().to::<u64>(),
            base_spread: self.base_spread.get().to::<u128>(),
            trade_vega_slope: self.trade_vega_slope.get().to::<u128>(),
            exposure_slope: self.exposure_slope.get().to::<u128>(),
            fee_premium_rate: self.fee_premium_rate.get().to::<u128>(),
            fee_notional_rate: self.fee_notional_rate.get().to::<u128>(),
        }
    }

    /// Emits [`ParametersChanged`].
    fn changed(&self, underlying: u32) {
        log(self.vm(), ParametersChanged { underlying, sender: self.vm().msg_sender() });
    }

    /// Fails unless the caller is the wired RiskEngine.
    fn only_risk_engine(&self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || caller != self.risk_engine.get() {
            return Err(Error::from(OnlyRiskEngine { caller }).into());
        }
        Ok(())
    }

    /// Fails unless the underlying is configured, the strike positive and
    /// `expiry` listable now.
    fn check_listing(&self, underlying: u32, strike: u128, expiry: u64) -> Result<(), Vec<u8>> {
        let now = self.vm().block_timestamp();
        if self.underlyings.getter(underlying).vega_limit.get().is_zero()
            || strike == 0
            || !logic::expiry_listable(expiry, now, self.trading_cutoff.get().to::<u64>())
        {
            return Err(Error::from(InvalidListing {
                underlying,
                strike: U256::from(strike),
                expiry,
                now,
            })
            .into());
        }
        Ok(())
    }

    /// Stores a new series, registers it with RiskEngine and logs it.
    fn list(
        &mut self,
        id: B256,
        underlying: u32,
        strike: u128,
        expiry: u64,
        is_call: bool,
    ) -> Result<(), Vec<u8>> {
        let mut series = self.series.setter(id);
        series.listed.set(true);
        series.underlying.set(alloy_primitives::Uint::from(underlying));
        series.expiry.set(U64::from(expiry));
        series.is_call.set(is_call);
        series.strike.set(U128::from(strike));
        let data = calldata(
            risk_engine::REGISTER_SERIES,
            &[
                bytes32(id),
                uint(u128::from(underlying)),
                uint(strike),
                uint(u128::from(expiry)),
                boolean(is_call),
            ],
        );
        calls::call(self.vm(), self.risk_engine.get(), &data)?;
        log(
            self.vm(),
            SeriesListed {
                seriesId: id,
                underlying,
                strike: U256::from(strike),
                expiry,
                isCall: is_call,
            },
        );
        Ok(())
    }

    /// A listed series' terms.
    fn terms(&self, id: B256) -> Result<Terms, Vec<u8>> {
        let s = self.series.getter(id);
        if !s.listed.get() {
            return Err(Error::from(SeriesNotListed { seriesId: id }).into());
        }
        Ok(Terms {
            id,
            underlying: s.underlying.get().to::<u32>(),
            expiry: s.expiry.get().to::<u64>(),
            kind: if s.is_call.get() { OptionKind::Call } else { OptionKind::Put },
            strike: s.strike.get().to::<u128>(),
            settlement_price: s.settlement_price.get().to::<u128>(),
        })
    }

    /// [`TradingClosed`] for a series at the current time.
    fn closed(&self, terms: &Terms) -> Vec<u8> {
        Error::from(TradingClosed {
            seriesId: terms.id,
            expiry: terms.expiry,
            now: self.vm().block_timestamp(),
        })
        .into()
    }

    /// Fails unless the series trades now.
    fn check_open(&self, terms: &Terms) -> Result<(), Vec<u8>> {
        let now = self.vm().block_timestamp();
        if terms.settlement_price != 0
            || !logic::trading_open(terms.expiry, now, self.trading_cutoff.get().to::<u64>())
        {
            return Err(self.closed(terms));
        }
        Ok(())
    }

    /// The oracle spot of `underlying` and whether it is valid for adding
    /// risk: the strict price if the oracle gives one, else the lenient one
    /// for `fallback_usage` (RiskEngine then refuses trades that add risk).
    fn spot(&self, underlying: u32, fallback_usage: u8) -> Result<(u128, bool), Vec<u8>> {
        let price = |usage: u8| -> Result<U256, Vec<u8>> {
            let data =
                calldata(oracle::PRICE, &[uint(u128::from(underlying)), uint(u128::from(usage))]);
            calls::view(self.vm(), self.oracle.get(), &data)?.read()
        };
        let (price, strict) = match price(oracle_usage::ADD_RISK) {
            Ok(price) => (price, true),
            Err(_) => (price(fallback_usage)?, false),
        };
        let price = u128::try_from(price).map_err(|_| {
            Error::from(InvalidListing { underlying, strike: U256::ZERO, expiry: 0, now: 0 })
        })?;
        Ok((price, strict))
    }

    /// Prices a trade of `amount` contracts (0: only re-mark) at `spot` with
    /// the oracle's volatility, against the pool's book.
    fn price(&self, terms: &Terms, spot: u128, amount: i128) -> Result<Priced, Vec<u8>> {
        let data = calldata(
            oracle::VOLATILITY,
            &[
                uint(u128::from(terms.underlying)),
                uint(u128::from(terms.expiry)),
                uint(terms.strike),
            ],
        );
        let volatility: U256 = calls::view(self.vm(), self.oracle.get(), &data)?.read()?;
        let volatility = u128::try_from(volatility).map_err(|_| pricing_failed(terms.id))?;
        let now = self.vm().block_timestamp();
        let series = self.series.getter(terms.id);
        let config = self.underlyings.getter(terms.underlying);
        let open_interest = OpenInterest {
            long: series.long_open.get().to::<u128>(),
            short: series.short_open.get().to::<u128>(),
        };
        let totals = PoolGreeks {
            delta: load(config.option_delta.get()),
            vega: load(config.option_vega.get()),
        };
        let book = logic::Book {
            open_interest,
            marked_delta: load(series.mark_delta.get()),
            marked_vega: series.mark_vega.get().to::<u128>(),
            totals,
            vega_limit: config.vega_limit.get().to::<u128>(),
        };
        let inputs = logic::TradeInputs {
            kind: terms.kind,
            spot,
            strike: terms.strike,
            seconds_to_expiry: terms.expiry.saturating_sub(now),
            volatility,
            amount,
        };
        let priced = logic::price_trade(&self.params(), &inputs, &book)
            .map_err(|_: LogicError| pricing_failed(terms.id))?;
        Ok(Priced {
            quote: priced.quote,
            mark: priced.mark,
            before: priced.before,
            after: priced.after,
            open_interest,
        })
    }

    /// Stores the traded series' new mark and the pool's new totals (with
    /// the old open interest: a re-mark without a trade).
    fn store_marks(&mut self, terms: &Terms, priced: &Priced) {
        let mut series = self.series.setter(terms.id);
        series.mark_delta.set(store(priced.mark.delta));
        series.mark_vega.set(U128::from(priced.mark.vega));
        let mut config = self.underlyings.setter(terms.underlying);
        config.option_delta.set(store(priced.before.delta));
        config.option_vega.set(store(priced.before.vega));
    }

    /// Stores a trade or forced close: open interest, the series' mark, the
    /// pool's totals after it, and logs it.
    fn record(
        &mut self,
        terms: &Terms,
        priced: &Priced,
        open_interest: OpenInterest,
        account: U256,
        amount: i128,
    ) {
        let mut series = self.series.setter(terms.id);
        series.long_open.set(U128::from(open_interest.long));
        series.short_open.set(U128::from(open_interest.short));
        series.mark_delta.set(store(priced.mark.delta));
        series.mark_vega.set(U128::from(priced.mark.vega));
        let mut config = self.underlyings.setter(terms.underlying);
        config.option_delta.set(store(priced.after.delta));
        config.option_vega.set(store(priced.after.vega));
        let q = priced.quote;
        log(
            self.vm(),
            OptionTraded {
                account,
                seriesId: terms.id,
                amount: signed(amount),
                premium: signed(q.premium),
                fee: U256::from(q.fee),
                spread: U256::from(q.spread),
            },
        );
    }

    /// Records the settlement price once the series has expired and takes the
    /// series out of the pool's greeks; returns the recorded price.
    fn settle(&mut self, terms: &Terms) -> Result<u128, Vec<u8>> {
        if terms.settlement_price != 0 {
            return Ok(terms.settlement_price);
        }
        let now = self.vm().block_timestamp();
        if now < terms.expiry {
            return Err(
                Error::from(NotExpired { seriesId: terms.id, expiry: terms.expiry, now }).into()
            );
        }
        let data = calldata(
            oracle::SETTLEMENT_PRICE,
            &[uint(u128::from(terms.underlying)), uint(u128::from(terms.expiry))],
        );
        let price: U256 = calls::view(self.vm(), self.oracle.get(), &data)?.read()?;
        let price = match u128::try_from(price) {
            Ok(value) if value != 0 => value,
            _ => return Err(pricing_failed(terms.id)),
        };
        let series = self.series.getter(terms.id);
        let pool_amount = OpenInterest {
            long: series.long_open.get().to::<u128>(),
            short: series.short_open.get().to::<u128>(),
        }
        .pool_amount()
        .map_err(|_| pricing_failed(terms.id))?;
        let (delta, vega) = (load(series.mark_delta.get()), series.mark_vega.get().to::<u128>());
        let config = self.underlyings.getter(terms.underlying);
        let totals = PoolGreeks {
            delta: load(config.option_delta.get()),
            vega: load(config.option_vega.get()),
        }
        .shifted(pool_amount, delta, vega, false)
        .map_err(|_| pricing_failed(terms.id))?;
        let mut config = self.underlyings.setter(terms.underlying);
        config.option_delta.set(store(totals.delta));
        config.option_vega.set(store(totals.vega));
        self.series.setter(terms.id).settlement_price.set(U128::from(price));
        log(self.vm(), SeriesSettled { seriesId: terms.id, settlementPrice: U256::from(price) });
        Ok(price)
    }
}

/// keccak256(abi.encode(underlying, strike, expiry, isCall)).
fn series_id(underlying: u32, strike: U256, expiry: u64, is_call: bool) -> B256 {
    alloy_primitives::keccak256((underlying, strike, expiry, is_call).abi_encode())
}

/// The lenient oracle usage that makes the trader's premium worse: the high
/// spot for buying calls or selling puts, the low spot otherwise.
fn trader_usage(kind: OptionKind, amount: i128) -> u8 {
    if (kind == OptionKind::Call) == (amount > 0) {
        oracle_usage::REDUCE_RISK_HIGH
    } else {
        oracle_usage::REDUCE_RISK_LOW
    }
}

/// A non-zero trade amount within `i128`.
fn trade_amount(amount: I256) -> Result<i128, Vec<u8>> {
    match i128::try_from(amount) {
        Ok(value) if value != 0 => Ok(value),
        _ => Err(Error::from(InvalidAmount { amount }).into()),
    }
}

/// A parameter as `u128`, or [`InvalidParameters`].
fn small(value: U256) -> Result<u128, Vec<u8>> {
    u128::try_from(value).map_err(|_| Error::from(InvalidParameters {}).into())
}

/// A stored `int128` as `i128` (same two's complement bits).
fn load(value: alloy_primitives::Signed<128, 2>) -> i128 {
    value.into_raw().to::<u128>().cast_signed()
}

/// An `i128` as a stored `int128` (same two's complement bits).
fn store(value: i128) -> alloy_primitives::Signed<128, 2> {
    alloy_primitives::Signed::from_raw(U128::from(value.cast_unsigned()))
}

/// An `i128` on the ABI.
fn signed(value: i128) -> I256 {
    I256::try_from(value).unwrap_or_default()
}

/// [`PricingFailed`] as revert data.
fn pricing_failed(series_id: B256) -> Vec<u8> {
    Error::from(PricingFailed { seriesId: series_id }).into()
}

/// [`BookMismatch`] as revert data.
fn book_mismatch(series_id: B256, amount_before: I256, amount_delta: i128) -> Vec<u8> {
    Error::from(BookMismatch {
        seriesId: series_id,
        amountBefore: amount_before,
        amountDelta: signed(amount_delta),
    })
    .into()
}

#[cfg(test)]
mod tests;

/// The WASM dispatcher serves exactly the interface `export-abi` prints.
#[cfg(test)]
#[test]
fn the_dispatcher_serves_the_exported_interface() {
    let source = include_str!("../../../abi/OptionsMarket.sol");
    bulwark_common::dispatch::assert_dispatches(&signatures(), source, "IOptionsMarket");
}
