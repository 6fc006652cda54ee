//! OptionsMarket: European cash-settled options written and bought by the
//! pool, priced with Black-Scholes on the oracle's volatility surface.
//!
//! It holds no positions or balances: RiskEngine applies every trade. It
//! calls RiskEngine and the OracleAdapter only.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolValue;
use bulwark_common::roles::Roles;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU32, StorageU64},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/options.sol"
    );
}
pub use sol::*;

/// Errors of the OptionsMarket.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`SeriesAlreadyListed`].
    SeriesAlreadyListed(SeriesAlreadyListed),
    /// See [`InvalidExpiry`].
    InvalidExpiry(InvalidExpiry),
    /// See [`InvalidStrike`].
    InvalidStrike(InvalidStrike),
}

/// Time of day at which every series expires: 08:00 UTC, in seconds.
pub const EXPIRY_TIME_OF_DAY: u64 = 8 * 60 * 60;

/// One option series.
#[storage]
pub struct Series {
    listed: StorageBool,
    underlying: StorageU32,
    expiry: StorageU64,
    is_call: StorageBool,
    strike: StorageU256,
}

/// The OptionsMarket's state.
#[entrypoint]
#[storage]
pub struct OptionsMarket {
    #[borrow]
    roles: Roles,
    risk_engine: StorageAddress,
    oracle: StorageAddress,
    series: StorageMap<B256, Series>,
}

#[public]
#[inherit(Roles)]
impl OptionsMarket {
    /// Creates the market with its admin, RiskEngine and OracleAdapter.
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        risk_engine: Address,
        oracle: Address,
    ) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        self.risk_engine.set(risk_engine);
        self.oracle.set(oracle);
        Ok(())
    }

    /// The deterministic id of a series: keccak256 of its ABI-encoded terms.
    pub fn series_id(&self, underlying: u32, strike: U256, expiry: u64, is_call: bool) -> B256 {
        series_id(underlying, strike, expiry, is_call)
    }

    /// Lists a series; returns its id.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidStrike`] for a
    /// zero strike; [`InvalidExpiry`] for an expiry not in the future or not
    /// at [`EXPIRY_TIME_OF_DAY`]; [`SeriesAlreadyListed`].
    ///
    /// # Events
    /// [`SeriesListed`].
    pub fn list_series(
        &mut self,
        underlying: u32,
        strike: U256,
        expiry: u64,
        is_call: bool,
    ) -> Result<B256, Vec<u8>> {
        self.roles.only_admin()?;
        if strike.is_zero() {
            return Err(Error::from(InvalidStrike { strike }).into());
        }
        let now = self.vm().block_timestamp();
        if expiry <= now || expiry % 86_400 != EXPIRY_TIME_OF_DAY {
            return Err(Error::from(InvalidExpiry { expiry, now }).into());
        }
        let id = series_id(underlying, strike, expiry, is_call);
        if self.series.getter(id).listed.get() {
            return Err(Error::from(SeriesAlreadyListed { seriesId: id }).into());
        }
        let mut series = self.series.setter(id);
        series.listed.set(true);
        series.underlying.set(alloy_primitives::Uint::from(underlying));
        series.expiry.set(alloy_primitives::Uint::from(expiry));
        series.is_call.set(is_call);
        series.strike.set(strike);
        log(self.vm(), SeriesListed { seriesId: id, underlying, strike, expiry, isCall: is_call });
        Ok(id)
    }

    /// Whether a series is listed.
    pub fn is_listed(&self, series_id: B256) -> bool {
        self.series.getter(series_id).listed.get()
    }
}

/// keccak256(abi.encode(underlying, strike, expiry, isCall)).
fn series_id(underlying: u32, strike: U256, expiry: u64, is_call: bool) -> B256 {
    alloy_primitives::keccak256((underlying, strike, expiry, is_call).abi_encode())
}
