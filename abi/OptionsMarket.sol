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

interface IOptionsMarket is IRoles  {
    function seriesId(uint32 underlying, uint256 strike, uint64 expiry, bool is_call) external view returns (bytes32);

    function listSeries(uint32 underlying, uint256 strike, uint64 expiry, bool is_call) external returns (bytes32);

    function isListed(bytes32 series_id) external view returns (bool);

    /// The series is already listed.
    error SeriesAlreadyListed(bytes32 seriesId);
    /// Expiries must lie in the future, at the protocol's fixed time of day.
    error InvalidExpiry(uint64 expiry, uint64 now);
    /// Strikes must be positive.
    error InvalidStrike(uint256 strike);
    /// A series was listed.
    event SeriesListed(bytes32 indexed seriesId, uint32 indexed underlying, uint256 strike, uint64 expiry, bool isCall);
}
