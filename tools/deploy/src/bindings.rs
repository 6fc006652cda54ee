//! Typed bindings: the contracts from their checked-in `abi/*.sol`, the
//! mocks from their declarations.
#![allow(missing_docs, clippy::pub_underscore_fields, clippy::too_many_arguments)]

/// OracleAdapter (from `abi/OracleAdapter.sol`).
pub mod oracle {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/OracleAdapter.sol"
    );
}

/// Vault (from `abi/Vault.sol`).
pub mod vault {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/Vault.sol"
    );
}

/// MarginEngine (from `abi/MarginEngine.sol`).
pub mod margin {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/MarginEngine.sol"
    );
}

/// RiskEngine (from `abi/RiskEngine.sol`).
pub mod risk {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/RiskEngine.sol"
    );
}

/// PerpMarket (from `abi/PerpMarket.sol`).
pub mod perp {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/PerpMarket.sol"
    );
}

/// OptionsMarket (from `abi/OptionsMarket.sol`).
pub mod options {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/OptionsMarket.sol"
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

/// The mock ERC-20 collateral token (test-only contract) and its misbehaviours.
pub mod token {
    alloy_sol_types::sol! {
        #![sol(all_derives)]
        contract MockErc20 {
            function mint(address to, uint256 amount) external;
            function approve(address spender, uint256 value) external returns (bool);
            function transfer(address to, uint256 value) external returns (bool);
            function balanceOf(address account) external view returns (uint256);
            function totalSupply() external view returns (uint256);
            function setMode(uint8 mode) external;
            function setFeeBps(uint16 fee_bps) external;
            function setReentry(address target, bytes data) external;
        }
    }
}

/// Constructors of the artifacts (exported interfaces carry none).
pub mod constructors {
    alloy_sol_types::sol! {
        contract OracleAdapter { constructor(address admin); }
        contract MockAggregator { constructor(uint8 decimals); }
        contract MockErc20 { constructor(string name, string symbol, uint8 decimals); }
        contract Vault { constructor(address admin, address quote, uint256 quote_cap); }
        contract RiskEngine { constructor(address admin, address vault, address oracle, address margin_engine); }
        contract PerpMarket { constructor(address admin, address risk_engine, address oracle); }
        contract OptionsMarket { constructor(address admin, address risk_engine, address oracle, address perp_market); }
    }
}
