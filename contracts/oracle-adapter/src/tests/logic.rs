//! The rules in `logic`, with time passed in.
// Floating point appears only in these tests, as an independent reference.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::cast_possible_wrap)]

use proptest::prelude::*;

use crate::logic::*;

const WAD: u128 = 1_000_000_000_000_000_000;
const NOW: u64 = 1_800_000_000;

fn round(answer: i128, updated_at: u64) -> Round {
    Round { round_id: 7, answer, started_at: updated_at, updated_at, answered_in_round: 7 }
}

fn bounds(decimals: u8) -> Bounds {
    Bounds { decimals, min_price: WAD, max_price: 1_000_000 * WAD }
}

// ---- normalisation -------------------------------------------------------

#[test]
fn normalises_6_8_18_and_24_decimals_to_wad() {
    // 2,000.5 USD in each feed's decimals.
    assert_eq!(normalise(2_000_500_000, 6), Some(2_000_500_000_000_000_000_000));
    assert_eq!(normalise(200_050_000_000, 8), Some(2_000_500_000_000_000_000_000));
    assert_eq!(normalise(2_000_500_000_000_000_000_000, 18), Some(2_000_500_000_000_000_000_000));
    assert_eq!(
        normalise(2_000_500_000_000_000_000_000_000_000, 24),
        Some(2_000_500_000_000_000_000_000)
    );
    // Sub-wei digits of a 24-decimal answer are rounded down.
    assert_eq!(normalise(1_999_999, 24), Some(1));
    assert_eq!(normalise(1, 37), None);
    assert_eq!(normalise(u128::MAX, 0), None);
}

proptest! {
    #[test]
    fn normalisation_is_exact_up_and_floor_down(answer in 1u128..=u128::from(u64::MAX), decimals in 0u8..=36) {
        let wad = normalise(answer, decimals).unwrap();
        if decimals <= 18 {
            prop_assert_eq!(wad, answer * 10u128.pow(u32::from(18 - decimals)));
        } else {
            prop_assert_eq!(wad, answer / 10u128.pow(u32::from(decimals - 18)));
        }
    }

    #[test]
    fn narrow_keeps_every_i128_and_saturates_beyond(x in any::<i128>(), high in any::<u128>()) {
        let mut word = if x < 0 { [0xff; 32] } else { [0u8; 32] };
        word[16..].copy_from_slice(&x.to_be_bytes());
        prop_assert_eq!(narrow(&word), x);
        let mut wide = word;
        wide[..16].copy_from_slice(&high.to_be_bytes());
        let fits = wide[..16].iter().all(|&b| b == if x < 0 { 0xff } else { 0 });
        let expected = if fits { x } else if high >> 127 == 1 { i128::MIN } else { i128::MAX };
        prop_assert_eq!(narrow(&wide), expected);
    }

    #[test]
    fn feed_config_words_round_trip(
        primary in any::<[u8; 20]>(), secondary in any::<[u8; 20]>(), decimals in any::<(u8, u8)>(),
        ages in any::<(u32, u32)>(), bps in any::<u16>(), prices in any::<(u128, u128)>(),
    ) {
        let config = FeedConfig {
            primary, primary_decimals: decimals.0, max_age: ages.0, max_age_lenient: ages.1,
            secondary, secondary_decimals: decimals.1, max_deviation_bps: bps,
            min_price: prices.0, max_price: prices.1,
        };
        prop_assert_eq!(
            FeedConfig::unpack(&config.main_word(), &config.secondary_word(), &config.bounds_word()),
            config
        );
        let timing = Timing { sequencer: primary, grace_period: ages.0, settlement_window: ages.1 };
        prop_assert_eq!(Timing::unpack(&timing.pack()), timing);
        prop_assert_eq!(low_u128(&config.bounds_word()), prices.1);
        prop_assert_eq!(FeedConfig::has_secondary(&config.main_word()), secondary != [0u8; 20]);
        // Without a secondary, word 1 need not be read: a zero word gives the same config.
        if secondary == [0u8; 20] {
            let main = config.main_word();
            prop_assert_eq!(FeedConfig::unpack(&main, &[0u8; 32], &config.bounds_word()), config);
        }
    }

    #[test]
    fn slice_words_round_trip(params in any::<[i64; 5]>(), pushed_at in any::<u64>(), forward in any::<u128>()) {
        let svi = Svi {
            a: from_stored(params[0]), b: from_stored(params[1]), rho: from_stored(params[2]),
            m: from_stored(params[3]), sigma: from_stored(params[4]),
        };
        let slice = Slice { svi, forward, pushed_at, expiry: 9 };
        prop_assert_eq!(slice.truncated(), slice);
        let (w0, w1) = slice.pack().unwrap();
        prop_assert_eq!(Slice::unpack(&w0, &w1, 9), slice);
    }

    #[test]
    fn deviation_is_symmetric_and_rounds_up(a in 1u128..u128::from(u64::MAX), b in 1u128..u128::from(u64::MAX)) {
        let d = deviation_bps(a, b);
        prop_assert_eq!(d, deviation_bps(b, a));
        let (low, high) = (a.min(b), a.max(b));
        prop_assert!(d * low >= (high - low) * 10_000);
        prop_assert!(d == 0 || (d - 1) * low < (high - low) * 10_000);
    }
}

// ---- round checks ----------------------------------------------------------

#[test]
fn a_fresh_round_is_priced() {
    assert_eq!(
        check_round(&round(2_000 * 100_000_000, NOW - 10), &bounds(8), 60, NOW),
        Ok(2_000 * WAD)
    );
}

#[test]
fn incomplete_rounds_are_refused() {
    let mut r = round(2_000 * 100_000_000, 0);
    assert_eq!(check_round(&r, &bounds(8), 60, NOW), Err(PriceError::IncompleteRound));
    r.updated_at = NOW;
    r.answered_in_round = 6;
    assert_eq!(check_round(&r, &bounds(8), 60, NOW), Err(PriceError::IncompleteRound));
}

#[test]
fn non_positive_answers_are_refused() {
    for answer in [0, -1, i128::MIN] {
        assert_eq!(
            check_round(&round(answer, NOW), &bounds(8), 60, NOW),
            Err(PriceError::NonPositiveAnswer)
        );
    }
}

#[test]
fn age_limit_edges() {
    let price = 2_000 * 100_000_000;
    assert!(check_round(&round(price, NOW - 60), &bounds(8), 60, NOW).is_ok());
    assert_eq!(
        check_round(&round(price, NOW - 61), &bounds(8), 60, NOW),
        Err(PriceError::Stale { max_age: 60 })
    );
    // A round stamped in the future is refused too.
    assert_eq!(
        check_round(&round(price, NOW + 1), &bounds(8), 60, NOW),
        Err(PriceError::Stale { max_age: 60 })
    );
}

#[test]
fn bounds_catch_the_aggregator_clamp() {
    // Chainlink clamps to its minAnswer (say 0.1) when the market falls below;
    // the adapter's minimum of 1.0 sits inside, so the clamped answer is refused.
    let clamped = round(10_000_000, NOW);
    assert_eq!(
        check_round(&clamped, &bounds(8), 60, NOW),
        Err(PriceError::OutOfBounds { price: WAD / 10 })
    );
    let top = round(1_000_000 * 100_000_000, NOW);
    assert!(check_round(&top, &bounds(8), 60, NOW).is_ok());
    let above = round(1_000_000 * 100_000_000 + 1, NOW);
    assert!(matches!(
        check_round(&above, &bounds(8), 60, NOW),
        Err(PriceError::OutOfBounds { .. })
    ));
    // An answer too large for 18 decimals is out of bounds, not a panic.
    assert_eq!(
        check_round(&round(i128::MAX, NOW), &bounds(0), 60, NOW),
        Err(PriceError::OutOfBounds { price: u128::MAX })
    );
}

// ---- combining sources -----------------------------------------------------

#[test]
fn strict_requires_agreement_and_returns_the_primary() {
    let p = 2_000 * WAD;
    assert_eq!(combine(USAGE_ADD_RISK, p, None, 0), Combined::Price(p));
    assert_eq!(combine(USAGE_ADD_RISK, p, Some(p + p / 100), 100), Combined::Price(p));
    assert_eq!(
        combine(USAGE_ADD_RISK, p, Some(p + p / 100 + 1), 100),
        Combined::Deviation { deviation_bps: 101 }
    );
}

#[test]
fn lenient_takes_the_less_favourable_source_however_far_apart() {
    let p = 2_000 * WAD;
    let s = 1_990 * WAD;
    assert_eq!(combine(USAGE_REDUCE_RISK_LOW, p, Some(s), 100), Combined::Price(s));
    assert_eq!(combine(USAGE_REDUCE_RISK_HIGH, p, Some(s), 100), Combined::Price(p));
    // A frozen primary 25% above a live secondary: longs are valued at the
    // live price, not at the primary less the deviation bound.
    let live = 1_500 * WAD;
    assert_eq!(combine(USAGE_REDUCE_RISK_LOW, p, Some(live), 100), Combined::Price(live));
    assert_eq!(combine(USAGE_REDUCE_RISK_HIGH, live, Some(p), 100), Combined::Price(p));
    assert_eq!(combine(USAGE_REDUCE_RISK_HIGH, p, None, 100), Combined::Price(p));
}

// ---- sequencer ---------------------------------------------------------------

#[test]
fn sequencer_grace_period_edges() {
    let grace = 3_600;
    let back_up = NOW - 1_000;
    assert_eq!(
        sequencer_status(0, back_up, grace, NOW),
        SequencerStatus::Grace { since: back_up, until: back_up + grace }
    );
    assert_eq!(sequencer_status(0, back_up, grace, back_up + grace - 1).code(), 2);
    assert_eq!(sequencer_status(0, back_up, grace, back_up + grace), SequencerStatus::Up);
    assert_eq!(
        sequencer_status(1, back_up, grace, NOW + 10 * grace),
        SequencerStatus::Down { since: back_up }
    );
    // No valid status (startedAt = 0) counts as down; a status from the future as just changed.
    assert_eq!(sequencer_status(0, 0, grace, NOW).code(), 1);
    assert_eq!(sequencer_status(0, NOW + 5, grace, NOW).code(), 2);
}

// ---- settlement ----------------------------------------------------------------

const EXPIRY: u64 = 1_790_000_000;

#[test]
fn settlement_round_at_the_exact_expiry_second_is_valid() {
    let r = round(1_500 * 100_000_000, EXPIRY);
    assert_eq!(check_settlement_round(&r, &bounds(8), EXPIRY, 3_600, EXPIRY), Ok(1_500 * WAD));
    let early = round(1_500 * 100_000_000, EXPIRY - 1);
    assert_eq!(
        check_settlement_round(&early, &bounds(8), EXPIRY, 3_600, NOW),
        Err(SettlementError::RoundBeforeExpiry)
    );
}

#[test]
fn settlement_window_and_validity() {
    let b = bounds(8);
    let at = |t| round(1_500 * 100_000_000, t);
    assert!(check_settlement_round(&at(EXPIRY + 3_600), &b, EXPIRY, 3_600, NOW).is_ok());
    assert_eq!(
        check_settlement_round(&at(EXPIRY + 3_601), &b, EXPIRY, 3_600, NOW),
        Err(SettlementError::RoundAfterWindow)
    );
    assert_eq!(
        check_settlement_round(&at(EXPIRY), &b, EXPIRY, 3_600, EXPIRY - 1),
        Err(SettlementError::ExpiryNotReached)
    );
    assert_eq!(
        check_settlement_round(&at(0), &b, EXPIRY, 3_600, NOW),
        Err(SettlementError::RoundMissing)
    );
    assert_eq!(
        check_settlement_round(&round(-5, EXPIRY), &b, EXPIRY, 3_600, NOW),
        Err(SettlementError::InvalidAnswer)
    );
    assert_eq!(
        check_settlement_round(&round(1, EXPIRY), &b, EXPIRY, 3_600, NOW),
        Err(SettlementError::InvalidAnswer)
    );
}

#[test]
fn predecessor_search_skips_gaps_and_stops_at_the_bound() {
    // Rounds 10 (before expiry), 11..13 missing, 14 the candidate.
    let history = |id: u128| match id {
        10 => Some(EXPIRY - 30),
        _ => None,
    };
    assert_eq!(check_predecessor(14, EXPIRY, history), Ok(()));
    // Round 13 exists and is also after expiry: 14 is not the first.
    let later = |id: u128| if id == 13 { Some(EXPIRY + 5) } else { Some(EXPIRY - 30) };
    assert_eq!(check_predecessor(14, EXPIRY, later), Err(SettlementError::NotFirstRound));
    // The predecessor at the exact expiry second is not before expiry.
    assert_eq!(
        check_predecessor(14, EXPIRY, |_| Some(EXPIRY)),
        Err(SettlementError::NotFirstRound)
    );
    // Incomplete rounds (updatedAt = 0) are gaps.
    let incomplete = |id: u128| if id == 13 { Some(0) } else { Some(EXPIRY - 1) };
    assert_eq!(check_predecessor(14, EXPIRY, incomplete), Ok(()));
    // More gaps than the search bound: refused, not guessed.
    assert_eq!(check_predecessor(100, EXPIRY, |_| None), Err(SettlementError::PredecessorNotFound));
    // ...unless the search reaches the start of the round's phase.
    assert_eq!(check_predecessor(1 + u128::from(MAX_ROUND_SEARCH), EXPIRY, |_| None), Ok(()));
    let phase_start = (3u128 << 64) | 1;
    assert_eq!(
        check_predecessor(phase_start, EXPIRY, |_| panic!("must not cross the phase")),
        Ok(())
    );
    let mut asked = Vec::new();
    let _ = check_predecessor((3u128 << 64) | 4, EXPIRY, |id| {
        asked.push(id);
        None
    });
    assert_eq!(asked, vec![(3u128 << 64) | 3, (3u128 << 64) | 2, (3u128 << 64) | 1]);
}

// ---- volatility surface ------------------------------------------------------------

const DAY: u64 = 86_400;

fn config() -> SurfaceConfig {
    SurfaceConfig {
        min_log_moneyness: -7 * (WAD as i128) / 10,
        max_log_moneyness: 7 * (WAD as i128) / 10,
        points: 15,
        min_volatility: WAD / 20,
        max_volatility: 5 * WAD,
        max_age: 3_600,
    }
}

fn w(x: f64) -> i128 {
    (x * 1e18) as i128
}

fn slice(a: f64, b: f64, rho: f64, m: f64, sigma: f64, days: u64) -> Slice {
    Slice {
        svi: Svi { a: w(a), b: w(b), rho: w(rho), m: w(m), sigma: w(sigma) },
        forward: 2_000 * WAD,
        pushed_at: NOW,
        expiry: NOW + days * DAY,
    }
    .truncated()
}

#[test]
fn surface_config_hard_bounds() {
    assert!(config().is_valid());
    assert!(!SurfaceConfig { points: 2, ..config() }.is_valid());
    assert!(!SurfaceConfig { max_volatility: 11 * WAD, ..config() }.is_valid());
    assert!(!SurfaceConfig { min_log_moneyness: 0, ..config() }.is_valid());
    assert_eq!(config().grid_point(0), config().min_log_moneyness);
    assert_eq!(config().grid_point(14), config().max_log_moneyness);
    assert_eq!(config().grid_point(7), 0);
}

#[test]
fn a_regular_smile_passes_and_prices() {
    let s = slice(0.02, 0.1, -0.3, 0.0, 0.1, 30);
    assert_eq!(check_slice(&s, &config(), None, None, NOW), Ok(()));
    // ATM: w = a + b sigma = 0.03 over 30 days: vol = sqrt(0.03 * 365 / 30) = 0.6042.
    let atm = volatility_at(&s, &config(), 2_000 * WAD).unwrap();
    assert!(atm.abs_diff(604_152_298_000_000_000) < 1_000_000_000_000, "{atm}");
    // Negative rho: downside strikes carry more volatility.
    let put_wing = volatility_at(&s, &config(), 1_500 * WAD).unwrap();
    let call_wing = volatility_at(&s, &config(), 2_500 * WAD).unwrap();
    assert!(put_wing > atm && call_wing > atm && put_wing > call_wing);
    // Far outside the grid the result is clamped to the bounds.
    assert_eq!(volatility_at(&s, &config(), WAD / 1_000_000).unwrap(), 5 * WAD);
    assert!(volatility_at(&s, &config(), 0).is_err());
}

#[test]
fn butterfly_arbitrage_is_refused() {
    let s = slice(0.0, 1.5, 0.3, 0.0, 0.05, 30);
    assert!(butterfly_density(&s.svi, config().min_log_moneyness).unwrap() < 0);
    assert!(matches!(
        check_slice(&s, &config(), None, None, NOW),
        Err(SurfaceError::Butterfly { .. })
    ));
}

#[test]
fn calendar_arbitrage_is_refused_against_both_neighbours() {
    let near = slice(0.02, 0.1, -0.3, 0.0, 0.1, 30);
    let far = slice(0.06, 0.1, -0.3, 0.0, 0.1, 90);
    let middle_ok = slice(0.04, 0.1, -0.3, 0.0, 0.1, 60);
    assert_eq!(check_slice(&middle_ok, &config(), Some(&near), Some(&far), NOW), Ok(()));
    let too_low = slice(0.01, 0.05, -0.3, 0.0, 0.1, 60);
    assert_eq!(
        check_slice(&too_low, &config(), Some(&near), None, NOW),
        Err(SurfaceError::Calendar {
            neighbour: near.expiry,
            log_moneyness: config().min_log_moneyness
        })
    );
    let too_high = slice(0.2, 0.1, -0.3, 0.0, 0.1, 60);
    assert!(matches!(
        check_slice(&too_high, &config(), None, Some(&far), NOW),
        Err(SurfaceError::Calendar { neighbour, .. }) if neighbour == far.expiry
    ));
}

#[test]
fn calendar_check_uses_the_time_left_on_an_older_neighbour() {
    // The near slice was pushed 10 days before its 30-day expiry... that is,
    // 20 days remain: its total variance from now is 2/3 of what it stored.
    let mut near = slice(0.03, 0.0, 0.0, 0.0, 0.1, 30);
    near.pushed_at = NOW - 10 * DAY;
    near.expiry = NOW + 20 * DAY;
    // A 21-day slice with 0.025 total variance: above 0.03 * 20/30 = 0.02.
    let next = slice(0.025, 0.0, 0.0, 0.0, 0.1, 21);
    assert_eq!(check_slice(&next, &config(), Some(&near), None, NOW), Ok(()));
}

#[test]
fn volatility_bounds_and_domain_are_enforced() {
    let too_calm = slice(0.0001, 0.0, 0.0, 0.0, 0.1, 30);
    assert!(matches!(
        check_slice(&too_calm, &config(), None, None, NOW),
        Err(SurfaceError::VolatilityOutOfBounds { .. })
    ));
    let invalid = |s: Slice| check_slice(&s, &config(), None, None, NOW);
    assert_eq!(
        invalid(slice(0.02, -0.1, 0.0, 0.0, 0.1, 30)),
        Err(SurfaceError::Invalid(invalid::PARAMETERS))
    );
    assert_eq!(
        invalid(slice(0.02, 0.1, 1.5, 0.0, 0.1, 30)),
        Err(SurfaceError::Invalid(invalid::PARAMETERS))
    );
    assert_eq!(
        invalid(slice(0.02, 0.1, 0.0, 0.0, 0.0, 30)),
        Err(SurfaceError::Invalid(invalid::PARAMETERS))
    );
    // Lee's wing bound: b (1 + |rho|) <= 2.
    assert_eq!(
        invalid(slice(0.02, 1.6, 0.3, 0.0, 0.1, 30)),
        Err(SurfaceError::Invalid(invalid::PARAMETERS))
    );
    // Negative minimum variance.
    assert_eq!(
        invalid(slice(-0.05, 0.1, 0.0, 0.0, 0.1, 30)),
        Err(SurfaceError::Invalid(invalid::PARAMETERS))
    );
    let mut expired = slice(0.02, 0.1, -0.3, 0.0, 0.1, 30);
    expired.expiry = NOW;
    assert_eq!(invalid(expired), Err(SurfaceError::Invalid(invalid::EXPIRY)));
    let mut no_forward = slice(0.02, 0.1, -0.3, 0.0, 0.1, 30);
    no_forward.forward = 0;
    assert_eq!(invalid(no_forward), Err(SurfaceError::Invalid(invalid::FORWARD)));
}

proptest! {
    #[test]
    fn accepted_slices_have_convex_call_prices_on_the_grid(
        a in 0.0f64..0.1, b in 0.0f64..0.5, rho in -0.9f64..0.9, m in -0.3f64..0.3, sigma in 0.01f64..0.5,
    ) {
        // Reference: a slice the checks accept has non-negative g(k) at every
        // grid point, computed independently in floating point.
        let s = slice(a, b, rho, m, sigma, 30);
        if check_slice(&s, &config(), None, None, NOW).is_ok() {
            let f = |x: i128| x as f64 / 1e18;
            let (a, b, rho, m, sigma) = (f(s.svi.a), f(s.svi.b), f(s.svi.rho), f(s.svi.m), f(s.svi.sigma));
            for i in 0..config().points {
                let k = f(config().grid_point(i));
                let d = k - m;
                let r = (d * d + sigma * sigma).sqrt();
                let w0 = a + b * (rho * d + r);
                let w1 = b * (rho + d / r);
                let w2 = b * sigma * sigma / (r * r * r);
                let g = (1.0 - k * w1 / (2.0 * w0)).powi(2) - w1 * w1 / 4.0 * (1.0 / w0 + 0.25) + w2 / 2.0;
                prop_assert!(g > -1e-9, "g({k}) = {g}");
            }
        }
    }
}
