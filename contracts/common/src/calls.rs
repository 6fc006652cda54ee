//! Calls from one Bulwark contract to another, without per-signature code.
//!
//! A call is a selector from [`crate::interfaces`] and its arguments as ABI
//! words ([`crate::evm`]); the reply is read back word by word with the
//! dispatcher's strict decoder. A callee's revert data is passed up
//! unchanged, so a trader who calls PerpMarket sees RiskEngine's
//! `InsufficientMargin(...)`, not a generic failure. Only a reply that
//! cannot be decoded becomes [`CallFailed`].

use alloc::vec::Vec;

use alloy_primitives::Address;
use alloy_sol_types::SolError;
use stylus_sdk::stylus_core::{
    calls::{context::Call, errors::Error},
    Host,
};

use crate::{
    dispatch::{read_next, Decode},
    evm::{self, Word},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol! {
        #![sol(all_derives)]
        /// A called contract answered with data that could not be decoded.
        error CallFailed(address target);
    }
}
pub use sol::CallFailed;

/// Calldata: `selector`, then `words`.
#[must_use]
pub fn calldata(selector: u32, words: &[Word]) -> Vec<u8> {
    evm::revert(selector.to_be_bytes(), words)
}

/// Calldata of a function whose first parameter is an array of words
/// (`items`), followed by the static `rest`.
#[must_use]
pub fn calldata_with_array(selector: u32, items: &[Word], rest: &[Word]) -> Vec<u8> {
    calldata_around_array(selector, &[], items, rest)
}

/// Calldata of a function whose static parameters `head` are followed by
/// one array of words (`items`), its last parameter.
#[must_use]
pub fn calldata_ending_with_array(selector: u32, head: &[Word], items: &[Word]) -> Vec<u8> {
    calldata_around_array(selector, head, items, &[])
}

/// Calldata of a function whose one array parameter (`items`) sits
/// between the static words `before` and `after`.
#[must_use]
pub fn calldata_around_array(
    selector: u32,
    before: &[Word],
    items: &[Word],
    after: &[Word],
) -> Vec<u8> {
    let head = before.len() + 1 + after.len();
    let mut words = Vec::with_capacity(head + 1 + items.len());
    words.extend_from_slice(before);
    // The array's offset: past the head; lengths are bounded by memory, far
    // below 2^128.
    words.push(evm::uint(32 * head as u128));
    words.extend_from_slice(after);
    words.push(evm::uint(items.len() as u128));
    words.extend_from_slice(items);
    calldata(selector, &words)
}

/// Calls `target` with `data` (it may change state; the storage cache is
/// flushed and cleared first, as the SDK does); the callee's revert data
/// becomes the caller's error.
pub fn call(vm: &dyn Host, target: Address, data: &[u8]) -> Result<Reply, Vec<u8>> {
    reply(target, vm.call(&Call::new(), target, data))
}

/// Read-only call of `target` with `data` (the callee cannot change state).
pub fn view(vm: &dyn Host, target: Address, data: &[u8]) -> Result<Reply, Vec<u8>> {
    reply(target, vm.static_call(&Call::new(), target, data))
}

/// The host's answer as a [`Reply`] or the callee's revert data (the host
/// never decodes, so no other error arises).
fn reply(target: Address, answer: Result<Vec<u8>, Error>) -> Result<Reply, Vec<u8>> {
    match answer {
        Ok(data) => Ok(Reply { target, data, head: 0 }),
        Err(Error::Revert(data)) => Err(data),
        Err(Error::AbiDecodingFailed(_)) => Err(call_failed(target)),
    }
}

/// A callee's return data, read value by value in order.
pub struct Reply {
    target: Address,
    data: Vec<u8>,
    head: usize,
}

impl Reply {
    /// The next returned value; [`CallFailed`] when it is missing or invalid.
    pub fn read<T: Decode>(&mut self) -> Result<T, Vec<u8>> {
        read_next(&self.data, &mut self.head).ok_or_else(|| call_failed(self.target))
    }
}

/// [`CallFailed`] as revert data.
#[must_use]
pub fn call_failed(target: Address) -> Vec<u8> {
    evm::revert(CallFailed::SELECTOR, &[evm::address(target)])
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{I256, U256};
    use alloy_sol_types::SolValue;

    use super::*;

    fn reply(data: Vec<u8>) -> Reply {
        Reply { target: Address::repeat_byte(7), data, head: 0 }
    }

    #[test]
    fn replies_are_read_in_order() {
        let mut r = reply((U256::from(5), I256::MINUS_ONE, true).abi_encode_params());
        assert_eq!(r.read::<U256>(), Ok(U256::from(5)));
        assert_eq!(r.read::<I256>(), Ok(I256::MINUS_ONE));
        assert_eq!(r.read::<bool>(), Ok(true));
        // Past the end: the reply was malformed.
        assert_eq!(r.read::<U256>(), Err(call_failed(Address::repeat_byte(7))));
    }

    #[test]
    fn array_calldata_matches_alloy() {
        let ids = [U256::from(3), U256::from(9), U256::from(12)];
        let words: Vec<Word> = ids.iter().map(|id| evm::uint256(*id)).collect();
        let data = calldata_with_array(1, &words, &[evm::uint(2)]);
        assert_eq!(data[4..], (ids.to_vec(), U256::from(2)).abi_encode_params());
        let data = calldata_with_array(1, &words, &[]);
        assert_eq!(data[4..], (ids.to_vec(),).abi_encode_params());
        let data = calldata_around_array(1, &[evm::uint(2)], &words, &[evm::boolean(true)]);
        assert_eq!(data[4..], (U256::from(2), ids.to_vec(), true).abi_encode_params());
        let data = calldata_ending_with_array(1, &[evm::uint(2), evm::int(-4)], &words);
        assert_eq!(
            data[4..],
            (U256::from(2), I256::try_from(-4).unwrap(), ids.to_vec()).abi_encode_params()
        );
    }

    #[test]
    fn call_failed_is_the_declared_error() {
        let target = Address::repeat_byte(7);
        assert_eq!(call_failed(target), CallFailed { target }.abi_encode());
        assert_eq!(calldata(0x1234_5678, &[evm::uint(9)])[..4], [0x12, 0x34, 0x56, 0x78]);
    }
}
