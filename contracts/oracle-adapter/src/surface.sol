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
