//! Contract-level tests (motsu) against test doubles of the Vault, the
//! OracleAdapter, PerpMarket and OptionsMarket: wiring and access control, operators, the
//! perp trade hook (strict price, initial margin, pause), withdrawals, a
//! stale price, liquidation paying the caller, bad-debt absorption, option
//! trades, settlement and an option liquidation.
//! The margin and liquidation arithmetic is tested natively in `margin` and
//! `liquidation` (motsu's clock is fixed).
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unused_self,
    clippy::unnecessary_wraps,
    clippy::needless_pass_by_value
)]

use alloy_primitives::{Address, B256, I256, U256};
use motsu::prelude::*;
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageMap, StorageU256},
};

use super::*;
use bulwark_margin_engine::MarginEngine;

const W: u128 = bulwark_math::WAD;
/// Revert data of the oracle double when no strict price is usable.
const STALE: [u8; 3] = [0xde, 0xad, 0x00];

/// Vault double: quote cash per account (WAD, two's complement), what it paid out.
#[storage]
struct MockVault {
    cash: StorageMap<U256, StorageU256>,
    paid_out: StorageU256,
    absorbed: StorageU256,
}

// SAFETY: a test double with no other storage at its root; motsu needs the
// marker trait that #[entrypoint] would derive.
unsafe impl TopLevelStorage for MockVault {}

#[public]
impl MockVault {
    pub fn set_cash(&mut self, account: U256, cash: I256) {
        self.cash.setter(account).set(cash.into_raw());
    }

    pub fn account_snapshot(&self, account: U256) -> Vec<U256> {
        vec![self.cash.get(account)]
    }

    pub fn settle(
        &mut self,
        account: U256,
        pnl: I256,
        fee: U256,
        _penalty: bool,
    ) -> Result<I256, Vec<u8>> {
        let cash = I256::from_raw(self.cash.get(account));
        let after = cash + pnl - I256::from_raw(fee);
        self.cash.setter(account).set(after.into_raw());
        Ok(pnl - I256::from_raw(fee))
    }

    pub fn withdraw(
        &mut self,
        account: U256,
        _token: Address,
        amount: U256,
        _to: Address,
    ) -> Result<(), Vec<u8>> {
        let cash = I256::from_raw(self.cash.get(account));
        if cash < I256::from_raw(amount) {
            return Err(b"InsufficientBalance".to_vec());
        }
        self.cash.setter(account).set((cash - I256::from_raw(amount)).into_raw());
        self.paid_out.set(self.paid_out.get() + amount);
        Ok(())
    }

    pub fn absorb_bad_debt(&mut self, account: U256) -> Result<(U256, U256), Vec<u8>> {
        let cash = I256::from_raw(self.cash.get(account));
        if cash >= I256::ZERO {
            return Ok((U256::ZERO, U256::ZERO));
        }
        self.cash.setter(account).set(U256::ZERO);
        self.absorbed.set(self.absorbed.get() + (-cash).into_raw());
        Ok(((-cash).into_raw(), U256::ZERO))
    }

    pub fn parameters(&self) -> (Address, Address, u16, u16, u16, u64, u64) {
        (Address::repeat_byte(0x99), Address::ZERO, 0, 0, 0, 0, 0)
    }

    pub fn collateral_config(&self, _token: Address) -> (bool, u8, U256, U256, u32) {
        (true, 18, U256::from(W), U256::MAX, 0)
    }
}

/// OracleAdapter double: one price for every feed; the strict usage can be made unusable.
#[storage]
struct MockOracle {
    price: StorageU256,
    strict_unusable: StorageBool,
}

// SAFETY: as for MockVault.
unsafe impl TopLevelStorage for MockOracle {}

#[public]
impl MockOracle {
    pub fn set(&mut self, price: U256, strict_unusable: bool) {
        self.price.set(price);
        self.strict_unusable.set(strict_unusable);
    }

    pub fn prices(&self, feed_ids: Vec<u32>, usage: u8) -> Result<Vec<U256>, Vec<u8>> {
        if usage == 0 && self.strict_unusable.get() {
            return Err(STALE.to_vec());
        }
        Ok(feed_ids.iter().map(|_| self.price.get()).collect())
    }

    pub fn volatilities(&self, queries: Vec<U256>, _usage: u8) -> Vec<U256> {
        queries.iter().map(|_| U256::from(8 * W / 10)).collect()
    }
}

/// PerpMarket double: fills liquidation closes at the oracle price, funding zero.
#[storage]
struct MockPerp {
    closes: StorageU256,
}

// SAFETY: as for MockVault.
unsafe impl TopLevelStorage for MockPerp {}

#[public]
impl MockPerp {
    pub fn funding_indexes(&self, market_ids: Vec<u32>) -> Vec<I256> {
        market_ids.iter().map(|_| I256::ZERO).collect()
    }

    pub fn on_liquidation_close(
        &mut self,
        _account: U256,
        _market_id: u32,
        _size_before: I256,
        _size_delta: I256,
        oracle_price: U256,
    ) -> (U256, I256) {
        self.closes.set(self.closes.get() + U256::from(1u8));
        (oracle_price, I256::ZERO)
    }
}

/// OptionsMarket double: settles every series at 2,100 and pays calls struck at 2,000.
#[storage]
struct MockOptions {
    settled: StorageU256,
}

// SAFETY: as for MockVault.
unsafe impl TopLevelStorage for MockOptions {}

#[public]
impl MockOptions {
    pub fn on_settlement(&mut self, _series_id: B256, amount: I256) -> (U256, I256) {
        self.settled.set(self.settled.get() + U256::from(1u8));
        (u(2_100), amount * I256::try_from(100).unwrap())
    }

    pub fn on_liquidation_close(
        &mut self,
        _series_id: B256,
        amount_delta: I256,
        _spot: U256,
    ) -> I256 {
        amount_delta * I256::try_from(50).unwrap()
    }
}

fn wad(units: i128) -> I256 {
    I256::try_from(units * bulwark_math::SIGNED_WAD).unwrap()
}

fn u(units: u128) -> U256 {
    U256::from(units * W)
}

fn err(e: impl alloy_sol_types::SolError) -> Vec<u8> {
    e.abi_encode()
}

struct World<'a> {
    engine: &'a Contract<RiskEngine>,
    vault: &'a Contract<MockVault>,
    oracle: &'a Contract<MockOracle>,
    perp: &'a Contract<MockPerp>,
    /// The real MarginEngine, which values the books.
    _margin: Contract<MarginEngine>,
    admin: Address,
}

/// Engine wired to the doubles; market 1 on feed 7: IM 10%, MM 5%, scales 1e6; ETH at 2,000.
fn setup<'a>(
    engine: &'a Contract<RiskEngine>,
    vault: &'a Contract<MockVault>,
    oracle: &'a Contract<MockOracle>,
    perp: &'a Contract<MockPerp>,
    admin: Address,
) -> World<'a> {
    setup_with(engine, vault, oracle, perp, Address::repeat_byte(0x77), admin)
}

fn setup_with<'a>(
    engine: &'a Contract<RiskEngine>,
    vault: &'a Contract<MockVault>,
    oracle: &'a Contract<MockOracle>,
    perp: &'a Contract<MockPerp>,
    options: Address,
    admin: Address,
) -> World<'a> {
    let margin = Contract::<MarginEngine>::new();
    engine
        .sender(admin)
        .constructor(admin, vault.address(), oracle.address(), margin.address())
        .motsu_unwrap();
    engine.sender(admin).set_markets(perp.address(), options).motsu_unwrap();
    engine
        .sender(perp.address())
        .configure_perp_market(
            1,
            7,
            U256::from(W / 10),
            U256::from(W / 20),
            u(1_000_000),
            u(1_000_000),
        )
        .motsu_unwrap();
    oracle.sender(admin).set(u(2_000), false);
    World { engine, vault, oracle, perp, _margin: margin, admin }
}

impl World<'_> {
    fn trade(
        &self,
        trader: Address,
        size: i128,
        price: u128,
        strict: bool,
    ) -> Result<I256, Vec<u8>> {
        let account = account::account_id(trader, 0);
        self.engine.sender(self.perp.address()).apply_perp_trade(
            trader,
            account,
            1,
            wad(size),
            u(price),
            U256::ZERO,
            vec![I256::ZERO; 2],
            strict,
        )
    }
}

#[test]
fn storage_root_fits_its_fields() {
    // The roles struct (4 slots) + 18 single-slot fields.
    assert_eq!(<Roles as StorageType>::REQUIRED_SLOTS, 4);
    assert_eq!(<RiskEngine as StorageType>::REQUIRED_SLOTS, 4 + 18);
}

#[motsu::test]
fn hooks_reject_callers_that_are_not_the_wired_market(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    mallory: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let account = account::account_id(mallory, 0);
    let refused = err(NotWiredMarket { caller: mallory });
    assert_eq!(
        w.engine
            .sender(mallory)
            .apply_perp_trade(
                mallory,
                account,
                1,
                wad(1),
                u(2_000),
                U256::ZERO,
                vec![I256::ZERO; 2],
                true
            )
            .motsu_unwrap_err(),
        refused
    );
    assert_eq!(
        w.engine
            .sender(mallory)
            .configure_perp_market(2, 7, u(1), u(1), u(1), u(1))
            .motsu_unwrap_err(),
        refused
    );
    assert_eq!(
        w.engine
            .sender(mallory)
            .register_series(B256::ZERO, 7, u(2_000), 1, true)
            .motsu_unwrap_err(),
        refused
    );
    assert!(w.engine.sender(mallory).set_markets(mallory, mallory).is_err());
    assert!(w.engine.sender(w.admin).set_risk_parameters(vec![U256::ZERO; 3]).is_err());
}

#[motsu::test]
fn only_owner_or_operator_trades(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    alice: Address,
    bob: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let account = account::account_id(alice, 0);
    w.vault.sender(admin).set_cash(account, wad(10_000));
    let by_bob = w.engine.sender(w.perp.address()).apply_perp_trade(
        bob,
        account,
        1,
        wad(1),
        u(2_000),
        U256::ZERO,
        vec![I256::ZERO; 2],
        true,
    );
    assert_eq!(by_bob.motsu_unwrap_err(), err(NotAccountOperator { account, caller: bob }));
    w.engine.sender(alice).set_operator(bob, true).motsu_unwrap();
    let again = w.engine.sender(w.perp.address()).apply_perp_trade(
        bob,
        account,
        1,
        wad(1),
        u(2_000),
        U256::ZERO,
        vec![I256::ZERO; 2],
        true,
    );
    assert_eq!(again.motsu_unwrap(), I256::ZERO);
}

#[motsu::test]
fn adding_risk_needs_a_strict_price_and_initial_margin(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    alice: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let account = account::account_id(alice, 0);
    w.vault.sender(admin).set_cash(account, wad(1_000));
    // 10 ETH needs 2,000 * 10 * 10.001% + gas reserve > 1,000.
    let refused = w.trade(alice, 10, 2_000, true).motsu_unwrap_err();
    assert!(refused.starts_with(
        &err(InsufficientMargin { account, equity: I256::ZERO, required: U256::ZERO })[..4]
    ));
    assert_eq!(w.trade(alice, 4, 2_000, false).motsu_unwrap_err(), err(PriceNotStrict { account }));
    assert_eq!(w.trade(alice, 4, 2_000, true).motsu_unwrap(), I256::ZERO);
    // Reducing goes through on a lenient price.
    assert_eq!(w.trade(alice, -1, 2_000, false).motsu_unwrap(), wad(4));
    assert_eq!(w.engine.sender(alice).perp_position(account, 1).0, wad(3));
    // Paused: adding risk stops, reducing does not.
    w.engine.sender(w.admin).roles.pause().motsu_unwrap();
    assert!(w.trade(alice, 1, 2_000, true).is_err());
    assert_eq!(w.trade(alice, -1, 2_000, true).motsu_unwrap(), wad(3));
}

#[motsu::test]
fn withdrawal_keeps_initial_margin_and_stops_on_a_stale_price(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    alice: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let account = account::account_id(alice, 0);
    let quote = Address::repeat_byte(0x99);
    w.vault.sender(admin).set_cash(account, wad(3_000));
    w.trade(alice, 5, 2_000, true).motsu_unwrap();
    // IM = 10,000 * 10.0005% + 2 gas = 1,002.05: 1,900 may go, 2,000 may not.
    let too_much =
        w.engine.sender(alice).withdraw(account, quote, u(2_000), alice).motsu_unwrap_err();
    assert_eq!(
        too_much[..4],
        err(InsufficientMargin { account, equity: I256::ZERO, required: U256::ZERO })[..4]
    );
    w.engine.sender(alice).withdraw(account, quote, u(1_900), alice).motsu_unwrap();
    // A stale strict price: withdrawals stop with the oracle's error, views still answer.
    w.oracle.sender(admin).set(u(2_000), true);
    assert_eq!(
        w.engine.sender(alice).withdraw(account, quote, u(1), alice).motsu_unwrap_err(),
        STALE.to_vec()
    );
    assert!(!w.engine.sender(alice).is_liquidatable(account).motsu_unwrap());
    // Adding risk on the stale price stops at the hook (PerpMarket passes strict = false).
    assert_eq!(w.trade(alice, 1, 2_000, false).motsu_unwrap_err(), err(PriceNotStrict { account }));
}

#[motsu::test]
fn liquidation_pays_the_caller_and_stops_at_the_target(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    alice: Address,
    bot: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let account = account::account_id(alice, 0);
    w.vault.sender(admin).set_cash(account, wad(4_100));
    // Initial margin 40,000 * 10.002% + 2 = 4,002.8.
    w.trade(alice, 20, 2_000, true).motsu_unwrap();
    assert!(w.engine.sender(bot).liquidate(account).is_err());
    // 2,000 -> 1,880: equity 1,700, maintenance 37,600 * 5.001% + 2 = 1,882.4.
    w.oracle.sender(admin).set(u(1_880), false);
    assert!(w.engine.sender(bot).is_liquidatable(account).motsu_unwrap());
    let (equity, _, maintenance, ratio) =
        w.engine.sender(bot).account_health(account).motsu_unwrap();
    assert!(equity < I256::try_from(maintenance).unwrap());
    let (to_liquidator, _, keys, deltas) =
        w.engine.sender(bot).preview_liquidation(account).motsu_unwrap();
    assert_eq!(keys, vec![B256::from(U256::from(1u8))]);
    assert!(deltas[0] < I256::ZERO && deltas[0] > wad(-20));
    let paid = w.engine.sender(bot).liquidate(account).motsu_unwrap();
    assert_eq!(paid, to_liquidator);
    assert_eq!(w.vault.sender(admin).paid_out.get(), paid);
    assert!(paid >= U256::from(2 * W));
    // Partial: the position is smaller but open, and the account is healthy again.
    let (size, _) = w.engine.sender(bot).perp_position(account, 1);
    assert!(size > I256::ZERO && size < wad(20));
    let (_, _, _, ratio_after) = w.engine.sender(bot).account_health(account).motsu_unwrap();
    assert!(ratio_after > ratio);
    assert!(!w.engine.sender(bot).is_liquidatable(account).motsu_unwrap());
    assert_eq!(w.perp.sender(admin).closes.get(), U256::from(1u8));
}

#[motsu::test]
fn insolvent_account_is_closed_and_its_bad_debt_recorded(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    alice: Address,
    bot: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let account = account::account_id(alice, 0);
    w.vault.sender(admin).set_cash(account, wad(4_100));
    w.trade(alice, 20, 2_000, true).motsu_unwrap();
    // 2,000 -> 1,700: a loss of 6,000 on 4,100 of cash.
    w.oracle.sender(admin).set(u(1_700), false);
    let paid = w.engine.sender(bot).liquidate(account).motsu_unwrap();
    assert_eq!(paid, U256::ZERO);
    assert_eq!(w.engine.sender(bot).perp_position(account, 1).0, I256::ZERO);
    assert_eq!(w.vault.sender(admin).absorbed.get(), u(1_900));
    assert_eq!(w.engine.sender(bot).bad_debt(1), u(1_900));
    assert_eq!(w.engine.sender(bot).bad_debt(TOTAL_BAD_DEBT), u(1_900));
    // Recorded once: nothing is left to liquidate.
    assert!(w.engine.sender(bot).liquidate(account).is_err());
    assert_eq!(w.engine.sender(bot).bad_debt(TOTAL_BAD_DEBT), u(1_900));
}

/// motsu's fixed block timestamp.
const NOW: u64 = 1_735_689_600;

#[motsu::test]
fn option_trades_are_margined_and_expired_series_settle(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    options: Contract<MockOptions>,
    admin: Address,
    alice: Address,
) {
    let w = setup_with(&engine, &vault, &oracle, &perp, options.address(), admin);
    let account = account::account_id(alice, 0);
    let live = B256::repeat_byte(1);
    let expired = B256::repeat_byte(2);
    let market = options.address();
    w.engine
        .sender(market)
        .register_series(live, 7, u(2_000), NOW + 30 * 86_400, true)
        .motsu_unwrap();
    w.engine.sender(market).register_series(expired, 7, u(2_000), NOW - 1, true).motsu_unwrap();
    assert_eq!(
        w.engine
            .sender(market)
            .register_series(live, 7, u(2_000), NOW + 1, true)
            .motsu_unwrap_err(),
        err(UnknownSeries { seriesId: live })
    );
    w.vault.sender(admin).set_cash(account, wad(100));
    // A naked short call needs its worst scenario loss (about 480 at 80% vol) plus the add-on.
    let short = |amount: i128, strict: bool| {
        w.engine.sender(market).apply_option_trade(
            alice,
            account,
            live,
            wad(amount),
            wad(-180),
            U256::ZERO,
            strict,
        )
    };
    let refused = short(-1, true).motsu_unwrap_err();
    assert_eq!(
        refused[..4],
        err(InsufficientMargin { account, equity: I256::ZERO, required: U256::ZERO })[..4]
    );
    assert_eq!(short(-1, false).motsu_unwrap_err(), err(PriceNotStrict { account }));
    w.vault.sender(admin).set_cash(account, wad(1_000));
    assert_eq!(short(-1, true).motsu_unwrap(), (I256::ZERO, I256::ZERO));
    assert_eq!(w.engine.sender(alice).option_amount(account, live), wad(-1));
    // The premium was received.
    assert_eq!(I256::from_raw(w.vault.sender(admin).cash.get(account)), wad(1_180));
    // A long in the expired series (worth its intrinsic value), then settlement.
    w.engine
        .sender(market)
        .apply_option_trade(alice, account, expired, wad(2), wad(150), U256::ZERO, true)
        .motsu_unwrap();
    assert_eq!(w.engine.sender(alice).settle_options(account).motsu_unwrap(), 1);
    assert_eq!(w.engine.sender(alice).option_amount(account, expired), I256::ZERO);
    assert_eq!(w.engine.sender(alice).option_amount(account, live), wad(-1));
    // Paid 150 premium, received 2 x 100 at settlement.
    assert_eq!(I256::from_raw(w.vault.sender(admin).cash.get(account)), wad(1_230));
    assert_eq!(options.sender(admin).settled.get(), U256::from(1u8));
    // Unknown series are refused.
    let unknown = B256::repeat_byte(9);
    assert_eq!(
        w.engine
            .sender(market)
            .apply_option_trade(alice, account, unknown, wad(1), I256::ZERO, U256::ZERO, true)
            .motsu_unwrap_err(),
        err(UnknownSeries { seriesId: unknown })
    );
}

#[motsu::test]
fn short_option_is_liquidated_through_the_options_hook(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    options: Contract<MockOptions>,
    admin: Address,
    alice: Address,
    bot: Address,
) {
    let w = setup_with(&engine, &vault, &oracle, &perp, options.address(), admin);
    let account = account::account_id(alice, 0);
    let live = B256::repeat_byte(1);
    let market = options.address();
    w.engine
        .sender(market)
        .register_series(live, 7, u(2_000), NOW + 30 * 86_400, true)
        .motsu_unwrap();
    w.vault.sender(admin).set_cash(account, wad(2_000));
    w.engine
        .sender(market)
        .apply_option_trade(alice, account, live, wad(-2), wad(-360), U256::ZERO, true)
        .motsu_unwrap();
    assert!(!w.engine.sender(bot).is_liquidatable(account).motsu_unwrap());
    // The account loses most of its cash elsewhere: equity 700 - 2 x 183 < maintenance.
    w.vault.sender(admin).set_cash(account, wad(700));
    assert!(w.engine.sender(bot).is_liquidatable(account).motsu_unwrap());
    let (to_liquidator, _, keys, deltas) =
        w.engine.sender(bot).preview_liquidation(account).motsu_unwrap();
    assert_eq!(keys, vec![live]);
    assert!(deltas[0] > I256::ZERO);
    let paid = w.engine.sender(bot).liquidate(account).motsu_unwrap();
    assert_eq!(paid, to_liquidator);
    assert!(paid >= U256::from(2 * W));
    let left = w.engine.sender(bot).option_amount(account, live);
    assert!(left > wad(-2) && left <= I256::ZERO);
}

#[motsu::test]
fn stored_parameters_outside_their_bounds_revert_instead_of_defaulting(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let stored = w.engine.sender(admin).risk_parameters().motsu_unwrap();
    assert_eq!(stored[0], U256::from(RiskParams::DEFAULT.to_values()[0]));
    // Word 0 holds imFactor and mmFactor; zero is below imFactor's bound.
    w.engine.sender(admin).params.setter(0u8).set(U256::ZERO);
    let err = w.engine.sender(admin).risk_parameters().motsu_unwrap_err();
    assert_eq!(err, InvalidParameter { index: 0 }.abi_encode());
}
