//! Spatially sampled replay (SHARDS, Waldspurger et al., FAST 2015): keep
//! only the keys whose hash falls under a rate `R` and shrink `maxmemory` by
//! the same rate, so a trace too big to replay whole is simulated on a
//! representative slice of its keys. Ratios (hit ratio, the share of reads
//! lost) carry over; counts are those of the sample, about `R` times the
//! full trace's.

use crate::cluster::KeySlots;
use crate::model::keyspace::mix64;
use crate::model::{InstanceConfig, MemoryModel};
use crate::op::{KeyId, Op};

/// Keeps the keys whose seeded hash falls under `rate` (0 < rate <= 1).
#[derive(Clone, Copy, Debug)]
pub struct SpatialSample {
    threshold: u64,
    seed: u64,
    rate: f64,
}

/// A sampling rate outside (0, 1].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("sample rate must be in (0, 1] (got {0})")]
pub struct BadRate(pub f64);

impl SpatialSample {
    /// A sample of `rate` of the keys, chosen by a hash seeded with `seed`.
    pub fn new(rate: f64, seed: u64) -> Result<Self, BadRate> {
        if !(rate > 0.0 && rate <= 1.0) {
            return Err(BadRate(rate));
        }
        let threshold = if rate >= 1.0 {
            u64::MAX
        } else {
            (rate * u64::MAX as f64) as u64
        };
        Ok(SpatialSample {
            threshold,
            seed: mix64(seed ^ 0x5a4d_5a4d),
            rate,
        })
    }

    /// The rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Whether the operation's key is in the sample. Every operation on a
    /// key gets the same answer.
    #[inline]
    pub fn keeps(&self, op: &Op) -> bool {
        self.threshold == u64::MAX
            || mix64(((op.db as u64) << 32 | op.key as u64) ^ self.seed) <= self.threshold
    }

    /// The instance scaled to the sample: the keys' share of `maxmemory`
    /// shrinks by the rate; the empty server's baseline does not.
    pub fn scale(&self, cfg: &InstanceConfig) -> InstanceConfig {
        let mut c = cfg.clone();
        if c.maxmemory > 0 {
            let base = match c.memory_model {
                MemoryModel::Redis => c.baseline_memory.min(c.maxmemory),
                MemoryModel::Raw => 0,
            };
            c.maxmemory = base + ((c.maxmemory - base) as f64 * self.rate).round() as u64;
        }
        c
    }
}

/// A stream of operations keeping only a sample's keys (all of them with
/// no sample); it still names its keys' slots, for a clustered replay.
#[derive(Debug)]
pub struct Sampled<I> {
    ops: I,
    sample: Option<SpatialSample>,
}

impl<I> Sampled<I> {
    /// `ops` filtered by `sample`, if there is one.
    pub fn new(ops: I, sample: Option<SpatialSample>) -> Self {
        Sampled { ops, sample }
    }
}

impl<I: Iterator<Item = Op>> Iterator for Sampled<I> {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        match &self.sample {
            None => self.ops.next(),
            Some(s) => self.ops.by_ref().find(|op| s.keeps(op)),
        }
    }
}

impl<I: KeySlots> KeySlots for Sampled<I> {
    fn key_slot(&mut self, id: KeyId) -> Option<u16> {
        self.ops.key_slot(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Cmd, ReadSpec};

    fn op(key: u32) -> Op {
        Op {
            t_ms: 0,
            key,
            key_len: 8,
            db: 0,
            class: 0,
            cmd: Cmd::Read(ReadSpec::default()),
        }
    }

    #[test]
    fn keeps_about_the_rate_of_keys_and_always_the_same_ones() {
        let s = SpatialSample::new(0.1, 7).unwrap();
        let kept = (0..100_000).filter(|&k| s.keeps(&op(k))).count();
        assert!((9_000..=11_000).contains(&kept), "kept {kept}");
        assert_eq!(s.keeps(&op(42)), s.keeps(&op(42)));
        assert!((0..1000).all(|k| SpatialSample::new(1.0, 1).unwrap().keeps(&op(k))));
    }

    #[test]
    fn scales_the_keys_share_of_maxmemory() {
        let s = SpatialSample::new(0.01, 0).unwrap();
        let cfg = InstanceConfig {
            maxmemory: 100_914_520,
            ..Default::default()
        };
        assert_eq!(s.scale(&cfg).maxmemory, 914_520 + 1_000_000);
        assert!(SpatialSample::new(0.0, 0).is_err());
        assert!(SpatialSample::new(1.5, 0).is_err());
        assert!(SpatialSample::new(f64::NAN, 0).is_err());
    }
}
