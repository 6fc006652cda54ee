//! Tests: `logic` natively with explicit `now` (time really moves there), and
//! the contract under motsu with mock feeds (fixed block timestamp: rounds are
//! stamped relative to it).

mod adapter;
mod logic;

use stylus_sdk::storage::StorageType;

#[test]
fn storage_structs_take_their_slots() {
    assert_eq!(<super::Feed as StorageType>::REQUIRED_SLOTS, 3);
    assert_eq!(<super::SliceStorage as StorageType>::REQUIRED_SLOTS, 2);
}
