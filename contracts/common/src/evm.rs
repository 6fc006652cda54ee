//! ABI words, revert data and logs without per-type code.
//!
//! alloy's typed `SolEvent`/`SolError` encoders are generic: every event or
//! error type instantiates its own copy, about 600 compressed bytes each in a
//! contract (measured), and the contract size limit is 24,576. Every event and
//! error Bulwark emits is made of static words, so one non-generic path
//! serves them all: the caller names the event's `SIGNATURE_HASH` or the
//! error's `SELECTOR` (constants generated from the module's `.sol` file, so
//! the ABI and the bytes cannot drift) and passes the words. Tests decode the
//! result with the typed alloy definitions to prove the encoding.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, I256, U256};
use stylus_sdk::stylus_core::Host;

/// One 32-byte ABI word.
pub type Word = [u8; 32];

/// An unsigned integer as an ABI word.
#[must_use]
pub fn uint(x: u128) -> Word {
    let mut word = [0u8; 32];
    word[16..].copy_from_slice(&x.to_be_bytes());
    word
}

/// A `uint256` as an ABI word.
#[must_use]
pub fn uint256(x: U256) -> Word {
    x.to_be_bytes::<32>()
}

/// A signed integer as an ABI word (two's complement, sign-extended).
#[must_use]
pub fn int(x: i128) -> Word {
    let mut word = if x < 0 { [0xff; 32] } else { [0u8; 32] };
    word[16..].copy_from_slice(&x.to_be_bytes());
    word
}

/// An `int256` as an ABI word.
#[must_use]
pub fn int256(x: I256) -> Word {
    x.into_raw().to_be_bytes::<32>()
}

/// An address as an ABI word.
#[must_use]
pub fn address(a: Address) -> Word {
    a.into_word().0
}

/// A `bool` as an ABI word.
#[must_use]
pub fn boolean(b: bool) -> Word {
    uint(u128::from(b))
}

/// A `bytes32` as an ABI word.
#[must_use]
pub fn bytes32(b: B256) -> Word {
    b.0
}

/// Revert data of a custom error: its selector, then its words.
#[must_use]
pub fn revert(selector: [u8; 4], words: &[Word]) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * words.len());
    data.extend_from_slice(&selector);
    for word in words {
        data.extend_from_slice(word);
    }
    data
}

/// Emits a log: `signature` (the event's `SIGNATURE_HASH`) as topic 0, the
/// `indexed` words as topics 1-3, the `data` words as data.
pub fn emit(vm: &dyn Host, signature: B256, indexed: &[Word], data: &[Word]) {
    let topics = 1 + indexed.len();
    let mut input = Vec::with_capacity(32 * (topics + data.len()));
    input.extend_from_slice(signature.as_slice());
    for word in indexed.iter().chain(data) {
        input.extend_from_slice(word);
    }
    vm.emit_log(&input, topics);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::{sol, SolError, SolValue};
    use proptest::prelude::*;

    sol! {
        #[derive(Debug, PartialEq)]
        error Sample(uint256 a, int256 b, address c, bool d, bytes32 e);
    }

    proptest! {
        #[test]
        fn revert_matches_the_typed_encoding(a in any::<u128>(), b in any::<i128>(), c in any::<[u8; 20]>(), d in any::<bool>(), e in any::<[u8; 32]>()) {
            let typed = Sample {
                a: U256::from(a),
                b: I256::try_from(b).unwrap(),
                c: Address::from(c),
                d,
                e: B256::from(e),
            };
            let words = [uint(a), int(b), address(Address::from(c)), boolean(d), bytes32(B256::from(e))];
            prop_assert_eq!(revert(Sample::SELECTOR, &words), typed.abi_encode());
        }

        #[test]
        fn wide_words_match_the_typed_encoding(a in any::<[u8; 32]>(), b in any::<i128>()) {
            let x = U256::from_be_bytes(a);
            prop_assert_eq!(uint256(x).to_vec(), x.abi_encode());
            let y = I256::try_from(b).unwrap();
            prop_assert_eq!(int256(y).to_vec(), y.abi_encode());
        }
    }
}
