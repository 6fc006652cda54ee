//! Crashes and keepers: a price drop makes accounts liquidatable, a keeper
//! liquidates them in part (down to the buffer) or whole, is paid from the
//! account's equity, and an account that ends in negative equity leaves bad
//! debt absorbed by the insurance fund first, then the pool, recorded once
//! (DESIGN.md invariants 3 and 4); an account posting ETH as collateral has
//! it seized once it no longer backs the account's debt.

use alloy_primitives::{Address, B256, I256, U256};
use bulwark_sandbox::Receipt;
use bulwark_tests::bindings::{
    options::IOptionsMarket, perp::IPerpMarket, risk::IRiskEngine, vault::IVault,
};
use bulwark_tests::model::{fill_price, pnl_units, realised, s, units_wad};
use bulwark_tests::protocol::{
    swad, usd, Protocol, ETH_MARKET, KEEPER, MAX_AGE, STRANGER, TRADERS, WAD_PER_UNIT,
};
use bulwark_tests::{assert_error, success, wad, ADMIN, WAD};

const TOTAL: u32 = u32::MAX;

/// A WAD price with two decimals: `cents / 100`.
fn price_cents(cents: u128) -> U256 {
    U256::from(cents) * U256::from(WAD / 100)
}

fn liquidated(r: &Receipt) -> IRiskEngine::Liquidated {
    let events = r.events::<IRiskEngine::Liquidated>();
    assert_eq!(events.len(), 1, "one Liquidated event");
    events[0].clone()
}

#[test]
fn a_price_drop_makes_an_account_liquidatable_and_a_keeper_restores_its_health_in_part() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 3_000, 10);
    p.set_price(wad(1_800));
    assert!(!p.is_liquidatable(account), "at 1,800 equity 989 is above maintenance 903");
    // At 1,790: equity 2,989.9995 - 10 * 210.1 = 888.9995 < 17,900 * 5.005% + 2 = 897.895.
    p.set_price(wad(1_790));
    let before = p.health(account).unwrap();
    assert_eq!(before.equity, s(wad(888)) + s(U256::from(9_995u64) * U256::from(WAD / 10_000)));
    assert_eq!(before.maintenance, U256::from(897_895u64) * U256::from(WAD / 1_000));
    assert!(p.is_liquidatable(account));

    let preview = p.chain.view(p.risk, &IRiskEngine::previewLiquidationCall { account }).unwrap();
    assert_eq!(preview.keys, vec![B256::from(U256::from(ETH_MARKET))]);
    let closed = preview.sizeDeltas[0];
    assert!(closed.is_negative() && closed > swad(-10), "a partial close: {closed}");

    let keeper_wallet = p.wallet(KEEPER);
    let insurance = p.pool().insurance;
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate");
    let paid = r.decode_return::<IRiskEngine::liquidateCall>().unwrap()._0;
    let event = liquidated(&r);
    assert_eq!(
        (event.account, event.liquidator, event.equityBefore, event.maintenanceBefore),
        (account, KEEPER, before.equity, before.maintenance)
    );
    assert_eq!(event.toLiquidator, paid);
    assert!(!event.closedAll);
    // The preview tells the bonus to the token unit.
    assert_eq!(paid, preview.toLiquidator, "the preview told the truth");
    assert_eq!(paid % U256::from(WAD_PER_UNIT), U256::ZERO, "whole token units");
    assert_eq!(event.penalty, preview.penalty);
    assert!(paid >= wad(2), "at least the gas reserve: {paid}");
    // The keeper got the bonus in tokens; the insurance fund its half of the penalty.
    assert_eq!(p.wallet(KEEPER), keeper_wallet + paid / U256::from(WAD_PER_UNIT));
    let penalty_units = event.penalty.div_ceil(U256::from(WAD_PER_UNIT));
    assert_eq!(p.pool().insurance, insurance + penalty_units / U256::from(2u8));
    // The close went through PerpMarket's hook without a fee.
    let traded = r.events::<IPerpMarket::PerpTraded>();
    assert_eq!(traded.len(), 1);
    assert!(traded[0].liquidation);
    assert_eq!((traded[0].sizeDelta, traded[0].fee), (closed, U256::ZERO));
    let size = p.perp_position(account).0;
    assert_eq!(size, swad(10) + closed);

    // Health improved to the buffer (maintenance * 1.1) and not much beyond.
    let after = p.health(account).unwrap();
    assert!(after.ratio >= before.ratio, "invariant 3");
    assert!(!after.liquidatable());
    let ratio = after.ratio;
    assert!(ratio >= s(wad(11)) / I256::try_from(10).unwrap(), "ratio {ratio}");
    assert!(ratio < s(wad(111)) / I256::try_from(100).unwrap(), "ratio {ratio}: closed too much");
    assert!(p.ledger().balanced());
    assert_error(
        &p.liquidate(KEEPER, account).output,
        &IRiskEngine::NotLiquidatable {
            account,
            equity: after.equity,
            maintenance: after.maintenance,
        },
    );
}

#[test]
fn a_thirty_percent_gap_liquidates_exactly_the_accounts_below_maintenance() {
    let mut p = Protocol::new();
    // Three 10 ETH longs with 2,100 (under water after the gap), 6,500 (under
    // maintenance, solvent) and 9,000 (healthy), and a 25 ETH short.
    let deep = p.trader_with(TRADERS[0], 2_100, 10);
    let near = p.trader_with(TRADERS[1], 6_500, 10);
    let safe = p.trader_with(TRADERS[2], 9_000, 10);
    let short = p.trader_with(TRADERS[3], 10_000, -25);
    p.set_price(wad(1_400));
    let accounts = [deep, near, safe, short];
    let liquidatable: Vec<bool> = accounts.iter().map(|a| p.is_liquidatable(*a)).collect();
    assert_eq!(liquidatable, vec![true, true, false, false]);
    assert!(p.health(deep).unwrap().equity.is_negative());
    assert!(p.health(near).unwrap().equity.is_positive());

    for account in &accounts {
        // Each liquidation moves the skew, and with it the others' cost of closing.
        let health = p.health(*account).unwrap();
        let r = p.liquidate(KEEPER, *account);
        if health.liquidatable() {
            success(&r, "liquidate");
            let after = p.health(*account).unwrap();
            assert!(after.ratio >= health.ratio, "invariant 3 for {account}");
            assert!(!after.liquidatable());
        } else {
            assert_error(
                &r.output,
                &IRiskEngine::NotLiquidatable {
                    account: *account,
                    equity: health.equity,
                    maintenance: health.maintenance,
                },
            );
        }
    }
    // The insolvent account was closed whole and its deficit absorbed.
    assert_eq!(p.perp_position(deep).0, I256::ZERO);
    assert_eq!(p.cash(deep), I256::ZERO);
    let absorbed = p.pool();
    let total = absorbed.absorbed_by_insurance + absorbed.absorbed_by_pool;
    assert!(total > U256::ZERO);
    assert_eq!(p.bad_debt(TOTAL), total * U256::from(WAD_PER_UNIT));
    assert_eq!(p.bad_debt(ETH_MARKET), p.bad_debt(TOTAL));
    // Invariant 5 and 1 after the crash_price.
    let oi = p.perp_quote(I256::ZERO).unwrap();
    let sizes = accounts.iter().fold(I256::ZERO, |sum, a| sum + p.perp_position(*a).0);
    assert_eq!(sizes, s(oi.longOpenInterest) - s(oi.shortOpenInterest));
    assert!(p.ledger().balanced());
}

#[test]
fn bad_debt_is_absorbed_by_the_insurance_fund_first_then_the_pool_and_recorded_once() {
    let mut p = Protocol::new();
    // A whale's round trips fill the insurance fund with its share of fees.
    let whale = TRADERS[3];
    p.trader_with(whale, 900_000, 0);
    for _ in 0..2 {
        success(&p.open_perp(whale, swad(2_000)), "whale open");
        success(&p.close_perp(whale), "whale close");
    }
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let account_a = p.trader_with(a, 2_100, 10);
    let account_b = p.trader_with(b, 2_100, 10);
    let insurance = p.pool().insurance;
    assert!(insurance > usd(1_000), "insurance fund {insurance}");

    // At 1,781.1 A's equity is about -100: closing it leaves a deficit the
    // insurance fund covers alone.
    let crash_price = price_cents(178_110);
    p.set_price(crash_price);
    let (size, basis) = p.perp_position(account_a);
    let cash = p.cash(account_a);
    let skew = swad(20);
    let fill = fill_price(s(crash_price), skew, -size);
    let deficit = -(cash + pnl_units(realised(size, basis, fill, I256::ZERO)));
    assert!(deficit > I256::ZERO && deficit < s(usd(150)), "deficit {deficit}");
    let pool_before = p.pool();
    let preview =
        p.chain.view(p.risk, &IRiskEngine::previewLiquidationCall { account: account_a }).unwrap();
    let keeper_wallet = p.wallet(KEEPER);
    let r = p.liquidate(KEEPER, account_a);
    success(&r, "liquidate A");
    let event = liquidated(&r);
    assert!(event.closedAll);
    // No equity is left for a bonus or a penalty, but the keeper is paid the
    // gas reserve (2 dollars), as previewed; it adds to the deficit.
    assert_eq!((event.toLiquidator, event.penalty), (wad(2), U256::ZERO));
    assert_eq!((preview.toLiquidator, preview.penalty), (wad(2), U256::ZERO));
    assert_eq!(p.wallet(KEEPER), keeper_wallet + usd(2));
    let deficit = deficit + s(usd(2));
    assert_eq!(
        r.events::<IVault::BadDebtAbsorbed>(),
        vec![IVault::BadDebtAbsorbed {
            account: account_a,
            fromInsurance: deficit.into_raw(),
            fromPool: U256::ZERO,
            remaining: U256::ZERO,
        }]
    );
    let in_wad = units_wad(deficit).into_raw();
    assert_eq!(
        r.events::<IRiskEngine::BadDebtRecorded>(),
        vec![IRiskEngine::BadDebtRecorded {
            account: account_a,
            key: ETH_MARKET,
            fromInsurance: in_wad,
            fromPool: U256::ZERO,
        }]
    );
    assert_eq!(p.cash(account_a), I256::ZERO);
    let pool = p.pool();
    assert_eq!(pool.insurance, pool_before.insurance - deficit.into_raw());
    assert_eq!(pool.absorbed_by_insurance, deficit.into_raw());
    assert_eq!((p.bad_debt(ETH_MARKET), p.bad_debt(TOTAL)), (in_wad, in_wad));
    assert!(p.ledger().balanced());

    // Recorded once: the closed account is not liquidatable again.
    assert_error(
        &p.liquidate(KEEPER, account_a).output,
        &IRiskEngine::NotLiquidatable {
            account: account_a,
            equity: I256::ZERO,
            maintenance: U256::ZERO,
        },
    );
    assert_eq!(p.bad_debt(TOTAL), in_wad);

    // At 1,500 B's deficit (about 2,900) exceeds what is left of the fund:
    // the fund is emptied and the pool pays the rest, through the share price.
    p.set_price(wad(1_500));
    let (size, basis) = p.perp_position(account_b);
    let cash = p.cash(account_b);
    let fill = fill_price(s(wad(1_500)), swad(10), -size);
    let deficit_b = -(cash + pnl_units(realised(size, basis, fill, I256::ZERO))) + s(usd(2));
    let before = p.pool();
    let from_insurance = before.insurance;
    let from_pool = deficit_b.into_raw() - from_insurance;
    assert!(from_pool > U256::ZERO);
    let r = p.liquidate(STRANGER, account_b);
    success(&r, "liquidate B");
    assert_eq!(
        r.events::<IVault::BadDebtAbsorbed>(),
        vec![IVault::BadDebtAbsorbed {
            account: account_b,
            fromInsurance: from_insurance,
            fromPool: from_pool,
            remaining: U256::ZERO,
        }]
    );
    // The pool, B's counterparty, realised B's whole loss and gave back what
    // neither B's collateral nor the fund covered.
    let loss = -pnl_units(realised(size, basis, fill, I256::ZERO));
    let pool = p.pool();
    assert_eq!(pool.insurance, U256::ZERO);
    assert_eq!(pool.absorbed_by_pool, from_pool);
    assert_eq!(pool.assets, before.assets + loss.into_raw() - from_pool);
    let total = in_wad + units_wad(deficit_b).into_raw();
    assert_eq!((p.bad_debt(ETH_MARKET), p.bad_debt(TOTAL)), (total, total));
    assert!(p.ledger().balanced());
}

#[test]
fn a_keeper_is_paid_the_gas_reserve_beyond_a_small_equity_and_the_rest_is_bad_debt() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 2_100, 10);
    // At 1,791.2 equity is 0.9995: below the 2-dollar gas reserve.
    let price = price_cents(179_120);
    p.set_price(price);
    let before = p.health(account).unwrap();
    assert_eq!(before.equity, s(U256::from(9_995u64) * U256::from(WAD / 10_000)));
    let (size, basis) = p.perp_position(account);
    let fill = fill_price(s(price), swad(10), -size);
    let cash_after_close = p.cash(account) + pnl_units(realised(size, basis, fill, I256::ZERO));
    assert!(cash_after_close > I256::ZERO && cash_after_close < s(usd(2)));
    let preview = p.chain.view(p.risk, &IRiskEngine::previewLiquidationCall { account }).unwrap();
    let keeper_wallet = p.wallet(KEEPER);
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate");
    let event = liquidated(&r);
    assert!(event.closedAll);
    // The account's equity pays what it can and no penalty; the keeper still
    // gets the gas reserve, as previewed, and the shortfall is bad debt.
    assert_eq!((event.toLiquidator, event.penalty), (wad(2), U256::ZERO));
    assert_eq!((preview.toLiquidator, preview.penalty), (wad(2), U256::ZERO));
    assert_eq!(p.wallet(KEEPER), keeper_wallet + usd(2));
    let shortfall = s(usd(2)) - cash_after_close;
    let absorbed = r.events::<IVault::BadDebtAbsorbed>();
    assert_eq!(absorbed.len(), 1);
    assert_eq!(s(absorbed[0].fromInsurance + absorbed[0].fromPool), shortfall);
    assert_eq!(p.cash(account), I256::ZERO);
    assert_eq!(p.bad_debt(TOTAL), units_wad(shortfall).into_raw());
    assert!(p.ledger().balanced());
}

#[test]
fn a_keeper_is_paid_in_full_by_an_account_backed_by_other_collateral() {
    // 1 ETH of collateral and no quote: the account's quote cash is negative
    // from the open's fee, so a bonus bounded by it paid nothing before.
    let (mut p, account, weth) = five_eth_long_on_one_eth(TRADERS[2]);
    assert!(p.cash(account) < I256::ZERO);
    // At 1,780 the long lost about 1,100 against 1,424 of collateral value:
    // equity about 320, below maintenance (about 450), enough for a bonus.
    p.set_price(wad(1_780));
    let before = p.health(account).unwrap();
    assert!(before.liquidatable() && before.equity.is_positive(), "{before:?}");
    let preview = p.chain.view(p.risk, &IRiskEngine::previewLiquidationCall { account }).unwrap();
    assert!(preview.toLiquidator >= wad(2), "promised {}", preview.toLiquidator);
    let keeper_wallet = p.wallet(KEEPER);
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate");
    let paid = r.decode_return::<IRiskEngine::liquidateCall>().unwrap()._0;
    assert_eq!(paid, preview.toLiquidator, "paid what the preview promised, to the unit");
    assert_eq!(liquidated(&r).toLiquidator, paid);
    assert_eq!(p.wallet(KEEPER), keeper_wallet + paid / U256::from(WAD_PER_UNIT));
    // The ETH still backs the account's (larger) quote debt: nothing is seized.
    assert!(r.events::<IVault::CollateralSeized>().is_empty());
    assert_eq!(p.collateral(account, weth), wad(1));
    let after = p.health(account).unwrap();
    assert!(after.equity.is_positive() && after.ratio >= before.ratio, "{after:?}");
    assert_eq!(p.bad_debt(TOTAL), U256::ZERO);
    assert!(p.ledger().balanced());
}

#[test]
fn a_liquidation_racing_a_price_recovery_is_refused() {
    let mut p = Protocol::new();
    let a = TRADERS[0];
    let account = p.trader_with(a, 3_000, 10);
    p.set_price(wad(1_790));
    assert!(p.is_liquidatable(account));
    // The recovery lands in the same block, before the keeper's transaction.
    p.set_price(wad(1_850));
    let health = p.health(account).unwrap();
    let size = p.perp_position(account).0;
    let r = p.liquidate(KEEPER, account);
    assert_error(
        &r.output,
        &IRiskEngine::NotLiquidatable {
            account,
            equity: health.equity,
            maintenance: health.maintenance,
        },
    );
    assert_eq!(p.perp_position(account).0, size);
}

#[test]
fn liquidations_run_on_the_lenient_price_when_no_strict_price_is_usable() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let stale = p.trader_with(a, 3_000, 10);
    let grace = p.trader_with(b, 3_000, 10);
    p.set_price(wad(1_700));
    // The strict price goes stale: opening is refused, liquidating is not.
    p.chain.advance(u64::from(MAX_AGE) + 1);
    assert_error(&p.open_perp(a, swad(1)).output, &IRiskEngine::PriceNotStrict { account: stale });
    success(&p.liquidate(KEEPER, stale), "liquidate on a stale strict price");
    // The sequencer restarts: its grace period stops risk, not liquidations.
    p.set_price(wad(1_700));
    success(&p.set_sequencer(false), "down");
    p.chain.advance(60);
    success(&p.set_sequencer(true), "up");
    p.set_price(wad(1_700));
    assert_error(&p.open_perp(b, swad(1)).output, &IRiskEngine::PriceNotStrict { account: grace });
    success(&p.liquidate(KEEPER, grace), "liquidate in the grace period");
    assert!(p.ledger().balanced());
}

#[test]
fn a_short_option_position_is_liquidated_through_the_options_market() {
    let mut p = Protocol::new();
    let writer = TRADERS[0];
    let account = p.trader_with(writer, 5_000, 0);
    let series = p.series[0].id;
    success(&p.trade_option(writer, series, swad(-10), I256::MAX), "write 10 calls");
    p.set_price(wad(2_400));
    let before = p.health(account).unwrap();
    assert!(before.liquidatable(), "{before:?}");
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate");
    let option_closes = r.events::<IOptionsMarket::OptionTraded>();
    assert_eq!(option_closes.len(), 1);
    assert_eq!((option_closes[0].account, option_closes[0].seriesId), (U256::ZERO, series));
    let closed = option_closes[0].amount;
    // The close pays the premium to the pool and no trading fee (the event
    // says 0): its settlement moves nothing to the insurance fund or the protocol.
    assert_eq!(option_closes[0].fee, U256::ZERO);
    let settled = r.events::<IVault::CashSettled>();
    assert_eq!((settled[0].withInsurance, settled[0].withProtocol), (I256::ZERO, I256::ZERO));
    assert_eq!(settled[0].withPool, pnl_units(-option_closes[0].premium));
    assert!(closed.is_positive() && closed <= swad(10), "bought back {closed}");
    assert_eq!(p.option_amount(account, series), swad(-10) + closed);
    let after = p.health(account).unwrap();
    assert!(after.ratio >= before.ratio, "invariant 3");
    assert!(!after.liquidatable());
    assert!(p.ledger().balanced());
}

/// Found by the invariants suite (seed 3): the close's settlement is rounded
/// against the account to token units, but the penalty is bounded by the
/// equity in WAD and the Vault rounds the insurance share up, so the account
/// pays one unit more than it holds.
#[test]
fn a_liquidation_that_closes_everything_never_leaves_the_account_in_debt() {
    let mut p = Protocol::new();
    let (a, b) = (TRADERS[0], TRADERS[1]);
    let account = p.trader_with(a, 5_000, 0);
    p.trader_with(b, 5_000, 0);
    let mut price = wad(2_000);
    let mut moved = |p: &mut Protocol, bps: u64| {
        price = price * U256::from(bps) / U256::from(10_000u64);
        p.set_price(price);
    };
    moved(&mut p, 10_378);
    success(&p.withdraw(b, usd(4_041)), "withdraw");
    moved(&mut p, 11_746);
    let hundredth = I256::try_from(100).unwrap();
    success(&p.open_perp(b, swad(-146) / hundredth), "short 1.46");
    success(&p.open_perp(a, swad(1_706) / hundredth), "long 17.06");
    moved(&mut p, 8_847);
    let before = p.health(account).unwrap();
    assert!(before.liquidatable() && before.equity.is_positive(), "{before:?}");
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate");
    assert!(liquidated(&r).closedAll);
    assert_eq!(p.perp_position(account).0, I256::ZERO);
    // Everything is closed and the account was solvent: it must not owe.
    assert!(p.cash(account) >= I256::ZERO, "cash {} after paying the penalty", p.cash(account));
}

/// A protocol with ETH listed as collateral, where `trader` posts 1 ETH and
/// nothing else and goes 5 ETH long on it (at 80%, the ETH's 1,600 margins
/// the long's initial margin of about 1,002); returns the account and the ETH.
fn five_eth_long_on_one_eth(trader: Address) -> (Protocol, U256, Address) {
    let mut p = Protocol::new();
    let weth = p.list_eth_collateral();
    success(&p.deposit_token(trader, weth, wad(1)), "deposit ETH collateral");
    success(&p.open_perp(trader, swad(5)), "open on ETH collateral");
    (p, Protocol::account(trader), weth)
}

#[test]
fn an_account_whose_collateral_no_longer_covers_its_debt_has_the_collateral_seized_then_the_rest_absorbed(
) {
    let (mut p, account, weth) = five_eth_long_on_one_eth(TRADERS[0]);
    // The fee leaves the quote cash slightly negative.
    assert!(p.cash(account) < I256::ZERO);

    // At 1,650 the long lost about 1,750 and the collateral counts 1,320:
    // equity is negative, so closing everything leaves a debt no collateral
    // backs. The ETH goes to the protocol account, the reserves cover the rest.
    p.set_price(wad(1_650));
    let (size, basis) = p.perp_position(account);
    let fill = fill_price(s(wad(1_650)), size, -size);
    // The keeper's 2-dollar reward is part of the deficit.
    let deficit =
        -(p.cash(account) + pnl_units(realised(size, basis, fill, I256::ZERO))) + s(usd(2));
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate");
    assert!(liquidated(&r).closedAll);
    assert_eq!(liquidated(&r).toLiquidator, wad(2));
    let protocol = Protocol::account(ADMIN);
    assert_eq!(
        r.events::<IVault::CollateralSeized>(),
        vec![IVault::CollateralSeized {
            account,
            token: weth,
            toAccount: protocol,
            amount: wad(1)
        }]
    );
    let absorbed = r.events::<IVault::BadDebtAbsorbed>();
    assert_eq!(absorbed.len(), 1);
    assert_eq!(s(absorbed[0].fromInsurance + absorbed[0].fromPool), deficit);
    assert_eq!(absorbed[0].remaining, U256::ZERO);
    assert_eq!((p.cash(account), p.collateral(account, weth)), (I256::ZERO, U256::ZERO));
    assert_eq!(p.collateral(protocol, weth), wad(1));
    assert_eq!(p.bad_debt(ETH_MARKET), units_wad(deficit).into_raw());
    assert!(p.ledger().balanced());
    assert!(p.collateral_tracked(weth));

    // The protocol account is an ordinary account: its owner withdraws the ETH.
    let call =
        IRiskEngine::withdrawCall { account: protocol, token: weth, amount: wad(1), to: ADMIN };
    success(&p.chain.send(ADMIN, p.risk, &call), "withdraw the seized ETH");
    assert_eq!(p.wallet_of(weth, ADMIN), wad(1));
    assert!(p.collateral_tracked(weth));
}

#[test]
fn a_debt_backed_by_collateral_stays_until_the_collateral_falls_below_it() {
    let b = TRADERS[1];
    let (mut p, account, weth) = five_eth_long_on_one_eth(b);
    // At 1,800 B closes at a loss of about 1,000: it owes quote cash that its
    // ETH (1,440 after the haircut) backs, so nothing is liquidatable.
    p.set_price(wad(1_800));
    success(&p.close_perp(b), "close at a loss");
    let debt = p.cash(account);
    assert!(debt < -s(usd(1_000)), "debt {debt}");
    let health = p.health(account).unwrap();
    assert!(health.equity > I256::ZERO && health.maintenance == U256::ZERO);
    let r = p.liquidate(KEEPER, account);
    assert_error(
        &r.output,
        &IRiskEngine::NotLiquidatable { account, equity: health.equity, maintenance: U256::ZERO },
    );

    // At 1,200 the ETH counts 960, less than the debt: the account is
    // liquidatable with nothing to close, and the liquidation seizes the ETH
    // and absorbs the debt (recorded under key 0: no position is left).
    p.set_price(wad(1_200));
    assert!(p.health(account).unwrap().equity < I256::ZERO);
    let r = p.liquidate(KEEPER, account);
    success(&r, "liquidate the collateral");
    let event = liquidated(&r);
    assert!(event.closedAll);
    // Nothing to close and no equity: the keeper gets the gas reserve, as bad debt.
    assert_eq!(event.toLiquidator, wad(2));
    let debt = debt - s(usd(2));
    let protocol = Protocol::account(ADMIN);
    assert_eq!(r.events::<IVault::CollateralSeized>().len(), 1);
    let absorbed = &r.events::<IVault::BadDebtAbsorbed>()[0];
    assert_eq!(s(absorbed.fromInsurance + absorbed.fromPool), -debt);
    assert_eq!((p.cash(account), p.collateral(account, weth)), (I256::ZERO, U256::ZERO));
    assert_eq!(p.collateral(protocol, weth), wad(1));
    assert_eq!(p.bad_debt(0), units_wad(-debt).into_raw());
    assert_eq!(p.bad_debt(TOTAL), p.bad_debt(0));
    assert!(p.ledger().balanced());
    assert!(p.collateral_tracked(weth));
}

/// A bot finds every account and what it can do with each from views alone:
/// the Vault lists each account once, at its first deposit, page by page;
/// `RiskEngine.liquidatable` reports each account's status in one call and
/// never reverts for one of them.
#[test]
fn a_bot_discovers_accounts_and_their_status_from_views() {
    let mut p = Protocol::new();
    let page = |p: &mut Protocol, start: u64, count: u64| {
        let call = IVault::accountsCall { start: U256::from(start), count: U256::from(count) };
        let reply = p.chain.view(p.vault, &call).unwrap();
        (reply.total, reply.ids)
    };
    let (listed_before, _) = page(&mut p, 0, 0);
    let a = p.trader_with(TRADERS[0], 3_000, 10);
    success(&p.deposit(TRADERS[1], usd(500)), "deposit, no position");
    let b = Protocol::account(TRADERS[1]);
    // A second deposit and a deposit by someone else do not list it again.
    success(&p.deposit(TRADERS[1], usd(5)), "top-up");
    success(&p.deposit_into(TRADERS[2], a, usd(5)), "a deposit from another address");
    let first = listed_before.to::<u64>();
    assert_eq!(page(&mut p, first, 10), (U256::from(first + 2), vec![a, b]));
    // Pages clamp at the end; a start past it is an empty page.
    assert_eq!(page(&mut p, first + 1, 10).1, vec![b]);
    assert_eq!(page(&mut p, first, 1).1, vec![a]);
    assert!(page(&mut p, first + 2, 10).1.is_empty());
    assert!(page(&mut p, u64::MAX, u64::MAX).1.is_empty());

    let never = Protocol::account(STRANGER);
    let statuses = |p: &mut Protocol| {
        let call = IRiskEngine::liquidatableCall { accounts: vec![a, b, never] };
        p.chain.view(p.risk, &call).unwrap().statuses
    };
    let status = |values: &[u8]| values.iter().map(|v| U256::from(*v)).collect::<Vec<_>>();
    assert_eq!(statuses(&mut p), status(&[1, 0, 0]), "healthy, no position, never seen");
    p.set_price(wad(1_790));
    assert!(p.is_liquidatable(a));
    assert_eq!(statuses(&mut p), status(&[2, 0, 0]));
    // While no price is usable the account's health cannot be read: it is
    // reported, and the other accounts still are.
    success(&p.set_sequencer(false), "sequencer down");
    assert!(p.health(a).is_err());
    assert_eq!(statuses(&mut p), status(&[3, 0, 0]));
    assert!(p
        .chain
        .view(p.risk, &IRiskEngine::liquidatableCall { accounts: vec![] })
        .unwrap()
        .statuses
        .is_empty());
}
