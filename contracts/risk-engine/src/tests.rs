//! Contract-level tests (motsu) against test doubles of the Vault, the
//! OracleAdapter, PerpMarket and OptionsMarket: wiring and access control,
//! operators, perp trades through PerpMarket's hook (strict price, initial
//! margin, pause), withdrawals, a stale price, liquidation paying the
//! caller, bad-debt absorption, option trades with registration at the
//! first trade, settlement and an option liquidation.
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
    storage::{StorageBool, StorageI256, StorageMap, StorageU256},
};

use super::*;
use bulwark_common::roles;
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

    pub fn pay_liquidator(
        &mut self,
        account: U256,
        amount: U256,
        _to: Address,
    ) -> Result<(), Vec<u8>> {
        // The quote has 18 decimals here: units are WAD. Cash may go negative.
        let cash = I256::from_raw(self.cash.get(account));
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

/// PerpMarket double: fills trades at a set price (strict or not) and
/// liquidation closes at the oracle price; funding zero; every market on
/// feed 7 with IM 10%, MM 5%, scales 1e6.
#[storage]
struct MockPerp {
    closes: StorageU256,
    fill: StorageU256,
    lenient: StorageBool,
    /// The size before that RiskEngine told the last trade hook.
    size_before: StorageI256,
}

// SAFETY: as for MockVault.
unsafe impl TopLevelStorage for MockPerp {}

#[public]
impl MockPerp {
    pub fn set_fill(&mut self, fill: U256, lenient: bool) {
        self.fill.set(fill);
        self.lenient.set(lenient);
    }

    pub fn on_trade(
        &mut self,
        _account: U256,
        _market_id: u32,
        size_before: I256,
        _size_delta: I256,
        _acceptable_price: U256,
    ) -> (U256, U256, I256, bool) {
        self.size_before.set(size_before);
        (self.fill.get(), U256::ZERO, I256::ZERO, !self.lenient.get())
    }

    pub fn margin_inputs(&self, market_ids: Vec<u32>) -> Vec<U256> {
        let market =
            [U256::from(7), U256::from(W / 10), U256::from(W / 20), u(1_000_000), u(1_000_000)];
        market_ids.iter().flat_map(|_| market.into_iter().chain([U256::ZERO, U256::ZERO])).collect()
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

/// What OptionsMarket's trade hook returns.
type OptionTrade = (I256, U256, bool, u32, U256, u64, bool);

/// OptionsMarket double: calls on feed 7 struck at 2,000 (or a set strike)
/// with the expiry they were listed with; trades at a set premium per
/// contract; settles every series at 2,100 paying 100 per contract.
#[storage]
struct MockOptions {
    settled: StorageU256,
    expiries: StorageMap<B256, StorageU256>,
    premium: StorageI256,
    lenient: StorageBool,
    strike: StorageU256,
}

// SAFETY: as for MockVault.
unsafe impl TopLevelStorage for MockOptions {}

#[public]
impl MockOptions {
    pub fn list(&mut self, series_id: B256, expiry: u64) {
        self.expiries.setter(series_id).set(U256::from(expiry));
    }

    pub fn set_premium(&mut self, per_contract: I256, lenient: bool) {
        self.premium.set(per_contract);
        self.lenient.set(lenient);
    }

    pub fn set_strike(&mut self, strike: U256) {
        self.strike.set(strike);
    }

    pub fn on_trade(
        &mut self,
        _account: U256,
        series_id: B256,
        _amount_before: I256,
        amount: I256,
        _limit_premium: I256,
    ) -> Result<OptionTrade, Vec<u8>> {
        let expiry = self.expiries.get(series_id);
        if expiry.is_zero() {
            return Err(b"SeriesNotListed".to_vec());
        }
        let premium = amount * self.premium.get() / wad(1);
        let strike = if self.strike.get().is_zero() { u(2_000) } else { self.strike.get() };
        Ok((premium, U256::ZERO, !self.lenient.get(), 7, strike, expiry.to(), true))
    }

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
    oracle.sender(admin).set(u(2_000), false);
    World { engine, vault, oracle, perp, _margin: margin, admin }
}

impl World<'_> {
    /// `trader` trades `size` of market 1 for its account 0, filled at
    /// `price` on a strict price or not; returns the fill.
    fn trade(
        &self,
        trader: Address,
        size: i128,
        price: u128,
        strict: bool,
    ) -> Result<U256, Vec<u8>> {
        self.trade_for(trader, account::account_id(trader, 0), size, price, strict)
    }

    fn trade_for(
        &self,
        caller: Address,
        account: U256,
        size: i128,
        price: u128,
        strict: bool,
    ) -> Result<U256, Vec<u8>> {
        self.perp.sender(self.admin).set_fill(u(price), !strict);
        let acceptable = if size > 0 { U256::MAX } else { U256::ZERO };
        self.engine.sender(caller).trade_perp(account, 1, wad(size), acceptable)
    }

    /// The size before that the last trade hook was told.
    fn size_before(&self) -> I256 {
        self.perp.sender(self.admin).size_before.get()
    }
}

#[test]
fn storage_root_fits_its_fields() {
    // The roles struct (4 slots) + 16 single-slot fields.
    assert_eq!(<Roles as StorageType>::REQUIRED_SLOTS, 4);
    assert_eq!(<RiskEngine as StorageType>::REQUIRED_SLOTS, 4 + 16);
}

#[motsu::test]
fn wiring_is_admin_only_and_market_ids_are_bounded(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    mallory: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let unauthorized: Vec<u8> =
        roles::Error::from(roles::Unauthorized { caller: mallory, role: roles::ADMIN }).into();
    assert_eq!(
        w.engine.sender(mallory).set_markets(mallory, mallory).motsu_unwrap_err(),
        unauthorized
    );
    assert_eq!(
        w.engine.sender(admin).set_markets(Address::ZERO, mallory).motsu_unwrap_err(),
        err(InvalidParameter { index: 200 })
    );
    assert_eq!(w.engine.sender(admin).markets(), (perp.address(), Address::repeat_byte(0x77)));
    // Wired once: a market that could be replaced could invent fills.
    assert_eq!(
        w.engine.sender(admin).set_markets(mallory, mallory).motsu_unwrap_err(),
        err(MarketsAlreadySet {
            perpMarket: perp.address(),
            optionsMarket: Address::repeat_byte(0x77)
        })
    );
    assert_eq!(w.engine.sender(admin).markets().0, perp.address());
    assert!(w.engine.sender(w.admin).set_risk_parameters(vec![U256::ZERO; 3]).is_err());
    // Market ids stop below 64 (one bit each in the account header).
    let account = account::account_id(mallory, 0);
    w.vault.sender(admin).set_cash(account, wad(10_000));
    assert_eq!(
        w.engine.sender(mallory).trade_perp(account, 64, wad(1), U256::MAX).motsu_unwrap_err(),
        err(UnknownMarket { marketId: 64 })
    );
    // A size no int128 holds is refused before any call.
    assert_eq!(
        w.engine.sender(mallory).trade_perp(account, 1, I256::MAX, U256::MAX).motsu_unwrap_err(),
        err(ValueOutOfRange { account })
    );
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
    assert_eq!(
        w.trade_for(bob, account, 1, 2_000, true).motsu_unwrap_err(),
        err(NotAccountOperator { account, caller: bob })
    );
    assert_eq!(w.engine.sender(alice).perp_position(account, 1).0, I256::ZERO);
    w.engine.sender(alice).set_operator(bob, OPERATOR_TRADE).motsu_unwrap();
    assert_eq!(w.trade_for(bob, account, 1, 2_000, true).motsu_unwrap(), u(2_000));
    assert_eq!(w.engine.sender(alice).perp_position(account, 1).0, wad(1));
    // A trading key never moves funds, not even to the owner.
    let quote = Address::repeat_byte(0x99);
    for to in [bob, alice] {
        assert_eq!(
            w.engine.sender(bob).withdraw(account, quote, u(1), to).motsu_unwrap_err(),
            err(OperatorScopeExceeded { account, caller: bob, scope: OPERATOR_TRADE, to })
        );
    }
    // Scope 2 withdraws to the owner only; scope 3 anywhere.
    w.engine.sender(alice).set_operator(bob, OPERATOR_TO_OWNER).motsu_unwrap();
    assert_eq!(
        w.engine.sender(bob).withdraw(account, quote, u(1), bob).motsu_unwrap_err(),
        err(OperatorScopeExceeded { account, caller: bob, scope: OPERATOR_TO_OWNER, to: bob })
    );
    w.engine.sender(bob).withdraw(account, quote, u(1), alice).motsu_unwrap();
    w.engine.sender(alice).set_operator(bob, OPERATOR_FULL).motsu_unwrap();
    w.engine.sender(bob).withdraw(account, quote, u(1), bob).motsu_unwrap();
    assert_eq!(w.vault.sender(admin).paid_out.get(), u(2));
    assert_eq!(w.engine.sender(bob).operator_scope(alice, bob), OPERATOR_FULL);
    assert_eq!(
        w.engine.sender(alice).set_operator(bob, 4).motsu_unwrap_err(),
        err(InvalidOperatorScope { scope: 4 })
    );
    // Revoked: refused again.
    w.engine.sender(alice).set_operator(bob, 0).motsu_unwrap();
    assert!(w.trade_for(bob, account, 1, 2_000, true).is_err());
    assert_eq!(
        w.engine.sender(bob).withdraw(account, quote, u(1), alice).motsu_unwrap_err(),
        err(NotAccountOperator { account, caller: bob })
    );
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
    assert_eq!(w.trade(alice, 4, 2_000, true).motsu_unwrap(), u(2_000));
    assert_eq!(w.size_before(), I256::ZERO);
    // Reducing goes through on a lenient price; the hook is told the size.
    assert_eq!(w.trade(alice, -1, 1_990, false).motsu_unwrap(), u(1_990));
    assert_eq!(w.size_before(), wad(4));
    assert_eq!(w.engine.sender(alice).perp_position(account, 1).0, wad(3));
    // Paused: adding risk stops before the hook, reducing does not.
    w.engine.sender(w.admin).roles.pause().motsu_unwrap();
    let paused: Vec<u8> = roles::Error::from(roles::ContractPaused {}).into();
    assert_eq!(w.trade(alice, 1, 2_000, true).motsu_unwrap_err(), paused);
    assert_eq!(w.trade(alice, -1, 2_000, true).motsu_unwrap(), u(2_000));
    assert_eq!(w.size_before(), wad(3));
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
    // Nothing is left for a bonus, but the keeper is paid the gas reserve
    // (2), as the preview says, and that is bad debt too.
    let preview = w.engine.sender(bot).preview_liquidation(account).motsu_unwrap();
    let paid = w.engine.sender(bot).liquidate(account).motsu_unwrap();
    assert_eq!((paid, preview.0), (u(2), u(2)));
    assert_eq!(w.vault.sender(admin).paid_out.get(), u(2));
    assert_eq!(w.engine.sender(bot).perp_position(account, 1).0, I256::ZERO);
    assert_eq!(w.vault.sender(admin).absorbed.get(), u(1_902));
    assert_eq!(w.engine.sender(bot).bad_debt(1), u(1_902));
    assert_eq!(w.engine.sender(bot).bad_debt(TOTAL_BAD_DEBT), u(1_902));
    // Recorded once: nothing is left to liquidate.
    assert!(w.engine.sender(bot).liquidate(account).is_err());
    assert_eq!(w.engine.sender(bot).bad_debt(TOTAL_BAD_DEBT), u(1_902));
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
    let live_expiry = NOW + 30 * 86_400;
    options.sender(admin).list(live, live_expiry);
    options.sender(admin).list(expired, NOW - 1);
    w.vault.sender(admin).set_cash(account, wad(100));
    // A naked short call needs its worst scenario loss (about 480 at 80% vol)
    // plus the add-on; the seller receives 180 per contract.
    let short = |amount: i128, strict: bool| {
        options.sender(admin).set_premium(wad(180), !strict);
        w.engine.sender(alice).trade_option(account, live, wad(amount), I256::MIN)
    };
    let refused = short(-1, true).motsu_unwrap_err();
    assert_eq!(
        refused[..4],
        err(InsufficientMargin { account, equity: I256::ZERO, required: U256::ZERO })[..4]
    );
    assert_eq!(short(-1, false).motsu_unwrap_err(), err(PriceNotStrict { account }));
    // Nothing was registered by the refused trades.
    assert_eq!(w.engine.sender(alice).option_amount(account, live), I256::ZERO);
    w.vault.sender(admin).set_cash(account, wad(1_000));
    assert_eq!(short(-1, true).motsu_unwrap(), wad(-180));
    // The first trade registered the series with the hook's terms.
    assert!(w.engine.emitted(&Configured {
        kind: 4,
        key: live,
        values: vec![U256::ZERO, U256::from(7), u(2_000), U256::from(live_expiry), U256::from(1)],
    }));
    assert_eq!(w.engine.sender(alice).option_amount(account, live), wad(-1));
    // The premium was received.
    assert_eq!(I256::from_raw(w.vault.sender(admin).cash.get(account)), wad(1_180));
    // A long in the expired series (worth its intrinsic value), then settlement.
    options.sender(admin).set_premium(wad(75), false);
    assert_eq!(
        w.engine.sender(alice).trade_option(account, expired, wad(2), I256::MAX).motsu_unwrap(),
        wad(150)
    );
    assert_eq!(w.engine.sender(alice).settle_options(account).motsu_unwrap(), 1);
    assert_eq!(w.engine.sender(alice).option_amount(account, expired), I256::ZERO);
    assert_eq!(w.engine.sender(alice).option_amount(account, live), wad(-1));
    // Paid 150 premium, received 2 x 100 at settlement.
    assert_eq!(I256::from_raw(w.vault.sender(admin).cash.get(account)), wad(1_230));
    assert_eq!(options.sender(admin).settled.get(), U256::from(1u8));
    // OptionsMarket's own refusal passes through unchanged.
    let unknown = B256::repeat_byte(9);
    assert_eq!(
        w.engine.sender(alice).trade_option(account, unknown, wad(1), I256::MAX).motsu_unwrap_err(),
        b"SeriesNotListed".to_vec()
    );
    // Only the owner or an operator trades options too.
    assert_eq!(
        w.engine.sender(admin).trade_option(account, live, wad(1), I256::MAX).motsu_unwrap_err(),
        err(NotAccountOperator { account, caller: admin })
    );
}

#[motsu::test]
fn a_series_struck_beyond_the_book_range_is_not_registered(
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
    let series = B256::repeat_byte(3);
    options.sender(admin).list(series, NOW + 86_400);
    options.sender(admin).set_premium(wad(1), false);
    options.sender(admin).set_strike(U256::from(1u8) << 100);
    w.vault.sender(admin).set_cash(account, wad(1_000));
    assert_eq!(
        w.engine.sender(alice).trade_option(account, series, wad(1), I256::MAX).motsu_unwrap_err(),
        err(ValueOutOfRange { account })
    );
    // Below the bound it registers as index 0.
    options.sender(admin).set_strike(u(3_000));
    w.engine.sender(alice).trade_option(account, series, wad(1), I256::MAX).motsu_unwrap();
    assert_eq!(w.engine.sender(alice).option_amount(account, series), wad(1));
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
    options.sender(admin).list(live, NOW + 30 * 86_400);
    options.sender(admin).set_premium(wad(180), false);
    w.vault.sender(admin).set_cash(account, wad(2_000));
    w.engine.sender(alice).trade_option(account, live, wad(-2), I256::MIN).motsu_unwrap();
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

#[motsu::test]
fn risk_parameters_are_announced_and_wait_before_they_apply(
    engine: Contract<RiskEngine>,
    vault: Contract<MockVault>,
    oracle: Contract<MockOracle>,
    perp: Contract<MockPerp>,
    admin: Address,
    mallory: Address,
) {
    let w = setup(&engine, &vault, &oracle, &perp, admin);
    let defaults = RiskParams::DEFAULT.to_values();
    let mut raised: Vec<U256> = defaults.iter().map(|v| U256::from(*v)).collect();
    raised[0] *= U256::from(2u8);
    let unauthorized: Vec<u8> =
        roles::Error::from(roles::Unauthorized { caller: mallory, role: roles::ADMIN }).into();
    assert_eq!(
        w.engine.sender(mallory).set_risk_parameters(raised.clone()).motsu_unwrap_err(),
        unauthorized
    );
    w.engine.sender(admin).set_risk_parameters(raised.clone()).motsu_unwrap();
    let effective_at = NOW + RISK_PARAMS_DELAY;
    assert!(w.engine.emitted(&Configured {
        kind: 3,
        key: B256::from(U256::from(effective_at)),
        values: raised.clone(),
    }));
    assert_eq!(w.engine.sender(mallory).pending_risk_parameters(), effective_at);
    // Not in force yet, and not before its time (motsu's clock is fixed; the
    // application is tested on the sandbox, `flows.rs`).
    let in_force = w.engine.sender(mallory).risk_parameters().motsu_unwrap();
    assert_eq!(in_force[0], U256::from(defaults[0]));
    assert_eq!(
        w.engine.sender(mallory).apply_risk_parameters().motsu_unwrap_err(),
        err(RiskParametersNotDue { effectiveAt: effective_at, now: NOW })
    );
}
