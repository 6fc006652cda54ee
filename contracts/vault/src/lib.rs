//! Vault: the only Bulwark contract that holds tokens.
//!
//! It keeps every account's collateral, the liquidity pool that is the
//! traders' counterparty, the insurance fund and protocol fees. It calls only
//! ERC-20 tokens, never another Bulwark contract. Only the wired RiskEngine
//! moves internal balances. The accounting model is described in README.md;
//! the arithmetic lives in [`logic`].
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK generates an undocumented `user_entrypoint` in WASM and ABI-export builds.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

pub mod logic;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolError, SolEvent};
use bulwark_common::{
    account::{self, account_id},
    calls::{self, calldata},
    evm,
    interfaces::erc20,
    replies::{Holding, Snapshot},
    roles::Roles,
    units::WAD,
};
use bulwark_math::Rounding;
use openzeppelin_stylus::token::erc20::utils::safe_erc20::{ISafeErc20, SafeErc20};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageI256, StorageMap, StorageU16, StorageU256, StorageU32,
        StorageU64, StorageU8, StorageVec,
    },
};

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "src/vault.sol"
    );
}
pub use sol::*;

/// Most collateral tokens the Vault lists (the quote token included), so
/// that the loops over them stay cheap.
pub const MAX_COLLATERAL_TOKENS: usize = 16;

/// Revert data for an error of the `.sol` file whose arguments are all
/// static words. One encoder for every error instead of one per error type,
/// to save code size; the tests check each against alloy's encoding.
fn fail<T>(selector: [u8; 4], words: &[U256]) -> Result<T, Vec<u8>> {
    let mut data = Vec::with_capacity(4 + 32 * words.len());
    data.extend_from_slice(&selector);
    for value in words {
        data.extend_from_slice(&value.to_be_bytes::<32>());
    }
    Err(data)
}

/// One accepted collateral token. Stored in a map, holds no nested struct.
#[storage]
pub struct Collateral {
    listed: StorageBool,
    decimals: StorageU8,
    feed_id: StorageU32,
    /// Weight of the token's value in margin, WAD (1e18 = counted in full).
    haircut: StorageU256,
    /// Largest total held for accounts, in token units.
    cap: StorageU256,
    /// Total held for all accounts, in token units (unused for the quote token,
    /// whose accounts' total is the signed `cash_total`).
    total: StorageU256,
}

/// The Vault's state. Every balance is in token units and below 2^128.
#[cfg_attr(not(target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct Vault {
    #[borrow]
    roles: Roles,
    // Stores nothing (it takes one empty slot); holds the safe transfer helpers.
    safe_erc20: SafeErc20,
    quote: StorageAddress,
    quote_decimals: StorageU8,
    risk_engine: StorageAddress,
    insurance_fee_bps: StorageU16,
    protocol_fee_bps: StorageU16,
    insurance_penalty_bps: StorageU16,
    cooldown: StorageU64,
    redeem_window: StorageU64,
    pool_assets: StorageU256,
    total_shares: StorageU256,
    insurance: StorageU256,
    protocol_fees: StorageU256,
    /// Sum of every account's quote cash (signed).
    cash_total: StorageI256,
    absorbed_by_insurance: StorageU256,
    absorbed_by_pool: StorageU256,
    tokens: StorageVec<StorageAddress>,
    collateral: StorageMap<Address, Collateral>,
    cash: StorageMap<U256, StorageI256>,
    balances: StorageMap<U256, StorageMap<Address, StorageU256>>,
    shares: StorageMap<Address, StorageU256>,
    pending_shares: StorageMap<Address, StorageU256>,
    requested_at: StorageMap<Address, StorageU64>,
    /// Every account that has received a deposit, by position in order of
    /// its first; `account_count` of them.
    accounts: StorageMap<U256, StorageU256>,
    account_count: StorageU256,
    /// Per account: its position in `accounts` plus one (zero: not listed).
    account_index: StorageMap<U256, StorageU256>,
}

/// A stored unsigned balance as `u128` (every stored balance is below 2^128).
fn low(value: U256) -> u128 {
    let limbs = value.as_limbs();
    u128::from(limbs[0]) | (u128::from(limbs[1]) << 64)
}

/// A signed value as `i128`, or `None` outside its range.
#[allow(clippy::cast_possible_wrap)]
fn narrow(value: I256) -> Option<i128> {
    // Two's complement: a value is in i128 range when its high 129 bits are
    // all copies of the sign; its low 128 bits are then its i128 bits.
    let truncated = low(value.into_raw()) as i128;
    (wide(truncated) == value).then_some(truncated)
}

/// A stored signed balance as `i128` (every stored cash is in `i128` range).
fn low_signed(value: I256) -> i128 {
    narrow(value).unwrap_or_default()
}

/// Revert data for an amount that is zero or does not fit.
fn invalid<T>(amount: U256) -> Result<T, Vec<u8>> {
    fail(InvalidAmount::SELECTOR, &[amount])
}

/// An `i128` as `int256`.
#[allow(clippy::cast_sign_loss)]
fn wide(value: i128) -> I256 {
    let bits = value as u128;
    let extension = if value < 0 { u64::MAX } else { 0 };
    // Truncations keep the two 64-bit halves of the bit pattern.
    #[allow(clippy::cast_possible_truncation)]
    let limbs = [bits as u64, (bits >> 64) as u64, extension, extension];
    I256::from_raw(U256::from_limbs(limbs))
}

/// An address as an ABI word.
fn word(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

/// An ABI amount as `u128`.
fn amount(value: U256) -> Result<u128, Vec<u8>> {
    if value.as_limbs()[2] | value.as_limbs()[3] != 0 {
        return invalid(value);
    }
    Ok(low(value))
}

/// A non-zero ABI amount below 2^127 (so that it also fits an `i128`).
fn nonzero(value: U256) -> Result<u128, Vec<u8>> {
    let units = amount(value)?;
    if units == 0 || units > i128::MAX as u128 {
        return invalid(value);
    }
    Ok(units)
}

bulwark_common::dispatch! {
    Vault, roles;
    constructor(admin, quote, quote_cap);
    "setRiskEngine(address)" => set_risk_engine(risk_engine);
    "setParameters(uint16,uint16,uint16,uint64,uint64)" => set_parameters(insurance_fee_bps, protocol_fee_bps, insurance_penalty_bps, cooldown, redeem_window);
    "configureCollateral(address,uint256,uint256,uint32)" => configure_collateral(token, haircut, cap, feed_id);
    "deposit(uint256,address,uint256)" => deposit(account, token, amount);
    "withdraw(uint256,address,uint256,address)" => withdraw(account, token, amount, to);
    "payLiquidator(uint256,uint256,address)" => pay_liquidator(account, amount, to);
    "fundInsurance(uint256)" => fund_insurance(amount);
    "transferCollateral(uint256,uint256,address,uint256)" => transfer_collateral(from, to, token, amount);
    "settle(uint256,int256,uint256,bool)" => settle(account, pnl, fee, penalty);
    "absorbBadDebt(uint256)" => absorb_bad_debt(account) -> (fromInsurance, fromPool);
    "lpDeposit(uint256,address)" => lp_deposit(assets, receiver);
    "lpRequestRedeem(uint256)" => lp_request_redeem(shares);
    "lpRedeem(uint256,address)" => lp_redeem(shares, receiver);
    "claimProtocolFees(address,uint256)" => claim_protocol_fees(to, amount);
    "parameters()" => parameters() -> (quoteToken, riskEngine, insuranceFeeBps, protocolFeeBps, insurancePenaltyBps, cooldown, redeemWindow);
    "collateralTokens()" => collateral_tokens();
    "collateralConfig(address)" => collateral_config(token) -> (listed, decimals, haircut, cap, feedId);
    "balanceOf(uint256,address)" => balance_of(account, token);
    "accountSnapshot(uint256)" => account_snapshot(account);
    "accounts(uint256,uint256)" => accounts(start, count) -> (total, ids);
    "totalAssets()" => total_assets();
    "convertToShares(uint256)" => convert_to_shares(assets);
    "previewRedeem(uint256)" => preview_redeem(shares);
    "poolState()" => pool_state() -> (totalAssets, totalShares, sharePrice, insuranceFund, protocolFees, absorbedByInsurance, absorbedByPool);
    "lpPosition(address)" => lp_position(provider) -> (shares, requestedShares, opensAt, closesAt);
    "trackedBalance(address)" => tracked_balance(token);
}

#[public]
#[inherit(Roles)]
impl Vault {
    /// Creates the Vault with its first admin and its quote token (at most 18
    /// decimals), listed first with a haircut of one and deposit cap `quote_cap`.
    ///
    /// # Errors
    /// `InvalidAdmin` for the zero admin; [`InvalidCollateralConfig`] for the
    /// quote token.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        quote: Address,
        quote_cap: U256,
    ) -> Result<(), Vec<u8>> {
        self.roles.init(admin)?;
        self.quote.set(quote);
        self.cooldown.set(alloy_primitives::Uint::from(86_400u64));
        self.redeem_window.set(alloy_primitives::Uint::from(86_400u64));
        self.insurance_fee_bps.set(alloy_primitives::Uint::from(2_000u16));
        self.protocol_fee_bps.set(alloy_primitives::Uint::from(1_000u16));
        self.insurance_penalty_bps.set(alloy_primitives::Uint::from(5_000u16));
        self.configure(quote, WAD, quote_cap, 0)?;
        let decimals = self.collateral.getter(quote).decimals.get();
        self.quote_decimals.set(decimals);
        Ok(())
    }

    /// Wires the RiskEngine, the only caller allowed to move internal
    /// balances. Set once.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameters`]
    /// for zero; [`RiskEngineAlreadySet`].
    ///
    /// # Events
    /// [`VaultConfigured`].
    pub fn set_risk_engine(&mut self, risk_engine: Address) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if risk_engine.is_zero() {
            return fail(InvalidParameters::SELECTOR, &[]);
        }
        let current = self.risk_engine.get();
        if !current.is_zero() {
            return fail(RiskEngineAlreadySet::SELECTOR, &[word(current)]);
        }
        self.risk_engine.set(risk_engine);
        self.log_configured();
        Ok(())
    }

    /// Sets the fee split (shares of trading fees for the insurance fund and
    /// the protocol, at most 50% each; the pool gets the rest), the insurance
    /// fund's share of liquidation penalties (the pool gets the rest), and the
    /// LP redemption cooldown and window in seconds (cooldown at most 30
    /// days; when non-zero, a window of 1 hour to 30 days).
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameters`].
    ///
    /// # Events
    /// [`VaultConfigured`].
    pub fn set_parameters(
        &mut self,
        insurance_fee_bps: u16,
        protocol_fee_bps: u16,
        insurance_penalty_bps: u16,
        cooldown: u64,
        redeem_window: u64,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if !logic::parameters_valid(
            insurance_fee_bps,
            protocol_fee_bps,
            insurance_penalty_bps,
            cooldown,
            redeem_window,
        ) {
            return fail(InvalidParameters::SELECTOR, &[]);
        }
        self.insurance_fee_bps.set(alloy_primitives::Uint::from(insurance_fee_bps));
        self.protocol_fee_bps.set(alloy_primitives::Uint::from(protocol_fee_bps));
        self.insurance_penalty_bps.set(alloy_primitives::Uint::from(insurance_penalty_bps));
        self.cooldown.set(alloy_primitives::Uint::from(cooldown));
        self.redeem_window.set(alloy_primitives::Uint::from(redeem_window));
        self.log_configured();
        Ok(())
    }

    /// Lists `token` as collateral, or changes a listed token's parameters:
    /// `haircut` (WAD, at most 1e18; exactly 1e18 for the quote token), deposit
    /// `cap` in token units (zero stops deposits), and the oracle feed that
    /// prices it. At most 16 tokens, of at most 18 decimals.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidCollateralConfig`].
    ///
    /// # Events
    /// [`CollateralConfigured`].
    pub fn configure_collateral(
        &mut self,
        token: Address,
        haircut: U256,
        cap: U256,
        feed_id: u32,
    ) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        self.configure(token, haircut, cap, feed_id)
    }

    /// Deposits `amount` of `token` (token units) from the caller into
    /// `account`. Anyone may deposit into any account. While the Vault is
    /// paused only the quote token is accepted: it can only make an account
    /// safer.
    ///
    /// # Errors
    /// [`AccountWithoutOwner`]; `ContractPaused`; [`InvalidAmount`];
    /// [`TokenNotListed`]; [`DepositCapExceeded`]; `SafeErc20FailedOperation` when the token
    /// reverts or returns false; [`TransferAmountMismatch`] for a token that
    /// delivers a different amount (fee-on-transfer).
    ///
    /// # Events
    /// [`Deposited`].
    pub fn deposit(&mut self, account: U256, token: Address, amount: U256) -> Result<(), Vec<u8>> {
        if account::owner_of(account).is_zero() {
            return fail(AccountWithoutOwner::SELECTOR, &[account]);
        }
        let units = nonzero(amount)?;
        let quote = token == self.quote.get();
        if !quote {
            self.roles.when_not_paused()?;
        }
        let entry = self.collateral.getter(token);
        if !entry.listed.get() {
            return fail(TokenNotListed::SELECTOR, &[word(token)]);
        }
        let cap = entry.cap.get();
        let held_before = if quote {
            u128::try_from(low_signed(self.cash_total.get())).unwrap_or(0)
        } else {
            low(entry.total.get())
        };
        // Both terms are below 2^127.
        let total_after = held_before + units;
        if U256::from(total_after) > cap {
            return fail(
                DepositCapExceeded::SELECTOR,
                &[word(token), cap, U256::from(total_after)],
            );
        }
        // Keeps every balance's WAD value within 127 bits.
        if logic::to_wad(total_after, entry.decimals.get().to())
            .is_none_or(|w| w > i128::MAX as u128)
        {
            return invalid(amount);
        }
        let from = self.vm().msg_sender();
        self.pull(token, from, units)?;
        self.adjust(account, token, units.cast_signed(), false)?;
        if self.account_index.get(account).is_zero() {
            let count = self.account_count.get();
            self.accounts.setter(count).set(account);
            let listed = count + U256::from(1u8);
            self.account_index.setter(account).set(listed);
            self.account_count.set(listed);
        }
        self.emit(Deposited::SIGNATURE_HASH, 4, &[account, word(token), word(from), amount]);
        Ok(())
    }

    /// Pays `amount` of `token` (token units) from `account` to `to`.
    /// RiskEngine calls it after the account's margin check; never paused.
    ///
    /// # Errors
    /// [`NotRiskEngine`]; [`InvalidAmount`]; [`InvalidParameters`] for a zero
    /// `to`; [`TokenNotListed`]; [`InsufficientBalance`];
    /// `SafeErc20FailedOperation`.
    ///
    /// # Events
    /// [`Withdrawn`].
    pub fn withdraw(
        &mut self,
        account: U256,
        token: Address,
        amount: U256,
        to: Address,
    ) -> Result<(), Vec<u8>> {
        self.pay_out(account, token, amount, to, true)
    }

    /// Pays `amount` quote token units from the caller into the insurance
    /// fund, the first reserve that covers bad debt (anyone may: a
    /// protocol treasury, a backstop, the launch seed). Never paused: it
    /// only makes the protocol safer. Nothing takes it back out except bad
    /// debt.
    ///
    /// # Errors
    /// [`InvalidAmount`] for zero or a fund beyond 127 bits;
    /// `SafeErc20FailedOperation`; [`TransferAmountMismatch`].
    ///
    /// # Events
    /// [`InsuranceFunded`].
    pub fn fund_insurance(&mut self, amount: U256) -> Result<(), Vec<u8>> {
        let units = nonzero(amount)?;
        let Some(after) =
            low(self.insurance.get()).checked_add(units).filter(|&a| a <= i128::MAX as u128)
        else {
            return invalid(amount);
        };
        let from = self.vm().msg_sender();
        self.pull(self.quote.get(), from, units)?;
        self.insurance.set(U256::from(after));
        self.emit(InsuranceFunded::SIGNATURE_HASH, 2, &[word(from), amount]);
        Ok(())
    }

    /// Pays a liquidator `amount` of quote tokens (token units) to `to` for
    /// liquidating `account`, from the account's quote cash, which may go
    /// negative: RiskEngine pays no more than the account's equity (its
    /// other collateral backs the debt), except the minimum keeper reward on
    /// an account whose deficit it then has absorbed as bad debt.
    ///
    /// # Errors
    /// [`NotRiskEngine`]; [`InvalidAmount`]; [`InvalidParameters`] for a zero
    /// `to`; `SafeErc20FailedOperation`.
    ///
    /// # Events
    /// [`Withdrawn`].
    pub fn pay_liquidator(
        &mut self,
        account: U256,
        amount: U256,
        to: Address,
    ) -> Result<(), Vec<u8>> {
        let quote = self.quote.get();
        self.pay_out(account, quote, amount, to, false)
    }

    /// Moves `amount` of `token` (token units) from account `from` to account
    /// `to`: a liquidator's bonus, or a liquidator paying quote cash into the
    /// account it takes collateral from.
    ///
    /// # Errors
    /// [`NotRiskEngine`]; [`InvalidAmount`]; [`TokenNotListed`];
    /// [`InsufficientBalance`].
    ///
    /// # Events
    /// [`Withdrawn`] with `to` zero and `toAccount` set.
    pub fn transfer_collateral(
        &mut self,
        from: U256,
        to: U256,
        token: Address,
        amount: U256,
    ) -> Result<(), Vec<u8>> {
        self.only_risk_engine()?;
        self.move_units(from, to, token, nonzero(amount)?.cast_signed())?;
        self.emit(Withdrawn::SIGNATURE_HASH, 4, &[from, word(token), U256::ZERO, to, amount]);
        Ok(())
    }

    /// Settles `account`'s cash in one call: `pnl` (quote WAD) against the
    /// pool, then a `fee` (quote WAD). Positive PnL is paid by the pool to the
    /// account (rounded down); negative PnL is paid by the account to the pool
    /// (rounded up). Realised perp PnL, funding, option premiums and option
    /// settlement all land here. The fee is rounded up to token units; a
    /// trading fee is split between the insurance fund, the protocol fees and
    /// the pool, a liquidation `penalty` between the insurance fund and the
    /// pool. The account's cash may go negative: RiskEngine keeps it backed
    /// by other collateral. Returns the change of the account's cash in quote
    /// token units.
    ///
    /// # Errors
    /// [`NotRiskEngine`]; [`InvalidAmount`] beyond 127 bits;
    /// [`InsufficientReserve`] (pool) when the pool cannot pay.
    ///
    /// # Events
    /// [`CashSettled`].
    pub fn settle(
        &mut self,
        account: U256,
        pnl: I256,
        fee: U256,
        penalty: bool,
    ) -> Result<I256, Vec<u8>> {
        self.only_risk_engine()?;
        let decimals: u8 = self.quote_decimals.get().to();
        let Some(units) = narrow(pnl).and_then(|wad| logic::pnl_from_wad(wad, decimals)) else {
            return invalid(pnl.into_raw());
        };
        let fee_units = logic::from_wad(amount(fee)?, decimals, Rounding::Up);
        let (to_pool, to_insurance, to_protocol) = if penalty {
            logic::split_fee(fee_units, self.insurance_penalty_bps.get().to(), 0)
        } else {
            logic::split_fee(
                fee_units,
                self.insurance_fee_bps.get().to(),
                self.protocol_fee_bps.get().to(),
            )
        };
        if fee_units > i128::MAX as u128 {
            return invalid(fee);
        }
        // The pool pays the PnL and receives its part of the fee; both terms
        // are below 2^127 in magnitude.
        let with_pool = units - to_pool.cast_signed();
        let change = units - fee_units.cast_signed();
        self.add_to_pool(-with_pool)?;
        self.add_cash(account, change)?;
        // Each part is below 2^127 and the reserves hold less than the Vault's
        // tokens, so the sums stay far below 2^128.
        self.insurance.set(U256::from(low(self.insurance.get()) + to_insurance));
        self.protocol_fees.set(U256::from(low(self.protocol_fees.get()) + to_protocol));
        let negative = |x: u128| wide(-x.cast_signed()).into_raw();
        self.emit(
            CashSettled::SIGNATURE_HASH,
            2,
            &[account, wide(with_pool).into_raw(), negative(to_insurance), negative(to_protocol)],
        );
        Ok(wide(change))
    }

    /// Covers `account`'s negative quote cash, which its collateral no longer
    /// covers (RiskEngine's call): first the account's other collateral is
    /// seized whole, to the protocol account (the admin's subaccount 0); then
    /// the insurance fund pays, then the pool (socialised through the share
    /// price). Returns what each reserve covered, in quote WAD; what neither
    /// can cover stays on the account and is reported as `remaining`.
    ///
    /// # Errors
    /// [`NotRiskEngine`].
    ///
    /// # Events
    /// [`CollateralSeized`] per token seized; [`BadDebtAbsorbed`] when there
    /// is a debt.
    pub fn absorb_bad_debt(&mut self, account: U256) -> Result<(U256, U256), Vec<u8>> {
        self.only_risk_engine()?;
        let cash = low_signed(self.cash.get(account));
        if cash >= 0 {
            return Ok((U256::ZERO, U256::ZERO));
        }
        // The account's own collateral goes first: RiskEngine absorbs only a
        // debt its collateral no longer covers, so the Vault seizes all of
        // it for the protocol account (the admin's subaccount 0).
        let protocol = account_id(self.roles.admin(), 0);
        for index in 1..self.tokens.len() {
            let token = self.tokens.get(index).unwrap_or_default();
            let balance = self.balances.getter(account).get(token);
            if !balance.is_zero() {
                // Balances are below 2^127.
                self.move_units(account, protocol, token, low(balance).cast_signed())?;
                self.emit(
                    CollateralSeized::SIGNATURE_HASH,
                    4,
                    &[account, word(token), protocol, balance],
                );
            }
        }
        let insurance = low(self.insurance.get());
        let pool = low(self.pool_assets.get());
        let (from_insurance, from_pool, remaining) =
            logic::absorb(cash.unsigned_abs(), insurance, pool);
        self.insurance.set(U256::from(insurance - from_insurance));
        self.pool_assets.set(U256::from(pool - from_pool));
        // The totals count tokens that were in the reserves: below 2^128.
        let absorbed_by_insurance = low(self.absorbed_by_insurance.get()) + from_insurance;
        let absorbed_by_pool = low(self.absorbed_by_pool.get()) + from_pool;
        self.absorbed_by_insurance.set(U256::from(absorbed_by_insurance));
        self.absorbed_by_pool.set(U256::from(absorbed_by_pool));
        // from_insurance + from_pool <= |cash| <= 2^127.
        self.add_cash(account, (from_insurance + from_pool).cast_signed())?;
        self.emit(
            BadDebtAbsorbed::SIGNATURE_HASH,
            2,
            &[account, U256::from(from_insurance), U256::from(from_pool), U256::from(remaining)],
        );
        // Exact: quote decimals <= 18 and the reserves' WAD values fit.
        let decimals = self.quote_decimals.get().to();
        let in_wad = |x: u128| U256::from(logic::to_wad(x, decimals).unwrap_or(u128::MAX));
        Ok((in_wad(from_insurance), in_wad(from_pool)))
    }

    /// Deposits `assets` of the quote token from the caller into the pool and
    /// credits `receiver` with shares (rounded down). Refused while paused.
    ///
    /// # Errors
    /// `ContractPaused`; [`InvalidAmount`] (also when the deposit buys no
    /// share); [`InvalidParameters`] for a zero receiver;
    /// `SafeErc20FailedOperation`; [`TransferAmountMismatch`].
    ///
    /// # Events
    /// [`LiquidityChanged`].
    pub fn lp_deposit(&mut self, assets: U256, receiver: Address) -> Result<U256, Vec<u8>> {
        self.roles.when_not_paused()?;
        let units = nonzero(assets)?;
        if receiver.is_zero() {
            return fail(InvalidParameters::SELECTOR, &[]);
        }
        let supply = low(self.total_shares.get());
        let minted =
            logic::convert_to_shares(units, low(self.pool_assets.get()), supply).unwrap_or(0);
        // Shares stay below 2^127 so every later conversion fits.
        if minted == 0 || supply + minted > i128::MAX as u128 {
            return invalid(assets);
        }
        let provider = self.vm().msg_sender();
        self.pull(self.quote.get(), provider, units)?;
        self.add_to_pool(units.cast_signed())?;
        self.total_shares.set(U256::from(supply + minted));
        let shares = U256::from(minted);
        // The receiver's shares are part of the supply, below 2^127.
        let balance = self.shares.get(receiver) + shares;
        self.shares.setter(receiver).set(balance);
        self.emit(
            LiquidityChanged::SIGNATURE_HASH,
            3,
            &[word(provider), word(receiver), U256::from(1u8), assets, shares],
        );
        Ok(shares)
    }

    /// Asks to redeem `shares`, replacing any earlier request. The shares
    /// stay in the pool, exposed to its gains and losses, until redeemed in
    /// the window `[now + cooldown, now + cooldown + window]`.
    ///
    /// # Errors
    /// [`InsufficientShares`].
    ///
    /// # Events
    /// [`RedeemRequested`].
    pub fn lp_request_redeem(&mut self, shares: U256) -> Result<(), Vec<u8>> {
        let provider = self.vm().msg_sender();
        let available = self.shares.get(provider);
        if shares > available {
            return fail(InsufficientShares::SELECTOR, &[word(provider), available, shares]);
        }
        let now = self.vm().block_timestamp();
        self.pending_shares.setter(provider).set(shares);
        self.requested_at.setter(provider).set(alloy_primitives::Uint::from(now));
        let (opens_at, closes_at) =
            logic::redeem_window(now, self.cooldown.get().to(), self.redeem_window.get().to());
        self.emit(
            RedeemRequested::SIGNATURE_HASH,
            2,
            &[word(provider), shares, U256::from(opens_at), U256::from(closes_at)],
        );
        Ok(())
    }

    /// Redeems `shares` of the caller for quote tokens paid to `receiver`, at
    /// the share price of now (rounded down). With a cooldown, only requested
    /// shares and only inside the request's window. Never paused.
    ///
    /// # Errors
    /// [`InvalidAmount`]; [`InvalidParameters`] for a zero receiver;
    /// [`InsufficientShares`]; [`RedeemNotOpen`]; `SafeErc20FailedOperation`.
    ///
    /// # Events
    /// [`LiquidityChanged`].
    pub fn lp_redeem(&mut self, shares: U256, receiver: Address) -> Result<U256, Vec<u8>> {
        let burned = nonzero(shares)?;
        if receiver.is_zero() {
            return fail(InvalidParameters::SELECTOR, &[]);
        }
        let provider = self.vm().msg_sender();
        let cooldown: u64 = self.cooldown.get().to();
        let pending = self.pending_shares.get(provider);
        if cooldown != 0 {
            if shares > pending {
                return fail(InsufficientShares::SELECTOR, &[word(provider), pending, shares]);
            }
            let requested_at: u64 = self.requested_at.get(provider).to();
            let window: u64 = self.redeem_window.get().to();
            let now = self.vm().block_timestamp();
            if !logic::redeem_open(now, requested_at, cooldown, window) {
                let (opens_at, closes_at) = logic::redeem_window(requested_at, cooldown, window);
                return fail(
                    RedeemNotOpen::SELECTOR,
                    &[U256::from(opens_at), U256::from(closes_at), U256::from(now)],
                );
            }
        }
        let balance = self.shares.get(provider);
        if shares > balance {
            return fail(InsufficientShares::SELECTOR, &[word(provider), balance, shares]);
        }
        let supply = low(self.total_shares.get());
        // shares <= balance <= supply, so the assets are at most the pool's.
        let paid =
            logic::convert_to_assets(burned, low(self.pool_assets.get()), supply).unwrap_or(0);
        self.add_to_pool(-paid.cast_signed())?;
        self.total_shares.set(U256::from(supply - burned));
        self.shares.setter(provider).set(balance - shares);
        self.pending_shares.setter(provider).set(pending.saturating_sub(shares));
        let assets = U256::from(paid);
        if paid != 0 {
            self.safe_erc20.safe_transfer(self.quote.get(), receiver, assets)?;
        }
        self.emit(
            LiquidityChanged::SIGNATURE_HASH,
            3,
            &[word(provider), word(receiver), U256::ZERO, assets, shares],
        );
        Ok(assets)
    }

    /// Pays `amount` of protocol fees (quote token units) to `to`.
    ///
    /// # Errors
    /// `Unauthorized` unless the caller is the admin; [`InvalidParameters`]
    /// for a zero `to`; [`InsufficientReserve`] (protocol fees);
    /// `SafeErc20FailedOperation`.
    ///
    /// # Events
    /// [`ProtocolFeesClaimed`].
    pub fn claim_protocol_fees(&mut self, to: Address, amount: U256) -> Result<(), Vec<u8>> {
        self.roles.only_admin()?;
        if to.is_zero() {
            return fail(InvalidParameters::SELECTOR, &[]);
        }
        let available = self.protocol_fees.get();
        if amount > available {
            return fail(InsufficientReserve::SELECTOR, &[U256::from(1u8), available, amount]);
        }
        self.protocol_fees.set(available - amount);
        self.safe_erc20.safe_transfer(self.quote.get(), to, amount)?;
        self.emit(ProtocolFeesClaimed::SIGNATURE_HASH, 2, &[word(to), amount]);
        Ok(())
    }

    /// `(quoteToken, riskEngine, insuranceFeeBps, protocolFeeBps,
    /// insurancePenaltyBps, cooldown, redeemWindow)`.
    pub fn parameters(&self) -> (Address, Address, u16, u16, u16, u64, u64) {
        (
            self.quote.get(),
            self.risk_engine.get(),
            self.insurance_fee_bps.get().to(),
            self.protocol_fee_bps.get().to(),
            self.insurance_penalty_bps.get().to(),
            self.cooldown.get().to(),
            self.redeem_window.get().to(),
        )
    }

    /// The listed collateral tokens, quote token first.
    pub fn collateral_tokens(&self) -> Vec<Address> {
        (0..self.tokens.len()).map(|i| self.tokens.get(i).unwrap_or_default()).collect()
    }

    /// `(listed, decimals, haircut, cap, feedId)` of `token`.
    pub fn collateral_config(&self, token: Address) -> (bool, u8, U256, U256, u32) {
        let entry = self.collateral.getter(token);
        (
            entry.listed.get(),
            entry.decimals.get().to(),
            entry.haircut.get(),
            entry.cap.get(),
            entry.feed_id.get().to(),
        )
    }

    /// `account`'s balance of `token` in token units: for the quote token its
    /// cash, which may be negative.
    pub fn balance_of(&self, account: U256, token: Address) -> I256 {
        if token == self.quote.get() {
            return self.cash.get(account);
        }
        I256::from_raw(self.balances.getter(account).get(token))
    }

    /// Everything RiskEngine needs to value `account`, in one call, as a flat
    /// `uint256[]`: word 0 is the quote cash in WAD (`int256`, two's
    /// complement); then, for each listed non-quote token the account holds,
    /// three words: `token | decimals << 160 | feedId << 168`, the balance in
    /// WAD, and the haircut (WAD).
    pub fn account_snapshot(&self, account: U256) -> Vec<U256> {
        // Exact: quote decimals <= 18 and cash's WAD value is kept within 127 bits.
        let cash = low_signed(self.cash.get(account));
        let cash = logic::to_wad_signed(cash, self.quote_decimals.get().to()).unwrap_or_default();
        let mut snapshot = Snapshot { cash, holdings: Vec::new() };
        for index in 1..self.tokens.len() {
            let token = self.tokens.get(index).unwrap_or_default();
            let (balance, haircut, decimals, feed) = self.holding(account, token);
            if balance != 0 {
                let haircut = low(haircut);
                snapshot.holdings.push(Holding { token, decimals, feed, balance, haircut });
            }
        }
        snapshot.encode()
    }

    /// Up to `count` account ids from position `start` of the list of every
    /// account that has received a deposit (in order of its first; an
    /// account can hold positions only after one), and the list's length:
    /// a liquidator discovers every account from views alone, page by page,
    /// and asks `RiskEngine.liquidatable` which hold positions.
    pub fn accounts(&self, start: U256, count: U256) -> (U256, Vec<U256>) {
        let total = self.account_count.get();
        let mut ids = Vec::new();
        let mut index = start;
        // Positions past the end clamp to it: the page is empty.
        while index < total && U256::from(ids.len()) < count {
            ids.push(self.accounts.get(index));
            index += U256::from(1u8);
        }
        (total, ids)
    }

    /// Quote tokens the pool holds (ERC-4626 `totalAssets`), token units.
    pub fn total_assets(&self) -> U256 {
        self.pool_assets.get()
    }

    /// Shares a deposit of `assets` would mint now (rounded down).
    pub fn convert_to_shares(&self, assets: U256) -> U256 {
        let minted = u128::try_from(assets).ok().and_then(|a| {
            logic::convert_to_shares(a, low(self.pool_assets.get()), low(self.total_shares.get()))
        });
        U256::from(minted.unwrap_or(0))
    }

    /// Assets a redemption of `shares` would pay now (rounded down).
    pub fn preview_redeem(&self, shares: U256) -> U256 {
        let paid = u128::try_from(shares).ok().and_then(|s| {
            logic::convert_to_assets(s, low(self.pool_assets.get()), low(self.total_shares.get()))
        });
        U256::from(paid.unwrap_or(0))
    }

    /// `(totalAssets, totalShares, sharePrice, insuranceFund, protocolFees,
    /// absorbedByInsurance, absorbedByPool)`: quote token units, except the
    /// share units and the share price, the quote WAD value of one whole
    /// share (`10^(quote decimals + 6)` share units).
    pub fn pool_state(&self) -> (U256, U256, U256, U256, U256, U256, U256) {
        let assets = self.pool_assets.get();
        let supply = self.total_shares.get();
        let price = logic::share_price(low(assets), low(supply)).unwrap_or(0);
        (
            assets,
            supply,
            U256::from(price),
            self.insurance.get(),
            self.protocol_fees.get(),
            self.absorbed_by_insurance.get(),
            self.absorbed_by_pool.get(),
        )
    }

    /// `provider`'s pool position: `(shares, requestedShares, opensAt, closesAt)`.
    pub fn lp_position(&self, provider: Address) -> (U256, U256, u64, u64) {
        let (opens_at, closes_at) = logic::redeem_window(
            self.requested_at.get(provider).to(),
            self.cooldown.get().to(),
            self.redeem_window.get().to(),
        );
        (self.shares.get(provider), self.pending_shares.get(provider), opens_at, closes_at)
    }

    /// What the Vault owes in `token`, in token units: the sum of account
    /// balances, plus for the quote token the pool, the insurance fund and the
    /// protocol fees. Invariant 1: equals `token.balanceOf(vault)`, less any
    /// tokens sent to the Vault outside `deposit` and `lpDeposit`.
    pub fn tracked_balance(&self, token: Address) -> I256 {
        if token != self.quote.get() {
            return I256::from_raw(self.collateral.getter(token).total.get());
        }
        let buckets =
            low(self.pool_assets.get()) + low(self.insurance.get()) + low(self.protocol_fees.get());
        // The buckets and the cash total are below 2^127 each.
        wide(low_signed(self.cash_total.get()) + buckets.cast_signed())
    }
}

impl Vault {
    /// Fails unless the caller is the wired RiskEngine.
    fn only_risk_engine(&self) -> Result<(), Vec<u8>> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || caller != self.risk_engine.get() {
            return fail(NotRiskEngine::SELECTOR, &[word(caller)]);
        }
        Ok(())
    }

    /// Lists or reconfigures a token (see [`Vault::configure_collateral`]).
    fn configure(
        &mut self,
        token: Address,
        haircut: U256,
        cap: U256,
        feed_id: u32,
    ) -> Result<(), Vec<u8>> {
        if token.is_zero() || haircut > WAD || (token == self.quote.get() && haircut != WAD) {
            return fail(InvalidCollateralConfig::SELECTOR, &[word(token)]);
        }
        let mut decimals: u8 = self.collateral.getter(token).decimals.get().to();
        if !self.collateral.getter(token).listed.get() {
            decimals = calls::view(self.vm(), token, &calldata(erc20::DECIMALS, &[]))?.read()?;
            if decimals > logic::MAX_DECIMALS || self.tokens.len() >= MAX_COLLATERAL_TOKENS {
                return fail(InvalidCollateralConfig::SELECTOR, &[word(token)]);
            }
            self.tokens.push(token);
            let mut entry = self.collateral.setter(token);
            entry.listed.set(true);
            entry.decimals.set(alloy_primitives::Uint::from(decimals));
        }
        let mut entry = self.collateral.setter(token);
        entry.feed_id.set(alloy_primitives::Uint::from(feed_id));
        entry.haircut.set(haircut);
        entry.cap.set(cap);
        self.emit(
            CollateralConfigured::SIGNATURE_HASH,
            2,
            &[word(token), U256::from(decimals), haircut, cap, U256::from(feed_id)],
        );
        Ok(())
    }

    fn log_configured(&self) {
        let (
            _,
            risk_engine,
            insurance_fee_bps,
            protocol_fee_bps,
            insurance_penalty_bps,
            cooldown,
            window,
        ) = self.parameters();
        self.emit(
            VaultConfigured::SIGNATURE_HASH,
            1,
            &[
                word(risk_engine),
                U256::from(insurance_fee_bps),
                U256::from(protocol_fee_bps),
                U256::from(insurance_penalty_bps),
                U256::from(cooldown),
                U256::from(window),
            ],
        );
    }

    /// Emits an event of the `.sol` file whose fields are all static words:
    /// `topics` indexed words (the signature hash first), then the data.
    /// One encoder for every event instead of one per event type, to save
    /// code size; the tests check each against alloy's encoding.
    fn emit(&self, signature: B256, topics: usize, words: &[U256]) {
        let mut bytes = Vec::with_capacity(32 * (words.len() + 1));
        bytes.extend_from_slice(signature.as_slice());
        for value in words {
            bytes.extend_from_slice(&value.to_be_bytes::<32>());
        }
        self.vm().emit_log(&bytes, topics);
    }

    /// `(balance in WAD, haircut, decimals, feed id)` of `account` in a
    /// non-quote `token` (balances are capped so their WAD value fits).
    fn holding(&self, account: U256, token: Address) -> (u128, U256, u8, u32) {
        let entry = self.collateral.getter(token);
        let decimals: u8 = entry.decimals.get().to();
        let balance = low(self.balances.getter(account).get(token));
        (
            logic::to_wad(balance, decimals).unwrap_or_default(),
            entry.haircut.get(),
            decimals,
            entry.feed_id.get().to(),
        )
    }

    /// The Vault's own balance of `token`.
    fn held(&self, token: Address) -> Result<U256, Vec<u8>> {
        let data = calldata(erc20::BALANCE_OF, &[evm::address(self.vm().contract_address())]);
        calls::view(self.vm(), token, &data)?.read()
    }

    /// Takes `units` of `token` from `from`, refusing a token that delivers a
    /// different amount (fee-on-transfer, rebasing).
    fn pull(&mut self, token: Address, from: Address, units: u128) -> Result<(), Vec<u8>> {
        let expected = U256::from(units);
        let before = self.held(token)?;
        let this = self.vm().contract_address();
        self.safe_erc20.safe_transfer_from(token, from, this, expected)?;
        let received = self.held(token)?.wrapping_sub(before);
        if received != expected {
            return fail(TransferAmountMismatch::SELECTOR, &[word(token), expected, received]);
        }
        Ok(())
    }

    /// Adds `delta` quote token units to the pool's assets.
    fn add_to_pool(&mut self, delta: i128) -> Result<(), Vec<u8>> {
        let pool = low(self.pool_assets.get());
        let Some(after) = pool.checked_add_signed(delta).filter(|&a| a <= i128::MAX as u128) else {
            let needed = U256::from(delta.unsigned_abs());
            return fail(InsufficientReserve::SELECTOR, &[U256::ZERO, U256::from(pool), needed]);
        };
        self.pool_assets.set(U256::from(after));
        Ok(())
    }

    /// Adds `delta` quote token units to `account`'s cash and the cash total.
    fn add_cash(&mut self, account: U256, delta: i128) -> Result<(), Vec<u8>> {
        let cash = low_signed(self.cash.get(account)).checked_add(delta);
        let total = low_signed(self.cash_total.get()).checked_add(delta);
        let (Some(cash), Some(total)) = (cash, total) else {
            return invalid(U256::from(delta.unsigned_abs()));
        };
        self.cash.setter(account).set(wide(cash));
        self.cash_total.set(wide(total));
        Ok(())
    }

    /// Moves `units` of a listed `token` from account `from`, which must hold
    /// them, to account `to`.
    fn move_units(
        &mut self,
        from: U256,
        to: U256,
        token: Address,
        units: i128,
    ) -> Result<(), Vec<u8>> {
        self.adjust(from, token, -units, true)?;
        self.adjust(to, token, units, false)
    }

    /// Adds `delta` units of a listed `token` to `account`; with `covered`, a
    /// debit must not exceed what the account holds (its positive cash for
    /// the quote token).
    /// Pays `amount` of `token` (token units) from `account` to `to`; the
    /// balance must cover it when `covered`.
    fn pay_out(
        &mut self,
        account: U256,
        token: Address,
        amount: U256,
        to: Address,
        covered: bool,
    ) -> Result<(), Vec<u8>> {
        self.only_risk_engine()?;
        let units = nonzero(amount)?;
        if to.is_zero() {
            return fail(InvalidParameters::SELECTOR, &[]);
        }
        self.adjust(account, token, -units.cast_signed(), covered)?;
        self.safe_erc20.safe_transfer(token, to, amount)?;
        self.emit(
            Withdrawn::SIGNATURE_HASH,
            4,
            &[account, word(token), word(to), U256::ZERO, amount],
        );
        Ok(())
    }

    fn adjust(
        &mut self,
        account: U256,
        token: Address,
        delta: i128,
        covered: bool,
    ) -> Result<(), Vec<u8>> {
        if !self.collateral.getter(token).listed.get() {
            return fail(TokenNotListed::SELECTOR, &[word(token)]);
        }
        let quote = token == self.quote.get();
        let balance = if quote {
            low_signed(self.cash.get(account))
        } else {
            // Balances are below 2^127.
            low(self.balances.getter(account).get(token)).cast_signed()
        };
        if covered && balance < -delta {
            let needed = U256::from(delta.unsigned_abs());
            return fail(
                InsufficientBalance::SELECTOR,
                &[account, word(token), wide(balance).into_raw(), needed],
            );
        }
        if quote {
            return self.add_cash(account, delta);
        }
        // A balance is part of the total, which deposits keep below 2^127; a
        // covered debit leaves both non-negative.
        let total = low(self.collateral.getter(token).total.get()).cast_signed() + delta;
        self.collateral.setter(token).total.set(U256::from(total.cast_unsigned()));
        self.balances
            .setter(account)
            .setter(token)
            .set(U256::from((balance + delta).cast_unsigned()));
        Ok(())
    }
}

/// The WASM dispatcher serves exactly the interface `export-abi` prints.
#[cfg(test)]
#[test]
fn the_dispatcher_serves_the_exported_interface() {
    let source = include_str!("../../../abi/Vault.sol");
    bulwark_common::dispatch::assert_dispatches(&signatures(), source, "IVault");
}
