//! Roles and pausing, shared by every Bulwark contract through `#[inherit]`.
//!
//! One admin, handed over in two steps (name a successor, the successor
//! accepts). Other roles are bits in one storage slot per address, so a check
//! costs one read. The pause switch stops actions that add risk; what a
//! contract lets through while paused (closing, reducing, withdrawing free
//! collateral) is that contract's decision.

use alloc::{vec, vec::Vec};

use crate::evm::{self, address, boolean, uint};
use alloy_primitives::Address;
use alloy_sol_types::{SolError, SolEvent};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU8},
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/roles.sol"
    );
}
pub use sol::*;

/// Role number that means "the admin" in [`Unauthorized`] errors.
pub const ADMIN: u8 = 0;
/// May pause the contract. The admin may too; only the admin unpauses.
pub const PAUSER: u8 = 1 << 0;
/// May push volatility surfaces (OracleAdapter).
pub const VOLATILITY_UPDATER: u8 = 1 << 1;
/// All role bits a contract can grant.
pub const ALL_ROLES: u8 = PAUSER | VOLATILITY_UPDATER;

/// Errors of the roles module, as types (for tests and callers that decode).
/// The contract builds the same bytes through [`crate::evm::revert`].
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`Unauthorized`].
    Unauthorized(Unauthorized),
    /// See [`NotPendingAdmin`].
    NotPendingAdmin(NotPendingAdmin),
    /// See [`InvalidAdmin`].
    InvalidAdmin(InvalidAdmin),
    /// See [`UnknownRole`].
    UnknownRole(UnknownRole),
    /// See [`ContractPaused`].
    ContractPaused(ContractPaused),
}

/// Admin, roles and the pause switch.
#[storage]
pub struct Roles {
    admin: StorageAddress,
    pending_admin: StorageAddress,
    role_bits: StorageMap<Address, StorageU8>,
    paused: StorageBool,
}

#[public]
impl Roles {
    /// The current admin.
    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    /// The successor named by the admin, or zero.
    pub fn pending_admin(&self) -> Address {
        self.pending_admin.get()
    }

    /// Names `new_admin` as successor; it becomes admin when it accepts.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin; [`InvalidAdmin`] for zero.
    ///
    /// # Events
    /// [`AdminTransferStarted`].
    pub fn transfer_admin(&mut self, new_admin: Address) -> Result<(), Vec<u8>> {
        self.only_admin()?;
        if new_admin.is_zero() {
            return Err(evm::revert(InvalidAdmin::SELECTOR, &[address(new_admin)]));
        }
        self.pending_admin.set(new_admin);
        let admin = self.admin.get();
        evm::emit(
            self.vm(),
            AdminTransferStarted::SIGNATURE_HASH,
            &[address(admin), address(new_admin)],
            &[],
        );
        Ok(())
    }

    /// The named successor takes the admin role.
    ///
    /// # Errors
    /// [`NotPendingAdmin`] unless the caller is the named successor.
    ///
    /// # Events
    /// [`AdminTransferred`].
    pub fn accept_admin(&mut self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        let pending = self.pending_admin.get();
        if caller != pending || pending.is_zero() {
            return Err(evm::revert(
                NotPendingAdmin::SELECTOR,
                &[address(caller), address(pending)],
            ));
        }
        let previous = self.admin.get();
        self.admin.set(caller);
        self.pending_admin.set(Address::ZERO);
        evm::emit(
            self.vm(),
            AdminTransferred::SIGNATURE_HASH,
            &[address(previous), address(caller)],
            &[],
        );
        Ok(())
    }

    /// Whether `account` holds every bit of `role`.
    pub fn has_role(&self, account: Address, role: u8) -> bool {
        role != ADMIN && self.role_bits.get(account).to::<u8>() & role == role
    }

    /// Grants `role` to `account`.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin; [`UnknownRole`] for a
    /// role that is not a single defined bit.
    ///
    /// # Events
    /// [`RoleGranted`].
    pub fn grant_role(&mut self, account: Address, role: u8) -> Result<(), Vec<u8>> {
        self.set_role(account, role, true)
    }

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin; [`UnknownRole`] as for
    /// [`Self::grant_role`].
    ///
    /// # Events
    /// [`RoleRevoked`].
    pub fn revoke_role(&mut self, account: Address, role: u8) -> Result<(), Vec<u8>> {
        self.set_role(account, role, false)
    }

    /// Whether actions that add risk are stopped.
    pub fn paused(&self) -> bool {
        self.paused.get()
    }

    /// Stops actions that add risk.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin or a pauser.
    ///
    /// # Events
    /// [`PauseChanged`].
    pub fn pause(&mut self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller != self.admin.get() && !self.has_role(caller, PAUSER) {
            return Err(unauthorized(caller, PAUSER));
        }
        self.set_paused(true, caller);
        Ok(())
    }

    /// Lets actions that add risk run again.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin.
    ///
    /// # Events
    /// [`PauseChanged`].
    pub fn unpause(&mut self) -> Result<(), Vec<u8>> {
        self.only_admin()?;
        self.set_paused(false, self.vm().msg_sender());
        Ok(())
    }
}

/// Writes the roles functions' signature table and their dispatcher from one list.
macro_rules! roles_dispatch {
    ($($signature:literal => $method:ident($($arg:ident),*);)*) => {
        /// The signatures of the roles functions every contract inherits.
        #[must_use]
        pub fn signatures() -> Vec<&'static str> {
            alloc::vec![$($signature),*]
        }

        impl Roles {
            /// Runs the roles function `selector` names (the WASM dispatcher's
            /// fallback, see [`crate::dispatch!`]); an unknown selector reverts
            /// with empty data.
            ///
            /// # Errors
            /// The function's revert data, or empty for bad calldata.
            pub fn dispatch(
                &mut self,
                selector: u32,
                args: &mut crate::dispatch::Args<'_>,
            ) -> crate::dispatch::CallResult {
                crate::dispatch_table!(self, selector, args;
                    $($signature => $method($($arg),*);)*
                );
                Err(Vec::new())
            }
        }
    };
}

roles_dispatch! {
    "admin()" => admin();
    "pendingAdmin()" => pending_admin();
    "transferAdmin(address)" => transfer_admin(new_admin);
    "acceptAdmin()" => accept_admin();
    "hasRole(address,uint8)" => has_role(account, role);
    "grantRole(address,uint8)" => grant_role(account, role);
    "revokeRole(address,uint8)" => revoke_role(account, role);
    "paused()" => paused();
    "pause()" => pause();
    "unpause()" => unpause();
}

impl Roles {
    /// Sets the first admin; called once from a contract's constructor.
    ///
    /// # Errors
    /// [`InvalidAdmin`] for the zero address.
    pub fn init(&mut self, admin: Address) -> Result<(), Vec<u8>> {
        if admin.is_zero() {
            return Err(evm::revert(InvalidAdmin::SELECTOR, &[address(admin)]));
        }
        self.admin.set(admin);
        evm::emit(
            self.vm(),
            AdminTransferred::SIGNATURE_HASH,
            &[address(Address::ZERO), address(admin)],
            &[],
        );
        Ok(())
    }

    /// Fails unless the caller is the admin.
    ///
    /// # Errors
    /// [`Unauthorized`] with role [`ADMIN`].
    pub fn only_admin(&self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller == self.admin.get() {
            Ok(())
        } else {
            Err(unauthorized(caller, ADMIN))
        }
    }

    /// Fails unless the caller holds `role`.
    ///
    /// # Errors
    /// [`Unauthorized`] with that role.
    pub fn only_role(&self, role: u8) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if self.has_role(caller, role) {
            Ok(())
        } else {
            Err(unauthorized(caller, role))
        }
    }

    /// Fails while the contract is paused.
    ///
    /// # Errors
    /// [`ContractPaused`].
    pub fn when_not_paused(&self) -> Result<(), Vec<u8>> {
        if self.paused.get() {
            Err(evm::revert(ContractPaused::SELECTOR, &[]))
        } else {
            Ok(())
        }
    }

    fn set_role(&mut self, account: Address, role: u8, granted: bool) -> Result<(), Vec<u8>> {
        self.only_admin()?;
        if !role.is_power_of_two() || role & ALL_ROLES != role {
            return Err(evm::revert(UnknownRole::SELECTOR, &[uint(u128::from(role))]));
        }
        let bits = self.role_bits.get(account).to::<u8>();
        let bits = if granted { bits | role } else { bits & !role };
        self.role_bits.setter(account).set(alloy_primitives::Uint::from(bits));
        let signature =
            if granted { RoleGranted::SIGNATURE_HASH } else { RoleRevoked::SIGNATURE_HASH };
        let sender = self.vm().msg_sender();
        evm::emit(
            self.vm(),
            signature,
            &[address(account), uint(u128::from(role)), address(sender)],
            &[],
        );
        Ok(())
    }

    fn set_paused(&mut self, paused: bool, sender: Address) {
        self.paused.set(paused);
        evm::emit(self.vm(), PauseChanged::SIGNATURE_HASH, &[address(sender)], &[boolean(paused)]);
    }
}

/// Revert data of [`Unauthorized`].
fn unauthorized(caller: Address, role: u8) -> Vec<u8> {
    evm::revert(Unauthorized::SELECTOR, &[address(caller), uint(u128::from(role))])
}
