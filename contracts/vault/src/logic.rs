//! The Vault's accounting as plain functions over plain values.
//!
//! Internal balances are kept in token units (`u128`, signed `i128` for the
//! quote cash of an account), so that every movement is an exact transfer
//! between two internal balances and invariant 1 holds to the wei. WAD
//! amounts coming from RiskEngine are converted here, rounding in the
//! protocol's favour: what an account or LP is credited rounds down, what it
//! is debited rounds up.

use bulwark_math::{mul_div, Rounding};

/// Largest token decimals the Vault lists: amounts then convert to WAD by an
/// exact multiplication.
pub const MAX_DECIMALS: u8 = 18;

/// Basis points in one (100%).
pub const BPS: u128 = 10_000;

/// Virtual shares of the LP pool (OpenZeppelin's decimals offset of 6): a
/// share has 6 more decimals than the quote token, and the pool behaves as if
/// `10^6` shares backed by one token unit always existed. An attacker who
/// wants to round a victim's deposit down to zero shares must give the pool
/// about `10^6` times the victim's deposit first.
pub const VIRTUAL_SHARES: u128 = 1_000_000;

/// Virtual assets of the LP pool, in quote token units (see [`VIRTUAL_SHARES`]).
pub const VIRTUAL_ASSETS: u128 = 1;

/// Longest LP redemption cooldown the admin may set (30 days).
pub const MAX_COOLDOWN: u64 = 30 * 24 * 3600;

/// Shortest LP redemption window, once a cooldown is set (1 hour).
pub const MIN_REDEEM_WINDOW: u64 = 3600;

/// Largest share of trading fees either the insurance fund or the protocol
/// may take (50%); the rest of the fee goes to the pool.
pub const MAX_FEE_SHARE_BPS: u16 = 5_000;

/// `10^exponent` for `exponent <= 38`.
#[must_use]
pub fn pow10(exponent: u8) -> u128 {
    let mut result = 1u128;
    let mut i = 0;
    while i < exponent {
        result = result.saturating_mul(10);
        i += 1;
    }
    result
}

/// A token amount in WAD. Exact for `decimals <= 18`; `None` on overflow.
#[must_use]
pub fn to_wad(amount: u128, decimals: u8) -> Option<u128> {
    amount.checked_mul(pow10(MAX_DECIMALS.checked_sub(decimals)?))
}

/// A signed token amount in WAD (exact); `None` on overflow.
#[must_use]
pub fn to_wad_signed(amount: i128, decimals: u8) -> Option<i128> {
    let scale = i128::try_from(pow10(MAX_DECIMALS.checked_sub(decimals)?)).ok()?;
    amount.checked_mul(scale)
}

/// A WAD amount in token units, rounded as asked.
#[must_use]
pub fn from_wad(wad: u128, decimals: u8, rounding: Rounding) -> u128 {
    let scale = pow10(MAX_DECIMALS.saturating_sub(decimals));
    let quotient = wad / scale;
    if rounding == Rounding::Up && quotient * scale != wad {
        // quotient <= u128::MAX / 10 when scale > 1, so this cannot overflow.
        quotient + 1
    } else {
        quotient
    }
}

/// A signed WAD amount of PnL in quote token units, rounded toward negative
/// infinity: a gain paid to an account rounds down, a loss charged to it
/// rounds up. Either way the pool, the account's counterparty, is favoured.
#[must_use]
pub fn pnl_from_wad(wad: i128, decimals: u8) -> Option<i128> {
    let magnitude = wad.unsigned_abs();
    let rounding = if wad < 0 { Rounding::Up } else { Rounding::Down };
    let units = i128::try_from(from_wad(magnitude, decimals, rounding)).ok()?;
    Some(if wad < 0 { -units } else { units })
}

/// How a fee of `amount` token units is split: `(pool, insurance, protocol)`.
/// The shares are rounded down and the pool takes the remainder, so the three
/// parts add up to `amount` exactly.
#[must_use]
pub fn split_fee(amount: u128, insurance_bps: u16, protocol_bps: u16) -> (u128, u128, u128) {
    let insurance = mul_div(amount, u128::from(insurance_bps), BPS, Rounding::Down).unwrap_or(0);
    let protocol = mul_div(amount, u128::from(protocol_bps), BPS, Rounding::Down).unwrap_or(0);
    // Both shares are at most amount * 5000 / 10000 (hard bound), so no underflow.
    (amount - insurance - protocol, insurance, protocol)
}

/// Bad debt of `debt` token units absorbed in order, insurance fund first,
/// then the pool: `(from_insurance, from_pool, remaining)`, which add up to
/// `debt`.
#[must_use]
pub fn absorb(debt: u128, insurance: u128, pool: u128) -> (u128, u128, u128) {
    let from_insurance = debt.min(insurance);
    let from_pool = (debt - from_insurance).min(pool);
    (from_insurance, from_pool, debt - from_insurance - from_pool)
}

/// Shares minted for `assets` deposited into a pool holding `total_assets`
/// with `total_shares` outstanding (rounded down, in the pool's favour).
#[must_use]
pub fn convert_to_shares(assets: u128, total_assets: u128, total_shares: u128) -> Option<u128> {
    mul_div(
        assets,
        total_shares.checked_add(VIRTUAL_SHARES)?,
        total_assets.checked_add(VIRTUAL_ASSETS)?,
        Rounding::Down,
    )
    .ok()
}

/// Assets paid for redeeming `shares` (rounded down, in the pool's favour).
/// Never more than `total_assets` while `shares <= total_shares`.
#[must_use]
pub fn convert_to_assets(shares: u128, total_assets: u128, total_shares: u128) -> Option<u128> {
    mul_div(
        shares,
        total_assets.checked_add(VIRTUAL_ASSETS)?,
        total_shares.checked_add(VIRTUAL_SHARES)?,
        Rounding::Down,
    )
    .ok()
}

/// Value of one whole share (`10^(quote decimals + 6)` share units) in quote
/// WAD, for display: `(assets + 1) * 10^24 / (shares + 10^6)`.
#[must_use]
pub fn share_price(total_assets: u128, total_shares: u128) -> Option<u128> {
    mul_div(
        total_assets.checked_add(VIRTUAL_ASSETS)?,
        pow10(24),
        total_shares.checked_add(VIRTUAL_SHARES)?,
        Rounding::Down,
    )
    .ok()
}

/// The interval `[opens, closes]` in which shares requested for redemption
/// at `requested_at` may be redeemed.
#[must_use]
pub fn redeem_window(requested_at: u64, cooldown: u64, window: u64) -> (u64, u64) {
    let opens = requested_at.saturating_add(cooldown);
    (opens, opens.saturating_add(window))
}

/// Whether an LP may redeem at `now`: always without a cooldown, otherwise
/// only inside the window that follows its request.
#[must_use]
pub fn redeem_open(now: u64, requested_at: u64, cooldown: u64, window: u64) -> bool {
    if cooldown == 0 {
        return true;
    }
    let (opens, closes) = redeem_window(requested_at, cooldown, window);
    requested_at != 0 && opens <= now && now <= closes
}

/// Whether the admin's parameters are inside their hard bounds.
#[must_use]
pub fn parameters_valid(
    insurance_fee_bps: u16,
    protocol_fee_bps: u16,
    insurance_penalty_bps: u16,
    cooldown: u64,
    window: u64,
) -> bool {
    insurance_fee_bps <= MAX_FEE_SHARE_BPS
        && protocol_fee_bps <= MAX_FEE_SHARE_BPS
        && u128::from(insurance_penalty_bps) <= BPS
        && cooldown <= MAX_COOLDOWN
        && (cooldown == 0 || (MIN_REDEEM_WINDOW..=MAX_COOLDOWN).contains(&window))
}

#[cfg(test)]
mod tests {
    use bulwark_math::WAD;

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn conversions_round_in_the_protocols_favour() {
        assert_eq!(to_wad(1_500_000, 6), Some(1_500_000_000_000_000_000));
        assert_eq!(from_wad(WAD + 1, 6, Rounding::Down), 1_000_000);
        assert_eq!(from_wad(WAD + 1, 6, Rounding::Up), 1_000_001);
        assert_eq!(from_wad(WAD + 1, 18, Rounding::Up), WAD + 1);
        assert_eq!(pnl_from_wad(1, 6), Some(0));
        assert_eq!(pnl_from_wad(-1, 6), Some(-1));
        assert_eq!(pnl_from_wad(-2_000_000_000_000, 6), Some(-2));
        assert_eq!(to_wad(1, 19), None);
        assert_eq!(to_wad(u128::MAX, 6), None);
    }

    #[test]
    fn fee_split_sums_to_the_fee() {
        assert_eq!(split_fee(10_001, 2_000, 1_000), (7_001, 2_000, 1_000));
        assert_eq!(split_fee(1, 5_000, 5_000), (1, 0, 0));
    }

    #[test]
    fn absorb_takes_insurance_before_pool() {
        assert_eq!(absorb(100, 30, 1_000), (30, 70, 0));
        assert_eq!(absorb(100, 300, 1_000), (100, 0, 0));
        assert_eq!(absorb(100, 30, 50), (30, 50, 20));
    }

    #[test]
    fn redeem_opens_after_cooldown_and_closes_after_window() {
        assert!(redeem_open(5, 0, 0, 0));
        assert!(!redeem_open(1_000, 0, 10, 100), "no request");
        assert!(!redeem_open(1_009, 1_000, 10, 100));
        assert!(redeem_open(1_010, 1_000, 10, 100));
        assert!(redeem_open(1_110, 1_000, 10, 100));
        assert!(!redeem_open(1_111, 1_000, 10, 100));
    }

    #[test]
    fn parameters_have_hard_bounds() {
        assert!(parameters_valid(5_000, 5_000, 10_000, 0, 0));
        assert!(!parameters_valid(5_001, 0, 0, 0, 0));
        assert!(!parameters_valid(0, 0, 10_001, 0, 0));
        assert!(!parameters_valid(0, 0, 0, MAX_COOLDOWN + 1, 3600));
        assert!(!parameters_valid(0, 0, 0, 60, 59));
        assert!(parameters_valid(0, 0, 0, 60, 3600));
    }

    /// The classic first-depositor attack: the attacker mints one share unit,
    /// then grows the pool's assets (on this Vault only through trader losses
    /// or fees, since direct token donations are not pool assets) so that the
    /// victim's deposit rounds down. With the virtual offset the victim keeps
    /// all but a 10^-6 fraction of its deposit, and the attack loses money.
    #[test]
    fn inflation_attack_does_not_pay() {
        let (mut assets, mut shares) = (0u128, 0u128);
        let attacker_shares = convert_to_shares(1, assets, shares).unwrap();
        assets += 1;
        shares += attacker_shares;
        let donation = 10_000 * 1_000_000; // 10,000 USDC
        assets += donation;
        let victim_deposit = 10_000 * 1_000_000;
        let victim_shares = convert_to_shares(victim_deposit, assets, shares).unwrap();
        assert!(victim_shares > 0);
        assets += victim_deposit;
        shares += victim_shares;
        let victim_out = convert_to_assets(victim_shares, assets, shares).unwrap();
        let attacker_out = convert_to_assets(attacker_shares, assets, shares).unwrap();
        assert!(
            victim_out * 1_000_000 >= victim_deposit * 999_999,
            "victim lost {}",
            victim_deposit - victim_out
        );
        assert!(attacker_out < donation + 1, "attacker profits");
    }

    proptest! {
        #[test]
        fn deposit_then_redeem_never_returns_more(assets in 1u128..1u128 << 100, pool in 0u128..1u128 << 100, supply in 0u128..1u128 << 100) {
            let shares = convert_to_shares(assets, pool, supply).unwrap();
            let back = convert_to_assets(shares, pool + assets, supply + shares).unwrap();
            prop_assert!(back <= assets);
        }

        #[test]
        fn redeem_never_exceeds_pool(shares in 0u128..1u128 << 100, pool in 0u128..1u128 << 100, extra in 0u128..1u128 << 100) {
            let supply = shares + extra;
            prop_assert!(convert_to_assets(shares, pool, supply).unwrap() <= pool);
        }

        #[test]
        fn split_and_absorb_conserve(amount in any::<u64>(), i in 0u16..=5_000, p in 0u16..=5_000, ins in any::<u64>(), pool in any::<u64>()) {
            let (a, b, c) = split_fee(u128::from(amount), i, p);
            prop_assert_eq!(a + b + c, u128::from(amount));
            let (x, y, z) = absorb(u128::from(amount), u128::from(ins), u128::from(pool));
            prop_assert_eq!(x + y + z, u128::from(amount));
            prop_assert!(y == 0 || x == u128::from(ins));
        }

        #[test]
        fn pnl_rounds_toward_negative_infinity(wad in -(1i128 << 100)..(1i128 << 100), decimals in 0u8..=18) {
            let units = pnl_from_wad(wad, decimals).unwrap();
            let back = to_wad_signed(units, decimals).unwrap();
            prop_assert!(back <= wad);
            prop_assert!(wad - back < i128::try_from(pow10(18 - decimals)).unwrap());
        }
    }
}
