//! Contract-level tests (motsu): storage layout, parameters and their
#![allow(unreachable_pub)] // The test doubles' #[public] functions are pub for the router.
//! wiring to RiskEngine, access control, the trade flow against test doubles
//! of the OracleAdapter and RiskEngine (strict and lenient prices, pause,
//! caps), and the liquidation hook. Time-dependent funding is tested
//! natively in `logic` (motsu's clock is fixed).

use alloy_primitives::{Address, I256, U256};
use bulwark_common::{interfaces::oracle_usage, roles};
use motsu::prelude::*;
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageI256, StorageMap, StorageU256, StorageU32},
};

use super::*;
use crate::logic::{self, ParamField};

const W: u128 = bulwark_math::WAD;

/// OracleAdapter double: one price per usage, each usable or not.
#[storage]
struct MockOracle {
    strict_price: StorageU256,
    low_price: StorageU256,
    high_price: StorageU256,
    strict_usable: StorageBool,
    lenient_usable: StorageBool,
}

// SAFETY: a test double with no other storage at its root; motsu needs the
// marker trait that #[entrypoint] would derive.
unsafe impl TopLevelStorage for MockOracle {}

#[public]
impl MockOracle {
    pub fn set(
        &mut self,
        strict: U256,
        low: U256,
        high: U256,
        strict_usable: bool,
        lenient_usable: bool,
    ) {
        self.strict_price.set(strict);
        self.low_price.set(low);
        self.high_price.set(high);
        self.strict_usable.set(strict_usable);
        self.lenient_usable.set(lenient_usable);
    }

    pub fn price(&self, _feed_id: u32, usage: u8) -> Result<U256, Vec<u8>> {
        let (usable, price) = match usage {
            oracle_usage::ADD_RISK => (self.strict_usable.get(), self.strict_price.get()),
            oracle_usage::REDUCE_RISK_LOW => (self.lenient_usable.get(), self.low_price.get()),
            _ => (self.lenient_usable.get(), self.high_price.get()),
        };
        if usable {
            Ok(price)
        } else {
            Err(stale_error(usage))
        }
    }
}

/// The revert data the oracle double answers for an unusable price.
fn stale_error(usage: u8) -> Vec<u8> {
    vec![0xde, 0xad, usage]
}

/// RiskEngine double: keeps sizes, records the last trade, refuses a trade
/// that adds risk on a lenient price as the real one does.
#[storage]
struct MockRiskEngine {
    sizes: StorageMap<U256, StorageI256>,
    last_fill: StorageU256,
    last_fee: StorageU256,
    last_index: StorageI256,
    last_strict: StorageBool,
    configured_market: StorageU32,
    configured_margin: StorageU256,
    configured_skew_scale: StorageU256,
}

// SAFETY: as for MockOracle.
unsafe impl TopLevelStorage for MockRiskEngine {}

#[public]
impl MockRiskEngine {
    #[allow(clippy::too_many_arguments, clippy::unnecessary_wraps)]
    pub fn configure_perp_market(
        &mut self,
        market_id: u32,
        _feed_id: u32,
        initial_margin_rate: U256,
        _maintenance_margin_rate: U256,
        _margin_rate_scale: U256,
        skew_scale: U256,
    ) -> Result<(), Vec<u8>> {
        self.configured_market.set(alloy_primitives::Uint::from(market_id));
        self.configured_margin.set(initial_margin_rate);
        self.configured_skew_scale.set(skew_scale);
        Ok(())
    }

    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)]
    pub fn apply_perp_trade(
        &mut self,
        _caller: Address,
        account: U256,
        market_id: u32,
        size_delta: I256,
        fill_price: U256,
        fee: U256,
        funding_indexes: Vec<I256>,
        strict_price: bool,
    ) -> Result<I256, Vec<u8>> {
        let funding_index = funding_indexes[usize::try_from(market_id).unwrap()];
        let before = self.sizes.get(account);
        let adds =
            logic::adds_risk(i128::try_from(before).unwrap(), i128::try_from(size_delta).unwrap());
        if adds && !strict_price {
            return Err(b"PriceNotUsable".to_vec());
        }
        self.sizes.setter(account).set(before + size_delta);
        self.last_fill.set(fill_price);
        self.last_fee.set(fee);
        self.last_index.set(funding_index);
        self.last_strict.set(strict_price);
        Ok(before)
    }

    pub fn perp_position(&self, account: U256, _market_id: u32) -> (I256, I256) {
        (self.sizes.get(account), I256::ZERO)
    }
}

fn wad(units: i128) -> I256 {
    I256::try_from(units * bulwark_math::SIGNED_WAD).unwrap()
}

fn u(units: u128) -> U256 {
    U256::from(units * W)
}

/// ETH-USD parameters: skew scale 1e6, maker 2 bp, taker 5 bp, OI cap 1,000
/// per side, trades 0.01..500, velocity 9/day^2, rate cap 10%/day; IM 2%,
/// MM 1%, margin rate scale 1e6.
fn eth_params() -> [U256; 11] {
    [
        u(1_000_000),
        U256::from(2 * W / 10_000),
        U256::from(5 * W / 10_000),
        u(1_000),
        U256::from(W / 100),
        u(500),
        u(9),
        U256::from(W / 10),
        U256::from(W / 50),
        U256::from(W / 100),
        u(1_000_000),
    ]
}

fn create_eth(perp: &Contract<PerpMarket>, admin: Address) -> Result<u32, Vec<u8>> {
    perp.sender(admin).set_market_params(0, 7, eth_params())
}

fn setup(
    perp: &Contract<PerpMarket>,
    oracle: &Contract<MockOracle>,
    risk: &Contract<MockRiskEngine>,
    admin: Address,
) -> u32 {
    perp.sender(admin).constructor(admin, risk.address(), oracle.address()).motsu_unwrap();
    oracle.sender(admin).set(u(2000), u(1990), u(2010), true, true);
    create_eth(perp, admin).motsu_unwrap()
}

/// Market 1's long and short open interest and skew, from `quote`.
fn state_of(perp: &Contract<PerpMarket>) -> (U256, U256, I256) {
    let q = perp.sender(Address::repeat_byte(9)).quote(1, I256::ZERO).motsu_unwrap();
    (q.5, q.6, I256::try_from(q.5).unwrap() - I256::try_from(q.6).unwrap())
}

fn err(e: Error) -> Vec<u8> {
    e.into()
}

#[test]
fn market_fits_five_slots() {
    assert_eq!(<Market as StorageType>::REQUIRED_SLOTS, 5);
}

#[motsu::test]
fn create_market_stores_params_and_configures_risk_engine(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
) {
    let id = setup(&perp, &oracle, &risk, admin);
    assert_eq!(id, 1);
    assert_eq!(perp.sender(admin).market_count(), 1);
    assert_eq!(risk.sender(admin).configured_market.get(), alloy_primitives::Uint::from(1u32));
    assert_eq!(risk.sender(admin).configured_margin.get(), U256::from(W / 50));
    assert_eq!(risk.sender(admin).configured_skew_scale.get(), u(1_000_000));
    assert!(perp.emitted(&MarketParamsSet {
        marketId: 1,
        feedId: 7,
        params: eth_params(),
        fundingRate: I256::ZERO,
        fundingIndex: I256::ZERO,
    }));
    // The stored parameters price as configured: 2000 * (1 + 1 / 2e6), taker 5 bp.
    let quote = perp.sender(admin).quote(1, wad(1)).motsu_unwrap();
    assert_eq!(
        (quote.0, quote.1),
        (U256::from(2000 * W + W / 1000), U256::from(W + W / 2_000_000))
    );
    assert_eq!(create_eth(&perp, admin).motsu_unwrap(), 2);
}

#[motsu::test]
fn parameters_are_admin_only_and_bounded(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    mallory: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let unauthorized: Vec<u8> =
        roles::Error::from(roles::Unauthorized { caller: mallory, role: roles::ADMIN }).into();
    assert_eq!(create_eth(&perp, mallory).motsu_unwrap_err(), unauthorized);
    let mut bad = eth_params();
    bad[2] = u(1); // taker fee 100%
    assert_eq!(
        perp.sender(admin).set_market_params(0, 7, bad).motsu_unwrap_err(),
        err(Error::from(InvalidMarketParams { marketId: 2, field: ParamField::TakerFee as u8 }))
    );
    // An amount beyond u128 saturates and is reported as out of bounds.
    let mut huge = eth_params();
    huge[0] = U256::MAX;
    assert_eq!(
        perp.sender(admin).set_market_params(1, 7, huge).motsu_unwrap_err(),
        err(Error::from(InvalidMarketParams { marketId: 1, field: ParamField::SkewScale as u8 }))
    );
    assert_eq!(
        perp.sender(mallory).set_market_params(1, 7, eth_params()).motsu_unwrap_err(),
        unauthorized
    );
    assert_eq!(
        perp.sender(admin).set_market_params(9, 7, eth_params()).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 9 }))
    );
    // The feed of a market never changes.
    assert_eq!(
        perp.sender(admin).set_market_params(1, 8, eth_params()).motsu_unwrap_err(),
        err(Error::from(InvalidMarketParams { marketId: 1, field: ParamField::FeedId as u8 }))
    );
    // A valid change reaches RiskEngine and the pricing: skew scale 2e6, taker 0.1%.
    let mut changed = eth_params();
    changed[0] = u(2_000_000);
    changed[2] = U256::from(W / 1000);
    changed[8] = U256::from(W / 20);
    assert_eq!(perp.sender(admin).set_market_params(1, 7, changed).motsu_unwrap(), 1);
    assert_eq!(risk.sender(admin).configured_margin.get(), U256::from(W / 20));
    assert_eq!(risk.sender(admin).configured_skew_scale.get(), u(2_000_000));
    let quote = perp.sender(admin).quote(1, wad(4)).motsu_unwrap();
    assert_eq!(
        (quote.0, quote.1),
        (U256::from(2000 * W + 2 * W / 1000), U256::from(8 * W + 8 * W / 1_000_000))
    );
}

#[motsu::test]
fn opening_trade_fills_with_premium_and_updates_open_interest(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let account = U256::from(42);
    // 2000 * (1 + 100 / 2e6) = 2000.1; fee 100 * 2000.1 * 5 bp = 100.005.
    let fill = U256::from(2000 * W + W / 10);
    let quote = perp.sender(alice).quote(1, wad(100)).motsu_unwrap();
    assert_eq!(
        quote,
        (
            fill,
            U256::from(100 * W + 5 * W / 1000),
            u(2000),
            I256::ZERO,
            I256::ZERO,
            U256::ZERO,
            U256::ZERO
        )
    );
    assert_eq!(perp.sender(alice).trade(account, 1, wad(100), fill).motsu_unwrap(), fill);
    assert_eq!(risk.sender(admin).last_fill.get(), fill);
    assert_eq!(risk.sender(admin).last_fee.get(), U256::from(100 * W + 5 * W / 1000));
    assert!(risk.sender(admin).last_strict.get());
    let state = state_of(&perp);
    assert_eq!((state.0, state.1, state.2), (u(100), U256::ZERO, wad(100)));
    assert!(perp.emitted(&PerpTraded {
        account,
        marketId: 1,
        sizeBefore: I256::ZERO,
        sizeDelta: wad(100),
        fillPrice: fill,
        fee: U256::from(100 * W + 5 * W / 1000),
        fundingPaid: I256::ZERO,
        fundingRate: I256::ZERO,
        fundingIndex: I256::ZERO,
        liquidation: false,
    }));
    // A short that flips the skew: 2000 * (1 + (200 - 300) / 2e6) = 1999.9.
    perp.sender(alice).trade(U256::from(7), 1, wad(-300), U256::ZERO).motsu_unwrap();
    let state = state_of(&perp);
    assert_eq!((state.0, state.1, state.2), (u(100), u(300), wad(-200)));
    assert_eq!(risk.sender(admin).last_fill.get(), U256::from(1999 * W + 9 * W / 10));
    assert_eq!(perp.sender(alice).funding_indexes(vec![1]).motsu_unwrap(), vec![I256::ZERO]);
}

#[motsu::test]
fn acceptable_price_and_size_limits_are_enforced(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let fill = U256::from(2000 * W + W / 10);
    let account = U256::from(1);
    assert_eq!(
        perp.sender(alice).trade(account, 1, wad(100), fill - U256::from(1)).motsu_unwrap_err(),
        err(Error::from(AcceptablePriceExceeded {
            fillPrice: fill,
            acceptablePrice: fill - U256::from(1)
        }))
    );
    // A sell fills at 2000 * (1 - 100 / 2e6) = 1999.9: a limit above it reverts.
    let sell_fill = U256::from(1999 * W + 9 * W / 10);
    assert_eq!(
        perp.sender(alice)
            .trade(account, 1, wad(-100), sell_fill + U256::from(1))
            .motsu_unwrap_err(),
        err(Error::from(AcceptablePriceExceeded {
            fillPrice: sell_fill,
            acceptablePrice: sell_fill + U256::from(1)
        }))
    );
    let size_error =
        |delta: I256| err(Error::from(TradeSizeOutOfBounds { marketId: 1, sizeDelta: delta }));
    assert_eq!(
        perp.sender(alice).trade(account, 1, I256::ZERO, U256::MAX).motsu_unwrap_err(),
        size_error(I256::ZERO)
    );
    assert_eq!(
        perp.sender(alice).trade(account, 1, wad(501), U256::MAX).motsu_unwrap_err(),
        size_error(wad(501))
    );
    let dust = I256::try_from(W / 1000).unwrap();
    assert_eq!(
        perp.sender(alice).trade(account, 1, dust, U256::MAX).motsu_unwrap_err(),
        size_error(dust)
    );
    // Open-interest cap 1,000 per side.
    for i in 0..2 {
        perp.sender(alice).trade(U256::from(10 + i), 1, wad(500), U256::MAX).motsu_unwrap();
    }
    assert_eq!(
        perp.sender(alice).trade(account, 1, wad(1), U256::MAX).motsu_unwrap_err(),
        err(Error::from(OpenInterestCapExceeded {
            marketId: 1,
            long: true,
            openInterest: u(1_001)
        }))
    );
    // Reducing a position leaves dust below the minimum: allowed.
    perp.sender(alice).trade(U256::from(10), 1, -wad(500) + dust, U256::ZERO).motsu_unwrap();
    assert_eq!(state_of(&perp).0, u(500) + U256::from(W / 1000));
    let quoted = perp.sender(alice).quote(1, wad(1)).motsu_unwrap().0;
    assert_eq!(perp.sender(alice).trade(account, 1, wad(1), U256::MAX).motsu_unwrap(), quoted);
    let unknown = perp.sender(alice).trade(account, 3, wad(1), U256::MAX).motsu_unwrap_err();
    assert_eq!(unknown, err(Error::from(MarketNotFound { marketId: 3 })));
}

#[motsu::test]
fn stale_price_stops_opening_but_not_closing(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let (long, short) = (U256::from(1), U256::from(2));
    perp.sender(alice).trade(long, 1, wad(10), U256::MAX).motsu_unwrap();
    perp.sender(alice).trade(short, 1, wad(-10), U256::ZERO).motsu_unwrap();
    // Strict price unusable, lenient usable: RiskEngine refuses the increase.
    oracle.sender(admin).set(u(2000), u(1990), u(2010), false, true);
    let refused = perp.sender(alice).trade(long, 1, wad(1), U256::MAX).motsu_unwrap_err();
    assert_eq!(refused, b"PriceNotUsable".to_vec());
    // Closing the long sells at the low price: 1990 * (1 + (0 - 10) / 2e6) = 1989.99005.
    perp.sender(alice).trade(long, 1, wad(-10), U256::ZERO).motsu_unwrap();
    assert!(!risk.sender(admin).last_strict.get());
    assert_eq!(risk.sender(admin).last_fill.get(), U256::from(1_989_990_050_000_000_000_000u128));
    // Closing the short buys at the high price: 2010 * (1 + (-20 + 10) / 2e6) = 2009.98995.
    perp.sender(alice).trade(short, 1, wad(10), U256::MAX).motsu_unwrap();
    assert_eq!(risk.sender(admin).last_fill.get(), U256::from(2_009_989_950_000_000_000_000u128));
    let state = state_of(&perp);
    assert_eq!((state.0, state.1), (U256::ZERO, U256::ZERO));
    // No price at all: the oracle's own error.
    oracle.sender(admin).set(u(2000), u(1990), u(2010), false, false);
    let none = perp.sender(alice).trade(long, 1, wad(-1), U256::ZERO).motsu_unwrap_err();
    assert_eq!(none, stale_error(oracle_usage::REDUCE_RISK_LOW));
    assert_eq!(
        perp.sender(alice).funding_indexes(vec![1]).motsu_unwrap_err(),
        stale_error(oracle_usage::REDUCE_RISK_LOW)
    );
}

#[motsu::test]
fn pause_stops_risk_but_not_reduction(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let account = U256::from(1);
    perp.sender(alice).trade(account, 1, wad(10), U256::MAX).motsu_unwrap();
    perp.sender(admin).roles.pause().motsu_unwrap();
    let paused: Vec<u8> = roles::Error::from(roles::ContractPaused {}).into();
    assert_eq!(perp.sender(alice).trade(account, 1, wad(1), U256::MAX).motsu_unwrap_err(), paused);
    assert_eq!(
        perp.sender(alice).trade(account, 1, wad(-11), U256::ZERO).motsu_unwrap_err(),
        paused
    );
    perp.sender(alice).trade(account, 1, wad(-10), U256::ZERO).motsu_unwrap();
    assert_eq!(state_of(&perp).0, U256::ZERO);
}

#[motsu::test]
fn liquidation_close_is_risk_engine_only_and_moves_open_interest(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let account = U256::from(5);
    perp.sender(alice).trade(account, 1, wad(200), U256::MAX).motsu_unwrap();
    assert_eq!(
        perp.sender(alice)
            .on_liquidation_close(account, 1, wad(200), wad(-50), u(1500))
            .motsu_unwrap_err(),
        err(Error::from(NotRiskEngine { caller: alice }))
    );
    // 1500 * (1 + (400 - 50) / 2e6) = 1500.2625, no fee.
    let (fill, index) = perp
        .sender(risk.address())
        .on_liquidation_close(account, 1, wad(200), wad(-50), u(1500))
        .motsu_unwrap();
    assert_eq!((fill, index), (U256::from(1_500_262_500_000_000_000_000u128), I256::ZERO));
    let state = state_of(&perp);
    assert_eq!((state.0, state.2), (u(150), wad(150)));
    assert!(perp.emitted(&PerpTraded {
        account,
        marketId: 1,
        sizeBefore: wad(200),
        sizeDelta: wad(-50),
        fillPrice: fill,
        fee: U256::ZERO,
        fundingPaid: I256::ZERO,
        fundingRate: I256::ZERO,
        fundingIndex: I256::ZERO,
        liquidation: true,
    }));
    // A size that is not in the open interest is refused.
    assert_eq!(
        perp.sender(risk.address())
            .on_liquidation_close(account, 1, wad(-500), wad(500), u(1500))
            .motsu_unwrap_err(),
        err(Error::from(ValueOutOfRange { marketId: 1 }))
    );
}

#[motsu::test]
fn zero_size_quote_is_the_mark_price_with_funding(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    perp.sender(alice).trade(U256::from(1), 1, wad(400), U256::MAX).motsu_unwrap();
    // Mark price 2000 * (1 + 400 / 1e6) = 2000.8, no fee; funding state at now.
    assert_eq!(
        perp.sender(admin).quote(1, I256::ZERO).motsu_unwrap(),
        (
            U256::from(2000 * W + 8 * W / 10),
            U256::ZERO,
            u(2000),
            I256::ZERO,
            I256::ZERO,
            u(400),
            U256::ZERO
        )
    );
    assert_eq!(
        perp.sender(admin).quote(2, I256::ZERO).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 2 }))
    );
    assert_eq!(
        perp.sender(admin).funding_indexes(vec![1, 2]).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 2 }))
    );
}

#[motsu::test]
fn position_reports_the_entry_and_the_pnl_at_the_closing_price(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Contract<MockRiskEngine>,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, &risk, admin);
    let account = U256::from(3);
    let flat = (I256::ZERO, U256::ZERO, I256::ZERO, I256::ZERO, I256::ZERO);
    assert_eq!(perp.sender(alice).position(account, 1).motsu_unwrap(), flat);
    // Long 100 at 2000 * (1 + 100 / 2e6) = 2000.1.
    let fill = U256::from(2000 * W + W / 10);
    perp.sender(alice).trade(account, 1, wad(100), U256::MAX).motsu_unwrap();
    // At the strict 2100: 100 * (2100 - 2000.1) = 9,990.
    oracle.sender(admin).set(u(2100), u(2050), u(2150), true, true);
    assert_eq!(
        perp.sender(alice).position(account, 1).motsu_unwrap(),
        (wad(100), fill, I256::ZERO, wad(9_990), I256::ZERO)
    );
    // Without a strict price a long is valued at the lower source (closing sells).
    oracle.sender(admin).set(u(2100), u(2050), u(2150), false, true);
    assert_eq!(perp.sender(alice).position(account, 1).motsu_unwrap().3, wad(4_990));
    // Adding (at a strict price again) re-enters the whole position at the new fill.
    oracle.sender(admin).set(u(2000), u(1990), u(2010), true, true);
    perp.sender(alice).trade(account, 1, wad(100), U256::MAX).motsu_unwrap();
    // 2000 * (1 + (100 + 200) / 2e6) = 2000.3; 200 * (2000 - 2000.3) = -60.
    let refill = U256::from(2000 * W + 3 * W / 10);
    assert_eq!(
        perp.sender(alice).position(account, 1).motsu_unwrap(),
        (wad(200), refill, I256::ZERO, wad(-60), I256::ZERO)
    );
    // Closing clears the entry.
    perp.sender(alice).trade(account, 1, wad(-200), U256::ZERO).motsu_unwrap();
    assert_eq!(perp.sender(alice).position(account, 1).motsu_unwrap(), flat);
    assert_eq!(
        perp.sender(alice).position(account, 2).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 2 }))
    );
}
