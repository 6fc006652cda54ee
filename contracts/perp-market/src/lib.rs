//! PerpMarket: perpetual futures priced at the oracle price adjusted for
//! skew, with funding that drifts with skew.
//!
//! It holds no positions or balances: RiskEngine applies every trade. It
//! calls RiskEngine and the OracleAdapter only.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, I256, U256};
use bulwark_common::{roles::Roles, units::WAD};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageI256, StorageMap, StorageU256, StorageU32},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/perp.sol"
    );
}
pub use sol::*;

/// Errors of the PerpMarket.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`MarketNotFound`].
    MarketNotFound(MarketNotFound),
    /// See [`InvalidMarketParams`].
    InvalidMarketParams(InvalidMarketParams),
}

/// Largest fee a market may charge (1%, WAD).
pub const MAX_FEE: U256 = U256::from_limbs([10_000_000_000_000_000, 0, 0, 0]);

/// One market's parameters and state.
#[storage]
pub struct Market {
    feed_id: StorageU32,
    /// Size (WAD, base units) at which the skew premium reaches 100%.
    skew_scale: StorageU256,
    maker_fee: StorageU256,
    taker_fee: StorageU256,
    max_open_interest: StorageU256,
    /// Long open interest minus short open interest (WAD, base units).
    skew: StorageI256,
}

/// The PerpMarket's state.
#[entrypoint]
#[storage]
pub struct PerpMarket {
    #[borrow]
    roles: Roles,
    risk_engine: StorageAddress,
    oracle: StorageAddress,
    markets: StorageMap<u32, Market>,
    market_count: StorageU32,
}

#[public]
#[inherit(Roles)]
impl PerpMarket {
    /// Creates the market contract with its admin, RiskEngine and OracleAdapter.
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

    /// Creates a market on oracle feed `feed_id`; returns its id (1, 2, ...).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidMarketParams`]
    /// for a zero skew scale or open-interest cap, or a fee above [`MAX_FEE`].
    ///
    /// # Events
    /// [`MarketCreated`].
    pub fn create_market(
        &mut self,
        feed_id: u32,
        skew_scale: U256,
        maker_fee: U256,
        taker_fee: U256,
        max_open_interest: U256,
    ) -> Result<u32, Vec<u8>> {
        self.roles.only_admin()?;
        let market_id = self.market_count.get().to::<u32>() + 1;
        if skew_scale.is_zero()
            || max_open_interest.is_zero()
            || maker_fee > MAX_FEE
            || taker_fee > MAX_FEE
        {
            return Err(Error::from(InvalidMarketParams { marketId: market_id }).into());
        }
        let mut market = self.markets.setter(market_id);
        market.feed_id.set(alloy_primitives::Uint::from(feed_id));
        market.skew_scale.set(skew_scale);
        market.maker_fee.set(maker_fee);
        market.taker_fee.set(taker_fee);
        market.max_open_interest.set(max_open_interest);
        self.market_count.set(alloy_primitives::Uint::from(market_id));
        log(
            self.vm(),
            MarketCreated {
                marketId: market_id,
                feedId: feed_id,
                skewScale: skew_scale,
                makerFee: maker_fee,
                takerFee: taker_fee,
                maxOpenInterest: max_open_interest,
            },
        );
        Ok(market_id)
    }

    /// Fill price of a trade of `size_delta` at `oracle_price`: the oracle
    /// price times one plus the average skew before and after the trade over
    /// the skew scale. Trades that add skew pay a premium; trades that reduce
    /// it get a discount.
    ///
    /// # Errors
    /// [`MarketNotFound`]; [`InvalidMarketParams`] when the premium would
    /// take the price to zero or overflow.
    pub fn fill_price(
        &self,
        market_id: u32,
        oracle_price: U256,
        size_delta: I256,
    ) -> Result<U256, Vec<u8>> {
        let market = self.markets.getter(market_id);
        let skew_scale = market.skew_scale.get();
        if skew_scale.is_zero() {
            return Err(Error::from(MarketNotFound { marketId: market_id }).into());
        }
        let invalid =
            || -> Vec<u8> { Error::from(InvalidMarketParams { marketId: market_id }).into() };
        let skew = market.skew.get();
        // premium = (2 skew + delta) / (2 skew_scale), in WAD.
        let twice_skew_after = skew
            .checked_mul(I256::try_from(2).map_err(|_| invalid())?)
            .and_then(|s| s.checked_add(size_delta))
            .ok_or_else(invalid)?;
        let scale = I256::try_from(skew_scale).map_err(|_| invalid())?;
        let wad = I256::try_from(WAD).map_err(|_| invalid())?;
        let premium = twice_skew_after.checked_mul(wad).ok_or_else(invalid)?
            / (scale * I256::try_from(2).map_err(|_| invalid())?);
        let factor = wad.checked_add(premium).filter(|f| f.is_positive()).ok_or_else(invalid)?;
        oracle_price.checked_mul(factor.into_raw()).map(|p| p / WAD).ok_or_else(invalid)
    }

    /// Number of markets created.
    pub fn market_count(&self) -> u32 {
        self.market_count.get().to()
    }
}
