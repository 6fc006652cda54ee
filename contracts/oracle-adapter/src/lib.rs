//! OracleAdapter: turns Chainlink-style feeds into 18-decimal prices that the
//! rest of Bulwark can trust, and refuses the ones it cannot.
//!
//! It never calls another Bulwark contract; it only reads price feeds.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, I256, U256};
use bulwark_common::{
    interfaces::IAggregatorV3,
    roles::Roles,
    units::{to_wad, Rounding},
};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageI256, StorageMap, StorageU64, StorageU8},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/oracle.sol"
    );
}
pub use sol::*;

/// Errors of the OracleAdapter.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`FeedNotConfigured`].
    FeedNotConfigured(FeedNotConfigured),
    /// See [`InvalidFeedConfig`].
    InvalidFeedConfig(InvalidFeedConfig),
    /// See [`NonPositiveAnswer`].
    NonPositiveAnswer(NonPositiveAnswer),
    /// See [`StalePrice`].
    StalePrice(StalePrice),
    /// See [`PriceOutOfBounds`].
    PriceOutOfBounds(PriceOutOfBounds),
}

/// Longest maximum age a feed may be given (one day).
pub const MAX_FEED_AGE: u64 = 86_400;

/// One feed's configuration.
#[storage]
pub struct Feed {
    primary: StorageAddress,
    max_age: StorageU64,
    decimals: StorageU8,
    min_answer: StorageI256,
    max_answer: StorageI256,
}

/// The OracleAdapter's state.
#[entrypoint]
#[storage]
pub struct OracleAdapter {
    #[borrow]
    roles: Roles,
    feeds: StorageMap<u32, Feed>,
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
        Ok(self.roles.init(admin)?)
    }

    /// Configures feed `feed_id`: its aggregator, maximum age in seconds and
    /// the accepted answer range (in the feed's own decimals).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidFeedConfig`]
    /// for a zero aggregator, a maximum age of zero or above [`MAX_FEED_AGE`],
    /// or an empty or non-positive answer range; a feed that does not answer
    /// `decimals()` reverts with its own error.
    ///
    /// # Events
    /// [`FeedConfigured`].
    pub fn set_feed(
        &mut self,
        feed_id: u32,
        primary: Address,
        max_age: u64,
        min_answer: I256,
        max_answer: I256,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if primary.is_zero()
            || max_age == 0
            || max_age > MAX_FEED_AGE
            || min_answer <= I256::ZERO
            || max_answer <= min_answer
        {
            return Err(Error::from(InvalidFeedConfig { feedId: feed_id }).into());
        }
        let decimals = IAggregatorV3::new(primary)
            .decimals(&*self)
            .map_err(|e| bulwark_common::calls::revert_data(primary, e))?;
        let mut feed = self.feeds.setter(feed_id);
        feed.primary.set(primary);
        feed.max_age.set(alloy_primitives::Uint::from(max_age));
        feed.decimals.set(alloy_primitives::Uint::from(decimals));
        feed.min_answer.set(min_answer);
        feed.max_answer.set(max_answer);
        log(
            self.vm(),
            FeedConfigured {
                feedId: feed_id,
                primary,
                maxAge: max_age,
                minAnswer: min_answer,
                maxAnswer: max_answer,
            },
        );
        Ok(())
    }

    /// The latest price of feed `feed_id` in 18 decimals, refused when it is
    /// stale, out of bounds or not positive.
    ///
    /// # Errors
    /// [`FeedNotConfigured`], [`StalePrice`], [`PriceOutOfBounds`],
    /// [`NonPositiveAnswer`]; a failing feed reverts with its own error.
    pub fn price(&self, feed_id: u32) -> Result<U256, Vec<u8>> {
        let feed = self.feeds.getter(feed_id);
        let primary = feed.primary.get();
        if primary.is_zero() {
            return Err(Error::from(FeedNotConfigured { feedId: feed_id }).into());
        }
        let (_, answer, _, updated_at, _) = IAggregatorV3::new(primary)
            .latest_round_data(self)
            .map_err(|e| bulwark_common::calls::revert_data(primary, e))?;
        let now = U256::from(self.vm().block_timestamp());
        let max_age = U256::from(feed.max_age.get());
        if updated_at > now || now - updated_at > max_age {
            return Err(Error::from(StalePrice {
                feedId: feed_id,
                updatedAt: updated_at,
                maxAge: max_age,
                now,
            })
            .into());
        }
        if answer <= I256::ZERO {
            return Err(Error::from(NonPositiveAnswer { feedId: feed_id, answer }).into());
        }
        let (min_answer, max_answer) = (feed.min_answer.get(), feed.max_answer.get());
        if answer < min_answer || answer > max_answer {
            return Err(Error::from(PriceOutOfBounds {
                feedId: feed_id,
                answer,
                minAnswer: min_answer,
                maxAnswer: max_answer,
            })
            .into());
        }
        // answer > 0 was checked above, so the cast keeps its value.
        let raw = answer.into_raw();
        to_wad(raw, feed.decimals.get().to(), Rounding::Down).ok_or_else(|| {
            Error::from(PriceOutOfBounds {
                feedId: feed_id,
                answer,
                minAnswer: min_answer,
                maxAnswer: max_answer,
            })
            .into()
        })
    }
}
