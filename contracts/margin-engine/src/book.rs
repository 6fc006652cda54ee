//! The book: an account's positions and the risk parameters, as the words
//! RiskEngine keeps in storage and sends to MarginEngine unchanged.
//!
//! RiskEngine copies its storage words into the call without unpacking them,
//! and MarginEngine unpacks them here; both sides use [`crate::position`]'s
//! packing, so the layout lives in one place. Every word is a pair of
//! `(low, high)` 128-bit halves:
//!
//! | Words | Content |
//! |---|---|
//! | 1 | `(perp count, option count)` |
//! | [`PARAM_WORDS`] | risk parameters, two per word, in [`RiskParams::to_values`] order |
//! | [`PERP_WORDS`] per perp | `(market id, 0)`, `(size, basis)` |
//! | [`OPTION_WORDS`] per option | the series word ([`position::pack_series`]), `(amount, series index)` |

use alloc::vec::Vec;

use crate::{
    margin::{MarketParams, OptionLeg, PerpLeg, RiskParams, PARAM_COUNT},
    position::{self, to_signed_bits},
};

/// A storage word as `(low, high)` halves.
pub type Halves = (u128, u128);

/// Words of risk parameters.
pub const PARAM_WORDS: usize = PARAM_COUNT.div_ceil(2);
/// Words per perp position. A perp's market (margin parameters, skew,
/// funding) is PerpMarket's, read by MarginEngine (`marginInputs`), never a
/// copy in the book.
pub const PERP_WORDS: usize = 2;
/// Words per option position.
pub const OPTION_WORDS: usize = 2;

/// Words of a liquidation plan (`MarginEngine.liquidationPlan`) before the
/// per-leg words.
pub const PLAN_HEAD: usize = 9;
/// Words per leg in a liquidation plan.
pub const PLAN_LEG: usize = 4;

/// An account's positions and the parameters to value them with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Book {
    /// Risk parameters.
    pub params: RiskParams,
    /// Market id of each perp leg.
    pub market_ids: Vec<u32>,
    /// Perp legs: size and basis from the book; the market's parameters,
    /// skew and funding index stay zero until MarginEngine loads them from
    /// PerpMarket.
    pub perps: Vec<PerpLeg>,
    /// Option legs (volatility zero: the valuation asks the oracle).
    pub options: Vec<OptionLeg>,
}

/// The risk parameters as [`PARAM_WORDS`] words.
pub fn params_to_words(params: &RiskParams) -> [Halves; PARAM_WORDS] {
    let values = params.to_values();
    let mut words = [(0, 0); PARAM_WORDS];
    for (word, pair) in words.iter_mut().zip(values.chunks(2)) {
        *word = (pair[0], pair.get(1).copied().unwrap_or(0));
    }
    words
}

/// Risk parameters from their words, or the index of the first value outside
/// its bounds.
pub fn params_from_words(words: &[Halves; PARAM_WORDS]) -> Result<RiskParams, u8> {
    let mut values = [0; 2 * PARAM_WORDS];
    for (pair, (low, high)) in values.chunks_exact_mut(2).zip(words) {
        pair.copy_from_slice(&[*low, *high]);
    }
    RiskParams::from_values(&values)
}

impl Book {
    /// Decodes a book; `None` when the words do not have the layout above
    /// or the parameters are outside their bounds.
    pub fn decode(words: &[Halves]) -> Option<Book> {
        let (&(perp_count, option_count), rest) = words.split_first()?;
        let perp_count = usize::try_from(perp_count).ok()?;
        let option_count = usize::try_from(option_count).ok()?;
        let perp_words = perp_count.checked_mul(PERP_WORDS)?;
        let option_words = option_count.checked_mul(OPTION_WORDS)?;
        if rest.len() != PARAM_WORDS + perp_words + option_words {
            return None;
        }
        let (params, rest) = rest.split_at(PARAM_WORDS);
        let (perps, options) = rest.split_at(perp_words);
        let params = params_from_words(params.try_into().ok()?).ok()?;
        let mut book =
            Book { params, market_ids: Vec::new(), perps: Vec::new(), options: Vec::new() };
        for perp in perps.chunks_exact(PERP_WORDS) {
            book.market_ids.push(u32::try_from(perp[0].0).ok()?);
            let (size, basis) = perp[1];
            book.perps.push(PerpLeg {
                market: MarketParams::default(),
                size: to_signed_bits(size),
                basis: to_signed_bits(basis),
                funding_index: 0,
                skew: 0,
            });
        }
        for option in options.chunks_exact(OPTION_WORDS) {
            let mut leg = position::unpack_series(option[0]);
            leg.amount = to_signed_bits(option[1].0);
            book.options.push(leg);
        }
        Some(book)
    }

    /// Encodes the book (series index zero; a perp's market fields are not
    /// part of it); RiskEngine builds the same words from storage.
    pub fn encode(&self) -> Vec<Halves> {
        let mut words = Vec::new();
        words.push((self.perps.len() as u128, self.options.len() as u128));
        words.extend_from_slice(&params_to_words(&self.params));
        for (id, perp) in self.market_ids.iter().zip(&self.perps) {
            words.extend_from_slice(&[
                (u128::from(*id), 0),
                (position::from_signed(perp.size), position::from_signed(perp.basis)),
            ]);
        }
        for option in &self.options {
            words.push(position::pack_series(option));
            words.push((position::from_signed(option.amount), 0));
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn perp(size: i128) -> PerpLeg {
        PerpLeg {
            market: MarketParams::default(),
            size,
            basis: -size / 3,
            funding_index: 0,
            skew: 0,
        }
    }

    proptest! {
        // Indexes below 10.
        #[allow(clippy::cast_possible_truncation)]
        #[test]
        fn books_round_trip(
            sizes in proptest::collection::vec(any::<i64>(), 0..4),
            amounts in proptest::collection::vec(any::<i64>(), 0..6),
            expiry in any::<u64>(),
        ) {
            let options = amounts.iter().enumerate().map(|(i, a)| OptionLeg {
                feed: i as u32 + 1,
                amount: i128::from(*a) << 20,
                strike: (i as u128 + 1) << 64,
                expiry,
                is_call: i % 2 == 0,
                volatility: 0,
            }).collect();
            let book = Book {
                params: RiskParams::DEFAULT,
                market_ids: (0..sizes.len() as u32).map(|i| i * 5).collect(),
                perps: sizes.iter().map(|s| perp(i128::from(*s) << 30)).collect(),
                options,
            };
            let words = book.encode();
            prop_assert_eq!(words.len(), 1 + PARAM_WORDS + PERP_WORDS * sizes.len() + OPTION_WORDS * amounts.len());
            prop_assert_eq!(Book::decode(&words), Some(book));
            // Any other length is refused.
            prop_assert_eq!(Book::decode(&words[..words.len() - 1]), None);
        }
    }

    #[test]
    fn malformed_books_are_refused() {
        assert_eq!(Book::decode(&[]), None);
        // Counts that overflow the word count.
        assert_eq!(Book::decode(&[(u128::MAX, 0)]), None);
        // Parameters outside their bounds (imFactor zero).
        let mut words = vec![(0, 0)];
        words.extend_from_slice(&[(0, 0); PARAM_WORDS]);
        assert_eq!(Book::decode(&words), None);
        words[1..].copy_from_slice(&params_to_words(&RiskParams::DEFAULT));
        assert_eq!(Book::decode(&words).map(|b| b.params), Some(RiskParams::DEFAULT));
    }
}
