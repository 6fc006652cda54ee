//! Announced changes. A change that can move users' money (an oracle
//! feed's sources, a live perp market's parameters, the risk parameters) is
//! validated and announced, and anyone applies it once [`CHANGE_DELAY`] has
//! passed, so users see it coming. Each contract keeps its own pending
//! change and names its own errors; this is the rule they share.

/// How long an announced change waits before it may be applied: two days.
pub const CHANGE_DELAY: u64 = 2 * 86_400;

/// When a change announced at `now` may be applied.
pub const fn effective_at(now: u64) -> u64 {
    now.saturating_add(CHANGE_DELAY)
}

/// Why an announced change cannot be applied now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotApplicable {
    /// None is announced.
    NonePending,
    /// It takes effect later.
    NotDue,
}

/// Whether the change taking effect at `effective_at` (zero: none
/// announced) may be applied at `now`.
///
/// # Errors
/// [`NotApplicable`] saying why not.
pub const fn applicable(effective_at: u64, now: u64) -> Result<(), NotApplicable> {
    if effective_at == 0 {
        Err(NotApplicable::NonePending)
    } else if now < effective_at {
        Err(NotApplicable::NotDue)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_applies_from_its_time_and_never_without_an_announcement() {
        let at = effective_at(1_000);
        assert_eq!(at, 1_000 + 172_800);
        assert_eq!(applicable(0, u64::MAX), Err(NotApplicable::NonePending));
        assert_eq!(applicable(at, at - 1), Err(NotApplicable::NotDue));
        assert_eq!(applicable(at, at), Ok(()));
        assert_eq!(applicable(at, u64::MAX), Ok(()));
        // An announcement at the end of time still waits, saturated.
        assert_eq!(effective_at(u64::MAX), u64::MAX);
    }
}
