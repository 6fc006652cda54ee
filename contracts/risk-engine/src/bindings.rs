//! The Vault functions RiskEngine calls, with the Vault's exact signatures.
//! The Vault's section of `bulwark_common::interfaces` is being added by its
//! owner; this moves there when it lands. The OracleAdapter and the markets'
//! hooks are called through `bulwark_common::interfaces`.
#![allow(missing_docs, non_snake_case, clippy::too_many_arguments, unreachable_pub)]

use alloc::vec;

use stylus_sdk::prelude::sol_interface;

sol_interface! {
    /// The Vault: collateral, cash settlement with fees, bad debt.
    interface IVault {
        function accountSnapshot(uint256 account) external view returns (uint256[] memory);
        function settle(uint256 account, int256 pnl, uint256 fee, bool penalty) external returns (int256);
        function withdraw(uint256 account, address token, uint256 amount, address to) external;
        function absorbBadDebt(uint256 account) external returns (uint256, uint256);
        function parameters() external view returns (address, address, uint16, uint16, uint16, uint64, uint64);
        function collateralConfig(address token) external view returns (bool, uint8, uint256, uint256, uint32);
    }
}
