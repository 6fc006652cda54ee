//! The market a scenario describes, generated block by block from a seed:
//! block times, prices (GBM with jumps, bridged crash and recovery targets,
//! or explicit points), volatility surfaces and the oracle's condition.
//!
//! Every random draw comes from a `ChaCha8` stream chosen by purpose, so the
//! same seed and scenario give the same market on every machine, and adding
//! an underlying does not change the others' paths.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::scenario::{OracleEventKind, Phase, Scenario, Surface, SECONDS_PER_YEAR};

/// Stream of the price path of underlying `i` is `PRICE_STREAM + i`.
const PRICE_STREAM: u64 = 1 << 32;

/// A random stream for one purpose (`stream`) under a seed.
pub fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A standard normal draw (Box-Muller; one draw per call keeps streams simple).
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw with mean `lambda` (Knuth's method; `lambda` is small here).
pub fn poisson(rng: &mut impl Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let limit = (-lambda).exp();
    let mut k = 0;
    let mut p: f64 = rng.random();
    while p > limit && k < 1_000 {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// One simulated block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockTime {
    /// Block number (1-based; block 0 is setup).
    pub number: u64,
    /// Unix timestamp.
    pub timestamp: u64,
    /// Seconds since the previous block.
    pub dt: u64,
    /// Index of the phase it belongs to.
    pub phase: usize,
}

/// The oracle's condition for one underlying in one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedState {
    /// Whether the primary feed publishes a new round this block.
    pub publishes: bool,
    /// Relative deviation of the second source from the true price.
    pub secondary_deviation: f64,
}

/// The whole generated market.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    /// Block times.
    pub blocks: Vec<BlockTime>,
    /// `prices[u][b]`: price of underlying `u` at block `b`.
    pub prices: Vec<Vec<f64>>,
    /// `surfaces[u][b]`: implied-volatility surface.
    pub surfaces: Vec<Vec<Surface>>,
    /// `feeds[u][b]`: oracle condition.
    pub feeds: Vec<Vec<FeedState>>,
    /// `sequencer_up[b]`.
    pub sequencer_up: Vec<bool>,
    /// `jumps[u]`: number of jumps drawn for underlying `u`.
    pub jumps: Vec<u32>,
}

/// The block schedule of a scenario.
pub fn schedule(scenario: &Scenario) -> Vec<BlockTime> {
    let mut blocks = Vec::new();
    let mut t = scenario.start_time;
    for (phase, p) in scenario.phases.iter().enumerate() {
        let end = t + p.duration;
        while t < end {
            let dt = p.step.min(end - t);
            t += dt;
            blocks.push(BlockTime { number: blocks.len() as u64 + 1, timestamp: t, dt, phase });
        }
    }
    blocks
}

impl Market {
    /// Generates the market of a scenario under a seed.
    pub fn generate(scenario: &Scenario, seed: u64) -> Self {
        let blocks = schedule(scenario);
        let mut prices = Vec::new();
        let mut jumps = Vec::new();
        for (i, u) in scenario.underlyings.iter().enumerate() {
            let (path, n) = if u.points.is_empty() {
                let mut rng = stream(seed, PRICE_STREAM + i as u64);
                gbm_path(
                    &mut rng,
                    u.initial_price,
                    &blocks,
                    &scenario.phases,
                    u.volatility_scale,
                    u.beta,
                )
            } else {
                (points_path(&u.points, &blocks, scenario.start_time), 0)
            };
            prices.push(path);
            jumps.push(n);
        }
        let surfaces = scenario
            .underlyings
            .iter()
            .enumerate()
            .map(|(i, u)| surface_path(scenario, i, u.implied_volatility, &blocks))
            .collect();
        let feeds =
            (0..scenario.underlyings.len()).map(|i| feed_path(scenario, i, &blocks)).collect();
        let sequencer_up = blocks
            .iter()
            .map(|b| {
                let t = b.timestamp - scenario.start_time;
                !scenario.oracle_events.iter().any(|e| {
                    e.kind == OracleEventKind::SequencerDown && e.at <= t && t < e.at + e.duration
                })
            })
            .collect();
        Self { blocks, prices, surfaces, feeds, sequencer_up, jumps }
    }
}

/// Log return of one step of GBM with Poisson jumps; returns the return and
/// the number of jumps.
pub fn gbm_step(rng: &mut impl Rng, phase: &Phase, vol_scale: f64, dt_seconds: f64) -> (f64, u32) {
    let dt = dt_seconds / SECONDS_PER_YEAR;
    let sigma = phase.volatility * vol_scale;
    let mut r = (phase.drift - 0.5 * sigma * sigma) * dt + sigma * dt.sqrt() * normal(rng);
    let n = poisson(rng, phase.jumps_per_day * dt_seconds / 86_400.0);
    for _ in 0..n {
        r += phase.jump_mean + phase.jump_stdev * normal(rng);
    }
    (r, n)
}

/// A price path over the blocks: GBM with jumps in each phase; a phase with
/// a target return is bridged (its increments shifted equally) so that it
/// ends exactly `(1 + beta * target)` times where it began.
pub fn gbm_path(
    rng: &mut impl Rng,
    initial: f64,
    blocks: &[BlockTime],
    phases: &[Phase],
    vol_scale: f64,
    beta: f64,
) -> (Vec<f64>, u32) {
    let mut out = Vec::with_capacity(blocks.len());
    let mut log_price = initial.ln();
    let mut jumps = 0;
    let mut start = 0;
    while start < blocks.len() {
        let phase_index = blocks[start].phase;
        let end = blocks[start..]
            .iter()
            .position(|b| b.phase != phase_index)
            .map_or(blocks.len(), |n| start + n);
        let phase = &phases[phase_index];
        let mut steps: Vec<f64> = blocks[start..end]
            .iter()
            .map(|b| {
                #[allow(clippy::cast_precision_loss)] // block steps are far below 2^52 seconds
                let (r, n) = gbm_step(rng, phase, vol_scale, b.dt as f64);
                jumps += n;
                r
            })
            .collect();
        if let Some(target) = phase.target_return {
            let wanted = (1.0 + beta * target).ln();
            let have: f64 = steps.iter().sum();
            #[allow(clippy::cast_precision_loss)]
            let shift = (wanted - have) / steps.len() as f64;
            for s in &mut steps {
                *s += shift;
            }
        }
        for s in steps {
            log_price += s;
            out.push(log_price.exp());
        }
        start = end;
    }
    (out, jumps)
}

/// Linear interpolation of explicit `[seconds, price]` points, flat outside.
pub fn points_path(points: &[[f64; 2]], blocks: &[BlockTime], start_time: u64) -> Vec<f64> {
    blocks
        .iter()
        .map(|b| {
            #[allow(clippy::cast_precision_loss)]
            let t = (b.timestamp - start_time) as f64;
            interpolate(points, t)
        })
        .collect()
}

fn interpolate(points: &[[f64; 2]], t: f64) -> f64 {
    let first = points[0];
    if t <= first[0] {
        return first[1];
    }
    for w in points.windows(2) {
        let ([t0, p0], [t1, p1]) = (w[0], w[1]);
        if t <= t1 {
            return p0 + (p1 - p0) * (t - t0) / (t1 - t0);
        }
    }
    points[points.len() - 1][1]
}

fn surface_path(
    scenario: &Scenario,
    index: usize,
    initial: Surface,
    blocks: &[BlockTime],
) -> Vec<Surface> {
    let name = &scenario.underlyings[index].name;
    let mut moves: Vec<_> = scenario
        .volatility
        .iter()
        .filter(|m| m.underlying.as_ref().is_none_or(|u| u == name))
        .collect();
    moves.sort_by_key(|m| m.at);
    blocks
        .iter()
        .map(|b| {
            let t = b.timestamp - scenario.start_time;
            let mut s = initial;
            for m in moves.iter().filter(|m| m.at <= t) {
                let target = Surface {
                    atm: m.atm,
                    skew: m.skew.unwrap_or(s.skew),
                    smile: m.smile.unwrap_or(s.smile),
                    term: m.term.unwrap_or(s.term),
                };
                #[allow(clippy::cast_precision_loss)]
                let w =
                    if m.ramp == 0 { 1.0 } else { ((t - m.at) as f64 / m.ramp as f64).min(1.0) };
                s = Surface {
                    atm: s.atm + (target.atm - s.atm) * w,
                    skew: s.skew + (target.skew - s.skew) * w,
                    smile: s.smile + (target.smile - s.smile) * w,
                    term: s.term + (target.term - s.term) * w,
                };
            }
            s
        })
        .collect()
}

fn feed_path(scenario: &Scenario, index: usize, blocks: &[BlockTime]) -> Vec<FeedState> {
    let name = &scenario.underlyings[index].name;
    blocks
        .iter()
        .map(|b| {
            let t = b.timestamp - scenario.start_time;
            let mut state = FeedState { publishes: true, secondary_deviation: 0.0 };
            for e in &scenario.oracle_events {
                let active = e.at <= t && t < e.at + e.duration;
                let applies = e.underlying.as_ref().is_none_or(|u| u == name);
                if active && applies {
                    match e.kind {
                        OracleEventKind::Stale => state.publishes = false,
                        OracleEventKind::Deviation => state.secondary_deviation = e.deviation,
                        OracleEventKind::SequencerDown => {}
                    }
                }
            }
            state
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(volatility: f64, drift: f64) -> Phase {
        Phase {
            name: "p".into(),
            duration: 1,
            step: 1,
            drift,
            volatility,
            jumps_per_day: 0.0,
            jump_mean: 0.0,
            jump_stdev: 0.0,
            target_return: None,
        }
    }

    #[test]
    fn same_seed_gives_identical_market() {
        let s = Scenario::builtin().expect("valid");
        let a = Market::generate(&s, 7);
        let b = Market::generate(&s, 7);
        assert_eq!(a, b);
        let c = Market::generate(&s, 8);
        assert_ne!(a.prices, c.prices);
    }

    #[test]
    fn gbm_drift_and_volatility_match_the_parameters() {
        let mut rng = stream(3, 0);
        let (vol, drift) = (0.8, 0.4);
        let p = phase(vol, drift);
        let dt = 3_600.0;
        let n = 200_000;
        let returns: Vec<f64> = (0..n).map(|_| gbm_step(&mut rng, &p, 1.0, dt).0).collect();
        let nf = f64::from(n);
        let mean = returns.iter().sum::<f64>() / nf;
        let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        let years = dt / SECONDS_PER_YEAR;
        let sigma_hat = (var / years).sqrt();
        assert!((sigma_hat - vol).abs() < 0.01 * vol, "sigma {sigma_hat}");
        // The mean of a log return is (mu - sigma^2/2) dt; its standard error
        // over n steps is sigma sqrt(dt / n), so compare in those units.
        let expected = (drift - 0.5 * vol * vol) * years;
        let stderr = vol * (years / nf).sqrt();
        assert!((mean - expected).abs() < 4.0 * stderr, "mean {mean} vs {expected}");
    }

    #[test]
    fn jump_frequency_matches_the_intensity() {
        let mut rng = stream(5, 1);
        let mut p = phase(0.0, 0.0);
        p.jumps_per_day = 3.0;
        p.jump_stdev = 0.05;
        let steps = 100_000;
        let dt = 3_600.0; // one hour: 0.125 jumps per step
        let total: u32 = (0..steps).map(|_| gbm_step(&mut rng, &p, 1.0, dt).1).sum();
        let expected = 3.0 * f64::from(steps) / 24.0;
        assert!(
            (f64::from(total) - expected).abs() < 4.0 * expected.sqrt(),
            "{total} vs {expected}"
        );
    }

    #[test]
    fn crash_phase_ends_at_its_target() {
        let s = Scenario::builtin().expect("valid");
        let m = Market::generate(&s, 11);
        let crash = s.phases.iter().position(|p| p.name == "crash").expect("crash phase");
        let first = m.blocks.iter().position(|b| b.phase == crash).expect("blocks");
        let last = m.blocks.iter().rposition(|b| b.phase == crash).expect("blocks");
        let before = m.prices[0][first - 1];
        let after = m.prices[0][last];
        assert!((after / before - 0.65).abs() < 1e-9, "{}", after / before);
        let btc = (m.prices[1][last] / m.prices[1][first - 1] - 1.0) / -0.35;
        assert!((btc - s.underlyings[1].beta).abs() < 1e-9);
    }

    #[test]
    fn explicit_points_are_interpolated() {
        let blocks: Vec<BlockTime> = (1..=4)
            .map(|i| BlockTime { number: i, timestamp: 100 + i * 10, dt: 10, phase: 0 })
            .collect();
        let path = points_path(&[[0.0, 100.0], [20.0, 120.0], [30.0, 60.0]], &blocks, 100);
        assert_eq!(path, vec![110.0, 120.0, 60.0, 60.0]);
    }

    #[test]
    fn oracle_events_shape_the_feeds() {
        let s = Scenario::builtin().expect("valid");
        let m = Market::generate(&s, 1);
        assert!(m.sequencer_up.iter().any(|up| !up));
        assert!(m.feeds[1].iter().any(|f| !f.publishes));
        assert!(m.feeds[0].iter().any(|f| f.secondary_deviation > 0.0));
        assert!(m.feeds[0].iter().all(|f| f.publishes));
        let peak = m.surfaces[0].iter().map(|s| s.atm).fold(0.0, f64::max);
        assert!((peak - 1.30).abs() < 1e-9);
    }
}
