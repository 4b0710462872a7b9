//! The read-through Zipf(0.9) trace that spatially sampled replay (SHARDS)
//! is measured on, shared by `tests/shards.rs` and
//! `examples/shards_error.rs` (each includes it with `#[path]`): one key in
//! ten is a session (critical, no refill: a lost session stays lost until
//! it is rewritten), replayed under `allkeys-lru`.

#![allow(dead_code)]

use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::op::{Cmd, Op, ReadSpec, Value};
use evictsim::shards::SpatialSample;
use evictsim::sim::{simulate, ClassInfo, RunResult, RunSpec};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};

/// `ops` reads over `keys` keys, 50 a simulated millisecond, values of 100
/// to 999 bytes fixed per key.
pub fn trace(keys: u64, ops: usize) -> Vec<Op> {
    let mut rng = SmallRng::seed_from_u64(3);
    let zipf = Zipf::new(keys, 0.9).expect("valid zipf");
    (0..ops)
        .map(|i| {
            let key = zipf.sample(&mut rng) as u32 - 1;
            let size = 100 + (key.wrapping_mul(2_654_435_761) % 900);
            Op {
                t_ms: i as u64 / 50,
                key,
                key_len: 16,
                db: 0,
                class: u8::from(key % 10 == 0),
                cmd: Cmd::Read(ReadSpec {
                    fill: Some(Value::bytes(size)),
                    fill_ttl_ms: 0,
                    slide_ms: 0,
                }),
            }
        })
        .collect()
}

/// Replays `ops` (only the sampled keys when `sample` is given, with
/// `maxmemory` scaled by its rate) into `allkeys-lru` with `maxmemory`.
pub fn replay(ops: &[Op], maxmemory: u64, sample: Option<&SpatialSample>) -> RunResult {
    let mut instance = InstanceConfig {
        maxmemory,
        seed: 1,
        ..Default::default()
    };
    if let Some(s) = sample {
        instance = s.scale(&instance);
    }
    let spec = RunSpec {
        scenario: "zipf".into(),
        seed: 1,
        instance,
        policies: vec![PolicyKind::AllKeysLru],
        classes: vec![
            ClassInfo {
                name: "cache".into(),
                critical: false,
            },
            ClassInfo {
                name: "sessions".into(),
                critical: true,
            },
        ],
        duration_ms: 0,
        source: Default::default(),
    };
    let kept = ops
        .iter()
        .copied()
        .filter(|o| sample.is_none_or(|s| s.keeps(o)));
    simulate(&spec, kept, |_, _| {})
}
