//! Typed bindings: the five contracts from their checked-in `abi/*.sol`, the
//! mocks from their declarations.
#![allow(missing_docs, clippy::pub_underscore_fields, clippy::too_many_arguments)]

/// OracleAdapter (from `abi/OracleAdapter.sol`).
pub mod oracle {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../abi/OracleAdapter.sol"
    );
}

/// The mock Chainlink feed (test-only contract).
pub mod feed {
    alloy_sol_types::sol! {
        #[sol(all_derives)]
        contract MockAggregator {
            function pushAnswer(int256 answer) external;
            function setRound(uint80 round_id, int256 answer, uint256 started_at, uint256 updated_at, uint80 answered_in_round) external;
            function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
        }
    }
}

/// Constructors of the artifacts (exported interfaces carry none).
pub mod constructors {
    alloy_sol_types::sol! {
        contract OracleAdapter { constructor(address admin); }
        contract MockAggregator { constructor(uint8 decimals); }
        contract MockErc20 { constructor(string name, string symbol, uint8 decimals); }
    }
}
