//! What a transaction pays on Arbitrum for its L1 data, as ArbOS computes
//! it (`arbos/l1pricing`, `GetPosterInfo` and the gas-charging hook):
//!
//! - units = 16 × the length of the signed transaction compressed with
//!   brotli at the chain's level (1 since ArbOS 20), window 22;
//! - poster cost = units × the L1 price per unit (wei, ArbOS's estimate of
//!   the L1 blob or calldata price, updated by the batch poster's reports);
//! - poster gas (`gasUsedForL1`) = poster cost ÷ the gas price (the base
//!   fee), rounded down. It is charged before execution and is part of the
//!   receipt's `gasUsed` on chain.
//!
//! The sandbox has no private keys, so it encodes the transaction it runs as
//! the EIP-1559 transaction a wallet would sign (chain id, nonce, fee cap at
//! the base fee, gas limit, recipient, value, data, no access list) with a
//! signature of two pseudo-random words: a signature is incompressible, so
//! any such pair compresses like a real one.

use std::io::Write as _;

use alloy_primitives::{keccak256, Address, U256};

use crate::pricing::GasSchedule;

/// The fields of the transaction whose size is estimated.
#[derive(Debug, Clone, Copy)]
pub struct TxFields<'a> {
    /// Chain id.
    pub chain_id: u64,
    /// The sender's nonce.
    pub nonce: u64,
    /// Fee cap (and base fee), wei per gas.
    pub max_fee_per_gas: U256,
    /// Gas limit.
    pub gas_limit: u64,
    /// Recipient.
    pub to: Address,
    /// Value in wei.
    pub value: U256,
    /// Calldata.
    pub input: &'a [u8],
}

/// The typed (`0x02`) encoding of the signed EIP-1559 transaction.
pub fn signed_eip1559(tx: &TxFields<'_>) -> Vec<u8> {
    let mut fields = Vec::new();
    rlp_uint(&mut fields, U256::from(tx.chain_id));
    rlp_uint(&mut fields, U256::from(tx.nonce));
    rlp_uint(&mut fields, U256::ZERO); // priority fee: Arbitrum pays no tips
    rlp_uint(&mut fields, tx.max_fee_per_gas);
    rlp_uint(&mut fields, U256::from(tx.gas_limit));
    rlp_bytes(&mut fields, tx.to.as_slice());
    rlp_uint(&mut fields, tx.value);
    rlp_bytes(&mut fields, tx.input);
    rlp_list_header(&mut fields, 0); // empty access list
    let r = keccak256(&fields);
    let s = keccak256(r);
    rlp_uint(&mut fields, U256::from(u8::from(s[0] & 1 == 1))); // y parity
    rlp_uint(&mut fields, U256::from_be_bytes(r.0));
    rlp_uint(&mut fields, U256::from_be_bytes(s.0));
    let mut out = vec![0x02];
    rlp_list_header(&mut out, fields.len());
    out.extend_from_slice(&fields);
    out
}

/// L1 gas units of a transaction's bytes: 16 per brotli-compressed byte.
pub fn poster_units(schedule: &GasSchedule, tx_bytes: &[u8]) -> u64 {
    let mut compressed = Vec::new();
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut compressed, 4096, schedule.l1_brotli_level, 22);
        writer.write_all(tx_bytes).expect("writing into a Vec cannot fail");
    }
    schedule.l1_units_per_byte * compressed.len() as u64
}

/// `gasUsedForL1`: the poster cost of `units` at `price_per_unit`, in gas at
/// `gas_price` (rounded down; 0 when the gas price is 0, as ArbOS skips it).
pub fn poster_gas(units: u64, price_per_unit: U256, gas_price: U256) -> u64 {
    if gas_price.is_zero() {
        return 0;
    }
    let cost = U256::from(units).saturating_mul(price_per_unit);
    u64::try_from(cost / gas_price).unwrap_or(u64::MAX)
}

fn rlp_uint(out: &mut Vec<u8>, value: U256) {
    let bytes = value.to_be_bytes::<32>();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(32);
    rlp_bytes(out, &bytes[first..]);
}

fn rlp_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() == 1 && bytes[0] < 0x80 {
        out.push(bytes[0]);
        return;
    }
    rlp_length(out, 0x80, bytes.len());
    out.extend_from_slice(bytes);
}

fn rlp_list_header(out: &mut Vec<u8>, payload: usize) {
    rlp_length(out, 0xc0, payload);
}

fn rlp_length(out: &mut Vec<u8>, offset: u8, len: usize) {
    if len < 56 {
        out.push(offset + u8::try_from(len).expect("below 56"));
        return;
    }
    let be = (len as u64).to_be_bytes();
    let first = be.iter().position(|b| *b != 0).unwrap_or(7);
    let len_bytes = &be[first..];
    out.push(offset + 55 + u8::try_from(len_bytes.len()).expect("at most 8 length bytes"));
    out.extend_from_slice(len_bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rlp_follows_the_spec_examples() {
        // The examples of the Ethereum yellow paper's appendix B.
        let mut out = Vec::new();
        rlp_bytes(&mut out, b"dog");
        assert_eq!(out, [0x83, b'd', b'o', b'g']);
        out.clear();
        rlp_uint(&mut out, U256::ZERO);
        assert_eq!(out, [0x80]);
        out.clear();
        rlp_uint(&mut out, U256::from(15));
        assert_eq!(out, [0x0f]);
        out.clear();
        rlp_uint(&mut out, U256::from(1024));
        assert_eq!(out, [0x82, 0x04, 0x00]);
        out.clear();
        let long = [b'a'; 56];
        rlp_bytes(&mut out, &long);
        assert_eq!(&out[..2], &[0xb8, 56]);
        out.clear();
        rlp_list_header(&mut out, 0);
        assert_eq!(out, [0xc0]);
    }

    #[test]
    fn a_signed_transfer_has_the_size_of_a_real_one() {
        // Counted by hand: chain id 3 bytes, nonce 1, tip 1, fee cap 4, gas 3,
        // recipient 21, value 1, 68 bytes of data with a 2-byte header, the
        // empty access list 1, parity 1, r and s 33 each: 172, plus the type
        // byte and a 2-byte list header.
        let mut input = vec![0xa9, 0x05, 0x9c, 0xbb];
        input.extend_from_slice(&[0; 12]);
        input.extend_from_slice(&[0x11; 20]);
        input.extend_from_slice(&U256::from(1_000_000).to_be_bytes::<32>());
        let tx = TxFields {
            chain_id: 42_161,
            nonce: 7,
            max_fee_per_gas: U256::from(10_000_000),
            gas_limit: 60_000,
            to: Address::repeat_byte(0x22),
            value: U256::ZERO,
            input: &input,
        };
        let bytes = signed_eip1559(&tx);
        assert_eq!(bytes[0], 0x02);
        assert_eq!(bytes.len(), 175);
        // RLP list: header 0xf8 and one length byte for a payload of 56-255.
        assert_eq!(bytes[1], 0xf8);
        assert_eq!(usize::from(bytes[2]), bytes.len() - 3);
    }

    #[test]
    fn poster_gas_is_cost_over_the_gas_price() {
        let s = GasSchedule::live();
        let units = poster_units(&s, &[0_u8; 1000]);
        // 1,000 zero bytes compress to a few dozen bytes at most.
        assert!(units > 0 && units <= 16 * 32, "{units}");
        assert_eq!(units % 16, 0);
        // 3,200 units at 0.05 gwei a unit and a 0.01 gwei base fee: 16,000 gas.
        assert_eq!(poster_gas(3_200, U256::from(50_000_000), U256::from(10_000_000)), 16_000);
        assert_eq!(poster_gas(3_200, U256::from(50_000_000), U256::ZERO), 0);
        assert_eq!(poster_gas(7, U256::from(3), U256::from(2)), 10);
    }
}
