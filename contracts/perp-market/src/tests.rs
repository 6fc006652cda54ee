//! Contract-level tests (motsu): storage layout, parameters (pricing and
//! margin), access control, the trade hook RiskEngine calls (strict and
//! lenient prices, pause, caps, acceptable price), the margin inputs and
//! per-feed skew MarginEngine reads, and the liquidation hook, against a
//! test double of the OracleAdapter. RiskEngine is played by a plain
//! address that keeps the sizes, as the real one does. Time-dependent
//! funding is tested natively in `logic` (motsu's clock is fixed).
#![allow(unreachable_pub)] // The test double's #[public] functions are pub for the router.

use std::collections::HashMap;

use alloy_primitives::{Address, I256, U256};
use bulwark_common::{interfaces::oracle_usage, roles};
use motsu::prelude::*;
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageU256},
};

use super::*;
use crate::logic::ParamField;

const W: u128 = bulwark_math::WAD;
/// motsu's fixed block timestamp: 2025-01-01 00:00:00 UTC.
const NOW: u64 = 1_735_689_600;

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

/// What `onTrade` returns: fill price, fee, funding index, strict.
type Fill = (U256, U256, I256, bool);

/// RiskEngine's side of the hook: the wired address, and the sizes it
/// keeps (the hook is told the size before, and the sizes move only when
/// the hook succeeds, as RiskEngine's store follows it).
struct Risk {
    address: Address,
    sizes: HashMap<(U256, u32), I256>,
}

impl Risk {
    fn new(address: Address) -> Self {
        Self { address, sizes: HashMap::new() }
    }

    fn size(&self, account: U256, market_id: u32) -> I256 {
        self.sizes.get(&(account, market_id)).copied().unwrap_or_default()
    }

    /// A trade of `delta` on market 1 through the hook. The caller's
    /// `motsu_unwrap`/`motsu_unwrap_err` settles motsu's transaction.
    fn trade(
        &mut self,
        perp: &Contract<PerpMarket>,
        account: U256,
        delta: I256,
        acceptable: U256,
    ) -> Result<Fill, Vec<u8>> {
        self.trade_on(perp, account, 1, delta, acceptable)
    }

    fn trade_on(
        &mut self,
        perp: &Contract<PerpMarket>,
        account: U256,
        market_id: u32,
        delta: I256,
        acceptable: U256,
    ) -> Result<Fill, Vec<u8>> {
        let before = self.size(account, market_id);
        let fill =
            perp.sender(self.address).on_trade(account, market_id, before, delta, acceptable)?;
        self.sizes.insert((account, market_id), before + delta);
        Ok(fill)
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
    risk: Address,
    admin: Address,
) -> Risk {
    perp.sender(admin).constructor(admin, risk, oracle.address()).motsu_unwrap();
    oracle.sender(admin).set(u(2000), u(1990), u(2010), true, true);
    assert_eq!(create_eth(perp, admin).motsu_unwrap(), 1);
    Risk::new(risk)
}

/// Market 1's long and short open interest and skew, from `quote`.
fn state_of(perp: &Contract<PerpMarket>) -> (U256, U256, I256) {
    let q = perp.sender(Address::repeat_byte(9)).quote(1, I256::ZERO).motsu_unwrap();
    (q.5, q.6, I256::try_from(q.5).unwrap() - I256::try_from(q.6).unwrap())
}

/// Market `market_id`'s margin inputs, as MarginEngine reads them.
fn margin_inputs(perp: &Contract<PerpMarket>, market_id: u32) -> Vec<U256> {
    perp.sender(Address::repeat_byte(9)).margin_inputs(vec![market_id]).motsu_unwrap()
}

fn err(e: Error) -> Vec<u8> {
    e.into()
}

#[test]
fn market_fits_six_slots() {
    assert_eq!(<Market as StorageType>::REQUIRED_SLOTS, 6);
}

#[motsu::test]
fn create_market_stores_pricing_and_margin_params(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    setup(&perp, &oracle, risk, admin);
    assert_eq!(perp.sender(admin).market_count(), 1);
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
    // MarginEngine reads feed, IM 2%, MM 1%, rate scale 1e6, skew scale 1e6,
    // skew 0 and funding index 0.
    assert_eq!(
        margin_inputs(&perp, 1),
        vec![
            U256::from(7),
            U256::from(W / 50),
            U256::from(W / 100),
            u(1_000_000),
            u(1_000_000),
            U256::ZERO,
            U256::ZERO
        ]
    );
    // The parameters read back as they were set, for anyone.
    let (feed, params) = perp.sender(risk).market_params(1).motsu_unwrap();
    assert_eq!((feed, params.as_slice()), (7, eth_params().as_slice()));
    assert_eq!(
        perp.sender(admin).market_params(2).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 2 }))
    );
    assert_eq!(create_eth(&perp, admin).motsu_unwrap(), 2);
}

#[motsu::test]
fn parameters_are_admin_only_and_bounded(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
    mallory: Address,
) {
    setup(&perp, &oracle, risk, admin);
    let unauthorized: Vec<u8> =
        roles::Error::from(roles::Unauthorized { caller: mallory, role: roles::ADMIN }).into();
    assert_eq!(create_eth(&perp, mallory).motsu_unwrap_err(), unauthorized);
    let mut bad = eth_params();
    bad[2] = u(1); // taker fee 100%
    assert_eq!(
        perp.sender(admin).set_market_params(0, 7, bad).motsu_unwrap_err(),
        err(Error::from(InvalidMarketParams { marketId: 2, field: ParamField::TakerFee as u8 }))
    );
    // Margin rates are checked here too: maintenance above initial.
    let mut inverted = eth_params();
    inverted[9] = U256::from(W / 20);
    assert_eq!(
        perp.sender(admin).set_market_params(1, 7, inverted).motsu_unwrap_err(),
        err(Error::from(InvalidMarketParams {
            marketId: 1,
            field: ParamField::MaintenanceMarginRate as u8
        }))
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
    // A valid change of a live market is announced, not applied: skew scale
    // 2e6, taker 0.1%, IM 5% take effect two days later (applyMarketParams;
    // motsu's clock is fixed, so the application itself is tested on the
    // sandbox, `failures.rs`).
    let mut changed = eth_params();
    changed[0] = u(2_000_000);
    changed[2] = U256::from(W / 1000);
    changed[8] = U256::from(W / 20);
    assert_eq!(perp.sender(admin).set_market_params(1, 7, changed).motsu_unwrap(), 1);
    let effective_at = NOW + PARAMS_CHANGE_DELAY;
    assert!(perp.emitted(&MarketParamsAnnounced {
        marketId: 1,
        params: changed,
        effectiveAt: effective_at
    }));
    assert_eq!(perp.sender(admin).pending_market_params(1), effective_at);
    // Announced is not in force: the view still shows the parameters set.
    assert_eq!(perp.sender(admin).market_params(1).motsu_unwrap().1, eth_params().to_vec());
    assert_eq!(
        perp.sender(mallory).apply_market_params(1).motsu_unwrap_err(),
        err(Error::from(ParamsChangeNotDue { marketId: 1, effectiveAt: effective_at, now: NOW }))
    );
    assert_eq!(
        perp.sender(mallory).apply_market_params(2).motsu_unwrap_err(),
        err(Error::from(NoParamsChangePending { marketId: 2 }))
    );
    // Until then the old parameters price and margin.
    let inputs = margin_inputs(&perp, 1);
    assert_eq!((inputs[1], inputs[4]), (U256::from(W / 50), u(1_000_000)));
    let quote = perp.sender(admin).quote(1, wad(1)).motsu_unwrap();
    assert_eq!(quote.0, U256::from(2000 * W + W / 1000));
    // A refused change is not announced: the pending one stays.
    let mut bad = changed;
    bad[2] = u(1);
    assert_eq!(
        perp.sender(admin).set_market_params(1, 7, bad).motsu_unwrap_err(),
        err(Error::from(InvalidMarketParams { marketId: 1, field: ParamField::TakerFee as u8 }))
    );
    assert_eq!(perp.sender(admin).pending_market_params(1), effective_at);
}

#[motsu::test]
fn market_ids_stop_below_the_book_limit(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    setup(&perp, &oracle, risk, admin);
    for id in 2..MAX_MARKETS {
        assert_eq!(create_eth(&perp, admin).motsu_unwrap(), id);
    }
    assert_eq!(
        create_eth(&perp, admin).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: MAX_MARKETS }))
    );
    assert_eq!(perp.sender(admin).market_count(), MAX_MARKETS - 1);
}

#[motsu::test]
fn trade_hook_is_risk_engine_only(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
    alice: Address,
) {
    setup(&perp, &oracle, risk, admin);
    for caller in [alice, admin] {
        assert_eq!(
            perp.sender(caller)
                .on_trade(U256::from(1), 1, I256::ZERO, wad(1), U256::MAX)
                .motsu_unwrap_err(),
            err(Error::from(NotRiskEngine { caller }))
        );
    }
    assert_eq!(state_of(&perp).0, U256::ZERO);
}

#[motsu::test]
fn opening_trade_fills_with_premium_and_updates_open_interest(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let account = U256::from(42);
    // 2000 * (1 + 100 / 2e6) = 2000.1; fee 100 * 2000.1 * 5 bp = 100.005.
    let fill = U256::from(2000 * W + W / 10);
    let fee = U256::from(100 * W + 5 * W / 1000);
    let quote = perp.sender(admin).quote(1, wad(100)).motsu_unwrap();
    assert_eq!(quote, (fill, fee, u(2000), I256::ZERO, I256::ZERO, U256::ZERO, U256::ZERO));
    assert_eq!(
        risk.trade(&perp, account, wad(100), fill).motsu_unwrap(),
        (fill, fee, I256::ZERO, true)
    );
    let state = state_of(&perp);
    assert_eq!((state.0, state.1, state.2), (u(100), U256::ZERO, wad(100)));
    assert_eq!(perp.sender(admin).feed_skew(7), wad(100));
    assert!(perp.emitted(&PerpTraded {
        account,
        marketId: 1,
        sizeBefore: I256::ZERO,
        sizeDelta: wad(100),
        fillPrice: fill,
        fee,
        fundingPaid: I256::ZERO,
        fundingRate: I256::ZERO,
        fundingIndex: I256::ZERO,
        liquidation: false,
    }));
    // A short that flips the skew: 2000 * (1 + (200 - 300) / 2e6) = 1999.9.
    let short = risk.trade(&perp, U256::from(7), wad(-300), U256::ZERO).motsu_unwrap();
    assert_eq!(short.0, U256::from(1999 * W + 9 * W / 10));
    let state = state_of(&perp);
    assert_eq!((state.0, state.1, state.2), (u(100), u(300), wad(-200)));
    assert_eq!(margin_inputs(&perp, 1)[5], wad(-200).into_raw());
    assert_eq!(margin_inputs(&perp, 1)[6], U256::ZERO);
}

#[motsu::test]
fn feed_skew_sums_the_markets_of_a_feed(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    assert_eq!(create_eth(&perp, admin).motsu_unwrap(), 2);
    let btc = perp.sender(admin).set_market_params(0, 8, eth_params()).motsu_unwrap();
    risk.trade_on(&perp, U256::from(1), 1, wad(30), U256::MAX).motsu_unwrap();
    risk.trade_on(&perp, U256::from(2), 2, wad(-50), U256::ZERO).motsu_unwrap();
    risk.trade_on(&perp, U256::from(3), btc, wad(10), U256::MAX).motsu_unwrap();
    assert_eq!(perp.sender(admin).feed_skew(7), wad(-20));
    assert_eq!(perp.sender(admin).feed_skew(8), wad(10));
    assert_eq!(perp.sender(admin).feed_skew(9), I256::ZERO);
    // A liquidation close moves it too.
    perp.sender(risk.address)
        .on_liquidation_close(U256::from(2), 2, wad(-50), wad(50), u(2000))
        .motsu_unwrap();
    assert_eq!(perp.sender(admin).feed_skew(7), wad(30));
    let inputs = perp.sender(admin).margin_inputs(vec![2, 1, btc]).motsu_unwrap();
    assert_eq!(inputs.len(), 3 * MARKET_INPUT_WORDS);
    assert_eq!(
        (inputs[5], inputs[12], inputs[19]),
        (I256::ZERO.into_raw(), wad(30).into_raw(), wad(10).into_raw())
    );
    assert_eq!(inputs[14], U256::from(8));
}

#[motsu::test]
fn acceptable_price_and_size_limits_are_enforced(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let fill = U256::from(2000 * W + W / 10);
    let account = U256::from(1);
    assert_eq!(
        risk.trade(&perp, account, wad(100), fill - U256::from(1)).motsu_unwrap_err(),
        err(Error::from(AcceptablePriceExceeded {
            fillPrice: fill,
            acceptablePrice: fill - U256::from(1)
        }))
    );
    // A sell fills at 2000 * (1 - 100 / 2e6) = 1999.9: a limit above it reverts.
    let sell_fill = U256::from(1999 * W + 9 * W / 10);
    assert_eq!(
        risk.trade(&perp, account, wad(-100), sell_fill + U256::from(1)).motsu_unwrap_err(),
        err(Error::from(AcceptablePriceExceeded {
            fillPrice: sell_fill,
            acceptablePrice: sell_fill + U256::from(1)
        }))
    );
    // A limit beyond uint128 is reported as sent, not saturated.
    assert_eq!(
        risk.trade(&perp, account, wad(-100), U256::MAX).motsu_unwrap_err(),
        err(Error::from(AcceptablePriceExceeded {
            fillPrice: sell_fill,
            acceptablePrice: U256::MAX
        }))
    );
    let size_error =
        |delta: I256| err(Error::from(TradeSizeOutOfBounds { marketId: 1, sizeDelta: delta }));
    assert_eq!(
        risk.trade(&perp, account, I256::ZERO, U256::MAX).motsu_unwrap_err(),
        size_error(I256::ZERO)
    );
    assert_eq!(
        risk.trade(&perp, account, wad(501), U256::MAX).motsu_unwrap_err(),
        size_error(wad(501))
    );
    let dust = I256::try_from(W / 1000).unwrap();
    assert_eq!(risk.trade(&perp, account, dust, U256::MAX).motsu_unwrap_err(), size_error(dust));
    // Open-interest cap 1,000 per side.
    for i in 0..2 {
        risk.trade(&perp, U256::from(10 + i), wad(500), U256::MAX).motsu_unwrap();
    }
    assert_eq!(
        risk.trade(&perp, account, wad(1), U256::MAX).motsu_unwrap_err(),
        err(Error::from(OpenInterestCapExceeded {
            marketId: 1,
            long: true,
            openInterest: u(1_001)
        }))
    );
    // Nothing moved on the refusals.
    assert_eq!(state_of(&perp).0, u(1_000));
    // Reducing a position leaves dust below the minimum: allowed.
    risk.trade(&perp, U256::from(10), -wad(500) + dust, U256::ZERO).motsu_unwrap();
    assert_eq!(state_of(&perp).0, u(500) + U256::from(W / 1000));
    let quoted = perp.sender(admin).quote(1, wad(1)).motsu_unwrap().0;
    assert_eq!(risk.trade(&perp, account, wad(1), U256::MAX).motsu_unwrap().0, quoted);
    let unknown = risk.trade_on(&perp, account, 3, wad(1), U256::MAX).motsu_unwrap_err();
    assert_eq!(unknown, err(Error::from(MarketNotFound { marketId: 3 })));
    // A size before that no int128 holds is refused, not wrapped.
    assert_eq!(
        perp.sender(risk.address)
            .on_trade(account, 1, I256::MAX, wad(1), U256::MAX)
            .motsu_unwrap_err(),
        err(Error::from(ValueOutOfRange { marketId: 1 }))
    );
}

#[motsu::test]
fn stale_price_is_reported_not_strict_and_prices_against_the_trader(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let (long, short) = (U256::from(1), U256::from(2));
    risk.trade(&perp, long, wad(10), U256::MAX).motsu_unwrap();
    risk.trade(&perp, short, wad(-10), U256::ZERO).motsu_unwrap();
    // Strict price unusable, lenient usable: the hook says so (RiskEngine
    // refuses the trade when it adds risk).
    oracle.sender(admin).set(u(2000), u(1990), u(2010), false, true);
    // Closing the long sells at the low price: 1990 * (1 + (0 - 10) / 2e6) = 1989.99005.
    let close_long = risk.trade(&perp, long, wad(-10), U256::ZERO).motsu_unwrap();
    assert_eq!(
        (close_long.0, close_long.3),
        (U256::from(1_989_990_050_000_000_000_000u128), false)
    );
    // Closing the short buys at the high price: 2010 * (1 + (-20 + 10) / 2e6) = 2009.98995.
    let close_short = risk.trade(&perp, short, wad(10), U256::MAX).motsu_unwrap();
    assert_eq!(
        (close_short.0, close_short.3),
        (U256::from(2_009_989_950_000_000_000_000u128), false)
    );
    let state = state_of(&perp);
    assert_eq!((state.0, state.1), (U256::ZERO, U256::ZERO));
    // No price at all: the oracle's own error.
    oracle.sender(admin).set(u(2000), u(1990), u(2010), false, false);
    let none = risk.trade(&perp, long, wad(-1), U256::ZERO).motsu_unwrap_err();
    assert_eq!(none, stale_error(oracle_usage::REDUCE_RISK_LOW));
    let none = risk.trade(&perp, long, wad(1), U256::MAX).motsu_unwrap_err();
    assert_eq!(none, stale_error(oracle_usage::REDUCE_RISK_HIGH));
    // Funding was brought to this block by the trades: the margin inputs
    // need no price.
    assert_eq!(margin_inputs(&perp, 1).len(), MARKET_INPUT_WORDS);
}

#[motsu::test]
fn pause_stops_risk_but_not_reduction(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let account = U256::from(1);
    risk.trade(&perp, account, wad(10), U256::MAX).motsu_unwrap();
    perp.sender(admin).roles.pause().motsu_unwrap();
    let paused: Vec<u8> = roles::Error::from(roles::ContractPaused {}).into();
    assert_eq!(risk.trade(&perp, account, wad(1), U256::MAX).motsu_unwrap_err(), paused);
    assert_eq!(risk.trade(&perp, account, wad(-11), U256::ZERO).motsu_unwrap_err(), paused);
    risk.trade(&perp, account, wad(-10), U256::ZERO).motsu_unwrap();
    assert_eq!(state_of(&perp).0, U256::ZERO);
}

#[motsu::test]
fn liquidation_close_is_risk_engine_only_and_moves_open_interest(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
    alice: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let account = U256::from(5);
    risk.trade(&perp, account, wad(200), U256::MAX).motsu_unwrap();
    assert_eq!(
        perp.sender(alice)
            .on_liquidation_close(account, 1, wad(200), wad(-50), u(1500))
            .motsu_unwrap_err(),
        err(Error::from(NotRiskEngine { caller: alice }))
    );
    // 1500 * (1 + (400 - 50) / 2e6) = 1500.2625, no fee.
    let (fill, index) = perp
        .sender(risk.address)
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
        perp.sender(risk.address)
            .on_liquidation_close(account, 1, wad(-500), wad(500), u(1500))
            .motsu_unwrap_err(),
        err(Error::from(ValueOutOfRange { marketId: 1 }))
    );
}

#[motsu::test]
fn zero_size_quote_is_the_mark_price_with_funding(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    risk.trade(&perp, U256::from(1), wad(400), U256::MAX).motsu_unwrap();
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
        perp.sender(admin).margin_inputs(vec![1, 2]).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 2 }))
    );
}

#[motsu::test]
fn position_reports_the_entry_and_the_pnl_at_the_closing_price(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
    alice: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let account = U256::from(3);
    let flat = (I256::ZERO, U256::ZERO, I256::ZERO, I256::ZERO, I256::ZERO);
    assert_eq!(perp.sender(alice).position(account, 1, I256::ZERO).motsu_unwrap(), flat);
    // Long 100 at 2000 * (1 + 100 / 2e6) = 2000.1.
    let fill = U256::from(2000 * W + W / 10);
    risk.trade(&perp, account, wad(100), U256::MAX).motsu_unwrap();
    // At the strict 2100: 100 * (2100 - 2000.1) = 9,990.
    oracle.sender(admin).set(u(2100), u(2050), u(2150), true, true);
    assert_eq!(
        perp.sender(alice).position(account, 1, wad(100)).motsu_unwrap(),
        (wad(100), fill, I256::ZERO, wad(9_990), I256::ZERO)
    );
    // Without a strict price a long is valued at the lower source (closing sells).
    oracle.sender(admin).set(u(2100), u(2050), u(2150), false, true);
    assert_eq!(perp.sender(alice).position(account, 1, wad(100)).motsu_unwrap().3, wad(4_990));
    // Adding (at a strict price again) re-enters the whole position at the new fill.
    oracle.sender(admin).set(u(2000), u(1990), u(2010), true, true);
    risk.trade(&perp, account, wad(100), U256::MAX).motsu_unwrap();
    // 2000 * (1 + (100 + 200) / 2e6) = 2000.3; 200 * (2000 - 2000.3) = -60.
    let refill = U256::from(2000 * W + 3 * W / 10);
    assert_eq!(
        perp.sender(alice).position(account, 1, wad(200)).motsu_unwrap(),
        (wad(200), refill, I256::ZERO, wad(-60), I256::ZERO)
    );
    // Closing clears the entry.
    risk.trade(&perp, account, wad(-200), U256::ZERO).motsu_unwrap();
    assert_eq!(perp.sender(alice).position(account, 1, I256::ZERO).motsu_unwrap(), flat);
    assert_eq!(
        perp.sender(alice).position(account, 2, I256::ZERO).motsu_unwrap_err(),
        err(Error::from(MarketNotFound { marketId: 2 }))
    );
}

#[motsu::test]
fn a_size_beyond_int128_is_out_of_range_not_zero(
    perp: Contract<PerpMarket>,
    oracle: Contract<MockOracle>,
    risk: Address,
    admin: Address,
) {
    let mut risk = setup(&perp, &oracle, risk, admin);
    let out_of_range = err(Error::from(ValueOutOfRange { marketId: 1 }));
    // It used to quote (and trade) as a size of zero: the mark price.
    for size in [I256::MAX, I256::MIN, I256::from_raw(U256::from(1u8) << 128)] {
        assert_eq!(perp.sender(admin).quote(1, size).motsu_unwrap_err(), out_of_range);
        assert_eq!(risk.trade(&perp, U256::from(1), size, U256::MAX).unwrap_err(), out_of_range);
    }
    assert_eq!(state_of(&perp).0, U256::ZERO, "no open interest moved");
}
