//! [`Protocol`]: the whole of Bulwark deployed, wired and funded in one call,
//! with one helper per user or bot operation.
//!
//! The deployment follows DESIGN.md's call graph (and the simulator's
//! sandbox protocol): a 6-decimal quote token; an ETH feed with a primary
//! and a secondary source (8 decimals) and the L2 sequencer uptime feed; the
//! OracleAdapter with its volatility-surface grid and updater; the Vault
//! (quote token, cap) wired to the RiskEngine; the RiskEngine wired to
//! PerpMarket and OptionsMarket; one perp market on ETH; the ETH option
//! underlying with four listed series one week out and a flat 80% surface
//! for that expiry; traders and an LP holding quote tokens approved to the
//! Vault; and a pool seeded by the LP. The chain enforces Nitro's
//! deployed-code size limit like any other activation rule. Every parameter
//! is a named constant, so tests can compute exact expected values from them.
//!
//! Every operation returns the [`Receipt`] of its transaction, whatever its
//! outcome: tests assert on reverts, events and gas alike (the gas report
//! measures the same operations through this fixture).

use std::collections::BTreeSet;

use alloy_primitives::{aliases::U80, Address, B256, I256, U256};
use bulwark_sandbox::Receipt;

use bulwark_deploy::plan::{
    FeedPlan, MockFeed, MockSequencer, MockToken, PerpMarketPlan, Plan, Source,
};

use crate::bindings::{
    constructors as ctor, feed::MockAggregator, options::IOptionsMarket, oracle::IOracleAdapter,
    perp::IPerpMarket, risk::IRiskEngine, token::MockErc20, vault::IVault,
};
use crate::{Chain, ADMIN, WAD};

/// Decimals of the quote token (as USDC).
pub const QUOTE_DECIMALS: u8 = 6;
/// One whole quote token in token units.
pub const QUOTE_UNIT: u128 = 1_000_000;
/// Quote token units per WAD unit (`10^(18 - QUOTE_DECIMALS)`).
pub const WAD_PER_UNIT: u128 = 1_000_000_000_000;
/// Decimals of the ETH price feeds (as Chainlink's USD feeds).
pub const FEED_DECIMALS: u8 = 8;
/// Oracle feed id (and option underlying) of ETH.
pub const ETH: u32 = 1;
/// Feed id of BTC, the fixture's second underlying.
pub const BTC: u32 = 2;
/// The BTC perp market id (the second market listed).
pub const BTC_MARKET: u32 = 2;
/// BTC's price at the start, dollars.
pub const BTC_START_PRICE: u128 = 40_000;
/// Distance between listed BTC strikes (WAD).
pub const BTC_STRIKE_STEP: u128 = 1_000 * WAD;
/// Id of the ETH perp market (the first market PerpMarket creates).
pub const ETH_MARKET: u32 = 1;
/// ETH price at the start, whole dollars.
pub const START_PRICE: u128 = 2_000;

/// Oracle: maximum age of a price that adds risk, seconds.
pub const MAX_AGE: u32 = 3_600;
/// Oracle: maximum age of a price that reduces risk, seconds.
pub const MAX_AGE_LENIENT: u32 = 10_800;
/// Oracle: maximum deviation between primary and secondary, basis points.
pub const MAX_DEVIATION_BPS: u16 = 200;
/// Oracle: lowest accepted ETH price, WAD.
pub const MIN_PRICE: u128 = 20 * WAD;
/// Oracle: highest accepted ETH price, WAD.
pub const MAX_PRICE: u128 = 200_000 * WAD;
/// Oracle: grace period after the sequencer comes back up, seconds.
pub const GRACE_PERIOD: u32 = 1_800;
/// Oracle: window after an expiry in which its settlement round must lie.
pub const SETTLEMENT_WINDOW: u32 = 86_400;

/// Oracle: the volatility surface's strike grid spans log-moneyness
/// `-ln 2 ..= ln 2` (strikes from half to twice the forward), WAD.
pub const SURFACE_LOG_MONEYNESS: i128 = 693_147_180_559_945_309;
/// Oracle: points on the surface's strike grid.
pub const SURFACE_POINTS: u8 = 9;
/// Oracle: lowest accepted volatility (5%).
pub const MIN_VOLATILITY: u128 = 5 * WAD / 100;
/// Oracle: highest accepted volatility (300%).
pub const MAX_VOLATILITY: u128 = 3 * WAD;
/// Oracle: a volatility surface is usable this long after its push, seconds.
pub const SURFACE_MAX_AGE: u32 = 7 * 86_400;
/// Oracle: the flat implied volatility pushed for the listed expiry (80%).
pub const VOLATILITY: u128 = 8 * WAD / 10;
/// Seconds in the oracle's year (annualisation of the surface).
pub const SECONDS_PER_YEAR: u128 = 31_536_000;

/// Vault: deposit cap of the quote token, token units (10 billion dollars).
pub const QUOTE_CAP: u128 = 10_000_000_000 * QUOTE_UNIT;

/// Perp: skew scale, ETH (WAD).
pub const SKEW_SCALE: u128 = 100_000 * WAD;
/// Perp: maker fee (0.02%).
pub const MAKER_FEE: u128 = 2 * WAD / 10_000;
/// Perp: taker fee (0.05%).
pub const TAKER_FEE: u128 = 5 * WAD / 10_000;
/// Perp: maximum open interest per side, ETH (WAD).
pub const MAX_OPEN_INTEREST: u128 = 50_000 * WAD;
/// Perp: smallest trade that adds risk, ETH (WAD).
pub const MIN_TRADE_SIZE: u128 = WAD / 100;
/// Perp: largest trade that adds risk, ETH (WAD).
pub const MAX_TRADE_SIZE: u128 = 5_000 * WAD;
/// Perp: maximum funding velocity, per day per day (WAD).
pub const MAX_FUNDING_VELOCITY: u128 = WAD;
/// Perp: maximum funding rate, per day (WAD).
pub const MAX_FUNDING_RATE: u128 = WAD / 10;
/// Perp: initial margin rate at zero size (10%).
pub const INITIAL_MARGIN_RATE: u128 = WAD / 10;
/// Perp: maintenance margin rate at zero size (5%).
pub const MAINTENANCE_MARGIN_RATE: u128 = WAD / 20;
/// Perp: size at which the initial margin rate has grown by 1.0, ETH (WAD).
pub const MARGIN_RATE_SCALE: u128 = 100_000 * WAD;

/// Options: trading stops this many seconds before expiry.
pub const OPTION_CUTOFF: u64 = 3_600;
/// Options: base spread, volatility points (WAD).
pub const BASE_SPREAD: u128 = 2 * WAD / 100;
/// Options: spread per unit of trade vega utilisation.
pub const TRADE_VEGA_SLOPE: u128 = WAD / 10;
/// Options: spread per unit of pool vega utilisation.
pub const EXPOSURE_SLOPE: u128 = WAD / 10;
/// Options: fee as a share of the model premium (5%).
pub const FEE_PREMIUM_RATE: u128 = 5 * WAD / 100;
/// Options: fee cap as a share of spot notional (0.03%).
pub const FEE_NOTIONAL_RATE: u128 = 3 * WAD / 10_000;
/// Options: strike grid step of ETH, WAD.
pub const STRIKE_STEP: u128 = 100 * WAD;
/// Options: pool delta limit on ETH, WAD.
pub const DELTA_LIMIT: u128 = 1_000 * WAD;
/// Options: pool vega limit on ETH, quote WAD per 1.0 of volatility.
pub const VEGA_LIMIT: u128 = 1_000_000 * WAD;
/// Options: time from the start to the listed expiry (one week; the start is
/// at 08:00 UTC, so the expiry is too).
pub const EXPIRY_DELAY: u64 = 7 * 86_400;

/// RiskEngine's default gas reserve paid to liquidators, quote WAD.
pub const GAS_RESERVE: u128 = 2 * WAD;

/// The traders, each funded with [`TRADER_FUNDS`] in its wallet.
pub const TRADERS: [Address; 4] = [
    Address::repeat_byte(0xa1),
    Address::repeat_byte(0xa2),
    Address::repeat_byte(0xa3),
    Address::repeat_byte(0xa4),
];
/// The liquidity provider, who seeds the pool with [`LP_SEED`].
pub const LP: Address = Address::repeat_byte(0x11);
/// The OracleAdapter's volatility updater.
pub const VOL_UPDATER: Address = Address::repeat_byte(0x0f);
/// A liquidation bot.
pub const KEEPER: Address = Address::repeat_byte(0x4e);
/// An address with no role, no tokens and no account.
pub const STRANGER: Address = Address::repeat_byte(0x55);
/// Quote tokens minted to each trader's wallet, token units.
pub const TRADER_FUNDS: u128 = 1_000_000 * QUOTE_UNIT;
/// Quote tokens minted to the LP's wallet, token units.
pub const LP_FUNDS: u128 = 10_000_000 * QUOTE_UNIT;
/// What the LP deposits into the pool at setup, token units.
pub const LP_SEED: u128 = 1_000_000 * QUOTE_UNIT;

/// `x` whole quote tokens in token units.
pub fn usd(x: u128) -> U256 {
    U256::from(x * QUOTE_UNIT)
}

/// A signed ABI value from an `i128`.
pub fn int(x: i128) -> I256 {
    I256::try_from(x).expect("i128 fits int256")
}

/// `x` whole units as a signed WAD (e.g. a perp size in ETH).
pub fn swad(x: i128) -> I256 {
    int(x) * int(1_000_000_000_000_000_000)
}

/// The feed answer (8 decimals) of a WAD price, rounded down.
///
/// # Panics
/// When the price does not fit an `int256`.
pub fn feed_answer(price: U256) -> I256 {
    I256::try_from(price / U256::from(10u128.pow(u32::from(18 - FEED_DECIMALS))))
        .expect("price fits")
}

/// One listed option series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    /// The OptionsMarket's id.
    pub id: B256,
    /// Strike, WAD.
    pub strike: U256,
    /// Expiry, seconds.
    pub expiry: u64,
    /// Call (true) or put.
    pub is_call: bool,
}

/// `RiskEngine.accountHealth` of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// Equity, quote WAD.
    pub equity: I256,
    /// Initial margin, quote WAD.
    pub initial: U256,
    /// Maintenance margin, quote WAD.
    pub maintenance: U256,
    /// `equity / maintenance`, WAD (`int256.max` without a requirement).
    pub ratio: I256,
}

impl Health {
    /// Equity below maintenance margin.
    pub fn liquidatable(&self) -> bool {
        self.equity < I256::from_raw(self.maintenance)
    }
}

/// `Vault.poolState()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// Pool assets, token units.
    pub assets: U256,
    /// LP shares outstanding.
    pub shares: U256,
    /// Value of one whole share, quote WAD.
    pub share_price: U256,
    /// Insurance fund, token units.
    pub insurance: U256,
    /// Protocol fees, token units.
    pub fees: U256,
    /// Bad debt absorbed by the insurance fund so far, token units.
    pub absorbed_by_insurance: U256,
    /// Bad debt absorbed by the pool so far, token units.
    pub absorbed_by_pool: U256,
}

/// What the Vault holds and owes in the quote token (invariant 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    /// `token.balanceOf(vault)`.
    pub tokens: U256,
    /// Sum of the quote cash of every account the fixture has touched.
    pub cash: I256,
    /// Pool assets, insurance fund and protocol fees.
    pub pool: Pool,
    /// `Vault.trackedBalance(quote)`.
    pub tracked: I256,
}

impl Ledger {
    /// Cash plus pool assets, insurance fund and protocol fees.
    pub fn owed(&self) -> I256 {
        self.cash
            + I256::from_raw(self.pool.assets)
            + I256::from_raw(self.pool.insurance)
            + I256::from_raw(self.pool.fees)
    }

    /// Invariant 1 to the wei: tokens held = everything owed, and the
    /// Vault's own tracked balance agrees.
    pub fn balanced(&self) -> bool {
        I256::from_raw(self.tokens) == self.owed() && self.tracked == self.owed()
    }
}

/// A state of [`Protocol`] to return to ([`Protocol::snapshot`]).
#[derive(Debug, Clone)]
pub struct Snapshot {
    id: bulwark_sandbox::SnapshotId,
    accounts: BTreeSet<U256>,
    rounds: Vec<u64>,
    price: U256,
    btc_price: U256,
}

/// The deployed, wired and funded protocol.
pub struct Protocol {
    /// The chain everything runs on.
    pub chain: Chain,
    /// The quote token (mock ERC-20, [`QUOTE_DECIMALS`]).
    pub token: Address,
    /// The ETH primary feed.
    pub eth_primary: Address,
    /// The ETH secondary feed.
    pub eth_secondary: Address,
    /// The BTC primary feed.
    pub btc_primary: Address,
    /// The BTC secondary feed.
    pub btc_secondary: Address,
    /// The L2 sequencer uptime feed.
    pub sequencer: Address,
    /// OracleAdapter.
    pub oracle: Address,
    /// Vault.
    pub vault: Address,
    /// MarginEngine (stateless valuation).
    pub margin_engine: Address,
    /// RiskEngine.
    pub risk: Address,
    /// PerpMarket.
    pub perp: Address,
    /// OptionsMarket.
    pub options: Address,
    /// The listed series: ATM call, ATM put, 2,200 call, 1,800 put, all
    /// expiring [`EXPIRY_DELAY`] after the start.
    pub series: Vec<Series>,
    /// Every account that received a deposit or traded (for the ledger).
    pub accounts: BTreeSet<U256>,
    /// Timestamps of the primary feed's rounds (round id = index + 1).
    rounds: Vec<u64>,
    /// The last price pushed, WAD.
    price: U256,
    /// The last BTC price pushed, WAD.
    btc_price: U256,
}

impl Default for Protocol {
    fn default() -> Self {
        Self::new()
    }
}

impl Protocol {
    /// Deploys and wires everything at the chain's start time, with ETH at
    /// [`START_PRICE`], the sequencer up for two days (no grace period) and
    /// the pool seeded with [`LP_SEED`].
    ///
    /// # Panics
    /// When an artifact is missing or any setup step reverts.
    pub fn new() -> Self {
        Self::with_pool_seed(LP_SEED)
    }

    /// As [`Protocol::new`], with the LP depositing `seed` token units into
    /// the pool at setup (none when zero).
    ///
    /// # Panics
    /// When an artifact is missing or any setup step reverts.
    pub fn with_pool_seed(seed: u128) -> Self {
        Self::deploy(Chain::new(), seed)
    }

    /// As [`Protocol::new`], on a chain priced as `schedule`'s ArbOS version.
    ///
    /// # Panics
    /// When an artifact is missing or any setup step reverts.
    pub fn with_schedule(schedule: bulwark_sandbox::GasSchedule) -> Self {
        Self::deploy(Chain::with_schedule(schedule), LP_SEED)
    }

    /// The fixture's deploy plan: every parameter a named constant above.
    pub fn plan(now: u64) -> Plan {
        let feed = |feed_id: u32, price: u128| FeedPlan {
            feed_id,
            primary: Source::Mock(MockFeed {
                decimals: FEED_DECIMALS,
                answer: feed_answer(U256::from(price * WAD)),
            }),
            secondary: Source::Mock(MockFeed {
                decimals: FEED_DECIMALS,
                answer: feed_answer(U256::from(price * WAD)),
            }),
            max_age: MAX_AGE,
            max_age_lenient: MAX_AGE_LENIENT,
            max_deviation_bps: MAX_DEVIATION_BPS,
            min_price: U256::from(MIN_PRICE),
            max_price: U256::from(MAX_PRICE),
        };
        let underlying = |underlying: u32, step: u128| IOptionsMarket::configureUnderlyingCall {
            underlying,
            strike_step: U256::from(step),
            strikes_per_side: 4,
            delta_limit: U256::from(DELTA_LIMIT),
            vega_limit: U256::from(VEGA_LIMIT),
        };
        let expiry = now + EXPIRY_DELAY;
        Plan {
            quote: Source::Mock(MockToken {
                name: "Mock USD".into(),
                symbol: "mUSD".into(),
                decimals: QUOTE_DECIMALS,
            }),
            feeds: vec![feed(ETH, START_PRICE), feed(BTC, BTC_START_PRICE)],
            // Up for two days: no grace period at the start.
            sequencer: Source::Mock(MockSequencer { up_since: now - 2 * 86_400 }),
            grace_period: GRACE_PERIOD,
            settlement_window: SETTLEMENT_WINDOW,
            surface: IOracleAdapter::setSurfaceConfigCall {
                min_log_moneyness: int(-SURFACE_LOG_MONEYNESS),
                max_log_moneyness: int(SURFACE_LOG_MONEYNESS),
                points: SURFACE_POINTS,
                min_volatility: U256::from(MIN_VOLATILITY),
                max_volatility: U256::from(MAX_VOLATILITY),
                max_age: SURFACE_MAX_AGE,
            },
            volatility_updater: VOL_UPDATER,
            quote_cap: U256::from(QUOTE_CAP),
            perp_markets: vec![
                PerpMarketPlan { feed_id: ETH, params: perp_params() },
                PerpMarketPlan { feed_id: BTC, params: perp_params() },
            ],
            options_params: Some(IOptionsMarket::setMarketParamsCall {
                trading_cutoff: OPTION_CUTOFF,
                base_spread: U256::from(BASE_SPREAD),
                trade_vega_slope: U256::from(TRADE_VEGA_SLOPE),
                exposure_slope: U256::from(EXPOSURE_SLOPE),
                fee_premium_rate: U256::from(FEE_PREMIUM_RATE),
                fee_notional_rate: U256::from(FEE_NOTIONAL_RATE),
            }),
            options_underlyings: vec![
                underlying(ETH, STRIKE_STEP),
                underlying(BTC, BTC_STRIKE_STEP),
            ],
            series: [(2_000u128, true), (2_000, false), (2_200, true), (1_800, false)]
                .into_iter()
                .map(|(strike, is_call)| IOptionsMarket::listSeriesCall {
                    underlying: ETH,
                    strike: U256::from(strike * WAD),
                    expiry,
                    is_call,
                })
                .collect(),
        }
    }

    fn deploy(mut chain: Chain, seed: u128) -> Self {
        let now = chain.now();
        let plan = Self::plan(now);
        let d = bulwark_deploy::deploy(&mut chain, ADMIN, &plan)
            .unwrap_or_else(|e| panic!("deploying the fixture: {e}"));
        assert_eq!(d.perp_market_ids, [ETH_MARKET, BTC_MARKET], "markets get ids 1 and 2");
        let series: Vec<Series> = plan
            .series
            .iter()
            .zip(&d.series_ids)
            .map(|(s, id)| Series {
                id: *id,
                strike: s.strike,
                expiry: s.expiry,
                is_call: s.is_call,
            })
            .collect();
        let (oracle, vault, token) = (d.oracle, d.vault, d.quote);
        let expiry = series[0].expiry;
        let (price, btc_price) = (U256::from(START_PRICE * WAD), U256::from(BTC_START_PRICE * WAD));
        let expiry_receipt = chain.send(
            VOL_UPDATER,
            oracle,
            &flat_surface(expiry, now, U256::from(START_PRICE * WAD), VOLATILITY),
        );
        assert!(expiry_receipt.success(), "pushing the volatility surface");
        for (holder, funds) in
            TRADERS.iter().map(|t| (*t, TRADER_FUNDS)).chain([(LP, LP_FUNDS), (KEEPER, 0)])
        {
            if funds > 0 {
                chain.ok(
                    ADMIN,
                    token,
                    &MockErc20::mintCall { to: holder, amount: U256::from(funds) },
                );
            }
            chain.ok(holder, token, &MockErc20::approveCall { spender: vault, value: U256::MAX });
        }
        if seed > 0 {
            chain.ok(LP, vault, &IVault::lpDepositCall { assets: U256::from(seed), receiver: LP });
        }
        Protocol {
            chain,
            token,
            eth_primary: d.feeds[0].0,
            eth_secondary: d.feeds[0].1,
            btc_primary: d.feeds[1].0,
            btc_secondary: d.feeds[1].1,
            sequencer: d.sequencer,
            oracle,
            vault,
            margin_engine: d.margin_engine,
            risk: d.risk_engine,
            perp: d.perp_market,
            options: d.options_market,
            series,
            accounts: BTreeSet::new(),
            rounds: vec![now],
            price,
            btc_price,
        }
    }

    /// Records the whole state (chain and fixture bookkeeping).
    pub fn snapshot(&mut self) -> Snapshot {
        Snapshot {
            id: self.chain.sandbox.snapshot(),
            accounts: self.accounts.clone(),
            rounds: self.rounds.clone(),
            price: self.price,
            btc_price: self.btc_price,
        }
    }

    /// Returns to `snapshot` (which stays usable; later snapshots are dropped).
    ///
    /// # Panics
    /// When the snapshot was dropped by returning to an earlier one.
    pub fn restore(&mut self, snapshot: &Snapshot) {
        self.chain.sandbox.revert_to(snapshot.id).expect("snapshot exists");
        self.accounts.clone_from(&snapshot.accounts);
        self.rounds.clone_from(&snapshot.rounds);
        self.price = snapshot.price;
        self.btc_price = snapshot.btc_price;
    }

    // ---- accounts -------------------------------------------------------

    /// The id of `owner`'s subaccount 0.
    pub fn account(owner: Address) -> U256 {
        Self::subaccount(owner, 0)
    }

    /// The id of `owner`'s subaccount `sub`: owner in the high 160 bits.
    pub fn subaccount(owner: Address, sub: u128) -> U256 {
        (U256::from_be_slice(owner.as_slice()) << 96) | U256::from(sub)
    }

    // ---- operations (each returns its receipt) --------------------------

    /// `owner` deposits `amount` quote token units into its subaccount 0.
    pub fn deposit(&mut self, owner: Address, amount: U256) -> Receipt {
        self.deposit_into(owner, Self::account(owner), amount)
    }

    /// `from` deposits `amount` quote token units into `account`.
    pub fn deposit_into(&mut self, from: Address, account: U256, amount: U256) -> Receipt {
        self.deposit_of(from, account, self.token, amount)
    }

    /// `from` deposits `amount` units of `token` into `account`.
    fn deposit_of(
        &mut self,
        from: Address,
        account: U256,
        token: Address,
        amount: U256,
    ) -> Receipt {
        self.accounts.insert(account);
        self.chain.send(from, self.vault, &IVault::depositCall { account, token, amount })
    }

    /// Lists a mock 18-decimal ETH token as collateral (80% haircut, priced
    /// on the ETH feed, cap 1,000 ETH) and returns it.
    ///
    /// # Panics
    /// When the listing reverts.
    pub fn list_eth_collateral(&mut self) -> Address {
        let weth = self.chain.deploy(
            "MockERC20",
            &ctor::MockErc20::constructorCall {
                name: "Mock ETH".into(),
                symbol: "mETH".into(),
                decimals: 18,
            },
        );
        let listing = IVault::configureCollateralCall {
            token: weth,
            haircut: U256::from(WAD / 10 * 8),
            cap: U256::from(1_000 * WAD),
            feed_id: ETH,
        };
        self.chain.ok(ADMIN, self.vault, &listing);
        weth
    }

    /// `owner` receives `amount` (token units) of the mock `token`, approves
    /// the Vault and deposits it into its subaccount 0.
    pub fn deposit_token(&mut self, owner: Address, token: Address, amount: U256) -> Receipt {
        self.chain.ok(ADMIN, token, &MockErc20::mintCall { to: owner, amount });
        self.chain.ok(owner, token, &MockErc20::approveCall { spender: self.vault, value: amount });
        self.deposit_of(owner, Self::account(owner), token, amount)
    }

    /// The Vault's balance of `token` (not the quote token) for `account`,
    /// token units.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn collateral(&mut self, account: U256, token: Address) -> U256 {
        let call = IVault::balanceOfCall { account, token };
        self.chain.view(self.vault, &call).expect("balanceOf")._0.into_raw()
    }

    /// Whether the Vault holds exactly the `token` it tracks for accounts.
    ///
    /// # Panics
    /// When a view reverts.
    pub fn collateral_tracked(&mut self, token: Address) -> bool {
        let held = self.wallet_of(token, self.vault);
        let call = IVault::trackedBalanceCall { token };
        let tracked = self.chain.view(self.vault, &call).expect("trackedBalance")._0;
        tracked.into_raw() == held
    }

    /// `owner` withdraws `amount` quote token units from its subaccount 0 to
    /// its wallet (through RiskEngine's margin check).
    pub fn withdraw(&mut self, owner: Address, amount: U256) -> Receipt {
        let call = IRiskEngine::withdrawCall {
            account: Self::account(owner),
            token: self.token,
            amount,
            to: owner,
        };
        self.chain.send(owner, self.risk, &call)
    }

    /// `lp` deposits `assets` quote token units into the pool for itself.
    pub fn lp_deposit(&mut self, lp: Address, assets: U256) -> Receipt {
        self.chain.send(lp, self.vault, &IVault::lpDepositCall { assets, receiver: lp })
    }

    /// `lp` asks to redeem `shares`.
    pub fn lp_request_redeem(&mut self, lp: Address, shares: U256) -> Receipt {
        self.chain.send(lp, self.vault, &IVault::lpRequestRedeemCall { shares })
    }

    /// `lp` redeems `shares` to its wallet.
    pub fn lp_redeem(&mut self, lp: Address, shares: U256) -> Receipt {
        self.chain.send(lp, self.vault, &IVault::lpRedeemCall { shares, receiver: lp })
    }

    /// `caller` trades `size_delta` (WAD, long > 0) of the ETH perp for
    /// `account`, refusing a fill worse than `acceptable_price`.
    pub fn trade_perp(
        &mut self,
        caller: Address,
        account: U256,
        size_delta: I256,
        acceptable_price: U256,
    ) -> Receipt {
        self.accounts.insert(account);
        let call = IRiskEngine::tradePerpCall {
            account,
            market_id: ETH_MARKET,
            size_delta,
            acceptable_price,
        };
        self.chain.send(caller, self.risk, &call)
    }

    /// Deposits `collateral` dollars for `trader` and opens `size` ETH of
    /// perp (none when 0); returns the account id (subaccount 0).
    ///
    /// # Panics
    /// When the deposit or the trade fails.
    pub fn trader_with(&mut self, trader: Address, collateral: u128, size: i128) -> U256 {
        crate::success(&self.deposit(trader, usd(collateral)), "deposit");
        if size != 0 {
            crate::success(&self.open_perp(trader, swad(size)), "open");
        }
        Self::account(trader)
    }

    /// `owner` trades `size_delta` of the ETH perp on its subaccount 0 at
    /// any price.
    pub fn open_perp(&mut self, owner: Address, size_delta: I256) -> Receipt {
        let acceptable = if size_delta.is_negative() { U256::ZERO } else { U256::MAX };
        self.trade_perp(owner, Self::account(owner), size_delta, acceptable)
    }

    /// `owner` closes its whole ETH perp position on subaccount 0 at any price.
    pub fn close_perp(&mut self, owner: Address) -> Receipt {
        let size = self.perp_position(Self::account(owner)).0;
        self.open_perp(owner, -size)
    }

    /// `owner` trades `amount` contracts (WAD, long > 0) of `series` on its
    /// subaccount 0, paying at most `limit_premium` (trader's view).
    pub fn trade_option(
        &mut self,
        owner: Address,
        series: B256,
        amount: I256,
        limit_premium: I256,
    ) -> Receipt {
        let account = Self::account(owner);
        self.accounts.insert(account);
        let call =
            IRiskEngine::tradeOptionCall { account, series_id: series, amount, limit_premium };
        self.chain.send(owner, self.risk, &call)
    }

    /// `keeper` liquidates `account`.
    pub fn liquidate(&mut self, keeper: Address, account: U256) -> Receipt {
        self.chain.send(keeper, self.risk, &IRiskEngine::liquidateCall { account })
    }

    /// `caller` settles `account`'s expired options.
    pub fn settle_options(&mut self, caller: Address, account: U256) -> Receipt {
        self.chain.send(caller, self.risk, &IRiskEngine::settleOptionsCall { account })
    }

    /// Records the ETH settlement price of `expiry` from the first primary
    /// round at or after it (anyone may; `caller` does).
    ///
    /// # Panics
    /// When no round has been pushed at or after `expiry`.
    pub fn record_settlement(&mut self, caller: Address, expiry: u64) -> Receipt {
        let index =
            self.rounds.iter().position(|t| *t >= expiry).expect("a round at or after expiry");
        let call = IOracleAdapter::recordSettlementPriceCall {
            feed_id: ETH,
            expiry,
            round_id: U80::from(index + 1),
        };
        self.chain.send(caller, self.oracle, &call)
    }

    /// Pushes `price` (WAD) as a new round on both ETH feeds, stamped now.
    pub fn set_price(&mut self, price: U256) -> [Receipt; 2] {
        self.set_prices(price, price)
    }

    /// Pushes `primary` and `secondary` (WAD) as new rounds, stamped now.
    pub fn set_prices(&mut self, primary: U256, secondary: U256) -> [Receipt; 2] {
        self.price = primary;
        self.rounds.push(self.chain.now());
        self.push_answers([(self.eth_primary, primary), (self.eth_secondary, secondary)])
    }

    /// Pushes each price (WAD) as a new round on its feed.
    fn push_answers(&mut self, rounds: [(Address, U256); 2]) -> [Receipt; 2] {
        rounds.map(|(feed, price)| {
            let call = MockAggregator::pushAnswerCall { answer: feed_answer(price) };
            self.chain.send(ADMIN, feed, &call)
        })
    }

    /// The last price pushed, WAD.
    pub fn price(&self) -> U256 {
        self.price
    }

    /// Pushes `price` (WAD) as a new round on both BTC feeds, stamped now.
    pub fn set_btc_price(&mut self, price: U256) -> [Receipt; 2] {
        self.btc_price = price;
        self.push_answers([(self.btc_primary, price), (self.btc_secondary, price)])
    }

    /// The last BTC price pushed, WAD.
    pub fn btc_price(&self) -> U256 {
        self.btc_price
    }

    /// Moves the clock forward by `seconds` and pushes the last ETH and BTC
    /// prices again, so prices stay fresh.
    pub fn advance(&mut self, seconds: u64) {
        self.chain.advance(seconds);
        let (price, btc) = (self.price, self.btc_price);
        self.set_price(price);
        self.set_btc_price(btc);
    }

    /// Changes perp market `market_id`'s parameters the only way there is:
    /// the admin announces them, two days pass (prices kept fresh), and a
    /// stranger applies them. Returns the application's receipt.
    ///
    /// # Panics
    /// When the announcement or the application reverts.
    pub fn change_perp_params(
        &mut self,
        market_id: u32,
        feed_id: u32,
        params: [U256; 11],
    ) -> Receipt {
        let call = IPerpMarket::setMarketParamsCall { market_id, feed_id, params };
        crate::success(&self.chain.send(ADMIN, self.perp, &call), "announce setMarketParams");
        self.advance(2 * 86_400);
        let apply = IPerpMarket::applyMarketParamsCall { market_id };
        let r = self.chain.send(STRANGER, self.perp, &apply);
        crate::success(&r, "applyMarketParams");
        r
    }

    /// Lists another perp market on `feed` with the fixture's parameters
    /// and returns its id.
    ///
    /// # Panics
    /// When the listing reverts.
    pub fn add_perp_market(&mut self, feed: u32) -> u32 {
        let call =
            IPerpMarket::setMarketParamsCall { market_id: 0, feed_id: feed, params: perp_params() };
        self.chain.ok(ADMIN, self.perp, &call)._0
    }

    /// Lists an option series on `feed` and returns it.
    ///
    /// # Panics
    /// When the listing reverts.
    pub fn list_series(&mut self, feed: u32, strike: U256, expiry: u64, is_call: bool) -> Series {
        let call = IOptionsMarket::listSeriesCall { underlying: feed, strike, expiry, is_call };
        let id = self.chain.ok(ADMIN, self.options, &call)._0;
        Series { id, strike, expiry, is_call }
    }

    /// `owner` trades `size_delta` of perp market `market` on its
    /// subaccount 0 at any price.
    pub fn trade_perp_in(&mut self, owner: Address, market: u32, size_delta: I256) -> Receipt {
        let account = Self::account(owner);
        self.accounts.insert(account);
        let acceptable_price = if size_delta.is_negative() { U256::ZERO } else { U256::MAX };
        let call =
            IRiskEngine::tradePerpCall { account, market_id: market, size_delta, acceptable_price };
        self.chain.send(owner, self.risk, &call)
    }

    /// Pushes a flat volatility surface at `volatility` (WAD) for `expiry`,
    /// centred on the last price, from the volatility updater.
    pub fn push_volatility(&mut self, expiry: u64, volatility: u128) -> Receipt {
        let call = flat_surface(expiry, self.chain.now(), self.price, volatility);
        self.chain.send(VOL_UPDATER, self.oracle, &call)
    }

    /// Pushes a flat BTC volatility surface at `volatility` (WAD) for
    /// `expiry`, centred on the last BTC price.
    pub fn push_btc_volatility(&mut self, expiry: u64, volatility: u128) -> Receipt {
        let mut call = flat_surface(expiry, self.chain.now(), self.btc_price, volatility);
        call.feed_id = BTC;
        self.chain.send(VOL_UPDATER, self.oracle, &call)
    }

    /// Sets the sequencer down (`up` false) or back up, as of now.
    pub fn set_sequencer(&mut self, up: bool) -> Receipt {
        let (latest, ..) = self
            .chain
            .view(self.sequencer, &MockAggregator::latestRoundDataCall {})
            .map(|r| (r._0, r._1))
            .expect("the sequencer feed has a round");
        let now = U256::from(self.chain.now());
        let id = latest + U80::from(1u8);
        let call = MockAggregator::setRoundCall {
            round_id: id,
            answer: if up { I256::ZERO } else { I256::ONE },
            started_at: now,
            updated_at: now,
            answered_in_round: id,
        };
        self.chain.send(ADMIN, self.sequencer, &call)
    }

    // ---- views ----------------------------------------------------------

    /// `RiskEngine.accountHealth(account)`, or its revert data.
    pub fn health(&mut self, account: U256) -> Result<Health, Vec<u8>> {
        self.chain.view(self.risk, &IRiskEngine::accountHealthCall { account }).map(|h| Health {
            equity: h.equity,
            initial: h.initialMargin,
            maintenance: h.maintenanceMargin,
            ratio: h.healthRatio,
        })
    }

    /// `RiskEngine.isLiquidatable(account)`.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn is_liquidatable(&mut self, account: U256) -> bool {
        self.chain
            .view(self.risk, &IRiskEngine::isLiquidatableCall { account })
            .expect("isLiquidatable")
            ._0
    }

    /// `account`'s quote cash in the Vault, token units (may be negative).
    ///
    /// # Panics
    /// When the view reverts.
    pub fn cash(&mut self, account: U256) -> I256 {
        let call = IVault::balanceOfCall { account, token: self.token };
        self.chain.view(self.vault, &call).expect("Vault.balanceOf")._0
    }

    /// `(size, basis)` of `account`'s ETH perp, WAD.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn perp_position(&mut self, account: U256) -> (I256, I256) {
        self.perp_position_in(account, ETH_MARKET)
    }

    /// `(size, basis)` of `account`'s perp in `market`, WAD.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn perp_position_in(&mut self, account: U256, market: u32) -> (I256, I256) {
        let call = IRiskEngine::perpPositionCall { account, market_id: market };
        let p = self.chain.view(self.risk, &call).expect("perpPosition");
        (p.size, p.basis)
    }

    /// `PerpMarket.position(account, market, size)` with the size
    /// RiskEngine holds: size, entry price, funding snapshot, unrealised PnL
    /// and accrued funding (WAD).
    ///
    /// # Panics
    /// When a view reverts.
    pub fn perp_entry_in(&mut self, account: U256, market: u32) -> IPerpMarket::positionReturn {
        let size = self.perp_position_in(account, market).0;
        let call = IPerpMarket::positionCall { account, market_id: market, size };
        self.chain.view(self.perp, &call).expect("position")
    }

    /// `account`'s amount of `series`, WAD.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn option_amount(&mut self, account: U256, series: B256) -> I256 {
        let call = IRiskEngine::optionAmountCall { account, series_id: series };
        self.chain.view(self.risk, &call).expect("optionAmount")._0
    }

    /// `PerpMarket.quote(ETH_MARKET, size_delta)`: fill price, fee, oracle
    /// price, funding rate, funding index, long and short open interest.
    pub fn perp_quote(&mut self, size_delta: I256) -> Result<IPerpMarket::quoteReturn, Vec<u8>> {
        self.perp_quote_in(ETH_MARKET, size_delta)
    }

    /// `PerpMarket.quote(market, size_delta)`, as [`Self::perp_quote`].
    pub fn perp_quote_in(
        &mut self,
        market: u32,
        size_delta: I256,
    ) -> Result<IPerpMarket::quoteReturn, Vec<u8>> {
        self.chain.view(self.perp, &IPerpMarket::quoteCall { market_id: market, size_delta })
    }

    /// `Vault.poolState()`.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn pool(&mut self) -> Pool {
        let p = self.chain.view(self.vault, &IVault::poolStateCall {}).expect("poolState");
        Pool {
            assets: p.totalAssets,
            shares: p.totalShares,
            share_price: p.sharePrice,
            insurance: p.insuranceFund,
            fees: p.protocolFees,
            absorbed_by_insurance: p.absorbedByInsurance,
            absorbed_by_pool: p.absorbedByPool,
        }
    }

    /// `owner`'s wallet balance of the quote token, token units.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn wallet(&mut self, owner: Address) -> U256 {
        self.wallet_of(self.token, owner)
    }

    /// `owner`'s balance of the mock `token`, token units.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn wallet_of(&mut self, token: Address, owner: Address) -> U256 {
        self.chain.view(token, &MockErc20::balanceOfCall { account: owner }).expect("balanceOf")._0
    }

    /// `RiskEngine.badDebt(key)`: bad debt recorded for `key` (perp market
    /// id, `2^31 + feed` for options, `u32::MAX` for the total), quote WAD.
    ///
    /// # Panics
    /// When the view reverts.
    pub fn bad_debt(&mut self, key: u32) -> U256 {
        self.chain.view(self.risk, &IRiskEngine::badDebtCall { key }).expect("badDebt")._0
    }

    /// The quote token's ledger: what the Vault holds against what it owes.
    ///
    /// # Panics
    /// When a view reverts.
    pub fn ledger(&mut self) -> Ledger {
        let tokens = self.wallet(self.vault);
        let accounts: Vec<U256> = self.accounts.iter().copied().collect();
        let cash = accounts.into_iter().fold(I256::ZERO, |sum, a| sum + self.cash(a));
        let pool = self.pool();
        let tracked = self
            .chain
            .view(self.vault, &IVault::trackedBalanceCall { token: self.token })
            .expect("trackedBalance")
            ._0;
        Ledger { tokens, cash, pool, tracked }
    }
}

/// The role bit of the OracleAdapter's volatility updater.
pub use bulwark_deploy::plan::VOLATILITY_UPDATER_ROLE;

/// A flat SVI slice (`b = 0`): total variance `a = volatility^2 * tenor /
/// year` at every strike, pushed at `now` for `expiry`.
pub fn flat_surface(
    expiry: u64,
    now: u64,
    forward: U256,
    volatility: u128,
) -> IOracleAdapter::setVolatilitySurfaceCall {
    let tenor = U256::from(expiry - now);
    let variance = U256::from(volatility) * U256::from(volatility) / U256::from(WAD) * tenor
        / U256::from(SECONDS_PER_YEAR);
    IOracleAdapter::setVolatilitySurfaceCall {
        feed_id: ETH,
        expiry,
        forward,
        a: I256::try_from(variance).expect("fits"),
        b: I256::ZERO,
        rho: I256::ZERO,
        m: I256::ZERO,
        sigma: int(i128::try_from(WAD / 10).expect("fits")),
    }
}

/// The ETH perp market's 11 parameters, in `setMarketParams` order.
pub fn perp_params() -> [U256; 11] {
    [
        SKEW_SCALE,
        MAKER_FEE,
        TAKER_FEE,
        MAX_OPEN_INTEREST,
        MIN_TRADE_SIZE,
        MAX_TRADE_SIZE,
        MAX_FUNDING_VELOCITY,
        MAX_FUNDING_RATE,
        INITIAL_MARGIN_RATE,
        MAINTENANCE_MARGIN_RATE,
        MARGIN_RATE_SCALE,
    ]
    .map(U256::from)
}
