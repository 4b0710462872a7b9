//! An opt-in record of what the policy looked at when it chose each victim:
//! the keys it sampled with their scores, the pool after it was filled, and
//! the key it evicted. `evictsim demo` explains evictions from it; a run
//! never turns it on, and off it costs one branch per eviction (none per
//! operation).

use super::pool::Candidate;
use crate::op::KeyId;

/// One eviction as the policy saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TracedEviction {
    /// Simulated time of the eviction, in ms.
    pub t_ms: u64,
    /// The keys sampled for this eviction, in sampling order, with the
    /// score each had (higher goes first). Empty for policies that do not
    /// sample (the random ones draw the victim directly; `exact-lru` keeps
    /// an exact order).
    pub sampled: Vec<Candidate>,
    /// The pool after the last population of this eviction, worst
    /// candidate first (the victim was then taken from its best end).
    /// Empty for policies without a pool.
    pub pool: Vec<Candidate>,
    /// The evicted key: (database, key).
    pub victim: (u8, KeyId),
}

/// Every eviction since tracing was turned on, oldest first.
#[derive(Clone, Debug, Default)]
pub struct PickTrace {
    /// The evictions, oldest first.
    pub evictions: Vec<TracedEviction>,
}

impl PickTrace {
    /// Starts recording an eviction at `t_ms`; the returned record is the
    /// one a policy fills through [`PickEnv::trace`](super::policy::PickEnv::trace).
    pub(crate) fn begin(&mut self, t_ms: u64) -> &mut TracedEviction {
        self.evictions.push(TracedEviction {
            t_ms,
            ..TracedEviction::default()
        });
        let last = self.evictions.len() - 1;
        &mut self.evictions[last]
    }

    /// Notes the victim of the eviction begun last; drops that record if
    /// the policy found none.
    pub(crate) fn finish(&mut self, victim: Option<(u8, KeyId)>) {
        match victim {
            Some(v) => {
                if let Some(last) = self.evictions.last_mut() {
                    last.victim = v;
                }
            }
            None => {
                self.evictions.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::testkit::set;
    use crate::model::{AnyInstance, InstanceConfig, MemoryModel, PolicyKind};

    /// 300 SETs of 100 bytes into room for about 40 keys.
    fn ops() -> Vec<crate::op::Op> {
        (0..300u32)
            .map(|k| set(u64::from(k) * 50, k, 100, 0))
            .collect()
    }

    fn instance(kind: PolicyKind) -> AnyInstance {
        let cfg = InstanceConfig {
            maxmemory: 4000,
            memory_model: MemoryModel::Raw,
            seed: 9,
            ..InstanceConfig::default()
        };
        AnyInstance::new(kind, &cfg, 1)
    }

    #[test]
    fn tracing_changes_nothing_the_instance_does() {
        for kind in [
            PolicyKind::AllKeysLru,
            PolicyKind::AllKeysLfu,
            PolicyKind::AllKeysRandom,
            PolicyKind::ExactLru,
        ] {
            let (mut plain, mut traced) = (instance(kind), instance(kind));
            traced.trace_picks();
            plain.apply_all(&ops());
            traced.apply_all(&ops());
            let keys = |i: &AnyInstance| {
                let mut k: Vec<u32> = i.keyspace().dbs[0].iter().map(|e| e.key).collect();
                k.sort_unstable();
                k
            };
            assert_eq!(keys(&plain), keys(&traced), "{kind}");
            assert_eq!(
                plain.metrics().classes[0].counters,
                traced.metrics().classes[0].counters
            );
            let evictions = traced.take_traced_evictions();
            assert_eq!(
                evictions.len() as u64,
                traced.metrics().classes[0].counters.evicted,
                "{kind}: one record per eviction"
            );
            assert!(plain.take_traced_evictions().is_empty(), "off by default");
        }
    }

    #[test]
    fn a_sampled_eviction_records_its_sample_its_pool_and_its_victim() {
        let mut i = instance(PolicyKind::AllKeysLru);
        i.trace_picks();
        i.apply_all(&ops());
        let all = i.take_traced_evictions();
        assert!(all.len() > 200);
        for e in &all {
            assert_eq!(e.sampled.len(), 5, "maxmemory-samples keys");
            assert!(e.pool.len() <= 16);
            // The victim came from the pool's best end; ghosts may sit above it.
            assert!(e.pool.iter().any(|c| (c.db, c.key) == e.victim));
            assert!(e.pool.windows(2).all(|w| w[0].score <= w[1].score));
            // Every key is written once: an evicted key never comes back.
            assert!(i.keyspace().find(e.victim.0, e.victim.1).is_none());
        }
        assert!(i.take_traced_evictions().is_empty(), "taken once");
    }
}
