//! OptionsMarket: European cash-settled options written and bought by the
//! pool, priced with Black-Scholes on the oracle's volatility surface plus a
//! spread, with the pool's delta and vega held within limits per underlying.
//!
//! It holds no positions or balances and never calls RiskEngine: every trade
//! enters at `RiskEngine.tradeOption`, which calls this contract's hooks to
//! price and record it, then applies it; RiskEngine also calls the hooks of
//! liquidation closes and settlement. It calls only the OracleAdapter and
//! PerpMarket's skew view.
//! The rules are plain functions in [`logic`], tested natively.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

pub mod logic;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolError, SolEvent};
use bulwark_common::{
    calls::{self, calldata},
    evm::{self, address, boolean, bytes32, int, int256, revert, uint, uint256, Word},
    interfaces::{oracle, oracle_usage, perp_market},
    roles::Roles,
    units::{i256, to_i128, to_u128},
};
use bulwark_math::OptionKind;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageB256, StorageMap},
};

use crate::logic::{LogicError, MarketParams, OpenInterest, PoolGreeks};
use bulwark_common::packed::Packed;
use layout::{
    BASE_SPREAD, DELTA_LIMIT, EXPIRY, EXPOSURE_SLOPE, FEE_NOTIONAL_RATE, FEE_PREMIUM_RATE, IS_CALL,
    LISTED, LONG_OPEN_INTEREST, MARK_DELTA, MARK_VEGA, POOL_DELTA, POOL_VEGA, SETTLEMENT_PRICE,
    SHORT_OPEN_INTEREST, STRIKE, STRIKES_PER_SIDE, STRIKE_STEP, TRADE_VEGA_SLOPE, TRADING_CUTOFF,
    UNDERLYING, VEGA_LIMIT,
};

/// The storage layouts of [`Series`], [`Underlying`] and the market's
/// parameter words (see [`bulwark_common::packed`]); bit 0 is the lowest
/// bit of the word as a `uint256`.
pub mod layout {
    use bulwark_common::packed::Field;

    /// Terms word.
    pub const UNDERLYING: Field = Field::new(0, 32);
    /// Terms word.
    pub const EXPIRY: Field = Field::new(32, 64);
    /// Terms word (non-zero for a call).
    pub const IS_CALL: Field = Field::new(96, 8);
    /// Terms word (non-zero once listed).
    pub const LISTED: Field = Field::new(104, 8);
    /// Terms word.
    pub const STRIKE: Field = Field::new(112, 128);
    /// Settlement word.
    pub const SETTLEMENT_PRICE: Field = Field::LOW;
    /// Settlement word.
    pub const LONG_OPEN_INTEREST: Field = Field::HIGH;
    /// Short/delta word.
    pub const SHORT_OPEN_INTEREST: Field = Field::LOW;
    /// Short/delta word (`int128`).
    pub const MARK_DELTA: Field = Field::HIGH;
    /// Vega word.
    pub const MARK_VEGA: Field = Field::LOW;
    /// Underlying step/limit word.
    pub const STRIKE_STEP: Field = Field::LOW;
    /// Underlying step/limit word.
    pub const DELTA_LIMIT: Field = Field::HIGH;
    /// Underlying vega word.
    pub const VEGA_LIMIT: Field = Field::LOW;
    /// Underlying vega word.
    pub const STRIKES_PER_SIDE: Field = Field::new(128, 8);
    /// Underlying greeks word (`int128`).
    pub const POOL_DELTA: Field = Field::LOW;
    /// Underlying greeks word (`int128`).
    pub const POOL_VEGA: Field = Field::HIGH;
    /// Spread word.
    pub const BASE_SPREAD: Field = Field::LOW;
    /// Spread word.
    pub const TRADE_VEGA_SLOPE: Field = Field::HIGH;
    /// Fee word.
    pub const EXPOSURE_SLOPE: Field = Field::LOW;
    /// Fee word.
    pub const FEE_PREMIUM_RATE: Field = Field::HIGH;
    /// Notional fee word.
    pub const FEE_NOTIONAL_RATE: Field = Field::LOW;
    /// Oracle word: the OracleAdapter's address in bits 0..160.
    pub const TRADING_CUTOFF: Field = Field::new(160, 64);
}

/// A `bytes32` storage word, packed.
fn packed(word: B256) -> Packed {
    word.into()
}

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/options.sol"
    );
}
pub use sol::*;

/// Errors of the OptionsMarket, as types (for tests and callers that
/// decode). The contract builds the same bytes through [`evm::revert`].
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
/// price.
///
/// Stored as whole words, each packed by hand exactly as the SDK packs typed
/// fields (the first field of a word in its last bytes, big-endian): one
/// storage field per word costs far less code than one per value. The
/// layout is that of the flat struct `underlying: u32, expiry: u64,
/// is_call: bool, listed: bool, strike: u128, settlement_price: u128,
/// long_open: u128, short_open: u128, mark_delta: i128, mark_vega: u128`
/// (a test checks it against such a struct).
#[storage]
pub struct Series {
    /// Bytes 28..32 the underlying, 20..28 the expiry, 19 is-call, 18
    /// listed, 2..18 the strike ([`terms_word`]).
    terms: StorageB256,
    /// Bytes 16..32 the settlement price (zero until the series settles;
    /// then fixed forever), 0..16 the traders' long open interest.
    settlement_long: StorageB256,
    /// Bytes 16..32 the traders' short open interest, 0..16 the delta per
    /// long contract at the last mark (WAD, two's complement).
    short_delta: StorageB256,
    /// Bytes 16..32 the vega per contract at the last mark (quote WAD per
    /// 1.0 of volatility); bytes 0..16 unused (zero).
    mark_vega: StorageB256,
}

/// Per-underlying configuration and the pool's greek totals on it, packed
/// by hand like [`Series`]: the layout of the flat struct `strike_step:
/// u128, delta_limit: u128, vega_limit: u128, strikes_per_side: u8,
/// option_delta: i128, option_vega: i128`.
#[storage]
pub struct Underlying {
    /// Bytes 16..32 the strike step, 0..16 the pool's delta limit.
    step_delta_limit: StorageB256,
    /// Bytes 16..32 the pool's vega limit, 15 the strikes per side.
    vega_limit_strikes: StorageB256,
    /// Bytes 16..32 the pool's option delta at each series' last mark (WAD),
    /// 0..16 its option vega (quote WAD per 1.0 vol), two's complement.
    greeks: StorageB256,
}

impl Series {
    /// Whether the series is listed.
    fn listed(&self) -> bool {
        packed(self.terms.get()).get(LISTED) != 0
    }

    /// The traders' open interest.
    fn open_interest(&self) -> OpenInterest {
        OpenInterest {
            long: packed(self.settlement_long.get()).get(LONG_OPEN_INTEREST),
            short: packed(self.short_delta.get()).get(SHORT_OPEN_INTEREST),
        }
    }

    /// Stores the open interest.
    fn set_open_interest(&mut self, open_interest: OpenInterest) {
        let word = packed(self.settlement_long.get()).with(LONG_OPEN_INTEREST, open_interest.long);
        self.settlement_long.set(word.into());
        let word = packed(self.short_delta.get()).with(SHORT_OPEN_INTEREST, open_interest.short);
        self.short_delta.set(word.into());
    }

    /// Stores the settlement price.
    fn set_settlement_price(&mut self, price: u128) {
        let word = packed(self.settlement_long.get()).with(SETTLEMENT_PRICE, price);
        self.settlement_long.set(word.into());
    }

    /// The delta and vega per contract at the last mark.
    fn mark(&self) -> (i128, u128) {
        (
            packed(self.short_delta.get()).get_signed(MARK_DELTA),
            packed(self.mark_vega.get()).get(MARK_VEGA),
        )
    }

    /// Stores the delta and vega per contract at the last mark.
    fn set_mark(&mut self, mark: &logic::Mark) {
        let word = packed(self.short_delta.get()).with_signed(MARK_DELTA, mark.delta);
        self.short_delta.set(word.into());
        self.mark_vega.set(Packed::ZERO.with(MARK_VEGA, mark.vega).into());
    }
}

impl Underlying {
    /// Stores the configuration.
    fn configure(&mut self, step: u128, strikes_per_side: u8, delta_limit: u128, vega_limit: u128) {
        let word = Packed::ZERO.with(STRIKE_STEP, step).with(DELTA_LIMIT, delta_limit);
        self.step_delta_limit.set(word.into());
        let word = Packed::ZERO
            .with(VEGA_LIMIT, vega_limit)
            .with(STRIKES_PER_SIDE, u128::from(strikes_per_side));
        self.vega_limit_strikes.set(word.into());
    }

    /// The vega limit and the strikes per side.
    fn vega_limit_strikes(&self) -> (u128, u8) {
        let word = packed(self.vega_limit_strikes.get());
        // The field is 8 bits wide.
        #[allow(clippy::cast_possible_truncation)]
        let per_side = word.get(STRIKES_PER_SIDE) as u8;
        (word.get(VEGA_LIMIT), per_side)
    }

    /// The pool's option greeks.
    fn greeks(&self) -> PoolGreeks {
        let word = packed(self.greeks.get());
        PoolGreeks { delta: word.get_signed(POOL_DELTA), vega: word.get_signed(POOL_VEGA) }
    }

    /// Stores the pool's option greeks.
    fn set_greeks(&mut self, greeks: PoolGreeks) {
        let word =
            Packed::ZERO.with_signed(POOL_DELTA, greeks.delta).with_signed(POOL_VEGA, greeks.vega);
        self.greeks.set(word.into());
    }
}

/// The OptionsMarket's state.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct OptionsMarket {
    #[borrow]
    roles: Roles,
    risk_engine: StorageAddress,
    /// The PerpMarket whose skew on an underlying counts in the pool's delta.
    perp_market: StorageAddress,
    /// Bytes 12..32 the OracleAdapter, 4..12 the trading cutoff (`u64`).
    oracle_cutoff: StorageB256,
    /// Bytes 16..32 the base spread, 0..16 the trade vega slope.
    spread_slope: StorageB256,
    /// Bytes 16..32 the exposure slope, 0..16 the fee premium rate.
    slope_fee: StorageB256,
    /// Bytes 16..32 the fee notional rate; bytes 0..16 unused (zero).
    fee_notional_rate: StorageB256,
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
    constructor(admin, risk_engine, oracle, perp_market);
    "setMarketParams(uint64,uint256,uint256,uint256,uint256,uint256)" => set_market_params(trading_cutoff, base_spread, trade_vega_slope, exposure_slope, fee_premium_rate, fee_notional_rate);
    "configureUnderlying(uint32,uint256,uint8,uint256,uint256)" => configure_underlying(underlying, strike_step, strikes_per_side, delta_limit, vega_limit);
    "marketParams()" => market_params() -> (tradingCutoff, baseSpread, tradeVegaSlope, exposureSlope, feePremiumRate, feeNotionalRate);
    "underlyingConfig(uint32)" => underlying_config(underlying) -> (strikeStep, strikesPerSide, deltaLimit, vegaLimit, poolDelta, poolVega);
    "listSeries(uint32,uint256,uint64,bool)" => list_series(underlying, strike, expiry, is_call);
    "listExpiry(uint32,uint64)" => list_expiry(underlying, expiry);
    "quote(bytes32,int256)" => quote(series_id, amount) -> (premium, fee, delta, vega, spread);
    "onTrade(uint256,bytes32,int256,int256,int256)" => on_trade(account, series_id, amount_before, amount, limit_premium) -> (premium, fee, strict, feedId, strike, expiry, isCall);
    "remark(bytes32)" => remark(series_id);
    "settleSeries(bytes32)" => settle_series(series_id);
    "onLiquidationClose(bytes32,int256,uint256)" => on_liquidation_close(series_id, amount_delta, spot);
    "onSettlement(bytes32,int256)" => on_settlement(series_id, amount) -> (settlementPrice, payoff);
}

#[public]
#[inherit(Roles)]
impl OptionsMarket {
    /// Creates the market with its admin, the RiskEngine whose hooks it
    /// serves, the OracleAdapter and the PerpMarket whose skew counts in the
    /// pool's delta (the wiring is fixed: deploy RiskEngine and PerpMarket
    /// first).
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        risk_engine: Address,
        oracle: Address,
        perp_market: Address,
    ) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        self.risk_engine.set(risk_engine);
        self.perp_market.set(perp_market);
        // The cutoff is still zero: the constructor runs once, on empty storage.
        self.oracle_cutoff.set(oracle.into_word());
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
            return Err(invalid_parameters());
        }
        self.set_params(&params);
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
            return Err(invalid_parameters());
        }
        self.underlyings.setter(underlying).configure(step, strikes_per_side, delta, vega);
        self.changed(underlying);
        Ok(())
    }

    /// The parameters in force, as [`Self::set_market_params`] takes them:
    /// `(tradingCutoff, baseSpread, tradeVegaSlope, exposureSlope,
    /// feePremiumRate, feeNotionalRate)` (seconds, then WAD).
    pub fn market_params(&self) -> (u64, U256, U256, U256, U256, U256) {
        let p = self.params();
        (
            p.trading_cutoff,
            U256::from(p.base_spread),
            U256::from(p.trade_vega_slope),
            U256::from(p.exposure_slope),
            U256::from(p.fee_premium_rate),
            U256::from(p.fee_notional_rate),
        )
    }

    /// `underlying`'s configuration as [`Self::configure_underlying`] takes
    /// it, and the pool's option greeks on it against those limits:
    /// `(strikeStep, strikesPerSide, deltaLimit, vegaLimit, poolDelta,
    /// poolVega)` (WAD; zeros for an unconfigured underlying).
    pub fn underlying_config(&self, underlying: u32) -> (U256, u8, U256, U256, I256, I256) {
        let config = self.underlyings.getter(underlying);
        let limits = packed(config.step_delta_limit.get());
        let (vega_limit, per_side) = config.vega_limit_strikes();
        let greeks = config.greeks();
        (
            U256::from(limits.get(STRIKE_STEP)),
            per_side,
            U256::from(limits.get(DELTA_LIMIT)),
            U256::from(vega_limit),
            i256(greeks.delta),
            i256(greeks.vega),
        )
    }

    /// Lists one series (the admin's choice of strike); returns its id. A
    /// series already listed is left as it is.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidListing`] for
    /// an unconfigured underlying, a zero strike or one of 2^100 or more, or
    /// an expiry not listable now.
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
        self.check_listing(underlying, strike, expiry)?;
        // Checked: below MAX_STRIKE.
        let value = to_u128(strike).unwrap_or_default();
        let id = series_id(underlying, strike, expiry, is_call);
        if !self.series.getter(id).listed() {
            self.list(id, underlying, value, expiry, is_call);
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
    /// listable now; `ContractPaused`; the oracle's errors.
    ///
    /// # Events
    /// [`SeriesListed`] for each new series.
    pub fn list_expiry(&mut self, underlying: u32, expiry: u64) -> Result<u32, Vec<u8>> {
        self.roles.when_not_paused()?;
        self.check_listing(underlying, U256::from(1u8), expiry)?;
        let spot = self.spot(underlying, oracle_usage::ADD_RISK)?.0;
        let config = self.underlyings.getter(underlying);
        let (step, per_side) =
            (packed(config.step_delta_limit.get()).get(STRIKE_STEP), config.vega_limit_strikes().1);
        let mut listed = 0u32;
        for strike in logic::grid_strikes(spot, step, per_side) {
            for is_call in [true, false] {
                let id = series_id(underlying, U256::from(strike), expiry, is_call);
                if !self.series.getter(id).listed() {
                    self.list(id, underlying, strike, expiry, is_call);
                    listed += 1;
                }
            }
        }
        Ok(listed)
    }

    /// Premium, fee and greeks of a trade of `amount` contracts (long > 0)
    /// now: `(premium, fee, delta, vega, spread)`, premium signed from the
    /// trader's view (positive = pays), delta and vega the trade's for the
    /// trader. The pool's limits are checked only when the trade is made
    /// ([`Self::on_trade`]).
    ///
    /// # Errors
    /// [`InvalidAmount`]; [`SeriesNotListed`]; [`TradingClosed`];
    /// [`PricingFailed`]; the oracle's errors.
    pub fn quote(
        &self,
        series_id: B256,
        amount: I256,
    ) -> Result<(I256, U256, I256, I256, U256), Vec<u8>> {
        let amount = trade_amount(amount)?;
        let terms = self.terms(series_id)?;
        self.check_open(&terms)?;
        let (spot, _) = self.spot(terms.underlying, trader_usage(terms.kind, amount))?;
        let (priced, _) = self.price(&terms, spot, amount)?;
        let q = priced.quote;
        Ok((i256(q.premium), U256::from(q.fee), i256(q.delta), i256(q.vega), U256::from(q.spread)))
    }

    /// RiskEngine's hook for a trade that entered at `RiskEngine.tradeOption`:
    /// `account` buys (`amount > 0`) or sells (`amount < 0`) contracts of a
    /// series against the pool, holding `amountBefore`. Prices the trade,
    /// refuses a premium above `limitPremium` (a buyer's maximum cost, or
    /// minus a seller's minimum proceeds), holds the pool's greeks within
    /// their limits, moves open interest and re-marks the pool. Returns
    /// `(premium, fee, strict, feedId, strike, expiry, isCall)`: the premium
    /// from the trader's view (positive = pays), the fee, whether price and
    /// volatility were strict (RiskEngine adds risk only on strict ones),
    /// and the series' terms for RiskEngine's book. Never calls RiskEngine.
    ///
    /// # Errors
    /// [`OnlyRiskEngine`]; [`InvalidAmount`]; [`SeriesNotListed`];
    /// [`TradingClosed`]; [`PricingFailed`]; [`PremiumLimitExceeded`];
    /// [`GreekLimitExceeded`] for trades that grow the pool's exposure beyond
    /// its limits; `ContractPaused` for trades that add to the account's
    /// position while paused; [`BookMismatch`]; the oracle's errors.
    ///
    /// # Events
    /// [`OptionTraded`].
    pub fn on_trade(
        &mut self,
        account: U256,
        series_id: B256,
        amount_before: I256,
        amount: I256,
        limit_premium: I256,
    ) -> Result<OptionTrade, Vec<u8>> {
        self.only_risk_engine()?;
        let amount = trade_amount(amount)?;
        let before = to_i128(amount_before)
            .ok_or_else(|| book_mismatch(series_id, int256(amount_before), amount))?;
        let reduces = before != 0
            && (before < 0) != (amount < 0)
            && amount.unsigned_abs() <= before.unsigned_abs();
        if !reduces {
            self.roles.when_not_paused()?;
        }
        let terms = self.terms(series_id)?;
        self.check_open(&terms)?;
        let (spot, strict_price) = self.spot(terms.underlying, trader_usage(terms.kind, amount))?;
        let (priced, strict_volatility) = self.price(&terms, spot, amount)?;
        let q = priced.quote;
        let limit = to_i128(limit_premium).unwrap_or(if limit_premium.is_negative() {
            i128::MIN
        } else {
            i128::MAX
        });
        if q.premium > limit {
            return Err(revert(
                PremiumLimitExceeded::SELECTOR,
                &[int(q.premium), int256(limit_premium)],
            ));
        }
        let data = calldata(perp_market::FEED_SKEW, &[uint(u128::from(terms.underlying))]);
        let perp_skew: I256 = calls::view(self.vm(), self.perp_market.get(), &data)?.read()?;
        let open_interest = priced
            .open_interest
            .after(before, amount)
            .map_err(|_| book_mismatch(series_id, int256(amount_before), amount))?;
        let skew = to_i128(perp_skew).ok_or_else(|| pricing_failed(series_id))?;
        let config = self.underlyings.getter(terms.underlying);
        let delta_before =
            logic::pool_delta(priced.before.delta, skew).map_err(|_| pricing_failed(series_id))?;
        let delta_after =
            logic::pool_delta(priced.after.delta, skew).map_err(|_| pricing_failed(series_id))?;
        let delta_limit = packed(config.step_delta_limit.get()).get(DELTA_LIMIT);
        check_limit(terms.underlying, GREEK_DELTA, delta_before, delta_after, delta_limit)?;
        let vega_limit = config.vega_limit_strikes().0;
        check_limit(
            terms.underlying,
            GREEK_VEGA,
            priced.before.vega,
            priced.after.vega,
            vega_limit,
        )?;
        self.record(&terms, &priced, open_interest, account, amount, q.fee);
        Ok((
            i256(q.premium),
            U256::from(q.fee),
            strict_price && strict_volatility,
            terms.underlying,
            U256::from(terms.strike),
            terms.expiry,
            terms.kind == OptionKind::Call,
        ))
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
            let (priced, _) = self.price(&terms, spot, 0)?;
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
        let spot = to_u128(spot).ok_or_else(|| pricing_failed(series_id))?;
        let (priced, _) = self.price(&terms, spot, amount)?;
        // A close: the position was at least |amountDelta| on the other side.
        let open_interest = priced
            .open_interest
            .after(-amount, amount)
            .map_err(|_| book_mismatch(series_id, int(-amount), amount))?;
        // No fee on a forced close: the event says so.
        self.record(&terms, &priced, open_interest, U256::ZERO, amount, 0);
        Ok(i256(priced.quote.premium))
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
        let amount = to_i128(amount).ok_or_else(|| book_mismatch(series_id, int256(amount), 0))?;
        let mut series = self.series.setter(series_id);
        let open_interest = series
            .open_interest()
            .after(amount, -amount)
            .map_err(|_| book_mismatch(series_id, int(amount), -amount))?;
        series.set_open_interest(open_interest);
        let payoff = logic::settlement_payoff(terms.kind, terms.strike, price, amount)
            .map_err(|_| pricing_failed(series_id))?;
        Ok((U256::from(price), i256(payoff)))
    }
}

/// What [`OptionsMarket::on_trade`] returns: premium, fee, strict, and the
/// series' feed, strike, expiry and kind (true = call).
pub type OptionTrade = (I256, U256, bool, u32, U256, u64, bool);

/// Strikes stay below 2^100 WAD, the bound RiskEngine's book and
/// `MarginEngine`'s valuation take for every price.
pub const MAX_STRIKE: u128 = 1 << 100;

impl OptionsMarket {
    /// The global parameters.
    fn params(&self) -> MarketParams {
        let (spread, fee) = (packed(self.spread_slope.get()), packed(self.slope_fee.get()));
        MarketParams {
            trading_cutoff: self.trading_cutoff(),
            base_spread: spread.get(BASE_SPREAD),
            trade_vega_slope: spread.get(TRADE_VEGA_SLOPE),
            exposure_slope: fee.get(EXPOSURE_SLOPE),
            fee_premium_rate: fee.get(FEE_PREMIUM_RATE),
            fee_notional_rate: packed(self.fee_notional_rate.get()).get(FEE_NOTIONAL_RATE),
        }
    }

    /// Stores the global parameters.
    fn set_params(&mut self, params: &MarketParams) {
        let word = packed(self.oracle_cutoff.get())
            .with(TRADING_CUTOFF, u128::from(params.trading_cutoff));
        self.oracle_cutoff.set(word.into());
        let word = Packed::ZERO
            .with(BASE_SPREAD, params.base_spread)
            .with(TRADE_VEGA_SLOPE, params.trade_vega_slope);
        self.spread_slope.set(word.into());
        let word = Packed::ZERO
            .with(EXPOSURE_SLOPE, params.exposure_slope)
            .with(FEE_PREMIUM_RATE, params.fee_premium_rate);
        self.slope_fee.set(word.into());
        let word = Packed::ZERO.with(FEE_NOTIONAL_RATE, params.fee_notional_rate);
        self.fee_notional_rate.set(word.into());
    }

    /// The OracleAdapter.
    fn oracle(&self) -> Address {
        Address::from_word(self.oracle_cutoff.get())
    }

    /// Trading stops this many seconds before expiry.
    fn trading_cutoff(&self) -> u64 {
        // The field is 64 bits wide.
        #[allow(clippy::cast_possible_truncation)]
        let cutoff = packed(self.oracle_cutoff.get()).get(TRADING_CUTOFF) as u64;
        cutoff
    }

    /// Emits [`ParametersChanged`].
    fn changed(&self, underlying: u32) {
        evm::emit(
            self.vm(),
            ParametersChanged::SIGNATURE_HASH,
            &[uint(u128::from(underlying)), address(self.vm().msg_sender())],
            &[],
        );
    }

    /// Fails unless the caller is the wired RiskEngine.
    fn only_risk_engine(&self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || caller != self.risk_engine.get() {
            return Err(revert(OnlyRiskEngine::SELECTOR, &[address(caller)]));
        }
        Ok(())
    }

    /// Fails unless the underlying is configured, the strike positive and
    /// `expiry` listable now.
    fn check_listing(&self, underlying: u32, strike: U256, expiry: u64) -> Result<(), Vec<u8>> {
        let now = self.vm().block_timestamp();
        if self.underlyings.getter(underlying).vega_limit_strikes().0 == 0
            || strike.is_zero()
            || strike >= U256::from(MAX_STRIKE)
            || !logic::expiry_listable(expiry, now, self.trading_cutoff())
        {
            return Err(invalid_listing(underlying, strike, expiry, now));
        }
        Ok(())
    }

    /// Stores a new series and logs it.
    fn list(&mut self, id: B256, underlying: u32, strike: u128, expiry: u64, is_call: bool) {
        self.series.setter(id).terms.set(terms_word(underlying, expiry, is_call, strike));
        evm::emit(
            self.vm(),
            SeriesListed::SIGNATURE_HASH,
            &[bytes32(id), uint(u128::from(underlying))],
            &[uint(strike), uint(u128::from(expiry)), boolean(is_call)],
        );
    }

    /// A listed series' terms.
    fn terms(&self, id: B256) -> Result<Terms, Vec<u8>> {
        let s = self.series.getter(id);
        let word = packed(s.terms.get());
        if word.get(LISTED) == 0 {
            return Err(revert(SeriesNotListed::SELECTOR, &[bytes32(id)]));
        }
        // The fields are 32 and 64 bits wide.
        #[allow(clippy::cast_possible_truncation)]
        let (underlying, expiry) = (word.get(UNDERLYING) as u32, word.get(EXPIRY) as u64);
        Ok(Terms {
            id,
            underlying,
            expiry,
            kind: if word.get(IS_CALL) != 0 { OptionKind::Call } else { OptionKind::Put },
            strike: word.get(STRIKE),
            settlement_price: packed(s.settlement_long.get()).get(SETTLEMENT_PRICE),
        })
    }

    /// [`TradingClosed`] for a series at the current time.
    fn closed(&self, terms: &Terms) -> Vec<u8> {
        revert(
            TradingClosed::SELECTOR,
            &[
                bytes32(terms.id),
                uint(u128::from(terms.expiry)),
                uint(u128::from(self.vm().block_timestamp())),
            ],
        )
    }

    /// Fails unless the series trades now.
    fn check_open(&self, terms: &Terms) -> Result<(), Vec<u8>> {
        let now = self.vm().block_timestamp();
        if terms.settlement_price != 0
            || !logic::trading_open(terms.expiry, now, self.trading_cutoff())
        {
            return Err(self.closed(terms));
        }
        Ok(())
    }

    /// The one-word answer of the OracleAdapter's view `selector` to `words`.
    fn oracle_view(&self, selector: u32, words: &[Word]) -> Result<U256, Vec<u8>> {
        calls::view(self.vm(), self.oracle(), &calldata(selector, words))?.read()
    }

    /// The oracle spot of `underlying` and whether it is valid for adding
    /// risk: the strict price if the oracle gives one, else the lenient one
    /// for `fallback_usage` (RiskEngine then refuses trades that add risk).
    fn spot(&self, underlying: u32, fallback_usage: u8) -> Result<(u128, bool), Vec<u8>> {
        let price = |usage: u8| {
            self.oracle_view(
                oracle::PRICE,
                &[uint(u128::from(underlying)), uint(u128::from(usage))],
            )
        };
        let (price, strict) = match price(oracle_usage::ADD_RISK) {
            Ok(price) => (price, true),
            Err(_) => (price(fallback_usage)?, false),
        };
        let price = to_u128(price).ok_or_else(|| invalid_listing(underlying, U256::ZERO, 0, 0))?;
        Ok((price, strict))
    }

    /// Prices a trade of `amount` contracts (0: only re-mark) at `spot` with
    /// the oracle's volatility, against the pool's book.
    fn price(&self, terms: &Terms, spot: u128, amount: i128) -> Result<(Priced, bool), Vec<u8>> {
        let volatility = |usage: u8| {
            self.oracle_view(
                oracle::VOLATILITY,
                &[
                    uint(u128::from(terms.underlying)),
                    uint(u128::from(terms.expiry)),
                    uint(terms.strike),
                    uint(u128::from(usage)),
                ],
            )
        };
        // The strict volatility if the oracle gives one, else the lenient
        // one (a stale surface): closing and liquidating never wait for a push.
        let (volatility, strict) = match volatility(oracle_usage::ADD_RISK) {
            Ok(volatility) => (volatility, true),
            Err(_) => (volatility(oracle_usage::REDUCE_RISK_LOW)?, false),
        };
        let volatility = to_u128(volatility).ok_or_else(|| pricing_failed(terms.id))?;
        let now = self.vm().block_timestamp();
        let series = self.series.getter(terms.id);
        let config = self.underlyings.getter(terms.underlying);
        let open_interest = series.open_interest();
        let (marked_delta, marked_vega) = series.mark();
        let book = logic::Book {
            open_interest,
            marked_delta,
            marked_vega,
            totals: config.greeks(),
            vega_limit: config.vega_limit_strikes().0,
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
        let priced = Priced {
            quote: priced.quote,
            mark: priced.mark,
            before: priced.before,
            after: priced.after,
            open_interest,
        };
        Ok((priced, strict))
    }

    /// Stores the traded series' new mark and the pool's new totals (with
    /// the old open interest: a re-mark without a trade).
    fn store_marks(&mut self, terms: &Terms, priced: &Priced) {
        self.series.setter(terms.id).set_mark(&priced.mark);
        self.underlyings.setter(terms.underlying).set_greeks(priced.before);
    }

    /// Stores a trade or forced close: open interest, the series' mark, the
    /// pool's totals after it, and logs it with the `fee` charged.
    fn record(
        &mut self,
        terms: &Terms,
        priced: &Priced,
        open_interest: OpenInterest,
        account: U256,
        amount: i128,
        fee: u128,
    ) {
        let mut series = self.series.setter(terms.id);
        series.set_open_interest(open_interest);
        series.set_mark(&priced.mark);
        self.underlyings.setter(terms.underlying).set_greeks(priced.after);
        let q = priced.quote;
        evm::emit(
            self.vm(),
            OptionTraded::SIGNATURE_HASH,
            &[uint256(account), bytes32(terms.id)],
            &[int(amount), int(q.premium), uint(fee), uint(q.spread)],
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
            return Err(revert(
                NotExpired::SELECTOR,
                &[bytes32(terms.id), uint(u128::from(terms.expiry)), uint(u128::from(now))],
            ));
        }
        let price = self.oracle_view(
            oracle::SETTLEMENT_PRICE,
            &[uint(u128::from(terms.underlying)), uint(u128::from(terms.expiry))],
        )?;
        let price = match to_u128(price) {
            Some(value) if value != 0 => value,
            _ => return Err(pricing_failed(terms.id)),
        };
        let series = self.series.getter(terms.id);
        let pool_amount =
            series.open_interest().pool_amount().map_err(|_| pricing_failed(terms.id))?;
        let (delta, vega) = series.mark();
        let totals = self
            .underlyings
            .getter(terms.underlying)
            .greeks()
            .shifted(pool_amount, delta, vega, false)
            .map_err(|_| pricing_failed(terms.id))?;
        self.underlyings.setter(terms.underlying).set_greeks(totals);
        self.series.setter(terms.id).set_settlement_price(price);
        evm::emit(self.vm(), SeriesSettled::SIGNATURE_HASH, &[bytes32(terms.id)], &[uint(price)]);
        Ok(price)
    }
}

/// keccak256(abi.encode(underlying, strike, expiry, isCall)).
fn series_id(underlying: u32, strike: U256, expiry: u64, is_call: bool) -> B256 {
    let words =
        [uint(u128::from(underlying)), uint256(strike), uint(u128::from(expiry)), boolean(is_call)];
    alloy_primitives::keccak256(words.as_flattened())
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
    match to_i128(amount) {
        Some(value) if value != 0 => Ok(value),
        _ => Err(revert(InvalidAmount::SELECTOR, &[int256(amount)])),
    }
}

/// A parameter as `u128`, or [`InvalidParameters`].
fn small(value: U256) -> Result<u128, Vec<u8>> {
    to_u128(value).ok_or_else(invalid_parameters)
}

/// Fails with [`GreekLimitExceeded`] unless a greek of the pool may move from
/// `before` to `after` under `limit` (see [`logic::within_limit`]).
fn check_limit(
    underlying: u32,
    greek: u8,
    before: i128,
    after: i128,
    limit: u128,
) -> Result<(), Vec<u8>> {
    if logic::within_limit(before, after, limit) {
        return Ok(());
    }
    Err(revert(
        GreekLimitExceeded::SELECTOR,
        &[
            uint(u128::from(underlying)),
            uint(u128::from(greek)),
            int(before),
            int(after),
            uint(limit),
        ],
    ))
}

/// [`InvalidParameters`] as revert data.
fn invalid_parameters() -> Vec<u8> {
    revert(InvalidParameters::SELECTOR, &[])
}

/// [`InvalidListing`] as revert data.
fn invalid_listing(underlying: u32, strike: U256, expiry: u64, now: u64) -> Vec<u8> {
    revert(
        InvalidListing::SELECTOR,
        &[
            uint(u128::from(underlying)),
            uint256(strike),
            uint(u128::from(expiry)),
            uint(u128::from(now)),
        ],
    )
}

/// A listed series' terms word ([`layout`]).
fn terms_word(underlying: u32, expiry: u64, is_call: bool, strike: u128) -> B256 {
    Packed::ZERO
        .with(UNDERLYING, u128::from(underlying))
        .with(EXPIRY, u128::from(expiry))
        .with(IS_CALL, u128::from(is_call))
        .with(LISTED, 1)
        .with(STRIKE, strike)
        .into()
}

/// [`PricingFailed`] as revert data.
fn pricing_failed(series_id: B256) -> Vec<u8> {
    revert(PricingFailed::SELECTOR, &[bytes32(series_id)])
}

/// [`BookMismatch`] as revert data.
fn book_mismatch(series_id: B256, amount_before: Word, amount_delta: i128) -> Vec<u8> {
    revert(BookMismatch::SELECTOR, &[bytes32(series_id), amount_before, int(amount_delta)])
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
