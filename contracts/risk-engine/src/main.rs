//! Prints the RiskEngine's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_risk_engine::RiskEngine>(
        &[bulwark_common::abi::ROLES, ("IRiskEngine", include_str!("risk.sol"))],
        &bulwark_risk_engine::return_names(),
    );
}
