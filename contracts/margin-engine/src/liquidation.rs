//! Liquidation sizing, the penalty split and the bad-debt waterfall, as pure
//! functions over an [`Evaluation`].
//!
//! [`plan`] closes the legs that release the most maintenance margin first,
//! the last one only in part (found by bisection), until
//! `equity - penalty >= maintenance * (1 + buffer)`; a leg left below the dust
//! notional is closed whole. If a partial close would lower the health ratio,
//! or no partial close reaches the target, everything is closed.
//! [`penalty`] then bounds what the liquidator and the insurance fund receive
//! by the equity left after the closes, so that a liquidation never lowers the
//! account's health ratio and never pays more than its equity.

use alloc::{vec, vec::Vec};

use bulwark_math::{mul_div, Rounding, WAD};

use crate::margin::{to_signed, Evaluation, Health, MarginError, RiskParams};

/// What liquidating an account closes and pays (modelled at oracle prices
/// with the modelled closing costs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Fraction (WAD) of each leg of the evaluation left open (0 = closed).
    pub remaining: Vec<u128>,
    /// Equity before.
    pub equity_before: i128,
    /// Maintenance margin before.
    pub maintenance_before: u128,
    /// Equity after the closes, before the penalty.
    pub equity_after: i128,
    /// Maintenance margin after.
    pub maintenance_after: u128,
    /// Paid to the liquidator.
    pub to_liquidator: u128,
    /// Paid to the insurance fund.
    pub to_insurance: u128,
}

/// State reached by closing down to `remaining`.
struct Outcome {
    equity: i128,
    maintenance: u128,
    liquidator: u128,
    insurance: u128,
}

/// `value * rate / WAD`, rounded down.
fn part(value: u128, rate: u128) -> u128 {
    mul_div(value, rate, WAD, Rounding::Down).unwrap_or(u128::MAX)
}

/// The penalty for releasing `maintenance_before - maintenance_after`:
/// the liquidator gets the gas reserve plus `(1 - insuranceShare)` of
/// `bonusRate * released`, the insurance fund the rest; both bounded, the
/// liquidator first, by what the account can pay without its health ratio
/// falling below the ratio before (`equity_after - ratio_before *
/// maintenance_after`), and by `equity_after` itself.
pub fn penalty(
    params: &RiskParams,
    equity_before: i128,
    maintenance_before: u128,
    equity_after: i128,
    maintenance_after: u128,
) -> (u128, u128) {
    let released = maintenance_before.saturating_sub(maintenance_after);
    let rate_part = part(released, params.bonus_rate);
    let insurance = part(rate_part, params.insurance_share);
    let liquidator = params.gas_reserve.saturating_add(rate_part - insurance);
    let mut available = equity_after;
    if maintenance_after > 0 && maintenance_before > 0 {
        // Keep equity_after - paid >= equity_before * mm_after / mm_before (rounded up).
        let floor = bulwark_math::mul_div_signed(
            equity_before,
            to_signed(maintenance_after),
            to_signed(maintenance_before),
            Rounding::Up,
        )
        .unwrap_or(i128::MAX);
        available = available.min(equity_after.saturating_sub(floor));
    }
    let available = available.max(0).unsigned_abs();
    let to_liquidator = liquidator.min(available);
    (to_liquidator, insurance.min(available - to_liquidator))
}

impl Evaluation {
    fn outcome(
        &self,
        remaining: &[u128],
        equity_before: i128,
        maintenance_before: u128,
    ) -> Result<Outcome, MarginError> {
        let mut cost: u128 = 0;
        for (index, fraction) in remaining.iter().enumerate() {
            cost = cost.saturating_add(self.close_cost(index, *fraction)?);
        }
        let (_, maintenance) = self.requirements(remaining)?;
        let equity = equity_before.saturating_sub(to_signed(cost));
        let (liquidator, insurance) =
            penalty(&self.params, equity_before, maintenance_before, equity, maintenance);
        Ok(Outcome { equity, maintenance, liquidator, insurance })
    }

    /// Whether `outcome` meets the target `equity - penalty >= mm * (1 + buffer)`.
    fn reaches_target(&self, outcome: &Outcome) -> bool {
        let target = outcome
            .maintenance
            .saturating_add(part(outcome.maintenance, self.params.liquidation_buffer));
        let left = outcome.equity.saturating_sub(to_signed(outcome.liquidator + outcome.insurance));
        left >= to_signed(target)
    }

    /// Notional of leg `index` at fraction `remaining`.
    fn notional(&self, index: usize, remaining: u128) -> u128 {
        let size = self.remaining_size(index, remaining).unsigned_abs();
        part(size, self.legs[index].spot)
    }
}

/// Plans the liquidation of the evaluated portfolio; `None` when its equity
/// is at or above maintenance margin.
///
/// # Errors
/// [`MarginError::Math`] on overflow.
pub fn plan(evaluation: &Evaluation) -> Result<Option<Plan>, MarginError> {
    plan_with(evaluation, &evaluation.health()?)
}

/// [`plan`], given the evaluation's [`Health`] already computed.
///
/// # Errors
/// [`MarginError::Math`] on overflow.
pub fn plan_with(evaluation: &Evaluation, health: &Health) -> Result<Option<Plan>, MarginError> {
    if !health.liquidatable() {
        return Ok(None);
    }
    let (equity_before, mm_before) = (health.equity, health.maintenance);
    let count = evaluation.legs.len();
    // Margin each leg releases when closed alone.
    let mut order: Vec<(u128, usize)> = Vec::with_capacity(count);
    for index in (0..count).filter(|i| evaluation.legs[*i].closable) {
        let mut remaining = vec![WAD; count];
        remaining[index] = 0;
        let (_, mm) = evaluation.requirements(&remaining)?;
        order.push((mm_before.saturating_sub(mm), index));
    }
    // Most released margin first, ties by leg index: a total order, so the
    // result is unique. Insertion sort (at most 96 legs) instead of core's
    // sort, which costs about 4 KB of contract code.
    let before = |a: &(u128, usize), b: &(u128, usize)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
    for i in 1..order.len() {
        let mut j = i;
        while j > 0 && before(&order[j], &order[j - 1]) {
            order.swap(j, j - 1);
            j -= 1;
        }
    }
    let mut remaining = vec![WAD; count];
    let mut reached = false;
    for (_, index) in order {
        remaining[index] = 0;
        if !evaluation.reaches_target(&evaluation.outcome(&remaining, equity_before, mm_before)?) {
            continue;
        }
        // Largest fraction left open that still reaches the target.
        let (mut low, mut high) = (0u128, WAD);
        for _ in 0..32 {
            let middle = low + (high - low) / 2;
            remaining[index] = middle;
            if evaluation.reaches_target(&evaluation.outcome(
                &remaining,
                equity_before,
                mm_before,
            )?) {
                low = middle;
            } else {
                high = middle;
            }
            if high - low <= 1 {
                break;
            }
        }
        remaining[index] =
            if evaluation.notional(index, low) < evaluation.params.dust_notional { 0 } else { low };
        reached = true;
        break;
    }
    let mut outcome = evaluation.outcome(&remaining, equity_before, mm_before)?;
    let lowers_health = outcome.maintenance > 0
        && crate::margin::health_ratio(outcome.equity, outcome.maintenance)
            < crate::margin::health_ratio(equity_before, mm_before);
    if !reached || lowers_health {
        remaining = evaluation.legs.iter().map(|leg| if leg.closable { 0 } else { WAD }).collect();
        outcome = evaluation.outcome(&remaining, equity_before, mm_before)?;
    }
    Ok(Some(Plan {
        remaining,
        equity_before,
        maintenance_before: mm_before,
        equity_after: outcome.equity,
        maintenance_after: outcome.maintenance,
        to_liquidator: outcome.liquidator,
        to_insurance: outcome.insurance,
    }))
}

/// How closing `closed` of a perp position of `size` moves the account's
/// equity away from the plan's valuation (at `spot`, funding index
/// `funding`): the fill at `fill` gives up `closed * (fill - spot)`, and the
/// whole position settles funding from `funding` to the market's index at
/// the fill, `filled_at`. Quote WAD, rounded down (against the account).
///
/// # Errors
/// [`MathError`](bulwark_math::MathError) when a product leaves 127 bits.
pub fn perp_close_change(
    size: i128,
    closed: i128,
    spot: u128,
    funding: i128,
    fill: u128,
    filled_at: i128,
) -> Result<i128, bulwark_math::MathError> {
    use bulwark_math::{mul_div_signed, MathError::Overflow};
    let fill_gap = to_signed(fill).checked_sub(to_signed(spot)).ok_or(Overflow)?;
    let accrued = funding.checked_sub(filled_at).ok_or(Overflow)?;
    let slippage = mul_div_signed(closed, fill_gap, crate::margin::ONE, Rounding::Down)?;
    let funding_change = mul_div_signed(size, accrued, crate::margin::ONE, Rounding::Down)?;
    slippage.checked_add(funding_change).ok_or(Overflow)
}

/// How closing `closed` of an option position of `amount`, valued at
/// `value` in the plan, for `premium` (what the account pays, negative when
/// it receives) moves its equity: the premium leaves and the closed part's
/// value (rounded up, against the account) is no longer held.
///
/// # Errors
/// [`MathError`](bulwark_math::MathError) when a product leaves 127 bits or
/// `amount` is zero.
pub fn option_close_change(
    amount: i128,
    closed: i128,
    value: i128,
    premium: i128,
) -> Result<i128, bulwark_math::MathError> {
    use bulwark_math::MathError::Overflow;
    let value_closed = bulwark_math::mul_div_signed(value, closed, amount, Rounding::Up)?;
    premium.checked_neg().and_then(|p| p.checked_sub(value_closed)).ok_or(Overflow)
}

/// What the liquidator is paid, in quote token units (`decimals`): its
/// share `to_liquidator` (quote WAD, within the account's equity), and on a
/// `bankrupt` account (everything closed, a debt nothing backs) at least
/// the gas reserve, which the bad-debt waterfall then covers; rounded down.
/// The Vault pays it whatever the account's quote cash: collateral in other
/// tokens backs a negative balance.
pub fn liquidator_payout(
    to_liquidator: u128,
    gas_reserve: u128,
    bankrupt: bool,
    decimals: u8,
) -> u128 {
    let owed = if bankrupt { to_liquidator.max(gas_reserve) } else { to_liquidator };
    crate::position::to_units(owed, decimals)
}

/// The bad-debt waterfall: a `deficit` is covered by the insurance fund
/// first, then by the pool; returns `(from_insurance, from_pool, uncovered)`.
pub fn absorb(deficit: u128, insurance: u128, pool: u128) -> (u128, u128, u128) {
    let from_insurance = deficit.min(insurance);
    let from_pool = (deficit - from_insurance).min(pool);
    (from_insurance, from_pool, deficit - from_insurance - from_pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::margin::{evaluate, MarketParams, OptionLeg, PerpLeg, Portfolio, RiskParams, ONE};
    use proptest::prelude::*;

    const SPOT: u128 = 2_000 * WAD;

    #[test]
    fn a_perp_close_gives_up_the_fill_gap_and_settles_funding() {
        // 2 ETH long closed in full at 1,990 against a 2,000 valuation: -20.
        assert_eq!(perp_close_change(2 * ONE, 2 * ONE, SPOT, 0, SPOT - 10 * WAD, 0), Ok(-20 * ONE));
        // A short closing at a fill above the spot loses too.
        assert_eq!(perp_close_change(-ONE, -ONE, SPOT, 0, SPOT + 5 * WAD, 0), Ok(-5 * ONE));
        // Funding index up 3 since the valuation: the long position pays 3 per ETH.
        assert_eq!(perp_close_change(2 * ONE, ONE, SPOT, 7 * ONE, SPOT, 10 * ONE), Ok(-6 * ONE));
        assert!(perp_close_change(i128::MAX, ONE, SPOT, i128::MIN, SPOT, 1).is_err());
    }

    #[test]
    fn an_option_close_pays_the_premium_and_drops_the_closed_value() {
        // Half of a long call worth 100 sold for 48: equity moves by 48 - 50.
        assert_eq!(option_close_change(2 * ONE, ONE, 100 * ONE, -48 * ONE), Ok(-2 * ONE));
        // A short (value -100) bought back in full for 103: -103 + 100.
        assert_eq!(option_close_change(-ONE, -ONE, -100 * ONE, 103 * ONE), Ok(-3 * ONE));
        assert!(option_close_change(0, 0, ONE, 0).is_err());
        assert!(option_close_change(ONE, ONE, 0, i128::MIN).is_err());
    }

    #[test]
    fn the_liquidator_is_paid_its_share_and_at_least_the_gas_reserve_on_a_bankrupt_account() {
        let gas = 2 * WAD;
        // 6-decimal quote: 9.3951 WAD pays 9.395100 units, rounded down.
        assert_eq!(liquidator_payout(9_395_100 * WAD / 1_000_000, gas, false, 6), 9_395_100);
        assert_eq!(liquidator_payout(WAD + 999_999_999_999, gas, false, 6), 1_000_000);
        // A solvent account pays what its equity allows, even below the reserve.
        assert_eq!(liquidator_payout(WAD, gas, false, 6), 1_000_000);
        assert_eq!(liquidator_payout(0, gas, false, 6), 0);
        // A bankrupt one pays at least the reserve (bad debt), more if its share is more.
        assert_eq!(liquidator_payout(0, gas, true, 6), 2_000_000);
        assert_eq!(liquidator_payout(3 * WAD, gas, true, 6), 3_000_000);
    }

    proptest! {
        #[test]
        fn the_payout_is_the_share_rounded_down_with_the_reserve_as_a_floor_when_bankrupt(
            share in 0u128..1 << 100,
            gas in 0u128..1_000 * WAD,
            bankrupt in any::<bool>(),
            decimals in 0u8..=18,
        ) {
            let paid = liquidator_payout(share, gas, bankrupt, decimals);
            let scale = 10u128.pow(u32::from(18 - decimals));
            let owed = if bankrupt { share.max(gas) } else { share };
            prop_assert!(paid * scale <= owed);
            prop_assert!(owed - paid * scale < scale);
        }

        #[test]
        fn closing_at_the_valuation_leaves_equity_unchanged(
            size in -(1i128 << 90)..1i128 << 90,
            spot in 1u128..1 << 90,
            funding in -(1i128 << 90)..1i128 << 90,
        ) {
            prop_assert_eq!(perp_close_change(size, size, spot, funding, spot, funding), Ok(0));
        }
    }

    fn market(feed: u32) -> MarketParams {
        MarketParams {
            feed,
            initial_rate: WAD / 10,
            maintenance_rate: WAD / 20,
            rate_scale: 100_000 * WAD,
            skew_scale: 1_000_000 * WAD,
        }
    }

    /// A perp opened at `entry` on feed `feed`, skew zero apart from itself.
    fn perp(feed: u32, size: i128, entry: u128) -> PerpLeg {
        PerpLeg {
            market: market(feed),
            size,
            basis: to_signed(entry),
            funding_index: 0,
            skew: size,
        }
    }

    fn book(collateral: i128, spot: u128, perps: Vec<PerpLeg>) -> Portfolio {
        Portfolio { collateral, spots: vec![(1, spot), (2, spot / 20)], perps, options: vec![] }
    }

    fn evaluation(portfolio: &Portfolio) -> Evaluation {
        evaluate(portfolio, &RiskParams::DEFAULT, 0).unwrap()
    }

    /// Health after applying a plan at the modelled costs.
    fn after(_eval: &Evaluation, plan: &Plan) -> (i128, u128) {
        let paid = to_signed(plan.to_liquidator + plan.to_insurance);
        (plan.equity_after - paid, plan.maintenance_after)
    }

    /// 100 ETH long from 2,000 and 2,000 of feed 2 long; the price has
    /// fallen 4%.
    fn two_market_book() -> Portfolio {
        book(
            20_000 * ONE,
            SPOT * 96 / 100,
            vec![perp(1, 100 * ONE, SPOT), perp(2, 2_000 * ONE, SPOT / 20)],
        )
    }

    #[test]
    fn healthy_account_is_not_liquidated() {
        let eval = evaluation(&book(3_000 * ONE, SPOT, vec![perp(1, 10 * ONE, SPOT)]));
        assert_eq!(plan(&eval).unwrap(), None);
    }

    #[test]
    fn partial_close_reaches_the_target_and_stops() {
        let eval = evaluation(&two_market_book());
        let health = eval.health().unwrap();
        assert!(health.liquidatable());
        let plan = plan(&eval).unwrap().unwrap();
        // Something stays open: the liquidation was partial.
        assert!(plan.remaining.iter().any(|r| *r > 0), "{plan:?}");
        let (equity, maintenance) = after(&eval, &plan);
        let target = maintenance + maintenance / 10;
        assert!(equity >= to_signed(target), "equity {equity} target {target}");
        // It stopped early: leaving a little more open misses the target.
        let partial =
            plan.remaining.iter().position(|r| *r > 0 && *r < WAD).expect("one leg closed in part");
        let mut more = plan.remaining.clone();
        more[partial] += WAD / 1_000;
        let outcome = eval.outcome(&more, plan.equity_before, plan.maintenance_before).unwrap();
        assert!(!eval.reaches_target(&outcome));
        // Health never falls, the liquidator is paid.
        assert!(crate::margin::health_ratio(equity, maintenance) >= health.ratio());
        assert!(plan.to_liquidator >= RiskParams::DEFAULT.gas_reserve);
    }

    #[test]
    fn largest_release_is_closed_first() {
        let eval = evaluation(&two_market_book());
        let plan = plan(&eval).unwrap().unwrap();
        // Feed 2's leg (200,000 notional at a rate grown by 2%) releases more
        // than the ETH leg (192,000 at +0.1%): it goes first and whole, then
        // the ETH leg in part.
        let mut whole = vec![WAD; 2];
        whole[1] = 0;
        let without_second = eval.requirements(&whole).unwrap().1;
        whole = vec![0, WAD];
        let without_first = eval.requirements(&whole).unwrap().1;
        assert!(without_second < without_first);
        assert_eq!(plan.remaining[1], 0);
        assert!(plan.remaining[0] > 0 && plan.remaining[0] < WAD);
    }

    #[test]
    fn account_exactly_at_the_threshold() {
        let legs = vec![perp(1, 10 * ONE, SPOT)];
        let mm = evaluation(&book(0, SPOT, legs.clone())).health().unwrap().maintenance;
        // Equity = collateral at entry price: exactly maintenance margin is not liquidatable.
        let at = evaluation(&book(to_signed(mm), SPOT, legs.clone()));
        assert_eq!(at.health().unwrap().equity, to_signed(mm));
        assert_eq!(plan(&at).unwrap(), None);
        // One wei below: liquidatable, stays solvent and pays the liquidator.
        let below = evaluation(&book(to_signed(mm) - 1, SPOT, legs));
        let plan = plan(&below).unwrap().unwrap();
        let (equity, _) = after(&below, &plan);
        assert!(equity >= 0);
        assert!(plan.to_liquidator >= RiskParams::DEFAULT.gas_reserve);
    }

    #[test]
    fn insolvent_account_is_closed_whole_and_pays_nothing() {
        let eval = evaluation(&book(1_000 * ONE, SPOT / 2, vec![perp(1, 10 * ONE, SPOT)]));
        let plan = plan(&eval).unwrap().unwrap();
        assert!(plan.remaining.iter().all(|r| *r == 0));
        assert!(plan.equity_after < 0);
        assert_eq!((plan.to_liquidator, plan.to_insurance), (0, 0));
    }

    #[test]
    fn expired_options_are_not_closed() {
        let mut portfolio = book(0, SPOT, vec![perp(1, 10 * ONE, SPOT * 11 / 10)]);
        portfolio.options.push(OptionLeg {
            feed: 1,
            amount: -ONE,
            strike: SPOT,
            expiry: 5,
            is_call: true,
            volatility: 0,
        });
        let eval = evaluate(&portfolio, &RiskParams::DEFAULT, 10).unwrap();
        let plan = plan(&eval).unwrap().unwrap();
        assert_eq!(plan.remaining[1], WAD);
    }

    #[test]
    fn bad_debt_is_absorbed_by_insurance_then_pool() {
        assert_eq!(absorb(100, 30, 1_000), (30, 70, 0));
        assert_eq!(absorb(100, 300, 1_000), (100, 0, 0));
        assert_eq!(absorb(100, 30, 50), (30, 50, 20));
        assert_eq!(absorb(0, 30, 50), (0, 0, 0));
    }

    fn arb_portfolio() -> impl Strategy<Value = (Portfolio, u128)> {
        (
            -5_000i128..50_000,
            prop::collection::vec((1u32..3, -200i128..200, 80u128..120), 1..4),
            prop::collection::vec((-20i128..20, 70u128..130, any::<bool>(), 1u64..60), 0..4),
            50u128..150,
        )
            .prop_map(|(collateral, perps, options, move_pct)| {
                let perps = perps
                    .into_iter()
                    .filter(|(_, size, _)| *size != 0)
                    .map(|(feed, size, entry_pct)| {
                        let spot = if feed == 1 { SPOT } else { SPOT / 20 };
                        perp(feed, size * ONE / 2, spot * entry_pct / 100)
                    })
                    .collect();
                let options = options
                    .into_iter()
                    .filter(|(amount, ..)| *amount != 0)
                    .map(|(amount, strike_pct, is_call, days)| OptionLeg {
                        feed: 1,
                        amount: amount * ONE / 4,
                        strike: SPOT * strike_pct / 100,
                        expiry: days * 86_400,
                        is_call,
                        volatility: 7 * WAD / 10,
                    })
                    .collect();
                let spot = SPOT * move_pct / 100;
                (
                    Portfolio {
                        collateral: collateral * ONE,
                        spots: vec![(1, spot), (2, spot / 20)],
                        perps,
                        options,
                    },
                    move_pct,
                )
            })
    }

    proptest! {
        /// Invariant 3: a liquidation never lowers the health ratio and never
        /// pays more than the account's equity; it reaches its target or
        /// closes everything.
        #[test]
        fn liquidation_never_lowers_health_nor_overpays((portfolio, _) in arb_portfolio()) {
            let eval = evaluation(&portfolio);
            let health = eval.health().unwrap();
            match plan(&eval).unwrap() {
                None => prop_assert!(!health.liquidatable()),
                Some(plan) => {
                    let paid = plan.to_liquidator + plan.to_insurance;
                    prop_assert!(to_signed(paid) <= plan.equity_after.max(0));
                    prop_assert!(to_signed(paid) <= health.equity.max(0));
                    let (equity, maintenance) = after(&eval, &plan);
                    let all_closed = plan.remaining.iter().all(|r| *r == 0);
                    if maintenance > 0 {
                        prop_assert!(crate::margin::health_ratio(equity, maintenance) >= health.ratio());
                        let target = maintenance + maintenance / 10;
                        prop_assert!(all_closed || equity >= to_signed(target));
                    }
                    if all_closed && plan.equity_after > 0 {
                        // Solvent after closing: the liquidator is paid first.
                        prop_assert!(plan.to_liquidator > 0);
                    }
                }
            }
        }

        /// Invariant 4: each unit of a deficit is absorbed exactly once,
        /// insurance first, then the pool; what neither covers stays visible.
        #[test]
        fn waterfall_absorbs_each_unit_once_in_order(deficit in 0u128..1_000_000, insurance in 0u128..1_000_000, pool in 0u128..1_000_000) {
            let (from_insurance, from_pool, left) = absorb(deficit, insurance, pool);
            prop_assert_eq!(from_insurance + from_pool + left, deficit);
            prop_assert!(from_insurance <= insurance && from_pool <= pool);
            prop_assert!(from_pool == 0 || from_insurance == insurance);
            prop_assert!(left == 0 || (from_insurance == insurance && from_pool == pool));
            // Absorbing again what is left records only what was not absorbed before.
            let (again_insurance, again_pool, _) = absorb(left, insurance - from_insurance, pool - from_pool);
            prop_assert_eq!(again_insurance + again_pool, 0);
        }

        /// Invariant 2 on the model: along a random price path, a trade that
        /// adds risk is accepted only when initial margin holds after it, so
        /// an accepted account is never below initial margin right after.
        #[test]
        fn risk_adding_trades_keep_initial_margin(
            collateral in 100i128..20_000,
            path in prop::collection::vec((90u128..110, -40i128..40), 1..12),
        ) {
            let mut size: i128 = 0;
            let mut basis: i128 = 0;
            let mut cash = collateral * ONE;
            let mut spot = SPOT;
            for (step, delta) in path {
                spot = spot * step / 100;
                let delta = delta * ONE / 4;
                let traded = crate::position::apply_perp_trade(size, basis, delta, spot, 0).unwrap();
                let portfolio = Portfolio {
                    collateral: cash + traded.realised,
                    spots: vec![(1, spot)],
                    perps: if traded.size == 0 { vec![] } else { vec![PerpLeg { basis: traded.basis, ..perp(1, traded.size, spot) }] },
                    options: vec![],
                };
                let health = evaluation(&portfolio).health().unwrap();
                let accepted = !crate::margin::adds_risk(size, traded.size) || health.equity >= to_signed(health.initial);
                if accepted {
                    if crate::margin::adds_risk(size, traded.size) {
                        prop_assert!(health.equity >= to_signed(health.initial));
                    }
                    size = traded.size;
                    basis = traded.basis;
                    cash += traded.realised;
                }
            }
        }
    }
}
