//! Prints the MarginEngine's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_margin_engine::MarginEngine>(
        &[("IMarginEngine", include_str!("margin.sol"))],
        &bulwark_margin_engine::return_names(),
    );
}
