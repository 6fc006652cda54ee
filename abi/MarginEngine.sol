// SPDX-License-Identifier: MIT
pragma solidity ^0.8.23;
interface IMarginEngine  {
    function margin(uint256 account, address vault, address oracle, address perp_market, uint8 usage, uint256[] memory book) external view returns (int256 equity, uint256 initialMargin, uint256 maintenanceMargin);

    function liquidationPlan(uint256 account, address vault, address oracle, address perp_market, uint256[] memory book) external view returns (uint256[] memory);

    /// A value left its range while valuing the account (size, price, overflow), or a price is missing.
    error ValueOutOfRange(uint256 account);
    /// The book does not have the documented layout (`length` words), or its parameters are out of bounds.
    error InvalidBook(uint256 length);
}
