// SPDX-License-Identifier: MIT
pragma solidity ^0.8.23;
interface IRoles  {
    function admin() external view returns (address);

    function pendingAdmin() external view returns (address);

    function transferAdmin(address new_admin) external;

    function acceptAdmin() external;

    function hasRole(address account, uint8 role) external view returns (bool);

    function grantRole(address account, uint8 role) external;

    function revokeRole(address account, uint8 role) external;

    function paused() external view returns (bool);

    function pause() external;

    function unpause() external;






    /// The caller lacks the role the action needs (role 0 means the admin).
    error Unauthorized(address caller, uint8 role);
    /// Only the pending admin can accept the admin role.
    error NotPendingAdmin(address caller, address pendingAdmin);
    /// The zero address cannot become admin.
    error InvalidAdmin(address candidate);
    /// The role number is not one this contract defines.
    error UnknownRole(uint8 role);
    /// The contract is paused: actions that add risk are stopped.
    error ContractPaused();
    /// The admin named a successor, who must accept.
    event AdminTransferStarted(address indexed admin, address indexed pendingAdmin);
    /// The admin role changed hands.
    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    /// A role was granted.
    event RoleGranted(address indexed account, uint8 indexed role, address indexed sender);
    /// A role was revoked.
    event RoleRevoked(address indexed account, uint8 indexed role, address indexed sender);
    /// Pausing was switched on or off.
    event PauseChanged(bool paused, address indexed sender);
}

interface IPerpMarket is IRoles  {
    function createMarket(uint32 feed_id, uint256 skew_scale, uint256 maker_fee, uint256 taker_fee, uint256 max_open_interest) external returns (uint32);

    function fillPrice(uint32 market_id, uint256 oracle_price, int256 size_delta) external view returns (uint256);

    function marketCount() external view returns (uint32);

    /// No market with this id.
    error MarketNotFound(uint32 marketId);
    /// A market parameter is outside its hard bounds.
    error InvalidMarketParams(uint32 marketId);
    /// A perp market was created.
    event MarketCreated(uint32 indexed marketId, uint32 indexed feedId, uint256 skewScale, uint256 makerFee, uint256 takerFee, uint256 maxOpenInterest);
}
