//! Vault: the only Bulwark contract that holds tokens.
//!
//! It keeps every account's collateral, the liquidity pool that is the
//! traders' counterparty, the insurance fund and protocol fees. It calls only
//! ERC-20 tokens, never another Bulwark contract.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use bulwark_common::{
    interfaces::IErc20,
    roles::Roles,
    units::{MAX_TOKEN_DECIMALS, WAD},
};
use openzeppelin_stylus::token::erc20::utils::safe_erc20::{ISafeErc20, SafeErc20};
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageMap, StorageU256, StorageU32, StorageU8},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/vault.sol"
    );
}
pub use sol::*;

/// Errors of the Vault.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`TokenNotListed`].
    TokenNotListed(TokenNotListed),
    /// See [`TokenAlreadyListed`].
    TokenAlreadyListed(TokenAlreadyListed),
    /// See [`InvalidCollateralConfig`].
    InvalidCollateralConfig(InvalidCollateralConfig),
    /// See [`DepositCapExceeded`].
    DepositCapExceeded(DepositCapExceeded),
    /// See [`ZeroAmount`].
    ZeroAmount(ZeroAmount),
}

/// One accepted collateral token.
#[storage]
pub struct Collateral {
    listed: StorageBool,
    decimals: StorageU8,
    feed_id: StorageU32,
    /// Weight of the token's value in margin, WAD (1e18 = counted in full).
    haircut: StorageU256,
    /// Largest total deposit, in token units.
    cap: StorageU256,
    /// Total deposited by all accounts, in token units.
    total: StorageU256,
}

/// The Vault's state.
#[entrypoint]
#[storage]
pub struct Vault {
    #[borrow]
    roles: Roles,
    safe_erc20: SafeErc20,
    collateral: StorageMap<Address, Collateral>,
    balances: StorageMap<U256, StorageMap<Address, StorageU256>>,
}

#[public]
#[inherit(Roles)]
impl Vault {
    /// Creates the Vault with its first admin.
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(&mut self, admin: Address) -> Result<(), Vec<u8>> {
        Ok(self.roles.init(admin)?)
    }

    /// Accepts `token` as collateral with a `haircut` (WAD, at most 1e18), a
    /// deposit `cap` in token units, and the oracle feed that prices it.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`TokenAlreadyListed`];
    /// [`InvalidCollateralConfig`] for a zero token, a haircut above one or
    /// more than 36 decimals.
    ///
    /// # Events
    /// [`CollateralListed`].
    pub fn list_collateral(
        &mut self,
        token: Address,
        haircut: U256,
        cap: U256,
        feed_id: u32,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if self.collateral.getter(token).listed.get() {
            return Err(Error::from(TokenAlreadyListed { token }).into());
        }
        if token.is_zero() || haircut > WAD {
            return Err(Error::from(InvalidCollateralConfig { token }).into());
        }
        let decimals = IErc20::new(token)
            .decimals(&*self)
            .map_err(|e| bulwark_common::calls::revert_data(token, e))?;
        if decimals > MAX_TOKEN_DECIMALS {
            return Err(Error::from(InvalidCollateralConfig { token }).into());
        }
        let mut entry = self.collateral.setter(token);
        entry.listed.set(true);
        entry.decimals.set(alloy_primitives::Uint::from(decimals));
        entry.feed_id.set(alloy_primitives::Uint::from(feed_id));
        entry.haircut.set(haircut);
        entry.cap.set(cap);
        log(self.vm(), CollateralListed { token, decimals, haircut, cap, feedId: feed_id });
        Ok(())
    }

    /// Deposits `amount` of `token` (token units) from the caller into
    /// `account`. Anyone may deposit into any account.
    ///
    /// # Errors
    /// `ContractPaused`; [`ZeroAmount`]; [`TokenNotListed`];
    /// [`DepositCapExceeded`]; the token's own error, or
    /// `SafeErc20FailedOperation` when it returns false.
    ///
    /// # Events
    /// [`Deposited`].
    pub fn deposit(&mut self, account: U256, token: Address, amount: U256) -> Result<(), Vec<u8>> {
        self.roles.when_not_paused()?;
        if amount.is_zero() {
            return Err(Error::from(ZeroAmount {}).into());
        }
        let entry = self.collateral.getter(token);
        if !entry.listed.get() {
            return Err(Error::from(TokenNotListed { token }).into());
        }
        let cap = entry.cap.get();
        let total_after = entry.total.get().checked_add(amount).unwrap_or(U256::MAX);
        if total_after > cap {
            return Err(
                Error::from(DepositCapExceeded { token, cap, totalAfter: total_after }).into()
            );
        }
        let from = self.vm().msg_sender();
        let this = self.vm().contract_address();
        self.safe_erc20.safe_transfer_from(token, from, this, amount)?;
        self.collateral.setter(token).total.set(total_after);
        let mut balance = self.balances.setter(account);
        let mut slot = balance.setter(token);
        // total_after bounds every account balance, so this cannot overflow.
        let credited = slot.get() + amount;
        slot.set(credited);
        log(self.vm(), Deposited { account, token, from, amount });
        Ok(())
    }

    /// `account`'s balance of `token`, in token units.
    pub fn balance_of(&self, account: U256, token: Address) -> U256 {
        self.balances.getter(account).get(token)
    }
}
