//! `SandboxProtocol`: the real contracts (`target/stylus/*.wasm`) deployed
//! into bulwark-sandbox and called through their ABIs (`abi/*.sol`). Every
//! agent action is a real transaction with a gas receipt.
//!
//! Operations the contracts do not export yet return
//! [`ProtocolError::Unsupported`] naming what is missing; the report lists
//! them.

use std::path::{Path, PathBuf};

use alloy_primitives::{aliases::I256, Address, U256};
use alloy_sol_types::{SolCall, SolInterface};
use bulwark_deploy::plan::{
    FeedPlan, MockFeed, MockSequencer, MockToken, PerpMarketPlan, Plan, Source,
};
use bulwark_sandbox::{artifacts_dir, Outcome, Receipt, Sandbox};

use crate::protocol::{
    AccountId, Amount, Exec, GasParts, Health, OpKind, Protocol, ProtocolError, ProtocolState,
    Setup, UNIT,
};
use crate::scenario::Surface;

/// The contracts' bindings, generated from `abi/*.sol` by the deploy crate.
mod abi {
    pub(crate) use bulwark_deploy::bindings::{options, oracle, perp, risk, vault};
    pub(crate) mod mocks {
        pub(crate) use bulwark_deploy::bindings::{feed::MockAggregator, token::MockErc20};
    }
}

/// The account that deploys and administers the simulated protocol.
const ADMIN: Address = Address::repeat_byte(0xAD);

/// Decimals of the mock quote token (an Amount is already in micro-USD).
const QUOTE_DECIMALS: u8 = 6;
/// Decimals of the mock price feeds, as Chainlink's USD feeds.
const FEED_DECIMALS: u8 = 8;
/// Seconds after an expiry within which its settlement round must lie.
const SETTLEMENT_WINDOW: u32 = 86_400;

/// The oracle feed id of underlying `u` (ids start at 1).
fn feed_id(u: usize) -> u32 {
    u32::try_from(u + 1).unwrap_or(u32::MAX)
}

/// WAD from an [`Amount`] (1e6 scale to 1e18).
fn wad(a: Amount) -> U256 {
    U256::from(a.unsigned_abs()) * U256::from(1_000_000_000_000u64)
}

/// [`Amount`] (micro-units) from a WAD value, truncated; `Amount::MAX` when
/// it does not fit.
fn micro(v: U256) -> Amount {
    Amount::try_from(v / U256::from(1_000_000_000_000u64)).unwrap_or(Amount::MAX)
}

/// [`Amount`] from a signed WAD value, truncated toward zero; `None` when it
/// does not fit.
fn signed_micro(v: I256) -> Option<Amount> {
    i128::try_from(v / I256::try_from(1_000_000_000_000i64).unwrap_or(I256::ONE)).ok()
}

/// Signed WAD from an [`Amount`].
fn signed_wad_of(a: Amount) -> I256 {
    I256::try_from(a).unwrap_or(I256::ZERO)
        * I256::try_from(1_000_000_000_000i64).unwrap_or(I256::ONE)
}

/// WAD from a float.
fn wad_f(x: f64) -> U256 {
    wad(crate::protocol::amount(x))
}

/// How long a pushed volatility slice stays usable (the adapter's maximum).
const SURFACE_MAX_AGE: u32 = 7 * 86_400;

/// A signed value in 18-decimal fixed point.
fn signed_wad(x: f64) -> I256 {
    #[allow(clippy::cast_possible_truncation)]
    let scaled = (x * 1e18).round() as i128;
    I256::try_from(scaled).unwrap_or(I256::ZERO)
}

/// SVI raw parameters `(a, b, rho, m, sigma)` whose total variance matches
/// the scenario surface's to second order at the money for `years` to
/// expiry: `w(k) ~ T (atm + skew k + smile k^2)^2`. `m = 0` and `sigma = 0.1`;
/// `b` is at least what keeps `|rho| <= 0.9`, and capped by Lee's wing bound.
fn svi_fit(surface: &Surface, years: f64) -> (f64, f64, f64, f64, f64) {
    let sigma = 0.1;
    let atm = surface.vol(1.0, 1.0, years);
    let slope = 2.0 * years * atm * surface.skew;
    let curvature = 2.0 * years * (surface.skew * surface.skew + 2.0 * atm * surface.smile);
    let b = (curvature * sigma).max(slope.abs() / 0.9).clamp(1e-6, 1.0);
    let rho = (slope / b).clamp(-0.9, 0.9);
    let a = years * atm * atm - b * sigma;
    (a, b, rho, 0.0, sigma)
}

fn gas_parts(r: &Receipt) -> GasParts {
    let g = r.gas;
    GasParts {
        intrinsic: g.intrinsic_gas,
        compute: g.compute_ink / 10_000,
        hostio: g.hostio_ink / 10_000,
        storage: g.storage_gas,
        call: g.call_gas,
        entry: g.entry_gas,
        memory: g.memory_gas,
        log: g.log_gas,
        other: g.account_gas + g.other_ink / 10_000,
        refund: g.refund_gas,
    }
}

/// The name of a revert: a Bulwark error if it decodes as one.
fn revert_reason(r: &Receipt) -> String {
    match r.outcome {
        Outcome::OutOfGas => return "OutOfGas".into(),
        Outcome::Halt => return "Halt".into(),
        Outcome::Success | Outcome::Revert => {}
    }
    error_name(&r.output)
}

/// The name of the Bulwark error `data` encodes, or its selector.
fn error_name(data: &[u8]) -> String {
    fn name<I: SolInterface + std::fmt::Debug>(data: &[u8]) -> Option<String> {
        let e = I::abi_decode(data, true).ok()?;
        let shown = format!("{e:?}");
        Some(shown.split(['(', ' ', '{']).next().unwrap_or(&shown).to_string())
    }
    name::<abi::vault::IVault::IVaultErrors>(data)
        .or_else(|| name::<abi::vault::IRoles::IRolesErrors>(data))
        .or_else(|| name::<abi::risk::IRiskEngine::IRiskEngineErrors>(data))
        .or_else(|| name::<abi::oracle::IOracleAdapter::IOracleAdapterErrors>(data))
        .or_else(|| name::<abi::perp::IPerpMarket::IPerpMarketErrors>(data))
        .or_else(|| name::<abi::options::IOptionsMarket::IOptionsMarketErrors>(data))
        .unwrap_or_else(|| {
            if data.is_empty() {
                "revert without data".into()
            } else {
                format!("revert 0x{}", alloy_primitives::hex::encode(&data[..data.len().min(4)]))
            }
        })
}

fn exec_of(op: OpKind, r: &Receipt) -> Exec {
    Exec {
        op,
        revert: (!r.success()).then(|| revert_reason(r)),
        gas_used: r.gas_used,
        gas: Some(gas_parts(r)),
        liquidation: None,
    }
}

fn chain(e: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::Chain(e.to_string())
}

/// `[protocol]` parameters of the plain-Rust model that the contracts do
/// not take in the model's terms (they apply their own risk parameters,
/// option spread and fee split): a scenario that changes one is refused on
/// the contracts rather than run with a value it did not ask for.
pub const MODEL_ONLY: [&str; 8] = [
    "option_initial_margin",
    "option_maintenance_margin",
    "long_option_credit",
    "liquidation_bonus",
    "liquidation_buffer",
    "option_spread",
    "insurance_fee_share",
    "protocol_fee_share",
];

/// Refuses a scenario that sets a [`MODEL_ONLY`] parameter away from its default.
fn refuse_model_only(p: &crate::scenario::ProtocolParams) -> Result<(), ProtocolError> {
    let d = crate::scenario::ProtocolParams::default();
    let values = [
        (p.option_initial_margin, d.option_initial_margin),
        (p.option_maintenance_margin, d.option_maintenance_margin),
        (p.long_option_credit, d.long_option_credit),
        (p.liquidation_bonus, d.liquidation_bonus),
        (p.liquidation_buffer, d.liquidation_buffer),
        (p.option_spread, d.option_spread),
        (p.insurance_fee_share, d.insurance_fee_share),
        (p.protocol_fee_share, d.protocol_fee_share),
    ];
    for (name, (value, default)) in MODEL_ONLY.iter().zip(values) {
        if (value - default).abs() > f64::EPSILON {
            return Err(ProtocolError::unsupported(
                "setup",
                format!(
                    "[protocol] {name} = {value} is a model parameter the contracts do not take \
                     (they use their own); remove it, or run it with --protocol model"
                ),
            ));
        }
    }
    Ok(())
}

/// Addresses of the deployed system.
#[derive(Debug, Clone, Default)]
struct Deployment {
    token: Address,
    oracle: Address,
    vault: Address,
    risk_engine: Address,
    perp_market: Address,
    primary_feeds: Vec<Address>,
    secondary_feeds: Vec<Address>,
    sequencer_feed: Address,
}

/// The real contracts in the in-process Stylus chain.
#[derive(Debug)]
pub struct SandboxProtocol {
    sandbox: Sandbox,
    wasm: Vec<(String, Vec<u8>)>,
    admin: Address,
    d: Deployment,
    accounts: usize,
    approved: Vec<bool>,
    /// Collateral balances read from the Vault, refreshed for `dirty` accounts.
    balances: Vec<Amount>,
    /// Perp sizes per account and market read from the RiskEngine, exactly
    /// as it holds them (WAD), refreshed for `dirty` accounts.
    positions: Vec<Vec<I256>>,
    /// Option amounts per account and series read from the RiskEngine
    /// (WAD contracts), refreshed for `dirty` accounts.
    options: Vec<Vec<I256>>,
    dirty: std::collections::BTreeSet<AccountId>,
    /// Timestamps of each primary feed's rounds (round id = index + 1).
    rounds: Vec<Vec<u64>>,
    /// The listed series, and which have a recorded settlement price.
    series: Vec<crate::protocol::SeriesSpec>,
    /// The OptionsMarket's id of each listed series.
    series_ids: Vec<alloy_primitives::B256>,
    recorded: Vec<bool>,
    /// Latest pushed price per underlying (the forward of surface pushes).
    spots: Vec<f64>,
}

/// Builds the artifacts with `scripts/build` when any is missing.
pub fn ensure_artifacts(build: bool) -> Result<PathBuf, ProtocolError> {
    let dir = artifacts_dir();
    let missing: Vec<&str> = bulwark_deploy::artifacts()
        .into_iter()
        .map(|a| a.name)
        .filter(|a| !dir.join(format!("{a}.wasm")).exists())
        .collect();
    if missing.is_empty() {
        return Ok(dir);
    }
    if !build {
        return Err(ProtocolError::Chain(format!(
            "missing artifacts in {}: {} (run scripts/build)",
            dir.display(),
            missing.join(", ")
        )));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/build");
    eprintln!("building the contracts ({} missing) with {}", missing.join(", "), script.display());
    let status = std::process::Command::new(&script)
        .status()
        .map_err(|e| ProtocolError::Chain(format!("cannot run {}: {e}", script.display())))?;
    if !status.success() {
        return Err(ProtocolError::Chain(format!("{} failed ({status})", script.display())));
    }
    Ok(dir)
}

/// The deploy plan's transactions on the simulator's chain, from the admin:
/// each one's gas is recorded as a setup [`Exec`], and a revert stops the
/// run naming the step.
struct Deployer<'a> {
    p: &'a mut SandboxProtocol,
    execs: Vec<Exec>,
}

impl bulwark_deploy::Chain for Deployer<'_> {
    type Error = ProtocolError;

    fn deploy(
        &mut self,
        step: &str,
        artifact: &str,
        constructor: Option<Vec<u8>>,
    ) -> Result<Address, ProtocolError> {
        let (address, exec) = self
            .p
            .deploy_args(artifact, constructor.as_deref())
            .map_err(|e| chain(format!("{step}: {e}")))?;
        self.execs.push(exec);
        Ok(address)
    }

    fn send(&mut self, step: &str, to: Address, input: Vec<u8>) -> Result<Vec<u8>, ProtocolError> {
        let admin = self.p.admin;
        let r = self
            .p
            .sandbox
            .call_raw(admin, to, alloy_primitives::Bytes::from(input))
            .map_err(chain)?;
        self.execs.push(exec_of(OpKind::Setup, &r));
        if !r.success() {
            return Err(chain(format!("{step} reverted with {}", revert_reason(&r))));
        }
        Ok(r.output.to_vec())
    }
}

impl SandboxProtocol {
    /// The deploy plan of a scenario's set-up: its prices, oracle timing,
    /// collateral cap, perp and option parameters, and series.
    fn plan(setup: &Setup) -> Plan {
        let p = &setup.params;
        let mock_feed = |price: f64| {
            Source::Mock(MockFeed { decimals: FEED_DECIMALS, answer: Self::feed_answer(price) })
        };
        let feeds = setup
            .initial_prices
            .iter()
            .enumerate()
            .map(|(u, price)| FeedPlan {
                feed_id: feed_id(u),
                primary: mock_feed(*price),
                secondary: mock_feed(*price),
                max_age: u32::try_from(p.oracle_max_age).unwrap_or(u32::MAX),
                max_age_lenient: u32::try_from(p.oracle_max_age * 3).unwrap_or(u32::MAX),
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                max_deviation_bps: (p.oracle_max_deviation * 10_000.0).round() as u16,
                min_price: wad_f(price / 100.0),
                max_price: wad_f(price * 100.0),
            })
            .collect();
        // skew scale, maker fee, taker fee, max open interest, min and max
        // trade size, max funding velocity and rate, then initial and
        // maintenance margin rates and the margin rate scale.
        let perp_markets = setup
            .initial_prices
            .iter()
            .enumerate()
            .map(|(u, price)| {
                let units = |usd: f64| wad_f(usd / price);
                PerpMarketPlan {
                    feed_id: feed_id(u),
                    params: [
                        units(p.skew_scale_usd),
                        wad_f(p.maker_fee),
                        wad_f(p.taker_fee),
                        units(p.max_open_interest_usd),
                        units(1.0),
                        units(p.max_trade_size_usd),
                        wad_f(p.funding_velocity),
                        wad_f(p.max_funding_rate),
                        wad_f(p.initial_margin),
                        wad_f(p.maintenance_margin),
                        units(p.skew_scale_usd),
                    ],
                }
            })
            .collect();
        // The pool's option book per underlying: a strike grid of 5% steps
        // and greek limits derived from the scenario's delta limit.
        let options_underlyings = setup
            .initial_prices
            .iter()
            .enumerate()
            .map(|(u, price)| abi::options::IOptionsMarket::configureUnderlyingCall {
                underlying: feed_id(u),
                strike_step: wad_f(price * 0.05),
                strikes_per_side: 4,
                delta_limit: wad_f(p.pool_delta_limit_usd / price),
                vega_limit: wad_f(p.pool_delta_limit_usd / 100.0),
            })
            .collect();
        Plan {
            quote: Source::Mock(MockToken {
                name: "Mock USD".into(),
                symbol: "mUSD".into(),
                decimals: QUOTE_DECIMALS,
            }),
            feeds,
            // Up since before the grace period, so the run starts clean.
            sequencer: Source::Mock(MockSequencer {
                up_since: setup.start_time.saturating_sub(p.sequencer_grace + 1),
            }),
            grace_period: u32::try_from(p.sequencer_grace).unwrap_or(u32::MAX),
            settlement_window: SETTLEMENT_WINDOW,
            // Checked on ln(0.5)..ln(2) in 9 points, volatility between 5%
            // and 500%, a slice valid for a week; the admin pushes surfaces.
            surface: abi::oracle::IOracleAdapter::setSurfaceConfigCall {
                min_log_moneyness: signed_wad(0.5f64.ln()),
                max_log_moneyness: signed_wad(2f64.ln()),
                points: 9,
                min_volatility: wad_f(0.05),
                max_volatility: wad_f(5.0),
                max_age: SURFACE_MAX_AGE,
            },
            volatility_updater: ADMIN,
            // The cap in token units (micro-units: the quote has 6 decimals).
            quote_cap: U256::from(crate::protocol::amount(p.collateral_cap).unsigned_abs()),
            perp_markets,
            options_params: None,
            options_underlyings,
            series: setup
                .series
                .iter()
                .map(|s| abi::options::IOptionsMarket::listSeriesCall {
                    underlying: feed_id(s.underlying),
                    strike: wad_f(s.strike),
                    expiry: s.expiry,
                    is_call: s.is_call,
                })
                .collect(),
        }
    }

    /// Notional closed by a liquidation (micro-units): every position change
    /// it logged, at the underlying's spot.
    fn closed_notional(&self, r: &Receipt) -> Amount {
        let changes = r.events::<abi::risk::IRiskEngine::PositionChanged>();
        let total: f64 = changes
            .iter()
            .filter_map(|c| {
                let key = U256::from_be_bytes(c.key.0);
                let underlying = if key < U256::from(1u64 << 32) {
                    usize::try_from(key).ok()?.checked_sub(1)?
                } else {
                    let s = self.series_ids.iter().position(|id| *id == c.key)?;
                    self.series[s].underlying
                };
                let closed = (c.sizeBefore - c.sizeAfter).unsigned_abs();
                Some(crate::protocol::to_f64(micro(closed)) * self.spots.get(underlying).copied()?)
            })
            .sum();
        crate::protocol::amount(total)
    }

    /// Loads the artifacts (building them first when `build` and any is
    /// missing); `size_limits` false accepts artifacts above the deployed
    /// code limits (an unoptimised build).
    pub fn new(build: bool, size_limits: bool) -> Result<Self, ProtocolError> {
        let dir = ensure_artifacts(build)?;
        let mut wasm = Vec::new();
        for name in bulwark_deploy::artifacts().into_iter().map(|a| a.name) {
            let path = dir.join(format!("{name}.wasm"));
            let bytes =
                std::fs::read(&path).map_err(|e| chain(format!("{}: {e}", path.display())))?;
            wasm.push((name.to_string(), bytes));
        }
        let mut sandbox = Sandbox::new();
        sandbox.enforce_size_limits(size_limits);
        Ok(Self {
            sandbox,
            wasm,
            admin: ADMIN,
            d: Deployment::default(),
            accounts: 0,
            approved: Vec::new(),
            balances: Vec::new(),
            positions: Vec::new(),
            options: Vec::new(),
            dirty: std::collections::BTreeSet::new(),
            rounds: Vec::new(),
            series: Vec::new(),
            series_ids: Vec::new(),
            recorded: Vec::new(),
            spots: Vec::new(),
        })
    }

    fn code(&self, name: &str) -> Result<Vec<u8>, ProtocolError> {
        self.wasm
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, w)| w.clone())
            .ok_or_else(|| chain(format!("no artifact {name}")))
    }

    fn deploy_args(
        &mut self,
        name: &str,
        args: Option<&[u8]>,
    ) -> Result<(Address, Exec), ProtocolError> {
        let code = self.code(name)?;
        let (address, receipt) =
            self.sandbox.deploy(self.admin, &code, args, U256::ZERO).map_err(|e| match e {
                bulwark_sandbox::SandboxError::ConstructorFailed(r) => chain(format!(
                    "deploying {name}: constructor reverted with {}",
                    revert_reason(&r)
                )),
                e => chain(format!("deploying {name}: {e}")),
            })?;
        let exec = receipt.map_or_else(|| Exec::ok(OpKind::Setup), |r| exec_of(OpKind::Setup, &r));
        Ok((address, exec))
    }

    fn send<C: SolCall>(
        &mut self,
        op: OpKind,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<Exec, ProtocolError> {
        let r = self.sandbox.call(from, to, call).map_err(chain)?;
        Ok(exec_of(op, &r))
    }

    /// Mints `amount` quote tokens to `account`'s owner, who approves the
    /// Vault once; returns the owner and the amount in token units.
    fn fund(
        &mut self,
        account: AccountId,
        amount: Amount,
    ) -> Result<(Address, U256), ProtocolError> {
        let owner = Self::owner(account);
        let value = U256::from(amount.unsigned_abs());
        let approve = !self.approved.get(account).copied().unwrap_or(true);
        self.mint(owner, value, approve.then_some(U256::MAX))?;
        if approve {
            self.approved[account] = true;
        }
        Ok((owner, value))
    }

    /// Mints `value` quote tokens to `owner`, who then approves the Vault
    /// for `allowance` if given.
    fn mint(
        &mut self,
        owner: Address,
        value: U256,
        allowance: Option<U256>,
    ) -> Result<(), ProtocolError> {
        use abi::mocks::MockErc20::{approveCall, mintCall};
        let (admin, token, vault) = (self.admin, self.d.token, self.d.vault);
        self.sandbox
            .call(admin, token, &mintCall { to: owner, amount: value })
            .map_err(chain)?
            .ok()
            .map_err(chain)?;
        if let Some(value) = allowance {
            self.sandbox
                .call(owner, token, &approveCall { spender: vault, value })
                .map_err(chain)?
                .ok()
                .map_err(chain)?;
        }
        Ok(())
    }

    /// Pays the scenario's insurance fund in through `Vault.fundInsurance`,
    /// from quote tokens minted to the admin.
    fn seed_insurance(&mut self, amount: Amount) -> Result<Exec, ProtocolError> {
        let value = U256::from(amount.unsigned_abs());
        let (admin, vault) = (self.admin, self.d.vault);
        self.mint(admin, value, Some(value))?;
        let call = abi::vault::IVault::fundInsuranceCall { amount: value };
        let exec = self.send(OpKind::Setup, admin, vault, &call)?;
        if !exec.success() {
            return Err(chain(format!("fundInsurance reverted: {:?}", exec.revert)));
        }
        Ok(exec)
    }

    /// The owner address of a simulated account.
    pub fn owner(account: AccountId) -> Address {
        let mut bytes = [0u8; 20];
        bytes[0] = 0xA6;
        bytes[12..].copy_from_slice(&(account as u64 + 1).to_be_bytes());
        Address::from(bytes)
    }

    /// The packed account id: owner in the high 160 bits, subaccount 0.
    pub fn account_id(account: AccountId) -> U256 {
        U256::from_be_slice(Self::owner(account).as_slice()) << 96
    }

    fn feed_answer(price: f64) -> I256 {
        #[allow(clippy::cast_possible_truncation)]
        let scaled = (price * 1e8).round() as i128;
        I256::try_from(scaled).unwrap_or(I256::ZERO)
    }
}

impl SandboxProtocol {
    /// `accountHealth` in micro units; `None` when it reverts.
    fn health_view(&mut self, account: AccountId) -> Option<Health> {
        self.read_health(account).ok()
    }

    /// `accountHealth` in micro units, or the name of the error it reverted with.
    fn read_health(&mut self, account: AccountId) -> Result<Health, String> {
        let call = abi::risk::IRiskEngine::accountHealthCall { account: Self::account_id(account) };
        let h = self.sandbox.view(self.d.risk_engine, &call).map_err(|e| match e {
            bulwark_sandbox::CallError::Reverted(data) => error_name(&data),
            other => other.to_string(),
        })?;
        let equity = signed_micro(h.equity).ok_or("equity beyond i128")?;
        let (initial_margin, maintenance_margin) =
            (micro(h.initialMargin), micro(h.maintenanceMargin));
        Ok(Health {
            equity,
            initial_margin,
            maintenance_margin,
            liquidatable: maintenance_margin > 0 && equity < maintenance_margin,
        })
    }

    /// Bad debt recorded by the RiskEngine so far (all keys), micro units;
    /// `None` when the view is not there.
    fn total_bad_debt(&mut self) -> Option<Amount> {
        let call = abi::risk::IRiskEngine::badDebtCall { key: u32::MAX };
        let v = self.sandbox.view(self.d.risk_engine, &call).ok()?._0;
        Some(micro(v))
    }
}

impl Protocol for SandboxProtocol {
    fn kind(&self) -> &'static str {
        "sandbox"
    }

    fn setup(&mut self, setup: &Setup) -> Result<Vec<Exec>, ProtocolError> {
        refuse_model_only(&setup.params)?;
        self.sandbox.set_timestamp(setup.start_time);
        self.sandbox.block_mut().number = 0;
        let plan = Self::plan(setup);
        let admin = self.admin;
        let mut deployer = Deployer { p: self, execs: Vec::new() };
        let d = bulwark_deploy::deploy(&mut deployer, admin, &plan).map_err(|e| match e {
            bulwark_deploy::PlanError::Chain(e) => e,
            e @ bulwark_deploy::PlanError::Decode { .. } => chain(e),
        })?;
        let execs = deployer.execs;
        self.d = Deployment {
            token: d.quote,
            oracle: d.oracle,
            vault: d.vault,
            risk_engine: d.risk_engine,
            perp_market: d.perp_market,
            primary_feeds: d.feeds.iter().map(|f| f.0).collect(),
            secondary_feeds: d.feeds.iter().map(|f| f.1).collect(),
            sequencer_feed: d.sequencer,
        };
        self.series_ids = d.series_ids;
        self.spots.clone_from(&setup.initial_prices);
        self.accounts = setup.accounts;
        self.approved = vec![false; setup.accounts];
        self.balances = vec![0; setup.accounts];
        self.positions = vec![vec![I256::ZERO; setup.underlyings.len()]; setup.accounts];
        self.rounds = vec![vec![setup.start_time]; setup.underlyings.len()];
        self.series.clone_from(&setup.series);
        self.recorded = vec![false; setup.series.len()];
        self.dirty = (0..setup.accounts).collect();
        self.options = vec![vec![I256::ZERO; setup.series.len()]; setup.accounts];
        let mut execs = execs;
        let seed = crate::protocol::amount(setup.params.insurance_fund);
        if seed > 0 {
            execs.push(self.seed_insurance(seed)?);
        }
        Ok(execs)
    }

    fn begin_block(&mut self, number: u64, timestamp: u64) {
        let b = self.sandbox.block_mut();
        b.number = number;
        b.timestamp = timestamp;
    }

    fn push_price(
        &mut self,
        u: usize,
        primary: Option<f64>,
        secondary: f64,
    ) -> Result<Exec, ProtocolError> {
        use abi::mocks::MockAggregator::pushAnswerCall;
        let admin = self.admin;
        // Both sources' rounds count as one oracle update.
        let mut total = Exec::ok(OpKind::PushPrice);
        total.gas = Some(GasParts::default());
        let mut rounds = vec![(self.d.secondary_feeds[u], secondary)];
        self.spots[u] = primary.unwrap_or(secondary);
        if let Some(p) = primary {
            rounds.insert(0, (self.d.primary_feeds[u], p));
            let now = self.sandbox.block().timestamp;
            self.rounds[u].push(now);
        }
        for (feed, price) in rounds {
            let e = self.send(
                OpKind::PushPrice,
                admin,
                feed,
                &pushAnswerCall { answer: Self::feed_answer(price) },
            )?;
            total.gas_used += e.gas_used;
            if let (Some(t), Some(g)) = (total.gas.as_mut(), e.gas) {
                t.intrinsic += g.intrinsic;
                t.compute += g.compute;
                t.hostio += g.hostio;
                t.storage += g.storage;
                t.call += g.call;
                t.entry += g.entry;
                t.memory += g.memory;
                t.log += g.log;
                t.other += g.other;
                t.refund += g.refund;
            }
            if total.revert.is_none() {
                total.revert = e.revert;
            }
        }
        Ok(total)
    }

    fn set_sequencer(&mut self, up: bool) -> Result<Exec, ProtocolError> {
        use abi::mocks::MockAggregator::pushAnswerCall;
        let answer = if up { I256::ZERO } else { I256::ONE };
        let (admin, feed) = (self.admin, self.d.sequencer_feed);
        self.send(OpKind::SetSequencer, admin, feed, &pushAnswerCall { answer })
    }

    /// Pushes one SVI slice per live expiry of the underlying's series,
    /// shortest first, fitted to the scenario's surface by `svi_fit`.
    fn push_volatility(&mut self, u: usize, surface: &Surface) -> Result<Exec, ProtocolError> {
        let now = self.sandbox.block().timestamp;
        let mut expiries: Vec<u64> = self
            .series
            .iter()
            .filter(|s| s.underlying == u && s.expiry > now)
            .map(|s| s.expiry)
            .collect();
        expiries.sort_unstable();
        expiries.dedup();
        let mut result = Exec::reverted(OpKind::PushVolatility, "no live expiry");
        for expiry in expiries {
            #[allow(clippy::cast_precision_loss)]
            let years = (expiry - now) as f64 / (365.0 * 86_400.0);
            let (a, b, rho, m, sigma) = svi_fit(surface, years);
            let call = abi::oracle::IOracleAdapter::setVolatilitySurfaceCall {
                feed_id: feed_id(u),
                expiry,
                forward: wad_f(self.spots[u]),
                a: signed_wad(a),
                b: signed_wad(b),
                rho: signed_wad(rho),
                m: signed_wad(m),
                sigma: signed_wad(sigma),
            };
            let admin = self.admin;
            result = self.send(OpKind::PushVolatility, admin, self.d.oracle, &call)?;
            if !result.success() {
                break;
            }
        }
        Ok(result)
    }

    fn deposit(&mut self, account: AccountId, amount: Amount) -> Result<Exec, ProtocolError> {
        let (owner, value) = self.fund(account, amount)?;
        let (token, vault) = (self.d.token, self.d.vault);
        let call = abi::vault::IVault::depositCall {
            account: Self::account_id(account),
            token,
            amount: value,
        };
        self.dirty.insert(account);
        self.send(OpKind::Deposit, owner, vault, &call)
    }

    fn withdraw(&mut self, account: AccountId, amount: Amount) -> Result<Exec, ProtocolError> {
        let owner = Self::owner(account);
        let call = abi::risk::IRiskEngine::withdrawCall {
            account: Self::account_id(account),
            token: self.d.token,
            amount: U256::from(amount.unsigned_abs()),
            to: owner,
        };
        self.dirty.insert(account);
        let risk = self.d.risk_engine;
        self.send(OpKind::Withdraw, owner, risk, &call)
    }

    fn lp_deposit(&mut self, account: AccountId, amount: Amount) -> Result<Exec, ProtocolError> {
        let (owner, value) = self.fund(account, amount)?;
        let vault = self.d.vault;
        let call = abi::vault::IVault::lpDepositCall { assets: value, receiver: owner };
        self.send(OpKind::LpDeposit, owner, vault, &call)
    }

    /// Redemption is two-step: a request, then the redemption once the
    /// cooldown has passed and while the window is open.
    fn lp_withdraw(&mut self, account: AccountId, fraction: Amount) -> Result<Exec, ProtocolError> {
        let owner = Self::owner(account);
        let vault = self.d.vault;
        let position = self
            .sandbox
            .view(vault, &abi::vault::IVault::lpPositionCall { provider: owner })
            .map_err(chain)?;
        let (shares, requested, opens, closes) =
            (position.shares, position.requestedShares, position.opensAt, position.closesAt);
        let now = self.sandbox.block().timestamp;
        if !requested.is_zero() && opens <= now && now < closes {
            let call = abi::vault::IVault::lpRedeemCall { shares: requested, receiver: owner };
            return self.send(OpKind::LpWithdraw, owner, vault, &call);
        }
        if !requested.is_zero() && now < opens {
            return Ok(Exec::reverted(OpKind::LpWithdraw, "redemption cooldown"));
        }
        let part = shares * U256::from(fraction.clamp(0, UNIT).unsigned_abs())
            / U256::from(UNIT.unsigned_abs());
        let call = abi::vault::IVault::lpRequestRedeemCall { shares: part };
        self.send(OpKind::LpWithdraw, owner, vault, &call)
    }

    fn trade_perp(
        &mut self,
        account: AccountId,
        market: usize,
        size_delta: Amount,
        acceptable_price: Amount,
    ) -> Result<Exec, ProtocolError> {
        let held = signed_micro(self.positions[account][market]).unwrap_or(0);
        let grows = (held + size_delta).abs() > held.abs()
            || (held + size_delta).signum() * held.signum() < 0;
        let op = if grows { OpKind::OpenPerp } else { OpKind::ClosePerp };
        let call = abi::risk::IRiskEngine::tradePerpCall {
            account: Self::account_id(account),
            market_id: feed_id(market),
            size_delta: signed_wad_of(size_delta),
            acceptable_price: wad(acceptable_price),
        };
        self.dirty.insert(account);
        let (owner, risk) = (Self::owner(account), self.d.risk_engine);
        self.send(op, owner, risk, &call)
    }

    /// `PerpMarket.quote`'s fill price; a revert is a failed view, by reason.
    fn perp_quote(&mut self, market: usize, size_delta: Amount) -> Result<Amount, ProtocolError> {
        let call = abi::perp::IPerpMarket::quoteCall {
            market_id: feed_id(market),
            size_delta: signed_wad_of(size_delta),
        };
        match self.sandbox.view(self.d.perp_market, &call) {
            Ok(q) => Ok(micro(q.fillPrice)),
            Err(bulwark_sandbox::CallError::Reverted(data)) => {
                Err(ProtocolError::ViewReverted { view: "quote", reason: error_name(&data) })
            }
            Err(other) => Err(chain(other)),
        }
    }

    /// Buys (`delta > 0`) or sells contracts at the market's quote; the
    /// simulated traders take any premium (no limit).
    fn trade_option(
        &mut self,
        account: AccountId,
        series: usize,
        delta: Amount,
    ) -> Result<Exec, ProtocolError> {
        let op = if delta > 0 { OpKind::BuyOption } else { OpKind::SellOption };
        let call = abi::risk::IRiskEngine::tradeOptionCall {
            account: Self::account_id(account),
            series_id: self.series_ids.get(series).copied().unwrap_or_default(),
            amount: signed_wad_of(delta),
            limit_premium: I256::MAX,
        };
        self.dirty.insert(account);
        let (owner, risk) = (Self::owner(account), self.d.risk_engine);
        self.send(op, owner, risk, &call)
    }

    fn liquidate(
        &mut self,
        liquidator: AccountId,
        account: AccountId,
    ) -> Result<Exec, ProtocolError> {
        let before = self.health_view(account);
        let debt_before = self.total_bad_debt().unwrap_or(0);
        let call = abi::risk::IRiskEngine::liquidateCall { account: Self::account_id(account) };
        let (from, risk) = (Self::owner(liquidator), self.d.risk_engine);
        let r = self.sandbox.call(from, risk, &call).map_err(chain)?;
        let mut exec = exec_of(OpKind::Liquidate, &r);
        self.dirty.insert(account);
        self.dirty.insert(liquidator);
        if exec.success() {
            let bonus = r
                .decode_return::<abi::risk::IRiskEngine::liquidateCall>()
                .map_or(0, |v| micro(v._0));
            let after = self.health_view(account);
            let before = before.unwrap_or_default();
            exec.liquidation = Some(crate::protocol::LiquidationOutcome {
                closed_notional: self.closed_notional(&r),
                bonus,
                bad_debt: self.total_bad_debt().unwrap_or(0) - debt_before,
                equity_before: before.equity,
                health_before: before.ratio().unwrap_or(0),
                health_after: after.and_then(|h| h.ratio()),
            });
        }
        Ok(exec)
    }

    /// Records the settlement price from the first round at or after expiry
    /// (once per underlying and expiry), then settles every account holding
    /// the series through `RiskEngine.settleOptions` from the keeper. A
    /// settlement that reverts (another expired series of the account has no
    /// price yet) is returned, so the engine tries again next block; the
    /// recorded price is not sent twice.
    fn settle(&mut self, keeper: AccountId, series: usize) -> Result<Exec, ProtocolError> {
        let spec = self.series[series];
        let recorded = (0..self.series.len()).any(|s| {
            self.recorded[s]
                && self.series[s].underlying == spec.underlying
                && self.series[s].expiry == spec.expiry
        });
        let mut last = None;
        if !recorded {
            let Some(index) = self.rounds[spec.underlying].iter().position(|t| *t >= spec.expiry)
            else {
                return Ok(Exec::reverted(OpKind::Settle, "no round after expiry yet"));
            };
            let call = abi::oracle::IOracleAdapter::recordSettlementPriceCall {
                feed_id: feed_id(spec.underlying),
                expiry: spec.expiry,
                round_id: alloy_primitives::aliases::U80::from(index as u64 + 1),
            };
            let (from, oracle) = (Self::owner(keeper), self.d.oracle);
            let exec = self.send(OpKind::Settle, from, oracle, &call)?;
            if !exec.success() {
                return Ok(exec);
            }
            last = Some(exec);
        }
        self.recorded[series] = true;
        let holders: Vec<AccountId> = (0..self.options.len())
            .filter(|&a| self.options[a].get(series).is_some_and(|x| !x.is_zero()))
            .collect();
        for account in holders {
            let call =
                abi::risk::IRiskEngine::settleOptionsCall { account: Self::account_id(account) };
            self.dirty.insert(account);
            let (from, risk) = (Self::owner(keeper), self.d.risk_engine);
            let exec = self.send(OpKind::Settle, from, risk, &call)?;
            if !exec.success() {
                return Ok(exec);
            }
            last = Some(exec);
        }
        Ok(last.unwrap_or_else(|| Exec::reverted(OpKind::Settle, "AlreadySettled")))
    }

    /// A health view that reverts (no usable price) is an error the run
    /// counts by reason, never a healthy account.
    fn health(&mut self, account: AccountId) -> Result<Health, ProtocolError> {
        self.read_health(account)
            .map_err(|reason| ProtocolError::ViewReverted { view: "accountHealth", reason })
    }

    fn state(&mut self) -> Result<ProtocolState, ProtocolError> {
        use abi::mocks::MockErc20::balanceOfCall;
        let token = self.d.token;
        let tokens =
            self.sandbox.view(token, &balanceOfCall { account: self.d.vault }).map_err(chain)?._0;
        // Balances change only through the operations that mark an account
        // dirty, so only those are read again.
        let markets = self.positions.first().map_or(0, Vec::len);
        for a in std::mem::take(&mut self.dirty) {
            for m in 0..markets {
                let call = abi::risk::IRiskEngine::perpPositionCall {
                    account: Self::account_id(a),
                    market_id: feed_id(m),
                };
                if let Ok(p) = self.sandbox.view(self.d.risk_engine, &call) {
                    self.positions[a][m] = p.size;
                }
            }
            for (s, series_id) in self.series_ids.iter().enumerate() {
                let call = abi::risk::IRiskEngine::optionAmountCall {
                    account: Self::account_id(a),
                    series_id: *series_id,
                };
                let amount = self.sandbox.view(self.d.risk_engine, &call).map_err(chain)?._0;
                if let Some(slot) = self.options.get_mut(a).and_then(|o| o.get_mut(s)) {
                    *slot = amount;
                }
            }
            let call = abi::vault::IVault::balanceOfCall { account: Self::account_id(a), token };
            let balance = self.sandbox.view(self.d.vault, &call).map_err(chain)?._0;
            self.balances[a] = Amount::try_from(balance).unwrap_or(Amount::MAX);
        }
        let collateral: Amount = self.balances.iter().sum();
        let pool = self
            .sandbox
            .view(self.d.vault, &abi::vault::IVault::poolStateCall {})
            .map_err(chain)?;
        // Token amounts are already micro-units (6 decimals).
        let units = |v: U256| Amount::try_from(v).unwrap_or(Amount::MAX);
        // Open interest and funding per market; invariant 5 compares the
        // sizes in WAD, as the contracts hold them (micro-units would
        // truncate each account's size differently from the total).
        let mut market_states = Vec::with_capacity(markets);
        let mut exact = Vec::with_capacity(markets);
        for m in 0..markets {
            let call =
                abi::perp::IPerpMarket::quoteCall { market_id: feed_id(m), size_delta: I256::ZERO };
            let Ok(q) = self.sandbox.view(self.d.perp_market, &call) else {
                continue;
            };
            market_states.push(crate::protocol::MarketState {
                long_open_interest: micro(q.longOpenInterest),
                short_open_interest: micro(q.shortOpenInterest),
                funding_rate: signed_micro(q.fundingRate).unwrap_or(0),
            });
            let sizes = self.positions.iter().fold(I256::ZERO, |sum, p| sum + p[m]);
            let net = I256::from_raw(q.longOpenInterest) - I256::from_raw(q.shortOpenInterest);
            exact.push((sizes.to_string(), net.to_string()));
        }
        let mut settlement_prices = Vec::with_capacity(self.series.len());
        for (s, spec) in self.series.iter().enumerate() {
            settlement_prices.push(if self.recorded[s] {
                let call = abi::oracle::IOracleAdapter::settlementPriceCall {
                    feed_id: feed_id(spec.underlying),
                    expiry: spec.expiry,
                };
                let wad = self.sandbox.view(self.d.oracle, &call).map_err(chain)?._0;
                Some(micro(wad))
            } else {
                None
            });
        }
        Ok(ProtocolState {
            vault_tokens: Some(units(tokens)),
            total_collateral: Some(collateral),
            accounts: Some(
                self.balances
                    .iter()
                    .zip(self.positions.iter().zip(&self.options))
                    .map(|(c, (p, o))| crate::protocol::AccountState {
                        collateral: *c,
                        perps: p.iter().map(|w| signed_micro(*w).unwrap_or(0)).collect(),
                        options: o.iter().map(|w| signed_micro(*w).unwrap_or(0)).collect(),
                    })
                    .collect(),
            ),
            pool_assets: Some(units(pool.totalAssets)),
            lp_share_price: (!pool.totalShares.is_zero()).then(|| micro(pool.sharePrice)),
            insurance_fund: Some(units(pool.insuranceFund)),
            fees: Some(units(pool.protocolFees)),
            bad_debt: self.total_bad_debt(),
            pool_absorbed: Some(units(pool.absorbedByPool)),
            settlement_prices: Some(settlement_prices),
            markets: (market_states.len() == markets).then_some(market_states),
            open_interest_exact: (exact.len() == markets).then_some(exact),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_only_parameter_away_from_its_default_is_refused_by_name() {
        let defaults = crate::scenario::ProtocolParams::default();
        assert!(refuse_model_only(&defaults).is_ok());
        let bonus = crate::scenario::ProtocolParams { liquidation_bonus: 0.01, ..defaults.clone() };
        let error = refuse_model_only(&bonus).unwrap_err().to_string();
        assert!(error.contains("liquidation_bonus = 0.01"), "{error}");
        let fees = crate::scenario::ProtocolParams { protocol_fee_share: 0.0, ..defaults };
        assert!(refuse_model_only(&fees).unwrap_err().to_string().contains("protocol_fee_share"));
    }
}
