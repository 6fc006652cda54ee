/// The caller may not act for this account: it is neither the owner nor an approved operator.
error NotAccountOperator(uint256 account, address caller);
/// An account cannot approve itself or zero as operator.
error InvalidOperator(address operator);
/// Operator scopes are 0 (revoked), 1 (trade), 2 (trade, withdraw to the owner) and 3 (full).
error InvalidOperatorScope(uint8 scope);
/// The caller is an operator of the account whose `scope` does not allow withdrawing to `to`.
error OperatorScopeExceeded(uint256 account, address caller, uint8 scope, address to);
/// No change of the risk parameters is announced.
error NoRiskParametersPending();
/// The announced change of the risk parameters takes effect at `effectiveAt`.
error RiskParametersNotDue(uint64 effectiveAt, uint64 now);
/// The markets are wired once; these are the wired ones.
error MarketsAlreadySet(address perpMarket, address optionsMarket);
/// A parameter is outside its hard bounds. `index`: position in setRiskParameters' array, or 200
/// for a zero market address in setMarkets.
error InvalidParameter(uint8 index);
/// After an action that adds risk the account's equity is below its initial margin.
error InsufficientMargin(uint256 account, int256 equity, uint256 required);
/// The trade adds risk but only a lenient price is usable for this market or series.
error PriceNotStrict(uint256 account);
/// The account already holds the largest number of option series.
error TooManyOptions(uint256 account, uint256 max);
/// Perp market ids run below 64 (one bit each in an account's header).
error UnknownMarket(uint32 marketId);
/// The account's equity is at or above its maintenance margin.
error NotLiquidatable(uint256 account, int256 equity, uint256 maintenance);
/// A value left its range while valuing or changing the account (size, price, overflow).
error ValueOutOfRange(uint256 account);

/// An owner set what an operator may do for all its subaccounts: 0 nothing (revoked), 1 trade,
/// 2 trade and withdraw to the owner, 3 trade and withdraw anywhere.
event OperatorSet(address indexed owner, address indexed operator, uint8 scope);
/// Configuration changed. `kind`: 1 wiring (values: perpMarket, optionsMarket), 2 risk parameters
/// applied (setRiskParameters order), 3 risk parameters announced (same order; `key` = the time
/// they may be applied), 4 series `key` first traded here (index, feed, strike, expiry, isCall).
event Configured(uint8 indexed kind, bytes32 indexed key, uint256[] values);
/// A position changed: `key` is the perp market id or the option series id; `cash` is what the
/// account realised (PnL, funding, premium, settlement payoff; fees are the Vault's event).
event PositionChanged(uint256 indexed account, bytes32 indexed key, int256 sizeBefore, int256 sizeAfter, int256 cash);
/// An account was liquidated by `liquidator`, who received `toLiquidator` (quote WAD, whole token
/// units); `penalty` (quote WAD) was charged to the account, which the Vault splits between the
/// insurance fund and the pool (its CashSettled event). `closedAll`: every closable position was
/// closed.
event Liquidated(uint256 indexed account, address indexed liquidator, int256 equityBefore, uint256 maintenanceBefore, uint256 toLiquidator, uint256 penalty, bool closedAll);
/// A deficit of `account` was absorbed (quote WAD), recorded against market `key`
/// (perp market id, 2^31 + feed for options, or 0 when no position was left).
event BadDebtRecorded(uint256 indexed account, uint32 indexed key, uint256 fromInsurance, uint256 fromPool);
