//! MOCK, for tests only: an ERC-20 collateral token with chosen decimals and
//! an open `mint`, built on OpenZeppelin's `Erc20`. Never deployed to a real
//! chain: anyone can mint.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, U256};
use openzeppelin_stylus::token::erc20::{self, Erc20, IErc20};
use stylus_sdk::{
    prelude::*,
    storage::{StorageString, StorageU8},
};

/// The mock token's state.
#[entrypoint]
#[storage]
pub struct MockErc20 {
    erc20: Erc20,
    name: StorageString,
    symbol: StorageString,
    decimals: StorageU8,
}

#[public]
#[implements(IErc20<Error = erc20::Error>)]
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
}

#[public]
impl IErc20 for MockErc20 {
    type Error = erc20::Error;

    fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.transfer(to, value)
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.erc20.allowance(owner, spender)
    }

    fn approve(&mut self, spender: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.approve(spender, value)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, Self::Error> {
        self.erc20.transfer_from(from, to, value)
    }
}
