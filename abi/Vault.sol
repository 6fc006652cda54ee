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

interface IVault is IRoles  {
    function listCollateral(address token, uint256 haircut, uint256 cap, uint32 feed_id) external;

    function deposit(uint256 account, address token, uint256 amount) external;

    function balanceOf(uint256 account, address token) external view returns (uint256);

    /// The token is not accepted as collateral.
    error TokenNotListed(address token);
    /// The token is already listed.
    error TokenAlreadyListed(address token);
    /// A collateral parameter is outside its hard bounds.
    error InvalidCollateralConfig(address token);
    /// The deposit would take the token's total above its cap.
    error DepositCapExceeded(address token, uint256 cap, uint256 totalAfter);
    /// A zero amount was given.
    error ZeroAmount();
    /// A token was listed as collateral.
    event CollateralListed(address indexed token, uint8 decimals, uint256 haircut, uint256 cap, uint32 feedId);
    /// Tokens were deposited into an account.
    event Deposited(uint256 indexed account, address indexed token, address indexed from, uint256 amount);
}
