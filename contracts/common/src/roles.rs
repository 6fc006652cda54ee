//! Roles and pausing, shared by every Bulwark contract through `#[inherit]`.
//!
//! One admin, handed over in two steps (name a successor, the successor
//! accepts). Other roles are bits in one storage slot per address, so a check
//! costs one read. The pause switch stops actions that add risk; what a
//! contract lets through while paused (closing, reducing, withdrawing free
//! collateral) is that contract's decision.

use alloc::{vec, vec::Vec};

use alloy_primitives::Address;
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

/// Errors of the roles module.
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
    pub fn transfer_admin(&mut self, new_admin: Address) -> Result<(), Error> {
        self.only_admin()?;
        if new_admin.is_zero() {
            return Err(InvalidAdmin { candidate: new_admin }.into());
        }
        self.pending_admin.set(new_admin);
        log(self.vm(), AdminTransferStarted { admin: self.admin.get(), pendingAdmin: new_admin });
        Ok(())
    }

    /// The named successor takes the admin role.
    ///
    /// # Errors
    /// [`NotPendingAdmin`] unless the caller is the named successor.
    ///
    /// # Events
    /// [`AdminTransferred`].
    pub fn accept_admin(&mut self) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        let pending = self.pending_admin.get();
        if caller != pending || pending.is_zero() {
            return Err(NotPendingAdmin { caller, pendingAdmin: pending }.into());
        }
        let previous = self.admin.get();
        self.admin.set(caller);
        self.pending_admin.set(Address::ZERO);
        log(self.vm(), AdminTransferred { previousAdmin: previous, newAdmin: caller });
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
    pub fn grant_role(&mut self, account: Address, role: u8) -> Result<(), Error> {
        self.only_admin()?;
        Self::check_role(role)?;
        let bits = self.role_bits.get(account).to::<u8>();
        self.role_bits.setter(account).set(alloy_primitives::Uint::from(bits | role));
        log(self.vm(), RoleGranted { account, role, sender: self.vm().msg_sender() });
        Ok(())
    }

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin; [`UnknownRole`] as for
    /// [`Self::grant_role`].
    ///
    /// # Events
    /// [`RoleRevoked`].
    pub fn revoke_role(&mut self, account: Address, role: u8) -> Result<(), Error> {
        self.only_admin()?;
        Self::check_role(role)?;
        let bits = self.role_bits.get(account).to::<u8>();
        self.role_bits.setter(account).set(alloy_primitives::Uint::from(bits & !role));
        log(self.vm(), RoleRevoked { account, role, sender: self.vm().msg_sender() });
        Ok(())
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
    pub fn pause(&mut self) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        if caller != self.admin.get() && !self.has_role(caller, PAUSER) {
            return Err(Unauthorized { caller, role: PAUSER }.into());
        }
        self.paused.set(true);
        log(self.vm(), PauseChanged { paused: true, sender: caller });
        Ok(())
    }

    /// Lets actions that add risk run again.
    ///
    /// # Errors
    /// [`Unauthorized`] unless the caller is the admin.
    ///
    /// # Events
    /// [`PauseChanged`].
    pub fn unpause(&mut self) -> Result<(), Error> {
        self.only_admin()?;
        self.paused.set(false);
        log(self.vm(), PauseChanged { paused: false, sender: self.vm().msg_sender() });
        Ok(())
    }
}

impl Roles {
    /// Sets the first admin; called once from a contract's constructor.
    ///
    /// # Errors
    /// [`InvalidAdmin`] for the zero address.
    pub fn init(&mut self, admin: Address) -> Result<(), Error> {
        if admin.is_zero() {
            return Err(InvalidAdmin { candidate: admin }.into());
        }
        self.admin.set(admin);
        log(self.vm(), AdminTransferred { previousAdmin: Address::ZERO, newAdmin: admin });
        Ok(())
    }

    /// Fails unless the caller is the admin.
    ///
    /// # Errors
    /// [`Unauthorized`] with role [`ADMIN`].
    pub fn only_admin(&self) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        if caller == self.admin.get() {
            Ok(())
        } else {
            Err(Unauthorized { caller, role: ADMIN }.into())
        }
    }

    /// Fails unless the caller holds `role`.
    ///
    /// # Errors
    /// [`Unauthorized`] with that role.
    pub fn only_role(&self, role: u8) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        if self.has_role(caller, role) {
            Ok(())
        } else {
            Err(Unauthorized { caller, role }.into())
        }
    }

    /// Fails while the contract is paused.
    ///
    /// # Errors
    /// [`ContractPaused`].
    pub fn when_not_paused(&self) -> Result<(), Error> {
        if self.paused.get() {
            Err(ContractPaused {}.into())
        } else {
            Ok(())
        }
    }

    fn check_role(role: u8) -> Result<(), Error> {
        if role.is_power_of_two() && role & ALL_ROLES == role {
            Ok(())
        } else {
            Err(UnknownRole { role }.into())
        }
    }
}
