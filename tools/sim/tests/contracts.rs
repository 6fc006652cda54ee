//! The main job on the real contracts: a short crash against a book of
//! option writers runs on the sandbox (the deployed WASM artifacts; run
//! `scripts/build` first), its report is checked, and its liquidations are
//! cross-checked against the plain-Rust model on the same scenario.

use bulwark_sim::engine;
use bulwark_sim::model::ModelProtocol;
use bulwark_sim::protocol::Protocol;
use bulwark_sim::report::Report;
use bulwark_sim::sandbox::SandboxProtocol;
use bulwark_sim::scenario::Scenario;

/// Put and call writers at high leverage, then a 40% fall in two hours
/// with the volatility tripling.
const WRITERS_CRASH: &str = r#"
name = "option writers in a crash"
seed = 11

[[underlyings]]
name = "ETH"
initial_price = 2000.0
implied_volatility = { atm = 0.6 }

[[phases]]
name = "calm"
duration = 21600
step = 1800
volatility = 0.4

[[phases]]
name = "crash"
duration = 7200
step = 300
volatility = 1.5
target_return = -0.40

[options]
expiries_days = [7.0]
strikes = [0.9, 1.0]

[[agents.traders]]
name = "writers"
count = 6
strategy = "option_writer"
collateral = { min = 20000.0, max = 40000.0 }
leverage = { min = 3.0, max = 4.0 }
trade_probability = 0.5
close_probability = 0.0

[[agents.lps]]
name = "lps"
count = 1
deposit = { min = 5000000.0, max = 5000000.0 }

[[agents.liquidators]]
name = "bot"
count = 1
reaction_delay = 0
gas_budget = 30000000
"#;

fn run(protocol: &mut impl Protocol) -> Report {
    let scenario = Scenario::parse(WRITERS_CRASH, "writers.toml").expect("valid scenario");
    engine::run(&scenario, "writers.toml", 11, protocol, &mut |_| {}).expect("run")
}

fn writers_liquidated(r: &Report) -> usize {
    let mut accounts: Vec<usize> = r
        .liquidations
        .iter()
        .filter(|l| l.agent.starts_with("writers"))
        .map(|l| l.account)
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts.len()
}

/// A one-underlying scenario: ETH at 2,000 and one calm phase, then `rest`
/// (options, agents, protocol).
fn calm_eth(name: &str, duration: u64, step: u64, volatility: f64, rest: &str) -> String {
    format!(
        "name = {name:?}\n\n[[underlyings]]\nname = \"ETH\"\ninitial_price = 2000.0\n\
         implied_volatility = {{ atm = 0.6 }}\n\n[[phases]]\nname = \"calm\"\n\
         duration = {duration}\nstep = {step}\nvolatility = {volatility}\n{rest}"
    )
}

/// One LP depositing `usd`.
fn lps(usd: f64) -> String {
    format!("\n[[agents.lps]]\nname = \"lps\"\ncount = 1\ndeposit = {{ min = {usd:?}, max = {usd:?} }}\n")
}

/// The scenario's reports on the contracts and on the model, same seed;
/// a report's text names its protocol.
fn on_both(text: &str, seed: u64) -> [Report; 2] {
    let scenario = Scenario::parse(text, "test.toml").expect("valid scenario");
    let mut sandbox = SandboxProtocol::new(false, true).expect("artifacts (run scripts/build)");
    let on_contracts =
        engine::run(&scenario, "test.toml", seed, &mut sandbox, &mut |_| {}).expect("run");
    let model = engine::run(&scenario, "test.toml", seed, &mut ModelProtocol::new(), &mut |_| {})
        .expect("run");
    [on_contracts, model]
}

#[test]
fn option_writers_are_liquidated_on_the_contracts_as_in_the_model() {
    let mut sandbox = SandboxProtocol::new(false, true).expect("artifacts (run scripts/build)");
    let on_contracts = run(&mut sandbox);
    let text = on_contracts.summary_text();
    println!("{text}");
    assert!(!on_contracts.failed(), "{text}");
    let model = run(&mut ModelProtocol::new());
    println!("{}", model.summary_text());
    let (contracts, reference) = (writers_liquidated(&on_contracts), writers_liquidated(&model));
    assert!(reference > 0, "the model liquidates writers in this crash");
    assert!(contracts > 0, "writers liquidated on the contracts: {contracts}\n{text}");
    // Every operation the run sent reached the contracts: nothing is unsupported.
    assert!(on_contracts.operations.iter().all(|o| o.unsupported == 0), "{text}");
    // No view failed silently: none reverted here, and the report says so.
    assert!(on_contracts.summary.view_failures.is_empty(), "{text}");
    // The writers' book is open interest: options count in the peak, as in
    // the model.
    for report in [&on_contracts, &model] {
        let options = report.summary.peak_option_open_interest.unwrap_or(0.0);
        assert!(options > 0.0, "option open interest seen: {options}");
        assert!(report.summary.peak_open_interest.unwrap_or(0.0) >= options);
    }
    // Every transaction is in the log, the liquidations with the account
    // they liquidated and the bot that sent them.
    let sent = on_contracts.transactions.iter().filter(|t| t.outcome != "unsupported").count();
    assert_eq!(sent as u64, on_contracts.summary.transactions);
    let logged: Vec<_> = on_contracts
        .transactions
        .iter()
        .filter(|t| t.op == "liquidate" && t.outcome == "ok")
        .collect();
    assert_eq!(logged.len(), on_contracts.liquidations.len());
    for (tx, record) in logged.iter().zip(&on_contracts.liquidations) {
        assert_eq!(
            (tx.block, tx.account, tx.agent.as_str()),
            (record.block, Some(record.account), record.liquidator.as_str())
        );
        assert!(tx.gas.is_some_and(|g| g > 0));
    }
    let line =
        on_contracts.transactions_jsonl().lines().next().map(str::to_owned).unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(parsed["agent"], "setup");
    let held = on_contracts.invariants.iter().filter(|i| i.status == "held").count();
    assert_eq!(held, on_contracts.invariants.len(), "{text}");
}

/// Writers and buyers of a series that expires six hours in: the keeper
/// records the settlement price and settles every position through
/// `RiskEngine.settleOptions`, on the contracts as in the model.
const EXPIRY: &str = r#"
[options]
expiries_days = [0.25]
strikes = [0.95, 1.0, 1.05]

[[agents.traders]]
name = "writers"
count = 3
strategy = "option_writer"
collateral = { min = 20000.0, max = 40000.0 }
leverage = { min = 1.0, max = 2.0 }
trade_probability = 0.6
close_probability = 0.0

[[agents.traders]]
name = "buyers"
count = 3
strategy = "option_buyer"
collateral = { min = 5000.0, max = 10000.0 }
leverage = { min = 1.0, max = 1.0 }
trade_probability = 0.6
close_probability = 0.0

[[agents.keepers]]
name = "keeper"
count = 1
delay = 60
"#;

#[test]
fn expired_series_are_settled_on_the_contracts_as_in_the_model() {
    let text = calm_eth("a series expires", 36_000, 1_800, 0.5, &(lps(5.0e6) + EXPIRY));
    for report in &on_both(&text, 5) {
        assert!(!report.failed(), "{}", report.summary_text());
        let settles = report.operations.iter().find(|o| o.op == "settle").expect("settle ran");
        assert!(settles.succeeded > 0, "{}", report.summary_text());
        // Positions were opened, and none is left once the series settled.
        assert!(report.summary.peak_option_open_interest.unwrap_or(0.0) > 0.0);
        let last = report.series.last().expect("samples");
        let left: f64 = last.option_open_interest.as_ref().map_or(0.0, |v| v.iter().sum());
        assert!(
            left.abs() < 1e-9,
            "option open interest {left} after settlement\n{}",
            report.summary_text()
        );
    }
}

/// Perp traders who take half their free collateral out now and then: the
/// withdrawals pass RiskEngine's margin check on the contracts as in the
/// model, and leave no account below initial margin.
const WITHDRAWERS: &str = r#"
[[agents.traders]]
name = "withdrawers"
count = 4
strategy = "directional_perp"
collateral = { min = 10000.0, max = 20000.0 }
leverage = { min = 2.0, max = 3.0 }
trade_probability = 0.5
close_probability = 0.0
withdraw_probability = 0.3
withdraw_share = 0.5
"#;

#[test]
fn traders_withdraw_free_collateral_on_the_contracts_as_in_the_model() {
    let text = calm_eth("withdrawers", 14_400, 600, 0.4, &(lps(2.0e6) + WITHDRAWERS));
    for report in &on_both(&text, 3) {
        let text = report.summary_text();
        assert!(!report.failed(), "{text}");
        let withdrawals = report.operations.iter().find(|o| o.op == "withdraw").expect("ran");
        assert!(withdrawals.succeeded > 0, "{text}");
        assert_eq!(withdrawals.reverted, 0, "half the free collateral always passes\n{text}");
        // Acceptable prices come from the protocol's own quote: the fills
        // match it, so no trade is refused for its price.
        let opens = report.operations.iter().find(|o| o.op == "open_perp").expect("opened");
        assert!(opens.succeeded > 0, "{text}");
        assert!(!opens.revert_reasons.contains_key("AcceptablePriceExceeded"), "{text}");
        let below = report.invariants.iter().find(|i| i.name.starts_with("no risk-adding"));
        assert!(below.is_some_and(|i| i.status == "held"), "{text}");
    }
}

/// A whale builds a third of the maximum open interest in trades of the
/// maximum trade size, holds it, and unwinds it, on the contracts as in the
/// model.
const WHALE: &str = r#"
[[agents.traders]]
name = "whale"
count = 1
strategy = "whale"
collateral = { min = 5000000.0, max = 5000000.0 }
leverage = { min = 4.0, max = 4.0 }
trade_probability = 1.0
target_share = 0.3
hold_seconds = 7200

[protocol]
max_open_interest_usd = 50000000.0
max_trade_size_usd = 5000000.0
"#;

#[test]
fn a_whale_builds_and_unwinds_in_maximum_size_trades_on_the_contracts_as_in_the_model() {
    let text = calm_eth("a whale", 18_000, 600, 0.3, &(lps(2.0e7) + WHALE));
    for report in &on_both(&text, 9) {
        let text = report.summary_text();
        assert!(!report.failed(), "{text}");
        let count = |op: &str| {
            report
                .transactions
                .iter()
                .filter(|t| t.agent == "whale #1" && t.op == op && t.outcome == "ok")
                .count()
        };
        // 15M of target in 5M trades: three to build, three to unwind, per
        // campaign (a second one starts once the first is unwound).
        assert!(count("open_perp") >= 3 && count("close_perp") >= 3, "{text}");
        // Every trade was within the maximum trade size: none was refused.
        let refused: Vec<_> = report
            .transactions
            .iter()
            .filter(|t| t.agent == "whale #1" && t.outcome != "ok")
            .map(|t| t.error.clone())
            .collect();
        assert!(refused.is_empty(), "{refused:?}\n{text}");
        let peak = report.summary.peak_open_interest.unwrap_or(0.0);
        assert!(peak > 13.0e6 && peak < 17.0e6, "peak open interest {peak}\n{text}");
    }
}

/// Option sellers by delta: short 25-delta puts, short strangles and covered
/// calls trade as their strategies say, on the contracts as in the model.
const BY_DELTA: &str = r#"
[options]
expiries_days = [7.0]
strikes = [0.8, 0.9, 1.0, 1.1, 1.2]

[[agents.traders]]
name = "puts"
count = 2
strategy = "short_puts"
collateral = { min = 20000.0, max = 30000.0 }
leverage = { min = 1.0, max = 2.0 }
trade_probability = 0.5
close_probability = 0.0

[[agents.traders]]
name = "strangles"
count = 2
strategy = "short_strangle"
collateral = { min = 20000.0, max = 30000.0 }
leverage = { min = 1.0, max = 2.0 }
trade_probability = 0.5
close_probability = 0.0

[[agents.traders]]
name = "covered"
count = 2
strategy = "covered_call"
collateral = { min = 20000.0, max = 30000.0 }
leverage = { min = 1.0, max = 2.0 }
trade_probability = 0.5
close_probability = 0.0
target_delta = 0.3
"#;

#[test]
fn option_sellers_by_delta_trade_as_their_strategies_say_on_the_contracts_as_in_the_model() {
    let text = calm_eth("sellers by delta", 21_600, 1_800, 0.4, &(lps(5.0e6) + BY_DELTA));
    for report in &on_both(&text, 4) {
        let summary = report.summary_text();
        assert!(!report.failed(), "{summary}");
        let ok = |group: &str, op: &str| {
            report
                .transactions
                .iter()
                .filter(|t| t.agent.starts_with(group) && t.op == op && t.outcome == "ok")
                .count()
        };
        assert!(ok("puts", "sell_option") >= 1 && ok("puts", "open_perp") == 0, "{summary}");
        // A strangle is two sales, a put and a call.
        let strangles = ok("strangles", "sell_option");
        assert!(strangles >= 2 && strangles % 2 == 0, "{summary}");
        // A covered call holds the perp it sells calls against.
        assert!(ok("covered", "open_perp") >= 1 && ok("covered", "sell_option") >= 1, "{summary}");
        let refused: Vec<_> = report
            .transactions
            .iter()
            .filter(|t| t.outcome == "reverted")
            .map(|t| &t.error)
            .collect();
        assert!(refused.is_empty(), "{refused:?}\n{summary}");
    }
}

/// The main job's command on the contracts: `sim run` on a short scenario
/// writes a report that parses and names the sandbox, a transaction log with
/// one line per transaction, and the charts, and exits 0.
#[test]
fn the_sim_command_runs_a_short_scenario_on_the_contracts_and_writes_its_report() {
    let dir = std::env::temp_dir().join(format!("bulwark-sim-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("short.toml");
    std::fs::write(&file, calm_eth("short", 7_200, 600, 0.4, &(lps(2.0e6) + WITHDRAWERS))).unwrap();
    let out = dir.join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(&file)
        .args(["--seed", "2", "--no-build", "--out"])
        .arg(&out)
        .output()
        .expect("sim runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!((report.protocol.as_str(), report.seed), ("sandbox", 2));
    assert!(report.summary.transactions > 0 && !report.failed());
    let log = std::fs::read_to_string(out.join("transactions.jsonl")).unwrap();
    let sent = log.lines().filter(|l| !l.contains("\"outcome\":\"unsupported\"")).count();
    assert_eq!(sent as u64, report.summary.transactions);
    for chart in ["price_ETH.svg", "tvl_open_interest.svg", "insurance_bad_debt.svg"] {
        assert!(out.join(chart).exists(), "{chart}");
    }
    assert!(stdout.contains("invariants"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}
