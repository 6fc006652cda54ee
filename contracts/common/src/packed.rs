//! One storage word seen as declared bit fields: the one packing scheme of
//! every contract.
//!
//! A [`Packed`] word is a `uint256`; bit 0 is its lowest bit. Each contract
//! declares its layouts as [`Field`] constants (offset and width), as
//! Uniswap v4 declares `Slot0`'s, and reads and writes through them. Halves
//! are always `(low, high)`: the low half holds bits 0..128.
//!
//! The accessors are `#[inline(always)]`: each use with a constant field
//! then folds to a few shifts and masks. Called out of line, they cost
//! PerpMarket 700 bytes of WASM; inlined, 59.
//!
//! ```
//! use bulwark_common::packed::{Field, Packed};
//! const PRICE: Field = Field::new(0, 128);
//! const TIME: Field = Field::new(128, 64);
//! let word = Packed::ZERO.with(PRICE, 2_000).with(TIME, 7);
//! assert_eq!((word.get(PRICE), word.get(TIME)), (2_000, 7));
//! assert_eq!(word.halves(), (2_000, 7));
//! ```

// Measured: see the module documentation.
#![allow(clippy::inline_always)]

use alloy_primitives::{B256, U256};

/// `width` bits of a word starting at bit `offset` (bit 0 is the lowest bit
/// of the `uint256`). At most 128 bits wide, and inside the word: both are
/// checked when the constant is built, so a bad layout does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    offset: u32,
    width: u32,
}

impl Field {
    /// The low half, bits 0..128.
    pub const LOW: Field = Field::new(0, 128);
    /// The high half, bits 128..256.
    pub const HIGH: Field = Field::new(128, 128);

    /// The field of `width` bits at `offset`.
    ///
    /// # Panics
    /// At compile time for a constant (and otherwise at run time) when the
    /// width is 0 or over 128, or the field ends past bit 256.
    pub const fn new(offset: u32, width: u32) -> Field {
        assert!(width >= 1 && width <= 128, "a field is 1 to 128 bits wide");
        assert!(offset + width <= 256, "a field ends inside its word");
        Field { offset, width }
    }

    /// The bits the field can hold, right-aligned.
    #[inline(always)]
    pub const fn mask(self) -> u128 {
        if self.width == 128 {
            u128::MAX
        } else {
            (1 << self.width) - 1
        }
    }

    /// Whether `value` fits in the field.
    pub const fn fits(self, value: u128) -> bool {
        value & !self.mask() == 0
    }

    /// Whether the signed `value` fits in the field as two's complement.
    pub const fn fits_signed(self, value: i128) -> bool {
        let shift = 128 - self.width;
        (value << shift) >> shift == value
    }
}

/// One 256-bit storage word as its four little-endian 64-bit limbs (the
/// layout of `U256::from_limbs`, so conversion is free).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Packed([u64; 4]);

impl Packed {
    /// The empty word.
    pub const ZERO: Packed = Packed([0; 4]);

    /// The word with these halves.
    // Truncation to 64 bits is the point: each limb takes its part.
    #[allow(clippy::cast_possible_truncation)]
    #[inline(always)]
    pub const fn from_halves(low: u128, high: u128) -> Packed {
        Packed([low as u64, (low >> 64) as u64, high as u64, (high >> 64) as u64])
    }

    /// Bits 0..128.
    #[inline(always)]
    pub const fn low(self) -> u128 {
        (self.0[1] as u128) << 64 | self.0[0] as u128
    }

    /// Bits 128..256.
    #[inline(always)]
    pub const fn high(self) -> u128 {
        (self.0[3] as u128) << 64 | self.0[2] as u128
    }

    /// `(low, high)`.
    #[inline(always)]
    pub const fn halves(self) -> (u128, u128) {
        (self.low(), self.high())
    }

    /// The field's bits, right-aligned.
    #[inline(always)]
    pub const fn get(self, field: Field) -> u128 {
        let (low, high) = self.halves();
        let bits = if field.offset >= 128 {
            high >> (field.offset - 128)
        } else if field.offset == 0 {
            low
        } else {
            low >> field.offset | high << (128 - field.offset)
        };
        bits & field.mask()
    }

    /// The field read as two's complement of its width, sign-extended.
    // Reinterpreting the bits is the point; the shifts sign-extend.
    #[allow(clippy::cast_possible_wrap)]
    #[inline(always)]
    pub const fn get_signed(self, field: Field) -> i128 {
        let shift = 128 - field.width;
        ((self.get(field) << shift) as i128) >> shift
    }

    /// The word with the field set to `value`'s low `width` bits. Callers
    /// store only values that fit ([`Field::fits`], checked in debug
    /// builds): a validated parameter or a bounded amount.
    #[must_use]
    #[inline(always)]
    pub const fn with(self, field: Field, value: u128) -> Packed {
        debug_assert!(field.fits(value), "the value fits its field");
        let mask = field.mask();
        let value = value & mask;
        let (mut low, mut high) = self.halves();
        if field.offset >= 128 {
            let shift = field.offset - 128;
            high = high & !(mask << shift) | value << shift;
        } else {
            low = low & !(mask << field.offset) | value << field.offset;
            if field.offset + field.width > 128 {
                let shift = 128 - field.offset;
                high = high & !(mask >> shift) | value >> shift;
            }
        }
        Packed::from_halves(low, high)
    }

    /// The word with the field set to `value` as two's complement of its
    /// width (checked in debug builds to fit, as [`Self::with`]).
    // Two's complement reinterpretation, exact for values that fit.
    #[allow(clippy::cast_sign_loss)]
    #[must_use]
    #[inline(always)]
    pub const fn with_signed(self, field: Field, value: i128) -> Packed {
        debug_assert!(field.fits_signed(value), "the value fits its field");
        self.with(field, value as u128 & field.mask())
    }

    /// The limbs, lowest first.
    pub const fn limbs(self) -> [u64; 4] {
        self.0
    }

    /// The word of these limbs, lowest first.
    pub const fn from_limbs(limbs: [u64; 4]) -> Packed {
        Packed(limbs)
    }
}

impl From<U256> for Packed {
    fn from(value: U256) -> Self {
        Packed(value.into_limbs())
    }
}

impl From<Packed> for U256 {
    fn from(value: Packed) -> Self {
        U256::from_limbs(value.0)
    }
}

impl From<B256> for Packed {
    fn from(value: B256) -> Self {
        U256::from_be_bytes(value.0).into()
    }
}

impl From<Packed> for B256 {
    fn from(value: Packed) -> Self {
        B256::from(U256::from_limbs(value.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn halves_are_low_then_high_in_every_view() {
        let word = Packed::from_halves(1, 2);
        assert_eq!(word.halves(), (1, 2));
        assert_eq!(U256::from_limbs(word.limbs()), U256::from(2u8) << 128 | U256::from(1u8));
        assert_eq!(B256::from(word).0[31], 1);
        assert_eq!(B256::from(word).0[15], 2);
        assert_eq!(Packed::from(B256::from(word)), word);
        assert_eq!(word.get(Field::LOW), 1);
        assert_eq!(word.get(Field::HIGH), 2);
    }

    #[test]
    fn a_field_across_the_halves_keeps_both_parts() {
        let across = Field::new(120, 16);
        let word = Packed::ZERO.with(across, 0xabcd);
        assert_eq!(word.halves(), (0xcd << 120, 0xab));
        assert_eq!(word.get(across), 0xabcd);
    }

    #[test]
    fn signed_fields_sign_extend() {
        let rate = Field::new(128, 64);
        let word = Packed::ZERO.with_signed(rate, -5);
        assert_eq!(word.get_signed(rate), -5);
        assert_eq!(word.get(rate), u128::from(u64::MAX) - 4);
        assert_eq!(word.low(), 0);
        assert!(rate.fits_signed(i128::from(i64::MIN)));
        assert!(!rate.fits_signed(i128::from(i64::MAX) + 1));
        assert!(Field::LOW.fits_signed(i128::MIN));
    }

    #[test]
    #[should_panic(expected = "a field ends inside its word")]
    fn a_field_past_the_word_is_refused() {
        let _ = Field::new(200, 64);
    }

    fn field() -> impl Strategy<Value = Field> {
        (1u32..=128)
            .prop_flat_map(|width| (0..=256 - width).prop_map(move |o| Field::new(o, width)))
    }

    proptest! {
        #[test]
        fn a_field_reads_back_what_was_written_and_nothing_else_moves(
            limbs in any::<[u64; 4]>(),
            field in field(),
            value in any::<u128>(),
        ) {
            let before = Packed::from_limbs(limbs);
            let value = value & field.mask();
            let after = before.with(field, value);
            prop_assert_eq!(after.get(field), value);
            // Every bit outside the field is unchanged.
            let outside = !(U256::from(field.mask()) << field.offset as usize);
            prop_assert_eq!(U256::from_limbs(after.limbs()) & outside, U256::from_limbs(limbs) & outside);
        }

        #[test]
        fn a_signed_field_round_trips(field in field(), value in any::<i128>()) {
            let shift = 128 - field.width;
            let value = (value << shift) >> shift;
            prop_assert_eq!(Packed::ZERO.with_signed(field, value).get_signed(field), value);
        }
    }
}
