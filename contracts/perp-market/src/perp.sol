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
