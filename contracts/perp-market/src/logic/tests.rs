//! Native tests of the perp logic: hand-computed fills and fees, funding
//! closed forms (with the clamp boundary), caps, and property tests of
//! invariant 5 and funding conservation against an exact 256-bit reference.

use alloy_primitives::I256;
use proptest::prelude::*;

use super::*;

const W: u128 = WAD;
const SW: i128 = SIGNED_WAD;

/// ETH-like market: skew scale 1,000,000, maker 2 bp, taker 5 bp (SIP-348).
fn eth() -> MarketParams {
    MarketParams {
        feed_id: 1,
        skew_scale: 1_000_000 * W,
        maker_fee: 2 * W / 10_000,
        taker_fee: 5 * W / 10_000,
        max_open_interest: 100_000 * W,
        min_trade_size: W / 100,
        max_trade_size: 10_000 * W,
        max_funding_velocity: 9 * W,
        max_funding_rate: W / 10,
    }
}

fn wad(units: i128) -> i128 {
    units * SW
}

/// Puts one field of the parameters out of bounds.
type Breaker = fn(&mut MarketParams);

#[test]
fn params_bounds_name_the_field() {
    assert_eq!(eth().validate(), Ok(()));
    let cases: [(Breaker, ParamField); 10] = [
        (|p| p.feed_id = 0, ParamField::FeedId),
        (|p| p.skew_scale = MIN_SKEW_SCALE - 1, ParamField::SkewScale),
        (|p| p.skew_scale = MAX_SIZE + 1, ParamField::SkewScale),
        (|p| p.maker_fee = p.taker_fee + 1, ParamField::MakerFee),
        (|p| p.taker_fee = MAX_FEE + 1, ParamField::TakerFee),
        (|p| p.max_open_interest = 0, ParamField::MaxOpenInterest),
        (|p| p.min_trade_size = 0, ParamField::MinTradeSize),
        (|p| p.max_trade_size = p.max_open_interest + 1, ParamField::MaxTradeSize),
        (|p| p.max_funding_velocity = MAX_FUNDING_VELOCITY + 1, ParamField::MaxFundingVelocity),
        (|p| p.max_funding_rate = MAX_FUNDING_RATE + 1, ParamField::MaxFundingRate),
    ];
    for (break_it, field) in cases {
        let mut params = eth();
        break_it(&mut params);
        assert_eq!(params.validate(), Err(field));
    }
    let mut edge = eth();
    edge.max_trade_size = edge.min_trade_size;
    edge.maker_fee = edge.taker_fee;
    assert_eq!(edge.validate(), Ok(()));
}

#[test]
fn fill_price_and_fee_of_an_opening_buy() {
    // 2000 * (1 + 100 / (2 * 1e6)) = 2000.1; fee 100 * 2000.1 * 0.0005 = 100.005.
    let p = eth();
    let fill = fill_price(2000 * W, 0, wad(100), p.skew_scale).unwrap();
    assert_eq!(fill, 2000 * W + W / 10);
    let fee = trade_fee(0, wad(100), fill, p.maker_fee, p.taker_fee).unwrap();
    assert_eq!(fee, 100 * W + 5 * W / 1000);
}

#[test]
fn fill_price_and_fee_of_a_trade_that_flips_the_skew() {
    // skew 1000, sell 3000: 2000 * (1 + (2000 - 3000) / 2e6) = 1999;
    // maker 1000 * 1999 * 0.0002 = 399.8, taker 2000 * 1999 * 0.0005 = 1999.
    let p = eth();
    let fill = fill_price(2000 * W, wad(1000), wad(-3000), p.skew_scale).unwrap();
    assert_eq!(fill, 1999 * W);
    assert_eq!(maker_taker_split(wad(1000), wad(-3000)), (1000 * W, 2000 * W));
    let fee = trade_fee(wad(1000), wad(-3000), fill, p.maker_fee, p.taker_fee).unwrap();
    assert_eq!(fee, 399 * W + 8 * W / 10 + 1999 * W);
}

#[test]
fn reducing_skew_pays_the_lower_fee() {
    let p = eth();
    let (taker_paid, maker_paid) = (
        trade_fee(0, wad(10), 2000 * W, p.maker_fee, p.taker_fee).unwrap(),
        trade_fee(wad(10), wad(-10), 2000 * W, p.maker_fee, p.taker_fee).unwrap(),
    );
    assert_eq!(taker_paid, 10 * W); // 20,000 * 5 bp
    assert_eq!(maker_paid, 4 * W); // 20,000 * 2 bp
    assert_eq!(maker_taker_split(wad(-5), wad(-1)), (0, W));
    assert_eq!(maker_taker_split(wad(-5), wad(2)), (2 * W, 0));
}

#[test]
fn fill_price_rounds_against_the_trader() {
    // premium 1e18 * 1 / 6e18 = 0.17 wei: a buy pays 1 wei more, a sell gets 1 wei less.
    assert_eq!(fill_price(W, 0, 1, 3 * W), Ok(W + 1));
    assert_eq!(fill_price(W, 0, -1, 3 * W), Ok(W - 1));
    // A discount can never take the price to zero.
    assert_eq!(fill_price(W, wad(-2), 0, 2 * W), Err(TradeError::Arithmetic));
    assert_eq!(fill_price(W, wad(-1), wad(-1), W), Err(TradeError::Arithmetic));
}

#[test]
fn a_sequence_of_trades_flips_the_skew_and_back() {
    let p = eth();
    let price = 2000 * W;
    let mut oi = OpenInterest::default();
    // (size before, delta, fill, fee) computed by hand at P = 2000, S = 1e6.
    let trades: [(i128, i128, u128, u128); 3] = [
        // 2000 * (1 + 500 / 2e6) = 2000.5; fee 500 * 2000.5 * 5 bp = 500.125
        (0, wad(500), 2000 * W + W / 2, 500 * W + W / 8),
        // 2000 * (1 + (1000 - 1500) / 2e6) = 1999.5; 500 maker (199.95) + 1000 taker (999.75)
        (0, wad(-1500), 1999 * W + W / 2, 1199 * W + 7 * W / 10),
        // 2000 * (1 + (-2000 + 1000) / 2e6) = 1999; 1000 maker: 399.8
        (0, wad(1000), 1999 * W, 399 * W + 8 * W / 10),
    ];
    let skews = [wad(500), wad(-1000), 0];
    for ((before, delta, fill, fee), skew_after) in trades.into_iter().zip(skews) {
        let q = quote(&p, oi, Funding::default(), price, delta, 0).unwrap();
        assert_eq!((q.fill_price, q.fee), (fill, fee));
        check_acceptable_price(delta, fill, fill).unwrap();
        check_trade_size(before, delta, p.min_trade_size, p.max_trade_size).unwrap();
        oi = oi.apply(before, delta, Some(p.max_open_interest)).unwrap();
        assert_eq!(oi.skew(), Ok(skew_after));
    }
    assert_eq!(oi, OpenInterest { long: 1500 * W, short: 1500 * W });
}

#[test]
fn acceptable_price_protects_both_ways() {
    let fill = 2000 * W + W / 2;
    assert_eq!(check_acceptable_price(1, fill, fill), Ok(()));
    assert_eq!(check_acceptable_price(1, fill, fill + 1), Ok(()));
    assert_eq!(
        check_acceptable_price(1, fill, fill - 1),
        Err(TradeError::AcceptablePrice { fill_price: fill })
    );
    assert_eq!(check_acceptable_price(-1, fill, fill), Ok(()));
    assert_eq!(check_acceptable_price(-1, fill, fill - 1), Ok(()));
    assert_eq!(
        check_acceptable_price(-1, fill, fill + 1),
        Err(TradeError::AcceptablePrice { fill_price: fill })
    );
}

#[test]
fn size_limits_apply_to_trades_that_add_risk_only() {
    let p = eth();
    let (min, max) = (p.min_trade_size, p.max_trade_size);
    assert_eq!(check_trade_size(0, 0, min, max), Err(TradeError::TradeSize));
    assert_eq!(check_trade_size(0, 1, min, max), Err(TradeError::TradeSize));
    assert_eq!(check_trade_size(0, wad(10_001), min, max), Err(TradeError::TradeSize));
    assert_eq!(check_trade_size(0, wad(-10_000), min, max), Ok(()));
    // A flip adds risk: the whole delta is limited.
    assert_eq!(check_trade_size(wad(5), wad(-10_006), min, max), Err(TradeError::TradeSize));
    // Reducing or closing is never refused for its size: dust and huge closes pass.
    assert_eq!(check_trade_size(wad(20_000), -1, min, max), Ok(()));
    assert_eq!(check_trade_size(wad(20_000), wad(-20_000), min, max), Ok(()));
    assert_eq!(check_trade_size(-5, 5, min, max), Ok(()));
    assert!(adds_risk(0, 1) && adds_risk(1, 1) && adds_risk(1, -2) && adds_risk(-1, 2));
    assert!(!adds_risk(2, -1) && !adds_risk(2, -2) && !adds_risk(-2, 1) && !adds_risk(-2, 2));
}

#[test]
fn open_interest_cap_applies_to_the_side_that_grows() {
    let cap = Some(100 * W);
    let oi = OpenInterest { long: 90 * W, short: 150 * W };
    assert_eq!(
        oi.apply(0, wad(11), cap),
        Err(TradeError::OpenInterestCap { long: true, open_interest: 101 * W })
    );
    assert_eq!(oi.apply(0, wad(10), cap), Ok(OpenInterest { long: 100 * W, short: 150 * W }));
    // Short side is over a lowered cap: reducing it passes, growing it does not.
    assert_eq!(oi.apply(wad(-50), wad(10), cap), Ok(OpenInterest { long: 90 * W, short: 140 * W }));
    assert_eq!(
        oi.apply(wad(-50), -1, cap),
        Err(TradeError::OpenInterestCap { long: false, open_interest: 150 * W + 1 })
    );
    // A flip from short 50 to long 5: the short side shrinks, the long side grows within the cap.
    assert_eq!(oi.apply(wad(-50), wad(55), cap), Ok(OpenInterest { long: 95 * W, short: 100 * W }));
    // Liquidation closes pass no cap.
    assert_eq!(
        oi.apply(wad(-50), wad(50), None),
        Ok(OpenInterest { long: 90 * W, short: 100 * W })
    );
    // A size that is not part of the open interest is refused.
    assert_eq!(oi.apply(wad(91), wad(-91), cap), Err(TradeError::Arithmetic));
}

fn funding_params(max_velocity: u128, max_rate: u128) -> MarketParams {
    MarketParams { max_funding_velocity: max_velocity, max_funding_rate: max_rate, ..eth() }
}

#[test]
fn funding_velocity_follows_skew_and_is_capped() {
    let p = funding_params(9 * W, W / 10);
    assert_eq!(
        funding_velocity(wad(500_000), p.skew_scale, p.max_funding_velocity),
        Ok(wad(9) / 2)
    );
    assert_eq!(
        funding_velocity(wad(-250_000), p.skew_scale, p.max_funding_velocity),
        Ok(-wad(9) / 4)
    );
    // |skew| beyond the scale: velocity capped at the maximum.
    assert_eq!(funding_velocity(wad(3_000_000), p.skew_scale, p.max_funding_velocity), Ok(wad(9)));
    assert_eq!(
        funding_velocity(wad(-3_000_000), p.skew_scale, p.max_funding_velocity),
        Ok(-wad(9))
    );
    assert_eq!(funding_velocity(0, p.skew_scale, p.max_funding_velocity), Ok(0));
}

#[test]
fn funding_accrues_the_closed_form_at_constant_skew() {
    // v = 0.5 * 1 = 0.5 per day per day, one day, no clamp: area = v T^2 / 2 =
    // 0.25 rate-days; index += 0.25 * 2000 = 500; rate = 0.5.
    let p = funding_params(W, W);
    let f = accrue_funding(Funding::default(), wad(500_000), &p, 2000 * W, DAY).unwrap();
    assert_eq!(f, Funding { rate: SW / 2, index: wad(500), time: DAY });
    // Starting at rate 0.1 for half a day: area = 0.1 * 0.5 + 0.5 * 0.25 / 2 = 0.1125.
    let start = Funding { rate: SW / 10, index: wad(7), time: 100 };
    let f = accrue_funding(start, wad(500_000), &p, 2000 * W, 100 + DAY / 2).unwrap();
    assert_eq!(
        f,
        Funding { rate: SW / 10 + SW / 4, index: wad(7) + wad(225), time: 100 + DAY / 2 }
    );
    // A short skew makes shorts pay: the index falls.
    let f = accrue_funding(Funding::default(), wad(-500_000), &p, 2000 * W, DAY).unwrap();
    assert_eq!(f, Funding { rate: -SW / 2, index: -wad(500), time: DAY });
}

#[test]
fn funding_integral_is_exact_across_the_clamp() {
    // v = 1 per day per day, bound 0.5: the rate reaches 0.5 at half a day and stays.
    // area = 0.5 * 0.5 / 2 + 0.5 * 0.5 = 0.375 rate-days; index += 750.
    let p = funding_params(W, W / 2);
    let skew = wad(1_000_000);
    let one_step = accrue_funding(Funding::default(), skew, &p, 2000 * W, DAY).unwrap();
    assert_eq!(one_step, Funding { rate: SW / 2, index: wad(750), time: DAY });
    // The same in two steps meeting exactly at the boundary.
    let half = accrue_funding(Funding::default(), skew, &p, 2000 * W, DAY / 2).unwrap();
    assert_eq!(half, Funding { rate: SW / 2, index: wad(250), time: DAY / 2 });
    assert_eq!(accrue_funding(half, skew, &p, 2000 * W, DAY).unwrap(), one_step);
    // Mirror image at the lower bound.
    let down = accrue_funding(Funding::default(), -skew, &p, 2000 * W, DAY).unwrap();
    assert_eq!(down, Funding { rate: -SW / 2, index: -wad(750), time: DAY });
    // From the upper bound down through zero to the lower bound: v = -1, R = 0.5,
    // start 0.5: reaches -0.5 after one day, then flat for one day:
    // area = 0 (linear part, symmetric) - 0.5 = -0.5 rate-days; index -= 1000.
    let from_top = Funding { rate: SW / 2, index: 0, time: 0 };
    let f = accrue_funding(from_top, -skew, &p, 2000 * W, 2 * DAY).unwrap();
    assert_eq!(f, Funding { rate: -SW / 2, index: -wad(1000), time: 2 * DAY });
}

#[test]
fn funding_rate_never_leaves_its_bounds() {
    let p = funding_params(MAX_FUNDING_VELOCITY, W / 10);
    let f = accrue_funding(Funding::default(), wad(5_000_000), &p, 2000 * W, 365 * DAY).unwrap();
    assert_eq!(f.rate, SW / 10);
    // Lowered bound: a stored rate above it is clamped first.
    let high = Funding { rate: SW, index: 0, time: 0 };
    let f = accrue_funding(high, 0, &p, 2000 * W, DAY).unwrap();
    assert_eq!(f, Funding { rate: SW / 10, index: wad(200), time: DAY });
    // Time running backwards accrues nothing.
    let later = Funding { rate: SW / 10, index: 5, time: 50 };
    assert_eq!(accrue_funding(later, wad(1), &p, 2000 * W, 10).unwrap(), later);
}

#[test]
fn accrued_funding_and_pnl_round_for_the_protocol() {
    // Long 1 wei of size over an index change of 1: owes 1e-18 wei -> 1 wei.
    assert_eq!(accrued_funding(1, 1, 0), Ok(1));
    // Short receives less than the exact 1e-18 wei: 0.
    assert_eq!(accrued_funding(-1, 1, 0), Ok(0));
    assert_eq!(accrued_funding(wad(-2), wad(3), wad(1)), Ok(-wad(4)));
    assert_eq!(unrealised_pnl(wad(2), 1000 * W, 1100 * W), Ok(wad(200)));
    assert_eq!(unrealised_pnl(-1, W, W + 1), Ok(-1));
    assert_eq!(unrealised_pnl(1, W + 1, W), Ok(-1));
}

#[test]
fn an_entry_is_the_last_fill_until_the_position_closes() {
    let open = Entry::after(wad(3), 2000 * W, wad(-7));
    assert_eq!(open, Entry { entry_price: 2000 * W, funding_snapshot: wad(-7) });
    assert_eq!(Entry::unpack(open.pack()), open);
    // A close clears the word (a zero slot, refunded).
    assert_eq!(Entry::after(0, 2000 * W, wad(-7)), Entry::default());
    assert_eq!(Entry::default().pack(), bulwark_common::packed::Packed::ZERO);
    // The snapshot is the high half as two's complement.
    assert_eq!(open.pack().limbs()[3], u64::MAX);
}

/// Exact `a * b` in 256 bits.
fn wide(a: i128, b: i128) -> I256 {
    I256::try_from(a).unwrap() * I256::try_from(b).unwrap()
}

/// Exact reference for one accrual: the closed-form area as a fraction, times
/// the price, over `DAY * WAD`, floored.
fn reference_index_delta(
    rate: i128,
    velocity: i128,
    max_rate: i128,
    elapsed: i128,
    price: i128,
) -> I256 {
    let day = i128::from(DAY);
    let start = rate.clamp(-max_rate, max_rate);
    let limit = if velocity > 0 { max_rate } else { -max_rate };
    let (numerator, denominator) = if velocity != 0
        && wide(velocity, elapsed).abs() > wide(limit - start, day).abs()
    {
        // (2 v T limit - (limit - start)^2 DAY) / (2 v)
        let excess = wide(limit - start, limit - start) * I256::try_from(day).unwrap();
        (wide(2 * velocity, elapsed) * I256::try_from(limit).unwrap() - excess, wide(2, velocity))
    } else {
        (
            wide(2 * day * elapsed, start)
                + wide(velocity, elapsed) * I256::try_from(elapsed).unwrap(),
            wide(2, day),
        )
    };
    let (numerator, denominator) = if denominator.is_negative() {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    let scaled = numerator * I256::try_from(price).unwrap();
    let full = denominator * I256::try_from(day * SW).unwrap();
    // Floor division.
    let (q, r) = (scaled / full, scaled % full);
    if r.is_negative() {
        q - I256::ONE
    } else {
        q
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Packing into storage words loses nothing within the hard bounds.
    #[test]
    fn storage_words_round_trip(
        feed_id in 1u32..,
        sizes in (MIN_SKEW_SCALE..=MAX_SIZE, 1..=MAX_SIZE, 1..=MAX_MIN_TRADE_SIZE),
        fees in (0..=MAX_FEE, 0..=MAX_FUNDING_VELOCITY, 0..=MAX_FUNDING_RATE),
        state in (any::<u128>(), any::<u128>(), any::<i128>(), -SW..=SW, any::<u64>()),
    ) {
        let params = MarketParams {
            feed_id,
            skew_scale: sizes.0,
            max_open_interest: sizes.1.max(sizes.2),
            min_trade_size: sizes.2,
            max_trade_size: sizes.1.max(sizes.2),
            maker_fee: fees.0 / 2,
            taker_fee: fees.0,
            max_funding_velocity: fees.1,
            max_funding_rate: fees.2,
        };
        prop_assert_eq!(params.validate(), Ok(()));
        prop_assert_eq!(unpack_params(&pack_params(&params)), params);
        let open_interest = OpenInterest { long: state.0, short: state.1 };
        let funding = Funding { index: state.2, rate: state.3, time: state.4 };
        prop_assert_eq!(unpack_state(&pack_state(open_interest, funding)), (open_interest, funding));
        let entry = Entry { entry_price: sizes.0, funding_snapshot: state.2 };
        prop_assert_eq!(Entry::unpack(entry.pack()), entry);
        let margin = MarginParams {
            initial_rate: fees.0.max(1) * 100,
            maintenance_rate: fees.0.max(1) * 50,
            rate_scale: sizes.1,
        };
        prop_assert_eq!(margin.validate(), Ok(()));
        prop_assert_eq!(MarginParams::unpack(margin.pack()), margin);
    }

    /// Margin parameters outside their bounds name their field.
    #[test]
    fn margin_params_outside_their_bounds_are_refused(
        initial in 1..=WAD,
        scale in 1..=MAX_SIZE,
    ) {
        let valid = MarginParams { initial_rate: initial, maintenance_rate: initial, rate_scale: scale };
        prop_assert_eq!(valid.validate(), Ok(()));
        let refused = [
            (MarginParams { initial_rate: 0, ..valid }, ParamField::InitialMarginRate),
            (MarginParams { initial_rate: WAD + 1, ..valid }, ParamField::InitialMarginRate),
            (MarginParams { maintenance_rate: 0, ..valid }, ParamField::MaintenanceMarginRate),
            (MarginParams { maintenance_rate: initial + 1, ..valid }, ParamField::MaintenanceMarginRate),
            (MarginParams { rate_scale: 0, ..valid }, ParamField::MarginRateScale),
            (MarginParams { rate_scale: MAX_SIZE + 1, ..valid }, ParamField::MarginRateScale),
        ];
        for (params, field) in refused {
            prop_assert_eq!(params.validate(), Err(field));
        }
    }

    /// The split PerpMarket reports (price PnL since the entry, funding since
    /// the snapshot) adds up to the one amount RiskEngine settles against
    /// its basis `entry - snapshot`, which rounds once: the two differ by at
    /// most the one wei of the second rounding, in the protocol's favour.
    #[test]
    fn pnl_less_funding_is_what_risk_engine_settles(
        size in -(1i128 << 80)..(1i128 << 80),
        entry in 1u128..(1u128 << 80),
        fill in 1u128..(1u128 << 80),
        snapshot in -(1i128 << 80)..(1i128 << 80),
        index in -(1i128 << 80)..(1i128 << 80),
    ) {
        let basis = i128::try_from(entry).unwrap() - snapshot;
        let settled = bulwark_margin_engine::position::apply_perp_trade(size, basis, -size, fill, index)
            .unwrap()
            .realised;
        let split = unrealised_pnl(size, entry, fill).unwrap() - accrued_funding(size, index, snapshot).unwrap();
        prop_assert!(settled == split || settled == split + 1, "{settled} vs {split}");
    }

    /// One accrual against the exact 256-bit closed form: within the
    /// documented bound above it, never below.
    #[test]
    fn funding_matches_the_exact_closed_form(
        skew in -2_000_000i128..2_000_000,
        rate in -1_000i128..=1_000,
        max_rate in 1u128..=1_000,
        max_velocity in 0u128..=10_000,
        elapsed in 0u64..=30 * DAY,
        price in 1u128..=1_000_000,
    ) {
        let params = funding_params(max_velocity * W / 1_000, max_rate * W / 1_000);
        let (skew, rate, price) = (skew * SW, rate * SW / 1_000, price * W);
        let state = Funding { rate, index: 0, time: 1_000 };
        let out = accrue_funding(state, skew, &params, price, 1_000 + elapsed).unwrap();
        let velocity = funding_velocity(skew, params.skew_scale, params.max_funding_velocity).unwrap();
        let max_rate = i128::try_from(params.max_funding_rate).unwrap();
        let exact = reference_index_delta(rate, velocity, max_rate, i128::from(elapsed), i128::try_from(price).unwrap());
        let got = I256::try_from(out.index).unwrap();
        let bound = I256::try_from(2 + price / (u128::from(DAY) * W) + 1).unwrap();
        prop_assert!(got >= exact, "below exact: {got} < {exact}");
        prop_assert!(got - exact <= bound, "error {} above bound", got - exact);
        prop_assert!(out.rate.abs() <= max_rate);
    }

    /// Invariant 5 and funding conservation under random trades, time steps
    /// and prices: the sum of positions equals long OI - short OI after every
    /// step; at the end, funding paid by longs equals funding received by
    /// shorts plus the pool's share, to the wei, and each side is within one
    /// wei per settlement of the exact value, rounded for the protocol.
    #[test]
    fn open_interest_and_funding_are_conserved(
        steps in prop::collection::vec((0usize..5, -5_000i128..5_000, 0u64..DAY, 1_000u128..4_000), 1..60),
    ) {
        let params = funding_params(9 * W, W / 10);
        let mut oi = OpenInterest::default();
        let mut funding = Funding::default();
        let mut now = 0u64;
        let mut sizes = [0i128; 5];
        let mut snapshots = [0i128; 5];
        // Ledger: what longs paid, what shorts received, what the pool took (wei).
        let (mut longs_paid, mut shorts_received, mut pool) = (0i128, 0i128, 0i128);
        // Exact values (WAD^2 scale): sum over intervals of side OI * index change.
        let (mut longs_exact, mut shorts_exact) = (I256::ZERO, I256::ZERO);
        let mut settlements = 0i128;
        let mut settle = |i: usize, index: i128, sizes: &[i128; 5], snapshots: &mut [i128; 5]| {
            let owed = accrued_funding(sizes[i], index, snapshots[i]).unwrap();
            if sizes[i] > 0 { longs_paid += owed } else { shorts_received -= owed }
            pool += owed;
            snapshots[i] = index;
            owed
        };
        for (who, delta_units, dt, price_units) in steps {
            now += dt;
            let before = funding.index;
            funding = accrue_funding(funding, oi.skew().unwrap(), &params, price_units * W, now).unwrap();
            longs_exact += wide(i128::try_from(oi.long).unwrap(), funding.index - before);
            shorts_exact += wide(i128::try_from(oi.short).unwrap(), funding.index - before);
            let delta = delta_units * SW / 10;
            if delta == 0 { continue; }
            if sizes[who] != 0 { settlements += 1; }
            settle(who, funding.index, &sizes, &mut snapshots);
            oi = oi.apply(sizes[who], delta, None).unwrap();
            sizes[who] += delta;
            let sum: i128 = sizes.iter().sum();
            prop_assert_eq!(sum, oi.skew().unwrap());
            prop_assert_eq!(oi.long, sizes.iter().filter(|s| **s > 0).map(|s| s.unsigned_abs()).sum::<u128>());
        }
        // Close everything: all funding is realised.
        for i in 0..5 {
            if sizes[i] != 0 { settlements += 1; }
            settle(i, funding.index, &sizes, &mut snapshots);
            oi = oi.apply(sizes[i], -sizes[i], None).unwrap();
            sizes[i] = 0;
        }
        prop_assert_eq!(oi, OpenInterest::default());
        prop_assert_eq!(longs_paid, shorts_received + pool);
        let wad256 = I256::try_from(SW).unwrap();
        let slack = I256::try_from(settlements).unwrap() * wad256;
        let (paid, received) = (I256::try_from(longs_paid).unwrap() * wad256, I256::try_from(shorts_received).unwrap() * wad256);
        // Payers round up, receivers round down: each within one wei per settlement.
        prop_assert!(paid >= longs_exact && paid - longs_exact < slack + wad256);
        prop_assert!(received <= shorts_exact && shorts_exact - received < slack + wad256);
        // So the pool's share is at least the exact skew * index change.
        prop_assert!(I256::try_from(pool).unwrap() * wad256 >= longs_exact - shorts_exact);
    }
}
