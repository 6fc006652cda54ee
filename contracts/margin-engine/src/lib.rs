//! MarginEngine: how much an account is worth, how much margin it needs, and
//! what liquidating it would close and pay.
//!
//! The pure logic ([`margin`], [`liquidation`], [`position`], [`book`]) is
//! shared with RiskEngine, which keeps every account's positions and sends
//! them here as a [`book`] of storage words. The deployable contract (feature
//! `contract`, on by default) has no state: it reads collateral, prices,
//! volatilities and funding through views, evaluates, and returns numbers.
//! It exists because the valuation and the flows that change positions do
//! not fit in one Stylus program (README.md has the sizes).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

pub mod book;
pub mod liquidation;
pub mod margin;
pub mod position;

#[cfg(feature = "contract")]
mod contract;
#[cfg(feature = "contract")]
pub use contract::*;

/// The WASM dispatcher serves exactly the interface `export-abi` prints.
#[cfg(all(test, feature = "contract"))]
#[test]
fn the_dispatcher_serves_the_exported_interface() {
    let source = include_str!("../../../abi/MarginEngine.sol");
    bulwark_common::dispatch::assert_dispatches(&signatures(), source, "IMarginEngine");
}
