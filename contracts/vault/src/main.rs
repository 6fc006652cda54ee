//! Prints the Vault's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_vault::Vault>(
        &[bulwark_common::abi::ROLES, ("IVault", include_str!("vault.sol"))],
        &bulwark_vault::return_names(),
    );
}
