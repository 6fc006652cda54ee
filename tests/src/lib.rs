//! The cross-contract test harness: Bulwark's real WASM artifacts
//! (`target/stylus/*.wasm`, built by `scripts/build`) deployed together in
//! the sandbox, which enforces re-entry, read-only calls, time and gas as
//! Arbitrum does.
//!
//! The bindings are generated from the checked-in `abi/*.sol`, so these tests
//! also pin the published interface: a contract whose behaviour drifts from
//! its ABI fails here.

pub mod model;
pub mod protocol;

pub use bulwark_deploy::bindings;

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolError};
use bulwark_sandbox::{GasSchedule, Receipt, Sandbox};

/// One in 18-decimal fixed point.
pub const WAD: u128 = 1_000_000_000_000_000_000;

/// The address that deploys and administers everything in a fixture.
pub const ADMIN: Address = Address::repeat_byte(0xad);

/// Where `scripts/build` puts the artifacts.
pub fn artifact_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/stylus").join(format!("{name}.wasm"))
}

/// Reads an artifact, with a message that says how to make it.
///
/// # Panics
/// When the artifact is missing: run `scripts/build` first.
pub fn artifact(name: &str) -> Vec<u8> {
    let path = artifact_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{}: {e}: run scripts/build before the cross-contract tests", path.display())
    })
}

/// A sandbox chain with helpers to deploy Bulwark's artifacts and call them.
pub struct Chain {
    /// The in-process Stylus chain.
    pub sandbox: Sandbox,
    /// The artifact deployed at each address, for the stack-depth record.
    names: Vec<(Address, String)>,
}

/// When set, each [`Chain`] writes the most value-stack words each artifact
/// used in one call into a file of its own in this directory when it is
/// dropped (`scripts/test` sets it and prints the worst depth per contract).
pub const STACK_DEPTH_DIR: &str = "BULWARK_STACK_DEPTH_DIR";

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A fresh chain at a fixed, realistic time (2026-01-01 08:00 UTC).
    pub fn new() -> Chain {
        Self::with_schedule(GasSchedule::live())
    }

    /// As [`Chain::new`], priced as `schedule`'s ArbOS version prices.
    pub fn with_schedule(schedule: GasSchedule) -> Chain {
        let mut sandbox = Sandbox::with_schedule(schedule);
        sandbox.set_timestamp(1_767_254_400);
        Chain { sandbox, names: Vec::new() }
    }

    /// The artifact deployed at `address` by this chain, if any.
    pub fn name_of(&self, address: Address) -> Option<&str> {
        self.names.iter().find(|(a, _)| *a == address).map(|(_, n)| n.as_str())
    }

    /// The most value-stack words each deployed artifact used in one call so
    /// far, by artifact name (the deepest of its instances).
    pub fn stack_depths(&self) -> std::collections::BTreeMap<String, u32> {
        let mut depths = std::collections::BTreeMap::new();
        for (address, words) in self.sandbox.stack_high_water() {
            if let Some(name) = self.name_of(*address) {
                let seen: &mut u32 = depths.entry(name.to_owned()).or_default();
                *seen = (*seen).max(*words);
            }
        }
        depths
    }

    /// Deploys artifact `name` from [`ADMIN`] and runs its constructor
    /// (declared in [`bindings::constructors`]: exported interfaces carry none).
    ///
    /// # Panics
    /// When the artifact is missing or its constructor fails.
    pub fn deploy<C: SolConstructor>(&mut self, name: &str, constructor: &C) -> Address {
        bulwark_deploy::Chain::deploy(self, name, name, Some(constructor.abi_encode()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Deploys artifact `name`, a contract without state or constructor.
    ///
    /// # Panics
    /// When the artifact is missing or does not activate.
    pub fn deploy_stateless(&mut self, name: &str) -> Address {
        bulwark_deploy::Chain::deploy(self, name, name, None).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sends `call` from `from` and returns the receipt, whatever its outcome.
    ///
    /// # Panics
    /// When the sandbox itself fails (not when the call reverts).
    pub fn send<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Receipt {
        self.sandbox.call(from, to, call).unwrap_or_else(|e| panic!("sandbox failure: {e}"))
    }

    /// Sends `call` and decodes its return value.
    ///
    /// # Panics
    /// When the call reverts (with the revert data in the message).
    pub fn ok<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> C::Return {
        let receipt = self.send(from, to, call);
        receipt.decode_return::<C>().unwrap_or_else(|e| {
            panic!("{} reverted: {e}", C::SIGNATURE);
        })
    }

    /// A read-only call, decoded; a revert becomes its raw revert data.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
        let receipt = self
            .sandbox
            .static_call_raw(Address::ZERO, to, call.abi_encode())
            .unwrap_or_else(|e| panic!("sandbox failure: {e}"));
        if receipt.success() {
            Ok(receipt
                .decode_return::<C>()
                .unwrap_or_else(|e| panic!("decoding {}: {e}", C::SIGNATURE)))
        } else {
            Err(receipt.output.to_vec())
        }
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, seconds: u64) {
        self.sandbox.advance_time(seconds);
    }

    /// The current block timestamp.
    pub fn now(&self) -> u64 {
        self.sandbox.block().timestamp
    }
}

/// The deploy plan's transactions, sent from [`ADMIN`]; a failure is the
/// revert data or the sandbox's error, in words.
impl bulwark_deploy::Chain for Chain {
    type Error = String;

    fn deploy(
        &mut self,
        step: &str,
        artifact: &str,
        constructor: Option<Vec<u8>>,
    ) -> Result<Address, String> {
        let (address, _) = self
            .sandbox
            .deploy(ADMIN, &crate::artifact(artifact), constructor.as_deref(), U256::ZERO)
            .map_err(|e| format!("{step}: deploying {artifact}: {e}"))?;
        self.names.push((address, artifact.to_owned()));
        Ok(address)
    }

    fn send(&mut self, step: &str, to: Address, input: Vec<u8>) -> Result<Vec<u8>, String> {
        let receipt = self
            .sandbox
            .call_raw(ADMIN, to, alloy_primitives::Bytes::from(input))
            .map_err(|e| format!("{step}: {e}"))?;
        if !receipt.success() {
            return Err(format!(
                "{step} reverted: 0x{}",
                alloy_primitives::hex::encode(&receipt.output)
            ));
        }
        Ok(receipt.output.to_vec())
    }
}

/// Numbers the stack-depth records of this process's chains.
static CHAINS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Drop for Chain {
    fn drop(&mut self) {
        use std::fmt::Write as _;
        let Some(dir) = std::env::var_os(STACK_DEPTH_DIR) else { return };
        let depths = self.stack_depths();
        if depths.is_empty() {
            return;
        }
        let n = CHAINS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = PathBuf::from(dir).join(format!("{}-{n}.txt", std::process::id()));
        let mut lines = String::new();
        for (name, words) in &depths {
            let _ = writeln!(lines, "{name} {words}");
        }
        // A record that cannot be written loses a measurement, not a test.
        let _ = std::fs::write(path, lines);
    }
}

/// Asserts that a transaction succeeded; `what` names it in the failure.
///
/// # Panics
/// When it did not, with its revert data.
pub fn success(r: &Receipt, what: &str) {
    assert!(r.success(), "{what} failed: 0x{}", alloy_primitives::hex::encode(&r.output));
}

/// Asserts that `revert` is exactly the ABI encoding of `expected`.
///
/// # Panics
/// When it is not, showing both.
pub fn assert_error<E: SolError + std::fmt::Debug>(revert: &[u8], expected: &E) {
    let wanted = expected.abi_encode();
    assert!(
        revert == wanted.as_slice(),
        "expected revert {expected:?} (0x{}), got 0x{}",
        alloy_primitives::hex::encode(&wanted),
        alloy_primitives::hex::encode(revert)
    );
}

/// `x` whole units in 18-decimal fixed point.
pub fn wad(x: u128) -> U256 {
    U256::from(x * WAD)
}
