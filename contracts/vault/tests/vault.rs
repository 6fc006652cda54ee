//! The Vault on motsu with the mock ERC-20: deposits and withdrawals, caps and
//! haircuts, misbehaving tokens, the wired movements, the LP pool, bad debt,
//! access control, events and errors as alloy encodes them, and invariant 1
//! under random sequences of operations.
#![allow(missing_docs, clippy::too_many_lines)]

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{SolCall, SolError};
use bulwark_common::roles::{ContractPaused, Roles, Unauthorized};
use bulwark_mock_erc20::{MockErc20, MODE_NO_RETURN, MODE_RETURN_FALSE};
use bulwark_vault::{
    BadDebtAbsorbed, CashSettled, CollateralConfigured, CollateralSeized, DepositCapExceeded,
    Deposited, InsufficientBalance, InsufficientReserve, InsufficientShares, InvalidAmount,
    InvalidCollateralConfig, InvalidParameters, LiquidityChanged, NotRiskEngine,
    ProtocolFeesClaimed, RedeemNotOpen, RedeemRequested, RiskEngineAlreadySet, TokenNotListed,
    TransferAmountMismatch, Vault, VaultConfigured, Withdrawn,
};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::utils::safe_erc20::SafeErc20FailedOperation;
use stylus_sdk::storage::StorageType;

alloy_sol_types::sol! {
    function withdraw(uint256 account, address token, uint256 amount, address to) external;
}

const USDC: u64 = 1_000_000;
const WAD: u128 = 1_000_000_000_000_000_000;

fn wad(units: u128) -> U256 {
    U256::from(units * WAD)
}

fn int(value: i128) -> I256 {
    I256::try_from(value).unwrap()
}

/// A 6-decimal quote token, an 18-decimal collateral token and a Vault wired
/// to `engine`, with a zero LP cooldown unless a test sets one.
struct Setup {
    vault: Contract<Vault>,
    usdc: Contract<MockErc20>,
    weth: Contract<MockErc20>,
    admin: Address,
    engine: Address,
}

impl Setup {
    fn new() -> Self {
        let setup = Setup {
            vault: Contract::new(),
            usdc: Contract::new(),
            weth: Contract::new(),
            admin: Address::repeat_byte(0xad),
            engine: Address::repeat_byte(0xe0),
        };
        setup.usdc.sender(setup.admin).constructor("Mock USD".into(), "mUSD".into(), 6);
        setup.weth.sender(setup.admin).constructor("Mock ETH".into(), "mETH".into(), 18);
        let vault = &setup.vault;
        vault
            .sender(setup.admin)
            .constructor(setup.admin, setup.usdc.address(), U256::from(10_000_000 * USDC))
            .motsu_unwrap();
        vault.sender(setup.admin).set_risk_engine(setup.engine).motsu_unwrap();
        vault
            .sender(setup.admin)
            .configure_collateral(setup.weth.address(), wad(8) / U256::from(10), wad(1_000), 7)
            .motsu_unwrap();
        vault.sender(setup.admin).set_parameters(2_000, 1_000, 5_000, 0, 0).motsu_unwrap();
        setup
    }

    /// Mints `amount` of `token` to `who` and approves the Vault for it.
    fn fund(&self, token: &Contract<MockErc20>, who: Address, amount: U256) {
        token.sender(who).mint(who, amount).motsu_unwrap();
        token.sender(who).approve(self.vault.address(), amount).motsu_unwrap();
    }

    fn held(&self, token: &Contract<MockErc20>) -> U256 {
        token.sender(self.admin).balance_of(self.vault.address())
    }

    /// Invariant 1 for both tokens.
    fn assert_invariant(&self) {
        for token in [&self.usdc, &self.weth] {
            let tracked = self.vault.sender(self.admin).tracked_balance(token.address());
            assert_eq!(I256::from_raw(self.held(token)), tracked, "invariant 1");
        }
    }
}

/// Pauses through the inherited roles module.
fn pause(vault: &Contract<Vault>, admin: Address) {
    let mut call = vault.sender(admin);
    let roles: &mut Roles = core::borrow::BorrowMut::borrow_mut(&mut *call);
    roles.pause().expect("admin pauses");
}

fn account(owner: Address, sub: u128) -> U256 {
    bulwark_common::account::account_id(owner, sub)
}

#[test]
fn storage_structs_count_their_slots() {
    // Nested in the Vault (Roles) or stored in a map (Collateral): both must
    // count every slot they use (the SDK 0.9 layout bug).
    assert_eq!(<Roles as StorageType>::REQUIRED_SLOTS, 4);
    assert_eq!(<bulwark_vault::Collateral as StorageType>::REQUIRED_SLOTS, 4);
}

#[motsu::test]
fn pausing_does_not_overwrite_the_quote_token() {
    let s = Setup::new();
    pause(&s.vault, s.admin);
    let params = s.vault.sender(s.admin).parameters();
    assert_eq!(params.0, s.usdc.address());
    assert_eq!(params.1, s.engine);
    let mut call = s.vault.sender(s.admin);
    assert!(core::borrow::BorrowMut::<Roles>::borrow_mut(&mut *call).paused());
}

#[motsu::test]
fn deposits_and_withdrawals_in_six_and_eighteen_decimals(alice: Address) {
    let s = Setup::new();
    let acct = account(alice, 1);
    s.fund(&s.usdc, alice, U256::from(1_000 * USDC));
    s.fund(&s.weth, alice, wad(2));
    s.vault.sender(alice).deposit(acct, s.usdc.address(), U256::from(1_000 * USDC)).motsu_unwrap();
    s.vault.sender(alice).deposit(acct, s.weth.address(), wad(2)).motsu_unwrap();
    assert!(s.vault.emitted(&Deposited {
        account: acct,
        token: s.weth.address(),
        from: alice,
        amount: wad(2)
    }));
    assert_eq!(s.vault.sender(alice).balance_of(acct, s.usdc.address()), int(1_000_000_000));
    assert_eq!(s.vault.sender(alice).balance_of(acct, s.weth.address()), I256::from_raw(wad(2)));
    s.assert_invariant();

    let bob = Address::repeat_byte(0xb0);
    s.vault
        .sender(s.engine)
        .withdraw(acct, s.usdc.address(), U256::from(400 * USDC), bob)
        .motsu_unwrap();
    s.vault.sender(s.engine).withdraw(acct, s.weth.address(), wad(1), bob).motsu_unwrap();
    assert!(s.vault.emitted(&Withdrawn {
        account: acct,
        token: s.weth.address(),
        to: bob,
        toAccount: U256::ZERO,
        amount: wad(1)
    }));
    assert_eq!(s.usdc.sender(bob).balance_of(bob), U256::from(400 * USDC));
    assert_eq!(s.weth.sender(bob).balance_of(bob), wad(1));
    s.assert_invariant();

    let err = s
        .vault
        .sender(s.engine)
        .withdraw(acct, s.usdc.address(), U256::from(600 * USDC + 1), bob)
        .motsu_unwrap_err();
    let expected = InsufficientBalance {
        account: acct,
        token: s.usdc.address(),
        balance: int(600_000_000),
        needed: U256::from(600 * USDC + 1),
    };
    assert_eq!(err, expected.abi_encode());
    let err = s.vault.sender(alice).deposit(acct, s.usdc.address(), U256::ZERO).motsu_unwrap_err();
    assert_eq!(err, InvalidAmount { amount: U256::ZERO }.abi_encode());
    let stranger = Address::repeat_byte(0x5e);
    let err = s.vault.sender(alice).deposit(acct, stranger, U256::from(1)).motsu_unwrap_err();
    assert_eq!(err, TokenNotListed { token: stranger }.abi_encode());
}

#[motsu::test]
fn deposit_caps_are_enforced(alice: Address) {
    let s = Setup::new();
    s.fund(&s.weth, alice, wad(2_000));
    let acct = account(alice, 0);
    s.vault.sender(alice).deposit(acct, s.weth.address(), wad(1_000)).motsu_unwrap();
    let err =
        s.vault.sender(alice).deposit(acct, s.weth.address(), U256::from(1)).motsu_unwrap_err();
    let expected = DepositCapExceeded {
        token: s.weth.address(),
        cap: wad(1_000),
        totalAfter: wad(1_000) + U256::from(1),
    };
    assert_eq!(err, expected.abi_encode());
    // Raising the cap lets deposits in again; zero stops them.
    s.vault
        .sender(s.admin)
        .configure_collateral(s.weth.address(), wad(1) / U256::from(2), wad(1_500), 7)
        .motsu_unwrap();
    assert!(s.vault.emitted(&CollateralConfigured {
        token: s.weth.address(),
        decimals: 18,
        haircut: wad(1) / U256::from(2),
        cap: wad(1_500),
        feedId: 7
    }));
    s.vault.sender(alice).deposit(acct, s.weth.address(), wad(500)).motsu_unwrap();
}

#[motsu::test]
fn collateral_config_has_hard_bounds() {
    let s = Setup::new();
    let weth = s.weth.address();
    let err = s
        .vault
        .sender(s.admin)
        .configure_collateral(weth, wad(1) + U256::from(1), U256::ZERO, 0)
        .motsu_unwrap_err();
    assert_eq!(err, InvalidCollateralConfig { token: weth }.abi_encode());
    let quote = s.usdc.address();
    let err = s
        .vault
        .sender(s.admin)
        .configure_collateral(quote, wad(1) / U256::from(2), U256::ZERO, 0)
        .motsu_unwrap_err();
    assert_eq!(err, InvalidCollateralConfig { token: quote }.abi_encode());
    let wide_token = Contract::<MockErc20>::new();
    wide_token.sender(s.admin).constructor("Wide".into(), "W".into(), 24);
    let err = s
        .vault
        .sender(s.admin)
        .configure_collateral(wide_token.address(), wad(1), U256::ZERO, 0)
        .motsu_unwrap_err();
    assert_eq!(err, InvalidCollateralConfig { token: wide_token.address() }.abi_encode());
    let err = s.vault.sender(s.admin).set_parameters(5_001, 0, 0, 0, 0).motsu_unwrap_err();
    assert_eq!(err, InvalidParameters {}.abi_encode());
}

#[motsu::test]
fn the_account_snapshot_carries_each_holding_and_its_haircut(alice: Address) {
    let s = Setup::new();
    let acct = account(alice, 0);
    s.fund(&s.usdc, alice, U256::from(100 * USDC));
    s.fund(&s.weth, alice, wad(3));
    s.vault.sender(alice).deposit(acct, s.usdc.address(), U256::from(100 * USDC)).motsu_unwrap();
    s.vault.sender(alice).deposit(acct, s.weth.address(), wad(3)).motsu_unwrap();
    let words = s.vault.sender(alice).account_snapshot(acct);
    assert_eq!(words.len(), 4);
    assert_eq!(words[0], wad(100));
    let token_word = U256::from_be_slice(s.weth.address().as_slice())
        | (U256::from(18u8) << 160)
        | (U256::from(7u32) << 168);
    assert_eq!(words[1], token_word);
    assert_eq!(words[2], wad(3));
    assert_eq!(words[3], wad(8) / U256::from(10));
}

#[motsu::test]
fn token_that_returns_false_is_refused(alice: Address) {
    let s = Setup::new();
    s.fund(&s.usdc, alice, U256::from(USDC));
    s.usdc.sender(alice).set_mode(MODE_RETURN_FALSE);
    let err = s
        .vault
        .sender(alice)
        .deposit(account(alice, 0), s.usdc.address(), U256::from(USDC))
        .motsu_unwrap_err();
    assert_eq!(err, SafeErc20FailedOperation { token: s.usdc.address() }.abi_encode());
    assert_eq!(s.vault.sender(alice).balance_of(account(alice, 0), s.usdc.address()), I256::ZERO);
}

/// motsu 0.10's `read_return_data` copies the requested 32 bytes out of an
/// empty return buffer (undefined behaviour, a SIGSEGV here), so a token that
/// returns nothing cannot be called through SafeErc20 in motsu. The mock's
/// no-return mode is tested in its crate; this flow runs in the sandbox
/// suite as `vault_accepts_token_without_return_value`.
#[motsu::test]
#[ignore = "motsu 0.10 reads 32 bytes of empty return data (SIGSEGV); sandbox suite"]
fn token_without_return_value_works(alice: Address) {
    let s = Setup::new();
    s.fund(&s.usdc, alice, U256::from(USDC));
    s.usdc.sender(alice).set_mode(MODE_NO_RETURN);
    let acct = account(alice, 0);
    s.vault.sender(alice).deposit(acct, s.usdc.address(), U256::from(USDC)).motsu_unwrap();
    s.vault
        .sender(s.engine)
        .withdraw(acct, s.usdc.address(), U256::from(USDC), alice)
        .motsu_unwrap();
    assert_eq!(s.usdc.sender(alice).balance_of(alice), U256::from(USDC));
    s.assert_invariant();
}

#[motsu::test]
fn fee_on_transfer_token_is_refused(alice: Address) {
    let s = Setup::new();
    s.fund(&s.weth, alice, wad(1));
    s.weth.sender(alice).set_fee_bps(10);
    let err = s
        .vault
        .sender(alice)
        .deposit(account(alice, 0), s.weth.address(), wad(1))
        .motsu_unwrap_err();
    let expected = TransferAmountMismatch {
        token: s.weth.address(),
        expected: wad(1),
        received: wad(1) - wad(1) / U256::from(1_000),
    };
    assert_eq!(err, expected.abi_encode());
    assert_eq!(s.held(&s.weth), U256::ZERO, "the failed deposit is rolled back");
}

/// On chain, a token that calls back into the Vault during `transferFrom`
/// reverts by itself (Stylus contracts are not re-entrant); motsu does not
/// model that, so this test re-enters through a Vault function that refuses
/// the token and checks that the refusal fails the deposit. The on-chain
/// case is the sandbox test `vault_deposit_reentry_reverts_on_chain`.
#[motsu::test]
fn reentering_token_fails_the_deposit(alice: Address) {
    let s = Setup::new();
    s.fund(&s.usdc, alice, U256::from(USDC));
    let acct = account(alice, 0);
    let reentry =
        withdrawCall { account: acct, token: s.usdc.address(), amount: U256::from(1), to: alice };
    s.usdc.sender(alice).set_reentry(s.vault.address(), reentry.abi_encode().into());
    let err =
        s.vault.sender(alice).deposit(acct, s.usdc.address(), U256::from(USDC)).motsu_unwrap_err();
    assert_eq!(err, SafeErc20FailedOperation { token: s.usdc.address() }.abi_encode());
    assert_eq!(s.held(&s.usdc), U256::ZERO);
}

#[motsu::test]
fn wired_and_admin_functions_refuse_other_callers(mallory: Address) {
    let s = Setup::new();
    let acct = account(mallory, 0);
    let usdc = s.usdc.address();
    let not_engine = NotRiskEngine { caller: mallory }.abi_encode();
    let v = &s.vault;
    assert_eq!(
        v.sender(mallory).withdraw(acct, usdc, U256::from(1), mallory).motsu_unwrap_err(),
        not_engine
    );
    assert_eq!(
        v.sender(mallory).transfer_collateral(acct, acct, usdc, U256::from(1)).motsu_unwrap_err(),
        not_engine
    );
    assert_eq!(
        v.sender(mallory).settle(acct, I256::ONE, U256::ZERO, false).motsu_unwrap_err(),
        not_engine
    );
    assert_eq!(v.sender(mallory).absorb_bad_debt(acct).motsu_unwrap_err(), not_engine);

    let unauthorized = Unauthorized { caller: mallory, role: 0 }.abi_encode();
    assert_eq!(v.sender(mallory).set_risk_engine(mallory).motsu_unwrap_err(), unauthorized);
    assert_eq!(v.sender(mallory).set_parameters(0, 0, 0, 0, 0).motsu_unwrap_err(), unauthorized);
    assert_eq!(
        v.sender(mallory).configure_collateral(usdc, wad(1), U256::ZERO, 0).motsu_unwrap_err(),
        unauthorized
    );
    assert_eq!(
        v.sender(mallory).claim_protocol_fees(mallory, U256::ZERO).motsu_unwrap_err(),
        unauthorized
    );

    // Wiring is set once.
    let err = v.sender(s.admin).set_risk_engine(mallory).motsu_unwrap_err();
    assert_eq!(err, RiskEngineAlreadySet { riskEngine: s.engine }.abi_encode());
}

#[motsu::test]
fn unwired_vault_refuses_everyone(alice: Address) {
    let vault = Contract::<Vault>::new();
    let usdc = Contract::<MockErc20>::new();
    usdc.sender(alice).constructor("Mock USD".into(), "mUSD".into(), 6);
    vault.sender(alice).constructor(alice, usdc.address(), U256::MAX).motsu_unwrap();
    let err = vault.sender(alice).absorb_bad_debt(U256::ZERO).motsu_unwrap_err();
    assert_eq!(err, NotRiskEngine { caller: alice }.abi_encode());
    let err = vault.sender(alice).set_risk_engine(Address::ZERO).motsu_unwrap_err();
    assert_eq!(err, InvalidParameters {}.abi_encode());
    vault.sender(alice).set_risk_engine(alice).motsu_unwrap();
    assert!(vault.emitted(&VaultConfigured {
        riskEngine: alice,
        insuranceFeeBps: 2_000,
        protocolFeeBps: 1_000,
        insurancePenaltyBps: 5_000,
        cooldown: 86_400,
        redeemWindow: 86_400
    }));
}

#[motsu::test]
fn pause_stops_new_risk_but_never_withdrawals(alice: Address) {
    let s = Setup::new();
    let acct = account(alice, 0);
    s.fund(&s.usdc, alice, U256::from(10 * USDC));
    s.fund(&s.weth, alice, wad(1));
    s.vault.sender(alice).deposit(acct, s.weth.address(), wad(1)).motsu_unwrap();
    pause(&s.vault, s.admin);
    let paused = ContractPaused {}.abi_encode();
    assert_eq!(
        s.vault.sender(alice).deposit(acct, s.weth.address(), U256::from(1)).motsu_unwrap_err(),
        paused
    );
    assert_eq!(
        s.vault.sender(alice).lp_deposit(U256::from(USDC), alice).motsu_unwrap_err(),
        paused
    );
    // Quote deposits can only make an account safer; withdrawals go on.
    s.vault.sender(alice).deposit(acct, s.usdc.address(), U256::from(USDC)).motsu_unwrap();
    s.vault.sender(s.engine).withdraw(acct, s.weth.address(), wad(1), alice).motsu_unwrap();
    s.assert_invariant();
}

#[motsu::test]
fn settle_moves_pnl_and_splits_fees(alice: Address, lp: Address) {
    let s = Setup::new();
    let acct = account(alice, 0);
    s.fund(&s.usdc, lp, U256::from(1_000 * USDC));
    s.vault.sender(lp).lp_deposit(U256::from(1_000 * USDC), lp).motsu_unwrap();

    // A gain of 10.0000009 USDC pays 10.000000 (rounded down); a fee of 1 USDC
    // goes 20% insurance, 10% protocol, 70% pool.
    let pnl = int(10_000_000_900_000_000_000);
    let change = s.vault.sender(s.engine).settle(acct, pnl, wad(1), false).motsu_unwrap();
    assert_eq!(change, int(9_000_000));
    assert!(s.vault.emitted(&CashSettled {
        account: acct,
        withPool: int(10_000_000 - 700_000),
        withInsurance: int(-200_000),
        withProtocol: int(-100_000)
    }));
    let state = s.vault.sender(alice).pool_state();
    assert_eq!(state.0, U256::from(1_000 * USDC - 10 * USDC + 700_000));
    assert_eq!(state.3, U256::from(200_000));
    assert_eq!(state.4, U256::from(100_000));

    // A loss of a wei of WAD still costs a token unit (rounded up).
    let change = s.vault.sender(s.engine).settle(acct, int(-1), U256::ZERO, false).motsu_unwrap();
    assert_eq!(change, int(-1));
    // A penalty goes half to the insurance fund, half to the pool.
    s.vault.sender(s.engine).settle(acct, I256::ZERO, wad(2), true).motsu_unwrap();
    assert_eq!(s.vault.sender(alice).pool_state().3, U256::from(200_000 + 1_000_000));
    s.assert_invariant();

    // The pool cannot pay more than it holds.
    let pool = s.vault.sender(alice).total_assets();
    let err = s
        .vault
        .sender(s.engine)
        .settle(acct, I256::from_raw(wad(2_000)), U256::ZERO, false)
        .motsu_unwrap_err();
    let expected =
        InsufficientReserve { reserve: 0, available: pool, needed: U256::from(2_000 * USDC) };
    assert_eq!(err, expected.abi_encode());

    // The admin claims the protocol fees.
    s.vault.sender(s.admin).claim_protocol_fees(s.admin, U256::from(100_000)).motsu_unwrap();
    assert!(s.vault.emitted(&ProtocolFeesClaimed { to: s.admin, amount: U256::from(100_000) }));
    let err =
        s.vault.sender(s.admin).claim_protocol_fees(s.admin, U256::from(1)).motsu_unwrap_err();
    let expected = InsufficientReserve { reserve: 1, available: U256::ZERO, needed: U256::from(1) };
    assert_eq!(err, expected.abi_encode());
    s.assert_invariant();
}

#[motsu::test]
fn transfer_collateral_moves_between_accounts(alice: Address, liquidator: Address) {
    let s = Setup::new();
    let (a, l) = (account(alice, 0), account(liquidator, 3));
    s.fund(&s.weth, alice, wad(2));
    s.vault.sender(alice).deposit(a, s.weth.address(), wad(2)).motsu_unwrap();
    s.vault.sender(s.engine).transfer_collateral(a, l, s.weth.address(), wad(1)).motsu_unwrap();
    assert!(s.vault.emitted(&Withdrawn {
        account: a,
        token: s.weth.address(),
        to: Address::ZERO,
        toAccount: l,
        amount: wad(1)
    }));
    assert_eq!(s.vault.sender(alice).balance_of(l, s.weth.address()), I256::from_raw(wad(1)));
    let err = s
        .vault
        .sender(s.engine)
        .transfer_collateral(a, l, s.weth.address(), wad(2))
        .motsu_unwrap_err();
    let expected = InsufficientBalance {
        account: a,
        token: s.weth.address(),
        balance: I256::from_raw(wad(1)),
        needed: wad(2),
    };
    assert_eq!(err, expected.abi_encode());
    s.assert_invariant();
}

#[motsu::test]
fn share_price_moves_with_trader_pnl(lp: Address, trader: Address) {
    let s = Setup::new();
    s.fund(&s.usdc, lp, U256::from(1_000 * USDC));
    let shares = s.vault.sender(lp).lp_deposit(U256::from(1_000 * USDC), lp).motsu_unwrap();
    assert!(s.vault.emitted(&LiquidityChanged {
        provider: lp,
        receiver: lp,
        deposit: true,
        assets: U256::from(1_000 * USDC),
        shares
    }));
    // Shares carry 6 more decimals than the quote token.
    assert_eq!(shares, U256::from(1_000u64 * USDC * 1_000_000));
    let price = s.vault.sender(lp).pool_state().2;
    assert_eq!(price, wad(1));

    let acct = account(trader, 0);
    s.vault
        .sender(s.engine)
        .settle(acct, I256::from_raw(wad(100)).wrapping_neg(), U256::ZERO, false)
        .motsu_unwrap();
    // The virtual share keeps a sliver of every gain: one unit less.
    assert_eq!(s.vault.sender(lp).preview_redeem(shares), U256::from(1_100 * USDC - 1));
    s.vault
        .sender(s.engine)
        .settle(acct, I256::from_raw(wad(300)), U256::ZERO, false)
        .motsu_unwrap();
    assert_eq!(s.vault.sender(lp).preview_redeem(shares), U256::from(800 * USDC));
    // A later LP buys at the lower price.
    s.fund(&s.usdc, trader, U256::from(800 * USDC));
    let later = s.vault.sender(trader).lp_deposit(U256::from(800 * USDC), trader).motsu_unwrap();
    assert_eq!(s.vault.sender(trader).convert_to_shares(U256::from(800 * USDC)), later);
    assert!(
        later > shares - U256::from(1_000_000_000u64),
        "about as many shares for 800 as the first LP holds"
    );

    let out = s.vault.sender(lp).lp_redeem(shares, lp).motsu_unwrap();
    assert!(out <= U256::from(800 * USDC) && out >= U256::from(800 * USDC - 1));
    assert_eq!(s.usdc.sender(lp).balance_of(lp), out);
    let err = s.vault.sender(lp).lp_redeem(U256::from(1), lp).motsu_unwrap_err();
    assert_eq!(
        err,
        InsufficientShares { provider: lp, available: U256::ZERO, needed: U256::from(1) }
            .abi_encode()
    );
}

#[motsu::test]
fn redemption_waits_for_the_cooldown(lp: Address) {
    let s = Setup::new();
    s.vault.sender(s.admin).set_parameters(2_000, 1_000, 5_000, 3_600, 7_200).motsu_unwrap();
    s.fund(&s.usdc, lp, U256::from(USDC));
    let shares = s.vault.sender(lp).lp_deposit(U256::from(USDC), lp).motsu_unwrap();
    let err = s.vault.sender(lp).lp_redeem(shares, lp).motsu_unwrap_err();
    assert_eq!(
        err,
        InsufficientShares { provider: lp, available: U256::ZERO, needed: shares }.abi_encode()
    );
    s.vault.sender(lp).lp_request_redeem(shares).motsu_unwrap();
    // motsu's clock does not move: the window opens an hour later.
    let now = 1_735_689_600u64;
    assert!(s.vault.emitted(&RedeemRequested {
        provider: lp,
        shares,
        opensAt: now + 3_600,
        closesAt: now + 3_600 + 7_200
    }));
    assert_eq!(s.vault.sender(lp).lp_position(lp), (shares, shares, now + 3_600, now + 10_800));
    let err = s.vault.sender(lp).lp_redeem(shares, lp).motsu_unwrap_err();
    assert_eq!(
        err,
        RedeemNotOpen { opensAt: now + 3_600, closesAt: now + 10_800, now }.abi_encode()
    );
}

#[motsu::test]
fn first_depositor_cannot_steal_through_a_donation(attacker: Address, victim: Address) {
    let s = Setup::new();
    s.fund(&s.usdc, attacker, U256::from(20_000 * USDC));
    s.fund(&s.usdc, victim, U256::from(10_000 * USDC));
    let tiny = s.vault.sender(attacker).lp_deposit(U256::from(1), attacker).motsu_unwrap();
    // A direct transfer is not pool assets: it changes nothing.
    let donation = bulwark_mock_erc20::transferCall {
        to: s.vault.address(),
        value: U256::from(10_000 * USDC),
    };
    s.usdc.sender(attacker).fallback(&donation.abi_encode()).motsu_unwrap();
    // Growing the pool through trading losses is priced by the offset.
    s.vault
        .sender(s.engine)
        .settle(account(attacker, 0), I256::from_raw(wad(5_000)).wrapping_neg(), U256::ZERO, false)
        .motsu_unwrap();
    let got = s.vault.sender(victim).lp_deposit(U256::from(10_000 * USDC), victim).motsu_unwrap();
    assert!(got > U256::ZERO);
    let victim_out = s.vault.sender(victim).preview_redeem(got);
    let attacker_out = s.vault.sender(attacker).preview_redeem(tiny);
    assert!(
        victim_out >= U256::from(10_000 * USDC - 10_000),
        "victim keeps its deposit: {victim_out}"
    );
    assert!(attacker_out < U256::from(5_000 * USDC), "attacker loses: {attacker_out}");
}

#[motsu::test]
fn bad_debt_is_absorbed_insurance_first_then_pool(alice: Address, lp: Address) {
    let s = Setup::new();
    let acct = account(alice, 0);
    s.fund(&s.usdc, lp, U256::from(1_000 * USDC));
    s.vault.sender(lp).lp_deposit(U256::from(1_000 * USDC), lp).motsu_unwrap();
    // Fees fill the insurance fund with 20 USDC (20% of 100).
    let other = account(lp, 9);
    s.fund(&s.usdc, lp, U256::from(100 * USDC));
    s.vault.sender(lp).deposit(other, s.usdc.address(), U256::from(100 * USDC)).motsu_unwrap();
    s.vault.sender(s.engine).settle(other, I256::ZERO, wad(100), false).motsu_unwrap();
    assert_eq!(s.vault.sender(lp).pool_state().3, U256::from(20 * USDC));

    // Alice holds 1 ETH and loses 150 USDC, which RiskEngine found the ETH
    // no longer backs: the ETH is seized to the protocol account first.
    s.fund(&s.weth, alice, wad(1));
    s.vault.sender(alice).deposit(acct, s.weth.address(), wad(1)).motsu_unwrap();
    s.vault
        .sender(s.engine)
        .settle(acct, I256::from_raw(wad(150)).wrapping_neg(), U256::ZERO, false)
        .motsu_unwrap();
    let pool_before = s.vault.sender(lp).total_assets();
    let (from_insurance, from_pool) = s.vault.sender(s.engine).absorb_bad_debt(acct).motsu_unwrap();
    let protocol = account(s.admin, 0);
    assert!(s.vault.emitted(&CollateralSeized {
        account: acct,
        token: s.weth.address(),
        toAccount: protocol,
        amount: wad(1)
    }));
    assert_eq!(s.vault.sender(lp).balance_of(acct, s.weth.address()), I256::ZERO);
    assert_eq!(s.vault.sender(lp).balance_of(protocol, s.weth.address()), I256::from_raw(wad(1)));
    assert_eq!(s.vault.sender(lp).tracked_balance(s.weth.address()), I256::from_raw(wad(1)));
    assert_eq!((from_insurance, from_pool), (wad(20), wad(130)));
    assert!(s.vault.emitted(&BadDebtAbsorbed {
        account: acct,
        fromInsurance: U256::from(20 * USDC),
        fromPool: U256::from(130 * USDC),
        remaining: U256::ZERO
    }));
    assert_eq!(s.vault.sender(lp).balance_of(acct, s.usdc.address()), I256::ZERO);
    assert_eq!(s.vault.sender(lp).total_assets(), pool_before - U256::from(130 * USDC));
    let state = s.vault.sender(lp).pool_state();
    assert_eq!(
        (state.3, state.5, state.6),
        (U256::ZERO, U256::from(20 * USDC), U256::from(130 * USDC))
    );
    // Absorbing again finds nothing to cover.
    assert_eq!(
        s.vault.sender(s.engine).absorb_bad_debt(acct).motsu_unwrap(),
        (U256::ZERO, U256::ZERO)
    );
    s.assert_invariant();
}

#[motsu::test]
fn debt_beyond_both_reserves_stays_recorded(alice: Address) {
    let s = Setup::new();
    let acct = account(alice, 0);
    s.vault
        .sender(s.engine)
        .settle(acct, I256::from_raw(wad(10)).wrapping_neg(), U256::ZERO, false)
        .motsu_unwrap();
    // The pool now holds a 10 USDC claim on alice; absorbing pays it back to itself.
    let (i, p) = s.vault.sender(s.engine).absorb_bad_debt(acct).motsu_unwrap();
    assert_eq!((i, p), (U256::ZERO, wad(10)));
    s.vault.sender(s.engine).settle(acct, I256::ZERO, wad(5), false).motsu_unwrap();
    // 5 USDC of fees: 1 to insurance, 0.5 protocol, 3.5 pool; the debt of 5
    // takes insurance (1) and pool (3.5); 0.5 remains on the account.
    s.vault.sender(s.engine).absorb_bad_debt(acct).motsu_unwrap();
    assert!(s.vault.emitted(&BadDebtAbsorbed {
        account: acct,
        fromInsurance: U256::from(USDC),
        fromPool: U256::from(3_500_000u64),
        remaining: U256::from(500_000u64)
    }));
    assert_eq!(s.vault.sender(alice).balance_of(acct, s.usdc.address()), int(-500_000));
}

mod invariant {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Deposit { who: usize, quote: bool, amount: u64 },
        LpDeposit { who: usize, amount: u64 },
        LpRedeem { who: usize, fraction: u8 },
        Settle { who: usize, pnl: i64, fee: u64, penalty: bool },
        Withdraw { who: usize, quote: bool, amount: u64 },
        Transfer { from: usize, to: usize, quote: bool, amount: u64 },
        Absorb { who: usize },
        Claim { amount: u64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        let who = 0usize..3;
        prop_oneof![
            (who.clone(), any::<bool>(), 1u64..5_000_000_000)
                .prop_map(|(who, quote, amount)| Op::Deposit { who, quote, amount }),
            (who.clone(), 1u64..5_000_000_000)
                .prop_map(|(who, amount)| Op::LpDeposit { who, amount }),
            (who.clone(), 1u8..=100).prop_map(|(who, fraction)| Op::LpRedeem { who, fraction }),
            (
                who.clone(),
                -5_000_000_000_000i64..5_000_000_000_000,
                0u64..100_000_000_000,
                any::<bool>()
            )
                .prop_map(|(who, pnl, fee, penalty)| Op::Settle {
                    who,
                    pnl,
                    fee,
                    penalty
                }),
            (who.clone(), any::<bool>(), 1u64..5_000_000_000)
                .prop_map(|(who, quote, amount)| Op::Withdraw { who, quote, amount }),
            (who.clone(), who.clone(), any::<bool>(), 1u64..5_000_000_000)
                .prop_map(|(from, to, quote, amount)| Op::Transfer { from, to, quote, amount }),
            who.prop_map(|who| Op::Absorb { who }),
            (0u64..1_000_000).prop_map(|amount| Op::Claim { amount }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Invariant 1: after every operation, successful or not, each
        /// token's balance held by the Vault equals the sum of internal
        /// balances (accounts, pool, insurance fund, protocol fees), and the
        /// quote total equals the sum of the accounts' cash plus the reserves.
        #[test]
        fn tokens_held_equal_internal_balances(ops in prop::collection::vec(op(), 1..40)) {
            let s = Setup::new();
            let users = [Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3)];
            let accounts: Vec<U256> = users.iter().map(|u| account(*u, 0)).collect();
            for user in users {
                s.fund(&s.usdc, user, U256::from(u64::MAX));
                s.fund(&s.weth, user, U256::from(u64::MAX) * U256::from(1_000_000_000_000u64));
            }
            let token = |quote: bool| if quote { s.usdc.address() } else { s.weth.address() };
            // WETH amounts are scaled to 18 decimals.
            let units = |quote: bool, amount: u64| {
                if quote { U256::from(amount) } else { U256::from(amount) * U256::from(1_000_000_000_000u64) }
            };
            for op in ops {
                let v = &s.vault;
                let _ = match op {
                    Op::Deposit { who, quote, amount } => v.sender(users[who]).deposit(accounts[who], token(quote), units(quote, amount)),
                    Op::LpDeposit { who, amount } => v.sender(users[who]).lp_deposit(U256::from(amount), users[who]).map(|_| ()),
                    Op::LpRedeem { who, fraction } => {
                        let shares = v.sender(users[who]).lp_position(users[who]).0 * U256::from(fraction) / U256::from(100u8);
                        v.sender(users[who]).lp_redeem(shares, users[who]).map(|_| ())
                    }
                    Op::Settle { who, pnl, fee, penalty } => v
                        .sender(s.engine)
                        .settle(accounts[who], I256::try_from(i128::from(pnl) * 1_000_003).unwrap(), U256::from(fee) * U256::from(1_000_003u64), penalty)
                        .map(|_| ()),
                    Op::Withdraw { who, quote, amount } => v.sender(s.engine).withdraw(accounts[who], token(quote), units(quote, amount), users[who]),
                    Op::Transfer { from, to, quote, amount } => v.sender(s.engine).transfer_collateral(accounts[from], accounts[to], token(quote), units(quote, amount)),
                    Op::Absorb { who } => v.sender(s.engine).absorb_bad_debt(accounts[who]).map(|_| ()),
                    Op::Claim { amount } => v.sender(s.admin).claim_protocol_fees(s.admin, U256::from(amount)),
                }
                // A failed call reverts, as on chain (motsu restores storage only when asked).
                .motsu_res();
                s.assert_invariant();
                let cash: i128 = accounts
                    .iter()
                    .map(|a| i128::try_from(v.sender(s.admin).balance_of(*a, s.usdc.address())).unwrap())
                    .sum();
                let state = v.sender(s.admin).pool_state();
                let reserves = state.0 + state.3 + state.4;
                let expected = I256::try_from(cash).unwrap() + I256::from_raw(reserves);
                prop_assert_eq!(v.sender(s.admin).tracked_balance(s.usdc.address()), expected);
                // Bad debt seizes collateral to the protocol account (the admin's).
                let weth: U256 = accounts
                    .iter()
                    .chain([&account(s.admin, 0)])
                    .map(|a| v.sender(s.admin).balance_of(*a, s.weth.address()).into_raw())
                    .fold(U256::ZERO, |x, y| x + y);
                prop_assert_eq!(v.sender(s.admin).tracked_balance(s.weth.address()), I256::from_raw(weth));
            }
        }
    }
}
