//! Prints the OptionsMarket's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_options_market::OptionsMarket>(
        &[bulwark_common::abi::ROLES, ("IOptionsMarket", include_str!("options.sol"))],
        &bulwark_options_market::return_names(),
    );
}
