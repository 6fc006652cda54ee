//! Prints the PerpMarket's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_perp_market::PerpMarket>(
        &[bulwark_common::abi::ROLES, ("IPerpMarket", include_str!("perp.sol"))],
        &bulwark_perp_market::return_names(),
    );
}
