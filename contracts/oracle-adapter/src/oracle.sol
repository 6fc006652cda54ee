/// No feed is configured under this id.
error FeedNotConfigured(uint32 feedId);
/// A feed's configuration is outside the hard bounds.
error InvalidFeedConfig(uint32 feedId);
/// The feed's answer is zero or negative.
error NonPositiveAnswer(uint32 feedId, int256 answer);
/// The feed's latest round is older than the feed's maximum age.
error StalePrice(uint32 feedId, uint256 updatedAt, uint256 maxAge, uint256 now);
/// The feed's answer lies outside the accepted range.
error PriceOutOfBounds(uint32 feedId, int256 answer, int256 minAnswer, int256 maxAnswer);

/// A feed was configured or reconfigured.
event FeedConfigured(uint32 indexed feedId, address indexed primary, uint64 maxAge, int256 minAnswer, int256 maxAnswer);
