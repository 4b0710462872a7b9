//! Spatially sampled replay (SHARDS) against a full replay of the same
//! generated trace: the hit ratio and the share of critical reads lost carry
//! over within a loose bound.

#[path = "support/zipf_sessions.rs"]
mod zipf_sessions;

use evictsim::op::Op;
use evictsim::shards::SpatialSample;
use evictsim::sim::RunResult;

const KEYS: u64 = 200_000;
const OPS: usize = 1_500_000;

fn trace() -> Vec<Op> {
    zipf_sessions::trace(KEYS, OPS)
}

fn replay(ops: &[Op], sample: Option<SpatialSample>) -> RunResult {
    zipf_sessions::replay(ops, 914_520 + 20_000_000, sample.as_ref())
}

/// One sample's hit ratio swings with whether the hottest keys fall in it
/// (on this Zipf(0.9) trace, 0.58 to 0.73 at R = 0.1 against 0.66 in full);
/// the mean over a few seeds is close.
#[test]
fn sampled_replay_keeps_the_hit_ratio_on_average() {
    let ops = trace();
    let full = replay(&ops, None);
    let t = full.results[0].metrics.totals();
    let hit_full = t.hit_ratio().unwrap();
    assert!(
        t.evicted > 100_000,
        "the full replay must be under pressure"
    );
    let (mut sum_hit, mut sum_share) = (0.0, 0.0);
    const SEEDS: u64 = 6;
    for seed in 0..SEEDS {
        let sampled = replay(&ops, Some(SpatialSample::new(0.1, seed).unwrap()));
        sum_hit += sampled.results[0].metrics.totals().hit_ratio().unwrap();
        sum_share += sampled.ops as f64 / full.ops as f64;
    }
    let (hit, share) = (sum_hit / SEEDS as f64, sum_share / SEEDS as f64);
    assert!(
        (hit_full - hit).abs() < 0.03,
        "hit ratio: full {hit_full:.4}, sampled mean {hit:.4}"
    );
    assert!(
        (0.07..0.13).contains(&share),
        "sampled {share:.3} of the ops on average"
    );
}
