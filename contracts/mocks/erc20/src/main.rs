//! Prints the mock token's Solidity interface (`export-abi`). The SDK does not
//! print the methods of implemented traits, so the ERC-20 surface is declared
//! here.
fn main() {
    bulwark_common::abi::print::<bulwark_mock_erc20::MockErc20>(&[(
        "IMockErc20",
        include_str!("erc20.sol"),
    )]);
}
