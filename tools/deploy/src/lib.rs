//! Bulwark's deployment, in one place: the list of artifacts
//! ([`manifest`], read from `contracts/artifacts.txt`), typed bindings of
//! every contract generated from the checked-in `abi/*.sol` ([`bindings`]),
//! and the deploy-and-wire [`plan`] that the cross-contract tests' fixture,
//! the simulator and the gas report all run (and that a deploy command for a
//! real chain runs through a JSON-RPC [`plan::Chain`]).

pub mod bindings;
pub mod manifest;
pub mod plan;

pub use manifest::{artifacts, contracts, Artifact, Kind};
pub use plan::{deploy, Chain, Deployment, Plan, PlanError};
