/// No market with this id.
error MarketNotFound(uint32 marketId);
/// A market parameter is outside its hard bounds. `field`: 1 feedId (zero), 2 skewScale,
/// 3 makerFee (above takerFee), 4 takerFee, 5 maxOpenInterest, 6 minTradeSize,
/// 7 maxTradeSize (below minTradeSize or above maxOpenInterest), 8 maxFundingVelocity,
/// 9 maxFundingRate. README.md lists the bounds.
error InvalidMarketParams(uint32 marketId, uint8 field);
/// The fill is worse than the trader's limit: above it for a buy, below it for a sell.
error AcceptablePriceExceeded(uint32 marketId, int256 sizeDelta, uint256 fillPrice, uint256 acceptablePrice);
/// The trade is zero, or adds risk with |sizeDelta| outside [minTradeSize, maxTradeSize].
error TradeSizeOutOfBounds(uint32 marketId, int256 sizeDelta, uint256 minTradeSize, uint256 maxTradeSize);
/// The side that grows (long if `long`) would pass its open-interest cap.
error OpenInterestCapExceeded(uint32 marketId, bool long, uint256 openInterest, uint256 maxOpenInterest);
/// A price, size or funding value left its range (fill price at or below zero, overflow).
error ValueOutOfRange(uint32 marketId);
/// Only the wired RiskEngine may call this hook.
error NotRiskEngine(address caller);

/// A market was created (or its parameters changed); margin parameters were handed to RiskEngine.
event MarketParamsSet(uint32 indexed marketId, uint32 indexed feedId, uint256 skewScale, uint256 makerFee, uint256 takerFee, uint256 maxOpenInterest, uint256 minTradeSize, uint256 maxTradeSize, uint256 maxFundingVelocity, uint256 maxFundingRate, uint256 initialMarginRate, uint256 maintenanceMarginRate, uint256 marginRateScale);
/// A position changed by `sizeDelta` from `sizeBefore` at `fillPrice`, paying `fee`; its funding
/// was settled by RiskEngine against `fundingIndex` (it paid sizeBefore * (fundingIndex - its snapshot)).
/// `liquidation`: a forced close by RiskEngine (no fee here; RiskEngine charges the penalty).
event PerpTraded(uint256 indexed account, uint32 indexed marketId, int256 sizeBefore, int256 sizeDelta, uint256 fillPrice, uint256 fee, int256 fundingIndex, bool liquidation);
/// Funding was brought up to date at `price` with the skew that held since the last update.
event FundingUpdated(uint32 indexed marketId, int256 fundingRate, int256 fundingIndex, uint256 price, int256 skew);
