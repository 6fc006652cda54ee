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

interface IRiskEngine is IRoles  {
    function vault() external view returns (address);

    function oracle() external view returns (address);

    function marginEngine() external view returns (address);

    function markets() external view returns (address perpMarket, address optionsMarket);

    function setMarkets(address perp_market, address options_market) external;

    function setRiskParameters(uint256[] memory values) external;

    function applyRiskParameters() external;

    function pendingRiskParameters() external view returns (uint64);

    function riskParameters() external view returns (uint256[] memory);

    function setOperator(address operator, uint8 scope) external;

    function operatorScope(address owner, address operator) external view returns (uint8);

    function isAuthorized(uint256 account, address caller) external view returns (bool);

    function tradePerp(uint256 account, uint32 market_id, int256 size_delta, uint256 acceptable_price) external returns (uint256);

    function tradeOption(uint256 account, bytes32 series_id, int256 amount, int256 limit_premium) external returns (int256);

    function withdraw(uint256 account, address token, uint256 amount, address to) external;

    function accountHealth(uint256 account) external view returns (int256 equity, uint256 initialMargin, uint256 maintenanceMargin, int256 healthRatio);

    function isLiquidatable(uint256 account) external view returns (bool);

    function liquidatable(uint256[] memory accounts) external view returns (uint256[] memory statuses);

    function previewLiquidation(uint256 account) external view returns (uint256 toLiquidator, uint256 penalty, bytes32[] memory keys, int256[] memory sizeDeltas);

    function liquidate(uint256 account) external returns (uint256);

    function settleOptions(uint256 account) external returns (uint32);

    function perpPosition(uint256 account, uint32 market_id) external view returns (int256 size, int256 basis);

    function optionAmount(uint256 account, bytes32 series_id) external view returns (int256);

    function badDebt(uint32 key) external view returns (uint256);

    /// The caller may not act for this account: it is neither the owner nor an approved operator.
    error NotAccountOperator(uint256 account, address caller);
    /// An account cannot approve itself or zero as operator.
    error InvalidOperator(address operator);
    /// Operator scopes are 0 (revoked), 1 (trade), 2 (trade, withdraw to the owner) and 3 (full).
    error InvalidOperatorScope(uint8 scope);
    /// The caller is an operator of the account whose `scope` does not allow withdrawing to `to`.
    error OperatorScopeExceeded(uint256 account, address caller, uint8 scope, address to);
    /// No change of the risk parameters is announced.
    error NoRiskParametersPending();
    /// The announced change of the risk parameters takes effect at `effectiveAt`.
    error RiskParametersNotDue(uint64 effectiveAt, uint64 now);
    /// The markets are wired once; these are the wired ones.
    error MarketsAlreadySet(address perpMarket, address optionsMarket);
    /// A parameter is outside its hard bounds. `index`: position in setRiskParameters' array, or 200
    /// for a zero market address in setMarkets.
    error InvalidParameter(uint8 index);
    /// After an action that adds risk the account's equity is below its initial margin.
    error InsufficientMargin(uint256 account, int256 equity, uint256 required);
    /// The trade adds risk but only a lenient price is usable for this market or series.
    error PriceNotStrict(uint256 account);
    /// The account already holds the largest number of option series.
    error TooManyOptions(uint256 account, uint256 max);
    /// Perp market ids run below 64 (one bit each in an account's header).
    error UnknownMarket(uint32 marketId);
    /// The account's equity is at or above its maintenance margin.
    error NotLiquidatable(uint256 account, int256 equity, uint256 maintenance);
    /// A value left its range while valuing or changing the account (size, price, overflow).
    error ValueOutOfRange(uint256 account);
    /// An owner set what an operator may do for all its subaccounts: 0 nothing (revoked), 1 trade,
    /// 2 trade and withdraw to the owner, 3 trade and withdraw anywhere.
    event OperatorSet(address indexed owner, address indexed operator, uint8 scope);
    /// Configuration changed. `kind`: 1 wiring (values: perpMarket, optionsMarket), 2 risk parameters
    /// applied (setRiskParameters order), 3 risk parameters announced (same order; `key` = the time
    /// they may be applied), 4 series `key` first traded here (index, feed, strike, expiry, isCall).
    event Configured(uint8 indexed kind, bytes32 indexed key, uint256[] values);
    /// A position changed: `key` is the perp market id or the option series id; `cash` is what the
    /// account realised (PnL, funding, premium, settlement payoff; fees are the Vault's event).
    event PositionChanged(uint256 indexed account, bytes32 indexed key, int256 sizeBefore, int256 sizeAfter, int256 cash);
    /// An account was liquidated by `liquidator`, who received `toLiquidator` (quote WAD, whole token
    /// units); `penalty` (quote WAD) was charged to the account, which the Vault splits between the
    /// insurance fund and the pool (its CashSettled event). `closedAll`: every closable position was
    /// closed.
    event Liquidated(uint256 indexed account, address indexed liquidator, int256 equityBefore, uint256 maintenanceBefore, uint256 toLiquidator, uint256 penalty, bool closedAll);
    /// A deficit of `account` was absorbed (quote WAD), recorded against market `key`
    /// (perp market id, 2^31 + feed for options, or 0 when no position was left).
    event BadDebtRecorded(uint256 indexed account, uint32 indexed key, uint256 fromInsurance, uint256 fromPool);
}
