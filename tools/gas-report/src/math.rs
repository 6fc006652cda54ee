//! The math library's cost, measured through the `MathBench` contract.

use std::path::Path;

use alloy_primitives::Address;
use alloy_sol_types::{sol, SolCall};
use bulwark_sandbox::Sandbox;

use crate::report::{Measurement, INK_PER_GAS};

sol! {
    interface IMathBench {
        function baseline(uint128 x) external view returns (uint128);
        function exp(int128 x) external view returns (uint128);
        function ln(uint128 x) external view returns (int128);
        function sqrt(uint128 x) external view returns (uint128);
        function pow(uint128 x, int128 y) external view returns (uint128);
        function cdf(int128 x) external view returns (uint128);
        function blackScholesPrice(uint128 spot, uint128 strike, uint64 seconds_to_expiry, uint128 volatility, int128 rate, bool is_call) external view returns (uint128);
        function blackScholesGreeks(uint128 spot, uint128 strike, uint64 seconds_to_expiry, uint128 volatility, int128 rate, bool is_call) external view returns (uint128, int128, uint128, uint128, int128);
        function priceScenarios(uint128 spot, uint128 strike, uint64 seconds_to_expiry, uint128 volatility, int128 rate, bool is_call, uint32 scenarios) external view returns (uint128);
    }
}

const WAD: u128 = 1_000_000_000_000_000_000;
const SIGNED_WAD: i128 = 1_000_000_000_000_000_000;
const DEPLOYER: Address = Address::repeat_byte(0xde);
const CALLER: Address = Address::repeat_byte(0xca);

/// Measures every `MathBench` function on representative inputs.
pub(crate) fn measure(artifacts: &Path) -> Result<Vec<Measurement>, String> {
    let path = artifacts.join("MathBench.wasm");
    let mut sandbox = Sandbox::new();
    let (bench, _) = sandbox
        .deploy_file(DEPLOYER, &path, None)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // An at-the-money one-month call on a 2,000 USD spot, 80% vol, 5% rate.
    let (spot, strike, month, vol, rate) =
        (2_000 * WAD, 2_000 * WAD, 30 * 86_400, 8 * WAD / 10, 5 * SIGNED_WAD / 100);
    let calls: Vec<(&str, Vec<u8>)> = vec![
        ("baseline (call, no math)", IMathBench::baselineCall { x: 1 }.abi_encode()),
        ("exp(1.5)", IMathBench::expCall { x: 15 * SIGNED_WAD / 10 }.abi_encode()),
        ("ln(2000)", IMathBench::lnCall { x: spot }.abi_encode()),
        ("sqrt(2000)", IMathBench::sqrtCall { x: spot }.abi_encode()),
        (
            "pow(1.1, 2.5)",
            IMathBench::powCall { x: 11 * WAD / 10, y: 25 * SIGNED_WAD / 10 }.abi_encode(),
        ),
        ("cdf(0.7)", IMathBench::cdfCall { x: 7 * SIGNED_WAD / 10 }.abi_encode()),
        ("cdf(-12) (tail)", IMathBench::cdfCall { x: -12 * SIGNED_WAD }.abi_encode()),
        (
            "Black-Scholes price (one quote)",
            IMathBench::blackScholesPriceCall {
                spot,
                strike,
                seconds_to_expiry: month,
                volatility: vol,
                rate,
                is_call: true,
            }
            .abi_encode(),
        ),
        (
            "Black-Scholes price and greeks",
            IMathBench::blackScholesGreeksCall {
                spot,
                strike,
                seconds_to_expiry: month,
                volatility: vol,
                rate,
                is_call: false,
            }
            .abi_encode(),
        ),
        (
            "one option under 33 scenarios",
            IMathBench::priceScenariosCall {
                spot,
                strike: 2_200 * WAD,
                seconds_to_expiry: month,
                volatility: vol,
                rate,
                is_call: true,
                scenarios: 33,
            }
            .abi_encode(),
        ),
    ];
    let mut rows = Vec::with_capacity(calls.len());
    let mut baseline_compute = 0;
    for (name, input) in calls {
        let receipt =
            sandbox.call_raw(CALLER, bench, input).map_err(|e| format!("MathBench {name}: {e}"))?;
        if !receipt.success() {
            return Err(format!("MathBench {name} reverted: {:?}", receipt.output));
        }
        let mut row = Measurement::new(name, receipt.gas_used, &receipt.gas);
        let compute = receipt.gas.compute_ink / INK_PER_GAS;
        if rows.is_empty() {
            baseline_compute = compute;
        } else {
            row.net_compute = Some(compute.saturating_sub(baseline_compute));
        }
        rows.push(row);
    }
    Ok(rows)
}
