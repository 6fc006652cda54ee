//! In-process Stylus chain for Bulwark's tests and tools.
//!
//! It runs the real `.wasm` artifacts under Nitro's rules: the module is
//! checked as activation would check it, instrumented with an ink meter, and
//! executed in `wasmi` with every `vm_hooks` host function priced as on chain.
//!
//! - [`activation`]: the offline activation check (`bulwark-sandbox check`).
//! - [`finalize`]: the build's last step, making binaryen's output activatable.
//! - [`l1`]: the L1 data (poster) gas Arbitrum adds to every transaction.
//! - [`pricing`]: every ink and gas constant, named by ArbOS version.
//! - [`meter`]: the ink instrumentation.
//! - [`Sandbox`]: deploy, call, inspect state, control time, snapshots.
//! - [`Receipt`]: outcome, return or revert data, logs, gas breakdown.

pub mod activation;
mod chain;
pub mod finalize;
mod host;
pub mod l1;
pub mod meter;
pub mod pricing;
pub mod program;
pub mod receipt;
mod sandbox;

pub use chain::{Account, BlockEnv, World};
pub use host::{HostioSig, HOSTIOS, MAX_CALL_DEPTH};
pub use pricing::GasSchedule;
pub use program::{DeployError, Program};
pub use receipt::{CallError, Footprint, GasBreakdown, Log, Outcome, Receipt};
pub use sandbox::{
    artifact, artifacts_dir, constructor_selector, Sandbox, SandboxError, SnapshotId, Tx,
    DEFAULT_GAS_LIMIT, STYLUS_DEPLOYER,
};
