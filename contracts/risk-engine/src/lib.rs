//! RiskEngine: every account's portfolio, its margin, and its liquidation.
//!
//! It holds no tokens: it asks the Vault to move them. It calls the Vault and
//! the OracleAdapter, and the markets only through hooks that never call back.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use bulwark_common::{account, roles::Roles};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/risk.sol"
    );
}
pub use sol::*;

/// Errors of the RiskEngine.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`NotAccountOperator`].
    NotAccountOperator(NotAccountOperator),
    /// See [`InvalidOperator`].
    InvalidOperator(InvalidOperator),
}

/// The RiskEngine's state.
#[entrypoint]
#[storage]
pub struct RiskEngine {
    #[borrow]
    roles: Roles,
    vault: StorageAddress,
    oracle: StorageAddress,
    operators: StorageMap<Address, StorageMap<Address, StorageBool>>,
}

#[public]
#[inherit(Roles)]
impl RiskEngine {
    /// Creates the engine with its admin and the Vault and OracleAdapter it uses.
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        vault: Address,
        oracle: Address,
    ) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        self.vault.set(vault);
        self.oracle.set(oracle);
        Ok(())
    }

    /// The Vault this engine moves collateral through.
    pub fn vault(&self) -> Address {
        self.vault.get()
    }

    /// The OracleAdapter this engine prices portfolios with.
    pub fn oracle(&self) -> Address {
        self.oracle.get()
    }

    /// The id of `owner`'s subaccount `subaccount` (owner in the high 160 bits).
    pub fn account_id(&self, owner: Address, subaccount: u128) -> U256 {
        account::account_id(owner, subaccount)
    }

    /// Lets `operator` trade and withdraw for every subaccount of the caller,
    /// or stops it.
    ///
    /// # Errors
    /// [`InvalidOperator`] when the caller names itself or zero.
    ///
    /// # Events
    /// [`OperatorSet`].
    pub fn set_operator(&mut self, operator: Address, approved: bool) -> Result<(), Vec<u8>> {
        let owner = self.vm().msg_sender();
        if operator == owner || operator.is_zero() {
            return Err(Error::from(InvalidOperator { operator }).into());
        }
        self.operators.setter(owner).setter(operator).set(approved);
        log(self.vm(), OperatorSet { owner, operator, approved });
        Ok(())
    }

    /// Whether `caller` may trade and withdraw for `account`.
    pub fn is_authorized(&self, account: U256, caller: Address) -> bool {
        let owner = account::owner_of(account);
        caller == owner || self.operators.getter(owner).get(caller)
    }
}

impl RiskEngine {
    /// Fails unless `caller` may act for `account`.
    ///
    /// # Errors
    /// [`NotAccountOperator`].
    pub fn only_authorized(&self, account: U256, caller: Address) -> Result<(), Error> {
        if self.is_authorized(account, caller) {
            Ok(())
        } else {
            Err(NotAccountOperator { account, caller }.into())
        }
    }
}
