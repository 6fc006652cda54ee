/// The token is not accepted as collateral.
error TokenNotListed(address token);
/// The token is already listed.
error TokenAlreadyListed(address token);
/// A collateral parameter is outside its hard bounds.
error InvalidCollateralConfig(address token);
/// The deposit would take the token's total above its cap.
error DepositCapExceeded(address token, uint256 cap, uint256 totalAfter);
/// A zero amount was given.
error ZeroAmount();

/// A token was listed as collateral.
event CollateralListed(address indexed token, uint8 decimals, uint256 haircut, uint256 cap, uint32 feedId);
/// Tokens were deposited into an account.
event Deposited(uint256 indexed account, address indexed token, address indexed from, uint256 amount);
