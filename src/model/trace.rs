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
