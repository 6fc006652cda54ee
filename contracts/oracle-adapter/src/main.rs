//! Prints the OracleAdapter's Solidity interface (`export-abi`).
fn main() {
    let declarations = [include_str!("oracle.sol"), include_str!("surface.sol")].concat();
    bulwark_common::abi::print::<bulwark_oracle_adapter::OracleAdapter>(
        &[bulwark_common::abi::ROLES, ("IOracleAdapter", &declarations)],
        &bulwark_oracle_adapter::return_names(),
    );
}
