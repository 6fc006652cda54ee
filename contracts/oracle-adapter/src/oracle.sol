/// A configuration value is outside its hard bounds. `feedId` is 0 for global settings.
/// `parameter`: 1 primary, 2 secondary, 3 maxAge, 4 maxAgeLenient, 5 maxDeviationBps,
/// 6 price bounds, 7 feed decimals, 8 sequencer grace period, 9 settlement window, 10 surface config (volatility-surface feature).
error InvalidConfig(uint32 feedId, uint8 parameter);
/// No feed is configured under this id.
error FeedNotConfigured(uint32 feedId);
/// The usage is not 0 (add risk), 1 (reduce risk, low) or 2 (reduce risk, high).
error InvalidUsage(uint8 usage);
/// The source's round is incomplete: updatedAt is 0 or answeredInRound < roundId.
error IncompleteRound(uint32 feedId, address source, uint80 roundId, uint80 answeredInRound, uint256 updatedAt);
/// The source's answer is zero or negative.
error NonPositiveAnswer(uint32 feedId, address source, int256 answer);
/// The source's round is older than the maximum age for this usage, or stamped in the future.
error StalePrice(uint32 feedId, address source, uint256 updatedAt, uint256 maxAge, uint256 now);
/// The source's price (18 decimals) lies outside the feed's accepted range.
error PriceOutOfBounds(uint32 feedId, address source, uint256 price, uint256 minPrice, uint256 maxPrice);
/// Primary and secondary disagree by more than the feed's maximum deviation (basis points).
error PriceDeviation(uint32 feedId, uint256 primaryPrice, uint256 secondaryPrice, uint256 deviationBps, uint256 maxDeviationBps);
/// The L2 sequencer is down (or its uptime feed reports no valid status) since `since`.
error SequencerDown(uint256 since);
/// The L2 sequencer came back up at `upSince`; prices that add risk resume at `gracePeriodEnds`.
error SequencerGracePeriod(uint256 upSince, uint256 gracePeriodEnds);
/// No valid settlement round. `reason`: 0 expiry not reached, 1 round missing or incomplete,
/// 2 round before expiry (none at or after expiry yet), 3 round after the settlement window,
/// 4 not the first round at or after expiry, 5 predecessor not found within the search bound,
/// 6 answer not positive or out of bounds.
error SettlementUnavailable(uint32 feedId, uint64 expiry, uint80 roundId, uint8 reason);
/// The settlement price of this feed and expiry is already recorded and never changes.
error SettlementAlreadyRecorded(uint32 feedId, uint64 expiry, uint256 price);
/// No settlement price is recorded for this feed and expiry yet.
error SettlementNotRecorded(uint32 feedId, uint64 expiry);

/// No change of this feed's configuration is announced.
error NoFeedChangePending(uint32 feedId);
/// The announced change of this feed's configuration takes effect at `effectiveAt`.
error FeedChangeNotDue(uint32 feedId, uint64 effectiveAt, uint64 now);

/// A change of a configured feed was announced; anyone applies it from `effectiveAt` (prices in
/// 18 decimals). A later announcement replaces it.
event FeedChangeAnnounced(uint32 indexed feedId, address indexed primary, address indexed secondary, uint32 maxAge, uint32 maxAgeLenient, uint16 maxDeviationBps, uint256 minPrice, uint256 maxPrice, uint64 effectiveAt);
/// A feed was configured, or an announced change of it applied (prices in 18 decimals).
event FeedConfigured(uint32 indexed feedId, address indexed primary, address indexed secondary, uint32 maxAge, uint32 maxAgeLenient, uint16 maxDeviationBps, uint256 minPrice, uint256 maxPrice);
/// The sequencer uptime feed (zero: no sequencer check), its grace period and the settlement window changed.
event TimingConfigured(address indexed sequencerFeed, uint32 gracePeriod, uint32 settlementWindow);
/// A settlement price was recorded, once and for all.
event SettlementPriceRecorded(uint32 indexed feedId, uint64 indexed expiry, uint256 price, uint80 roundId, uint256 updatedAt);
