//! Typed bindings for every contract a Bulwark contract may call.
//!
//! Allowed calls (caller -> callee), and no others (DESIGN.md):
//! - PerpMarket, OptionsMarket -> RiskEngine (apply a trade), OracleAdapter
//! - RiskEngine -> Vault, OracleAdapter; the markets only through hooks that
//!   never call RiskEngine back
//! - Vault -> ERC-20 tokens
//! - OracleAdapter -> price feeds
#![allow(missing_docs, non_snake_case, clippy::too_many_arguments)]

use alloc::vec;

use stylus_sdk::prelude::sol_interface;

sol_interface! {
    /// ERC-20 as the Vault uses it (transfers go through SafeErc20).
    interface IErc20 {
        function balanceOf(address account) external view returns (uint256);
        function decimals() external view returns (uint8);
    }

    /// The Vault as RiskEngine calls it (see contracts/vault/README.md).
    /// Token movements take token units; value flows (`settle`) take quote
    /// WAD and round in the protocol's favour. `accountSnapshot` returns one
    /// flat array: word 0 is the account's quote cash in WAD (`int256`, two's
    /// complement), then three words per non-quote token the account holds:
    /// `token | decimals << 160 | feedId << 168`, the balance in WAD, the
    /// haircut (WAD). All but the views revert `NotRiskEngine` for any other
    /// caller.
    interface IVault {
        function withdraw(uint256 account, address token, uint256 amount, address to) external;
        function transferCollateral(uint256 from, uint256 to, address token, uint256 amount) external;
        function settle(uint256 account, int256 pnl, uint256 fee, bool penalty) external returns (int256);
        function absorbBadDebt(uint256 account) external returns (uint256, uint256);
        function accountSnapshot(uint256 account) external view returns (uint256[] memory);
        function balanceOf(uint256 account, address token) external view returns (int256);
    }

    /// A Chainlink-compatible price feed (AggregatorV3Interface), also used
    /// for the L2 sequencer uptime feed (answer 0 = up, 1 = down).
    interface IAggregatorV3 {
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }

    /// The OracleAdapter as the markets and RiskEngine call it
    /// (contracts/oracle-adapter/README.md). Prices and volatilities are WAD.
    /// `usage` (see [`oracle_usage`]): 0 for actions that add risk (strict,
    /// fails closed), 1 / 2 for reducing risk or liquidating, valued at the
    /// lower / higher of the sources. `sequencerStatus` returns 0 up, 1 down,
    /// 2 in the grace period, and when the status last changed.
    /// `recordSettlementPrice` takes the first round at or after expiry (the
    /// caller finds it off chain) and is permissionless. `volatility`
    /// exists only in builds with the `volatility-surface` feature (size).
    interface IOracleAdapter {
        function price(uint32 feedId, uint8 usage) external view returns (uint256);
        function prices(uint32[] memory feedIds, uint8 usage) external view returns (uint256[] memory);
        function sequencerStatus() external view returns (uint8, uint256);
        function settlementPrice(uint32 feedId, uint64 expiry) external view returns (uint256);
        function recordSettlementPrice(uint32 feedId, uint64 expiry, uint80 roundId) external returns (uint256);
        function volatility(uint32 feedId, uint64 expiry, uint256 strike) external view returns (uint256);
    }

    /// RiskEngine as the markets and bots call it. The markets compute the
    /// fill price and fee; RiskEngine updates the portfolio, realises PnL
    /// through the Vault and enforces margin. Hooks revert unless the caller
    /// is the wired market.
    interface IRiskEngine {
        function configurePerpMarket(uint32 marketId, uint32 feedId, uint256 initialMarginRate, uint256 maintenanceMarginRate, uint256 marginRateScale, uint256 skewScale) external;
        function applyPerpTrade(address caller, uint256 account, uint32 marketId, int256 sizeDelta, uint256 fillPrice, uint256 fee, int256 fundingIndex, bool strictPrice) external returns (int256);
        function registerSeries(bytes32 seriesId, uint32 feedId, uint256 strike, uint64 expiry, bool isCall) external;
        function applyOptionTrade(address caller, uint256 account, bytes32 seriesId, int256 amountDelta, int256 premium, uint256 fee, bool strictPrice) external returns (int256, int256);
    }

    /// PerpMarket hooks RiskEngine calls (liquidation closes, funding reads);
    /// they never call RiskEngine back.
    ///
    /// - `fundingIndexes`: each market's funding index accrued to now (WAD,
    ///   quote per unit of base size; a position of size `s` with snapshot
    ///   `i0` owes `s * (index - i0)`, positive = pays). It reads the
    ///   OracleAdapter (lenient price); it reverts with the oracle's error
    ///   when no price is usable, and with `MarketNotFound` for an unknown id.
    /// - `onLiquidationClose`: only the wired RiskEngine. Accrues funding at
    ///   `oraclePrice`, moves open interest and skew for the forced close of
    ///   `sizeDelta` from `sizeBefore`, and returns `(fillPrice,
    ///   fundingIndex)`: the oracle price with the skew impact of the close,
    ///   no acceptable-price check, no fee. `account` is only logged.
    interface IPerpMarket {
        function fundingIndexes(uint32[] calldata marketIds) external view returns (int256[] memory);
        function onLiquidationClose(uint256 account, uint32 marketId, int256 sizeBefore, int256 sizeDelta, uint256 oraclePrice) external returns (uint256, int256);
    }

    /// OptionsMarket hooks RiskEngine calls (liquidation closes, settlement);
    /// they never call RiskEngine back. Both revert with `OnlyRiskEngine`
    /// unless called by the wired RiskEngine.
    ///
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
    interface IOptionsMarket {
        function onLiquidationClose(bytes32 seriesId, int256 amountDelta, uint256 spot) external returns (int256);
        function onSettlement(bytes32 seriesId, int256 amount) external returns (uint256, int256);
    }
}

/// The `usage` argument of [`IOracleAdapter`] prices.
pub mod oracle_usage {
    /// Opening, increasing, withdrawing: every check, fails closed.
    pub const ADD_RISK: u8 = 0;
    /// Reducing or liquidating, valued at the lower source (long exposure).
    pub const REDUCE_RISK_LOW: u8 = 1;
    /// Reducing or liquidating, valued at the higher source (short exposure).
    pub const REDUCE_RISK_HIGH: u8 = 2;
}
