//! MOCK, for tests only: an ERC-20 collateral token with chosen decimals, an
//! open `mint`, and switches that make it misbehave the ways real tokens do,
//! built on OpenZeppelin's `Erc20`. Never deployed to a real chain: anyone can
//! mint and anyone can flip the switches.
//!
//! Misbehaviours (set by anyone, for tests):
//! - [`MODE_RETURN_FALSE`]: `transfer`/`transferFrom` move nothing and return
//!   `false` (as some old tokens do instead of reverting).
//! - [`MODE_NO_RETURN`]: they move tokens and return no data at all (USDT on
//!   Ethereum). Stylus' router always ABI-encodes a method's return value, so
//!   both methods are served by the `#[fallback]` entry, which returns raw
//!   bytes: 32 bytes of `true`/`false`, or nothing.
//! - a fee on transfer in basis points, burned from the amount sent;
//! - a re-entry hook: before moving tokens, call `target` with `data` and
//!   revert with its revert data if that call fails.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use openzeppelin_stylus::token::erc20::{self, Erc20, IErc20 as _};
use stylus_sdk::{
    call::RawCall,
    prelude::*,
    storage::{StorageAddress, StorageBytes, StorageString, StorageU16, StorageU8},
    ArbResult,
};

/// `transfer` and `transferFrom` behave as in ERC-20.
pub const MODE_NORMAL: u8 = 0;
/// `transfer` and `transferFrom` move nothing and return `false`.
pub const MODE_RETURN_FALSE: u8 = 1;
/// `transfer` and `transferFrom` move tokens and return no data.
pub const MODE_NO_RETURN: u8 = 2;

sol! {
    /// The two calls the fallback serves.
    function transfer(address to, uint256 value) external returns (bool);
    /// See above.
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// The mock token's state.
#[entrypoint]
#[storage]
pub struct MockErc20 {
    erc20: Erc20,
    name: StorageString,
    symbol: StorageString,
    decimals: StorageU8,
    mode: StorageU8,
    fee_bps: StorageU16,
    reentry_target: StorageAddress,
    reentry_data: StorageBytes,
}

#[public]
impl MockErc20 {
    /// Creates the token.
    #[constructor]
    pub fn constructor(&mut self, name: String, symbol: String, decimals: u8) {
        self.name.set_str(name);
        self.symbol.set_str(symbol);
        self.decimals.set(alloy_primitives::Uint::from(decimals));
    }

    /// Token name.
    pub fn name(&self) -> String {
        self.name.get_string()
    }

    /// Token symbol.
    pub fn symbol(&self) -> String {
        self.symbol.get_string()
    }

    /// Token decimals.
    pub fn decimals(&self) -> u8 {
        self.decimals.get().to()
    }

    /// Mints `amount` to `to`. Open to anyone: this is a test token.
    ///
    /// # Errors
    /// `ERC20InvalidReceiver` for the zero address.
    pub fn mint(&mut self, to: Address, amount: U256) -> Result<(), erc20::Error> {
        self.erc20._mint(to, amount)
    }

    /// Total supply (ERC-20).
    pub fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    /// Balance of `account` (ERC-20).
    pub fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    /// Allowance of `spender` over `owner`'s tokens (ERC-20).
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.erc20.allowance(owner, spender)
    }

    /// Lets `spender` move `value` of the caller's tokens (ERC-20).
    ///
    /// # Errors
    /// `ERC20InvalidSpender` for the zero address.
    pub fn approve(&mut self, spender: Address, value: U256) -> Result<bool, erc20::Error> {
        self.erc20.approve(spender, value)
    }

    /// Sets how `transfer`/`transferFrom` answer: [`MODE_NORMAL`],
    /// [`MODE_RETURN_FALSE`] or [`MODE_NO_RETURN`]. Open to anyone (mock).
    pub fn set_mode(&mut self, mode: u8) {
        self.mode.set(alloy_primitives::Uint::from(mode));
    }

    /// Sets a fee on transfer in basis points (at most 10,000), burned from
    /// the amount sent. Open to anyone (mock).
    pub fn set_fee_bps(&mut self, fee_bps: u16) {
        self.fee_bps.set(alloy_primitives::Uint::from(fee_bps.min(10_000)));
    }

    /// Makes every later `transfer`/`transferFrom` first call `target` with
    /// `data` (zero `target` turns it off). Open to anyone (mock).
    #[allow(clippy::needless_pass_by_value)] // The router hands arguments over by value.
    pub fn set_reentry(&mut self, target: Address, data: stylus_sdk::abi::Bytes) {
        self.reentry_target.set(target);
        self.reentry_data.set_bytes(data.as_slice());
    }

    /// Serves `transfer` and `transferFrom`, whose answer depends on the mode.
    ///
    /// # Errors
    /// The ERC-20 errors of OpenZeppelin's `Erc20`; the re-entry target's
    /// revert data; empty data for an unknown selector.
    #[fallback]
    pub fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
        let sender = self.vm().msg_sender();
        let (from, to, value) = match calldata.get(..4).map(|s| [s[0], s[1], s[2], s[3]]) {
            Some(transferCall::SELECTOR) => {
                let call = transferCall::abi_decode(calldata, true).map_err(|_| Vec::new())?;
                (sender, call.to, call.value)
            }
            Some(transferFromCall::SELECTOR) => {
                let call = transferFromCall::abi_decode(calldata, true).map_err(|_| Vec::new())?;
                self.erc20._spend_allowance(call.from, sender, call.value)?;
                (call.from, call.to, call.value)
            }
            _ => return Err(Vec::new()),
        };
        let mode: u8 = self.mode.get().to();
        if mode == MODE_RETURN_FALSE {
            return Ok(false.abi_encode());
        }
        self.reenter()?;
        self.move_tokens(from, to, value)?;
        Ok(if mode == MODE_NO_RETURN { Vec::new() } else { true.abi_encode() })
    }
}

impl MockErc20 {
    /// Moves `value` from `from` to `to`, burning the fee on transfer.
    fn move_tokens(&mut self, from: Address, to: Address, value: U256) -> Result<(), erc20::Error> {
        if to.is_zero() {
            return Err(erc20::ERC20InvalidReceiver { receiver: to }.into());
        }
        let fee = value * U256::from(self.fee_bps.get()) / U256::from(10_000u16);
        self.erc20._update(from, to, value - fee)?;
        if !fee.is_zero() {
            self.erc20._burn(from, fee)?;
        }
        Ok(())
    }

    /// Calls the re-entry target, if any, passing its revert data up.
    fn reenter(&mut self) -> Result<(), Vec<u8>> {
        let target = self.reentry_target.get();
        if target.is_zero() {
            return Ok(());
        }
        let data = self.reentry_data.get_bytes();
        // SAFETY: a plain call; the storage cache is flushed first so the
        // callee sees this contract's state as it is now.
        unsafe { RawCall::new().flush_storage_cache().call(target, &data) }.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motsu::prelude::*;

    #[motsu::test]
    fn fee_on_transfer_burns_the_fee(token: Contract<MockErc20>, alice: Address, bob: Address) {
        token.sender(alice).mint(alice, U256::from(10_000)).motsu_unwrap();
        token.sender(alice).set_fee_bps(100);
        let call = transferCall { to: bob, value: U256::from(1_000) }.abi_encode();
        let out = token.sender(alice).fallback(&call).motsu_unwrap();
        assert_eq!(out, true.abi_encode());
        assert_eq!(token.sender(alice).balance_of(bob), U256::from(990));
        assert_eq!(token.sender(alice).balance_of(alice), U256::from(9_000));
        assert_eq!(token.sender(alice).total_supply(), U256::from(9_990));
    }

    #[motsu::test]
    fn modes_change_the_answer(token: Contract<MockErc20>, alice: Address, bob: Address) {
        token.sender(alice).mint(alice, U256::from(100)).motsu_unwrap();
        let call = transferCall { to: bob, value: U256::from(10) }.abi_encode();
        token.sender(alice).set_mode(MODE_RETURN_FALSE);
        assert_eq!(token.sender(alice).fallback(&call).motsu_unwrap(), false.abi_encode());
        assert_eq!(token.sender(alice).balance_of(bob), U256::ZERO);
        token.sender(alice).set_mode(MODE_NO_RETURN);
        assert!(token.sender(alice).fallback(&call).motsu_unwrap().is_empty());
        assert_eq!(token.sender(alice).balance_of(bob), U256::from(10));
    }

    #[motsu::test]
    fn transfer_from_spends_allowance(token: Contract<MockErc20>, alice: Address, bob: Address) {
        token.sender(alice).mint(alice, U256::from(100)).motsu_unwrap();
        let call = transferFromCall { from: alice, to: bob, value: U256::from(10) }.abi_encode();
        assert!(token.sender(bob).fallback(&call).is_err(), "no allowance");
        token.sender(alice).approve(bob, U256::from(10)).motsu_unwrap();
        token.sender(bob).fallback(&call).motsu_unwrap();
        assert_eq!(token.sender(alice).allowance(alice, bob), U256::ZERO);
        assert_eq!(token.sender(alice).balance_of(bob), U256::from(10));
    }

    #[motsu::test]
    fn failing_reentry_reverts_the_transfer(
        token: Contract<MockErc20>,
        alice: Address,
        bob: Address,
    ) {
        token.sender(alice).mint(alice, U256::from(100)).motsu_unwrap();
        // Re-enter the token itself with an unknown selector: the fallback
        // answers with empty revert data, and the transfer fails.
        token.sender(alice).set_reentry(token.address(), vec![0xde, 0xad, 0xbe, 0xef].into());
        let call = transferCall { to: bob, value: U256::from(10) }.abi_encode();
        assert!(token.sender(alice).fallback(&call).is_err());
        assert_eq!(token.sender(alice).balance_of(bob), U256::ZERO);
    }
}
