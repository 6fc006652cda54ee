//! How one Bulwark contract turns a failed call into its own revert.
//!
//! A callee's revert data is passed up unchanged, so a trader who calls
//! PerpMarket sees RiskEngine's `InsufficientMargin(...)`, not a generic
//! failure. Only a reply that cannot be decoded becomes [`CallFailed`].

use alloc::vec::Vec;

use alloy_primitives::Address;
use stylus_sdk::call;

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol! {
        #![sol(all_derives)]
        /// A called contract answered with data that could not be decoded.
        error CallFailed(address target);
    }
}
pub use sol::CallFailed;

// The SDK 0.9 `sol_interface!` bindings still return this error type.
#[allow(deprecated)]
/// Maps the error of a call to `target` into revert data for the caller.
#[must_use]
pub fn revert_data(target: Address, error: call::Error) -> Vec<u8> {
    match error {
        call::Error::Revert(data) => data,
        call::Error::AbiDecodingFailed(_) => {
            alloy_sol_types::SolError::abi_encode(&CallFailed { target })
        }
    }
}
