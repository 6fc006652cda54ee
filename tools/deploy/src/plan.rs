//! The deploy-and-wire plan: every contract deployed and connected in one
//! order, on any chain a [`Chain`] can reach (the sandbox for the tests, the
//! simulator and the gas report; a JSON-RPC endpoint for a real chain).
//!
//! The order matters and is fixed: RiskEngine needs the Vault, the oracle and
//! MarginEngine; the markets need RiskEngine; RiskEngine learns the markets
//! last, so that calls only ever go one way (see the README's call graph).

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolCall, SolConstructor};

use crate::bindings::{
    constructors as ctor, feed::MockAggregator, options::IOptionsMarket, oracle::IOracleAdapter,
    oracle::IRoles, perp::IPerpMarket, risk::IRiskEngine, vault::IVault,
};

/// The role bit that may push volatility surfaces to the oracle.
pub const VOLATILITY_UPDATER_ROLE: u8 = 2;

/// A chain the plan deploys to. Every transaction is sent by the plan's
/// administrator, which is the chain's business.
pub trait Chain {
    /// Why a transaction failed.
    type Error;

    /// Deploys artifact `artifact` (by its manifest name) with its ABI-encoded
    /// constructor arguments (none for a stateless program); `step` names the
    /// step in errors and logs.
    fn deploy(
        &mut self,
        step: &str,
        artifact: &str,
        constructor: Option<Vec<u8>>,
    ) -> Result<Address, Self::Error>;

    /// Sends `input` to `to` and returns what it returned; a revert is an
    /// error.
    fn send(&mut self, step: &str, to: Address, input: Vec<u8>) -> Result<Vec<u8>, Self::Error>;
}

/// Why the plan stopped.
#[derive(Debug)]
pub enum PlanError<E> {
    /// A transaction failed on the chain.
    Chain(E),
    /// A contract returned something its ABI does not allow.
    Decode {
        /// The step whose return did not decode.
        step: String,
        /// The decoder's message.
        reason: String,
    },
}

impl<E: std::fmt::Display> std::fmt::Display for PlanError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Chain(e) => write!(f, "{e}"),
            PlanError::Decode { step, reason } => write!(f, "{step}: bad return: {reason}"),
        }
    }
}

/// A contract the plan either deploys as a mock or finds already deployed.
#[derive(Clone, Debug)]
pub enum Source<M> {
    /// Deploy the test-only mock with these settings (never on a real chain).
    Mock(M),
    /// Use the contract already at this address.
    At(Address),
}

/// The mock ERC-20 quote token.
#[derive(Clone, Debug)]
pub struct MockToken {
    /// ERC-20 name.
    pub name: String,
    /// ERC-20 symbol.
    pub symbol: String,
    /// ERC-20 decimals.
    pub decimals: u8,
}

/// A mock Chainlink-style feed and its first answer.
#[derive(Clone, Debug)]
pub struct MockFeed {
    /// The feed's decimals.
    pub decimals: u8,
    /// Its first answer, in its own decimals, pushed right after deployment.
    pub answer: I256,
}

/// The mock sequencer uptime feed: up (answer 0) since `up_since`.
#[derive(Clone, Copy, Debug)]
pub struct MockSequencer {
    /// When the sequencer came up, in seconds since the epoch.
    pub up_since: u64,
}

/// One price feed of the oracle.
#[derive(Clone, Debug)]
pub struct FeedPlan {
    /// The oracle's id for it (also the perp market's and the options
    /// underlying's feed).
    pub feed_id: u32,
    /// The primary source.
    pub primary: Source<MockFeed>,
    /// The secondary source, checked against the primary.
    pub secondary: Source<MockFeed>,
    /// Oldest primary answer accepted for trading, in seconds.
    pub max_age: u32,
    /// Oldest answer accepted for risk-reducing actions, in seconds.
    pub max_age_lenient: u32,
    /// Largest primary/secondary deviation accepted, in basis points.
    pub max_deviation_bps: u16,
    /// Lowest price accepted (18 decimals).
    pub min_price: U256,
    /// Highest price accepted (18 decimals).
    pub max_price: U256,
}

/// A perp market: its feed and the eleven parameters of
/// `PerpMarket.setMarketParams`, in the ABI's order.
#[derive(Clone, Debug)]
pub struct PerpMarketPlan {
    /// The underlying's feed id.
    pub feed_id: u32,
    /// Skew scale, maker fee, taker fee, max open interest, min and max trade
    /// size, max funding velocity and rate, initial and maintenance margin
    /// rates, margin rate scale (sizes in underlying units, 18 decimals).
    pub params: [U256; 11],
}

/// Everything the protocol is deployed and wired with.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The quote (collateral) token.
    pub quote: Source<MockToken>,
    /// The oracle's feeds, in order.
    pub feeds: Vec<FeedPlan>,
    /// The sequencer uptime feed.
    pub sequencer: Source<MockSequencer>,
    /// Grace period after the sequencer comes back, in seconds.
    pub grace_period: u32,
    /// Seconds after an expiry within which its settlement round must lie.
    pub settlement_window: u32,
    /// The oracle's volatility-surface bounds.
    pub surface: IOracleAdapter::setSurfaceConfigCall,
    /// The account granted the volatility-updater role.
    pub volatility_updater: Address,
    /// The Vault's cap on quote deposits, in token units.
    pub quote_cap: U256,
    /// Perp markets, listed in order (ids 1, 2, ...).
    pub perp_markets: Vec<PerpMarketPlan>,
    /// OptionsMarket's pricing and fee parameters, when not its defaults.
    pub options_params: Option<IOptionsMarket::setMarketParamsCall>,
    /// The options underlyings' strike grids and the pool's greek limits.
    pub options_underlyings: Vec<IOptionsMarket::configureUnderlyingCall>,
    /// Option series listed at deployment.
    pub series: Vec<IOptionsMarket::listSeriesCall>,
}

/// The addresses and ids of a deployed protocol.
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// The quote token.
    pub quote: Address,
    /// Each feed's primary and secondary source, in [`Plan::feeds`] order.
    pub feeds: Vec<(Address, Address)>,
    /// The sequencer uptime feed.
    pub sequencer: Address,
    /// OracleAdapter.
    pub oracle: Address,
    /// Vault.
    pub vault: Address,
    /// MarginEngine.
    pub margin_engine: Address,
    /// RiskEngine.
    pub risk_engine: Address,
    /// PerpMarket.
    pub perp_market: Address,
    /// OptionsMarket.
    pub options_market: Address,
    /// The perp market ids, in [`Plan::perp_markets`] order.
    pub perp_market_ids: Vec<u32>,
    /// The option series ids, in [`Plan::series`] order.
    pub series_ids: Vec<B256>,
}

/// Deploys and wires the protocol by `plan`, with `admin` as every contract's
/// administrator (the account `chain` sends from).
///
/// # Errors
/// The first transaction that fails, or a return that does not decode.
pub fn deploy<C: Chain>(
    chain: &mut C,
    admin: Address,
    plan: &Plan,
) -> Result<Deployment, PlanError<C::Error>> {
    let mut d = Deployment::default();
    let mut run = Runner { chain };
    run.price_side(admin, plan, &mut d)?;
    run.core(admin, plan, &mut d)?;
    run.listings(plan, &mut d)?;
    Ok(d)
}

/// The plan's steps on one chain, with their errors mapped.
struct Runner<'a, C> {
    chain: &'a mut C,
}

impl<C: Chain> Runner<'_, C> {
    /// The quote token, the feeds and the oracle, configured.
    fn price_side(
        &mut self,
        admin: Address,
        plan: &Plan,
        d: &mut Deployment,
    ) -> Result<(), PlanError<C::Error>> {
        let run = self;
        d.quote = match &plan.quote {
            Source::Mock(t) => run.deploy(
                "quote token",
                "MockERC20",
                &ctor::MockErc20::constructorCall {
                    name: t.name.clone(),
                    symbol: t.symbol.clone(),
                    decimals: t.decimals,
                },
            )?,
            Source::At(address) => *address,
        };
        for feed in &plan.feeds {
            let id = feed.feed_id;
            let primary = run.feed(&format!("feed {id} primary"), &feed.primary)?;
            let secondary = run.feed(&format!("feed {id} secondary"), &feed.secondary)?;
            for (source, address) in [(&feed.primary, primary), (&feed.secondary, secondary)] {
                if let Source::Mock(m) = source {
                    let push = MockAggregator::pushAnswerCall { answer: m.answer };
                    run.send(&format!("feed {id}: first answer"), address, &push)?;
                }
            }
            d.feeds.push((primary, secondary));
        }
        d.sequencer = match &plan.sequencer {
            Source::Mock(s) => {
                let constructor = ctor::MockAggregator::constructorCall { decimals: 0 };
                let address = run.deploy("sequencer feed", "MockAggregator", &constructor)?;
                let since = U256::from(s.up_since);
                let round = alloy_primitives::aliases::U80::from(1u8);
                let up = MockAggregator::setRoundCall {
                    round_id: round,
                    answer: I256::ZERO,
                    started_at: since,
                    updated_at: since,
                    answered_in_round: round,
                };
                run.send("sequencer feed: up", address, &up)?;
                address
            }
            Source::At(address) => *address,
        };
        d.oracle =
            run.deploy("oracle", "OracleAdapter", &ctor::OracleAdapter::constructorCall { admin })?;
        for (feed, (primary, secondary)) in plan.feeds.iter().zip(&d.feeds) {
            let call = IOracleAdapter::setFeedCall {
                feed_id: feed.feed_id,
                primary: *primary,
                secondary: *secondary,
                max_age: feed.max_age,
                max_age_lenient: feed.max_age_lenient,
                max_deviation_bps: feed.max_deviation_bps,
                min_price: feed.min_price,
                max_price: feed.max_price,
            };
            run.send(&format!("oracle: feed {}", feed.feed_id), d.oracle, &call)?;
        }
        let timing = IOracleAdapter::setTimingCall {
            sequencer_feed: d.sequencer,
            grace_period: plan.grace_period,
            settlement_window: plan.settlement_window,
        };
        run.send("oracle: timing", d.oracle, &timing)?;
        run.send("oracle: surface bounds", d.oracle, &plan.surface)?;
        let grant = IRoles::grantRoleCall {
            account: plan.volatility_updater,
            role: VOLATILITY_UPDATER_ROLE,
        };
        run.send("oracle: volatility updater", d.oracle, &grant)?;
        Ok(())
    }

    /// The Vault, MarginEngine, RiskEngine and the markets, wired.
    fn core(
        &mut self,
        admin: Address,
        plan: &Plan,
        d: &mut Deployment,
    ) -> Result<(), PlanError<C::Error>> {
        let run = self;
        d.vault = run.deploy(
            "vault",
            "Vault",
            &ctor::Vault::constructorCall { admin, quote: d.quote, quote_cap: plan.quote_cap },
        )?;
        d.margin_engine = run.deploy_stateless("margin engine", "MarginEngine")?;
        d.risk_engine = run.deploy(
            "risk engine",
            "RiskEngine",
            &ctor::RiskEngine::constructorCall {
                admin,
                vault: d.vault,
                oracle: d.oracle,
                margin_engine: d.margin_engine,
            },
        )?;
        let wire = IVault::setRiskEngineCall { risk_engine: d.risk_engine };
        run.send("vault: risk engine", d.vault, &wire)?;
        let wired = ctor::PerpMarket::constructorCall {
            admin,
            risk_engine: d.risk_engine,
            oracle: d.oracle,
        };
        d.perp_market = run.deploy("perp market", "PerpMarket", &wired)?;
        let wired = ctor::OptionsMarket::constructorCall {
            admin,
            risk_engine: d.risk_engine,
            oracle: d.oracle,
            perp_market: d.perp_market,
        };
        d.options_market = run.deploy("options market", "OptionsMarket", &wired)?;
        let markets = IRiskEngine::setMarketsCall {
            perp_market: d.perp_market,
            options_market: d.options_market,
        };
        run.send("risk engine: markets", d.risk_engine, &markets)?;
        Ok(())
    }

    /// Perp markets, options parameters and underlyings, and series listed.
    fn listings(&mut self, plan: &Plan, d: &mut Deployment) -> Result<(), PlanError<C::Error>> {
        let run = self;
        for market in &plan.perp_markets {
            let call = IPerpMarket::setMarketParamsCall {
                market_id: 0,
                feed_id: market.feed_id,
                params: market.params,
            };
            let id =
                run.call(&format!("perp market on feed {}", market.feed_id), d.perp_market, &call)?;
            d.perp_market_ids.push(id._0);
        }
        if let Some(params) = &plan.options_params {
            run.send("options market: parameters", d.options_market, params)?;
        }
        for underlying in &plan.options_underlyings {
            let step = format!("options underlying {}", underlying.underlying);
            run.send(&step, d.options_market, underlying)?;
        }
        for series in &plan.series {
            let step = format!("series on {} at {}", series.underlying, series.strike);
            d.series_ids.push(run.call(&step, d.options_market, series)?._0);
        }
        Ok(())
    }

    fn deploy<K: SolConstructor>(
        &mut self,
        step: &str,
        artifact: &str,
        constructor: &K,
    ) -> Result<Address, PlanError<C::Error>> {
        self.chain.deploy(step, artifact, Some(constructor.abi_encode())).map_err(PlanError::Chain)
    }

    fn deploy_stateless(
        &mut self,
        step: &str,
        artifact: &str,
    ) -> Result<Address, PlanError<C::Error>> {
        self.chain.deploy(step, artifact, None).map_err(PlanError::Chain)
    }

    fn feed(
        &mut self,
        step: &str,
        source: &Source<MockFeed>,
    ) -> Result<Address, PlanError<C::Error>> {
        match source {
            Source::Mock(m) => self.deploy(
                step,
                "MockAggregator",
                &ctor::MockAggregator::constructorCall { decimals: m.decimals },
            ),
            Source::At(address) => Ok(*address),
        }
    }

    fn send<K: SolCall>(
        &mut self,
        step: &str,
        to: Address,
        call: &K,
    ) -> Result<Vec<u8>, PlanError<C::Error>> {
        self.chain.send(step, to, call.abi_encode()).map_err(PlanError::Chain)
    }

    fn call<K: SolCall>(
        &mut self,
        step: &str,
        to: Address,
        call: &K,
    ) -> Result<K::Return, PlanError<C::Error>> {
        let output = self.send(step, to, call)?;
        K::abi_decode_returns(&output, true)
            .map_err(|e| PlanError::Decode { step: step.to_owned(), reason: e.to_string() })
    }
}
