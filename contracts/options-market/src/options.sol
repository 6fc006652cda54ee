/// The series is already listed.
error SeriesAlreadyListed(bytes32 seriesId);
/// Expiries must lie in the future, at the protocol's fixed time of day.
error InvalidExpiry(uint64 expiry, uint64 now);
/// Strikes must be positive.
error InvalidStrike(uint256 strike);

/// A series was listed.
event SeriesListed(bytes32 indexed seriesId, uint32 indexed underlying, uint256 strike, uint64 expiry, bool isCall);
