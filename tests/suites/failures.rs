//! Every named error a user or a bot can trigger through the public flows,
//! asserted to the byte, and for each oracle failure what is refused and what
//! still works (closing, reducing, depositing, withdrawing free collateral).

use alloy_primitives::{Address, B256, I256, U256};
use bulwark_tests::bindings::{
    feed::MockAggregator,
    options::IOptionsMarket,
    oracle::IOracleAdapter,
    perp::{IPerpMarket, IRoles},
    risk::IRiskEngine,
    token::MockErc20,
    vault::IVault,
};
use bulwark_tests::model::{fee_units, fill_price, perp_margin, perp_value, s, units_wad};
use bulwark_tests::protocol::{
    feed_answer, perp_params, swad, usd, Protocol, BTC_MARKET, ETH, ETH_MARKET, GRACE_PERIOD,
    MAX_AGE, MAX_AGE_LENIENT, MAX_DEVIATION_BPS, MAX_PRICE, MIN_PRICE, OPTION_CUTOFF, STRANGER,
    TRADERS,
};
use bulwark_tests::{assert_error, success, wad, ADMIN, WAD};

fn paused() -> IRoles::ContractPaused {
    IRoles::ContractPaused {}
}

#[test]
fn deposits_refuse_ownerless_accounts_zero_oversized_unlisted_unfunded_and_over_cap_amounts() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = Protocol::account(a);
    assert_error(&p.deposit(a, U256::ZERO).output, &IVault::InvalidAmount { amount: U256::ZERO });
    let huge = U256::from(1u8) << 127;
    assert_error(&p.deposit(a, huge).output, &IVault::InvalidAmount { amount: huge });
    let call = IVault::depositCall { account, token: STRANGER, amount: usd(1) };
    assert_error(
        &p.chain.send(a, p.vault, &call).output,
        &IVault::TokenNotListed { token: STRANGER },
    );
    // An account whose owner is zero could never be withdrawn from.
    for ownerless in [U256::ZERO, U256::from(7u8), (U256::from(1u8) << 96) - U256::from(1u8)] {
        let call = IVault::depositCall { account: ownerless, token: p.token, amount: usd(1) };
        let r = p.chain.send(a, p.vault, &call);
        assert_error(&r.output, &IVault::AccountWithoutOwner { account: ownerless });
    }
    // No tokens, no allowance: the transfer fails inside SafeErc20.
    let r = p.deposit_into(STRANGER, account, usd(1));
    assert_error(&r.output, &IVault::SafeErc20FailedOperation { token: p.token });
    // The admin lowers the quote cap to 1,000 dollars of account cash.
    let cap = usd(1_000);
    let call = IVault::configureCollateralCall { token: p.token, haircut: wad(1), cap, feed_id: 0 };
    success(&p.chain.send(ADMIN, p.vault, &call), "configureCollateral");
    success(&p.deposit(a, usd(600)), "under the cap");
    let r = p.deposit(a, usd(401));
    assert_error(
        &r.output,
        &IVault::DepositCapExceeded { token: p.token, cap, totalAfter: usd(1_001) },
    );
    success(&p.deposit(a, usd(400)), "exactly the cap");
    assert_eq!(p.cash(account), s(usd(1_000)));
}

#[test]
fn misbehaving_tokens_are_refused_and_a_token_without_return_value_is_accepted() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = Protocol::account(a);
    // A 1% fee on transfer: the Vault measures what arrived.
    success(&p.chain.send(a, p.token, &MockErc20::setFeeBpsCall { fee_bps: 100 }), "fee on");
    let r = p.deposit(a, usd(1_000));
    assert_error(
        &r.output,
        &IVault::TransferAmountMismatch {
            token: p.token,
            expected: usd(1_000),
            received: usd(990),
        },
    );
    success(&p.chain.send(a, p.token, &MockErc20::setFeeBpsCall { fee_bps: 0 }), "fee off");
    // A token that returns false and moves nothing.
    success(&p.chain.send(a, p.token, &MockErc20::setModeCall { mode: 1 }), "mode false");
    let r = p.deposit(a, usd(1_000));
    assert_error(&r.output, &IVault::SafeErc20FailedOperation { token: p.token });
    // A token that returns nothing (USDT): accepted, in and out.
    success(&p.chain.send(a, p.token, &MockErc20::setModeCall { mode: 2 }), "mode none");
    success(&p.deposit(a, usd(1_000)), "deposit without return value");
    let wallet = p.wallet(a);
    success(&p.withdraw(a, usd(400)), "withdraw without return value");
    assert_eq!(p.wallet(a), wallet + usd(400));
    assert_eq!(p.cash(account), s(usd(600)));
    assert!(p.ledger().balanced());
}

#[test]
fn a_trade_below_initial_margin_is_refused_with_its_equity_and_requirement() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 2_000, 0);
    // 10 ETH at 2,000.1 needs 2,004 of initial margin; the account would
    // hold 2,000 - 10.0005 of fee - 1 of fill premium = 1,988.9995.
    let r = p.open_perp(a, swad(10));
    let fill = fill_price(s(wad(2_000)), I256::ZERO, swad(10));
    let fee = bulwark_tests::model::trade_fee(I256::ZERO, swad(10), fill);
    let equity = units_wad(s(usd(2_000)) - fee_units(fee))
        + perp_value(swad(10), fill, s(wad(2_000)), I256::ZERO);
    let (im, _) = perp_margin(s(wad(2_000)), swad(10), swad(10));
    assert_eq!(equity, s(wad(1_988)) + s(U256::from(9_995u64) * U256::from(WAD / 10_000)));
    assert_eq!(im, s(wad(2_004)));
    assert_error(
        &r.output,
        &IRiskEngine::InsufficientMargin { account, equity, required: im.into_raw() },
    );
    // Nothing moved.
    assert_eq!(p.cash(account), s(usd(2_000)));
    assert_eq!(p.perp_position(account).0, I256::ZERO);
    // 9 ETH fits; flipping to 10 short adds risk and does not.
    success(&p.open_perp(a, swad(9)), "9 ETH");
    let r = p.open_perp(a, swad(-19));
    let refused = r.decode_error::<IRiskEngine::InsufficientMargin>().expect("InsufficientMargin");
    assert_eq!(refused.account, account);
    assert!(refused.equity < s(refused.required));
    assert_eq!(p.perp_position(account).0, swad(9));
}

#[test]
fn a_withdrawal_that_would_break_initial_margin_is_refused_with_the_shortfall() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let account = p.trader_with(a, 3_000, 10);
    let health = p.health(account).unwrap();
    assert_eq!(health.initial, wad(2_004));
    // Equity 2,988.9995: withdrawing 984 leaves 2,004.9995, one more dollar is too much.
    success(&p.withdraw(a, usd(984)), "withdraw to just above initial margin");
    let r = p.withdraw(a, usd(1));
    assert_error(
        &r.output,
        &IRiskEngine::InsufficientMargin {
            account,
            equity: health.equity - s(wad(985)),
            required: wad(2_004),
        },
    );
    // Without positions cash is the limit, and the Vault names it.
    let account_b = p.trader_with(b, 100, 0);
    assert_error(
        &p.withdraw(b, usd(500)).output,
        &IVault::InsufficientBalance {
            account: account_b,
            token: p.token,
            balance: s(usd(100)),
            needed: usd(500),
        },
    );
    assert_error(&p.withdraw(b, U256::ZERO).output, &IVault::InvalidAmount { amount: U256::ZERO });
    let to_nobody = IRiskEngine::withdrawCall {
        account: account_b,
        token: p.token,
        amount: usd(1),
        to: Address::ZERO,
    };
    assert_error(&p.chain.send(b, p.risk, &to_nobody).output, &IVault::InvalidParameters {});
    let theft = IRiskEngine::withdrawCall {
        account: account_b,
        token: p.token,
        amount: usd(1),
        to: STRANGER,
    };
    assert_error(
        &p.chain.send(STRANGER, p.risk, &theft).output,
        &IRiskEngine::NotAccountOperator { account: account_b, caller: STRANGER },
    );
    assert_error(
        &p.trade_perp(STRANGER, account_b, swad(1), U256::MAX).output,
        &IRiskEngine::NotAccountOperator { account: account_b, caller: STRANGER },
    );
}

#[test]
fn perp_trade_sizes_markets_and_acceptable_prices_are_checked() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 50_000, 0);
    let r = p.open_perp(a, I256::ZERO);
    assert_error(
        &r.output,
        &IPerpMarket::TradeSizeOutOfBounds { marketId: ETH_MARKET, sizeDelta: I256::ZERO },
    );
    let dust = swad(1) / I256::try_from(1_000).unwrap();
    assert_error(
        &p.open_perp(a, dust).output,
        &IPerpMarket::TradeSizeOutOfBounds { marketId: ETH_MARKET, sizeDelta: dust },
    );
    let call = IRiskEngine::tradePerpCall {
        account,
        market_id: 7,
        size_delta: swad(1),
        acceptable_price: U256::MAX,
    };
    assert_error(
        &p.chain.send(a, p.risk, &call).output,
        &IPerpMarket::MarketNotFound { marketId: 7 },
    );
    let call = IRiskEngine::tradePerpCall { market_id: 64, ..call };
    assert_error(
        &p.chain.send(a, p.risk, &call).output,
        &IRiskEngine::UnknownMarket { marketId: 64 },
    );
    // A buy must not fill above the limit, a sell not below it.
    let fill = fill_price(s(wad(2_000)), I256::ZERO, swad(10)).into_raw();
    let r = p.trade_perp(a, account, swad(10), fill - U256::from(1u8));
    assert_error(
        &r.output,
        &IPerpMarket::AcceptablePriceExceeded {
            fillPrice: fill,
            acceptablePrice: fill - U256::from(1u8),
        },
    );
    success(&p.trade_perp(a, account, swad(10), fill), "exactly the limit");
    let sell = fill_price(s(wad(2_000)), swad(10), swad(-5)).into_raw();
    let r = p.trade_perp(a, account, swad(-5), sell + U256::from(1u8));
    assert_error(
        &r.output,
        &IPerpMarket::AcceptablePriceExceeded {
            fillPrice: sell,
            acceptablePrice: sell + U256::from(1u8),
        },
    );
    // Reducing by less than the minimum trade size is allowed (dust closes).
    success(&p.open_perp(a, -dust), "dust reduction");
    // The admin lowers the largest trade to 50 ETH: 51 more is refused.
    let mut params = perp_params();
    params[5] = wad(50);
    p.change_perp_params(ETH_MARKET, ETH, params);
    assert_error(
        &p.open_perp(a, swad(51)).output,
        &IPerpMarket::TradeSizeOutOfBounds { marketId: ETH_MARKET, sizeDelta: swad(51) },
    );
    // A close larger than the maximum trade size passes.
    success(&p.open_perp(a, swad(45)), "to 54.999 ETH");
    success(&p.close_perp(a), "a 55 ETH close");
}

#[test]
fn the_open_interest_cap_refuses_only_the_growing_side() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let mut params = perp_params();
    params[3] = wad(20);
    params[5] = wad(20);
    p.change_perp_params(ETH_MARKET, ETH, params);
    p.trader_with(a, 50_000, 15);
    p.trader_with(b, 50_000, 0);
    assert_error(
        &p.open_perp(b, swad(6)).output,
        &IPerpMarket::OpenInterestCapExceeded {
            marketId: ETH_MARKET,
            long: true,
            openInterest: wad(21),
        },
    );
    success(&p.open_perp(b, swad(5)), "long open interest exactly at the cap");
    success(&p.open_perp(b, swad(-20)), "shorts have room");
    success(&p.open_perp(a, swad(-20)), "short open interest exactly at the cap");
    assert_error(
        &p.open_perp(a, swad(-1)).output,
        &IPerpMarket::OpenInterestCapExceeded {
            marketId: ETH_MARKET,
            long: false,
            openInterest: wad(21),
        },
    );
    success(&p.open_perp(a, swad(1)), "reducing the short side");
}

#[test]
fn a_stale_strict_price_stops_opening_but_not_closing_depositing_or_free_withdrawals() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let account = p.trader_with(a, 10_000, 10);
    p.trader_with(b, 1_000, 0);
    let updated = p.chain.now();
    p.chain.advance(u64::from(MAX_AGE) + 1);
    assert_error(&p.open_perp(a, swad(1)).output, &IRiskEngine::PriceNotStrict { account });
    let now = p.chain.now();
    assert_error(
        &p.withdraw(a, usd(1)).output,
        &IOracleAdapter::StalePrice {
            feedId: ETH,
            source: p.eth_primary,
            updatedAt: U256::from(updated),
            maxAge: U256::from(MAX_AGE),
            now: U256::from(now),
        },
    );
    success(&p.open_perp(a, swad(-4)), "reduce");
    success(&p.deposit(a, usd(10)), "deposit");
    success(&p.withdraw(b, usd(1_000)), "free collateral of an account without positions");
    assert!(!p.health(account).unwrap().liquidatable(), "health reads the lenient price");
    // Past the lenient age no price is usable: even closing reverts, with the oracle's error.
    p.chain.advance(u64::from(MAX_AGE_LENIENT));
    let now = p.chain.now();
    assert_error(
        &p.close_perp(a).output,
        &IOracleAdapter::StalePrice {
            feedId: ETH,
            source: p.eth_primary,
            updatedAt: U256::from(updated),
            maxAge: U256::from(MAX_AGE_LENIENT),
            now: U256::from(now),
        },
    );
    p.set_price(wad(2_000));
    success(&p.open_perp(a, swad(1)), "a fresh round restores trading");
}

#[test]
fn a_down_sequencer_stops_everything_and_its_grace_period_only_adding_risk() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 10_000, 10);
    let down = p.chain.now();
    success(&p.set_sequencer(false), "sequencer down");
    let since = IOracleAdapter::SequencerDown { since: U256::from(down) };
    assert_error(&p.open_perp(a, swad(1)).output, &since);
    assert_error(&p.close_perp(a).output, &since);
    assert_error(&p.liquidate(STRANGER, account).output, &since);
    assert_error(&p.health(account).unwrap_err(), &since);
    success(&p.deposit(a, usd(10)), "deposits do not need a price");

    p.chain.advance(600);
    let up = p.chain.now();
    success(&p.set_sequencer(true), "sequencer up");
    p.set_price(wad(2_000));
    assert_error(&p.open_perp(a, swad(1)).output, &IRiskEngine::PriceNotStrict { account });
    assert_error(
        &p.withdraw(a, usd(1)).output,
        &IOracleAdapter::SequencerGracePeriod {
            upSince: U256::from(up),
            gracePeriodEnds: U256::from(up + u64::from(GRACE_PERIOD)),
        },
    );
    success(&p.open_perp(a, swad(-5)), "reducing works in the grace period");
    assert!(p.health(account).is_ok(), "health and liquidation read through the grace period");
    p.advance(u64::from(GRACE_PERIOD));
    success(&p.open_perp(a, swad(1)), "the grace period is over");
}

#[test]
fn feeds_that_disagree_stop_adding_risk_and_value_reductions_against_the_trader() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 10_000, 10);
    p.set_prices(wad(2_000), wad(2_100));
    assert_error(&p.open_perp(a, swad(1)).output, &IRiskEngine::PriceNotStrict { account });
    assert_error(
        &p.withdraw(a, usd(1)).output,
        &IOracleAdapter::PriceDeviation {
            feedId: ETH,
            primaryPrice: wad(2_000),
            secondaryPrice: wad(2_100),
            deviationBps: U256::from(500u64),
            maxDeviationBps: U256::from(MAX_DEVIATION_BPS),
        },
    );
    // A sell is valued at the low price: min(2,000, 2,100) bounded by 2% = 2,000.
    let r = p.open_perp(a, swad(-5));
    success(&r, "reduce");
    let fill = fill_price(s(wad(2_000)), swad(10), swad(-5));
    assert_eq!(r.events::<IPerpMarket::PerpTraded>()[0].fillPrice, fill.into_raw());
    // A buy to close a short is valued at the higher source, however far
    // apart: max(2,000, 2,300) = 2,300.
    let b = TRADERS[1];
    p.set_price(wad(2_000));
    p.trader_with(b, 10_000, -5);
    p.set_prices(wad(2_000), wad(2_300));
    let r = p.open_perp(b, swad(2));
    success(&r, "buy back");
    let fill = fill_price(s(wad(2_300)), swad(0), swad(2));
    assert_eq!(r.events::<IPerpMarket::PerpTraded>()[0].fillPrice, fill.into_raw());
}

#[test]
fn a_frozen_primary_never_prices_an_exit_better_than_the_live_secondary() {
    let mut p = Protocol::new();
    let (a, b, keeper) = (TRADERS[0], TRADERS[1], TRADERS[3]);
    let long = p.trader_with(a, 10_000, 4);
    p.trader_with(b, 10_000, -2);
    let levered = p.trader_with(TRADERS[2], 700, 2);
    // The primary freezes at 2,000 while the market falls 25%: only the
    // secondary, live, shows 1,500.
    p.chain.advance(u64::from(MAX_AGE) + 1);
    let live = MockAggregator::pushAnswerCall { answer: feed_answer(wad(1_500)) };
    success(&p.chain.send(ADMIN, p.eth_secondary, &live), "secondary round");
    assert_error(&p.open_perp(a, swad(1)).output, &IRiskEngine::PriceNotStrict { account: long });
    // Closing the long sells at the live 1,500 (skew 4 before), not at the
    // frozen 2,000 less the 2% deviation bound.
    let r = p.close_perp(a);
    success(&r, "close the long");
    let fill = fill_price(s(wad(1_500)), swad(4), swad(-4));
    assert_eq!(r.events::<IPerpMarket::PerpTraded>()[0].fillPrice, fill.into_raw());
    // The short buys back at the higher source, the frozen 2,000: neither
    // side gets the better of a stale and a live price.
    let r = p.close_perp(b);
    success(&r, "close the short");
    let fill = fill_price(s(wad(2_000)), swad(0), swad(2));
    assert_eq!(r.events::<IPerpMarket::PerpTraded>()[0].fillPrice, fill.into_raw());
    // A 2 ETH long on 700 is under water at the live price: liquidatable.
    assert!(p.health(levered).unwrap().liquidatable());
    let r = p.liquidate(keeper, levered);
    success(&r, "liquidate at the live price");
    let traded = r.events::<IPerpMarket::PerpTraded>();
    assert!(traded[0].liquidation && traded[0].fillPrice < wad(1_501));
}

#[test]
fn an_answer_outside_the_feed_bounds_stops_every_trade() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    p.trader_with(a, 10_000, 10);
    let price = U256::from(MAX_PRICE) + wad(1);
    p.set_price(price);
    let out = IOracleAdapter::PriceOutOfBounds {
        feedId: ETH,
        source: p.eth_primary,
        price,
        minPrice: U256::from(MIN_PRICE),
        maxPrice: U256::from(MAX_PRICE),
    };
    assert_error(&p.open_perp(a, swad(1)).output, &out);
    assert_error(&p.close_perp(a).output, &out);
}

#[test]
fn pausing_stops_adding_risk_but_not_reducing_depositing_or_withdrawing() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 10_000, 10);
    // PerpMarket paused.
    success(&p.chain.send(ADMIN, p.perp, &IRoles::pauseCall {}), "pause perp");
    assert_error(&p.open_perp(a, swad(1)).output, &paused());
    success(&p.open_perp(a, swad(-1)), "reduce");
    success(&p.chain.send(ADMIN, p.perp, &IRoles::unpauseCall {}), "unpause perp");
    // RiskEngine paused.
    success(&p.chain.send(ADMIN, p.risk, &IRoles::pauseCall {}), "pause risk");
    assert_error(&p.open_perp(a, swad(1)).output, &paused());
    success(&p.open_perp(a, swad(-1)), "reduce");
    success(&p.withdraw(a, usd(100)), "withdraw free collateral");
    success(&p.chain.send(ADMIN, p.risk, &IRoles::unpauseCall {}), "unpause risk");
    // OracleAdapter paused: no strict price, so nothing adds risk.
    success(&p.chain.send(ADMIN, p.oracle, &IRoles::pauseCall {}), "pause oracle");
    assert_error(&p.open_perp(a, swad(1)).output, &IRiskEngine::PriceNotStrict { account });
    success(&p.open_perp(a, swad(-1)), "reduce");
    success(&p.chain.send(ADMIN, p.oracle, &IRoles::unpauseCall {}), "unpause oracle");
    // Vault paused: quote deposits and LP redemptions go on, LP deposits stop.
    success(&p.chain.send(ADMIN, p.vault, &IRoles::pauseCall {}), "pause vault");
    success(&p.deposit(a, usd(100)), "deposit");
    assert_error(&p.lp_deposit(TRADERS[1], usd(100)).output, &paused());
    // OptionsMarket paused: listing by rule stops.
    success(&p.chain.send(ADMIN, p.options, &IRoles::pauseCall {}), "pause options");
    let expiry = p.series[0].expiry + 86_400;
    let call = IOptionsMarket::listExpiryCall { underlying: ETH, expiry };
    assert_error(&p.chain.send(STRANGER, p.options, &call).output, &paused());
    assert_eq!(p.perp_position(account).0, swad(7));
}

#[test]
fn liquidating_a_healthy_account_names_its_equity_and_maintenance_margin() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let account = p.trader_with(a, 3_000, 10);
    let health = p.health(account).unwrap();
    assert_error(
        &p.liquidate(STRANGER, account).output,
        &IRiskEngine::NotLiquidatable {
            account,
            equity: health.equity,
            maintenance: health.maintenance,
        },
    );
    let preview = IRiskEngine::previewLiquidationCall { account };
    assert_error(
        &p.chain.view(p.risk, &preview).unwrap_err(),
        &IRiskEngine::NotLiquidatable {
            account,
            equity: health.equity,
            maintenance: health.maintenance,
        },
    );
    let empty = p.trader_with(b, 50, 0);
    assert_error(
        &p.liquidate(STRANGER, empty).output,
        &IRiskEngine::NotLiquidatable {
            account: empty,
            equity: s(wad(50)),
            maintenance: U256::ZERO,
        },
    );
}

#[test]
fn an_owner_cannot_approve_itself_or_zero_as_operator() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    for operator in [a, Address::ZERO] {
        let call = IRiskEngine::setOperatorCall { operator, scope: 1 };
        assert_error(
            &p.chain.send(a, p.risk, &call).output,
            &IRiskEngine::InvalidOperator { operator },
        );
    }
    // Scopes stop at 3 (full).
    let call = IRiskEngine::setOperatorCall { operator: TRADERS[1], scope: 4 };
    assert_error(
        &p.chain.send(a, p.risk, &call).output,
        &IRiskEngine::InvalidOperatorScope { scope: 4 },
    );
}

#[test]
fn lp_deposits_and_redemptions_name_what_is_wrong() {
    let mut p = Protocol::new();
    let lp = TRADERS[2];
    assert_error(
        &p.lp_deposit(lp, U256::ZERO).output,
        &IVault::InvalidAmount { amount: U256::ZERO },
    );
    let call = IVault::lpDepositCall { assets: usd(1), receiver: Address::ZERO };
    assert_error(&p.chain.send(lp, p.vault, &call).output, &IVault::InvalidParameters {});
    let r = p.lp_deposit(lp, usd(1_000));
    let shares = r.decode_return::<IVault::lpDepositCall>().unwrap()._0;
    let more = shares + U256::from(1u8);
    assert_error(
        &p.lp_request_redeem(lp, more).output,
        &IVault::InsufficientShares { provider: lp, available: shares, needed: more },
    );
    // Nothing requested yet.
    assert_error(
        &p.lp_redeem(lp, shares).output,
        &IVault::InsufficientShares { provider: lp, available: U256::ZERO, needed: shares },
    );
    let half = shares / U256::from(2u8);
    success(&p.lp_request_redeem(lp, half), "request");
    let requested = p.chain.now();
    let (opens, closes) = (requested + 86_400, requested + 2 * 86_400);
    let early = p.lp_redeem(lp, half);
    assert_error(
        &early.output,
        &IVault::RedeemNotOpen { opensAt: opens, closesAt: closes, now: requested },
    );
    p.chain.advance(86_400);
    assert_error(
        &p.lp_redeem(lp, half + U256::from(1u8)).output,
        &IVault::InsufficientShares {
            provider: lp,
            available: half,
            needed: half + U256::from(1u8),
        },
    );
    assert_error(
        &p.lp_redeem(lp, U256::ZERO).output,
        &IVault::InvalidAmount { amount: U256::ZERO },
    );
    p.chain.advance(86_401);
    let late = p.lp_redeem(lp, half);
    assert_error(
        &late.output,
        &IVault::RedeemNotOpen { opensAt: opens, closesAt: closes, now: closes + 1 },
    );
}

#[test]
fn option_trades_name_bad_amounts_unknown_series_and_closed_trading() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    p.trader_with(a, 10_000, 0);
    let series = p.series[0];
    assert_error(
        &p.trade_option(a, series.id, I256::ZERO, I256::MAX).output,
        &IOptionsMarket::InvalidAmount { amount: I256::ZERO },
    );
    let unknown = B256::repeat_byte(0x77);
    assert_error(
        &p.trade_option(a, unknown, swad(1), I256::MAX).output,
        &IOptionsMarket::SeriesNotListed { seriesId: unknown },
    );
    let settle = IOptionsMarket::settleSeriesCall { series_id: series.id };
    let now = p.chain.now();
    assert_error(
        &p.chain.send(STRANGER, p.options, &settle).output,
        &IOptionsMarket::NotExpired { seriesId: series.id, expiry: series.expiry, now },
    );
    // Listing by rule needs an expiry at 08:00 UTC.
    let expiry = series.expiry + 3_600;
    let call = IOptionsMarket::listExpiryCall { underlying: ETH, expiry };
    assert_error(
        &p.chain.send(STRANGER, p.options, &call).output,
        &IOptionsMarket::InvalidListing { underlying: ETH, strike: U256::from(1u8), expiry, now },
    );
    // Trading stops one cutoff before expiry.
    p.chain.advance(series.expiry - OPTION_CUTOFF - now);
    p.set_price(wad(2_000));
    let now = p.chain.now();
    assert_error(
        &p.trade_option(a, series.id, swad(1), I256::MAX).output,
        &IOptionsMarket::TradingClosed { seriesId: series.id, expiry: series.expiry, now },
    );
    // After expiry the series settles only once the oracle has a settlement price.
    p.chain.advance(OPTION_CUTOFF);
    assert_error(
        &p.chain.send(STRANGER, p.options, &settle).output,
        &IOracleAdapter::SettlementNotRecorded { feedId: ETH, expiry: series.expiry },
    );
}

#[test]
fn settlement_prices_must_come_from_the_first_round_after_expiry() {
    let mut p = Protocol::new();
    let expiry = p.series[0].expiry;
    p.chain.advance(expiry - p.chain.now() + 60);
    p.set_price(wad(2_050));
    p.chain.advance(60);
    p.set_price(wad(2_060));
    // Round 3 is the second round after expiry.
    let call = IOracleAdapter::recordSettlementPriceCall {
        feed_id: ETH,
        expiry,
        round_id: alloy_primitives::aliases::U80::from(3u8),
    };
    assert_error(
        &p.chain.send(STRANGER, p.oracle, &call).output,
        &IOracleAdapter::SettlementUnavailable {
            feedId: ETH,
            expiry,
            roundId: alloy_primitives::aliases::U80::from(3u8),
            reason: 4,
        },
    );
    let r = p.record_settlement(STRANGER, expiry);
    assert_eq!(
        r.decode_return::<IOracleAdapter::recordSettlementPriceCall>().unwrap()._0,
        wad(2_050)
    );
    assert_error(
        &p.record_settlement(STRANGER, expiry).output,
        &IOracleAdapter::SettlementAlreadyRecorded { feedId: ETH, expiry, price: wad(2_050) },
    );
}

#[test]
fn an_option_premium_beyond_the_traders_limit_is_refused() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    p.trader_with(a, 10_000, 0);
    let series = p.series[0].id;
    let quote = IOptionsMarket::quoteCall { series_id: series, amount: swad(1) };
    let premium = p.chain.view(p.options, &quote).unwrap().premium;
    let limit = premium - I256::ONE;
    assert_error(
        &p.trade_option(a, series, swad(1), limit).output,
        &IOptionsMarket::PremiumLimitExceeded { premium, limitPremium: limit },
    );
    // A seller's limit is minus the least it accepts.
    success(&p.trade_option(a, series, swad(1), premium), "buy");
    let quote = IOptionsMarket::quoteCall { series_id: series, amount: swad(-1) };
    let received = p.chain.view(p.options, &quote).unwrap().premium;
    let limit = received - I256::ONE;
    assert_error(
        &p.trade_option(a, series, swad(-1), limit).output,
        &IOptionsMarket::PremiumLimitExceeded { premium: received, limitPremium: limit },
    );
}

#[test]
fn a_trade_that_grows_the_pools_delta_beyond_its_limit_is_refused_and_reducing_passes() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 50_000, 0);
    let call = IOptionsMarket::configureUnderlyingCall {
        underlying: ETH,
        strike_step: wad(100),
        strikes_per_side: 4,
        delta_limit: wad(10),
        vega_limit: wad(1_000_000),
    };
    success(&p.chain.send(ADMIN, p.options, &call), "configureUnderlying");
    let series = p.series[0].id;
    success(&p.trade_option(a, series, swad(15), I256::MAX), "15 calls: pool delta about -7.7");
    let before =
        p.chain.view(p.options, &IOptionsMarket::quoteCall { series_id: series, amount: swad(15) });
    let trade_delta = before.unwrap().delta;
    let r = p.trade_option(a, series, swad(5), I256::MAX);
    let refused =
        r.decode_error::<IOptionsMarket::GreekLimitExceeded>().expect("GreekLimitExceeded");
    assert_eq!((refused.underlying, refused.greek, refused.limit), (ETH, 0, wad(10)));
    assert!(refused.exposureAfter < -s(wad(10)) && refused.exposureBefore > -s(wad(10)));
    // The pool is short what traders are long: 15 calls' delta.
    assert_eq!(refused.exposureBefore, -trade_delta);
    assert_eq!(p.option_amount(account, series), swad(15));
    // The perp skew counts in the net delta: a trader's 5 ETH short hedges the pool.
    p.trader_with(TRADERS[1], 50_000, -5);
    success(&p.trade_option(a, series, swad(3), I256::MAX), "room made by the perp skew");
    success(&p.trade_option(a, series, swad(-10), I256::MAX), "reducing always passes");
}

#[test]
fn a_naked_short_call_below_initial_margin_is_refused() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 1_000, 0);
    let series = p.series[0].id;
    let r = p.trade_option(a, series, swad(-10), I256::MAX);
    let refused = r.decode_error::<IRiskEngine::InsufficientMargin>().expect("InsufficientMargin");
    assert_eq!(refused.account, account);
    // Equity counts the premium received against the calls' mark value (the
    // spread and the fee make it a small loss); the requirement is the worst
    // loss of the scenario grid (spot up 18%, volatility up) and more.
    assert!(refused.equity < s(wad(1_000)) && refused.equity > s(wad(900)), "{refused:?}");
    assert!(s(refused.required) > refused.equity + s(wad(2_000)), "{refused:?}");
    assert_eq!(p.option_amount(account, series), I256::ZERO);
    assert_eq!(p.cash(account), s(usd(1_000)));
    success(&p.trade_option(a, series, swad(-1), I256::MAX), "one call is covered");
}

#[test]
fn option_trades_need_a_strict_price_to_add_risk_and_a_surface_for_the_expiry() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 50_000, 0);
    let series = p.series[1].id;
    success(&p.trade_option(a, series, swad(4), I256::MAX), "buy puts");
    p.chain.advance(u64::from(MAX_AGE) + 1);
    assert_error(
        &p.trade_option(a, series, swad(1), I256::MAX).output,
        &IRiskEngine::PriceNotStrict { account },
    );
    success(&p.trade_option(a, series, swad(-1), I256::MAX), "selling back on the lenient price");
    p.set_price(wad(2_000));
    // An expiry listed by rule trades only once the updater pushed its surface.
    let expiry = p.series[0].expiry + 86_400;
    let list = IOptionsMarket::listExpiryCall { underlying: ETH, expiry };
    success(&p.chain.send(STRANGER, p.options, &list), "listExpiry");
    let id = alloy_primitives::keccak256(alloy_sol_types::SolValue::abi_encode(&(
        ETH,
        wad(2_000),
        expiry,
        true,
    )));
    assert_error(
        &p.trade_option(a, id, swad(1), I256::MAX).output,
        &IOracleAdapter::SurfaceNotSet { feedId: ETH, expiry },
    );
    success(&p.push_volatility(expiry, bulwark_tests::protocol::VOLATILITY), "push the surface");
    success(&p.trade_option(a, id, swad(1), I256::MAX), "now it trades");
}

#[test]
fn a_stale_volatility_surface_stops_adding_option_risk_but_not_closing_or_liquidating() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 50_000, 0);
    // A two-week call, its surface pushed now; the surface ages out after a week.
    let now = p.chain.now();
    let expiry = now + 14 * 86_400;
    let list = IOptionsMarket::listSeriesCall {
        underlying: ETH,
        strike: wad(2_000),
        expiry,
        is_call: true,
    };
    let id = p.chain.ok(ADMIN, p.options, &list)._0;
    success(&p.push_volatility(expiry, bulwark_tests::protocol::VOLATILITY), "surface");
    success(&p.trade_option(a, id, swad(3), I256::MAX), "buy");
    p.advance(u64::from(bulwark_tests::protocol::SURFACE_MAX_AGE) + 1);
    // Adding risk: the OptionsMarket falls back to the lenient (stale)
    // volatility, so RiskEngine refuses the trade as it does on a lenient price.
    assert_error(
        &p.trade_option(a, id, swad(1), I256::MAX).output,
        &IRiskEngine::PriceNotStrict { account },
    );
    // The oracle itself refuses the stale slice for adding risk only.
    let stale = IOracleAdapter::StaleSurface {
        feedId: ETH,
        expiry,
        pushedAt: U256::from(now),
        maxAge: U256::from(bulwark_tests::protocol::SURFACE_MAX_AGE),
        now: U256::from(p.chain.now()),
    };
    let strike = wad(2_000);
    let strict = IOracleAdapter::volatilityCall { feed_id: ETH, expiry, strike, usage: 0 };
    assert_error(&p.chain.view(p.oracle, &strict).unwrap_err(), &stale);
    let lenient = IOracleAdapter::volatilityCall { feed_id: ETH, expiry, strike, usage: 1 };
    assert!(p.chain.view(p.oracle, &lenient).is_ok());
    success(&p.deposit(a, usd(10)), "deposits need no valuation");
    // What DESIGN.md keeps working when an oracle input is unusable.
    let health = p.health(account).unwrap();
    assert_error(
        &p.liquidate(STRANGER, account).output,
        &IRiskEngine::NotLiquidatable {
            account,
            equity: health.equity,
            maintenance: health.maintenance,
        },
    );
    success(&p.trade_option(a, id, swad(-3), I256::MAX), "closing the option");
}

#[test]
fn an_account_holds_at_most_32_option_series() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 100_000, 0);
    let mut ids: Vec<B256> = p.series.iter().map(|series| series.id).collect();
    for days in [8u64, 9] {
        let expiry = p.chain.now() + days * 86_400;
        let list = IOptionsMarket::listExpiryCall { underlying: ETH, expiry };
        let r = p.chain.send(STRANGER, p.options, &list);
        success(&r, "listExpiry");
        ids.extend(r.events::<IOptionsMarket::SeriesListed>().iter().map(|e| e.seriesId));
        success(&p.push_volatility(expiry, bulwark_tests::protocol::VOLATILITY), "surface");
    }
    let small = swad(1) / I256::try_from(100).unwrap();
    for id in &ids[..32] {
        success(&p.trade_option(a, *id, small, I256::MAX), "buy");
    }
    assert_error(
        &p.trade_option(a, ids[32], small, I256::MAX).output,
        &IRiskEngine::TooManyOptions { account, max: U256::from(32u8) },
    );
    // Closing one frees a slot.
    success(&p.trade_option(a, ids[0], -small, I256::MAX), "close one");
    success(&p.trade_option(a, ids[32], small, I256::MAX), "the 32nd again");
}

/// The long invariants run's counterexample: a BTC trade's margin check must
/// count the funding the account owes on its ETH perp, whose market has not
/// traded for a week (PerpMarket sends every market's index accrued to now).
/// Before, the largest BTC trade accepted left the account 96 quote below
/// initial margin.
#[test]
fn a_perp_trade_counts_the_funding_owed_in_the_accounts_other_markets() {
    let mut p = Protocol::new();
    let t = TRADERS[3];
    let account = p.trader_with(t, 5_000, 0);
    success(&p.open_perp(t, -swad(14)), "ETH short");
    p.advance(7 * 86_400);
    let micro_btc = |m: u64| swad(i128::from(m)) / I256::try_from(1_000_000).unwrap();
    // The largest BTC trade the margin check accepts, to a millionth of a BTC.
    let start = p.snapshot();
    let (mut accepted, mut refused) = (0u64, 2_000_000u64);
    while refused - accepted > 1 {
        let mid = u64::midpoint(accepted, refused);
        let ok = p.trade_perp_in(t, BTC_MARKET, micro_btc(mid)).success();
        p.restore(&start);
        if ok {
            accepted = mid;
        } else {
            refused = mid;
        }
    }
    success(&p.trade_perp_in(t, BTC_MARKET, micro_btc(accepted)), "the largest accepted trade");
    let h = p.health(account).unwrap();
    assert!(h.equity >= s(h.initial), "accepted below initial margin: {h:?}");
}

/// MarginEngine answers anyone, with RiskEngine's numbers for a real book;
/// words that do not have the book's layout are refused by name.
#[test]
fn margin_engine_refuses_a_malformed_book_and_agrees_with_risk_engine_on_a_real_one() {
    use bulwark_tests::bindings::margin::IMarginEngine;
    let mut p = Protocol::new();
    let account = p.trader_with(TRADERS[0], 5_000, 0);
    let call = |book: Vec<U256>| IMarginEngine::marginCall {
        account,
        vault: p.vault,
        oracle: p.oracle,
        perp_market: Address::ZERO,
        usage: 1,
        book,
    };
    // A header announcing one perp, followed by nothing.
    let malformed = call(vec![U256::from(1u8)]);
    let err = p.chain.view(p.margin_engine, &malformed).unwrap_err();
    assert_error(&err, &IMarginEngine::InvalidBook { length: U256::from(1u8) });
    // An empty account: a header, then the six parameter words RiskEngine
    // stores (read back through its view, two per word).
    let params = p.chain.view(p.risk, &IRiskEngine::riskParametersCall {}).unwrap()._0;
    let mut book = vec![U256::ZERO];
    for pair in params.chunks(2) {
        let high = pair.get(1).copied().unwrap_or_default();
        book.push(pair[0] | (high << 128));
    }
    let answer = p.chain.view(p.margin_engine, &call(book)).unwrap();
    let health = p.health(account).unwrap();
    assert_eq!(
        (answer.equity, answer.initialMargin, answer.maintenanceMargin),
        (health.equity, health.initial, health.maintenance)
    );
    assert_eq!(answer.equity, s(wad(5_000)));
}

#[test]
fn withdrawing_more_than_the_balance_names_the_balance_before_any_margin() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = Protocol::account(a);
    success(&p.deposit(a, usd(1_000)), "deposit");
    let shortfall = IVault::InsufficientBalance {
        account,
        token: p.token,
        balance: s(usd(1_000)),
        needed: usd(1_001),
    };
    assert_error(&p.withdraw(a, usd(1_001)).output, &shortfall);
    // With a position open the balance still comes first; within the
    // balance the margin decides.
    success(&p.open_perp(a, swad(2)), "open");
    let cash = p.cash(account);
    let over = IVault::InsufficientBalance {
        account,
        token: p.token,
        balance: cash,
        needed: cash.into_raw() + usd(1),
    };
    assert_error(&p.withdraw(a, cash.into_raw() + usd(1)).output, &over);
    let r = p.withdraw(a, cash.into_raw() - usd(1));
    assert!(r.decode_error::<IRiskEngine::InsufficientMargin>().is_some(), "margin decides");
    assert_eq!(p.cash(account), cash, "nothing left the account");
}
