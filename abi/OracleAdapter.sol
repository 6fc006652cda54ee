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
    function setFeed(uint32 feed_id, address primary, address secondary, uint32 max_age, uint32 max_age_lenient, uint16 max_deviation_bps, uint256 min_price, uint256 max_price) external;

    function applyFeedChange(uint32 feed_id) external;

    function pendingFeedChange(uint32 feed_id) external view returns (uint64);

    function setTiming(address sequencer_feed, uint32 grace_period, uint32 settlement_window) external;

    function price(uint32 feed_id, uint8 usage) external view returns (uint256);

    function prices(uint32[] memory feed_ids, uint8 usage) external view returns (uint256[] memory);

    function sequencerStatus() external view returns (uint8 status, uint256 since);

    function recordSettlementPrice(uint32 feed_id, uint64 expiry, uint80 round_id) external returns (uint256);

    function settlementPrice(uint32 feed_id, uint64 expiry) external view returns (uint256);

    function setSurfaceConfig(int256 min_log_moneyness, int256 max_log_moneyness, uint8 points, uint256 min_volatility, uint256 max_volatility, uint32 max_age) external;

    function setVolatilitySurface(uint32 feed_id, uint64 expiry, uint256 forward, int256 a, int256 b, int256 rho, int256 m, int256 sigma) external;

    function volatility(uint32 feed_id, uint64 expiry, uint256 strike, uint8 usage) external view returns (uint256);

    function volatilities(uint256[] memory queries, uint8 usage) external view returns (uint256[] memory);

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
    /// No volatility surface was pushed for this feed and expiry.
    error SurfaceNotSet(uint32 feedId, uint64 expiry);
    /// The volatility surface is older than the maximum surface age.
    error StaleSurface(uint32 feedId, uint64 expiry, uint256 pushedAt, uint256 maxAge, uint256 now);
    /// The pushed surface is malformed. `reason`: 0 expiry not in the future or too far,
    /// 1 zero forward, 2 SVI parameters outside their domain, 3 arithmetic range,
    /// 4 no surface configuration, 5 too many live expiries for the feed.
    error InvalidSurface(uint32 feedId, uint64 expiry, uint8 reason);
    /// The pushed surface's volatility at a protocol strike (log-moneyness) is outside the bounds.
    error VolatilityOutOfBounds(uint32 feedId, uint64 expiry, int256 logMoneyness, uint256 volatility);
    /// The pushed surface has a negative butterfly (Gatheral's g(k) < 0) at a protocol strike.
    error ButterflyArbitrage(uint32 feedId, uint64 expiry, int256 logMoneyness);
    /// The pushed surface's total variance is not increasing in expiry against `neighbourExpiry` at a protocol strike.
    error CalendarArbitrage(uint32 feedId, uint64 expiry, uint64 neighbourExpiry, int256 logMoneyness);
    /// The volatility cannot be computed for this strike (zero strike or arithmetic range).
    error VolatilityUnavailable(uint32 feedId, uint64 expiry, uint256 strike);
    /// The protocol strike grid (log-moneyness), volatility bounds and surface maximum age changed.
    event SurfaceConfigured(int256 minLogMoneyness, int256 maxLogMoneyness, uint8 points, uint256 minVolatility, uint256 maxVolatility, uint32 maxAge);
    /// A volatility slice was pushed (SVI raw parameters as stored, 18 decimals).
    event VolatilitySurfaceSet(uint32 indexed feedId, uint64 indexed expiry, uint256 forward, int256 a, int256 b, int256 rho, int256 m, int256 sigma);
}
