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

interface IOracleAdapter is IRoles  {
    function setFeed(uint32 feed_id, address primary, uint64 max_age, int256 min_answer, int256 max_answer) external;

    function price(uint32 feed_id) external view returns (uint256);

    /// No feed is configured under this id.
    error FeedNotConfigured(uint32 feedId);
    /// A feed's configuration is outside the hard bounds.
    error InvalidFeedConfig(uint32 feedId);
    /// The feed's answer is zero or negative.
    error NonPositiveAnswer(uint32 feedId, int256 answer);
    /// The feed's latest round is older than the feed's maximum age.
    error StalePrice(uint32 feedId, uint256 updatedAt, uint256 maxAge, uint256 now);
    /// The feed's answer lies outside the accepted range.
    error PriceOutOfBounds(uint32 feedId, int256 answer, int256 minAnswer, int256 maxAnswer);
    /// A feed was configured or reconfigured.
    event FeedConfigured(uint32 indexed feedId, address indexed primary, uint64 maxAge, int256 minAnswer, int256 maxAnswer);
}
