//! The user flows end to end on the real contracts: deposit, open and close
//! perps, funding, withdraw, LP deposit and redemption, operators,
//! subaccounts, option listing and settlement. Balances are checked to the
//! wei against the formulas of the READMEs (`bulwark_tests::model`), and the
//! Vault's ledger (invariant 1) after every step.

use alloy_primitives::{keccak256, B256, I256, U256};
use alloy_sol_types::SolValue;
use bulwark_tests::bindings::{
    options::IOptionsMarket, oracle::IOracleAdapter, perp::IPerpMarket, risk::IRiskEngine,
    vault::IVault,
};
use bulwark_tests::model::{
    black_scholes, fee_units, fill_price, perp_margin, pnl_units, realised, s, to_f64, trade_fee,
    units_wad,
};
use bulwark_tests::protocol::{
    perp_params, swad, usd, Protocol, Series, BASE_SPREAD, BTC_MARKET, ETH, ETH_MARKET,
    EXPIRY_DELAY, LP_SEED, STRANGER, TRADERS,
};
use bulwark_tests::{assert_error, success, wad, WAD};

fn assert_balanced(p: &mut Protocol, step: &str) {
    let ledger = p.ledger();
    assert!(ledger.balanced(), "invariant 1 broken after {step}: {ledger:?}");
}

/// Token units as `int256`.
fn units(x: i128) -> I256 {
    I256::try_from(x).unwrap()
}

#[test]
fn perp_round_trip_settles_pnl_and_fees_to_the_wei() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = Protocol::account(a);
    let wallet_before = p.wallet(a);
    let pool_before = p.pool();

    let r = p.deposit(a, usd(10_000));
    success(&r, "deposit");
    assert_eq!(
        r.events::<IVault::Deposited>(),
        vec![IVault::Deposited { account, token: p.token, from: a, amount: usd(10_000) }]
    );
    assert_eq!(p.cash(account), units(10_000_000_000));
    assert_balanced(&mut p, "deposit");

    // Open 10 ETH long at 2,000 with the market flat: the fill pays half the
    // premium of the skew it creates, 2,000 * (1 + 10 / 200,000) = 2,000.1,
    // and the taker fee 10 * 2,000.1 * 0.05% = 10.0005.
    let r = p.open_perp(a, swad(10));
    success(&r, "open");
    let fill = U256::from(20_001u128) * U256::from(WAD / 10);
    assert_eq!(r.decode_return::<IRiskEngine::tradePerpCall>().unwrap()._0, fill);
    let fee = U256::from(100_005u128) * U256::from(WAD / 10_000);
    assert_eq!(
        r.events::<IPerpMarket::PerpTraded>(),
        vec![IPerpMarket::PerpTraded {
            account,
            marketId: ETH_MARKET,
            sizeBefore: I256::ZERO,
            sizeDelta: swad(10),
            fillPrice: fill,
            fee,
            fundingPaid: I256::ZERO,
            fundingRate: I256::ZERO,
            fundingIndex: I256::ZERO,
            liquidation: false,
        }]
    );
    assert_eq!(
        r.events::<IRiskEngine::PositionChanged>(),
        vec![IRiskEngine::PositionChanged {
            account,
            key: B256::from(U256::from(ETH_MARKET)),
            sizeBefore: I256::ZERO,
            sizeAfter: swad(10),
            cash: I256::ZERO,
        }]
    );
    let gas = &r.gas;
    assert!(gas.intrinsic_gas >= 21_000 && gas.storage_gas > 0 && r.gas_used > gas.intrinsic_gas);
    assert_eq!(p.cash(account), units(10_000_000_000 - 10_000_500));
    assert_eq!(p.perp_position(account), (swad(10), s(fill)));
    // The fee is split 20% insurance, 10% protocol, the rest to the pool.
    let pool = p.pool();
    assert_eq!((pool.insurance, pool.fees), (U256::from(2_000_100u64), U256::from(1_000_050u64)));
    assert_eq!(pool.assets, pool_before.assets + U256::from(7_000_350u64));
    assert_balanced(&mut p, "open");

    // Health at 2,000: equity = cash + 10 * (2,000 - 2,000.1); IM = 20,000 *
    // (10% + 10 / 100,000) + gas reserve 2; MM = 20,000 * (5% + 0.005%) + 2.
    let health = p.health(account).unwrap();
    assert_eq!(health.equity, s(wad(9_988)) + s(U256::from(9_995u64) * U256::from(WAD / 10_000)));
    assert_eq!((health.initial, health.maintenance), (wad(2_004), wad(1_003)));
    let (im, mm) = perp_margin(s(wad(2_000)), swad(10), swad(10));
    assert_eq!((im, mm), (s(wad(2_004)), s(wad(1_003))), "the model agrees");

    // The price rises 5%; closing sells into the long skew at 2,100.105 and
    // pays the maker fee 10 * 2,100.105 * 0.02% = 4.20021.
    p.set_price(wad(2_100));
    let r = p.close_perp(a);
    success(&r, "close");
    let close_fill = fill_price(s(wad(2_100)), swad(10), swad(-10));
    assert_eq!(close_fill, s(wad(2_100)) + s(U256::from(105u64) * U256::from(WAD / 1_000)));
    let pnl = realised(swad(10), s(fill), close_fill, I256::ZERO);
    assert_eq!(pnl, s(wad(1_000)) + s(U256::from(5u64) * U256::from(WAD / 100)));
    let close_fee = trade_fee(swad(10), swad(-10), close_fill);
    assert_eq!(close_fee, s(U256::from(420_021u64) * U256::from(WAD / 100_000)));
    let cash = p.cash(account);
    assert_eq!(cash, units(10_985_849_290), "10,000 - 10.0005 + 1,000.05 - 4.20021");
    assert_eq!(cash, units(10_000_000_000 - 10_000_500) + pnl_units(pnl) - fee_units(close_fee));
    assert_eq!(
        r.events::<IVault::CashSettled>(),
        vec![IVault::CashSettled {
            account,
            withPool: units(1_000_050_000 - 2_940_147),
            withInsurance: units(-840_042),
            withProtocol: units(-420_021),
        }]
    );
    assert_eq!(p.perp_position(account), (I256::ZERO, I256::ZERO));
    assert_eq!(p.health(account).unwrap().initial, U256::ZERO, "no position, no requirement");
    assert_balanced(&mut p, "close");

    // Everything goes home.
    let r = p.withdraw(a, cash.into_raw());
    success(&r, "withdraw");
    assert_eq!(
        r.events::<IVault::Withdrawn>(),
        vec![IVault::Withdrawn {
            account,
            token: p.token,
            to: a,
            toAccount: U256::ZERO,
            amount: cash.into_raw(),
        }]
    );
    assert_eq!(p.cash(account), I256::ZERO);
    assert_eq!(p.wallet(a), wallet_before - usd(10_000) + cash.into_raw());
    // The pool paid the trader's gain and kept its share of both fees.
    let pool = p.pool();
    assert_eq!(
        pool.assets,
        pool_before.assets + U256::from(7_000_350u64 + 2_940_147) - U256::from(1_000_050_000u64)
    );
    assert_balanced(&mut p, "withdraw");
}

#[test]
fn a_short_against_a_long_pays_maker_fees_and_open_interest_matches_the_positions() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let (account_a, account_b) = (Protocol::account(a), Protocol::account(b));
    for trader in [a, b] {
        success(&p.deposit(trader, usd(10_000)), "deposit");
    }
    success(&p.open_perp(a, swad(10)), "long");
    // B sells 4 into a skew of +10: maker on all of it, fill 2,000 * (1 + 16 / 200,000).
    let r = p.open_perp(b, swad(-4));
    success(&r, "short");
    let fill_b = fill_price(s(wad(2_000)), swad(10), swad(-4));
    assert_eq!(fill_b, s(U256::from(200_016u64) * U256::from(WAD / 100)));
    let fee_b = trade_fee(swad(10), swad(-4), fill_b);
    assert_eq!(fee_b, s(U256::from(1_600_128u64) * U256::from(WAD / 1_000_000)), "maker 0.02%");
    assert_eq!(r.events::<IPerpMarket::PerpTraded>()[0].fee, fee_b.into_raw());
    let oi = p.perp_quote(I256::ZERO).unwrap();
    assert_eq!(
        (oi.longOpenInterest, oi.shortOpenInterest),
        (wad(10), wad(4)),
        "long and short open interest"
    );
    let sizes = p.perp_position(account_a).0 + p.perp_position(account_b).0;
    assert_eq!(sizes, s(oi.longOpenInterest) - s(oi.shortOpenInterest), "invariant 5");

    // B flips to 6 long: a taker trade of 10 into a skew of +6.
    let r = p.open_perp(b, swad(10));
    success(&r, "flip");
    let fill_flip = fill_price(s(wad(2_000)), swad(6), swad(10));
    let fee_flip = trade_fee(swad(6), swad(10), fill_flip);
    assert_eq!(fee_flip, s(U256::from(100_011u64) * U256::from(WAD / 10_000)), "taker 0.05%");
    let pnl = realised(swad(-4), fill_b, fill_flip, I256::ZERO);
    assert_eq!(pnl, -s(U256::from(24u64) * U256::from(WAD / 100)), "-4 * (2,000.22 - 2,000.16)");
    assert_eq!(
        p.cash(account_b),
        units(10_000_000_000) - fee_units(fee_b) + pnl_units(pnl) - fee_units(fee_flip)
    );
    assert_eq!(p.perp_position(account_b), (swad(6), fill_flip));
    let oi = p.perp_quote(I256::ZERO).unwrap();
    assert_eq!((oi.longOpenInterest, oi.shortOpenInterest), (wad(16), U256::ZERO));
    assert_balanced(&mut p, "flip");
}

#[test]
fn funding_accrues_with_the_skew_and_is_settled_on_the_next_trade() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let (account_a, account_b) = (Protocol::account(a), Protocol::account(b));
    for trader in [a, b] {
        success(&p.deposit(trader, usd(100_000)), "deposit");
    }
    success(&p.open_perp(a, swad(100)), "long");
    success(&p.open_perp(b, swad(-40)), "short");
    let fill_a = fill_price(s(wad(2_000)), I256::ZERO, swad(100));
    let fill_b = fill_price(s(wad(2_000)), swad(100), swad(-40));
    let cash_a = p.cash(account_a);
    let cash_b = p.cash(account_b);

    // A day at a skew of +60: velocity = 60 / 100,000 * 1 per day per day, so
    // the rate ramps to 0.0006 per day and the index grows by the area under
    // the ramp times the price: 0.0006 / 2 * 2,000 = 0.6 per ETH.
    p.advance(86_400);
    let oi = p.perp_quote(I256::ZERO).unwrap();
    let rate = s(U256::from(6u64) * U256::from(WAD / 10_000));
    let index = s(U256::from(6u64) * U256::from(WAD / 10));
    assert_eq!((oi.fundingRate, oi.fundingIndex), (rate, index));

    // PerpMarket's view splits each position's value: price PnL since the
    // entry (the fill) at the oracle price, and the funding accrued since.
    let view_a = p.perp_entry_in(account_a, ETH_MARKET);
    let entry_a = (
        view_a.positionSize,
        s(view_a.entryPrice),
        view_a.fundingSnapshot,
        view_a.unrealisedPnl,
        view_a.accruedFunding,
    );
    let pnl_a = realised(swad(100), fill_a, s(wad(2_000)), I256::ZERO);
    assert_eq!(entry_a, (swad(100), fill_a, I256::ZERO, pnl_a, s(wad(60))));
    let view_b = p.perp_entry_in(account_b, ETH_MARKET);
    assert_eq!(
        (view_b.positionSize, s(view_b.entryPrice), view_b.accruedFunding),
        (swad(-40), fill_b, -s(wad(24)))
    );
    // RiskEngine's basis is the entry less the snapshot.
    assert_eq!(p.perp_position(account_a).1, fill_a - view_a.fundingSnapshot);

    // A closes: its whole funding (100 * 0.6 = 60) is settled with its PnL.
    let r = p.close_perp(a);
    success(&r, "close long");
    let event = &r.events::<IPerpMarket::PerpTraded>()[0];
    assert_eq!((event.fundingRate, event.fundingIndex), (rate, index));
    assert_eq!(event.fundingPaid, s(wad(60)));
    let closed = p.perp_entry_in(account_a, ETH_MARKET);
    assert_eq!(
        (closed.positionSize, closed.entryPrice, closed.fundingSnapshot),
        (I256::ZERO, U256::ZERO, I256::ZERO)
    );
    let close_a = fill_price(s(wad(2_000)), swad(60), swad(-100));
    let got_a = realised(swad(100), fill_a, close_a, index);
    assert_eq!(got_a, realised(swad(100), fill_a, close_a, I256::ZERO) - s(wad(60)), "pays 60");
    assert_eq!(r.events::<IRiskEngine::PositionChanged>()[0].cash, got_a);
    let fee_a = trade_fee(swad(60), swad(-100), close_a);
    assert_eq!(p.cash(account_a), cash_a + pnl_units(got_a) - fee_units(fee_a));

    // B closes in the same block against the same index: it receives 40 * 0.6 = 24.
    let r = p.close_perp(b);
    success(&r, "close short");
    let event = &r.events::<IPerpMarket::PerpTraded>()[0];
    assert_eq!((event.fundingIndex, event.fundingPaid), (index, -s(wad(24))));
    let close_b = fill_price(s(wad(2_000)), swad(-40), swad(40));
    let got_b = realised(swad(-40), fill_b, close_b, index);
    assert_eq!(got_b, realised(swad(-40), fill_b, close_b, I256::ZERO) + s(wad(24)));
    let fee_b = trade_fee(swad(-40), swad(40), close_b);
    assert_eq!(p.cash(account_b), cash_b + pnl_units(got_b) - fee_units(fee_b));
    // Longs paid 60, shorts received 24: the pool, short the skew of 60, kept 36.
    assert_balanced(&mut p, "funding");
}

#[test]
fn lp_deposits_and_redeems_at_the_share_price_after_the_cooldown() {
    let mut p = Protocol::new();
    let lp2 = TRADERS[3];
    let pool = p.pool();
    assert_eq!(
        (pool.assets, pool.shares),
        (U256::from(LP_SEED), U256::from(LP_SEED) * U256::from(1_000_000u64))
    );

    let assets = usd(1_000);
    let expected =
        assets * (pool.shares + U256::from(1_000_000u64)) / (pool.assets + U256::from(1u8));
    let r = p.lp_deposit(lp2, assets);
    success(&r, "lpDeposit");
    let shares = r.decode_return::<IVault::lpDepositCall>().unwrap()._0;
    assert_eq!(shares, expected);
    assert_eq!(
        r.events::<IVault::LiquidityChanged>(),
        vec![IVault::LiquidityChanged {
            provider: lp2,
            receiver: lp2,
            deposit: true,
            assets,
            shares
        }]
    );

    // Traders pay fees into the pool: the share price rises.
    let a = TRADERS[0];
    success(&p.deposit(a, usd(100_000)), "deposit");
    success(&p.open_perp(a, swad(200)), "open");
    success(&p.close_perp(a), "close");
    assert!(p.pool().share_price > pool.share_price);

    let r = p.lp_request_redeem(lp2, shares);
    success(&r, "request");
    let now = p.chain.now();
    let (opens, closes) = (now + 86_400, now + 2 * 86_400);
    assert_eq!(
        r.events::<IVault::RedeemRequested>(),
        vec![IVault::RedeemRequested { provider: lp2, shares, opensAt: opens, closesAt: closes }]
    );
    let position = p.chain.view(p.vault, &IVault::lpPositionCall { provider: lp2 }).unwrap();
    assert_eq!(
        (position.shares, position.requestedShares, position.opensAt, position.closesAt),
        (shares, shares, opens, closes)
    );

    p.chain.advance(86_400);
    let state = p.pool();
    let paid =
        shares * (state.assets + U256::from(1u8)) / (state.shares + U256::from(1_000_000u64));
    let wallet = p.wallet(lp2);
    let r = p.lp_redeem(lp2, shares);
    success(&r, "redeem");
    assert_eq!(r.decode_return::<IVault::lpRedeemCall>().unwrap()._0, paid);
    assert!(paid > assets, "the LP earned a share of the fees: {paid}");
    assert_eq!(p.wallet(lp2), wallet + paid);
    let after = p.pool();
    assert_eq!((after.assets, after.shares), (state.assets - paid, state.shares - shares));
    assert_balanced(&mut p, "redeem");
}

#[test]
fn operators_act_for_every_subaccount_within_their_scope_until_revoked() {
    let mut p = Protocol::new();
    let (owner, operator) = (TRADERS[0], TRADERS[1]);
    let (main, sub) = (Protocol::account(owner), Protocol::subaccount(owner, 7));
    success(&p.deposit(owner, usd(10_000)), "deposit");
    success(&p.deposit_into(owner, sub, usd(5_000)), "deposit sub");

    // A trading key (scope 1): trades, never moves funds.
    let grant = |scope| IRiskEngine::setOperatorCall { operator, scope };
    let r = p.chain.send(owner, p.risk, &grant(1));
    success(&r, "setOperator");
    assert_eq!(
        r.events::<IRiskEngine::OperatorSet>(),
        vec![IRiskEngine::OperatorSet { owner, operator, scope: 1 }]
    );
    let scope = IRiskEngine::operatorScopeCall { owner, operator };
    assert_eq!(p.chain.view(p.risk, &scope).unwrap()._0, 1);
    for account in [main, sub] {
        let call = IRiskEngine::isAuthorizedCall { account, caller: operator };
        assert!(p.chain.view(p.risk, &call).unwrap()._0);
        success(&p.trade_perp(operator, account, swad(1), U256::MAX), "operator trade");
        assert_eq!(p.perp_position(account).0, swad(1));
    }
    assert_eq!(p.perp_position(Protocol::account(operator)).0, I256::ZERO);
    let token = p.token;
    let withdraw = |to| IRiskEngine::withdrawCall { account: sub, token, amount: usd(100), to };
    for to in [operator, owner] {
        let r = p.chain.send(operator, p.risk, &withdraw(to));
        assert_error(
            &r.output,
            &IRiskEngine::OperatorScopeExceeded { account: sub, caller: operator, scope: 1, to },
        );
    }
    // Scope 2 withdraws free collateral to the owner only.
    success(&p.chain.send(owner, p.risk, &grant(2)), "scope 2");
    let r = p.chain.send(operator, p.risk, &withdraw(operator));
    assert_error(
        &r.output,
        &IRiskEngine::OperatorScopeExceeded {
            account: sub,
            caller: operator,
            scope: 2,
            to: operator,
        },
    );
    let wallet = p.wallet(owner);
    success(&p.chain.send(operator, p.risk, &withdraw(owner)), "withdraw to the owner");
    assert_eq!(p.wallet(owner), wallet + usd(100));
    // Scope 3 withdraws anywhere.
    success(&p.chain.send(owner, p.risk, &grant(3)), "scope 3");
    let call = withdraw(operator);
    let wallet = p.wallet(operator);
    success(&p.chain.send(operator, p.risk, &call), "operator withdraw");
    assert_eq!(p.wallet(operator), wallet + usd(100));

    let revoke = grant(0);
    success(&p.chain.send(owner, p.risk, &revoke), "revoke");
    let r = p.trade_perp(operator, main, swad(1), U256::MAX);
    assert_error(&r.output, &IRiskEngine::NotAccountOperator { account: main, caller: operator });
    let r = p.chain.send(operator, p.risk, &call);
    assert_error(&r.output, &IRiskEngine::NotAccountOperator { account: sub, caller: operator });
    assert_balanced(&mut p, "operator");
}

#[test]
fn subaccounts_are_margined_separately() {
    let mut p = Protocol::new();
    let owner = TRADERS[0];
    let (safe, risky) = (Protocol::account(owner), Protocol::subaccount(owner, 1));
    success(&p.deposit(owner, usd(50_000)), "deposit");
    success(&p.deposit_into(owner, risky, usd(2_100)), "deposit sub");
    success(&p.trade_perp(owner, risky, swad(10), U256::MAX), "risky long");
    assert_eq!(p.perp_position(safe).0, I256::ZERO);
    // A 10% drop puts the subaccount under water; the main account's
    // 50,000 does not back it.
    p.set_price(wad(1_800));
    assert!(p.is_liquidatable(risky));
    assert!(!p.is_liquidatable(safe));
    let before = p.cash(safe);
    success(&p.liquidate(STRANGER, risky), "liquidate the subaccount");
    assert_eq!(p.cash(safe), before);
    assert_balanced(&mut p, "subaccounts");
}

#[test]
fn series_ids_hash_their_terms_and_listing_by_rule_fills_the_strike_grid() {
    let mut p = Protocol::new();
    for series in p.series.clone() {
        let id = keccak256((ETH, series.strike, series.expiry, series.is_call).abi_encode());
        assert_eq!(series.id, id);
        // Listing again is idempotent: same id, no event.
        let call = IOptionsMarket::listSeriesCall {
            underlying: ETH,
            strike: series.strike,
            expiry: series.expiry,
            is_call: series.is_call,
        };
        let r = p.chain.send(bulwark_tests::ADMIN, p.options, &call);
        assert_eq!(r.decode_return::<IOptionsMarket::listSeriesCall>().unwrap()._0, id);
        assert!(r.events::<IOptionsMarket::SeriesListed>().is_empty());
    }
    // Anyone lists an expiry by rule: the strike nearest spot (2,000) and four
    // grid steps of 100 on each side, a call and a put at each.
    let expiry = p.chain.now() + EXPIRY_DELAY + 86_400;
    let r = p.chain.send(
        STRANGER,
        p.options,
        &IOptionsMarket::listExpiryCall { underlying: ETH, expiry },
    );
    success(&r, "listExpiry");
    assert_eq!(r.decode_return::<IOptionsMarket::listExpiryCall>().unwrap()._0, 18);
    let listed = r.events::<IOptionsMarket::SeriesListed>();
    let mut strikes: Vec<U256> = listed.iter().map(|e| e.strike).collect();
    strikes.dedup();
    assert_eq!(strikes, (16..=24).map(|k| wad(k * 100)).collect::<Vec<_>>());
    for e in &listed {
        assert_eq!(e.seriesId, keccak256((ETH, e.strike, expiry, e.isCall).abi_encode()));
        assert_eq!((e.underlying, e.expiry), (ETH, expiry));
    }
    // Listing never calls RiskEngine: a series is registered at its first
    // trade (kind 4 of RiskEngine's Configured event, with the terms
    // OptionsMarket's hook returned), and only then.
    assert!(r.events::<IRiskEngine::Configured>().is_empty());
    // (The new expiry has no volatility surface yet: trade a listed one.)
    let first = p.series[0];
    let buyer = TRADERS[0];
    success(&p.deposit(buyer, usd(10_000)), "deposit");
    for trade in 0..2 {
        let r = p.trade_option(buyer, first.id, swad(1), I256::MAX);
        success(&r, "buy");
        let registered: Vec<_> =
            r.events::<IRiskEngine::Configured>().into_iter().filter(|e| e.kind == 4).collect();
        if trade == 0 {
            assert_eq!(registered.len(), 1);
            assert_eq!(registered[0].key, first.id);
            let terms = [
                U256::from(ETH),
                first.strike,
                U256::from(first.expiry),
                U256::from(first.is_call),
            ];
            assert_eq!(registered[0].values[1..], terms);
        } else {
            assert!(registered.is_empty(), "registered twice");
        }
    }
}

#[test]
fn an_expired_series_settles_once_at_the_recorded_price() {
    let mut p = Protocol::new();
    let series = p.series[0];
    p.chain.advance(EXPIRY_DELAY);
    p.set_price(wad(2_150));
    success(&p.record_settlement(STRANGER, series.expiry), "record");
    let settle = IOptionsMarket::settleSeriesCall { series_id: series.id };
    let r = p.chain.send(STRANGER, p.options, &settle);
    success(&r, "settleSeries");
    assert_eq!(
        r.events::<IOptionsMarket::SeriesSettled>(),
        vec![IOptionsMarket::SeriesSettled { seriesId: series.id, settlementPrice: wad(2_150) }]
    );
    // Invariant 6: later rounds do not move it.
    p.advance(600);
    p.set_price(wad(1_000));
    let r = p.chain.send(STRANGER, p.options, &settle);
    assert_eq!(r.decode_return::<IOptionsMarket::settleSeriesCall>().unwrap()._0, wad(2_150));
    assert!(r.events::<IOptionsMarket::SeriesSettled>().is_empty());
    let call = IOracleAdapter::settlementPriceCall { feed_id: ETH, expiry: series.expiry };
    assert_eq!(p.chain.view(p.oracle, &call).unwrap()._0, wad(2_150));
    // The series is closed for trading.
    let r = p.trade_option(TRADERS[0], series.id, swad(1), I256::MAX);
    let now = p.chain.now();
    assert_error(
        &r.output,
        &IOptionsMarket::TradingClosed { seriesId: series.id, expiry: series.expiry, now },
    );
}

/// The oracle's volatility for `series` (flat surface, truncated to the
/// stored precision).
fn volatility(p: &mut Protocol, series: Series) -> I256 {
    let call = IOracleAdapter::volatilityCall {
        feed_id: ETH,
        expiry: series.expiry,
        strike: series.strike,
        usage: 0,
    };
    s(p.chain.view(p.oracle, &call).unwrap()._0)
}

#[test]
fn buying_an_option_pays_black_scholes_plus_the_spread_and_the_fee() {
    let mut p = Protocol::new();
    let buyer = TRADERS[0];
    let account = Protocol::account(buyer);
    success(&p.deposit(buyer, usd(50_000)), "deposit");
    let call = p.series[0];
    let sigma = volatility(&mut p, call);
    assert!((to_f64(sigma) - 0.8).abs() < 1e-6, "the flat surface gives 80%: {sigma}");
    let quote = p
        .chain
        .view(p.options, &IOptionsMarket::quoteCall { series_id: call.id, amount: swad(2) })
        .expect("quote");
    let (premium, fee, delta, vega, spread) =
        (quote.premium, quote.fee, quote.delta, quote.vega, quote.spread);
    // Per contract: the model price plus the spread times vega, rounded up.
    let years = to_f64(s(U256::from(EXPIRY_DELAY) * U256::from(WAD))) / 31_536_000.0;
    let model = black_scholes(2_000.0, 2_000.0, years, to_f64(sigma), true);
    let charged = to_f64(premium) / 2.0 - to_f64(s(spread)) * to_f64(vega) / 2.0;
    assert!(
        (charged - model).abs() < 1e-4 * model,
        "premium {charged} against Black-Scholes {model}"
    );
    assert!(spread >= U256::from(BASE_SPREAD), "at least the base spread");
    assert!(to_f64(delta) > 2.0 * 0.5 && to_f64(delta) < 2.0 * 0.55, "ATM call delta {delta}");
    // The fee is the smaller of 5% of the premium and 0.03% of the notional:
    // 2 * 2,000 * 0.03% = 1.2.
    assert_eq!(fee, U256::from(12u8) * U256::from(WAD / 10));

    let r = p.trade_option(buyer, call.id, swad(2), premium);
    success(&r, "buy at exactly the limit");
    assert_eq!(r.decode_return::<IRiskEngine::tradeOptionCall>().unwrap()._0, premium);
    let traded = r.events::<IOptionsMarket::OptionTraded>();
    assert_eq!(
        (traded[0].account, traded[0].seriesId, traded[0].amount, traded[0].premium, traded[0].fee),
        (account, call.id, swad(2), premium, fee)
    );
    assert_eq!(p.option_amount(account, call.id), swad(2));
    assert_eq!(p.cash(account), units(50_000_000_000) + pnl_units(-premium) - fee_units(s(fee)));
    assert_balanced(&mut p, "buy");
}

#[test]
fn an_option_sold_back_before_expiry_returns_less_than_it_cost() {
    let mut p = Protocol::new();
    let buyer = TRADERS[0];
    let account = Protocol::account(buyer);
    success(&p.deposit(buyer, usd(50_000)), "deposit");
    let put = p.series[3];
    let r = p.trade_option(buyer, put.id, swad(5), I256::MAX);
    success(&r, "buy");
    let paid = r.decode_return::<IRiskEngine::tradeOptionCall>().unwrap()._0;
    let r = p.trade_option(buyer, put.id, swad(-5), I256::MAX);
    success(&r, "sell back");
    let received = r.decode_return::<IRiskEngine::tradeOptionCall>().unwrap()._0;
    assert!(received.is_negative(), "a seller receives: {received}");
    assert!(-received < paid, "the spread is paid on both sides: {paid} then {received}");
    assert_eq!(p.option_amount(account, put.id), I256::ZERO);
    assert_eq!(p.health(account).unwrap().initial, U256::ZERO, "no position left");
    assert_balanced(&mut p, "round trip");
}

/// Options: buying a call pays the quoted premium and fee, writing a put
/// receives its premium, and settlement pays the intrinsic value once.
#[test]
fn options_are_bought_written_and_settled_at_intrinsic_value() {
    let mut p = Protocol::new();
    let (buyer, writer) = (TRADERS[0], TRADERS[1]);
    let (call, put) = (p.series[0], p.series[1]);
    for trader in [buyer, writer] {
        success(&p.deposit(trader, usd(50_000)), "deposit");
    }
    let quote = p
        .chain
        .view(p.options, &IOptionsMarket::quoteCall { series_id: call.id, amount: swad(2) })
        .expect("quote");
    let (premium, fee) = (quote.premium, quote.fee);
    assert!(premium.is_positive(), "a buyer pays");
    let r = p.trade_option(buyer, call.id, swad(2), premium);
    success(&r, "buy call");
    assert_eq!(r.decode_return::<IRiskEngine::tradeOptionCall>().unwrap()._0, premium);
    let buyer_account = Protocol::account(buyer);
    assert_eq!(
        p.cash(buyer_account),
        units(50_000_000_000) + pnl_units(-premium) - fee_units(s(fee))
    );
    let r = p.trade_option(writer, put.id, swad(-3), I256::MAX);
    success(&r, "write put");
    assert!(r.decode_return::<IRiskEngine::tradeOptionCall>().unwrap()._0.is_negative());
    assert_eq!(p.option_amount(Protocol::account(writer), put.id), swad(-3));
    assert_balanced(&mut p, "options");

    p.chain.advance(EXPIRY_DELAY);
    p.set_price(wad(2_100));
    success(&p.record_settlement(STRANGER, call.expiry), "record");
    let before = p.cash(buyer_account);
    let r = p.settle_options(STRANGER, buyer_account);
    assert_eq!(r.decode_return::<IRiskEngine::settleOptionsCall>().unwrap()._0, 1);
    // 2 calls struck at 2,000 settle at 2,100: 200.
    assert_eq!(p.cash(buyer_account), before + units(200_000_000));
    assert_eq!(p.option_amount(buyer_account, call.id), I256::ZERO);
    let r = p.settle_options(STRANGER, buyer_account);
    assert_eq!(r.decode_return::<IRiskEngine::settleOptionsCall>().unwrap()._0, 0, "paid once");
    let writer_account = Protocol::account(writer);
    let before = p.cash(writer_account);
    success(&p.settle_options(STRANGER, writer_account), "settle writer");
    assert_eq!(p.cash(writer_account), before, "a put struck at 2,000 expires worthless at 2,100");
    assert_balanced(&mut p, "settlement");
}

#[test]
fn margin_inputs_accrue_funding_without_trading() {
    // marginInputs (MarginEngine's valuation view) holds the market's margin
    // parameters and skew, agrees with quote on the funding index and stores
    // nothing: a second read at the same time returns the same words.
    let mut p = Protocol::new();
    let a = TRADERS[0];
    success(&p.deposit(a, usd(100_000)), "deposit");
    success(&p.open_perp(a, swad(100)), "long");
    p.advance(43_200);
    let call = IPerpMarket::marginInputsCall { market_ids: vec![ETH_MARKET] };
    let first = p.chain.view(p.perp, &call).unwrap()._0;
    let quoted = p.perp_quote(I256::ZERO).unwrap().fundingIndex;
    let params = perp_params();
    assert_eq!(
        first,
        vec![
            U256::from(ETH),
            params[8],
            params[9],
            params[10],
            params[0],
            swad(100).into_raw(),
            quoted.into_raw()
        ]
    );
    // Half a day at skew 100: velocity 0.001 per day per day, the area under
    // the ramp v T^2 / (2 DAY) = 10.8 rate-seconds, times 2,000 / DAY = 0.25.
    assert_eq!(quoted, s(U256::from(25u64) * U256::from(WAD / 100)));
    assert_eq!(p.chain.view(p.perp, &call).unwrap()._0, first);
    // The account's equity already counts the funding it owes.
    let health = p.health(Protocol::account(a)).unwrap();
    let cash = units_wad(p.cash(Protocol::account(a)));
    let fill = fill_price(s(wad(2_000)), I256::ZERO, swad(100));
    let value = realised(swad(100), fill, s(wad(2_000)), quoted);
    assert_eq!(health.equity, cash + value);
}

#[test]
fn one_account_margins_eth_and_btc_perps_together() {
    let mut p = Protocol::new();
    let (both, eth_only, btc_only) = (TRADERS[0], TRADERS[1], TRADERS[2]);
    for t in [both, eth_only, btc_only] {
        p.trader_with(t, 20_000, 0);
    }
    let half = swad(1) / I256::try_from(2).unwrap();
    success(&p.open_perp(both, swad(10)), "ETH long");
    success(&p.trade_perp_in(both, BTC_MARKET, -half), "BTC short");
    success(&p.open_perp(eth_only, swad(10)), "ETH long alone");
    success(&p.trade_perp_in(btc_only, BTC_MARKET, -half), "BTC short alone");
    // Each market keeps its own open interest.
    assert_eq!(p.perp_quote_in(ETH_MARKET, I256::ZERO).unwrap().longOpenInterest, wad(20));
    assert_eq!(p.perp_quote_in(BTC_MARKET, I256::ZERO).unwrap().shortOpenInterest, wad(1));
    // Cross margin: the account's requirements are the two markets' added
    // (one gas reserve for the liquidator, not two).
    let h = p.health(Protocol::account(both)).unwrap();
    let e = p.health(Protocol::account(eth_only)).unwrap();
    let b = p.health(Protocol::account(btc_only)).unwrap();
    let reserve = U256::from(bulwark_tests::protocol::GAS_RESERVE);
    assert_eq!(h.initial, e.initial + b.initial - reserve);
    assert_eq!(h.maintenance, e.maintenance + b.maintenance - reserve);
    // Both rise 10%: the ETH long gains what the BTC short loses, so equity
    // moves by the difference of the two PnLs only.
    let equity = h.equity;
    p.set_price(wad(2_200));
    p.set_btc_price(wad(44_000));
    let after = p.health(Protocol::account(both)).unwrap();
    let eth_gain = p.health(Protocol::account(eth_only)).unwrap().equity - e.equity;
    let btc_loss = p.health(Protocol::account(btc_only)).unwrap().equity - b.equity;
    assert!(eth_gain > I256::ZERO && btc_loss < I256::ZERO);
    assert_eq!(after.equity - equity, eth_gain + btc_loss);
    assert_balanced(&mut p, "two markets");
}

#[test]
fn anyone_tops_up_the_insurance_fund_and_it_covers_bad_debt_first() {
    let mut p = Protocol::new();
    let backer = TRADERS[3];
    let before = p.pool();
    let wallet = p.wallet(backer);
    let r = p.chain.send(backer, p.vault, &IVault::fundInsuranceCall { amount: usd(250_000) });
    success(&r, "fundInsurance");
    assert_eq!(
        r.events::<IVault::InsuranceFunded>(),
        vec![IVault::InsuranceFunded { from: backer, amount: usd(250_000) }]
    );
    assert_eq!(p.pool().insurance, before.insurance + usd(250_000));
    assert_eq!(p.pool().assets, before.assets, "the pool is not the fund");
    assert_eq!(p.wallet(backer), wallet - usd(250_000));
    assert_balanced(&mut p, "fundInsurance");
    // Zero, and more than the backer approved or holds, are refused by name.
    assert_error(
        &p.chain.send(backer, p.vault, &IVault::fundInsuranceCall { amount: U256::ZERO }).output,
        &IVault::InvalidAmount { amount: U256::ZERO },
    );
    let broke = STRANGER;
    assert_error(
        &p.chain.send(broke, p.vault, &IVault::fundInsuranceCall { amount: usd(1) }).output,
        &IVault::SafeErc20FailedOperation { token: p.token },
    );
}

#[test]
fn a_perp_parameter_change_is_announced_and_applies_two_days_later_from_funding_at_the_change() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 10_000, 10);
    // The admin raises the initial margin rate to 50%: announced, not applied.
    let mut params = perp_params();
    params[8] = wad(1) / U256::from(2u8);
    let call = IPerpMarket::setMarketParamsCall { market_id: ETH_MARKET, feed_id: ETH, params };
    let r = p.chain.send(bulwark_tests::ADMIN, p.perp, &call);
    success(&r, "announce");
    let effective_at = p.chain.now() + 2 * 86_400;
    assert_eq!(
        r.events::<IPerpMarket::MarketParamsAnnounced>(),
        vec![IPerpMarket::MarketParamsAnnounced {
            marketId: ETH_MARKET,
            params,
            effectiveAt: effective_at
        }]
    );
    assert!(r.events::<IPerpMarket::MarketParamsSet>().is_empty());
    let before = p.health(account).unwrap();
    // The trader still trades under the old rate, and applying early is refused.
    success(&p.open_perp(a, swad(1)), "open under the old parameters");
    let apply = IPerpMarket::applyMarketParamsCall { market_id: ETH_MARKET };
    let now = p.chain.now();
    assert_error(
        &p.chain.send(STRANGER, p.perp, &apply).output,
        &IPerpMarket::ParamsChangeNotDue { marketId: ETH_MARKET, effectiveAt: effective_at, now },
    );
    // Two days later anyone applies it, with funding brought to that moment.
    p.advance(2 * 86_400);
    let r = p.chain.send(STRANGER, p.perp, &apply);
    success(&r, "apply");
    let set = r.events::<IPerpMarket::MarketParamsSet>();
    assert_eq!((set.len(), set[0].marketId, set[0].params), (1, ETH_MARKET, params));
    let quote = p
        .chain
        .view(p.perp, &IPerpMarket::quoteCall { market_id: ETH_MARKET, size_delta: I256::ZERO });
    assert_eq!(set[0].fundingIndex, quote.unwrap().fundingIndex, "funding at the change");
    assert!(p.health(account).unwrap().initial > before.initial, "the new rate applies");
    let call = IPerpMarket::pendingMarketParamsCall { market_id: ETH_MARKET };
    assert_eq!(p.chain.view(p.perp, &call).unwrap()._0, 0);
    assert_error(
        &p.chain.send(STRANGER, p.perp, &apply).output,
        &IPerpMarket::NoParamsChangePending { marketId: ETH_MARKET },
    );
}

#[test]
fn risk_parameters_apply_two_days_after_their_announcement() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 10_000, 10);
    let before = p.health(account).unwrap();
    let current = p.chain.view(p.risk, &IRiskEngine::riskParametersCall {}).unwrap()._0;
    // The admin doubles the gas reserve (index 9), part of every requirement.
    let mut raised = current.clone();
    raised[9] *= U256::from(2u8);
    let call = IRiskEngine::setRiskParametersCall { values: raised.clone() };
    let r = p.chain.send(bulwark_tests::ADMIN, p.risk, &call);
    success(&r, "announce");
    let effective_at = p.chain.now() + 2 * 86_400;
    let announced = r.events::<IRiskEngine::Configured>();
    assert_eq!((announced[0].kind, announced[0].values.clone()), (3, raised.clone()));
    assert_eq!(announced[0].key, B256::from(U256::from(effective_at)));
    assert_eq!(p.chain.view(p.risk, &IRiskEngine::riskParametersCall {}).unwrap()._0, current);
    assert_eq!(p.health(account).unwrap().initial, before.initial, "nothing changed yet");
    let apply = IRiskEngine::applyRiskParametersCall {};
    let now = p.chain.now();
    assert_error(
        &p.chain.send(STRANGER, p.risk, &apply).output,
        &IRiskEngine::RiskParametersNotDue { effectiveAt: effective_at, now },
    );
    p.advance(2 * 86_400);
    let r = p.chain.send(STRANGER, p.risk, &apply);
    success(&r, "apply");
    let applied = r.events::<IRiskEngine::Configured>();
    assert_eq!((applied[0].kind, applied[0].values.clone()), (2, raised.clone()));
    assert_eq!(p.chain.view(p.risk, &IRiskEngine::riskParametersCall {}).unwrap()._0, raised);
    let after = p.health(account).unwrap();
    assert_eq!(after.initial, before.initial + current[9], "the new reserve applies");
    assert_eq!(p.chain.view(p.risk, &IRiskEngine::pendingRiskParametersCall {}).unwrap()._0, 0);
    assert_error(
        &p.chain.send(STRANGER, p.risk, &apply).output,
        &IRiskEngine::NoRiskParametersPending {},
    );
}
