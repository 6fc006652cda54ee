//! The deployable MarginEngine: no state, no roles. It loads what a book
//! needs from the Vault, the OracleAdapter and PerpMarket (views only: a
//! perp's margin rates, skew and funding are PerpMarket's), runs
//! [`evaluate`] and, for a liquidation, [`liquidation::plan`], and returns
//! the numbers. Anyone may call it; it changes nothing, so a caller can only
//! learn numbers about accounts whose state is public anyway.

use alloc::vec::Vec;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolError;
use bulwark_common::{
    calls::{self, calldata, calldata_with_array},
    evm::{self, revert, uint, uint256},
    interfaces::{oracle, oracle_usage, perp_market, vault},
    replies::{MarketInputs, Snapshot},
    units::i256,
};
use stylus_sdk::prelude::*;

use crate::{
    book::{Book, PlanLeg, PlanReply},
    liquidation,
    margin::{self, evaluate, to_signed, Evaluation, Portfolio},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/margin.sol"
    );
}
pub use sol::*;

/// The MarginEngine has no state.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct MarginEngine {}

bulwark_common::dispatch! {
    MarginEngine;
    "margin(uint256,address,address,address,uint8,uint256[])" => margin(account, vault, oracle, perp_market, usage, book) -> (equity, initialMargin, maintenanceMargin);
    "liquidationPlan(uint256,address,address,address,uint256[])" => liquidation_plan(account, vault, oracle, perp_market, book);
}

/// An account's book valued: the portfolio and what the Vault reported.
struct Loaded {
    portfolio: Portfolio,
    /// Quote cash, WAD.
    cash: i128,
    /// Whether the account holds collateral other than quote cash.
    other_collateral: bool,
}

/// The contracts a valuation reads, and how.
struct Sources {
    account: U256,
    vault: Address,
    oracle: Address,
    /// PerpMarket: each perp's market parameters, skew and funding.
    perp_market: Address,
    /// Oracle usage ([`oracle_usage`]).
    usage: u8,
}

#[public]
impl MarginEngine {
    /// `(equity, initialMargin, maintenanceMargin)` of `account`'s `book`
    /// (quote WAD): collateral from `vault` after haircuts, prices and
    /// volatilities from `oracle` with `usage`, each perp's margin rates,
    /// skew and funding accrued to now from `perpMarket`.
    ///
    /// # Errors
    /// [`InvalidBook`]; [`ValueOutOfRange`]; the oracle's and Vault's errors.
    // The ABI hands arrays over by value.
    #[allow(clippy::needless_pass_by_value)]
    pub fn margin(
        &self,
        account: U256,
        vault: Address,
        oracle: Address,
        perp_market: Address,
        usage: u8,
        book: Vec<U256>,
    ) -> Result<(I256, U256, U256), Vec<u8>> {
        let sources = Sources { account, vault, oracle, perp_market, usage };
        let (_, evaluation) = self.evaluation(&sources, &book)?;
        let health = evaluation.health().map_err(|_| out_of_range(account))?;
        Ok((i256(health.equity), U256::from(health.initial), U256::from(health.maintenance)))
    }

    /// What liquidating `account`'s `book` now would do, at lenient-low
    /// prices, with each perp's market and funding accrued to now from
    /// `perpMarket`, as one array: [`PlanReply`]'s words
    /// ([`PlanReply::encode`] lists them; RiskEngine reads them with
    /// [`PlanReply::decode`]).
    ///
    /// # Errors
    /// [`InvalidBook`]; [`ValueOutOfRange`]; the oracle's and Vault's errors.
    // The ABI hands arrays over by value.
    #[allow(clippy::needless_pass_by_value)]
    pub fn liquidation_plan(
        &self,
        account: U256,
        vault: Address,
        oracle: Address,
        perp_market: Address,
        book: Vec<U256>,
    ) -> Result<Vec<U256>, Vec<u8>> {
        let usage = oracle_usage::REDUCE_RISK_LOW;
        let sources = Sources { account, vault, oracle, perp_market, usage };
        let (loaded, evaluation) = self.evaluation(&sources, &book)?;
        let range = || out_of_range(account);
        let health = evaluation.health().map_err(|_| range())?;
        let planned = liquidation::plan_with(&evaluation, &health).map_err(|_| range())?;
        let mut reply = PlanReply {
            equity: health.equity,
            maintenance: health.maintenance,
            cash: loaded.cash,
            ..PlanReply::default()
        };
        let Some(plan) = planned else {
            return Ok(reply.encode());
        };
        reply.liquidatable = true;
        reply.maintenance_after = plan.maintenance_after;
        reply.to_liquidator = plan.to_liquidator;
        reply.to_insurance = plan.to_insurance;
        // Collateral backs the account's debt only while equity stays >= 0.
        reply.debt_backed = loaded.other_collateral && plan.equity_after >= 0;
        reply.closed_all =
            plan.remaining.iter().zip(&evaluation.legs).all(|(r, leg)| *r == 0 || !leg.closable);
        let perps = &loaded.portfolio.perps;
        for (index, remaining) in plan.remaining.iter().enumerate() {
            let leg = &evaluation.legs[index];
            let kept = evaluation.remaining_size(index, *remaining);
            reply.legs.push(PlanLeg {
                closed: leg.size.checked_sub(kept).ok_or_else(range)?,
                value: leg.value,
                spot: leg.spot,
                funding_index: perps.get(index).map_or(0, |p| p.funding_index),
            });
        }
        Ok(reply.encode())
    }
}

/// [`ValueOutOfRange`] as revert data.
fn out_of_range(account: U256) -> Vec<u8> {
    revert(ValueOutOfRange::SELECTOR, &[uint256(account)])
}

impl MarginEngine {
    /// Loads and evaluates a book.
    fn evaluation(
        &self,
        sources: &Sources,
        book: &[U256],
    ) -> Result<(Loaded, Evaluation), Vec<u8>> {
        let book = Book::decode(book)
            .ok_or_else(|| revert(InvalidBook::SELECTOR, &[uint(book.len() as u128)]))?;
        let loaded = self.load(sources, book.perps, book.options, &book.market_ids)?;
        let now = self.vm().block_timestamp();
        let evaluation = evaluate(&loaded.portfolio, &book.params, now)
            .map_err(|_| out_of_range(sources.account))?;
        Ok((loaded, evaluation))
    }

    /// Collateral, prices, funding and volatilities for the legs of a book.
    // Collateral, prices, funding and volatility in call order.
    #[allow(clippy::too_many_lines)]
    fn load(
        &self,
        sources: &Sources,
        mut perps: Vec<crate::margin::PerpLeg>,
        mut options: Vec<crate::margin::OptionLeg>,
        market_ids: &[u32],
    ) -> Result<Loaded, Vec<u8>> {
        let account = sources.account;
        let range = || out_of_range(account);
        if !perps.is_empty() {
            let ids: Vec<evm::Word> = market_ids.iter().map(|m| uint(u128::from(*m))).collect();
            let data = calldata_with_array(perp_market::MARGIN_INPUTS, &ids, &[]);
            let words: Vec<U256> = calls::view(self.vm(), sources.perp_market, &data)?.read()?;
            let inputs = MarketInputs::decode_all(&words, perps.len())
                .ok_or_else(|| calls::call_failed(sources.perp_market))?;
            for (perp, input) in perps.iter_mut().zip(inputs) {
                perp.market = margin::MarketParams {
                    feed: input.feed,
                    initial_rate: input.initial_rate,
                    maintenance_rate: input.maintenance_rate,
                    rate_scale: input.rate_scale,
                    skew_scale: input.skew_scale,
                };
                perp.skew = input.skew;
                perp.funding_index = input.funding_index;
            }
        }
        let mut feeds: Vec<u32> = Vec::new();
        for perp in &perps {
            add_feed(&mut feeds, perp.market.feed);
        }
        for leg in &options {
            add_feed(&mut feeds, leg.feed);
        }
        let data = calldata(vault::ACCOUNT_SNAPSHOT, &[uint256(account)]);
        let words: Vec<U256> = calls::view(self.vm(), sources.vault, &data)?.read()?;
        let snapshot = Snapshot::decode(&words).ok_or_else(|| calls::call_failed(sources.vault))?;
        let cash = snapshot.cash;
        let mut collateral = Vec::new();
        for holding in &snapshot.holdings {
            add_feed(&mut feeds, holding.feed);
            collateral.push((holding.feed, holding.balance, holding.haircut));
        }
        let prices = if feeds.is_empty() {
            Vec::new()
        } else {
            let ids: Vec<evm::Word> = feeds.iter().map(|f| uint(u128::from(*f))).collect();
            let data =
                calldata_with_array(oracle::PRICES, &ids, &[uint(u128::from(sources.usage))]);
            calls::view(self.vm(), sources.oracle, &data)?.read::<Vec<U256>>()?
        };
        let mut spots: Vec<(u32, u128)> = Vec::with_capacity(feeds.len());
        for (feed, price) in feeds.iter().zip(&prices) {
            spots.push((*feed, u128::try_from(*price).map_err(|_| range())?));
        }
        let spot_of = |feed: u32| spots.iter().find(|(f, _)| *f == feed).map_or(0, |(_, p)| *p);
        let mut value = cash;
        for (feed, balance, haircut) in &collateral {
            let worth = margin::collateral_worth(*balance, spot_of(*feed), *haircut)
                .map_err(|_| range())?;
            value = value.checked_add(to_signed(worth)).ok_or_else(range)?;
        }
        // One batched view for every option not yet expired (expired ones
        // are valued at intrinsic value): strike << 96 | expiry << 32 | feed.
        let now = self.vm().block_timestamp();
        let live: Vec<usize> = (0..options.len()).filter(|i| options[*i].expiry > now).collect();
        if !live.is_empty() {
            let queries: Vec<evm::Word> = live
                .iter()
                .map(|i| {
                    let leg = &options[*i];
                    let low = u128::from(leg.feed) | u128::from(leg.expiry) << 32;
                    let query = U256::from(leg.strike) << 96 | U256::from(low);
                    uint256(query)
                })
                .collect();
            let data = calldata_with_array(
                oracle::VOLATILITIES,
                &queries,
                &[uint(u128::from(sources.usage))],
            );
            let volatilities: Vec<U256> = calls::view(self.vm(), sources.oracle, &data)?.read()?;
            if volatilities.len() != live.len() {
                return Err(calls::call_failed(sources.oracle));
            }
            for (i, volatility) in live.iter().zip(volatilities) {
                options[*i].volatility = u128::try_from(volatility).map_err(|_| range())?;
            }
        }
        Ok(Loaded {
            portfolio: Portfolio { collateral: value, spots, perps, options },
            cash,
            other_collateral: !collateral.is_empty(),
        })
    }
}

/// Adds `feed` to `feeds` once.
fn add_feed(feeds: &mut Vec<u32>, feed: u32) {
    if !feeds.contains(&feed) {
        feeds.push(feed);
    }
}
