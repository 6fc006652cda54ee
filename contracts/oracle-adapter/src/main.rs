//! Prints the OracleAdapter's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_oracle_adapter::OracleAdapter>(&[
        bulwark_common::abi::ROLES,
        ("IOracleAdapter", include_str!("oracle.sol")),
    ]);
}
