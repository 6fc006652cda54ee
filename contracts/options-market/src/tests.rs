//! Contract-level tests on motsu, with a mock OracleAdapter and a mock
//! RiskEngine. motsu's clock is fixed, so "after expiry" and "inside the
//! cutoff" are reached by moving a series' expiry in storage instead; the
//! time rules themselves are tested natively in `logic`.

use alloc::{collections::BTreeMap, vec::Vec};
use core::cell::RefCell;

use alloy_primitives::{address, keccak256, Address, B256, I256, U256};
use alloy_sol_types::{SolError, SolValue};
use motsu::prelude::*;
use proptest::prelude::*;
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageI128, StorageI256, StorageMap, StorageU128,
        StorageU256, StorageU32, StorageU64, StorageU8,
    },
    testing::TestVM,
};

use crate::logic::{EXPIRY_TIME_OF_DAY, SECONDS_PER_DAY};
use crate::*;

const ADMIN: Address = address!("00000000000000000000000000000000000a11ce");
const TRADER: Address = address!("0000000000000000000000000000000000000b0b");
const ETH: u32 = 1;
/// motsu's fixed block timestamp: 2025-01-01 00:00:00 UTC.
const NOW: u64 = 1_735_689_600;
const EXPIRY: u64 = NOW + 30 * SECONDS_PER_DAY + EXPIRY_TIME_OF_DAY;
const WAD: u128 = 1_000_000_000_000_000_000;

fn wad(x: u128) -> U256 {
    U256::from(x * WAD)
}

fn swad(x: i128) -> I256 {
    I256::try_from(x * WAD.cast_signed()).unwrap()
}

/// Whether revert data carries error `E`.
fn is<E: SolError>(data: &[u8]) -> bool {
    data.len() >= 4 && data[..4] == E::SELECTOR
}

/// Revert data decoded as `E` with alloy's typed decoder (which validates
/// every word): the contract builds it word by word.
fn decode<E: SolError>(data: &[u8]) -> E {
    E::abi_decode(data, true).unwrap_or_else(|_| panic!("expected {}, got {data:?}", E::SIGNATURE))
}

/// OracleAdapter stand-in: one spot, one volatility, one settlement price.
#[storage]
struct MockOracle {
    spot: StorageU256,
    volatility: StorageU256,
    settlement: StorageU256,
}

unsafe impl TopLevelStorage for MockOracle {}

#[public]
impl MockOracle {
    fn price(&self, _feed_id: u32, _usage: u8) -> U256 {
        self.spot.get()
    }

    fn volatility(&self, _feed_id: u32, _expiry: u64, _strike: U256, _usage: u8) -> U256 {
        self.volatility.get()
    }

    fn settlement_price(&self, _feed_id: u32, _expiry: u64) -> Result<U256, Vec<u8>> {
        let price = self.settlement.get();
        if price.is_zero() {
            return Err(b"no settlement".to_vec());
        }
        Ok(price)
    }
}

/// PerpMarket stand-in: the perp skew it reports for every feed.
#[storage]
struct MockPerp {
    skew: StorageI256,
}

unsafe impl TopLevelStorage for MockPerp {}

#[public]
impl MockPerp {
    fn feed_skew(&self, _feed_id: u32) -> I256 {
        self.skew.get()
    }
}

/// The wired RiskEngine: a plain address here, as the hooks only check
/// the caller. [`Setup::trade`] keeps account 7's amount per series as
/// RiskEngine's book does.
const RISK: Address = address!("0000000000000000000000000000000000000e15");

struct Setup<'a> {
    market: &'a Contract<OptionsMarket>,
    _oracle: &'a Contract<MockOracle>,
    perp: &'a Contract<MockPerp>,
    amounts: RefCell<BTreeMap<B256, I256>>,
    last: RefCell<Option<OptionTrade>>,
}

impl<'a> Setup<'a> {
    /// A market with one underlying (ETH at 2,000, 80% volatility), its
    /// expiry listed by rule: strikes 1,800..2,200, calls and puts.
    fn new(
        market: &'a Contract<OptionsMarket>,
        oracle: &'a Contract<MockOracle>,
        perp: &'a Contract<MockPerp>,
    ) -> Self {
        market
            .sender(ADMIN)
            .constructor(ADMIN, RISK, oracle.address(), perp.address())
            .motsu_unwrap();
        market
            .sender(ADMIN)
            .set_market_params(
                1800,
                U256::from(WAD / 100),
                U256::from(WAD / 5),
                U256::from(WAD / 10),
                U256::from(WAD / 8),
                U256::from(WAD / 10_000 * 3),
            )
            .motsu_unwrap();
        market
            .sender(ADMIN)
            .configure_underlying(ETH, wad(100), 2, wad(50), wad(10_000))
            .motsu_unwrap();
        oracle.sender(ADMIN).spot.set(wad(2000));
        oracle.sender(ADMIN).volatility.set(U256::from(WAD * 8 / 10));
        assert_eq!(market.sender(TRADER).list_expiry(ETH, EXPIRY).motsu_unwrap(), 10);
        market.assert_emitted(&ParametersChanged { underlying: 0, sender: ADMIN });
        market.assert_emitted(&ParametersChanged { underlying: ETH, sender: ADMIN });
        market.assert_emitted(&SeriesListed {
            seriesId: Self::id(1800, false),
            underlying: ETH,
            strike: wad(1800),
            expiry: EXPIRY,
            isCall: false,
        });
        market.assert_emitted(&SeriesListed {
            seriesId: Self::id(2200, true),
            underlying: ETH,
            strike: wad(2200),
            expiry: EXPIRY,
            isCall: true,
        });
        Setup {
            market,
            _oracle: oracle,
            perp,
            amounts: RefCell::default(),
            last: RefCell::default(),
        }
    }

    fn id(strike: u128, is_call: bool) -> B256 {
        series_id(ETH, wad(strike), EXPIRY, is_call)
    }

    /// Account 7 trades `amount` of series `id` through RiskEngine's hook;
    /// returns the premium. The caller's `motsu_unwrap`/`motsu_unwrap_err`
    /// settles motsu's transaction.
    fn trade(&self, id: B256, amount: I256, limit: I256) -> Result<I256, Vec<u8>> {
        let before = self.amount(id);
        let trade = self.market.sender(RISK).on_trade(U256::from(7), id, before, amount, limit)?;
        self.amounts.borrow_mut().insert(id, before + amount);
        *self.last.borrow_mut() = Some(trade);
        Ok(trade.0)
    }

    /// Account 7's amount of series `id`.
    fn amount(&self, id: B256) -> I256 {
        self.amounts.borrow().get(&id).copied().unwrap_or_default()
    }

    /// What the last successful trade returned to RiskEngine.
    fn last(&self) -> OptionTrade {
        self.last.borrow().expect("a trade")
    }

    fn set_skew(&self, skew: I256) {
        self.perp.sender(ADMIN).skew.set(skew);
    }

    /// Moves a series' expiry in storage (motsu's clock does not move).
    fn set_expiry(&self, id: B256, expiry: u64) {
        let mut market = self.market.sender(ADMIN);
        let terms = market.terms(id).unwrap();
        let is_call = terms.kind == OptionKind::Call;
        let word = terms_word(terms.underlying, expiry, is_call, terms.strike);
        market.series.setter(id).terms.set(word);
    }

    fn open_interest(&self, id: B256) -> (u128, u128) {
        let market = self.market.sender(ADMIN);
        let oi = market.series.getter(id).open_interest();
        (oi.long, oi.short)
    }

    fn pool_greeks(&self) -> (i128, i128) {
        let market = self.market.sender(ADMIN);
        let greeks = market.underlyings.getter(ETH).greeks();
        (greeks.delta, greeks.vega)
    }
}

#[test]
fn storage_structs_count_their_slots() {
    use stylus_sdk::storage::StorageType;
    // Flat structs: terms and strike share slot 0, then u128 pairs share a slot.
    assert_eq!(<Series as StorageType>::REQUIRED_SLOTS, 4);
    assert_eq!(<Underlying as StorageType>::REQUIRED_SLOTS, 3);
}

#[motsu::test]
fn listing_by_rule_lists_calls_and_puts_around_spot_once(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    for (strike, is_call) in [(1800, false), (2000, true), (2200, true)] {
        assert!(market.sender(TRADER).terms(Setup::id(strike, is_call)).is_ok());
    }
    assert!(market.sender(TRADER).terms(Setup::id(2300, true)).is_err());
    assert_eq!(market.sender(TRADER).list_expiry(ETH, EXPIRY).motsu_unwrap(), 0);
    // Not at 08:00 UTC, or an unconfigured underlying.
    // (`listExpiry` reports strike 1: the strikes are not chosen yet.)
    assert_eq!(
        decode::<InvalidListing>(
            &market.sender(TRADER).list_expiry(ETH, EXPIRY + 1).motsu_unwrap_err()
        ),
        InvalidListing { underlying: ETH, strike: U256::from(1), expiry: EXPIRY + 1, now: NOW }
    );
    assert_eq!(
        decode::<InvalidListing>(&market.sender(TRADER).list_expiry(2, EXPIRY).motsu_unwrap_err()),
        InvalidListing { underlying: 2, strike: U256::from(1), expiry: EXPIRY, now: NOW }
    );
    // The admin lists any strike; others may not.
    assert!(market.sender(TRADER).list_series(ETH, wad(2050), EXPIRY, true).is_err());
    // A strike beyond the bound is reported as sent, not saturated.
    let huge = U256::from(1u8) << 200;
    assert_eq!(
        decode::<InvalidListing>(
            &market.sender(ADMIN).list_series(ETH, huge, EXPIRY, true).motsu_unwrap_err()
        ),
        InvalidListing { underlying: ETH, strike: huge, expiry: EXPIRY, now: NOW }
    );
    let id = market.sender(ADMIN).list_series(ETH, wad(2050), EXPIRY, true).motsu_unwrap();
    assert_eq!(id, Setup::id(2050, true));
    assert!(market.sender(TRADER).terms(id).is_ok());
    market.assert_emitted(&SeriesListed {
        seriesId: id,
        underlying: ETH,
        strike: wad(2050),
        expiry: EXPIRY,
        isCall: true,
    });
    assert_eq!(
        decode::<InvalidListing>(
            &market.sender(ADMIN).list_series(ETH, U256::ZERO, EXPIRY, true).motsu_unwrap_err()
        ),
        InvalidListing { underlying: ETH, strike: U256::ZERO, expiry: EXPIRY, now: NOW }
    );
    // Unknown series.
    let unknown = B256::repeat_byte(0x5e);
    assert_eq!(
        decode::<SeriesNotListed>(
            &market.sender(TRADER).quote(unknown, swad(1)).motsu_unwrap_err()
        ),
        SeriesNotListed { seriesId: unknown }
    );
    let _ = s;
}

#[motsu::test]
fn parameters_outside_their_bounds_are_refused(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let _s = Setup::new(&market, &oracle, &perp);
    let too_wide = market.sender(ADMIN).set_market_params(
        0,
        U256::from(WAD),
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
    );
    assert_eq!(decode::<InvalidParameters>(&too_wide.motsu_unwrap_err()), InvalidParameters {});
    let zero_step = market.sender(ADMIN).configure_underlying(ETH, U256::ZERO, 2, wad(1), wad(1));
    assert!(is::<InvalidParameters>(&zero_step.motsu_unwrap_err()));
    assert!(market.sender(TRADER).configure_underlying(ETH, wad(100), 2, wad(1), wad(1)).is_err());
    // Refused changes leave what the views report as it was set.
    let params = market.sender(TRADER).market_params();
    assert_eq!(
        params,
        (
            1800,
            U256::from(WAD / 100),
            U256::from(WAD / 5),
            U256::from(WAD / 10),
            U256::from(WAD / 8),
            U256::from(WAD / 10_000 * 3)
        )
    );
    let config = market.sender(TRADER).underlying_config(ETH);
    assert_eq!(config, (wad(100), 2, wad(50), wad(10_000), I256::ZERO, I256::ZERO));
    let unknown = market.sender(TRADER).underlying_config(ETH + 1);
    assert_eq!(unknown, (U256::ZERO, 0, U256::ZERO, U256::ZERO, I256::ZERO, I256::ZERO));
}

#[motsu::test]
fn trade_respects_the_premium_limit_both_ways(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    let (premium, fee, delta, vega, spread) =
        market.sender(TRADER).quote(id, swad(2)).motsu_unwrap();
    // About 2 x 182.6 plus the spread; the trader's delta and vega are positive.
    assert!(premium > swad(365) && premium < swad(400));
    assert!(
        fee > U256::ZERO
            && delta > I256::ZERO
            && vega > I256::ZERO
            && spread >= U256::from(WAD / 100)
    );
    // A buyer's limit below the premium refuses the trade.
    assert_eq!(
        decode::<PremiumLimitExceeded>(
            &s.trade(id, swad(2), premium - I256::ONE).motsu_unwrap_err()
        ),
        PremiumLimitExceeded { premium, limitPremium: premium - I256::ONE }
    );
    assert_eq!(s.trade(id, swad(2), premium).motsu_unwrap(), premium);
    market.assert_emitted(&OptionTraded {
        account: U256::from(7),
        seriesId: id,
        amount: swad(2),
        premium,
        fee,
        spread,
    });
    // RiskEngine is told the premium, the fee, that the prices were strict,
    // and the terms its book registers the series with.
    assert_eq!(s.last(), (premium, fee, true, ETH, wad(2000), EXPIRY, true));
    assert_eq!(s.open_interest(id), (2 * WAD, 0));
    // A seller asking for more than the pool pays is refused.
    let (proceeds, ..) = market.sender(TRADER).quote(id, swad(-1)).motsu_unwrap();
    assert!(proceeds < I256::ZERO && proceeds > -swad(183));
    assert!(is::<PremiumLimitExceeded>(
        &s.trade(id, swad(-1), proceeds - I256::ONE).motsu_unwrap_err()
    ));
    s.trade(id, swad(-1), proceeds).motsu_unwrap();
    assert_eq!(s.open_interest(id), (WAD, 0));
}

#[motsu::test]
fn greek_limits_refuse_growth_and_always_allow_reduction(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    // Buying 40 ATM calls leaves the pool about -9,090 of vega: inside 10,000.
    s.trade(id, swad(40), I256::MAX).motsu_unwrap();
    assert!(s.pool_greeks().1 < -8_000 * WAD.cast_signed());
    // The view reports the pool's greeks beside their limits.
    let config = market.sender(TRADER).underlying_config(ETH);
    let (delta, vega) = s.pool_greeks();
    assert_eq!(
        (config.4, config.5),
        (I256::try_from(delta).unwrap(), I256::try_from(vega).unwrap())
    );
    // Five more would cross the vega limit.
    let vega_before = s.pool_greeks().1;
    let err = decode::<GreekLimitExceeded>(&s.trade(id, swad(5), I256::MAX).motsu_unwrap_err());
    assert_eq!((err.underlying, err.greek), (ETH, GREEK_VEGA));
    assert_eq!(err.exposureBefore, I256::try_from(vega_before).unwrap());
    assert!(err.exposureAfter < -swad(10_000) && err.limit == wad(10_000));
    // The admin tightens the limit below the pool's exposure: selling back is still allowed.
    market.sender(ADMIN).configure_underlying(ETH, wad(100), 2, wad(50), wad(1_000)).motsu_unwrap();
    s.trade(id, swad(-5), I256::MAX).motsu_unwrap();
    assert_eq!(s.open_interest(id), (35 * WAD, 0));
    // The pool's net delta includes the perp skew: with traders long 60 perps the pool is
    // about -79 (short 35 calls of delta 0.55, short 60 perps), beyond the limit of 50.
    market
        .sender(ADMIN)
        .configure_underlying(ETH, wad(100), 2, wad(50), wad(100_000))
        .motsu_unwrap();
    s.set_skew(swad(60));
    let put = Setup::id(1900, false);
    // Selling a put to the pool makes it long a put: more negative delta, refused.
    let err = decode::<GreekLimitExceeded>(&s.trade(put, swad(-1), I256::MAX).motsu_unwrap_err());
    assert_eq!((err.underlying, err.greek, err.limit), (ETH, GREEK_DELTA, wad(50)));
    assert!(err.exposureAfter < err.exposureBefore && err.exposureBefore < -swad(50));
    // Buying a put from the pool makes it short a put: |delta| falls, allowed.
    s.trade(put, swad(1), I256::MAX).motsu_unwrap();
}

#[motsu::test]
fn trading_stops_before_expiry_and_series_settle_once(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let call = Setup::id(2000, true);
    let put = Setup::id(2000, false);
    s.trade(call, swad(2), I256::MAX).motsu_unwrap();
    s.trade(put, swad(-3), I256::MAX).motsu_unwrap();
    assert_ne!(s.pool_greeks(), (0, 0));
    // Inside the 30-minute cutoff: no trading, no settling yet.
    s.set_expiry(call, NOW + 1800);
    assert_eq!(
        decode::<TradingClosed>(&s.trade(call, swad(1), I256::MAX).motsu_unwrap_err()),
        TradingClosed { seriesId: call, expiry: NOW + 1800, now: NOW }
    );
    assert_eq!(
        decode::<NotExpired>(&market.sender(TRADER).settle_series(call).motsu_unwrap_err()),
        NotExpired { seriesId: call, expiry: NOW + 1800, now: NOW }
    );
    // After expiry, without an oracle settlement price the oracle's error comes back.
    s.set_expiry(call, NOW);
    s.set_expiry(put, NOW);
    assert_eq!(
        market.sender(TRADER).settle_series(call).motsu_unwrap_err(),
        b"no settlement".to_vec()
    );
    oracle.sender(ADMIN).settlement.set(wad(2100));
    assert_eq!(market.sender(TRADER).settle_series(call).motsu_unwrap(), wad(2100));
    market.assert_emitted(&SeriesSettled { seriesId: call, settlementPrice: wad(2100) });
    assert!(is::<TradingClosed>(&s.trade(call, swad(1), I256::MAX).motsu_unwrap_err()));
    // The price never changes once recorded.
    oracle.sender(ADMIN).settlement.set(wad(2500));
    assert_eq!(market.sender(TRADER).settle_series(call).motsu_unwrap(), wad(2100));
    // Long 2 calls struck 2,000 at 2,100 receive 200; the open interest goes.
    let risk_engine = RISK;
    assert_eq!(
        market.sender(risk_engine).on_settlement(call, swad(2)).motsu_unwrap(),
        (wad(2100), swad(200))
    );
    assert_eq!(s.open_interest(call), (0, 0));
    // Settling the same position twice finds no open interest: it pays once.
    assert_eq!(
        decode::<BookMismatch>(
            &market.sender(risk_engine).on_settlement(call, swad(2)).motsu_unwrap_err()
        ),
        BookMismatch { seriesId: call, amountBefore: swad(2), amountDelta: swad(-2) }
    );
    // The short put settles through the hook alone (the series settles on first use), at
    // the oracle's price then: out of the money at 2,500.
    assert_eq!(
        market.sender(risk_engine).on_settlement(put, swad(-3)).motsu_unwrap(),
        (wad(2500), I256::ZERO)
    );
    assert_eq!(s.pool_greeks(), (0, 0));
    // Only RiskEngine may settle positions.
    assert_eq!(
        decode::<OnlyRiskEngine>(
            &market.sender(TRADER).on_settlement(put, swad(-3)).motsu_unwrap_err()
        ),
        OnlyRiskEngine { caller: TRADER }
    );
}

#[motsu::test]
fn short_in_the_money_put_pays_and_at_the_strike_nothing(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let put = Setup::id(2100, false);
    let call = Setup::id(1900, true);
    s.trade(put, swad(-4), I256::MAX).motsu_unwrap();
    s.trade(call, swad(1), I256::MAX).motsu_unwrap();
    s.set_expiry(put, NOW);
    s.set_expiry(call, NOW);
    oracle.sender(ADMIN).settlement.set(wad(1900));
    let risk_engine = RISK;
    // The short pays 4 x (2,100 - 1,900).
    assert_eq!(
        market.sender(risk_engine).on_settlement(put, swad(-4)).motsu_unwrap(),
        (wad(1900), swad(-800))
    );
    // Settled exactly at its strike, the call is worth nothing.
    assert_eq!(
        market.sender(risk_engine).on_settlement(call, swad(1)).motsu_unwrap(),
        (wad(1900), I256::ZERO)
    );
}

#[motsu::test]
fn liquidation_close_prices_at_model_plus_spread_and_moves_the_book(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    s.trade(id, swad(3), I256::MAX).motsu_unwrap();
    assert!(is::<OnlyRiskEngine>(
        &market.sender(TRADER).on_liquidation_close(id, swad(-1), wad(2000)).motsu_unwrap_err()
    ));
    let risk_engine = RISK;
    // At the oracle's spot, a liquidation prices as a trader's quote does.
    let (quoted, fee, _, _, spread) = market.sender(TRADER).quote(id, swad(-1)).motsu_unwrap();
    let premium =
        market.sender(risk_engine).on_liquidation_close(id, swad(-1), wad(2000)).motsu_unwrap();
    // The account sells one call back: it receives less than the model price.
    assert!(premium < I256::ZERO && premium > -swad(183));
    assert_eq!(premium, quoted);
    // A trader's close would pay a fee; the forced close charges none and logs none.
    assert!(fee > U256::ZERO);
    market.assert_emitted(&OptionTraded {
        account: U256::ZERO,
        seriesId: id,
        amount: swad(-1),
        premium,
        fee: U256::ZERO,
        spread,
    });
    assert_eq!(s.open_interest(id), (2 * WAD, 0));
    s.set_expiry(id, NOW);
    assert!(is::<TradingClosed>(
        &market
            .sender(risk_engine)
            .on_liquidation_close(id, swad(-1), wad(2000))
            .motsu_unwrap_err()
    ));
}

#[motsu::test]
fn pausing_stops_opening_but_not_closing(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    s.trade(id, swad(2), I256::MAX).motsu_unwrap();
    market.sender(ADMIN).roles.pause().motsu_unwrap();
    let err = s.trade(id, swad(1), I256::MAX).motsu_unwrap_err();
    assert!(is::<bulwark_common::roles::ContractPaused>(&err));
    s.trade(id, swad(-2), I256::MAX).motsu_unwrap();
    assert_eq!(s.open_interest(id), (0, 0));
    assert_eq!(
        decode::<InvalidAmount>(&s.trade(id, I256::ZERO, I256::MAX).motsu_unwrap_err()),
        InvalidAmount { amount: I256::ZERO }
    );
    let huge = I256::try_from(i128::MAX).unwrap() + I256::ONE;
    assert_eq!(
        decode::<InvalidAmount>(&s.trade(id, huge, I256::MAX).motsu_unwrap_err()),
        InvalidAmount { amount: huge }
    );
}

#[motsu::test]
fn remark_moves_stale_greeks_to_the_current_spot(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    s.trade(id, swad(10), I256::MAX).motsu_unwrap();
    let (delta_at_2000, _) = s.pool_greeks();
    oracle.sender(ADMIN).spot.set(wad(2200));
    market.sender(TRADER).remark(id).motsu_unwrap();
    let (delta_at_2200, _) = s.pool_greeks();
    // The pool is short calls: its delta falls as the spot rises.
    assert!(delta_at_2200 < delta_at_2000);
    // Settlement removes the series at its latest mark: nothing is left behind.
    s.set_expiry(id, NOW);
    oracle.sender(ADMIN).settlement.set(wad(2200));
    market.sender(TRADER).settle_series(id).motsu_unwrap();
    assert_eq!(s.pool_greeks(), (0, 0));
}

#[motsu::test]
fn volatility_beyond_the_pricer_fails_the_pricing(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    for volatility in [U256::MAX, U256::from(u128::MAX)] {
        oracle.sender(ADMIN).volatility.set(volatility);
        assert_eq!(
            decode::<PricingFailed>(&s.trade(id, swad(1), I256::MAX).motsu_unwrap_err()),
            PricingFailed { seriesId: id }
        );
    }
}

proptest! {
    #[test]
    fn series_ids_hash_the_abi_encoded_terms(
        underlying in any::<u32>(),
        strike in any::<[u8; 32]>(),
        expiry in any::<u64>(),
        is_call in any::<bool>(),
    ) {
        let strike = U256::from_be_bytes(strike);
        let encoded = (underlying, strike, expiry, is_call).abi_encode();
        prop_assert_eq!(series_id(underlying, strike, expiry, is_call), keccak256(encoded));
    }
}

/// The typed fields the packed storage words replaced: their layout is the
/// contract's, and must not change.
#[storage]
struct TypedSeries {
    underlying: StorageU32,
    expiry: StorageU64,
    is_call: StorageBool,
    listed: StorageBool,
    strike: StorageU128,
    settlement_price: StorageU128,
    long_open: StorageU128,
    short_open: StorageU128,
    mark_delta: StorageI128,
    mark_vega: StorageU128,
}

/// See [`TypedSeries`].
#[storage]
struct TypedUnderlying {
    strike_step: StorageU128,
    delta_limit: StorageU128,
    vega_limit: StorageU128,
    strikes_per_side: StorageU8,
    option_delta: StorageI128,
    option_vega: StorageI128,
}

/// See [`TypedSeries`].
#[storage]
struct TypedMarket {
    roles: Roles,
    risk_engine: StorageAddress,
    perp_market: StorageAddress,
    oracle: StorageAddress,
    trading_cutoff: StorageU64,
    base_spread: StorageU128,
    trade_vega_slope: StorageU128,
    exposure_slope: StorageU128,
    fee_premium_rate: StorageU128,
    fee_notional_rate: StorageU128,
    series: StorageMap<B256, TypedSeries>,
    underlyings: StorageMap<u32, TypedUnderlying>,
}

/// Distinct values with high bits set, so a misplaced or truncated field shows.
const A: u128 = 0xf1e2_d3c4_b5a6_9788_7968_5a4b_3c2d_1e0f;
const B: u128 = 0x8070_6050_4030_2010_0f0e_0d0c_0b0a_0908;

#[test]
fn packed_words_keep_the_typed_layout() {
    let vm = TestVM::default();
    let mut market = OptionsMarket::from(&vm);
    let mut typed = TypedMarket::from(&vm);
    let (risk_engine, oracle) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
    let perp_market = Address::repeat_byte(0xc3);
    market.constructor(ADMIN, risk_engine, oracle, perp_market).unwrap();
    let params = MarketParams {
        trading_cutoff: 0xfedc_ba98_7654_3210,
        base_spread: A,
        trade_vega_slope: B,
        exposure_slope: !A,
        fee_premium_rate: !B,
        fee_notional_rate: A ^ B,
    };
    market.set_params(&params);
    assert_eq!(typed.roles.admin(), ADMIN);
    assert_eq!(
        (typed.risk_engine.get(), typed.perp_market.get(), typed.oracle.get()),
        (risk_engine, perp_market, oracle)
    );
    assert_eq!(typed.trading_cutoff.get().to::<u64>(), params.trading_cutoff);
    let typed_params = [
        &typed.base_spread,
        &typed.trade_vega_slope,
        &typed.exposure_slope,
        &typed.fee_premium_rate,
        &typed.fee_notional_rate,
    ]
    .map(|field| field.get().to::<u128>());
    assert_eq!(typed_params, [A, B, !A, !B, A ^ B]);
    assert_eq!((market.params(), market.oracle()), (params, oracle));

    // Packed words written, typed fields read; each writer keeps the other
    // values of the words it shares.
    let id = B256::repeat_byte(7);
    let mut series = market.series.setter(id);
    series.terms.set(terms_word(0xfedc_ba98, 0x8877_6655_4433_2211, true, A));
    series.set_settlement_price(B);
    series.set_mark(&logic::Mark { price: 1, delta: -B.cast_signed(), vega: !A });
    series.set_open_interest(OpenInterest { long: !B, short: A ^ B });
    series.set_mark(&logic::Mark { price: 1, delta: -A.cast_signed(), vega: !B });
    let t = typed.series.getter(id);
    assert_eq!(
        (t.underlying.get().to::<u32>(), t.expiry.get().to::<u64>()),
        (0xfedc_ba98, 0x8877_6655_4433_2211)
    );
    assert!(t.is_call.get() && t.listed.get());
    let values = [&t.strike, &t.settlement_price, &t.long_open, &t.short_open, &t.mark_vega]
        .map(|field| field.get().to::<u128>());
    assert_eq!(values, [A, B, !B, A ^ B, !B]);
    assert_eq!(
        t.mark_delta.get(),
        alloy_primitives::aliases::I128::try_from(-A.cast_signed()).unwrap()
    );

    let mut underlying = market.underlyings.setter(ETH);
    underlying.configure(A, 0xc3, B, !A);
    underlying.set_greeks(PoolGreeks { delta: -B.cast_signed(), vega: (A ^ B).cast_signed() });
    let u = typed.underlyings.getter(ETH);
    let values = [&u.strike_step, &u.delta_limit, &u.vega_limit].map(|f| f.get().to::<u128>());
    assert_eq!((values, u.strikes_per_side.get().to::<u8>()), ([A, B, !A], 0xc3));
    let greeks = [&u.option_delta, &u.option_vega].map(|f| f.get().into_raw().to::<u128>());
    assert_eq!(greeks, [(-B.cast_signed()).cast_unsigned(), A ^ B]);

    // Typed fields written, packed words read.
    let id = B256::repeat_byte(8);
    let mut t = typed.series.setter(id);
    t.underlying.set(alloy_primitives::aliases::U32::from(0x8000_0001_u32));
    t.expiry.set(alloy_primitives::aliases::U64::from(u64::MAX - 5));
    t.listed.set(true);
    t.strike.set(alloy_primitives::aliases::U128::from(!A));
    t.settlement_price.set(alloy_primitives::aliases::U128::from(A));
    t.long_open.set(alloy_primitives::aliases::U128::from(B));
    t.short_open.set(alloy_primitives::aliases::U128::from(!B));
    t.mark_delta.set(alloy_primitives::aliases::I128::try_from(i128::MIN + 3).unwrap());
    t.mark_vega.set(alloy_primitives::aliases::U128::from(A ^ B));
    let terms = market.terms(id).unwrap();
    assert_eq!(
        (terms.underlying, terms.expiry, terms.kind, terms.strike, terms.settlement_price),
        (0x8000_0001, u64::MAX - 5, OptionKind::Put, !A, A)
    );
    let series = market.series.getter(id);
    assert!(series.listed());
    assert_eq!(series.open_interest(), OpenInterest { long: B, short: !B });
    assert_eq!(series.mark(), (i128::MIN + 3, A ^ B));
    assert!(!market.series.getter(B256::repeat_byte(9)).listed());

    let mut u = typed.underlyings.setter(2);
    u.strike_step.set(alloy_primitives::aliases::U128::from(B));
    u.delta_limit.set(alloy_primitives::aliases::U128::from(A));
    u.vega_limit.set(alloy_primitives::aliases::U128::from(!B));
    u.strikes_per_side.set(alloy_primitives::aliases::U8::from(10));
    u.option_delta.set(alloy_primitives::aliases::I128::try_from(i128::MAX - 1).unwrap());
    u.option_vega.set(alloy_primitives::aliases::I128::try_from(-7).unwrap());
    let underlying = market.underlyings.getter(2);
    let word = packed(underlying.step_delta_limit.get());
    assert_eq!((word.get(STRIKE_STEP), word.get(DELTA_LIMIT)), (B, A));
    assert_eq!(underlying.vega_limit_strikes(), (!B, 10));
    assert_eq!(underlying.greeks(), PoolGreeks { delta: i128::MAX - 1, vega: -7 });
}

#[motsu::test]
fn trade_hook_is_risk_engine_only_and_checks_the_book(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
) {
    let s = Setup::new(&market, &oracle, &perp);
    let id = Setup::id(2000, true);
    for caller in [TRADER, ADMIN] {
        assert_eq!(
            decode::<OnlyRiskEngine>(
                &market
                    .sender(caller)
                    .on_trade(U256::from(7), id, I256::ZERO, swad(1), I256::MAX)
                    .motsu_unwrap_err()
            ),
            OnlyRiskEngine { caller }
        );
    }
    assert_eq!(s.open_interest(id), (0, 0));
    // RiskEngine says the account is short 2, but no one is: the open
    // interest cannot absorb the buy back.
    assert_eq!(
        decode::<BookMismatch>(
            &market
                .sender(RISK)
                .on_trade(U256::from(7), id, swad(-2), swad(1), I256::MAX)
                .motsu_unwrap_err()
        ),
        BookMismatch { seriesId: id, amountBefore: swad(-2), amountDelta: swad(1) }
    );
    // An amount before beyond int128 is reported as sent.
    let huge = I256::MAX;
    assert_eq!(
        decode::<BookMismatch>(
            &market
                .sender(RISK)
                .on_trade(U256::from(7), id, huge, swad(1), I256::MAX)
                .motsu_unwrap_err()
        ),
        BookMismatch { seriesId: id, amountBefore: huge, amountDelta: swad(1) }
    );
    // An unlisted series is refused before any pricing.
    let unlisted = Setup::id(2300, true);
    assert!(is::<SeriesNotListed>(
        &market
            .sender(RISK)
            .on_trade(U256::from(7), unlisted, I256::ZERO, swad(1), I256::MAX)
            .motsu_unwrap_err()
    ));
    // A put reports its terms to RiskEngine.
    s.trade(Setup::id(1800, false), swad(-1), I256::MAX).motsu_unwrap();
    let last = s.last();
    assert_eq!((last.3, last.4, last.5, last.6), (ETH, wad(1800), EXPIRY, false));
}
