//! The numbers every report shows about a Redis Cluster's shards, computed
//! once from a [`RunResult`]'s [`ClusterRun`](crate::sim::ClusterRun): per
//! policy and shard what it cost, which shard is the hottest, and which
//! policy's shards the short reports (the terminal table) show.

use super::summary::{PolicySummary, Summary};
use crate::cluster::SlotMap;
use crate::sim::RunResult;

/// One shard under one policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardSummary {
    /// The shard, from 0.
    pub shard: usize,
    /// Slots it owns.
    pub slots: u32,
    /// Its runs of slots, as `CLUSTER SLOTS` lists them (`0-5460`).
    pub ranges: String,
    /// Distinct keys with an operation on it.
    pub keys: u64,
    /// Operations on its keys.
    pub ops: u64,
    /// Its peak `used_memory` with no `maxmemory`: what it needs to lose
    /// nothing.
    pub unbounded_peak_memory: u64,
    /// What its instance counted, in the reports' terms.
    pub summary: PolicySummary,
}

impl ShardSummary {
    /// The order that makes a shard hotter: lost critical reads, then
    /// critical keys evicted, evictions, refused writes, peak memory.
    fn heat(&self) -> (u64, u64, u64, u64, u64) {
        let s = &self.summary;
        (
            s.lost_critical_reads,
            s.critical_keys_evicted,
            s.totals.evicted,
            s.refused_writes,
            s.peak_used_memory,
        )
    }
}

/// The shards of a clustered run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSummary {
    /// Shards in the cluster.
    pub shards: usize,
    /// Per policy, in the order of [`Summary::policies`], per shard.
    pub policies: Vec<Vec<ShardSummary>>,
    /// Per policy, the hottest shard: the most lost critical reads, then
    /// critical keys evicted, evictions, refused writes and peak memory
    /// (the lowest-numbered on a tie).
    pub hottest: Vec<usize>,
    /// The policy whose shards a short report shows: the worst, or the
    /// first when no policy lost critical data. `None` with no policy.
    pub shown: Option<usize>,
}

impl ClusterSummary {
    /// The shards of `r`, or `None` when it did not run on a cluster.
    pub fn new(r: &RunResult, s: &Summary) -> Option<ClusterSummary> {
        let c = r.cluster.as_ref()?;
        let policies: Vec<Vec<ShardSummary>> = r
            .results
            .iter()
            .zip(&c.results)
            .map(|(run, shards)| {
                shards
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let stats = c.shards.get(i);
                        ShardSummary {
                            shard: i,
                            slots: c.slots.slot_count(i),
                            ranges: ranges(&c.slots, i),
                            keys: stats.map_or(0, |s| s.keys),
                            ops: stats.map_or(0, |s| s.ops),
                            unbounded_peak_memory: stats.map_or(0, |s| s.unbounded_peak_memory),
                            summary: PolicySummary::new(run.policy, m, &r.classes),
                        }
                    })
                    .collect()
            })
            .collect();
        let hottest = policies
            .iter()
            .map(|shards| {
                shards.iter().fold(0, |best, sh| {
                    if sh.heat() > shards[best].heat() {
                        sh.shard
                    } else {
                        best
                    }
                })
            })
            .collect();
        let shown = s.verdict.worst.or((!policies.is_empty()).then_some(0));
        Some(ClusterSummary {
            shards: c.slots.shards(),
            policies,
            hottest,
            shown,
        })
    }

    /// The shards under the shown policy, with its index.
    pub fn shown_shards(&self) -> Option<(usize, &[ShardSummary])> {
        let i = self.shown?;
        Some((i, self.policies.get(i)?.as_slice()))
    }

    /// The hottest shard under the policy at `policy`.
    pub fn hottest_of(&self, policy: usize) -> Option<&ShardSummary> {
        self.policies.get(policy)?.get(*self.hottest.get(policy)?)
    }
}

/// A shard's slots as a short list (`0-5460`; `0-99, 200-299`; the first
/// three and a count when there are more).
fn ranges(map: &SlotMap, shard: usize) -> String {
    let all: Vec<String> = map.ranges_of(shard).map(ToString::to_string).collect();
    match all.len() {
        0 => "none".to_string(),
        1..=3 => all.join(", "),
        n => format!("{}, ... ({n} ranges)", all[..3].join(", ")),
    }
}
