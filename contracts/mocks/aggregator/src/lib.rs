//! MOCK, for tests only: a Chainlink-compatible price feed
//! (`AggregatorV3Interface`) whose rounds a test writes directly, including
//! stale, incomplete, negative and out-of-order ones. Also serves as the L2
//! sequencer uptime feed (answer 0 = up, 1 = down; `startedAt` = when the
//! status last changed). Never deployed to a real chain.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U80, I256, U256};
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageI256, StorageMap, StorageU256, StorageU64, StorageU8},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/errors.sol"
    );
}
pub use sol::*;

/// Errors of the mock feed.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`RoundNotFound`].
    RoundNotFound(RoundNotFound),
    /// See [`RoundIdNotIncreasing`].
    RoundIdNotIncreasing(RoundIdNotIncreasing),
}

/// One round as Chainlink reports it.
#[storage]
pub struct Round {
    answer: StorageI256,
    started_at: StorageU64,
    updated_at: StorageU64,
    answered_in_round: StorageU64,
    written: StorageBool,
}

/// The mock feed's state.
#[entrypoint]
#[storage]
pub struct MockAggregator {
    rounds: StorageMap<u64, Round>,
    latest_round: StorageU64,
    decimals: StorageU8,
    version: StorageU256,
}

/// What `latestRoundData` and `getRoundData` return.
type RoundData = (U80, I256, U256, U256, U80);

#[public]
impl MockAggregator {
    /// Creates a feed with `decimals` and no rounds.
    #[constructor]
    pub fn constructor(&mut self, decimals: u8) {
        self.decimals.set(alloy_primitives::Uint::from(decimals));
        self.version.set(U256::from(4u8));
    }

    /// Decimals of the answers.
    pub fn decimals(&self) -> u8 {
        self.decimals.get().to()
    }

    /// Aggregator version (Chainlink reports 4 for OCR feeds).
    pub fn version(&self) -> U256 {
        self.version.get()
    }

    /// Writes a complete round `latest + 1` stamped now.
    ///
    /// # Events
    /// [`AnswerUpdated`].
    pub fn push_answer(&mut self, answer: I256) -> Result<(), Error> {
        let now = self.vm().block_timestamp();
        let id = self.latest_round.get().to::<u64>() + 1;
        self.set_round(U80::from(id), answer, U256::from(now), U256::from(now), U80::from(id))
    }

    /// Writes round `round_id` with every field chosen by the test, and makes
    /// it the latest. Stale (`updated_at` in the past), incomplete
    /// (`updated_at` = 0) and carried-over (`answered_in_round < round_id`)
    /// rounds are all allowed: that is what the mock is for.
    ///
    /// # Errors
    /// [`RoundIdNotIncreasing`] unless `round_id` is above the latest round.
    ///
    /// # Events
    /// [`AnswerUpdated`].
    pub fn set_round(
        &mut self,
        round_id: U80,
        answer: I256,
        started_at: U256,
        updated_at: U256,
        answered_in_round: U80,
    ) -> Result<(), Error> {
        let id = round_id.to::<u64>();
        let latest = self.latest_round.get().to::<u64>();
        if id <= latest {
            return Err(RoundIdNotIncreasing {
                roundId: round_id,
                latestRoundId: U80::from(latest),
            }
            .into());
        }
        let mut round = self.rounds.setter(id);
        round.answer.set(answer);
        round.started_at.set(alloy_primitives::Uint::from(started_at.saturating_to::<u64>()));
        round.updated_at.set(alloy_primitives::Uint::from(updated_at.saturating_to::<u64>()));
        round.answered_in_round.set(alloy_primitives::Uint::from(answered_in_round.to::<u64>()));
        round.written.set(true);
        self.latest_round.set(alloy_primitives::Uint::from(id));
        log(
            self.vm(),
            AnswerUpdated { current: answer, roundId: U256::from(id), updatedAt: updated_at },
        );
        Ok(())
    }

    /// The latest round.
    ///
    /// # Errors
    /// [`RoundNotFound`] before the first round.
    pub fn latest_round_data(&self) -> Result<RoundData, Error> {
        self.round(self.latest_round.get().to::<u64>())
    }

    /// Round `round_id`.
    ///
    /// # Errors
    /// [`RoundNotFound`] for a round never written.
    pub fn get_round_data(&self, round_id: U80) -> Result<RoundData, Error> {
        self.round(round_id.saturating_to::<u64>())
    }
}

impl MockAggregator {
    fn round(&self, id: u64) -> Result<RoundData, Error> {
        let round = self.rounds.getter(id);
        if !round.written.get() {
            return Err(RoundNotFound { roundId: U80::from(id) }.into());
        }
        Ok((
            U80::from(id),
            round.answer.get(),
            U256::from(round.started_at.get()),
            U256::from(round.updated_at.get()),
            U80::from(round.answered_in_round.get()),
        ))
    }
}
