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
