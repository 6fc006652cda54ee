//! Accounts: `(owner, subaccount)` packed into one `uint256`.
//!
//! The owner sits in the high 160 bits and the subaccount in the low 96 bits,
//! so an account id is deterministic, costs no hashing, and its owner can be
//! read back from the id alone.

use alloy_primitives::{Address, U256};

/// Number of bits that hold the subaccount number.
const SUBACCOUNT_BITS: usize = 96;

/// Packs `(owner, subaccount)` into an account id.
#[must_use]
pub fn account_id(owner: Address, subaccount: u128) -> U256 {
    // Only the low 96 bits of the subaccount are kept; `subaccount_of` returns them.
    let sub = U256::from(subaccount) & ((U256::from(1u8) << SUBACCOUNT_BITS) - U256::from(1u8));
    (U256::from_be_slice(owner.as_slice()) << SUBACCOUNT_BITS) | sub
}

/// The owner of an account id.
#[must_use]
pub fn owner_of(account: U256) -> Address {
    let owner = account >> SUBACCOUNT_BITS;
    Address::from_slice(&owner.to_be_bytes::<32>()[12..])
}

/// The subaccount number of an account id.
#[must_use]
pub fn subaccount_of(account: U256) -> u128 {
    let mask = (U256::from(1u8) << SUBACCOUNT_BITS) - U256::from(1u8);
    (account & mask).to::<u128>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn account_id_round_trips(owner in any::<[u8; 20]>(), sub in 0u128..(1u128 << 96)) {
            let owner = Address::from(owner);
            let id = account_id(owner, sub);
            prop_assert_eq!(owner_of(id), owner);
            prop_assert_eq!(subaccount_of(id), sub);
        }

        #[test]
        fn distinct_accounts_have_distinct_ids(a in any::<[u8; 20]>(), b in any::<[u8; 20]>(), sa in 0u128..(1u128 << 96), sb in 0u128..(1u128 << 96)) {
            prop_assume!((a, sa) != (b, sb));
            prop_assert_ne!(account_id(Address::from(a), sa), account_id(Address::from(b), sb));
        }
    }

    #[test]
    fn subaccount_keeps_only_low_96_bits() {
        let owner = Address::repeat_byte(0xab);
        assert_eq!(account_id(owner, 1u128 << 96), account_id(owner, 0));
    }
}
