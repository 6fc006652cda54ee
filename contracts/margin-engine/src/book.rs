//! The RiskEngine/MarginEngine boundary: the book RiskEngine sends and the
//! liquidation plan MarginEngine returns, each with one encoder and one
//! decoder that both sides use.
//!
//! RiskEngine copies its storage words into the book without unpacking them
//! ([`encode_words`]), and MarginEngine unpacks them ([`Book::decode`]).
//! Every word is a [`Packed`] pair of `(low, high)` 128-bit halves:
//!
//! | Words | Content |
//! |---|---|
//! | 1 | `(perp count, option count)` |
//! | [`PARAM_WORDS`] | risk parameters, two per word, in [`RiskParams::to_values`] order |
//! | [`PERP_WORDS`] per perp | `(market id, 0)`, `(size, basis)` |
//! | [`OPTION_WORDS`] per option | the series word ([`position::pack_series`]), `(amount, series index)` |
//!
//! The plan ([`PlanReply`]) is [`PLAN_HEAD`] words and [`PLAN_LEG`] per leg;
//! [`PlanReply::encode`] documents each.

use alloc::vec::Vec;

use alloy_primitives::{I256, U256};
use bulwark_common::{
    packed::Packed,
    units::{i256, to_i128, to_u128},
};

use crate::{
    margin::{MarketParams, OptionLeg, PerpLeg, RiskParams, PARAM_COUNT},
    position::{self, to_signed_bits},
};

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
pub fn params_to_words(params: &RiskParams) -> [Packed; PARAM_WORDS] {
    let values = params.to_values();
    let mut words = [Packed::ZERO; PARAM_WORDS];
    for (word, pair) in words.iter_mut().zip(values.chunks(2)) {
        *word = Packed::from_halves(pair[0], pair.get(1).copied().unwrap_or(0));
    }
    words
}

/// Risk parameters from their words, or the index of the first value outside
/// its bounds.
pub fn params_from_words(words: &[Packed; PARAM_WORDS]) -> Result<RiskParams, u8> {
    let mut values = [0; 2 * PARAM_WORDS];
    for (pair, word) in values.chunks_exact_mut(2).zip(words) {
        pair.copy_from_slice(&[word.low(), word.high()]);
    }
    RiskParams::from_values(&values)
}

/// The book's words from the words RiskEngine stores: the parameter words,
/// each perp's `(market id, position word)` and each option's `(series word,
/// position word)`. The one book encoder: [`Book::encode`] uses it too.
pub fn encode_words(
    params: &[Packed; PARAM_WORDS],
    perps: &[(u32, Packed)],
    options: &[(Packed, Packed)],
) -> Vec<U256> {
    let mut words = Vec::new();
    words.push(Packed::from_halves(perps.len() as u128, options.len() as u128).into());
    words.extend(params.iter().map(|w| -> U256 { (*w).into() }));
    for (market_id, held) in perps {
        words.extend_from_slice(&[U256::from(*market_id), (*held).into()]);
    }
    for (terms, held) in options {
        words.extend_from_slice(&[(*terms).into(), (*held).into()]);
    }
    words
}

impl Book {
    /// Decodes a book; `None` when the words do not have the layout above
    /// or the parameters are outside their bounds.
    pub fn decode(words: &[U256]) -> Option<Book> {
        let (&counts, rest) = words.split_first()?;
        let (perp_count, option_count) = Packed::from(counts).halves();
        let perp_count = usize::try_from(perp_count).ok()?;
        let option_count = usize::try_from(option_count).ok()?;
        let perp_words = perp_count.checked_mul(PERP_WORDS)?;
        let option_words = option_count.checked_mul(OPTION_WORDS)?;
        if rest.len() != PARAM_WORDS.checked_add(perp_words)?.checked_add(option_words)? {
            return None;
        }
        let (params, rest) = rest.split_at(PARAM_WORDS);
        let (perps, options) = rest.split_at(perp_words);
        let mut param_words = [Packed::ZERO; PARAM_WORDS];
        for (word, value) in param_words.iter_mut().zip(params) {
            *word = Packed::from(*value);
        }
        let params = params_from_words(&param_words).ok()?;
        let mut book =
            Book { params, market_ids: Vec::new(), perps: Vec::new(), options: Vec::new() };
        for perp in perps.chunks_exact(PERP_WORDS) {
            book.market_ids.push(u32::try_from(perp[0]).ok()?);
            let (size, basis) = Packed::from(perp[1]).halves();
            book.perps.push(PerpLeg {
                market: MarketParams::default(),
                size: to_signed_bits(size),
                basis: to_signed_bits(basis),
                funding_index: 0,
                skew: 0,
            });
        }
        for option in options.chunks_exact(OPTION_WORDS) {
            let mut leg = position::unpack_series(option[0].into());
            leg.amount = to_signed_bits(Packed::from(option[1]).low());
            book.options.push(leg);
        }
        Some(book)
    }

    /// Encodes the book (series index zero; a perp's market fields are not
    /// part of it) through [`encode_words`], as RiskEngine does.
    pub fn encode(&self) -> Vec<U256> {
        let perps: Vec<(u32, Packed)> = self
            .market_ids
            .iter()
            .zip(&self.perps)
            .map(|(id, perp)| {
                let held = Packed::from_halves(
                    position::from_signed(perp.size),
                    position::from_signed(perp.basis),
                );
                (*id, held)
            })
            .collect();
        let options: Vec<(Packed, Packed)> = self
            .options
            .iter()
            .map(|o| {
                (position::pack_series(o), Packed::from_halves(position::from_signed(o.amount), 0))
            })
            .collect();
        encode_words(&params_to_words(&self.params), &perps, &options)
    }
}

/// One leg of a [`PlanReply`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanLeg {
    /// Size to close (same sign as the position; zero: kept).
    pub closed: i128,
    /// The whole leg's value at the plan's prices (quote WAD).
    pub value: i128,
    /// Spot price of its feed (WAD).
    pub spot: u128,
    /// For a perp, the funding index it was valued with; zero for options.
    pub funding_index: i128,
}

/// What `MarginEngine.liquidationPlan` returns: what liquidating an account
/// now would do, at lenient-low prices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanReply {
    /// Whether the account is liquidatable (if not, only the equity,
    /// maintenance margin and cash are set, and there are no legs).
    pub liquidatable: bool,
    /// Equity before (quote WAD).
    pub equity: i128,
    /// Maintenance margin before.
    pub maintenance: u128,
    /// Maintenance margin after the closes.
    pub maintenance_after: u128,
    /// Modelled payout to the liquidator.
    pub to_liquidator: u128,
    /// Modelled payout to the insurance fund.
    pub to_insurance: u128,
    /// The account's quote cash (quote WAD).
    pub cash: i128,
    /// Whether its debt stays backed: it holds other collateral and its
    /// equity after the closes is >= 0 (else a debt left once everything is
    /// closed is bad debt, and the Vault seizes that collateral).
    pub debt_backed: bool,
    /// Every closable position is closed.
    pub closed_all: bool,
    /// Per leg, perps first in book order.
    pub legs: Vec<PlanLeg>,
}

/// A word as `int128`; out of line, as every decoder use shares it.
#[inline(never)]
fn signed(word: U256) -> Option<i128> {
    to_i128(I256::from_raw(word))
}

/// A word as a flag: 0 or 1.
#[inline(never)]
fn flag(word: U256) -> Option<bool> {
    match to_u128(word)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

impl PlanReply {
    /// The reply as ABI words: `[0]` 1 if liquidatable, `[1]` equity
    /// (`int256`), `[2]` maintenance margin, `[3]` maintenance margin after,
    /// `[4]` to the liquidator, `[5]` to the insurance fund, `[6]` quote cash
    /// (`int256`), `[7]` 1 if the debt stays backed, `[8]` 1 if every closable
    /// position is closed; then per leg the size to close (`int256`), its
    /// value (`int256`), its spot price and its funding index (`int256`).
    pub fn encode(&self) -> Vec<U256> {
        let signed = |x: i128| i256(x).into_raw();
        let flag = |b: bool| U256::from(u8::from(b));
        let mut words = Vec::with_capacity(PLAN_HEAD + PLAN_LEG * self.legs.len());
        words.extend_from_slice(&[
            flag(self.liquidatable),
            signed(self.equity),
            U256::from(self.maintenance),
            U256::from(self.maintenance_after),
            U256::from(self.to_liquidator),
            U256::from(self.to_insurance),
            signed(self.cash),
            flag(self.debt_backed),
            flag(self.closed_all),
        ]);
        for leg in &self.legs {
            words.extend_from_slice(&[
                signed(leg.closed),
                signed(leg.value),
                U256::from(leg.spot),
                signed(leg.funding_index),
            ]);
        }
        words
    }

    /// Decodes a reply for a book of `legs` legs (none when the account is
    /// not liquidatable); `None` when its length, a flag or a value is out
    /// of range.
    pub fn decode(words: &[U256], legs: usize) -> Option<PlanReply> {
        let (head, rest) = words.split_at_checked(PLAN_HEAD)?;
        let liquidatable = flag(head[0])?;
        let legs = if liquidatable { legs } else { 0 };
        if rest.len() != PLAN_LEG.checked_mul(legs)? {
            return None;
        }
        let mut reply = PlanReply {
            liquidatable,
            equity: signed(head[1])?,
            maintenance: to_u128(head[2])?,
            maintenance_after: to_u128(head[3])?,
            to_liquidator: to_u128(head[4])?,
            to_insurance: to_u128(head[5])?,
            cash: signed(head[6])?,
            debt_backed: flag(head[7])?,
            closed_all: flag(head[8])?,
            legs: Vec::with_capacity(legs),
        };
        for leg in rest.chunks_exact(PLAN_LEG) {
            reply.legs.push(PlanLeg {
                closed: signed(leg[0])?,
                value: signed(leg[1])?,
                spot: to_u128(leg[2])?,
                funding_index: signed(leg[3])?,
            });
        }
        Some(reply)
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

    fn plan_leg() -> impl Strategy<Value = PlanLeg> {
        (any::<i128>(), any::<i128>(), any::<u128>(), any::<i128>()).prop_map(
            |(closed, value, spot, funding_index)| PlanLeg { closed, value, spot, funding_index },
        )
    }

    proptest! {
        #[test]
        fn plans_round_trip(
            legs in proptest::collection::vec(plan_leg(), 0..6),
            equity in any::<i128>(),
            cash in any::<i128>(),
            amounts in any::<[u128; 4]>(),
            flags in any::<[bool; 2]>(),
        ) {
            let reply = PlanReply {
                liquidatable: true,
                equity,
                maintenance: amounts[0],
                maintenance_after: amounts[1],
                to_liquidator: amounts[2],
                to_insurance: amounts[3],
                cash,
                debt_backed: flags[0],
                closed_all: flags[1],
                legs: legs.clone(),
            };
            let words = reply.encode();
            prop_assert_eq!(words.len(), PLAN_HEAD + PLAN_LEG * legs.len());
            prop_assert_eq!(PlanReply::decode(&words, legs.len()), Some(reply));
            // A reply for another book is refused.
            prop_assert_eq!(PlanReply::decode(&words, legs.len() + 1), None);
            // Not liquidatable: the head alone, whatever the book.
            let healthy = PlanReply { equity, cash, maintenance: amounts[0], ..PlanReply::default() };
            prop_assert_eq!(PlanReply::decode(&healthy.encode(), legs.len()), Some(healthy));
        }
    }

    #[test]
    fn malformed_plans_are_refused() {
        let reply = PlanReply {
            liquidatable: true,
            legs: vec![PlanLeg::default()],
            ..PlanReply::default()
        };
        let words = reply.encode();
        assert_eq!(PlanReply::decode(&words[..PLAN_HEAD - 1], 0), None);
        // A flag other than 0 or 1.
        let mut bad = words.clone();
        bad[7] = U256::from(2u8);
        assert_eq!(PlanReply::decode(&bad, 1), None);
        // A signed value beyond int128, an unsigned one beyond uint128.
        let mut bad = words.clone();
        bad[1] = U256::from(1u8) << 200;
        assert_eq!(PlanReply::decode(&bad, 1), None);
        let mut bad = words;
        bad[PLAN_HEAD + 2] = U256::MAX;
        assert_eq!(PlanReply::decode(&bad, 1), None);
    }

    #[test]
    fn malformed_books_are_refused() {
        let counts =
            |perps: u128, options: u128| -> U256 { Packed::from_halves(perps, options).into() };
        assert_eq!(Book::decode(&[]), None);
        // Counts that overflow the word count.
        assert_eq!(Book::decode(&[counts(u128::MAX, 0)]), None);
        assert_eq!(Book::decode(&[counts(u128::MAX / 2, u128::MAX / 2)]), None);
        // Parameters outside their bounds (imFactor zero).
        let mut words = vec![counts(0, 0)];
        words.extend_from_slice(&[U256::ZERO; PARAM_WORDS]);
        assert_eq!(Book::decode(&words), None);
        for (word, param) in words[1..].iter_mut().zip(params_to_words(&RiskParams::DEFAULT)) {
            *word = param.into();
        }
        assert_eq!(Book::decode(&words).map(|b| b.params), Some(RiskParams::DEFAULT));
        // A market id beyond uint32.
        words[0] = counts(1, 0);
        words.extend_from_slice(&[U256::from(u64::MAX), U256::ZERO]);
        assert_eq!(Book::decode(&words), None);
    }
}
