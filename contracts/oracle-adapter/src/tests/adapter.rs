//! The contract under motsu with mock Chainlink feeds. motsu's block
//! timestamp is fixed at [`T0`]: rounds are stamped relative to it, which
//! moves "now" relative to the data (the edges themselves are tested in
//! `logic` with a moving `now`).

use alloy_primitives::{aliases::U80, Address, I256, U256};
use alloy_sol_types::SolError;
use bulwark_common::roles::{NotPendingAdmin, Unauthorized, ADMIN, PAUSER};
use bulwark_mock_aggregator::MockAggregator;
use motsu::prelude::*;

use crate::{logic, *};

/// motsu's block timestamp.
const T0: u64 = 1_735_689_600;
const WAD: u128 = 1_000_000_000_000_000_000;
const WAD_SIGNED: i128 = 1_000_000_000_000_000_000;
const FEED: u32 = 1;

fn wad(x: u128) -> U256 {
    U256::from(x * WAD)
}

/// Decodes revert data as `E` (roles errors arrive typed or as bytes).
fn decode<E: SolError>(data: impl Into<Vec<u8>>) -> E {
    let data: Vec<u8> = data.into();
    E::abi_decode(&data, true).unwrap_or_else(|_| panic!("expected {}, got {data:?}", E::SIGNATURE))
}

fn write(feed: &Contract<MockAggregator>, by: Address, id: u64, answer: i128, updated_at: u64) {
    write_full(feed, by, id, answer, updated_at, id);
}

fn write_full(
    feed: &Contract<MockAggregator>,
    by: Address,
    id: u64,
    answer: i128,
    updated_at: u64,
    answered_in: u64,
) {
    feed.sender(by)
        .set_round(
            U80::from(id),
            I256::try_from(answer).unwrap(),
            U256::from(updated_at),
            U256::from(updated_at),
            U80::from(answered_in),
        )
        .unwrap();
}

/// An adapter with feed 1 on an 8-decimal primary (bounds 100..100,000 USD,
/// strict age 1 h, lenient 1 day) and a 2,000 USD round 10 s old.
fn setup(oracle: &Contract<OracleAdapter>, primary: &Contract<MockAggregator>, admin: Address) {
    setup_with(oracle, primary, Address::ZERO, 0, admin);
}

/// [`setup`] with a secondary source allowed to deviate `bps`.
fn setup_with(
    oracle: &Contract<OracleAdapter>,
    primary: &Contract<MockAggregator>,
    secondary: Address,
    bps: u16,
    admin: Address,
) {
    primary.sender(admin).constructor(8);
    oracle.sender(admin).constructor(admin).unwrap();
    oracle
        .sender(admin)
        .set_feed(FEED, primary.address(), secondary, 3_600, 86_400, bps, wad(100), wad(100_000))
        .unwrap();
    write(primary, admin, 1, 200_000_000_000, T0 - 10);
}

fn strict(oracle: &Contract<OracleAdapter>, by: Address) -> Result<U256, Vec<u8>> {
    oracle.sender(by).price(FEED, logic::USAGE_ADD_RISK)
}

#[motsu::test]
fn prices_a_fresh_round_in_wad_for_every_usage(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    admin: Address,
) {
    setup(&oracle, &primary, admin);
    for usage in 0..=2 {
        assert_eq!(oracle.sender(admin).price(FEED, usage).unwrap(), wad(2_000));
    }
    let err = decode::<InvalidUsage>(oracle.sender(admin).price(FEED, 3).unwrap_err());
    assert_eq!(err.usage, 3);
    let err = decode::<FeedNotConfigured>(oracle.sender(admin).price(2, 0).unwrap_err());
    assert_eq!(err.feedId, 2);
}

#[motsu::test]
fn normalises_feeds_of_6_8_18_and_24_decimals(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    six: Contract<MockAggregator>,
    eighteen: Contract<MockAggregator>,
    twenty_four: Contract<MockAggregator>,
    admin: Address,
) {
    setup(&oracle, &primary, admin);
    let cases = [(&six, 6u8, 2u32), (&eighteen, 18, 3), (&twenty_four, 24, 4)];
    for (feed, decimals, id) in cases {
        feed.sender(admin).constructor(decimals);
        oracle
            .sender(admin)
            .set_feed(id, feed.address(), Address::ZERO, 3_600, 3_600, 0, wad(100), wad(100_000))
            .unwrap();
        // 2,000.5 USD.
        let answer = 20_005 * 10i128.pow(u32::from(decimals)) / 10;
        write(feed, admin, 1, answer, T0);
    }
    let prices = oracle.sender(admin).prices(vec![1, 2, 3, 4], 0).unwrap();
    let expected = U256::from(20_005 * WAD / 10);
    assert_eq!(prices, vec![wad(2_000), expected, expected, expected]);
}

#[motsu::test]
fn strict_price_fails_closed_with_named_errors(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    admin: Address,
) {
    setup(&oracle, &primary, admin);
    let source = primary.address();
    // Stale: 3,601 s old under a 1 h limit (still fine for the lenient day).
    write(&primary, admin, 2, 200_000_000_000, T0 - 3_601);
    let err = decode::<StalePrice>(strict(&oracle, admin).unwrap_err());
    assert_eq!(
        (err.feedId, err.source, err.maxAge, err.now),
        (FEED, source, U256::from(3_600), U256::from(T0))
    );
    assert_eq!(oracle.sender(admin).price(FEED, 1).unwrap(), wad(2_000));
    // Stamped in the future.
    write(&primary, admin, 3, 200_000_000_000, T0 + 1);
    decode::<StalePrice>(strict(&oracle, admin).unwrap_err());
    // Incomplete: updatedAt = 0, and answeredInRound < roundId.
    write(&primary, admin, 4, 200_000_000_000, 0);
    let err = decode::<IncompleteRound>(strict(&oracle, admin).unwrap_err());
    assert_eq!(err.roundId, U80::from(4));
    write_full(&primary, admin, 5, 200_000_000_000, T0, 4);
    let err = decode::<IncompleteRound>(strict(&oracle, admin).unwrap_err());
    assert_eq!(err.answeredInRound, U80::from(4));
    // Negative and zero answers.
    write(&primary, admin, 6, -1, T0);
    let err = decode::<NonPositiveAnswer>(strict(&oracle, admin).unwrap_err());
    assert_eq!(err.answer, I256::MINUS_ONE);
    write(&primary, admin, 7, 0, T0);
    decode::<NonPositiveAnswer>(oracle.sender(admin).price(FEED, 2).unwrap_err());
    // Out of bounds (an aggregator clamped at 10 USD).
    write(&primary, admin, 8, 10_0000_0000, T0);
    let err = decode::<PriceOutOfBounds>(strict(&oracle, admin).unwrap_err());
    assert_eq!((err.price, err.minPrice, err.maxPrice), (wad(10), wad(100), wad(100_000)));
    // The lenient usages refuse broken data too: only the age limit differs.
    decode::<PriceOutOfBounds>(oracle.sender(admin).price(FEED, 1).unwrap_err());
}

#[motsu::test]
fn secondary_source_deviation(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    secondary: Contract<MockAggregator>,
    admin: Address,
) {
    secondary.sender(admin).constructor(18);
    setup_with(&oracle, &primary, secondary.address(), 100, admin);
    // Within 1%: strict returns the primary, lenient the less favourable.
    write(&secondary, admin, 1, 1_990 * WAD_SIGNED, T0);
    assert_eq!(strict(&oracle, admin).unwrap(), wad(2_000));
    assert_eq!(oracle.sender(admin).price(FEED, 1).unwrap(), wad(1_990));
    assert_eq!(oracle.sender(admin).price(FEED, 2).unwrap(), wad(2_000));
    // 5% apart: strict refuses, lenient is the worse source, however far.
    write(&secondary, admin, 2, 1_900 * WAD_SIGNED, T0);
    let err = decode::<PriceDeviation>(strict(&oracle, admin).unwrap_err());
    assert_eq!(
        (err.primaryPrice, err.secondaryPrice, err.deviationBps, err.maxDeviationBps),
        (wad(2_000), wad(1_900), U256::from(527), U256::from(100))
    );
    assert_eq!(oracle.sender(admin).price(FEED, 1).unwrap(), wad(1_900));
    assert_eq!(oracle.sender(admin).price(FEED, 2).unwrap(), wad(2_000));
    // A stale secondary: strict fails closed naming it, lenient ignores it.
    write(&secondary, admin, 3, 2_000 * WAD_SIGNED, T0 - 90_000);
    let err = decode::<StalePrice>(strict(&oracle, admin).unwrap_err());
    assert_eq!(err.source, secondary.address());
    assert_eq!(oracle.sender(admin).price(FEED, 1).unwrap(), wad(2_000));
    // A primary frozen past even its lenient age while the secondary is live
    // at 1,500: strict names the primary; lenient prices at the live source.
    write(&primary, admin, 2, 200_000_000_000, T0 - 90_000);
    write(&secondary, admin, 4, 1_500 * WAD_SIGNED, T0);
    let err = decode::<StalePrice>(strict(&oracle, admin).unwrap_err());
    assert_eq!(err.source, primary.address());
    assert_eq!(oracle.sender(admin).price(FEED, 1).unwrap(), wad(1_500));
    assert_eq!(oracle.sender(admin).price(FEED, 2).unwrap(), wad(1_500));
    // Neither usable: the primary's error.
    write(&secondary, admin, 5, 1_500 * WAD_SIGNED, T0 - 90_000);
    let err = decode::<StalePrice>(oracle.sender(admin).price(FEED, 1).unwrap_err());
    assert_eq!(err.source, primary.address());
}

#[motsu::test]
fn sequencer_down_and_grace_period(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    sequencer: Contract<MockAggregator>,
    admin: Address,
) {
    setup(&oracle, &primary, admin);
    sequencer.sender(admin).constructor(0);
    oracle.sender(admin).set_timing(sequencer.address(), 3_600, 86_400).unwrap();
    let status = |answer: i128, started_at: u64, id: u64| {
        sequencer
            .sender(admin)
            .set_round(
                U80::from(id),
                I256::try_from(answer).unwrap(),
                U256::from(started_at),
                U256::from(T0),
                U80::from(id),
            )
            .unwrap();
    };
    // Down: every usage refused.
    status(1, T0 - 100, 1);
    for usage in 0..=2 {
        let err = decode::<SequencerDown>(oracle.sender(admin).price(FEED, usage).unwrap_err());
        assert_eq!(err.since, U256::from(T0 - 100));
    }
    assert_eq!(oracle.sender(admin).sequencer_status().unwrap(), (1, U256::from(T0 - 100)));
    // Back up 3,599 s ago: one second of grace left; reducing risk works.
    status(0, T0 - 3_599, 2);
    let err = decode::<SequencerGracePeriod>(strict(&oracle, admin).unwrap_err());
    assert_eq!((err.upSince, err.gracePeriodEnds), (U256::from(T0 - 3_599), U256::from(T0 + 1)));
    assert_eq!(oracle.sender(admin).prices(vec![FEED], 1).unwrap(), vec![wad(2_000)]);
    assert_eq!(oracle.sender(admin).sequencer_status().unwrap().0, 2);
    // Up exactly 3,600 s: the grace period is over.
    status(0, T0 - 3_600, 3);
    assert_eq!(strict(&oracle, admin).unwrap(), wad(2_000));
    assert_eq!(oracle.sender(admin).sequencer_status().unwrap(), (0, U256::ZERO));
    // An uninitialised status (startedAt = 0) is treated as down.
    status(0, 0, 4);
    decode::<SequencerDown>(strict(&oracle, admin).unwrap_err());
}

#[motsu::test]
fn pause_stops_strict_prices_only(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    admin: Address,
) {
    setup(&oracle, &primary, admin);
    oracle.sender(admin).roles.pause().unwrap();
    assert!(strict(&oracle, admin).is_err());
    assert_eq!(oracle.sender(admin).price(FEED, 2).unwrap(), wad(2_000));
}

#[motsu::test]
fn settlement_at_the_exact_expiry_second(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    admin: Address,
    bot: Address,
) {
    setup(&oracle, &primary, admin);
    oracle.sender(admin).set_timing(Address::ZERO, 3_600, 3_600).unwrap();
    let expiry = T0 - 1_000;
    write(&primary, admin, 2, 180_000_000_000, expiry - 1);
    write(&primary, admin, 3, 190_000_000_000, expiry);
    write(&primary, admin, 4, 210_000_000_000, expiry + 1);
    let err = decode::<SettlementNotRecorded>(
        oracle.sender(bot).settlement_price(FEED, expiry).unwrap_err(),
    );
    assert_eq!(err.expiry, expiry);
    // Round 2 is before expiry; round 4 is not the first at or after it.
    let reason = |id: u64| {
        decode::<SettlementUnavailable>(
            oracle.sender(bot).record_settlement_price(FEED, expiry, U80::from(id)).unwrap_err(),
        )
        .reason
    };
    assert_eq!(reason(2), SettlementError::RoundBeforeExpiry as u8);
    assert_eq!(reason(4), SettlementError::NotFirstRound as u8);
    assert_eq!(reason(9), SettlementError::RoundMissing as u8);
    assert_eq!(
        oracle.sender(bot).record_settlement_price(FEED, expiry, U80::from(3)).unwrap(),
        wad(1_900)
    );
    assert!(oracle.emitted(&SettlementPriceRecorded {
        feedId: FEED,
        expiry,
        price: wad(1_900),
        roundId: U80::from(3),
        updatedAt: U256::from(expiry),
    }));
    assert_eq!(oracle.sender(bot).settlement_price(FEED, expiry).unwrap(), wad(1_900));
    // Never changes afterwards.
    let err = decode::<SettlementAlreadyRecorded>(
        oracle.sender(bot).record_settlement_price(FEED, expiry, U80::from(3)).unwrap_err(),
    );
    assert_eq!(err.price, wad(1_900));
}

#[motsu::test]
fn settlement_across_gaps_and_before_any_round(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    admin: Address,
    bot: Address,
) {
    setup(&oracle, &primary, admin);
    oracle.sender(admin).set_timing(Address::ZERO, 3_600, 3_600).unwrap();
    let expiry = T0 - 5;
    // No round at or after expiry yet: the latest (round 1, at T0 - 10) is older.
    let err = decode::<SettlementUnavailable>(
        oracle.sender(bot).record_settlement_price(FEED, expiry, U80::from(1)).unwrap_err(),
    );
    assert_eq!(err.reason, SettlementError::RoundBeforeExpiry as u8);
    // A future expiry.
    let err = decode::<SettlementUnavailable>(
        oracle.sender(bot).record_settlement_price(FEED, T0 + 5, U80::from(1)).unwrap_err(),
    );
    assert_eq!(err.reason, SettlementError::ExpiryNotReached as u8);
    // Rounds 2..5 never written (a gap in ids), round 6 lands 3 s after expiry:
    // the search skips the gap down to round 1, before expiry.
    write(&primary, admin, 6, 175_000_000_000, expiry + 3);
    assert_eq!(
        oracle.sender(bot).record_settlement_price(FEED, expiry, U80::from(6)).unwrap(),
        wad(1_750)
    );
    // Outside the window for an older expiry.
    let old = expiry - 4_000;
    let err = decode::<SettlementUnavailable>(
        oracle.sender(bot).record_settlement_price(FEED, old, U80::from(6)).unwrap_err(),
    );
    assert_eq!(err.reason, SettlementError::RoundAfterWindow as u8);
    // An unconfigured feed.
    let err = decode::<FeedNotConfigured>(
        oracle.sender(bot).record_settlement_price(9, expiry, U80::from(6)).unwrap_err(),
    );
    assert_eq!(err.feedId, 9);
}

#[motsu::test]
fn admin_functions_need_the_admin(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    admin: Address,
    mallory: Address,
) {
    setup(&oracle, &primary, admin);
    let unauthorized = |data: Vec<u8>| {
        let err = decode::<Unauthorized>(data);
        assert_eq!((err.caller, err.role), (mallory, ADMIN));
    };
    let unauthorized_role =
        |err: Unauthorized| assert_eq!((err.caller, err.role), (mallory, ADMIN));
    unauthorized(
        oracle
            .sender(mallory)
            .set_feed(FEED, primary.address(), Address::ZERO, 60, 60, 0, wad(1), wad(2))
            .unwrap_err(),
    );
    unauthorized(oracle.sender(mallory).set_timing(Address::ZERO, 3_600, 3_600).unwrap_err());
    unauthorized_role(decode(oracle.sender(mallory).roles.unpause().unwrap_err()));
    let err = decode::<Unauthorized>(oracle.sender(mallory).roles.pause().unwrap_err());
    assert_eq!(err.role, PAUSER);
    // Two-step admin transfer: nothing changes until the successor accepts.
    oracle.sender(admin).roles.transfer_admin(mallory).unwrap();
    let err = decode::<NotPendingAdmin>(oracle.sender(admin).roles.accept_admin().unwrap_err());
    assert_eq!(err.pendingAdmin, mallory);
    unauthorized(oracle.sender(mallory).set_timing(Address::ZERO, 3_600, 3_600).unwrap_err());
    oracle.sender(mallory).roles.accept_admin().unwrap();
    oracle.sender(mallory).set_timing(Address::ZERO, 3_600, 3_600).unwrap();
    assert!(oracle.sender(admin).set_timing(Address::ZERO, 3_600, 3_600).is_err());
}

#[motsu::test]
fn configuration_hard_bounds(
    oracle: Contract<OracleAdapter>,
    primary: Contract<MockAggregator>,
    secondary: Contract<MockAggregator>,
    admin: Address,
) {
    setup(&oracle, &primary, admin);
    secondary.sender(admin).constructor(8);
    let (p, s, z) = (primary.address(), secondary.address(), Address::ZERO);
    let parameter = |data: Vec<u8>| decode::<InvalidConfig>(data).parameter;
    let set = |primary, secondary, age, lenient, bps, min, max| {
        oracle.sender(admin).set_feed(
            FEED,
            primary,
            secondary,
            age,
            lenient,
            bps,
            wad(min),
            wad(max),
        )
    };
    assert_eq!(parameter(set(z, z, 60, 60, 0, 1, 2).unwrap_err()), parameter::PRIMARY);
    assert_eq!(parameter(set(p, p, 60, 60, 0, 1, 2).unwrap_err()), parameter::SECONDARY);
    assert_eq!(parameter(set(p, z, 0, 60, 0, 1, 2).unwrap_err()), parameter::MAX_AGE);
    assert_eq!(parameter(set(p, z, 86_401, 86_401, 0, 1, 2).unwrap_err()), parameter::MAX_AGE);
    assert_eq!(parameter(set(p, z, 60, 59, 0, 1, 2).unwrap_err()), parameter::MAX_AGE_LENIENT);
    assert_eq!(parameter(set(p, z, 60, 259_201, 0, 1, 2).unwrap_err()), parameter::MAX_AGE_LENIENT);
    assert_eq!(parameter(set(p, z, 60, 60, 10, 1, 2).unwrap_err()), parameter::MAX_DEVIATION);
    assert_eq!(parameter(set(p, s, 60, 60, 0, 1, 2).unwrap_err()), parameter::MAX_DEVIATION);
    assert_eq!(parameter(set(p, s, 60, 60, 2_001, 1, 2).unwrap_err()), parameter::MAX_DEVIATION);
    assert_eq!(parameter(set(p, z, 60, 60, 0, 0, 2).unwrap_err()), parameter::PRICE_BOUNDS);
    assert_eq!(parameter(set(p, z, 60, 60, 0, 2, 2).unwrap_err()), parameter::PRICE_BOUNDS);
    // FEED is configured: a valid change is announced, not applied.
    set(p, s, 60, 120, 2_000, 1, 2).unwrap();
    let effective_at = T0 + FEED_CHANGE_DELAY;
    assert!(oracle.emitted(&FeedChangeAnnounced {
        feedId: FEED,
        primary: p,
        secondary: s,
        maxAge: 60,
        maxAgeLenient: 120,
        maxDeviationBps: 2_000,
        minPrice: wad(1),
        maxPrice: wad(2),
        effectiveAt: effective_at,
    }));
    assert_eq!(oracle.sender(admin).pending_feed_change(FEED), effective_at);
    assert_eq!(
        decode::<FeedChangeNotDue>(oracle.sender(admin).apply_feed_change(FEED).unwrap_err()),
        FeedChangeNotDue { feedId: FEED, effectiveAt: effective_at, now: T0 }
    );
    // The old configuration still prices: 2,000 is far outside the announced 1..2.
    assert_eq!(strict(&oracle, admin).unwrap(), wad(2_000));
    assert_eq!(
        decode::<NoFeedChangePending>(oracle.sender(admin).apply_feed_change(7).unwrap_err()),
        NoFeedChangePending { feedId: 7 }
    );
    // A new feed takes effect at once.
    oracle.sender(admin).set_feed(7, p, s, 60, 120, 2_000, wad(1), wad(2)).unwrap();
    assert!(oracle.emitted(&FeedConfigured {
        feedId: 7,
        primary: p,
        secondary: s,
        maxAge: 60,
        maxAgeLenient: 120,
        maxDeviationBps: 2_000,
        minPrice: wad(1),
        maxPrice: wad(2),
    }));
    assert_eq!(oracle.sender(admin).pending_feed_change(7), 0);
    let timing = |grace, window| oracle.sender(admin).set_timing(z, grace, window);
    assert_eq!(parameter(timing(59, 3_600).unwrap_err()), parameter::GRACE_PERIOD);
    assert_eq!(parameter(timing(86_401, 3_600).unwrap_err()), parameter::GRACE_PERIOD);
    assert_eq!(parameter(timing(3_600, 59).unwrap_err()), parameter::SETTLEMENT_WINDOW);
    assert_eq!(parameter(timing(3_600, 7 * 86_400 + 1).unwrap_err()), parameter::SETTLEMENT_WINDOW);
    timing(60, 7 * 86_400).unwrap();
    assert!(oracle.emitted(&TimingConfigured {
        sequencerFeed: z,
        gracePeriod: 60,
        settlementWindow: 7 * 86_400
    }));
}

#[test]
fn hand_encoded_errors_match_alloy() {
    let (feed, source) = (7u32, Address::repeat_byte(0xab));
    let ours = revert(
        StalePrice::SELECTOR,
        &[uint(u128::from(feed)), addr(source), uint(5), uint(60), uint(99)],
    );
    let theirs = StalePrice {
        feedId: feed,
        source,
        updatedAt: U256::from(5),
        maxAge: U256::from(60),
        now: U256::from(99),
    }
    .abi_encode();
    assert_eq!(ours, theirs);
    {
        let ours = surface_error(
            feed,
            9,
            logic::SurfaceError::Calendar { neighbour: 3, log_moneyness: -5 },
        );
        let theirs = CalendarArbitrage {
            feedId: feed,
            expiry: 9,
            neighbourExpiry: 3,
            logMoneyness: I256::try_from(-5).unwrap(),
        }
        .abi_encode();
        assert_eq!(ours, theirs);
    }
}

mod surface {
    use super::*;

    const DAY: u64 = 86_400;

    fn milli(x: i128) -> I256 {
        I256::try_from(x * 1_000_000_000_000_000).unwrap()
    }

    fn configure(oracle: &Contract<OracleAdapter>, admin: Address) {
        oracle
            .sender(admin)
            .set_surface_config(milli(-700), milli(700), 15, U256::from(WAD / 20), wad(5), 3_600)
            .unwrap();
    }

    fn push(
        oracle: &Contract<OracleAdapter>,
        by: Address,
        expiry: u64,
        a: i128,
        b: i128,
    ) -> Result<(), Vec<u8>> {
        oracle.sender(by).set_volatility_surface(
            FEED,
            expiry,
            wad(2_000),
            milli(a),
            milli(b),
            milli(-300),
            milli(0),
            milli(100),
        )
    }

    #[motsu::test]
    fn surface_push_and_query(
        oracle: Contract<OracleAdapter>,
        primary: Contract<MockAggregator>,
        admin: Address,
        updater: Address,
    ) {
        setup(&oracle, &primary, admin);
        let expiry = T0 + 30 * DAY;
        let err = decode::<SurfaceNotSet>(
            oracle.sender(admin).volatility(FEED, expiry, wad(2_000), 0).unwrap_err(),
        );
        assert_eq!(err.expiry, expiry);
        // Only the volatility updater pushes; only the admin configures.
        let err = decode::<Unauthorized>(push(&oracle, updater, expiry, 20, 100).unwrap_err());
        assert_eq!(err.role, bulwark_common::roles::VOLATILITY_UPDATER);
        oracle
            .sender(admin)
            .roles
            .grant_role(updater, bulwark_common::roles::VOLATILITY_UPDATER)
            .unwrap();
        let err = decode::<InvalidSurface>(push(&oracle, updater, expiry, 20, 100).unwrap_err());
        assert_eq!(err.reason, logic::invalid::NOT_CONFIGURED);
        let err = decode::<Unauthorized>(
            oracle
                .sender(updater)
                .set_surface_config(milli(-700), milli(700), 15, U256::from(1), wad(5), 3_600)
                .unwrap_err(),
        );
        assert_eq!(err.role, ADMIN);
        configure(&oracle, admin);
        push(&oracle, updater, expiry, 20, 100).unwrap();
        let atm = oracle.sender(admin).volatility(FEED, expiry, wad(2_000), 0).unwrap();
        assert!(atm > U256::from(600 * WAD / 1000) && atm < U256::from(610 * WAD / 1000));
        // A fresh slice serves every usage alike; an unknown usage is refused.
        assert_eq!(oracle.sender(admin).volatility(FEED, expiry, wad(2_000), 1).unwrap(), atm);
        let err = decode::<InvalidUsage>(
            oracle.sender(admin).volatility(FEED, expiry, wad(2_000), 3).unwrap_err(),
        );
        assert_eq!(err.usage, 3);
        // Calendar: a longer expiry with less total variance is refused.
        let err = decode::<CalendarArbitrage>(
            push(&oracle, updater, expiry + 30 * DAY, 10, 50).unwrap_err(),
        );
        assert_eq!(err.neighbourExpiry, expiry);
        push(&oracle, updater, expiry + 30 * DAY, 40, 100).unwrap();
        // Butterfly.
        let err = oracle
            .sender(updater)
            .set_volatility_surface(
                FEED,
                expiry,
                wad(2_000),
                milli(0),
                milli(1_500),
                milli(300),
                milli(0),
                milli(50),
            )
            .unwrap_err();
        decode::<ButterflyArbitrage>(err);
    }
}
