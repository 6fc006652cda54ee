//! View replies one Bulwark contract writes and another reads as arrays of
//! words: each has one encoder and one decoder, which both sides use.
//!
//! - [`Snapshot`]: `Vault.accountSnapshot`, read by MarginEngine;
//! - [`MarketInputs`]: `PerpMarket.marginInputs`, read by MarginEngine.
//!
//! (The book RiskEngine sends MarginEngine and the plan it gets back are in
//! `bulwark_margin_engine::book`, beside the types they carry.)

use alloc::vec::Vec;

use alloy_primitives::{Address, I256, U256};

use crate::units::{i256, to_i128, to_u128};

/// An account's collateral as the Vault reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Quote cash (quote WAD; negative: owed).
    pub cash: i128,
    /// Each non-quote token the account holds a balance of.
    pub holdings: Vec<Holding>,
}

/// A non-quote collateral balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    /// The token.
    pub token: Address,
    /// Its decimals (at most 18).
    pub decimals: u8,
    /// The oracle feed that prices it.
    pub feed: u32,
    /// The balance (token amount in WAD).
    pub balance: u128,
    /// Its haircut (WAD fraction of its value not counted).
    pub haircut: u128,
}

/// Words per [`Holding`].
pub const HOLDING_WORDS: usize = 3;

impl Snapshot {
    /// The reply: word 0 the cash (`int256`), then per holding
    /// `token | decimals << 160 | feed << 168`, the balance, the haircut.
    #[must_use]
    pub fn encode(&self) -> Vec<U256> {
        let mut words = Vec::with_capacity(1 + HOLDING_WORDS * self.holdings.len());
        words.push(i256(self.cash).into_raw());
        for holding in &self.holdings {
            let tagged = U256::from_be_slice(holding.token.as_slice())
                | U256::from(holding.decimals) << 160
                | U256::from(holding.feed) << 168;
            words.extend_from_slice(&[
                tagged,
                U256::from(holding.balance),
                U256::from(holding.haircut),
            ]);
        }
        words
    }

    /// Decodes a reply; `None` when it is empty, its length is not one word
    /// plus whole holdings, or a value is out of range.
    #[must_use]
    pub fn decode(words: &[U256]) -> Option<Snapshot> {
        let (cash, rest) = words.split_first()?;
        if rest.len() % HOLDING_WORDS != 0 {
            return None;
        }
        let mut snapshot = Snapshot { cash: to_i128(I256::from_raw(*cash))?, holdings: Vec::new() };
        for entry in rest.chunks_exact(HOLDING_WORDS) {
            let bytes = entry[0].to_be_bytes::<32>();
            if bytes[..7].iter().any(|b| *b != 0) {
                return None;
            }
            snapshot.holdings.push(Holding {
                token: Address::from_slice(&bytes[12..]),
                decimals: bytes[11],
                feed: u32::from_be_bytes([bytes[7], bytes[8], bytes[9], bytes[10]]),
                balance: to_u128(entry[1])?,
                haircut: to_u128(entry[2])?,
            });
        }
        Some(snapshot)
    }
}

/// What MarginEngine needs of one perp market, accrued to now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketInputs {
    /// The market's oracle feed.
    pub feed: u32,
    /// Initial margin rate (WAD).
    pub initial_rate: u128,
    /// Maintenance margin rate (WAD).
    pub maintenance_rate: u128,
    /// Notional beyond which the rates scale up (quote WAD; 0: never).
    pub rate_scale: u128,
    /// Skew scale of the price impact (base WAD).
    pub skew_scale: u128,
    /// Net skew: long minus short open interest (base WAD).
    pub skew: i128,
    /// Funding index accrued to now (quote WAD per base unit).
    pub funding_index: i128,
}

/// Words per [`MarketInputs`].
pub const MARKET_INPUT_WORDS: usize = 7;

impl MarketInputs {
    /// The words, in field order (`skew` and `funding_index` as `int256`).
    #[must_use]
    pub fn encode(&self) -> [U256; MARKET_INPUT_WORDS] {
        [
            U256::from(self.feed),
            U256::from(self.initial_rate),
            U256::from(self.maintenance_rate),
            U256::from(self.rate_scale),
            U256::from(self.skew_scale),
            i256(self.skew).into_raw(),
            i256(self.funding_index).into_raw(),
        ]
    }

    /// Decodes one market's words; `None` when a value is out of range.
    #[must_use]
    pub fn decode(words: &[U256; MARKET_INPUT_WORDS]) -> Option<MarketInputs> {
        Some(MarketInputs {
            feed: u32::try_from(to_u128(words[0])?).ok()?,
            initial_rate: to_u128(words[1])?,
            maintenance_rate: to_u128(words[2])?,
            rate_scale: to_u128(words[3])?,
            skew_scale: to_u128(words[4])?,
            skew: to_i128(I256::from_raw(words[5]))?,
            funding_index: to_i128(I256::from_raw(words[6]))?,
        })
    }

    /// Decodes a whole `marginInputs` reply for `markets` markets.
    #[must_use]
    pub fn decode_all(words: &[U256], markets: usize) -> Option<Vec<MarketInputs>> {
        if words.len() != MARKET_INPUT_WORDS.checked_mul(markets)? {
            return None;
        }
        words
            .chunks_exact(MARKET_INPUT_WORDS)
            .map(|w| MarketInputs::decode(w.try_into().ok()?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn holding() -> impl Strategy<Value = Holding> {
        (any::<[u8; 20]>(), 0u8..=18, any::<u32>(), any::<u128>(), any::<u128>()).prop_map(
            |(token, decimals, feed, balance, haircut)| Holding {
                token: Address::from(token),
                decimals,
                feed,
                balance,
                haircut,
            },
        )
    }

    fn market() -> impl Strategy<Value = MarketInputs> {
        (any::<u32>(), any::<[u128; 4]>(), any::<i128>(), any::<i128>()).prop_map(
            |(feed, rates, skew, funding_index)| MarketInputs {
                feed,
                initial_rate: rates[0],
                maintenance_rate: rates[1],
                rate_scale: rates[2],
                skew_scale: rates[3],
                skew,
                funding_index,
            },
        )
    }

    proptest! {
        #[test]
        fn snapshots_round_trip(cash in any::<i128>(), holdings in proptest::collection::vec(holding(), 0..5)) {
            let snapshot = Snapshot { cash, holdings };
            let words = snapshot.encode();
            prop_assert_eq!(words.len(), 1 + HOLDING_WORDS * snapshot.holdings.len());
            prop_assert_eq!(Snapshot::decode(&words), Some(snapshot.clone()));
            if !snapshot.holdings.is_empty() {
                prop_assert_eq!(Snapshot::decode(&words[..words.len() - 1]), None);
            }
        }

        #[test]
        fn market_inputs_round_trip(markets in proptest::collection::vec(market(), 0..5)) {
            let words: Vec<U256> = markets.iter().flat_map(MarketInputs::encode).collect();
            prop_assert_eq!(MarketInputs::decode_all(&words, markets.len()), Some(markets.clone()));
            prop_assert_eq!(MarketInputs::decode_all(&words, markets.len() + 1), None);
        }
    }

    #[test]
    fn malformed_replies_are_refused() {
        assert_eq!(Snapshot::decode(&[]), None);
        // Cash beyond int128.
        assert_eq!(Snapshot::decode(&[U256::from(1u8) << 130]), None);
        // Bits above the feed in a holding's first word, a balance beyond uint128.
        let words = Snapshot { cash: -1, holdings: vec![Holding::default()] }.encode();
        let mut bad = words.clone();
        bad[1] |= U256::from(1u8) << 250;
        assert_eq!(Snapshot::decode(&bad), None);
        let mut bad = words;
        bad[2] = U256::MAX;
        assert_eq!(Snapshot::decode(&bad), None);
        // A feed id beyond uint32.
        let mut inputs = MarketInputs::default().encode();
        inputs[0] = U256::from(u64::MAX);
        assert_eq!(MarketInputs::decode(&inputs), None);
    }
}
