//! Prints the mock feed's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_mock_aggregator::MockAggregator>(
        &[("IMockAggregator", include_str!("errors.sol"))],
        &[],
    );
}
