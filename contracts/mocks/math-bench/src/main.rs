//! Prints the bench's Solidity interface (`export-abi`).
fn main() {
    bulwark_common::abi::print::<bulwark_mock_math_bench::MathBench>(
        &[("IMathBench", include_str!("bench.sol"))],
        &[],
    );
}
