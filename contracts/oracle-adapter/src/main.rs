//! Prints the OracleAdapter's Solidity interface (`export-abi`).
fn main() {
    let surface =
        if cfg!(feature = "volatility-surface") { include_str!("surface.sol") } else { "" };
    let declarations = [include_str!("oracle.sol"), surface].concat();
    bulwark_common::abi::print::<bulwark_oracle_adapter::OracleAdapter>(&[
        bulwark_common::abi::ROLES,
        ("IOracleAdapter", &declarations),
    ]);
}
