//! The functions one Bulwark contract calls on another, by selector.
//!
//! Allowed calls (caller -> callee), and no others (DESIGN.md). RiskEngine
//! is the single entry of every position change, and nothing calls it:
//! - RiskEngine -> the markets' hooks (which never call RiskEngine), Vault,
//!   OracleAdapter, MarginEngine
//! - PerpMarket -> OracleAdapter
//! - OptionsMarket -> OracleAdapter, PerpMarket (a skew view)
//! - MarginEngine -> views of the Vault, OracleAdapter and PerpMarket
//! - Vault -> ERC-20 tokens
//! - OracleAdapter -> price feeds
//!
//! Each module lists the callee's functions as Solidity signatures; calls go
//! through [`crate::calls`] with arguments as ABI words. A test checks every
//! signature against the callee's exported interface in `abi/` (or, for the
//! ERC-20 and Chainlink interfaces, against their standard declarations).

/// Writes a module of selector constants and the table of their signatures.
macro_rules! functions {
    ($($(#[$doc:meta])* $module:ident { $($name:ident = $signature:literal;)* })*) => {$(
        $(#[$doc])*
        pub mod $module {
            $(
                #[doc = concat!("`", $signature, "`")]
                pub const $name: u32 = $crate::dispatch::selector($signature);
            )*
            /// The signatures above, as called.
            pub const SIGNATURES: &[&str] = &[$($signature),*];
        }
    )*};
}

functions! {
    /// ERC-20 as the Vault uses it (transfers go through SafeErc20).
    erc20 {
        BALANCE_OF = "balanceOf(address)";
        DECIMALS = "decimals()";
    }

    /// The Vault as RiskEngine calls it (see contracts/vault/README.md).
    /// Token movements take token units; value flows (`settle`) take quote
    /// WAD and round in the protocol's favour. `accountSnapshot` returns one
    /// flat array: word 0 is the account's quote cash in WAD (`int256`, two's
    /// complement), then three words per non-quote token the account holds:
    /// `token | decimals << 160 | feedId << 168`, the balance in WAD, the
    /// haircut (WAD). All but the views revert `NotRiskEngine` for any other
    /// caller.
    vault {
        WITHDRAW = "withdraw(uint256,address,uint256,address)";
        PAY_LIQUIDATOR = "payLiquidator(uint256,uint256,address)";
        TRANSFER_COLLATERAL = "transferCollateral(uint256,uint256,address,uint256)";
        SETTLE = "settle(uint256,int256,uint256,bool)";
        ABSORB_BAD_DEBT = "absorbBadDebt(uint256)";
        ACCOUNT_SNAPSHOT = "accountSnapshot(uint256)";
        BALANCE_OF = "balanceOf(uint256,address)";
        PARAMETERS = "parameters()";
        COLLATERAL_CONFIG = "collateralConfig(address)";
    }

    /// A Chainlink-compatible price feed (AggregatorV3Interface), also used
    /// for the L2 sequencer uptime feed (answer 0 = up, 1 = down).
    aggregator {
        DECIMALS = "decimals()";
        LATEST_ROUND_DATA = "latestRoundData()";
        GET_ROUND_DATA = "getRoundData(uint80)";
    }

    /// The OracleAdapter as the markets and RiskEngine call it
    /// (contracts/oracle-adapter/README.md). Prices and volatilities are WAD.
    /// `usage` (see [`oracle_usage`]): 0 for actions that add risk (strict,
    /// fails closed), 1 / 2 for reducing risk or liquidating, valued at the
    /// lower / higher of the sources. `sequencerStatus` returns 0 up, 1 down,
    /// 2 in the grace period, and when the status last changed.
    /// `recordSettlementPrice` takes the first round at or after expiry (the
    /// caller finds it off chain) and is permissionless.
    oracle {
        PRICE = "price(uint32,uint8)";
        PRICES = "prices(uint32[],uint8)";
        SEQUENCER_STATUS = "sequencerStatus()";
        SETTLEMENT_PRICE = "settlementPrice(uint32,uint64)";
        RECORD_SETTLEMENT_PRICE = "recordSettlementPrice(uint32,uint64,uint80)";
        VOLATILITY = "volatility(uint32,uint64,uint256,uint8)";
        VOLATILITIES = "volatilities(uint256[],uint8)";
    }

    /// MarginEngine as RiskEngine calls it (contracts/margin-engine/README.md):
    /// stateless, views only. `book` is the account's positions and the risk
    /// parameters as RiskEngine's storage words (`bulwark_margin_engine::book`).
    margin_engine {
        MARGIN = "margin(uint256,address,address,address,uint8,uint256[])";
        LIQUIDATION_PLAN = "liquidationPlan(uint256,address,address,address,uint256[])";
    }

    /// PerpMarket's hooks RiskEngine calls (trades, liquidation closes) and
    /// the views MarginEngine and OptionsMarket read; none calls RiskEngine.
    /// The hooks revert `NotRiskEngine` for any other caller.
    ///
    /// - `onTrade`: prices and records a trade of `sizeDelta` from
    ///   `sizeBefore` (acceptable price, size, open-interest cap and pause
    ///   checks) and returns `(fillPrice, fee, fundingIndex, strict)`.
    /// - `onLiquidationClose`: accrues funding at `oraclePrice`, moves open
    ///   interest and skew for the forced close of `sizeDelta` from
    ///   `sizeBefore`, and returns `(fillPrice, fundingIndex)`: the oracle
    ///   price with the skew impact of the close, no acceptable-price check,
    ///   no fee. `account` is only logged.
    /// - `marginInputs`: per market, feed, initial and maintenance margin
    ///   rates, margin rate scale, skew scale, skew and the funding index
    ///   accrued to now (a position of size `s` with snapshot `i0` owes
    ///   `s * (index - i0)`, positive = pays), seven words each. It reads the
    ///   OracleAdapter (lenient price) for markets whose funding is older
    ///   than the block, and reverts with the oracle's error when no price is
    ///   usable and with `MarketNotFound` for an unknown id.
    /// - `feedSkew`: the net skew of all markets on a feed.
    perp_market {
        ON_TRADE = "onTrade(uint256,uint32,int256,int256,uint256)";
        ON_LIQUIDATION_CLOSE = "onLiquidationClose(uint256,uint32,int256,int256,uint256)";
        MARGIN_INPUTS = "marginInputs(uint32[])";
        FEED_SKEW = "feedSkew(uint32)";
    }

    /// OptionsMarket's hooks RiskEngine calls (trades, liquidation closes,
    /// settlement); they never call RiskEngine back. All revert with
    /// `OnlyRiskEngine` unless called by the wired RiskEngine.
    ///
    /// - `onTrade`: prices and records a trade of `amount` contracts by an
    ///   account holding `amountBefore` (premium limit, greek limits, pause)
    ///   and returns `(premium, fee, strict, feedId, strike, expiry,
    ///   isCall)`: the premium from the trader's view (positive = pays),
    ///   whether price and volatility were strict, and the series' terms.
    /// - `onLiquidationClose`: the forced close of `amountDelta` contracts
    ///   (sign opposite to the position closed) at `spot`; returns the premium
    ///   (WAD, trader's view: positive = the account pays) at the model price
    ///   on the oracle's volatility plus the spread, no limit check, no fee.
    ///   Moves the series' open interest and the pool's greeks. Reverts with
    ///   `TradingClosed` once the series has expired (settle it instead).
    /// - `onSettlement`: an account's position of `amount` contracts (long >
    ///   0) leaves the book after expiry. Records the series' settlement price
    ///   from the OracleAdapter on first use (then fixed) and returns
    ///   `(settlementPrice, payoff)`: payoff = amount x intrinsic value, WAD,
    ///   trader's view (positive = the account receives; a long's rounded
    ///   down, a short's rounded up). Call it once per position, then remove
    ///   the position: that is what makes settling twice pay once.
    options_market {
        ON_TRADE = "onTrade(uint256,bytes32,int256,int256,int256)";
        ON_LIQUIDATION_CLOSE = "onLiquidationClose(bytes32,int256,uint256)";
        ON_SETTLEMENT = "onSettlement(bytes32,int256)";
    }
}

/// The `usage` argument of [`oracle`] prices.
pub mod oracle_usage {
    /// Opening, increasing, withdrawing: every check, fails closed.
    pub const ADD_RISK: u8 = 0;
    /// Reducing or liquidating, valued at the lower source (long exposure).
    pub const REDUCE_RISK_LOW: u8 = 1;
    /// Reducing or liquidating, valued at the higher source (short exposure).
    pub const REDUCE_RISK_HIGH: u8 = 2;
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::{sol, SolCall};

    use super::*;
    use crate::dispatch::{interface_functions, selector};

    /// Every function a Bulwark contract calls on another is one the callee exports.
    #[test]
    fn calls_name_functions_the_callees_export() {
        let callees: [(&[&str], &str, &str); 5] = [
            (vault::SIGNATURES, include_str!("../../../abi/Vault.sol"), "IVault"),
            (
                margin_engine::SIGNATURES,
                include_str!("../../../abi/MarginEngine.sol"),
                "IMarginEngine",
            ),
            (oracle::SIGNATURES, include_str!("../../../abi/OracleAdapter.sol"), "IOracleAdapter"),
            (perp_market::SIGNATURES, include_str!("../../../abi/PerpMarket.sol"), "IPerpMarket"),
            (
                options_market::SIGNATURES,
                include_str!("../../../abi/OptionsMarket.sol"),
                "IOptionsMarket",
            ),
        ];
        for (called, source, interface) in callees {
            let exported = interface_functions(source, interface);
            assert!(!exported.is_empty(), "{interface} not found");
            for signature in called {
                assert!(
                    exported.iter().any(|e| e == signature),
                    "{interface} does not export {signature}"
                );
            }
        }
    }

    sol! {
        interface Erc20 {
            function balanceOf(address account) external view returns (uint256);
            function decimals() external view returns (uint8);
        }
        interface AggregatorV3Interface {
            function decimals() external view returns (uint8);
            function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
            function getRoundData(uint80 _roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        }
    }

    /// The standard interfaces' selectors, from their published declarations.
    #[test]
    fn standard_selectors() {
        let selector_of = |s: [u8; 4]| u32::from_be_bytes(s);
        assert_eq!(erc20::BALANCE_OF, selector_of(Erc20::balanceOfCall::SELECTOR));
        assert_eq!(erc20::DECIMALS, selector_of(Erc20::decimalsCall::SELECTOR));
        assert_eq!(
            aggregator::DECIMALS,
            selector_of(AggregatorV3Interface::decimalsCall::SELECTOR)
        );
        assert_eq!(
            aggregator::LATEST_ROUND_DATA,
            selector_of(AggregatorV3Interface::latestRoundDataCall::SELECTOR)
        );
        assert_eq!(
            aggregator::GET_ROUND_DATA,
            selector_of(AggregatorV3Interface::getRoundDataCall::SELECTOR)
        );
        assert_eq!(selector("balanceOf(address)"), 0x70a0_8231);
    }
}
