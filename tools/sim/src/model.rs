//! `ModelProtocol`: a plain-Rust reference model of the clearinghouse's
//! balances and positions, following DESIGN.md's rules in integer micro
//! units. It exists to test the simulation loop, the metrics and the
//! invariant checks without WASM; the main job drives the real contracts.

use crate::pricing::black_scholes;
use crate::protocol::{
    amount, mul, to_f64, AccountId, AccountState, Amount, Exec, Health, LiquidationOutcome,
    MarketState, OpKind, Protocol, ProtocolError, ProtocolState, SeriesSpec, Setup, UNIT,
};
use crate::scenario::{ProtocolParams, Surface, SECONDS_PER_YEAR};

/// A deliberate defect, to prove that the invariant checks catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Tokens leave the Vault without any ledger entry.
    LeakVaultTokens(Amount),
    /// An account gains a perp position that open interest does not count.
    PhantomPerp {
        /// The account.
        account: AccountId,
        /// The market.
        market: usize,
        /// Size in micro-units.
        size: Amount,
    },
    /// Trades skip the initial-margin check.
    SkipMarginCheck,
    /// The health view reverts (as the contracts' does without a usable
    /// price) from then on.
    HealthReverts,
}

#[derive(Debug, Clone, Copy, Default)]
struct Perp {
    size: Amount,
    /// Signed cost basis: sum of size times fill price.
    cost: Amount,
    /// Funding index when funding was last settled.
    funding_index: Amount,
}

#[derive(Debug, Clone, Default)]
struct Account {
    collateral: Amount,
    perps: Vec<Perp>,
    options: Vec<Amount>,
    lp_shares: Amount,
}

#[derive(Debug, Clone, Default)]
struct Market {
    skew_scale: Amount,
    /// Largest size a trade adding risk may have (base units).
    max_trade_size: Amount,
    funding_rate: f64,
    funding_index: Amount,
    long_open_interest: Amount,
    short_open_interest: Amount,
}

#[derive(Debug, Clone, Default)]
struct Core {
    accounts: Vec<Account>,
    markets: Vec<Market>,
    vault_tokens: Amount,
    pool_assets: Amount,
    insurance_fund: Amount,
    fees: Amount,
    bad_debt: Amount,
    pool_absorbed: Amount,
    total_shares: Amount,
    settlement: Vec<Option<Amount>>,
}

/// The reference model.
#[derive(Debug, Clone, Default)]
pub struct ModelProtocol {
    params: ProtocolParams,
    now: u64,
    prices: Vec<Amount>,
    updated_at: Vec<u64>,
    secondary: Vec<Amount>,
    sequencer_up: bool,
    back_up_at: Option<u64>,
    surfaces: Vec<Surface>,
    series: Vec<SeriesSpec>,
    core: Core,
    skip_margin_check: bool,
    health_reverts: bool,
}

impl ModelProtocol {
    /// An empty model; [`Protocol::setup`] configures it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Injects a defect (tests of the invariant checks).
    pub fn corrupt(&mut self, fault: Fault) {
        match fault {
            Fault::LeakVaultTokens(a) => self.core.vault_tokens -= a,
            Fault::PhantomPerp { account, market, size } => {
                if let Some(p) =
                    self.core.accounts.get_mut(account).and_then(|a| a.perps.get_mut(market))
                {
                    p.size += size;
                }
            }
            Fault::SkipMarginCheck => self.skip_margin_check = true,
            Fault::HealthReverts => self.health_reverts = true,
        }
    }

    /// Why the oracle price of an underlying cannot be used now, if it cannot.
    fn price_problem(&self, u: usize) -> Option<&'static str> {
        if !self.sequencer_up {
            return Some("SequencerDown");
        }
        if self.back_up_at.is_some_and(|t| self.now < t + self.params.sequencer_grace) {
            return Some("GracePeriodNotOver");
        }
        if self.now.saturating_sub(self.updated_at[u]) > self.params.oracle_max_age {
            return Some("StalePrice");
        }
        let p = to_f64(self.prices[u]);
        let s = to_f64(self.secondary[u]);
        if ((s - p) / p).abs() > self.params.oracle_max_deviation {
            return Some("PriceDeviation");
        }
        None
    }

    fn years_to(&self, expiry: u64) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let secs = expiry.saturating_sub(self.now) as f64;
        secs / SECONDS_PER_YEAR
    }

    /// Mark value of one unit of a series (Black-Scholes mid; intrinsic once expired).
    fn option_mark(&self, s: usize) -> Amount {
        let spec = self.series[s];
        let spot = to_f64(self.prices[spec.underlying]);
        if let Some(settle) = self.core.settlement[s] {
            let settle = to_f64(settle);
            let v = if spec.is_call { settle - spec.strike } else { spec.strike - settle };
            return amount(v.max(0.0));
        }
        let years = self.years_to(spec.expiry);
        let vol = self.surfaces[spec.underlying].vol(spot, spec.strike, years);
        amount(black_scholes(spot, spec.strike, years, vol, spec.is_call).0)
    }

    /// The fill of a trade of `delta` in market `m` now: the oracle price
    /// moved by half the trade's skew impact (PerpMarket's rule).
    fn fill_price(&self, m: usize, delta: Amount) -> Amount {
        let market = &self.core.markets[m];
        let skew = market.long_open_interest - market.short_open_interest;
        let impact = to_f64(skew + delta / 2) / to_f64(market.skew_scale);
        amount(to_f64(self.prices[m]) * (1.0 + impact))
    }

    fn funding_owed(&self, m: usize, p: &Perp) -> Amount {
        mul(p.size, self.core.markets[m].funding_index - p.funding_index)
    }

    fn health_of(&self, a: usize) -> Health {
        let acc = &self.core.accounts[a];
        let pp = &self.params;
        let mut equity = acc.collateral;
        let (mut im, mut mm) = (0, 0);
        for (m, p) in acc.perps.iter().enumerate() {
            if p.size == 0 {
                continue;
            }
            let price = self.prices[m];
            equity += mul(p.size, price) - p.cost - self.funding_owed(m, p);
            let notional = mul(p.size.abs(), price);
            im += ceil_frac(notional, pp.initial_margin);
            mm += ceil_frac(notional, pp.maintenance_margin);
        }
        for (s, &amt) in acc.options.iter().enumerate() {
            if amt == 0 {
                continue;
            }
            let mark = mul(amt.abs(), self.option_mark(s));
            if amt > 0 {
                equity += amount(to_f64(mark) * pp.long_option_credit);
            } else {
                equity -= mark;
                let spot_notional = mul(amt.abs(), self.prices[self.series[s].underlying]);
                im += mark + ceil_frac(spot_notional, pp.option_initial_margin);
                mm += mark + ceil_frac(spot_notional, pp.option_maintenance_margin);
            }
        }
        Health {
            equity,
            initial_margin: im,
            maintenance_margin: mm,
            liquidatable: mm > 0 && equity < mm,
        }
    }

    /// The pool's net asset value: its assets less what it owes traders.
    fn pool_value(&self) -> Amount {
        let mut owed = 0;
        for acc in &self.core.accounts {
            for (m, p) in acc.perps.iter().enumerate() {
                if p.size != 0 {
                    owed += mul(p.size, self.prices[m]) - p.cost - self.funding_owed(m, p);
                }
            }
            for (s, &amt) in acc.options.iter().enumerate() {
                if amt != 0 {
                    owed += mul(amt, self.option_mark(s));
                }
            }
        }
        self.core.pool_assets - owed
    }

    fn accrue_funding(&mut self, dt: u64) {
        #[allow(clippy::cast_precision_loss)]
        let days = dt as f64 / 86_400.0;
        for (m, market) in self.core.markets.iter_mut().enumerate() {
            let skew = to_f64(market.long_open_interest - market.short_open_interest);
            let scale = to_f64(market.skew_scale);
            let before = market.funding_rate;
            market.funding_rate = (before + self.params.funding_velocity * (skew / scale) * days)
                .clamp(-self.params.max_funding_rate, self.params.max_funding_rate);
            let avg = 0.5 * (before + market.funding_rate);
            market.funding_index += amount(avg * to_f64(self.prices[m]) * days);
        }
    }

    fn settle_funding(&mut self, a: usize, m: usize) {
        let owed = self.funding_owed(m, &self.core.accounts[a].perps[m]);
        let index = self.core.markets[m].funding_index;
        let acc = &mut self.core.accounts[a];
        acc.collateral -= owed;
        acc.perps[m].funding_index = index;
        self.core.pool_assets += owed;
    }

    fn charge_fee(&mut self, a: usize, fee: Amount) {
        self.core.accounts[a].collateral -= fee;
        let insurance = amount(to_f64(fee) * self.params.insurance_fee_share);
        let protocol = amount(to_f64(fee) * self.params.protocol_fee_share);
        self.core.insurance_fund += insurance;
        self.core.fees += protocol;
        self.core.pool_assets += fee - insurance - protocol;
    }

    /// Moves a perp position by `delta` at `fill`, realising PnL against the pool.
    fn apply_perp(&mut self, a: usize, m: usize, delta: Amount, fill: Amount) {
        self.settle_funding(a, m);
        let p = self.core.accounts[a].perps[m];
        let (mut size, mut cost) = (p.size, p.cost);
        let mut rest = delta;
        if size != 0 && size.signum() != delta.signum() {
            let closed = delta.abs().min(size.abs());
            let cost_closed = cost * closed / size.abs();
            let proceeds = mul(size.signum() * closed, fill);
            let pnl = proceeds - cost_closed;
            self.core.accounts[a].collateral += pnl;
            self.core.pool_assets -= pnl;
            size -= size.signum() * closed;
            cost -= cost_closed;
            rest = delta + delta.signum() * -closed;
            if size == 0 {
                cost = 0;
            }
        }
        if rest != 0 {
            size += rest;
            cost += mul(rest, fill);
        }
        let market = &mut self.core.markets[m];
        for (s, sign) in [(p.size, -1), (size, 1)] {
            if s > 0 {
                market.long_open_interest += sign * s;
            } else {
                market.short_open_interest += sign * -s;
            }
        }
        let acc = &mut self.core.accounts[a];
        acc.perps[m].size = size;
        acc.perps[m].cost = cost;
    }

    /// Moves an option position by `delta` at `price` per unit against the pool.
    fn apply_option(&mut self, a: usize, s: usize, delta: Amount, price: Amount) {
        let cash = mul(delta, price);
        self.core.accounts[a].collateral -= cash;
        self.core.pool_assets += cash;
        self.core.accounts[a].options[s] += delta;
    }

    /// The pool's net option delta on an underlying, in USD of spot (the
    /// pool holds the opposite of every trader's options).
    fn pool_option_delta(&self, u: usize) -> f64 {
        let spot = to_f64(self.prices[u]);
        let mut delta = 0.0;
        for (s, spec) in self.series.iter().enumerate() {
            if spec.underlying != u || self.core.settlement[s].is_some() {
                continue;
            }
            let net: Amount = self.core.accounts.iter().map(|a| a.options[s]).sum();
            if net != 0 {
                let years = self.years_to(spec.expiry);
                let vol = self.surfaces[u].vol(spot, spec.strike, years);
                delta -= to_f64(net) * black_scholes(spot, spec.strike, years, vol, spec.is_call).1;
            }
        }
        delta * spot
    }

    fn has_positions(&self, a: usize) -> bool {
        let acc = &self.core.accounts[a];
        acc.perps.iter().any(|p| p.size != 0) || acc.options.iter().any(|&o| o != 0)
    }

    /// Turns a negative balance with nothing left to close into bad debt,
    /// absorbed by the insurance fund first, then the pool.
    fn absorb_bad_debt(&mut self, a: usize) -> Amount {
        let collateral = self.core.accounts[a].collateral;
        if collateral >= 0 || self.has_positions(a) {
            return 0;
        }
        let debt = -collateral;
        self.core.accounts[a].collateral = 0;
        let from_insurance = debt.min(self.core.insurance_fund);
        self.core.insurance_fund -= from_insurance;
        self.core.pool_assets -= debt - from_insurance;
        self.core.pool_absorbed += debt - from_insurance;
        self.core.bad_debt += debt;
        debt
    }

    fn margin_ok(&self, a: usize) -> bool {
        if self.skip_margin_check {
            return true;
        }
        let h = self.health_of(a);
        h.equity >= h.initial_margin && self.core.accounts[a].collateral >= 0
    }

    fn check_account(&self, a: usize) -> Result<(), ProtocolError> {
        if a < self.core.accounts.len() {
            Ok(())
        } else {
            Err(ProtocolError::Chain(format!("unknown account {a}")))
        }
    }

    /// Runs `f` as a transaction: state is restored if it returns a revert.
    fn transaction(
        &mut self,
        op: OpKind,
        f: impl FnOnce(&mut Self) -> Result<Exec, &'static str>,
    ) -> Exec {
        let saved = self.core.clone();
        match f(self) {
            Ok(exec) => exec,
            Err(reason) => {
                self.core = saved;
                Exec::reverted(op, reason)
            }
        }
    }

    /// Closes positions of `a`, riskiest first, until it is above
    /// maintenance margin plus the buffer; returns notional closed and bonus.
    fn close_for_liquidation(&mut self, liquidator: usize, a: usize) -> (Amount, Amount) {
        let pp = self.params.clone();
        let mut legs: Vec<(Amount, bool, usize)> = Vec::new();
        let acc = &self.core.accounts[a];
        for (m, p) in acc.perps.iter().enumerate() {
            if p.size != 0 {
                let n = mul(p.size.abs(), self.prices[m]);
                legs.push((ceil_frac(n, pp.maintenance_margin), true, m));
            }
        }
        for (s, &amt) in acc.options.iter().enumerate() {
            if amt != 0 {
                let spot = mul(amt.abs(), self.prices[self.series[s].underlying]);
                let risk = if amt < 0 { ceil_frac(spot, pp.option_maintenance_margin) } else { 0 };
                legs.push((risk, false, s));
            }
        }
        // Riskiest first; ties by kind then index so the order is fixed.
        legs.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.2.cmp(&y.2)));
        let (mut closed_total, mut bonus_total) = (0, 0);
        for (_, is_perp, i) in legs {
            let h = self.health_of(a);
            let target =
                h.maintenance_margin + ceil_frac(h.maintenance_margin, pp.liquidation_buffer);
            if h.equity >= target && h.equity > 0 {
                break;
            }
            let (size, price) = if is_perp {
                (self.core.accounts[a].perps[i].size, self.prices[i])
            } else {
                (self.core.accounts[a].options[i], self.option_mark(i))
            };
            let leg_notional = if is_perp {
                mul(size.abs(), price)
            } else {
                mul(size.abs(), self.prices[self.series[i].underlying])
            };
            let h_before = self.health_of(a);
            // Fraction of the leg that restores the target, from
            // E - r f N >= (MM - f m)(1 + b); all of it when the account is
            // under water.
            let fraction = if h.equity <= 0 {
                1.0
            } else {
                let m_leg = to_f64(h.maintenance_margin) - {
                    let mut without = self.clone();
                    if is_perp {
                        without.core.accounts[a].perps[i].size = 0;
                    } else {
                        without.core.accounts[a].options[i] = 0;
                    }
                    to_f64(without.health_of(a).maintenance_margin)
                };
                let b = 1.0 + pp.liquidation_buffer;
                let denominator = m_leg * b - pp.liquidation_bonus * to_f64(leg_notional);
                if denominator <= 0.0 {
                    1.0
                } else {
                    ((to_f64(h.maintenance_margin) * b - to_f64(h.equity)) / denominator)
                        .clamp(0.0, 1.0)
                }
            };
            let mut close = amount(to_f64(size.abs()) * fraction).max(1).min(size.abs());
            if close * 20 > size.abs() * 19 {
                close = size.abs(); // no dust left behind
            }
            let delta = -size.signum() * close;
            if is_perp {
                self.apply_perp(a, i, delta, price);
            } else {
                self.apply_option(a, i, delta, price);
            }
            let closed_notional = leg_notional * close / size.abs();
            let h_after = self.health_of(a);
            // The bonus is bounded by the equity and never lowers the
            // health ratio: bonus <= E * (MM released) / MM.
            let released = h_before.maintenance_margin - h_after.maintenance_margin;
            let mut bonus =
                ceil_frac(closed_notional, pp.liquidation_bonus).min(h_after.equity.max(0));
            if h_before.maintenance_margin > 0 {
                bonus = bonus
                    .min(h_after.equity.max(0) * released.max(0) / h_before.maintenance_margin);
            }
            let bonus = bonus.max(0);
            self.core.accounts[a].collateral -= bonus;
            self.core.accounts[liquidator].collateral += bonus;
            closed_total += closed_notional;
            bonus_total += bonus;
        }
        (closed_total, bonus_total)
    }
}

/// `ceil(a * fraction)` for a non-negative `a`.
fn ceil_frac(a: Amount, fraction: f64) -> Amount {
    #[allow(clippy::cast_possible_truncation)]
    let v = (to_f64(a) * fraction * 1e6).ceil() as Amount;
    v.max(0)
}

impl Protocol for ModelProtocol {
    fn kind(&self) -> &'static str {
        "model"
    }

    fn setup(&mut self, setup: &Setup) -> Result<Vec<Exec>, ProtocolError> {
        let n = setup.underlyings.len();
        self.params = setup.params.clone();
        self.now = setup.start_time;
        self.prices = setup.initial_prices.iter().map(|p| amount(*p)).collect();
        self.secondary.clone_from(&self.prices);
        self.updated_at = vec![setup.start_time; n];
        self.sequencer_up = true;
        self.surfaces.clone_from(&setup.surfaces);
        self.series.clone_from(&setup.series);
        let insurance = amount(setup.params.insurance_fund);
        self.core = Core {
            accounts: vec![
                Account {
                    perps: vec![Perp::default(); n],
                    options: vec![0; setup.series.len()],
                    ..Account::default()
                };
                setup.accounts
            ],
            markets: setup
                .initial_prices
                .iter()
                .map(|p| Market {
                    skew_scale: amount(setup.params.skew_scale_usd / p),
                    max_trade_size: amount(setup.params.max_trade_size_usd / p),
                    ..Market::default()
                })
                .collect(),
            vault_tokens: insurance,
            insurance_fund: insurance,
            settlement: vec![None; setup.series.len()],
            ..Core::default()
        };
        Ok(vec![Exec::ok(OpKind::Setup)])
    }

    fn begin_block(&mut self, _number: u64, timestamp: u64) {
        let dt = timestamp.saturating_sub(self.now);
        self.now = timestamp;
        self.accrue_funding(dt);
    }

    fn push_price(
        &mut self,
        u: usize,
        primary: Option<f64>,
        secondary: f64,
    ) -> Result<Exec, ProtocolError> {
        if let Some(p) = primary {
            self.prices[u] = amount(p);
            self.updated_at[u] = self.now;
        }
        self.secondary[u] = amount(secondary);
        Ok(Exec::ok(OpKind::PushPrice))
    }

    fn set_sequencer(&mut self, up: bool) -> Result<Exec, ProtocolError> {
        if up && !self.sequencer_up {
            self.back_up_at = Some(self.now);
        }
        self.sequencer_up = up;
        Ok(Exec::ok(OpKind::SetSequencer))
    }

    fn push_volatility(&mut self, u: usize, surface: &Surface) -> Result<Exec, ProtocolError> {
        self.surfaces[u] = *surface;
        Ok(Exec::ok(OpKind::PushVolatility))
    }

    fn deposit(&mut self, a: AccountId, amt: Amount) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        let cap = amount(self.params.collateral_cap);
        Ok(self.transaction(OpKind::Deposit, |s| {
            if amt <= 0 {
                return Err("ZeroAmount");
            }
            if s.core.vault_tokens + amt > cap {
                return Err("DepositCapExceeded");
            }
            s.core.accounts[a].collateral += amt;
            s.core.vault_tokens += amt;
            Ok(Exec::ok(OpKind::Deposit))
        }))
    }

    fn withdraw(&mut self, a: AccountId, amt: Amount) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        Ok(self.transaction(OpKind::Withdraw, |s| {
            if amt <= 0 || amt > s.core.accounts[a].collateral {
                return Err("InsufficientCollateral");
            }
            s.core.accounts[a].collateral -= amt;
            s.core.vault_tokens -= amt;
            if s.has_positions(a) {
                (0..s.prices.len()).try_for_each(|u| s.price_problem(u).map_or(Ok(()), Err))?;
                if !s.margin_ok(a) {
                    return Err("InsufficientMargin");
                }
            }
            Ok(Exec::ok(OpKind::Withdraw))
        }))
    }

    fn lp_deposit(&mut self, a: AccountId, amt: Amount) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        Ok(self.transaction(OpKind::LpDeposit, |s| {
            if amt <= 0 {
                return Err("ZeroAmount");
            }
            let value = s.pool_value();
            let shares = if s.core.total_shares == 0 || value <= 0 {
                amt
            } else {
                amt * s.core.total_shares / value
            };
            s.core.accounts[a].lp_shares += shares;
            s.core.total_shares += shares;
            s.core.pool_assets += amt;
            s.core.vault_tokens += amt;
            Ok(Exec::ok(OpKind::LpDeposit))
        }))
    }

    fn lp_withdraw(&mut self, a: AccountId, fraction: Amount) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        Ok(self.transaction(OpKind::LpWithdraw, |s| {
            let shares = s.core.accounts[a].lp_shares * fraction.clamp(0, UNIT) / UNIT;
            if shares <= 0 || s.core.total_shares == 0 {
                return Err("ZeroAmount");
            }
            let value =
                (s.pool_value().max(0) * shares / s.core.total_shares).min(s.core.pool_assets);
            if value <= 0 {
                return Err("PoolInsolvent");
            }
            s.core.accounts[a].lp_shares -= shares;
            s.core.total_shares -= shares;
            s.core.pool_assets -= value;
            s.core.vault_tokens -= value;
            Ok(Exec::ok(OpKind::LpWithdraw))
        }))
    }

    fn trade_perp(
        &mut self,
        a: AccountId,
        m: usize,
        delta: Amount,
        acceptable: Amount,
    ) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        let size = self.core.accounts[a].perps[m].size;
        let increases =
            (size + delta).abs() > size.abs() || (size + delta).signum() * size.signum() < 0;
        let op = if increases { OpKind::OpenPerp } else { OpKind::ClosePerp };
        Ok(self.transaction(op, |s| {
            if delta == 0 {
                return Err("ZeroAmount");
            }
            if increases {
                if let Some(problem) = s.price_problem(m) {
                    return Err(problem);
                }
                if delta.abs() > s.core.markets[m].max_trade_size {
                    return Err("TradeSizeOutOfBounds");
                }
            }
            let price = s.prices[m];
            let market = &s.core.markets[m];
            let skew = market.long_open_interest - market.short_open_interest;
            let fill = s.fill_price(m, delta);
            if (delta > 0 && fill > acceptable) || (delta < 0 && fill < acceptable) {
                return Err("AcceptablePriceExceeded");
            }
            let notional = mul(delta.abs(), fill);
            let rate = if (skew + delta).abs() > skew.abs() {
                s.params.taker_fee
            } else {
                s.params.maker_fee
            };
            s.apply_perp(a, m, delta, fill);
            s.charge_fee(a, ceil_frac(notional, rate));
            if increases {
                let market = &s.core.markets[m];
                let cap = amount(s.params.max_open_interest_usd);
                let side_open_interest = if size + delta > 0 {
                    market.long_open_interest
                } else {
                    market.short_open_interest
                };
                if mul(side_open_interest, price) > cap {
                    return Err("MaxOpenInterestExceeded");
                }
                if !s.margin_ok(a) {
                    return Err("InsufficientMargin");
                }
            }
            s.absorb_bad_debt(a);
            Ok(Exec::ok(op))
        }))
    }

    fn perp_quote(&mut self, m: usize, delta: Amount) -> Result<Amount, ProtocolError> {
        if m >= self.core.markets.len() {
            return Err(ProtocolError::Chain(format!("no market {m}")));
        }
        Ok(self.fill_price(m, delta))
    }

    fn trade_option(
        &mut self,
        a: AccountId,
        sid: usize,
        delta: Amount,
    ) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        let held = self.core.accounts[a].options[sid];
        let increases = (held + delta).abs() > held.abs();
        let op = if delta > 0 { OpKind::BuyOption } else { OpKind::SellOption };
        Ok(self.transaction(op, |s| {
            let spec = s.series[sid];
            if delta == 0 {
                return Err("ZeroAmount");
            }
            if s.now >= spec.expiry {
                return Err("SeriesExpired");
            }
            if let Some(problem) = s.price_problem(spec.underlying) {
                if increases {
                    return Err(problem);
                }
            }
            let delta_before = s.pool_option_delta(spec.underlying).abs();
            let mark = to_f64(s.option_mark(sid));
            let spread = s.params.option_spread;
            let price = if delta > 0 {
                amount(mark * (1.0 + spread))
            } else {
                amount(mark * (1.0 - spread))
            };
            s.apply_option(a, sid, delta, price);
            let delta_after = s.pool_option_delta(spec.underlying).abs();
            if delta_after > s.params.pool_delta_limit_usd && delta_after > delta_before {
                return Err("PoolDeltaLimit");
            }
            if increases && !s.margin_ok(a) {
                return Err("InsufficientMargin");
            }
            s.absorb_bad_debt(a);
            Ok(Exec::ok(op))
        }))
    }

    fn liquidate(&mut self, liquidator: AccountId, a: AccountId) -> Result<Exec, ProtocolError> {
        self.check_account(a)?;
        self.check_account(liquidator)?;
        Ok(self.transaction(OpKind::Liquidate, |s| {
            let before = s.health_of(a);
            if !before.liquidatable {
                return Err("NotLiquidatable");
            }
            let underlyings: Vec<usize> = (0..s.prices.len()).collect();
            for u in underlyings {
                if let Some(problem) = s.price_problem(u) {
                    return Err(problem);
                }
            }
            let (closed, bonus) = s.close_for_liquidation(liquidator, a);
            let bad_debt = s.absorb_bad_debt(a);
            let after = s.health_of(a);
            let mut exec = Exec::ok(OpKind::Liquidate);
            exec.liquidation = Some(LiquidationOutcome {
                closed_notional: closed,
                bonus,
                bad_debt,
                equity_before: before.equity,
                health_before: before.ratio().unwrap_or(0),
                health_after: after.ratio(),
            });
            Ok(exec)
        }))
    }

    fn settle(&mut self, _keeper: AccountId, sid: usize) -> Result<Exec, ProtocolError> {
        Ok(self.transaction(OpKind::Settle, |s| {
            let spec = s.series[sid];
            if s.now < spec.expiry {
                return Err("NotExpired");
            }
            if s.core.settlement[sid].is_some() {
                return Err("AlreadySettled");
            }
            if s.now.saturating_sub(s.updated_at[spec.underlying]) > s.params.oracle_max_age {
                return Err("StalePrice");
            }
            s.core.settlement[sid] = Some(s.prices[spec.underlying]);
            let payout = s.option_mark(sid);
            for a in 0..s.core.accounts.len() {
                let amt = s.core.accounts[a].options[sid];
                if amt != 0 {
                    s.apply_option(a, sid, -amt, payout);
                    s.absorb_bad_debt(a);
                }
            }
            Ok(Exec::ok(OpKind::Settle))
        }))
    }

    fn health(&mut self, a: AccountId) -> Result<Health, ProtocolError> {
        self.check_account(a)?;
        if self.health_reverts {
            let reason = "StalePrice".to_string();
            return Err(ProtocolError::ViewReverted { view: "accountHealth", reason });
        }
        Ok(self.health_of(a))
    }

    fn state(&mut self) -> Result<ProtocolState, ProtocolError> {
        let core = &self.core;
        let accounts: Vec<AccountState> = core
            .accounts
            .iter()
            .map(|a| AccountState {
                collateral: a.collateral,
                perps: a.perps.iter().map(|p| p.size).collect(),
                options: a.options.clone(),
            })
            .collect();
        let pool_value = self.pool_value();
        Ok(ProtocolState {
            vault_tokens: Some(core.vault_tokens),
            total_collateral: Some(accounts.iter().map(|a| a.collateral).sum()),
            accounts: Some(accounts),
            pool_assets: Some(core.pool_assets),
            lp_share_price: (core.total_shares > 0).then(|| pool_value * UNIT / core.total_shares),
            insurance_fund: Some(core.insurance_fund),
            fees: Some(core.fees),
            bad_debt: Some(core.bad_debt),
            pool_absorbed: Some(core.pool_absorbed),
            markets: Some(
                core.markets
                    .iter()
                    .map(|m| MarketState {
                        long_open_interest: m.long_open_interest,
                        short_open_interest: m.short_open_interest,
                        funding_rate: amount(m.funding_rate),
                    })
                    .collect(),
            ),
            settlement_prices: Some(core.settlement.clone()),
            // The model keeps sizes in micro-units exactly.
            open_interest_exact: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(accounts: usize) -> ModelProtocol {
        let mut m = ModelProtocol::new();
        let setup = Setup {
            underlyings: vec!["ETH".into()],
            initial_prices: vec![2_000.0],
            surfaces: vec![Surface { atm: 0.6, skew: 0.0, smile: 0.0, term: 0.0 }],
            series: vec![SeriesSpec {
                underlying: 0,
                strike: 2_000.0,
                expiry: 1_000 + 86_400,
                is_call: false,
            }],
            accounts,
            params: ProtocolParams::default(),
            start_time: 1_000,
        };
        m.setup(&setup).expect("setup");
        m
    }

    fn conserved(m: &mut ModelProtocol) -> bool {
        let s = m.state().expect("state");
        s.vault_tokens
            == Some(
                s.total_collateral.unwrap_or(0)
                    + s.pool_assets.unwrap_or(0)
                    + s.insurance_fund.unwrap_or(0)
                    + s.fees.unwrap_or(0),
            )
    }

    #[test]
    fn trade_is_margin_checked_and_conserves_tokens() {
        let mut m = model(3);
        m.lp_deposit(2, amount(1e6)).expect("lp");
        m.deposit(0, amount(1_000.0)).expect("deposit");
        // 10 ETH = 20,000 USD notional needs 2,000 initial margin.
        let r = m.trade_perp(0, 0, amount(10.0), amount(1e9)).expect("trade");
        assert_eq!(r.revert.as_deref(), Some("InsufficientMargin"));
        let r = m.trade_perp(0, 0, amount(4.0), amount(1e9)).expect("trade");
        assert!(r.success(), "{r:?}");
        assert!(conserved(&mut m));
        let s = m.state().expect("state");
        assert_eq!(s.markets.expect("markets")[0].long_open_interest, amount(4.0));
    }

    #[test]
    fn crash_liquidates_and_records_bad_debt_in_order() {
        let mut m = model(3);
        m.lp_deposit(2, amount(1e6)).expect("lp");
        m.deposit(0, amount(1_000.0)).expect("deposit");
        assert!(m.trade_perp(0, 0, amount(4.5), amount(1e9)).expect("trade").success());
        m.begin_block(1, 1_060);
        m.push_price(0, Some(1_500.0), 1_500.0).expect("price");
        assert!(m.health(0).expect("health").liquidatable);
        let r = m.liquidate(1, 0).expect("liquidate");
        let out = r.liquidation.expect("outcome");
        assert!(out.bad_debt > 0);
        assert!(conserved(&mut m));
        let s = m.state().expect("state");
        assert_eq!(s.bad_debt, Some(out.bad_debt));
        assert_eq!(s.pool_absorbed, Some(0), "insurance fund absorbs first");
        assert_eq!(s.accounts.expect("accounts")[0].perps[0], 0);
    }

    #[test]
    fn partial_liquidation_keeps_the_rest() {
        let mut m = model(3);
        m.lp_deposit(2, amount(1e6)).expect("lp");
        m.deposit(0, amount(1_000.0)).expect("deposit");
        assert!(m.trade_perp(0, 0, amount(4.5), amount(1e9)).expect("trade").success());
        m.begin_block(1, 1_060);
        m.push_price(0, Some(1_840.0), 1_840.0).expect("price");
        let before = m.health(0).expect("health");
        assert!(before.liquidatable, "{before:?}");
        let out = m.liquidate(1, 0).expect("liquidate").liquidation.expect("outcome");
        let after = m.health(0).expect("health");
        assert!(!after.liquidatable, "{after:?}");
        assert!(m.state().expect("state").accounts.expect("accounts")[0].perps[0] > 0);
        assert!(out.health_after >= Some(out.health_before));
        assert!(out.bonus <= out.equity_before);
    }

    #[test]
    fn stale_price_blocks_risk_but_not_closing() {
        let mut m = model(3);
        m.lp_deposit(2, amount(1e6)).expect("lp");
        m.deposit(0, amount(10_000.0)).expect("deposit");
        assert!(m.trade_perp(0, 0, amount(1.0), amount(1e9)).expect("trade").success());
        m.begin_block(1, 1_000 + 7_200);
        let r = m.trade_perp(0, 0, amount(1.0), amount(1e9)).expect("trade");
        assert_eq!(r.revert.as_deref(), Some("StalePrice"));
        let r = m.trade_perp(0, 0, -amount(1.0), 0).expect("trade");
        assert!(r.success(), "{r:?}");
    }

    #[test]
    fn options_settle_at_intrinsic_once() {
        let mut m = model(3);
        m.lp_deposit(2, amount(1e6)).expect("lp");
        m.deposit(0, amount(10_000.0)).expect("deposit");
        assert!(m.trade_option(0, 0, amount(2.0)).expect("buy").success());
        m.begin_block(1, 1_000 + 86_400);
        m.push_price(0, Some(1_800.0), 1_800.0).expect("price");
        assert!(m.settle(1, 0).expect("settle").success());
        assert_eq!(m.settle(1, 0).expect("settle").revert.as_deref(), Some("AlreadySettled"));
        let s = m.state().expect("state");
        assert_eq!(s.accounts.expect("accounts")[0].options[0], 0);
        assert_eq!(s.settlement_prices.expect("settled")[0], Some(amount(1_800.0)));
        assert!(conserved(&mut m));
    }
}
