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
    function setMarketParams(uint64 trading_cutoff, uint256 base_spread, uint256 trade_vega_slope, uint256 exposure_slope, uint256 fee_premium_rate, uint256 fee_notional_rate) external;

    function configureUnderlying(uint32 underlying, uint256 strike_step, uint8 strikes_per_side, uint256 delta_limit, uint256 vega_limit) external;

    function marketParams() external view returns (uint64 tradingCutoff, uint256 baseSpread, uint256 tradeVegaSlope, uint256 exposureSlope, uint256 feePremiumRate, uint256 feeNotionalRate);

    function underlyingConfig(uint32 underlying) external view returns (uint256 strikeStep, uint8 strikesPerSide, uint256 deltaLimit, uint256 vegaLimit, int256 poolDelta, int256 poolVega);

    function listSeries(uint32 underlying, uint256 strike, uint64 expiry, bool is_call) external returns (bytes32);

    function listExpiry(uint32 underlying, uint64 expiry) external returns (uint32);

    function quote(bytes32 series_id, int256 amount) external view returns (int256 premium, uint256 fee, int256 delta, int256 vega, uint256 spread);

    function onTrade(uint256 account, bytes32 series_id, int256 amount_before, int256 amount, int256 limit_premium) external returns (int256 premium, uint256 fee, bool strict, uint32 feedId, uint256 strike, uint64 expiry, bool isCall);

    function remark(bytes32 series_id) external;

    function settleSeries(bytes32 series_id) external returns (uint256);

    function onLiquidationClose(bytes32 series_id, int256 amount_delta, uint256 spot) external returns (int256);

    function onSettlement(bytes32 series_id, int256 amount) external returns (uint256 settlementPrice, int256 payoff);

    /// No series is listed under this id.
    error SeriesNotListed(bytes32 seriesId);
    /// A series cannot be listed: the underlying has no strike grid and limits configured, the
    /// strike is zero or not below 2^128, or the expiry is not at 08:00 UTC, after the trading
    /// cutoff and within 365 days of now.
    error InvalidListing(uint32 underlying, uint256 strike, uint64 expiry, uint64 now);
    /// A parameter is outside its hard bound (see the README).
    error InvalidParameters();
    /// Only the wired RiskEngine may call this hook.
    error OnlyRiskEngine(address caller);
    /// The amount is zero or beyond 2^127.
    error InvalidAmount(int256 amount);
    /// The series is settled or within the trading cutoff before its expiry.
    error TradingClosed(bytes32 seriesId, uint64 expiry, uint64 now);
    /// The series has not expired yet.
    error NotExpired(bytes32 seriesId, uint64 expiry, uint64 now);
    /// The premium (trader's view, positive = pays) is worse than the trader's limit.
    error PremiumLimitExceeded(int256 premium, int256 limitPremium);
    /// The trade would grow the pool's |greek| beyond its limit on the underlying.
    /// `greek`: 0 net delta (options minus perp skew, WAD), 1 vega (quote WAD per 1.0 of volatility).
    error GreekLimitExceeded(uint32 underlying, uint8 greek, int256 exposureBefore, int256 exposureAfter, uint256 limit);
    /// The inputs are outside the pricer's domain (spot, volatility, expiry) or overflow.
    error PricingFailed(bytes32 seriesId);
    /// The open interest of the series cannot absorb the position (RiskEngine and the book disagree).
    error BookMismatch(bytes32 seriesId, int256 amountBefore, int256 amountDelta);
    /// A series was listed.
    event SeriesListed(bytes32 indexed seriesId, uint32 indexed underlying, uint256 strike, uint64 expiry, bool isCall);
    /// A trade was applied (account 0: a liquidation close driven by RiskEngine).
    event OptionTraded(uint256 indexed account, bytes32 indexed seriesId, int256 amount, int256 premium, uint256 fee, uint256 spread);
    /// A series expired and its settlement price was recorded, once and for all.
    event SeriesSettled(bytes32 indexed seriesId, uint256 settlementPrice);
    /// Market or underlying parameters changed (underlying 0 with the global parameters).
    event ParametersChanged(uint32 indexed underlying, address indexed sender);
}
