//! OracleAdapter on the real WASM, with the clock really moving: decimals
//! normalisation, staleness for each usage, the sequencer and its grace
//! period at the edges, settlement prices, and access control.

use alloy_primitives::{aliases::U80, Address, I256, U256};
use bulwark_tests::bindings::{
    constructors as ctor, feed::MockAggregator, oracle::IOracleAdapter as Oracle, oracle::IRoles,
};
use bulwark_tests::{assert_error, success, wad, Chain, ADMIN};

const ETH: u32 = 1;
const STRICT: u8 = 0;
const LENIENT_LOW: u8 = 1;
const MAX_AGE: u32 = 3_600;
const MAX_AGE_LENIENT: u32 = 86_400;
const GRACE: u32 = 3_600;
const WINDOW: u32 = 3_600;
const STRANGER: Address = Address::repeat_byte(0x55);

struct Setup {
    chain: Chain,
    oracle: Address,
    sequencer: Address,
    eth: Address,
}

fn answer(units: i128, decimals: u8) -> I256 {
    I256::try_from(units).unwrap() * I256::try_from(10i128.pow(u32::from(decimals))).unwrap()
}

fn new_feed(chain: &mut Chain, decimals: u8) -> Address {
    chain.deploy("MockAggregator", &ctor::MockAggregator::constructorCall { decimals })
}

fn set_round(
    chain: &mut Chain,
    feed: Address,
    id: u64,
    value: I256,
    started_at: u64,
    updated_at: u64,
) {
    chain.ok(
        ADMIN,
        feed,
        &MockAggregator::setRoundCall {
            round_id: U80::from(id),
            answer: value,
            started_at: U256::from(started_at),
            updated_at: U256::from(updated_at),
            answered_in_round: U80::from(id),
        },
    );
}

/// `setFeed` of a single-source feed (1 h strict, 1 day lenient, 1..1e6).
fn set_feed(feed_id: u32, primary: Address) -> Oracle::setFeedCall {
    Oracle::setFeedCall {
        feed_id,
        primary,
        secondary: Address::ZERO,
        max_age: MAX_AGE,
        max_age_lenient: MAX_AGE_LENIENT,
        max_deviation_bps: 0,
        min_price: wad(1),
        max_price: wad(1_000_000),
    }
}

fn configure_feed(chain: &mut Chain, oracle: Address, feed_id: u32, primary: Address) {
    chain.ok(ADMIN, oracle, &set_feed(feed_id, primary));
}

/// An adapter with an 8-decimal ETH feed at 2,000 and a sequencer up for two days.
fn setup() -> Setup {
    let mut chain = Chain::new();
    let oracle =
        chain.deploy("OracleAdapter", &ctor::OracleAdapter::constructorCall { admin: ADMIN });
    let sequencer = new_feed(&mut chain, 0);
    let now = chain.now();
    set_round(&mut chain, sequencer, 1, I256::ZERO, now - 2 * 86_400, now - 2 * 86_400);
    chain.ok(
        ADMIN,
        oracle,
        &Oracle::setTimingCall {
            sequencer_feed: sequencer,
            grace_period: GRACE,
            settlement_window: WINDOW,
        },
    );
    let eth = new_feed(&mut chain, 8);
    chain.ok(ADMIN, eth, &MockAggregator::pushAnswerCall { answer: answer(2_000, 8) });
    configure_feed(&mut chain, oracle, ETH, eth);
    Setup { chain, oracle, sequencer, eth }
}

fn price(s: &mut Setup, usage: u8) -> Result<U256, Vec<u8>> {
    s.chain.view(s.oracle, &Oracle::priceCall { feed_id: ETH, usage }).map(|r| r._0)
}

#[test]
fn prices_are_normalised_to_18_decimals_from_any_feed_decimals() {
    let mut s = setup();
    for (feed_id, decimals) in [(10u32, 6u8), (11, 8), (12, 18), (13, 24)] {
        let feed = new_feed(&mut s.chain, decimals);
        s.chain.ok(
            ADMIN,
            feed,
            &MockAggregator::pushAnswerCall { answer: answer(2_000, decimals) + I256::ONE },
        );
        configure_feed(&mut s.chain, s.oracle, feed_id, feed);
        let got = s.chain.view(s.oracle, &Oracle::priceCall { feed_id, usage: STRICT }).unwrap()._0;
        // 2,000 plus one unit of the feed's last decimal, scaled to 18 decimals (rounded down).
        let one_unit = if decimals <= 18 {
            U256::from(10u128.pow(u32::from(18 - decimals)))
        } else {
            U256::ZERO
        };
        assert_eq!(got, wad(2_000) + one_unit, "{decimals}-decimal feed");
    }
}

#[test]
fn stale_price_is_refused_for_adding_risk_and_accepted_for_reducing() {
    let mut s = setup();
    let updated_at = s.chain.now();
    s.chain.advance(u64::from(MAX_AGE));
    assert_eq!(price(&mut s, STRICT).unwrap(), wad(2_000), "exactly max age is still fresh");
    s.chain.advance(1);
    let now = s.chain.now();
    let primary = s.eth;
    assert_error(
        &price(&mut s, STRICT).unwrap_err(),
        &Oracle::StalePrice {
            feedId: ETH,
            source: primary,
            updatedAt: U256::from(updated_at),
            maxAge: U256::from(MAX_AGE),
            now: U256::from(now),
        },
    );
    assert_eq!(price(&mut s, LENIENT_LOW).unwrap(), wad(2_000));
    s.chain.advance(u64::from(MAX_AGE_LENIENT));
    assert!(price(&mut s, LENIENT_LOW).is_err(), "past the lenient age nothing is usable");
}

#[test]
fn sequencer_down_refuses_every_usage_and_grace_period_only_strict() {
    let mut s = setup();
    let down_at = s.chain.now();
    set_round(&mut s.chain, s.sequencer, 2, I256::ONE, down_at, down_at);
    assert_error(
        &price(&mut s, STRICT).unwrap_err(),
        &Oracle::SequencerDown { since: U256::from(down_at) },
    );
    assert_error(
        &price(&mut s, LENIENT_LOW).unwrap_err(),
        &Oracle::SequencerDown { since: U256::from(down_at) },
    );

    s.chain.advance(600);
    let up_at = s.chain.now();
    set_round(&mut s.chain, s.sequencer, 3, I256::ZERO, up_at, up_at);
    // Keep the price fresh through the grace period.
    let eth = s.eth;
    s.chain.advance(u64::from(GRACE) - 1);
    s.chain.ok(ADMIN, eth, &MockAggregator::pushAnswerCall { answer: answer(2_000, 8) });
    assert_error(
        &price(&mut s, STRICT).unwrap_err(),
        &Oracle::SequencerGracePeriod {
            upSince: U256::from(up_at),
            gracePeriodEnds: U256::from(up_at + u64::from(GRACE)),
        },
    );
    assert_eq!(
        price(&mut s, LENIENT_LOW).unwrap(),
        wad(2_000),
        "reducing works during the grace period"
    );
    s.chain.advance(1);
    assert_eq!(
        price(&mut s, STRICT).unwrap(),
        wad(2_000),
        "the grace period ends at upSince + grace"
    );
}

#[test]
fn settlement_takes_the_round_at_the_exact_expiry_second_once() {
    let mut s = setup();
    let eth = s.eth;
    let expiry = s.chain.now() + 1_000;
    set_round(&mut s.chain, eth, 2, answer(1_900, 8), expiry - 10, expiry - 10);
    set_round(&mut s.chain, eth, 3, answer(1_950, 8), expiry, expiry);
    set_round(&mut s.chain, eth, 4, answer(1_990, 8), expiry + 5, expiry + 5);
    s.chain.advance(1_010);
    let record =
        Oracle::recordSettlementPriceCall { feed_id: ETH, expiry, round_id: U80::from(4u8) };
    let refused = s.chain.send(STRANGER, s.oracle, &record);
    assert!(!refused.success(), "round 4 is not the first at or after expiry");
    let record =
        Oracle::recordSettlementPriceCall { feed_id: ETH, expiry, round_id: U80::from(3u8) };
    assert_eq!(s.chain.ok(STRANGER, s.oracle, &record)._0, wad(1_950));
    assert_eq!(
        s.chain.view(s.oracle, &Oracle::settlementPriceCall { feed_id: ETH, expiry }).unwrap()._0,
        wad(1_950)
    );
    let again = s.chain.send(STRANGER, s.oracle, &record);
    assert_error(
        &again.output,
        &Oracle::SettlementAlreadyRecorded { feedId: ETH, expiry, price: wad(1_950) },
    );
}

#[test]
fn settlement_walks_back_over_gaps_in_round_ids() {
    let mut s = setup();
    let eth = s.eth;
    let expiry = s.chain.now() + 1_000;
    set_round(&mut s.chain, eth, 2, answer(1_900, 8), expiry - 300, expiry - 300);
    // Rounds 3 to 5 never answered; round 6 is the first after expiry.
    set_round(&mut s.chain, eth, 6, answer(1_975, 8), expiry + 30, expiry + 30);
    s.chain.advance(1_100);
    let record =
        Oracle::recordSettlementPriceCall { feed_id: ETH, expiry, round_id: U80::from(6u8) };
    assert_eq!(s.chain.ok(STRANGER, s.oracle, &record)._0, wad(1_975));
}

#[test]
fn settlement_before_expiry_is_refused_with_the_reason() {
    let mut s = setup();
    let expiry = s.chain.now() + 1_000;
    let record =
        Oracle::recordSettlementPriceCall { feed_id: ETH, expiry, round_id: U80::from(1u8) };
    let refused = s.chain.send(STRANGER, s.oracle, &record);
    assert_error(
        &refused.output,
        &Oracle::SettlementUnavailable { feedId: ETH, expiry, roundId: U80::from(1u8), reason: 0 },
    );
    assert_error(
        &s.chain.view(s.oracle, &Oracle::settlementPriceCall { feed_id: ETH, expiry }).unwrap_err(),
        &Oracle::SettlementNotRecorded { feedId: ETH, expiry },
    );
}

#[test]
fn every_admin_function_refuses_a_stranger() {
    let mut s = setup();
    let unauthorized = IRoles::Unauthorized { caller: STRANGER, role: 0 };
    let set_feed = Oracle::setFeedCall {
        feed_id: 2,
        primary: STRANGER,
        secondary: Address::ZERO,
        max_age: MAX_AGE,
        max_age_lenient: MAX_AGE_LENIENT,
        max_deviation_bps: 0,
        min_price: wad(1),
        max_price: wad(2),
    };
    assert_error(&s.chain.send(STRANGER, s.oracle, &set_feed).output, &unauthorized);
    let set_timing = Oracle::setTimingCall {
        sequencer_feed: Address::ZERO,
        grace_period: GRACE,
        settlement_window: WINDOW,
    };
    assert_error(&s.chain.send(STRANGER, s.oracle, &set_timing).output, &unauthorized);
    assert_error(&s.chain.send(STRANGER, s.oracle, &IRoles::unpauseCall {}).output, &unauthorized);
    assert_error(
        &s.chain
            .send(STRANGER, s.oracle, &IRoles::grantRoleCall { account: STRANGER, role: 1 })
            .output,
        &unauthorized,
    );
}

#[test]
fn volatilities_answer_each_query_as_volatility_does_and_fail_on_the_first_bad_one() {
    use bulwark_tests::protocol::{flat_surface, Protocol, BTC};
    let mut p = Protocol::new();
    let expiry = p.series[0].expiry;
    // A skewed ETH slice, so that each strike has its own volatility.
    let mut slice = flat_surface(expiry, p.chain.now(), p.price(), 800_000_000_000_000_000);
    slice.b = I256::try_from(50_000_000_000_000_000i64).unwrap();
    slice.rho = I256::try_from(-300_000_000_000_000_000i64).unwrap();
    assert!(p.chain.send(bulwark_tests::protocol::VOL_UPDATER, p.oracle, &slice).success());
    let query = |feed: u32, expiry: u64, strike: U256| {
        (strike << 96) | (U256::from(expiry) << 32) | U256::from(feed)
    };
    let strikes: Vec<U256> = [1_600u128, 2_000, 2_400].iter().map(|k| wad(*k)).collect();
    let queries: Vec<U256> = strikes.iter().map(|k| query(ETH, expiry, *k)).collect();
    let batched = p
        .chain
        .view(p.oracle, &Oracle::volatilitiesCall { queries: queries.clone(), usage: 0 })
        .unwrap()
        ._0;
    let single: Vec<U256> = strikes
        .iter()
        .map(|k| {
            let call = Oracle::volatilityCall { feed_id: ETH, expiry, strike: *k, usage: 0 };
            p.chain.view(p.oracle, &call).unwrap()._0
        })
        .collect();
    assert_eq!(batched, single);
    assert!(single[0] != single[2], "the skewed slice prices strikes differently");
    // BTC has no slice at this expiry: the batch fails with that query's error.
    let mut bad = queries;
    bad.insert(1, query(BTC, expiry, wad(40_000)));
    let err =
        p.chain.view(p.oracle, &Oracle::volatilitiesCall { queries: bad, usage: 0 }).unwrap_err();
    assert_error(&err, &Oracle::SurfaceNotSet { feedId: BTC, expiry });
}

#[test]
fn a_change_of_a_configured_feed_waits_two_days_and_anyone_applies_it() {
    let mut s = setup();
    // The admin points ETH at a new aggregator answering 1,000.
    let replacement = new_feed(&mut s.chain, 8);
    s.chain.ok(ADMIN, replacement, &MockAggregator::pushAnswerCall { answer: answer(1_000, 8) });
    let r = s.chain.send(ADMIN, s.oracle, &set_feed(ETH, replacement));
    let effective_at = s.chain.now() + 2 * 86_400;
    let announced = r.events::<Oracle::FeedChangeAnnounced>();
    assert_eq!(announced.len(), 1);
    assert_eq!(
        (announced[0].feedId, announced[0].primary, announced[0].effectiveAt),
        (ETH, replacement, effective_at)
    );
    assert!(r.events::<Oracle::FeedConfigured>().is_empty());
    let pending = Oracle::pendingFeedChangeCall { feed_id: ETH };
    assert_eq!(s.chain.view(s.oracle, &pending).unwrap()._0, effective_at);
    // Until then the old aggregator prices, and applying early is refused.
    assert_eq!(price(&mut s, STRICT).unwrap(), wad(2_000));
    s.chain.advance(2 * 86_400 - 1);
    let now = s.chain.now();
    let apply = Oracle::applyFeedChangeCall { feed_id: ETH };
    assert_error(
        &s.chain.send(STRANGER, s.oracle, &apply).output,
        &Oracle::FeedChangeNotDue { feedId: ETH, effectiveAt: effective_at, now },
    );
    // Keep both aggregators fresh across the wait.
    s.chain.ok(ADMIN, s.eth, &MockAggregator::pushAnswerCall { answer: answer(2_000, 8) });
    s.chain.ok(ADMIN, replacement, &MockAggregator::pushAnswerCall { answer: answer(1_000, 8) });
    assert_eq!(price(&mut s, STRICT).unwrap(), wad(2_000));
    s.chain.advance(1);
    let r = s.chain.send(STRANGER, s.oracle, &apply);
    success(&r, "applyFeedChange");
    let configured = r.events::<Oracle::FeedConfigured>();
    assert_eq!((configured[0].feedId, configured[0].primary), (ETH, replacement));
    assert_eq!(price(&mut s, STRICT).unwrap(), wad(1_000));
    assert_eq!(s.chain.view(s.oracle, &pending).unwrap()._0, 0);
    assert_error(
        &s.chain.send(STRANGER, s.oracle, &apply).output,
        &Oracle::NoFeedChangePending { feedId: ETH },
    );
}
