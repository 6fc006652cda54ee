//! Bulwark's user and bot operations, measured on the deployed protocol.
//!
//! One fixed story, run three times on the cross-contract suite's fixture
//! ([`bulwark_tests::protocol::Protocol`]): every program uncached (the
//! worst case, each call pays the full program entry), then every program in
//! Arbitrum's program cache (what popular contracts pay), both at the live
//! ArbOS version; then uncached at ArbOS 51. Each row is one
//! transaction; a reverted step fails the report, so a row is never the gas
//! of an error path.

use std::collections::BTreeMap;

use alloy_primitives::{Address, I256, U256};
use bulwark_sandbox::{Footprint, GasSchedule, Receipt, Sandbox};
use bulwark_tests::bindings::{oracle::IOracleAdapter, risk::IRiskEngine};
use bulwark_tests::protocol::{
    swad, usd, Protocol, BTC, BTC_MARKET, BTC_STRIKE_STEP, ETH, ETH_MARKET, KEEPER, STRIKE_STEP,
    TRADERS, VOLATILITY,
};

use crate::report::Measurement;

/// An operation's gas, uncached and cached, and its storage floor.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Operation {
    pub(crate) uncached: Measurement,
    pub(crate) cached: Measurement,
    /// Gas used, uncached, at ArbOS 51 (no per-block program cache).
    pub(crate) uncached_arbos_51: u64,
    /// Distinct storage slots accessed and changed, and contracts run.
    pub(crate) slots_accessed: usize,
    pub(crate) slots_changed: usize,
    pub(crate) contracts: usize,
    /// The EVM-side gas of that footprint: intrinsic, storage, calls and
    /// logs, less the refund. What any implementation with Bulwark's storage
    /// layout and call graph pays with free computation and program entry.
    pub(crate) floor: u64,
    /// Distinct slots accessed per contract, in [`SLOT_COLUMNS`] order.
    pub(crate) slots_by_contract: [usize; SLOT_COLUMNS.len()],
}

/// The contracts whose storage the slot table counts; "price feeds" are the
/// four Chainlink-style feeds and the sequencer uptime feed.
pub(crate) const SLOT_COLUMNS: [&str; 7] = [
    "RiskEngine",
    "PerpMarket",
    "OptionsMarket",
    "Vault",
    "Quote token",
    "OracleAdapter",
    "Price feeds",
];

/// Every program the fixture deploys, with its [`SLOT_COLUMNS`] name
/// (none for MarginEngine, which has no storage).
fn programs(p: &Protocol) -> [(Address, Option<&'static str>); 12] {
    [
        (p.risk, Some("RiskEngine")),
        (p.perp, Some("PerpMarket")),
        (p.options, Some("OptionsMarket")),
        (p.vault, Some("Vault")),
        (p.token, Some("Quote token")),
        (p.oracle, Some("OracleAdapter")),
        (p.eth_primary, Some("Price feeds")),
        (p.eth_secondary, Some("Price feeds")),
        (p.btc_primary, Some("Price feeds")),
        (p.btc_secondary, Some("Price feeds")),
        (p.sequencer, Some("Price feeds")),
        (p.margin_engine, None),
    ]
}

/// The slot-table column of each program that has storage.
fn slot_columns(p: &Protocol) -> Vec<(Address, usize)> {
    programs(p)
        .into_iter()
        .filter_map(|(address, name)| {
            Some((address, SLOT_COLUMNS.iter().position(|c| Some(*c) == name)?))
        })
        .collect()
}

/// `footprint`'s slots per column.
fn slots_per_column(
    footprint: &Footprint,
    columns: &[(Address, usize)],
) -> Result<[usize; SLOT_COLUMNS.len()], String> {
    let mut counts = [0; SLOT_COLUMNS.len()];
    for (address, slots) in &footprint.slots_by_contract {
        let column = columns
            .iter()
            .find(|(a, _)| a == address)
            .ok_or_else(|| format!("storage of an unknown contract {address}"))?
            .1;
        counts[column] += slots;
    }
    Ok(counts)
}

impl Operation {
    /// Cached gas used over the floor, in hundredths.
    pub(crate) fn cached_over_floor(&self) -> u64 {
        self.cached.gas_used * 100 / self.floor.max(1)
    }
}

/// The story's measurements: each operation, and the most value-stack words
/// each contract used in one call, over every run.
pub(crate) struct Measured {
    pub(crate) operations: Vec<Operation>,
    pub(crate) stack_words: BTreeMap<String, u32>,
}

/// Runs the story uncached and cached at the live ArbOS version, and
/// uncached at ArbOS 51.
pub(crate) fn measure() -> Result<Measured, String> {
    let mut stack_words = BTreeMap::new();
    let (uncached, columns) = story(false, GasSchedule::live(), &mut stack_words)?;
    let (cached, _) = story(true, GasSchedule::live(), &mut stack_words)?;
    let (old, _) = story(false, GasSchedule::arbos_51(), &mut stack_words)?;
    if old.len() != uncached.len() {
        return Err("the story measured a different number of steps at ArbOS 51".into());
    }
    let operations = uncached
        .into_iter()
        .zip(cached)
        .zip(old)
        .map(|(((uncached, footprint), (cached, _)), (old, _))| {
            let floor = uncached.intrinsic + uncached.storage + uncached.calls + uncached.logs
                - uncached.refund;
            Ok(Operation {
                uncached_arbos_51: old.gas_used,
                uncached,
                cached,
                slots_accessed: footprint.slots_accessed,
                slots_changed: footprint.slots_changed,
                contracts: footprint.contracts,
                floor,
                slots_by_contract: slots_per_column(&footprint, &columns)?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Measured { operations, stack_words })
}

/// Fails unless `receipt`, of the step `name`, is a success.
fn succeeded(name: &str, receipt: &Receipt) -> Result<(), String> {
    if receipt.success() {
        return Ok(());
    }
    Err(format!(
        "{name}: reverted with 0x{} (the gas report measures successful operations)",
        alloy_primitives::hex::encode(&receipt.output)
    ))
}

/// One measured step: its name and receipt, which must be a success.
fn step(
    rows: &mut Vec<(Measurement, Footprint)>,
    name: &str,
    receipt: &Receipt,
) -> Result<(), String> {
    succeeded(name, receipt)?;
    rows.push((Measurement::of(name, receipt), receipt.footprint.clone()));
    Ok(())
}

/// `RiskEngine.accountHealth(account)` as a read-only call.
fn account_health(p: &mut Protocol, account: U256) -> Result<Receipt, String> {
    use alloy_sol_types::SolCall;
    view(&mut p.chain.sandbox, p.risk, IRiskEngine::accountHealthCall { account }.abi_encode())
}

/// A read-only call's receipt, as a dApp's `eth_call` would run it.
fn view(sandbox: &mut Sandbox, to: Address, data: Vec<u8>) -> Result<Receipt, String> {
    sandbox.static_call_raw(Address::ZERO, to, data).map_err(|e| e.to_string())
}

/// The story's rows, and the slot-table column of each contract it deployed.
#[allow(clippy::type_complexity)]
fn story(
    cached: bool,
    schedule: GasSchedule,
    stack_words: &mut BTreeMap<String, u32>,
) -> Result<(Vec<(Measurement, Footprint)>, Vec<(Address, usize)>), String> {
    use alloy_sol_types::SolCall;
    let mut p = Protocol::with_schedule(schedule);
    p.chain.sandbox.set_block_per_transaction(true);
    if cached {
        for (address, _) in programs(&p) {
            p.chain.sandbox.set_cached(address, true);
        }
    }
    let (alice, bob) = (TRADERS[0], TRADERS[1]);
    let (alice_id, bob_id) = (Protocol::account(alice), Protocol::account(bob));
    let mut measured = Vec::new();
    let rows = &mut measured;

    step(rows, "Vault.deposit (first, 10,000 USD)", &p.deposit(alice, usd(10_000)))?;
    step(rows, "Vault.deposit (top-up)", &p.deposit(alice, usd(1_000)))?;
    step(rows, "Vault.lpDeposit", &p.lp_deposit(bulwark_tests::protocol::LP, usd(10_000)))?;

    let price = view(
        &mut p.chain.sandbox,
        p.oracle,
        IOracleAdapter::priceCall { feed_id: ETH, usage: 0 }.abi_encode(),
    )?;
    step(rows, "OracleAdapter.price (view, two sources)", &price)?;

    step(rows, "RiskEngine.tradePerp: open 1 ETH long", &p.open_perp(alice, swad(1)))?;
    step(rows, "RiskEngine.tradePerp: add 1 ETH", &p.open_perp(alice, swad(1)))?;
    let health = account_health(&mut p, alice_id)?;
    step(rows, "RiskEngine.accountHealth (view, one perp)", &health)?;

    // RiskEngine registers a series (four storage words) at its first trade,
    // whoever makes it; the buy after it is the common case.
    let series = p.series[0].id;
    let first = bulwark_tests::protocol::LP;
    succeeded("deposit", &p.deposit(first, usd(10_000)))?;
    step(
        rows,
        "RiskEngine.tradeOption: first trade of a series (registers it), buy 1 call",
        &p.trade_option(first, series, swad(1), I256::MAX),
    )?;
    step(
        rows,
        "RiskEngine.tradeOption: buy 1 call",
        &p.trade_option(alice, series, swad(1), I256::MAX),
    )?;
    let health = account_health(&mut p, alice_id)?;
    step(rows, "RiskEngine.accountHealth (view, perp + option)", &health)?;
    step(
        rows,
        "RiskEngine.tradeOption: sell the call back",
        &p.trade_option(alice, series, swad(-1), I256::MAX),
    )?;
    step(rows, "RiskEngine.tradePerp: close 2 ETH", &p.close_perp(alice))?;
    step(rows, "RiskEngine.withdraw (margin check, no position)", &p.withdraw(alice, usd(1_000)))?;

    // Bob: 8x on 1,000 USD (initial margin 10%), then a 10% drop takes his
    // equity below the 5% maintenance margin.
    step(rows, "Vault.deposit (first, 1,000 USD)", &p.deposit(bob, usd(1_000)))?;
    step(rows, "RiskEngine.tradePerp: open 4 ETH long (8x)", &p.open_perp(bob, swad(4)))?;
    let dropped = p.price() * U256::from(90) / U256::from(100);
    p.set_price(dropped);
    if !p.is_liquidatable(bob_id) {
        return Err("the liquidation step's account is not liquidatable after the drop".into());
    }
    step(rows, "RiskEngine.liquidate (one perp position)", &p.liquidate(KEEPER, bob_id))?;
    portfolio(&mut p, rows)?;
    for (name, words) in p.chain.stack_depths() {
        let seen = stack_words.entry(name).or_default();
        *seen = (*seen).max(words);
    }
    Ok((measured, slot_columns(&p)))
}

/// RiskEngine's targets: a full margin check of an account with 32 options
/// and 4 perps on 2 underlyings, and liquidating an account with 4
/// positions.
fn portfolio(p: &mut Protocol, rows: &mut Vec<(Measurement, Footprint)>) -> Result<(), String> {
    let (carol, dave) = (TRADERS[2], TRADERS[3]);
    let markets = [ETH_MARKET, BTC_MARKET, p.add_perp_market(ETH), p.add_perp_market(BTC)];
    // 16 series per underlying on a second expiry: 8 strikes around spot,
    // calls and puts.
    let expiry = p.chain.now() + 14 * 86_400;
    let eth_step = U256::from(STRIKE_STEP);
    let eth_atm = p.price() / eth_step * eth_step;
    let btc_step = U256::from(BTC_STRIKE_STEP);
    let btc_atm = p.btc_price() / btc_step * btc_step;
    let mut series = Vec::new();
    for (feed, atm, step) in [(ETH, eth_atm, eth_step), (BTC, btc_atm, btc_step)] {
        for k in 0..8u64 {
            let strike = atm - step * U256::from(3u64) + step * U256::from(k);
            for is_call in [true, false] {
                series.push(p.list_series(feed, strike, expiry, is_call).id);
            }
        }
    }
    succeeded("the ETH surface", &p.push_volatility(expiry, VOLATILITY))?;
    succeeded("the BTC surface", &p.push_btc_volatility(expiry, VOLATILITY))?;
    let carol_id = p.trader_with(carol, 200_000, 0);
    let tenth = swad(1) / I256::try_from(10).unwrap_or(I256::ONE);
    let sizes = [
        swad(1),
        -swad(1),
        tenth / I256::try_from(4).unwrap_or(I256::ONE),
        -tenth / I256::try_from(4).unwrap_or(I256::ONE),
    ];
    for (market, size) in markets.iter().zip(sizes) {
        succeeded(&format!("perp {market}"), &p.trade_perp_in(carol, *market, size))?;
    }
    let last = series.len() - 1;
    for (i, id) in series.iter().enumerate() {
        let amount = if i % 2 == 0 { tenth } else { -tenth };
        let r = p.trade_option(carol, *id, amount, I256::MAX);
        if i == last {
            step(rows, "RiskEngine.tradeOption: 32nd option (checks 32 options + 4 perps)", &r)?;
        } else {
            succeeded(&format!("option {i}"), &r)?;
        }
    }
    let health = account_health(p, carol_id)?;
    step(rows, "RiskEngine.accountHealth (view, 32 options + 4 perps, 2 underlyings)", &health)?;

    // Dave: two perps and two options at about 6x.
    let dave_id = p.trader_with(dave, 4_000, 0);
    for (market, size) in
        [(ETH_MARKET, swad(6)), (BTC_MARKET, tenth * I256::try_from(3).unwrap_or(I256::ONE))]
    {
        succeeded("dave's perp", &p.trade_perp_in(dave, market, size))?;
    }
    for id in [series[0], series[17]] {
        succeeded("dave's option", &p.trade_option(dave, id, swad(1), I256::MAX))?;
    }
    // Both prices fall 2% at a time until the account is liquidatable.
    for _ in 0..15 {
        if p.is_liquidatable(dave_id) {
            break;
        }
        let fall = |x: U256| x * U256::from(98) / U256::from(100);
        let (eth, btc) = (fall(p.price()), fall(p.btc_price()));
        p.set_price(eth);
        p.set_btc_price(btc);
    }
    if !p.is_liquidatable(dave_id) {
        return Err("the four-position account is not liquidatable after a 26% fall".into());
    }
    step(
        rows,
        "RiskEngine.liquidate (4 positions: 2 perps, 2 options)",
        &p.liquidate(KEEPER, dave_id),
    )
}
