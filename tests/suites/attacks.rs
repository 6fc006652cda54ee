//! Adversaries: a collateral token that re-enters, donations and the
//! first-depositor inflation attack on the LP pool, sandwiches around a large
//! trade (price impact and funding), moving another account's margin with
//! skew in one block, trades designed to end below initial margin, and
//! liquidating yourself for the bonus.

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolCall;
use bulwark_tests::bindings::{
    perp::IPerpMarket, risk::IRiskEngine, token::MockErc20, vault::IVault,
};
use bulwark_tests::model::{close_cost, fee_units, fill_price, perp_margin, s, trade_fee};
use bulwark_tests::protocol::{swad, usd, Protocol, LP, TRADERS};
use bulwark_tests::{assert_error, success, wad};

fn set_reentry(p: &mut Protocol, target: Address, data: Vec<u8>) {
    let call = MockErc20::setReentryCall { target, data: data.into() };
    success(&p.chain.send(TRADERS[3], p.token, &call), "setReentry");
}

/// A trader's wealth: wallet plus the account's cash, token units.
fn wealth(p: &mut Protocol, trader: Address) -> I256 {
    s(p.wallet(trader)) + p.cash(Protocol::account(trader))
}

#[test]
fn a_token_reentering_the_vault_during_a_deposit_cannot_credit_twice() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 100, 0);
    let inner = IVault::depositCall { account, token: p.token, amount: usd(1) }.abi_encode();
    let vault = p.vault;
    set_reentry(&mut p, vault, inner);
    let before = p.ledger();
    let r = p.deposit(a, usd(5));
    // The Vault is on the stack: the nested deposit reverts, so the token's
    // transfer fails and SafeErc20 names it.
    assert_error(&r.output, &IVault::SafeErc20FailedOperation { token: p.token });
    assert_eq!(r.reentries, vec![vault], "the sandbox saw the Vault entered twice");
    assert_eq!(p.ledger(), before);
    assert_eq!(p.cash(account), s(usd(100)));
    set_reentry(&mut p, Address::ZERO, Vec::new());
    success(&p.deposit(a, usd(5)), "the same deposit without the hook");
    assert_eq!(p.cash(account), s(usd(105)));
}

#[test]
fn a_token_reentering_the_risk_engine_during_a_withdrawal_cannot_withdraw_twice() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 1_000, 0);
    // The token calls back RiskEngine.withdraw while paying the first one:
    // RiskEngine -> Vault -> token -> RiskEngine enters RiskEngine twice.
    let inner =
        IRiskEngine::withdrawCall { account, token: p.token, amount: usd(600), to: a }.abi_encode();
    let risk = p.risk;
    set_reentry(&mut p, risk, inner);
    let wallet = p.wallet(a);
    let r = p.withdraw(a, usd(600));
    assert_error(&r.output, &IVault::SafeErc20FailedOperation { token: p.token });
    assert_eq!(r.reentries, vec![risk], "the sandbox saw RiskEngine entered twice");
    assert_eq!((p.cash(account), p.wallet(a)), (s(usd(1_000)), wallet));
    set_reentry(&mut p, Address::ZERO, Vec::new());
    success(&p.withdraw(a, usd(600)), "the same withdrawal without the hook");
    assert_eq!(p.wallet(a), wallet + usd(600));
    assert!(p.ledger().balanced());
}

#[test]
fn tokens_donated_to_the_vault_move_neither_the_share_price_nor_any_balance() {
    let mut p = Protocol::new();
    let donor = TRADERS[1];
    let pool = p.pool();
    let preview = IVault::previewRedeemCall { shares: pool.shares };
    let redeemable = p.chain.view(p.vault, &preview).unwrap()._0;
    let call = MockErc20::transferCall { to: p.vault, value: usd(100_000) };
    success(&p.chain.send(donor, p.token, &call), "donation");
    assert_eq!(p.pool(), pool);
    assert_eq!(p.chain.view(p.vault, &preview).unwrap()._0, redeemable);
    // The surplus belongs to nobody: tokens exceed what is owed by exactly the donation.
    let ledger = p.ledger();
    assert_eq!(ledger.owed(), ledger.tracked);
    assert_eq!(s(ledger.tokens) - ledger.owed(), s(usd(100_000)));
}

#[test]
fn a_first_depositor_cannot_inflate_the_share_price_to_round_a_later_deposit_away() {
    let mut p = Protocol::with_pool_seed(0);
    let (attacker, victim) = (TRADERS[2], LP);
    let start = wealth(&mut p, attacker);
    // One unit of assets buys 10^6 shares (the virtual offset), then the
    // attacker donates 100,000 and pays fees into the pool to inflate it.
    let r = p.lp_deposit(attacker, U256::from(1u8));
    let shares = r.decode_return::<IVault::lpDepositCall>().unwrap()._0;
    assert_eq!(shares, U256::from(1_000_000u64));
    let call = MockErc20::transferCall { to: p.vault, value: usd(100_000) };
    success(&p.chain.send(attacker, p.token, &call), "donation");
    p.trader_with(attacker, 700_000, 0);
    for _ in 0..2 {
        success(&p.open_perp(attacker, swad(2_500)), "churn open");
        success(&p.close_perp(attacker), "churn close");
    }
    let inflated = p.pool();
    assert!(inflated.assets > usd(4_000), "the fees grew the pool: {}", inflated.assets);
    // The victim deposits 1,000 and loses at most one share's worth to rounding.
    let deposit = usd(1_000);
    let r = p.lp_deposit(victim, deposit);
    let victim_shares = r.decode_return::<IVault::lpDepositCall>().unwrap()._0;
    let value =
        p.chain.view(p.vault, &IVault::previewRedeemCall { shares: victim_shares }).unwrap()._0;
    let share_value =
        inflated.assets / (inflated.shares + U256::from(1_000_000u64)) + U256::from(1u8);
    assert!(
        deposit - value <= share_value,
        "victim lost {} (one share {share_value})",
        deposit - value
    );
    assert!(deposit - value < U256::from(10_000u64), "less than a cent: {}", deposit - value);
    // The attacker leaves with its shares and its cash: it lost money.
    success(&p.lp_request_redeem(attacker, shares), "request");
    p.chain.advance(86_400);
    success(&p.lp_redeem(attacker, shares), "redeem");
    let cash = p.cash(Protocol::account(attacker));
    success(&p.withdraw(attacker, cash.into_raw()), "withdraw");
    let end = wealth(&mut p, attacker);
    assert!(
        end < start - s(usd(100_000)),
        "the attack cost at least the donation: {}",
        start - end
    );
}

#[test]
fn a_sandwich_around_a_large_trade_is_stopped_by_the_victims_acceptable_price() {
    let mut p = Protocol::new();
    let (attacker, victim) = (TRADERS[0], TRADERS[1]);
    p.trader_with(attacker, 200_000, 0);
    let victim_account = p.trader_with(victim, 500_000, 0);
    // The victim quotes 1,000 ETH at 2,000 * (1 + 1,000 / 200,000) = 2,010 and
    // accepts 0.1% worse.
    let quoted = p.perp_quote(swad(1_000)).unwrap().fillPrice;
    assert_eq!(quoted, wad(2_010));
    let acceptable = quoted + quoted / U256::from(1_000u16);
    // The attacker buys 500 first: the victim would fill at 2,000 * (1 + 2,000 / 200,000) = 2,020.
    success(&p.open_perp(attacker, swad(500)), "front-run");
    let r = p.trade_perp(victim, victim_account, swad(1_000), acceptable);
    let worse = fill_price(s(wad(2_000)), swad(500), swad(1_000));
    assert_eq!(worse, s(wad(2_020)));
    assert_error(
        &r.output,
        &IPerpMarket::AcceptablePriceExceeded {
            fillPrice: worse.into_raw(),
            acceptablePrice: acceptable,
        },
    );
    // Without the victim's fill, unwinding at 2,005 (the same price as the
    // entry) only costs the attacker the fee.
    let before = wealth(&mut p, attacker);
    let r = p.close_perp(attacker);
    success(&r, "back-run");
    let close = fill_price(s(wad(2_000)), swad(500), swad(-500));
    assert_eq!(close, s(wad(2_005)));
    let fee = trade_fee(swad(500), swad(-500), close);
    assert_eq!(wealth(&mut p, attacker), before - fee_units(fee));
}

#[test]
fn funding_does_not_accrue_within_a_block_so_a_sandwich_around_funding_earns_none() {
    let mut p = Protocol::new();
    let (attacker, whale) = (TRADERS[0], TRADERS[1]);
    p.trader_with(attacker, 200_000, 0);
    p.trader_with(whale, 500_000, 300);
    p.advance(3_600);
    // The attacker shorts into a long skew (funding flows to shorts), the
    // whale doubles the skew, the attacker closes: all in one block.
    let r1 = p.open_perp(attacker, swad(-100));
    let r2 = p.open_perp(whale, swad(300));
    let r3 = p.close_perp(attacker);
    let indexes: Vec<I256> = [&r1, &r2, &r3]
        .iter()
        .map(|r| r.events::<IPerpMarket::PerpTraded>()[0].fundingIndex)
        .collect();
    assert_eq!(indexes[0], indexes[1]);
    assert_eq!(indexes[1], indexes[2]);
    // So the attacker's realised cash is pure price PnL.
    let open = r1.events::<IPerpMarket::PerpTraded>()[0].fillPrice;
    let close = r3.events::<IPerpMarket::PerpTraded>()[0].fillPrice;
    let cash = r3.events::<IRiskEngine::PositionChanged>()[0].cash;
    assert_eq!(cash, bulwark_tests::model::realised(swad(-100), s(open), s(close), I256::ZERO));
}

#[test]
fn skew_added_against_an_account_raises_its_margin_only_by_its_closing_cost() {
    let mut p = Protocol::new();
    let (victim, whale) = (TRADERS[0], TRADERS[1]);
    let account = p.trader_with(victim, 3_000, 10);
    let before = p.health(account).unwrap();
    // A whale shorts 2,000 ETH in the same block: the oracle price does not
    // move, so neither does the victim's equity; its requirement grows by the
    // cost of closing its long into the new skew.
    p.trader_with(whale, 900_000, -2_000);
    let after = p.health(account).unwrap();
    assert_eq!(after.equity, before.equity);
    let skew = swad(10 - 2_000);
    let (im, mm) = perp_margin(s(wad(2_000)), swad(10), skew);
    assert_eq!((s(after.initial), s(after.maintenance)), (im, mm));
    let cost = close_cost(s(wad(2_000)), swad(10), skew);
    assert_eq!(s(after.maintenance) - s(before.maintenance), cost);
    assert!(!after.liquidatable(), "a 10x account keeps its buffer");
}

#[test]
fn trades_designed_to_end_below_initial_margin_are_refused_whole() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 2_100, 10);
    let ledger = p.ledger();
    // Flip to a short of the same size: it adds risk, and the realised loss
    // and fees leave too little.
    p.set_price(wad(1_950));
    let r = p.open_perp(a, swad(-20));
    assert!(r.decode_error::<IRiskEngine::InsufficientMargin>().is_some(), "flip refused");
    // Pull collateral out through an operator: the same margin check.
    let operator = TRADERS[1];
    let approve = IRiskEngine::setOperatorCall { operator, scope: 3 };
    success(&p.chain.send(a, p.risk, &approve), "operator");
    let call =
        IRiskEngine::withdrawCall { account, token: p.token, amount: usd(1_000), to: operator };
    let r = p.chain.send(operator, p.risk, &call);
    assert!(r.decode_error::<IRiskEngine::InsufficientMargin>().is_some(), "withdrawal refused");
    // Write options for the premium, then hope to withdraw it: refused at the trade.
    let series = p.series[0].id;
    let r = p.trade_option(a, series, swad(-20), I256::MAX);
    assert!(r.decode_error::<IRiskEngine::InsufficientMargin>().is_some(), "naked calls refused");
    assert_eq!(p.perp_position(account).0, swad(10));
    assert_eq!(p.option_amount(account, series), I256::ZERO);
    assert_eq!(p.ledger(), ledger, "nothing moved");
}

#[test]
fn liquidating_yourself_for_the_bonus_loses_money_against_closing() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 3_000, 10);
    p.set_price(wad(1_790));
    assert!(p.is_liquidatable(account));
    let start = p.snapshot();
    // Path 1: close voluntarily.
    success(&p.close_perp(a), "close");
    let closed = wealth(&mut p, a);
    // Path 2: liquidate yourself, collect the bonus, then close the rest.
    p.restore(&start);
    let r = p.liquidate(a, account);
    success(&r, "self-liquidation");
    let bonus = r.decode_return::<IRiskEngine::liquidateCall>().unwrap()._0;
    assert!(bonus > U256::ZERO, "the bonus came from the account itself");
    success(&p.close_perp(a), "close the rest");
    let liquidated = wealth(&mut p, a);
    assert!(liquidated < closed, "self-liquidation {liquidated} against closing {closed}");
}
