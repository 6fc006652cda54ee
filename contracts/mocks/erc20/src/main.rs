//! Prints the mock token's Solidity interface (`export-abi`). `transfer` and
//! `transferFrom` are served by the fallback (so that a test can make them
//! return nothing), which the SDK does not print, so they are declared here.
fn main() {
    bulwark_common::abi::print::<bulwark_mock_erc20::MockErc20>(
        &[("IMockErc20", include_str!("erc20.sol"))],
        &[],
    );
}
