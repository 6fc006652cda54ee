//! Contract-level tests on motsu, with a mock OracleAdapter and a mock
//! RiskEngine. motsu's clock is fixed, so "after expiry" and "inside the
//! cutoff" are reached by moving a series' expiry in storage instead; the
//! time rules themselves are tested natively in `logic`.

use alloc::vec::Vec;

use alloy_primitives::{address, Address, B256, I256, U256};
use alloy_sol_types::SolError;
use motsu::prelude::*;
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageI256, StorageU256},
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

    fn volatility(&self, _feed_id: u32, _expiry: u64, _strike: U256) -> U256 {
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

/// RiskEngine stand-in: keeps each account's amount per series and the perp
/// skew it reports; records the last premium and fee.
#[storage]
struct MockRiskEngine {
    positions: StorageMap<B256, StorageI256>,
    skew: StorageI256,
    premium: StorageI256,
    fee: StorageU256,
    registered: StorageMap<B256, StorageBool>,
}

unsafe impl TopLevelStorage for MockRiskEngine {}

#[public]
#[allow(clippy::too_many_arguments)]
impl MockRiskEngine {
    fn register_series(
        &mut self,
        series_id: B256,
        _feed_id: u32,
        _strike: U256,
        _expiry: u64,
        _is_call: bool,
    ) {
        self.registered.setter(series_id).set(true);
    }

    fn apply_option_trade(
        &mut self,
        _caller: Address,
        _account: U256,
        series_id: B256,
        amount_delta: I256,
        premium: I256,
        fee: U256,
        _strict_price: bool,
    ) -> (I256, I256) {
        let before = self.positions.get(series_id);
        self.positions.setter(series_id).set(before + amount_delta);
        self.premium.set(premium);
        self.fee.set(fee);
        (before, self.skew.get())
    }
}

struct Setup<'a> {
    market: &'a Contract<OptionsMarket>,
    _oracle: &'a Contract<MockOracle>,
    risk: &'a Contract<MockRiskEngine>,
}

impl<'a> Setup<'a> {
    /// A market with one underlying (ETH at 2,000, 80% volatility), its
    /// expiry listed by rule: strikes 1,800..2,200, calls and puts.
    fn new(
        market: &'a Contract<OptionsMarket>,
        oracle: &'a Contract<MockOracle>,
        risk: &'a Contract<MockRiskEngine>,
    ) -> Self {
        market.sender(ADMIN).constructor(ADMIN, risk.address(), oracle.address()).motsu_unwrap();
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
        Setup { market, _oracle: oracle, risk }
    }

    fn id(strike: u128, is_call: bool) -> B256 {
        series_id(ETH, wad(strike), EXPIRY, is_call)
    }

    fn trade(&self, id: B256, amount: I256, limit: I256) -> Result<I256, Vec<u8>> {
        self.market.sender(TRADER).trade(U256::from(7), id, amount, limit)
    }

    fn set_skew(&self, skew: I256) {
        self.risk.sender(ADMIN).skew.set(skew);
    }

    /// Moves a series' expiry in storage (motsu's clock does not move).
    fn set_expiry(&self, id: B256, expiry: u64) {
        self.market.sender(ADMIN).series.setter(id).expiry.set(U64::from(expiry));
    }

    fn open_interest(&self, id: B256) -> (u128, u128) {
        let market = self.market.sender(ADMIN);
        let s = market.series.getter(id);
        (s.long_open.get().to::<u128>(), s.short_open.get().to::<u128>())
    }

    fn pool_greeks(&self) -> (i128, i128) {
        let market = self.market.sender(ADMIN);
        let u = market.underlyings.getter(ETH);
        (load(u.option_delta.get()), load(u.option_vega.get()))
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
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
    for (strike, is_call) in [(1800, false), (2000, true), (2200, true)] {
        assert!(risk.sender(ADMIN).registered.get(Setup::id(strike, is_call)));
    }
    assert!(!risk.sender(ADMIN).registered.get(Setup::id(2300, true)));
    assert_eq!(market.sender(TRADER).list_expiry(ETH, EXPIRY).motsu_unwrap(), 0);
    // Not at 08:00 UTC, or an unconfigured underlying.
    assert!(is::<InvalidListing>(
        &market.sender(TRADER).list_expiry(ETH, EXPIRY + 1).motsu_unwrap_err()
    ));
    assert!(is::<InvalidListing>(&market.sender(TRADER).list_expiry(2, EXPIRY).motsu_unwrap_err()));
    // The admin lists any strike; others may not.
    assert!(market.sender(TRADER).list_series(ETH, wad(2050), EXPIRY, true).is_err());
    let id = market.sender(ADMIN).list_series(ETH, wad(2050), EXPIRY, true).motsu_unwrap();
    assert_eq!(id, Setup::id(2050, true));
    assert!(risk.sender(ADMIN).registered.get(id));
    assert!(is::<InvalidListing>(
        &market.sender(ADMIN).list_series(ETH, U256::ZERO, EXPIRY, true).motsu_unwrap_err()
    ));
    let _ = s;
}

#[motsu::test]
fn parameters_outside_their_bounds_are_refused(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
) {
    let _s = Setup::new(&market, &oracle, &risk);
    let too_wide = market.sender(ADMIN).set_market_params(
        0,
        U256::from(WAD),
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
    );
    assert!(is::<InvalidParameters>(&too_wide.motsu_unwrap_err()));
    let zero_step = market.sender(ADMIN).configure_underlying(ETH, U256::ZERO, 2, wad(1), wad(1));
    assert!(is::<InvalidParameters>(&zero_step.motsu_unwrap_err()));
    assert!(market.sender(TRADER).configure_underlying(ETH, wad(100), 2, wad(1), wad(1)).is_err());
}

#[motsu::test]
fn trade_respects_the_premium_limit_both_ways(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
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
    assert!(is::<PremiumLimitExceeded>(
        &s.trade(id, swad(2), premium - I256::ONE).motsu_unwrap_err()
    ));
    assert_eq!(s.trade(id, swad(2), premium).motsu_unwrap(), premium);
    assert_eq!(risk.sender(ADMIN).premium.get(), premium);
    assert_eq!(risk.sender(ADMIN).fee.get(), fee);
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
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
    let id = Setup::id(2000, true);
    // Buying 40 ATM calls leaves the pool about -9,090 of vega: inside 10,000.
    s.trade(id, swad(40), I256::MAX).motsu_unwrap();
    assert!(s.pool_greeks().1 < -8_000 * WAD.cast_signed());
    // Five more would cross the vega limit.
    let err = s.trade(id, swad(5), I256::MAX).motsu_unwrap_err();
    assert!(is::<GreekLimitExceeded>(&err));
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
    assert!(is::<GreekLimitExceeded>(&s.trade(put, swad(-1), I256::MAX).motsu_unwrap_err()));
    // Buying a put from the pool makes it short a put: |delta| falls, allowed.
    s.trade(put, swad(1), I256::MAX).motsu_unwrap();
}

#[motsu::test]
fn trading_stops_before_expiry_and_series_settle_once(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
    let call = Setup::id(2000, true);
    let put = Setup::id(2000, false);
    s.trade(call, swad(2), I256::MAX).motsu_unwrap();
    s.trade(put, swad(-3), I256::MAX).motsu_unwrap();
    assert_ne!(s.pool_greeks(), (0, 0));
    // Inside the 30-minute cutoff: no trading, no settling yet.
    s.set_expiry(call, NOW + 1800);
    assert!(is::<TradingClosed>(&s.trade(call, swad(1), I256::MAX).motsu_unwrap_err()));
    assert!(is::<NotExpired>(&market.sender(TRADER).settle_series(call).motsu_unwrap_err()));
    // After expiry, without an oracle settlement price the oracle's error comes back.
    s.set_expiry(call, NOW);
    s.set_expiry(put, NOW);
    assert_eq!(
        market.sender(TRADER).settle_series(call).motsu_unwrap_err(),
        b"no settlement".to_vec()
    );
    oracle.sender(ADMIN).settlement.set(wad(2100));
    assert_eq!(market.sender(TRADER).settle_series(call).motsu_unwrap(), wad(2100));
    assert!(is::<TradingClosed>(&s.trade(call, swad(1), I256::MAX).motsu_unwrap_err()));
    // The price never changes once recorded.
    oracle.sender(ADMIN).settlement.set(wad(2500));
    assert_eq!(market.sender(TRADER).settle_series(call).motsu_unwrap(), wad(2100));
    // Long 2 calls struck 2,000 at 2,100 receive 200; the open interest goes.
    let risk_engine = risk.address();
    assert_eq!(
        market.sender(risk_engine).on_settlement(call, swad(2)).motsu_unwrap(),
        (wad(2100), swad(200))
    );
    assert_eq!(s.open_interest(call), (0, 0));
    // Settling the same position twice finds no open interest: it pays once.
    assert!(is::<BookMismatch>(
        &market.sender(risk_engine).on_settlement(call, swad(2)).motsu_unwrap_err()
    ));
    // The short put settles through the hook alone (the series settles on first use), at
    // the oracle's price then: out of the money at 2,500.
    assert_eq!(
        market.sender(risk_engine).on_settlement(put, swad(-3)).motsu_unwrap(),
        (wad(2500), I256::ZERO)
    );
    assert_eq!(s.pool_greeks(), (0, 0));
    // Only RiskEngine may settle positions.
    assert!(is::<OnlyRiskEngine>(
        &market.sender(TRADER).on_settlement(put, swad(-3)).motsu_unwrap_err()
    ));
}

#[motsu::test]
fn short_in_the_money_put_pays_and_at_the_strike_nothing(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
    let put = Setup::id(2100, false);
    let call = Setup::id(1900, true);
    s.trade(put, swad(-4), I256::MAX).motsu_unwrap();
    s.trade(call, swad(1), I256::MAX).motsu_unwrap();
    s.set_expiry(put, NOW);
    s.set_expiry(call, NOW);
    oracle.sender(ADMIN).settlement.set(wad(1900));
    let risk_engine = risk.address();
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
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
    let id = Setup::id(2000, true);
    s.trade(id, swad(3), I256::MAX).motsu_unwrap();
    assert!(is::<OnlyRiskEngine>(
        &market.sender(TRADER).on_liquidation_close(id, swad(-1), wad(2000)).motsu_unwrap_err()
    ));
    let risk_engine = risk.address();
    let premium =
        market.sender(risk_engine).on_liquidation_close(id, swad(-1), wad(2000)).motsu_unwrap();
    // The account sells one call back: it receives less than the model price.
    assert!(premium < I256::ZERO && premium > -swad(183));
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
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
    let id = Setup::id(2000, true);
    s.trade(id, swad(2), I256::MAX).motsu_unwrap();
    market.sender(ADMIN).roles.pause().motsu_unwrap();
    let err = s.trade(id, swad(1), I256::MAX).motsu_unwrap_err();
    assert!(is::<bulwark_common::roles::ContractPaused>(&err));
    s.trade(id, swad(-2), I256::MAX).motsu_unwrap();
    assert_eq!(s.open_interest(id), (0, 0));
    assert!(is::<InvalidAmount>(&s.trade(id, I256::ZERO, I256::MAX).motsu_unwrap_err()));
}

#[motsu::test]
fn remark_moves_stale_greeks_to_the_current_spot(
    market: Contract<OptionsMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
) {
    let s = Setup::new(&market, &oracle, &risk);
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
