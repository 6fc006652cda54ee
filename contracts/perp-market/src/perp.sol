/// No market with this id.
error MarketNotFound(uint32 marketId);
/// A market parameter is outside its hard bounds.
error InvalidMarketParams(uint32 marketId);

/// A perp market was created.
event MarketCreated(uint32 indexed marketId, uint32 indexed feedId, uint256 skewScale, uint256 makerFee, uint256 takerFee, uint256 maxOpenInterest);
