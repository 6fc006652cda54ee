/// No round with this id was written.
error RoundNotFound(uint80 roundId);
/// Round ids only grow.
error RoundIdNotIncreasing(uint80 roundId, uint80 latestRoundId);

/// A round was written (Chainlink's AnswerUpdated).
event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
