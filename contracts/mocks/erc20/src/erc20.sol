function transfer(address to, uint256 value) external returns (bool);
function transferFrom(address from, address to, uint256 value) external returns (bool);
/// Tokens moved (ERC-20).
event Transfer(address indexed from, address indexed to, uint256 value);
/// An allowance was set (ERC-20).
event Approval(address indexed owner, address indexed spender, uint256 value);
