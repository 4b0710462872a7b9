//! The derived numbers every report shares, computed once from a
//! [`RunResult`]: per policy, what it cost the critical classes and the
//! cache, and the verdict naming the safest and the worst policy. Reports
//! read these instead of re-deriving them, so table, JSON and CSV can never
//! disagree.

use std::cmp::Ordering;

use crate::metrics::{Counters, Metrics};
use crate::model::PolicyKind;
use crate::phase::{CounterSpread, Spread};
use crate::sim::{ClassInfo, RunResult};

/// Hits out of reads, kept as two integers so comparisons are exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HitRatio {
    /// Reads that found their key.
    pub hits: u64,
    /// Reads.
    pub reads: u64,
}

impl HitRatio {
    /// Compares two ratios exactly; a ratio of no reads ranks below any other.
    pub fn compare(&self, other: &HitRatio) -> Ordering {
        match (self.reads, other.reads) {
            (0, 0) => Ordering::Equal,
            (0, _) => Ordering::Less,
            (_, 0) => Ordering::Greater,
            _ => (u128::from(self.hits) * u128::from(other.reads))
                .cmp(&(u128::from(other.hits) * u128::from(self.reads))),
        }
    }

    /// The ratio as a percentage with one decimal, or `-` when nothing was read.
    pub fn percent(&self) -> String {
        super::fmt::percent(self.hits, self.reads)
    }
}

/// What one policy did, in the terms the reports use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySummary {
    /// The policy.
    pub policy: PolicyKind,
    /// Evictions of keys of critical classes (a key evicted twice counts twice).
    pub critical_evictions: u64,
    /// Distinct keys of critical classes evicted at least once.
    pub critical_keys_evicted: u64,
    /// Reads of critical keys that missed because the key had been evicted.
    pub lost_critical_reads: u64,
    /// Commands refused with `-OOM`, over all classes.
    pub refused_writes: u64,
    /// Hit ratio over all classes.
    pub hit_ratio: HitRatio,
    /// Hit ratio over the non-critical (cache) classes.
    pub cache_hit_ratio: HitRatio,
    /// Highest `used_memory` the instance reached.
    pub peak_used_memory: u64,
    /// The counters summed over all classes.
    pub totals: Counters,
    /// The counters summed over the critical classes.
    pub critical_totals: Counters,
}

impl PolicySummary {
    /// What `metrics` (one instance's, or a cluster's or one shard's) count
    /// under `policy`, in the reports' terms; classes missing on either
    /// side are ignored.
    pub fn new(policy: PolicyKind, metrics: &Metrics, classes: &[ClassInfo]) -> PolicySummary {
        let mut critical = Counters::default();
        let mut cache = Counters::default();
        for (info, class) in classes.iter().zip(&metrics.classes) {
            let side = if info.critical {
                &mut critical
            } else {
                &mut cache
            };
            side.add(&class.counters);
        }
        let totals = metrics.totals();
        PolicySummary {
            policy,
            critical_evictions: critical.evicted_live(),
            critical_keys_evicted: critical.evicted_distinct,
            lost_critical_reads: critical.lost_reads,
            refused_writes: totals.oom_rejected,
            hit_ratio: HitRatio {
                hits: totals.hits,
                reads: totals.reads,
            },
            cache_hit_ratio: HitRatio {
                hits: cache.hits,
                reads: cache.reads,
            },
            peak_used_memory: metrics.peak_used_memory,
            totals,
            critical_totals: critical,
        }
    }

    /// Whether the policy neither evicted a critical key nor lost a critical read.
    pub fn loses_nothing(&self) -> bool {
        self.lost_critical_reads == 0 && self.critical_evictions == 0
    }
}

/// The policies the reports single out, as indices into [`Summary::policies`].
/// Only policies a server has are judged: a reference (`exact-lru`) is
/// never the safest nor the worst.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The safest policy: among those that lose nothing, the fewest refused
    /// writes, then the highest hit ratio; if every policy loses something,
    /// the fewest lost critical reads, then the fewest critical evictions,
    /// refused writes, and the highest hit ratio. `None` only with no results.
    pub safest: Option<usize>,
    /// The worst policy: the most lost critical reads, then the most critical
    /// evictions. `None` when no policy lost anything (or there are no results).
    pub worst: Option<usize>,
}

impl Verdict {
    /// Judges a list of summaries; ties go to the one listed first.
    pub fn judge(policies: &[PolicySummary]) -> Verdict {
        let by_cost = |a: &PolicySummary, b: &PolicySummary| {
            a.refused_writes
                .cmp(&b.refused_writes)
                .then_with(|| b.hit_ratio.compare(&a.hit_ratio))
        };
        let judged = |p: &&PolicySummary| !p.policy.is_reference();
        let any_safe = policies
            .iter()
            .filter(judged)
            .any(PolicySummary::loses_nothing);
        // `min_by` returns the first of equal minima, which gives report order.
        let safest = policies
            .iter()
            .enumerate()
            .filter(|(_, p)| judged(p))
            .filter(|(_, p)| !any_safe || p.loses_nothing())
            .min_by(|(_, a), (_, b)| {
                a.lost_critical_reads
                    .cmp(&b.lost_critical_reads)
                    .then(a.critical_evictions.cmp(&b.critical_evictions))
                    .then_with(|| by_cost(a, b))
            })
            .map(|(i, _)| i);
        let worst = policies
            .iter()
            .enumerate()
            .filter(|(_, p)| judged(p))
            .filter(|(_, p)| !p.loses_nothing())
            .min_by(|(_, a), (_, b)| {
                b.lost_critical_reads
                    .cmp(&a.lost_critical_reads)
                    .then(b.critical_evictions.cmp(&a.critical_evictions))
            })
            .map(|(i, _)| i);
        Verdict { safest, worst }
    }
}

/// One policy's figures over the start phases of the minute: each the
/// lowest, the median and the highest of its runs, each a real run's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySpread {
    /// [`PolicySummary::critical_keys_evicted`].
    pub critical_keys_evicted: Spread<u64>,
    /// [`PolicySummary::lost_critical_reads`].
    pub lost_critical_reads: Spread<u64>,
    /// [`PolicySummary::refused_writes`].
    pub refused_writes: Spread<u64>,
    /// [`PolicySummary::hit_ratio`].
    pub hit_ratio: Spread<HitRatio>,
    /// [`PolicySummary::cache_hit_ratio`].
    pub cache_hit_ratio: Spread<HitRatio>,
    /// [`PolicySummary::peak_used_memory`].
    pub peak_used_memory: Spread<u64>,
    /// The counters summed over all classes.
    pub totals: CounterSpread,
    /// The counters summed over the critical classes.
    pub critical_totals: CounterSpread,
    /// Per class, in class order.
    pub classes: Vec<CounterSpread>,
}

impl PolicySpread {
    /// The spread of `policy`'s runs (one [`Metrics`] per phase; at least one).
    pub fn new(policy: PolicyKind, runs: &[Metrics], classes: &[ClassInfo]) -> PolicySpread {
        let sums: Vec<PolicySummary> = runs
            .iter()
            .map(|m| PolicySummary::new(policy, m, classes))
            .collect();
        let n = |f: fn(&PolicySummary) -> u64| Spread::of(&sums.iter().map(f).collect::<Vec<_>>());
        let ratio = |f: fn(&PolicySummary) -> HitRatio| {
            Spread::by(&sums.iter().map(f).collect::<Vec<_>>(), HitRatio::compare)
        };
        let counters = |f: fn(&PolicySummary) -> Counters| {
            CounterSpread::of(&sums.iter().map(f).collect::<Vec<_>>())
        };
        PolicySpread {
            critical_keys_evicted: n(|p| p.critical_keys_evicted),
            lost_critical_reads: n(|p| p.lost_critical_reads),
            refused_writes: n(|p| p.refused_writes),
            hit_ratio: ratio(|p| p.hit_ratio),
            cache_hit_ratio: ratio(|p| p.cache_hit_ratio),
            peak_used_memory: n(|p| p.peak_used_memory),
            totals: counters(|p| p.totals),
            critical_totals: counters(|p| p.critical_totals),
            classes: (0..classes.len().min(runs[0].classes.len()))
                .map(|c| {
                    CounterSpread::of(
                        &runs
                            .iter()
                            .map(|m| m.classes[c].counters)
                            .collect::<Vec<_>>(),
                    )
                })
                .collect(),
        }
    }
}

/// The derived numbers of a whole run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// One summary per policy, in report order.
    pub policies: Vec<PolicySummary>,
    /// The safest and the worst policy.
    pub verdict: Verdict,
    /// For a run at several start phases, one spread per policy in report
    /// order (the summaries above are phase 0's); `None` for one phase.
    pub phases: Option<Vec<PolicySpread>>,
}

impl Summary {
    /// Derives the summary of a run; classes missing on either side are ignored.
    pub fn new(r: &RunResult) -> Summary {
        let policies: Vec<PolicySummary> = r
            .results
            .iter()
            .map(|run| PolicySummary::new(run.policy, &run.metrics, &r.classes))
            .collect();
        let verdict = Verdict::judge(&policies);
        let phases = r.phases.as_ref().map(|ph| {
            r.results
                .iter()
                .zip(&ph.runs)
                .map(|(run, runs)| PolicySpread::new(run.policy, runs, &r.classes))
                .collect()
        });
        Summary {
            policies,
            verdict,
            phases,
        }
    }

    /// The safest policy's summary, if any policy ran.
    pub fn safest(&self) -> Option<&PolicySummary> {
        self.verdict.safest.and_then(|i| self.policies.get(i))
    }

    /// The worst policy's summary, if any policy lost anything.
    pub fn worst(&self) -> Option<&PolicySummary> {
        self.verdict.worst.and_then(|i| self.policies.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(policy: PolicyKind, lost: u64, evictions: u64, refused: u64, hits: u64) -> PolicySummary {
        PolicySummary {
            policy,
            critical_evictions: evictions,
            critical_keys_evicted: evictions,
            lost_critical_reads: lost,
            refused_writes: refused,
            hit_ratio: HitRatio { hits, reads: 100 },
            cache_hit_ratio: HitRatio::default(),
            peak_used_memory: 0,
            totals: Counters::default(),
            critical_totals: Counters::default(),
        }
    }

    use PolicyKind::*;

    #[test]
    fn safest_loses_nothing_then_refuses_least_then_hits_most() {
        let v = Verdict::judge(&[
            p(NoEviction, 0, 0, 50, 60),
            p(AllKeysLru, 10, 5, 0, 99),
            p(VolatileLru, 0, 0, 20, 70),
            p(VolatileTtl, 0, 0, 20, 80),
        ]);
        assert_eq!(v.safest, Some(3));
        assert_eq!(v.worst, Some(1));
    }

    #[test]
    fn full_ties_go_to_report_order() {
        let v = Verdict::judge(&[
            p(VolatileLru, 3, 1, 0, 50),
            p(VolatileLfu, 3, 1, 0, 50),
            p(NoEviction, 0, 0, 7, 50),
            p(VolatileTtl, 0, 0, 7, 50),
        ]);
        assert_eq!(v.safest, Some(2));
        assert_eq!(v.worst, Some(0));
    }

    #[test]
    fn worst_breaks_lost_read_ties_by_critical_evictions() {
        let v = Verdict::judge(&[
            p(AllKeysLru, 9, 2, 0, 50),
            p(AllKeysLfu, 9, 4, 0, 50),
            p(AllKeysRandom, 1, 40, 0, 50),
        ]);
        assert_eq!(v.worst, Some(1));
    }

    #[test]
    fn nothing_safe_picks_fewest_lost_reads() {
        let v = Verdict::judge(&[
            p(AllKeysLru, 30, 3, 0, 90),
            p(AllKeysLfu, 12, 9, 0, 80),
            p(AllKeysRandom, 12, 4, 0, 10),
        ]);
        // Fewest lost reads, then fewest critical evictions.
        assert_eq!(v.safest, Some(2));
        assert_eq!(v.worst, Some(0));
    }

    #[test]
    fn all_safe_has_no_worst_and_nothing_has_no_verdict() {
        let v = Verdict::judge(&[p(NoEviction, 0, 0, 1, 50), p(VolatileLru, 0, 0, 0, 40)]);
        assert_eq!(v.safest, Some(1));
        assert_eq!(v.worst, None);
        assert_eq!(Verdict::judge(&[]), Verdict::default());
    }

    #[test]
    fn hit_ratio_without_reads_ranks_last_and_compares_exactly() {
        let none = HitRatio { hits: 0, reads: 0 };
        let zero = HitRatio { hits: 0, reads: 5 };
        let half = HitRatio { hits: 1, reads: 2 };
        let half2 = HitRatio {
            hits: 50,
            reads: 100,
        };
        assert_eq!(none.compare(&zero), Ordering::Less);
        assert_eq!(half.compare(&half2), Ordering::Equal);
        assert_eq!(half.compare(&zero), Ordering::Greater);
        assert_eq!(none.percent(), "-");
        // A safe policy with no reads loses the hit-ratio tie-break.
        let mut a = p(NoEviction, 0, 0, 0, 0);
        a.hit_ratio = none;
        let v = Verdict::judge(&[a, p(VolatileLru, 0, 0, 0, 0)]);
        assert_eq!(v.safest, Some(1));
    }
}
