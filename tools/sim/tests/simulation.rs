//! The simulation loop end to end on the reference model: determinism,
//! metrics, and invariant violations reported with block and accounts.

use bulwark_sim::engine;
use bulwark_sim::model::{Fault, ModelProtocol};
use bulwark_sim::protocol::{
    AccountId, Amount, Exec, Health, Protocol, ProtocolError, ProtocolState, Setup, UNIT,
};
use bulwark_sim::report::Report;
use bulwark_sim::scenario::{Scenario, Surface};

/// A short scenario: a day, then a 30% crash over an hour.
const SHORT: &str = r#"
name = "short crash"
seed = 3

[[underlyings]]
name = "ETH"
initial_price = 2000.0
implied_volatility = { atm = 0.6 }

[[phases]]
name = "calm"
duration = 86400
step = 1800
volatility = 0.5

[[phases]]
name = "crash"
duration = 3600
step = 120
volatility = 1.2
target_return = -0.30

[options]
expiries_days = [0.5, 3.0]
strikes = [0.9, 1.0]

[[agents.traders]]
name = "degens"
count = 20
strategy = "directional_perp"
collateral = { min = 1000.0, max = 20000.0 }
leverage = { min = 3.0, max = 9.0 }
trade_probability = 0.2
long_probability = 0.8

[[agents.traders]]
name = "writers"
count = 3
strategy = "option_writer"
collateral = { min = 50000.0, max = 100000.0 }
leverage = { min = 0.5, max = 1.0 }
trade_probability = 0.1

[[agents.lps]]
name = "lps"
count = 2
deposit = { min = 1000000.0, max = 2000000.0 }

[[agents.liquidators]]
name = "bot"
count = 1
reaction_delay = 1
gas_budget = 2000000

[[agents.keepers]]
name = "keeper"
count = 1
"#;

fn scenario() -> Scenario {
    Scenario::parse(SHORT, "short.toml").expect("valid scenario")
}

fn run(protocol: &mut impl Protocol, seed: u64) -> Report {
    engine::run(&scenario(), "short.toml", seed, protocol, &mut |_| {}).expect("run")
}

#[test]
fn same_seed_gives_the_same_report_bytes() {
    let a = run(&mut ModelProtocol::new(), 5).to_json();
    let b = run(&mut ModelProtocol::new(), 5).to_json();
    assert_eq!(a, b);
    let c = run(&mut ModelProtocol::new(), 6).to_json();
    assert_ne!(a, c);
}

#[test]
fn crash_produces_liquidations_and_clean_invariants() {
    let r = run(&mut ModelProtocol::new(), 5);
    assert!(!r.failed(), "{}", r.summary_text());
    assert!(r.summary.liquidations > 0, "{}", r.summary_text());
    assert!(r.liquidation_latency.blocks.max >= 1);
    assert_eq!(r.series.len() as u64, scenario().blocks());
    let held = r.invariants.iter().filter(|i| i.status == "held").count();
    assert_eq!(held, 6, "{:?}", r.invariants);
    assert!(r.summary.peak_capital_efficiency.is_some_and(|c| c > 0.0));
    let text = r.summary_text();
    assert!(text.contains("liquidations"));
}

/// The model with a defect injected at the start of one block.
struct Broken {
    inner: ModelProtocol,
    at_block: u64,
    fault: Fault,
}

impl Protocol for Broken {
    fn kind(&self) -> &'static str {
        "model"
    }
    fn setup(&mut self, setup: &Setup) -> Result<Vec<Exec>, ProtocolError> {
        self.inner.setup(setup)
    }
    fn begin_block(&mut self, number: u64, timestamp: u64) {
        self.inner.begin_block(number, timestamp);
        if number == self.at_block {
            self.inner.corrupt(self.fault);
        }
    }
    fn push_price(&mut self, u: usize, p: Option<f64>, s: f64) -> Result<Exec, ProtocolError> {
        self.inner.push_price(u, p, s)
    }
    fn set_sequencer(&mut self, up: bool) -> Result<Exec, ProtocolError> {
        self.inner.set_sequencer(up)
    }
    fn push_volatility(&mut self, u: usize, s: &Surface) -> Result<Exec, ProtocolError> {
        self.inner.push_volatility(u, s)
    }
    fn deposit(&mut self, a: AccountId, x: Amount) -> Result<Exec, ProtocolError> {
        self.inner.deposit(a, x)
    }
    fn withdraw(&mut self, a: AccountId, x: Amount) -> Result<Exec, ProtocolError> {
        self.inner.withdraw(a, x)
    }
    fn lp_deposit(&mut self, a: AccountId, x: Amount) -> Result<Exec, ProtocolError> {
        self.inner.lp_deposit(a, x)
    }
    fn lp_withdraw(&mut self, a: AccountId, x: Amount) -> Result<Exec, ProtocolError> {
        self.inner.lp_withdraw(a, x)
    }
    fn trade_perp(
        &mut self,
        a: AccountId,
        m: usize,
        d: Amount,
        p: Amount,
    ) -> Result<Exec, ProtocolError> {
        self.inner.trade_perp(a, m, d, p)
    }
    fn perp_quote(&mut self, m: usize, d: Amount) -> Result<Amount, ProtocolError> {
        self.inner.perp_quote(m, d)
    }
    fn trade_option(&mut self, a: AccountId, s: usize, d: Amount) -> Result<Exec, ProtocolError> {
        self.inner.trade_option(a, s, d)
    }
    fn liquidate(&mut self, l: AccountId, a: AccountId) -> Result<Exec, ProtocolError> {
        self.inner.liquidate(l, a)
    }
    fn settle(&mut self, k: AccountId, s: usize) -> Result<Exec, ProtocolError> {
        self.inner.settle(k, s)
    }
    fn health(&mut self, a: AccountId) -> Result<Health, ProtocolError> {
        self.inner.health(a)
    }
    fn state(&mut self) -> Result<ProtocolState, ProtocolError> {
        self.inner.state()
    }
}

#[test]
fn leaked_tokens_are_reported_at_their_block() {
    let mut p =
        Broken { inner: ModelProtocol::new(), at_block: 7, fault: Fault::LeakVaultTokens(UNIT) };
    let r = run(&mut p, 5);
    assert!(r.failed());
    let first = &r.violations[0];
    assert_eq!((first.invariant, first.block), (1, 7), "{first:?}");
    assert!(first.detail.contains("difference -1000000"), "{}", first.detail);
    let status = &r.invariants[0];
    assert_eq!(status.status, "violated");
    assert!(r.summary_text().contains("VIOLATIONS"));
}

#[test]
fn phantom_position_is_reported_with_its_account() {
    let fault = Fault::PhantomPerp { account: 4, market: 0, size: 3 * UNIT };
    let mut p = Broken { inner: ModelProtocol::new(), at_block: 10, fault };
    let r = run(&mut p, 5);
    let v = r.violations.iter().find(|v| v.invariant == 5).expect("open-interest violation");
    assert_eq!(v.block, 10);
    assert!(v.accounts.contains(&4), "{v:?}");
    assert_eq!(r.accounts[4], "degens #5");
}

#[test]
fn skipped_margin_check_is_caught() {
    let mut p = Broken { inner: ModelProtocol::new(), at_block: 1, fault: Fault::SkipMarginCheck };
    // Traders asking for more than the margin allows now get it.
    let text = SHORT.replace("max = 9.0", "max = 30.0").replace("min = 3.0", "min = 20.0");
    let s = Scenario::parse(&text, "short.toml").expect("valid");
    let r = engine::run(&s, "short.toml", 5, &mut p, &mut |_| {}).expect("run");
    let v = r.violations.iter().find(|v| v.invariant == 2).expect("margin violation");
    assert_eq!(v.accounts.len(), 1);
    assert!(v.detail.contains("below initial margin"));
}

#[test]
fn a_health_view_that_reverts_is_counted_and_never_read_as_healthy() {
    let mut p = Broken { inner: ModelProtocol::new(), at_block: 3, fault: Fault::HealthReverts };
    let r = run(&mut p, 5);
    let failed: u64 = r.summary.view_failures.values().sum();
    assert!(failed > 0, "{:?}", r.summary.view_failures);
    assert!(r.summary.view_failures.contains_key("accountHealth: StalePrice"));
    assert!(r.summary_text().contains("health views that reverted"), "{}", r.summary_text());
}
