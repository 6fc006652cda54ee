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
    function setMarketParams(uint32 market_id, uint32 feed_id, uint256[11] calldata params) external returns (uint32);

    function applyMarketParams(uint32 market_id) external;

    function pendingMarketParams(uint32 market_id) external view returns (uint64);

    function onTrade(uint256 account, uint32 market_id, int256 size_before, int256 size_delta, uint256 acceptable_price) external returns (uint256 fillPrice, uint256 fee, int256 fundingIndex, bool strict);

    function onLiquidationClose(uint256 account, uint32 market_id, int256 size_before, int256 size_delta, uint256 oracle_price) external returns (uint256 fillPrice, int256 fundingIndex);

    function marketParams(uint32 market_id) external view returns (uint32 feedId, uint256[] memory params);

    function marginInputs(uint32[] memory market_ids) external view returns (uint256[] memory);

    function feedSkew(uint32 feed_id) external view returns (int256);

    function quote(uint32 market_id, int256 size_delta) external view returns (uint256 fillPrice, uint256 fee, uint256 oraclePrice, int256 fundingRate, int256 fundingIndex, uint256 longOpenInterest, uint256 shortOpenInterest);

    function position(uint256 account, uint32 market_id, int256 size) external view returns (int256 positionSize, uint256 entryPrice, int256 fundingSnapshot, int256 unrealisedPnl, int256 accruedFunding);

    function marketCount() external view returns (uint32);

    /// No market with this id (or, when creating, no id left: ids run from 1 to 63).
    error MarketNotFound(uint32 marketId);
    /// A market parameter is outside its hard bounds. `field`: 1 feedId (zero), 2 skewScale,
    /// 3 makerFee (above takerFee), 4 takerFee, 5 maxOpenInterest, 6 minTradeSize,
    /// 7 maxTradeSize (below minTradeSize or above maxOpenInterest), 8 maxFundingVelocity,
    /// 9 maxFundingRate, 10 initialMarginRate (zero or above 1), 11 maintenanceMarginRate (zero or
    /// above initialMarginRate), 12 marginRateScale. README.md lists the bounds.
    error InvalidMarketParams(uint32 marketId, uint8 field);
    /// The fill is worse than the trader's limit: above it for a buy, below it for a sell.
    error AcceptablePriceExceeded(uint256 fillPrice, uint256 acceptablePrice);
    /// The trade is zero, or adds risk with |sizeDelta| outside the market's [minTradeSize, maxTradeSize].
    error TradeSizeOutOfBounds(uint32 marketId, int256 sizeDelta);
    /// The side that grows (long if `long`) would reach `openInterest`, above the market's maxOpenInterest.
    error OpenInterestCapExceeded(uint32 marketId, bool long, uint256 openInterest);
    /// A price, size or funding value left its range (fill price at or below zero, overflow).
    error ValueOutOfRange(uint32 marketId);
    /// Only the wired RiskEngine may call this hook.
    error NotRiskEngine(address caller);
    /// No change of this market's parameters is announced.
    error NoParamsChangePending(uint32 marketId);
    /// The announced change of this market's parameters takes effect at `effectiveAt`.
    error ParamsChangeNotDue(uint32 marketId, uint64 effectiveAt, uint64 now);
    /// A change of an existing market's parameters (same order as MarketParamsSet) was announced;
    /// anyone applies it from `effectiveAt` (applyMarketParams). A later announcement replaces it.
    event MarketParamsAnnounced(uint32 indexed marketId, uint256[11] params, uint64 effectiveAt);
    /// A market was created or its parameters changed. `params`: skewScale, makerFee, takerFee,
    /// maxOpenInterest, minTradeSize, maxTradeSize, maxFundingVelocity, maxFundingRate, then the
    /// margin parameters MarginEngine values positions with: initialMarginRate, maintenanceMarginRate,
    /// marginRateScale. Funding was brought to now first: `fundingRate` and `fundingIndex` hold from here.
    event MarketParamsSet(uint32 indexed marketId, uint32 indexed feedId, uint256[11] params, int256 fundingRate, int256 fundingIndex);
    /// A position changed by `sizeDelta` from `sizeBefore` at `fillPrice`, paying `fee`. Funding was
    /// brought to now first (a funding update: `fundingRate` per day, positive = longs pay; `fundingIndex`)
    /// and the position settled its funding since its last change: `fundingPaid` = sizeBefore *
    /// (fundingIndex - its snapshot), rounded up, positive = the position paid. `liquidation`: a forced
    /// close by RiskEngine (no fee here; RiskEngine charges the penalty).
    event PerpTraded(uint256 indexed account, uint32 indexed marketId, int256 sizeBefore, int256 sizeDelta, uint256 fillPrice, uint256 fee, int256 fundingPaid, int256 fundingRate, int256 fundingIndex, bool liquidation);
}
