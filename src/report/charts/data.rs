//! Small read-only views of a [`RunResult`] that several charts need: which
//! policy did the most damage, and per-class percentiles of the eviction
//! histograms. Nothing here is recomputed from the workload; it only sums and
//! reads what the metrics hold.

use hdrhistogram::Histogram;

use crate::metrics::ClassMetrics;
use crate::sim::{PolicyRun, RunResult};

/// Lost critical reads, critical evictions and all evictions of one policy:
/// the key the worst policy is chosen by.
pub(crate) fn damage(run: &RunResult, pr: &PolicyRun) -> (u64, u64, u64) {
    let (mut lost, mut evicted, mut all) = (0, 0, 0);
    for (i, cm) in pr.metrics.classes.iter().enumerate() {
        all += cm.counters.evicted;
        if is_critical(run, i) {
            lost += cm.counters.lost_reads;
            evicted += cm.counters.evicted_live();
        }
    }
    (lost, evicted, all)
}

/// Whether class `i` is critical (a class the run does not describe is not).
pub(crate) fn is_critical(run: &RunResult, i: usize) -> bool {
    run.classes.get(i).is_some_and(|c| c.critical)
}

/// Class indices in the order charts place them: critical classes first,
/// then cache classes, each in run order.
pub(crate) fn display_order(run: &RunResult) -> Vec<usize> {
    let mut order: Vec<usize> = (0..run.classes.len()).collect();
    order.sort_by_key(|&i| !run.classes[i].critical);
    order
}

/// The index of the worst policy: the most lost critical reads, then the most
/// critical evictions, then the most evictions; the first in run order wins a
/// tie. `None` when no policy evicted anything.
pub(crate) fn worst_policy(run: &RunResult) -> Option<usize> {
    let mut best: Option<(usize, (u64, u64, u64))> = None;
    for (i, pr) in run.results.iter().enumerate() {
        let d = damage(run, pr);
        if d.2 == 0 {
            continue;
        }
        if best.is_none_or(|(_, b)| d > b) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

/// Which eviction histogram a chart reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AgeKind {
    /// Remaining TTL of evicted keys that had one.
    TtlLeft,
    /// Idle time of every evicted key.
    Idle,
}

impl AgeKind {
    /// The histogram of this kind in a class's metrics.
    pub(crate) fn histogram(self, cm: &ClassMetrics) -> &Histogram<u64> {
        match self {
            AgeKind::TtlLeft => &cm.ttl_left_at_eviction_ms,
            AgeKind::Idle => &cm.idle_at_eviction_ms,
        }
    }

    /// Whether the chart of this kind shows class `i`: the TTL chart is about
    /// critical data cut short, the idle chart compares every class.
    pub(crate) fn shows_class(self, run: &RunResult, i: usize) -> bool {
        match self {
            AgeKind::TtlLeft => is_critical(run, i),
            AgeKind::Idle => i < run.classes.len(),
        }
    }
}

/// The quantiles a box shows: 5th, 25th, 50th, 75th and 95th percentile, in
/// ms, plus the number of values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Values recorded.
    pub count: u64,
}

/// The spread of a histogram, or `None` when it is empty.
pub(crate) fn spread(h: &Histogram<u64>) -> Option<Spread> {
    if h.is_empty() {
        return None;
    }
    let q = |q: f64| crate::metrics::quantile(h, q).unwrap_or(1).max(1) as f64;
    Some(Spread {
        p5: q(0.05),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p95: q(0.95),
        count: h.len(),
    })
}

/// Per policy (run order) with at least one value, per shown class, the
/// spread of the histogram of `kind`; classes with no values are `None`.
pub(crate) fn spreads(run: &RunResult, kind: AgeKind) -> Vec<(usize, Vec<Option<Spread>>)> {
    run.results
        .iter()
        .enumerate()
        .filter_map(|(pi, pr)| {
            let row: Vec<Option<Spread>> = (0..run.classes.len())
                .map(|ci| {
                    if !kind.shows_class(run, ci) {
                        return None;
                    }
                    pr.metrics
                        .classes
                        .get(ci)
                        .and_then(|cm| spread(kind.histogram(cm)))
                })
                .collect();
            row.iter().any(Option::is_some).then_some((pi, row))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::model::PolicyKind;
    use crate::sim::ClassInfo;

    fn run(damage: &[(u64, u64, u64)]) -> RunResult {
        let classes = vec![
            ClassInfo {
                name: "sessions".into(),
                critical: true,
            },
            ClassInfo {
                name: "cache".into(),
                critical: false,
            },
        ];
        let results = damage
            .iter()
            .zip(PolicyKind::ALL)
            .map(|(&(lost, crit, cache), policy)| {
                let mut metrics = Metrics::new(2);
                metrics.classes[0].counters.lost_reads = lost;
                metrics.classes[0].counters.evicted = crit;
                metrics.classes[1].counters.evicted = cache;
                PolicyRun { policy, metrics }
            })
            .collect();
        RunResult {
            scenario: "t".into(),
            seed: 0,
            maxmemory_bytes: 0,
            ops: 0,
            simulated_ms: 0,
            classes,
            results,
            unbounded_peak_memory: 0,
            unbounded_memory: Vec::new(),
            source: Default::default(),
            instance: Default::default(),
            cluster: None,
            crash: None,
            phases: None,
            partial: None,
        }
    }

    #[test]
    fn worst_is_most_lost_critical_reads_then_critical_evictions() {
        assert_eq!(
            worst_policy(&run(&[(0, 0, 0), (5, 1, 0), (5, 2, 0)])),
            Some(2)
        );
        assert_eq!(worst_policy(&run(&[(1, 1, 0), (0, 9, 90)])), Some(0));
        // Ties keep the first in run order.
        assert_eq!(worst_policy(&run(&[(3, 3, 3), (3, 3, 3)])), Some(0));
    }

    #[test]
    fn no_evictions_means_no_worst_policy() {
        assert_eq!(worst_policy(&run(&[(0, 0, 0), (0, 0, 0)])), None);
        assert_eq!(worst_policy(&run(&[])), None);
    }
}
