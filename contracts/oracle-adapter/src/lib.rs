//! OracleAdapter: turns Chainlink-style feeds into 18-decimal prices that the
//! rest of Bulwark can trust, and refuses the ones it cannot. It also holds
//! the volatility surface per underlying and expiry and the settlement price
//! per underlying and expiry.
//!
//! It never calls another Bulwark contract; it only reads price feeds. The
//! rules live in [`logic`]; this file loads state, calls them, stores and logs.
//! README.md states the rules for each price usage.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

pub mod logic;

use alloc::{vec, vec::Vec};

use alloy_primitives::{
    aliases::{U64, U80},
    Address, B256, I256, U256,
};
use alloy_sol_types::{SolError, SolEvent};
use bulwark_common::evm::int;
use bulwark_common::evm::{address as addr, revert, uint};
use bulwark_common::roles::VOLATILITY_UPDATER;
use bulwark_common::{
    calls::{self, calldata},
    delay::{self, NotApplicable},
    evm,
    interfaces::aggregator,
    roles::Roles,
};
use logic::{
    Bounds, Combined, FeedConfig, PriceError, Round, SequencerStatus, SettlementError, Timing,
};
use logic::{Slice, SurfaceConfig, SurfaceError, Svi};

use stylus_sdk::{
    prelude::*,
    storage::{StorageB256, StorageMap, StorageU64, StorageVec},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/oracle.sol"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/surface.sol"
    );
}
pub use sol::*;

/// `InvalidConfig` parameter codes.
pub mod parameter {
    /// The primary aggregator.
    pub const PRIMARY: u8 = 1;
    /// The secondary aggregator.
    pub const SECONDARY: u8 = 2;
    /// The strict maximum age.
    pub const MAX_AGE: u8 = 3;
    /// The lenient maximum age.
    pub const MAX_AGE_LENIENT: u8 = 4;
    /// The maximum deviation.
    pub const MAX_DEVIATION: u8 = 5;
    /// The price bounds.
    pub const PRICE_BOUNDS: u8 = 6;
    /// A feed's decimals.
    pub const DECIMALS: u8 = 7;
    /// The sequencer grace period.
    pub const GRACE_PERIOD: u8 = 8;
    /// The settlement window.
    pub const SETTLEMENT_WINDOW: u8 = 9;
    /// The surface configuration.
    pub const SURFACE: u8 = 10;
}

/// One feed's configuration in three packed words ([`logic::FeedConfig`]).
#[storage]
pub struct Feed {
    main: StorageB256,
    secondary: StorageB256,
    bounds: StorageB256,
}

/// One volatility slice in two packed words ([`logic::Slice::pack`]).
#[storage]
pub struct SliceStorage {
    params: StorageB256,
    meta: StorageB256,
}

/// The OracleAdapter's state.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct OracleAdapter {
    #[borrow]
    roles: Roles,
    feeds: StorageMap<u32, Feed>,
    /// Announced changes of configured feeds, applied from `pending_at`.
    pending_feeds: StorageMap<u32, Feed>,
    /// When each announced feed change takes effect (zero: none).
    pending_at: StorageMap<u32, StorageU64>,
    /// Sequencer feed, grace period, settlement window ([`logic::Timing`]).
    timing: StorageB256,
    /// The protocol strike grid and volatility bounds ([`SurfaceConfig`]).
    surface_grid: StorageB256,
    /// Grid points and surface maximum age.
    surface_limits: StorageB256,
    /// Slices by feed and expiry.
    surfaces: StorageMap<u32, StorageMap<u64, SliceStorage>>,
    /// Live expiries by feed (unordered).
    expiries: StorageMap<u32, StorageVec<StorageU64>>,
    /// Settlement prices by `feedId << 64 | expiry`; zero = not recorded.
    settlements: StorageMap<u128, StorageB256>,
}

/// What `latestRoundData` and `getRoundData` return.
type RoundData = (U80, I256, U256, U256, U80);

/// Reads a feed's `latestRoundData` (no `round_id`) or `getRoundData(round_id)`.
fn read_round(
    vm: &dyn stylus_sdk::stylus_core::Host,
    feed: Address,
    round_id: Option<U80>,
) -> Result<RoundData, Vec<u8>> {
    let data = match round_id {
        None => calldata(aggregator::LATEST_ROUND_DATA, &[]),
        Some(id) => calldata(aggregator::GET_ROUND_DATA, &[evm::uint256(U256::from(id))]),
    };
    let mut reply = calls::view(vm, feed, &data)?;
    Ok((reply.read()?, reply.read()?, reply.read()?, reply.read()?, reply.read()?))
}

fn round_of(data: &RoundData) -> Round {
    let (round_id, answer, started_at, updated_at, answered_in_round) = *data;
    Round {
        round_id: round_id.to(),
        answer: logic::narrow(&answer.to_be_bytes()),
        started_at: started_at.saturating_to(),
        updated_at: updated_at.saturating_to(),
        answered_in_round: answered_in_round.to(),
    }
}

// Errors and events are encoded word by word through bulwark_common::evm, with
// the selectors and topics of the declarations in oracle.sol: the same bytes as
// alloy's encoders (a test checks each), without one encoder per type.

fn config_error(feed_id: u32, parameter: u8) -> Vec<u8> {
    revert(InvalidConfig::SELECTOR, &[uint(u128::from(feed_id)), uint(u128::from(parameter))])
}

/// The Solidity error of a refused round of `source`.
fn price_error(
    feed_id: u32,
    source: Address,
    error: PriceError,
    data: &RoundData,
    bounds: &Bounds,
    now: u64,
) -> Vec<u8> {
    let (round_id, answer, _, updated_at, answered_in_round) = *data;
    let (id, source) = (uint(u128::from(feed_id)), addr(source));
    match error {
        PriceError::IncompleteRound => revert(
            IncompleteRound::SELECTOR,
            &[
                id,
                source,
                uint(round_id.to::<u128>()),
                uint(answered_in_round.to::<u128>()),
                updated_at.to_be_bytes(),
            ],
        ),
        PriceError::NonPositiveAnswer => {
            revert(NonPositiveAnswer::SELECTOR, &[id, source, answer.to_be_bytes()])
        }
        PriceError::Stale { max_age } => revert(
            StalePrice::SELECTOR,
            &[
                id,
                source,
                updated_at.to_be_bytes(),
                uint(u128::from(max_age)),
                uint(u128::from(now)),
            ],
        ),
        PriceError::OutOfBounds { price } => revert(
            PriceOutOfBounds::SELECTOR,
            &[id, source, uint(price), uint(bounds.min_price), uint(bounds.max_price)],
        ),
    }
}

fn surface_error(feed_id: u32, expiry: u64, error: SurfaceError) -> Vec<u8> {
    let (id, at) = (uint(u128::from(feed_id)), uint(u128::from(expiry)));
    match error {
        SurfaceError::Invalid(reason) => {
            revert(InvalidSurface::SELECTOR, &[id, at, uint(u128::from(reason))])
        }
        SurfaceError::VolatilityOutOfBounds { log_moneyness, volatility } => {
            revert(VolatilityOutOfBounds::SELECTOR, &[id, at, int(log_moneyness), uint(volatility)])
        }
        SurfaceError::Butterfly { log_moneyness } => {
            revert(ButterflyArbitrage::SELECTOR, &[id, at, int(log_moneyness)])
        }
        SurfaceError::Calendar { neighbour, log_moneyness } => revert(
            CalendarArbitrage::SELECTOR,
            &[id, at, uint(u128::from(neighbour)), int(log_moneyness)],
        ),
    }
}

/// How long an announced change of a configured feed waits
/// ([`bulwark_common::delay`]).
pub const FEED_CHANGE_DELAY: u64 = bulwark_common::delay::CHANGE_DELAY;

/// Writes a feed's three configuration words.
fn store_feed(feed: &mut Feed, words: &[[u8; 32]; 3]) {
    feed.main.set(words[0].into());
    feed.secondary.set(words[1].into());
    feed.bounds.set(words[2].into());
}

fn settlement_key(feed_id: u32, expiry: u64) -> u128 {
    (u128::from(feed_id) << 64) | u128::from(expiry)
}

bulwark_common::dispatch! {
    OracleAdapter, roles;
    constructor(admin);
    "setFeed(uint32,address,address,uint32,uint32,uint16,uint256,uint256)" => set_feed(feed_id, primary, secondary, max_age, max_age_lenient, max_deviation_bps, min_price, max_price);
    "applyFeedChange(uint32)" => apply_feed_change(feed_id);
    "pendingFeedChange(uint32)" => pending_feed_change(feed_id);
    "setTiming(address,uint32,uint32)" => set_timing(sequencer_feed, grace_period, settlement_window);
    "price(uint32,uint8)" => price(feed_id, usage);
    "prices(uint32[],uint8)" => prices(feed_ids, usage);
    "sequencerStatus()" => sequencer_status() -> (status, since);
    "recordSettlementPrice(uint32,uint64,uint80)" => record_settlement_price(feed_id, expiry, round_id);
    "settlementPrice(uint32,uint64)" => settlement_price(feed_id, expiry);
    "setSurfaceConfig(int256,int256,uint8,uint256,uint256,uint32)" => set_surface_config(min_log_moneyness, max_log_moneyness, points, min_volatility, max_volatility, max_age);
    "setVolatilitySurface(uint32,uint64,uint256,int256,int256,int256,int256,int256)" => set_volatility_surface(feed_id, expiry, forward, a, b, rho, m, sigma);
    "volatility(uint32,uint64,uint256,uint8)" => volatility(feed_id, expiry, strike, usage);
    "volatilities(uint256[],uint8)" => volatilities(queries, usage);
}

#[public]
#[inherit(Roles)]
impl OracleAdapter {
    /// Creates the adapter with its first admin.
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(&mut self, admin: Address) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        Ok(())
    }

    /// Configures feed `feed_id` (the underlying's id): its primary aggregator,
    /// an optional secondary (zero for none), the strict and lenient maximum
    /// ages in seconds, the maximum primary/secondary deviation in basis
    /// points (0 without a secondary), and the accepted price range in 18
    /// decimals (set it strictly inside the aggregators' own min/max answer so
    /// that a clamped answer is refused). A new feed takes effect at once; a
    /// change of a configured one is announced and takes effect
    /// [`FEED_CHANGE_DELAY`] later, through [`Self::apply_feed_change`]
    /// (a later announcement replaces it): the prices of every margin check
    /// and liquidation come from here, so users get time to react.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidConfig`] for a
    /// value outside the hard bounds (README); a feed that does not answer
    /// `decimals()` reverts with its own error.
    ///
    /// # Events
    /// [`FeedConfigured`] for a new feed; [`FeedChangeAnnounced`] for a change.
    #[allow(clippy::too_many_arguments)]
    pub fn set_feed(
        &mut self,
        feed_id: u32,
        primary: Address,
        secondary: Address,
        max_age: u32,
        max_age_lenient: u32,
        max_deviation_bps: u16,
        min_price: U256,
        max_price: U256,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        let invalid = |parameter| config_error(feed_id, parameter);
        if primary.is_zero() {
            return Err(invalid(parameter::PRIMARY));
        }
        if secondary == primary {
            return Err(invalid(parameter::SECONDARY));
        }
        if max_age == 0 || u64::from(max_age) > logic::MAX_FEED_AGE {
            return Err(invalid(parameter::MAX_AGE));
        }
        if max_age_lenient < max_age || u64::from(max_age_lenient) > logic::MAX_FEED_AGE_LENIENT {
            return Err(invalid(parameter::MAX_AGE_LENIENT));
        }
        let deviation_ok = if secondary.is_zero() {
            max_deviation_bps == 0
        } else {
            max_deviation_bps != 0 && u64::from(max_deviation_bps) <= logic::MAX_DEVIATION_BPS
        };
        if !deviation_ok {
            return Err(invalid(parameter::MAX_DEVIATION));
        }
        let (Ok(min), Ok(max)) = (u128::try_from(min_price), u128::try_from(max_price)) else {
            return Err(invalid(parameter::PRICE_BOUNDS));
        };
        if min == 0 || max <= min {
            return Err(invalid(parameter::PRICE_BOUNDS));
        }
        let config = FeedConfig {
            primary: primary.0 .0,
            primary_decimals: self.decimals_of(feed_id, primary)?,
            max_age,
            max_age_lenient,
            secondary: secondary.0 .0,
            secondary_decimals: if secondary.is_zero() {
                0
            } else {
                self.decimals_of(feed_id, secondary)?
            },
            max_deviation_bps,
            min_price: min,
            max_price: max,
        };
        let words = [config.main_word(), config.secondary_word(), config.bounds_word()];
        if self.feeds.getter(feed_id).main.get().is_zero() {
            store_feed(&mut self.feeds.setter(feed_id), &words);
            self.log_feed(FeedConfigured::SIGNATURE_HASH, feed_id, &config, None);
        } else {
            let effective_at = delay::effective_at(self.vm().block_timestamp());
            store_feed(&mut self.pending_feeds.setter(feed_id), &words);
            self.pending_at.setter(feed_id).set(U64::from(effective_at));
            let event = FeedChangeAnnounced::SIGNATURE_HASH;
            self.log_feed(event, feed_id, &config, Some(effective_at));
        }
        Ok(())
    }

    /// Applies the announced change of feed `feed_id` once it is due
    /// (anyone may call).
    ///
    /// # Errors
    /// [`NoFeedChangePending`]; [`FeedChangeNotDue`] before its time.
    ///
    /// # Events
    /// [`FeedConfigured`] with the new configuration.
    pub fn apply_feed_change(&mut self, feed_id: u32) -> Result<(), Vec<u8>> {
        let effective_at = self.pending_feed_change(feed_id);
        let now = self.vm().block_timestamp();
        match delay::applicable(effective_at, now) {
            Err(NotApplicable::NonePending) => {
                return Err(revert(NoFeedChangePending::SELECTOR, &[uint(u128::from(feed_id))]));
            }
            Err(NotApplicable::NotDue) => {
                let values = [
                    uint(u128::from(feed_id)),
                    uint(u128::from(effective_at)),
                    uint(u128::from(now)),
                ];
                return Err(revert(FeedChangeNotDue::SELECTOR, &values));
            }
            Ok(()) => {}
        }
        let pending = self.pending_feeds.getter(feed_id);
        let words = [pending.main.get().0, pending.secondary.get().0, pending.bounds.get().0];
        store_feed(&mut self.feeds.setter(feed_id), &words);
        store_feed(&mut self.pending_feeds.setter(feed_id), &[[0u8; 32]; 3]);
        self.pending_at.setter(feed_id).set(U64::ZERO);
        let config = FeedConfig::unpack(&words[0], &words[1], &words[2]);
        self.log_feed(FeedConfigured::SIGNATURE_HASH, feed_id, &config, None);
        Ok(())
    }

    /// When the announced change of feed `feed_id` takes effect (zero: none
    /// announced). The change itself is in its [`FeedChangeAnnounced`].
    pub fn pending_feed_change(&self, feed_id: u32) -> u64 {
        self.pending_at.get(feed_id).to()
    }

    /// Sets the L2 sequencer uptime feed (zero: no sequencer check, for chains
    /// without one), its grace period in seconds, and the settlement window
    /// (how long after expiry the first round may land and still settle).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidConfig`] for a
    /// grace period or window outside the hard bounds.
    ///
    /// # Events
    /// [`TimingConfigured`].
    pub fn set_timing(
        &mut self,
        sequencer_feed: Address,
        grace_period: u32,
        settlement_window: u32,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if !(logic::MIN_GRACE_PERIOD..=logic::MAX_GRACE_PERIOD).contains(&u64::from(grace_period)) {
            return Err(config_error(0, parameter::GRACE_PERIOD));
        }
        if !(logic::MIN_SETTLEMENT_WINDOW..=logic::MAX_SETTLEMENT_WINDOW)
            .contains(&u64::from(settlement_window))
        {
            return Err(config_error(0, parameter::SETTLEMENT_WINDOW));
        }
        let timing = Timing { sequencer: sequencer_feed.0 .0, grace_period, settlement_window };
        self.timing.set(timing.pack().into());
        evm::emit(
            self.vm(),
            TimingConfigured::SIGNATURE_HASH,
            &[addr(sequencer_feed)],
            &[uint(u128::from(grace_period)), uint(u128::from(settlement_window))],
        );
        Ok(())
    }

    /// The price of feed `feed_id` in 18 decimals for `usage`: 0 adds risk
    /// (strict, fails closed), 1 reduces risk or liquidates valued low, 2 the
    /// same valued high. README.md states the rules of each.
    ///
    /// # Errors
    /// [`InvalidUsage`], `ContractPaused` (usage 0 only), [`SequencerDown`],
    /// [`SequencerGracePeriod`] (usage 0 only), [`FeedNotConfigured`],
    /// [`IncompleteRound`], [`NonPositiveAnswer`], [`StalePrice`],
    /// [`PriceOutOfBounds`], [`PriceDeviation`] (usage 0 only); a failing
    /// feed reverts with its own error.
    pub fn price(&self, feed_id: u32, usage: u8) -> Result<U256, Vec<u8>> {
        let now = self.vm().block_timestamp();
        self.check_usage(usage, now)?;
        self.feed_price(feed_id, usage, now).map(U256::from)
    }

    /// [`Self::price`] of several feeds in one call (the usage, pause and
    /// sequencer are checked once).
    ///
    /// # Errors
    /// As [`Self::price`], for the first feed that fails.
    pub fn prices(&self, feed_ids: Vec<u32>, usage: u8) -> Result<Vec<U256>, Vec<u8>> {
        let now = self.vm().block_timestamp();
        self.check_usage(usage, now)?;
        let mut out = Vec::with_capacity(feed_ids.len());
        for feed_id in feed_ids {
            out.push(U256::from(self.feed_price(feed_id, usage, now)?));
        }
        Ok(out)
    }

    /// The sequencer status: 0 up, 1 down, 2 up but in the grace period, and
    /// when the status last changed (0 when up past the grace period). Always
    /// (0, 0) without a sequencer feed.
    ///
    /// # Errors
    /// A failing sequencer feed reverts with its own error.
    pub fn sequencer_status(&self) -> Result<(u8, U256), Vec<u8>> {
        let status = self.sequencer_state(self.vm().block_timestamp())?;
        let since = match status {
            Some(SequencerStatus::Down { since } | SequencerStatus::Grace { since, .. }) => since,
            _ => 0,
        };
        Ok((status.map_or(0, SequencerStatus::code), U256::from(since)))
    }

    /// Records the settlement price of feed `feed_id` at `expiry` from round
    /// `round_id` of its primary aggregator: the first round updated at or
    /// after expiry, within the settlement window, with a valid answer. Anyone
    /// may call it after expiry; the price never changes afterwards.
    ///
    /// # Errors
    /// [`FeedNotConfigured`]; [`SettlementAlreadyRecorded`];
    /// [`SettlementUnavailable`] with its reason (none yet, outside the
    /// window, not the first round, ...).
    ///
    /// # Events
    /// [`SettlementPriceRecorded`].
    pub fn record_settlement_price(
        &mut self,
        feed_id: u32,
        expiry: u64,
        round_id: U80,
    ) -> Result<U256, Vec<u8>> {
        let key = settlement_key(feed_id, expiry);
        let (id, at) = (uint(u128::from(feed_id)), uint(u128::from(expiry)));
        let recorded = logic::low_u128(&self.settlements.get(key).0);
        if recorded != 0 {
            return Err(revert(SettlementAlreadyRecorded::SELECTOR, &[id, at, uint(recorded)]));
        }
        let feed = self.feed_config(feed_id)?;
        let bounds = Bounds {
            decimals: feed.primary_decimals,
            min_price: feed.min_price,
            max_price: feed.max_price,
        };
        let now = self.vm().block_timestamp();
        let window = u64::from(Timing::unpack(&self.timing.get().0).settlement_window);
        let unavailable = |reason: SettlementError| {
            revert(
                SettlementUnavailable::SELECTOR,
                &[id, at, uint(round_id.to::<u128>()), uint(u128::from(reason as u8))],
            )
        };
        let primary = Address::from(feed.primary);
        let data = read_round(self.vm(), primary, Some(round_id)).map_err(|_| {
            unavailable(if now < expiry {
                SettlementError::ExpiryNotReached
            } else {
                SettlementError::RoundMissing
            })
        })?;
        let round = round_of(&data);
        let price = logic::check_settlement_round(&round, &bounds, expiry, window, now)
            .map_err(unavailable)?;
        logic::check_predecessor(round.round_id, expiry, |earlier| {
            read_round(self.vm(), primary, Some(U80::from(earlier)))
                .ok()
                .map(|data| round_of(&data).updated_at)
        })
        .map_err(unavailable)?;
        self.settlements.setter(key).set(uint(price).into());
        evm::emit(
            self.vm(),
            SettlementPriceRecorded::SIGNATURE_HASH,
            &[id, at],
            &[uint(price), uint(round.round_id), uint(u128::from(round.updated_at))],
        );
        Ok(U256::from(price))
    }

    /// The recorded settlement price of feed `feed_id` at `expiry` (WAD).
    ///
    /// # Errors
    /// [`SettlementNotRecorded`].
    pub fn settlement_price(&self, feed_id: u32, expiry: u64) -> Result<U256, Vec<u8>> {
        let price = self.settlements.get(settlement_key(feed_id, expiry));
        if price.is_zero() {
            return Err(revert(
                SettlementNotRecorded::SELECTOR,
                &[uint(u128::from(feed_id)), uint(u128::from(expiry))],
            ));
        }
        Ok(price.into())
    }

    // The volatility surface.
    /// Sets the protocol strike grid on which pushed surfaces are checked
    /// (`points` log-moneyness values evenly spaced from `min_log_moneyness`
    /// to `max_log_moneyness`, WAD), the accepted volatility range (WAD) and
    /// the surface maximum age in seconds.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidConfig`]
    /// (parameter 10) outside the hard bounds (README).
    ///
    /// # Events
    /// [`SurfaceConfigured`].
    pub fn set_surface_config(
        &mut self,
        min_log_moneyness: I256,
        max_log_moneyness: I256,
        points: u8,
        min_volatility: U256,
        max_volatility: U256,
        max_age: u32,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        let config = SurfaceConfig {
            min_log_moneyness: logic::narrow(&min_log_moneyness.to_be_bytes()),
            max_log_moneyness: logic::narrow(&max_log_moneyness.to_be_bytes()),
            points,
            min_volatility: u128::try_from(min_volatility).unwrap_or(u128::MAX),
            max_volatility: u128::try_from(max_volatility).unwrap_or(u128::MAX),
            max_age: u64::from(max_age),
        };
        if !config.is_valid() {
            return Err(config_error(0, parameter::SURFACE));
        }
        let (grid, limits) = config.pack();
        self.surface_grid.set(grid.into());
        self.surface_limits.set(limits.into());
        evm::emit(
            self.vm(),
            SurfaceConfigured::SIGNATURE_HASH,
            &[],
            &[
                int(config.min_log_moneyness),
                int(config.max_log_moneyness),
                uint(u128::from(points)),
                uint(config.min_volatility),
                uint(config.max_volatility),
                uint(u128::from(max_age)),
            ],
        );
        Ok(())
    }

    /// Pushes the volatility slice of feed `feed_id` at `expiry`: SVI raw
    /// parameters (WAD, kept to 12 decimals) of the total implied variance
    /// `w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))` over the time
    /// from now to expiry, with `k = ln(strike / forward)`.
    ///
    /// # Errors
    /// `Unauthorized` without the volatility-updater role; [`InvalidSurface`],
    /// [`VolatilityOutOfBounds`], [`ButterflyArbitrage`] on the protocol
    /// strike grid, [`CalendarArbitrage`] against the nearest live expiries of
    /// the same feed (pushed within the surface maximum age).
    ///
    /// # Events
    /// [`VolatilitySurfaceSet`].
    #[allow(clippy::too_many_arguments)]
    pub fn set_volatility_surface(
        &mut self,
        feed_id: u32,
        expiry: u64,
        forward: U256,
        a: I256,
        b: I256,
        rho: I256,
        m: I256,
        sigma: I256,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_role(VOLATILITY_UPDATER)?;
        let now = self.vm().block_timestamp();
        let invalid = |reason: u8| surface_error(feed_id, expiry, SurfaceError::Invalid(reason));
        let config = self.surface_config();
        if config.points == 0 {
            return Err(invalid(logic::invalid::NOT_CONFIGURED));
        }
        let wad = |x: I256| logic::narrow(&x.to_be_bytes());
        let (a, b, rho, m, sigma) = (wad(a), wad(b), wad(rho), wad(m), wad(sigma));
        let Ok(forward) = u128::try_from(forward) else {
            return Err(invalid(logic::invalid::FORWARD));
        };
        let slice =
            Slice { svi: Svi { a, b, rho, m, sigma }, forward, pushed_at: now, expiry }.truncated();
        let Some((params, meta)) = slice.pack() else {
            return Err(invalid(logic::invalid::PARAMETERS));
        };
        let (previous, next, known) = self.neighbours(feed_id, expiry, now, config.max_age);
        logic::check_slice(&slice, &config, previous.as_ref(), next.as_ref(), now)
            .map_err(|e| surface_error(feed_id, expiry, e))?;
        if !known {
            let mut list = self.expiries.setter(feed_id);
            if list.len() >= logic::MAX_EXPIRIES {
                return Err(invalid(logic::invalid::TOO_MANY_EXPIRIES));
            }
            list.push(alloy_primitives::Uint::from(expiry));
        }
        let mut outer = self.surfaces.setter(feed_id);
        let mut stored = outer.setter(expiry);
        stored.params.set(params.into());
        stored.meta.set(meta.into());
        let svi = &slice.svi;
        evm::emit(
            self.vm(),
            VolatilitySurfaceSet::SIGNATURE_HASH,
            &[uint(u128::from(feed_id)), uint(u128::from(expiry))],
            &[uint(forward), int(svi.a), int(svi.b), int(svi.rho), int(svi.m), int(svi.sigma)],
        );
        Ok(())
    }

    /// Annualised implied volatility (WAD) of feed `feed_id` at `expiry` and
    /// `strike` (WAD), clamped to the configured volatility bounds, for a
    /// `usage` as in [`Self::price`]: adding risk (0) needs a slice pushed
    /// within the surface's maximum age; reducing risk and liquidating (1, 2)
    /// take the latest slice however old, so that no position waits for a
    /// push to be closed or liquidated.
    ///
    /// # Errors
    /// [`InvalidUsage`], [`SurfaceNotSet`], [`StaleSurface`] (usage 0 only),
    /// [`VolatilityUnavailable`].
    pub fn volatility(
        &self,
        feed_id: u32,
        expiry: u64,
        strike: U256,
        usage: u8,
    ) -> Result<U256, Vec<u8>> {
        if usage > logic::USAGE_REDUCE_RISK_HIGH {
            return Err(revert(InvalidUsage::SELECTOR, &[uint(u128::from(usage))]));
        }
        let now = self.vm().block_timestamp();
        let config = self.surface_config();
        let (id, at) = (uint(u128::from(feed_id)), uint(u128::from(expiry)));
        let Some(slice) = self.slice(feed_id, expiry) else {
            return Err(revert(SurfaceNotSet::SELECTOR, &[id, at]));
        };
        if usage == logic::USAGE_ADD_RISK && now.saturating_sub(slice.pushed_at) > config.max_age {
            return Err(revert(
                StaleSurface::SELECTOR,
                &[
                    id,
                    at,
                    uint(u128::from(slice.pushed_at)),
                    uint(u128::from(config.max_age)),
                    uint(u128::from(now)),
                ],
            ));
        }
        u128::try_from(strike)
            .ok()
            .and_then(|strike| logic::volatility_at(&slice, &config, strike).ok())
            .map(U256::from)
            .ok_or_else(|| revert(VolatilityUnavailable::SELECTOR, &[id, at, strike.to_be_bytes()]))
    }

    /// [`Self::volatility`] of several options in one call, one query word
    /// each: `strike << 96 | expiry << 32 | feedId` (strike in WAD, below
    /// 2^128). Returns the volatilities in query order.
    ///
    /// # Errors
    /// As [`Self::volatility`], for the first query that fails.
    // The ABI hands arrays over by value.
    #[allow(clippy::needless_pass_by_value)]
    pub fn volatilities(&self, queries: Vec<U256>, usage: u8) -> Result<Vec<U256>, Vec<u8>> {
        let mut out = Vec::with_capacity(queries.len());
        for query in &queries {
            let [low, high, ..] = *query.as_limbs();
            // Bits 0..32 are the feed, 32..96 the expiry: truncation is the point.
            #[allow(clippy::cast_possible_truncation)]
            let (feed_id, expiry) = (low as u32, (low >> 32) | (high << 32));
            out.push(self.volatility(feed_id, expiry, *query >> 96, usage)?);
        }
        Ok(out)
    }
}

impl OracleAdapter {
    /// Logs feed `feed_id`'s configuration under event `signature`
    /// ([`FeedConfigured`], or [`FeedChangeAnnounced`] with `effective_at`).
    fn log_feed(
        &self,
        signature: B256,
        feed_id: u32,
        config: &FeedConfig,
        effective_at: Option<u64>,
    ) {
        let mut data = vec![
            uint(u128::from(config.max_age)),
            uint(u128::from(config.max_age_lenient)),
            uint(u128::from(config.max_deviation_bps)),
            uint(config.min_price),
            uint(config.max_price),
        ];
        data.extend(effective_at.map(|at| uint(u128::from(at))));
        let topics = [
            uint(u128::from(feed_id)),
            addr(Address::from(config.primary)),
            addr(Address::from(config.secondary)),
        ];
        evm::emit(self.vm(), signature, &topics, &data);
    }

    fn decimals_of(&self, feed_id: u32, feed: Address) -> Result<u8, Vec<u8>> {
        let decimals: u8 =
            calls::view(self.vm(), feed, &calldata(aggregator::DECIMALS, &[]))?.read()?;
        if decimals > logic::MAX_FEED_DECIMALS {
            return Err(config_error(feed_id, parameter::DECIMALS));
        }
        Ok(decimals)
    }

    /// The configuration of a feed that exists.
    fn feed_config(&self, feed_id: u32) -> Result<FeedConfig, Vec<u8>> {
        let feed = self.feeds.getter(feed_id);
        let main = feed.main.get().0;
        // A single-source feed skips the secondary's slot.
        let secondary =
            if FeedConfig::has_secondary(&main) { feed.secondary.get().0 } else { [0u8; 32] };
        let config = FeedConfig::unpack(&main, &secondary, &feed.bounds.get().0);
        if config.primary == [0u8; 20] {
            return Err(revert(FeedNotConfigured::SELECTOR, &[uint(u128::from(feed_id))]));
        }
        Ok(config)
    }

    /// The sequencer status, or `None` without a sequencer feed.
    fn sequencer_state(&self, now: u64) -> Result<Option<SequencerStatus>, Vec<u8>> {
        let timing = Timing::unpack(&self.timing.get().0);
        let feed = Address::from(timing.sequencer);
        if feed.is_zero() {
            return Ok(None);
        }
        let data = read_round(self.vm(), feed, None)?;
        let round = round_of(&data);
        Ok(Some(logic::sequencer_status(
            round.answer,
            round.started_at,
            u64::from(timing.grace_period),
            now,
        )))
    }

    /// What every price checks once: the usage, the pause (strict only) and
    /// the sequencer (down refuses every usage; the grace period only strict).
    fn check_usage(&self, usage: u8, now: u64) -> Result<(), Vec<u8>> {
        if usage > logic::USAGE_REDUCE_RISK_HIGH {
            return Err(revert(InvalidUsage::SELECTOR, &[uint(u128::from(usage))]));
        }
        let strict = usage == logic::USAGE_ADD_RISK;
        if strict {
            self.roles.when_not_paused()?;
        }
        match self.sequencer_state(now)? {
            Some(SequencerStatus::Down { since }) => {
                Err(revert(SequencerDown::SELECTOR, &[uint(u128::from(since))]))
            }
            Some(SequencerStatus::Grace { since, until }) if strict => Err(revert(
                SequencerGracePeriod::SELECTOR,
                &[uint(u128::from(since)), uint(u128::from(until))],
            )),
            _ => Ok(()),
        }
    }

    /// One feed's price for `usage` (already validated).
    fn feed_price(&self, feed_id: u32, usage: u8, now: u64) -> Result<u128, Vec<u8>> {
        let feed = self.feed_config(feed_id)?;
        let strict = usage == logic::USAGE_ADD_RISK;
        let max_age = u64::from(if strict { feed.max_age } else { feed.max_age_lenient });
        let mut bounds = Bounds {
            decimals: feed.primary_decimals,
            min_price: feed.min_price,
            max_price: feed.max_price,
        };
        let primary =
            match self.source_price(feed_id, Address::from(feed.primary), &bounds, max_age, now) {
                Err(error) if strict => return Err(error),
                checked => checked,
            };
        let secondary = if feed.secondary == [0u8; 20] {
            None
        } else {
            bounds.decimals = feed.secondary_decimals;
            let checked =
                self.source_price(feed_id, Address::from(feed.secondary), &bounds, max_age, now);
            // Strict fails closed on a broken secondary; lenient ignores it.
            if strict {
                Some(checked?)
            } else {
                checked.ok()
            }
        };
        // Lenient falls back on a usable secondary when the primary is not
        // (closes and liquidations go on), and fails with the primary's
        // error when neither is.
        let primary = match (primary, secondary) {
            (Ok(price), _) => price,
            (Err(_), Some(secondary)) if !strict => return Ok(secondary),
            (Err(error), _) => return Err(error),
        };
        let max_deviation_bps = u64::from(feed.max_deviation_bps);
        match logic::combine(usage, primary, secondary, max_deviation_bps) {
            Combined::Price(price) => Ok(price),
            Combined::Deviation { deviation_bps } => Err(revert(
                PriceDeviation::SELECTOR,
                &[
                    uint(u128::from(feed_id)),
                    uint(primary),
                    uint(secondary.unwrap_or_default()),
                    uint(deviation_bps),
                    uint(u128::from(max_deviation_bps)),
                ],
            )),
        }
    }

    /// The checked price of one source.
    fn source_price(
        &self,
        feed_id: u32,
        source: Address,
        bounds: &Bounds,
        max_age: u64,
        now: u64,
    ) -> Result<u128, Vec<u8>> {
        let data = read_round(self.vm(), source, None)?;
        logic::check_round(&round_of(&data), bounds, max_age, now)
            .map_err(|e| price_error(feed_id, source, e, &data, bounds, now))
    }

    fn surface_config(&self) -> SurfaceConfig {
        SurfaceConfig::unpack(&self.surface_grid.get().0, &self.surface_limits.get().0)
    }

    fn slice(&self, feed_id: u32, expiry: u64) -> Option<Slice> {
        let outer = self.surfaces.getter(feed_id);
        let stored = outer.getter(expiry);
        let slice = Slice::unpack(&stored.params.get().0, &stored.meta.get().0, expiry);
        (slice.pushed_at != 0).then_some(slice)
    }

    /// The nearest live slices before and after `expiry` (expiring after `now`
    /// and pushed within `max_age`), and whether `expiry` is already listed.
    /// Expired entries are dropped from the list on the way.
    fn neighbours(
        &mut self,
        feed_id: u32,
        expiry: u64,
        now: u64,
        max_age: u64,
    ) -> (Option<Slice>, Option<Slice>, bool) {
        let mut list = self.expiries.setter(feed_id);
        let (mut previous, mut next, mut known) = (0u64, u64::MAX, false);
        let mut i = 0;
        while i < list.len() {
            let listed = list.get(i).map_or(0, |x| x.to::<u64>());
            if listed <= now {
                // Swap-remove the expired entry; index `i` now holds the last one.
                let moved = list.pop().map_or(0, |x| x.to::<u64>());
                if let Some(mut slot) = list.setter(i) {
                    slot.set(alloy_primitives::Uint::from(moved));
                }
                continue;
            }
            if listed == expiry {
                known = true;
            } else if listed < expiry && listed > previous {
                previous = listed;
            } else if listed > expiry && listed < next {
                next = listed;
            }
            i += 1;
        }
        let live = |this: &Self, at: u64| {
            this.slice(feed_id, at).filter(|slice| now - slice.pushed_at <= max_age)
        };
        let previous = if previous == 0 { None } else { live(self, previous) };
        let next = if next == u64::MAX { None } else { live(self, next) };
        (previous, next, known)
    }
}

#[cfg(test)]
mod tests;

/// The WASM dispatcher serves exactly the interface `export-abi` prints.
#[cfg(test)]
#[test]
fn the_dispatcher_serves_the_exported_interface() {
    let source = include_str!("../../../abi/OracleAdapter.sol");
    bulwark_common::dispatch::assert_dispatches(&signatures(), source, "IOracleAdapter");
}
