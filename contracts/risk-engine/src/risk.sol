/// The caller may not act for this account: it is neither the owner nor an approved operator.
error NotAccountOperator(uint256 account, address caller);
/// An account cannot approve itself as operator.
error InvalidOperator(address operator);

/// An owner approved or revoked an operator for all its subaccounts.
event OperatorSet(address indexed owner, address indexed operator, bool approved);
