//! Pieces every Bulwark contract shares: account ids, the ABI-side scale, roles and pausing,
//! the typed bindings each contract uses to call another, and the ABI export helper.
//!
//! The call graph runs in one direction (see DESIGN.md): markets call RiskEngine
//! and OracleAdapter; RiskEngine calls Vault, OracleAdapter and the markets' hooks;
//! Vault calls tokens; OracleAdapter calls feeds. The bindings in [`interfaces`]
//! are the only way one Bulwark contract calls another.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

#[cfg(feature = "export-abi")]
pub mod abi;
pub mod account;
pub mod calls;
pub mod delay;
pub mod dispatch;
pub mod evm;
pub mod interfaces;
pub mod packed;
pub mod replies;
pub mod roles;
pub mod units;
