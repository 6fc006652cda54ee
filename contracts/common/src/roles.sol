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
