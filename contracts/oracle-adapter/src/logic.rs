//! The OracleAdapter's rules as plain functions over plain values: every
//! check on a Chainlink round, normalisation to 18 decimals, the sequencer
//! status, how a primary and a secondary source combine for each usage, the
//! SVI volatility slice with its no-arbitrage checks, and the settlement round
//! rules. Time is an argument (`now`), so all of it is tested natively.

use bulwark_math::{ln, mul_div, mul_div_signed, sqrt, Rounding, Wad, SIGNED_WAD, WAD};

/// Price usage: an action that adds risk (open, increase, withdraw). Strict:
/// both sources must pass every check, agree within the maximum deviation,
/// the sequencer must be up and out of its grace period, the adapter unpaused.
pub const USAGE_ADD_RISK: u8 = 0;
/// Price usage: an action that reduces risk or liquidates, valued at the lower
/// of the sources (use for long exposure). Lenient rules (see README).
pub const USAGE_REDUCE_RISK_LOW: u8 = 1;
/// Price usage: as [`USAGE_REDUCE_RISK_LOW`], at the higher of the sources
/// (use for short exposure).
pub const USAGE_REDUCE_RISK_HIGH: u8 = 2;

/// Longest strict maximum age a feed may be given (one day).
pub const MAX_FEED_AGE: u64 = 86_400;
/// Longest lenient maximum age a feed may be given (three days).
pub const MAX_FEED_AGE_LENIENT: u64 = 3 * 86_400;
/// Largest maximum deviation between primary and secondary (20%).
pub const MAX_DEVIATION_BPS: u64 = 2_000;
/// Basis points in one.
pub const BPS: u128 = 10_000;
/// Largest feed decimals accepted (scaling factors stay below 10^18).
pub const MAX_FEED_DECIMALS: u8 = 36;
/// Shortest sequencer grace period the admin may set.
pub const MIN_GRACE_PERIOD: u64 = 60;
/// Longest sequencer grace period the admin may set.
pub const MAX_GRACE_PERIOD: u64 = 86_400;
/// Shortest settlement window the admin may set.
pub const MIN_SETTLEMENT_WINDOW: u64 = 60;
/// Longest settlement window the admin may set (one week).
pub const MAX_SETTLEMENT_WINDOW: u64 = 7 * 86_400;
/// How many round ids below the candidate a settlement looks at to find its
/// predecessor (ids that do not answer are gaps and are skipped).
pub const MAX_ROUND_SEARCH: u64 = 8;

/// Why a price cannot be used. The contract adds the feed id and the source
/// address and turns each into its Solidity error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceError {
    /// `updatedAt == 0` or `answeredInRound < roundId`.
    IncompleteRound,
    /// The answer is zero or negative.
    NonPositiveAnswer,
    /// `updatedAt` is in the future or older than the maximum age.
    Stale {
        /// The maximum age that applied.
        max_age: u64,
    },
    /// The normalised price lies outside `[min, max]` (`u128::MAX` when the
    /// answer does not fit in 18 decimals at all).
    OutOfBounds {
        /// The normalised price.
        price: u128,
    },
}

/// An `int256` as an `i128`, saturating (the ABI word's upper half must be
/// the sign extension of the lower half to fit).
pub fn narrow(word: &Word) -> i128 {
    let low = i128::from_be_bytes(take(word, 16));
    let extension = if low < 0 { 0xff } else { 0 };
    if word[..16].iter().all(|&byte| byte == extension) {
        low
    } else if word[0] & 0x80 == 0 {
        i128::MAX
    } else {
        i128::MIN
    }
}

/// The low 128 bits of a word, unsigned (a stored `uint(x)` word).
pub fn low_u128(word: &Word) -> u128 {
    u128::from_be_bytes(take(word, 16))
}

/// A Chainlink round, narrowed to plain integers (answers beyond `i128`
/// saturate, which every later check refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    /// `roundId`.
    pub round_id: u128,
    /// `answer`.
    pub answer: i128,
    /// `startedAt`.
    pub started_at: u64,
    /// `updatedAt`.
    pub updated_at: u64,
    /// `answeredInRound`.
    pub answered_in_round: u128,
}

/// What a source's answers are checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The feed's decimals.
    pub decimals: u8,
    /// Lowest accepted price, WAD.
    pub min_price: u128,
    /// Highest accepted price, WAD.
    pub max_price: u128,
}

/// `10^exponent` for `exponent <= 38`.
fn pow10(exponent: u8) -> u128 {
    let mut result = 1u128;
    for _ in 0..exponent {
        result *= 10;
    }
    result
}

/// An answer in `decimals` as an 18-decimal price, rounded down; `None` when
/// it does not fit in a `u128` or `decimals` exceeds [`MAX_FEED_DECIMALS`].
pub fn normalise(answer: u128, decimals: u8) -> Option<u128> {
    if decimals > MAX_FEED_DECIMALS {
        None
    } else if decimals <= 18 {
        answer.checked_mul(pow10(18 - decimals))
    } else {
        // Through mul_div's own long division: no 128-bit division routine
        // is linked for this one quotient.
        mul_div(answer, 1, pow10(decimals - 18), Rounding::Down).ok()
    }
}

/// Checks one round and returns its price in WAD.
///
/// Order: incomplete round, non-positive answer, age (a timestamp in the
/// future counts as stale), then bounds on the normalised price. The bounds
/// must sit strictly inside the aggregator's own `minAnswer`/`maxAnswer` so
/// that a clamped answer is refused rather than reported.
pub fn check_round(
    round: &Round,
    bounds: &Bounds,
    max_age: u64,
    now: u64,
) -> Result<u128, PriceError> {
    if round.updated_at == 0 || round.answered_in_round < round.round_id {
        return Err(PriceError::IncompleteRound);
    }
    let Ok(answer) = u128::try_from(round.answer) else {
        return Err(PriceError::NonPositiveAnswer);
    };
    if answer == 0 {
        return Err(PriceError::NonPositiveAnswer);
    }
    if round.updated_at > now || now - round.updated_at > max_age {
        return Err(PriceError::Stale { max_age });
    }
    check_bounds(answer, bounds)
}

/// Normalises a positive answer and checks it against the bounds.
fn check_bounds(answer: u128, bounds: &Bounds) -> Result<u128, PriceError> {
    let price = normalise(answer, bounds.decimals).unwrap_or(u128::MAX);
    if price < bounds.min_price || price > bounds.max_price {
        return Err(PriceError::OutOfBounds { price });
    }
    Ok(price)
}

/// Deviation between two positive prices in basis points of the smaller one,
/// rounded up (so a limit of `n` bps accepts exactly the pairs within `n`).
pub fn deviation_bps(a: u128, b: u128) -> u128 {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    mul_div(high - low, BPS, low, Rounding::Up).unwrap_or(u128::MAX)
}

/// How the price of one feed comes out of its sources for a usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combined {
    /// The price to use.
    Price(u128),
    /// Strict only: the sources disagree by more than the maximum deviation.
    Deviation {
        /// The deviation in basis points.
        deviation_bps: u128,
    },
}

/// Combines a checked primary price with a secondary one.
///
/// - [`USAGE_ADD_RISK`]: the secondary (when configured, already checked and
///   usable) must lie within `max_deviation_bps` of the primary; the price is
///   the primary.
/// - [`USAGE_REDUCE_RISK_LOW`] / [`USAGE_REDUCE_RISK_HIGH`]: with no usable
///   secondary, the primary. Otherwise the less favourable of the two for the
///   holder of the exposure (lower for LOW, higher for HIGH), however far
///   apart: a frozen primary must never let an account close or be
///   liquidated at a better price than a live secondary shows.
pub fn combine(
    usage: u8,
    primary: u128,
    secondary: Option<u128>,
    max_deviation_bps: u64,
) -> Combined {
    let Some(secondary) = secondary else { return Combined::Price(primary) };
    if usage == USAGE_ADD_RISK {
        let deviation = deviation_bps(primary, secondary);
        return if deviation > u128::from(max_deviation_bps) {
            Combined::Deviation { deviation_bps: deviation }
        } else {
            Combined::Price(primary)
        };
    }
    Combined::Price(if usage == USAGE_REDUCE_RISK_LOW {
        secondary.min(primary)
    } else {
        secondary.max(primary)
    })
}

/// The L2 sequencer's state as the sequencer uptime feed reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequencerStatus {
    /// Up, and its grace period is over.
    Up,
    /// Down since `since` (or its feed reports no valid status).
    Down {
        /// When the status last changed (`startedAt`).
        since: u64,
    },
    /// Up since `since`, still in the grace period until `until`.
    Grace {
        /// When the sequencer came back up.
        since: u64,
        /// First second at which it counts as [`SequencerStatus::Up`].
        until: u64,
    },
}

impl SequencerStatus {
    /// Status code on the ABI: 0 up, 1 down, 2 in grace period.
    pub fn code(self) -> u8 {
        match self {
            SequencerStatus::Up => 0,
            SequencerStatus::Down { .. } => 1,
            SequencerStatus::Grace { .. } => 2,
        }
    }
}

/// Reads the sequencer uptime feed's `answer` (0 up, anything else down) and
/// `startedAt` (when the status last changed). `startedAt = 0` means the feed
/// has no valid round (Chainlink documents this on Arbitrum): treated as down.
/// The grace period ends at `startedAt + grace`; a `startedAt` in the future
/// counts as just changed.
pub fn sequencer_status(
    answer: i128,
    started_at: u64,
    grace_period: u64,
    now: u64,
) -> SequencerStatus {
    if answer != 0 || started_at == 0 {
        return SequencerStatus::Down { since: started_at };
    }
    let until = started_at.saturating_add(grace_period);
    if now < until {
        SequencerStatus::Grace { since: started_at, until }
    } else {
        SequencerStatus::Up
    }
}

/// Why a settlement round is refused (the `reason` of `SettlementUnavailable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SettlementError {
    /// The expiry has not been reached.
    ExpiryNotReached = 0,
    /// The named round does not exist or is incomplete.
    RoundMissing = 1,
    /// The named round was updated before expiry: no round at or after
    /// expiry is known yet.
    RoundBeforeExpiry = 2,
    /// The named round was updated after the settlement window closed.
    RoundAfterWindow = 3,
    /// An earlier round was also at or after expiry: name the first one.
    NotFirstRound = 4,
    /// No earlier round answered within [`MAX_ROUND_SEARCH`] ids.
    PredecessorNotFound = 5,
    /// The answer is not positive or outside the feed's bounds.
    InvalidAnswer = 6,
}

/// Checks a candidate settlement round: complete, updated at or after
/// `expiry` and no later than `expiry + window`, with a positive answer within
/// the bounds. Age is not checked: the round is historical by design. Returns
/// the settlement price in WAD.
pub fn check_settlement_round(
    round: &Round,
    bounds: &Bounds,
    expiry: u64,
    window: u64,
    now: u64,
) -> Result<u128, SettlementError> {
    if now < expiry {
        return Err(SettlementError::ExpiryNotReached);
    }
    if round.updated_at == 0 || round.answered_in_round < round.round_id || round.updated_at > now {
        return Err(SettlementError::RoundMissing);
    }
    if round.updated_at < expiry {
        return Err(SettlementError::RoundBeforeExpiry);
    }
    if round.updated_at - expiry > window {
        return Err(SettlementError::RoundAfterWindow);
    }
    match u128::try_from(round.answer) {
        Ok(answer) if answer > 0 => {
            check_bounds(answer, bounds).map_err(|_| SettlementError::InvalidAnswer)
        }
        _ => Err(SettlementError::InvalidAnswer),
    }
}

/// Checks that the settlement candidate `round_id` is the first round at or
/// after `expiry`: walks down from `round_id - 1`, skipping ids that do not
/// answer or are incomplete (`updated_at_of` returns `None` or 0: gaps), until
/// a round answers; that round must be updated before `expiry`. The walk stops
/// after [`MAX_ROUND_SEARCH`] ids and never crosses into an earlier Chainlink
/// phase (the upper bits of a proxy round id): reaching the start of the
/// phase means the candidate is the first round of its phase and is accepted.
pub fn check_predecessor(
    round_id: u128,
    expiry: u64,
    mut updated_at_of: impl FnMut(u128) -> Option<u64>,
) -> Result<(), SettlementError> {
    let in_phase = round_id & u128::from(u64::MAX);
    let earlier = in_phase.saturating_sub(1);
    let steps = u128::from(MAX_ROUND_SEARCH).min(earlier);
    for step in 1..=steps {
        match updated_at_of(round_id - step) {
            Some(updated_at) if updated_at != 0 => {
                return if updated_at < expiry {
                    Ok(())
                } else {
                    Err(SettlementError::NotFirstRound)
                };
            }
            _ => {}
        }
    }
    if earlier > steps {
        Err(SettlementError::PredecessorNotFound)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Volatility surface
// ---------------------------------------------------------------------------

/// Stored SVI parameters are WAD shifted right by this many bits (a
/// resolution of 2^20 wei, about 1.05e-12): a shift, not a division.
pub const PARAM_SHIFT: u32 = 20;
/// Largest absolute value of `a`, `b`, `m` and `sigma` (WAD).
pub const MAX_SVI_PARAM: i128 = 10 * SIGNED_WAD;
/// Smallest `sigma` (WAD): keeps the curvature terms in range.
pub const MIN_SVI_SIGMA: i128 = SIGNED_WAD / 10_000;
/// Longest time to expiry of a surface (five years).
pub const MAX_SURFACE_TENOR: u64 = 5 * 365 * 86_400;
/// Hard bound on the highest volatility the admin may allow (1,000%).
pub const MAX_VOLATILITY_BOUND: u128 = 10 * WAD;
/// Hard bound on the widest log-moneyness grid (|k| <= 3, about 0.05x..20x).
pub const MAX_GRID_LOG_MONEYNESS: i128 = 3 * SIGNED_WAD;
/// Most points on the protocol's strike grid.
pub const MAX_GRID_POINTS: u8 = 32;
/// Fewest points on the protocol's strike grid.
pub const MIN_GRID_POINTS: u8 = 3;
/// Most live expiries stored per feed.
pub const MAX_EXPIRIES: usize = 32;
/// Seconds in the year used to annualise variance.
pub const SECONDS_PER_YEAR: u128 = 31_536_000;

/// Raw SVI slice: total implied variance at log-moneyness `k = ln(K / F)` is
/// `w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))`. All WAD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Svi {
    /// Level.
    pub a: i128,
    /// Slope of the wings (>= 0).
    pub b: i128,
    /// Rotation, in (-1, 1).
    pub rho: i128,
    /// Translation.
    pub m: i128,
    /// Smoothness at the vertex (> 0).
    pub sigma: i128,
}

/// A slice as stored: the SVI parameters, the forward they are quoted
/// against, the push time and the expiry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    /// The SVI parameters.
    pub svi: Svi,
    /// Reference forward (WAD) that defines moneyness.
    pub forward: u128,
    /// When the slice was pushed.
    pub pushed_at: u64,
    /// Its expiry.
    pub expiry: u64,
}

impl Slice {
    /// Seconds from push to expiry over which `w` is the total variance.
    fn tenor(&self) -> u64 {
        self.expiry.saturating_sub(self.pushed_at)
    }
}

/// The strikes the protocol uses, as a log-moneyness grid, plus the accepted
/// volatility range and surface age.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SurfaceConfig {
    /// Lowest grid log-moneyness (WAD, < 0).
    pub min_log_moneyness: i128,
    /// Highest grid log-moneyness (WAD, > 0).
    pub max_log_moneyness: i128,
    /// Number of grid points, evenly spaced, ends included.
    pub points: u8,
    /// Lowest accepted volatility (WAD).
    pub min_volatility: u128,
    /// Highest accepted volatility (WAD).
    pub max_volatility: u128,
    /// Longest a surface stays usable after its push (seconds).
    pub max_age: u64,
}

impl SurfaceConfig {
    /// Whether the configuration is within the hard bounds.
    pub fn is_valid(&self) -> bool {
        self.min_log_moneyness >= -MAX_GRID_LOG_MONEYNESS
            && self.min_log_moneyness < 0
            && self.max_log_moneyness > 0
            && self.max_log_moneyness <= MAX_GRID_LOG_MONEYNESS
            && (MIN_GRID_POINTS..=MAX_GRID_POINTS).contains(&self.points)
            && self.min_volatility > 0
            && self.min_volatility < self.max_volatility
            && self.max_volatility <= MAX_VOLATILITY_BOUND
            && (60..=7 * 86_400).contains(&self.max_age)
    }

    /// Grid point `i` of `points`.
    pub fn grid_point(&self, i: u8) -> i128 {
        let span = self.max_log_moneyness - self.min_log_moneyness;
        // span <= 6e18 and i < 32: no overflow; points >= 3 after validation.
        self.min_log_moneyness
            + span * i128::from(i) / i128::from(self.points.saturating_sub(1).max(1))
    }
}

/// Why a slice is refused at push time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurfaceError {
    /// Parameters outside their domain (`reason` of `InvalidSurface`).
    Invalid(u8),
    /// Volatility outside the bounds at a grid point.
    VolatilityOutOfBounds {
        /// The grid log-moneyness.
        log_moneyness: i128,
        /// The volatility found there.
        volatility: u128,
    },
    /// Negative butterfly (Gatheral's `g(k) < 0`) at a grid point.
    Butterfly {
        /// The grid log-moneyness.
        log_moneyness: i128,
    },
    /// Total variance decreases between this slice and a neighbour.
    Calendar {
        /// The neighbour's expiry.
        neighbour: u64,
        /// The grid log-moneyness.
        log_moneyness: i128,
    },
}

/// `InvalidSurface` reasons.
pub mod invalid {
    /// Expiry not in the future or beyond [`super::MAX_SURFACE_TENOR`].
    pub const EXPIRY: u8 = 0;
    /// Zero forward.
    pub const FORWARD: u8 = 1;
    /// SVI parameters outside their domain (b < 0, |rho| >= 1, sigma too
    /// small, magnitudes, Lee's wing bound `b (1 + |rho|) <= 2`, negative
    /// minimum variance).
    pub const PARAMETERS: u8 = 2;
    /// A value left the fixed-point range while checking.
    pub const MATH: u8 = 3;
    /// No surface configuration set by the admin.
    pub const NOT_CONFIGURED: u8 = 4;
    /// Too many live expiries for this feed.
    pub const TOO_MANY_EXPIRIES: u8 = 5;
}

type MathResult<T> = Result<T, bulwark_math::MathError>;

fn mul(a: i128, b: i128) -> MathResult<i128> {
    mul_div_signed(a, b, SIGNED_WAD, Rounding::Down)
}

fn div(a: i128, b: i128) -> MathResult<i128> {
    mul_div_signed(a, SIGNED_WAD, b, Rounding::Down)
}

fn root(x: i128) -> MathResult<i128> {
    let x = u128::try_from(x).map_err(|_| bulwark_math::MathError::NonPositiveInput)?;
    i128::try_from(sqrt(Wad::from_raw(x), Rounding::Down).raw())
        .map_err(|_| bulwark_math::MathError::Overflow)
}

/// The pieces of the slice at `k`: `(w, w', w'')`.
fn svi_terms(svi: &Svi, k: i128) -> MathResult<(i128, i128, i128)> {
    let d = k.checked_sub(svi.m).ok_or(bulwark_math::MathError::Overflow)?;
    let sigma2 = mul(svi.sigma, svi.sigma)?;
    let s2 = mul(d, d)?.checked_add(sigma2).ok_or(bulwark_math::MathError::Overflow)?;
    let r = root(s2)?;
    let w = svi.a + mul(svi.b, mul(svi.rho, d)? + r)?;
    let w1 = mul(svi.b, svi.rho + div(d, r)?)?;
    let w2 = div(div(mul(svi.b, sigma2)?, s2)?, r)?;
    Ok((w, w1, w2))
}

/// Total implied variance `w(k)` of a slice (WAD).
pub fn total_variance(svi: &Svi, k: i128) -> MathResult<i128> {
    svi_terms(svi, k).map(|(w, _, _)| w)
}

/// Gatheral's butterfly density term
/// `g(k) = (1 - k w'/(2w))^2 - (w'^2/4)(1/w + 1/4) + w''/2`; no butterfly
/// arbitrage at `k` iff `g(k) >= 0` (and `w(k) > 0`).
pub fn butterfly_density(svi: &Svi, k: i128) -> MathResult<i128> {
    let (w, w1, w2) = svi_terms(svi, k)?;
    if w <= 0 {
        return Err(bulwark_math::MathError::NonPositiveInput);
    }
    let first = SIGNED_WAD - div(mul(k, w1)?, 2 * w)?;
    let second = mul(mul(w1, w1)? / 4, div(SIGNED_WAD, w)? + SIGNED_WAD / 4)?;
    Ok(mul(first, first)? - second + w2 / 2)
}

/// Annualised implied volatility (WAD) from a total variance over
/// `tenor` seconds: `sqrt(w * year / tenor)`.
pub fn volatility_from_variance(w: i128, tenor: u64) -> MathResult<u128> {
    let w = u128::try_from(w).map_err(|_| bulwark_math::MathError::NonPositiveInput)?;
    let annual = mul_div(w, SECONDS_PER_YEAR, u128::from(tenor), Rounding::Down)?;
    Ok(sqrt(Wad::from_raw(annual), Rounding::Down).raw())
}

/// Total variance of a stored slice at `k`, rescaled to the time left from
/// `now` to its expiry: `w(k) * (expiry - now) / tenor` (same implied vol).
fn variance_from(slice: &Slice, k: i128, now: u64) -> MathResult<i128> {
    let w = total_variance(&slice.svi, k)?;
    let left = i128::from(slice.expiry.saturating_sub(now));
    mul_div_signed(w, left, i128::from(slice.tenor().max(1)), Rounding::Down)
}

/// Checks a new slice pushed at `now` for `expiry` (so `tenor = expiry -
/// now`) against its domain, the volatility bounds and butterfly arbitrage at
/// every grid point, and calendar arbitrage against the live neighbouring
/// slices (`previous` expires before it, `next` after). Total variance is
/// compared over the time left from `now`, at equal log-moneyness.
pub fn check_slice(
    slice: &Slice,
    config: &SurfaceConfig,
    previous: Option<&Slice>,
    next: Option<&Slice>,
    now: u64,
) -> Result<(), SurfaceError> {
    let svi = &slice.svi;
    let tenor = slice.expiry.saturating_sub(now);
    if tenor == 0 || tenor > MAX_SURFACE_TENOR || slice.pushed_at != now {
        return Err(SurfaceError::Invalid(invalid::EXPIRY));
    }
    if slice.forward == 0 {
        return Err(SurfaceError::Invalid(invalid::FORWARD));
    }
    let in_range = |x: i128| (-MAX_SVI_PARAM..=MAX_SVI_PARAM).contains(&x);
    let lee = mul(svi.b, SIGNED_WAD + svi.rho.abs());
    let min_variance =
        mul(svi.sigma, root(SIGNED_WAD - mul(svi.rho, svi.rho).unwrap_or(0)).unwrap_or(0))
            .and_then(|x| mul(svi.b, x));
    if !(in_range(svi.a) && in_range(svi.m))
        || svi.b < 0
        || svi.b > MAX_SVI_PARAM
        || svi.rho <= -SIGNED_WAD
        || svi.rho >= SIGNED_WAD
        || svi.sigma < MIN_SVI_SIGMA
        || svi.sigma > MAX_SVI_PARAM
        || !matches!(lee, Ok(x) if x <= 2 * SIGNED_WAD)
        || !matches!(min_variance, Ok(x) if svi.a + x >= 0)
    {
        return Err(SurfaceError::Invalid(invalid::PARAMETERS));
    }
    let math = |_| SurfaceError::Invalid(invalid::MATH);
    for i in 0..config.points {
        let k = config.grid_point(i);
        let w = total_variance(svi, k).map_err(math)?;
        let volatility = if w > 0 { volatility_from_variance(w, tenor).map_err(math)? } else { 0 };
        if volatility < config.min_volatility || volatility > config.max_volatility {
            return Err(SurfaceError::VolatilityOutOfBounds { log_moneyness: k, volatility });
        }
        if butterfly_density(svi, k).map_err(math)? < 0 {
            return Err(SurfaceError::Butterfly { log_moneyness: k });
        }
        if let Some(previous) = previous {
            if variance_from(previous, k, now).map_err(math)? > w {
                return Err(SurfaceError::Calendar {
                    neighbour: previous.expiry,
                    log_moneyness: k,
                });
            }
        }
        if let Some(next) = next {
            if variance_from(next, k, now).map_err(math)? < w {
                return Err(SurfaceError::Calendar { neighbour: next.expiry, log_moneyness: k });
            }
        }
    }
    Ok(())
}

/// Annualised volatility (WAD) of a stored slice at `strike` (WAD), clamped to
/// the configured bounds: inside the grid the push checks already hold it
/// there, outside the grid SVI's linear wings are cut at the bounds.
pub fn volatility_at(slice: &Slice, config: &SurfaceConfig, strike: u128) -> MathResult<u128> {
    let moneyness = mul_div(strike, WAD, slice.forward, Rounding::Down)?;
    let k = ln(Wad::from_raw(moneyness))?;
    let w = total_variance(&slice.svi, k.raw())?;
    let volatility = if w > 0 { volatility_from_variance(w, slice.tenor().max(1))? } else { 0 };
    Ok(volatility.clamp(config.min_volatility, config.max_volatility))
}

/// A WAD parameter narrowed to its stored form (`wad >> PARAM_SHIFT`,
/// rounded toward negative infinity); `None` when it does not fit 64 bits.
pub fn to_stored(wad: i128) -> Option<i64> {
    i64::try_from(wad >> PARAM_SHIFT).ok()
}

/// A stored parameter back in WAD (exact).
pub fn from_stored(value: i64) -> i128 {
    i128::from(value) << PARAM_SHIFT
}

// ---------------------------------------------------------------------------
// Storage words: configuration packed by hand into 32-byte slots, so that a
// price reads as few slots as possible and the contract carries no per-field
// accessor code.
// ---------------------------------------------------------------------------

/// One storage word.
pub type Word = [u8; 32];

fn put(word: &mut Word, at: usize, bytes: &[u8]) {
    word[at..at + bytes.len()].copy_from_slice(bytes);
}

fn take<const N: usize>(word: &Word, at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&word[at..at + N]);
    out
}

/// A feed's configuration. Word 0 (read by every price): primary (20 bytes),
/// its decimals, strict and lenient maximum ages, a has-secondary flag. Word 1: secondary, its
/// decimals, maximum deviation. Word 2: minimum and maximum price (WAD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedConfig {
    /// Primary aggregator (zero: feed not configured).
    pub primary: [u8; 20],
    /// Its decimals.
    pub primary_decimals: u8,
    /// Strict maximum age (seconds).
    pub max_age: u32,
    /// Lenient maximum age (seconds).
    pub max_age_lenient: u32,
    /// Secondary aggregator (zero: none).
    pub secondary: [u8; 20],
    /// Its decimals.
    pub secondary_decimals: u8,
    /// Maximum primary/secondary deviation (bps).
    pub max_deviation_bps: u16,
    /// Lowest accepted price (WAD).
    pub min_price: u128,
    /// Highest accepted price (WAD).
    pub max_price: u128,
}

impl FeedConfig {
    /// Word 0.
    pub fn main_word(&self) -> Word {
        let mut w = [0u8; 32];
        put(&mut w, 0, &self.primary);
        w[20] = self.primary_decimals;
        put(&mut w, 21, &self.max_age.to_be_bytes());
        put(&mut w, 25, &self.max_age_lenient.to_be_bytes());
        // Whether word 1 holds a secondary: a price without one skips that slot.
        w[29] = u8::from(self.secondary != [0u8; 20]);
        w
    }

    /// Whether word 0 says a secondary is configured (word 1 is worth reading).
    pub fn has_secondary(main: &Word) -> bool {
        main[29] != 0
    }

    /// Word 1.
    pub fn secondary_word(&self) -> Word {
        let mut w = [0u8; 32];
        put(&mut w, 0, &self.secondary);
        w[20] = self.secondary_decimals;
        put(&mut w, 21, &self.max_deviation_bps.to_be_bytes());
        w
    }

    /// Word 2.
    pub fn bounds_word(&self) -> Word {
        let mut w = [0u8; 32];
        put(&mut w, 0, &self.min_price.to_be_bytes());
        put(&mut w, 16, &self.max_price.to_be_bytes());
        w
    }

    /// Reads the three words back.
    pub fn unpack(main: &Word, secondary: &Word, bounds: &Word) -> FeedConfig {
        FeedConfig {
            primary: take(main, 0),
            primary_decimals: main[20],
            max_age: u32::from_be_bytes(take(main, 21)),
            max_age_lenient: u32::from_be_bytes(take(main, 25)),
            secondary: take(secondary, 0),
            secondary_decimals: secondary[20],
            max_deviation_bps: u16::from_be_bytes(take(secondary, 21)),
            min_price: u128::from_be_bytes(take(bounds, 0)),
            max_price: u128::from_be_bytes(take(bounds, 16)),
        }
    }
}

/// Global timing word: sequencer uptime feed (20 bytes), grace period,
/// settlement window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// Sequencer uptime feed (zero: no sequencer check).
    pub sequencer: [u8; 20],
    /// Grace period after the sequencer comes back up (seconds).
    pub grace_period: u32,
    /// Settlement window after expiry (seconds).
    pub settlement_window: u32,
}

impl Timing {
    /// The packed word.
    pub fn pack(&self) -> Word {
        let mut w = [0u8; 32];
        put(&mut w, 0, &self.sequencer);
        put(&mut w, 20, &self.grace_period.to_be_bytes());
        put(&mut w, 24, &self.settlement_window.to_be_bytes());
        w
    }

    /// Reads the word back.
    pub fn unpack(w: &Word) -> Timing {
        Timing {
            sequencer: take(w, 0),
            grace_period: u32::from_be_bytes(take(w, 20)),
            settlement_window: u32::from_be_bytes(take(w, 24)),
        }
    }
}

impl SurfaceConfig {
    /// Two words: grid bounds and volatility bounds (each 64 bits, which the
    /// hard bounds guarantee), then points and maximum age.
    pub fn pack(&self) -> (Word, Word) {
        let (mut w0, mut w1) = ([0u8; 32], [0u8; 32]);
        // Validated: |k| <= 3e18 and volatility <= 1e19 fit 64 bits.
        #[allow(clippy::cast_possible_truncation)]
        {
            put(&mut w0, 0, &(self.min_log_moneyness as i64).to_be_bytes());
            put(&mut w0, 8, &(self.max_log_moneyness as i64).to_be_bytes());
            put(&mut w0, 16, &(self.min_volatility as u64).to_be_bytes());
            put(&mut w0, 24, &(self.max_volatility as u64).to_be_bytes());
            put(&mut w1, 1, &(self.max_age as u32).to_be_bytes());
        }
        w1[0] = self.points;
        (w0, w1)
    }

    /// Reads the words back.
    pub fn unpack(w0: &Word, w1: &Word) -> SurfaceConfig {
        SurfaceConfig {
            min_log_moneyness: i128::from(i64::from_be_bytes(take(w0, 0))),
            max_log_moneyness: i128::from(i64::from_be_bytes(take(w0, 8))),
            min_volatility: u128::from(u64::from_be_bytes(take(w0, 16))),
            max_volatility: u128::from(u64::from_be_bytes(take(w0, 24))),
            points: w1[0],
            max_age: u64::from(u32::from_be_bytes(take(w1, 1))),
        }
    }
}

impl Slice {
    /// Two words: `a, b, rho, m` (12 decimals, 64 bits each), then `sigma`,
    /// push time and forward. `None` when a parameter does not fit.
    pub fn pack(&self) -> Option<(Word, Word)> {
        let (mut w0, mut w1) = ([0u8; 32], [0u8; 32]);
        let svi = &self.svi;
        for (i, value) in [svi.a, svi.b, svi.rho, svi.m].into_iter().enumerate() {
            put(&mut w0, i * 8, &to_stored(value)?.to_be_bytes());
        }
        put(&mut w1, 0, &to_stored(svi.sigma)?.to_be_bytes());
        put(&mut w1, 8, &self.pushed_at.to_be_bytes());
        put(&mut w1, 16, &self.forward.to_be_bytes());
        Some((w0, w1))
    }

    /// Reads the words back for `expiry`.
    pub fn unpack(w0: &Word, w1: &Word, expiry: u64) -> Slice {
        let param = |w: &Word, i: usize| from_stored(i64::from_be_bytes(take(w, i * 8)));
        Slice {
            svi: Svi {
                a: param(w0, 0),
                b: param(w0, 1),
                rho: param(w0, 2),
                m: param(w0, 3),
                sigma: param(w1, 0),
            },
            pushed_at: u64::from_be_bytes(take(w1, 8)),
            forward: u128::from_be_bytes(take(w1, 16)),
            expiry,
        }
    }

    /// The slice with its parameters as stored (multiples of 2^20 wei,
    /// rounded down): what is validated is exactly what is kept.
    #[must_use]
    pub fn truncated(mut self) -> Slice {
        for value in [
            &mut self.svi.a,
            &mut self.svi.b,
            &mut self.svi.rho,
            &mut self.svi.m,
            &mut self.svi.sigma,
        ] {
            *value = (*value >> PARAM_SHIFT) << PARAM_SHIFT;
        }
        self
    }
}
