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

    /// A Chainlink-compatible price feed (AggregatorV3Interface), also used
    /// for the L2 sequencer uptime feed (answer 0 = up, 1 = down).
    interface IAggregatorV3 {
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
}
