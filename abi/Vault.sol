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

interface IVault is IRoles  {
    function setRiskEngine(address risk_engine) external;

    function setParameters(uint16 insurance_fee_bps, uint16 protocol_fee_bps, uint16 insurance_penalty_bps, uint64 cooldown, uint64 redeem_window) external;

    function configureCollateral(address token, uint256 haircut, uint256 cap, uint32 feed_id) external;

    function deposit(uint256 account, address token, uint256 amount) external;

    function withdraw(uint256 account, address token, uint256 amount, address to) external;

    function fundInsurance(uint256 amount) external;

    function payLiquidator(uint256 account, uint256 amount, address to) external;

    function transferCollateral(uint256 from, uint256 to, address token, uint256 amount) external;

    function settle(uint256 account, int256 pnl, uint256 fee, bool penalty) external returns (int256);

    function absorbBadDebt(uint256 account) external returns (uint256 fromInsurance, uint256 fromPool);

    function lpDeposit(uint256 assets, address receiver) external returns (uint256);

    function lpRequestRedeem(uint256 shares) external;

    function lpRedeem(uint256 shares, address receiver) external returns (uint256);

    function claimProtocolFees(address to, uint256 amount) external;

    function parameters() external view returns (address quoteToken, address riskEngine, uint16 insuranceFeeBps, uint16 protocolFeeBps, uint16 insurancePenaltyBps, uint64 cooldown, uint64 redeemWindow);

    function collateralTokens() external view returns (address[] memory);

    function collateralConfig(address token) external view returns (bool listed, uint8 decimals, uint256 haircut, uint256 cap, uint32 feedId);

    function balanceOf(uint256 account, address token) external view returns (int256);

    function accountSnapshot(uint256 account) external view returns (uint256[] memory);

    function accounts(uint256 start, uint256 count) external view returns (uint256 total, uint256[] memory ids);

    function totalAssets() external view returns (uint256);

    function convertToShares(uint256 assets) external view returns (uint256);

    function previewRedeem(uint256 shares) external view returns (uint256);

    function poolState() external view returns (uint256 totalAssets, uint256 totalShares, uint256 sharePrice, uint256 insuranceFund, uint256 protocolFees, uint256 absorbedByInsurance, uint256 absorbedByPool);

    function lpPosition(address provider) external view returns (uint256 shares, uint256 requestedShares, uint64 opensAt, uint64 closesAt);

    function trackedBalance(address token) external view returns (int256);

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
}
