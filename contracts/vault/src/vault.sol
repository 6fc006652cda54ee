/// The caller is not the wired RiskEngine (or none is wired yet).
error NotRiskEngine(address caller);
/// The RiskEngine is already wired; wiring is set once.
error RiskEngineAlreadySet(address riskEngine);
/// The token is not accepted as collateral.
error TokenNotListed(address token);
/// A collateral parameter is outside its hard bounds (haircut above 1e18, more than 18 decimals, zero token, a quote haircut below one).
error InvalidCollateralConfig(address token);
/// A Vault parameter is outside its hard bounds, or an address is zero.
error InvalidParameters();
/// The deposit would take the token's total above its cap.
error DepositCapExceeded(address token, uint256 cap, uint256 totalAfter);
/// The account's owner (its high 160 bits) is zero: no one could ever withdraw from it.
error AccountWithoutOwner(uint256 account);
/// An amount is zero (or an LP deposit would mint zero shares), or does not fit the Vault's 128-bit balances.
error InvalidAmount(uint256 amount);
/// The token moved a different amount than asked (fee-on-transfer or rebasing tokens are refused).
error TransferAmountMismatch(address token, uint256 expected, uint256 received);
/// The account holds less of the token than the movement needs (`balance` is the quote cash for the quote token).
error InsufficientBalance(uint256 account, address token, int256 balance, uint256 needed);
/// A reserve holds less than it must pay: `reserve` 0 is the pool, 1 the protocol fees.
error InsufficientReserve(uint8 reserve, uint256 available, uint256 needed);
/// The LP holds or has requested fewer shares than it redeems.
error InsufficientShares(address provider, uint256 available, uint256 needed);
/// Redemption is outside the window that follows the LP's request.
error RedeemNotOpen(uint64 opensAt, uint64 closesAt, uint64 now);
/// A token transfer reverted or returned false (OpenZeppelin's SafeErc20).
error SafeErc20FailedOperation(address token);

/// A token was listed as collateral or its parameters changed.
event CollateralConfigured(address indexed token, uint8 decimals, uint256 haircut, uint256 cap, uint32 feedId);
/// The wiring or the fee and LP parameters changed.
event VaultConfigured(address riskEngine, uint16 insuranceFeeBps, uint16 protocolFeeBps, uint16 insurancePenaltyBps, uint64 cooldown, uint64 redeemWindow);
/// Tokens were deposited into an account.
event Deposited(uint256 indexed account, address indexed token, address indexed from, uint256 amount);
/// Tokens left an account: to an address (`toAccount` zero) or to another account (`to` zero).
event Withdrawn(uint256 indexed account, address indexed token, address indexed to, uint256 toAccount, uint256 amount);
/// Quote cash moved between an account and the pool, the insurance fund and the protocol fees (token units; positive = the account received).
event CashSettled(uint256 indexed account, int256 withPool, int256 withInsurance, int256 withProtocol);
/// Bad debt: the account's `amount` of `token` (token units) was seized to the protocol account `toAccount`
/// (the Vault admin's subaccount 0) before the insurance fund and the pool covered the rest.
event CollateralSeized(uint256 indexed account, address indexed token, uint256 indexed toAccount, uint256 amount);
/// Bad debt of an account was absorbed (token units); `remaining` is what neither the insurance fund nor the pool could cover.
event BadDebtAbsorbed(uint256 indexed account, uint256 fromInsurance, uint256 fromPool, uint256 remaining);
/// Pool liquidity changed: a deposit (`deposit` true) or a redemption, in quote token units and share units.
event LiquidityChanged(address indexed provider, address indexed receiver, bool deposit, uint256 assets, uint256 shares);
/// An LP asked to redeem `shares` in the window `[opensAt, closesAt]`.
event RedeemRequested(address indexed provider, uint256 shares, uint64 opensAt, uint64 closesAt);
/// The admin claimed protocol fees.
event ProtocolFeesClaimed(address indexed to, uint256 amount);
/// `from` paid `amount` quote token units into the insurance fund.
event InsuranceFunded(address indexed from, uint256 amount);
